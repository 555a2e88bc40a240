//! Keeping a bounded part of a stream that may be huge: its head and its tail, with a count of
//! what was left out between them. A check that prints megabytes of debug output before its
//! failing assertion still shows the start of its output, the end of it, and its verdict.

use std::collections::VecDeque;

/// What is left of one output stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Captured {
    pub head: String,
    /// The last bytes of the stream, when it was longer than the head (from a line start).
    pub tail: String,
    /// Bytes between head and tail that were not kept.
    pub dropped: u64,
}

impl Captured {
    /// A stream short enough to keep whole.
    #[cfg(test)]
    pub fn whole(text: &str) -> Self {
        Self {
            head: text.to_owned(),
            ..Self::default()
        }
    }

    /// The kept text, with one line marking the cut when something was left out.
    pub fn text(&self) -> String {
        if self.dropped == 0 {
            return format!("{}{}", self.head, self.tail);
        }
        let mut text = self.head.clone();
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&format!("… {} bytes not shown …\n", self.dropped));
        text.push_str(&self.tail);
        text
    }
}

/// Accumulates a stream, keeping `head` bytes from its start and `tail` bytes from its end.
pub struct Capture {
    head_limit: usize,
    tail_limit: usize,
    head: Vec<u8>,
    tail: VecDeque<u8>,
    dropped: u64,
}

impl Capture {
    pub fn new(head: usize, tail: usize) -> Self {
        Self {
            head_limit: head,
            tail_limit: tail,
            head: Vec::new(),
            tail: VecDeque::new(),
            dropped: 0,
        }
    }

    pub fn push(&mut self, mut bytes: &[u8]) {
        let room = self.head_limit.saturating_sub(self.head.len());
        let into_head = bytes.len().min(room);
        self.head.extend_from_slice(&bytes[..into_head]);
        bytes = &bytes[into_head..];
        if bytes.is_empty() {
            return;
        }
        if bytes.len() >= self.tail_limit {
            let skipped = bytes.len() - self.tail_limit;
            self.dropped += (self.tail.len() + skipped) as u64;
            self.tail.clear();
            self.tail.extend(&bytes[skipped..]);
            return;
        }
        let overflow = (self.tail.len() + bytes.len()).saturating_sub(self.tail_limit);
        self.tail.drain(..overflow);
        self.dropped += overflow as u64;
        self.tail.extend(bytes);
    }

    pub fn finish(self) -> Captured {
        let mut tail: Vec<u8> = self.tail.into();
        let mut dropped = self.dropped;
        if dropped > 0 {
            // Start the tail at a line, so the cut never splits one.
            let cut = tail.iter().position(|b| *b == b'\n').map_or(0, |at| at + 1);
            if cut < tail.len() {
                dropped += cut as u64;
                tail.drain(..cut);
            }
        }
        Captured {
            head: String::from_utf8_lossy(&self.head).into_owned(),
            tail: String::from_utf8_lossy(&tail).into_owned(),
            dropped,
        }
    }
}

/// Splits a byte stream into lines for a scanner, bounding each line (a stream without
/// newlines must not grow one line forever).
pub struct Lines {
    partial: Vec<u8>,
    max_line: usize,
}

impl Lines {
    pub fn new(max_line: usize) -> Self {
        Self {
            partial: Vec::new(),
            max_line,
        }
    }

    /// Calls `line` for each line completed by `bytes`.
    pub fn push(&mut self, bytes: &[u8], line: &mut dyn FnMut(&str)) {
        for chunk in bytes.split_inclusive(|b| *b == b'\n') {
            let (content, ends) = match chunk.strip_suffix(b"\n") {
                Some(content) => (content, true),
                None => (chunk, false),
            };
            let room = self.max_line.saturating_sub(self.partial.len());
            self.partial
                .extend_from_slice(&content[..content.len().min(room)]);
            if ends {
                line(&String::from_utf8_lossy(&self.partial));
                self.partial.clear();
            }
        }
    }

    /// The last line, if the stream did not end with a newline.
    pub fn finish(self, line: &mut dyn FnMut(&str)) {
        if !self.partial.is_empty() {
            line(&String::from_utf8_lossy(&self.partial));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_stream_is_kept_whole() {
        let mut capture = Capture::new(10, 10);
        capture.push(b"hello\n");
        let captured = capture.finish();
        assert_eq!(captured, Captured::whole("hello\n"));
        assert_eq!(captured.text(), "hello\n");
    }

    #[test]
    fn a_long_stream_keeps_its_head_and_tail_from_a_line_start() {
        let mut capture = Capture::new(8, 12);
        for line in 0..1000 {
            capture.push(format!("line {line}\n").as_bytes());
        }
        let captured = capture.finish();
        assert_eq!(captured.head, "line 0\nl");
        assert_eq!(captured.tail, "line 999\n");
        let total: usize = (0..1000).map(|l| format!("line {l}\n").len()).sum();
        assert_eq!(
            captured.head.len() + captured.tail.len() + captured.dropped as usize,
            total
        );
        assert!(captured.text().contains("bytes not shown …\nline 999\n"));
    }

    #[test]
    fn one_huge_write_keeps_its_end() {
        let mut capture = Capture::new(4, 4);
        capture.push(b"abcdefghij\nxyz");
        let captured = capture.finish();
        assert_eq!(captured.head, "abcd");
        assert_eq!(captured.tail, "xyz");
        assert_eq!(captured.dropped, 7);
    }

    #[test]
    fn lines_are_split_across_writes_and_bounded() {
        let mut seen = Vec::new();
        let mut lines = Lines::new(5);
        lines.push(b"ab", &mut |l| seen.push(l.to_owned()));
        lines.push(b"c\ndefghijk\nlast", &mut |l| seen.push(l.to_owned()));
        lines.finish(&mut |l| seen.push(l.to_owned()));
        assert_eq!(seen, ["abc", "defgh", "last"]);
    }
}

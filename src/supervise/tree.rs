//! The processes a supervisor answers for: all of its descendants, found through
//! `/proc/PID/task/TID/children`. The supervisor is a child subreaper, so a process that
//! detached from its parent (`setsid`, a double fork) is reparented to it instead of to PID 1
//! and is still found here.

use std::collections::HashSet;

/// Every descendant of `root` (not `root` itself), parents before their children.
pub fn descendants(root: i32) -> Vec<i32> {
    let mut found = Vec::new();
    let mut seen = HashSet::from([root]);
    let mut queue = vec![root];
    while let Some(pid) = queue.pop() {
        for child in children_of(pid) {
            if seen.insert(child) {
                found.push(child);
                queue.push(child);
            }
        }
    }
    found
}

/// The children of every thread of `pid` (a child belongs to the thread that forked it).
fn children_of(pid: i32) -> Vec<i32> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    let mut children = Vec::new();
    for task in tasks.flatten() {
        if let Ok(list) = std::fs::read_to_string(task.path().join("children")) {
            children.extend(parse_pids(&list));
        }
    }
    children
}

fn parse_pids(list: &str) -> impl Iterator<Item = i32> + '_ {
    list.split_whitespace().filter_map(|p| p.parse().ok())
}

/// Resident memory of `pids` together, in bytes (threads share their process's memory, so
/// processes are counted, not threads; pages shared between processes count once each).
pub fn resident_bytes(pids: &[i32]) -> u64 {
    let page = page_size();
    pids.iter()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/statm")).ok())
        .filter_map(|statm| resident_pages(&statm))
        .map(|pages| pages * page)
        .sum()
}

/// The second field of `/proc/PID/statm`: resident pages.
fn resident_pages(statm: &str) -> Option<u64> {
    statm.split_whitespace().nth(1)?.parse().ok()
}

fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(size).ok().filter(|s| *s > 0).unwrap_or(4096)
}

/// SIGKILL to each of `pids` (some may be gone already: that is fine).
pub fn kill_all(pids: &[i32]) {
    for &pid in pids {
        // SAFETY: kill has no memory-safety preconditions.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_proc_lists() {
        assert_eq!(parse_pids("12 345 \n").collect::<Vec<_>>(), [12, 345]);
        assert_eq!(parse_pids("").count(), 0);
        assert_eq!(resident_pages("2045 311 250 1 0 120 0\n"), Some(311));
        assert_eq!(resident_pages("garbage"), None);
    }

    #[test]
    fn finds_grandchildren() {
        let mut child = std::process::Command::new("sh")
            .args(["-c", "sleep 30; :"])
            .spawn()
            .unwrap();
        let child_pid = child.id() as i32;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let found = loop {
            let found = descendants(child_pid);
            if !found.is_empty() || std::time::Instant::now() > deadline {
                break found;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        };
        assert!(!found.is_empty(), "sh's sleep");
        assert!(resident_bytes(&found) > 0);
        kill_all(&found);
        kill_all(&[child_pid]);
        let _ = child.wait();
    }
}

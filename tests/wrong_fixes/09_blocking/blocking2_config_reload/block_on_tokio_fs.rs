//! Wrong fix: reads with tokio::fs, but waits for the read with futures' block_on inside the async fn.
// expect fail: though the read itself ran on tokio's blocking pool: reload waited for it without yielding
//! The ingest daemon reloads its configuration whenever an operator asks it to.
//!
//! `reload(path, publish)` reads the configuration file, parses it with `Config::parse`, and
//! hands the result to `publish`, an async function that passes it to the running workers and
//! waits until every one of them has switched over. The file lives on a network share: reading
//! it can hold the reading thread for a second or more when the file server is slow. The daemon
//! runs on a current-thread runtime; its test suite uses a multi-thread one.
//!
//! Done when: reading the file never holds the runtime's thread (other tasks run while the file
//! server takes its time), on both kinds of runtime; `publish`, which is async, is awaited on
//! the runtime like any async code; the new configuration is returned; a missing or malformed
//! file is returned as an `io::Error`, and then nothing is published.

use std::io;
use std::path::Path;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub listen_port: u16,
    pub batch_size: u32,
}

impl Config {
    /// Parses `key = value` lines (`listen_port` and `batch_size`, both required); `#` starts
    /// a comment.
    pub fn parse(text: &str) -> io::Result<Config> {
        let (mut listen_port, mut batch_size) = (None, None);
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or_default().trim();
            if line.is_empty() {
                continue;
            }
            let (key, value) = line.split_once('=').ok_or_else(|| invalid(line))?;
            let value = value.trim();
            match key.trim() {
                "listen_port" => listen_port = Some(value.parse().map_err(|_| invalid(line))?),
                "batch_size" => batch_size = Some(value.parse().map_err(|_| invalid(line))?),
                _ => return Err(invalid(line)),
            }
        }
        match (listen_port, batch_size) {
            (Some(listen_port), Some(batch_size)) => Ok(Config {
                listen_port,
                batch_size,
            }),
            _ => Err(invalid("listen_port and batch_size are required")),
        }
    }
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("bad config: {what}"))
}

/// Reads and parses the configuration at `path`, publishes it to the workers, and returns it.
pub async fn reload<P, F>(path: &Path, publish: P) -> io::Result<Config>
where
    P: FnOnce(Config) -> F,
    F: Future<Output = ()>,
{
    let text = futures::executor::block_on(tokio::fs::read_to_string(path))?;
    let config = Config::parse(&text)?;
    publish(config.clone()).await;
    Ok(config)
}

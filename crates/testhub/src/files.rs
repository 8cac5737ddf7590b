//! What both local test servers (the Hugging Face hub and the Kaggle server) do alike with files:
//! scan a directory into repository paths, parse `Range`, and stream a file from disk with the
//! body faults tests inject (corrupt bytes, a truncated body, a stall).

use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{Response, StatusCode};
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};

/// Every regular file under `dir` (recursive, symlinks followed), as (`a/b.bin`, disk path), sorted.
pub fn scan(dir: &Path) -> Vec<(String, PathBuf)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
        let rd = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("read_dir {}: {e}", dir.display()));
        for ent in rd {
            let p = ent.unwrap().path();
            let md = std::fs::metadata(&p).unwrap_or_else(|e| panic!("stat {}: {e}", p.display()));
            if md.is_dir() {
                walk(root, &p, out);
            } else if md.is_file() {
                let rel = p.strip_prefix(root).unwrap();
                let parts: Vec<&str> = rel
                    .components()
                    .map(|c| {
                        c.as_os_str()
                            .to_str()
                            .unwrap_or_else(|| panic!("non-UTF-8 file name {}", p.display()))
                    })
                    .collect();
                out.push((parts.join("/"), p));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Percent-decodes a path or query (invalid escapes are kept as they are).
pub fn pct_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if let Some(v) = s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A single `Range: bytes=…` against `size`: `None` when absent or not a single range (serve the
/// whole file), `Some(Err(()))` when unsatisfiable, else the half-open `[start, end)`.
pub fn parse_range(v: &str, size: u64) -> Option<Result<(u64, u64), ()>> {
    let spec = v.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    let r = if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        if n == 0 {
            Err(())
        } else {
            Ok((size.saturating_sub(n), size))
        }
    } else {
        let start: u64 = a.parse().ok()?;
        let end = if b.is_empty() {
            size
        } else {
            (b.parse::<u64>().ok()? + 1).min(size)
        };
        if start >= size || end <= start {
            Err(())
        } else {
            Ok((start, end))
        }
    };
    Some(r)
}

/// The status and byte span a `Range` header asks of a `size`-byte file, or the 416 answer.
pub fn span(range: Option<&str>, size: u64) -> Result<(u16, u64, u64), Response<Body>> {
    match range.and_then(|v| parse_range(v, size)) {
        None => Ok((200, 0, size)),
        Some(Ok((s, e))) => Ok((206, s, e)),
        Some(Err(())) => Err(Response::builder()
            .status(StatusCode::RANGE_NOT_SATISFIABLE)
            .header("Content-Range", format!("bytes */{size}"))
            .header("Accept-Ranges", "bytes")
            .body(Body::empty())
            .unwrap()),
    }
}

/// Faults applied to one response body.
#[derive(Debug, Default)]
pub struct BodyFaults {
    /// Every byte XOR 0x5A (same length).
    pub corrupt: bool,
    /// Drop the connection after this many bytes of the body.
    pub truncate: Option<u64>,
    /// After this many bytes, pause this long, once.
    pub stall: Option<(u64, Duration)>,
}

/// `len` bytes of the file at `disk` from `start`, read in 256 KiB blocks as the client takes
/// them (memory stays flat), with `faults` applied.
pub fn stream(disk: PathBuf, start: u64, len: u64, faults: BodyFaults) -> Body {
    let st = Stream {
        disk,
        file: None,
        start,
        len,
        sent: 0,
        faults,
        done: false,
    };
    Body::from_stream(futures_util::stream::unfold(st, Stream::step))
}

struct Stream {
    disk: PathBuf,
    file: Option<tokio::fs::File>,
    start: u64,
    len: u64,
    sent: u64,
    faults: BodyFaults,
    done: bool,
}

impl Stream {
    async fn step(mut self) -> Option<(std::io::Result<Bytes>, Self)> {
        if self.done || self.sent >= self.len {
            return None;
        }
        if self.faults.truncate.is_some_and(|t| self.sent >= t) {
            self.done = true;
            // Let hyper flush what was sent before the error aborts the connection.
            tokio::time::sleep(Duration::from_millis(200)).await;
            let e = std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "injected truncation");
            return Some((Err(e), self));
        }
        if let Some((after, dur)) = self.faults.stall {
            if self.sent >= after {
                self.faults.stall = None;
                tokio::time::sleep(dur).await;
            }
        }
        if self.file.is_none() {
            let mut f = match tokio::fs::File::open(&self.disk).await {
                Ok(f) => f,
                Err(e) => {
                    self.done = true;
                    return Some((Err(e), self));
                }
            };
            if let Err(e) = f.seek(SeekFrom::Start(self.start)).await {
                self.done = true;
                return Some((Err(e), self));
            }
            self.file = Some(f);
        }
        let mut want = (self.len - self.sent).min(256 * 1024);
        if let Some(t) = self.faults.truncate {
            want = want.min(t - self.sent);
        }
        if let Some((after, _)) = self.faults.stall {
            if after > self.sent {
                want = want.min(after - self.sent);
            }
        }
        let mut buf = vec![0u8; usize::try_from(want).unwrap()];
        let file = self.file.as_mut().unwrap();
        if let Err(e) = file.read_exact(&mut buf).await {
            self.done = true;
            return Some((Err(e), self));
        }
        if self.faults.corrupt {
            for x in &mut buf {
                *x ^= 0x5A;
            }
        }
        self.sent += want;
        Some((Ok(Bytes::from(buf)), self))
    }
}

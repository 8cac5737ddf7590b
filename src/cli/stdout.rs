//! The one way the CLI writes to stdout (`outln!`); `println!` is denied in
//! the CLI so nothing bypasses it.
//!
//! `println!` panics when stdout is gone: `hubsign completions fish | head -1` closes the
//! pipe after one line and the next write fails with `EPIPE` (Rust ignores `SIGPIPE`). Here a
//! closed pipe means the reader has all it wants: the rest of the output is discarded quietly
//! and the command finishes with its own exit status. Any other write error (a full disk
//! behind `> out.json`) is kept and reported once the command is done, as exit 2, because
//! then the output the user asked for is lost.

use std::io::{self, Write};
use std::sync::Mutex;

/// What has happened to stdout so far.
enum State {
    Open,
    /// The reader went away (`EPIPE`): write nothing more, say nothing.
    Closed,
    /// Another write error: write nothing more; reported at exit.
    Failed(io::Error),
}

static STATE: Mutex<State> = Mutex::new(State::Open);

/// Stdout, with a closed pipe swallowed and any other error kept for [`take_error`].
pub struct Stdout;

impl Stdout {
    /// Runs `op` on stdout unless it is already closed or failed; `fallback` stands in for its
    /// result then (the bytes count as written, so callers such as clap_complete carry on).
    fn attempt<T>(fallback: T, op: impl FnOnce(&mut io::StdoutLock<'_>) -> io::Result<T>) -> T {
        let Ok(mut state) = STATE.lock() else {
            return fallback;
        };
        if !matches!(*state, State::Open) {
            return fallback;
        }
        match op(&mut io::stdout().lock()) {
            Ok(v) => v,
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                *state = State::Closed;
                fallback
            }
            Err(e) => {
                *state = State::Failed(e);
                fallback
            }
        }
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(Self::attempt(buf.len(), |out| out.write(buf)))
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        Self::attempt((), |out| out.write_all(buf));
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Self::attempt((), |out| out.flush());
        Ok(())
    }
}

/// Writes one line (used by `outln!`).
pub fn line(args: std::fmt::Arguments<'_>) {
    if super::embed::capture(&args) {
        return;
    }
    let mut out = Stdout;
    // Errors are recorded in STATE, never returned.
    let _ = out.write_fmt(format_args!("{args}\n"));
}

/// Flushes stdout and returns the write error that lost output, if any (not a closed pipe).
pub fn take_error() -> Option<io::Error> {
    let _ = Stdout.flush();
    let mut state = STATE.lock().ok()?;
    match std::mem::replace(&mut *state, State::Closed) {
        State::Failed(e) => Some(e),
        State::Open => {
            *state = State::Open;
            None
        }
        State::Closed => None,
    }
}

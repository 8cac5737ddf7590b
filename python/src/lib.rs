//! `hubsign._native`: the Python binding's one door into hubsign. It runs a command of the
//! hubsign command line in-process ([`hubsign::cli::embed`]) on a worker thread with the GIL
//! released, and turns Ctrl-C into a clean interrupt: the command is cancelled (a pull drops
//! its staging, nothing is cached), the worker is waited for, then `KeyboardInterrupt` is
//! raised. Python names and types stay in the `hubsign` package; the core knows nothing of
//! Python.

use hubsign::cli::embed::{Embedding, Outcome};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often a waiting call looks for Ctrl-C (Python runs signal handlers between waits).
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// Runs `argv` (program name first) on a worker thread; the GIL is released while it runs.
fn run_embedded(py: Python<'_>, argv: Vec<OsString>, embedding: Embedding) -> PyResult<Outcome> {
    let interrupt = embedding.interrupt.clone();
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("hubsign".into())
        .spawn(move || {
            let _ = tx.send(hubsign::cli::embed::run(argv, embedding));
        })
        .map_err(|e| PyRuntimeError::new_err(format!("cannot start a hubsign thread: {e}")))?;
    // The receiver moves in and out of each wait: the closure that runs without the GIL must
    // be `Send`, and a receiver is not `Sync`.
    let mut rx = rx;
    // The first Ctrl-C: the command is cancelled and waited for (a pull drops its staging on the
    // way out). Commands with nothing to cancel (hashing a local model) run to their end; a
    // second Ctrl-C stops waiting for them.
    let mut interrupted: Option<PyErr> = None;
    loop {
        let (answer, back) = py.detach(move || (rx.recv_timeout(SIGNAL_POLL), rx));
        rx = back;
        match answer {
            Ok(outcome) => {
                return match interrupted {
                    Some(signal) => Err(signal),
                    None => Ok(outcome),
                };
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if let Err(signal) = py.check_signals() {
                    if interrupted.is_some() {
                        return Err(signal);
                    }
                    interrupt.cancel();
                    interrupted = Some(signal);
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(PyRuntimeError::new_err(
                    "hubsign stopped without an answer (a bug: please report it)",
                ));
            }
        }
    }
}

/// Runs the hubsign command line with `argv` (program name first) as the `hubsign` program
/// would, writing to this process's stdout and stderr; returns the exit status (0 done,
/// 1 verification failed, 2 error). `program` is the file users run (the wheel's `hubsign`
/// script), recorded where the CLI records its own executable.
#[pyfunction]
#[pyo3(signature = (argv, program=None))]
fn main(py: Python<'_>, argv: Vec<OsString>, program: Option<PathBuf>) -> PyResult<i32> {
    let embedding = Embedding {
        program,
        ..Embedding::default()
    };
    let outcome = run_embedded(py, argv, embedding)?;
    Ok(outcome.status as i32)
}

/// Runs one hubsign command with `argv` (program name first, `--json` given) and returns its
/// exit status and the JSON document it wrote (captured, not printed). `env` holds values read
/// before the process environment's; `progress` draws bars on a terminal's stderr.
#[pyfunction]
#[pyo3(signature = (argv, env, progress))]
fn run(
    py: Python<'_>,
    argv: Vec<OsString>,
    env: Vec<(String, String)>,
    progress: bool,
) -> PyResult<(i32, String)> {
    let embedding = Embedding {
        env,
        capture: true,
        progress,
        interrupt: CancellationToken::new(),
        program: None,
    };
    let outcome = run_embedded(py, argv, embedding)?;
    Ok((outcome.status as i32, outcome.stdout))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(main, m)?)?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    // Benchmarks refuse a debug build: its hashing is ten times slower.
    m.add("debug_build", cfg!(debug_assertions))?;
    Ok(())
}

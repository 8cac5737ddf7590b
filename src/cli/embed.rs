//! One command run in-process for an embedding (the Python binding), on the caller's thread:
//! its stdout captured instead of written, environment values given by the caller ahead of the
//! process's, progress bars allowed beside JSON output, and an interrupt that cancels a hub
//! command (its staging dropped on the way out: nothing half-cached). The command itself is the
//! CLI's, argument for argument, so the binding and the CLI cannot drift apart. Per thread:
//! commands embedded on different threads run at once and never see each other's state.

use crate::ExitStatus;
use std::cell::RefCell;
use std::ffi::OsString;
use std::path::PathBuf;
use tokio_util::sync::CancellationToken;

/// How an embedded command runs. Its `Debug` names the overlaid variables, never their values
/// (a token, a password, a PIN).
#[derive(Default)]
pub struct Embedding {
    /// Environment values read before the process's (e.g. `HF_TOKEN` for a `token=` argument),
    /// never written to the process environment (other threads share it). Options that clap
    /// itself defaults from the environment (`--policy` from `HUBSIGN_POLICY`) read the
    /// process's: the embedding passes those as options.
    pub env: Vec<(String, String)>,
    /// Capture stdout (the `--json` document) instead of writing it.
    pub capture: bool,
    /// Draw progress bars on a terminal even with `--json` output.
    pub progress: bool,
    /// Cancelled by the embedding (Ctrl-C in Python): a hub command stops, exit 2.
    pub interrupt: CancellationToken,
    /// The program a user runs to reach this command line (the wheel's `hubsign` script), where
    /// the CLI would record its own executable (`install-hf-extension`); the running executable
    /// is the Python interpreter.
    pub program: Option<PathBuf>,
}

impl std::fmt::Debug for Embedding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedding")
            .field("env", &self.env.iter().map(|(k, _)| k).collect::<Vec<_>>())
            .field("capture", &self.capture)
            .field("progress", &self.progress)
            .field("interrupt", &self.interrupt)
            .field("program", &self.program)
            .finish()
    }
}

/// What an embedded command ended with.
#[derive(Debug)]
pub struct Outcome {
    pub status: ExitStatus,
    /// What the command wrote to stdout, when captured.
    pub stdout: String,
}

struct Context {
    program: Option<PathBuf>,
    env: Vec<(String, String)>,
    capture: bool,
    progress: bool,
    interrupt: CancellationToken,
    captured: String,
}

thread_local! {
    static CURRENT: RefCell<Option<Context>> = const { RefCell::new(None) };
}

/// Clears this thread's context however the command ends (a panic included).
struct Reset;

impl Drop for Reset {
    fn drop(&mut self) {
        CURRENT.with(|c| c.borrow_mut().take());
    }
}

/// Runs `args` (the program name first) as the CLI would, on this thread.
pub fn run(args: Vec<OsString>, embedding: Embedding) -> Outcome {
    let Embedding {
        env,
        capture,
        progress,
        interrupt,
        program,
    } = embedding;
    CURRENT.with(|c| {
        *c.borrow_mut() = Some(Context {
            program,
            env,
            capture,
            progress,
            interrupt,
            captured: String::new(),
        });
    });
    let reset = Reset;
    let status = super::main(args);
    let stdout = CURRENT
        .with(|c| c.borrow_mut().as_mut().map(|c| std::mem::take(&mut c.captured)))
        .unwrap_or_default();
    drop(reset);
    Outcome { status, stdout }
}

/// Runs `f` on this thread with `env` overlaid on the process environment, as an embedded
/// command sees it: how the settings' tests give each variable a value (an empty one reads as
/// unset) without touching the environment other threads share.
#[cfg(test)]
pub(crate) fn with_env<T>(env: &[(&str, &str)], f: impl FnOnce() -> T) -> T {
    CURRENT.with(|c| {
        *c.borrow_mut() = Some(Context {
            program: None,
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            capture: false,
            progress: false,
            interrupt: CancellationToken::new(),
            captured: String::new(),
        });
    });
    let _reset = Reset;
    f()
}

fn with<T>(f: impl FnOnce(&mut Context) -> T) -> Option<T> {
    CURRENT.with(|c| c.borrow_mut().as_mut().map(f))
}

/// Keeps `line` when this thread's stdout is captured; false when it is not.
pub(super) fn capture(line: &std::fmt::Arguments<'_>) -> bool {
    if !captured() {
        return false;
    }
    // Formatted before the context is borrowed: formatting runs the caller's Display code.
    let text = format!("{line}\n");
    with(|c| c.captured.push_str(&text));
    true
}

/// An environment variable: the embedding's value first, then the process's.
pub(super) fn var_os(name: &str) -> Option<OsString> {
    with(|c| {
        c.env
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| OsString::from(v))
    })
    .flatten()
    .or_else(|| std::env::var_os(name))
}

/// [`var_os`] as UTF-8 (none when it is not).
pub(super) fn var(name: &str) -> Option<String> {
    var_os(name).and_then(|v| v.into_string().ok())
}

/// The embedding asked for progress bars beside JSON output.
pub(super) fn progress() -> bool {
    with(|c| c.progress).unwrap_or(false)
}

/// The program the embedding names for this command line ([`Embedding::program`]).
pub(super) fn program() -> Option<PathBuf> {
    with(|c| c.program.clone()).flatten()
}

/// The embedding's interrupt, when a command is embedded.
pub(super) fn interrupt() -> Option<CancellationToken> {
    with(|c| c.interrupt.clone())
}

/// A user can be asked on a terminal (a password, a PIN): stdin is one and the command is not
/// captured — an embedded command takes its secrets as arguments and never waits on a prompt.
pub(super) fn terminal_input() -> bool {
    use std::io::IsTerminal as _;
    !captured() && std::io::stdin().is_terminal()
}

/// This thread's stdout is captured: the embedding reads every answer as JSON data.
pub(super) fn captured() -> bool {
    with(|c| c.capture).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::{Embedding, run};
    use crate::ExitStatus;

    fn captured() -> Embedding {
        Embedding {
            capture: true,
            ..Embedding::default()
        }
    }

    fn args(list: &[&str]) -> Vec<std::ffi::OsString> {
        std::iter::once("hubsign")
            .chain(list.iter().copied())
            .map(Into::into)
            .collect()
    }

    #[test]
    fn a_captured_command_returns_its_json_and_leaves_no_state_behind() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::write(dir.path().join("weights.bin"), b"abc").unwrap();
        let model = dir.path().to_str().unwrap();
        let embedding = Embedding {
            env: vec![("HUBSIGN_EMBED_TEST".into(), "set".into())],
            ..captured()
        };
        let outcome = run(args(&["digest", model, "--json"]), embedding);
        assert_eq!(outcome.status, ExitStatus::Success);
        let doc: serde_json::Value = serde_json::from_str(&outcome.stdout).unwrap();
        assert_eq!(doc["manifest"][0]["name"], "weights.bin");
        assert!(doc["digest"].as_str().unwrap().starts_with("sha256:"));
        // The context ends with the command: nothing is captured or overlaid afterwards.
        assert!(!super::captured());
        assert_eq!(super::var("HUBSIGN_EMBED_TEST"), None);
    }

    #[test]
    fn the_embeddings_values_come_before_the_process_environment() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("a-file");
        fs_err::write(&home, b"").unwrap();
        let embedding = Embedding {
            env: vec![("HOME".into(), home.to_str().unwrap().into())],
            ..captured()
        };
        // `install-hf-extension` finds hf's folder under HOME: the overlay's HOME, a file no
        // folder can be made in, names the error (the process's HOME is never used).
        let outcome = run(args(&["install-hf-extension", "--json"]), embedding);
        assert_eq!(outcome.status, ExitStatus::Error, "{}", outcome.stdout);
        let doc: serde_json::Value = serde_json::from_str(&outcome.stdout).unwrap();
        assert!(doc.to_string().contains("a-file"), "{doc}");
        assert_eq!(doc["kind"], "file", "{doc}");
        assert_eq!(doc["errno"], 20, "ENOTDIR, found under fs_err's wrapper: {doc}");
    }

    #[test]
    fn the_overlay_is_seen_during_the_command_only() {
        let embedding = Embedding {
            env: vec![("HUBSIGN_EMBED_TEST".into(), "set".into())],
            ..captured()
        };
        // `--pin-env` reads its variable through the overlay; the value never reaches output.
        let dir = tempfile::tempdir().unwrap();
        let outcome = run(
            args(&[
                "sign",
                dir.path().to_str().unwrap(),
                "--pkcs11-uri=pkcs11:token=none",
                "--pkcs11-module=/nonexistent/module.so",
                "--pin-env=HUBSIGN_EMBED_TEST",
                "--json",
            ]),
            embedding,
        );
        assert_eq!(outcome.status, ExitStatus::Error);
        assert!(!outcome.stdout.contains("set\""), "{}", outcome.stdout);
        assert!(
            !outcome.stdout.contains("HUBSIGN_EMBED_TEST"),
            "{}",
            outcome.stdout
        );
        assert_eq!(super::var("HUBSIGN_EMBED_TEST"), None);
    }

    #[test]
    fn refused_arguments_are_data_when_captured() {
        let outcome = run(args(&["verify", "--json"]), captured());
        assert_eq!(outcome.status, ExitStatus::Error);
        let doc: serde_json::Value = serde_json::from_str(&outcome.stdout).unwrap();
        assert_eq!(doc["kind"], "usage");
        let error = doc["error"].as_str().unwrap();
        assert!(error.contains("<MODEL>") && !error.contains("Usage:"), "{error}");
    }
}

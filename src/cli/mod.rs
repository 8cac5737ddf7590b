//! The thin command-line layer: parse (`args`), resolve settings once (`settings`), call the
//! core (`commands`, one file per command), render the result. The only module that prints and
//! the only one that reads the environment; the core never imports it. Built with the `cli`
//! feature: the `hubsign` binary runs [`main`], the Python binding runs one command through
//! [`embed`].
#![expect(clippy::print_stderr, reason = "the CLI is where output happens")]

/// `println!` for the CLI: through `stdout::Stdout`, so a closed pipe never panics (or, for an
/// embedded command, into its captured output). Defined before the modules that use it.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::cli::stdout::line(format_args!($($arg)*))
    };
}

mod args;
mod commands;
mod diagnostics;
pub mod embed;
mod error;
mod reporter;
mod settings;
mod stdout;

use crate::ExitStatus;
use args::{Cli, Command};
use clap::Parser as _;
use error::Result;
use std::ffi::OsString;
use std::io::IsTerminal as _;

/// The one output mode every command renders in (instead of `json`/`quiet` flags threaded
/// through each function).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// `-qq`: nothing on stdout; the exit code and errors only.
    Silent,
    /// `-q`: results meant for scripts on stdout, no summaries or progress.
    Quiet,
    /// Summaries and progress bars (when stderr is a terminal) on stderr, results on stdout.
    Normal,
    /// `--json`: one JSON document on stdout.
    Json,
}

impl Output {
    fn new(json: bool, quiet: u8) -> Self {
        match (json, quiet) {
            (true, _) => Self::Json,
            (false, 0) => Self::Normal,
            (false, 1) => Self::Quiet,
            (false, _) => Self::Silent,
        }
    }

    fn is_json(self) -> bool {
        self == Self::Json
    }

    /// Human summaries (and warnings) are shown.
    fn chatty(self) -> bool {
        self == Self::Normal
    }

    /// Results for scripts (a path, a URL, a digest) go to stdout.
    fn results(self) -> bool {
        matches!(self, Self::Normal | Self::Quiet)
    }

    /// Progress bars are drawn (also needs stderr to be a terminal); beside JSON only when an
    /// embedding asks ([`embed::Embedding::progress`]).
    fn bars(self) -> bool {
        (self == Self::Normal || (self == Self::Json && embed::progress())) && std::io::stderr().is_terminal()
    }
}

/// Runs the CLI and returns the process exit status.
pub fn main(args: Vec<OsString>) -> ExitStatus {
    let args = args::plugin_args(args);
    if let Some((word, rest)) = args::without_method_word(&args) {
        eprintln!("error: `{word}` is model_signing's method word, not a model: hubsign infers the method");
        let explicit = match word.as_str() {
            "pkcs11-key" => "--pkcs11-uri URI signs with a token's key".to_owned(),
            "pkcs11-certificate" => {
                "--pkcs11-uri URI with --signing-certificate signs with a token's key".to_owned()
            }
            w => format!("--method {w} makes it explicit"),
        };
        eprintln!("hint: drop it: hubsign {rest} ({explicit})");
        return ExitStatus::Error;
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(mut e) => {
            args::suggest_canonical_flag(&mut e);
            if embed::captured() && e.use_stderr() {
                // The embedding reads errors as data, like every other refusal.
                diagnostics::report_usage(&e.render().to_string());
                return ExitStatus::Error;
            }
            let _ = e.print();
            return if e.use_stderr() {
                ExitStatus::Error
            } else {
                ExitStatus::Success
            };
        }
    };
    let json = cli.json;
    let status = match run(cli) {
        Ok(status) => status,
        Err(error) => {
            diagnostics::report(&error, json);
            error.exit_status()
        }
    };
    // A captured command wrote nothing to the process's stdout: another command's failed
    // write there is not this one's.
    if embed::captured() {
        return status;
    }
    match stdout::take_error() {
        Some(e) => {
            eprintln!("error: cannot write to standard output: {e}");
            ExitStatus::Error
        }
        None => status,
    }
}

/// One command, by its file in [`commands`].
fn run(cli: Cli) -> Result<ExitStatus> {
    let out = Output::new(cli.json, cli.quiet);
    match cli.command {
        Command::Sign(args) => commands::sign::run(&args, out),
        Command::Verify(args) => commands::verify::run(&args, out),
        Command::Attest(args) => commands::attest::run(&args, out),
        Command::Digest(args) => commands::digest::run(&args, out),
        Command::Pull(args) => commands::pull::run(&args, out),
        Command::Push(args) => commands::push::run(&args, out),
        Command::Inspect(args) => commands::inspect::run(&args, out),
        Command::Check(args) => commands::check::run(&args, out),
        Command::VerifyCache(args) => commands::verify_cache::run(&args, out),
        Command::Sync(args) => commands::sync::run(&args, out),
        Command::Audit(args) => commands::audit::run(&args, out),
        Command::Staging(args) => commands::staging::run(&args, out),
        Command::Serve(args) => commands::serve::run(&args, out),
        Command::Keygen(args) => commands::keygen::run(&args, out),
        Command::InstallHfExtension => commands::install_hf_extension::run(out),
        Command::Completions { shell } => Ok(commands::completions::run(shell)),
    }
}

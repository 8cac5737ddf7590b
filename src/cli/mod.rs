//! The thin command-line layer: parse, resolve settings, call the core, render the result.
//! The only module that prints.
#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "the CLI is where output happens"
)]

pub mod args;
mod diagnostics;
mod settings;

use args::{Cli, Command};
use clap::{CommandFactory as _, Parser as _};
use hubsign::verify::VerificationReport;
use hubsign::{ExitStatus, Result};
use serde_json::json;
use std::ffi::OsString;

/// Drops the subcommand word cargo inserts when running `cargo hubsign …` (it execs
/// `cargo-hubsign hubsign …`); `git hubsign` and `hf hubsign` pass no extra word.
pub fn plugin_args(mut args: Vec<OsString>) -> Vec<OsString> {
    let invoked_as = args
        .first()
        .and_then(|a| {
            std::path::Path::new(a)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
        })
        .unwrap_or_default();
    if invoked_as == "cargo-hubsign" && args.get(1).is_some_and(|a| a == "hubsign") {
        args.remove(1);
    }
    args
}

/// Runs the CLI and returns the process exit status.
pub fn main(args: Vec<OsString>) -> ExitStatus {
    let cli = match Cli::try_parse_from(plugin_args(args)) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitStatus::Error
            } else {
                ExitStatus::Success
            };
        }
    };
    let json = cli.json;
    match run(cli) {
        Ok(status) => status,
        Err(error) => {
            diagnostics::report(&error, json);
            error.exit_status()
        }
    }
}

fn run(cli: Cli) -> Result<ExitStatus> {
    match cli.command {
        Command::Sign(args) => {
            let signer = settings::signer(&args)?;
            let request = settings::sign_request(&args)?;
            let outcome = hubsign::sign::sign_model(request, &signer)?;
            let root = hex::encode(outcome.manifest.root_digest());
            if cli.json {
                let out = json!({
                    "signed": true,
                    "signature": outcome.signature,
                    "method": signer.method(),
                    "resources": outcome.manifest.resources.len(),
                    "subject_digest": format!("sha256:{root}"),
                });
                println!("{out}");
            } else if !cli.quiet {
                println!(
                    "Signing succeeded: {} ({} resources, sha256:{root})",
                    outcome.signature.display(),
                    outcome.manifest.resources.len()
                );
            }
            Ok(ExitStatus::Success)
        }
        Command::Verify(args) => {
            let anchor = settings::trust_anchor(&args)?;
            let check = settings::model_check(&args)?;
            let signature = args
                .signature
                .clone()
                .unwrap_or_else(|| settings::default_signature_path(&args.walk.model));
            let report = hubsign::verify::verify_model(&args.walk.model, &signature, &anchor, &check)?;
            render_report(&report, cli.json, cli.quiet);
            Ok(if report.verified {
                ExitStatus::Success
            } else {
                ExitStatus::VerificationFailed
            })
        }
        Command::Digest(args) => {
            let mut walk = settings::walk_options(&args.walk)?;
            let signature = args
                .signature
                .clone()
                .unwrap_or_else(|| settings::default_signature_path(&args.walk.model));
            walk.ignore_paths
                .extend(hubsign::manifest::path_inside_model(&args.walk.model, &signature));
            let (method, hash) = settings::serialization(&args.hash);
            let manifest = hubsign::manifest::build_manifest(&args.walk.model, &walk, method, hash)?;
            let root = hex::encode(manifest.root_digest());
            if cli.json {
                println!(
                    "{}",
                    json!({ "digest": format!("sha256:{root}"), "resources": manifest.resources.len() })
                );
            } else {
                println!("sha256:{root}");
            }
            Ok(ExitStatus::Success)
        }
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "hubsign", &mut std::io::stdout());
            Ok(ExitStatus::Success)
        }
    }
}

fn render_report(report: &VerificationReport, json: bool, quiet: bool) {
    if json {
        println!("{}", serde_json::to_string(report).unwrap_or_default());
        return;
    }
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    if report.verified {
        if !quiet {
            println!(
                "Verification succeeded: {} files match, signed by {}",
                report.files_checked, report.signer
            );
        }
        return;
    }
    eprintln!(
        "Verification failed: the model does not match its signature (signed by {})",
        report.signer
    );
    for (label, files) in [
        ("modified", &report.modified),
        ("missing", &report.missing),
        ("unexpected", &report.unexpected),
    ] {
        for f in files {
            eprintln!("  {label}: {f}");
        }
    }
    if !report.unexpected.is_empty() {
        eprintln!(
            "hint: files not covered by the signature fail verification; --ignore-unsigned-files skips them"
        );
    }
}

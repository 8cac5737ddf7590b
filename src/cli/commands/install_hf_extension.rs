//! `hubsign install-hf-extension`: register hubsign as `hf hubsign` (the core writes the
//! manifest, [`crate::hf_extension`]); this layer finds the home directory and reports.
#![expect(clippy::print_stderr, reason = "the CLI is where output happens")]

use crate::ExitStatus;
use crate::cli::Output;
use crate::cli::error::Result;
use serde_json::json;

pub fn run(out: Output) -> Result<ExitStatus> {
    let root = crate::cli::settings::hf_extensions_dir()?;
    let exe = crate::cli::embed::program()
        .map_or_else(std::env::current_exe, Ok)
        .and_then(fs_err::canonicalize)
        .map_err(|source| crate::Error::Io {
            action: "cannot locate",
            path: "the hubsign executable".into(),
            source,
        })?;
    let description = format!(
        "Sign and verify models (OpenSSF Model Signing); verified pulls and pushes (hubsign {})",
        env!("CARGO_PKG_VERSION")
    );
    let installed = crate::hf_extension::install(&root, &exe, &description, std::time::SystemTime::now())
        .map_err(crate::Error::from)?;
    if out.is_json() {
        outln!(
            "{}",
            json!({
                "installed": true,
                "command": "hf hubsign",
                "manifest": installed.manifest,
                "executable": exe,
                "replaced": installed.replaced,
            })
        );
    } else {
        if out.chatty() {
            eprintln!(
                "Registered `hf hubsign` (runs {}){}",
                exe.display(),
                if installed.replaced {
                    "; the previous registration was replaced"
                } else {
                    ""
                }
            );
        }
        if out.results() {
            outln!("{}", installed.manifest.display());
        }
    }
    Ok(ExitStatus::Success)
}

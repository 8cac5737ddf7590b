//! `hubsign check MODEL`: steps 1–3 of a pull (signature, trust, listing), nothing downloaded.
#![expect(clippy::print_stderr, reason = "the CLI is where output happens")]

use super::block_on;
use crate::ExitStatus;
use crate::cli::Output;
use crate::cli::diagnostics;
use crate::cli::error::Result;
use crate::cli::settings::hub::{HubTarget, with_remote};
use serde_json::json;

pub fn run(args: &crate::cli::args::CheckArgs, out: Output) -> Result<ExitStatus> {
    let HubTarget { remote, target } = HubTarget::resolve(&args.model, &args.trust)?;
    let plan = with_remote!(&remote, |hub, _cache| block_on(crate::pull::plan(&hub, &target))?);
    let bytes: u64 = plan.to_fetch.iter().map(|f| f.size).sum();
    if out.is_json() {
        let doc = json!({
            "verified": true,
            "repo": target.repo.to_string(),
            "commit": plan.commit,
            "pinned": target.repo.pinned(&plan.commit),
            "signer": plan.verified.signer,
            "files": plan.signed_files(),
            "bytes": bytes,
            "skipped": plan.skipped,
            "warnings": plan.verified.warnings,
        });
        outln!("{doc}");
    } else if out.chatty() {
        for w in &plan.verified.warnings {
            eprintln!("warning: {w}");
        }
        outln!(
            "Check passed: {} is signed by {}; {} ({bytes} bytes) {} the signed manifest (nothing downloaded)",
            target.repo.pinned(&plan.commit),
            plan.verified.signer,
            diagnostics::count(plan.signed_files(), "file"),
            if plan.signed_files() == 1 {
                "matches"
            } else {
                "match"
            }
        );
    }
    Ok(ExitStatus::Success)
}

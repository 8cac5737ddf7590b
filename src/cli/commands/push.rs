//! `hubsign push MODEL REPO`: sign if needed, check the model against its signature, publish
//! both as one commit (a new version on Kaggle), and check what the hub then holds.
#![expect(clippy::print_stderr, reason = "the CLI is where output happens")]

use super::block_on;
use crate::ExitStatus;
use crate::cli::error::Result;
use crate::cli::settings::hub::with_remote;
use crate::cli::settings::push::PushSettings;
use crate::cli::{Output, diagnostics, reporter};
use serde_json::json;

pub fn run(args: &crate::cli::args::PushArgs, out: Output) -> Result<ExitStatus> {
    let PushSettings { request: req, remote } = PushSettings::resolve(args)?;
    let bars = std::sync::Arc::new(reporter::Bars::new(out.bars()));
    let outcome = with_remote!(&remote, |hub, _cache| block_on(crate::push::push(
        &hub, &req, bars
    ))?);
    let pinned = req.repo.pinned(&outcome.commit);
    if outcome.unchanged {
        let message = format!(
            "nothing to push: {} of {} already holds this signed model (commit {})",
            req.revision, req.repo, outcome.commit
        );
        if out.is_json() {
            let doc = json!({
                "pushed": false,
                "unchanged": true,
                "message": message,
                "repo": req.repo.to_string(),
                "revision": req.revision,
                "commit": outcome.commit,
                "pinned": pinned,
                "commit_url": outcome.commit_url,
                "signed": outcome.signed,
                "files": outcome.files,
                "uploaded_bytes": 0,
            });
            outln!("{doc}");
        } else {
            if out.chatty() {
                eprintln!("{message}");
            }
            if out.results() {
                outln!("{}", outcome.commit_url);
            }
        }
        return Ok(ExitStatus::Success);
    }
    if out.is_json() {
        let doc = json!({
            "pushed": true,
            "unchanged": false,
            "repo": req.repo.to_string(),
            "commit": outcome.commit,
            "pinned": pinned,
            "commit_url": outcome.commit_url,
            "pull_request_url": outcome.pull_request_url,
            "signed": outcome.signed,
            "files": outcome.files,
            "uploaded_bytes": outcome.uploaded_bytes,
            "deduplicated": outcome.deduplicated,
        });
        outln!("{doc}");
        return Ok(ExitStatus::Success);
    }
    let kaggle = req.repo.hub == crate::reference::HubKind::Kaggle;
    if out.chatty() {
        let verb = if outcome.signed {
            "Signed and pushed"
        } else {
            "Pushed"
        };
        if kaggle {
            eprintln!(
                "{verb} {} as {pinned} ({} bytes uploaded); the new version passes the pre-download check",
                diagnostics::count(outcome.files, "file"),
                outcome.uploaded_bytes
            );
        } else if req.repo.hub == crate::reference::HubKind::Oci {
            eprintln!(
                "{verb} {} as {pinned} ({} bytes uploaded, {} already in the registry); the pushed artifact passes the pre-download check",
                diagnostics::count(outcome.files, "file"),
                outcome.uploaded_bytes,
                diagnostics::count(outcome.deduplicated, "layer")
            );
        } else {
            eprintln!(
                "{verb} {} to {} ({} LFS bytes uploaded, {} already on the hub); the pushed commit passes the pre-download check",
                diagnostics::count(outcome.files, "file"),
                req.repo,
                outcome.uploaded_bytes,
                diagnostics::count(outcome.deduplicated, "LFS object")
            );
        }
    }
    if out.results() {
        // Kaggle: the new version's handle, as kagglehub takes it.
        if kaggle {
            outln!("{pinned}");
        } else {
            outln!(
                "{}",
                outcome.pull_request_url.as_deref().unwrap_or(&outcome.commit_url)
            );
        }
    }
    Ok(ExitStatus::Success)
}

//! `hubsign pull MODEL`: the verified pull into the hub's cache (or `--local-dir`), with the
//! lock's signer pin checked before any weight is downloaded; offline (`HF_HUB_OFFLINE`) the
//! cached snapshot is verified instead.
#![expect(clippy::print_stderr, reason = "the CLI is where output happens")]

use super::lock::PullLock;
use super::{block_on, verify_cached};
use crate::ExitStatus;
use crate::cli::error::{CliError, Result};
use crate::cli::settings::hub::{HubTarget, with_remote};
use crate::cli::{Output, diagnostics, reporter};
use serde_json::json;

pub fn run(args: &crate::cli::args::PullArgs, out: Output) -> Result<ExitStatus> {
    let HubTarget { remote, target } = HubTarget::resolve(&args.model, &args.trust)?;
    let lock = PullLock::open(args)?;
    if remote.offline() {
        if args.lock.is_some() {
            return Err(CliError::Offline {
                option: "--lock",
                reason: "records a pull from the hub; `hubsign sync` checks the cache against the lock offline",
            });
        }
        if args.local_dir.is_some() {
            return Err(CliError::Offline {
                option: "--local-dir",
                reason: "needs the network",
            });
        }
        // Patterns select among what is cached (huggingface_hub returns the cached snapshot
        // whatever they say): every file there must be signed and match, as after a partial pull.
        let partial = !args.include.is_empty() || !args.exclude.is_empty();
        return with_remote!(&remote, |_hub, cache| verify_cached(
            &cache,
            &target,
            out,
            (&args.files, partial),
            lock.as_ref()
        ));
    }
    let destination = match &args.local_dir {
        Some(dir) => crate::pull::Destination::LocalDir {
            dir: dir.clone(),
            mode: if args.force {
                crate::cache::LocalDirMode::ReplaceForeign
            } else {
                crate::cache::LocalDirMode::RefuseForeign
            },
        },
        None => crate::pull::Destination::Cache,
    };
    for f in &args.files {
        crate::hub::check_remote_path(f).map_err(crate::Error::from)?;
    }
    let req = crate::pull::PullRequest {
        ref_name: Some(target.revision.clone()),
        flush: crate::pull::Flush::EachLargeFile,
        target,
        selection: crate::pull::Selection {
            files: args.files.clone(),
            include: args.include.clone(),
            exclude: args.exclude.clone(),
        },
        concurrency: usize::from(args.concurrency),
        destination,
    };
    let bars = std::sync::Arc::new(reporter::Bars::new(out.bars()));
    let (outcome, entry) = with_remote!(&remote, |hub, cache| block_on(async {
        let plan = crate::pull::plan(&hub, &req.target).await?;
        // The lock's signer pin is checked before any weight is downloaded.
        let entry = crate::sync::entry_for(&req.target, &plan, &req.selection);
        if let Some(lock) = &lock {
            lock.check(&entry)?;
        }
        let outcome = crate::pull::pull(&hub, &cache, &req, plan, bars).await?;
        Ok::<_, crate::Error>((outcome, entry))
    })?);
    let locked = match lock {
        Some(lock) => lock.record(entry, outcome.files)?,
        None => None,
    };
    render_pull(out, &req.target.repo, &outcome, locked.as_deref());
    Ok(ExitStatus::Success)
}

fn render_pull(
    out: Output,
    repo: &crate::reference::ModelRef,
    outcome: &crate::pull::PullOutcome,
    locked: Option<&std::path::Path>,
) {
    // Files of the user's moved aside are always listed, even with -q or --json (which
    // lists them too): they left where the user had them.
    if let Some(d) = outcome.displaced.as_ref().filter(|_| out != Output::Silent) {
        eprintln!(
            "Moved {} {} hubsign did not place into {} (nothing was deleted):",
            d.files.len(),
            if d.files.len() == 1 { "file" } else { "files" },
            d.folder.display()
        );
        for f in &d.files {
            eprintln!("  {f}");
        }
    }
    if out.is_json() {
        let doc = json!({
            "verified": true,
            "repo": repo.to_string(),
            "commit": outcome.commit,
            "pinned": repo.pinned(&outcome.commit),
            "path": outcome.path,
            "files": outcome.files,
            "downloaded_bytes": outcome.downloaded_bytes,
            "reused": outcome.reused,
            "skipped": outcome.skipped,
            "signer": outcome.signer,
            "warnings": outcome.warnings,
            "lock": locked,
            "displaced": outcome.displaced.as_ref().map(|d| json!({
                "folder": d.folder,
                "files": d.files,
            })),
        });
        outln!("{doc}");
        return;
    }
    if out.chatty() {
        for w in &outcome.warnings {
            eprintln!("warning: {w}");
        }
        if let Some(path) = locked {
            eprintln!("Locked {} in {}", repo.pinned(&outcome.commit), path.display());
        }
        eprintln!(
            "Verified {}: {} signed by {} ({} bytes downloaded, {} reused from the cache)",
            repo.pinned(&outcome.commit),
            diagnostics::count(outcome.files, "file"),
            outcome.signer,
            outcome.downloaded_bytes,
            outcome.reused
        );
        if !outcome.skipped.is_empty() {
            eprintln!(
                "Not downloaded (not covered by the signature): {}",
                outcome.skipped.join(", ")
            );
        }
    }
    if out.results() {
        outln!("{}", outcome.path.display());
    }
}

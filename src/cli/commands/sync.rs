//! `hubsign sync`: reproduce the lock file: every entry pulled at its locked commit, with the
//! locked digest, signature and signer (offline: the caches checked against the lock). The
//! rules live in the core (`crate::sync`); this layer resolves each entry's settings and
//! renders.
#![expect(clippy::print_stderr, reason = "the CLI is where output happens")]

use super::block_on;
use super::lock::normalise_ref;
use crate::cli::error::{CliError, Result};
use crate::cli::settings::hub::{Remote, with_remote};
use crate::cli::settings::trust::TrustFlags;
use crate::cli::{Output, args, diagnostics, reporter};
use crate::lock::{LockedModel, Lockfile};
use crate::pull::Target;
use crate::reference::{HubKind, ModelRef};
use crate::{Error, ExitStatus};
use serde_json::json;
use std::path::PathBuf;

/// What one synced entry became.
struct Synced {
    commit: String,
    path: PathBuf,
    files: usize,
    downloaded_bytes: u64,
}

/// Resolves one entry's hub, cache and trust, then syncs it (or checks the cache offline).
fn sync_entry(args: &args::SyncArgs, entry: &LockedModel, out: Output) -> Result<Synced> {
    let repo = ModelRef::parse(&entry.reference, None).map_err(Error::from)?;
    let cache_dir = match repo.hub {
        HubKind::HuggingFace => args.cache_dir.as_deref(),
        HubKind::Kaggle => args.kagglehub_cache.as_deref(),
        HubKind::Oci => args.oci_cache.as_deref(),
    };
    let remote = Remote::resolve(
        &repo,
        cache_dir,
        &args.kaggle,
        &args.registry,
        std::time::Duration::from_secs(args.timeout),
    )?;
    let (anchor, required) = TrustFlags::hub(&args.trust, &repo).anchor_and_claims()?;
    let target = Target {
        claims: crate::pull::ClaimsCheck {
            path: crate::hub::claims_path(repo.hub, crate::hub::signature_path(repo.hub)),
            required,
        },
        signature_path: crate::hub::signature_path(repo.hub).to_owned(),
        repo,
        revision: entry.commit.clone(),
        anchor,
        unsigned: crate::verify::UnsignedFiles::Reject,
    };
    if remote.offline() {
        let cached = with_remote!(&remote, |_hub, cache| crate::sync::check_cached(
            &cache, &target, entry
        ))?;
        return Ok(Synced {
            commit: cached.commit,
            path: cached.snapshot,
            files: cached.files,
            downloaded_bytes: 0,
        });
    }
    let req = crate::sync::request(target, entry, usize::from(args.concurrency));
    let bars = std::sync::Arc::new(reporter::Bars::new(out.bars()));
    let outcome = with_remote!(&remote, |hub, cache| block_on(crate::sync::sync(
        &hub, &cache, entry, &req, bars
    ))?);
    Ok(Synced {
        commit: outcome.commit,
        path: outcome.path,
        files: outcome.files,
        downloaded_bytes: outcome.downloaded_bytes,
    })
}

pub fn run(args: &args::SyncArgs, out: Output) -> Result<ExitStatus> {
    if fs_err::symlink_metadata(&args.lock).is_err() {
        return Err(CliError::NoLockFile {
            path: args.lock.clone(),
        });
    }
    let lock = Lockfile::read(&args.lock, normalise_ref).map_err(Error::from)?;
    let mut status = ExitStatus::Success;
    let mut entries = Vec::new();
    for entry in &lock.models {
        let result = sync_entry(args, entry, out);
        match &result {
            Ok(s) => {
                if out.chatty() {
                    eprintln!(
                        "Synced {} at {}: {} ({} bytes downloaded)",
                        entry.reference,
                        s.commit,
                        diagnostics::count(s.files, "file"),
                        s.downloaded_bytes
                    );
                }
                if out.results() {
                    outln!("{}", s.path.display());
                }
                entries.push(json!({
                    "ref": entry.reference, "commit": s.commit, "status": "synced",
                    "path": s.path, "files": s.files, "downloaded_bytes": s.downloaded_bytes,
                }));
            }
            Err(e) => {
                let code = e.exit_status();
                // A definite "no" (1) outranks "no decision" (2): a gate testing for 1 must
                // see any entry that differs, whatever else failed.
                status = match (status, code) {
                    (ExitStatus::VerificationFailed, _) | (_, ExitStatus::VerificationFailed) => {
                        ExitStatus::VerificationFailed
                    }
                    (_, code) => code,
                };
                if !out.is_json() {
                    eprintln!("{}: not synced", entry.reference);
                    diagnostics::report(e, false);
                }
                let (message, causes) = diagnostics::describe(e);
                entries.push(json!({
                    "ref": entry.reference, "commit": entry.commit,
                    "status": if code == ExitStatus::VerificationFailed { "differs" } else { "failed" },
                    "error": message, "causes": causes, "exit_code": code as i32,
                }));
            }
        }
    }
    if out.is_json() {
        outln!(
            "{}",
            json!({ "lock": args.lock, "ok": status == ExitStatus::Success, "entries": entries })
        );
    } else if out.chatty() && lock.models.is_empty() {
        eprintln!("{} locks nothing", args.lock.display());
    }
    Ok(status)
}

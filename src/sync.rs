//! `hubsign sync` and the lock side of `pull --lock`, as straight-line steps over the same
//! [`Hub`] and [`CacheLayout`] seams as [`crate::pull`]:
//!
//! 1. [`entry_for`]: what a verified plan would record in `hubsign.lock`.
//! 2. [`sync`]: pin the *locked* commit, verify its signature, compare commit, digest, signature
//!    hash and signer with the entry — before a weight is downloaded — then the verified pull,
//!    which points the locked revision's ref at the locked commit.
//! 3. [`check_cached`] (offline): re-verify the cached snapshot at the locked commit, check that
//!    the locked revision resolves to it in the cache, and compare it with the entry the same way.
//!
//! Any difference is [`LockError::Differs`] (exit 1); nothing of that entry reaches the cache.

use crate::cache::{CacheError, CacheLayout};
use crate::hub::{Hub, HubError};
use crate::lock::{LockError, LockedModel, Observed};
use crate::progress::Progress;
use crate::pull::{self, Plan, PullOutcome, PullRequest, Selection, Target};
use crate::verify::Coverage;
use crate::{Error, Result};
use std::path::PathBuf;
use std::sync::Arc;

/// The lock entry a verified plan makes (`files` counts the files the signature covers, as
/// [`Plan::signed_files`]; a pull sets it to what it committed, [`PullOutcome::files`]).
#[must_use]
pub fn entry_for(target: &Target, plan: &Plan, selection: &Selection) -> LockedModel {
    let mut paths: Vec<String> = if selection.is_all() {
        Vec::new()
    } else {
        plan.to_fetch
            .iter()
            .filter(|f| selection.selects(&f.path))
            .map(|f| f.path.clone())
            .collect()
    };
    paths.sort();
    LockedModel {
        reference: target.repo.canonical(),
        revision: target.revision.clone(),
        commit: plan.commit.clone(),
        digest: format!("sha256:{}", hex::encode(plan.verified.subject_digest())),
        signature: format!("sha256:{}", hex::encode(plan.signature_digest())),
        claims: plan.claims_digest.map(|d| format!("sha256:{}", hex::encode(d))),
        files: plan.signed_files(),
        paths,
        signer: plan.verified.signer_id.clone(),
    }
}

fn differs(entry: &LockedModel, differences: Vec<String>) -> Error {
    LockError::Differs {
        reference: entry.reference.clone(),
        differences,
    }
    .into()
}

fn compare(entry: &LockedModel, found: &Observed<'_>) -> Result<()> {
    let differences = entry.differences(found);
    if differences.is_empty() {
        Ok(())
    } else {
        Err(differs(entry, differences))
    }
}

/// The pull request that reproduces `entry`: its locked commit, its files, into the cache, and
/// the locked revision's ref pointed at that commit (what an application loads by that name).
#[must_use]
pub fn request(target: Target, entry: &LockedModel, concurrency: usize) -> PullRequest {
    PullRequest {
        target: Target {
            revision: entry.commit.clone(),
            ..target
        },
        selection: Selection {
            files: entry.paths.clone(),
            include: Vec::new(),
            exclude: Vec::new(),
        },
        concurrency,
        destination: pull::Destination::Cache,
        ref_name: Some(entry.revision.clone()),
        flush: crate::pull::Flush::EachLargeFile,
    }
}

/// Pulls `entry` at its locked commit (`req` from [`request`]), refusing any difference from
/// the lock before a weight is downloaded.
///
/// # Errors
/// [`LockError::Differs`] for a commit gone from the hub or another digest, signature or
/// signer; otherwise what [`pull::plan`] and [`pull::pull`] return.
pub async fn sync<H: Hub, C: CacheLayout>(
    hub: &H,
    cache: &C,
    entry: &LockedModel,
    req: &PullRequest,
    progress: Arc<dyn Progress>,
) -> Result<PullOutcome> {
    for p in &entry.paths {
        crate::hub::check_remote_path(p)?;
    }
    // The revision names the ref the pull moves: a git ref name (a registry's tag), nothing else.
    req.target.repo.check_revision(&entry.revision)?;
    // 1-3 of the pull: pin, list, verify the signature against the trust anchor.
    let plan = match pull::plan(hub, &req.target).await {
        Err(Error::Hub(HubError::RevisionNotFound { .. })) => {
            return Err(differs(
                entry,
                vec![format!("commit {} is no longer on the hub", entry.commit)],
            ));
        }
        other => other?,
    };
    // 4. The lock's facts, from the verified signature alone.
    let found = entry_for(&req.target, &plan, &req.selection);
    compare(
        entry,
        &Observed {
            commit: &found.commit,
            digest: &found.digest,
            signature: &found.signature,
            claims: found.claims.as_deref(),
            signer: &found.signer,
        },
    )?;
    // 5. The verified pull.
    pull::pull(hub, cache, req, plan, progress).await
}

/// What an offline check found: the commit, its snapshot, how many files were re-hashed.
#[derive(Debug)]
pub struct CachedEntry {
    pub commit: String,
    pub snapshot: PathBuf,
    pub files: usize,
}

/// Offline: the cached snapshot of `entry`'s commit, re-verified against `target`'s anchor,
/// must be the locked one, and the locked revision must resolve to it in the cache. A snapshot
/// that is missing, unusable or different, or a revision resolving elsewhere, is
/// [`LockError::Differs`].
///
/// # Errors
/// [`LockError::Differs`], or an error reading the cache.
pub fn check_cached<C: CacheLayout>(cache: &C, target: &Target, entry: &LockedModel) -> Result<CachedEntry> {
    let coverage = if entry.paths.is_empty() {
        Coverage::Complete
    } else {
        Coverage::Present
    };
    // 1. Re-verify the snapshot: the signature in it, then every file.
    let checked = pull::verify_cache(
        cache,
        &target.repo,
        &entry.commit,
        &target.signature_path,
        &target.anchor,
        &target.claims,
        coverage,
        &entry.paths,
    );
    let (commit, snapshot, report, claims) = match checked {
        Err(Error::Cache(CacheError::NotCached { .. })) => {
            return Err(differs(
                entry,
                vec![format!("commit {} is not in the cache", entry.commit)],
            ));
        }
        Err(Error::SnapshotTampered { source, .. }) => {
            return Err(differs(
                entry,
                vec![format!("the cached snapshot is tampered: {source}")],
            ));
        }
        Err(e @ (Error::MalformedSignature { .. } | Error::ReadSignature { .. })) => {
            return Err(differs(
                entry,
                vec![format!("the cached signature is unusable: {e}")],
            ));
        }
        other => other?,
    };
    if !report.verified {
        let c = crate::verify::Comparison::from(report);
        return Err(differs(entry, vec![format!("cached files {}", c.summary())]));
    }
    // 2. The lock's facts, from the bytes that were verified (not read a second time).
    let Some(signer) = &report.signer_id else {
        return Err(differs(
            entry,
            vec!["the cached signature names no signer".to_owned()],
        ));
    };
    let claims = claims.map(|d| format!("sha256:{}", hex::encode(d)));
    compare(
        entry,
        &Observed {
            claims: claims.as_deref(),
            commit: &commit,
            digest: &format!("sha256:{}", report.subject_digest.as_deref().unwrap_or_default()),
            signature: &format!(
                "sha256:{}",
                report.signature_digest.as_deref().unwrap_or_default()
            ),
            signer,
        },
    )?;
    // 3. What an application loads by the locked revision (`refs/<revision>`; Kaggle's
    //    `latest`) must be the locked commit: a ref moved to another commit, however validly
    //    signed, is the substitution the lock exists to stop.
    match cache.snapshot(&target.repo, &entry.revision) {
        Ok((loaded, _)) if loaded == entry.commit => {}
        Ok((loaded, _)) => {
            return Err(differs(
                entry,
                vec![format!(
                    "revision {} resolves to {loaded} in the cache, not the locked commit {}",
                    entry.revision, entry.commit
                )],
            ));
        }
        Err(_) => {
            return Err(differs(
                entry,
                vec![format!(
                    "revision {} does not resolve to the locked commit {} in the cache",
                    entry.revision, entry.commit
                )],
            ));
        }
    }
    Ok(CachedEntry {
        commit,
        snapshot,
        files: report.files_checked,
    })
}

#[cfg(test)]
mod tests {
    use super::{entry_for, request, sync};
    use crate::cache::HfCache;
    use crate::hub::fake::{Fixture, model_files};
    use crate::lock::{LockError, LockedModel};
    use crate::progress::NoProgress;
    use crate::pull::{Selection, plan};
    use crate::{Error, ExitStatus};
    use std::sync::Arc;

    /// The lock entry a verified plan of the fixture's `main` records.
    async fn locked(fx: &Fixture) -> LockedModel {
        let planned = plan(fx.hub.as_ref(), &fx.target()).await.unwrap();
        entry_for(&fx.target(), &planned, &Selection::default())
    }

    #[tokio::test]
    async fn sync_pulls_the_locked_commit_and_points_the_revision_at_it() {
        let fx = Fixture::new(&model_files());
        let entry = locked(&fx).await;
        let dir = tempfile::tempdir().unwrap();
        let cache = HfCache::new(dir.path());
        let req = request(fx.target(), &entry, 4);
        let got = sync(fx.hub.as_ref(), &cache, &entry, &req, Arc::new(NoProgress))
            .await
            .unwrap();
        assert_eq!(got.commit, entry.commit);
        assert_eq!(crate::hub::fake::read_tree(&got.path), fx.published());
        let checked = super::check_cached(&cache, &fx.target(), &entry).unwrap();
        assert_eq!(checked.commit, entry.commit);
    }

    #[tokio::test]
    async fn a_lock_whose_digest_differs_is_refused_before_any_download() {
        let fx = Fixture::new(&model_files());
        let mut entry = locked(&fx).await;
        entry.digest = format!("sha256:{}", "0".repeat(64));
        let dir = tempfile::tempdir().unwrap();
        let cache = HfCache::new(dir.path());
        let req = request(fx.target(), &entry, 4);
        let e = sync(fx.hub.as_ref(), &cache, &entry, &req, Arc::new(NoProgress))
            .await
            .unwrap_err();
        assert!(
            matches!(&e, Error::Lock(LockError::Differs { differences, .. }) if differences.iter().any(|d| d.contains("digest"))),
            "{e:?}"
        );
        assert_eq!(e.exit_status(), ExitStatus::VerificationFailed);
        for (path, _) in model_files() {
            assert_eq!(fx.hub.opens(path), 0, "{path} was downloaded");
        }
        assert!(!dir.path().join("models--org--model").exists());
    }
}

//! `hubsign pull` (and `check`, `verify-cache`): a verified download from any [`Hub`] into a
//! [`CacheLayout`], written once as straight-line steps; planning (1–3) here, the transfer of
//! one file (step 4) as layered readers in `transfer`. Nothing reaches the cache before step 7.
//!
//! 1. Pin the revision to a commit and list the tree at that commit.
//! 2. Fetch the signature and verify it and its signer — before any weight is downloaded.
//! 3. Pre-download check: the signed file set against the listing, LFS SHA-256 against the
//!    signed digests (`check` stops here).
//! 4. Stream every file into staging (outside the cache, same filesystem), hashing on the way:
//!    the manifest digest, plus the git blob SHA-1 or LFS SHA-256 the blob is named by.
//! 5. Verify the complete manifest (a [`ManifestProof`]).
//! 6. Bind the staging to the proof ([`VerifiedStaging`](crate::cache::VerifiedStaging)).
//! 7. Commit: blobs, snapshot, `trees/<commit>.json`, then `refs/<revision>`.

#[cfg(test)]
mod in_process;
mod select;
mod transfer;

pub use select::{Selection, fnmatch};

use crate::cache::{self, CacheError, CacheLayout, CachedFile, Source, StagedFile, Staging};
use crate::hub::{ContentId, Hub, RemoteFile};
use crate::manifest::{
    GIT_PATHS, HashAlgorithm, ResourceDigest, Serialization, SerializationConfig, shard_file_name,
};
use crate::oms::bundle::Bundle;
use crate::progress::Progress;
use crate::reference::ModelRef;
use crate::verify::{self, Comparison, ManifestProof, TrustAnchor, UnsignedFiles, VerifiedStatement};
use crate::{Error, Result};
use futures_util::StreamExt as _;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use crate::fsutil::MAX_SIGNATURE_BYTES;

/// Where a verified snapshot goes.
#[derive(Debug, Clone)]
pub enum Destination {
    /// The Hugging Face cache (`blobs/`, `snapshots/`, `refs/`).
    Cache,
    /// A plain directory (`--local-dir`), and what to do with files already in it that the
    /// signature does not cover.
    LocalDir { dir: PathBuf, mode: cache::LocalDirMode },
}

/// What to check: a repository at a revision, its signature path, and whom to trust.
#[derive(Debug, Clone)]
pub struct Target {
    pub repo: ModelRef,
    pub revision: String,
    /// Path of the signature inside the repository (`model.sig`).
    pub signature_path: String,
    pub anchor: TrustAnchor,
    pub unsigned: UnsignedFiles,
}

/// Everything a pull needs, resolved by the caller.
#[derive(Debug)]
pub struct PullRequest {
    pub target: Target,
    /// Which signed files to download (all by default).
    pub selection: Selection,
    /// Parallel transfers.
    pub concurrency: usize,
    pub destination: Destination,
    /// The ref (branch or tag) pointed at the verified commit in the cache, last: the revision
    /// asked for (none when that is the commit itself); `sync`, which pulls by commit, names
    /// the lock's revision, so what an application loads by that name is the locked commit.
    pub ref_name: Option<String>,
}

/// What steps 1–3 established.
#[derive(Debug)]
pub struct Plan {
    pub commit: String,
    pub tree: Vec<RemoteFile>,
    pub verified: VerifiedStatement,
    signature: (RemoteFile, Vec<u8>),
    /// Signed files to fetch.
    pub to_fetch: Vec<RemoteFile>,
    /// Files the signature does not cover and that are not downloaded (ignored by the signer,
    /// or unsigned with `--ignore-unsigned-files`).
    pub skipped: Vec<String>,
}

#[derive(Debug)]
pub struct PullOutcome {
    pub commit: String,
    /// The snapshot directory (or the local directory).
    pub path: PathBuf,
    /// The files covered by the signature that the result holds (the signature file itself
    /// is not counted), as [`Plan::signed_files`] and a verification report's
    /// `files_checked` count them.
    pub files: usize,
    pub downloaded_bytes: u64,
    /// Files whose blob was already in the cache and re-verified instead of downloaded.
    pub reused: usize,
    pub skipped: Vec<String>,
    pub signer: String,
    pub warnings: Vec<String>,
    /// Each committed file's bytes, as verified, by repository path (into the Hugging Face
    /// cache; empty otherwise): the mirror serves exactly these files.
    pub disk: BTreeMap<String, cache::DiskId>,
    /// `--local-dir --force`: the user's files moved aside (never deleted), and where to.
    pub displaced: Option<cache::Displaced>,
}

impl Plan {
    /// The files the signature covers, as every command counts them: the signed files in
    /// the listing (the signature file itself is not one of them).
    #[must_use]
    pub fn signed_files(&self) -> usize {
        self.to_fetch.len()
    }

    /// SHA-256 of the signature file's bytes.
    #[must_use]
    pub fn signature_digest(&self) -> [u8; 32] {
        use sha2::Digest as _;
        sha2::Sha256::digest(&self.signature.1).into()
    }

    /// The repository path of the signature.
    #[must_use]
    pub fn signature_path(&self) -> &str {
        &self.signature.0.path
    }
}

/// Steps 1–3: everything that can be decided without downloading weights.
pub async fn plan<H: Hub>(hub: &H, req: &Target) -> Result<Plan> {
    // 1. Pin the revision, list the tree at that commit (unsafe names are refused here).
    let commit = hub.pin(&req.repo, &req.revision).await?;
    let tree = hub.list(&req.repo, &commit).await?;
    // 2. The signature, verified against what the caller trusts.
    let Some(sig_entry) = tree.iter().find(|f| f.path == req.signature_path).cloned() else {
        return Err(Error::SignatureMissing {
            repo: req.repo.to_string(),
            commit,
            path: req.signature_path.clone(),
        });
    };
    if sig_entry.size > MAX_SIGNATURE_BYTES {
        return Err(Error::RemoteSignatureMalformed {
            repo: req.repo.to_string(),
            path: sig_entry.path.clone(),
            source: crate::oms::FormatError::Invalid {
                field: "size".into(),
                detail: format!("{} bytes is not a signature", sig_entry.size),
            },
        });
    }
    let sig_bytes = transfer::fetch_small(hub, &req.repo, &commit, &sig_entry).await?;
    let bundle = Bundle::parse(&sig_bytes).map_err(|source| Error::RemoteSignatureMalformed {
        repo: req.repo.to_string(),
        path: sig_entry.path.clone(),
        source,
    })?;
    let verified = verify::verify_bundle(&bundle, &req.anchor).map_err(|source| Error::Verification {
        path: format!("{}/{}", req.repo, sig_entry.path).into(),
        source,
    })?;
    // 3. Pre-download check.
    let (to_fetch, skipped) = pre_download_check(req, &commit, &tree, &verified)?;
    Ok(Plan {
        commit,
        tree,
        verified,
        signature: (sig_entry, sig_bytes),
        to_fetch,
        skipped,
    })
}

/// The signature's own ignore rules, as a predicate over repository paths.
fn ignored_by_signature(
    st: &SerializationConfig,
    signed: &BTreeSet<&str>,
    signature_path: &str,
) -> impl Fn(&str) -> bool {
    let mut prefixes: Vec<String> = st.ignore_paths.clone();
    prefixes.extend(
        GIT_PATHS
            .iter()
            .filter(|g| !signed.iter().any(|s| s == *g || s.starts_with(&format!("{g}/"))))
            .map(|g| (*g).to_owned()),
    );
    prefixes.push(signature_path.to_owned());
    move |p: &str| {
        prefixes
            .iter()
            .any(|ig| p == ig || (p.starts_with(ig.as_str()) && p.as_bytes().get(ig.len()) == Some(&b'/')))
    }
}

fn pre_download_check(
    req: &Target,
    commit: &str,
    tree: &[RemoteFile],
    verified: &VerifiedStatement,
) -> Result<(Vec<RemoteFile>, Vec<String>)> {
    let st = &verified.statement;
    let mut signed: BTreeMap<&str, Vec<&ResourceDigest>> = BTreeMap::new();
    for r in &st.resources {
        signed.entry(shard_file_name(&r.name)).or_default().push(r);
    }
    let signed_names: BTreeSet<&str> = signed.keys().copied().collect();
    let ignored = ignored_by_signature(&st.serialization, &signed_names, &req.signature_path);
    let by_path: BTreeMap<&str, &RemoteFile> = tree.iter().map(|f| (f.path.as_str(), f)).collect();
    let mut c = Comparison::default();
    let mut to_fetch = Vec::new();
    let mut skipped = Vec::new();
    for (name, resources) in &signed {
        let Some(remote) = by_path.get(name) else {
            c.missing.push((*name).to_owned());
            continue;
        };
        if !listing_agrees(&st.serialization, remote, resources) {
            c.modified.push((*name).to_owned());
        }
        to_fetch.push((*remote).clone());
    }
    for f in tree {
        if signed.contains_key(f.path.as_str()) {
            continue;
        }
        // An empty file has no shard: in shard mode the signature cannot list it.
        let empty_shardless = f.size == 0 && matches!(st.serialization.method, Serialization::Shards { .. });
        if ignored(&f.path) || empty_shardless {
            if f.path != req.signature_path {
                skipped.push(f.path.clone());
            }
        } else if req.unsigned == UnsignedFiles::Ignore {
            skipped.push(f.path.clone());
        } else {
            c.unexpected.push(f.path.clone());
        }
    }
    if !c.is_match() {
        return Err(Error::PreDownloadMismatch {
            repo: req.repo.to_string(),
            commit: commit.to_owned(),
            comparison: c,
        });
    }
    Ok((to_fetch, skipped))
}

/// What the listing alone can confirm: the listed SHA-256 of a files/sha256 manifest (Hugging
/// Face LFS), and the file size (every hub lists it; shard ranges imply it).
fn listing_agrees(ser: &SerializationConfig, remote: &RemoteFile, resources: &[&ResourceDigest]) -> bool {
    match ser.method {
        Serialization::Files => match (&remote.content, ser.hash, resources) {
            (ContentId::Sha256(sha), HashAlgorithm::Sha256, [r]) => hex::encode(&r.digest) == *sha,
            _ => true,
        },
        Serialization::Shards { .. } => {
            let end = resources
                .iter()
                .filter_map(|r| r.name.rsplit(':').next()?.parse::<u64>().ok())
                .max();
            end == Some(remote.size)
        }
    }
}

/// A partial pull's files: the selected signed files, and (into the cache) the signed files an
/// earlier pull already placed in this commit's snapshot, which are carried over if their
/// blobs still verify. Files asked for by name must exist and be signed.
fn select<C: CacheLayout>(
    cache: &C,
    req: &PullRequest,
    commit: &str,
    tree: &[RemoteFile],
    to_fetch: Vec<RemoteFile>,
    signature_path: &str,
) -> Result<(Vec<RemoteFile>, Vec<RemoteFile>)> {
    let sel = &req.selection;
    if sel.is_all() {
        return Ok((to_fetch, Vec::new()));
    }
    let repo = &req.target.repo;
    for f in &sel.files {
        if f == signature_path || to_fetch.iter().any(|t| t.path == *f) {
            continue;
        }
        return Err(if tree.iter().any(|t| t.path == *f) {
            Error::NotSigned {
                repo: repo.to_string(),
                path: f.clone(),
            }
        } else {
            Error::NotInRepository {
                repo: repo.to_string(),
                commit: commit.to_owned(),
                path: f.clone(),
            }
        });
    }
    let (selected, rest): (Vec<RemoteFile>, Vec<RemoteFile>) =
        to_fetch.into_iter().partition(|f| sel.selects(&f.path));
    if selected.is_empty() && sel.files.is_empty() {
        return Err(Error::EmptySelection {
            repo: repo.to_string(),
        });
    }
    let carried = match &req.destination {
        Destination::Cache => {
            let present = cache.snapshot_files(repo, commit);
            rest.into_iter().filter(|f| present.contains(&f.path)).collect()
        }
        Destination::LocalDir { .. } => Vec::new(),
    };
    Ok((selected, carried))
}

/// How a cache records a listed file.
fn cached(f: &RemoteFile) -> CachedFile {
    CachedFile {
        path: f.path.clone(),
        size: f.size,
        content: f.content_hex().map(str::to_owned),
        git_oid: f.git_oid.clone(),
        lfs: matches!(f.content, ContentId::Sha256(_)),
    }
}

/// Steps 4–7: download into staging, verify, commit. Returns where the snapshot is.
#[expect(
    clippy::too_many_lines,
    reason = "the workflow reads top to bottom as numbered steps"
)]
pub async fn pull<H: Hub, C: CacheLayout>(
    hub: &H,
    cache: &C,
    req: &PullRequest,
    plan: Plan,
    progress: Arc<dyn Progress>,
) -> Result<PullOutcome> {
    let Plan {
        commit,
        tree,
        verified,
        signature,
        to_fetch,
        skipped,
    } = plan;
    let target = &req.target;
    let repo = &target.repo;
    let ser = verified.statement.serialization.clone();
    let (to_fetch, carried) = select(cache, req, &commit, &tree, to_fetch, &signature.0.path)?;
    // Declared before the staging it holds, so it is dropped after it: the folders made for a
    // pull into a local directory go again once they are empty.
    let mut local_dir_staging = None;
    let mut staging = match &req.destination {
        Destination::Cache => cache.staging(repo, &commit)?,
        Destination::LocalDir { dir, mode } => {
            // Refused before anything is downloaded: a directory holding files the signature
            // does not cover (commit checks again), or, with --force, with nowhere beside it to
            // move them.
            let mut expected: BTreeSet<String> = to_fetch.iter().map(|f| f.path.clone()).collect();
            expected.insert(signature.0.path.clone());
            if let Some(path) = expected.iter().find(|p| cache::in_local_dir_own_folder(p)) {
                return Err(Error::ReservedLocalPath {
                    repo: repo.to_string(),
                    path: path.clone(),
                });
            }
            let foreign = cache::local_dir_foreign(dir, &expected)?;
            if !foreign.is_empty() {
                if *mode == cache::LocalDirMode::RefuseForeign {
                    return Err(CacheError::LocalDirNotEmpty {
                        dir: dir.clone(),
                        files: foreign,
                    }
                    .into());
                }
                cache::displace_parent(dir)?;
            }
            let root = local_dir_staging.insert(cache::LocalDirStaging::prepare(dir)?);
            Staging::create(root.root(), &repo.id.replace('/', "--"), repo, &commit)?
        }
    };
    // The signature itself goes into the snapshot, so the cache can be re-verified offline.
    let (sig_entry, sig_bytes) = signature;
    let sig_out = staging.new_file_path();
    // Created afresh, never through a symlink (nor into a FIFO) planted at its name.
    let sig_disk = cache::open_staging_file(&sig_out)
        .and_then(|mut f| {
            f.set_len(0)?;
            f.write_all(&sig_bytes)?;
            f.sync_data()?;
            f.metadata()
        })
        .map_err(|e| CacheError::Io {
            action: "cannot write",
            path: sig_out.clone(),
            source: e,
        })?;
    let sig_disk = cache::DiskId::of(sig_out, &sig_disk);
    // Its bytes are the ones step 2 verified.
    progress.file_verified(&sig_entry.path, &sig_disk);
    staging.add(StagedFile {
        file: cached(&sig_entry),
        source: Source::Staged(sig_disk),
        resources: Vec::new(),
    });

    // 4. Stream every signed file (or re-verify its copy in the cache), bounded concurrency.
    let total: u64 = to_fetch.iter().map(|f| f.size).sum();
    progress.start(to_fetch.len(), total);
    // A file with a content identity is downloaded to a path named by it, kept across runs:
    // an interrupted pull's partial download there is re-hashed and resumed.
    let jobs: Vec<(usize, RemoteFile, PathBuf, bool)> = to_fetch
        .iter()
        .map(|f| (f, false))
        .chain(carried.iter().map(|f| (f, true)))
        .enumerate()
        .map(|(id, (f, carry))| {
            let kept = match (&f.content, carry) {
                (ContentId::Sha256(c) | ContentId::GitBlobSha1(c), false) => staging.partial_path(c, f.size),
                _ => None,
            };
            let out = kept.unwrap_or_else(|| staging.new_file_path());
            (id, f.clone(), out, carry)
        })
        .collect();
    let signed = verify::SignedDigests::of(&verified);
    let mut results = futures_util::stream::iter(jobs.into_iter().map(|(id, f, out, carry)| {
        let (ser, progress, commit, signed) = (&ser, Arc::clone(&progress), commit.as_str(), &signed);
        // Only a regular file inside the cache is re-hashed and reused; a symlinked blob (its
        // target could change later) is downloaded again and replaced at commit.
        let reusable = cache.reusable(repo, commit, &cached(&f));
        // Into a --local-dir (or a cache that needs it) the verified bytes are copied into
        // staging while re-hashing, from the file handle that was hashed.
        let copy = matches!(req.destination, Destination::LocalDir { .. }) || cache.copies_reused();
        async move {
            if let Some(path) = reusable {
                let copy_to = copy.then(|| out.clone());
                let rehashed = transfer::rehash(path, &f, ser, copy_to).await;
                if rehashed.is_none() && copy {
                    // Not a kept partial download: what was copied must not be resumed.
                    let _ = std::fs::remove_file(&out);
                }
                if let Some((resources, disk, copied)) = rehashed {
                    if !carry {
                        progress.file_started(id, &f.path, f.size);
                        progress.bytes(id, f.size);
                        progress.file_finished(id);
                    }
                    let source = match copied {
                        Some(copied) => Source::Staged(copied),
                        None => Source::Cached(disk),
                    };
                    // Its own bytes match what the signature signs for it: authentic whatever
                    // the other files turn out to be (the whole manifest is still proven
                    // before anything is committed, step 5).
                    let (Source::Staged(at) | Source::Cached(at)) = &source;
                    if signed.signs(&f.path, &resources) {
                        progress.file_verified(&f.path, at);
                    }
                    return Ok::<_, Error>(Ok((f, source, resources, None)));
                }
            }
            if carry {
                // A file an earlier partial pull placed, whose blob no longer verifies: it
                // leaves the snapshot (it was not asked for, so it is not downloaded).
                return Ok(Err(f.path));
            }
            let got =
                transfer::download(hub, repo, commit, &f, ser, out.clone(), id, progress.as_ref()).await?;
            // Reported before it is flushed to disk: the staged file may be read (it is checked
            // to be the file hashed) while the flush a commit needs runs.
            if signed.signs(&f.path, &got.resources) {
                progress.file_verified(&f.path, &got.disk);
            }
            transfer::flush_large(&got.disk).await?;
            Ok(Ok((
                f,
                Source::Staged(got.disk),
                got.resources,
                Some(got.fetched),
            )))
        }
    }))
    .buffer_unordered(req.concurrency.max(1));
    let mut downloaded_bytes = 0;
    let mut reused = 0;
    let mut warnings = verified.warnings.clone();
    let mut all = Vec::new();
    let mut present = Vec::new();
    while let Some(r) = results.next().await {
        // The first failure ends the pull. Dropping `staging` removes everything staged but
        // the partial downloads an interrupted pull resumes; a definite "no" keeps nothing.
        let r = match r {
            Ok(r) => r,
            Err(e) => {
                if e.exit_status() == crate::ExitStatus::VerificationFailed {
                    staging.discard();
                }
                staging.failed_with(&e);
                return Err(e);
            }
        };
        let (remote, source, resources, fetched) = match r {
            Ok(placed) => placed,
            Err(dropped) => {
                warnings.push(format!(
                    "{dropped} (placed by an earlier pull) no longer matches its signed digest in the cache; it leaves the snapshot"
                ));
                continue;
            }
        };
        match fetched {
            None => reused += 1,
            Some(n) => downloaded_bytes += n,
        }
        all.extend(resources.iter().cloned());
        present.push(remote.path.clone());
        staging.add(StagedFile {
            file: cached(&remote),
            source,
            resources,
        });
    }
    drop(results);
    progress.finish();
    if let Err(e) = staging.flush() {
        staging.failed_with(&e);
        return Err(e.into());
    }
    // 5. The complete manifest (or, for a partial pull, every file present) against the
    //    verified statement.
    let coverage = if req.selection.is_all() {
        verify::Coverage::Complete
    } else {
        verify::Coverage::Present
    };
    let present_refs: Vec<&str> = present.iter().map(String::as_str).collect();
    let proof: ManifestProof =
        match verify::prove(&verified, &all, &present_refs, Some(&sig_entry.path), coverage) {
            Ok(proof) => proof,
            Err(comparison) => {
                staging.discard();
                return Err(Error::DownloadMismatch {
                    repo: repo.to_string(),
                    comparison,
                });
            }
        };
    // 6. Only a proof turns staging into something committable.
    let files = present.len();
    let verified_staging = staging.verified(&proof, tree.iter().map(cached).collect())?;
    // 7. Commit.
    let mut displaced = None;
    let (mut path, disk) = match &req.destination {
        Destination::Cache => {
            let committed = cache.commit(verified_staging, req.ref_name.as_deref())?;
            (committed.snapshot, committed.disk)
        }
        Destination::LocalDir { dir, mode } => {
            let placed = cache::commit_local_dir(verified_staging, dir, *mode)?;
            displaced = placed.displaced;
            (placed.dir, BTreeMap::new())
        }
    };
    // One file asked for by name: its path, as `hf download repo file` prints.
    if let [only] = req.selection.files.as_slice() {
        path = path.join(only);
    }
    Ok(PullOutcome {
        commit,
        path,
        files,
        downloaded_bytes,
        reused,
        skipped,
        signer: verified.signer.clone(),
        warnings,
        disk,
        displaced,
    })
}

/// Re-verifies a cached snapshot offline: the signature in the snapshot against the trust
/// anchor, then every file (following the snapshot's symlinks, never out of the repository's
/// folder).
///
/// A file in the snapshot that the signature does not cover always fails: the directory this
/// prints as verified must hold exactly the verified files (hubsign never places unsigned
/// files in a snapshot; another tool, or an attacker, did).
///
/// With [`verify::Coverage::Present`] (an offline partial pull), only the files the snapshot
/// holds are checked; `files` asked for by name must be among them.
pub fn verify_cache<C: CacheLayout>(
    cache: &C,
    repo: &ModelRef,
    revision: &str,
    signature_path: &str,
    anchor: &TrustAnchor,
    coverage: verify::Coverage,
    files: &[String],
) -> Result<(String, PathBuf, verify::VerificationReport)> {
    let (commit, snapshot) = cache.snapshot(repo, revision)?;
    let present = cache.snapshot_files(repo, &commit);
    if let Some(f) = files.iter().find(|f| !present.contains(*f)) {
        return Err(CacheError::NotCached {
            repo: format!("{repo} file {f}"),
            revision: revision.to_owned(),
            cache: snapshot,
        }
        .into());
    }
    // Only a cache made of symlinks (the HF cache) lets them be followed, inside its root, and
    // only to files.
    let check = verify::ModelCheck::snapshot(cache.symlink_root(repo), coverage, Vec::new());
    // The signature, like every file, must not lead out of the repository's folder.
    let sig = snapshot.join(signature_path);
    if let Some(root) = &check.symlink_root {
        let inside = crate::fsutil::resolve_inside(&sig, root).is_some();
        if !inside && std::fs::symlink_metadata(&sig).is_ok() {
            return Err(Error::ReadSignature {
                path: sig,
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "it points outside the repository's cache folder",
                ),
            });
        }
    }
    // What no pull places in a snapshot (a link to a directory, a link out of the repository's
    // folder, a FIFO) is tampering, not an error reading the cache.
    let report = match verify::verify_model(&snapshot, &sig, anchor, &check) {
        Err(Error::Manifest(source)) if source.is_foreign_entry() => {
            return Err(Error::SnapshotTampered { snapshot, source });
        }
        other => other?,
    };
    Ok((commit, snapshot, report))
}

//! `hubsign pull`: a verified download from the Hugging Face Hub into the standard cache,
//! written as straight-line steps. Nothing reaches the cache before step 7.
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

use crate::cache::{self, CacheError, HfCache, StagedFile, Staging};
use crate::hub::HubError;
use crate::hub::huggingface::{HuggingFaceHub, RemoteFile};
use crate::manifest::{
    GIT_PATHS, HashAlgorithm, ResourceDigest, Serialization, SerializationConfig, StreamHasher,
    shard_file_name,
};
use crate::oms::bundle::Bundle;
use crate::progress::Progress;
use crate::verify::{self, Comparison, ManifestProof, TrustAnchor, UnsignedFiles, VerifiedStatement};
use crate::{Error, Result};
use futures_util::StreamExt as _;
use sha1::Digest as _;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Signature files larger than this are refused (a real one is a few KiB to a few MiB).
const MAX_SIGNATURE_BYTES: u64 = 64 << 20;
/// Bytes handed to the hashing/writing thread at a time.
const BLOCK: usize = 1 << 20;

/// Where a verified snapshot goes.
#[derive(Debug, Clone)]
pub enum Destination {
    /// The Hugging Face cache (`blobs/`, `snapshots/`, `refs/`).
    Cache,
    /// A plain directory (`--local-dir`), and what to do with files already in it that the
    /// signature does not cover.
    LocalDir { dir: PathBuf, mode: cache::LocalDirMode },
}

/// Everything a pull needs, resolved by the caller.
#[derive(Debug)]
pub struct PullRequest {
    pub repo_id: String,
    pub revision: String,
    /// Path of the signature inside the repository (`model.sig`).
    pub signature_path: String,
    pub anchor: TrustAnchor,
    pub unsigned: UnsignedFiles,
    /// Parallel transfers.
    pub concurrency: usize,
    pub destination: Destination,
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
    pub files: usize,
    pub downloaded_bytes: u64,
    /// Files whose blob was already in the cache and re-verified instead of downloaded.
    pub reused: usize,
    pub skipped: Vec<String>,
    pub signer: String,
    pub warnings: Vec<String>,
}

/// Steps 1–3: everything that can be decided without downloading weights.
pub async fn plan(hub: &HuggingFaceHub, req: &PullRequest) -> Result<Plan> {
    // 1. Pin the revision, list the tree at that commit (unsafe names are refused here).
    let commit = hub.resolve_commit(&req.repo_id, &req.revision).await?;
    let tree = hub.list_files(&req.repo_id, &commit).await?;
    // 2. The signature, verified against what the caller trusts.
    let Some(sig_entry) = tree.iter().find(|f| f.path == req.signature_path).cloned() else {
        return Err(Error::SignatureMissing {
            repo: req.repo_id.clone(),
            commit,
            path: req.signature_path.clone(),
        });
    };
    if sig_entry.size > MAX_SIGNATURE_BYTES {
        return Err(Error::RemoteSignatureMalformed {
            repo: req.repo_id.clone(),
            path: sig_entry.path.clone(),
            source: crate::oms::FormatError::Invalid {
                field: "size".into(),
                detail: format!("{} bytes is not a signature", sig_entry.size),
            },
        });
    }
    let sig_bytes = fetch_small(hub, &req.repo_id, &commit, &sig_entry).await?;
    let bundle = Bundle::parse(&sig_bytes).map_err(|source| Error::RemoteSignatureMalformed {
        repo: req.repo_id.clone(),
        path: sig_entry.path.clone(),
        source,
    })?;
    let verified = verify::verify_bundle(&bundle, &req.anchor).map_err(|source| Error::Verification {
        path: format!("{}/{}", req.repo_id, sig_entry.path).into(),
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
    req: &PullRequest,
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
            repo: req.repo_id.clone(),
            commit: commit.to_owned(),
            comparison: c,
        });
    }
    Ok((to_fetch, skipped))
}

/// What the listing alone can confirm: the LFS SHA-256 of a files/sha256 manifest, and the
/// file size implied by shard ranges.
fn listing_agrees(ser: &SerializationConfig, remote: &RemoteFile, resources: &[&ResourceDigest]) -> bool {
    match ser.method {
        Serialization::Files => match (&remote.lfs, ser.hash, resources) {
            (Some(lfs), HashAlgorithm::Sha256, [r]) => hex::encode(&r.digest) == lfs.sha256,
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

async fn fetch_small(hub: &HuggingFaceHub, repo: &str, commit: &str, file: &RemoteFile) -> Result<Vec<u8>> {
    let resp = hub.open(repo, commit, &file.path, 0).await?;
    // Never more than the listed size is buffered (a hostile hub may send an endless body).
    let bytes = crate::hub::http::read_body(resp, file.size).await?;
    if bytes.len() as u64 != file.size {
        return Err(HubError::Truncated {
            path: file.path.clone(),
            received: bytes.len() as u64,
            expected: file.size,
        }
        .into());
    }
    check_identity(
        file,
        Some(hex::encode(sha2::Sha256::digest(&bytes))),
        Some(git_blob_sha1(&bytes)),
    )?;
    Ok(bytes)
}

/// Checks a file's content identity against the hub's listing — LFS SHA-256, or git blob
/// SHA-1 — so blobs are cached under names that match their bytes.
fn check_identity(file: &RemoteFile, sha256_hex: Option<String>, git_sha1_hex: Option<String>) -> Result<()> {
    let (algorithm, expected, actual) = match &file.lfs {
        Some(lfs) => ("sha256", &lfs.sha256, sha256_hex),
        None => ("git blob sha1", &file.blob_id, git_sha1_hex),
    };
    if actual.as_deref() == Some(expected.as_str()) {
        return Ok(());
    }
    Err(Error::ContentMismatch {
        path: file.path.clone(),
        algorithm,
        expected: expected.clone(),
        actual: actual.unwrap_or_default(),
    })
}

fn git_blob_sha1(bytes: &[u8]) -> String {
    let mut h = sha1::Sha1::new();
    h.update(format!("blob {}\0", bytes.len()).as_bytes());
    h.update(bytes);
    hex::encode(h.finalize())
}

/// A block task in flight: it hands the sink back with the emptied block buffer.
type BlockTask = tokio::task::JoinHandle<Result<(Sink, Vec<u8>)>>;

/// Hash state of one file in transfer; moved into a blocking task for each block.
struct Sink {
    file: RemoteFile,
    manifest: StreamHasher,
    /// SHA-256 of the content when the manifest hash is not already it (LFS blobs are named by it).
    sha256: Option<sha2::Sha256>,
    /// Git blob SHA-1 for regular files (their blob name).
    sha1: Option<sha1::Sha1>,
    /// Where the bytes go; `None` when re-hashing a blob already in the cache.
    out: Option<std::fs::File>,
    out_path: PathBuf,
}

impl Sink {
    fn new(file: &RemoteFile, ser: &SerializationConfig, out_path: Option<PathBuf>) -> std::io::Result<Self> {
        let manifest_is_sha256 = ser.method == Serialization::Files && ser.hash == HashAlgorithm::Sha256;
        let sha1 = file.lfs.is_none().then(|| {
            let mut h = sha1::Sha1::new();
            h.update(format!("blob {}\0", file.size).as_bytes());
            h
        });
        Ok(Self {
            file: file.clone(),
            manifest: StreamHasher::new(&file.path, file.size, ser.method, ser.hash),
            sha256: (file.lfs.is_some() && !manifest_is_sha256).then(sha2::Sha256::new),
            sha1,
            out: out_path.as_ref().map(std::fs::File::create).transpose()?,
            out_path: out_path.unwrap_or_default(),
        })
    }

    fn absorb(&mut self, block: &[u8]) -> std::io::Result<()> {
        self.manifest.update(block);
        if let Some(h) = &mut self.sha256 {
            h.update(block);
        }
        if let Some(h) = &mut self.sha1 {
            h.update(block);
        }
        match &mut self.out {
            Some(f) => f.write_all(block),
            None => Ok(()),
        }
    }

    /// Checks the blob identity and returns the manifest resources.
    fn finish(self) -> Result<Vec<ResourceDigest>> {
        let Self {
            file,
            manifest,
            sha256,
            sha1,
            ..
        } = self;
        let received = manifest.offset();
        let resources = manifest.finish().ok_or_else(|| HubError::Truncated {
            path: file.path.clone(),
            received,
            expected: file.size,
        })?;
        // files/sha256 manifest: its digest already is the content SHA-256.
        let sha256_hex = sha256
            .map(|h| hex::encode(h.finalize()))
            .or_else(|| resources.first().map(|r| hex::encode(&r.digest)));
        check_identity(&file, sha256_hex, sha1.map(|h| hex::encode(h.finalize())))?;
        Ok(resources)
    }
}

/// Runs one block through the sink on a blocking thread.
async fn absorb(mut sink: Sink, block: Vec<u8>) -> Result<(Sink, Vec<u8>)> {
    tokio::task::spawn_blocking(move || {
        let r = sink.absorb(&block);
        (sink, block, r)
    })
    .await
    .map_err(|e| Error::Io {
        action: "hashing task failed for",
        path: PathBuf::from(e.to_string()),
        source: std::io::Error::other("join"),
    })
    .and_then(|(sink, block, r)| {
        r.map_err(|source| Error::Io {
            action: "cannot write",
            path: sink.out_path.clone(),
            source,
        })?;
        Ok((sink, block))
    })
}

/// Takes the sink back: from the block task in flight, or from where it rests.
async fn reclaim(
    pending: &mut Option<BlockTask>,
    resting: &mut Option<Sink>,
) -> Result<(Sink, Option<Vec<u8>>)> {
    if let Some(p) = pending.take() {
        let (sink, spare) = p.await.map_err(|e| Error::Io {
            action: "hashing task failed",
            path: PathBuf::new(),
            source: std::io::Error::other(e.to_string()),
        })??;
        return Ok((sink, Some(spare)));
    }
    resting.take().map(|s| (s, None)).ok_or_else(|| Error::Io {
        action: "internal error: no hashing state for",
        path: PathBuf::new(),
        source: std::io::Error::other("sink lost"),
    })
}

/// Step 4 for one file: stream (resuming after dropped connections), hash, write. One block
/// is hashed and written on a blocking thread while the next one arrives.
#[expect(
    clippy::too_many_arguments,
    reason = "one call site; a struct would only rename them"
)]
async fn download(
    hub: &HuggingFaceHub,
    repo: &str,
    commit: &str,
    file: &RemoteFile,
    ser: &SerializationConfig,
    out_path: PathBuf,
    id: usize,
    progress: &dyn Progress,
) -> Result<Vec<ResourceDigest>> {
    let first = Sink::new(file, ser, Some(out_path.clone())).map_err(|source| Error::Io {
        action: "cannot create",
        path: out_path.clone(),
        source,
    })?;
    let mut resting = Some(first);
    let retry = hub.http().retry;
    let mut failures = 0;
    let mut pending: Option<BlockTask> = None;
    let mut buf: Vec<u8> = Vec::with_capacity(BLOCK);
    let mut offset: u64 = 0; // bytes received (queued or absorbed)
    progress.file_started(id, &file.path, file.size);
    while offset < file.size {
        // Opening already retries (the HTTP client's one policy); only a body that breaks off
        // mid-transfer is resumed here, so one file never costs attempts × attempts requests.
        let resp = hub.open(repo, commit, &file.path, offset).await?;
        if offset > 0 {
            progress.resumed(id, offset);
        }
        let url = resp.url().clone();
        let mut stream = resp.bytes_stream();
        let mut dropped = None;
        while let Some(chunk) = stream.next().await {
            let chunk = match chunk {
                Ok(c) => c,
                Err(source) => {
                    dropped = Some(HubError::network(&url, source));
                    break;
                }
            };
            if offset + chunk.len() as u64 > file.size {
                let detail = format!("{} is longer than the {} bytes listed", file.path, file.size);
                return Err(HubError::Malformed {
                    url: crate::hub::http::redact(&url),
                    detail,
                }
                .into());
            }
            offset += chunk.len() as u64;
            progress.bytes(id, chunk.len() as u64);
            buf.extend_from_slice(&chunk);
            if buf.len() >= BLOCK {
                let (sink, spare) = reclaim(&mut pending, &mut resting).await?;
                let next = spare.map_or_else(
                    || Vec::with_capacity(BLOCK),
                    |mut v| {
                        v.clear();
                        v
                    },
                );
                let block = std::mem::replace(&mut buf, next);
                pending = Some(tokio::spawn(absorb(sink, block)));
            }
        }
        if offset < file.size {
            failures += 1;
            let cause = dropped.unwrap_or(HubError::Truncated {
                path: file.path.clone(),
                received: offset,
                expected: file.size,
            });
            if failures >= retry.attempts {
                return Err(HubError::RetriesExhausted {
                    path: file.path.clone(),
                    attempts: failures,
                    source: Box::new(cause),
                }
                .into());
            }
            tokio::time::sleep(retry.delay(failures)).await;
        }
    }
    let (mut sink, _) = reclaim(&mut pending, &mut resting).await?;
    if !buf.is_empty() {
        sink = absorb(sink, buf).await?.0;
    }
    let resources = tokio::task::spawn_blocking(move || {
        // Flushed here, so the commit only renames (a full disk shows up now, not later).
        if let Some(f) = &sink.out {
            f.sync_data().map_err(|source| Error::Io {
                action: "cannot write",
                path: sink.out_path.clone(),
                source,
            })?;
        }
        sink.finish()
    })
    .await
    .map_err(|_| Error::Io {
        action: "hashing task failed for",
        path: out_path.clone(),
        source: std::io::Error::other("join"),
    })??;
    progress.file_finished(id);
    Ok(resources)
}

/// Re-hashes a blob already in the cache; `Some(resources)` if it is exactly the listed file.
async fn reuse_cached_blob(
    blob: PathBuf,
    file: &RemoteFile,
    ser: &SerializationConfig,
) -> Option<Vec<ResourceDigest>> {
    let sink = Sink::new(file, ser, None).ok()?;
    tokio::task::spawn_blocking(move || {
        let mut sink = sink;
        let mut f = std::fs::File::open(&blob).ok()?;
        let mut buf = vec![0u8; BLOCK];
        loop {
            let n = std::io::Read::read(&mut f, &mut buf).ok()?;
            if n == 0 {
                break;
            }
            sink.absorb(&buf[..n]).ok()?;
        }
        sink.finish().ok()
    })
    .await
    .ok()
    .flatten()
}

/// Steps 4–7: download into staging, verify, commit. Returns where the snapshot is.
#[expect(
    clippy::too_many_lines,
    reason = "the workflow reads top to bottom as numbered steps"
)]
pub async fn pull(
    hub: &HuggingFaceHub,
    cache: &HfCache,
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
    let ser = verified.statement.serialization.clone();
    let mut staging = match &req.destination {
        Destination::Cache => cache.staging(&req.repo_id, &commit)?,
        Destination::LocalDir { dir, mode } => {
            // Refused before anything is downloaded: a directory holding files the signature
            // does not cover (commit checks again).
            if *mode == cache::LocalDirMode::RefuseForeign {
                let mut expected: BTreeSet<String> = to_fetch.iter().map(|f| f.path.clone()).collect();
                expected.insert(signature.0.path.clone());
                let foreign = cache::local_dir_foreign(dir, &expected)?;
                if !foreign.is_empty() {
                    return Err(CacheError::LocalDirNotEmpty {
                        dir: dir.clone(),
                        files: foreign,
                    }
                    .into());
                }
            }
            fs_err::create_dir_all(dir).map_err(|e| CacheError::Io {
                action: "cannot create",
                path: dir.clone(),
                source: e,
            })?;
            Staging::create(
                &cache::real_dirs(dir, Path::new(cache::LOCAL_DIR_STAGING))?,
                &req.repo_id,
                &commit,
            )?
        }
    };
    // The signature itself goes into the snapshot, so the cache can be re-verified offline.
    let (sig_entry, sig_bytes) = signature;
    let sig_out = staging.new_file_path();
    std::fs::File::create(&sig_out)
        .and_then(|mut f| {
            f.write_all(&sig_bytes)?;
            f.sync_data()
        })
        .map_err(|e| CacheError::Io {
            action: "cannot write",
            path: sig_out.clone(),
            source: e,
        })?;
    staging.add(StagedFile {
        remote: sig_entry.clone(),
        staged: Some(sig_out),
        resources: Vec::new(),
    });

    // 4. Stream every signed file (or re-verify its blob from the cache), bounded concurrency.
    let total: u64 = to_fetch.iter().map(|f| f.size).sum();
    progress.start(to_fetch.len(), total);
    let jobs: Vec<(usize, RemoteFile, PathBuf)> = to_fetch
        .iter()
        .enumerate()
        .map(|(id, f)| (id, f.clone(), staging.new_file_path()))
        .collect();
    let mut results = futures_util::stream::iter(jobs.into_iter().map(|(id, f, out)| {
        let (ser, progress, commit) = (&ser, Arc::clone(&progress), commit.as_str());
        // Only a regular file inside the cache is re-hashed and reused; a symlinked blob (its
        // target could change later) is downloaded again and replaced at commit.
        let blob = cache.reusable_blob(&req.repo_id, f.etag());
        async move {
            if let Some(blob) = blob {
                if let Some(resources) = reuse_cached_blob(blob, &f, ser).await {
                    progress.file_started(id, &f.path, f.size);
                    progress.bytes(id, f.size);
                    progress.file_finished(id);
                    return Ok::<_, Error>((f, None, resources));
                }
            }
            let resources = download(
                hub,
                &req.repo_id,
                commit,
                &f,
                ser,
                out.clone(),
                id,
                progress.as_ref(),
            )
            .await?;
            Ok((f, Some(out), resources))
        }
    }))
    .buffer_unordered(req.concurrency.max(1));
    let mut downloaded_bytes = 0;
    let mut reused = 0;
    let mut all = Vec::new();
    let mut present = Vec::new();
    while let Some(r) = results.next().await {
        // The first failure ends the pull; dropping `staging` removes everything staged.
        let (remote, staged, resources) = r?;
        if staged.is_some() {
            downloaded_bytes += remote.size;
        } else {
            reused += 1;
        }
        all.extend(resources.iter().cloned());
        present.push(remote.path.clone());
        staging.add(StagedFile {
            remote,
            staged,
            resources,
        });
    }
    drop(results);
    progress.finish();
    // 5. The complete manifest against the verified statement.
    let present_refs: Vec<&str> = present.iter().map(String::as_str).collect();
    let proof: ManifestProof =
        verify::prove(&verified, &all, &present_refs, Some(&sig_entry.path)).map_err(|comparison| {
            Error::DownloadMismatch {
                repo: req.repo_id.clone(),
                comparison,
            }
        })?;
    // 6. Only a proof turns staging into something committable.
    let files = staging.files().len();
    let verified_staging = staging.verified(&proof, tree)?;
    // 7. Commit.
    let path = match &req.destination {
        Destination::Cache => cache::commit(cache, verified_staging, Some(&req.revision))?.snapshot,
        Destination::LocalDir { dir, mode } => {
            cache::commit_local_dir(verified_staging, dir, Some(cache), *mode)?
        }
    };
    Ok(PullOutcome {
        commit,
        path,
        files,
        downloaded_bytes,
        reused,
        skipped,
        signer: verified.signer.clone(),
        warnings: verified.warnings.clone(),
    })
}

/// Re-verifies a cached snapshot offline: the signature in the snapshot against the trust
/// anchor, then every file (following the snapshot's symlinks into the repo's `blobs/`).
///
/// A file in the snapshot that the signature does not cover always fails: the directory this
/// prints as verified must hold exactly the verified files (hubsign never places unsigned
/// files in a snapshot; another tool, or an attacker, did).
pub fn verify_cache(
    cache: &HfCache,
    repo_id: &str,
    revision: &str,
    signature_path: &str,
    anchor: &TrustAnchor,
) -> Result<(String, PathBuf, verify::VerificationReport)> {
    let not_cached = || CacheError::NotCached {
        repo: repo_id.to_owned(),
        revision: revision.to_owned(),
        cache: cache.root().to_path_buf(),
    };
    let commit = cache.resolve_revision(repo_id, revision).ok_or_else(not_cached)?;
    let snapshot = cache.snapshot_dir(repo_id, &commit);
    if !snapshot.is_dir() {
        return Err(not_cached().into());
    }
    let check = verify::ModelCheck {
        ignore_paths: Vec::new(),
        ignore_git_paths: true,
        unsigned: UnsignedFiles::Reject,
        allow_symlinks: true,
        symlink_root: Some(cache.repo_dir(repo_id)),
    };
    let report = verify::verify_model(&snapshot, &snapshot.join(signature_path), anchor, &check)?;
    Ok((commit, snapshot, report))
}

//! `hubsign pull` (and `check`, `verify-cache`): a verified download from any [`Hub`] into a
//! [`CacheLayout`], written once as straight-line steps; planning (1–3) here, the transfer of
//! one file (step 4) as layered readers in `transfer`. Nothing reaches the cache before step 7.
//!
//! 1. Pin the revision to a commit and list the tree at that commit.
//! 2. Fetch the signature and verify it and its signer — before any weight is downloaded; then
//!    the claims file, if the repository has one: every line checked against the verified
//!    root digest, and the policy's claim requirements enforced (one more request at most).
//! 3. Pre-download check: the signed file set against the listing, LFS SHA-256 against the
//!    signed digests (`check` stops here).
//! 4. Stream every file into staging (outside the cache, same filesystem), hashing on the way:
//!    the manifest digest, plus the git blob SHA-1 or LFS SHA-256 the blob is named by.
//! 5. Verify the complete manifest (a [`ManifestProof`]).
//! 6. Bind the staging to the proof ([`VerifiedStaging`](crate::cache::VerifiedStaging)).
//! 7. Commit: blobs, snapshot, `trees/<commit>.json`, then `refs/<revision>`.

#[cfg(test)]
mod in_process;
mod place;
mod select;
mod transfer;

pub use place::{SMALL_FILE, SMALL_PER_SLOT};
pub use select::{Selection, fnmatch};

use place::{Placed, cached};

use crate::cache::{self, CacheError, CacheLayout, Source, StagedFile, Staging};
use crate::hub::{ContentId, Hub, RemoteFile};
use crate::manifest::{
    GIT_PATHS, HashAlgorithm, ResourceDigest, Serialization, SerializationConfig, shard_file_name,
};
use crate::oms::bundle::Bundle;
use crate::oms::claim::{ClaimsFileError, MAX_CLAIMS_BYTES};
use crate::policy::RequiredClaim;
use crate::progress::Progress;
use crate::reference::ModelRef;
use crate::verify::claims::{CheckedClaim, ClaimError, check_claims};
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
    /// Where the claims are, and which the policy requires.
    pub claims: ClaimsCheck,
}

/// A repository's claims file and what the trust policy requires of it, resolved by the caller.
///
/// A claims file that is present is always checked: a line that is not a claim about exactly the
/// verified bytes, or one altered under a trusted signer's name, refuses the pull even when no
/// claim is required (it is evidence of tampering, like a bad signature). A missing file is
/// fine unless a claim is required.
#[derive(Debug, Clone, Default)]
pub struct ClaimsCheck {
    /// The claims file's path in the repository ([`crate::hub::claims_path`]); `None` where the
    /// hub keeps no claims (an OCI registry).
    pub path: Option<String>,
    /// Claims the trust policy requires, their signers' anchors resolved.
    pub required: Vec<RequiredClaim>,
}

impl ClaimsCheck {
    /// The claims file beside the signature at `signature_path` on `hub`, nothing required.
    #[must_use]
    pub fn at(hub: crate::reference::HubKind, signature_path: &str) -> Self {
        Self {
            path: crate::hub::claims_path(hub, signature_path),
            required: Vec::new(),
        }
    }
}

/// Everything a pull needs, resolved by the caller.
#[derive(Debug)]
pub struct PullRequest {
    pub target: Target,
    /// Which signed files to download (all by default).
    pub selection: Selection,
    /// Parallel transfers of large files; files below [`SMALL_FILE`] are latency-bound and run
    /// [`SMALL_PER_SLOT`] to a slot (one scheduler, see `place`). 1 is a serial pull.
    pub concurrency: usize,
    pub destination: Destination,
    /// The ref (branch or tag) pointed at the verified commit in the cache, last: the revision
    /// asked for (none when that is the commit itself); `sync`, which pulls by commit, names
    /// the lock's revision, so what an application loads by that name is the locked commit.
    pub ref_name: Option<String>,
    /// When the bytes of large files reach the disk (the commit waits for all of them either way).
    pub flush: Flush,
}

/// When a pull flushes the files it downloaded to disk; nothing is committed before all are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flush {
    /// Each file of at least 1 MiB (`transfer::SYNC_EACH_AT`) as soon as it is written and
    /// verified, overlapping the other transfers (a pull: the commit follows the last byte);
    /// smaller ones by one flush of the staging area.
    #[default]
    EachLargeFile,
    /// Everything by one flush of the staging area before the commit (the mirror: its clients
    /// read each file as soon as it verifies, from the page cache, and the disk's bandwidth is
    /// theirs while the pull runs).
    BeforeCommit,
}
#[derive(Debug)]
pub struct Plan {
    pub commit: String,
    pub tree: Vec<RemoteFile>,
    pub verified: VerifiedStatement,
    signature: (RemoteFile, Vec<u8>),
    /// The claims file, staged beside the signature (none when the repository has none, or
    /// the signature itself lists it: then it is one of the signed files).
    claims_file: Option<(RemoteFile, Vec<u8>)>,
    /// The repository's claims, each checked against the verified root digest, oldest first.
    pub claims: Vec<CheckedClaim>,
    /// SHA-256 of the claims file's bytes, when the repository has one.
    pub claims_digest: Option<[u8; 32]>,
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
    let (mut sig_entry, mut sig_bytes) =
        fetch_signature_file(hub, &req.repo, &commit, &tree, &req.signature_path).await?;
    let verified = match verify_signature(req, &sig_entry.path, &sig_bytes) {
        Ok(v) => v,
        // Another signature the hub holds for this commit may be the trusted signer's: the
        // first that verifies is used, and when none does, the listed one's error stands.
        Err(first) => {
            let mut found = None;
            for other in hub.other_signatures(&req.repo, &commit).await? {
                if let Ok(v) = verify_signature(req, &sig_entry.path, &other) {
                    found = Some((other, v));
                    break;
                }
            }
            let Some((other, v)) = found else {
                return Err(first);
            };
            sig_entry.size = other.len() as u64;
            sig_entry.content =
                ContentId::Sha256(hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&other)));
            sig_bytes = other;
            v
        }
    };
    // 2b. The claims, checked and the policy's requirements enforced, still before any weight.
    let (claims_file, claims) = fetch_claims(hub, req, &commit, &tree, &verified).await?;
    let claims_digest = claims_file
        .as_ref()
        .map(|(_, bytes)| <sha2::Sha256 as sha2::Digest>::digest(bytes).into());
    // A claims file the signature lists is one of the model's files (fetched and proven as
    // such), not staged a second time.
    let claims_file = claims_file.filter(|(entry, _)| {
        !verified
            .statement
            .resources
            .iter()
            .any(|r| shard_file_name(&r.name) == entry.path)
    });
    // 3. Pre-download check.
    let (to_fetch, skipped) = pre_download_check(req, &commit, &tree, &verified)?;
    Ok(Plan {
        commit,
        tree,
        verified,
        signature: (sig_entry, sig_bytes),
        claims_file,
        claims,
        claims_digest,
        to_fetch,
        skipped,
    })
}

/// Step 2b: the claims file (one small request, when the listing has one), every line checked
/// against the verified root digest with the model's signer and the requirements' signers
/// trusted, then the requirements. Returns the file and its checked claims.
async fn fetch_claims<H: Hub>(
    hub: &H,
    req: &Target,
    commit: &str,
    tree: &[RemoteFile],
    verified: &VerifiedStatement,
) -> Result<(Option<(RemoteFile, Vec<u8>)>, Vec<CheckedClaim>)> {
    // A claims file the signature lists is a file of the model (a dataset's own
    // `claims.jsonl`), fetched and proven as such, never read as claims.
    let entry = req
        .claims
        .path
        .as_deref()
        .filter(|p| !verified.statement.lists(p))
        .and_then(|p| tree.iter().find(|f| f.path == p));
    let (file, checked) = match entry {
        None => (None, Vec::new()),
        Some(entry) => {
            let bytes = fetch_claims_file(hub, &req.repo, commit, entry).await?;
            let checked =
                check_claims_for(&bytes, verified.subject_digest(), req).map_err(|source| Error::Claims {
                    path: PathBuf::from(format!("{}/{}", req.repo, entry.path)),
                    source,
                })?;
            (Some((entry.clone(), bytes)), checked)
        }
    };
    if let Some(requirement) = crate::policy::claims::unmet(&req.claims.required, &checked) {
        return Err(Error::ClaimRequired {
            repo: req.repo.to_string(),
            requirement,
        });
    }
    Ok((file, checked))
}

/// The signature file the listing names at `path`, fetched (one small request) if it is of a
/// signature's size; nothing is verified here.
async fn fetch_signature_file<H: Hub>(
    hub: &H,
    repo: &ModelRef,
    commit: &str,
    tree: &[RemoteFile],
    path: &str,
) -> Result<(RemoteFile, Vec<u8>)> {
    let Some(entry) = tree.iter().find(|f| f.path == path).cloned() else {
        return Err(Error::SignatureMissing {
            repo: repo.to_string(),
            commit: commit.to_owned(),
            path: path.to_owned(),
        });
    };
    if entry.size > MAX_SIGNATURE_BYTES {
        return Err(Error::RemoteSignatureMalformed {
            repo: repo.to_string(),
            path: entry.path.clone(),
            source: crate::oms::FormatError::Invalid {
                field: "size".into(),
                detail: format!("{} bytes is not a signature", entry.size),
            },
        });
    }
    let bytes = transfer::fetch_small(hub, repo, commit, &entry).await?;
    Ok((entry, bytes))
}

/// A listed claims file's bytes (one small request), refused over the claims cap.
async fn fetch_claims_file<H: Hub>(
    hub: &H,
    repo: &ModelRef,
    commit: &str,
    entry: &RemoteFile,
) -> Result<Vec<u8>> {
    if entry.size > MAX_CLAIMS_BYTES {
        return Err(Error::Claims {
            path: PathBuf::from(format!("{repo}/{}", entry.path)),
            source: ClaimError::File(ClaimsFileError::TooLarge { size: entry.size }),
        });
    }
    transfer::fetch_small(hub, repo, commit, entry).await
}

/// What a hub holds about a model besides its weights, as it holds it.
#[derive(Debug)]
pub struct Attestations {
    pub commit: String,
    pub tree: Vec<RemoteFile>,
    /// The signature file's bytes (not verified).
    pub signature: Vec<u8>,
    /// The claims file's bytes, when the repository has one (not checked).
    pub claims: Option<Vec<u8>>,
}

/// Steps 1–2 of a plan without any trust decision (for `inspect`, which reports what is
/// there and verifies only when told whom to trust): the revision pinned, the listing, and
/// the signature and claims files fetched; no weight is downloaded.
///
/// # Errors
/// The hub's errors; no signature file; a signature or claims file over its cap.
pub async fn fetch_attestations<H: Hub>(
    hub: &H,
    repo: &ModelRef,
    revision: &str,
    signature_path: &str,
    claims_path: Option<&str>,
) -> Result<Attestations> {
    let commit = hub.pin(repo, revision).await?;
    let tree = hub.list(repo, &commit).await?;
    let (_, signature) = fetch_signature_file(hub, repo, &commit, &tree, signature_path).await?;
    let claims = match claims_path.and_then(|p| tree.iter().find(|f| f.path == p)) {
        Some(entry) => Some(fetch_claims_file(hub, repo, &commit, entry).await?),
        None => None,
    };
    Ok(Attestations {
        commit,
        tree,
        signature,
        claims,
    })
}

/// A claims file's lines checked against the model's root digest, trusting the model's signer
/// and every required claim's signer.
fn check_claims_for(bytes: &[u8], root: [u8; 32], req: &Target) -> Result<Vec<CheckedClaim>, ClaimError> {
    let anchors = crate::policy::claims::claim_anchors(&req.anchor, &req.claims.required);
    check_claims(bytes, root, &anchors)
}

/// A signature's bytes parsed and verified against what `req` trusts.
fn verify_signature(req: &Target, path: &str, bytes: &[u8]) -> Result<VerifiedStatement> {
    let bundle = Bundle::parse(bytes).map_err(|source| Error::RemoteSignatureMalformed {
        repo: req.repo.to_string(),
        path: path.to_owned(),
        source,
    })?;
    verify::verify_bundle(&bundle, &req.anchor).map_err(|source| Error::Verification {
        path: format!("{}/{path}", req.repo).into(),
        source,
    })
}

/// The signature's own ignore rules, as a predicate over repository paths.
fn ignored_by_signature(
    st: &SerializationConfig,
    signed: &BTreeSet<&str>,
    signature_path: &str,
    claims_path: Option<&str>,
) -> impl Fn(&str) -> bool {
    let mut prefixes: Vec<String> = st.ignore_paths.clone();
    prefixes.extend(
        GIT_PATHS
            .iter()
            .filter(|g| !signed.iter().any(|s| s == *g || s.starts_with(&format!("{g}/"))))
            .map(|g| (*g).to_owned()),
    );
    prefixes.push(signature_path.to_owned());
    // The claims file is an attestation like the signature (checked in step 2b), never an
    // unsigned file of the model.
    prefixes.extend(claims_path.map(str::to_owned));
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
    let ignored = ignored_by_signature(
        &st.serialization,
        &signed_names,
        &req.signature_path,
        req.claims.path.as_deref(),
    );
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
            if f.path != req.signature_path && Some(f.path.as_str()) != req.claims.path.as_deref() {
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

/// Steps 4–7: download into staging, verify, commit. Returns where the snapshot is.
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
        claims_file,
        to_fetch,
        skipped,
        ..
    } = plan;
    let repo = &req.target.repo;
    let (to_fetch, carried) = select(cache, req, &commit, &tree, to_fetch, &signature.0.path)?;
    // 4. Staging beside the destination (declared before the staging it holds, so it is
    //    dropped after it: the folders made for a local directory go again once empty), the
    //    signature, then every signed file streamed in (or its cached copy re-verified).
    let mut local_dir_staging = None;
    let mut attestations = vec![signature.0.path.clone()];
    attestations.extend(claims_file.as_ref().map(|(entry, _)| entry.path.clone()));
    let mut staging = open_staging(
        cache,
        req,
        &commit,
        &to_fetch,
        &attestations,
        &mut local_dir_staging,
    )?;
    let sig_path = stage_signature(&mut staging, signature, progress.as_ref())?;
    let claims_path = claims_file
        .map(|file| stage_signature(&mut staging, file, progress.as_ref()))
        .transpose()?;
    let jobs = jobs(&mut staging, &to_fetch, &carried);
    let signed = verify::SignedDigests::of(&verified);
    let cx = place::Context {
        hub,
        cache,
        repo,
        commit: &commit,
        ser: &verified.statement.serialization,
        progress: Arc::clone(&progress),
        signed: &signed,
        flush: req.flush,
        copy_reused: matches!(req.destination, Destination::LocalDir { .. }) || cache.copies_reused(),
    };
    let total: u64 = to_fetch.iter().map(|f| f.size).sum();
    progress.start(to_fetch.len(), total);
    let staged = stage_files(&mut staging, place::run(&cx, jobs, req.concurrency))
        .await
        .inspect(|_| progress.finish())
        .and_then(|staged| Ok(staging.flush().map(|()| staged)?));
    let staged = match staged {
        Ok(staged) => staged,
        Err(e) => {
            staging.failed_with(&e);
            return Err(e);
        }
    };
    // 5. The complete manifest (or, for a partial pull, every file present) against the
    //    verified statement.
    let coverage = if req.selection.is_all() {
        verify::Coverage::Complete
    } else {
        verify::Coverage::Present
    };
    let present: Vec<&str> = staged.present.iter().map(String::as_str).collect();
    let proof: ManifestProof =
        match verify::prove(&verified, &staged.resources, &present, Some(&sig_path), coverage) {
            Ok(proof) => match &claims_path {
                Some(path) => proof.with_claims(path),
                None => proof,
            },
            Err(comparison) => {
                staging.discard();
                return Err(Error::DownloadMismatch {
                    repo: repo.to_string(),
                    comparison,
                });
            }
        };
    // 6. Only a proof turns staging into something committable.
    let verified_staging = staging.verified(&proof, tree.iter().map(cached).collect())?;
    // 7. Commit.
    let (mut path, disk, displaced) = commit_to(cache, req, verified_staging)?;
    // One file asked for by name: its path, as `hf download repo file` prints.
    if let [only] = req.selection.files.as_slice() {
        path = path.join(only);
    }
    let mut warnings = verified.warnings.clone();
    warnings.extend(staged.dropped.iter().map(|dropped| {
        format!("{dropped} (placed by an earlier pull) no longer matches its signed digest in the cache; it leaves the snapshot")
    }));
    Ok(PullOutcome {
        commit,
        path,
        files: staged.present.len(),
        downloaded_bytes: staged.downloaded_bytes,
        reused: staged.reused,
        skipped,
        signer: verified.signer.clone(),
        warnings,
        disk,
        displaced,
    })
}

/// Step 4, first: the staging area the destination needs. A `--local-dir` pull is refused
/// before anything is downloaded if the directory holds files the signature does not cover
/// (commit checks again), or, with `--force`, if there is nowhere beside it to move them.
fn open_staging<C: CacheLayout>(
    cache: &C,
    req: &PullRequest,
    commit: &str,
    to_fetch: &[RemoteFile],
    attestations: &[String],
    local_dir_staging: &mut Option<cache::LocalDirStaging>,
) -> Result<Staging> {
    let repo = &req.target.repo;
    let Destination::LocalDir { dir, mode } = &req.destination else {
        return Ok(cache.staging(repo, commit)?);
    };
    let mut expected: BTreeSet<String> = to_fetch.iter().map(|f| f.path.clone()).collect();
    expected.extend(attestations.iter().cloned());
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
    Ok(Staging::create(
        root.root(),
        &repo.id.replace('/', "--"),
        repo,
        commit,
    )?)
}

/// The signature itself (and the claims file) goes into the snapshot, so the cache can be
/// re-verified offline. Returns its repository path.
fn stage_signature(
    staging: &mut Staging,
    (entry, bytes): (RemoteFile, Vec<u8>),
    progress: &dyn Progress,
) -> Result<String> {
    let out = staging.new_file_path();
    // Created afresh, never through a symlink (nor into a FIFO) planted at its name.
    let written = cache::open_staging_file(&out)
        .and_then(|mut f| {
            f.set_len(0)?;
            f.write_all(&bytes)?;
            f.sync_data()?;
            f.metadata()
        })
        .map_err(|source| CacheError::Io {
            action: "cannot write",
            path: out.clone(),
            source,
        })?;
    let path = entry.path.clone();
    let disk = cache::DiskId::of(out, &written);
    // Its bytes are the ones step 2 verified.
    progress.file_verified(&path, &disk);
    staging.add(StagedFile {
        file: cached(&entry),
        source: Source::Staged(disk),
        resources: Vec::new(),
    });
    Ok(path)
}

/// One job per file, progress ids in order: the asked-for files, then the carried ones. A file
/// with a content identity is downloaded to a path named by it, kept across runs: an
/// interrupted pull's partial download there is re-hashed and resumed.
fn jobs(staging: &mut Staging, to_fetch: &[RemoteFile], carried: &[RemoteFile]) -> Vec<place::Job> {
    let asked = to_fetch.iter().map(|f| (f, place::Wanted::Asked));
    let carried = carried.iter().map(|f| (f, place::Wanted::Carried));
    asked
        .chain(carried)
        .enumerate()
        .map(|(id, (file, wanted))| {
            let kept = match (&file.content, wanted) {
                (ContentId::Sha256(c) | ContentId::GitBlobSha1(c), place::Wanted::Asked) => {
                    staging.partial_path(c, file.size)
                }
                _ => None,
            };
            place::Job {
                id,
                file: file.clone(),
                out: kept.unwrap_or_else(|| staging.new_file_path()),
                wanted,
            }
        })
        .collect()
}

/// What step 4 staged.
#[derive(Default)]
struct Staged {
    /// Every staged file's manifest resources.
    resources: Vec<ResourceDigest>,
    /// The repository paths staged.
    present: Vec<String>,
    downloaded_bytes: u64,
    reused: usize,
    /// Carried files that left the snapshot.
    dropped: Vec<String>,
}

/// Stages each file as its job finishes: at this point its bytes are in staging and hashed to
/// the content identity the hub listed (the manifest digests are proved against the signature
/// in step 5). The first failure ends the pull: dropping `staging` removes everything staged
/// but the partial downloads an interrupted pull resumes; a definite "no" keeps nothing.
async fn stage_files(
    staging: &mut Staging,
    placements: impl futures_util::Stream<Item = Result<Placed>>,
) -> Result<Staged> {
    let mut staged = Staged::default();
    let mut placements = std::pin::pin!(placements);
    while let Some(placed) = placements.next().await {
        let (file, source, resources) = match placed {
            Ok(Placed::Downloaded {
                file,
                disk,
                resources,
                fetched,
            }) => {
                staged.downloaded_bytes += fetched;
                (file, Source::Staged(disk), resources)
            }
            Ok(Placed::Reused {
                file,
                source,
                resources,
            }) => {
                staged.reused += 1;
                (file, source, resources)
            }
            Ok(Placed::Dropped { path }) => {
                staged.dropped.push(path);
                continue;
            }
            Err(e) => {
                if e.exit_status() == crate::ExitStatus::VerificationFailed {
                    staging.discard();
                }
                return Err(e);
            }
        };
        staged.resources.extend(resources.iter().cloned());
        staged.present.push(file.path.clone());
        staging.add(StagedFile {
            file: cached(&file),
            source,
            resources,
        });
    }
    Ok(staged)
}

/// Step 7: the verified staging into the destination. Returns the snapshot (or directory),
/// each committed file's identity (into the cache), and what `--force` moved aside.
fn commit_to<C: CacheLayout>(
    cache: &C,
    req: &PullRequest,
    verified: cache::VerifiedStaging,
) -> Result<(PathBuf, BTreeMap<String, cache::DiskId>, Option<cache::Displaced>)> {
    Ok(match &req.destination {
        Destination::Cache => {
            let committed = cache.commit(verified, req.ref_name.as_deref())?;
            (committed.snapshot, committed.disk, None)
        }
        Destination::LocalDir { dir, mode } => {
            let placed = cache::commit_local_dir(verified, dir, *mode)?;
            (placed.dir, BTreeMap::new(), placed.displaced)
        }
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
///
/// Once the signature and files verified, the snapshot's claims file (the pull placed it beside
/// the signature) is checked again as a pull checks it, and the requirements of `claims`
/// enforced. Returns the commit, the snapshot, the report, and the claims file's SHA-256.
#[expect(
    clippy::too_many_arguments,
    reason = "one explicit value per setting the CLI resolved"
)]
pub fn verify_cache<C: CacheLayout>(
    cache: &C,
    repo: &ModelRef,
    revision: &str,
    signature_path: &str,
    anchor: &TrustAnchor,
    claims: &ClaimsCheck,
    coverage: verify::Coverage,
    files: &[String],
) -> Result<(String, PathBuf, verify::VerificationReport, Option<[u8; 32]>)> {
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
        if !inside && fs_err::symlink_metadata(&sig).is_ok() {
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
    if !report.verified {
        return Ok((commit, snapshot, report, None));
    }
    let root = report
        .subject_digest
        .as_deref()
        .and_then(|h| <[u8; 32]>::try_from(hex::decode(h).ok()?).ok())
        .unwrap_or_default();
    let digest = cached_claims(
        &snapshot,
        check.symlink_root.as_deref(),
        repo,
        anchor,
        claims,
        root,
        &report.signed_attestations,
    )?;
    Ok((commit, snapshot, report, digest))
}

/// The claims file in a verified snapshot checked as a pull checks it (every line about `root`,
/// the requirements met); its SHA-256 when there is one.
fn cached_claims(
    snapshot: &std::path::Path,
    symlink_root: Option<&std::path::Path>,
    repo: &ModelRef,
    anchor: &TrustAnchor,
    claims: &ClaimsCheck,
    root: [u8; 32],
    signed_attestations: &[String],
) -> Result<Option<[u8; 32]>> {
    let mut checked = Vec::new();
    let mut digest = None;
    // A claims file the signature lists is a file of the model, checked as one.
    if let Some(rel) = claims.path.as_ref().filter(|p| !signed_attestations.contains(p)) {
        let path = snapshot.join(rel);
        // Like the signature: never followed out of the repository's folder.
        if let Some(bytes) = crate::verify::claims::read_claims_within(&path, symlink_root)? {
            digest = Some(<sha2::Sha256 as sha2::Digest>::digest(&bytes).into());
            let anchors = crate::policy::claims::claim_anchors(anchor, &claims.required);
            checked = check_claims(&bytes, root, &anchors).map_err(|source| Error::Claims {
                path: path.clone(),
                source,
            })?;
        }
    }
    if let Some(requirement) = crate::policy::claims::unmet(&claims.required, &checked) {
        return Err(Error::ClaimRequired {
            repo: repo.to_string(),
            requirement,
        });
    }
    Ok(digest)
}

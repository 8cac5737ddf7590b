//! `hubsign push`: sign (if needed) and publish a model with its signature as one commit.
//!
//! 1. Hash the model once; sign it if it has no signature (or `--resign`), and verify the local
//!    signature against the model before anything is uploaded.
//! 2. Create the repository if needed, pin the branch head (the commit's `parentCommit`).
//! 3. Preupload: which files go through LFS.
//! 4. Upload LFS objects (batch API, basic or multipart, streamed from disk); objects the hub
//!    already stores are skipped, so an interrupted push re-run only sends what is missing. The
//!    LFS oid is the SHA-256 already in the manifest (no second read for files/sha256 manifests).
//! 5. One NDJSON commit: regular files inline, LFS files by oid, the signature as `model.sig`;
//!    a branch that moved meanwhile makes the hub refuse it (the branch stays unchanged).
//! 6. Re-read the pushed commit and run the pull's pre-download check against it.

use crate::hub::HubError;
use crate::hub::huggingface::{CommitOp, HuggingFaceHub, UploadMode};
use crate::manifest::{
    HashAlgorithm, ModelFile, ResourceDigest, Serialization, WalkOptions, build_manifest, walk,
};
use crate::oms::bundle::Bundle;
use crate::progress::Progress;
use crate::sign::Signer;
use crate::verify::{self, ModelCheck, TrustAnchor, UnsignedFiles};
use crate::{Error, Result};
use futures_util::StreamExt as _;
use sha2::Digest as _;
use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Whether an existing signature is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resign {
    /// Use the model's signature if it has one (it must verify).
    KeepExisting,
    /// Sign again, replacing it.
    Replace,
}

#[derive(Debug)]
pub struct PushRequest {
    pub model: PathBuf,
    pub repo_id: String,
    /// The branch to commit to.
    pub revision: String,
    /// The local signature file (default `model.sig` in the model).
    pub signature: PathBuf,
    /// Signing material, used when the model is unsigned or `resign` says so.
    pub signer: Option<Signer>,
    pub resign: Resign,
    /// Whom the local signature must verify against (derived from the signer when signing).
    pub anchor: TrustAnchor,
    pub walk: WalkOptions,
    pub private: bool,
    pub create_pr: bool,
    pub summary: String,
    pub concurrency: usize,
}

#[derive(Debug)]
pub struct PushOutcome {
    pub commit: String,
    pub commit_url: String,
    pub pull_request_url: Option<String>,
    /// Whether this push signed the model.
    pub signed: bool,
    pub files: usize,
    pub uploaded_bytes: u64,
    /// LFS objects the hub already had.
    pub deduplicated: usize,
}

/// The signature path in the repository.
pub const REMOTE_SIGNATURE: &str = "model.sig";

/// A file to publish: where it is on disk and where it goes in the repository.
struct Upload {
    path: String,
    local: PathBuf,
    size: u64,
    /// SHA-256 of the content (the LFS oid), when known without reading the file again.
    sha256: Option<String>,
}

/// Step 1: the model's signature (made now or verified) and the digests of every file.
fn signed_manifest(req: &PushRequest) -> Result<(bool, Vec<ResourceDigest>, Vec<ModelFile>, Bundle)> {
    // The signature is published as `model.sig`: a file of that name in the model is never
    // part of what is signed or uploaded.
    let mut sig_ignores: Vec<String> = crate::manifest::path_inside_model(&req.model, &req.signature)
        .into_iter()
        .collect();
    if !sig_ignores.iter().any(|p| p == REMOTE_SIGNATURE) {
        sig_ignores.push(REMOTE_SIGNATURE.to_owned());
    }
    let exists = req.signature.is_file();
    if exists && req.resign == Resign::KeepExisting {
        let bytes = fs_err::read(&req.signature).map_err(|source| Error::ReadSignature {
            path: req.signature.clone(),
            source,
        })?;
        let bundle = Bundle::parse(&bytes).map_err(|source| Error::MalformedSignature {
            path: req.signature.clone(),
            source,
        })?;
        let verified = verify::verify_bundle(&bundle, &req.anchor).map_err(|source| Error::Verification {
            path: req.signature.clone(),
            source,
        })?;
        let check = ModelCheck {
            ignore_paths: req
                .walk
                .ignore_paths
                .iter()
                .cloned()
                .chain(sig_ignores.iter().cloned())
                .collect(),
            ignore_git_paths: true,
            unsigned: UnsignedFiles::Reject,
            allow_symlinks: false,
            symlink_root: None,
        };
        let (report, resources, files) = verify::check_model_hashed(&req.model, &verified, &check)?;
        if !report.verified {
            let comparison = verify::Comparison {
                modified: report.modified,
                missing: report.missing,
                unexpected: report.unexpected,
            };
            return Err(Error::LocalModelMismatch {
                model: req.model.clone(),
                comparison,
            });
        }
        return Ok((false, resources, files, bundle));
    }
    let Some(signer) = &req.signer else {
        return Err(Error::Usage(format!(
            "{} has no signature at {}; give signing material (--private-key …) to sign it",
            req.model.display(),
            req.signature.display()
        )));
    };
    let mut walk_opts = req.walk.clone();
    walk_opts.ignore_paths.extend(sig_ignores);
    let files = walk(&req.model, &walk_opts)?.files;
    let manifest = build_manifest(
        &req.model,
        &walk_opts,
        Serialization::Files,
        HashAlgorithm::Sha256,
    )?;
    let bundle = signer.sign(&manifest);
    // The signature must verify for whoever will pull it, before it is written or uploaded.
    let verified = verify::verify_bundle(&bundle, &req.anchor).map_err(|source| Error::Verification {
        path: req.signature.clone(),
        source,
    })?;
    let present: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    verify::prove(&verified, &manifest.resources, &present, None).map_err(|comparison| {
        Error::LocalModelMismatch {
            model: req.model.clone(),
            comparison,
        }
    })?;
    crate::fsutil::write_atomic(&req.signature, &bundle.to_json())?;
    Ok((true, manifest.resources, files, bundle))
}

fn sha256_of(path: &Path) -> Result<String> {
    let mut f = std::fs::File::open(path).map_err(|source| Error::Io {
        action: "cannot read",
        path: path.into(),
        source,
    })?;
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 128 << 10];
    loop {
        let n = f.read(&mut buf).map_err(|source| Error::Io {
            action: "cannot read",
            path: path.into(),
            source,
        })?;
        if n == 0 {
            return Ok(hex::encode(h.finalize()));
        }
        h.update(&buf[..n]);
    }
}

fn sample(path: &Path) -> Result<Vec<u8>> {
    let mut f = std::fs::File::open(path).map_err(|source| Error::Io {
        action: "cannot read",
        path: path.into(),
        source,
    })?;
    let mut buf = vec![0u8; 512];
    let mut n = 0;
    while n < buf.len() {
        let k = f.read(&mut buf[n..]).map_err(|source| Error::Io {
            action: "cannot read",
            path: path.into(),
            source,
        })?;
        if k == 0 {
            break;
        }
        n += k;
    }
    buf.truncate(n);
    Ok(buf)
}

/// Runs the whole push.
#[expect(
    clippy::too_many_lines,
    reason = "the workflow reads top to bottom as numbered steps"
)]
pub async fn push(
    hub: &HuggingFaceHub,
    req: &PushRequest,
    progress: Arc<dyn Progress>,
) -> Result<PushOutcome> {
    // 1. Signed and verified locally, or refused before any upload.
    let (signed, resources, files, bundle) = {
        let req_ref = req;
        tokio::task::block_in_place(|| signed_manifest(req_ref))?
    };
    let files_and_sha = bundle_serialization(&bundle) == Some((Serialization::Files, HashAlgorithm::Sha256));
    let digests: BTreeMap<&str, &ResourceDigest> = resources.iter().map(|r| (r.name.as_str(), r)).collect();
    let mut uploads: Vec<Upload> = files
        .iter()
        .map(|f| Upload {
            path: f.name.clone(),
            local: f.path.clone(),
            size: f.len,
            sha256: files_and_sha
                .then(|| digests.get(f.name.as_str()).map(|r| hex::encode(&r.digest)))
                .flatten(),
        })
        .collect();
    let sig_size = fs_err::metadata(&req.signature)
        .map_err(|source| Error::ReadSignature {
            path: req.signature.clone(),
            source,
        })?
        .len();
    uploads.push(Upload {
        path: REMOTE_SIGNATURE.to_owned(),
        local: req.signature.clone(),
        size: sig_size,
        sha256: None,
    });

    // 2. The repository and the branch head this commit builds on.
    let repo_url = hub.create_repo(&req.repo_id, req.private).await?;
    let parent = hub.resolve_commit(&req.repo_id, &req.revision).await?;

    // 3. Which files go through LFS.
    let samples: Vec<(String, Vec<u8>, u64)> = uploads
        .iter()
        .map(|u| Ok((u.path.clone(), sample(&u.local)?, u.size)))
        .collect::<Result<_>>()?;
    let modes: BTreeMap<String, (UploadMode, bool)> = hub
        .preupload(&req.repo_id, &req.revision, &samples)
        .await?
        .into_iter()
        .map(|(p, m, i)| (p, (m, i)))
        .collect();
    uploads.retain(|u| !modes.get(&u.path).is_some_and(|(_, ignore)| *ignore));

    // 4. LFS objects: oids from the manifest when it is files/sha256, else one SHA-256 pass.
    let mut lfs: Vec<(&Upload, String)> = Vec::new();
    for u in &uploads {
        if modes.get(&u.path).is_some_and(|(m, _)| *m == UploadMode::Lfs) {
            let oid = match &u.sha256 {
                Some(s) => s.clone(),
                None => tokio::task::block_in_place(|| sha256_of(&u.local))?,
            };
            lfs.push((u, oid));
        }
    }
    let mut uploaded_bytes = 0;
    let mut deduplicated = 0;
    if !lfs.is_empty() {
        let objects: Vec<(String, u64)> = lfs.iter().map(|(u, oid)| (oid.clone(), u.size)).collect();
        let batch = hub.lfs_batch(&req.repo_id, &req.revision, &objects).await?;
        let by_oid: BTreeMap<&str, &Upload> = lfs.iter().map(|(u, oid)| (oid.as_str(), *u)).collect();
        let pending: Vec<_> = batch.objects.iter().filter(|o| o.upload.is_some()).collect();
        deduplicated = batch.objects.len() - pending.len();
        let total: u64 = pending.iter().map(|o| o.size).sum();
        progress.start(pending.len(), total);
        let mut jobs = futures_util::stream::iter(pending.into_iter().enumerate().map(|(id, object)| {
            let progress = Arc::clone(&progress);
            let local = by_oid
                .get(object.oid.as_str())
                .map(|u| (u.local.clone(), u.path.clone()));
            async move {
                let (local, path) = local.ok_or_else(|| HubError::Malformed {
                    url: "LFS batch".into(),
                    detail: format!("the hub asked for object {} that was not offered", object.oid),
                })?;
                progress.file_started(id, &path, object.size);
                hub.lfs_upload(object, &local, |n| progress.bytes(id, n)).await?;
                progress.file_finished(id);
                Ok::<u64, Error>(object.size)
            }
        }))
        .buffer_unordered(req.concurrency.max(1));
        while let Some(r) = jobs.next().await {
            uploaded_bytes += r?;
        }
        progress.finish();
    }

    // 5. One commit, on top of the head seen in step 2.
    let lfs_oids: BTreeMap<&str, &str> = lfs
        .iter()
        .map(|(u, oid)| (u.path.as_str(), oid.as_str()))
        .collect();
    let mut ops = Vec::with_capacity(uploads.len());
    for u in &uploads {
        if let Some(oid) = lfs_oids.get(u.path.as_str()) {
            ops.push(CommitOp::LfsFile {
                path: u.path.clone(),
                oid: (*oid).to_owned(),
                size: u.size,
            });
        } else {
            let content = fs_err::read(&u.local).map_err(|source| Error::Io {
                action: "cannot read",
                path: u.local.clone(),
                source,
            })?;
            if content.len() as u64 != u.size {
                return Err(crate::manifest::ManifestError::FileChanged {
                    path: u.local.clone(),
                }
                .into());
            }
            ops.push(CommitOp::File {
                path: u.path.clone(),
                content,
            });
        }
    }
    let answer = hub
        .commit(
            &req.repo_id,
            &req.revision,
            &req.summary,
            Some(&parent),
            &ops,
            req.create_pr,
        )
        .await?;

    // 6. What the hub now serves passes the pull's pre-download check.
    let check = crate::pull::PullRequest {
        repo_id: req.repo_id.clone(),
        revision: answer.commit_oid.clone(),
        signature_path: REMOTE_SIGNATURE.to_owned(),
        anchor: req.anchor.clone(),
        unsigned: UnsignedFiles::Reject,
        concurrency: 1,
        destination: crate::pull::Destination::Cache,
    };
    crate::pull::plan(hub, &check).await?;
    let commit_url = if answer.commit_url.is_empty() {
        format!("{repo_url}/commit/{}", answer.commit_oid)
    } else {
        answer.commit_url
    };
    Ok(PushOutcome {
        commit: answer.commit_oid,
        commit_url,
        pull_request_url: answer.pull_request_url,
        signed,
        files: uploads.len(),
        uploaded_bytes,
        deduplicated,
    })
}

fn bundle_serialization(bundle: &Bundle) -> Option<(Serialization, HashAlgorithm)> {
    let st = crate::oms::statement::parse_payload(&bundle.envelope.payload).ok()?;
    Some((st.serialization.method, st.serialization.hash))
}

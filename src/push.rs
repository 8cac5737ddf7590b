//! `hubsign push`: sign (if needed) and publish a model or dataset with its signature as one
//! commit, written once against the [`Publish`] seam.
//!
//! 1. Hash the model once; sign it if it has no signature (or `--resign`), and verify the local
//!    signature against the model before anything is uploaded.
//! 2. Create the repository (and the branch) if needed, pin the branch head (the commit's
//!    `parentCommit`). A head that already holds every file with the same bytes gets no
//!    (empty) commit: the push ends there.
//! 3. Upload the content the commit will reference ([`Publish::upload`]; on Hugging Face:
//!    preupload, then LFS objects by batch API, basic or multipart, streamed from disk, objects
//!    the hub already stores skipped, so an interrupted push re-run only sends what is missing).
//! 4. The SHA-256 already in the manifest is reused (no second read for files/sha256 manifests).
//! 5. One commit ([`Publish::commit`]): small files inline, large ones by SHA-256, the
//!    signature as `model.sig` and the model's claims (`claims.jsonl`, every line checked
//!    against the signed root digest in step 1); a branch that moved meanwhile makes the hub refuse it. (On
//!    Kaggle: one new version made of the uploaded blobs, the signature as
//!    `.kaggle/signing.json`, the claims beside it as `.kaggle/claims.jsonl`; an OCI registry
//!    carries no claims yet.)
//! 6. Re-read the pushed commit and run the pull's pre-download check against it.

use crate::hub::{ContentId, Publish, RemoteFile, Upload};
use crate::manifest::{
    HashAlgorithm, ModelFile, ResourceDigest, Serialization, WalkOptions, build_manifest, walk,
};
use crate::oms::bundle::Bundle;
use crate::progress::Progress;
use crate::reference::ModelRef;
use crate::sign::Signer;
use crate::verify::{self, ModelCheck, TrustAnchor, UnsignedFiles};
use crate::{Error, Result};
use std::collections::BTreeMap;
use std::path::PathBuf;
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
    pub repo: ModelRef,
    /// Where the signature goes in the repository (`model.sig`; Kaggle: `.kaggle/signing.json`).
    pub remote_signature: String,
    /// The branch to commit to.
    pub revision: String,
    /// The local signature file (default `model.sig` in the model).
    pub signature: PathBuf,
    /// The model's claims file and where it goes in the repository
    /// ([`crate::hub::claims_path`]); none when the model has none or the hub keeps none.
    pub claims: Option<(PathBuf, String)>,
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
    /// The files covered by the signature that were published (the signature file itself is
    /// not counted, as in every command's count).
    pub files: usize,
    pub uploaded_bytes: u64,
    /// LFS objects the hub already had.
    pub deduplicated: usize,
    /// The branch already held this signed model, file for file: no commit was made and
    /// `commit` is its head.
    pub unchanged: bool,
}

/// Where the signature a push publishes comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SignatureSource {
    /// Signed by this push.
    MadeNow,
    /// The model's signature, kept and verified against the model.
    Existing,
}

/// What step 1 established: the signature and, from the same walk, every file and its digests.
struct SignedManifest {
    source: SignatureSource,
    /// The signed OMS root digest (what the claims must be about).
    root: [u8; 32],
    resources: Vec<ResourceDigest>,
    files: Vec<ModelFile>,
    bundle: Bundle,
}

impl SignedManifest {
    /// Every file to publish: the model's files (with their SHA-256 when the manifest already
    /// holds it) and the signature, at its remote path.
    fn uploads(&self, req: &PushRequest) -> Result<Vec<Upload>> {
        let files_and_sha =
            bundle_serialization(&self.bundle) == Some((Serialization::Files, HashAlgorithm::Sha256));
        let digests: BTreeMap<&str, &ResourceDigest> =
            self.resources.iter().map(|r| (r.name.as_str(), r)).collect();
        let mut uploads: Vec<Upload> = self
            .files
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
            path: req.remote_signature.clone(),
            local: req.signature.clone(),
            size: sig_size,
            sha256: None,
        });
        if let Some((local, remote)) = &req.claims {
            uploads.push(Upload {
                path: remote.clone(),
                local: local.clone(),
                size: fs_err::metadata(local)
                    .map_err(|source| Error::Io {
                        action: "cannot read claims file",
                        path: local.clone(),
                        source,
                    })?
                    .len(),
                sha256: None,
            });
        }
        Ok(uploads)
    }
}

/// Step 1: the model's signature (made now or verified) and the digests of every file.
fn signed_manifest(req: &PushRequest) -> Result<SignedManifest> {
    // The signature is published at `remote_signature`: a file at that path in the model is
    // never part of what is signed or uploaded.
    let mut sig_ignores: Vec<String> = crate::manifest::path_inside_model(&req.model, &req.signature)
        .into_iter()
        .collect();
    if !sig_ignores.contains(&req.remote_signature) {
        sig_ignores.push(req.remote_signature.clone());
    }
    if req.signature.is_file() && req.resign == Resign::KeepExisting {
        let signed = existing_signature(req, &sig_ignores)?;
        check_local_claims(req, &signed.root)?;
        return Ok(signed);
    }
    // The claims file is an attestation, never a file of the model (model-transparency #590).
    for path in crate::oms::claim::attestation_paths(&req.model, &req.signature)
        .into_iter()
        .chain(req.claims.iter().map(|(_, remote)| remote.clone()))
    {
        if !sig_ignores.contains(&path) {
            sig_ignores.push(path);
        }
    }
    let Some(signer) = &req.signer else {
        return Err(Error::NoSigningKey {
            model: req.model.clone(),
            signature: req.signature.clone(),
        });
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
    let bundle = signer.sign(&manifest)?;
    // The signature must verify for whoever will pull it, before it is written or uploaded.
    let verified = verify::verify_bundle(&bundle, &req.anchor).map_err(|source| Error::Verification {
        path: req.signature.clone(),
        source,
    })?;
    let present: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    verify::prove(
        &verified,
        &manifest.resources,
        &present,
        None,
        verify::Coverage::Complete,
    )
    .map_err(|comparison| Error::LocalModelMismatch {
        model: req.model.clone(),
        comparison,
    })?;
    // `.kaggle/` (Kaggle's signature folder) may not exist yet.
    if let Some(parent) = req
        .signature
        .parent()
        .filter(|p| !p.as_os_str().is_empty() && !p.exists())
    {
        fs_err::create_dir_all(parent).map_err(|source| Error::Io {
            action: "cannot create",
            path: parent.to_path_buf(),
            source,
        })?;
    }
    // Claims made for other bytes (stale since a re-sign) are refused before anything is
    // written or uploaded.
    check_local_claims(req, &verified.subject_digest())?;
    crate::fsutil::write_atomic(&req.signature, &bundle.to_json())?;
    Ok(SignedManifest {
        source: SignatureSource::MadeNow,
        root: verified.subject_digest(),
        resources: manifest.resources,
        files,
        bundle,
    })
}

/// The claims file to publish: every line a claim about exactly the signed root digest (the
/// pull checks it the same way; a stale or moved claim would make every pull refuse the model).
fn check_local_claims(req: &PushRequest, root: &[u8; 32]) -> Result<()> {
    let Some((local, _)) = &req.claims else {
        return Ok(());
    };
    // Never through a link (the post-publish check re-reads what the hub then serves).
    let Some(bytes) = crate::verify::claims::read_claims(local)? else {
        return Ok(());
    };
    verify::claims::check_claims(&bytes, *root, std::slice::from_ref(&req.anchor)).map_err(|source| {
        Error::Claims {
            path: local.clone(),
            source,
        }
    })?;
    Ok(())
}

/// Step 1 with a signature already there: verified, and the model checked against it.
fn existing_signature(req: &PushRequest, sig_ignores: &[String]) -> Result<SignedManifest> {
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
    // The attestation files are not part of the model, unless this signature lists them (as
    // `verify` reads a model).
    let listed = |rel: &String| {
        verified
            .statement
            .resources
            .iter()
            .any(|r| crate::manifest::shard_file_name(&r.name) == rel)
    };
    let attestations: Vec<String> = crate::oms::claim::attestation_paths(&req.model, &req.signature)
        .into_iter()
        .chain(req.claims.iter().map(|(_, remote)| remote.clone()))
        .filter(|p| !listed(p))
        .collect();
    let check = ModelCheck {
        ignore_paths: req
            .walk
            .ignore_paths
            .iter()
            .cloned()
            .chain(sig_ignores.iter().cloned())
            .chain(attestations)
            .collect(),
        git_paths: crate::manifest::GitPaths::Ignore,
        unsigned: UnsignedFiles::Reject,
        links: verify::Links::AsSigned,
        symlink_root: None,
        coverage: verify::Coverage::Complete,
    };
    let (report, resources, files) = verify::check_model_hashed(&req.model, &verified, &check)?;
    if !report.verified {
        return Err(Error::LocalModelMismatch {
            model: req.model.clone(),
            comparison: report.into(),
        });
    }
    Ok(SignedManifest {
        source: SignatureSource::Existing,
        root: verified.subject_digest(),
        resources,
        files,
        bundle,
    })
}

/// Runs the whole push.
pub async fn push<H: Publish>(
    hub: &H,
    req: &PushRequest,
    progress: Arc<dyn Progress>,
) -> Result<PushOutcome> {
    // 0. The Hub creates repositories only under a user or organisation: a bare legacy name
    //    (`gpt2`) can be pulled, not pushed to (`hf upload` would quietly pick `<user>/gpt2`).
    if req.repo.hub == crate::reference::HubKind::HuggingFace && !req.repo.id.contains('/') {
        return Err(crate::reference::ReferenceError::BadReference {
            reference: req.repo.to_string(),
            reason: "push needs ORG/NAME: the Hub creates repositories under a user or organisation".into(),
        }
        .into());
    }
    // 1. Signed and verified locally, or refused before any upload.
    let signed = tokio::task::block_in_place(|| signed_manifest(req))?;
    let mut uploads = signed.uploads(req)?;
    hub.accepts(
        &req.repo,
        &uploads,
        bundle_serialization(&signed.bundle) == Some((Serialization::Files, HashAlgorithm::Sha256)),
    )?;

    // 2. The repository, and the branch head this commit builds on (a missing branch is
    //    created from the default branch).
    let crate::hub::Prepared {
        repo_url,
        head: parent,
    } = hub.prepare(&req.repo, &req.revision, req.private).await?;

    // 2b. A branch head that already holds every file with the same bytes (same git blob id,
    //     or LFS SHA-256) gets no empty commit: nothing is uploaded or committed.
    //     (Kaggle lists no hashes, so every push there makes a new version.) A listing that
    //     cannot be had only means the push goes on: at worst, an empty commit.
    if !req.create_pr && req.repo.hub == crate::reference::HubKind::HuggingFace {
        let listing = hub.list(&req.repo, &parent).await.unwrap_or_default();
        // A claims file on the branch that this push does not replace would stay beside the
        // new signature, about other bytes: every pull would refuse the new commit. hubsign
        // deletes nothing on the hub, so it refuses before anything is sent.
        if req.claims.is_none()
            && let Some(path) = crate::hub::claims_path(req.repo.hub, &req.remote_signature)
            && listing.iter().any(|f| f.path == path)
        {
            return Err(crate::hub::HubError::NotPublishable {
                repo: req.repo.to_string(),
                reason: format!(
                    "the branch holds {path}, which this push would leave beside the new signature (claims about other bytes) since the model has none; remove it on the hub, or attest the model and push its {path}"
                ),
            }
            .into());
        }
        if !listing.is_empty() && tokio::task::block_in_place(|| already_holds(&listing, &uploads))? {
            return Ok(PushOutcome {
                commit_url: format!("{repo_url}/commit/{parent}"),
                commit: parent,
                pull_request_url: None,
                signed: signed.source == SignatureSource::MadeNow,
                files: uploads.len(),
                uploaded_bytes: 0,
                deduplicated: 0,
                unchanged: true,
            });
        }
    }

    // 3–4. The content the commit references (large objects uploaded, deduplicated).
    let (sent, commit_files) = hub
        .upload(
            &req.repo,
            &req.revision,
            &mut uploads,
            req.concurrency,
            progress.as_ref(),
        )
        .await?;

    // 5. One commit, on top of the head seen in step 2.
    let published = hub
        .commit(
            &req.repo,
            &req.revision,
            &parent,
            &req.summary,
            &commit_files,
            req.create_pr,
        )
        .await?;

    // 6. What the hub now serves passes the pull's pre-download check.
    let check = crate::pull::Target {
        repo: req.repo.clone(),
        revision: published.commit.clone(),
        signature_path: req.remote_signature.clone(),
        anchor: req.anchor.clone(),
        unsigned: UnsignedFiles::Reject,
        // The claims published with the model check out against it (no requirement here: the
        // pusher's policy is for pulls).
        claims: crate::pull::ClaimsCheck::at(req.repo.hub, &req.remote_signature),
    };
    crate::pull::plan(hub, &check).await?;
    let commit_url = if published.commit_url.is_empty() {
        format!("{repo_url}/commit/{}", published.commit)
    } else {
        published.commit_url
    };
    Ok(PushOutcome {
        commit: published.commit,
        commit_url,
        pull_request_url: published.pull_request_url,
        signed: signed.source == SignatureSource::MadeNow,
        files: signed.files.len(),
        uploaded_bytes: sent.bytes,
        deduplicated: sent.deduplicated,
        unchanged: false,
    })
}

/// Whether `listing` (a branch head) holds every upload at its path with the same bytes: the
/// listed LFS SHA-256, or the git blob id of a regular file, against the local file's. A
/// listing without hashes (Kaggle's) never does.
fn already_holds(listing: &[RemoteFile], uploads: &[Upload]) -> Result<bool> {
    use sha1::Digest as _;
    use std::io::Read as _;
    let by_path: BTreeMap<&str, &RemoteFile> = listing.iter().map(|f| (f.path.as_str(), f)).collect();
    for u in uploads {
        let Some(remote) = by_path.get(u.path.as_str()) else {
            return Ok(false);
        };
        if remote.size != u.size {
            return Ok(false);
        }
        let read = |source| Error::Io {
            action: "cannot read",
            path: u.local.clone(),
            source,
        };
        let same = match &remote.content {
            ContentId::SizeOnly => false,
            ContentId::Sha256(listed) if u.sha256.is_some() => u
                .sha256
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case(listed)),
            ContentId::Sha256(listed) | ContentId::GitBlobSha1(listed) => {
                // One pass over the file: its SHA-256 and its git blob id.
                let mut sha256 = sha2::Sha256::new();
                let mut blob = sha1::Sha1::new();
                blob.update(format!("blob {}\0", u.size).as_bytes());
                let mut f = fs_err::File::open(&u.local).map_err(read)?;
                let mut buf = vec![0u8; 256 << 10];
                let mut total = 0u64;
                loop {
                    let n = f.read(&mut buf).map_err(read)?;
                    if n == 0 {
                        break;
                    }
                    total += n as u64;
                    sha256.update(&buf[..n]);
                    blob.update(&buf[..n]);
                }
                let local = if matches!(remote.content, ContentId::Sha256(_)) {
                    hex::encode(sha256.finalize())
                } else {
                    hex::encode(blob.finalize())
                };
                total == u.size && local.eq_ignore_ascii_case(listed)
            }
        };
        if !same {
            return Ok(false);
        }
    }
    Ok(true)
}

fn bundle_serialization(bundle: &Bundle) -> Option<(Serialization, HashAlgorithm)> {
    let st = crate::oms::statement::parse_payload(&bundle.envelope.payload).ok()?;
    Some((st.serialization.method, st.serialization.hash))
}

#[cfg(test)]
mod tests {
    use super::{PushRequest, Resign, push};
    use crate::hub::fake::{FakeHub, fixture_key, model_files};
    use crate::progress::NoProgress;
    use crate::reference::ModelRef;
    use crate::{Error, ExitStatus};
    use std::sync::Arc;

    /// The fixture files written into a model folder, and a push of it to `org/model`.
    fn model() -> (tempfile::TempDir, PushRequest) {
        let dir = tempfile::tempdir().unwrap();
        for (p, b) in model_files() {
            let path = dir.path().join(p);
            fs_err::create_dir_all(path.parent().unwrap()).unwrap();
            fs_err::write(path, b).unwrap();
        }
        let (signer, anchor) = fixture_key();
        let req = PushRequest {
            model: dir.path().to_path_buf(),
            repo: ModelRef::parse("org/model", None).unwrap(),
            remote_signature: "model.sig".into(),
            revision: "main".into(),
            signature: dir.path().join("model.sig"),
            claims: None,
            signer: Some(signer),
            resign: Resign::KeepExisting,
            anchor,
            walk: crate::manifest::WalkOptions::default(),
            private: false,
            create_pr: false,
            summary: "test".into(),
            concurrency: 4,
        };
        (dir, req)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn push_signs_and_uploads_the_model_and_its_signature_in_one_commit() {
        let (_dir, req) = model();
        let hub = FakeHub::default();
        let out = push(&hub, &req, Arc::new(NoProgress)).await.unwrap();
        assert!(out.signed);
        assert_eq!(out.files, model_files().len());
        let mut sent: Vec<String> = model_files().iter().map(|(p, _)| (*p).to_owned()).collect();
        sent.push("model.sig".into());
        let mut uploads = hub.uploads();
        for u in &mut uploads {
            u.sort();
        }
        sent.sort();
        assert_eq!(uploads, [sent]);
        assert_eq!(hub.commits(), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_model_changed_after_signing_is_refused_before_any_upload() {
        let (dir, req) = model();
        let (signer, _) = fixture_key();
        crate::sign::sign_model(
            crate::sign::SignRequest {
                model: req.model.clone(),
                signature: req.signature.clone(),
                walk: crate::manifest::WalkOptions::default(),
                method: crate::manifest::Serialization::Files,
                hash: crate::manifest::HashAlgorithm::Sha256,
                incremental: None,
                record_dir: None,
            },
            &signer,
        )
        .unwrap();
        fs_err::write(dir.path().join("config.json"), b"{\"changed\": true}").unwrap();
        let hub = FakeHub::default();
        let e = push(&hub, &req, Arc::new(NoProgress)).await.unwrap_err();
        assert!(
            matches!(&e, Error::LocalModelMismatch { comparison, .. } if comparison.modified == ["config.json"]),
            "{e:?}"
        );
        assert_eq!(e.exit_status(), ExitStatus::VerificationFailed);
        assert!(hub.uploads().is_empty());
        assert_eq!(hub.commits(), 0);
    }
}

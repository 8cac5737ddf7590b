//! The Hugging Face Hub write API: create repo, preupload, the LFS batch API (basic and
//! multipart transfers, verify), and the NDJSON commit with `parentCommit`.
//!
//! Xet is not implemented: a hub whose batch answer offers only Xet is an error.

use super::{HuggingFaceHub, quote};
use crate::hub::http::{header, redact};
use crate::hub::{CommitFile, HubError, Prepared, Publish, Published, Upload, Uploaded};
use crate::progress::Progress;
use crate::reference::ModelRef;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use futures_util::StreamExt as _;
use reqwest::{StatusCode, Url};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;

/// How the hub wants a file uploaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadMode {
    Regular,
    Lfs,
}

/// One action of an LFS batch answer.
#[derive(Debug, Clone)]
pub struct LfsAction {
    pub href: String,
    pub header: serde_json::Map<String, Value>,
}

#[derive(Debug, Clone)]
pub struct LfsObject {
    pub oid: String,
    pub size: u64,
    /// `None` when the hub already stores the object.
    pub upload: Option<LfsAction>,
    pub verify: Option<LfsAction>,
}

#[derive(Debug, Clone)]
pub struct LfsBatch {
    pub transfer: String,
    pub objects: Vec<LfsObject>,
}

/// One operation of a commit.
#[derive(Debug, Clone)]
pub enum CommitOp {
    /// A regular file, sent inline.
    File { path: String, content: Vec<u8> },
    /// An LFS file already uploaded.
    LfsFile { path: String, oid: String, size: u64 },
}

#[derive(Debug, Clone)]
pub struct CommitAnswer {
    pub commit_oid: String,
    pub commit_url: String,
    pub pull_request_url: Option<String>,
}

fn malformed(url: &Url, detail: impl Into<String>) -> HubError {
    HubError::Malformed {
        url: redact(url),
        detail: detail.into(),
    }
}

fn status(url: &Url, code: StatusCode, headers: &reqwest::header::HeaderMap, body: &Value) -> HubError {
    let message = header(headers, "x-error-message")
        .or_else(|| body.get("error").and_then(Value::as_str).map(str::to_owned))
        .or_else(|| body.get("message").and_then(Value::as_str).map(str::to_owned));
    HubError::Status {
        status: code.as_u16(),
        url: redact(url),
        message,
        retry_after: crate::hub::retry::retry_after(headers, std::time::SystemTime::now()),
    }
}

fn action(v: Option<&Value>) -> Option<LfsAction> {
    let v = v?;
    Some(LfsAction {
        href: v.get("href")?.as_str()?.to_owned(),
        header: v
            .get("header")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
    })
}

impl HuggingFaceHub {
    /// Creates a model repository; an existing one (409) is fine. Returns its URL.
    pub async fn create_repo(&self, repo: &ModelRef, private: bool) -> Result<String, HubError> {
        let repo_id = repo.id.as_str();
        let url = self.http.url("/api/repos/create")?;
        let (org, name) = repo_id.split_once('/').unwrap_or(("", repo_id));
        let body =
            json!({ "name": name, "organization": org, "type": repo.repo_type.as_str(), "private": private });
        let (code, headers, v) = self
            .http
            .post_json(&url, "application/json", body.to_string().into_bytes())
            .await?;
        match code {
            c if c.is_success() || c == StatusCode::CONFLICT => Ok(v
                .get("url")
                .and_then(Value::as_str)
                .map_or_else(|| repo_id.to_owned(), str::to_owned)),
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(HubError::Status {
                status: code.as_u16(),
                url: redact(&url),
                message: Some(format!(
                    "cannot create {repo_id}: a write token is needed (HF_TOKEN)"
                )),
                retry_after: None,
            }),
            _ => Err(status(&url, code, &headers, &v)),
        }
    }

    /// Creates `branch` at the default branch's head (`huggingface_hub`'s `create_branch`
    /// without a starting point); one that exists already (409, a concurrent push) is fine.
    pub async fn create_branch(&self, repo: &ModelRef, branch: &str) -> Result<(), HubError> {
        let url = self
            .http
            .url(&format!("{}/branch/{}", Self::api(repo), quote(branch)))?;
        let (code, headers, v) = self
            .http
            .post_json(&url, "application/json", b"{}".to_vec())
            .await?;
        if code.is_success() || code == StatusCode::CONFLICT {
            Ok(())
        } else {
            Err(status(&url, code, &headers, &v))
        }
    }

    /// Asks which files go through LFS. `files` are `(path, first ≤512 bytes, size)`.
    pub async fn preupload(
        &self,
        repo: &ModelRef,
        revision: &str,
        files: &[(String, Vec<u8>, u64)],
    ) -> Result<Vec<(String, UploadMode, bool)>, HubError> {
        let url = self
            .http
            .url(&format!("{}/preupload/{}", Self::api(repo), quote(revision)))?;
        let mut out = Vec::with_capacity(files.len());
        for chunk in files.chunks(256) {
            let list: Vec<Value> = chunk
                .iter()
                .map(|(p, sample, size)| json!({ "path": p, "sample": B64.encode(sample), "size": size }))
                .collect();
            let body = json!({ "files": list }).to_string().into_bytes();
            let (code, headers, v) = self.http.post_json(&url, "application/json", body).await?;
            if !code.is_success() {
                return Err(status(&url, code, &headers, &v));
            }
            let answers = v
                .get("files")
                .and_then(Value::as_array)
                .ok_or_else(|| malformed(&url, "no files in preupload answer"))?;
            for a in answers {
                let path = a
                    .get("path")
                    .and_then(Value::as_str)
                    .ok_or_else(|| malformed(&url, "preupload entry without path"))?;
                let mode = match a.get("uploadMode").and_then(Value::as_str) {
                    Some("lfs") => UploadMode::Lfs,
                    Some("regular") => UploadMode::Regular,
                    other => return Err(malformed(&url, format!("{path}: unknown uploadMode {other:?}"))),
                };
                let ignore = a.get("shouldIgnore").and_then(Value::as_bool).unwrap_or(false);
                out.push((path.to_owned(), mode, ignore));
            }
        }
        Ok(out)
    }

    /// The LFS batch request for uploads, offering `basic` and `multipart`.
    pub async fn lfs_batch(
        &self,
        repo: &ModelRef,
        revision: &str,
        objects: &[(String, u64)],
    ) -> Result<LfsBatch, HubError> {
        let url = self.http.url(&format!(
            "{}/{}.git/info/lfs/objects/batch",
            repo.repo_type.url_prefix(),
            repo.id
        ))?;
        let objs: Vec<Value> = objects
            .iter()
            .map(|(oid, size)| json!({ "oid": oid, "size": size }))
            .collect();
        let body = json!({
            "operation": "upload",
            "transfers": ["basic", "multipart"],
            "objects": objs,
            "hash_algo": "sha256",
            "ref": { "name": revision },
        });
        let (code, headers, v) = self
            .http
            .post_json(
                &url,
                "application/vnd.git-lfs+json",
                body.to_string().into_bytes(),
            )
            .await?;
        if !code.is_success() {
            return Err(status(&url, code, &headers, &v));
        }
        let transfer = v
            .get("transfer")
            .and_then(Value::as_str)
            .unwrap_or("basic")
            .to_owned();
        if transfer != "basic" && transfer != "multipart" {
            return Err(HubError::Status {
                status: code.as_u16(),
                url: redact(&url),
                message: Some(format!(
                    "the hub only offers the {transfer:?} transfer (Xet?), which hubsign does not implement; it uploads through LFS basic/multipart"
                )),
                retry_after: None,
            });
        }
        let list = v
            .get("objects")
            .and_then(Value::as_array)
            .ok_or_else(|| malformed(&url, "no objects in batch answer"))?;
        let mut objects = Vec::with_capacity(list.len());
        for o in list {
            let oid = o
                .get("oid")
                .and_then(Value::as_str)
                .ok_or_else(|| malformed(&url, "batch object without oid"))?;
            if let Some(err) = o.get("error") {
                return Err(HubError::Status {
                    status: 422,
                    url: redact(&url),
                    message: Some(format!("LFS object {oid}: {err}")),
                    retry_after: None,
                });
            }
            let actions = o.get("actions");
            objects.push(LfsObject {
                oid: oid.to_owned(),
                size: o.get("size").and_then(Value::as_u64).unwrap_or_default(),
                upload: action(actions.and_then(|a| a.get("upload"))),
                verify: action(actions.and_then(|a| a.get("verify"))),
            });
        }
        Ok(LfsBatch { transfer, objects })
    }

    /// Uploads one LFS object from `path` as the batch answer says: a single PUT (basic) or
    /// parts plus a completion call (multipart); then the verify call if there is one.
    pub async fn lfs_upload(
        &self,
        object: &LfsObject,
        path: &Path,
        mut on_bytes: impl FnMut(u64),
    ) -> Result<(), HubError> {
        let Some(upload) = &object.upload else {
            return Ok(());
        };
        let href = Url::parse(&upload.href).map_err(|e| HubError::MalformedAnswer {
            call: crate::hub::ApiCall::LfsBatch,
            detail: format!("upload href of object {}: {e}", object.oid),
        })?;
        let chunk_size = upload.header.get("chunk_size").and_then(|v| {
            v.as_str()
                .and_then(|s| s.parse::<u64>().ok())
                .or_else(|| v.as_u64())
        });
        if let Some(chunk) = chunk_size.filter(|c| *c > 0) {
            // Multipart: header "1", "2", ... are part URLs.
            let mut parts = Vec::new();
            let mut n = 1u64;
            let mut offset = 0;
            while offset < object.size {
                let part_url = upload
                    .header
                    .get(&n.to_string())
                    .and_then(Value::as_str)
                    .ok_or_else(|| malformed(&href, format!("multipart answer lacks part {n}")))?;
                let part_url = Url::parse(part_url).map_err(|e| malformed(&href, e.to_string()))?;
                let len = chunk.min(object.size - offset);
                let resp = self
                    .http
                    .put_file_range(&part_url, path, offset, len, &[])
                    .await?;
                if !resp.status().is_success() {
                    return Err(crate::hub::http::status_error(&resp));
                }
                let etag = header(resp.headers(), "etag")
                    .ok_or_else(|| malformed(&part_url, "part upload answer without ETag"))?;
                parts.push(json!({ "partNumber": n, "etag": etag }));
                on_bytes(len);
                offset += len;
                n += 1;
            }
            let body = json!({ "oid": object.oid, "parts": parts })
                .to_string()
                .into_bytes();
            let (code, headers, v) = self.http.post_json(&href, "application/json", body).await?;
            if !code.is_success() {
                return Err(status(&href, code, &headers, &v));
            }
        } else {
            let headers: Vec<(String, String)> = upload
                .header
                .iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
                .collect();
            let resp = self
                .http
                .put_file_range(&href, path, 0, object.size, &headers)
                .await?;
            if !resp.status().is_success() {
                return Err(crate::hub::http::status_error(&resp));
            }
            on_bytes(object.size);
        }
        if let Some(verify) = &object.verify {
            let url = Url::parse(&verify.href).map_err(|e| malformed(&href, e.to_string()))?;
            let body = json!({ "oid": object.oid, "size": object.size })
                .to_string()
                .into_bytes();
            let (code, headers, v) = self
                .http
                .post_json(&url, "application/vnd.git-lfs+json", body)
                .await?;
            if !code.is_success() {
                return Err(status(&url, code, &headers, &v));
            }
        }
        Ok(())
    }

    /// The NDJSON commit. With `parent`, the hub refuses (412) if the branch moved meanwhile.
    pub async fn commit_ops(
        &self,
        repo: &ModelRef,
        revision: &str,
        summary: &str,
        parent: Option<&str>,
        ops: &[CommitOp],
        create_pr: bool,
    ) -> Result<CommitAnswer, HubError> {
        let repo_id = repo.id.as_str();
        let mut path = format!("{}/commit/{}", Self::api(repo), quote(revision));
        if create_pr {
            path.push_str("?create_pr=1");
        }
        let url = self.http.url(&path)?;
        let mut header_value = json!({ "summary": summary, "description": "" });
        if let Some(p) = parent {
            header_value["parentCommit"] = json!(p);
        }
        let mut body = json!({ "key": "header", "value": header_value }).to_string();
        for op in ops {
            body.push('\n');
            let line = match op {
                CommitOp::File { path, content } => {
                    json!({ "key": "file", "value": { "content": B64.encode(content), "path": path, "encoding": "base64" } })
                }
                CommitOp::LfsFile { path, oid, size } => {
                    json!({ "key": "lfsFile", "value": { "path": path, "algo": "sha256", "oid": oid, "size": size } })
                }
            };
            body.push_str(&line.to_string());
        }
        body.push('\n');
        // Never retried: a commit applied before a dropped connection must not be applied twice.
        let (code, headers, v) = self
            .http
            .post_json_once(&url, "application/x-ndjson", body.into_bytes())
            .await?;
        if code == StatusCode::PRECONDITION_FAILED || code == StatusCode::CONFLICT {
            return Err(HubError::Status {
                status: code.as_u16(),
                url: redact(&url),
                message: Some(format!(
                    "{revision} of {repo_id} moved while pushing (someone else committed); nothing was changed — re-run the push"
                )),
                retry_after: None,
            });
        }
        if !code.is_success() {
            return Err(status(&url, code, &headers, &v));
        }
        let commit_oid = v
            .get("commitOid")
            .and_then(Value::as_str)
            .ok_or_else(|| malformed(&url, "no commitOid"))?
            .to_owned();
        Ok(CommitAnswer {
            commit_url: v
                .get("commitUrl")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            pull_request_url: v.get("pullRequestUrl").and_then(Value::as_str).map(str::to_owned),
            commit_oid,
        })
    }
}

/// The first ≤ 512 bytes of a file: what `preupload` decides LFS or regular from.
fn sample(path: &Path) -> Result<Vec<u8>, HubError> {
    use std::io::Read as _;
    let read = |source| HubError::ReadLocal {
        path: path.to_path_buf(),
        source,
    };
    let f = fs_err::File::open(path).map_err(read)?;
    let mut buf = Vec::with_capacity(512);
    f.take(512).read_to_end(&mut buf).map_err(read)?;
    Ok(buf)
}

/// SHA-256 of a file (an LFS oid not known from the manifest).
fn sha256_of(path: &Path) -> Result<String, HubError> {
    use sha2::Digest as _;
    use std::io::Read as _;
    let read = |source| HubError::ReadLocal {
        path: path.to_path_buf(),
        source,
    };
    let mut f = fs_err::File::open(path).map_err(read)?;
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 128 << 10];
    loop {
        let n = f.read(&mut buf).map_err(read)?;
        if n == 0 {
            return Ok(hex::encode(h.finalize()));
        }
        h.update(&buf[..n]);
    }
}

/// A name a new branch may take: not a commit id, not under `refs/` (`refs/pr/N`, tags).
fn is_branch_name(revision: &str) -> bool {
    let commit_like = revision.len() == 40 && revision.bytes().all(|b| b.is_ascii_hexdigit());
    !commit_like && !revision.starts_with("refs/")
}

impl Publish for HuggingFaceHub {
    async fn prepare(&self, repo: &ModelRef, branch: &str, private: bool) -> Result<Prepared, HubError> {
        let url = self.create_repo(repo, private).await?;
        let head = match self.resolve_commit(repo, branch).await {
            // A branch that does not exist yet is made from the default branch's head, as
            // `hf upload --revision` does (not a commit id or another kind of ref).
            Err(HubError::RevisionNotFound { .. }) if is_branch_name(branch) => {
                self.create_branch(repo, branch).await?;
                self.resolve_commit(repo, branch).await?
            }
            other => other?,
        };
        Ok(Prepared { repo_url: url, head })
    }

    /// Preupload (which files go through LFS, which to ignore), then the LFS objects with the
    /// batch API, basic or multipart, streamed from disk; objects the hub already stores are
    /// skipped, so an interrupted push re-run only sends what is missing.
    async fn upload(
        &self,
        repo: &ModelRef,
        branch: &str,
        files: &mut Vec<Upload>,
        concurrency: usize,
        progress: &dyn Progress,
    ) -> Result<(Uploaded, Vec<CommitFile>), HubError> {
        let samples: Vec<(String, Vec<u8>, u64)> = tokio::task::block_in_place(|| {
            files
                .iter()
                .map(|u| Ok((u.path.clone(), sample(&u.local)?, u.size)))
                .collect::<Result<_, HubError>>()
        })?;
        let modes: BTreeMap<String, (UploadMode, bool)> = self
            .preupload(repo, branch, &samples)
            .await?
            .into_iter()
            .map(|(p, m, i)| (p, (m, i)))
            .collect();
        files.retain(|u| !modes.get(&u.path).is_some_and(|(_, ignore)| *ignore));
        // LFS oids come from the manifest when it is files/sha256, else one SHA-256 pass.
        let mut lfs: Vec<(&Upload, String)> = Vec::new();
        let mut commit_files = Vec::with_capacity(files.len());
        for u in files.iter() {
            if modes.get(&u.path).is_some_and(|(m, _)| *m == UploadMode::Lfs) {
                let oid = match &u.sha256 {
                    Some(s) => s.clone(),
                    None => tokio::task::block_in_place(|| sha256_of(&u.local))?,
                };
                commit_files.push(CommitFile::Uploaded {
                    path: u.path.clone(),
                    reference: oid.clone(),
                    size: u.size,
                });
                lfs.push((u, oid));
            } else {
                commit_files.push(CommitFile::Inline {
                    path: u.path.clone(),
                    local: u.local.clone(),
                    size: u.size,
                });
            }
        }
        let mut sent = Uploaded::default();
        if lfs.is_empty() {
            return Ok((sent, commit_files));
        }
        let objects: Vec<(String, u64)> = lfs.iter().map(|(u, oid)| (oid.clone(), u.size)).collect();
        let batch = self.lfs_batch(repo, branch, &objects).await?;
        let by_oid: BTreeMap<&str, &Upload> = lfs.iter().map(|(u, oid)| (oid.as_str(), *u)).collect();
        let pending: Vec<LfsObject> = batch
            .objects
            .iter()
            .filter(|o| o.upload.is_some())
            .cloned()
            .collect();
        sent.deduplicated = batch.objects.len() - pending.len();
        let total: u64 = pending.iter().map(|o| o.size).sum();
        progress.start(pending.len(), total);
        let jobs: Vec<_> = pending
            .into_iter()
            .enumerate()
            .map(|(id, object)| {
                let local = by_oid
                    .get(object.oid.as_str())
                    .map(|u| (u.local.clone(), u.path.clone()));
                async move {
                    let (local, path) = local.ok_or_else(|| HubError::MalformedAnswer {
                        call: crate::hub::ApiCall::LfsBatch,
                        detail: format!("the hub asked for object {} that was not offered", object.oid),
                    })?;
                    progress.file_started(id, &path, object.size);
                    self.lfs_upload(&object, &local, |n| progress.bytes(id, n))
                        .await?;
                    progress.file_finished(id);
                    Ok::<u64, HubError>(object.size)
                }
            })
            .collect();
        let mut jobs = futures_util::stream::iter(jobs).buffer_unordered(concurrency.max(1));
        while let Some(r) = jobs.next().await {
            sent.bytes += r?;
        }
        progress.finish();
        Ok((sent, commit_files))
    }

    async fn commit(
        &self,
        repo: &ModelRef,
        branch: &str,
        parent: &str,
        summary: &str,
        files: &[CommitFile],
        create_pr: bool,
    ) -> Result<Published, HubError> {
        let mut ops = Vec::with_capacity(files.len());
        for f in files {
            ops.push(match f {
                CommitFile::Uploaded {
                    path,
                    reference: sha256,
                    size,
                } => CommitOp::LfsFile {
                    path: path.clone(),
                    oid: sha256.clone(),
                    size: *size,
                },
                CommitFile::Inline { path, local, size } => {
                    let content = fs_err::read(local).map_err(|source| HubError::ReadLocal {
                        path: local.clone(),
                        source,
                    })?;
                    if content.len() as u64 != *size {
                        return Err(HubError::ReadLocal {
                            path: local.clone(),
                            source: std::io::Error::other("the file changed while pushing"),
                        });
                    }
                    CommitOp::File {
                        path: path.clone(),
                        content,
                    }
                }
            });
        }
        let answer = self
            .commit_ops(repo, branch, summary, Some(parent), &ops, create_pr)
            .await?;
        Ok(Published {
            commit: answer.commit_oid,
            commit_url: answer.commit_url,
            pull_request_url: answer.pull_request_url,
        })
    }
}

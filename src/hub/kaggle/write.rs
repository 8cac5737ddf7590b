//! The write side of Kaggle Models behind the [`Publish`] seam, as `kagglehub.model_upload`
//! speaks it: `GetModel` / `CreateModel`, one `StartBlobUpload` + resumable PUT per file (an
//! interrupted PUT asks the file origin how far it got and goes on from there), then
//! `CreateModelInstance` (a new variation) or `CreateModelInstanceVersion` with the directory
//! tree, so files keep their folders (`.kaggle/signing.json`). Kaggle answers a refused change
//! with HTTP 200 and an `errorCode`; each becomes a [`HubError::Rejected`].

use super::{Instance, KaggleHub, instance, model_body, rejection, version_of};
use crate::hub::{CommitFile, HubError, Prepared, Publish, Published, Upload, Uploaded};
use crate::progress::Progress;
use crate::reference::ModelRef;
use futures_util::StreamExt as _;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeMap;

impl KaggleHub {
    /// A mutation: HTTP errors as for reads, and HTTP 200 with `errorCode` as a rejection.
    /// Sent once: a change whose answer was lost must not be applied twice.
    async fn mutate(
        &self,
        service: &str,
        method: &str,
        body: &Value,
        action: &str,
    ) -> Result<Value, HubError> {
        let url = self.rpc_url(service, method)?;
        let (status, _, v) = self
            .http
            .post_json_once(&url, "application/json", body.to_string().into_bytes())
            .await?;
        if !status.is_success() {
            let message = v.get("message").and_then(Value::as_str).map(str::to_owned);
            return Err(match status {
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => HubError::RepoNotFound {
                    repo: action.to_owned(),
                    credentials: super::CREDENTIALS,
                },
                _ => HubError::Status {
                    status: status.as_u16(),
                    url: crate::hub::http::redact(&url),
                    message,
                    retry_after: None,
                },
            });
        }
        match rejection(action, &v) {
            Some(e) => Err(e),
            None => Ok(v),
        }
    }

    /// The web page of an instance: kaggle.com for the production API, else the API's host.
    fn web_url(&self, repo: &ModelRef) -> String {
        let endpoint = self.http.url("").map(|u| u.to_string()).unwrap_or_default();
        let base = if endpoint.contains("://api.kaggle.com") {
            "https://www.kaggle.com".to_owned()
        } else {
            endpoint.trim_end_matches('/').trim_end_matches("/api").to_owned()
        };
        format!("{base}/models/{}", repo.id)
    }

    /// Uploads one file: a blob upload session, then PUTs from wherever the file origin says it
    /// got to. Returns the token the version is created with. Every failed PUT or status query,
    /// and every 308 that reports no progress, costs one attempt of the retry budget (which
    /// starts afresh after [`crate::hub::retry::RetryPolicy::progress_credit`] bytes of
    /// progress); a reported offset that goes backwards is refused.
    async fn upload_blob(&self, u: &Upload, on_bytes: impl Fn(u64)) -> Result<String, HubError> {
        let (token, url) = self.start_blob_upload(u).await?;
        let mut budget = self.http.retry.budget(0);
        let content_type = ("Content-Type".to_owned(), "application/octet-stream".to_owned());
        let mut offset = 0;
        // Whether to ask the origin how far it got before the next PUT.
        let mut ask = false;
        loop {
            let cause = if ask {
                match self.uploaded_size(&url, u.size).await {
                    Ok(reached) if reached >= u.size => {
                        on_bytes(u.size - offset);
                        return Ok(token);
                    }
                    Ok(reached) if reached < offset => {
                        return Err(HubError::Malformed {
                            url: crate::hub::http::redact(&url),
                            detail: format!(
                                "{}: the upload went back from byte {offset} to {reached}",
                                u.path
                            ),
                        });
                    }
                    Ok(reached) => {
                        on_bytes(reached - offset);
                        let progressed = reached > offset;
                        offset = reached;
                        ask = false;
                        (!progressed).then(|| HubError::Truncated {
                            path: u.path.clone(),
                            received: reached,
                            expected: u.size,
                        })
                    }
                    Err(e) if e.is_transient() => Some(e),
                    Err(e) => return Err(e),
                }
            } else {
                let result = if u.size == 0 {
                    self.http
                        .put_once(&url, None, std::slice::from_ref(&content_type))
                        .await
                } else {
                    let range = (
                        "Content-Range".to_owned(),
                        format!("bytes {offset}-{}/{}", u.size - 1, u.size),
                    );
                    self.http
                        .put_once(
                            &url,
                            Some((&u.local, offset, u.size - offset)),
                            &[content_type.clone(), range],
                        )
                        .await
                };
                ask = true;
                match result {
                    Ok(r) if matches!(r.status().as_u16(), 200 | 201) => {
                        on_bytes(u.size - offset);
                        return Ok(token);
                    }
                    // Resume Incomplete: the origin kept part of it; ask how much and go on.
                    Ok(r) if r.status().as_u16() == 308 => None,
                    Ok(r) if crate::hub::http::is_transient(r.status().as_u16()) => {
                        Some(crate::hub::http::status_error(&r))
                    }
                    Ok(r) => return Err(crate::hub::http::status_error(&r)),
                    Err(e @ HubError::ReadLocal { .. }) => return Err(e),
                    Err(e) => Some(e),
                }
            };
            if let Some(cause) = cause {
                let Some(wait) = budget.failed(offset, cause.retry_after()) else {
                    return Err(HubError::RetriesExhausted {
                        path: u.path.clone(),
                        attempts: budget.failures(),
                        source: Box::new(cause),
                    });
                };
                tokio::time::sleep(wait).await;
            }
        }
    }

    /// Opens a blob upload session for one file: the token the version is created with, and
    /// the resumable upload URL on the file origin.
    async fn start_blob_upload(&self, u: &Upload) -> Result<(String, reqwest::Url), HubError> {
        let modified = fs_err::tokio::metadata(&u.local)
            .await
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs());
        let name = u.path.rsplit('/').next().unwrap_or(&u.path);
        let mut body = json!({ "type": "MODEL", "name": name, "lastModifiedEpochSeconds": modified });
        if u.size > 0 {
            body["contentLength"] = u.size.into();
        }
        let action = format!("start the upload of {}", u.path);
        let answer = self
            .mutate("blobs.BlobApiService", "StartBlobUpload", &body, &action)
            .await?;
        let field = |k: &str| answer.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
        let (Some(token), Some(create_url)) = (field("token"), field("createUrl")) else {
            return Err(HubError::MalformedAnswer {
                call: crate::hub::ApiCall::KaggleRpc("StartBlobUpload"),
                detail: format!("{}: no token or createUrl", u.path),
            });
        };
        let url = reqwest::Url::parse(create_url).map_err(|e| HubError::MalformedAnswer {
            call: crate::hub::ApiCall::KaggleRpc("StartBlobUpload"),
            detail: format!("createUrl: {e}"),
        })?;
        Ok((token.to_owned(), url))
    }

    /// How many bytes of a resumable upload the file origin holds (`Content-Range: bytes */n`
    /// answered by 308 with `Range: bytes=0-k`, or 200/201 when it has everything).
    async fn uploaded_size(&self, url: &reqwest::Url, size: u64) -> Result<u64, HubError> {
        let query = [("Content-Range".to_owned(), format!("bytes */{size}"))];
        let r = self.http.put_once(url, None, &query).await?;
        match r.status().as_u16() {
            200 | 201 => Ok(size),
            308 => {
                let Some(range) = crate::hub::http::header(r.headers(), "range") else {
                    return Ok(0);
                };
                let end = range
                    .strip_prefix("bytes=0-")
                    .and_then(|e| e.trim().parse::<u64>().ok())
                    .filter(|e| *e < size)
                    .ok_or_else(|| HubError::Malformed {
                        url: crate::hub::http::redact(url),
                        detail: format!("upload status Range {range:?} is not bytes=0-N below {size}"),
                    })?;
                Ok(end + 1)
            }
            _ => Err(crate::hub::http::status_error(&r)),
        }
    }
}

/// A folder of the version being created: tokens of its files, and its sub-folders.
#[derive(Default)]
struct Folder {
    files: Vec<String>,
    folders: BTreeMap<String, Folder>,
}

impl Folder {
    fn insert(&mut self, path: &str, token: String) {
        match path.split_once('/') {
            None => self.files.push(token),
            Some((dir, rest)) => self
                .folders
                .entry(dir.to_owned())
                .or_default()
                .insert(rest, token),
        }
    }

    fn files_json(&self) -> Value {
        Value::Array(self.files.iter().map(|t| json!({ "token": t })).collect())
    }

    fn folders_json(&self) -> Value {
        Value::Array(
            self.folders
                .iter()
                .map(|(name, f)| json!({ "name": name, "files": f.files_json(), "directories": f.folders_json() }))
                .collect(),
        )
    }
}

fn tree(files: &[CommitFile]) -> Result<Folder, HubError> {
    let mut root = Folder::default();
    for f in files {
        match f {
            CommitFile::Uploaded { path, reference, .. } => root.insert(path, reference.clone()),
            CommitFile::Inline { path, .. } => {
                return Err(HubError::NotUploaded { path: path.clone() });
            }
        }
    }
    Ok(root)
}

impl Publish for KaggleHub {
    /// Creates the model if it does not exist (private when asked); the head is the
    /// instance's latest version, or empty when the variation does not exist yet.
    async fn prepare(&self, repo: &ModelRef, _branch: &str, _private: bool) -> Result<Prepared, HubError> {
        let Instance { owner, model, .. } = instance(repo)?;
        let what = format!("model {owner}/{model}");
        match self
            .call(
                "models.ModelApiService",
                "GetModel",
                &model_body(owner, model),
                &what,
            )
            .await
        {
            Ok(_) => {}
            Err(HubError::RepoNotFound { .. }) => {
                let body = json!({ "ownerSlug": owner, "slug": model, "title": model, "isPrivate": true });
                self.mutate(
                    "models.ModelApiService",
                    "CreateModel",
                    &body,
                    &format!("create the {what}"),
                )
                .await?;
            }
            Err(e) => return Err(e),
        }
        let head = match self.latest_version(repo).await {
            Ok(v) => v.to_string(),
            Err(HubError::RepoNotFound { .. }) => String::new(),
            Err(e) => return Err(e),
        };
        Ok(Prepared {
            repo_url: self.web_url(repo),
            head,
        })
    }

    /// Every file goes up as its own blob (Kaggle has no deduplication to ask about).
    async fn upload(
        &self,
        _repo: &ModelRef,
        _branch: &str,
        files: &mut Vec<Upload>,
        concurrency: usize,
        progress: &dyn Progress,
    ) -> Result<(Uploaded, Vec<CommitFile>), HubError> {
        let total: u64 = files.iter().map(|u| u.size).sum();
        progress.start(files.len(), total);
        let jobs: Vec<_> = files
            .iter()
            .cloned()
            .enumerate()
            .map(|(id, u)| async move {
                progress.file_started(id, &u.path, u.size);
                let token = self.upload_blob(&u, |n| progress.bytes(id, n)).await?;
                progress.file_finished(id);
                Ok::<_, HubError>(CommitFile::Uploaded {
                    path: u.path,
                    reference: token,
                    size: u.size,
                })
            })
            .collect();
        let mut results: Vec<CommitFile> = Vec::with_capacity(files.len());
        let mut jobs = futures_util::stream::iter(jobs).buffered(concurrency.max(1));
        while let Some(r) = jobs.next().await {
            results.push(r?);
        }
        progress.finish();
        Ok((
            Uploaded {
                bytes: total,
                deduplicated: 0,
            },
            results,
        ))
    }

    /// A new variation (version 1) when `parent` is empty, else a new version of it.
    async fn commit(
        &self,
        repo: &ModelRef,
        _branch: &str,
        parent: &str,
        summary: &str,
        files: &[CommitFile],
        _create_pr: bool,
    ) -> Result<Published, HubError> {
        let inst = instance(repo)?;
        let root = tree(files)?;
        let handle = format!("kaggle:{}", repo.id);
        let new_version = || async {
            let body = json!({
                "ownerSlug": inst.owner,
                "modelSlug": inst.model,
                "framework": inst.framework,
                "instanceSlug": inst.variation,
                "body": { "versionNotes": summary, "files": root.files_json(), "directories": root.folders_json() },
            });
            let answer = self
                .mutate(
                    "models.ModelApiService",
                    "CreateModelInstanceVersion",
                    &body,
                    &format!("create a new version of {handle}"),
                )
                .await?;
            // The answer's `ref` names the new version; asking for the latest instead could
            // report a concurrent push's version as ours.
            match created_version(&answer) {
                Some(v) => Ok(v),
                None => self.latest_version(repo).await,
            }
        };
        let version = if parent.is_empty() {
            let body = json!({
                "ownerSlug": inst.owner,
                "modelSlug": inst.model,
                "body": {
                    "instanceSlug": inst.variation,
                    "framework": inst.framework,
                    "files": root.files_json(),
                    "directories": root.folders_json(),
                },
            });
            match self
                .mutate(
                    "models.ModelApiService",
                    "CreateModelInstance",
                    &body,
                    &format!("create {handle}"),
                )
                .await
            {
                // A new variation starts at version 1.
                Ok(v) => created_version(&v).unwrap_or(1),
                // Created meanwhile (as kagglehub does: then add a version to it).
                Err(HubError::Rejected { code: 409, .. }) => new_version().await?,
                Err(e) => return Err(e),
            }
        } else {
            let v = new_version().await?;
            if parent.parse::<u64>().is_ok_and(|p| v <= p) {
                return Err(HubError::MalformedAnswer {
                    call: crate::hub::ApiCall::KaggleRpc("CreateModelInstanceVersion"),
                    detail: format!("{handle}: the latest version is still {v} after creating a new one"),
                });
            }
            v
        };
        Ok(Published {
            commit: version.to_string(),
            commit_url: format!("{}/{version}", self.web_url(repo)),
            pull_request_url: None,
        })
    }
}

/// The version a creation answer names: its `ref` is the handle `owner/model/framework/variation/N`.
fn created_version(answer: &Value) -> Option<u64> {
    let r = answer.get("ref").and_then(Value::as_str)?;
    let parts: Vec<&str> = r.trim_matches('/').split('/').collect();
    match parts.as_slice() {
        [_, _, _, _, v] => version_of(&Value::from(*v)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::hub::CommitFile;

    #[test]
    fn created_versions_come_from_the_ref() {
        let v = |j: serde_json::Value| super::created_version(&j);
        assert_eq!(
            v(serde_json::json!({"ref": "o/m/pyTorch/base/3", "id": 9})),
            Some(3)
        );
        assert_eq!(v(serde_json::json!({"ref": "o/m/pyTorch/base"})), None);
        assert_eq!(v(serde_json::json!({"ref": "o/m/pyTorch/base/x"})), None);
        assert_eq!(v(serde_json::json!({"id": 9})), None);
    }

    #[test]
    fn folders_keep_their_paths() {
        let f = |p: &str, t: &str| CommitFile::Uploaded {
            path: p.into(),
            reference: t.into(),
            size: 1,
        };
        let root = super::tree(&[
            f("config.json", "t1"),
            f(".kaggle/signing.json", "t2"),
            f("a/b/c.bin", "t3"),
        ])
        .unwrap();
        assert_eq!(root.files_json(), serde_json::json!([{ "token": "t1" }]));
        assert_eq!(
            root.folders_json(),
            serde_json::json!([
                { "name": ".kaggle", "files": [{ "token": "t2" }], "directories": [] },
                { "name": "a", "files": [], "directories": [{ "name": "b", "files": [{ "token": "t3" }], "directories": [] }] },
            ])
        );
    }
}

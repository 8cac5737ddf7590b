//! Kaggle Models behind the [`Hub`] seam, as kagglehub and the `kaggle` CLI speak the API:
//! every call is `POST {base}/v1/{service}/{Method}` with a camelCase JSON body.
//!
//! - pin: a version number is itself; no version asks `GetModelInstance` for the latest;
//! - list: `ListModelInstanceVersionFiles`, paged — names and sizes, no hashes, so the
//!   pre-download check can compare only the file set (and, for shard manifests, the sizes);
//! - open: `DownloadModelInstanceVersion` with `path` answers a redirect to the file's signed
//!   URL, followed as a GET without the token (the client sends it to the API origin only).
//!
//! Never used: the whole-version archive (no `path`), whose bytes could not be checked file by
//! file before they are unpacked. The write side (`push`) is in `write`.

mod write;

use super::http::{HttpClient, MAX_JSON_BYTES, RetryPolicy, read_body, redact};
use super::{ByteStream, ContentId, Hub, HubError, RemoteFile, check_remote_path};
use crate::reference::{LATEST, ModelRef};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

/// Where a Kaggle model's signature lives: where `kagglehub.model_upload(..., sigstore=True)`
/// writes it.
pub const SIGNATURE_PATH: &str = ".kaggle/signing.json";
/// The production API base (what `KAGGLE_API_ENVIRONMENT` unset or `PROD` names).
pub const DEFAULT_API_BASE: &str = "https://api.kaggle.com";
/// The values of `KAGGLE_API_ENVIRONMENT` kagglesdk knows, for messages.
pub const API_ENVIRONMENTS: &str = "PROD, LOCALHOST, TEST, STAGING, ADMIN or QA";
/// The folder under the home directory that holds kagglehub's credentials.
pub const CREDENTIALS_DIR: &str = ".kaggle";
/// Token files in [`CREDENTIALS_DIR`], in the order kagglehub reads them.
pub const ACCESS_TOKEN_FILES: [&str; 2] = ["access_token", "access_token.txt"];
/// The username/key credentials file (in `KAGGLE_CONFIG_DIR`, default [`CREDENTIALS_DIR`]).
pub const CREDENTIALS_FILE: &str = "kaggle.json";
/// The folder kagglehub caches under (in `~/.cache`, when `KAGGLEHUB_CACHE` is not set).
pub const CACHE_DIR: &str = "kagglehub";
/// Folders of a model directory kagglehub never uploads (left out of what a push signs too,
/// so what is signed and what any Kaggle upload holds are the same).
pub const NEVER_UPLOADED: [&str; 2] = [".cache", ".huggingface"];

/// The API base for a `KAGGLE_API_ENVIRONMENT` value, as kagglesdk maps it (production serves
/// `/v1/...` at its root; the other environments under `/api`); none for an unknown value.
pub fn api_base(environment: &str) -> Option<&'static str> {
    Some(match environment {
        "PROD" => DEFAULT_API_BASE,
        "LOCALHOST" => "http://localhost/api",
        "TEST" => "http://localhost:7777/api",
        "STAGING" => "https://staging.kaggle.com/api",
        "ADMIN" => "https://admin.kaggle.com/api",
        "QA" => "https://qa.kaggle.com/api",
        _ => return None,
    })
}

/// Where credentials come from, for messages.
const CREDENTIALS: &str =
    "KAGGLE_API_TOKEN, ~/.kaggle/access_token, KAGGLE_USERNAME/KAGGLE_KEY or kaggle.json";

/// Bounds on a listing, whatever the server sends (Kaggle versions hold at most tens of
/// thousands of files).
const MAX_LIST_PAGES: usize = 10_000;
const MAX_LISTED_FILES: usize = 1_000_000;
const PAGE_SIZE: u64 = 1000;
/// A page token or a file name longer than this is not an honest answer.
const MAX_TOKEN_BYTES: usize = 4096;
const MAX_NAME_BYTES: usize = 4096;
/// All names of a listing together (a million files of 256-byte names).
const MAX_LISTED_NAME_BYTES: usize = 256 << 20;
/// How long an error answer's body may take to arrive.
const ERROR_BODY_DEADLINE: std::time::Duration = std::time::Duration::from_secs(30);

/// A Kaggle API endpoint: the base that `v1/{service}/{Method}` is appended to
/// (`https://api.kaggle.com` in production, `http://localhost/api` for kagglehub's
/// `KAGGLE_API_ENVIRONMENT=LOCALHOST`).
#[derive(Debug, Clone)]
pub struct KaggleHub {
    http: HttpClient,
}

/// The four slugs of a model instance, as the API names them.
#[derive(Debug, Clone, Copy)]
struct Instance<'a> {
    owner: &'a str,
    model: &'a str,
    framework: &'static str,
    variation: &'a str,
}

impl Instance<'_> {
    fn body(&self) -> serde_json::Map<String, Value> {
        let mut m = serde_json::Map::new();
        m.insert("ownerSlug".into(), self.owner.into());
        m.insert("modelSlug".into(), self.model.into());
        m.insert("framework".into(), self.framework.into());
        m.insert("instanceSlug".into(), self.variation.into());
        m
    }
}

fn instance(repo: &ModelRef) -> Result<Instance<'_>, HubError> {
    let bad = || {
        HubError::from(crate::reference::ReferenceError::BadReference {
            reference: repo.to_string(),
            reason: "not a Kaggle model reference".into(),
        })
    };
    let (owner, model, framework, variation) = repo.kaggle_slugs().ok_or_else(bad)?;
    Ok(Instance {
        owner,
        model,
        framework: crate::reference::kaggle_framework_enum(framework).ok_or_else(bad)?,
        variation,
    })
}

/// An int64 as protobuf JSON sends it: a number, or a decimal string.
fn int64(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

/// A version number as the API sends it.
fn version_of(v: &Value) -> Option<u64> {
    int64(v).filter(|n| *n > 0)
}

/// A pinned version, as the seam carries it (a string): checked before it names a path.
fn version_number(repo: &ModelRef, version: &str) -> Result<u64, HubError> {
    version
        .parse()
        .ok()
        .filter(|_| crate::reference::is_version_number(version))
        .ok_or_else(|| {
            HubError::from(crate::reference::ReferenceError::BadReference {
                reference: format!("{repo}/{version}"),
                reason: "a Kaggle version is a positive number".into(),
            })
        })
}

impl KaggleHub {
    pub fn new(http: HttpClient) -> Self {
        Self { http }
    }

    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    fn rpc_url(&self, service: &str, method: &str) -> Result<reqwest::Url, HubError> {
        self.http.url(&format!("/v1/{service}/{method}"))
    }

    /// Maps an error answer (`{"code", "message"}` with a 4xx/5xx status) to what the user can
    /// act on.
    async fn error(resp: Response, what: &str, path: Option<(&str, &str)>) -> HubError {
        let status = resp.status();
        let url = redact(resp.url());
        let retry_after = crate::hub::retry::retry_after(resp.headers(), std::time::SystemTime::now());
        let body = tokio::time::timeout(ERROR_BODY_DEADLINE, read_body(resp, 64 << 10))
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
        let message = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned));
        match (status, path) {
            (StatusCode::NOT_FOUND, Some((revision, path))) => HubError::EntryNotFound {
                repo: what.to_owned(),
                revision: revision.to_owned(),
                path: path.to_owned(),
            },
            (StatusCode::NOT_FOUND | StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN, _) => {
                HubError::RepoNotFound {
                    repo: what.to_owned(),
                    credentials: CREDENTIALS,
                }
            }
            _ => HubError::Status {
                status: status.as_u16(),
                url,
                message,
                retry_after,
            },
        }
    }

    /// A read call, retried on 429/5xx and dropped connections.
    async fn call(&self, service: &str, method: &str, body: &Value, what: &str) -> Result<Value, HubError> {
        let url = self.rpc_url(service, method)?;
        let resp = self
            .http
            .send(
                Method::POST,
                &url,
                None,
                Some(("application/json".into(), body.to_string().into_bytes())),
            )
            .await?;
        if !resp.status().is_success() {
            return Err(Self::error(resp, what, None).await);
        }
        let bytes = read_body(resp, MAX_JSON_BYTES).await?;
        serde_json::from_slice(&bytes).map_err(|e| HubError::Malformed {
            url: redact(&url),
            detail: e.to_string(),
        })
    }

    /// The latest version of an instance.
    pub async fn latest_version(&self, repo: &ModelRef) -> Result<u64, HubError> {
        let inst = instance(repo)?;
        let what = format!("model instance kaggle:{}", repo.id);
        let v = self
            .call(
                "models.ModelApiService",
                "GetModelInstance",
                &Value::Object(inst.body()),
                &what,
            )
            .await?;
        v.get("versionNumber")
            .and_then(version_of)
            .ok_or_else(|| HubError::MalformedAnswer {
                call: crate::hub::ApiCall::KaggleRpc("GetModelInstance"),
                detail: format!("{what} has no versionNumber"),
            })
    }

    /// Every file of a version (all pages), sorted; unsafe or duplicate names are refused.
    pub async fn list_files(&self, repo: &ModelRef, version: &str) -> Result<Vec<RemoteFile>, HubError> {
        let inst = instance(repo)?;
        let number = version_number(repo, version)?;
        let what = format!("kaggle:{}/{version}", repo.id);
        let mut name_bytes = 0;
        let mut files = Vec::new();
        let mut token: Option<String> = None;
        let mut seen = std::collections::HashSet::new();
        let mut complete = false;
        for _page in 0..MAX_LIST_PAGES {
            let mut body = inst.body();
            body.insert("versionNumber".into(), number.into());
            body.insert("pageSize".into(), PAGE_SIZE.into());
            if let Some(t) = &token {
                body.insert("pageToken".into(), t.clone().into());
            }
            let v = self
                .call(
                    "models.ModelApiService",
                    "ListModelInstanceVersionFiles",
                    &Value::Object(body),
                    &what,
                )
                .await?;
            let entries = match v.get("files") {
                None | Some(Value::Null) => &[][..],
                Some(Value::Array(a)) => a.as_slice(),
                Some(_) => {
                    return Err(HubError::MalformedAnswer {
                        call: crate::hub::ApiCall::KaggleRpc("ListModelInstanceVersionFiles"),
                        detail: "files is not an array".into(),
                    });
                }
            };
            if files.len() + entries.len() > MAX_LISTED_FILES {
                return Err(HubError::MalformedAnswer {
                    call: crate::hub::ApiCall::KaggleRpc("ListModelInstanceVersionFiles"),
                    detail: format!("the listing holds more than {MAX_LISTED_FILES} files"),
                });
            }
            for e in entries {
                let f = parse_file(e)?;
                name_bytes += f.path.len();
                if name_bytes > MAX_LISTED_NAME_BYTES {
                    return Err(HubError::MalformedAnswer {
                        call: crate::hub::ApiCall::KaggleRpc("ListModelInstanceVersionFiles"),
                        detail: format!("the listing's names exceed {MAX_LISTED_NAME_BYTES} bytes"),
                    });
                }
                files.push(f);
            }
            match v
                .get("nextPageToken")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
            {
                Some(t) if t.len() > MAX_TOKEN_BYTES => {
                    return Err(HubError::MalformedAnswer {
                        call: crate::hub::ApiCall::KaggleRpc("ListModelInstanceVersionFiles"),
                        detail: format!("a page token of {} bytes", t.len()),
                    });
                }
                None => {
                    complete = true;
                    break;
                }
                Some(t) => {
                    // A hostile server can hand out a token already used: stop at once.
                    if !seen.insert(t.to_owned()) {
                        return Err(HubError::PaginationLoop {
                            url: format!("ListModelInstanceVersionFiles of {what}"),
                        });
                    }
                    token = Some(t.to_owned());
                }
            }
        }
        if !complete {
            return Err(HubError::MalformedAnswer {
                call: crate::hub::ApiCall::KaggleRpc("ListModelInstanceVersionFiles"),
                detail: format!("the listing goes on for more than {MAX_LIST_PAGES} pages"),
            });
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        if let Some(w) = files.windows(2).find(|w| w[0].path == w[1].path) {
            return Err(HubError::MalformedAnswer {
                call: crate::hub::ApiCall::KaggleRpc("ListModelInstanceVersionFiles"),
                detail: format!("{} is listed twice", w[0].path),
            });
        }
        Ok(files)
    }

    /// One file of a version from byte `from`, in one attempt.
    pub async fn open_file(
        &self,
        repo: &ModelRef,
        version: &str,
        path: &str,
        from: u64,
    ) -> Result<Response, HubError> {
        let inst = instance(repo)?;
        let number = version_number(repo, version)?;
        let mut body = inst.body();
        body.insert("versionNumber".into(), number.into());
        body.insert("path".into(), path.into());
        let url = self.rpc_url("models.ModelApiService", "DownloadModelInstanceVersion")?;
        let resp = self
            .http
            .send_once_with(
                Method::POST,
                &url,
                (from > 0).then_some(from),
                (
                    "application/json".into(),
                    Value::Object(body).to_string().into_bytes(),
                ),
            )
            .await?;
        let status = resp.status();
        let what = format!("kaggle:{}", repo.id);
        if !status.is_success() {
            return Err(Self::error(resp, &what, Some((version, path))).await);
        }
        // An error document where bytes were expected (the API answered instead of the file).
        let json = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("application/json"));
        if json && resp.url().origin() == url.origin() {
            return Err(HubError::Malformed {
                url: redact(resp.url()),
                detail: format!("{path}: the API answered a JSON document instead of the file"),
            });
        }
        if from > 0 && status != StatusCode::PARTIAL_CONTENT {
            return Err(HubError::RangeIgnored {
                url: redact(resp.url()),
                detail: format!("asked for bytes {from}- and got status {status}"),
            });
        }
        Ok(resp)
    }
}

fn parse_file(e: &Value) -> Result<RemoteFile, HubError> {
    let malformed = |detail: String| HubError::MalformedAnswer {
        call: crate::hub::ApiCall::KaggleRpc("ListModelInstanceVersionFiles"),
        detail,
    };
    let path = e
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("a file without a name".into()))?;
    if path.len() > MAX_NAME_BYTES {
        return Err(malformed(format!("a file name of {} bytes", path.len())));
    }
    check_remote_path(path)?;
    // Protobuf JSON omits defaults: no size is an empty file; an int64 may come as a string.
    let size = match e.get("size") {
        None | Some(Value::Null) => 0,
        Some(v) => int64(v).ok_or_else(|| malformed(format!("{path}: size {v} is not a byte count")))?,
    };
    Ok(RemoteFile {
        path: path.to_owned(),
        size,
        content: ContentId::SizeOnly,
        git_oid: None,
    })
}

impl Hub for KaggleHub {
    /// A version number is already pinned (the listing then proves it exists); `latest` asks
    /// for the instance's current version.
    async fn pin(&self, repo: &ModelRef, revision: &str) -> Result<String, HubError> {
        if crate::reference::is_version_number(revision) {
            return Ok(revision.to_owned());
        }
        if revision != LATEST {
            return Err(HubError::from(crate::reference::ReferenceError::BadReference {
                reference: format!("{repo} --revision {revision}"),
                reason: "a Kaggle revision is a version number (or latest)".into(),
            }));
        }
        Ok(self.latest_version(repo).await?.to_string())
    }

    async fn list(&self, repo: &ModelRef, commit: &str) -> Result<Vec<RemoteFile>, HubError> {
        self.list_files(repo, commit).await
    }

    async fn open(
        &self,
        repo: &ModelRef,
        commit: &str,
        path: &str,
        from: u64,
    ) -> Result<ByteStream, HubError> {
        Ok(ByteStream::from_response(
            self.open_file(repo, commit, path, from).await?,
        ))
    }

    fn retry(&self) -> RetryPolicy {
        self.http.retry
    }
}

/// The `errorCode`/`error` of a mutation answered with HTTP 200, if any.
fn rejection(action: &str, v: &Value) -> Option<HubError> {
    let code = v.get("errorCode").and_then(Value::as_i64).filter(|c| *c != 0);
    let message = v.get("error").and_then(Value::as_str).filter(|m| !m.is_empty());
    if code.is_none() && message.is_none() {
        return None;
    }
    Some(HubError::Rejected {
        action: action.to_owned(),
        code: code.unwrap_or_default(),
        message: message.unwrap_or("no message").to_owned(),
    })
}

/// `{"ownerSlug": …}` bodies for calls that name a model, not an instance.
fn model_body(owner: &str, model: &str) -> Value {
    json!({ "ownerSlug": owner, "modelSlug": model })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn listed_files() {
        let f = super::parse_file(&json!({"name": "a/b.bin", "size": "12"})).unwrap();
        assert_eq!((f.path.as_str(), f.size), ("a/b.bin", 12));
        assert_eq!(super::parse_file(&json!({"name": "empty"})).unwrap().size, 0);
        for bad in [
            json!({"name": "../x", "size": 1}),
            json!({"name": "/etc/passwd"}),
            json!({"size": 3}),
            json!({"name": "a", "size": -1}),
            json!({"name": "a", "size": "x"}),
        ] {
            assert!(super::parse_file(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn mutation_errors_come_as_200() {
        assert!(super::rejection("create", &json!({"id": 3})).is_none());
        assert!(super::rejection("create", &json!({"errorCode": 0, "error": ""})).is_none());
        let e = super::rejection("create", &json!({"errorCode": 409, "error": "exists"})).unwrap();
        assert_eq!(
            e.to_string(),
            "the hub refused to create: exists (error code 409)"
        );
    }
}

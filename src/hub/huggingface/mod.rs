//! The Hugging Face Hub behind the [`Hub`] seam, for models and datasets (the repository type
//! changes URL prefixes): revision → commit, the recursive tree listing (parsed here because
//! `hf-hub` drops the LFS SHA-256), and file streams from `resolve`. The write side is `write`.

mod write;

pub use write::{CommitAnswer, CommitOp, LfsAction, LfsBatch, LfsObject, UploadMode};

use super::http::{HttpClient, MAX_JSON_BYTES, RetryPolicy, header, read_body, redact, status_error};
use super::{ByteStream, ContentId, Hub, HubError, RemoteFile, check_remote_path};
use crate::reference::ModelRef;
use reqwest::{Method, Response, StatusCode};
use serde_json::Value;
use std::fmt::Write as _;

/// Percent-encodes everything but RFC 3986 unreserved characters (Python's `quote(s, safe="")`).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn quote_path(path: &str) -> String {
    path.split('/').map(quote).collect::<Vec<_>>().join("/")
}

/// The Hub (what `HF_ENDPOINT` unset names).
pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";
/// Where a repository's signature lives: `model.sig` at its root (as model_signing writes it).
pub const SIGNATURE_PATH: &str = "model.sig";
/// `HF_HOME`'s default folder under `~/.cache` (`XDG_CACHE_HOME`).
pub const HOME_DIR: &str = "huggingface";
/// The cache's folder in `HF_HOME` (when `HF_HUB_CACHE` is not set).
pub const CACHE_DIR: &str = "hub";
/// The token file in `HF_HOME` (when `HF_TOKEN_PATH` is not set), as `hf auth login` writes it.
pub const TOKEN_FILE: &str = "token";

/// Bounds on what a tree listing may hold, whatever the hub sends: at 1,000 entries a page
/// (the Hub's page size) 10,000 pages is ten times the largest repositories; a million files
/// is about 150 MB of listing in memory.
const MAX_TREE_PAGES: usize = 10_000;
const MAX_LISTED_FILES: usize = 1_000_000;

#[derive(Debug, Clone)]
pub struct HuggingFaceHub {
    http: HttpClient,
}

impl HuggingFaceHub {
    pub fn new(http: HttpClient) -> Self {
        Self { http }
    }

    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// `/api/{models,datasets}/org/name`.
    fn api(repo: &ModelRef) -> String {
        format!("/api/{}/{}", repo.repo_type.plural(), repo.id)
    }

    /// Maps the Hub's error answers (`X-Error-Code`) to what the user can act on.
    fn classify(resp: &Response, repo: &str, revision: &str, path: Option<&str>) -> HubError {
        let code = header(resp.headers(), "x-error-code").unwrap_or_default();
        match (code.as_str(), resp.status()) {
            ("RepoNotFound", _) | (_, StatusCode::UNAUTHORIZED) => HubError::RepoNotFound {
                repo: format!("repository {repo}"),
                credentials: "HF_TOKEN",
            },
            ("RevisionNotFound", _) => HubError::RevisionNotFound {
                repo: repo.to_owned(),
                revision: revision.to_owned(),
            },
            ("EntryNotFound", _) | (_, StatusCode::NOT_FOUND) if path.is_some() => HubError::EntryNotFound {
                repo: repo.to_owned(),
                revision: revision.to_owned(),
                path: path.unwrap_or_default().to_owned(),
            },
            _ => status_error(resp),
        }
    }

    async fn get_json(
        &self,
        url: &reqwest::Url,
        repo: &str,
        revision: &str,
    ) -> Result<(Value, reqwest::header::HeaderMap), HubError> {
        let resp = self.http.send(Method::GET, url, None, None).await?;
        if !resp.status().is_success() {
            return Err(Self::classify(&resp, repo, revision, None));
        }
        let headers = resp.headers().clone();
        let bytes = read_body(resp, MAX_JSON_BYTES).await?;
        let v = serde_json::from_slice(&bytes).map_err(|e| HubError::Malformed {
            url: redact(url),
            detail: e.to_string(),
        })?;
        Ok((v, headers))
    }

    /// Pins `revision` (branch, tag, or commit) to a 40-hex commit id.
    pub async fn resolve_commit(&self, repo: &ModelRef, revision: &str) -> Result<String, HubError> {
        let url = self
            .http
            .url(&format!("{}/revision/{}", Self::api(repo), quote(revision)))?;
        let (v, _) = self.get_json(&url, &repo.id, revision).await?;
        let sha = v.get("sha").and_then(Value::as_str).unwrap_or_default();
        if sha.len() != 40 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(HubError::Malformed {
                url: redact(&url),
                detail: format!("sha {sha:?} is not a 40-hex commit id"),
            });
        }
        let sha = sha.to_ascii_lowercase();
        // A commit pins itself: a hub answering another one (perhaps older, also signed — a
        // signature does not name its commit) is substituting it.
        let asked_commit = revision.len() == 40 && revision.bytes().all(|b| b.is_ascii_hexdigit());
        if asked_commit && !revision.eq_ignore_ascii_case(&sha) {
            return Err(HubError::Malformed {
                url: redact(&url),
                detail: format!("asked for commit {revision}, the hub answered commit {sha}"),
            });
        }
        Ok(sha)
    }

    /// Every file of the repository at `commit` (recursive, all pages). Unsafe paths are refused.
    pub async fn list_files(&self, repo: &ModelRef, commit: &str) -> Result<Vec<RemoteFile>, HubError> {
        let mut url = self.http.url(&format!(
            "{}/tree/{}?recursive=true&expand=false",
            Self::api(repo),
            quote(commit)
        ))?;
        let mut files = Vec::new();
        // A hostile hub can send a next link back to a page already read: stop at once.
        let mut seen = std::collections::HashSet::new();
        let mut complete = false;
        for _page in 0..MAX_TREE_PAGES {
            if !seen.insert(url.as_str().to_owned()) {
                return Err(HubError::PaginationLoop { url: redact(&url) });
            }
            let (v, headers) = self.get_json(&url, &repo.id, commit).await?;
            let entries = v.as_array().ok_or_else(|| HubError::Malformed {
                url: redact(&url),
                detail: "tree listing is not an array".into(),
            })?;
            if files.len() + entries.len() > MAX_LISTED_FILES {
                return Err(HubError::Malformed {
                    url: redact(&url),
                    detail: format!("the listing holds more than {MAX_LISTED_FILES} files"),
                });
            }
            for e in entries {
                if e.get("type").and_then(Value::as_str) != Some("file") {
                    continue;
                }
                files.push(parse_entry(e).map_err(|detail| HubError::Malformed {
                    url: redact(&url),
                    detail,
                })?);
            }
            let Some(next) = header(&headers, "link").as_deref().and_then(next_link) else {
                complete = true;
                break;
            };
            url = url.join(&next).map_err(|e| HubError::Malformed {
                url: redact(&url),
                detail: e.to_string(),
            })?;
        }
        if !complete {
            // A truncated listing must never pass for a complete one.
            return Err(HubError::Malformed {
                url: redact(&url),
                detail: format!("the listing goes on for more than {MAX_TREE_PAGES} pages"),
            });
        }
        for f in &files {
            check_remote_path(&f.path)?;
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        if let Some(w) = files.windows(2).find(|w| w[0].path == w[1].path) {
            return Err(HubError::Malformed {
                url: redact(&url),
                detail: format!("{} is listed twice", w[0].path),
            });
        }
        Ok(files)
    }

    /// Opens a file's byte stream at `commit`, from byte `from` (a resumed transfer).
    pub async fn open_file(
        &self,
        repo: &ModelRef,
        commit: &str,
        path: &str,
        from: u64,
    ) -> Result<Response, HubError> {
        let url = self.http.url(&format!(
            "{}/{}/resolve/{}/{}",
            repo.repo_type.url_prefix(),
            repo.id,
            quote(commit),
            quote_path(path)
        ))?;
        let resp = self
            .http
            .send_once(Method::GET, &url, (from > 0).then_some(from))
            .await?;
        let status = resp.status();
        if !status.is_success() {
            return Err(Self::classify(&resp, &repo.id, commit, Some(path)));
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

impl Hub for HuggingFaceHub {
    async fn pin(&self, repo: &ModelRef, revision: &str) -> Result<String, HubError> {
        self.resolve_commit(repo, revision).await
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

fn parse_entry(e: &Value) -> Result<RemoteFile, String> {
    let path = e
        .get("path")
        .and_then(Value::as_str)
        .ok_or("tree entry without path")?
        .to_owned();
    let size = e
        .get("size")
        .and_then(Value::as_u64)
        .ok_or_else(|| format!("{path}: no size"))?;
    let oid = e
        .get("oid")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_ascii_lowercase();
    let git_oid = (oid.len() == 40 && oid.bytes().all(|b| b.is_ascii_hexdigit())).then_some(oid);
    let content = match e.get("lfs") {
        Some(l) if !l.is_null() => {
            let sha256 = l
                .get("oid")
                .or_else(|| l.get("sha256"))
                .and_then(Value::as_str)
                .ok_or_else(|| format!("{path}: lfs without oid"))?;
            if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!("{path}: lfs oid {sha256:?} is not a SHA-256"));
            }
            if l.get("size").and_then(Value::as_u64).is_some_and(|n| n != size) {
                return Err(format!("{path}: lfs size differs from the listed size"));
            }
            ContentId::Sha256(sha256.to_ascii_lowercase())
        }
        _ => ContentId::GitBlobSha1(
            git_oid
                .clone()
                .ok_or_else(|| format!("{path}: oid is not a git blob id"))?,
        ),
    };
    Ok(RemoteFile {
        path,
        size,
        content,
        git_oid,
    })
}

/// The `rel="next"` target of a `Link` header.
fn next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        params.contains("rel=\"next\"").then(|| {
            target
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_owned()
        })
    })
}

#[cfg(test)]
mod tests {
    /// Seeded mutations of a tree page: the entry parser never panics and never accepts an
    /// entry without a size and a well-formed id.
    #[test]
    fn mutated_tree_listings_never_panic() {
        let page = br#"[{"type":"file","oid":"0123456789abcdef0123456789abcdef01234567","size":12,"path":"config.json"},{"type":"file","oid":"89abcdef0123456789abcdef0123456789abcdef","size":65553,"path":"model.safetensors","lfs":{"oid":"a974162717d6266ee44d48caa940667cf743f16df31ec4397a177f5be7c077bc","size":65553,"pointerSize":134}}]"#;
        let mut rng: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move |n: usize| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            usize::try_from(rng % (n as u64)).unwrap()
        };
        for _ in 0..3000 {
            let mut b = page.to_vec();
            for _ in 0..=next(3) {
                let at = next(b.len());
                match next(3) {
                    0 => b[at] ^= 1 << next(8),
                    1 => {
                        let end = (at + 1 + next(24)).min(b.len());
                        b.drain(at..end);
                    }
                    _ => b[at] = b"0z\"{}[],:-".get(next(10)).copied().unwrap_or(b'x'),
                }
            }
            let Ok(serde_json::Value::Array(entries)) = serde_json::from_slice::<serde_json::Value>(&b)
            else {
                continue;
            };
            for e in &entries {
                if let Ok(f) = super::parse_entry(e) {
                    match &f.content {
                        super::ContentId::GitBlobSha1(h) => assert_eq!(h.len(), 40, "{f:?}"),
                        super::ContentId::Sha256(h) => assert_eq!(h.len(), 64, "{f:?}"),
                        super::ContentId::SizeOnly => panic!("{f:?}"),
                    }
                }
            }
        }
    }

    #[test]
    fn redacted_urls_carry_no_credentials() {
        let u = reqwest::Url::parse("https://user:pw@cdn.example/x?X-Amz-Signature=abc#f").unwrap();
        assert_eq!(super::redact(&u), "https://cdn.example/x");
    }

    #[test]
    fn quoting_and_links() {
        assert_eq!(super::quote("refs/pr/1"), "refs%2Fpr%2F1");
        assert_eq!(super::quote_path("a b/c.bin"), "a%20b/c.bin");
        assert_eq!(
            super::next_link("<https://h/api/x?cursor=abc>; rel=\"next\"").as_deref(),
            Some("https://h/api/x?cursor=abc")
        );
        assert_eq!(super::next_link("<https://h/x>; rel=\"prev\""), None);
    }
}

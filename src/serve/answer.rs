//! The mirror's answers, built from a verified [`Snapshot`] only, in the shapes the Hub uses
//! (and `huggingface_hub` parses): repository info, paginated trees, paths-info, `resolve`
//! with the `ETag`/`X-Repo-Commit`/`X-Linked-*` headers and `Range`, and errors with
//! `X-Error-Code`/`X-Error-Message`.

use super::Verdict;
use super::flight::{ServedFile, Snapshot};
use crate::reference::ModelRef;
use crate::{Error, ExitStatus};
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::error::Error as _;

/// The `X-Error-Code` of a refusal. `huggingface_hub` maps no specific exception to it, so a
/// 403 with it raises an `HfHubHTTPError` whose text carries `X-Error-Message`.
pub const REFUSED_CODE: &str = "HubsignRefused";

/// An answer other than success: status, error code and the reason, as data.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub status: u16,
    pub code: Option<&'static str>,
    pub message: String,
    pub verdict: Verdict,
    /// The snapshot's files no longer look as verified (the registry forgets it).
    pub stale: bool,
    /// Seconds after which the client may retry (503 answers).
    pub retry_after: Option<u32>,
    /// Why the mirror failed, for its own log only (never sent to the client).
    pub cause: Option<String>,
}

impl Refusal {
    fn new(status: u16, code: Option<&'static str>, message: &str, verdict: Verdict) -> Self {
        Self {
            status,
            code,
            message: message.to_owned(),
            verdict,
            stale: false,
            retry_after: None,
            cause: None,
        }
    }

    pub fn refused(message: &str) -> Self {
        Self::new(403, Some(REFUSED_CODE), message, Verdict::Refused)
    }

    pub fn unauthorized() -> Self {
        Self::new(
            401,
            None,
            "this mirror needs a valid bearer token (Authorization: Bearer ...)",
            Verdict::Unauthorized,
        )
    }

    pub fn bad_request(message: &str) -> Self {
        Self::new(400, None, message, Verdict::NotFound)
    }

    pub fn not_found(message: &str) -> Self {
        Self::new(404, None, message, Verdict::NotFound)
    }

    pub fn coded(status: u16, code: &'static str, message: &str) -> Self {
        Self::new(status, Some(code), message, Verdict::NotFound)
    }

    pub fn upstream(message: &str) -> Self {
        Self::new(502, None, message, Verdict::Error)
    }

    pub fn internal(message: &str) -> Self {
        Self::new(500, None, message, Verdict::Error)
    }

    /// 500: the HTTP builder refused an answer (a header value it cannot carry). Never an
    /// empty 200: the client learns the mirror failed, the mirror's log learns why.
    pub fn unbuilt(cause: &axum::http::Error) -> Self {
        Self {
            cause: Some(format!("cannot build the answer: {cause}")),
            ..Self::internal("hubsign mirror could not build its answer; the mirror's log says why")
        }
    }

    /// 503: too many verified pulls in flight; `Retry-After` tells the client when to retry.
    pub fn busy(message: &str, retry_after: u32) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::new(503, None, message, Verdict::Error)
        }
    }

    /// How a failed pull is answered: a definite "no" (unsigned, does not verify) is a 403 with
    /// the reason; anything else (upstream down, cache unwritable) a 5xx without a verdict.
    pub fn from_error(repo: &ModelRef, commit: &str, e: &Error) -> Self {
        let pinned = format!("{}@{commit}", super::policy_name(repo));
        match e {
            Error::SignatureMissing { path, .. } => Self::refused(&format!(
                "hubsign mirror refuses {pinned}: the repository is unsigned (no signature file {path})"
            )),
            // Nobody is trusted to sign it: a decision of the policy, not a failure.
            Error::NoTrustRule { .. } => Self::refused(&format!("hubsign mirror refuses {pinned}: {e}")),
            Error::Hub(crate::hub::HubError::RepoNotFound { .. }) => {
                Self::coded(404, "RepoNotFound", "Repository not found")
            }
            Error::Hub(crate::hub::HubError::RevisionNotFound { .. }) => {
                Self::coded(404, "RevisionNotFound", &format!("Invalid rev id: {commit}"))
            }
            _ if e.exit_status() == ExitStatus::VerificationFailed => Self::refused(&format!(
                "hubsign mirror refuses {pinned}: it does not verify: {}",
                chain(e)
            )),
            Error::Hub(_) => Self::upstream(&format!(
                "hubsign mirror could not fetch {pinned} from upstream: {}",
                chain(e)
            )),
            // The cause (paths of the mirror's own filesystem) goes to the mirror's log only.
            _ => Self::internal(&format!(
                "hubsign mirror could not cache {pinned}; the mirror's log says why"
            )),
        }
    }

    /// The answer to send; the builder's error when a header cannot be carried (the caller
    /// logs it and sends a bare 500 instead).
    pub fn response(&self, commit: Option<&str>) -> Result<Response<Body>, axum::http::Error> {
        let mut b = Response::builder()
            .status(StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
            .header("Content-Type", "application/json; charset=utf-8")
            .header("X-Error-Message", header_text(&self.message));
        if let Some(c) = self.code {
            b = b.header("X-Error-Code", c);
        }
        if let Some(c) = commit {
            b = b.header("X-Repo-Commit", c);
        }
        if let Some(s) = self.retry_after {
            b = b.header("Retry-After", s);
        }
        let body = json!({ "error": self.message }).to_string();
        b.header("Content-Length", body.len()).body(Body::from(body))
    }
}

/// A bare 500, made without the builder so that it cannot fail: the answer when even a
/// refusal could not be built.
pub fn internal_error() -> Response<Body> {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    r
}

/// A built answer, or the 500 [`Refusal::unbuilt`] for the builder's error.
pub fn built(answer: Result<Response<Body>, axum::http::Error>) -> Result<Response<Body>, Refusal> {
    answer.map_err(|e| Refusal::unbuilt(&e))
}

/// An error and its causes on one line.
fn chain(e: &Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// A header-safe rendering: printable ASCII only, bounded.
fn header_text(s: &str) -> HeaderValue {
    let clean: String = s
        .chars()
        .map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '?' })
        .take(2000)
        .collect();
    HeaderValue::from_str(&clean).unwrap_or_else(|_| HeaderValue::from_static("refused"))
}

fn json_response(v: &Value) -> Result<Response<Body>, Refusal> {
    let body = serde_json::to_vec(v).unwrap_or_default();
    built(
        Response::builder()
            .header("Content-Type", "application/json; charset=utf-8")
            .header("Content-Length", body.len())
            .body(Body::from(body)),
    )
}

pub fn text(s: &'static str) -> Result<Response<Body>, Refusal> {
    built(
        Response::builder()
            .header("Content-Type", "text/plain; charset=utf-8")
            .header("Content-Length", s.len())
            .body(Body::from(s)),
    )
}

/// `a=1&b=2`, form-decoded.
fn query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let dec = |s: &str| super::pct_decode(&s.replace('+', " ")).unwrap_or_default();
            (dec(k), dec(v))
        })
        .collect()
}

fn flag(q: &[(String, String)], name: &str) -> bool {
    q.iter()
        .any(|(k, v)| k == name && matches!(v.as_str(), "true" | "True" | "1"))
}

/// `GET /api/{models,datasets}/{repo}[/revision/{rev}]`: the commit, and siblings = the
/// signed files plus the signature (with `blobs=true`, their sizes and hashes).
pub fn info(s: &Snapshot, q: &str) -> Result<Response<Body>, Refusal> {
    let blobs = flag(&query(q), "blobs");
    let siblings: Vec<Value> = s
        .files
        .values()
        .map(|f| {
            let mut v = json!({ "rfilename": f.path });
            if blobs {
                v["blobId"] = json!(f.git_oid);
                v["size"] = json!(f.size);
                if let Some(sha) = &f.lfs_sha256 {
                    v["lfs"] = json!({ "sha256": sha, "size": f.size, "pointerSize": f.pointer_size() });
                }
            }
            v
        })
        .collect();
    let (author, _) = s.repo.id.split_once('/').unwrap_or((&s.repo.id, ""));
    let mut v = json!({
        "_id": s.commit.get(..24).unwrap_or_default(),
        "id": s.repo.id,
        "author": author,
        "sha": s.commit,
        "private": false,
        "disabled": false,
        "gated": false,
        "downloads": 0,
        "likes": 0,
        "tags": [],
        "siblings": siblings,
        "usedStorage": s.files.values().map(|f| f.size).sum::<u64>(),
    });
    if s.repo.repo_type == crate::reference::RepoType::Model {
        v["modelId"] = json!(s.repo.id);
    }
    json_response(&v)
}

fn file_entry(f: &ServedFile) -> Value {
    let mut v = json!({ "type": "file", "oid": f.git_oid, "size": f.size, "path": f.path });
    if let Some(sha) = &f.lfs_sha256 {
        v["lfs"] = json!({ "oid": sha, "size": f.size, "pointerSize": f.pointer_size() });
    }
    v
}

/// Files and folders of the served view, in git order (a folder sorts as `name/`), with an
/// index by path. A folder's `oid` names the served view of it (it is not upstream's tree id:
/// unsigned files are left out).
#[derive(Debug)]
pub struct Entries {
    pub list: Vec<(String, Value)>,
    by_path: std::collections::HashMap<String, usize>,
}

fn entries(s: &Snapshot) -> &Entries {
    s.entries.get_or_init(|| build_entries(s))
}

fn build_entries(s: &Snapshot) -> Entries {
    let mut dirs = BTreeSet::new();
    for p in s.files.keys() {
        let mut p = p.as_str();
        while let Some((parent, _)) = p.rsplit_once('/') {
            dirs.insert(parent.to_owned());
            p = parent;
        }
    }
    let mut out: Vec<(String, Value)> = s
        .files
        .values()
        .map(|f| (f.path.clone(), file_entry(f)))
        .collect();
    for d in dirs {
        use sha1::Digest as _;
        let oid = hex::encode(sha1::Sha1::digest(format!("{}:{d}", s.commit)));
        out.push((
            format!("{d}/"),
            json!({ "type": "directory", "oid": oid, "size": 0, "path": d }),
        ));
    }
    out.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let by_path = out
        .iter()
        .enumerate()
        .map(|(i, (_, v))| (v["path"].as_str().unwrap_or_default().to_owned(), i))
        .collect();
    Entries { list: out, by_path }
}

/// Paths one paths-info request may ask for.
const MAX_PATHS_INFO: usize = 10_000;

fn entry_not_found(message: &str) -> Refusal {
    Refusal::coded(404, "EntryNotFound", message)
}

/// `GET /api/…/tree/{rev}[/{path}]`, `recursive`, paginated by `cursor` with a `Link:
/// <…>; rel="next"` header (absolute, on the host the client asked).
pub fn tree(
    s: &Snapshot,
    rev: &str,
    path: &str,
    q: &str,
    headers: &HeaderMap,
    page_size: usize,
) -> Result<Response<Body>, Refusal> {
    let q = query(q);
    let recursive = flag(&q, "recursive");
    let all = &entries(s).list;
    let prefix = if path.is_empty() {
        String::new()
    } else {
        format!("{path}/")
    };
    if !path.is_empty() && !all.iter().any(|(k, _)| *k == prefix) {
        return Err(entry_not_found(&format!("{path} does not exist on \"{rev}\"")));
    }
    let list: Vec<&Value> = all
        .iter()
        .filter(|(k, v)| {
            let p = v["path"].as_str().unwrap_or_default();
            p.strip_prefix(prefix.as_str())
                .is_some_and(|rest| *k != prefix && (recursive || !rest.contains('/')))
        })
        .map(|(_, v)| v)
        .collect();
    let start: usize = q
        .iter()
        .find(|(k, _)| k == "cursor")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let page_size = page_size.max(1);
    let end = start.saturating_add(page_size).min(list.len());
    let page: Vec<&Value> = list.get(start..end).unwrap_or_default().to_vec();
    let mut resp = json_response(&Value::Array(page.into_iter().cloned().collect()))?;
    if end < list.len() {
        let host = headers
            .get("host")
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        let scheme = headers
            .get("x-forwarded-proto")
            .and_then(|h| h.to_str().ok())
            .filter(|p| *p == "https")
            .unwrap_or("http");
        let mut next: Vec<String> = q
            .iter()
            .filter(|(k, _)| k != "cursor")
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    crate::hub::huggingface::quote(k),
                    crate::hub::huggingface::quote(v)
                )
            })
            .collect();
        next.push(format!("cursor={end}"));
        let api = format!(
            "/api/{}/{}/tree/{}",
            s.repo.repo_type.plural(),
            s.repo.id,
            // The pinned commit, not the branch: every page comes from the same commit.
            crate::hub::huggingface::quote(&s.commit)
        );
        let api = if path.is_empty() {
            api
        } else {
            let p: Vec<String> = path.split('/').map(crate::hub::huggingface::quote).collect();
            format!("{api}/{}", p.join("/"))
        };
        let link = format!("<{scheme}://{host}{api}?{}>; rel=\"next\"", next.join("&"));
        if let Ok(v) = HeaderValue::from_str(&link) {
            resp.headers_mut().insert("Link", v);
        }
    }
    Ok(resp)
}

/// `POST /api/…/paths-info/{rev}` (form or JSON `paths`): the entries of the served view that
/// exist, each once.
pub fn paths_info(s: &Snapshot, body: &[u8], is_json: bool) -> Result<Response<Body>, Refusal> {
    let paths: Vec<String> = if is_json {
        let v: Value =
            serde_json::from_slice(body).map_err(|_| Refusal::bad_request("the body is not JSON"))?;
        match &v["paths"] {
            Value::Array(a) => a.iter().filter_map(|p| p.as_str().map(str::to_owned)).collect(),
            Value::String(p) => vec![p.clone()],
            _ => Vec::new(),
        }
    } else {
        query(&String::from_utf8_lossy(body))
            .into_iter()
            .filter(|(k, _)| k == "paths" || k == "paths[]")
            .map(|(_, v)| v)
            .collect()
    };
    if paths.len() > MAX_PATHS_INFO {
        return Err(Refusal::bad_request(&format!(
            "paths-info takes at most {MAX_PATHS_INFO} paths per request"
        )));
    }
    let all = entries(s);
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for p in paths {
        let p = p.trim_end_matches('/').to_owned();
        if !seen.insert(p.clone()) {
            continue;
        }
        if let Some(&i) = all.by_path.get(&p) {
            out.push(all.list[i].1.clone());
        }
    }
    json_response(&Value::Array(out))
}

/// `Range: bytes=a-b | a- | -n` → `(start, end exclusive)`; `None` to serve everything (no or
/// an unsupported header); `Err` when unsatisfiable.
fn range(header: Option<&str>, size: u64) -> Option<Result<(u64, u64), ()>> {
    let spec = header?.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    let parsed = if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        if n == 0 {
            return Some(Err(()));
        }
        (size.saturating_sub(n), size)
    } else {
        let start: u64 = a.parse().ok()?;
        let end = if b.is_empty() {
            size
        } else {
            let last: u64 = b.parse().ok()?;
            if last < start {
                return None;
            }
            last.saturating_add(1).min(size)
        };
        (start, end)
    };
    Some(if parsed.0 >= size { Err(()) } else { Ok(parsed) })
}

/// `GET`/`HEAD /{repo}/resolve/{rev}/{path}`, from the verified snapshot: the verified file
/// is opened where it was verified and must still be that file before a byte goes out; a
/// mismatch marks the snapshot stale.
pub async fn resolve(
    s: &Snapshot,
    path: &str,
    range_header: Option<&str>,
    head: bool,
) -> Result<Response<Body>, Refusal> {
    use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};
    let Some(f) = s.files.get(path) else {
        return Err(entry_not_found("Entry not found"));
    };
    let stale = |what: &str| Refusal {
        stale: true,
        ..Refusal::internal(&format!(
            "the mirror's verified copy of {path} {what}; the next request verifies the repository again"
        ))
    };
    // The verified file itself, opened without following a link there, and it must still be
    // the same file (device, inode, size, times) as when it was verified.
    let Some(id) = &f.disk else {
        return Err(stale("has no recorded location"));
    };
    let nofollow = i32::try_from(rustix::fs::OFlags::NOFOLLOW.bits()).unwrap_or(0);
    let mut file = tokio::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nonblocking(nofollow))
        .open(&id.path)
        .await
        .map_err(|_| stale("cannot be opened"))?;
    let meta = file.metadata().await.map_err(|_| stale("cannot be read"))?;
    if !id.matches(&meta) || meta.len() != f.size {
        return Err(stale("changed since it was verified"));
    }
    let size = f.size;
    let (status, start, end) = match range(range_header, size) {
        None => (StatusCode::OK, 0, size),
        Some(Ok((a, b))) => (StatusCode::PARTIAL_CONTENT, a, b),
        Some(Err(())) => {
            return built(
                Response::builder()
                    .status(StatusCode::RANGE_NOT_SATISFIABLE)
                    .header("Content-Range", format!("bytes */{size}"))
                    .header("Accept-Ranges", "bytes")
                    .header("X-Repo-Commit", &s.commit)
                    .body(Body::empty()),
            );
        }
    };
    let mut b = Response::builder()
        .status(status)
        .header("Content-Type", "application/octet-stream")
        .header("Accept-Ranges", "bytes")
        .header("Content-Length", end - start)
        .header("ETag", format!("\"{}\"", f.git_oid))
        .header("X-Repo-Commit", &s.commit);
    if let Some(sha) = &f.lfs_sha256 {
        b = b
            .header("X-Linked-Etag", format!("\"{sha}\""))
            .header("X-Linked-Size", size);
    }
    if status == StatusCode::PARTIAL_CONTENT {
        b = b.header("Content-Range", format!("bytes {start}-{}/{size}", end - 1));
    }
    if head {
        return built(b.body(Body::empty()));
    }
    if start > 0 {
        file.seek(std::io::SeekFrom::Start(start))
            .await
            .map_err(|_| stale("cannot be read"))?;
    }
    let stream = tokio_util::io::ReaderStream::with_capacity(file.take(end - start), 1 << 20);
    built(b.body(Body::from_stream(stream)))
}

/// `flags` plus `O_NONBLOCK` (a FIFO planted at the path cannot block the open).
fn nonblocking(flags: i32) -> i32 {
    flags | i32::try_from(rustix::fs::OFlags::NONBLOCK.bits()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::{REFUSED_CODE, Refusal, range};
    use crate::Error;
    use crate::reference::ModelRef;

    /// "No rule covers it" is a refusal because of its variant, whatever it prints.
    #[test]
    fn a_repository_no_rule_covers_is_refused_by_its_variant() {
        let repo = ModelRef::parse("org/name", None).unwrap();
        let e = Error::NoTrustRule {
            repo: "org/name".into(),
            policy: None,
        };
        let r = Refusal::from_error(&repo, "0123", &e);
        assert_eq!(r.status, 403);
        assert_eq!(r.code, Some(REFUSED_CODE));
        assert_eq!(r.verdict, super::Verdict::Refused);
        assert!(
            r.message.contains("no trust policy rule covers org/name"),
            "{}",
            r.message
        );
    }

    #[test]
    fn ranges() {
        assert_eq!(range(None, 100), None);
        assert_eq!(range(Some("bytes=0-9"), 100), Some(Ok((0, 10))));
        assert_eq!(range(Some("bytes=90-"), 100), Some(Ok((90, 100))));
        assert_eq!(range(Some("bytes=-10"), 100), Some(Ok((90, 100))));
        assert_eq!(range(Some("bytes=-1000"), 100), Some(Ok((0, 100))));
        assert_eq!(range(Some("bytes=50-1000"), 100), Some(Ok((50, 100))));
        assert_eq!(range(Some("bytes=100-"), 100), Some(Err(())));
        assert_eq!(range(Some("bytes=-0"), 100), Some(Err(())));
        // Unsupported or malformed: the whole file.
        assert_eq!(range(Some("bytes=0-1,5-6"), 100), None);
        assert_eq!(range(Some("bytes=9-2"), 100), None);
        assert_eq!(range(Some("items=0-1"), 100), None);
        assert_eq!(range(Some("bytes=x-1"), 100), None);
    }
}

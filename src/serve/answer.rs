//! The mirror's answers, built from a verified [`Snapshot`] only, in the shapes the Hub uses
//! (and `huggingface_hub` parses): repository info, paginated trees, paths-info, `resolve`
//! with the `ETag`/`X-Repo-Commit`/`X-Linked-*` headers and `Range`, and errors with
//! `X-Error-Code`/`X-Error-Message`.

use super::refusal::{Refusal, built};
use super::snapshot::Snapshot;
use crate::cache::DiskId;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeSet;

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
    let all = &s.entries().list;
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
    let all = s.entries();
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

/// `GET`/`HEAD /{repo}/resolve/{rev}/{path}`, from the verified snapshot: once this file's
/// own bytes verified (waiting for that file, not the repository), they are opened where they
/// verified and must still be that file before a byte goes out. A mismatch after the pull
/// ended marks the snapshot for verifying again ([`Remedy::VerifyAgain`](super::refusal::Remedy)).
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
    let stale = |what: &str| {
        Refusal::stale(&format!(
            "the mirror's verified copy of {path} {what}; the next request verifies the repository again"
        ))
    };
    let id = s
        .file(path)
        .await
        .map_err(|r| (*r).clone())?
        .ok_or_else(|| stale("has no recorded location"))?;
    let mut file = match open_verified(&id, f.size).await {
        Ok(file) => file,
        // The pull may have moved the file from staging into the cache between the lookup and
        // the open (the commit renames the very file that verified): once the pull has ended,
        // its committed location is tried, once.
        // A definite "no" for the commit answers as such; anything else (the copy changed,
        // or the pull failed because it did) verifies the commit again.
        Err(first) => {
            s.settled().await;
            match s.file(path).await {
                Ok(Some(now)) if now != id => open_verified(&now, f.size).await.map_err(stale)?,
                Err(r) if r.verdict == super::Verdict::Refused => return Err((*r).clone()),
                _ => return Err(stale(first)),
            }
        }
    };
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

/// Opens the file `id` names, without following a link there, and only if it is still that
/// file (device, inode, size, times) of `size` bytes; else what is wrong with it.
async fn open_verified(id: &DiskId, size: u64) -> Result<fs_err::tokio::File, &'static str> {
    let nofollow = i32::try_from(rustix::fs::OFlags::NOFOLLOW.bits()).unwrap_or(0);
    let file = fs_err::tokio::OpenOptions::new()
        .read(true)
        .custom_flags(nonblocking(nofollow))
        .open(&id.path)
        .await
        .map_err(|_| "cannot be opened")?;
    let meta = file.metadata().await.map_err(|_| "cannot be read")?;
    if !id.matches(&meta) || meta.len() != size {
        return Err("changed since it was verified");
    }
    Ok(file)
}

/// `flags` plus `O_NONBLOCK` (a FIFO planted at the path cannot block the open).
fn nonblocking(flags: i32) -> i32 {
    flags | i32::try_from(rustix::fs::OFlags::NONBLOCK.bits()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::range;
    use crate::Error;
    use crate::reference::ModelRef;
    use crate::serve::Verdict;
    use crate::serve::refusal::{REFUSED_CODE, Refusal};

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
        assert_eq!(r.verdict, Verdict::Refused);
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

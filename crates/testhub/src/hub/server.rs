//! The HTTP side: routing, listings, `resolve`, the CDN, fault injection and the request log.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State as AxState;
use axum::http::{HeaderMap, Method, Response as HttpResponse, StatusCode, request::Parts};
use serde_json::{Value, json};

use super::files::{self, BodyFaults, pct_decode};
use super::store::{Blob, Commit, Repo, iso8601};
use super::write;
use super::{Fault, Origin, Request};

pub(super) type Response = HttpResponse<Body>;

pub struct Shared {
    pub hub_origin: String,
    pub cdn_origin: String,
    /// Where pushed content lives (LFS objects, regular files of API commits, multipart parts).
    pub store_dir: std::path::PathBuf,
    pub state: Mutex<State>,
    /// Bytes of endless hostile bodies handed to connections.
    pub hostile_sent: std::sync::atomic::AtomicU64,
}

pub struct State {
    pub repos: BTreeMap<String, Repo>,
    /// sha256 → content (what the CDN serves).
    pub blobs: HashMap<String, Arc<Blob>>,
    pub page_size: usize,
    pub faults: Vec<Fault>,
    pub requests: Vec<Request>,
    /// Body bytes handed to the connection so far, per request (parallel to `requests`).
    pub sent: Vec<Arc<std::sync::atomic::AtomicU64>>,
    pub clock: u64,
    /// When set, every write endpoint needs `Authorization: Bearer <it>`.
    pub write_token: Option<String>,
    /// Objects larger than this go multipart (when the client offers it), in parts of this size.
    pub chunk_size: u64,
    /// The LFS store: sha256 → content (uploaded, or LFS files of `add_commit`).
    pub lfs: BTreeMap<String, Arc<Blob>>,
    /// Multipart uploads in progress, by upload id.
    pub uploads: HashMap<String, super::write::Upload>,
    /// For unique names (upload ids, temp files).
    pub seq: u64,
    /// How late every answer starts ([`super::LocalHub::set_latency`]).
    pub latency: std::time::Duration,
}

impl Default for State {
    fn default() -> Self {
        Self {
            repos: BTreeMap::new(),
            blobs: HashMap::new(),
            page_size: 1000,
            faults: Vec::new(),
            requests: Vec::new(),
            sent: Vec::new(),
            clock: 0,
            write_token: None,
            chunk_size: 8 * 1024 * 1024,
            lfs: BTreeMap::new(),
            uploads: HashMap::new(),
            seq: 0,
            latency: std::time::Duration::ZERO,
        }
    }
}

pub fn router(shared: Arc<Shared>, origin: Origin) -> Router {
    Router::new()
        .fallback(
            move |AxState(sh): AxState<Arc<Shared>>, req: axum::extract::Request| async move {
                handle(sh, origin, req).await
            },
        )
        .with_state(shared)
}

async fn handle(sh: Arc<Shared>, origin: Origin, req: axum::extract::Request) -> Response {
    let latency = sh.state.lock().unwrap().latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let (parts, body) = req.into_parts();
    let path_q = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_string(), ToString::to_string);
    let hdr = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let mut resp = if let Some(r) = endless_body(&sh, &path_q) {
        r
    } else {
        routed(&sh, origin, &parts, &path_q, body).await
    };
    if parts.method == Method::HEAD {
        *resp.body_mut() = Body::empty();
    }
    // Body bytes are counted as the connection takes them (a client killed mid-body is
    // charged for what was handed over).
    let sent = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let exact = axum::body::HttpBody::size_hint(resp.body()).exact();
    if parts.method != Method::HEAD && exact != Some(0) {
        if let Some(n) = exact {
            // Counting makes it a stream: the length it had is kept as a header.
            if !resp.headers().contains_key("content-length") {
                resp.headers_mut().insert("content-length", n.into());
            }
        }
        let counter = sent.clone();
        let body = std::mem::take(resp.body_mut());
        *resp.body_mut() = Body::from_stream(futures_util::StreamExt::map(
            body.into_data_stream(),
            move |chunk| {
                if let Ok(c) = &chunk {
                    counter.fetch_add(c.len() as u64, std::sync::atomic::Ordering::SeqCst);
                }
                chunk
            },
        ));
    }
    let mut st = sh.state.lock().unwrap();
    st.sent.push(sent);
    st.requests.push(Request {
        origin,
        method: parts.method.to_string(),
        path: path_q,
        authorization: hdr("authorization"),
        range: hdr("range"),
        content_type: hdr("content-type"),
        status: resp.status().as_u16(),
        bytes: 0,
    });
    drop(st);
    resp
}

/// [`Fault::EndlessBody`]: 1 MiB chunks until 1.5 GiB or the client hangs up; every chunk the
/// connection accepts is counted.
fn endless_body(sh: &Arc<Shared>, path_q: &str) -> Option<Response> {
    let hit = sh.state.lock().unwrap().faults.iter().any(
        |f| matches!(f, Fault::EndlessBody { path_contains } if path_q.contains(path_contains.as_str())),
    );
    if !hit {
        return None;
    }
    let sh = sh.clone();
    let chunks = futures_util::stream::unfold(0u32, move |n| {
        let sh = sh.clone();
        async move {
            if n >= 1536 {
                return None;
            }
            sh.hostile_sent
                .fetch_add(1 << 20, std::sync::atomic::Ordering::SeqCst);
            Some((Ok::<_, std::io::Error>(Bytes::from(vec![b' '; 1 << 20])), n + 1))
        }
    });
    Some(
        builder(200)
            .header("Content-Type", "application/json")
            .body(Body::from_stream(chunks))
            .unwrap(),
    )
}

async fn routed(sh: &Arc<Shared>, origin: Origin, parts: &Parts, path_q: &str, body: Body) -> Response {
    if let Some(r) = server_error(sh, path_q) {
        super::write::drain(body).await;
        return r;
    }
    match origin {
        Origin::Hub => hub(sh, parts, body).await,
        Origin::Cdn => cdn(sh, parts, body).await,
    }
}

// ---------------------------------------------------------------- helpers

/// Percent-encodes everything but unreserved characters (and `/` when `keep_slash`).
pub fn pct_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::new();
    for &c in s.as_bytes() {
        if c.is_ascii_alphanumeric() || b"-._~".contains(&c) || (keep_slash && c == b'/') {
            out.push(char::from(c));
        } else {
            let _ = write!(out, "%{c:02X}");
        }
    }
    out
}

/// `a=1&b=2` → pairs, form-decoded (`+` is a space).
fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (pct_decode(&k.replace('+', " ")), pct_decode(&v.replace('+', " ")))
        })
        .collect()
}

pub(super) fn query_of(parts: &Parts) -> Vec<(String, String)> {
    parse_query(parts.uri.query().unwrap_or(""))
}

pub(super) fn flag(q: &[(String, String)], name: &str) -> bool {
    q.iter()
        .any(|(k, v)| k == name && matches!(v.as_str(), "true" | "True" | "1"))
}

pub(super) fn builder(status: u16) -> axum::http::response::Builder {
    HttpResponse::builder().status(StatusCode::from_u16(status).unwrap())
}

pub(super) fn json_response(v: &Value) -> Response {
    builder(200)
        .header("Content-Type", "application/json; charset=utf-8")
        .body(Body::from(serde_json::to_vec(v).unwrap()))
        .unwrap()
}

pub(super) fn error(status: u16, code: Option<&str>, message: &str) -> Response {
    let mut b = builder(status)
        .header("Content-Type", "application/json; charset=utf-8")
        .header("X-Error-Message", message);
    if let Some(c) = code {
        b = b.header("X-Error-Code", c);
    }
    b.body(Body::from(json!({ "error": message }).to_string()))
        .unwrap()
}

pub(super) fn not_found() -> Response {
    builder(404).body(Body::from("Not Found")).unwrap()
}

fn server_error(sh: &Shared, path_q: &str) -> Option<Response> {
    let decoded = pct_decode(path_q);
    let hit = |p: &String| path_q.contains(p.as_str()) || decoded.contains(p.as_str());
    let mut st = sh.state.lock().unwrap();
    let i = st.faults.iter().position(|f| match f {
        Fault::ServerError {
            path_contains, times, ..
        }
        | Fault::RateLimit {
            path_contains, times, ..
        } => *times > 0 && hit(path_contains),
        _ => false,
    })?;
    let (status, retry_after, times) = match &mut st.faults[i] {
        Fault::ServerError { status, times, .. } => {
            (*status, (*status == 429).then(|| "0".to_owned()), times)
        }
        Fault::RateLimit {
            retry_after, times, ..
        } => (429, Some(retry_after.clone()), times),
        _ => unreachable!(),
    };
    *times -= 1;
    if *times == 0 {
        st.faults.remove(i);
    }
    drop(st);
    let mut r = error(status, None, &format!("Injected fault: HTTP {status}"));
    if let Some(after) = retry_after {
        r.headers_mut().insert("Retry-After", after.parse().unwrap());
    }
    Some(r)
}

// ---------------------------------------------------------------- hub routing

async fn hub(sh: &Shared, parts: &Parts, body: Body) -> Response {
    let segs: Vec<String> = parts.uri.path().split('/').skip(1).map(pct_decode).collect();
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let get = parts.method == Method::GET || parts.method == Method::HEAD;
    let post = parts.method == Method::POST;
    // The Hub's oldest repositories have no organisation (`gpt2`, `datasets/squad`) and are
    // served under their bare name: `/api/models/gpt2/revision/main`, `/gpt2/resolve/main/f`.
    // Like the Hub, a path is read as `org/name` unless only the bare repository exists.
    let bare = |one: String, two: String| {
        let st = sh.state.lock().unwrap();
        !st.repos.contains_key(&two) && st.repos.contains_key(&one)
    };
    match segs.as_slice() {
        ["api", "whoami-v2"] if get => whoami(sh, &parts.headers),
        ["api", "repos", "create"] if post => write::create_repo(sh, parts, body).await,
        ["api", "validate-yaml"] if post => write::validate_yaml(body).await,
        ["api", "complete_multipart"] if post => write::complete_multipart(sh, parts, body).await,
        [org, name_git, "info", "lfs", "objects", op]
        | ["datasets", org, name_git, "info", "lfs", "objects", op]
            if post && name_git.rsplit_once('.').is_some_and(|(_, ext)| ext == "git") =>
        {
            let prefix = if segs[0] == "datasets" { "datasets/" } else { "" };
            let repo_id = format!("{prefix}{org}/{}", name_git.trim_end_matches(".git"));
            lfs(sh, parts, &repo_id, op, body).await
        }
        [name_git, "info", "lfs", "objects", op]
            if post && name_git.rsplit_once('.').is_some_and(|(_, ext)| ext == "git") =>
        {
            lfs(sh, parts, name_git.trim_end_matches(".git"), op, body).await
        }
        ["api", kind @ ("models" | "datasets"), org, name, rest @ ..]
            if !bare(
                format!("{}{org}", prefix(kind)),
                format!("{}{org}/{name}", prefix(kind)),
            ) =>
        {
            // Datasets live under their URL form `datasets/org/name`, models under `org/name`.
            let repo_id = format!("{}{org}/{name}", prefix(kind));
            api(sh, parts, &repo_id, rest, body).await
        }
        ["api", kind @ ("models" | "datasets"), name, rest @ ..] => {
            let repo_id = format!("{}{name}", prefix(kind));
            api(sh, parts, &repo_id, rest, body).await
        }
        ["datasets", org, name, "resolve", rev, path @ ..]
            if get
                && !path.is_empty()
                && !bare(format!("datasets/{org}"), format!("datasets/{org}/{name}")) =>
        {
            resolve(sh, parts, &format!("datasets/{org}/{name}"), rev, &path.join("/"))
        }
        ["datasets", name, "resolve", rev, path @ ..] if get && !path.is_empty() => {
            resolve(sh, parts, &format!("datasets/{name}"), rev, &path.join("/"))
        }
        [org, name, "resolve", rev, path @ ..]
            if get && !path.is_empty() && !bare((*org).to_owned(), format!("{org}/{name}")) =>
        {
            resolve(sh, parts, &format!("{org}/{name}"), rev, &path.join("/"))
        }
        [name, "resolve", rev, path @ ..] if get && !path.is_empty() => {
            resolve(sh, parts, name, rev, &path.join("/"))
        }
        _ => not_found(),
    }
}

/// `datasets/` for the API's `datasets` segment: how the store names a dataset.
fn prefix(kind: &str) -> &'static str {
    if kind == "datasets" { "datasets/" } else { "" }
}

async fn lfs(sh: &Shared, parts: &Parts, repo_id: &str, op: &str, body: Body) -> Response {
    match op {
        "batch" => write::lfs_batch(sh, parts, repo_id, body).await,
        "verify" => write::lfs_verify(sh, parts, repo_id, body).await,
        _ => not_found(),
    }
}

/// `/api/{models,datasets}/<repo>/…`.
async fn api(sh: &Shared, parts: &Parts, repo_id: &str, rest: &[&str], body: Body) -> Response {
    let get = parts.method == Method::GET || parts.method == Method::HEAD;
    let post = parts.method == Method::POST;
    match rest {
        [] | [""] if get => info(sh, parts, repo_id, "main"),
        ["revision", rev @ ..] if get && !rev.is_empty() => info(sh, parts, repo_id, &rev.join("/")),
        ["tree", rev, path @ ..] if get => tree(sh, parts, repo_id, rev, &path.join("/")),
        ["paths-info", rev] if post => {
            let bytes = axum::body::to_bytes(body, 16 << 20).await.unwrap_or_default();
            paths_info(sh, parts, repo_id, rev, &bytes)
        }
        ["refs"] if get => refs(sh, parts, repo_id),
        ["preupload", rev] if post => write::preupload(sh, parts, repo_id, rev, body).await,
        ["commit", rev] if post => write::commit(sh, parts, repo_id, rev, body).await,
        ["branch", branch] if post => write::create_branch(sh, parts, repo_id, branch, body).await,
        _ => not_found(),
    }
}

pub(super) fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get("authorization")?.to_str().ok()?;
    let t = v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer "))?;
    Some(t.trim().to_string())
}

pub(super) fn known_token(st: &State, token: &str) -> bool {
    st.write_token.as_deref() == Some(token) || st.repos.values().any(|r| r.token.as_deref() == Some(token))
}

pub(super) const INVALID_CREDENTIALS: &str = "Invalid credentials in Authorization header";

/// The repo if this request may see it, else the Hub's answer. The write token sees every repo.
pub(super) fn access<'a>(st: &'a State, headers: &HeaderMap, repo_id: &str) -> Result<&'a Repo, Response> {
    let token = bearer(headers);
    if let Some(t) = &token {
        if !known_token(st, t) {
            return Err(error(401, None, INVALID_CREDENTIALS));
        }
    }
    let denied = || {
        let status = if token.is_some() { 404 } else { 401 };
        error(status, Some("RepoNotFound"), "Repository not found")
    };
    let repo = st.repos.get(repo_id).ok_or_else(denied)?;
    match &repo.token {
        Some(t) if token.as_deref() != Some(t.as_str()) && (token.is_none() || token != st.write_token) => {
            Err(denied())
        }
        _ => Ok(repo),
    }
}

fn revision<'a>(
    st: &'a State,
    parts: &Parts,
    repo_id: &str,
    rev: &str,
) -> Result<(&'a Repo, Arc<Commit>), Response> {
    let repo = access(st, &parts.headers, repo_id)?;
    let commit = repo
        .resolve(rev)
        .ok_or_else(|| error(404, Some("RevisionNotFound"), &format!("Invalid rev id: {rev}")))?;
    Ok((repo, commit))
}

fn whoami(sh: &Shared, headers: &HeaderMap) -> Response {
    let st = sh.state.lock().unwrap();
    match bearer(headers) {
        Some(t) if known_token(&st, &t) => {
            let role = if st.write_token.as_deref() == Some(t.as_str()) {
                "write"
            } else {
                "read"
            };
            json_response(&json!({
            "type": "user",
            "id": "0123456789abcdef01234567",
            "name": "hubsign-test",
            "fullname": "hubsign test user",
            "email": "hubsign-test@localhost",
            "emailVerified": true,
            "canPay": false,
            "isPro": false,
            "periodEnd": null,
            "avatarUrl": "",
            "orgs": [],
            "auth": { "type": "access_token", "accessToken": { "displayName": "test", "role": role } },
            }))
        }
        Some(_) => error(401, None, INVALID_CREDENTIALS),
        None => error(401, None, "Invalid username or password."),
    }
}

// ---------------------------------------------------------------- listings

/// A file as listings show it (after the listing faults).
struct Listed {
    path: String,
    size: u64,
    oid: String,
    /// (sha256, size, pointerSize)
    lfs: Option<(String, u64, u64)>,
}

fn listed_files(st: &State, commit: &Commit) -> Vec<Listed> {
    let mut out: Vec<Listed> = commit
        .files
        .values()
        .filter(|f| {
            !st.faults
                .iter()
                .any(|x| matches!(x, Fault::MissingFromListing { path } if *path == f.path))
        })
        .map(|f| Listed {
            path: f.path.clone(),
            size: f.blob.size,
            oid: f.oid.clone(),
            lfs: f
                .lfs
                .then(|| (f.blob.sha256.clone(), f.blob.size, f.pointer_size)),
        })
        .collect();
    for f in &st.faults {
        if let Fault::ExtraInListing {
            path,
            size,
            lfs_sha256,
        } = f
        {
            out.retain(|l| l.path != *path);
            let (oid, lfs) = match lfs_sha256 {
                Some(sha) => {
                    let ptr = super::lfs_pointer(sha, *size);
                    let oid = super::git_object_sha1("blob", ptr.as_bytes());
                    (oid, Some((sha.clone(), *size, ptr.len() as u64)))
                }
                None => (
                    super::git_object_sha1("blob", format!("extra:{path}").as_bytes()),
                    None,
                ),
            };
            out.push(Listed {
                path: path.clone(),
                size: *size,
                oid,
                lfs,
            });
        }
    }
    out
}

fn file_json(l: &Listed, commit: &Commit, expand: bool) -> Value {
    let mut v = json!({ "type": "file", "oid": l.oid, "size": l.size, "path": l.path });
    if let Some((sha, size, ptr)) = &l.lfs {
        v["lfs"] = json!({ "oid": sha, "size": size, "pointerSize": ptr });
    }
    if expand {
        v["lastCommit"] = json!({ "id": commit.sha, "title": commit.title, "date": iso8601(commit.time) });
    }
    v
}

/// Files and directories (git order: a directory sorts as `name/`, before its contents).
fn entries(st: &State, commit: &Commit, expand: bool) -> Vec<(String, Value)> {
    let files = listed_files(st, commit);
    let mut dirs = BTreeSet::new();
    for f in &files {
        let mut p = f.path.as_str();
        while let Some((parent, _)) = p.rsplit_once('/') {
            dirs.insert(parent.to_string());
            p = parent;
        }
    }
    let mut out: Vec<(String, Value)> = files
        .iter()
        .map(|f| (f.path.clone(), file_json(f, commit, expand)))
        .collect();
    for d in &dirs {
        let oid = commit
            .dirs
            .get(d)
            .cloned()
            .unwrap_or_else(|| super::git_object_sha1("tree", format!("extra:{d}").as_bytes()));
        let mut v = json!({ "type": "directory", "oid": oid, "size": 0, "path": d });
        if expand {
            v["lastCommit"] =
                json!({ "id": commit.sha, "title": commit.title, "date": iso8601(commit.time) });
        }
        out.push((format!("{d}/"), v));
    }
    out.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    out
}

fn info(sh: &Shared, parts: &Parts, repo_id: &str, rev: &str) -> Response {
    let st = sh.state.lock().unwrap();
    let rev = st
        .faults
        .iter()
        .find_map(|f| match f {
            Fault::ResolveRevisionTo { from, to } if from == rev => Some(to.clone()),
            _ => None,
        })
        .unwrap_or_else(|| rev.to_owned());
    let rev = rev.as_str();
    let (repo, commit) = match revision(&st, parts, repo_id, rev) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let blobs = flag(&query_of(parts), "blobs");
    let mut files = listed_files(&st, &commit);
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let siblings: Vec<Value> = files
        .iter()
        .map(|f| {
            let mut v = json!({ "rfilename": f.path });
            if blobs {
                v["blobId"] = json!(f.oid);
                v["size"] = json!(f.size);
                if let Some((sha, size, ptr)) = &f.lfs {
                    v["lfs"] = json!({ "sha256": sha, "size": size, "pointerSize": ptr });
                }
            }
            v
        })
        .collect();
    let used: u64 = commit.files.values().map(|f| f.blob.size).sum();
    let id_hex = &super::git_object_sha1("repo", repo_id.as_bytes())[..24];
    // Datasets live under `datasets/org/name`; their info names them `org/name` and has no
    // model-only fields.
    let dataset_id = repo_id.strip_prefix("datasets/");
    let id = dataset_id.unwrap_or(repo_id);
    // A legacy repository without organisation (`gpt2`) is its own author on the Hub.
    let (author, _) = id.split_once('/').unwrap_or((id, ""));
    let mut v = json!({
        "_id": id_hex,
        "id": id,
        "author": author,
        "sha": commit.sha,
        "lastModified": iso8601(commit.time),
        "createdAt": iso8601(repo.created),
        "private": repo.token.is_some(),
        "disabled": false,
        "gated": false,
        "downloads": 0,
        "likes": 0,
        "tags": [],
        "siblings": siblings,
        "usedStorage": used,
    });
    if dataset_id.is_none() {
        v["modelId"] = json!(repo_id);
        v["library_name"] = json!("transformers");
        v["spaces"] = json!([]);
    }
    json_response(&v)
}

fn tree(sh: &Shared, parts: &Parts, repo_id: &str, rev: &str, path: &str) -> Response {
    let path = path.trim_end_matches('/');
    let st = sh.state.lock().unwrap();
    let (_, commit) = match revision(&st, parts, repo_id, rev) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let q = query_of(parts);
    let recursive = flag(&q, "recursive");
    let expand = flag(&q, "expand");
    let all = entries(&st, &commit, expand);
    let prefix = if path.is_empty() {
        String::new()
    } else {
        format!("{path}/")
    };
    if !path.is_empty() && !all.iter().any(|(k, _)| *k == prefix) {
        let mut r = error(
            404,
            Some("EntryNotFound"),
            &format!("{path} does not exist on \"{rev}\""),
        );
        r.headers_mut()
            .insert("X-Repo-Commit", commit.sha.parse().unwrap());
        return r;
    }
    let mut list: Vec<Value> = all
        .into_iter()
        .filter(|(k, v)| {
            let p = v["path"].as_str().unwrap();
            let Some(rest) = p.strip_prefix(prefix.as_str()) else {
                return false;
            };
            k != &prefix && (recursive || !rest.contains('/'))
        })
        .map(|(_, v)| v)
        .collect();
    for f in &st.faults {
        if let Fault::RawTreeEntry(v) = f {
            list.push(v.clone());
        }
    }
    let start: usize = q
        .iter()
        .find(|(k, _)| k == "cursor")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let end = (start + st.page_size).min(list.len());
    let page: Vec<Value> = list.get(start..end).unwrap_or_default().to_vec();
    let mut b = builder(200).header("Content-Type", "application/json; charset=utf-8");
    let host = parts.headers.get("host").and_then(|h| h.to_str().ok());
    let origin = host.map_or_else(|| sh.hub_origin.clone(), |h| format!("http://{h}"));
    if st.faults.contains(&Fault::LoopingPagination) {
        let here = parts.uri.path_and_query().map_or("", |p| p.as_str());
        b = b.header("Link", format!("<{origin}{here}>; rel=\"next\""));
    } else if end < list.len() {
        let mut next: Vec<String> = q
            .iter()
            .filter(|(k, _)| k != "cursor")
            .map(|(k, v)| format!("{}={}", pct_encode(k, false), pct_encode(v, false)))
            .collect();
        next.push(format!("cursor={end}"));
        b = b.header(
            "Link",
            format!("<{origin}{}?{}>; rel=\"next\"", parts.uri.path(), next.join("&")),
        );
    }
    b.body(Body::from(serde_json::to_vec(&page).unwrap())).unwrap()
}

fn paths_info(sh: &Shared, parts: &Parts, repo_id: &str, rev: &str, body: &[u8]) -> Response {
    let st = sh.state.lock().unwrap();
    let (_, commit) = match revision(&st, parts, repo_id, rev) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let is_json = parts
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let (paths, expand): (Vec<String>, bool) = if is_json {
        let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let paths = match &v["paths"] {
            Value::Array(a) => a.iter().filter_map(|p| p.as_str().map(str::to_string)).collect(),
            Value::String(s) => vec![s.clone()],
            _ => Vec::new(),
        };
        (
            paths,
            v["expand"].as_bool().unwrap_or(false) || v["expand"] == "true",
        )
    } else {
        let q = parse_query(&String::from_utf8_lossy(body));
        let paths = q
            .iter()
            .filter(|(k, _)| k == "paths" || k == "paths[]")
            .map(|(_, v)| v.clone())
            .collect();
        (paths, flag(&q, "expand"))
    };
    let all = entries(&st, &commit, expand);
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for p in paths {
        let p = p.trim_end_matches('/').to_string();
        if seen.contains(&p) {
            continue;
        }
        if let Some((_, v)) = all.iter().find(|(_, v)| v["path"] == p.as_str()) {
            out.push(v.clone());
        }
        seen.push(p);
    }
    json_response(&Value::Array(out))
}

fn refs(sh: &Shared, parts: &Parts, repo_id: &str) -> Response {
    let st = sh.state.lock().unwrap();
    let repo = match access(&st, &parts.headers, repo_id) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let mut branches = Vec::new();
    let mut prs = Vec::new();
    for (name, sha) in &repo.refs {
        if name.starts_with("refs/pr/") {
            prs.push(json!({ "name": name, "ref": name, "targetCommit": sha }));
        } else {
            branches.push(json!({ "name": name, "ref": format!("refs/heads/{name}"), "targetCommit": sha }));
        }
    }
    let mut v = json!({ "branches": branches, "converts": [], "tags": [] });
    if flag(&query_of(parts), "include_prs") {
        v["pullRequests"] = Value::Array(prs);
    }
    json_response(&v)
}

// ---------------------------------------------------------------- content

fn resolve(sh: &Shared, parts: &Parts, repo_id: &str, rev: &str, path: &str) -> Response {
    let st = sh.state.lock().unwrap();
    let (_, commit) = match revision(&st, parts, repo_id, rev) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(file) = commit.files.get(path) else {
        let mut r = error(404, Some("EntryNotFound"), "Entry not found");
        r.headers_mut()
            .insert("X-Repo-Commit", commit.sha.parse().unwrap());
        return r;
    };
    if file.lfs {
        let name = path.rsplit('/').next().unwrap_or(path);
        let disposition = format!(
            "inline; filename*=UTF-8''{}; filename=\"{name}\";",
            pct_encode(name, false)
        );
        let cdn_origin = st
            .faults
            .iter()
            .find_map(|f| match f {
                Fault::RedirectLfsTo { origin } => Some(origin.clone()),
                _ => None,
            })
            .unwrap_or_else(|| sh.cdn_origin.clone());
        let location = format!(
            "{}/repos/{}?repo={}&path={}&response-content-disposition={}&Expires=4102444800&Signature=local-hub",
            cdn_origin,
            file.blob.sha256,
            pct_encode(repo_id, false),
            pct_encode(path, false),
            pct_encode(&disposition, false),
        );
        let text = format!("Found. Redirecting to {location}");
        return builder(302)
            .header("Content-Type", "text/plain; charset=utf-8")
            .header("Location", &location)
            .header("ETag", format!("\"{}\"", file.oid))
            .header("X-Repo-Commit", &commit.sha)
            .header("X-Linked-Etag", format!("\"{}\"", file.blob.sha256))
            .header("X-Linked-Size", file.blob.size.to_string())
            .header("Content-Length", text.len().to_string())
            .body(Body::from(text))
            .unwrap();
    }
    let blob = file.blob.clone();
    let etag = format!("\"{}\"", file.oid);
    let sha = commit.sha.clone();
    drop(st);
    let mut r = serve(sh, parts, &blob, path);
    let h = r.headers_mut();
    h.insert("ETag", etag.parse().unwrap());
    h.insert("X-Repo-Commit", sha.parse().unwrap());
    r
}

async fn cdn(sh: &Shared, parts: &Parts, body: Body) -> Response {
    let segs: Vec<&str> = parts.uri.path().split('/').skip(1).collect();
    if parts.method == Method::PUT {
        return match segs.as_slice() {
            ["lfs-upload", oid] => write::put_basic(sh, parts, oid, body).await,
            ["lfs-upload", oid, upload, n] => write::put_part(sh, oid, upload, n, body).await,
            _ => {
                write::drain(body).await;
                not_found()
            }
        };
    }
    if parts.method != Method::GET && parts.method != Method::HEAD {
        write::drain(body).await;
        return builder(405).body(Body::empty()).unwrap();
    }
    let ["repos", sha256] = segs.as_slice() else {
        return not_found();
    };
    let blob = {
        let st = sh.state.lock().unwrap();
        st.blobs.get(*sha256).or_else(|| st.lfs.get(*sha256)).cloned()
    };
    let Some(blob) = blob else {
        return not_found();
    };
    let q = query_of(parts);
    let get = |name: &str| q.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let path = get("path").unwrap_or_default();
    let mut r = serve(sh, parts, &blob, &path);
    let h = r.headers_mut();
    // The CDN's own ETag is NOT the sha256 (like S3/CloudFront): clients must use X-Linked-Etag.
    let cdn_etag = super::git_object_sha1("cdn", blob.sha256.as_bytes());
    h.insert(
        "ETag",
        format!("\"{cdn_etag}{}\"", &cdn_etag[..24]).parse().unwrap(),
    );
    if let Some(d) = get("response-content-disposition") {
        if let Ok(v) = d.parse() {
            h.insert("Content-Disposition", v);
        }
    }
    r
}

fn body_faults(sh: &Shared, path: &str) -> BodyFaults {
    let mut st = sh.state.lock().unwrap();
    let mut bf = BodyFaults::default();
    let mut exhausted = None;
    for (i, f) in st.faults.iter_mut().enumerate() {
        match f {
            Fault::CorruptBody { path: p } if p == path => bf.corrupt = true,
            Fault::Stall {
                path: p,
                after,
                duration,
            } if p == path => bf.stall = Some((*after, *duration)),
            Fault::TruncateBody {
                path: p,
                after,
                times,
            } if p == path && *times > 0 && bf.truncate.is_none() => {
                bf.truncate = Some(*after);
                *times -= 1;
                if *times == 0 {
                    exhausted = Some(i);
                }
            }
            _ => {}
        }
    }
    if let Some(i) = exhausted {
        st.faults.remove(i);
    }
    bf
}

/// Streams `blob` (or a Range of it) from disk with `Accept-Ranges`, applying the body faults for `path`.
fn serve(sh: &Shared, parts: &Parts, blob: &Arc<Blob>, path: &str) -> Response {
    let size = blob.size;
    let ignore_range = sh
        .state
        .lock()
        .unwrap()
        .faults
        .iter()
        .any(|f| matches!(f, Fault::IgnoreRange { path: p } if p == path));
    let range = parts
        .headers
        .get("range")
        .and_then(|v| v.to_str().ok())
        .filter(|_| !ignore_range);
    let (status, start, end) = match files::span(range, size) {
        Ok(span) => span,
        Err(unsatisfiable) => return unsatisfiable,
    };
    let mut b = builder(status)
        .header("Content-Type", "application/octet-stream")
        .header("Accept-Ranges", "bytes")
        .header("Content-Length", (end - start).to_string());
    if status == 206 {
        b = b.header("Content-Range", format!("bytes {start}-{}/{size}", end - 1));
    }
    if parts.method == Method::HEAD {
        return b.body(Body::empty()).unwrap();
    }
    let faults = body_faults(sh, path);
    b.body(files::stream(blob.disk.clone(), start, end - start, faults))
        .unwrap()
}

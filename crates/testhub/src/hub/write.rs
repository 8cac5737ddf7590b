//! The write side: `POST /api/repos/create`, `/api/validate-yaml`, `preupload`, the git-LFS batch API
//! (basic and multipart transfers, verify), NDJSON commits (to branches and new PRs) and branch creation.
//!
//! LFS content is streamed to the hub's store directory and checked (sha256 and size) before it is stored;
//! regular files of commits are written there too, so the read side serves pushed revisions from disk like
//! those of `add_commit`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::request::Parts;
use base64::Engine as _;
use futures_util::StreamExt as _;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use tokio::io::AsyncWriteExt as _;

use super::Fault;
use super::server::{
    INVALID_CREDENTIALS, Response, Shared, State, access, bearer, builder, error, flag, json_response,
    known_token, query_of,
};
use super::store::{self, Blob, FileEntry, Repo};

/// The 412 message of the Hub when `parentCommit` is not the branch head.
pub const STALE_PARENT: &str = "A commit has happened since. Please refresh and try again.";

/// A multipart upload between its LFS batch answer and its completion.
#[derive(Debug)]
pub struct Upload {
    oid: String,
    size: u64,
    n_parts: u32,
    /// Part number → (temp file, ETag as sent).
    parts: BTreeMap<u32, (PathBuf, String)>,
}

// ---------------------------------------------------------------- helpers

/// Reads and discards a request body (so a refused upload still gets its answer, not a reset).
pub async fn drain(body: Body) {
    let mut s = body.into_data_stream();
    while let Some(Ok(_)) = s.next().await {}
}

async fn read_body(body: Body, limit: usize) -> Result<Bytes, Response> {
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|e| error(413, None, &format!("Request body too large or unreadable: {e}")))
}

async fn read_json(body: Body) -> Result<Value, Response> {
    let bytes = read_body(body, 64 << 20).await?;
    serde_json::from_slice(&bytes).map_err(|e| error(400, None, &format!("Invalid JSON body: {e}")))
}

/// `http://<Host>` as the client addressed the hub (falls back to the bound origin).
fn origin(sh: &Shared, parts: &Parts) -> String {
    parts
        .headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .map_or_else(|| sh.hub_origin.clone(), |h| format!("http://{h}"))
}

fn next_seq(st: &mut State) -> u64 {
    st.seq += 1;
    st.seq
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
}

/// The write-token check shared by every write endpoint.
fn write_auth(st: &State, parts: &Parts) -> Result<(), Response> {
    let token = bearer(&parts.headers);
    if let Some(t) = &token {
        if !known_token(st, t) {
            return Err(error(401, None, INVALID_CREDENTIALS));
        }
    }
    match (&st.write_token, &token) {
        (None, _) => Ok(()),
        (Some(w), Some(t)) if w == t => Ok(()),
        (Some(_), Some(_)) => Err(error(
            403,
            None,
            "You don't have the rights to write to this repository (read-only token)",
        )),
        (Some(_), None) => Err(error(
            401,
            None,
            "Unauthorized: a write token is required (Authorization: Bearer <token>)",
        )),
    }
}

/// Write access to an existing repo the request may see.
fn write_repo<'a>(st: &'a State, parts: &Parts, repo_id: &str) -> Result<&'a Repo, Response> {
    write_auth(st, parts)?;
    access(st, &parts.headers, repo_id)
}

/// Why a path cannot be in a repo, if it cannot.
fn bad_path(p: &str) -> Option<String> {
    if p.is_empty() || p.starts_with('/') || p.contains('\\') || p.contains('\0') {
        return Some(format!(
            "Invalid path {p:?}: must be relative, '/'-separated and non-empty"
        ));
    }
    if p.split('/').any(|s| s.is_empty() || s == "." || s == "..") {
        return Some(format!("Invalid path {p:?}: empty, '.' or '..' component"));
    }
    if p == ".git" || p.starts_with(".git/") {
        return Some(format!("Invalid path {p:?}: .git/ is reserved"));
    }
    None
}

/// Writes regular-file content to the store (content-addressed) and hashes it like git and LFS do.
fn write_regular(store_dir: &Path, bytes: &[u8]) -> Blob {
    let sha256 = hex::encode(Sha256::digest(bytes));
    let disk = store_dir.join("objects").join(&sha256);
    if !disk.exists() {
        let tmp = store_dir
            .join("tmp")
            .join(format!("{sha256}.{}", std::process::id()));
        std::fs::write(&tmp, bytes).unwrap();
        std::fs::rename(&tmp, &disk).unwrap();
    }
    Blob {
        disk,
        size: bytes.len() as u64,
        git_sha1: store::git_object_sha1("blob", bytes),
        sha256,
    }
}

fn regular_entry(st: &mut State, path: &str, blob: Blob) -> FileEntry {
    let blob = st
        .blobs
        .entry(blob.sha256.clone())
        .or_insert_with(|| Arc::new(blob))
        .clone();
    store::file_entry_as(path.to_string(), blob, false)
}

/// A new commit on `branch` (created if needed) with exactly `files`; returns its sha.
pub fn record_commit(
    st: &mut State,
    repo_id: &str,
    branch: &str,
    parent: Option<String>,
    files: BTreeMap<String, FileEntry>,
    title: &str,
) -> String {
    st.clock += 1;
    let time = 1_700_000_000 + st.clock * 60;
    let dirs = store::tree_shas(&files);
    let repo = st.repos.entry(repo_id.to_string()).or_insert_with(|| Repo {
        created: time,
        ..Repo::default()
    });
    let sha = store::commit_sha(&dirs[""], parent.as_deref(), time, title);
    repo.commits.insert(
        sha.clone(),
        Arc::new(store::Commit {
            sha: sha.clone(),
            time,
            title: title.to_string(),
            parent,
            files,
            dirs,
        }),
    );
    repo.refs.insert(branch.to_string(), sha.clone());
    sha
}

/// A new repo with the Hub's initial commit ("initial commit", only `.gitattributes`).
pub fn init_repo(sh: &Shared, st: &mut State, repo_id: &str, token: Option<String>) -> String {
    let blob = write_regular(&sh.store_dir, store::DEFAULT_GITATTRIBUTES.as_bytes());
    let mut files = BTreeMap::new();
    files.insert(
        ".gitattributes".to_string(),
        regular_entry(st, ".gitattributes", blob),
    );
    let sha = record_commit(st, repo_id, "main", None, files, "initial commit");
    st.repos.get_mut(repo_id).unwrap().token = token;
    sha
}

// ---------------------------------------------------------------- repos, yaml, branches

pub async fn create_repo(sh: &Shared, parts: &Parts, body: Body) -> Response {
    let v = match read_json(body).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut st = sh.state.lock().unwrap();
    if let Err(r) = write_auth(&st, parts) {
        return r;
    }
    let Some(full) = v["name"].as_str() else {
        return error(400, None, "\"name\" is required");
    };
    let kind = v["type"].as_str().unwrap_or("model");
    if kind != "model" && kind != "dataset" {
        return error(
            400,
            None,
            &format!("local hub: only model and dataset repos (got type {kind:?})"),
        );
    }
    let (org, name) = match (v["organization"].as_str(), full.split_once('/')) {
        (Some(o), None) => (o, full),
        (None | Some(_), Some((o, n))) if v["organization"].as_str().is_none_or(|x| x == o) => (o, n),
        (None, None) => ("hubsign-test", full),
        _ => return error(400, None, "\"organization\" and the namespace in \"name\" differ"),
    };
    let valid = |s: &str| {
        !s.is_empty()
            && s.len() <= 96
            && s.bytes()
                .all(|c| c.is_ascii_alphanumeric() || b"-_.".contains(&c))
            && !s.contains("--")
            && !s.contains("..")
            && !s.starts_with(['-', '.'])
            && !s.ends_with(['-', '.'])
    };
    if !valid(org) || !valid(name) {
        return error(400, None, &format!("Invalid repo name {org}/{name}"));
    }
    // Datasets live under their URL form `datasets/org/name`.
    let repo_id = if kind == "dataset" {
        format!("datasets/{org}/{name}")
    } else {
        format!("{org}/{name}")
    };
    let url = format!("{}/{repo_id}", origin(sh, parts));
    if st.repos.contains_key(&repo_id) {
        let msg = format!("You already created this {kind} repo");
        let msg = msg.as_str();
        return builder(409)
            .header("Content-Type", "application/json; charset=utf-8")
            .header("X-Error-Message", msg)
            .body(Body::from(json!({ "error": msg, "url": url }).to_string()))
            .unwrap();
    }
    let private = v["private"].as_bool() == Some(true) || v["visibility"] == "private";
    // A private repo is readable with the write token only (public if the hub has none).
    let token = if private { st.write_token.clone() } else { None };
    init_repo(sh, &mut st, &repo_id, token);
    let id = &store::git_object_sha1("repo", repo_id.as_bytes())[..24];
    let name = repo_id.strip_prefix("datasets/").unwrap_or(&repo_id);
    json_response(&json!({ "url": url, "name": name, "id": id }))
}

pub async fn validate_yaml(body: Body) -> Response {
    let v = match read_json(body).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let content = v["content"].as_str().unwrap_or("");
    // Only one check: front matter that opens must close.
    let unclosed = content
        .strip_prefix("---\n")
        .is_some_and(|rest| !rest.starts_with("---") && !rest.contains("\n---"));
    if unclosed {
        let msg = "Invalid YAML front matter: no closing '---'";
        return builder(400)
            .header("Content-Type", "application/json; charset=utf-8")
            .body(Body::from(
                json!({ "errors": [{ "message": msg }], "warnings": [] }).to_string(),
            ))
            .unwrap();
    }
    json_response(&json!({ "errors": [], "warnings": [] }))
}

pub async fn create_branch(sh: &Shared, parts: &Parts, repo_id: &str, branch: &str, body: Body) -> Response {
    let v = match read_body(body, 1 << 20).await {
        Ok(b) if b.is_empty() => Value::Null,
        Ok(b) => serde_json::from_slice(&b).unwrap_or(Value::Null),
        Err(r) => return r,
    };
    let mut st = sh.state.lock().unwrap();
    let repo = match write_repo(&st, parts, repo_id) {
        Ok(r) => r,
        Err(r) => return r,
    };
    if branch.starts_with("refs/") || bad_path(branch).is_some() {
        return error(400, None, &format!("Invalid branch name {branch:?}"));
    }
    if repo.refs.contains_key(branch) {
        return error(409, None, "Reference already exists");
    }
    let start = v["startingPoint"].as_str().unwrap_or("main");
    let Some(commit) = repo.resolve(start) else {
        return error(404, Some("RevisionNotFound"), &format!("Invalid rev id: {start}"));
    };
    let sha = commit.sha.clone();
    st.repos
        .get_mut(repo_id)
        .unwrap()
        .refs
        .insert(branch.to_string(), sha);
    json_response(&json!({}))
}

// ---------------------------------------------------------------- preupload

pub async fn preupload(sh: &Shared, parts: &Parts, repo_id: &str, rev: &str, body: Body) -> Response {
    let v = match read_json(body).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let st = sh.state.lock().unwrap();
    let repo = match write_repo(&st, parts, repo_id) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let Some(commit) = repo.resolve(rev) else {
        return error(404, Some("RevisionNotFound"), &format!("Invalid rev id: {rev}"));
    };
    let Some(files) = v["files"].as_array() else {
        return error(400, None, "\"files\" must be an array");
    };
    let mut out = Vec::new();
    for f in files {
        let (Some(path), Some(size)) = (f["path"].as_str(), f["size"].as_u64()) else {
            return error(400, None, "each file needs \"path\" and \"size\"");
        };
        let mut o = json!({
            "path": path,
            "uploadMode": if store::is_lfs(path, size) { "lfs" } else { "regular" },
            "shouldIgnore": path == ".git" || path.starts_with(".git/"),
        });
        if let Some(e) = commit.files.get(path) {
            // What the client compares with its local oid: sha256 for LFS, git blob sha1 otherwise.
            o["oid"] = json!(if e.lfs { &e.blob.sha256 } else { &e.oid });
        }
        out.push(o);
    }
    json_response(&json!({ "files": out, "commitOid": commit.sha }))
}

// ---------------------------------------------------------------- git-LFS batch, uploads, verify

fn lfs_json(v: &Value) -> Response {
    builder(200)
        .header("Content-Type", "application/vnd.git-lfs+json")
        .body(Body::from(v.to_string()))
        .unwrap()
}

pub async fn lfs_batch(sh: &Shared, parts: &Parts, repo_id: &str, body: Body) -> Response {
    let v = match read_json(body).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let hub = origin(sh, parts);
    let mut st = sh.state.lock().unwrap();
    if let Err(r) = write_repo(&st, parts, repo_id) {
        return r;
    }
    if v["operation"] != "upload" {
        return error(422, None, "local hub: only the \"upload\" operation is supported");
    }
    if !v["hash_algo"].is_null() && v["hash_algo"] != "sha256" {
        return error(409, None, "Unsupported hash algorithm");
    }
    let offered: Vec<&str> = v["transfers"]
        .as_array()
        .map_or_else(|| vec!["basic"], |a| a.iter().filter_map(Value::as_str).collect());
    let multipart = offered.contains(&"multipart");
    if !multipart && !offered.contains(&"basic") {
        return error(422, None, "No supported transfer adapter (basic, multipart)");
    }
    let Some(objects) = v["objects"].as_array() else {
        return error(422, None, "\"objects\" must be an array");
    };
    let verify_header = parts
        .headers
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .map(|a| json!({ "Authorization": a }));
    let chunk = st.chunk_size;
    let mut used_multipart = false;
    let mut out = Vec::new();
    for o in objects {
        let (Some(oid), Some(size)) = (o["oid"].as_str(), o["size"].as_u64()) else {
            return error(422, None, "each object needs \"oid\" and \"size\"");
        };
        if !is_sha256_hex(oid) {
            out.push(json!({ "oid": oid, "size": size, "error": { "code": 422, "message": "Invalid oid" } }));
            continue;
        }
        if let Some(b) = st.lfs.get(oid) {
            if b.size == size {
                out.push(json!({ "oid": oid, "size": size, "authenticated": true }));
            } else {
                let msg = format!("Size mismatch: stored object has {} bytes", b.size);
                out.push(json!({ "oid": oid, "size": size, "error": { "code": 422, "message": msg } }));
            }
            continue;
        }
        let upload = if multipart && size > chunk {
            used_multipart = true;
            let id = format!("{:016x}", next_seq(&mut st));
            let n_parts = u32::try_from(size.div_ceil(chunk)).expect("too many parts");
            let mut header = serde_json::Map::new();
            header.insert("chunk_size".into(), json!(chunk.to_string()));
            for n in 1..=n_parts {
                header.insert(
                    n.to_string(),
                    json!(format!(
                        "{}/lfs-upload/{oid}/{id}/{n}?partNumber={n}&uploadId={id}&X-Amz-Signature=local-hub",
                        sh.cdn_origin
                    )),
                );
            }
            st.uploads.insert(
                id.clone(),
                Upload {
                    oid: oid.to_string(),
                    size,
                    n_parts,
                    parts: BTreeMap::new(),
                },
            );
            json!({
                "href": format!("{hub}/api/complete_multipart?uploadId={id}&oid={oid}&signature=local-hub"),
                "header": header,
            })
        } else {
            json!({
                "href": format!("{}/lfs-upload/{oid}?size={size}&X-Amz-Signature=local-hub", sh.cdn_origin),
            })
        };
        let mut verify = json!({ "href": format!("{hub}/{repo_id}.git/info/lfs/objects/verify") });
        if let Some(h) = &verify_header {
            verify["header"] = h.clone();
        }
        out.push(json!({
            "oid": oid,
            "size": size,
            "authenticated": true,
            "actions": { "upload": upload, "verify": verify },
        }));
    }
    let transfer = if used_multipart { "multipart" } else { "basic" };
    lfs_json(&json!({ "transfer": transfer, "objects": out, "hash_algo": "sha256" }))
}

/// Uses up one `RejectLfsUpload`, if any.
fn take_reject(sh: &Shared) -> bool {
    let mut st = sh.state.lock().unwrap();
    let Some(i) = st
        .faults
        .iter()
        .position(|f| matches!(f, Fault::RejectLfsUpload { times } if *times > 0))
    else {
        return false;
    };
    if let Fault::RejectLfsUpload { times } = &mut st.faults[i] {
        *times -= 1;
        if *times == 0 {
            st.faults.remove(i);
        }
    }
    true
}

/// Streams a body to `path`; returns (length, sha256 hex when `hash`).
async fn body_to_file(body: Body, path: &Path, hash: bool) -> std::io::Result<(u64, String)> {
    let mut f = tokio::fs::File::create(path).await?;
    let mut s = body.into_data_stream();
    let mut h = Sha256::new();
    let mut n = 0u64;
    while let Some(chunk) = s.next().await {
        let chunk = chunk.map_err(std::io::Error::other)?;
        if hash {
            h.update(&chunk);
        }
        f.write_all(&chunk).await?;
        n += chunk.len() as u64;
    }
    f.flush().await?;
    Ok((
        n,
        if hash {
            hex::encode(h.finalize())
        } else {
            String::new()
        },
    ))
}

fn store_lfs(sh: &Shared, oid: &str, size: u64, tmp: &Path) {
    let disk = sh.store_dir.join("lfs").join(oid);
    std::fs::rename(tmp, &disk).unwrap();
    let blob = Blob {
        disk,
        size,
        // Never served as a regular file: LFS entries are listed and served by sha256 / pointer.
        git_sha1: String::new(),
        sha256: oid.to_string(),
    };
    let mut st = sh.state.lock().unwrap();
    st.lfs.entry(oid.to_string()).or_insert_with(|| Arc::new(blob));
}

fn upload_error(status: u16, code: &str, message: &str) -> Response {
    // S3-style XML body, like a presigned-URL store answers.
    builder(status)
        .header("Content-Type", "application/xml")
        .body(Body::from(format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>"
        )))
        .unwrap()
}

pub async fn put_basic(sh: &Shared, parts: &Parts, oid: &str, body: Body) -> Response {
    let q = query_of(parts);
    let expected: Option<u64> = q
        .iter()
        .find(|(k, _)| k == "size")
        .and_then(|(_, v)| v.parse().ok());
    if !is_sha256_hex(oid) {
        drain(body).await;
        return upload_error(400, "InvalidArgument", "invalid oid");
    }
    if take_reject(sh) {
        drain(body).await;
        return upload_error(500, "InternalError", "Injected fault: upload rejected");
    }
    let tmp = {
        let mut st = sh.state.lock().unwrap();
        sh.store_dir
            .join("tmp")
            .join(format!("put-{}", next_seq(&mut st)))
    };
    let (n, sha) = match body_to_file(body, &tmp, true).await {
        Ok(x) => x,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return upload_error(400, "IncompleteBody", &format!("{e}"));
        }
    };
    if sha != oid || expected.is_some_and(|s| s != n) {
        let _ = std::fs::remove_file(&tmp);
        return upload_error(
            400,
            "BadDigest",
            &format!("uploaded {n} bytes with sha256 {sha}, expected {oid} ({expected:?} bytes)"),
        );
    }
    store_lfs(sh, oid, n, &tmp);
    builder(200)
        .header("ETag", format!("\"{}\"", &oid[..32]))
        .body(Body::empty())
        .unwrap()
}

pub async fn put_part(sh: &Shared, oid: &str, upload: &str, n: &str, body: Body) -> Response {
    let known = {
        let st = sh.state.lock().unwrap();
        st.uploads.get(upload).filter(|u| u.oid == oid).map(|u| u.n_parts)
    };
    let Some(n_parts) = known else {
        drain(body).await;
        return upload_error(404, "NoSuchUpload", "The specified upload does not exist");
    };
    let Some(n) = n.parse::<u32>().ok().filter(|n| (1..=n_parts).contains(n)) else {
        drain(body).await;
        return upload_error(400, "InvalidArgument", "invalid part number");
    };
    if take_reject(sh) {
        drain(body).await;
        return upload_error(500, "InternalError", "Injected fault: upload rejected");
    }
    let (tmp, seq) = {
        let mut st = sh.state.lock().unwrap();
        let seq = next_seq(&mut st);
        (
            sh.store_dir.join("tmp").join(format!("part-{upload}-{n}-{seq}")),
            seq,
        )
    };
    let len = match body_to_file(body, &tmp, false).await {
        Ok((len, _)) => len,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return upload_error(400, "IncompleteBody", &format!("{e}"));
        }
    };
    let etag = format!(
        "\"{}\"",
        &store::git_object_sha1("part", format!("{upload}/{n}/{len}/{seq}").as_bytes())[..32]
    );
    let mut st = sh.state.lock().unwrap();
    let Some(u) = st.uploads.get_mut(upload) else {
        let _ = std::fs::remove_file(&tmp);
        return upload_error(404, "NoSuchUpload", "The specified upload does not exist");
    };
    if let Some((old, _)) = u.parts.insert(n, (tmp, etag.clone())) {
        let _ = std::fs::remove_file(old);
    }
    builder(200).header("ETag", etag).body(Body::empty()).unwrap()
}

/// The upload the completion payload `req` finishes, removed from the state, if its parts match.
fn take_completed(st: &mut State, id: &str, req: &Value) -> Result<Upload, Response> {
    let Some(upload) = st.uploads.get(id) else {
        return Err(error(404, None, "Unknown multipart upload"));
    };
    if req["oid"] != upload.oid.as_str() {
        return Err(error(400, None, "oid does not match the upload"));
    }
    let listed: Vec<(u64, String)> = req["parts"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|part| {
                    (
                        part["partNumber"].as_u64().unwrap_or(0),
                        part["etag"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let want: Vec<(u64, String)> = (1..=upload.n_parts)
        .map(|n| {
            let etag = upload.parts.get(&n).map_or(String::new(), |part| part.1.clone());
            (u64::from(n), etag)
        })
        .collect();
    let same = listed.len() == want.len()
        && listed.iter().zip(&want).all(|(got, exp)| {
            got.0 == exp.0 && !exp.1.is_empty() && got.1.trim_matches('"') == exp.1.trim_matches('"')
        });
    if !same {
        return Err(error(
            400,
            None,
            &format!("Parts do not match the uploaded parts: got {listed:?}, want {want:?}"),
        ));
    }
    Ok(st.uploads.remove(id).unwrap())
}

/// Concatenates the part files into `dest` (deleting them); returns (length, sha256 hex).
fn concat_parts(parts: &[PathBuf], dest: &Path) -> (u64, String) {
    let mut out = std::fs::File::create(dest).unwrap();
    let mut hasher = Sha256::new();
    let mut len = 0u64;
    let mut buf = vec![0u8; 1 << 20];
    for part in parts {
        let mut file = std::fs::File::open(part).unwrap();
        loop {
            let got = std::io::Read::read(&mut file, &mut buf).unwrap();
            if got == 0 {
                break;
            }
            hasher.update(&buf[..got]);
            std::io::Write::write_all(&mut out, &buf[..got]).unwrap();
            len += got as u64;
        }
        let _ = std::fs::remove_file(part);
    }
    (len, hex::encode(hasher.finalize()))
}

pub async fn complete_multipart(sh: &Shared, parts: &Parts, body: Body) -> Response {
    let req = match read_json(body).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let id = query_of(parts)
        .into_iter()
        .find(|(k, _)| k == "uploadId")
        .map(|(_, v)| v)
        .unwrap_or_default();
    let (upload, tmp) = {
        let mut st = sh.state.lock().unwrap();
        let upload = match take_completed(&mut st, &id, &req) {
            Ok(u) => u,
            Err(r) => return r,
        };
        let tmp = sh
            .store_dir
            .join("tmp")
            .join(format!("complete-{}", next_seq(&mut st)));
        (upload, tmp)
    };
    let part_files: Vec<PathBuf> = upload.parts.values().map(|p| p.0.clone()).collect();
    let dest = tmp.clone();
    let (len, sha) = tokio::task::spawn_blocking(move || concat_parts(&part_files, &dest))
        .await
        .unwrap();
    if sha != upload.oid || len != upload.size {
        let _ = std::fs::remove_file(&tmp);
        return error(
            400,
            None,
            &format!(
                "Uploaded object has sha256 {sha} and {len} bytes, expected {} and {} bytes",
                upload.oid, upload.size
            ),
        );
    }
    store_lfs(sh, &upload.oid, len, &tmp);
    json_response(&json!({ "oid": upload.oid, "size": len }))
}

pub async fn lfs_verify(sh: &Shared, parts: &Parts, repo_id: &str, body: Body) -> Response {
    let v = match read_json(body).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let st = sh.state.lock().unwrap();
    if let Err(r) = write_repo(&st, parts, repo_id) {
        return r;
    }
    let (Some(oid), Some(size)) = (v["oid"].as_str(), v["size"].as_u64()) else {
        return error(422, None, "\"oid\" and \"size\" are required");
    };
    match st.lfs.get(oid) {
        Some(b) if b.size == size => lfs_json(&json!({ "oid": oid, "size": size })),
        Some(b) => error(
            422,
            None,
            &format!("Size mismatch: stored object has {} bytes", b.size),
        ),
        None => error(404, None, &format!("Object {oid} not found")),
    }
}

// ---------------------------------------------------------------- commits

enum Op {
    Add {
        path: String,
        blob: Blob,
    },
    Lfs {
        path: String,
        oid: String,
        size: Option<u64>,
    },
    DeleteFile(String),
    DeleteFolder(String),
}

struct Header {
    summary: String,
    parent: Option<String>,
}

/// Parses (and validates) the NDJSON payload; regular files are written to the store.
fn parse_commit(store_dir: &Path, body: &[u8]) -> Result<(Header, Vec<Op>), Response> {
    let bad = |m: String| error(400, None, &m);
    let mut header = None;
    let mut ops = Vec::new();
    for (i, line) in body.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let v: Value =
            serde_json::from_slice(line).map_err(|e| bad(format!("line {}: invalid JSON: {e}", i + 1)))?;
        let key = v["key"].as_str().unwrap_or("");
        let val = &v["value"];
        if header.is_none() {
            if key != "header" {
                return Err(bad("the first line must be the header".into()));
            }
            let summary = val["summary"].as_str().unwrap_or("").to_string();
            if summary.trim().is_empty() {
                return Err(bad("header.summary is required".into()));
            }
            let parent = val["parentCommit"].as_str().map(str::to_string);
            header = Some(Header { summary, parent });
            continue;
        }
        let path = val["path"].as_str().unwrap_or("").to_string();
        let path = if key == "deletedFolder" {
            path.trim_end_matches('/').to_string()
        } else {
            path
        };
        if let Some(m) = bad_path(&path) {
            return Err(bad(m));
        }
        ops.push(match key {
            "file" => {
                let content = val["content"].as_str().unwrap_or("");
                let bytes = match val["encoding"].as_str() {
                    Some("base64") => base64::engine::general_purpose::STANDARD
                        .decode(content)
                        .map_err(|e| bad(format!("{path}: invalid base64: {e}")))?,
                    None | Some("utf-8" | "utf8") => content.as_bytes().to_vec(),
                    Some(e) => return Err(bad(format!("{path}: unknown encoding {e}"))),
                };
                if bytes.len() as u64 >= store::LFS_THRESHOLD {
                    return Err(bad(format!(
                        "Your push was rejected because it contains files larger than 10 MiB ({path}). \
                         Upload them with LFS (lfsFile) instead."
                    )));
                }
                Op::Add {
                    blob: write_regular(store_dir, &bytes),
                    path,
                }
            }
            "lfsFile" => {
                if val["algo"].as_str().is_some_and(|a| a != "sha256") {
                    return Err(bad(format!("{path}: unsupported algo")));
                }
                let oid = val["oid"].as_str().unwrap_or("").to_string();
                if !is_sha256_hex(&oid) {
                    return Err(bad(format!("{path}: invalid LFS oid {oid:?}")));
                }
                Op::Lfs {
                    path,
                    oid,
                    size: val["size"].as_u64(),
                }
            }
            "deletedFile" => Op::DeleteFile(path),
            "deletedFolder" => Op::DeleteFolder(path),
            other => return Err(bad(format!("line {}: unknown key {other:?}", i + 1))),
        });
    }
    let header = header.ok_or_else(|| bad("empty commit payload (no header)".into()))?;
    Ok((header, ops))
}

/// The fault: a commit adding `concurrent-commit.txt` on `branch`, made by "someone else".
fn concurrent_commit(sh: &Shared, st: &mut State, repo_id: &str, branch: &str) {
    let Some(head) = st.repos.get(repo_id).and_then(|r| r.branch(branch)).map(|b| b.1) else {
        return;
    };
    let mut files = st.repos[repo_id].commits[&head].files.clone();
    let text = format!("pushed behind the client's back ({})\n", st.clock);
    let blob = write_regular(&sh.store_dir, text.as_bytes());
    files.insert(
        "concurrent-commit.txt".into(),
        regular_entry(st, "concurrent-commit.txt", blob),
    );
    record_commit(st, repo_id, branch, Some(head), files, "Concurrent commit");
}

/// Applies a commit's operations to the parent's files; then no path may be both a file and a folder.
fn apply_ops(st: &mut State, files: &mut BTreeMap<String, FileEntry>, ops: Vec<Op>) -> Result<(), Response> {
    for op in ops {
        match op {
            Op::Add { path, blob } => {
                let entry = regular_entry(st, &path, blob);
                files.insert(path, entry);
            }
            Op::Lfs { path, oid, size } => {
                let Some(blob) = st.lfs.get(&oid).cloned() else {
                    return Err(error(
                        422,
                        None,
                        &format!(
                            "{path}: LFS object {oid} is not in storage: upload it first (LFS batch API)"
                        ),
                    ));
                };
                if size.is_some_and(|s| s != blob.size) {
                    return Err(error(
                        422,
                        None,
                        &format!("{path}: LFS object {oid} has {} bytes, not {size:?}", blob.size),
                    ));
                }
                files.insert(path.clone(), store::file_entry_as(path, blob, true));
            }
            Op::DeleteFile(path) => {
                if files.remove(&path).is_none() {
                    return Err(error(
                        404,
                        Some("EntryNotFound"),
                        &format!("A file with this name doesn't exist: {path}"),
                    ));
                }
            }
            Op::DeleteFolder(path) => {
                let prefix = format!("{path}/");
                let before = files.len();
                files.retain(|k, _| !k.starts_with(&prefix));
                if files.len() == before {
                    return Err(error(
                        404,
                        Some("EntryNotFound"),
                        &format!("A folder with this name doesn't exist: {path}"),
                    ));
                }
            }
        }
    }
    for path in files.keys() {
        let mut p = path.as_str();
        while let Some((dir, _)) = p.rsplit_once('/') {
            if files.contains_key(dir) {
                return Err(error(400, None, &format!("{dir} is both a file and a folder")));
            }
            p = dir;
        }
    }
    Ok(())
}

pub async fn commit(sh: &Shared, parts: &Parts, repo_id: &str, rev: &str, body: Body) -> Response {
    let bytes = match read_body(body, 1 << 30).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    if let Err(r) = write_repo(&sh.state.lock().unwrap(), parts, repo_id) {
        return r;
    }
    let (header, ops) = match parse_commit(&sh.store_dir, &bytes) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let create_pr = flag(&query_of(parts), "create_pr");
    let hub = origin(sh, parts);

    let mut st = sh.state.lock().unwrap();
    let branch_now = st.repos.get(repo_id).and_then(|r| r.branch(rev));
    let Some((branch, _)) = branch_now else {
        return error(404, Some("RevisionNotFound"), &format!("Invalid rev id: {rev}"));
    };
    let fault = st
        .faults
        .iter()
        .position(|f| matches!(f, Fault::ConcurrentCommitBeforeNext { repo } if repo == repo_id));
    if let Some(i) = fault {
        st.faults.remove(i);
        concurrent_commit(sh, &mut st, repo_id, &branch);
    }
    let repo = &st.repos[repo_id];
    let head = repo.refs[&branch].clone();
    let (target, base) = if create_pr {
        let base = header.parent.clone().unwrap_or(head);
        if !repo.commits.contains_key(&base) {
            return error(412, None, &format!("Unknown parentCommit {base}"));
        }
        let n = repo
            .refs
            .keys()
            .filter_map(|r| r.strip_prefix("refs/pr/")?.parse::<u64>().ok())
            .max()
            .unwrap_or(0)
            + 1;
        (format!("refs/pr/{n}"), base)
    } else {
        if header.parent.as_ref().is_some_and(|p| *p != head) {
            return error(412, None, STALE_PARENT);
        }
        (branch, head)
    };
    let mut files = repo.commits[&base].files.clone();
    if let Err(r) = apply_ops(&mut st, &mut files, ops) {
        return r;
    }
    let sha = record_commit(&mut st, repo_id, &target, Some(base), files, &header.summary);
    let mut v = json!({
        "success": true,
        "commitOid": sha,
        "commitUrl": format!("{hub}/{repo_id}/commit/{sha}"),
        "hookOutput": "",
    });
    if let Some(n) = target.strip_prefix("refs/pr/") {
        v["pullRequestUrl"] = json!(format!("{hub}/{repo_id}/discussions/{n}"));
    }
    json_response(&v)
}

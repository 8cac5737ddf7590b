//! A Hugging Face Hub–compatible HTTP server on 127.0.0.1 for tests, checked against the real Python
//! `huggingface_hub` client: the read API in `tests/it/hub_faithful.rs`, the write API (create repo,
//! preupload, git-LFS batch with basic and multipart transfers, NDJSON commits, PRs) in
//! `tests/it/hub_write_faithful.rs`.
//!
//! Two origins, like the real Hub: the hub (API + `resolve`) and a separate CDN (other port) that serves
//! LFS content after a cross-origin 302 and never wants `Authorization`. Files are streamed from the
//! directories given to [`LocalHub::add_commit`] (not copied: don't modify them while the hub serves
//! them). Pushed content (LFS objects, regular files of API commits) is streamed to a temporary directory
//! owned by the hub. Faults can be injected to test clients. Blocking API: the server runs on its own tokio
//! runtime.

use super::files;
mod server;
mod store;
mod watch;
mod write;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use store::{git_object_sha1, is_lfs, lfs_pointer};

pub use crate::python::python;

/// A fault the hub injects into its answers until cleared (or its `times` run out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Serve different bytes (same length: every byte XOR 0x5A) than the listing/ETag promise for the file
    /// at this repo path, on `resolve` (regular files) and on the CDN (LFS files). HEAD is unaffected.
    CorruptBody { path: String },
    /// Send `after` bytes of the response body, then drop the connection (Content-Length still full).
    /// `after` counts from the start of that response's body (so a Range resume makes progress).
    TruncateBody { path: String, after: u64, times: u32 },
    /// Answer `status` (with `X-Error-Message`; `Retry-After: 0` for 429) to any request, on either origin,
    /// whose path+query (raw or percent-decoded) contains `path_contains`.
    ServerError {
        path_contains: String,
        status: u16,
        times: u32,
    },
    /// Answer 429 with `Retry-After: <retry_after>` (seconds or an HTTP date) to the next `times`
    /// requests whose path+query (raw or percent-decoded) contains `path_contains`.
    RateLimit {
        path_contains: String,
        retry_after: String,
        times: u32,
    },
    /// Send `after` bytes of each response body for the file, pause `duration`, then continue.
    Stall {
        path: String,
        after: u64,
        duration: Duration,
    },
    /// Answer a `Range` request for the file (on `resolve` and on the CDN) with 200 and the
    /// whole file, as a server without range support does.
    IgnoreRange { path: String },
    /// Tree, paths-info and revision listings claim this file; `resolve` answers 404 EntryNotFound.
    ExtraInListing {
        path: String,
        size: u64,
        lfs_sha256: Option<String>,
    },
    /// Tree, paths-info and revision listings omit this file; `resolve` still serves it.
    MissingFromListing { path: String },
    /// A hostile hub: `/api/.../revision/{from}` answers with the info of revision `to` (another
    /// commit), as if `from` resolved to it.
    ResolveRevisionTo { from: String, to: String },
    /// Appended verbatim to tree listings (after the real entries, on the last page).
    RawTreeEntry(serde_json::Value),
    /// Once: when the next NDJSON commit for `repo` arrives, the hub first commits `concurrent-commit.txt`
    /// to the target branch itself, so the client's `parentCommit` (taken before) is stale.
    ConcurrentCommitBeforeNext { repo: String },
    /// A hostile hub: answer any request whose path+query contains `path_contains` with 200, no
    /// `Content-Length`, and an endless body (stopped at 1.5 GiB); the bytes the client accepted
    /// are counted ([`LocalHub::hostile_bytes_sent`]).
    EndlessBody { path_contains: String },
    /// `resolve` redirects LFS downloads to this origin (same signed path and query) instead of
    /// the CDN, e.g. one that refuses connections.
    RedirectLfsTo { origin: String },
    /// A hostile hub: every tree listing page carries `Link: rel="next"` back to itself.
    LoopingPagination,
    /// Answer 500 to the next `times` LFS content uploads (basic PUTs and multipart part PUTs, on the CDN),
    /// after reading their bodies.
    RejectLfsUpload { times: u32 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Hub,
    Cdn,
}

/// One request as the hub saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub origin: Origin,
    pub method: String,
    /// Raw (still percent-encoded) path and query.
    pub path: String,
    pub authorization: Option<String>,
    pub range: Option<String>,
    pub content_type: Option<String>,
    pub status: u16,
    /// Body bytes handed to the connection so far.
    pub bytes: u64,
}

pub struct LocalHub {
    shared: Arc<server::Shared>,
    rt: Option<tokio::runtime::Runtime>,
    /// Owns `shared.store_dir`; dropped after the runtime.
    _store: tempfile::TempDir,
}

impl LocalHub {
    /// Starts the hub and its CDN on two ephemeral ports of 127.0.0.1.
    pub fn start() -> Self {
        Self::start_on(0)
    }

    /// Like [`LocalHub::start`], with the hub on a given port (0: any); the CDN always takes any free port.
    pub fn start_on(port: u16) -> Self {
        let hub = std::net::TcpListener::bind(("127.0.0.1", port)).expect("bind hub port");
        let cdn = std::net::TcpListener::bind("127.0.0.1:0").expect("bind cdn port");
        let store = tempfile::Builder::new().prefix("local-hub-").tempdir().unwrap();
        for sub in ["lfs", "objects", "tmp"] {
            std::fs::create_dir_all(store.path().join(sub)).unwrap();
        }
        let shared = Arc::new(server::Shared {
            hub_origin: format!("http://{}", hub.local_addr().unwrap()),
            cdn_origin: format!("http://{}", cdn.local_addr().unwrap()),
            store_dir: store.path().to_path_buf(),
            state: Mutex::new(server::State::default()),
            hostile_sent: std::sync::atomic::AtomicU64::new(0),
        });
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("local-hub")
            .enable_all()
            .build()
            .unwrap();
        for (listener, origin) in [(hub, Origin::Hub), (cdn, Origin::Cdn)] {
            listener.set_nonblocking(true).unwrap();
            let shared = shared.clone();
            rt.spawn(async move {
                use axum::serve::ListenerExt as _;
                // Like real servers: no Nagle delay between a small response's headers and body.
                let listener = tokio::net::TcpListener::from_std(listener)
                    .unwrap()
                    .tap_io(|tcp| {
                        let _ = tcp.set_nodelay(true);
                    });
                let app = server::router(shared, origin);
                axum::serve(listener, app).await.unwrap();
            });
        }
        Self {
            shared,
            rt: Some(rt),
            _store: store,
        }
    }

    /// `http://127.0.0.1:PORT`, for `HF_ENDPOINT`.
    pub fn endpoint(&self) -> String {
        self.shared.hub_origin.clone()
    }

    pub fn cdn_origin(&self) -> String {
        self.shared.cdn_origin.clone()
    }

    /// A new commit on `main` with exactly the regular files under `dir`; returns its sha. A
    /// dataset repository is named by its URL form, `datasets/ORG/NAME`; a bare `NAME` (or
    /// `datasets/NAME`) is a legacy repository without organisation, served as the Hub serves `gpt2`.
    pub fn add_commit(&self, repo_id: &str, dir: &Path) -> String {
        self.add_commit_on(repo_id, "main", dir)
    }

    /// A new commit on `branch` (e.g. `main`, `dev`, `refs/pr/1`) whose parent is the branch's head (or
    /// `main`'s head for a new branch). The files are every regular file under `dir` (recursive, symlinks
    /// followed, nothing skipped), hashed once here and served from disk afterwards. LFS: non-empty files of
    /// at least 10 MiB or named `*.safetensors|bin|pt|gguf|onnx|h5|msgpack`. The commit sha is the sha1 of
    /// a real git commit object (git tree of the files, parent, a fixed author, a per-hub clock).
    pub fn add_commit_on(&self, repo_id: &str, branch: &str, dir: &Path) -> String {
        let id = repo_id.strip_prefix("datasets/").unwrap_or(repo_id);
        // A bare NAME is one of the Hub's legacy repositories without organisation (`gpt2`).
        assert!(
            (1..=2).contains(&id.split('/').count()) && !id.starts_with('/') && !id.ends_with('/'),
            "repo id must be [ORG/]NAME or datasets/[ORG/]NAME: {repo_id}"
        );
        let scanned = files::scan(dir);
        let hashed: Vec<(String, store::Blob)> = scanned
            .into_iter()
            .map(|(rel, disk)| (rel, store::hash_file(&disk)))
            .collect();
        let mut st = self.shared.state.lock().unwrap();
        let mut files = BTreeMap::new();
        for (rel, blob) in hashed {
            let blob = st
                .blobs
                .entry(blob.sha256.clone())
                .or_insert_with(|| Arc::new(blob))
                .clone();
            let entry = store::file_entry(rel.clone(), blob.clone());
            if entry.lfs {
                st.lfs.entry(blob.sha256.clone()).or_insert(blob);
            }
            files.insert(rel, entry);
        }
        let parent = st
            .repos
            .get(repo_id)
            .and_then(|r| r.refs.get(branch).or_else(|| r.refs.get("main")).cloned());
        let title = format!("Upload {repo_id} to {branch} ({} files)", files.len());
        write::record_commit(&mut st, repo_id, branch, parent, files, &title)
    }

    /// Creates `repo_id` like `POST /api/repos/create` does: an initial commit on `main` holding only the
    /// Hub's default `.gitattributes`. Returns that commit's sha. Panics if the repo exists.
    pub fn create_repo(&self, repo_id: &str) -> String {
        assert!(
            repo_id.split('/').count() == 2,
            "repo id must be ORG/NAME: {repo_id}"
        );
        let mut st = self.shared.state.lock().unwrap();
        assert!(!st.repos.contains_key(repo_id), "repo {repo_id} exists");
        write::init_repo(&self.shared, &mut st, repo_id, None)
    }

    /// From now on every write endpoint (create repo, preupload, LFS batch/verify, commit, branch) needs
    /// `Authorization: Bearer <token>`: 401 without it or with a token unknown to the hub, 403 with
    /// another known (read) token. The token is also valid for reads (every repo, private ones too) and
    /// for `/api/whoami-v2`. Without a write token, writes are open to anyone.
    pub fn set_write_token(&self, token: &str) {
        self.shared.state.lock().unwrap().write_token = Some(token.to_string());
    }

    /// LFS objects larger than `n` bytes are uploaded multipart (when the client offers `multipart`), in
    /// parts of `n` bytes (default 8 MiB).
    pub fn set_multipart_chunk_size(&self, n: u64) {
        assert!(n > 0);
        self.shared.state.lock().unwrap().chunk_size = n;
    }

    /// The LFS store (uploaded objects and the LFS files of `add_commit`), as (sha256, size), sorted.
    pub fn lfs_objects(&self) -> Vec<(String, u64)> {
        let st = self.shared.state.lock().unwrap();
        st.lfs.iter().map(|(oid, b)| (oid.clone(), b.size)).collect()
    }

    /// The commits of a branch (or `refs/pr/N`), newest first, following first parents; empty if none.
    pub fn commits(&self, repo_id: &str, branch: &str) -> Vec<String> {
        let st = self.shared.state.lock().unwrap();
        let Some(repo) = st.repos.get(repo_id) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut next = repo.branch(branch).map(|(_, sha)| sha);
        while let Some(sha) = next {
            next = repo.commits.get(&sha).and_then(|c| c.parent.clone());
            out.push(sha);
        }
        out
    }

    /// The paths of the files at a revision (branch, `refs/pr/N` or commit sha), sorted.
    pub fn files(&self, repo_id: &str, rev: &str) -> Option<Vec<String>> {
        let st = self.shared.state.lock().unwrap();
        let commit = st.repos.get(repo_id)?.resolve(rev)?;
        Some(commit.files.keys().cloned().collect())
    }

    /// The content of a file at a revision, and whether it is stored as an LFS pointer.
    pub fn file(&self, repo_id: &str, rev: &str, path: &str) -> Option<(Vec<u8>, bool)> {
        let (disk, lfs) = {
            let st = self.shared.state.lock().unwrap();
            let commit = st.repos.get(repo_id)?.resolve(rev)?;
            let f = commit.files.get(path)?;
            (f.blob.disk.clone(), f.lfs)
        };
        Some((std::fs::read(disk).unwrap(), lfs))
    }

    /// The title (commit message summary) of a commit.
    pub fn commit_title(&self, repo_id: &str, rev: &str) -> Option<String> {
        let st = self.shared.state.lock().unwrap();
        Some(st.repos.get(repo_id)?.resolve(rev)?.title.clone())
    }

    /// From now on every hub request for the repo needs `Authorization: Bearer <token>`; other requests
    /// get 401 RepoNotFound (no token) or 404 RepoNotFound (another known token). Any token unknown to the
    /// hub gets 401 "Invalid credentials in Authorization header" on every endpoint, public repos too (as
    /// on the real Hub). The token also becomes valid for `/api/whoami-v2`.
    pub fn set_private(&self, repo_id: &str, token: &str) {
        let mut st = self.shared.state.lock().unwrap();
        let repo = st
            .repos
            .get_mut(repo_id)
            .unwrap_or_else(|| panic!("no repo {repo_id}"));
        repo.token = Some(token.to_string());
    }

    /// Entries per page of tree listings (default 1000).
    pub fn set_page_size(&self, n: usize) {
        assert!(n > 0);
        self.shared.state.lock().unwrap().page_size = n;
    }

    /// Bytes of [`Fault::EndlessBody`] answers handed to the connection so far.
    pub fn hostile_bytes_sent(&self) -> u64 {
        self.shared.hostile_sent.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Answers every request (hub and CDN) `latency` late, as a hub that far away would: the
    /// benchmarks' far hub (default: none).
    pub fn set_latency(&self, latency: Duration) {
        self.shared.state.lock().unwrap().latency = latency;
    }

    pub fn inject(&self, fault: Fault) {
        self.shared.state.lock().unwrap().faults.push(fault);
    }

    pub fn clear_faults(&self) {
        self.shared.state.lock().unwrap().faults.clear();
    }

    /// Faults still active (those with `times` left).
    pub fn faults(&self) -> Vec<Fault> {
        self.shared.state.lock().unwrap().faults.clone()
    }

    pub fn requests(&self) -> Vec<Request> {
        let st = self.shared.state.lock().unwrap();
        let mut out = st.requests.clone();
        for (r, sent) in out.iter_mut().zip(&st.sent) {
            r.bytes = sent.load(std::sync::atomic::Ordering::SeqCst);
        }
        out
    }

    pub fn clear_requests(&self) {
        let mut st = self.shared.state.lock().unwrap();
        st.requests.clear();
        st.sent.clear();
    }

    /// The head commit of a branch.
    pub fn head(&self, repo_id: &str, branch: &str) -> Option<String> {
        let st = self.shared.state.lock().unwrap();
        st.repos.get(repo_id)?.refs.get(branch).cloned()
    }
}

impl Drop for LocalHub {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

/// A raw HTTP/1.1 exchange (no redirects followed, `Connection: close`).
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// What arrived before the server closed the connection (may be short of Content-Length).
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends one request to `url` (`http://host:port/path?query`, path already percent-encoded).
pub fn http(method: &str, url: &str, headers: &[(&str, &str)], body: &[u8]) -> RawResponse {
    let rest = url.strip_prefix("http://").expect("http:// url");
    let (host, path) = rest.find('/').map_or((rest, "/"), |i| (&rest[..i], &rest[i..]));
    let mut s = TcpStream::connect(host).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (k, v) in headers {
        let _ = write!(req, "{k}: {v}\r\n");
    }
    if !body.is_empty() || method == "POST" {
        let _ = write!(req, "Content-Length: {}\r\n", body.len());
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut raw = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
        }
    }
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("no HTTP header in response");
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers = lines
        .filter_map(|l| {
            l.split_once(':')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        })
        .collect();
    RawResponse {
        status,
        headers,
        body: raw[end + 4..].to_vec(),
    }
}

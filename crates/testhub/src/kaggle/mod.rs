//! A Kaggle Models API–compatible HTTP server on 127.0.0.1 for tests, checked against the real Python
//! clients in `tests/it/kaggle_faithful.rs`: `kagglehub` (`model_download` per file and by archive, paged
//! listings, latest-version lookup, resume after a dropped body, `model_upload` with resumable blob
//! uploads, new instances and new versions) and the `kaggle` CLI (`models instances versions download`,
//! token introspection).
//!
//! Two origins, like the real service: the API (`POST {endpoint}/v1/{service}/{Method}`, JSON bodies in
//! camelCase) and a separate file origin (other port) standing in for the signed Google Cloud Storage URLs
//! the API redirects to. The file origin serves Range requests with `206`, `x-goog-hash: md5=…`, refuses any
//! request carrying `Authorization` (a Kaggle credential must never reach storage), and takes GCS-style
//! resumable uploads (`308` + `Range` until complete, `bytes */n` status queries).
//!
//! Answers follow the real API's two error styles: reads fail with an HTTP 4xx and `{"code", "message"}`,
//! mutations (`CreateModel`, `CreateModelInstance`, `CreateModelInstanceVersion`) answer HTTP 200 with
//! `{"error", "errorCode"}`. Whole-version archives are `.tar.gz` files made on first request by the system
//! `tar` (GNU tar; no tar crate is among the dependencies), kept in a temporary directory owned by the
//! server, like pushed blobs. Files given to [`LocalKaggle::add_version`] are streamed from where they are
//! (not copied: leave them alone while the server runs).
//!
//! Faults ([`Fault`]) change what clients see until cleared or their `times` run out: truncated, corrupted
//! or endless bodies, HTTP errors, listings that claim, omit or mis-size files, a page token that loops, and
//! uploads whose connection drops mid-chunk. Blocking API: the server runs on its own tokio runtime.

use super::files;
mod server;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

/// A fault the server injects into its answers until cleared (or its `times` run out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// File-origin GETs of this model-relative path send `after` bytes of the body (counted from the start
    /// of that response's body, so a Range resume makes progress), then drop the connection; the
    /// `Content-Length` is the full one.
    TruncateBody { path: String, after: u64, times: u32 },
    /// Answer `status` (`{"code","message"}` on the API) to any request, on either origin, whose RPC name
    /// or path+query (raw or percent-decoded) contains the string.
    ServerError {
        rpc_or_path_contains: String,
        status: u16,
        times: u32,
    },
    /// Serve other bytes (same length: every byte XOR 0x5A) for this model-relative path; the
    /// `x-goog-hash` still names the real content.
    CorruptBody { path: String },
    /// Listings claim this file; the download URL the API hands out for it answers 404.
    ExtraInListing { path: String, size: u64 },
    /// Listings omit this file; downloading it by path still works.
    MissingFromListing { path: String },
    /// Listings give this size for the file (downloads are unaffected).
    SizeInListing { path: String, size: u64 },
    /// A hostile server: answer any request whose RPC name or path+query contains the string with 200, no
    /// `Content-Length` and an endless body (stopped at 1.5 GiB); see [`LocalKaggle::hostile_bytes_sent`].
    EndlessBody { rpc_or_path_contains: String },
    /// Every `ListModelInstanceVersionFiles` page carries the same `nextPageToken`.
    LoopingPageToken,
    /// The next `times` resumable-upload PUTs that carry data keep `after` bytes of their chunk, then the
    /// connection is dropped without an answer (the client must query the status and resume).
    InterruptUpload { after: u64, times: u32 },
    /// The next `times` resumable-upload PUTs that carry data are read and thrown away, answered 308
    /// with the unchanged committed range (an origin that makes no progress).
    DiscardUploadChunks { times: u32 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Api,
    Files,
}

/// One request as the server saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub origin: Origin,
    pub method: String,
    /// Raw (still percent-encoded) path and query.
    pub path: String,
    /// The RPC method of an API call (`ListModelInstanceVersionFiles`, …).
    pub rpc: Option<String>,
    /// The JSON body of an API call.
    pub body: Option<serde_json::Value>,
    pub authorization: Option<String>,
    pub range: Option<String>,
    /// `Content-Range` of an upload PUT.
    pub content_range: Option<String>,
    pub status: u16,
}

/// Tests that change server-wide settings of the shared port-80 server (page size, upload faults) hold
/// this for writing; every other test on that server holds it for reading.
pub static SHARED_PORT_80_SETTINGS: std::sync::RwLock<()> = std::sync::RwLock::new(());

pub struct LocalKaggle {
    shared: Arc<server::Shared>,
    rt: Option<tokio::runtime::Runtime>,
    /// Owns `shared.store_dir`; dropped after the runtime.
    _store: tempfile::TempDir,
}

impl LocalKaggle {
    /// Starts the API and the file origin on two ephemeral ports of 127.0.0.1.
    pub fn start() -> Self {
        Self::start_on(0)
    }

    /// Like [`LocalKaggle::start`], with the API on a given port (0: any; 80 is where kagglehub and the
    /// kaggle CLI look with `KAGGLE_API_ENVIRONMENT=LOCALHOST`); the file origin always takes any free port.
    pub fn start_on(port: u16) -> Self {
        let api = std::net::TcpListener::bind(("127.0.0.1", port))
            .unwrap_or_else(|e| panic!("cannot bind 127.0.0.1:{port} for the local Kaggle API: {e}"));
        let files = std::net::TcpListener::bind("127.0.0.1:0").expect("bind file origin port");
        let store = tempfile::Builder::new()
            .prefix("local-kaggle-")
            .tempdir()
            .unwrap();
        for sub in ["blobs", "archives", "tmp"] {
            std::fs::create_dir_all(store.path().join(sub)).unwrap();
        }
        let api_addr = api.local_addr().unwrap();
        let shared = Arc::new(server::Shared {
            api_origin: format!("http://{api_addr}"),
            file_origin: format!("http://{}", files.local_addr().unwrap()),
            store_dir: store.path().to_path_buf(),
            secret: format!("local-kaggle-{}-{}", std::process::id(), api_addr.port()),
            state: Mutex::new(server::State::default()),
            hostile_sent: std::sync::atomic::AtomicU64::new(0),
        });
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("local-kaggle")
            .enable_all()
            .build()
            .unwrap();
        for (listener, origin) in [(api, Origin::Api), (files, Origin::Files)] {
            listener.set_nonblocking(true).unwrap();
            let shared = shared.clone();
            rt.spawn(async move {
                let listener = server::KillableListener(tokio::net::TcpListener::from_std(listener).unwrap());
                let app =
                    server::router(shared, origin).into_make_service_with_connect_info::<server::ConnKill>();
                axum::serve(listener, app).await.unwrap();
            });
        }
        Self {
            shared,
            rt: Some(rt),
            _store: store,
        }
    }

    /// One process-wide server with its API on 127.0.0.1:80, for the real clients (which reach it with
    /// `KAGGLE_API_ENVIRONMENT=LOCALHOST`). Tests sharing it keep apart by owner slug.
    pub fn shared_port_80() -> &'static LocalKaggle {
        static SHARED: OnceLock<LocalKaggle> = OnceLock::new();
        SHARED.get_or_init(|| {
            assert!(
                std::net::TcpListener::bind("127.0.0.1:80").is_ok(),
                "the real Kaggle clients need the local Kaggle API on 127.0.0.1:80 \
                 (KAGGLE_API_ENVIRONMENT=LOCALHOST), but port 80 cannot be bound: run as root \
                 (or with CAP_NET_BIND_SERVICE) and free the port"
            );
            Self::start_on(80)
        })
    }

    /// `http://127.0.0.1:PORT/api`: clients POST to `{endpoint}/v1/{service}/{Method}`.
    pub fn endpoint(&self) -> String {
        format!("{}/api", self.shared.api_origin)
    }

    /// `http://127.0.0.1:PORT` of the signed-URL storage stand-in.
    pub fn file_origin(&self) -> String {
        self.shared.file_origin.clone()
    }

    /// Accepted credentials for `username`: `Authorization: Basic base64(username:key)` (legacy
    /// `kaggle.json` / `KAGGLE_USERNAME`+`KAGGLE_KEY`) and `Authorization: Bearer token` (`KAGGLE_API_TOKEN`,
    /// `~/.kaggle/access_token`). Any other credential is answered 401 on every RPC.
    pub fn add_user(&self, username: &str, key: &str, token: &str) {
        let mut st = self.shared.state.lock().unwrap();
        st.users.retain(|u| u.username != username);
        st.users.push(server::User {
            username: username.to_string(),
            key: key.to_string(),
            token: token.to_string(),
        });
    }

    /// A new version of `owner/model/framework/variation` holding exactly the regular files under `dir`
    /// (recursive, symlinks followed, nothing skipped; relative paths with '/'), creating the model (public)
    /// and the instance as needed; returns the version number (1, 2, …). `framework` is kagglehub's
    /// camelCase (`pyTorch`, `keras`, `transformers`, `other`, …) or the enum name
    /// (`MODEL_FRAMEWORK_PY_TORCH`), matched case-insensitively ignoring '_'.
    pub fn add_version(&self, owner: &str, model: &str, framework: &str, variation: &str, dir: &Path) -> u64 {
        let fw = server::framework_enum(framework).unwrap_or_else(|| panic!("unknown framework {framework}"));
        let files: BTreeMap<String, Arc<server::Stored>> = files::scan(dir)
            .into_iter()
            .map(|(rel, disk)| {
                let stored = server::stored(disk);
                (rel, Arc::new(stored))
            })
            .collect();
        let mut st = self.shared.state.lock().unwrap();
        st.ensure_model(owner, model, None);
        st.new_version(owner, model, fw, variation, files, "")
    }

    /// Makes the model private to `owner_username`: only that user's credentials see it; everyone else
    /// gets 404 `{"code":404,"message":…}` as from Kaggle.
    pub fn set_private(&self, owner: &str, model: &str, owner_username: &str) {
        let mut st = self.shared.state.lock().unwrap();
        let m = st
            .models
            .get_mut(&(owner.to_string(), model.to_string()))
            .unwrap_or_else(|| panic!("no model {owner}/{model}"));
        m.private_to = Some(owner_username.to_string());
    }

    /// The most files one `ListModelInstanceVersionFiles` page holds (default 50); a smaller `pageSize`
    /// from the client is honoured.
    pub fn set_page_size(&self, n: usize) {
        assert!(n > 0);
        self.shared.state.lock().unwrap().page_size = n;
    }

    /// The files of a stored version (added or pushed): relative path → bytes.
    pub fn version_files(
        &self,
        owner: &str,
        model: &str,
        framework: &str,
        variation: &str,
        version: u64,
    ) -> Option<BTreeMap<String, Vec<u8>>> {
        let files = {
            let st = self.shared.state.lock().unwrap();
            st.version(owner, model, framework, variation, version)?
                .files
                .clone()
        };
        Some(
            files
                .into_iter()
                .map(|(rel, s)| (rel, std::fs::read(&s.disk).unwrap()))
                .collect(),
        )
    }

    /// The version notes a version was created with (empty for [`LocalKaggle::add_version`]).
    pub fn version_notes(
        &self,
        owner: &str,
        model: &str,
        framework: &str,
        variation: &str,
        version: u64,
    ) -> Option<String> {
        let st = self.shared.state.lock().unwrap();
        Some(
            st.version(owner, model, framework, variation, version)?
                .notes
                .clone(),
        )
    }

    /// Whether the model exists and is private.
    pub fn is_private(&self, owner: &str, model: &str) -> Option<bool> {
        let st = self.shared.state.lock().unwrap();
        let m = st.models.get(&(owner.to_string(), model.to_string()))?;
        Some(m.private_to.is_some())
    }

    pub fn latest_version(&self, owner: &str, model: &str, framework: &str, variation: &str) -> Option<u64> {
        let st = self.shared.state.lock().unwrap();
        st.instance(owner, model, framework, variation)
            .map(|i| i.versions.len() as u64)
            .filter(|n| *n > 0)
    }

    /// Bytes of [`Fault::EndlessBody`] answers handed to connections so far.
    pub fn hostile_bytes_sent(&self) -> u64 {
        self.shared.hostile_sent.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn inject(&self, fault: Fault) {
        self.shared.state.lock().unwrap().faults.push(fault);
    }

    /// Removes the faults equal to `fault`.
    pub fn remove_fault(&self, fault: &Fault) {
        self.shared.state.lock().unwrap().faults.retain(|f| f != fault);
    }

    pub fn clear_faults(&self) {
        self.shared.state.lock().unwrap().faults.clear();
    }

    /// Faults still active (those with `times` left).
    pub fn faults(&self) -> Vec<Fault> {
        self.shared.state.lock().unwrap().faults.clone()
    }

    pub fn requests(&self) -> Vec<Request> {
        self.shared.state.lock().unwrap().requests.clone()
    }

    pub fn clear_requests(&self) {
        self.shared.state.lock().unwrap().requests.clear();
    }
}

impl Drop for LocalKaggle {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

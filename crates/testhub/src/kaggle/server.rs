//! The HTTP side: the API's RPCs, the file origin (signed downloads, archives, resumable uploads), fault
//! injection and the request log.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State as AxState};
use axum::http::{HeaderMap, Method, Response as HttpResponse, StatusCode, request::Parts};
use base64::Engine as _;
use futures_util::StreamExt as _;
use md5::Digest as _;
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt as _, ReadBuf};

use super::files::{self, BodyFaults, pct_decode};
use super::{Fault, Origin, Request};

type Response = HttpResponse<Body>;

/// The enum names of kagglesdk's `ModelFramework` (the API speaks these).
const FRAMEWORKS: &[&str] = &[
    "MODEL_FRAMEWORK_TENSOR_FLOW_1",
    "MODEL_FRAMEWORK_TENSOR_FLOW_2",
    "MODEL_FRAMEWORK_TF_LITE",
    "MODEL_FRAMEWORK_TF_JS",
    "MODEL_FRAMEWORK_PY_TORCH",
    "MODEL_FRAMEWORK_JAX",
    "MODEL_FRAMEWORK_FLAX",
    "MODEL_FRAMEWORK_PAX",
    "MODEL_FRAMEWORK_MAX_TEXT",
    "MODEL_FRAMEWORK_GEMMA_CPP",
    "MODEL_FRAMEWORK_GGML",
    "MODEL_FRAMEWORK_GGUF",
    "MODEL_FRAMEWORK_CORAL",
    "MODEL_FRAMEWORK_SCIKIT_LEARN",
    "MODEL_FRAMEWORK_MXNET",
    "MODEL_FRAMEWORK_ONNX",
    "MODEL_FRAMEWORK_KERAS",
    "MODEL_FRAMEWORK_TRANSFORMERS",
    "MODEL_FRAMEWORK_API",
    "MODEL_FRAMEWORK_OTHER",
    "MODEL_FRAMEWORK_TENSOR_RT_LLM",
    "MODEL_FRAMEWORK_TRITON",
    "MODEL_FRAMEWORK_VLLM",
];

/// `pyTorch`, `PyTorch`, `MODEL_FRAMEWORK_PY_TORCH` → `MODEL_FRAMEWORK_PY_TORCH`.
pub fn framework_enum(s: &str) -> Option<&'static str> {
    let norm = |x: &str| x.to_ascii_lowercase().replace('_', "");
    let key = norm(s);
    let key = key.strip_prefix("modelframework").unwrap_or(&key).to_string();
    FRAMEWORKS
        .iter()
        .find(|f| norm(f.trim_start_matches("MODEL_FRAMEWORK_")) == key)
        .copied()
}

/// A far-future `Last-Modified` would make clients skip downloads; this one is fixed and in the past.
const LAST_MODIFIED: &str = "Mon, 01 Jan 2024 00:00:00 GMT";
const CREATION_DATE: &str = "2024-01-01T00:00:00.000Z";

pub struct Shared {
    pub api_origin: String,
    pub file_origin: String,
    /// Pushed blobs, generated archives.
    pub store_dir: PathBuf,
    /// Keys the signatures of download URLs.
    pub secret: String,
    pub state: Mutex<State>,
    pub hostile_sent: std::sync::atomic::AtomicU64,
}

pub struct User {
    pub username: String,
    pub key: String,
    pub token: String,
}

/// File content on disk.
#[derive(Debug)]
pub struct Stored {
    pub disk: PathBuf,
    pub size: u64,
    /// Base64 of the MD5, as `x-goog-hash` carries it.
    pub md5_b64: String,
}

pub struct Version {
    pub id: u64,
    pub files: BTreeMap<String, Arc<Stored>>,
    pub notes: String,
}

pub struct Instance {
    pub id: u64,
    pub framework: &'static str,
    pub slug: String,
    pub versions: Vec<Version>,
    pub license: Option<String>,
}

pub struct Model {
    pub id: u64,
    pub title: String,
    /// `Some(username)`: only that user sees the model.
    pub private_to: Option<String>,
    /// By (framework enum name, instance slug).
    pub instances: BTreeMap<(&'static str, String), Instance>,
}

/// A resumable upload session.
pub struct Upload {
    pub name: String,
    pub disk: PathBuf,
    pub committed: u64,
    pub total: Option<u64>,
    /// The content, once complete.
    pub done: Option<Arc<Stored>>,
    /// Set once a version holds the blob (a token is good for one file).
    pub used: bool,
}

pub struct State {
    pub users: Vec<User>,
    /// By (owner slug, model slug).
    pub models: BTreeMap<(String, String), Model>,
    /// By upload id.
    pub uploads: HashMap<String, Upload>,
    /// Blob token → upload id.
    pub tokens: HashMap<String, String>,
    pub page_size: usize,
    pub faults: Vec<Fault>,
    pub requests: Vec<Request>,
    pub seq: u64,
    /// Version key → generated archive.
    pub archives: HashMap<String, Arc<Stored>>,
}

impl Default for State {
    fn default() -> Self {
        Self {
            users: Vec::new(),
            models: BTreeMap::new(),
            uploads: HashMap::new(),
            tokens: HashMap::new(),
            page_size: 50,
            faults: Vec::new(),
            requests: Vec::new(),
            seq: 0,
            archives: HashMap::new(),
        }
    }
}

impl State {
    fn next(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    pub fn ensure_model(&mut self, owner: &str, slug: &str, private_to: Option<String>) {
        let key = (owner.to_string(), slug.to_string());
        if !self.models.contains_key(&key) {
            let id = self.next();
            self.models.insert(
                key,
                Model {
                    id,
                    title: slug.to_string(),
                    private_to,
                    instances: BTreeMap::new(),
                },
            );
        }
    }

    /// Appends a version (creating the instance); returns its number.
    pub fn new_version(
        &mut self,
        owner: &str,
        model: &str,
        framework: &'static str,
        variation: &str,
        files: BTreeMap<String, Arc<Stored>>,
        notes: &str,
    ) -> u64 {
        let (iid, vid) = (self.next(), self.next());
        let m = self
            .models
            .get_mut(&(owner.to_string(), model.to_string()))
            .unwrap();
        let inst = m
            .instances
            .entry((framework, variation.to_string()))
            .or_insert_with(|| Instance {
                id: iid,
                framework,
                slug: variation.to_string(),
                versions: Vec::new(),
                license: None,
            });
        inst.versions.push(Version {
            id: vid,
            files,
            notes: notes.to_string(),
        });
        inst.versions.len() as u64
    }

    pub fn instance(&self, owner: &str, model: &str, framework: &str, variation: &str) -> Option<&Instance> {
        let fw = framework_enum(framework)?;
        self.models
            .get(&(owner.to_string(), model.to_string()))?
            .instances
            .get(&(fw, variation.to_string()))
    }

    pub fn version(
        &self,
        owner: &str,
        model: &str,
        framework: &str,
        variation: &str,
        n: u64,
    ) -> Option<&Version> {
        let i = usize::try_from(n.checked_sub(1)?).ok()?;
        self.instance(owner, model, framework, variation)?.versions.get(i)
    }

    fn user_by_credentials(&self, auth: &Auth) -> Option<&str> {
        match auth {
            Auth::Basic(u, k) => self
                .users
                .iter()
                .find(|x| x.username == *u && x.key == *k)
                .map(|x| x.username.as_str()),
            Auth::Bearer(t) => self
                .users
                .iter()
                .find(|x| x.token == *t)
                .map(|x| x.username.as_str()),
            Auth::None | Auth::Malformed => None,
        }
    }
}

/// Hashes a file once (streaming).
pub fn stored(disk: PathBuf) -> Stored {
    use std::io::Read as _;
    let mut f = std::fs::File::open(&disk).unwrap_or_else(|e| panic!("open {}: {e}", disk.display()));
    let mut h = md5::Md5::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        size += n as u64;
    }
    Stored {
        disk,
        size,
        md5_b64: base64::engine::general_purpose::STANDARD.encode(h.finalize()),
    }
}

// ---------------------------------------------------------------- connections that can be dropped

/// Shared by a connection's IO and its requests: set it and the connection fails (no answer is sent).
#[derive(Clone, Debug)]
pub struct ConnKill(Arc<AtomicBool>);

/// A TCP listener whose connections a handler can drop ([`ConnKill`]), without Nagle delays.
pub struct KillableListener(pub tokio::net::TcpListener);

pub struct KillableIo {
    inner: tokio::net::TcpStream,
    kill: Arc<AtomicBool>,
}

impl axum::serve::Listener for KillableListener {
    type Io = KillableIo;
    type Addr = ConnKill;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.0.accept().await {
                Ok((tcp, _)) => {
                    let _ = tcp.set_nodelay(true);
                    let kill = Arc::new(AtomicBool::new(false));
                    return (
                        KillableIo {
                            inner: tcp,
                            kill: kill.clone(),
                        },
                        ConnKill(kill),
                    );
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(ConnKill(Arc::new(AtomicBool::new(false))))
    }
}

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, KillableListener>> for ConnKill {
    fn connect_info(stream: axum::serve::IncomingStream<'_, KillableListener>) -> Self {
        stream.remote_addr().clone()
    }
}

fn killed() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::ConnectionAborted,
        "connection dropped by a fault",
    )
}

impl AsyncRead for KillableIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if self.kill.load(Ordering::SeqCst) {
            return Poll::Ready(Err(killed()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillableIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        if self.kill.load(Ordering::SeqCst) {
            return Poll::Ready(Err(killed()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        if self.kill.load(Ordering::SeqCst) {
            return Poll::Ready(Err(killed()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

// ---------------------------------------------------------------- routing

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
    let kill = req
        .extensions()
        .get::<ConnectInfo<ConnKill>>()
        .map(|c| c.0.clone());
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
    let rpc = (origin == Origin::Api)
        .then(|| rpc_of(parts.uri.path()).map(|(_, m)| m.to_string()))
        .flatten();
    let (json_body, body) = if origin == Origin::Api {
        let bytes = axum::body::to_bytes(body, 16 << 20).await.unwrap_or_default();
        let v = serde_json::from_slice::<Value>(&bytes).ok();
        (v, None)
    } else {
        (None, Some(body))
    };
    let mut resp = if let Some(r) = endless_body(&sh, origin, &path_q) {
        r
    } else if let Some(r) = server_error(&sh, origin, &path_q) {
        if let Some(b) = body {
            drain(b).await;
        }
        r
    } else {
        match (origin, body) {
            (Origin::Files, Some(body)) => files(&sh, &parts, body, kill).await,
            _ => api(&sh, &parts, json_body.as_ref().unwrap_or(&Value::Null)),
        }
    };
    if parts.method == Method::HEAD {
        *resp.body_mut() = Body::empty();
    }
    sh.state.lock().unwrap().requests.push(Request {
        origin,
        method: parts.method.to_string(),
        path: path_q,
        rpc,
        body: json_body,
        authorization: hdr("authorization"),
        range: hdr("range"),
        content_range: hdr("content-range"),
        status: resp.status().as_u16(),
    });
    resp
}

/// `/api/v1/models.ModelApiService/GetModel` → (`models.ModelApiService`, `GetModel`).
fn rpc_of(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("/api/v1/")?;
    let (service, method) = rest.split_once('/')?;
    (!method.contains('/')).then_some((service, method))
}

pub async fn drain(body: Body) {
    let mut s = body.into_data_stream();
    while let Some(Ok(_)) = s.next().await {}
}

fn builder(status: u16) -> axum::http::response::Builder {
    HttpResponse::builder().status(StatusCode::from_u16(status).unwrap())
}

fn json_response(v: &Value) -> Response {
    builder(200)
        .header("Content-Type", "application/json; charset=utf-8")
        .body(Body::from(serde_json::to_vec(v).unwrap()))
        .unwrap()
}

/// A read error as the API sends it: HTTP status and `{"code","message"}`.
fn api_error(status: u16, message: &str) -> Response {
    builder(status)
        .header("Content-Type", "application/json; charset=utf-8")
        .body(Body::from(
            json!({ "code": status, "message": message }).to_string(),
        ))
        .unwrap()
}

/// A mutation error as the API sends it: HTTP 200 with `{"error","errorCode"}`.
fn mutation_error(code: u16, message: &str) -> Response {
    json_response(&json!({ "error": message, "errorCode": code }))
}

/// Percent-encodes everything but unreserved characters (and `/` when `keep_slash`).
fn pct_encode(s: &str, keep_slash: bool) -> String {
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

fn query_of(parts: &Parts) -> Vec<(String, String)> {
    parts
        .uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (pct_decode(k), pct_decode(v))
        })
        .collect()
}

fn matches_request(needle: &str, path_q: &str) -> bool {
    path_q.contains(needle) || pct_decode(path_q).contains(needle)
}

fn server_error(sh: &Shared, origin: Origin, path_q: &str) -> Option<Response> {
    let mut st = sh.state.lock().unwrap();
    let i = st.faults.iter().position(|f| {
        matches!(f, Fault::ServerError { rpc_or_path_contains, times, .. }
            if *times > 0 && matches_request(rpc_or_path_contains, path_q))
    })?;
    let Fault::ServerError { status, times, .. } = &mut st.faults[i] else {
        unreachable!()
    };
    let status = *status;
    *times -= 1;
    if *times == 0 {
        st.faults.remove(i);
    }
    drop(st);
    let msg = format!("Injected fault: HTTP {status}");
    Some(match origin {
        Origin::Api => api_error(status, &msg),
        Origin::Files => builder(status)
            .header("Content-Type", "application/xml; charset=UTF-8")
            .body(Body::from(format!(
                "<?xml version='1.0' encoding='UTF-8'?><Error><Code>InternalError</Code><Message>{msg}</Message></Error>"
            )))
            .unwrap(),
    })
}

/// [`Fault::EndlessBody`]: 1 MiB chunks until 1.5 GiB or the client hangs up.
fn endless_body(sh: &Arc<Shared>, origin: Origin, path_q: &str) -> Option<Response> {
    let hit = sh.state.lock().unwrap().faults.iter().any(
        |f| matches!(f, Fault::EndlessBody { rpc_or_path_contains } if matches_request(rpc_or_path_contains, path_q)),
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
            sh.hostile_sent.fetch_add(1 << 20, Ordering::SeqCst);
            Some((Ok::<_, std::io::Error>(Bytes::from(vec![b' '; 1 << 20])), n + 1))
        }
    });
    let ct = match origin {
        Origin::Api => "application/json",
        Origin::Files => "application/octet-stream",
    };
    Some(
        builder(200)
            .header("Content-Type", ct)
            .body(Body::from_stream(chunks))
            .unwrap(),
    )
}

// ---------------------------------------------------------------- the API

enum Auth {
    None,
    Basic(String, String),
    Bearer(String),
    Malformed,
}

fn auth_of(headers: &HeaderMap) -> Auth {
    let Some(v) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return Auth::None;
    };
    let (scheme, rest) = v.split_once(' ').unwrap_or((v, ""));
    if scheme.eq_ignore_ascii_case("bearer") {
        return Auth::Bearer(rest.trim().to_string());
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok());
        if let Some((u, k)) = decoded.as_deref().and_then(|d| d.split_once(':')) {
            return Auth::Basic(u.to_string(), k.to_string());
        }
    }
    Auth::Malformed
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

/// A JSON number or a string holding one (proto int64 fields may arrive either way).
fn n(v: &Value, k: &str) -> Option<u64> {
    match v.get(k)? {
        Value::Number(x) => x.as_u64(),
        Value::String(x) => x.parse().ok(),
        _ => None,
    }
}

fn api(sh: &Shared, parts: &Parts, body: &Value) -> Response {
    if parts.method != Method::POST {
        return api_error(404, "Not found");
    }
    let Some((service, method)) = rpc_of(parts.uri.path()) else {
        return api_error(404, "Not found");
    };
    let auth = auth_of(&parts.headers);
    if service == "security.OAuthService" && method == "IntrospectToken" {
        return introspect(sh, body);
    }
    let user = {
        let st = sh.state.lock().unwrap();
        match &auth {
            Auth::None => None,
            a => match st.user_by_credentials(a) {
                Some(u) => Some(u.to_string()),
                None => return api_error(401, "Unauthenticated: invalid credentials"),
            },
        }
    };
    let user = user.as_deref();
    match (service, method) {
        ("models.ModelApiService", "GetModel") => get_model(sh, user, body),
        ("models.ModelApiService", "GetModelInstance") => get_model_instance(sh, user, body),
        ("models.ModelApiService", "ListModelInstanceVersionFiles") => list_files(sh, user, body),
        ("models.ModelApiService", "DownloadModelInstanceVersion") => download(sh, user, body),
        ("models.ModelApiService", "CreateModel") => create_model(sh, user, body),
        ("models.ModelApiService", "CreateModelInstance") => create_instance(sh, user, body),
        ("models.ModelApiService", "CreateModelInstanceVersion") => create_version(sh, user, body),
        ("blobs.BlobApiService", "StartBlobUpload") => start_blob_upload(sh, user, body),
        _ => api_error(404, &format!("Unknown RPC {service}/{method}")),
    }
}

fn introspect(sh: &Shared, body: &Value) -> Response {
    let st = sh.state.lock().unwrap();
    let token = s(body, "token");
    match st
        .users
        .iter()
        .position(|u| u.token == token && !token.is_empty())
    {
        Some(i) => json_response(&json!({
            "active": true,
            "clientId": "kaggle-cli",
            "username": st.users[i].username,
            "userId": 1000 + i,
        })),
        None => json_response(&json!({ "active": false })),
    }
}

fn visible(m: &Model, user: Option<&str>) -> bool {
    match &m.private_to {
        None => true,
        Some(owner) => user == Some(owner.as_str()),
    }
}

impl Shared {
    fn web(&self, rest: &str) -> String {
        format!("{}/models/{rest}", self.api_origin)
    }
}

/// The model named by `ownerSlug` + `modelSlug`, if this user may see it.
fn find_model<'a>(
    st: &'a State,
    user: Option<&str>,
    body: &Value,
    slug_key: &str,
) -> Result<&'a Model, Response> {
    let key = (s(body, "ownerSlug").to_string(), s(body, slug_key).to_string());
    match st.models.get(&key) {
        Some(m) if visible(m, user) => Ok(m),
        _ => Err(api_error(404, &format!("Model {}/{} not found", key.0, key.1))),
    }
}

fn find_instance<'a>(st: &'a State, user: Option<&str>, body: &Value) -> Result<&'a Instance, Response> {
    let m = find_model(st, user, body, "modelSlug")?;
    let fw = framework_enum(s(body, "framework"));
    let slug = s(body, "instanceSlug");
    fw.and_then(|fw| m.instances.get(&(fw, slug.to_string())))
        .ok_or_else(|| {
            api_error(
                404,
                &format!(
                    "Model instance {}/{}/{slug} not found",
                    s(body, "ownerSlug"),
                    s(body, "modelSlug")
                ),
            )
        })
}

fn find_version<'a>(
    st: &'a State,
    user: Option<&str>,
    body: &Value,
) -> Result<(&'a Instance, u64, &'a Version), Response> {
    let inst = find_instance(st, user, body)?;
    let v = n(body, "versionNumber").unwrap_or(0);
    let ver = usize::try_from(v)
        .ok()
        .and_then(|i| i.checked_sub(1))
        .and_then(|i| inst.versions.get(i))
        .ok_or_else(|| api_error(404, &format!("Model instance version {v} not found")))?;
    Ok((inst, v, ver))
}

fn get_model(sh: &Shared, user: Option<&str>, body: &Value) -> Response {
    let st = sh.state.lock().unwrap();
    let m = match find_model(&st, user, body, "modelSlug") {
        Ok(m) => m,
        Err(r) => return r,
    };
    let (owner, slug) = (s(body, "ownerSlug"), s(body, "modelSlug"));
    json_response(&json!({
        "id": m.id,
        "ref": format!("{owner}/{slug}"),
        "title": m.title,
        "author": owner,
        "slug": slug,
        "isPrivate": m.private_to.is_some(),
        "url": sh.web(&format!("{owner}/{slug}")),
        "instances": [],
    }))
}

fn instance_json(sh: &Shared, owner: &str, model: &str, inst: &Instance) -> Value {
    let latest = inst.versions.len();
    json!({
        "id": inst.id,
        "slug": inst.slug,
        "framework": inst.framework,
        "versionId": inst.versions.last().map_or(0, |v| v.id),
        "versionNumber": latest,
        "url": sh.web(&format!("{owner}/{model}/{}/{}", framework_camel(inst.framework), inst.slug)),
        "licenseName": inst.license.clone().unwrap_or_else(|| "Apache 2.0".to_string()),
        "modelInstanceType": "MODEL_INSTANCE_TYPE_BASE_MODEL",
    })
}

/// `MODEL_FRAMEWORK_PY_TORCH` → `pyTorch` (how Kaggle URLs and kagglehub handles spell it).
fn framework_camel(e: &str) -> String {
    let mut out = String::new();
    for (i, w) in e.trim_start_matches("MODEL_FRAMEWORK_").split('_').enumerate() {
        let w = w.to_ascii_lowercase();
        if i == 0 {
            out.push_str(&w);
        } else {
            let mut c = w.chars();
            if let Some(f) = c.next() {
                out.push(f.to_ascii_uppercase());
                out.push_str(c.as_str());
            }
        }
    }
    out
}

fn get_model_instance(sh: &Shared, user: Option<&str>, body: &Value) -> Response {
    let st = sh.state.lock().unwrap();
    match find_instance(&st, user, body) {
        Ok(inst) => json_response(&instance_json(
            sh,
            s(body, "ownerSlug"),
            s(body, "modelSlug"),
            inst,
        )),
        Err(r) => r,
    }
}

/// The listing as the faults make it: (path, size).
fn listing(st: &State, ver: &Version) -> Vec<(String, u64)> {
    let mut out: BTreeMap<String, u64> = ver
        .files
        .iter()
        .filter(|(p, _)| {
            !st.faults
                .iter()
                .any(|f| matches!(f, Fault::MissingFromListing { path } if path == *p))
        })
        .map(|(p, f)| (p.clone(), f.size))
        .collect();
    for f in &st.faults {
        match f {
            Fault::ExtraInListing { path, size } => {
                out.insert(path.clone(), *size);
            }
            Fault::SizeInListing { path, size } => {
                if let Some(x) = out.get_mut(path) {
                    *x = *size;
                }
            }
            _ => {}
        }
    }
    out.into_iter().collect()
}

fn page_token(offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("offset:{offset}"))
}

fn parse_page_token(t: &str) -> Option<usize> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t).ok()?;
    String::from_utf8(raw).ok()?.strip_prefix("offset:")?.parse().ok()
}

fn list_files(sh: &Shared, user: Option<&str>, body: &Value) -> Response {
    let st = sh.state.lock().unwrap();
    let (_, _, ver) = match find_version(&st, user, body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let all = listing(&st, ver);
    let start = match s(body, "pageToken") {
        "" => 0,
        t => match parse_page_token(t) {
            Some(o) => o,
            None => return api_error(400, "Invalid page token"),
        },
    };
    let want = n(body, "pageSize")
        .and_then(|x| usize::try_from(x).ok())
        .filter(|x| *x > 0)
        .unwrap_or(st.page_size);
    let size = want.min(st.page_size);
    let end = (start + size).min(all.len());
    let files: Vec<Value> = all
        .get(start..end)
        .unwrap_or_default()
        .iter()
        .map(|(p, sz)| json!({ "name": p, "size": sz, "creationDate": CREATION_DATE }))
        .collect();
    let mut v = json!({ "files": files });
    if st.faults.contains(&Fault::LoopingPageToken) {
        v["nextPageToken"] = json!(page_token(start));
    } else if end < all.len() {
        v["nextPageToken"] = json!(page_token(end));
    }
    json_response(&v)
}

impl Shared {
    fn signature(&self, path: &str, expires: u64) -> String {
        use sha2::Digest as _;
        hex::encode(sha2::Sha256::digest(format!(
            "{}\n{path}\n{expires}",
            self.secret
        )))
    }

    /// A signed file-origin URL for `path` (already percent-encoded), valid for an hour.
    fn signed(&self, path: &str) -> String {
        let expires = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() + 3600;
        format!(
            "{}{path}?GoogleAccessId=local-kaggle%40localhost&Expires={expires}&Signature={}",
            self.file_origin,
            self.signature(path, expires)
        )
    }
}

fn version_prefix(owner: &str, model: &str, fw: &str, var: &str, v: u64) -> String {
    format!(
        "{}/{}/{}/{}/{v}",
        pct_encode(owner, false),
        pct_encode(model, false),
        fw,
        pct_encode(var, false)
    )
}

fn redirect(location: &str) -> Response {
    let text = format!("Found. Redirecting to {location}");
    builder(302)
        .header("Location", location)
        .header("Content-Type", "text/plain; charset=utf-8")
        .body(Body::from(text))
        .unwrap()
}

fn download(sh: &Shared, user: Option<&str>, body: &Value) -> Response {
    let st = sh.state.lock().unwrap();
    let (inst, v, ver) = match find_version(&st, user, body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let prefix = version_prefix(
        s(body, "ownerSlug"),
        s(body, "modelSlug"),
        inst.framework,
        &inst.slug,
        v,
    );
    match s(body, "path") {
        "" => redirect(&sh.signed(&format!("/archives/{prefix}.tar.gz"))),
        p => {
            let p = p.trim_start_matches('/');
            let listed = st
                .faults
                .iter()
                .any(|f| matches!(f, Fault::ExtraInListing { path, .. } if path == p));
            if !ver.files.contains_key(p) && !listed {
                return api_error(404, &format!("File {p} not found in this model instance version"));
            }
            redirect(&sh.signed(&format!("/files/{prefix}/{}", pct_encode(p, true))))
        }
    }
}

/// The authenticated user who may write `ownerSlug`'s models, or the mutation error.
fn writer<'a>(user: Option<&'a str>, owner: &str) -> Result<&'a str, Response> {
    match user {
        None => Err(mutation_error(401, "Unauthenticated: sign in to create models")),
        Some(u) if u != owner => Err(mutation_error(
            403,
            &format!("User {u} may not create models for {owner}"),
        )),
        Some(u) => Ok(u),
    }
}

fn create_model(sh: &Shared, user: Option<&str>, body: &Value) -> Response {
    let (owner, slug) = (s(body, "ownerSlug"), s(body, "slug"));
    let u = match writer(user, owner) {
        Ok(u) => u.to_string(),
        Err(r) => return r,
    };
    if slug.is_empty() || owner.is_empty() {
        return mutation_error(400, "ownerSlug and slug are required");
    }
    let mut st = sh.state.lock().unwrap();
    if st.models.contains_key(&(owner.to_string(), slug.to_string())) {
        return mutation_error(409, &format!("Model {owner}/{slug} already exists"));
    }
    let private = body.get("isPrivate").and_then(Value::as_bool).unwrap_or(false);
    st.ensure_model(owner, slug, private.then_some(u));
    let m = st.models.get_mut(&(owner.to_string(), slug.to_string())).unwrap();
    if let Some(t) = body.get("title").and_then(Value::as_str) {
        m.title = t.to_string();
    }
    json_response(&json!({
        "id": m.id,
        "ref": format!("{owner}/{slug}"),
        "url": sh.web(&format!("{owner}/{slug}")),
    }))
}

/// Resolves the upload tokens of a create body's `files` + `directories` tree into paths.
fn collect_tree(
    st: &State,
    files: &Value,
    dirs: &Value,
    prefix: &str,
    out: &mut BTreeMap<String, (String, Arc<Stored>)>,
) -> Result<(), Response> {
    for f in files.as_array().map(Vec::as_slice).unwrap_or_default() {
        let token = s(f, "token");
        let up = st
            .tokens
            .get(token)
            .and_then(|id| st.uploads.get(id))
            .ok_or_else(|| mutation_error(404, &format!("Unknown blob token {token:?}")))?;
        if up.used {
            return Err(mutation_error(
                400,
                &format!("Blob token {token:?} was already used"),
            ));
        }
        let Some(done) = &up.done else {
            return Err(mutation_error(
                400,
                &format!("Blob {token:?} was not fully uploaded"),
            ));
        };
        let path = format!("{prefix}{}", up.name);
        if out
            .insert(path.clone(), (token.to_string(), done.clone()))
            .is_some()
        {
            return Err(mutation_error(400, &format!("Duplicate file {path}")));
        }
    }
    for d in dirs.as_array().map(Vec::as_slice).unwrap_or_default() {
        let name = s(d, "name");
        if name.is_empty() || name.contains('/') || name == "." || name == ".." {
            return Err(mutation_error(400, &format!("Invalid directory name {name:?}")));
        }
        collect_tree(
            st,
            d.get("files").unwrap_or(&Value::Null),
            d.get("directories").unwrap_or(&Value::Null),
            &format!("{prefix}{name}/"),
            out,
        )?;
    }
    Ok(())
}

/// The files of a create body, or the mutation error; marks the tokens used.
fn take_files(st: &mut State, body: &Value) -> Result<BTreeMap<String, Arc<Stored>>, Response> {
    let mut out = BTreeMap::new();
    collect_tree(
        st,
        body.get("files").unwrap_or(&Value::Null),
        body.get("directories").unwrap_or(&Value::Null),
        "",
        &mut out,
    )?;
    if out.is_empty() {
        return Err(mutation_error(
            400,
            "A model instance version needs at least one file",
        ));
    }
    for (token, _) in out.values() {
        let id = st.tokens[token].clone();
        st.uploads.get_mut(&id).unwrap().used = true;
    }
    Ok(out.into_iter().map(|(p, (_, f))| (p, f)).collect())
}

/// Checks the writer and the model of a create call.
fn writable_model(st: &State, user: Option<&str>, owner: &str, model: &str) -> Result<(), Response> {
    writer(user, owner)?;
    match st.models.get(&(owner.to_string(), model.to_string())) {
        Some(m) if visible(m, user) => Ok(()),
        _ => Err(mutation_error(404, &format!("Model {owner}/{model} not found"))),
    }
}

fn create_instance(sh: &Shared, user: Option<&str>, body: &Value) -> Response {
    let (owner, model) = (s(body, "ownerSlug"), s(body, "modelSlug"));
    let b = body.get("body").cloned().unwrap_or(Value::Null);
    let mut st = sh.state.lock().unwrap();
    if let Err(r) = writable_model(&st, user, owner, model) {
        return r;
    }
    let slug = s(&b, "instanceSlug");
    let Some(fw) = framework_enum(s(&b, "framework")) else {
        return mutation_error(400, &format!("Invalid framework {:?}", s(&b, "framework")));
    };
    if slug.is_empty() {
        return mutation_error(400, "instanceSlug is required");
    }
    if st.instance(owner, model, fw, slug).is_some() {
        return mutation_error(
            409,
            &format!(
                "Model instance {owner}/{model}/{}/{slug} already exists",
                framework_camel(fw)
            ),
        );
    }
    let files = match take_files(&mut st, &b) {
        Ok(f) => f,
        Err(r) => return r,
    };
    st.new_version(owner, model, fw, slug, files, "Initial version");
    let license = b.get("licenseName").and_then(Value::as_str).map(str::to_string);
    let m = st
        .models
        .get_mut(&(owner.to_string(), model.to_string()))
        .unwrap();
    let inst = m.instances.get_mut(&(fw, slug.to_string())).unwrap();
    inst.license = license;
    let r = format!("{owner}/{model}/{}/{slug}", framework_camel(fw));
    json_response(&json!({ "id": inst.id, "ref": r, "url": sh.web(&r) }))
}

fn create_version(sh: &Shared, user: Option<&str>, body: &Value) -> Response {
    let (owner, model, slug) = (
        s(body, "ownerSlug"),
        s(body, "modelSlug"),
        s(body, "instanceSlug"),
    );
    let b = body.get("body").cloned().unwrap_or(Value::Null);
    let mut st = sh.state.lock().unwrap();
    if let Err(r) = writable_model(&st, user, owner, model) {
        return r;
    }
    let Some(fw) = framework_enum(s(body, "framework")) else {
        return mutation_error(400, &format!("Invalid framework {:?}", s(body, "framework")));
    };
    if st.instance(owner, model, fw, slug).is_none() {
        return mutation_error(
            404,
            &format!(
                "Model instance {owner}/{model}/{}/{slug} not found",
                framework_camel(fw)
            ),
        );
    }
    let files = match take_files(&mut st, &b) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let v = st.new_version(owner, model, fw, slug, files, s(&b, "versionNotes"));
    let id = st
        .instance(owner, model, fw, slug)
        .unwrap()
        .versions
        .last()
        .unwrap()
        .id;
    let r = format!("{owner}/{model}/{}/{slug}/{v}", framework_camel(fw));
    json_response(&json!({ "id": id, "ref": r, "url": sh.web(&r) }))
}

fn start_blob_upload(sh: &Shared, user: Option<&str>, body: &Value) -> Response {
    if user.is_none() {
        return api_error(401, "Unauthenticated: sign in to upload");
    }
    let name = s(body, "name");
    if name.is_empty() || name.contains('/') {
        return api_error(400, &format!("Invalid blob name {name:?}"));
    }
    let mut st = sh.state.lock().unwrap();
    let seq = st.next();
    let id = format!("up{seq:06}{}", &sh.signature("upload", seq)[..16]);
    let token = format!("blob-{seq:06}-{}", &sh.signature("token", seq)[..24]);
    let disk = sh.store_dir.join("blobs").join(&id);
    std::fs::write(&disk, b"").unwrap();
    st.tokens.insert(token.clone(), id.clone());
    st.uploads.insert(
        id.clone(),
        Upload {
            name: name.to_string(),
            disk,
            committed: 0,
            total: n(body, "contentLength"),
            done: None,
            used: false,
        },
    );
    let url = format!(
        "{}/upload/storage/v1/b/kaggle-blobs/o?uploadType=resumable&name={}&upload_id={id}",
        sh.file_origin,
        pct_encode(name, false)
    );
    json_response(&json!({ "token": token, "createUrl": url }))
}

// ---------------------------------------------------------------- the file origin

async fn files(sh: &Shared, parts: &Parts, body: Body, kill: Option<ConnKill>) -> Response {
    if parts.headers.contains_key("authorization") {
        drain(body).await;
        return gcs_error(
            403,
            "AccessDenied",
            "Signed URLs and uploads must not carry an Authorization header",
        );
    }
    let path = parts.uri.path();
    if path == "/upload/storage/v1/b/kaggle-blobs/o" {
        return match parts.method {
            Method::PUT | Method::POST => upload_put(sh, parts, body, kill).await,
            _ => {
                drain(body).await;
                gcs_error(405, "MethodNotAllowed", "Use PUT")
            }
        };
    }
    drain(body).await;
    if parts.method != Method::GET && parts.method != Method::HEAD {
        return gcs_error(405, "MethodNotAllowed", "Use GET");
    }
    let q = query_of(parts);
    let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let expires: u64 = get("Expires").and_then(|e| e.parse().ok()).unwrap_or(0);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    if get("Signature").as_deref() != Some(sh.signature(path, expires).as_str()) {
        return gcs_error(
            403,
            "SignatureDoesNotMatch",
            "The request signature does not match",
        );
    }
    if expires < now {
        return gcs_error(400, "ExpiredToken", "The signed URL has expired");
    }
    let segs: Vec<String> = path.split('/').skip(1).map(pct_decode).collect();
    match segs.first().map(String::as_str) {
        Some("files") if segs.len() >= 7 => {
            let (owner, model, fw, var) = (&segs[1], &segs[2], &segs[3], &segs[4]);
            let v: u64 = segs[5].parse().unwrap_or(0);
            let rel = segs[6..].join("/");
            let blob = {
                let st = sh.state.lock().unwrap();
                let missing = st
                    .faults
                    .iter()
                    .any(|f| matches!(f, Fault::ExtraInListing { path, .. } if *path == rel));
                st.version(owner, model, fw, var, v)
                    .and_then(|ver| ver.files.get(&rel).cloned())
                    .filter(|_| !missing)
            };
            match blob {
                Some(b) => serve(sh, parts, &b, Some(&rel)),
                None => gcs_error(404, "NoSuchKey", "The specified key does not exist."),
            }
        }
        Some("archives") if segs.len() == 6 => {
            let (owner, model, fw, var) = (&segs[1], &segs[2], &segs[3], &segs[4]);
            let Some(v) = segs[5]
                .strip_suffix(".tar.gz")
                .and_then(|x| x.parse::<u64>().ok())
            else {
                return gcs_error(404, "NoSuchKey", "The specified key does not exist.");
            };
            match archive(sh, owner, model, fw, var, v).await {
                Some(b) => serve(sh, parts, &b, None),
                None => gcs_error(404, "NoSuchKey", "The specified key does not exist."),
            }
        }
        _ => gcs_error(404, "NoSuchKey", "The specified key does not exist."),
    }
}

fn gcs_error(status: u16, code: &str, message: &str) -> Response {
    builder(status)
        .header("Content-Type", "application/xml; charset=UTF-8")
        .body(Body::from(format!(
            "<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{message}</Message></Error>"
        )))
        .unwrap()
}

/// The version's `.tar.gz` (made by the system `tar` on first request, then kept).
async fn archive(sh: &Shared, o: &str, m: &str, fw: &str, var: &str, v: u64) -> Option<Arc<Stored>> {
    let key = format!("{o}/{m}/{fw}/{var}/{v}");
    let (files, seq) = {
        let mut st = sh.state.lock().unwrap();
        if let Some(a) = st.archives.get(&key) {
            return Some(a.clone());
        }
        let files = st.version(o, m, fw, var, v)?.files.clone();
        (files, st.next())
    };
    let work = sh.store_dir.join("tmp").join(format!("archive-{seq}"));
    let out = sh.store_dir.join("archives").join(format!("{seq}.tar.gz"));
    let stored = tokio::task::spawn_blocking(move || {
        // Links at the files' relative paths; tar follows them (-h) so the archive holds content.
        let mut list = String::new();
        for (rel, f) in &files {
            let link = work.join(rel);
            std::fs::create_dir_all(link.parent().unwrap()).unwrap();
            std::os::unix::fs::symlink(&f.disk, &link).unwrap();
            list.push_str(rel);
            list.push('\n');
        }
        std::fs::write(work.with_extension("list"), list).unwrap();
        let st = std::process::Command::new("tar")
            .arg("-czhf")
            .arg(&out)
            .arg("--owner=0")
            .arg("--group=0")
            .arg("--numeric-owner")
            .arg("-C")
            .arg(&work)
            .arg("-T")
            .arg(work.with_extension("list"))
            .status()
            .expect("run tar");
        assert!(st.success(), "tar failed for {}", out.display());
        let _ = std::fs::remove_dir_all(&work);
        let _ = std::fs::remove_file(work.with_extension("list"));
        stored(out)
    })
    .await
    .unwrap();
    let stored = Arc::new(stored);
    sh.state.lock().unwrap().archives.insert(key, stored.clone());
    Some(stored)
}

fn body_faults(sh: &Shared, path: Option<&str>) -> BodyFaults {
    let mut bf = BodyFaults::default();
    let Some(path) = path else { return bf };
    let mut st = sh.state.lock().unwrap();
    let mut exhausted = None;
    for (i, f) in st.faults.iter_mut().enumerate() {
        match f {
            Fault::CorruptBody { path: p } if p == path => bf.corrupt = true,
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

/// Streams a stored file (or a Range of it) like GCS: `Accept-Ranges`, `x-goog-hash`, octet-stream.
fn serve(sh: &Shared, parts: &Parts, blob: &Arc<Stored>, fault_path: Option<&str>) -> Response {
    let size = blob.size;
    let etag = format!(
        "\"{}\"",
        hex::encode(
            base64::engine::general_purpose::STANDARD
                .decode(&blob.md5_b64)
                .unwrap()
        )
    );
    let hdr = |n: &str| parts.headers.get(n).and_then(|v| v.to_str().ok());
    // If-Range that names another representation: the whole object.
    let if_range_ok = hdr("if-range").is_none_or(|v| v == etag || v == LAST_MODIFIED);
    let (status, start, end) = match files::span(hdr("range").filter(|_| if_range_ok), size) {
        Ok(span) => span,
        Err(unsatisfiable) => return unsatisfiable,
    };
    let mut b = builder(status)
        .header("Content-Type", "application/octet-stream")
        .header("Accept-Ranges", "bytes")
        .header("Content-Length", (end - start).to_string())
        .header("x-goog-hash", format!("md5={}", blob.md5_b64))
        .header("x-goog-stored-content-length", size.to_string())
        .header("ETag", &etag)
        .header("Last-Modified", LAST_MODIFIED);
    if status == 206 {
        b = b.header("Content-Range", format!("bytes {start}-{}/{size}", end - 1));
    }
    if parts.method == Method::HEAD {
        return b.body(Body::empty()).unwrap();
    }
    let faults = body_faults(sh, fault_path);
    b.body(files::stream(blob.disk.clone(), start, end - start, faults))
        .unwrap()
}

/// `bytes a-b/n` → (Some((a, b)), Some(n)); `bytes */n` → (None, Some(n)); `*` totals → None.
/// (the byte range, the total), each unknown as `*`.
type ContentRange = (Option<(u64, u64)>, Option<u64>);

fn parse_content_range(v: &str) -> Option<ContentRange> {
    let spec = v.trim().strip_prefix("bytes ")?;
    let (range, total) = spec.split_once('/')?;
    let total = if total == "*" {
        None
    } else {
        Some(total.parse().ok()?)
    };
    if range == "*" {
        return Some((None, total));
    }
    let (a, b) = range.split_once('-')?;
    Some((Some((a.parse().ok()?, b.parse().ok()?)), total))
}

fn upload_status(up: &Upload) -> Response {
    if up.done.is_some() {
        return json_response(&json!({
            "kind": "storage#object",
            "bucket": "kaggle-blobs",
            "name": up.name,
            "size": up.committed.to_string(),
        }));
    }
    let mut b = builder(308).header("Content-Length", "0");
    if up.committed > 0 {
        b = b.header("Range", format!("bytes=0-{}", up.committed - 1));
    }
    b.body(Body::empty()).unwrap()
}

/// Takes the next [`Fault::InterruptUpload`]'s `after`, if any.
fn take_interrupt(sh: &Shared) -> Option<u64> {
    let mut st = sh.state.lock().unwrap();
    let i = st
        .faults
        .iter()
        .position(|f| matches!(f, Fault::InterruptUpload { times, .. } if *times > 0))?;
    let Fault::InterruptUpload { after, times } = &mut st.faults[i] else {
        unreachable!()
    };
    let after = *after;
    *times -= 1;
    if *times == 0 {
        st.faults.remove(i);
    }
    Some(after)
}

/// Takes one of the next [`Fault::DiscardUploadChunks`], if any.
fn take_discard(sh: &Shared) -> bool {
    let mut st = sh.state.lock().unwrap();
    let Some(i) = st
        .faults
        .iter()
        .position(|f| matches!(f, Fault::DiscardUploadChunks { times } if *times > 0))
    else {
        return false;
    };
    if let Fault::DiscardUploadChunks { times } = &mut st.faults[i] {
        *times -= 1;
        if *times == 0 {
            st.faults.remove(i);
        }
    }
    true
}

/// A GCS-style resumable upload PUT: a chunk (`Content-Range: bytes a-b/n`), the whole object, or a status
/// query (`bytes */n`).
async fn upload_put(sh: &Shared, parts: &Parts, body: Body, kill: Option<ConnKill>) -> Response {
    let q = query_of(parts);
    let id = q
        .iter()
        .find(|(k, _)| k == "upload_id")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let cr = parts
        .headers
        .get("content-range")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let content_length: Option<u64> = parts
        .headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let session = {
        let st = sh.state.lock().unwrap();
        st.uploads
            .get(&id)
            .map(|up| (up.disk.clone(), up.committed, up.total))
    };
    let Some((disk, committed, total)) = session else {
        drain(body).await;
        return gcs_error(404, "NoSuchUpload", "No such upload session");
    };
    let (range, claimed_total) = match cr.as_deref().map(parse_content_range) {
        None => {
            // The whole object in one request.
            let len = content_length.unwrap_or(0);
            (if len == 0 { None } else { Some((0, len - 1)) }, Some(len))
        }
        Some(Some(x)) => x,
        Some(None) => {
            drain(body).await;
            return gcs_error(400, "InvalidArgument", "Malformed Content-Range");
        }
    };
    let total = claimed_total.or(total);
    if let (Some(t), Some(declared)) = (claimed_total, total) {
        if t != declared {
            drain(body).await;
            return gcs_error(400, "InvalidArgument", "The object size changed");
        }
    }
    let Some((a, b)) = range else {
        drain(body).await;
        // No bytes: a status query (`bytes */n`), or an empty object sent whole.
        if total == Some(committed) {
            finish(sh, &id).await;
        }
        let st = sh.state.lock().unwrap();
        return upload_status(&st.uploads[&id]);
    };
    if a > committed || b < a {
        drain(body).await;
        return gcs_error(
            400,
            "InvalidArgument",
            "Chunk does not continue the committed bytes",
        );
    }
    if take_discard(sh) {
        drain(body).await;
        let st = sh.state.lock().unwrap();
        return upload_status(&st.uploads[&id]);
    }
    let interrupt = take_interrupt(sh);
    let (kept, dropped) = append_chunk(&disk, body, committed - a, interrupt).await;
    let now = {
        let mut st = sh.state.lock().unwrap();
        let up = st.uploads.get_mut(&id).unwrap();
        up.committed += kept;
        if up.total.is_none() {
            up.total = total;
        }
        up.committed
    };
    if dropped {
        if let Some(k) = kill {
            k.0.store(true, Ordering::SeqCst);
        }
        return gcs_error(503, "Interrupted", "connection dropped");
    }
    if total == Some(now) {
        finish(sh, &id).await;
    }
    let st = sh.state.lock().unwrap();
    upload_status(&st.uploads[&id])
}

/// Appends a chunk's body to the upload file, skipping the first `skip` bytes (already committed) and, for
/// an [`Fault::InterruptUpload`], keeping only `interrupt` bytes. Returns (bytes kept, interrupted).
async fn append_chunk(disk: &Path, body: Body, mut skip: u64, interrupt: Option<u64>) -> (u64, bool) {
    let mut kept = 0u64;
    let mut file = tokio::fs::OpenOptions::new()
        .append(true)
        .open(disk)
        .await
        .unwrap();
    let mut stream = body.into_data_stream();
    let mut dropped = false;
    while let Some(chunk) = stream.next().await {
        let Ok(mut chunk) = chunk else { break };
        if skip > 0 {
            let k = usize::try_from(skip.min(chunk.len() as u64)).unwrap();
            let _ = chunk.split_to(k);
            skip -= k as u64;
        }
        if let Some(limit) = interrupt {
            let room = usize::try_from(limit.saturating_sub(kept)).unwrap_or(usize::MAX);
            if chunk.len() >= room {
                chunk.truncate(room);
                dropped = true;
            }
        }
        file.write_all(&chunk).await.unwrap();
        kept += chunk.len() as u64;
        if dropped {
            break;
        }
    }
    file.flush().await.unwrap();
    (kept, dropped)
}

/// Hashes a completed upload.
async fn finish(sh: &Shared, id: &str) {
    let disk = {
        let st = sh.state.lock().unwrap();
        let up = &st.uploads[id];
        if up.done.is_some() {
            return;
        }
        up.disk.clone()
    };
    let s = tokio::task::spawn_blocking(move || stored(disk)).await.unwrap();
    sh.state.lock().unwrap().uploads.get_mut(id).unwrap().done = Some(Arc::new(s));
}

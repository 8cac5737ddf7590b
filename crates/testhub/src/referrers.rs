//! A registry with the OCI 1.1 referrers API, for tests: a front server on 127.0.0.1 that forwards
//! every distribution-API request to a real registry (Debian's `docker-registry`, which has no
//! referrers API) and adds the referrers API the way distribution-spec 1.1 words it ("Pushing
//! Manifests with Subject", "Listing Referrers"). No registry offering the API can be installed from
//! the package registries; this stands in for one, and `crates/testhub/tests/referrers.rs` proves it
//! faithful with real clients (rh-model-signing signs and verifies through it, skopeo and oras-py
//! push and pull through it).
//!
//! What it owns: the descriptors of manifests pushed with a `subject` while the API is offered
//! (in memory, per repository and subject digest) and the request log. What it must never do: answer
//! anything but the referrers listing itself, or change a forwarded byte other than the hop-by-hop
//! headers, `Host` (the upstream's) and `Location` (rewritten to the front's origin, so uploads come
//! back through it). It speaks HTTPS with a throwaway CA ([`TestCa`]) for clients that always verify,
//! or plain HTTP. Blocking API: the server runs on its own tokio runtime.
//!
//! Not done (no client of the tests needs it): paging of the listing (`Link`), and listing manifests
//! pushed before the API was offered (spec "Enabling the Referrers API").

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, Method, Request as HttpRequest, Response, StatusCode};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::files::pct_decode;
use crate::tls::TestCa;

/// The media type of the listing (an OCI image index).
pub const INDEX_MEDIA_TYPE: &str = "application/vnd.oci.image.index.v1+json";

/// The largest manifest the front reads to index its `subject` (distribution's own limit is 4 MiB).
const MAX_MANIFEST: usize = 4 << 20;

/// How the front speaks to its clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Http,
    /// TLS with a server certificate for `127.0.0.1`/`localhost` from a CA made for this front.
    Https,
}

/// Whether the front offers the referrers API or stands for a registry without it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReferrersApi {
    /// `GET /v2/<name>/referrers/<digest>` answers the listing; a manifest pushed with a `subject` is
    /// indexed and answered with `OCI-Subject`.
    #[default]
    Offered,
    /// Everything is forwarded as is: the upstream answers `404` to the referrers path, no
    /// `OCI-Subject`, nothing indexed (as distribution 2.8 behaves).
    Refused,
}

/// Who answered a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnsweredBy {
    /// The upstream registry (forwarded; for a manifest push with a subject, the front then added
    /// `OCI-Subject`).
    Upstream,
    /// The front itself (the referrers listing, or an error before anything was forwarded).
    Front,
}

/// One request as the front saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// Raw (still percent-encoded) path and query.
    pub path: String,
    pub authorization: Option<String>,
    pub range: Option<String>,
    pub status: u16,
    pub answered_by: AnsweredBy,
    /// The `OCI-Subject` the front answered (manifest pushes with a `subject`, API offered).
    pub oci_subject: Option<String>,
}

struct Shared {
    /// `host:port` of the upstream registry (plain HTTP).
    upstream: String,
    /// `http(s)://127.0.0.1:PORT`.
    origin: String,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    api: ReferrersApi,
    /// (repository, subject digest) → descriptors of the manifests naming it, in push order.
    referrers: BTreeMap<(String, String), Vec<Value>>,
    requests: Vec<Request>,
}

/// The front: see the module docs.
pub struct ReferrersRegistry {
    shared: Arc<Shared>,
    ca: Option<TestCa>,
    rt: Option<tokio::runtime::Runtime>,
}

impl ReferrersRegistry {
    /// Starts the front on a free port of 127.0.0.1, forwarding to the registry at `upstream`
    /// (`host:port`, plain HTTP), the referrers API offered.
    pub fn start(upstream: &str, scheme: Scheme) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind front port");
        let addr = listener.local_addr().unwrap();
        let ca = (scheme == Scheme::Https).then(TestCa::generate);
        let acceptor = ca.as_ref().map(acceptor);
        let origin = match scheme {
            Scheme::Http => format!("http://{addr}"),
            Scheme::Https => format!("https://{addr}"),
        };
        let shared = Arc::new(Shared {
            upstream: upstream.to_owned(),
            origin,
            state: Mutex::new(State::default()),
        });
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("referrers-front")
            .enable_all()
            .build()
            .unwrap();
        listener.set_nonblocking(true).unwrap();
        let sh = shared.clone();
        rt.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                // Like real servers: no Nagle delay between a small response's headers and body.
                let _ = tcp.set_nodelay(true);
                let (sh, acceptor) = (sh.clone(), acceptor.clone());
                tokio::spawn(async move {
                    match acceptor {
                        Some(acceptor) => {
                            if let Ok(tls) = acceptor.accept(tcp).await {
                                serve(sh, TokioIo::new(tls)).await;
                            }
                        }
                        None => serve(sh, TokioIo::new(tcp)).await,
                    }
                });
            }
        });
        Self {
            shared,
            ca,
            rt: Some(rt),
        }
    }

    /// `127.0.0.1:PORT`: the registry part of an image reference through the front.
    pub fn host(&self) -> String {
        self.origin()
            .split_once("://")
            .map(|(_, h)| h.to_owned())
            .unwrap()
    }

    /// `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`.
    pub fn origin(&self) -> String {
        self.shared.origin.clone()
    }

    /// The upstream registry's `host:port`.
    pub fn upstream(&self) -> String {
        self.shared.upstream.clone()
    }

    /// The CA that issued an HTTPS front's certificate; fails the test for an HTTP front.
    pub fn ca(&self) -> &TestCa {
        self.ca.as_ref().expect("an http front has no CA")
    }

    /// The CA certificate of an HTTPS front (for `REQUESTS_CA_BUNDLE`); fails the test for HTTP.
    pub fn ca_pem(&self) -> PathBuf {
        self.ca().ca_pem()
    }

    /// Offers or refuses the referrers API from the next request on. What was indexed stays.
    pub fn set_referrers_api(&self, api: ReferrersApi) {
        self.shared.state.lock().unwrap().api = api;
    }

    /// The descriptors the listing for `subject` in `repository` holds (unfiltered, push order).
    pub fn referrers(&self, repository: &str, subject: &str) -> Vec<Value> {
        let st = self.shared.state.lock().unwrap();
        st.referrers
            .get(&(repository.to_owned(), subject.to_owned()))
            .cloned()
            .unwrap_or_default()
    }

    /// Every request so far, in the order they were answered.
    pub fn requests(&self) -> Vec<Request> {
        self.shared.state.lock().unwrap().requests.clone()
    }

    pub fn clear_requests(&self) {
        self.shared.state.lock().unwrap().requests.clear();
    }
}

impl Drop for ReferrersRegistry {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

fn acceptor(ca: &TestCa) -> tokio_rustls::TlsAcceptor {
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::pem::PemObject as _;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(ca.cert_pem())
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .expect("read the front's certificate");
    let key = PrivateKeyDer::from_pem_file(ca.key_pem()).expect("read the front's key");
    // An explicit provider: which of rustls's providers a build links depends on the workspace.
    let config =
        rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .expect("the front's certificate and key");
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

async fn serve<I>(sh: Arc<Shared>, io: TokioIo<I>)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let svc = hyper::service::service_fn(move |req| {
        let sh = sh.clone();
        async move { Ok::<_, Infallible>(handle(&sh, req).await) }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(io, svc)
        .await;
}

/// The distribution-API routes the front takes part in.
enum Route {
    Referrers { name: String, digest: String },
    PutManifest { name: String },
    DeleteManifest { name: String, reference: String },
    Other,
}

impl Route {
    fn of(method: &Method, path: &str) -> Self {
        let Some(rest) = path.strip_prefix("/v2/") else {
            return Self::Other;
        };
        if *method == Method::GET {
            // (A repository may have a `referrers` component: the digest is the last segment.)
            if let Some((name, digest)) = rest.rsplit_once("/referrers/").filter(|(_, d)| !d.contains('/')) {
                return Self::Referrers {
                    name: name.to_owned(),
                    digest: pct_decode(digest),
                };
            }
        }
        match (method, rest.rsplit_once("/manifests/")) {
            (&Method::PUT, Some((name, _))) => Self::PutManifest {
                name: name.to_owned(),
            },
            (&Method::DELETE, Some((name, reference))) => Self::DeleteManifest {
                name: name.to_owned(),
                reference: pct_decode(reference),
            },
            _ => Self::Other,
        }
    }
}

async fn handle(sh: &Shared, req: HttpRequest<Incoming>) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let mut log = Request {
        method: parts.method.to_string(),
        path: parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_owned(),
        authorization: header("authorization"),
        range: header("range"),
        status: 0,
        answered_by: AnsweredBy::Upstream,
        oci_subject: None,
    };
    let api = sh.state.lock().unwrap().api;
    let route = match api {
        ReferrersApi::Offered => Route::of(&parts.method, parts.uri.path()),
        ReferrersApi::Refused => Route::Other,
    };
    let resp = match route {
        Route::Referrers { name, digest } => {
            log.answered_by = AnsweredBy::Front;
            list_referrers(sh, &parts.headers, parts.uri.query(), &name, &digest).await
        }
        Route::PutManifest { name } => put_manifest(sh, parts, body, &name).await,
        Route::DeleteManifest { name, reference } => {
            let resp = forward(sh, parts, Body::new(body)).await;
            if resp.status() == StatusCode::ACCEPTED {
                // A deleted manifest leaves every listing of its repository.
                let mut st = sh.state.lock().unwrap();
                for ((repo, _), list) in &mut st.referrers {
                    if *repo == name {
                        list.retain(|d| d["digest"] != reference.as_str());
                    }
                }
            }
            resp
        }
        Route::Other => forward(sh, parts, Body::new(body)).await,
    };
    log.status = resp.status().as_u16();
    // What went on the wire, not what the front meant to send.
    log.oci_subject = resp
        .headers()
        .get("oci-subject")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if log.answered_by == AnsweredBy::Upstream && resp.extensions().get::<FrontAnswer>().is_some() {
        log.answered_by = AnsweredBy::Front;
    }
    sh.state.lock().unwrap().requests.push(log);
    resp
}

/// Headers that belong to one connection, not to the message (RFC 9110 §7.6.1): never forwarded,
/// either way.
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

fn strip_hop_by_hop(headers: &mut HeaderMap) {
    for h in HOP_BY_HOP {
        headers.remove(h);
    }
}

/// An answer of the front itself, in the distribution-spec error format.
fn front_error(status: StatusCode, code: &str, message: &str) -> Response<Body> {
    let body = json!({"errors": [{"code": code, "message": message}]}).to_string();
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .extension(FrontAnswer)
        .body(Body::from(body))
        .unwrap()
}

/// Marks (never on the wire) an answer the front made itself, for the log.
#[derive(Clone, Copy)]
struct FrontAnswer;

/// Sends the request to the upstream on a new connection and hands back its answer, the body
/// streamed both ways.
async fn forward(sh: &Shared, parts: axum::http::request::Parts, body: Body) -> Response<Body> {
    match forward_inner(sh, parts, body).await {
        Ok(resp) => resp,
        Err(e) => front_error(
            StatusCode::BAD_GATEWAY,
            "UNKNOWN",
            &format!("upstream {}: {e}", sh.upstream),
        ),
    }
}

async fn forward_inner(
    sh: &Shared,
    parts: axum::http::request::Parts,
    body: Body,
) -> Result<Response<Body>, Box<dyn std::error::Error + Send + Sync>> {
    let tcp = tokio::net::TcpStream::connect(&sh.upstream).await?;
    let _ = tcp.set_nodelay(true);
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await?;
    tokio::spawn(conn);
    let mut up = HttpRequest::builder()
        .method(parts.method)
        .uri(parts.uri.path_and_query().map_or("/", |p| p.as_str()))
        .body(body)?;
    *up.headers_mut() = parts.headers;
    strip_hop_by_hop(up.headers_mut());
    // The front already answered `100 Continue` to its client by reading the body.
    up.headers_mut().remove("expect");
    up.headers_mut()
        .insert("host", HeaderValue::from_str(&sh.upstream)?);
    let resp = sender.send_request(up).await?;
    let (mut rparts, rbody) = resp.into_parts();
    strip_hop_by_hop(&mut rparts.headers);
    // The upstream names itself in absolute upload locations; the client must come back here.
    if let Some(loc) = rparts.headers.get("location").and_then(|v| v.to_str().ok()) {
        let upstream_origin = format!("http://{}", sh.upstream);
        if let Some(rest) = loc.strip_prefix(&upstream_origin) {
            let rewritten = format!("{}{rest}", sh.origin);
            rparts
                .headers
                .insert("location", HeaderValue::from_str(&rewritten)?);
        }
    }
    Ok(Response::from_parts(rparts, Body::new(rbody)))
}

/// A manifest push: forwarded with its exact bytes; once the upstream stored it (201), a manifest
/// with a `subject` is indexed and the answer carries `OCI-Subject`.
async fn put_manifest(
    sh: &Shared,
    parts: axum::http::request::Parts,
    body: Incoming,
    name: &str,
) -> Response<Body> {
    let Ok(bytes) = axum::body::to_bytes(Body::new(body), MAX_MANIFEST).await else {
        return front_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "SIZE_INVALID",
            "manifest over 4 MiB, or its body broke off",
        );
    };
    let content_type = parts
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut resp = forward(sh, parts, Body::from(bytes.clone())).await;
    if resp.status() != StatusCode::CREATED {
        return resp;
    }
    let Some((subject, descriptor)) = referrer_descriptor(&bytes, content_type.as_deref()) else {
        return resp;
    };
    let Ok(value) = HeaderValue::from_str(&subject) else {
        return resp;
    };
    resp.headers_mut().insert("oci-subject", value);
    let mut st = sh.state.lock().unwrap();
    let list = st.referrers.entry((name.to_owned(), subject)).or_default();
    // Pushing the same manifest again does not list it twice.
    list.retain(|d| d["digest"] != descriptor["digest"]);
    list.push(descriptor);
    resp
}

/// For a manifest (or index) with a `subject`: the subject digest and the descriptor the listing
/// holds for it — media type, digest and size of the exact bytes, `artifactType` (the manifest's,
/// else its config's media type; an index without one has none), annotations.
fn referrer_descriptor(bytes: &Bytes, content_type: Option<&str>) -> Option<(String, Value)> {
    let doc: Value = serde_json::from_slice(bytes).ok()?;
    let subject = doc.get("subject")?.get("digest")?.as_str()?.to_owned();
    let media_type = doc
        .get("mediaType")
        .and_then(Value::as_str)
        .or(content_type)?
        .to_owned();
    let mut d = serde_json::Map::new();
    d.insert("mediaType".into(), json!(media_type));
    d.insert(
        "digest".into(),
        json!(format!("sha256:{}", hex::encode(Sha256::digest(bytes)))),
    );
    d.insert("size".into(), json!(bytes.len()));
    let artifact_type = doc
        .get("artifactType")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .or_else(|| {
            doc.get("config")
                .and_then(|c| c.get("mediaType"))
                .and_then(Value::as_str)
        });
    if let Some(t) = artifact_type {
        d.insert("artifactType".into(), json!(t));
    }
    if let Some(a) = doc
        .get("annotations")
        .filter(|a| a.as_object().is_some_and(|o| !o.is_empty()))
    {
        d.insert("annotations".into(), a.clone());
    }
    Some((subject, Value::Object(d)))
}

/// `algorithm:encoded` as distribution-spec allows it (sha256 and sha512, lowercase hex).
fn valid_digest(digest: &str) -> bool {
    let hex_of = |s: &str, n: usize| {
        s.len() == n
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    match digest.split_once(':') {
        Some(("sha256", hex)) => hex_of(hex, 64),
        Some(("sha512", hex)) => hex_of(hex, 128),
        _ => false,
    }
}

/// `GET /v2/<name>/referrers/<digest>[?artifactType=…]`.
async fn list_referrers(
    sh: &Shared,
    headers: &HeaderMap,
    query: Option<&str>,
    name: &str,
    digest: &str,
) -> Response<Body> {
    if !valid_digest(digest) {
        return front_error(StatusCode::BAD_REQUEST, "DIGEST_INVALID", "invalid digest syntax");
    }
    // The listing is as private as the repository: ask the upstream whether this client may read
    // it (its own 401/403, with `WWW-Authenticate`, goes back as is).
    let mut probe = HttpRequest::builder()
        .method(Method::GET)
        .uri(format!("/v2/{name}/tags/list"))
        .body(())
        .unwrap();
    if let Some(auth) = headers.get("authorization") {
        probe.headers_mut().insert("authorization", auth.clone());
    }
    let (probe, ()) = probe.into_parts();
    let answer = forward(sh, probe, Body::empty()).await;
    if matches!(
        answer.status(),
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::BAD_GATEWAY
    ) {
        return answer;
    }
    let wanted: Vec<String> = query
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .filter(|(k, _)| *k == "artifactType")
        // `+` stays itself: media types hold it (`…+json`), whatever form encoding says.
        .map(|(_, v)| pct_decode(v))
        .collect();
    let all = {
        let st = sh.state.lock().unwrap();
        st.referrers
            .get(&(name.to_owned(), digest.to_owned()))
            .cloned()
            .unwrap_or_default()
    };
    let manifests: Vec<Value> = all
        .into_iter()
        .filter(|d| wanted.is_empty() || wanted.iter().any(|t| d["artifactType"] == t.as_str()))
        .collect();
    let body = json!({
        "schemaVersion": 2,
        "mediaType": INDEX_MEDIA_TYPE,
        "manifests": manifests,
    })
    .to_string();
    let mut resp = Response::builder()
        .status(StatusCode::OK)
        .header("content-type", INDEX_MEDIA_TYPE)
        .header("docker-distribution-api-version", "registry/2.0");
    if !wanted.is_empty() {
        resp = resp.header("oci-filters-applied", "artifactType");
    }
    resp.body(Body::from(body)).unwrap()
}

#[cfg(test)]
mod tests {
    use super::{Bytes, Method, Route, referrer_descriptor, valid_digest};

    /// The front takes only the listing, manifest pushes and deletions; a repository with a
    /// `referrers` component is still an ordinary repository.
    #[test]
    fn only_the_listing_and_manifest_writes_are_the_fronts() {
        let d = format!("sha256:{}", "c".repeat(64));
        let route = |m: &Method, p: &str| match Route::of(m, p) {
            Route::Referrers { name, digest } => format!("list {name} {digest}"),
            Route::PutManifest { name } => format!("put {name}"),
            Route::DeleteManifest { name, reference } => format!("delete {name} {reference}"),
            Route::Other => "forward".to_owned(),
        };
        assert_eq!(
            route(&Method::GET, &format!("/v2/a/b/referrers/{d}")),
            format!("list a/b {d}")
        );
        assert_eq!(route(&Method::GET, "/v2/a/referrers/manifests/latest"), "forward");
        assert_eq!(route(&Method::GET, "/v2/a/referrers/blobs/x"), "forward");
        assert_eq!(route(&Method::HEAD, &format!("/v2/a/referrers/{d}")), "forward");
        assert_eq!(
            route(&Method::PUT, "/v2/a/referrers/manifests/v1"),
            "put a/referrers"
        );
        assert_eq!(
            route(&Method::DELETE, &format!("/v2/a/manifests/{d}")),
            format!("delete a {d}")
        );
        assert_eq!(route(&Method::GET, "/v2/a/manifests/v1"), "forward");
        assert_eq!(route(&Method::PUT, "/v2/a/blobs/uploads/x"), "forward");
    }

    /// The listing's descriptor: digest and size of the exact bytes, `artifactType` from the
    /// manifest, else its config; an index without one has none; annotations copied.
    #[test]
    fn a_referrer_is_described_by_its_exact_bytes_and_artifact_type() {
        let subject = format!("sha256:{}", "a".repeat(64));
        let raw = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
            "config":{{"mediaType":"application/x.cfg","digest":"sha256:{h}","size":2}},"layers":[],
            "subject":{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{subject}","size":9}},
            "annotations":{{"k":"v"}}}}"#,
            h = "b".repeat(64)
        );
        let (s, d) = referrer_descriptor(&Bytes::from(raw.clone()), None).unwrap();
        assert_eq!(s, subject);
        assert_eq!(d["artifactType"], "application/x.cfg");
        assert_eq!(d["size"], raw.len());
        assert_eq!(
            d["digest"],
            format!(
                "sha256:{}",
                hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&raw))
            )
        );
        assert_eq!(d["annotations"]["k"], "v");
        let typed = raw.replacen('{', r#"{"artifactType":"application/x.sig","#, 1);
        let (_, d) = referrer_descriptor(&Bytes::from(typed), None).unwrap();
        assert_eq!(d["artifactType"], "application/x.sig");
        let index = format!(r#"{{"schemaVersion":2,"manifests":[],"subject":{{"digest":"{subject}"}}}}"#);
        let (_, d) = referrer_descriptor(
            &Bytes::from(index),
            Some("application/vnd.oci.image.index.v1+json"),
        )
        .unwrap();
        assert_eq!(d["mediaType"], "application/vnd.oci.image.index.v1+json");
        assert!(d.get("artifactType").is_none() && d.get("annotations").is_none());
        assert!(referrer_descriptor(&Bytes::from_static(b"{\"layers\":[]}"), None).is_none());
        assert!(valid_digest(&subject) && !valid_digest("sha256:ABC") && !valid_digest("md5:00"));
    }
}

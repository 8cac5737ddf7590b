//! `hubsign serve`: a verifying Hugging Face mirror. It speaks the read side of the Hub API
//! (`/api/{models,datasets}/{repo}[/revision/{rev}]`, `/tree`, `/paths-info`, `/resolve`) so
//! that `huggingface_hub`, `transformers`, `datasets`, vLLM or TGI pointed at it with
//! `HF_ENDPOINT` get only repositories that verify under the organisation's trust policy.
//!
//! Per request: (1) the client's bearer token, when the mirror wants one; (2) the policy rule
//! for the repository (none: refused); (3) the revision pinned upstream (a moved branch is seen
//! at once); (4) the verified listing of that commit (`flight`: one `hubsign pull` per commit,
//! shared by concurrent requests); (5) the answer, built only from that snapshot: the listing
//! of its signed files, and a file's bytes once they verified (`resolve` waits for that file,
//! not the repository). A repository that is unsigned or does not verify is answered 403 with
//! the reason in `X-Error-Message` (on the file that fails, when the listing verified); no byte
//! that did not verify is served, and nothing of it is cached.
//!
//! The mirror never forwards the client's `Authorization` upstream (its own token is in its
//! [`Hub`] client), never prints (access records and pull events go to [`Events`]),
//! and keeps no state but its cache directory and the in-memory list of commits it verified.

mod answer;
mod flight;
#[cfg(test)]
mod in_process;
mod refusal;
mod snapshot;

pub use refusal::{REFUSED_CODE, Refusal, Remedy};
pub use snapshot::{ServedFile, Snapshot};

use crate::cache::CacheLayout;
use crate::hub::{Hub, HubError, check_remote_path};
use crate::progress::Progress;
use crate::pull::PullOutcome;
use crate::reference::{ModelRef, RepoType, check_revision};
use crate::verify::{TrustAnchor, UnsignedFiles};
use crate::{Error, Result};
use axum::body::Body;
use axum::http::{HeaderMap, Method, Response};
use std::future::Future;
use std::sync::Arc;
use std::time::SystemTime;

/// Whom each repository must be signed by (the CLI implements it over the policy file).
pub trait TrustPolicy: Send + Sync {
    /// The anchor for a repository named as policy rules match it (`org/name`,
    /// `datasets/org/name`); `None` when no rule covers it.
    fn anchor(&self, policy_name: &str) -> Option<Result<TrustAnchor>>;

    /// Whether a rule covers the repository, without building its anchor (asked on every
    /// request; the anchor is built once per pull).
    fn covers(&self, policy_name: &str) -> bool {
        self.anchor(policy_name).is_some()
    }

    /// The claims the repository's rule requires, their signers' anchors built (`anchor`, the
    /// rule's own, for a requirement naming no signer). No default: a policy that forgot to
    /// answer would silently require nothing.
    fn claims(&self, policy_name: &str, anchor: &TrustAnchor) -> Result<Vec<crate::policy::RequiredClaim>>;
}

/// What the mirror reports: one access record per request, and its pulls. Must not block.
pub trait Events: Send + Sync {
    fn access(&self, record: &AccessRecord);
    fn pull_started(&self, _repo: &ModelRef, _commit: &str) {}
    fn verified(&self, _repo: &ModelRef, _outcome: &PullOutcome) {}
    /// A pull that did not end in a verified snapshot (refused or failed).
    fn refused(&self, _repo: &ModelRef, _commit: Option<&str>, _error: &Error) {}
    /// An answer the mirror could not build (the HTTP builder refused a header value): the
    /// client got a 500 and `cause` says why. `repo` when the request named one.
    fn answer_failed(&self, _repo: Option<&ModelRef>, _cause: &str) {}
    /// Progress of one pull.
    fn progress(&self, _repo: &ModelRef, _commit: &str) -> Arc<dyn Progress> {
        Arc::new(crate::progress::NoProgress)
    }
}

/// How a request ended, for the access log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Answered from a verified snapshot.
    Served,
    /// The repository is unsigned, does not verify, or has no policy rule (403).
    Refused,
    /// The client's token is missing or wrong (401).
    Unauthorized,
    /// No such repository, revision or file, or a malformed request.
    NotFound,
    /// The upstream or the mirror failed; no decision was reached.
    Error,
}

/// One access-log line: no tokens, no query strings, no file paths.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AccessRecord {
    /// Seconds since the Unix epoch.
    pub time: f64,
    pub method: String,
    /// `models`, `datasets`, or empty for requests outside a repository.
    pub repo_type: String,
    pub repo: Option<String>,
    pub commit: Option<String>,
    pub verdict: Verdict,
    pub status: u16,
    /// Body bytes of the answer (for a ranged answer, the range).
    pub bytes: u64,
    pub duration_ms: u64,
}

/// The mirror's settings, resolved by the caller.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Path of the signature inside each repository (`model.sig`).
    pub signature_path: String,
    /// What to do with repository files the signature does not cover.
    pub unsigned: UnsignedFiles,
    /// Parallel transfers of one pull.
    pub concurrency: usize,
    /// Bearer tokens clients must present; empty: no client authentication.
    pub client_tokens: Vec<String>,
    /// Entries per page of `/tree` answers (the Hub pages by 1,000).
    pub tree_page_size: usize,
    /// A client must send its request head within this time (slowloris), else it is dropped.
    pub header_read_timeout: std::time::Duration,
    /// A verified pull that has not finished in this time is abandoned (a trickling upstream
    /// cannot hold a pull slot and its waiting clients forever).
    pub pull_timeout: std::time::Duration,
}

/// The mirror: its upstream (with the mirror's own token), its cache, its policy. `H` is the
/// Hugging Face hub in production and an in-process fake in tests; `C` the Hugging Face cache.
pub struct Mirror<H, C> {
    hub: H,
    cache: C,
    trust: Box<dyn TrustPolicy>,
    events: Arc<dyn Events>,
    config: ServeConfig,
    registry: flight::Registry,
}

impl<H: Hub, C: CacheLayout> Mirror<H, C> {
    pub fn new(
        hub: H,
        cache: C,
        trust: Box<dyn TrustPolicy>,
        events: Arc<dyn Events>,
        config: ServeConfig,
    ) -> Arc<Self> {
        Arc::new(Self {
            hub,
            cache,
            trust,
            events,
            config,
            registry: flight::Registry::default(),
        })
    }
}

/// A client must send its request head within this time by default (`--header-read-timeout`).
pub const DEFAULT_HEADER_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);
/// A verified pull is abandoned after this time by default (`--pull-timeout`).
pub const DEFAULT_PULL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3600);
/// Entries per page of `/tree` answers by default: the Hub's page size.
pub const DEFAULT_TREE_PAGE_SIZE: u64 = 1000;

/// A request body (paths-info) must arrive within this time.
const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
/// Connections served at once; more are closed at accept (a client retries), so a flood of
/// idle connections cannot exhaust file descriptors.
const MAX_CONNECTIONS: usize = 1024;
/// After the shutdown signal, requests in progress get this long to finish; then the
/// remaining connections are dropped (a pod's grace period is longer).
const DRAIN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(25);

/// Serves `mirror` on `listener` until `shutdown` completes, then finishes the requests in
/// progress for at most 25 s (graceful shutdown). Pulls still running are
/// dropped; their partial downloads stay in staging for the next start to resume.
pub async fn run<H, C>(
    mirror: Arc<Mirror<H, C>>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()>
where
    H: Hub + Send + 'static,
    C: CacheLayout + Send + Sync + 'static,
{
    let header_read_timeout = mirror.config.header_read_timeout;
    let app = axum::Router::new()
        .fallback(
            |axum::extract::State(m): axum::extract::State<Arc<Mirror<H, C>>>,
             req: axum::extract::Request| async move { handle(m, req).await },
        )
        .with_state(mirror);
    let service = hyper_util::service::TowerToHyperService::new(app);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(header_read_timeout)
        .keep_alive(true);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let permits = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let Ok((tcp, _)) = accepted else {
            // Out of file descriptors or a reset during accept: back off briefly.
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            continue;
        };
        let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
            drop(tcp);
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let conn = http.serve_connection(hyper_util::rt::TokioIo::new(tcp), service.clone());
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = conn.await;
            drop(permit);
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown()).await;
    Ok(())
}

/// The name policy rules match: `org/name`, or `datasets/org/name` for a dataset.
pub fn policy_name(repo: &ModelRef) -> String {
    let mut r = repo.clone();
    r.revision = None;
    r.to_string()
}

fn no_rule_message(repo: &ModelRef) -> String {
    Error::NoTrustRule {
        repo: policy_name(repo),
        policy: None,
    }
    .to_string()
}

/// What a request asks for, parsed from its path.
#[derive(Debug)]
enum Route {
    Info { rev: String },
    Tree { rev: String, path: String },
    PathsInfo { rev: String },
    Resolve { rev: String, path: String },
}

/// Percent-decodes one path segment; `None` for invalid escapes or non-UTF-8.
fn pct_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// `(repo, route)`, or an answer for a path that is no Hub read endpoint.
fn route(method: &Method, path: &str) -> Result<(ModelRef, Route), Refusal> {
    let segs: Vec<String> = path
        .split('/')
        .skip(1)
        .map(pct_decode)
        .collect::<Option<_>>()
        .ok_or_else(|| Refusal::bad_request("the path is not valid percent-encoded UTF-8"))?;
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let get = *method == Method::GET || *method == Method::HEAD;
    let repo = |kind: RepoType, id: &str| {
        ModelRef::parse(id, Some(kind))
            .map_err(|e| Refusal::bad_request(&e.to_string()))
            .and_then(|r| {
                if r.hub == crate::reference::HubKind::HuggingFace && r.revision.is_none() {
                    Ok(r)
                } else {
                    Err(Refusal::bad_request("not a Hugging Face repository id"))
                }
            })
    };
    let join = |parts: &[&str]| parts.join("/");
    // What follows the repository in an API path, if it is a read endpoint.
    let api = |rest: &[&str]| match rest {
        [] | [""] if get => Some(Route::Info { rev: "main".into() }),
        ["revision", rev @ ..] if get && !rev.is_empty() => Some(Route::Info { rev: join(rev) }),
        ["tree", rev, path @ ..] if get => Some(Route::Tree {
            rev: (*rev).to_owned(),
            path: join(path).trim_end_matches('/').to_owned(),
        }),
        ["paths-info", rev] if *method == Method::POST => Some(Route::PathsInfo {
            rev: (*rev).to_owned(),
        }),
        _ => None,
    };
    let resolve = |rest: &[&str]| match rest {
        ["resolve", rev, path @ ..] if get && !path.is_empty() => Some(Route::Resolve {
            rev: (*rev).to_owned(),
            path: join(path),
        }),
        _ => None,
    };
    // The repository is `org/name` when what follows it is an endpoint, else a bare legacy
    // name (`/api/models/gpt2/revision/main`, `/gpt2/resolve/main/config.json`), as the Hub
    // still serves them.
    let split = |kind: RepoType, tail: &[&str], endpoint: &dyn Fn(&[&str]) -> Option<Route>| {
        if let [org, name, rest @ ..] = tail {
            if !name.is_empty() {
                if let Some(route) = endpoint(rest) {
                    return Some(repo(kind, &format!("{org}/{name}")).map(|r| (r, route)));
                }
            }
        }
        if let [name, rest @ ..] = tail {
            if let Some(route) = endpoint(rest) {
                return Some(repo(kind, name).map(|r| (r, route)));
            }
        }
        None
    };
    let found = match segs.as_slice() {
        ["api", kind @ ("models" | "datasets"), tail @ ..] => {
            let kind = if *kind == "models" {
                RepoType::Model
            } else {
                RepoType::Dataset
            };
            split(kind, tail, &api)
        }
        ["datasets", tail @ ..] => split(RepoType::Dataset, tail, &resolve),
        tail => split(RepoType::Model, tail, &resolve),
    };
    found.unwrap_or_else(|| Err(Refusal::not_found("no such endpoint on this mirror")))
}

fn authorized(config: &ServeConfig, headers: &HeaderMap) -> bool {
    if config.client_tokens.is_empty() {
        return true;
    }
    let Some(given) = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
    else {
        return false;
    };
    // Compared in constant time per token, every token checked.
    config.client_tokens.iter().fold(false, |ok, t| {
        ok | constant_time_eq(t.as_bytes(), given.as_bytes())
    })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The access-log fields a handler learns.
#[derive(Default)]
struct Seen {
    repo: Option<ModelRef>,
    commit: Option<String>,
}

async fn handle<H, C>(mirror: Arc<Mirror<H, C>>, req: axum::extract::Request) -> Response<Body>
where
    H: Hub + Send + 'static,
    C: CacheLayout + Send + Sync + 'static,
{
    let started = std::time::Instant::now();
    let method = req.method().clone();
    let mut seen = Seen::default();
    let (resp, verdict) = match answer(&mirror, req, &mut seen).await {
        Ok(r) => (r, Verdict::Served),
        Err(refusal) => respond(
            mirror.events.as_ref(),
            seen.repo.as_ref(),
            seen.commit.as_deref(),
            &refusal,
        ),
    };
    let bytes = if method == Method::HEAD {
        0
    } else {
        resp.headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let time = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    mirror.events.access(&AccessRecord {
        time,
        method: method.to_string(),
        repo_type: seen
            .repo
            .as_ref()
            .map(|r| r.repo_type.plural().to_owned())
            .unwrap_or_default(),
        repo: seen.repo.as_ref().map(|r| r.id.clone()),
        commit: seen.commit,
        verdict,
        status: resp.status().as_u16(),
        bytes,
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    });
    resp
}

/// A refusal as sent: its cause (if the mirror failed) logged, and a bare 500 when even the
/// refusal cannot be built.
fn respond(
    events: &dyn Events,
    repo: Option<&ModelRef>,
    commit: Option<&str>,
    refusal: &Refusal,
) -> (Response<Body>, Verdict) {
    if let Some(cause) = &refusal.cause {
        events.answer_failed(repo, cause);
    }
    match refusal.response(commit) {
        Ok(r) => (r, refusal.verdict),
        Err(e) => {
            events.answer_failed(repo, &format!("cannot build the answer: {e}"));
            (refusal::internal_error(), Verdict::Error)
        }
    }
}

async fn answer<H, C>(
    mirror: &Arc<Mirror<H, C>>,
    req: axum::extract::Request,
    seen: &mut Seen,
) -> Result<Response<Body>, Refusal>
where
    H: Hub + Send + 'static,
    C: CacheLayout + Send + Sync + 'static,
{
    let (parts, body) = req.into_parts();
    if parts.uri.path() == "/healthz" {
        return answer::text("ok\n");
    }
    // 1. The client's token.
    if !authorized(&mirror.config, &parts.headers) {
        return Err(Refusal::unauthorized());
    }
    let (repo, route) = route(&parts.method, parts.uri.path())?;
    seen.repo = Some(repo.clone());
    if let Route::Resolve { path, .. } = &route {
        check_remote_path(path).map_err(|e| Refusal::bad_request(&e.to_string()))?;
    }
    // 2. A policy rule, before anything is asked upstream.
    if !mirror.trust.covers(&policy_name(&repo)) {
        return Err(Refusal::refused(&no_rule_message(&repo)));
    }
    let rev = match &route {
        Route::Info { rev }
        | Route::Tree { rev, .. }
        | Route::PathsInfo { rev }
        | Route::Resolve { rev, .. } => rev.clone(),
    };
    check_revision(&rev).map_err(|e| Refusal::bad_request(&e.to_string()))?;
    // 3. Pin upstream; a commit this process verified needs no upstream round trip.
    let commit = pin(mirror, &repo, &rev).await?;
    seen.commit = Some(commit.clone());
    // 4. The verified listing (one pull per commit); `resolve` waits for its file's bytes.
    let snapshot = flight::verified(mirror, &repo, &commit)
        .await
        .map_err(|r| (*r).clone())?;
    // 5. The answer, from the snapshot only.
    let query = parts.uri.query().unwrap_or("");
    match route {
        Route::Info { .. } => answer::info(&snapshot, query),
        Route::Tree { path, .. } => answer::tree(
            &snapshot,
            &rev,
            &path,
            query,
            &parts.headers,
            mirror.config.tree_page_size,
        ),
        Route::PathsInfo { .. } => {
            let is_json = parts
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/json"));
            let bytes = tokio::time::timeout(BODY_TIMEOUT, axum::body::to_bytes(body, 1 << 20))
                .await
                .map_err(|_| Refusal::bad_request("the paths-info body did not arrive in time"))?
                .map_err(|_| Refusal::bad_request("the paths-info body is larger than 1 MiB"))?;
            answer::paths_info(&snapshot, &bytes, is_json)
        }
        Route::Resolve { path, .. } => {
            let range = parts.headers.get("range").and_then(|v| v.to_str().ok());
            let head = parts.method == Method::HEAD;
            let r = answer::resolve(&snapshot, &path, range, head).await;
            match r {
                // The verified file changed on disk (tampering, or another replica committing
                // the same commit replaced the blob with its own verified copy): forget the
                // snapshot, verify the commit again (cached blobs are re-hashed, not
                // downloaded) and answer from that — once.
                Err(e) if e.remedy == Remedy::VerifyAgain => {
                    mirror.registry.evict(&repo, &commit);
                    let again = flight::verified(mirror, &repo, &commit)
                        .await
                        .map_err(|r| (*r).clone())?;
                    let r = answer::resolve(&again, &path, range, head).await;
                    if matches!(&r, Err(e) if e.remedy == Remedy::VerifyAgain) {
                        mirror.registry.evict(&repo, &commit);
                    }
                    r
                }
                other => other,
            }
        }
    }
}

async fn pin<H: Hub, C>(mirror: &Mirror<H, C>, repo: &ModelRef, rev: &str) -> Result<String, Refusal> {
    let is_commit = rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit());
    if is_commit {
        let commit = rev.to_ascii_lowercase();
        if mirror.registry.ready(repo, &commit).is_some() {
            return Ok(commit);
        }
    }
    mirror.hub.pin(repo, rev).await.map_err(|e| match &e {
        HubError::RepoNotFound { .. } => Refusal::coded(404, "RepoNotFound", "Repository not found"),
        HubError::RevisionNotFound { .. } => {
            Refusal::coded(404, "RevisionNotFound", &format!("Invalid rev id: {rev}"))
        }
        _ => {
            mirror.events.refused(repo, None, &Error::Hub(e));
            Refusal::upstream("the upstream hub could not pin the revision")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::{Method, Route, constant_time_eq, pct_decode, route};

    #[test]
    fn paths_route_to_the_read_endpoints_only() {
        let (r, route_) = route(&Method::GET, "/api/models/org/name/revision/refs%2Fpr%2F1").unwrap();
        assert_eq!(r.id, "org/name");
        assert!(matches!(route_, Route::Info { rev } if rev == "refs/pr/1"));
        let (r, route_) = route(&Method::HEAD, "/datasets/org/data/resolve/main/a%20b/c.parquet").unwrap();
        assert_eq!(r.repo_type, crate::reference::RepoType::Dataset);
        assert!(matches!(route_, Route::Resolve { rev, path } if rev == "main" && path == "a b/c.parquet"));
        assert!(matches!(
            route(&Method::POST, "/api/datasets/org/data/paths-info/main")
                .unwrap()
                .1,
            Route::PathsInfo { .. }
        ));
        assert!(matches!(
            route(&Method::GET, "/api/models/org/name/tree/main/sub/dir/").unwrap().1,
            Route::Tree { path, .. } if path == "sub/dir"
        ));
        // The Hub's legacy repositories without organisation.
        for (p, id, dataset) in [
            ("/api/models/gpt2", "gpt2", false),
            ("/api/models/gpt2/revision/main", "gpt2", false),
            ("/api/datasets/squad/tree/main/sub", "squad", true),
            ("/gpt2/resolve/main/config.json", "gpt2", false),
            ("/datasets/squad/resolve/v1/data/train.parquet", "squad", true),
            ("/api/models/org/revision/revision/main", "org/revision", false),
        ] {
            let (r, _) = route(&Method::GET, p).unwrap();
            assert_eq!(
                (r.id.as_str(), r.repo_type == crate::reference::RepoType::Dataset),
                (id, dataset),
                "{p}"
            );
        }
        for (m, p) in [
            (Method::POST, "/api/models/org/name/commit/main"),
            (Method::GET, "/api/models/gpt2/commit/main"),
            (Method::GET, "/gpt2/resolve/main"),
            (Method::GET, "/api/models/a..b/revision/main"),
            (Method::PUT, "/org/name/resolve/main/x"),
            (Method::GET, "/api/whoami-v2"),
            (Method::GET, "/api/models/org--x/name"),
            (Method::GET, "/api/models/org/na%ZZme"),
            (Method::GET, "/org/name/resolve/main"),
        ] {
            assert!(route(&m, p).is_err(), "{m} {p}");
        }
    }

    #[test]
    fn decoding_and_token_comparison() {
        assert_eq!(pct_decode("a%2Fb%20c").as_deref(), Some("a/b c"));
        assert_eq!(pct_decode("%E2%82%AC").as_deref(), Some("\u{20ac}"));
        assert_eq!(pct_decode("%"), None);
        assert_eq!(pct_decode("%FF"), None);
        assert!(constant_time_eq(b"token", b"token"));
        assert!(!constant_time_eq(b"token", b"tokem"));
        assert!(!constant_time_eq(b"token", b"token2"));
    }

    /// A builder error is a 500 whose cause reaches the mirror's log, never an empty 200.
    #[test]
    fn an_answer_the_builder_refuses_is_a_logged_500() {
        use super::{Body, Events, Refusal, Response, Verdict, refusal, respond};
        use std::sync::Mutex;
        #[derive(Default)]
        struct Log(Mutex<Vec<String>>);
        impl Events for Log {
            fn access(&self, _record: &super::AccessRecord) {}
            fn answer_failed(&self, _repo: Option<&crate::reference::ModelRef>, cause: &str) {
                self.0.lock().unwrap().push(cause.to_owned());
            }
        }
        let log = Log::default();
        // A header value with a newline: the builder refuses it.
        let refused = refusal::built(Response::builder().header("ETag", "\"a\nb\"").body(Body::empty()))
            .expect_err("the builder must refuse a newline in a header");
        let (resp, verdict) = respond(&log, None, None, &refused);
        assert_eq!(resp.status(), 500);
        assert_eq!(verdict, Verdict::Error);
        let logged = log.0.lock().unwrap().clone();
        assert_eq!(logged.len(), 1, "{logged:?}");
        assert!(logged[0].contains("cannot build the answer"), "{logged:?}");
        // A refusal whose own headers cannot be built (a commit from upstream with a newline):
        // a bare 500, logged.
        let (resp, verdict) = respond(&log, None, Some("abc\ndef"), &Refusal::not_found("x"));
        assert_eq!(resp.status(), 500);
        assert_eq!(verdict, Verdict::Error);
        assert_eq!(log.0.lock().unwrap().len(), 2);
    }
}

//! The mirror's request path and single-flight, in process: a [`FakeHub`] upstream, a Hugging
//! Face cache in a temporary folder, requests handed to the handler directly (no sockets).

use super::{AccessRecord, Events, Mirror, ServeConfig, TrustPolicy, handle};
use crate::cache::HfCache;
use crate::hub::fake::{FakeHub, Fault, Fixture, model_files};
use crate::reference::ModelRef;
use crate::verify::{TrustAnchor, UnsignedFiles};
use crate::{Error, Result};
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use bytes::Bytes;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Every repository is signed by the fixture key.
struct Anyone(TrustAnchor);

impl TrustPolicy for Anyone {
    fn anchor(&self, _policy_name: &str) -> Option<Result<TrustAnchor>> {
        Some(Ok(self.0.clone()))
    }

    fn claims(&self, _policy_name: &str, _anchor: &TrustAnchor) -> Result<Vec<crate::policy::RequiredClaim>> {
        Ok(Vec::new())
    }
}

/// Keeps the pulls' refusals (the reasons the mirror's log would show).
#[derive(Default)]
struct Recorded {
    refusals: Mutex<Vec<String>>,
}

impl Events for Recorded {
    fn access(&self, _record: &AccessRecord) {}
    fn refused(&self, _repo: &ModelRef, _commit: Option<&str>, error: &Error) {
        if let Ok(mut r) = self.refusals.lock() {
            r.push(error.to_string());
        }
    }
}

struct Setup {
    mirror: Arc<Mirror<Arc<FakeHub>, HfCache>>,
    hub: Arc<FakeHub>,
    repo: ModelRef,
    cache: tempfile::TempDir,
}

fn setup(files: &[(&str, Vec<u8>)]) -> Setup {
    let Fixture {
        hub, repo, anchor, ..
    } = Fixture::new(files);
    let cache = tempfile::tempdir().unwrap();
    let mirror = Mirror::new(
        Arc::clone(&hub),
        HfCache::new(cache.path()),
        Box::new(Anyone(anchor)),
        Arc::new(Recorded::default()),
        ServeConfig {
            signature_path: "model.sig".into(),
            unsigned: UnsignedFiles::Reject,
            concurrency: 4,
            client_tokens: Vec::new(),
            tree_page_size: 1000,
            header_read_timeout: Duration::from_secs(5),
            pull_timeout: Duration::from_secs(30),
        },
    );
    Setup {
        mirror,
        hub,
        repo,
        cache,
    }
}

async fn get(s: &Setup, path: &str) -> (StatusCode, HeaderMap, Bytes) {
    let req = Request::builder().uri(path).body(Body::empty()).unwrap();
    let resp = handle(Arc::clone(&s.mirror), req).await;
    let (parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    (parts.status, parts.headers, bytes)
}

fn resolve(path: &str) -> String {
    format!("/org/model/resolve/main/{path}")
}

fn error_message(h: &HeaderMap) -> String {
    h.get("x-error-message")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Nothing of a refused pull reached the cache: no snapshot, no blob.
fn cache_is_empty(s: &Setup) -> bool {
    let repo_dir = s.cache.path().join("models--org--model");
    let count = |d: &str| fs_err::read_dir(repo_dir.join(d)).map_or(0, Iterator::count);
    count("snapshots") == 0 && count("blobs") == 0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_share_one_verified_pull() {
    let files = model_files();
    let s = setup(&files);
    let mut requests = Vec::new();
    for round in 0..4 {
        for (path, bytes) in &files {
            let (s, path, bytes) = (&s, *path, bytes.clone());
            requests.push(async move {
                let (status, _, body) = get(s, &resolve(path)).await;
                assert_eq!(status, StatusCode::OK, "{path} (round {round})");
                assert_eq!(body.as_ref(), bytes.as_slice(), "{path}");
            });
        }
    }
    let info = async {
        let (status, _, body) = get(&s, "/api/models/org/model/revision/main").await;
        assert_eq!(status, StatusCode::OK);
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["siblings"].as_array().map(Vec::len), Some(4));
    };
    tokio::join!(futures_util::future::join_all(requests), info);
    // One listing and one transfer of each file for sixteen requests.
    assert_eq!(s.hub.lists(), 1);
    for (path, _) in &files {
        assert_eq!(s.hub.opens(path), 1, "{path}");
    }
    assert_eq!(s.hub.opens("model.sig"), 1);
    // Served again from the committed snapshot, without any new transfer.
    let (status, _, body) = get(&s, &resolve("config.json")).await;
    assert_eq!((status, body.as_ref()), (StatusCode::OK, files[1].1.as_slice()));
    assert_eq!(s.hub.opens("config.json"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_file_is_served_once_its_own_bytes_verify_not_before() {
    let files = model_files();
    let s = setup(&files);
    let held = s.hub.hold("model.safetensors");
    // The listing and the other files are answered while the weights are still held upstream.
    let quick = Duration::from_secs(10);
    let (status, _, _) = tokio::time::timeout(quick, get(&s, "/api/models/org/model/revision/main"))
        .await
        .expect("the listing does not wait for the weights");
    assert_eq!(status, StatusCode::OK);
    let (status, _, body) = tokio::time::timeout(quick, get(&s, &resolve("config.json")))
        .await
        .expect("a small file does not wait for the weights");
    assert_eq!((status, body.as_ref()), (StatusCode::OK, files[1].1.as_slice()));
    // A request for the held file waits for it: no byte goes out before it verified.
    let waiting =
        tokio::time::timeout(Duration::from_millis(300), get(&s, &resolve("model.safetensors"))).await;
    assert!(waiting.is_err(), "answered before its bytes arrived: {waiting:?}");
    let pending = tokio::spawn({
        let mirror = Arc::clone(&s.mirror);
        async move {
            let req = Request::builder()
                .uri(resolve("model.safetensors"))
                .body(Body::empty())
                .unwrap();
            let (parts, body) = handle(mirror, req).await.into_parts();
            (
                parts.status,
                axum::body::to_bytes(body, usize::MAX).await.unwrap(),
            )
        }
    });
    held.release();
    let (status, body) = pending.await.unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body.as_ref(), files[0].1.as_slice());
    assert_eq!(s.hub.opens("model.safetensors"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_file_is_refused_on_that_file_and_never_served() {
    let files = model_files();
    let s = setup(&files);
    // The config changed after signing (the listing names the new bytes, so only hashing
    // them finds it).
    s.hub
        .replace(&s.repo, "config.json", br#"{"model_type": "evil"}"#);
    let held = s.hub.hold("config.json");
    // The weights verify on their own and are served while the config is still on its way.
    let (status, _, body) = get(&s, &resolve("model.safetensors")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body.as_ref(), files[0].1.as_slice());
    held.release();
    let (status, headers, body) = get(&s, &resolve("config.json")).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "{}",
        String::from_utf8_lossy(&body)
    );
    assert_eq!(
        headers.get("x-error-code").and_then(|v| v.to_str().ok()),
        Some(super::REFUSED_CODE)
    );
    let message = error_message(&headers);
    assert!(message.contains("config.json"), "{message}");
    assert!(!String::from_utf8_lossy(&body).contains("evil"));
    // The refusal stands for the whole commit from now on, and nothing reached the cache.
    let (status, _, _) = get(&s, &resolve("model.safetensors")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(cache_is_empty(&s));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_that_differ_from_the_listing_are_never_served() {
    let files = model_files();
    let s = setup(&files);
    s.hub.fault_always("model.safetensors", Fault::Corrupt);
    let (status, headers, body) = get(&s, &resolve("model.safetensors")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{}", error_message(&headers));
    assert_ne!(body.as_ref(), files[0].1.as_slice());
    assert!(error_message(&headers).contains("model.safetensors"));
    assert!(cache_is_empty(&s));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_upstream_faults_are_retried_and_resumed() {
    let files = model_files();
    let s = setup(&files);
    s.hub.fault("model.safetensors", Fault::Status(429));
    s.hub.fault("model.safetensors", Fault::Truncate(50_000));
    s.hub.fault("model.safetensors", Fault::Stall);
    s.hub.fault("config.json", Fault::Status(503));
    let (status, _, body) = get(&s, &resolve("model.safetensors")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body.as_ref(), files[0].1.as_slice());
    assert_eq!(s.hub.opens("model.safetensors"), 4);
    let (status, _, body) = get(&s, &resolve("config.json")).await;
    assert_eq!((status, body.as_ref()), (StatusCode::OK, files[1].1.as_slice()));
    assert_eq!(s.hub.opens("config.json"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_missing_upstream_ends_the_pull_without_serving_it() {
    let files = model_files();
    let s = setup(&files);
    s.hub.fault_always("tokenizer/vocab.txt", Fault::Status(500));
    let (status, headers, _) = get(&s, &resolve("tokenizer/vocab.txt")).await;
    // Not a verdict on the repository: an upstream failure, tried again by the next request.
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{}", error_message(&headers));
    assert!(cache_is_empty(&s));
    let before = s.hub.lists();
    let (status, _, _) = get(&s, &resolve("tokenizer/vocab.txt")).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert_eq!(s.hub.lists(), before + 1, "a failed pull is not remembered");
}

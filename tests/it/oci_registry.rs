//! The OCI distribution-API client against a real registry (Debian's `docker-registry`, filled
//! and read by the real clients oras-py and skopeo), and against an in-process server for the
//! hostile answers a real registry never gives (endless bodies, lying digests, redirects that
//! would carry credentials elsewhere, rate limits).

use hubsign::hub::HubError;
use hubsign::hub::http::RetryPolicy;
use hubsign::hub::oci::attach::{
    self, Attachment, FoundSignature, MODEL_SIGNING_ARTIFACT_TYPE, SIGSTORE_BUNDLE_MEDIA_TYPE,
};
use hubsign::hub::oci::auth::Credential;
use hubsign::hub::oci::client::{BlobSource, Registry, RegistryOptions};
use hubsign::hub::oci::image::{self, Descriptor, ImageManifest, OCI_INDEX, OCI_MANIFEST};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use testhub::registry::{self as real, RegistryAuth};

fn client(host: &str, credential: Option<Credential>) -> Registry {
    Registry::new(
        host,
        RegistryOptions {
            plain_http: true,
            credential,
            retry: RetryPolicy {
                attempts: 3,
                base_delay: Duration::from_millis(10),
                ..RetryPolicy::default()
            },
            roots: Vec::new(),
        },
    )
    .unwrap()
}

async fn read_stream(mut s: hubsign::hub::ByteStream) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(chunk) = s.next_chunk().await {
        out.extend_from_slice(&chunk.unwrap());
    }
    out
}

/// Pushes a small raw-layer artifact with hubsign's client (files streamed from disk); returns
/// the manifest bytes, their digest and the layer contents by title.
async fn push_artifact(
    reg: &Registry,
    repository: &str,
    tag: &str,
) -> (Vec<u8>, String, Vec<(String, Vec<u8>)>) {
    let dir = tempfile::tempdir().unwrap();
    let files = vec![
        (
            "config.json".to_owned(),
            br#"{"architectures":["Tiny"]}"#.to_vec(),
        ),
        (
            "model.safetensors".to_owned(),
            testhub::models::det_bytes("model.safetensors", 300_000),
        ),
    ];
    let mut layers = Vec::new();
    for (name, content) in &files {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        let digest = image::digest_of(content);
        reg.push_blob(repository, BlobSource::File(path), &digest, content.len() as u64)
            .await
            .unwrap();
        layers.push(serde_json::json!({
            "mediaType": "application/vnd.cncf.model.weight.v1.raw",
            "digest": digest,
            "size": content.len(),
            "annotations": {"org.opencontainers.image.title": name},
        }));
    }
    reg.push_blob(
        repository,
        BlobSource::Bytes(bytes::Bytes::from_static(b"{}")),
        &image::digest_of(b"{}"),
        2,
    )
    .await
    .unwrap();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": "application/vnd.cncf.model.manifest.v1+json",
        "config": {"mediaType": image::OCI_EMPTY, "digest": image::digest_of(b"{}"), "size": 2},
        "layers": layers,
    }))
    .unwrap();
    let digest = reg
        .push_manifest(repository, tag, &manifest, OCI_MANIFEST)
        .await
        .unwrap();
    assert_eq!(digest, image::digest_of(&manifest));
    (manifest, digest, files)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_artifact_pushed_by_oras_is_read_back_and_a_tampered_blob_refused() {
    let Some(venv) = testhub::inputs::oci_venv() else {
        return;
    };
    let Some(registry) = real::Registry::start(RegistryAuth::None) else {
        return;
    };
    let weights = testhub::models::det_bytes("w", 200_000);
    let files: [(&str, &[u8]); 2] = [("config.json", b"{\"a\": 1}"), ("weights.bin", &weights)];
    let pushed = registry.oras_push(&venv, "models/by-oras:v1", &files, &serde_json::Value::Null);

    let reg = client(&registry.host(), None);
    let by_tag = reg.manifest("models/by-oras", "v1").await.unwrap();
    // The digest of the exact bytes served is the one the registry announced to oras.
    assert_eq!(by_tag.digest, pushed.digest);
    assert_eq!(by_tag.media_type, OCI_MANIFEST);
    let by_digest = reg.manifest("models/by-oras", &pushed.digest).await.unwrap();
    assert_eq!(by_digest, by_tag);

    let manifest: ImageManifest = serde_json::from_slice(&by_tag.bytes).unwrap();
    assert_eq!(manifest.layers.len(), 2);
    for layer in &manifest.layers {
        let title = layer.annotation(image::ANNOTATION_TITLE).unwrap();
        let content = files.iter().find(|(n, _)| *n == title).unwrap().1;
        assert_eq!(
            reg.blob_bytes("models/by-oras", &layer.digest, 1 << 20)
                .await
                .unwrap(),
            content
        );
        assert!(reg.has_blob("models/by-oras", &layer.digest).await.unwrap());
        // A resumed transfer: the bytes from an offset on, with the range the registry says.
        let stream = reg.blob("models/by-oras", &layer.digest, 5).await.unwrap();
        stream.check_range(5, layer.size).unwrap();
        assert_eq!(read_stream(stream).await, content[5..]);
    }
    // Capped: a limit below the size is refused.
    let big = manifest.layers.iter().find(|l| l.size == 200_000).unwrap();
    assert!(matches!(
        reg.blob_bytes("models/by-oras", &big.digest, 1000).await,
        Err(HubError::TooLarge { .. })
    ));
    // Not there: typed, naming repository and digest.
    let missing = image::digest_of(b"missing");
    assert!(!reg.has_blob("models/by-oras", &missing).await.unwrap());
    let err = reg.blob_bytes("models/by-oras", &missing, 10).await.unwrap_err();
    assert!(matches!(err, HubError::BlobNotFound { .. }), "{err}");
    let err = reg.manifest("models/by-oras", "v2").await.unwrap_err();
    assert!(matches!(err, HubError::RevisionNotFound { .. }), "{err}");

    // A blob tampered in the registry's storage: the registry serves it, the client refuses it.
    let path = registry.blob_path(&big.digest);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[100] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let err = reg
        .blob_bytes("models/by-oras", &big.digest, 1 << 20)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, HubError::DigestMismatch { expected, .. } if *expected == big.digest),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_hubsign_pushes_is_read_by_skopeo_and_oras() {
    let Some(venv) = testhub::inputs::oci_venv() else {
        return;
    };
    testhub::inputs::skopeo().unwrap_or_else(|| panic!("skopeo is needed with HUBSIGN_OCI_VENV"));
    let Some(registry) = real::Registry::start(RegistryAuth::None) else {
        return;
    };
    let reg = client(&registry.host(), None);
    let (manifest, digest, files) = push_artifact(&reg, "team/model", "v1").await;
    // Pushing again is a no-op for the blobs (HEAD first) and the same digest for the manifest.
    let (_, again, _) = push_artifact(&reg, "team/model", "v1").await;
    assert_eq!(again, digest);

    assert_eq!(registry.skopeo_inspect_raw("team/model:v1"), manifest);
    assert_eq!(
        registry.skopeo_inspect_raw(&format!("team/model@{digest}")),
        manifest
    );
    let out = tempfile::tempdir().unwrap();
    let pulled = registry.oras_pull(&venv, "team/model:v1", out.path());
    assert_eq!(pulled, ["config.json", "model.safetensors"]);
    for (name, content) in &files {
        assert_eq!(&std::fs::read(out.path().join(name)).unwrap(), content, "{name}");
    }

    // A manifest pushed by digest must be the digest of its bytes.
    let err = reg
        .push_manifest("team/model", &image::digest_of(b"other"), &manifest, OCI_MANIFEST)
        .await
        .unwrap_err();
    assert!(matches!(err, HubError::DigestMismatch { .. }), "{err}");
    // A file whose size is not the one given: refused before sending, naming the file.
    let short = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(short.path(), b"abc").unwrap();
    let err = reg
        .push_blob(
            "team/model",
            BlobSource::File(short.path().to_path_buf()),
            &image::digest_of(b"abcd"),
            4,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, HubError::ReadLocal { path, .. } if path == short.path()),
        "{err}"
    );
    // An upload whose bytes are not the digest named: the registry refuses it.
    let err = reg
        .push_blob(
            "team/model",
            BlobSource::Bytes(bytes::Bytes::from_static(b"abc")),
            &image::digest_of(b"abd"),
            3,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, HubError::Status { status: 400, .. }), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registry_behind_htpasswd_needs_the_right_credentials() {
    testhub::inputs::skopeo().unwrap_or_else(|| panic!("skopeo is needed with docker-registry"));
    let Some(registry) = real::Registry::start(RegistryAuth::Htpasswd {
        user: "alice".into(),
        password: "correct horse".into(),
    }) else {
        return;
    };
    let right = Credential::Basic {
        username: "alice".into(),
        password: "correct horse".into(),
    };
    let wrong = Credential::Basic {
        username: "alice".into(),
        password: "battery staple".into(),
    };
    let reg = client(&registry.host(), Some(right));
    let (manifest, digest, _) = push_artifact(&reg, "private/model", "v1").await;
    assert_eq!(registry.skopeo_inspect_raw("private/model:v1"), manifest);
    assert_eq!(reg.manifest("private/model", "v1").await.unwrap().digest, digest);

    for (credential, given) in [(None, false), (Some(wrong), true)] {
        let reg = client(&registry.host(), credential);
        let err = reg.manifest("private/model", "v1").await.unwrap_err();
        match &err {
            HubError::Unauthorized {
                registry: host,
                repository,
                given: g,
                ..
            } => {
                assert_eq!(host, &registry.host());
                assert_eq!(repository, "private/model");
                assert_eq!(*g, given);
            }
            other => panic!("expected Unauthorized, got {other:?}"),
        }
        let shown = err.to_string();
        assert!(
            shown.contains("config.json") && !shown.contains("battery"),
            "{shown}"
        );
        let err = reg
            .push_blob(
                "private/model",
                BlobSource::Bytes(bytes::Bytes::from_static(b"x")),
                &image::digest_of(b"x"),
                1,
            )
            .await
            .unwrap_err();
        assert!(matches!(err, HubError::Unauthorized { .. }), "{err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signatures_are_attached_and_found_through_the_fallback_tags() {
    let Some(registry) = real::Registry::start(RegistryAuth::None) else {
        return;
    };
    let reg = client(&registry.host(), None);
    let (manifest, digest, _) = push_artifact(&reg, "signed/model", "v1").await;
    let subject = Descriptor {
        media_type: OCI_MANIFEST.into(),
        digest: digest.clone(),
        size: manifest.len() as u64,
        artifact_type: None,
        annotations: std::collections::BTreeMap::new(),
    };
    assert!(
        attach::find_signatures(&reg, "signed/model", &digest)
            .await
            .unwrap()
            .is_empty()
    );

    let bundle = br#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"k"}}}"#;
    let attached = attach::attach_signature(&reg, "signed/model", &subject, bundle)
        .await
        .unwrap();
    // distribution 2.8 stores the referrer manifest (it is a valid image manifest) but lists
    // no referrers, so rh-model-signing's tag is written too.
    let referrer = attached
        .referrer
        .clone()
        .expect("docker-registry 2.8 accepts the referrer manifest");
    let (tag, tag_digest) = attached.signature_tag.clone().unwrap();
    assert_eq!(tag, format!("sha256-{}.sig", image::sha256_hex(&digest).unwrap()));
    assert_eq!(
        reg.manifest("signed/model", &referrer).await.unwrap().bytes,
        attach::referrer_manifest(&subject, bundle)
    );
    assert_eq!(
        reg.manifest("signed/model", &tag).await.unwrap().digest,
        tag_digest
    );

    let found = attach::find_signatures(&reg, "signed/model", &digest)
        .await
        .unwrap();
    assert_eq!(
        found,
        [FoundSignature {
            bundle: bundle.to_vec(),
            attachment: Attachment::SignatureTag {
                tag: tag.clone(),
                manifest: tag_digest.clone()
            },
        }]
    );

    // cosign's convention on a registry without referrers: the referrers tag index lists a
    // referrer whose artifact type is the bundle's; it comes before rh's tag.
    let cosign_bundle = br#"{"cosign":true}"#;
    reg.push_blob(
        "signed/model",
        BlobSource::Bytes(bytes::Bytes::from_static(cosign_bundle)),
        &image::digest_of(cosign_bundle),
        cosign_bundle.len() as u64,
    )
    .await
    .unwrap();
    let cosign_manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": SIGSTORE_BUNDLE_MEDIA_TYPE,
        "config": {"mediaType": image::OCI_EMPTY, "digest": image::digest_of(b"{}"), "size": 2},
        "layers": [{"mediaType": SIGSTORE_BUNDLE_MEDIA_TYPE, "digest": image::digest_of(cosign_bundle), "size": cosign_bundle.len()}],
        "subject": {"mediaType": OCI_MANIFEST, "digest": digest, "size": manifest.len()},
    }))
    .unwrap();
    let cosign_digest = reg
        .push_manifest(
            "signed/model",
            &image::digest_of(&cosign_manifest),
            &cosign_manifest,
            OCI_MANIFEST,
        )
        .await
        .unwrap();
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": OCI_INDEX,
        "manifests": [
            {"mediaType": OCI_MANIFEST, "digest": cosign_digest, "size": cosign_manifest.len(), "artifactType": SIGSTORE_BUNDLE_MEDIA_TYPE},
            {"mediaType": OCI_MANIFEST, "digest": referrer, "size": 1, "artifactType": "application/vnd.other"},
        ],
    }))
    .unwrap();
    let index_tag = format!("sha256-{}", image::sha256_hex(&digest).unwrap());
    reg.push_manifest("signed/model", &index_tag, &index, OCI_INDEX)
        .await
        .unwrap();
    let found = attach::find_signatures(&reg, "signed/model", &digest)
        .await
        .unwrap();
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[0].bundle, cosign_bundle);
    assert_eq!(
        found[0].attachment,
        Attachment::ReferrersTagIndex {
            tag: index_tag,
            manifest: cosign_digest
        }
    );
    assert_eq!(found[1].bundle, bundle);
}

#[test]
fn the_referrer_manifests_are_byte_for_byte_rh_model_signings() {
    let Some(venv) = testhub::inputs::oci_venv() else {
        return;
    };
    let bundle = br#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","x":"\u00e9"}"#;
    let subject = Descriptor {
        media_type: OCI_MANIFEST.into(),
        digest: image::digest_of(b"subject"),
        size: 1234,
        artifact_type: None,
        annotations: std::collections::BTreeMap::new(),
    };
    let dir = tempfile::tempdir().unwrap();
    let bundle_path = dir.path().join("bundle.json");
    std::fs::write(&bundle_path, bundle).unwrap();
    // What rh-model-signing's OrasClient.push_signature / push_signature_tag build.
    let code = format!(
        r#"
import hashlib
from model_signing._oci import registry as r
bundle = read({bundle:?})
d = lambda b: "sha256:" + hashlib.sha256(b).hexdigest()
referrer = r.OCIManifest(
    artifact_type=r.MODEL_SIGNING_ARTIFACT_TYPE,
    config=r.Descriptor(media_type=r.MODEL_SIGNING_CONFIG_MEDIA_TYPE, digest=d(b"{{}}"), size=2),
    layers=[r.Descriptor(media_type=r.MODEL_SIGNING_LAYER_MEDIA_TYPE, digest=d(bundle), size=len(bundle))],
    subject=r.Descriptor(media_type=r.OCI_MANIFEST_MEDIA_TYPE, digest={subject:?}, size={size}),
)
tag = r.OCIManifest(
    config=r.Descriptor(media_type=r.OCI_CONFIG_MEDIA_TYPE, digest=d(b"{{}}"), size=2),
    layers=[r.Descriptor(media_type=r.MODEL_SIGNING_LAYER_MEDIA_TYPE, digest=d(bundle), size=len(bundle))],
    annotations={{"dev.sigstore.model-signing.artifact-type": r.MODEL_SIGNING_ARTIFACT_TYPE}},
)
out({{"referrer": json.dumps(referrer.to_dict(), separators=(",", ":")), "referrer_digest": referrer.compute_digest(),
     "tag": json.dumps(tag.to_dict(), separators=(",", ":"))}})
"#,
        bundle = bundle_path.display().to_string(),
        subject = subject.digest,
        size = subject.size,
    );
    let out = std::process::Command::new(venv.join("bin/python"))
        .arg("-c")
        .arg(testhub::python::script("", &code))
        .env("PYTHONWARNINGS", "ignore")
        .output()
        .unwrap();
    let v = testhub::python::result(
        &String::from_utf8_lossy(&out.stdout),
        &String::from_utf8_lossy(&out.stderr),
    );
    let ours = attach::referrer_manifest(&subject, bundle);
    assert_eq!(
        String::from_utf8(ours.clone()).unwrap(),
        v["referrer"].as_str().unwrap()
    );
    assert_eq!(image::digest_of(&ours), v["referrer_digest"].as_str().unwrap());
    assert_eq!(
        String::from_utf8(attach::signature_tag_manifest(bundle)).unwrap(),
        v["tag"].as_str().unwrap()
    );
    assert_eq!(attach::MODEL_SIGNING_ARTIFACT_TYPE, MODEL_SIGNING_ARTIFACT_TYPE);
}

// ---- hostile answers, from an in-process server ----

/// A request the in-process server saw.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    /// Path and query.
    target: String,
    authorization: Option<String>,
    range: Option<String>,
    body: String,
}

type Handler = Arc<dyn Fn(&Seen) -> axum::response::Response + Send + Sync>;

/// An in-process HTTP server answering every request with `handler`, logging what it saw.
async fn serve(
    handler: impl Fn(&Seen) -> axum::response::Response + Send + Sync + 'static,
) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = listener.local_addr().unwrap().to_string();
    let log = Arc::new(Mutex::new(Vec::new()));
    let handler: Handler = Arc::new(handler);
    let seen_log = Arc::clone(&log);
    let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let handler = Arc::clone(&handler);
        let log = Arc::clone(&seen_log);
        async move {
            let (parts, body) = req.into_parts();
            let header = |n: &str| {
                parts
                    .headers
                    .get(n)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            };
            let body = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default();
            let seen = Seen {
                method: parts.method.to_string(),
                target: parts
                    .uri
                    .path_and_query()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                authorization: header("authorization"),
                range: header("range"),
                body: String::from_utf8_lossy(&body).into_owned(),
            };
            log.lock().unwrap().push(seen.clone());
            handler(&seen)
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (host, log)
}

fn answer(
    status: u16,
    headers: &[(&str, &str)],
    body: impl Into<axum::body::Body>,
) -> axum::response::Response {
    let mut b = axum::response::Response::builder().status(status);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(body.into()).unwrap()
}

#[tokio::test]
async fn manifests_over_the_cap_or_with_the_wrong_digest_are_refused() {
    let good = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"a","digest":"sha256:00","size":1},"layers":[]}"#;
    let good_digest = image::digest_of(good);
    let other_digest = image::digest_of(b"another manifest");
    let lying_digest = other_digest.clone();
    let (host, _) = serve(move |seen| {
        let ct = ("Content-Type", OCI_MANIFEST);
        match seen.target.as_str() {
            // Without a length, for ever: refused once past the cap.
            "/v2/m/manifests/endless" => answer(
                200,
                &[ct],
                axum::body::Body::from_stream(futures_util::stream::repeat_with(|| {
                    Ok::<_, std::io::Error>(bytes::Bytes::from(vec![b' '; 64 << 10]))
                })),
            ),
            // A declared length over the cap: refused without reading.
            "/v2/m/manifests/huge" => answer(
                200,
                &[
                    ct,
                    ("Content-Length", &(image::MAX_MANIFEST_BYTES + 1).to_string()),
                ],
                axum::body::Body::from_stream(futures_util::stream::pending::<
                    Result<bytes::Bytes, std::io::Error>,
                >()),
            ),
            "/v2/m/manifests/lying" => {
                answer(200, &[ct, ("Docker-Content-Digest", &lying_digest)], &good[..])
            }
            "/v2/m/manifests/honest" => {
                answer(200, &[ct, ("Docker-Content-Digest", &good_digest)], &good[..])
            }
            // Whatever digest is asked for, the same manifest.
            t if t.starts_with("/v2/m/manifests/sha256:") => answer(200, &[ct], &good[..]),
            _ => answer(404, &[], ""),
        }
    })
    .await;
    let reg = client(&host, None);
    for tag in ["endless", "huge"] {
        let err = tokio::time::timeout(Duration::from_secs(30), reg.manifest("m", tag))
            .await
            .expect("refused without reading on")
            .unwrap_err();
        assert!(
            matches!(err, HubError::TooLarge { limit, .. } if limit == image::MAX_MANIFEST_BYTES),
            "{err}"
        );
    }
    let err = reg.manifest("m", "lying").await.unwrap_err();
    assert!(
        matches!(&err, HubError::DigestMismatch { expected, actual, .. } if *expected == other_digest && *actual == image::digest_of(good)),
        "{err}"
    );
    let err = reg.manifest("m", &other_digest).await.unwrap_err();
    assert!(
        matches!(&err, HubError::DigestMismatch { expected, .. } if *expected == other_digest),
        "{err}"
    );
    assert!(err.to_string().contains(&format!("{host}/m")), "{err}");
    assert_eq!(
        reg.manifest("m", "honest").await.unwrap().digest,
        image::digest_of(good)
    );
    assert_eq!(
        reg.manifest("m", &image::digest_of(good)).await.unwrap().bytes,
        good
    );
}

#[tokio::test]
async fn the_token_flow_sends_credentials_to_the_registry_and_its_realm_never_to_storage() {
    let content = b"layer bytes".to_vec();
    let digest = image::digest_of(&content);
    let storage_content = content.clone();
    let (storage, storage_log) = serve(move |_| answer(200, &[], storage_content.clone())).await;
    let blob_path = format!("/v2/org/model/blobs/{digest}");
    let registry_host = Arc::new(Mutex::new(String::new()));
    let host_for_handler = Arc::clone(&registry_host);
    let (host, log) = serve(move |seen| {
        let me = host_for_handler.lock().unwrap().clone();
        if seen.target.starts_with("/token?") {
            // Basic alice:pw
            return if seen.authorization.as_deref() == Some("Basic YWxpY2U6cHc=") {
                answer(200, &[], r#"{"token":"tok-1"}"#)
            } else {
                answer(401, &[], "")
            };
        }
        if seen.authorization.as_deref() != Some("Bearer tok-1") {
            let challenge = format!(
                r#"Bearer realm="http://{me}/token",service="test-registry",scope="repository:org/model:pull""#
            );
            return answer(401, &[("WWW-Authenticate", &challenge)], "");
        }
        if seen.target == blob_path {
            let to = format!("http://{storage}/bucket/blob?X-Signature=secret");
            return answer(307, &[("Location", &to)], "");
        }
        answer(404, &[], "")
    })
    .await;
    *registry_host.lock().unwrap() = host.clone();
    let reg = client(
        &host,
        Some(Credential::Basic {
            username: "alice".into(),
            password: "pw".into(),
        }),
    );
    let bytes = reg.blob_bytes("org/model", &digest, 1 << 20).await.unwrap();
    assert_eq!(bytes, content);
    // The stream too, resumed: the Range goes to storage, the credentials do not.
    let stream = reg.blob("org/model", &digest, 3).await.unwrap();
    let _ = read_stream(stream).await;

    let seen = log.lock().unwrap().clone();
    let token_requests: Vec<_> = seen.iter().filter(|s| s.target.starts_with("/token?")).collect();
    // One token for the scope, cached for the second request.
    assert_eq!(token_requests.len(), 1, "{seen:?}");
    assert!(
        token_requests[0].target.contains("service=test-registry"),
        "{seen:?}"
    );
    assert!(
        token_requests[0]
            .target
            .contains("scope=repository%3Aorg%2Fmodel%3Apull"),
        "{seen:?}"
    );
    let blob_requests: Vec<_> = seen
        .iter()
        .filter(|s| s.target == format!("/v2/org/model/blobs/{digest}"))
        .collect();
    assert!(
        blob_requests
            .iter()
            .any(|s| s.authorization.as_deref() == Some("Bearer tok-1"))
    );
    let at_storage = storage_log.lock().unwrap().clone();
    assert_eq!(at_storage.len(), 2, "{at_storage:?}");
    for s in &at_storage {
        assert_eq!(s.authorization, None, "credentials leaked to storage: {s:?}");
        assert_eq!(s.method, "GET");
    }
    assert_eq!(at_storage[1].range.as_deref(), Some("bytes=3-"));
}

#[tokio::test]
async fn rate_limits_are_waited_out_and_referrers_are_filtered_here_too() {
    let calls = Arc::new(Mutex::new(0u32));
    let counter = Arc::clone(&calls);
    let subject = image::digest_of(b"subject");
    let ms = |i: u8| image::digest_of(&[i]);
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": OCI_INDEX,
        "manifests": [
            {"mediaType": OCI_MANIFEST, "digest": ms(1), "size": 1, "artifactType": MODEL_SIGNING_ARTIFACT_TYPE},
            {"mediaType": OCI_MANIFEST, "digest": ms(2), "size": 1, "artifactType": "application/vnd.other"},
            {"mediaType": OCI_MANIFEST, "digest": ms(3), "size": 1, "artifactType": MODEL_SIGNING_ARTIFACT_TYPE},
        ],
    }))
    .unwrap();
    let referrers_path = format!("/v2/r/referrers/{subject}");
    let (host, log) = serve(move |seen| {
        if seen.target.starts_with(&referrers_path) {
            let mut n = counter.lock().unwrap();
            *n += 1;
            if *n == 1 {
                return answer(429, &[("Retry-After", "1")], "slow down");
            }
            return answer(200, &[("Content-Type", OCI_INDEX)], index.clone());
        }
        answer(404, &[], "")
    })
    .await;
    let reg = client(&host, None);
    let started = std::time::Instant::now();
    let listed = reg
        .referrers("r", &subject, Some(MODEL_SIGNING_ARTIFACT_TYPE))
        .await
        .unwrap()
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "Retry-After honoured"
    );
    let digests: Vec<_> = listed.iter().map(|d| d.digest.clone()).collect();
    assert_eq!(digests, [ms(1), ms(3)]);
    assert!(
        log.lock().unwrap()[0]
            .target
            .contains("artifactType=application%2Fvnd.model-signing.signature.v0.1")
    );
    // No referrers API (404): None, not an empty listing.
    assert_eq!(reg.referrers("other", &subject, None).await.unwrap(), None);
}

#[tokio::test]
async fn signatures_are_found_through_the_referrers_api_newest_first() {
    // A registry with the referrers API (as distribution 3 and most clouds): rh-model-signing's
    // referrers newest first (it reads the listing reversed), then cosign's, then rh's tag.
    let subject = image::digest_of(b"model manifest");
    let mut blobs = std::collections::HashMap::new();
    let mut manifests = std::collections::HashMap::new();
    let mut listed = Vec::new();
    for (i, artifact_type) in [
        MODEL_SIGNING_ARTIFACT_TYPE,
        SIGSTORE_BUNDLE_MEDIA_TYPE,
        "application/vnd.other",
        MODEL_SIGNING_ARTIFACT_TYPE,
    ]
    .into_iter()
    .enumerate()
    {
        let bundle = format!(r#"{{"n":{i}}}"#).into_bytes();
        let bundle_digest = image::digest_of(&bundle);
        let manifest = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": artifact_type,
            "config": {"mediaType": image::OCI_EMPTY, "digest": image::digest_of(b"{}"), "size": 2},
            "layers": [{"mediaType": SIGSTORE_BUNDLE_MEDIA_TYPE, "digest": bundle_digest, "size": bundle.len()}],
            "subject": {"mediaType": OCI_MANIFEST, "digest": subject, "size": 10},
        }))
        .unwrap();
        let digest = image::digest_of(&manifest);
        listed.push(serde_json::json!({"mediaType": OCI_MANIFEST, "digest": digest, "size": manifest.len(), "artifactType": artifact_type}));
        blobs.insert(format!("/v2/s/blobs/{bundle_digest}"), bundle);
        manifests.insert(format!("/v2/s/manifests/{digest}"), manifest);
    }
    let index = serde_json::to_vec(
        &serde_json::json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": listed}),
    )
    .unwrap();
    let referrers_path = format!("/v2/s/referrers/{subject}");
    let (host, _) = serve(move |seen| {
        if seen.target == referrers_path {
            return answer(200, &[("Content-Type", OCI_INDEX)], index.clone());
        }
        if let Some(m) = manifests.get(&seen.target) {
            return answer(200, &[("Content-Type", OCI_MANIFEST)], m.clone());
        }
        if let Some(b) = blobs.get(&seen.target) {
            return answer(200, &[], b.clone());
        }
        answer(404, &[], "")
    })
    .await;
    let reg = client(&host, None);
    let found = attach::find_signatures(&reg, "s", &subject).await.unwrap();
    let order: Vec<_> = found
        .iter()
        .map(|f| String::from_utf8(f.bundle.clone()).unwrap())
        .collect();
    assert_eq!(order, [r#"{"n":3}"#, r#"{"n":0}"#, r#"{"n":1}"#]);
    assert!(matches!(
        &found[2].attachment,
        Attachment::Referrer { artifact_type, .. } if artifact_type == SIGSTORE_BUNDLE_MEDIA_TYPE
    ));
}

#[tokio::test]
async fn an_identity_token_is_exchanged_at_the_realm_and_a_refused_one_is_unauthorized() {
    let registry_host = Arc::new(Mutex::new(String::new()));
    let host_for_handler = Arc::clone(&registry_host);
    let manifest = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"a","digest":"sha256:00","size":1},"layers":[]}"#;
    let (host, log) = serve(move |seen| {
        let me = host_for_handler.lock().unwrap().clone();
        if seen.target == "/oauth2/token" {
            // The OAuth2 refresh-token grant docker uses for an identity token.
            return if seen.method == "POST" && seen.body.contains("refresh_token=good-refresh") {
                answer(200, &[], r#"{"access_token":"tok-2","expires_in":300}"#)
            } else {
                answer(401, &[], "")
            };
        }
        if seen.authorization.as_deref() == Some("Bearer tok-2") {
            return answer(200, &[("Content-Type", OCI_MANIFEST)], &manifest[..]);
        }
        let challenge = format!(r#"Bearer realm="http://{me}/oauth2/token",service="svc""#);
        answer(401, &[("WWW-Authenticate", &challenge)], "")
    })
    .await;
    *registry_host.lock().unwrap() = host.clone();
    let reg = client(&host, Some(Credential::IdentityToken("good-refresh".into())));
    assert_eq!(reg.manifest("org/m", "v1").await.unwrap().bytes, manifest);
    let seen = log.lock().unwrap().clone();
    let grant = seen.iter().find(|s| s.target == "/oauth2/token").unwrap();
    for part in [
        "grant_type=refresh_token",
        "service=svc",
        "scope=repository%3Aorg%2Fm%3Apull",
        "client_id=hubsign",
    ] {
        assert!(grant.body.contains(part), "{part} in {}", grant.body);
    }

    let reg = client(&host, Some(Credential::IdentityToken("revoked".into())));
    let err = reg.manifest("org/m", "v1").await.unwrap_err();
    assert!(
        matches!(&err, HubError::Unauthorized { given: true, repository, .. } if repository == "org/m"),
        "{err}"
    );
    assert!(!format!("{err} {err:?}").contains("revoked"), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_rh_model_signing_attaches_is_found_and_is_what_hubsign_writes() {
    let Some(venv) = testhub::inputs::oci_venv() else {
        return;
    };
    let Some(registry) = real::Registry::start(RegistryAuth::None) else {
        return;
    };
    let reg = client(&registry.host(), None);
    let (manifest, digest, _) = push_artifact(&reg, "signed/by-rh", "v1").await;
    let dir = tempfile::tempdir().unwrap();
    let bundle = br#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"certificate":{}}}"#;
    std::fs::write(dir.path().join("bundle.json"), bundle).unwrap();
    // rh-model-signing's own client pushes both attachments (referrers mode, then tag mode).
    let code = format!(
        r#"
from model_signing._oci import registry as r
c = r.OrasClient(insecure=True)
ref = r.ImageReference.parse("{host}/signed/by-rh:v1")
bundle = read("bundle.json")
referrer = c.push_signature(ref, bundle, subject_digest="{digest}", subject_size={size})
tag = c.push_signature_tag(ref, bundle, "sha256-{hex}.sig")
out({{"referrer": referrer, "tag": tag}})
"#,
        host = registry.host(),
        size = manifest.len(),
        hex = image::sha256_hex(&digest).unwrap(),
    );
    let v = registry.oras(&venv, dir.path(), &code);
    let subject = Descriptor {
        media_type: OCI_MANIFEST.into(),
        digest: digest.clone(),
        size: manifest.len() as u64,
        artifact_type: None,
        annotations: std::collections::BTreeMap::new(),
    };
    // The bytes rh-model-signing put on the wire are the bytes hubsign writes.
    let rh_referrer = reg
        .manifest("signed/by-rh", v["referrer"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(rh_referrer.bytes, attach::referrer_manifest(&subject, bundle));
    let tag = attach::signature_tag(&digest).unwrap();
    let rh_tag = reg.manifest("signed/by-rh", &tag).await.unwrap();
    assert_eq!(rh_tag.digest, v["tag"].as_str().unwrap());
    assert_eq!(rh_tag.bytes, attach::signature_tag_manifest(bundle));
    // Found through the tag (this registry lists no referrers).
    let found = attach::find_signatures(&reg, "signed/by-rh", &digest)
        .await
        .unwrap();
    assert_eq!(
        found,
        [FoundSignature {
            bundle: bundle.to_vec(),
            attachment: Attachment::SignatureTag {
                tag,
                manifest: rh_tag.digest
            },
        }]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_artifact_copied_by_skopeo_is_read_back() {
    testhub::inputs::skopeo().unwrap_or_else(|| panic!("skopeo is needed with docker-registry"));
    let Some(registry) = real::Registry::start(RegistryAuth::Htpasswd {
        user: "bob".into(),
        password: "pw".into(),
    }) else {
        return;
    };
    let layer = testhub::models::det_bytes("layer", 50_000);
    let config = br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": image::OCI_IMAGE_CONFIG, "digest": image::digest_of(config), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": image::digest_of(&layer), "size": layer.len(),
                    "annotations": {"org.opencontainers.image.title": "weights.bin"}}],
    }))
    .unwrap();
    let layout = tempfile::tempdir().unwrap();
    real::write_oci_layout(layout.path(), "v1", &[config, &layer], &manifest);
    registry.skopeo_copy_from_layout(layout.path(), "v1", "copied/model:v1");
    let reg = client(
        &registry.host(),
        Some(Credential::Basic {
            username: "bob".into(),
            password: "pw".into(),
        }),
    );
    let fetched = reg.manifest("copied/model", "v1").await.unwrap();
    assert_eq!(fetched.bytes, manifest, "skopeo copies an OCI manifest unchanged");
    assert_eq!(
        reg.blob_bytes("copied/model", &image::digest_of(&layer), 1 << 20)
            .await
            .unwrap(),
        layer
    );
}

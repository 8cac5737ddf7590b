//! The referrers front ([`testhub::referrers`]) proven faithful with real clients, over Debian's real
//! `docker-registry`: rh-model-signing 1.0.5 signs a model in the registry and finds its signature
//! only through the front's referrers API (and not when the front refuses it); oras-py pushes and
//! reads through the TLS front, skopeo inspects and copies through it both ways; the listing's wire
//! format and the forwarded authentication are checked against distribution-spec 1.1 with a raw
//! HTTP client. Each test says SKIPPED without `docker-registry` on PATH or `HUBSIGN_OCI_VENV` (and
//! fails under `HUBSIGN_REQUIRE_ALL=1`).

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use testhub::hub::{RawResponse, http};
use testhub::inputs;
use testhub::referrers::{AnsweredBy, ReferrersApi, ReferrersRegistry, Scheme};

const MANIFEST_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
/// rh-model-signing's signature artifact type.
const SIGNATURE_TYPE: &str = "application/vnd.model-signing.signature.v0.1";

/// A real `docker-registry` on a free port of 127.0.0.1, its storage in a temporary directory;
/// killed when dropped.
struct Upstream {
    child: Child,
    addr: String,
    root: tempfile::TempDir,
}

impl Upstream {
    /// Starts it (with `htpasswd`: that file's users must authenticate, Basic) and waits until
    /// `/v2/` answers.
    fn start(exe: &Path, htpasswd: Option<&Path>) -> Self {
        let root = tempfile::Builder::new().prefix("registry-").tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr = format!("127.0.0.1:{port}");
        let auth = htpasswd.map_or(String::new(), |p| {
            format!(
                "auth:\n  htpasswd:\n    realm: test-registry\n    path: {}\n",
                p.display()
            )
        });
        let config = format!(
            "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\n\
             storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n\
             http:\n  addr: {addr}\n{auth}",
            root.path().join("data").display()
        );
        std::fs::write(root.path().join("config.yml"), config).unwrap();
        let log = std::fs::File::create(root.path().join("registry.log")).unwrap();
        let child = Command::new(exe)
            .arg("serve")
            .arg(root.path().join("config.yml"))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start docker-registry");
        let mut up = Self { child, addr, root };
        testhub::wait_for("docker-registry to listen", || {
            assert!(
                up.child.try_wait().unwrap().is_none(),
                "docker-registry exited: {}",
                up.log()
            );
            TcpStream::connect(&up.addr).is_ok()
        });
        up
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.root.path().join("registry.log")).unwrap_or_default()
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// A small model directory: a `config.json` and two weight files.
fn model(dir: &Path) -> PathBuf {
    let m = dir.join("model");
    std::fs::create_dir_all(&m).unwrap();
    std::fs::write(m.join("config.json"), br#"{"model_type":"demo"}"#).unwrap();
    std::fs::write(
        m.join("weights.bin"),
        (0..=255u8).cycle().take(70_000).collect::<Vec<_>>(),
    )
    .unwrap();
    std::fs::write(m.join("tokenizer.txt"), b"a b c\n").unwrap();
    m
}

/// Runs `code` (after testhub's Python prelude) with the OCI venv's Python, `args` as `sys.argv[1:]`,
/// trusting `ca` through `REQUESTS_CA_BUNDLE`; its `RESULT:` line.
fn python(venv: &Path, home: &Path, ca: &Path, code: &str, args: &[&str]) -> Value {
    let out = Command::new(venv.join("bin/python"))
        .arg("-c")
        .arg(testhub::python::script("", code))
        .args(args)
        .env("HOME", home)
        .env("REQUESTS_CA_BUNDLE", ca)
        .env("PYTHONWARNINGS", "ignore")
        .output()
        .unwrap();
    testhub::python::result(
        &String::from_utf8_lossy(&out.stdout),
        &String::from_utf8_lossy(&out.stderr),
    )
}

/// oras-py pushes every file of a model directory as a raw layer titled with its name (the
/// weights in chunks: POST, PATCH, PUT on the `Location`s), the empty config, then the manifest as
/// compact JSON (rh-model-signing recomputes digests that way); answers the manifest PUT's status,
/// `Docker-Content-Digest` and the manifest text.
const ORAS_PUSH: &str = r#"
import oras.oci, oras.provider
host, repo, tag, model = sys.argv[1:5]
reg = oras.provider.Registry(hostname=host, tls_verify=True)
container = reg.get_container(f"{host}/{repo}:{tag}")
layers = []
for name in sorted(os.listdir(model)):
    path = os.path.join(model, name)
    layer = oras.oci.NewLayer(path, media_type="application/vnd.cncf.model.weight.v1.raw")
    layer["annotations"] = {"org.opencontainers.image.title": name}
    r = reg.upload_blob(path, container, layer, do_chunked=name.endswith(".bin"), chunk_size=16384)
    assert r.status_code in (200, 201), (name, r.status_code, r.text)
    layers.append(layer)
conf, _ = oras.oci.ManifestConfig()
with oras.provider.temporary_empty_config() as cfg:
    r = reg.upload_blob(cfg, container, conf)
    assert r.status_code in (200, 201), r.text
manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": conf, "layers": layers}
body = json.dumps(manifest, separators=(",", ":"))
r = reg.do_request(f"https://{host}/v2/{repo}/manifests/{tag}", "PUT", data=body.encode(),
                   headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
out({"status": r.status_code, "digest": r.headers.get("Docker-Content-Digest"), "manifest": body})
"#;

/// Pushes `model` as `repo:tag` through the front with oras-py; the manifest's digest and text.
fn oras_push(
    venv: &Path,
    home: &Path,
    front: &ReferrersRegistry,
    repo: &str,
    model: &Path,
) -> (String, String) {
    let r = python(
        venv,
        home,
        &front.ca_pem(),
        ORAS_PUSH,
        &[&front.host(), repo, "v1", model.to_str().unwrap()],
    );
    assert_eq!(r["ok"], Value::Null, "{r}");
    assert_eq!(r["status"], 201, "{r}");
    let manifest = r["manifest"].as_str().unwrap().to_owned();
    let digest = r["digest"].as_str().unwrap().to_owned();
    assert_eq!(
        digest,
        sha256_digest(manifest.as_bytes()),
        "the registry's digest of the manifest"
    );
    (digest, manifest)
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// An EC P-256 key pair for rh-model-signing: `(private PKCS#8 PEM, public PEM)`.
fn ec_keys(dir: &Path) -> (PathBuf, PathBuf) {
    openssl(
        dir,
        &[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            "ec.pem",
        ],
    );
    openssl(
        dir,
        &[
            "pkcs8",
            "-topk8",
            "-nocrypt",
            "-in",
            "ec.pem",
            "-out",
            "signing.pem",
        ],
    );
    openssl(dir, &["ec", "-in", "ec.pem", "-pubout", "-out", "verifying.pem"]);
    (dir.join("signing.pem"), dir.join("verifying.pem"))
}

/// `rh_model_signing ARGS` trusting `ca`, in `dir` (where no path looks like the image reference).
fn rh_model_signing(venv: &Path, dir: &Path, ca: &Path, args: &[&str]) -> Output {
    Command::new(venv.join("bin/rh_model_signing"))
        .args(args)
        .current_dir(dir)
        .env("HOME", dir)
        .env("REQUESTS_CA_BUNDLE", ca)
        .env("PYTHONWARNINGS", "ignore")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// After rh-model-signing signed `models/demo` (manifest `digest`) through `front`: the
/// signature's manifest push was answered `OCI-Subject: <digest>`, and the listing holds one
/// descriptor of it, of the exact bytes the registry stores.
fn assert_signature_indexed(front: &ReferrersRegistry, upstream: &Upstream, digest: &str) {
    let pushes: Vec<_> = front
        .requests()
        .into_iter()
        .filter(|r| r.method == "PUT" && r.path.contains("/manifests/"))
        .collect();
    assert_eq!(
        pushes.len(),
        2,
        "the model's and the signature's manifests: {pushes:?}"
    );
    assert_eq!(pushes[1].status, 201);
    assert_eq!(pushes[1].oci_subject.as_deref(), Some(digest), "OCI-Subject");
    let listed = front.referrers("models/demo", digest);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["artifactType"], SIGNATURE_TYPE);
    assert_eq!(listed[0]["mediaType"], MANIFEST_TYPE);
    // The descriptor is of the bytes the registry stores under that digest.
    let sig_digest = listed[0]["digest"].as_str().unwrap();
    let stored = http(
        "GET",
        &format!("http://{}/v2/models/demo/manifests/{sig_digest}", upstream.addr),
        &[("Accept", MANIFEST_TYPE)],
        b"",
    );
    assert_eq!(stored.status, 200);
    assert_eq!(sha256_digest(&stored.body), sig_digest);
    assert_eq!(listed[0]["size"], stored.body.len());
    let sig: Value = serde_json::from_slice(&stored.body).unwrap();
    assert_eq!(sig["subject"]["digest"], digest);
}

/// rh-model-signing (the real client of the referrers path) signs a model in the registry through
/// the TLS front in referrers mode; the front indexes the signature under the model's real digest
/// and answers `OCI-Subject`; verification then finds it only through the referrers listing (it
/// would fall back to the `sha256-<hex>.sig` tag, which does not exist), and fails once the front
/// refuses the API.
#[test]
fn rh_model_signing_finds_its_signature_through_the_referrers_api() {
    let (Some(exe), Some(venv)) = (inputs::docker_registry(), inputs::oci_venv()) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let upstream = Upstream::start(&exe, None);
    let front = ReferrersRegistry::start(&upstream.addr, Scheme::Https);
    let (digest, _) = oras_push(&venv, tmp.path(), &front, "models/demo", &model(tmp.path()));
    let (signing, verifying) = ec_keys(tmp.path());
    let image = format!("{}/models/demo:v1", front.host());
    let ca = front.ca_pem();

    let sign = rh_model_signing(
        &venv,
        tmp.path(),
        &ca,
        &[
            "sign",
            "key",
            "--private-key",
            signing.to_str().unwrap(),
            "--attachment-mode",
            "referrers",
            &image,
        ],
    );
    assert!(sign.status.success(), "sign: {}", text(&sign));
    assert_signature_indexed(&front, &upstream, &digest);

    let verify_args = [
        "verify",
        "key",
        "--public-key",
        verifying.to_str().unwrap(),
        "--attachment-mode",
        "referrers",
        &image,
    ];
    front.clear_requests();
    let verify = rh_model_signing(&venv, tmp.path(), &ca, &verify_args);
    assert!(verify.status.success(), "verify: {}", text(&verify));
    let listing = format!("/v2/models/demo/referrers/{digest}");
    let asked: Vec<_> = front
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with(&listing))
        .collect();
    assert!(
        asked
            .iter()
            .any(|r| r.answered_by == AnsweredBy::Front && r.status == 200),
        "no referrers GET answered by the front: {asked:?}"
    );
    assert!(
        !front.requests().iter().any(|r| r.path.contains(".sig")),
        "the signature came through the tag fallback"
    );

    front.set_referrers_api(ReferrersApi::Refused);
    front.clear_requests();
    let refused = rh_model_signing(&venv, tmp.path(), &ca, &verify_args);
    assert!(
        !refused.status.success(),
        "verified without the referrers API: {}",
        text(&refused)
    );
    let asked: Vec<_> = front
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with(&listing))
        .collect();
    assert!(
        asked
            .iter()
            .all(|r| r.answered_by == AnsweredBy::Upstream && r.status == 404)
            && !asked.is_empty(),
        "{asked:?}"
    );
}

/// Reads through the front with oras-py: a blob by `Range` (206, the bytes asked) and whole, and
/// the manifest by tag (the exact bytes, `Docker-Content-Digest`).
const ORAS_READ: &str = r#"
import oras.provider, requests
host, repo, digest = sys.argv[1:4]
reg = oras.provider.Registry(hostname=host, tls_verify=True)
m = reg.do_request(f"https://{host}/v2/{repo}/manifests/v1", "GET",
                   headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
part = reg.do_request(f"https://{host}/v2/{repo}/blobs/{digest}", "GET", headers={"Range": "bytes=1000-1009"})
whole = reg.get_blob(f"{host}/{repo}:v1", digest)
out({"manifest": m.text, "digest": m.headers.get("Docker-Content-Digest"),
     "part_status": part.status_code, "part": list(part.content), "whole": len(whole.content)})
"#;

/// The plain distribution API through the TLS front, with real clients: oras-py's chunked push
/// (uploads follow the rewritten `Location`s), its reads (a `Range` answered 206), `skopeo inspect
/// --raw` (the exact manifest bytes), `skopeo copy` out of the front into an OCI layout (every blob
/// checked against its digest) and back into another repository through it.
#[test]
fn oras_and_skopeo_push_and_pull_through_the_front() {
    let (Some(exe), Some(venv)) = (inputs::docker_registry(), inputs::oci_venv()) else {
        return;
    };
    let Some(skopeo) = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join("skopeo"))
        .find(|p| p.is_file())
    else {
        inputs::skip("skopeo through the referrers front (skopeo is not on PATH)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let upstream = Upstream::start(&exe, None);
    let front = ReferrersRegistry::start(&upstream.addr, Scheme::Https);
    let model = model(tmp.path());
    let (digest, manifest) = oras_push(&venv, tmp.path(), &front, "models/demo", &model);
    let uploads: Vec<_> = front
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("/blobs/uploads/"))
        .collect();
    assert!(
        uploads.iter().any(|r| r.method == "PATCH" && r.status == 202),
        "no chunk went through the front: {uploads:?}"
    );
    // The registry's own view, bypassing the front: the manifest the client pushed.
    let direct = http(
        "GET",
        &format!("http://{}/v2/models/demo/manifests/v1", upstream.addr),
        &[("Accept", MANIFEST_TYPE)],
        b"",
    );
    assert_eq!(direct.body, manifest.as_bytes());

    let weights = std::fs::read(model.join("weights.bin")).unwrap();
    let weights_digest = sha256_digest(&weights);
    let r = python(
        &venv,
        tmp.path(),
        &front.ca_pem(),
        ORAS_READ,
        &[&front.host(), "models/demo", &weights_digest],
    );
    assert_eq!(r["manifest"], manifest.as_str(), "{r}");
    assert_eq!(r["digest"], digest.as_str());
    assert_eq!(r["part_status"], 206);
    assert_eq!(r["part"], json!(weights[1000..1010]));
    assert_eq!(r["whole"], weights.len());
    assert!(
        front
            .requests()
            .iter()
            .any(|r| r.range.as_deref() == Some("bytes=1000-1009") && r.status == 206),
        "the Range header was not forwarded"
    );

    let certs = front
        .ca()
        .write_cert_dir(&tmp.path().join("certs.d"), &front.host());
    let src = format!("docker://{}/models/demo:v1", front.host());
    let inspect = Command::new(&skopeo)
        .args(["inspect", "--raw", "--cert-dir"])
        .arg(&certs)
        .arg(&src)
        .output()
        .unwrap();
    assert!(inspect.status.success(), "{}", text(&inspect));
    assert_eq!(inspect.stdout, manifest.as_bytes(), "skopeo inspect --raw");
    let layout = tmp.path().join("layout");
    let copy = Command::new(&skopeo)
        .args(["copy", "--src-cert-dir"])
        .arg(&certs)
        .arg(&src)
        .arg(format!("oci:{}:v1", layout.display()))
        .output()
        .unwrap();
    assert!(copy.status.success(), "{}", text(&copy));
    let blob = layout
        .join("blobs/sha256")
        .join(weights_digest.strip_prefix("sha256:").unwrap());
    assert_eq!(std::fs::read(blob).unwrap(), weights);
    let back = Command::new(&skopeo)
        .args(["copy", "--dest-cert-dir"])
        .arg(&certs)
        .arg(format!("oci:{}:v1", layout.display()))
        .arg(format!("docker://{}/models/copy:v1", front.host()))
        .output()
        .unwrap();
    assert!(back.status.success(), "{}", text(&back));
    let copied = http(
        "GET",
        &format!("http://{}/v2/models/copy/manifests/v1", upstream.addr),
        &[("Accept", MANIFEST_TYPE)],
        b"",
    );
    assert_eq!(copied.status, 200);
    assert_eq!(
        sha256_digest(&copied.body),
        digest,
        "skopeo changed the manifest on the way back"
    );
}

/// A blob upload as distribution 2.8 takes it (`POST`, then `PUT` with `?digest=` on the
/// `Location`, which must name the front); fails the test unless it is stored.
fn put_blob(origin: &str, repo: &str, bytes: &[u8]) -> String {
    let d = sha256_digest(bytes);
    let start = http("POST", &format!("{origin}/v2/{repo}/blobs/uploads/"), &[], b"");
    assert_eq!(start.status, 202, "{}", String::from_utf8_lossy(&start.body));
    let location = start.header("location").unwrap();
    assert!(
        location.starts_with(&format!("{origin}/v2/{repo}/blobs/uploads/")),
        "{location}"
    );
    let sep = if location.contains('?') { '&' } else { '?' };
    let r = http("PUT", &format!("{location}{sep}digest={d}"), &[], bytes);
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    d
}

fn put_manifest(origin: &str, repo: &str, reference: &str, doc: &Value) -> (RawResponse, String) {
    let body = serde_json::to_vec(doc).unwrap();
    let media = doc["mediaType"].as_str().unwrap();
    let r = http(
        "PUT",
        &format!("{origin}/v2/{repo}/manifests/{reference}"),
        &[("Content-Type", media)],
        &body,
    );
    (r, sha256_digest(&body))
}

fn index_of(r: &RawResponse) -> Value {
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        r.header("content-type"),
        Some("application/vnd.oci.image.index.v1+json")
    );
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["schemaVersion"], 2);
    assert_eq!(v["mediaType"], "application/vnd.oci.image.index.v1+json");
    v
}

/// The listing as distribution-spec 1.1 words it, over plain HTTP: `OCI-Subject` on a push with a
/// subject (none without one); descriptors with the manifest's `artifactType`, else its config's
/// media type, none for an index, annotations copied, no duplicate on a second push; the
/// `artifactType` filter with `OCI-Filters-Applied`; an empty index for a digest nobody refers to;
/// 400 for a bad digest; a deleted referrer leaves the listing; the upstream's 404 once refused.
#[test]
fn the_listing_is_worded_as_distribution_spec_1_1() {
    let Some(exe) = inputs::docker_registry() else {
        return;
    };
    let upstream = Upstream::start(&exe, None);
    let front = ReferrersRegistry::start(&upstream.addr, Scheme::Http);
    let o = front.origin();
    let cfg = put_blob(&o, "r", b"{}");
    let layer = put_blob(&o, "r", b"payload");
    let desc = |mt: &str, d: &str, size: usize| json!({"mediaType": mt, "digest": d, "size": size});
    let base = json!({"schemaVersion": 2, "mediaType": MANIFEST_TYPE,
        "config": desc("application/vnd.oci.image.config.v1+json", &cfg, 2),
        "layers": [desc("application/octet-stream", &layer, 7)]});
    let (r, subject) = put_manifest(&o, "r", "v1", &base);
    assert_eq!((r.status, r.header("oci-subject")), (201, None));
    let subject_desc = desc(MANIFEST_TYPE, &subject, serde_json::to_vec(&base).unwrap().len());

    let mut sbom = base.clone();
    sbom["artifactType"] = json!("application/vnd.example.sbom.v1");
    sbom["subject"] = subject_desc.clone();
    sbom["annotations"] = json!({"org.example.k": "v"});
    let (r, sbom_digest) = put_manifest(&o, "r", "sbom", &sbom);
    assert_eq!(r.status, 201);
    assert_eq!(r.header("oci-subject"), Some(subject.as_str()));
    assert_eq!(r.header("docker-content-digest"), Some(sbom_digest.as_str()));
    put_manifest(&o, "r", &sbom_digest, &sbom);
    let mut untyped = base.clone();
    untyped["config"] = desc("application/vnd.example.config.v1+json", &cfg, 2);
    untyped["subject"] = subject_desc.clone();
    let (_, untyped_digest) = put_manifest(&o, "r", "untyped", &untyped);
    let index = json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [subject_desc.clone()], "subject": subject_desc});
    let (r, index_digest) = put_manifest(&o, "r", "index", &index);
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));

    let all = index_of(&http("GET", &format!("{o}/v2/r/referrers/{subject}"), &[], b""));
    let sbom_len = serde_json::to_vec(&sbom).unwrap().len();
    assert_eq!(
        all["manifests"],
        json!([
            {"mediaType": MANIFEST_TYPE, "digest": sbom_digest, "size": sbom_len,
             "artifactType": "application/vnd.example.sbom.v1", "annotations": {"org.example.k": "v"}},
            {"mediaType": MANIFEST_TYPE, "digest": untyped_digest,
             "size": serde_json::to_vec(&untyped).unwrap().len(),
             "artifactType": "application/vnd.example.config.v1+json"},
            {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": index_digest,
             "size": serde_json::to_vec(&index).unwrap().len()},
        ])
    );
    let filtered = http(
        "GET",
        &format!("{o}/v2/r/referrers/{subject}?artifactType=application/vnd.example.config.v1%2Bjson"),
        &[],
        b"",
    );
    assert_eq!(filtered.header("oci-filters-applied"), Some("artifactType"));
    assert_eq!(
        index_of(&filtered)["manifests"][0]["digest"],
        untyped_digest.as_str()
    );
    assert_eq!(index_of(&filtered)["manifests"].as_array().unwrap().len(), 1);
    assert_eq!(
        http("GET", &format!("{o}/v2/r/referrers/{subject}"), &[], b"").header("oci-filters-applied"),
        None
    );
    let none = http(
        "GET",
        &format!("{o}/v2/r/referrers/{}", sha256_digest(b"nobody")),
        &[],
        b"",
    );
    assert_eq!(index_of(&none)["manifests"], json!([]));
    assert_eq!(
        http("GET", &format!("{o}/v2/r/referrers/sha256:XYZ"), &[], b"").status,
        400
    );

    let del = http(
        "DELETE",
        &format!("{o}/v2/r/manifests/{untyped_digest}"),
        &[],
        b"",
    );
    assert_eq!(del.status, 202);
    let after = index_of(&http("GET", &format!("{o}/v2/r/referrers/{subject}"), &[], b""));
    assert_eq!(after["manifests"].as_array().unwrap().len(), 2);
    assert!(!after.to_string().contains(&untyped_digest));

    front.set_referrers_api(ReferrersApi::Refused);
    assert_eq!(
        http("GET", &format!("{o}/v2/r/referrers/{subject}"), &[], b"").status,
        404
    );
    let mut late = sbom.clone();
    late["annotations"] = json!({"late": "1"});
    let (r, _) = put_manifest(&o, "r", "late", &late);
    assert_eq!((r.status, r.header("oci-subject")), (201, None));
    assert_eq!(front.referrers("r", &subject).len(), 2, "indexed while refused");
}

/// Authentication goes through untouched: the upstream's 401 with its `WWW-Authenticate`, the
/// client's `Authorization` forwarded; the listing is as private as the repository.
#[test]
fn authentication_is_the_upstreams() {
    let Some(exe) = inputs::docker_registry() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let htpasswd = tmp.path().join("htpasswd");
    let made = Command::new("htpasswd")
        .args(["-Bbn", "alice", "s3cret"])
        .output();
    let Ok(made) = made else {
        inputs::skip("authentication through the referrers front (htpasswd is not installed)");
        return;
    };
    assert!(made.status.success());
    std::fs::write(&htpasswd, made.stdout).unwrap();
    let upstream = Upstream::start(&exe, Some(&htpasswd));
    let front = ReferrersRegistry::start(&upstream.addr, Scheme::Http);
    let o = front.origin();
    let anon = http("GET", &format!("{o}/v2/"), &[], b"");
    assert_eq!(anon.status, 401);
    assert_eq!(
        anon.header("www-authenticate"),
        Some("Basic realm=\"test-registry\"")
    );
    let basic = format!("Basic {}", base64_of("alice:s3cret"));
    let auth = [("Authorization", basic.as_str())];
    assert_eq!(http("GET", &format!("{o}/v2/"), &auth, b"").status, 200);
    let subject = sha256_digest(b"anything");
    let listing = format!("{o}/v2/r/referrers/{subject}");
    let refused = http("GET", &listing, &[], b"");
    assert_eq!(
        refused.status, 401,
        "the listing of a private repository was open"
    );
    assert!(refused.header("www-authenticate").is_some());
    assert_eq!(
        index_of(&http("GET", &listing, &auth, b""))["manifests"],
        json!([])
    );
    assert!(
        front
            .requests()
            .iter()
            .any(|r| r.authorization.as_deref() == Some(basic.as_str()))
    );
}

fn base64_of(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}

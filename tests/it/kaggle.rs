//! Kaggle Models end to end, against the local Kaggle server (`crates/testhub/src/kaggle`, itself
//! proven faithful by kagglehub and the kaggle CLI in `kaggle_faithful`):
//!
//! - a model signed by model_signing into `.kaggle/signing.json` and uploaded by
//!   `kagglehub.model_upload`: `hubsign check` fetches nothing but the signature, `hubsign pull`
//!   commits it into the kagglehub cache, `kagglehub.model_download` then returns the same
//!   directory with zero requests, and `model_signing verify` accepts it;
//! - refusals (changed weights under an old signature, an unsigned extra file, a wrong key, a
//!   listing that lies, corrupt bytes) exit 1 with the kagglehub cache byte-for-byte unchanged;
//! - `hubsign push` → `kagglehub.model_download` → `model_signing verify key`; interrupted
//!   uploads resume, a failed version creation re-run completes, a model changed after signing
//!   is refused before any upload.

use crate::support::kaggle::{Fault, LocalKaggle, Origin};
use crate::support::tree_state;
use crate::support::{
    Run, copy_tree, det_bytes, hubsign, key, model_signing, model_signing_cmd, run, tempdir, write,
};
use std::path::{Path, PathBuf};
use std::process::Command;
use testhub::python::venv_python;

const FW: &str = "pyTorch";

/// A small model: a config, 2 MiB of weights, a tokenizer in a folder.
fn model(dir: &Path, name: &str, seed: &str) -> PathBuf {
    let m = dir.join(name);
    write(
        &m.join("config.json"),
        format!("{{\"hidden_size\": 64, \"seed\": \"{seed}\"}}\n").as_bytes(),
    );
    write(
        &m.join("model.safetensors"),
        &det_bytes(&format!("{seed}/weights"), 2 << 20),
    );
    write(
        &m.join("tokenizer/vocab.txt"),
        &det_bytes(&format!("{seed}/vocab"), 4096),
    );
    m
}

/// Signs `dir` with model_signing (key method) into `.kaggle/signing.json`, where
/// `kagglehub.model_upload(..., sigstore=True)` puts its signature.
fn sign_with_model_signing(ms: &Path, dir: &Path, private_key: &str) {
    std::fs::create_dir_all(dir.join(".kaggle")).unwrap();
    let mut c = model_signing_cmd(ms);
    c.args(["sign", "key"])
        .arg(dir)
        .arg("--signature")
        .arg(dir.join(".kaggle/signing.json"))
        .arg("--private_key")
        .arg(key(private_key));
    run(c).ok();
}

fn key_path(name: &str) -> String {
    key(name).to_str().unwrap().to_owned()
}

/// One test's world: a Kaggle server, an empty HOME, a kagglehub cache, credentials.
struct Env {
    server: ServerRef,
    owner: String,
    home: tempfile::TempDir,
    work: tempfile::TempDir,
    token: String,
}

enum ServerRef {
    Own(LocalKaggle),
    /// The shared server, with the read side of its settings lock held (no other test changes
    /// its page size or upload faults meanwhile).
    Port80(
        &'static LocalKaggle,
        #[allow(dead_code, reason = "held for its drop")] std::sync::RwLockReadGuard<'static, ()>,
    ),
}

impl Env {
    /// A private server on an ephemeral port (faults are safe to inject), reached with
    /// `--kaggle-endpoint`.
    fn own(owner: &str) -> Self {
        let server = LocalKaggle::start();
        Self::with(ServerRef::Own(server), owner)
    }

    /// The shared server on port 80 that kagglehub reaches with KAGGLE_API_ENVIRONMENT=LOCALHOST.
    fn port_80(owner: &str) -> Self {
        let guard = crate::support::kaggle::SHARED_PORT_80_SETTINGS
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Self::with(ServerRef::Port80(LocalKaggle::shared_port_80(), guard), owner)
    }

    fn with(server: ServerRef, owner: &str) -> Self {
        let token = format!("kgat_throwaway_{owner}");
        let env = Self {
            server,
            owner: owner.to_owned(),
            home: tempdir(),
            work: tempdir(),
            token,
        };
        env.kaggle().add_user(owner, &format!("key-{owner}"), &env.token);
        env
    }

    /// A small model signed by model_signing with the fixture key, added to the server as the
    /// next version of `<owner>/<name>/pyTorch/base`; returns the model's directory.
    fn signed_version(&self, ms: &Path, name: &str, seed: &str) -> PathBuf {
        let m = model(self.work.path(), seed, seed);
        sign_with_model_signing(ms, &m, "p256.pem");
        self.kaggle().add_version(&self.owner, name, FW, "base", &m);
        m
    }

    fn kaggle(&self) -> &LocalKaggle {
        match &self.server {
            ServerRef::Own(s) => s,
            ServerRef::Port80(s, _) => s,
        }
    }

    fn cache(&self) -> PathBuf {
        self.home.path().join("kagglehub")
    }

    fn handle(&self, model: &str, variation: &str) -> String {
        format!("kaggle:{}/{model}/{FW}/{variation}", self.owner)
    }

    /// The requests this test's owner caused (the port-80 server is shared).
    fn requests(&self) -> Vec<crate::support::kaggle::Request> {
        let me = format!("\"{}\"", self.owner);
        self.kaggle()
            .requests()
            .into_iter()
            .filter(|r| {
                r.body.as_ref().is_some_and(|b| b.to_string().contains(&me))
                    || r.path.contains(&format!("/{}/", self.owner))
                    || r.authorization
                        .as_deref()
                        .is_some_and(|a| a.contains(&self.token))
            })
            .collect()
    }

    fn env(&self, c: &mut Command) {
        c.env("HOME", self.home.path())
            .env("KAGGLEHUB_CACHE", self.cache())
            .env("KAGGLE_API_TOKEN", &self.token)
            .env_remove("KAGGLE_USERNAME")
            .env_remove("KAGGLE_KEY")
            .env_remove("KAGGLE_CONFIG_DIR")
            .env_remove("HUBSIGN_KAGGLE_ENDPOINT");
        match &self.server {
            ServerRef::Own(s) => {
                c.env_remove("KAGGLE_API_ENVIRONMENT")
                    .env("HUBSIGN_KAGGLE_ENDPOINT", s.endpoint());
            }
            ServerRef::Port80(..) => {
                c.env("KAGGLE_API_ENVIRONMENT", "LOCALHOST");
            }
        }
    }

    fn hs(&self, args: &[&str]) -> Run {
        let mut c = hubsign();
        c.args(args);
        self.env(&mut c);
        run(c)
    }

    fn python(&self, py: &Path, script: &str) -> Run {
        let mut c = Command::new(py);
        c.arg("-c").arg(script).env("PYTHONWARNINGS", "ignore");
        self.env(&mut c);
        run(c)
    }
}

/// Every file below `dir` with its bytes' digest (what "unchanged" means for a cache).
fn state(dir: &Path) -> std::collections::BTreeMap<String, String> {
    tree_state(dir)
}

#[test]
fn a_kagglehub_upload_signed_by_model_signing_pulls_verified_and_loads_offline() {
    let Some(py) = venv_python() else { return };
    let Some(ms) = model_signing() else { return };
    let env = Env::port_80("ks-interop");
    let m = model(env.work.path(), "m", "v1");
    sign_with_model_signing(&ms, &m, "p256.pem");
    // The real client uploads it (the signature travels in its folder).
    let upload = format!(
        "import kagglehub\nkagglehub.model_upload({:?}, {:?}, version_notes='signed by model_signing')\n",
        format!("{}/tiny/{FW}/base", env.owner),
        m.to_str().unwrap()
    );
    env.python(&py, &upload).ok();
    let stored = env
        .kaggle()
        .version_files(&env.owner, "tiny", FW, "base", 1)
        .expect("kagglehub uploaded version 1");
    assert!(stored.contains_key(".kaggle/signing.json"), "{:?}", stored.keys());

    // check: the listing and the signature only; no weight is fetched.
    let handle = env.handle("tiny", "base");
    let k = key_path("p256.pub.pem");
    env.kaggle().clear_requests();
    env.hs(&["check", &handle, "--public-key", &k])
        .ok()
        .stdout_has("Check passed")
        .stdout_has(&format!("{handle}/1"));
    let downloads: Vec<String> = env
        .requests()
        .iter()
        .filter(|r| r.rpc.as_deref() == Some("DownloadModelInstanceVersion"))
        .map(|r| {
            r.body.as_ref().unwrap()["path"]
                .as_str()
                .unwrap_or("<archive>")
                .to_owned()
        })
        .collect();
    assert_eq!(downloads, [".kaggle/signing.json"]);

    // pull (no version: the latest, pinned and printed) into the kagglehub cache.
    let out = env.hs(&["pull", &handle, "--public-key", &k]);
    out.ok().stderr_has(&format!("Verified {handle}/1"));
    let dir = PathBuf::from(out.stdout().trim());
    assert_eq!(
        dir,
        env.cache().join(format!("models/{}/tiny/{FW}/base/1", env.owner))
    );
    assert!(
        env.cache()
            .join(format!("models/{}/tiny/{FW}/base/1.complete", env.owner))
            .is_file()
    );
    for (rel, bytes) in &stored {
        assert_eq!(&std::fs::read(dir.join(rel)).unwrap(), bytes, "{rel}");
    }
    // No Kaggle credential ever reached the file origin.
    assert!(
        env.kaggle()
            .requests()
            .iter()
            .filter(|r| r.origin == Origin::Files)
            .all(|r| r.authorization.is_none())
    );

    // kagglehub finds it: the same directory, and not one request to the server.
    env.kaggle().clear_requests();
    let got = env.python(
        &py,
        &format!(
            "import kagglehub\nprint(kagglehub.model_download({:?}))\n",
            format!("{}/tiny/{FW}/base/1", env.owner)
        ),
    );
    got.ok();
    assert_eq!(got.stdout().trim(), dir.to_str().unwrap());
    assert_eq!(env.requests(), Vec::new(), "kagglehub went to the network");

    // model_signing accepts the directory hubsign committed.
    let mut v = model_signing_cmd(&ms);
    v.args(["verify", "key"])
        .arg(&dir)
        .arg("--signature")
        .arg(dir.join(".kaggle/signing.json"))
        .arg("--public_key")
        .arg(key("p256.pub.pem"));
    run(v).ok();

    // verify-cache re-checks it offline (latest = the highest cached version).
    env.hs(&["verify-cache", &handle, "--public-key", &k])
        .ok()
        .stdout_has(dir.to_str().unwrap());
}

#[test]
fn refused_kaggle_versions_leave_the_kagglehub_cache_unchanged() {
    let Some(ms) = model_signing() else { return };
    let env = Env::own("ks-refuse");
    let k = key_path("p256.pub.pem");
    let good = model(env.work.path(), "good", "v1");
    sign_with_model_signing(&ms, &good, "p256.pem");
    let kaggle = env.kaggle();
    assert_eq!(kaggle.add_version(&env.owner, "m", FW, "base", &good), 1);
    let handle = env.handle("m", "base");
    env.hs(&["pull", &format!("{handle}/1"), "--public-key", &k]).ok();
    let before = state(&env.cache());
    assert!(
        before.keys().any(|p| p.ends_with("base/1.complete")),
        "{before:?}"
    );

    // Version 2: changed weights under the old signature.
    let changed = env.work.path().join("changed");
    copy_tree(&good, &changed);
    std::fs::write(
        changed.join("model.safetensors"),
        det_bytes("other/weights", 2 << 20),
    )
    .unwrap();
    assert_eq!(kaggle.add_version(&env.owner, "m", FW, "base", &changed), 2);
    env.hs(&["pull", &format!("{handle}/2"), "--public-key", &k])
        .expect_code(1)
        .stderr_has("model.safetensors");
    assert_eq!(state(&env.cache()), before);

    // Version 3: a file the signature does not cover — refused before any weight is fetched.
    let extra = env.work.path().join("extra");
    copy_tree(&good, &extra);
    write(&extra.join("run_me.py"), b"import os\n");
    assert_eq!(kaggle.add_version(&env.owner, "m", FW, "base", &extra), 3);
    kaggle.clear_requests();
    env.hs(&["pull", &handle, "--public-key", &k])
        .expect_code(1)
        .stderr_has("run_me.py");
    assert!(
        !env.requests()
            .iter()
            .any(|r| r.body.as_ref().is_some_and(|b| b["path"] == "model.safetensors")),
        "weights were fetched for a refused version"
    );
    assert_eq!(state(&env.cache()), before);

    // A wrong key.
    env.hs(&[
        "pull",
        &format!("{handle}/1"),
        "--public-key",
        &key_path("other-p256.pub.pem"),
    ])
    .expect_code(1);
    assert_eq!(state(&env.cache()), before);

    // A listing that lies about a size (a files manifest holds no sizes, so the bytes show
    // it): the hub's answer is malformed, exit 2, nothing kept.
    kaggle.inject(Fault::SizeInListing {
        path: "model.safetensors".into(),
        size: 5,
    });
    env.hs(&["pull", &format!("{handle}/1"), "--public-key", &k])
        .expect_code(2)
        .stderr_has("model.safetensors is longer than the 5 bytes listed");
    kaggle.clear_faults();
    assert_eq!(state(&env.cache()), before);

    // Bytes that differ from what was signed (same size): refused after download, nothing kept.
    kaggle.inject(Fault::CorruptBody {
        path: "model.safetensors".into(),
    });
    std::fs::remove_dir_all(env.cache()).unwrap();
    env.hs(&["pull", &format!("{handle}/1"), "--public-key", &k])
        .expect_code(1)
        .stderr_has("model.safetensors");
    assert!(!env.cache().join("models").exists(), "{:?}", state(&env.cache()));
    kaggle.clear_faults();
}

#[test]
fn kaggle_transfers_resume_and_hostile_answers_are_bounded() {
    let Some(ms) = model_signing() else { return };
    let env = Env::own("ks-faults");
    let k = key_path("p256.pub.pem");
    env.signed_version(&ms, "m", "faults");
    let kaggle = env.kaggle();
    let handle = format!("{}/1", env.handle("m", "base"));

    // Dropped twice after 300 KiB and a 500 from the API once: resumed with Range, verified.
    kaggle.inject(Fault::TruncateBody {
        path: "model.safetensors".into(),
        after: 300 << 10,
        times: 2,
    });
    kaggle.inject(Fault::ServerError {
        rpc_or_path_contains: "ListModelInstanceVersionFiles".into(),
        status: 500,
        times: 1,
    });
    env.hs(&["pull", &handle, "--public-key", &k]).ok();
    let ranges: Vec<String> = kaggle
        .requests()
        .iter()
        .filter(|r| r.origin == Origin::Files && r.path.contains("model.safetensors"))
        .filter_map(|r| r.range.clone())
        .collect();
    assert_eq!(ranges.len(), 2, "{ranges:?}");
    kaggle.clear_faults();

    // A listing that pages in a loop, an endless listing: exit 2, bounded, nothing cached.
    std::fs::remove_dir_all(env.cache()).unwrap();
    kaggle.inject(Fault::LoopingPageToken);
    env.hs(&["pull", &handle, "--public-key", &k])
        .expect_code(2)
        .stderr_has("loop");
    kaggle.clear_faults();
    kaggle.inject(Fault::EndlessBody {
        rpc_or_path_contains: "ListModelInstanceVersionFiles".into(),
    });
    env.hs(&["pull", &handle, "--public-key", &k])
        .expect_code(2)
        .stderr_has("larger than");
    kaggle.clear_faults();
    assert!(!env.cache().join("models").exists());

    // A model that does not exist; an unknown framework; a bad version.
    env.hs(&["pull", &env.handle("nosuch", "base"), "--public-key", &k])
        .expect_code(2)
        .stderr_has("not found");
    env.hs(&["pull", "kaggle:o/m/torchy/v", "--public-key", &k])
        .expect_code(2)
        .stderr_has("unknown framework");
    env.hs(&[
        "pull",
        &env.handle("m", "base"),
        "--revision",
        "x1",
        "--public-key",
        &k,
    ])
    .expect_code(2);
}

#[test]
fn private_kaggle_models_need_credentials_which_never_leave_the_api() {
    let Some(ms) = model_signing() else { return };
    let env = Env::own("ks-private");
    let k = key_path("p256.pub.pem");
    env.signed_version(&ms, "secret", "private");
    let kaggle = env.kaggle();
    kaggle.set_private(&env.owner, "secret", &env.owner);
    let handle = env.handle("secret", "base");

    let mut anon = hubsign();
    anon.args(["pull", &handle, "--public-key", &k]);
    env.env(&mut anon);
    anon.env_remove("KAGGLE_API_TOKEN");
    run(anon).expect_code(2).stderr_has("KAGGLE_API_TOKEN");

    // Legacy credentials: KAGGLE_USERNAME + KAGGLE_KEY (Basic), and kaggle.json.
    let mut legacy = hubsign();
    legacy.args(["pull", &handle, "--public-key", &k]);
    env.env(&mut legacy);
    legacy
        .env_remove("KAGGLE_API_TOKEN")
        .env("KAGGLE_USERNAME", &env.owner)
        .env("KAGGLE_KEY", format!("key-{}", env.owner));
    run(legacy).ok();
    let conf = env.work.path().join("conf");
    write(
        &conf.join("kaggle.json"),
        format!("{{\"username\": \"{0}\", \"key\": \"key-{0}\"}}", env.owner).as_bytes(),
    );
    let mut from_file = hubsign();
    from_file.args(["check", &handle, "--public-key", &k]);
    env.env(&mut from_file);
    from_file
        .env_remove("KAGGLE_API_TOKEN")
        .env("KAGGLE_CONFIG_DIR", &conf);
    run(from_file).ok();
    // A token in a file named by KAGGLE_API_TOKEN.
    let token_file = env.work.path().join("token");
    write(&token_file, format!("{}\n", env.token).as_bytes());
    let mut by_path = hubsign();
    by_path.args(["check", &handle, "--public-key", &k]);
    env.env(&mut by_path);
    by_path.env("KAGGLE_API_TOKEN", &token_file);
    let r = run(by_path);
    r.ok();
    assert!(!r.stdout().contains(&env.token) && !r.stderr().contains(&env.token));

    let files: Vec<_> = kaggle
        .requests()
        .into_iter()
        .filter(|r| r.origin == Origin::Files)
        .collect();
    assert!(!files.is_empty());
    assert!(files.iter().all(|r| r.authorization.is_none()), "{files:?}");
}

#[test]
fn hubsign_push_to_kaggle_is_accepted_by_kagglehub_and_model_signing() {
    let Some(py) = venv_python() else { return };
    let Some(ms) = model_signing() else { return };
    let env = Env::port_80("ks-push");
    let m = model(env.work.path(), "m", "push");
    let handle = env.handle("pushed", "base");
    let out = env.hs(&[
        "push",
        m.to_str().unwrap(),
        &handle,
        "--private-key",
        &key_path("p256.pem"),
    ]);
    out.ok();
    assert_eq!(out.stdout().trim(), format!("{handle}/1"));
    assert!(m.join(".kaggle/signing.json").is_file());

    let got = env.python(
        &py,
        &format!(
            "import kagglehub\nprint(kagglehub.model_download({:?}))\n",
            format!("{}/pushed/{FW}/base/1", env.owner)
        ),
    );
    got.ok();
    let dir = PathBuf::from(got.stdout().trim().lines().last().unwrap());
    assert!(dir.join(".kaggle/signing.json").is_file());
    assert!(dir.join("tokenizer/vocab.txt").is_file());
    let mut v = model_signing_cmd(&ms);
    v.args(["verify", "key"])
        .arg(&dir)
        .arg("--signature")
        .arg(dir.join(".kaggle/signing.json"))
        .arg("--public_key")
        .arg(key("p256.pub.pem"));
    run(v).ok();

    // A second push with changed weights makes version 2 (the old signature is replaced).
    std::fs::write(m.join("model.safetensors"), det_bytes("push/v2", 1 << 20)).unwrap();
    env.hs(&[
        "push",
        m.to_str().unwrap(),
        &handle,
        "--public-key",
        &key_path("p256.pub.pem"),
    ])
    .expect_code(1)
    .stderr_has("model.safetensors");
    assert_eq!(
        env.kaggle().latest_version(&env.owner, "pushed", FW, "base"),
        Some(1)
    );
    let out = env.hs(&[
        "push",
        m.to_str().unwrap(),
        &handle,
        "--private-key",
        &key_path("p256.pem"),
        "--resign",
    ]);
    out.ok();
    assert_eq!(out.stdout().trim(), format!("{handle}/2"));
}

#[test]
fn interrupted_kaggle_pushes_resume_and_changed_models_are_refused_before_upload() {
    let Some(ms) = model_signing() else { return };
    let _ = ms;
    let env = Env::own("ks-resume");
    let kaggle = env.kaggle();
    let m = model(env.work.path(), "m", "resume");
    let handle = env.handle("r", "base");
    let k = key_path("p256.pem");

    // The first two PUTs are cut after 16 bytes: each upload asks how far it got and goes on.
    kaggle.inject(Fault::InterruptUpload { after: 16, times: 2 });
    let out = env.hs(&["push", m.to_str().unwrap(), &handle, "--private-key", &k]);
    out.ok();
    assert_eq!(out.stdout().trim(), format!("{handle}/1"));
    let stored = kaggle.version_files(&env.owner, "r", FW, "base", 1).unwrap();
    assert_eq!(
        stored["model.safetensors"],
        std::fs::read(m.join("model.safetensors")).unwrap()
    );
    assert_eq!(
        stored[".kaggle/signing.json"],
        std::fs::read(m.join(".kaggle/signing.json")).unwrap()
    );
    let status_queries = kaggle
        .requests()
        .iter()
        .filter(|r| r.origin == Origin::Files && r.method == "PUT")
        .count();
    // 4 files, plus a status query and a resumed PUT for each of the 2 cut ones.
    assert_eq!(status_queries, 8, "{status_queries} PUTs");
    // The resumed PUTs start where the file origin said it got to, not at byte 0.
    let resumed = kaggle
        .requests()
        .iter()
        .filter(|r| {
            r.content_range
                .as_deref()
                .is_some_and(|c| c.starts_with("bytes 16-"))
        })
        .count();
    assert_eq!(resumed, 2);
    kaggle.clear_faults();

    // An origin that cuts every PUT: the budget runs out (progress of a few bytes earns no
    // credit), exit 2, nothing published.
    kaggle.inject(Fault::InterruptUpload {
        after: 16,
        times: 1000,
    });
    std::fs::write(m.join("config.json"), b"{\"hidden_size\": 64, \"retry\": 1}\n").unwrap();
    env.hs(&[
        "push",
        m.to_str().unwrap(),
        &handle,
        "--private-key",
        &k,
        "--resign",
    ])
    .expect_code(2)
    .stderr_has("gave up after 5 attempts");
    assert_eq!(kaggle.latest_version(&env.owner, "r", FW, "base"), Some(1));
    kaggle.clear_faults();

    // An origin that answers every PUT "308, nothing kept": each answer without progress costs
    // an attempt, so the upload gives up instead of sending the file for ever.
    kaggle.inject(Fault::DiscardUploadChunks { times: 1000 });
    env.hs(&[
        "push",
        m.to_str().unwrap(),
        &handle,
        "--private-key",
        &k,
        "--resign",
    ])
    .expect_code(2)
    .stderr_has("gave up after 5 attempts");
    assert_eq!(kaggle.latest_version(&env.owner, "r", FW, "base"), Some(1));
    kaggle.clear_faults();

    // Creating the version fails once: exit 2, nothing published; the re-run completes.
    std::fs::write(m.join("config.json"), b"{\"hidden_size\": 65}\n").unwrap();
    kaggle.inject(Fault::ServerError {
        rpc_or_path_contains: "CreateModelInstanceVersion".into(),
        status: 500,
        times: 1,
    });
    env.hs(&[
        "push",
        m.to_str().unwrap(),
        &handle,
        "--private-key",
        &k,
        "--resign",
    ])
    .expect_code(2);
    assert_eq!(kaggle.latest_version(&env.owner, "r", FW, "base"), Some(1));
    env.hs(&[
        "push",
        m.to_str().unwrap(),
        &handle,
        "--private-key",
        &k,
        "--resign",
    ])
    .ok()
    .stdout_has(&format!("{handle}/2"));

    // Changed after signing (keeping the signature): refused before any upload.
    std::fs::write(m.join("config.json"), b"{\"hidden_size\": 66}\n").unwrap();
    kaggle.clear_requests();
    env.hs(&[
        "push",
        m.to_str().unwrap(),
        &handle,
        "--public-key",
        &key_path("p256.pub.pem"),
    ])
    .expect_code(1)
    .stderr_has("config.json");
    assert!(
        kaggle
            .requests()
            .iter()
            .all(|r| r.rpc.as_deref() != Some("StartBlobUpload")),
        "an upload started for a model that no longer matches its signature"
    );
}

#[test]
fn kaggle_cache_reuse_partial_pulls_and_planted_symlinks() {
    let Some(py) = venv_python() else { return };
    let Some(ms) = model_signing() else { return };
    let env = Env::port_80("ks-cache");
    let k = key_path("p256.pub.pem");
    let m = env.signed_version(&ms, "c", "cache");
    let kaggle = env.kaggle();
    let handle = format!("{}/1", env.handle("c", "base"));
    let instance = env.cache().join(format!("models/{}/c/{FW}/base", env.owner));

    // A partial pull: only config.json, with kagglehub's per-file marker and no version marker;
    // kagglehub then serves that file offline.
    env.hs(&["pull", &handle, "config.json", "--public-key", &k])
        .ok()
        .stdout_has("config.json");
    assert!(instance.join(".complete/1/config.json.complete").is_file());
    assert!(!instance.join("1.complete").exists());
    assert!(!instance.join("1/model.safetensors").exists());
    kaggle.clear_requests();
    let got = env.python(
        &py,
        &format!(
            "import kagglehub\nprint(kagglehub.model_download({:?}, path='config.json'))\n",
            format!("{}/c/{FW}/base/1", env.owner)
        ),
    );
    got.ok();
    assert_eq!(
        got.stdout().trim(),
        instance.join("1/config.json").to_str().unwrap()
    );
    assert_eq!(env.requests(), Vec::new(), "kagglehub went to the network");

    // The whole version: config.json is re-hashed and reused, the rest downloaded; the
    // per-file markers give way to the version marker.
    let out = env.hs(&["pull", &handle, "--public-key", &k, "--json"]);
    out.ok();
    let doc: serde_json::Value = serde_json::from_str(&out.stdout()).unwrap();
    assert_eq!(doc["reused"], 1, "{doc}");
    assert_eq!(doc["pinned"], handle);
    assert!(instance.join("1.complete").is_file());
    assert!(!instance.join(".complete/1").exists());

    // A file of the cached version replaced by a symlink to a look-alike outside the cache:
    // not reused (nor followed), downloaded again, and the symlink is gone.
    let outside = env.work.path().join("outside.json");
    std::fs::copy(instance.join("1/config.json"), &outside).unwrap();
    std::fs::remove_file(instance.join("1/config.json")).unwrap();
    std::os::unix::fs::symlink(&outside, instance.join("1/config.json")).unwrap();
    // It is tampering (exit 1): kagglehub's cache holds regular files only.
    env.hs(&["verify-cache", &handle, "--public-key", &k])
        .expect_code(1)
        .stderr_has("is tampered")
        .stderr_has("config.json is a symbolic link; a snapshot of this cache holds only regular files");
    let out = env.hs(&["pull", &handle, "--public-key", &k, "--json"]);
    out.ok();
    let doc: serde_json::Value = serde_json::from_str(&out.stdout()).unwrap();
    assert_eq!(doc["reused"], 2, "{doc}");
    assert!(
        std::fs::symlink_metadata(instance.join("1/config.json"))
            .unwrap()
            .is_file()
    );

    // Offline "latest" is the highest version kagglehub would take as complete: a planted
    // higher folder without its marker is not it.
    copy_tree(&instance.join("1"), &instance.join("999"));
    env.hs(&["verify-cache", &env.handle("c", "base"), "--public-key", &k])
        .ok()
        .stdout_has(instance.join("1").to_str().unwrap());
    // A folder planted where the version marker goes is refused before any weight is fetched.
    std::fs::create_dir_all(instance.join("2.complete")).unwrap();
    kaggle.add_version(&env.owner, "c", FW, "base", &m);
    kaggle.clear_requests();
    env.hs(&[
        "pull",
        &format!("{}/2", env.handle("c", "base")),
        "--public-key",
        &k,
    ])
    .expect_code(2)
    .stderr_has("2.complete is not a regular file");
    // Only the signature was fetched (it is verified before the cache is looked at).
    assert!(
        env.requests()
            .iter()
            .filter(|r| r.origin == Origin::Files)
            .all(|r| r.path.contains("signing.json")),
        "{:?}",
        env.requests()
    );

    // A symlinked folder on the way into the cache is refused, nothing written through it.
    let elsewhere = env.work.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let owner_dir = env.cache().join(format!("models/{}", env.owner));
    std::fs::remove_dir_all(&owner_dir).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &owner_dir).unwrap();
    env.hs(&["pull", &handle, "--public-key", &k])
        .expect_code(2)
        .stderr_has("symlink");
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
}

#[test]
fn trust_policy_rules_name_kaggle_models() {
    let Some(ms) = model_signing() else { return };
    let env = Env::own("ks-policy");
    let m = env.signed_version(&ms, "p", "policy");
    let policy = env.work.path().join("policy.toml");
    write(
        &policy,
        format!(
            "[[trust]]\nrepos = [\"kaggle:{}/*/*/*\"]\npublic-key = {:?}\n\n[[trust]]\nrepos = [\"kaggle:other/*/*/*\"]\npublic-key = {:?}\n",
            env.owner,
            key_path("p256.pub.pem"),
            key_path("other-p256.pub.pem")
        )
        .as_bytes(),
    );
    let p = policy.to_str().unwrap();
    env.hs(&["check", &env.handle("p", "base"), "--policy", p]).ok();
    // The same model under the other rule's owner is judged by that rule's key.
    env.kaggle().add_version("other", "p", FW, "base", &m);
    env.hs(&["check", "kaggle:other/p/pyTorch/base", "--policy", p])
        .expect_code(1);
    env.hs(&["check", "kaggle:nobody/p/pyTorch/base", "--policy", p])
        .expect_code(2)
        .stderr_has("no rule for kaggle:nobody/p/pyTorch/base");
}

/// `pull --lock` records a Kaggle version, `sync` pulls that version into an empty kagglehub
/// cache after a newer one appeared (and kagglehub finds it offline), and `audit` walks the
/// kagglehub cache: a verified version, then the same version with a modified file.
#[test]
fn kaggle_versions_are_locked_synced_and_audited() {
    let Some(py) = venv_python() else { return };
    let Some(ms) = model_signing() else { return };
    let env = Env::port_80("ks-records");
    env.signed_version(&ms, "locked", "r1");
    let handle = env.handle("locked", "base");
    let k = key_path("p256.pub.pem");
    let lock = env.work.path().join("hubsign.lock");
    let lock_arg = format!("--lock={}", lock.display());
    env.hs(&["pull", &handle, "--public-key", &k, &lock_arg]).ok();
    let text = std::fs::read_to_string(&lock).unwrap();
    assert!(text.contains(&format!("ref = \"{handle}\"")), "{text}");
    assert!(text.contains("revision = \"latest\"\ncommit = \"1\""), "{text}");

    // Version 2 appears; sync into an empty cache still places version 1, which kagglehub
    // then serves by its handle with no request.
    env.signed_version(&ms, "locked", "r2");
    let fresh = tempdir();
    let mut c = hubsign();
    c.args(["sync", "--public-key", &k, "--lock"]).arg(&lock);
    env.env(&mut c);
    c.env("KAGGLEHUB_CACHE", fresh.path());
    run(c).ok().stderr_has(&format!("Synced {handle} at 1"));
    assert!(
        fresh
            .path()
            .join(format!("models/{}/locked/{FW}/base/1.complete", env.owner))
            .is_file()
    );
    assert!(
        !fresh
            .path()
            .join(format!("models/{}/locked/{FW}/base/2", env.owner))
            .exists()
    );
    let before = env.requests().len();
    let script = format!(
        "import kagglehub\nprint(kagglehub.model_download({:?}))\n",
        format!("{}/locked/{FW}/base/1", env.owner)
    );
    let mut c = Command::new(&py);
    c.arg("-c").arg(&script).env("PYTHONWARNINGS", "ignore");
    env.env(&mut c);
    c.env("KAGGLEHUB_CACHE", fresh.path());
    run(c).ok().stdout_has("/locked/pyTorch/base/1");
    assert_eq!(env.requests().len(), before, "kagglehub went to the network");

    // audit over the kagglehub cache (the Hugging Face cache is empty).
    let audit = |extra: &[&str]| {
        let mut c = hubsign();
        c.args(["audit", "--cache-dir"])
            .arg(env.work.path())
            .arg("--kagglehub-cache")
            .arg(fresh.path())
            .args(extra);
        env.env(&mut c);
        c.env_remove("HUBSIGN_POLICY")
            .env("XDG_CONFIG_HOME", env.work.path().join("no-config"));
        run(c)
    };
    let policy = env.work.path().join("policy.toml");
    std::fs::write(
        &policy,
        format!(
            "[[trust]]\nrepos = [\"kaggle:{}/*/*/*\"]\npublic-key = {k:?}\n",
            env.owner
        ),
    )
    .unwrap();
    let policy = policy.to_str().unwrap();
    let r = audit(&["--policy", policy, "--json"]);
    r.ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout()).unwrap();
    assert_eq!(v["snapshots"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["snapshots"][0]["reference"], handle.as_str());
    assert_eq!(v["snapshots"][0]["commit"], "1");
    assert_eq!(v["snapshots"][0]["verdict"], "verified", "{v}");
    let weights = fresh.path().join(format!(
        "models/{}/locked/{FW}/base/1/model.safetensors",
        env.owner
    ));
    let mut perms = std::fs::metadata(&weights).unwrap().permissions();
    #[expect(
        clippy::permissions_set_readonly_false,
        reason = "the test tampers with the file"
    )]
    perms.set_readonly(false);
    std::fs::set_permissions(&weights, perms).unwrap();
    crate::support::flip_byte(&weights, 7);
    let before = state(fresh.path());
    audit(&["--policy", policy])
        .expect_code(1)
        .stdout_has("tampered")
        .stdout_has("modified: model.safetensors");
    assert_eq!(state(fresh.path()), before, "audit changed the kagglehub cache");
    // A file deleted from a version kagglehub's marker calls complete is tampering too.
    std::fs::remove_file(&weights).unwrap();
    audit(&["--policy", policy])
        .expect_code(1)
        .stdout_has("missing: model.safetensors");
    // And deleting the marker as well does not turn it into "a partial pull": no per-file
    // markers record one.
    std::fs::remove_file(
        fresh
            .path()
            .join(format!("models/{}/locked/{FW}/base/1.complete", env.owner)),
    )
    .unwrap();
    audit(&["--policy", policy])
        .expect_code(1)
        .stdout_has("missing: model.safetensors");
}

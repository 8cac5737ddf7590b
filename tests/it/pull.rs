//! `hubsign pull`, `check` and `verify-cache` against the local hub: the cache layout the real
//! Python stack loads offline, and every way a pull must be refused with the cache unchanged.

use crate::support::hub::{Fault, LocalHub, Origin, python};
use crate::support::{Run, hubsign, key, run, tempdir, write};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

pub(crate) const REPO: &str = "hubsign/tiny-bert";

/// The bundled fixture model (signed by model_signing 1.1.1 with fixtures/keys/p256.pem),
/// plus the unsigned `.gitattributes` every Hub repository has.
pub(crate) fn signed_model(dir: &Path) -> PathBuf {
    let m = dir.join("tiny-bert");
    std::fs::create_dir_all(dir).unwrap();
    let status = Command::new("cp")
        .arg("-a")
        .arg(crate::support::fixtures().join("models/tiny-bert"))
        .arg(&m)
        .status()
        .unwrap();
    assert!(status.success());
    write(
        &m.join(".gitattributes"),
        b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n",
    );
    m
}

pub(crate) struct Env {
    pub hub: LocalHub,
    pub home: tempfile::TempDir,
    pub work: tempfile::TempDir,
}

impl Env {
    pub(crate) fn new() -> Self {
        let work = tempdir();
        let hub = LocalHub::start();
        hub.add_commit(REPO, &signed_model(work.path()));
        Self {
            hub,
            home: tempdir(),
            work,
        }
    }

    pub(crate) fn cache(&self) -> PathBuf {
        self.home.path().join("hub")
    }

    pub(crate) fn cmd(&self, args: &[&str]) -> Command {
        let mut c = hubsign();
        c.args(args)
            .env("HF_ENDPOINT", self.hub.endpoint())
            .env("HF_HOME", self.home.path())
            .env_remove("HF_TOKEN")
            .env_remove("HF_HUB_CACHE")
            .env_remove("HF_HUB_OFFLINE")
            .env_remove("HUGGINGFACE_HUB_CACHE");
        c
    }

    pub(crate) fn pull(&self, extra: &[&str]) -> Run {
        self.pull_trusting("p256.pub.pem", extra)
    }

    pub(crate) fn pull_trusting(&self, public_key: &str, extra: &[&str]) -> Run {
        let pubkey = key(public_key);
        let mut args = vec!["pull", REPO, "--public-key", pubkey.to_str().unwrap()];
        args.extend_from_slice(extra);
        run(self.cmd(&args))
    }

    /// Every path under HF_HOME with its type and content hash: "unchanged" means equal maps.
    /// The staging root beside the cache is left out (checked empty by `staged`).
    pub(crate) fn state(&self) -> BTreeMap<String, String> {
        let mut s = tree_state(self.home.path());
        s.remove(".hub.hubsign-staging");
        s
    }

    /// Staging leftovers (must be none after a pull ends, successfully or not).
    pub(crate) fn staged(&self) -> Vec<String> {
        let root = self.home.path().join(".hub.hubsign-staging");
        std::fs::read_dir(root)
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Every non-directory entry under `dir`, relative, symlinks not followed.
pub(crate) fn files_in(dir: &Path) -> std::collections::BTreeSet<String> {
    tree_state(dir)
        .into_iter()
        .filter(|(_, v)| v != "dir")
        .map(|(k, _)| k)
        .collect()
}

pub(crate) fn tree_state(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            let v = if meta.is_symlink() {
                format!("link:{}", std::fs::read_link(&p).unwrap().display())
            } else if meta.is_dir() {
                stack.push(p);
                "dir".to_owned()
            } else {
                use sha2::Digest as _;
                format!(
                    "file:{}",
                    hex::encode(sha2::Sha256::digest(std::fs::read(&p).unwrap()))
                )
            };
            out.insert(rel, v);
        }
    }
    out
}

#[test]
fn signed_pull_lays_out_the_cache_like_huggingface_hub() {
    let env = Env::new();
    let r = env.pull(&[]);
    r.ok().stderr_has("Verified hubsign/tiny-bert@");
    let snapshot = PathBuf::from(r.stdout().trim());
    let commit = env.hub.head(REPO, "main").unwrap();
    let repo = env.cache().join("models--hubsign--tiny-bert");
    assert_eq!(snapshot, repo.join("snapshots").join(&commit));
    // refs/main: exactly the 40-hex commit, no newline.
    assert_eq!(std::fs::read_to_string(repo.join("refs/main")).unwrap(), commit);
    // Relative symlinks into blobs/, named by LFS sha256 or git blob sha1.
    let weights = snapshot.join("model.safetensors");
    let target = std::fs::read_link(&weights).unwrap();
    assert!(
        target.is_relative() && target.starts_with("../../blobs"),
        "{}",
        target.display()
    );
    use sha2::Digest as _;
    let bytes = std::fs::read(&weights).unwrap();
    assert_eq!(
        target.file_name().unwrap().to_str().unwrap(),
        hex::encode(sha2::Sha256::digest(&bytes))
    );
    let vocab = std::fs::read_link(snapshot.join("tokenizer/vocab.txt")).unwrap();
    assert!(vocab.starts_with("../../../blobs"), "{}", vocab.display());
    let cfg = std::fs::read(snapshot.join("config.json")).unwrap();
    let sha1 = crate::support::hub::git_object_sha1("blob", &cfg);
    assert_eq!(
        std::fs::read_link(snapshot.join("config.json")).unwrap(),
        Path::new("../../blobs").join(&sha1)
    );
    // The signature is in the snapshot; the unsigned .gitattributes is not (so no trees/ file).
    assert!(snapshot.join("model.sig").exists());
    assert!(!snapshot.join(".gitattributes").exists());
    assert!(!repo.join("trees").join(format!("{commit}.json")).exists());
    assert!(env.staged().is_empty(), "{:?}", env.staged());
    // Offline re-verification of the cache.
    let pubkey = key("p256.pub.pem");
    run(env.cmd(&["verify-cache", REPO, "--public-key", pubkey.to_str().unwrap()]))
        .ok()
        .stdout_has(snapshot.to_str().unwrap());
    let mut offline = env.cmd(&["pull", REPO, "--public-key", pubkey.to_str().unwrap()]);
    offline.env("HF_HUB_OFFLINE", "1");
    env.hub.clear_requests();
    run(offline).ok().stdout_has(snapshot.to_str().unwrap());
    assert!(
        env.hub.requests().is_empty(),
        "HF_HUB_OFFLINE pull used the network"
    );
    // A second pull reuses the verified blobs instead of downloading.
    env.pull(&[]).ok().stderr_has("0 bytes downloaded");
    // Tampering with a cached blob is caught offline.
    let blob = repo.join("blobs").join(target.file_name().unwrap());
    let mut b = std::fs::read(&blob).unwrap();
    b[10] ^= 1;
    std::fs::write(&blob, b).unwrap();
    run(env.cmd(&["verify-cache", REPO, "--public-key", pubkey.to_str().unwrap()]))
        .expect_code(1)
        .stderr_has("modified: model.safetensors");
    // ... and a new pull replaces the corrupt blob with verified bytes.
    env.pull(&[]).ok();
    run(env.cmd(&["verify-cache", REPO, "--public-key", pubkey.to_str().unwrap()])).ok();
}

#[test]
fn the_python_stack_loads_the_pulled_snapshot_offline() {
    let Some(py) = python() else { return };
    let env = Env::new();
    let snapshot = env.pull(&[]).ok().stdout().trim().to_owned();
    let script = format!(
        "from huggingface_hub import snapshot_download\n\
         p = snapshot_download('{REPO}')\n\
         assert p == {snapshot:?}, (p, {snapshot:?})\n\
         from transformers import AutoConfig\n\
         c = AutoConfig.from_pretrained('{REPO}')\n\
         print('loaded', c.model_type, c.hidden_size)\n"
    );
    let mut c = Command::new(&py);
    c.arg("-c")
        .arg(script)
        .env("HF_HOME", env.home.path())
        .env("HF_HUB_OFFLINE", "1")
        .env("HF_HUB_DISABLE_TELEMETRY", "1");
    run(c).ok().stdout_has("loaded bert 32");
    // `hf cache verify` checks the blobs against the hub's listing.
    let hf = py.parent().unwrap().join("hf");
    let mut c = Command::new(hf);
    c.args(["cache", "verify", REPO])
        .env("HF_HOME", env.home.path())
        .env("HF_ENDPOINT", env.hub.endpoint())
        .env("HF_HUB_DISABLE_TELEMETRY", "1");
    let r = run(c);
    r.ok();
    assert!(
        r.stdout().contains("All checksums match") || r.stderr().contains("All checksums match"),
        "{}{}",
        r.stdout(),
        r.stderr()
    );
}

/// The Hub's oldest repositories have no organisation (`gpt2`, `datasets/squad`) and are still
/// served: `huggingface_hub` downloads them from the local hub into `models--gpt2`, and
/// `hubsign pull gpt2` (once refused with "expected ORG/NAME") makes the same cache folder.
#[test]
fn bare_legacy_names_pull_into_the_folder_huggingface_hub_uses() {
    let Some(py) = python() else { return };
    let env = Env::new();
    let sha = env
        .hub
        .add_commit("gpt2", &signed_model(&env.work.path().join("m")));
    let data_sha = env
        .hub
        .add_commit("datasets/squad", &signed_model(&env.work.path().join("d")));
    // The real client, against the local hub.
    let py_home = tempdir();
    let script = "from huggingface_hub import snapshot_download\n\
                  print(snapshot_download('gpt2'))\n\
                  print(snapshot_download('squad', repo_type='dataset'))\n";
    let mut c = Command::new(&py);
    c.arg("-c")
        .arg(script)
        .env("HF_HOME", py_home.path())
        .env("HF_ENDPOINT", env.hub.endpoint())
        .env("HF_HUB_DISABLE_XET", "1")
        .env("HF_HUB_DISABLE_TELEMETRY", "1")
        .env_remove("HF_TOKEN")
        .env_remove("HF_HUB_CACHE")
        .env_remove("HF_HUB_OFFLINE");
    let r = run(c);
    let py_paths: Vec<PathBuf> = r.ok().stdout().lines().map(PathBuf::from).collect();
    let py_hub = py_home.path().join("hub");
    assert_eq!(
        py_paths,
        [
            py_hub.join(format!("models--gpt2/snapshots/{sha}")),
            py_hub.join(format!("datasets--squad/snapshots/{data_sha}")),
        ]
    );
    // hubsign, the same names.
    let k = key("p256.pub.pem");
    for (reference, folder, commit, py_path) in [
        ("gpt2", "models--gpt2", &sha, &py_paths[0]),
        ("datasets/squad", "datasets--squad", &data_sha, &py_paths[1]),
    ] {
        let r = run(env.cmd(&["pull", reference, "--public-key", k.to_str().unwrap()]));
        let snapshot = PathBuf::from(r.ok().stdout().trim());
        assert_eq!(snapshot, env.cache().join(folder).join("snapshots").join(commit));
        // Everything huggingface_hub fetched but `.gitattributes`, which the signer ignored.
        let mut expected = files_in(py_path);
        assert!(expected.remove(".gitattributes"));
        assert_eq!(files_in(&snapshot), expected, "{reference}");
    }
    // Malformed names are still refused, saying why.
    for (reference, why) in [
        ("a/b/c", "too many '/'"),
        ("..", "ORG and NAME may hold"),
        ("hf:", "empty repository name"),
    ] {
        run(env.cmd(&["pull", reference, "--public-key", k.to_str().unwrap()]))
            .expect_code(2)
            .stderr_has(why);
    }
}

/// Runs a pull that must fail with `code`, then checks the cache is byte-for-byte unchanged and
/// nothing is left in staging.
pub(crate) fn refused(env: &Env, extra: &[&str], code: i32, needle: &str) {
    refused_trusting(env, "p256.pub.pem", extra, code, needle);
}

fn refused_trusting(env: &Env, public_key: &str, extra: &[&str], code: i32, needle: &str) {
    let before = env.state();
    let r = env.pull_trusting(public_key, extra);
    r.expect_code(code).stderr_has(needle);
    assert!(
        r.stdout().is_empty(),
        "no snapshot path may be printed: {}",
        r.stdout()
    );
    let after = env.state();
    assert_eq!(before, after, "cache changed by a refused pull ({needle})");
    assert!(env.staged().is_empty(), "staging left behind: {:?}", env.staged());
}

#[test]
fn tampered_weights_are_refused_and_nothing_is_cached() {
    let env = Env::new();
    env.hub.inject(Fault::CorruptBody {
        path: "model.safetensors".into(),
    });
    refused(&env, &[], 1, "model.safetensors");
    env.hub.clear_faults();
    env.hub.inject(Fault::CorruptBody {
        path: "config.json".into(),
    });
    refused(&env, &[], 1, "config.json");
}

#[test]
fn tampered_missing_or_foreign_signatures_are_refused_before_any_weight_is_downloaded() {
    let env = Env::new();
    // Wrong signer.
    env.hub.clear_requests();
    refused_trusting(&env, "other-p256.pub.pem", &[], 1, "key mismatch");
    assert!(
        env.hub
            .requests()
            .iter()
            .all(|r| r.origin == Origin::Hub && !r.path.contains("model.safetensors"))
    );
    // A signature whose payload was altered.
    let m = signed_model(&env.work.path().join("t"));
    let sig = m.join("model.sig");
    let mut b: serde_json::Value = serde_json::from_slice(&std::fs::read(&sig).unwrap()).unwrap();
    let p = b["dsseEnvelope"]["payload"]
        .as_str()
        .unwrap()
        .replacen('e', "f", 1);
    b["dsseEnvelope"]["payload"] = serde_json::json!(p);
    std::fs::write(&sig, serde_json::to_vec(&b).unwrap()).unwrap();
    env.hub.add_commit(REPO, &m);
    refused(&env, &[], 1, "does not verify");
    // Garbage instead of a signature.
    std::fs::write(&sig, b"not a bundle").unwrap();
    env.hub.add_commit(REPO, &m);
    refused(&env, &[], 1, "malformed");
    // No signature at all.
    std::fs::remove_file(&sig).unwrap();
    env.hub.add_commit(REPO, &m);
    refused(&env, &[], 1, "no signature file model.sig");
}

#[test]
fn listings_that_contradict_the_signature_are_refused_before_download() {
    let env = Env::new();
    // Weights replaced on the hub (new commit, same signature): the LFS sha256 differs.
    let m = signed_model(&env.work.path().join("w"));
    write(
        &m.join("model.safetensors"),
        &crate::support::det_bytes("evil", 65_553),
    );
    env.hub.add_commit(REPO, &m);
    env.hub.clear_requests();
    let pubkey = key("p256.pub.pem");
    let r = run(env.cmd(&["check", REPO, "--public-key", pubkey.to_str().unwrap()]));
    r.expect_code(1)
        .stderr_has("modified: model.safetensors")
        .stderr_has("before downloading");
    assert!(
        env.hub
            .requests()
            .iter()
            .all(|r| r.origin == Origin::Hub && !r.path.contains("model.safetensors")),
        "weights were requested"
    );
    refused(&env, &[], 1, "modified: model.safetensors");
    // An unsigned extra file: refused, unless --ignore-unsigned-files (then not downloaded).
    let m = signed_model(&env.work.path().join("x"));
    write(&m.join("extra.py"), b"import os; os.system('evil')\n");
    env.hub.add_commit(REPO, &m);
    refused(&env, &[], 1, "unexpected: extra.py");
    env.hub.clear_requests();
    let snap = env.pull(&["--ignore-unsigned-files"]).ok().stdout();
    assert!(!Path::new(snap.trim()).join("extra.py").exists());
    assert!(
        env.hub.requests().iter().all(|r| !r.path.contains("extra.py")),
        "unsigned file was downloaded"
    );
}

#[test]
fn hostile_file_names_in_the_listing_are_refused() {
    for evil in ["../../outside", "/etc/passwd", "a/../../b"] {
        let env = Env::new();
        env.hub.inject(Fault::RawTreeEntry(
            serde_json::json!({"type": "file", "oid": "0".repeat(40), "size": 3, "path": evil}),
        ));
        refused(&env, &[], 1, "unsafe file name");
    }
}

#[test]
fn transient_faults_are_retried_and_resumed_persistent_ones_fail_cleanly() {
    let env = Env::new();
    // One dropped connection mid-file: resumed with a Range request, verified, cached.
    env.hub.inject(Fault::TruncateBody {
        path: "model.safetensors".into(),
        after: 20_000,
        times: 1,
    });
    env.hub.inject(Fault::ServerError {
        path_contains: "config.json".into(),
        status: 503,
        times: 1,
    });
    env.pull(&[]).ok();
    let ranges: Vec<_> = env
        .hub
        .requests()
        .into_iter()
        .filter(|r| r.range.is_some())
        .collect();
    assert!(
        !ranges.is_empty(),
        "the truncated transfer was not resumed with Range"
    );
    // A stalled connection is dropped after --timeout and the transfer resumed.
    let env = Env::new();
    env.hub.inject(Fault::Stall {
        path: "model.safetensors".into(),
        after: 30_000,
        duration: std::time::Duration::from_secs(4),
    });
    env.pull(&["--timeout", "1"]).ok();
    assert!(
        env.hub.requests().iter().any(|r| r.range.is_some()),
        "the stalled transfer was not resumed"
    );
    // Persistent failures: the pull fails with exit 2 and leaves nothing.
    let env = Env::new();
    env.hub.inject(Fault::TruncateBody {
        path: "model.safetensors".into(),
        after: 1000,
        times: 100,
    });
    refused(&env, &[], 2, "model.safetensors");
    let env = Env::new();
    env.hub.inject(Fault::ServerError {
        path_contains: "resolve".into(),
        status: 500,
        times: 100,
    });
    refused(&env, &[], 2, "500");
}

#[test]
fn private_repos_need_the_token_and_it_never_reaches_the_cdn() {
    let env = Env::new();
    env.hub.set_private(REPO, "hf_secret_token_123");
    refused(&env, &[], 2, "not found, or it is private");
    let pubkey = key("p256.pub.pem");
    let mut c = env.cmd(&["pull", REPO, "--public-key", pubkey.to_str().unwrap()]);
    c.env("HF_TOKEN", "hf_secret_token_123");
    let r = run(c);
    r.ok();
    assert!(!r.stderr().contains("hf_secret_token_123") && !r.stdout().contains("hf_secret_token_123"));
    let reqs = env.hub.requests();
    assert!(
        reqs.iter().any(|r| r.origin == Origin::Cdn),
        "no LFS download went through the CDN"
    );
    assert!(
        reqs.iter()
            .filter(|r| r.origin == Origin::Cdn)
            .all(|r| r.authorization.is_none()),
        "token sent to the CDN"
    );
    // The token file is honoured too.
    let home_token = env.home.path().join("token");
    std::fs::write(&home_token, "hf_secret_token_123\n").unwrap();
    env.pull(&[]).ok();
}

#[test]
fn local_dir_and_trust_policy() {
    let env = Env::new();
    let dir = env.work.path().join("out");
    let r = env.pull(&["--local-dir", dir.to_str().unwrap()]);
    r.ok();
    assert!(dir.join("model.safetensors").is_file() && !dir.join("model.safetensors").is_symlink());
    assert!(
        !env.cache().join("models--hubsign--tiny-bert/snapshots").exists(),
        "--local-dir must not fill the cache"
    );
    // A policy file instead of signer flags.
    let policy = env.work.path().join("hubsign.toml");
    let keypath = key("p256.pub.pem");
    std::fs::write(
        &policy,
        format!(
            "[[trust]]\nrepos = [\"hubsign/*\"]\npublic-key = {:?}\n",
            keypath.to_str().unwrap()
        ),
    )
    .unwrap();
    run(env.cmd(&["pull", REPO, "--policy", policy.to_str().unwrap()])).ok();
    let wrong = env.work.path().join("wrong.toml");
    let other = key("other-p256.pub.pem");
    std::fs::write(
        &wrong,
        format!(
            "[[trust]]\nrepos = [\"hubsign/*\"]\npublic-key = {:?}\n",
            other.to_str().unwrap()
        ),
    )
    .unwrap();
    run(env.cmd(&["check", REPO, "--policy", wrong.to_str().unwrap()])).expect_code(1);
    let none = env.work.path().join("none.toml");
    std::fs::write(
        &none,
        "[[trust]]\nrepos = [\"other/*\"]\npublic-key = \"k.pem\"\n",
    )
    .unwrap();
    run(env.cmd(&["check", REPO, "--policy", none.to_str().unwrap()]))
        .expect_code(2)
        .stderr_has("no rule for hubsign/tiny-bert");
}

#[test]
fn killed_pulls_never_leave_a_visible_snapshot_and_the_next_pull_succeeds() {
    let env = Env::new();
    let pubkey = key("p256.pub.pem");
    // Slow the weights down so kills land mid-transfer, at different points each round.
    env.hub.inject(Fault::Stall {
        path: "model.safetensors".into(),
        after: 30_000,
        duration: std::time::Duration::from_millis(600),
    });
    let repo = env.cache().join("models--hubsign--tiny-bert");
    for (round, delay_ms) in [40u64, 150, 300, 450, 700, 900].into_iter().enumerate() {
        let mut child = env
            .cmd(&["pull", REPO, "--public-key", pubkey.to_str().unwrap()])
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let refs = repo.join("refs/main");
        let snapshots: Vec<_> = std::fs::read_dir(repo.join("snapshots"))
            .map(|d| d.flatten().collect())
            .unwrap_or_default();
        if refs.exists() || !snapshots.is_empty() {
            // Only possible if the kill landed after verification: then it must verify.
            run(env.cmd(&[
                "verify-cache",
                REPO,
                "--public-key",
                pubkey.to_str().unwrap(),
                "--revision",
                &env.hub.head(REPO, "main").unwrap(),
            ]))
            .ok();
        }
        eprintln!("round {round}: killed after {delay_ms} ms; ref {}", refs.exists());
    }
    env.hub.clear_faults();
    env.pull(&[]).ok();
    assert!(
        env.staged().is_empty(),
        "stale staging not cleaned: {:?}",
        env.staged()
    );
    run(env.cmd(&["verify-cache", REPO, "--public-key", pubkey.to_str().unwrap()])).ok();
}

#[test]
fn concurrent_pulls_of_the_same_model_end_with_one_correct_snapshot() {
    let env = Env::new();
    let pubkey = key("p256.pub.pem");
    let children: Vec<_> = (0..3)
        .map(|_| {
            env.cmd(&["pull", REPO, "--public-key", pubkey.to_str().unwrap()])
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    for o in &outs {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let paths: std::collections::BTreeSet<_> = outs
        .iter()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .collect();
    assert_eq!(paths.len(), 1);
    let snapshots = std::fs::read_dir(env.cache().join("models--hubsign--tiny-bert/snapshots"))
        .unwrap()
        .count();
    assert_eq!(snapshots, 1);
    run(env.cmd(&["verify-cache", REPO, "--public-key", pubkey.to_str().unwrap()])).ok();
}

//! `hubsign pull`, `check` and `verify-cache` against the local hub: the cache layout the real
//! Python stack loads offline, and every way a pull must be refused with the cache unchanged.

use crate::support::hub::{Fault, Origin};
use crate::support::hub_env::{Env, REPO, refused, refused_trusting};
use crate::support::{files_in, signed_model, tree_state};
use crate::support::{hubsign, key, run, tempdir, write};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use testhub::python::venv_python;

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
    let Some(py) = venv_python() else { return };
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
    let Some(py) = venv_python() else { return };
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
    env.hub
        .stall("model.safetensors", 30_000, std::time::Duration::from_secs(4));
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

/// Regression: a 429 answering a file's `open` (the transfer's own retry loop) waited the
/// backoff (a fraction of a second) and ignored the hub's `Retry-After`.
#[test]
fn a_rate_limited_file_open_waits_as_long_as_retry_after_asks() {
    let env = Env::new();
    env.hub.inject(Fault::RateLimit {
        path_contains: "config.json".into(),
        retry_after: "2".into(),
        times: 1,
    });
    let started = std::time::Instant::now();
    env.pull(&[]).ok();
    let waited = started.elapsed();
    let opens = env
        .hub
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("/resolve/") && r.path.ends_with("/config.json"))
        .map(|r| r.status)
        .collect::<Vec<_>>();
    assert_eq!(opens, [429, 200], "one refused open, then the file");
    assert!(
        waited >= std::time::Duration::from_secs(2),
        "retried after {waited:?}, before the 2 s Retry-After"
    );
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
    env.hub
        .stall("model.safetensors", 30_000, std::time::Duration::from_millis(600));
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

/// A blob re-hashed and reused when a pull starts, then rewritten in place while another file
/// of that pull still downloads: the commit finds it is no longer the file that was hashed
/// and refuses (exit 2) instead of linking the new snapshot to it.
#[test]
fn a_reused_blob_rewritten_during_the_pull_is_not_committed() {
    let env = Env::new();
    env.pull(&[]).ok();
    let snapshot = env
        .cache()
        .join("models--hubsign--tiny-bert/snapshots")
        .join(env.hub.head(REPO, "main").unwrap());
    std::fs::remove_file(std::fs::canonicalize(snapshot.join("model.safetensors")).unwrap()).unwrap();
    let blob = std::fs::canonicalize(snapshot.join("config.json")).unwrap();
    env.hub.clear_requests();
    let child = env.pull_stalled_at("model.safetensors", 1000, std::time::Duration::from_secs(2), &[]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let mut planted = std::fs::read(&blob).unwrap();
    planted[2] ^= 0x20;
    let mut perms = std::fs::metadata(&blob).unwrap().permissions();
    #[expect(
        clippy::permissions_set_readonly_false,
        reason = "the test tampers with the blob"
    )]
    perms.set_readonly(false);
    std::fs::set_permissions(&blob, perms).unwrap();
    std::fs::write(&blob, &planted).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("changed after this pull verified it"), "{stderr}");
}

/// The staging folder a pull of `REPO` at `commit` keeps its partial downloads in.
fn kept_partials(env: &Env, commit: &str) -> BTreeMap<String, u64> {
    let files = env
        .home
        .path()
        .join(".hub.hubsign-staging")
        .join(format!("models--hubsign--tiny-bert@{commit}"))
        .join("files");
    std::fs::read_dir(files)
        .map(|d| {
            d.flatten()
                .map(|e| {
                    let n = e.file_name().to_string_lossy().into_owned();
                    (n, e.metadata().unwrap().len())
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Body bytes the hub sent for `path` (the CDN serves LFS files).
/// A model with a 24 MiB weights file, signed, on the hub.
fn big_model(env: &Env) -> (String, u64) {
    let m = signed_model(&env.work.path().join("big"));
    let size = 24u64 << 20;
    write(
        &m.join("big.safetensors"),
        &crate::support::det_bytes("big.safetensors", usize::try_from(size).unwrap()),
    );
    std::fs::remove_file(m.join("model.sig")).unwrap();
    run({
        let mut c = hubsign();
        c.arg("sign").arg(&m).arg("--private-key").arg(key("p256.pem"));
        c
    })
    .ok();
    (env.hub.add_commit(REPO, &m), size)
}

/// A pull killed (SIGTERM) while it downloads a large file keeps what it wrote; the next pull
/// re-hashes that and resumes with `Range`, so the hub sends the file's bytes once plus at
/// most one chunk (the 1 MiB block the killed pull had not yet written), the files the killed
/// pull had finished are not fetched again, and nothing is left in staging afterwards.
#[test]
fn a_killed_pull_resumes_and_downloads_only_what_was_missing() {
    let env = Env::new();
    let (commit, size) = big_model(&env);
    env.hub.clear_requests();
    // Wait until the hub stalls (10 MiB of the weights sent) and the pull has written what it
    // received (the largest file in staging stops growing), then SIGTERM.
    let mut child = env.pull_stalled_at(
        "big.safetensors",
        10 << 20,
        std::time::Duration::from_secs(120),
        &[],
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let staging = env.home.path().join(".hub.hubsign-staging");
    let mut last = (0, std::time::Instant::now());
    loop {
        let now = tree_state(&staging)
            .keys()
            .filter_map(|k| std::fs::symlink_metadata(staging.join(k)).ok())
            .filter(std::fs::Metadata::is_file)
            .map(|m| m.len())
            .max()
            .unwrap_or(0);
        if now != last.0 {
            last = (now, std::time::Instant::now());
        } else if last.1.elapsed() > std::time::Duration::from_secs(1) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the pull never stalled");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let _ = child.wait();
    let first = env.hub.bytes_sent("big.safetensors");
    eprintln!("kept after the kill: {:?}", kept_partials(&env, &commit));
    // `hubsign staging` shows what the killed pull kept.
    let listed: serde_json::Value =
        serde_json::from_str(&run(env.cmd(&["staging", "--json"])).ok().stdout()).unwrap();
    let folder = &listed["staging"][0];
    assert_eq!(
        (
            folder["repo"].as_str(),
            folder["commit"].as_str(),
            folder["in_use"].as_bool()
        ),
        (Some(REPO), Some(commit.as_str()), Some(false)),
        "{listed}"
    );
    assert!(folder["bytes"].as_u64().unwrap() >= 8 << 20, "{listed}");

    env.hub.clear_faults();
    env.hub.clear_requests();
    env.pull(&[]).ok();
    let second = env.hub.bytes_sent("big.safetensors");
    eprintln!("{first} bytes before the kill, {second} after");
    let chunk = (1 << 20) + (128 << 10);
    assert!(
        first + second <= size + chunk,
        "{first} + {second} bytes sent for a {size}-byte file (at most one chunk more was expected)"
    );
    let resumed: Vec<_> = env
        .hub
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.contains("big.safetensors") && r.origin == Origin::Cdn)
        .collect();
    assert!(
        resumed
            .iter()
            .all(|r| r.range.as_deref().is_some_and(|x| x != "bytes=0-")),
        "not resumed with Range: {resumed:?}"
    );
    assert_eq!(
        env.hub.bytes_sent("config.json"),
        0,
        "a finished file was fetched again"
    );
    assert!(env.staged().is_empty(), "staging left: {:?}", env.staged());
    let pubkey = key("p256.pub.pem");
    run(env.cmd(&["verify-cache", REPO, "--public-key", pubkey.to_str().unwrap()])).ok();
}

/// `hubsign staging --clean` removes what a killed pull kept, never the folder of a pull still
/// running.
#[test]
fn staging_clean_removes_kept_downloads_but_not_a_running_pulls() {
    let env = Env::new();
    let mut child = env.pull_stalled_at(
        "model.safetensors",
        1000,
        std::time::Duration::from_secs(120),
        &[],
    );
    let listed = |args: &[&str]| -> serde_json::Value {
        let mut a = vec!["staging", "--json"];
        a.extend_from_slice(args);
        serde_json::from_str(&run(env.cmd(&a)).ok().stdout()).unwrap()
    };
    let running = listed(&[]);
    assert_eq!(running["staging"][0]["in_use"], true, "{running}");
    let cleaned = listed(&["--clean"]);
    assert_eq!(cleaned["removed"], serde_json::json!([]), "{cleaned}");
    assert_eq!(env.staged().len(), 1, "the running pull's folder was removed");
    let _ = child.kill();
    let _ = child.wait();
    let cleaned = listed(&["--clean"]);
    assert_eq!(cleaned["removed"][0]["repo"], REPO, "{cleaned}");
    assert!(env.staged().is_empty(), "{:?}", env.staged());
    let unknown = tempdir().path().join("nope");
    run(env.cmd(&["staging", "--local-dir", unknown.to_str().unwrap()]))
        .expect_code(2)
        .stderr_has("no such directory");
}

/// `hubsign staging --clean --local-dir DIR` removes what interrupted pulls into DIR kept
/// (in `DIR/.cache/hubsign/staging`) and nothing else: the files `--force` moved aside, and any
/// folder not named as a staging folder, survive it.
#[test]
fn staging_clean_in_a_local_dir_keeps_displaced_and_other_files() {
    let env = Env::new();
    let dir = env.work.path().join("project");
    write(&dir.join("key.pem"), b"the user's key\n");
    let r = env.pull(&["--local-dir", dir.to_str().unwrap(), "--force", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&r.ok().stdout()).unwrap();
    let displaced = dir
        .join(doc["displaced"]["folder"].as_str().unwrap())
        .join("key.pem");
    assert_eq!(std::fs::read(&displaced).unwrap(), b"the user's key\n");
    let own = dir.join(".cache/hubsign");
    let theirs = [own.join("notes/todo.txt"), own.join("staging/notes/todo.txt")];
    for p in &theirs {
        write(p, b"not hubsign's\n");
    }
    // An interrupted pull keeps its staging folder.
    env.hub.inject(Fault::TruncateBody {
        path: "model.safetensors".into(),
        after: 1000,
        times: 1000,
    });
    env.pull(&["--local-dir", dir.to_str().unwrap()]).expect_code(2);
    env.hub.clear_faults();
    let staging = |extra: &[&str]| -> serde_json::Value {
        let mut a = vec!["staging", "--json", "--local-dir", dir.to_str().unwrap()];
        a.extend_from_slice(extra);
        serde_json::from_str(&run(env.cmd(&a)).ok().stdout()).unwrap()
    };
    let listed = staging(&[]);
    let [kept] = listed["staging"].as_array().unwrap().as_slice() else {
        panic!("{listed}");
    };
    assert_eq!(kept["repo"], REPO, "{listed}");
    let cleaned = staging(&["--clean"]);
    let [removed] = cleaned["removed"].as_array().unwrap().as_slice() else {
        panic!("{cleaned}");
    };
    assert_eq!(removed["path"], kept["path"], "{cleaned}");
    assert!(!Path::new(kept["path"].as_str().unwrap()).exists());
    assert_eq!(std::fs::read(&displaced).unwrap(), b"the user's key\n");
    for p in &theirs {
        assert_eq!(std::fs::read(p).unwrap(), b"not hubsign's\n", "{p:?}");
    }
}

/// A `--local-dir` DIR whose `.cache/hubsign/staging` is a symlink (`-> ../..`, as a cloned
/// repository could hold) is not cleaned through: the user's old folders named like staging
/// folders beside it (no lock, no record) survive `hubsign staging --clean`.
#[test]
fn staging_clean_does_not_follow_a_symlinked_local_dir_staging_root() {
    let env = Env::new();
    let dir = env.work.path().join("clone");
    let own = dir.join(".cache/hubsign");
    std::fs::create_dir_all(&own).unwrap();
    std::os::unix::fs::symlink("../..", own.join("staging")).unwrap();
    let theirs = ["foo-bar123", "user@host", "backup@2024-01-01"];
    for name in theirs {
        write(&dir.join(name).join("notes.txt"), b"the user's\n");
        let old = std::process::Command::new("touch")
            .args(["-d", "3 hours ago"])
            .arg(dir.join(name))
            .status()
            .unwrap();
        assert!(old.success());
    }
    for extra in [&[][..], &["--clean"][..]] {
        let mut a = vec!["staging", "--json", "--local-dir", dir.to_str().unwrap()];
        a.extend_from_slice(extra);
        let doc: serde_json::Value = serde_json::from_str(&run(env.cmd(&a)).ok().stdout()).unwrap();
        let key = if extra.is_empty() { "staging" } else { "removed" };
        assert_eq!(doc[key], serde_json::json!([]), "{doc}");
    }
    for name in theirs {
        assert_eq!(
            std::fs::read(dir.join(name).join("notes.txt")).unwrap(),
            b"the user's\n",
            "{name}"
        );
    }
}

/// `--force` into a mount point is refused before anything is downloaded (the files would be
/// moved aside into its parent, another filesystem: the rename fails). Needs to mount a tmpfs
/// (root); skipped where that is not permitted.
#[test]
fn force_into_a_mount_point_is_refused_before_downloading() {
    struct Mounted(PathBuf);
    impl Drop for Mounted {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let env = Env::new();
    let dir = env.work.path().join("mnt");
    std::fs::create_dir(&dir).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64m", "tmpfs"])
        .arg(&dir)
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        crate::support::skip("--force into a mount point (needs root to mount a tmpfs)");
        return;
    }
    let _guard = Mounted(dir.clone());
    write(&dir.join("key.pem"), b"the user's key\n");
    env.pull(&["--local-dir", dir.to_str().unwrap(), "--force"])
        .expect_code(2)
        .stderr_has("mount point");
    let weights = env
        .hub
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("model.safetensors") && r.method == "GET")
        .count();
    assert_eq!(weights, 0, "downloaded before refusing");
    assert_eq!(std::fs::read(dir.join("key.pem")).unwrap(), b"the user's key\n");
}

/// `hubsign staging` prints the paths it lists with control characters escaped: a directory
/// name cannot drive the terminal.
#[test]
fn staging_output_escapes_control_characters_in_paths() {
    let env = Env::new();
    let dir = env.work.path().join("a\u{1b}]0;owned\u{7}b");
    let kept = dir.join(".cache/hubsign/staging/hubsign--tiny-bert@c1");
    write(&kept.join("files/ab-3.part"), b"abc");
    write(&kept.join(".lock"), b"");
    let out = run(env.cmd(&["staging", "--local-dir", dir.to_str().unwrap()]))
        .ok()
        .stdout();
    assert!(out.contains("hubsign--tiny-bert@c1"), "{out}");
    assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out:?}");
}

/// Regression: a FIFO planted as a staging folder's `.lock` hung every pull of that commit and
/// `hubsign staging`, and one planted as the cache's commit or blob lock hung every commit into
/// it. Lock files are opened without blocking: a pull stages privately instead, and a lock in
/// the cache that is not a regular file is an error naming it (exit 2).
#[test]
fn a_fifo_at_a_staging_or_cache_lock_does_not_hang() {
    use sha2::Digest as _;
    let env = Env::new();
    let commit = env.hub.head(REPO, "main").unwrap();
    let pubkey = key("p256.pub.pem");
    let pull = || {
        crate::support::run_within(
            env.cmd(&["pull", REPO, "--public-key", pubkey.to_str().unwrap()]),
            60,
        )
    };
    let mkfifo = |p: &Path| {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        assert!(Command::new("mkfifo").arg(p).status().unwrap().success());
    };
    let lock = env
        .home
        .path()
        .join(".hub.hubsign-staging")
        .join(format!("models--hubsign--tiny-bert@{commit}/.lock"));
    mkfifo(&lock);
    crate::support::run_within(env.cmd(&["staging", "--clean"]), 60).ok();
    pull().ok();
    use std::os::unix::fs::FileTypeExt as _;
    assert!(lock.symlink_metadata().unwrap().file_type().is_fifo());
    let locks = env.cache().join(".locks/models--hubsign--tiny-bert");
    std::fs::remove_dir_all(env.cache()).unwrap();
    mkfifo(&locks.join("hubsign-commit.lock"));
    pull()
        .expect_code(2)
        .stderr_has("hubsign-commit.lock")
        .stderr_has("not a regular file");
    std::fs::remove_dir_all(env.cache()).unwrap();
    let weights =
        std::fs::read(crate::support::fixtures().join("models/tiny-bert/model.safetensors")).unwrap();
    let etag = hex::encode(sha2::Sha256::digest(&weights));
    mkfifo(&locks.join(format!("{etag}.lock")));
    pull()
        .expect_code(2)
        .stderr_has(&format!("{etag}.lock"))
        .stderr_has("not a regular file");
}

/// Something planted where a commit's shared staging folder goes (a symlink or a file), or
/// where its lock goes (a folder or a symlink), does not stop pulls of that commit: they stage
/// in a private folder, and leave the planted entries (and what a symlink points at) alone.
#[test]
fn a_planted_staging_folder_or_lock_does_not_block_pulls() {
    let env = Env::new();
    let commit = env.hub.head(REPO, "main").unwrap();
    let root = env.home.path().join(".hub.hubsign-staging");
    let shared = root.join(format!("models--hubsign--tiny-bert@{commit}"));
    let elsewhere = env.work.path().join("elsewhere");
    write(&elsewhere.join("victim.txt"), b"not hubsign's\n");
    let plants: [(&str, &dyn Fn()); 4] = [
        ("a symlink as the folder", &|| {
            std::os::unix::fs::symlink(&elsewhere, &shared).unwrap();
        }),
        ("a file as the folder", &|| write(&shared, b"planted\n")),
        ("a folder as the lock", &|| {
            std::fs::create_dir_all(shared.join(".lock")).unwrap();
        }),
        ("a symlink as the lock", &|| {
            std::fs::create_dir_all(&shared).unwrap();
            std::os::unix::fs::symlink(elsewhere.join("victim.txt"), shared.join(".lock")).unwrap();
        }),
    ];
    for (what, plant) in plants {
        let _ = std::fs::remove_dir_all(env.cache());
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        plant();
        let (planted, target) = (tree_state(&root), tree_state(&elsewhere));
        eprintln!("{what}");
        env.pull(&[]).ok();
        assert_eq!(tree_state(&root), planted, "{what}");
        assert_eq!(tree_state(&elsewhere), target, "{what}");
    }
}

/// What a kept partial download holds is never trusted: a prefix that is not the file's bytes
/// is re-hashed, fails the hub's digest at the end, and the file is fetched again from its
/// first byte (once); a partial longer than the file is discarded before anything is resumed.
#[test]
fn kept_partial_downloads_that_are_not_the_files_bytes_are_fetched_again() {
    use sha2::Digest as _;
    let env = Env::new();
    let commit = env.hub.head(REPO, "main").unwrap();
    let src = crate::support::fixtures().join("models/tiny-bert");
    let weights = std::fs::read(src.join("model.safetensors")).unwrap();
    let size = weights.len();
    let sha = hex::encode(sha2::Sha256::digest(&weights));
    let files = env
        .home
        .path()
        .join(".hub.hubsign-staging")
        .join(format!("models--hubsign--tiny-bert@{commit}"))
        .join("files");
    // Half the file, but other bytes; and a config longer than the listed file.
    write(&files.join(format!("{sha}-{size}.part")), &vec![0x5a; size / 2]);
    let config = std::fs::read(src.join("config.json")).unwrap();
    let oid = crate::support::hub::git_object_sha1("blob", &config);
    let mut longer = config.clone();
    longer.extend_from_slice(b"trailing bytes");
    write(&files.join(format!("{oid}-{}.part", config.len())), &longer);
    env.pull(&[]).ok();
    let ranged: Vec<_> = env
        .hub
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("model.safetensors") && r.method == "GET" && r.status / 100 == 2)
        .map(|r| (r.range, r.bytes))
        .collect();
    assert_eq!(
        ranged,
        vec![
            (Some(format!("bytes={}-", size / 2)), (size - size / 2) as u64),
            (None, size as u64)
        ],
        "resumed after the kept half, then fetched again whole"
    );
    run(env.cmd(&[
        "verify-cache",
        REPO,
        "--public-key",
        key("p256.pub.pem").to_str().unwrap(),
    ]))
    .ok();
    assert!(env.staged().is_empty(), "{:?}", env.staged());
}

/// `--local-dir` keeps and resumes partial downloads the same way, in
/// `DIR/.cache/hubsign/staging`: a pull that fails mid-file (exit 2) keeps its folder and what
/// it wrote, the next pull re-hashes that and asks only for the rest with `Range`, and
/// afterwards only hubsign's record of the placed files is left in its folder.
#[test]
fn local_dir_pulls_resume_kept_partial_downloads() {
    let env = Env::new();
    let weights =
        std::fs::read(crate::support::fixtures().join("models/tiny-bert/model.safetensors")).unwrap();
    let size = weights.len();
    let dir = env.work.path().join("out");
    let own = dir.join(".cache/hubsign");
    env.hub.inject(Fault::TruncateBody {
        path: "model.safetensors".into(),
        after: 1000,
        times: 1000,
    });
    env.pull(&["--local-dir", dir.to_str().unwrap()])
        .expect_code(2)
        .stderr_has("model.safetensors");
    let part = files_in(&own)
        .into_iter()
        .find(|p| p.ends_with(&format!("-{size}.part")))
        .unwrap_or_else(|| panic!("the weights' download was not kept: {:?}", tree_state(&dir)));
    assert!(part.starts_with("staging/hubsign--tiny-bert@"), "{part}");
    let part = own.join(part);
    // The weights are less than one written block, so the failed pull kept none of their
    // bytes: put half of them there, as a pull killed halfway through a larger file leaves.
    let kept = size / 2;
    write(&part, &weights[..kept]);
    env.hub.clear_faults();
    env.hub.clear_requests();
    env.pull(&["--local-dir", dir.to_str().unwrap()]).ok();
    let fetched: Vec<_> = env
        .hub
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("model.safetensors") && r.method == "GET" && r.status / 100 == 2)
        .map(|r| (r.range, r.bytes))
        .collect();
    assert_eq!(
        fetched,
        vec![(Some(format!("bytes={kept}-")), (size - kept) as u64)]
    );
    assert_eq!(std::fs::read(dir.join("model.safetensors")).unwrap(), weights);
    assert_eq!(
        files_in(&own),
        ["placed.json".to_owned()].into_iter().collect(),
        "{:?}",
        tree_state(&own)
    );
}

/// A signed repository file inside hubsign's own folder (`.cache/hubsign/placed.json`) would
/// be renamed over its record in a `--local-dir` pull: the pull is refused before any of the
/// repository's files is downloaded, like an unsafe file name.
#[test]
fn a_signed_file_in_hubsigns_own_folder_is_refused_for_local_dir_before_download() {
    use hubsign::manifest::{HashAlgorithm, OwnFolder, Serialization, WalkOptions, build_manifest};
    let env = Env::new();
    let m = signed_model(&env.work.path().join("own"));
    write(&m.join(".cache/hubsign/placed.json"), b"{\"files\":{}}");
    let opts = WalkOptions {
        own_folder: OwnFolder::Include,
        ignore_paths: vec!["model.sig".into()],
        ..WalkOptions::default()
    };
    let man = build_manifest(&m, &opts, Serialization::Files, HashAlgorithm::Sha256).unwrap();
    let payload = hubsign::oms::statement::write_payload(&man);
    write(&m.join("model.sig"), &crate::formats::bundle(&payload, |_| {}));
    env.hub.add_commit(REPO, &m);
    env.hub.clear_requests();
    let dir = env.work.path().join("local");
    env.pull(&["--local-dir", dir.to_str().unwrap()])
        .expect_code(1)
        .stderr_has("inside hubsign's own folder");
    assert!(
        env.hub.requests().iter().all(|r| !r.path.contains("placed.json")
            && !r.path.contains("model.safetensors")
            && !r.path.contains("config.json")),
        "a file was downloaded: {:?}",
        env.hub.requests()
    );
    assert!(!dir.join(".cache/hubsign/placed.json").exists());
}

//! `hubsign.lock`, `hubsign sync` and `hubsign audit` against the local hub, with the real
//! `huggingface_hub` writing part of the cache and loading what sync placed.

use crate::support::hub::python;
use crate::support::hub_env::{Env, REPO};
use crate::support::{flip_byte, hs, key, model_signing, run, run_within, tempdir, write};
use crate::support::{signed_model, tree_state};
use std::path::{Path, PathBuf};
use std::process::Command;

const SECOND: &str = "hubsign/second";

/// A copy of the fixture model with `extra` written into it, signed by `private_key` with hubsign.
fn model_signed_by(dir: &Path, name: &str, private_key: &str, extra: &[u8]) -> PathBuf {
    let m = signed_model(&dir.join(name));
    write(&m.join("notes.txt"), extra);
    std::fs::remove_file(m.join("model.sig")).unwrap();
    hs([
        "sign",
        m.to_str().unwrap(),
        "--private-key",
        key(private_key).to_str().unwrap(),
    ])
    .ok();
    m
}

/// The key's fingerprint as `hubsign verify --json` reports it.
fn fingerprint(model: &Path, public_key: &str) -> String {
    let r = hs([
        "verify",
        model.to_str().unwrap(),
        "--public-key",
        key(public_key).to_str().unwrap(),
        "--json",
    ]);
    r.ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout()).unwrap();
    v["signer_id"]["fingerprint"].as_str().unwrap().to_owned()
}

fn sha256_file(p: &Path) -> String {
    use sha2::Digest as _;
    format!(
        "sha256:{}",
        hex::encode(sha2::Sha256::digest(std::fs::read(p).unwrap()))
    )
}

fn digest(model: &Path) -> String {
    hs(["digest", model.to_str().unwrap()])
        .ok()
        .stdout()
        .trim()
        .to_owned()
}

fn read_lock(path: &Path) -> toml::Value {
    toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn entry<'a>(lock: &'a toml::Value, reference: &str) -> &'a toml::Value {
    lock["model"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["ref"].as_str() == Some(reference))
        .unwrap_or_else(|| panic!("{reference} not in the lock: {lock}"))
}

impl Env {
    /// `hubsign audit` over this test's HF cache and `kagglehub` with `extra` flags; no policy
    /// from the environment or the user's config.
    fn audit(&self, kagglehub: &Path, extra: &[&str]) -> crate::support::Run {
        let cache = self.cache();
        let mut args = vec![
            "audit",
            "--cache-dir",
            cache.to_str().unwrap(),
            "--kagglehub-cache",
            kagglehub.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let mut c = self.cmd(&args);
        c.env_remove("HUBSIGN_POLICY")
            .env("XDG_CONFIG_HOME", self.work.path().join("no-config"));
        run(c)
    }

    fn in_work(&self, args: &[&str]) -> Command {
        let mut c = self.cmd(args);
        c.current_dir(self.work.path());
        c
    }
}

#[test]
fn pull_lock_records_both_models_and_refuses_a_new_signer_unless_accepted() {
    let env = Env::new();
    let first_commit = env
        .hub
        .add_commit(REPO, &signed_model(&env.work.path().join("a")));
    let second = model_signed_by(env.work.path(), "second", "p256.pem", b"v1\n");
    let second_commit = env.hub.add_commit(SECOND, &second);
    let p256 = key("p256.pub.pem");
    let p256 = p256.to_str().unwrap();
    let lock_path = env.work.path().join("hubsign.lock");

    // `--lock` alone writes ./hubsign.lock; `--lock=FILE` names it.
    run(env.in_work(&["pull", REPO, "--public-key", p256, "--lock"]))
        .ok()
        .stderr_has("Locked hubsign/tiny-bert@");
    run(env.in_work(&[
        "pull",
        SECOND,
        "--public-key",
        p256,
        &format!("--lock={}", lock_path.display()),
    ]))
    .ok();
    let lock = read_lock(&lock_path);
    assert_eq!(lock["version"].as_integer(), Some(1));
    let fp = fingerprint(&second, "p256.pub.pem");
    for (reference, commit, model, files) in [
        (
            "hf:hubsign/tiny-bert",
            &first_commit,
            signed_model(&env.work.path().join("b")),
            4,
        ),
        ("hf:hubsign/second", &second_commit, second.clone(), 5),
    ] {
        let e = entry(&lock, reference);
        assert_eq!(e["revision"].as_str(), Some("main"));
        assert_eq!(e["commit"].as_str(), Some(commit.as_str()), "{e}");
        assert_eq!(e["digest"].as_str(), Some(digest(&model).as_str()), "{e}");
        assert_eq!(
            e["signature"].as_str(),
            Some(sha256_file(&model.join("model.sig")).as_str())
        );
        assert_eq!(e["signer"]["method"].as_str(), Some("key"));
        assert_eq!(e["signer"]["fingerprint"].as_str(), Some(fp.as_str()), "{e}");
        // The files the signature covers (the signature itself not counted).
        assert_eq!(e["files"].as_integer(), Some(files), "{e}");
    }
    let text = std::fs::read_to_string(&lock_path).unwrap();
    assert!(
        text.find("hf:hubsign/second").unwrap() < text.find("hf:hubsign/tiny-bert").unwrap(),
        "entries are sorted: {text}"
    );

    // A new commit signed by another key the user also trusts: refused under the lock, before
    // any weight is downloaded, cache and lock unchanged — with --lock and with the default
    // ./hubsign.lock read without it.
    let moved = model_signed_by(env.work.path(), "second-v2", "other-p256.pem", b"v2\n");
    let new_commit = env.hub.add_commit(SECOND, &moved);
    let other = key("other-p256.pub.pem");
    let other = other.to_str().unwrap();
    let other_fp = fingerprint(&moved, "other-p256.pub.pem");
    let before = env.state();
    let requests_before = env.hub.requests().len();
    for lock_arg in [Some("--lock"), None] {
        let mut args = vec!["pull", SECOND, "--public-key", other];
        args.extend(lock_arg);
        let r = run(env.in_work(&args));
        r.expect_code(1)
            .stderr_has("hf:hubsign/second is locked to signer key ")
            .stderr_has(&fp)
            .stderr_has(&other_fp)
            .stderr_has("--accept-new-signer");
    }
    assert_eq!(env.state(), before, "a refused pull changed the cache");
    assert_eq!(
        std::fs::read_to_string(&lock_path).unwrap(),
        text,
        "a refused pull changed the lock"
    );
    let fetched: Vec<String> = env.hub.requests()[requests_before..]
        .iter()
        .map(|r| r.path.clone())
        .filter(|p| p.contains("notes.txt") || p.contains("model.safetensors"))
        .collect();
    assert!(
        fetched.is_empty(),
        "weights were fetched before the signer check: {fetched:?}"
    );

    // Accepted: the lock now names the new signer and commit.
    run(env.in_work(&[
        "pull",
        SECOND,
        "--public-key",
        other,
        "--lock",
        "--accept-new-signer",
    ]))
    .ok();
    let lock = read_lock(&lock_path);
    let e = entry(&lock, "hf:hubsign/second");
    assert_eq!(e["commit"].as_str(), Some(new_commit.as_str()));
    assert_eq!(e["signer"]["fingerprint"].as_str(), Some(other_fp.as_str()));
    assert_eq!(
        entry(&lock, "hf:hubsign/tiny-bert")["commit"].as_str(),
        Some(first_commit.as_str()),
        "the other entry is kept"
    );

    // A symlinked lock file is neither read nor written through.
    let target = env.work.path().join("elsewhere.lock");
    std::fs::write(&target, "").unwrap();
    let link = env.work.path().join("link.lock");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    run(env.in_work(&[
        "pull",
        REPO,
        "--public-key",
        p256,
        &format!("--lock={}", link.display()),
    ]))
    .expect_code(2)
    .stderr_has("is a symlink");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "");
}

#[test]
fn sync_pulls_the_locked_commit_after_the_branch_moved_and_refuses_an_edited_lock() {
    let Some(_) = model_signing() else { return };
    let py = python().unwrap();
    let env = Env::new();
    let p256 = key("p256.pub.pem");
    let p256 = p256.to_str().unwrap();
    run(env.in_work(&["pull", REPO, "--public-key", p256, "--lock"])).ok();
    let lock_path = env.work.path().join("hubsign.lock");
    let locked_commit = entry(&read_lock(&lock_path), "hf:hubsign/tiny-bert")["commit"]
        .as_str()
        .unwrap()
        .to_owned();
    // The branch moves on (same signer, new content).
    let moved = model_signed_by(env.work.path(), "moved", "p256.pem", b"moved\n");
    let head = env.hub.add_commit(REPO, &moved);
    assert_ne!(head, locked_commit);

    // Into an empty cache: the locked commit, not the head; the real huggingface_hub loads it
    // offline by that commit.
    let home = tempdir();
    let sync = |home: &Path, extra: &[&str]| {
        let mut c = env.in_work(&["sync", "--public-key", p256]);
        c.args(extra).env("HF_HOME", home);
        run(c)
    };
    let r = sync(home.path(), &[]);
    r.ok()
        .stderr_has(&format!("Synced hf:hubsign/tiny-bert at {locked_commit}"));
    let snapshots = home.path().join("hub/models--hubsign--tiny-bert/snapshots");
    let present: Vec<String> = std::fs::read_dir(&snapshots)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(present, vec![locked_commit.clone()]);
    let script = format!(
        "from huggingface_hub import snapshot_download\n\
         import json, os\n\
         p = snapshot_download({REPO:?}, revision={locked_commit:?})\n\
         print(json.load(open(os.path.join(p, 'config.json')))['model_type'])\n"
    );
    let out = Command::new(&py)
        .arg("-c")
        .arg(&script)
        .env("HF_HOME", home.path())
        .env("HF_HUB_OFFLINE", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "bert");

    // HF_HUB_OFFLINE: the cache is checked against the lock (and a modified blob fails it).
    let mut c = env.in_work(&["sync", "--public-key", p256, "--json"]);
    c.env("HF_HOME", home.path()).env("HF_HUB_OFFLINE", "1");
    let r = run(c);
    r.ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout()).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["entries"][0]["status"], "synced");
    let blob = std::fs::canonicalize(snapshots.join(&locked_commit).join("config.json")).unwrap();
    let mut perms = std::fs::metadata(&blob).unwrap().permissions();
    #[expect(
        clippy::permissions_set_readonly_false,
        reason = "the test tampers with the blob"
    )]
    perms.set_readonly(false);
    std::fs::set_permissions(&blob, perms).unwrap();
    flip_byte(&blob, 3);
    let mut c = env.in_work(&["sync", "--public-key", p256]);
    c.env("HF_HOME", home.path()).env("HF_HUB_OFFLINE", "1");
    run(c)
        .expect_code(1)
        .stderr_has("hf:hubsign/tiny-bert")
        .stderr_has("config.json");

    // Edited lock entries: each refused naming the entry, nothing of it cached.
    let good = std::fs::read_to_string(&lock_path).unwrap();
    let digest = entry(&read_lock(&lock_path), "hf:hubsign/tiny-bert")["digest"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut edited_digest = digest.clone();
    let last = edited_digest.pop().unwrap();
    edited_digest.push(if last == '0' { '1' } else { '0' });
    for (from, to, says) in [
        (digest.as_str(), edited_digest.as_str(), "digest"),
        (locked_commit.as_str(), head.as_str(), "signature sha256:"),
        (
            locked_commit.as_str(),
            "0123456789abcdef0123456789abcdef01234567",
            "no longer on the hub",
        ),
    ] {
        std::fs::write(&lock_path, good.replace(from, to)).unwrap();
        let home = tempdir();
        let r = sync(home.path(), &[]);
        r.expect_code(1)
            .stderr_has("hf:hubsign/tiny-bert differs from the lock")
            .stderr_has(says);
        let cached: Vec<String> = tree_state(home.path())
            .into_keys()
            .filter(|k| k.contains("snapshots/") || k.contains("blobs/"))
            .collect();
        assert!(cached.is_empty(), "{says}: something was cached: {cached:?}");
    }
    // An entry that differs (exit 1) beside one that cannot be decided (not on the hub, exit
    // 2, listed after it): the definite "no" is the exit code, so a gate testing for 1 sees it.
    let second = good
        .split("[[model]]")
        .nth(1)
        .unwrap()
        .replace("hf:hubsign/tiny-bert", "hf:zz-nobody/absent");
    std::fs::write(
        &lock_path,
        format!("{}[[model]]{second}", good.replace(&digest, &edited_digest)),
    )
    .unwrap();
    let home = tempdir();
    sync(home.path(), &[])
        .expect_code(1)
        .stderr_has("hf:hubsign/tiny-bert differs from the lock")
        .stderr_has("hf:zz-nobody/absent: not synced");
    std::fs::write(&lock_path, &good).unwrap();
    // A malformed lock is exit 2, naming the file.
    std::fs::write(&lock_path, good.replace("version = 1", "version = \"one\"")).unwrap();
    sync(tempdir().path(), &[])
        .expect_code(2)
        .stderr_has("hubsign.lock");
}

#[test]
fn audit_names_verified_tampered_and_unsigned_snapshots_and_filters_by_signer() {
    let Some(_) = model_signing() else { return };
    let py = python().unwrap();
    let env = Env::new();
    env.hub
        .add_commit("hubsign/tampered", &signed_model(&env.work.path().join("t")));
    let unsigned = signed_model(&env.work.path().join("u"));
    std::fs::remove_file(unsigned.join("model.sig")).unwrap();
    env.hub.add_commit("hubsign/unsigned", &unsigned);
    let second = model_signed_by(env.work.path(), "other", "other-p256.pem", b"other\n");
    env.hub.add_commit(SECOND, &second);
    let p256 = key("p256.pub.pem");
    let p256 = p256.to_str().unwrap();
    run(env.cmd(&["pull", REPO, "--public-key", p256])).ok();
    let tampered = run(env.cmd(&["pull", "hubsign/tampered", "--public-key", p256]));
    tampered.ok();
    run(env.cmd(&[
        "pull",
        SECOND,
        "--public-key",
        key("other-p256.pub.pem").to_str().unwrap(),
    ]))
    .ok();
    // The unsigned model comes from the real huggingface_hub, into the same cache.
    let out = Command::new(&py)
        .arg("-c")
        .arg("from huggingface_hub import snapshot_download\nprint(snapshot_download('hubsign/unsigned'))")
        .env("HF_ENDPOINT", env.hub.endpoint())
        .env("HF_HOME", env.home.path())
        .env("HF_HUB_DISABLE_XET", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // A blob of the tampered model changes after the pull.
    let snap = PathBuf::from(tampered.stdout().trim());
    let blob = std::fs::canonicalize(snap.join("model.safetensors")).unwrap();
    let mut perms = std::fs::metadata(&blob).unwrap().permissions();
    #[expect(
        clippy::permissions_set_readonly_false,
        reason = "the test tampers with the blob"
    )]
    perms.set_readonly(false);
    std::fs::set_permissions(&blob, perms).unwrap();
    flip_byte(&blob, 100);

    let policy = env.work.path().join("policy.toml");
    std::fs::write(
        &policy,
        format!(
            "[[trust]]\nrepos = [\"hubsign/tiny-bert\", \"hubsign/tampered\", \"hubsign/unsigned\"]\npublic-key = {p256:?}\n"
        ),
    )
    .unwrap();
    let kaggle = tempdir();
    let audit = |extra: &[&str]| env.audit(kaggle.path(), extra);
    let before = tree_state(env.home.path());
    let r = audit(&["--policy", policy.to_str().unwrap()]);
    r.expect_code(1);
    let table = r.stdout();
    let row = |name: &str| {
        table
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no row for {name}:\n{table}"))
            .to_owned()
    };
    assert!(row("hf:hubsign/tiny-bert ").ends_with("verified"), "{table}");
    assert!(row("hf:hubsign/tampered ").ends_with("tampered"), "{table}");
    assert!(row("hf:hubsign/unsigned ").ends_with("unsigned"), "{table}");
    assert!(
        row("hf:hubsign/second ").ends_with("untrusted"),
        "no rule for it: {table}"
    );
    assert!(table.contains("modified: model.safetensors"), "{table}");
    assert!(table.lines().all(|l| l.chars().count() <= 100), "{table}");
    assert_eq!(tree_state(env.home.path()), before, "audit changed the cache");

    // JSON, and --signer: the p256 key signed tiny-bert and tampered (whatever their state).
    let fp = fingerprint(&signed_model(&env.work.path().join("f")), "p256.pub.pem");
    let r = audit(&["--policy", policy.to_str().unwrap(), "--json", "--signer", &fp]);
    r.expect_code(1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout()).unwrap();
    let verdicts: Vec<(String, String)> = v["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["reference"].as_str().unwrap().to_owned(),
                s["verdict"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        verdicts,
        vec![
            ("hf:hubsign/tampered".to_owned(), "tampered".to_owned()),
            ("hf:hubsign/tiny-bert".to_owned(), "verified".to_owned()),
        ]
    );
    assert_eq!(
        v["snapshots"][1]["signer"]["key_fingerprint"].as_str(),
        Some(fp.as_str())
    );
    assert_eq!(v["snapshots"][1]["trusted"], true);
    // The other key signed only `second`; with the sha256: prefix as well.
    let other_fp = fingerprint(&second, "other-p256.pub.pem");
    let r = audit(&["--json", "--signer", &format!("sha256:{other_fp}")]);
    r.ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout()).unwrap();
    assert_eq!(v["snapshots"].as_array().unwrap().len(), 1);
    assert_eq!(v["snapshots"][0]["reference"], "hf:hubsign/second");
    assert_eq!(
        v["snapshots"][0]["verdict"], "signed",
        "no policy: trust not checked"
    );
    // A signer that signed nothing here: no rows, exit 0.
    let r = audit(&["--signer", &"0".repeat(64)]);
    r.ok();
    assert_eq!(r.stdout().lines().count(), 1, "only the header: {}", r.stdout());
}

/// Certificate signers are pinned by leaf subject and the anchor the chain ends at; audit lists
/// the chain the bundle carries and `--signer` finds it by the anchor's fingerprint.
#[test]
fn a_certificate_signer_is_locked_by_subject_and_anchor() {
    let env = Env::new();
    let m = signed_model(&env.work.path().join("c"));
    std::fs::remove_file(m.join("model.sig")).unwrap();
    hs([
        "sign",
        m.to_str().unwrap(),
        "--private-key",
        key("p256.pem").to_str().unwrap(),
        "--signing-certificate",
        key("leaf.crt.pem").to_str().unwrap(),
        "--certificate-chain",
        key("chain.pem").to_str().unwrap(),
    ])
    .ok();
    env.hub.add_commit("hubsign/certified", &m);
    let root = key("root-ca.crt.pem");
    run(env.in_work(&[
        "pull",
        "hubsign/certified",
        "--certificate-chain",
        root.to_str().unwrap(),
        "--lock",
    ]))
    .ok();
    let lock = read_lock(&env.work.path().join("hubsign.lock"));
    let signer = &entry(&lock, "hf:hubsign/certified")["signer"];
    let pem = std::fs::read_to_string(&root).unwrap();
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b64).unwrap();
    let root_fp = {
        use sha2::Digest as _;
        hex::encode(sha2::Sha256::digest(&der))
    };
    assert_eq!(signer["method"].as_str(), Some("certificate"), "{signer}");
    assert_eq!(signer["anchor"].as_str(), Some(root_fp.as_str()), "{signer}");
    assert!(signer["subject"].as_str().unwrap().contains("CN="), "{signer}");

    let r = env.audit(
        env.home.path(),
        &["--json", "--signer", &root_fp.to_ascii_uppercase()],
    );
    r.ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout()).unwrap();
    let rows = v["snapshots"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{v}");
    let certs = rows[0]["signer"]["certificates"].as_array().unwrap();
    assert_eq!(
        certs[0]["subject"].as_str(),
        signer["subject"].as_str(),
        "the leaf comes first"
    );
    assert!(
        certs.iter().any(|c| c["fingerprint"] == root_fp.as_str()),
        "{certs:?}"
    );
}

/// Planted folders: a snapshot that is a symlink (to a copy of a verified model) is reported as
/// tampered, not followed; a repository folder that is a symlink likewise.
#[test]
fn audit_reports_symlinked_snapshot_folders_without_following_them() {
    let env = Env::new();
    let p256 = key("p256.pub.pem");
    let r = run(env.cmd(&["pull", REPO, "--public-key", p256.to_str().unwrap()]));
    r.ok();
    let elsewhere = signed_model(&env.work.path().join("elsewhere"));
    let planted = env.cache().join("models--evil--planted/snapshots");
    std::fs::create_dir_all(&planted).unwrap();
    std::os::unix::fs::symlink(&elsewhere, planted.join("a".repeat(40))).unwrap();
    std::os::unix::fs::symlink(&elsewhere, env.cache().join("models--evil--linked")).unwrap();
    let r = env.audit(env.home.path(), &["--json"]);
    r.expect_code(1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout()).unwrap();
    let rows = v["snapshots"].as_array().unwrap();
    let verdict = |name: &str| {
        rows.iter()
            .find(|r| r["reference"] == name)
            .unwrap_or_else(|| panic!("{name} missing: {v}"))
    };
    assert_eq!(verdict("hf:hubsign/tiny-bert")["verdict"], "signed");
    for name in ["hf:evil/planted", "hf:evil/linked"] {
        let row = verdict(name);
        assert_eq!(row["verdict"], "tampered", "{row}");
        assert!(
            row["detail"].as_str().unwrap().contains("not a real directory"),
            "{row}"
        );
        assert!(row.get("signer").is_none(), "the link was followed: {row}");
    }
}

/// What an attacker can plant in a cache, each reported (never followed, never hanging, never
/// forging output): a FIFO as the signature, a file name with a newline and an escape sequence,
/// a deleted file in a snapshot the cache marks complete, a symlinked owner folder in the
/// kagglehub cache. Organisation-less repositories (`models--gpt2`) are listed by name, and a
/// cache named on the command line that does not exist is an error (exit 2), not "all clear".
#[test]
fn audit_reports_planted_cache_contents_without_hanging_or_forging_rows() {
    let env = Env::new();
    let p256 = key("p256.pub.pem");
    let p256 = p256.to_str().unwrap();
    env.hub
        .add_commit("hubsign/fifo", &signed_model(&env.work.path().join("f")));
    env.hub
        .add_commit("hubsign/named", &signed_model(&env.work.path().join("n")));
    env.hub
        .add_commit("hubsign/deleted", &signed_model(&env.work.path().join("d")));
    let mut snaps = std::collections::BTreeMap::new();
    for repo in ["hubsign/fifo", "hubsign/named", "hubsign/deleted"] {
        let r = run(env.cmd(&["pull", repo, "--public-key", p256]));
        r.ok();
        snaps.insert(repo, PathBuf::from(r.stdout().trim()));
    }
    let fifo = snaps["hubsign/fifo"].join("model.sig");
    std::fs::remove_file(&fifo).unwrap();
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    write(
        &snaps["hubsign/named"].join("x\nhf:forged/row verified\u{1b}[8m"),
        b"planted",
    );
    std::fs::remove_file(snaps["hubsign/deleted"].join("config.json")).unwrap();
    let gpt2 = env
        .cache()
        .join(format!("models--gpt2/snapshots/{}", "b".repeat(40)));
    write(&gpt2.join("config.json"), b"{}");
    let kaggle = tempdir();
    let elsewhere = tempdir();
    write(
        &elsewhere.path().join("m/pyTorch/base/1/weights.bin"),
        b"unsigned",
    );
    write(&elsewhere.path().join("m/pyTorch/base/1.complete"), b"");
    std::fs::create_dir_all(kaggle.path().join("models")).unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), kaggle.path().join("models/evil")).unwrap();

    let audit = |extra: &[&str]| env.audit(kaggle.path(), extra);
    let r = audit(&[]);
    r.expect_code(1);
    let table = r.stdout();
    assert!(
        !table.lines().any(|l| l.starts_with("hf:forged")),
        "a forged row:\n{table}"
    );
    assert!(
        !table.contains('\u{1b}'),
        "an escape sequence reached the terminal:\n{table}"
    );
    assert!(table.contains("x\\nhf:forged/row verified\\u{1b}[8m"), "{table}");
    let r = audit(&["--json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout()).unwrap();
    let row = |name: &str| {
        v["snapshots"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["reference"] == name)
            .unwrap_or_else(|| panic!("{name} missing: {v}"))
            .clone()
    };
    let fifo_row = row("hf:hubsign/fifo");
    assert_eq!(fifo_row["verdict"], "tampered");
    assert!(
        fifo_row["detail"]
            .as_str()
            .unwrap()
            .contains("not a regular file"),
        "{fifo_row}"
    );
    assert_eq!(row("hf:hubsign/named")["verdict"], "tampered");
    // Without trees/<commit>.json (the hub's .gitattributes was not downloaded) and without a
    // recorded partial pull, a signed file absent from the snapshot was deleted.
    let deleted = row("hf:hubsign/deleted");
    assert_eq!(deleted["absent"], serde_json::json!(["config.json"]), "{deleted}");
    assert_eq!(deleted["verdict"], "tampered", "{deleted}");
    assert!(
        deleted["detail"]
            .as_str()
            .unwrap()
            .contains("missing: config.json (no partial pull is recorded)"),
        "{deleted}"
    );
    assert_eq!(row("hf:gpt2")["verdict"], "unsigned");
    let evil = row("kaggle:evil");
    assert_eq!(evil["verdict"], "tampered", "{evil}");
    assert!(
        evil["detail"].as_str().unwrap().contains("not a real directory"),
        "{evil}"
    );

    run(env.cmd(&[
        "audit",
        "--cache-dir",
        env.work.path().join("typo").to_str().unwrap(),
    ]))
    .expect_code(2)
    .stderr_has("no such directory");
}

/// Offline, a pull still honours ./hubsign.lock: a cached commit by another signer (placed by a
/// pull that accepted it without recording it) is refused under HF_HUB_OFFLINE.
#[test]
fn an_offline_pull_refuses_a_cached_commit_by_another_signer_than_the_lock_names() {
    let env = Env::new();
    let p256 = key("p256.pub.pem");
    run(env.in_work(&["pull", REPO, "--public-key", p256.to_str().unwrap(), "--lock"])).ok();
    let moved = model_signed_by(env.work.path(), "moved", "other-p256.pem", b"moved\n");
    env.hub.add_commit(REPO, &moved);
    let other = key("other-p256.pub.pem");
    let other = other.to_str().unwrap();
    run(env.in_work(&["pull", REPO, "--public-key", other, "--accept-new-signer"])).ok();
    let mut c = env.in_work(&["pull", REPO, "--public-key", other]);
    c.env("HF_HUB_OFFLINE", "1");
    run(c).expect_code(1).stderr_has("is locked to signer key");
    let mut c = env.in_work(&["pull", REPO, "--public-key", other, "--accept-new-signer"]);
    c.env("HF_HUB_OFFLINE", "1");
    run(c).ok();
}

/// Regression: a directory link planted in a cached snapshot
/// (`additional_chat_templates -> ../../blobs/evil-dir`) hid the files behind it from `audit`,
/// `verify-cache` and offline `sync` (all exit 0) while huggingface_hub and transformers load
/// them; and a signed folder replaced by such a link, `trees/<commit>.json` deleted, passed
/// `audit` as "a partial pull". Both are tampered (exit 1) for all three.
#[test]
fn a_directory_link_in_a_cached_snapshot_is_tampered_for_audit_verify_cache_and_offline_sync() {
    let env = Env::new();
    let p256 = key("p256.pub.pem");
    let p256 = p256.to_str().unwrap();
    let r = run(env.in_work(&["pull", REPO, "--public-key", p256, "--lock"]));
    r.ok();
    let snap = PathBuf::from(r.stdout().trim());
    let commit = snap.file_name().unwrap().to_string_lossy().into_owned();
    let repo_dir = snap.parent().unwrap().parent().unwrap().to_path_buf();
    write(
        &repo_dir.join("blobs/evil-dir/chat_template.jinja"),
        b"{{ 'planted' }}",
    );
    let kaggle = tempdir();
    let expect_tampered = |what: &str, link: &str| {
        let r = env.audit(kaggle.path(), &["--json"]);
        r.expect_code(1);
        let v: serde_json::Value = serde_json::from_str(&r.stdout()).unwrap();
        let row = &v["snapshots"][0];
        assert_eq!(row["verdict"], "tampered", "{what}: {row}");
        let detail = row["detail"].as_str().unwrap();
        assert!(detail.contains(link), "{what}: {row}");
        assert!(!detail.contains("partial"), "{what}: {row}");
        run(env.cmd(&["verify-cache", REPO, "--public-key", p256]))
            .expect_code(1)
            .stderr_has("is tampered")
            .stderr_has(link);
        let mut c = env.in_work(&["sync", "--public-key", p256]);
        c.env("HF_HUB_OFFLINE", "1");
        run(c)
            .expect_code(1)
            .stderr_has("hf:hubsign/tiny-bert differs from the lock")
            .stderr_has("tampered")
            .stderr_has(link);
    };
    // The cache is verified as pulled.
    run(env.cmd(&["verify-cache", REPO, "--public-key", p256])).ok();

    // 1. A directory link added beside the signed files.
    let added = snap.join("additional_chat_templates");
    std::os::unix::fs::symlink("../../blobs/evil-dir", &added).unwrap();
    expect_tampered("an added directory link", "additional_chat_templates");
    std::fs::remove_file(&added).unwrap();
    run(env.cmd(&["verify-cache", REPO, "--public-key", p256])).ok();

    // 2. A signed folder replaced by one, and trees/<commit>.json deleted.
    std::fs::remove_dir_all(snap.join("tokenizer")).unwrap();
    std::os::unix::fs::symlink("../../blobs/evil-dir", snap.join("tokenizer")).unwrap();
    let _ = std::fs::remove_file(repo_dir.join("trees").join(format!("{commit}.json")));
    expect_tampered("a signed folder replaced by a link", "tokenizer");
}

/// A partial pull is recorded, so `audit` calls the files it left out absent (not tampered);
/// deleting the record, or a file it says was placed, makes the snapshot tampered: a verdict
/// never turns laxer because a file in the cache was deleted.
#[test]
fn audit_calls_a_snapshot_partial_only_as_far_as_a_recorded_partial_pull_explains_it() {
    let env = Env::new();
    let p256 = key("p256.pub.pem");
    let p256 = p256.to_str().unwrap();
    let r = run(env.cmd(&[
        "pull",
        REPO,
        "config.json",
        "tokenizer/vocab.txt",
        "--public-key",
        p256,
    ]));
    r.ok();
    let snap = PathBuf::from(r.stdout().trim());
    let commit = snap.file_name().unwrap().to_string_lossy().into_owned();
    let record = snap
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join(".hubsign-partial")
        .join(format!("{commit}.json"));
    assert!(
        record.is_file(),
        "no record of the partial pull at {}",
        record.display()
    );
    let kaggle = tempdir();
    let row = || {
        let r = env.audit(kaggle.path(), &["--json"]);
        let v: serde_json::Value = serde_json::from_str(&r.stdout()).unwrap();
        (r.code(), v["snapshots"][0].clone())
    };
    let (code, partial) = row();
    assert_eq!(code, 0, "{partial}");
    assert_eq!(partial["verdict"], "signed", "{partial}");
    assert!(
        partial["detail"]
            .as_str()
            .unwrap()
            .contains("recorded partial pull"),
        "{partial}"
    );
    // A file the partial pull placed, deleted.
    let vocab = snap.join("tokenizer/vocab.txt");
    let link = std::fs::read_link(&vocab).unwrap();
    std::fs::remove_file(&vocab).unwrap();
    let (code, row_now) = row();
    assert_eq!(
        (code, &row_now["verdict"]),
        (1, &serde_json::json!("tampered")),
        "{row_now}"
    );
    assert!(
        row_now["detail"]
            .as_str()
            .unwrap()
            .contains("missing: tokenizer/vocab.txt (placed by the recorded partial pull)"),
        "{row_now}"
    );
    std::os::unix::fs::symlink(link, &vocab).unwrap();
    assert_eq!(row().0, 0);
    // The record deleted: every signed file must be there.
    std::fs::remove_file(&record).unwrap();
    let (code, strict) = row();
    assert_eq!(
        (code, &strict["verdict"]),
        (1, &serde_json::json!("tampered")),
        "{strict}"
    );
    assert!(
        strict["detail"]
            .as_str()
            .unwrap()
            .contains("no partial pull is recorded"),
        "{strict}"
    );
    // A complete pull of the same commit removes a record (none is left behind to excuse a
    // later deletion).
    run(env.cmd(&["pull", REPO, "--public-key", p256])).ok();
    assert!(!record.exists());
    assert_eq!(row().1["verdict"], "signed");
}

/// Regression: with `refs/main` moved to another, validly signed commit, offline `sync` passed
/// while `from_pretrained("org/model")` loads that commit, and online `sync` pulled the locked
/// commit by id without moving `refs/main` back. Offline it is now a difference (exit 1);
/// online, sync points the locked revision's ref at the locked commit.
#[test]
fn sync_checks_and_restores_the_ref_the_application_loads() {
    let env = Env::new();
    let p256 = key("p256.pub.pem");
    let p256 = p256.to_str().unwrap();
    run(env.in_work(&["pull", REPO, "--public-key", p256, "--lock"])).ok();
    let locked = entry(
        &read_lock(&env.work.path().join("hubsign.lock")),
        "hf:hubsign/tiny-bert",
    )["commit"]
        .as_str()
        .unwrap()
        .to_owned();
    let refs_main = env.cache().join("models--hubsign--tiny-bert/refs/main");
    assert_eq!(std::fs::read_to_string(&refs_main).unwrap(), locked);
    // The branch moves to a commit by the same signer, and a plain pull follows it.
    let moved = model_signed_by(env.work.path(), "moved", "p256.pem", b"moved\n");
    let head = env.hub.add_commit(REPO, &moved);
    run(env.cmd(&["pull", REPO, "--public-key", p256])).ok();
    assert_eq!(std::fs::read_to_string(&refs_main).unwrap(), head);

    let offline_sync = || {
        let mut c = env.in_work(&["sync", "--public-key", p256]);
        c.env("HF_HUB_OFFLINE", "1");
        run(c)
    };
    offline_sync()
        .expect_code(1)
        .stderr_has("hf:hubsign/tiny-bert differs from the lock")
        .stderr_has(&format!(
            "revision main resolves to {head} in the cache, not the locked commit {locked}"
        ));
    // A ref that is gone is a difference too.
    std::fs::remove_file(&refs_main).unwrap();
    offline_sync()
        .expect_code(1)
        .stderr_has("revision main does not resolve to the locked commit");

    // Online, sync points refs/main back at the locked commit; offline sync then passes.
    run(env.in_work(&["sync", "--public-key", p256]))
        .ok()
        .stderr_has(&format!("Synced hf:hubsign/tiny-bert at {locked}"));
    assert_eq!(std::fs::read_to_string(&refs_main).unwrap(), locked);
    offline_sync().ok();
}

/// Regression: with the lock pinning `hf:hubsign/tiny-bert`, `pull hf:HubSign/Tiny-Bert` accepted
/// a commit by another trusted signer (the Hub resolves repository ids whatever their case;
/// here the test hub serves that spelling). The lock's entry is found, and kept single,
/// whatever the spelling.
#[test]
fn signer_pinning_holds_for_every_spelling_of_the_repository() {
    let env = Env::new();
    let p256 = key("p256.pub.pem");
    run(env.in_work(&["pull", REPO, "--public-key", p256.to_str().unwrap(), "--lock"])).ok();
    let lock_path = env.work.path().join("hubsign.lock");
    let text = std::fs::read_to_string(&lock_path).unwrap();
    let spelled = "HubSign/Tiny-Bert";
    let moved = model_signed_by(env.work.path(), "moved", "other-p256.pem", b"moved\n");
    env.hub.add_commit(spelled, &moved);
    let other = key("other-p256.pub.pem");
    let other = other.to_str().unwrap();
    for lock_arg in [Some("--lock"), None] {
        let mut args = vec!["pull", spelled, "--public-key", other];
        args.extend(lock_arg);
        run(env.in_work(&args))
            .expect_code(1)
            .stderr_has("hf:hubsign/tiny-bert is locked to signer key ");
    }
    assert_eq!(std::fs::read_to_string(&lock_path).unwrap(), text);
    // Accepted: still one entry, under the spelling it was locked with.
    run(env.in_work(&[
        "pull",
        spelled,
        "--public-key",
        other,
        "--lock",
        "--accept-new-signer",
    ]))
    .ok();
    let lock = read_lock(&lock_path);
    let refs: Vec<&str> = lock["model"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["ref"].as_str().unwrap())
        .collect();
    assert_eq!(refs, vec!["hf:hubsign/tiny-bert"]);
    // A lock holding two spellings of one repository is refused, naming both.
    let both = std::fs::read_to_string(&lock_path).unwrap();
    let entry_text = &both[both.find("[[model]]").unwrap()..];
    let doubled = format!(
        "{both}\n{}",
        entry_text.replace("hf:hubsign/tiny-bert", "hf:HubSign/Tiny-Bert")
    );
    std::fs::write(&lock_path, doubled).unwrap();
    let mut c = env.in_work(&["sync", "--public-key", other]);
    c.env("HF_HUB_OFFLINE", "1");
    run(c)
        .expect_code(2)
        .stderr_has("hf:HubSign/Tiny-Bert")
        .stderr_has("hf:hubsign/tiny-bert")
        .stderr_has("one repository");
}

/// Regression: a FIFO planted as `hubsign.lock` hung `pull` forever (and a lock file was read
/// whole, however large). The lock, and the password, token and policy files, are read as
/// regular files of a bounded size, opened so that a FIFO cannot block: exit 2, naming the file.
#[test]
fn a_fifo_or_oversized_lock_password_or_token_file_is_refused_without_hanging() {
    let env = Env::new();
    let p256 = key("p256.pub.pem");
    let p256 = p256.to_str().unwrap();
    let mkfifo = |p: &Path| assert!(Command::new("mkfifo").arg(p).status().unwrap().success());
    let lock = env.work.path().join("hubsign.lock");
    mkfifo(&lock);
    let within = |c: Command| run_within(c, 30);
    // The default ./hubsign.lock, read by every pull; --lock; sync.
    for args in [
        vec!["pull", REPO, "--public-key", p256],
        vec!["pull", REPO, "--public-key", p256, "--lock"],
        vec!["sync", "--public-key", p256],
    ] {
        within(env.in_work(&args))
            .expect_code(2)
            .stderr_has("hubsign.lock")
            .stderr_has("not a regular file");
    }
    // An oversized lock is refused before it is read whole.
    std::fs::remove_file(&lock).unwrap();
    let f = std::fs::File::create(&lock).unwrap();
    f.set_len(200 << 20).unwrap();
    within(env.in_work(&["pull", REPO, "--public-key", p256]))
        .expect_code(2)
        .stderr_has("hubsign.lock")
        .stderr_has("more than the");
    std::fs::remove_file(&lock).unwrap();

    // A password file, a policy and a token file that are FIFOs.
    let model = signed_model(&env.work.path().join("m"));
    std::fs::remove_file(model.join("model.sig")).unwrap();
    let password = env.work.path().join("password");
    mkfifo(&password);
    within(env.in_work(&[
        "sign",
        model.to_str().unwrap(),
        "--private-key",
        key("p256.encrypted.pem").to_str().unwrap(),
        "--password-file",
        password.to_str().unwrap(),
    ]))
    .expect_code(2)
    .stderr_has("password")
    .stderr_has("not a regular file");
    let policy = env.work.path().join("policy.toml");
    mkfifo(&policy);
    within(env.in_work(&["pull", REPO, "--policy", policy.to_str().unwrap()]))
        .expect_code(2)
        .stderr_has("policy.toml")
        .stderr_has("not a regular file");
    let token = env.work.path().join("token");
    mkfifo(&token);
    let mut c = env.in_work(&["pull", REPO, "--public-key", p256]);
    c.env("HF_TOKEN_PATH", &token);
    within(c).ok();
}

/// Regression: `audit --signer a0134` (a short prefix) said "0 snapshots", exit 0 — a false
/// "nothing" while checking a compromised key. A prefix of at least 8 hex digits matches (and
/// says which fingerprint it stands for); a shorter one, or a spec of no signer form, is a usage
/// error naming it; a spec that matches nothing says so.
#[test]
fn audit_signer_takes_a_fingerprint_prefix_and_refuses_a_spec_of_no_form() {
    let env = Env::new();
    let p256 = key("p256.pub.pem");
    run(env.cmd(&["pull", REPO, "--public-key", p256.to_str().unwrap()])).ok();
    let second = model_signed_by(env.work.path(), "second", "other-p256.pem", b"v1\n");
    env.hub.add_commit(SECOND, &second);
    let other = key("other-p256.pub.pem");
    run(env.cmd(&["pull", SECOND, "--public-key", other.to_str().unwrap()])).ok();
    let fp = fingerprint(&signed_model(&env.work.path().join("f")), "p256.pub.pem");
    let kaggle = tempdir();
    let audit = |extra: &[&str]| env.audit(kaggle.path(), extra);

    let short = &fp[..5];
    audit(&["--signer", short])
        .expect_code(2)
        .stderr_has(&format!("signer \"{short}\" is too short"))
        .stderr_has("at least 8 hex digits");
    audit(&["--signer", "tiny-bert"])
        .expect_code(2)
        .stderr_has("signer \"tiny-bert\" is neither a fingerprint");

    for prefix in [
        fp[..8].to_owned(),
        format!("sha256:{}", fp[..12].to_ascii_uppercase()),
    ] {
        let r = audit(&["--json", "--signer", &prefix]);
        r.ok();
        let v: serde_json::Value = serde_json::from_str(&r.stdout()).unwrap();
        let rows = v["snapshots"].as_array().unwrap();
        assert_eq!(rows.len(), 1, "{prefix}: {v}");
        assert_eq!(rows[0]["reference"], "hf:hubsign/tiny-bert");
        assert_eq!(v["signer_fingerprint"], fp.as_str(), "{v}");
        audit(&["--signer", &prefix])
            .ok()
            .stderr_has(&format!("is the prefix of fingerprint {fp}"))
            .stdout_has("hf:hubsign/tiny-bert");
    }
    // A prefix no signer here has: nothing listed, and said so.
    let none = if fp.starts_with("00000000") {
        "ffffffff"
    } else {
        "00000000"
    };
    let r = audit(&["--signer", none]);
    r.ok()
        .stderr_has(&format!("no snapshot in the caches is signed by {none}"));
    assert_eq!(r.stdout().lines().count(), 1, "only the header: {}", r.stdout());
}

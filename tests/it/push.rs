//! `hubsign push` against the local hub's write side (itself proven by huggingface_hub's
//! upload_folder): what it publishes verifies with model_signing and pulls with hubsign;
//! nothing is published when the model does not match its signature or the branch moved.

use crate::support::hub::{Fault, LocalHub, Origin};
use crate::support::{Run, copy_tree, hubsign, key, run, tempdir, write};
use std::path::{Path, PathBuf};
use std::process::Command;
use testhub::python::venv_python;

const TOKEN: &str = "hf_write_token_for_tests";

/// The fixture model without its signature, plus a weight file big enough for multipart.
fn unsigned_model(dir: &Path) -> PathBuf {
    let m = dir.join("model");
    copy_tree(&crate::support::fixtures().join("models/tiny-bert"), &m);
    std::fs::remove_file(m.join("model.sig")).unwrap();
    write(
        &m.join("weights/extra.safetensors"),
        &crate::support::det_bytes("extra.safetensors", 20 << 20),
    );
    m
}

struct Env {
    hub: LocalHub,
    home: tempfile::TempDir,
    work: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        let hub = LocalHub::start();
        hub.set_write_token(TOKEN);
        hub.set_multipart_chunk_size(8 << 20);
        Self {
            hub,
            home: tempdir(),
            work: tempdir(),
        }
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = hubsign();
        c.args(args)
            .env("HF_ENDPOINT", self.hub.endpoint())
            .env("HF_HOME", self.home.path())
            .env("HF_TOKEN", TOKEN)
            .env_remove("HF_HUB_CACHE")
            .env_remove("HF_HUB_OFFLINE");
        c
    }

    fn push(&self, model: &Path, repo: &str, extra: &[&str]) -> Run {
        let k = key("p256.pem");
        let mut args = vec![
            "push",
            model.to_str().unwrap(),
            repo,
            "--private-key",
            k.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        run(self.cmd(&args))
    }

    fn pull(&self, repo: &str) -> Run {
        let k = key("p256.pub.pem");
        run(self.cmd(&["pull", repo, "--public-key", k.to_str().unwrap()]))
    }
}

#[test]
fn push_signs_uploads_once_and_both_verifiers_accept_what_the_hub_serves() {
    let env = Env::new();
    let m = unsigned_model(env.work.path());
    let r = env.push(&m, "hubsign/pushed", &["--json"]);
    r.ok();
    let out: serde_json::Value = serde_json::from_str(&r.stdout()).unwrap();
    assert_eq!(out["signed"], true);
    assert!(
        m.join("model.sig").is_file(),
        "the signature is written next to the model"
    );
    let commit = out["commit"].as_str().unwrap().to_owned();
    assert_eq!(
        env.hub.head("hubsign/pushed", "main").as_deref(),
        Some(commit.as_str())
    );
    // Multipart for the 20 MiB file: parts PUT to the CDN without the token.
    let reqs = env.hub.requests();
    let puts: Vec<_> = reqs.iter().filter(|r| r.method == "PUT").collect();
    assert!(
        puts.len() >= 3,
        "expected multipart parts, got {} PUTs",
        puts.len()
    );
    assert!(
        puts.iter()
            .all(|r| r.origin == Origin::Cdn && r.authorization.is_none()),
        "token sent with LFS content"
    );
    assert!(
        reqs.iter().any(|r| r.path.contains("/commit/")),
        "no NDJSON commit"
    );
    // hubsign pulls it.
    env.pull("hubsign/pushed").ok();
    // The real client downloads it and model_signing verifies it.
    let Some(py) = venv_python() else { return };
    let dl = format!(
        "from huggingface_hub import snapshot_download\nprint(snapshot_download('hubsign/pushed', revision='{commit}'))\n"
    );
    let mut c = Command::new(&py);
    let hf_home = env.work.path().join("hf-python");
    c.arg("-c")
        .arg(dl)
        .env("HF_ENDPOINT", env.hub.endpoint())
        .env("HF_HOME", &hf_home)
        .env("HF_HUB_DISABLE_TELEMETRY", "1")
        .env("HF_HUB_DISABLE_XET", "1");
    let snapshot = run(c).ok().stdout().trim().to_owned();
    let ms = crate::support::model_signing().unwrap();
    let mut v = crate::support::model_signing_cmd(&ms);
    v.args([
        "verify",
        "key",
        &snapshot,
        "--signature",
        &format!("{snapshot}/model.sig"),
        "--allow_symlinks",
        "--public_key",
    ])
    .arg(key("p256.pub.pem"));
    run(v).ok().stdout_has("Verification succeeded");
}

#[test]
fn a_folder_uploaded_by_huggingface_hub_with_a_model_signing_signature_pulls_and_verifies() {
    let Some(py) = venv_python() else { return };
    let env = Env::new();
    let script = format!(
        "from huggingface_hub import HfApi\napi = HfApi()\napi.create_repo('hubsign/by-python', exist_ok=True)\n\
         api.upload_folder(repo_id='hubsign/by-python', folder_path={:?})\n",
        crate::support::fixtures()
            .join("models/tiny-bert")
            .to_str()
            .unwrap()
    );
    let mut c = Command::new(&py);
    c.arg("-c")
        .arg(script)
        .env("HF_ENDPOINT", env.hub.endpoint())
        .env("HF_HOME", env.work.path().join("py"))
        .env("HF_TOKEN", TOKEN)
        .env("HF_HUB_DISABLE_TELEMETRY", "1")
        .env("HF_HUB_DISABLE_XET", "1");
    run(c).ok();
    env.pull("hubsign/by-python")
        .ok()
        .stderr_has("Verified hubsign/by-python@");
}

#[test]
fn a_model_changed_after_signing_is_refused_before_any_upload() {
    let env = Env::new();
    let m = unsigned_model(env.work.path());
    let mut sign = Command::new(env!("CARGO_BIN_EXE_hubsign"));
    sign.args(["sign", m.to_str().unwrap(), "--private-key"])
        .arg(key("p256.pem"));
    run(sign).ok();
    crate::support::flip_byte(&m.join("config.json"), 3);
    env.hub.clear_requests();
    let pubkey = key("p256.pub.pem");
    let r = run(env.cmd(&[
        "push",
        m.to_str().unwrap(),
        "hubsign/changed",
        "--public-key",
        pubkey.to_str().unwrap(),
    ]));
    r.expect_code(1)
        .stderr_has("modified: config.json")
        .stderr_has("nothing was uploaded");
    assert!(
        env.hub.requests().is_empty(),
        "the hub was contacted: {:?}",
        env.hub.requests()
    );
    // A bare legacy name (`gpt2`) can be pulled but not pushed to: refused before any request.
    env.push(&m, "gpt2", &["--resign"])
        .expect_code(2)
        .stderr_has("push needs ORG/NAME");
    assert!(env.hub.requests().is_empty(), "{:?}", env.hub.requests());
    // An unsigned model with no key to sign it is a usage error.
    std::fs::remove_file(m.join("model.sig")).unwrap();
    run(env.cmd(&[
        "push",
        m.to_str().unwrap(),
        "hubsign/changed",
        "--public-key",
        pubkey.to_str().unwrap(),
    ]))
    .expect_code(2)
    .stderr_has("has no signature");
}

#[test]
fn a_concurrent_commit_makes_the_push_fail_and_leaves_the_branch_alone() {
    let env = Env::new();
    let m = unsigned_model(env.work.path());
    env.push(&m, "hubsign/race", &[]).ok();
    write(&m.join("new-file.txt"), b"second version\n");
    env.hub.inject(Fault::ConcurrentCommitBeforeNext {
        repo: "hubsign/race".into(),
    });
    let r = env.push(&m, "hubsign/race", &["--resign"]);
    r.expect_code(2).stderr_has("moved while pushing");
    let head = env.hub.head("hubsign/race", "main").unwrap();
    let files = env.hub.files("hubsign/race", &head).unwrap();
    assert!(files.iter().any(|f| f == "concurrent-commit.txt"), "{files:?}");
    assert!(
        !files.iter().any(|f| f == "new-file.txt"),
        "the failed push changed the branch: {files:?}"
    );
}

#[test]
fn an_interrupted_push_rerun_does_not_upload_stored_objects_again() {
    let env = Env::new();
    let m = unsigned_model(env.work.path());
    // The commit fails after the LFS uploads (as if the process died there).
    env.hub.inject(Fault::ServerError {
        path_contains: "/commit/".into(),
        status: 500,
        times: 100,
    });
    env.push(&m, "hubsign/resume", &[]).expect_code(2);
    let stored = env.hub.lfs_objects().len();
    assert!(
        stored >= 2,
        "LFS objects were not uploaded before the commit: {stored}"
    );
    env.hub.clear_faults();
    env.hub.clear_requests();
    let r = env.push(&m, "hubsign/resume", &["--json"]);
    r.ok();
    let out: serde_json::Value = serde_json::from_str(&r.stdout()).unwrap();
    assert_eq!(out["uploaded_bytes"], 0, "{out}");
    assert_eq!(out["deduplicated"].as_u64(), Some(stored as u64));
    assert!(
        env.hub.requests().iter().all(|r| r.method != "PUT"),
        "content was uploaded again"
    );
    // A transient 500 on a part upload is retried within the same push.
    let m2 = unsigned_model(&env.work.path().join("b"));
    write(
        &m2.join("weights/other.safetensors"),
        &crate::support::det_bytes("other", 9 << 20),
    );
    env.hub.inject(Fault::RejectLfsUpload { times: 1 });
    env.push(&m2, "hubsign/retry", &[]).ok();
}

#[test]
fn pull_requests_and_missing_tokens() {
    let env = Env::new();
    let m = unsigned_model(env.work.path());
    env.push(&m, "hubsign/pr", &[]).ok();
    write(&m.join("README.md"), b"# changed in a PR\n");
    let r = env.push(&m, "hubsign/pr", &["--resign", "--create-pr"]);
    r.ok().stdout_has("/discussions/");
    let k = key("p256.pub.pem");
    run(env.cmd(&[
        "pull",
        "hubsign/pr@refs/pr/1",
        "--public-key",
        k.to_str().unwrap(),
    ]))
    .ok();
    let mut c = env.cmd(&[
        "push",
        m.to_str().unwrap(),
        "hubsign/denied",
        "--private-key",
        key("p256.pem").to_str().unwrap(),
    ]);
    c.env("HF_TOKEN", "wrong");
    run(c).expect_code(2).stderr_has("token");
}

/// The signature is published as model.sig: a stale model.sig in the model is neither signed
/// nor uploaded (regression: it used to collide with the signature in the commit).
#[test]
fn a_stale_model_sig_in_the_model_does_not_collide_with_the_signature() {
    let env = Env::new();
    let m = unsigned_model(env.work.path());
    write(&m.join("model.sig"), b"stale");
    let outside = env.work.path().join("fresh.sig");
    env.push(&m, "hubsign/stale", &["--signature", outside.to_str().unwrap()])
        .ok();
    let head = env.hub.head("hubsign/stale", "main").unwrap();
    let (bytes, _) = env.hub.file("hubsign/stale", &head, "model.sig").unwrap();
    assert_eq!(
        bytes,
        std::fs::read(&outside).unwrap(),
        "the published model.sig is not the new signature"
    );
    env.pull("hubsign/stale").ok();
}

/// `push --revision dev` to a branch that does not exist creates it from `main`'s head (as
/// `hf upload --revision` does) and commits there; pushing the same signed model again makes no
/// empty commit and says so; a changed model is committed again.
#[test]
fn push_creates_a_missing_branch_and_skips_an_identical_push() {
    let env = Env::new();
    let m = unsigned_model(env.work.path());
    env.hub.create_repo("hubsign/branches");
    let main = env.hub.head("hubsign/branches", "main").unwrap();
    env.push(&m, "hubsign/branches", &["--revision", "dev"])
        .ok()
        .stderr_has("Signed and pushed");
    assert_eq!(env.hub.head("hubsign/branches", "main").unwrap(), main);
    let dev = env.hub.head("hubsign/branches", "dev").unwrap();
    assert_eq!(env.hub.commits("hubsign/branches", "dev").len(), 2);
    let files = env.hub.files("hubsign/branches", &dev).unwrap();
    assert!(
        files.iter().any(|f| f == "weights/extra.safetensors"),
        "{files:?}"
    );
    let k = key("p256.pub.pem");
    run(env.cmd(&[
        "pull",
        "hubsign/branches@dev",
        "--public-key",
        k.to_str().unwrap(),
    ]))
    .ok();

    // The same model again: no request that writes, no commit.
    env.hub.clear_requests();
    let r = env.push(&m, "hubsign/branches", &["--revision", "dev"]);
    r.ok()
        .stderr_has("nothing to push: dev of hubsign/branches already holds this signed model");
    assert_eq!(env.hub.head("hubsign/branches", "dev").unwrap(), dev);
    assert_eq!(env.hub.commits("hubsign/branches", "dev").len(), 2);
    let writes: Vec<_> = env
        .hub
        .requests()
        .into_iter()
        .filter(|q| q.method == "PUT" || q.path.contains("/commit/") || q.path.contains("/preupload/"))
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
    let r = env.push(&m, "hubsign/branches", &["--revision", "dev", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&r.ok().stdout()).unwrap();
    assert_eq!(doc["pushed"], false, "{doc}");
    assert_eq!(doc["unchanged"], true, "{doc}");
    assert_eq!(doc["commit"], dev.as_str(), "{doc}");

    // A changed file is a new commit on the branch.
    write(&m.join("README.md"), b"# changed\n");
    env.push(&m, "hubsign/branches", &["--revision", "dev", "--resign"])
        .ok()
        .stderr_has("Signed and pushed");
    assert_eq!(env.hub.commits("hubsign/branches", "dev").len(), 3);
}

/// A directory pulled with `--local-dir` holds hubsign's own `.cache/hubsign/placed.json`: it is
/// not part of the model, so it is neither signed nor published.
#[test]
fn hubsigns_own_folder_is_neither_signed_nor_pushed() {
    let env = Env::new();
    let m = unsigned_model(env.work.path());
    write(&m.join(".cache/hubsign/placed.json"), b"{\"files\":{}}");
    env.push(&m, "hubsign/own-folder", &[]).ok();
    let head = env.hub.head("hubsign/own-folder", "main").unwrap();
    let files = env.hub.files("hubsign/own-folder", &head).unwrap();
    assert!(files.contains(&"model.safetensors".to_owned()), "{files:?}");
    assert!(files.iter().all(|f| !f.starts_with(".cache")), "{files:?}");
    env.pull("hubsign/own-folder").ok();
}

//! The local Hub's write side (`crates/testhub/src/hub/write.rs`) is faithful: the real Python `huggingface_hub`
//! (from the venv made by `scripts/python-env`, Xet disabled) creates repos on it, pushes folders through
//! preupload → git-LFS batch (basic and multipart) → NDJSON commit, opens PRs, and gets the Hub's errors
//! for stale parents and missing tokens; what it pushed downloads back byte for byte. Raw-HTTP tests pin
//! the checks a client cannot trigger (digest mismatches, missing LFS objects, bad paths).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use sha2::Digest as _;

use crate::support::hub::{self, Fault, LocalHub, Origin, Request};
use crate::support::{self, det_bytes, run, write};
use testhub::python;

const TOKEN: &str = "hf_localhubWriteToken";
const BIG: &str = "weights/big.safetensors";
const BIG_SIZE: usize = 40 * 1024 * 1024;
const BIN: &str = "extra/pytorch_model.bin";
const BIN_SIZE: usize = 12 * 1024 * 1024;
const README: &[u8] = b"---\nlicense: apache-2.0\ntags:\n- hubsign\n---\n# pushed\n\nA pushed model.\n";
const STALE_PARENT: &str = "A commit has happened since. Please refresh and try again.";

struct Fx {
    tmp: tempfile::TempDir,
    hub: LocalHub,
    py: PathBuf,
}

fn fixture() -> Option<Fx> {
    let py = python::venv_python()?;
    let hub = LocalHub::start();
    hub.set_write_token(TOKEN);
    Some(Fx {
        tmp: support::tempdir(),
        hub,
        py,
    })
}

impl Fx {
    /// Runs `code` (which calls `out(...)` once) with `HF_TOKEN` = `token` and returns what it printed.
    fn py(&self, token: Option<&str>, code: &str) -> Value {
        let mut c = Command::new(&self.py);
        c.arg("-c").arg(python::script(python::HF_IMPORTS, code));
        for var in [
            "HF_TOKEN",
            "HUGGING_FACE_HUB_TOKEN",
            "HF_HUB_OFFLINE",
            "HF_HUB_CACHE",
            "HUGGINGFACE_HUB_CACHE",
            "HF_TOKEN_PATH",
        ] {
            c.env_remove(var);
        }
        c.env("HF_ENDPOINT", self.hub.endpoint())
            .env("HF_HOME", self.tmp.path().join("hf-home"))
            .env("HF_HUB_DISABLE_TELEMETRY", "1")
            .env("HF_HUB_DISABLE_UPDATE_CHECK", "1")
            .env("HF_HUB_DISABLE_XET", "1")
            .env("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            .env("PYTHONWARNINGS", "ignore")
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("no_proxy", "127.0.0.1,localhost");
        if let Some(t) = token {
            c.env("HF_TOKEN", t);
        }
        let r = run(c);
        r.ok();
        python::result(&r.stdout(), &r.stderr())
    }
}

/// The tiny model (without `.git/`), a README with YAML front matter, a 40 MiB `.safetensors` and a
/// 12 MiB `.bin`.
fn push_folder(dir: &Path) -> PathBuf {
    let src = support::tiny_model(dir);
    std::fs::remove_dir_all(src.join(".git")).unwrap();
    write(&src.join("README.md"), README);
    write(&src.join(BIG), &det_bytes(BIG, BIG_SIZE));
    write(&src.join(BIN), &det_bytes(BIN, BIN_SIZE));
    src
}

fn walk(dir: &Path) -> BTreeMap<String, PathBuf> {
    hub_files(dir).into_iter().collect()
}

fn hub_files(dir: &Path) -> Vec<(String, PathBuf)> {
    fn go(root: &Path, d: &Path, out: &mut Vec<(String, PathBuf)>) {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                go(root, &p, out);
            } else if p.is_file() {
                let rel = p.strip_prefix(root).unwrap().to_str().unwrap().replace('\\', "/");
                out.push((rel, p));
            }
        }
    }
    let mut out = Vec::new();
    go(dir, dir, &mut out);
    out.sort();
    out
}

fn sha256_hex(b: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(b))
}

fn is_err(v: &Value, class: &str) -> bool {
    v["mro"].as_array().is_some_and(|m| m.iter().any(|c| c == class))
}

fn count(reqs: &[Request], origin: Origin, method: &str, path_start: &str) -> usize {
    reqs.iter()
        .filter(|r| r.origin == origin && r.method == method && r.path.starts_with(path_start))
        .count()
}

fn bearer() -> String {
    format!("Bearer {TOKEN}")
}

// ------------------------------------------------------------------------------------------------ client

#[test]
fn create_repo_upload_folder_multipart_then_download_and_dedup() {
    let Some(fx) = fixture() else { return };
    let src = push_folder(fx.tmp.path());
    let code = format!(
        "api = HfApi()\n\
         u1 = api.create_repo('org/pushed', exist_ok=True)\n\
         u2 = api.create_repo('org/pushed', exist_ok=True)\n\
         again = attempt(lambda: str(api.create_repo('org/pushed')))\n\
         info = api.upload_folder(repo_id='org/pushed', folder_path={src:?}, commit_message='push one')\n\
         snap = snapshot_download('org/pushed', revision=info.oid)\n\
         out(dict(u1=str(u1), u2=str(u2), repo_id=u1.repo_id, again=again, oid=info.oid, url=info.commit_url, \
                  pr=info.pr_url, snap=snap))",
        src = src.to_str().unwrap()
    );
    let v = fx.py(Some(TOKEN), &code);
    let e = fx.hub.endpoint();
    assert_eq!(v["u1"], format!("{e}/org/pushed"));
    assert_eq!(v["u2"], v["u1"], "exist_ok=True reads the url of the 409");
    assert_eq!(v["repo_id"], "org/pushed");
    assert_eq!(v["again"]["status"], 409, "{v:#}");
    let oid = v["oid"].as_str().unwrap().to_string();
    assert_eq!(v["url"], format!("{e}/org/pushed/commit/{oid}"));
    assert_eq!(v["pr"], Value::Null);

    // One commit on top of the initial one, holding exactly the folder (its .gitattributes replaced the
    // Hub's default), LFS where the rule says so; the snapshot of it is byte-identical.
    let commits = fx.hub.commits("org/pushed", "main");
    assert_eq!(commits.len(), 2, "{commits:?}");
    assert_eq!(commits[0], oid);
    assert_eq!(
        fx.hub.commit_title("org/pushed", &commits[1]).unwrap(),
        "initial commit"
    );
    assert_eq!(
        fx.hub.files("org/pushed", &commits[1]).unwrap(),
        vec![".gitattributes".to_string()]
    );
    assert_eq!(fx.hub.commit_title("org/pushed", "main").unwrap(), "push one");
    assert_pushed_content(&fx.hub, &src, &PathBuf::from(v["snap"].as_str().unwrap()));
    assert_first_push_requests(&fx.hub.requests());
    push_again_is_deduplicated(&fx, &src, &oid);
}

/// The pushed revision holds exactly the folder (LFS where the rule says so), the snapshot of it is
/// byte-identical, and the LFS store has the 4 LFS files.
fn assert_pushed_content(hub: &LocalHub, src: &Path, snap: &Path) {
    let want = walk(src);
    let got = walk(snap);
    assert_eq!(got.keys().collect::<Vec<_>>(), want.keys().collect::<Vec<_>>());
    let lfs_objects: BTreeMap<String, u64> = hub.lfs_objects().into_iter().collect();
    for (rel, p) in &want {
        let bytes = std::fs::read(p).unwrap();
        assert!(
            std::fs::read(&got[rel]).unwrap() == bytes,
            "{rel}: content differs"
        );
        let (stored, lfs) = hub.file("org/pushed", "main", rel).unwrap();
        assert!(stored == bytes, "{rel}");
        assert_eq!(lfs, hub::is_lfs(rel, bytes.len() as u64), "{rel}");
        if lfs {
            assert_eq!(
                lfs_objects.get(&sha256_hex(&bytes)),
                Some(&(bytes.len() as u64)),
                "{rel}"
            );
        }
    }
    assert_eq!(lfs_objects.len(), 4, "{lfs_objects:?}");
}

/// The real client's request sequence for the first push.
fn assert_first_push_requests(reqs: &[Request]) {
    let creates: Vec<u16> = reqs
        .iter()
        .filter(|r| r.path == "/api/repos/create")
        .map(|r| r.status)
        .collect();
    assert_eq!(creates, [200, 409, 409]);
    // README.md front matter is validated twice: by upload_folder, then again by create_commit.
    assert_eq!(count(reqs, Origin::Hub, "POST", "/api/validate-yaml"), 2);
    assert_eq!(
        count(reqs, Origin::Hub, "POST", "/api/models/org/pushed/preupload/main"),
        1
    );
    let batch: Vec<&Request> = reqs
        .iter()
        .filter(|r| r.path == "/org/pushed.git/info/lfs/objects/batch")
        .collect();
    assert_eq!(batch.len(), 1, "{batch:#?}");
    assert_eq!(batch[0].authorization.as_deref(), Some(bearer().as_str()));
    assert!(
        batch[0]
            .content_type
            .as_deref()
            .is_some_and(|c| c.starts_with("application/vnd.git-lfs+json")),
        "{batch:#?}"
    );
    // 40 MiB / 8 MiB = 5 parts, 12 MiB = 2 parts, and one basic PUT for each small LFS file; all on the
    // CDN, none with Authorization.
    let puts: Vec<&Request> = reqs.iter().filter(|r| r.method == "PUT").collect();
    assert_eq!(puts.len(), 5 + 2 + 2, "{puts:#?}");
    assert!(
        puts.iter()
            .all(|r| r.origin == Origin::Cdn && r.authorization.is_none() && r.status == 200),
        "{puts:#?}"
    );
    assert_eq!(puts.iter().filter(|r| r.path.contains("partNumber=")).count(), 7);
    // Completion: hub origin, and the client sends NO Authorization (the URL is the credential).
    let completes: Vec<&Request> = reqs
        .iter()
        .filter(|r| r.path.starts_with("/api/complete_multipart?"))
        .collect();
    assert_eq!(completes.len(), 2, "{completes:#?}");
    assert!(
        completes
            .iter()
            .all(|r| r.method == "POST" && r.status == 200 && r.authorization.is_none())
    );
    let verifies: Vec<&Request> = reqs
        .iter()
        .filter(|r| r.path == "/org/pushed.git/info/lfs/objects/verify")
        .collect();
    assert_eq!(verifies.len(), 4);
    assert!(
        verifies
            .iter()
            .all(|r| r.status == 200 && r.authorization.as_deref() == Some(bearer().as_str()))
    );
    let commit: Vec<&Request> = reqs
        .iter()
        .filter(|r| r.path.starts_with("/api/models/org/pushed/commit/"))
        .collect();
    assert_eq!(commit.len(), 1, "{commit:#?}");
    assert_eq!(commit[0].path, "/api/models/org/pushed/commit/main");
    assert_eq!(commit[0].content_type.as_deref(), Some("application/x-ndjson"));
    assert_eq!(commit[0].status, 200);
    // Order: preupload < batch < first PUT < commit.
    let pos = |f: &dyn Fn(&Request) -> bool| reqs.iter().position(f).unwrap();
    let p_pre = pos(&|r| r.path.contains("/preupload/"));
    let p_batch = pos(&|r| r.path.ends_with("/objects/batch"));
    let p_put = pos(&|r| r.method == "PUT");
    let p_commit = pos(&|r| r.path.contains("/commit/"));
    assert!(
        p_pre < p_batch && p_batch < p_put && p_put < p_commit,
        "{reqs:#?}"
    );
}

fn push_again_is_deduplicated(fx: &Fx, src: &Path, oid: &str) {
    let e = fx.hub.endpoint();
    // The same folder again: the batch answers without actions (stored), nothing is PUT, and the client
    // drops every unchanged file (preupload returned the remote oids), so no commit either.
    fx.hub.clear_requests();
    let code = format!(
        "info = HfApi().upload_folder(repo_id='org/pushed', folder_path={:?}, commit_message='push two')\n\
         out(dict(oid=info.oid))",
        src.to_str().unwrap()
    );
    let v = fx.py(Some(TOKEN), &code);
    assert_eq!(v["oid"], oid);
    let reqs = fx.hub.requests();
    assert_eq!(
        count(
            &reqs,
            Origin::Hub,
            "POST",
            "/org/pushed.git/info/lfs/objects/batch"
        ),
        1
    );
    assert!(
        !reqs
            .iter()
            .any(|r| r.method == "PUT" || r.origin == Origin::Cdn || r.path.contains("/commit/")),
        "{reqs:#?}"
    );
    assert_eq!(fx.hub.commits("org/pushed", "main").len(), 2);
    // What the client got from the batch: no actions for stored objects.
    let big = det_bytes(BIG, BIG_SIZE);
    let r = hub::http(
        "POST",
        &format!("{e}/org/pushed.git/info/lfs/objects/batch"),
        &[
            ("Authorization", &bearer()),
            ("Content-Type", "application/vnd.git-lfs+json"),
        ],
        json!({ "operation": "upload", "transfers": ["basic", "multipart"], "hash_algo": "sha256",
                "objects": [{ "oid": sha256_hex(&big), "size": BIG_SIZE }], "ref": { "name": "main" } })
        .to_string()
        .as_bytes(),
    );
    let b: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(b["objects"][0]["actions"], Value::Null, "{b:#}");
}

#[test]
fn stale_parent_commit_is_412_and_create_pr_opens_a_downloadable_ref() {
    let Some(fx) = fixture() else { return };
    fx.hub.inject(Fault::ConcurrentCommitBeforeNext {
        repo: "org/race".into(),
    });
    let v = fx.py(
        Some(TOKEN),
        "api = HfApi()\n\
         api.create_repo('org/pr')\n\
         c1 = api.upload_file(path_or_fileobj=b'one\\n', path_in_repo='a.txt', repo_id='org/pr').oid\n\
         c2 = api.upload_file(path_or_fileobj=b'two\\n', path_in_repo='a.txt', repo_id='org/pr').oid\n\
         stale = attempt(lambda: api.create_commit('org/pr', [CommitOperationAdd('b.txt', b'b\\n')], \
                 commit_message='stale', parent_commit=c1).oid)\n\
         head_after_stale = api.model_info('org/pr').sha\n\
         good = api.create_commit('org/pr', [CommitOperationAdd('b.txt', b'b\\n')], commit_message='good', \
                parent_commit=c2).oid\n\
         pr = api.upload_file(path_or_fileobj=b'pr content\\n', path_in_repo='pr.txt', repo_id='org/pr', \
              create_pr=True)\n\
         pr_file = read(hf_hub_download('org/pr', 'pr.txt', revision='refs/pr/1')).decode()\n\
         pr_snap = sorted(os.listdir(snapshot_download('org/pr', revision='refs/pr/1')))\n\
         main_pr = attempt(lambda: hf_hub_download('org/pr', 'pr.txt'))\n\
         api.create_repo('org/race')\n\
         head = api.model_info('org/race').sha\n\
         race = attempt(lambda: api.create_commit('org/race', [CommitOperationAdd('c.txt', b'c\\n')], \
                commit_message='race', parent_commit=head).oid)\n\
         out(dict(c1=c1, c2=c2, stale=stale, head_after_stale=head_after_stale, good=good, \
                  pr_url=pr.pr_url, pr_rev=pr.pr_revision, pr_num=pr.pr_num, pr_oid=pr.oid, pr_file=pr_file, \
                  pr_snap=pr_snap, main_pr=main_pr, race_head=head, race=race))",
    );
    let e = fx.hub.endpoint();
    // Stale parent: HfHubHTTPError (no subclass) with status 412 and the Hub's message; branch unchanged.
    let stale = &v["stale"];
    assert_eq!(stale["status"], 412, "{v:#}");
    assert_eq!(stale["err"], "HfHubHTTPError", "{v:#}");
    assert!(stale["msg"].as_str().unwrap().contains(STALE_PARENT), "{v:#}");
    assert_eq!(v["head_after_stale"], v["c2"]);
    let good = v["good"].as_str().unwrap();
    let main = fx.hub.commits("org/pr", "main");
    assert_eq!(main.len(), 4, "initial, one, two, good: {main:?}");
    assert_eq!(
        main[..3],
        [good, v["c2"].as_str().unwrap(), v["c1"].as_str().unwrap()]
    );
    assert_eq!(
        fx.hub.files("org/pr", "main").unwrap(),
        [".gitattributes", "a.txt", "b.txt"]
    );

    // create_pr=True: `?create_pr=1` on preupload and commit; the PR ref sits on main's head.
    assert_eq!(v["pr_url"], format!("{e}/org/pr/discussions/1"));
    assert_eq!(
        (v["pr_rev"].as_str(), v["pr_num"].as_u64()),
        (Some("refs/pr/1"), Some(1))
    );
    assert_eq!(
        fx.hub.head("org/pr", "refs/pr/1").unwrap(),
        v["pr_oid"].as_str().unwrap()
    );
    assert_eq!(fx.hub.commits("org/pr", "refs/pr/1")[1], good);
    assert_eq!(fx.hub.head("org/pr", "main").unwrap(), good);
    assert_eq!(v["pr_file"], "pr content\n");
    assert_eq!(
        v["pr_snap"],
        json!([".gitattributes", "a.txt", "b.txt", "pr.txt"])
    );
    assert!(is_err(&v["main_pr"], "EntryNotFoundError"), "{v:#}");
    let reqs = fx.hub.requests();
    assert!(
        reqs.iter()
            .any(|r| r.path == "/api/models/org/pr/preupload/main?create_pr=1"),
        "{reqs:#?}"
    );
    assert!(
        reqs.iter()
            .any(|r| r.path == "/api/models/org/pr/commit/main?create_pr=1" && r.status == 200),
        "{reqs:#?}"
    );

    // The fault moved org/race's main between the client's read of the head and its commit.
    assert_eq!(v["race"]["status"], 412, "{v:#}");
    let race = fx.hub.commits("org/race", "main");
    assert_eq!(race.len(), 2);
    assert_eq!(race[1], v["race_head"].as_str().unwrap());
    assert_eq!(
        fx.hub.files("org/race", "main").unwrap(),
        [".gitattributes", "concurrent-commit.txt"]
    );
    assert!(fx.hub.faults().is_empty(), "the fault fires once");

    // Without parentCommit the Hub builds on whatever the head is: a concurrent commit is kept.
    fx.hub.inject(Fault::ConcurrentCommitBeforeNext {
        repo: "org/race".into(),
    });
    let v = fx.py(
        Some(TOKEN),
        "out(HfApi().upload_file(path_or_fileobj=b'd\\n', path_in_repo='d.txt', repo_id='org/race').oid)",
    );
    let race = fx.hub.commits("org/race", "main");
    assert_eq!((race.len(), race[0].as_str()), (4, v.as_str().unwrap()));
    assert_eq!(
        fx.hub.files("org/race", "main").unwrap(),
        [".gitattributes", "concurrent-commit.txt", "d.txt"]
    );
}

#[test]
fn missing_or_wrong_token_is_401_and_a_read_token_403() {
    let Some(fx) = fixture() else { return };
    fx.hub.create_repo("org/locked");
    let read_only = fx.tmp.path().join("ro");
    write(&read_only.join("x.txt"), b"x\n");
    fx.hub.add_commit("org/readable", &read_only);
    fx.hub.set_private("org/readable", "hf_readOnlyToken");
    let up = |tok: &str| {
        format!(
            "attempt(lambda: HfApi().upload_file(path_or_fileobj=b'x', path_in_repo='x.txt', \
             repo_id='org/locked'{tok}).oid)"
        )
    };
    let code = format!(
        "out(dict(create_none=attempt(lambda: str(HfApi().create_repo('org/new'))), \
                  create_wrong=attempt(lambda: str(HfApi().create_repo('org/new', token='hf_wrong'))), \
                  create_ro=attempt(lambda: str(HfApi().create_repo('org/new', token='hf_readOnlyToken'))), \
                  up_none={}, up_wrong={}, up_ro={}, \
                  whoami=attempt(lambda: HfApi().whoami(token='{TOKEN}')['name'])))",
        up(""),
        up(", token='hf_wrong'"),
        up(", token='hf_readOnlyToken'")
    );
    let v = fx.py(None, &code);
    for k in ["create_none", "create_wrong", "up_none", "up_wrong"] {
        assert_eq!(v[k]["status"], 401, "{k}: {v:#}");
    }
    for k in ["create_ro", "up_ro"] {
        assert_eq!(v[k]["status"], 403, "{k}: {v:#}");
    }
    assert_eq!(v["whoami"]["ok"], "hubsign-test");
    assert!(fx.hub.head("org/new", "main").is_none());
    assert_eq!(fx.hub.commits("org/locked", "main").len(), 1);
    eprintln!("real client on a 401 commit: {}", v["up_none"]);
}

#[test]
fn rejected_uploads_are_retried_by_the_client() {
    let Some(fx) = fixture() else { return };
    fx.hub.set_multipart_chunk_size(1024 * 1024);
    fx.hub.create_repo("org/retry");
    let dir = fx.tmp.path().join("retry");
    let big = det_bytes("retry.safetensors", 3 * 1024 * 1024 + 5);
    let small = det_bytes("small.bin", 1000);
    write(&dir.join("m.safetensors"), &big);
    write(&dir.join("small.bin"), &small);
    fx.hub.inject(Fault::RejectLfsUpload { times: 2 });
    let code = format!(
        "out(HfApi().upload_folder(repo_id='org/retry', folder_path={:?}).oid)",
        dir.to_str().unwrap()
    );
    let v = fx.py(Some(TOKEN), &code);
    assert_eq!(fx.hub.head("org/retry", "main").unwrap(), v.as_str().unwrap());
    assert!(fx.hub.file("org/retry", "main", "m.safetensors").unwrap().0 == big);
    assert!(fx.hub.file("org/retry", "main", "small.bin").unwrap().0 == small);
    let reqs = fx.hub.requests();
    let puts: Vec<(u16, bool)> = reqs
        .iter()
        .filter(|r| r.method == "PUT")
        .map(|r| (r.status, r.path.contains("partNumber=")))
        .collect();
    assert_eq!(puts.iter().filter(|p| p.0 == 500).count(), 2, "{puts:?}");
    assert_eq!(
        puts.iter().filter(|p| p.0 == 200 && p.1).count(),
        4,
        "4 parts of 1 MiB: {puts:?}"
    );
    assert_eq!(puts.iter().filter(|p| p.0 == 200 && !p.1).count(), 1, "{puts:?}");
    assert!(fx.hub.faults().is_empty());
}

// ------------------------------------------------------------------------------------------------ raw HTTP

fn post_json(url: &str, auth: bool, body: &Value) -> (u16, Value, hub::RawResponse) {
    let b = bearer();
    let mut h = vec![("Content-Type", "application/json")];
    if auth {
        h.push(("Authorization", b.as_str()));
    }
    let r = hub::http("POST", url, &h, body.to_string().as_bytes());
    let v = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
    (r.status, v, r)
}

fn ndjson(lines: &[Value]) -> Vec<u8> {
    lines.iter().flat_map(|l| format!("{l}\n").into_bytes()).collect()
}

/// A hub with a write token, 1000-byte multipart chunks and `org/raw` created through the API.
struct Raw {
    hub: LocalHub,
    ep: String,
    init: String,
}

fn raw_hub() -> Raw {
    let hub = LocalHub::start();
    let ep = hub.endpoint();
    hub.set_write_token(TOKEN);
    hub.set_multipart_chunk_size(1000);
    let (status, body, _) = post_json(
        &format!("{ep}/api/repos/create"),
        true,
        &json!({ "name": "org/raw" }),
    );
    assert_eq!(status, 200, "{body}");
    let init = hub.head("org/raw", "main").unwrap();
    Raw { hub, ep, init }
}

impl Raw {
    fn batch(&self, objs: &[&[u8]], transfers: &Value) -> Value {
        let objects: Vec<Value> = objs
            .iter()
            .map(|b| json!({ "oid": sha256_hex(b), "size": b.len() }))
            .collect();
        let auth = bearer();
        let r = hub::http(
            "POST",
            &format!("{}/org/raw.git/info/lfs/objects/batch", self.ep),
            &[("Authorization", &auth), ("Content-Type", "application/vnd.git-lfs+json")],
            json!({ "operation": "upload", "transfers": transfers, "objects": objects, "hash_algo": "sha256" })
                .to_string()
                .as_bytes(),
        );
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        assert_eq!(r.header("content-type"), Some("application/vnd.git-lfs+json"));
        serde_json::from_slice(&r.body).unwrap()
    }

    /// Uploads one object the way the batch answer says (basic or multipart).
    fn upload(&self, bytes: &[u8]) {
        let v = self.batch(&[bytes], &json!(["basic", "multipart"]));
        let up = &v["objects"][0]["actions"]["upload"];
        let href = up["href"].as_str().unwrap();
        let Some(chunk) = up["header"]["chunk_size"].as_str() else {
            assert_eq!(hub::http("PUT", href, &[], bytes).status, 200);
            return;
        };
        let chunk: usize = chunk.parse().unwrap();
        let parts: Vec<Value> = bytes
            .chunks(chunk)
            .enumerate()
            .map(|(i, part)| {
                let url = up["header"][(i + 1).to_string()].as_str().unwrap();
                let r = hub::http("PUT", url, &[], part);
                assert_eq!(r.status, 200);
                json!({ "partNumber": i + 1, "etag": r.header("etag").unwrap() })
            })
            .collect();
        let body = json!({ "oid": sha256_hex(bytes), "parts": parts });
        assert_eq!(post_json(href, false, &body).0, 200);
    }

    fn commit(&self, rev_q: &str, lines: &[Value]) -> (u16, Value, hub::RawResponse) {
        let auth = bearer();
        let r = hub::http(
            "POST",
            &format!("{}/api/models/org/raw/commit/{rev_q}", self.ep),
            &[("Authorization", &auth), ("Content-Type", "application/x-ndjson")],
            &ndjson(lines),
        );
        let v = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
        (r.status, v, r)
    }
}

fn header(parent: Option<&str>) -> Value {
    let mut h = json!({ "summary": "raw commit", "description": "" });
    if let Some(p) = parent {
        h["parentCommit"] = json!(p);
    }
    json!({ "key": "header", "value": h })
}

fn file_op(path: &str, content: &[u8]) -> Value {
    use base64::Engine as _;
    json!({ "key": "file", "value": { "path": path, "encoding": "base64",
        "content": base64::engine::general_purpose::STANDARD.encode(content) } })
}

fn lfs_op(path: &str, b: &[u8]) -> Value {
    json!({ "key": "lfsFile", "value": { "path": path, "algo": "sha256", "oid": sha256_hex(b), "size": b.len() } })
}

/// create (tokens, `org/name` form, 409 with url), preupload, validate-yaml, read tokens, whoami.
#[test]
fn raw_http_create_repo_preupload_and_tokens() {
    let raw = raw_hub();
    let (hub, ep) = (&raw.hub, &raw.ep);
    let create = format!("{ep}/api/repos/create");
    assert_eq!(post_json(&create, false, &json!({ "name": "org/other" })).0, 401);
    let (status, body, r) = post_json(
        &create,
        true,
        &json!({ "name": "raw", "organization": "org", "type": "model" }),
    );
    assert_eq!((status, &body["url"]), (409, &json!(format!("{ep}/org/raw"))));
    assert!(r.header("x-error-message").is_some());
    let (gitattributes, lfs) = hub.file("org/raw", "main", ".gitattributes").unwrap();
    assert!(
        !lfs && String::from_utf8(gitattributes.clone())
            .unwrap()
            .contains("*.safetensors filter=lfs")
    );
    assert_eq!(hub.commit_title("org/raw", "main").unwrap(), "initial commit");

    let (status, body, _) = post_json(
        &format!("{ep}/api/models/org/raw/preupload/main"),
        true,
        &json!({ "files": [
            { "path": ".gitattributes", "sample": "", "size": 10 },
            { "path": "a.safetensors", "sample": "", "size": 5 },
            { "path": "big.txt", "sample": "", "size": 10 * 1024 * 1024 },
            { "path": "small.txt", "sample": "", "size": 5 },
            { "path": ".git/config", "sample": "", "size": 5 } ] }),
    );
    assert_eq!(status, 200);
    let modes: Vec<(&str, bool)> = body["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["uploadMode"].as_str().unwrap(),
                f["shouldIgnore"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        modes,
        [
            ("regular", false),
            ("lfs", false),
            ("lfs", false),
            ("regular", false),
            ("regular", true)
        ]
    );
    assert_eq!(
        body["files"][0]["oid"],
        hub::git_object_sha1("blob", &gitattributes)
    );
    assert_eq!(body["files"][1]["oid"], Value::Null);
    let (status, _, _) = post_json(
        &format!("{ep}/api/models/org/raw/preupload/nope"),
        true,
        &json!({ "files": [] }),
    );
    assert_eq!(status, 404);

    let (status, body, _) = post_json(
        &format!("{ep}/api/validate-yaml"),
        false,
        &json!({ "content": "---\nlicense: mit\n---\n# x\n", "repoType": "model" }),
    );
    assert_eq!((status, body), (200, json!({ "errors": [], "warnings": [] })));

    // A read token (of a private repo) may read but not write; the write token reads private repos.
    hub.set_private("org/raw", "hf_readOnly");
    let r = hub::http(
        "POST",
        &format!("{ep}/api/models/org/raw/commit/main"),
        &[("Authorization", "Bearer hf_readOnly")],
        &ndjson(&[header(None)]),
    );
    assert_eq!(r.status, 403);
    let r = hub::http(
        "POST",
        &format!("{ep}/api/models/org/raw/commit/main"),
        &[("Authorization", "Bearer hf_unknown")],
        &ndjson(&[header(None)]),
    );
    assert_eq!(r.status, 401);
    let auth = bearer();
    let r = hub::http(
        "GET",
        &format!("{ep}/api/models/org/raw"),
        &[("Authorization", &auth)],
        b"",
    );
    assert_eq!(r.status, 200);
    let r = hub::http("GET", &format!("{ep}/api/models/org/raw"), &[], b"");
    assert_eq!(r.status, 401);
    let r = hub::http(
        "GET",
        &format!("{ep}/api/whoami-v2"),
        &[("Authorization", &auth)],
        b"",
    );
    let who: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(who["auth"]["accessToken"]["role"], "write");
}

/// Batch answers (basic / multipart / dedup), digest and size checks on upload and completion, verify,
/// and the injected upload failure.
#[test]
fn raw_http_lfs_batch_uploads_and_verify() {
    let raw = raw_hub();
    let (hub, ep) = (&raw.hub, &raw.ep);
    let small = b"tiny lfs".to_vec();
    let big = det_bytes("raw-big", 2500);
    let v = raw.batch(&[&small, &big], &json!(["basic", "multipart"]));
    assert_eq!(v["transfer"], "multipart");
    let basic = &v["objects"][0]["actions"];
    assert!(basic["upload"]["header"].is_null());
    let href = basic["upload"]["href"].as_str().unwrap().to_string();
    assert!(href.starts_with(&hub.cdn_origin()), "{href}");
    assert_eq!(basic["verify"]["header"]["Authorization"], bearer());
    assert_eq!(v["objects"][0]["authenticated"], true);
    let mp = &v["objects"][1]["actions"]["upload"];
    assert_eq!(mp["header"]["chunk_size"], "1000");
    let part_urls: Vec<String> = (1..=3)
        .map(|n| mp["header"][n.to_string()].as_str().unwrap().to_string())
        .collect();
    assert!(part_urls.iter().all(|u| u.starts_with(&hub.cdn_origin())));
    assert!(mp["header"]["4"].is_null());
    let complete = mp["href"].as_str().unwrap().to_string();
    assert!(complete.starts_with(&format!("{ep}/")), "{complete}");
    // Only basic offered → no multipart.
    let v = raw.batch(&[&big], &json!(["basic"]));
    assert_eq!(v["transfer"], "basic");
    assert!(v["objects"][0]["actions"]["upload"]["header"].is_null());

    // basic: wrong bytes → 400 and nothing stored; right bytes → 200; verify needs the token.
    assert_eq!(hub::http("PUT", &href, &[], b"tiny lfx").status, 400);
    let verify = format!("{ep}/org/raw.git/info/lfs/objects/verify");
    let obj = json!({ "oid": sha256_hex(&small), "size": small.len() });
    assert_eq!(post_json(&verify, true, &obj).0, 404);
    assert_eq!(hub::http("PUT", &href, &[], &small).status, 200);
    assert_eq!(post_json(&verify, false, &obj).0, 401);
    assert_eq!(post_json(&verify, true, &obj).0, 200);
    let wrong_size = json!({ "oid": sha256_hex(&small), "size": 3 });
    assert_eq!(post_json(&verify, true, &wrong_size).0, 422);

    // multipart: parts answer ETags; a completion with a wrong ETag is refused, the right one stores.
    let mut etags = Vec::new();
    for (i, url) in part_urls.iter().enumerate() {
        let r = hub::http("PUT", url, &[], &big[i * 1000..((i + 1) * 1000).min(big.len())]);
        assert_eq!(r.status, 200);
        etags.push(r.header("etag").unwrap().to_string());
    }
    let parts = |etags: &[String]| -> Value {
        json!({ "oid": sha256_hex(&big), "parts": etags.iter().enumerate()
            .map(|(i, t)| json!({ "partNumber": i + 1, "etag": t })).collect::<Vec<_>>() })
    };
    let mut wrong = etags.clone();
    wrong[1] = "\"nope\"".into();
    assert_eq!(post_json(&complete, false, &parts(&wrong)).0, 400);
    assert_eq!(post_json(&complete, false, &parts(&etags)).0, 200);
    assert!(hub.lfs_objects().contains(&(sha256_hex(&big), big.len() as u64)));
    let v = raw.batch(&[&big], &json!(["basic", "multipart"]));
    assert!(v["objects"][0]["actions"].is_null(), "dedup: {v:#}");

    // A multipart upload whose bytes are wrong fails the digest check at completion.
    let other = det_bytes("raw-other", 1500);
    let v = raw.batch(&[&other], &json!(["basic", "multipart"]));
    let mp = &v["objects"][0]["actions"]["upload"];
    let mut tags = Vec::new();
    for (n, chunk) in [&other[..1000], &big[..500]].iter().enumerate() {
        let url = mp["header"][(n + 1).to_string()].as_str().unwrap();
        tags.push(
            hub::http("PUT", url, &[], chunk)
                .header("etag")
                .unwrap()
                .to_string(),
        );
    }
    let (status, _, r) = post_json(
        mp["href"].as_str().unwrap(),
        false,
        &json!({ "oid": sha256_hex(&other), "parts": [
            { "partNumber": 1, "etag": tags[0] }, { "partNumber": 2, "etag": tags[1] } ] }),
    );
    assert_eq!(status, 400, "{:?}", r.header("x-error-message"));
    assert!(!hub.lfs_objects().iter().any(|(o, _)| *o == sha256_hex(&other)));

    // Injected upload failure: 500 even for good bytes, then fine; never Authorization on the CDN.
    hub.inject(Fault::RejectLfsUpload { times: 1 });
    let third = b"third object".to_vec();
    let v = raw.batch(&[&third], &json!(["basic"]));
    let href = v["objects"][0]["actions"]["upload"]["href"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(hub::http("PUT", &href, &[], &third).status, 500);
    assert_eq!(hub::http("PUT", &href, &[], &third).status, 200);
    let reqs = hub.requests();
    assert!(
        reqs.iter()
            .filter(|r| r.origin == Origin::Cdn)
            .all(|r| r.authorization.is_none())
    );
}

/// Commits (files, LFS files, deletions), their refusals (412 stale parent, missing/short LFS object, bad
/// paths, >= 10 MiB inline, conflicts, unknown deletes), PRs and branches.
#[test]
fn raw_http_commits_refusals_prs_and_branches() {
    let raw = raw_hub();
    let (hub, ep, init) = (&raw.hub, &raw.ep, &raw.init);
    let small = b"tiny lfs".to_vec();
    let big = det_bytes("raw-big", 2500);
    let other = det_bytes("raw-other", 1500);
    raw.upload(&small);
    raw.upload(&big);
    let (status, v, _) = raw.commit(
        "main",
        &[
            header(Some(init)),
            file_op("dir/a.txt", b"hello\n"),
            lfs_op("w/big.bin", &big),
            lfs_op("s.bin", &small),
        ],
    );
    assert_eq!(status, 200, "{v:#}");
    let c1 = v["commitOid"].as_str().unwrap().to_string();
    assert_eq!(v["commitUrl"], format!("{ep}/org/raw/commit/{c1}"));
    assert_eq!(v["success"], true);
    assert!(v.get("pullRequestUrl").is_none());
    assert_eq!(hub.commits("org/raw", "main"), [c1.clone(), init.clone()]);
    let r = hub::http("GET", &format!("{ep}/org/raw/resolve/main/dir/a.txt"), &[], b"");
    assert_eq!((r.status, r.body.as_slice()), (200, &b"hello\n"[..]));
    let r = hub::http("HEAD", &format!("{ep}/org/raw/resolve/main/w/big.bin"), &[], b"");
    assert_eq!(r.status, 302);
    let r = hub::http("GET", r.header("location").unwrap(), &[], b"");
    assert!(r.status == 200 && r.body == big);

    // Refusals leave the branch alone.
    let short = json!({ "key": "lfsFile",
        "value": { "path": "s2.bin", "algo": "sha256", "oid": sha256_hex(&small), "size": 1 } });
    let refused: Vec<(Vec<Value>, u16)> = vec![
        (vec![header(Some(init)), file_op("x.txt", b"x")], 412),
        (vec![header(None), lfs_op("o.bin", &other)], 422),
        (vec![header(None), short], 422),
        (vec![header(None), file_op("../evil", b"x")], 400),
        (vec![header(None), file_op("/abs", b"x")], 400),
        (vec![header(None), file_op("a//b", b"x")], 400),
        (vec![header(None), file_op(".git/config", b"x")], 400),
        (vec![header(None), file_op("dir", b"x")], 400),
        (
            vec![header(None), file_op("huge.txt", &vec![b'a'; 10 * 1024 * 1024])],
            400,
        ),
        (vec![file_op("x.txt", b"x")], 400),
        (
            vec![
                header(None),
                json!({ "key": "deletedFile", "value": { "path": "nope.txt" } }),
            ],
            404,
        ),
    ];
    for (lines, want) in refused {
        let (status, v, r) = raw.commit("main", &lines);
        assert_eq!(status, want, "{v} {:?}", r.header("x-error-message"));
        assert!(r.header("x-error-message").is_some());
    }
    let (status, v, _) = raw.commit("main", &[header(Some(init)), file_op("x.txt", b"x")]);
    assert_eq!((status, &v["error"]), (412, &json!(STALE_PARENT)));
    assert_eq!(hub.head("org/raw", "main").unwrap(), c1);
    assert_eq!(raw.commit("nope", &[header(None), file_op("x.txt", b"x")]).0, 404);

    // Deletions (a folder with a trailing '/'), a PR from an explicit parent, commits to the PR ref.
    let (status, v, _) = raw.commit(
        "main",
        &[
            header(Some(&c1)),
            json!({ "key": "deletedFolder", "value": { "path": "w/" } }),
            json!({ "key": "deletedFile", "value": { "path": "s.bin" } }),
        ],
    );
    assert_eq!(status, 200, "{v:#}");
    assert_eq!(
        hub.files("org/raw", "main").unwrap(),
        [".gitattributes", "dir/a.txt"]
    );
    let (status, v, _) = raw.commit("main?create_pr=1", &[header(Some(&c1)), file_op("p.txt", b"p")]);
    assert_eq!(status, 200, "{v:#}");
    assert_eq!(v["pullRequestUrl"], format!("{ep}/org/raw/discussions/1"));
    assert_eq!(hub.commits("org/raw", "refs/pr/1")[1], c1);
    let (status, v, _) = raw.commit("refs%2Fpr%2F1", &[header(None), file_op("p2.txt", b"p2")]);
    assert_eq!(status, 200, "{v:#}");
    assert_eq!(hub.commits("org/raw", "refs/pr/1").len(), 4);
    assert_eq!(
        raw.commit("main?create_pr=1", &[header(None), file_op("q.txt", b"q")])
            .0,
        200
    );
    assert!(hub.head("org/raw", "refs/pr/2").is_some());

    // Branches.
    let branch = format!("{ep}/api/models/org/raw/branch/dev");
    assert_eq!(post_json(&branch, true, &json!({ "startingPoint": c1 })).0, 200);
    assert_eq!(hub.head("org/raw", "dev").unwrap(), c1);
    assert_eq!(post_json(&branch, true, &json!({})).0, 409);
    assert_eq!(
        raw.commit("dev", &[header(Some(&c1)), file_op("d.txt", b"d")]).0,
        200
    );
    assert_eq!(hub.commits("org/raw", "dev").len(), 3);
}

/// `create_branch` as `huggingface_hub` calls it (`POST /api/models/{repo}/branch/{branch}`, the
/// branch quoted with `safe=""`): from the default branch's head or a given revision; an existing
/// branch is 409 (`exist_ok=True` accepts it); a `refs/…` name is a `BadRequestError`. And
/// `hf upload --revision NEW` creates the branch it pushes to, leaving `main` alone.
#[test]
fn create_branch_and_hf_upload_to_a_new_branch() {
    let Some(fx) = fixture() else { return };
    let v = fx.py(
        Some(TOKEN),
        "api = HfApi()\n\
         api.create_repo('org/branchy')\n\
         c1 = api.upload_file(path_or_fileobj=b'one\\n', path_in_repo='a.txt', repo_id='org/branchy').oid\n\
         c2 = api.upload_file(path_or_fileobj=b'two\\n', path_in_repo='a.txt', repo_id='org/branchy').oid\n\
         made = attempt(lambda: api.create_branch('org/branchy', branch='dev'))\n\
         again = attempt(lambda: api.create_branch('org/branchy', branch='dev'))\n\
         exist_ok = attempt(lambda: api.create_branch('org/branchy', branch='dev', exist_ok=True))\n\
         old = attempt(lambda: api.create_branch('org/branchy', branch='feature/old', revision=c1))\n\
         bad = attempt(lambda: api.create_branch('org/branchy', branch='refs/pr/5'))\n\
         refs = sorted([b.name, b.target_commit] for b in api.list_repo_refs('org/branchy').branches)\n\
         old_file = read(hf_hub_download('org/branchy', 'a.txt', revision='feature/old')).decode()\n\
         out(dict(c1=c1, c2=c2, made=made, again=again, exist_ok=exist_ok, old=old, bad=bad, refs=refs, \
                  old_file=old_file))",
    );
    let (c1, c2) = (v["c1"].as_str().unwrap(), v["c2"].as_str().unwrap());
    assert_eq!(v["made"], json!({ "ok": null }), "{v}");
    assert_eq!(v["again"]["status"], 409, "{v}");
    assert!(is_err(&v["again"], "HfHubHTTPError"), "{v}");
    assert_eq!(v["exist_ok"], json!({ "ok": null }), "{v}");
    assert_eq!(v["old"], json!({ "ok": null }), "{v}");
    assert!(is_err(&v["bad"], "BadRequestError"), "{v}");
    assert_eq!(v["refs"], json!([["dev", c2], ["feature/old", c1], ["main", c2]]));
    assert_eq!(v["old_file"], "one\n");
    let reqs = fx.hub.requests();
    assert!(
        reqs.iter()
            .any(|r| r.method == "POST" && r.path == "/api/models/org/branchy/branch/feature%2Fold"),
        "{reqs:?}"
    );

    // The `hf` CLI: `hf upload --revision` to a branch that does not exist creates it.
    let dir = fx.tmp.path().join("up");
    write(&dir.join("b.txt"), b"on the new branch\n");
    let mut c = Command::new(fx.py.parent().unwrap().join("hf"));
    c.args(["upload", "org/branchy"])
        .arg(&dir)
        .args(["--revision", "fresh"])
        .env("HF_ENDPOINT", fx.hub.endpoint())
        .env("HF_HOME", fx.tmp.path().join("hf-home"))
        .env("HF_TOKEN", TOKEN)
        .env("HF_HUB_DISABLE_TELEMETRY", "1")
        .env("HF_HUB_DISABLE_UPDATE_CHECK", "1")
        .env("HF_HUB_DISABLE_XET", "1")
        .env("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        .env("PYTHONWARNINGS", "ignore")
        .env_remove("HF_HUB_OFFLINE");
    run(c).ok();
    let fresh = fx.hub.head("org/branchy", "fresh").unwrap();
    let mut files = fx.hub.files("org/branchy", &fresh).unwrap();
    files.sort();
    assert_eq!(files, [".gitattributes", "a.txt", "b.txt"]);
    assert_eq!(fx.hub.head("org/branchy", "main").unwrap(), c2);
    let reqs = fx.hub.requests();
    assert!(
        reqs.iter()
            .any(|r| r.method == "POST" && r.path == "/api/models/org/branchy/branch/fresh"),
        "hf upload did not create the branch: {reqs:?}"
    );
}

//! The local Hub (`crates/testhub/src/hub`) is faithful: the real Python `huggingface_hub` (from the venv made by
//! `scripts/python-env`) downloads from it, lists it and caches it exactly as it does from the real Hub, and
//! every injected fault changes what that client (or a raw HTTP request) sees.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};
use sha2::Digest as _;

use crate::support::hub::{self, Fault, LocalHub, Origin, Request};
use crate::support::{self, Run, det_bytes, run, write};
use testhub::python;

const REPO: &str = "org/tiny";
/// LFS by name and by size.
const BIG: &str = "weights/big.safetensors";
const BIG_SIZE: usize = 12 * 1024 * 1024;
/// LFS by size only.
const LARGE_DAT: &str = "data/large.dat";
const LARGE_DAT_SIZE: usize = 10 * 1024 * 1024 + 1;
/// Small and LFS by name.
const SMALL_LFS: &str = "nested/deeper/weights.bin";
const TOKEN: &str = "hf_localhubTestToken";

struct Fixture {
    tmp: tempfile::TempDir,
    src: PathBuf,
    hub: LocalHub,
    sha: String,
    py: PathBuf,
}

/// A hub with `org/tiny`: the tiny model (without its `.git/`), a 12 MiB LFS file, a 10 MiB+1 file that is
/// LFS by size only, and a regular `model.sig`.
fn fixture() -> Option<Fixture> {
    let py = python::venv_python()?;
    let tmp = support::tempdir();
    let src = support::tiny_model(tmp.path());
    std::fs::remove_dir_all(src.join(".git")).unwrap();
    write(&src.join(BIG), &det_bytes(BIG, BIG_SIZE));
    write(&src.join(LARGE_DAT), &det_bytes(LARGE_DAT, LARGE_DAT_SIZE));
    write(
        &src.join("model.sig"),
        b"{\"mediaType\": \"not a real bundle\"}\n",
    );
    let hub = LocalHub::start();
    let sha = hub.add_commit(REPO, &src);
    Some(Fixture {
        tmp,
        src,
        hub,
        sha,
        py,
    })
}

impl Fixture {
    fn home(&self) -> PathBuf {
        self.tmp.path().join("hf-home")
    }
    fn cache_repo(&self) -> PathBuf {
        self.home().join("hub").join("models--org--tiny")
    }
    fn env(&self, c: &mut Command, home: &Path) {
        for var in [
            "HF_TOKEN",
            "HUGGING_FACE_HUB_TOKEN",
            "HF_HUB_OFFLINE",
            "HF_HUB_CACHE",
            "HUGGINGFACE_HUB_CACHE",
            "TRANSFORMERS_CACHE",
            "HF_HUB_DOWNLOAD_TIMEOUT",
            "HF_HUB_ETAG_TIMEOUT",
            "HF_TOKEN_PATH",
        ] {
            c.env_remove(var);
        }
        c.env("HF_ENDPOINT", self.hub.endpoint())
            .env("HF_HOME", home)
            .env("HF_HUB_DISABLE_TELEMETRY", "1")
            .env("HF_HUB_DISABLE_UPDATE_CHECK", "1")
            .env("HF_HUB_DISABLE_XET", "1")
            .env("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            .env("PYTHONWARNINGS", "ignore")
            .env("TRANSFORMERS_VERBOSITY", "error")
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("no_proxy", "127.0.0.1,localhost");
    }
    fn py_in(&self, home: &Path, code: &str, env: &[(&str, &str)]) -> Run {
        let mut c = Command::new(&self.py);
        c.arg("-c").arg(python::script(python::HF_IMPORTS, code));
        self.env(&mut c, home);
        for (k, v) in env {
            c.env(k, v);
        }
        run(c)
    }
    /// Runs `code` (which calls `out(...)` once) and returns what it printed.
    fn json_in(&self, home: &Path, code: &str, env: &[(&str, &str)]) -> Value {
        let r = self.py_in(home, code, env);
        r.ok();
        python::result(&r.stdout(), &r.stderr())
    }
    fn json(&self, code: &str) -> Value {
        self.json_in(&self.home(), code, &[])
    }
    fn hf(&self, home: &Path, args: &[&str]) -> Run {
        let mut c = Command::new(self.py.with_file_name("hf"));
        c.args(args);
        self.env(&mut c, home);
        run(c)
    }
    fn source_files(&self) -> BTreeMap<String, PathBuf> {
        walk(&self.src)
    }
}

/// Regular files under `dir` by '/'-separated relative path (symlinks followed).
fn walk(dir: &Path) -> BTreeMap<String, PathBuf> {
    fn go(root: &Path, d: &Path, out: &mut BTreeMap<String, PathBuf>) {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                go(root, &p, out);
            } else if p.is_file() {
                let rel = p.strip_prefix(root).unwrap().to_str().unwrap().replace('\\', "/");
                out.insert(rel, p);
            }
        }
    }
    let mut out = BTreeMap::new();
    go(dir, dir, &mut out);
    out
}

fn sha256_hex(b: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(b))
}

/// What the Hub would say about a source file: (blob id in tree listings, Some(sha256) when LFS).
fn expected_ids(path: &str, bytes: &[u8]) -> (String, Option<String>) {
    let sha = sha256_hex(bytes);
    if hub::is_lfs(path, bytes.len() as u64) {
        let ptr = hub::lfs_pointer(&sha, bytes.len() as u64);
        (hub::git_object_sha1("blob", ptr.as_bytes()), Some(sha))
    } else {
        (hub::git_object_sha1("blob", bytes), None)
    }
}

fn is_err(v: &Value, class: &str) -> bool {
    v["mro"].as_array().is_some_and(|m| m.iter().any(|c| c == class))
}

#[track_caller]
fn assert_err(v: &Value, class: &str) {
    assert!(is_err(v, class), "expected {class}, got {v:#}");
}

fn hub_reqs(reqs: &[Request]) -> Vec<&Request> {
    reqs.iter().filter(|r| r.origin == Origin::Hub).collect()
}

fn cdn_reqs(reqs: &[Request]) -> Vec<&Request> {
    reqs.iter().filter(|r| r.origin == Origin::Cdn).collect()
}

// ------------------------------------------------------------------------------------------------ tests

#[test]
fn snapshot_download_is_byte_identical_with_standard_cache_layout() {
    let Some(fx) = fixture() else { return };
    let v = fx.json("out(snapshot_download('org/tiny'))");
    let snap = fx.cache_repo().join("snapshots").join(&fx.sha);
    assert_eq!(Path::new(v.as_str().unwrap()), snap);

    let src = fx.source_files();
    let got = walk(&snap);
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        src.keys().collect::<Vec<_>>(),
        "snapshot file set"
    );
    for (rel, p) in &src {
        let bytes = std::fs::read(p).unwrap();
        let link = snap.join(rel);
        assert!(
            std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(),
            "{rel} not a symlink"
        );
        let target = std::fs::read_link(&link).unwrap();
        assert!(
            target.is_relative() && target.starts_with(".."),
            "{rel} -> {}",
            target.display()
        );
        let (blob_id, lfs) = expected_ids(rel, &bytes);
        let blob_name = lfs.unwrap_or(blob_id);
        assert_eq!(
            target.file_name().unwrap().to_str().unwrap(),
            blob_name,
            "{rel}: blob name"
        );
        let resolved = link.parent().unwrap().join(&target);
        assert_eq!(
            std::fs::canonicalize(&resolved).unwrap(),
            fx.cache_repo().join("blobs").join(&blob_name)
        );
        assert!(std::fs::read(&link).unwrap() == bytes, "{rel}: content differs");
    }
    let refs_main = std::fs::read(fx.cache_repo().join("refs").join("main")).unwrap();
    assert_eq!(
        refs_main,
        fx.sha.as_bytes(),
        "refs/main: exactly the 40-hex sha, no newline"
    );

    // The real client's call order: revision → tree of the pinned commit → HEAD per file (pinned) →
    // regular bodies from the hub, LFS bodies from the CDN after the 302.
    let reqs = fx.hub.requests();
    let hub = hub_reqs(&reqs);
    assert_eq!(hub[0].path, "/api/models/org/tiny/revision/main");
    assert!(
        hub[1]
            .path
            .starts_with(&format!("/api/models/org/tiny/tree/{}?", fx.sha)),
        "{:?}",
        hub[1]
    );
    assert!(
        hub[1].path.contains("recursive=") && hub[1].path.contains("expand="),
        "{:?}",
        hub[1]
    );
    let heads = hub.iter().filter(|r| r.method == "HEAD").count();
    assert_eq!(heads, src.len(), "one HEAD per file");
    assert!(hub.iter().all(|r| r.status < 400), "{hub:#?}");
    let lfs_count = src
        .iter()
        .filter(|(rel, p)| hub::is_lfs(rel, std::fs::metadata(p).unwrap().len()))
        .count();
    let cdn = cdn_reqs(&reqs);
    assert_eq!(cdn.len(), lfs_count, "{cdn:#?}");
    assert!(
        cdn.iter()
            .all(|r| r.method == "GET" && r.status == 200 && r.authorization.is_none())
    );
    assert!(
        !hub.iter()
            .any(|r| r.method == "GET" && r.path.ends_with(".safetensors")),
        "LFS bodies must come from the CDN"
    );

    // trees/<commit>.json (huggingface_hub >= 1.22) lists everything with our hashes.
    let tree: Value = serde_json::from_slice(
        &std::fs::read(fx.cache_repo().join("trees").join(format!("{}.json", fx.sha))).unwrap(),
    )
    .unwrap();
    let big = &tree["files"][BIG];
    assert_eq!(big["lfs_sha256"], sha256_hex(&det_bytes(BIG, BIG_SIZE)));

    // Offline: same path, no request at all.
    fx.hub.clear_requests();
    let v2 = fx.json_in(
        &fx.home(),
        "out(snapshot_download('org/tiny'))",
        &[("HF_HUB_OFFLINE", "1")],
    );
    assert_eq!(v2, v);
    assert!(fx.hub.requests().is_empty(), "{:#?}", fx.hub.requests());

    // `hf cache verify` (huggingface_hub >= 1.1) recomputes sha256 / git sha1 against the tree listing.
    let r = fx.hf(&fx.home(), &["cache", "verify", REPO]);
    r.ok().stdout_has(&format!("Verified {} file(s)", src.len()));
}

#[test]
fn hf_hub_download_regular_and_lfs_files_by_branch_sha_and_pr_ref() {
    let Some(fx) = fixture() else { return };
    let files = [
        "config.json",
        "order/\u{fc}.txt",
        "model.sig",
        BIG,
        SMALL_LFS,
        LARGE_DAT,
        "empty.bin",
    ];
    let code = format!(
        "files = {files:?}\nout({{f: [hf_hub_download('org/tiny', f), hf_hub_download('org/tiny', f, revision='{}')] for f in files}})",
        fx.sha
    );
    let v = fx.json(&code);
    for f in files {
        let want = std::fs::read(fx.src.join(f)).unwrap();
        for p in v[f].as_array().unwrap() {
            let p = Path::new(p.as_str().unwrap());
            assert!(
                p.starts_with(fx.cache_repo().join("snapshots").join(&fx.sha)),
                "{}",
                p.display()
            );
            assert!(std::fs::read(p).unwrap() == want, "{f}: content differs");
        }
    }
    let reqs = fx.hub.requests();
    // Non-ASCII paths are percent-encoded UTF-8. The pinned second download is served from the cache
    // without any request (the revision is a commit sha and the file is in its snapshot).
    assert!(
        reqs.iter()
            .any(|r| r.path == "/org/tiny/resolve/main/order/%C3%BC.txt"),
        "{reqs:#?}"
    );
    assert!(
        !reqs
            .iter()
            .any(|r| r.path.starts_with(&format!("/org/tiny/resolve/{}/", fx.sha))),
        "{reqs:#?}"
    );

    // A second commit on main and a PR ref: each revision serves its own content.
    let v2 = fx.tmp.path().join("v2");
    write(&v2.join("config.json"), b"{\"hidden_size\": 128}\n");
    let sha2 = fx.hub.add_commit(REPO, &v2);
    let pr = fx.tmp.path().join("pr");
    write(&pr.join("config.json"), b"{\"hidden_size\": 256}\n");
    let sha_pr = fx.hub.add_commit_on(REPO, "refs/pr/1", &pr);
    fx.hub.clear_requests();
    let code = format!(
        "out([read(hf_hub_download('org/tiny', 'config.json', revision=r)).decode() for r in ['main', '{}', 'refs/pr/1']])",
        fx.sha
    );
    let v = fx.json(&code);
    assert_eq!(v[0], "{\"hidden_size\": 128}\n");
    assert_eq!(
        v[1],
        String::from_utf8(std::fs::read(fx.src.join("config.json")).unwrap()).unwrap()
    );
    assert_eq!(v[2], "{\"hidden_size\": 256}\n");
    let reqs = fx.hub.requests();
    assert!(
        reqs.iter()
            .any(|r| r.path == "/org/tiny/resolve/refs%2Fpr%2F1/config.json"),
        "{reqs:#?}"
    );
    assert_eq!(
        std::fs::read_to_string(fx.cache_repo().join("refs").join("refs").join("pr").join("1")).unwrap(),
        sha_pr
    );
    assert_eq!(
        std::fs::read_to_string(fx.cache_repo().join("refs").join("main")).unwrap(),
        sha2
    );
    assert_eq!(fx.hub.head(REPO, "main").unwrap(), sha2);
}

#[test]
fn tree_listing_paginates_and_metadata_endpoints_agree() {
    let Some(fx) = fixture() else { return };
    fx.hub.set_page_size(5);
    let v = fx.json(
        "api = HfApi()\n\
         tree = [dict(type=type(e).__name__, path=e.path, size=getattr(e, 'size', None), \
                 blob_id=getattr(e, 'blob_id', None), tree_id=getattr(e, 'tree_id', None), \
                 lfs=(e.lfs.sha256 if getattr(e, 'lfs', None) else None)) \
                 for e in api.list_repo_tree('org/tiny', recursive=True)]\n\
         top = sorted(e.path for e in api.list_repo_tree('org/tiny'))\n\
         tok = sorted(e.path for e in api.list_repo_tree('org/tiny', path_in_repo='tokenizer'))\n\
         info = api.model_info('org/tiny', files_metadata=True)\n\
         sib = {s.rfilename: [s.size, s.blob_id, s.lfs.sha256 if s.lfs else None] for s in info.siblings}\n\
         pi = sorted((type(e).__name__, e.path) for e in api.get_paths_info('org/tiny', ['config.json', 'weights/big.safetensors', 'tokenizer', 'nope']))\n\
         refs = api.list_repo_refs('org/tiny', include_pull_requests=True)\n\
         exp = sorted({e.last_commit.oid for e in api.list_repo_tree('org/tiny', path_in_repo='tokenizer', expand=True)})\n\
         out(dict(tree=tree, top=top, tok=tok, sha=info.sha, private=info.private, sib=sib, pi=pi, \
                  files=sorted(api.list_repo_files('org/tiny')), \
                  branches=[[b.name, b.target_commit] for b in refs.branches], prs=len(refs.pull_requests), exp=exp))",
    );
    let src = fx.source_files();
    let mut want_dirs = std::collections::BTreeSet::new();
    let tree = v["tree"].as_array().unwrap();
    let listed: BTreeMap<&str, &Value> = tree
        .iter()
        .filter(|e| e["type"] == "RepoFile")
        .map(|e| (e["path"].as_str().unwrap(), e))
        .collect();
    assert_eq!(
        listed.keys().copied().collect::<Vec<_>>(),
        src.keys().map(String::as_str).collect::<Vec<_>>()
    );
    for (rel, p) in &src {
        let bytes = std::fs::read(p).unwrap();
        let (blob_id, lfs) = expected_ids(rel, &bytes);
        let e = listed[rel.as_str()];
        assert_eq!(e["size"], json!(bytes.len()), "{rel}");
        assert_eq!(e["blob_id"], json!(blob_id), "{rel}");
        assert_eq!(e["lfs"], json!(lfs), "{rel}");
        assert_eq!(v["sib"][rel], json!([bytes.len(), blob_id, lfs]), "{rel}");
        let mut d = rel.as_str();
        while let Some((parent, _)) = d.rsplit_once('/') {
            want_dirs.insert(parent.to_string());
            d = parent;
        }
    }
    let dirs: Vec<&str> = tree
        .iter()
        .filter(|e| e["type"] == "RepoFolder")
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        dirs.iter()
            .copied()
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        want_dirs.len()
    );
    assert!(dirs.iter().all(|d| want_dirs.contains(*d)));
    assert!(v["top"].as_array().unwrap().contains(&json!("tokenizer")));
    assert!(
        !v["top"]
            .as_array()
            .unwrap()
            .contains(&json!("tokenizer/vocab.txt"))
    );
    assert_eq!(v["tok"], json!(["tokenizer/merges.txt", "tokenizer/vocab.txt"]));
    assert_eq!(v["sha"], json!(fx.sha));
    assert_eq!(v["private"], json!(false));
    assert_eq!(
        v["pi"],
        json!([
            ["RepoFile", "config.json"],
            ["RepoFile", BIG],
            ["RepoFolder", "tokenizer"]
        ])
    );
    assert_eq!(v["files"].as_array().unwrap().len(), src.len());
    assert_eq!(v["branches"], json!([["main", fx.sha]]));
    assert_eq!(v["exp"], json!([fx.sha]), "expand=true adds lastCommit");

    // Pagination really happened: the recursive listing took ceil(entries / 5) requests, the client
    // following `Link: <…>; rel="next"` (our cursor) each time.
    let total = tree.len();
    let reqs = fx.hub.requests();
    let pages: Vec<&Request> = reqs
        .iter()
        .filter(|r| r.path.starts_with("/api/models/org/tiny/tree/main?recursive="))
        .collect();
    assert!(
        pages.len() >= total.div_ceil(5),
        "{} pages for {total} entries",
        pages.len()
    );
    assert!(pages.iter().any(|r| r.path.contains("cursor=")));
}

#[test]
fn private_repo_needs_the_token_which_never_reaches_the_cdn() {
    let Some(fx) = fixture() else { return };
    fx.hub.set_private(REPO, TOKEN);
    let code = format!(
        "api = HfApi()\n\
         out(dict(\n\
           snap=attempt(lambda: snapshot_download('org/tiny')),\n\
           file=attempt(lambda: hf_hub_download('org/tiny', 'config.json')),\n\
           info=attempt(lambda: api.model_info('org/tiny').sha),\n\
           wrong=attempt(lambda: api.model_info('org/tiny', token='hf_wrong').sha),\n\
           whoami_wrong=attempt(lambda: api.whoami(token='hf_wrong')['name']),\n\
           whoami=attempt(lambda: api.whoami(token='{TOKEN}')['name']),\n\
           info_ok=attempt(lambda: [api.model_info('org/tiny', token='{TOKEN}').sha, api.model_info('org/tiny', token='{TOKEN}').private]),\n\
           snap_ok=attempt(lambda: snapshot_download('org/tiny', token='{TOKEN}'))))"
    );
    let v = fx.json(&code);
    assert_err(&v["snap"], "RepositoryNotFoundError");
    assert_err(&v["file"], "RepositoryNotFoundError");
    assert_err(&v["info"], "RepositoryNotFoundError");
    assert_eq!(v["info"]["status"], 401);
    // An unknown token is refused as such (401 "Invalid credentials…"), not as a missing repo.
    assert_eq!(v["wrong"]["status"], 401, "{v:#}");
    assert!(!is_err(&v["wrong"], "RepositoryNotFoundError"), "{v:#}");
    assert!(v["whoami_wrong"]["err"].is_string(), "{v:#}");
    assert_eq!(v["whoami"]["ok"], "hubsign-test");
    assert_eq!(v["info_ok"]["ok"], json!([fx.sha, true]));
    let snap = fx.cache_repo().join("snapshots").join(&fx.sha);
    assert_eq!(v["snap_ok"]["ok"], json!(snap.to_str().unwrap()));
    for (rel, p) in fx.source_files() {
        assert!(
            std::fs::read(snap.join(&rel)).unwrap() == std::fs::read(p).unwrap(),
            "{rel}"
        );
    }

    let reqs = fx.hub.requests();
    let ok_hub: Vec<&Request> = hub_reqs(&reqs).into_iter().filter(|r| r.status < 400).collect();
    assert!(!ok_hub.is_empty());
    for r in ok_hub {
        assert_eq!(
            r.authorization.as_deref(),
            Some(format!("Bearer {TOKEN}").as_str()),
            "{r:?}"
        );
    }
    let cdn = cdn_reqs(&reqs);
    assert!(cdn.len() >= 3, "{cdn:#?}");
    assert!(
        cdn.iter().all(|r| r.authorization.is_none() && r.status == 200),
        "{cdn:#?}"
    );
}

#[test]
fn missing_file_bad_revision_and_unknown_repo_raise_the_right_errors() {
    let Some(fx) = fixture() else { return };
    let v = fx.json(
        "out(dict(\n\
           entry=attempt(lambda: hf_hub_download('org/tiny', 'nope.txt')),\n\
           rev=attempt(lambda: hf_hub_download('org/tiny', 'config.json', revision='nope')),\n\
           snap_rev=attempt(lambda: snapshot_download('org/tiny', revision='nope')),\n\
           info_rev=attempt(lambda: HfApi().model_info('org/tiny', revision='nope')),\n\
           repo=attempt(lambda: hf_hub_download('org/none', 'config.json')),\n\
           tree_path=attempt(lambda: list(HfApi().list_repo_tree('org/tiny', path_in_repo='nope')))))",
    );
    assert_err(&v["entry"], "EntryNotFoundError");
    assert_err(&v["entry"], "RemoteEntryNotFoundError");
    assert_eq!(v["entry"]["status"], 404);
    assert_err(&v["rev"], "RevisionNotFoundError");
    assert_err(&v["snap_rev"], "RevisionNotFoundError");
    assert_err(&v["info_rev"], "RevisionNotFoundError");
    assert_err(&v["repo"], "RepositoryNotFoundError");
    assert_eq!(v["repo"]["status"], 401);
    assert_err(&v["tree_path"], "EntryNotFoundError");
    // X-Repo-Commit on the 404 lets the client cache the absence.
    assert!(
        fx.cache_repo()
            .join(".no_exist")
            .join(&fx.sha)
            .join("nope.txt")
            .exists()
    );
}

#[test]
fn transformers_loads_a_config_through_the_hub_then_offline() {
    let Some(fx) = fixture() else { return };
    let code = "from transformers import PretrainedConfig\nout(PretrainedConfig.from_pretrained('org/tiny').hidden_size)";
    assert_eq!(fx.json(code), 64);
    fx.hub.clear_requests();
    assert_eq!(fx.json_in(&fx.home(), code, &[("HF_HUB_OFFLINE", "1")]), 64);
    assert!(fx.hub.requests().is_empty());
}

// ------------------------------------------------------------------------------------------------ faults

#[test]
fn corrupt_body_is_downloaded_unchecked_but_fails_hf_cache_verify() {
    let Some(fx) = fixture() else { return };
    fx.hub.inject(Fault::CorruptBody {
        path: "config.json".into(),
    });
    fx.hub.inject(Fault::CorruptBody { path: BIG.into() });
    // The real client only checks sizes: the corrupt bytes land in the cache under the promised names.
    let v = fx.json("out(snapshot_download('org/tiny'))");
    let snap = Path::new(v.as_str().unwrap());
    for f in ["config.json", BIG] {
        let got = std::fs::read(snap.join(f)).unwrap();
        let want = std::fs::read(fx.src.join(f)).unwrap();
        assert_eq!(got.len(), want.len());
        assert!(got != want, "{f} was not corrupted");
    }
    assert!(
        std::fs::read(snap.join("tokenizer/vocab.txt")).unwrap()
            == std::fs::read(fx.src.join("tokenizer/vocab.txt")).unwrap()
    );
    let r = fx.hf(&fx.home(), &["cache", "verify", REPO]);
    r.expect_code(1).stdout_has("config.json").stdout_has(BIG);
}

#[test]
fn truncated_bodies_are_resumed_with_range_requests() {
    let Some(fx) = fixture() else { return };
    let mib = 1024 * 1024;
    // The real client reads the body in 10 MiB chunks (DOWNLOAD_CHUNK_SIZE) and only counts whole chunks
    // as received: a cut after 11 MiB resumes at 10 MiB, a cut in a small file restarts from 0.
    fx.hub.inject(Fault::TruncateBody {
        path: BIG.into(),
        after: 11 * mib,
        times: 1,
    });
    fx.hub.inject(Fault::TruncateBody {
        path: "tokenizer/vocab.txt".into(),
        after: 1000,
        times: 2,
    });
    let v = fx.json(
        "out([hf_hub_download('org/tiny', f) for f in ['weights/big.safetensors', 'tokenizer/vocab.txt']])",
    );
    assert!(std::fs::read(v[0].as_str().unwrap()).unwrap() == det_bytes(BIG, BIG_SIZE));
    assert!(
        std::fs::read(v[1].as_str().unwrap()).unwrap()
            == std::fs::read(fx.src.join("tokenizer/vocab.txt")).unwrap()
    );
    assert!(
        fx.hub.faults().is_empty(),
        "faults not consumed: {:?}",
        fx.hub.faults()
    );
    let reqs = fx.hub.requests();
    let ranges: Vec<Option<&str>> = cdn_reqs(&reqs).iter().map(|r| r.range.as_deref()).collect();
    let resume = format!("bytes={}-", 10 * mib);
    assert_eq!(ranges, [None, Some(resume.as_str())]);
    let vocab: Vec<Option<&str>> = hub_reqs(&reqs)
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/tokenizer/vocab.txt"))
        .map(|r| r.range.as_deref())
        .collect();
    assert_eq!(vocab, [None, None, None]);
    assert!(reqs.iter().any(|r| r.status == 206));
}

#[test]
fn server_errors_are_retried_or_surface() {
    let Some(fx) = fixture() else { return };
    let big_sha = sha256_hex(&det_bytes(BIG, BIG_SIZE));
    fx.hub.inject(Fault::ServerError {
        path_contains: "/resolve/main/config.json".into(),
        status: 503,
        times: 2,
    });
    fx.hub.inject(Fault::ServerError {
        path_contains: big_sha.clone(),
        status: 429,
        times: 1,
    });
    let v =
        fx.json("out([hf_hub_download('org/tiny', f) for f in ['config.json', 'weights/big.safetensors']])");
    assert!(
        std::fs::read(v[0].as_str().unwrap()).unwrap() == std::fs::read(fx.src.join("config.json")).unwrap()
    );
    assert!(std::fs::read(v[1].as_str().unwrap()).unwrap() == det_bytes(BIG, BIG_SIZE));
    let reqs = fx.hub.requests();
    let cfg: Vec<u16> = reqs
        .iter()
        .filter(|r| r.path == "/org/tiny/resolve/main/config.json")
        .map(|r| r.status)
        .collect();
    assert_eq!(&cfg[..2], [503, 503], "{reqs:#?}");
    let cdn: Vec<u16> = cdn_reqs(&reqs).iter().map(|r| r.status).collect();
    assert_eq!(cdn, [429, 200]);

    // Paginated listings go through the client's backoff (a 500 on the tree is retried); the revision
    // call is not: with nothing cached, snapshot_download gives up with LocalEntryNotFoundError.
    fx.hub.clear_requests();
    fx.hub.inject(Fault::ServerError {
        path_contains: "/tree/".into(),
        status: 500,
        times: 1,
    });
    let v = fx.json_in(
        &fx.tmp.path().join("home2"),
        "out(attempt(lambda: snapshot_download('org/tiny')))",
        &[],
    );
    assert!(v["ok"].is_string(), "{v:#}");
    let tree: Vec<u16> = fx
        .hub
        .requests()
        .iter()
        .filter(|r| r.path.contains("/tree/"))
        .map(|r| r.status)
        .collect();
    assert_eq!(tree, [500, 200]);
    fx.hub.inject(Fault::ServerError {
        path_contains: "/revision/main".into(),
        status: 500,
        times: 1,
    });
    let v = fx.json_in(
        &fx.tmp.path().join("home3"),
        "out(attempt(lambda: snapshot_download('org/tiny')))",
        &[],
    );
    assert_err(&v, "LocalEntryNotFoundError");
    assert!(v["msg"].as_str().unwrap().contains("500"), "{v:#}");
}

#[test]
fn stalls_are_waited_out_or_resumed_after_a_read_timeout() {
    let Some(fx) = fixture() else { return };
    fx.hub.inject(Fault::Stall {
        path: BIG.into(),
        after: 4 << 20,
        duration: Duration::from_millis(2500),
    });
    let v = fx.json("t = time.time(); p = hf_hub_download('org/tiny', 'weights/big.safetensors'); out([p, time.time() - t])");
    assert!(std::fs::read(v[0].as_str().unwrap()).unwrap() == det_bytes(BIG, BIG_SIZE));
    assert!(v[1].as_f64().unwrap() >= 2.4, "no stall seen: {v}");
    assert_eq!(cdn_reqs(&fx.hub.requests()).len(), 1);

    // Longer than the client's read timeout: it gives up on the stalled response and resumes with a Range.
    fx.hub.clear_faults();
    fx.hub.clear_requests();
    // (It resumes at the last whole 10 MiB chunk, and the resumed, shorter response does not stall.)
    fx.hub.inject(Fault::Stall {
        path: BIG.into(),
        after: 11 << 20,
        duration: Duration::from_secs(4),
    });
    let v = fx.json_in(
        &fx.tmp.path().join("home2"),
        "out(hf_hub_download('org/tiny', 'weights/big.safetensors'))",
        &[("HF_HUB_DOWNLOAD_TIMEOUT", "1")],
    );
    assert!(std::fs::read(v.as_str().unwrap()).unwrap() == det_bytes(BIG, BIG_SIZE));
    let ranges: Vec<Option<String>> = cdn_reqs(&fx.hub.requests())
        .iter()
        .map(|r| r.range.clone())
        .collect();
    assert_eq!(ranges, [None, Some(format!("bytes={}-", 10 << 20))]);
}

#[test]
fn listing_faults_change_what_the_client_lists_and_downloads() {
    let Some(fx) = fixture() else { return };
    let ghost_sha = "ab".repeat(32);
    fx.hub.inject(Fault::ExtraInListing {
        path: "ghost.safetensors".into(),
        size: 1234,
        lfs_sha256: Some(ghost_sha.clone()),
    });
    let v = fx.json(
        "api = HfApi()\n\
         tree = {e.path: (e.lfs.sha256 if e.lfs else None) for e in api.list_repo_tree('org/tiny', recursive=True) if hasattr(e, 'lfs')}\n\
         sib = [s.rfilename for s in api.model_info('org/tiny').siblings]\n\
         out(dict(tree=tree, sib=sib, snap=attempt(lambda: snapshot_download('org/tiny')), \
                  file=attempt(lambda: hf_hub_download('org/tiny', 'ghost.safetensors'))))",
    );
    assert_eq!(v["tree"]["ghost.safetensors"], json!(ghost_sha));
    assert!(v["sib"].as_array().unwrap().contains(&json!("ghost.safetensors")));
    assert_err(&v["snap"], "EntryNotFoundError");
    assert_err(&v["file"], "EntryNotFoundError");

    fx.hub.clear_faults();
    fx.hub.inject(Fault::MissingFromListing {
        path: "config.json".into(),
    });
    let home2 = fx.tmp.path().join("home2");
    let v = fx.json_in(
        &home2,
        "api = HfApi()\n\
         out(dict(tree=[e.path for e in api.list_repo_tree('org/tiny', recursive=True)], \
                  pi=[e.path for e in api.get_paths_info('org/tiny', ['config.json'])], \
                  snap=snapshot_download('org/tiny'), file=hf_hub_download('org/tiny', 'config.json')))",
        &[],
    );
    assert!(!v["tree"].as_array().unwrap().contains(&json!("config.json")));
    assert_eq!(v["pi"], json!([]));
    let snap = Path::new(v["snap"].as_str().unwrap());
    assert!(snap.join("tokenizer/vocab.txt").exists());
    // snapshot_download skipped it; the direct download (issued after) still resolves it.
    assert!(
        std::fs::read(v["file"].as_str().unwrap()).unwrap()
            == std::fs::read(fx.src.join("config.json")).unwrap()
    );

    fx.hub.clear_faults();
    for p in ["../evil", "/etc/passwd-evil"] {
        fx.hub.inject(Fault::RawTreeEntry(
            json!({ "type": "file", "oid": "0".repeat(40), "size": 5, "path": p }),
        ));
    }
    let home3 = fx.tmp.path().join("home3");
    let v = fx.json_in(
        &home3,
        "out(dict(tree=[e.path for e in HfApi().list_repo_tree('org/tiny', recursive=True)], \
                  snap=attempt(lambda: snapshot_download('org/tiny'))))",
        &[],
    );
    let tree = v["tree"].as_array().unwrap();
    assert_eq!(
        &tree[tree.len() - 2..],
        [json!("../evil"), json!("/etc/passwd-evil")]
    );
    // The real client refuses (or fails on) such paths; nothing is written outside the snapshot.
    assert!(v["snap"]["err"].is_string(), "{v:#}");
    assert!(!home3.join("hub/models--org--tiny/snapshots/evil").exists());
    assert!(!Path::new("/etc/passwd-evil").exists());
    eprintln!("real client on a '../evil' tree entry: {}", v["snap"]);
}

// ------------------------------------------------------------------------------------------------ raw HTTP

/// Header-level checks with plain HTTP (no Python needed).
#[test]
fn raw_http_answers_like_the_hub() {
    let tmp = support::tempdir();
    let src = support::tiny_model(tmp.path());
    std::fs::remove_dir_all(src.join(".git")).unwrap();
    let big = det_bytes(BIG, BIG_SIZE);
    write(&src.join(BIG), &big);
    let hub = LocalHub::start();
    let sha = hub.add_commit(REPO, &src);
    let e = hub.endpoint();
    assert_ne!(e, hub.cdn_origin());
    let no_xet = |r: &hub::RawResponse| {
        assert!(r.header("x-xet-hash").is_none() && r.header("link").is_none_or(|l| !l.contains("xet")));
    };

    let cfg = std::fs::read(src.join("config.json")).unwrap();
    let r = hub::http(
        "HEAD",
        &format!("{e}/org/tiny/resolve/main/config.json"),
        &[],
        b"",
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("etag"),
        Some(format!("\"{}\"", hub::git_object_sha1("blob", &cfg)).as_str())
    );
    assert_eq!(r.header("x-repo-commit"), Some(sha.as_str()));
    assert_eq!(r.header("content-length"), Some(cfg.len().to_string().as_str()));
    assert_eq!(r.header("accept-ranges"), Some("bytes"));
    no_xet(&r);
    let r = hub::http(
        "GET",
        &format!("{e}/org/tiny/resolve/{sha}/config.json"),
        &[("Range", "bytes=2-5")],
        b"",
    );
    assert_eq!((r.status, r.body.as_slice()), (206, &cfg[2..6]));
    assert_eq!(
        r.header("content-range"),
        Some(format!("bytes 2-5/{}", cfg.len()).as_str())
    );
    let r = hub::http(
        "GET",
        &format!("{e}/org/tiny/resolve/main/config.json"),
        &[("Range", "bytes=9999-")],
        b"",
    );
    assert_eq!(r.status, 416);

    // LFS: 302 to the CDN origin with the linked sha256/size; the CDN serves ranges without auth.
    let r = hub::http(
        "HEAD",
        &format!("{e}/org/tiny/resolve/main/{BIG}"),
        &[("Authorization", "Bearer x")],
        b"",
    );
    assert_eq!(r.status, 401, "unknown token refused even on a public repo");
    let r = hub::http("HEAD", &format!("{e}/org/tiny/resolve/main/{BIG}"), &[], b"");
    assert_eq!(r.status, 302);
    assert_eq!(
        r.header("x-linked-etag"),
        Some(format!("\"{}\"", sha256_hex(&big)).as_str())
    );
    assert_eq!(r.header("x-linked-size"), Some(BIG_SIZE.to_string().as_str()));
    assert_eq!(r.header("x-repo-commit"), Some(sha.as_str()));
    assert!(r.header("etag").is_some());
    no_xet(&r);
    let loc = r.header("location").unwrap().to_string();
    assert!(loc.starts_with(&format!("{}/", hub.cdn_origin())), "{loc}");
    let r = hub::http("GET", &loc, &[("Range", "bytes=100-199")], b"");
    assert_eq!((r.status, r.body.as_slice()), (206, &big[100..200]));
    assert_ne!(
        r.header("etag"),
        Some(format!("\"{}\"", sha256_hex(&big)).as_str()),
        "CDN ETag is not the sha256"
    );
    no_xet(&r);
}

/// Faults, errors, PR refs, JSON paths-info, pagination and whoami with plain HTTP.
#[test]
fn raw_http_faults_errors_and_refs() {
    let tmp = support::tempdir();
    let src = support::tiny_model(tmp.path());
    std::fs::remove_dir_all(src.join(".git")).unwrap();
    write(&src.join(BIG), &det_bytes(BIG, BIG_SIZE));
    let hub = LocalHub::start();
    let sha = hub.add_commit(REPO, &src);
    let e = hub.endpoint();
    let cfg = std::fs::read(src.join("config.json")).unwrap();
    let loc = hub::http("HEAD", &format!("{e}/org/tiny/resolve/main/{BIG}"), &[], b"")
        .header("location")
        .unwrap()
        .to_string();

    // Faults seen raw: truncation (short body), corruption (same length, other bytes), 429 + Retry-After.
    hub.inject(Fault::TruncateBody {
        path: BIG.into(),
        after: 1000,
        times: 1,
    });
    let r = hub::http("GET", &loc, &[], b"");
    assert_eq!(
        (r.status, r.header("content-length"), r.body.len()),
        (200, Some(BIG_SIZE.to_string().as_str()), 1000)
    );
    assert_eq!(
        hub::http("GET", &loc, &[], b"").body.len(),
        BIG_SIZE,
        "times: 1 is used up"
    );
    hub.inject(Fault::CorruptBody {
        path: "config.json".into(),
    });
    let r = hub::http("GET", &format!("{e}/org/tiny/resolve/main/config.json"), &[], b"");
    assert!(r.body.len() == cfg.len() && r.body != cfg);
    hub.clear_faults();
    hub.inject(Fault::ServerError {
        path_contains: "/api/models/org/tiny/revision".into(),
        status: 429,
        times: 1,
    });
    let r = hub::http("GET", &format!("{e}/api/models/org/tiny/revision/main"), &[], b"");
    assert_eq!((r.status, r.header("retry-after")), (429, Some("0")));

    // Errors carry X-Error-Code.
    let code = |url: String| {
        let r = hub::http("GET", &url, &[], b"");
        (
            r.status,
            r.header("x-error-code").map(str::to_string),
            r.header("x-repo-commit").map(str::to_string),
        )
    };
    assert_eq!(
        code(format!("{e}/org/none/resolve/main/config.json")),
        (401, Some("RepoNotFound".into()), None)
    );
    assert_eq!(
        code(format!("{e}/org/tiny/resolve/nope/config.json")),
        (404, Some("RevisionNotFound".into()), None)
    );
    assert_eq!(
        code(format!("{e}/org/tiny/resolve/main/nope")),
        (404, Some("EntryNotFound".into()), Some(sha.clone()))
    );
}

/// refs/pr/N revisions arrive URL-encoded; paths-info takes JSON as well as form bodies; pagination links
/// are absolute; whoami and private repos.
#[test]
fn raw_http_refs_paths_info_pagination_and_auth() {
    let tmp = support::tempdir();
    let src = support::tiny_model(tmp.path());
    std::fs::remove_dir_all(src.join(".git")).unwrap();
    let hub = LocalHub::start();
    hub.add_commit(REPO, &src);
    let e = hub.endpoint();

    let pr = tmp.path().join("pr");
    write(&pr.join("a.txt"), b"pr\n");
    let pr_sha = hub.add_commit_on(REPO, "refs/pr/1", &pr);
    let r = hub::http(
        "GET",
        &format!("{e}/org/tiny/resolve/refs%2Fpr%2F1/a.txt"),
        &[],
        b"",
    );
    assert_eq!(
        (r.status, r.body.as_slice(), r.header("x-repo-commit")),
        (200, &b"pr\n"[..], Some(pr_sha.as_str()))
    );
    let r = hub::http(
        "POST",
        &format!("{e}/api/models/org/tiny/paths-info/main"),
        &[("Content-Type", "application/json")],
        br#"{"paths": ["config.json", "tokenizer", "nope"], "expand": false}"#,
    );
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2, "{v:#}");

    // Pagination: absolute Link to the next page; whoami.
    hub.set_page_size(3);
    let r = hub::http(
        "GET",
        &format!("{e}/api/models/org/tiny/tree/main?recursive=true"),
        &[],
        b"",
    );
    let link = r.header("link").unwrap();
    assert!(
        link.starts_with(&format!("<{e}/api/models/org/tiny/tree/main?"))
            && link.ends_with(">; rel=\"next\"")
    );
    hub.set_private(REPO, TOKEN);
    let r = hub::http(
        "GET",
        &format!("{e}/api/whoami-v2"),
        &[("Authorization", &format!("Bearer {TOKEN}"))],
        b"",
    );
    assert_eq!(
        serde_json::from_slice::<Value>(&r.body).unwrap()["name"],
        "hubsign-test"
    );
    assert_eq!(
        hub::http("GET", &format!("{e}/api/whoami-v2"), &[], b"").status,
        401
    );
    let r = hub::http(
        "HEAD",
        &format!("{e}/org/tiny/resolve/main/config.json"),
        &[],
        b"",
    );
    assert_eq!((r.status, r.header("x-error-code")), (401, Some("RepoNotFound")));
}

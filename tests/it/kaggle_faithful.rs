//! The local Kaggle server (`crates/testhub/src/kaggle`) is faithful: the real `kagglehub` and `kaggle` CLI (from
//! the venv made by `scripts/python-env`) download from it, cache, resume and upload exactly as they do
//! against Kaggle, reaching it with `KAGGLE_API_ENVIRONMENT=LOCALHOST` (the one process-wide server on
//! port 80; tests keep apart by owner slug). Server behaviours no client shows (Range, signatures, error
//! bodies, paging) are checked with raw HTTP against a private server.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{RwLockReadGuard, RwLockWriteGuard};

use base64::Engine as _;
use md5::Digest as _;
use serde_json::{Value, json};

use crate::support::hub::{self, http};
use crate::support::kaggle::{Fault, LocalKaggle, Origin, Request};
use crate::support::{self, Run, det_bytes, run, write};
use testhub::python;

use crate::support::kaggle::SHARED_PORT_80_SETTINGS as SERVER_WIDE;

enum Guard {
    Read(#[allow(dead_code, reason = "held for its drop")] RwLockReadGuard<'static, ()>),
    Write(#[allow(dead_code, reason = "held for its drop")] RwLockWriteGuard<'static, ()>),
}

#[derive(Clone, Copy)]
enum Creds<'a> {
    Anonymous,
    /// `KAGGLE_API_TOKEN` → `Authorization: Bearer`.
    Token(&'a str),
    /// `KAGGLE_USERNAME` + `KAGGLE_KEY` → `Authorization: Basic`.
    Legacy(&'a str, &'a str),
}

struct Fixture {
    tmp: tempfile::TempDir,
    py: PathBuf,
    kg: &'static LocalKaggle,
    owner: String,
    key: String,
    token: String,
    _guard: Guard,
}

/// A user `owner` (its own owner slug) on the shared port-80 server.
fn fixture(owner: &str) -> Option<Fixture> {
    fixture_with(owner, false)
}

fn fixture_with(owner: &str, server_wide: bool) -> Option<Fixture> {
    let py = python::venv_python()?;
    let guard = if server_wide {
        Guard::Write(
            SERVER_WIDE
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    } else {
        Guard::Read(
            SERVER_WIDE
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    };
    let kg = LocalKaggle::shared_port_80();
    let owner = format!("hs-{owner}");
    let key = format!("key-{owner}-0123456789abcdef");
    let token = format!("KGAT_throwaway_{owner}");
    kg.add_user(&owner, &key, &token);
    let tmp = support::tempdir();
    std::fs::create_dir_all(tmp.path().join("home/.kaggle")).unwrap();
    Some(Fixture {
        tmp,
        py,
        kg,
        owner,
        key,
        token,
        _guard: guard,
    })
}

impl Fixture {
    fn home(&self) -> PathBuf {
        self.tmp.path().join("home")
    }
    fn cache(&self) -> PathBuf {
        self.tmp.path().join("kagglehub-cache")
    }
    fn handle(&self, model: &str, rest: &str) -> String {
        format!("{}/{model}/{rest}", self.owner)
    }
    fn env(&self, c: &mut Command, creds: Creds<'_>) {
        for var in [
            "KAGGLE_API_TOKEN",
            "KAGGLE_USERNAME",
            "KAGGLE_KEY",
            "KAGGLE_CONFIG_DIR",
            "KAGGLEHUB_CACHE",
            "KAGGLE_KERNEL_RUN_TYPE",
            "KAGGLE_DATA_PROXY_URL",
            "KAGGLE_API_V1_TOKEN",
            "TBE_RUNTIME_ADDR",
            "COLAB_RELEASE_TAG",
            "VERBOSE",
            "VERBOSE_OUTPUT",
        ] {
            c.env_remove(var);
        }
        c.env("KAGGLE_API_ENVIRONMENT", "LOCALHOST")
            .env("HOME", self.home())
            .env("XDG_CONFIG_HOME", self.home().join(".config"))
            .env("KAGGLE_CONFIG_DIR", self.home().join(".kaggle"))
            .env("KAGGLEHUB_CACHE", self.cache())
            .env("PYTHONWARNINGS", "ignore")
            .env("TQDM_DISABLE", "1")
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("no_proxy", "127.0.0.1,localhost");
        match creds {
            Creds::Anonymous => {}
            Creds::Token(t) => {
                c.env("KAGGLE_API_TOKEN", t);
            }
            Creds::Legacy(u, k) => {
                c.env("KAGGLE_USERNAME", u).env("KAGGLE_KEY", k);
            }
        }
    }
    fn py(&self, code: &str, creds: Creds<'_>) -> Run {
        let mut c = Command::new(&self.py);
        c.arg("-c").arg(python::script("", code));
        self.env(&mut c, creds);
        run(c)
    }
    /// Runs `code` (which calls `out(...)` once) and returns what it printed.
    fn json(&self, code: &str, creds: Creds<'_>) -> Value {
        let r = self.py(code, creds);
        r.ok();
        python::result(&r.stdout(), &r.stderr())
    }
    fn model_download(&self, handle: &str, creds: Creds<'_>) -> Value {
        self.json(
            &format!(
                "import kagglehub\nout(attempt(lambda: kagglehub.model_download({})))",
                json!(handle)
            ),
            creds,
        )
    }
    fn bearer(&self) -> Creds<'_> {
        Creds::Token(&self.token)
    }
    fn kaggle(&self, args: &[&str], creds: Creds<'_>) -> Run {
        let mut c = Command::new(self.py.with_file_name("kaggle"));
        c.args(args);
        self.env(&mut c, creds);
        run(c)
    }
    /// This test's requests: API calls naming its owner slug, file-origin requests under it.
    fn requests(&self) -> Vec<Request> {
        let seg = format!("/{}/", self.owner);
        self.kg
            .requests()
            .into_iter()
            .filter(|r| match r.origin {
                Origin::Api => r
                    .body
                    .as_ref()
                    .is_some_and(|b| b["ownerSlug"] == self.owner.as_str()),
                Origin::Files => r.path.contains(&seg),
            })
            .collect()
    }
}

/// Regular files under `dir` by '/'-separated relative path.
fn files_of(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn go(root: &Path, d: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                go(root, &p, out);
            } else if p.is_file() {
                let rel = p.strip_prefix(root).unwrap().to_str().unwrap().replace('\\', "/");
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    go(dir, dir, &mut out);
    out
}

#[track_caller]
fn assert_same_files(got: &BTreeMap<String, Vec<u8>>, want: &BTreeMap<String, Vec<u8>>, what: &str) {
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "{what}: file set"
    );
    for (k, v) in want {
        assert!(got[k] == *v, "{what}: {k} differs");
    }
}

#[track_caller]
fn ok_path(v: &Value) -> PathBuf {
    PathBuf::from(
        v["ok"]
            .as_str()
            .unwrap_or_else(|| panic!("expected success, got {v:#}")),
    )
}

fn rpcs(reqs: &[Request], rpc: &str) -> Vec<Request> {
    reqs.iter()
        .filter(|r| r.rpc.as_deref() == Some(rpc))
        .cloned()
        .collect()
}

#[track_caller]
fn assert_no_auth_on_files(reqs: &[Request]) {
    for r in reqs.iter().filter(|r| r.origin == Origin::Files) {
        assert!(
            r.authorization.is_none(),
            "a credential reached the file origin: {r:?}"
        );
    }
}

/// A small model: nested folders, a dot folder, an empty file.
fn small_model(dir: &Path, salt: &str) -> PathBuf {
    let m = dir.join(format!("model-{salt}"));
    write(
        &m.join("config.json"),
        format!("{{\"salt\": \"{salt}\"}}\n").as_bytes(),
    );
    write(
        &m.join("weights/model.bin"),
        &det_bytes(&format!("{salt}/model.bin"), 70_000),
    );
    write(
        &m.join(".kaggle/signing.json"),
        format!("{{\"mediaType\": \"not a real bundle {salt}\"}}\n").as_bytes(),
    );
    write(&m.join("sub/deeper/notes.txt"), b"deep\n");
    write(&m.join("empty.txt"), b"");
    m
}

// ------------------------------------------------------------------------------------------------ kagglehub

#[test]
fn kagglehub_downloads_versioned_and_latest_into_its_cache_layout() {
    let Some(fx) = fixture("dl") else { return };
    let v1 = small_model(fx.tmp.path(), "v1");
    let v2 = small_model(fx.tmp.path(), "v2");
    assert_eq!(fx.kg.add_version(&fx.owner, "tiny", "pyTorch", "base", &v1), 1);
    assert_eq!(fx.kg.add_version(&fx.owner, "tiny", "pyTorch", "base", &v2), 2);

    let got = fx.model_download(&fx.handle("tiny", "pyTorch/base/1"), fx.bearer());
    let inst = fx
        .cache()
        .join("models")
        .join(&fx.owner)
        .join("tiny/pyTorch/base");
    assert_eq!(ok_path(&got), inst.join("1"));
    assert_same_files(&files_of(&inst.join("1")), &files_of(&v1), "version 1");
    assert!(inst.join("1.complete").is_file(), "no 1.complete marker");

    let reqs = fx.requests();
    assert!(
        rpcs(&reqs, "GetModelInstance").is_empty(),
        "a versioned handle needs no lookup"
    );
    let list = rpcs(&reqs, "ListModelInstanceVersionFiles");
    assert_eq!(list.len(), 1, "{list:?}");
    let body = list[0].body.as_ref().unwrap();
    assert_eq!(body["framework"], "MODEL_FRAMEWORK_PY_TORCH");
    assert_eq!(body["versionNumber"], 1);
    assert_eq!(body["pageSize"], 25);
    // ≤ 25 files: one download per file, by path, each a 302 to the file origin.
    let dl = rpcs(&reqs, "DownloadModelInstanceVersion");
    let mut paths: Vec<&str> = dl
        .iter()
        .map(|r| {
            r.body.as_ref().unwrap()["path"]
                .as_str()
                .expect("per-file download without path")
        })
        .collect();
    paths.sort_unstable();
    assert_eq!(
        paths,
        files_of(&v1).keys().map(String::as_str).collect::<Vec<_>>()
    );
    assert!(
        dl.iter()
            .all(|r| r.status == 302 && r.authorization.as_deref() == Some(&*format!("Bearer {}", fx.token)))
    );
    let gets: Vec<&Request> = reqs.iter().filter(|r| r.origin == Origin::Files).collect();
    assert_eq!(gets.len(), 5, "{gets:?}");
    assert!(gets.iter().all(|r| r.status == 200 && r.path.contains("/1/")));
    assert_no_auth_on_files(&reqs);

    // Unversioned: the latest version, looked up with GetModelInstance.
    let before = fx.requests().len();
    let got = fx.model_download(&fx.handle("tiny", "pyTorch/base"), fx.bearer());
    assert_eq!(ok_path(&got), inst.join("2"));
    assert_same_files(&files_of(&inst.join("2")), &files_of(&v2), "latest");
    assert!(inst.join("2.complete").is_file());
    let reqs = fx.requests().split_off(before);
    assert_eq!(rpcs(&reqs, "GetModelInstance").len(), 1, "{reqs:?}");
    assert_eq!(
        rpcs(&reqs, "GetModelInstance")[0].body.as_ref().unwrap()["instanceSlug"],
        "base"
    );

    // Cached with a version in the handle: no request at all.
    let before = fx.requests().len();
    let got = fx.model_download(&fx.handle("tiny", "pyTorch/base/1"), fx.bearer());
    assert_eq!(ok_path(&got), inst.join("1"));
    assert_eq!(
        fx.requests().len(),
        before,
        "a cached versioned handle made requests"
    );
}

#[test]
fn kagglehub_downloads_more_than_25_files_through_the_archive() {
    let Some(fx) = fixture("many") else { return };
    let src = support::many_files_model(fx.tmp.path(), 30);
    fx.kg.add_version(&fx.owner, "many", "keras", "v", &src);
    let got = fx.model_download(&fx.handle("many", "keras/v/1"), Creds::Anonymous);
    let dir = ok_path(&got);
    assert_eq!(
        dir,
        fx.cache().join("models").join(&fx.owner).join("many/keras/v/1")
    );
    assert_same_files(&files_of(&dir), &files_of(&src), "archive download");
    let reqs = fx.requests();
    let dl = rpcs(&reqs, "DownloadModelInstanceVersion");
    assert_eq!(dl.len(), 1, "{dl:?}");
    assert!(dl[0].body.as_ref().unwrap().get("path").is_none(), "{dl:?}");
    let gets: Vec<&Request> = reqs.iter().filter(|r| r.origin == Origin::Files).collect();
    assert_eq!(gets.len(), 1);
    assert!(
        gets[0].path.contains(".tar.gz") && gets[0].status == 200,
        "{gets:?}"
    );
    assert!(
        reqs.iter().all(|r| r.authorization.is_none()),
        "anonymous download sent credentials"
    );
}

#[test]
fn kagglehub_pages_past_a_small_page_size_by_the_archive() {
    let Some(fx) = fixture_with("paging", true) else {
        return;
    };
    let src = support::many_files_model(fx.tmp.path(), 5);
    fx.kg.add_version(&fx.owner, "paged", "transformers", "v", &src);
    fx.kg.set_page_size(2);
    let got = fx.model_download(&fx.handle("paged", "transformers/v/1"), fx.bearer());
    fx.kg.set_page_size(50);
    assert_same_files(&files_of(&ok_path(&got)), &files_of(&src), "paged");
    let reqs = fx.requests();
    let list = rpcs(&reqs, "ListModelInstanceVersionFiles");
    assert_eq!(list.len(), 1);
    // A next page means "more than a page": kagglehub takes the whole version as one archive.
    let dl = rpcs(&reqs, "DownloadModelInstanceVersion");
    assert_eq!(dl.len(), 1, "{dl:?}");
    assert!(dl[0].body.as_ref().unwrap().get("path").is_none());
}

#[test]
fn kagglehub_needs_the_owners_credentials_for_a_private_model() {
    let Some(fx) = fixture("private") else { return };
    let src = small_model(fx.tmp.path(), "p");
    fx.kg.add_version(&fx.owner, "secret", "other", "v", &src);
    fx.kg.set_private(&fx.owner, "secret", &fx.owner);
    let handle = fx.handle("secret", "other/v/1");

    let anon = fx.model_download(&handle, Creds::Anonymous);
    assert!(
        anon.get("err").is_some(),
        "anonymous read a private model: {anon:#}"
    );
    // Another user's valid token sees nothing either.
    fx.kg.add_user("hs-private-other", "k", "KGAT_other");
    let other = fx.model_download(&handle, Creds::Token("KGAT_other"));
    assert!(other.get("err").is_some(), "{other:#}");
    assert!(other["msg"].as_str().unwrap().contains("404"), "{other:#}");

    let got = fx.model_download(&handle, Creds::Legacy(&fx.owner, &fx.key));
    assert_same_files(&files_of(&ok_path(&got)), &files_of(&src), "private with key");
    let reqs = fx.requests();
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", fx.owner, fx.key))
    );
    assert!(
        rpcs(&reqs, "ListModelInstanceVersionFiles")
            .iter()
            .any(|r| r.authorization.as_deref() == Some(basic.as_str()) && r.status == 200)
    );
    assert!(reqs.iter().any(|r| r.status == 404));
    assert_no_auth_on_files(&reqs);
}

#[test]
fn kagglehub_resumes_a_dropped_download_with_range() {
    let Some(fx) = fixture("resume") else { return };
    let src = fx.tmp.path().join("big-model");
    let name = "resume-only/weights.bin";
    let size = 3 * 1024 * 1024 + 17;
    write(&src.join(name), &det_bytes(name, size));
    write(&src.join("config.json"), b"{}\n");
    fx.kg.add_version(&fx.owner, "big", "pyTorch", "v", &src);
    fx.kg.inject(Fault::TruncateBody {
        path: name.to_string(),
        after: 1_600_000,
        times: 1,
    });
    let handle = fx.handle("big", "pyTorch/v/1");
    let first = fx.model_download(&handle, fx.bearer());
    assert!(
        first.get("err").is_some(),
        "a truncated body went unnoticed: {first:#}"
    );
    let second = fx.model_download(&handle, fx.bearer());
    assert_same_files(&files_of(&ok_path(&second)), &files_of(&src), "resumed");
    let reqs = fx.requests();
    let ranged: Vec<&Request> = reqs
        .iter()
        .filter(|r| r.origin == Origin::Files && r.range.is_some())
        .collect();
    assert_eq!(ranged.len(), 1, "{reqs:#?}");
    let from: u64 = ranged[0]
        .range
        .as_deref()
        .unwrap()
        .strip_prefix("bytes=")
        .and_then(|r| r.strip_suffix('-'))
        .unwrap()
        .parse()
        .unwrap();
    assert!(from > 0 && from <= 1_600_000, "resumed from {from}");
    assert_eq!(ranged[0].status, 206);
    assert_no_auth_on_files(&reqs);
}

#[test]
fn kagglehub_rejects_a_corrupted_body_by_its_md5() {
    let Some(fx) = fixture("corrupt") else { return };
    let src = fx.tmp.path().join("m");
    write(
        &src.join("corrupt-only.bin"),
        &det_bytes("corrupt-only.bin", 5000),
    );
    fx.kg.add_version(&fx.owner, "c", "jax", "v", &src);
    fx.kg.inject(Fault::CorruptBody {
        path: "corrupt-only.bin".into(),
    });
    let got = fx.model_download(&fx.handle("c", "jax/v/1"), fx.bearer());
    fx.kg.remove_fault(&Fault::CorruptBody {
        path: "corrupt-only.bin".into(),
    });
    assert_eq!(got["err"], "DataCorruptionError", "{got:#}");
}

const UPLOAD: &str = r"
import kagglehub
out(attempt(lambda: kagglehub.model_upload(sys.argv[1], sys.argv[2], version_notes=sys.argv[3])))
";

impl Fixture {
    fn upload(&self, handle: &str, dir: &Path, notes: &str) -> Value {
        let mut c = Command::new(&self.py);
        c.arg("-c")
            .arg(python::script("", UPLOAD))
            .arg(handle)
            .arg(dir)
            .arg(notes);
        self.env(&mut c, self.bearer());
        let r = run(c);
        r.ok();
        python::result(&r.stdout(), &r.stderr())
    }
}

#[test]
fn kagglehub_uploads_a_new_model_then_a_new_version() {
    let Some(fx) = fixture("up") else { return };
    let v1 = small_model(fx.tmp.path(), "u1");
    let handle = fx.handle("pushed", "pyTorch/base");
    let got = fx.upload(&handle, &v1, "first");
    assert!(got.get("err").is_none(), "{got:#}");
    assert_eq!(
        fx.kg.latest_version(&fx.owner, "pushed", "pyTorch", "base"),
        Some(1)
    );
    let stored = fx
        .kg
        .version_files(&fx.owner, "pushed", "pyTorch", "base", 1)
        .unwrap();
    assert_same_files(&stored, &files_of(&v1), "uploaded version 1");
    assert_eq!(
        fx.kg.is_private(&fx.owner, "pushed"),
        Some(true),
        "kagglehub creates private models"
    );

    let reqs = fx.requests();
    assert_eq!(rpcs(&reqs, "GetModel")[0].status, 404);
    let create = rpcs(&reqs, "CreateModel");
    assert_eq!(create.len(), 1);
    assert_eq!(create[0].body.as_ref().unwrap()["isPrivate"], true);
    let inst = rpcs(&reqs, "CreateModelInstance");
    assert_eq!(inst.len(), 1);
    let body = &inst[0].body.as_ref().unwrap()["body"];
    assert_eq!(body["framework"], "MODEL_FRAMEWORK_PY_TORCH");
    assert_eq!(body["instanceSlug"], "base");
    let dirs: Vec<&str> = body["directories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert!(dirs.contains(&".kaggle") && dirs.contains(&"sub"), "{body:#}");
    // The blobs went to the file origin, with no credential, as resumable PUTs.
    let all = fx.kg.requests();
    assert_eq!(
        rpcs(&all, "StartBlobUpload")
            .iter()
            .filter(|r| r.authorization.as_deref() == Some(&*format!("Bearer {}", fx.token)))
            .count(),
        5
    );
    assert_no_auth_on_files(&all);

    // Again: the instance exists (409), so a new version, with its notes.
    let v2 = small_model(fx.tmp.path(), "u2");
    write(&v2.join("added.txt"), b"new in v2\n");
    let before = fx.requests().len();
    let got = fx.upload(&handle, &v2, "second");
    assert!(got.get("err").is_none(), "{got:#}");
    assert_eq!(
        fx.kg.latest_version(&fx.owner, "pushed", "pyTorch", "base"),
        Some(2)
    );
    let stored = fx
        .kg
        .version_files(&fx.owner, "pushed", "pyTorch", "base", 2)
        .unwrap();
    assert_same_files(&stored, &files_of(&v2), "uploaded version 2");
    assert_eq!(
        fx.kg
            .version_notes(&fx.owner, "pushed", "pyTorch", "base", 2)
            .as_deref(),
        Some("second")
    );
    let reqs = fx.requests().split_off(before);
    assert!(rpcs(&reqs, "CreateModel").is_empty(), "{reqs:#?}");
    assert_eq!(rpcs(&reqs, "CreateModelInstance").len(), 1);
    assert_eq!(rpcs(&reqs, "CreateModelInstanceVersion").len(), 1);

    // And it downloads back (as the owner: the model is private).
    let got = fx.model_download(&fx.handle("pushed", "pyTorch/base/2"), fx.bearer());
    assert_same_files(&files_of(&ok_path(&got)), &files_of(&v2), "round trip");
}

#[test]
fn kagglehub_resumes_an_interrupted_upload() {
    let Some(fx) = fixture_with("upresume", true) else {
        return;
    };
    let src = fx.tmp.path().join("m");
    write(&src.join("weights.bin"), &det_bytes("upresume", 1_000_000));
    fx.kg.inject(Fault::InterruptUpload {
        after: 300_000,
        times: 1,
    });
    let before = fx.kg.requests().len();
    let got = fx.upload(&fx.handle("resumed", "other/v"), &src, "");
    fx.kg.clear_faults();
    assert!(got.get("err").is_none(), "{got:#}");
    let stored = fx
        .kg
        .version_files(&fx.owner, "resumed", "other", "v", 1)
        .unwrap();
    assert_same_files(&stored, &files_of(&src), "resumed upload");
    let puts: Vec<Request> = fx
        .kg
        .requests()
        .split_off(before)
        .into_iter()
        .filter(|r| r.origin == Origin::Files && r.method == "PUT")
        .collect();
    let ranges: Vec<&str> = puts.iter().filter_map(|r| r.content_range.as_deref()).collect();
    assert_eq!(
        ranges,
        [
            "bytes 0-999999/1000000",
            "bytes */1000000",
            "bytes 300000-999999/1000000"
        ],
        "{puts:#?}"
    );
    assert_eq!(puts[1].status, 308);
    assert_eq!(puts[2].status, 200);
}

// ------------------------------------------------------------------------------------------------ kaggle CLI

#[test]
fn kaggle_cli_downloads_a_version_with_a_token_and_with_kaggle_json() {
    let Some(fx) = fixture("cli") else { return };
    let src = small_model(fx.tmp.path(), "cli");
    fx.kg.add_version(&fx.owner, "climodel", "pyTorch", "v", &src);
    let handle = fx.handle("climodel", "pyTorch/v/1");

    let out = fx.tmp.path().join("out-token");
    fx.kaggle(
        &[
            "models",
            "instances",
            "versions",
            "download",
            &handle,
            "-p",
            out.to_str().unwrap(),
            "--untar",
        ],
        fx.bearer(),
    )
    .ok();
    assert_same_files(&files_of(&out), &files_of(&src), "kaggle --untar");
    let reqs = fx.kg.requests();
    assert!(
        reqs.iter().any(|r| r.rpc.as_deref() == Some("IntrospectToken")
            && r.body.as_ref().is_some_and(|b| b["token"] == fx.token.as_str())
            && r.status == 200),
        "the CLI validates its token with IntrospectToken"
    );

    // Legacy credentials from kaggle.json; no --untar keeps MODEL.tar.gz.
    write(
        &fx.home().join(".kaggle/kaggle.json"),
        json!({ "username": fx.owner, "key": fx.key })
            .to_string()
            .as_bytes(),
    );
    fx.kg.set_private(&fx.owner, "climodel", &fx.owner);
    let out = fx.tmp.path().join("out-json");
    fx.kaggle(
        &[
            "models",
            "instances",
            "versions",
            "download",
            &handle,
            "-p",
            out.to_str().unwrap(),
        ],
        Creds::Anonymous,
    )
    .ok();
    let tgz = out.join("climodel.tar.gz");
    assert!(tgz.is_file(), "{:?}", files_of(&out).keys());
    let x = fx.tmp.path().join("x");
    std::fs::create_dir_all(&x).unwrap();
    let mut tar = Command::new("tar");
    tar.arg("-xzf").arg(&tgz).arg("-C").arg(&x);
    run(tar).ok();
    assert_same_files(&files_of(&x), &files_of(&src), "kaggle tar.gz");
    let reqs = fx.requests();
    assert!(
        rpcs(&reqs, "DownloadModelInstanceVersion")
            .iter()
            .all(|r| r.authorization.is_some() && r.body.as_ref().unwrap().get("path").is_none())
    );
    assert_no_auth_on_files(&fx.kg.requests());
}

// ------------------------------------------------------------------------------------------------ raw HTTP

fn post(kg: &LocalKaggle, rpc: &str, body: &Value, auth: Option<&str>) -> hub::RawResponse {
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(a) = auth {
        headers.push(("Authorization", a));
    }
    http(
        "POST",
        &format!("{}/v1/{rpc}", kg.endpoint()),
        &headers,
        body.to_string().as_bytes(),
    )
}

fn body_json(r: &hub::RawResponse) -> Value {
    serde_json::from_slice(&r.body).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&r.body)))
}

fn version_req(path: Option<&str>) -> Value {
    let mut v = json!({
        "ownerSlug": "o", "modelSlug": "m", "framework": "MODEL_FRAMEWORK_PY_TORCH",
        "instanceSlug": "v", "versionNumber": 1,
    });
    if let Some(p) = path {
        v["path"] = json!(p);
    }
    v
}

#[test]
fn file_origin_serves_ranges_with_md5_and_refuses_credentials() {
    let kg = LocalKaggle::start();
    let tmp = support::tempdir();
    let bytes = det_bytes("f", 10_000);
    write(&tmp.path().join("dir/f.bin"), &bytes);
    kg.add_version("o", "m", "pyTorch", "v", tmp.path());
    let r = post(
        &kg,
        "models.ModelApiService/DownloadModelInstanceVersion",
        &version_req(Some("dir/f.bin")),
        None,
    );
    assert_eq!(r.status, 302);
    let loc = r.header("Location").unwrap().to_string();
    assert!(
        loc.starts_with(&kg.file_origin()) && loc.contains("Expires=") && loc.contains("Signature="),
        "{loc}"
    );

    let full = http("GET", &loc, &[], b"");
    assert_eq!(full.status, 200);
    assert_eq!(full.body, bytes);
    assert_eq!(full.header("Content-Type"), Some("application/octet-stream"));
    let md5 = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(&bytes));
    assert_eq!(full.header("x-goog-hash"), Some(&*format!("md5={md5}")));

    let part = http("GET", &loc, &[("Range", "bytes=1000-")], b"");
    assert_eq!(part.status, 206);
    assert_eq!(part.header("Content-Range"), Some("bytes 1000-9999/10000"));
    assert_eq!(part.body, &bytes[1000..]);
    assert_eq!(
        part.header("x-goog-hash"),
        Some(&*format!("md5={md5}")),
        "the whole object's hash"
    );
    let bad = http("GET", &loc, &[("Range", "bytes=10000-")], b"");
    assert_eq!(bad.status, 416);

    let authed = http("GET", &loc, &[("Authorization", "Bearer KGAT_x")], b"");
    assert_eq!(authed.status, 403);
    let forged = http("GET", &loc.replace("Signature=", "Signature=0"), &[], b"");
    assert_eq!(forged.status, 403);

    // The archive of the whole version.
    let r = post(
        &kg,
        "models.ModelApiService/DownloadModelInstanceVersion",
        &version_req(None),
        None,
    );
    let tgz = http("GET", r.header("Location").unwrap(), &[], b"");
    assert_eq!(tgz.status, 200);
    assert_eq!(&tgz.body[..2], &[0x1f, 0x8b], "gzip");

    // Truncation: full Content-Length, short body; a Range resume then completes it.
    kg.inject(Fault::TruncateBody {
        path: "dir/f.bin".into(),
        after: 4000,
        times: 1,
    });
    let cut = http("GET", &loc, &[], b"");
    assert_eq!(cut.header("Content-Length"), Some("10000"));
    assert_eq!(cut.body, &bytes[..4000]);
    let rest = http("GET", &loc, &[("Range", "bytes=4000-")], b"");
    assert_eq!(rest.body, &bytes[4000..]);
    assert!(kg.faults().is_empty());
}

#[test]
fn api_errors_look_like_kaggles() {
    let kg = LocalKaggle::start();
    let tmp = support::tempdir();
    write(&tmp.path().join("a"), b"a");
    kg.add_version("o", "m", "pyTorch", "v", tmp.path());
    kg.add_user("o", "key", "tok");

    // Reads: HTTP 4xx with {"code","message"}.
    let r = post(
        &kg,
        "models.ModelApiService/GetModel",
        &json!({"ownerSlug": "o", "modelSlug": "nope"}),
        None,
    );
    assert_eq!(r.status, 404);
    assert_eq!(body_json(&r)["code"], 404);
    assert!(body_json(&r)["message"].is_string());
    let r = post(
        &kg,
        "models.ModelApiService/GetModel",
        &json!({"ownerSlug": "o", "modelSlug": "m"}),
        Some("Bearer wrong"),
    );
    assert_eq!(r.status, 401);
    kg.set_private("o", "m", "o");
    let r = post(
        &kg,
        "models.ModelApiService/GetModel",
        &json!({"ownerSlug": "o", "modelSlug": "m"}),
        None,
    );
    assert_eq!(r.status, 404);
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("o:key")
    );
    let r = post(
        &kg,
        "models.ModelApiService/GetModel",
        &json!({"ownerSlug": "o", "modelSlug": "m"}),
        Some(&basic),
    );
    assert_eq!(r.status, 200);
    assert_eq!(body_json(&r)["isPrivate"], true);
    let r = post(
        &kg,
        "models.ModelApiService/GetModelInstance",
        &version_req(None),
        Some("Bearer tok"),
    );
    assert_eq!(body_json(&r)["versionNumber"], 1);

    // Mutations: HTTP 200 with {"error","errorCode"}.
    let create = json!({"ownerSlug": "o", "slug": "m2", "title": "m2", "isPrivate": true});
    let r = post(&kg, "models.ModelApiService/CreateModel", &create, None);
    assert_eq!((r.status, body_json(&r)["errorCode"].clone()), (200, json!(401)));
    let r = post(
        &kg,
        "models.ModelApiService/CreateModel",
        &json!({"ownerSlug": "x", "slug": "m2"}),
        Some("Bearer tok"),
    );
    assert_eq!(body_json(&r)["errorCode"], 403);
    let r = post(
        &kg,
        "models.ModelApiService/CreateModel",
        &create,
        Some("Bearer tok"),
    );
    assert_eq!(body_json(&r)["ref"], "o/m2");
    let r = post(
        &kg,
        "models.ModelApiService/CreateModel",
        &create,
        Some("Bearer tok"),
    );
    assert_eq!(body_json(&r)["errorCode"], 409);
    let inst = json!({"ownerSlug": "o", "modelSlug": "m2", "body": {
        "instanceSlug": "v", "framework": "MODEL_FRAMEWORK_OTHER", "files": [{"token": "bogus"}]}});
    let r = post(
        &kg,
        "models.ModelApiService/CreateModelInstance",
        &inst,
        Some("Bearer tok"),
    );
    assert_eq!((r.status, body_json(&r)["errorCode"].clone()), (200, json!(404)));
    let inst = json!({"ownerSlug": "o", "modelSlug": "m", "body": {
        "instanceSlug": "v", "framework": "MODEL_FRAMEWORK_PY_TORCH", "files": []}});
    let r = post(
        &kg,
        "models.ModelApiService/CreateModelInstance",
        &inst,
        Some("Bearer tok"),
    );
    assert_eq!(body_json(&r)["errorCode"], 409);

    // Introspection answers for any token in the body.
    let r = post(
        &kg,
        "security.OAuthService/IntrospectToken",
        &json!({"token": "tok"}),
        None,
    );
    assert_eq!(
        body_json(&r),
        json!({"active": true, "clientId": "kaggle-cli", "username": "o", "userId": 1000})
    );
    let r = post(
        &kg,
        "security.OAuthService/IntrospectToken",
        &json!({"token": "nope"}),
        None,
    );
    assert_eq!(body_json(&r)["active"], false);

    kg.inject(Fault::ServerError {
        rpc_or_path_contains: "GetModelInstance".into(),
        status: 503,
        times: 1,
    });
    let r = post(
        &kg,
        "models.ModelApiService/GetModelInstance",
        &version_req(None),
        Some("Bearer tok"),
    );
    assert_eq!((r.status, body_json(&r)["code"].clone()), (503, json!(503)));
    let r = post(
        &kg,
        "models.ModelApiService/GetModelInstance",
        &version_req(None),
        Some("Bearer tok"),
    );
    assert_eq!(r.status, 200);
}

#[test]
fn listing_pages_and_listing_faults() {
    let kg = LocalKaggle::start();
    let tmp = support::tempdir();
    for i in 0..5 {
        write(&tmp.path().join(format!("f{i}")), format!("{i}").as_bytes());
    }
    kg.add_version("o", "m", "pyTorch", "v", tmp.path());
    kg.set_page_size(2);
    let list = |token: &str| {
        let mut b = version_req(None);
        b["pageSize"] = json!(25);
        if !token.is_empty() {
            b["pageToken"] = json!(token);
        }
        body_json(&post(
            &kg,
            "models.ModelApiService/ListModelInstanceVersionFiles",
            &b,
            None,
        ))
    };
    let mut names = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let page = list(&token);
        pages += 1;
        for f in page["files"].as_array().unwrap() {
            names.push(f["name"].as_str().unwrap().to_string());
        }
        match page["nextPageToken"].as_str() {
            Some(t) => token = t.to_string(),
            None => break,
        }
    }
    assert_eq!(
        (pages, names),
        (
            3,
            vec!["f0", "f1", "f2", "f3", "f4"]
                .into_iter()
                .map(String::from)
                .collect::<Vec<_>>()
        )
    );

    kg.set_page_size(50);
    kg.inject(Fault::ExtraInListing {
        path: "ghost.bin".into(),
        size: 7,
    });
    kg.inject(Fault::MissingFromListing { path: "f0".into() });
    kg.inject(Fault::SizeInListing {
        path: "f1".into(),
        size: 999,
    });
    let page = list("");
    let got: Vec<(String, u64)> = page["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().to_string(),
                f["size"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [("f1", 999), ("f2", 1), ("f3", 1), ("f4", 1), ("ghost.bin", 7)].map(|(a, b)| (a.to_string(), b))
    );
    let r = post(
        &kg,
        "models.ModelApiService/DownloadModelInstanceVersion",
        &version_req(Some("ghost.bin")),
        None,
    );
    assert_eq!(http("GET", r.header("Location").unwrap(), &[], b"").status, 404);
    let r = post(
        &kg,
        "models.ModelApiService/DownloadModelInstanceVersion",
        &version_req(Some("f0")),
        None,
    );
    assert_eq!(http("GET", r.header("Location").unwrap(), &[], b"").body, b"0");

    kg.clear_faults();
    kg.set_page_size(1);
    kg.inject(Fault::LoopingPageToken);
    let first = list("");
    let second = list(first["nextPageToken"].as_str().unwrap());
    assert_eq!(first["nextPageToken"], second["nextPageToken"]);
}

#[test]
fn resumable_upload_protocol() {
    let kg = LocalKaggle::start();
    kg.add_user("o", "key", "tok");
    let r = post(
        &kg,
        "blobs.BlobApiService/StartBlobUpload",
        &json!({"type": "MODEL", "name": "w.bin", "contentLength": 10}),
        None,
    );
    assert_eq!(r.status, 401);
    let r = post(
        &kg,
        "blobs.BlobApiService/StartBlobUpload",
        &json!({"type": "MODEL", "name": "w.bin", "contentLength": 10}),
        Some("Bearer tok"),
    );
    let v = body_json(&r);
    let url = v["createUrl"].as_str().unwrap().to_string();
    assert!(url.starts_with(&kg.file_origin()), "{url}");
    let q = http(
        "PUT",
        &url,
        &[("Content-Range", "bytes */10"), ("Content-Length", "0")],
        b"",
    );
    assert_eq!((q.status, q.header("Range")), (308, None));
    let c = http("PUT", &url, &[("Content-Range", "bytes 0-3/10")], b"0123");
    assert_eq!((c.status, c.header("Range")), (308, Some("bytes=0-3")));
    let c = http("PUT", &url, &[("Content-Range", "bytes 2-9/10")], b"23456789");
    assert_eq!(c.status, 200);
    let q = http(
        "PUT",
        &url,
        &[("Content-Range", "bytes */10"), ("Content-Length", "0")],
        b"",
    );
    assert_eq!(q.status, 200);
    let authed = http(
        "PUT",
        &url,
        &[("Authorization", "Bearer tok"), ("Content-Range", "bytes */10")],
        b"",
    );
    assert_eq!(authed.status, 403);

    let create = |inst: &str, token: &str| {
        let mut body = json!({"ownerSlug": "o", "modelSlug": "m", "body": {
            "instanceSlug": inst, "framework": "MODEL_FRAMEWORK_OTHER",
            "directories": [{"name": "deep", "files": [{"token": token}]}]}});
        if inst.is_empty() {
            body["body"]["instanceSlug"] = json!("v");
        }
        body_json(&post(
            &kg,
            "models.ModelApiService/CreateModelInstance",
            &body,
            Some("Bearer tok"),
        ))
    };
    body_json(&post(
        &kg,
        "models.ModelApiService/CreateModel",
        &json!({"ownerSlug": "o", "slug": "m"}),
        Some("Bearer tok"),
    ));
    let token = v["token"].as_str().unwrap();
    let r = create("v", token);
    assert!(r.get("error").is_none(), "{r}");
    let files = kg.version_files("o", "m", "other", "v", 1).unwrap();
    assert_eq!(files.keys().collect::<Vec<_>>(), ["deep/w.bin"]);
    assert_eq!(files["deep/w.bin"], b"0123456789");
    assert_eq!(create("v2", token)["errorCode"], 400, "a blob token is good once");
}

#[test]
fn hostile_answers_endless_bodies_and_server_errors() {
    use std::io::{Read as _, Write as _};
    let kg = LocalKaggle::start();
    let tmp = support::tempdir();
    write(&tmp.path().join("a.bin"), b"abc");
    kg.add_version("o", "m", "pyTorch", "v", tmp.path());

    kg.inject(Fault::ServerError {
        rpc_or_path_contains: "/files/o/m/".into(),
        status: 503,
        times: 1,
    });
    let r = post(
        &kg,
        "models.ModelApiService/DownloadModelInstanceVersion",
        &version_req(Some("a.bin")),
        None,
    );
    let loc = r.header("Location").unwrap().to_string();
    assert_eq!(http("GET", &loc, &[], b"").status, 503);
    assert_eq!(http("GET", &loc, &[], b"").body, b"abc");

    kg.inject(Fault::EndlessBody {
        rpc_or_path_contains: "ListModelInstanceVersionFiles".into(),
    });
    let addr = kg
        .endpoint()
        .trim_start_matches("http://")
        .trim_end_matches("/api")
        .to_string();
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    let body = version_req(None).to_string();
    write!(
        s,
        "POST /api/v1/models.ModelApiService/ListModelInstanceVersionFiles HTTP/1.1\r\nHost: {addr}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut got = vec![0u8; 3 << 20];
    s.read_exact(&mut got).unwrap();
    drop(s);
    let head = String::from_utf8_lossy(&got[..got.windows(4).position(|w| w == b"\r\n\r\n").unwrap()])
        .to_lowercase();
    assert!(
        head.starts_with("http/1.1 200") && !head.contains("content-length"),
        "{head}"
    );
    assert!(kg.hostile_bytes_sent() >= 2 << 20);
}

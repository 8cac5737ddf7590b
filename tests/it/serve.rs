//! `hubsign serve`, the verifying mirror, run as the real binary on 127.0.0.1 with the local hub
//! as upstream, and used by the real clients (`huggingface_hub`, `transformers`, `datasets`)
//! through `HF_ENDPOINT`: signed repositories are served with upstream's bytes, sizes and
//! hashes; tampered, unsigned and unruled ones are refused with the reason and nothing of them
//! is cached; concurrent first requests share one pull; a mirror killed mid-pull recovers.
//! The tests that speak plain HTTP or TCP to the mirror (shutdown, slowloris, cache tampering,
//! bounds, replicas) need no Python and always run; the flight itself is also tested in process
//! against a fake hub (`src/serve/in_process.rs`).

use crate::support::hub::{LocalHub, Origin, http};
use crate::support::hub_env::REPO;
use crate::support::{self, Run, flip_byte, key, model_signing_cmd, run, tempdir, write};
use crate::support::{signed_model, tree_state};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CLIENT_TOKEN: &str = "mirror-client-token-7f3a";
const UPSTREAM_TOKEN: &str = "hf_upstreamMirrorToken";

/// The mirror process: `hubsign serve --listen 127.0.0.1:0 --port-file …`, killed on drop.
struct Mirror {
    child: Child,
    url: String,
    stderr: PathBuf,
    access: PathBuf,
}

impl Mirror {
    fn start(upstream: &str, policy: &Path, cache: &Path, dir: &Path, extra: &[&str]) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        let port_file = dir.join("port");
        let _ = std::fs::remove_file(&port_file);
        let stderr = dir.join(format!("stderr-{}", std::process::id()));
        let access = dir.join("access.log");
        let mut c = support::hubsign();
        c.args(["serve", "--upstream", upstream, "--listen", "127.0.0.1:0"])
            .arg("--policy")
            .arg(policy)
            .arg("--cache-dir")
            .arg(cache)
            .arg("--port-file")
            .arg(&port_file)
            .arg("--access-log")
            .arg(&access)
            .args(extra)
            .env_remove("HF_TOKEN")
            .env_remove("HF_ENDPOINT")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr).unwrap());
        let mut child = c.spawn().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        let port = loop {
            if let Ok(p) = std::fs::read_to_string(&port_file) {
                if !p.is_empty() {
                    break p;
                }
            }
            if let Some(status) = child.try_wait().unwrap() {
                panic!(
                    "hubsign serve exited ({status}):\n{}",
                    std::fs::read_to_string(&stderr).unwrap_or_default()
                );
            }
            assert!(Instant::now() < deadline, "the mirror did not start");
            std::thread::sleep(Duration::from_millis(20));
        };
        Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            stderr,
            access,
        }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then the exit status (within 30 s).
    fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "the mirror did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    fn access_log(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.access)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
            .collect()
    }
}

impl Drop for Mirror {
    fn drop(&mut self) {
        self.kill();
    }
}

struct Env {
    hub: LocalHub,
    tmp: tempfile::TempDir,
    /// The venv's Python, for the tests of the real clients (`Env::new`); none for the tests
    /// that speak plain HTTP to the mirror (`Env::local`), which never skip.
    py: Option<PathBuf>,
    policy: PathBuf,
    /// The signed model's source directory (what upstream serves).
    src: PathBuf,
    sha: String,
}

impl Env {
    /// Upstream holds the signed `hubsign/tiny-bert`; the policy trusts fixtures/keys/p256 for
    /// `hubsign/*` and `datasets/hubsign/*`; with the venv's Python for the real clients.
    /// `None` after a loud skip without the venv.
    fn new() -> Option<Self> {
        let py = testhub::python::venv_python()?;
        Some(Self {
            py: Some(py),
            ..Self::local()
        })
    }

    /// The same upstream, mirror policy and model, without Python: for the tests that speak
    /// plain HTTP (or TCP) to the mirror; they run everywhere.
    fn local() -> Self {
        let tmp = tempdir();
        let hub = LocalHub::start();
        let src = signed_model(&tmp.path().join("src"));
        let sha = hub.add_commit(REPO, &src);
        let policy = tmp.path().join("hubsign.toml");
        write(
            &policy,
            format!(
                "[[trust]]\nrepos = [\"hubsign/*\", \"datasets/hubsign/*\"]\npublic-key = {:?}\n",
                key("p256.pub.pem").to_str().unwrap()
            )
            .as_bytes(),
        );
        Self {
            hub,
            tmp,
            py: None,
            policy,
            src,
            sha,
        }
    }

    fn cache(&self) -> PathBuf {
        self.tmp.path().join("mirror-cache")
    }

    fn mirror(&self, extra: &[&str]) -> Mirror {
        Mirror::start(
            &self.hub.endpoint(),
            &self.policy,
            &self.cache(),
            &self.tmp.path().join("mirror"),
            extra,
        )
    }

    /// Waits until the mirror committed the verified snapshot of the fixture commit: a file is
    /// served as soon as it verified, before the pull commits.
    fn committed(&self) -> PathBuf {
        let snapshot = self
            .cache()
            .join("models--hubsign--tiny-bert/snapshots")
            .join(&self.sha);
        let deadline = Instant::now() + Duration::from_secs(60);
        while !signed_files().iter().all(|f| snapshot.join(f).exists()) {
            assert!(
                Instant::now() < deadline,
                "the mirror never committed {}",
                self.sha
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        snapshot
    }

    fn client_home(&self, name: &str) -> PathBuf {
        self.tmp.path().join("clients").join(name)
    }

    fn python(&self, mirror: &Mirror, home: &Path, code: &str) -> Command {
        let mut c = Command::new(
            self.py
                .as_ref()
                .expect("a test of the real clients starts with Env::new"),
        );
        c.arg("-c")
            .arg(testhub::python::script(testhub::python::HF_IMPORTS, code));
        for var in [
            "HF_TOKEN",
            "HUGGING_FACE_HUB_TOKEN",
            "HF_HUB_OFFLINE",
            "HF_HUB_CACHE",
            "HUGGINGFACE_HUB_CACHE",
            "HF_DATASETS_OFFLINE",
            "HF_TOKEN_PATH",
        ] {
            c.env_remove(var);
        }
        c.env("HF_ENDPOINT", &mirror.url)
            .env("HF_HOME", home)
            .env("HF_HUB_DISABLE_TELEMETRY", "1")
            .env("HF_HUB_DISABLE_UPDATE_CHECK", "1")
            .env("HF_HUB_DISABLE_XET", "1")
            .env("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            .env("HF_HUB_ETAG_TIMEOUT", "120")
            .env("HF_HUB_DOWNLOAD_TIMEOUT", "120")
            .env("PYTHONWARNINGS", "ignore")
            .env("TRANSFORMERS_VERBOSITY", "error")
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("no_proxy", "127.0.0.1,localhost");
        c
    }

    /// Runs `code` (which calls `out(...)` once) and returns what it printed.
    fn json(&self, mirror: &Mirror, home: &Path, code: &str) -> Value {
        let r = run(self.python(mirror, home, code));
        result(&r, mirror)
    }

    /// Upstream GETs of each file's content (hub `resolve` and CDN), by repository path.
    fn content_fetches(&self, repo: &str) -> BTreeMap<String, usize> {
        let mut n = BTreeMap::new();
        let prefix = format!("/{repo}/resolve/");
        for r in self.hub.requests() {
            if r.method != "GET" {
                continue;
            }
            let path = match r.origin {
                Origin::Hub => r
                    .path
                    .strip_prefix(&prefix)
                    .and_then(|p| p.split_once('/'))
                    .map(|(_, p)| p.to_owned()),
                Origin::Cdn => r
                    .path
                    .split_once("&path=")
                    .map(|(_, p)| p.split('&').next().unwrap_or_default().replace("%2F", "/")),
            };
            if let Some(p) = path {
                // An LFS file: the hub's 302 and the CDN's bytes count as one fetch.
                if r.origin == Origin::Hub && r.status == 302 {
                    continue;
                }
                *n.entry(p).or_default() += 1;
            }
        }
        n
    }
}

fn result(r: &Run, mirror: &Mirror) -> Value {
    let context = format!("{}\nmirror:\n{}", r.stderr(), mirror.stderr());
    testhub::python::result(&r.stdout(), &context)
}

/// What the signature covers in the fixture, plus the signature (not `.gitattributes`).
fn signed_files() -> Vec<String> {
    [
        "README.md",
        "config.json",
        "model.safetensors",
        "model.sig",
        "tokenizer/vocab.txt",
    ]
    .map(String::from)
    .to_vec()
}

/// Every non-directory entry of a client's cache folder for `repo` (none: nothing cached).
fn cached_entries(home: &Path, folder: &str) -> Vec<String> {
    tree_state(&home.join("hub").join(folder))
        .into_iter()
        .filter(|(_, v)| v != "dir")
        .map(|(k, _)| k)
        .collect()
}

fn assert_same_bytes(src: &Path, snapshot: &Path, files: &[String]) {
    for f in files {
        assert_eq!(
            std::fs::read(snapshot.join(f)).unwrap(),
            std::fs::read(src.join(f)).unwrap(),
            "{f} differs from upstream"
        );
    }
}

#[test]
fn huggingface_hub_and_transformers_get_the_signed_model_through_the_mirror() {
    let Some(env) = Env::new() else { return };
    let mirror = env.mirror(&[]);
    let home = env.client_home("a");
    let code = format!(
        "base = {home:?}\n\
         p = snapshot_download({REPO:?}, cache_dir=base + '/snap')\n\
         b = hf_hub_download({REPO:?}, 'config.json', cache_dir=base + '/branch')\n\
         c = hf_hub_download({REPO:?}, 'model.safetensors', revision={sha:?}, cache_dir=base + '/commit')\n\
         from transformers import AutoConfig\n\
         cfg = AutoConfig.from_pretrained({REPO:?}, cache_dir=base + '/transformers')\n\
         out({{'snapshot': p, 'files': files(p), 'branch': b, 'commit': c, 'hidden': cfg.hidden_size,\n\
               'model_type': cfg.model_type}})",
        home = home.to_str().unwrap(),
        sha = env.sha,
    );
    let v = env.json(&mirror, &home, &code);
    let snapshot = PathBuf::from(v["snapshot"].as_str().unwrap());
    assert!(snapshot.ends_with(&env.sha), "{v}");
    // Only the signed files and the signature: `.gitattributes` (not signed) is not served.
    let listed: Vec<String> = serde_json::from_value(v["files"].clone()).unwrap();
    assert_eq!(listed, signed_files(), "{v}");
    assert_same_bytes(&env.src, &snapshot, &signed_files());
    assert_eq!(
        std::fs::read(v["branch"].as_str().unwrap()).unwrap(),
        std::fs::read(env.src.join("config.json")).unwrap()
    );
    assert_eq!(
        std::fs::read(v["commit"].as_str().unwrap()).unwrap(),
        std::fs::read(env.src.join("model.safetensors")).unwrap()
    );
    assert_eq!(v["hidden"], 32, "{v}");
    assert_eq!(v["model_type"], "bert", "{v}");
    // Upstream served each file once (one verified pull for all those clients).
    let fetches = env.content_fetches(REPO);
    assert!(!fetches.contains_key(".gitattributes"), "{fetches:?}");
    for f in signed_files() {
        assert_eq!(fetches.get(&f), Some(&1), "{f}: {fetches:?}");
    }
    // The access log: one JSON line per request, with the commit and the verdict.
    let log = mirror.access_log();
    assert!(
        log.iter()
            .all(|r| r["verdict"] == "served" && r["repo"] == REPO && r["commit"] == env.sha.as_str()),
        "{log:?}"
    );
    assert!(log.iter().any(|r| r["bytes"].as_u64() == Some(65553)), "{log:?}");
    assert!(
        mirror.stderr().contains(&format!("Verified {REPO}@{}", env.sha)),
        "{}",
        mirror.stderr()
    );
}

#[test]
fn metadata_lists_only_signed_files_with_upstream_sizes_hashes_and_pages() {
    let Some(env) = Env::new() else { return };
    let mirror = env.mirror(&["--tree-page-size", "2"]);
    let home = env.client_home("meta");
    let code = format!(
        "api = HfApi()\n\
         info = api.model_info({REPO:?}, files_metadata=True)\n\
         sib = {{s.rfilename: [s.size, s.blob_id, s.lfs.sha256 if s.lfs else None] for s in info.siblings}}\n\
         tree = [[f.path, getattr(f, 'size', None)] for f in api.list_repo_tree({REPO:?}, recursive=True)]\n\
         top = sorted(f.path for f in api.list_repo_tree({REPO:?}))\n\
         pi = sorted(f.path for f in api.get_paths_info({REPO:?}, ['config.json', 'tokenizer', '.gitattributes', 'nope']))\n\
         out({{'sha': info.sha, 'siblings': sib, 'tree': tree, 'top': top, 'paths_info': pi}})"
    );
    let v = env.json(&mirror, &home, &code);
    assert_eq!(v["sha"], env.sha.as_str());
    let sib = v["siblings"].as_object().unwrap();
    assert_eq!(sib.keys().cloned().collect::<Vec<_>>(), signed_files(), "{v}");
    // Sizes and hashes are upstream's (compare with upstream's own answer).
    let up = http(
        "GET",
        &format!(
            "{}/api/models/{REPO}/revision/main?blobs=true",
            env.hub.endpoint()
        ),
        &[],
        b"",
    );
    let up: Value = serde_json::from_slice(&up.body).unwrap();
    for s in up["siblings"].as_array().unwrap() {
        let name = s["rfilename"].as_str().unwrap();
        if name == ".gitattributes" {
            assert!(!sib.contains_key(name));
            continue;
        }
        assert_eq!(sib[name][0], s["size"], "{name}");
        assert_eq!(sib[name][1], s["blobId"], "{name}");
        assert_eq!(
            sib[name][2],
            s["lfs"].get("sha256").cloned().unwrap_or(Value::Null),
            "{name}"
        );
    }
    // The recursive tree, read over several pages (2 entries each), holds the served view.
    let tree: Vec<String> = v["tree"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e[0].as_str().unwrap().to_owned())
        .collect();
    let mut want = signed_files();
    want.push("tokenizer".into());
    want.sort();
    let mut got = tree.clone();
    got.sort();
    assert_eq!(got, want, "{v}");
    assert_eq!(
        v["top"],
        serde_json::json!([
            "README.md",
            "config.json",
            "model.safetensors",
            "model.sig",
            "tokenizer"
        ])
    );
    assert_eq!(v["paths_info"], serde_json::json!(["config.json", "tokenizer"]));
    let pages = mirror.access_log().iter().filter(|r| r["status"] == 200).count();
    assert!(pages >= 5, "the tree was read in pages: {pages}");

    // resolve: the Hub's headers, Range, HEAD without a body.
    let url = format!("{}/{REPO}/resolve/main/model.safetensors", mirror.url);
    let head = http("HEAD", &url, &[], b"");
    let up_head = http(
        "HEAD",
        &format!("{}/{REPO}/resolve/main/model.safetensors", env.hub.endpoint()),
        &[],
        b"",
    );
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    for h in ["ETag", "X-Linked-Etag", "X-Linked-Size", "X-Repo-Commit"] {
        assert_eq!(head.header(h), up_head.header(h), "{h}");
    }
    assert_eq!(head.header("Content-Length"), Some("65553"));
    assert_eq!(head.header("Accept-Ranges"), Some("bytes"));
    let part = http("GET", &url, &[("Range", "bytes=100-199")], b"");
    assert_eq!(part.status, 206);
    assert_eq!(part.header("Content-Range"), Some("bytes 100-199/65553"));
    let whole = std::fs::read(env.src.join("model.safetensors")).unwrap();
    assert_eq!(part.body, whole[100..200]);
    let small = http(
        "HEAD",
        &format!("{}/{REPO}/resolve/main/config.json", mirror.url),
        &[],
        b"",
    );
    let up_small = http(
        "HEAD",
        &format!("{}/{REPO}/resolve/main/config.json", env.hub.endpoint()),
        &[],
        b"",
    );
    assert_eq!(small.header("ETag"), up_small.header("ETag"));
    assert_eq!(small.header("X-Linked-Etag"), None);
    // A file upstream has but the signature does not cover is not served.
    let unsigned = http(
        "GET",
        &format!("{}/{REPO}/resolve/main/.gitattributes", mirror.url),
        &[],
        b"",
    );
    assert_eq!(unsigned.status, 404);
    assert_eq!(unsigned.header("X-Error-Code"), Some("EntryNotFound"));

    // A moved branch is seen at once: the new commit is verified, and refused on the file that
    // fails (its listing verified; README.md's bytes do not), then for the whole commit.
    write(&env.src.join("README.md"), b"changed after signing\n");
    let moved = env.hub.add_commit(REPO, &env.src);
    let readme = http(
        "GET",
        &format!("{}/{REPO}/resolve/main/README.md", mirror.url),
        &[],
        b"",
    );
    assert_eq!(readme.status, 403, "{}", String::from_utf8_lossy(&readme.body));
    assert!(readme.header("X-Error-Message").unwrap().contains("README.md"));
    let r = http(
        "GET",
        &format!("{}/api/models/{REPO}/revision/main", mirror.url),
        &[],
        b"",
    );
    assert_eq!(r.status, 403, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("X-Repo-Commit"), Some(moved.as_str()));
    // The verified commit is still served by its id.
    let old = http(
        "GET",
        &format!("{}/api/models/{REPO}/revision/{}", mirror.url, env.sha),
        &[],
        b"",
    );
    assert_eq!(old.status, 200);
}

#[test]
fn tampered_unsigned_and_unruled_repos_are_refused_with_the_reason_and_nothing_is_kept() {
    let Some(env) = Env::new() else { return };
    let tampered = signed_model(&env.tmp.path().join("tampered"));
    flip_byte(&tampered.join("model.safetensors"), 1000);
    env.hub.add_commit("hubsign/tampered", &tampered);
    let unsigned = signed_model(&env.tmp.path().join("unsigned"));
    std::fs::remove_file(unsigned.join("model.sig")).unwrap();
    env.hub.add_commit("hubsign/unsigned", &unsigned);
    env.hub
        .add_commit("other/model", &signed_model(&env.tmp.path().join("other")));
    let mirror = env.mirror(&[]);
    let home = env.client_home("refused");
    // A verified model first, so the mirror cache is not empty.
    env.json(&mirror, &home, &format!("out(snapshot_download({REPO:?}))"));
    let before = tree_state(&env.cache());
    env.hub.clear_requests();

    let code = "out({r: attempt(lambda r=r: snapshot_download(r)) for r in ['hubsign/tampered', 'hubsign/unsigned', 'other/model']})";
    let v = env.json(&mirror, &home, code);
    for (repo, reason) in [
        ("hubsign/tampered", "does not verify"),
        ("hubsign/tampered", "modified: model.safetensors"),
        ("hubsign/unsigned", "unsigned"),
        ("other/model", "no trust policy rule covers other/model"),
    ] {
        let msg = v[repo]["msg"]
            .as_str()
            .unwrap_or_else(|| panic!("{repo} was served: {v}"));
        assert!(msg.contains(reason), "{repo}: {msg}");
        assert!(msg.contains("403"), "{repo}: {msg}");
    }
    for folder in [
        "models--hubsign--tampered",
        "models--hubsign--unsigned",
        "models--other--model",
    ] {
        assert_eq!(cached_entries(&home, folder), Vec::<String>::new(), "{folder}");
    }
    assert_eq!(tree_state(&env.cache()), before, "the mirror cache changed");
    // No weight of a refused repo was fetched; nothing of the unruled one was even asked.
    assert_eq!(
        env.content_fetches("hubsign/tampered").get("model.safetensors"),
        None
    );
    assert!(env.hub.requests().iter().all(|r| !r.path.contains("other/model")));
    // The raw answer: 403, X-Error-Code, the reason in X-Error-Message.
    let r = http(
        "GET",
        &format!("{}/api/models/hubsign/unsigned/revision/main", mirror.url),
        &[],
        b"",
    );
    assert_eq!(r.status, 403);
    assert_eq!(r.header("X-Error-Code"), Some("HubsignRefused"));
    assert!(r.header("X-Error-Message").unwrap().contains("unsigned"));
    let r = http(
        "GET",
        &format!("{}/hubsign/tampered/resolve/main/config.json", mirror.url),
        &[],
        b"",
    );
    assert_eq!(r.status, 403);
    let log = mirror.access_log();
    assert!(
        log.iter()
            .any(|r| r["repo"] == "hubsign/tampered" && r["verdict"] == "refused" && r["status"] == 403)
    );
    assert!(
        mirror.stderr().contains("refused: hubsign/tampered@"),
        "{}",
        mirror.stderr()
    );
}

#[test]
fn eight_concurrent_snapshot_downloads_of_a_new_model_share_one_pull() {
    let Some(env) = Env::new() else { return };
    let mirror = env.mirror(&[]);
    // A slow upstream, so that all eight first requests arrive while the pull runs.
    env.hub.stall("model.safetensors", 1000, Duration::from_secs(2));
    env.hub.clear_requests();
    let home = env.client_home("eight");
    let code = format!(
        "from concurrent.futures import ThreadPoolExecutor\n\
         base = {home:?}\n\
         def one(i):\n    p = snapshot_download({REPO:?}, cache_dir=base + '/c%d' % i)\n    return [p, files(p)]\n\
         with ThreadPoolExecutor(8) as ex:\n    res = list(ex.map(one, range(8)))\n\
         out(res)",
        home = home.to_str().unwrap()
    );
    let v = env.json(&mirror, &home, &code);
    let res = v.as_array().unwrap();
    assert_eq!(res.len(), 8);
    for r in res {
        let files: Vec<String> = serde_json::from_value(r[1].clone()).unwrap();
        assert_eq!(files, signed_files());
        assert_same_bytes(&env.src, Path::new(r[0].as_str().unwrap()), &signed_files());
    }
    let fetches = env.content_fetches(REPO);
    for f in signed_files() {
        assert_eq!(
            fetches.get(&f),
            Some(&1),
            "{f} fetched more than once: {fetches:?}"
        );
    }
    assert_eq!(
        mirror.stderr().matches("Verifying ").count(),
        1,
        "{}",
        mirror.stderr()
    );
}

#[test]
fn a_mirror_killed_mid_pull_serves_nothing_unverified_and_recovers_on_restart() {
    let Some(env) = Env::new() else { return };
    let mut mirror = env.mirror(&[]);
    env.hub.stall("model.safetensors", 1000, Duration::from_secs(120));
    let home = env.client_home("killed");
    let client = env
        .python(
            &mirror,
            &home,
            &format!("out(attempt(lambda: snapshot_download({REPO:?})))"),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the mirror is streaming the weights from upstream, then kill -9 it.
    env.hub
        .wait_until_sent("model.safetensors", 1000, "the mirror to fetch the weights");
    std::thread::sleep(Duration::from_millis(300));
    mirror.kill();
    let out = client.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\"err\""), "the client got something: {text}");
    // Nothing unverified reached the client: not a byte of the weights; the files that had
    // verified on their own before the kill may have been served, exactly as signed.
    let client = home.join("hub").join("models--hubsign--tiny-bert");
    let signed: Vec<Vec<u8>> = signed_files()
        .iter()
        .map(|f| std::fs::read(env.src.join(f)).unwrap())
        .collect();
    for entry in cached_entries(&home, "models--hubsign--tiny-bert") {
        assert!(!entry.contains("model.safetensors"), "{entry}");
        let bytes = std::fs::read(client.join(&entry)).unwrap();
        let partial = entry.ends_with(".incomplete") && bytes.is_empty();
        let metadata = entry.starts_with("refs/") || entry.starts_with("trees/");
        assert!(
            partial || metadata || signed.contains(&bytes),
            "{entry} holds bytes that were not verified"
        );
    }
    // Nothing of the interrupted pull is in the mirror's cache (only its staging beside it).
    let cached = tree_state(&env.cache());
    assert!(
        cached
            .keys()
            .all(|k| !k.contains("snapshots") && !k.contains("blobs/")),
        "{cached:?}"
    );
    let staging = env.tmp.path().join(".mirror-cache.hubsign-staging");
    assert!(
        std::fs::read_dir(&staging).unwrap().count() > 0,
        "no staging left by the kill"
    );

    // Restarted on the same cache: the next request is verified and served.
    env.hub.clear_faults();
    let mirror = env.mirror(&[]);
    let v = env.json(
        &mirror,
        &home,
        &format!("p = snapshot_download({REPO:?})\nout([p, files(p)])"),
    );
    let files: Vec<String> = serde_json::from_value(v[1].clone()).unwrap();
    assert_eq!(files, signed_files());
    assert_same_bytes(&env.src, Path::new(v[0].as_str().unwrap()), &signed_files());
    // The mirror answers each file as soon as it verifies, so the client can be done before
    // the mirror's pull has committed and removed its staging: wait for that, not for a time.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while std::fs::read_dir(&staging).unwrap().count() > 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        std::fs::read_dir(&staging).unwrap().count(),
        0,
        "stale staging not removed"
    );
}

#[test]
fn a_restarted_mirror_verifies_its_cache_again_before_serving_it() {
    let env = Env::local();
    let mut mirror = env.mirror(&[]);
    let r = http(
        "GET",
        &format!("{}/api/models/{REPO}/revision/main", mirror.url),
        &[],
        b"",
    );
    assert_eq!(r.status, 200);
    let snapshot = env.committed();
    mirror.kill();
    // Someone with write access to the cache swaps a verified blob for other bytes.
    let blob = std::fs::canonicalize(snapshot.join("config.json")).unwrap();
    std::fs::write(&blob, b"{\"model_type\": \"planted\", \"hidden_size\": 1}\n").unwrap();
    env.hub.clear_requests();
    let mirror = env.mirror(&[]);
    let r = http(
        "GET",
        &format!("{}/{REPO}/resolve/main/config.json", mirror.url),
        &[],
        b"",
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.body, std::fs::read(env.src.join("config.json")).unwrap());
    // The planted blob failed its re-hash and was fetched again; the others were reused.
    let fetches = env.content_fetches(REPO);
    assert_eq!(fetches.get("config.json"), Some(&1), "{fetches:?}");
    assert_eq!(fetches.get("model.safetensors"), None, "{fetches:?}");
}

#[test]
fn a_signed_dataset_loads_with_datasets_through_the_mirror() {
    let Some(env) = Env::new() else { return };
    let Some(ms) = support::model_signing() else {
        return;
    };
    let data = env.tmp.path().join("dataset");
    let script = format!(
        "import pyarrow as pa, pyarrow.parquet as pq, os\n\
         d = {d:?}\n\
         os.makedirs(d + '/data', exist_ok=True)\n\
         t = pa.table({{'id': list(range(120)), 'text': ['row %d' % i for i in range(120)]}})\n\
         pq.write_table(t, d + '/data/train-00000-of-00001.parquet')\n",
        d = data.to_str().unwrap()
    );
    let mut c = Command::new(env.py.as_ref().expect("Env::new gives Python"));
    c.arg("-c").arg(script);
    run(c).ok();
    write(
        &data.join("README.md"),
        b"---\nconfigs:\n- config_name: default\n  data_files:\n  - split: train\n    path: data/train-*\n---\n# A signed dataset\n",
    );
    let mut c = model_signing_cmd(&ms);
    c.args(["sign", "key"])
        .arg(&data)
        .arg("--signature")
        .arg(data.join("model.sig"))
        .arg("--private_key")
        .arg(key("p256.pem"));
    run(c).ok();
    env.hub.add_commit("datasets/hubsign/signed-data", &data);
    let mirror = env.mirror(&[]);
    let home = env.client_home("datasets");
    let v = env.json(
        &mirror,
        &home,
        "from datasets import load_dataset\n\
         ds = load_dataset('hubsign/signed-data')\n\
         out({'rows': len(ds['train']), 'first': ds['train'][0]['text']})",
    );
    assert_eq!(v["rows"], 120, "{v}");
    assert_eq!(v["first"], "row 0", "{v}");
    assert!(
        mirror
            .access_log()
            .iter()
            .any(|r| r["repo_type"] == "datasets" && r["verdict"] == "served"),
        "{:?}",
        mirror.access_log()
    );
}

#[test]
fn hostile_requests_are_refused() {
    let Some(env) = Env::new() else { return };
    let tokens = env.tmp.path().join("client-tokens");
    write(&tokens, format!("# clients\n{CLIENT_TOKEN}\n").as_bytes());
    let upstream_token = env.tmp.path().join("upstream-token");
    write(&upstream_token, format!("{UPSTREAM_TOKEN}\n").as_bytes());
    env.hub.set_private(REPO, UPSTREAM_TOKEN);
    let mirror = env.mirror(&[
        "--client-tokens",
        tokens.to_str().unwrap(),
        "--token-file",
        upstream_token.to_str().unwrap(),
    ]);
    let auth = format!("Bearer {CLIENT_TOKEN}");
    let ok = [("Authorization", auth.as_str())];
    let get =
        |path: &str, headers: &[(&str, &str)]| http("GET", &format!("{}{path}", mirror.url), headers, b"");
    let info = format!("/api/models/{REPO}/revision/main");
    // Client auth: missing or wrong token → 401; the right one → served.
    assert_eq!(get(&info, &[]).status, 401);
    assert_eq!(get(&info, &[("Authorization", "Bearer wrong")]).status, 401);
    assert_eq!(
        get(&info, &[("Authorization", "Bearer mirror-client-token-7f3")]).status,
        401
    );
    let r = get(&info, &ok);
    assert_eq!(r.status, 200, "{}", mirror.stderr());
    // Upstream saw only the mirror's own token, never the client's.
    let reqs = env.hub.requests();
    assert!(!reqs.is_empty());
    for r in &reqs {
        if r.origin == Origin::Hub {
            assert_eq!(
                r.authorization.as_deref(),
                Some(format!("Bearer {UPSTREAM_TOKEN}").as_str()),
                "{r:?}"
            );
        }
        assert!(
            !r.authorization
                .as_deref()
                .unwrap_or_default()
                .contains(CLIENT_TOKEN)
        );
    }
    // Path traversal in the resolve path: refused before any file is opened.
    for path in [
        "..%2F..%2F..%2Fetc%2Fpasswd",
        "../../../etc/passwd",
        "tokenizer/..%2F..%2Fmodel.sig",
        "%2Fetc%2Fpasswd",
        "tokenizer//vocab.txt",
        "%00",
    ] {
        let r = get(&format!("/{REPO}/resolve/main/{path}"), &ok);
        assert!(r.status == 400 || r.status == 404, "{path}: {}", r.status);
        assert!(
            r.body.len() < 1000 && !String::from_utf8_lossy(&r.body).contains("root:"),
            "{path}"
        );
    }
    // Revisions that are no commit or branch, or no ref name at all.
    let r = get(&format!("/{REPO}/resolve/no-such-branch/config.json"), &ok);
    assert_eq!(r.status, 404);
    assert_eq!(r.header("X-Error-Code"), Some("RevisionNotFound"));
    let r = get(&format!("/{REPO}/resolve/{}/config.json", "0".repeat(40)), &ok);
    assert_eq!(r.status, 404);
    for rev in ["..", "a..b", "%2E%2E%2F%2E%2E", "main%0A"] {
        let r = get(&format!("/{REPO}/resolve/{rev}/config.json"), &ok);
        assert_eq!(r.status, 400, "{rev}");
    }
    // Repositories without a rule, malformed ids, other endpoints.
    let r = get("/api/models/else/where/revision/main", &ok);
    assert_eq!(r.status, 403);
    assert!(
        r.header("X-Error-Message")
            .unwrap()
            .contains("no trust policy rule")
    );
    assert_eq!(get("/api/models/a--b/c/revision/main", &ok).status, 400);
    assert_eq!(get("/api/whoami-v2", &ok).status, 404);
    assert_eq!(
        http(
            "POST",
            &format!("{}/api/models/{REPO}/commit/main", mirror.url),
            &ok,
            b"{}"
        )
        .status,
        404
    );
    // huggingface_hub sends HF_TOKEN as the bearer token: with it the model downloads, without
    // it the client gets the 401.
    let home = env.client_home("token");
    let code = format!(
        "out([attempt(lambda t=t, i=i: files(snapshot_download({REPO:?}, token=t, cache_dir={home:?} + str(i))))\n\
              for i, t in enumerate([{CLIENT_TOKEN:?}, False])])",
        home = home.to_str().unwrap()
    );
    let v = env.json(&mirror, &home, &code);
    assert_eq!(v[0]["ok"], serde_json::to_value(signed_files()).unwrap(), "{v}");
    assert!(v[1]["msg"].as_str().unwrap().contains("401"), "{v}");
    // No token in the access log or the mirror's output.
    let log = std::fs::read_to_string(&mirror.access).unwrap();
    for secret in [CLIENT_TOKEN, UPSTREAM_TOKEN] {
        assert!(!log.contains(secret) && !mirror.stderr().contains(secret));
    }
    assert!(log.contains("\"verdict\":\"unauthorized\""));
}

#[test]
fn sigterm_shuts_the_mirror_down_gracefully_with_exit_0() {
    let env = Env::local();
    let mut mirror = env.mirror(&[]);
    assert_eq!(
        http("GET", &format!("{}/healthz", mirror.url), &[], b"").status,
        200
    );
    let r = http(
        "GET",
        &format!("{}/{REPO}/resolve/main/config.json", mirror.url),
        &[],
        b"",
    );
    assert_eq!(r.status, 200);
    let status = mirror.terminate();
    assert_eq!(status.code(), Some(0), "{}", mirror.stderr());
    assert!(
        mirror.stderr().contains("hubsign serve: shut down"),
        "{}",
        mirror.stderr()
    );
    // A policy without rules, or an unreadable key, is a usage error at start (exit 2).
    let start_with = |policy: &Path| {
        let mut c = support::hubsign();
        c.args([
            "serve",
            "--upstream",
            &env.hub.endpoint(),
            "--listen",
            "127.0.0.1:0",
            "--policy",
        ])
        .arg(policy);
        run(c)
    };
    let empty = env.tmp.path().join("empty.toml");
    write(&empty, b"");
    start_with(&empty).expect_code(2).stderr_has("no [[trust]] rule");
    let bad = env.tmp.path().join("bad.toml");
    write(
        &bad,
        b"[[trust]]\nrepos = [\"a/*\"]\npublic-key = \"missing.pem\"\n",
    );
    start_with(&bad).expect_code(2).stderr_has("missing.pem");
}

/// While the mirror runs, someone with write access to the cache volume rewrites a verified
/// blob with other bytes of the same size, and points a snapshot link at a same-size file
/// outside the cache: neither is ever served; the rewritten blob is verified (and fetched)
/// again, the link is not followed at all.
#[test]
fn bytes_changed_in_the_cache_after_verification_are_never_served() {
    let env = Env::local();
    let mirror = env.mirror(&[]);
    let get = |path: &str| {
        http(
            "GET",
            &format!("{}/{REPO}/resolve/main/{path}", mirror.url),
            &[],
            b"",
        )
    };
    let original = std::fs::read(env.src.join("config.json")).unwrap();
    assert_eq!(get("config.json").body, original);
    let snapshot = env.committed();
    // Same size, other bytes, same inode.
    let blob = std::fs::canonicalize(snapshot.join("config.json")).unwrap();
    let mut planted = original.clone();
    planted[2] ^= 0x20;
    let mut perms = std::fs::metadata(&blob).unwrap().permissions();
    #[expect(
        clippy::permissions_set_readonly_false,
        reason = "the test tampers with the blob"
    )]
    perms.set_readonly(false);
    std::fs::set_permissions(&blob, perms).unwrap();
    std::fs::write(&blob, &planted).unwrap();
    let r = get("config.json");
    assert_ne!(r.body, planted, "rewritten bytes were served");
    let r = get("config.json");
    assert_eq!(
        (r.status, &r.body),
        (200, &original),
        "verified again and fetched"
    );
    // A snapshot link swapped for a same-size file outside the cache is not followed.
    let outside = env.tmp.path().join("outside.json");
    std::fs::write(&outside, &planted).unwrap();
    let link = snapshot.join("config.json");
    std::fs::remove_file(&link).unwrap();
    std::os::unix::fs::symlink(&outside, &link).unwrap();
    let r = get("config.json");
    assert_ne!(r.body, planted, "a file outside the cache was served");
}

/// Slowloris: a client that never finishes its request head is disconnected after the header
/// timeout, and the mirror keeps answering others meanwhile; a client that holds a connection
/// open during shutdown does not keep the mirror from exiting 0.
#[test]
fn a_client_that_never_finishes_its_request_is_disconnected() {
    use std::io::{Read as _, Write as _};
    let env = Env::local();
    let mut mirror = env.mirror(&["--header-read-timeout", "2"]);
    let addr = mirror.url.trim_start_matches("http://").to_owned();
    let mut slow: Vec<std::net::TcpStream> = (0..20)
        .map(|_| {
            let mut s = std::net::TcpStream::connect(&addr).unwrap();
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").unwrap();
            s
        })
        .collect();
    assert_eq!(
        http("GET", &format!("{}/healthz", mirror.url), &[], b"").status,
        200,
        "the mirror stopped answering"
    );
    std::thread::sleep(std::time::Duration::from_secs(4));
    for s in &mut slow {
        s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        let mut buf = Vec::new();
        // Disconnected: EOF (possibly after a 408), never a timeout of our read.
        let r = s.read_to_end(&mut buf);
        assert!(r.is_ok(), "the connection is still open: {r:?}");
    }
    let _idle = std::net::TcpStream::connect(&addr).unwrap();
    assert_eq!(mirror.terminate().code(), Some(0), "{}", mirror.stderr());
}

/// Bounds: five new repositories at once against a slow upstream — four verified pulls run,
/// the fifth is told to come back (503 + Retry-After) and succeeds later; a refused commit's
/// verdict is remembered, so asking again costs upstream nothing.
#[test]
fn verified_pulls_are_bounded_and_refusals_are_not_repeated_upstream() {
    let env = Env::local();
    let repos: Vec<String> = (0..5).map(|i| format!("hubsign/bounded-{i}")).collect();
    for r in &repos {
        env.hub
            .add_commit(r, &signed_model(&env.tmp.path().join(r.replace('/', "-"))));
    }
    let unsigned = signed_model(&env.tmp.path().join("unsigned"));
    std::fs::remove_file(unsigned.join("model.sig")).unwrap();
    env.hub.add_commit("hubsign/unsigned-twice", &unsigned);
    let mirror = env.mirror(&[]);
    env.hub.stall("model.safetensors", 1000, Duration::from_secs(3));
    let url = mirror.url.clone();
    let answers: Vec<(u16, Option<String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = repos
            .iter()
            .map(|r| {
                let url = format!("{url}/api/models/{r}/revision/main");
                s.spawn(move || {
                    let a = http("GET", &url, &[], b"");
                    (a.status, a.header("Retry-After").map(str::to_owned))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ok = answers.iter().filter(|(s, _)| *s == 200).count();
    let busy: Vec<_> = answers.iter().filter(|(s, _)| *s == 503).collect();
    assert_eq!((ok, busy.len()), (4, 1), "{answers:?}");
    assert_eq!(busy[0].1.as_deref(), Some("30"));
    // The four pulls end once their weights arrive (their listings were answered before).
    for r in repos.iter().take(4) {
        let weights = format!("{url}/{r}/resolve/main/model.safetensors");
        let _ = http("GET", &weights, &[], b"");
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    for r in &repos {
        let a = loop {
            let a = http("GET", &format!("{url}/api/models/{r}/revision/main"), &[], b"");
            // A pull slot is given back just after its commit, a moment after its last file.
            if a.status != 503 || Instant::now() > deadline {
                break a;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        assert_eq!(a.status, 200, "{r} after the others finished");
    }
    // Refused once: the second request is answered from the remembered verdict.
    let refused = format!("{url}/api/models/hubsign/unsigned-twice/revision/main");
    assert_eq!(http("GET", &refused, &[], b"").status, 403);
    env.hub.clear_requests();
    let again = http("GET", &refused, &[], b"");
    assert_eq!(again.status, 403);
    assert!(again.header("X-Error-Message").unwrap().contains("unsigned"));
    let upstream: Vec<String> = env
        .hub
        .requests()
        .iter()
        .map(|r| r.path.clone())
        // Only the refused repository's requests: a pull of another repository of this test
        // may still be finishing its last file when the log is cleared (seen under load).
        .filter(|p| p.contains("unsigned-twice") && !p.contains("/revision/"))
        .collect();
    assert!(
        upstream.is_empty(),
        "the refused commit was pulled again: {upstream:?}"
    );
}

/// Tree pages link to the next page by the pinned commit (a branch moving between pages cannot
/// mix two listings), and paths-info takes a bounded number of paths.
#[test]
fn tree_pages_follow_the_pinned_commit_and_paths_info_is_bounded() {
    let env = Env::local();
    let mirror = env.mirror(&["--tree-page-size", "2"]);
    let r = http(
        "GET",
        &format!("{}/api/models/{REPO}/tree/main?recursive=true", mirror.url),
        &[],
        b"",
    );
    assert_eq!(r.status, 200);
    let link = r.header("Link").expect("a next link").to_owned();
    assert!(link.contains(&format!("/tree/{}?", env.sha)), "{link}");
    let many: String = (0..10_001)
        .map(|i| format!("paths=f{i}"))
        .collect::<Vec<_>>()
        .join("&");
    let r = http(
        "POST",
        &format!("{}/api/models/{REPO}/paths-info/main", mirror.url),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        many.as_bytes(),
    );
    assert_eq!(r.status, 400, "{:?}", String::from_utf8_lossy(&r.body));
    let r = http(
        "POST",
        &format!("{}/api/models/{REPO}/paths-info/main", mirror.url),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        b"paths=config.json&paths=config.json&paths=nope",
    );
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1, "{v}");
}

/// Two replicas on one cache volume: first requests for the same new commit at once on both
/// succeed with upstream's bytes (the cache's `.locks` serialise their commits), and each
/// replica then serves what it verified.
#[test]
fn two_replicas_sharing_one_cache_both_serve_the_verified_model() {
    let env = Env::local();
    let a = env.mirror(&[]);
    let b = Mirror::start(
        &env.hub.endpoint(),
        &env.policy,
        &env.cache(),
        &env.tmp.path().join("mirror-b"),
        &[],
    );
    env.hub.stall("model.safetensors", 1000, Duration::from_secs(1));
    let want = std::fs::read(env.src.join("model.safetensors")).unwrap();
    let bodies: Vec<(u16, Vec<u8>)> = std::thread::scope(|s| {
        let hs: Vec<_> = [&a.url, &b.url, &a.url, &b.url]
            .into_iter()
            .map(|u| {
                let url = format!("{u}/{REPO}/resolve/main/model.safetensors");
                s.spawn(move || {
                    let r = http("GET", &url, &[], b"");
                    (r.status, r.body)
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (status, body) in &bodies {
        assert_eq!(*status, 200, "{}", String::from_utf8_lossy(body));
        assert!(*body == want, "a replica served other bytes");
    }
    // Served as soon as it verified: the commits follow a moment later.
    env.committed();
    let snapshots = env.cache().join("models--hubsign--tiny-bert/snapshots");
    let present: Vec<String> = std::fs::read_dir(&snapshots)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(present, vec![env.sha.clone()]);
}

/// A blob re-hashed and reused at the start of a pull, then rewritten in place (same size,
/// same inode, other bytes) while another file of that pull is still downloading, is never
/// recorded or served: its identity is taken from the handle that hashed it, when it hashed
/// it, and the commit and every answer require that identity. The next request verifies the
/// commit again and serves upstream's bytes.
#[test]
fn a_reused_blob_rewritten_while_its_pull_runs_is_never_served() {
    let env = Env::local();
    let mut mirror = env.mirror(&[]);
    let get = |mirror: &Mirror, path: &str| {
        http(
            "GET",
            &format!("{}/{REPO}/resolve/main/{path}", mirror.url),
            &[],
            b"",
        )
    };
    let original = std::fs::read(env.src.join("config.json")).unwrap();
    assert_eq!(get(&mirror, "config.json").body, original);
    let snapshot = env.committed();
    mirror.kill();
    // The next pull reuses config.json's blob and downloads the weights again, slowly.
    std::fs::remove_file(std::fs::canonicalize(snapshot.join("model.safetensors")).unwrap()).unwrap();
    let blob = std::fs::canonicalize(snapshot.join("config.json")).unwrap();
    env.hub.clear_requests();
    env.hub.stall("model.safetensors", 1000, Duration::from_secs(3));
    let mirror = env.mirror(&[]);
    let planted = std::thread::scope(|s| {
        let first = s.spawn(|| get(&mirror, "config.json"));
        env.hub
            .wait_until_sent("model.safetensors", 1000, "the mirror to fetch the weights");
        // config.json was re-hashed when the pull started; now rewrite it in place.
        std::thread::sleep(Duration::from_millis(300));
        let mut planted = original.clone();
        planted[2] ^= 0x20;
        let mut perms = std::fs::metadata(&blob).unwrap().permissions();
        #[expect(
            clippy::permissions_set_readonly_false,
            reason = "the test tampers with the blob"
        )]
        perms.set_readonly(false);
        std::fs::set_permissions(&blob, perms).unwrap();
        std::fs::write(&blob, &planted).unwrap();
        let r = first.join().unwrap();
        assert!(r.body != planted, "a blob rewritten during its pull was served");
        planted
    });
    let r = get(&mirror, "config.json");
    assert!(r.body != planted, "a blob rewritten during its pull was served");
    assert!(
        r.status == 200 && r.body == original,
        "not verified again and fetched: {} {}\n{}",
        r.status,
        String::from_utf8_lossy(&r.body),
        mirror.stderr()
    );
}

/// The Hub's legacy repositories without organisation (`gpt2`) go through the mirror too:
/// `snapshot_download('gpt2')` asks `/api/models/gpt2/revision/main` and `/gpt2/resolve/…`.
#[test]
fn a_bare_legacy_repository_name_is_served_through_the_mirror() {
    let Some(env) = Env::new() else { return };
    env.hub.add_commit("gpt2", &env.src);
    let policy = env.tmp.path().join("legacy.toml");
    write(
        &policy,
        format!(
            "[[trust]]\nrepos = [\"gpt2\"]\npublic-key = {:?}\n",
            key("p256.pub.pem").to_str().unwrap()
        )
        .as_bytes(),
    );
    let mirror = Mirror::start(
        &env.hub.endpoint(),
        &policy,
        &env.cache(),
        &env.tmp.path().join("mirror"),
        &[],
    );
    let home = env.client_home("legacy");
    let v = env.json(
        &mirror,
        &home,
        "p = snapshot_download('gpt2')\n\
         out({'path': p, 'files': files(p)})",
    );
    assert_eq!(v["files"], serde_json::json!(signed_files()), "{v}");
    let snapshot = PathBuf::from(v["path"].as_str().unwrap());
    assert!(snapshot.starts_with(home.join("hub/models--gpt2")), "{v}");
    assert_same_bytes(&env.src, &snapshot, &signed_files());
}

/// Two paths with the same bytes (one blob) in one pull: both are served, neither is taken for
/// a file changed since it was verified (the second is not renamed over the first's blob).
#[test]
fn two_paths_with_the_same_content_are_both_served() {
    let env = Env::local();
    let src = signed_model(&env.tmp.path().join("dup"));
    std::fs::copy(src.join("config.json"), src.join("config-copy.json")).unwrap();
    std::fs::remove_file(src.join("model.sig")).unwrap();
    let mut sign = support::hubsign();
    sign.arg("sign")
        .arg(&src)
        .arg("--private-key")
        .arg(key("p256.pem"));
    run(sign).ok();
    env.hub.add_commit("hubsign/dup", &src);
    let mirror = env.mirror(&[]);
    let config = std::fs::read(src.join("config.json")).unwrap();
    for path in [
        "config-copy.json",
        "config.json",
        "config-copy.json",
        "config.json",
    ] {
        let r = http(
            "GET",
            &format!("{}/hubsign/dup/resolve/main/{path}", mirror.url),
            &[],
            b"",
        );
        assert_eq!(r.status, 200, "{path}: {}", String::from_utf8_lossy(&r.body));
        assert!(r.body == config, "{path}");
    }
    let pulls = env
        .hub
        .requests()
        .iter()
        .filter(|r| {
            r.method == "GET" && r.path.contains("/hubsign/dup/resolve/") && r.path.ends_with("/model.sig")
        })
        .count();
    assert_eq!(
        pulls,
        1,
        "verified again: {}",
        std::fs::read_to_string(&mirror.stderr).unwrap_or_default()
    );
}

//! Signed datasets, proven with the real Python stack: a parquet dataset with a dataset card,
//! signed by model_signing, uploaded by `huggingface_hub.upload_folder(repo_type="dataset")` to
//! the local hub; hubsign checks, pulls into `datasets--org--name`, and the `datasets` library
//! loads it offline; a tampered shard is refused with the cache unchanged; `hubsign push` of a
//! dataset verifies with model_signing after `snapshot_download(repo_type="dataset")`.

use crate::support::hub::{LocalHub, Origin};
use crate::support::tree_state;
use crate::support::{Run, copy_tree, hubsign, key, model_signing, model_signing_cmd, run, tempdir, write};
use std::path::{Path, PathBuf};
use std::process::Command;
use testhub::python::venv_python;

const TOKEN: &str = "hf_write_token_for_datasets";
const ROWS: usize = 300;

struct Env {
    hub: LocalHub,
    home: tempfile::TempDir,
    work: tempfile::TempDir,
    py: PathBuf,
}

impl Env {
    /// `None` (after a loud SKIPPED, or a failure under HUBSIGN_REQUIRE_ALL) without the venv.
    fn new() -> Option<Self> {
        let py = venv_python()?;
        let hub = LocalHub::start();
        hub.set_write_token(TOKEN);
        Some(Self {
            hub,
            home: tempdir(),
            work: tempdir(),
            py,
        })
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

    fn python(&self, script: &str) -> Command {
        let mut c = Command::new(&self.py);
        c.arg("-c")
            .arg(script)
            .env("HF_ENDPOINT", self.hub.endpoint())
            .env("HF_HOME", self.home.path())
            .env("HF_TOKEN", TOKEN)
            .env("HF_HUB_DISABLE_TELEMETRY", "1")
            .env("HF_HUB_DISABLE_XET", "1")
            .env("HF_DATASETS_OFFLINE", "1")
            .env_remove("HF_HUB_OFFLINE");
        c
    }

    /// A parquet dataset (two splits, `ROWS` rows in train) with a dataset card, written by pyarrow.
    fn dataset(&self, name: &str) -> PathBuf {
        let d = self.work.path().join(name);
        let script = format!(
            "import pyarrow as pa, pyarrow.parquet as pq, os\n\
             d = {d:?}\n\
             os.makedirs(d + '/data', exist_ok=True)\n\
             t = pa.table({{'id': list(range({ROWS})), 'text': ['row %d' % i for i in range({ROWS})]}})\n\
             pq.write_table(t, d + '/data/train-00000-of-00001.parquet')\n\
             pq.write_table(t.slice(0, 10), d + '/data/test-00000-of-00001.parquet')\n",
            d = d.to_str().unwrap()
        );
        run(self.python(&script)).ok();
        write(
            &d.join("README.md"),
            b"---\nconfigs:\n- config_name: default\n  data_files:\n  - split: train\n    path: data/train-*\n  - split: test\n    path: data/test-*\n---\n# A signed dataset\n",
        );
        d
    }

    fn upload_folder(&self, repo: &str, dir: &Path) {
        let script = format!(
            "from huggingface_hub import HfApi\napi = HfApi()\n\
             api.create_repo({repo:?}, repo_type='dataset', exist_ok=True)\n\
             api.upload_folder(repo_id={repo:?}, repo_type='dataset', folder_path={:?})\n",
            dir.to_str().unwrap()
        );
        run(self.python(&script)).ok();
    }
}

fn sign_with_model_signing(ms: &Path, dir: &Path) {
    let mut c = model_signing_cmd(ms);
    c.args(["sign", "key"])
        .arg(dir)
        .arg("--signature")
        .arg(dir.join("model.sig"))
        .arg("--private_key")
        .arg(key("p256.pem"));
    run(c).ok();
}

fn pubkey() -> String {
    key("p256.pub.pem").to_str().unwrap().to_owned()
}

#[test]
fn a_signed_parquet_dataset_pulls_verified_and_loads_offline_with_datasets() {
    let Some(env) = Env::new() else { return };
    let Some(ms) = model_signing() else { return };
    let data = env.dataset("data");
    sign_with_model_signing(&ms, &data);
    env.upload_folder("hubsign/signed-data", &data);

    // check: the signature and the listing only, no data file is fetched.
    env.hub.clear_requests();
    let k = pubkey();
    run(env.cmd(&["check", "datasets/hubsign/signed-data", "--public-key", &k]))
        .ok()
        .stdout_has("Check passed");
    let reqs = env.hub.requests();
    assert!(
        reqs.iter()
            .all(|r| !r.path.contains(".parquet") && r.origin == Origin::Hub),
        "check fetched data: {reqs:?}"
    );
    assert!(
        reqs.iter()
            .any(|r| r.path.starts_with("/api/datasets/hubsign/signed-data"))
    );

    // pull: into datasets--hubsign--signed-data, laid out as huggingface_hub does.
    let r = run(env.cmd(&[
        "pull",
        "hubsign/signed-data",
        "--repo-type",
        "dataset",
        "--public-key",
        &k,
        "--ignore-unsigned-files",
    ]));
    r.ok().stderr_has("Verified datasets/hubsign/signed-data@");
    let snapshot = r.stdout().trim().to_owned();
    let repo_dir = env.home.path().join("hub/datasets--hubsign--signed-data");
    assert!(
        Path::new(&snapshot).starts_with(repo_dir.join("snapshots")),
        "{snapshot}"
    );
    assert!(repo_dir.join("refs/main").is_file());

    // Offline, the real stack finds the same snapshot and loads every row from it.
    let script = format!(
        "from huggingface_hub import snapshot_download\n\
         p = snapshot_download('hubsign/signed-data', repo_type='dataset')\n\
         assert p == {snapshot:?}, (p, {snapshot:?})\n\
         import datasets\n\
         ds = datasets.load_dataset(p)\n\
         print('rows', ds['train'].num_rows, ds['test'].num_rows, ds['train'][7]['text'])\n"
    );
    let mut c = env.python(&script);
    c.env("HF_HUB_OFFLINE", "1");
    run(c).ok().stdout_has(&format!("rows {ROWS} 10 row 7"));

    // A tampered shard on the hub (new commit, same signature): refused, cache unchanged.
    let evil = env.work.path().join("evil");
    copy_tree(&data, &evil);
    let script = format!(
        "import pyarrow as pa, pyarrow.parquet as pq\n\
         t = pa.table({{'id': list(range({ROWS})), 'text': ['evil %d' % i for i in range({ROWS})]}})\n\
         pq.write_table(t, {:?})\n",
        evil.join("data/train-00000-of-00001.parquet").to_str().unwrap()
    );
    run(env.python(&script)).ok();
    env.upload_folder("hubsign/signed-data", &evil);
    let before = tree_state(env.home.path());
    let r = run(env.cmd(&[
        "pull",
        "datasets/hubsign/signed-data",
        "--public-key",
        &k,
        "--ignore-unsigned-files",
    ]));
    r.expect_code(1).stderr_has("data/train-00000-of-00001.parquet");
    let mut after = tree_state(env.home.path());
    after.retain(|k, _| !k.starts_with(".hub.hubsign-staging"));
    let mut before = before;
    before.retain(|k, _| !k.starts_with(".hub.hubsign-staging"));
    assert_eq!(before, after, "a refused dataset pull changed the cache");
}

#[test]
fn a_dataset_pushed_by_hubsign_verifies_with_model_signing_after_snapshot_download() {
    let Some(env) = Env::new() else { return };
    let Some(ms) = model_signing() else { return };
    let data = env.dataset("to-push");
    let sk = key("p256.pem");
    let r = run(env.cmd(&[
        "push",
        data.to_str().unwrap(),
        "datasets/hubsign/pushed-data",
        "--private-key",
        sk.to_str().unwrap(),
    ]));
    r.ok().stderr_has("Signed and pushed");
    assert!(
        r.stdout().contains("/datasets/hubsign/pushed-data/commit/"),
        "{}",
        r.stdout()
    );
    assert!(env.hub.files("datasets/hubsign/pushed-data", "main").is_some());
    assert!(
        env.hub.files("hubsign/pushed-data", "main").is_none(),
        "pushed as a model"
    );
    let out = env.work.path().join("downloaded");
    let script = format!(
        "from huggingface_hub import snapshot_download\n\
         print(snapshot_download('hubsign/pushed-data', repo_type='dataset', local_dir={:?}))\n",
        out.to_str().unwrap()
    );
    run(env.python(&script)).ok();
    let mut v = model_signing_cmd(&ms);
    v.args(["verify", "key"])
        .arg(&out)
        .arg("--signature")
        .arg(out.join("model.sig"))
        .arg("--ignore-paths")
        .arg(out.join(".cache"))
        .arg("--public_key")
        .arg(key("p256.pub.pem"));
    let r: Run = run(v);
    r.ok().stdout_has("Verification succeeded");
    // And hubsign pulls it back as a dataset.
    let k = pubkey();
    run(env.cmd(&["pull", "datasets/hubsign/pushed-data", "--public-key", &k]))
        .ok()
        .stderr_has("Verified datasets/hubsign/pushed-data@");
}

//! `hubsign pull` against the local hub: one signed repository, an empty `HF_HOME`, and the checks
//! every refused pull must pass (cache byte-for-byte unchanged, nothing unexplained left in staging).
//! Shared by the pull, partial-pull, staging, records, hardening and mirror tests.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::hub::LocalHub;
use super::{Run, hubsign, key, run, tempdir};
use testhub::models::{signed_model, tree_state};

pub const REPO: &str = "hubsign/tiny-bert";

/// A local hub serving [`REPO`] (the signed fixture model) and an empty `HF_HOME`: `hubsign pull`
/// and the cache commands run against them.
pub struct Env {
    pub hub: LocalHub,
    pub home: tempfile::TempDir,
    pub work: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Self {
        let work = tempdir();
        let hub = LocalHub::start();
        hub.add_commit(REPO, &signed_model(work.path()));
        Self {
            hub,
            home: tempdir(),
            work,
        }
    }

    pub fn cache(&self) -> PathBuf {
        self.home.path().join("hub")
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
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

    pub fn pull(&self, extra: &[&str]) -> Run {
        self.pull_trusting("p256.pub.pem", extra)
    }

    pub fn pull_trusting(&self, public_key: &str, extra: &[&str]) -> Run {
        let pubkey = key(public_key);
        let mut args = vec!["pull", REPO, "--public-key", pubkey.to_str().unwrap()];
        args.extend_from_slice(extra);
        run(self.cmd(&args))
    }

    /// Every path under HF_HOME with its type and content hash: "unchanged" means equal maps.
    /// The staging root beside the cache is left out (checked empty by `staged`).
    pub fn state(&self) -> BTreeMap<String, String> {
        let mut s = tree_state(self.home.path());
        s.retain(|k, _| !k.starts_with(".hub.hubsign-staging"));
        s
    }

    /// Stalls `path` on the hub after `after` bytes for `stall`, starts `hubsign pull REPO` with
    /// `extra` arguments (trusting p256; stdout and stderr piped) and returns it once the hub has
    /// served those `after` bytes: the pull is then inside that file.
    pub fn pull_stalled_at(&self, path: &str, after: u64, stall: Duration, extra: &[&str]) -> Child {
        self.hub.stall(path, after, stall);
        let pubkey = key("p256.pub.pem");
        let child = self
            .cmd(&["pull", REPO, "--public-key", pubkey.to_str().unwrap()])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        self.hub.wait_until_sent(
            path,
            after,
            &format!("the pull to be served {after} bytes of {path}"),
        );
        child
    }

    /// Staging leftovers (must be none after a pull ends, successfully or not).
    pub fn staged(&self) -> Vec<String> {
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

/// Runs a pull that must fail with `code`, then checks the cache is byte-for-byte unchanged and
/// nothing is left in staging but (after an error that is no definite "no", exit 2) the
/// partial downloads the next pull resumes.
pub fn refused(env: &Env, extra: &[&str], code: i32, needle: &str) {
    refused_trusting(env, "p256.pub.pem", extra, code, needle);
}

pub fn refused_trusting(env: &Env, public_key: &str, extra: &[&str], code: i32, needle: &str) {
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
    if code == 1 {
        assert!(env.staged().is_empty(), "staging left behind: {:?}", env.staged());
    } else {
        let staging = env.home.path().join(".hub.hubsign-staging");
        for (k, v) in tree_state(&staging) {
            let kept = v == "dir"
                || k.ends_with("/.lock")
                || k.ends_with("/pull.json")
                || (k.contains("/files/") && Path::new(&k).extension().is_some_and(|e| e == "part"));
            assert!(
                k.starts_with("models--hubsign--tiny-bert@") && kept,
                "staging left behind: {k}"
            );
        }
    }
}

//! Test harness shared by the integration tests: running the hubsign binary (only this test binary
//! knows its path). The local hubs, models, fixtures and external inputs come from the `testhub`
//! crate, re-exported here under the names the test modules use.
#![allow(dead_code, reason = "each test module uses a different subset")]

use std::ffi::OsStr;
use std::process::{Command, Output};

pub mod hub_env;

pub use testhub::inputs::{conformance, model_signing, model_signing_cmd, skip, softhsm, vectors};
pub use testhub::models::{
    copy_tree, det_bytes, files_in, fixtures, flip_byte, key, many_files_model, signed_model,
    single_file_model, symlink_model, tempdir, tiny_model, tree_state, write,
};
pub use testhub::{hub, kaggle};

/// The hubsign package's directory (the repository root).
pub const REPO: &str = env!("CARGO_MANIFEST_DIR");

/// `hubsign` with a clean environment for the variables it reads.
pub fn hubsign() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hubsign"));
    c.env_remove("HUBSIGN_TEST_PASSWORD").env_remove("HUBSIGN_POLICY");
    // Every `sign` writes a hash record: keep the tests' records out of the user's cache.
    c.env(
        "HUBSIGN_RECORD_DIR",
        concat!(env!("CARGO_TARGET_TMPDIR"), "/hubsign-records"),
    );
    c
}

/// Result of a command, with helpers that print everything when an assertion fails.
pub struct Run {
    pub out: Output,
    pub what: String,
}

impl Run {
    pub fn code(&self) -> i32 {
        self.out.status.code().unwrap_or(-1)
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).into_owned()
    }
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code(),
            code,
            "{}\n--- stdout\n{}\n--- stderr\n{}",
            self.what,
            self.stdout(),
            self.stderr()
        );
        self
    }
    #[track_caller]
    pub fn ok(&self) -> &Self {
        self.expect_code(0)
    }
    #[track_caller]
    pub fn stderr_has(&self, needle: &str) -> &Self {
        assert!(
            self.stderr().contains(needle),
            "{}: stderr lacks {needle:?}:\n{}",
            self.what,
            self.stderr()
        );
        self
    }
    #[track_caller]
    pub fn stdout_has(&self, needle: &str) -> &Self {
        assert!(
            self.stdout().contains(needle),
            "{}: stdout lacks {needle:?}:\n{}",
            self.what,
            self.stdout()
        );
        self
    }
}

pub fn run(mut cmd: Command) -> Run {
    let what = format!("{cmd:?}");
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    Run { out, what }
}

/// Like [`run`], but a command still running after `secs` seconds is killed and the test fails
/// (a regression that hangs fails instead of hanging the suite).
pub fn run_within(mut cmd: Command, secs: u64) -> Run {
    let what = format!("{cmd:?}");
    let dir = tempdir();
    let (out_path, err_path) = (dir.path().join("stdout"), dir.path().join("stderr"));
    cmd.stdin(std::process::Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap());
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} still running after {secs} s (killed)");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let out = Output {
        status,
        stdout: std::fs::read(&out_path).unwrap(),
        stderr: std::fs::read(&err_path).unwrap(),
    };
    Run { out, what }
}

pub fn hs<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut c = hubsign();
    c.args(args);
    run(c)
}

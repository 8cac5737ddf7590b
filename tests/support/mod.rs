//! Test harness shared by the integration tests: running the binary, building models, and
//! locating the optional external inputs (shared vectors, the Python model_signing).
#![allow(dead_code, reason = "each test module uses a different subset")]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub use testhub::{hub, kaggle};

pub const REPO: &str = env!("CARGO_MANIFEST_DIR");

pub fn fixtures() -> PathBuf {
    Path::new(REPO).join("fixtures")
}

pub fn key(name: &str) -> PathBuf {
    fixtures().join("keys").join(name)
}

/// `hubsign` with a clean environment for the variables it reads.
pub fn hubsign() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hubsign"));
    c.env_remove("HUBSIGN_TEST_PASSWORD").env_remove("HUBSIGN_POLICY");
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

/// Whether everything must run (CI): then a missing input fails instead of skipping.
fn required() -> bool {
    std::env::var_os("HUBSIGN_REQUIRE_ALL").is_some_and(|v| v == "1")
}

/// An external input named by an environment variable, or a loud skip (a failure in CI).
fn external(var: &str, what: &str) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(var) {
        let p = PathBuf::from(p);
        assert!(p.exists(), "{var}={} does not exist", p.display());
        Some(p)
    } else {
        assert!(
            !required(),
            "{var} is not set but HUBSIGN_REQUIRE_ALL=1: {what} must run"
        );
        eprintln!("SKIPPED: {what} not run — set {var} (scripts/test does) to run it");
        None
    }
}

/// A test that cannot run here says so loudly, and fails in CI (`HUBSIGN_REQUIRE_ALL=1`).
pub fn skip(what: &str) {
    assert!(!required(), "HUBSIGN_REQUIRE_ALL=1: {what} must run");
    eprintln!("SKIPPED: {what} not run here");
}

/// `../shared/vectors`, when the test command provides it.
pub fn vectors() -> Option<PathBuf> {
    external(
        "HUBSIGN_VECTORS",
        "tests against the shared model_signing vectors",
    )
}

/// `../shared/conformance` (the sigstore-conformance corpus), when the test command provides it.
pub fn conformance() -> Option<PathBuf> {
    external(
        "HUBSIGN_CONFORMANCE",
        "the sigstore-conformance bundle-verification corpus",
    )
}

/// The `model_signing` 1.1.1 executable, when the test command provides it.
pub fn model_signing() -> Option<PathBuf> {
    external(
        "HUBSIGN_MODEL_SIGNING",
        "interop tests with the Python model_signing",
    )
}

pub fn model_signing_cmd(exe: &Path) -> Command {
    let mut c = Command::new(exe);
    c.env("PYTHONWARNINGS", "ignore");
    c
}

/// The deterministic content of the shared vector generator: SHA-256 blocks of
/// `hubsign-vector:<rel>:<i>`, truncated to `size`.
pub fn det_bytes(rel: &str, size: usize) -> Vec<u8> {
    use sha2::Digest as _;
    let mut out = Vec::with_capacity(size + 32);
    let mut i = 0;
    while out.len() < size {
        out.extend_from_slice(&sha2::Sha256::digest(
            format!("hubsign-vector:{rel}:{i}").as_bytes(),
        ));
        i += 1;
    }
    out.truncate(size);
    out
}

pub fn write(path: &Path, bytes: &[u8]) {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).unwrap();
    }
    std::fs::write(path, bytes).unwrap();
}

/// The vectors' `tiny-model`, rebuilt byte for byte (see gen_model.py).
pub fn tiny_model(dir: &Path) -> PathBuf {
    let m = dir.join("tiny-model");
    let text: &[(&str, &[u8])] = &[
        (
            "config.json",
            b"{\"architectures\": [\"TinyNet\"], \"hidden_size\": 64, \"num_layers\": 2}\n",
        ),
        (
            "README.md",
            b"# tiny-model\n\nDeterministic test vector for model_signing.\n",
        ),
        ("empty.bin", b""),
        (".hidden_file", b"dotfiles are NOT ignored by default\n"),
        ("ignore-me.txt", b"excluded in the *_ignorepaths vectors\n"),
        (".git/HEAD", b"ref: refs/heads/main\n"),
        (".git/config", b"[core]\n\trepositoryformatversion = 0\n"),
        (
            ".gitattributes",
            b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n",
        ),
        (".gitignore", b"*.pyc\n"),
        (".github/workflows/ci.yml", b"name: ci\n"),
    ];
    for (rel, bytes) in text {
        write(&m.join(rel), bytes);
    }
    let sized: &[(&str, usize)] = &[
        ("model.safetensors", 1_048_576 + 123),
        ("tokenizer/vocab.txt", 4096),
        ("tokenizer/merges.txt", 2500),
        ("nested/deeper/weights.bin", 3 * 1024 + 7),
        ("order/a.b", 100),
        ("order/a-c", 101),
        ("order/a/b", 102),
        ("order/A", 103),
        ("order/\u{fc}.txt", 104),
        (".git/objects/ab/cdef", 50),
    ];
    for (rel, size) in sized {
        write(&m.join(rel), &det_bytes(rel, *size));
    }
    std::fs::create_dir_all(m.join("empty_dir")).unwrap();
    m
}

/// The vectors' single-file model.
pub fn single_file_model(dir: &Path) -> PathBuf {
    let p = dir.join("single-file-model.bin");
    write(&p, &det_bytes("single-file-model.bin", 300_000));
    p
}

/// The vectors' symlink model (a file link and a directory link).
pub fn symlink_model(dir: &Path) -> PathBuf {
    let m = dir.join("symlink-model");
    write(&m.join("real.bin"), &det_bytes("real.bin", 2048));
    write(&m.join("sub/data.bin"), &det_bytes("sub/data.bin", 1000));
    std::os::unix::fs::symlink("real.bin", m.join("link.bin")).unwrap();
    std::os::unix::fs::symlink("sub", m.join("dirlink")).unwrap();
    m
}

/// A model of `n` small files in nested folders.
pub fn many_files_model(dir: &Path, n: usize) -> PathBuf {
    let m = dir.join("many");
    for i in 0..n {
        let rel = format!("d{}/e{}/f{i}.bin", i % 10, (i / 10) % 10);
        write(&m.join(&rel), &det_bytes(&rel, 64 + i % 200));
    }
    m
}

/// Flips one bit of a file in place.
pub fn flip_byte(path: &Path, offset: usize) {
    let mut b = std::fs::read(path).unwrap();
    b[offset] ^= 0x01;
    std::fs::write(path, b).unwrap();
}

pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("hubsign-it-").tempdir().unwrap()
}

/// The SoftHSM2 PKCS#11 module (`HUBSIGN_SOFTHSM`, set by scripts/test when softhsm2 is
/// installed), or a loud skip (a failure in CI).
pub fn softhsm() -> Option<PathBuf> {
    external("HUBSIGN_SOFTHSM", "PKCS#11 signing tests against SoftHSM2")
}

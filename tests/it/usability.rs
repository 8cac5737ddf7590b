//! What a new user trips over first: output to a closed pipe, file modes, counts that agree,
//! error wording, making a key.

use crate::support::{hubsign, key, run, tempdir, tiny_model};
use std::ffi::OsStr;
use std::path::Path;

/// Runs hubsign with stdout a pipe whose reader is already gone, as `hubsign … | head -1`
/// leaves it once `head` has its line.
fn to_closed_pipe<S: AsRef<OsStr>>(args: &[S]) -> crate::support::Run {
    let (reader, writer) = rustix::pipe::pipe().unwrap();
    drop(reader);
    let mut c = hubsign();
    c.args(args).stdout(std::process::Stdio::from(writer));
    run(c)
}

/// Issue 18 item 11: `hubsign completions fish | head -1` panicked (exit 101, BrokenPipe).
#[test]
fn commands_printing_to_a_closed_pipe_do_not_panic() {
    let dir = tempdir();
    let m = tiny_model(dir.path());
    let sig = dir.path().join("m.sig");
    let cache = dir.path().join("empty-cache");
    std::fs::create_dir(&cache).unwrap();
    let m = m.to_str().unwrap();
    let sig = sig.to_str().unwrap();
    let private = key("p256.pem");
    let public = key("p256.pub.pem");
    let other = key("other-p256.pub.pem");
    let cases: Vec<(Vec<&str>, i32)> = vec![
        (vec!["completions", "fish"], 0),
        (vec!["completions", "bash"], 0),
        (vec!["--help"], 0),
        (vec!["digest", m], 0),
        (vec!["digest", "--json", m], 0),
        (
            vec![
                "sign",
                m,
                "--signature",
                sig,
                "--private-key",
                private.to_str().unwrap(),
            ],
            0,
        ),
        (
            vec![
                "verify",
                m,
                "--signature",
                sig,
                "--public-key",
                public.to_str().unwrap(),
            ],
            0,
        ),
        // A failed verification keeps its exit code; the JSON report is just not read.
        (
            vec![
                "verify",
                "--json",
                m,
                "--signature",
                sig,
                "--public-key",
                other.to_str().unwrap(),
            ],
            1,
        ),
        (
            vec![
                "audit",
                "--cache-dir",
                cache.to_str().unwrap(),
                "--kagglehub-cache",
                cache.to_str().unwrap(),
            ],
            0,
        ),
    ];
    for (args, code) in cases {
        let r = to_closed_pipe(&args);
        assert!(
            !r.stderr().contains("panicked"),
            "{args:?} panicked on a closed stdout:\n{}",
            r.stderr()
        );
        assert!(
            r.code() == code || r.code() == 141,
            "{args:?} exited {} on a closed stdout (expected {code}):\n{}",
            r.code(),
            r.stderr()
        );
    }
}

/// Output that is lost for another reason than a closed pipe is an error, not silence.
#[test]
fn a_failed_write_to_stdout_is_an_error() {
    let dir = tempdir();
    let m = tiny_model(dir.path());
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let mut c = hubsign();
    c.args([Path::new("digest"), &m]).stdout(full);
    let r = run(c);
    r.expect_code(2).stderr_has("cannot write to standard output");
    assert!(!r.stderr().contains("panicked"), "{}", r.stderr());
}

/// `hubsign ARGS…` under `umask MASK` (through sh: a test may not use `pre_exec`).
fn under_umask<S: AsRef<OsStr>>(mask: &str, args: &[S]) -> std::process::Command {
    let mut c = std::process::Command::new("sh");
    c.arg("-c")
        .arg(format!("umask {mask} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_hubsign"))
        .args(args)
        .env_remove("HUBSIGN_POLICY")
        .env_remove("HUBSIGN_TEST_PASSWORD");
    c
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// Issue 18 item 9: `model.sig` was written 0600 whatever the umask; a signature is public, and
/// model_signing writes it 0666 less the umask. Signing again (the rename over the old file)
/// gives the same mode.
#[test]
fn signature_file_mode_follows_the_umask() {
    let dir = tempdir();
    let m = tiny_model(dir.path());
    let private = key("p256.pem");
    let sig = m.join("model.sig");
    for (mask, expected) in [("022", 0o644), ("077", 0o600), ("002", 0o664), ("022", 0o644)] {
        run(under_umask(
            mask,
            &[
                OsStr::new("sign"),
                m.as_os_str(),
                OsStr::new("--private-key"),
                private.as_os_str(),
            ],
        ))
        .ok();
        assert_eq!(
            mode(&sig),
            expected,
            "model.sig signed under umask {mask} has mode {:o}",
            mode(&sig)
        );
    }
}

/// The other files hubsign writes by temp + rename for others to read follow the umask too:
/// the signature `push` writes beside the model, and the lock file `pull --lock` writes.
#[test]
fn pushed_signature_and_lock_file_modes_follow_the_umask() {
    let hub = crate::support::hub::LocalHub::start();
    hub.set_write_token("hf_write");
    let dir = tempdir();
    let m = dir.path().join("model");
    crate::support::write(&m.join("config.json"), b"{}\n");
    crate::support::write(&m.join("weights.bin"), &crate::support::det_bytes("w", 5000));
    let private = key("p256.pem");
    let public = key("p256.pub.pem");
    let lock = dir.path().join("hubsign.lock");
    let env = |mut c: std::process::Command| {
        c.env("HF_ENDPOINT", hub.endpoint())
            .env("HF_HOME", dir.path().join("hf"))
            .env("HF_TOKEN", "hf_write")
            .env_remove("HF_HUB_CACHE")
            .env_remove("HF_HUB_OFFLINE");
        run(c)
    };
    env(under_umask(
        "027",
        &[
            OsStr::new("push"),
            m.as_os_str(),
            OsStr::new("org/modes"),
            OsStr::new("--private-key"),
            private.as_os_str(),
        ],
    ))
    .ok();
    assert_eq!(
        mode(&m.join("model.sig")),
        0o640,
        "push wrote model.sig with mode {:o}",
        mode(&m.join("model.sig"))
    );
    let lock_flag = format!("--lock={}", lock.display());
    env(under_umask(
        "027",
        &[
            OsStr::new("pull"),
            OsStr::new("org/modes"),
            OsStr::new(&lock_flag),
            OsStr::new("--public-key"),
            public.as_os_str(),
        ],
    ))
    .ok();
    assert_eq!(
        mode(&lock),
        0o640,
        "pull --lock wrote the lock with mode {:o}",
        mode(&lock)
    );
}

/// Issue 18 item 10: the same 3-file model was "4 files" in `pull`, `push`, the lock and online
/// `sync` (the signature counted) and "3 files" in `check`, `verify`, `verify-cache` and
/// offline `sync`. Every count is the files the signature covers. A lock written with the old
/// count (one more) still reads and syncs.
#[test]
fn every_command_counts_the_files_the_signature_covers() {
    let hub = crate::support::hub::LocalHub::start();
    hub.set_write_token("hf_write");
    let dir = tempdir();
    let m = dir.path().join("model");
    crate::support::write(&m.join("config.json"), b"{}\n");
    crate::support::write(&m.join("tokenizer.json"), b"{\"v\": 1}\n");
    crate::support::write(&m.join("weights.bin"), &crate::support::det_bytes("w", 5000));
    let private = key("p256.pem");
    let public = key("p256.pub.pem");
    let (private, public) = (private.to_str().unwrap(), public.to_str().unwrap());
    let lock = dir.path().join("hubsign.lock");
    let lock_flag = format!("--lock={}", lock.display());
    let hf = |args: &[&str], offline: bool| {
        let mut c = hubsign();
        c.args(args)
            .env("HF_ENDPOINT", hub.endpoint())
            .env("HF_HOME", dir.path().join("hf"))
            .env("HF_TOKEN", "hf_write")
            .env_remove("HF_HUB_CACHE")
            .env_remove("HF_HUB_OFFLINE");
        if offline {
            c.env("HF_HUB_OFFLINE", "1");
        }
        let r = run(c);
        r.ok();
        r
    };
    let json = |r: &crate::support::Run| -> serde_json::Value {
        serde_json::from_str(&r.stdout()).unwrap_or_else(|e| panic!("{e}: {}", r.stdout()))
    };
    let model = m.to_str().unwrap();

    let pushed = hf(
        &["push", model, "org/three", "--private-key", private, "--json"],
        false,
    );
    assert_eq!(json(&pushed)["files"], 3, "push --json");
    hf(&["verify", model, "--public-key", public], false).stdout_has("3 files match");
    assert_eq!(
        json(&hf(
            &["check", "org/three", "--public-key", public, "--json"],
            false
        ))["files"],
        3,
        "check --json"
    );
    hf(&["check", "org/three", "--public-key", public], false).stdout_has("3 files (");
    let pulled = hf(&["pull", "org/three", "--public-key", public, &lock_flag], false);
    pulled.stderr_has(": 3 files signed by");
    assert_eq!(
        json(&hf(
            &["pull", "org/three", "--public-key", public, "--json"],
            false
        ))["files"],
        3,
        "pull --json"
    );
    let text = std::fs::read_to_string(&lock).unwrap();
    assert!(
        text.contains("\nfiles = 3\n"),
        "the lock counts the signed files:\n{text}"
    );
    hf(&["verify-cache", "org/three", "--public-key", public], false).stderr_has(": 3 files, signed by");
    let sync = [
        "sync",
        "--lock",
        lock.to_str().unwrap(),
        "--public-key",
        public,
        "--json",
    ];
    for offline in [false, true] {
        let v = json(&hf(&sync, offline));
        assert_eq!(v["entries"][0]["files"], 3, "sync (offline: {offline}): {v}");
    }
    // A lock an earlier hubsign wrote (the signature counted) reads and syncs unchanged.
    std::fs::write(&lock, text.replace("\nfiles = 3\n", "\nfiles = 4\n")).unwrap();
    for offline in [false, true] {
        let v = json(&hf(&sync, offline));
        assert_eq!(
            v["entries"][0]["status"], "synced",
            "old lock, offline: {offline}: {v}"
        );
    }
}

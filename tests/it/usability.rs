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

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

/// Issue 18 item 16: a way to make a signing key. `hubsign keygen OUT` writes a P-256 private
/// key (PKCS#8, 0600) and `OUT.pub`; it signs with `hubsign sign` and verifies with `hubsign
/// verify` and the real model_signing. Encrypted on request, readable as `sign` reads
/// encrypted keys (and by Python's `cryptography`). Never overwrites, never writes through a
/// symlink.
#[test]
fn keygen_makes_a_key_pair_that_signs_and_verifies_everywhere() {
    let dir = tempdir();
    let d = dir.path();
    let m = d.join("model");
    crate::support::write(&m.join("weights.bin"), &crate::support::det_bytes("w", 3000));
    crate::support::write(&m.join("config.json"), b"{}\n");
    let s = |p: &Path| p.to_str().unwrap().to_owned();

    // Plain key, under umask 022: private 0600, public 0644; the public key's path on stdout.
    let plain = d.join("plain.pem");
    let r = run(under_umask("022", &["keygen", &s(&plain)]));
    r.ok().stdout_has("plain.pem.pub");
    assert_eq!(mode(&plain), 0o600, "private key mode {:o}", mode(&plain));
    assert_eq!(mode(&d.join("plain.pem.pub")), 0o644);
    let text = std::fs::read_to_string(&plain).unwrap();
    assert!(text.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{text}");
    let public = std::fs::read_to_string(d.join("plain.pem.pub")).unwrap();
    assert!(public.starts_with("-----BEGIN PUBLIC KEY-----\n"), "{public}");

    // Never replaces a file: the key and its .pub stay as they were.
    let r = crate::support::hs(["keygen", &s(&plain)]);
    r.expect_code(2).stderr_has("already exists");
    assert_eq!(std::fs::read_to_string(&plain).unwrap(), text);
    std::fs::write(d.join("only-pub.pem.pub"), b"mine\n").unwrap();
    crate::support::hs(["keygen", &s(&d.join("only-pub.pem"))])
        .expect_code(2)
        .stderr_has("already exists");
    assert!(
        !d.join("only-pub.pem").exists(),
        "nothing written when OUT.pub exists"
    );
    assert_eq!(std::fs::read(d.join("only-pub.pem.pub")).unwrap(), b"mine\n");
    // Never through a symlink (a dangling one included).
    std::os::unix::fs::symlink(d.join("target.pem"), d.join("link.pem")).unwrap();
    crate::support::hs(["keygen", &s(&d.join("link.pem"))]).expect_code(2);
    assert!(!d.join("target.pem").exists(), "written through a symlink");

    // The plain key signs; hubsign verifies.
    crate::support::hs(["sign", &s(&m), "--private-key", &s(&plain)]).ok();
    crate::support::hs(["verify", &s(&m), "--public-key", &s(&d.join("plain.pem.pub"))])
        .ok()
        .stdout_has("Verification succeeded");

    // Encrypted from a file (a trailing newline is not part of the password) and from the
    // environment; `sign` reads it back the same way, and refuses it without the password.
    let pw = d.join("password");
    std::fs::write(&pw, b"correct horse\n").unwrap();
    let enc = d.join("enc.pem");
    crate::support::hs([
        "keygen",
        &s(&enc),
        "--password-file",
        &s(&pw),
        "--kdf-rounds",
        "1000",
    ])
    .ok();
    assert!(
        std::fs::read_to_string(&enc)
            .unwrap()
            .starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n")
    );
    assert_eq!(mode(&enc), 0o600);
    let mut c = hubsign();
    c.args([
        "keygen",
        &s(&d.join("env.pem")),
        "--password-env",
        "KEYGEN_PW",
        "--kdf-rounds",
        "1000",
    ])
    .env("KEYGEN_PW", "from the environment");
    run(c).ok();
    crate::support::hs(["sign", &s(&m), "--private-key", &s(&enc)])
        .expect_code(2)
        .stderr_has("encrypted");
    crate::support::hs([
        "sign",
        &s(&m),
        "--private-key",
        &s(&enc),
        "--password-file",
        &s(&pw),
    ])
    .ok();
    crate::support::hs(["verify", &s(&m), "--public-key", &s(&d.join("enc.pem.pub"))]).ok();

    // The real model_signing verifies what the generated key signed; Python's cryptography
    // decrypts the encrypted key with the same password.
    let Some(ms) = crate::support::model_signing() else {
        return;
    };
    let mut v = crate::support::model_signing_cmd(&ms);
    v.args([
        "verify",
        "key",
        &s(&m),
        "--signature",
        &s(&m.join("model.sig")),
        "--public_key",
    ])
    .arg(d.join("enc.pem.pub"));
    run(v).ok();
    let Some(py) = crate::support::hub::python() else {
        return;
    };
    let mut c = std::process::Command::new(py);
    c.arg("-c")
        .arg(
            "import sys\nfrom cryptography.hazmat.primitives.serialization import load_pem_private_key\n\
             k = load_pem_private_key(open(sys.argv[1], 'rb').read(), b'correct horse')\nprint(k.curve.name)\n",
        )
        .arg(&enc);
    run(c).ok().stdout_has("secp256r1");
}

/// Issue 18 item 16: the basics a new user looks for. The LICENSE Cargo.toml names is there
/// (the standard Apache License 2.0 text); the demo's first minutes (a release build) are not
/// silent; the README claims nothing stale.
#[test]
fn license_demo_progress_and_readme_are_current() {
    let repo = Path::new(crate::support::REPO);
    let cargo = std::fs::read_to_string(repo.join("Cargo.toml")).unwrap();
    assert!(cargo.contains("license = \"Apache-2.0\""));
    let license = std::fs::read_to_string(repo.join("LICENSE")).expect("LICENSE is missing");
    for needle in [
        "Apache License\n                           Version 2.0, January 2004",
        "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION",
        "9. Accepting Warranty or Additional Liability.",
        "END OF TERMS AND CONDITIONS",
    ] {
        assert!(license.contains(needle), "LICENSE lacks {needle:?}");
    }
    use sha2::Digest as _;
    assert_eq!(
        hex::encode(sha2::Sha256::digest(license.as_bytes())),
        "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30",
        "LICENSE is not the standard Apache-2.0 text"
    );

    let demo = std::fs::read_to_string(repo.join("scripts/demo")).unwrap();
    let build = demo
        .lines()
        .position(|l| l.starts_with("cargo build"))
        .expect("the demo builds hubsign");
    let line = demo.lines().nth(build).unwrap();
    assert!(
        !line.contains("--quiet") && !line.contains(" -q") && !line.contains(">/dev/null"),
        "the demo's build hides cargo's progress: {line}"
    );
    assert!(
        demo.lines()
            .take(build)
            .any(|l| l.starts_with("echo") && l.contains("first run takes a few minutes")),
        "the demo does not say it is building before the build"
    );

    let readme = std::fs::read_to_string(repo.join("README.md")).unwrap();
    for stale in ["is planned", "like model_signing's digest"] {
        assert!(!readme.contains(stale), "README still says {stale:?}");
    }
    assert!(
        readme.contains("hubsign keygen"),
        "README does not document keygen"
    );
}

/// Issue 18 item 12: error wording, one row per finding. Each row runs a command and names
/// what its stderr must and must not say.
#[test]
fn error_wording_says_what_went_wrong_and_what_to_do() {
    let dir = tempdir();
    let d = dir.path();
    let s = |p: &Path| p.to_str().unwrap().to_owned();
    let private = s(&key("p256.pem"));
    let public = s(&key("p256.pub.pem"));
    let encrypted = s(&key("p256.encrypted.pem"));
    // A signed model, then edited; an unsigned one; a single-file model.
    let edited = d.join("edited");
    crate::support::write(&edited.join("weights.bin"), b"weights\n");
    crate::support::hs(["sign", &s(&edited), "--private-key", &private]).ok();
    crate::support::write(&edited.join("weights.bin"), b"edited\n");
    let unsigned = d.join("unsigned");
    crate::support::write(&unsigned.join("weights.bin"), b"weights\n");
    let single = d.join("one");
    crate::support::write(&single.join("only.bin"), b"one file\n");
    let bad_toml = d.join("policy.toml");
    std::fs::write(&bad_toml, "[[trust]]\nrepos = [\"a/*\"\npublic-key = \"x\"\n").unwrap();
    let wrong_pw = d.join("wrong-password");
    std::fs::write(&wrong_pw, "not it\n").unwrap();
    let nowhere = "http://127.0.0.1:9";
    let drop_it = format!("hint: drop it: hubsign verify {} --public_key", s(&edited));
    let method_hint = ["method word", drop_it.as_str()];

    struct Row<'a> {
        what: &'a str,
        args: Vec<String>,
        code: i32,
        has: &'a [&'a str],
        lacks: &'a [&'a str],
    }
    let row = |what, args: &[&str], code, has, lacks| Row {
        what,
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        code,
        has,
        lacks,
    };
    let rows = [
        row(
            "a TOML error shows its lines, not a literal \\n",
            &["pull", "org/x", "--policy", &s(&bad_toml)],
            2,
            &["TOML parse error at line 3, column 1\n", "\n    3 | public-key"],
            &["\\n"],
        ),
        row(
            "push of an edited signed model points at --resign",
            &["push", &s(&edited), "org/x", "--public-key", &public],
            1,
            &["does not match its signature", "--resign"],
            &[],
        ),
        row(
            "an unsigned model and no key: no signing key",
            &["push", &s(&unsigned), "org/x"],
            2,
            &["no signing key", "--private-key", "hubsign keygen"],
            &["say whom to trust"],
        ),
        row(
            "verify of a model that is not there",
            &["verify", &s(&d.join("nonexist")), "--public-key", &public],
            2,
            &["no such model"],
            &["cannot read signature file"],
        ),
        row(
            "model_signing's method word",
            &["verify", "key", &s(&edited), "--public_key", &public],
            2,
            &method_hint,
            &[],
        ),
        row(
            "a typo gets the hyphenated flag",
            &["sign", &s(&unsigned), "--private_kye", &private],
            2,
            &["'--private-key'"],
            &["'--private_key'"],
        ),
        row(
            "a wrong password is not a key-type problem",
            &[
                "sign",
                &s(&unsigned),
                "--private-key",
                &encrypted,
                "--password-file",
                &s(&wrong_pw),
            ],
            2,
            &["wrong password", "hint: check the password"],
            &["keys must be EC"],
        ),
        row(
            "--timeout 0",
            &["pull", "org/x", "--public-key", &public, "--timeout", "0"],
            2,
            &["must be at least 1"],
            &["18446744073709551615"],
        ),
    ];
    // Every row is checked and every failure reported together.
    let mut failures: Vec<String> = Vec::new();
    let mut check = |ok: bool, what: String| {
        if !ok {
            failures.push(what);
        }
    };
    for r in &rows {
        let mut c = hubsign();
        c.args(&r.args)
            .env("HF_ENDPOINT", nowhere)
            .env("HF_HOME", d.join("hf"))
            .env("XDG_CONFIG_HOME", d.join("no-config"))
            .env_remove("HF_TOKEN");
        let out = run(c);
        let err = out.stderr();
        check(
            out.code() == r.code,
            format!("{}: exit {} (expected {})\n{err}", r.what, out.code(), r.code),
        );
        for h in r.has {
            check(err.contains(h), format!("{}: stderr lacks {h:?}:\n{err}", r.what));
        }
        for l in r.lacks {
            check(!err.contains(l), format!("{}: stderr says {l:?}:\n{err}", r.what));
        }
        // Every error starts the same way (as clap's do).
        check(
            err.lines().any(|l| l.starts_with("error: ")) && !err.contains("Error:"),
            format!("{}: error lines start with `error: `:\n{err}", r.what),
        );
    }

    // "1 file", "1 resource": no "1 files".
    let signed = crate::support::hs(["sign", &s(&single), "--private-key", &private]);
    check(
        signed.stdout().contains("(1 resource, sha256:"),
        format!("sign of one file: {}", signed.stdout()),
    );
    let verified = crate::support::hs(["verify", &s(&single), "--public-key", &public]);
    check(
        verified
            .stdout()
            .contains("Verification succeeded: 1 file matches,"),
        format!("verify of one file: {}", verified.stdout()),
    );

    // sign --json and verify --json write the subject digest the same way (and as digest does).
    let json = |r: &crate::support::Run| -> serde_json::Value { serde_json::from_str(&r.stdout()).unwrap() };
    let signed = json(crate::support::hs(["sign", "--json", &s(&unsigned), "--private-key", &private]).ok());
    let verified =
        json(crate::support::hs(["verify", "--json", &s(&unsigned), "--public-key", &public]).ok());
    let digest = crate::support::hs(["digest", &s(&unsigned)])
        .ok()
        .stdout()
        .trim()
        .to_owned();
    check(
        signed["subject_digest"] == digest.as_str(),
        format!("sign --json: {signed} (digest {digest})"),
    );
    check(
        verified["subject_digest"] == digest.as_str(),
        format!("verify --json: {verified} (digest {digest})"),
    );
    check(
        verified["signature_digest"]
            .as_str()
            .is_some_and(|d| d.starts_with("sha256:")),
        format!("verify --json signature_digest: {verified}"),
    );

    // A failed pull --json lists the files as a failed verify --json does.
    let hub = crate::support::hub::LocalHub::start();
    hub.add_commit("org/edited", &edited);
    let mut c = hubsign();
    c.args(["pull", "--json", "org/edited", "--public-key", &public])
        .env("HF_ENDPOINT", hub.endpoint())
        .env("HF_HOME", d.join("hf"))
        .env_remove("HF_TOKEN")
        .env_remove("HF_HUB_CACHE")
        .env_remove("HF_HUB_OFFLINE");
    let r = run(c);
    r.expect_code(1);
    let failed = json(&r);
    check(
        failed["verified"] == false,
        format!("failed pull --json: {failed}"),
    );
    check(
        failed["modified"] == serde_json::json!(["weights.bin"])
            && failed["missing"] == serde_json::json!([])
            && failed["unexpected"] == serde_json::json!([]),
        format!("failed pull --json lacks the lists: {failed}"),
    );
    assert!(
        failures.is_empty(),
        "{} wording failures:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

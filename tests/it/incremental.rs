//! `sign --incremental`: the existing signature verified first, only changed files hashed (the
//! JSON outcome's counts prove which), and a statement byte-identical to a full re-sign's.

use crate::support::{Run, hubsign, key, model_signing, model_signing_cmd, run, tempdir, tiny_model, write};
use std::path::{Path, PathBuf};

/// A model whose files are older than the hash record's racy window (one second), so the
/// first signing records every file.
struct Setup {
    _dir: tempfile::TempDir,
    model: PathBuf,
    records: PathBuf,
}

fn setup() -> Setup {
    let dir = tempdir();
    let model = tiny_model(dir.path());
    let records = dir.path().join("records");
    std::thread::sleep(std::time::Duration::from_millis(2100));
    Setup {
        _dir: dir,
        model,
        records,
    }
}

/// `hubsign --json sign MODEL --private-key KEY ARGS…` with the test's record directory.
fn sign(s: &Setup, private: &str, extra: &[&str]) -> Run {
    let mut c = hubsign();
    c.env("HUBSIGN_RECORD_DIR", &s.records)
        .args(["--json", "sign"])
        .arg(&s.model)
        .arg("--private-key")
        .arg(key(private))
        .args(extra);
    run(c)
}

fn json(r: &Run) -> serde_json::Value {
    serde_json::from_str(r.stdout().trim()).unwrap_or_else(|e| panic!("{e}: {}", r.stdout()))
}

/// `(reused, hashed, full_rehash)` of an incremental signing.
fn counts(r: &Run) -> (u64, u64, Option<String>) {
    let v = json(r);
    let inc = &v["incremental"];
    (
        inc["reused"].as_u64().unwrap(),
        inc["hashed"].as_u64().unwrap(),
        inc["full_rehash"].as_str().map(str::to_owned),
    )
}

fn resources(r: &Run) -> u64 {
    json(r)["resources"].as_u64().unwrap()
}

/// The DSSE payload (the signed statement) of a signature file.
fn payload(sig: &Path) -> Vec<u8> {
    use base64::Engine as _;
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(sig).unwrap()).unwrap();
    base64::engine::general_purpose::STANDARD
        .decode(v["dsseEnvelope"]["payload"].as_str().unwrap())
        .unwrap()
}

/// The statement of an incremental signing of the model as it is now (`extra` and `only_inc`
/// given), and of a full one (`extra` given).
fn incremental_then_full(s: &Setup, extra: &[&str], only_inc: &[&str]) -> (Run, Vec<u8>, Vec<u8>) {
    let mut args = vec!["--incremental"];
    args.extend_from_slice(extra);
    args.extend_from_slice(only_inc);
    let inc = sign(s, "p256.pem", &args);
    inc.ok();
    let incremental = payload(&s.model.join("model.sig"));
    sign(s, "p256.pem", extra).ok();
    let full = payload(&s.model.join("model.sig"));
    (inc, incremental, full)
}

#[test]
fn one_changed_file_is_the_only_one_hashed_and_the_statement_equals_a_full_resign() {
    for hash in ["sha256", "blake2b"] {
        let s = setup();
        let first = sign(&s, "p256.pem", &["--hash", hash]);
        first.ok();
        let n = resources(&first);
        assert!(n > 10, "{n}");
        let before = payload(&s.model.join("model.sig"));
        write(
            &s.model.join("README.md"),
            b"# tiny-model\n\nA model card edit.\n",
        );
        let (inc, incremental, full) = incremental_then_full(&s, &["--hash", hash], &[]);
        assert_eq!(counts(&inc), (n - 1, 1, None), "{hash}: {}", inc.stdout());
        assert_eq!(
            String::from_utf8(incremental.clone()).unwrap(),
            String::from_utf8(full).unwrap(),
            "{hash}"
        );
        assert_ne!(incremental, before, "{hash}: the edit is signed");
        // The signature verifies against the edited model.
        let mut c = hubsign();
        c.arg("verify")
            .arg(&s.model)
            .arg("--public-key")
            .arg(key("p256.pub.pem"));
        run(c).ok();
    }
}

#[test]
fn human_output_says_what_was_reused_and_hashed() {
    let s = setup();
    sign(&s, "p256.pem", &[]).ok();
    write(&s.model.join("README.md"), b"# edited\n");
    let mut c = hubsign();
    c.env("HUBSIGN_RECORD_DIR", &s.records)
        .arg("sign")
        .arg(&s.model)
        .arg("--private-key")
        .arg(key("p256.pem"))
        .arg("--incremental");
    let r = run(c);
    r.ok()
        .stdout_has("re-used 13 digests, hashed 1 file (9 bytes)")
        .stdout_has("Signing succeeded");
}

#[test]
fn new_and_deleted_files_give_the_full_resign_statement() {
    let s = setup();
    sign(&s, "p256.pem", &[]).ok();
    std::fs::remove_file(s.model.join("order/a.b")).unwrap();
    write(&s.model.join("added/new.bin"), b"a new file");
    let (inc, incremental, full) = incremental_then_full(&s, &[], &[]);
    let n = resources(&inc);
    assert_eq!(counts(&inc), (n - 1, 1, None), "{}", inc.stdout());
    assert_eq!(incremental, full);
    assert!(!String::from_utf8(full).unwrap().contains("order/a.b"));
}

/// A rewrite that keeps the size and restores mtime still changes ctime, which cannot be set
/// back: the file is hashed again.
#[test]
fn content_changed_with_mtime_restored_is_rehashed() {
    let s = setup();
    sign(&s, "p256.pem", &[]).ok();
    let path = s.model.join("config.json");
    let meta = std::fs::metadata(&path).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[2] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let t = |secs: i64, nanos: i64| rustix::fs::Timespec {
        tv_sec: secs,
        tv_nsec: nanos,
    };
    use std::os::unix::fs::MetadataExt as _;
    rustix::fs::utimensat(
        rustix::fs::CWD,
        &path,
        &rustix::fs::Timestamps {
            last_access: t(meta.atime(), meta.atime_nsec()),
            last_modification: t(meta.mtime(), meta.mtime_nsec()),
        },
        rustix::fs::AtFlags::empty(),
    )
    .unwrap();
    let after = std::fs::metadata(&path).unwrap();
    assert_eq!(
        (after.len(), after.mtime(), after.mtime_nsec()),
        (meta.len(), meta.mtime(), meta.mtime_nsec())
    );
    let (inc, incremental, full) = incremental_then_full(&s, &[], &[]);
    let n = resources(&inc);
    assert_eq!(counts(&inc), (n - 1, 1, None), "{}", inc.stdout());
    assert_eq!(incremental, full);
}

#[test]
fn changed_paths_are_hashed_whatever_the_record_says() {
    let s = setup();
    sign(&s, "p256.pem", &[]).ok();
    let (inc, incremental, full) =
        incremental_then_full(&s, &[], &["--changed", "tokenizer", "--changed", "README.md"]);
    let n = resources(&inc);
    assert_eq!(counts(&inc), (n - 3, 3, None), "{}", inc.stdout());
    assert_eq!(incremental, full);
    // Nothing changed and nothing named: nothing hashed.
    let r = sign(&s, "p256.pem", &["--incremental"]);
    r.ok();
    assert_eq!(counts(&r), (n, 0, None), "{}", r.stdout());
    // A path outside the model is refused before anything is written.
    let sig = std::fs::read(s.model.join("model.sig")).unwrap();
    sign(&s, "p256.pem", &["--incremental", "--changed", "/etc/passwd"])
        .expect_code(2)
        .stdout_has("--changed /etc/passwd: not inside the model");
    assert_eq!(std::fs::read(s.model.join("model.sig")).unwrap(), sig);
}

#[test]
fn rehash_all_and_a_missing_record_hash_every_file() {
    let s = setup();
    let first = sign(&s, "p256.pem", &[]);
    first.ok();
    let n = resources(&first);
    let r = sign(&s, "p256.pem", &["--incremental", "--rehash-all"]);
    r.ok();
    assert_eq!(
        counts(&r),
        (0, n, Some("rehash-all".to_owned())),
        "{}",
        r.stdout()
    );
    // The record was written again after that signing: the next run reuses everything.
    let r = sign(&s, "p256.pem", &["--incremental"]);
    assert_eq!(counts(&r), (n, 0, None), "{}", r.stdout());
    std::fs::remove_dir_all(&s.records).unwrap();
    let r = sign(&s, "p256.pem", &["--incremental"]);
    r.ok();
    assert_eq!(counts(&r), (0, n, Some("no-record".to_owned())), "{}", r.stdout());
}

#[test]
fn a_corrupt_record_is_ignored_not_trusted() {
    let s = setup();
    let first = sign(&s, "p256.pem", &[]);
    first.ok();
    let n = resources(&first);
    for entry in std::fs::read_dir(&s.records).unwrap() {
        std::fs::write(entry.unwrap().path(), b"{\"version\": 1, \"files\": 3").unwrap();
    }
    let r = sign(&s, "p256.pem", &["--incremental"]);
    r.ok();
    assert_eq!(counts(&r), (0, n, Some("no-record".to_owned())), "{}", r.stdout());
}

#[test]
fn a_signature_by_another_key_is_refused_and_nothing_is_written() {
    let s = setup();
    sign(&s, "other-p256.pem", &[]).ok();
    let sig = std::fs::read(s.model.join("model.sig")).unwrap();
    let records = crate::support::tree_state(&s.records);
    write(&s.model.join("README.md"), b"# edited\n");
    sign(&s, "p256.pem", &["--incremental"])
        .expect_code(1)
        .stdout_has("key mismatch");
    assert_eq!(std::fs::read(s.model.join("model.sig")).unwrap(), sig);
    assert_eq!(crate::support::tree_state(&s.records), records);
    // Trusting the other key explicitly, it re-signs with ours.
    let r = sign(
        &s,
        "p256.pem",
        &[
            "--incremental",
            "--public-key",
            key("other-p256.pub.pem").to_str().unwrap(),
        ],
    );
    r.ok();
    let n = resources(&r);
    assert_eq!(counts(&r), (n - 1, 1, None), "{}", r.stdout());
    // No signature at all: an error, not a full signing.
    std::fs::remove_file(s.model.join("model.sig")).unwrap();
    sign(&s, "p256.pem", &["--incremental"]).expect_code(2);
    assert!(!s.model.join("model.sig").exists());
}

#[test]
fn shard_signatures_and_a_changed_serialization_rehash_everything() {
    let s = setup();
    let first = sign(&s, "p256.pem", &["--shard-size", "1000"]);
    first.ok();
    let n = resources(&first);
    write(&s.model.join("README.md"), b"# edited\n");
    let (inc, incremental, full) = incremental_then_full(&s, &["--shard-size", "1000"], &[]);
    let (reused, hashed, why) = counts(&inc);
    assert_eq!((reused, why.as_deref()), (0, Some("shards")), "{}", inc.stdout());
    assert!(hashed > 10 && resources(&inc) > n / 2, "{}", inc.stdout());
    assert_eq!(incremental, full);
    // Now a files signature; then ask for blake2b: another serialization.
    sign(&s, "p256.pem", &[]).ok();
    let (inc, incremental, full) = incremental_then_full(&s, &["--hash", "blake2b"], &[]);
    assert_eq!(
        counts(&inc).2.as_deref(),
        Some("serialization-changed"),
        "{}",
        inc.stdout()
    );
    assert_eq!(counts(&inc).0, 0);
    assert_eq!(incremental, full);
}

#[test]
fn model_signing_accepts_an_incremental_signature() {
    let Some(exe) = model_signing() else {
        return;
    };
    let s = setup();
    sign(&s, "p256.pem", &[]).ok();
    write(&s.model.join("README.md"), b"# edited for model_signing\n");
    let r = sign(&s, "p256.pem", &["--incremental"]);
    r.ok();
    assert_eq!(counts(&r).1, 1, "{}", r.stdout());
    let mut c = model_signing_cmd(&exe);
    c.args(["verify", "key"])
        .arg(&s.model)
        .arg("--signature")
        .arg(s.model.join("model.sig"))
        .arg("--public_key")
        .arg(key("p256.pub.pem"));
    run(c).ok().stdout_has("Verification succeeded");
}

/// Claims made before a change are about the old bytes: re-signing reports them (by line) and
/// leaves the claims file as it was; a claim made after the re-signing is not reported.
#[test]
fn claims_about_the_bytes_before_a_resign_are_reported_stale_and_kept() {
    let s = setup();
    sign(&s, "p256.pem", &[]).ok();
    let predicate = s.model.parent().unwrap().join("predicate.json");
    write(&predicate, br#"{"note": "before"}"#);
    let attest = |s: &Setup| {
        let mut c = hubsign();
        c.arg("attest")
            .arg(&s.model)
            .arg("--private-key")
            .arg(key("p256.pem"))
            .args(["--predicate-type", "https://example.com/note/v1", "--predicate"])
            .arg(&predicate);
        run(c).ok();
    };
    attest(&s);
    let claims = s.model.join("claims.jsonl");
    let before = std::fs::read(&claims).unwrap();
    write(&s.model.join("README.md"), b"# tiny-model\n\nedited\n");
    let inc = sign(&s, "p256.pem", &["--incremental"]);
    inc.ok();
    assert_eq!(
        json(&inc)["stale_claims"],
        serde_json::json!([1]),
        "{}",
        inc.stdout()
    );
    assert_eq!(
        std::fs::read(&claims).unwrap(),
        before,
        "the claims file is left as it was"
    );
    let mut c = hubsign();
    c.arg("sign")
        .arg(&s.model)
        .arg("--private-key")
        .arg(key("p256.pem"));
    let human = run(c);
    human.ok();
    assert!(human.stderr().contains("line 1"), "{}", human.stderr());
    attest(&s);
    let again = sign(&s, "p256.pem", &[]);
    again.ok();
    assert_eq!(
        json(&again)["stale_claims"],
        serde_json::json!([1]),
        "the new line 2 is current"
    );
}

//! hubsign signs, hubsign verifies: every method, key form and serialization, and every way a
//! model or signature can be wrong.

use crate::support::{
    flip_byte, hs, key, many_files_model, single_file_model, symlink_model, tempdir, tiny_model, write,
};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

fn args(parts: &[&dyn AsRef<std::ffi::OsStr>]) -> Vec<OsString> {
    parts.iter().map(|p| p.as_ref().to_os_string()).collect()
}

fn sign_key(model: &Path, sig: &Path, private: &str) {
    hs(args(&[
        &"sign",
        &model,
        &"--private-key",
        &key(private),
        &"--signature",
        &sig,
    ]))
    .ok()
    .stdout_has("Signing succeeded");
}

fn verify_key(model: &Path, sig: &Path, public: &str) -> crate::support::Run {
    hs(args(&[
        &"verify",
        &model,
        &"--public-key",
        &key(public),
        &"--signature",
        &sig,
    ]))
}

#[test]
fn key_method_on_every_curve_and_key_form() {
    let dir = tempdir();
    let m = tiny_model(dir.path());
    for (private, public) in [
        ("p256.pem", "p256.pub.pem"),
        ("p256.sec1.pem", "p256.pub.pem"),
        ("p384.pem", "p384.pub.pem"),
        ("p521.pem", "p521.pub.pem"),
    ] {
        let sig = dir.path().join(format!("{private}.sig"));
        sign_key(&m, &sig, private);
        verify_key(&m, &sig, public)
            .ok()
            .stdout_has("Verification succeeded");
        // Another key of the same curve is a definite no.
        verify_key(&m, &sig, "other-p256.pub.pem")
            .expect_code(1)
            .stderr_has("key mismatch");
    }
}

#[test]
fn default_signature_lives_in_the_model_and_is_not_signed() {
    let dir = tempdir();
    let m = tiny_model(dir.path());
    hs(args(&[&"sign", &m, &"--private-key", &key("p256.pem")])).ok();
    assert!(m.join("model.sig").is_file());
    hs(args(&[&"verify", &m, &"--public-key", &key("p256.pub.pem")])).ok();
    // Re-signing over the existing signature gives the same digest (model.sig stays excluded).
    let d1 = hs(args(&[&"digest", &m])).ok().stdout();
    hs(args(&[&"sign", &m, &"--private-key", &key("p256.pem")]))
        .ok()
        .stdout_has(d1.trim());
}

#[test]
fn single_file_model_signature_sits_beside_it() {
    let dir = tempdir();
    let f = single_file_model(dir.path());
    hs(args(&[&"sign", &f, &"--private-key", &key("p256.pem")])).ok();
    assert!(dir.path().join("model.sig").is_file());
    hs(args(&[&"verify", &f, &"--public-key", &key("p256.pub.pem")])).ok();
    flip_byte(&f, 10);
    hs(args(&[&"verify", &f, &"--public-key", &key("p256.pub.pem")]))
        .expect_code(1)
        .stderr_has("modified: .");
}

#[test]
fn tampering_is_reported_file_by_file() {
    let dir = tempdir();
    let m = tiny_model(dir.path());
    let sig = dir.path().join("m.sig");
    sign_key(&m, &sig, "p256.pem");
    flip_byte(&m.join("model.safetensors"), 1_000_000);
    std::fs::remove_file(m.join("order/a-c")).unwrap();
    write(&m.join("nested/added.py"), b"import os\n");
    let r = verify_key(&m, &sig, "p256.pub.pem");
    r.expect_code(1)
        .stderr_has("modified: model.safetensors")
        .stderr_has("missing: order/a-c")
        .stderr_has("unexpected: nested/added.py");
    // The JSON report says the same, as data.
    let r = hs(args(&[
        &"--json",
        &"verify",
        &m,
        &"--public-key",
        &key("p256.pub.pem"),
        &"--signature",
        &sig,
    ]));
    r.expect_code(1);
    let report: serde_json::Value = serde_json::from_str(&r.stdout()).unwrap();
    assert_eq!(report["verified"], false);
    assert_eq!(report["modified"], serde_json::json!(["model.safetensors"]));
    assert_eq!(report["missing"], serde_json::json!(["order/a-c"]));
    assert_eq!(report["unexpected"], serde_json::json!(["nested/added.py"]));
    // Unsigned files may be tolerated; modified and missing ones never.
    let r = hs(args(&[
        &"verify",
        &m,
        &"--public-key",
        &key("p256.pub.pem"),
        &"--signature",
        &sig,
        &"--ignore-unsigned-files",
    ]));
    r.expect_code(1).stderr_has("modified: model.safetensors");
    assert!(!r.stderr().contains("added.py"), "{}", r.stderr());
}

#[test]
fn tampered_signature_and_wrong_method_are_refused() {
    let dir = tempdir();
    let m = tiny_model(dir.path());
    let sig = dir.path().join("m.sig");
    sign_key(&m, &sig, "p256.pem");
    let mut bundle: serde_json::Value = serde_json::from_slice(&std::fs::read(&sig).unwrap()).unwrap();
    let good = bundle.clone();
    // A different payload under the old signature.
    let payload = bundle["dsseEnvelope"]["payload"].as_str().unwrap().to_owned();
    bundle["dsseEnvelope"]["payload"] =
        serde_json::json!(format!("{}{}", &payload[..payload.len() - 4], "fQ=="));
    std::fs::write(&sig, serde_json::to_vec(&bundle).unwrap()).unwrap();
    verify_key(&m, &sig, "p256.pub.pem")
        .expect_code(1)
        .stderr_has("does not verify");
    // A certificate verifier given a key bundle.
    std::fs::write(&sig, serde_json::to_vec(&good).unwrap()).unwrap();
    hs(args(&[
        &"verify",
        &m,
        &"--certificate-chain",
        &key("root-ca.crt.pem"),
        &"--signature",
        &sig,
    ]))
    .expect_code(1)
    .stderr_has("key method");
}

#[test]
fn malformed_signature_files_exit_2_naming_the_problem() {
    let dir = tempdir();
    let m = tiny_model(dir.path());
    let sig = dir.path().join("m.sig");
    sign_key(&m, &sig, "p256.pem");
    let good: serde_json::Value = serde_json::from_slice(&std::fs::read(&sig).unwrap()).unwrap();
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"{not json".to_vec(), "not valid JSON"),
        (Vec::new(), "not valid JSON"),
        (
            {
                let mut b = good.clone();
                b["mediaType"] = serde_json::json!("application/vnd.dev.sigstore.bundle.v0.9+json");
                serde_json::to_vec(&b).unwrap()
            },
            "unsupported bundle media type",
        ),
        (
            {
                let mut b = good.clone();
                b["dsseEnvelope"]["signatures"][0]["sig"] = serde_json::json!("%%%");
                serde_json::to_vec(&b).unwrap()
            },
            "dsseEnvelope.signatures[0].sig is not valid base64",
        ),
        (
            {
                let mut b = good.clone();
                b["dsseEnvelope"].as_object_mut().unwrap().remove("payload");
                serde_json::to_vec(&b).unwrap()
            },
            "dsseEnvelope.payload",
        ),
    ];
    for (bytes, needle) in cases {
        std::fs::write(&sig, bytes).unwrap();
        verify_key(&m, &sig, "p256.pub.pem")
            .expect_code(2)
            .stderr_has(needle);
    }
    std::fs::remove_file(&sig).unwrap();
    verify_key(&m, &sig, "p256.pub.pem")
        .expect_code(2)
        .stderr_has("cannot read signature file");
}

#[test]
fn unsupported_or_broken_keys_are_clear_errors() {
    let dir = tempdir();
    let m = tiny_model(dir.path());
    let sig = dir.path().join("m.sig");
    hs(args(&[
        &"sign",
        &m,
        &"--private-key",
        &key("rsa2048.pem"),
        &"--signature",
        &sig,
    ]))
    .expect_code(2)
    .stderr_has("RSA");
    hs(args(&[
        &"sign",
        &m,
        &"--private-key",
        &key("ed25519.pem"),
        &"--signature",
        &sig,
    ]))
    .expect_code(2)
    .stderr_has("Ed25519");
    assert!(!sig.exists(), "no signature may be written on error");
    sign_key(&m, &sig, "p256.pem");
    verify_key(&m, &sig, "rsa2048.pub.pem")
        .expect_code(2)
        .stderr_has("RSA");
    verify_key(&m, &sig, "p256.pem")
        .expect_code(2)
        .stderr_has("private key");
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "hello").unwrap();
    hs(args(&[
        &"sign",
        &m,
        &"--private-key",
        &junk,
        &"--signature",
        &sig,
    ]))
    .expect_code(2)
    .stderr_has("PRIVATE KEY");
}

#[test]
fn encrypted_keys_take_the_password_from_a_file_or_the_environment() {
    let dir = tempdir();
    let m = tiny_model(dir.path());
    let sig = dir.path().join("m.sig");
    let enc = key("p256.encrypted.pem");
    // No password and no terminal: refused, nothing written.
    hs(args(&[&"sign", &m, &"--private-key", &enc, &"--signature", &sig]))
        .expect_code(2)
        .stderr_has("encrypted");
    assert!(!sig.exists());
    hs(args(&[
        &"sign",
        &m,
        &"--private-key",
        &enc,
        &"--password-file",
        &key("p256.password"),
        &"--signature",
        &sig,
    ]))
    .ok();
    verify_key(&m, &sig, "p256.pub.pem").ok();
    let mut c = crate::support::hubsign();
    c.args(args(&[
        &"sign",
        &m,
        &"--private-key",
        &enc,
        &"--password-env",
        &"HUBSIGN_TEST_PASSWORD",
        &"--signature",
        &sig,
    ]));
    c.env("HUBSIGN_TEST_PASSWORD", "wrong");
    crate::support::run(c).expect_code(2).stderr_has("wrong password");
    let mut c = crate::support::hubsign();
    c.args(args(&[
        &"sign",
        &m,
        &"--private-key",
        &enc,
        &"--password-env",
        &"HUBSIGN_TEST_PASSWORD",
        &"--signature",
        &sig,
    ]));
    c.env(
        "HUBSIGN_TEST_PASSWORD",
        std::fs::read_to_string(key("p256.password")).unwrap(),
    );
    crate::support::run(c).ok();
}

fn sign_cert(model: &Path, sig: &Path, leaf: &str) -> crate::support::Run {
    hs(args(&[
        &"sign",
        &model,
        &"--private-key",
        &key("p256.pem"),
        &"--signing-certificate",
        &key(leaf),
        &"--certificate-chain",
        &key("chain.pem"),
        &"--signature",
        &sig,
    ]))
}

fn verify_cert(model: &Path, sig: &Path, anchors: &str) -> crate::support::Run {
    hs(args(&[
        &"verify",
        &model,
        &"--certificate-chain",
        &key(anchors),
        &"--signature",
        &sig,
    ]))
}

#[test]
fn certificate_method_checks_chain_usage_and_validity() {
    let dir = tempdir();
    let m = tiny_model(dir.path());
    let sig = dir.path().join("c.sig");
    sign_cert(&m, &sig, "leaf.crt.pem").ok();
    verify_cert(&m, &sig, "root-ca.crt.pem")
        .ok()
        .stdout_has("hubsign test signer");
    verify_cert(&m, &sig, "chain.pem").ok();
    // Only the intermediate trusted: no path to a self-signed anchor.
    verify_cert(&m, &sig, "intermediate-ca.crt.pem")
        .expect_code(1)
        .stderr_has("not trusted");
    // A root that did not issue the chain.
    verify_cert(&m, &sig, "leaf.crt.pem").expect_code(1);
    sign_cert(&m, &sig, "leaf-eku-only.crt.pem").ok();
    verify_cert(&m, &sig, "root-ca.crt.pem").ok();
    sign_cert(&m, &sig, "leaf-no-usage.crt.pem").ok();
    verify_cert(&m, &sig, "root-ca.crt.pem")
        .expect_code(1)
        .stderr_has("signing");
    // Expired leaf: the OMS spec rejects it (model_signing 1.1.1 accepts it; see README).
    sign_cert(&m, &sig, "leaf-expired.crt.pem").ok();
    verify_cert(&m, &sig, "root-ca.crt.pem")
        .expect_code(1)
        .stderr_has("expired");
    // A certificate for another key cannot sign.
    hs(args(&[
        &"sign",
        &m,
        &"--private-key",
        &key("p384.pem"),
        &"--signing-certificate",
        &key("leaf.crt.pem"),
        &"--signature",
        &sig,
    ]))
    .expect_code(2)
    .stderr_has("does not certify");
    // P-384 leaf: hash follows the curve.
    hs(args(&[
        &"sign",
        &m,
        &"--private-key",
        &key("p384.pem"),
        &"--signing-certificate",
        &key("leaf-p384.crt.pem"),
        &"--certificate-chain",
        &key("chain.pem"),
        &"--signature",
        &sig,
    ]))
    .ok();
    verify_cert(&m, &sig, "root-ca.crt.pem").ok();
}

#[test]
fn hashes_and_shards_round_trip_with_settings_read_from_the_bundle() {
    let dir = tempdir();
    let m = tiny_model(dir.path());
    let reference = hs(args(&[&"digest", &m])).ok().stdout();
    for extra in [
        &["--hash", "blake2b"][..],
        &["--hash", "blake3"],
        &["--shard-size", "4096"],
        &["--hash", "blake3", "--shard-size", "1000"],
    ] {
        let sig = dir.path().join("s.sig");
        let mut a = args(&[
            &"sign",
            &m,
            &"--private-key",
            &key("p256.pem"),
            &"--signature",
            &sig,
        ]);
        a.extend(extra.iter().map(OsString::from));
        hs(a).ok();
        verify_key(&m, &sig, "p256.pub.pem").ok();
        let mut a = args(&[&"digest", &m]);
        a.extend(extra.iter().map(OsString::from));
        assert_ne!(hs(a).ok().stdout(), reference, "{extra:?} must change the digest");
        flip_byte(&m.join("tokenizer/vocab.txt"), 4000);
        verify_key(&m, &sig, "p256.pub.pem")
            .expect_code(1)
            .stderr_has("modified: tokenizer/vocab.txt");
        flip_byte(&m.join("tokenizer/vocab.txt"), 4000);
    }
}

#[test]
fn ignore_paths_git_paths_and_signature_inside_model() {
    let dir = tempdir();
    let m = tiny_model(dir.path());
    let sig = m.join("model.sig");
    // Relative to the model, and absolute inside it.
    hs(args(&[
        &"sign",
        &m,
        &"--private-key",
        &key("p256.pem"),
        &"--ignore-paths",
        &"ignore-me.txt",
        &"--ignore-paths",
        &m.join("order"),
    ]))
    .ok();
    let bundle: serde_json::Value = serde_json::from_slice(&std::fs::read(&sig).unwrap()).unwrap();
    let payload = base64_decode(bundle["dsseEnvelope"]["payload"].as_str().unwrap());
    let st: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    let ignored: Vec<&str> = st["predicate"]["serialization"]["ignore_paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for p in [
        ".git",
        ".gitattributes",
        ".github",
        ".gitignore",
        "ignore-me.txt",
        "order",
        "model.sig",
    ] {
        assert!(ignored.contains(&p), "{p} not recorded in {ignored:?}");
    }
    // The verifier takes the ignore list from the signature.
    write(&m.join("ignore-me.txt"), b"changed");
    write(&m.join("order/new"), b"x");
    write(&m.join(".git/new"), b"x");
    hs(args(&[&"verify", &m, &"--public-key", &key("p256.pub.pem")])).ok();
    // Nested .git is not a top-level git path: it is signed.
    write(&m.join("nested/.git/HEAD"), b"x");
    hs(args(&[&"verify", &m, &"--public-key", &key("p256.pub.pem")]))
        .expect_code(1)
        .stderr_has("unexpected: nested/.git/HEAD");
    // Outside the model: refused.
    hs(args(&[
        &"sign",
        &m,
        &"--private-key",
        &key("p256.pem"),
        &"--ignore-paths",
        &"/etc",
    ]))
    .expect_code(2)
    .stderr_has("outside the model");
    // --no-ignore-git-paths signs them, and the verifier then checks them.
    let m2 = tiny_model(&dir.path().join("b"));
    hs(args(&[
        &"sign",
        &m2,
        &"--private-key",
        &key("p256.pem"),
        &"--no-ignore-git-paths",
    ]))
    .ok();
    hs(args(&[&"verify", &m2, &"--public-key", &key("p256.pub.pem")])).ok();
    flip_byte(&m2.join(".git/HEAD"), 0);
    hs(args(&[&"verify", &m2, &"--public-key", &key("p256.pub.pem")]))
        .expect_code(1)
        .stderr_has("modified: .git/HEAD");
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

#[test]
fn symlinks_are_refused_unless_allowed_and_never_leave_the_model() {
    let dir = tempdir();
    let m = symlink_model(dir.path());
    let sig = dir.path().join("s.sig");
    hs(args(&[
        &"sign",
        &m,
        &"--private-key",
        &key("p256.pem"),
        &"--signature",
        &sig,
    ]))
    .expect_code(2)
    .stderr_has("--allow-symlinks");
    hs(args(&[
        &"sign",
        &m,
        &"--private-key",
        &key("p256.pem"),
        &"--signature",
        &sig,
        &"--allow-symlinks",
    ]))
    .ok();
    // allow_symlinks is read from the bundle.
    verify_key(&m, &sig, "p256.pub.pem").ok();
    let outside = dir.path().join("secret.txt");
    write(&outside, b"secret");
    std::os::unix::fs::symlink(&outside, m.join("escape.bin")).unwrap();
    hs(args(&[
        &"sign",
        &m,
        &"--private-key",
        &key("p256.pem"),
        &"--signature",
        &sig,
        &"--allow-symlinks",
    ]))
    .expect_code(2)
    .stderr_has("points outside the model");
    std::fs::remove_file(m.join("escape.bin")).unwrap();
    std::os::unix::fs::symlink("loop-b", m.join("loop-a")).unwrap();
    std::os::unix::fs::symlink("loop-a", m.join("loop-b")).unwrap();
    hs(args(&[
        &"sign",
        &m,
        &"--private-key",
        &key("p256.pem"),
        &"--signature",
        &sig,
        &"--allow-symlinks",
    ]))
    .expect_code(2)
    .stderr_has("cycle");
}

#[test]
fn bad_models_are_errors_not_signatures() {
    let dir = tempdir();
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(empty.join("sub")).unwrap();
    let sig = dir.path().join("e.sig");
    hs(args(&[
        &"sign",
        &empty,
        &"--private-key",
        &key("p256.pem"),
        &"--signature",
        &sig,
    ]))
    .expect_code(2)
    .stderr_has("no file to sign");
    hs(args(&[
        &"sign",
        &dir.path().join("nope"),
        &"--private-key",
        &key("p256.pem"),
        &"--signature",
        &sig,
    ]))
    .expect_code(2)
    .stderr_has("nope");
    let m = dir.path().join("bad-name");
    write(&m.join("ok.bin"), b"1");
    use std::os::unix::ffi::OsStrExt as _;
    write(&m.join(std::ffi::OsStr::from_bytes(b"bad-\xff.bin")), b"2");
    hs(args(&[
        &"sign",
        &m,
        &"--private-key",
        &key("p256.pem"),
        &"--signature",
        &sig,
    ]))
    .expect_code(2)
    .stderr_has("not valid UTF-8");
    let fifo = dir.path().join("fifo-model");
    std::fs::create_dir_all(&fifo).unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(fifo.join("pipe"))
        .status()
        .unwrap();
    assert!(status.success());
    hs(args(&[
        &"sign",
        &fifo,
        &"--private-key",
        &key("p256.pem"),
        &"--signature",
        &sig,
    ]))
    .expect_code(2)
    .stderr_has("FIFO");
    assert!(!sig.exists());
}

#[test]
fn thousand_file_model_round_trips_and_digest_matches_sign() {
    let dir = tempdir();
    let m = many_files_model(dir.path(), 1000);
    let sig: PathBuf = dir.path().join("many.sig");
    let digest = hs(args(&[&"digest", &m])).ok().stdout();
    sign_key(&m, &sig, "p384.pem");
    let out = hs(args(&[
        &"--json",
        &"verify",
        &m,
        &"--public-key",
        &key("p384.pub.pem"),
        &"--signature",
        &sig,
    ]))
    .ok()
    .stdout();
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["files_checked"], 1000);
    assert_eq!(
        format!("{}\n", report["subject_digest"].as_str().unwrap()),
        digest
    );
}

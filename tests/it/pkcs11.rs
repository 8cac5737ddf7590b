//! Hardware-backed keys through PKCS#11, proven against SoftHSM2 and the real model_signing:
//! a token initialised here with the fixture P-256 key (and an RSA key, the wrong type).

use crate::support::{Run, key, model_signing, model_signing_cmd, run, softhsm, tempdir, tiny_model};
use std::path::{Path, PathBuf};
use std::process::Command;

pub(crate) const PIN: &str = "4711-secret-pin";

pub(crate) struct Token {
    dir: tempfile::TempDir,
    module: PathBuf,
}

impl Token {
    /// A fresh SoftHSM2 token `hubsign` holding `key1` (id 01, the fixture P-256 key) and `rsa1`
    /// (id 02, RSA 2048).
    pub(crate) fn new() -> Option<Self> {
        let module = softhsm()?;
        let dir = tempdir();
        std::fs::create_dir_all(dir.path().join("tokens")).unwrap();
        std::fs::write(
            dir.path().join("softhsm2.conf"),
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                dir.path().join("tokens").display()
            ),
        )
        .unwrap();
        let t = Self { dir, module };
        t.util(&[
            "--init-token",
            "--free",
            "--label",
            "hubsign",
            "--pin",
            PIN,
            "--so-pin",
            "5678",
        ]);
        for (src, label, id) in [("p256.pem", "key1", "01"), ("rsa2048.pem", "rsa1", "02")] {
            let p8 = t.dir.path().join(format!("{label}.p8"));
            let ok = Command::new("openssl")
                .args(["pkcs8", "-topk8", "-nocrypt", "-in"])
                .arg(key(src))
                .arg("-out")
                .arg(&p8)
                .status()
                .unwrap();
            assert!(ok.success());
            t.util(&[
                "--import",
                p8.to_str().unwrap(),
                "--token",
                "hubsign",
                "--label",
                label,
                "--id",
                id,
                "--pin",
                PIN,
            ]);
        }
        Some(t)
    }

    fn util(&self, args: &[&str]) {
        let mut c = Command::new("softhsm2-util");
        c.args(args)
            .env("SOFTHSM2_CONF", self.dir.path().join("softhsm2.conf"));
        run(c).ok();
    }

    pub(crate) fn uri(&self, object: &str, pin: &str) -> String {
        format!(
            "pkcs11:token=hubsign;object={object}?module-path={}&pin-value={pin}",
            self.module.display()
        )
    }

    pub(crate) fn hubsign(&self) -> Command {
        let mut c = crate::support::hubsign();
        c.env("SOFTHSM2_CONF", self.dir.path().join("softhsm2.conf"))
            .env_remove("PKCS11_MODULE");
        c
    }

    fn sign(&self, model: &Path, sig: &Path, uri: &str, extra: &[&str]) -> Run {
        let mut c = self.hubsign();
        c.arg("sign")
            .arg(model)
            .arg("--signature")
            .arg(sig)
            .arg("--pkcs11-uri")
            .arg(uri);
        c.args(extra);
        run(c)
    }
}

fn ms_verify(ms: &Path, model: &Path, sig: &Path, method: &str) -> Run {
    let mut c = model_signing_cmd(ms);
    c.args(["verify", method]).arg(model).arg("--signature").arg(sig);
    if method == "certificate" {
        c.arg("--certificate_chain").arg(key("root-ca.crt.pem"));
    } else {
        c.arg("--public_key").arg(key("p256.pub.pem"));
    }
    run(c)
}

#[test]
fn hubsign_signs_on_the_token_and_model_signing_verifies_key_and_certificate() {
    let Some(token) = Token::new() else { return };
    let Some(ms) = model_signing() else { return };
    let dir = tempdir();
    let model = tiny_model(dir.path());
    let sig = dir.path().join("key.sig");
    let r = token.sign(&model, &sig, &token.uri("key1", PIN), &[]);
    r.ok();
    assert!(!r.stdout().contains(PIN) && !r.stderr().contains(PIN));
    ms_verify(&ms, &model, &sig, "key")
        .ok()
        .stdout_has("Verification succeeded");
    // The bundle names the token key exactly as a file-key signature does.
    let file_sig = dir.path().join("file.sig");
    run({
        let mut c = crate::support::hubsign();
        c.arg("sign")
            .arg(&model)
            .arg("--signature")
            .arg(&file_sig)
            .arg("--private-key")
            .arg(key("p256.pem"));
        c
    })
    .ok();
    let hint = |p: &Path| {
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
        v["verificationMaterial"].clone()
    };
    assert_eq!(hint(&sig), hint(&file_sig));
    // Certificate method: the leaf certifies the token's key; model_signing verifies the chain.
    let cert_sig = dir.path().join("cert.sig");
    token
        .sign(
            &model,
            &cert_sig,
            &token.uri("key1", PIN),
            &[
                "--signing-certificate",
                key("leaf.crt.pem").to_str().unwrap(),
                "--certificate-chain",
                key("chain.pem").to_str().unwrap(),
            ],
        )
        .ok();
    ms_verify(&ms, &model, &cert_sig, "certificate")
        .ok()
        .stdout_has("Verification succeeded");
    // A certificate for another key is refused before anything is written.
    let bad = dir.path().join("bad.sig");
    token
        .sign(
            &model,
            &bad,
            &token.uri("key1", PIN),
            &[
                "--signing-certificate",
                key("leaf-p384.crt.pem").to_str().unwrap(),
                "--certificate-chain",
                key("chain.pem").to_str().unwrap(),
            ],
        )
        .expect_code(2)
        .stderr_has("does not certify");
    assert!(!bad.exists());
}

#[test]
fn model_signing_pkcs11_key_signatures_verify_with_hubsign() {
    let Some(token) = Token::new() else { return };
    let Some(ms) = model_signing() else { return };
    let dir = tempdir();
    let model = tiny_model(dir.path());
    let sig = dir.path().join("ms.sig");
    let mut c = model_signing_cmd(&ms);
    c.args(["sign", "pkcs11-key"])
        .arg(&model)
        .arg("--signature")
        .arg(&sig)
        .arg("--pkcs11_uri")
        .arg(token.uri("key1", PIN))
        .env("SOFTHSM2_CONF", token.dir.path().join("softhsm2.conf"));
    run(c).ok();
    run({
        let mut c = crate::support::hubsign();
        c.arg("verify")
            .arg(&model)
            .arg("--signature")
            .arg(&sig)
            .arg("--public-key")
            .arg(key("p256.pub.pem"));
        c
    })
    .ok()
    .stdout_has("Verification succeeded");
}

#[test]
fn pins_from_files_and_every_failure_is_a_clear_error_with_nothing_written() {
    let Some(token) = Token::new() else { return };
    let dir = tempdir();
    let model = tiny_model(dir.path());
    // pin-source=file: (the whole content is the PIN), and --pin-file / --pin-env.
    let pin_file = dir.path().join("pin");
    std::fs::write(&pin_file, PIN).unwrap();
    let base = format!(
        "pkcs11:token=hubsign;object=key1?module-path={}",
        token.module.display()
    );
    let sig = dir.path().join("a.sig");
    token
        .sign(
            &model,
            &sig,
            &format!("{base}&pin-source=file:{}", pin_file.display()),
            &[],
        )
        .ok();
    assert!(sig.is_file());
    let sig = dir.path().join("b.sig");
    token
        .sign(&model, &sig, &base, &["--pin-file", pin_file.to_str().unwrap()])
        .ok();
    let mut c = token.hubsign();
    c.arg("sign")
        .arg(&model)
        .arg("--signature")
        .arg(dir.path().join("c.sig"))
        .args([
            "--pkcs11-uri",
            "pkcs11:token=hubsign;id=%01",
            "--pin-env",
            "TOKEN_PIN",
        ])
        .env("TOKEN_PIN", PIN)
        .env("PKCS11_MODULE", &token.module);
    run(c).ok();
    // Failures: exit 2, a message naming what was searched, no signature file, no PIN shown.
    let cases: Vec<(String, Vec<&str>, &str)> = vec![
        (token.uri("key1", "0000"), vec![], "wrong PIN"),
        (token.uri("rsa1", PIN), vec![], "not an EC key"),
        (token.uri("nokey", PIN), vec![], "no private key object=\"nokey\""),
        (
            format!(
                "pkcs11:token=other;object=key1?module-path={}&pin-value={PIN}",
                token.module.display()
            ),
            vec![],
            "no token matching token=\"other\"",
        ),
        (
            format!("pkcs11:token=hubsign;object=key1?module-path=/nonexistent/libnone.so&pin-value={PIN}"),
            vec![],
            "cannot load PKCS#11 module /nonexistent/libnone.so",
        ),
        (
            "pkcs11:token=hubsign;object=key1".to_owned(),
            vec!["--pin-file", pin_file.to_str().unwrap()],
            "no PKCS#11 module",
        ),
        ("pkcs11:token=hubsign".to_owned(), vec![], "object= or id="),
    ];
    for (uri, extra, needle) in cases {
        let out = dir.path().join("refused.sig");
        let r = token.sign(&model, &out, &uri, &extra);
        r.expect_code(2).stderr_has(needle);
        assert!(!out.exists(), "{needle}: a signature was written");
        let all = format!("{}{}", r.stdout(), r.stderr());
        assert!(!all.contains(PIN), "{needle}: the PIN was printed: {all}");
    }
}

#[test]
fn push_signs_on_the_token_and_the_pushed_model_pulls_verified() {
    let Some(token) = Token::new() else { return };
    let hub = crate::support::hub::LocalHub::start();
    hub.set_write_token("hf_pkcs11_push");
    let dir = tempdir();
    let model = tiny_model(dir.path());
    let home = tempdir();
    let env = |c: &mut Command| {
        c.env("HF_ENDPOINT", hub.endpoint())
            .env("HF_HOME", home.path())
            .env("HF_TOKEN", "hf_pkcs11_push")
            .env_remove("HF_HUB_CACHE")
            .env_remove("HF_HUB_OFFLINE");
    };
    let mut c = token.hubsign();
    c.arg("push")
        .arg(&model)
        .arg("hubsign/token-signed")
        .arg("--pkcs11-uri")
        .arg(token.uri("key1", PIN));
    env(&mut c);
    run(c).ok().stderr_has("Signed and pushed");
    let mut c = crate::support::hubsign();
    c.args(["pull", "hubsign/token-signed", "--public-key"])
        .arg(key("p256.pub.pem"));
    env(&mut c);
    run(c).ok().stderr_has("Verified hubsign/token-signed@");
}

//! Keyless signing end to end against the local Sigstore stack (`tests/sigstore-stack`: an
//! OIDC issuer, Fulcio, Rekor v1 and a TSA on 127.0.0.1): the real model_signing 1.1.1 signs
//! with a minted identity token and verifies; hubsign verifies the same bundles; Fulcio
//! refuses a token signed by a key outside the issuer's JWKS.

use crate::support::{REPO, Run, flip_byte, hs, model_signing_cmd, run, tempdir, tiny_model};
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;

pub(crate) const SIGNER: &str = "signer@example.com";

/// A running stack; stopped (SIGTERM) when dropped, also when a test panics.
pub(crate) struct Stack {
    pid: u32,
    dir: tempfile::TempDir,
    pub(crate) issuer: String,
    oidc_port: u16,
}

impl Stack {
    pub(crate) fn start() -> Stack {
        let dir = tempdir();
        let script = Path::new(REPO).join("tests/sigstore-stack/start.sh");
        let mut c = Command::new("bash");
        // --ttl: the stack stops itself even if this process dies without dropping the guard.
        c.arg(&script).arg(dir.path()).args(["--ttl", "900"]);
        let r = run(c);
        r.ok();
        let pid: u32 = r.stdout().trim().parse().expect("start.sh prints the PID");
        let stack: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("stack.json")).unwrap()).unwrap();
        let issuer = stack["issuer"].as_str().unwrap().to_owned();
        let oidc_port = u16::try_from(stack["ports"]["oidc"].as_u64().unwrap()).unwrap();
        Stack {
            pid,
            dir,
            issuer,
            oidc_port,
        }
    }

    pub(crate) fn trust_config(&self) -> PathBuf {
        self.dir.path().join("trust_config.json")
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stack.log")).unwrap_or_default()
    }

    /// An ID token from the issuer's `/mint` helper (`query`: e.g. `email=a@b.c&untrusted=1`).
    pub(crate) fn mint(&self, query: &str) -> String {
        let mut s = TcpStream::connect(("127.0.0.1", self.oidc_port)).unwrap();
        write!(s, "GET /mint?{query} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
        let (head, body) = resp.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 200"), "mint failed: {resp}");
        body.trim().to_owned()
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.pid.to_string()).status();
    }
}

fn ms_sign(ms: &Path, model: &Path, sig: &Path, stack: &Stack, token: &str) -> Run {
    let mut c = model_signing_cmd(ms);
    c.args(["sign", "sigstore"])
        .arg(model)
        .arg("--signature")
        .arg(sig)
        .arg("--trust_config")
        .arg(stack.trust_config())
        .arg("--identity_token")
        .arg(token);
    run(c)
}

fn ms_verify(ms: &Path, model: &Path, sig: &Path, stack: &Stack, identity: &str, issuer: &str) -> Run {
    let mut c = model_signing_cmd(ms);
    c.args(["verify", "sigstore"])
        .arg(model)
        .arg("--signature")
        .arg(sig)
        .arg("--identity")
        .arg(identity)
        .arg("--identity_provider")
        .arg(issuer)
        .arg("--trust_config")
        .arg(stack.trust_config());
    run(c)
}

fn hs_verify(model: &Path, sig: &Path, stack: &Stack, identity: &str, issuer: &str) -> Run {
    hs([
        "verify".as_ref(),
        model.as_os_str(),
        "--signature".as_ref(),
        sig.as_os_str(),
        "--identity".as_ref(),
        identity.as_ref(),
        "--issuer".as_ref(),
        issuer.as_ref(),
        "--trust-config".as_ref(),
        stack.trust_config().as_os_str(),
    ])
}

#[test]
fn model_signing_signs_keyless_against_the_local_stack_and_both_tools_verify() {
    let Some(ms) = crate::support::model_signing() else {
        return;
    };
    let stack = Stack::start();
    let t = tempdir();
    let model = tiny_model(t.path());
    let sig = t.path().join("model.sig");
    let issuer = stack.issuer.clone();

    // model_signing signs with a token the stack's issuer minted, and verifies.
    let token = stack.mint(&format!("email={SIGNER}"));
    ms_sign(&ms, &model, &sig, &stack, &token).ok();
    ms_verify(&ms, &model, &sig, &stack, SIGNER, &issuer)
        .ok()
        .stdout_has("Verification succeeded");
    ms_verify(&ms, &model, &sig, &stack, "someone@example.com", &issuer).expect_code(1);
    ms_verify(&ms, &model, &sig, &stack, SIGNER, "https://accounts.example.com").expect_code(1);

    // hubsign verifies the same bundle, and says no to anyone else.
    hs_verify(&model, &sig, &stack, SIGNER, &issuer)
        .ok()
        .stdout_has(&format!("Sigstore identity {SIGNER}"));
    hs_verify(&model, &sig, &stack, "someone@example.com", &issuer)
        .expect_code(1)
        .stderr_has("Sigstore verification failed");
    hs_verify(&model, &sig, &stack, SIGNER, "https://accounts.example.com").expect_code(1);

    // Later entries have non-trivial inclusion proofs (log index 2 of a 3-entry tree).
    let later = [t.path().join("second.sig"), t.path().join("third.sig")];
    for s in &later {
        ms_sign(&ms, &model, s, &stack, &stack.mint(&format!("email={SIGNER}"))).ok();
    }
    let bundle: serde_json::Value = serde_json::from_slice(&std::fs::read(&later[1]).unwrap()).unwrap();
    let proof = &bundle["verificationMaterial"]["tlogEntries"][0]["inclusionProof"];
    assert_eq!(proof["logIndex"], "2", "{proof}");
    assert_eq!(proof["treeSize"], "3", "{proof}");
    ms_verify(&ms, &model, &later[1], &stack, SIGNER, &issuer).ok();
    hs_verify(&model, &later[1], &stack, SIGNER, &issuer).ok();

    // A token signed by a key outside the issuer's JWKS (same kid): Fulcio refuses it.
    let bad_sig = t.path().join("rogue.sig");
    let rogue = stack.mint(&format!("email={SIGNER}&untrusted=1"));
    let r = ms_sign(&ms, &model, &bad_sig, &stack, &rogue);
    assert_ne!(
        r.code(),
        0,
        "signing with a forged token succeeded:\n{}",
        r.stdout()
    );
    assert!(!bad_sig.exists(), "a signature was written for a forged token");
    assert!(
        stack.log().contains("fulcio POST /api/v2/signingCert -> 401"),
        "Fulcio did not reject the token:\n{}",
        stack.log()
    );

    // A modified model fails after the bundle verified.
    flip_byte(&model.join("config.json"), 3);
    ms_verify(&ms, &model, &sig, &stack, SIGNER, &issuer).expect_code(1);
    hs_verify(&model, &sig, &stack, SIGNER, &issuer).expect_code(1);
}

/// hubsign signs keylessly against the stack; model_signing and sigstore-python accept it. The
/// identity token never shows up in any output.
#[test]
fn hubsign_signs_keyless_and_model_signing_and_sigstore_python_verify() {
    let Some(ms) = crate::support::model_signing() else {
        return;
    };
    let stack = Stack::start();
    let t = tempdir();
    let model = tiny_model(t.path());
    let sig = t.path().join("hubsign-keyless.sig");
    let issuer = stack.issuer.clone();
    let token = stack.mint(&format!("email={SIGNER}"));
    let mut c = crate::support::hubsign();
    c.arg("sign")
        .arg(&model)
        .arg("--signature")
        .arg(&sig)
        .arg("--trust-config")
        .arg(stack.trust_config());
    c.env("SIGSTORE_ID_TOKEN", &token);
    let r = run(c);
    r.ok();
    assert!(
        !r.stdout().contains(&token) && !r.stderr().contains(&token),
        "the token was printed"
    );
    // The bundle carries what model_signing's sigstore bundles carry.
    let b: serde_json::Value = serde_json::from_slice(&std::fs::read(&sig).unwrap()).unwrap();
    assert_eq!(b["mediaType"], "application/vnd.dev.sigstore.bundle.v0.3+json");
    assert!(
        b["verificationMaterial"]["certificate"]["rawBytes"].is_string(),
        "{b}"
    );
    assert_eq!(
        b["verificationMaterial"]["tlogEntries"][0]["kindVersion"]["kind"],
        "dsse"
    );
    assert!(
        b["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"][0].is_object(),
        "{b}"
    );
    // Both verifiers accept it; both refuse another identity.
    ms_verify(&ms, &model, &sig, &stack, SIGNER, &issuer)
        .ok()
        .stdout_has("Verification succeeded");
    ms_verify(&ms, &model, &sig, &stack, "someone@example.com", &issuer).expect_code(1);
    hs_verify(&model, &sig, &stack, SIGNER, &issuer).ok();
    // sigstore-python's own CLI on the DSSE bundle (the statement subject is the artifact digest).
    let py = ms.parent().unwrap().join("python");
    let subject = {
        use base64::Engine as _;
        let payload = base64::engine::general_purpose::STANDARD
            .decode(b["dsseEnvelope"]["payload"].as_str().unwrap())
            .unwrap();
        let st: serde_json::Value = serde_json::from_slice(&payload).unwrap();
        st["subject"][0]["digest"]["sha256"].as_str().unwrap().to_owned()
    };
    let mut c = Command::new(py);
    c.args(["-m", "sigstore", "--trust-config"])
        .arg(stack.trust_config())
        .args([
            "verify",
            "identity",
            "--cert-identity",
            SIGNER,
            "--cert-oidc-issuer",
            &issuer,
            "--bundle",
        ])
        .arg(&sig)
        .arg(format!("sha256:{subject}"));
    run(c).ok();
    // A bad token: refused with a clear message and no signature written.
    let bad = t.path().join("bad.sig");
    let mut c = crate::support::hubsign();
    c.arg("sign")
        .arg(&model)
        .arg("--signature")
        .arg(&bad)
        .arg("--trust-config")
        .arg(stack.trust_config());
    c.env(
        "SIGSTORE_ID_TOKEN",
        stack.mint(&format!("email={SIGNER}&untrusted=1")),
    );
    run(c).expect_code(2).stderr_has("keyless signing failed");
    assert!(!bad.exists());
    // No token anywhere and no terminal: a clear usage-level error.
    let mut c = crate::support::hubsign();
    c.arg("sign")
        .arg(&model)
        .arg("--signature")
        .arg(&bad)
        .arg("--trust-config")
        .arg(stack.trust_config());
    c.env_remove("SIGSTORE_ID_TOKEN")
        .env_remove("ACTIONS_ID_TOKEN_REQUEST_URL")
        .stdin(std::process::Stdio::null());
    run(c).expect_code(2).stderr_has("no identity token");
    // Forged transparency-log evidence and another instance's root are refused by hubsign.
    let tamper = |edit: &dyn Fn(&mut serde_json::Value), name: &str| {
        let mut v = b.clone();
        edit(&mut v);
        let p = t.path().join(name);
        std::fs::write(&p, serde_json::to_vec(&v).unwrap()).unwrap();
        p
    };
    let flip_b64 = |s: &str| {
        use base64::Engine as _;
        let eng = base64::engine::general_purpose::STANDARD;
        let mut raw = eng.decode(s).unwrap();
        let mid = raw.len() / 2;
        raw[mid] ^= 1;
        serde_json::json!(eng.encode(raw))
    };
    let entry = &b["verificationMaterial"]["tlogEntries"][0];
    let set = entry["inclusionPromise"]["signedEntryTimestamp"]
        .as_str()
        .unwrap()
        .to_owned();
    let forged_set = tamper(
        &|v| {
            v["verificationMaterial"]["tlogEntries"][0]["inclusionPromise"]["signedEntryTimestamp"] =
                flip_b64(&set);
        },
        "forged-set.sig",
    );
    hs_verify(&model, &forged_set, &stack, SIGNER, &issuer)
        .expect_code(1)
        .stderr_has("Sigstore verification failed");
    let root_hash = entry["inclusionProof"]["rootHash"].as_str().unwrap().to_owned();
    let altered_proof = tamper(
        &|v| v["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["rootHash"] = flip_b64(&root_hash),
        "altered-proof.sig",
    );
    hs_verify(&model, &altered_proof, &stack, SIGNER, &issuer)
        .expect_code(1)
        .stderr_has("Sigstore verification failed");
    let mut c = crate::support::hubsign();
    c.arg("verify").arg(&model).arg("--signature").arg(&sig).args([
        "--identity",
        SIGNER,
        "--issuer",
        &issuer,
    ]);
    run(c).expect_code(1).stderr_has("Sigstore verification failed");
}

/// A keyless bundle whose statement lists resources that do not hash to its subject is refused
/// even though every Sigstore check passes (the subject is what the log and signature bind).
#[test]
fn keyless_statement_with_an_inconsistent_subject_is_refused() {
    if crate::support::model_signing().is_none() {
        return;
    }
    let stack = Stack::start();
    let t = tempdir();
    let model = tiny_model(t.path());
    let manifest = hubsign::manifest::build_manifest(
        &model,
        &hubsign::manifest::WalkOptions::default(),
        hubsign::manifest::Serialization::Files,
        hubsign::manifest::HashAlgorithm::Sha256,
    )
    .unwrap();
    let mut st: serde_json::Value =
        serde_json::from_slice(&hubsign::oms::statement::write_payload(&manifest)).unwrap();
    st["predicate"]["resources"].as_array_mut().unwrap().reverse();
    let payload = serde_json::to_vec(&st).unwrap();
    let token = hubsign::sign::sigstore::TokenSource::Explicit(stack.mint(&format!("email={SIGNER}")));
    let instance = hubsign::verify::sigstore::SigstoreInstance::Custom(
        std::fs::read_to_string(stack.trust_config()).unwrap(),
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let bundle = rt
        .block_on(hubsign::sign::sigstore::sign_keyless(&payload, &token, &instance))
        .unwrap();
    let sig = t.path().join("inconsistent.sig");
    std::fs::write(&sig, bundle).unwrap();
    hs_verify(&model, &sig, &stack, SIGNER, &stack.issuer.clone())
        .expect_code(1)
        .stderr_has("inconsistent");
}

#[test]
fn ambient_github_actions_credentials_sign_with_the_workflow_identity() {
    // `hubsign sign` with no token, as in a GitHub Actions job with `id-token: write`: the token
    // comes from ACTIONS_ID_TOKEN_REQUEST_URL (audience=sigstore), Fulcio certifies the workflow
    // URI, and model_signing verifies against exactly that identity.
    let Some(ms) = crate::support::model_signing() else {
        return;
    };
    let stack = Stack::start();
    let info: serde_json::Value =
        serde_json::from_slice(&std::fs::read(stack.dir.path().join("stack.json")).unwrap()).unwrap();
    let actions = &info["actions"];
    let identity = actions["identity"].as_str().unwrap().to_owned();
    let request_token = actions["request_token"].as_str().unwrap().to_owned();
    let t = tempdir();
    let model = tiny_model(t.path());
    let sig = t.path().join("ambient.sig");
    // `hubsign sign` as a job step sees it: no token, the Actions variables.
    let sign_in_actions = |out: &Path, request_token: &str| {
        let mut c = crate::support::hubsign();
        c.arg("sign")
            .arg(&model)
            .arg("--signature")
            .arg(out)
            .arg("--trust-config")
            .arg(stack.trust_config())
            .env_remove("SIGSTORE_ID_TOKEN")
            .env("GITHUB_ACTIONS", "true")
            .env(
                "ACTIONS_ID_TOKEN_REQUEST_URL",
                actions["request_url"].as_str().unwrap(),
            )
            .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", request_token)
            .stdin(std::process::Stdio::null());
        run(c)
    };
    let r = sign_in_actions(&sig, &request_token);
    r.ok();
    assert!(
        !r.stdout().contains(&request_token) && !r.stderr().contains(&request_token),
        "the request token was printed"
    );
    ms_verify(&ms, &model, &sig, &stack, &identity, &stack.issuer)
        .ok()
        .stdout_has("Verification succeeded");
    hs_verify(&model, &sig, &stack, &identity, &stack.issuer).ok();
    // Another identity (an email) is refused for this bundle.
    hs_verify(&model, &sig, &stack, SIGNER, &stack.issuer).expect_code(1);
    // A wrong request token: the endpoint refuses, hubsign fails cleanly with nothing written.
    let bad = t.path().join("bad.sig");
    sign_in_actions(&bad, "wrong").expect_code(2);
    assert!(!bad.exists());
}

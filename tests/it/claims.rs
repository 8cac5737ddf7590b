//! Reading claims (`claims.jsonl` beside `model.sig`): `verify` checks and reports them,
//! `inspect` shows the record, `audit --derived-from` follows trusted lineage across the cache and
//! `audit --signer` lists the claims a signer made. Claims are made here with the library
//! (`Signer::sign_statement`), one bundle a line, as `attest` appends them.

use crate::support::hub_env::Env;
use crate::support::{hs, key, run, tempdir, write};
use hubsign::oms::claim::{
    CLAIMS_FILE, ClaimStatement, DERIVED_FROM_PREDICATE, EVAL_RESULT_PREDICATE, MODEL_CARD_PREDICATE, to_line,
};
use hubsign::sign::{Signer, SigningKeyRef};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use testhub::models::fixture_model;

fn signer(private_key: &str) -> Signer {
    let text = std::fs::read_to_string(key(private_key)).unwrap();
    let k = hubsign::crypto::ec::PrivateKeyPem::parse(&text)
        .unwrap()
        .into_key(None)
        .unwrap();
    Signer::Key(SigningKeyRef::Local(k))
}

/// A claims-file line: `predicate` about `root` (`sha256:<hex>`), signed with `private_key`.
fn claim(private_key: &str, root: &str, predicate_type: &str, predicate: Value) -> Vec<u8> {
    let mut subject = [0u8; 32];
    hex::decode_to_slice(root.strip_prefix("sha256:").unwrap(), &mut subject).unwrap();
    let st = ClaimStatement {
        subject_name: "model".into(),
        subject_digest: subject,
        predicate_type: predicate_type.into(),
        predicate,
    };
    let bundle = signer(private_key).sign_statement(st.to_payload()).unwrap();
    to_line(&bundle.to_json()).unwrap()
}

fn eval(passed: bool) -> Value {
    json!({
        "verifier": {"id": "https://example.com/evaluator"},
        "evaluatedAt": "2026-12-01T00:00:00Z",
        "suite": {"name": "glue", "version": "1.0"},
        "claims": [{"metric": "accuracy", "comparator": ">=", "threshold": "0.9", "passed": passed}],
        "sampleSize": 1000,
    })
}

fn card() -> Value {
    json!({"license": "apache-2.0", "base_model": "org/base", "datasets": ["glue"]})
}

fn lineage(base: &str) -> Value {
    json!({"base": {"name": "org/base", "digest": {"sha256": base.strip_prefix("sha256:").unwrap()}}})
}

fn append(file: &Path, line: &[u8]) {
    let mut bytes = std::fs::read(file).unwrap_or_default();
    bytes.extend_from_slice(line);
    std::fs::write(file, bytes).unwrap();
}

fn pubkey(name: &str) -> String {
    key(name).to_str().unwrap().to_owned()
}

/// `hubsign verify MODEL --public-key p256.pub.pem [extra]`.
fn verify(model: &Path, extra: &[&str]) -> crate::support::Run {
    let mut args = vec![
        "verify".to_owned(),
        model.to_str().unwrap().to_owned(),
        "--public-key".to_owned(),
        pubkey("p256.pub.pem"),
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    hs(args)
}

/// The fixture model (signed with p256.pem) and its root digest.
fn model(dir: &Path) -> (PathBuf, String) {
    let m = fixture_model(dir, "tiny-bert");
    let r = verify(&m, &["--json"]);
    r.ok();
    let v: Value = serde_json::from_str(&r.stdout()).unwrap();
    (m, v["subject_digest"].as_str().unwrap().to_owned())
}

#[test]
fn verify_reports_trusted_claims_and_untrusted_ones_not_counted() {
    let dir = tempdir();
    let (m, root) = model(dir.path());
    let claims = m.join(CLAIMS_FILE);
    // Without claims: nothing new in the output.
    let plain = verify(&m, &[]);
    plain.ok();
    assert!(!plain.stdout().contains("Claims"), "{}", plain.stdout());
    append(
        &claims,
        &claim("p256.pem", &root, EVAL_RESULT_PREDICATE, eval(true)),
    );
    append(
        &claims,
        &claim("other-p256.pem", &root, MODEL_CARD_PREDICATE, card()),
    );
    let r = verify(&m, &[]);
    r.ok()
        .stdout_has("Verification succeeded")
        .stdout_has("claims.jsonl:1 eval-result by key ")
        .stdout_has(": accuracy >= 0.9 passed (suite glue 1.0)")
        .stdout_has("claims.jsonl:2 model-card by key ")
        .stdout_has("untrusted signer — not counted (license apache-2.0");
    let json = |extra: &[&str]| -> Value {
        let mut args = vec!["--json"];
        args.extend_from_slice(extra);
        let r = verify(&m, &args);
        r.ok();
        serde_json::from_str(&r.stdout()).unwrap()
    };
    let v = json(&[]);
    assert_eq!(v["verified"], true);
    let c = v["claims"].as_array().unwrap();
    assert_eq!(c.len(), 2);
    assert_eq!(c[0]["line"], 1);
    assert_eq!(c[0]["trusted"], true);
    assert_eq!(c[0]["predicateType"], EVAL_RESULT_PREDICATE);
    assert_eq!(c[0]["summary"]["kind"], "eval-result");
    assert_eq!(c[0]["summary"]["metrics"][0]["passed"], true);
    assert!(c[0]["digest"].as_str().unwrap().starts_with("sha256:"));
    assert_eq!(c[1]["trusted"], false);
    assert!(c[1]["signer"].as_str().unwrap().starts_with("untrusted signer"));
    assert_eq!(c[1]["summary"]["license"], "apache-2.0");
    // A key given for claims makes the evaluator's claim count.
    let v = json(&["--claims-public-key", &pubkey("other-p256.pub.pem")]);
    assert_eq!(v["claims"][1]["trusted"], true, "{v}");
}

#[test]
fn a_claim_moved_from_another_model_fails_naming_the_line_not_the_files() {
    let dir = tempdir();
    let (m, root) = model(dir.path());
    let other = format!("sha256:{}", "ab".repeat(32));
    let claims = m.join(CLAIMS_FILE);
    append(
        &claims,
        &claim("p256.pem", &root, EVAL_RESULT_PREDICATE, eval(true)),
    );
    append(
        &claims,
        &claim("p256.pem", &other, EVAL_RESULT_PREDICATE, eval(true)),
    );
    let r = verify(&m, &[]);
    r.expect_code(1)
        .stderr_has("line 2 is a claim about other bytes")
        .stderr_has("the model's files were not blamed");
    assert!(!r.stderr().contains("modified"), "{}", r.stderr());
}

#[test]
fn a_tampered_claim_fails_naming_the_line() {
    use base64::Engine as _;
    let dir = tempdir();
    let (m, root) = model(dir.path());
    let good = claim("p256.pem", &root, EVAL_RESULT_PREDICATE, eval(false));
    let mut bundle: Value = serde_json::from_slice(&good).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD;
    let payload = b64
        .decode(bundle["dsseEnvelope"]["payload"].as_str().unwrap())
        .unwrap();
    let edited = String::from_utf8(payload)
        .unwrap()
        .replace("\"passed\":false", "\"passed\":true");
    bundle["dsseEnvelope"]["payload"] = json!(b64.encode(edited));
    let claims = m.join(CLAIMS_FILE);
    append(&claims, &claim("p256.pem", &root, MODEL_CARD_PREDICATE, card()));
    append(&claims, &to_line(&serde_json::to_vec(&bundle).unwrap()).unwrap());
    verify(&m, &[])
        .expect_code(1)
        .stderr_has("line 2 names key")
        .stderr_has("signature does not verify");
}

#[test]
fn a_stale_claim_after_the_model_changed_and_was_re_signed_fails_naming_the_line() {
    let dir = tempdir();
    let (m, root) = model(dir.path());
    append(
        &m.join(CLAIMS_FILE),
        &claim("p256.pem", &root, EVAL_RESULT_PREDICATE, eval(true)),
    );
    verify(&m, &[]).ok();
    write(&m.join("notes.txt"), b"changed\n");
    std::fs::remove_file(m.join("model.sig")).unwrap();
    hs([
        "sign",
        m.to_str().unwrap(),
        "--private-key",
        key("p256.pem").to_str().unwrap(),
    ])
    .ok();
    verify(&m, &[])
        .expect_code(1)
        .stderr_has("line 1 is a claim about other bytes")
        .stderr_has("stale since the model changed");
}

#[test]
fn inspect_shows_the_record_with_or_without_a_trusted_signer() {
    let dir = tempdir();
    let (m, root) = model(dir.path());
    let base = format!("sha256:{}", "cd".repeat(32));
    let claims = m.join(CLAIMS_FILE);
    append(&claims, &claim("p256.pem", &root, MODEL_CARD_PREDICATE, card()));
    append(
        &claims,
        &claim("other-p256.pem", &root, EVAL_RESULT_PREDICATE, eval(true)),
    );
    append(
        &claims,
        &claim("p256.pem", &root, DERIVED_FROM_PREDICATE, lineage(&base)),
    );
    let inspect = |extra: &[&str]| -> Value {
        let mut args = vec![
            "inspect".to_owned(),
            m.to_str().unwrap().to_owned(),
            "--json".to_owned(),
            "--cache-dir".to_owned(),
            dir.path().join("no-cache").to_str().unwrap().to_owned(),
        ];
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        let r = hs(args);
        r.ok();
        serde_json::from_str(&r.stdout()).unwrap()
    };
    let v = inspect(&[]);
    assert_eq!(v["root_digest"], root.as_str());
    assert_eq!(v["verified"], false);
    assert_eq!(v["signer"]["method"], "key");
    assert!(v["signed_at"].is_null(), "a key signature has no signing time");
    assert!(v["files"].as_u64().unwrap() >= 3, "{v}");
    assert!(v["total_size"].as_u64().unwrap() > 0);
    let c = v["claims"].as_array().unwrap();
    assert_eq!(c.len(), 3);
    assert!(c.iter().all(|c| c["trusted"] == false), "nobody trusted: {v}");
    assert_eq!(v["lineage"][0]["base"], base.as_str());
    assert_eq!(v["lineage"][0]["trusted"], false);
    let v = inspect(&["--public-key", &pubkey("p256.pub.pem")]);
    assert_eq!(v["verified"], true);
    assert!(v["verified_signer"].is_string());
    assert_eq!(v["signer_id"]["method"], "key");
    let trusted: Vec<bool> = v["claims"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["trusted"].as_bool().unwrap())
        .collect();
    assert_eq!(trusted, [true, false, true]);
    assert_eq!(v["claims"][0]["summary"]["license"], "apache-2.0");
    assert_eq!(v["lineage"][0]["trusted"], true);
    assert_eq!(v["lineage"][0]["depth"], 1);
    // Human output names the signer as unverified without a flag.
    let r = hs(["inspect", m.to_str().unwrap()]);
    r.ok()
        .stdout_has("not verified")
        .stdout_has("Signed:   unknown")
        .stdout_has("derived from org/base");
    // A wrong key is a definite no.
    hs([
        "inspect",
        m.to_str().unwrap(),
        "--public-key",
        &pubkey("other-p256.pub.pem"),
    ])
    .expect_code(1);
}

/// A model unlike the fixture (`extra` in a file of its own), signed by p256.pem.
fn distinct_model(dir: &Path, name: &str, extra: &[u8]) -> PathBuf {
    let m = fixture_model(&dir.join(name), "tiny-bert");
    write(&m.join("notes.txt"), extra);
    write(
        &m.join(".gitattributes"),
        b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n",
    );
    std::fs::remove_file(m.join("model.sig")).unwrap();
    hs([
        "sign",
        m.to_str().unwrap(),
        "--private-key",
        key("p256.pem").to_str().unwrap(),
    ])
    .ok();
    m
}

#[test]
fn audit_derived_from_follows_trusted_lineage_through_two_levels() {
    let env = Env::new();
    let p256 = pubkey("p256.pub.pem");
    // A, B derived from A, C derived from B, D derived from A by a key nobody trusts.
    let mut roots = Vec::new();
    let mut snaps = Vec::new();
    for name in ["a", "b", "c", "d"] {
        let m = distinct_model(env.work.path(), name, name.as_bytes());
        let repo = format!("hubsign/{name}");
        env.hub.add_commit(&repo, &m);
        let r = run(env.cmd(&["pull", &repo, "--public-key", &p256]));
        r.ok();
        snaps.push(PathBuf::from(r.stdout().trim()));
        let v = hs(["digest", m.to_str().unwrap()]);
        roots.push(v.ok().stdout().trim().to_owned());
    }
    let put = |i: usize, by: &str, base: usize| {
        append(
            &snaps[i].join(CLAIMS_FILE),
            &claim(by, &roots[i], DERIVED_FROM_PREDICATE, lineage(&roots[base])),
        );
    };
    put(1, "p256.pem", 0);
    put(2, "p256.pem", 1);
    put(3, "other-p256.pem", 0);
    let policy = env.work.path().join("policy.toml");
    std::fs::write(
        &policy,
        format!("[[trust]]\nrepos = [\"hubsign/*\"]\npublic-key = {p256:?}\n"),
    )
    .unwrap();
    let kaggle = tempdir();
    let audit = |extra: &[&str]| {
        let cache = env.cache();
        let mut args = vec![
            "audit",
            "--cache-dir",
            cache.to_str().unwrap(),
            "--kagglehub-cache",
            kaggle.path().to_str().unwrap(),
            "--policy",
            policy.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let mut c = env.cmd(&args);
        c.env_remove("HUBSIGN_POLICY");
        run(c)
    };
    let listed = |extra: &[&str]| -> (Vec<String>, Value) {
        let mut args = vec!["--json"];
        args.extend_from_slice(extra);
        let r = audit(&args);
        r.ok();
        let v: Value = serde_json::from_str(&r.stdout()).unwrap();
        let mut names: Vec<String> = v["snapshots"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["reference"].as_str().unwrap().to_owned())
            .collect();
        names.sort();
        (names, v)
    };
    // The whole cache verifies: the claims files are no part of the snapshots' files.
    let (all, _) = listed(&[]);
    assert_eq!(all.len(), 4, "{all:?}");
    let (names, v) = listed(&["--derived-from", &roots[0]]);
    assert_eq!(names, ["hf:hubsign/b", "hf:hubsign/c"], "{v}");
    let c = v["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["reference"] == "hf:hubsign/c")
        .unwrap();
    assert_eq!(c["lineage"], json!([roots[2], roots[1], roots[0]]));
    assert_eq!(v["derived_from"], roots[0].as_str());
    // A reference to the cached base works as well; the human table shows the chain.
    audit(&["--derived-from", "hubsign/a"])
        .ok()
        .stdout_has("hf:hubsign/b")
        .stdout_has(&format!("lineage: {} → {}", roots[1], roots[0]));
    let (names, _) = listed(&["--derived-from", &roots[1]]);
    assert_eq!(names, ["hf:hubsign/c"]);
    // The evaluator's key, once trusted, adds D.
    let (names, _) = listed(&[
        "--derived-from",
        &roots[0],
        "--claims-public-key",
        &pubkey("other-p256.pub.pem"),
    ]);
    assert_eq!(names, ["hf:hubsign/b", "hf:hubsign/c", "hf:hubsign/d"]);
    // --signer lists the claims the other key made (its model signatures: none).
    let fp = {
        let m = fixture_model(&env.work.path().join("fp"), "tiny-bert");
        std::fs::remove_file(m.join("model.sig")).unwrap();
        let sign = ["sign", m.to_str().unwrap(), "--private-key"];
        hs(sign
            .iter()
            .copied()
            .chain([key("other-p256.pem").to_str().unwrap()]))
        .ok();
        let r = hs([
            "verify",
            m.to_str().unwrap(),
            "--public-key",
            &pubkey("other-p256.pub.pem"),
            "--json",
        ]);
        let v: Value = serde_json::from_str(&r.ok().stdout()).unwrap();
        v["signer_id"]["fingerprint"].as_str().unwrap().to_owned()
    };
    let (names, v) = listed(&["--signer", &fp]);
    assert_eq!(names, ["hf:hubsign/d"], "{v}");
    assert_eq!(v["snapshots"][0]["claims"][0]["line"], 1);
    audit(&["--signer", &fp])
        .ok()
        .stdout_has("claims.jsonl:1 derived-from by key");
    // inspect follows the lineage of a cached repository through the cache: C -> B -> A.
    let cache = env.cache();
    let r = run(env.cmd(&[
        "inspect",
        "hubsign/c",
        "--json",
        "--cache-dir",
        cache.to_str().unwrap(),
        "--public-key",
        &p256,
    ]));
    let v: Value = serde_json::from_str(&r.ok().stdout()).unwrap();
    assert!(v["model"].as_str().unwrap().starts_with("hf:hubsign/c@"), "{v}");
    let steps = v["lineage"].as_array().unwrap();
    assert_eq!(steps.len(), 2, "{v}");
    assert_eq!(steps[0]["base"], roots[1].as_str());
    assert!(steps[0]["cached"].as_str().unwrap().starts_with("hf:hubsign/b@"));
    assert_eq!(
        (steps[1]["depth"].as_u64(), steps[1]["base"].as_str()),
        (Some(2), Some(roots[0].as_str()))
    );
    // A claims file altered in the cache is tampering.
    append(
        &snaps[0].join(CLAIMS_FILE),
        &claim("p256.pem", &roots[1], EVAL_RESULT_PREDICATE, eval(true)),
    );
    audit(&[])
        .expect_code(1)
        .stdout_has("line 1 is a claim about other bytes");
}

/// Regression (review): a dataset may hold a `claims.jsonl` of its own, and a signature made by
/// model_signing lists it as one of the files. It is then a file of the model: checked
/// against the signature (a change is a modified file), never read as claims, and a pull of
/// such a repository is not refused as tampering.
#[test]
fn a_claims_jsonl_the_signature_lists_is_a_model_file_not_claims() {
    let Some(exe) = crate::support::model_signing() else {
        return;
    };
    let dir = crate::support::tempdir();
    let model = crate::support::tiny_model(dir.path());
    crate::support::write(
        &model.join("claims.jsonl"),
        b"{\"claim\": \"the sky is green\", \"label\": false}\n",
    );
    let mut c = crate::support::model_signing_cmd(&exe);
    c.args(["sign", "key"])
        .arg(&model)
        .arg("--signature")
        .arg(model.join("model.sig"))
        .arg("--private_key")
        .arg(crate::support::key("p256.pem"));
    crate::support::run(c).ok();
    let verify = || {
        let mut c = crate::support::hubsign();
        c.args(["--json", "verify"])
            .arg(&model)
            .arg("--public-key")
            .arg(crate::support::key("p256.pub.pem"));
        crate::support::run(c)
    };
    let ok = verify();
    ok.ok();
    let v: serde_json::Value = serde_json::from_str(ok.stdout().trim()).unwrap();
    assert!(v.get("claims").is_none(), "read as claims: {v}");
    crate::support::write(&model.join("claims.jsonl"), b"{\"claim\": \"edited\"}\n");
    let bad = verify();
    bad.expect_code(1);
    assert!(bad.stdout().contains("claims.jsonl"), "{}", bad.stdout());
}

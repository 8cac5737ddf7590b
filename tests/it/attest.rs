//! `hubsign attest`: each producer and each signer round-trips (the claims are checked with the
//! library's `verify::claims::check_claims` against the model's root digest); appends keep the
//! existing lines byte for byte, also when several run at once; a model that no longer matches
//! model.sig, a symlinked claims file, a malformed eval result and a YAML alias bomb are
//! refused with claims.jsonl unchanged; the claims file never enters a manifest (hubsign's and
//! model_signing's verify still pass); model_signing's own key verifier accepts a claim line.

use crate::support::{hs, key, model_signing, model_signing_cmd, run, tempdir, tiny_model, write};
use hubsign::verify::TrustAnchor;
use hubsign::verify::claims::{CheckedClaim, check_claims};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

const CARD: &str = "---\nlicense: apache-2.0\nbase_model: org/base\ndatasets:\n- squad\nlanguage: [en]\npipeline_tag: text-generation\ntags: [demo]\nmodel-index:\n- name: tiny\n  results:\n  - task: {type: text-generation}\n    dataset: {name: Squad, type: squad}\n    metrics:\n    - {type: accuracy, value: 0.91}\n---\n# Tiny\n";

fn eval_result(threshold: &serde_json::Value) -> String {
    serde_json::json!({
        "verifier": {"id": "https://example.com/verifier"},
        "evaluatedAt": "2026-07-05T12:00:00Z",
        "suite": {"name": "safety-refusals", "version": "1.2.0"},
        "claims": [{"metric": "refusal_rate", "comparator": ">=", "threshold": threshold, "passed": true}],
        "sampleSize": 500,
        "commitments": {"model": {"alg": "sha256", "value": "ab", "salted": false}},
        "assuranceLevel": "self_attested",
        "subjectProfile": "public-model",
        "x-unknown": {"kept": true}
    })
    .to_string()
}

fn hs_args<S: AsRef<OsStr>>(args: &[S]) -> crate::support::Run {
    hs(args.iter().map(AsRef::as_ref).collect::<Vec<&OsStr>>())
}

fn sign_key(model: &Path) {
    hs_args(&[
        "sign".as_ref(),
        model.as_os_str(),
        "--private-key".as_ref(),
        key("p256.pem").as_os_str(),
    ])
    .ok();
}

/// `hubsign attest MODEL --private-key p256.pem EXTRA…`
fn attest(model: &Path, extra: &[&OsStr]) -> crate::support::Run {
    let mut args: Vec<&OsStr> = vec!["attest".as_ref(), model.as_os_str(), "--private-key".as_ref()];
    let k = key("p256.pem");
    args.push(k.as_os_str());
    args.extend_from_slice(extra);
    hs_args(&args)
}

/// The model's root digest as `hubsign digest --json` prints it.
fn root(model: &Path) -> [u8; 32] {
    let r = hs_args(&["--json".as_ref(), "digest".as_ref(), model.as_os_str()]);
    r.ok();
    let v: serde_json::Value = serde_json::from_str(r.stdout().trim()).unwrap();
    let mut out = [0; 32];
    hex::decode_to_slice(
        v["digest"].as_str().unwrap().strip_prefix("sha256:").unwrap(),
        &mut out,
    )
    .unwrap();
    out
}

fn key_anchor(name: &str) -> TrustAnchor {
    TrustAnchor::PublicKey(
        hubsign::crypto::ec::VerifyingKey::from_pem(&std::fs::read_to_string(key(name)).unwrap()).unwrap(),
    )
}

fn claims_of(model: &Path) -> PathBuf {
    model.join("claims.jsonl")
}

/// Every claim of the model, checked with the library against its root digest.
fn checked(model: &Path, anchors: &[TrustAnchor]) -> Vec<CheckedClaim> {
    let bytes = std::fs::read(claims_of(model)).unwrap();
    check_claims(&bytes, root(model), anchors).unwrap()
}

#[test]
fn each_producer_round_trips_with_a_key_signer() {
    let t = tempdir();
    let model = tiny_model(t.path());
    write(&model.join("README.md"), CARD.as_bytes());
    sign_key(&model);
    let eval = t.path().join("eval.json");
    write(&eval, eval_result(&serde_json::json!("0.98")).as_bytes());
    let custom = t.path().join("custom.json");
    write(&custom, br#"{"reviewed": true, "by": "security team"}"#);
    // A signed local base model, verified with the trust given for it.
    let base_dir = tempdir();
    let base = tiny_model(base_dir.path());
    write(&base.join("extra.txt"), b"the base differs");
    let base_root = root(&base);
    hs_args(&[
        "sign".as_ref(),
        base.as_os_str(),
        "--private-key".as_ref(),
        key("other-p256.pem").as_os_str(),
    ])
    .ok();

    attest(&model, &["--model-card".as_ref()])
        .ok()
        .stdout_has("line 1 (https://hubsign.dev/attestation/model-card/v0.1");
    attest(&model, &["--eval-result".as_ref(), eval.as_os_str()])
        .ok()
        .stdout_has("line 2");
    let digest_ref = format!("sha256:{}", "ab".repeat(32));
    attest(
        &model,
        &[
            "--derived-from".as_ref(),
            digest_ref.as_ref(),
            "--base-name".as_ref(),
            "org/base".as_ref(),
        ],
    )
    .ok();
    let other_pub = key("other-p256.pub.pem");
    let r = attest(
        &model,
        &[
            "--json".as_ref(),
            "--derived-from".as_ref(),
            base.as_os_str(),
            "--base-public-key".as_ref(),
            other_pub.as_os_str(),
        ],
    );
    r.ok();
    let out: serde_json::Value = serde_json::from_str(r.stdout().trim()).unwrap();
    assert_eq!(out["line"], 4);
    assert_eq!(
        out["predicate_type"],
        "https://hubsign.dev/attestation/derived-from/v0.1"
    );
    assert_eq!(
        out["subject"]["digest"],
        format!("sha256:{}", hex::encode(root(&model)))
    );
    assert_eq!(out["signature_matched"], true);
    assert!(out["signer"].as_str().unwrap().starts_with("key "), "{out}");
    attest(
        &model,
        &[
            "--predicate-type".as_ref(),
            "https://example.com/review/v1".as_ref(),
            "--predicate".as_ref(),
            custom.as_os_str(),
        ],
    )
    .ok()
    .stdout_has("line 5");

    let claims = checked(&model, &[key_anchor("p256.pub.pem")]);
    assert_eq!(claims.len(), 5);
    assert!(claims.iter().all(CheckedClaim::is_trusted));
    let types: Vec<&str> = claims
        .iter()
        .map(|c| c.statement.predicate_type.as_str())
        .collect();
    assert_eq!(
        types,
        [
            "https://hubsign.dev/attestation/model-card/v0.1",
            "https://in-toto.io/attestation/eval-result/v0.1",
            "https://hubsign.dev/attestation/derived-from/v0.1",
            "https://hubsign.dev/attestation/derived-from/v0.1",
            "https://example.com/review/v1",
        ]
    );
    assert!(claims.iter().all(|c| c.statement.subject_name == "tiny-model"));
    let card = &claims[0].statement.predicate;
    assert_eq!(card["license"], "apache-2.0");
    assert_eq!(card["model-index"][0]["results"][0]["metrics"][0]["value"], 0.91);
    assert_eq!(claims[1].statement.predicate["x-unknown"]["kept"], true);
    assert_eq!(
        claims[2].statement.predicate,
        serde_json::json!({"base": {"name": "org/base", "digest": {"sha256": "ab".repeat(32)}}})
    );
    let lineage = &claims[3].statement.predicate["base"];
    assert_eq!(lineage["digest"]["sha256"], hex::encode(base_root));
    assert_eq!(lineage["name"], "tiny-model");
    assert!(
        lineage["verifiedSigner"].as_str().unwrap().contains("key"),
        "{lineage}"
    );
    assert_eq!(claims[4].statement.predicate["by"], "security team");
    // By a key nobody trusts, the same claims are only reported, never counted.
    let other = checked(&model, &[key_anchor("other-p256.pub.pem")]);
    assert!(other.iter().all(|c| !c.is_trusted()));

    // The claims file is not part of the model: verify still passes.
    hs_args(&[
        "verify".as_ref(),
        model.as_os_str(),
        "--public-key".as_ref(),
        key("p256.pub.pem").as_os_str(),
    ])
    .ok()
    .stdout_has("Verification succeeded");

    // A local base needs trust for its signature, and the right one.
    let before = std::fs::read(claims_of(&model)).unwrap();
    attest(&model, &["--derived-from".as_ref(), base.as_os_str()])
        .expect_code(2)
        .stderr_has("--base-public-key");
    let wrong = key("p256.pub.pem");
    attest(
        &model,
        &[
            "--derived-from".as_ref(),
            base.as_os_str(),
            "--base-public-key".as_ref(),
            wrong.as_os_str(),
        ],
    )
    .expect_code(1);
    // A repository names a base too, verified on its hub: whom to trust for it is required.
    attest(&model, &["--derived-from".as_ref(), "org/base".as_ref()])
        .expect_code(2)
        .stderr_has("whom to trust for the base model's signature");
    assert_eq!(std::fs::read(claims_of(&model)).unwrap(), before);
}

#[test]
fn the_subject_is_the_digest_model_sig_serialized_and_without_one_the_default() {
    let t = tempdir();
    let model = tiny_model(t.path());
    let eval = t.path().join("eval.json");
    write(&eval, eval_result(&serde_json::json!("0.5")).as_bytes());
    // No signature: the default serialization, and the outcome says so.
    attest(&model, &["--eval-result".as_ref(), eval.as_os_str()])
        .ok()
        .stderr_has("no signature at");
    let claims = checked(&model, &[key_anchor("p256.pub.pem")]);
    assert_eq!(claims.len(), 1);
    // Signed in shards with BLAKE2b: the claim's subject is that signature's digest, not the
    // default one.
    std::fs::remove_file(claims_of(&model)).unwrap();
    hs_args(&[
        "sign".as_ref(),
        model.as_os_str(),
        "--private-key".as_ref(),
        key("p256.pem").as_os_str(),
        "--hash".as_ref(),
        "blake2b".as_ref(),
        "--shard-size".as_ref(),
        "100".as_ref(),
    ])
    .ok();
    let r = hs_args(&[
        "--json".as_ref(),
        "verify".as_ref(),
        model.as_os_str(),
        "--public-key".as_ref(),
        key("p256.pub.pem").as_os_str(),
    ]);
    r.ok();
    let signed: serde_json::Value = serde_json::from_str(r.stdout().trim()).unwrap();
    attest(&model, &["--eval-result".as_ref(), eval.as_os_str()]).ok();
    let bytes = std::fs::read(claims_of(&model)).unwrap();
    let mut sharded_root = [0; 32];
    hex::decode_to_slice(
        signed["subject_digest"]
            .as_str()
            .unwrap()
            .strip_prefix("sha256:")
            .unwrap(),
        &mut sharded_root,
    )
    .unwrap();
    assert_ne!(sharded_root, root(&model));
    let claims = check_claims(&bytes, sharded_root, &[key_anchor("p256.pub.pem")]).unwrap();
    assert!(claims[0].is_trusted());
}

#[test]
fn appends_keep_earlier_lines_byte_for_byte_also_when_run_at_once() {
    let t = tempdir();
    let model = tiny_model(t.path());
    sign_key(&model);
    let eval = t.path().join("eval.json");
    write(&eval, eval_result(&serde_json::json!("0.98")).as_bytes());
    attest(&model, &["--eval-result".as_ref(), eval.as_os_str()]).ok();
    let first = std::fs::read(claims_of(&model)).unwrap();
    attest(&model, &["--eval-result".as_ref(), eval.as_os_str()]).ok();
    let both = std::fs::read(claims_of(&model)).unwrap();
    assert!(both.starts_with(&first), "line 1 changed");
    assert_eq!(both.split(|b| *b == b'\n').count(), 3, "two lines");
    // Four at once: each lands (the directory lock serializes the read-append-rename).
    let children: Vec<_> = (0..4)
        .map(|_| {
            let mut c = crate::support::hubsign();
            c.arg("attest")
                .arg(&model)
                .arg("--private-key")
                .arg(key("p256.pem"))
                .arg("--eval-result")
                .arg(&eval)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null());
            c.spawn().unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let all = std::fs::read(claims_of(&model)).unwrap();
    assert!(all.starts_with(&both));
    let claims = checked(&model, &[key_anchor("p256.pub.pem")]);
    assert_eq!(claims.len(), 6);
    assert_eq!(
        claims.iter().map(|c| c.line).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5, 6]
    );
}

#[test]
fn what_cannot_be_claimed_is_refused_and_claims_jsonl_is_unchanged() {
    let t = tempdir();
    let model = tiny_model(t.path());
    sign_key(&model);
    let eval = t.path().join("eval.json");
    write(&eval, eval_result(&serde_json::json!("0.98")).as_bytes());
    attest(&model, &["--eval-result".as_ref(), eval.as_os_str()]).ok();
    let before = std::fs::read(claims_of(&model)).unwrap();

    // A threshold written as a JSON number: the field is named.
    let bad = t.path().join("bad.json");
    write(&bad, eval_result(&serde_json::json!(0.98)).as_bytes());
    attest(&model, &["--eval-result".as_ref(), bad.as_os_str()])
        .expect_code(2)
        .stderr_has("claims[0].threshold: a decimal string, not a JSON number");
    // A model card whose YAML is an alias bomb, or which has no front matter.
    let bomb = t.path().join("BOMB.md");
    write(
        &bomb,
        b"---\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n---\n",
    );
    attest(&model, &["--model-card".as_ref(), bomb.as_os_str()])
        .expect_code(2)
        .stderr_has("anchors and aliases are refused");
    attest(&model, &["--model-card".as_ref()])
        .expect_code(2)
        .stderr_has("README.md");
    // A claim cannot pose as a model signature.
    attest(
        &model,
        &[
            "--predicate-type".as_ref(),
            "https://model_signing/signature/v1.0".as_ref(),
            "--predicate".as_ref(),
            eval.as_os_str(),
        ],
    )
    .expect_code(2);
    // Exactly one producer.
    attest(&model, &[]).expect_code(2);
    attest(
        &model,
        &[
            "--eval-result".as_ref(),
            eval.as_os_str(),
            "--model-card".as_ref(),
        ],
    )
    .expect_code(2);
    assert_eq!(std::fs::read(claims_of(&model)).unwrap(), before);

    // The model changed since it was signed: exit 1, the file named, nothing appended.
    write(&model.join("config.json"), b"{\"changed\": true}");
    attest(&model, &["--eval-result".as_ref(), eval.as_os_str()])
        .expect_code(1)
        .stderr_has("model.sig does not match the bytes")
        .stderr_has("config.json");
    assert_eq!(std::fs::read(claims_of(&model)).unwrap(), before);
}

#[test]
fn a_symlinked_claims_file_is_refused_and_its_target_untouched() {
    let t = tempdir();
    let model = tiny_model(t.path());
    sign_key(&model);
    let eval = t.path().join("eval.json");
    write(&eval, eval_result(&serde_json::json!("0.98")).as_bytes());
    let target = t.path().join("elsewhere.jsonl");
    write(&target, b"not yours\n");
    std::os::unix::fs::symlink(&target, claims_of(&model)).unwrap();
    attest(&model, &["--eval-result".as_ref(), eval.as_os_str()])
        .expect_code(2)
        .stderr_has("not a regular file");
    assert_eq!(std::fs::read(&target).unwrap(), b"not yours\n");
    assert!(
        std::fs::symlink_metadata(claims_of(&model))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn a_certificate_signer_makes_claims_that_check_against_its_anchor() {
    let t = tempdir();
    let model = tiny_model(t.path());
    sign_key(&model);
    let eval = t.path().join("eval.json");
    write(&eval, eval_result(&serde_json::json!("0.98")).as_bytes());
    let (leaf, chain) = (key("leaf.crt.pem"), key("chain.pem"));
    attest(
        &model,
        &[
            "--signing-certificate".as_ref(),
            leaf.as_os_str(),
            "--certificate-chain".as_ref(),
            chain.as_os_str(),
            "--eval-result".as_ref(),
            eval.as_os_str(),
        ],
    )
    .ok()
    .stdout_has("signed by certificate");
    let anchors = hubsign::crypto::x509::parse_pem_certificates(
        &std::fs::read_to_string(key("root-ca.crt.pem")).unwrap(),
    )
    .unwrap();
    let claims = checked(
        &model,
        &[TrustAnchor::Certificates {
            anchors,
            at: std::time::SystemTime::now(),
        }],
    );
    assert!(claims[0].is_trusted(), "{:?}", claims[0].signer);
    assert!(!checked(&model, &[key_anchor("p256.pub.pem")])[0].is_trusted());
}

#[test]
fn a_pkcs11_token_signs_claims() {
    let Some(token) = crate::pkcs11::Token::new() else {
        return;
    };
    let t = tempdir();
    let model = tiny_model(t.path());
    sign_key(&model);
    let eval = t.path().join("eval.json");
    write(&eval, eval_result(&serde_json::json!("0.98")).as_bytes());
    let mut c = token.hubsign();
    c.arg("attest")
        .arg(&model)
        .arg("--pkcs11-uri")
        .arg(token.uri("key1", crate::pkcs11::PIN))
        .arg("--eval-result")
        .arg(&eval);
    run(c).ok().stdout_has("line 1");
    // The token holds the fixture P-256 key: its public key checks the claim.
    let claims = checked(&model, &[key_anchor("p256.pub.pem")]);
    assert!(claims[0].is_trusted());
}

#[test]
fn a_keyless_claim_checks_against_the_identity_on_the_local_stack() {
    if model_signing().is_none() {
        return;
    }
    let stack = crate::sigstore_stack::Stack::start();
    let t = tempdir();
    let model = tiny_model(t.path());
    sign_key(&model);
    let eval = t.path().join("eval.json");
    write(&eval, eval_result(&serde_json::json!("0.98")).as_bytes());
    let signer = crate::sigstore_stack::SIGNER;
    let mut c = crate::support::hubsign();
    c.arg("attest")
        .arg(&model)
        .arg("--trust-config")
        .arg(stack.trust_config())
        .arg("--eval-result")
        .arg(&eval)
        .env("SIGSTORE_ID_TOKEN", stack.mint(&format!("email={signer}")));
    run(c).ok().stdout_has(&format!("Sigstore identity {signer}"));
    let instance =
        hubsign::sigstore::SigstoreInstance::Custom(std::fs::read_to_string(stack.trust_config()).unwrap());
    let anchor = |identity: &str| TrustAnchor::Sigstore {
        instance: instance.clone(),
        identity: identity.to_owned(),
        issuer: stack.issuer.clone(),
    };
    let claims = checked(&model, &[anchor(signer)]);
    assert!(claims[0].is_trusted(), "{:?}", claims[0].signer);
    assert!(!checked(&model, &[anchor("someone@example.com")])[0].is_trusted());
    // sigstore-python's own verifier (what cosign verify-blob-attestation does for a keyless
    // claim): the line is a DSSE bundle by that identity whose subject is the model's root.
    let Some(ms) = model_signing() else { return };
    let line = t.path().join("claim.json");
    write(&line, std::fs::read(claims_of(&model)).unwrap().trim_ascii_end());
    let sigstore_verify = |subject: [u8; 32], identity: &str| {
        let mut c = std::process::Command::new(ms.parent().unwrap().join("python"));
        c.args(["-m", "sigstore", "--trust-config"])
            .arg(stack.trust_config())
            .args([
                "verify",
                "identity",
                "--cert-identity",
                identity,
                "--cert-oidc-issuer",
            ])
            .arg(&stack.issuer)
            .arg("--bundle")
            .arg(&line)
            .arg(format!("sha256:{}", hex::encode(subject)));
        run(c)
    };
    sigstore_verify(root(&model), signer).ok();
    sigstore_verify(root(&model), "someone@example.com").expect_code(1);
    sigstore_verify([0; 32], signer).expect_code(1);
}

#[test]
fn model_signing_verifies_the_model_beside_claims_and_checks_a_claim_line() {
    let Some(ms) = model_signing() else { return };
    let t = tempdir();
    let model = tiny_model(t.path());
    sign_key(&model);
    let eval = t.path().join("eval.json");
    write(&eval, eval_result(&serde_json::json!("0.98")).as_bytes());
    attest(&model, &["--eval-result".as_ref(), eval.as_os_str()]).ok();
    // model_signing 1.1.1 verifies the model with the claims file left out.
    let mut c = model_signing_cmd(&ms);
    c.args(["verify", "key"])
        .arg(&model)
        .arg("--signature")
        .arg(model.join("model.sig"))
        .arg("--public_key")
        .arg(key("p256.pub.pem"))
        // (model_signing resolves it from the working directory, not from the model.)
        .arg("--ignore-paths")
        .arg(claims_of(&model));
    run(c).ok().stdout_has("Verification succeeded");
    // Its key verifier accepts the claim line as a DSSE-signed in-toto statement.
    let line = t.path().join("line.json");
    let bytes = std::fs::read(claims_of(&model)).unwrap();
    write(&line, bytes.split(|b| *b == b'\n').next().unwrap());
    let script = "import json, pathlib, sys\n\
from model_signing._signing import sign_ec_key, sign_sigstore_pb\n\
sig = sign_sigstore_pb.Signature.read(pathlib.Path(sys.argv[1]))\n\
payload_type, payload = sign_ec_key.Verifier(pathlib.Path(sys.argv[2]))._verify_signed_content(sig)\n\
print(payload_type)\n\
print(json.loads(payload)['predicateType'])\n";
    let py = ms.parent().unwrap().join("python");
    let mut c = Command::new(&py);
    c.arg("-c").arg(script).arg(&line).arg(key("p256.pub.pem"));
    c.env("PYTHONWARNINGS", "ignore");
    let r = run(c);
    r.ok();
    assert_eq!(
        r.stdout().lines().collect::<Vec<_>>(),
        [
            "application/vnd.in-toto+json",
            "https://in-toto.io/attestation/eval-result/v0.1"
        ]
    );
    // The other key is refused by the same verifier.
    let mut c = Command::new(&py);
    c.arg("-c").arg(script).arg(&line).arg(key("other-p256.pub.pem"));
    assert_ne!(run(c).code(), 0);
}

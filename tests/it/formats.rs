//! Reading liberally: every variation of the format that model_signing accepts verifies, and
//! everything it rejects (or that would be unsafe) is rejected. Bundles are crafted with the
//! library and signed with a fixture key, so only the variation under test differs.

use crate::support::{hs, key, tempdir, tiny_model};
use hubsign::crypto::ec::PrivateKeyPem;
use hubsign::manifest::{HashAlgorithm, Serialization, WalkOptions, build_manifest};
use hubsign::oms::dsse::{IN_TOTO_PAYLOAD_TYPE, pae};
use serde_json::{Value, json};
use std::path::Path;

fn signing_key() -> hubsign::crypto::ec::SigningKey {
    let pem = std::fs::read_to_string(key("p256.pem")).unwrap();
    PrivateKeyPem::parse(&pem).unwrap().into_key(None).unwrap()
}

fn b64(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// A statement as model_signing would write it for `model`, as JSON to be edited.
fn statement(model: &Path, method: Serialization) -> Value {
    let man = build_manifest(model, &WalkOptions::default(), method, HashAlgorithm::Sha256).unwrap();
    serde_json::from_slice(&hubsign::oms::statement::write_payload(&man)).unwrap()
}

/// Recomputes the subject digest over the resources in their listed order.
fn fix_subject(st: &mut Value) {
    let digests = st["predicate"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| hex::decode(r["digest"].as_str().unwrap()).unwrap())
        .collect::<Vec<_>>();
    let root = hubsign::manifest::root_digest(digests.iter().map(Vec::as_slice));
    st["subject"][0]["digest"]["sha256"] = json!(hex::encode(root));
}

/// Signs raw payload bytes into a bundle; `edit` may change the bundle afterwards.
pub(crate) fn bundle(payload: &[u8], edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let k = signing_key();
    let sig = k.sign_der(&pae(IN_TOTO_PAYLOAD_TYPE, payload));
    let mut b = json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {"publicKey": {"hint": k.verifying_key().hint()}, "tlogEntries": []},
        "dsseEnvelope": {"payload": b64(payload), "payloadType": IN_TOTO_PAYLOAD_TYPE, "signatures": [{"sig": b64(&sig), "keyid": ""}]},
    });
    edit(&mut b);
    serde_json::to_vec(&b).unwrap()
}

fn verify(model: &Path, sig_bytes: &[u8], extra: &[&str]) -> crate::support::Run {
    let sig = model.parent().unwrap().join("crafted.sig");
    std::fs::write(&sig, sig_bytes).unwrap();
    let mut args: Vec<std::ffi::OsString> = vec![
        "verify".into(),
        model.into(),
        "--public-key".into(),
        key("p256.pub.pem").into(),
        "--signature".into(),
        sig.into(),
    ];
    args.extend(extra.iter().map(Into::into));
    hs(args)
}

#[test]
fn accepted_variations() {
    let dir = tempdir();
    let m = tiny_model(dir.path());
    let base = statement(&m, Serialization::Files);
    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    cases.push(("compact JSON", serde_json::to_vec(&base).unwrap()));
    cases.push(("trailing newline, raw UTF-8", {
        let mut s = serde_json::to_string_pretty(&base).unwrap().into_bytes();
        s.push(b'\n');
        s
    }));
    cases.push(("reversed resources, subject in that order", {
        let mut st = base.clone();
        st["predicate"]["resources"].as_array_mut().unwrap().reverse();
        fix_subject(&mut st);
        serde_json::to_vec(&st).unwrap()
    }));
    cases.push(("uppercase hex, ./ names, other subject name, extra digest", {
        let mut st = base.clone();
        for r in st["predicate"]["resources"].as_array_mut().unwrap() {
            r["digest"] = json!(r["digest"].as_str().unwrap().to_uppercase());
            r["name"] = json!(format!("./{}", r["name"].as_str().unwrap()));
        }
        st["subject"][0]["name"] = json!("renamed");
        st["subject"][0]["digest"]["sha512"] = json!("00");
        serde_json::to_vec(&st).unwrap()
    }));
    cases.push(("no ignore_paths, unknown extra fields", {
        let mut st = base.clone();
        st["predicate"]["serialization"]
            .as_object_mut()
            .unwrap()
            .remove("ignore_paths");
        st["predicate"]["serialization"]["future"] = json!(1);
        st["extra"] = json!({"x": 1});
        serde_json::to_vec(&st).unwrap()
    }));
    for (what, payload) in &cases {
        verify(&m, &bundle(payload, |_| {}), &[]).ok();
        eprintln!("accepted: {what}");
    }
    let payload = serde_json::to_vec(&base).unwrap();
    // Bundle-level variations: keyid absent or null, hint absent (warning), legacy rawBytes,
    // the other v0.3 media type spelling, tlogEntries absent.
    type Edit = Box<dyn FnOnce(&mut Value)>;
    let variants: Vec<(&str, Edit)> = vec![
        (
            "no keyid",
            Box::new(|b: &mut Value| {
                b["dsseEnvelope"]["signatures"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("keyid");
            }),
        ),
        (
            "null keyid",
            Box::new(|b: &mut Value| b["dsseEnvelope"]["signatures"][0]["keyid"] = Value::Null),
        ),
        (
            "no tlogEntries",
            Box::new(|b: &mut Value| {
                b["verificationMaterial"]
                    .as_object_mut()
                    .unwrap()
                    .remove("tlogEntries");
            }),
        ),
        (
            "media type spelling",
            Box::new(|b: &mut Value| {
                b["mediaType"] = json!("application/vnd.dev.sigstore.bundle+json;version=0.3");
            }),
        ),
    ];
    for (what, edit) in variants {
        verify(&m, &bundle(&payload, edit), &[]).ok();
        eprintln!("accepted: {what}");
    }
    verify(
        &m,
        &bundle(&payload, |b| b["verificationMaterial"]["publicKey"] = json!({})),
        &[],
    )
    .ok()
    .stderr_has("warning");
    let legacy = |b: &mut Value| b["verificationMaterial"] = json!({"publicKey": {"rawBytes": b64(b"-----BEGIN PUBLIC KEY-----\n..."), "keyDetails": "PKIX_ECDSA_P256_SHA_256"}});
    verify(&m, &bundle(&payload, legacy), &[])
        .ok()
        .stderr_has("older verification material");
}

#[test]
fn shard_variations_of_the_spec_and_of_python_are_accepted() {
    let dir = tempdir();
    let m = tiny_model(dir.path());
    let base = statement(&m, Serialization::Shards { shard_size: 262_144 });
    assert_eq!(
        base["predicate"]["serialization"]["shard_size"],
        json!(262_144),
        "we write an integer"
    );
    let mut float = base.clone();
    float["predicate"]["serialization"]["shard_size"] = json!(262_144.0);
    verify(&m, &bundle(&serde_json::to_vec(&float).unwrap(), |_| {}), &[]).ok();
    let mut spec = base.clone();
    for r in spec["predicate"]["resources"].as_array_mut().unwrap() {
        r["algorithm"] = json!("sha256");
    }
    verify(&m, &bundle(&serde_json::to_vec(&spec).unwrap(), |_| {}), &[]).ok();
}

#[test]
fn rejected_variations() {
    let dir = tempdir();
    let m = tiny_model(dir.path());
    let base = statement(&m, Serialization::Files);
    let payload = serde_json::to_vec(&base).unwrap();
    // Subject not matching the listed order.
    let mut st = base.clone();
    st["predicate"]["resources"].as_array_mut().unwrap().reverse();
    verify(&m, &bundle(&serde_json::to_vec(&st).unwrap(), |_| {}), &[])
        .expect_code(1)
        .stderr_has("inconsistent");
    // Two subjects.
    let mut st = base.clone();
    let s0 = st["subject"][0].clone();
    st["subject"].as_array_mut().unwrap().push(s0);
    verify(&m, &bundle(&serde_json::to_vec(&st).unwrap(), |_| {}), &[])
        .expect_code(1)
        .stderr_has("exactly one subject");
    // Another predicate type.
    let mut st = base.clone();
    st["predicateType"] = json!("https://slsa.dev/provenance/v1");
    verify(&m, &bundle(&serde_json::to_vec(&st).unwrap(), |_| {}), &[])
        .expect_code(1)
        .stderr_has("predicateType");
    // Another payload type (the PAE always uses in-toto).
    verify(
        &m,
        &bundle(&payload, |b| {
            b["dsseEnvelope"]["payloadType"] = json!("text/plain");
        }),
        &[],
    )
    .expect_code(1)
    .stderr_has("payloadType");
    // Wrong hint.
    verify(
        &m,
        &bundle(&payload, |b| {
            b["verificationMaterial"]["publicKey"]["hint"] = json!("00".repeat(32));
        }),
        &[],
    )
    .expect_code(1)
    .stderr_has("key mismatch");
    // Raw r||s signature instead of DER.
    let k = signing_key();
    let der = k.sign_der(&pae(IN_TOTO_PAYLOAD_TYPE, &payload));
    let sig = p256::ecdsa::Signature::from_der(&der).unwrap();
    verify(
        &m,
        &bundle(&payload, |b| {
            b["dsseEnvelope"]["signatures"][0]["sig"] = json!(b64(&sig.to_bytes()));
        }),
        &[],
    )
    .expect_code(1);
}

#[test]
fn signed_path_traversal_names_are_refused_before_any_file_is_read() {
    let dir = tempdir();
    let m = tiny_model(dir.path());
    std::fs::write(dir.path().join("outside.txt"), b"secret").unwrap();
    for evil in ["../outside.txt", "/etc/passwd", "a/../../outside.txt"] {
        let mut st = statement(&m, Serialization::Files);
        st["predicate"]["resources"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": evil, "algorithm": "sha256", "digest": "00".repeat(32)}));
        fix_subject(&mut st);
        verify(
            &m,
            &bundle(&serde_json::to_vec(&st).unwrap(), |_| {}),
            &["--ignore-unsigned-files"],
        )
        .expect_code(1)
        .stderr_has("not a safe relative path");
    }
}

/// Regression corpus of the security review: crafted bundles, each signed with the trusted key
/// (so only the crafted part can be the reason), each refused with a message naming the problem.
#[test]
fn crafted_bundles_are_refused() {
    let dir = tempdir();
    let m = tiny_model(dir.path());
    let base = statement(&m, Serialization::Files);
    let with_resource = |name: &str| {
        let mut st = base.clone();
        let digest = st["predicate"]["resources"][0]["digest"].clone();
        st["predicate"]["resources"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": name, "algorithm": "sha256", "digest": digest}));
        fix_subject(&mut st);
        st
    };
    let first = base["predicate"]["resources"][0]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut cases: Vec<(String, Value, &str)> = vec![
        // Duplicate names once normalised.
        (
            format!("./{first}"),
            with_resource(&format!("./{first}")),
            "listed twice",
        ),
        (
            format!("{first}/."),
            with_resource(&format!("{first}/.")),
            "listed twice",
        ),
    ];
    for evil in [
        "../x",
        "/etc/passwd",
        "a/../../x",
        "a\\..\\x",
        "a\0b",
        "",
        "a//../b",
    ] {
        cases.push((
            format!("{evil:?}"),
            with_resource(evil),
            "not a safe relative path",
        ));
    }
    let mut mismatch = base.clone();
    mismatch["subject"][0]["digest"]["sha256"] = json!("00".repeat(32));
    cases.push(("subject mismatch".into(), mismatch, "inconsistent"));
    let mut two = base.clone();
    let s0 = two["subject"][0].clone();
    two["subject"].as_array_mut().unwrap().push(s0);
    cases.push(("two subjects".into(), two, "exactly one subject"));
    let mut none = base.clone();
    none["subject"] = json!([]);
    cases.push(("no subject".into(), none, "exactly one subject"));
    for (what, st, needle) in cases {
        let r = verify(
            &m,
            &bundle(&serde_json::to_vec(&st).unwrap(), |_| {}),
            &["--ignore-unsigned-files"],
        );
        assert!(
            r.code() == 1 && r.stderr().contains(needle),
            "{what}: expected exit 1 naming {needle:?}\n{}",
            r.stderr()
        );
    }
    // payloadType variants: the envelope's must be exactly in-toto.
    let payload = serde_json::to_vec(&base).unwrap();
    for pt in [
        "application/vnd.in-toto+JSON",
        "application/vnd.in-toto+json ",
        "",
        "application/json",
    ] {
        verify(
            &m,
            &bundle(&payload, |b| b["dsseEnvelope"]["payloadType"] = json!(pt)),
            &[],
        )
        .expect_code(1)
        .stderr_has("payloadType");
    }
}

/// Inputs sized to exhaust a careless parser: 200,000-deep JSON and 200,000 resources. Both end
/// with a clear refusal (no stack overflow, bounded time).
#[test]
fn huge_and_deep_bundles_are_refused_cleanly() {
    let dir = tempdir();
    let m = tiny_model(dir.path());
    let deep = format!("{}{}", "[".repeat(200_000), "]".repeat(200_000));
    verify(&m, deep.as_bytes(), &[]).expect_code(2).stderr_has("JSON");
    let mut st = statement(&m, Serialization::Files);
    let digest = st["predicate"]["resources"][0]["digest"].clone();
    let many: Vec<Value> = (0..200_000)
        .map(|i| json!({"name": format!("f/{i}"), "algorithm": "sha256", "digest": digest}))
        .collect();
    st["predicate"]["resources"] = Value::Array(many);
    fix_subject(&mut st);
    // Validly signed, consistent, and about files that do not exist: every one missing.
    let r = verify(
        &m,
        &bundle(&serde_json::to_vec(&st).unwrap(), |_| {}),
        &["--ignore-unsigned-files"],
    );
    r.expect_code(1).stderr_has("missing: f/0");
}

/// A seeded mutation run over the bundle, statement and envelope parsers: a few thousand
/// mutated signatures, none may panic, and none may verify to anything but the original
/// statement (a mutation of an ignored field such as `keyid` may still verify, proving the same).
#[test]
fn mutated_signatures_never_verify_to_another_statement() {
    use hubsign::oms::bundle::Bundle;
    use hubsign::verify::{TrustAnchor, verify_bundle};
    let dir = tempdir();
    let m = tiny_model(dir.path());
    let st = statement(&m, Serialization::Files);
    let payload = serde_json::to_vec(&st).unwrap();
    let original = bundle(&payload, |_| {});
    let anchor = TrustAnchor::PublicKey(
        hubsign::crypto::ec::VerifyingKey::from_pem(&std::fs::read_to_string(key("p256.pub.pem")).unwrap())
            .unwrap(),
    );
    let expected = verify_bundle(&Bundle::parse(&original).unwrap(), &anchor)
        .unwrap()
        .statement
        .resources;
    let mut rng: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move |n: usize| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        usize::try_from(rng % (n as u64)).unwrap()
    };
    let tokens: [&[u8]; 8] = [b"\"", b"{", b"}", b"[", b"]", b",", b"null", b"\\u0000"];
    let (mut accepted, mut refused) = (0, 0);
    for case in 0..3000 {
        // Every third case mutates the statement itself (the parser behind a valid signature
        // must not panic either); the others mutate the bundle bytes.
        let statement_case = case % 3 == 0;
        let mut b = if statement_case {
            payload.clone()
        } else {
            original.clone()
        };
        for _ in 0..=next(3) {
            let at = next(b.len());
            match next(5) {
                0 => b[at] ^= 1 << next(8),
                1 => {
                    let end = (at + 1 + next(16)).min(b.len());
                    b.drain(at..end);
                }
                2 => {
                    let t = tokens[next(tokens.len())];
                    b.splice(at..at, t.iter().copied());
                }
                3 => {
                    let end = (at + 1 + next(32)).min(b.len());
                    let copy = b[at..end].to_vec();
                    b.splice(at..at, copy);
                }
                _ => b[at] = b"0aZ+/=\"".get(next(7)).copied().unwrap_or(b'x'),
            }
        }
        if statement_case {
            let parsed = std::panic::catch_unwind(|| hubsign::oms::statement::parse_payload(&b).is_ok());
            assert!(
                parsed.is_ok(),
                "case {case}: the statement parser panicked on {}",
                String::from_utf8_lossy(&b)
            );
            continue;
        }
        let outcome = std::panic::catch_unwind(|| Bundle::parse(&b).ok().map(|p| verify_bundle(&p, &anchor)))
            .unwrap_or_else(|_| {
                panic!(
                    "case {case}: the parser panicked on {}",
                    String::from_utf8_lossy(&b)
                )
            });
        match outcome {
            Some(Ok(v)) => {
                assert_eq!(
                    v.statement.resources, expected,
                    "case {case}: a mutated signature proved another statement"
                );
                accepted += 1;
            }
            _ => refused += 1,
        }
    }
    assert!(
        refused > 1800,
        "only {refused} of 2000 bundle mutations refused ({accepted} accepted)"
    );
}

/// What model_signing rejects stays rejected after the statement parser stopped building a
/// `Value` per resource: arrays where objects belong, `null` types, non-array resource lists.
#[test]
fn statements_of_the_wrong_shape_are_refused() {
    let dir = tempdir();
    let m = tiny_model(dir.path());
    let base = statement(&m, Serialization::Files);
    let first = base["predicate"]["resources"][0].clone();
    let mut cases: Vec<(&str, Value)> = Vec::new();
    let mut st = base.clone();
    st["predicate"]["resources"][0] = json!([first["name"], first["algorithm"], first["digest"]]);
    cases.push(("an array as a resource", st));
    let mut st = base.clone();
    st["_type"] = Value::Null;
    cases.push(("a null _type", st));
    let mut st = base.clone();
    st["predicate"]["resources"] = json!({"0": first});
    cases.push(("an object as the resource list", st));
    let mut st = base.clone();
    st["predicate"] = json!([st["predicate"]["serialization"], st["predicate"]["resources"]]);
    cases.push(("an array as the predicate", st));
    for (what, st) in cases {
        let r = verify(&m, &bundle(&serde_json::to_vec(&st).unwrap(), |_| {}), &[]);
        assert_eq!(r.code(), 1, "{what}: {}", r.stderr());
    }
    // A whole statement as an array.
    let arr = json!([
        base["_type"],
        base["subject"],
        base["predicateType"],
        base["predicate"]
    ]);
    verify(&m, &bundle(&serde_json::to_vec(&arr).unwrap(), |_| {}), &[]).expect_code(1);
}

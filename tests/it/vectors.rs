//! Signatures made by the real model_signing 1.1.1 and by every released version before it
//! (read from ../shared/vectors through HUBSIGN_VECTORS; never copied into the repository).

use crate::support::{hs, run, tempdir, tiny_model};
use hubsign::manifest::{GitPaths, HashAlgorithm, Serialization, SymlinkPolicy, WalkOptions, build_manifest};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Generates the vector models with the vectors' own generator.
fn generated_models(vectors: &Path) -> tempfile::TempDir {
    let dir = crate::support::tempdir();
    let mut c = Command::new("python3");
    c.arg(vectors.join("model-signing-1.1.1/gen_model.py"))
        .arg(dir.path());
    run(c).ok();
    dir
}

fn ms(v: &Path) -> PathBuf {
    v.join("model-signing-1.1.1")
}

#[test]
fn model_signing_1_1_1_vectors_verify() {
    let Some(v) = crate::support::vectors() else {
        return;
    };
    let models = generated_models(&v);
    let m = models.path();
    let pubkey = ms(&v).join("keys/p256.pub.pem");
    let cases: [(&str, PathBuf); 5] = [
        ("key_p256_files.sig", m.join("tiny-model")),
        ("key_p256_singlefile.sig", m.join("single-file-model.bin")),
        ("key_p256_symlinks.sig", m.join("symlink-model")),
        ("api_key_p256_shards_262144.sig", m.join("tiny-model")),
        ("api_key_p256_files_blake2.sig", m.join("tiny-model")),
    ];
    for (sig, model) in &cases {
        let sig = ms(&v).join("sigs").join(sig);
        let r = hs([
            Path::new("verify"),
            model,
            Path::new("--public-key"),
            &pubkey,
            Path::new("--signature"),
            &sig,
        ]);
        r.ok().stdout_has("Verification succeeded");
        // Wrong key: a definite no.
        let other = crate::support::key("p256.pub.pem");
        hs([
            Path::new("verify"),
            model,
            Path::new("--public-key"),
            &other,
            Path::new("--signature"),
            &sig,
        ])
        .expect_code(1);
    }
    let sig = ms(&v).join("sigs/cert_p256_files.sig");
    let root = ms(&v).join("keys/root-ca.crt.pem");
    hs([
        Path::new("verify"),
        &m.join("tiny-model"),
        Path::new("--certificate-chain"),
        &root,
        Path::new("--signature"),
        &sig,
    ])
    .ok()
    .stdout_has("signer");
    // A flipped byte is caught with the vector signature too.
    crate::support::flip_byte(&m.join("tiny-model/order/a.b"), 5);
    let r = hs([
        Path::new("verify"),
        &m.join("tiny-model"),
        Path::new("--public-key"),
        &pubkey,
        Path::new("--signature"),
        &ms(&v).join("sigs/key_p256_files.sig"),
    ]);
    r.expect_code(1).stderr_has("modified: order/a.b");
}

#[test]
fn expected_digests_match_resource_by_resource() {
    let Some(v) = crate::support::vectors() else {
        return;
    };
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(ms(&v).join("expected_digests.json")).unwrap()).unwrap();
    let models = generated_models(&v);
    // Our own generator must agree with the vectors' one, byte for byte.
    let ours = tempdir();
    tiny_model(ours.path());
    for model in [models.path().join("tiny-model"), ours.path().join("tiny-model")] {
        let man = build_manifest(
            &model,
            &WalkOptions::default(),
            Serialization::Files,
            HashAlgorithm::Sha256,
        )
        .unwrap();
        let t = &expected["tiny-model"];
        let order: Vec<&str> = man.resources.iter().map(|r| r.name.as_str()).collect();
        let want: Vec<&str> = t["resource_order"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap())
            .collect();
        assert_eq!(order, want, "component-wise order");
        for r in &man.resources {
            assert_eq!(
                hex::encode(&r.digest),
                t["files_sha256"][&r.name].as_str().unwrap(),
                "{}",
                r.name
            );
        }
        assert_eq!(
            hex::encode(man.root_digest()),
            t["subject_sha256"].as_str().unwrap()
        );
    }
    let model = models.path().join("tiny-model");
    for (key, method, hash) in [
        (
            "tiny-model (blake2b)",
            Serialization::Files,
            HashAlgorithm::Blake2b,
        ),
        (
            "tiny-model (shards 262144)",
            Serialization::Shards { shard_size: 262_144 },
            HashAlgorithm::Sha256,
        ),
    ] {
        let man = build_manifest(&model, &WalkOptions::default(), method, hash).unwrap();
        assert_eq!(
            hex::encode(man.root_digest()),
            expected[key]["subject_sha256"].as_str().unwrap(),
            "{key}"
        );
    }
    let single = build_manifest(
        &models.path().join("single-file-model.bin"),
        &WalkOptions::default(),
        Serialization::Files,
        HashAlgorithm::Sha256,
    )
    .unwrap();
    assert_eq!(single.resources[0].name, ".");
    assert_eq!(
        hex::encode(single.root_digest()),
        expected["single-file-model.bin"]["subject_sha256"]
            .as_str()
            .unwrap()
    );
    let walk = WalkOptions {
        symlinks: SymlinkPolicy::Follow,
        git_paths: GitPaths::Ignore,
        ignore_paths: vec![],
        symlink_root: None,
        ..Default::default()
    };
    let sym = build_manifest(
        &models.path().join("symlink-model"),
        &walk,
        Serialization::Files,
        HashAlgorithm::Sha256,
    )
    .unwrap();
    assert_eq!(
        hex::encode(sym.root_digest()),
        expected["symlink-model (allow_symlinks)"]["subject_sha256"]
            .as_str()
            .unwrap()
    );
}

#[test]
fn decoded_vector_pae_and_signature_match_our_encoding() {
    let Some(v) = crate::support::vectors() else {
        return;
    };
    let d = ms(&v).join("decoded");
    let payload = std::fs::read(d.join("key_p256_files.payload.bin")).unwrap();
    let pae = std::fs::read(d.join("key_p256_files.pae.bin")).unwrap();
    assert_eq!(
        hubsign::oms::dsse::pae(hubsign::oms::dsse::IN_TOTO_PAYLOAD_TYPE, &payload),
        pae
    );
    let sig = std::fs::read(d.join("key_p256_files.sig.der")).unwrap();
    let key = hubsign::crypto::ec::VerifyingKey::from_pem(
        &std::fs::read_to_string(ms(&v).join("keys/p256.pub.pem")).unwrap(),
    )
    .unwrap();
    assert!(
        key.verify_der(&pae, &sig, hubsign::crypto::ec::MessageHash::Sha256)
            .unwrap()
    );
    // Our hint is Python's: SHA-256 of the re-serialized PEM.
    let bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(ms(&v).join("sigs/key_p256_files.sig")).unwrap()).unwrap();
    assert_eq!(
        bundle["verificationMaterial"]["publicKey"]["hint"]
            .as_str()
            .unwrap(),
        key.hint()
    );
    // Our statement for the same model equals Python's as JSON (key order inside is random there).
    let models = generated_models(&v);
    let man = build_manifest(
        &models.path().join("tiny-model"),
        &WalkOptions::default(),
        Serialization::Files,
        HashAlgorithm::Sha256,
    )
    .unwrap();
    let ours: serde_json::Value =
        serde_json::from_slice(&hubsign::oms::statement::write_payload(&man)).unwrap();
    let mut theirs: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    let mut ours = ours;
    for st in [&mut ours, &mut theirs] {
        st["predicate"]["serialization"]["ignore_paths"]
            .as_array_mut()
            .unwrap()
            .sort_by_key(|x| x.as_str().unwrap().to_owned());
    }
    assert_eq!(ours, theirs);
}

/// (vector dir, model path inside it, extra ignore, method)
const LEGACY: [(&str, &str, bool, &str); 9] = [
    ("v0.3.1-elliptic-key", "signme-1", false, "key"),
    ("v1.0.0-elliptic-key", "signme-1", false, "key"),
    ("v1.0.1-elliptic-key", "", true, "key"),
    ("v1.1.0-elliptic-key", "", true, "key"),
    ("v0.2.0-certificate", "", false, "certificate"),
    ("v0.3.1-certificate", "", false, "certificate"),
    ("v1.0.0-certificate", "", false, "certificate"),
    ("v1.0.1-certificate", "", true, "certificate"),
    ("v1.1.0-certificate", "", true, "certificate"),
];

#[test]
fn every_legacy_key_and_certificate_vector_verifies() {
    let Some(v) = crate::support::vectors() else {
        return;
    };
    let up = v.join("upstream-model-transparency");
    for (dir, model, ignore, method) in LEGACY {
        let base = up.join(dir);
        let model_path = if model.is_empty() {
            base.clone()
        } else {
            base.join(model)
        };
        let mut c = crate::support::hubsign();
        c.arg("verify")
            .arg(&model_path)
            .arg("--signature")
            .arg(base.join("model.sig"));
        if ignore {
            c.arg("--ignore-paths").arg("ignore-me");
        }
        match method {
            "key" => c.arg("--public-key").arg(up.join("keys/signing-key-pub.pem")),
            _ => c.arg("--certificate-chain").arg(up.join("keys/ca-cert.pem")),
        };
        let r = run(c);
        r.ok().stdout_has("Verification succeeded");
        if dir.starts_with("v0.2.0") {
            r.stderr_has("v0.2");
        }
    }
}

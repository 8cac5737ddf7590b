//! Sigstore keyless verification: bundles made by every released model_signing, and the
//! sigstore-conformance bundle-verification corpus (70 cases, `_fail` = must be rejected).

use crate::support::{copy_tree, hs, run, tempdir};
use hubsign::verify::sigstore::{SignedArtifact, SigstoreInstance, SigstorePolicy, verify_sigstore_bundle};
use std::path::Path;

const IDENTITY: &str = "stefanb@us.ibm.com";
const ISSUER: &str = "https://sigstore.verify.ibm.com/oauth2";

fn verify_vector(model: &Path, extra: &[&str]) -> crate::support::Run {
    let mut args: Vec<String> = vec![
        "verify".into(),
        model.to_str().unwrap().into(),
        "--ignore-paths".into(),
        "ignore-me".into(),
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    hs(args)
}

#[test]
fn keyless_bundles_of_every_model_signing_release_verify_offline() {
    let Some(v) = crate::support::vectors() else {
        return;
    };
    let up = v.join("upstream-model-transparency");
    let prod = up.join("trust_config.production.bundled-sigstore-python-4.5.1.json");
    let staging = up.join("trust_config.staging.bundled-sigstore-python-4.5.1.json");
    let (prod, staging) = (prod.to_str().unwrap(), staging.to_str().unwrap());
    for release in ["v0.3.1", "v1.0.0", "v1.0.1", "v1.1.0"] {
        let model = up.join(format!("{release}-sigstore"));
        // With model_signing's ClientTrustConfig, and with the embedded production root.
        verify_vector(
            &model,
            &["--identity", IDENTITY, "--issuer", ISSUER, "--trust-config", prod],
        )
        .ok()
        .stdout_has("Sigstore identity stefanb@us.ibm.com");
        verify_vector(&model, &["--identity", IDENTITY, "--identity-provider", ISSUER]).ok();
        // A definite no for anyone else, another issuer, another instance.
        verify_vector(
            &model,
            &[
                "--identity",
                "someone@example.com",
                "--issuer",
                ISSUER,
                "--trust-config",
                prod,
            ],
        )
        .expect_code(1)
        .stderr_has("Sigstore verification failed");
        verify_vector(
            &model,
            &[
                "--identity",
                IDENTITY,
                "--issuer",
                "https://accounts.google.com",
                "--trust-config",
                prod,
            ],
        )
        .expect_code(1);
        verify_vector(
            &model,
            &[
                "--identity",
                IDENTITY,
                "--issuer",
                ISSUER,
                "--trust-config",
                staging,
            ],
        )
        .expect_code(1);
        verify_vector(&model, &["--identity", IDENTITY, "--issuer", ISSUER, "--staging"]).expect_code(1);
        // A tampered model fails after the signature verified.
        let dir = tempdir();
        let copy = dir.path().join("m");
        copy_tree(&model, &copy);
        let f = copy.join("signme-1");
        let mut perms = std::fs::metadata(&f).unwrap().permissions();
        #[expect(
            clippy::permissions_set_readonly_false,
            reason = "the vector files are read-only"
        )]
        perms.set_readonly(false);
        std::fs::set_permissions(&f, perms).unwrap();
        std::fs::write(&f, b"tampered").unwrap();
        verify_vector(
            &copy,
            &["--identity", IDENTITY, "--issuer", ISSUER, "--trust-config", prod],
        )
        .expect_code(1)
        .stderr_has("modified: signme-1");
    }
    // A trust config that is not one is a usage error, not a verification result.
    let junk = tempdir();
    let bad = junk.path().join("bad.json");
    std::fs::write(&bad, "{\"mediaType\": \"nope\"}").unwrap();
    verify_vector(
        &up.join("v1.1.0-sigstore"),
        &[
            "--identity",
            IDENTITY,
            "--issuer",
            ISSUER,
            "--trust-config",
            bad.to_str().unwrap(),
        ],
    )
    .expect_code(2)
    .stderr_has("unknown trust material");
}

const BEACON_IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const BEACON_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// One case as the conformance suite's client protocol describes it.
fn conformance_case(dir: &Path, prod_root: &Path, by_digest: bool) -> Result<(), String> {
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name))
            .ok()
            .map(|s| s.trim().to_owned())
    };
    let bundle = std::fs::read_to_string(dir.join("bundle.sigstore.json")).map_err(|e| e.to_string())?;
    let root = std::fs::read_to_string(if dir.join("trusted_root.json").exists() {
        dir.join("trusted_root.json")
    } else {
        prod_root.to_path_buf()
    })
    .map_err(|e| e.to_string())?;
    let artifact_path = if dir.join("artifact").exists() {
        dir.join("artifact")
    } else {
        dir.parent().unwrap().join("a.txt")
    };
    let artifact = std::fs::read(artifact_path).map_err(|e| e.to_string())?;
    let policy = match read("key.pub") {
        Some(pem) => SigstorePolicy::PublicKey(pem),
        None => SigstorePolicy::Identity {
            identity: read("identity").unwrap_or_else(|| BEACON_IDENTITY.to_owned()),
            issuer: read("issuer").unwrap_or_else(|| BEACON_ISSUER.to_owned()),
        },
    };
    let digest: [u8; 32] = {
        use sha2::Digest as _;
        sha2::Sha256::digest(&artifact).into()
    };
    let input = if by_digest {
        SignedArtifact::Digest(digest)
    } else {
        SignedArtifact::Blob(&artifact)
    };
    verify_sigstore_bundle(&bundle, &SigstoreInstance::Custom(root), &policy, input)
}

#[test]
fn sigstore_conformance_corpus_is_decided_correctly() {
    let Some(c) = crate::support::conformance() else {
        return;
    };
    let corpus = c.join("sigstore-conformance-assets/bundle-verify");
    let prod_root = c.join("prod_trusted_root.json");
    let mut cases: Vec<_> = std::fs::read_dir(&corpus)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("bundle.sigstore.json").exists())
        .collect();
    cases.sort();
    assert_eq!(cases.len(), 70, "the corpus changed");
    let mut wrong = Vec::new();
    let mut correct = 0;
    for by_digest in [false, true] {
        for case in &cases {
            let name = case.file_name().unwrap().to_string_lossy().into_owned();
            let must_fail = name.ends_with("_fail");
            let result = conformance_case(case, &prod_root, by_digest);
            if result.is_err() == must_fail {
                correct += 1;
            } else {
                wrong.push(format!("{name} (digest input: {by_digest}): {result:?}"));
            }
        }
    }
    eprintln!(
        "sigstore-conformance: {correct}/{} decisions correct (70 cases, artifact and digest input)",
        2 * cases.len()
    );
    assert!(wrong.is_empty(), "wrong decisions:\n{}", wrong.join("\n"));
}

/// A keyless-signed model on a hub: pulled and verified with --identity/--issuer, refused for
/// another identity before anything is cached.
#[test]
fn keyless_signed_models_pull_from_the_hub() {
    let Some(v) = crate::support::vectors() else {
        return;
    };
    let up = v.join("upstream-model-transparency");
    let hub = crate::support::hub::LocalHub::start();
    hub.add_commit("ibm/signed-model", &up.join("v1.1.0-sigstore"));
    let home = tempdir();
    let trust = up.join("trust_config.production.bundled-sigstore-python-4.5.1.json");
    let pull = |identity: &str| {
        let mut c = crate::support::hubsign();
        c.args([
            "pull",
            "ibm/signed-model",
            "--identity",
            identity,
            "--issuer",
            ISSUER,
            "--trust-config",
        ])
        .arg(&trust)
        .env("HF_ENDPOINT", hub.endpoint())
        .env("HF_HOME", home.path())
        .env_remove("HF_TOKEN")
        .env_remove("HF_HUB_OFFLINE")
        .env_remove("HF_HUB_CACHE");
        run(c)
    };
    pull("mallory@example.com")
        .expect_code(1)
        .stderr_has("Sigstore verification failed");
    assert!(!home.path().join("hub/models--ibm--signed-model").exists());
    let r = pull(IDENTITY);
    r.ok()
        .stderr_has("Not downloaded (not covered by the signature): ignore-me");
    assert!(Path::new(r.stdout().trim()).join("signme-1").is_file());

    // The audit names the keyless signer with its transparency-log entry; with a policy rule for
    // that identity the snapshot is verified, and `--signer IDENTITY` finds it.
    let policy = home.path().join("policy.toml");
    std::fs::write(
        &policy,
        format!(
            "[[trust]]\nrepos = [\"ibm/*\"]\nidentity = {IDENTITY:?}\nissuer = {ISSUER:?}\ntrust-config = {:?}\n",
            trust.to_str().unwrap()
        ),
    )
    .unwrap();
    let mut c = crate::support::hubsign();
    c.args(["audit", "--json", "--signer", IDENTITY, "--policy"])
        .arg(&policy)
        .arg("--cache-dir")
        .arg(home.path().join("hub"))
        .arg("--kagglehub-cache")
        .arg(home.path());
    let r = run(c);
    r.ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout()).unwrap();
    let row = &v["snapshots"][0];
    assert_eq!(row["verdict"], "verified", "{v}");
    assert_eq!(row["signer"]["method"], "sigstore");
    assert_eq!(row["signer"]["identity"], IDENTITY);
    assert_eq!(row["signer"]["issuer"], ISSUER);
    assert!(row["signer"]["tlog_index"].as_u64().is_some(), "{row}");
    assert!(
        row["signer"]["integrated_time"].as_i64().unwrap() > 1_600_000_000,
        "{row}"
    );
}

//! Trust policies that require signed claims (`[[trust.require-claim]]`), enforced by `pull`,
//! `check`, `verify-cache`, `sync` and the mirror before any weight is fetched, and the claims
//! file travelling with the model: staged beside the signature, recorded in the lock, published
//! by `push`, kept beside `.kaggle/signing.json` on Kaggle.
//!
//! Claims are made here with the library (`Signer::sign_statement`), as `hubsign attest` makes
//! them: one Sigstore bundle per line of `claims.jsonl`, about the model's OMS root digest.

use crate::support::hub::{LocalHub, Origin};
use crate::support::{Run, copy_tree, hubsign, key, run, signed_model, tempdir, tree_state, write};
use hubsign::oms::claim::{ClaimStatement, EVAL_RESULT_PREDICATE, MODEL_CARD_PREDICATE, to_line};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

const TOKEN: &str = "hf_claimsPolicyWriteToken";

/// A signer from a fixture key (`p256.pem`, `other-p256.pem`, `p384.pem`).
fn signer(name: &str) -> hubsign::sign::Signer {
    let pem = std::fs::read_to_string(key(name)).unwrap();
    let k = hubsign::crypto::ec::PrivateKeyPem::parse(&pem)
        .unwrap()
        .into_key(None)
        .unwrap();
    hubsign::sign::Signer::Key(hubsign::sign::SigningKeyRef::Local(k))
}

/// The OMS root digest the signature at `sig` signs.
fn root_of(sig: &Path) -> [u8; 32] {
    let bundle = hubsign::oms::bundle::Bundle::parse(&std::fs::read(sig).unwrap()).unwrap();
    hubsign::oms::claim::statement_subject(&bundle.envelope.payload).unwrap()
}

/// One claims-file line: `predicate` of `predicate_type` about `root`, signed by `by`.
fn claim(by: &str, root: [u8; 32], predicate_type: &str, predicate: Value) -> Vec<u8> {
    let st = ClaimStatement {
        subject_name: "model".into(),
        subject_digest: root,
        predicate_type: predicate_type.into(),
        predicate,
    };
    let bundle = signer(by).sign_statement(st.to_payload()).unwrap();
    to_line(&bundle.to_json()).unwrap()
}

/// An in-toto eval-result predicate with one metric.
fn eval(passed: bool) -> Value {
    json!({
        "verifier": {"id": "https://eval.example/harness"},
        "evaluatedAt": "2026-12-01T00:00:00Z",
        "suite": {"name": "mmlu", "version": "1.0"},
        "claims": [{"metric": "accuracy", "comparator": ">=", "threshold": "0.7", "passed": passed}],
        "sampleSize": 1000,
        "commitments": {},
        "assuranceLevel": "self-reported",
        "subjectProfile": {}
    })
}

/// Appends lines to the model's `claims.jsonl`.
fn append(model: &Path, lines: &[Vec<u8>]) {
    let path = model.join("claims.jsonl");
    let mut bytes = std::fs::read(&path).unwrap_or_default();
    for l in lines {
        bytes.extend_from_slice(l);
    }
    write(&path, &bytes);
}

/// A claim whose signed payload was altered afterwards (`passed` flipped to true).
fn tampered(line: &[u8]) -> Vec<u8> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut bundle: Value = serde_json::from_slice(line).unwrap();
    let payload = b64
        .decode(bundle["dsseEnvelope"]["payload"].as_str().unwrap())
        .unwrap();
    let text = String::from_utf8(payload)
        .unwrap()
        .replace("\"passed\":false", "\"passed\":true");
    bundle["dsseEnvelope"]["payload"] = json!(b64.encode(text));
    to_line(&serde_json::to_vec(&bundle).unwrap()).unwrap()
}

/// A local hub, an empty `HF_HOME`, a work folder with policies.
struct Env {
    hub: LocalHub,
    home: tempfile::TempDir,
    work: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        let hub = LocalHub::start();
        hub.set_write_token(TOKEN);
        Self {
            hub,
            home: tempdir(),
            work: tempdir(),
        }
    }

    /// The signed fixture model (by p256) at `work/<name>`, with `lines` as its claims
    /// (made by `lines(root)`), published as `hubsign/<name>`.
    fn publish(&self, name: &str, lines: impl FnOnce([u8; 32]) -> Vec<Vec<u8>>) -> PathBuf {
        let m = signed_model(&self.work.path().join(name));
        let lines = lines(root_of(&m.join("model.sig")));
        if !lines.is_empty() {
            append(&m, &lines);
        }
        self.hub.add_commit(&format!("hubsign/{name}"), &m);
        m
    }

    /// A policy file: `hubsign/*` signed by p256, with these `[[trust.require-claim]]` tables.
    fn policy(&self, name: &str, require: &str) -> PathBuf {
        let path = self.work.path().join(format!("{name}.toml"));
        write(
            &path,
            format!(
                "[[trust]]\nrepos = [\"hubsign/*\"]\npublic-key = {:?}\n{require}",
                key("p256.pub.pem").to_str().unwrap()
            )
            .as_bytes(),
        );
        path
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = hubsign();
        c.args(args)
            .current_dir(self.work.path())
            .env("HF_ENDPOINT", self.hub.endpoint())
            .env("HF_HOME", self.home.path())
            .env("HF_TOKEN", TOKEN)
            .env_remove("HF_HUB_CACHE")
            .env_remove("HUGGINGFACE_HUB_CACHE")
            .env_remove("HF_HUB_OFFLINE")
            .env_remove("HUBSIGN_POLICY")
            .env("XDG_CONFIG_HOME", self.work.path().join("no-config"));
        c
    }

    fn with_policy(&self, verb: &str, name: &str, policy: &Path, extra: &[&str]) -> Run {
        let repo = format!("hubsign/{name}");
        let mut args = vec![verb, repo.as_str(), "--policy", policy.to_str().unwrap()];
        args.extend_from_slice(extra);
        run(self.cmd(&args))
    }

    fn state(&self) -> std::collections::BTreeMap<String, String> {
        let mut s = tree_state(self.home.path());
        s.retain(|k, _| !k.starts_with(".hub.hubsign-staging"));
        s
    }

    /// The repository files the hub served content of since the last clear (hub `resolve` and
    /// CDN GETs), by path.
    fn fetched(&self, name: &str) -> Vec<String> {
        let prefix = format!("/hubsign/{name}/resolve/");
        let mut out: Vec<String> = self
            .hub
            .requests()
            .into_iter()
            .filter(|r| r.method == "GET")
            .filter_map(|r| match r.origin {
                Origin::Hub => r
                    .path
                    .strip_prefix(&prefix)
                    .and_then(|p| p.split_once('/'))
                    .map(|(_, file)| file.split('?').next().unwrap_or(file).to_owned()),
                Origin::Cdn => Some(format!("cdn:{}", r.path)),
            })
            .collect();
        out.sort();
        out
    }

    /// A policy pull of `hubsign/<name>` that must be refused (exit 1) naming `needle`, with
    /// nothing but the signature and the claims fetched and the cache unchanged.
    fn refused(&self, name: &str, policy: &Path, needle: &str) {
        let before = self.state();
        self.hub.clear_requests();
        let r = self.with_policy("pull", name, policy, &[]);
        r.expect_code(1).stderr_has(needle);
        assert!(r.stdout().is_empty(), "{}", r.stdout());
        let fetched = self.fetched(name);
        assert!(
            fetched.iter().all(|f| f == "model.sig" || f == "claims.jsonl"),
            "{name}: a refused pull fetched {fetched:?}"
        );
        assert_eq!(before, self.state(), "{name}: the cache changed");
    }
}

const EVAL_BY_OTHER: &str = "[[trust.require-claim]]\npredicate-type = \"eval-result\"\npassed = true\n\"suite.name\" = \"mmlu\"\npublic-key = ";

/// The policy requiring an eval-result by other-p256 (the evaluation key) with passed = true.
fn eval_policy(env: &Env) -> PathBuf {
    env.policy(
        "eval",
        &format!(
            "{EVAL_BY_OTHER}{:?}\n",
            key("other-p256.pub.pem").to_str().unwrap()
        ),
    )
}

#[test]
fn a_required_eval_claim_is_enforced_before_any_weight_is_fetched() {
    let env = Env::new();
    let policy = eval_policy(&env);
    // A trusted, passing claim (beside an older failing one and one by nobody trusted).
    let good = env.publish("good", |root| {
        vec![
            claim("other-p256.pem", root, EVAL_RESULT_PREDICATE, eval(false)),
            claim("p384.pem", root, EVAL_RESULT_PREDICATE, eval(true)),
            claim("other-p256.pem", root, EVAL_RESULT_PREDICATE, eval(true)),
        ]
    });
    env.publish("none", |_| Vec::new());
    env.publish("untrusted", |root| {
        vec![claim("p384.pem", root, EVAL_RESULT_PREDICATE, eval(true))]
    });
    env.publish("failed", |root| {
        vec![claim("other-p256.pem", root, EVAL_RESULT_PREDICATE, eval(false))]
    });
    env.publish("by-the-model-signer", |root| {
        vec![claim("p256.pem", root, EVAL_RESULT_PREDICATE, eval(true))]
    });
    // A claim moved from another model (made for other bytes).
    env.publish("moved", |_| {
        vec![claim(
            "other-p256.pem",
            [7; 32],
            EVAL_RESULT_PREDICATE,
            eval(true),
        )]
    });
    env.publish("tampered-own", |root| {
        vec![tampered(&claim(
            "p256.pem",
            root,
            EVAL_RESULT_PREDICATE,
            eval(false),
        ))]
    });
    env.publish("tampered", |root| {
        vec![tampered(&claim(
            "other-p256.pem",
            root,
            EVAL_RESULT_PREDICATE,
            eval(false),
        ))]
    });
    // Stale: the model changed and was signed again after the claim was made.
    let stale = signed_model(&env.work.path().join("stale"));
    let old_root = root_of(&stale.join("model.sig"));
    write(&stale.join("config.json"), b"{\"changed\": true}\n");
    let mut sign = hubsign();
    sign.args([
        "sign",
        stale.to_str().unwrap(),
        "--private-key",
        key("p256.pem").to_str().unwrap(),
    ]);
    run(sign).ok();
    assert_ne!(old_root, root_of(&stale.join("model.sig")));
    append(
        &stale,
        &[claim(
            "other-p256.pem",
            old_root,
            EVAL_RESULT_PREDICATE,
            eval(true),
        )],
    );
    env.hub.add_commit("hubsign/stale", &stale);

    // Passes: the snapshot holds the claims beside the signature, byte for byte, and re-checks
    // offline.
    let r = env.with_policy("pull", "good", &policy, &[]);
    r.ok();
    let snapshot = PathBuf::from(r.stdout().trim());
    assert_eq!(
        std::fs::read(snapshot.join("claims.jsonl")).unwrap(),
        std::fs::read(good.join("claims.jsonl")).unwrap()
    );
    env.with_policy("verify-cache", "good", &policy, &[]).ok();
    env.with_policy("check", "good", &policy, &[]).ok();
    // The audit counts the claims file as no file of the model.
    let audit = run(env.cmd(&["audit", "--policy", policy.to_str().unwrap(), "--json"]));
    audit.ok();
    let rows: Value = serde_json::from_str(&audit.stdout()).unwrap();
    assert!(!audit.stdout().contains("claims.jsonl"), "{rows}");

    env.refused("none", &policy, "found no claim of that type");
    env.refused(
        "untrusted",
        &policy,
        "found none (1 claim of that type by an untrusted signer)",
    );
    env.refused("failed", &policy, "passed is [false]");
    env.refused("by-the-model-signer", &policy, "by another trusted signer");
    env.refused("moved", &policy, "line 1 is a claim about other bytes");
    env.refused("tampered", &policy, "line 1 names key");
    env.refused("stale", &policy, "stale since the model changed");
    // `check` refuses the same way.
    env.with_policy("check", "failed", &policy, &[])
        .expect_code(1)
        .stderr_has("requires an eval-result claim signed by key ");

    // Without a claim requirement, a tampered claims file is still evidence of tampering; a
    // model without claims and one with only untrusted claims pull fine.
    let plain = env.policy("plain", "");
    env.refused("tampered-own", &plain, "do not check out");
    // A claim altered under a key nobody trusts is only someone else's claim.
    env.with_policy("pull", "tampered", &plain, &[]).ok();
    env.with_policy("pull", "none", &plain, &[]).ok();
    env.with_policy("pull", "untrusted", &plain, &[]).ok();

    // A changed cached claims file fails the offline re-check.
    let cached = std::fs::canonicalize(snapshot.join("claims.jsonl")).unwrap();
    let mut bytes = std::fs::read(&cached).unwrap();
    bytes.extend(claim(
        "other-p256.pem",
        [9; 32],
        EVAL_RESULT_PREDICATE,
        eval(true),
    ));
    std::fs::write(&cached, bytes).unwrap();
    env.with_policy("verify-cache", "good", &policy, &[])
        .expect_code(1)
        .stderr_has("claim about other bytes");
}

#[test]
fn a_claim_policy_adds_one_request_at_most() {
    let env = Env::new();
    let policy = eval_policy(&env);
    env.publish("with", |root| {
        vec![claim("other-p256.pem", root, EVAL_RESULT_PREDICATE, eval(true))]
    });
    env.publish("without", |_| Vec::new());
    let requests = |name: &str, policy: &Path| {
        env.hub.clear_requests();
        env.with_policy("check", name, policy, &[]).ok();
        let commit = env.hub.head(&format!("hubsign/{name}"), "main").unwrap();
        env.hub
            .requests()
            .into_iter()
            .map(|r| {
                let path = r.path.replace(name, "NAME").replace(&commit, "COMMIT");
                format!("{} {path}", r.method)
            })
            .collect::<Vec<_>>()
    };
    let plain = requests("without", &env.policy("plain", ""));
    let with = requests("with", &policy);
    assert_eq!(with.len(), plain.len() + 1, "{plain:#?}\n{with:#?}");
    let extra: Vec<&String> = with.iter().filter(|r| !plain.contains(r)).collect();
    assert_eq!(extra.len(), 1, "{extra:?}");
    assert!(extra[0].contains("claims.jsonl"), "{extra:?}");
}

#[test]
fn license_allow_lists_and_policy_typos() {
    let env = Env::new();
    let card = |license: &str| json!({"license": license, "tags": ["text-classification"], "base_model": "org/base"});
    env.publish("mit", |root| {
        vec![claim("p256.pem", root, MODEL_CARD_PREDICATE, card("mit"))]
    });
    env.publish("gpl", |root| {
        vec![claim("p256.pem", root, MODEL_CARD_PREDICATE, card("gpl-3.0"))]
    });
    let allow = env.policy(
        "allow",
        "[[trust.require-claim]]\npredicate-type = \"model-card\"\nlicense = [\"apache-2.0\", \"mit\"]\n",
    );
    env.with_policy("pull", "mit", &allow, &[]).ok();
    env.refused("gpl", &allow, "license is \"gpl-3.0\"");
    // A glob, and a dotted key into the front matter.
    let glob = env.policy(
        "glob",
        "[[trust.require-claim]]\npredicate-type = \"model-card\"\nlicense = \"gpl-*\"\nbase_model = \"org/*\"\n",
    );
    env.with_policy("check", "gpl", &glob, &[]).ok();
    env.with_policy("check", "mit", &glob, &[]).expect_code(1);
    // A typo in a require-claim table is a usage error naming the key.
    for (table, needle) in [
        ("predicate_type = \"model-card\"\n", "predicate_type"),
        (
            "predicate-type = \"eval-result\"\npased = true\n",
            "unknown key \"pased\"",
        ),
        ("license = \"mit\"\n", "predicate-type is missing"),
    ] {
        let bad = env.policy("bad", &format!("[[trust.require-claim]]\n{table}"));
        env.with_policy("check", "mit", &bad, &[])
            .expect_code(2)
            .stderr_has(needle);
    }
}

#[test]
fn push_publishes_the_claims_and_the_lock_records_them() {
    let env = Env::new();
    let policy = eval_policy(&env);
    // Signed, then evaluated: the claims are about the signed bytes and travel with them.
    let m = signed_model(&env.work.path().join("src"));
    append(
        &m,
        &[claim(
            "other-p256.pem",
            root_of(&m.join("model.sig")),
            EVAL_RESULT_PREDICATE,
            eval(true),
        )],
    );
    run(env.cmd(&[
        "push",
        m.to_str().unwrap(),
        "hubsign/pushed",
        "--public-key",
        key("p256.pub.pem").to_str().unwrap(),
    ]))
    .ok();
    let head = env.hub.head("hubsign/pushed", "main").unwrap();
    let files = env.hub.files("hubsign/pushed", &head).unwrap();
    assert!(
        files.contains(&"claims.jsonl".to_owned()) && files.contains(&"model.sig".to_owned()),
        "one commit holds the model, its signature and its claims: {files:?}"
    );
    assert_eq!(
        env.hub.commits("hubsign/pushed", "main").len(),
        2,
        "the initial commit, then one"
    );

    // pull --lock records the claims file's digest.
    let lock = env.work.path().join("hubsign.lock");
    let lock_arg = format!("--lock={}", lock.display());
    let r = env.with_policy("pull", "pushed", &policy, &[&lock_arg]);
    r.ok();
    let snapshot = PathBuf::from(r.stdout().trim());
    let claims = std::fs::read(m.join("claims.jsonl")).unwrap();
    assert_eq!(std::fs::read(snapshot.join("claims.jsonl")).unwrap(), claims);
    let digest = {
        use sha2::Digest as _;
        format!("sha256:{}", hex::encode(sha2::Sha256::digest(&claims)))
    };
    let text = std::fs::read_to_string(&lock).unwrap();
    assert!(text.contains(&format!("claims = \"{digest}\"")), "{text}");
    let sync = |offline: bool| {
        let mut c = env.cmd(&[
            "sync",
            "--lock",
            lock.to_str().unwrap(),
            "--policy",
            policy.to_str().unwrap(),
        ]);
        if offline {
            c.env("HF_HUB_OFFLINE", "1");
        }
        run(c)
    };
    sync(false).ok();
    sync(true).ok();
    // Claims other than the locked ones: refused like a changed signature, online and offline.
    let other = format!("sha256:{}", "e".repeat(64));
    std::fs::write(&lock, text.replace(&digest, &other)).unwrap();
    sync(false)
        .expect_code(1)
        .stderr_has(&format!("claims {digest} (locked {other})"));
    sync(true)
        .expect_code(1)
        .stderr_has(&format!("claims {digest} (locked {other})"));

    // A claim gone stale since the model changed is refused before anything is uploaded.
    write(&m.join("config.json"), b"{\"changed\": 1}\n");
    run(env.cmd(&[
        "push",
        m.to_str().unwrap(),
        "hubsign/pushed",
        "--private-key",
        key("p256.pem").to_str().unwrap(),
        "--resign",
    ]))
    .expect_code(1)
    .stderr_has("stale since the model changed");
    assert_eq!(env.hub.head("hubsign/pushed", "main").unwrap(), head);
    // Without its claims, the re-signed model would leave the branch's claims file beside the
    // new signature: refused before anything is sent, the branch unchanged.
    std::fs::remove_file(m.join("claims.jsonl")).unwrap();
    run(env.cmd(&[
        "push",
        m.to_str().unwrap(),
        "hubsign/pushed",
        "--private-key",
        key("p256.pem").to_str().unwrap(),
        "--resign",
    ]))
    .expect_code(2)
    .stderr_has("the branch holds claims.jsonl");
    assert_eq!(env.hub.head("hubsign/pushed", "main").unwrap(), head);
}

#[test]
fn a_policy_pull_through_the_mirror_needs_the_eval_claim() {
    let Some(py) = testhub::python::venv_python() else {
        return;
    };
    let env = Env::new();
    let policy = eval_policy(&env);
    env.publish("good", |root| {
        vec![claim("other-p256.pem", root, EVAL_RESULT_PREDICATE, eval(true))]
    });
    env.publish("failed", |root| {
        vec![claim("other-p256.pem", root, EVAL_RESULT_PREDICATE, eval(false))]
    });
    let dir = env.work.path().join("mirror");
    std::fs::create_dir_all(&dir).unwrap();
    let port_file = dir.join("port");
    let stderr = dir.join("stderr");
    let mut child = hubsign()
        .args([
            "serve",
            "--upstream",
            &env.hub.endpoint(),
            "--listen",
            "127.0.0.1:0",
        ])
        .arg("--policy")
        .arg(&policy)
        .arg("--cache-dir")
        .arg(dir.join("cache"))
        .arg("--port-file")
        .arg(&port_file)
        .env_remove("HF_TOKEN")
        .env_remove("HF_ENDPOINT")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .unwrap();
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let port = loop {
        if let Ok(p) = std::fs::read_to_string(&port_file)
            && !p.is_empty()
        {
            break p;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "serve exited {status}: {}",
                std::fs::read_to_string(&stderr).unwrap()
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let _mirror = Kill(child);
    let client = |repo: &str| {
        let code = format!(
            "out(attempt(lambda: sorted(files(snapshot_download({repo:?}, cache_dir={:?})))))",
            env.work.path().join("client").to_str().unwrap()
        );
        let mut c = Command::new(&py);
        c.arg("-c")
            .arg(testhub::python::script(testhub::python::HF_IMPORTS, &code))
            .env("HF_ENDPOINT", format!("http://127.0.0.1:{port}"))
            .env("HF_HOME", env.work.path().join("client-home"))
            .env("HF_HUB_DISABLE_TELEMETRY", "1")
            .env("HF_HUB_DISABLE_XET", "1")
            .env("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            .env("PYTHONWARNINGS", "ignore")
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env_remove("HF_TOKEN")
            .env_remove("HF_HUB_OFFLINE");
        let r = run(c);
        testhub::python::result(&r.stdout(), &r.stderr())
    };
    let good = client("hubsign/good");
    let listed = good["ok"].to_string();
    assert!(
        listed.contains("claims.jsonl") && listed.contains("model.safetensors"),
        "{good}"
    );
    env.hub.clear_requests();
    let refused = client("hubsign/failed");
    assert!(refused.get("err").is_some(), "{refused}");
    let weights = env.fetched("failed");
    assert!(
        weights.iter().all(|f| f == "model.sig" || f == "claims.jsonl"),
        "{weights:?}"
    );
    let log = std::fs::read_to_string(&stderr).unwrap();
    assert!(log.contains("requires an eval-result claim"), "{log}");
}

#[test]
fn kaggle_pulls_keep_the_claims_beside_the_signature() {
    let server = crate::support::kaggle::LocalKaggle::start();
    let work = tempdir();
    let home = tempdir();
    let token = "kgat_throwaway_claims";
    server.add_user("claims", "key-claims", token);
    let m = work.path().join("m");
    copy_tree(&crate::support::fixtures().join("models/tiny-bert"), &m);
    std::fs::remove_file(m.join("model.sig")).unwrap();
    std::fs::create_dir_all(m.join(".kaggle")).unwrap();
    let sig = m.join(".kaggle/signing.json");
    let mut sign = hubsign();
    sign.args([
        "sign",
        m.to_str().unwrap(),
        "--signature",
        sig.to_str().unwrap(),
        "--private-key",
        key("p256.pem").to_str().unwrap(),
    ]);
    run(sign).ok();
    write(
        &m.join(".kaggle/claims.jsonl"),
        &claim("other-p256.pem", root_of(&sig), EVAL_RESULT_PREDICATE, eval(true)),
    );
    server.add_version("claims", "evaled", "pyTorch", "base", &m);
    let policy = work.path().join("policy.toml");
    write(
        &policy,
        format!(
            "[[trust]]\nrepos = [\"kaggle:claims/*/*/*\"]\npublic-key = {:?}\n{EVAL_BY_OTHER}{:?}\n",
            key("p256.pub.pem").to_str().unwrap(),
            key("other-p256.pub.pem").to_str().unwrap()
        )
        .as_bytes(),
    );
    let cache = home.path().join("kagglehub");
    let hs = |args: &[&str]| {
        let mut c = hubsign();
        c.args(args)
            .env("HOME", home.path())
            .env("KAGGLEHUB_CACHE", &cache)
            .env("KAGGLE_API_TOKEN", token)
            .env_remove("KAGGLE_USERNAME")
            .env_remove("KAGGLE_KEY")
            .env_remove("KAGGLE_CONFIG_DIR")
            .env_remove("KAGGLE_API_ENVIRONMENT")
            .env("HUBSIGN_KAGGLE_ENDPOINT", server.endpoint());
        run(c)
    };
    let handle = "kaggle:claims/evaled/pyTorch/base";
    let r = hs(&["pull", handle, "--policy", policy.to_str().unwrap()]);
    r.ok();
    let dir = PathBuf::from(r.stdout().trim());
    assert_eq!(
        std::fs::read(dir.join(".kaggle/claims.jsonl")).unwrap(),
        std::fs::read(m.join(".kaggle/claims.jsonl")).unwrap()
    );
    assert!(dir.join(".kaggle/signing.json").is_file());
    hs(&["verify-cache", handle, "--policy", policy.to_str().unwrap()]).ok();
    // Without the claim, the same policy refuses the next version before any weight.
    std::fs::remove_file(m.join(".kaggle/claims.jsonl")).unwrap();
    server.add_version("claims", "evaled", "pyTorch", "base", &m);
    let before = tree_state(&cache);
    hs(&["pull", handle, "--policy", policy.to_str().unwrap()])
        .expect_code(1)
        .stderr_has("found no claim of that type");
    assert_eq!(before, tree_state(&cache));
}

/// `inspect REPO` of a repository no cache holds asks the hub for its signature and claims
/// only (no weight fetched, nothing cached): the record names the signer (verified when a key
/// is given), the files and their size from the listing, and each claim, trusted or not.
#[test]
fn inspect_of_a_repository_asks_the_hub_for_signature_and_claims_only() {
    let env = Env::new();
    env.publish("inspected", |root| {
        vec![
            claim("p256.pem", root, EVAL_RESULT_PREDICATE, eval(true)),
            claim(
                "other-p256.pem",
                root,
                MODEL_CARD_PREDICATE,
                json!({"license": "mit"}),
            ),
        ]
    });
    let before = env.state();
    env.hub.clear_requests();
    let pubkey = key("p256.pub.pem");
    let r = run(env.cmd(&[
        "--json",
        "inspect",
        "hubsign/inspected",
        "--public-key",
        pubkey.to_str().unwrap(),
    ]));
    r.ok();
    let v: Value = serde_json::from_str(r.stdout().trim()).unwrap();
    assert_eq!(v["verified"], json!(true), "{v}");
    assert!(v["model"].as_str().unwrap().contains("hubsign/inspected@"), "{v}");
    assert!(v["files"].as_u64().unwrap() > 0, "{v}");
    assert!(v["total_size"].as_u64().unwrap() > 0, "{v}");
    let claims = v["claims"].as_array().unwrap();
    assert_eq!(claims.len(), 2, "{v}");
    assert_eq!(claims[0]["trusted"], json!(true), "{v}");
    assert_eq!(claims[1]["trusted"], json!(false), "{v}");
    let fetched = env.fetched("inspected");
    assert_eq!(
        fetched,
        vec!["claims.jsonl", "model.sig"],
        "inspect fetched {fetched:?}"
    );
    assert_eq!(before, env.state(), "inspect wrote into the cache");
    // Another key: the signer does not verify (exit 1), as `verify` says it.
    let other = key("other-p256.pub.pem");
    run(env.cmd(&[
        "inspect",
        "hubsign/inspected",
        "--public-key",
        other.to_str().unwrap(),
    ]))
    .expect_code(1);
}

/// `attest --derived-from REPO`: the base's signature is fetched from the hub and verified with
/// the base trust given (no weight downloaded); the claim names the base's verified root
/// digest, its pinned reference and its signer. Another key for the base is refused.
#[test]
fn a_base_named_by_repository_is_verified_on_the_hub() {
    let env = Env::new();
    let base = env.publish("base", |_| Vec::new());
    let base_root = root_of(&base.join("model.sig"));
    let model = signed_model(&env.work.path().join("tuned"));
    env.hub.clear_requests();
    let attest = |base_key: &str| {
        run(env.cmd(&[
            "--json",
            "attest",
            model.to_str().unwrap(),
            "--private-key",
            key("p256.pem").to_str().unwrap(),
            "--derived-from",
            "hubsign/base",
            "--base-public-key",
            key(base_key).to_str().unwrap(),
        ]))
    };
    attest("p256.pub.pem").ok();
    let fetched = env.fetched("base");
    assert_eq!(fetched, vec!["model.sig"], "attest fetched {fetched:?}");
    let line = std::fs::read(model.join("claims.jsonl")).unwrap();
    let bundle = hubsign::oms::bundle::Bundle::parse(line.trim_ascii_end()).unwrap();
    let st = ClaimStatement::parse(&bundle.envelope.payload).unwrap();
    let b = &st.predicate["base"];
    assert_eq!(b["digest"]["sha256"], json!(hex::encode(base_root)), "{b}");
    assert!(b["uri"].as_str().unwrap().contains("hubsign/base@"), "{b}");
    assert!(b["verifiedSigner"].as_str().unwrap().contains("P-256"), "{b}");
    attest("other-p256.pub.pem").expect_code(1);
    assert_eq!(
        std::fs::read(model.join("claims.jsonl")).unwrap(),
        line,
        "nothing appended"
    );
}

/// `audit --policy`: the signers a snapshot's rule requires claims from (the evaluation key)
/// are trusted for its claims, as the pull trusted them.
#[test]
fn audit_trusts_the_claim_signers_the_policy_names() {
    let env = Env::new();
    let policy = eval_policy(&env);
    env.publish("audited", |root| {
        vec![claim("other-p256.pem", root, EVAL_RESULT_PREDICATE, eval(true))]
    });
    env.with_policy("pull", "audited", &policy, &[]).ok();
    let r = run(env.cmd(&["--json", "audit", "--policy", policy.to_str().unwrap()]));
    r.ok();
    let v: Value = serde_json::from_str(r.stdout().trim()).unwrap();
    let rows = v
        .as_array()
        .or_else(|| v["snapshots"].as_array())
        .unwrap_or_else(|| panic!("{v}"));
    let claims = rows[0]["claims"].as_array().unwrap_or_else(|| panic!("{v}"));
    assert_eq!(claims.len(), 1, "{v}");
    assert_eq!(claims[0]["trusted"], json!(true), "{v}");
}

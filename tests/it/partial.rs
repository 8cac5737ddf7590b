//! Partial pulls (`FILE...`, `--include`, `--exclude`): the signature and the pre-download check
//! still cover the whole listing; only the selected files are downloaded (request log) and
//! placed; a later pull adds to the snapshot; files asked for by name must exist and be signed.

use crate::support::hub::Origin;
use crate::support::hub_env::{Env, REPO, refused};
use crate::support::{files_in, signed_model};
use crate::support::{key, run, write};
use std::collections::BTreeSet;
use std::path::PathBuf;

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// Repository paths whose content was requested (resolve on the hub, or the CDN for LFS).
fn fetched(env: &Env) -> BTreeSet<String> {
    env.hub
        .requests()
        .iter()
        .filter_map(|r| {
            if r.origin == Origin::Cdn {
                return r
                    .path
                    .split("path=")
                    .nth(1)
                    .map(|p| p.split('&').next().unwrap_or(p).replace("%2F", "/"));
            }
            let (_, rest) = r.path.split_once("/resolve/")?;
            rest.split_once('/').map(|(_, p)| p.replace("%2F", "/"))
        })
        .collect()
}

#[test]
fn one_file_is_fetched_alone_and_its_path_printed_then_later_pulls_add_to_the_snapshot() {
    let env = Env::new();
    env.hub.clear_requests();
    let r = env.pull(&["config.json"]);
    r.ok();
    let printed = PathBuf::from(r.stdout().trim());
    assert_eq!(printed.file_name().unwrap(), "config.json");
    let snapshot = printed.parent().unwrap().to_path_buf();
    assert_eq!(fetched(&env), set(&["config.json", "model.sig"]));
    assert_eq!(files_in(&snapshot), set(&["config.json", "model.sig"]));
    // --include adds the tokenizer; config.json stays (re-verified from its blob, not fetched).
    env.hub.clear_requests();
    let r = env.pull(&["--include", "tokenizer/"]);
    r.ok();
    assert_eq!(PathBuf::from(r.stdout().trim()), snapshot);
    assert_eq!(fetched(&env), set(&["tokenizer/vocab.txt", "model.sig"]));
    assert_eq!(
        files_in(&snapshot),
        set(&["config.json", "model.sig", "tokenizer/vocab.txt"])
    );
    // --exclude: everything signed but the weights.
    env.hub.clear_requests();
    env.pull(&["--exclude", "*.safetensors"]).ok();
    assert!(
        !fetched(&env).contains("model.safetensors"),
        "{:?}",
        fetched(&env)
    );
    assert_eq!(
        files_in(&snapshot),
        set(&["README.md", "config.json", "model.sig", "tokenizer/vocab.txt"])
    );
    // The snapshot re-verifies offline as what it is: a subset of the signed model.
    let commit = env.hub.head(REPO, "main").unwrap();
    assert!(
        !env.cache()
            .join("models--hubsign--tiny-bert/trees")
            .join(format!("{commit}.json"))
            .exists(),
        "trees/ written for a partial snapshot"
    );
}

#[test]
fn an_unselected_file_that_contradicts_the_signature_refuses_the_repository() {
    let env = Env::new();
    let m = signed_model(&env.work.path().join("w"));
    write(
        &m.join("model.safetensors"),
        &crate::support::det_bytes("evil", 65_553),
    );
    env.hub.add_commit(REPO, &m);
    env.hub.clear_requests();
    refused(&env, &["config.json"], 1, "modified: model.safetensors");
    assert!(
        fetched(&env).iter().all(|p| p == "model.sig"),
        "{:?}",
        fetched(&env)
    );
}

#[test]
fn files_asked_for_must_exist_and_be_signed() {
    let env = Env::new();
    let m = signed_model(&env.work.path().join("x"));
    write(&m.join("extra.py"), b"import os\n");
    env.hub.add_commit(REPO, &m);
    refused(
        &env,
        &["extra.py", "--ignore-unsigned-files"],
        1,
        "extra.py is in hubsign/tiny-bert but not covered",
    );
    refused(
        &env,
        &["nope.txt", "--ignore-unsigned-files"],
        2,
        "nope.txt is not in hubsign/tiny-bert",
    );
    refused(
        &env,
        &["--include", "*.gguf", "--ignore-unsigned-files"],
        2,
        "no signed file",
    );
    refused(
        &env,
        &["../escape", "--ignore-unsigned-files"],
        1,
        "unsafe file name",
    );
    let k = key("p256.pub.pem");
    run(env.cmd(&[
        "pull",
        REPO,
        "config.json",
        "--include",
        "*.json",
        "--public-key",
        k.to_str().unwrap(),
    ]))
    .expect_code(2);
}

#[test]
fn offline_a_partial_snapshot_verifies_the_files_it_holds() {
    let env = Env::new();
    let printed = env.pull(&["config.json"]).ok().stdout().trim().to_owned();
    let k = key("p256.pub.pem");
    let offline = |extra: &[&str]| {
        let mut args = vec!["pull", REPO, "--public-key", k.to_str().unwrap()];
        args.extend_from_slice(extra);
        let mut c = env.cmd(&args);
        c.env("HF_HUB_OFFLINE", "1");
        run(c)
    };
    env.hub.clear_requests();
    offline(&["config.json"]).ok().stdout_has(&printed);
    assert!(env.hub.requests().is_empty(), "HF_HUB_OFFLINE used the network");
    // The whole model is not in the cache: offline, that is a definite "no".
    offline(&[])
        .expect_code(1)
        .stderr_has("missing: model.safetensors");
    // A file the partial snapshot lacks is not cached.
    offline(&["model.safetensors"])
        .expect_code(2)
        .stderr_has("model.safetensors");
    // A tampered blob of the partial snapshot is caught.
    let blob = std::fs::canonicalize(&printed).unwrap();
    std::fs::write(&blob, b"{\"tampered\": true}").unwrap();
    offline(&["config.json"])
        .expect_code(1)
        .stderr_has("modified: config.json");
}

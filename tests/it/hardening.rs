//! What a hostile hub, a prepared cache or an untrusted working directory must never achieve:
//! one test per class of the security review, each against the local hub, each failing when its
//! fix is reverted. "Exactly the verified files" means: the printed directory lists precisely the
//! signed files plus the signature, and nothing outside the cache or the local directory changed.

use crate::support::hub::Fault;
use crate::support::hub_env::{Env, REPO, refused};
use crate::support::{files_in, signed_model, tree_state};
use crate::support::{key, run, write};
use std::collections::BTreeSet;
use std::path::PathBuf;

/// The files of the fixture repository the signature covers, plus the signature: the fixture
/// model as committed (the hub copy adds only the unsigned `.gitattributes`).
fn signed_files() -> BTreeSet<String> {
    let set = files_in(&crate::support::fixtures().join("models/tiny-bert"));
    assert!(
        set.contains("model.sig") && set.contains("model.safetensors"),
        "{set:?}"
    );
    set
}

fn pubkey() -> String {
    key("p256.pub.pem").to_str().unwrap().to_owned()
}

#[test]
fn fixture_file_list_is_what_the_signature_covers() {
    // Guards the helper the other tests compare against.
    let env = Env::new();
    let snap = PathBuf::from(env.pull(&[]).ok().stdout().trim());
    assert_eq!(files_in(&snap), signed_files());
}

#[test]
fn planted_files_in_an_existing_snapshot_do_not_survive_a_verified_pull() {
    let env = Env::new();
    let commit = env.hub.head(REPO, "main").unwrap();
    let snap = env
        .cache()
        .join("models--hubsign--tiny-bert/snapshots")
        .join(&commit);
    // Planted before the first pull (a plain download, another tool, an attacker)...
    write(&snap.join("evil.py"), b"import os; os.system('evil')\n");
    write(&snap.join("tokenizer/planted.json"), b"{}");
    for extra in [&[][..], &["--ignore-unsigned-files"][..]] {
        let out = PathBuf::from(env.pull(extra).ok().stdout().trim());
        assert_eq!(out, snap);
        assert_eq!(files_in(&snap), signed_files(), "with {extra:?}");
        assert!(
            !env.cache()
                .join("models--hubsign--tiny-bert/trees")
                .join(format!("{commit}.json"))
                .exists(),
            "trees/ written for an incomplete snapshot"
        );
        // ... and after it.
        write(&snap.join("evil.py"), b"planted again\n");
    }
    // The cache check refuses a snapshot holding a file the signature does not cover, even with
    // --ignore-unsigned-files: the directory it would print must hold only verified files.
    for extra in [&[][..], &["--ignore-unsigned-files"][..]] {
        let mut args = vec!["verify-cache", REPO, "--public-key"];
        let k = pubkey();
        args.push(&k);
        args.extend_from_slice(extra);
        let r = run(env.cmd(&args));
        r.expect_code(1).stderr_has("unexpected: evil.py");
        assert!(r.stdout().is_empty());
    }
}

/// The files of a local directory outside hubsign's own `.cache/hubsign/` folder.
fn user_visible(dir: &std::path::Path) -> BTreeSet<String> {
    files_in(dir)
        .into_iter()
        .filter(|f| !f.starts_with(".cache/hubsign/"))
        .collect()
}

#[test]
fn a_local_dir_holding_files_outside_the_signature_is_refused_or_replaced_with_force() {
    let env = Env::new();
    let dir = env.work.path().join("out");
    write(&dir.join("notes.txt"), b"the user's own notes");
    write(
        &dir.join("config.json"),
        b"the user's, not hubsign's: never overwritten",
    );
    let before = tree_state(&dir);
    let d = dir.to_str().unwrap();
    env.hub.clear_requests();
    let r = env.pull(&["--local-dir", d]);
    r.expect_code(2)
        .stderr_has("notes.txt")
        .stderr_has("config.json")
        .stderr_has("--force");
    assert!(r.stdout().is_empty());
    assert_eq!(
        tree_state(&dir),
        before,
        "a refused --local-dir pull changed the directory"
    );
    assert!(
        env.hub
            .requests()
            .iter()
            .all(|q| !q.path.contains("model.safetensors")),
        "weights downloaded for a directory that was going to be refused"
    );
    let out = PathBuf::from(env.pull(&["--local-dir", d, "--force"]).ok().stdout().trim());
    assert_eq!(out, dir);
    assert_eq!(user_visible(&dir), signed_files(), "{:?}", tree_state(&dir));
    // A re-pull into the directory it made is fine without --force.
    env.pull(&["--local-dir", d]).ok();
}

/// Regression: `pull --local-dir . --force` deleted the user's `train.py`, `key.pem` and
/// `data/a.csv`. Now every byte of them is kept (moved aside beside the directory, listed on
/// stderr and in --json), hubsign replaces only files it placed itself and nobody changed
/// since, and no pull leaves an empty `.cache/hubsign/` behind. Regression: they were moved into
/// `DIR/.cache/hubsign/displaced-*/`, so `hubsign sign DIR` signed the user's `key.pem` (and a
/// push would upload it), and `hubsign verify DIR` failed on hubsign's own `placed.json`.
#[test]
fn force_moves_the_users_files_aside_and_never_deletes_a_byte() {
    let env = Env::new();
    let dir = env.work.path().join("project");
    let theirs: &[(&str, &[u8])] = &[
        ("train.py", b"import torch  # the user's training script\n"),
        ("key.pem", b"-----BEGIN PRIVATE KEY-----\nnot hubsign's\n"),
        ("data/a.csv", b"x,y\n1,2\n"),
        (
            "config.json",
            b"{\"the user's\": \"config, same name as a signed file\"}",
        ),
    ];
    for (rel, bytes) in theirs {
        write(&dir.join(rel), bytes);
    }
    std::os::unix::fs::symlink("train.py", dir.join("link.py")).unwrap();
    // A folder where a signed file goes.
    write(
        &dir.join("README.md/draft.txt"),
        b"a folder named like a signed file\n",
    );
    // Refused: nothing moved, nothing made (not even an empty .cache/hubsign).
    let before = tree_state(&dir);
    env.pull(&["--local-dir", dir.to_str().unwrap()])
        .expect_code(2)
        .stderr_has("train.py")
        .stderr_has("data/a.csv");
    assert_eq!(tree_state(&dir), before);
    // `--local-dir . --force`, run inside the directory as the user did.
    let mut c = env.cmd(&[
        "pull",
        REPO,
        "--public-key",
        &pubkey(),
        "--local-dir",
        ".",
        "--force",
        "--json",
    ]);
    c.current_dir(&dir);
    let r = run(c);
    r.ok()
        .stderr_has("Moved 6 files hubsign did not place into")
        .stderr_has("  data/a.csv")
        .stderr_has("  key.pem");
    let doc: serde_json::Value = serde_json::from_str(&r.stdout()).unwrap();
    assert_eq!(
        doc["displaced"]["files"],
        serde_json::json!([
            "README.md",
            "config.json",
            "data/a.csv",
            "key.pem",
            "link.py",
            "train.py"
        ])
    );
    let folder = PathBuf::from(doc["displaced"]["folder"].as_str().unwrap());
    let beside = |f: &std::path::Path| {
        f.parent().map(|p| p.canonicalize().unwrap()).as_deref() == dir.canonicalize().unwrap().parent()
            && f.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with(".project.hubsign-displaced-")
    };
    assert!(beside(&folder), "{folder:?}");
    // Every byte of theirs is there.
    for (rel, bytes) in theirs {
        assert_eq!(std::fs::read(folder.join(rel)).unwrap(), *bytes, "{rel}");
    }
    assert_eq!(
        std::fs::read_link(folder.join("link.py")).unwrap(),
        PathBuf::from("train.py")
    );
    assert_eq!(
        std::fs::read(folder.join("README.md/draft.txt")).unwrap(),
        b"a folder named like a signed file\n"
    );
    assert_eq!(user_visible(&dir), signed_files(), "{:?}", tree_state(&dir));
    // hubsign's folder holds only its record: no staging, nothing of the user's.
    assert_eq!(
        files_in(&dir.join(".cache")),
        BTreeSet::from(["hubsign/placed.json".to_owned()])
    );
    // The directory verifies as pulled, and signs (and would push) exactly the verified files.
    let mut c = env.cmd(&["verify", ".", "--public-key", &pubkey()]);
    c.current_dir(&dir);
    run(c).ok().stdout_has("Verification succeeded");
    let digest = |m: &std::path::Path| env.cmd(&["digest", m.to_str().unwrap()]);
    assert_eq!(
        run(digest(&dir)).ok().stdout(),
        run(digest(&crate::support::fixtures().join("models/tiny-bert")))
            .ok()
            .stdout()
    );
    // A re-pull replaces hubsign's own files without --force; a file the user changed since is
    // theirs again: refused, then moved aside with --force.
    env.pull(&["--local-dir", dir.to_str().unwrap()]).ok();
    write(&dir.join("README.md"), b"my notes on this model\n");
    env.pull(&["--local-dir", dir.to_str().unwrap()])
        .expect_code(2)
        .stderr_has("README.md");
    assert_eq!(
        std::fs::read(dir.join("README.md")).unwrap(),
        b"my notes on this model\n"
    );
    env.pull(&["--local-dir", dir.to_str().unwrap(), "--force"])
        .ok()
        .stderr_has("Moved 1 file hubsign did not place into")
        .stderr_has("  README.md");
    let kept = std::fs::read_dir(env.work.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|f| beside(f) && f != &folder)
        .map(|f| std::fs::read(f.join("README.md")).unwrap())
        .collect::<Vec<_>>();
    assert_eq!(kept, vec![b"my notes on this model\n".to_vec()]);
    let mut c = env.cmd(&["verify", dir.to_str().unwrap(), "--public-key", &pubkey()]);
    c.current_dir(env.work.path());
    run(c).ok();
    // A pull into a fresh directory that fails leaves no empty folders behind.
    let fresh = env.work.path().join("fresh");
    env.hub.inject(Fault::CorruptBody {
        path: "model.safetensors".into(),
    });
    env.pull(&["--local-dir", fresh.to_str().unwrap()])
        .expect_code(1)
        .stderr_has("model.safetensors");
    assert!(!fresh.exists(), "{:?}", tree_state(&fresh));
}

#[test]
fn symlinked_parents_are_never_written_through() {
    // 1. --local-dir: a directory symlink where the model has a folder.
    let env = Env::new();
    let outside = env.work.path().join("outside");
    write(&outside.join("vocab.txt"), b"outside, must not change");
    let outside_before = tree_state(&outside);
    let dir = env.work.path().join("out");
    std::fs::create_dir_all(&dir).unwrap();
    std::os::unix::fs::symlink(&outside, dir.join("tokenizer")).unwrap();
    let d = dir.to_str().unwrap();
    env.pull(&["--local-dir", d])
        .expect_code(2)
        .stderr_has("tokenizer");
    assert_eq!(tree_state(&outside), outside_before);
    // With --force the symlink itself is replaced by a real directory; its target is untouched.
    env.pull(&["--local-dir", d, "--force"]).ok();
    assert_eq!(tree_state(&outside), outside_before, "wrote through the symlink");
    assert!(
        !std::fs::symlink_metadata(dir.join("tokenizer"))
            .unwrap()
            .is_symlink()
    );
    assert_eq!(user_visible(&dir), signed_files());

    // 2. The cache: a symlinked blobs/ directory is refused, nothing lands outside.
    let env = Env::new();
    let outside = env.work.path().join("outside-blobs");
    std::fs::create_dir_all(&outside).unwrap();
    let repo = env.cache().join("models--hubsign--tiny-bert");
    std::fs::create_dir_all(&repo).unwrap();
    std::os::unix::fs::symlink(&outside, repo.join("blobs")).unwrap();
    refused(&env, &[], 2, "blobs");
    assert!(
        std::fs::read_dir(&outside).unwrap().next().is_none(),
        "a blob was written outside"
    );

    // 3. An existing snapshot whose folder is a symlink out of the cache: replaced by the fresh
    //    snapshot, the outside directory is untouched.
    let env = Env::new();
    let commit = env.hub.head(REPO, "main").unwrap();
    let outside = env.work.path().join("outside-snap");
    write(&outside.join("vocab.txt"), b"outside");
    let outside_before = tree_state(&outside);
    let snap = env
        .cache()
        .join("models--hubsign--tiny-bert/snapshots")
        .join(&commit);
    std::fs::create_dir_all(&snap).unwrap();
    std::os::unix::fs::symlink(&outside, snap.join("tokenizer")).unwrap();
    env.pull(&[]).ok();
    assert_eq!(
        tree_state(&outside),
        outside_before,
        "wrote through a snapshot symlink"
    );
    assert_eq!(files_in(&snap), signed_files());
    assert!(
        !std::fs::symlink_metadata(snap.join("tokenizer"))
            .unwrap()
            .is_symlink()
    );
}

#[test]
fn a_cached_blob_that_is_a_symlink_is_downloaded_again_and_replaced() {
    let env = Env::new();
    let snap = PathBuf::from(env.pull(&[]).ok().stdout().trim());
    let target = std::fs::read_link(snap.join("model.safetensors")).unwrap();
    let blob = snap.join(&target);
    let outside = env.work.path().join("weights-outside");
    std::fs::copy(&blob, &outside).unwrap();
    std::fs::remove_file(&blob).unwrap();
    std::os::unix::fs::symlink(&outside, &blob).unwrap();
    // Its content is right at this moment, but it is not a file inside the cache.
    let r = env.pull(&[]);
    r.ok();
    assert!(
        !r.stderr().contains(" 0 bytes downloaded"),
        "the symlinked blob was reused: {}",
        r.stderr()
    );
    assert!(std::fs::symlink_metadata(&blob).unwrap().file_type().is_file());
    // Editing the outside file no longer changes the cached model.
    crate::support::flip_byte(&outside, 100);
    run(env.cmd(&["verify-cache", REPO, "--public-key", &pubkey()])).ok();
}

#[test]
fn revisions_that_are_not_git_ref_names_are_refused_before_any_request() {
    let env = Env::new();
    let outside = env.cache().join("models--hubsign--tiny-bert/../../x");
    for (model, extra) in [
        (format!("{REPO}@../../../x"), vec![]),
        (REPO.to_owned(), vec!["--revision", "../../x"]),
        (REPO.to_owned(), vec!["--revision", "/abs"]),
        (REPO.to_owned(), vec!["--revision", "a//b"]),
        (REPO.to_owned(), vec!["--revision", "bad\nname"]),
    ] {
        env.hub.clear_requests();
        let k = pubkey();
        let mut args = vec!["pull", model.as_str(), "--public-key", k.as_str()];
        args.extend(extra.iter().copied());
        let before = env.state();
        let r = run(env.cmd(&args));
        r.expect_code(2).stderr_has("invalid revision");
        assert!(
            env.hub.requests().is_empty(),
            "{model} {extra:?}: the hub was asked"
        );
        assert_eq!(env.state(), before);
        assert!(!outside.exists());
    }
    // Also for check and verify-cache.
    let k = pubkey();
    for cmd in ["check", "verify-cache"] {
        run(env.cmd(&[cmd, REPO, "--revision", "../x", "--public-key", &k]))
            .expect_code(2)
            .stderr_has("invalid revision");
    }
}

#[test]
fn presigned_urls_never_reach_the_output() {
    // The hub redirects the LFS download to a signed CDN URL on an origin that refuses
    // connections: reqwest's own message for that carries the full URL, query included.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let origin = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    for json in [false, true] {
        let env = Env::new();
        env.hub.inject(Fault::RedirectLfsTo {
            origin: origin.clone(),
        });
        let k = pubkey();
        let mut args = vec!["pull", REPO, "--public-key", k.as_str()];
        if json {
            args.insert(0, "--json");
        }
        let r = run(env.cmd(&args));
        r.expect_code(2);
        let all = format!("{}{}", r.stdout(), r.stderr());
        assert!(all.contains(&origin), "the error does not name the origin: {all}");
        for secret in [
            "Signature=local-hub",
            "Expires=",
            "response-content-disposition",
            "?repo",
        ] {
            assert!(!all.contains(secret), "json={json}: {secret:?} leaked: {all}");
        }
    }
}

#[test]
fn hostile_bodies_cost_bounded_memory_and_looping_pagination_ends_at_once() {
    // A signature listed as a few KiB that never ends.
    let env = Env::new();
    env.hub.inject(Fault::EndlessBody {
        path_contains: "/resolve/".into(),
    });
    refused(&env, &[], 2, "longer than the");
    let sent = env.hub.hostile_bytes_sent();
    assert!(sent < 64 << 20, "{sent} bytes of an endless signature were read");
    // A tree listing that never ends.
    let env = Env::new();
    env.hub.inject(Fault::EndlessBody {
        path_contains: "/tree/".into(),
    });
    refused(&env, &[], 2, "larger than");
    let sent = env.hub.hostile_bytes_sent();
    assert!(sent < 100 << 20, "{sent} bytes of an endless listing were read");
    // Pagination that leads back to the page just read.
    let env = Env::new();
    env.hub.inject(Fault::LoopingPagination);
    env.hub.clear_requests();
    refused(&env, &[], 2, "pages in a loop");
    let pages = env
        .hub
        .requests()
        .iter()
        .filter(|q| q.path.contains("/tree/"))
        .count();
    assert!(pages <= 2, "{pages} tree pages requested");
}

#[test]
fn whom_to_trust_never_comes_from_the_working_directory() {
    let env = Env::new();
    let cwd = env.work.path().join("untrusted-checkout");
    std::fs::create_dir_all(&cwd).unwrap();
    let policy = format!(
        "[[trust]]\nrepos = [\"hubsign/*\"]\npublic-key = {:?}\n",
        pubkey()
    );
    std::fs::write(cwd.join("hubsign.toml"), &policy).unwrap();
    let mut c = env.cmd(&["check", REPO]);
    c.current_dir(&cwd)
        .env("HOME", env.home.path())
        .env_remove("XDG_CONFIG_HOME");
    run(c).expect_code(2).stderr_has("say whom to trust");
    // HUBSIGN_POLICY and the user's config directory are read.
    let mut c = env.cmd(&["check", REPO]);
    c.current_dir(&cwd)
        .env("HOME", env.home.path())
        .env("HUBSIGN_POLICY", cwd.join("hubsign.toml"));
    run(c).ok();
    let config = env.home.path().join("config");
    write(&config.join("hubsign/hubsign.toml"), policy.as_bytes());
    let mut c = env.cmd(&["check", REPO]);
    c.current_dir(&cwd).env("XDG_CONFIG_HOME", &config);
    run(c).ok();
    // Repository patterns ignore case: a rule for HubSign/* binds hubsign/tiny-bert too (here to
    // the wrong key, so the match shows as a refusal).
    let strict = env.work.path().join("strict.toml");
    std::fs::write(
        &strict,
        format!(
            "[[trust]]\nrepos = [\"HubSign/*\"]\npublic-key = {:?}\n",
            key("other-p256.pub.pem").to_str().unwrap()
        ),
    )
    .unwrap();
    run(env.cmd(&["check", REPO, "--policy", strict.to_str().unwrap()]))
        .expect_code(1)
        .stderr_has("key mismatch");
}

#[test]
fn a_signature_over_an_empty_manifest_is_refused() {
    let env = Env::new();
    let m = signed_model(&env.work.path().join("e"));
    // A validly signed statement with no resources (and the subject digest of nothing).
    let k = hubsign::crypto::ec::PrivateKeyPem::parse(&std::fs::read_to_string(key("p256.pem")).unwrap())
        .unwrap()
        .into_key(None)
        .unwrap();
    let mut st: serde_json::Value =
        serde_json::from_slice(&base64_payload(&std::fs::read(m.join("model.sig")).unwrap())).unwrap();
    st["predicate"]["resources"] = serde_json::json!([]);
    st["subject"][0]["digest"]["sha256"] =
        serde_json::json!(hex::encode(hubsign::manifest::root_digest(std::iter::empty::<
            &[u8],
        >())));
    let payload = serde_json::to_vec(&st).unwrap();
    let sig = k.sign_der(&hubsign::oms::dsse::pae(
        hubsign::oms::dsse::IN_TOTO_PAYLOAD_TYPE,
        &payload,
    ));
    use base64::Engine as _;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let bundle = serde_json::json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {"publicKey": {"hint": k.verifying_key().hint()}, "tlogEntries": []},
        "dsseEnvelope": {"payload": b64(&payload), "payloadType": hubsign::oms::dsse::IN_TOTO_PAYLOAD_TYPE,
            "signatures": [{"sig": b64(&sig), "keyid": ""}]},
    });
    std::fs::write(m.join("model.sig"), serde_json::to_vec(&bundle).unwrap()).unwrap();
    // Locally (every file then "unexpected" unless ignored) ...
    let r = crate::support::hs([
        "verify".as_ref(),
        m.as_os_str(),
        "--public-key".as_ref(),
        key("p256.pub.pem").as_os_str(),
        "--ignore-unsigned-files".as_ref(),
    ]);
    r.expect_code(1).stderr_has("empty");
    // ... and from the hub, with every file ignored as unsigned.
    env.hub.add_commit(REPO, &m);
    refused(&env, &["--ignore-unsigned-files"], 1, "empty");
}

fn base64_payload(bundle: &[u8]) -> Vec<u8> {
    use base64::Engine as _;
    let v: serde_json::Value = serde_json::from_slice(bundle).unwrap();
    base64::engine::general_purpose::STANDARD
        .decode(v["dsseEnvelope"]["payload"].as_str().unwrap())
        .unwrap()
}

#[test]
fn a_listing_that_names_a_file_twice_is_refused() {
    // The second entry claims other content for the same path: which one would be checked?
    let env = Env::new();
    env.hub.inject(Fault::RawTreeEntry(serde_json::json!({
        "type": "file", "oid": "1".repeat(40), "size": 3, "path": "config.json"
    })));
    refused(&env, &[], 2, "listed twice");
}

#[test]
fn a_failing_file_costs_at_most_one_retry_budget_of_requests() {
    // One retry loop per file (never a loop around a call that already retries): a file whose
    // every request fails costs at most `attempts` (5) requests, however it fails.
    let env = Env::new();
    env.hub.inject(Fault::ServerError {
        path_contains: "config.json".into(),
        status: 503,
        times: 1000,
    });
    refused(&env, &[], 2, "503");
    let reqs: Vec<String> = env
        .hub
        .requests()
        .iter()
        .filter(|r| r.path.contains("config.json"))
        .map(|r| r.path.clone())
        .collect();
    assert!(
        reqs.len() <= 5,
        "{} requests for one failing file: {reqs:?}",
        reqs.len()
    );
    let env = Env::new();
    env.hub.inject(Fault::TruncateBody {
        path: "model.safetensors".into(),
        after: 1000,
        times: 1000,
    });
    refused(&env, &[], 2, "gave up after 5 attempts");
    // Each attempt is the hub's redirect plus one CDN request.
    let n = env
        .hub
        .requests()
        .iter()
        .filter(|r| r.origin == crate::support::hub::Origin::Cdn)
        .count();
    assert!(n <= 5, "{n} CDN requests for one failing file");
}

#[test]
fn a_long_transfer_that_keeps_progressing_survives_more_drops_than_the_budget() {
    // Six dropped connections, each after 9 MiB of a 60 MiB file: more drops than the 5-attempt
    // budget, but every one after real progress, so the transfer resumes each time and verifies.
    let env = Env::new();
    let m = signed_model(&env.work.path().join("big"));
    write(
        &m.join("big.safetensors"),
        &crate::support::det_bytes("big.safetensors", 60 << 20),
    );
    std::fs::remove_file(m.join("model.sig")).unwrap();
    let k = key("p256.pem");
    run({
        let mut c = crate::support::hubsign();
        c.arg("sign").arg(&m).arg("--private-key").arg(&k);
        c
    })
    .ok();
    env.hub.add_commit(REPO, &m);
    env.hub.inject(Fault::TruncateBody {
        path: "big.safetensors".into(),
        after: 9 << 20,
        times: 100,
    });
    env.pull(&["--ignore-unsigned-files"]).ok();
    let ranges = env
        .hub
        .requests()
        .iter()
        .filter(|r| r.origin == crate::support::hub::Origin::Cdn && r.range.is_some())
        .count();
    assert!(ranges >= 6, "{ranges} resumed requests");
}

/// A signature with a one-byte shard size, next to a large file it does not cover (or covers at
/// another size): verify and audit say "unexpected"/"modified" without hashing that file shard
/// by shard. Before the fix this made one hashing task per byte (gigabytes of memory for a few
/// MiB); here the process runs under a 2 GiB address-space limit, which that would exceed.
#[test]
fn a_tiny_shard_size_cannot_make_verification_hash_unsigned_bytes_one_by_one() {
    let dir = crate::support::tempdir();
    let m = dir.path().join("m");
    write(&m.join("a.txt"), b"abc");
    crate::support::hs([
        "sign",
        m.to_str().unwrap(),
        "--private-key",
        key("p256.pem").to_str().unwrap(),
        "--shard-size",
        "1",
    ])
    .ok();
    write(&m.join("big.bin"), &crate::support::det_bytes("big", 24 << 20));
    let verify = || {
        let mut c = std::process::Command::new("sh");
        c.arg("-c")
            .arg("ulimit -v 2097152 && exec \"$0\" \"$@\"")
            .arg(env!("CARGO_BIN_EXE_hubsign"))
            .args(["verify", m.to_str().unwrap(), "--public-key", &pubkey(), "--json"]);
        run(c)
    };
    let r = verify();
    r.expect_code(1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout()).unwrap();
    assert_eq!(v["unexpected"], serde_json::json!(["big.bin"]), "{v}");
    // The signed file grown to many shards: modified, not hashed per byte either.
    write(&m.join("a.txt"), &crate::support::det_bytes("grown", 24 << 20));
    std::fs::remove_file(m.join("big.bin")).unwrap();
    let r = verify();
    r.expect_code(1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout()).unwrap();
    assert_eq!(v["modified"], serde_json::json!(["a.txt"]), "{v}");
}

/// A hub that answers a pinned commit with another one (older or newer, also signed: a
/// signature does not name its commit) is refused: `pull org/name@<commit>` gets that commit
/// or nothing.
#[test]
fn a_hub_substituting_another_commit_for_a_pinned_one_is_refused() {
    let env = Env::new();
    let first = env
        .hub
        .add_commit(REPO, &signed_model(&env.work.path().join("again")));
    let moved = signed_model(&env.work.path().join("moved"));
    write(&moved.join("README.md"), b"moved on\n");
    std::fs::remove_file(moved.join("model.sig")).unwrap();
    crate::support::hs([
        "sign",
        moved.to_str().unwrap(),
        "--private-key",
        key("p256.pem").to_str().unwrap(),
    ])
    .ok();
    let second = env.hub.add_commit(REPO, &moved);
    env.hub.inject(Fault::ResolveRevisionTo {
        from: first.clone(),
        to: second.clone(),
    });
    let before = env.state();
    env.pull(&["--revision", &first])
        .expect_code(2)
        .stderr_has(&format!(
            "asked for commit {first}, the hub answered commit {second}"
        ));
    assert_eq!(env.state(), before);
}

/// Only what hubsign writes in its folder (`.cache/hubsign/placed.json`, a regular file, and
/// the staging root, a real directory) is left out of a model directory. Regression: everything
/// under `.cache/hubsign/` was skipped, so a file a repository carries there (fetched with
/// `hf download --local-dir`) passed `hubsign verify` unsigned.
#[test]
fn verify_skips_only_hubsigns_own_files_in_its_folder() {
    let dir = crate::support::tempdir();
    let m = signed_model(dir.path());
    let verify = || {
        let mut c = crate::support::hubsign();
        c.arg("verify")
            .arg(&m)
            .arg("--public-key")
            .arg(key("p256.pub.pem"));
        run(c)
    };
    verify().ok();
    write(&m.join(".cache/hubsign/placed.json"), b"{\"files\":{}}");
    verify().ok().stdout_has("Verification succeeded");
    // Partial downloads an interrupted pull kept are bytes nobody signed: named, not passed over.
    write(&m.join(".cache/hubsign/staging/x--y@0/files/a.part"), b"partial");
    verify()
        .expect_code(1)
        .stderr_has("unexpected: .cache/hubsign/staging/x--y@0/files/a.part");
    std::fs::remove_dir_all(m.join(".cache/hubsign/staging")).unwrap();
    verify().ok();
    write(&m.join(".cache/hubsign/payload.py"), b"import os\n");
    verify()
        .expect_code(1)
        .stderr_has("unexpected: .cache/hubsign/payload.py");
    std::fs::remove_file(m.join(".cache/hubsign/payload.py")).unwrap();
    // The record's name as a folder is not hubsign's record.
    std::fs::remove_file(m.join(".cache/hubsign/placed.json")).unwrap();
    write(&m.join(".cache/hubsign/placed.json/payload.py"), b"import os\n");
    verify()
        .expect_code(1)
        .stderr_has("unexpected: .cache/hubsign/placed.json/payload.py");
}

//! What lies in a staging folder is never trusted beyond what this pull wrote and hashed: a
//! file swapped after hashing is not committed, a kept partial download another user could
//! write (or that is linked elsewhere) is not resumed into, a symlink planted at a staging name
//! is never written through, and a server that does not honour `Range` costs one full fetch.

use crate::support::hub::Fault;
use crate::support::hub_env::{Env, REPO};
use crate::support::{hs, key, tempdir, write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use testhub::wait_for;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(crate::support::fixtures().join("models/tiny-bert").join(name)).unwrap()
}

fn sha256_hex(b: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(b))
}

/// The staging folder a pull of `REPO` at `commit` into the HF cache resumes from.
fn cache_staging(env: &Env, commit: &str) -> PathBuf {
    env.home
        .path()
        .join(".hub.hubsign-staging")
        .join(format!("models--hubsign--tiny-bert@{commit}"))
}

/// The name a kept partial download of the weights has.
fn weights_part() -> String {
    let w = fixture("model.safetensors");
    format!("{}-{}.part", sha256_hex(&w), w.len())
}

/// The (range, status) of each GET of the weights that the hub answered with bytes.
fn weight_gets(env: &Env) -> Vec<(Option<String>, u16)> {
    env.hub
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("model.safetensors") && r.method == "GET" && r.status / 100 == 2)
        .map(|r| (r.range, r.status))
        .collect()
}

fn verify_cache(env: &Env) {
    crate::support::run(env.cmd(&[
        "verify-cache",
        REPO,
        "--public-key",
        key("p256.pub.pem").to_str().unwrap(),
    ]))
    .ok();
}

/// Someone who can write the staging root pre-creates the predictable folder (writable by
/// others) with a prefix of the weights: it is not resumed from, the weights come whole. (A
/// folder of this user's, as here, is made private and what it held is dropped, not used.)
#[test]
fn a_staging_folder_others_can_write_is_not_resumed_from() {
    use std::os::unix::fs::PermissionsExt as _;
    let env = Env::new();
    let commit = env.hub.head(REPO, "main").unwrap();
    let dir = cache_staging(&env, &commit);
    let weights = fixture("model.safetensors");
    let planted = dir.join("files").join(weights_part());
    write(&planted, &weights[..weights.len() / 2]);
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    env.pull(&[]).ok();
    assert_eq!(
        weight_gets(&env),
        vec![(None, 200)],
        "resumed from a folder others can write"
    );
    assert!(
        std::fs::read(&planted).map_or(true, |b| sha256_hex(&b)
            == sha256_hex(&weights[..weights.len() / 2])),
        "the planted file was used"
    );
    verify_cache(&env);
}

/// A kept partial that is a hard link to a file elsewhere is not written into (the committed
/// blob would stay an inode its other name can rewrite): it is replaced by a fresh file.
#[test]
fn a_hard_linked_kept_partial_is_not_written_through() {
    use std::os::unix::fs::MetadataExt as _;
    let env = Env::new();
    let commit = env.hub.head(REPO, "main").unwrap();
    let weights = fixture("model.safetensors");
    let outside = env.work.path().join("outside");
    write(&outside, &weights[..weights.len() / 2]);
    let files = cache_staging(&env, &commit).join("files");
    std::fs::create_dir_all(&files).unwrap();
    std::fs::hard_link(&outside, files.join(weights_part())).unwrap();
    let r = env.pull(&[]);
    r.ok();
    assert_eq!(
        std::fs::metadata(&outside).unwrap().len(),
        (weights.len() / 2) as u64,
        "the pull wrote into a file linked elsewhere"
    );
    let blob = env
        .cache()
        .join("models--hubsign--tiny-bert/blobs")
        .join(sha256_hex(&weights));
    assert_eq!(std::fs::metadata(&blob).unwrap().nlink(), 1);
    assert!(std::fs::read(&blob).unwrap() == weights);
    verify_cache(&env);
}

/// A staged file replaced after it was hashed (while another file is still downloading) is
/// not committed as verified: the pull refuses (exit 2) or places the verified bytes.
#[test]
fn a_staged_file_swapped_after_hashing_is_not_committed() {
    let env = Env::new();
    let commit = env.hub.head(REPO, "main").unwrap();
    let config = fixture("config.json");
    let oid = crate::support::hub::git_object_sha1("blob", &config);
    let part = cache_staging(&env, &commit)
        .join("files")
        .join(format!("{oid}-{}.part", config.len()));
    let child = env.pull_stalled_at("model.safetensors", 1000, Duration::from_secs(4), &[]);
    wait_for("the config to be staged", || {
        std::fs::metadata(&part).is_ok_and(|m| m.len() == config.len() as u64)
    });
    // Same length, other bytes, another inode.
    let mut other = config.clone();
    other[0] ^= 0x20;
    let tmp = part.with_file_name("swap.tmp");
    std::fs::write(&tmp, &other).unwrap();
    std::fs::rename(&tmp, &part).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let placed = std::fs::read(
        env.cache()
            .join("models--hubsign--tiny-bert/snapshots")
            .join(&commit)
            .join("config.json"),
    );
    match out.status.code() {
        Some(2) => assert!(stderr.contains("changed after this pull verified it"), "{stderr}"),
        code => {
            assert_eq!(code, Some(0), "{stderr}");
            assert!(placed.is_ok(), "{stderr}");
        }
    }
    if let Ok(bytes) = placed {
        assert!(bytes == config, "swapped bytes committed: {stderr}");
    }
}

/// A symlink planted at a predictable staging name while the pull runs (here the names the
/// reused files of a `--local-dir` pull are copied to) is never written through.
#[test]
fn a_symlink_planted_at_a_staging_name_is_not_written_through() {
    let env = Env::new();
    let commit = env.hub.head(REPO, "main").unwrap();
    env.pull(&[]).ok();
    // The README's blob goes, so the next pull downloads it (stalled) and reuses the others.
    let readme = env
        .cache()
        .join("models--hubsign--tiny-bert/snapshots")
        .join(&commit)
        .join("README.md");
    std::fs::remove_file(std::fs::canonicalize(&readme).unwrap()).unwrap();
    env.hub.clear_requests();
    let victim = env.work.path().join("victim");
    write(&victim, b"do not touch");
    let dir = env.work.path().join("out");
    let child = env.pull_stalled_at(
        "README.md",
        10,
        Duration::from_secs(3),
        &["--local-dir", dir.to_str().unwrap(), "--concurrency", "1"],
    );
    let folder = find_dir(&dir.join(".cache"), &format!("hubsign--tiny-bert@{commit}"))
        .expect("the pull's staging folder");
    let config = fixture("config.json");
    let names = [
        format!(
            "{}-{}.part",
            crate::support::hub::git_object_sha1("blob", &config),
            config.len()
        ),
        weights_part(),
    ];
    for n in &names {
        let link = folder.join("files").join(n);
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&victim, &link).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        String::from_utf8_lossy(&std::fs::read(&victim).unwrap()).len(),
        "do not touch".len(),
        "written through a planted symlink: {stderr}"
    );
    assert!(std::fs::read(&victim).unwrap() == b"do not touch");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(std::fs::read(dir.join("config.json")).unwrap() == config);
    assert!(
        !std::fs::symlink_metadata(dir.join("config.json"))
            .unwrap()
            .is_symlink()
    );
}

/// A FIFO planted at a partial download's name while the pull runs neither hangs the pull nor
/// is read from: it is replaced by a fresh file and the download completes.
#[test]
fn a_fifo_planted_at_a_partial_name_does_not_hang_the_pull() {
    let env = Env::new();
    let commit = env.hub.head(REPO, "main").unwrap();
    env.pull(&[]).ok();
    // The README and the weights are downloaded again, the README first (and stalled).
    let snapshot = env
        .cache()
        .join("models--hubsign--tiny-bert/snapshots")
        .join(&commit);
    for f in ["README.md", "model.safetensors"] {
        std::fs::remove_file(std::fs::canonicalize(snapshot.join(f)).unwrap()).unwrap();
    }
    env.hub.clear_requests();
    let mut child = env.pull_stalled_at("README.md", 10, Duration::from_secs(3), &["--concurrency", "1"]);
    let fifo = cache_staging(&env, &commit).join("files").join(weights_part());
    let _ = std::fs::remove_file(&fifo);
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the pull hung on a FIFO at a partial download's name");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0));
    verify_cache(&env);
}

fn find_dir(root: &Path, name: &str) -> Option<PathBuf> {
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                if e.file_name() == name {
                    return Some(e.path());
                }
                stack.push(e.path());
            }
        }
    }
    None
}

/// A kept partial download and a server that answers `Range` with the whole file (200): the
/// partial is dropped and the file fetched from its first byte, once; the pull succeeds.
#[test]
fn a_server_ignoring_range_costs_one_full_fetch_not_every_later_pull() {
    let env = Env::new();
    let commit = env.hub.head(REPO, "main").unwrap();
    let weights = fixture("model.safetensors");
    let half = weights.len() / 2;
    write(
        &cache_staging(&env, &commit).join("files").join(weights_part()),
        &weights[..half],
    );
    env.hub.inject(Fault::IgnoreRange {
        path: "model.safetensors".into(),
    });
    env.pull(&[]).ok();
    assert_eq!(
        weight_gets(&env),
        vec![(Some(format!("bytes={half}-")), 200), (None, 200)]
    );
    let blob = env
        .cache()
        .join("models--hubsign--tiny-bert/blobs")
        .join(sha256_hex(&weights));
    assert!(std::fs::read(blob).unwrap() == weights);
    verify_cache(&env);
    assert!(env.staged().is_empty(), "{:?}", env.staged());
}

/// The hidden `--kdf-rounds` (for fast tests) has a floor.
#[test]
fn keygen_refuses_too_few_kdf_rounds() {
    let d = tempdir();
    let pw = d.path().join("password");
    write(&pw, b"pw\n");
    let out = d.path().join("k.pem");
    let (out, pw) = (out.to_str().unwrap(), pw.to_str().unwrap());
    hs(["keygen", out, "--password-file", pw, "--kdf-rounds", "999"]).expect_code(2);
    hs(["keygen", out, "--password-file", pw, "--kdf-rounds", "1000"]).ok();
}

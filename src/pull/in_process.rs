//! Steps 1–7 against the in-process fake hub: what the pull reports file by file
//! ([`Progress::file_verified`], which the mirror serves from), what it transfers, what it
//! reuses and what it refuses; milliseconds each.

use super::{Destination, PullOutcome};
use crate::cache::{DiskId, HfCache};
use crate::hub::fake::{Fault, Fixture, model_files};
use crate::progress::Progress;
use crate::{Error, ExitStatus};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// The files a pull reported as verified, with where it said they are.
#[derive(Default)]
struct Reported(Mutex<BTreeMap<String, DiskId>>);

impl Progress for Reported {
    fn file_verified(&self, path: &str, disk: &DiskId) {
        let mut seen = self.0.lock().unwrap();
        assert!(
            seen.insert(path.to_owned(), disk.clone()).is_none(),
            "{path} reported twice"
        );
    }
}

fn files() -> Vec<(&'static str, Vec<u8>)> {
    model_files()
}

async fn run(tamper: Option<&str>) -> (Fixture, Arc<Reported>, crate::Result<PullOutcome>) {
    let fx = Fixture::new(&files());
    if let Some(path) = tamper {
        fx.hub.replace(&fx.repo, path, b"{\"a\": 2}");
    }
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = HfCache::new(cache_dir.path());
    let reported = Arc::new(Reported::default());
    let progress: Arc<dyn Progress> = Arc::clone(&reported) as Arc<dyn Progress>;
    let outcome = fx
        .pull_request(&cache, &fx.request(Destination::Cache), progress)
        .await;
    (fx, reported, outcome)
}

#[tokio::test]
async fn every_file_is_reported_where_it_verified_and_fetched_once() {
    let (fx, reported, outcome) = run(None).await;
    let outcome = outcome.unwrap();
    let reported = reported.0.lock().unwrap();
    let mut all: Vec<&str> = files().iter().map(|(p, _)| *p).collect();
    all.push("model.sig");
    all.sort_unstable();
    assert_eq!(reported.keys().map(String::as_str).collect::<Vec<_>>(), all);
    for (path, bytes) in files() {
        assert_eq!(fx.hub.opens(path), 1, "{path}");
        // Reported with the identity of the bytes that verified (the staged file).
        assert_eq!(reported[path].len, bytes.len() as u64, "{path}");
        assert_eq!(
            outcome.disk[path].ino, reported[path].ino,
            "{path}: committed another file"
        );
    }
}

#[tokio::test]
async fn a_file_that_does_not_match_its_signed_digest_is_never_reported() {
    // config.json changed after signing; the listing names the new bytes, so only hashing
    // them against the signature finds it.
    let (_, reported, outcome) = run(Some("config.json")).await;
    assert!(
        matches!(&outcome, Err(Error::DownloadMismatch { comparison, .. }) if comparison.modified == ["config.json"]),
        "{outcome:?}"
    );
    let reported = reported.0.lock().unwrap();
    assert!(
        !reported.contains_key("config.json"),
        "a tampered file was reported verified"
    );
    // The others are authentic on their own, whatever happens to config.json.
    assert!(reported.contains_key("model.safetensors"));
    assert!(reported.contains_key("tokenizer/vocab.txt"));
}

/// A pull into a fresh Hugging Face cache; the folder is returned with the cache.
async fn pull_into_cache(fx: &Fixture) -> (tempfile::TempDir, HfCache, crate::Result<PullOutcome>) {
    let dir = tempfile::tempdir().unwrap();
    let cache = HfCache::new(dir.path());
    let outcome = fx.pull(&cache, Destination::Cache).await;
    (dir, cache, outcome)
}

/// Nothing of the repository reached the cache: no ref, no snapshot, no blob.
fn nothing_committed(cache_dir: &Path) -> bool {
    let repo_dir = cache_dir.join("models--org--model");
    let count = |d: &str| fs_err::read_dir(repo_dir.join(d)).map_or(0, Iterator::count);
    count("refs") == 0 && count("snapshots") == 0 && count("blobs") == 0
}

#[tokio::test]
async fn a_clean_pull_commits_exactly_the_signed_files() {
    let fx = Fixture::new(&files());
    let (_dir, _cache, outcome) = pull_into_cache(&fx).await;
    let outcome = outcome.unwrap();
    assert_eq!(outcome.commit, fx.commit);
    assert_eq!(outcome.files, files().len());
    assert_eq!(crate::hub::fake::read_tree(&outcome.path), fx.published());
}

#[tokio::test]
async fn a_second_pull_reuses_every_cached_blob() {
    let fx = Fixture::new(&files());
    let dir = tempfile::tempdir().unwrap();
    let cache = HfCache::new(dir.path());
    fx.pull(&cache, Destination::Cache).await.unwrap();
    let again = fx.pull(&cache, Destination::Cache).await.unwrap();
    assert_eq!(again.reused, files().len());
    assert_eq!(again.downloaded_bytes, 0);
    for (path, _) in files() {
        assert_eq!(fx.hub.opens(path), 1, "{path} was downloaded again");
    }
}

#[tokio::test]
async fn a_cached_blob_modified_in_place_is_downloaded_again() {
    let fx = Fixture::new(&files());
    let dir = tempfile::tempdir().unwrap();
    let cache = HfCache::new(dir.path());
    let first = fx.pull(&cache, Destination::Cache).await.unwrap();
    for (path, _) in files() {
        crate::hub::fake::flip_first_byte(&fs_err::canonicalize(first.path.join(path)).unwrap());
    }
    let again = fx.pull(&cache, Destination::Cache).await.unwrap();
    assert_eq!(again.reused, 0);
    for (path, _) in files() {
        assert_eq!(fx.hub.opens(path), 2, "{path}: a modified blob was reused");
    }
    assert_eq!(crate::hub::fake::read_tree(&again.path), fx.published());
}

#[tokio::test]
async fn bytes_that_differ_from_the_signed_digest_are_refused_and_nothing_is_committed() {
    let fx = Fixture::new(&files());
    fx.hub
        .replace(&fx.repo, "config.json", b"{\"model_type\": \"evil\"}");
    let (dir, _cache, outcome) = pull_into_cache(&fx).await;
    let e = outcome.unwrap_err();
    assert_eq!(e.exit_status(), ExitStatus::VerificationFailed, "{e}");
    assert!(matches!(e, Error::DownloadMismatch { .. }), "{e:?}");
    assert!(nothing_committed(dir.path()));
}

#[tokio::test]
async fn a_listing_that_differs_from_the_signature_is_refused_before_any_download() {
    let fx = Fixture::new(&files());
    // An LFS file: the listing names the new SHA-256, which is not the signed one.
    fx.hub.replace(&fx.repo, "model.safetensors", b"other weights");
    let (dir, _cache, outcome) = pull_into_cache(&fx).await;
    let e = outcome.unwrap_err();
    assert!(
        matches!(&e, Error::PreDownloadMismatch { comparison, .. } if comparison.modified == ["model.safetensors"]),
        "{e:?}"
    );
    assert_eq!(e.exit_status(), ExitStatus::VerificationFailed);
    for (path, _) in files() {
        assert_eq!(fx.hub.opens(path), 0, "{path} was downloaded");
    }
    assert!(nothing_committed(dir.path()));
}

#[tokio::test]
async fn a_transient_503_is_retried_and_the_pull_succeeds() {
    let fx = Fixture::new(&files());
    fx.hub.fault("config.json", Fault::Status(503));
    fx.hub.fault("config.json", Fault::Status(503));
    let (_dir, _cache, outcome) = pull_into_cache(&fx).await;
    let outcome = outcome.unwrap();
    assert_eq!(fx.hub.opens("config.json"), 3);
    assert_eq!(crate::hub::fake::read_tree(&outcome.path), fx.published());
}

#[tokio::test]
async fn a_truncated_stream_is_resumed_where_it_broke() {
    let fx = Fixture::new(&files());
    fx.hub.fault("model.safetensors", Fault::Truncate(50_000));
    let (_dir, _cache, outcome) = pull_into_cache(&fx).await;
    let outcome = outcome.unwrap();
    // The second request asks only for the bytes still missing.
    assert_eq!(fx.hub.froms("model.safetensors"), [0, 50_000]);
    assert_eq!(crate::hub::fake::read_tree(&outcome.path), fx.published());
}

/// A claims file listed beside the signature: checked in the plan (the lead's `inspect REPO`
/// reads `Plan::claims`), a requirement it does not meet refused before any weight is opened,
/// and the file committed beside the signature.
#[tokio::test]
async fn the_plan_exposes_the_checked_claims_and_enforces_requirements_before_any_weight() {
    use crate::oms::claim::{ClaimStatement, EVAL_RESULT_PREDICATE, to_line};
    use crate::policy::RequiredClaim;
    use crate::policy::claims::{Allowed, ClaimRequirement, Condition};
    let fx = Fixture::new(&files());
    let planned = super::plan(fx.hub.as_ref(), &fx.target()).await.unwrap();
    assert!(planned.claims.is_empty() && planned.claims_digest.is_none());
    let st = ClaimStatement {
        subject_name: "org/model".into(),
        subject_digest: planned.verified.subject_digest(),
        predicate_type: EVAL_RESULT_PREDICATE.into(),
        predicate: serde_json::json!({"claims": [{"metric": "acc", "passed": true}]}),
    };
    let (signer, _) = crate::hub::fake::fixture_key();
    let line = to_line(&signer.sign_statement(st.to_payload()).unwrap().to_json()).unwrap();
    fx.hub.replace(&fx.repo, "claims.jsonl", &line);
    let planned = super::plan(fx.hub.as_ref(), &fx.target()).await.unwrap();
    assert_eq!(planned.claims.len(), 1);
    assert!(planned.claims[0].is_trusted());
    assert_eq!(
        planned.claims_digest,
        Some(<sha2::Sha256 as sha2::Digest>::digest(&line).into())
    );
    assert!(!planned.skipped.contains(&"claims.jsonl".to_owned()));
    let mut target = fx.target();
    target.claims.required = vec![RequiredClaim {
        requirement: ClaimRequirement {
            predicate_type: EVAL_RESULT_PREDICATE.into(),
            signer: None,
            conditions: vec![Condition {
                key: "passed".into(),
                allowed: vec![Allowed::Value(serde_json::json!(false))],
                is_set: false,
            }],
        },
        anchor: fx.anchor.clone(),
    }];
    let err = super::plan(fx.hub.as_ref(), &target).await.unwrap_err();
    assert!(matches!(err, Error::ClaimRequired { .. }), "{err}");
    assert_eq!(err.exit_status(), ExitStatus::VerificationFailed);
    assert_eq!(
        fx.hub.opens("model.safetensors"),
        0,
        "no weight before the claims"
    );
    // The claims file is committed beside the signature.
    let (_dir, _cache, outcome) = pull_into_cache(&fx).await;
    let outcome = outcome.unwrap();
    assert_eq!(fs_err::read(outcome.path.join("claims.jsonl")).unwrap(), line);
}

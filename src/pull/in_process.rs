//! Steps 4–7 against the in-process fake hub: what the pull reports file by file
//! ([`Progress::file_verified`], which the mirror serves from) and what it transfers.

use super::{Destination, PullRequest, Selection, Target, plan, pull};
use crate::Error;
use crate::cache::{DiskId, HfCache};
use crate::hub::fake::{FakeHub, signed};
use crate::progress::Progress;
use crate::reference::ModelRef;
use crate::verify::UnsignedFiles;
use std::collections::BTreeMap;
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
    vec![
        (
            "model.safetensors",
            (0..100_000u32).map(|i| (i % 241) as u8).collect(),
        ),
        ("config.json", b"{\"a\": 1}".to_vec()),
        ("tokenizer/vocab.txt", b"x\ny\n".to_vec()),
    ]
}

async fn run(tamper: Option<&str>) -> (Arc<FakeHub>, Arc<Reported>, crate::Result<super::PullOutcome>) {
    let files = files();
    let borrowed: Vec<(&str, &[u8])> = files.iter().map(|(p, b)| (*p, b.as_slice())).collect();
    let s = signed(&borrowed);
    let hub = Arc::new(FakeHub::default());
    let repo = ModelRef::parse("org/model", None).unwrap();
    hub.add_repo(&repo, &s.files);
    if let Some(path) = tamper {
        hub.replace(&repo, path, b"{\"a\": 2}");
    }
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = HfCache::new(cache_dir.path());
    let target = Target {
        repo,
        revision: "main".into(),
        signature_path: "model.sig".into(),
        anchor: s.anchor,
        unsigned: UnsignedFiles::Reject,
    };
    let planned = plan(hub.as_ref(), &target).await.unwrap();
    let req = PullRequest {
        target,
        selection: Selection::default(),
        concurrency: 4,
        destination: Destination::Cache,
        ref_name: None,
        flush: super::Flush::EachLargeFile,
    };
    let reported = Arc::new(Reported::default());
    let progress: Arc<dyn Progress> = Arc::clone(&reported) as Arc<dyn Progress>;
    let outcome = pull(hub.as_ref(), &cache, &req, planned, progress).await;
    (hub, reported, outcome)
}

#[tokio::test]
async fn every_file_is_reported_where_it_verified_and_fetched_once() {
    let (hub, reported, outcome) = run(None).await;
    let outcome = outcome.unwrap();
    let reported = reported.0.lock().unwrap();
    let mut all: Vec<&str> = files().iter().map(|(p, _)| *p).collect();
    all.push("model.sig");
    all.sort_unstable();
    assert_eq!(reported.keys().map(String::as_str).collect::<Vec<_>>(), all);
    for (path, bytes) in files() {
        assert_eq!(hub.opens(path), 1, "{path}");
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

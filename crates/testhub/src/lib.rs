//! Test support for hubsign, shared by its integration tests and its examples: a local Hugging Face
//! Hub–compatible server ([`hub`]) and a local Kaggle Models API–compatible server ([`kaggle`]), both with
//! fault injection and request logs, the file serving they share ([`files`]), the models and fixtures
//! tests build on ([`models`]), a real OCI registry ([`registry`]) and a front adding the OCI referrers
//! API to it ([`referrers`]) with its test TLS ([`tls`]), the optional external inputs ([`inputs`]), the
//! reference Python stack ([`python`]) and what the local-server examples do once serving ([`announce`]).
//!
//! Never a dependency of hubsign's library or binary: only of its tests and examples (`publish = false`).
//! Nothing here runs hubsign itself (the tests' own harness does, it knows the binary). A panic is the
//! failure report here, as in the tests that use it.

pub mod announce;
pub mod files;
pub mod hub;
pub mod inputs;
pub mod kaggle;
pub mod models;
pub mod python;
pub mod referrers;
pub mod registry;
pub mod tls;

use std::time::{Duration, Instant};

/// Polls `done` every 20 ms until it holds; fails the test with "timed out waiting for `what`" after
/// 60 s (a regression that hangs fails instead of hanging the suite).
pub fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

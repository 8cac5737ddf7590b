//! The optional external inputs of the tests (the shared model_signing vectors, the sigstore-conformance
//! corpus, the Python model_signing, SoftHSM2, the OCI tools), each named by an environment variable the test command
//! sets. A test that cannot run says so loudly, and fails in CI (`HUBSIGN_REQUIRE_ALL=1`): never a
//! silent skip.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Whether everything must run (CI): then a missing input fails instead of skipping.
fn required() -> bool {
    std::env::var_os("HUBSIGN_REQUIRE_ALL").is_some_and(|v| v == "1")
}

/// An external input named by an environment variable, or a loud skip (a failure in CI).
fn external(var: &str, what: &str) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(var) {
        let p = PathBuf::from(p);
        assert!(p.exists(), "{var}={} does not exist", p.display());
        Some(p)
    } else {
        assert!(
            !required(),
            "{var} is not set but HUBSIGN_REQUIRE_ALL=1: {what} must run"
        );
        eprintln!("SKIPPED: {what} not run — set {var} (scripts/test does) to run it");
        None
    }
}

/// A test that cannot run here says so loudly, and fails in CI (`HUBSIGN_REQUIRE_ALL=1`).
pub fn skip(what: &str) {
    assert!(!required(), "HUBSIGN_REQUIRE_ALL=1: {what} must run");
    eprintln!("SKIPPED: {what} not run here");
}

/// `../shared/vectors`, when the test command provides it.
pub fn vectors() -> Option<PathBuf> {
    external(
        "HUBSIGN_VECTORS",
        "tests against the shared model_signing vectors",
    )
}

/// `../shared/conformance` (the sigstore-conformance corpus), when the test command provides it.
pub fn conformance() -> Option<PathBuf> {
    external(
        "HUBSIGN_CONFORMANCE",
        "the sigstore-conformance bundle-verification corpus",
    )
}

/// The `model_signing` 1.1.1 executable, when the test command provides it.
pub fn model_signing() -> Option<PathBuf> {
    external(
        "HUBSIGN_MODEL_SIGNING",
        "interop tests with the Python model_signing",
    )
}

/// `model_signing` as a command, with Python's warnings silenced.
pub fn model_signing_cmd(exe: &Path) -> Command {
    let mut c = Command::new(exe);
    c.env("PYTHONWARNINGS", "ignore");
    c
}

/// The SoftHSM2 PKCS#11 module (`HUBSIGN_SOFTHSM`, set by scripts/test when softhsm2 is
/// installed), or a loud skip (a failure in CI).
pub fn softhsm() -> Option<PathBuf> {
    external("HUBSIGN_SOFTHSM", "PKCS#11 signing tests against SoftHSM2")
}

/// The venv holding the OCI tools (rh-model-signing 1.0.5, oras, olot, modelpack-client), when
/// the test command provides it (`HUBSIGN_OCI_VENV`).
pub fn oci_venv() -> Option<PathBuf> {
    external(
        "HUBSIGN_OCI_VENV",
        "interop tests with rh-model-signing, oras, olot and modelpack-client",
    )
}

//! The one integration-test binary. Modules by theme; the harness that runs hubsign in `tests/support`,
//! the local hubs and the rest of the shared test support in the `testhub` crate (`crates/testhub`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    clippy::items_after_statements,
    clippy::too_many_lines,
    clippy::many_single_char_names,
    reason = "test code: a panic is the failure report"
)]
#![expect(
    clippy::disallowed_methods,
    reason = "test code: a failed std::fs call panics the test, which names the line; fs_err is for src/"
)]

#[path = "../support/mod.rs"]
mod support;

mod attest;
mod claims;
mod claims_policy;
mod cli;
mod datasets;
mod formats;
mod hardening;
mod hub_faithful;
mod hub_write_faithful;
mod incremental;
mod interop;
mod kaggle;
mod kaggle_faithful;
mod oci;
mod oci_interop;
mod oci_layout;
mod oci_registry;
mod partial;
mod pkcs11;
mod pull;
mod push;
mod records;
mod roundtrip;
mod serve;
mod sigstore;
mod sigstore_stack;
mod staging_integrity;
mod usability;
mod vectors;

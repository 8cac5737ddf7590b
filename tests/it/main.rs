//! The one integration-test binary. Modules by theme; shared helpers in `tests/support`.

#[path = "../support/mod.rs"]
mod support;

mod cli;
mod formats;
mod interop;
mod roundtrip;
mod vectors;

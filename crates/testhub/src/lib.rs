//! Test support for hubsign, shared by its integration tests and its examples: a local Hugging Face
//! Hub–compatible server ([`hub`]) and a local Kaggle Models API–compatible server ([`kaggle`]), both with
//! fault injection and request logs, and the file serving they share ([`files`]).
//!
//! Never a dependency of hubsign's library or binary: only of its tests and examples (`publish = false`).
//! A panic is the failure report here, as in the tests that use it.

pub mod files;
pub mod hub;
pub mod kaggle;

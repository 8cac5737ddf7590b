//! # hubsign
//!
//! Signs and verifies machine-learning models in the OpenSSF Model Signing (OMS) format,
//! byte-compatible with the Python `model-signing` 1.1.x.
//!
//! ## The trust model in one page
//!
//! A model is a directory (or a single file). Its *manifest* lists every regular file (or every
//! shard of every file) with a digest, in a fixed order; git metadata, user-ignored paths and
//! the signature file itself are excluded and the exclusions recorded. The manifest becomes an
//! in-toto statement whose single subject digest is SHA-256 over the resource digests in order.
//! The statement is the payload of a DSSE envelope, signed (ECDSA, DER) over the DSSE
//! pre-authentication encoding, and wrapped in a Sigstore bundle (`model.sig`).
//!
//! Verification trusts nothing in the bundle until the signature verifies against what the
//! *verifier* trusts ([`verify::TrustAnchor`]): a public key, or certificate anchors through
//! which the bundle's leaf must chain. Only then is the statement parsed, its subject digest
//! recomputed over the listed resources, and the model re-hashed with the statement's own
//! serialization settings. Any file modified, missing or not covered by the signature is named
//! in the [`verify::VerificationReport`]; the library never prints and never reads environment
//! variables — the CLI resolves those into explicit values.
//!
//! ## Layers
//!
//! ```text
//! cli (args → settings → core call → render; the only code that prints or reads the environment;
//!      behind the `cli` feature, run by the binary and, through cli::embed, by the Python binding)
//!  ├─ sign ──────────────┐
//!  ├─ verify ────────────┼─→ manifest (walk, hash) · oms (statement, DSSE, bundle) · crypto
//!  ├─ pull  ─→ hub::Hub ─┤   (pull: planning in pull/, one file's transfer as layered readers in
//!  │         cache::CacheLayout   pull/transfer: Resumable → Hashes → HashingWriter)
//!  ├─ push  ─→ hub::Publish
//!  ├─ lock (hubsign.lock: signer pinning, sync's "same digest, signature, signer")
//!  │  audit (one snapshot's verdict) ─→ cache::CacheLayout::snapshots · verify
//!  │  record (claims read and summarised, lineage across cached models) ─→ verify::claims
//!  └─ serve ─→ pull (one verified pull per commit, shared) · answers from the verified snapshot
//! reference   ModelRef: what a user names (a domain type below both the hubs and the caches)
//! hub/        the Hub and Publish traits; huggingface/ (models and datasets) and kaggle/ behind them;
//!             http: the one client (retry policy, redirects without the token, redaction, caps)
//! cache/      CacheLayout; hf (the HF cache); kaggle; local_dir; Staging → VerifiedStaging → commit;
//!             never imports the hub (the cache does not fetch)
//! hf_extension  the manifest that makes `hf hubsign …` run hubsign (hf 2.x extensions)
//! ```
//!
//! `pull` and `push` are written once against the traits: a new hub implements [`hub::Hub`]
//! (and [`hub::Publish`]) in its own folder, a new cache format [`cache::CacheLayout`]. Nothing
//! points back at `cli`, and the core builds without it (`default-features = false`); `sign` does not depend on `verify` beyond the shared Sigstore instance
//! description.

pub mod artifact;
pub mod attest;
pub mod audit;
pub mod cache;
#[cfg(feature = "cli")]
pub mod cli;
pub mod crypto;
mod error;
pub mod fsutil;
pub mod hf_extension;
pub mod hub;
pub mod keygen;
pub mod lock;
pub mod manifest;
pub mod oms;
pub mod policy;
pub mod progress;
pub mod pull;
pub mod push;
pub mod record;
pub mod reference;
pub mod serve;
pub mod sign;
pub mod sigstore;
pub mod sync;
pub mod verify;

pub use error::{Error, ExitStatus, Result};

//! The OpenSSF Model Signing format as model_signing 1.1.1 writes and reads it: the in-toto
//! statement (payload), the DSSE envelope and its PAE, and the Sigstore bundle JSON.
//!
//! Writing is exact (byte-compatible with model_signing); reading is liberal (every variation
//! model_signing accepts, plus the legacy v0.2 … v1.0 forms). Claims about a model (other
//! statements on its root digest, `claims.jsonl`) are in [`claim`]. Nothing here checks a
//! signature.

pub mod bundle;
pub mod claim;
pub mod dsse;
pub mod statement;

/// Errors in the structure of a signature file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    #[error("the signature file is not valid JSON: {0}")]
    Json(#[source] serde_json::Error),
    #[error("unsupported bundle media type {0:?} (expected application/vnd.dev.sigstore.bundle.v0.3+json)")]
    MediaType(String),
    #[error("field {field} is missing or has the wrong type")]
    Field { field: String },
    #[error("field {field} is not valid base64")]
    Base64 { field: String },
    #[error("field {field}: {detail}")]
    Invalid { field: String, detail: String },
    #[error("unsupported DSSE payloadType {0:?} (expected application/vnd.in-toto+json)")]
    PayloadType(String),
    #[error("unsupported predicateType {0:?}")]
    PredicateType(String),
    #[error("the statement must have exactly one subject, found {0}")]
    SubjectCount(usize),
    #[error("resource name {0:?} is not a safe relative path (absolute, `..`, or empty component)")]
    UnsafeName(String),
    #[error("resource {0:?} is listed twice")]
    DuplicateResource(String),
    /// The OMS spec rejects empty models: a signature over no file proves nothing.
    #[error(
        "the statement signs no file (empty resource list); an empty manifest is never a valid signature"
    )]
    EmptyManifest,
}

pub(crate) fn field(name: impl Into<String>) -> FormatError {
    FormatError::Field { field: name.into() }
}

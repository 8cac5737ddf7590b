//! The crate's one error type. Every variant says what went wrong and on which file or field;
//! [`Error::exit_status`] documents how the CLI reports it.

use crate::cache::CacheError;
use crate::crypto::ec::KeyError;
use crate::crypto::x509::X509Error;
use crate::hub::HubError;
use crate::manifest::ManifestError;
use crate::oms::FormatError;
use crate::sign::SignError;
use crate::verify::Comparison;
use crate::verify::VerifyError;
use std::path::PathBuf;

/// Process exit status classes (documented in the README and `--help`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: signed, verified, done.
    Success = 0,
    /// 1: verification failed: a definite "no" (bad signature, untrusted signer, files differ).
    VerificationFailed = 1,
    /// 2: usage, input, I/O or other error: no decision was reached.
    Error = 2,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Exit 2. Check the model path, permissions and ignore paths.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// Exit 1. A cached snapshot holds an entry no pull places there (a link to a directory, a
    /// link out of the repository's folder, a FIFO): whatever is behind it is not vouched for.
    #[error("the cached snapshot {snapshot} is tampered")]
    SnapshotTampered {
        snapshot: PathBuf,
        #[source]
        source: ManifestError,
    },
    /// Exit 2. The model to verify is not there (checked before its signature is looked for).
    #[error("no such model: {}", path.display())]
    ModelNotFound { path: PathBuf },
    /// Exit 2. The signature file could not be read.
    #[error("cannot read signature file {path}")]
    ReadSignature {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Exit 2. The claims file (`claims.jsonl`) could not be read: a symbolic link, not a
    /// regular file, larger than the cap, or a read error.
    #[error("cannot read claims file {path}")]
    ReadClaims {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Exit 2. The signature file is not an OMS bundle this tool understands.
    #[error("signature file {path} is malformed")]
    MalformedSignature {
        path: PathBuf,
        #[source]
        source: FormatError,
    },
    /// Exit 1. The signature does not verify for the given signer, or the statement is inconsistent.
    #[error("verification of {path} failed")]
    Verification {
        path: PathBuf,
        #[source]
        source: VerifyError,
    },
    /// Exit 1. A claims file (`claims.jsonl`) holds a line that is not a signed claim about
    /// exactly this model, or a claim altered under a trusted signer's name (the model's own
    /// files are not blamed).
    #[error("the claims in {path} do not check out")]
    Claims {
        path: PathBuf,
        #[source]
        source: crate::verify::claims::ClaimError,
    },
    /// Exit 1 when the model (or a base model) does not match its signature; exit 2 for a
    /// producer's input refused or a claims file that cannot be appended to.
    #[error(transparent)]
    Attest(#[from] crate::attest::AttestError),
    /// Exit 1. A claim a policy requires is not among the trusted claims (`requirement` says
    /// which, `repo` whose).
    #[error("{repo}: {requirement}")]
    ClaimRequired { repo: String, requirement: String },
    /// Exit 2. A key file could not be used.
    #[error("cannot use key file {path}")]
    Key {
        path: PathBuf,
        #[source]
        source: KeyError,
    },
    /// Exit 2. A certificate file could not be used.
    #[error("cannot use certificate file {path}")]
    Certificate {
        path: PathBuf,
        #[source]
        source: X509Error,
    },
    /// Exit 2. Signing was refused (e.g. certificate and key do not match).
    #[error(transparent)]
    Sign(#[from] SignError),
    /// Exit 2. A file (key, password, signature output) could not be read or written.
    #[error("{action} {path}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Exit 2 (exit 1 for an unsafe file name in the listing). The hub could not be reached or
    /// answered something unusable.
    #[error(transparent)]
    Hub(#[from] HubError),
    /// Exit 2. A model reference or revision names nothing a hub can be asked for.
    #[error(transparent)]
    Reference(#[from] crate::reference::ReferenceError),
    /// Exit 2. The cache could not be written.
    #[error(transparent)]
    Cache(#[from] CacheError),
    /// Exit 1. The repository has no signature at the expected path (in a registry: none
    /// attached to the artifact).
    #[error("{}", signature_missing(repo, commit, path))]
    SignatureMissing {
        repo: String,
        commit: String,
        path: String,
    },
    /// Exit 1. The repository's signature file is not a valid OMS bundle.
    #[error("the signature {path} of {repo} is malformed")]
    RemoteSignatureMalformed {
        repo: String,
        path: String,
        #[source]
        source: FormatError,
    },
    /// Exit 1. The hub's file listing contradicts the signed manifest; nothing was downloaded.
    #[error(
        "{repo} at {commit} does not match its signature (checked before downloading): {}",
        comparison.summary()
    )]
    PreDownloadMismatch {
        repo: String,
        commit: String,
        comparison: Comparison,
    },
    /// Exit 1. Downloaded bytes differ from what the signature or the hub's listing promise.
    #[error(
        "{repo}: downloaded files do not match the signature: {}",
        comparison.summary()
    )]
    DownloadMismatch { repo: String, comparison: Comparison },
    /// Exit 1. A file's bytes do not match the hub's own listing (corrupted or substituted).
    #[error("{path}: downloaded content has {algorithm} {actual}, but the hub lists {expected}")]
    ContentMismatch {
        path: String,
        algorithm: &'static str,
        expected: String,
        actual: String,
    },
    /// Exit 1. The local model does not match its signature (changed after signing); nothing
    /// was uploaded.
    #[error("{} does not match its signature, so nothing was uploaded: {}", model.display(), comparison.summary())]
    LocalModelMismatch { model: PathBuf, comparison: Comparison },
    /// Exit 2. A hashing/writing worker thread died (a bug or an out-of-memory kill); the
    /// staged file is discarded.
    #[error("the worker hashing {path} failed")]
    Worker {
        path: PathBuf,
        #[source]
        source: tokio::task::JoinError,
    },
    /// Exit 1. A file asked for by name exists but the signature does not cover it.
    #[error("{path} is in {repo} but not covered by its signature; refusing to download it")]
    NotSigned { repo: String, path: String },
    /// Exit 1. A repository file for a `--local-dir` pull would go into hubsign's own folder
    /// there (`.cache/hubsign`), over its record or a pull's staging: refused before download.
    #[error(
        "{repo} has a file {path:?} inside hubsign's own folder (.cache/hubsign); refusing to place it with --local-dir"
    )]
    ReservedLocalPath { repo: String, path: String },
    /// Exit 2. A file asked for by name is not in the repository at the pinned commit.
    #[error("{path} is not in {repo} at {commit}")]
    NotInRepository {
        repo: String,
        commit: String,
        path: String,
    },
    /// Exit 2. `--include`/`--exclude` leave nothing to download.
    #[error("no signed file of {repo} matches the --include/--exclude patterns")]
    EmptySelection { repo: String },
    /// Exit 2. The async runtime could not start (no threads or file descriptors left).
    #[error("cannot start the async runtime")]
    Runtime(#[source] std::io::Error),
    /// Exit 2. The trust policy file is unusable.
    #[error(transparent)]
    Policy(#[from] crate::policy::PolicyError),
    /// Exit 1 for a changed signer or an entry that differs from the hub; exit 2 for an
    /// unreadable lock file.
    #[error(transparent)]
    Lock(#[from] crate::lock::LockError),
    /// Exit 2. A model without a valid signature (or one to be signed again, `--resign`) and no
    /// signing key to sign it with.
    #[error("no signing key: {} has no signature at {} and nothing to sign it with", model.display(), signature.display())]
    NoSigningKey { model: PathBuf, signature: PathBuf },
    /// Exit 2. A new file (a generated key) would replace what is at its path (a file, or a
    /// symlink); nothing was written.
    #[error("{} already exists; refusing to replace it (choose another name)", path.display())]
    OutputExists { path: PathBuf },
    /// Exit 2. `hubsign install-hf-extension` could not register `hf hubsign`.
    #[error(transparent)]
    HfExtension(#[from] crate::hf_extension::ExtensionError),
    /// Exit 2. `audit --signer` names no signer this build can look for (too short, ambiguous,
    /// or of no known form).
    #[error(transparent)]
    SignerSpec(#[from] crate::audit::SignerSpecError),
    /// Exit 2 (the mirror answers 403). No rule of the trust policy covers the repository
    /// (`repo` as rules match it: `org/name`, `datasets/org/name`, `kaggle:…`), so nobody is
    /// trusted to sign it. `policy` is the file, when the policy is one.
    #[error("{}", match policy {
        Some(p) => format!("the trust policy {} has no rule for {repo}", p.display()),
        None => format!("no trust policy rule covers {repo}"),
    })]
    NoTrustRule { repo: String, policy: Option<PathBuf> },
    /// Exit 2. The Sigstore trusted root (the `--trust-config` file, or the embedded one when
    /// `config` is none) is unusable; checked before any signature is, so a bad file is not
    /// reported as a failed verification.
    #[error("{}: {reason}", config.as_ref().map_or_else(|| "embedded root".to_owned(), |p| p.display().to_string()))]
    TrustedRoot { config: Option<PathBuf>, reason: String },
}

impl Error {
    /// The files that differ from the signature, for the errors that found some (a pull or a
    /// push refused for it); rendered like a failed verification's report.
    pub fn comparison(&self) -> Option<&Comparison> {
        match self {
            Self::PreDownloadMismatch { comparison, .. }
            | Self::DownloadMismatch { comparison, .. }
            | Self::LocalModelMismatch { comparison, .. } => Some(comparison),
            _ => None,
        }
    }

    pub fn exit_status(&self) -> ExitStatus {
        match self {
            Self::Verification { .. }
            | Self::Claims { .. }
            | Self::ClaimRequired { .. }
            | Self::SignatureMissing { .. }
            | Self::RemoteSignatureMalformed { .. }
            | Self::PreDownloadMismatch { .. }
            | Self::DownloadMismatch { .. }
            | Self::ContentMismatch { .. }
            | Self::LocalModelMismatch { .. }
            | Self::NotSigned { .. }
            | Self::ReservedLocalPath { .. }
            | Self::SnapshotTampered { .. }
            | Self::Attest(
                crate::attest::AttestError::SignatureMismatch { .. }
                | crate::attest::AttestError::SignatureInconsistent { .. }
                | crate::attest::AttestError::BaseMismatch { .. },
            )
            | Self::Hub(HubError::UnsafePath(_) | HubError::DigestMismatch { .. })
            | Self::Lock(
                crate::lock::LockError::SignerChanged { .. } | crate::lock::LockError::Differs { .. },
            ) => ExitStatus::VerificationFailed,
            _ => ExitStatus::Error,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// [`Error::SignatureMissing`] in words: a registry artifact's signature is attached to it, not
/// a file at a path, so the hint to name another path would mislead there (a path given
/// with `--signature-path` names a layer, and keeps the file wording).
fn signature_missing(repo: &str, commit: &str, path: &str) -> String {
    if repo.starts_with(crate::reference::OCI_PREFIX) && path == crate::hub::oci::SIGNATURE_PATH {
        format!(
            "{repo} at {commit} has no signature attached (no referrer and no sha256-<hex>.sig tag names it); refusing to download it (sign it in the registry with `hubsign sign {repo}`)"
        )
    } else {
        format!(
            "{repo} at {commit} has no signature file {path}; refusing to download it (pass --signature-path if it lives elsewhere)"
        )
    }
}

//! The crate's one error type. Every variant says what went wrong and on which file or field;
//! [`Error::exit_code`] documents how the CLI reports it.

use crate::crypto::ec::KeyError;
use crate::crypto::x509::X509Error;
use crate::manifest::ManifestError;
use crate::oms::FormatError;
use crate::sign::SignError;
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
    /// Exit 2. The signature file could not be read.
    #[error("cannot read signature file {path}")]
    ReadSignature {
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
    /// Exit 2. The request is valid but this build cannot carry it out.
    #[error("{0}")]
    Unsupported(String),
    /// Exit 2. Arguments that contradict each other or are missing.
    #[error("{0}")]
    Usage(String),
}

impl Error {
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            Self::Verification { .. } => ExitStatus::VerificationFailed,
            _ => ExitStatus::Error,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

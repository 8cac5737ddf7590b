//! The CLI's own refusals: flags that contradict each other or are missing, and settings read
//! from the environment that make no sense. Each is a typed variant naming what it is about;
//! the core's errors travel inside [`CliError::Core`] unchanged. Every variant here exits 2
//! (no decision was reached); [`CliError::exit_status`] says so in one place.

use crate::ExitStatus;
use std::path::PathBuf;

/// An error of a command: the core's, or one of the command line itself.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The core's error; its exit code is [`crate::Error::exit_status`].
    #[error(transparent)]
    Core(#[from] crate::Error),
    /// Exit 2. A flag (`option`) that cannot work without another (`needs` says which).
    #[error("{option} needs {needs}")]
    MissingOption {
        option: &'static str,
        needs: &'static str,
    },
    /// Exit 2. Signing with no key material named at all.
    #[error("give the private key: --private-key PEM or --pkcs11-uri URI")]
    NoPrivateKey,
    /// Exit 2. `--method sigstore` (keyless) with key material given.
    #[error("keyless signing takes no --private-key or --pkcs11-uri")]
    KeylessWithKey,
    /// Exit 2. `verify` without any signer flag: nothing says whom to trust.
    #[error(
        "say whom to trust: --public-key PEM (key method), --certificate-chain PEM (certificate method), \
         or --identity ID --issuer URL (Sigstore keyless)"
    )]
    NoVerifier,
    /// Exit 2. A hub command without signer flags and without a trust policy.
    #[error(
        "say whom to trust for {repo}: --public-key, --certificate-chain, or a trust policy (--policy FILE, HUBSIGN_POLICY, or ~/.config/hubsign/hubsign.toml)"
    )]
    NoTrustAnchor { repo: String },
    /// Exit 2. A flag (`option`) naming an environment variable that is not set.
    #[error("{option} {var}: the environment variable is not set")]
    EnvNotSet { option: &'static str, var: String },
    /// Exit 2. An environment variable whose value names nothing known (`expected` lists what is).
    #[error("unrecognised {var} {value:?}: {expected}")]
    UnknownEnvValue {
        var: &'static str,
        value: String,
        expected: &'static str,
    },
    /// Exit 2. A PKCS#11 token that needs a PIN, with no way to get one.
    #[error(
        "the token needs a PIN: pin-value= or pin-source= in the URI, --pin-file, --pin-env, or a terminal to ask on"
    )]
    NoPin,
    /// Exit 2. `--encrypt` with no terminal to ask the password on.
    #[error(
        "--encrypt asks for the password on the terminal; without one, use --password-file or --password-env"
    )]
    NoTerminal,
    /// Exit 2. The password typed twice for a new key differs.
    #[error("the two passwords differ; nothing was written")]
    PasswordsDiffer,
    /// Exit 2. An empty password for a new key.
    #[error(
        "the password is empty; give one, or leave out --encrypt/--password-file/--password-env for an unencrypted key"
    )]
    EmptyPassword,
    /// Exit 2. A directory named by `flag` is not there (a typo must not pass as "nothing").
    #[error("{flag} {}: no such directory", path.display())]
    NotADirectory { flag: &'static str, path: PathBuf },
    /// Exit 2. A file named by `flag` holds nothing usable (`problem` says what is missing).
    #[error("{flag} {}: {problem}", path.display())]
    EmptyFile {
        flag: &'static str,
        path: PathBuf,
        problem: &'static str,
    },
    /// Exit 2. `sync` with no lock file to reproduce.
    #[error("lock file {} not found (make one with `hubsign pull REPO --lock`)", path.display())]
    NoLockFile { path: PathBuf },
    /// Exit 2. `serve` with a policy that has no rule: the mirror would refuse everything.
    #[error("the trust policy {} has no [[trust]] rule: the mirror would refuse everything", path.display())]
    EmptyPolicy { path: PathBuf },
    /// Exit 2. Kaggle credentials (`kaggle.json`) that are not JSON.
    #[error("{}: not a Kaggle credentials file: {reason}", path.display())]
    KaggleCredentials { path: PathBuf, reason: String },
    /// Exit 2. Kaggle credentials without one of their two fields.
    #[error("{}: no {field:?} in the Kaggle credentials", path.display())]
    KaggleCredentialsField { path: PathBuf, field: &'static str },
    /// Exit 2. A Kaggle revision that is not a version number.
    #[error("--revision {revision}: a Kaggle version is a positive number (or latest)")]
    KaggleVersion { revision: String },
    /// Exit 2. A Kaggle push naming a version: a push creates the next one.
    #[error("{repo}: a push creates the next version; name the variation without /VERSION")]
    KagglePushVersion { repo: String },
    /// Exit 2. `--revision`/`--create-pr` on Kaggle, which has neither.
    #[error("Kaggle models have no branches or pull requests: --revision and --create-pr do not apply")]
    KaggleBranches,
    /// Exit 2. `HF_HUB_OFFLINE` with a flag that needs the hub (`reason` says why).
    #[error("HF_HUB_OFFLINE is set: {option} {reason}")]
    Offline {
        option: &'static str,
        reason: &'static str,
    },
    /// Exit 2. `sign --incremental` of an oci:// artifact, which is signed from its manifest.
    #[error(
        "--incremental re-signs a model on disk; an oci:// artifact is signed from its manifest without hashing"
    )]
    IncrementalArtifact,
    /// Exit 2. A `--changed` path outside the model.
    #[error("--changed {}: not inside the model directory", path.display())]
    ChangedOutsideModel { path: PathBuf },
    /// Exit 2. The embedding interrupted the command (Ctrl-C in Python); its staging was
    /// dropped, nothing was committed.
    #[error("interrupted")]
    Interrupted,
}

impl CliError {
    /// The core's code for its errors; 2 for every refusal of the command line.
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            Self::Core(e) => e.exit_status(),
            _ => ExitStatus::Error,
        }
    }

    /// The core error inside, for the hints and the files a refused pull lists.
    pub fn core(&self) -> Option<&crate::Error> {
        match self {
            Self::Core(e) => Some(e),
            _ => None,
        }
    }
}

/// The CLI's result.
pub type Result<T, E = CliError> = std::result::Result<T, E>;

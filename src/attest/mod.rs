//! `attest`: a signed claim about a model appended to its `claims.jsonl`.
//!
//! The workflow, in numbered steps: (1) the producer builds the predicate (a model card's front
//! matter, an eval result, lineage, or a predicate file); (2) the model's OMS root digest is
//! computed *as `model.sig` serialized it* (its method, hash, shard size, `allow_symlinks` and
//! ignore paths, read from the signature without trusting it) and the model's bytes must match
//! that signature, or the claim would be about other bytes than the ones signed; without a
//! signature the default serialization (files, SHA-256) is used; (3) the statement is signed
//! by the caller's signer; (4) the bundle is appended as one line to `claims.jsonl` beside the
//! signature.
//!
//! The append holds an exclusive lock on the claims file's directory (as `lock::Lockfile`
//! does: no lock file is created, so nothing appears in the model for a manifest to list) while
//! it reads the existing file, adds the line and renames the whole over it, so two concurrent
//! attests both land. Existing lines are kept byte for byte. The claims file is never read or
//! written through a symlink, and must be a regular file.
//!
//! Nothing here prints or reads the environment; signers and trust are the caller's.

pub mod eval_result;
pub mod lineage;
pub mod model_card;

use crate::manifest::{GitPaths, HashAlgorithm, OwnFolder, Serialization, SymlinkPolicy, WalkOptions};
use crate::oms::claim::{
    ClaimStatement, ClaimsFileError, DERIVED_FROM_PREDICATE, EVAL_RESULT_PREDICATE, MAX_CLAIMS_BYTES,
    MODEL_CARD_PREDICATE, parse_claims, to_line,
};
use crate::verify::Comparison;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A predicate file (`--eval-result`, `--predicate`) larger than this is refused: a claim
/// line is at most [`crate::oms::claim::MAX_CLAIM_LINE`] bytes once base64-encoded in a bundle.
pub const MAX_PREDICATE_BYTES: u64 = 512 << 10;

/// Why a claim was not made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AttestError {
    /// Exit 1. The model's bytes differ from what its signature lists: a claim made now would
    /// be about other bytes than the signed ones.
    #[error(
        "model.sig does not match the bytes: {} differs from {} ({}); sign the model again, then attest",
        model.display(), signature.display(), comparison.summary()
    )]
    SignatureMismatch {
        model: PathBuf,
        signature: PathBuf,
        comparison: Comparison,
    },
    /// Exit 1. The signature's subject digest is not the digest of the resources it lists.
    #[error(
        "{}: its subject digest sha256:{claimed} is not sha256:{computed}, the digest of the resources it lists",
        signature.display()
    )]
    SignatureInconsistent {
        signature: PathBuf,
        claimed: String,
        computed: String,
    },
    /// Exit 1. A local base model (`--derived-from DIR`) does not match its own signature.
    #[error("the base model {} does not match its signature: {}", base.display(), comparison.summary())]
    BaseMismatch { base: PathBuf, comparison: Comparison },
    /// Exit 2. `--derived-from` names no base model.
    #[error(transparent)]
    BaseRef(#[from] lineage::BaseRefError),
    /// Exit 2. The claims file is a symlink, a directory or another non-regular file:
    /// refused, never written through.
    #[error("{} is not a regular file (a symbolic link, directory or device); refusing to read or write through it", path.display())]
    ClaimsNotRegular { path: PathBuf },
    /// Exit 2. The existing claims file is over a cap (too many lines, a line too long).
    #[error("{}: {problem}", path.display())]
    ClaimsFile { path: PathBuf, problem: ClaimsFileError },
    /// Exit 2. The claims file would grow past what a reader accepts.
    #[error("{}: one more claim would make it larger than {MAX_CLAIMS_BYTES} bytes", path.display())]
    ClaimsFull { path: PathBuf },
    /// Exit 2. The model card's front matter cannot be a claim.
    #[error("{}: {problem}", path.display())]
    ModelCard {
        path: PathBuf,
        problem: model_card::ModelCardError,
    },
    /// Exit 2. The eval-result file is not a valid eval-result predicate (the field is named).
    #[error("{}: {problem}", path.display())]
    EvalResult {
        path: PathBuf,
        problem: eval_result::EvalResultError,
    },
    /// Exit 2. A predicate file that is not a JSON object, or a predicate type refused.
    #[error("{}: {problem}", path.display())]
    Predicate { path: PathBuf, problem: String },
}

/// Which claim to make.
#[derive(Debug, Clone)]
pub enum Producer {
    /// `--model-card [README.md]`: the card's front matter (default: `README.md` in the model).
    ModelCard { card: Option<PathBuf> },
    /// `--eval-result FILE`: an in-toto eval-result predicate, validated.
    EvalResult { file: PathBuf },
    /// `--derived-from`: the base model, already resolved (verified when it was local).
    DerivedFrom(lineage::BaseModel),
    /// `--predicate-type URI --predicate FILE`: any predicate object.
    Generic { predicate_type: String, file: PathBuf },
}

/// Everything `attest` needs, resolved by the caller.
#[derive(Debug, Clone)]
pub struct AttestRequest {
    pub model: PathBuf,
    /// Where `sign` writes (or wrote) the signature; `claims.jsonl` goes beside it.
    pub signature: PathBuf,
    pub producer: Producer,
}

/// Whether the subject digest was checked against a signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureState {
    /// The model matches this signature, and the digest is the one it signs.
    Matched(PathBuf),
    /// There is no signature at the path: hashed with the default serialization.
    Absent(PathBuf),
}

/// What was appended.
#[derive(Debug, Clone)]
pub struct AttestOutcome {
    pub claims: PathBuf,
    /// The new claim's line in the file (1-based, as editors count).
    pub line: usize,
    pub predicate_type: String,
    pub subject_name: String,
    pub subject_digest: [u8; 32],
    pub signature: SignatureState,
    /// `key`, `certificate` or `sigstore`.
    pub method: &'static str,
    /// Who signed, as the bundle names them (key fingerprint, certificate subject, identity).
    pub signer: String,
}

/// A statement ready to sign, and where it goes.
#[derive(Debug)]
pub struct PreparedClaim {
    pub statement: ClaimStatement,
    pub claims: PathBuf,
    pub signature: SignatureState,
}

/// Steps 1–2: the predicate, then the subject (the model hashed as its signature says).
///
/// # Errors
/// The producer's input is refused, the model does not match its signature, or cannot be read.
pub fn prepare(request: &AttestRequest) -> crate::Result<PreparedClaim> {
    let (predicate_type, predicate) = produce(&request.model, &request.producer)?;
    let (subject_digest, signature) = subject_digest(&request.model, &request.signature)?;
    Ok(PreparedClaim {
        statement: ClaimStatement {
            subject_name: crate::manifest::model_name(&request.model),
            subject_digest,
            predicate_type,
            predicate,
        },
        claims: crate::oms::claim::claims_path(&request.signature),
        signature,
    })
}

/// The whole workflow with a key, certificate or token signer.
///
/// # Errors
/// See [`prepare`], signing, and [`append_claim`].
pub fn attest_model(request: &AttestRequest, signer: &crate::sign::Signer) -> crate::Result<AttestOutcome> {
    let prepared = prepare(request)?;
    let bundle = signer.sign_statement(prepared.statement.to_payload())?;
    finish(prepared, &bundle.to_json())
}

/// The whole workflow, signed keylessly through Sigstore.
///
/// # Errors
/// See [`prepare`], keyless signing, and [`append_claim`].
pub async fn attest_model_keyless(
    request: AttestRequest,
    token: &crate::sign::sigstore::TokenSource,
    instance: &crate::sigstore::SigstoreInstance,
) -> crate::Result<AttestOutcome> {
    let model = request.model.clone();
    let prepared = tokio::task::spawn_blocking(move || prepare(&request))
        .await
        .map_err(|e| crate::Error::Io {
            action: "hashing failed",
            path: model,
            source: std::io::Error::other(e.to_string()),
        })??;
    let bundle =
        crate::sign::sigstore::sign_keyless(&prepared.statement.to_payload(), token, instance).await?;
    finish(prepared, bundle.as_bytes())
}

/// Step 4 and the outcome.
fn finish(prepared: PreparedClaim, bundle_json: &[u8]) -> crate::Result<AttestOutcome> {
    let line = to_line(bundle_json).map_err(|source| crate::Error::MalformedSignature {
        path: prepared.claims.clone(),
        source,
    })?;
    let named = crate::oms::bundle::Bundle::parse(bundle_json)
        .map(|b| crate::verify::SignerClaim::of(&b))
        .unwrap_or_default();
    let number = append_claim(&prepared.claims, &line)?;
    Ok(AttestOutcome {
        claims: prepared.claims,
        line: number,
        predicate_type: prepared.statement.predicate_type,
        subject_name: prepared.statement.subject_name,
        subject_digest: prepared.statement.subject_digest,
        signature: prepared.signature,
        method: named.method,
        signer: describe_signer(&named),
    })
}

/// A bundle's signer in words: the key's fingerprint, the certificate's subject, or the
/// keyless identity and issuer.
fn describe_signer(named: &crate::verify::SignerClaim) -> String {
    match named.method {
        "key" => format!("key {}", named.key_fingerprint.as_deref().unwrap_or("(no hint)")),
        "sigstore" => format!(
            "Sigstore identity {} (issuer {})",
            named.identity.as_deref().unwrap_or("?"),
            named.issuer.as_deref().unwrap_or("?")
        ),
        _ => named.certificates.first().map_or_else(
            || "a certificate".to_owned(),
            |c| format!("certificate {}", c.subject),
        ),
    }
}

/// Step 1: the predicate type and predicate of the producer.
fn produce(model: &Path, producer: &Producer) -> crate::Result<(String, Value)> {
    Ok(match producer {
        Producer::ModelCard { card } => {
            let path = card.clone().unwrap_or_else(|| model.join("README.md"));
            let bytes = read_prefix(&path, model_card::MAX_FRONT_MATTER as u64 + 4096)?;
            let predicate = model_card::predicate(&bytes).map_err(|source| AttestError::ModelCard {
                path: path.clone(),
                problem: source,
            })?;
            (MODEL_CARD_PREDICATE.to_owned(), predicate)
        }
        Producer::EvalResult { file } => {
            let predicate = read_predicate(file)?;
            eval_result::validate(&predicate).map_err(|source| AttestError::EvalResult {
                path: file.clone(),
                problem: source,
            })?;
            (EVAL_RESULT_PREDICATE.to_owned(), predicate)
        }
        Producer::DerivedFrom(base) => (DERIVED_FROM_PREDICATE.to_owned(), base.predicate()),
        Producer::Generic { predicate_type, file } => {
            let refuse = |problem: String| AttestError::Predicate {
                path: file.clone(),
                problem,
            };
            if predicate_type.is_empty() || predicate_type.chars().any(char::is_whitespace) {
                return Err(refuse(format!("predicate type {predicate_type:?} is not a URI")).into());
            }
            if [
                crate::oms::statement::PREDICATE_TYPE,
                crate::oms::statement::PREDICATE_TYPE_V0_2,
            ]
            .contains(&predicate_type.as_str())
            {
                return Err(refuse(format!(
                    "{predicate_type} is the OMS signature's own predicate type; a claim cannot be a model signature"
                ))
                .into());
            }
            let predicate = read_predicate(file)?;
            // The built-in types keep their rules whichever flag names them.
            if predicate_type == EVAL_RESULT_PREDICATE {
                eval_result::validate(&predicate).map_err(|source| AttestError::EvalResult {
                    path: file.clone(),
                    problem: source,
                })?;
            }
            (predicate_type.clone(), predicate)
        }
    })
}

/// A predicate file: a JSON object of at most [`MAX_PREDICATE_BYTES`].
fn read_predicate(path: &Path) -> crate::Result<Value> {
    let bytes =
        crate::fsutil::read_regular_capped(path, MAX_PREDICATE_BYTES).map_err(|source| crate::Error::Io {
            action: "cannot read predicate file",
            path: path.to_path_buf(),
            source,
        })?;
    let refuse = |problem: String| AttestError::Predicate {
        path: path.to_path_buf(),
        problem,
    };
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(refuse("a predicate is a JSON object".to_owned()).into()),
        Err(e) => Err(refuse(format!("not JSON: {e}")).into()),
    }
}

/// The first `cap` bytes of a regular file (a model card's front matter is at its start).
fn read_prefix(path: &Path, cap: u64) -> crate::Result<Vec<u8>> {
    use std::io::Read as _;
    let io = |source| crate::Error::Io {
        action: "cannot read model card",
        path: path.to_path_buf(),
        source,
    };
    let file = open_nonblocking(path, false).map_err(io)?;
    if !file.metadata().map_err(io)?.is_file() {
        return Err(io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "not a regular file",
        )));
    }
    let mut bytes = Vec::new();
    file.take(cap).read_to_end(&mut bytes).map_err(io)?;
    Ok(bytes)
}

/// Opens for reading without blocking on a FIFO; with `no_follow`, never through a symlink.
fn open_nonblocking(path: &Path, no_follow: bool) -> std::io::Result<fs_err::File> {
    use fs_err::os::unix::fs::OpenOptionsExt as _;
    let mut flags = rustix::fs::OFlags::NONBLOCK;
    if no_follow {
        flags |= rustix::fs::OFlags::NOFOLLOW;
    }
    fs_err::OpenOptions::new()
        .read(true)
        .custom_flags(i32::try_from(flags.bits()).unwrap_or(0))
        .open(path)
}

/// Step 2: the root digest of the model as its signature serialized it (or by default).
fn subject_digest(model: &Path, signature: &Path) -> crate::Result<([u8; 32], SignatureState)> {
    if fs_err::symlink_metadata(model).is_err() {
        return Err(crate::Error::ModelNotFound {
            path: model.to_path_buf(),
        });
    }
    let bytes = match crate::fsutil::read_regular_capped(signature, crate::fsutil::MAX_SIGNATURE_BYTES) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return default_digest(model, signature)
                .map(|d| (d, SignatureState::Absent(signature.to_path_buf())));
        }
        Err(source) => {
            return Err(crate::Error::ReadSignature {
                path: signature.to_path_buf(),
                source,
            });
        }
        Ok(bytes) => bytes,
    };
    let malformed = |source| crate::Error::MalformedSignature {
        path: signature.to_path_buf(),
        source,
    };
    let bundle = crate::oms::bundle::Bundle::parse(&bytes).map_err(malformed)?;
    // Read, not trusted: only its serialization settings and resources are used, to hash the
    // model the way it was signed and to see that the bytes are still the signed ones.
    let statement = crate::oms::statement::parse_payload(&bundle.envelope.payload).map_err(malformed)?;
    let unverified = crate::verify::VerifiedStatement {
        statement,
        method: "unverified",
        signer: "an unverified signer".to_owned(),
        signer_id: crate::verify::SignerId::Key {
            fingerprint: String::new(),
        },
        warnings: Vec::new(),
    };
    let mut check = crate::verify::ModelCheck::default();
    for rel in crate::oms::claim::attestation_paths(model, signature) {
        let listed = unverified
            .statement
            .resources
            .iter()
            .any(|r| r.file_name() == rel);
        if !listed {
            check.ignore_paths.push(rel);
        }
    }
    let (report, resources, _) = crate::verify::check_model_hashed(model, &unverified, &check)?;
    if !report.verified {
        return Err(AttestError::SignatureMismatch {
            model: model.to_path_buf(),
            signature: signature.to_path_buf(),
            comparison: Comparison {
                modified: report.modified,
                missing: report.missing,
                unexpected: report.unexpected,
            },
        }
        .into());
    }
    let computed = crate::manifest::root_digest(resources.iter().map(|r| r.digest.as_slice()));
    let claimed = unverified.subject_digest();
    if computed != claimed {
        return Err(AttestError::SignatureInconsistent {
            signature: signature.to_path_buf(),
            claimed: hex::encode(claimed),
            computed: hex::encode(computed),
        }
        .into());
    }
    Ok((computed, SignatureState::Matched(signature.to_path_buf())))
}

/// The digest `hubsign digest` prints for a model without a signature: files, SHA-256, the
/// git paths and the attestation files left out, symlinks refused.
fn default_digest(model: &Path, signature: &Path) -> crate::Result<[u8; 32]> {
    let walk = WalkOptions {
        git_paths: GitPaths::Ignore,
        own_folder: OwnFolder::Ignore,
        ignore_paths: crate::oms::claim::attestation_paths(model, signature),
        symlinks: SymlinkPolicy::Refuse,
        symlink_root: None,
    };
    let manifest =
        crate::manifest::build_manifest(model, &walk, Serialization::Files, HashAlgorithm::Sha256)?;
    Ok(manifest.root_digest())
}

/// Step 4: appends `line` (one bundle and its newline) to the claims file at `path`, under an
/// exclusive lock on its directory; returns the new line's number. The existing bytes are kept
/// as they are (a missing final newline is added first).
///
/// # Errors
/// The file is not a regular file, is over a cap, or cannot be read, locked or written.
pub fn append_claim(path: &Path, line: &[u8]) -> crate::Result<usize> {
    use fs4::fs_std::FileExt as _;
    use std::io::Read as _;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let io = |action, p: &Path| {
        let p = p.to_path_buf();
        move |source| crate::Error::Io {
            action,
            path: p,
            source,
        }
    };
    let guard = fs_err::File::open(dir).map_err(io("cannot open the directory of", path))?;
    guard
        .file()
        .lock_exclusive()
        .map_err(io("cannot lock the directory of", path))?;
    let not_regular = || AttestError::ClaimsNotRegular {
        path: path.to_path_buf(),
    };
    let mut bytes = match fs_err::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(io("cannot read", path)(e)),
        Ok(meta) if !meta.is_file() => return Err(not_regular().into()),
        Ok(_) => {
            // O_NOFOLLOW: a symlink swapped in since the check is refused, not followed.
            let file = open_nonblocking(path, true).map_err(|e| {
                if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) {
                    crate::Error::from(not_regular())
                } else {
                    io("cannot read", path)(e)
                }
            })?;
            if !file.metadata().map_err(io("cannot read", path))?.is_file() {
                return Err(not_regular().into());
            }
            let mut bytes = Vec::new();
            file.take(MAX_CLAIMS_BYTES + 1)
                .read_to_end(&mut bytes)
                .map_err(io("cannot read", path))?;
            bytes
        }
    };
    if bytes.len() as u64 + line.len() as u64 + 1 > MAX_CLAIMS_BYTES {
        return Err(AttestError::ClaimsFull {
            path: path.to_path_buf(),
        }
        .into());
    }
    let file_error = |problem| AttestError::ClaimsFile {
        path: path.to_path_buf(),
        problem,
    };
    if parse_claims(&bytes).map_err(file_error)?.len() >= crate::oms::claim::MAX_CLAIMS {
        return Err(AttestError::ClaimsFile {
            path: path.to_path_buf(),
            problem: ClaimsFileError::TooManyClaims,
        }
        .into());
    }
    if !bytes.is_empty() && !bytes.ends_with(b"\n") {
        bytes.push(b'\n');
    }
    // Lines as editors count them: one more than the newlines before the new line.
    let number = bytes.split(|b| *b == b'\n').count();
    bytes.extend_from_slice(line);
    crate::fsutil::write_atomic(path, &bytes)?;
    drop(guard);
    Ok(number)
}

#[cfg(test)]
mod tests {
    use super::append_claim;

    #[test]
    fn appending_keeps_existing_bytes_and_counts_lines_as_editors_do() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("claims.jsonl");
        assert_eq!(append_claim(&path, b"{\"a\":1}\n").unwrap(), 1);
        assert_eq!(append_claim(&path, b"{\"b\":2}\n").unwrap(), 2);
        // A file someone ended without a newline keeps its line; the new one starts after it.
        fs_err::write(&path, b"{\"a\":1}\n\n{\"c\":3}").unwrap();
        assert_eq!(append_claim(&path, b"{\"d\":4}\n").unwrap(), 4);
        assert_eq!(
            fs_err::read(&path).unwrap(),
            b"{\"a\":1}\n\n{\"c\":3}\n{\"d\":4}\n"
        );
    }

    #[test]
    fn a_symlink_or_directory_in_its_place_is_refused_and_its_target_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("elsewhere");
        fs_err::write(&target, b"keep\n").unwrap();
        let path = dir.path().join("claims.jsonl");
        fs_err::os::unix::fs::symlink(&target, &path).unwrap();
        let err = append_claim(&path, b"{}\n").unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
        assert_eq!(fs_err::read(&target).unwrap(), b"keep\n");
        assert!(fs_err::symlink_metadata(&path).unwrap().file_type().is_symlink());
        let sub = tempfile::tempdir().unwrap();
        fs_err::create_dir(sub.path().join("claims.jsonl")).unwrap();
        assert!(append_claim(&sub.path().join("claims.jsonl"), b"{}\n").is_err());
    }
}

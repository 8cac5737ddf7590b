//! Signing: turns a [`Manifest`] into a bundle with one of the signing methods, and writes the
//! signature file atomically. One module per method.

mod certificate;
mod key;
pub mod pkcs11;
pub mod sigstore;

pub use certificate::certificate_signer;

use crate::crypto::ec::SigningKey;
use crate::crypto::x509::Certificate;
use crate::manifest::Manifest;
use crate::oms::bundle::{Bundle, VerificationMaterial};
use crate::oms::{dsse, statement};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    #[error("the signing certificate ({subject}) does not certify the private key given")]
    CertificateKeyMismatch { subject: String },
    #[error("the signing certificate cannot be used: {0}")]
    Certificate(#[source] crate::crypto::x509::X509Error),
    #[error("keyless signing failed: {0}")]
    Keyless(String),
    /// Exit 2: the token could not sign (the message names slot, token, object and return code).
    #[error(transparent)]
    Pkcs11(#[from] pkcs11::Pkcs11Error),
}

/// Where the private key is: in memory (a PEM file), or on a PKCS#11 token (it never leaves).
#[derive(Debug)]
pub enum SigningKeyRef {
    Local(SigningKey),
    Token(pkcs11::Pkcs11Key),
}

impl SigningKeyRef {
    pub fn verifying_key(&self) -> crate::crypto::ec::VerifyingKey {
        match self {
            Self::Local(k) => k.verifying_key(),
            Self::Token(k) => k.verifying_key(),
        }
    }

    /// ECDSA over `msg` with the curve's hash, DER-encoded.
    pub fn sign_der(&self, msg: &[u8]) -> Result<Vec<u8>, SignError> {
        match self {
            Self::Local(k) => Ok(k.sign_der(msg)),
            Self::Token(k) => Ok(k.sign_der(msg)?),
        }
    }
}

/// Who signs, and with what material.
#[derive(Debug)]
pub enum Signer {
    /// A bare EC private key (or token key); the bundle carries the key's hint.
    Key(SigningKeyRef),
    /// A private key with its certificate (first) and chain; the bundle carries the chain.
    Certificate {
        key: SigningKeyRef,
        chain: Vec<Certificate>,
    },
}

impl Signer {
    pub fn key(&self) -> &SigningKeyRef {
        match self {
            Self::Key(k) | Self::Certificate { key: k, .. } => k,
        }
    }

    fn material(&self) -> VerificationMaterial {
        match self {
            Self::Key(k) => key::material(k),
            Self::Certificate { chain, .. } => certificate::material(chain),
        }
    }

    /// The method name, as model_signing's CLI spells it.
    pub fn method(&self) -> &'static str {
        match self {
            Self::Key(_) => "key",
            Self::Certificate { .. } => "certificate",
        }
    }

    /// Signs the manifest: statement → DSSE PAE → ECDSA (curve hash, DER) → bundle.
    pub fn sign(&self, manifest: &Manifest) -> Result<Bundle, SignError> {
        self.sign_statement(statement::write_payload(manifest))
    }

    /// Signs any in-toto statement's bytes (an OMS signature's, or a claim's) into a bundle.
    pub fn sign_statement(&self, payload: Vec<u8>) -> Result<Bundle, SignError> {
        let pae = dsse::pae(dsse::IN_TOTO_PAYLOAD_TYPE, &payload);
        let signature = self.key().sign_der(&pae)?;
        Ok(Bundle::new(self.material(), payload, signature))
    }
}

/// Everything `sign_model` needs, resolved by the caller.
#[derive(Debug)]
pub struct SignRequest {
    pub model: std::path::PathBuf,
    pub signature: std::path::PathBuf,
    pub walk: crate::manifest::WalkOptions,
    pub method: crate::manifest::Serialization,
    pub hash: crate::manifest::HashAlgorithm,
    /// Reuse the digests of unchanged files from the previous, verified signature.
    pub incremental: Option<Incremental>,
    /// Where hash records live (`None`: no record is read or written). After every signing
    /// the model's record is written there for the next incremental run.
    pub record_dir: Option<std::path::PathBuf>,
}

/// Incremental signing: the previous signature's statement, verified by the caller (see
/// [`verify_previous`]), and what to hash regardless.
#[derive(Debug)]
pub struct Incremental {
    pub previous: crate::verify::VerifiedStatement,
    /// Model-relative paths (files or folders) hashed whatever the hash record says.
    pub changed: Vec<String>,
    pub record: crate::manifest::RecordUse,
}

/// What incremental signing reused and hashed.
#[derive(Debug)]
pub struct IncrementalOutcome {
    /// Files whose previous digests were reused.
    pub reused: usize,
    /// Files read and hashed, and their bytes.
    pub hashed_files: usize,
    pub hashed_bytes: u64,
    /// Why every file was hashed, when so.
    pub full_rehash: Option<crate::manifest::FullRehash>,
}

/// What was signed.
#[derive(Debug)]
pub struct SignOutcome {
    pub signature: std::path::PathBuf,
    pub manifest: Manifest,
    /// Set for an incremental signing.
    pub incremental: Option<IncrementalOutcome>,
    /// The hash record written (its path), or why not; `None` without a record directory.
    pub record: Option<Result<std::path::PathBuf, crate::manifest::record::RecordError>>,
    /// Lines of the claims file beside the signature that are about other bytes than the ones
    /// just signed (stale since the model changed): `verify` refuses them until re-attested.
    pub stale_claims: Vec<usize>,
}

/// Reads the signature file at `signature` and verifies it against `anchor`: the previous
/// signature incremental signing starts from.
///
/// # Errors
/// The file cannot be read ([`crate::Error::ReadSignature`]), is no bundle
/// ([`crate::Error::MalformedSignature`]) or does not verify ([`crate::Error::Verification`],
/// exit 1).
pub fn verify_previous(
    signature: &std::path::Path,
    anchor: &crate::verify::TrustAnchor,
) -> crate::Result<crate::verify::VerifiedStatement> {
    let bytes = crate::fsutil::read_regular_capped(signature, crate::fsutil::MAX_SIGNATURE_BYTES).map_err(
        |source| crate::Error::ReadSignature {
            path: signature.to_path_buf(),
            source,
        },
    )?;
    let bundle = Bundle::parse(&bytes).map_err(|source| crate::Error::MalformedSignature {
        path: signature.to_path_buf(),
        source,
    })?;
    crate::verify::verify_bundle(&bundle, anchor).map_err(|source| crate::Error::Verification {
        path: signature.to_path_buf(),
        source,
    })
}

/// The stored hash record, if it was read before hashing.
enum StoredRecord {
    NotRead,
    Read(Option<crate::manifest::record::HashRecord>),
}

/// The manifest of a request (reusing digests when incremental), the record of its hashing,
/// and the stored record if it was read.
fn hash_request(
    model: &std::path::Path,
    walk: &crate::manifest::WalkOptions,
    request: &SignRequest,
) -> Result<(crate::manifest::Hashed, StoredRecord), crate::manifest::ManifestError> {
    use crate::manifest::{Previous, RecordUse, Reuse, build_manifest_incremental, record::HashRecord};
    let Some(inc) = &request.incremental else {
        let hashed = build_manifest_incremental(model, walk, request.method, request.hash, None)?;
        return Ok((hashed, StoredRecord::NotRead));
    };
    let record = match (&request.record_dir, inc.record) {
        (Some(dir), RecordUse::Trust) => HashRecord::load(dir, model),
        _ => None,
    };
    let statement = &inc.previous.statement;
    let reuse = Reuse {
        previous: Previous {
            serialization: &statement.serialization,
            resources: &statement.resources,
            legacy: statement.version == crate::oms::statement::PredicateVersion::V0_2,
        },
        changed: &inc.changed,
        record: record.as_ref(),
        record_use: inc.record,
    };
    let hashed = build_manifest_incremental(model, walk, request.method, request.hash, Some(&reuse))?;
    let stored = match inc.record {
        RecordUse::Trust => StoredRecord::Read(record),
        RecordUse::Ignore => StoredRecord::NotRead,
    };
    Ok((hashed, stored))
}

/// Stores the record of a signing that succeeded, when a record directory is given; a record
/// equal to the one stored is not written again.
fn store_record(
    request: &SignRequest,
    record: &crate::manifest::record::HashRecord,
    stored: StoredRecord,
) -> Option<Result<std::path::PathBuf, crate::manifest::record::RecordError>> {
    use crate::manifest::record::{HashRecord, record_path};
    let dir = request.record_dir.as_deref()?;
    let stored = match stored {
        StoredRecord::Read(r) => r,
        StoredRecord::NotRead => HashRecord::load(dir, &request.model),
    };
    if stored.as_ref() == Some(record)
        && let Ok(path) = record_path(dir, &request.model)
    {
        return Some(Ok(path));
    }
    Some(record.store(dir, &request.model))
}

fn outcome(request: SignRequest, hashed: crate::manifest::Hashed, stored: StoredRecord) -> SignOutcome {
    let record = store_record(&request, &hashed.record, stored);
    let incremental = request.incremental.as_ref().map(|_| IncrementalOutcome {
        reused: hashed.reused,
        hashed_files: hashed.hashed_files,
        hashed_bytes: hashed.hashed_bytes,
        full_rehash: hashed.full_rehash.clone(),
    });
    let stale_claims = stale_claims(&request.signature, hashed.manifest.root_digest());
    SignOutcome {
        signature: request.signature,
        manifest: hashed.manifest,
        incremental,
        record,
        stale_claims,
    }
}

/// The lines of the claims file beside `signature` whose subject is not `root`: claims about
/// the bytes before this signing. They are reported, never carried over or removed.
fn stale_claims(signature: &std::path::Path, root: [u8; 32]) -> Vec<usize> {
    use crate::oms::claim::{ClaimStatement, parse_claims};
    let Ok(Some(bytes)) = crate::verify::claims::read_claims(&crate::oms::claim::claims_path(signature))
    else {
        return Vec::new();
    };
    parse_claims(&bytes)
        .unwrap_or_default()
        .into_iter()
        .filter(|l| {
            l.bundle
                .as_ref()
                .ok()
                .and_then(|b| ClaimStatement::parse(&b.envelope.payload).ok())
                .is_none_or(|st| st.subject_digest != root)
        })
        .map(|l| l.line)
        .collect()
}

/// The walk of a request: its options, with the attestation files (the signature file, the
/// claims file) left out when they lie inside the model.
fn request_walk(request: &SignRequest) -> crate::manifest::WalkOptions {
    let mut walk = request.walk.clone();
    walk.ignore_paths.extend(crate::oms::claim::attestation_paths(
        &request.model,
        &request.signature,
    ));
    walk
}

/// Hashes the model (only what changed, when incremental), signs it and writes the signature
/// file atomically (temp file in the same directory, fsync, rename): an interrupted run never
/// leaves a truncated signature. Then the hash record, when a record directory is given.
pub fn sign_model(request: SignRequest, signer: &Signer) -> crate::Result<SignOutcome> {
    let walk = request_walk(&request);
    let (hashed, stored) = hash_request(&request.model, &walk, &request)?;
    let bundle = signer.sign(&hashed.manifest)?;
    crate::fsutil::write_atomic(&request.signature, &bundle.to_json())?;
    Ok(outcome(request, hashed, stored))
}

/// Like [`sign_model`], keylessly: the statement is signed through Sigstore (Fulcio, Rekor,
/// TSA) and the bundle written atomically.
pub async fn sign_model_keyless(
    request: SignRequest,
    token: &sigstore::TokenSource,
    instance: &crate::sigstore::SigstoreInstance,
) -> crate::Result<SignOutcome> {
    let walk = request_walk(&request);
    let model = request.model.clone();
    let (request, hashed) = tokio::task::spawn_blocking(move || {
        let hashed = hash_request(&request.model, &walk, &request);
        (request, hashed)
    })
    .await
    .map_err(|e| crate::Error::Io {
        action: "hashing failed",
        path: model,
        source: std::io::Error::other(e.to_string()),
    })?;
    let (hashed, stored) = hashed?;
    let payload = statement::write_payload(&hashed.manifest);
    let bundle = sigstore::sign_keyless(&payload, token, instance).await?;
    crate::fsutil::write_atomic(&request.signature, bundle.as_bytes())?;
    Ok(outcome(request, hashed, stored))
}

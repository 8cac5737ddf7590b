//! Verification: first the signature file (signature, signer, statement consistency), then the
//! model's bytes against the signed manifest. Returns data ([`VerifiedStatement`],
//! [`VerificationReport`]); never prints. One module per method.

mod certificate;
mod claim;
pub mod claims;
mod key;
mod model;
pub mod sigstore;

pub use claim::{CertificateSummary, SignerClaim};

pub use model::{
    Comparison, Coverage, Links, ManifestProof, ModelCheck, SignedDigests, UnsignedFiles, VerificationReport,
    check_model, check_model_hashed, prove,
};

use crate::crypto::ec::{MessageHash, VerifyingKey};
use crate::crypto::x509::{Certificate, X509Error};
use crate::manifest::root_digest;
use crate::oms::FormatError;
use crate::oms::bundle::Bundle;
use crate::oms::dsse::{self, IN_TOTO_PAYLOAD_TYPE};
use crate::oms::statement::{self, PredicateVersion, SignedStatement};
use std::time::SystemTime;

/// A definite "no": the signature file does not prove what it claims, for this trust anchor.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    #[error("the bundle was signed with the {found} method but a {expected} was given to verify it")]
    WrongMethod {
        found: &'static str,
        expected: &'static str,
    },
    #[error("key mismatch: the bundle names key {bundle_hint}, but the public key given is {given_hint}")]
    KeyMismatch { bundle_hint: String, given_hint: String },
    #[error("the DSSE signature does not verify with {signer}")]
    BadSignature { signer: String },
    #[error("the DSSE envelope carries payloadType {0:?}; OMS signatures sign application/vnd.in-toto+json")]
    PayloadType(String),
    #[error("the signing certificate chain is not trusted: {0}")]
    Chain(#[source] X509Error),
    #[error("the signing certificate in the bundle is malformed: {0}")]
    BadCertificate(#[source] X509Error),
    #[error(
        "the signed statement is inconsistent: subject digest {claimed} != {computed} computed over the listed resources"
    )]
    SubjectMismatch { claimed: String, computed: String },
    #[error("the signed statement is malformed: {0}")]
    Statement(#[source] FormatError),
    #[error("Sigstore verification failed: {0}")]
    Sigstore(String),
}

/// What the verifier trusts.
#[derive(Debug, Clone)]
pub enum TrustAnchor {
    /// Key method: exactly this public key.
    PublicKey(VerifyingKey),
    /// Certificate method: every certificate in the user's `--certificate-chain` files is an
    /// anchor; certificate validity is checked at `at` (the OMS spec's rule).
    Certificates {
        anchors: Vec<Certificate>,
        at: SystemTime,
    },
    /// Sigstore keyless: a trusted root and the identity and issuer the certificate must name.
    Sigstore {
        instance: sigstore::SigstoreInstance,
        identity: String,
        issuer: String,
    },
}

/// Who signed, as the stable identity a lock pins and an audit filters on: the same signer
/// gives the same value on every signature it makes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "method", rename_all = "kebab-case")]
pub enum SignerId {
    /// Key method: the key's fingerprint as `verify` prints it (hex SHA-256 of the SPKI PEM,
    /// model_signing's key hint).
    Key { fingerprint: String },
    /// Certificate method: the leaf's subject and the hex SHA-256 fingerprint of the trust
    /// anchor its chain ends at.
    Certificate { subject: String, anchor: String },
    /// Sigstore keyless: the certificate's identity and OIDC issuer.
    Sigstore { identity: String, issuer: String },
}

impl std::fmt::Display for SignerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Key { fingerprint } => write!(f, "key {fingerprint}"),
            Self::Certificate { subject, anchor } => {
                write!(f, "certificate {subject} (anchor {anchor})")
            }
            Self::Sigstore { identity, issuer } => {
                write!(f, "Sigstore identity {identity} (issuer {issuer})")
            }
        }
    }
}

/// A statement whose signature verified: safe to compare against files.
#[derive(Debug, Clone)]
pub struct VerifiedStatement {
    pub statement: SignedStatement,
    /// `key`, `certificate` or `sigstore`.
    pub method: &'static str,
    /// Human-readable signer: key hint or certificate subject.
    pub signer: String,
    /// The signer's stable identity.
    pub signer_id: SignerId,
    /// Things that verified but deserve attention (legacy formats, missing hint).
    pub warnings: Vec<String>,
}

impl VerifiedStatement {
    /// The OMS subject digest (for a legacy statement without one, the same SHA-256 over the
    /// resources in order that a subject would carry).
    #[must_use]
    pub fn subject_digest(&self) -> [u8; 32] {
        let st = &self.statement;
        st.subject_digest
            .as_deref()
            .and_then(|d| d.try_into().ok())
            .unwrap_or_else(|| root_digest(st.resources.iter().map(|r| r.digest.as_slice())))
    }
}

/// A DSSE envelope whose signature verified for a trust anchor: its payload is authentic, and
/// says what it says (an OMS signature's statement, or a claim's).
#[derive(Debug, Clone)]
pub struct VerifiedEnvelope {
    pub payload: Vec<u8>,
    /// `key`, `certificate` or `sigstore`.
    pub method: &'static str,
    /// Human-readable signer: key hint or certificate subject.
    pub signer: String,
    /// The signer's stable identity.
    pub signer_id: SignerId,
    /// Things that verified but deserve attention (legacy formats, missing hint).
    pub warnings: Vec<String>,
}

/// Steps 1–5 of verification: everything that can be decided from the bundle alone.
pub fn verify_bundle(bundle: &Bundle, anchor: &TrustAnchor) -> Result<VerifiedStatement, VerifyError> {
    // 1–3. The envelope's signature, by the anchor's signer (keyless: bound to the subject).
    let VerifiedEnvelope {
        payload,
        method,
        signer,
        signer_id,
        mut warnings,
    } = verify_envelope(bundle, anchor)?;
    // 4. Parse the signed statement (only now: its bytes are authentic).
    let statement = statement::parse_payload(&payload).map_err(VerifyError::Statement)?;
    // 5. The subject digest must equal SHA-256 over the resources in the order listed.
    if let Some(claimed) = &statement.subject_digest {
        let computed = root_digest(statement.resources.iter().map(|r| r.digest.as_slice()));
        if claimed.as_slice() != computed {
            return Err(VerifyError::SubjectMismatch {
                claimed: hex::encode(claimed),
                computed: hex::encode(computed),
            });
        }
    } else if method == "sigstore" {
        return Err(VerifyError::Sigstore(
            "the statement has no SHA-256 subject".to_owned(),
        ));
    }
    if statement.version == PredicateVersion::V0_2 {
        warnings.push("legacy model_signing v0.2 statement (no subject digest)".to_owned());
    }
    Ok(VerifiedStatement {
        statement,
        method,
        signer,
        signer_id,
        warnings,
    })
}

/// Steps 1–3 of verification, for any in-toto statement: the payload type, the signer's
/// material against the anchor, and the DSSE signature (keyless: the Sigstore checks, bound to
/// the statement's subject digest). Says nothing about what the payload means.
pub fn verify_envelope(bundle: &Bundle, anchor: &TrustAnchor) -> Result<VerifiedEnvelope, VerifyError> {
    // 1. Only in-toto payloads are OMS statements; the PAE always uses this type.
    if bundle.envelope.payload_type != IN_TOTO_PAYLOAD_TYPE {
        return Err(VerifyError::PayloadType(bundle.envelope.payload_type.clone()));
    }
    // 2. Establish the verification key from the trust anchor and the bundle's material.
    let mut warnings = Vec::new();
    let (key, signer, signer_id, method, compat_hashes) = match anchor {
        TrustAnchor::PublicKey(k) => {
            let signer = key::check_material(&bundle.material, k, &mut warnings)?;
            let id = SignerId::Key {
                fingerprint: k.hint(),
            };
            (
                k.clone(),
                signer,
                id,
                "key",
                vec![k.curve().hash(), MessageHash::Sha256],
            )
        }
        TrustAnchor::Certificates { anchors, at } => {
            let (k, signer, id) = certificate::check_material(&bundle.material, anchors, *at)?;
            (k, signer, id, "certificate", vec![MessageHash::Sha256])
        }
        // A keyless bundle's key is only known once its certificate chains to the Sigstore
        // instance's roots: its checks are a path of their own.
        TrustAnchor::Sigstore {
            instance,
            identity,
            issuer,
        } => return verify_sigstore(bundle, instance, identity, issuer),
    };
    // 3. The DSSE signature over the PAE, with the curve's hash; then the v0.2 PAE, which
    //    model_signing 1.1.1 still accepts for bundles it made in 2024.
    let payload = &bundle.envelope.payload;
    let sig = &bundle.envelope.signatures[0];
    let pae = dsse::pae(IN_TOTO_PAYLOAD_TYPE, payload);
    let bad = |_| VerifyError::BadSignature {
        signer: signer.clone(),
    };
    let mut ok = key.verify_der(&pae, sig, key.curve().hash()).map_err(bad)?;
    if !ok {
        let compat = dsse::pae_v0_2_compat(IN_TOTO_PAYLOAD_TYPE, payload);
        for hash in compat_hashes {
            if key.verify_der(&compat, sig, hash).map_err(bad)? {
                warnings.push(
                    "signature uses the model_signing v0.2 PAE encoding; re-sign to upgrade".to_owned(),
                );
                ok = true;
                break;
            }
        }
    }
    drop(pae);
    if !ok {
        return Err(VerifyError::BadSignature { signer });
    }
    Ok(VerifiedEnvelope {
        payload: payload.clone(),
        method,
        signer,
        signer_id,
        warnings,
    })
}

/// The keyless path: the Sigstore checks (certificate chain, SCT, transparency log,
/// timestamps, DSSE signature, identity) bind the bundle to the statement's subject digest.
fn verify_sigstore(
    bundle: &Bundle,
    instance: &sigstore::SigstoreInstance,
    identity: &str,
    issuer: &str,
) -> Result<VerifiedEnvelope, VerifyError> {
    let payload = &bundle.envelope.payload;
    // 1. The subject digest the Sigstore checks bind to (read before the signature is checked,
    //    used only as the artifact the signature must cover).
    let subject = crate::oms::claim::statement_subject(payload)
        .map_err(|_| VerifyError::Sigstore("the statement has no SHA-256 subject".to_owned()))?;
    // 2-6. Certificate chain, SCT, transparency log, timestamps, DSSE signature, identity.
    let json = serde_json::to_string(&bundle.raw).map_err(|e| VerifyError::Sigstore(e.to_string()))?;
    let policy = sigstore::SigstorePolicy::Identity {
        identity: identity.to_owned(),
        issuer: issuer.to_owned(),
    };
    sigstore::verify_sigstore_bundle(
        &json,
        instance,
        &policy,
        sigstore::SignedArtifact::Digest(subject),
    )
    .map_err(VerifyError::Sigstore)?;
    Ok(VerifiedEnvelope {
        payload: payload.clone(),
        method: "sigstore",
        signer: format!("Sigstore identity {identity} (issuer {issuer})"),
        signer_id: SignerId::Sigstore {
            identity: identity.to_owned(),
            issuer: issuer.to_owned(),
        },
        warnings: Vec::new(),
    })
}

/// The method name of a statement [`compare_unverified`] compares with (never trusted).
const UNVERIFIED: &str = "unverified";

/// Compares a model with the manifest a bundle carries *without* verifying the bundle's
/// signature (an audit with no trust anchor for it): says whether the files are still the ones
/// listed, nothing about who listed them. Returns no [`VerifiedStatement`].
///
/// # Errors
/// A malformed statement, or the model cannot be read.
pub fn compare_unverified(
    model: &std::path::Path,
    bundle: &Bundle,
    check: &ModelCheck,
) -> crate::Result<VerificationReport> {
    let statement = statement::parse_payload(&bundle.envelope.payload).map_err(|source| {
        crate::Error::MalformedSignature {
            path: model.to_path_buf(),
            source,
        }
    })?;
    let unverified = VerifiedStatement {
        statement,
        method: UNVERIFIED,
        signer: "an unverified signer".to_owned(),
        signer_id: SignerId::Key {
            fingerprint: String::new(),
        },
        warnings: Vec::new(),
    };
    Ok(check_model(model, &unverified, check)?)
}

/// Reads and verifies a signature file, then checks the model against it.
pub fn verify_model(
    model: &std::path::Path,
    signature: &std::path::Path,
    anchor: &TrustAnchor,
    check: &ModelCheck,
) -> crate::Result<VerificationReport> {
    // A model that is not there is said so, not reported as its signature missing.
    if fs_err::symlink_metadata(model).is_err() {
        return Err(crate::Error::ModelNotFound {
            path: model.to_path_buf(),
        });
    }
    let bytes = crate::fsutil::read_regular_capped(signature, crate::fsutil::MAX_SIGNATURE_BYTES).map_err(
        |source| crate::Error::ReadSignature {
            path: signature.to_path_buf(),
            source,
        },
    )?;
    let signature_digest = {
        use sha2::Digest as _;
        hex::encode(sha2::Sha256::digest(&bytes))
    };
    let bundle = Bundle::parse(&bytes).map_err(|source| crate::Error::MalformedSignature {
        path: signature.to_path_buf(),
        source,
    })?;
    drop(bytes);
    let verified = verify_bundle(&bundle, anchor).map_err(|source| crate::Error::Verification {
        path: signature.to_path_buf(),
        source,
    })?;
    // The statement is parsed out; the envelope (payload and all) is not needed any more.
    drop(bundle);
    let mut check = check.clone();
    // The attestation files are not part of the model, unless this signature lists them.
    let mut signed_attestations = Vec::new();
    for rel in crate::oms::claim::attestation_paths(model, signature) {
        if verified.statement.lists(&rel) {
            signed_attestations.push(rel);
        } else {
            check.ignore_paths.push(rel);
        }
    }
    let mut report = check_model(model, &verified, &check)?;
    report.signature_digest = Some(signature_digest);
    report.signed_attestations = signed_attestations;
    Ok(report)
}

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
}

/// What was signed.
#[derive(Debug)]
pub struct SignOutcome {
    pub signature: std::path::PathBuf,
    pub manifest: Manifest,
}

/// Hashes the model, signs it and writes the signature file atomically (temp file in the same
/// directory, fsync, rename): an interrupted run never leaves a truncated signature.
pub fn sign_model(request: SignRequest, signer: &Signer) -> crate::Result<SignOutcome> {
    let mut walk = request.walk;
    walk.ignore_paths.extend(crate::manifest::attestation_paths(
        &request.model,
        &request.signature,
    ));
    let manifest = crate::manifest::build_manifest(&request.model, &walk, request.method, request.hash)?;
    let bundle = signer.sign(&manifest)?;
    crate::fsutil::write_atomic(&request.signature, &bundle.to_json())?;
    Ok(SignOutcome {
        signature: request.signature,
        manifest,
    })
}

/// Like [`sign_model`], keylessly: the statement is signed through Sigstore (Fulcio, Rekor,
/// TSA) and the bundle written atomically.
pub async fn sign_model_keyless(
    request: SignRequest,
    token: &sigstore::TokenSource,
    instance: &crate::sigstore::SigstoreInstance,
) -> crate::Result<SignOutcome> {
    let mut walk = request.walk;
    walk.ignore_paths.extend(crate::manifest::attestation_paths(
        &request.model,
        &request.signature,
    ));
    let (model, method, hash) = (request.model.clone(), request.method, request.hash);
    let manifest =
        tokio::task::spawn_blocking(move || crate::manifest::build_manifest(&model, &walk, method, hash))
            .await
            .map_err(|e| crate::Error::Io {
                action: "hashing failed",
                path: request.model.clone(),
                source: std::io::Error::other(e.to_string()),
            })??;
    let payload = statement::write_payload(&manifest);
    let bundle = sigstore::sign_keyless(&payload, token, instance).await?;
    crate::fsutil::write_atomic(&request.signature, bundle.as_bytes())?;
    Ok(SignOutcome {
        signature: request.signature,
        manifest,
    })
}

//! The Sigstore (keyless) method: the bundle carries a Fulcio certificate, a Rekor entry and
//! possibly RFC 3161 timestamps; the verifier trusts a Sigstore trusted root and an identity.
//!
//! The cryptographic checks are the `sigstore-verify` crate's (certificate chain to Fulcio at
//! the signing time, SCT, Rekor inclusion proof with checkpoint or SET, timestamps, DSSE
//! signature, exact SAN and issuer match). Fully offline: the trusted root is embedded
//! (production, staging) or given as a ClientTrustConfig / trusted root file.

pub use crate::sigstore::SigstoreInstance;
use sigstore_verify::types::{Artifact, Bundle, DerPublicKey, Sha256Hash};
use sigstore_verify::{PublicKeyVerificationPolicy, VerificationPolicy, Verifier};

/// Whom the bundle must be from.
#[derive(Debug, Clone)]
pub enum SigstorePolicy {
    /// A Fulcio certificate for exactly this identity (SAN) and OIDC issuer.
    Identity { identity: String, issuer: String },
    /// A managed key (PEM SPKI) instead of a certificate.
    PublicKey(String),
}

/// What the bundle's signature must cover.
#[derive(Debug, Clone, Copy)]
pub enum SignedArtifact<'a> {
    Digest([u8; 32]),
    Blob(&'a [u8]),
}

/// Verifies a Sigstore bundle (JSON text) completely and offline; `Err` says which check failed.
pub fn verify_sigstore_bundle(
    bundle_json: &str,
    instance: &SigstoreInstance,
    policy: &SigstorePolicy,
    artifact: SignedArtifact<'_>,
) -> Result<(), String> {
    let bundle = Bundle::from_json(bundle_json).map_err(|e| format!("malformed Sigstore bundle: {e}"))?;
    let root = instance.trusted_root()?;
    let verifier = Verifier::new(&root).map_err(|e| format!("the trusted root is unusable: {e}"))?;
    let input = match artifact {
        SignedArtifact::Digest(d) => Artifact::from_digest(Sha256Hash::new(d)),
        SignedArtifact::Blob(b) => Artifact::from_blob(b),
    };
    match policy {
        SigstorePolicy::Identity { identity, issuer } => {
            let result = verifier
                .verify(
                    input,
                    &bundle,
                    &VerificationPolicy::new(identity.as_str(), issuer.as_str()),
                )
                .map_err(|e| e.to_string())?;
            // Defence in depth: every check the policy implies must have run.
            if !(result.certificate_verified()
                && result.sct_verified()
                && result.tlog_verified()
                && result.identity_policy_checked())
            {
                return Err("the Sigstore verifier skipped a required check".to_owned());
            }
        }
        SigstorePolicy::PublicKey(pem) => {
            let key = DerPublicKey::from_pem(pem).map_err(|e| format!("the public key is invalid: {e}"))?;
            verifier
                .verify(input, &bundle, &PublicKeyVerificationPolicy::new(key))
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

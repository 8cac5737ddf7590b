//! The certificate method: the bundle carries the signing certificate and its chain, in the
//! order given, so verifiers need only their trust anchors.

use super::{SignError, Signer, SigningKeyRef};
use crate::crypto::ec::VerifyingKey;
use crate::crypto::x509::Certificate;
use crate::oms::bundle::VerificationMaterial;

/// Builds a certificate signer after checking that the leaf certifies `key` (for a token key:
/// the public key read from the token).
pub fn certificate_signer(
    key: SigningKeyRef,
    leaf: Certificate,
    chain: Vec<Certificate>,
) -> Result<Signer, SignError> {
    let leaf_key = VerifyingKey::from_spki_der(&leaf.spki_der());
    if leaf_key.ok().as_ref() != Some(&key.verifying_key()) {
        return Err(SignError::CertificateKeyMismatch {
            subject: leaf.subject(),
        });
    }
    let mut all = Vec::with_capacity(chain.len() + 1);
    all.push(leaf);
    all.extend(chain);
    Ok(Signer::Certificate { key, chain: all })
}

pub(super) fn material(chain: &[Certificate]) -> VerificationMaterial {
    VerificationMaterial::X509CertificateChain(chain.iter().map(|c| c.der().to_vec()).collect())
}

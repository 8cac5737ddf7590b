//! The certificate method: the bundle supplies the leaf and intermediates; the verifier's
//! anchors decide trust.

use super::{SignerId, VerifyError};
use crate::crypto::ec::VerifyingKey;
use crate::crypto::x509::{Certificate, verify_signing_chain};
use crate::oms::bundle::VerificationMaterial;
use std::time::SystemTime;

/// Validates the chain and returns the leaf's key, a signer description and its identity.
pub(super) fn check_material(
    material: &VerificationMaterial,
    anchors: &[Certificate],
    at: SystemTime,
) -> Result<(VerifyingKey, String, SignerId), VerifyError> {
    let ders = match material {
        VerificationMaterial::X509CertificateChain(ders) => ders,
        VerificationMaterial::PublicKey { .. } => {
            return Err(VerifyError::WrongMethod {
                found: "key",
                expected: "certificate chain",
            });
        }
        VerificationMaterial::Certificate(_) => {
            return Err(VerifyError::WrongMethod {
                found: "sigstore",
                expected: "certificate chain",
            });
        }
    };
    // 1. Parse the leaf and the untrusted intermediates carried by the bundle.
    let certs = ders
        .iter()
        .map(|d| Certificate::from_der(d))
        .collect::<Result<Vec<_>, _>>()
        .map_err(VerifyError::BadCertificate)?;
    let (leaf, intermediates) = certs.split_first().ok_or(VerifyError::BadCertificate(
        crate::crypto::x509::X509Error::NoCertificate,
    ))?;
    // 2. Path to a trusted anchor, validity at `at`, CA constraints, leaf usable for signing.
    let anchor = verify_signing_chain(leaf, intermediates, anchors, at).map_err(VerifyError::Chain)?;
    let id = SignerId::Certificate {
        subject: leaf.subject(),
        anchor: anchor.fingerprint(),
    };
    // 3. The leaf's key is the DSSE verification key.
    let key = VerifyingKey::from_spki_der(&leaf.spki_der()).map_err(|e| VerifyError::BadSignature {
        signer: format!("certificate {} ({e})", leaf.subject()),
    })?;
    Ok((key, format!("certificate {}", leaf.subject()), id))
}

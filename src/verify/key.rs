//! The key method: the bundle may name the key (hint) but never supplies it.

use super::VerifyError;
use crate::crypto::ec::VerifyingKey;
use crate::oms::bundle::VerificationMaterial;

/// Checks the bundle's material against the trusted key; returns the signer description.
pub(super) fn check_material(
    material: &VerificationMaterial,
    key: &VerifyingKey,
    warnings: &mut Vec<String>,
) -> Result<String, VerifyError> {
    let given_hint = key.hint();
    match material {
        VerificationMaterial::PublicKey { hint: Some(hint), .. } => {
            // The hint is unauthenticated; a mismatch is still a definite "no" (model_signing agrees).
            if !hint.eq_ignore_ascii_case(&given_hint) {
                return Err(VerifyError::KeyMismatch {
                    bundle_hint: hint.clone(),
                    given_hint,
                });
            }
        }
        VerificationMaterial::PublicKey {
            hint: None,
            legacy_raw_pem,
        } => {
            warnings.push(if legacy_raw_pem.is_some() {
                "the signature uses the older verification material format (embedded key, ignored); re-sign to use a key hint".to_owned()
            } else {
                "the signature names no key (no hint); verifying with the key given".to_owned()
            });
        }
        VerificationMaterial::X509CertificateChain(_) => {
            return Err(VerifyError::WrongMethod {
                found: "certificate",
                expected: "public key",
            });
        }
        VerificationMaterial::Certificate(_) => {
            return Err(VerifyError::WrongMethod {
                found: "sigstore",
                expected: "public key",
            });
        }
    }
    Ok(format!("{} public key {given_hint}", key.curve()))
}

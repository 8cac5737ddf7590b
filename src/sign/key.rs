//! The key method: the bundle names the key by its hint, never carries it.

use super::SigningKeyRef;
use crate::oms::bundle::VerificationMaterial;

pub(super) fn material(key: &SigningKeyRef) -> VerificationMaterial {
    VerificationMaterial::PublicKey {
        hint: Some(key.verifying_key().hint()),
        legacy_raw_pem: None,
    }
}

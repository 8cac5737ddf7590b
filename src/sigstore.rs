//! Which Sigstore instance to trust or sign against: shared by `sign` and `verify` (so signing
//! does not depend on the verifier), with the embedded production and staging trusted roots.

use sigstore_verify::trust_root::TrustedRoot;

const CLIENT_TRUST_CONFIG: &str = "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json";

/// Which Sigstore instance's roots to trust.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigstoreInstance {
    /// The public-good production instance (embedded trusted root).
    Production,
    /// The public staging instance (embedded trusted root).
    Staging,
    /// A ClientTrustConfig or bare trusted root JSON document (any instance, e.g. a private one).
    Custom(String),
}

impl SigstoreInstance {
    /// The trusted root JSON of this instance.
    pub fn trusted_root_json(&self) -> Result<String, String> {
        match self {
            Self::Production => Ok(sigstore_verify::trust_root::SIGSTORE_PRODUCTION_TRUSTED_ROOT.to_owned()),
            Self::Staging => Ok(sigstore_verify::trust_root::SIGSTORE_STAGING_TRUSTED_ROOT.to_owned()),
            Self::Custom(json) => {
                let v: serde_json::Value =
                    serde_json::from_str(json).map_err(|e| format!("the trust config is not JSON: {e}"))?;
                let media_type = v
                    .get("mediaType")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or_default();
                let root = if media_type == CLIENT_TRUST_CONFIG {
                    v.get("trustedRoot")
                        .cloned()
                        .ok_or("the ClientTrustConfig has no trustedRoot")?
                } else if media_type.starts_with("application/vnd.dev.sigstore.trustedroot") {
                    v
                } else {
                    return Err(format!(
                        "unknown trust material media type {media_type:?} (expected a ClientTrustConfig or a trusted root)"
                    ));
                };
                Ok(root.to_string())
            }
        }
    }

    /// Parses the trusted root (also checks a custom file up front).
    pub fn trusted_root(&self) -> Result<TrustedRoot, String> {
        TrustedRoot::from_json(&self.trusted_root_json()?)
            .map_err(|e| format!("the trusted root is invalid: {e}"))
    }
}

//! The Sigstore (keyless) method: an OIDC identity token becomes a short-lived Fulcio
//! certificate for an ephemeral key; the DSSE envelope over our exact statement bytes is logged
//! in Rekor and timestamped by the instance's TSA. The bundle is written as the `sigstore-sign`
//! crate produces it (Sigstore bundle v0.3 with certificate, tlog entry, RFC 3161 timestamp).

use super::SignError;
use crate::sigstore::SigstoreInstance;
use sigstore_sign::oidc::IdentityToken;
use sigstore_sign::trust_root::SigningConfig;
use sigstore_sign::{SigningContext, SigningServices};

/// Where the OIDC identity token comes from, in precedence order.
#[derive(Clone)]
pub enum TokenSource {
    /// Given explicitly (`--identity-token` or `SIGSTORE_ID_TOKEN`, resolved by the caller).
    Explicit(String),
    /// Ambient CI credentials (GitHub Actions and other detected providers); then, if
    /// `interactive`, the browser / out-of-band OAuth flow of the instance's OIDC provider.
    Ambient { interactive: bool },
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Explicit(_) => f.write_str("Explicit(<redacted>)"),
            Self::Ambient { interactive } => write!(f, "Ambient {{ interactive: {interactive} }}"),
        }
    }
}

fn services(instance: &SigstoreInstance) -> Result<SigningServices, SignError> {
    let fail = |e: &dyn std::fmt::Display| SignError::Keyless(format!("signing services: {e}"));
    match instance {
        SigstoreInstance::Production => {
            SigningServices::from_embedded(sigstore_sign::SigstoreInstance::PublicGood).map_err(|e| fail(&e))
        }
        SigstoreInstance::Staging => {
            SigningServices::from_embedded(sigstore_sign::SigstoreInstance::Staging).map_err(|e| fail(&e))
        }
        SigstoreInstance::Custom(json) => {
            let v: serde_json::Value = serde_json::from_str(json).map_err(|e| fail(&e))?;
            let config = v.get("signingConfig").ok_or_else(|| {
                SignError::Keyless(
                    "the trust config has no signingConfig (a ClientTrustConfig is needed to sign)".into(),
                )
            })?;
            let config = SigningConfig::from_json(&config.to_string()).map_err(|e| fail(&e))?;
            SigningServices::from_signing_config(&config).map_err(|e| fail(&e))
        }
    }
}

/// Signs `payload` (the in-toto statement bytes) keylessly; returns the bundle JSON.
pub async fn sign_keyless(
    payload: &[u8],
    source: &TokenSource,
    instance: &SigstoreInstance,
) -> Result<String, SignError> {
    let context = SigningContext::new(services(instance)?);
    // Token sources in order: explicit, ambient CI credentials, the interactive OAuth flow.
    let token = match source {
        // Never echo the token: errors name the problem only.
        TokenSource::Explicit(jwt) => Some(
            IdentityToken::from_jwt(jwt)
                .map_err(|_| SignError::Keyless("the identity token is not a valid JWT".into()))?,
        ),
        TokenSource::Ambient { .. } => IdentityToken::detect_ambient()
            .await
            .map_err(|e| SignError::Keyless(format!("ambient credentials: {e}")))?,
    };
    let signer = match (token, source) {
        (Some(token), _) => {
            if token.is_expired() {
                return Err(SignError::Keyless("the identity token has expired".into()));
            }
            context.signer(token)
        }
        (None, TokenSource::Ambient { interactive: true }) => context
            .authenticate()
            .await
            .map_err(|e| SignError::Keyless(format!("interactive sign-in failed: {e}")))?,
        (None, _) => {
            return Err(SignError::Keyless(
                "no identity token: pass --identity-token or SIGSTORE_ID_TOKEN (no ambient CI credentials were found, \
                 and without a terminal there is no interactive sign-in)"
                    .into(),
            ));
        }
    };
    let bundle = signer
        .sign_raw_statement(payload)
        .await
        .map_err(|e| SignError::Keyless(e.to_string()))?;
    bundle.to_json().map_err(|e| SignError::Keyless(e.to_string()))
}

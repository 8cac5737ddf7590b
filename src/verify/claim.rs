//! What a bundle says about its signer, read without trusting it: for listings (`audit`) and for
//! finding every signature one key or identity made. Nothing here is a verification result;
//! [`super::verify_bundle`] decides trust.

use crate::crypto::x509::Certificate;
use crate::oms::bundle::{Bundle, VerificationMaterial};
use serde::Serialize;

/// One certificate the bundle carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertificateSummary {
    pub subject: String,
    pub issuer: String,
    /// Hex SHA-256 of the DER certificate.
    pub fingerprint: String,
}

/// The signer a bundle names (unverified).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SignerClaim {
    /// `key`, `certificate` or `sigstore`.
    pub method: &'static str,
    /// Key method: the key hint (hex SHA-256 of the SPKI PEM), when the bundle has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_fingerprint: Option<String>,
    /// Certificate and keyless methods: leaf first, then the chain as the signer gave it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub certificates: Vec<CertificateSummary>,
    /// Keyless: the identity (subjectAltName) and OIDC issuer of the Fulcio certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Keyless: the transparency-log entry (index, integrated time in Unix seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tlog_index: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integrated_time: Option<i64>,
}

impl SignerClaim {
    /// Reads the signer out of a parsed bundle. Certificates that do not parse are listed by
    /// fingerprint of their bytes with an empty subject.
    #[must_use]
    pub fn of(bundle: &Bundle) -> Self {
        match &bundle.material {
            VerificationMaterial::PublicKey { hint, .. } => Self {
                method: "key",
                key_fingerprint: hint.as_ref().map(|h| h.to_ascii_lowercase()),
                ..Self::default()
            },
            VerificationMaterial::X509CertificateChain(ders) => Self {
                method: "certificate",
                certificates: ders.iter().map(|d| summary(d)).collect(),
                ..Self::default()
            },
            VerificationMaterial::Certificate(der) => {
                let leaf = Certificate::from_der(der).ok();
                let entry = bundle
                    .raw
                    .pointer("/verificationMaterial/tlogEntries/0")
                    .cloned()
                    .unwrap_or_default();
                let number = |key: &str| {
                    entry.get(key).and_then(|v| {
                        v.as_str()
                            .map(str::to_owned)
                            .or_else(|| v.as_i64().map(|n| n.to_string()))
                    })
                };
                Self {
                    method: "sigstore",
                    certificates: vec![summary(der)],
                    identity: leaf.as_ref().and_then(|c| c.san_identities().into_iter().next()),
                    issuer: leaf.as_ref().and_then(Certificate::fulcio_issuer),
                    tlog_index: number("logIndex").and_then(|n| n.parse().ok()),
                    integrated_time: number("integratedTime").and_then(|n| n.parse().ok()),
                    ..Self::default()
                }
            }
        }
    }

    /// One line for a table: the fingerprint, leaf subject, or identity.
    #[must_use]
    pub fn short(&self) -> String {
        match self.method {
            "key" => self
                .key_fingerprint
                .as_ref()
                .map_or_else(|| "key (no hint)".to_owned(), |h| format!("key {h}")),
            "sigstore" => format!(
                "{} ({})",
                self.identity.as_deref().unwrap_or("?"),
                self.issuer.as_deref().unwrap_or("?")
            ),
            _ => self
                .certificates
                .first()
                .map_or_else(|| "certificate (none)".to_owned(), |c| c.subject.clone()),
        }
    }
}

fn summary(der: &[u8]) -> CertificateSummary {
    match Certificate::from_der(der) {
        Ok(c) => CertificateSummary {
            subject: c.subject(),
            issuer: c.issuer_name(),
            fingerprint: c.fingerprint(),
        },
        Err(_) => CertificateSummary {
            subject: String::new(),
            issuer: String::new(),
            fingerprint: hex::encode(<sha2::Sha256 as sha2::Digest>::digest(der)),
        },
    }
}

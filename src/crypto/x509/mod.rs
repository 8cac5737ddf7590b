//! X.509 certificates for the `certificate` signing method.
//!
//! This module owns two things: parsing PEM certificate bundles (every `CERTIFICATE` block, ignoring
//! any prose around the blocks, such as the text `GnuTLS` `certtool` writes) and validating the
//! certificate chain of a signing certificate against caller-supplied trust anchors.
//!
//! Chain validation follows OpenSSL's `X509_verify_cert` as `model_signing` 1.1.1 runs it for
//! `verify certificate` (no partial chains: the path must end at a self-signed certificate that is
//! one of the anchors), followed by `model_signing`'s own "can be used for signing" test on the
//! leaf. The one deliberate difference is the verification time, which is always the caller's
//! `at` argument.
//!
//! This file holds the parsing, the [`Certificate`] type and [`X509Error`]; `path` builds and
//! checks the certification path, `signature` verifies one certificate's signature with its
//! issuer's key (ECDSA P-256/P-384/P-521, RSA PKCS#1 v1.5 and PSS).
//!
//! It never prints and never reads environment variables; every outcome is a [`Result`].

mod path;
mod signature;
#[cfg(test)]
mod tests;

use std::fmt;

use der::{Decode as _, Encode as _, Reader as _, SliceReader};
use sha2::{Digest as _, Sha256};
use spki::ObjectIdentifier;

use super::pem::{self, PemError};

pub use path::verify_signing_chain;

/// Object identifiers this module interprets.
mod oid {
    use spki::ObjectIdentifier as Oid;

    pub const ECDSA_WITH_SHA256: Oid = Oid::new_unwrap("1.2.840.10045.4.3.2");
    pub const ECDSA_WITH_SHA384: Oid = Oid::new_unwrap("1.2.840.10045.4.3.3");
    pub const ECDSA_WITH_SHA512: Oid = Oid::new_unwrap("1.2.840.10045.4.3.4");
    pub const SHA256_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.11");
    pub const SHA384_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.12");
    pub const SHA512_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.13");
    pub const RSASSA_PSS: Oid = Oid::new_unwrap("1.2.840.113549.1.1.10");
    pub const MGF1: Oid = Oid::new_unwrap("1.2.840.113549.1.1.8");

    pub const SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.1");
    pub const SHA384: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.2");
    pub const SHA512: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.3");

    pub const RSA_ENCRYPTION: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
    pub const EC_PUBLIC_KEY: Oid = Oid::new_unwrap("1.2.840.10045.2.1");
    pub const SECP256R1: Oid = Oid::new_unwrap("1.2.840.10045.3.1.7");
    pub const SECP384R1: Oid = Oid::new_unwrap("1.3.132.0.34");
    pub const SECP521R1: Oid = Oid::new_unwrap("1.3.132.0.35");

    pub const KEY_USAGE: Oid = Oid::new_unwrap("2.5.29.15");
    pub const SUBJECT_ALT_NAME: Oid = Oid::new_unwrap("2.5.29.17");
    pub const BASIC_CONSTRAINTS: Oid = Oid::new_unwrap("2.5.29.19");
    pub const NAME_CONSTRAINTS: Oid = Oid::new_unwrap("2.5.29.30");
    pub const CERTIFICATE_POLICIES: Oid = Oid::new_unwrap("2.5.29.32");
    pub const EXT_KEY_USAGE: Oid = Oid::new_unwrap("2.5.29.37");

    pub const KP_CODE_SIGNING: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.3.3");
}

/// Why a certificate or a certificate chain was rejected.
///
/// Every variant names the certificate (by subject) and the check that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum X509Error {
    /// The bytes are not a DER-encoded X.509 certificate.
    #[error("{context} is not a valid DER-encoded X.509 certificate")]
    MalformedDer {
        /// Where the bytes came from, e.g. `PEM CERTIFICATE block #2`.
        context: String,
        #[source]
        source: der::Error,
    },

    /// A `CERTIFICATE` block of a PEM text is cut short or is not valid base64.
    #[error("PEM CERTIFICATE block #{block} is malformed: {reason}")]
    MalformedPem {
        /// 1-based index of the `CERTIFICATE` block.
        block: usize,
        reason: &'static str,
        #[source]
        source: Option<base64::DecodeError>,
    },

    /// No certificate at all: a PEM text without a `CERTIFICATE` block, or an empty certificate list.
    #[error(
        "no certificate found (expected a \"-----BEGIN CERTIFICATE-----\" PEM block or a DER certificate)"
    )]
    NoCertificate,

    /// The verification time is before the certificate's notBefore.
    #[error(
        "certificate \"{subject}\" is not yet valid: notBefore is {not_before}, verification time is {at}"
    )]
    NotYetValid {
        subject: String,
        not_before: String,
        at: String,
    },

    /// The verification time is after the certificate's notAfter.
    #[error("certificate \"{subject}\" has expired: notAfter is {not_after}, verification time is {at}")]
    Expired {
        subject: String,
        not_after: String,
        at: String,
    },

    /// No certificate whose subject is the sought issuer name was given (OpenSSL: "unable to get
    /// issuer certificate").
    #[error(
        "no issuer found for certificate \"{subject}\": no intermediate or trust anchor has the subject \
         \"{issuer}\" (the path must end at a self-signed certificate from the trusted chain)"
    )]
    IssuerNotFound { subject: String, issuer: String },

    /// The path ends at a self-signed certificate that is not among the trust anchors (OpenSSL:
    /// "self-signed certificate in certificate chain").
    #[error("certificate \"{subject}\" is self-signed but is not one of the trusted certificates")]
    UntrustedSelfSigned { subject: String },

    /// The certificate's signature does not verify with the candidate issuer's public key.
    #[error(
        "signature of certificate \"{subject}\" does not verify with the key of issuer \"{issuer}\": {reason}"
    )]
    BadSignature {
        subject: String,
        issuer: String,
        reason: &'static str,
    },

    /// A certificate used as an issuer is not a CA (basicConstraints / keyUsage).
    #[error("certificate \"{subject}\" issues other certificates but is not a CA: {reason}")]
    NotCa { subject: String, reason: &'static str },

    /// A CA's basicConstraints pathLenConstraint is smaller than the number of intermediates below it.
    #[error(
        "certificate \"{subject}\" allows at most {path_len} intermediate CA(s) below it, but the path has {intermediates}"
    )]
    PathLenExceeded {
        subject: String,
        path_len: u8,
        intermediates: usize,
    },

    /// The path would need more than the maximum number of issuer certificates.
    #[error("certification path above \"{subject}\" is longer than {max_depth} issuer certificates")]
    PathTooLong { subject: String, max_depth: usize },

    /// Every candidate issuer is already in the path.
    #[error(
        "certification path loops: every issuer \"{issuer}\" of certificate \"{subject}\" is already in the path"
    )]
    PathLoop { subject: String, issuer: String },

    /// Path building gave up after too many signature checks.
    #[error("gave up building a certification path for \"{subject}\" after {limit} signature checks")]
    PathSearchLimit { subject: String, limit: usize },

    /// The certificate is signed with an algorithm this verifier does not implement.
    #[error("certificate \"{subject}\" uses an unsupported signature algorithm: {algorithm}")]
    UnsupportedAlgorithm { subject: String, algorithm: String },

    /// The issuer's public key is of an unsupported type, curve or size, or is malformed.
    #[error("certificate \"{subject}\" has a public key that cannot verify signatures here: {key}")]
    UnsupportedKey { subject: String, key: String },

    /// A critical extension (or nameConstraints) that this verifier does not process.
    #[error(
        "certificate \"{subject}\" has extension {extension}, which must be processed but is not supported"
    )]
    UnhandledCriticalExtension { subject: String, extension: String },

    /// A known extension is malformed or duplicated.
    #[error("certificate \"{subject}\" has an invalid {extension} extension: {reason}")]
    InvalidExtension {
        subject: String,
        extension: String,
        reason: &'static str,
        #[source]
        source: Option<der::Error>,
    },

    /// The leaf has neither `KeyUsage` `digitalSignature` nor `ExtendedKeyUsage` `codeSigning`.
    #[error(
        "certificate \"{subject}\" cannot be used for signing: it has neither KeyUsage digitalSignature \
         nor ExtendedKeyUsage codeSigning (1.3.6.1.5.5.7.3.3)"
    )]
    NotForSigning { subject: String },
}

/// A parsed X.509 certificate together with the exact DER bytes it was parsed from.
#[derive(Clone)]
pub struct Certificate {
    der: Vec<u8>,
    cert: x509_cert::Certificate,
    /// The `TBSCertificate` bytes exactly as they appear in `der` (what the issuer signed).
    tbs_der: Vec<u8>,
    subject_der: Vec<u8>,
    issuer_der: Vec<u8>,
    spki_der: Vec<u8>,
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.subject())
            .field("issuer", &self.issuer_name())
            .field("der_len", &self.der.len())
            .finish_non_exhaustive()
    }
}

impl Certificate {
    /// Parses one DER-encoded certificate (trailing bytes are rejected).
    ///
    /// # Errors
    /// [`X509Error::MalformedDer`] when `der` is not exactly one DER X.509 certificate.
    pub fn from_der(der: &[u8]) -> Result<Self, X509Error> {
        Self::from_der_in(der, "input")
    }

    fn from_der_in(der: &[u8], context: &str) -> Result<Self, X509Error> {
        let malformed = |source| X509Error::MalformedDer {
            context: context.to_owned(),
            source,
        };
        let cert = x509_cert::Certificate::from_der(der).map_err(malformed)?;
        let tbs_der = raw_tbs_certificate(der).map_err(malformed)?.to_vec();
        let tbs = &cert.tbs_certificate;
        let subject_der = tbs.subject.to_der().map_err(malformed)?;
        let issuer_der = tbs.issuer.to_der().map_err(malformed)?;
        let spki_der = tbs.subject_public_key_info.to_der().map_err(malformed)?;
        Ok(Self {
            der: der.to_vec(),
            cert,
            tbs_der,
            subject_der,
            issuer_der,
            spki_der,
        })
    }

    /// The DER bytes the certificate was parsed from.
    #[must_use]
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The subject distinguished name in RFC 4514 order (`CN=…,O=…`), for messages.
    #[must_use]
    pub fn subject(&self) -> String {
        display_name(&self.cert.tbs_certificate.subject)
    }

    /// The DER `SubjectPublicKeyInfo` of the certificate's public key.
    #[must_use]
    pub fn spki_der(&self) -> Vec<u8> {
        self.spki_der.clone()
    }

    /// The issuer distinguished name, for reports.
    #[must_use]
    pub fn issuer_name(&self) -> String {
        display_name(&self.cert.tbs_certificate.issuer)
    }

    /// Hex SHA-256 of the DER certificate: the fingerprint `openssl x509 -fingerprint -sha256`
    /// prints (without colons, lowercase).
    #[must_use]
    pub fn fingerprint(&self) -> String {
        hex::encode(Sha256::digest(&self.der))
    }

    /// The e-mail addresses and URIs of the subjectAltName extension (where a Fulcio
    /// certificate names the signer's identity). Undecodable extensions give nothing.
    #[must_use]
    pub fn san_identities(&self) -> Vec<String> {
        use x509_cert::ext::pkix::SubjectAltName;
        use x509_cert::ext::pkix::name::GeneralName;
        let Some(ext) = self.extension(&<SubjectAltName as x509_cert::der::oid::AssociatedOid>::OID) else {
            return Vec::new();
        };
        let Ok(san) = SubjectAltName::from_der(ext) else {
            return Vec::new();
        };
        san.0
            .iter()
            .filter_map(|name| match name {
                GeneralName::Rfc822Name(s) | GeneralName::UniformResourceIdentifier(s) => {
                    Some(s.as_str().to_owned())
                }
                _ => None,
            })
            .collect()
    }

    /// Sigstore's OIDC issuer extension (1.3.6.1.4.1.57264.1.8, a UTF8String; else the older
    /// 1.3.6.1.4.1.57264.1.1, raw text).
    #[must_use]
    pub fn fulcio_issuer(&self) -> Option<String> {
        const V2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.8");
        const V1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.1");
        if let Some(value) = self.extension(&V2) {
            if let Ok(s) = der::asn1::Utf8StringRef::from_der(value) {
                return Some(s.as_str().to_owned());
            }
        }
        self.extension(&V1)
            .and_then(|v| std::str::from_utf8(v).ok())
            .map(str::to_owned)
    }

    /// The value of the extension `oid`, if present.
    fn extension(&self, oid: &ObjectIdentifier) -> Option<&[u8]> {
        self.cert
            .tbs_certificate
            .extensions
            .as_ref()?
            .iter()
            .find(|e| e.extn_id == *oid)
            .map(|e| e.extn_value.as_bytes())
    }

    /// Subject and issuer names are equal (compared as DER).
    fn is_self_issued(&self) -> bool {
        self.subject_der == self.issuer_der
    }
}

fn display_name(name: &x509_cert::name::Name) -> String {
    let text = name.to_string();
    if text.is_empty() {
        "<empty name>".to_owned()
    } else {
        text
    }
}

/// The `TBSCertificate` TLV exactly as encoded inside a `Certificate` SEQUENCE.
fn raw_tbs_certificate(der: &[u8]) -> der::Result<&[u8]> {
    let mut reader = SliceReader::new(der)?;
    reader.sequence(|inner| {
        let tbs = inner.tlv_bytes()?;
        inner.tlv_bytes()?; // signatureAlgorithm
        inner.tlv_bytes()?; // signatureValue
        Ok(tbs)
    })
}

/// Every `CERTIFICATE` block in a PEM text, in order. Text before, between and after the blocks
/// (e.g. `GnuTLS` `certtool` prose) and blocks with other labels are ignored.
///
/// # Errors
/// [`X509Error::NoCertificate`] when there is no `CERTIFICATE` block,
/// [`X509Error::MalformedPem`] for a block without END line or with bad base64, and
/// [`X509Error::MalformedDer`] for a block that is not a DER certificate.
pub fn parse_pem_certificates(pem: &str) -> Result<Vec<Certificate>, X509Error> {
    let wanted = |label: &str| label == "CERTIFICATE" || label == "X509 CERTIFICATE";
    let mut certificates = Vec::new();
    for (index, found) in pem::blocks_labelled(pem, wanted).enumerate() {
        let block = index + 1;
        let malformed = |reason, source| X509Error::MalformedPem {
            block,
            reason,
            source,
        };
        let found = found.map_err(|error| match error {
            PemError::NoEndLine { .. } => malformed("no matching END line", None),
            PemError::BadBase64 { source, .. } => malformed("the body is not valid base64", Some(source)),
        })?;
        // Header lines are legacy encryption, which a certificate never has.
        if found.has_headers {
            return Err(malformed("the body has RFC 1421 header lines", None));
        }
        certificates.push(Certificate::from_der_in(
            &found.der,
            &format!("PEM CERTIFICATE block #{block}"),
        )?);
    }
    if certificates.is_empty() {
        return Err(X509Error::NoCertificate);
    }
    Ok(certificates)
}

/// `1.2.3 (name)` when the OID has a well-known name, else the dotted form.
fn describe_oid(oid: &ObjectIdentifier) -> String {
    match x509_cert::der::oid::db::DB.by_oid(oid) {
        Some(name) => format!("{oid} ({name})"),
        None => oid.to_string(),
    }
}

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
//! It never prints and never reads environment variables; every outcome is a [`Result`].

use std::fmt;
use std::time::SystemTime;

use base64::Engine as _;
use der::{Decode as _, Encode as _, Reader as _, SliceReader};
use ecdsa::signature::Verifier as _;
use ecdsa::signature::hazmat::PrehashVerifier as _;
use rsa::{BigUint, RsaPublicKey, pkcs1v15, pss};
use sha2::{Digest as _, Sha256, Sha384, Sha512};
use spki::ObjectIdentifier;
use x509_cert::certificate::Version;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage};

/// Maximum number of issuer certificates above the leaf in a certification path.
const MAX_DEPTH: usize = 10;

/// Maximum number of signature checks during one path search. Intermediates come from the
/// signature bundle, so an attacker could supply many certificates with the same name and key;
/// the bound keeps backtracking over them from becoming exponential.
const MAX_SIGNATURE_CHECKS: usize = 256;

/// Largest RSA modulus accepted (the `rsa` crate defaults to 4096 bits, which rejects some roots).
const MAX_RSA_BITS: usize = 16384;

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
            .field("issuer", &display_name(&self.cert.tbs_certificate.issuer))
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

    fn issuer(&self) -> String {
        display_name(&self.cert.tbs_certificate.issuer)
    }

    /// The issuer distinguished name, for reports.
    #[must_use]
    pub fn issuer_name(&self) -> String {
        self.issuer()
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
    const BEGIN: &str = "-----BEGIN ";
    const DASHES: &str = "-----";
    let mut certificates = Vec::new();
    let mut rest = pem;
    while let Some(start) = rest.find(BEGIN) {
        let after_begin = &rest[start + BEGIN.len()..];
        let label = after_begin.find(DASHES).map(|end| &after_begin[..end]);
        let label = match label {
            Some(label) if label == "CERTIFICATE" || label == "X509 CERTIFICATE" => label,
            // Another kind of block, or a "-----BEGIN " inside prose: skip past it.
            _ => {
                rest = after_begin;
                continue;
            }
        };
        let block = certificates.len() + 1;
        let body_and_rest = &after_begin[label.len() + DASHES.len()..];
        let end_marker = format!("-----END {label}-----");
        let Some(body_len) = body_and_rest.find(&end_marker) else {
            return Err(X509Error::MalformedPem {
                block,
                reason: "no matching END line",
                source: None,
            });
        };
        let body: String = body_and_rest[..body_len]
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(body.as_bytes())
            .map_err(|source| X509Error::MalformedPem {
                block,
                reason: "the body is not valid base64",
                source: Some(source),
            })?;
        certificates.push(Certificate::from_der_in(
            &der,
            &format!("PEM CERTIFICATE block #{block}"),
        )?);
        rest = &body_and_rest[body_len + end_marker.len()..];
    }
    if certificates.is_empty() {
        return Err(X509Error::NoCertificate);
    }
    Ok(certificates)
}

/// Validates `leaf` for signing: builds a path leaf → (any of `intermediates`)* → one of
/// `anchors`, which must end at a self-signed anchor, and checks every certificate on it at `at`.
///
/// Returns the anchor the path ends at, or the failing check. When several candidate paths
/// exist and all fail, the error of the path that got furthest is returned (a complete path that fails a check beats a
/// bad signature, which beats a missing issuer).
///
/// # Errors
/// The [`X509Error`] variant of the failing check: validity period, issuer not found, signature,
/// CA constraints, unsupported algorithm, key or critical extension, path length, or leaf usage.
pub fn verify_signing_chain<'a>(
    leaf: &Certificate,
    intermediates: &[Certificate],
    anchors: &'a [Certificate],
    at: SystemTime,
) -> Result<&'a Certificate, X509Error> {
    let mut search = PathSearch {
        intermediates,
        anchors,
        at,
        signature_checks_left: MAX_SIGNATURE_CHECKS,
        exhausted: false,
        best_failure: None,
    };
    let mut path = vec![leaf];
    if search.extend(&mut path) {
        // A complete path ends at one of the anchors (the leaf itself when it is one).
        let end = path.last().map_or(leaf.der(), |c| c.der());
        if let Some(anchor) = anchors.iter().find(|a| a.der == end) {
            return Ok(anchor);
        }
    }
    if search.exhausted {
        return Err(X509Error::PathSearchLimit {
            subject: leaf.subject(),
            limit: MAX_SIGNATURE_CHECKS,
        });
    }
    Err(search.best_failure.map_or_else(
        || X509Error::IssuerNotFound {
            subject: leaf.subject(),
            issuer: leaf.issuer(),
        },
        |(_, error)| error,
    ))
}

/// How far a failed attempt got; the furthest one is reported.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Progress {
    NoIssuer,
    LoopOrDepth,
    Signature,
    CompletePath,
}

/// Depth-first path building with backtracking over candidate issuers.
struct PathSearch<'a> {
    intermediates: &'a [Certificate],
    anchors: &'a [Certificate],
    at: SystemTime,
    signature_checks_left: usize,
    exhausted: bool,
    best_failure: Option<(Progress, X509Error)>,
}

impl<'a> PathSearch<'a> {
    fn record(&mut self, progress: Progress, error: X509Error) {
        let better = self
            .best_failure
            .as_ref()
            .is_none_or(|(best, _)| progress > *best);
        if better {
            self.best_failure = Some((progress, error));
        }
    }

    fn is_anchor(&self, cert: &Certificate) -> bool {
        self.anchors.iter().any(|anchor| anchor.der == cert.der)
    }

    /// Verifies `child`'s signature with `issuer`'s key, or returns `None` once the budget is spent.
    fn check_signature(
        &mut self,
        child: &Certificate,
        issuer: &Certificate,
    ) -> Option<Result<(), X509Error>> {
        if self.signature_checks_left == 0 {
            self.exhausted = true;
            return None;
        }
        self.signature_checks_left -= 1;
        Some(verify_signature(child, issuer))
    }

    /// Tries to complete `path` (leaf first); returns `true` once a fully valid path is found.
    fn extend(&mut self, path: &mut Vec<&'a Certificate>) -> bool {
        let Some(&current) = path.last() else {
            return false;
        };

        // 1. A self-signed certificate that is itself a trust anchor ends the path. "Self-signed"
        //    means subject == issuer and the signature verifies with its own key; a self-issued
        //    certificate signed by another key is an ordinary path element.
        if current.is_self_issued() && self.is_anchor(current) {
            match self.check_signature(current, current) {
                None => return false,
                Some(Ok(())) => {
                    return match check_path(path, self.at) {
                        Ok(()) => true,
                        Err(error) => {
                            self.record(Progress::CompletePath, error);
                            false
                        }
                    };
                }
                Some(Err(error)) => self.record(Progress::Signature, error),
            }
        }

        // 2. Depth limit: at most MAX_DEPTH issuer certificates above the leaf.
        if path.len() > MAX_DEPTH {
            let error = X509Error::PathTooLong {
                subject: current.subject(),
                max_depth: MAX_DEPTH,
            };
            self.record(Progress::LoopOrDepth, error);
            return false;
        }

        // 3. Candidate issuers: subject DER == current issuer DER, anchors first, then
        //    intermediates; each distinct certificate tried once, none used twice in the path.
        let mut tried: Vec<&[u8]> = Vec::new();
        let mut already_in_path = false;
        for candidate in self.anchors.iter().chain(self.intermediates) {
            if candidate.subject_der != current.issuer_der
                || candidate.der == current.der
                || tried.contains(&candidate.der.as_slice())
            {
                continue;
            }
            tried.push(&candidate.der);
            if path.iter().any(|cert| cert.der == candidate.der) {
                already_in_path = true;
                continue;
            }
            // 4. The candidate's key must verify the current certificate's signature.
            match self.check_signature(current, candidate) {
                None => return false,
                Some(Err(error)) => {
                    self.record(Progress::Signature, error);
                    continue;
                }
                Some(Ok(())) => {}
            }
            path.push(candidate);
            if self.extend(path) {
                return true;
            }
            if self.exhausted {
                return false;
            }
            path.pop();
        }

        // 5. Nothing completed from here: say why, at the lowest precedence.
        if tried.is_empty() {
            let self_signed =
                current.is_self_issued() && matches!(self.check_signature(current, current), Some(Ok(())));
            let error = if self_signed {
                X509Error::UntrustedSelfSigned {
                    subject: current.subject(),
                }
            } else {
                X509Error::IssuerNotFound {
                    subject: current.subject(),
                    issuer: current.issuer(),
                }
            };
            self.record(Progress::NoIssuer, error);
        } else if already_in_path {
            let error = X509Error::PathLoop {
                subject: current.subject(),
                issuer: current.issuer(),
            };
            self.record(Progress::LoopOrDepth, error);
        }
        false
    }
}

/// Checks a complete path (leaf first, self-signed anchor last) whose signatures already verified.
fn check_path(path: &[&Certificate], at: SystemTime) -> Result<(), X509Error> {
    // 1. Validity period of every certificate, leaf to anchor: notBefore <= at <= notAfter.
    for cert in path {
        check_validity(cert, at)?;
    }

    // 2. Extensions of every certificate: known ones decode, no duplicates, and no critical
    //    extension this verifier does not process (OpenSSL: "unhandled critical extension").
    let extensions = path
        .iter()
        .map(|cert| parse_extensions(cert))
        .collect::<Result<Vec<_>, _>>()?;

    // 3. Every issuer (all but the leaf) must be a CA, and pathLenConstraint must hold. A leaf
    //    with cA=TRUE is accepted, as OpenSSL does without a purpose.
    let mut non_self_issued_below = 0usize;
    for (position, (cert, ext)) in path.iter().zip(&extensions).enumerate().skip(1) {
        check_ca(cert, ext, position + 1 == path.len())?;
        // pathLenConstraint counts the non-self-issued intermediates between this CA and the leaf.
        if let Some(path_len) = ext
            .basic_constraints
            .as_ref()
            .and_then(|bc| bc.path_len_constraint)
        {
            if non_self_issued_below > usize::from(path_len) {
                return Err(X509Error::PathLenExceeded {
                    subject: cert.subject(),
                    path_len,
                    intermediates: non_self_issued_below,
                });
            }
        }
        if !cert.is_self_issued() {
            non_self_issued_below += 1;
        }
    }

    // 4. The leaf must be usable for signing (model_signing's own check after OpenSSL).
    match (path.first(), extensions.first()) {
        (Some(leaf), Some(ext)) => check_signing_usage(leaf, ext),
        _ => Ok(()),
    }
}

fn check_validity(cert: &Certificate, at: SystemTime) -> Result<(), X509Error> {
    let validity = &cert.cert.tbs_certificate.validity;
    // 1. Not before notBefore.
    if at < validity.not_before.to_system_time() {
        return Err(X509Error::NotYetValid {
            subject: cert.subject(),
            not_before: validity.not_before.to_string(),
            at: format_time(at),
        });
    }
    // 2. Not after notAfter.
    if at > validity.not_after.to_system_time() {
        return Err(X509Error::Expired {
            subject: cert.subject(),
            not_after: validity.not_after.to_string(),
            at: format_time(at),
        });
    }
    Ok(())
}

fn format_time(at: SystemTime) -> String {
    der::DateTime::from_system_time(at).map_or_else(|_| format!("{at:?}"), |time| time.to_string())
}

/// The extensions path validation interprets.
#[derive(Default)]
struct PathExtensions {
    basic_constraints: Option<BasicConstraints>,
    key_usage: Option<KeyUsage>,
    extended_key_usage: Option<ExtendedKeyUsage>,
}

fn parse_extensions(cert: &Certificate) -> Result<PathExtensions, X509Error> {
    let invalid = |oid: &ObjectIdentifier, reason, source| X509Error::InvalidExtension {
        subject: cert.subject(),
        extension: describe_oid(oid),
        reason,
        source,
    };
    let mut parsed = PathExtensions::default();
    let mut seen: Vec<&ObjectIdentifier> = Vec::new();
    for ext in cert.cert.tbs_certificate.extensions.iter().flatten() {
        let id = &ext.extn_id;
        // 1. Each extension at most once (RFC 5280 4.2; OpenSSL marks such certificates invalid).
        if seen.contains(&id) {
            return Err(invalid(id, "it appears more than once", None));
        }
        seen.push(id);
        let value = ext.extn_value.as_bytes();
        // 2. Decode the extensions that matter; reject critical ones that are not understood.
        //    nameConstraints is rejected even when non-critical, since OpenSSL would enforce it.
        match *id {
            oid::BASIC_CONSTRAINTS => {
                let bc =
                    BasicConstraints::from_der(value).map_err(|e| invalid(id, "undecodable", Some(e)))?;
                if !bc.ca && bc.path_len_constraint.is_some() {
                    return Err(invalid(id, "pathLenConstraint is set but cA is FALSE", None));
                }
                parsed.basic_constraints = Some(bc);
            }
            oid::KEY_USAGE => {
                let ku = KeyUsage::from_der(value).map_err(|e| invalid(id, "undecodable", Some(e)))?;
                parsed.key_usage = Some(ku);
            }
            oid::EXT_KEY_USAGE => {
                let eku =
                    ExtendedKeyUsage::from_der(value).map_err(|e| invalid(id, "undecodable", Some(e)))?;
                parsed.extended_key_usage = Some(eku);
            }
            oid::SUBJECT_ALT_NAME | oid::CERTIFICATE_POLICIES => {}
            _ if ext.critical || *id == oid::NAME_CONSTRAINTS => {
                return Err(X509Error::UnhandledCriticalExtension {
                    subject: cert.subject(),
                    extension: describe_oid(id),
                });
            }
            _ => {}
        }
    }
    Ok(parsed)
}

fn check_ca(cert: &Certificate, ext: &PathExtensions, is_anchor: bool) -> Result<(), X509Error> {
    let not_ca = |reason| X509Error::NotCa {
        subject: cert.subject(),
        reason,
    };
    // 1. keyUsage, when present, must allow certificate signing.
    if let Some(ku) = &ext.key_usage {
        if !ku.key_cert_sign() {
            return Err(not_ca("its keyUsage does not include keyCertSign"));
        }
    }
    // 2. basicConstraints cA=TRUE. Like OpenSSL, the self-signed anchor may instead be a v1
    //    certificate (no extensions) or carry only a keyUsage with keyCertSign (checked above).
    match &ext.basic_constraints {
        Some(bc) if bc.ca => Ok(()),
        Some(_) => Err(not_ca("its basicConstraints has cA=FALSE")),
        None if is_anchor
            && (cert.cert.tbs_certificate.version == Version::V1 || ext.key_usage.is_some()) =>
        {
            Ok(())
        }
        None => Err(not_ca("it has no basicConstraints extension")),
    }
}

fn check_signing_usage(leaf: &Certificate, ext: &PathExtensions) -> Result<(), X509Error> {
    // 1. KeyUsage digitalSignature, or 2. ExtendedKeyUsage codeSigning; having neither extension fails.
    let digital_signature = ext.key_usage.as_ref().is_some_and(KeyUsage::digital_signature);
    let code_signing = ext
        .extended_key_usage
        .as_ref()
        .is_some_and(|eku| eku.0.contains(&oid::KP_CODE_SIGNING));
    if digital_signature || code_signing {
        Ok(())
    } else {
        Err(X509Error::NotForSigning {
            subject: leaf.subject(),
        })
    }
}

/// `1.2.3 (name)` when the OID has a well-known name, else the dotted form.
fn describe_oid(oid: &ObjectIdentifier) -> String {
    match x509_cert::der::oid::db::DB.by_oid(oid) {
        Some(name) => format!("{oid} ({name})"),
        None => oid.to_string(),
    }
}

#[derive(Clone, Copy)]
enum HashAlg {
    Sha256,
    Sha384,
    Sha512,
}

impl HashAlg {
    fn from_oid(oid: &ObjectIdentifier) -> Option<Self> {
        match *oid {
            oid::SHA256 => Some(Self::Sha256),
            oid::SHA384 => Some(Self::Sha384),
            oid::SHA512 => Some(Self::Sha512),
            _ => None,
        }
    }

    fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha256 => Sha256::digest(data).to_vec(),
            Self::Sha384 => Sha384::digest(data).to_vec(),
            Self::Sha512 => Sha512::digest(data).to_vec(),
        }
    }
}

enum SignatureAlg {
    Ecdsa(HashAlg),
    RsaPkcs1(HashAlg),
    RsaPss { hash: HashAlg, salt_len: usize },
}

/// The signature algorithm of `cert`, if supported.
fn signature_algorithm(cert: &Certificate) -> Result<SignatureAlg, X509Error> {
    let algorithm = &cert.cert.signature_algorithm;
    let unsupported = |detail: &str| X509Error::UnsupportedAlgorithm {
        subject: cert.subject(),
        algorithm: format!("{}{detail}", describe_oid(&algorithm.oid)),
    };
    match algorithm.oid {
        oid::ECDSA_WITH_SHA256 => Ok(SignatureAlg::Ecdsa(HashAlg::Sha256)),
        oid::ECDSA_WITH_SHA384 => Ok(SignatureAlg::Ecdsa(HashAlg::Sha384)),
        oid::ECDSA_WITH_SHA512 => Ok(SignatureAlg::Ecdsa(HashAlg::Sha512)),
        oid::SHA256_WITH_RSA => Ok(SignatureAlg::RsaPkcs1(HashAlg::Sha256)),
        oid::SHA384_WITH_RSA => Ok(SignatureAlg::RsaPkcs1(HashAlg::Sha384)),
        oid::SHA512_WITH_RSA => Ok(SignatureAlg::RsaPkcs1(HashAlg::Sha512)),
        oid::RSASSA_PSS => {
            // RSASSA-PSS-params: hash and MGF1 hash must be the same SHA-2 function, trailer 0xBC.
            let params = algorithm
                .parameters
                .as_ref()
                .and_then(|any| any.to_der().ok())
                .ok_or_else(|| unsupported(" without parameters (SHA-1 defaults)"))?;
            let params = rsa::pkcs1::RsaPssParams::from_der(&params)
                .map_err(|_| unsupported(" with undecodable parameters"))?;
            let hash = HashAlg::from_oid(&params.hash.oid)
                .ok_or_else(|| unsupported(&format!(" with hash {}", describe_oid(&params.hash.oid))))?;
            let mgf_hash = params.mask_gen.parameters.as_ref().map(|mgf| mgf.oid);
            if params.mask_gen.oid != oid::MGF1 || mgf_hash != Some(params.hash.oid) {
                return Err(unsupported(
                    " with a mask generation function other than MGF1 over the same hash",
                ));
            }
            Ok(SignatureAlg::RsaPss {
                hash,
                salt_len: usize::from(params.salt_len),
            })
        }
        _ => Err(unsupported("")),
    }
}

/// A public key that can verify certificate signatures.
enum IssuerKey {
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    P521(p521::ecdsa::VerifyingKey),
    Rsa(RsaPublicKey),
}

fn issuer_key(issuer: &Certificate) -> Result<IssuerKey, X509Error> {
    let spki = &issuer.cert.tbs_certificate.subject_public_key_info;
    let unsupported = |key: String| X509Error::UnsupportedKey {
        subject: issuer.subject(),
        key,
    };
    let key_bytes = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| unsupported("the subjectPublicKey BIT STRING has unused bits".to_owned()))?;
    match spki.algorithm.oid {
        oid::EC_PUBLIC_KEY => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|any| any.decode_as::<ObjectIdentifier>().ok())
                .ok_or_else(|| unsupported("an EC key without a named curve".to_owned()))?;
            let malformed = |_| unsupported(format!("a malformed {} point", describe_oid(&curve)));
            match curve {
                oid::SECP256R1 => p256::ecdsa::VerifyingKey::from_sec1_bytes(key_bytes)
                    .map(IssuerKey::P256)
                    .map_err(malformed),
                oid::SECP384R1 => p384::ecdsa::VerifyingKey::from_sec1_bytes(key_bytes)
                    .map(IssuerKey::P384)
                    .map_err(malformed),
                oid::SECP521R1 => p521::ecdsa::VerifyingKey::from_sec1_bytes(key_bytes)
                    .map(IssuerKey::P521)
                    .map_err(malformed),
                _ => Err(unsupported(format!(
                    "an EC key on curve {}",
                    describe_oid(&curve)
                ))),
            }
        }
        oid::RSA_ENCRYPTION => {
            let key = rsa::pkcs1::RsaPublicKey::from_der(key_bytes)
                .map_err(|_| unsupported("a malformed RSA public key".to_owned()))?;
            let n = BigUint::from_bytes_be(key.modulus.as_bytes());
            let e = BigUint::from_bytes_be(key.public_exponent.as_bytes());
            RsaPublicKey::new_with_max_size(n, e, MAX_RSA_BITS)
                .map(IssuerKey::Rsa)
                .map_err(|error| unsupported(format!("an RSA key the verifier rejects ({error})")))
        }
        _ => Err(unsupported(format!(
            "key algorithm {}",
            describe_oid(&spki.algorithm.oid)
        ))),
    }
}

/// Verifies `child`'s signature with `issuer`'s public key.
fn verify_signature(child: &Certificate, issuer: &Certificate) -> Result<(), X509Error> {
    let bad = |reason| X509Error::BadSignature {
        subject: child.subject(),
        issuer: issuer.subject(),
        reason,
    };
    // 1. The outer signatureAlgorithm must equal tbsCertificate.signature (RFC 5280 4.1.1.2).
    if child.cert.signature_algorithm != child.cert.tbs_certificate.signature {
        return Err(bad(
            "signatureAlgorithm differs from the signature field inside tbsCertificate",
        ));
    }
    // 2. The algorithm must be supported and 3. the issuer key usable.
    let algorithm = signature_algorithm(child)?;
    let key = issuer_key(issuer)?;
    let Some(signature) = child.cert.signature.as_bytes() else {
        return Err(bad("the signature BIT STRING has unused bits"));
    };
    let tbs = child.tbs_der.as_slice();
    let mismatch = "the issuer's key type does not match the signature algorithm";
    let invalid = "the signature value does not verify";
    let malformed = "the signature value is not a DER ECDSA signature";
    // 4. Verify over the TBSCertificate bytes exactly as they were signed.
    let verified = match (algorithm, key) {
        (SignatureAlg::Ecdsa(hash), IssuerKey::P256(key)) => {
            let signature = p256::ecdsa::Signature::from_der(signature).map_err(|_| bad(malformed))?;
            key.verify_prehash(&ecdsa_prehash(hash, tbs, 32), &signature)
                .is_ok()
        }
        (SignatureAlg::Ecdsa(hash), IssuerKey::P384(key)) => {
            let signature = p384::ecdsa::Signature::from_der(signature).map_err(|_| bad(malformed))?;
            key.verify_prehash(&ecdsa_prehash(hash, tbs, 48), &signature)
                .is_ok()
        }
        (SignatureAlg::Ecdsa(hash), IssuerKey::P521(key)) => {
            let signature = p521::ecdsa::Signature::from_der(signature).map_err(|_| bad(malformed))?;
            key.verify_prehash(&ecdsa_prehash(hash, tbs, 66), &signature)
                .is_ok()
        }
        (SignatureAlg::RsaPkcs1(hash), IssuerKey::Rsa(key)) => verify_rsa_pkcs1(hash, key, tbs, signature),
        (SignatureAlg::RsaPss { hash, salt_len }, IssuerKey::Rsa(key)) => {
            verify_rsa_pss(hash, salt_len, key, tbs, signature)
        }
        _ => return Err(bad(mismatch)),
    };
    if verified { Ok(()) } else { Err(bad(invalid)) }
}

/// The message hash for ECDSA, left-padded to the field size when shorter (e.g. SHA-256 with
/// P-521), which is the standard's bits-to-integer conversion; longer hashes are truncated by
/// the `ecdsa` crate.
fn ecdsa_prehash(hash: HashAlg, tbs: &[u8], field_len: usize) -> Vec<u8> {
    let digest = hash.digest(tbs);
    if digest.len() >= field_len {
        return digest;
    }
    let mut padded = vec![0u8; field_len - digest.len()];
    padded.extend_from_slice(&digest);
    padded
}

/// RSA signatures shorter than the modulus (leading zero bytes dropped) are left-padded, as
/// OpenSSL accepts them.
fn pad_rsa_signature(key: &RsaPublicKey, signature: &[u8]) -> Vec<u8> {
    let size = rsa::traits::PublicKeyParts::size(key);
    let mut padded = vec![0u8; size.saturating_sub(signature.len())];
    padded.extend_from_slice(signature);
    padded
}

fn verify_rsa_pkcs1(hash: HashAlg, key: RsaPublicKey, tbs: &[u8], signature: &[u8]) -> bool {
    let Ok(signature) = pkcs1v15::Signature::try_from(pad_rsa_signature(&key, signature).as_slice()) else {
        return false;
    };
    match hash {
        HashAlg::Sha256 => pkcs1v15::VerifyingKey::<Sha256>::new(key)
            .verify(tbs, &signature)
            .is_ok(),
        HashAlg::Sha384 => pkcs1v15::VerifyingKey::<Sha384>::new(key)
            .verify(tbs, &signature)
            .is_ok(),
        HashAlg::Sha512 => pkcs1v15::VerifyingKey::<Sha512>::new(key)
            .verify(tbs, &signature)
            .is_ok(),
    }
}

fn verify_rsa_pss(hash: HashAlg, salt_len: usize, key: RsaPublicKey, tbs: &[u8], signature: &[u8]) -> bool {
    let Ok(signature) = pss::Signature::try_from(pad_rsa_signature(&key, signature).as_slice()) else {
        return false;
    };
    match hash {
        HashAlg::Sha256 => pss::VerifyingKey::<Sha256>::new_with_salt_len(key, salt_len)
            .verify(tbs, &signature)
            .is_ok(),
        HashAlg::Sha384 => pss::VerifyingKey::<Sha384>::new_with_salt_len(key, salt_len)
            .verify(tbs, &signature)
            .is_ok(),
        HashAlg::Sha512 => pss::VerifyingKey::<Sha512>::new_with_salt_len(key, salt_len)
            .verify(tbs, &signature)
            .is_ok(),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::str::FromStr as _;
    use std::sync::OnceLock;
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use base64::Engine as _;
    use der::asn1::{BitString, OctetString};
    use der::{Decode as _, Encode as _};
    use ecdsa::signature::hazmat::PrehashSigner as _;
    use p256::ecdsa::{Signature, SigningKey};
    use p256::pkcs8::EncodePublicKey as _;
    use rsa::rand_core::{CryptoRng, RngCore};
    use rsa::signature::{RandomizedSigner as _, SignatureEncoding as _};
    use rsa::{RsaPrivateKey, pss};
    use sha2::{Digest as _, Sha256, Sha384, Sha512};
    use spki::{AlgorithmIdentifierOwned, ObjectIdentifier, SubjectPublicKeyInfoOwned};
    use x509_cert::certificate::{TbsCertificate, Version};
    use x509_cert::der::Any;
    use x509_cert::ext::Extension;
    use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages};
    use x509_cert::name::Name;
    use x509_cert::serial_number::SerialNumber;
    use x509_cert::time::{Time, Validity};

    use super::{Certificate, X509Error, oid, parse_pem_certificates, verify_signing_chain};

    /// Midnight UTC on 1 January of `year` (1970 ≤ year).
    fn jan1(year: u64) -> SystemTime {
        let days: u64 = (1970..year)
            .map(|y| {
                if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 {
                    366
                } else {
                    365
                }
            })
            .sum();
        UNIX_EPOCH + Duration::from_secs(days * 86_400)
    }

    fn in_2030() -> SystemTime {
        jan1(2030)
    }

    /// The shared vectors (`HUBSIGN_VECTORS`, set by scripts/test), or `None` after a loud
    /// message; with `HUBSIGN_REQUIRE_ALL=1` (CI) a missing directory fails the test.
    fn vectors() -> Option<std::path::PathBuf> {
        if let Some(dir) = std::env::var_os("HUBSIGN_VECTORS") {
            let dir = std::path::PathBuf::from(dir);
            assert!(
                dir.is_dir(),
                "HUBSIGN_VECTORS={} is not a directory",
                dir.display()
            );
            return Some(dir);
        }
        assert!(
            std::env::var_os("HUBSIGN_REQUIRE_ALL").is_none_or(|v| v != "1"),
            "HUBSIGN_VECTORS is not set but HUBSIGN_REQUIRE_ALL=1: the vector tests must run"
        );
        eprintln!(
            "SKIPPED: X.509 tests against the shared vectors — set HUBSIGN_VECTORS (scripts/test does)"
        );
        None
    }

    fn load(dir: &Path, relative: &str) -> Vec<Certificate> {
        let text = fs_err::read_to_string(dir.join(relative)).unwrap();
        parse_pem_certificates(&text).unwrap()
    }

    fn load_one(dir: &Path, relative: &str) -> Certificate {
        let mut certs = load(dir, relative);
        assert_eq!(certs.len(), 1, "{relative} should hold one certificate");
        certs.remove(0)
    }

    /// Flips the last byte of the DER, which lies inside the signature BIT STRING.
    fn tampered(cert: &Certificate) -> Certificate {
        let mut der = cert.der().to_vec();
        let last = der.len() - 1;
        der[last] ^= 0x01;
        Certificate::from_der(&der).unwrap()
    }

    fn to_pem(cert: &Certificate) -> String {
        let b64 = base64::engine::general_purpose::STANDARD.encode(cert.der());
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            lines.join("\n")
        )
    }

    // ---- model_signing 1.1.1 vectors: P-256 root -> intermediate -> leaf ----

    struct MsChain {
        leaf: Certificate,
        intermediate: Certificate,
        root: Certificate,
    }

    fn ms_chain() -> Option<MsChain> {
        let dir = vectors()?;
        Some(MsChain {
            leaf: load_one(&dir, "model-signing-1.1.1/keys/leaf.crt.pem"),
            intermediate: load_one(&dir, "model-signing-1.1.1/keys/intermediate-ca.crt.pem"),
            root: load_one(&dir, "model-signing-1.1.1/keys/root-ca.crt.pem"),
        })
    }

    #[test]
    fn ms_leaf_chains_to_trusted_root() {
        let Some(c) = ms_chain() else { return };
        let anchor = verify_signing_chain(
            &c.leaf,
            &[c.intermediate],
            std::slice::from_ref(&c.root),
            in_2030(),
        )
        .unwrap();
        assert_eq!(anchor.der(), c.root.der(), "the path ends at the anchor it names");
        assert_eq!(anchor.fingerprint(), hex::encode(Sha256::digest(c.root.der())));
    }

    #[test]
    fn ms_anchors_from_chain_file_with_intermediate_and_root() {
        let Some(c) = ms_chain() else { return };
        let Some(dir) = vectors() else { return };
        let anchors = load(&dir, "model-signing-1.1.1/keys/chain.intermediate+root.pem");
        assert_eq!(anchors.len(), 2);
        verify_signing_chain(&c.leaf, &[], &anchors, in_2030()).unwrap();
        verify_signing_chain(&c.leaf, &[c.intermediate], &anchors, in_2030()).unwrap();
    }

    #[test]
    fn ms_trusting_only_the_intermediate_fails() {
        let Some(c) = ms_chain() else { return };
        let anchors = [c.intermediate.clone()];
        for intermediates in [&[][..], &[c.intermediate.clone()][..]] {
            let err = verify_signing_chain(&c.leaf, intermediates, &anchors, in_2030()).unwrap_err();
            assert!(
                matches!(&err, X509Error::IssuerNotFound { subject, issuer }
                    if subject.contains("intermediate CA") && issuer.contains("hubsign test root CA")),
                "{err:?}"
            );
        }
    }

    #[test]
    fn ms_expired_in_2040() {
        let Some(c) = ms_chain() else { return };
        let err = verify_signing_chain(&c.leaf, &[c.intermediate], &[c.root], jan1(2040)).unwrap_err();
        assert!(
            matches!(&err, X509Error::Expired { subject, .. } if subject.contains("signer")),
            "{err:?}"
        );
        assert!(err.to_string().contains("2035-01-01T00:00:00Z"), "{err}");
    }

    #[test]
    fn ms_not_yet_valid_in_2020() {
        let Some(c) = ms_chain() else { return };
        let err = verify_signing_chain(&c.leaf, &[c.intermediate], &[c.root], jan1(2020)).unwrap_err();
        assert!(
            matches!(&err, X509Error::NotYetValid { subject, .. } if subject.contains("signer")),
            "{err:?}"
        );
        assert!(err.to_string().contains("2020-01-01T00:00:00Z"), "{err}");
    }

    #[test]
    fn ms_missing_intermediate_fails() {
        let Some(c) = ms_chain() else { return };
        let err = verify_signing_chain(&c.leaf, &[], &[c.root], in_2030()).unwrap_err();
        assert!(
            matches!(&err, X509Error::IssuerNotFound { issuer, .. } if issuer.contains("intermediate CA")),
            "{err:?}"
        );
    }

    #[test]
    fn ms_tampered_leaf_signature_fails() {
        let Some(c) = ms_chain() else { return };
        let err =
            verify_signing_chain(&tampered(&c.leaf), &[c.intermediate], &[c.root], in_2030()).unwrap_err();
        assert!(
            matches!(&err, X509Error::BadSignature { subject, issuer, .. }
                if subject.contains("signer") && issuer.contains("intermediate CA")),
            "{err:?}"
        );
    }

    #[test]
    fn ms_leaf_subject_and_public_key() {
        let Some(c) = ms_chain() else { return };
        let Some(dir) = vectors() else { return };
        assert_eq!(c.leaf.subject(), "CN=hubsign test signer,O=hubsign test");
        let pem = fs_err::read_to_string(dir.join("model-signing-1.1.1/keys/p256.pub.pem")).unwrap();
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let spki = base64::engine::general_purpose::STANDARD.decode(body).unwrap();
        assert_eq!(c.leaf.spki_der(), spki);
        assert_eq!(Certificate::from_der(c.leaf.der()).unwrap().der(), c.leaf.der());
    }

    // ---- upstream model-transparency vectors: RSA root -> RSA intermediate -> P-384 leaf ----

    struct UpstreamChain {
        leaf: Certificate,
        intermediate: Certificate,
        root: Certificate,
    }

    fn upstream_chain() -> Option<UpstreamChain> {
        let dir = vectors()?;
        Some(UpstreamChain {
            leaf: load_one(&dir, "upstream-model-transparency/keys/signing-key-cert.pem"),
            intermediate: load_one(&dir, "upstream-model-transparency/keys/int-ca-cert.pem"),
            root: load_one(&dir, "upstream-model-transparency/keys/ca-cert.pem"),
        })
    }

    #[test]
    fn upstream_p384_leaf_with_ca_true_chains_through_rsa_cas() {
        let Some(c) = upstream_chain() else { return };
        verify_signing_chain(&c.leaf, &[c.intermediate], &[c.root], in_2030()).unwrap();
    }

    #[test]
    fn upstream_pem_with_gnutls_prose_parses() {
        let Some(dir) = vectors() else { return };
        let text = fs_err::read_to_string(dir.join("upstream-model-transparency/keys/ca-cert.pem")).unwrap();
        let prose = format!(
            "X.509 Certificate Information:\n\tVersion: 3\n\tSubject: CN=root-ca\n\
             Other Information:\n\tPublic Key ID:\n\t\tsha256:00\n\n{text}\ntrailing notes\n"
        );
        let certs = parse_pem_certificates(&prose).unwrap();
        assert_eq!(certs.len(), 1);
        assert_eq!(certs[0].subject(), "CN=root-ca");
    }

    #[test]
    fn upstream_tampered_leaf_fails_rsa_signature() {
        let Some(c) = upstream_chain() else { return };
        let err =
            verify_signing_chain(&tampered(&c.leaf), &[c.intermediate], &[c.root], in_2030()).unwrap_err();
        assert!(matches!(&err, X509Error::BadSignature { .. }), "{err:?}");
    }

    #[test]
    fn upstream_trusting_only_the_intermediate_fails() {
        let Some(c) = upstream_chain() else { return };
        let err = verify_signing_chain(&c.leaf, &[], &[c.intermediate], in_2030()).unwrap_err();
        assert!(
            matches!(&err, X509Error::IssuerNotFound { issuer, .. } if issuer == "CN=root-ca"),
            "{err:?}"
        );
    }

    // ---- synthetic certificates (deterministic P-256 keys, RFC 6979 signatures) ----

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_slice(&[seed; 32]).unwrap()
    }

    fn extension<T: der::Encode>(id: ObjectIdentifier, critical: bool, value: &T) -> Extension {
        Extension {
            extn_id: id,
            critical,
            extn_value: OctetString::new(value.to_der().unwrap()).unwrap(),
        }
    }

    fn basic_constraints(ca: bool, path_len_constraint: Option<u8>) -> Extension {
        extension(
            oid::BASIC_CONSTRAINTS,
            true,
            &BasicConstraints {
                ca,
                path_len_constraint,
            },
        )
    }

    fn key_usage(usage: KeyUsages) -> Extension {
        extension(oid::KEY_USAGE, true, &KeyUsage(usage.into()))
    }

    fn code_signing() -> Extension {
        extension(
            oid::EXT_KEY_USAGE,
            false,
            &ExtendedKeyUsage(vec![oid::KP_CODE_SIGNING]),
        )
    }

    fn ca_extensions(path_len: Option<u8>) -> Vec<Extension> {
        vec![
            basic_constraints(true, path_len),
            key_usage(KeyUsages::KeyCertSign),
        ]
    }

    fn leaf_extensions() -> Vec<Extension> {
        vec![
            basic_constraints(false, None),
            key_usage(KeyUsages::DigitalSignature),
            code_signing(),
        ]
    }

    /// How the issuer signs a synthetic certificate.
    #[derive(Clone, Copy)]
    enum IssuerKey<'a> {
        Ecdsa(&'a SigningKey),
        /// RSASSA-PSS with SHA-256: the salt length signed with, and the one written in the parameters.
        RsaPss {
            key: &'a RsaPrivateKey,
            salt_len: usize,
            declared_salt_len: u8,
        },
    }

    struct Spec<'a> {
        subject: &'a str,
        spki_der: Vec<u8>,
        issuer: &'a str,
        issuer_key: IssuerKey<'a>,
        extensions: Vec<Extension>,
        version: Version,
        signature_oid: ObjectIdentifier,
        outer_signature_oid: Option<ObjectIdentifier>,
        years: (u64, u64),
    }

    impl<'a> Spec<'a> {
        fn new(subject: &'a str, key: &'a SigningKey, issuer: &'a str, issuer_key: &'a SigningKey) -> Self {
            Spec {
                subject,
                spki_der: key.verifying_key().to_public_key_der().unwrap().into_vec(),
                issuer,
                issuer_key: IssuerKey::Ecdsa(issuer_key),
                extensions: Vec::new(),
                version: Version::V3,
                signature_oid: oid::ECDSA_WITH_SHA256,
                outer_signature_oid: None,
                years: (2025, 2035),
            }
        }

        fn extensions(mut self, extensions: Vec<Extension>) -> Self {
            self.extensions = extensions;
            self
        }

        fn build(self) -> Certificate {
            let algorithm = |oid| match self.issuer_key {
                IssuerKey::Ecdsa(_) => AlgorithmIdentifierOwned {
                    oid,
                    parameters: None,
                },
                IssuerKey::RsaPss {
                    declared_salt_len, ..
                } => {
                    let params = rsa::pkcs1::RsaPssParams::new::<Sha256>(declared_salt_len)
                        .to_der()
                        .unwrap();
                    AlgorithmIdentifierOwned {
                        oid,
                        parameters: Some(Any::from_der(&params).unwrap()),
                    }
                }
            };
            let tbs = TbsCertificate {
                version: self.version,
                serial_number: SerialNumber::from(7u32),
                signature: algorithm(self.signature_oid),
                issuer: Name::from_str(self.issuer).unwrap(),
                validity: Validity {
                    not_before: Time::try_from(jan1(self.years.0)).unwrap(),
                    not_after: Time::try_from(jan1(self.years.1)).unwrap(),
                },
                subject: Name::from_str(self.subject).unwrap(),
                subject_public_key_info: SubjectPublicKeyInfoOwned::from_der(&self.spki_der).unwrap(),
                issuer_unique_id: None,
                subject_unique_id: None,
                extensions: (!self.extensions.is_empty()).then_some(self.extensions),
            };
            let tbs_der = tbs.to_der().unwrap();
            let signature = match self.issuer_key {
                IssuerKey::Ecdsa(key) => {
                    let prehash = match self.signature_oid {
                        oid::ECDSA_WITH_SHA384 => Sha384::digest(&tbs_der).to_vec(),
                        oid::ECDSA_WITH_SHA512 => Sha512::digest(&tbs_der).to_vec(),
                        _ => Sha256::digest(&tbs_der).to_vec(),
                    };
                    let signature: Signature = key.sign_prehash(&prehash).unwrap();
                    signature.to_der().as_bytes().to_vec()
                }
                IssuerKey::RsaPss { key, salt_len, .. } => {
                    let signer = pss::SigningKey::<Sha256>::new_with_salt_len(key.clone(), salt_len);
                    signer.sign_with_rng(&mut TestRng(1), &tbs_der).to_vec()
                }
            };
            let cert = x509_cert::Certificate {
                tbs_certificate: tbs,
                signature_algorithm: algorithm(self.outer_signature_oid.unwrap_or(self.signature_oid)),
                signature: BitString::from_bytes(&signature).unwrap(),
            };
            Certificate::from_der(&cert.to_der().unwrap()).unwrap()
        }
    }

    /// Root (seed 1) -> Int (seed 2) -> Leaf (seed 3), all well formed.
    struct Pki {
        root_ca: SigningKey,
        intermediate: SigningKey,
        signer: SigningKey,
    }

    impl Pki {
        fn new() -> Self {
            Pki {
                root_ca: key(1),
                intermediate: key(2),
                signer: key(3),
            }
        }
        fn root(&self) -> Spec<'_> {
            Spec::new("CN=Root", &self.root_ca, "CN=Root", &self.root_ca).extensions(ca_extensions(None))
        }
        fn int(&self) -> Spec<'_> {
            Spec::new("CN=Int", &self.intermediate, "CN=Root", &self.root_ca).extensions(ca_extensions(None))
        }
        fn leaf(&self) -> Spec<'_> {
            Spec::new("CN=Leaf", &self.signer, "CN=Int", &self.intermediate).extensions(leaf_extensions())
        }
        fn verify(leaf: Spec<'_>, int: Spec<'_>, root: Spec<'_>) -> Result<(), X509Error> {
            verify_signing_chain(&leaf.build(), &[int.build()], &[root.build()], in_2030()).map(|_| ())
        }
    }

    #[test]
    fn synthetic_chain_verifies() {
        let pki = Pki::new();
        Pki::verify(pki.leaf(), pki.int(), pki.root()).unwrap();
    }

    #[test]
    fn leaf_without_signing_usage_is_rejected() {
        let pki = Pki::new();
        let cases = [
            vec![],
            vec![basic_constraints(false, None)],
            vec![key_usage(KeyUsages::KeyEncipherment)],
            vec![extension(
                oid::EXT_KEY_USAGE,
                false,
                &ExtendedKeyUsage(vec![ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.1")]),
            )],
        ];
        for extensions in cases {
            let err = Pki::verify(pki.leaf().extensions(extensions), pki.int(), pki.root()).unwrap_err();
            assert!(
                matches!(&err, X509Error::NotForSigning { subject } if subject == "CN=Leaf"),
                "{err:?}"
            );
        }
    }

    #[test]
    fn leaf_with_either_signing_usage_is_accepted() {
        let pki = Pki::new();
        for extensions in [vec![key_usage(KeyUsages::DigitalSignature)], vec![code_signing()]] {
            Pki::verify(pki.leaf().extensions(extensions), pki.int(), pki.root()).unwrap();
        }
        // A leaf with cA=TRUE is accepted, like the upstream vector.
        let ca_leaf = vec![
            basic_constraints(true, None),
            key_usage(KeyUsages::DigitalSignature),
        ];
        Pki::verify(pki.leaf().extensions(ca_leaf), pki.int(), pki.root()).unwrap();
    }

    #[test]
    fn intermediate_must_be_a_ca() {
        let pki = Pki::new();
        let cases = [
            vec![key_usage(KeyUsages::KeyCertSign)],
            vec![basic_constraints(false, None), key_usage(KeyUsages::KeyCertSign)],
            vec![
                basic_constraints(true, None),
                key_usage(KeyUsages::DigitalSignature),
            ],
        ];
        for extensions in cases {
            let err = Pki::verify(pki.leaf(), pki.int().extensions(extensions), pki.root()).unwrap_err();
            assert!(
                matches!(&err, X509Error::NotCa { subject, .. } if subject == "CN=Int"),
                "{err:?}"
            );
        }
    }

    #[test]
    fn root_must_be_a_ca_unless_v1() {
        let pki = Pki::new();
        let err = Pki::verify(pki.leaf(), pki.int(), pki.root().extensions(vec![])).unwrap_err();
        assert!(
            matches!(&err, X509Error::NotCa { subject, .. } if subject == "CN=Root"),
            "{err:?}"
        );

        let mut v1_root = pki.root().extensions(vec![]);
        v1_root.version = Version::V1;
        Pki::verify(pki.leaf(), pki.int(), v1_root).unwrap();
    }

    #[test]
    fn path_len_constraint_is_enforced() {
        let pki = Pki::new();
        let err = Pki::verify(
            pki.leaf(),
            pki.int(),
            pki.root().extensions(ca_extensions(Some(0))),
        )
        .unwrap_err();
        assert!(
            matches!(&err, X509Error::PathLenExceeded { subject, path_len: 0, intermediates: 1 }
                if subject == "CN=Root"),
            "{err:?}"
        );
        Pki::verify(
            pki.leaf(),
            pki.int(),
            pki.root().extensions(ca_extensions(Some(1))),
        )
        .unwrap();
        // pathLen 0 on the intermediate still lets it issue the leaf.
        Pki::verify(
            pki.leaf(),
            pki.int().extensions(ca_extensions(Some(0))),
            pki.root(),
        )
        .unwrap();
    }

    #[test]
    fn unknown_critical_extension_is_rejected() {
        let pki = Pki::new();
        let unknown = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.99999.1");
        let mut extensions = leaf_extensions();
        extensions.push(extension(unknown, true, &der::asn1::Null));
        let err = Pki::verify(pki.leaf().extensions(extensions), pki.int(), pki.root()).unwrap_err();
        assert!(
            matches!(&err, X509Error::UnhandledCriticalExtension { subject, extension }
                if subject == "CN=Leaf" && extension.contains("1.3.6.1.4.1.99999.1")),
            "{err:?}"
        );

        let mut extensions = leaf_extensions();
        extensions.push(extension(unknown, false, &der::asn1::Null));
        Pki::verify(pki.leaf().extensions(extensions), pki.int(), pki.root()).unwrap();
    }

    #[test]
    fn name_constraints_are_rejected() {
        let pki = Pki::new();
        let mut extensions = ca_extensions(None);
        extensions.push(extension(
            oid::NAME_CONSTRAINTS,
            false,
            &Vec::<der::asn1::Null>::new(),
        ));
        let err = Pki::verify(pki.leaf(), pki.int().extensions(extensions), pki.root()).unwrap_err();
        assert!(
            matches!(&err, X509Error::UnhandledCriticalExtension { subject, extension }
                if subject == "CN=Int" && extension.contains("2.5.29.30")),
            "{err:?}"
        );
    }

    #[test]
    fn duplicate_extension_is_invalid() {
        let pki = Pki::new();
        let mut extensions = leaf_extensions();
        extensions.push(key_usage(KeyUsages::DigitalSignature));
        let err = Pki::verify(pki.leaf().extensions(extensions), pki.int(), pki.root()).unwrap_err();
        assert!(
            matches!(&err, X509Error::InvalidExtension { subject, .. } if subject == "CN=Leaf"),
            "{err:?}"
        );
    }

    #[test]
    fn expired_anchor_is_rejected() {
        let pki = Pki::new();
        let mut root = pki.root();
        root.years = (2020, 2029);
        let err = Pki::verify(pki.leaf(), pki.int(), root).unwrap_err();
        assert!(
            matches!(&err, X509Error::Expired { subject, .. } if subject == "CN=Root"),
            "{err:?}"
        );
    }

    #[test]
    fn self_signed_leaf_must_itself_be_an_anchor() {
        let pki = Pki::new();
        let leaf = Spec::new("CN=Solo", &pki.signer, "CN=Solo", &pki.signer)
            .extensions(vec![key_usage(KeyUsages::DigitalSignature)])
            .build();
        verify_signing_chain(&leaf, &[], std::slice::from_ref(&leaf), in_2030()).unwrap();
        let err = verify_signing_chain(
            &leaf,
            std::slice::from_ref(&leaf),
            &[pki.root().build()],
            in_2030(),
        )
        .unwrap_err();
        assert!(
            matches!(&err, X509Error::UntrustedSelfSigned { subject } if subject == "CN=Solo"),
            "{err:?}"
        );
    }

    #[test]
    fn chain_ending_at_an_untrusted_root_fails() {
        let pki = Pki::new();
        let other_key = key(8);
        let bundle = [pki.int().build(), pki.root().build()];
        let leaf = pki.leaf().build();

        // Nothing trusted is named "CN=Root": the path ends at the bundle's own root.
        let unrelated = Spec::new("CN=Other", &other_key, "CN=Other", &other_key)
            .extensions(ca_extensions(None))
            .build();
        let err = verify_signing_chain(&leaf, &bundle, &[unrelated], in_2030()).unwrap_err();
        assert!(
            matches!(&err, X509Error::UntrustedSelfSigned { subject } if subject == "CN=Root"),
            "{err:?}"
        );

        // A trusted "CN=Root" with another key: its failed signature check is the furthest failure.
        let impostor = Spec::new("CN=Root", &other_key, "CN=Root", &other_key)
            .extensions(ca_extensions(None))
            .build();
        let err = verify_signing_chain(&leaf, &bundle, &[impostor], in_2030()).unwrap_err();
        assert!(
            matches!(&err, X509Error::BadSignature { subject, issuer, .. } if subject == "CN=Int" && issuer == "CN=Root"),
            "{err:?}"
        );
    }

    #[test]
    fn trusted_leaf_that_is_not_self_signed_needs_its_issuers() {
        let pki = Pki::new();
        let leaf = pki.leaf().build();
        let err = verify_signing_chain(&leaf, &[], std::slice::from_ref(&leaf), in_2030()).unwrap_err();
        assert!(
            matches!(&err, X509Error::IssuerNotFound { issuer, .. } if issuer == "CN=Int"),
            "{err:?}"
        );
        verify_signing_chain(
            &leaf,
            &[pki.int().build()],
            &[leaf.clone(), pki.root().build()],
            in_2030(),
        )
        .unwrap();
    }

    #[test]
    fn backtracking_skips_dead_end_and_wrong_key_candidates() {
        let pki = Pki::new();
        let other_root_key = key(4);
        let wrong_key = key(5);
        // Same name and key as Int, but issued by an untrusted root: a dead end.
        let dead_end = Spec::new("CN=Int", &pki.intermediate, "CN=Other Root", &other_root_key)
            .extensions(ca_extensions(None))
            .build();
        // Same name as Int but another key: the leaf's signature does not verify with it.
        let wrong = Spec::new("CN=Int", &wrong_key, "CN=Root", &pki.root_ca)
            .extensions(ca_extensions(None))
            .build();
        let good = pki.int().build();
        let leaf = pki.leaf().build();
        let root = pki.root().build();
        let intermediates = [dead_end, wrong, good];
        verify_signing_chain(&leaf, &intermediates, std::slice::from_ref(&root), in_2030()).unwrap();

        // Without the good intermediate, the furthest failure (the wrong key) is reported.
        let err = verify_signing_chain(&leaf, &intermediates[..2], &[root], in_2030()).unwrap_err();
        assert!(
            matches!(&err, X509Error::BadSignature { subject, .. } if subject == "CN=Leaf"),
            "{err:?}"
        );
    }

    #[test]
    fn issuer_loop_is_detected() {
        let pki = Pki::new();
        let (a_key, b_key) = (key(6), key(7));
        let a = Spec::new("CN=A", &a_key, "CN=B", &b_key)
            .extensions(ca_extensions(None))
            .build();
        let b = Spec::new("CN=B", &b_key, "CN=A", &a_key)
            .extensions(ca_extensions(None))
            .build();
        let leaf = Spec::new("CN=Leaf", &pki.signer, "CN=A", &a_key)
            .extensions(leaf_extensions())
            .build();
        let err = verify_signing_chain(&leaf, &[a, b], &[pki.root().build()], in_2030()).unwrap_err();
        assert!(
            matches!(&err, X509Error::PathLoop { subject, .. } if subject == "CN=B"),
            "{err:?}"
        );
    }

    /// Regression corpus of the security review: validity is checked at every level of the path,
    /// in both directions, each refusal naming the certificate.
    #[test]
    fn validity_is_checked_at_every_level() {
        let pki = Pki::new();
        // (level, validity years): expired before 2030, or not valid until after it.
        for (level, years) in [
            ("CN=Leaf", (2020, 2029)),
            ("CN=Leaf", (2031, 2040)),
            ("CN=Int", (2020, 2029)),
            ("CN=Int", (2031, 2040)),
            ("CN=Root", (2020, 2029)),
            ("CN=Root", (2031, 2040)),
        ] {
            let (mut leaf, mut int, mut root) = (pki.leaf(), pki.int(), pki.root());
            match level {
                "CN=Leaf" => leaf.years = years,
                "CN=Int" => int.years = years,
                _ => root.years = years,
            }
            let err = Pki::verify(leaf, int, root).unwrap_err();
            let named = match &err {
                X509Error::Expired { subject, .. } if years.0 < 2030 => subject == level,
                X509Error::NotYetValid { subject, .. } if years.0 > 2030 => subject == level,
                _ => false,
            };
            assert!(named, "{level} {years:?}: {err:?}");
        }
    }

    /// 400 forged issuers with the intermediate's name (another key, each a distinct certificate):
    /// the search is bounded (it gives up, naming the leaf, past its candidate limit) and finds the
    /// real issuer among fewer forgeries.
    #[test]
    fn four_hundred_forged_same_name_issuers() {
        let pki = Pki::new();
        let forger = key(5);
        let mut candidates: Vec<Certificate> = (0..400u64)
            .map(|i| {
                let mut spec =
                    Spec::new("CN=Int", &forger, "CN=Root", &pki.root_ca).extensions(ca_extensions(None));
                spec.years = (2025, 2035 + i);
                spec.build()
            })
            .collect();
        let leaf = pki.leaf().build();
        let root = pki.root().build();
        let err =
            verify_signing_chain(&leaf, &candidates, std::slice::from_ref(&root), in_2030()).unwrap_err();
        assert!(
            matches!(&err, X509Error::PathSearchLimit { subject, .. } | X509Error::BadSignature { subject, .. } if subject == "CN=Leaf"),
            "{err:?}"
        );
        candidates.push(pki.int().build());
        let err =
            verify_signing_chain(&leaf, &candidates, std::slice::from_ref(&root), in_2030()).unwrap_err();
        assert!(matches!(&err, X509Error::PathSearchLimit { .. }), "{err:?}");
        candidates.drain(..300);
        verify_signing_chain(&leaf, &candidates, &[root], in_2030()).unwrap();
    }

    /// An issuer with basicConstraints CA but without keyCertSign, or with no extensions at all,
    /// may not issue, at either CA level.
    #[test]
    fn issuers_need_key_cert_sign_at_every_level() {
        let pki = Pki::new();
        let no_sign = vec![
            basic_constraints(true, None),
            key_usage(KeyUsages::DigitalSignature),
        ];
        let err = Pki::verify(pki.leaf(), pki.int().extensions(no_sign.clone()), pki.root()).unwrap_err();
        assert!(
            matches!(&err, X509Error::NotCa { subject, .. } if subject == "CN=Int"),
            "{err:?}"
        );
        let err = Pki::verify(pki.leaf(), pki.int(), pki.root().extensions(no_sign)).unwrap_err();
        assert!(
            matches!(&err, X509Error::NotCa { subject, .. } if subject == "CN=Root"),
            "{err:?}"
        );
    }

    /// Root "CN=CA0" and `intermediates` CAs "CN=CA1".. each issued by the previous one, plus a leaf.
    fn long_chain(intermediates: u8) -> Result<(), X509Error> {
        let keys: Vec<SigningKey> = (0..=intermediates + 1).map(|i| key(10 + i)).collect();
        let names: Vec<String> = (0..=intermediates).map(|i| format!("CN=CA{i}")).collect();
        let root = Spec::new(&names[0], &keys[0], &names[0], &keys[0])
            .extensions(ca_extensions(None))
            .build();
        let cas: Vec<Certificate> = (1..=usize::from(intermediates))
            .map(|i| {
                Spec::new(&names[i], &keys[i], &names[i - 1], &keys[i - 1])
                    .extensions(ca_extensions(None))
                    .build()
            })
            .collect();
        let last = usize::from(intermediates);
        let leaf = Spec::new("CN=Leaf", &keys[last + 1], &names[last], &keys[last])
            .extensions(leaf_extensions())
            .build();
        verify_signing_chain(&leaf, &cas, &[root], in_2030()).map(|_| ())
    }

    #[test]
    fn path_depth_is_limited_to_ten_issuers() {
        long_chain(9).unwrap();
        let err = long_chain(11).unwrap_err();
        assert!(
            matches!(&err, X509Error::PathTooLong { max_depth: 10, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn ecdsa_with_sha384_and_sha512_verify() {
        let pki = Pki::new();
        for signature_oid in [oid::ECDSA_WITH_SHA384, oid::ECDSA_WITH_SHA512] {
            let mut leaf = pki.leaf();
            leaf.signature_oid = signature_oid;
            Pki::verify(leaf, pki.int(), pki.root()).unwrap();
        }
    }

    #[test]
    fn unsupported_signature_algorithm_is_named() {
        let pki = Pki::new();
        let mut leaf = pki.leaf();
        leaf.signature_oid = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.5");
        let err = Pki::verify(leaf, pki.int(), pki.root()).unwrap_err();
        assert!(
            matches!(&err, X509Error::UnsupportedAlgorithm { subject, algorithm }
                if subject == "CN=Leaf" && algorithm.contains("1.2.840.113549.1.1.5")),
            "{err:?}"
        );
    }

    #[test]
    fn inconsistent_signature_algorithms_fail() {
        let pki = Pki::new();
        let mut leaf = pki.leaf();
        leaf.outer_signature_oid = Some(oid::ECDSA_WITH_SHA384);
        let err = Pki::verify(leaf, pki.int(), pki.root()).unwrap_err();
        assert!(matches!(&err, X509Error::BadSignature { .. }), "{err:?}");
    }

    /// Deterministic splitmix64 stream, so the test RSA key is the same on every run.
    struct TestRng(u64);

    impl RngCore for TestRng {
        fn next_u32(&mut self) -> u32 {
            u32::try_from(self.next_u64() >> 32).unwrap()
        }
        fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            for chunk in dest.chunks_mut(8) {
                chunk.copy_from_slice(&self.next_u64().to_le_bytes()[..chunk.len()]);
            }
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rsa::rand_core::Error> {
            self.fill_bytes(dest);
            Ok(())
        }
    }

    impl CryptoRng for TestRng {}

    /// RSA root "CN=RSA Root" (self-signed with RSASSA-PSS) issuing a P-256 leaf with RSASSA-PSS.
    fn rsa_pss_chain(leaf_salt: usize, leaf_declared_salt: u8) -> Result<(), X509Error> {
        // Key generation is slow in debug builds: make the key once.
        static RSA_KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
        let rsa_key = RSA_KEY.get_or_init(|| RsaPrivateKey::new(&mut TestRng(42), 1024).unwrap());
        let rsa_spki = rsa::pkcs8::EncodePublicKey::to_public_key_der(&rsa_key.to_public_key()).unwrap();
        let pss = |salt_len, declared_salt_len| IssuerKey::RsaPss {
            key: rsa_key,
            salt_len,
            declared_salt_len,
        };
        // The EC keys given to `Spec::new` are replaced by the RSA key right after.
        let (placeholder, leaf_key) = (key(1), key(3));
        let mut root = Spec::new("CN=RSA Root", &placeholder, "CN=RSA Root", &placeholder)
            .extensions(ca_extensions(None));
        root.spki_der = rsa_spki.into_vec();
        root.issuer_key = pss(32, 32);
        root.signature_oid = oid::RSASSA_PSS;
        let mut leaf =
            Spec::new("CN=Leaf", &leaf_key, "CN=RSA Root", &placeholder).extensions(leaf_extensions());
        leaf.issuer_key = pss(leaf_salt, leaf_declared_salt);
        leaf.signature_oid = oid::RSASSA_PSS;
        verify_signing_chain(&leaf.build(), &[], &[root.build()], in_2030()).map(|_| ())
    }

    #[test]
    fn rsassa_pss_signatures_verify_with_the_declared_salt_length() {
        rsa_pss_chain(32, 32).unwrap();
        rsa_pss_chain(20, 20).unwrap();
        let err = rsa_pss_chain(32, 20).unwrap_err();
        assert!(
            matches!(&err, X509Error::BadSignature { subject, .. } if subject == "CN=Leaf"),
            "{err:?}"
        );
    }

    // ---- PEM parsing ----

    #[test]
    fn pem_ignores_prose_and_other_blocks() {
        let pki = Pki::new();
        let (root, int) = (pki.root().build(), pki.int().build());
        let text = format!(
            "Certificate:\n    Data: -----BEGIN nonsense\n-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n\
             prose\r\n{}between\n{}trailer",
            to_pem(&int).replace('\n', "\r\n"),
            to_pem(&root)
        );
        let certs = parse_pem_certificates(&text).unwrap();
        assert_eq!(certs.len(), 2);
        assert_eq!(certs[0].der(), int.der());
        assert_eq!(certs[1].der(), root.der());
    }

    #[test]
    fn pem_without_certificate_is_an_error() {
        for text in [
            "",
            "just prose",
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        ] {
            let err = parse_pem_certificates(text).unwrap_err();
            assert!(matches!(err, X509Error::NoCertificate), "{err:?}");
        }
    }

    #[test]
    fn malformed_pem_and_der_are_errors() {
        let pki = Pki::new();
        let good = to_pem(&pki.root().build());
        let truncated = good.replace("-----END CERTIFICATE-----\n", "");
        let err = parse_pem_certificates(&format!("{good}{truncated}")).unwrap_err();
        assert!(
            matches!(
                err,
                X509Error::MalformedPem {
                    block: 2,
                    source: None,
                    ..
                }
            ),
            "{err:?}"
        );

        let bad_base64 = "-----BEGIN CERTIFICATE-----\nMII*\n-----END CERTIFICATE-----\n";
        let err = parse_pem_certificates(bad_base64).unwrap_err();
        assert!(
            matches!(
                err,
                X509Error::MalformedPem {
                    block: 1,
                    source: Some(_),
                    ..
                }
            ),
            "{err:?}"
        );

        let not_der = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        let err = parse_pem_certificates(not_der).unwrap_err();
        assert!(
            matches!(&err, X509Error::MalformedDer { context, .. } if context.contains("#1")),
            "{err:?}"
        );

        let mut trailing = pki.root().build().der().to_vec();
        trailing.push(0);
        let err = Certificate::from_der(&trailing).unwrap_err();
        assert!(matches!(err, X509Error::MalformedDer { .. }), "{err:?}");
    }
}

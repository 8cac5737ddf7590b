//! Certification path building and validation for the signing certificate: depth-first search
//! from the leaf over candidate issuers (bounded in depth and in signature checks), then the
//! validity, extension, CA and signing-usage checks of the complete path, as OpenSSL's
//! `X509_verify_cert` makes them for `model_signing`. It never trusts a path that does not end
//! at one of the caller's anchors.

use std::time::SystemTime;

use der::Decode as _;
use spki::ObjectIdentifier;
use x509_cert::certificate::Version;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage};

use super::signature::verify_signature;
use super::{Certificate, X509Error, describe_oid, oid};

/// Maximum number of issuer certificates above the leaf in a certification path.
const MAX_DEPTH: usize = 10;

/// Maximum number of signature checks during one path search. Intermediates come from the
/// signature bundle, so an attacker could supply many certificates with the same name and key;
/// the bound keeps backtracking over them from becoming exponential.
const MAX_SIGNATURE_CHECKS: usize = 256;

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
            issuer: leaf.issuer_name(),
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
                    issuer: current.issuer_name(),
                }
            };
            self.record(Progress::NoIssuer, error);
        } else if already_in_path {
            let error = X509Error::PathLoop {
                subject: current.subject(),
                issuer: current.issuer_name(),
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

//! Checking a model's claims (`claims.jsonl`): every line must be a claim about exactly this
//! model's bytes, and is counted only when a signer the caller trusts made it.
//!
//! A line that is not a claim, a claim about other bytes (moved from another model, or stale
//! after the model changed), or a claim whose signature does not verify for the signer it
//! names is evidence of tampering: an error naming the line ([`ClaimError`], exit 1). A claim
//! by a signer nobody trusts is reported as such and never counted. Nothing here reads files or
//! decides what a claim must say (policies do, over the [`CheckedClaim`]s).

use super::{SignerClaim, SignerId, TrustAnchor, VerifyError, verify_envelope};
use crate::oms::FormatError;
use crate::oms::bundle::{Bundle, VerificationMaterial};
use crate::oms::claim::{ClaimStatement, ClaimsFileError, parse_claims};

/// A definite "no" about a claims file: one line is not what it must be.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClaimError {
    /// Exit 1: the file is not a claims file (too many lines, a line over the cap).
    #[error("{0}")]
    File(#[from] ClaimsFileError),
    /// Exit 1: a line that is not a signed in-toto claim.
    #[error("line {line} is not a signed claim: {source}")]
    Malformed {
        line: usize,
        #[source]
        source: FormatError,
    },
    /// Exit 1: a claim about other bytes than this model's.
    #[error(
        "line {line} is a claim about other bytes: its subject is sha256:{claimed}, this model is sha256:{model} (moved from another model, or stale since the model changed: attest again)"
    )]
    OtherSubject {
        line: usize,
        claimed: String,
        model: String,
    },
    /// Exit 1: a claim naming a trusted signer whose signature does not verify.
    #[error("line {line} names {signer} but its signature does not verify: {source}")]
    Tampered {
        line: usize,
        signer: String,
        #[source]
        source: VerifyError,
    },
}

impl ClaimError {
    /// The line the problem is on (none for a problem with the whole file).
    #[must_use]
    pub fn line(&self) -> Option<usize> {
        match self {
            Self::File(ClaimsFileError::LineTooLong { line }) => Some(*line),
            Self::File(_) => None,
            Self::Malformed { line, .. } | Self::OtherSubject { line, .. } | Self::Tampered { line, .. } => {
                Some(*line)
            }
        }
    }
}

/// Who made a claim, as far as the caller's trust goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimSigner {
    /// Verified for one of the trusted anchors.
    Trusted {
        /// `key`, `certificate` or `sigstore`.
        method: &'static str,
        signer: String,
        signer_id: SignerId,
    },
    /// Signed by nobody the caller trusts: reported, never counted.
    Untrusted,
}

/// One claim of the file, its subject checked against the model.
#[derive(Debug, Clone)]
pub struct CheckedClaim {
    /// Its line in the file (1-based).
    pub line: usize,
    /// Hex SHA-256 of the line's bytes.
    pub digest: String,
    pub statement: ClaimStatement,
    /// The signer the bundle names (unverified; for reports).
    pub named: SignerClaim,
    pub signer: ClaimSigner,
}

impl CheckedClaim {
    /// Whether a trusted signer made it (only such claims count).
    #[must_use]
    pub fn is_trusted(&self) -> bool {
        matches!(self.signer, ClaimSigner::Trusted { .. })
    }
}

/// Checks every line of a claims file against the model's root digest and the anchors whose
/// claims count (the model's own signer first, then the others the caller trusts). Lines are
/// returned oldest first.
///
/// # Errors
/// The first line that is not a signed claim about these bytes, or whose signature fails for
/// the trusted signer it names.
pub fn check_claims(
    bytes: &[u8],
    model_root: [u8; 32],
    trusted: &[TrustAnchor],
) -> Result<Vec<CheckedClaim>, ClaimError> {
    // Each line's signature check is independent: they run on all cores (100 claims would
    // otherwise add their ECDSA verifications one after another); the first failing line in
    // file order is the one reported.
    use rayon::prelude::*;
    let lines = parse_claims(bytes)?;
    let checked: Vec<Result<CheckedClaim, ClaimError>> = lines
        .into_par_iter()
        .map(|line| check_line(line, model_root, trusted))
        .collect();
    checked.into_iter().collect()
}

/// One line of [`check_claims`].
fn check_line(
    line: crate::oms::claim::ClaimLine,
    model_root: [u8; 32],
    trusted: &[TrustAnchor],
) -> Result<CheckedClaim, ClaimError> {
    let n = line.line;
    let bundle = line
        .bundle
        .map_err(|source| ClaimError::Malformed { line: n, source })?;
    // 1. Only in-toto statements are claims.
    if bundle.envelope.payload_type != crate::oms::dsse::IN_TOTO_PAYLOAD_TYPE {
        return Err(ClaimError::Malformed {
            line: n,
            source: FormatError::PayloadType(bundle.envelope.payload_type.clone()),
        });
    }
    // 2. The statement, read before its signature is checked only to see what it is
    //    about: a claim about other bytes fails whoever signed it.
    let statement = ClaimStatement::parse(&bundle.envelope.payload)
        .map_err(|source| ClaimError::Malformed { line: n, source })?;
    if statement.subject_digest != model_root {
        return Err(ClaimError::OtherSubject {
            line: n,
            claimed: hex::encode(statement.subject_digest),
            model: hex::encode(model_root),
        });
    }
    // 3. The signer: the first trusted anchor it verifies for; a failure for an anchor the
    //    bundle names is tampering, for any other anchor only "not this signer".
    let signer = trusted_signer(&bundle, trusted).map_err(|(signer, source)| ClaimError::Tampered {
        line: n,
        signer,
        source,
    })?;
    Ok(CheckedClaim {
        line: n,
        digest: line.digest,
        statement,
        named: SignerClaim::of(&bundle),
        signer,
    })
}

/// The trusted anchor a bundle verifies for, [`ClaimSigner::Untrusted`] when it names none of
/// them, or the error of the anchor it names but fails.
fn trusted_signer(bundle: &Bundle, trusted: &[TrustAnchor]) -> Result<ClaimSigner, (String, VerifyError)> {
    for anchor in trusted {
        match verify_envelope(bundle, anchor) {
            Ok(v) => {
                return Ok(ClaimSigner::Trusted {
                    method: v.method,
                    signer: v.signer,
                    signer_id: v.signer_id,
                });
            }
            Err(e) if names_anchor(bundle, anchor, &e) => return Err((describe(anchor), e)),
            Err(_) => {}
        }
    }
    Ok(ClaimSigner::Untrusted)
}

/// Whether a failed verification was for the signer the bundle itself names (so the failure
/// is a forged or altered claim, not a claim by someone else).
fn names_anchor(bundle: &Bundle, anchor: &TrustAnchor, error: &VerifyError) -> bool {
    match (anchor, error) {
        // A key the bundle names by its hint, whose signature fails.
        (TrustAnchor::PublicKey(k), VerifyError::BadSignature { .. }) => matches!(
            &bundle.material,
            VerificationMaterial::PublicKey { hint: Some(h), .. } if h.eq_ignore_ascii_case(&k.hint())
        ),
        // A chain that led to a trusted anchor, then a signature or certificate that fails.
        (
            TrustAnchor::Certificates { .. },
            VerifyError::BadSignature { .. } | VerifyError::BadCertificate(_),
        ) => true,
        // A Fulcio certificate naming the trusted identity and issuer that does not verify.
        (TrustAnchor::Sigstore { identity, issuer, .. }, VerifyError::Sigstore(_)) => {
            let named = SignerClaim::of(bundle);
            named.identity.as_deref() == Some(identity.as_str())
                && named.issuer.as_deref() == Some(issuer.as_str())
        }
        _ => false,
    }
}

fn describe(anchor: &TrustAnchor) -> String {
    match anchor {
        TrustAnchor::PublicKey(k) => format!("key {}", k.hint()),
        TrustAnchor::Certificates { .. } => "a certificate chain to a trusted anchor".to_owned(),
        TrustAnchor::Sigstore { identity, issuer, .. } => {
            format!("Sigstore identity {identity} (issuer {issuer})")
        }
    }
}

/// Reads a claims file: `None` when there is none; at most [`crate::oms::claim::MAX_CLAIMS_BYTES`]; never through
/// a symbolic link.
///
/// # Errors
/// [`crate::Error::ReadClaims`] naming the file: a link, something that is not a regular file,
/// a file over the cap, or a read error.
pub fn read_claims(path: &std::path::Path) -> crate::Result<Option<Vec<u8>>> {
    read_claims_within(path, None)
}

/// [`read_claims`] for a cache made of links (the Hugging Face cache): a link is followed only
/// when it leads to a file inside `links_within` (the repository's folder).
///
/// # Errors
/// As [`read_claims`]; a link leading elsewhere is refused.
pub fn read_claims_within(
    path: &std::path::Path,
    links_within: Option<&std::path::Path>,
) -> crate::Result<Option<Vec<u8>>> {
    let fail = |source: std::io::Error| crate::Error::ReadClaims {
        path: path.to_path_buf(),
        source,
    };
    let invalid = |what: &str| {
        fail(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            what.to_owned(),
        ))
    };
    let meta = match fs_err::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(fail(e)),
    };
    let target = if meta.file_type().is_symlink() {
        match links_within.and_then(|root| crate::fsutil::resolve_inside(path, root)) {
            Some(resolved) => resolved,
            None => {
                return Err(invalid(
                    "it is a symbolic link (claims are never read through one)",
                ));
            }
        }
    } else {
        path.to_path_buf()
    };
    crate::fsutil::read_regular_capped(&target, crate::oms::claim::MAX_CLAIMS_BYTES)
        .map(Some)
        .map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::{ClaimError, ClaimSigner, check_claims};
    use crate::crypto::ec::{PrivateKeyPem, VerifyingKey};
    use crate::oms::claim::{ClaimStatement, EVAL_RESULT_PREDICATE, to_line};
    use crate::sign::{Signer, SigningKeyRef};
    use crate::verify::TrustAnchor;

    fn fixture(name: &str) -> String {
        fs_err::read_to_string(format!("{}/fixtures/keys/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    fn signer(name: &str) -> Signer {
        let key = PrivateKeyPem::parse(&fixture(name))
            .unwrap()
            .into_key(None)
            .unwrap();
        Signer::Key(SigningKeyRef::Local(key))
    }

    fn anchor(name: &str) -> TrustAnchor {
        TrustAnchor::PublicKey(VerifyingKey::from_pem(&fixture(name)).unwrap())
    }

    fn claim(by: &Signer, subject: [u8; 32]) -> Vec<u8> {
        let st = ClaimStatement {
            subject_name: "m".into(),
            subject_digest: subject,
            predicate_type: EVAL_RESULT_PREDICATE.into(),
            predicate: serde_json::json!({"claims": [{"metric": "acc", "comparator": ">=", "threshold": "0.9", "passed": true}]}),
        };
        to_line(&by.sign_statement(st.to_payload()).unwrap().to_json()).unwrap()
    }

    #[test]
    fn a_claim_counts_only_for_a_trusted_signer_about_these_bytes() {
        let root = [3; 32];
        let mut file = claim(&signer("p256.pem"), root);
        file.extend(claim(&signer("other-p256.pem"), root));
        let checked = check_claims(&file, root, &[anchor("p256.pub.pem")]).unwrap();
        assert_eq!(checked.len(), 2);
        assert!(checked[0].is_trusted());
        assert_eq!(checked[1].signer, ClaimSigner::Untrusted);
        assert_eq!(checked[1].line, 2);
        let both = check_claims(
            &file,
            root,
            &[anchor("other-p256.pub.pem"), anchor("p256.pub.pem")],
        )
        .unwrap();
        assert!(both.iter().all(super::CheckedClaim::is_trusted));
        // About other bytes: refused whoever signed it.
        let err = check_claims(&file, [4; 32], &[anchor("p256.pub.pem")]).unwrap_err();
        assert!(matches!(err, ClaimError::OtherSubject { line: 1, .. }), "{err}");
    }

    #[test]
    fn an_altered_claim_by_a_trusted_signer_is_tampering_naming_the_line() {
        let root = [3; 32];
        let good = claim(&signer("p256.pem"), root);
        let mut bundle: serde_json::Value = serde_json::from_slice(&good).unwrap();
        let payload = {
            use base64::Engine as _;
            let b64 = base64::engine::general_purpose::STANDARD;
            let raw = b64
                .decode(bundle["dsseEnvelope"]["payload"].as_str().unwrap())
                .unwrap();
            let text = String::from_utf8(raw)
                .unwrap()
                .replace("\"passed\":true", "\"passed\":false");
            b64.encode(text)
        };
        bundle["dsseEnvelope"]["payload"] = serde_json::json!(payload);
        let mut file = good.clone();
        file.extend(to_line(&serde_json::to_vec(&bundle).unwrap()).unwrap());
        let err = check_claims(&file, root, &[anchor("p256.pub.pem")]).unwrap_err();
        assert!(matches!(err, ClaimError::Tampered { line: 2, .. }), "{err}");
        // For whoever does not trust that key, the altered line is only someone else's claim.
        let other = check_claims(&file, root, &[anchor("other-p256.pub.pem")]).unwrap();
        assert!(other.iter().all(|c| !c.is_trusted()));
        let err = check_claims(b"{\"mediaType\":1}\n", root, &[]).unwrap_err();
        assert_eq!(err.line(), Some(1));
    }
}

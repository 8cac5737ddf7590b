//! Claims about a model: in-toto statements whose subject is the model's OMS root digest, each
//! signed into its own Sigstore bundle, kept one bundle per line in `claims.jsonl` beside the
//! model's signature, appended, newest last (the unified bundle layout proposed in
//! model-transparency #587 and ossf/model-signing-spec PR #5).
//!
//! This module owns the file's layout and the statement's shape (written compactly, read
//! liberally) and the predicate types hubsign defines. Nothing here checks a signature or
//! decides trust: `verify::claims` does.

use super::bundle::Bundle;
use super::statement::STATEMENT_TYPE_V1;
use super::{FormatError, field};
use serde_json::{Map, Value, json};

/// The claims file, beside `model.sig` at the model's root.
pub const CLAIMS_FILE: &str = "claims.jsonl";
/// At most this many bytes of a claims file are read (100 claims are a few hundred KiB).
pub const MAX_CLAIMS_BYTES: u64 = 16 << 20;
/// At most this many claims (lines) in one file.
pub const MAX_CLAIMS: usize = 10_000;
/// One line (one bundle) is at most this long.
pub const MAX_CLAIM_LINE: usize = 1 << 20;

/// hubsign's predicate for a Hugging Face model card's YAML front matter (license,
/// base_model, datasets, language, pipeline_tag, tags, `model-index`), as written there.
pub const MODEL_CARD_PREDICATE: &str = "https://hubsign.dev/attestation/model-card/v0.1";
/// hubsign's lineage predicate: the model was derived from a base model (its root digest).
pub const DERIVED_FROM_PREDICATE: &str = "https://hubsign.dev/attestation/derived-from/v0.1";
/// The in-toto evaluation-result predicate (in-toto/attestation #565, PR #575; draft v0.1).
pub const EVAL_RESULT_PREDICATE: &str = "https://in-toto.io/attestation/eval-result/v0.1";

/// Where the claims of a model whose signature is at `signature` live: beside it.
#[must_use]
pub fn claims_path(signature: &std::path::Path) -> std::path::PathBuf {
    signature.with_file_name(CLAIMS_FILE)
}

/// The repository path of the claims file beside the signature at repository path
/// `signature_path` (`model.sig` → `claims.jsonl`, `.kaggle/signing.json` →
/// `.kaggle/claims.jsonl`).
#[must_use]
pub fn claims_path_in_repo(signature_path: &str) -> String {
    match signature_path.rsplit_once('/') {
        Some((dir, _)) => format!("{dir}/{CLAIMS_FILE}"),
        None => CLAIMS_FILE.to_owned(),
    }
}

/// The attestation files inside the model that its manifest never lists (model-transparency
/// #590): the signature file, and the claims file (`claims.jsonl`) beside it and at the
/// model's root, when they are inside the model. A verifier still checks one that a
/// signature made elsewhere does list.
pub fn attestation_paths(model: &std::path::Path, signature: &std::path::Path) -> Vec<String> {
    use crate::manifest::path_inside_model;
    let mut out: Vec<String> = path_inside_model(model, signature).into_iter().collect();
    for candidate in [claims_path(signature), model.join(CLAIMS_FILE)] {
        if fs_err::symlink_metadata(&candidate).is_ok()
            && let Some(rel) = path_inside_model(model, &candidate)
            && !out.contains(&rel)
        {
            out.push(rel);
        }
    }
    out
}

/// A claim's statement: what it says about which bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimStatement {
    /// A hint (the model's name); consumers match on the digest alone.
    pub subject_name: String,
    /// The model's OMS root digest (SHA-256).
    pub subject_digest: [u8; 32],
    pub predicate_type: String,
    /// The predicate, a JSON object.
    pub predicate: Value,
}

impl ClaimStatement {
    /// The statement bytes that get signed: compact JSON, keys in the in-toto order.
    #[must_use]
    pub fn to_payload(&self) -> Vec<u8> {
        let mut digest = Map::new();
        digest.insert("sha256".into(), json!(hex::encode(self.subject_digest)));
        let mut subject = Map::new();
        subject.insert("name".into(), json!(self.subject_name));
        subject.insert("digest".into(), Value::Object(digest));
        let mut statement = Map::new();
        statement.insert("_type".into(), json!(STATEMENT_TYPE_V1));
        statement.insert("subject".into(), Value::Array(vec![Value::Object(subject)]));
        statement.insert("predicateType".into(), json!(self.predicate_type));
        statement.insert("predicate".into(), self.predicate.clone());
        serde_json::to_vec(&Value::Object(statement)).unwrap_or_default()
    }

    /// Reads a claim's statement (any formatting and key order): an in-toto v1 statement with
    /// exactly one subject carrying a SHA-256 digest, a predicate type and an object predicate.
    ///
    /// # Errors
    /// The first field that is missing or malformed.
    pub fn parse(payload: &[u8]) -> Result<Self, FormatError> {
        let v: Value = serde_json::from_slice(payload).map_err(FormatError::Json)?;
        let ty = v
            .get("_type")
            .and_then(Value::as_str)
            .ok_or_else(|| field("_type"))?;
        if ty != STATEMENT_TYPE_V1 {
            return Err(FormatError::Invalid {
                field: "_type".into(),
                detail: format!("{ty:?} is not {STATEMENT_TYPE_V1}"),
            });
        }
        let subjects = v
            .get("subject")
            .and_then(Value::as_array)
            .ok_or_else(|| field("subject"))?;
        let [subject] = subjects.as_slice() else {
            return Err(FormatError::SubjectCount(subjects.len()));
        };
        let subject_digest = subject_sha256(subject)?;
        let subject_name = subject
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let predicate_type = v
            .get("predicateType")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| field("predicateType"))?
            .to_owned();
        let predicate = v
            .get("predicate")
            .filter(|p| p.is_object())
            .ok_or_else(|| field("predicate"))?;
        Ok(Self {
            subject_name,
            subject_digest,
            predicate_type,
            predicate: predicate.clone(),
        })
    }
}

/// The SHA-256 digest of an in-toto subject (`digest.sha256`, 64 hex digits).
fn subject_sha256(subject: &Value) -> Result<[u8; 32], FormatError> {
    let hex_digest = subject
        .get("digest")
        .and_then(|d| d.get("sha256"))
        .and_then(Value::as_str)
        .ok_or_else(|| field("subject[0].digest.sha256"))?;
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex_digest, &mut out).map_err(|e| FormatError::Invalid {
        field: "subject[0].digest.sha256".into(),
        detail: format!("not 64 hex digits: {e}"),
    })?;
    Ok(out)
}

/// The one SHA-256 subject digest of any in-toto statement (an OMS signature or a claim), read
/// without trusting it: what a keyless verification binds the signature to.
///
/// # Errors
/// Not JSON, not exactly one subject, or no SHA-256 digest.
pub fn statement_subject(payload: &[u8]) -> Result<[u8; 32], FormatError> {
    let v: Value = serde_json::from_slice(payload).map_err(FormatError::Json)?;
    let subjects = v
        .get("subject")
        .and_then(Value::as_array)
        .ok_or_else(|| field("subject"))?;
    let [subject] = subjects.as_slice() else {
        return Err(FormatError::SubjectCount(subjects.len()));
    };
    subject_sha256(subject)
}

/// One line of a claims file: its number (1-based, as editors count) and the bundle it
/// holds, or why it holds none.
#[derive(Debug)]
pub struct ClaimLine {
    pub line: usize,
    /// Hex SHA-256 of the line's bytes (without the newline): the claim's identity in a lock.
    pub digest: String,
    pub bundle: Result<Bundle, FormatError>,
}

/// Errors reading a claims file as a whole (a line's own problem is in its [`ClaimLine`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClaimsFileError {
    #[error("is {size} bytes, more than a claims file may be ({MAX_CLAIMS_BYTES})")]
    TooLarge { size: u64 },
    #[error("holds more than {MAX_CLAIMS} claims")]
    TooManyClaims,
    #[error("line {line} is longer than {MAX_CLAIM_LINE} bytes")]
    LineTooLong { line: usize },
}

/// Splits a claims file into its lines, oldest first; blank lines are skipped (they hold no
/// claim), every other line is parsed as a bundle.
///
/// # Errors
/// Too many lines, or a line over the cap.
pub fn parse_claims(bytes: &[u8]) -> Result<Vec<ClaimLine>, ClaimsFileError> {
    use sha2::Digest as _;
    let mut out = Vec::new();
    for (i, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        let line = i + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if raw.len() > MAX_CLAIM_LINE {
            return Err(ClaimsFileError::LineTooLong { line });
        }
        if out.len() == MAX_CLAIMS {
            return Err(ClaimsFileError::TooManyClaims);
        }
        out.push(ClaimLine {
            line,
            digest: hex::encode(sha2::Sha256::digest(raw)),
            bundle: Bundle::parse(raw),
        });
    }
    Ok(out)
}

/// A bundle as one line of a claims file: compact JSON (whatever formatting the signer
/// produced), no newline inside, a newline after.
///
/// # Errors
/// The bundle bytes are not JSON.
pub fn to_line(bundle_json: &[u8]) -> Result<Vec<u8>, FormatError> {
    let v: Value = serde_json::from_slice(bundle_json).map_err(FormatError::Json)?;
    let mut line = serde_json::to_vec(&v).map_err(FormatError::Json)?;
    line.push(b'\n');
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::{ClaimStatement, EVAL_RESULT_PREDICATE, parse_claims, statement_subject};

    #[test]
    fn a_statement_round_trips_and_its_subject_is_read_alone() {
        let st = ClaimStatement {
            subject_name: "m".into(),
            subject_digest: [7; 32],
            predicate_type: EVAL_RESULT_PREDICATE.into(),
            predicate: serde_json::json!({"claims": [{"metric": "acc", "passed": true}]}),
        };
        let payload = st.to_payload();
        assert!(!payload.contains(&b'\n'));
        assert_eq!(ClaimStatement::parse(&payload).unwrap(), st);
        assert_eq!(statement_subject(&payload).unwrap(), [7; 32]);
        let two = br#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"00"}},{"digest":{"sha256":"00"}}],"predicateType":"x","predicate":{}}"#;
        assert!(ClaimStatement::parse(two).is_err());
        let array = br#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"0707070707070707070707070707070707070707070707070707070707070707"}}],"predicateType":"x","predicate":[]}"#;
        assert!(ClaimStatement::parse(array).is_err(), "a predicate is an object");
    }

    #[test]
    fn lines_are_numbered_as_editors_count_and_blank_ones_skipped() {
        let lines = parse_claims(b"\n{not json}\r\n\n{}\n").unwrap();
        assert_eq!(lines.iter().map(|l| l.line).collect::<Vec<_>>(), vec![2, 4]);
        assert!(lines.iter().all(|l| l.bundle.is_err()));
        assert_ne!(lines[0].digest, lines[1].digest);
    }
}

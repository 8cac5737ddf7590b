//! The `--eval-result` producer: an in-toto evaluation-result predicate
//! ([`EVAL_RESULT_PREDICATE`](crate::oms::claim::EVAL_RESULT_PREDICATE), in-toto/attestation
//! #565 and PR #575, draft v0.1), checked field by field before it is signed.
//!
//! Required: `verifier.id`, `evaluatedAt` (RFC 3339), `suite.{name,version}`, `claims[]` (at
//! least one: `metric`, `comparator` one of `>= > <= <`, `threshold` a decimal *string*,
//! `passed` a boolean), `sampleSize` (an integer), `commitments`, `assuranceLevel`,
//! `subjectProfile`. The optional `preRegistration`, `receipt` and `harness` are checked when
//! present. Unknown fields are kept as they are (the draft says consumers ignore them). The
//! predicate is signed exactly as the file gives it; nothing is added or defaulted.

use serde_json::Value;

/// The `assuranceLevel`s the draft defines.
pub const ASSURANCE_LEVELS: [&str; 4] = ["self_attested", "third_party", "reproduced", "enclave_attested"];
/// The `subjectProfile`s the draft defines.
pub const SUBJECT_PROFILES: [&str; 3] = ["receipt", "public-model", "release-gate"];
/// The comparators a claim may use.
pub const COMPARATORS: [&str; 4] = [">=", ">", "<=", "<"];

/// One field of the predicate that is missing or malformed (`field` as a JSON path:
/// `claims[1].threshold`).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{field}: {problem}")]
pub struct EvalResultError {
    pub field: String,
    pub problem: String,
}

fn bad(field: impl Into<String>, problem: impl Into<String>) -> EvalResultError {
    EvalResultError {
        field: field.into(),
        problem: problem.into(),
    }
}

/// What a JSON value is, for messages.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a JSON number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn object<'a>(
    v: Option<&'a Value>,
    field: &str,
) -> Result<&'a serde_json::Map<String, Value>, EvalResultError> {
    match v {
        None => Err(bad(field, "missing (required)")),
        Some(Value::Object(m)) => Ok(m),
        Some(other) => Err(bad(field, format!("an object, not {}", kind(other)))),
    }
}

fn string<'a>(v: Option<&'a Value>, field: &str) -> Result<&'a str, EvalResultError> {
    match v {
        None => Err(bad(field, "missing (required)")),
        Some(Value::String(s)) if s.trim().is_empty() => Err(bad(field, "empty")),
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(bad(field, format!("a string, not {}", kind(other)))),
    }
}

fn one_of(v: Option<&Value>, field: &str, allowed: &[&str]) -> Result<(), EvalResultError> {
    let s = string(v, field)?;
    if allowed.contains(&s) {
        Ok(())
    } else {
        Err(bad(field, format!("{s:?} is not one of {}", allowed.join(", "))))
    }
}

fn boolean(v: Option<&Value>, field: &str) -> Result<(), EvalResultError> {
    match v {
        None => Err(bad(field, "missing (required)")),
        Some(Value::Bool(_)) => Ok(()),
        Some(other) => Err(bad(field, format!("a boolean, not {}", kind(other)))),
    }
}

fn hex_digest(v: Option<&Value>, field: &str) -> Result<(), EvalResultError> {
    let s = string(v, field)?;
    if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(bad(field, "64 hex digits (a SHA-256)"))
    }
}

/// A decimal written as a string: an optional `-`, digits, optionally `.` and digits.
fn is_decimal(s: &str) -> bool {
    let s = s.strip_prefix('-').unwrap_or(s);
    let digits = |d: &str| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit());
    match s.split_once('.') {
        Some((int, frac)) => digits(int) && digits(frac),
        None => digits(s),
    }
}

/// RFC 3339 `date-time`: `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)` with real calendar ranges.
#[must_use]
pub fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<u32> {
        let part = b.get(from..from + len)?;
        part.iter()
            .all(u8::is_ascii_digit)
            .then(|| part.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
    };
    let sep = |at: usize, c: &[u8]| b.get(at).is_some_and(|x| c.contains(x));
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) = (
        num(0, 4),
        num(5, 2),
        num(8, 2),
        num(11, 2),
        num(14, 2),
        num(17, 2),
    ) else {
        return false;
    };
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt") && sep(13, b":") && sep(16, b":")) {
        return false;
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    if day == 0 || day > days || hour > 23 || minute > 59 || second > 60 {
        return false;
    }
    let mut i = 19;
    if sep(i, b".") {
        let digits = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return false;
        }
        i += 1 + digits;
    }
    match b.get(i) {
        Some(b'Z' | b'z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            i + 6 == b.len()
                && sep(i + 3, b":")
                && num(i + 1, 2).is_some_and(|h| h <= 23)
                && num(i + 4, 2).is_some_and(|m| m <= 59)
        }
        _ => false,
    }
}

/// Checks an eval-result predicate (see the module docs); the value is signed unchanged.
///
/// # Errors
/// The first field that is missing or malformed, named by its JSON path.
pub fn validate(p: &Value) -> Result<(), EvalResultError> {
    let Value::Object(top) = p else {
        return Err(bad("predicate", format!("an object, not {}", kind(p))));
    };
    let verifier = object(top.get("verifier"), "verifier")?;
    string(verifier.get("id"), "verifier.id")?;
    let at = string(top.get("evaluatedAt"), "evaluatedAt")?;
    if !is_rfc3339(at) {
        return Err(bad(
            "evaluatedAt",
            format!("{at:?} is not an RFC 3339 date-time (2026-07-05T12:00:00Z)"),
        ));
    }
    let suite = object(top.get("suite"), "suite")?;
    string(suite.get("name"), "suite.name")?;
    string(suite.get("version"), "suite.version")?;
    let claims = match top.get("claims") {
        None => return Err(bad("claims", "missing (required)")),
        Some(Value::Array(c)) if c.is_empty() => return Err(bad("claims", "at least one claim")),
        Some(Value::Array(c)) => c,
        Some(other) => return Err(bad("claims", format!("an array, not {}", kind(other)))),
    };
    for (i, claim) in claims.iter().enumerate() {
        let at = |f: &str| format!("claims[{i}].{f}");
        let Value::Object(c) = claim else {
            return Err(bad(
                format!("claims[{i}]"),
                format!("an object, not {}", kind(claim)),
            ));
        };
        string(c.get("metric"), &at("metric"))?;
        one_of(c.get("comparator"), &at("comparator"), &COMPARATORS)?;
        match c.get("threshold") {
            None => return Err(bad(at("threshold"), "missing (required)")),
            Some(Value::String(s)) if is_decimal(s) => {}
            Some(Value::String(s)) => {
                return Err(bad(at("threshold"), format!("{s:?} is not a decimal (\"0.98\")")));
            }
            Some(Value::Number(_)) => {
                return Err(bad(at("threshold"), "a decimal string, not a JSON number"));
            }
            Some(other) => {
                return Err(bad(
                    at("threshold"),
                    format!("a decimal string, not {}", kind(other)),
                ));
            }
        }
        boolean(c.get("passed"), &at("passed"))?;
    }
    match top.get("sampleSize") {
        None => return Err(bad("sampleSize", "missing (required)")),
        Some(Value::Number(n)) if n.is_u64() => {}
        Some(other) => {
            return Err(bad(
                "sampleSize",
                format!("a non-negative integer, not {}", describe(other)),
            ));
        }
    }
    let commitments = object(top.get("commitments"), "commitments")?;
    for (name, c) in commitments {
        let at = |f: &str| format!("commitments.{name}.{f}");
        let Value::Object(c) = c else {
            return Err(bad(
                format!("commitments.{name}"),
                format!("an object, not {}", kind(c)),
            ));
        };
        string(c.get("alg"), &at("alg"))?;
        string(c.get("value"), &at("value"))?;
        if c.contains_key("salted") {
            boolean(c.get("salted"), &at("salted"))?;
        }
    }
    one_of(top.get("assuranceLevel"), "assuranceLevel", &ASSURANCE_LEVELS)?;
    one_of(top.get("subjectProfile"), "subjectProfile", &SUBJECT_PROFILES)?;
    if let Some(pre) = top.get("preRegistration") {
        let pre = object(Some(pre), "preRegistration")?;
        string(pre.get("alg"), "preRegistration.alg")?;
        string(pre.get("value"), "preRegistration.value")?;
    }
    if let Some(receipt) = top.get("receipt") {
        let receipt = object(Some(receipt), "receipt")?;
        string(receipt.get("schema"), "receipt.schema")?;
        string(receipt.get("merkleRootB64"), "receipt.merkleRootB64")?;
    }
    if let Some(harness) = top.get("harness") {
        let harness = object(Some(harness), "harness")?;
        string(harness.get("name"), "harness.name")?;
        string(harness.get("version"), "harness.version")?;
        if let Some(d) = harness.get("digest") {
            let d = object(Some(d), "harness.digest")?;
            hex_digest(d.get("sha256"), "harness.digest.sha256")?;
        }
    }
    Ok(())
}

/// A value for a message: numbers as written, other kinds by name.
fn describe(v: &Value) -> String {
    match v {
        Value::Number(n) => n.to_string(),
        other => kind(other).to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::{is_rfc3339, validate};
    use serde_json::{Value, json};

    fn example() -> Value {
        json!({
            "verifier": {"id": "https://example.com/verifier"},
            "evaluatedAt": "2026-07-05T12:00:00Z",
            "suite": {"name": "safety-refusals", "version": "1.2.0"},
            "claims": [
                {"metric": "refusal_rate", "comparator": ">=", "threshold": "0.98", "passed": true},
                {"metric": "toxicity", "comparator": "<", "threshold": "0.01", "passed": false}
            ],
            "sampleSize": 500,
            "commitments": {"model": {"alg": "sha256", "value": "ab", "salted": false}},
            "assuranceLevel": "self_attested",
            "subjectProfile": "public-model",
            "harness": {"name": "h", "version": "1", "digest": {"sha256": "a".repeat(64)}},
            "x-extra": {"kept": true}
        })
    }

    fn error_of(edit: impl FnOnce(&mut Value)) -> String {
        let mut p = example();
        edit(&mut p);
        validate(&p).unwrap_err().to_string()
    }

    #[test]
    fn the_draft_example_passes_and_each_field_is_named_when_wrong() {
        validate(&example()).unwrap();
        assert_eq!(
            error_of(|p| p["claims"][1]["threshold"] = json!(0.01)),
            "claims[1].threshold: a decimal string, not a JSON number"
        );
        assert_eq!(
            error_of(|p| p["claims"][0]["comparator"] = json!("==")),
            "claims[0].comparator: \"==\" is not one of >=, >, <=, <"
        );
        assert_eq!(
            error_of(|p| p["claims"] = json!([])),
            "claims: at least one claim"
        );
        assert_eq!(
            error_of(|p| {
                p.as_object_mut().unwrap().remove("verifier");
            }),
            "verifier: missing (required)"
        );
        assert_eq!(
            error_of(|p| p["sampleSize"] = json!(1.5)),
            "sampleSize: a non-negative integer, not 1.5"
        );
        assert!(error_of(|p| p["evaluatedAt"] = json!("2026-02-30T00:00:00Z")).starts_with("evaluatedAt:"));
        assert!(error_of(|p| p["claims"][0]["passed"] = json!("true")).starts_with("claims[0].passed:"));
        assert!(error_of(|p| p["subjectProfile"] = json!("model")).starts_with("subjectProfile:"));
        assert!(
            error_of(|p| p["harness"]["digest"]["sha256"] = json!("zz"))
                .starts_with("harness.digest.sha256:")
        );
        assert!(
            error_of(|p| p["commitments"]["model"]["alg"] = json!(1)).starts_with("commitments.model.alg:")
        );
    }

    #[test]
    fn rfc3339_dates_are_checked_for_real() {
        for ok in [
            "2026-07-05T12:00:00Z",
            "2024-02-29t23:59:60.123+05:30",
            "2026-01-01T00:00:00-00:00",
        ] {
            assert!(is_rfc3339(ok), "{ok}");
        }
        for no in [
            "2026-07-05",
            "2026-07-05 12:00:00Z",
            "2023-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-07-05T24:00:00Z",
            "2026-07-05T12:00:00",
            "2026-07-05T12:00:00.Z",
            "2026-07-05T12:00:00+0530",
            "2026-07-05T12:00:00Zjunk",
        ] {
            assert!(!is_rfc3339(no), "{no}");
        }
    }
}

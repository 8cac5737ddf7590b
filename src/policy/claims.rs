//! Claims a trust rule requires (`[[trust.require-claim]]`): parsing the tables, and deciding
//! over a model's checked claims whether each requirement is met.
//!
//! ```toml
//! [[trust]]
//! repos = ["my-org/*"]
//! public-key = "keys/release.pub.pem"
//!
//! [[trust.require-claim]]
//! predicate-type = "eval-result"             # or model-card, derived-from, or any URI
//! public-key = "keys/eval.pub.pem"           # who must have made it (absent: the model's signer)
//! passed = true                              # every entry of claims[] passed
//! "suite.name" = "mmlu"                      # dotted keys reach into objects
//!
//! [[trust.require-claim]]
//! predicate-type = "model-card"
//! license = ["apache-2.0", "mit"]            # an array: one of these
//! ```
//!
//! A requirement is met when at least one claim of its type, made by its signer (verified, see
//! `verify::claims`), satisfies every condition. This module never reads files or checks
//! signatures: the CLI reads the signers' key files, `verify::claims` checks the claims, and
//! [`unmet`] only compares what they produced.

use super::{PolicyError, RequiredSigner, pattern_matches};
use crate::oms::claim::{DERIVED_FROM_PREDICATE, EVAL_RESULT_PREDICATE, MODEL_CARD_PREDICATE};
use crate::verify::claims::{CheckedClaim, ClaimSigner};
use crate::verify::{SignerId, TrustAnchor};
use serde_json::Value;
use std::path::Path;

/// The keys of a `require-claim` table that are not predicate conditions.
const RESERVED: [&str; 6] = [
    "predicate-type",
    "public-key",
    "certificate-chain",
    "identity",
    "issuer",
    "trust-config",
];

/// Top-level fields of the in-toto eval-result predicate (draft v0.1).
const EVAL_FIELDS: [&str; 8] = [
    "verifier",
    "evaluatedAt",
    "suite",
    "claims",
    "sampleSize",
    "commitments",
    "assuranceLevel",
    "subjectProfile",
];
/// Fields of each entry of an eval-result's `claims[]`: a condition on one of them holds when
/// every entry satisfies it.
const EVAL_ENTRY_FIELDS: [&str; 4] = ["metric", "comparator", "threshold", "passed"];
/// The lineage predicate's fields.
const DERIVED_FROM_FIELDS: [&str; 1] = ["base"];
/// The model-card metadata keys Hugging Face documents (the front matter's top level).
const MODEL_CARD_FIELDS: [&str; 18] = [
    "language",
    "license",
    "license_name",
    "license_link",
    "library_name",
    "tags",
    "datasets",
    "metrics",
    "base_model",
    "base_model_relation",
    "pipeline_tag",
    "model-index",
    "model_name",
    "inference",
    "widget",
    "co2_eq_emissions",
    "thumbnail",
    "new_version",
];

/// A claim a rule requires.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimRequirement {
    /// The predicate type URI (short names resolved).
    pub predicate_type: String,
    /// Who must have made the claim; `None`: the model's own signer (the rule's).
    pub signer: Option<RequiredSigner>,
    /// Every one must hold.
    pub conditions: Vec<Condition>,
}

/// One predicate condition: the field a dotted key names, and the values it may have.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The key as written (`suite.name`).
    pub key: String,
    /// Any of these (one for a scalar condition, the set for an array).
    pub allowed: Vec<Allowed>,
    /// Whether the condition was written as an array (for messages).
    pub is_set: bool,
}

/// One value a condition allows.
#[derive(Debug, Clone, PartialEq)]
pub enum Allowed {
    /// Equal to this string, number or boolean (a number also equals a decimal string of it).
    Value(Value),
    /// A string matching this pattern (`*` within one `/`-separated part, `?` one character,
    /// ASCII case ignored, as repository patterns).
    Glob(String),
}

/// A requirement with its signer's anchor resolved (the CLI reads the key files).
#[derive(Debug, Clone)]
pub struct RequiredClaim {
    pub requirement: ClaimRequirement,
    /// Whose claims count for it: the requirement's signer, or the model's own.
    pub anchor: TrustAnchor,
}

/// The URI a short predicate name stands for (`eval-result`, `model-card`, `derived-from`).
#[must_use]
pub fn predicate_uri(name: &str) -> &str {
    match name {
        "eval-result" => EVAL_RESULT_PREDICATE,
        "model-card" => MODEL_CARD_PREDICATE,
        "derived-from" => DERIVED_FROM_PREDICATE,
        other => other,
    }
}

/// The short name of a predicate type hubsign knows, else the URI.
#[must_use]
pub fn predicate_name(uri: &str) -> &str {
    match uri {
        EVAL_RESULT_PREDICATE => "eval-result",
        MODEL_CARD_PREDICATE => "model-card",
        DERIVED_FROM_PREDICATE => "derived-from",
        other => other,
    }
}

/// Parses one `[[trust.require-claim]]` table of rule `rule` (1-based), the `index`th
/// (1-based); relative key paths resolve against `base`.
pub(super) fn parse_requirement(
    table: toml::Table,
    path: &Path,
    base: &Path,
    rule: usize,
    index: usize,
) -> Result<ClaimRequirement, PolicyError> {
    let bad = |detail: String| PolicyError::RequireClaim {
        path: path.to_path_buf(),
        rule,
        index,
        detail,
    };
    let mut predicate_type = None;
    let mut public_key = None;
    let mut chain = Vec::new();
    let mut identity = None;
    let mut issuer = None;
    let mut trust_config = None;
    let mut conditions = Vec::new();
    let string = |key: &str, v: toml::Value| match v {
        toml::Value::String(s) => Ok(s),
        _ => Err(bad(format!("{key} must be a string"))),
    };
    for (key, value) in table {
        match key.as_str() {
            "predicate-type" => predicate_type = Some(string(&key, value)?),
            "public-key" => public_key = Some(base.join(string(&key, value)?)),
            "certificate-chain" => {
                let toml::Value::Array(items) = value else {
                    return Err(bad("certificate-chain must be an array of paths".into()));
                };
                for item in items {
                    chain.push(base.join(string(&key, item)?));
                }
            }
            "identity" => identity = Some(string(&key, value)?),
            "issuer" => issuer = Some(string(&key, value)?),
            "trust-config" => trust_config = Some(base.join(string(&key, value)?)),
            _ => {
                let folded = key.to_ascii_lowercase().replace('_', "-");
                if RESERVED.contains(&folded.as_str()) {
                    return Err(bad(format!("unknown key {key:?} (did you mean {folded:?}?)")));
                }
                flatten(&key, value, &mut conditions).map_err(&bad)?;
            }
        }
    }
    let predicate_type =
        predicate_uri(&predicate_type.ok_or_else(|| bad("predicate-type is missing".into()))?).to_owned();
    if let Some(known) = known_fields(&predicate_type) {
        for c in &conditions {
            let first = c.key.split('.').next().unwrap_or_default();
            if !known.contains(&first) {
                return Err(bad(format!(
                    "unknown key {:?}: a {} predicate has no field {first:?} (fields: {})",
                    c.key,
                    predicate_name(&predicate_type),
                    known.join(", ")
                )));
            }
        }
    }
    let signer = match (public_key, chain.is_empty(), identity, issuer) {
        (None, true, None, None) => None,
        (Some(k), true, None, None) => Some(RequiredSigner::PublicKey(k)),
        (None, false, None, None) => Some(RequiredSigner::CertificateChain(chain)),
        (None, true, Some(identity), Some(issuer)) => Some(RequiredSigner::Sigstore {
            identity,
            issuer,
            trust_config,
        }),
        _ => {
            return Err(bad(
                "names at most one signer (public-key, certificate-chain, or identity + issuer)".into(),
            ));
        }
    };
    Ok(ClaimRequirement {
        predicate_type,
        signer,
        conditions,
    })
}

/// The fields a predicate type hubsign knows may be conditioned on (first dotted part); `None`
/// for a type it does not know (any key is a condition then).
fn known_fields(predicate_type: &str) -> Option<Vec<&'static str>> {
    match predicate_type {
        EVAL_RESULT_PREDICATE => Some(EVAL_FIELDS.iter().chain(&EVAL_ENTRY_FIELDS).copied().collect()),
        DERIVED_FROM_PREDICATE => Some(DERIVED_FROM_FIELDS.to_vec()),
        MODEL_CARD_PREDICATE => Some(MODEL_CARD_FIELDS.to_vec()),
        _ => None,
    }
}

/// One condition per leaf: `a.b = 1` written as a TOML dotted key is a table; its leaves are
/// the dotted conditions.
fn flatten(key: &str, value: toml::Value, out: &mut Vec<Condition>) -> Result<(), String> {
    match value {
        toml::Value::Table(t) => {
            for (k, v) in t {
                flatten(&format!("{key}.{k}"), v, out)?;
            }
            Ok(())
        }
        toml::Value::Array(items) => {
            if items.is_empty() {
                return Err(format!("{key} allows no value (an empty array)"));
            }
            let allowed = items
                .into_iter()
                .map(|v| allowed(key, v))
                .collect::<Result<_, _>>()?;
            out.push(Condition {
                key: key.to_owned(),
                allowed,
                is_set: true,
            });
            Ok(())
        }
        scalar => {
            out.push(Condition {
                key: key.to_owned(),
                allowed: vec![allowed(key, scalar)?],
                is_set: false,
            });
            Ok(())
        }
    }
}

fn allowed(key: &str, v: toml::Value) -> Result<Allowed, String> {
    Ok(match v {
        toml::Value::String(s) if s.contains('*') || s.contains('?') => Allowed::Glob(s),
        toml::Value::String(s) => Allowed::Value(Value::String(s)),
        toml::Value::Integer(i) => Allowed::Value(Value::from(i)),
        toml::Value::Float(f) => Allowed::Value(Value::from(f)),
        toml::Value::Boolean(b) => Allowed::Value(Value::Bool(b)),
        _ => {
            return Err(format!(
                "{key}: a condition is a string, number, boolean or an array of them"
            ));
        }
    })
}

impl std::fmt::Display for Allowed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Value(v) => write!(f, "{v}"),
            Self::Glob(g) => write!(f, "{g:?}"),
        }
    }
}

impl std::fmt::Display for Condition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let values: Vec<String> = self.allowed.iter().map(ToString::to_string).collect();
        if self.is_set {
            write!(f, "{} = [{}]", self.key, values.join(", "))
        } else {
            write!(f, "{} = {}", self.key, values.join(""))
        }
    }
}

impl Condition {
    /// Whether `predicate` satisfies it. A field holding an array satisfies it when every
    /// element does (and there is one); for an eval-result, a field of its `claims[]` entries
    /// (`passed`, `metric`, …) likewise holds when every entry satisfies it.
    #[must_use]
    pub fn holds(&self, predicate_type: &str, predicate: &Value) -> bool {
        let path: Vec<&str> = self.key.split('.').collect();
        let first = path.first().copied().unwrap_or_default();
        // Always the entries: a top-level field of the same name (which the eval-result
        // predicate does not define) must not stand in for the entries' verdicts.
        if predicate_type == EVAL_RESULT_PREDICATE && EVAL_ENTRY_FIELDS.contains(&first) {
            let Some(entries) = predicate.get("claims").and_then(Value::as_array) else {
                return false;
            };
            return !entries.is_empty() && entries.iter().all(|e| self.holds_at(e, &path));
        }
        self.holds_at(predicate, &path)
    }

    fn holds_at(&self, v: &Value, path: &[&str]) -> bool {
        let Some(found) = path.iter().try_fold(v, |v, k| v.get(*k)) else {
            return false;
        };
        match found {
            Value::Array(items) => !items.is_empty() && items.iter().all(|i| self.allows(i)),
            other => self.allows(other),
        }
    }

    fn allows(&self, v: &Value) -> bool {
        self.allowed.iter().any(|a| match (a, v) {
            (Allowed::Glob(p), Value::String(s)) => pattern_matches(p, s),
            (Allowed::Value(want), got) => scalar_eq(want, got),
            _ => false,
        })
    }

    /// What the field is in `predicate`, for a message (`passed is false`).
    fn found(&self, predicate_type: &str, predicate: &Value) -> String {
        let path: Vec<&str> = self.key.split('.').collect();
        let first = path.first().copied().unwrap_or_default();
        let value = if predicate_type == EVAL_RESULT_PREDICATE
            && EVAL_ENTRY_FIELDS.contains(&first)
            && predicate.get(first).is_none()
        {
            predicate.get("claims").and_then(Value::as_array).map(|entries| {
                Value::Array(
                    entries
                        .iter()
                        .map(|e| {
                            path.iter()
                                .try_fold(e, |v, k| v.get(*k))
                                .cloned()
                                .unwrap_or(Value::Null)
                        })
                        .collect(),
                )
            })
        } else {
            path.iter().try_fold(predicate, |v, k| v.get(*k)).cloned()
        };
        match value {
            None => format!("no {}", self.key),
            Some(v) => {
                let mut text = v.to_string();
                if text.len() > 80 {
                    text = format!("{}…", text.chars().take(80).collect::<String>());
                }
                format!("{} is {text}", self.key)
            }
        }
    }
}

/// Equal strings, booleans, or numbers (a number also equals a string holding the same decimal,
/// as eval-result thresholds are written).
fn scalar_eq(want: &Value, got: &Value) -> bool {
    let num = |v: &Value| match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    match (want, got) {
        (Value::String(a), Value::String(b)) => a == b,
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::Number(_), _) | (_, Value::Number(_)) => {
            matches!((num(want), num(got)), (Some(a), Some(b)) if a == b)
        }
        _ => false,
    }
}

/// Whether a verified signer is the one `anchor` names.
#[must_use]
pub fn anchor_names(anchor: &TrustAnchor, id: &SignerId) -> bool {
    match (anchor, id) {
        (TrustAnchor::PublicKey(k), SignerId::Key { fingerprint }) => {
            k.hint().eq_ignore_ascii_case(fingerprint)
        }
        (TrustAnchor::Certificates { anchors, .. }, SignerId::Certificate { anchor, .. }) => anchors
            .iter()
            .any(|a| a.fingerprint().eq_ignore_ascii_case(anchor)),
        (
            TrustAnchor::Sigstore { identity, issuer, .. },
            SignerId::Sigstore {
                identity: i,
                issuer: s,
            },
        ) => identity == i && issuer == s,
        _ => false,
    }
}

/// How a requirement's signer is named in messages.
fn describe_signer(req: &RequiredClaim) -> String {
    let who = match &req.anchor {
        TrustAnchor::PublicKey(k) => {
            let hint = k.hint();
            format!("key {}…", hint.get(..16).unwrap_or(&hint))
        }
        TrustAnchor::Certificates { anchors, .. } => {
            let fps: Vec<String> = anchors
                .iter()
                .map(|a| {
                    let fp = a.fingerprint();
                    format!("{}…", fp.get(..16).unwrap_or(&fp))
                })
                .collect();
            format!("a certificate chaining to {}", fps.join(" or "))
        }
        TrustAnchor::Sigstore { identity, issuer, .. } => {
            format!("Sigstore identity {identity} (issuer {issuer})")
        }
    };
    if req.requirement.signer.is_none() {
        format!("the model's signer ({who})")
    } else {
        who
    }
}

/// The requirement in words: `an eval-result claim signed by key ab12… with passed = true`.
#[must_use]
pub fn describe(req: &RequiredClaim) -> String {
    let name = predicate_name(&req.requirement.predicate_type);
    let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    let mut text = format!("{article} {name} claim signed by {}", describe_signer(req));
    if !req.requirement.conditions.is_empty() {
        let conds: Vec<String> = req
            .requirement
            .conditions
            .iter()
            .map(ToString::to_string)
            .collect();
        text.push_str(" with ");
        text.push_str(&conds.join(" and "));
    }
    text
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// The first requirement no claim meets, in words (`requires an eval-result claim signed by key
/// ab12… with passed = true: found none (1 claim of that type by an untrusted signer)`); `None`
/// when every requirement is met. Only trusted claims by the requirement's signer count.
#[must_use]
pub fn unmet(required: &[RequiredClaim], claims: &[CheckedClaim]) -> Option<String> {
    required.iter().find_map(|req| {
        let r = &req.requirement;
        let of_type: Vec<&CheckedClaim> = claims
            .iter()
            .filter(|c| c.statement.predicate_type == r.predicate_type)
            .collect();
        let mut untrusted = 0;
        let mut others = 0;
        let mut failing: Vec<String> = Vec::new();
        for c in &of_type {
            match &c.signer {
                ClaimSigner::Untrusted => untrusted += 1,
                ClaimSigner::Trusted { signer_id, .. } if !anchor_names(&req.anchor, signer_id) => {
                    others += 1;
                }
                ClaimSigner::Trusted { .. } => {
                    let pred = &c.statement.predicate;
                    match r
                        .conditions
                        .iter()
                        .find(|cond| !cond.holds(&r.predicate_type, pred))
                    {
                        None => return None,
                        Some(cond) => failing.push(format!(
                            "line {}: {}",
                            c.line,
                            cond.found(&r.predicate_type, pred)
                        )),
                    }
                }
            }
        }
        let mut why = Vec::new();
        if untrusted > 0 {
            why.push((untrusted, "by an untrusted signer".to_owned()));
        }
        if others > 0 {
            why.push((others, "by another trusted signer".to_owned()));
        }
        if !failing.is_empty() {
            why.push((
                failing.len(),
                format!(
                    "by that signer not meeting the conditions ({})",
                    failing.join("; ")
                ),
            ));
        }
        let found = match why.as_slice() {
            [] => "found no claim of that type".to_owned(),
            [(n, reason)] => format!("found none ({} of that type {reason})", plural(*n, "claim")),
            many => format!(
                "found none ({} of that type: {})",
                plural(of_type.len(), "claim"),
                many.iter()
                    .map(|(n, reason)| format!("{n} {reason}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        Some(format!("requires {}: {found}", describe(req)))
    })
}

/// The anchors whose claims a check must verify: the model's own first, then each
/// requirement's signer.
#[must_use]
pub fn claim_anchors(model: &TrustAnchor, required: &[RequiredClaim]) -> Vec<TrustAnchor> {
    std::iter::once(model.clone())
        .chain(required.iter().map(|r| r.anchor.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{RequiredClaim, describe, unmet};
    use crate::crypto::ec::{PrivateKeyPem, VerifyingKey};
    use crate::oms::claim::{ClaimStatement, EVAL_RESULT_PREDICATE, MODEL_CARD_PREDICATE, to_line};
    use crate::policy::{Policy, PolicyError, RequiredSigner};
    use crate::sign::{Signer, SigningKeyRef};
    use crate::verify::TrustAnchor;
    use crate::verify::claims::{CheckedClaim, check_claims};
    use serde_json::{Value, json};
    use std::path::Path;

    fn fixture(name: &str) -> String {
        fs_err::read_to_string(format!("{}/fixtures/keys/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    fn anchor(name: &str) -> TrustAnchor {
        TrustAnchor::PublicKey(VerifyingKey::from_pem(&fixture(name)).unwrap())
    }

    /// Claims by `p256` (the model's signer) and `other-p256`, checked trusting both.
    fn checked(claims: &[(&str, &str, Value)]) -> Vec<CheckedClaim> {
        let mut file = Vec::new();
        for (by, ty, predicate) in claims {
            let key = PrivateKeyPem::parse(&fixture(by))
                .unwrap()
                .into_key(None)
                .unwrap();
            let st = ClaimStatement {
                subject_name: "m".into(),
                subject_digest: [1; 32],
                predicate_type: (*ty).into(),
                predicate: predicate.clone(),
            };
            let bundle = Signer::Key(SigningKeyRef::Local(key))
                .sign_statement(st.to_payload())
                .unwrap();
            file.extend(to_line(&bundle.to_json()).unwrap());
        }
        check_claims(
            &file,
            [1; 32],
            &[anchor("p256.pub.pem"), anchor("other-p256.pub.pem")],
        )
        .unwrap()
    }

    /// The requirements of a policy's only rule, the model's signer p256, `other` the key a
    /// requirement's `public-key = "other"` names.
    fn required(tables: &str) -> Vec<RequiredClaim> {
        let p = Policy::parse(
            &format!("[[trust]]\nrepos = [\"o/*\"]\npublic-key = \"k\"\n{tables}"),
            Path::new("/p/hubsign.toml"),
        )
        .unwrap();
        p.rules[0]
            .require_claims
            .iter()
            .map(|r| RequiredClaim {
                anchor: match &r.signer {
                    Some(RequiredSigner::PublicKey(k)) if k == Path::new("/p/other") => {
                        anchor("other-p256.pub.pem")
                    }
                    _ => anchor("p256.pub.pem"),
                },
                requirement: r.clone(),
            })
            .collect()
    }

    fn eval(entries: &Value) -> Value {
        json!({"suite": {"name": "mmlu", "version": "1"}, "claims": entries})
    }

    #[test]
    fn every_eval_entry_must_meet_a_per_entry_condition() {
        let req = required(
            "[[trust.require-claim]]\npredicate-type = \"eval-result\"\npublic-key = \"other\"\npassed = true\nthreshold = 0.7\nsuite.name = \"mmlu\"\n",
        );
        assert_eq!(req[0].requirement.predicate_type, EVAL_RESULT_PREDICATE);
        let pass = json!({"metric": "acc", "threshold": "0.70", "passed": true});
        let fail = json!({"metric": "f1", "threshold": "0.7", "passed": false});
        assert_eq!(
            unmet(
                &req,
                &checked(&[("other-p256.pem", EVAL_RESULT_PREDICATE, eval(&json!([pass])))])
            ),
            None
        );
        // One failing entry, or none at all, is not "passed".
        for entries in [json!([pass, fail]), json!([])] {
            let why = unmet(
                &req,
                &checked(&[("other-p256.pem", EVAL_RESULT_PREDICATE, eval(&entries))]),
            )
            .unwrap();
            assert!(why.contains("by that signer not meeting the conditions"), "{why}");
        }
        // Regression (review): a top-level `passed` beside failing entries does not stand in
        // for their verdicts.
        let mut dressed = eval(&json!([pass, fail]));
        dressed["passed"] = json!(true);
        dressed["threshold"] = json!("0.7");
        assert!(
            unmet(
                &req,
                &checked(&[("other-p256.pem", EVAL_RESULT_PREDICATE, dressed)])
            )
            .is_some(),
            "a top-level passed = true hid a failing entry"
        );
        // The same claim by the model's signer is not the evaluation key's.
        let why = unmet(
            &req,
            &checked(&[("p256.pem", EVAL_RESULT_PREDICATE, eval(&json!([pass])))]),
        )
        .unwrap();
        assert!(
            why.starts_with("requires an eval-result claim signed by key "),
            "{why}"
        );
        assert!(
            why.contains("with passed = true and suite.name = \"mmlu\" and threshold = 0.7"),
            "{why}"
        );
        assert!(
            why.ends_with("found none (1 claim of that type by another trusted signer)"),
            "{why}"
        );
        assert!(unmet(&req, &[]).unwrap().ends_with("found no claim of that type"));
    }

    #[test]
    fn allow_lists_globs_and_dotted_keys() {
        let req = required(
            "[[trust.require-claim]]\npredicate-type = \"model-card\"\nlicense = [\"apache-2.0\", \"mit\"]\n\"base_model\" = \"org/*\"\n",
        );
        assert!(describe(&req[0]).starts_with("a model-card claim signed by the model's signer (key "));
        let card = |license: Value| json!({"license": license, "base_model": "org/base"});
        let ok = checked(&[("p256.pem", MODEL_CARD_PREDICATE, card(json!("mit")))]);
        assert_eq!(unmet(&req, &ok), None);
        // Every license of a list must be allowed.
        for license in [json!("gpl-3.0"), json!(["mit", "gpl-3.0"]), json!(null)] {
            let claims = checked(&[("p256.pem", MODEL_CARD_PREDICATE, card(license.clone()))]);
            assert!(unmet(&req, &claims).is_some(), "{license}");
        }
        let lineage = required(
            "[[trust.require-claim]]\npredicate-type = \"derived-from\"\n\"base.digest.sha256\" = [\"aa\", \"bb\"]\n",
        );
        let claims = checked(&[(
            "p256.pem",
            crate::oms::claim::DERIVED_FROM_PREDICATE,
            json!({"base": {"name": "b", "digest": {"sha256": "bb"}}}),
        )]);
        assert_eq!(unmet(&lineage, &claims), None);
    }

    #[test]
    fn unknown_keys_and_signers_are_refused_naming_them() {
        let parse = |t: &str| {
            Policy::parse(
                &format!("[[trust]]\nrepos = [\"o/*\"]\npublic-key = \"k\"\n[[trust.require-claim]]\n{t}"),
                Path::new("p.toml"),
            )
        };
        for (table, needle) in [
            (
                "predicate-type = \"eval-result\"\npased = true\n",
                "unknown key \"pased\"",
            ),
            (
                "predicate-type = \"model-card\"\npublic_key = \"k\"\n",
                "did you mean \"public-key\"",
            ),
            ("passed = true\n", "predicate-type is missing"),
            (
                "predicate-type = \"eval-result\"\npassed = []\n",
                "allows no value",
            ),
            (
                "predicate-type = \"eval-result\"\npublic-key = \"a\"\nidentity = \"x\"\nissuer = \"y\"\n",
                "at most one signer",
            ),
        ] {
            let err = parse(table).unwrap_err();
            assert!(
                matches!(
                    err,
                    PolicyError::RequireClaim {
                        rule: 1,
                        index: 1,
                        ..
                    }
                ),
                "{err}"
            );
            assert!(err.to_string().contains(needle), "{err}");
        }
        // A predicate type hubsign does not know takes any key as a condition.
        let p = parse("predicate-type = \"https://example.com/p/v1\"\nanything = 1\n").unwrap();
        assert_eq!(p.rules[0].require_claims[0].conditions[0].key, "anything");
    }
}

//! The in-toto statement carried as the DSSE payload.
//!
//! Written exactly as protobuf `json_format.MessageToJson` writes it in model_signing 1.1.1
//! (two-space indent, `": "`, ASCII-only with `\uXXXX` escapes, no trailing newline). Read
//! liberally: any formatting and key order, legacy v0.2 statements, names written `./x`.

use super::{FormatError, field};
use crate::manifest::{HashAlgorithm, Manifest, ResourceDigest, Serialization, SerializationConfig};
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};
use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt::Write as _;

pub const STATEMENT_TYPE_V1: &str = "https://in-toto.io/Statement/v1";
pub const STATEMENT_TYPE_V0_1: &str = "https://in-toto.io/Statement/v0.1";
pub const PREDICATE_TYPE: &str = "https://model_signing/signature/v1.0";
pub const PREDICATE_TYPE_V0_2: &str = "https://model_signing/Digests/v0.1";

/// Which generation of the predicate a statement uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PredicateVersion {
    /// `https://model_signing/signature/v1.0` (model_signing v0.3 and later).
    V1_0,
    /// `https://model_signing/Digests/v0.1` (v0.2): one subject per file, no root digest.
    V0_2,
}

/// A parsed statement: what the signer claims.
#[derive(Debug, Clone)]
pub struct SignedStatement {
    pub version: PredicateVersion,
    pub subject_name: String,
    /// The root digest claimed by the subject; `None` for v0.2 statements.
    pub subject_digest: Option<Vec<u8>>,
    pub serialization: SerializationConfig,
    /// In the order listed (the order the subject digest is computed in).
    pub resources: Vec<ResourceDigest>,
}

impl SignedStatement {
    /// Whether the statement lists `path` (a file, or a shard of it) among the model's files.
    #[must_use]
    pub fn lists(&self, path: &str) -> bool {
        self.resources
            .iter()
            .any(|r| crate::manifest::shard_file_name(&r.name) == path)
    }
}

/// Serializes the manifest into the statement bytes that get signed.
pub fn write_payload(manifest: &Manifest) -> Vec<u8> {
    let ser = &manifest.serialization;
    let mut serialization = Map::new();
    let method = match ser.method {
        Serialization::Files => "files",
        Serialization::Shards { .. } => "shards",
    };
    serialization.insert("method".into(), json!(method));
    serialization.insert("hash_type".into(), json!(ser.hash.as_str()));
    serialization.insert(
        "allow_symlinks".into(),
        json!(ser.symlinks == crate::manifest::Symlinks::Follow),
    );
    if let Serialization::Shards { shard_size } = ser.method {
        // An integer, as the OMS spec says; model_signing's API reads it back correctly.
        serialization.insert("shard_size".into(), json!(shard_size));
    }
    if !ser.ignore_paths.is_empty() {
        serialization.insert("ignore_paths".into(), json!(ser.ignore_paths));
    }
    let resources: Vec<Value> = manifest
        .resources
        .iter()
        .map(|r| {
            let mut m = Map::new();
            m.insert("name".into(), json!(r.name));
            m.insert("algorithm".into(), json!(r.algorithm));
            m.insert("digest".into(), json!(hex::encode(&r.digest)));
            Value::Object(m)
        })
        .collect();
    let mut predicate = Map::new();
    predicate.insert("serialization".into(), Value::Object(serialization));
    predicate.insert("resources".into(), Value::Array(resources));
    let mut digest = Map::new();
    digest.insert("sha256".into(), json!(hex::encode(manifest.root_digest())));
    let mut subject = Map::new();
    subject.insert("name".into(), json!(manifest.model_name));
    subject.insert("digest".into(), Value::Object(digest));
    let mut statement = Map::new();
    statement.insert("_type".into(), json!(STATEMENT_TYPE_V1));
    statement.insert("subject".into(), Value::Array(vec![Value::Object(subject)]));
    statement.insert("predicateType".into(), json!(PREDICATE_TYPE));
    statement.insert("predicate".into(), Value::Object(predicate));
    let pretty = serde_json::to_string_pretty(&Value::Object(statement)).unwrap_or_default();
    ascii_escape(&pretty).into_bytes()
}

/// Escapes what Python's `json.dumps(ensure_ascii=True)` escapes and serde_json does not:
/// every character outside printable ASCII (only ever inside strings in serde's output).
fn ascii_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() && c != '\u{7f}' {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{u:04x}");
            }
        }
    }
    out
}

fn str_field<'a>(v: &'a Value, path: &str, key: &str) -> Result<&'a str, FormatError> {
    v.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| field(format!("{path}.{key}")))
}

fn hex_field(s: &str, path: &str) -> Result<Vec<u8>, FormatError> {
    hex::decode(s).map_err(|e| FormatError::Invalid {
        field: path.to_owned(),
        detail: format!("not hex: {e}"),
    })
}

/// Normalizes a resource path (`./a//b` → `a/b`) and rejects anything that could leave the model.
fn safe_path(name: &str, single_file_ok: bool) -> Result<String, FormatError> {
    if single_file_ok && (name == "." || name.is_empty()) {
        return Ok(".".to_owned());
    }
    if name.starts_with('/') || name.contains('\\') || name.contains('\0') {
        return Err(FormatError::UnsafeName(name.to_owned()));
    }
    let parts: Vec<&str> = name.split('/').filter(|c| !c.is_empty() && *c != ".").collect();
    if parts.is_empty() || parts.contains(&"..") {
        return Err(FormatError::UnsafeName(name.to_owned()));
    }
    Ok(parts.join("/"))
}

/// The statement with its (possibly 100,000-entry) resource list left as raw JSON text: a
/// `Value` per resource costs ~500 bytes, the raw text nothing beyond the payload itself.
#[derive(serde::Deserialize)]
struct Outline<'a> {
    // Raw, and `null` kept as a (wrong-typed) value instead of becoming "absent".
    #[serde(rename = "_type", borrow, default, deserialize_with = "present")]
    type_: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    subject: Option<&'a RawValue>,
    #[serde(rename = "predicateType", borrow, default, deserialize_with = "present")]
    predicate_type: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    predicate: Option<&'a RawValue>,
}

/// A field that is there, even as `null` (serde's `Option` would read `null` as absent).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&'de RawValue as serde::Deserialize>::deserialize(d).map(Some)
}

#[derive(serde::Deserialize)]
struct PredicateOutline<'a> {
    serialization: Option<Value>,
    #[serde(borrow)]
    resources: Option<&'a RawValue>,
}

/// One resource, its fields still raw: each becomes a string only when checked.
#[derive(serde::Deserialize)]
struct RawResource<'a> {
    #[serde(borrow)]
    name: Option<&'a RawValue>,
    #[serde(borrow)]
    algorithm: Option<&'a RawValue>,
    #[serde(borrow)]
    digest: Option<&'a RawValue>,
}

/// A raw JSON value as a string; `None` if not a string.
fn raw_str<'a>(v: Option<&'a RawValue>) -> Option<Cow<'a, str>> {
    let v = v?;
    if !v.get().starts_with('"') {
        return None;
    }
    serde_json::from_str::<Cow<'a, str>>(v.get()).ok()
}

/// Parses and validates the statement (structure only; digests are checked by `verify`).
pub fn parse_payload(payload: &[u8]) -> Result<SignedStatement, FormatError> {
    // An object, as model_signing requires (serde would also read an array positionally).
    let text = std::str::from_utf8(payload).map_err(|_| FormatError::Invalid {
        field: "statement".into(),
        detail: "not UTF-8".into(),
    })?;
    if !text.trim_start().starts_with('{') {
        return Err(field("statement"));
    }
    let outline: Outline<'_> = serde_json::from_str(text).map_err(FormatError::Json)?;
    let mut v = Map::new();
    for (key, raw) in [
        ("_type", outline.type_),
        ("predicateType", outline.predicate_type),
        ("subject", outline.subject),
    ] {
        if let Some(raw) = raw {
            v.insert(
                key.into(),
                serde_json::from_str(raw.get()).map_err(FormatError::Json)?,
            );
        }
    }
    let predicate: Option<PredicateOutline<'_>> = match outline.predicate {
        None => None,
        Some(p) if p.get().starts_with('{') => {
            Some(serde_json::from_str(p.get()).map_err(|_| field("statement.predicate"))?)
        }
        Some(_) => return Err(field("statement.predicate")),
    };
    let v = Value::Object(v);
    if let Some(t) = v.get("_type") {
        let t = t.as_str().ok_or_else(|| field("statement._type"))?;
        if t != STATEMENT_TYPE_V1 && t != STATEMENT_TYPE_V0_1 {
            return Err(FormatError::Invalid {
                field: "statement._type".into(),
                detail: format!("unknown type {t:?}"),
            });
        }
    }
    let subjects = v
        .get("subject")
        .and_then(Value::as_array)
        .ok_or_else(|| field("statement.subject"))?;
    match str_field(&v, "statement", "predicateType")? {
        PREDICATE_TYPE => parse_v1(predicate.as_ref(), subjects),
        PREDICATE_TYPE_V0_2 => parse_v0_2(subjects),
        other => Err(FormatError::PredicateType(other.to_owned())),
    }
}

fn parse_v1(
    predicate: Option<&PredicateOutline<'_>>,
    subjects: &[Value],
) -> Result<SignedStatement, FormatError> {
    let [subject] = subjects else {
        return Err(FormatError::SubjectCount(subjects.len()));
    };
    let subject_name = subject
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let sha = subject
        .get("digest")
        .and_then(|d| d.get("sha256"))
        .and_then(Value::as_str)
        .ok_or_else(|| field("statement.subject[0].digest.sha256"))?;
    let subject_digest = hex_field(sha, "statement.subject[0].digest.sha256")?;
    let predicate = predicate.ok_or_else(|| field("statement.predicate"))?;
    let ser = predicate
        .serialization
        .as_ref()
        .ok_or_else(|| field("predicate.serialization"))?;
    let hash_name = str_field(ser, "predicate.serialization", "hash_type")?;
    let hash = HashAlgorithm::parse(hash_name).map_err(|e| FormatError::Invalid {
        field: "predicate.serialization.hash_type".into(),
        detail: e.to_string(),
    })?;
    let method = match str_field(ser, "predicate.serialization", "method")? {
        "files" => Serialization::Files,
        "shards" => Serialization::Shards {
            shard_size: shard_size(ser)?,
        },
        other => {
            return Err(FormatError::Invalid {
                field: "predicate.serialization.method".into(),
                detail: format!("unknown method {other:?} (expected files or shards)"),
            });
        }
    };
    let symlinks = match ser.get("allow_symlinks") {
        None | Some(Value::Null) => false,
        Some(b) => b
            .as_bool()
            .ok_or_else(|| field("predicate.serialization.allow_symlinks"))?,
    };
    let symlinks = if symlinks {
        crate::manifest::Symlinks::Follow
    } else {
        crate::manifest::Symlinks::Refuse
    };
    let ignore_paths = match ser.get("ignore_paths") {
        None | Some(Value::Null) => Vec::new(),
        Some(list) => list
            .as_array()
            .ok_or_else(|| field("predicate.serialization.ignore_paths"))?
            .iter()
            .map(|p| {
                p.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| field("predicate.serialization.ignore_paths[]"))
            })
            .collect::<Result<_, _>>()?,
    };
    let serialization = SerializationConfig {
        method,
        hash,
        symlinks,
        ignore_paths,
    };
    let canonical_alg = serialization.resource_algorithm();
    let resources = parse_resources(predicate, method, hash_name, hash, &canonical_alg)?;
    Ok(SignedStatement {
        version: PredicateVersion::V1_0,
        subject_name,
        subject_digest: Some(subject_digest),
        serialization,
        resources,
    })
}

/// The resource list, checked entry by entry: safe names (normalised), known digests, no
/// duplicates, never empty.
fn parse_resources(
    predicate: &PredicateOutline<'_>,
    method: Serialization,
    hash_name: &str,
    hash: HashAlgorithm,
    canonical_alg: &str,
) -> Result<Vec<ResourceDigest>, FormatError> {
    let list: Vec<&RawValue> = predicate
        .resources
        .filter(|r| r.get().starts_with('['))
        .and_then(|r| serde_json::from_str(r.get()).ok())
        .ok_or_else(|| field("predicate.resources"))?;
    if list.is_empty() {
        return Err(FormatError::EmptyManifest);
    }
    let single = list.len() == 1;
    let mut seen = HashSet::with_capacity(list.len());
    let mut resources = Vec::with_capacity(list.len());
    for (i, raw) in list.iter().enumerate() {
        let at = |key: &str| field(format!("predicate.resources[{i}].{key}"));
        // Only an object is a resource (serde would also read an array positionally).
        let r: RawResource<'_> = Some(raw)
            .filter(|r| r.get().starts_with('{'))
            .and_then(|r| serde_json::from_str(r.get()).ok())
            .ok_or_else(|| field(format!("predicate.resources[{i}]")))?;
        let raw_name = raw_str(r.name).ok_or_else(|| at("name"))?;
        let algorithm = raw_str(r.algorithm).ok_or_else(|| at("algorithm"))?;
        let digest = hex_field(
            &raw_str(r.digest).ok_or_else(|| at("digest"))?,
            &format!("predicate.resources[{i}].digest"),
        )?;
        let name = match method {
            Serialization::Files => safe_path(&raw_name, single)?,
            Serialization::Shards { .. } => shard_name(&raw_name, single)?,
        };
        // A shard resource may carry the plain hash name (OMS spec) or `<hash>-sharded-N` (Python).
        let algorithm = if algorithm == hash_name || algorithm == hash.as_str() || algorithm == canonical_alg
        {
            canonical_alg.to_owned()
        } else {
            algorithm.into_owned()
        };
        if !seen.insert(name.clone()) {
            return Err(FormatError::DuplicateResource(name));
        }
        resources.push(ResourceDigest {
            name,
            algorithm,
            digest,
        });
    }
    drop(seen);
    Ok(resources)
}

fn shard_size(ser: &Value) -> Result<u64, FormatError> {
    let bad = || FormatError::Invalid {
        field: "predicate.serialization.shard_size".into(),
        detail: "must be a positive integer (or an integral float)".into(),
    };
    let v = ser
        .get("shard_size")
        .ok_or_else(|| field("predicate.serialization.shard_size"))?;
    let n = if let Some(n) = v.as_u64() {
        n
    } else {
        let f = v.as_f64().ok_or_else(bad)?;
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "range and integrality checked"
        )]
        if f.fract() == 0.0 && (1.0..9.0e15).contains(&f) {
            f as u64
        } else {
            return Err(bad());
        }
    };
    if n == 0 { Err(bad()) } else { Ok(n) }
}

fn shard_name(raw: &str, single: bool) -> Result<String, FormatError> {
    let mut parts = raw.rsplitn(3, ':');
    let (Some(end), Some(start), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(FormatError::Invalid {
            field: "predicate.resources[].name".into(),
            detail: format!("{raw:?} is not path:start:end"),
        });
    };
    let (Ok(s), Ok(e)) = (start.parse::<u64>(), end.parse::<u64>()) else {
        return Err(FormatError::Invalid {
            field: "predicate.resources[].name".into(),
            detail: format!("{raw:?} is not path:start:end"),
        });
    };
    let _ = single;
    Ok(format!("{}:{s}:{e}", safe_path(path, true)?))
}

fn parse_v0_2(subjects: &[Value]) -> Result<SignedStatement, FormatError> {
    if subjects.is_empty() {
        return Err(FormatError::EmptyManifest);
    }
    let mut resources = Vec::with_capacity(subjects.len());
    let single = subjects.len() == 1;
    let mut seen = HashSet::new();
    for (i, s) in subjects.iter().enumerate() {
        let path = format!("statement.subject[{i}]");
        let name = safe_path(str_field(s, &path, "name")?, single)?;
        let sha = s
            .get("digest")
            .and_then(|d| d.get("sha256"))
            .and_then(Value::as_str)
            .ok_or_else(|| field(format!("{path}.digest.sha256")))?;
        if !seen.insert(name.clone()) {
            return Err(FormatError::DuplicateResource(name));
        }
        resources.push(ResourceDigest {
            name,
            algorithm: "sha256".into(),
            digest: hex_field(sha, &path)?,
        });
    }
    Ok(SignedStatement {
        version: PredicateVersion::V0_2,
        subject_name: String::new(),
        subject_digest: None,
        serialization: SerializationConfig {
            method: Serialization::Files,
            hash: HashAlgorithm::Sha256,
            symlinks: crate::manifest::Symlinks::Refuse,
            ignore_paths: Vec::new(),
        },
        resources,
    })
}

#[cfg(test)]
mod tests {
    use super::{parse_payload, safe_path};

    #[test]
    fn ascii_escape_matches_python_ensure_ascii() {
        assert_eq!(
            super::ascii_escape("order/ü.txt \u{1F600}"),
            "order/\\u00fc.txt \\ud83d\\ude00"
        );
    }

    #[test]
    fn unsafe_names_are_rejected() {
        for bad in ["../x", "/etc/passwd", "a/../../b", "a\\b", ".."] {
            assert!(safe_path(bad, false).is_err(), "{bad}");
        }
        assert_eq!(safe_path("./a//b", false).unwrap(), "a/b");
    }

    #[test]
    fn two_subjects_are_rejected() {
        let p = br#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"00"}},{"name":"b","digest":{"sha256":"00"}}],"predicateType":"https://model_signing/signature/v1.0","predicate":{}}"#;
        assert!(matches!(
            parse_payload(p),
            Err(super::FormatError::SubjectCount(2))
        ));
    }
}

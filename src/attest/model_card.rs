//! The `--model-card` producer: a Hugging Face model card's YAML front matter (the block
//! between the leading `---` lines of `README.md`) as a JSON object, the predicate of a
//! [`MODEL_CARD_PREDICATE`](crate::oms::claim::MODEL_CARD_PREDICATE) claim (v0.1).
//!
//! The predicate IS the front matter: every key as written (`license`, `base_model`,
//! `datasets`, `language`, `pipeline_tag`, `tags`, `model-index` with its results, and any
//! other), so a policy reads `license` at the top level. Scalars are typed as YAML 1.2's core
//! schema types them (null, booleans, integers, finite floats; anything else is a string).
//!
//! The YAML is someone else's text, so it is read defensively: the front matter is capped at
//! [`MAX_FRONT_MATTER`], anchors and aliases are refused (an alias bomb expands a few hundred
//! bytes into gigabytes), nesting is capped at [`MAX_DEPTH`], keys must be strings and
//! unique, and tags other than `!!str` are refused. Never reads more of the file than the cap.

use saphyr_parser::{Event, Parser, ScalarStyle};
use serde_json::{Map, Number, Value};

/// At most this many bytes of front matter (a real card's is a few KiB; `model-index` with
/// many results a few tens).
pub const MAX_FRONT_MATTER: usize = 256 << 10;
/// At most this deep (mappings and sequences inside each other).
pub const MAX_DEPTH: usize = 32;

/// Why a card's front matter cannot be a claim.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ModelCardError {
    #[error("no YAML front matter: the card does not start with a `---` line")]
    NoFrontMatter,
    #[error("the front matter has no closing `---` line within its first {MAX_FRONT_MATTER} bytes")]
    Unterminated,
    #[error("the front matter is empty")]
    Empty,
    #[error("the front matter is not UTF-8")]
    NotUtf8,
    #[error("line {line}: not YAML: {reason}")]
    Syntax { line: usize, reason: String },
    #[error(
        "line {line}: YAML anchors and aliases are refused (an alias can expand a few bytes into gigabytes)"
    )]
    Alias { line: usize },
    #[error("line {line}: nested deeper than {MAX_DEPTH} levels")]
    TooDeep { line: usize },
    #[error("line {line}: a key must be a string (found {found})")]
    KeyNotString { line: usize, found: &'static str },
    #[error("line {line}: key {key:?} appears twice in one mapping")]
    DuplicateKey { line: usize, key: String },
    #[error("line {line}: YAML tag {tag} is not supported (only !!str)")]
    Tag { line: usize, tag: String },
    #[error("the front matter is not a mapping of keys to values")]
    NotMapping,
    #[error("the front matter holds more than one YAML document")]
    SeveralDocuments,
}

/// The front matter of a model card's text: the lines between a first line `---` (after an
/// optional byte-order mark and blank lines, as huggingface_hub reads it) and the next line
/// that is `---`. `bytes` may be only the start of the file (at most [`MAX_FRONT_MATTER`]
/// bytes past the opening line are looked at).
///
/// Returns the text and the number of the file's lines before it (to name a line of the
/// text by its line in the file).
///
/// # Errors
/// No opening line, no closing line within the cap, or not UTF-8.
pub fn front_matter(bytes: &[u8]) -> Result<(&str, usize), ModelCardError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .ok_or(ModelCardError::NoFrontMatter)?;
    let rest = &bytes[start..];
    let first_end = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
    if trim_cr(&rest[..first_end]) != b"---" {
        return Err(ModelCardError::NoFrontMatter);
    }
    let body_start = start + (first_end + 1).min(rest.len());
    let window = &bytes[body_start..bytes.len().min(body_start + MAX_FRONT_MATTER + 5)];
    let mut offset = 0;
    for line in window.split(|b| *b == b'\n') {
        let complete = offset + line.len() < window.len();
        if trim_cr(line) == b"---" && (complete || body_start + window.len() == bytes.len()) {
            if offset > MAX_FRONT_MATTER {
                break;
            }
            let before = bytes[..body_start].split(|b| *b == b'\n').count() - 1;
            let text = std::str::from_utf8(&window[..offset]).map_err(|_| ModelCardError::NotUtf8)?;
            return Ok((text, before));
        }
        offset += line.len() + 1;
        if offset > MAX_FRONT_MATTER {
            break;
        }
    }
    Err(ModelCardError::Unterminated)
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// A mapping or sequence being built, with the key awaiting its value in a mapping.
enum Frame {
    Mapping {
        map: Map<String, Value>,
        key: Option<String>,
    },
    Sequence(Vec<Value>),
}

/// The front matter's YAML as a JSON object, keys as written.
///
/// # Errors
/// The first construct refused (see the module docs), or a YAML syntax error, with its line.
pub fn yaml_to_json(text: &str) -> Result<Map<String, Value>, ModelCardError> {
    if text.len() > MAX_FRONT_MATTER {
        return Err(ModelCardError::Unterminated);
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Value> = None;
    let mut documents = 0;
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| ModelCardError::Syntax {
            line: e.marker().line(),
            reason: e.info().to_owned(),
        })?;
        let line = span.start.line();
        let value = match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => continue,
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(ModelCardError::SeveralDocuments);
                }
                continue;
            }
            Event::Alias(_) => return Err(ModelCardError::Alias { line }),
            Event::MappingStart(anchor, tag) | Event::SequenceStart(anchor, tag)
                if anchor != 0 || tag.is_some() =>
            {
                return Err(match tag {
                    Some(t) if anchor == 0 => ModelCardError::Tag {
                        line,
                        tag: format!("{}{}", t.handle, t.suffix),
                    },
                    _ => ModelCardError::Alias { line },
                });
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(ModelCardError::TooDeep { line });
                }
                if let Some(Frame::Mapping { key: None, .. }) = stack.last() {
                    return Err(ModelCardError::KeyNotString {
                        line,
                        found: "a mapping or sequence",
                    });
                }
                stack.push(if matches!(event, Event::MappingStart(..)) {
                    Frame::Mapping {
                        map: Map::new(),
                        key: None,
                    }
                } else {
                    Frame::Sequence(Vec::new())
                });
                continue;
            }
            Event::MappingEnd | Event::SequenceEnd => match stack.pop() {
                Some(Frame::Mapping { map, .. }) => Value::Object(map),
                Some(Frame::Sequence(items)) => Value::Array(items),
                None => continue,
            },
            Event::Scalar(text, style, anchor, tag) => {
                match scalar(&mut stack, text, style, anchor, tag.as_deref(), line)? {
                    Some(value) => value,
                    None => continue,
                }
            }
        };
        match stack.last_mut() {
            Some(Frame::Mapping { map, key }) => {
                if let Some(k) = key.take() {
                    map.insert(k, value);
                }
            }
            Some(Frame::Sequence(items)) => items.push(value),
            None => root = Some(value),
        }
    }
    match root {
        Some(Value::Object(map)) if !map.is_empty() => Ok(map),
        Some(Value::Object(_)) | None => Err(ModelCardError::Empty),
        Some(Value::Null) if text.trim().is_empty() => Err(ModelCardError::Empty),
        Some(_) => Err(ModelCardError::NotMapping),
    }
}

/// A scalar event: a mapping's next key (recorded in its frame; `None` returned), or a value.
fn scalar(
    stack: &mut [Frame],
    text: std::borrow::Cow<'_, str>,
    style: ScalarStyle,
    anchor: usize,
    tag: Option<&saphyr_parser::Tag>,
    line: usize,
) -> Result<Option<Value>, ModelCardError> {
    if anchor != 0 {
        return Err(ModelCardError::Alias { line });
    }
    let forced_string = match tag {
        None => false,
        Some(t) if t.is_yaml_core_schema() && t.suffix == "str" => true,
        Some(t) => {
            return Err(ModelCardError::Tag {
                line,
                tag: format!("{}{}", t.handle, t.suffix),
            });
        }
    };
    let plain = style == ScalarStyle::Plain && !forced_string;
    if let Some(Frame::Mapping { map, key: key @ None }) = stack.last_mut() {
        if plain && let Some(found) = non_string_kind(&text) {
            return Err(ModelCardError::KeyNotString { line, found });
        }
        if map.contains_key(text.as_ref()) {
            return Err(ModelCardError::DuplicateKey {
                line,
                key: text.into_owned(),
            });
        }
        *key = Some(text.into_owned());
        return Ok(None);
    }
    Ok(Some(if plain {
        plain_scalar(&text)
    } else {
        Value::String(text.into_owned())
    }))
}

/// What a plain scalar is, in YAML 1.2's core schema, when it is not a string.
fn non_string_kind(text: &str) -> Option<&'static str> {
    match plain_scalar(text) {
        Value::Null => Some("null"),
        Value::Bool(_) => Some("a boolean"),
        Value::Number(_) => Some("a number"),
        _ => None,
    }
}

/// A plain scalar typed by YAML 1.2's core schema: null, booleans, integers (decimal, `0o`,
/// `0x`), finite floats; everything else (`.inf`, `.nan`, numbers JSON cannot hold) stays
/// the string it was written as.
fn plain_scalar(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let integer = |digits: &str, radix: u32| {
        (!digits.is_empty() && digits.chars().all(|c| c.is_digit(radix)))
            .then(|| i64::from_str_radix(digits, radix).ok())
            .flatten()
    };
    let unsigned = text.strip_prefix('+').unwrap_or(text);
    let parsed = if let Some(oct) = text.strip_prefix("0o") {
        integer(oct, 8)
    } else if let Some(hex) = text.strip_prefix("0x") {
        integer(hex, 16)
    } else if let Some(neg) = text.strip_prefix('-') {
        integer(neg, 10).and_then(i64::checked_neg)
    } else {
        integer(unsigned, 10)
    };
    if let Some(n) = parsed {
        return Value::Number(n.into());
    }
    if is_core_float(text)
        && let Ok(f) = text.parse::<f64>()
        && let Some(n) = Number::from_f64(f)
    {
        return Value::Number(n);
    }
    Value::String(text.to_owned())
}

/// `[-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?`: the core schema's
/// float (its `.inf` and `.nan` have no JSON form and stay strings).
fn is_core_float(text: &str) -> bool {
    let s = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let digits = |d: &str| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => digits(frac),
        Some((int, frac)) => digits(int) && (frac.is_empty() || digits(frac)),
        None => digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['-', '+']).unwrap_or(e)));
    mantissa_ok && exponent_ok
}

/// The predicate of a model card: its front matter as a JSON object.
///
/// # Errors
/// No front matter, or front matter refused (see [`ModelCardError`]).
pub fn predicate(card: &[u8]) -> Result<Value, ModelCardError> {
    let (text, before) = front_matter(card)?;
    yaml_to_json(text)
        .map(Value::Object)
        .map_err(|e| e.shifted(before))
}

impl ModelCardError {
    /// The same error with its line counted from `by` lines earlier.
    fn shifted(mut self, by: usize) -> Self {
        match &mut self {
            Self::Syntax { line, .. }
            | Self::Alias { line }
            | Self::TooDeep { line }
            | Self::KeyNotString { line, .. }
            | Self::DuplicateKey { line, .. }
            | Self::Tag { line, .. } => *line += by,
            _ => {}
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::{MAX_FRONT_MATTER, ModelCardError, front_matter, predicate, yaml_to_json};
    use serde_json::json;

    const CARD: &str = "---\nlicense: apache-2.0\nbase_model: org/base\ndatasets:\n- squad\nlanguage: [en, fr]\npipeline_tag: text-generation\ntags:\n  - 'yes'\nmodel-index:\n- name: m\n  results:\n  - task: {type: text-generation}\n    dataset: {name: Squad, type: squad}\n    metrics:\n    - {type: accuracy, value: 0.9, verified: false}\nversion: \"1.0\"\ncount: 12\nnothing: ~\n---\n# The card\n\nText with --- inside.\n";

    #[test]
    fn a_card_becomes_its_front_matter_with_keys_as_written() {
        let p = predicate(CARD.as_bytes()).unwrap();
        assert_eq!(p["license"], "apache-2.0");
        assert_eq!(p["language"], json!(["en", "fr"]));
        assert_eq!(p["tags"], json!(["yes"]));
        assert_eq!(
            p["model-index"][0]["results"][0]["metrics"][0],
            json!({"type": "accuracy", "value": 0.9, "verified": false})
        );
        assert_eq!(p["version"], "1.0");
        assert_eq!(p["count"], 12);
        assert_eq!(p["nothing"], json!(null));
        let keys: Vec<_> = p.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys[..3], ["license", "base_model", "datasets"]);
        // CRLF and a byte-order mark, as huggingface_hub accepts them.
        let crlf = format!("\u{feff}{}", CARD.replace('\n', "\r\n"));
        assert_eq!(predicate(crlf.as_bytes()).unwrap(), p);
    }

    #[test]
    fn what_is_not_plain_data_is_refused() {
        let bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n";
        assert_eq!(yaml_to_json(bomb), Err(ModelCardError::Alias { line: 1 }));
        assert!(matches!(
            yaml_to_json("a: *x\n"),
            Err(ModelCardError::Syntax { .. } | ModelCardError::Alias { .. })
        ));
        let deep = format!("a: {}1{}\n", "[".repeat(40), "]".repeat(40));
        assert!(matches!(yaml_to_json(&deep), Err(ModelCardError::TooDeep { .. })));
        assert!(matches!(
            yaml_to_json("1: x\n"),
            Err(ModelCardError::KeyNotString { .. })
        ));
        assert!(matches!(
            yaml_to_json("? [a]\n: x\n"),
            Err(ModelCardError::KeyNotString { .. })
        ));
        assert!(matches!(
            yaml_to_json("a: 1\na: 2\n"),
            Err(ModelCardError::DuplicateKey { line: 2, .. })
        ));
        assert!(matches!(
            yaml_to_json("a: !!binary aGk=\n"),
            Err(ModelCardError::Tag { .. })
        ));
        assert_eq!(yaml_to_json("a: !!str 12\n").unwrap()["a"], "12");
        assert_eq!(yaml_to_json("- a\n"), Err(ModelCardError::NotMapping));
        assert_eq!(yaml_to_json(""), Err(ModelCardError::Empty));
        assert!(matches!(
            yaml_to_json("a: [\n"),
            Err(ModelCardError::Syntax { .. })
        ));
    }

    #[test]
    fn the_front_matter_is_found_and_capped() {
        assert_eq!(front_matter(b"# no card\n"), Err(ModelCardError::NoFrontMatter));
        assert_eq!(
            front_matter(b"---\nlicense: mit\n"),
            Err(ModelCardError::Unterminated)
        );
        assert_eq!(front_matter(b"\n---\na: 1\n---"), Ok(("a: 1\n", 2)));
        assert_eq!(
            predicate(b"---\na: 1\na: 2\n---\n"),
            Err(ModelCardError::DuplicateKey {
                line: 3,
                key: "a".into()
            })
        );
        let big = format!("---\nk: {}\n---\n", "x".repeat(MAX_FRONT_MATTER));
        assert_eq!(front_matter(big.as_bytes()), Err(ModelCardError::Unterminated));
        assert_eq!(front_matter(b"---\n---\n"), Ok(("", 1)));
        assert_eq!(predicate(b"---\n---\n"), Err(ModelCardError::Empty));
    }
}

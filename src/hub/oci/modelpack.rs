//! The CNCF ModelPack artifact (modelpack/model-spec v1) `hubsign push` publishes from a local
//! model: one raw layer per file, in OMS order, each annotated with both
//! `org.opencontainers.image.title` (what rh-model-signing, model_signing #623, the Go port and
//! oras read) and `org.cncf.model.filepath` (what ModelPack and Docker Model Runner read); a
//! `application/vnd.cncf.model.config.v1+json` config; the manifest's `annotations`.
//!
//! Because every file is a layer named by its path and a Hugging Face model has its own
//! `config.json`, [`super::layout::entries`] of the built manifest is exactly the directory's
//! OMS manifest (files, SHA-256): a signature over the directory verifies the artifact.
//!
//! The manifest is written as Python's `json.dumps(obj, separators=(",", ":"))` (ASCII only,
//! `\uXXXX` escapes) writes it: rh-model-signing recomputes a manifest's digest by re-serializing
//! the parsed manifest that way, so any other spelling would give it another digest.
//!
//! This module only builds bytes; it reads no file and talks to no registry.

use super::image::{ANNOTATION_MODELPACK_FILEPATH, ANNOTATION_TITLE, Descriptor, OCI_MANIFEST, digest_of};
use crate::manifest::compare_paths;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// The manifest's `artifactType`.
pub const ARTIFACT_TYPE: &str = "application/vnd.cncf.model.manifest.v1+json";
/// The config's media type.
pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.cncf.model.config.v1+json";

/// A file of the model to publish: its model-relative path, `sha256:<hex>` and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushFile {
    pub path: String,
    pub digest: String,
    pub size: u64,
}

/// The artifact's documents, as the registry will store them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    /// The config blob's bytes.
    pub config: Vec<u8>,
    pub config_descriptor: Descriptor,
    /// The manifest's bytes (compact JSON, as Python writes it).
    pub manifest: Vec<u8>,
    /// `sha256:<hex>` of [`Built::manifest`].
    pub manifest_digest: String,
}

/// A file's role in ModelPack, which picks its layer media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Weight,
    WeightConfig,
    Doc,
    Code,
}

impl Role {
    /// The media type of a raw (one-file, uncompressed) layer of this role.
    #[must_use]
    pub fn raw_media_type(self) -> &'static str {
        match self {
            Self::Weight => "application/vnd.cncf.model.weight.v1.raw",
            Self::WeightConfig => "application/vnd.cncf.model.weight.config.v1.raw",
            Self::Doc => "application/vnd.cncf.model.doc.v1.raw",
            Self::Code => "application/vnd.cncf.model.code.v1.raw",
        }
    }
}

/// Files at least this large whose name says nothing are weights (modctl's threshold).
const WEIGHT_SIZE: u64 = 128 * 1000 * 1000;

/// The role of the file at `path` of `size` bytes, by its name as modctl (the ModelPack
/// reference tool) classes files: configuration first (JSON, YAML, tokenizer files), then
/// weights, code, documentation; an unknown name is a weight from 128 MB, else code. Only the
/// label depends on it: the bytes and the signature do not.
#[must_use]
pub fn role(path: &str, size: u64) -> Role {
    const CONFIG_EXT: [&str; 18] = [
        "json",
        "jsonl",
        "json5",
        "jsonc",
        "yaml",
        "yml",
        "toml",
        "ini",
        "cfg",
        "conf",
        "config",
        "xml",
        "modelcard",
        "tiktoken",
        "hparams",
        "params",
        "properties",
        "meta",
    ];
    const CONFIG_NAMES: [&str; 6] = [
        "vocab.txt",
        "merges.txt",
        "added_tokens.txt",
        "spiece.model",
        "tiktoken.model",
        "chat_template.jinja",
    ];
    const WEIGHT_EXT: [&str; 30] = [
        "safetensors",
        "bin",
        "pt",
        "pth",
        "pt2",
        "mar",
        "tflite",
        "h5",
        "hdf5",
        "pb",
        "index",
        "gguf",
        "ggml",
        "ckpt",
        "onnx",
        "msgpack",
        "model",
        "pkl",
        "pickle",
        "keras",
        "joblib",
        "npy",
        "npz",
        "mlmodel",
        "engine",
        "trt",
        "ot",
        "arrow",
        "parquet",
        "caffemodel",
    ];
    const CODE_EXT: [&str; 22] = [
        "py", "ipynb", "sh", "c", "h", "cc", "cpp", "hpp", "cu", "java", "js", "ts", "go", "rs", "rb", "lua",
        "jl", "r", "swift", "kt", "scala", "pl",
    ];
    const DOC_EXT: [&str; 12] = [
        "md", "txt", "rst", "pdf", "html", "htm", "png", "jpg", "jpeg", "gif", "svg", "webp",
    ];
    let name = path.rsplit('/').next().unwrap_or(path).to_lowercase();
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    let has = |parts: &[&str]| parts.iter().any(|p| name.contains(p));
    if CONFIG_EXT.contains(&ext)
        || CONFIG_NAMES.contains(&name.as_str())
        || has(&["tokenizer.model", "config.json."])
        || (name.starts_with("sentencepiece") && matches!(ext, "model" | "vocab"))
    {
        Role::WeightConfig
    } else if WEIGHT_EXT.contains(&ext) || has(&[".bin.", ".gguf.", ".onnx_data", ".data-"]) {
        Role::Weight
    } else if CODE_EXT.contains(&ext) || name.starts_with("makefile") || name.starts_with("dockerfile") {
        Role::Code
    } else if DOC_EXT.contains(&ext)
        || ["license", "readme", "setup", "notice"]
            .iter()
            .any(|p| name.starts_with(p))
    {
        Role::Doc
    } else if size >= WEIGHT_SIZE {
        Role::Weight
    } else {
        Role::Code
    }
}

/// Manifest annotations copied into the config's `descriptor` (model-spec names on the right).
const DESCRIPTOR_FIELDS: [(&str, &str); 8] = [
    ("org.opencontainers.image.name", "name"),
    ("org.opencontainers.image.title", "title"),
    ("org.opencontainers.image.version", "version"),
    ("org.opencontainers.image.revision", "revision"),
    ("org.opencontainers.image.vendor", "vendor"),
    ("org.opencontainers.image.description", "description"),
    ("org.opencontainers.image.source", "sourceURL"),
    ("org.opencontainers.image.documentation", "docURL"),
];

/// The ModelPack artifact of `files` (any order; layers come in OMS order) with the manifest
/// `annotations`. Deterministic: the same files and annotations give the same bytes (no
/// timestamps).
#[must_use]
pub fn build(files: &[PushFile], annotations: &BTreeMap<String, String>) -> Built {
    let mut files: Vec<&PushFile> = files.iter().collect();
    files.sort_by(|a, b| compare_paths(&a.path, &b.path));

    let mut descriptor = Map::new();
    for (key, field) in DESCRIPTOR_FIELDS {
        if let Some(v) = annotations.get(key).filter(|v| !v.is_empty()) {
            descriptor.insert(field.to_owned(), Value::String(v.clone()));
        }
    }
    // Raw layers are their own uncompressed content: a layer's DiffID is its digest.
    let diff_ids: Vec<Value> = files.iter().map(|f| Value::String(f.digest.clone())).collect();
    let config = python_compact(&json!({
        "descriptor": descriptor,
        "config": {},
        "modelfs": {"type": "layers", "diffIds": diff_ids},
    }));
    let config_descriptor = Descriptor {
        media_type: CONFIG_MEDIA_TYPE.to_owned(),
        digest: digest_of(&config),
        size: config.len() as u64,
        artifact_type: None,
        annotations: BTreeMap::new(),
    };

    let layers: Vec<Value> = files
        .iter()
        .map(|f| {
            json!({
                "mediaType": role(&f.path, f.size).raw_media_type(),
                "digest": f.digest,
                "size": f.size,
                "annotations": {
                    ANNOTATION_MODELPACK_FILEPATH: f.path,
                    ANNOTATION_TITLE: f.path,
                },
            })
        })
        .collect();
    let mut manifest = Map::new();
    manifest.insert("schemaVersion".into(), json!(2));
    manifest.insert("mediaType".into(), json!(OCI_MANIFEST));
    manifest.insert("artifactType".into(), json!(ARTIFACT_TYPE));
    manifest.insert(
        "config".into(),
        json!({
            "mediaType": config_descriptor.media_type,
            "digest": config_descriptor.digest,
            "size": config_descriptor.size,
        }),
    );
    manifest.insert("layers".into(), Value::Array(layers));
    if !annotations.is_empty() {
        manifest.insert("annotations".into(), json!(annotations));
    }
    let manifest = python_compact(&Value::Object(manifest));
    let manifest_digest = digest_of(&manifest);
    Built {
        config,
        config_descriptor,
        manifest,
        manifest_digest,
    }
}

/// `value` as Python's `json.dumps(value, separators=(",", ":"))` writes it: keys in the
/// object's order, no spaces, every character outside printable ASCII as `\uXXXX` (lowercase
/// hex, a surrogate pair above U+FFFF), `\n`-style escapes for the five Python has. Numbers
/// are integers here (JSON floats would print differently in Python; none are written).
#[must_use]
pub fn python_compact(value: &Value) -> Vec<u8> {
    let mut out = String::new();
    write_value(&mut out, value);
    out.into_bytes()
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, v);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, k);
                out.push(':');
                write_value(out, v);
            }
            out.push('}');
        }
    }
}

fn write_string(out: &mut String, s: &str) {
    use std::fmt::Write as _;
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{u:04x}");
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::{ARTIFACT_TYPE, CONFIG_MEDIA_TYPE, PushFile, Role, build, python_compact, role};
    use crate::hub::oci::image::{ImageManifest, digest_of};
    use serde_json::json;
    use std::collections::BTreeMap;

    #[test]
    fn compact_json_is_pythons() {
        let v = json!({"b": "é \"q\" \\ \n\t\r\u{8}\u{c}\u{1}\u{7f}~", "a": ["😀", 1, true, null], "z": {}});
        assert_eq!(
            String::from_utf8(python_compact(&v)).unwrap(),
            r#"{"b":"\u00e9 \"q\" \\ \n\t\r\b\f\u0001\u007f~","a":["\ud83d\ude00",1,true,null],"z":{}}"#
        );
    }

    #[test]
    fn files_are_classed_as_modctl_does() {
        for (path, want) in [
            ("model.safetensors", Role::Weight),
            ("model-00001-of-00002.safetensors", Role::Weight),
            ("pytorch_model.bin", Role::Weight),
            ("ggml-model.Q4_K_M.gguf", Role::Weight),
            ("config.json", Role::WeightConfig),
            ("tokenizer/tokenizer.json", Role::WeightConfig),
            ("tokenizer.model", Role::WeightConfig),
            ("vocab.txt", Role::WeightConfig),
            ("generation_config.json", Role::WeightConfig),
            ("README.md", Role::Doc),
            ("LICENSE", Role::Doc),
            ("modeling_x.py", Role::Code),
            (".gitattributes", Role::Code),
        ] {
            assert_eq!(role(path, 10), want, "{path}");
        }
        assert_eq!(role("blob", 200_000_000), Role::Weight);
    }

    #[test]
    fn the_artifact_is_modelpack_with_one_raw_layer_per_file_in_oms_order() {
        let f = |path: &str, c: &str| PushFile {
            path: path.into(),
            digest: digest_of(c.as_bytes()),
            size: c.len() as u64,
        };
        let files = [
            f("order/a.b", "1"),
            f("config.json", "{}"),
            f("order/a/b", "2"),
            f("ü.md", "3"),
        ];
        let annotations = BTreeMap::from([("org.opencontainers.image.name".to_owned(), "tiny".to_owned())]);
        let built = build(&files, &annotations);
        assert_eq!(
            built,
            build(
                &[
                    files[3].clone(),
                    files[0].clone(),
                    files[2].clone(),
                    files[1].clone()
                ],
                &annotations
            )
        );
        assert_eq!(built.manifest_digest, digest_of(&built.manifest));
        assert!(built.manifest.is_ascii());
        let m: ImageManifest = serde_json::from_slice(&built.manifest).unwrap();
        assert_eq!(m.artifact_type.as_deref(), Some(ARTIFACT_TYPE));
        assert_eq!(m.config, built.config_descriptor);
        assert_eq!(m.config.media_type, CONFIG_MEDIA_TYPE);
        assert_eq!(m.config.digest, digest_of(&built.config));
        let paths: Vec<&str> = m
            .layers
            .iter()
            .map(|l| l.annotation("org.opencontainers.image.title").unwrap())
            .collect();
        assert_eq!(paths, ["config.json", "order/a/b", "order/a.b", "ü.md"]);
        for l in &m.layers {
            assert_eq!(
                l.annotation("org.cncf.model.filepath"),
                l.annotation("org.opencontainers.image.title")
            );
            assert!(l.media_type.ends_with(".v1.raw"), "{}", l.media_type);
        }
        assert_eq!(
            m.layers[0].media_type,
            "application/vnd.cncf.model.weight.config.v1.raw"
        );
        assert_eq!(m.layers[3].media_type, "application/vnd.cncf.model.doc.v1.raw");
        assert_eq!(m.annotations, annotations);
        let config: serde_json::Value = serde_json::from_slice(&built.config).unwrap();
        assert_eq!(config["descriptor"], json!({"name": "tiny"}));
        assert_eq!(config["config"], json!({}));
        assert_eq!(config["modelfs"]["type"], "layers");
        let diff_ids: Vec<&str> = m.layers.iter().map(|l| l.digest.as_str()).collect();
        assert_eq!(config["modelfs"]["diffIds"], json!(diff_ids));
        // What rh-model-signing reads: the layers by title, the config blob not (a layer is
        // named config.json).
        let entries = crate::hub::oci::layout::entries(&m).unwrap();
        assert_eq!(entries.len(), 4);
        assert!(
            entries
                .iter()
                .all(|e| matches!(e.source, crate::hub::oci::layout::EntrySource::Layer { .. }))
        );
    }
}

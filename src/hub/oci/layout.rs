//! What an OCI model artifact means as an OMS manifest: which names and digests a signature
//! over an image manifest covers, as rh-model-signing 1.0.5 (`_oci/manifest_parser.py`,
//! `parse_oci_manifest`) decides them, so that one signature is valid for both tools, and for
//! one-raw-layer-per-file artifacts equal to model_signing's over the model directory.
//!
//! The rules ([`plan`]):
//! - **ModelCar** (any layer carries `olot.layer.content.type`): only those layers count. A
//!   `file` layer is one entry named by `olot.layer.content.inlayerpath` with `/models/`
//!   stripped, whose digest is `olot.layer.content.digest` (the file's own SHA-256, not the
//!   layer's); a `directory` layer is a tar whose regular files are entries, hashed by the
//!   caller ([`Plan::tar_layers`], [`Plan::add_tar_entries`]). Other layers (a base image's, an
//!   olot layer lacking its digest or path annotation or of another content type) and the
//!   config are not signed ([`Plan::unsigned_layers`], [`Plan::config_signed`]).
//! - **Otherwise**, one entry per layer with the layer's digest, named by
//!   `org.opencontainers.image.title`, else (hubsign only, see below) for a raw layer
//!   ([`layer_kind`]) `org.cncf.model.filepath`, else `layer_NNN.tar.gz` (its index, three
//!   digits); and a `config.json` entry with the config's digest unless a layer is named
//!   `config.json`.
//!   Such an entry is a blob: whatever its media type says (oras pushes plain files as
//!   `application/vnd.oci.image.layer.v1.tar`), what is signed is the blob under that name.
//!
//! Names are normalized as Python's `PurePosixPath` (empty and `.` components dropped) and
//! resources sorted in OMS order ([`crate::manifest::compare_paths`]).
//!
//! Where hubsign differs from rh-model-signing 1.0.5:
//! - `org.cncf.model.filepath` names a raw layer without a title (rh reads the title only and
//!   names it `layer_NNN.tar.gz`); the `config.json` rule looks at these names too. So a
//!   Docker Model Runner artifact (filepath only) signs as its directory does, where rh signs
//!   numbered blobs and the config. hubsign pushes both annotations, so what it publishes
//!   reads the same in both. A tar layer with only a filepath keeps rh's `layer_NNN.tar.gz`:
//!   its blob is not the file that path names.
//! - Refusals where rh signs anyway: an unsafe name (absolute, `..`, a backslash, a control
//!   character), two entries of one name (rh keeps the last), a digest that is not
//!   `sha256:<64 lowercase hex>` (rh also reads bare hex and other algorithms). Tar entries:
//!   see [`super::untar`].
//!
//! Where model_signing PR #623 (`hashing.create_manifest_from_oci_layers`) differs: it has no
//! ModelCar mode; it always adds `config.json` (a layer titled so then replaces it, which ends
//! the same); an empty title names a layer `.` there (rh and hubsign: `layer_NNN.tar.gz`); and
//! its CLI names the model after the manifest file's stem, where hubsign, with no file, takes
//! rh's [`model_name`] (#623's own fallback takes an empty `org.opencontainers.image.name`
//! as the name; rh and hubsign pass over it).
//!
//! This module is pure: it reads a parsed manifest and the digests a caller hashed, and never
//! touches the network or the disk.

use super::image::{
    ANNOTATION_BASE_NAME, ANNOTATION_IMAGE_NAME, ANNOTATION_MODELPACK_FILEPATH, ANNOTATION_TITLE,
};
use super::image::{Descriptor, ImageManifest, sha256_hex};
use super::untar::{Compression, TarFile, normalize};
use crate::hub::check_remote_path;
use crate::manifest::{
    HashAlgorithm, Manifest, ResourceDigest, Serialization, SerializationConfig, Symlinks, compare_paths,
};
use std::fmt;

/// olot's layer annotation: `file` or `directory` (its presence makes a ModelCar).
pub const OLOT_CONTENT_TYPE: &str = "olot.layer.content.type";
/// olot's layer annotation: `sha256:<hex>` of the file a `file` layer holds.
pub const OLOT_CONTENT_DIGEST: &str = "olot.layer.content.digest";
/// olot's layer annotation: the path of the file or directory inside the layer.
pub const OLOT_CONTENT_PATH: &str = "olot.layer.content.inlayerpath";
/// Where a ModelCar holds the model (KServe mounts it there); stripped from names.
pub const MODELCAR_PREFIX: &str = "/models/";
/// The entry name of the config blob.
pub const CONFIG_ENTRY: &str = "config.json";

/// Where in the manifest a field is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Config,
    Layer(usize),
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Config => f.write_str("the config"),
            Self::Layer(i) => write!(f, "layer {i}"),
        }
    }
}

/// What the bytes of a signed entry are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntrySource {
    /// The blob of layer `index` (the entry's digest is the layer's).
    Layer { index: usize },
    /// The config blob.
    Config,
    /// The one file inside layer `index`, an olot `file` layer (a tar); the digest is the
    /// file's, from the layer's annotation. A pull extracts the layer
    /// ([`super::untar::extract`], prefix [`MODELCAR_PREFIX`]) and keeps only the file at the
    /// entry's path, compared with this digest.
    OlotFile { index: usize },
    /// A regular file inside layer `index`, an olot `directory` layer (a tar).
    InTar { index: usize },
}

impl fmt::Display for EntrySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Layer { index } => write!(f, "layer {index}"),
            Self::Config => f.write_str("the config"),
            Self::OlotFile { index } => write!(f, "the file in layer {index}"),
            Self::InTar { index } => write!(f, "a file in layer {index}"),
        }
    }
}

/// One resource of the OMS manifest an artifact stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedEntry {
    /// Model-relative, `/`-separated, checked and normalized.
    pub path: String,
    /// `sha256:<64 hex>`.
    pub digest: String,
    /// The blob's size for layers and the config, the file's for tar entries; unknown for an
    /// olot `file` layer (its size is the tar's).
    pub size: Option<u64>,
    pub source: EntrySource,
}

/// Why a manifest has no OMS meaning hubsign accepts. All exit 2.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LayoutError {
    #[error(
        "{place}: {field} names an unsafe path {path:?} (absolute, `..`, empty, a backslash or a control character)"
    )]
    UnsafePath {
        place: Place,
        field: String,
        path: String,
    },
    #[error("{place}: {field} is {digest:?}, not a SHA-256 digest (sha256:<64 lowercase hex>)")]
    BadDigest {
        place: Place,
        field: String,
        digest: String,
    },
    #[error("two entries are named {path:?} ({first} and {second}); refusing the artifact")]
    DuplicatePath {
        path: String,
        first: EntrySource,
        second: EntrySource,
    },
    #[error("layer {digest} has an unknown media type {media_type:?}")]
    UnknownMediaType { media_type: String, digest: String },
    #[error("the manifest names no file to sign")]
    NoEntries,
    #[error(
        "layer {layer} is not a model layer and lies above the model's layers: it could replace or hide the model's files in a running container; refusing the image"
    )]
    UnsignedLayerAboveModel { layer: usize },
    #[error("the files inside layers {layers:?} (tar layers) must be hashed before the manifest is known")]
    TarEntriesMissing { layers: Vec<usize> },
    #[error("layer {layer} is not a tar layer awaiting its files")]
    NotATarLayer { layer: usize },
}

/// The entries an artifact signs, before the files of its tar layers are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Entries known from the manifest alone.
    pub entries: Vec<SignedEntry>,
    /// Layers (olot `directory` layers) whose regular files are entries: hash them with
    /// [`super::untar::hash_entries`] (prefix [`MODELCAR_PREFIX`]) and add them.
    pub tar_layers: Vec<usize>,
    /// Layers no entry covers (a ModelCar's base image, incomplete olot layers).
    pub unsigned_layers: Vec<usize>,
    /// Whether the config blob is an entry.
    pub config_signed: bool,
}

impl Plan {
    /// Adds the files of tar layer `layer` (from [`super::untar::hash_entries`]).
    pub fn add_tar_entries(&mut self, layer: usize, files: &[TarFile]) -> Result<(), LayoutError> {
        let Some(at) = self.tar_layers.iter().position(|l| *l == layer) else {
            return Err(LayoutError::NotATarLayer { layer });
        };
        self.tar_layers.remove(at);
        for f in files {
            let place = Place::Layer(layer);
            let path = checked_path(&f.path, place, "a tar entry")?;
            check_digest(&f.digest, place, "a tar entry's content")?;
            self.entries.push(SignedEntry {
                path,
                digest: f.digest.clone(),
                size: Some(f.size),
                source: EntrySource::InTar { index: layer },
            });
        }
        Ok(())
    }

    /// The entries in OMS order, once every tar layer was added; refuses a name given twice and an
    /// empty result.
    pub fn finish(self) -> Result<Vec<SignedEntry>, LayoutError> {
        if !self.tar_layers.is_empty() {
            return Err(LayoutError::TarEntriesMissing {
                layers: self.tar_layers,
            });
        }
        let mut entries = self.entries;
        if entries.is_empty() {
            return Err(LayoutError::NoEntries);
        }
        entries.sort_by(|a, b| compare_paths(&a.path, &b.path));
        for w in entries.windows(2) {
            if w[0].path == w[1].path {
                return Err(LayoutError::DuplicatePath {
                    path: w[0].path.clone(),
                    first: w[0].source,
                    second: w[1].source,
                });
            }
        }
        Ok(entries)
    }
}

/// The entries of an artifact with no tar layer to open (everything but ModelCar `directory`
/// layers), in OMS order; [`LayoutError::TarEntriesMissing`] otherwise (use [`plan`]).
pub fn entries(manifest: &ImageManifest) -> Result<Vec<SignedEntry>, LayoutError> {
    plan(manifest)?.finish()
}

/// What `manifest` signs, following rh-model-signing's `parse_oci_manifest` (module docs).
pub fn plan(manifest: &ImageManifest) -> Result<Plan, LayoutError> {
    if manifest
        .layers
        .iter()
        .any(|l| l.annotations.contains_key(OLOT_CONTENT_TYPE))
    {
        modelcar_plan(manifest)
    } else {
        artifact_plan(manifest)
    }
}

fn modelcar_plan(manifest: &ImageManifest) -> Result<Plan, LayoutError> {
    let mut plan = Plan {
        entries: Vec::new(),
        tar_layers: Vec::new(),
        unsigned_layers: Vec::new(),
        config_signed: false,
    };
    for (index, layer) in manifest.layers.iter().enumerate() {
        let place = Place::Layer(index);
        match layer.annotations.get(OLOT_CONTENT_TYPE).map(String::as_str) {
            Some("file") => {
                // rh skips a file layer lacking either annotation, or whose path is the prefix.
                let (Some(digest), Some(inlayer)) = (
                    layer.annotation(OLOT_CONTENT_DIGEST),
                    layer.annotation(OLOT_CONTENT_PATH),
                ) else {
                    plan.unsigned_layers.push(index);
                    continue;
                };
                let field = format!("annotation {OLOT_CONTENT_PATH}");
                let path = match super::untar::entry_path(inlayer, MODELCAR_PREFIX) {
                    Ok(Some(p)) => p,
                    Ok(None) => {
                        plan.unsigned_layers.push(index);
                        continue;
                    }
                    Err(_) => return Err(unsafe_path(place, &field, inlayer)),
                };
                check_digest(digest, place, &format!("annotation {OLOT_CONTENT_DIGEST}"))?;
                plan.entries.push(SignedEntry {
                    path,
                    digest: digest.to_owned(),
                    size: None,
                    source: EntrySource::OlotFile { index },
                });
            }
            Some("directory") => {
                check_digest(&layer.digest, place, "digest")?;
                plan.tar_layers.push(index);
            }
            _ => plan.unsigned_layers.push(index),
        }
    }
    // Layers apply in order: an unsigned layer above a model layer can replace, remove
    // (a whiteout) or shadow the model's files in the running container, so it is refused; the
    // base image's layers below the model's are not the model's and stay unsigned.
    let first_model_layer = (0..manifest.layers.len()).find(|i| !plan.unsigned_layers.contains(i));
    if let Some(above) = plan
        .unsigned_layers
        .iter()
        .find(|i| first_model_layer.is_some_and(|first| **i > first))
    {
        return Err(LayoutError::UnsignedLayerAboveModel { layer: *above });
    }
    Ok(plan)
}

fn artifact_plan(manifest: &ImageManifest) -> Result<Plan, LayoutError> {
    let mut entries = Vec::with_capacity(manifest.layers.len() + 1);
    for (index, layer) in manifest.layers.iter().enumerate() {
        let place = Place::Layer(index);
        let path = match (
            layer.annotation(ANNOTATION_TITLE),
            layer.annotation(ANNOTATION_MODELPACK_FILEPATH),
        ) {
            (Some(title), _) => checked_path(title, place, &format!("annotation {ANNOTATION_TITLE}"))?,
            // A raw layer's blob is the file the path names; a tar layer's is not (the path
            // names what is packed in it), so it keeps rh's blob name.
            (None, Some(fp)) if layer_kind(layer) == Ok(LayerKind::Raw) => {
                checked_path(fp, place, &format!("annotation {ANNOTATION_MODELPACK_FILEPATH}"))?
            }
            (None, _) => format!("layer_{index:03}.tar.gz"),
        };
        check_digest(&layer.digest, place, "digest")?;
        entries.push(SignedEntry {
            path,
            digest: layer.digest.clone(),
            size: Some(layer.size),
            source: EntrySource::Layer { index },
        });
    }
    let config_signed = !entries.iter().any(|e| e.path == CONFIG_ENTRY);
    if config_signed {
        check_digest(&manifest.config.digest, Place::Config, "digest")?;
        entries.push(SignedEntry {
            path: CONFIG_ENTRY.to_owned(),
            digest: manifest.config.digest.clone(),
            size: Some(manifest.config.size),
            source: EntrySource::Config,
        });
    }
    Ok(Plan {
        entries,
        tar_layers: Vec::new(),
        unsigned_layers: Vec::new(),
        config_signed,
    })
}

fn unsafe_path(place: Place, field: &str, path: &str) -> LayoutError {
    LayoutError::UnsafePath {
        place,
        field: field.to_owned(),
        path: path.to_owned(),
    }
}

/// A name as `PurePosixPath` writes it, refused if absolute or unsafe once normalized.
fn checked_path(raw: &str, place: Place, field: &str) -> Result<String, LayoutError> {
    let normal = normalize(raw);
    if raw.starts_with('/') || check_remote_path(&normal).is_err() {
        return Err(unsafe_path(place, field, raw));
    }
    Ok(normal)
}

fn check_digest(digest: &str, place: Place, field: &str) -> Result<(), LayoutError> {
    if sha256_hex(digest).is_some() {
        Ok(())
    } else {
        Err(LayoutError::BadDigest {
            place,
            field: field.to_owned(),
            digest: digest.to_owned(),
        })
    }
}

/// The model name rh-model-signing records: `org.opencontainers.image.name`, else
/// `org.opencontainers.image.base.name`, else `oci-image` (an empty value counts as absent).
#[must_use]
pub fn model_name(manifest: &ImageManifest) -> String {
    let get = |k: &str| manifest.annotations.get(k).filter(|v| !v.is_empty());
    get(ANNOTATION_IMAGE_NAME)
        .or_else(|| get(ANNOTATION_BASE_NAME))
        .map_or_else(|| "oci-image".to_owned(), Clone::clone)
}

/// The OMS manifest `entries` stand for: files serialization, SHA-256, symlinks refused, no
/// ignored paths, resources in OMS order, named after [`model_name`].
pub fn oms_manifest(manifest: &ImageManifest, entries: &[SignedEntry]) -> Result<Manifest, LayoutError> {
    let mut sorted: Vec<&SignedEntry> = entries.iter().collect();
    sorted.sort_by(|a, b| compare_paths(&a.path, &b.path));
    let serialization = SerializationConfig {
        method: Serialization::Files,
        hash: HashAlgorithm::Sha256,
        symlinks: Symlinks::Refuse,
        ignore_paths: Vec::new(),
    };
    let algorithm = serialization.resource_algorithm();
    let resources = sorted
        .into_iter()
        .map(|e| {
            let digest = sha256_hex(&e.digest)
                .and_then(|h| hex::decode(h).ok())
                .ok_or_else(|| LayoutError::BadDigest {
                    place: match e.source {
                        EntrySource::Config => Place::Config,
                        EntrySource::Layer { index }
                        | EntrySource::OlotFile { index }
                        | EntrySource::InTar { index } => Place::Layer(index),
                    },
                    field: format!("the digest of {}", e.path),
                    digest: e.digest.clone(),
                })?;
            Ok(ResourceDigest {
                name: e.path.clone(),
                algorithm: algorithm.clone(),
                digest,
            })
        })
        .collect::<Result<_, LayoutError>>()?;
    Ok(Manifest {
        model_name: model_name(manifest),
        serialization,
        resources,
    })
}

/// How a layer's bytes are packed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LayerKind {
    /// The file itself.
    Raw,
    /// A tar archive, compressed so.
    Tar(Compression),
}

/// ModelPack's layer roles (`application/vnd.cncf.model.<role>.v1.<packing>`).
const MODELPACK_ROLES: [&str; 5] = ["weight", "weight.config", "doc", "code", "dataset"];
/// KitOps' layer roles (`application/vnd.kitops.modelkit.<role>.v1.<packing>`).
const KITOPS_ROLES: [&str; 6] = ["model", "modelpart", "dataset", "code", "docs", "prompts"];
/// Docker Model Runner's one-file layers.
const DOCKER_AI_RAW: [&str; 8] = [
    "application/vnd.docker.ai.gguf.v3",
    "application/vnd.docker.ai.safetensors",
    "application/vnd.docker.ai.dduf",
    "application/vnd.docker.ai.license",
    "application/vnd.docker.ai.mmproj",
    "application/vnd.docker.ai.chat.template.jinja",
    "application/vnd.docker.ai.model.file",
    "application/octet-stream",
];
/// Docker Model Runner's tar layers (uncompressed).
const DOCKER_AI_TAR: [&str; 2] = [
    "application/vnd.docker.ai.vllm.config.tar",
    "application/vnd.docker.ai.dir.tar",
];

/// How `desc`'s blob is packed, from its media type: ModelPack `.raw` / `.tar` / `.tar+gzip` /
/// `.tar+zstd`, KitOps `.tar(+gzip|+zstd)`, Docker Model Runner's types, image layers
/// (`application/vnd.oci.image.layer.v1.tar(+gzip|+zstd)`, Docker's `rootfs.diff.tar.gzip`).
/// Which entries need it: see the module docs (a titled blob is signed as a blob).
pub fn layer_kind(desc: &Descriptor) -> Result<LayerKind, LayoutError> {
    let mt = desc.media_type.as_str();
    let unknown = || LayoutError::UnknownMediaType {
        media_type: mt.to_owned(),
        digest: desc.digest.clone(),
    };
    if DOCKER_AI_RAW.contains(&mt) {
        return Ok(LayerKind::Raw);
    }
    if DOCKER_AI_TAR.contains(&mt) {
        return Ok(LayerKind::Tar(Compression::None));
    }
    if matches!(
        mt,
        "application/vnd.docker.image.rootfs.diff.tar.gzip"
            | "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
    ) {
        return Ok(LayerKind::Tar(Compression::Gzip));
    }
    let (base, compression) = if let Some(b) = mt.strip_suffix("+gzip") {
        (b, Compression::Gzip)
    } else if let Some(b) = mt.strip_suffix("+zstd") {
        (b, Compression::Zstd)
    } else {
        (mt, Compression::None)
    };
    if matches!(
        base,
        "application/vnd.oci.image.layer.v1.tar" | "application/vnd.oci.image.layer.nondistributable.v1.tar"
    ) {
        return Ok(LayerKind::Tar(compression));
    }
    let role_packing = |prefix: &str, roles: &[&str]| -> Option<&str> {
        let rest = base.strip_prefix(prefix)?;
        let (role, packing) = rest.rsplit_once(".v1.")?;
        roles.contains(&role).then_some(packing)
    };
    let packing = role_packing("application/vnd.cncf.model.", &MODELPACK_ROLES)
        .or_else(|| role_packing("application/vnd.kitops.modelkit.", &KITOPS_ROLES))
        .ok_or_else(unknown)?;
    match (packing, compression) {
        ("raw", Compression::None) => Ok(LayerKind::Raw),
        ("tar", c) => Ok(LayerKind::Tar(c)),
        _ => Err(unknown()),
    }
}

#[cfg(test)]
mod tests {
    use super::{
        CONFIG_ENTRY, EntrySource, LayerKind, LayoutError, Place, entries, layer_kind, model_name,
        oms_manifest, plan,
    };
    use crate::hub::oci::image::{ImageManifest, digest_of};
    use crate::hub::oci::untar::{Compression, TarFile};
    use serde_json::{Value, json};

    fn d(s: &str) -> String {
        digest_of(s.as_bytes())
    }

    fn layer(media_type: &str, content: &str, annotations: &Value) -> Value {
        json!({"mediaType": media_type, "digest": d(content), "size": content.len(), "annotations": annotations})
    }

    fn manifest(layers: &[Value], annotations: &Value) -> ImageManifest {
        serde_json::from_value(json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": d("cfg"), "size": 3},
            "layers": layers,
            "annotations": annotations,
        }))
        .unwrap()
    }

    const RAW: &str = "application/vnd.cncf.model.weight.v1.raw";

    fn names(entries: &[super::SignedEntry]) -> Vec<(&str, &str)> {
        entries
            .iter()
            .map(|e| (e.path.as_str(), e.digest.as_str()))
            .collect()
    }

    #[test]
    fn layers_are_named_by_title_then_filepath_then_index_and_the_config_added() {
        let m = manifest(
            &[
                layer(
                    RAW,
                    "w",
                    &json!({"org.opencontainers.image.title": "model.safetensors"}),
                ),
                layer(RAW, "t", &json!({"org.cncf.model.filepath": "tok/vocab.txt"})),
                layer(RAW, "x", &json!({})),
                layer(RAW, "e", &json!({"org.opencontainers.image.title": ""})),
                layer(
                    RAW,
                    "n",
                    &json!({"org.opencontainers.image.title": "./sub//n.bin"}),
                ),
                layer(
                    "application/vnd.cncf.model.weight.v1.tar",
                    "tar",
                    &json!({"org.cncf.model.filepath": "packed.bin"}),
                ),
            ],
            &json!({}),
        );
        let e = entries(&m).unwrap();
        assert_eq!(
            names(&e),
            [
                (CONFIG_ENTRY, d("cfg").as_str()),
                ("layer_002.tar.gz", d("x").as_str()),
                ("layer_003.tar.gz", d("e").as_str()),
                ("layer_005.tar.gz", d("tar").as_str()),
                ("model.safetensors", d("w").as_str()),
                ("sub/n.bin", d("n").as_str()),
                ("tok/vocab.txt", d("t").as_str()),
            ]
        );
        assert_eq!(e[0].source, EntrySource::Config);
        assert_eq!(e[0].size, Some(3));
        assert_eq!(e[4].source, EntrySource::Layer { index: 0 });
        assert!(plan(&m).unwrap().config_signed);
    }

    #[test]
    fn a_layer_named_config_json_leaves_the_config_blob_out() {
        for key in ["org.opencontainers.image.title", "org.cncf.model.filepath"] {
            let m = manifest(&[layer(RAW, "c", &json!({key: "config.json"}))], &json!({}));
            let p = plan(&m).unwrap();
            assert!(!p.config_signed);
            assert_eq!(names(&p.finish().unwrap()), [(CONFIG_ENTRY, d("c").as_str())]);
        }
    }

    #[test]
    fn unsafe_names_duplicates_and_other_digests_are_refused_naming_the_layer_and_field() {
        for bad in ["../x", "/abs", "a/../../b", "a\u{7}b", "a\\b", ".", "a/.."] {
            let m = manifest(
                &[
                    layer(RAW, "ok", &json!({})),
                    layer(RAW, "w", &json!({"org.opencontainers.image.title": bad})),
                ],
                &json!({}),
            );
            let err = entries(&m).unwrap_err();
            assert_eq!(
                err,
                LayoutError::UnsafePath {
                    place: Place::Layer(1),
                    field: "annotation org.opencontainers.image.title".into(),
                    path: bad.into()
                },
                "{bad}"
            );
            assert!(err.to_string().contains("layer 1"), "{err}");
        }
        let m = manifest(
            &[
                layer(RAW, "a", &json!({"org.opencontainers.image.title": "same"})),
                layer(RAW, "b", &json!({"org.cncf.model.filepath": "./same"})),
            ],
            &json!({}),
        );
        assert!(matches!(entries(&m), Err(LayoutError::DuplicatePath { ref path, .. }) if path == "same"));
        let mut m = manifest(&[layer(RAW, "a", &json!({}))], &json!({}));
        m.layers[0].digest = format!("sha512:{}", "0".repeat(128));
        assert!(matches!(
            entries(&m),
            Err(LayoutError::BadDigest { place: Place::Layer(0), ref field, .. }) if field == "digest"
        ));
        let mut m = manifest(&[layer(RAW, "a", &json!({}))], &json!({}));
        m.config.digest = d("cfg").to_uppercase().replace("SHA256", "sha256");
        assert!(matches!(
            entries(&m),
            Err(LayoutError::BadDigest {
                place: Place::Config,
                ..
            })
        ));
        assert_eq!(
            entries(&serde_json::from_value(json!({"schemaVersion": 2, "config": {"mediaType": "x", "digest": d("c"), "size": 1}, "layers": []})).unwrap())
                .unwrap()
                .len(),
            1,
            "rh signs the config alone"
        );
    }

    fn olot(kind: &str, content: &str, extra: &Value) -> Value {
        let mut a = json!({"olot.layer.content.type": kind, "org.opencontainers.image.title": "ignored"});
        a.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        layer("application/vnd.oci.image.layer.v1.tar", content, &a)
    }

    #[test]
    fn modelcar_layers_sign_the_files_inside() {
        let m_layers = [
            layer("application/vnd.oci.image.layer.v1.tar+gzip", "base", &json!({})),
            olot(
                "file",
                "tar of w",
                &json!({"olot.layer.content.digest": d("w"), "olot.layer.content.inlayerpath": "/models/model.safetensors"}),
            ),
            olot(
                "directory",
                "tar of tok",
                &json!({"olot.layer.content.inlayerpath": "/models/tok"}),
            ),
            olot(
                "file",
                "no digest",
                &json!({"olot.layer.content.inlayerpath": "/models/x"}),
            ),
            olot(
                "file",
                "prefix only",
                &json!({"olot.layer.content.digest": d("p"), "olot.layer.content.inlayerpath": "/models/"}),
            ),
            olot("other", "unknown kind", &json!({})),
        ];
        let m = manifest(&m_layers, &json!({"org.opencontainers.image.name": "car"}));
        // Layers that are not the model's, above the model's, could replace its files in the
        // running container: refused.
        assert_eq!(
            plan(&m).unwrap_err(),
            LayoutError::UnsignedLayerAboveModel { layer: 3 }
        );
        // Below the model's layers (a base image's, olot layers lacking an annotation) they
        // are left unsigned, as rh leaves them.
        let below: Vec<Value> = m_layers[3..].iter().chain(&m_layers[..1]).cloned().collect();
        let mut with_model = below.clone();
        with_model.push(m_layers[1].clone());
        let p_below = plan(&manifest(&with_model, &json!({}))).unwrap();
        assert_eq!(p_below.unsigned_layers, [0, 1, 2, 3]);
        assert_eq!(p_below.entries.len(), 1);
        let m = manifest(&m_layers[..3], &json!({"org.opencontainers.image.name": "car"}));
        let mut p = plan(&m).unwrap();
        assert_eq!(p.tar_layers, [2]);
        assert_eq!(p.unsigned_layers, [0]);
        assert!(!p.config_signed);
        assert_eq!(
            entries(&m).unwrap_err(),
            LayoutError::TarEntriesMissing { layers: vec![2] }
        );
        let tar = |path: &str, c: &str| TarFile {
            path: path.into(),
            digest: d(c),
            size: c.len() as u64,
        };
        assert_eq!(
            p.add_tar_entries(1, &[]),
            Err(LayoutError::NotATarLayer { layer: 1 })
        );
        p.add_tar_entries(2, &[tar("tok/vocab.txt", "v"), tar("tok/merges.txt", "m")])
            .unwrap();
        let e = p.clone().finish().unwrap();
        assert_eq!(
            names(&e),
            [
                ("model.safetensors", d("w").as_str()),
                ("tok/merges.txt", d("m").as_str()),
                ("tok/vocab.txt", d("v").as_str()),
            ]
        );
        assert_eq!(e[0].source, EntrySource::OlotFile { index: 1 });
        assert_eq!(e[0].size, None);
        assert_eq!(e[1].source, EntrySource::InTar { index: 2 });
        let oms = oms_manifest(&m, &e).unwrap();
        assert_eq!(oms.model_name, "car");
        // A tar entry naming a file another layer signs is refused.
        let mut p = plan(&m).unwrap();
        p.add_tar_entries(2, &[tar("model.safetensors", "other")])
            .unwrap();
        assert!(matches!(p.finish(), Err(LayoutError::DuplicatePath { .. })));
        // An unsafe in-layer path is refused, naming the annotation.
        let m = manifest(
            &[olot(
                "file",
                "t",
                &json!({"olot.layer.content.digest": d("w"), "olot.layer.content.inlayerpath": "/models/../etc/x"}),
            )],
            &json!({}),
        );
        assert!(matches!(
            entries(&m),
            Err(LayoutError::UnsafePath { place: Place::Layer(0), ref field, .. }) if field.contains("inlayerpath")
        ));
    }

    #[test]
    fn the_model_name_is_rhs() {
        let with = |a: Value| model_name(&manifest(&[], &a));
        assert_eq!(with(json!({})), "oci-image");
        assert_eq!(
            with(json!({"org.opencontainers.image.base.name": "base"})),
            "base"
        );
        assert_eq!(
            with(json!({"org.opencontainers.image.name": "n", "org.opencontainers.image.base.name": "base"})),
            "n"
        );
        assert_eq!(
            with(json!({"org.opencontainers.image.name": "", "org.opencontainers.image.base.name": "base"})),
            "base"
        );
    }

    #[test]
    fn the_oms_manifest_is_in_oms_order_with_files_sha256() {
        let m = manifest(
            &[
                layer(RAW, "1", &json!({"org.opencontainers.image.title": "order/a.b"})),
                layer(RAW, "2", &json!({"org.opencontainers.image.title": "order/a/b"})),
                layer(RAW, "3", &json!({"org.opencontainers.image.title": "order/a-c"})),
            ],
            &json!({}),
        );
        let oms = oms_manifest(&m, &entries(&m).unwrap()).unwrap();
        let names: Vec<&str> = oms.resources.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["config.json", "order/a/b", "order/a-c", "order/a.b"]);
        assert_eq!(oms.resources[1].digest, hex::decode(&d("2")[7..]).unwrap());
        assert_eq!(oms.resources[1].algorithm, "sha256");
        assert_eq!(oms.serialization.method, crate::manifest::Serialization::Files);
        assert!(oms.serialization.ignore_paths.is_empty());
        assert_eq!(oms.serialization.symlinks, crate::manifest::Symlinks::Refuse);
        assert_eq!(oms.model_name, "oci-image");
    }

    #[test]
    fn media_types_say_raw_or_which_tar() {
        let kind = |mt: &str| {
            let m = manifest(&[layer(mt, "x", &json!({}))], &json!({}));
            layer_kind(&m.layers[0])
        };
        for (mt, want) in [
            ("application/vnd.cncf.model.weight.v1.raw", LayerKind::Raw),
            ("application/vnd.cncf.model.weight.config.v1.raw", LayerKind::Raw),
            (
                "application/vnd.cncf.model.doc.v1.tar",
                LayerKind::Tar(Compression::None),
            ),
            (
                "application/vnd.cncf.model.code.v1.tar+gzip",
                LayerKind::Tar(Compression::Gzip),
            ),
            (
                "application/vnd.cncf.model.dataset.v1.tar+zstd",
                LayerKind::Tar(Compression::Zstd),
            ),
            ("application/vnd.docker.ai.gguf.v3", LayerKind::Raw),
            ("application/vnd.docker.ai.safetensors", LayerKind::Raw),
            (
                "application/vnd.docker.ai.dir.tar",
                LayerKind::Tar(Compression::None),
            ),
            (
                "application/vnd.kitops.modelkit.model.v1.tar",
                LayerKind::Tar(Compression::None),
            ),
            (
                "application/vnd.kitops.modelkit.docs.v1.tar+gzip",
                LayerKind::Tar(Compression::Gzip),
            ),
            (
                "application/vnd.oci.image.layer.v1.tar",
                LayerKind::Tar(Compression::None),
            ),
            (
                "application/vnd.oci.image.layer.v1.tar+gzip",
                LayerKind::Tar(Compression::Gzip),
            ),
            (
                "application/vnd.oci.image.layer.v1.tar+zstd",
                LayerKind::Tar(Compression::Zstd),
            ),
            (
                "application/vnd.docker.image.rootfs.diff.tar.gzip",
                LayerKind::Tar(Compression::Gzip),
            ),
        ] {
            assert_eq!(kind(mt), Ok(want), "{mt}");
        }
        for mt in [
            "application/vnd.cncf.model.weight.v1.raw+gzip",
            "application/vnd.cncf.model.secret.v1.raw",
            "application/vnd.kitops.modelkit.model.v1.zip",
            "text/plain",
        ] {
            let err = kind(mt).unwrap_err();
            assert!(
                matches!(err, LayoutError::UnknownMediaType { ref media_type, .. } if media_type == mt),
                "{mt}"
            );
            assert!(err.to_string().contains(mt));
        }
    }
}

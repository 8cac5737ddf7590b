//! The OCI image-spec documents a model artifact is made of, as the registry serves them:
//! manifests, indexes and descriptors (image-spec 1.1), parsed liberally (unknown fields kept
//! out, unknown media types allowed) and never re-serialized to compute a digest — a digest is
//! always SHA-256 over the exact bytes received ([`digest_of`]).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `application/vnd.oci.image.manifest.v1+json`.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// `application/vnd.oci.image.index.v1+json`.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// `application/vnd.docker.distribution.manifest.v2+json`.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// `application/vnd.docker.distribution.manifest.list.v2+json`.
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// `application/vnd.oci.empty.v1+json`: the `{}` config of artifacts that need none.
pub const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";
/// `application/vnd.oci.image.config.v1+json`.
pub const OCI_IMAGE_CONFIG: &str = "application/vnd.oci.image.config.v1+json";

/// The layer annotation naming the file a layer holds (rh-model-signing, model_signing #623,
/// the Go port, oras).
pub const ANNOTATION_TITLE: &str = "org.opencontainers.image.title";
/// ModelPack's layer annotation for the file path.
pub const ANNOTATION_MODELPACK_FILEPATH: &str = "org.cncf.model.filepath";
/// The manifest annotation naming the image (a model name rh-model-signing reads).
pub const ANNOTATION_IMAGE_NAME: &str = "org.opencontainers.image.name";
/// The manifest annotation naming the base image (rh-model-signing's second choice of name).
pub const ANNOTATION_BASE_NAME: &str = "org.opencontainers.image.base.name";

/// The largest manifest or index read (bytes). Registries cap manifests at 4 MiB
/// (distribution's default); a longer answer is refused without reading on.
pub const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;

/// A content descriptor: what a manifest says of a blob or of another manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    pub media_type: String,
    pub digest: String,
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

impl Descriptor {
    /// The annotation `key`, if set and not empty.
    #[must_use]
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

/// An image manifest (OCI or Docker v2 schema 2): a config and layers, and since image-spec
/// 1.1 an artifact type and a subject (what a referrer refers to).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageManifest {
    pub schema_version: u32,
    #[serde(default)]
    pub media_type: Option<String>,
    #[serde(default)]
    pub artifact_type: Option<String>,
    pub config: Descriptor,
    #[serde(default)]
    pub layers: Vec<Descriptor>,
    #[serde(default)]
    pub subject: Option<Descriptor>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

/// An image index (or Docker manifest list): manifests by platform, or a referrers listing.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageIndex {
    pub schema_version: u32,
    #[serde(default)]
    pub media_type: Option<String>,
    #[serde(default)]
    pub manifests: Vec<Descriptor>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

/// `sha256:<hex>` of `bytes`: the only way a digest of received content is computed.
#[must_use]
pub fn digest_of(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

/// The lowercase hex of a `sha256:<64 hex>` digest, or `None` for any other algorithm or form.
#[must_use]
pub fn sha256_hex(digest: &str) -> Option<&str> {
    let hex = digest.strip_prefix("sha256:")?;
    (hex.len() == 64
        && hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
    .then_some(hex)
}

#[cfg(test)]
mod tests {
    use super::{ImageManifest, digest_of, sha256_hex};

    #[test]
    fn digests_are_sha256_over_the_exact_bytes() {
        assert_eq!(
            digest_of(b"{}"),
            "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
        let hex = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
        assert_eq!(sha256_hex(&format!("sha256:{hex}")), Some(hex));
        assert_eq!(sha256_hex(&format!("sha512:{hex}")), None);
        assert_eq!(sha256_hex(&format!("sha256:{}", hex.to_uppercase())), None);
        assert_eq!(sha256_hex("sha256:abc"), None);
    }

    #[test]
    fn a_manifest_parses_with_unknown_fields_and_media_types() {
        let m: ImageManifest = serde_json::from_str(
            r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
            "artifactType":"application/vnd.cncf.model.manifest.v1+json","x-extra":1,
            "config":{"mediaType":"application/vnd.cncf.model.config.v1+json","digest":"sha256:00","size":2},
            "layers":[{"mediaType":"application/vnd.cncf.model.weight.v1.raw","digest":"sha256:11","size":3,
            "annotations":{"org.opencontainers.image.title":"model.safetensors"}}]}"#,
        )
        .unwrap();
        assert_eq!(
            m.layers[0].annotation(super::ANNOTATION_TITLE),
            Some("model.safetensors")
        );
        assert_eq!(m.layers[0].annotation("missing"), None);
    }
}

//! Where a model's signature lives in a registry, found and written: an OCI 1.1 referrer (a
//! manifest whose `subject` is the model manifest, the Sigstore bundle its one layer), and for
//! registries without the referrers API the fallback tags (rh-model-signing's `sha256-<hex>.sig`;
//! the referrers tag index `sha256-<hex>` that cosign and oras keep).
//!
//! It reads what rh-model-signing 1.0.5 and cosign attach, and writes what rh-model-signing
//! writes, byte for byte (compact JSON in its key order: rh recomputes manifest digests from a
//! compact re-serialization). It only moves bytes: it never verifies a bundle (every candidate is
//! handed back for verification to judge) and never trusts a registry's listing beyond the
//! digests it checks.

use super::client::{BlobSource, Registry};
use super::image::{Descriptor, ImageIndex, ImageManifest, OCI_IMAGE_CONFIG, OCI_MANIFEST, sha256_hex};
use crate::hub::HubError;
use serde_json::json;

/// The artifact type of rh-model-signing's signature referrers.
pub const MODEL_SIGNING_ARTIFACT_TYPE: &str = "application/vnd.model-signing.signature.v0.1";
/// The media type of the `{}` config of rh-model-signing's signature referrers.
pub const MODEL_SIGNING_CONFIG_MEDIA_TYPE: &str = "application/vnd.model-signing.signature.v0.1.config+json";
/// A Sigstore bundle (the signature layer; also cosign's referrer artifact type).
pub const SIGSTORE_BUNDLE_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// The manifest annotation rh-model-signing puts on its `.sig` tag manifests.
pub const SIGNATURE_TAG_ANNOTATION: &str = "dev.sigstore.model-signing.artifact-type";

/// The most signature candidates read for one subject.
pub const MAX_SIGNATURES: usize = 8;

/// Where a found signature was attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attachment {
    /// A referrer listed by the registry's referrers API: the referrer manifest's digest and its
    /// artifact type.
    Referrer { manifest: String, artifact_type: String },
    /// A referrer listed in the referrers tag index (`tag` = `sha256-<hex>`).
    ReferrersTagIndex { tag: String, manifest: String },
    /// rh-model-signing's tag mode (`tag` = `sha256-<hex>.sig`).
    SignatureTag { tag: String, manifest: String },
}

/// A candidate signature bundle and where it was found (not yet verified).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundSignature {
    pub bundle: Vec<u8>,
    pub attachment: Attachment,
}

/// What [`attach_signature`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attached {
    /// The referrer manifest's digest, when the registry took it.
    pub referrer: Option<String>,
    /// The `sha256-<hex>.sig` tag written because the registry has no referrers API, with the
    /// digest of the manifest it names.
    pub signature_tag: Option<(String, String)>,
}

/// rh-model-signing's tag for the signature of `digest`: `sha256-<hex>.sig`.
pub fn signature_tag(digest: &str) -> Option<String> {
    sha256_hex(digest).map(|hex| format!("sha256-{hex}.sig"))
}

/// The referrers tag index's tag for `digest`: `sha256-<hex>`.
pub fn referrers_tag(digest: &str) -> Option<String> {
    sha256_hex(digest).map(|hex| format!("sha256-{hex}"))
}

fn not_a_digest(digest: &str) -> HubError {
    crate::reference::ReferenceError::BadReference {
        reference: digest.to_owned(),
        reason: "not a sha256:<64 lowercase hex> digest".into(),
    }
    .into()
}

/// Every candidate signature bundle of `subject_digest`, in rh-model-signing's order: referrers
/// from the referrers API (rh-model-signing's artifact type, newest first as rh reads them, then
/// cosign's bundle artifact type), then the referrers tag index `sha256-<hex>`, then
/// rh-model-signing's tag `sha256-<hex>.sig`. A referrer found twice is read once; each bundle is
/// capped at [`crate::fsutil::MAX_SIGNATURE_BYTES`], the candidates at [`MAX_SIGNATURES`].
/// Referrer manifests without a layer are skipped, as rh skips them.
pub async fn find_signatures(
    registry: &Registry,
    repository: &str,
    subject_digest: &str,
) -> Result<Vec<FoundSignature>, HubError> {
    let (Some(index_tag), Some(sig_tag)) = (referrers_tag(subject_digest), signature_tag(subject_digest))
    else {
        return Err(not_a_digest(subject_digest));
    };
    // (referrer manifest digest, where it was found), in the order to try.
    let mut candidates: Vec<(String, Attachment)> = Vec::new();
    // 1. The referrers API, one listing filtered here for both artifact types.
    if let Some(listed) = registry.referrers(repository, subject_digest, None).await? {
        for artifact_type in [MODEL_SIGNING_ARTIFACT_TYPE, SIGSTORE_BUNDLE_MEDIA_TYPE] {
            for d in listed
                .iter()
                .rev()
                .filter(|d| d.artifact_type.as_deref() == Some(artifact_type))
            {
                candidates.push((
                    d.digest.clone(),
                    Attachment::Referrer {
                        manifest: d.digest.clone(),
                        artifact_type: artifact_type.to_owned(),
                    },
                ));
            }
        }
    }
    // 2. The referrers tag index (registries without the API, written by cosign and oras).
    if let Some(index) = tagged(registry, repository, &index_tag).await? {
        if let Ok(index) = serde_json::from_slice::<ImageIndex>(&index.bytes) {
            for artifact_type in [MODEL_SIGNING_ARTIFACT_TYPE, SIGSTORE_BUNDLE_MEDIA_TYPE] {
                for d in index
                    .manifests
                    .iter()
                    .rev()
                    .filter(|d| d.artifact_type.as_deref() == Some(artifact_type))
                {
                    candidates.push((
                        d.digest.clone(),
                        Attachment::ReferrersTagIndex {
                            tag: index_tag.clone(),
                            manifest: d.digest.clone(),
                        },
                    ));
                }
            }
        }
    }
    let mut found = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (digest, attachment) in candidates {
        if found.len() >= MAX_SIGNATURES {
            break;
        }
        if sha256_hex(&digest).is_none() || !seen.insert(digest.clone()) {
            continue;
        }
        // A candidate that cannot be read (its manifest or blob gone, over a cap) is passed
        // over: one broken attachment must not hide the others.
        let Ok(manifest) = registry.manifest(repository, &digest).await else {
            continue;
        };
        if let Ok(Some(bundle)) = first_layer(registry, repository, &manifest.bytes).await {
            found.push(FoundSignature { bundle, attachment });
        }
    }
    // 3. rh-model-signing's tag mode.
    if found.len() < MAX_SIGNATURES {
        if let Some(manifest) = tagged(registry, repository, &sig_tag).await? {
            if seen.insert(manifest.digest.clone()) {
                if let Ok(Some(bundle)) = first_layer(registry, repository, &manifest.bytes).await {
                    found.push(FoundSignature {
                        bundle,
                        attachment: Attachment::SignatureTag {
                            tag: sig_tag,
                            manifest: manifest.digest,
                        },
                    });
                }
            }
        }
    }
    Ok(found)
}

/// The manifest tagged `tag`, or `None` when there is no such tag.
async fn tagged(
    registry: &Registry,
    repository: &str,
    tag: &str,
) -> Result<Option<super::client::FetchedManifest>, HubError> {
    match registry.manifest(repository, tag).await {
        Ok(m) => Ok(Some(m)),
        Err(HubError::RevisionNotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The bytes of a signature manifest's first layer (where rh-model-signing and cosign put the
/// bundle), or `None` for a manifest with no layer.
async fn first_layer(
    registry: &Registry,
    repository: &str,
    manifest: &[u8],
) -> Result<Option<Vec<u8>>, HubError> {
    let Ok(manifest) = serde_json::from_slice::<ImageManifest>(manifest) else {
        return Ok(None);
    };
    let Some(layer) = manifest.layers.first() else {
        return Ok(None);
    };
    if layer.size > crate::fsutil::MAX_SIGNATURE_BYTES {
        return Ok(None);
    }
    registry
        .blob_bytes(repository, &layer.digest, crate::fsutil::MAX_SIGNATURE_BYTES)
        .await
        .map(Some)
}

/// A descriptor as rh-model-signing writes one: `mediaType`, `digest`, `size`, in that order.
fn descriptor_json(media_type: &str, digest: &str, size: u64) -> serde_json::Value {
    json!({ "mediaType": media_type, "digest": digest, "size": size })
}

/// The referrer manifest rh-model-signing 1.0.5 pushes for `bundle` (`push_signature`): compact
/// JSON, keys in its order. The subject keeps only media type, digest and size (rh writes no
/// subject annotations).
pub fn referrer_manifest(subject: &Descriptor, bundle: &[u8]) -> Vec<u8> {
    let doc = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": descriptor_json(MODEL_SIGNING_CONFIG_MEDIA_TYPE, &super::image::digest_of(b"{}"), 2),
        "layers": [descriptor_json(SIGSTORE_BUNDLE_MEDIA_TYPE, &super::image::digest_of(bundle), bundle.len() as u64)],
        "artifactType": MODEL_SIGNING_ARTIFACT_TYPE,
        "subject": descriptor_json(&subject.media_type, &subject.digest, subject.size),
    });
    serde_json::to_vec(&doc).unwrap_or_default()
}

/// The manifest rh-model-signing 1.0.5 pushes under `sha256-<hex>.sig` (`push_signature_tag`).
pub fn signature_tag_manifest(bundle: &[u8]) -> Vec<u8> {
    let doc = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": descriptor_json(OCI_IMAGE_CONFIG, &super::image::digest_of(b"{}"), 2),
        "layers": [descriptor_json(SIGSTORE_BUNDLE_MEDIA_TYPE, &super::image::digest_of(bundle), bundle.len() as u64)],
        "annotations": { SIGNATURE_TAG_ANNOTATION: MODEL_SIGNING_ARTIFACT_TYPE },
    });
    serde_json::to_vec(&doc).unwrap_or_default()
}

/// Attaches `bundle` to `subject` (the model manifest) as rh-model-signing 1.0.5 does:
///
/// 1. the bundle and the `{}` config as blobs;
/// 2. the referrer manifest ([`referrer_manifest`]) pushed by its digest;
/// 3. when the registry has no referrers API, also the `sha256-<hex>.sig` tag manifest
///    ([`signature_tag_manifest`]) that rh-model-signing's tag mode reads.
///
/// A registry without the referrers API may refuse a manifest with a `subject` (image-spec 1.1
/// fields); it still gets the tag, and the call fails only when nothing a reader would find was
/// written. Distribution 2.8.2 (Debian's `docker-registry`) stores the referrer manifest by its
/// digest (it ignores the fields it does not know) but lists no referrers, so there both are
/// written and readers find the tag. The referrers tag index (`sha256-<hex>`) is read by
/// [`find_signatures`] but not written: rh-model-signing neither writes nor reads it.
pub async fn attach_signature(
    registry: &Registry,
    repository: &str,
    subject: &Descriptor,
    bundle: &[u8],
) -> Result<Attached, HubError> {
    let sig_tag = signature_tag(&subject.digest).ok_or_else(|| not_a_digest(&subject.digest))?;
    // 1. The blobs.
    let bundle_digest = super::image::digest_of(bundle);
    registry
        .push_blob(
            repository,
            BlobSource::Bytes(bytes::Bytes::copy_from_slice(bundle)),
            &bundle_digest,
            bundle.len() as u64,
        )
        .await?;
    registry
        .push_blob(
            repository,
            BlobSource::Bytes(bytes::Bytes::from_static(b"{}")),
            &super::image::digest_of(b"{}"),
            2,
        )
        .await?;
    // 2. The referrer manifest, by digest.
    let manifest = referrer_manifest(subject, bundle);
    let digest = super::image::digest_of(&manifest);
    let referrer = match registry
        .push_manifest(repository, &digest, &manifest, OCI_MANIFEST)
        .await
    {
        Ok(d) => Ok(d),
        Err(
            e @ HubError::Status {
                status: 400..=499, ..
            },
        ) => Err(e),
        Err(e) => return Err(e),
    };
    // 3. Registries without the referrers API: rh-model-signing's tag as well.
    let has_api = registry
        .referrers(repository, &subject.digest, Some(MODEL_SIGNING_ARTIFACT_TYPE))
        .await?
        .is_some();
    let signature_tag = if has_api {
        None
    } else {
        let tag_manifest = signature_tag_manifest(bundle);
        let tag_digest = registry
            .push_manifest(repository, &sig_tag, &tag_manifest, OCI_MANIFEST)
            .await?;
        Some((sig_tag, tag_digest))
    };
    match (referrer, signature_tag) {
        (Err(e), None) => Err(e),
        (referrer, signature_tag) => Ok(Attached {
            referrer: referrer.ok(),
            signature_tag,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::{referrer_manifest, signature_tag, signature_tag_manifest};
    use crate::hub::oci::image::Descriptor;

    #[test]
    fn the_manifests_are_compact_json_in_rh_model_signings_key_order() {
        let subject = Descriptor {
            media_type: crate::hub::oci::image::OCI_MANIFEST.into(),
            digest: format!("sha256:{}", "a".repeat(64)),
            size: 123,
            artifact_type: None,
            annotations: std::iter::once(("x".to_owned(), "y".to_owned())).collect(),
        };
        let m = String::from_utf8(referrer_manifest(&subject, b"bundle")).unwrap();
        assert!(m.starts_with(r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.model-signing.signature.v0.1.config+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","#), "{m}");
        assert!(m.ends_with(&format!(
            r#""size":6}}],"artifactType":"application/vnd.model-signing.signature.v0.1","subject":{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{}","size":123}}}}"#,
            "a".repeat(64)
        )), "{m}");
        let t = String::from_utf8(signature_tag_manifest(b"bundle")).unwrap();
        assert!(t.ends_with(r#"],"annotations":{"dev.sigstore.model-signing.artifact-type":"application/vnd.model-signing.signature.v0.1"}}"#), "{t}");
        assert_eq!(
            signature_tag(&subject.digest).unwrap(),
            format!("sha256-{}.sig", "a".repeat(64))
        );
        assert_eq!(signature_tag("sha256:short"), None);
    }
}

//! The `--derived-from` producer: lineage, a
//! [`DERIVED_FROM_PREDICATE`](crate::oms::claim::DERIVED_FROM_PREDICATE) claim (v0.1) that the
//! model was derived from a base model, named by the base's OMS root digest.
//!
//! The predicate is exactly
//! `{"base": {"name": …, "digest": {"sha256": …}, "uri": …, "verifiedSigner": …}}`:
//! `name` a hint, `digest` the base's root digest (what a consumer matches on), `uri` where it
//! came from when known (`hf:org/name@commit` for a Hugging Face cache snapshot), and
//! `verifiedSigner` only when hubsign verified the base's signature itself (a local directory,
//! or a repository's signature on its hub, checked against the trust the caller gave); a
//! digest given as `sha256:…` is recorded as given, vouched for by the attesting signer alone. This module never decides whom to trust.

use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};

/// What `--derived-from` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaseRef {
    /// `sha256:<64 hex>`: the base's root digest, recorded as given.
    Digest([u8; 32]),
    /// A local model directory, whose signature is verified.
    Local(PathBuf),
    /// A repository on a hub (`org/name[@rev]`, `hf:…`, `kaggle:…`, `oci://…`), whose
    /// signature is fetched and verified there (no weight downloaded).
    Hub(crate::reference::ModelRef),
}

/// Why a `--derived-from` reference names no base model.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum BaseRefError {
    #[error("{0}: a sha256: digest is 64 hex digits")]
    BadDigest(String),
    #[error(
        "{0}: not a repository reference ({1}); give a repository, a local directory or sha256:<root digest>"
    )]
    HubRef(String, String),
    #[error("{0}: no such directory; give a local directory or sha256:<root digest>")]
    NotADirectory(String),
}

impl BaseRef {
    /// Reads a reference: `sha256:<hex>`, else a local directory.
    ///
    /// # Errors
    /// A malformed digest, a hub reference, or a path that is not a directory.
    pub fn parse(text: &str) -> Result<Self, BaseRefError> {
        if let Some(hex_digest) = text.strip_prefix("sha256:") {
            let mut out = [0u8; 32];
            return hex::decode_to_slice(hex_digest, &mut out)
                .map(|()| Self::Digest(out))
                .map_err(|_| BaseRefError::BadDigest(text.to_owned()));
        }
        let path = Path::new(text);
        if path.is_dir() {
            return Ok(Self::Local(path.to_path_buf()));
        }
        let hub_like = text.starts_with("hf:")
            || text.starts_with("kaggle:")
            || text.starts_with(crate::reference::OCI_PREFIX)
            || (!path.exists() && !text.starts_with(['.', '/']) && text.contains('/'));
        if hub_like {
            crate::reference::ModelRef::parse(text, None)
                .map(Self::Hub)
                .map_err(|e| BaseRefError::HubRef(text.to_owned(), e.to_string()))
        } else {
            Err(BaseRefError::NotADirectory(text.to_owned()))
        }
    }
}

/// The base model a claim names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseModel {
    /// A hint (the base's name); consumers match on the digest.
    pub name: String,
    /// The base's OMS root digest.
    pub digest: [u8; 32],
    pub uri: Option<String>,
    /// The base signature's signer as `verify` prints it, when hubsign verified it.
    pub verified_signer: Option<String>,
}

impl BaseModel {
    /// The claim's predicate.
    #[must_use]
    pub fn predicate(&self) -> Value {
        let mut base = Map::new();
        base.insert("name".into(), json!(self.name));
        base.insert("digest".into(), json!({"sha256": hex::encode(self.digest)}));
        if let Some(uri) = &self.uri {
            base.insert("uri".into(), json!(uri));
        }
        if let Some(signer) = &self.verified_signer {
            base.insert("verifiedSigner".into(), json!(signer));
        }
        json!({ "base": Value::Object(base) })
    }
}

/// Where a local base model came from, when its path says: a Hugging Face cache snapshot
/// (`…/models--org--name/snapshots/<commit>`) is `hf:org/name@<commit>`.
#[must_use]
pub fn hf_snapshot_uri(dir: &Path) -> Option<String> {
    let dir = std::path::absolute(dir).ok()?;
    let commit = dir.file_name()?.to_str()?;
    let snapshots = dir.parent()?;
    if snapshots.file_name()? != "snapshots" {
        return None;
    }
    let repo = snapshots.parent()?.file_name()?.to_str()?;
    let (kind, rest) = repo.split_once("--")?;
    let name = rest.replace("--", "/");
    let prefix = match kind {
        "models" => "",
        "datasets" => "datasets/",
        _ => return None,
    };
    let commit_ok = commit.len() == 40 && commit.bytes().all(|b| b.is_ascii_hexdigit());
    (commit_ok && !name.is_empty()).then(|| format!("hf:{prefix}{name}@{commit}"))
}

/// A local base model, its signature verified against `anchor` and its files against the
/// signature: the verified statement's subject digest and signer.
///
/// # Errors
/// The signature is missing, malformed or not by the trusted signer (exit 1 for a definite
/// "no"), or the files do not match it ([`super::AttestError::BaseMismatch`], exit 1).
pub fn verify_local(
    dir: &Path,
    signature: &Path,
    anchor: &crate::verify::TrustAnchor,
) -> crate::Result<BaseModel> {
    let check = crate::verify::ModelCheck::default();
    let report = crate::verify::verify_model(dir, signature, anchor, &check)?;
    if !report.verified {
        return Err(super::AttestError::BaseMismatch {
            base: dir.to_path_buf(),
            comparison: crate::verify::Comparison {
                modified: report.modified,
                missing: report.missing,
                unexpected: report.unexpected,
            },
        }
        .into());
    }
    let mut digest = [0u8; 32];
    hex::decode_to_slice(report.subject_digest.unwrap_or_default(), &mut digest).map_err(|_| {
        crate::Error::MalformedSignature {
            path: signature.to_path_buf(),
            source: crate::oms::FormatError::Invalid {
                field: "subject[0].digest.sha256".into(),
                detail: "not 64 hex digits".into(),
            },
        }
    })?;
    Ok(BaseModel {
        name: crate::manifest::model_name(dir),
        digest,
        uri: hf_snapshot_uri(dir),
        verified_signer: Some(report.signer),
    })
}

#[cfg(test)]
mod tests {
    use super::{BaseModel, BaseRef, BaseRefError, hf_snapshot_uri};
    use serde_json::json;
    use std::path::Path;

    #[test]
    fn references_are_a_digest_or_a_directory() {
        let hex = "ab".repeat(32);
        assert_eq!(
            BaseRef::parse(&format!("sha256:{hex}")),
            Ok(BaseRef::Digest([0xab; 32]))
        );
        assert!(matches!(
            BaseRef::parse("sha256:abc"),
            Err(BaseRefError::BadDigest(_))
        ));
        assert!(matches!(BaseRef::parse("org/base"), Ok(BaseRef::Hub(_))));
        assert!(matches!(BaseRef::parse("hf:org/base@main"), Ok(BaseRef::Hub(_))));
        assert!(matches!(BaseRef::parse("hf:"), Err(BaseRefError::HubRef(..))));
        assert!(matches!(
            BaseRef::parse("./nothing-here"),
            Err(BaseRefError::NotADirectory(_))
        ));
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            BaseRef::parse(dir.path().to_str().unwrap()),
            Ok(BaseRef::Local(dir.path().to_path_buf()))
        );
    }

    #[test]
    fn the_predicate_has_exactly_the_documented_shape() {
        let base = BaseModel {
            name: "base".into(),
            digest: [1; 32],
            uri: None,
            verified_signer: None,
        };
        assert_eq!(
            base.predicate(),
            json!({"base": {"name": "base", "digest": {"sha256": "01".repeat(32)}}})
        );
        let commit = "c".repeat(40);
        let snap = format!("/cache/hub/models--org--my-model/snapshots/{commit}");
        assert_eq!(
            hf_snapshot_uri(Path::new(&snap)),
            Some(format!("hf:org/my-model@{commit}"))
        );
        assert_eq!(hf_snapshot_uri(Path::new("/models/base")), None);
    }
}

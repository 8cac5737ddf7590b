//! `hubsign sign oci://…`: an artifact in a registry signed from its manifest alone, in the OMS
//! format, and the signature attached to it. (`verify oci://…` and `check oci://…` are the
//! pull's steps 1–3 over [`OciHub`], see [`crate::pull::plan`].)
//!
//! 1. Pin the tag to a manifest digest; read the manifest by that digest (its bytes checked).
//! 2. What is signed: one entry per layer by its path annotation, the config as `config.json`
//!    unless a layer is titled so (rh-model-signing's rule, [`crate::hub::oci::layout`]).
//! 3. Sign the OMS statement over those entries: a key, a certificate, a token's key, or
//!    keyless through Sigstore.
//! 4. Attach the bundle to the manifest as a referrer (and as rh-model-signing's
//!    `sha256-<hex>.sig` tag where the registry has no referrers API).
//!
//! No raw layer is downloaded: a layer's digest is the SHA-256 of its bytes, which is what OMS
//! signs for a file (only a ModelCar's directory layers are read, to hash the files in them).

use crate::Result;
use crate::hub::Hub as _;
use crate::hub::oci::{OciHub, attach, layout};
use crate::manifest::Manifest;
use crate::reference::ModelRef;

/// How the statement is signed.
pub enum ArtifactSigner<'a> {
    /// A key, a certificate, a token's key.
    Signer(&'a crate::sign::Signer),
    /// Keyless, through Sigstore.
    Keyless {
        token: &'a crate::sign::sigstore::TokenSource,
        instance: &'a crate::sigstore::SigstoreInstance,
    },
}

/// What [`sign`] did.
#[derive(Debug)]
pub struct ArtifactSigned {
    /// The manifest digest signed (`sha256:<hex>`).
    pub digest: String,
    pub manifest: Manifest,
    /// The Sigstore bundle, as attached.
    pub bundle: Vec<u8>,
    pub attached: attach::Attached,
    /// What the registry holds for the artifact that the signature does not cover, in words.
    pub uncovered: Vec<String>,
}

/// Steps 1–4.
pub async fn sign(
    hub: &OciHub,
    repo: &ModelRef,
    revision: &str,
    signer: ArtifactSigner<'_>,
) -> Result<ArtifactSigned> {
    // 1–2.
    let digest = hub.pin(repo, revision).await?;
    let artifact = hub.artifact(repo, &digest).await?;
    let manifest = layout::oms_manifest(&artifact.manifest, &artifact.entries).map_err(|e| {
        crate::hub::HubError::Malformed {
            url: repo.pinned(&digest),
            detail: e.to_string(),
        }
    })?;
    // 3.
    let bundle = match signer {
        ArtifactSigner::Signer(s) => s.sign(&manifest)?.to_json(),
        ArtifactSigner::Keyless { token, instance } => {
            let payload = crate::oms::statement::write_payload(&manifest);
            crate::sign::sigstore::sign_keyless(&payload, token, instance)
                .await?
                .into_bytes()
        }
    };
    // 4.
    let attached = attach::attach_signature(
        hub.registry(),
        hub.repository(repo)?,
        &artifact.descriptor(),
        &bundle,
    )
    .await?;
    Ok(ArtifactSigned {
        digest,
        manifest,
        bundle,
        attached,
        uncovered: artifact.uncovered(),
    })
}

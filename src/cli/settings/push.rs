//! `push`'s settings: signing material when given (or when the model is unsigned), the anchor
//! the signature must verify against, and the hub to publish to.

use super::hub::{Remote, repo_type};
use super::keys::{has_key, signer};
use super::trust::{TrustFlags, signer_anchor};
use crate::Error;
use crate::cli::args::PushArgs;
use crate::cli::error::{CliError, Result};
use crate::manifest::{GitPaths, SymlinkPolicy};
use crate::push::PushRequest;
use crate::reference::{HubKind, ModelRef};
use std::path::Path;

pub struct PushSettings {
    pub request: PushRequest,
    pub remote: Remote,
}

impl PushSettings {
    pub fn resolve(args: &PushArgs) -> Result<Self> {
        let request = request(args)?;
        let remote = Remote::resolve(
            &request.repo,
            None,
            &args.kaggle,
            &args.registry,
            crate::hub::DEFAULT_READ_TIMEOUT,
        )?;
        Ok(Self { request, remote })
    }
}

fn request(args: &PushArgs) -> Result<PushRequest> {
    let repo = ModelRef::parse(&args.repo, repo_type(args.repo_type)).map_err(Error::from)?;
    // A registry's "branch" is the reference's tag (`oci://REGISTRY/REPO:TAG`, default `latest`).
    let revision = if repo.hub == HubKind::Oci {
        oci_push_tag(args, &repo)?
    } else {
        crate::reference::check_revision(&args.revision).map_err(Error::from)?;
        args.revision.clone()
    };
    let remote_signature = crate::hub::signature_path(repo.hub);
    if repo.hub == HubKind::Kaggle {
        if repo.revision.is_some() {
            return Err(CliError::KagglePushVersion {
                repo: args.repo.clone(),
            });
        }
        if args.create_pr || args.revision != "main" {
            return Err(CliError::KaggleBranches);
        }
    }
    let signature = args.signature.clone().unwrap_or_else(|| match repo.hub {
        HubKind::HuggingFace | HubKind::Oci => super::default_signature_path(&args.model),
        HubKind::Kaggle => args.model.join(remote_signature),
    });
    // Nothing to sign with, and something to sign: say that, before asking whom to trust.
    if !has_key(&args.key) && (args.resign || !signature.is_file()) {
        return Err(Error::NoSigningKey {
            model: args.model.clone(),
            signature,
        }
        .into());
    }
    let signer = if has_key(&args.key) {
        Some(signer(&args.key)?)
    } else {
        None
    };
    let anchor = match &signer {
        Some(s) => signer_anchor(s),
        None => TrustFlags::push(args, &repo).anchor()?,
    };
    let mut ignore_paths = args.ignore_paths.clone();
    if repo.hub == HubKind::Kaggle {
        // kagglehub never uploads these folders; leaving them out of the signature keeps what
        // is signed and what any Kaggle upload holds the same.
        for dir in crate::hub::kaggle::NEVER_UPLOADED {
            let path = args.model.join(dir);
            if path.exists() && !ignore_paths.iter().any(|p| *p == path || p == Path::new(dir)) {
                ignore_paths.push(path);
            }
        }
    }
    let walk = super::walk_options(
        &args.model,
        &ignore_paths,
        GitPaths::Ignore,
        SymlinkPolicy::Refuse,
    )?;
    // The model's claims: beside its signature (where `attest` writes them), published beside
    // the signature in the repository.
    let claims = crate::hub::claims_path(repo.hub, remote_signature).and_then(|remote| {
        let local = crate::oms::claim::claims_path(&signature);
        fs_err::symlink_metadata(&local)
            .is_ok()
            .then_some((local, remote))
    });
    Ok(PushRequest {
        claims,
        model: args.model.clone(),
        remote_signature: remote_signature.to_owned(),
        repo,
        revision,
        signature,
        signer,
        resign: if args.resign {
            crate::push::Resign::Replace
        } else {
            crate::push::Resign::KeepExisting
        },
        anchor,
        walk,
        private: args.private,
        create_pr: args.create_pr,
        summary: args.commit_message.clone(),
        concurrency: usize::from(args.concurrency),
    })
}

/// The tag a push to a registry publishes under: the reference's (a digest names content that
/// already exists, and branches and pull requests are a git hub's).
fn oci_push_tag(args: &PushArgs, repo: &ModelRef) -> Result<String> {
    let refused = |reason: &str| {
        CliError::from(Error::from(crate::reference::ReferenceError::BadReference {
            reference: args.repo.clone(),
            reason: reason.to_owned(),
        }))
    };
    if args.create_pr {
        return Err(refused("a registry has no pull requests (--create-pr)"));
    }
    if args.private {
        return Err(refused(
            "a registry repository's visibility is set in the registry, not by a push (--private)",
        ));
    }
    if args.revision != "main" {
        return Err(refused(
            "name the tag in the reference (oci://REGISTRY/REPOSITORY:TAG), not with --revision",
        ));
    }
    match repo.revision.as_deref() {
        Some(r) if crate::reference::is_oci_digest(r) => {
            Err(refused("push publishes under a tag, not a digest"))
        }
        Some(tag) => Ok(tag.to_owned()),
        None => Ok(repo.default_revision().to_owned()),
    }
}

//! `hubsign attest MODEL PRODUCER`: sign a claim about the model with the signers `sign` takes
//! and append it to `claims.jsonl`; prints the line appended, the predicate type, the subject
//! digest and the signer.
#![expect(clippy::print_stderr, reason = "the CLI is where output happens")]

use super::block_on;
use crate::ExitStatus;
use crate::attest::lineage::{BaseModel, BaseRef};
use crate::attest::{AttestRequest, Producer, SignatureState};
use crate::cli::Output;
use crate::cli::args::{AttestArgs, KeylessTrustArgs, SigstoreInstanceArgs};
use crate::cli::error::{CliError, Result};
use crate::cli::settings::keys::Signing;
use crate::cli::settings::{self, trust::TrustFlags};
use serde_json::json;

pub fn run(args: &AttestArgs, out: Output) -> Result<ExitStatus> {
    let request = AttestRequest {
        model: args.model.clone(),
        signature: settings::signature_or_default(args.signature.as_deref(), &args.model),
        producer: producer(args)?,
    };
    let signing = Signing::from_flags(&args.key, args.identity_token.as_deref(), &args.instance)?;
    let outcome = match signing {
        Signing::Keyless { token, instance } => {
            block_on(crate::attest::attest_model_keyless(request, &token, &instance))?
        }
        Signing::Signer(signer) => crate::attest::attest_model(&request, &signer)?,
    };
    let root = hex::encode(outcome.subject_digest);
    let (signature, signed) = match &outcome.signature {
        SignatureState::Matched(p) => (p, true),
        SignatureState::Absent(p) => (p, false),
    };
    if out.is_json() {
        let doc = json!({
            "attested": true,
            "claims": outcome.claims,
            "line": outcome.line,
            "predicate_type": outcome.predicate_type,
            "subject": { "name": outcome.subject_name, "digest": format!("sha256:{root}") },
            "signature": signature,
            "signature_matched": signed,
            "method": outcome.method,
            "signer": outcome.signer,
        });
        outln!("{doc}");
    } else if out.chatty() {
        if !signed {
            eprintln!(
                "note: no signature at {}: the subject is the model hashed with the default serialization (files, sha256); sign it the same way for the claim to match",
                signature.display()
            );
        }
        outln!(
            "Claim appended: {} line {} ({}, subject sha256:{root}, signed by {})",
            outcome.claims.display(),
            outcome.line,
            outcome.predicate_type,
            outcome.signer
        );
    }
    Ok(ExitStatus::Success)
}

/// The one producer the flags name (clap makes sure there is exactly one).
fn producer(args: &AttestArgs) -> Result<Producer> {
    if let Some(card) = &args.model_card {
        return Ok(Producer::ModelCard { card: card.clone() });
    }
    if let Some(file) = &args.eval_result {
        return Ok(Producer::EvalResult { file: file.clone() });
    }
    if let (Some(predicate_type), Some(file)) = (&args.predicate_type, &args.predicate) {
        return Ok(Producer::Generic {
            predicate_type: predicate_type.clone(),
            file: file.clone(),
        });
    }
    let reference = args.derived_from.as_deref().unwrap_or_default();
    let base = match BaseRef::parse(reference)
        .map_err(|e| crate::Error::from(crate::attest::AttestError::from(e)))?
    {
        BaseRef::Digest(digest) => BaseModel {
            name: args.base_name.clone().unwrap_or_else(|| "_".to_owned()),
            digest,
            uri: None,
            verified_signer: None,
        },
        BaseRef::Local(dir) => {
            let signature = settings::default_signature_path(&dir);
            crate::attest::lineage::verify_local(&dir, &signature, &base_anchor(args)?)?
        }
        BaseRef::Hub(repo) => verify_on_hub(repo, base_anchor(args)?)?,
    };
    let base = match &args.base_name {
        Some(name) if base.verified_signer.is_some() => BaseModel {
            name: name.clone(),
            ..base
        },
        _ => base,
    };
    Ok(Producer::DerivedFrom(base))
}

/// A base model named by a repository: its signature fetched from the hub and verified against
/// the base trust given, the listing checked against it (the pull's steps 1–3, no weight
/// downloaded); the root digest is the verified subject, the URI the pinned reference.
fn verify_on_hub(repo: crate::reference::ModelRef, anchor: crate::verify::TrustAnchor) -> Result<BaseModel> {
    use crate::cli::settings::hub::{Remote, with_remote};
    let remote = Remote::resolve(
        &repo,
        None,
        &crate::cli::args::KaggleArgs::default(),
        &crate::cli::args::RegistryArgs::default(),
        crate::hub::DEFAULT_READ_TIMEOUT,
    )?;
    let signature_path = crate::hub::signature_path(repo.hub).to_owned();
    let target = crate::pull::Target {
        claims: crate::pull::ClaimsCheck::at(repo.hub, &signature_path),
        revision: repo
            .revision
            .clone()
            .unwrap_or_else(|| repo.default_revision().to_owned()),
        signature_path,
        repo,
        anchor,
        unsigned: crate::verify::UnsignedFiles::Ignore,
    };
    let plan = with_remote!(&remote, |hub, _cache| super::block_on(crate::pull::plan(
        &hub, &target
    ))?);
    Ok(BaseModel {
        name: target.repo.canonical(),
        digest: plan.verified.subject_digest(),
        uri: Some(target.repo.pinned(&plan.commit)),
        verified_signer: Some(plan.verified.signer.clone()),
    })
}

/// Whom to trust for a base model's signature (`--base-public-key`, `--base-certificate-chain`,
/// `--base-identity`/`--base-issuer`): required to name a base by directory or repository.
fn base_anchor(args: &AttestArgs) -> Result<crate::verify::TrustAnchor> {
    if args.base_public_key.is_none()
        && args.base_certificate_chain.is_empty()
        && args.base_identity.is_none()
    {
        return Err(CliError::MissingOption {
            option: "--derived-from DIR|REPO",
            needs: "whom to trust for the base model's signature: --base-public-key PEM, --base-certificate-chain PEM, or --base-identity ID --base-issuer URL",
        });
    }
    let keyless = KeylessTrustArgs {
        identity: args.base_identity.clone(),
        issuer: args.base_issuer.clone(),
        instance: SigstoreInstanceArgs {
            trust_config: args.base_trust_config.clone(),
            staging: false,
        },
    };
    TrustFlags::base(
        args.base_public_key.as_deref(),
        &args.base_certificate_chain,
        &keyless,
    )
    .anchor()
}

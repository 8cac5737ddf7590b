//! `hubsign verify MODEL`: check a local model against its signature and the signer trusted; a
//! model in an OCI registry (`oci://…`) is checked from its manifest alone (nothing downloaded).
#![expect(clippy::print_stderr, reason = "the CLI is where output happens")]

use super::{block_on, render_claims, render_report, verdict};
use crate::ExitStatus;
use crate::cli::Output;
use crate::cli::diagnostics;
use crate::cli::error::Result;
use crate::cli::settings::hub::{oci_hub, oci_reference, oci_settings};
use crate::cli::settings::{self, trust::TrustFlags};
use crate::record::ClaimSummary;
use serde_json::json;

pub fn run(args: &crate::cli::args::VerifyArgs, out: Output) -> Result<ExitStatus> {
    if let Some(repo) = oci_reference(&args.walk.model)? {
        return verify_artifact(args, repo, out);
    }
    let anchor = TrustFlags::verify(args).anchor()?;
    let check = settings::model_check(args)?;
    let signature = settings::signature_or_default(args.signature.as_deref(), &args.walk.model);
    let report = crate::verify::verify_model(&args.walk.model, &signature, &anchor, &check)?;
    // The claims beside the signature, once the model verified: about exactly its root digest,
    // counted for its own signer first, then the claim keys given.
    let claims = match (&report.subject_digest, report.verified) {
        // A verified report's digest is always 64 hex digits.
        (Some(root), true) => match crate::record::parse_digest(root) {
            // A claims file the signature lists is one of the model's files, not claims.
            Some(_)
                if crate::manifest::path_inside_model(
                    &args.walk.model,
                    &crate::oms::claim::claims_path(&signature),
                )
                .is_some_and(|rel| report.signed_attestations.contains(&rel)) =>
            {
                None
            }
            Some(root) => checked_claims(&signature, root, anchor, &args.claims)?,
            None => None,
        },
        _ => None,
    };
    match (&claims, out.is_json()) {
        (Some((_, claims)), true) => {
            let mut doc = serde_json::to_value(&report).unwrap_or_default();
            doc["claims"] = json!(claims);
            outln!("{doc}");
        }
        _ => render_report(&report, out),
    }
    if let (Some((path, claims)), true) = (&claims, out.chatty()) {
        render_claims(path, claims);
    }
    Ok(verdict(&report))
}

/// The claims file beside `signature`, checked against the model's root digest (hex) with
/// the model's own anchor first; `None` when there is no claims file.
fn checked_claims(
    signature: &std::path::Path,
    root: [u8; 32],
    anchor: crate::verify::TrustAnchor,
    claims: &crate::cli::args::ClaimsTrustArgs,
) -> Result<Option<(std::path::PathBuf, Vec<ClaimSummary>)>> {
    let path = crate::oms::claim::claims_path(signature);
    let Some(bytes) = crate::verify::claims::read_claims(&path)? else {
        return Ok(None);
    };
    let mut anchors = vec![anchor];
    anchors.extend(settings::trust::claims_anchors(claims)?);
    let checked = crate::record::check_claims_file(&path, &bytes, root, &anchors)?;
    Ok(Some((path, checked.iter().map(ClaimSummary::of).collect())))
}

/// `verify oci://…`: the signature attached to the artifact (or `--signature`, a bundle made
/// elsewhere, say on the model's directory) verified against the signer trusted, and what it
/// signs compared with the artifact's manifest: the pull's steps 1–3, no layer downloaded.
fn verify_artifact(
    args: &crate::cli::args::VerifyArgs,
    repo: crate::reference::ModelRef,
    out: Output,
) -> Result<ExitStatus> {
    let anchor = TrustFlags::verify(args).anchor()?;
    let settings = oci_settings(&repo, &args.registry, None, crate::hub::DEFAULT_READ_TIMEOUT)?;
    let mut hub = oci_hub(&settings)?;
    if let Some(path) = &args.signature {
        let bundle = crate::fsutil::read_regular_capped(path, crate::fsutil::MAX_SIGNATURE_BYTES).map_err(
            |source| crate::Error::ReadSignature {
                path: path.clone(),
                source,
            },
        )?;
        hub = hub.with_signature(bundle);
    }
    let target = crate::pull::Target {
        revision: repo
            .revision
            .clone()
            .unwrap_or_else(|| repo.default_revision().to_owned()),
        repo,
        signature_path: crate::hub::oci::SIGNATURE_PATH.to_owned(),
        anchor,
        unsigned: settings::unsigned_files(args.ignore_unsigned_files),
        // An OCI registry carries no claims yet.
        claims: crate::pull::ClaimsCheck::default(),
    };
    let (plan, uncovered) = block_on(async {
        let plan = crate::pull::plan(&hub, &target).await?;
        let artifact = hub.artifact(&target.repo, &plan.commit).await?;
        Ok::<_, crate::Error>((plan, artifact.uncovered()))
    })?;
    let mut warnings = plan.verified.warnings.clone();
    warnings.extend(uncovered);
    let pinned = target.repo.pinned(&plan.commit);
    if out.is_json() {
        let doc = json!({
            "verified": true,
            "repo": target.repo.to_string(),
            "digest": plan.commit,
            "pinned": pinned,
            "signer": plan.verified.signer,
            "files_checked": plan.signed_files(),
            "skipped": plan.skipped,
            "warnings": warnings,
        });
        outln!("{doc}");
    } else if out.chatty() {
        for w in &warnings {
            eprintln!("warning: {w}");
        }
        outln!(
            "Verification succeeded: {pinned}: {} {} the signature, signed by {} (nothing downloaded)",
            diagnostics::count(plan.signed_files(), "file"),
            if plan.signed_files() == 1 {
                "matches"
            } else {
                "match"
            },
            plan.verified.signer
        );
    }
    Ok(ExitStatus::Success)
}

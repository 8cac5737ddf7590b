//! `hubsign sign MODEL`: sign with a key, a certificate, a token's key, or keyless (Sigstore); a
//! model in an OCI registry (`oci://…`) is signed from its manifest and the signature attached.
#![expect(clippy::print_stderr, reason = "the CLI is where output happens")]

use super::block_on;
use crate::ExitStatus;
use crate::cli::Output;
use crate::cli::diagnostics;
use crate::cli::error::{CliError, Result};
use crate::cli::settings::changed_paths;
use crate::cli::settings::hub::{oci_hub, oci_reference, oci_settings};
use crate::cli::settings::keys::{SignSettings, Signing};
use crate::cli::settings::trust::incremental_anchor;
use crate::manifest::RecordUse;
use serde_json::json;

pub fn run(args: &crate::cli::args::SignArgs, out: Output) -> Result<ExitStatus> {
    if let Some(repo) = oci_reference(&args.walk.model)? {
        if args.incremental.incremental {
            return Err(CliError::IncrementalArtifact);
        }
        return sign_artifact(args, &repo, out);
    }
    let SignSettings { mut request, signing } = SignSettings::resolve(args)?;
    if args.incremental.incremental {
        request.incremental = Some(incremental(args, &request, &signing)?);
    }
    let (outcome, method) = match signing {
        Signing::Keyless { token, instance } => {
            let outcome = block_on(crate::sign::sign_model_keyless(request, &token, &instance))?;
            (outcome, "sigstore")
        }
        Signing::Signer(signer) => (crate::sign::sign_model(request, &signer)?, signer.method()),
    };
    let root = hex::encode(outcome.manifest.root_digest());
    let record_error = match &outcome.record {
        Some(Err(e)) => Some(diagnostics::printable(&error_chain(e))),
        _ => None,
    };
    if out.is_json() {
        let mut doc = json!({
            "signed": true,
            "signature": outcome.signature,
            "method": method,
            "resources": outcome.manifest.resources.len(),
            "subject_digest": format!("sha256:{root}"),
        });
        if let Some(inc) = &outcome.incremental {
            doc["incremental"] = json!({
                "reused": inc.reused,
                "hashed": inc.hashed_files,
                "hashed_bytes": inc.hashed_bytes,
                "full_rehash": inc.full_rehash.as_ref().map(crate::manifest::FullRehash::code),
                "full_rehash_reason": inc.full_rehash.as_ref().map(ToString::to_string),
            });
        }
        if let Some(e) = &record_error {
            doc["warnings"] = json!([e]);
        }
        if !outcome.stale_claims.is_empty() {
            doc["stale_claims"] = json!(outcome.stale_claims);
        }
        outln!("{doc}");
    } else if out.chatty() {
        if let Some(e) = &record_error {
            eprintln!("warning: {e}");
        }
        if let Some(inc) = &outcome.incremental {
            if let Some(why) = &inc.full_rehash {
                eprintln!("note: every file hashed: {why}");
            }
            outln!(
                "Incremental signing: re-used {}, hashed {} ({} bytes)",
                diagnostics::count(inc.reused, "digest"),
                diagnostics::count(inc.hashed_files, "file"),
                inc.hashed_bytes
            );
        }
        outln!(
            "Signing succeeded: {} ({}, sha256:{root})",
            outcome.signature.display(),
            diagnostics::count(outcome.manifest.resources.len(), "resource")
        );
    }
    if !outcome.stale_claims.is_empty() && !out.is_json() {
        let lines: Vec<String> = outcome.stale_claims.iter().map(ToString::to_string).collect();
        eprintln!(
            "warning: {} in {} {} about the bytes before this signing (line {}): they are stale, not carried over; `hubsign verify` refuses them until you attest again and remove those lines",
            diagnostics::count(outcome.stale_claims.len(), "claim"),
            crate::oms::claim::claims_path(&outcome.signature).display(),
            if outcome.stale_claims.len() == 1 {
                "is"
            } else {
                "are"
            },
            lines.join(", ")
        );
    }
    Ok(ExitStatus::Success)
}

/// The error and its causes on one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// `--incremental`: the existing signature verified (nothing is written when it does not),
/// and what to hash regardless.
fn incremental(
    args: &crate::cli::args::SignArgs,
    request: &crate::sign::SignRequest,
    signing: &Signing,
) -> Result<crate::sign::Incremental> {
    let anchor = incremental_anchor(args, signing)?;
    let previous = crate::sign::verify_previous(&request.signature, &anchor)?;
    Ok(crate::sign::Incremental {
        previous,
        changed: changed_paths(&request.model, &args.incremental.changed)?,
        record: if args.incremental.rehash_all {
            RecordUse::Ignore
        } else {
            RecordUse::Trust
        },
    })
}

/// `sign oci://…`: the artifact's manifest signed and the signature attached in the registry
/// (and written to `--signature` too, when given).
fn sign_artifact(
    args: &crate::cli::args::SignArgs,
    repo: &crate::reference::ModelRef,
    out: Output,
) -> Result<ExitStatus> {
    let settings = oci_settings(repo, &args.registry, None, crate::hub::DEFAULT_READ_TIMEOUT)?;
    let hub = oci_hub(&settings)?;
    let signing = Signing::resolve(args)?;
    let revision = repo.revision.as_deref().unwrap_or(repo.default_revision());
    let (signed, method) = match &signing {
        Signing::Keyless { token, instance } => (
            block_on(crate::artifact::sign(
                &hub,
                repo,
                revision,
                crate::artifact::ArtifactSigner::Keyless { token, instance },
            ))?,
            "sigstore",
        ),
        Signing::Signer(signer) => (
            block_on(crate::artifact::sign(
                &hub,
                repo,
                revision,
                crate::artifact::ArtifactSigner::Signer(signer),
            ))?,
            signer.method(),
        ),
    };
    if let Some(path) = &args.signature {
        crate::fsutil::write_atomic(path, &signed.bundle).map_err(crate::Error::from)?;
    }
    let root = hex::encode(signed.manifest.root_digest());
    let pinned = repo.pinned(&signed.digest);
    if out.is_json() {
        let doc = json!({
            "signed": true,
            "repo": repo.to_string(),
            "digest": signed.digest,
            "pinned": pinned,
            "signature": args.signature,
            "attached": {
                "referrer": signed.attached.referrer,
                "tag": signed.attached.signature_tag.as_ref().map(|(tag, _)| tag),
            },
            "method": method,
            "resources": signed.manifest.resources.len(),
            "subject_digest": format!("sha256:{root}"),
            "warnings": signed.uncovered,
        });
        outln!("{doc}");
    } else if out.chatty() {
        for w in &signed.uncovered {
            eprintln!("warning: {w}");
        }
        let how = match (&signed.attached.referrer, &signed.attached.signature_tag) {
            (_, Some((tag, _))) => format!("attached as a referrer and under the tag {tag}"),
            (Some(_), None) => "attached as a referrer".to_owned(),
            (None, None) => "attached".to_owned(),
        };
        outln!(
            "Signing succeeded: {pinned} ({}, sha256:{root}), {how}",
            diagnostics::count(signed.manifest.resources.len(), "resource")
        );
    }
    Ok(ExitStatus::Success)
}

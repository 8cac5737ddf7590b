//! One file per command (uv's `commands/`): each resolves its settings once (through
//! [`settings`](super::settings), never reading environment variables itself), calls
//! the core and renders what came back. What several commands render alike lives here.
#![expect(clippy::print_stderr, reason = "the CLI is where output happens")]

pub mod attest;
pub mod audit;
pub mod check;
pub mod completions;
pub mod digest;
pub mod inspect;
pub mod install_hf_extension;
pub mod keygen;
mod lock;
pub mod pull;
pub mod push;
pub mod serve;
pub mod sign;
pub mod staging;
pub mod sync;
pub mod verify;
pub mod verify_cache;

use super::Output;
use super::diagnostics;
use super::error::Result;
use crate::ExitStatus;
use crate::verify::VerificationReport;
use serde_json::json;

/// The async runtime of a command that talks to a hub.
fn runtime() -> Result<tokio::runtime::Runtime, crate::Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(crate::Error::Runtime)
}

/// Runs a hub command's work to its end, or until the embedding interrupts it
/// ([`embed`](super::embed)): the work is dropped then, which drops its staging (nothing is
/// committed that was not verified, and nothing half-written is left in a cache).
fn block_on<T, E>(work: impl std::future::Future<Output = Result<T, E>>) -> Result<T>
where
    super::error::CliError: From<E>,
{
    let rt = runtime()?;
    let Some(interrupt) = super::embed::interrupt() else {
        return Ok(rt.block_on(work)?);
    };
    rt.block_on(async {
        tokio::select! {
            done = work => Ok(done?),
            () = interrupt.cancelled() => Err(super::error::CliError::Interrupted),
        }
    })
}

/// 0 for a verified report, 1 for one that is not.
fn verdict(report: &VerificationReport) -> ExitStatus {
    if report.verified {
        ExitStatus::Success
    } else {
        ExitStatus::VerificationFailed
    }
}

fn render_report(report: &VerificationReport, out: Output) {
    if out.is_json() {
        outln!("{}", serde_json::to_string(report).unwrap_or_default());
        return;
    }
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    if report.verified {
        if out.chatty() {
            outln!(
                "Verification succeeded: {} {}, signed by {}",
                diagnostics::count(report.files_checked, "file"),
                if report.files_checked == 1 {
                    "matches"
                } else {
                    "match"
                },
                report.signer
            );
        }
        return;
    }
    eprintln!(
        "Verification failed: the model does not match its signature (signed by {})",
        report.signer
    );
    for (label, files) in [
        ("modified", &report.modified),
        ("missing", &report.missing),
        ("unexpected", &report.unexpected),
    ] {
        for f in files {
            eprintln!("  {label}: {f}");
        }
    }
    if !report.unexpected.is_empty() {
        eprintln!(
            "hint: files not covered by the signature fail verification; --ignore-unsigned-files skips them"
        );
    }
}

/// A signer in one line: a key by the first 16 digits of its fingerprint.
fn short_signer(id: Option<&crate::verify::SignerId>, named: &crate::verify::SignerClaim) -> String {
    let key = |fp: &str| format!("key {}…", fp.chars().take(16).collect::<String>());
    match id {
        Some(crate::verify::SignerId::Key { fingerprint }) => key(fingerprint),
        Some(crate::verify::SignerId::Certificate { subject, .. }) => subject.clone(),
        Some(crate::verify::SignerId::Sigstore { identity, .. }) => identity.clone(),
        None => match &named.key_fingerprint {
            Some(fp) => key(fp),
            None => named.short(),
        },
    }
}

/// One claim in one line: `claims.jsonl:2 eval-result by key ab12…: accuracy >= 0.9 passed`.
fn claim_line(file: &str, c: &crate::record::ClaimSummary) -> String {
    let signer = diagnostics::printable(&short_signer(c.signer_id.as_ref(), &c.named));
    let summary = diagnostics::printable(&c.summary.to_string());
    let kind = diagnostics::printable(c.kind());
    if c.trusted {
        format!("{file}:{} {kind} by {signer}: {summary}", c.line)
    } else {
        format!(
            "{file}:{} {kind} by {signer}: untrusted signer — not counted ({summary})",
            c.line
        )
    }
}

/// The claims a model carries, one line each, after its verification summary.
fn render_claims(path: &std::path::Path, claims: &[crate::record::ClaimSummary]) {
    let file = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let trusted = claims.iter().filter(|c| c.trusted).count();
    outln!(
        "Claims: {} ({trusted} by a trusted signer)",
        diagnostics::count(claims.len(), "claim")
    );
    for c in claims {
        outln!("  {}", claim_line(&file, c));
    }
}

/// Offline: re-verify the cached snapshot and print its path like a pull would (`verify-cache`,
/// and `pull` with `HF_HUB_OFFLINE`). `selected`: the files asked for by name, and whether
/// patterns selected some (then the snapshot may hold only part of the signed files).
fn verify_cached<C: crate::cache::CacheLayout>(
    cache: &C,
    target: &crate::pull::Target,
    out: Output,
    (files, patterns): (&[String], bool),
    lock: Option<&lock::PullLock>,
) -> Result<ExitStatus> {
    let repo = &target.repo;
    // Files asked for by name or by pattern (an offline partial pull): the snapshot may hold only some.
    let coverage = if files.is_empty() && !patterns {
        crate::verify::Coverage::Complete
    } else {
        crate::verify::Coverage::Present
    };
    let (commit, snapshot, report, _claims) = crate::pull::verify_cache(
        cache,
        repo,
        &target.revision,
        &target.signature_path,
        &target.anchor,
        &target.claims,
        coverage,
        files,
    )?;
    // A lock pins the signer offline too (checked only once the signature verified).
    if let (Some(lock), true) = (lock, report.verified) {
        lock.check_cached(repo, &commit, report.signer_id.as_ref())?;
    }
    let shown = match files {
        [only] => snapshot.join(only),
        _ => snapshot.clone(),
    };
    if out.is_json() {
        let mut v = serde_json::to_value(&report).unwrap_or_default();
        v["commit"] = json!(commit);
        v["snapshot"] = json!(snapshot);
        outln!("{v}");
    } else if report.verified {
        if out.chatty() {
            eprintln!(
                "Verified cached {}: {}, signed by {}",
                repo.pinned(&commit),
                diagnostics::count(report.files_checked, "file"),
                report.signer
            );
        }
        if out.results() {
            outln!("{}", shown.display());
        }
    } else {
        render_report(&report, out);
    }
    Ok(verdict(&report))
}

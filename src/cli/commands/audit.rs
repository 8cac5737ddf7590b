//! `hubsign audit`: what the Hugging Face and kagglehub caches hold, who signed each snapshot,
//! whether its files still match, and whether the policy trusts that signer. The rules live in
//! the core (`crate::audit`); this layer finds the caches and the policy and renders.
#![expect(clippy::print_stderr, reason = "the CLI is where output happens")]

use crate::audit::{AuditRow, SignerSpec, Trust, Verdict};
use crate::cache::{CacheLayout, HfCache, KaggleCache, OciCache};
use crate::cli::error::{CliError, Result};
use crate::cli::settings::hub::{hf_cache, kagglehub_cache, oci_cache};
use crate::cli::settings::trust::{find_policy, policy_anchor, policy_name};
use crate::cli::{Output, args, diagnostics};
use crate::reference::{HubKind, ModelRef};
use crate::{Error, ExitStatus};
use serde_json::json;

/// The trust an audit applies to `repo` under `policy`.
fn audit_trust(policy: Option<&crate::policy::Policy>, repo: Option<&ModelRef>) -> Result<Trust> {
    let (Some(policy), Some(repo)) = (policy, repo) else {
        return Ok(Trust::NotChecked);
    };
    Ok(match policy_anchor(policy, &policy_name(repo))? {
        Some(anchor) => Trust::Anchor(anchor),
        None => Trust::NoRule,
    })
}

fn audit_cache<C: CacheLayout>(
    cache: &C,
    signature_path: &str,
    policy: Option<&crate::policy::Policy>,
    rows: &mut Vec<AuditRow>,
) -> Result<()> {
    for snap in cache.snapshots() {
        let trust = audit_trust(policy, snap.repo.as_ref().ok())?;
        rows.push(crate::audit::audit_snapshot(cache, &snap, signature_path, &trust));
    }
    Ok(())
}

fn clip(s: &str, width: usize) -> String {
    let s = &diagnostics::printable(s);
    if s.chars().count() <= width {
        return format!("{s:width$}");
    }
    let mut t: String = s.chars().take(width - 1).collect();
    t.push('…');
    t
}

pub fn run(args: &args::AuditArgs, out: Output) -> Result<ExitStatus> {
    // A cache named on the command line must be there: a typo must not pass as "nothing found".
    for (flag, dir) in [
        ("--cache-dir", &args.cache_dir),
        ("--kagglehub-cache", &args.kagglehub_cache),
        ("--oci-cache", &args.oci_cache),
    ] {
        if let Some(d) = dir {
            if !fs_err::metadata(d).is_ok_and(|m| m.is_dir()) {
                return Err(CliError::NotADirectory {
                    flag,
                    path: d.clone(),
                });
            }
        }
    }
    // A spec is read before the caches are: a typo is an error, not "nothing signed by it".
    let spec = match &args.signer {
        Some(text) => Some(SignerSpec::parse(text).map_err(Error::from)?),
        None => None,
    };
    let hf = HfCache::new(hf_cache(args.cache_dir.as_deref()));
    let kaggle = KaggleCache::new(kagglehub_cache(args.kagglehub_cache.as_deref()));
    let oci = OciCache::new(oci_cache(args.oci_cache.as_deref()));
    let policy = find_policy(args.policy.as_deref())?;
    let mut rows = Vec::new();
    audit_cache(
        &hf,
        crate::hub::signature_path(HubKind::HuggingFace),
        policy.as_ref(),
        &mut rows,
    )?;
    audit_cache(
        &kaggle,
        crate::hub::signature_path(HubKind::Kaggle),
        policy.as_ref(),
        &mut rows,
    )?;
    audit_cache(
        &oci,
        crate::hub::signature_path(HubKind::Oci),
        policy.as_ref(),
        &mut rows,
    )?;
    let mut matched = None;
    if let Some(spec) = spec {
        let was_prefix = matches!(spec, SignerSpec::Prefix(_));
        let spec = spec.resolve(&rows).map_err(Error::from)?;
        if let (true, SignerSpec::Fingerprint(full)) = (was_prefix, &spec) {
            matched = Some(full.clone());
        }
        rows.retain(|r| r.is_signed_by(&spec));
    }
    let failed = rows.iter().filter(|r| r.verdict.fails()).count();
    if out.is_json() {
        let doc = json!({
            "caches": { "huggingface": hf.root(), "kagglehub": kaggle.root(), "oci": oci.root() },
            "policy": policy.as_ref().map(|p| &p.path),
            "signer": args.signer,
            "signer_fingerprint": matched,
            "passed": failed == 0,
            "snapshots": rows,
        });
        outln!("{doc}");
    } else if out.results() {
        render_audit(&rows);
    }
    if out.chatty() {
        if let (Some(text), Some(full)) = (&args.signer, &matched) {
            eprintln!(
                "--signer {} is the prefix of fingerprint {full}",
                diagnostics::printable(text)
            );
        } else if let (Some(text), true) = (&args.signer, rows.is_empty()) {
            eprintln!(
                "no snapshot in the caches is signed by {}",
                diagnostics::printable(text)
            );
        }
        let count = |v: Verdict| rows.iter().filter(|r| r.verdict == v).count();
        eprintln!(
            "{} snapshots: {} verified, {} signed (trust not checked), {} unsigned, {} untrusted, {} tampered",
            rows.len(),
            count(Verdict::Verified),
            count(Verdict::Signed),
            count(Verdict::Unsigned),
            count(Verdict::Untrusted),
            count(Verdict::Tampered)
        );
        if policy.is_none() && count(Verdict::Signed) > 0 {
            eprintln!("hint: pass --policy FILE to check who is trusted to sign each repository");
        }
    }
    Ok(if failed == 0 {
        ExitStatus::Success
    } else {
        ExitStatus::VerificationFailed
    })
}

/// A table that fits 100 columns (references 44, commits as 12-character prefixes, signers
/// 30); a row that does not pass gets its reason on the line below.
fn render_audit(rows: &[AuditRow]) {
    outln!(
        "{} {} {} VERDICT",
        clip("REFERENCE", 44),
        clip("COMMIT", 12),
        clip("SIGNER", 30)
    );
    for r in rows {
        let signer = r
            .signer
            .as_ref()
            .map_or_else(|| "-".to_owned(), crate::verify::SignerClaim::short);
        let verdict = serde_json::to_value(r.verdict)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let commit: String = diagnostics::printable(&r.commit).chars().take(12).collect();
        outln!(
            "{} {commit:12} {} {verdict}",
            clip(&r.reference, 44),
            clip(&signer, 30)
        );
        if r.verdict != Verdict::Verified && !r.detail.is_empty() {
            // The whole list is in --json; the table stays readable at 100 columns.
            outln!("    {}", clip(&r.detail, 96).trim_end());
        }
    }
}

//! `hubsign audit`: what the Hugging Face and kagglehub caches hold, who signed each snapshot,
//! whether its files still match, and whether the policy trusts that signer. The rules live in
//! the core (`crate::audit`); this layer finds the caches and the policy and renders.
#![expect(clippy::print_stderr, reason = "the CLI is where output happens")]

use crate::audit::{AuditRow, SignerSpec, Trust, Verdict};
use crate::cache::{CacheLayout, HfCache, KaggleCache, OciCache};
use crate::cli::error::{CliError, Result};
use crate::cli::settings::hub::{hf_cache, kagglehub_cache, oci_cache};
use crate::cli::settings::trust::{claims_anchors, find_policy, policy_anchor, policy_name, required_claims};
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
    (policy, claim_anchors): (Option<&crate::policy::Policy>, &[crate::verify::TrustAnchor]),
    rows: &mut Vec<AuditRow>,
) -> Result<()> {
    for snap in cache.snapshots() {
        let trust = audit_trust(policy, snap.repo.as_ref().ok())?;
        // Claims count for the claim keys given, and for the signers the snapshot's policy rule
        // requires claims from (an evaluation key, say).
        let mut anchors = claim_anchors.to_vec();
        if let (Some(policy), Ok(repo), Trust::Anchor(anchor)) = (policy, snap.repo.as_ref(), &trust)
            && let Some(rule) = policy.rule_for(&policy_name(repo))
        {
            anchors.extend(required_claims(rule, anchor)?.into_iter().map(|r| r.anchor));
        }
        rows.push(crate::audit::audit_snapshot(
            cache,
            &snap,
            signature_path,
            &trust,
            &anchors,
        ));
    }
    Ok(())
}

/// The base root digest `--derived-from` names: a digest as given, or the root digest of the
/// cached snapshot a reference names (its revision, else the default branch).
fn base_digest(spec: &str, rows: &[AuditRow]) -> Result<String> {
    if let Some(d) = crate::record::parse_digest(spec) {
        return Ok(format!("sha256:{}", hex::encode(d)));
    }
    let repo = ModelRef::parse(spec, None).map_err(Error::from)?;
    let revision = repo
        .revision
        .clone()
        .unwrap_or_else(|| repo.default_revision().to_owned());
    let canonical = repo.canonical();
    rows.iter()
        .filter(|r| r.reference == canonical && (r.commit == revision || r.refs.contains(&revision)))
        .find_map(|r| r.root_digest.clone())
        .ok_or_else(|| {
            Error::from(crate::cache::CacheError::NotCached {
                repo: canonical,
                revision,
                cache: rows.first().map(|r| r.path.clone()).unwrap_or_default(),
            })
            .into()
        })
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
    let claim_anchors = claims_anchors(&args.claims)?;
    let trust = (policy.as_ref(), claim_anchors.as_slice());
    let mut rows = Vec::new();
    audit_cache(
        &hf,
        crate::hub::signature_path(HubKind::HuggingFace),
        trust,
        &mut rows,
    )?;
    audit_cache(
        &kaggle,
        crate::hub::signature_path(HubKind::Kaggle),
        trust,
        &mut rows,
    )?;
    audit_cache(&oci, crate::hub::signature_path(HubKind::Oci), trust, &mut rows)?;
    let mut matched = None;
    if let Some(spec) = spec {
        let was_prefix = matches!(spec, SignerSpec::Prefix(_));
        let spec = spec.resolve(&rows).map_err(Error::from)?;
        if let (true, SignerSpec::Fingerprint(full)) = (was_prefix, &spec) {
            matched = Some(full.clone());
        }
        filter_signer(&mut rows, &spec);
    }
    let base = match &args.derived_from {
        Some(spec) => Some(filter_derived_from(&mut rows, spec)?),
        None => None,
    };
    let failed = rows.iter().filter(|r| r.verdict.fails()).count();
    if out.is_json() {
        let doc = json!({
            "caches": { "huggingface": hf.root(), "kagglehub": kaggle.root(), "oci": oci.root() },
            "policy": policy.as_ref().map(|p| &p.path),
            "signer": args.signer,
            "signer_fingerprint": matched,
            "derived_from": base,
            "passed": failed == 0,
            "snapshots": rows,
        });
        outln!("{doc}");
    } else if out.results() {
        render_audit(&rows, args.signer.is_some());
    }
    if out.chatty() {
        if let (Some(text), Some(full)) = (&args.signer, &matched) {
            eprintln!(
                "--signer {} is the prefix of fingerprint {full}",
                diagnostics::printable(text)
            );
        } else if let (Some(text), true) = (&args.signer, rows.is_empty()) {
            eprintln!(
                "no snapshot in the caches is signed by {}, and no claim",
                diagnostics::printable(text)
            );
        }
        if let (Some(digest), true) = (&base, rows.is_empty()) {
            eprintln!("no cached model's trusted lineage includes {digest}");
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

/// `--signer`: the snapshots it signed, or that carry claims it made (only those are kept).
fn filter_signer(rows: &mut Vec<AuditRow>, spec: &SignerSpec) {
    rows.retain_mut(|r| {
        let signed = r.is_signed_by(spec);
        let lines: Vec<usize> = r.claims_by(spec).iter().map(|c| c.line).collect();
        r.claims.retain(|c| lines.contains(&c.line));
        signed || !r.claims.is_empty()
    });
}

/// `--derived-from`: the snapshots whose trusted lineage reaches the base, each with its chain;
/// returns the base's root digest.
fn filter_derived_from(rows: &mut Vec<AuditRow>, spec: &str) -> Result<String> {
    let digest = base_digest(spec, rows)?;
    let (index, nodes): (Vec<usize>, Vec<crate::record::LineageNode>) = rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            Some((
                i,
                crate::record::LineageNode {
                    reference: r.reference.clone(),
                    path: r.path.clone(),
                    root: r.root_digest.clone()?,
                    claims: r.claims.clone(),
                },
            ))
        })
        .unzip();
    let kept = crate::record::descendants(&nodes, &digest)
        .into_iter()
        .map(|(node, chain)| {
            let mut row = rows[index[node]].clone();
            row.lineage = chain;
            row
        })
        .collect();
    *rows = kept;
    Ok(digest)
}

/// A table that fits 100 columns (references 44, commits as 12-character prefixes, signers
/// 30); a row that does not pass gets its reason on the line below.
fn render_audit(rows: &[AuditRow], claims: bool) {
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
        if !r.lineage.is_empty() {
            outln!("    lineage: {}", r.lineage.join(" → "));
        }
        if claims {
            for c in &r.claims {
                outln!("    {}", super::claim_line(crate::oms::claim::CLAIMS_FILE, c));
            }
        }
    }
}

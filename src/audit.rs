//! `hubsign audit`: every snapshot the caches hold, who its signature names, whether its files
//! still match the signed manifest (re-hashed), and — given trust anchors — whether that signer
//! is trusted for that repository. Read only: it never writes to a cache. Returns rows (data);
//! the CLI renders them.

use crate::cache::{CacheLayout, ListedSnapshot};
use crate::hub::ModelRef;
use crate::oms::bundle::Bundle;
use crate::verify::{self, Coverage, ModelCheck, SignerClaim, TrustAnchor};
use serde::Serialize;
use std::path::PathBuf;

use crate::fsutil::MAX_SIGNATURE_BYTES;

/// The outcome for one snapshot, worst last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The signature verifies for the trusted signer and the files match it.
    Verified,
    /// The files match the signed manifest; no trust anchor was given for the repository, so
    /// the signature itself was not checked.
    Signed,
    /// No signature in the snapshot.
    Unsigned,
    /// The signer is not the one trusted for the repository (or there is no rule for it).
    Untrusted,
    /// Files differ from the signed manifest, the signature is malformed, or the snapshot's
    /// folders are not what the cache layout allows.
    Tampered,
}

impl Verdict {
    /// Whether this verdict fails an audit (exit 1).
    #[must_use]
    pub fn fails(self) -> bool {
        matches!(self, Self::Unsigned | Self::Untrusted | Self::Tampered)
    }
}

/// Whom a repository must be signed by, as the caller resolved it.
#[derive(Debug, Clone)]
pub enum Trust {
    /// No policy given: trust is not evaluated.
    NotChecked,
    /// A policy is given but has no rule for the repository.
    NoRule,
    Anchor(TrustAnchor),
}

/// One audited snapshot.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRow {
    /// `hf:org/name`, `hf:datasets/org/name`, `kaggle:…` (or the folder name).
    pub reference: String,
    /// The commit (Kaggle: the version).
    pub commit: String,
    pub path: PathBuf,
    /// Refs pointing at the commit (`main`).
    pub refs: Vec<String>,
    pub verdict: Verdict,
    /// Whether a signature file is in the snapshot.
    pub signed: bool,
    /// What the signature *claims* about its signer. Unverified: anyone can write a bundle that
    /// names any key; only `verified_signer` is established.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signer: Option<SignerClaim>,
    /// The signer the signature verified for, under the policy (only for a trusted snapshot).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified_signer: Option<crate::verify::SignerId>,
    /// Whether the files on disk match the signed manifest (re-hashed); `None` if not checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files_match: Option<bool>,
    pub files_checked: usize,
    pub modified: Vec<String>,
    pub unexpected: Vec<String>,
    /// Signed files the snapshot does not hold (a partial pull, or deleted since).
    pub absent: Vec<String>,
    /// No partial pull is recorded for the snapshot (hubsign's record, kagglehub's per-file
    /// markers), or the cache marks it complete: then every absent signed file is tampering.
    /// With a record, an absent file the record says was placed is tampering too.
    pub complete: bool,
    /// `None` without a policy; else whether the signer is trusted for this repository.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trusted: Option<bool>,
    /// Why the verdict is what it is, in words.
    pub detail: String,
}

/// Audits one snapshot. `signature_path` is the path of the signature inside it.
pub fn audit_snapshot<C: CacheLayout>(
    cache: &C,
    snap: &ListedSnapshot,
    signature_path: &str,
    trust: &Trust,
) -> AuditRow {
    let mut row = AuditRow {
        reference: snap.repo.as_ref().map_or_else(Clone::clone, ModelRef::canonical),
        commit: snap.commit.clone(),
        path: snap.path.clone(),
        refs: snap.refs.clone(),
        verdict: Verdict::Tampered,
        signed: false,
        signer: None,
        verified_signer: None,
        files_match: None,
        files_checked: 0,
        modified: Vec::new(),
        unexpected: Vec::new(),
        absent: Vec::new(),
        complete: snap.partial.is_none(),
        trusted: None,
        detail: String::new(),
    };
    if let Some(problem) = &snap.problem {
        row.detail.clone_from(problem);
        return row;
    }
    let Ok(repo) = &snap.repo else {
        "the folder name is not a repository reference".clone_into(&mut row.detail);
        return row;
    };
    // 1. The signature file: a regular file inside the snapshot, of a sane size.
    let sig_path = snap.path.join(signature_path);
    let bundle = match read_signature(&sig_path, cache.symlink_root(repo).as_deref()) {
        Ok(Some(b)) => b,
        Ok(None) => {
            row.verdict = Verdict::Unsigned;
            row.detail = format!("no signature file {signature_path}");
            return row;
        }
        Err(why) => {
            row.signed = true;
            row.detail = format!("the signature {signature_path} {why}");
            return row;
        }
    };
    row.signed = true;
    row.signer = Some(SignerClaim::of(&bundle));
    // 2. Trust: the bundle against the anchor for this repository, when there is one.
    let verified = match trust {
        Trust::NotChecked => None,
        Trust::NoRule => {
            row.trusted = Some(false);
            None
        }
        Trust::Anchor(anchor) => match verify::verify_bundle(&bundle, anchor) {
            Ok(v) => {
                row.trusted = Some(true);
                row.verified_signer = Some(v.signer_id.clone());
                Some(v)
            }
            Err(e) => {
                row.trusted = Some(false);
                row.detail = format!("not signed by the trusted signer: {e}");
                None
            }
        },
    };
    // 3. The files, re-hashed, against the signed manifest (following the snapshot's links
    //    only inside the repository's folder). The report's missing files are the signed files
    //    the snapshot lacks: tampering where the cache marks it complete, else a partial pull
    //    (step 4 decides).
    let check = ModelCheck::snapshot(
        cache.symlink_root(repo),
        Coverage::Complete,
        vec![signature_path.to_owned()],
    );
    let report = match &verified {
        Some(v) => verify::check_model(&snap.path, v, &check).map_err(crate::Error::from),
        None => verify::compare_unverified(&snap.path, &bundle, &check),
    };
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            row.detail = format!("the files cannot be checked: {e}");
            return row;
        }
    };
    row.absent = report.missing;
    row.files_checked = report.files_checked;
    row.files_match = Some(report.modified.is_empty() && report.unexpected.is_empty());
    row.modified = report.modified;
    row.unexpected = report.unexpected;
    // 4. The verdict, worst first.
    decide(&mut row, trust, snap.partial.as_ref());
    row
}

/// Step 4 of [`audit_snapshot`]: the verdict and its reason from what was found.
fn decide(row: &mut AuditRow, trust: &Trust, partial: Option<&std::collections::BTreeSet<String>>) {
    // Absent files are a partial pull only when a recorded one left them out.
    let missing: Vec<&str> = row
        .absent
        .iter()
        .filter(|f| partial.is_none_or(|placed| placed.contains(f.as_str())))
        .map(String::as_str)
        .collect();
    let deleted = !missing.is_empty();
    (row.verdict, row.detail) = if !row.modified.is_empty() || !row.unexpected.is_empty() || deleted {
        let mut parts = Vec::new();
        if !row.modified.is_empty() {
            parts.push(format!("modified: {}", row.modified.join(", ")));
        }
        if deleted {
            let why = if partial.is_some() {
                "placed by the recorded partial pull"
            } else {
                "no partial pull is recorded"
            };
            parts.push(format!("missing: {} ({why})", missing.join(", ")));
        }
        if !row.unexpected.is_empty() {
            parts.push(format!("not signed: {}", row.unexpected.join(", ")));
        }
        (
            Verdict::Tampered,
            format!("files differ from the signed manifest ({})", parts.join("; ")),
        )
    } else if row.trusted == Some(false) {
        let why = if matches!(trust, Trust::NoRule) {
            "the trust policy has no rule for this repository".to_owned()
        } else {
            std::mem::take(&mut row.detail)
        };
        (Verdict::Untrusted, why)
    } else if row.trusted == Some(true) {
        (Verdict::Verified, String::new())
    } else {
        (
            Verdict::Signed,
            "files match the signed manifest; no trust policy for the signer was given".to_owned(),
        )
    };
    if !row.absent.is_empty() && row.verdict <= Verdict::Signed {
        row.detail = format!(
            "{} signed files not in the snapshot (a recorded partial pull)",
            row.absent.len()
        );
    }
}

/// The snapshot's signature: `None` if there is none; `Err` if it leaves the repository folder
/// (`within`), is not a regular file of a sane size, or is not a bundle.
fn read_signature(
    path: &std::path::Path,
    within: Option<&std::path::Path>,
) -> Result<Option<Bundle>, String> {
    if std::fs::symlink_metadata(path).is_err() {
        return Ok(None);
    }
    if let Some(root) = within {
        let inside = crate::fsutil::resolve_inside(path, root).is_some();
        if !inside {
            return Err("points outside the repository folder (or nowhere)".to_owned());
        }
    }
    let bytes = crate::fsutil::read_regular_capped(path, MAX_SIGNATURE_BYTES)
        .map_err(|e| format!("cannot be read: {e}"))?;
    Bundle::parse(&bytes)
        .map(Some)
        .map_err(|e| format!("is malformed: {e}"))
}

impl AuditRow {
    /// Whether `spec` names this row's signer: the verified one, else what the signature claims.
    #[must_use]
    pub fn is_signed_by(&self, spec: &str) -> bool {
        self.verified_signer.as_ref().is_some_and(|s| s.is_named_by(spec))
            || self.signer.as_ref().is_some_and(|c| c.is_named_by(spec))
    }
}

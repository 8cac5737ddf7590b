//! `hubsign audit`: every snapshot the caches hold, who its signature names, whether its files
//! still match the signed manifest (re-hashed), and — given trust anchors — whether that signer
//! is trusted for that repository, and the claims beside its signature (checked against the
//! root digest it names; trusted when its trusted signer or a claim key made them, which is the
//! lineage `--derived-from` follows). Read only: it never writes to a cache. Returns rows
//! (data); the CLI renders them.

use crate::cache::{CacheLayout, ListedSnapshot};
use crate::oms::bundle::Bundle;
use crate::record::ClaimSummary;
use crate::reference::ModelRef;
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
    /// `sha256:<hex>`: the root digest the signature names (what claims about it are bound to).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root_digest: Option<String>,
    /// The claims beside the signature, each checked against the root digest and marked trusted
    /// when the snapshot's trusted signer or one of the audit's claim keys made it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<ClaimSummary>,
    /// With `--derived-from`: the root digests from this snapshot down to the base, through
    /// trusted lineage claims.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lineage: Vec<String>,
}

/// Audits one snapshot. `signature_path` is the path of the signature inside it; claims beside
/// it count when the snapshot's trusted signer or one of `claim_anchors` made them.
pub fn audit_snapshot<C: CacheLayout>(
    cache: &C,
    snap: &ListedSnapshot,
    signature_path: &str,
    trust: &Trust,
    claim_anchors: &[TrustAnchor],
) -> AuditRow {
    let mut row = AuditRow::empty(snap);
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
    let statement = crate::oms::statement::parse_payload(&bundle.envelope.payload).ok();
    let root = statement.as_ref().map(crate::record::statement_root);
    row.root_digest = root.map(|r| format!("sha256:{}", hex::encode(r)));
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
    //    the snapshot lacks: a partial pull only as far as a recorded one explains them, else
    //    tampering (step 4 decides). A link to a directory, or anything but a file or a file
    //    link, fails the walk: tampering too.
    // The claims file is no part of the model, unless the signature lists it.
    let claims_rel = crate::oms::claim::claims_path(std::path::Path::new(signature_path))
        .to_string_lossy()
        .into_owned();
    let ignore = attestation_ignores(signature_path, &claims_rel, statement.as_ref());
    let check = ModelCheck::snapshot(cache.symlink_root(repo), Coverage::Complete, ignore);
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
    // 5. The claims, about the root digest the signature names: a line that does not check
    //    out is tampering; trusted are those by the snapshot's trusted signer or a claim key.
    //    A claims file the signature lists is a file of the model, checked in step 3.
    let claims_signed = statement.as_ref().is_some_and(|st| st.lists(&claims_rel));
    if let Some(root) = root.filter(|_| !claims_signed) {
        let mut anchors: Vec<TrustAnchor> = match (trust, &verified) {
            (Trust::Anchor(a), Some(_)) => vec![a.clone()],
            _ => Vec::new(),
        };
        anchors.extend(claim_anchors.iter().cloned());
        let path = snap.path.join(&claims_rel);
        check_claims(
            &mut row,
            &path,
            cache.symlink_root(repo).as_deref(),
            root,
            &anchors,
        );
    }
    row
}

/// Step 5 of [`audit_snapshot`]: the claims file at `path`, if any, into the row.
fn check_claims(
    row: &mut AuditRow,
    path: &std::path::Path,
    links: Option<&std::path::Path>,
    root: [u8; 32],
    anchors: &[TrustAnchor],
) {
    let checked = crate::verify::claims::read_claims_within(path, links).and_then(|bytes| {
        bytes.map_or_else(
            || Ok(Vec::new()),
            |b| crate::record::check_claims_file(path, &b, root, anchors),
        )
    });
    match checked {
        Ok(claims) => row.claims = claims.iter().map(ClaimSummary::of).collect(),
        Err(e) => {
            // The line first: the table clips the detail, and the path is the row's.
            let why = match &e {
                crate::Error::Claims { source, .. } => {
                    format!("{}: {source}", crate::oms::claim::CLAIMS_FILE)
                }
                other => std::iter::successors(Some(other as &dyn std::error::Error), |e| e.source())
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(": "),
            };
            if row.verdict == Verdict::Tampered {
                row.detail = format!("{}; {why}", row.detail);
            } else {
                row.verdict = Verdict::Tampered;
                row.detail = why;
            }
        }
    }
}

/// The paths a snapshot's check leaves out: the signature, and the claims file beside it
/// (`claims_rel`) unless the signature lists it.
fn attestation_ignores(
    signature_path: &str,
    claims_rel: &str,
    statement: Option<&crate::oms::statement::SignedStatement>,
) -> Vec<String> {
    let mut ignore = vec![signature_path.to_owned()];
    let listed = statement.is_some_and(|st| {
        st.resources
            .iter()
            .any(|r| crate::manifest::shard_file_name(&r.name) == claims_rel)
    });
    if !listed {
        ignore.push(claims_rel.to_owned());
    }
    ignore
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
    if fs_err::symlink_metadata(path).is_err() {
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

/// The fewest hex digits `--signer` takes as a fingerprint prefix: shorter ones match too
/// much by chance, and a short spec that matched nothing would read as "this key signed
/// nothing here" (8 digits: 32 bits, as short as a key is commonly written).
pub const MIN_FINGERPRINT_PREFIX: usize = 8;

/// Whom an audit is filtered on (`audit --signer`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignerSpec {
    /// A key or certificate fingerprint: 64 hex digits (any case, `sha256:` optional), kept
    /// lowercase.
    Fingerprint(String),
    /// The first [`MIN_FINGERPRINT_PREFIX`] to 63 hex digits of one, lowercase.
    Prefix(String),
    /// A keyless identity (an email or URI) or a certificate subject (`CN=…`), exact.
    Name(String),
}

/// Why a `--signer` spec is refused (exit 2).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignerSpecError {
    /// Too few hex digits to be a fingerprint prefix.
    #[error(
        "signer {spec:?} is too short: a fingerprint prefix needs at least {MIN_FINGERPRINT_PREFIX} hex digits (a full fingerprint has 64)"
    )]
    TooShort { spec: String },
    /// Not a fingerprint, a prefix, an identity or a subject.
    #[error(
        "signer {spec:?} is neither a fingerprint (64 hex digits, or a prefix of at least {MIN_FINGERPRINT_PREFIX}), a keyless identity (an email or URI) nor a certificate subject (CN=…)"
    )]
    Unrecognised { spec: String },
    /// A prefix that stands for several signers' fingerprints.
    #[error("signer prefix {spec} matches {} fingerprints ({}); give more digits", candidates.len(), candidates.join(", "))]
    Ambiguous { spec: String, candidates: Vec<String> },
}

impl SignerSpec {
    /// Reads a `--signer` value.
    ///
    /// # Errors
    /// [`SignerSpecError::TooShort`] or [`SignerSpecError::Unrecognised`], naming it.
    pub fn parse(spec: &str) -> Result<Self, SignerSpecError> {
        let hex = spec.strip_prefix("sha256:").unwrap_or(spec);
        if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return match hex.len() {
                64 => Ok(Self::Fingerprint(hex.to_ascii_lowercase())),
                n if (MIN_FINGERPRINT_PREFIX..64).contains(&n) => Ok(Self::Prefix(hex.to_ascii_lowercase())),
                n if n < MIN_FINGERPRINT_PREFIX => Err(SignerSpecError::TooShort {
                    spec: spec.to_owned(),
                }),
                _ => Err(SignerSpecError::Unrecognised {
                    spec: spec.to_owned(),
                }),
            };
        }
        // An email or URI (a keyless identity), or a subject (`CN=…`).
        let is_name = spec == hex && (spec.contains('@') || spec.contains("://") || spec.contains('='));
        if is_name {
            Ok(Self::Name(spec.to_owned()))
        } else {
            Err(SignerSpecError::Unrecognised {
                spec: spec.to_owned(),
            })
        }
    }

    /// A prefix stands for the one fingerprint among `rows`' signers that starts with it; it
    /// stays a prefix when none does (it matches nothing). Other specs are returned as they are.
    ///
    /// # Errors
    /// [`SignerSpecError::Ambiguous`] when several fingerprints start with the prefix.
    pub fn resolve(self, rows: &[AuditRow]) -> Result<Self, SignerSpecError> {
        let Self::Prefix(prefix) = &self else {
            return Ok(self);
        };
        let found: std::collections::BTreeSet<&str> = rows
            .iter()
            .flat_map(AuditRow::fingerprints)
            .filter(|f| f.starts_with(prefix.as_str()))
            .collect();
        match found.len() {
            0 => Ok(self),
            1 => Ok(Self::Fingerprint(found.into_iter().collect::<String>())),
            _ => Err(SignerSpecError::Ambiguous {
                spec: prefix.clone(),
                candidates: found.into_iter().map(str::to_owned).collect(),
            }),
        }
    }
}

/// Every fingerprint a signer goes by (lowercase hex): the verified key or anchor, the claimed
/// key, the certificates the bundle carries.
fn fingerprints<'a>(
    verified: Option<&'a crate::verify::SignerId>,
    claim: Option<&'a SignerClaim>,
) -> impl Iterator<Item = &'a str> {
    let verified = match verified {
        Some(crate::verify::SignerId::Key { fingerprint }) => Some(fingerprint.as_str()),
        Some(crate::verify::SignerId::Certificate { anchor, .. }) => Some(anchor.as_str()),
        _ => None,
    };
    verified
        .into_iter()
        .chain(claim.and_then(|c| c.key_fingerprint.as_deref()))
        .chain(
            claim
                .into_iter()
                .flat_map(|c| c.certificates.iter().map(|c| c.fingerprint.as_str())),
        )
}

/// Whether `spec` names a signer: the verified one, else what the bundle claims.
fn names(spec: &SignerSpec, verified: Option<&crate::verify::SignerId>, claim: Option<&SignerClaim>) -> bool {
    match spec {
        SignerSpec::Fingerprint(f) => fingerprints(verified, claim).any(|g| g.eq_ignore_ascii_case(f)),
        SignerSpec::Prefix(p) => {
            fingerprints(verified, claim).any(|g| g.to_ascii_lowercase().starts_with(p.as_str()))
        }
        SignerSpec::Name(name) => {
            let verified = match verified {
                Some(crate::verify::SignerId::Certificate { subject, .. }) => subject == name,
                Some(crate::verify::SignerId::Sigstore { identity, .. }) => identity == name,
                _ => false,
            };
            verified
                || claim.is_some_and(|c| {
                    c.identity.as_deref() == Some(name.as_str())
                        || c.certificates.first().is_some_and(|leaf| leaf.subject == *name)
                })
        }
    }
}

impl AuditRow {
    /// The row of a snapshot nothing is known about yet (tampered until shown otherwise).
    fn empty(snap: &ListedSnapshot) -> Self {
        Self {
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
            root_digest: None,
            claims: Vec::new(),
            lineage: Vec::new(),
        }
    }

    /// Every fingerprint the row's signer and its claims' signers go by.
    fn fingerprints(&self) -> impl Iterator<Item = &str> {
        fingerprints(self.verified_signer.as_ref(), self.signer.as_ref()).chain(
            self.claims
                .iter()
                .flat_map(|c| fingerprints(c.signer_id.as_ref(), Some(&c.named))),
        )
    }

    /// Whether `spec` names this row's signer: the verified one, else what the signature claims.
    #[must_use]
    pub fn is_signed_by(&self, spec: &SignerSpec) -> bool {
        names(spec, self.verified_signer.as_ref(), self.signer.as_ref())
    }

    /// The claims `spec`'s signer made (trusted or not: "which evals did this key vouch for").
    #[must_use]
    pub fn claims_by(&self, spec: &SignerSpec) -> Vec<&ClaimSummary> {
        self.claims
            .iter()
            .filter(|c| names(spec, c.signer_id.as_ref(), Some(&c.named)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::{AuditRow, SignerSpec, SignerSpecError, Verdict};

    fn signed_by_key(fingerprint: &str) -> AuditRow {
        AuditRow {
            reference: "hf:org/m".to_owned(),
            commit: "c".repeat(40),
            path: std::path::PathBuf::new(),
            refs: Vec::new(),
            verdict: Verdict::Signed,
            signed: true,
            signer: Some(crate::verify::SignerClaim {
                method: "key",
                key_fingerprint: Some(fingerprint.to_owned()),
                ..Default::default()
            }),
            verified_signer: None,
            files_match: Some(true),
            files_checked: 1,
            modified: Vec::new(),
            unexpected: Vec::new(),
            absent: Vec::new(),
            complete: true,
            trusted: None,
            detail: String::new(),
            root_digest: None,
            claims: Vec::new(),
            lineage: Vec::new(),
        }
    }

    #[test]
    fn a_prefix_stands_for_one_fingerprint_or_is_ambiguous() {
        let (a, b) = (
            format!("a0134567{}", "0".repeat(56)),
            format!("a0134567{}", "1".repeat(56)),
        );
        let rows = [signed_by_key(&a), signed_by_key(&b)];
        let spec = SignerSpec::parse("a01345670").unwrap().resolve(&rows).unwrap();
        assert_eq!(spec, SignerSpec::Fingerprint(a.clone()));
        assert!(rows[0].is_signed_by(&spec) && !rows[1].is_signed_by(&spec));
        let err = SignerSpec::parse("a0134567").unwrap().resolve(&rows).unwrap_err();
        assert!(matches!(err, SignerSpecError::Ambiguous { .. }));
        assert!(
            err.to_string().contains(&a) && err.to_string().contains(&b),
            "{err}"
        );
        let none = SignerSpec::parse("ffffffff").unwrap().resolve(&rows).unwrap();
        assert!(rows.iter().all(|r| !r.is_signed_by(&none)));
    }

    #[test]
    fn signer_specs_are_fingerprints_prefixes_or_names() {
        let fp = "AB".repeat(32);
        assert_eq!(
            SignerSpec::parse(&format!("sha256:{fp}")).unwrap(),
            SignerSpec::Fingerprint(fp.to_ascii_lowercase())
        );
        assert_eq!(
            SignerSpec::parse("A0134567").unwrap(),
            SignerSpec::Prefix("a0134567".to_owned())
        );
        for name in [
            "me@example.com",
            "https://github.com/o/r/.github/workflows/x.yml@main",
            "CN=signer,O=org",
        ] {
            assert_eq!(
                SignerSpec::parse(name).unwrap(),
                SignerSpec::Name(name.to_owned())
            );
        }
        assert!(matches!(
            SignerSpec::parse("a0134"),
            Err(SignerSpecError::TooShort { .. })
        ));
        for bad in [
            "",
            "sha256:",
            "tiny-bert",
            "sha256:me@example.com",
            &"a".repeat(65),
        ] {
            assert!(
                matches!(SignerSpec::parse(bad), Err(SignerSpecError::Unrecognised { .. })),
                "{bad:?}"
            );
        }
    }
}

#[cfg(test)]
mod in_process {
    use super::{Trust, Verdict, audit_snapshot};
    use crate::cache::{CacheLayout as _, HfCache};
    use crate::hub::fake::{Fixture, flip_first_byte, model_files};
    use crate::pull::Destination;

    /// Audits the one snapshot a fake-hub pull put in a fresh cache, after `tamper` ran on it.
    async fn audit_after(tamper: impl FnOnce(&std::path::Path)) -> super::AuditRow {
        let fx = Fixture::new(&model_files());
        let dir = tempfile::tempdir().unwrap();
        let cache = HfCache::new(dir.path());
        let pulled = fx.pull(&cache, Destination::Cache).await.unwrap();
        tamper(&pulled.path);
        let [snap] = cache.snapshots().try_into().unwrap();
        audit_snapshot(&cache, &snap, "model.sig", &Trust::Anchor(fx.anchor.clone()), &[])
    }

    #[tokio::test]
    async fn a_pulled_snapshot_audits_verified() {
        let row = audit_after(|_| {}).await;
        assert_eq!(row.verdict, Verdict::Verified, "{}", row.detail);
        assert_eq!(row.files_checked, model_files().len());
        assert_eq!(row.refs, ["main"]);
    }

    #[tokio::test]
    async fn a_blob_modified_after_the_pull_audits_tampered_naming_the_file() {
        let row = audit_after(|snapshot| {
            flip_first_byte(&fs_err::canonicalize(snapshot.join("config.json")).unwrap());
        })
        .await;
        assert_eq!(row.verdict, Verdict::Tampered, "{}", row.detail);
        assert_eq!(row.modified, ["config.json"]);
        assert_eq!(row.files_match, Some(false));
    }
}

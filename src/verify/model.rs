//! Compares a model on disk with a verified statement: hashes the files with the statement's
//! own serialization settings and names every modified, missing and unexpected file.

use super::VerifiedStatement;
use crate::manifest::{
    GIT_PATHS, ManifestError, ModelKind, ResourceDigest, Serialization, SymlinkPolicy, WalkOptions,
    hash_files, shard_file_name, walk,
};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Whether files the signature does not cover fail verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UnsignedFiles {
    #[default]
    Reject,
    /// Only the listed files are hashed; others are neither read nor reported.
    Ignore,
}

/// Caller's settings for the comparison (the bundle supplies the rest).
#[derive(Debug, Clone, Default)]
pub struct ModelCheck {
    /// Extra model-relative ignore paths (user's `--ignore-paths`, the signature file inside the model).
    pub ignore_paths: Vec<String>,
    /// Whether the top-level git paths are ignored (unless the signature covers them) or
    /// compared like any other file.
    pub git_paths: crate::manifest::GitPaths,
    pub unsigned: UnsignedFiles,
    /// Which symbolic links are followed.
    pub links: Links,
    /// Where followed symlinks may point (default: inside the model).
    pub symlink_root: Option<std::path::PathBuf>,
    /// Whether every signed file must be there ([`Coverage::Complete`]), or only the files that
    /// are there are checked (a snapshot a partial pull made).
    pub coverage: Coverage,
}

/// Which symbolic links a comparison follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Links {
    /// As the signature's `allow_symlinks` says (model_signing's rule for a model directory).
    #[default]
    AsSigned,
    /// File links are followed even if the signer did not (`--allow-symlinks`).
    Follow,
    /// A cache snapshot: the cache's own rule, whatever the signature says (hubsign decides
    /// what a snapshot may hold, not whoever wrote the signature).
    Snapshot(SymlinkPolicy),
}

impl ModelCheck {
    /// The check of a cache snapshot: unsigned files fail; links are followed only where the
    /// cache is made of them (`links_into`: the folder they may lead into, HF's repository
    /// folder), and then only to files; `ignore_paths` are the snapshot's own (the signature).
    #[must_use]
    pub fn snapshot(
        links_into: Option<std::path::PathBuf>,
        coverage: Coverage,
        ignore_paths: Vec<String>,
    ) -> Self {
        Self {
            ignore_paths,
            git_paths: crate::manifest::GitPaths::Ignore,
            unsigned: UnsignedFiles::Reject,
            links: Links::Snapshot(if links_into.is_some() {
                SymlinkPolicy::FileLinksOnly
            } else {
                SymlinkPolicy::NoLinks
            }),
            symlink_root: links_into,
            coverage,
        }
    }
}

/// The outcome: data for the CLI to render as text or JSON.
#[derive(Debug, Clone, Serialize)]
pub struct VerificationReport {
    pub verified: bool,
    pub method: String,
    pub signer: String,
    /// The signer's stable identity (absent when the signature was not verified).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signer_id: Option<super::SignerId>,
    pub serialization: String,
    pub hash: String,
    /// Hex SHA-256 subject digest (JSON: `sha256:<hex>`, as `sign --json`, `digest` and the
    /// lock write it).
    #[serde(serialize_with = "sha256_prefixed")]
    pub subject_digest: Option<String>,
    pub files_checked: usize,
    /// Hex SHA-256 of the signature file's bytes as verified (when read from a file; JSON:
    /// `sha256:<hex>`).
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "sha256_prefixed")]
    pub signature_digest: Option<String>,
    pub modified: Vec<String>,
    pub missing: Vec<String>,
    pub unexpected: Vec<String>,
    pub warnings: Vec<String>,
    /// Attestation files (the claims file) that this signature lists as files of the model:
    /// checked as model files, never read as claims (a dataset may hold a `claims.jsonl` of
    /// its own).
    #[serde(skip)]
    pub signed_attestations: Vec<String>,
}

/// A hex SHA-256 as every JSON document hubsign writes spells it: `sha256:<hex>`.
#[expect(
    clippy::ref_option,
    reason = "serde's serialize_with passes the field by reference"
)]
fn sha256_prefixed<S: serde::Serializer>(hex: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    match hex {
        Some(h) => s.serialize_str(&format!("sha256:{h}")),
        None => s.serialize_none(),
    }
}

/// One file's resources, sorted by resource name: `(name, algorithm, digest)`, borrowed from
/// the statement or the hash results. A sorted `Vec` of borrows rather than a map of copies: a
/// one-entry `BTreeMap` allocates a whole node (~800 bytes) and the copies doubled it again,
/// which at 50,000 files was most of `verify`'s memory.
type Digests<'a> = Vec<(Cow<'a, str>, &'a str, &'a [u8])>;

/// Groups resources by file: `file → [(resource name, algorithm, digest)]`, sorted.
fn by_file<'a>(
    items: impl Iterator<Item = (&'a str, &'a str, &'a [u8])>,
) -> BTreeMap<Cow<'a, str>, Digests<'a>> {
    let mut out: BTreeMap<Cow<'a, str>, Digests<'a>> = BTreeMap::new();
    for (name, alg, digest) in items {
        out.entry(Cow::Borrowed(shard_file_name(name)))
            .or_insert_with(|| Vec::with_capacity(1))
            .push((Cow::Borrowed(name), alg, digest));
    }
    for d in out.values_mut() {
        if d.len() > 1 {
            d.sort();
        }
    }
    out
}

/// hubsign's own record of a `--local-dir` pull is skipped like the git paths, unless the signer
/// signed something there; never in a cache snapshot, which holds only what a pull placed there.
/// Anything else under its folder is part of the model — partial downloads an interrupted pull
/// keeps in its staging root too: `verify` never passes over bytes nobody signed (`sign` leaves
/// them out and records that it did).
fn own_paths<K: AsRef<str>>(model: &Path, check: &ModelCheck, signed: &[K]) -> Vec<String> {
    if matches!(check.links, Links::Snapshot(_)) {
        return Vec::new();
    }
    let mut own = crate::manifest::hubsign_own_paths(model);
    own.retain(|own| own.as_str() == crate::manifest::HUBSIGN_RECORD);
    own.retain(|own| {
        !signed.iter().any(|f| {
            let f = f.as_ref();
            f == own || f.strip_prefix(own.as_str()).is_some_and(|r| r.starts_with('/'))
        })
    });
    own
}

/// Hashes `model` as the statement says and compares.
pub fn check_model(
    model: &Path,
    verified: &VerifiedStatement,
    check: &ModelCheck,
) -> Result<VerificationReport, ManifestError> {
    check_model_hashed(model, verified, check).map(|(report, _, _)| report)
}

/// Like [`check_model`], also returning what was hashed (resources, and the files with their
/// paths) so a caller can use the digests without reading the model twice.
pub fn check_model_hashed(
    model: &Path,
    verified: &VerifiedStatement,
    check: &ModelCheck,
) -> Result<
    (
        VerificationReport,
        Vec<ResourceDigest>,
        Vec<crate::manifest::ModelFile>,
    ),
    ManifestError,
> {
    let st = &verified.statement;
    let ser = &st.serialization;
    let expected = by_file(
        st.resources
            .iter()
            .map(|r| (r.name.as_str(), r.algorithm.as_str(), r.digest.as_slice())),
    );

    // 1. Ignore set: what the signer ignored, what the caller adds, and the git paths unless the
    //    signature covers them (a signer may have used --no-ignore-git-paths).
    let mut ignore: BTreeSet<String> = ser.ignore_paths.iter().cloned().collect();
    ignore.extend(check.ignore_paths.iter().cloned());
    if check.git_paths == crate::manifest::GitPaths::Ignore {
        for git in GIT_PATHS {
            let covered = expected
                .keys()
                .any(|f| f == git || f.starts_with(&format!("{git}/")));
            if !covered {
                ignore.insert(git.to_owned());
            }
        }
    }
    let signed: Vec<&str> = expected.keys().map(AsRef::as_ref).collect();
    ignore.extend(own_paths(model, check, &signed));
    let options = WalkOptions {
        git_paths: crate::manifest::GitPaths::Include,
        own_folder: crate::manifest::OwnFolder::Include,
        ignore_paths: ignore.into_iter().collect(),
        symlinks: match check.links {
            Links::Snapshot(policy) => policy,
            Links::Follow => SymlinkPolicy::Follow,
            Links::AsSigned if ser.symlinks == crate::manifest::Symlinks::Follow => SymlinkPolicy::Follow,
            Links::AsSigned => SymlinkPolicy::Refuse,
        },
        symlink_root: check.symlink_root.clone(),
    };
    // 2. Enumerate. A single-file model is resource `.`; accept the OMS spec's basename too.
    let mut listing = walk(model, &options)?;
    let mut expected = expected;
    if listing.kind == ModelKind::SingleFile && !expected.contains_key(".") && expected.len() == 1 {
        let base = model.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if let Some(digests) = expected.remove(base) {
            let renamed = digests
                .into_iter()
                .map(|(n, alg, d)| (Cow::Owned(n.replacen(base, ".", 1)), alg, d))
                .collect();
            expected.insert(Cow::Borrowed("."), renamed);
        }
    }
    if check.unsigned == UnsignedFiles::Ignore {
        listing.files.retain(|f| expected.contains_key(f.name.as_str()));
    }
    if check.coverage == Coverage::Present {
        let here: BTreeSet<&str> = listing.files.iter().map(|f| f.name.as_str()).collect();
        expected.retain(|file, _| here.contains(file.as_ref()));
    }
    // 3. Hash with the signer's method and hash function. In shard mode only files with the
    //    number of shards the signature lists for them are hashed: a file of another size is
    //    modified (or unexpected) as it stands, so a statement with a tiny shard size cannot
    //    make the verifier create a task per byte of a large file it does not cover.
    let (to_hash, wrong_size) = split_by_shard_count(&listing.files, &expected, ser.method);
    let actual_resources = hash_files(&to_hash, ser.method, ser.hash)?;
    let mut actual = by_file(
        actual_resources
            .iter()
            .map(|r| (r.name.as_str(), r.algorithm.as_str(), r.digest.as_slice())),
    );
    // In shards mode an empty file has no resource; it still exists on disk.
    if matches!(ser.method, Serialization::Shards { .. }) {
        for f in to_hash.iter() {
            actual.entry(Cow::Borrowed(f.name.as_str())).or_default();
        }
    }
    // 4. Compare file by file.
    let Comparison {
        mut modified,
        missing,
        mut unexpected,
    } = compare_grouped(&expected, &actual);
    for f in wrong_size {
        if expected.contains_key(f.name.as_str()) {
            modified.push(f.name.clone());
        } else if f.len > 0 {
            unexpected.push(f.name.clone());
        }
    }
    modified.sort();
    unexpected.sort();
    let verified_ok = modified.is_empty() && missing.is_empty() && unexpected.is_empty();
    let report = VerificationReport {
        signed_attestations: Vec::new(),
        verified: verified_ok,
        method: verified.method.to_owned(),
        signer: verified.signer.clone(),
        signer_id: (verified.method != super::UNVERIFIED).then(|| verified.signer_id.clone()),
        serialization: match ser.method {
            Serialization::Files => "files".to_owned(),
            Serialization::Shards { shard_size } => format!("shards ({shard_size} bytes)"),
        },
        hash: ser.hash.as_str().to_owned(),
        // Legacy statements carry none: the digest a subject would carry, as `digest` prints.
        subject_digest: Some(hex::encode(verified.subject_digest())),
        files_checked: listing.files.len(),
        signature_digest: None,
        modified,
        missing,
        unexpected,
        warnings: verified.warnings.clone(),
    };
    Ok((report, actual_resources, listing.files))
}

/// The files worth hashing, and (shard mode) those whose shard count differs from what the
/// signature lists for them: modified or unexpected as they stand.
fn split_by_shard_count<'f>(
    files: &'f [crate::manifest::ModelFile],
    expected: &BTreeMap<Cow<'_, str>, Digests<'_>>,
    method: Serialization,
) -> (
    Cow<'f, [crate::manifest::ModelFile]>,
    Vec<&'f crate::manifest::ModelFile>,
) {
    let Serialization::Shards { shard_size } = method else {
        return (Cow::Borrowed(files), Vec::new());
    };
    let shards = |len: u64| {
        if len == 0 {
            0
        } else {
            (len - 1) / shard_size.max(1) + 1
        }
    };
    let (fits, other): (Vec<&crate::manifest::ModelFile>, Vec<&crate::manifest::ModelFile>) =
        files.iter().partition(|f| {
            let signed = expected.get(f.name.as_str()).map_or(0, Vec::len);
            shards(f.len) == signed as u64
        });
    (Cow::Owned(fits.into_iter().cloned().collect()), other)
}

/// Files that differ between a signed manifest and what was hashed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Comparison {
    pub modified: Vec<String>,
    pub missing: Vec<String>,
    pub unexpected: Vec<String>,
}

impl Comparison {
    pub fn is_match(&self) -> bool {
        self.modified.is_empty() && self.missing.is_empty() && self.unexpected.is_empty()
    }

    /// `modified: a, b; missing: c; unexpected: d`, for messages.
    #[must_use]
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        for (label, files) in [
            ("modified", &self.modified),
            ("missing", &self.missing),
            ("unexpected", &self.unexpected),
        ] {
            if !files.is_empty() {
                parts.push(format!("{label}: {}", files.join(", ")));
            }
        }
        parts.join("; ")
    }
}

/// The files a report found different, for an error that carries them (a failed report's
/// other facts are not needed there).
impl From<VerificationReport> for Comparison {
    fn from(report: VerificationReport) -> Self {
        Self {
            modified: report.modified,
            missing: report.missing,
            unexpected: report.unexpected,
        }
    }
}

fn compare_grouped(
    expected: &BTreeMap<Cow<'_, str>, Digests<'_>>,
    actual: &BTreeMap<Cow<'_, str>, Digests<'_>>,
) -> Comparison {
    let mut c = Comparison::default();
    for (file, want) in expected {
        match actual.get(file) {
            None => c.missing.push(file.to_string()),
            Some(got) if got != want => c.modified.push(file.to_string()),
            Some(_) => {}
        }
    }
    for (file, got) in actual {
        // An empty file has no shard, so shard manifests cannot list it (model_signing agrees).
        if !expected.contains_key(file) && !got.is_empty() {
            c.unexpected.push(file.to_string());
        }
    }
    c
}

/// The digests a verified statement signs for each file, to check one file as soon as its own
/// bytes are hashed (the whole manifest is still proven by [`prove`] before a commit): a file
/// whose resources are exactly these is authentic, whatever the other files turn out to be.
#[derive(Debug)]
pub struct SignedDigests {
    files: FileDigests,
}

impl SignedDigests {
    #[must_use]
    pub fn of(verified: &VerifiedStatement) -> Self {
        Self {
            files: FileDigests::owned(by_file(
                verified
                    .statement
                    .resources
                    .iter()
                    .map(|r| (r.name.as_str(), r.algorithm.as_str(), r.digest.as_slice())),
            )),
        }
    }

    /// Whether `resources` (all of one file) are exactly what the statement signs for `file`.
    #[must_use]
    pub fn signs(&self, file: &str, resources: &[ResourceDigest]) -> bool {
        self.files.matches(file, resources)
    }
}

/// [`by_file`]'s grouping, owned: what one file's resources are held against, file by file.
#[derive(Debug)]
struct FileDigests(BTreeMap<String, Vec<(String, String, Vec<u8>)>>);

impl FileDigests {
    fn owned(grouped: BTreeMap<Cow<'_, str>, Digests<'_>>) -> Self {
        Self(
            grouped
                .into_iter()
                .map(|(file, digests)| {
                    let owned = digests
                        .into_iter()
                        .map(|(n, alg, d)| (n.into_owned(), alg.to_owned(), d.to_vec()))
                        .collect();
                    (file.into_owned(), owned)
                })
                .collect(),
        )
    }

    /// Whether `resources` (all of one file) are exactly the ones held for `file`.
    fn matches(&self, file: &str, resources: &[ResourceDigest]) -> bool {
        let mut got: Vec<(String, String, Vec<u8>)> = resources
            .iter()
            .map(|r| (r.name.clone(), r.algorithm.clone(), r.digest.clone()))
            .collect();
        got.sort();
        self.0.get(file).is_some_and(|want| *want == got)
    }
}

/// Evidence that a set of hashed files matches a verified statement. Only [`prove`] makes one,
/// so code that needs it (committing to a cache) cannot run before verification.
#[derive(Debug)]
pub struct ManifestProof {
    files: FileDigests,
    coverage: Coverage,
}

impl ManifestProof {
    /// Whether every file the signature covers was proven (not just those present).
    pub fn is_complete(&self) -> bool {
        self.coverage == Coverage::Complete
    }

    /// The claims file at `path` joins the proof beside the signature, as the signature does:
    /// no part of the model, its bytes the ones the pull fetched and checked line by line with
    /// [`check_claims`](super::claims::check_claims) before any weight (the pull plan is the
    /// only caller, within the crate).
    #[must_use]
    pub(crate) fn with_claims(mut self, path: &str) -> Self {
        self.files.0.entry(path.to_owned()).or_default();
        self
    }

    /// Whether `resources` (all of one file) are exactly what was proven for `file`.
    pub fn covers(&self, file: &str, resources: &[ResourceDigest]) -> bool {
        self.files.matches(file, resources)
    }
}

/// How much of the signed manifest a set of hashed files must cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Coverage {
    /// Every signed file (a whole model, a complete snapshot).
    #[default]
    Complete,
    /// Only the files present (a partial pull): each must be signed and match exactly; signed
    /// files not present are not asked for.
    Present,
}

/// Compares hashed resources with the statement; every signed file must be present (with
/// [`Coverage::Complete`]), and every present file must be signed and match. `present` lists
/// every hashed file (so empty files count in shard mode).
pub fn prove(
    verified: &VerifiedStatement,
    actual: &[ResourceDigest],
    present: &[&str],
    signature: Option<&str>,
    coverage: Coverage,
) -> Result<ManifestProof, Comparison> {
    let st = &verified.statement;
    let mut expected = by_file(
        st.resources
            .iter()
            .map(|r| (r.name.as_str(), r.algorithm.as_str(), r.digest.as_slice())),
    );
    if coverage == Coverage::Present {
        let present: std::collections::BTreeSet<&str> = present.iter().copied().collect();
        expected.retain(|file, _| present.contains(file.as_ref()));
    }
    let mut got = by_file(
        actual
            .iter()
            .map(|r| (r.name.as_str(), r.algorithm.as_str(), r.digest.as_slice())),
    );
    for f in present {
        got.entry(Cow::Borrowed(*f)).or_default();
    }
    let c = compare_grouped(&expected, &got);
    if !c.is_match() {
        return Err(c);
    }
    // The signature file is proven by the verification of the statement it carries.
    if let Some(sig) = signature {
        got.entry(Cow::Borrowed(sig)).or_default();
    }
    Ok(ManifestProof {
        files: FileDigests::owned(got),
        coverage,
    })
}

#[cfg(test)]
mod tests {
    use super::{Comparison, VerificationReport};

    #[test]
    fn a_report_gives_the_comparison_of_its_three_lists() {
        let names = |n: &str| vec![n.to_owned()];
        let report = VerificationReport {
            signed_attestations: Vec::new(),
            verified: false,
            method: "key".to_owned(),
            signer: String::new(),
            signer_id: None,
            serialization: "files".to_owned(),
            hash: "sha256".to_owned(),
            subject_digest: None,
            files_checked: 3,
            signature_digest: None,
            modified: names("a"),
            missing: names("b"),
            unexpected: names("c"),
            warnings: names("w"),
        };
        let c = Comparison::from(report);
        assert_eq!(c.summary(), "modified: a; missing: b; unexpected: c");
        assert!(!c.is_match());
    }
}

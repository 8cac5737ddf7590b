//! A model's record for a reader: its claims (`claims.jsonl`) read safely, summarised per
//! predicate type for reports (`verify`, `inspect`, `audit`), and the lineage the trusted
//! `derived-from` claims spell across cached models.
//!
//! This module owns reading the claims file (capped, never through a symbolic link unless a
//! cache made of links keeps it inside its folder) and the summaries' shape, which `--json`
//! output carries under stable names. It never prints and never decides trust: whose claims
//! count is the caller's list of anchors, checked by [`crate::verify::claims`].

use crate::oms::bundle::Bundle;
use crate::oms::claim::{DERIVED_FROM_PREDICATE, EVAL_RESULT_PREDICATE, MODEL_CARD_PREDICATE};
use crate::oms::statement::SignedStatement;
use crate::verify::claims::{CheckedClaim, ClaimSigner, check_claims};
use crate::verify::{SignerClaim, SignerId, TrustAnchor};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// How many `derived-from` steps are followed from one model (a longer chain is cut there).
pub const MAX_LINEAGE_DEPTH: usize = 32;

/// Checks a claims file's bytes (read from `path`) against the model's root digest and the
/// anchors whose claims count, the model's own signer first.
///
/// # Errors
/// [`crate::Error::Claims`] naming the file, its source naming the line.
pub fn check_claims_file(
    path: &Path,
    bytes: &[u8],
    model_root: [u8; 32],
    trusted: &[TrustAnchor],
) -> crate::Result<Vec<CheckedClaim>> {
    check_claims(bytes, model_root, trusted).map_err(|source| crate::Error::Claims {
        path: path.to_path_buf(),
        source,
    })
}

/// One metric of an evaluation result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MetricResult {
    pub metric: String,
    pub comparator: String,
    /// A decimal string, as the predicate writes it.
    pub threshold: String,
    /// `None` when the predicate does not say.
    pub passed: Option<bool>,
}

/// What a claim says, for the predicate types hubsign knows; JSON tags it with `kind`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum PredicateSummary {
    /// A Hugging Face model card's front matter.
    ModelCard {
        license: Option<String>,
        base_model: Vec<String>,
        datasets: Vec<String>,
        pipeline_tag: Option<String>,
        /// How many metrics the `model-index` evaluation results list.
        evals: usize,
    },
    /// An in-toto evaluation result.
    EvalResult {
        suite: Option<String>,
        suite_version: Option<String>,
        metrics: Vec<MetricResult>,
    },
    /// Lineage: the base model this one was derived from.
    DerivedFrom {
        name: Option<String>,
        /// `sha256:<hex>` (absent when the predicate carries no usable digest).
        digest: Option<String>,
        uri: Option<String>,
    },
    /// A predicate type hubsign does not summarise.
    Other,
}

impl PredicateSummary {
    /// Reads the parts a report shows; anything missing or of another shape is left out.
    #[must_use]
    pub fn of(predicate_type: &str, predicate: &Value) -> Self {
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
        match predicate_type {
            MODEL_CARD_PREDICATE => Self::ModelCard {
                license: text(predicate.get("license")),
                base_model: strings(predicate.get("base_model")),
                datasets: strings(predicate.get("datasets")),
                pipeline_tag: text(predicate.get("pipeline_tag")),
                evals: model_index_metrics(predicate.get("model-index")),
            },
            EVAL_RESULT_PREDICATE => Self::EvalResult {
                suite: text(predicate.pointer("/suite/name")),
                suite_version: text(predicate.pointer("/suite/version")),
                metrics: predicate
                    .get("claims")
                    .and_then(Value::as_array)
                    .map(|claims| claims.iter().map(metric).collect())
                    .unwrap_or_default(),
            },
            DERIVED_FROM_PREDICATE => Self::DerivedFrom {
                name: text(predicate.pointer("/base/name")),
                digest: predicate
                    .pointer("/base/digest/sha256")
                    .and_then(Value::as_str)
                    .and_then(parse_digest)
                    .map(|d| format!("sha256:{}", hex::encode(d))),
                uri: text(predicate.pointer("/base/uri")),
            },
            _ => Self::Other,
        }
    }
}

impl std::fmt::Display for PredicateSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ModelCard {
                license,
                base_model,
                datasets,
                pipeline_tag,
                evals,
            } => {
                let mut parts = vec![format!("license {}", license.as_deref().unwrap_or("not given"))];
                if !base_model.is_empty() {
                    parts.push(format!("base model {}", base_model.join(", ")));
                }
                if !datasets.is_empty() {
                    parts.push(format!("datasets {}", datasets.join(", ")));
                }
                if let Some(tag) = pipeline_tag {
                    parts.push(format!("pipeline {tag}"));
                }
                parts.push(format!(
                    "{evals} evaluation result{}",
                    if *evals == 1 { "" } else { "s" }
                ));
                f.write_str(&parts.join(", "))
            }
            Self::EvalResult {
                suite,
                suite_version,
                metrics,
            } => {
                let shown: Vec<String> = metrics
                    .iter()
                    .map(|m| {
                        let verdict = match m.passed {
                            Some(true) => "passed",
                            Some(false) => "failed",
                            None => "no verdict",
                        };
                        format!("{} {} {} {verdict}", m.metric, m.comparator, m.threshold)
                    })
                    .collect();
                if shown.is_empty() {
                    f.write_str("no metrics")?;
                } else {
                    f.write_str(&shown.join(", "))?;
                }
                if let Some(name) = suite {
                    write!(f, " (suite {name}")?;
                    if let Some(v) = suite_version {
                        write!(f, " {v}")?;
                    }
                    f.write_str(")")?;
                }
                Ok(())
            }
            Self::DerivedFrom { name, digest, uri } => {
                write!(
                    f,
                    "derived from {} {}",
                    name.as_deref().unwrap_or("a model"),
                    digest.as_deref().unwrap_or("(no digest)")
                )?;
                if let Some(u) = uri {
                    write!(f, " ({u})")?;
                }
                Ok(())
            }
            Self::Other => f.write_str("not summarised"),
        }
    }
}

/// A string or a list of strings (the model card writes both).
fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        _ => Vec::new(),
    }
}

/// The number of metrics in a `model-index` (`[{results: [{metrics: [...]}]}]`).
fn model_index_metrics(v: Option<&Value>) -> usize {
    let models = v.and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    models
        .iter()
        .filter_map(|m| m.get("results").and_then(Value::as_array))
        .flatten()
        .filter_map(|r| r.get("metrics").and_then(Value::as_array))
        .map(Vec::len)
        .sum()
}

fn metric(claim: &Value) -> MetricResult {
    let text = |key: &str| match claim.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    MetricResult {
        metric: text("metric"),
        comparator: text("comparator"),
        threshold: text("threshold"),
        passed: claim.get("passed").and_then(Value::as_bool),
    }
}

/// A root digest written `sha256:<hex>` or as bare hex (64 digits, any case).
#[must_use]
pub fn parse_digest(text: &str) -> Option<[u8; 32]> {
    let hex_digits = text.strip_prefix("sha256:").unwrap_or(text);
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex_digits, &mut out).ok()?;
    Some(out)
}

/// One claim as reports show it (JSON names are stable: `line`, `digest`, `predicateType`,
/// `trusted`, `signer`, `signer_id`, `named`, `summary`).
#[derive(Debug, Clone, Serialize)]
pub struct ClaimSummary {
    /// Its line in the claims file (1-based).
    pub line: usize,
    /// `sha256:<hex>` of the line's bytes.
    pub digest: String,
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    /// Whether a trusted signer made it (only such claims count).
    pub trusted: bool,
    /// The trusted signer, or `untrusted signer` followed by what the bundle names.
    pub signer: String,
    /// The trusted signer's stable identity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signer_id: Option<SignerId>,
    /// What the bundle says about its signer (unverified).
    pub named: SignerClaim,
    pub summary: PredicateSummary,
}

impl ClaimSummary {
    #[must_use]
    pub fn of(claim: &CheckedClaim) -> Self {
        let (signer, signer_id) = match &claim.signer {
            ClaimSigner::Trusted {
                signer, signer_id, ..
            } => (signer.clone(), Some(signer_id.clone())),
            ClaimSigner::Untrusted => (format!("untrusted signer ({})", claim.named.short()), None),
        };
        Self {
            line: claim.line,
            digest: format!("sha256:{}", claim.digest),
            predicate_type: claim.statement.predicate_type.clone(),
            trusted: claim.is_trusted(),
            signer,
            signer_id,
            named: claim.named.clone(),
            summary: PredicateSummary::of(&claim.statement.predicate_type, &claim.statement.predicate),
        }
    }

    /// A short name of the predicate type: `model-card`, `eval-result`, `derived-from`, or the
    /// URI itself.
    #[must_use]
    pub fn kind(&self) -> &str {
        match self.predicate_type.as_str() {
            MODEL_CARD_PREDICATE => "model-card",
            EVAL_RESULT_PREDICATE => "eval-result",
            DERIVED_FROM_PREDICATE => "derived-from",
            other => other,
        }
    }

    /// The base digest of a trusted lineage claim.
    #[must_use]
    pub fn trusted_base(&self) -> Option<&str> {
        match &self.summary {
            PredicateSummary::DerivedFrom { digest: Some(d), .. } if self.trusted => Some(d),
            _ => None,
        }
    }
}

/// The root digest a statement signs (for a legacy statement without a subject, the SHA-256 over
/// its resources in order), read without verifying it: what claims about the model name.
#[must_use]
pub fn statement_root(statement: &SignedStatement) -> [u8; 32] {
    statement
        .subject_digest
        .as_deref()
        .and_then(|d| d.try_into().ok())
        .unwrap_or_else(|| {
            crate::manifest::root_digest(statement.resources.iter().map(|r| r.digest.as_slice()))
        })
}

/// A model (a cached snapshot) as a lineage node: its root digest and its claims.
#[derive(Debug, Clone, Serialize)]
pub struct LineageNode {
    /// `hf:org/name@commit`, a path, …: how a report names it.
    pub reference: String,
    pub path: PathBuf,
    /// `sha256:<hex>`.
    pub root: String,
    pub claims: Vec<ClaimSummary>,
}

impl LineageNode {
    /// The bases its trusted lineage claims name.
    pub fn trusted_bases(&self) -> impl Iterator<Item = &str> {
        self.claims.iter().filter_map(ClaimSummary::trusted_base)
    }
}

/// Every node whose trusted lineage reaches `base` (`sha256:<hex>`), through any number of
/// steps up to [`MAX_LINEAGE_DEPTH`], with its chain: the root digests from the node down to
/// `base` (both ends included). Nodes are listed nearest first; cycles end where they repeat.
#[must_use]
pub fn descendants(nodes: &[LineageNode], base: &str) -> Vec<(usize, Vec<String>)> {
    let mut found: Vec<(usize, Vec<String>)> = Vec::new();
    let mut seen_roots: BTreeSet<String> = BTreeSet::from([base.to_owned()]);
    // Breadth first from the base: each round, the nodes whose trusted bases are a root found
    // in the round before.
    let mut frontier: Vec<Vec<String>> = vec![vec![base.to_owned()]];
    for _ in 0..MAX_LINEAGE_DEPTH {
        let mut next = Vec::new();
        for chain in &frontier {
            let Some(parent) = chain.first() else { continue };
            for (i, node) in nodes.iter().enumerate() {
                // The base itself is no descendant of itself, even through a cycle.
                let listed = node.root == base || found.iter().any(|(j, _)| *j == i);
                if listed || !node.trusted_bases().any(|b| b == parent) {
                    continue;
                }
                let mut longer = vec![node.root.clone()];
                longer.extend(chain.iter().cloned());
                found.push((i, longer.clone()));
                if seen_roots.insert(node.root.clone()) {
                    next.push(longer);
                }
            }
        }
        if next.is_empty() {
            break;
        }
        frontier = next;
    }
    found
}

/// One step of a model's lineage as `inspect` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct LineageStep {
    /// 1 for the model's own base, 2 for that base's base, …
    pub depth: usize,
    /// `sha256:<hex>` of the model the claim is about.
    pub model: String,
    /// `sha256:<hex>` of the base (absent when the claim carries none).
    pub base: Option<String>,
    pub name: Option<String>,
    pub uri: Option<String>,
    /// The claim's line in that model's claims file.
    pub line: usize,
    pub trusted: bool,
    pub signer: String,
    /// The cached snapshot whose root digest is the base, if one is cached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cached: Option<String>,
}

/// The lineage chain from a model's lineage claims (`root`, `claims`): each claim is a step
/// (trusted or not); only trusted steps are followed into cached nodes whose root is the base,
/// up to [`MAX_LINEAGE_DEPTH`], each root once.
#[must_use]
pub fn lineage_chain(root: &str, claims: &[ClaimSummary], nodes: &[LineageNode]) -> Vec<LineageStep> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::from([root.to_owned()]);
    let mut level: Vec<(String, Vec<ClaimSummary>)> = vec![(root.to_owned(), claims.to_vec())];
    for depth in 1..=MAX_LINEAGE_DEPTH {
        let mut next = Vec::new();
        for (model, claims) in &level {
            for c in claims {
                let PredicateSummary::DerivedFrom { name, digest, uri } = &c.summary else {
                    continue;
                };
                let cached = digest.as_ref().and_then(|d| nodes.iter().find(|n| n.root == *d));
                out.push(LineageStep {
                    depth,
                    model: model.clone(),
                    base: digest.clone(),
                    name: name.clone(),
                    uri: uri.clone(),
                    line: c.line,
                    trusted: c.trusted,
                    signer: c.signer.clone(),
                    cached: cached.map(|n| n.reference.clone()),
                });
                if let (true, Some(node)) = (c.trusted, cached) {
                    if seen.insert(node.root.clone()) {
                        next.push((node.root.clone(), node.claims.clone()));
                    }
                }
            }
        }
        if next.is_empty() {
            break;
        }
        level = next;
    }
    out
}

/// The lineage node of a cached snapshot: its signature's root digest (read, not verified: the
/// claims are bound to it) and its claims checked for `trusted`. `None` when the snapshot has
/// no readable signature or its claims do not check out (a snapshot whose lineage cannot be
/// read is no link in anyone's chain).
#[must_use]
pub fn cached_node(
    reference: String,
    snapshot: &Path,
    signature_path: &str,
    links_within: Option<&Path>,
    trusted: &[TrustAnchor],
) -> Option<LineageNode> {
    let signature = snapshot.join(signature_path);
    if let Some(root) = links_within {
        crate::fsutil::resolve_inside(&signature, root)?;
    }
    let bytes = crate::fsutil::read_regular_capped(&signature, crate::fsutil::MAX_SIGNATURE_BYTES).ok()?;
    let bundle = Bundle::parse(&bytes).ok()?;
    let statement = crate::oms::statement::parse_payload(&bundle.envelope.payload).ok()?;
    let root = statement_root(&statement);
    let path = crate::oms::claim::claims_path(&signature);
    let claims = match crate::verify::claims::read_claims_within(&path, links_within).ok()? {
        Some(b) => check_claims_file(&path, &b, root, trusted).ok()?,
        None => Vec::new(),
    };
    Some(LineageNode {
        reference,
        path: snapshot.to_path_buf(),
        root: format!("sha256:{}", hex::encode(root)),
        claims: claims.iter().map(ClaimSummary::of).collect(),
    })
}

/// Every cached snapshot of `cache` as a lineage node (see [`cached_node`]).
#[must_use]
pub fn cache_nodes<C: crate::cache::CacheLayout>(
    cache: &C,
    signature_path: &str,
    trusted: &[TrustAnchor],
) -> Vec<LineageNode> {
    cache
        .snapshots()
        .into_iter()
        .filter(|s| s.problem.is_none())
        .filter_map(|s| {
            let repo = s.repo.as_ref().ok()?;
            cached_node(
                format!("{}@{}", repo.canonical(), s.commit),
                &s.path,
                signature_path,
                cache.symlink_root(repo).as_deref(),
                trusted,
            )
        })
        .collect()
}

/// What `inspect` shows about a model: who signed it (verified only when the caller trusts
/// someone), when, what it holds, and its claims and lineage. Field names are stable (`--json`).
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    /// What was inspected (a path or a pinned reference).
    pub model: String,
    /// `sha256:<hex>` root digest the signature names.
    pub root_digest: String,
    /// What the signature names as its signer (unverified).
    pub signer: SignerClaim,
    /// Whether the signature verified for the signer the caller trusts (`false` when no one
    /// was named: then `signer` is only what the signature claims).
    pub verified: bool,
    /// The signer the signature verified for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified_signer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signer_id: Option<SignerId>,
    /// When it was signed (Unix seconds): a transparency log's integrated time; `None` when
    /// no log recorded it (a file's modification time is not a signing time).
    pub signed_at: Option<i64>,
    /// Files the signature lists.
    pub files: usize,
    /// Their total size in bytes on disk (`None` when some are not there).
    pub total_size: Option<u64>,
    pub claims: Vec<ClaimSummary>,
    pub lineage: Vec<LineageStep>,
}

/// What a record is made from, wherever the model is (a directory, a cached snapshot, or — once
/// fetched — a remote signature and claims).
#[derive(Debug)]
pub struct RecordInput<'a> {
    pub model: String,
    pub bundle: &'a Bundle,
    /// The claims file's bytes and where they came from (for error messages), if there is one.
    pub claims: Option<(&'a Path, &'a [u8])>,
    /// The model's own signer, when the caller names one.
    pub anchor: Option<&'a TrustAnchor>,
    /// Other signers whose claims count.
    pub claim_anchors: &'a [TrustAnchor],
    /// Where the files are on disk, to add up their sizes.
    pub files_at: Option<&'a Path>,
    /// Cached models the lineage is followed through.
    pub nodes: &'a [LineageNode],
}

/// Builds the record: the signature verified when an anchor is given, the claims checked
/// against the root digest it names (only anchors given make a claim trusted).
///
/// # Errors
/// [`crate::Error::MalformedSignature`], [`crate::Error::Verification`] (the anchor given does
/// not verify the signature), [`crate::Error::Claims`].
pub fn record(input: &RecordInput<'_>) -> crate::Result<Record> {
    let named = SignerClaim::of(input.bundle);
    let (statement, verified) = if let Some(anchor) = input.anchor {
        let v = crate::verify::verify_bundle(input.bundle, anchor).map_err(|source| {
            crate::Error::Verification {
                path: PathBuf::from(&input.model),
                source,
            }
        })?;
        (v.statement.clone(), Some(v))
    } else {
        let st = crate::oms::statement::parse_payload(&input.bundle.envelope.payload).map_err(|source| {
            crate::Error::MalformedSignature {
                path: PathBuf::from(&input.model),
                source,
            }
        })?;
        (st, None)
    };
    let root = statement_root(&statement);
    let root_text = format!("sha256:{}", hex::encode(root));
    let mut anchors: Vec<TrustAnchor> = input.anchor.into_iter().cloned().collect();
    anchors.extend(input.claim_anchors.iter().cloned());
    // A claims file the signature lists is a file of the model (a dataset's own), not claims.
    let listed = |path: &Path| {
        statement.resources.iter().any(|r| {
            let name = crate::manifest::shard_file_name(&r.name);
            name.ends_with(crate::oms::claim::CLAIMS_FILE) && path.ends_with(name)
        })
    };
    let claims: Vec<ClaimSummary> = match input.claims.filter(|(path, _)| !listed(path)) {
        Some((path, bytes)) => check_claims_file(path, bytes, root, &anchors)?
            .iter()
            .map(ClaimSummary::of)
            .collect(),
        None => Vec::new(),
    };
    let files: BTreeSet<&str> = statement
        .resources
        .iter()
        .map(|r| crate::manifest::shard_file_name(&r.name))
        .collect();
    let total_size = input.files_at.and_then(|at| files_size(at, &files));
    let lineage = lineage_chain(&root_text, &claims, input.nodes);
    Ok(Record {
        model: input.model.clone(),
        root_digest: root_text,
        verified: verified.is_some(),
        verified_signer: verified.as_ref().map(|v| v.signer.clone()),
        signer_id: verified.map(|v| v.signer_id),
        signed_at: named.integrated_time,
        signer: named,
        files: files.len(),
        total_size,
        claims,
        lineage,
    })
}

/// The total size of the listed files under `model` (a single-file model: the file itself).
fn files_size(model: &Path, files: &BTreeSet<&str>) -> Option<u64> {
    let meta = fs_err::metadata(model).ok()?;
    if meta.is_file() {
        return Some(meta.len());
    }
    files
        .iter()
        .map(|f| fs_err::metadata(model.join(f)).ok().map(|m| m.len()))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::{ClaimSummary, LineageNode, PredicateSummary, descendants, lineage_chain};
    use crate::oms::claim::{DERIVED_FROM_PREDICATE, EVAL_RESULT_PREDICATE, MODEL_CARD_PREDICATE};
    use crate::verify::claims::{read_claims, read_claims_within};
    use serde_json::json;

    fn lineage(root: char, bases: &[(char, bool)]) -> LineageNode {
        let digest = |c: char| format!("sha256:{}", c.to_string().repeat(64));
        LineageNode {
            reference: format!("hf:org/{root}"),
            path: std::path::PathBuf::new(),
            root: digest(root),
            claims: bases
                .iter()
                .enumerate()
                .map(|(i, (b, trusted))| ClaimSummary {
                    line: i + 1,
                    digest: String::new(),
                    predicate_type: DERIVED_FROM_PREDICATE.into(),
                    trusted: *trusted,
                    signer: String::new(),
                    signer_id: None,
                    named: crate::verify::SignerClaim::default(),
                    summary: PredicateSummary::DerivedFrom {
                        name: None,
                        digest: Some(digest(*b)),
                        uri: None,
                    },
                })
                .collect(),
        }
    }

    #[test]
    fn descendants_follow_trusted_lineage_through_levels_and_stop_at_cycles() {
        let a = format!("sha256:{}", "a".repeat(64));
        // b <- a, c <- b, d <- a (untrusted), e <- c, and a cycle c <- e.
        let nodes = [
            lineage('b', &[('a', true)]),
            lineage('c', &[('b', true), ('e', true)]),
            lineage('d', &[('a', false)]),
            lineage('e', &[('c', true)]),
            lineage('a', &[('e', true)]),
        ];
        let found = descendants(&nodes, &a);
        let names: Vec<usize> = found.iter().map(|(i, _)| *i).collect();
        assert_eq!(names, [0, 1, 3]);
        assert_eq!(found[1].1.len(), 3, "c -> b -> a");
        assert_eq!(found[2].1.len(), 4, "e -> c -> b -> a");
        let chain = lineage_chain(&nodes[3].root, &nodes[3].claims, &nodes);
        // e -> c, c -> b and c -> e (not followed again), b -> a, a -> e (not followed again).
        assert_eq!(chain.iter().map(|s| s.depth).collect::<Vec<_>>(), [1, 2, 2, 3, 4]);
        assert!(chain.iter().all(|s| s.cached.is_some()));
        let without_a = &nodes[..4];
        let chain = lineage_chain(&nodes[3].root, &nodes[3].claims, without_a);
        assert_eq!(chain.len(), 4);
        assert!(chain[3].cached.is_none(), "a is not cached");
    }

    #[test]
    fn known_predicates_are_summarised() {
        let card = PredicateSummary::of(
            MODEL_CARD_PREDICATE,
            &json!({"license": "mit", "base_model": "org/base", "datasets": ["d1", "d2"],
                    "model-index": [{"results": [{"metrics": [{}, {}]}, {"metrics": [{}]}]}]}),
        );
        assert_eq!(
            card.to_string(),
            "license mit, base model org/base, datasets d1, d2, 3 evaluation results"
        );
        let eval = PredicateSummary::of(
            EVAL_RESULT_PREDICATE,
            &json!({"suite": {"name": "glue", "version": "1"}, "claims": [
                {"metric": "accuracy", "comparator": ">=", "threshold": "0.9", "passed": true},
                {"metric": "f1", "comparator": ">=", "threshold": "0.8", "passed": false}]}),
        );
        assert_eq!(
            eval.to_string(),
            "accuracy >= 0.9 passed, f1 >= 0.8 failed (suite glue 1)"
        );
        let base = PredicateSummary::of(
            DERIVED_FROM_PREDICATE,
            &json!({"base": {"name": "org/base", "digest": {"sha256": "AB".repeat(32)}}}),
        );
        assert_eq!(
            base.to_string(),
            format!("derived from org/base sha256:{}", "ab".repeat(32))
        );
    }

    #[test]
    fn claims_are_never_read_through_a_link_or_from_a_non_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("real.jsonl");
        fs_err::write(&file, b"{}\n").unwrap();
        assert_eq!(read_claims(&file).unwrap().unwrap(), b"{}\n");
        assert!(read_claims(&dir.path().join("absent")).unwrap().is_none());
        let link = dir.path().join("claims.jsonl");
        fs_err::os::unix::fs::symlink(&file, &link).unwrap();
        let err = read_claims(&link).unwrap_err();
        assert!(err.to_string().contains("claims.jsonl"), "{err}");
        assert!(read_claims_within(&link, Some(dir.path())).unwrap().is_some());
        let sub = dir.path().join("sub");
        fs_err::create_dir(&sub).unwrap();
        assert!(read_claims(&sub).is_err(), "a directory is not a claims file");
    }
}

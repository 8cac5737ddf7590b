//! `hubsign inspect MODEL|REPO`: the record of a model for a person — who signed it (verified
//! only when a signer flag says whom to trust), when, its files, and its claims (licence,
//! evaluations, lineage through other cached models), each marked trusted or not. The record is
//! built by the core (`crate::record`) from the signature and the claims' bytes; this layer
//! finds them (a directory, or a snapshot in a local cache) and renders.

use super::block_on;
use super::{claim_line, short_signer};
use crate::ExitStatus;
use crate::cache::{CacheLayout, HfCache, KaggleCache, OciCache};
use crate::cli::args::InspectArgs;
use crate::cli::error::Result;
use crate::cli::settings::hub::{Remote, hf_cache, kagglehub_cache, oci_cache, with_remote};
use crate::cli::settings::signature_or_default;
use crate::cli::settings::trust::{TrustFlags, claims_anchors};
use crate::cli::{Output, diagnostics};
use crate::oms::bundle::Bundle;
use crate::record::{Record, RecordInput, cache_nodes};
use crate::reference::{HubKind, ModelRef};
use crate::verify::TrustAnchor;
use std::path::{Path, PathBuf};

/// Where the inspected model's files and signature are.
struct Located {
    name: String,
    files: PathBuf,
    signature: PathBuf,
    /// A cache made of links: the folder they may lead into.
    links_within: Option<PathBuf>,
}

pub fn run(args: &InspectArgs, out: Output) -> Result<ExitStatus> {
    let anchor = TrustFlags::inspect(args).anchor_if_given()?;
    let claim_anchors = claims_anchors(&args.claims)?;
    let hf = HfCache::new(hf_cache(args.cache_dir.as_deref()));
    let kaggle = KaggleCache::new(kagglehub_cache(args.kagglehub_cache.as_deref()));
    let oci = OciCache::new(oci_cache(args.oci_cache.as_deref()));
    let Read {
        at,
        bundle,
        claims_path,
        claims,
        listed,
    } = match locate(args, &hf, &kaggle, &oci) {
        Ok(at) => {
            let bundle = read_bundle(&at.signature, at.links_within.as_deref())?;
            let claims_path = crate::oms::claim::claims_path(&at.signature);
            let claims = crate::verify::claims::read_claims_within(&claims_path, at.links_within.as_deref())?;
            Read {
                at,
                bundle,
                claims_path,
                claims,
                listed: None,
            }
        }
        Err(NotLocal::Remote(repo)) => from_hub(args, &repo)?,
        Err(NotLocal::Failed(e)) => return Err(e),
    };
    // Lineage is followed through every cached model, its claims trusted for the same signers.
    let mut trusted: Vec<TrustAnchor> = anchor.iter().cloned().collect();
    trusted.extend(claim_anchors.iter().cloned());
    let mut nodes = cache_nodes(&hf, crate::hub::signature_path(HubKind::HuggingFace), &trusted);
    nodes.extend(cache_nodes(
        &kaggle,
        crate::hub::signature_path(HubKind::Kaggle),
        &trusted,
    ));
    nodes.extend(cache_nodes(
        &oci,
        crate::hub::signature_path(HubKind::Oci),
        &trusted,
    ));
    let record = crate::record::record(&RecordInput {
        model: at.name,
        bundle: &bundle,
        claims: claims.as_deref().map(|b| (claims_path.as_path(), b)),
        anchor: anchor.as_ref(),
        claim_anchors: &claim_anchors,
        files_at: listed.is_none().then_some(at.files.as_path()),
        nodes: &nodes,
    })?;
    let mut record = record;
    if let Some(tree) = &listed {
        record.total_size = listed_size(&bundle, tree);
    }
    if out.is_json() {
        outln!("{}", serde_json::to_string(&record).unwrap_or_default());
    } else if out.results() {
        render(&record, &claims_path);
    }
    Ok(ExitStatus::Success)
}

/// What the record is built from: the signature, the claims, and (from a hub) its listing.
struct Read {
    at: Located,
    bundle: Bundle,
    claims_path: PathBuf,
    claims: Option<Vec<u8>>,
    listed: Option<Vec<crate::hub::RemoteFile>>,
}

/// Why a model is not read from the local disk: it is to be asked from its hub, or it failed.
enum NotLocal {
    Remote(ModelRef),
    Failed(crate::cli::error::CliError),
}

impl<E: Into<crate::cli::error::CliError>> From<E> for NotLocal {
    fn from(e: E) -> Self {
        Self::Failed(e.into())
    }
}

/// A path that exists is a local model; anything else a reference, read from its cached
/// snapshot unless `--remote` is given or none is cached.
fn locate(
    args: &InspectArgs,
    hf: &HfCache,
    kaggle: &KaggleCache,
    oci: &OciCache,
) -> std::result::Result<Located, NotLocal> {
    let local = Path::new(&args.model);
    if fs_err::symlink_metadata(local).is_ok() {
        return Ok(Located {
            name: local.display().to_string(),
            files: local.to_path_buf(),
            signature: signature_or_default(args.signature.as_deref(), local),
            links_within: None,
        });
    }
    let repo = ModelRef::parse(&args.model, None).map_err(crate::Error::from)?;
    let revision = repo
        .revision
        .clone()
        .unwrap_or_else(|| repo.default_revision().to_owned());
    if args.remote {
        return Err(NotLocal::Remote(repo));
    }
    let cached = match repo.hub {
        HubKind::HuggingFace => snapshot(hf, &repo, &revision),
        HubKind::Kaggle => snapshot(kaggle, &repo, &revision),
        HubKind::Oci => snapshot(oci, &repo, &revision),
    };
    let (commit, path, links_within) = match cached {
        Ok(found) => found,
        Err(crate::cache::CacheError::NotCached { .. }) => return Err(NotLocal::Remote(repo)),
        Err(e) => return Err(crate::Error::from(e).into()),
    };
    Ok(Located {
        name: format!("{}@{commit}", repo.canonical()),
        signature: path.join(crate::hub::signature_path(repo.hub)),
        files: path,
        links_within,
    })
}

fn snapshot<C: CacheLayout>(
    cache: &C,
    repo: &ModelRef,
    revision: &str,
) -> std::result::Result<(String, PathBuf, Option<PathBuf>), crate::cache::CacheError> {
    let (commit, path) = cache.snapshot(repo, revision)?;
    Ok((commit, path, cache.symlink_root(repo)))
}

/// The signature and claims of `repo` as its hub holds them (no weight fetched), and the
/// listing.
fn from_hub(args: &InspectArgs, repo: &ModelRef) -> Result<Read> {
    let remote = Remote::resolve(
        repo,
        None,
        &args.kaggle,
        &args.registry,
        std::time::Duration::from_secs(args.timeout),
    )?;
    if remote.offline() {
        return Err(crate::Error::from(crate::cache::CacheError::NotCached {
            repo: repo.to_string(),
            revision: repo
                .revision
                .clone()
                .unwrap_or_else(|| repo.default_revision().to_owned()),
            cache: hf_cache(args.cache_dir.as_deref()),
        })
        .into());
    }
    let revision = repo
        .revision
        .clone()
        .unwrap_or_else(|| repo.default_revision().to_owned());
    let signature_path = crate::hub::signature_path(repo.hub);
    let claims_path = crate::hub::claims_path(repo.hub, signature_path);
    let got = with_remote!(&remote, |hub, _cache| block_on(crate::pull::fetch_attestations(
        &hub,
        repo,
        &revision,
        signature_path,
        claims_path.as_deref(),
    ))?);
    let bundle = Bundle::parse(&got.signature).map_err(|source| crate::Error::RemoteSignatureMalformed {
        repo: repo.to_string(),
        path: signature_path.to_owned(),
        source,
    })?;
    let claims_file = PathBuf::from(format!(
        "{}/{}",
        repo.canonical(),
        claims_path.as_deref().unwrap_or(crate::oms::claim::CLAIMS_FILE)
    ));
    let at = Located {
        name: format!("{}@{}", repo.canonical(), got.commit),
        files: PathBuf::new(),
        signature: PathBuf::from(signature_path),
        links_within: None,
    };
    Ok(Read {
        at,
        bundle,
        claims_path: claims_file,
        claims: got.claims,
        listed: Some(got.tree),
    })
}

/// The total size of the files a signature lists, as the hub's listing gives them.
fn listed_size(bundle: &Bundle, tree: &[crate::hub::RemoteFile]) -> Option<u64> {
    let statement = crate::oms::statement::parse_payload(&bundle.envelope.payload).ok()?;
    let signed: std::collections::BTreeSet<&str> = statement
        .resources
        .iter()
        .map(|r| crate::manifest::shard_file_name(&r.name))
        .collect();
    Some(
        tree.iter()
            .filter(|f| signed.contains(f.path.as_str()))
            .map(|f| f.size)
            .sum(),
    )
}

/// The signature: a regular file of a sane size (in a cache made of links, one leading inside
/// the repository's folder), holding a bundle.
fn read_bundle(path: &Path, links_within: Option<&Path>) -> Result<Bundle> {
    let outside = links_within.is_some_and(|root| crate::fsutil::resolve_inside(path, root).is_none());
    if outside && fs_err::symlink_metadata(path).is_ok() {
        return Err(crate::Error::ReadSignature {
            path: path.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "it points outside the repository's cache folder",
            ),
        }
        .into());
    }
    let bytes =
        crate::fsutil::read_regular_capped(path, crate::fsutil::MAX_SIGNATURE_BYTES).map_err(|source| {
            crate::Error::ReadSignature {
                path: path.to_path_buf(),
                source,
            }
        })?;
    Ok(
        Bundle::parse(&bytes).map_err(|source| crate::Error::MalformedSignature {
            path: path.to_path_buf(),
            source,
        })?,
    )
}

fn render(r: &Record, claims_path: &Path) {
    let p = diagnostics::printable;
    outln!("Model:    {}", p(&r.model));
    outln!("Root:     {}", r.root_digest);
    let signer = p(&short_signer(r.signer_id.as_ref(), &r.signer));
    if r.verified {
        outln!("Signer:   {signer} (verified)");
    } else {
        outln!("Signer:   {signer} (as the signature names it; not verified: no signer flag given)");
    }
    match r.signed_at.and_then(|t| u64::try_from(t).ok()) {
        Some(secs) => {
            let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
            outln!("Signed:   {} (transparency log)", httpdate::fmt_http_date(when));
        }
        None => outln!("Signed:   unknown (no transparency-log entry records when)"),
    }
    let size = r
        .total_size
        .map_or_else(|| "size unknown".to_owned(), super::staging::size);
    outln!("Files:    {}, {size}", diagnostics::count(r.files, "file"));
    let file = claims_path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let trusted = r.claims.iter().filter(|c| c.trusted).count();
    outln!(
        "Claims:   {} ({trusted} by a trusted signer)",
        diagnostics::count(r.claims.len(), "claim")
    );
    for c in &r.claims {
        outln!("  {}", claim_line(&file, c));
    }
    if !r.lineage.is_empty() {
        outln!("Lineage:");
        for s in &r.lineage {
            let indent = "  ".repeat(s.depth);
            let trust = if s.trusted {
                format!("trusted, by {}", p(&s.signer))
            } else {
                format!("{} — not followed", p(&s.signer))
            };
            let cached = s
                .cached
                .as_ref()
                .map_or_else(String::new, |c| format!(", cached as {}", p(c)));
            outln!(
                "{indent}derived from {} {} ({trust}{cached})",
                p(s.name.as_deref().unwrap_or("a model")),
                s.base.as_deref().unwrap_or("(no digest)")
            );
        }
    }
    if !r.verified && !r.claims.is_empty() {
        outln!(
            "hint: pass --public-key (or --certificate-chain, --identity) to verify the signer and count its claims"
        );
    }
}

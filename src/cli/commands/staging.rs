//! `hubsign staging`: what interrupted pulls keep beside each cache (and in local directories)
//! to resume, and `--clean` to remove what no running pull holds.

#![expect(clippy::print_stderr, reason = "the CLI is where output happens")]

use crate::ExitStatus;
use crate::cache::{
    HfCache, KaggleCache, KeptStaging, OciCache, clean_staging, list_staging, local_dir_staging_root,
    real_dir_below,
};
use crate::cli::error::{CliError, Result};
use crate::cli::settings::hub::{hf_cache, kagglehub_cache, oci_cache};
use crate::cli::{Output, args, diagnostics};
use serde_json::json;
use std::path::PathBuf;

pub fn run(args: &args::StagingArgs, out: Output) -> Result<ExitStatus> {
    // A directory named on the command line must be there: a typo must not pass as "nothing".
    let named = [
        ("--cache-dir", args.cache_dir.as_ref()),
        ("--kagglehub-cache", args.kagglehub_cache.as_ref()),
        ("--oci-cache", args.oci_cache.as_ref()),
    ]
    .into_iter()
    .chain(args.local_dir.iter().map(|d| ("--local-dir", Some(d))));
    for (flag, dir) in named {
        if let Some(d) = dir {
            if !fs_err::metadata(d).is_ok_and(|m| m.is_dir()) {
                return Err(CliError::NotADirectory {
                    flag,
                    path: d.clone(),
                });
            }
        }
    }
    let hf = HfCache::new(hf_cache(args.cache_dir.as_deref()));
    let kaggle = KaggleCache::new(kagglehub_cache(args.kagglehub_cache.as_deref()));
    let oci = OciCache::new(oci_cache(args.oci_cache.as_deref()));
    let mut roots: Vec<PathBuf> = vec![hf.staging_root(), kaggle.staging_root(), oci.staging_root()];
    // Each folder from DIR down to its staging root must be a real directory: a symlink there
    // (in a cloned repository, say) could point at the user's own folders.
    roots.extend(args.local_dir.iter().filter_map(|d| {
        let root = local_dir_staging_root(d);
        root.strip_prefix(d).ok().and_then(|rel| real_dir_below(d, rel))
    }));
    let mut rows: Vec<KeptStaging> = Vec::new();
    for root in &roots {
        if args.clean {
            rows.extend(clean_staging(root));
        } else {
            rows.extend(list_staging(root));
        }
    }
    let total: u64 = rows.iter().map(|r| r.bytes).sum();
    if out.is_json() {
        let folders: Vec<_> = rows
            .iter()
            .map(|r| {
                json!({
                    "path": r.path,
                    "repo": r.repo,
                    "commit": r.commit,
                    "bytes": r.bytes,
                    "age_seconds": r.age.map(|a| a.as_secs()),
                    "in_use": r.in_use,
                })
            })
            .collect();
        let key = if args.clean { "removed" } else { "staging" };
        outln!("{}", json!({ key: folders, "bytes": total }));
    } else if out.results() && !rows.is_empty() {
        outln!(
            "{:>10}  {:>6}  {:7}  REPOSITORY COMMIT  PATH",
            "SIZE",
            "AGE",
            "STATE"
        );
        for r in &rows {
            outln!(
                "{:>10}  {:>6}  {:7}  {} {}  {}",
                size(r.bytes),
                r.age.map_or_else(|| "-".to_owned(), |a| age(a.as_secs())),
                match (args.clean, r.in_use) {
                    (true, _) => "removed",
                    (false, true) => "in use",
                    (false, false) => "kept",
                },
                diagnostics::printable(r.repo.as_deref().unwrap_or("-")),
                diagnostics::printable(r.commit.as_deref().unwrap_or("-")),
                diagnostics::printable(&r.path.display().to_string())
            );
        }
    }
    if out.chatty() {
        let n = rows.len();
        let folders = if n == 1 { "folder" } else { "folders" };
        if args.clean {
            eprintln!("removed {n} staging {folders} ({})", size(total));
        } else {
            eprintln!(
                "{n} staging {folders} ({}) kept by interrupted or running pulls; the next pull of the same commit resumes from them",
                size(total)
            );
            if rows.iter().any(|r| !r.in_use) {
                eprintln!("hint: hubsign staging --clean removes those no running pull holds");
            }
        }
    }
    Ok(ExitStatus::Success)
}

pub(super) fn size(bytes: u64) -> String {
    #[expect(clippy::cast_precision_loss, reason = "a human-readable size")]
    let b = bytes as f64;
    if bytes >= 1 << 30 {
        format!("{:.1} GiB", b / f64::from(1u32 << 30))
    } else if bytes >= 1 << 20 {
        format!("{:.1} MiB", b / f64::from(1u32 << 20))
    } else if bytes >= 1 << 10 {
        format!("{:.1} KiB", b / 1024.0)
    } else {
        format!("{bytes} B")
    }
}

fn age(secs: u64) -> String {
    match secs {
        s if s >= 86400 => format!("{}d", s / 86400),
        s if s >= 3600 => format!("{}h", s / 3600),
        s if s >= 60 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

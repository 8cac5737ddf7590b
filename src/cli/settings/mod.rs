//! Arguments + environment → explicit settings for the core (the high half of ripgrep's low →
//! high args): each command resolves its settings here once, at its start, and then calls the
//! core with explicit values only. The only place that reads environment variables, key files
//! and passwords on behalf of the core. Never prints; holds no hub facts (file names, endpoints
//! and timeouts are the core's constants) and no output.

pub mod hub;
pub mod keys;
pub mod push;
pub mod trust;

use super::args::{HashArgs, HashChoice, VerifyArgs, WalkArgs};
use crate::Error;
use crate::cli::error::Result;
use crate::manifest::{
    GitPaths, HashAlgorithm, OwnFolder, Serialization, SymlinkPolicy, WalkOptions, resolve_ignore_path,
};
use crate::verify::{ModelCheck, UnsignedFiles};
use std::path::{Path, PathBuf};

/// Which files of `model` are walked: `ignore` (relative to the model, or absolute inside it),
/// the top-level git paths, and file symlinks.
pub fn walk_options(
    model: &Path,
    ignore: &[PathBuf],
    git_paths: GitPaths,
    symlinks: SymlinkPolicy,
) -> Result<WalkOptions> {
    let ignore_paths = ignore
        .iter()
        .map(|p| resolve_ignore_path(model, p))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Error::from)?;
    Ok(WalkOptions {
        git_paths,
        own_folder: OwnFolder::Ignore,
        ignore_paths,
        symlinks,
        symlink_root: None,
    })
}

/// [`walk_options`] as the walk flags say.
pub fn walk(args: &WalkArgs) -> Result<WalkOptions> {
    walk_options(
        &args.model,
        &args.ignore_paths,
        if args.no_ignore_git_paths {
            GitPaths::Include
        } else {
            GitPaths::Ignore
        },
        if args.allow_symlinks {
            SymlinkPolicy::Follow
        } else {
            SymlinkPolicy::Refuse
        },
    )
}

pub fn serialization(args: &HashArgs) -> (Serialization, HashAlgorithm) {
    let hash = match args.hash {
        HashChoice::Sha256 => HashAlgorithm::Sha256,
        HashChoice::Blake2b => HashAlgorithm::Blake2b,
        HashChoice::Blake3 => HashAlgorithm::Blake3,
    };
    let method = args
        .shard_size
        .map_or(Serialization::Files, |shard_size| Serialization::Shards {
            shard_size,
        });
    (method, hash)
}

/// `model.sig` inside a model directory, or beside a single-file model.
pub fn default_signature_path(model: &Path) -> PathBuf {
    const FILE: &str = crate::hub::huggingface::SIGNATURE_PATH;
    if model.is_dir() {
        model.join(FILE)
    } else {
        match model.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.join(FILE),
            _ => PathBuf::from(FILE),
        }
    }
}

/// The signature `--signature` names, else the default place for `model`.
pub fn signature_or_default(signature: Option<&Path>, model: &Path) -> PathBuf {
    signature.map_or_else(|| default_signature_path(model), Path::to_path_buf)
}

/// A small text file (a key, certificate, policy, PIN, token list): a regular file of at most
/// [`MAX_SMALL_FILE_BYTES`](crate::fsutil::MAX_SMALL_FILE_BYTES), opened so that a FIFO in
/// its place cannot hang the command.
pub fn read_text(path: &Path, what: &'static str) -> Result<String, Error> {
    let bytes = read_small(path, what)?;
    String::from_utf8(bytes).map_err(|e| Error::Io {
        action: what,
        path: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
    })
}

/// The bytes of a small regular file (see [`read_text`]).
pub fn read_small(path: &Path, what: &'static str) -> Result<Vec<u8>, Error> {
    crate::fsutil::read_regular_capped(path, crate::fsutil::MAX_SMALL_FILE_BYTES).map_err(|source| {
        Error::Io {
            action: what,
            path: path.to_path_buf(),
            source,
        }
    })
}

/// Where `hf` 2.x looks for extensions: `~/.local/share/hf/extensions` (`Path.expanduser`:
/// `HOME`).
pub fn hf_extensions_dir() -> Result<PathBuf, Error> {
    let home = crate::cli::embed::var_os("HOME")
        .filter(|h| !h.is_empty())
        .ok_or(Error::HfExtension(crate::hf_extension::ExtensionError::NoHome))?;
    Ok(Path::new(&home).join(".local/share/hf/extensions"))
}

/// Which files `verify` checks, and how.
pub fn model_check(args: &VerifyArgs) -> Result<ModelCheck> {
    let walk = walk(&args.walk)?;
    Ok(ModelCheck {
        ignore_paths: walk.ignore_paths,
        git_paths: walk.git_paths,
        unsigned: unsigned_files(args.ignore_unsigned_files),
        links: if walk.symlinks == SymlinkPolicy::Follow {
            crate::verify::Links::Follow
        } else {
            crate::verify::Links::AsSigned
        },
        symlink_root: None,
        coverage: crate::verify::Coverage::Complete,
    })
}

/// Where hash records live: `HUBSIGN_RECORD_DIR`, else `hubsign/records` in the user's cache
/// (`XDG_CACHE_HOME`, else `~/.cache`); `None` when neither can be found.
pub fn record_dir() -> Option<PathBuf> {
    let dir = crate::cli::embed::var_os("HUBSIGN_RECORD_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| hub::user_cache().map(|c| c.join("hubsign").join("records")))?;
    Some(std::path::absolute(&dir).unwrap_or(dir))
}

/// `--changed` paths as model-relative paths (resolved as `--ignore-paths` are).
pub fn changed_paths(model: &Path, changed: &[PathBuf]) -> Result<Vec<String>> {
    changed
        .iter()
        .map(|p| {
            resolve_ignore_path(model, p).map_err(|e| match e {
                crate::manifest::ManifestError::IgnoreOutsideModel(path) => {
                    crate::cli::error::CliError::ChangedOutsideModel { path }
                }
                other => Error::from(other).into(),
            })
        })
        .collect()
}

/// `--ignore-unsigned-files` as the core's choice.
pub fn unsigned_files(ignore: bool) -> UnsignedFiles {
    if ignore {
        UnsignedFiles::Ignore
    } else {
        UnsignedFiles::Reject
    }
}

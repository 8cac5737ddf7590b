//! Enumerates the files of a model exactly as model_signing 1.1.1 does: regular files only,
//! dotfiles and empty files included, whole-component ignore prefixes rooted at the model,
//! symlinks refused unless allowed.
//!
//! It never hashes and never follows a directory symlink (a cache snapshot refuses one).

use super::{GIT_PATHS, ManifestError, compare_paths};
use std::collections::BTreeSet;
use std::fs::Metadata;
use std::path::{Component, Path, PathBuf};

/// Whether the top-level git paths (`.git`, `.gitattributes`, `.github`, `.gitignore`) are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GitPaths {
    #[default]
    Ignore,
    Include,
}

/// Whether hubsign's own files in its folder ([`super::hubsign_own_paths`]) are left out of the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OwnFolder {
    /// Left out, and recorded as ignored when the model holds it.
    #[default]
    Ignore,
    /// Walked like any other folder (the caller decides, as verification does).
    Include,
}

/// What to do with symbolic links inside the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SymlinkPolicy {
    /// Any symlink is an error (model_signing's default).
    #[default]
    Refuse,
    /// A file symlink is hashed as its target's content under the link's name; a directory
    /// symlink is skipped. A link leaving the model root, dangling or looping is still an error.
    Follow,
    /// A cache snapshot, where a pull places only files and file links: a file symlink is
    /// hashed as its target's content, and a directory symlink is an error, never skipped
    /// (skipped, the files behind it would go unchecked while the loaders follow it).
    FileLinksOnly,
    /// A cache snapshot of regular files only (kagglehub's): any symlink is an error that says
    /// so (not a hint to allow symlinks).
    NoLinks,
}

#[derive(Debug, Clone, Default)]
pub struct WalkOptions {
    pub git_paths: GitPaths,
    /// hubsign's own files in its `.cache/hubsign` folder.
    pub own_folder: OwnFolder,
    /// Paths relative to the model root (already resolved by the caller).
    pub ignore_paths: Vec<String>,
    pub symlinks: SymlinkPolicy,
    /// Where followed symlinks may point. Default: the model itself. A Hugging Face snapshot
    /// links into its repository's `blobs/`, so cache verification widens this to the repo folder.
    pub symlink_root: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    Directory,
    SingleFile,
}

/// A file to hash.
#[derive(Debug, Clone)]
pub struct ModelFile {
    /// The resource name: POSIX path relative to the model, or `.` for a single-file model.
    pub name: String,
    /// Where to read it (a symlink is opened through its link).
    pub path: PathBuf,
    /// Length and modification time seen by the walk, re-checked after hashing.
    pub len: u64,
    pub modified: Option<std::time::SystemTime>,
}

#[derive(Debug)]
pub struct Walk {
    pub kind: ModelKind,
    /// In model_signing order.
    pub files: Vec<ModelFile>,
    /// Every ignore path in effect (git defaults + caller's), sorted; recorded in `ignore_paths`.
    pub ignored: Vec<String>,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ManifestError + '_ {
    move |source| ManifestError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Normalizes a model-relative ignore path to `a/b` form; `None` for the model root itself.
pub(crate) fn normalize_relative(p: &str) -> Option<String> {
    let parts: Vec<&str> = p.split('/').filter(|c| !c.is_empty() && *c != ".").collect();
    if parts.is_empty() {
        None
    } else {
        Some(parts.join("/"))
    }
}

fn is_ignored(rel: &str, ignored: &BTreeSet<String>) -> bool {
    ignored
        .iter()
        .any(|ig| rel == ig || (rel.starts_with(ig.as_str()) && rel.as_bytes().get(ig.len()) == Some(&b'/')))
}

/// Lists the files of `model` in signing order.
pub fn walk(model: &Path, options: &WalkOptions) -> Result<Walk, ManifestError> {
    let mut ignored: BTreeSet<String> = options
        .ignore_paths
        .iter()
        .filter_map(|p| normalize_relative(p))
        .collect();
    if options.git_paths == GitPaths::Ignore {
        ignored.extend(GIT_PATHS.iter().map(|p| (*p).to_owned()));
    }
    let meta = fs_err::metadata(model).map_err(io_err(model))?;
    if meta.is_file() {
        let files = vec![ModelFile {
            name: ".".to_owned(),
            path: model.to_path_buf(),
            len: meta.len(),
            modified: meta.modified().ok(),
        }];
        return Ok(Walk {
            kind: ModelKind::SingleFile,
            files,
            ignored: ignored.into_iter().collect(),
        });
    }
    if !meta.is_dir() {
        return Err(ManifestError::SpecialFile(model.to_path_buf()));
    }
    // Recorded only when present, so a model without it signs exactly as model_signing signs it.
    if options.own_folder == OwnFolder::Ignore {
        ignored.extend(super::hubsign_own_paths(model));
    }
    let root = match &options.symlink_root {
        Some(r) => fs_err::canonicalize(r).map_err(io_err(r))?,
        None => fs_err::canonicalize(model).map_err(io_err(model))?,
    };
    let mut files = Vec::new();
    let mut stack = vec![(model.to_path_buf(), String::new())];
    while let Some((dir, rel_dir)) = stack.pop() {
        let entries = fs_err::read_dir(&dir).map_err(io_err(&dir))?;
        for entry in entries {
            let entry = entry.map_err(io_err(&dir))?;
            let path = entry.path();
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                return Err(ManifestError::NonUtf8Name(path));
            };
            let rel = if rel_dir.is_empty() {
                name
            } else {
                format!("{rel_dir}/{name}")
            };
            if is_ignored(&rel, &ignored) {
                continue;
            }
            let meta = entry.metadata().map_err(io_err(&path))?;
            let ft = meta.file_type();
            if ft.is_dir() {
                stack.push((path, rel));
            } else if ft.is_file() {
                files.push(ModelFile {
                    name: rel,
                    path,
                    len: meta.len(),
                    modified: meta.modified().ok(),
                });
            } else if ft.is_symlink() {
                match options.symlinks {
                    SymlinkPolicy::Refuse => return Err(ManifestError::SymlinkRefused(path)),
                    SymlinkPolicy::NoLinks => return Err(ManifestError::SnapshotSymlink(path)),
                    SymlinkPolicy::Follow | SymlinkPolicy::FileLinksOnly => {}
                }
                if let Some(target_meta) = follow_symlink(&root, &path)? {
                    files.push(ModelFile {
                        name: rel,
                        path,
                        len: target_meta.len(),
                        modified: target_meta.modified().ok(),
                    });
                } else if options.symlinks == SymlinkPolicy::FileLinksOnly {
                    return Err(ManifestError::DirectorySymlink(path));
                }
            } else {
                return Err(ManifestError::SpecialFile(path));
            }
        }
    }
    files.sort_by(|a, b| compare_paths(&a.name, &b.name));
    Ok(Walk {
        kind: ModelKind::Directory,
        files,
        ignored: ignored.into_iter().collect(),
    })
}

/// Resolves a symlink inside the model: `Some(meta)` for a regular file to hash, `None` for a
/// directory (skipped, as model_signing does), an error for anything leaving the root.
fn follow_symlink(root: &Path, link: &Path) -> Result<Option<Metadata>, ManifestError> {
    let target = fs_err::canonicalize(link).map_err(|_| ManifestError::SymlinkBroken(link.to_path_buf()))?;
    if !target.starts_with(root) {
        return Err(ManifestError::SymlinkEscapes {
            link: link.to_path_buf(),
            target,
        });
    }
    let meta = fs_err::metadata(&target).map_err(io_err(link))?;
    if meta.is_dir() {
        Ok(None)
    } else if meta.is_file() {
        Ok(Some(meta))
    } else {
        Err(ManifestError::SpecialFile(link.to_path_buf()))
    }
}

/// Turns a user's ignore path into a model-relative one: relative paths are taken relative to
/// the model; absolute ones must lie inside it. For compatibility with model_signing (which
/// resolves against the working directory), a relative path that does not exist under the model
/// but resolves inside it from the working directory is accepted too.
pub fn resolve_ignore_path(model: &Path, given: &Path) -> Result<String, ManifestError> {
    let root = std::path::absolute(model).map_err(io_err(model))?;
    let root_canon = fs_err::canonicalize(&root).unwrap_or_else(|_| root.clone());
    let inside = |abs: &Path| -> Option<String> {
        let abs = lexical_normalize(abs);
        let rel = abs
            .strip_prefix(&root)
            .or_else(|_| abs.strip_prefix(&root_canon))
            .ok()?;
        let s = rel.to_str()?;
        normalize_relative(s)
    };
    if given.is_absolute() {
        return inside(given).ok_or_else(|| ManifestError::IgnoreOutsideModel(given.to_path_buf()));
    }
    if given.components().any(|c| matches!(c, Component::ParentDir)) || !root.join(given).exists() {
        let from_cwd = std::path::absolute(given).map_err(io_err(given))?;
        if let Some(rel) = inside(&from_cwd) {
            return Ok(rel);
        }
        if given.components().any(|c| matches!(c, Component::ParentDir)) {
            return Err(ManifestError::IgnoreOutsideModel(given.to_path_buf()));
        }
    }
    given
        .to_str()
        .and_then(normalize_relative)
        .ok_or_else(|| ManifestError::IgnoreOutsideModel(given.to_path_buf()))
}

fn lexical_normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

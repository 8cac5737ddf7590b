//! `--local-dir`: a verified snapshot placed as plain files in a directory the user names.

use super::{CacheError, FolderTree, Source, VerifiedStaging, io};
use std::path::{Path, PathBuf};

/// What `--local-dir` may already hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalDirMode {
    /// Refuse a directory holding files outside the signed set (never delete a user's files).
    RefuseForeign,
    /// `--force`: remove files outside the signed set.
    ReplaceForeign,
}

/// hubsign's own staging area inside a local directory.
pub const LOCAL_DIR_STAGING: &str = ".cache/hubsign";

/// Entries under `dir` that are not among `expected` (repository paths): files, symlinks
/// (a symlinked directory counts as one entry and is not entered) and other non-directories.
/// hubsign's own staging area is left out. A missing directory has none.
pub fn local_dir_foreign(
    dir: &Path,
    expected: &std::collections::BTreeSet<String>,
) -> Result<Vec<String>, CacheError> {
    let mut out = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((abs, rel)) = stack.pop() {
        let entries = match std::fs::read_dir(&abs) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && rel.is_empty() => return Ok(out),
            Err(source) => {
                return Err(CacheError::Io {
                    action: "cannot list",
                    path: abs,
                    source,
                });
            }
        };
        for e in entries {
            let e = e.map_err(io("cannot list", &abs))?;
            let name = e.file_name().to_string_lossy().into_owned();
            let r = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            if r == LOCAL_DIR_STAGING {
                continue;
            }
            let t = e.file_type().map_err(io("cannot stat", &e.path()))?;
            if t.is_dir() {
                stack.push((e.path(), r));
            } else if !expected.contains(&r) || t.is_symlink() {
                out.push(r);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Places a verified snapshot into a plain directory (`--local-dir`). Afterwards the directory
/// holds exactly the verified files (and hubsign's empty staging folder): files outside the
/// signed set are refused (or removed with [`LocalDirMode::ReplaceForeign`]); parents are real
/// directories, never followed symlinks; each file is renamed into place.
pub fn commit_local_dir(
    verified: VerifiedStaging,
    dir: &Path,
    mode: LocalDirMode,
) -> Result<PathBuf, CacheError> {
    let VerifiedStaging { staging, .. } = verified;
    let expected: std::collections::BTreeSet<String> =
        staging.files.iter().map(|f| f.file.path.clone()).collect();
    let foreign = local_dir_foreign(dir, &expected)?;
    if !foreign.is_empty() {
        if mode == LocalDirMode::RefuseForeign {
            return Err(CacheError::LocalDirNotEmpty {
                dir: dir.to_path_buf(),
                files: foreign,
            });
        }
        for rel in &foreign {
            let p = dir.join(rel);
            fs_err::remove_file(&p).map_err(|e| CacheError::Io {
                action: "cannot remove",
                path: p.clone(),
                source: e,
            })?;
        }
    }
    let mut folders = FolderTree::new(dir);
    for f in &staging.files {
        let (parent, name) = folders.parent_of(&f.file.path)?;
        let dst = parent.join(name);
        match &f.source {
            Source::Staged(src) => {
                fs_err::rename(src, &dst).map_err(|e| CacheError::Io {
                    action: "cannot move into",
                    path: dst.clone(),
                    source: e,
                })?;
            }
            // A pull into a directory copies reused bytes into staging while re-hashing them,
            // so nothing is ever copied from the cache here (its file could have changed since).
            Source::Cached(_) => {
                return Err(CacheError::NotProven {
                    path: f.file.path.clone(),
                });
            }
        }
    }
    Ok(dir.to_path_buf())
}

//! Where verified bytes land, and the only code that makes them visible there.
//!
//! [`CacheLayout`] is the seam: the Hugging Face cache ([`HfCache`], models and datasets, laid
//! out exactly as `huggingface_hub` does) and the kagglehub cache ([`KaggleCache`]) implement
//! it. Every layout goes through the same gate: a [`Staging`] area (outside the cache,
//! same filesystem) → [`Staging::verified`] with a [`ManifestProof`] → [`VerifiedStaging`] →
//! [`CacheLayout::commit`]. `commit` takes a `VerifiedStaging` by value and only a proof from
//! `verify` can make one, so "commit before verify" does not compile. A failed or killed pull
//! leaves the cache as it was. The cache owns its types ([`CachedFile`]); it stores no hub
//! wire types. `--local-dir` is the plain-directory destination (`local_dir`).

mod hf;
mod kaggle;
mod local_dir;

pub use hf::HfCache;
pub use kaggle::KaggleCache;
pub use local_dir::{
    Displaced, LOCAL_DIR_STAGING, LocalDirCommitted, LocalDirMode, LocalDirStaging, commit_local_dir,
    local_dir_foreign,
};

use crate::hub::ModelRef;
use crate::manifest::ResourceDigest;
use crate::verify::ManifestProof;
use fs4::fs_std::FileExt as _;
use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CacheError {
    #[error("{action} {path}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "staging area {staging} is on another filesystem than the cache {cache}; set HF_HUB_CACHE to a directory whose parent is on the same filesystem"
    )]
    CrossDevice { staging: PathBuf, cache: PathBuf },
    #[error("{path} was not proven by verification; refusing to commit it")]
    NotProven { path: String },
    /// Exit 2: hubsign never writes through a symlinked (or non-directory) path component,
    /// which could place verified bytes outside the cache or the local directory.
    #[error("{path} is a symlink or not a directory; refusing to write through it")]
    NotARealDirectory { path: PathBuf },
    /// Exit 2: `--local-dir` must end up holding exactly the verified files, and hubsign never
    /// deletes or overwrites a file it did not place there.
    #[error(
        "{dir} holds {} hubsign did not place there (or this pull does not place: not covered by the signature, or not selected): {}{}; choose an empty directory, or pass --force to move them aside into {dir}/.cache/hubsign/displaced-<time>/ (nothing is deleted)",
        if files.len() == 1 { "a file" } else { "files" },
        files.iter().take(10).cloned().collect::<Vec<_>>().join(", "),
        if files.len() > 10 { format!(" and {} more", files.len() - 10) } else { String::new() }
    )]
    LocalDirNotEmpty { dir: PathBuf, files: Vec<String> },
    /// Exit 2: `--force` could not move a file of the user's aside; the ones before it are in
    /// `folder`, nothing was deleted.
    #[error(
        "cannot move {path} aside into {folder} ({moved} files already moved there; nothing was deleted)"
    )]
    DisplaceFailed {
        path: PathBuf,
        folder: PathBuf,
        moved: usize,
        #[source]
        source: std::io::Error,
    },
    /// Exit 2: a marker or file the layout names is a folder or a symlink.
    #[error("{path} is not a regular file; refusing to use it")]
    NotARegularFile { path: PathBuf },
    /// Exit 2: a reference of another hub given to this cache (a caller's mistake).
    #[error("{repo} is not a reference the {cache} cache holds")]
    WrongHub { repo: String, cache: &'static str },
    #[error("no cached snapshot of {repo} for {revision} in {cache}")]
    NotCached {
        repo: String,
        revision: String,
        cache: PathBuf,
    },
}

fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> CacheError + 'a {
    move |source| CacheError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// A file of a pinned commit as a cache records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedFile {
    pub path: String,
    pub size: u64,
    /// The content's name by the listing's digest (hex): the blob name in the HF cache.
    pub content: Option<String>,
    /// The git blob id listed for the path (an LFS file's pointer id), on git hubs.
    pub git_oid: Option<String>,
    /// Whether `content` is a SHA-256 (an LFS object) rather than a git blob id.
    pub lfs: bool,
}

/// Where verified bytes land: one implementation per cache format.
pub trait CacheLayout {
    /// A fresh staging area for one pull of `repo` at `commit`: outside the cache, on the same
    /// filesystem, its layout checked (nothing written through symlinks) before any download.
    fn staging(&self, repo: &ModelRef, commit: &str) -> Result<Staging, CacheError>;

    /// A cached copy of `file` that may be re-hashed and reused instead of downloaded: a regular
    /// file inside the cache, never a symlink (its target could change after the check).
    fn reusable(&self, repo: &ModelRef, commit: &str, file: &CachedFile) -> Option<PathBuf>;

    /// Makes a verified snapshot visible; `revision` (a branch or tag) is pointed at it last.
    fn commit(&self, verified: VerifiedStaging, revision: Option<&str>) -> Result<Committed, CacheError>;

    /// The cached snapshot of `repo` at `revision`: its commit and directory.
    fn snapshot(&self, repo: &ModelRef, revision: &str) -> Result<(String, PathBuf), CacheError>;

    /// Whether a reusable copy must be copied into staging while it is re-hashed (from the
    /// same open file) instead of being committed from where it is: a layout that commits
    /// reused files by path would otherwise publish whatever was swapped in after the check.
    fn copies_reused(&self) -> bool {
        false
    }

    /// The folder a snapshot's symlinks may point into (they must not leave it).
    fn symlink_root(&self, repo: &ModelRef) -> Option<PathBuf>;

    /// The repository paths the cached snapshot of `commit` holds (none if there is none); a
    /// partial pull carries them over when their bytes still verify.
    fn snapshot_files(&self, repo: &ModelRef, commit: &str) -> std::collections::BTreeSet<String>;

    /// Every snapshot the cache holds, whoever wrote it, sorted by repository and commit; read
    /// only (for `audit`). Folders that are symlinks are listed with the problem, not followed.
    fn snapshots(&self) -> Vec<ListedSnapshot>;
}

/// One snapshot found by [`CacheLayout::snapshots`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedSnapshot {
    /// The repository (for a folder whose name is not a reference: `Err(folder name)`).
    pub repo: Result<ModelRef, String>,
    /// The commit (Kaggle: the version).
    pub commit: String,
    pub path: PathBuf,
    /// The refs (branches, tags; Kaggle: none) that point at it.
    pub refs: Vec<String>,
    /// Why the snapshot cannot be read safely (a symlinked folder), if it cannot.
    pub problem: Option<String>,
    /// Kaggle: the version marker is absent (a partial pull); Hugging Face: always `true`.
    pub complete: bool,
}

impl ListedSnapshot {
    /// The reference without revision (`org/name`, `datasets/org/name`, `kaggle:…`), or the
    /// folder name when it is not one.
    #[must_use]
    pub fn display_name(&self) -> String {
        self.repo.as_ref().map_or_else(Clone::clone, ToString::to_string)
    }
}

/// Opens (creating, never truncating) and exclusively locks the lock file at `path`: never
/// through a symlink there (an attacker's link must not create or clobber its target), and
/// only ever a regular file.
fn open_lock(path: &Path) -> Result<File, CacheError> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let nofollow = i32::try_from(rustix::fs::OFlags::NOFOLLOW.bits()).unwrap_or(0);
    let f = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(false)
        .custom_flags(nofollow)
        .open(path)
        .map_err(io("cannot create lock", path))?;
    if !f.metadata().is_ok_and(|m| m.file_type().is_file()) {
        return Err(CacheError::NotARealDirectory {
            path: path.to_path_buf(),
        });
    }
    f.lock_exclusive().map_err(io("cannot lock", path))?;
    Ok(f)
}

/// Where a cache's staging areas live: a sibling of the cache root (never inside it, where a
/// scan of the cache would see it), on the same filesystem so commit is a rename.
fn staging_root(root: &Path, default_name: &str) -> PathBuf {
    let name = root
        .file_name()
        .map_or_else(|| default_name.into(), |n| n.to_string_lossy().into_owned());
    root.parent()
        .unwrap_or(Path::new("."))
        .join(format!(".{name}.hubsign-staging"))
}

/// Makes the staging root of a cache (its parent as the user's choice, the root itself a real
/// directory) and checks that it is on the cache's filesystem.
fn prepare_staging_root(cache_root: &Path, staging: &Path) -> Result<(), CacheError> {
    let parent = staging.parent().unwrap_or(Path::new("."));
    fs_err::create_dir_all(parent).map_err(|e| CacheError::Io {
        action: "cannot create staging",
        path: parent.to_path_buf(),
        source: e,
    })?;
    real_dirs(parent, staging.file_name().map_or(Path::new("."), Path::new))?;
    // Nothing is created inside the cache until commit; compare devices with the nearest
    // existing ancestor of the cache root.
    let probe = cache_root
        .ancestors()
        .find(|p| p.exists())
        .unwrap_or(Path::new("/"));
    same_device(staging, probe)
}

#[cfg(unix)]
fn same_device(a: &Path, b: &Path) -> Result<(), CacheError> {
    use std::os::unix::fs::MetadataExt as _;
    let da = fs_err::metadata(a)
        .map_err(|e| CacheError::Io {
            action: "cannot stat",
            path: a.into(),
            source: e,
        })?
        .dev();
    let db = fs_err::metadata(b)
        .map_err(|e| CacheError::Io {
            action: "cannot stat",
            path: b.into(),
            source: e,
        })?
        .dev();
    if da == db {
        Ok(())
    } else {
        Err(CacheError::CrossDevice {
            staging: a.into(),
            cache: b.into(),
        })
    }
}

fn remove_stale_staging(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for e in entries.flatten() {
        let lock_path = e.path().join(".lock");
        let Ok(lock) = File::open(&lock_path) else {
            // No lock file: a staging dir killed before it locked; only remove old ones.
            let old = e
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|d| d.as_secs() > 3600);
            if old {
                let _ = std::fs::remove_dir_all(e.path());
            }
            continue;
        };
        if lock.try_lock_exclusive().is_ok_and(|locked| locked) {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Where a staged file's bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Downloaded into staging, already flushed to disk (commit only renames).
    Staged(PathBuf),
    /// Already in the cache as a regular file, re-hashed and verified in place.
    Cached(PathBuf),
}

/// A downloaded (or reused) file and what was computed while streaming it.
#[derive(Debug, Clone)]
pub struct StagedFile {
    pub file: CachedFile,
    pub source: Source,
    /// The manifest resources computed from the bytes.
    pub resources: Vec<ResourceDigest>,
}

/// Downloads in progress for one commit of one repo: outside the cache, invisible to it.
#[derive(Debug)]
pub struct Staging {
    dir: tempfile::TempDir,
    _lock: File,
    repo: ModelRef,
    commit: String,
    files: Vec<StagedFile>,
    next: usize,
}

impl Staging {
    /// A staging area under `root` (removing stale ones a killed pull left there), its name
    /// starting with `prefix`.
    pub fn create(root: &Path, prefix: &str, repo: &ModelRef, commit: &str) -> Result<Self, CacheError> {
        fs_err::create_dir_all(root).map_err(|e| CacheError::Io {
            action: "cannot create staging",
            path: root.into(),
            source: e,
        })?;
        remove_stale_staging(root);
        let dir = tempfile::Builder::new()
            .prefix(&format!("{prefix}-"))
            .tempdir_in(root)
            .map_err(io("cannot create staging in", root))?;
        let lock = File::create(dir.path().join(".lock")).map_err(io("cannot create", dir.path()))?;
        lock.lock_exclusive().map_err(io("cannot lock", dir.path()))?;
        fs_err::create_dir_all(dir.path().join("files")).map_err(|e| CacheError::Io {
            action: "cannot create",
            path: dir.path().into(),
            source: e,
        })?;
        Ok(Self {
            dir,
            _lock: lock,
            repo: repo.clone(),
            commit: commit.to_owned(),
            files: Vec::new(),
            next: 0,
        })
    }

    /// A new file path inside the staging area.
    pub fn new_file_path(&mut self) -> PathBuf {
        self.next += 1;
        self.dir.path().join("files").join(format!("{}.part", self.next))
    }

    pub fn add(&mut self, file: StagedFile) {
        self.files.push(file);
    }

    pub fn files(&self) -> &[StagedFile] {
        &self.files
    }

    /// Flushes everything staged to disk in one call (`syncfs` of the staging filesystem on
    /// Linux; each file elsewhere), so the commit's renames never publish bytes a crash could
    /// lose. A full disk or a write-back error shows up here, before anything is committed.
    pub fn flush(&self) -> Result<(), CacheError> {
        let dir = self.dir.path();
        #[cfg(target_os = "linux")]
        {
            let d = File::open(dir).map_err(io("cannot open", dir))?;
            rustix::fs::syncfs(&d).map_err(|e| CacheError::Io {
                action: "cannot flush to disk",
                path: dir.to_path_buf(),
                source: e.into(),
            })
        }
        #[cfg(not(target_os = "linux"))]
        {
            for f in &self.files {
                if let Source::Staged(p) = &f.source {
                    File::open(p)
                        .and_then(|f| f.sync_data())
                        .map_err(io("cannot flush to disk", p))?;
                }
            }
            Ok(())
        }
    }

    /// Binds the staged files to a verification proof; every file must be covered.
    /// `tree` is the commit's full listing (to know whether the snapshot is complete).
    pub fn verified(
        self,
        proof: &ManifestProof,
        tree: Vec<CachedFile>,
    ) -> Result<VerifiedStaging, CacheError> {
        for f in &self.files {
            if !proof.covers(&f.file.path, &f.resources) {
                return Err(CacheError::NotProven {
                    path: f.file.path.clone(),
                });
            }
        }
        Ok(VerifiedStaging {
            staging: self,
            tree,
            all_signed: proof.is_complete(),
        })
    }
}

/// Staged files proven to match a verified signature. Only [`Staging::verified`] makes one.
#[derive(Debug)]
pub struct VerifiedStaging {
    staging: Staging,
    /// The full listing of the commit, to know whether the snapshot is complete.
    tree: Vec<CachedFile>,
    /// Every file the signature covers is staged (not a partial pull).
    all_signed: bool,
}

/// What `commit` produced.
#[derive(Debug, Clone)]
pub struct Committed {
    pub snapshot: PathBuf,
    pub complete: bool,
}

/// A real directory: not a symlink to one, not a file.
fn real_dir(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok_and(|m| m.is_dir())
}

/// `base/rel` as a chain of real directories, creating the missing ones: every component below
/// `base` is checked with `symlink_metadata`, so nothing is ever written through a symlink an
/// attacker placed in the cache or the local directory. `base` itself is the user's choice.
pub fn real_dirs(base: &Path, rel: &Path) -> Result<PathBuf, CacheError> {
    if !base.is_dir() {
        std::fs::create_dir_all(base).map_err(io("cannot create", base))?;
    }
    let mut p = base.to_path_buf();
    for c in rel.components() {
        let std::path::Component::Normal(c) = c else {
            return Err(CacheError::NotARealDirectory { path: p.join(c) });
        };
        p.push(c);
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err(CacheError::NotARealDirectory { path: p }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => match std::fs::create_dir(&p) {
                Ok(()) => {}
                // Another process made it meanwhile: check what it made.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    if !std::fs::symlink_metadata(&p).is_ok_and(|m| m.is_dir()) {
                        return Err(CacheError::NotARealDirectory { path: p });
                    }
                }
                Err(source) => {
                    return Err(CacheError::Io {
                        action: "cannot create",
                        path: p,
                        source,
                    });
                }
            },
            Err(source) => {
                return Err(CacheError::Io {
                    action: "cannot stat",
                    path: p,
                    source,
                });
            }
        }
    }
    Ok(p)
}

/// The parent folders of many files placed under one base, each checked (and made) once:
/// placing 10,000 files costs one [`real_dirs`] walk per folder, not per file.
pub struct FolderTree {
    base: PathBuf,
    checked: std::collections::HashMap<PathBuf, PathBuf>,
}

impl FolderTree {
    pub fn new(base: &Path) -> Self {
        Self {
            base: base.to_path_buf(),
            checked: std::collections::HashMap::new(),
        }
    }

    /// `base/<parent of rel>` as real directories, and the file name to place in it.
    pub fn parent_of<'r>(&mut self, rel: &'r str) -> Result<(PathBuf, &'r std::ffi::OsStr), CacheError> {
        let rel = Path::new(rel);
        let parent = rel.parent().unwrap_or(Path::new(""));
        let dir = if let Some(d) = self.checked.get(parent) {
            d.clone()
        } else {
            let d = real_dirs(&self.base, parent)?;
            self.checked.insert(parent.to_path_buf(), d.clone());
            d
        };
        Ok((dir, rel.file_name().unwrap_or_default()))
    }
}

/// Writes `bytes` to `dir/name` through a temp file in `dir` (a directory the caller checked
/// with [`real_dirs`]), fsynced, renamed over the destination (a rename replaces a symlink
/// there, it never follows it).
fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), CacheError> {
    let path = dir.join(name);
    let mut tmp = tempfile::Builder::new()
        .prefix(".hubsign-")
        .tempfile_in(dir)
        .map_err(io("cannot write in", dir))?;
    tmp.write_all(bytes).map_err(io("cannot write", &path))?;
    tmp.as_file().sync_all().map_err(io("cannot sync", &path))?;
    tmp.persist(&path).map_err(|e| CacheError::Io {
        action: "cannot rename into",
        path: path.clone(),
        source: e.error,
    })?;
    Ok(())
}

/// Renames `new` to `dst`; an entry already at `dst` (a directory, or a symlink an attacker
/// placed) is first moved aside to `aside` and removed only after the swap succeeded, or put
/// back if it failed.
fn swap_in(new: &Path, dst: &Path, aside: &Path) -> Result<(), CacheError> {
    let existed = std::fs::symlink_metadata(dst).is_ok();
    if existed {
        fs_err::rename(dst, aside).map_err(|e| CacheError::Io {
            action: "cannot move aside",
            path: dst.into(),
            source: e,
        })?;
    }
    if let Err(e) = std::fs::rename(new, dst) {
        if existed {
            // Put the old one back; if even that fails, say so: it is still in `aside`.
            std::fs::rename(aside, dst).map_err(|back| CacheError::Io {
                action: "cannot restore the previous snapshot (left in the staging area) to",
                path: dst.into(),
                source: back,
            })?;
        }
        return Err(CacheError::Io {
            action: "cannot move snapshot into",
            path: dst.into(),
            source: e,
        });
    }
    // The swap is done. The replaced entry lies in staging, which is removed when the pull
    // ends (remove_dir_all never follows symlinks), so a failure to remove it here is no error.
    if existed {
        let _ = match std::fs::symlink_metadata(aside) {
            Ok(m) if m.is_dir() => std::fs::remove_dir_all(aside),
            _ => std::fs::remove_file(aside),
        };
    }
    Ok(())
}

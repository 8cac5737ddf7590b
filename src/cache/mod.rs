//! Where verified bytes land, and the only code that makes them visible there.
//!
//! [`CacheLayout`] is the seam: the Hugging Face cache ([`HfCache`], models and datasets, laid
//! out exactly as `huggingface_hub` does), the kagglehub cache ([`KaggleCache`]) and hubsign's
//! cache of OCI artifacts by manifest digest ([`OciCache`]) implement it. Every layout goes through the same gate: a [`Staging`] area (outside the cache,
//! same filesystem) → [`Staging::verified`] with a [`ManifestProof`] → [`VerifiedStaging`] →
//! [`CacheLayout::commit`]. `commit` takes a `VerifiedStaging` by value and only a proof from
//! `verify` can make one, so "commit before verify" does not compile. A failed or killed pull
//! leaves the cache as it was. The cache owns its types ([`CachedFile`]); it stores no hub
//! wire types. `--local-dir` is the plain-directory destination (`local_dir`).

mod hf;
mod kaggle;
mod local_dir;
mod oci;
mod partial;

pub use hf::HfCache;
pub use kaggle::KaggleCache;
pub use local_dir::{
    Displaced, LOCAL_DIR_STAGING, LocalDirCommitted, LocalDirMode, LocalDirStaging, commit_local_dir,
    displace_parent, in_local_dir_own_folder, local_dir_foreign, local_dir_staging_root,
};
pub use oci::{OCI_CACHE_DIR, OciCache};

use crate::fsutil::write_atomic;
use crate::manifest::ResourceDigest;
use crate::reference::ModelRef;
use crate::verify::ManifestProof;
use fs4::fs_std::FileExt as _;
use std::fs::File;
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
        "{dir} holds {} hubsign did not place there (or this pull does not place: not covered by the signature, or not selected): {}{}; choose an empty directory, or pass --force to move them aside into a dated folder beside it (nothing is deleted)",
        if files.len() == 1 { "a file" } else { "files" },
        files.iter().take(10).cloned().collect::<Vec<_>>().join(", "),
        if files.len() > 10 { format!(" and {} more", files.len() - 10) } else { String::new() }
    )]
    LocalDirNotEmpty { dir: PathBuf, files: Vec<String> },
    /// Exit 2: `--force` moves the user's files beside the directory, and cannot there (no
    /// writable parent, or a parent on another filesystem); nothing was moved or deleted.
    #[error(
        "--force cannot move the files hubsign did not place in {dir} aside: it moves them into a dated folder beside {dir}, in its parent directory, and cannot create it there or rename them into it; nothing was moved or deleted: make the parent writable, or move the files yourself"
    )]
    CannotDisplace {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
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
    /// Exit 2: a cached blob re-hashed and reused by this pull is no longer the file that was
    /// hashed (rewritten or replaced while the pull ran); nothing of the pull was made visible.
    #[error(
        "{path} changed after this pull verified it (rewritten or replaced while the pull ran); nothing was committed: pull again"
    )]
    ChangedSinceVerified { path: PathBuf },
    /// Exit 2: a reference of another hub given to this cache (a caller's mistake).
    #[error("{repo} is not a reference the {cache} cache holds")]
    WrongHub { repo: String, cache: &'static str },
    /// Exit 2: a reference or commit this layout cannot file (`reason` says why).
    #[error("{repo} cannot be cached: {reason}")]
    NotCacheable { repo: String, reason: &'static str },
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

impl From<crate::fsutil::WriteError> for CacheError {
    fn from(e: crate::fsutil::WriteError) -> Self {
        Self::Io {
            action: e.action,
            path: e.path,
            source: e.source,
        }
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
    /// The staging area for one pull of `repo` at `commit` (with what an interrupted pull of
    /// that commit kept, see [`Staging`]): outside the cache, on the same filesystem, its
    /// layout checked (nothing written through symlinks) before any download.
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
    /// The files a recorded partial pull placed (Hugging Face: hubsign's record of its partial
    /// pull; Kaggle: kagglehub's per-file markers). `None`: no partial pull is recorded, or the
    /// cache marks the snapshot complete, so every signed file must be there. Deleting a
    /// record therefore makes the check stricter, never laxer.
    pub partial: Option<std::collections::BTreeSet<String>>,
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
    let f = open_lock_file(path)?;
    f.lock_exclusive().map_err(io("cannot lock", path))?;
    Ok(f)
}

/// Opens (creating, never truncating) the lock file at `path`, unlocked: not through a symlink
/// there, and without blocking on a FIFO planted there (a write-only open of a FIFO nobody
/// reads fails at once with `O_NONBLOCK`); whatever was opened must be a regular file.
fn open_lock_file(path: &Path) -> Result<File, CacheError> {
    use fs_err::os::unix::fs::OpenOptionsExt as _;
    let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
    let not_regular = || CacheError::NotARegularFile {
        path: path.to_path_buf(),
    };
    let f = fs_err::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(false)
        .custom_flags(i32::try_from(flags.bits()).unwrap_or(0))
        .open(path)
        .map(fs_err::File::into_file)
        .map_err(|e| {
            if fs_err::symlink_metadata(path).is_ok_and(|m| !m.file_type().is_file()) {
                not_regular()
            } else {
                io("cannot create lock", path)(e)
            }
        })?;
    if !f.metadata().is_ok_and(|m| m.file_type().is_file()) {
        return Err(not_regular());
    }
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

/// Where a staged file's bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Downloaded into staging, already flushed to disk (commit only renames): the identity
    /// is taken from the handle that wrote and hashed it, when hashing ended, and commit
    /// requires it in full of the file it renames (bytes swapped in staging are refused).
    Staged(DiskId),
    /// Already in the cache as a regular file, re-hashed and verified in place: the identity
    /// is taken from the handle that hashed it, when it hashed it, and commit requires it.
    Cached(DiskId),
}

/// Where a verified file's bytes are and which file that is (device, inode, size, times):
/// a file rewritten in place gets a new modification and change time, a file swapped in
/// another inode, so whoever holds a `DiskId` can tell the verified file from anything put
/// there later. The mirror opens exactly this path and requires this identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskId {
    pub path: PathBuf,
    pub dev: u64,
    pub ino: u64,
    pub len: u64,
    pub mtime: (i64, i64),
    pub ctime: (i64, i64),
}

impl DiskId {
    /// The identity of an open (or stat-ed) file.
    #[must_use]
    pub fn of(path: PathBuf, m: &std::fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt as _;
        Self {
            path,
            dev: m.dev(),
            ino: m.ino(),
            len: m.len(),
            mtime: (m.mtime(), m.mtime_nsec()),
            ctime: (m.ctime(), m.ctime_nsec()),
        }
    }

    /// Whether `m` (the metadata of the file now open at `self.path`) is still this file.
    #[must_use]
    pub fn matches(&self, m: &std::fs::Metadata) -> bool {
        m.is_file() && *self == Self::of(self.path.clone(), m)
    }

    /// Whether `m` is this file with the same bytes, whatever its change time (a rename
    /// changes it, a write changes the modification time too).
    fn same_bytes(&self, m: &std::fs::Metadata) -> bool {
        let now = Self::of(self.path.clone(), m);
        m.is_file() && (now.dev, now.ino, now.len, now.mtime) == (self.dev, self.ino, self.len, self.mtime)
    }
}

/// Opens a file for reading without following a symlink at its last component and without
/// blocking on a FIFO planted there.
pub fn open_nofollow(path: &Path) -> std::io::Result<File> {
    use fs_err::os::unix::fs::OpenOptionsExt as _;
    let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
    fs_err::OpenOptions::new()
        .read(true)
        .custom_flags(i32::try_from(flags.bits()).unwrap_or(0))
        .open(path)
        .map(fs_err::File::into_file)
}

/// Renames the staged file `id` names to `dst` (with `rename`, such as [`rename_into`]) and
/// returns the placed file's identity. The file is opened before the rename and must be
/// exactly the one hashed (same inode, size, modification and change time: a rewrite, a swap
/// or a new hard link since hashing is refused, not committed); the identity after the rename
/// is read from that handle, and what is at `dst` after the rename must be that file.
pub(crate) fn place_staged(
    id: &DiskId,
    dst: &Path,
    rename: impl FnOnce(&Path, &Path) -> Result<(), CacheError>,
) -> Result<DiskId, CacheError> {
    let changed = || CacheError::ChangedSinceVerified {
        path: id.path.clone(),
    };
    let handle = open_nofollow(&id.path).map_err(|_| changed())?;
    let before = handle.metadata().map_err(io("cannot stat", &id.path))?;
    if !id.matches(&before) {
        return Err(changed());
    }
    rename(&id.path, dst)?;
    let after = handle.metadata().map_err(io("cannot stat", dst))?;
    let at_dst = fs_err::symlink_metadata(dst).map_err(io("cannot stat", dst))?;
    let placed = DiskId::of(dst.to_path_buf(), &after);
    let there = DiskId::of(dst.to_path_buf(), &at_dst);
    if !placed.same_bytes(&before) || (there.dev, there.ino) != (placed.dev, placed.ino) {
        return Err(CacheError::ChangedSinceVerified {
            path: dst.to_path_buf(),
        });
    }
    Ok(placed)
}

/// The cached file at `dst` when it already holds exactly the bytes of the staged file `id`
/// names (a concurrent pull of the same model committed them first): compared byte for byte
/// from open handles, both unchanged across the comparison, and still the file at `dst`
/// after it. Keeping it instead of renaming over it keeps the inode that other pulls (and
/// the mirror) hashed and recorded. `None`: nothing there, a symlink, another size, other
/// bytes, or a file that changed while compared: the caller replaces it.
pub(crate) fn identical_at(id: &DiskId, dst: &Path) -> Result<Option<DiskId>, CacheError> {
    let Ok(mut there) = open_nofollow(dst) else {
        return Ok(None);
    };
    let before = there.metadata().map_err(io("cannot stat", dst))?;
    if !before.is_file() || before.len() != id.len {
        return Ok(None);
    }
    let changed = || CacheError::ChangedSinceVerified {
        path: id.path.clone(),
    };
    let mut staged = open_nofollow(&id.path).map_err(|_| changed())?;
    if !staged.metadata().is_ok_and(|m| id.matches(&m)) {
        return Err(changed());
    }
    let (mut a, mut b) = (vec![0u8; COMPARE_CHUNK], vec![0u8; COMPARE_CHUNK]);
    loop {
        let n = read_full(&mut staged, &mut a).map_err(io("cannot read", &id.path))?;
        let m = read_full(&mut there, &mut b[..n.max(1)]).map_err(io("cannot read", dst))?;
        if n != m || a[..n] != b[..m] {
            return Ok(None);
        }
        if n == 0 {
            break;
        }
    }
    if !staged.metadata().is_ok_and(|m| id.matches(&m)) {
        return Err(changed());
    }
    let kept = DiskId::of(dst.to_path_buf(), &before);
    let after = there.metadata().map_err(io("cannot stat", dst))?;
    let at_dst = fs_err::symlink_metadata(dst).map_err(io("cannot stat", dst))?;
    let now = DiskId::of(dst.to_path_buf(), &at_dst);
    if !kept.matches(&after) || !at_dst.is_file() || (now.dev, now.ino) != (kept.dev, kept.ino) {
        return Ok(None);
    }
    Ok(Some(kept))
}

/// How much of each file [`identical_at`] compares at a time.
const COMPARE_CHUNK: usize = 1 << 20;

/// Reads until `buf` is full or the file ends; the number of bytes read.
fn read_full(f: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    use std::io::Read as _;
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// A plain rename for [`place_staged`] (one that replaces what is at `dst`).
pub(crate) fn rename_into(src: &Path, dst: &Path) -> Result<(), CacheError> {
    fs_err::rename(src, dst).map_err(io("cannot move into", dst))
}

/// Opens a file of a staging folder for reading and writing, never through a symlink and
/// never blocking on a FIFO: what is there is kept (an interrupted pull's partial download)
/// only if it is a regular file owned by this user with no other link; anything else is
/// removed and the file created afresh (`O_EXCL`, so nothing planted meanwhile is used).
pub fn open_staging_file(path: &Path) -> std::io::Result<File> {
    use fs_err::os::unix::fs::OpenOptionsExt as _;
    use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _};
    let nofollow = rustix::fs::OFlags::NOFOLLOW;
    let flags = |f: rustix::fs::OFlags| i32::try_from(f.bits()).unwrap_or(0);
    #[expect(
        clippy::disallowed_methods,
        reason = "the symlink check below needs the raw OS error (ELOOP), which fs_err's wrapper hides"
    )]
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .custom_flags(flags(nofollow | rustix::fs::OFlags::NONBLOCK))
        .open(path);
    match opened {
        Ok(f) => {
            let m = f.metadata()?;
            let euid = rustix::process::geteuid().as_raw();
            if m.is_file() && m.uid() == euid && m.nlink() == 1 {
                // Writes to a regular file never block; clear the flag all the same.
                rustix::fs::fcntl_setfl(&f, rustix::fs::OFlags::empty())?;
                return Ok(f);
            }
        }
        // A symlink there (ELOOP): removed below, never followed.
        Err(e) if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) => {}
        Err(e) => return Err(e),
    }
    fs_err::remove_file(path)?;
    fs_err::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .custom_flags(flags(nofollow))
        .open(path)
        .map(fs_err::File::into_file)
}

/// A downloaded (or reused) file and what was computed while streaming it.
#[derive(Debug, Clone)]
pub struct StagedFile {
    pub file: CachedFile,
    pub source: Source,
    /// The manifest resources computed from the bytes.
    pub resources: Vec<ResourceDigest>,
}

/// How long an interrupted pull's partial downloads are kept for it to resume; a later pull
/// (of anything) removes older ones.
pub const STAGING_KEPT_FOR: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);
/// Interrupted pulls whose partial downloads are kept per staging root; beyond this, the
/// least recently used are removed (each holds at most one commit's files).
pub const MAX_KEPT_STAGING: usize = 4;
/// A folder without a lock file (killed before it locked) is removed after this.
const UNLOCKED_STAGING_AGE: std::time::Duration = std::time::Duration::from_secs(3600);
/// Random letters and digits ending a private staging folder's name (`<prefix>-XXXXXX`).
const PRIVATE_RANDOM_LEN: usize = 6;
/// What a resumable staging folder is for (`{"repo": …, "commit": …}`).
const STAGING_RECORD: &str = "pull.json";
/// The extension of a kept partial download (named by its content identity and size).
const PARTIAL: &str = "part";

/// Downloads in progress for one commit of one repo: outside the cache, invisible to it.
///
/// The folder is per (repository, commit) and held by an exclusive lock for as long as the pull
/// runs: a pull that is interrupted (killed, a dropped network, a failure) leaves its partial
/// downloads there, named by what they will be ([`Staging::partial_path`]), and the next pull of
/// that commit resumes them (re-hashing what is kept). Everything else in it is removed when the
/// pull ends; after a commit nothing is left. A second pull of the same commit while the first
/// runs gets a private folder of its own, removed when it ends.
#[derive(Debug)]
pub struct Staging {
    dir: StagingDir,
    _lock: File,
    repo: ModelRef,
    commit: String,
    files: Vec<StagedFile>,
    next: usize,
    /// Partial names handed out (two paths with the same content get one kept partial).
    partials: std::collections::HashSet<String>,
}

/// A staging folder and whether it outlives its pull.
#[derive(Debug)]
struct StagingDir {
    path: PathBuf,
    /// Holds resumable partial downloads (kept when the pull ends without a commit).
    resumable: bool,
}

impl StagingDir {
    fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Staging {
    /// Runs while the folder's lock is still held (fields drop after this).
    fn drop(&mut self) {
        let dir = self.dir.path();
        if self.dir.resumable {
            clean_resumable(dir);
            if has_partials(dir) {
                return;
            }
        }
        remove_staging_dir(dir);
    }
}

/// Removes from a resumable staging folder everything but its lock, its record and the kept
/// partial downloads (`files/*.part`): what a killed pull built besides them is not reused.
fn clean_resumable(dir: &Path) {
    for e in fs_err::read_dir(dir).into_iter().flatten().flatten() {
        let name = e.file_name();
        if name == ".lock" || name == STAGING_RECORD {
            continue;
        }
        if name == "files" && e.file_type().is_ok_and(|t| t.is_dir()) {
            for f in fs_err::read_dir(e.path()).into_iter().flatten().flatten() {
                let partial = f.file_type().is_ok_and(|t| t.is_file())
                    && Path::new(&f.file_name()).extension() == Some(std::ffi::OsStr::new(PARTIAL));
                if !partial {
                    let _ = remove_entry(&f.path());
                }
            }
            continue;
        }
        let _ = remove_entry(&e.path());
    }
}

/// Whether a staging folder holds a partial download to resume (`files/*.part`).
fn has_partials(dir: &Path) -> bool {
    fs_err::read_dir(dir.join("files"))
        .into_iter()
        .flatten()
        .flatten()
        .any(|f| {
            f.file_type().is_ok_and(|t| t.is_file())
                && Path::new(&f.file_name()).extension() == Some(std::ffi::OsStr::new(PARTIAL))
        })
}

/// Whether `error` or one of its causes is a full disk or an exhausted disk quota.
fn disk_full(error: &(dyn std::error::Error + 'static)) -> bool {
    std::iter::successors(Some(error), |e| e.source()).any(|e| {
        e.downcast_ref::<std::io::Error>().is_some_and(|io| {
            matches!(
                io.kind(),
                std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
            )
        })
    })
}

/// Removes a file, a symlink (never followed) or a directory tree.
fn remove_entry(p: &Path) -> std::io::Result<()> {
    match fs_err::symlink_metadata(p) {
        Ok(m) if m.is_dir() => fs_err::remove_dir_all(p),
        Ok(_) => fs_err::remove_file(p),
        Err(e) => Err(e),
    }
}

/// Removes a staging folder whose lock the caller holds: first renamed aside (so a pull that
/// starts meanwhile makes a fresh folder under the name, never one half removed), then removed.
fn remove_staging_dir(dir: &Path) {
    let aside = dir.with_file_name(format!(
        ".removing-{}-{}",
        std::process::id(),
        dir.file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    ));
    let target = if fs_err::rename(dir, &aside).is_ok() {
        aside
    } else {
        dir.to_path_buf()
    };
    let _ = fs_err::remove_dir_all(target);
}

/// `path` as a directory only this user can write, created with mode 0700 if missing: `None`
/// if what is there is not a real directory or is another user's (someone else could replace
/// the files staged in it after they were hashed).
fn private_dir(path: &Path) -> Option<PathBuf> {
    made_private(path).map(|_| path.to_path_buf())
}

/// [`private_dir`], telling whether the directory was writable by group or others (one an
/// earlier version made under a umask such as 002) and has just been made 0700: `Some(true)`.
fn made_private(path: &Path) -> Option<bool> {
    use rustix::fs::{Mode, OFlags};
    use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _};
    match std::fs::DirBuilder::new().mode(0o700).create(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(_) => return None,
    }
    let m = fs_err::symlink_metadata(path).ok()?;
    let euid = rustix::process::geteuid().as_raw();
    if !(m.is_dir() && m.uid() == euid) {
        return None;
    }
    if m.mode() & 0o022 == 0 {
        return Some(false);
    }
    // Changed through a handle on the very directory checked, never through a symlink.
    let fd = rustix::fs::open(
        path,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .ok()?;
    let st = rustix::fs::fstat(&fd).ok()?;
    if st.st_uid != euid || st.st_ino != m.ino() || st.st_dev != m.dev() {
        return None;
    }
    rustix::fs::fchmod(&fd, Mode::from_raw_mode(0o700)).ok()?;
    Some(true)
}

/// Whether what is at `path` (not followed) is writable by group or others.
fn shared_mode(path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    fs_err::symlink_metadata(path).is_ok_and(|m| m.mode() & 0o022 != 0)
}

/// Opens (creating) and tries to lock `dir/.lock` without waiting: `None` if another process
/// holds it, or if the file locked is no longer the one at that path (its folder was being
/// removed or renamed aside when it was opened).
fn try_lock_staging(dir: &Path) -> Result<Option<File>, CacheError> {
    use std::os::unix::fs::MetadataExt as _;
    let path = dir.join(".lock");
    let f = open_lock_file(&path)?;
    let m = f.metadata().map_err(io("cannot stat", &path))?;
    if !f.try_lock_exclusive().is_ok_and(|locked| locked) {
        return Ok(None);
    }
    let still_there =
        fs_err::symlink_metadata(&path).is_ok_and(|now| now.ino() == m.ino() && now.dev() == m.dev());
    Ok(still_there.then_some(f))
}

/// One staging folder found under a staging root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptStaging {
    pub path: PathBuf,
    /// The repository and commit it holds partial downloads of (from its record; none for a
    /// private folder of a pull running alongside another one).
    pub repo: Option<String>,
    pub commit: Option<String>,
    /// Bytes of the files in it.
    pub bytes: u64,
    /// Since it was last used by a pull.
    pub age: Option<std::time::Duration>,
    /// A running pull holds it (it is never removed then).
    pub in_use: bool,
}

/// The staging folders under `root` (a cache's staging root or a local directory's), newest
/// first. Read only: a folder's lock is tried and released at once.
#[must_use]
pub fn list_staging(root: &Path) -> Vec<KeptStaging> {
    let mut out: Vec<KeptStaging> = staging_dirs(root)
        .into_iter()
        .map(|dir| {
            let in_use = match fs_err::symlink_metadata(dir.join(".lock")) {
                Ok(_) => !matches!(try_lock_staging(&dir), Ok(Some(_))),
                Err(_) => false,
            };
            describe(dir, in_use)
        })
        .collect();
    out.sort_by_key(|k| k.age);
    out
}

/// Removes every staging folder under `root` that no running pull holds; returns what it
/// removed. Only folders named as [`Staging::create`] names them are considered (nothing else
/// in the root, such as what `--force` moved aside, is touched); one without a lock file is
/// removed only once it is older than a pull takes to create its lock.
#[must_use]
pub fn clean_staging(root: &Path) -> Vec<KeptStaging> {
    let mut removed = Vec::new();
    for dir in staging_dirs(root) {
        let lock = if fs_err::symlink_metadata(dir.join(".lock")).is_ok() {
            match try_lock_staging(&dir) {
                Ok(Some(lock)) => Some(lock),
                _ => continue,
            }
        } else if unlocked_for_long(&dir) {
            None
        } else {
            // A pull between creating its folder and its lock.
            continue;
        };
        let found = describe(dir, false);
        remove_staging_dir(&found.path);
        drop(lock);
        removed.push(found);
    }
    removed
}

/// The staging folders directly under a staging root: real directories (symlinks and files,
/// such as commit locks, are not) named as [`Staging::create`] names them and holding what a
/// pull puts in one (its `.lock` or `pull.json`), or nothing at all. Anything else there was
/// not made by a pull and is never listed, locked or removed; so is everything under a root
/// that is not a real directory of this user's (a symlink there could point at any folder).
fn staging_dirs(root: &Path) -> Vec<PathBuf> {
    use std::os::unix::fs::MetadataExt as _;
    let euid = rustix::process::geteuid().as_raw();
    if !fs_err::symlink_metadata(root).is_ok_and(|m| m.is_dir() && m.uid() == euid) {
        return Vec::new();
    }
    fs_err::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|e| e.file_name().to_str().is_some_and(is_staging_name))
        .map(|e| e.path())
        .filter(|dir| holds_staging_marker(dir))
        .collect()
}

/// Whether `dir` holds a staging folder's lock or record as a regular file, or is empty (a
/// pull killed between creating its folder and its lock).
fn holds_staging_marker(dir: &Path) -> bool {
    let regular = |name: &str| fs_err::symlink_metadata(dir.join(name)).is_ok_and(|m| m.is_file());
    regular(".lock")
        || regular(STAGING_RECORD)
        || fs_err::read_dir(dir).is_ok_and(|mut entries| entries.next().is_none())
}

/// `base/rel` if every component below `base` is a real directory (no symlink, nothing
/// created): where a staging root under a directory the user named may be read.
#[must_use]
pub fn real_dir_below(base: &Path, rel: &Path) -> Option<PathBuf> {
    let mut p = base.to_path_buf();
    for c in rel.components() {
        let std::path::Component::Normal(c) = c else {
            return None;
        };
        p.push(c);
        if !fs_err::symlink_metadata(&p).is_ok_and(|m| m.is_dir()) {
            return None;
        }
    }
    Some(p)
}

/// A name a staging folder can have: `<prefix>@<commit>` (resumable), `<prefix>-XXXXXX` (a
/// private folder: six random letters and digits), or one of these renamed aside for removal
/// (`.removing-<pid>-<name>`).
fn is_staging_name(name: &str) -> bool {
    if let Some(rest) = name.strip_prefix(".removing-") {
        return rest.split_once('-').is_some_and(|(pid, inner)| {
            !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()) && is_staging_name(inner)
        });
    }
    if let Some((prefix, commit)) = name.split_once('@') {
        return safe_staging_part(prefix) && safe_staging_part(commit);
    }
    name.rsplit_once('-').is_some_and(|(prefix, random)| {
        safe_staging_part(prefix)
            && random.len() == PRIVATE_RANDOM_LEN
            && random.bytes().all(|b| b.is_ascii_alphanumeric())
    })
}

/// Whether a prefix or commit may name a resumable staging folder (`<prefix>@<commit>`): plain
/// letters, digits, `-`, `_`, `.`, not starting with a dot.
fn safe_staging_part(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && !s.starts_with('.')
}

fn describe(path: PathBuf, in_use: bool) -> KeptStaging {
    let record: Option<serde_json::Value> =
        crate::fsutil::read_regular_capped(&path.join(STAGING_RECORD), 64 << 10)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok());
    let field = |k: &str| {
        record
            .as_ref()
            .and_then(|r| r.get(k))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    let age = fs_err::symlink_metadata(path.join(".lock"))
        .or_else(|_| fs_err::symlink_metadata(&path))
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok());
    KeptStaging {
        repo: field("repo"),
        commit: field("commit"),
        bytes: tree_bytes(&path),
        age,
        in_use,
        path,
    }
}

/// Bytes of the regular files under `dir` (symlinks not followed).
fn tree_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs_err::read_dir(&d).into_iter().flatten().flatten() {
            match e.metadata() {
                Ok(m) if m.is_dir() => stack.push(e.path()),
                Ok(m) if m.is_file() => total += m.len(),
                _ => {}
            }
        }
    }
    total
}

/// Whether a staging folder without a lock file was last modified longer ago than a pull
/// takes between creating it and its lock (a killed pull's, not a starting one's).
fn unlocked_for_long(dir: &Path) -> bool {
    fs_err::symlink_metadata(dir)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|d| d > UNLOCKED_STAGING_AGE)
}

/// Removes what interrupted pulls left under `root` and no running pull holds, except `keep`:
/// folders without a lock older than an hour, private folders, folders with no partial
/// download to resume, resumable folders unused for [`STAGING_KEPT_FOR`], and the least
/// recently used beyond [`MAX_KEPT_STAGING`].
fn remove_stale_staging(root: &Path, keep: &Path) {
    let mut kept = Vec::new();
    for dir in staging_dirs(root) {
        if dir == keep {
            continue;
        }
        if fs_err::symlink_metadata(dir.join(".lock")).is_err() {
            if unlocked_for_long(&dir) {
                remove_staging_dir(&dir);
            }
            continue;
        }
        let Ok(Some(lock)) = try_lock_staging(&dir) else {
            continue;
        };
        let found = describe(dir, false);
        let fresh = found.age.is_some_and(|a| a < STAGING_KEPT_FOR);
        let removing = found
            .path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with(".removing-"));
        if found.commit.is_some() && fresh && !removing && has_partials(&found.path) {
            kept.push(found);
        } else {
            remove_staging_dir(&found.path);
        }
        drop(lock);
    }
    // The folder of this pull counts as one.
    kept.sort_by_key(|k| k.age);
    for old in kept.iter().skip(MAX_KEPT_STAGING.saturating_sub(1)) {
        if let Ok(Some(lock)) = try_lock_staging(&old.path) {
            remove_staging_dir(&old.path);
            drop(lock);
        }
    }
}

impl Staging {
    /// The staging area of `repo` at `commit` under `root`, named `<prefix>@<commit>`: the one an
    /// interrupted pull of that commit left (its partial downloads are resumed), or a new one.
    /// If another pull of the same commit holds it, or something not a staging folder is in its
    /// place (or its lock's), a private folder is made instead. Stale areas other pulls left
    /// are removed.
    pub fn create(root: &Path, prefix: &str, repo: &ModelRef, commit: &str) -> Result<Self, CacheError> {
        fs_err::create_dir_all(root).map_err(|e| CacheError::Io {
            action: "cannot create staging",
            path: root.into(),
            source: e,
        })?;
        // Whatever is in the way of the shared folder (a symlink or a file in its place, a
        // folder, symlink or FIFO in place of its lock) is left alone, and this pull stages in a
        // private folder: it must not stop pulls of the commit until someone removes it. So is a
        // folder (or files/ in it) another user owns or that group or others can write: the
        // files staged in it could be replaced after they are hashed.
        let shared = if safe_staging_part(prefix) && safe_staging_part(commit) {
            let dir = root.join(format!("{prefix}@{commit}"));
            made_private(&dir)
                .and_then(|was_shared| {
                    try_lock_staging(&dir)
                        .ok()
                        .flatten()
                        .map(|lock| (dir, lock, was_shared))
                })
                .and_then(|(dir, lock, was_shared)| {
                    // What a killed pull built besides its partial downloads is not reused.
                    clean_resumable(&dir);
                    // Nor is what a folder others could write held: it is made private (an
                    // earlier version made it under a umask such as 002) and starts empty.
                    let files = dir.join("files");
                    if was_shared || shared_mode(&files) {
                        let _ = remove_entry(&files);
                    }
                    private_dir(&files).map(|_| (dir, lock))
                })
        } else {
            None
        };
        let (dir, lock) = if let Some((dir, lock)) = shared {
            let record = serde_json::json!({ "repo": repo.to_string(), "commit": commit });
            write_atomic(&dir.join(STAGING_RECORD), record.to_string().as_bytes())?;
            // The lock file's time is the folder's "last used".
            lock.set_modified(std::time::SystemTime::now())
                .map_err(io("cannot touch", &dir))?;
            (
                StagingDir {
                    path: dir,
                    resumable: true,
                },
                lock,
            )
        } else {
            let dir = tempfile::Builder::new()
                .prefix(&format!("{prefix}-"))
                .rand_bytes(PRIVATE_RANDOM_LEN)
                .tempdir_in(root)
                .map_err(io("cannot create staging in", root))?
                .keep();
            // Locked before it takes its name: another pull's cleaning removes a private folder
            // whose `.lock` it can lock, and a `.lock` created, then locked, left a moment when
            // it could (seen with three pulls of one model at once).
            let unnamed = dir.join(".lock.new");
            let lock = fs_err::File::create(&unnamed)
                .map(fs_err::File::into_file)
                .map_err(io("cannot create", &dir))?;
            lock.lock_exclusive().map_err(io("cannot lock", &dir))?;
            fs_err::rename(&unnamed, dir.join(".lock")).map_err(io("cannot name the lock of", &dir))?;
            (
                StagingDir {
                    path: dir,
                    resumable: false,
                },
                lock,
            )
        };
        remove_stale_staging(root, dir.path());
        // A real directory of this user's that nobody else may write (a symlink left in its
        // place was removed by the cleaning above).
        let files = dir.path().join("files");
        if private_dir(&files).is_none() {
            return Err(CacheError::NotARealDirectory { path: files });
        }
        Ok(Self {
            dir,
            _lock: lock,
            repo: repo.clone(),
            commit: commit.to_owned(),
            files: Vec::new(),
            next: 0,
            partials: std::collections::HashSet::new(),
        })
    }

    /// Keeps nothing of this pull once it ends (a definite "no": its partial downloads are of
    /// a commit that does not verify, or of bytes that do not match).
    pub fn discard(&mut self) {
        self.dir.resumable = false;
    }

    /// Records why this pull failed: after a full disk (or an exhausted quota) anywhere in
    /// `error`'s causes, nothing is kept either: partial downloads kept for days would hold
    /// the very space the next pull needs.
    pub fn failed_with(&mut self, error: &(dyn std::error::Error + 'static)) {
        if disk_full(error) {
            self.discard();
        }
    }

    /// A new file path inside the staging area (removed when the pull ends, never resumed).
    pub fn new_file_path(&mut self) -> PathBuf {
        self.next += 1;
        self.dir.path().join("files").join(format!("{}.tmp", self.next))
    }

    /// Where the download of a file with this content identity (the listed SHA-256 or git
    /// blob id, hex) and size is kept across runs: it may already hold a prefix an interrupted
    /// pull wrote, to be re-hashed and resumed. `None` in a private folder, for a name that is
    /// not plain hex, or when another file of this pull already has that name.
    pub fn partial_path(&mut self, content: &str, size: u64) -> Option<PathBuf> {
        let hex =
            !content.is_empty() && content.len() <= 128 && content.bytes().all(|b| b.is_ascii_hexdigit());
        if !self.dir.resumable || !hex {
            return None;
        }
        let name = format!("{}-{size}.{PARTIAL}", content.to_ascii_lowercase());
        self.partials
            .insert(name.clone())
            .then(|| self.dir.path().join("files").join(name))
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
            let d = fs_err::File::open(dir).map_err(io("cannot open", dir))?;
            rustix::fs::syncfs(&d).map_err(|e| CacheError::Io {
                action: "cannot flush to disk",
                path: dir.to_path_buf(),
                source: e.into(),
            })
        }
        #[cfg(not(target_os = "linux"))]
        {
            for f in &self.files {
                if let Source::Staged(DiskId { path: p, .. }) = &f.source {
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
    /// Each committed file's bytes by repository path, as verified (layouts of one file per
    /// blob, the Hugging Face cache; empty for the others).
    pub disk: std::collections::BTreeMap<String, DiskId>,
}

/// A real directory: not a symlink to one, not a file.
fn real_dir(p: &Path) -> bool {
    fs_err::symlink_metadata(p).is_ok_and(|m| m.is_dir())
}

/// `base/rel` as a chain of real directories, creating the missing ones: every component below
/// `base` is checked with `symlink_metadata`, so nothing is ever written through a symlink an
/// attacker placed in the cache or the local directory. `base` itself is the user's choice.
pub fn real_dirs(base: &Path, rel: &Path) -> Result<PathBuf, CacheError> {
    if !base.is_dir() {
        fs_err::create_dir_all(base).map_err(io("cannot create", base))?;
    }
    let mut p = base.to_path_buf();
    for c in rel.components() {
        let std::path::Component::Normal(c) = c else {
            return Err(CacheError::NotARealDirectory { path: p.join(c) });
        };
        p.push(c);
        match fs_err::symlink_metadata(&p) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err(CacheError::NotARealDirectory { path: p }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => match fs_err::create_dir(&p) {
                Ok(()) => {}
                // Another process made it meanwhile: check what it made.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    if !fs_err::symlink_metadata(&p).is_ok_and(|m| m.is_dir()) {
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

/// Renames `new` to `dst`; an entry already at `dst` (a directory, or a symlink an attacker
/// placed) is first moved aside to `aside` and removed only after the swap succeeded, or put
/// back if it failed.
fn swap_in(new: &Path, dst: &Path, aside: &Path) -> Result<(), CacheError> {
    let existed = fs_err::symlink_metadata(dst).is_ok();
    if existed {
        fs_err::rename(dst, aside).map_err(|e| CacheError::Io {
            action: "cannot move aside",
            path: dst.into(),
            source: e,
        })?;
    }
    if let Err(e) = fs_err::rename(new, dst) {
        if existed {
            // Put the old one back; if even that fails, say so: it is still in `aside`.
            fs_err::rename(aside, dst).map_err(|back| CacheError::Io {
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
        let _ = match fs_err::symlink_metadata(aside) {
            Ok(m) if m.is_dir() => fs_err::remove_dir_all(aside),
            _ => fs_err::remove_file(aside),
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{
        MAX_KEPT_STAGING, STAGING_KEPT_FOR, Staging, UNLOCKED_STAGING_AGE, clean_staging, list_staging,
    };
    use crate::reference::ModelRef;
    use std::time::{Duration, SystemTime};

    fn repo() -> ModelRef {
        ModelRef::parse("org/model", None).unwrap()
    }

    /// An interrupted pull's folder: a kept partial, its lock last used `ago`.
    fn interrupted(root: &std::path::Path, commit: &str, ago: Duration) {
        let staging = Staging::create(root, "models--org--model", &repo(), commit).unwrap();
        let dir = root.join(format!("models--org--model@{commit}"));
        fs_err::write(dir.join("files").join("ab-3.part"), b"abc").unwrap();
        drop(staging);
        let lock = fs_err::File::options()
            .write(true)
            .open(dir.join(".lock"))
            .unwrap();
        lock.set_modified(SystemTime::now() - ago).unwrap();
    }

    #[test]
    fn pulls_of_one_commit_at_once_each_keep_their_staging() {
        // Regression: a private folder's lock was created, then locked; another pull's
        // cleaning could lock it in between and remove the folder under its pull.
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::thread::scope(|s| {
            for _ in 0..6 {
                s.spawn(|| {
                    for _ in 0..60 {
                        let staging = Staging::create(root, "models--org--model", &repo(), "c1").unwrap();
                        assert!(staging.dir.path().join("files").is_dir());
                    }
                });
            }
        });
    }

    #[test]
    fn kept_staging_is_bounded_in_number_and_age() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        // A pull that ends with nothing kept leaves no folder.
        drop(Staging::create(root, "models--org--model", &repo(), "c0").unwrap());
        assert!(list_staging(root).is_empty());
        interrupted(root, "old", STAGING_KEPT_FOR + Duration::from_secs(60));
        for (i, c) in ["c1", "c2", "c3", "c4", "c5"].iter().enumerate() {
            interrupted(root, c, Duration::from_secs(600 - 60 * i as u64));
        }
        // A private folder of a pull killed long ago (its lock is free).
        let private = root.join("models--org--model-x1y2z3");
        fs_err::create_dir_all(&private).unwrap();
        fs_err::write(private.join(".lock"), b"").unwrap();
        // The next pull (of another commit) keeps the most recent ones only.
        let staging = Staging::create(root, "models--org--model", &repo(), "c6").unwrap();
        let mut kept: Vec<String> = list_staging(root)
            .into_iter()
            .filter(|k| !k.in_use)
            .filter_map(|k| k.commit)
            .collect();
        kept.sort();
        assert_eq!(kept.len(), MAX_KEPT_STAGING - 1, "{kept:?}");
        assert_eq!(kept, ["c3", "c4", "c5"]);
        let mine = list_staging(root).into_iter().find(|k| k.in_use).unwrap();
        assert_eq!(mine.commit.as_deref(), Some("c6"));
        assert!(!private.exists());
        drop(staging);
        assert!(!root.join("models--org--model@c6").exists());
    }

    /// `--clean` removes staging folders only: nothing else in the root (what `--force` moved
    /// aside, a user's folder), and not a folder a pull has created but not locked yet.
    #[test]
    fn clean_removes_only_staging_folders_no_pull_is_creating() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        interrupted(root, "c1", Duration::from_secs(60));
        let theirs = [
            "displaced-2024-02-29T123456Z/key.pem",
            "displaced-2024-02-29T123456Z-1/train.py",
            "notes/a.txt",
            "staging/models--org--model@c9/files/x.part",
        ];
        for rel in theirs {
            let p = root.join(rel);
            fs_err::create_dir_all(p.parent().unwrap()).unwrap();
            fs_err::write(&p, b"not hubsign's").unwrap();
        }
        // Created by a pull that has not made its lock yet.
        let starting = root.join("models--org--model@c2");
        fs_err::create_dir(&starting).unwrap();
        let listed: Vec<_> = list_staging(root).into_iter().map(|k| k.path).collect();
        assert_eq!(listed.len(), 2, "{listed:?}");
        let removed: Vec<_> = clean_staging(root).into_iter().map(|k| k.path).collect();
        assert_eq!(removed, [root.join("models--org--model@c1")]);
        assert!(starting.is_dir(), "a starting pull's folder was removed");
        for rel in theirs {
            assert_eq!(fs_err::read(root.join(rel)).unwrap(), b"not hubsign's", "{rel}");
        }
        // Left without a lock for longer than a pull takes to make one: a killed pull's.
        fs_err::File::open(&starting)
            .unwrap()
            .set_modified(SystemTime::now() - UNLOCKED_STAGING_AGE - Duration::from_secs(60))
            .unwrap();
        let removed: Vec<_> = clean_staging(root).into_iter().map(|k| k.path).collect();
        assert_eq!(removed, [starting]);
    }

    /// A folder named like a staging folder but holding neither a lock nor a record (a user's
    /// `user@host` or `foo-bar123` folder with files in it) is never listed or removed, however old.
    #[test]
    fn a_folder_without_a_staging_marker_is_not_cleaned() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        for name in ["user@host", "foo-bar123"] {
            let d = root.join(name);
            fs_err::create_dir(&d).unwrap();
            fs_err::write(d.join("notes.txt"), b"the user's").unwrap();
            fs_err::File::open(&d)
                .unwrap()
                .set_modified(SystemTime::now() - UNLOCKED_STAGING_AGE - Duration::from_secs(60))
                .unwrap();
        }
        assert_eq!(list_staging(root), []);
        assert_eq!(clean_staging(root), []);
        assert_eq!(
            fs_err::read(root.join("user@host/notes.txt")).unwrap(),
            b"the user's"
        );
        assert_eq!(
            fs_err::read(root.join("foo-bar123/notes.txt")).unwrap(),
            b"the user's"
        );
    }

    /// A pull that fails on a full disk keeps no partial download (they would hold the space
    /// the next pull needs); one that fails otherwise (a dropped connection) keeps them.
    #[test]
    fn a_pull_that_fails_on_a_full_disk_keeps_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let fail = |commit: &str, kind: std::io::ErrorKind| {
            let mut staging = Staging::create(root, "models--org--model", &repo(), commit).unwrap();
            let part = staging.partial_path("ab", 3).unwrap();
            fs_err::write(&part, b"ab").unwrap();
            let error = super::CacheError::Io {
                action: "cannot write",
                path: part,
                source: kind.into(),
            };
            staging.failed_with(&error);
        };
        fail("c1", std::io::ErrorKind::StorageFull);
        fail("c2", std::io::ErrorKind::QuotaExceeded);
        fail("c3", std::io::ErrorKind::ConnectionReset);
        let kept: Vec<_> = list_staging(root).into_iter().filter_map(|k| k.commit).collect();
        assert_eq!(kept, ["c3"]);
    }

    /// A shared staging folder of this user's that group or others can write (made by an
    /// earlier version under umask 002) is made private and used, not passed over for a private
    /// folder on every pull; the partial downloads it held are not resumed from.
    #[test]
    fn a_group_writable_staging_folder_of_ours_is_made_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let dir = root.join("models--org--model@c1");
        fs_err::create_dir_all(dir.join("files")).unwrap();
        fs_err::write(dir.join("files").join("ab-3.part"), b"abc").unwrap();
        for d in [&dir, &dir.join("files")] {
            fs_err::set_permissions(d, std::fs::Permissions::from_mode(0o775)).unwrap();
        }
        let mut staging = Staging::create(root, "models--org--model", &repo(), "c1").unwrap();
        assert_eq!(staging.dir.path(), dir, "staged in a private folder instead");
        for d in [&dir, &dir.join("files")] {
            let mode = fs_err::metadata(d).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700, "{d:?}");
        }
        assert!(
            !dir.join("files").join("ab-3.part").exists(),
            "resumed from a shared folder"
        );
        assert!(staging.partial_path("ab", 3).is_some());
    }

    /// Regression (concurrent pulls failed "changed after this pull verified it"): a pull that
    /// downloaded a blob another pull had meanwhile committed renamed its copy over it, so a
    /// third pull that had hashed and reused the committed file no longer found it. The same
    /// bytes are kept in place; other bytes, another size or a symlink are replaced.
    #[test]
    fn a_blob_with_the_same_bytes_is_kept_not_replaced() {
        use std::os::unix::fs::MetadataExt as _;
        let tmp = tempfile::tempdir().unwrap();
        let stage = |name: &str, bytes: &[u8]| {
            let p = tmp.path().join(name);
            fs_err::write(&p, bytes).unwrap();
            super::DiskId::of(p.clone(), &fs_err::symlink_metadata(&p).unwrap())
        };
        let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        let dst = tmp.path().join("blob");
        fs_err::write(&dst, &big).unwrap();
        let ino = fs_err::metadata(&dst).unwrap().ino();
        let id = stage("staged", &big);
        let kept = super::identical_at(&id, &dst).unwrap().expect("same bytes kept");
        assert_eq!((kept.ino, kept.path.clone()), (ino, dst.clone()));
        let mut other = big.clone();
        other[2_500_000] ^= 1;
        let id = stage("other", &other);
        assert_eq!(super::identical_at(&id, &dst).unwrap(), None, "other bytes");
        let id = stage("short", &big[..10]);
        assert_eq!(super::identical_at(&id, &dst).unwrap(), None, "another size");
        let link = tmp.path().join("link");
        fs_err::os::unix::fs::symlink(&dst, &link).unwrap();
        let id = stage("again", &big);
        assert_eq!(super::identical_at(&id, &link).unwrap(), None, "a symlink");
        assert_eq!(super::identical_at(&id, &tmp.path().join("none")).unwrap(), None);
        fs_err::write(&id.path, b"swapped").unwrap();
        assert!(matches!(
            super::identical_at(&id, &dst),
            Err(super::CacheError::ChangedSinceVerified { .. })
        ));
    }

    /// What is at the destination after the rename must be the file hashed: another file put
    /// there meanwhile (the staged one renamed elsewhere) is refused, not recorded as placed.
    #[test]
    fn place_staged_checks_what_is_at_the_destination() {
        let tmp = tempfile::tempdir().unwrap();
        let staged = tmp.path().join("staged");
        fs_err::write(&staged, b"verified").unwrap();
        let id = super::DiskId::of(staged.clone(), &fs_err::symlink_metadata(&staged).unwrap());
        let dst = tmp.path().join("dst");
        let err = super::place_staged(&id, &dst, |src, dst| {
            fs_err::rename(src, dst.with_extension("elsewhere")).unwrap();
            fs_err::write(dst, b"something else").unwrap();
            Ok(())
        })
        .unwrap_err();
        assert!(
            matches!(err, super::CacheError::ChangedSinceVerified { .. }),
            "{err:?}"
        );
        let placed = super::place_staged(
            &super::DiskId::of(
                dst.with_extension("elsewhere"),
                &fs_err::symlink_metadata(dst.with_extension("elsewhere")).unwrap(),
            ),
            &tmp.path().join("final"),
            super::rename_into,
        )
        .unwrap();
        assert_eq!(placed.path, tmp.path().join("final"));
    }

    #[test]
    fn a_second_pull_of_the_same_commit_gets_a_private_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let mut first = Staging::create(tmp.path(), "models--org--model", &repo(), "c1").unwrap();
        let mut second = Staging::create(tmp.path(), "models--org--model", &repo(), "c1").unwrap();
        assert!(first.partial_path("ab", 3).is_some());
        assert!(first.partial_path("ab", 3).is_none(), "one name per content");
        assert!(
            second.partial_path("ab", 3).is_none(),
            "a private folder keeps nothing"
        );
        let private = second.dir.path().to_path_buf();
        drop(second);
        assert!(!private.exists());
    }
}

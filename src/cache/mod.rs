//! The Hugging Face cache, laid out exactly as `huggingface_hub` does, and the only code that
//! makes downloaded bytes visible in it.
//!
//! `Staging` (outside the cache root, same filesystem) → [`Staging::verified`] with a
//! [`ManifestProof`] → [`VerifiedStaging`] → [`commit`]. `commit` takes a `VerifiedStaging`
//! by value and only a proof from `verify` can make one, so "commit before verify" does not
//! compile. A failed or killed pull leaves the cache as it was: blobs are renamed in under a
//! lock, the snapshot directory appears in one rename, the ref is written last.

use crate::hub::huggingface::{LfsInfo, RemoteFile};
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
    /// Exit 2: `--local-dir` must end up holding exactly the verified files.
    #[error(
        "{dir} holds {} not covered by the signature: {}{}; move them away, or pass --force to replace the directory's contents",
        if files.len() == 1 { "a file" } else { "files" },
        files.iter().take(10).cloned().collect::<Vec<_>>().join(", "),
        if files.len() > 10 { format!(" and {} more", files.len() - 10) } else { String::new() }
    )]
    LocalDirNotEmpty { dir: PathBuf, files: Vec<String> },
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

/// A Hugging Face hub cache directory (`HF_HUB_CACHE`).
#[derive(Debug, Clone)]
pub struct HfCache {
    root: PathBuf,
}

impl HfCache {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `models--org--name`.
    pub fn repo_folder(repo_id: &str) -> String {
        format!("models--{}", repo_id.replace('/', "--"))
    }

    pub fn repo_dir(&self, repo_id: &str) -> PathBuf {
        self.root.join(Self::repo_folder(repo_id))
    }

    pub fn snapshot_dir(&self, repo_id: &str, commit: &str) -> PathBuf {
        self.repo_dir(repo_id).join("snapshots").join(commit)
    }

    pub fn blob_path(&self, repo_id: &str, etag: &str) -> PathBuf {
        self.repo_dir(repo_id).join("blobs").join(etag)
    }

    /// The cached blob `etag`, if it may be re-hashed and reused: a regular file (not a symlink,
    /// whose target could change after it was checked) reached through real directories only.
    /// Anything else is downloaded again and replaced.
    pub fn reusable_blob(&self, repo_id: &str, etag: &str) -> Option<PathBuf> {
        let repo = self.repo_dir(repo_id);
        let blobs = repo.join("blobs");
        let real_dir = |p: &Path| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_dir());
        if !real_dir(&repo) || !real_dir(&blobs) {
            return None;
        }
        let blob = blobs.join(etag);
        std::fs::symlink_metadata(&blob)
            .is_ok_and(|m| m.file_type().is_file())
            .then_some(blob)
    }

    /// The commit a ref points to, read raw as `huggingface_hub` does; a full commit id is itself.
    pub fn resolve_revision(&self, repo_id: &str, revision: &str) -> Option<String> {
        if revision.len() == 40 && revision.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Some(revision.to_ascii_lowercase());
        }
        let raw = std::fs::read_to_string(self.repo_dir(repo_id).join("refs").join(revision)).ok()?;
        let c = raw.trim();
        (c.len() == 40 && c.bytes().all(|b| b.is_ascii_hexdigit())).then(|| c.to_owned())
    }

    /// Where staging areas live: a sibling of the cache root (never inside it, where it would
    /// confuse `scan_cache_dir`), on the same filesystem so commit is a rename.
    fn staging_root(&self) -> PathBuf {
        let name = self
            .root
            .file_name()
            .map_or_else(|| "hub".into(), |n| n.to_string_lossy().into_owned());
        self.root
            .parent()
            .unwrap_or(Path::new("."))
            .join(format!(".{name}.hubsign-staging"))
    }

    /// Refuses a cache whose folders for `repo_id` are symlinks or files (checked before any
    /// download, and again as each folder is used at commit): nothing may be written through
    /// them. Missing folders are fine; nothing is created here.
    pub fn check_layout(&self, repo_id: &str) -> Result<(), CacheError> {
        let folder = Self::repo_folder(repo_id);
        for rel in [
            folder.clone(),
            format!("{folder}/blobs"),
            format!("{folder}/snapshots"),
            format!("{folder}/refs"),
            format!("{folder}/trees"),
            ".locks".to_owned(),
            format!(".locks/{folder}"),
        ] {
            let p = self.root.join(rel);
            if std::fs::symlink_metadata(&p).is_ok_and(|m| !m.is_dir()) {
                return Err(CacheError::NotARealDirectory { path: p });
            }
        }
        Ok(())
    }

    /// A fresh staging area for one pull. Stale areas left by killed pulls (their lock is free)
    /// are removed first. The cache's layout is checked first ([`HfCache::check_layout`]).
    pub fn staging(&self, repo_id: &str, commit: &str) -> Result<Staging, CacheError> {
        self.check_layout(repo_id)?;
        // Nothing is created inside the cache until commit; compare devices with the nearest
        // existing ancestor of the cache root.
        let root = self.staging_root();
        let parent = root.parent().unwrap_or(Path::new("."));
        fs_err::create_dir_all(parent).map_err(|e| CacheError::Io {
            action: "cannot create staging",
            path: parent.to_path_buf(),
            source: e,
        })?;
        real_dirs(parent, root.file_name().map_or(Path::new("."), Path::new))?;
        let probe = self
            .root
            .ancestors()
            .find(|p| p.exists())
            .unwrap_or(Path::new("/"));
        same_device(&root, probe)?;
        Staging::create(&root, repo_id, commit)
    }
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

/// A downloaded (or reused) file and what was computed while streaming it.
#[derive(Debug, Clone)]
pub struct StagedFile {
    pub remote: RemoteFile,
    /// Where the bytes are, already flushed to disk by whoever staged them (commit only
    /// renames); `None` when the cache already holds a blob with verified content.
    pub staged: Option<PathBuf>,
    /// The manifest resources computed from the bytes.
    pub resources: Vec<ResourceDigest>,
}

/// Downloads in progress for one commit of one repo: outside the cache, invisible to it.
#[derive(Debug)]
pub struct Staging {
    dir: tempfile::TempDir,
    _lock: File,
    repo_id: String,
    commit: String,
    files: Vec<StagedFile>,
    next: usize,
}

impl Staging {
    /// A staging area under `root` (removing stale ones a killed pull left there).
    pub fn create(root: &Path, repo_id: &str, commit: &str) -> Result<Self, CacheError> {
        fs_err::create_dir_all(root).map_err(|e| CacheError::Io {
            action: "cannot create staging",
            path: root.into(),
            source: e,
        })?;
        remove_stale_staging(root);
        let dir = tempfile::Builder::new()
            .prefix(&format!("{}-", HfCache::repo_folder(repo_id)))
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
            repo_id: repo_id.to_owned(),
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

    /// Binds the staged files to a verification proof; every file must be covered.
    pub fn verified(
        self,
        proof: &ManifestProof,
        tree: Vec<RemoteFile>,
    ) -> Result<VerifiedStaging, CacheError> {
        for f in &self.files {
            if !proof.covers(&f.remote.path, &f.resources) {
                return Err(CacheError::NotProven {
                    path: f.remote.path.clone(),
                });
            }
        }
        Ok(VerifiedStaging { staging: self, tree })
    }
}

/// Staged files proven to match a verified signature. Only [`Staging::verified`] makes one.
#[derive(Debug)]
pub struct VerifiedStaging {
    staging: Staging,
    /// The full tree listing of the commit, to know whether the snapshot is complete.
    tree: Vec<RemoteFile>,
}

/// What `commit` produced.
#[derive(Debug, Clone)]
pub struct Committed {
    pub snapshot: PathBuf,
    pub complete: bool,
}

/// Relative symlink target from `snapshots/<commit>/<path>` to `blobs/<etag>`.
fn blob_link_target(path: &str, etag: &str) -> PathBuf {
    let depth = path.split('/').count() + 1; // the path's own dirs, plus <commit>, plus snapshots
    let mut t = PathBuf::new();
    for _ in 0..depth {
        t.push("..");
    }
    t.join("blobs").join(etag)
}

/// `base/rel` as a chain of real directories, creating the missing ones: every component below
/// `base` is checked with `symlink_metadata`, so nothing is ever written through a symlink an
/// attacker placed in the cache or the local directory. `base` itself is the user's choice.
pub fn real_dirs(base: &Path, rel: &Path) -> Result<PathBuf, CacheError> {
    std::fs::create_dir_all(base).map_err(io("cannot create", base))?;
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

fn lock_file(cache: &HfCache, repo_id: &str, name: &str) -> Result<File, CacheError> {
    let rel = Path::new(".locks").join(HfCache::repo_folder(repo_id));
    let dir = real_dirs(&cache.root, &rel)?;
    let path = dir.join(format!("{name}.lock"));
    // Never truncate: a lock path an attacker turned into a symlink must not clobber its target.
    let f = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(false)
        .open(&path)
        .map_err(io("cannot create lock", &path))?;
    f.lock_exclusive().map_err(io("cannot lock", &path))?;
    Ok(f)
}

/// The `trees/<commit>.json` document `huggingface_hub` writes for a complete snapshot.
fn tree_json(tree: &[RemoteFile]) -> Vec<u8> {
    let mut files = serde_json::Map::new();
    for f in tree {
        let mut e = serde_json::Map::new();
        e.insert("size".into(), f.size.into());
        e.insert("blob_id".into(), f.blob_id.clone().into());
        if let Some(LfsInfo { sha256, size }) = &f.lfs {
            e.insert("lfs_sha256".into(), sha256.clone().into());
            e.insert("lfs_size".into(), (*size).into());
        }
        files.insert(f.path.clone(), e.into());
    }
    serde_json::to_vec(&serde_json::json!({ "format_version": 1, "files": files })).unwrap_or_default()
}

/// Makes a verified snapshot visible: blobs, then the snapshot directory, then
/// `trees/<commit>.json` (complete snapshots only), then `refs/<revision>` (no newline).
///
/// The snapshot is always built fresh in staging and swapped in with one rename, so it holds
/// exactly the files the proof covers: whatever an earlier tool (or an attacker with write
/// access to the cache) left in `snapshots/<commit>/` does not survive. The old directory is
/// kept until the swap succeeds.
pub fn commit(
    cache: &HfCache,
    verified: VerifiedStaging,
    revision: Option<&str>,
) -> Result<Committed, CacheError> {
    let VerifiedStaging { staging, tree } = verified;
    let repo_id = staging.repo_id.clone();
    let commit_id = staging.commit.clone();
    let folder = PathBuf::from(HfCache::repo_folder(&repo_id));
    // One commit at a time per repo; concurrent pulls of the same model queue here.
    let _repo_lock = lock_file(cache, &repo_id, "hubsign-commit")?;
    let repo_dir = real_dirs(&cache.root, &folder)?;
    let blobs = real_dirs(&repo_dir, Path::new("blobs"))?;
    // 1. Blobs: rename each staged file to blobs/<etag>, under the blob's lock (a rename
    //    replaces a symlink or a corrupt file there without following it).
    for f in &staging.files {
        if let Some(src) = &f.staged {
            let etag = f.remote.etag();
            let _lock = lock_file(cache, &repo_id, etag)?;
            let dst = blobs.join(etag);
            fs_err::rename(src, &dst).map_err(|e| CacheError::Io {
                action: "cannot move blob into",
                path: dst.clone(),
                source: e,
            })?;
        }
    }
    // 2. The snapshot: built in staging, swapped into place.
    let snapshots = real_dirs(&repo_dir, Path::new("snapshots"))?;
    let snapshot = snapshots.join(&commit_id);
    let building = real_dirs(staging.dir.path(), Path::new("snapshot"))?;
    for f in &staging.files {
        place_symlink(
            &building,
            &f.remote.path,
            &blob_link_target(&f.remote.path, f.remote.etag()),
        )?;
    }
    swap_in(&building, &snapshot, &staging.dir.path().join("replaced"))?;
    // 3. trees/<commit>.json only when every file of the commit is in the snapshot.
    let placed: std::collections::HashSet<&str> =
        staging.files.iter().map(|f| f.remote.path.as_str()).collect();
    let complete = tree.iter().all(|t| placed.contains(t.path.as_str()));
    if complete {
        let trees = real_dirs(&repo_dir, Path::new("trees"))?;
        write_atomic(&trees, &format!("{commit_id}.json"), &tree_json(&tree))?;
    }
    // 4. The ref, last, without a trailing newline (a newline breaks offline loading). The
    //    revision was checked as a git ref name; its directories are checked here too.
    if let Some(rev) = revision.filter(|r| *r != commit_id) {
        let rel = Path::new("refs").join(rev);
        let (dir, name) = match (rel.parent(), rel.file_name()) {
            (Some(d), Some(n)) => (d, n.to_string_lossy().into_owned()),
            _ => {
                return Err(CacheError::NotARealDirectory {
                    path: repo_dir.join(rel),
                });
            }
        };
        let dir = real_dirs(&repo_dir, dir)?;
        write_atomic(&dir, &name, commit_id.as_bytes())?;
    }
    Ok(Committed { snapshot, complete })
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
            let _ = std::fs::rename(aside, dst);
        }
        return Err(CacheError::Io {
            action: "cannot move snapshot into",
            path: dst.into(),
            source: e,
        });
    }
    // remove_dir_all never follows symlinks; a symlink moved aside is removed itself.
    if existed {
        let gone = match std::fs::symlink_metadata(aside) {
            Ok(m) if m.is_dir() => std::fs::remove_dir_all(aside),
            _ => std::fs::remove_file(aside),
        };
        gone.map_err(io("cannot remove the replaced snapshot", aside))?;
    }
    Ok(())
}

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
    cache: Option<&HfCache>,
    mode: LocalDirMode,
) -> Result<PathBuf, CacheError> {
    let VerifiedStaging { staging, .. } = verified;
    let expected: std::collections::BTreeSet<String> =
        staging.files.iter().map(|f| f.remote.path.clone()).collect();
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
    for f in &staging.files {
        let rel = Path::new(&f.remote.path);
        let parent = real_dirs(dir, rel.parent().unwrap_or(Path::new("")))?;
        let dst = parent.join(rel.file_name().unwrap_or_default());
        match (&f.staged, cache) {
            (Some(src), _) => {
                fs_err::rename(src, &dst).map_err(|e| CacheError::Io {
                    action: "cannot move into",
                    path: dst.clone(),
                    source: e,
                })?;
            }
            (None, Some(c)) => {
                // Reused from the cache (verified, a regular file): copy through a temp file.
                let blob = c.blob_path(&staging.repo_id, f.remote.etag());
                let tmp = tempfile::Builder::new()
                    .prefix(".hubsign-")
                    .tempfile_in(&parent)
                    .map_err(io("cannot write in", &parent))?;
                fs_err::copy(&blob, tmp.path()).map_err(|e| CacheError::Io {
                    action: "cannot copy",
                    path: blob.clone(),
                    source: e,
                })?;
                tmp.persist(&dst).map_err(|e| CacheError::Io {
                    action: "cannot move into",
                    path: dst.clone(),
                    source: e.error,
                })?;
            }
            (None, None) => {
                return Err(CacheError::NotProven {
                    path: f.remote.path.clone(),
                });
            }
        }
    }
    Ok(dir.to_path_buf())
}

/// A symlink at `root/rel` pointing to `target`, inside a directory tree hubsign is building
/// in its own staging area.
fn place_symlink(root: &Path, rel: &str, target: &Path) -> Result<(), CacheError> {
    let rel = Path::new(rel);
    let dir = real_dirs(root, rel.parent().unwrap_or(Path::new("")))?;
    let link = dir.join(rel.file_name().unwrap_or_default());
    std::os::unix::fs::symlink(target, &link).map_err(io("cannot create symlink", &link))
}

#[cfg(test)]
mod tests {
    #[test]
    fn link_targets_are_relative_to_the_snapshot_depth() {
        assert_eq!(
            super::blob_link_target("config.json", "abc").to_str(),
            Some("../../blobs/abc")
        );
        assert_eq!(
            super::blob_link_target("a/b/c.bin", "abc").to_str(),
            Some("../../../../blobs/abc")
        );
    }
}

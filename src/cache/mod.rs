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

    /// A fresh staging area for one pull. Stale areas left by killed pulls (their lock is free)
    /// are removed first.
    pub fn staging(&self, repo_id: &str, commit: &str) -> Result<Staging, CacheError> {
        // Nothing is created inside the cache until commit; compare devices with the nearest
        // existing ancestor of the cache root.
        let root = self.staging_root();
        fs_err::create_dir_all(&root).map_err(|e| CacheError::Io {
            action: "cannot create staging",
            path: root.clone(),
            source: e,
        })?;
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

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), CacheError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs_err::create_dir_all(dir).map_err(|e| CacheError::Io {
        action: "cannot create",
        path: dir.into(),
        source: e,
    })?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".hubsign-")
        .tempfile_in(dir)
        .map_err(io("cannot write in", dir))?;
    tmp.write_all(bytes).map_err(io("cannot write", path))?;
    tmp.as_file().sync_all().map_err(io("cannot sync", path))?;
    tmp.persist(path).map_err(|e| CacheError::Io {
        action: "cannot rename into",
        path: path.into(),
        source: e.error,
    })?;
    Ok(())
}

fn lock_file(cache: &HfCache, repo_id: &str, name: &str) -> Result<File, CacheError> {
    let dir = cache.root.join(".locks").join(HfCache::repo_folder(repo_id));
    fs_err::create_dir_all(&dir).map_err(|e| CacheError::Io {
        action: "cannot create",
        path: dir.clone(),
        source: e,
    })?;
    let path = dir.join(format!("{name}.lock"));
    let f = File::create(&path).map_err(io("cannot create lock", &path))?;
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
pub fn commit(
    cache: &HfCache,
    verified: VerifiedStaging,
    revision: Option<&str>,
) -> Result<Committed, CacheError> {
    let VerifiedStaging { staging, tree } = verified;
    let repo_id = staging.repo_id.clone();
    let commit_id = staging.commit.clone();
    let repo_dir = cache.repo_dir(&repo_id);
    // One commit at a time per repo; concurrent pulls of the same model queue here.
    let _repo_lock = lock_file(cache, &repo_id, "hubsign-commit")?;
    let blobs = repo_dir.join("blobs");
    fs_err::create_dir_all(&blobs).map_err(|e| CacheError::Io {
        action: "cannot create",
        path: blobs.clone(),
        source: e,
    })?;
    // 1. Blobs: rename each staged file to blobs/<etag>, under the blob's lock.
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
    // 2. The snapshot: built beside the staging files, then renamed into place in one step.
    let snapshot = repo_dir.join("snapshots").join(&commit_id);
    let snapshots = repo_dir.join("snapshots");
    fs_err::create_dir_all(&snapshots).map_err(|e| CacheError::Io {
        action: "cannot create",
        path: snapshots.clone(),
        source: e,
    })?;
    let links: Vec<(PathBuf, PathBuf)> = staging
        .files
        .iter()
        .map(|f| {
            (
                PathBuf::from(&f.remote.path),
                blob_link_target(&f.remote.path, f.remote.etag()),
            )
        })
        .collect();
    if snapshot.exists() {
        // Another pull (or huggingface_hub) made it: add or replace our links one by one, atomically.
        for (rel, target) in &links {
            place_symlink(&snapshot.join(rel), target)?;
        }
    } else {
        let building = staging.dir.path().join("snapshot");
        for (rel, target) in &links {
            place_symlink(&building.join(rel), target)?;
        }
        if let Err(e) = std::fs::rename(&building, &snapshot) {
            if !snapshot.exists() {
                return Err(CacheError::Io {
                    action: "cannot move snapshot into",
                    path: snapshot,
                    source: e,
                });
            }
            for (rel, target) in &links {
                place_symlink(&snapshot.join(rel), target)?;
            }
        }
    }
    // 3. trees/<commit>.json only when every file of the commit is in the snapshot.
    let complete = tree.iter().all(|t| snapshot.join(&t.path).exists());
    if complete {
        write_atomic(
            &repo_dir.join("trees").join(format!("{commit_id}.json")),
            &tree_json(&tree),
        )?;
    }
    // 4. The ref, last, without a trailing newline (a newline breaks offline loading).
    if let Some(rev) = revision.filter(|r| *r != commit_id) {
        write_atomic(&repo_dir.join("refs").join(rev), commit_id.as_bytes())?;
    }
    Ok(Committed { snapshot, complete })
}

/// Places a verified snapshot into a plain directory (`--local-dir`): each file is renamed into
/// place; files of the directory that are not part of the snapshot are left alone.
pub fn commit_local_dir(
    verified: VerifiedStaging,
    dir: &Path,
    cache: Option<&HfCache>,
) -> Result<PathBuf, CacheError> {
    let VerifiedStaging { staging, .. } = verified;
    for f in &staging.files {
        let dst = dir.join(&f.remote.path);
        let parent = dst.parent().unwrap_or(dir);
        fs_err::create_dir_all(parent).map_err(|e| CacheError::Io {
            action: "cannot create",
            path: parent.into(),
            source: e,
        })?;
        match (&f.staged, cache) {
            (Some(src), _) => {
                fs_err::rename(src, &dst).map_err(|e| CacheError::Io {
                    action: "cannot move into",
                    path: dst.clone(),
                    source: e,
                })?;
            }
            (None, Some(c)) => {
                // Reused from the cache (verified): copy through a temp file.
                let blob = c.blob_path(&staging.repo_id, f.remote.etag());
                let tmp = parent.join(format!(".hubsign-{}.tmp", std::process::id()));
                fs_err::copy(&blob, &tmp).map_err(|e| CacheError::Io {
                    action: "cannot copy",
                    path: blob.clone(),
                    source: e,
                })?;
                fs_err::rename(&tmp, &dst).map_err(|e| CacheError::Io {
                    action: "cannot move into",
                    path: dst.clone(),
                    source: e,
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

fn place_symlink(link: &Path, target: &Path) -> Result<(), CacheError> {
    let dir = link.parent().unwrap_or(Path::new("."));
    fs_err::create_dir_all(dir).map_err(|e| CacheError::Io {
        action: "cannot create",
        path: dir.into(),
        source: e,
    })?;
    let tmp = dir.join(format!(".hubsign-link-{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(target, &tmp).map_err(io("cannot create symlink", &tmp))?;
    std::fs::rename(&tmp, link).map_err(io("cannot place symlink", link))
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

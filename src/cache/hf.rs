//! The Hugging Face cache (`HF_HUB_CACHE`), for models and datasets, exactly as
//! `huggingface_hub` lays it out: `{models,datasets}--org--name/` with `blobs/<etag>`,
//! `snapshots/<commit>/` of relative symlinks, `trees/<commit>.json` and `refs/<revision>`.

use super::{
    CacheError, CacheLayout, CachedFile, Committed, DiskId, FolderTree, Source, Staging, VerifiedStaging, io,
    open_lock, prepare_staging_root, real_dirs, staging_root, swap_in, write_atomic,
};
use super::{ListedSnapshot, real_dir};
use crate::reference::{ModelRef, RepoType};
use std::fs::File;
use std::path::{Path, PathBuf};

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

    /// Where this cache's pulls stage their downloads (beside the cache, never inside it).
    #[must_use]
    pub fn staging_root(&self) -> PathBuf {
        staging_root(&self.root, "hub")
    }

    /// `models--org--name` or `datasets--org--name`.
    pub fn repo_folder(repo: &ModelRef) -> String {
        format!("{}--{}", repo.repo_type.plural(), repo.id.replace('/', "--"))
    }

    pub fn repo_dir(&self, repo: &ModelRef) -> PathBuf {
        self.root.join(Self::repo_folder(repo))
    }

    pub fn snapshot_dir(&self, repo: &ModelRef, commit: &str) -> PathBuf {
        self.repo_dir(repo).join("snapshots").join(commit)
    }

    /// The commit a ref points to, read raw as `huggingface_hub` does; a full commit id is itself.
    pub fn resolve_revision(&self, repo: &ModelRef, revision: &str) -> Option<String> {
        if revision.len() == 40 && revision.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Some(revision.to_ascii_lowercase());
        }
        // A ref is 40 characters; a FIFO or a huge file planted there is no ref.
        let raw =
            crate::fsutil::read_regular_capped(&self.repo_dir(repo).join("refs").join(revision), 128).ok()?;
        let raw = String::from_utf8_lossy(&raw);
        let c = raw.trim();
        (c.len() == 40 && c.bytes().all(|b| b.is_ascii_hexdigit())).then(|| c.to_owned())
    }

    /// Refuses a cache whose folders for `repo` are symlinks or files (checked before any
    /// download, and again as each folder is used at commit): nothing may be written through
    /// them. Missing folders are fine; nothing is created here.
    pub fn check_layout(&self, repo: &ModelRef) -> Result<(), CacheError> {
        let folder = Self::repo_folder(repo);
        for rel in [
            folder.clone(),
            format!("{folder}/blobs"),
            format!("{folder}/snapshots"),
            format!("{folder}/refs"),
            format!("{folder}/trees"),
            format!("{folder}/{}", super::partial::PARTIAL_RECORDS),
            ".locks".to_owned(),
            format!(".locks/{folder}"),
        ] {
            let p = self.root.join(rel);
            if fs_err::symlink_metadata(&p).is_ok_and(|m| !m.is_dir()) {
                return Err(CacheError::NotARealDirectory { path: p });
            }
        }
        Ok(())
    }

    /// The blob name of a file: the LFS SHA-256, else the git blob id.
    fn blob_name(file: &CachedFile) -> Result<&str, CacheError> {
        file.content.as_deref().ok_or_else(|| CacheError::NotProven {
            path: file.path.clone(),
        })
    }
}

impl CacheLayout for HfCache {
    /// Stale areas left by killed pulls are removed ([`Staging::create`]); the cache's layout
    /// is checked first ([`HfCache::check_layout`]).
    fn staging(&self, repo: &ModelRef, commit: &str) -> Result<Staging, CacheError> {
        self.check_layout(repo)?;
        let root = self.staging_root();
        prepare_staging_root(&self.root, &root)?;
        Staging::create(&root, &Self::repo_folder(repo), repo, commit)
    }

    /// A regular file at `blobs/<etag>` reached through real directories only.
    fn reusable(&self, repo: &ModelRef, _commit: &str, file: &CachedFile) -> Option<PathBuf> {
        let dir = self.repo_dir(repo);
        let blobs = dir.join("blobs");
        if !real_dir(&dir) || !real_dir(&blobs) {
            return None;
        }
        let blob = blobs.join(file.content.as_deref()?);
        fs_err::symlink_metadata(&blob)
            .is_ok_and(|m| m.file_type().is_file())
            .then_some(blob)
    }

    fn commit(&self, verified: VerifiedStaging, revision: Option<&str>) -> Result<Committed, CacheError> {
        commit(self, verified, revision)
    }

    fn snapshot(&self, repo: &ModelRef, revision: &str) -> Result<(String, PathBuf), CacheError> {
        let not_cached = || CacheError::NotCached {
            repo: repo.to_string(),
            revision: revision.to_owned(),
            cache: self.root.clone(),
        };
        let commit = self.resolve_revision(repo, revision).ok_or_else(not_cached)?;
        let dir = self.snapshot_dir(repo, &commit);
        if !fs_err::symlink_metadata(&dir).is_ok_and(|m| m.is_dir()) {
            return Err(not_cached());
        }
        Ok((commit, dir))
    }

    fn symlink_root(&self, repo: &ModelRef) -> Option<PathBuf> {
        Some(self.repo_dir(repo))
    }

    fn snapshot_files(&self, repo: &ModelRef, commit: &str) -> std::collections::BTreeSet<String> {
        let root = self.snapshot_dir(repo, commit);
        let mut out = std::collections::BTreeSet::new();
        let mut stack = vec![(root, String::new())];
        while let Some((dir, rel)) = stack.pop() {
            let Ok(entries) = fs_err::read_dir(&dir) else {
                continue;
            };
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let r = if rel.is_empty() {
                    name
                } else {
                    format!("{rel}/{name}")
                };
                match e.file_type() {
                    // Real directories are entered; a symlinked one is not a file of the snapshot.
                    Ok(t) if t.is_dir() => stack.push((e.path(), r)),
                    Ok(t) if t.is_symlink() && fs_err::metadata(e.path()).is_ok_and(|m| m.is_dir()) => {}
                    Ok(_) => {
                        out.insert(r);
                    }
                    Err(_) => {}
                }
            }
        }
        out
    }

    fn snapshots(&self) -> Vec<ListedSnapshot> {
        let mut out = Vec::new();
        for e in fs_err::read_dir(&self.root).into_iter().flatten().flatten() {
            let folder = e.file_name().to_string_lossy().into_owned();
            let (kind, prefix) = if let Some(rest) = folder.strip_prefix("models--") {
                (RepoType::Model, rest)
            } else if let Some(rest) = folder.strip_prefix("datasets--") {
                (RepoType::Dataset, rest)
            } else {
                continue;
            };
            let repo = ModelRef::from_cache_folder(kind, prefix).ok_or_else(|| folder.clone());
            let dir = e.path();
            let row = |commit: &str, path: PathBuf, refs, problem: Option<&str>| ListedSnapshot {
                repo: repo.clone(),
                commit: commit.to_owned(),
                path,
                refs,
                problem: problem.map(str::to_owned),
                partial: None,
            };
            let snapshots = dir.join("snapshots");
            if !real_dir(&dir) || fs_err::symlink_metadata(&snapshots).is_ok_and(|m| !m.is_dir()) {
                out.push(row(
                    "",
                    dir,
                    Vec::new(),
                    Some("the repository or its snapshots folder is not a real directory"),
                ));
                continue;
            }
            let refs = read_refs(&dir.join("refs"));
            let entries = match fs_err::read_dir(&snapshots) {
                Ok(entries) => entries,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    let why = format!("the snapshots folder cannot be read: {e}");
                    out.push(row("", snapshots, Vec::new(), Some(&why)));
                    continue;
                }
            };
            for s in entries.flatten() {
                let commit = s.file_name().to_string_lossy().into_owned();
                let names: Vec<String> = refs
                    .iter()
                    .filter(|(_, c)| *c == commit)
                    .map(|(r, _)| r.clone())
                    .collect();
                let problem = (!real_dir(&s.path())).then_some("the snapshot folder is not a real directory");
                let mut listed = row(&commit, s.path(), names, problem);
                // huggingface_hub and hubsign write trees/<commit>.json for complete snapshots
                // only; a snapshot without it is partial only if hubsign recorded its partial pull.
                let marked_complete =
                    fs_err::symlink_metadata(dir.join("trees").join(format!("{commit}.json")))
                        .is_ok_and(|m| m.is_file());
                if !marked_complete {
                    listed.partial = super::partial::read(&dir, &commit);
                }
                out.push(listed);
            }
        }
        out.sort_by_cached_key(|s| (s.display_name(), s.commit.clone()));
        out
    }
}

/// `(ref name, commit)` for every regular file under `refs/` (`main`, `pr/1`), read raw.
fn read_refs(refs: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![(refs.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        if !real_dir(&dir) {
            continue;
        }
        for e in fs_err::read_dir(&dir).into_iter().flatten().flatten() {
            let name = format!("{prefix}{}", e.file_name().to_string_lossy());
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push((e.path(), format!("{name}/"))),
                Ok(t) if t.is_file() => out.push((name, read_ref(&e.path()))),
                _ => {}
            }
        }
    }
    out.sort();
    out
}

/// A ref's commit, read raw: a 40-character commit id, so no more than a few bytes are read;
/// empty unless it is a regular file (checked on the handle: a FIFO or anything else swapped in
/// after the folder was listed is not read, and cannot block).
fn read_ref(path: &Path) -> String {
    crate::fsutil::read_regular_capped(path, 128)
        .map(|raw| String::from_utf8_lossy(&raw).trim().to_owned())
        .unwrap_or_default()
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

fn lock_file(cache: &HfCache, repo: &ModelRef, name: &str) -> Result<File, CacheError> {
    let rel = Path::new(".locks").join(HfCache::repo_folder(repo));
    let dir = real_dirs(&cache.root, &rel)?;
    open_lock(&dir.join(format!("{name}.lock")))
}

/// The `trees/<commit>.json` document `huggingface_hub` writes for a complete snapshot.
fn tree_json(tree: &[CachedFile]) -> Vec<u8> {
    let mut files = serde_json::Map::new();
    for f in tree {
        let mut e = serde_json::Map::new();
        e.insert("size".into(), f.size.into());
        e.insert("blob_id".into(), f.git_oid.clone().unwrap_or_default().into());
        if let (true, Some(sha256)) = (f.lfs, &f.content) {
            e.insert("lfs_sha256".into(), sha256.clone().into());
            e.insert("lfs_size".into(), f.size.into());
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
fn commit(
    cache: &HfCache,
    verified: VerifiedStaging,
    revision: Option<&str>,
) -> Result<Committed, CacheError> {
    let VerifiedStaging {
        staging,
        tree,
        all_signed,
    } = verified;
    let repo = staging.repo.clone();
    let commit_id = staging.commit.clone();
    let folder = PathBuf::from(HfCache::repo_folder(&repo));
    // One commit at a time per repo; concurrent pulls of the same model queue here.
    let _repo_lock = lock_file(cache, &repo, "hubsign-commit")?;
    let repo_dir = real_dirs(&cache.root, &folder)?;
    let blobs = real_dirs(&repo_dir, Path::new("blobs"))?;
    // 1. Blobs, each under its lock: a staged file is renamed to blobs/<etag> (a rename
    //    replaces a symlink or a corrupt file there without following it); a reused blob must
    //    still be the very file that was hashed. Each blob's identity is recorded as it is
    //    placed (from the open handle), for whoever serves it later.
    let mut disk = std::collections::BTreeMap::new();
    // Blobs placed by this commit: a second staged file with the same content is not renamed
    // over the first (that would replace the inode the first path's identity names).
    let mut placed_blobs: std::collections::HashMap<&str, DiskId> = std::collections::HashMap::new();
    for f in &staging.files {
        let etag = HfCache::blob_name(&f.file)?;
        if let Some(id) = placed_blobs.get(etag) {
            disk.insert(f.file.path.clone(), id.clone());
            continue;
        }
        let _lock = lock_file(cache, &repo, etag)?;
        let id = match &f.source {
            Source::Staged(staged) => {
                // The same bytes committed meanwhile by a concurrent pull stay where they
                // are: another pull may have hashed and reused that very file.
                let dst = blobs.join(etag);
                let id = match super::identical_at(staged, &dst)? {
                    Some(kept) => kept,
                    None => super::place_staged(staged, &dst, super::rename_into)?,
                };
                placed_blobs.insert(etag, id.clone());
                id
            }
            Source::Cached(id) => {
                let now = super::open_nofollow(&id.path).and_then(|h| h.metadata());
                if !now.is_ok_and(|m| id.matches(&m)) {
                    return Err(CacheError::ChangedSinceVerified {
                        path: id.path.clone(),
                    });
                }
                placed_blobs.insert(etag, id.clone());
                id.clone()
            }
        };
        disk.insert(f.file.path.clone(), id);
    }
    // 2. The snapshot: built in staging, swapped into place.
    let snapshots = real_dirs(&repo_dir, Path::new("snapshots"))?;
    let snapshot = snapshots.join(&commit_id);
    let building = real_dirs(staging.dir.path(), Path::new("snapshot"))?;
    let mut folders = FolderTree::new(&building);
    for f in &staging.files {
        let (dir, name) = folders.parent_of(&f.file.path)?;
        let link = dir.join(name);
        let target = blob_link_target(&f.file.path, HfCache::blob_name(&f.file)?);
        fs_err::os::unix::fs::symlink(&target, &link).map_err(io("cannot create symlink", &link))?;
    }
    // An earlier partial pull's record goes before the swap (meanwhile the snapshot is held
    // to be complete: the strict reading); this pull's, if it is partial, comes after.
    super::partial::remove(&repo_dir, &commit_id)?;
    swap_in(&building, &snapshot, &staging.dir.path().join("replaced"))?;
    if !all_signed {
        super::partial::write(
            &repo_dir,
            &commit_id,
            staging.files.iter().map(|f| f.file.path.as_str()),
        )?;
    }
    // 3. trees/<commit>.json only when every file of the commit is in the snapshot.
    let placed: std::collections::HashSet<&str> =
        staging.files.iter().map(|f| f.file.path.as_str()).collect();
    let complete = tree.iter().all(|t| placed.contains(t.path.as_str()));
    let trees = real_dirs(&repo_dir, Path::new("trees"))?;
    let tree_file = format!("{commit_id}.json");
    if complete {
        write_atomic(&trees.join(&tree_file), &tree_json(&tree))?;
    } else if fs_err::symlink_metadata(trees.join(&tree_file)).is_ok() {
        // An earlier, complete snapshot's tree file no longer describes this one.
        fs_err::remove_file(trees.join(&tree_file)).map_err(|e| CacheError::Io {
            action: "cannot remove",
            path: trees.join(&tree_file),
            source: e,
        })?;
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
        write_atomic(&dir.join(&name), commit_id.as_bytes())?;
    }
    Ok(Committed {
        snapshot,
        complete,
        disk,
    })
}

#[cfg(test)]
mod tests {
    /// Regression: a ref was opened following links and blocking, so a FIFO swapped in after
    /// the folder was listed hung `hubsign audit`. Read as a regular file or not at all.
    #[test]
    fn a_ref_that_is_a_fifo_reads_as_empty_without_blocking() {
        let tmp = tempfile::tempdir().unwrap();
        let (ok, fifo) = (tmp.path().join("main"), tmp.path().join("pr"));
        fs_err::write(&ok, format!("{}\n", "a".repeat(40))).unwrap();
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(made.success());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send((super::read_ref(&ok), super::read_ref(&fifo))));
        let read = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("reading a FIFO ref blocked");
        assert_eq!(read, ("a".repeat(40), String::new()));
    }

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

    /// A verified pull lays the repository out as `huggingface_hub` reads it: each file's
    /// bytes once in `blobs/<etag>` (LFS SHA-256, else git blob id), the snapshot made of
    /// relative symlinks to them, and `refs/main` holding the commit.
    #[tokio::test]
    async fn a_commit_writes_blobs_snapshot_links_and_the_ref_as_huggingface_hub_expects() {
        use crate::hub::Hub as _;
        let fx = crate::hub::fake::Fixture::new(&crate::hub::fake::model_files());
        let dir = tempfile::tempdir().unwrap();
        let cache = super::HfCache::new(dir.path());
        fx.pull(&cache, crate::pull::Destination::Cache).await.unwrap();
        let repo_dir = dir.path().join("models--org--model");
        assert_eq!(
            fs_err::read_to_string(repo_dir.join("refs/main")).unwrap(),
            fx.commit
        );
        let snapshot = repo_dir.join("snapshots").join(&fx.commit);
        let published = fx.published();
        let listed = fx.hub.list(&fx.repo, &fx.commit).await.unwrap();
        assert_eq!(listed.len(), published.len());
        for f in listed {
            let etag = f.content_hex().unwrap();
            let link = fs_err::read_link(snapshot.join(&f.path)).unwrap();
            assert_eq!(link, super::blob_link_target(&f.path, etag), "{}", f.path);
            assert!(link.is_relative());
            assert_eq!(
                fs_err::read(repo_dir.join("blobs").join(etag)).unwrap(),
                published[&f.path],
                "{}",
                f.path
            );
        }
        assert_eq!(
            fs_err::read_dir(repo_dir.join("blobs")).unwrap().count(),
            published.len()
        );
    }
}

//! The kagglehub cache (`KAGGLEHUB_CACHE`, default `~/.cache/kagglehub`) exactly as kagglehub
//! reads it: `models/<owner>/<model>/<framework>/<variation>/<version>/` holding the files
//! themselves, and the empty marker `<version>.complete` beside it, without which kagglehub
//! downloads again. A partial pull writes kagglehub's per-file markers instead
//! (`<variation>/.complete/<version>/<path>.complete`), so `model_download(handle, path=…)`
//! finds those files.
//!
//! Commit order: the version folder (and a partial pull's markers) is built fresh in staging
//! from files downloaded or copied there; then the old markers go (so no reader trusts a folder
//! being swapped), the folder is swapped in with one rename, and the markers are written last —
//! the version marker only when every signed file is there. Reused files are copied while
//! re-hashed ([`CacheLayout::copies_reused`]), never linked or copied later by path.

use super::{
    CacheError, CacheLayout, CachedFile, Committed, FolderTree, Source, Staging, VerifiedStaging, io,
    open_lock, prepare_staging_root, real_dirs, staging_root, swap_in, write_atomic,
};
use super::{ListedSnapshot, real_dir};
use crate::reference::ModelRef;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// A kagglehub cache directory (`KAGGLEHUB_CACHE`).
#[derive(Debug, Clone)]
pub struct KaggleCache {
    root: PathBuf,
}

impl KaggleCache {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where this cache's pulls stage their downloads (beside the cache, never inside it).
    #[must_use]
    pub fn staging_root(&self) -> PathBuf {
        staging_root(&self.root, "kagglehub")
    }

    /// `models/<owner>/<model>/<framework>/<variation>`, relative to the root.
    fn instance_rel(repo: &ModelRef) -> Result<PathBuf, CacheError> {
        let (o, m, f, v) = repo.kaggle_slugs().ok_or_else(|| CacheError::WrongHub {
            repo: repo.to_string(),
            cache: "kagglehub",
        })?;
        Ok(["models", o, m, f, v].iter().collect())
    }

    /// The versions of `repo` the cache holds a folder for, highest first.
    fn versions(&self, repo: &ModelRef) -> Vec<u64> {
        let Ok(rel) = Self::instance_rel(repo) else {
            return Vec::new();
        };
        let mut out: Vec<u64> = fs_err::read_dir(self.root.join(rel))
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                crate::reference::is_version_number(&name)
                    .then(|| name.parse().ok())
                    .flatten()
            })
            .collect();
        out.sort_unstable_by(|a, b| b.cmp(a));
        out
    }

    /// Refuses a cache whose folders on the way to `repo`'s versions (and its per-file marker
    /// folder) are symlinks or files: nothing is written through them. A version folder that
    /// is a symlink is not refused: commit replaces it without following it.
    fn check_layout(&self, repo: &ModelRef, version: &str) -> Result<(), CacheError> {
        let mut p = self.root.clone();
        let mut folders = Vec::new();
        for c in Self::instance_rel(repo)?.components() {
            p.push(c);
            folders.push(p.clone());
        }
        folders.push(p.join(".complete"));
        for f in folders {
            if fs_err::symlink_metadata(&f).is_ok_and(|m| !m.is_dir()) {
                return Err(CacheError::NotARealDirectory { path: f });
            }
        }
        // The version marker must be a file if it is there (a planted folder would fail the
        // commit only after the whole download).
        let marker = p.join(format!("{version}.complete"));
        if fs_err::symlink_metadata(&marker).is_ok_and(|m| !m.is_file()) {
            return Err(CacheError::NotARegularFile { path: marker });
        }
        Ok(())
    }

    /// Serialises commits of one version, in the staging root (the kagglehub cache has no
    /// lock convention of its own, and nothing foreign belongs in it).
    fn lock(&self, repo: &ModelRef, version: &str) -> Result<std::fs::File, CacheError> {
        let root = staging_root(&self.root, "kagglehub");
        open_lock(&root.join(format!("{}.lock", folder_name(repo, version))))
    }
}

/// A flat name for one version of a model instance (staging and lock names).
fn folder_name(repo: &ModelRef, version: &str) -> String {
    format!("kaggle--{}--{version}", repo.id.replace('/', "--"))
}

/// Whether every component from `base` down to `base/rel` is a real directory.
fn real_path(base: &Path, rel: &Path) -> bool {
    let mut p = base.to_path_buf();
    rel.components().all(|c| {
        p.push(c);
        fs_err::symlink_metadata(&p).is_ok_and(|m| m.is_dir())
    })
}

impl CacheLayout for KaggleCache {
    fn staging(&self, repo: &ModelRef, commit: &str) -> Result<Staging, CacheError> {
        self.check_layout(repo, commit)?;
        let root = staging_root(&self.root, "kagglehub");
        prepare_staging_root(&self.root, &root)?;
        Staging::create(&root, &folder_name(repo, commit), repo, commit)
    }

    /// The file in the cached version folder, if it is a regular file reached through real
    /// directories only (it is re-hashed before reuse).
    fn reusable(&self, repo: &ModelRef, commit: &str, file: &CachedFile) -> Option<PathBuf> {
        let rel = Self::instance_rel(repo).ok()?.join(commit);
        let path = Path::new(&file.path);
        if !real_path(&self.root, &rel.join(path.parent().unwrap_or(Path::new("")))) {
            return None;
        }
        let p = self.root.join(rel).join(path);
        fs_err::symlink_metadata(&p)
            .is_ok_and(|m| m.file_type().is_file())
            .then_some(p)
    }

    fn commit(&self, verified: VerifiedStaging, _revision: Option<&str>) -> Result<Committed, CacheError> {
        commit(self, verified)
    }

    /// The version folder is rebuilt on every commit, so a reused file is copied into staging
    /// from the handle it was re-hashed through.
    fn copies_reused(&self) -> bool {
        true
    }

    /// A version number names itself; `latest` is the highest cached version that kagglehub
    /// would also take as complete (its `<version>.complete` marker is there), so a planted
    /// higher folder without one is not taken.
    fn snapshot(&self, repo: &ModelRef, revision: &str) -> Result<(String, PathBuf), CacheError> {
        let not_cached = || CacheError::NotCached {
            repo: repo.to_string(),
            revision: revision.to_owned(),
            cache: self.root.clone(),
        };
        let version = if revision == crate::reference::LATEST {
            let instance = self.root.join(Self::instance_rel(repo)?);
            self.versions(repo)
                .into_iter()
                .find(|v| {
                    fs_err::symlink_metadata(instance.join(format!("{v}.complete")))
                        .is_ok_and(|m| m.is_file())
                })
                .ok_or_else(not_cached)?
                .to_string()
        } else {
            revision.to_owned()
        };
        let rel = Self::instance_rel(repo)?.join(&version);
        if !real_path(&self.root, &rel) {
            return Err(not_cached());
        }
        Ok((version, self.root.join(rel)))
    }

    /// None: kagglehub's cache holds plain files; a symlink in it is never followed.
    fn symlink_root(&self, _repo: &ModelRef) -> Option<PathBuf> {
        None
    }

    fn snapshot_files(&self, repo: &ModelRef, commit: &str) -> BTreeSet<String> {
        let Ok(rel) = Self::instance_rel(repo) else {
            return BTreeSet::new();
        };
        let rel = rel.join(commit);
        if !real_path(&self.root, &rel) {
            return BTreeSet::new();
        }
        super::partial::files_under(&self.root.join(rel))
    }

    fn snapshots(&self) -> Vec<ListedSnapshot> {
        let mut out = Vec::new();
        let children = |p: &Path| -> Vec<(String, PathBuf)> {
            let mut v: Vec<(String, PathBuf)> = fs_err::read_dir(p)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
                .filter(|(n, _)| !n.starts_with('.'))
                .collect();
            v.sort();
            v
        };
        // models/<owner>/<model>/<framework>/<variation>/<version>: real directories only.
        let mut level = vec![(Vec::<String>::new(), self.root.join("models"))];
        for _ in 0..4 {
            let mut next = Vec::new();
            for (names, dir) in level {
                if !real_dir(&dir) {
                    // kagglehub would follow a symlinked folder on the way to the versions:
                    // listed with the problem, not walked and not skipped silently.
                    if fs_err::symlink_metadata(&dir).is_ok() {
                        let name = format!("kaggle:{}", names.join("/"));
                        out.push(ListedSnapshot {
                            repo: Err(name),
                            commit: String::new(),
                            path: dir,
                            refs: Vec::new(),
                            problem: Some(
                                "a folder on the way to the versions is not a real directory".to_owned(),
                            ),
                            partial: None,
                        });
                    }
                    continue;
                }
                for (name, path) in children(&dir) {
                    if !fs_err::symlink_metadata(&path)
                        .is_ok_and(|m| m.is_dir() || m.file_type().is_symlink())
                    {
                        continue;
                    }
                    let mut n = names.clone();
                    n.push(name);
                    next.push((n, path));
                }
            }
            level = next;
        }
        for (names, dir) in level {
            let handle = format!("kaggle:{}", names.join("/"));
            let repo = ModelRef::parse(&handle, None).map_err(|_| handle.clone());
            if !real_dir(&dir) {
                out.push(ListedSnapshot {
                    repo,
                    commit: String::new(),
                    path: dir,
                    refs: Vec::new(),
                    problem: Some("a folder on the way to the versions is not a real directory".to_owned()),
                    partial: None,
                });
                continue;
            }
            for (version, path) in children(&dir) {
                if !crate::reference::is_version_number(&version)
                    || !fs_err::symlink_metadata(&path)
                        .is_ok_and(|m| m.is_dir() || m.file_type().is_symlink())
                {
                    continue;
                }
                let marker = dir.join(format!("{version}.complete"));
                let complete = fs_err::symlink_metadata(&marker).is_ok_and(|m| m.is_file());
                out.push(ListedSnapshot {
                    repo: repo.clone(),
                    problem: (!real_dir(&path))
                        .then(|| "the version folder is not a real directory".to_owned()),
                    partial: (!complete)
                        .then(|| per_file_markers(&dir.join(".complete").join(&version)))
                        .flatten(),
                    commit: version,
                    path,
                    refs: Vec::new(),
                });
            }
        }
        out.sort_by_cached_key(|s| (s.display_name(), s.commit.parse::<u64>().unwrap_or(0)));
        out
    }
}

/// The files kagglehub's per-file markers under `dir` (`.complete/<version>/`) name: the record
/// of a partial pull. `None` without that folder (a real one): then no partial pull is recorded.
fn per_file_markers(dir: &Path) -> Option<BTreeSet<String>> {
    if !real_dir(dir) {
        return None;
    }
    let mut out = BTreeSet::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((d, prefix)) = stack.pop() {
        for e in fs_err::read_dir(&d).into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push((e.path(), format!("{prefix}{name}/"))),
                Ok(t) if t.is_file() => {
                    if let Some(file) = name.strip_suffix(".complete") {
                        out.insert(format!("{prefix}{file}"));
                    }
                }
                _ => {}
            }
        }
    }
    Some(out)
}

/// Removes a file if it is there (a marker that must not outlive what it vouches for).
fn remove_if_present(path: &Path) -> Result<(), CacheError> {
    match fs_err::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(CacheError::Io {
            action: "cannot remove",
            path: path.to_path_buf(),
            source: e,
        }),
        _ => Ok(()),
    }
}

fn commit(cache: &KaggleCache, verified: VerifiedStaging) -> Result<Committed, CacheError> {
    let VerifiedStaging {
        staging, all_signed, ..
    } = verified;
    let repo = staging.repo.clone();
    let version = staging.commit.clone();
    let _lock = cache.lock(&repo, &version)?;
    let instance = real_dirs(&cache.root, &KaggleCache::instance_rel(&repo)?)?;
    // 1. The version folder, built in staging from files that were downloaded (or copied
    //    while re-hashed) there: nothing is taken from the cache by path at this point.
    let building = real_dirs(staging.dir.path(), Path::new("version"))?;
    let mut folders = FolderTree::new(&building);
    for f in &staging.files {
        let (dir, name) = folders.parent_of(&f.file.path)?;
        let dst = dir.join(name);
        let Source::Staged(staged) = &f.source else {
            return Err(CacheError::NotProven {
                path: f.file.path.clone(),
            });
        };
        super::place_staged(staged, &dst, super::rename_into)?;
    }
    let placed: BTreeSet<&str> = staging.files.iter().map(|f| f.file.path.as_str()).collect();
    let markers = if all_signed {
        None
    } else {
        let markers = real_dirs(staging.dir.path(), Path::new("markers"))?;
        let mut marker_folders = FolderTree::new(&markers);
        for p in &placed {
            let (dir, name) = marker_folders.parent_of(p)?;
            let m = dir.join(format!("{}.complete", name.to_string_lossy()));
            fs_err::File::create(&m).map_err(io("cannot create", &m))?;
        }
        Some(markers)
    };
    // 2. Only now, with everything built: no marker vouches for the version while it changes.
    let marker = format!("{version}.complete");
    remove_if_present(&instance.join(&marker))?;
    let per_file = instance.join(".complete").join(&version);
    if fs_err::symlink_metadata(&per_file).is_ok() {
        // Stale per-file markers move into staging, which is removed when the pull ends.
        fs_err::rename(&per_file, staging.dir.path().join("replaced-markers")).map_err(|e| {
            CacheError::Io {
                action: "cannot move aside",
                path: per_file.clone(),
                source: e,
            }
        })?;
    }
    // 3. The swap, then the markers: per-file ones for a partial version, else the version
    //    marker, last (kagglehub trusts the folder once it exists).
    let version_dir = instance.join(&version);
    swap_in(&building, &version_dir, &staging.dir.path().join("replaced"))?;
    if let Some(markers) = markers {
        let parent = real_dirs(&instance, Path::new(".complete"))?;
        fs_err::rename(&markers, parent.join(&version)).map_err(|e| CacheError::Io {
            action: "cannot move markers into",
            path: parent.join(&version),
            source: e,
        })?;
    } else {
        write_atomic(&instance.join(&marker), b"")?;
    }
    Ok(Committed {
        snapshot: version_dir,
        complete: all_signed,
        disk: std::collections::BTreeMap::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::{CacheLayout as _, KaggleCache};

    fn touch(p: &std::path::Path) {
        fs_err::create_dir_all(p.parent().unwrap()).unwrap();
        fs_err::write(p, b"").unwrap();
    }

    /// A version is partial only as far as kagglehub's per-file markers record it: without the
    /// version marker and without them, every signed file must be there.
    #[test]
    fn a_partial_version_is_what_its_per_file_markers_record() {
        let root = tempfile::tempdir().unwrap();
        let instance = root.path().join("models/o/m/pyTorch/v");
        touch(&instance.join("1/config.json"));
        let cache = KaggleCache::new(root.path());
        let partial = || cache.snapshots()[0].partial.clone();
        assert_eq!(partial(), None, "no marker of any kind: strict");
        touch(&instance.join(".complete/1/config.json.complete"));
        touch(&instance.join(".complete/1/sub/w.bin.complete"));
        let files: Vec<String> = partial().unwrap().into_iter().collect();
        assert_eq!(files, ["config.json", "sub/w.bin"]);
        touch(&instance.join("1.complete"));
        assert_eq!(partial(), None, "the version marker says complete");
    }

    /// A verified pull of a Kaggle model lays its version out as kagglehub reads it: the
    /// files themselves in `<owner>/<model>/<framework>/<variation>/<version>/`, and the
    /// `<version>.complete` marker beside the folder.
    #[tokio::test]
    async fn a_commit_writes_the_version_folder_and_its_complete_marker_as_kagglehub_expects() {
        let fx = crate::hub::fake::Fixture::kaggle(&crate::hub::fake::model_files());
        let dir = tempfile::tempdir().unwrap();
        let cache = super::KaggleCache::new(dir.path());
        let pulled = fx.pull(&cache, crate::pull::Destination::Cache).await.unwrap();
        let instance = dir.path().join("models/owner/model/pyTorch/default");
        assert_eq!(pulled.commit, "1");
        assert_eq!(pulled.path, instance.join("1"));
        assert_eq!(crate::hub::fake::read_tree(&instance.join("1")), fx.published());
        assert!(
            fs_err::symlink_metadata(instance.join("1.complete"))
                .unwrap()
                .is_file()
        );
        for p in fx.published().keys() {
            assert!(
                fs_err::symlink_metadata(pulled.path.join(p)).unwrap().is_file(),
                "{p}"
            );
        }
    }
}

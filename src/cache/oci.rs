//! hubsign's cache of models pulled from OCI registries (`HUBSIGN_OCI_CACHE`, default
//! `$XDG_CACHE_HOME/hubsign/oci`, else `~/.cache/hubsign/oci`). No other tool reads a cache of
//! model files by manifest digest, so the layout is hubsign's own, one folder per registry and
//! repository:
//!
//! ```text
//! <root>/<registry>/<repository…>/
//!     sha256-<hex>/                     the verified files of the manifest with that digest
//!     refs/<tag>                        `sha256:<hex>`: the digest the tag was pinned to
//!     .hubsign-partial/sha256-<hex>.json  the files a partial pull placed (none: complete)
//! ```
//!
//! The registry folder is the registry as the reference names it (host lowercased) with its
//! port's `:` spelled `_` (`127.0.0.1:5000` → `127.0.0.1_5000`, `[::1]:5000` → `[__1]_5000`),
//! so the name is portable and still unambiguous: no host name holds a `_`. The repository is
//! its path, one folder per component. A repository component never starts with `.`, so
//! `.hubsign-partial` is nobody's repository; `refs` and `sha256-<hex>` are valid components,
//! so a repository with such a component below its first (which would share a folder with its
//! parent's refs or snapshots) is refused here, not cached.
//!
//! Commit order, as for the other layouts: the snapshot folder is built fresh in staging from
//! files downloaded (or copied while re-hashed) there, the old partial record goes, the folder
//! is swapped in with one rename, a partial pull's record follows, and `refs/<tag>` is written
//! last (temporary file and rename). Nothing is written through a symlink: every folder on the
//! way is checked ([`real_dirs`]) and a symlink in place of a snapshot is replaced, never
//! followed. This module never decides trust: it places what a [`VerifiedStaging`] holds.

use super::{
    CacheError, CacheLayout, CachedFile, Committed, FolderTree, ListedSnapshot, Source, Staging,
    VerifiedStaging, open_lock, prepare_staging_root, real_dir, real_dirs, staging_root, swap_in,
    write_atomic,
};
use crate::reference::{HubKind, ModelRef};
use sha2::Digest as _;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The default cache folder under the user's cache directory (`~/.cache`).
pub const OCI_CACHE_DIR: &str = "hubsign/oci";

/// The folder of a repository's tag records.
const REFS: &str = "refs";

/// A repository path has at most 255 characters, so at most 128 components: deeper folders
/// are nobody's repository and are not walked.
const MAX_REPOSITORY_DEPTH: usize = 128;

/// hubsign's cache of OCI artifacts.
#[derive(Debug, Clone)]
pub struct OciCache {
    root: PathBuf,
}

/// The snapshot folder of a manifest digest: `sha256:<hex>` → `sha256-<hex>`.
fn snapshot_folder(digest: &str) -> Option<String> {
    crate::reference::is_oci_digest(digest).then(|| digest.replacen(':', "-", 1))
}

/// The digest a snapshot folder names: `sha256-<hex>` → `sha256:<hex>`.
fn folder_digest(folder: &str) -> Option<String> {
    let digest = folder.replacen('-', ":", 1);
    crate::reference::is_oci_digest(&digest).then_some(digest)
}

/// The folder of a registry: its `:` (a port, an IPv6 address) spelled `_`.
fn registry_folder(registry: &str) -> String {
    registry.replace(':', "_")
}

impl OciCache {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where this cache's pulls stage their downloads (beside the cache, never inside it).
    #[must_use]
    pub fn staging_root(&self) -> PathBuf {
        staging_root(&self.root, "oci")
    }

    /// `<registry>/<repository…>`, relative to the root; refused for a reference of another
    /// hub, and for a repository whose folder would be another repository's refs or snapshot.
    fn repo_rel(repo: &ModelRef) -> Result<PathBuf, CacheError> {
        let (registry, repository) = repo.oci_parts().ok_or_else(|| CacheError::WrongHub {
            repo: repo.to_string(),
            cache: "OCI",
        })?;
        if repository
            .split('/')
            .skip(1)
            .any(|c| c == REFS || folder_digest(c).is_some())
        {
            return Err(CacheError::NotCacheable {
                repo: repo.to_string(),
                reason: "a repository component below the first named `refs` or `sha256-<hex>` would share its folder with its parent's tags or snapshots; pull it with --local-dir",
            });
        }
        let mut rel = PathBuf::from(registry_folder(registry));
        rel.extend(repository.split('/'));
        Ok(rel)
    }

    /// The snapshot folder name of `commit`, a manifest digest.
    fn folder_of(repo: &ModelRef, commit: &str) -> Result<String, CacheError> {
        snapshot_folder(commit).ok_or_else(|| CacheError::NotCacheable {
            repo: repo.to_string(),
            reason: "the commit is not a manifest digest (sha256:<64 lowercase hex digits>)",
        })
    }

    /// Refuses a cache whose folders on the way to `repo`'s snapshots (its refs and partial
    /// records folders included) are symlinks or files, or whose `refs/<tag>` is not a regular
    /// file: nothing is written through them, and a commit must not fail after the download.
    /// Missing folders are fine; nothing is created here.
    fn check_layout(&self, repo: &ModelRef, tag: Option<&str>) -> Result<(), CacheError> {
        let mut p = self.root.clone();
        let mut folders = Vec::new();
        for c in Self::repo_rel(repo)?.components() {
            p.push(c);
            folders.push(p.clone());
        }
        folders.push(p.join(REFS));
        folders.push(p.join(super::partial::PARTIAL_RECORDS));
        for f in folders {
            if fs_err::symlink_metadata(&f).is_ok_and(|m| !m.is_dir()) {
                return Err(CacheError::NotARealDirectory { path: f });
            }
        }
        if let Some(tag) = tag {
            let r = p.join(REFS).join(tag);
            if fs_err::symlink_metadata(&r).is_ok_and(|m| !m.is_file()) {
                return Err(CacheError::NotARegularFile { path: r });
            }
        }
        Ok(())
    }

    /// A flat name for a repository (staging folders and locks): readable, and unique by a
    /// hash of the whole name (a repository path may be longer than a file name can be).
    fn flat_name(repo: &ModelRef) -> String {
        let hash = hex::encode(sha2::Sha256::digest(repo.id.as_bytes()));
        let last: String = repo
            .id
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .chars()
            .take(40)
            .collect();
        format!("oci--{last}--{}", &hash[..16])
    }

    /// Serialises commits of one snapshot, in the staging root (nothing foreign belongs in
    /// the cache itself).
    fn lock(&self, repo: &ModelRef, folder: &str) -> Result<std::fs::File, CacheError> {
        let root = self.staging_root();
        prepare_staging_root(&self.root, &root)?;
        open_lock(&root.join(format!("{}--{folder}.lock", Self::flat_name(repo))))
    }

    /// The digest `refs/<tag>` records, read raw (a regular file of a few bytes, else none).
    fn read_tag(&self, repo: &ModelRef, tag: &str) -> Option<String> {
        crate::reference::check_oci_tag(tag).ok()?;
        let rel = Self::repo_rel(repo).ok()?;
        if !real_path(&self.root, &rel.join(REFS)) {
            return None;
        }
        let raw = crate::fsutil::read_regular_capped(&self.root.join(rel).join(REFS).join(tag), 128).ok()?;
        let digest = String::from_utf8_lossy(&raw).trim().to_owned();
        crate::reference::is_oci_digest(&digest).then_some(digest)
    }
}

/// Whether every component from `base` down to `base/rel` is a real directory.
fn real_path(base: &Path, rel: &Path) -> bool {
    let mut p = base.to_path_buf();
    rel.components().all(|c| {
        p.push(c);
        fs_err::symlink_metadata(&p).is_ok_and(|m| m.is_dir())
    })
}

impl CacheLayout for OciCache {
    /// The layout is checked first (the tag a commit will record is checked at commit); the
    /// staging folder is named by the snapshot folder (`sha256-<hex>`), so an interrupted pull
    /// of a digest is resumed.
    fn staging(&self, repo: &ModelRef, commit: &str) -> Result<Staging, CacheError> {
        let folder = Self::folder_of(repo, commit)?;
        self.check_layout(repo, None)?;
        let root = self.staging_root();
        prepare_staging_root(&self.root, &root)?;
        Staging::create(&root, &Self::flat_name(repo), repo, &folder)
    }

    /// The file in the cached snapshot folder, if it is a regular file reached through real
    /// directories only (it is re-hashed, and copied while re-hashed, before reuse).
    fn reusable(&self, repo: &ModelRef, commit: &str, file: &CachedFile) -> Option<PathBuf> {
        let rel = Self::repo_rel(repo).ok()?.join(snapshot_folder(commit)?);
        let path = Path::new(&file.path);
        if !real_path(&self.root, &rel.join(path.parent().unwrap_or(Path::new("")))) {
            return None;
        }
        let p = self.root.join(rel).join(path);
        fs_err::symlink_metadata(&p)
            .is_ok_and(|m| m.file_type().is_file())
            .then_some(p)
    }

    fn commit(&self, verified: VerifiedStaging, revision: Option<&str>) -> Result<Committed, CacheError> {
        commit(self, verified, revision)
    }

    /// The snapshot folder is rebuilt on every commit, so a reused file is copied into staging
    /// from the handle it was re-hashed through.
    fn copies_reused(&self) -> bool {
        true
    }

    /// A digest names its snapshot; a tag the digest `refs/<tag>` records.
    fn snapshot(&self, repo: &ModelRef, revision: &str) -> Result<(String, PathBuf), CacheError> {
        let not_cached = || CacheError::NotCached {
            repo: repo.to_string(),
            revision: revision.to_owned(),
            cache: self.root.clone(),
        };
        let digest = if crate::reference::is_oci_digest(revision) {
            revision.to_owned()
        } else {
            self.read_tag(repo, revision).ok_or_else(not_cached)?
        };
        let rel = Self::repo_rel(repo)?.join(Self::folder_of(repo, &digest)?);
        if !real_path(&self.root, &rel) {
            return Err(not_cached());
        }
        Ok((digest, self.root.join(rel)))
    }

    /// None: the cache holds plain files; a symlink in it is never followed.
    fn symlink_root(&self, _repo: &ModelRef) -> Option<PathBuf> {
        None
    }

    fn snapshot_files(&self, repo: &ModelRef, commit: &str) -> BTreeSet<String> {
        let (Ok(rel), Some(folder)) = (Self::repo_rel(repo), snapshot_folder(commit)) else {
            return BTreeSet::new();
        };
        let rel = rel.join(folder);
        if !real_path(&self.root, &rel) {
            return BTreeSet::new();
        }
        super::partial::files_under(&self.root.join(rel))
    }

    fn snapshots(&self) -> Vec<ListedSnapshot> {
        let mut out = Vec::new();
        for (name, path) in children(&self.root) {
            let registry = name.replace('_', ":");
            if !real_dir(&path) {
                if fs_err::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
                    out.push(problem_row(Err(name), path, ON_THE_WAY));
                }
                continue;
            }
            list_repository(&registry, &name, &path, 0, &mut out);
        }
        out.sort_by_cached_key(|s| (s.display_name(), s.commit.clone()));
        out
    }
}

const ON_THE_WAY: &str = "a folder on the way to the snapshots is not a real directory";

fn problem_row(repo: Result<ModelRef, String>, path: PathBuf, problem: &str) -> ListedSnapshot {
    ListedSnapshot {
        repo,
        commit: String::new(),
        path,
        refs: Vec::new(),
        problem: Some(problem.to_owned()),
        partial: None,
    }
}

/// The entries of a folder, sorted by name, hidden ones left out (nothing of a repository's
/// path starts with a dot).
fn children(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut v: Vec<(String, PathBuf)> = fs_err::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .filter(|(n, _)| !n.starts_with('.'))
        .collect();
    v.sort();
    v
}

/// Lists the snapshots of the repository `registry/<rel>` in `dir` (`rel` empty: `dir` is the
/// registry's folder, which holds repositories only), then of the repositories below it.
fn list_repository(registry: &str, rel: &str, dir: &Path, depth: usize, out: &mut Vec<ListedSnapshot>) {
    // `rel` starts with the registry's folder name; the repository is what follows it.
    let repository = rel.split_once('/').map(|(_, r)| r);
    let repo = || -> Result<ModelRef, String> {
        let folder = rel.to_owned();
        let Some(repository) = repository else {
            return Err(folder);
        };
        let r = ModelRef::parse(
            &format!("{}{registry}/{repository}", crate::reference::OCI_PREFIX),
            None,
        )
        .map_err(|_| folder.clone())?;
        // A registry folder spelled otherwise (`Quay.io`) is not the one hubsign writes.
        (r.hub == HubKind::Oci && OciCache::repo_rel(&r).is_ok_and(|p| p == Path::new(rel)))
            .then_some(r)
            .ok_or(folder)
    };
    let tags = if repository.is_some() {
        read_refs(&dir.join(REFS))
    } else {
        Vec::new()
    };
    for (name, path) in children(dir) {
        if repository.is_some() && name == REFS {
            continue;
        }
        if let (Some(_), Some(digest)) = (repository, folder_digest(&name)) {
            let link = fs_err::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
            if !real_dir(&path) && !link {
                continue;
            }
            let refs = tags
                .iter()
                .filter(|(_, d)| *d == digest)
                .map(|(t, _)| t.clone())
                .collect();
            out.push(ListedSnapshot {
                repo: repo(),
                problem: link.then(|| "the snapshot folder is not a real directory".to_owned()),
                partial: super::partial::read(dir, &name),
                commit: digest,
                path,
                refs,
            });
            continue;
        }
        let child = format!("{rel}/{name}");
        match fs_err::symlink_metadata(&path) {
            Ok(m) if m.is_dir() && depth < MAX_REPOSITORY_DEPTH => {
                list_repository(registry, &child, &path, depth + 1, out);
            }
            // A symlink in place of a repository's folder: listed with the problem, not
            // followed and not skipped silently.
            Ok(m) if m.file_type().is_symlink() => {
                let r = ModelRef::parse(
                    &format!(
                        "{}{registry}/{}",
                        crate::reference::OCI_PREFIX,
                        child.split_once('/').map_or("", |(_, r)| r)
                    ),
                    None,
                )
                .map_err(|_| child.clone());
                out.push(problem_row(r, path, ON_THE_WAY));
            }
            _ => {}
        }
    }
}

/// `(tag, digest)` for every regular file in a real `refs/` folder, read raw.
fn read_refs(refs: &Path) -> Vec<(String, String)> {
    if !real_dir(refs) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for e in fs_err::read_dir(refs).into_iter().flatten().flatten() {
        if !e.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let raw = crate::fsutil::read_regular_capped(&e.path(), 128).unwrap_or_default();
        out.push((
            e.file_name().to_string_lossy().into_owned(),
            String::from_utf8_lossy(&raw).trim().to_owned(),
        ));
    }
    out.sort();
    out
}

fn commit(
    cache: &OciCache,
    verified: VerifiedStaging,
    revision: Option<&str>,
) -> Result<Committed, CacheError> {
    let VerifiedStaging {
        staging, all_signed, ..
    } = verified;
    let repo = staging.repo.clone();
    // The staging folder was named by the snapshot folder (`sha256-<hex>`).
    let folder = staging.commit.clone();
    let digest = folder_digest(&folder).ok_or_else(|| CacheError::NotCacheable {
        repo: repo.to_string(),
        reason: "the commit is not a manifest digest (sha256:<64 lowercase hex digits>)",
    })?;
    // A tag to record; a revision that is the digest itself records nothing.
    let tag = revision.filter(|r| *r != digest && !crate::reference::is_oci_digest(r));
    if let Some(t) = tag {
        crate::reference::check_oci_tag(t).map_err(|reason| CacheError::NotCacheable {
            repo: repo.to_string(),
            reason,
        })?;
    }
    cache.check_layout(&repo, tag)?;
    let _lock = cache.lock(&repo, &folder)?;
    let repo_dir = real_dirs(&cache.root, &OciCache::repo_rel(&repo)?)?;
    // 1. The snapshot folder, built in staging from files downloaded (or copied while
    //    re-hashed) there: nothing is taken from the cache by path at this point.
    let building = real_dirs(staging.dir.path(), Path::new("snapshot"))?;
    let mut folders = FolderTree::new(&building);
    for f in &staging.files {
        let (dir, name) = folders.parent_of(&f.file.path)?;
        let Source::Staged(staged) = &f.source else {
            return Err(CacheError::NotProven {
                path: f.file.path.clone(),
            });
        };
        super::place_staged(staged, &dir.join(name), super::rename_into)?;
    }
    // 2. An earlier partial pull's record goes before the swap (meanwhile the snapshot is held
    //    to be complete: the strict reading); this pull's, if it is partial, comes after.
    super::partial::remove(&repo_dir, &folder)?;
    // 3. The swap: one rename; whatever was there (a symlink included) is moved aside, never
    //    followed.
    let snapshot = repo_dir.join(&folder);
    swap_in(&building, &snapshot, &staging.dir.path().join("replaced"))?;
    if !all_signed {
        super::partial::write(
            &repo_dir,
            &folder,
            staging.files.iter().map(|f| f.file.path.as_str()),
        )?;
    }
    // 4. The tag, last: a reader that finds it finds the snapshot it names.
    if let Some(t) = tag {
        let refs = real_dirs(&repo_dir, Path::new(REFS))?;
        write_atomic(&refs.join(t), digest.as_bytes())?;
    }
    Ok(Committed {
        snapshot,
        complete: all_signed,
        disk: std::collections::BTreeMap::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::{CacheLayout as _, OciCache};
    use crate::reference::ModelRef;

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn touch(p: &std::path::Path, bytes: &[u8]) {
        fs_err::create_dir_all(p.parent().unwrap()).unwrap();
        fs_err::write(p, bytes).unwrap();
    }

    /// The fixture model at `oci://127.0.0.1:5000/org/model`, its manifest digest standing
    /// for the commit (the fake hub serves it as it serves a Hugging Face repository).
    fn fixture() -> crate::hub::fake::Fixture {
        let mut fx = crate::hub::fake::Fixture::new(&crate::hub::fake::model_files());
        fx.repo = ModelRef::parse("oci://127.0.0.1:5000/org/model", None).unwrap();
        fx.commit = fx.hub.add_repo_at(&fx.repo, &fx.files, DIGEST);
        fx
    }

    /// A verified pull lays the manifest's files out in
    /// `<registry with _ for :>/<repository>/sha256-<hex>/`, plain files, and records the tag
    /// it pinned in `refs/<tag>` (the digest, no newline); `snapshot` finds it by tag and by
    /// digest.
    #[tokio::test]
    async fn a_commit_writes_the_snapshot_folder_and_the_tag() {
        let fx = fixture();
        let dir = tempfile::tempdir().unwrap();
        let cache = OciCache::new(dir.path());
        let pulled = fx.pull(&cache, crate::pull::Destination::Cache).await.unwrap();
        let repo_dir = dir.path().join("127.0.0.1_5000/org/model");
        let folder = repo_dir.join(format!("sha256-{}", &DIGEST[7..]));
        assert_eq!(pulled.path, folder);
        assert_eq!(crate::hub::fake::read_tree(&folder), fx.published());
        for p in fx.published().keys() {
            assert!(fs_err::symlink_metadata(folder.join(p)).unwrap().is_file(), "{p}");
        }
        assert_eq!(
            fs_err::read_to_string(repo_dir.join("refs/main")).unwrap(),
            DIGEST
        );
        assert_eq!(
            cache.snapshot(&fx.repo, "main").unwrap(),
            (DIGEST.to_owned(), folder.clone())
        );
        assert_eq!(cache.snapshot(&fx.repo, DIGEST).unwrap().1, folder);
        assert!(cache.snapshot(&fx.repo, "v2").is_err());
        let listed = cache.snapshots();
        assert_eq!(listed.len(), 1, "{listed:?}");
        assert_eq!(listed[0].repo.as_ref().unwrap(), &fx.repo);
        assert_eq!(listed[0].commit, DIGEST);
        assert_eq!(listed[0].refs, ["main"]);
        assert_eq!(
            (listed[0].problem.as_ref(), listed[0].partial.as_ref()),
            (None, None)
        );
    }

    /// A symlinked folder on the way to the snapshot is refused before anything is
    /// downloaded, and nothing is written where it leads.
    #[tokio::test]
    async fn a_symlinked_folder_on_the_way_is_refused() {
        let fx = fixture();
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        fs_err::create_dir_all(dir.path().join("127.0.0.1_5000")).unwrap();
        fs_err::os::unix::fs::symlink(elsewhere.path(), dir.path().join("127.0.0.1_5000/org")).unwrap();
        let cache = OciCache::new(dir.path());
        let err = fx
            .pull(&cache, crate::pull::Destination::Cache)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("not a directory"), "{err}");
        assert_eq!(fs_err::read_dir(elsewhere.path()).unwrap().count(), 0);
        assert_eq!(fx.hub.opens("model.safetensors"), 0, "downloaded before refusing");
        // A symlink in place of the refs folder is refused as well.
        let dir = tempfile::tempdir().unwrap();
        fs_err::create_dir_all(dir.path().join("127.0.0.1_5000/org/model")).unwrap();
        fs_err::os::unix::fs::symlink(elsewhere.path(), dir.path().join("127.0.0.1_5000/org/model/refs"))
            .unwrap();
        let cache = OciCache::new(dir.path());
        assert!(fx.pull(&cache, crate::pull::Destination::Cache).await.is_err());
        assert_eq!(fs_err::read_dir(elsewhere.path()).unwrap().count(), 0);
    }

    /// `snapshots` lists every snapshot folder with the tags that name it and a partial pull's
    /// record; nested repositories and a port are read back; a folder that is no reference is
    /// listed by its name; a symlinked folder is listed with the problem, not followed.
    #[test]
    fn snapshots_lists_repositories_tags_and_problems() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        let other = format!("sha256-{}", "f".repeat(64));
        let snap = format!("sha256-{}", &DIGEST[7..]);
        touch(&r.join("quay.io/org/team/model").join(&snap).join("w.bin"), b"w");
        touch(&r.join("quay.io/org/team/model/refs/v1"), DIGEST.as_bytes());
        touch(&r.join("quay.io/org/team/model/refs/latest"), DIGEST.as_bytes());
        touch(&r.join("quay.io/org/team/model").join(&other).join("w.bin"), b"w");
        touch(
            &r.join("quay.io/org/team/model/.hubsign-partial")
                .join(format!("{other}.json")),
            br#"{"format_version": 1, "files": ["w.bin"]}"#,
        );
        touch(&r.join("localhost_5000/m").join(&snap).join("a"), b"a");
        touch(&r.join("NotARegistry/Model").join(&snap).join("a"), b"a");
        let elsewhere = tempfile::tempdir().unwrap();
        touch(&elsewhere.path().join(&snap).join("a"), b"a");
        fs_err::os::unix::fs::symlink(elsewhere.path(), r.join("localhost_5000/linked")).unwrap();
        let listed = OciCache::new(r).snapshots();
        let rows: Vec<(String, String, Vec<String>, bool, bool)> = listed
            .iter()
            .map(|s| {
                (
                    s.display_name(),
                    s.commit.clone(),
                    s.refs.clone(),
                    s.problem.is_some(),
                    s.partial.is_some(),
                )
            })
            .collect();
        let d = DIGEST.to_owned();
        let f = format!("sha256:{}", "f".repeat(64));
        assert_eq!(
            rows,
            [
                ("NotARegistry/Model".into(), d.clone(), vec![], false, false),
                (
                    "oci://localhost:5000/linked".into(),
                    String::new(),
                    vec![],
                    true,
                    false
                ),
                ("oci://localhost:5000/m".into(), d.clone(), vec![], false, false),
                (
                    "oci://quay.io/org/team/model".into(),
                    d,
                    vec!["latest".into(), "v1".into()],
                    false,
                    false
                ),
                ("oci://quay.io/org/team/model".into(), f, vec![], false, true),
            ]
        );
        assert!(listed[0].repo.is_err());
    }

    /// A repository whose folder would be its parent's refs or snapshot folder, and a commit
    /// that is not a digest, are refused.
    #[test]
    fn unrepresentable_repositories_and_commits_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let cache = OciCache::new(dir.path());
        let nested = ModelRef::parse("oci://quay.io/org/refs", None).unwrap();
        assert!(cache.staging(&nested, DIGEST).is_err());
        let top = ModelRef::parse("oci://quay.io/refs/model", None).unwrap();
        assert!(cache.staging(&top, DIGEST).is_ok());
        assert!(cache.staging(&top, "v1").is_err());
        let hf = ModelRef::parse("org/model", None).unwrap();
        assert!(cache.staging(&hf, DIGEST).is_err());
    }
}

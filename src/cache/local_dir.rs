//! `--local-dir`: a verified snapshot placed as plain files in a directory the user names.
//!
//! The directory is the user's: hubsign never deletes or overwrites a file it did not write
//! there. It remembers what it placed (`.cache/hubsign/placed.json`: each file's device, inode,
//! size and modification time, as they were right after the rename), so a later pull replaces
//! exactly those files, still unchanged, and treats everything else as the user's. With
//! `--force` the user's files are moved aside into `.<name>.hubsign-displaced-<time>/` beside
//! the directory (same filesystem: a rename, no byte copied or lost; outside the directory, so
//! they are never signed, pushed or uploaded with it) and listed; without it the pull is
//! refused. Nothing is written through a symlink. hubsign's own folder is not part of the
//! model: signing and verifying the directory leave it out ([`crate::manifest::HUBSIGN_FOLDER`]).

use super::{CacheError, FolderTree, Source, VerifiedStaging, io, real_dirs};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What `--local-dir` may already hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalDirMode {
    /// Refuse a directory holding files hubsign did not place there (or that this pull would
    /// not place).
    RefuseForeign,
    /// `--force`: move those files aside into a dated folder beside the directory (never delete).
    ReplaceForeign,
}

/// hubsign's own folder inside a local directory: pulls' staging areas, the record of the
/// files it placed. Never scanned as the user's files.
pub const LOCAL_DIR_STAGING: &str = crate::manifest::HUBSIGN_FOLDER;

/// The staging root of pulls into a local directory, inside [`LOCAL_DIR_STAGING`].
const STAGING_ROOT: &str = "staging";

/// Where pulls into `dir` keep their staging areas (`DIR/.cache/hubsign/staging`): what
/// `hubsign staging --local-dir DIR` lists and cleans. Nothing else of hubsign's folder (its
/// record, the files `--force` moved aside) is a staging area.
#[must_use]
pub fn local_dir_staging_root(dir: &Path) -> PathBuf {
    dir.join(LOCAL_DIR_STAGING).join(STAGING_ROOT)
}

/// Whether the repository path `rel` is hubsign's own folder in a local directory or under
/// it (ASCII case ignored, for case-insensitive filesystems): a pull never places a file there.
#[must_use]
pub fn in_local_dir_own_folder(rel: &str) -> bool {
    let n = LOCAL_DIR_STAGING.len();
    rel.len() >= n
        && rel.is_char_boundary(n)
        && rel[..n].eq_ignore_ascii_case(LOCAL_DIR_STAGING)
        && (rel.len() == n || rel.as_bytes()[n] == b'/')
}

/// The record of what hubsign placed, in [`LOCAL_DIR_STAGING`].
const PLACED: &str = "placed.json";
/// A record larger than this is not read (everything is then treated as the user's).
const MAX_PLACED_BYTES: u64 = 64 << 20;

/// A file as hubsign left it: any change (rewritten, replaced, edited in place) makes it the
/// user's file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct FileId {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: i64,
    mtime_nsec: i64,
}

impl FileId {
    fn of(path: &Path) -> Option<Self> {
        use std::os::unix::fs::MetadataExt as _;
        let m = fs_err::symlink_metadata(path).ok()?;
        m.file_type().is_file().then(|| Self {
            dev: m.dev(),
            ino: m.ino(),
            size: m.size(),
            mtime: m.mtime(),
            mtime_nsec: m.mtime_nsec(),
        })
    }
}

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Placed {
    files: BTreeMap<String, FileId>,
}

impl Placed {
    /// The record in `dir`, read only through real directories; none (everything is the
    /// user's) when it is absent, unreadable or malformed.
    fn read(dir: &Path) -> Self {
        let own = dir.join(LOCAL_DIR_STAGING);
        let real = Path::new(LOCAL_DIR_STAGING)
            .ancestors()
            .filter(|a| !a.as_os_str().is_empty())
            .all(|a| super::real_dir(&dir.join(a)));
        if !real {
            return Self::default();
        }
        crate::fsutil::read_regular_capped(&own.join(PLACED), MAX_PLACED_BYTES)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    /// Whether the file at `rel` is one hubsign placed and nobody changed since.
    fn owns(&self, dir: &Path, rel: &str) -> bool {
        self.files
            .get(rel)
            .is_some_and(|id| FileId::of(&dir.join(rel)).as_ref() == Some(id))
    }
}

/// Entries under `dir` a pull placing `expected` (repository paths) must not touch: files,
/// symlinks (a symlinked directory counts as one entry and is not entered) and other
/// non-directories that are not among `expected`, and those among `expected` that hubsign did
/// not place there (or that changed since), a directory among them included. hubsign's own folder is left out. A missing
/// directory has none.
pub fn local_dir_foreign(dir: &Path, expected: &BTreeSet<String>) -> Result<Vec<String>, CacheError> {
    let placed = Placed::read(dir);
    let mut out = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((abs, rel)) = stack.pop() {
        let entries = match fs_err::read_dir(&abs) {
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
            if t.is_dir() && !expected.contains(&r) {
                stack.push((e.path(), r));
            } else if t.is_dir() {
                // A folder where a verified file goes: moved aside whole with --force.
                out.push(r);
            } else if !expected.contains(&r) || t.is_symlink() || !placed.owns(dir, &r) {
                out.push(r);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Files `--force` moved out of the way, and where they are now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Displaced {
    /// `<parent>/.<name>.hubsign-displaced-<time>` beside `DIR`: each file under its old
    /// relative path.
    pub folder: PathBuf,
    pub files: Vec<String>,
}

/// What [`commit_local_dir`] produced.
#[derive(Debug, Clone)]
pub struct LocalDirCommitted {
    pub dir: PathBuf,
    /// `None` when nothing had to be moved aside.
    pub displaced: Option<Displaced>,
}

/// The staging root of one pull into a local directory (`DIR/.cache/hubsign/staging`). The
/// folders this pull created for it are removed again when it is dropped, if empty: a pull
/// leaves no empty folder behind, only hubsign's record of the files it placed.
#[derive(Debug)]
pub struct LocalDirStaging {
    root: PathBuf,
    created: Vec<PathBuf>,
}

impl LocalDirStaging {
    pub fn prepare(dir: &Path) -> Result<Self, CacheError> {
        let mut created = Vec::new();
        if fs_err::symlink_metadata(dir).is_err() {
            created.push(dir.to_path_buf());
        }
        fs_err::create_dir_all(dir).map_err(|e| CacheError::Io {
            action: "cannot create",
            path: dir.to_path_buf(),
            source: e,
        })?;
        let rel = Path::new(LOCAL_DIR_STAGING).join(STAGING_ROOT);
        let mut p = dir.to_path_buf();
        for c in rel.components() {
            p.push(c);
            if fs_err::symlink_metadata(&p).is_err() {
                created.push(p.clone());
            }
        }
        let guard = Self { root: p, created };
        real_dirs(dir, &rel)?;
        Ok(guard)
    }

    /// Where the staging areas go.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

impl Drop for LocalDirStaging {
    fn drop(&mut self) {
        // Deepest first; `remove_dir` only ever removes an empty directory.
        for p in self.created.iter().rev() {
            let _ = fs_err::remove_dir(p);
        }
    }
}

/// Renames `src` to `dst` only if nothing is at `dst`: a file that appeared there after the
/// directory was checked is never replaced.
fn rename_no_replace(src: &Path, dst: &Path) -> std::io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        match renameat_with(CWD, src, CWD, dst, RenameFlags::NOREPLACE) {
            Ok(()) => return Ok(()),
            // A filesystem without RENAME_NOREPLACE: check, then rename.
            Err(e) if e == rustix::io::Errno::INVAL || e == rustix::io::Errno::NOSYS => {}
            Err(e) => return Err(e.into()),
        }
    }
    if fs_err::symlink_metadata(dst).is_ok() {
        return Err(std::io::ErrorKind::AlreadyExists.into());
    }
    fs_err::rename(src, dst)
}

/// `YYYY-MM-DDTHHMMSSZ` (UTC) for the displaced folder's name.
fn utc_stamp(now: std::time::SystemTime) -> String {
    let (y, m, d, hh, mm, ss) = crate::fsutil::utc_fields(now);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}{mm:02}{ss:02}Z")
}

/// The directory `--force` moves the user's files into sits beside `dir` (resolved), in its
/// parent: same filesystem, outside anything signed or uploaded from `dir`. Errors when there is
/// no such parent or it is not writable, so `--force` is refused before anything is downloaded
/// or moved.
pub fn displace_parent(dir: &Path) -> Result<(PathBuf, std::ffi::OsString), CacheError> {
    let real = fs_err::canonicalize(dir).map_err(io("cannot resolve", dir))?;
    let refuse = |source: std::io::Error| CacheError::CannotDisplace {
        dir: dir.to_path_buf(),
        source,
    };
    let (Some(parent), Some(name)) = (real.parent(), real.file_name()) else {
        return Err(refuse(std::io::Error::other("it has no parent directory")));
    };
    rustix::fs::access(parent, rustix::fs::Access::WRITE_OK | rustix::fs::Access::EXEC_OK)
        .map_err(|e| refuse(e.into()))?;
    // Files are moved aside with rename: were `dir` a mount point, the commit would fail
    // (EXDEV) after the whole download.
    same_filesystem(parent, &real).map_err(refuse)?;
    Ok((parent.to_path_buf(), name.to_os_string()))
}

/// Errors unless `parent` and `dir` are on the same filesystem (same device).
fn same_filesystem(parent: &Path, dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt as _;
    if fs_err::metadata(parent)?.dev() == fs_err::metadata(dir)?.dev() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "{} is a mount point: its parent {} is another filesystem, and files are moved aside by renaming them",
            dir.display(),
            parent.display()
        )))
    }
}

/// Moves `files` (relative to `dir`) into a new `<parent>/.<name>.hubsign-displaced-<time>/`
/// beside `dir` (created 0700), each under its relative path: a rename on the same filesystem,
/// never a copy, a replace or a delete.
fn displace(dir: &Path, files: &[String]) -> Result<Displaced, CacheError> {
    use std::os::unix::fs::DirBuilderExt as _;
    let (parent, base) = displace_parent(dir)?;
    let stamp = utc_stamp(std::time::SystemTime::now());
    let mut n = 0u32;
    let folder = loop {
        let mut name = std::ffi::OsString::from(".");
        name.push(&base);
        name.push(if n == 0 {
            format!(".hubsign-displaced-{stamp}")
        } else {
            format!(".hubsign-displaced-{stamp}-{n}")
        });
        let p = parent.join(name);
        match std::fs::DirBuilder::new().mode(0o700).create(&p) {
            Ok(()) => break p,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 1000 => n += 1,
            Err(source) => {
                return Err(CacheError::CannotDisplace {
                    dir: dir.to_path_buf(),
                    source,
                });
            }
        }
    };
    let mut aside = FolderTree::new(&folder);
    for (moved, rel) in files.iter().enumerate() {
        let src = dir.join(rel);
        let result = aside
            .parent_of(rel)
            .map_err(|e| std::io::Error::other(e.to_string()))
            .and_then(|(parent, name)| rename_no_replace(&src, &parent.join(name)));
        if let Err(source) = result {
            if moved == 0 {
                // Only ever removes the empty folder just made (another filesystem, say).
                let _ = fs_err::remove_dir(&folder);
            }
            return Err(CacheError::DisplaceFailed {
                path: src,
                folder,
                moved,
                source,
            });
        }
    }
    Ok(Displaced {
        folder,
        files: files.to_vec(),
    })
}

/// Renames the staged `src` to `dst` (`rel` in `dir`). Only a file hubsign placed there and
/// nobody changed since is replaced, checked again now: a file the user created or changed
/// after the directory was checked is never overwritten, and the pull is refused naming it.
fn place_file(previous: &Placed, dir: &Path, rel: &str, src: &Path, dst: &Path) -> Result<(), CacheError> {
    let result = if previous.owns(dir, rel) {
        fs_err::rename(src, dst)
    } else {
        rename_no_replace(src, dst)
    };
    result.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            CacheError::LocalDirNotEmpty {
                dir: dir.to_path_buf(),
                files: vec![rel.to_owned()],
            }
        } else {
            CacheError::Io {
                action: "cannot move into",
                path: dst.to_path_buf(),
                source: e,
            }
        }
    })
}

/// Renames each staged file into `dir`, recording each one placed in `placed` as it goes.
fn place_files(
    files: &[super::StagedFile],
    previous: &Placed,
    dir: &Path,
    placed: &mut Placed,
) -> Result<(), CacheError> {
    let mut folders = FolderTree::new(dir);
    for f in files {
        let (parent, name) = folders.parent_of(&f.file.path)?;
        let dst = parent.join(name);
        match &f.source {
            Source::Staged(staged) => {
                super::place_staged(staged, &dst, |src, dst| {
                    place_file(previous, dir, &f.file.path, src, dst)
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
        if let Some(id) = FileId::of(&dst) {
            placed.files.insert(f.file.path.clone(), id);
        }
    }
    Ok(())
}

/// Places `files` into `dir`, then rewrites the record of what hubsign placed there.
fn place_and_record(files: &[super::StagedFile], previous: &Placed, dir: &Path) -> Result<(), CacheError> {
    let mut placed = Placed::default();
    let result = place_files(files, previous, dir, &mut placed);
    if result.is_err() {
        // A commit that stops partway still records what hubsign's files are now: those an
        // earlier pull placed that are still there unchanged, and those placed so far. The
        // next pull then replaces them without `--force` (which would move them aside).
        for (rel, id) in &previous.files {
            if !placed.files.contains_key(rel) && previous.owns(dir, rel) {
                placed.files.insert(rel.clone(), *id);
            }
        }
    }
    let recorded = write_placed(dir, &placed);
    result?;
    recorded
}

/// Rewrites hubsign's record of the files it placed in `dir`.
fn write_placed(dir: &Path, placed: &Placed) -> Result<(), CacheError> {
    let own = real_dirs(dir, Path::new(LOCAL_DIR_STAGING))?;
    let record = serde_json::to_vec_pretty(placed).map_err(|e| CacheError::Io {
        action: "cannot write",
        path: own.join(PLACED),
        source: e.into(),
    })?;
    Ok(super::write_atomic(&own.join(PLACED), &record)?)
}

/// Places a verified snapshot into a plain directory (`--local-dir`). Afterwards the directory
/// holds exactly the verified files (and hubsign's own folder): files hubsign did not place
/// there are refused, or moved aside with [`LocalDirMode::ReplaceForeign`] (never deleted);
/// files it placed in an earlier pull, unchanged since, are replaced; parents are real
/// directories, never followed symlinks; each file is renamed into place, never over a file
/// that appeared meanwhile. Then the record of what was placed is rewritten.
pub fn commit_local_dir(
    verified: VerifiedStaging,
    dir: &Path,
    mode: LocalDirMode,
) -> Result<LocalDirCommitted, CacheError> {
    let VerifiedStaging { staging, .. } = verified;
    let expected: BTreeSet<String> = staging.files.iter().map(|f| f.file.path.clone()).collect();
    let previous = Placed::read(dir);
    let foreign = local_dir_foreign(dir, &expected)?;
    let displaced = if foreign.is_empty() {
        None
    } else if mode == LocalDirMode::RefuseForeign {
        return Err(CacheError::LocalDirNotEmpty {
            dir: dir.to_path_buf(),
            files: foreign,
        });
    } else {
        Some(displace(dir, &foreign)?)
    };
    place_and_record(&staging.files, &previous, dir)?;
    Ok(LocalDirCommitted {
        dir: dir.to_path_buf(),
        displaced,
    })
}

#[cfg(test)]
mod tests {
    use super::{CacheError, FileId, Placed, place_file, utc_stamp};
    use std::time::{Duration, UNIX_EPOCH};

    /// A file the user creates, or rewrites, at a destination after the directory was checked
    /// is never overwritten by the commit's rename: the pull is refused naming it. Only a file
    /// hubsign placed and nobody changed is replaced.
    #[test]
    fn the_commit_never_renames_over_a_file_that_appeared_or_changed_since_the_check() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let staged = d.join("staged.part");
        let dst = d.join("config.json");
        fs_err::write(&staged, b"verified").unwrap();
        // Nothing of hubsign's there when checked; the user's file appears just before the rename.
        fs_err::write(&dst, b"the user's, created after the check").unwrap();
        let err = place_file(&Placed::default(), d, "config.json", &staged, &dst).unwrap_err();
        assert!(
            matches!(&err, CacheError::LocalDirNotEmpty { files, .. } if files == &["config.json"]),
            "{err:?}"
        );
        assert_eq!(
            fs_err::read(&dst).unwrap(),
            b"the user's, created after the check"
        );
        assert_eq!(fs_err::read(&staged).unwrap(), b"verified");
        // A file hubsign placed, replaced by the user's since: theirs, kept.
        let mut placed = Placed::default();
        fs_err::write(d.join("mine"), b"placed by hubsign").unwrap();
        fs_err::rename(d.join("mine"), &dst).unwrap();
        placed
            .files
            .insert("config.json".into(), FileId::of(&dst).unwrap());
        fs_err::write(d.join("theirs"), b"the user's").unwrap();
        fs_err::rename(d.join("theirs"), &dst).unwrap();
        assert!(place_file(&placed, d, "config.json", &staged, &dst).is_err());
        assert_eq!(fs_err::read(&dst).unwrap(), b"the user's");
        // Unchanged since hubsign placed it: replaced.
        placed
            .files
            .insert("config.json".into(), FileId::of(&dst).unwrap());
        place_file(&placed, d, "config.json", &staged, &dst).unwrap();
        assert_eq!(fs_err::read(&dst).unwrap(), b"verified");
        assert!(!staged.exists());
    }

    /// A commit that stops partway (a file of the user's appeared at a destination) records
    /// the files hubsign placed so far and those of an earlier pull still unchanged: the next
    /// pull, without `--force`, replaces them and finds only the user's file in its way.
    #[test]
    fn a_commit_that_fails_partway_still_records_hubsigns_files() {
        use crate::cache::{CachedFile, DiskId, Source, StagedFile};
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("model");
        let staging = tmp.path().join("staging");
        fs_err::create_dir_all(&dir).unwrap();
        fs_err::create_dir_all(&staging).unwrap();
        let stage = |name: &str| {
            let p = staging.join(name);
            fs_err::write(&p, format!("verified {name}")).unwrap();
            StagedFile {
                file: CachedFile {
                    path: name.to_owned(),
                    size: 0,
                    content: None,
                    git_oid: None,
                    lfs: false,
                },
                source: Source::Staged(DiskId::of(p.clone(), &fs_err::metadata(&p).unwrap())),
                resources: Vec::new(),
            }
        };
        // An earlier pull placed a.txt and b.txt.
        let first = [stage("a.txt"), stage("b.txt")];
        super::place_and_record(&first, &Placed::default(), &dir).unwrap();
        // This pull replaces a.txt, then stops at c.txt: the user's file appeared there.
        let previous = Placed::read(&dir);
        let second = [stage("a.txt"), stage("c.txt"), stage("b.txt")];
        fs_err::write(dir.join("c.txt"), b"the user's").unwrap();
        let err = super::place_and_record(&second, &previous, &dir).unwrap_err();
        assert!(matches!(err, CacheError::LocalDirNotEmpty { .. }), "{err:?}");
        assert_eq!(fs_err::read(dir.join("a.txt")).unwrap(), b"verified a.txt");
        let expected = ["a.txt", "b.txt", "c.txt"].map(String::from).into();
        assert_eq!(super::local_dir_foreign(&dir, &expected).unwrap(), ["c.txt"]);
    }

    /// `--force` moves files beside the directory, never into it: with no parent to hold them,
    /// it is refused.
    #[test]
    fn force_is_refused_where_nothing_can_go_beside_the_directory() {
        let err = super::displace_parent(std::path::Path::new("/")).unwrap_err();
        assert!(matches!(err, CacheError::CannotDisplace { .. }), "{err:?}");
        let dir = tempfile::tempdir().unwrap();
        let (parent, name) = super::displace_parent(dir.path()).unwrap();
        assert_eq!(parent.join(name), dir.path().canonicalize().unwrap());
    }

    /// `--force` into a mount point (its parent another filesystem) is refused before anything
    /// is downloaded: the rename aside would fail at commit.
    #[test]
    fn force_is_refused_into_a_mount_point() {
        let proc_fs = std::path::Path::new("/proc");
        let err = super::same_filesystem(std::path::Path::new("/"), proc_fs).unwrap_err();
        assert!(err.to_string().contains("mount point"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        super::same_filesystem(dir.path().parent().unwrap(), dir.path()).unwrap();
    }

    #[test]
    fn stamps_are_utc_dates() {
        assert_eq!(utc_stamp(UNIX_EPOCH), "1970-01-01T000000Z");
        assert_eq!(
            utc_stamp(UNIX_EPOCH + Duration::from_secs(1_709_210_096)),
            "2024-02-29T123456Z"
        );
    }

    /// A verified pull into a local directory places exactly the verified files there, as
    /// regular files (hubsign's own folder aside).
    #[tokio::test]
    async fn a_local_dir_pull_places_exactly_the_verified_files() {
        let fx = crate::hub::fake::Fixture::new(&crate::hub::fake::model_files());
        let cache_dir = tempfile::tempdir().unwrap();
        let cache = crate::cache::HfCache::new(cache_dir.path());
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("model");
        let placed = fx
            .pull(
                &cache,
                crate::pull::Destination::LocalDir {
                    dir: out.clone(),
                    mode: super::LocalDirMode::RefuseForeign,
                },
            )
            .await
            .unwrap();
        assert_eq!(placed.path, out);
        let mut tree = crate::hub::fake::read_tree(&out);
        tree.retain(|p, _| !crate::cache::in_local_dir_own_folder(p));
        assert_eq!(tree, fx.published());
        for p in tree.keys() {
            assert!(fs_err::symlink_metadata(out.join(p)).unwrap().is_file(), "{p}");
        }
        // Nothing went into the cache.
        assert_eq!(fs_err::read_dir(cache_dir.path()).unwrap().count(), 0);
    }
}

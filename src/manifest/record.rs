//! The local hash record of a model, kept like git's index: for each file hubsign last hashed,
//! the file-system identity and times it had then — (device, inode, size, mtime, ctime) — and
//! the resource digests computed from it. Incremental signing reuses a signed digest only when
//! the file still carries the very same stamp.
//!
//! One JSON file per model in a record directory the caller names (never found through the
//! environment here), named by the hex SHA-256 of the model's canonical path. The record is a
//! hint, never a proof: it is read liberally and capped, and anything odd about it (missing,
//! corrupt, a link, another model's, another serialization) makes it count as absent, so every
//! file is hashed. It never decides what is signed on its own: a digest is reused only when the
//! verified old signature lists the same digest for the file.

use super::{ManifestError, ModelFile, SerializationConfig};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Records larger than this are ignored (about a million files' worth).
pub const MAX_RECORD_BYTES: u64 = 256 << 20;

/// The format version written; a record of any other version is ignored.
const RECORD_VERSION: u32 = 1;

/// A file stamped less than this before its stamp was taken is not recorded ("racily clean",
/// as git calls it): a write in the same clock tick after the stamp could leave size, mtime
/// and ctime unchanged. File-system timestamps come from a coarse clock (a few milliseconds);
/// one second leaves a wide margin.
const RACY_WINDOW: Duration = Duration::from_secs(1);

/// The window for file systems whose timestamps have whole seconds only (FAT's mtime: two).
const RACY_WINDOW_COARSE: Duration = Duration::from_secs(2);

/// What identifies a file's content without reading it: where it lives, how long it is and
/// when it or its inode last changed. A rewrite changes mtime or ctime (ctime cannot be set
/// back without setting the clock back); a swapped-in file changes the inode or device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStamp {
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    /// Seconds and nanoseconds since the epoch.
    pub mtime: (i64, i64),
    pub ctime: (i64, i64),
}

impl FileStamp {
    /// The stamp of `meta` (for a followed symlink: its target's).
    #[must_use]
    pub fn of(meta: &std::fs::Metadata) -> Self {
        Self {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.len(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        }
    }

    /// The stamp of a walked file, taken now; `None` when it cannot be read or no longer
    /// matches what the walk saw (it is changing: it is hashed and not recorded).
    #[must_use]
    pub fn of_file(file: &ModelFile) -> Option<Self> {
        let meta = fs_err::metadata(&file.path).ok()?;
        if meta.len() != file.len || meta.modified().ok() != file.modified {
            return None;
        }
        Some(Self::of(&meta))
    }

    /// Whether the file changed so recently before `taken` that a later write in the same
    /// clock tick could go unseen.
    fn is_racy(&self, taken: SystemTime) -> bool {
        let coarse = self.mtime.1 == 0 && self.ctime.1 == 0;
        let window = if coarse { RACY_WINDOW_COARSE } else { RACY_WINDOW };
        let Some(limit) = taken
            .checked_sub(window)
            .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        else {
            return true;
        };
        let limit = (
            i64::try_from(limit.as_secs()).unwrap_or(i64::MAX),
            i64::from(limit.subsec_nanos()),
        );
        self.mtime.max(self.ctime) >= limit
    }
}

/// The serialization a record's digests were computed with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordSerialization {
    /// `files` or `shards`.
    pub method: String,
    pub hash: String,
    pub shard_size: Option<u64>,
    pub allow_symlinks: bool,
}

impl RecordSerialization {
    #[must_use]
    pub fn of(config: &SerializationConfig) -> Self {
        let (method, shard_size) = match config.method {
            super::Serialization::Files => ("files", None),
            super::Serialization::Shards { shard_size } => ("shards", Some(shard_size)),
        };
        Self {
            method: method.to_owned(),
            hash: config.hash.as_str().to_owned(),
            shard_size,
            allow_symlinks: config.symlinks == super::Symlinks::Follow,
        }
    }
}

/// One file of the record: its stamp when it was hashed and the digests (hex, one per resource
/// of the file, in order) computed then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordEntry {
    pub stamp: FileStamp,
    pub digests: Vec<String>,
}

/// A model's hash record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HashRecord {
    pub version: u32,
    /// The canonical model path the record is for (lossy UTF-8; the file name is the hash of
    /// its bytes).
    pub model: String,
    pub serialization: RecordSerialization,
    /// Resource name of the file → its entry.
    pub files: BTreeMap<String, RecordEntry>,
}

/// Why a record could not be written (the signature was; the next incremental run hashes more).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    #[error("cannot write the hash record in {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A record inside the model would become part of it on the next signing.
    #[error("the record directory {0} is inside the model; no hash record written")]
    InsideModel(PathBuf),
}

/// The record file of `model` in `dir`: `<hex SHA-256 of the canonical model path>.json`.
///
/// # Errors
/// The model path cannot be resolved.
pub fn record_path(dir: &Path, model: &Path) -> Result<PathBuf, ManifestError> {
    use sha2::Digest as _;
    use std::os::unix::ffi::OsStrExt as _;
    let canonical = fs_err::canonicalize(model).map_err(|source| ManifestError::Io {
        path: model.to_path_buf(),
        source,
    })?;
    let name = hex::encode(sha2::Sha256::digest(canonical.as_os_str().as_bytes()));
    Ok(dir.join(format!("{name}.json")))
}

impl HashRecord {
    /// An empty record for `model` (canonical path) and `serialization`.
    #[must_use]
    pub fn new(model: &Path, serialization: &SerializationConfig) -> Self {
        Self {
            version: RECORD_VERSION,
            model: canonical_name(model),
            serialization: RecordSerialization::of(serialization),
            files: BTreeMap::new(),
        }
    }

    /// The record of `model` in `dir`, if there is a usable one: a regular file (not a link),
    /// at most [`MAX_RECORD_BYTES`], of this version, for this model. Anything else is `None`.
    #[must_use]
    pub fn load(dir: &Path, model: &Path) -> Option<Self> {
        let path = record_path(dir, model).ok()?;
        let bytes = read_record_file(&path).ok()?;
        let record: Self = serde_json::from_slice(&bytes).ok()?;
        (record.version == RECORD_VERSION && record.model == canonical_name(model)).then_some(record)
    }

    /// Adds `file` hashed into `digests` when its stamp was taken at `taken`; a racily clean
    /// stamp is left out (the file is hashed again next time).
    pub fn insert(&mut self, name: &str, stamp: FileStamp, digests: &[Vec<u8>], taken: SystemTime) {
        if stamp.is_racy(taken) {
            return;
        }
        self.files.insert(
            name.to_owned(),
            RecordEntry {
                stamp,
                digests: digests.iter().map(hex::encode).collect(),
            },
        );
    }

    /// The recorded digests of `name` if its recorded stamp is exactly `stamp`.
    #[must_use]
    pub fn unchanged(&self, name: &str, stamp: &FileStamp) -> Option<&[String]> {
        self.files
            .get(name)
            .filter(|e| e.stamp == *stamp)
            .map(|e| e.digests.as_slice())
    }

    /// Writes the record of `model` into `dir` (created if missing), temp + fsync + rename.
    ///
    /// # Errors
    /// [`RecordError`]: the directory lies inside the model, or cannot be created or written.
    pub fn store(&self, dir: &Path, model: &Path) -> Result<PathBuf, RecordError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| RecordError::Io { path, source }
        };
        if model.is_dir() {
            let dir_abs = std::path::absolute(dir).map_err(io(dir))?;
            let model_canon = fs_err::canonicalize(model).map_err(io(model))?;
            let dir_canon = crate::fsutil::nearest_canonical(&dir_abs);
            if dir_canon.starts_with(&model_canon) || dir_abs.starts_with(model) {
                return Err(RecordError::InsideModel(dir.to_path_buf()));
            }
        }
        fs_err::create_dir_all(dir).map_err(io(dir))?;
        let path = record_path(dir, model).map_err(|e| match e {
            ManifestError::Io { path, source } => RecordError::Io { path, source },
            other => RecordError::Io {
                path: model.to_path_buf(),
                source: std::io::Error::other(other.to_string()),
            },
        })?;
        let bytes = serde_json::to_vec(self).map_err(|e| RecordError::Io {
            path: path.clone(),
            source: std::io::Error::other(e),
        })?;
        crate::fsutil::write_atomic(&path, &bytes).map_err(|e| RecordError::Io {
            path: e.path,
            source: e.source,
        })?;
        Ok(path)
    }
}

/// The canonical path of `model` as the record names it.
fn canonical_name(model: &Path) -> String {
    fs_err::canonicalize(model)
        .unwrap_or_else(|_| model.to_path_buf())
        .to_string_lossy()
        .into_owned()
}

/// Reads a record file: never through a link (`O_NOFOLLOW`), never blocking on a FIFO, a
/// regular file of at most [`MAX_RECORD_BYTES`].
fn read_record_file(path: &Path) -> std::io::Result<Vec<u8>> {
    use fs_err::os::unix::fs::OpenOptionsExt as _;
    use std::io::Read as _;
    let flags = rustix::fs::OFlags::NONBLOCK | rustix::fs::OFlags::NOFOLLOW;
    let file = fs_err::OpenOptions::new()
        .read(true)
        .custom_flags(i32::try_from(flags.bits()).unwrap_or(0))
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() || meta.len() > MAX_RECORD_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "not a hash record",
        ));
    }
    let mut bytes = Vec::new();
    file.take(MAX_RECORD_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_RECORD_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "hash record too large",
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::{FileStamp, HashRecord, record_path};
    use crate::manifest::{HashAlgorithm, Serialization, SerializationConfig, Symlinks};
    use std::time::{Duration, SystemTime};

    fn config() -> SerializationConfig {
        SerializationConfig {
            method: Serialization::Files,
            hash: HashAlgorithm::Sha256,
            symlinks: Symlinks::Refuse,
            ignore_paths: Vec::new(),
        }
    }

    fn old_stamp() -> FileStamp {
        FileStamp {
            dev: 1,
            ino: 2,
            size: 3,
            mtime: (1_000_000, 5),
            ctime: (1_000_000, 7),
        }
    }

    #[test]
    fn a_stored_record_loads_back_and_matches_only_the_same_stamp() {
        let model = tempfile::tempdir().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let records = dir.path().join("records");
        let mut record = HashRecord::new(model.path(), &config());
        record.insert("a.bin", old_stamp(), &[vec![0xab; 32]], SystemTime::now());
        let path = record.store(&records, model.path()).unwrap();
        assert_eq!(path, record_path(&records, model.path()).unwrap());
        let name = path.file_stem().unwrap().to_str().unwrap();
        assert_eq!(name.len(), 64);
        assert!(name.bytes().all(|b| b.is_ascii_hexdigit()));
        let loaded = HashRecord::load(&records, model.path()).unwrap();
        assert_eq!(loaded, record);
        assert_eq!(
            loaded.unchanged("a.bin", &old_stamp()).unwrap(),
            [hex::encode([0xab; 32])]
        );
        for other in [
            FileStamp {
                ino: 9,
                ..old_stamp()
            },
            FileStamp {
                dev: 9,
                ..old_stamp()
            },
            FileStamp {
                size: 9,
                ..old_stamp()
            },
            FileStamp {
                mtime: (1_000_000, 6),
                ..old_stamp()
            },
            FileStamp {
                ctime: (1_000_001, 7),
                ..old_stamp()
            },
        ] {
            assert!(loaded.unchanged("a.bin", &other).is_none(), "{other:?}");
        }
        assert!(loaded.unchanged("b.bin", &old_stamp()).is_none());
    }

    #[test]
    fn a_racily_clean_stamp_is_not_recorded() {
        let model = tempfile::tempdir().unwrap();
        let mut record = HashRecord::new(model.path(), &config());
        let now = SystemTime::now();
        let secs = |t: SystemTime| {
            i64::try_from(t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs()).unwrap()
        };
        let fresh = FileStamp {
            mtime: (secs(now), 1),
            ctime: (secs(now), 1),
            ..old_stamp()
        };
        record.insert("fresh", fresh, &[vec![1; 32]], now);
        let ctime_fresh = FileStamp {
            ctime: (secs(now), 1),
            ..old_stamp()
        };
        record.insert("ctime-fresh", ctime_fresh, &[vec![1; 32]], now);
        let minute_ago = FileStamp {
            mtime: (secs(now - Duration::from_secs(60)), 1),
            ctime: (secs(now - Duration::from_secs(60)), 1),
            ..old_stamp()
        };
        record.insert("old", minute_ago, &[vec![1; 32]], now);
        assert_eq!(record.files.keys().collect::<Vec<_>>(), ["old"]);
    }

    #[test]
    fn a_corrupt_foreign_or_linked_record_is_ignored() {
        let model = tempfile::tempdir().unwrap();
        let other = tempfile::tempdir().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut record = HashRecord::new(model.path(), &config());
        record.insert("a.bin", old_stamp(), &[vec![0xab; 32]], SystemTime::now());
        let path = record.store(dir.path(), model.path()).unwrap();
        assert!(HashRecord::load(dir.path(), model.path()).is_some());
        // Another model's record under this model's name.
        let foreign = HashRecord::new(other.path(), &config());
        fs_err::write(&path, serde_json::to_vec(&foreign).unwrap()).unwrap();
        assert!(HashRecord::load(dir.path(), model.path()).is_none());
        // Not JSON, another version.
        fs_err::write(&path, b"{not json").unwrap();
        assert!(HashRecord::load(dir.path(), model.path()).is_none());
        let mut v2 = serde_json::to_value(&record).unwrap();
        v2["version"] = 2.into();
        fs_err::write(&path, serde_json::to_vec(&v2).unwrap()).unwrap();
        assert!(HashRecord::load(dir.path(), model.path()).is_none());
        // A link to a good record.
        let real = dir.path().join("real.json");
        fs_err::write(&real, serde_json::to_vec(&record).unwrap()).unwrap();
        fs_err::remove_file(&path).unwrap();
        fs_err::os::unix::fs::symlink(&real, &path).unwrap();
        assert!(HashRecord::load(dir.path(), model.path()).is_none());
        // Storing replaces the link, never writes through it.
        record.store(dir.path(), model.path()).unwrap();
        assert!(!fs_err::symlink_metadata(&path).unwrap().file_type().is_symlink());
        assert!(HashRecord::load(dir.path(), model.path()).is_some());
    }

    #[test]
    fn a_record_directory_inside_the_model_is_refused() {
        let model = tempfile::tempdir().unwrap();
        let record = HashRecord::new(model.path(), &config());
        let err = record
            .store(&model.path().join("records"), model.path())
            .unwrap_err();
        assert!(matches!(err, super::RecordError::InsideModel(_)), "{err}");
        assert!(!model.path().join("records").exists());
    }
}

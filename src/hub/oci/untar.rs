//! Tar layers, read safely: the files a (possibly gzip- or zstd-compressed) tar holds, hashed
//! ([`hash_entries`]) or written into an empty staging directory while being hashed
//! ([`extract`]).
//!
//! Which entries count follows rh-model-signing's `_hash_tar_entries`: regular files only
//! (directories, symbolic and hard links, devices and FIFOs are skipped: they are neither
//! hashed nor written, so nothing a link points to is ever vouched for or created), each name
//! with the ModelCar prefix (`/models/`) stripped and normalized as Python's `PurePosixPath`
//! does (empty and `.` components dropped), a name that is empty after that skipped.
//!
//! Where hubsign is stricter, an archive is refused with a typed error instead: a name that is
//! absolute outside the prefix, holds `..`, a backslash or a control character, or is not
//! UTF-8; a name that occurs twice (rh keeps the last); GNU sparse entries; and any limit of
//! [`Limits`] crossed (entry count, one file's bytes, all files' bytes, and the decompressed
//! stream as a whole, which bounds a gzip or zstd bomb and the PAX or GNU long-name headers
//! the tar reader holds in memory).
//!
//! This module never follows a symlink, never writes outside the directory it is given, never
//! replaces a file (every file is created new) and never decides trust: its digests are
//! compared with a signed manifest by the caller.

use crate::hub::check_remote_path;
use sha2::{Digest as _, Sha256};
use std::cell::Cell;
use std::collections::BTreeSet;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// How a tar layer's bytes are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

/// Bounds on what one tar layer may hold. Every bound is checked before the bytes it counts
/// are read (a declared size), or as they are read (the decompressed stream).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Entries of any kind (files, directories, links, headers the reader yields).
    pub max_entries: u64,
    /// Bytes of one regular file.
    pub max_file_bytes: u64,
    /// Bytes of all regular files together.
    pub max_total_bytes: u64,
}

impl Default for Limits {
    /// 100,000 entries, 1 TiB per file and 4 TiB in all: far beyond any model, small enough
    /// that a bomb stops long before a disk fills only when the caller lowers them to what it
    /// expects (the layer's declared size, the free space).
    fn default() -> Self {
        Self {
            max_entries: 100_000,
            max_file_bytes: 1 << 40,
            max_total_bytes: 4 << 40,
        }
    }
}

impl Limits {
    /// The most decompressed bytes read from one layer: the files' bytes, plus per entry a
    /// header, a PAX header and its data, and padding (2 KiB), plus 1 MiB of slack for long
    /// names. A stream longer than this is a bomb (or headers holding data), refused.
    #[must_use]
    pub fn stream_bytes(&self) -> u64 {
        self.max_total_bytes
            .saturating_add(self.max_entries.saturating_add(2).saturating_mul(2048))
            .saturating_add(1 << 20)
    }
}

/// One regular file of a tar layer: its normalized model-relative path, `sha256:<hex>` of its
/// content and its size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TarFile {
    pub path: String,
    pub digest: String,
    pub size: u64,
}

/// Why a tar layer was refused. All exit 2 (the archive is unusable), except that a caller
/// comparing digests with a signature reports a mismatch itself.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UntarError {
    /// The bytes are not a readable tar (or not valid gzip/zstd).
    #[error("the layer is not a readable tar archive")]
    Corrupt {
        #[source]
        source: io::Error,
    },
    #[error(
        "the layer holds an unsafe file name {name:?} (absolute, `..`, a backslash or a control character); refusing it"
    )]
    UnsafeName { name: String },
    #[error("the layer holds a file name that is not UTF-8 ({name:?}); OMS names must be UTF-8")]
    NonUtf8Name { name: String },
    #[error("the layer holds {path:?} twice; refusing it")]
    Duplicate { path: String },
    #[error("the layer holds {path:?} as a GNU sparse file, which hubsign does not read")]
    Sparse { path: String },
    #[error("the layer holds more than {limit} entries; refusing it")]
    TooManyEntries { limit: u64 },
    #[error("{path:?} in the layer is {size} bytes, over the limit of {limit}")]
    FileTooLarge { path: String, size: u64, limit: u64 },
    /// A tar or compression bomb: stopped at the limit, nothing beyond it read or written.
    #[error("the layer's files (or its decompressed stream) exceed {limit} bytes; refusing it")]
    TotalTooLarge { limit: u64 },
    #[error("{path}: the entry ended after {received} of its {expected} bytes")]
    Truncated {
        path: String,
        received: u64,
        expected: u64,
    },
    /// The staging directory given to [`extract`] is missing, a symlink, or not empty.
    #[error("{path} must be an existing, empty, real directory to extract into")]
    BadDestination { path: PathBuf },
    #[error("cannot write {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(transparent)]
    Place(#[from] crate::cache::CacheError),
}

/// The regular files of a tar layer, hashed, in archive order (rh-model-signing's
/// `_hash_tar_entries`, with the refusals of the module docs).
pub fn hash_entries(
    reader: impl Read,
    compression: Compression,
    strip_prefix: &str,
    limits: &Limits,
) -> Result<Vec<TarFile>, UntarError> {
    for_each_file(reader, compression, strip_prefix, limits, |path, entry, size| {
        let (digest, n) = copy_hashing(entry, &mut io::sink(), path, size)
            .map_err(|e| e.into_untar(|source| UntarError::Corrupt { source }))?;
        Ok(TarFile {
            path: path.to_owned(),
            digest,
            size: n,
        })
    })
}

/// Writes the regular files of a tar layer under `dest` (an existing, empty, real directory:
/// a staging area the caller verifies and then commits or drops), hashing while writing.
/// Directories are made only below `dest`, through real directories; every file is created
/// new (`O_EXCL`), so nothing is written through a symlink or over another file. On error,
/// what was written stays in `dest` for the caller to remove with its staging area.
pub fn extract(
    reader: impl Read,
    compression: Compression,
    strip_prefix: &str,
    dest: &Path,
    limits: &Limits,
) -> Result<Vec<TarFile>, UntarError> {
    let empty_dir = fs_err::symlink_metadata(dest).is_ok_and(|m| m.is_dir())
        && fs_err::read_dir(dest).is_ok_and(|mut d| d.next().is_none());
    if !empty_dir {
        return Err(UntarError::BadDestination {
            path: dest.to_path_buf(),
        });
    }
    let mut tree = crate::cache::FolderTree::new(dest);
    for_each_file(reader, compression, strip_prefix, limits, |path, entry, size| {
        let (dir, name) = tree.parent_of(path)?;
        let target = dir.join(name);
        let mut file = fs_err::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&target)
            .map_err(|source| UntarError::Write {
                path: target.clone(),
                source: source.into(),
            })?;
        let (digest, n) = copy_hashing(entry, &mut file, path, size).map_err(|e| {
            e.into_untar(|source| UntarError::Write {
                path: target.clone(),
                source,
            })
        })?;
        file.flush().map_err(|source| UntarError::Write {
            path: target.clone(),
            source,
        })?;
        Ok(TarFile {
            path: path.to_owned(),
            digest,
            size: n,
        })
    })
}

/// An error while copying one entry: from the archive side or the destination side.
enum CopyError {
    Read(io::Error),
    Write(io::Error),
    Short(UntarError),
}

impl CopyError {
    fn into_untar(self, write: impl FnOnce(io::Error) -> UntarError) -> UntarError {
        match self {
            Self::Read(source) => UntarError::Corrupt { source },
            Self::Write(e) => write(e),
            Self::Short(e) => e,
        }
    }
}

/// Copies one entry's bytes to `out`, hashing them; exactly `size` bytes must come.
fn copy_hashing(
    entry: &mut dyn Read,
    out: &mut dyn Write,
    path: &str,
    size: u64,
) -> Result<(String, u64), CopyError> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n: u64 = 0;
    loop {
        let got = match entry.read(&mut buf) {
            Ok(0) => break,
            Ok(got) => got,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(CopyError::Read(e)),
        };
        hasher.update(&buf[..got]);
        out.write_all(&buf[..got]).map_err(CopyError::Write)?;
        n += got as u64;
    }
    if n != size {
        return Err(CopyError::Short(UntarError::Truncated {
            path: path.to_owned(),
            received: n,
            expected: size,
        }));
    }
    Ok((format!("sha256:{}", hex::encode(hasher.finalize())), n))
}

/// A reader that fails once more than `limit` bytes came through, and says so in `tripped`
/// (the tar reader wraps errors, so the flag, not the error, tells a bomb from corruption).
struct Bounded<R> {
    inner: R,
    left: u64,
    tripped: Rc<Cell<bool>>,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.left {
            self.tripped.set(true);
            return Err(io::Error::other("decompressed stream over its limit"));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

fn decompressed<'r>(
    reader: impl Read + 'r,
    compression: Compression,
) -> Result<Box<dyn Read + 'r>, UntarError> {
    Ok(match compression {
        Compression::None => Box::new(reader),
        // Python's tarfile reads every member of a multi-member gzip stream; so does this.
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(reader)),
        Compression::Zstd => {
            Box::new(
                ruzstd::decoding::StreamingDecoder::new(reader).map_err(|e| UntarError::Corrupt {
                    source: io::Error::new(io::ErrorKind::InvalidData, e.to_string()),
                })?,
            )
        }
    })
}

/// The model-relative name of a tar entry, or `None` for one rh-model-signing skips (empty
/// after stripping): `prefix` stripped as rh's `_strip_path_prefix` does (with or without its
/// leading `/`, then leading slashes), then normalized as `PurePosixPath` (empty and `.`
/// components dropped). An absolute name not under `prefix` is refused (rh would strip its
/// leading slashes), as is any name [`check_remote_path`] refuses after normalizing.
pub fn entry_path(name: &str, prefix: &str) -> Result<Option<String>, UntarError> {
    let bare = prefix.trim_start_matches('/');
    let rest = if !prefix.is_empty() && name.starts_with(prefix) {
        name[prefix.len()..].trim_start_matches('/')
    } else if !bare.is_empty() && name.starts_with(bare) {
        name[bare.len()..].trim_start_matches('/')
    } else if name.starts_with('/') {
        return Err(UntarError::UnsafeName {
            name: name.to_owned(),
        });
    } else {
        name
    };
    let normal = normalize(rest);
    if normal.is_empty() {
        return Ok(None);
    }
    check_remote_path(&normal).map_err(|_| UntarError::UnsafeName {
        name: name.to_owned(),
    })?;
    Ok(Some(normal))
}

/// `PurePosixPath`'s normal form of a relative path: empty and `.` components dropped.
pub(crate) fn normalize(path: &str) -> String {
    path.split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect::<Vec<_>>()
        .join("/")
}

/// Walks the archive, calling `file` for each regular file with its checked name, a reader of
/// its bytes and its declared size; every limit is checked before `file` runs.
fn for_each_file<R: Read>(
    reader: R,
    compression: Compression,
    strip_prefix: &str,
    limits: &Limits,
    mut file: impl FnMut(&str, &mut dyn Read, u64) -> Result<TarFile, UntarError>,
) -> Result<Vec<TarFile>, UntarError> {
    let tripped = Rc::new(Cell::new(false));
    let stream = Bounded {
        inner: decompressed(reader, compression)?,
        left: limits.stream_bytes(),
        tripped: Rc::clone(&tripped),
    };
    let corrupt = |source: io::Error| {
        if tripped.get() {
            UntarError::TotalTooLarge {
                limit: limits.stream_bytes(),
            }
        } else {
            UntarError::Corrupt { source }
        }
    };
    let mut archive = tar::Archive::new(stream);
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    let mut count: u64 = 0;
    let mut total: u64 = 0;
    for entry in archive.entries().map_err(corrupt)? {
        let mut entry = entry.map_err(corrupt)?;
        count += 1;
        if count > limits.max_entries {
            return Err(UntarError::TooManyEntries {
                limit: limits.max_entries,
            });
        }
        let raw_name = entry.path_bytes();
        let Ok(name) = std::str::from_utf8(&raw_name) else {
            return Err(UntarError::NonUtf8Name {
                name: String::from_utf8_lossy(&raw_name).into_owned(),
            });
        };
        let name = name.to_owned();
        let kind = entry.header().entry_type();
        if kind.is_gnu_sparse() {
            return Err(UntarError::Sparse { path: name });
        }
        // Python's tarfile: only `0`, NUL and `7` are regular files, and a NUL-typed name
        // ending in `/` is a directory.
        let regular =
            matches!(kind, tar::EntryType::Regular | tar::EntryType::Continuous) && !name.ends_with('/');
        if !regular {
            continue;
        }
        let Some(path) = entry_path(&name, strip_prefix)? else {
            continue;
        };
        if !seen.insert(path.clone()) {
            return Err(UntarError::Duplicate { path });
        }
        let size = entry.size();
        if size > limits.max_file_bytes {
            return Err(UntarError::FileTooLarge {
                path,
                size,
                limit: limits.max_file_bytes,
            });
        }
        total = total.saturating_add(size);
        if total > limits.max_total_bytes {
            return Err(UntarError::TotalTooLarge {
                limit: limits.max_total_bytes,
            });
        }
        let done = file(&path, &mut entry, size);
        match done {
            Ok(f) => out.push(f),
            Err(UntarError::Corrupt { source }) => return Err(corrupt(source)),
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

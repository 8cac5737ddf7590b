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
//! stream as a whole, which bounds a gzip or zstd bomb); and a PAX or GNU long-name header over
//! 1 MiB, which the tar reader would hold in memory whole, refused from its header before its
//! data is read (a guard follows the headers as the bytes pass, PAX `size` records included).
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
    /// 100,000 entries, 1 TiB per file, 4 TiB in all: beyond any real model. A caller that
    /// knows more (the free space, the sizes a signed manifest promises) passes lower ones, so
    /// a bomb stops before the disk fills.
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
    /// A PAX or GNU long-name header larger than any name or attribute needs: the tar reader
    /// would hold it in memory whole, so it is refused from its header, before its data.
    #[error("the layer holds an extension header of {size} bytes, over the limit of {limit}; refusing it")]
    ExtensionTooLarge { size: u64, limit: u64 },
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
    let mut buf = vec![0u8; COPY_BUFFER];
    for_each_file(reader, compression, strip_prefix, limits, |path, entry, size| {
        let (digest, n) = copy_hashing(entry, &mut io::sink(), path, size, &mut buf)
            .map_err(|e| e.into_untar(|source| UntarError::Corrupt { source }))?;
        Ok(Step::Keep(TarFile {
            path: path.to_owned(),
            digest,
            size: n,
        }))
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
    let mut buf = vec![0u8; COPY_BUFFER];
    for_each_file(reader, compression, strip_prefix, limits, |path, entry, size| {
        let (dir, name) = tree.parent_of(path)?;
        let target = dir.join(name);
        let mut file = fs_err::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&target)
            .map_err(|source| UntarError::Write {
                path: target.clone(),
                source,
            })?;
        let (digest, n) = copy_hashing(entry, &mut file, path, size, &mut buf).map_err(|e| {
            e.into_untar(|source| UntarError::Write {
                path: target.clone(),
                source,
            })
        })?;
        file.flush().map_err(|source| UntarError::Write {
            path: target.clone(),
            source,
        })?;
        Ok(Step::Keep(TarFile {
            path: path.to_owned(),
            digest,
            size: n,
        }))
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

/// The bytes read at a time from an entry (one buffer per archive, not per file).
const COPY_BUFFER: usize = 256 * 1024;

/// Copies one entry's bytes to `out` through `buf`, hashing them; exactly `size` bytes must come.
fn copy_hashing(
    entry: &mut dyn Read,
    out: &mut dyn Write,
    path: &str,
    size: u64,
    buf: &mut [u8],
) -> Result<(String, u64), CopyError> {
    let mut hasher = Sha256::new();
    let mut n: u64 = 0;
    loop {
        let got = match entry.read(buf) {
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

/// The largest PAX or GNU long-name header read (its data): names and attributes need far
/// less; the tar reader holds the whole header in memory.
const MAX_EXTENSION_BYTES: u64 = 1 << 20;

/// A reader between the decompressor and the tar reader that follows the archive's headers as
/// the bytes pass (each header's size says where the next one is, a PAX `size` record
/// overriding the next entry's) and fails at a PAX or GNU long-name header over
/// [`MAX_EXTENSION_BYTES`] before its data is read, saying so in `tripped` (the tar reader
/// wraps errors, so the flag, not the error, tells why).
struct HeaderGuard<R> {
    inner: R,
    /// Bytes passed so far, and where the next header starts.
    pos: u64,
    next: u64,
    block: Vec<u8>,
    /// The data of the PAX header being read (bounded), and how many bytes of it are still to
    /// come; its `size` record, once read, applies to the next entry.
    pax: Option<(Vec<u8>, u64)>,
    size_override: Option<u64>,
    tripped: Rc<Cell<Option<u64>>>,
}

impl<R> HeaderGuard<R> {
    fn new(inner: R, tripped: Rc<Cell<Option<u64>>>) -> Self {
        Self {
            inner,
            pos: 0,
            next: 0,
            block: Vec::with_capacity(512),
            pax: None,
            size_override: None,
            tripped,
        }
    }

    /// One header block complete: where the next header is, and whether this one is refused.
    fn header(&mut self) -> io::Result<()> {
        let block = std::mem::replace(&mut self.block, Vec::with_capacity(512));
        if block.iter().all(|b| *b == 0) {
            self.next += 512;
            return Ok(());
        }
        let h = tar::Header::from_byte_slice(&block);
        let kind = h.entry_type();
        let declared = h.entry_size().unwrap_or(0);
        let extension = kind.is_pax_local_extensions()
            || kind.is_pax_global_extensions()
            || kind.is_gnu_longname()
            || kind.is_gnu_longlink();
        let size = if extension {
            declared
        } else {
            self.size_override.take().unwrap_or(declared)
        };
        if extension && size > MAX_EXTENSION_BYTES {
            self.tripped.set(Some(size));
            return Err(io::Error::other("an extension header over its limit"));
        }
        if kind.is_pax_local_extensions() {
            self.pax = Some((Vec::with_capacity(usize::try_from(size).unwrap_or(0)), size));
        }
        self.next += 512 + size.next_multiple_of(512);
        Ok(())
    }

    /// Bytes of entry data: a PAX header's are kept (bounded above) for its `size` record.
    fn data(&mut self, bytes: &[u8]) {
        if let Some((data, left)) = &mut self.pax {
            let take = usize::try_from(*left).unwrap_or(usize::MAX).min(bytes.len());
            data.extend_from_slice(&bytes[..take]);
            *left -= take as u64;
            if *left == 0 {
                self.size_override = pax_size(data);
                self.pax = None;
            }
        }
    }
}

/// The `size` record of a PAX header's data (`<len> size=<decimal>\n`), if it has one.
fn pax_size(data: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(data).ok()?;
    text.lines()
        .filter_map(|record| record.split_once(' ').map(|(_, kv)| kv))
        .filter_map(|kv| kv.strip_prefix("size="))
        .next_back()
        .and_then(|v| v.trim().parse().ok())
}

impl<R: Read> Read for HeaderGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut i = 0;
        while i < n {
            let at = self.pos + i as u64;
            if at < self.next {
                let run = usize::try_from(self.next - at).unwrap_or(usize::MAX).min(n - i);
                self.data(&buf[i..i + run]);
                i += run;
                continue;
            }
            let take = (512 - self.block.len()).min(n - i);
            self.block.extend_from_slice(&buf[i..i + take]);
            i += take;
            if self.block.len() == 512 {
                self.header()?;
            }
        }
        self.pos += n as u64;
        Ok(n)
    }
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

fn decompressed<'r>(reader: impl Read + 'r, compression: Compression) -> Box<dyn Read + 'r> {
    match compression {
        Compression::None => Box::new(reader),
        // Python's tarfile reads every member of a multi-member gzip stream; so does this.
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(reader)),
        Compression::Zstd => Box::new(ZstdFrames {
            source: io::BufReader::new(reader),
            decoder: ruzstd::decoding::FrameDecoder::new(),
            in_frame: false,
        }),
    }
}

/// A zstd stream of any number of frames, skippable frames passed over (zstd's own format:
/// multi-threaded compressors and seekable variants write several frames; a one-frame decoder
/// would end the tar early and silently drop the files of the later frames).
struct ZstdFrames<R> {
    source: R,
    decoder: ruzstd::decoding::FrameDecoder,
    in_frame: bool,
}

impl<R: io::BufRead> Read for ZstdFrames<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use ruzstd::decoding::BlockDecodingStrategy;
        use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if !self.in_frame {
                if self.source.fill_buf()?.is_empty() {
                    return Ok(0);
                }
                match self.decoder.reset(&mut self.source) {
                    Ok(()) => self.in_frame = true,
                    Err(FrameDecoderError::ReadFrameHeaderError(ReadFrameHeaderError::SkipFrame {
                        length,
                        ..
                    })) => {
                        let skipped =
                            io::copy(&mut (&mut self.source).take(u64::from(length)), &mut io::sink())?;
                        if skipped != u64::from(length) {
                            return Err(io::Error::new(
                                io::ErrorKind::UnexpectedEof,
                                "zstd skippable frame cut short",
                            ));
                        }
                        continue;
                    }
                    Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
                }
            }
            while self.decoder.can_collect() < buf.len() && !self.decoder.is_finished() {
                let more = buf.len() - self.decoder.can_collect();
                self.decoder
                    .decode_blocks(&mut self.source, BlockDecodingStrategy::UptoBytes(more))
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            }
            let n = self.decoder.read(buf)?;
            if n > 0 {
                return Ok(n);
            }
            if self.decoder.is_finished() {
                self.in_frame = false;
            } else {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "zstd frame made no progress",
                ));
            }
        }
    }
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
    mut file: impl FnMut(&str, &mut dyn Read, u64) -> Result<Step, UntarError>,
) -> Result<Vec<TarFile>, UntarError> {
    let tripped = Rc::new(Cell::new(false));
    let extension = Rc::new(Cell::new(None));
    let stream = HeaderGuard::new(
        Bounded {
            inner: decompressed(reader, compression),
            left: limits.stream_bytes(),
            tripped: Rc::clone(&tripped),
        },
        Rc::clone(&extension),
    );
    let corrupt = |source: io::Error| {
        if let Some(size) = extension.get() {
            UntarError::ExtensionTooLarge {
                size,
                limit: MAX_EXTENSION_BYTES,
            }
        } else if tripped.get() {
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
            // A link, device or FIFO is never written or hashed; but one that takes a file's
            // name would replace that file where the layer is applied (a container runtime
            // takes the last entry of a name), so its name counts as taken.
            let linkish = !kind.is_dir() && !name.ends_with('/') && !kind.is_pax_global_extensions();
            if let (true, Ok(Some(path))) = (linkish, entry_path(&name, strip_prefix)) {
                if !seen.insert(path.clone()) {
                    return Err(UntarError::Duplicate { path });
                }
            }
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
            Ok(Step::Keep(f)) => out.push(f),
            Ok(Step::Skip) => {}
            Ok(Step::Stop(f)) => {
                out.push(f);
                break;
            }
            Err(UntarError::Corrupt { source }) => return Err(corrupt(source)),
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// What [`for_each_file`] does after one file: keep what was read of it, skip it (its bytes
/// are passed over unread), or keep it and read no further.
enum Step {
    Keep(TarFile),
    Skip,
    Stop(TarFile),
}

/// The size of the regular file `wanted` in a tar layer, from its header: the archive is read
/// up to that header only (an olot `file` layer names its file's digest, not its size).
/// `Ok(None)` when the layer holds no such file.
pub fn file_size(
    reader: impl Read,
    compression: Compression,
    strip_prefix: &str,
    wanted: &str,
    limits: &Limits,
) -> Result<Option<u64>, UntarError> {
    let found = for_each_file(reader, compression, strip_prefix, limits, |path, _entry, size| {
        Ok(if path == wanted {
            Step::Stop(TarFile {
                path: path.to_owned(),
                digest: String::new(),
                size,
            })
        } else {
            Step::Skip
        })
    })?;
    Ok(found.first().map(|f| f.size))
}

/// Copies the regular file `wanted` of a tar layer to `out`, hashing it on the way; the
/// archive is read up to the end of that file. `Ok(None)` when the layer holds no such file.
pub fn copy_file(
    reader: impl Read,
    compression: Compression,
    strip_prefix: &str,
    wanted: &str,
    out: &mut dyn Write,
    limits: &Limits,
) -> Result<Option<TarFile>, UntarError> {
    let mut buf = vec![0u8; COPY_BUFFER];
    let found = for_each_file(reader, compression, strip_prefix, limits, |path, entry, size| {
        if path != wanted {
            return Ok(Step::Skip);
        }
        let (digest, n) = copy_hashing(entry, out, path, size, &mut buf).map_err(|e| {
            e.into_untar(|source| UntarError::Write {
                path: path.into(),
                source,
            })
        })?;
        Ok(Step::Stop(TarFile {
            path: path.to_owned(),
            digest,
            size: n,
        }))
    })?;
    Ok(found.into_iter().next())
}

#[cfg(test)]
mod tests {
    use super::{Compression, Limits, TarFile, UntarError, entry_path, extract, hash_entries};
    use std::io::Write as _;

    /// A raw ustar header block for `name` (bytes written as given: no check, so hostile
    /// names can be made), then the data padded to 512.
    fn entry(out: &mut Vec<u8>, name: &[u8], kind: tar::EntryType, data: &[u8], link: Option<&[u8]>) {
        let mut h = tar::Header::new_ustar();
        h.as_old_mut().name[..name.len()].copy_from_slice(name);
        if let Some(l) = link {
            h.as_old_mut().linkname[..l.len()].copy_from_slice(l);
        }
        h.set_entry_type(kind);
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(data);
        out.resize(out.len().next_multiple_of(512), 0);
    }

    fn file(out: &mut Vec<u8>, name: &str, data: &[u8]) {
        entry(out, name.as_bytes(), tar::EntryType::Regular, data, None);
    }

    fn end(mut out: Vec<u8>) -> Vec<u8> {
        out.resize(out.len() + 1024, 0);
        out
    }

    fn sha(data: &[u8]) -> String {
        crate::hub::oci::image::digest_of(data)
    }

    fn hash(tar: &[u8], prefix: &str) -> Result<Vec<TarFile>, UntarError> {
        hash_entries(tar, Compression::None, prefix, &Limits::default())
    }

    #[test]
    fn regular_files_are_hashed_with_the_prefix_stripped() {
        let mut t = Vec::new();
        entry(&mut t, b"models/", tar::EntryType::Directory, b"", None);
        file(&mut t, "models/a.txt", b"alpha");
        file(&mut t, "/models/dir/b.bin", b"beta");
        file(&mut t, "./models/c", b"gamma"); // not under the prefix (rh: "models/c")
        file(&mut t, "models//d/./e", b"delta");
        file(&mut t, "models/", b"skipped: empty once stripped");
        let files = hash(&end(t), "/models/").unwrap();
        let got: Vec<(&str, &str, u64)> = files
            .iter()
            .map(|f| (f.path.as_str(), f.digest.as_str(), f.size))
            .collect();
        assert_eq!(
            got,
            [
                ("a.txt", sha(b"alpha").as_str(), 5),
                ("dir/b.bin", sha(b"beta").as_str(), 4),
                ("models/c", sha(b"gamma").as_str(), 5),
                ("d/e", sha(b"delta").as_str(), 5),
            ]
        );
    }

    #[test]
    fn zip_slip_and_absolute_names_are_refused() {
        for (name, prefix) in [
            ("../evil", ""),
            ("models/../../evil", "/models/"),
            ("a/../../evil", ""),
            ("/etc/passwd", ""),
            ("/etc/passwd", "/models/"),
            ("a\\..\\b", ""),
            ("a\u{1}b", ""),
        ] {
            let mut t = Vec::new();
            file(&mut t, name, b"x");
            let err = hash(&end(t.clone()), prefix).unwrap_err();
            assert!(matches!(err, UntarError::UnsafeName { .. }), "{name}: {err:?}");
            let dir = tempfile::tempdir().unwrap();
            let err = extract(
                &end(t)[..],
                Compression::None,
                prefix,
                dir.path(),
                &Limits::default(),
            )
            .unwrap_err();
            assert!(matches!(err, UntarError::UnsafeName { .. }), "{name}: {err:?}");
            assert_eq!(fs_err::read_dir(dir.path()).unwrap().count(), 0, "{name}");
        }
        assert_eq!(entry_path("/models/a", "/models/").unwrap().as_deref(), Some("a"));
        assert_eq!(entry_path("models/a", "/models/").unwrap().as_deref(), Some("a"));
    }

    #[test]
    fn a_file_through_a_symlink_entry_lands_in_a_real_directory() {
        let outside = tempfile::tempdir().unwrap();
        let mut t = Vec::new();
        let target = outside.path().to_str().unwrap().as_bytes();
        entry(&mut t, b"link", tar::EntryType::Symlink, b"", Some(target));
        file(&mut t, "link/planted", b"through the link?");
        let dir = tempfile::tempdir().unwrap();
        let files = extract(&end(t)[..], Compression::None, "", dir.path(), &Limits::default()).unwrap();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].path, "link/planted");
        assert!(
            fs_err::symlink_metadata(dir.path().join("link"))
                .unwrap()
                .is_dir()
        );
        assert_eq!(
            fs_err::read(dir.path().join("link/planted")).unwrap(),
            b"through the link?"
        );
        assert_eq!(fs_err::read_dir(outside.path()).unwrap().count(), 0);
    }

    #[test]
    fn links_devices_and_fifos_are_skipped() {
        let mut t = Vec::new();
        file(&mut t, "real", b"content");
        entry(&mut t, b"hard", tar::EntryType::Link, b"", Some(b"real"));
        entry(
            &mut t,
            b"hard-out",
            tar::EntryType::Link,
            b"",
            Some(b"/etc/passwd"),
        );
        entry(
            &mut t,
            b"soft",
            tar::EntryType::Symlink,
            b"",
            Some(b"../../etc/passwd"),
        );
        entry(&mut t, b"dev", tar::EntryType::Char, b"", None);
        entry(&mut t, b"blk", tar::EntryType::Block, b"", None);
        entry(&mut t, b"fifo", tar::EntryType::Fifo, b"", None);
        let t = end(t);
        let dir = tempfile::tempdir().unwrap();
        let files = extract(&t[..], Compression::None, "", dir.path(), &Limits::default()).unwrap();
        assert_eq!(files, hash(&t, "").unwrap());
        assert_eq!(
            files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(),
            ["real"]
        );
        let on_disk: Vec<_> = fs_err::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(on_disk, ["real"]);
    }

    /// A link (or device) taking a signed file's name would replace that file where the layer
    /// is applied (the runtime takes the last entry of a name): refused in either order.
    #[test]
    fn a_link_taking_a_files_name_is_refused() {
        for link_first in [false, true] {
            let mut t = Vec::new();
            if link_first {
                entry(&mut t, b"models/w", tar::EntryType::Symlink, b"", Some(b"/other"));
                file(&mut t, "models/w", b"weights");
            } else {
                file(&mut t, "models/w", b"weights");
                entry(&mut t, b"models/w", tar::EntryType::Link, b"", Some(b"/other"));
            }
            let t = end(t);
            assert!(
                matches!(hash(&t, "/models/"), Err(UntarError::Duplicate { ref path }) if path == "w"),
                "link first: {link_first}"
            );
        }
    }

    #[test]
    fn a_name_twice_is_refused() {
        let mut t = Vec::new();
        file(&mut t, "models/a", b"one");
        file(&mut t, "/models/a", b"two");
        let err = hash(&end(t), "/models/").unwrap_err();
        assert!(
            matches!(err, UntarError::Duplicate { ref path } if path == "a"),
            "{err:?}"
        );
    }

    #[test]
    fn a_gzip_bomb_stops_at_the_limit() {
        let mut t = Vec::new();
        file(&mut t, "small", b"ok");
        file(&mut t, "zeros", &vec![0u8; 8 << 20]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&end(t)).unwrap();
        let gz = gz.finish().unwrap();
        assert!(gz.len() < 64 * 1024, "{}", gz.len());
        let limits = Limits {
            max_entries: 10,
            max_file_bytes: u64::MAX,
            max_total_bytes: 1 << 20,
        };
        let dir = tempfile::tempdir().unwrap();
        let err = extract(&gz[..], Compression::Gzip, "", dir.path(), &limits).unwrap_err();
        assert!(
            matches!(err, UntarError::TotalTooLarge { limit } if limit == 1 << 20),
            "{err:?}"
        );
        assert!(!dir.path().join("zeros").exists());
        let per_file = Limits {
            max_file_bytes: 1 << 20,
            ..Limits::default()
        };
        let err = hash_entries(&gz[..], Compression::Gzip, "", &per_file).unwrap_err();
        assert!(
            matches!(err, UntarError::FileTooLarge { ref path, .. } if path == "zeros"),
            "{err:?}"
        );
        let few = Limits {
            max_entries: 1,
            ..Limits::default()
        };
        let err = hash_entries(&gz[..], Compression::Gzip, "", &few).unwrap_err();
        assert!(matches!(err, UntarError::TooManyEntries { limit: 1 }), "{err:?}");
    }

    /// A tar of `comment`'s PAX header, then a file `f`, gzip-compressed.
    fn pax_then_file(comment: &[u8]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        b.append_pax_extensions([("comment", comment)]).unwrap();
        let mut h = tar::Header::new_ustar();
        h.set_path("f").unwrap();
        h.set_size(1);
        h.set_cksum();
        b.append(&h, &b"1"[..]).unwrap();
        let t = b.into_inner().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&t).unwrap();
        gz.finish().unwrap()
    }

    /// A PAX header the tar reader would hold in memory whole (32 MiB of one comment, a few KiB
    /// compressed) is refused from its header, whatever the other limits; a small one reads.
    #[test]
    fn a_header_bomb_is_refused_before_its_data_is_read() {
        let gz = pax_then_file(&vec![b'x'; 32 << 20]);
        for limits in [
            Limits {
                max_entries: 10,
                max_file_bytes: 1 << 20,
                max_total_bytes: 1 << 20,
            },
            Limits::default(),
        ] {
            let err = hash_entries(&gz[..], Compression::Gzip, "", &limits).unwrap_err();
            assert!(matches!(err, UntarError::ExtensionTooLarge { .. }), "{err:?}");
        }
        let small = pax_then_file(&vec![b'x'; 64 << 10]);
        assert_eq!(
            hash_entries(&small[..], Compression::Gzip, "", &Limits::default())
                .unwrap()
                .len(),
            1
        );
    }

    /// The header guard follows a PAX `size` record (how tar writes a file too large for the
    /// header's size field, whose own field then says 0): the headers after that file are still
    /// found, so a header bomb after it is refused too.
    #[test]
    fn a_pax_size_record_moves_the_next_header() {
        let mut t = Vec::new();
        // The file's data opens with what looks like a PAX header of 2 MiB: a guard that did
        // not follow the size record would take it for a header and refuse the archive.
        let mut data = vec![7u8; 3000];
        let mut fake = tar::Header::new_ustar();
        fake.set_entry_type(tar::EntryType::XHeader);
        fake.set_size(2 << 20);
        fake.set_cksum();
        data[..512].copy_from_slice(fake.as_bytes());
        let record = |k: &str, v: &str| {
            let body = format!(" {k}={v}\n");
            let mut len = body.len() + 1;
            while format!("{len}{body}").len() != len {
                len += 1;
            }
            format!("{len}{body}")
        };
        let pax = record("size", "3000");
        entry(
            &mut t,
            b"PaxHeaders/big",
            tar::EntryType::XHeader,
            pax.as_bytes(),
            None,
        );
        entry(&mut t, b"big", tar::EntryType::Regular, b"", None);
        // The data the PAX size promises (the header said 0).
        t.extend_from_slice(&data);
        t.resize(t.len().next_multiple_of(512), 0);
        file(&mut t, "after", b"ok");
        let files = hash(&end(t.clone()), "").unwrap();
        assert_eq!(
            files
                .iter()
                .map(|f| (f.path.as_str(), f.size))
                .collect::<Vec<_>>(),
            [("big", 3000), ("after", 2)]
        );
        let bomb = record("comment", &"x".repeat(2 << 20));
        entry(
            &mut t,
            b"PaxHeaders/f2",
            tar::EntryType::XHeader,
            bomb.as_bytes(),
            None,
        );
        file(&mut t, "f2", b"2");
        let err = hash(&end(t), "").unwrap_err();
        assert!(matches!(err, UntarError::ExtensionTooLarge { .. }), "{err:?}");
    }

    #[test]
    fn zstd_and_gzip_read_as_the_plain_tar() {
        let mut t = Vec::new();
        file(&mut t, "a", b"alpha");
        file(&mut t, "b/c", &vec![7u8; 100_000]);
        let t = end(t);
        let plain = hash(&t, "").unwrap();
        let mut zst = Vec::new();
        ruzstd::encoding::compress(&t[..], &mut zst, ruzstd::encoding::CompressionLevel::Fastest);
        assert_eq!(
            hash_entries(&zst[..], Compression::Zstd, "", &Limits::default()).unwrap(),
            plain
        );
        // Several frames, with a skippable frame between: read to the end, as zstd does.
        let (head, tail) = t.split_at(1024);
        let mut frames = Vec::new();
        ruzstd::encoding::compress(head, &mut frames, ruzstd::encoding::CompressionLevel::Fastest);
        frames.extend_from_slice(&0x184D_2A50u32.to_le_bytes());
        frames.extend_from_slice(&5u32.to_le_bytes());
        frames.extend_from_slice(b"skip!");
        ruzstd::encoding::compress(tail, &mut frames, ruzstd::encoding::CompressionLevel::Fastest);
        assert_eq!(
            hash_entries(&frames[..], Compression::Zstd, "", &Limits::default()).unwrap(),
            plain
        );
        let err = hash_entries(
            &frames[..frames.len() - 3],
            Compression::Zstd,
            "",
            &Limits::default(),
        )
        .unwrap_err();
        assert!(
            matches!(err, UntarError::Corrupt { .. } | UntarError::Truncated { .. }),
            "{err:?}"
        );
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&t).unwrap();
        let gz = gz.finish().unwrap();
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            extract(&gz[..], Compression::Gzip, "", dir.path(), &Limits::default()).unwrap(),
            plain
        );
        assert_eq!(fs_err::read(dir.path().join("b/c")).unwrap(), vec![7u8; 100_000]);
    }

    #[test]
    fn extraction_needs_an_empty_real_directory() {
        let mut t = Vec::new();
        file(&mut t, "a", b"alpha");
        let t = end(t);
        let dir = tempfile::tempdir().unwrap();
        fs_err::write(dir.path().join("x"), b"").unwrap();
        let err = extract(&t[..], Compression::None, "", dir.path(), &Limits::default()).unwrap_err();
        assert!(matches!(err, UntarError::BadDestination { .. }), "{err:?}");
        let real = tempfile::tempdir().unwrap();
        let link = dir.path().join("link");
        fs_err::os::unix::fs::symlink(real.path(), &link).unwrap();
        let err = extract(&t[..], Compression::None, "", &link, &Limits::default()).unwrap_err();
        assert!(matches!(err, UntarError::BadDestination { .. }), "{err:?}");
        let err = extract(
            &t[..],
            Compression::None,
            "",
            &dir.path().join("missing"),
            &Limits::default(),
        )
        .unwrap_err();
        assert!(matches!(err, UntarError::BadDestination { .. }), "{err:?}");
    }

    #[test]
    fn garbage_is_corrupt_and_a_cut_entry_truncated() {
        let mut t = Vec::new();
        file(&mut t, "a", &[1u8; 2000]);
        t.truncate(1200);
        let err = hash(&t, "").unwrap_err();
        assert!(
            matches!(
                err,
                UntarError::Truncated {
                    received: 688,
                    expected: 2000,
                    ..
                }
            ),
            "{err:?}"
        );
        let err = hash_entries(&b"not gzip"[..], Compression::Gzip, "", &Limits::default()).unwrap_err();
        assert!(matches!(err, UntarError::Corrupt { .. }), "{err:?}");
    }
}

//! Small file-system helpers shared by the workflows.

use crate::Error;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// A temporary file in `dir`, to be renamed over a file that is not secret (a signature, a lock
/// file, a cache ref): created with mode 0666 less the umask, as `open(2)` creates any file and as
/// model_signing and huggingface_hub write theirs. (tempfile's own default, 0600, would carry
/// over through the rename and make a public signature unreadable to everyone else.)
fn public_temp_file(dir: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    use std::os::unix::fs::PermissionsExt as _;
    tempfile::Builder::new()
        .prefix(".hubsign-")
        .suffix(".tmp")
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)
}

/// The step of [`write_atomic`] that failed and the path it concerned; each caller turns it into
/// its own error type's `Io` variant.
#[derive(Debug, thiserror::Error)]
#[error("{action} {}", path.display())]
pub struct WriteError {
    pub action: &'static str,
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

impl From<WriteError> for Error {
    fn from(e: WriteError) -> Self {
        Self::Io {
            action: e.action,
            path: e.path,
            source: e.source,
        }
    }
}

/// The one temp → fsync → rename writer: writes `bytes` to `path` through a temporary file in the
/// same directory (mode 0666 less the umask, as `open(2)` creates a file), fsynced, then renamed over
/// the destination. A rename replaces a symlink planted at `path`, it never follows it; readers
/// see the old content or the new, never a part.
///
/// # Errors
/// [`WriteError`] naming the directory (the temporary file cannot be created) or `path`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let failed = |action, path: &Path| {
        let path = path.to_path_buf();
        move |source| WriteError { action, path, source }
    };
    let mut tmp = public_temp_file(dir).map_err(failed("cannot write in", dir))?;
    tmp.write_all(bytes).map_err(failed("cannot write", path))?;
    tmp.as_file().sync_all().map_err(failed("cannot sync", path))?;
    tmp.persist(path)
        .map_err(|e| failed("cannot rename into", path)(e.error))?;
    Ok(())
}

/// Where `path` leads once its links are followed, if that is inside `root` (itself resolved):
/// a cache's snapshot links must never lead out of the repository's folder.
pub fn resolve_inside(path: &Path, root: &Path) -> Option<std::path::PathBuf> {
    let root = fs_err::canonicalize(root).ok()?;
    fs_err::canonicalize(path).ok().filter(|p| p.starts_with(&root))
}

/// Signature files larger than this are refused (a real one is a few KiB to a few MiB).
pub const MAX_SIGNATURE_BYTES: u64 = 64 << 20;

/// Small files the user names or plants beside a project (the lock file, keys, certificates,
/// policies, tokens, passwords, PINs) larger than this are refused: a real one is a few KiB.
pub const MAX_SMALL_FILE_BYTES: u64 = 16 << 20;

/// Reads a regular file of at most `cap` bytes. It is opened non-blocking (a FIFO planted in its
/// place cannot hang the reader), its type and size are checked on the open handle, and the
/// read is capped (a file swapped or grown meanwhile cannot make it unbounded).
///
/// # Errors
/// The open error (`NotFound` when there is none), or `InvalidData` for something that is not
/// a regular file or is larger than `cap`.
pub fn read_regular_capped(path: &Path, cap: u64) -> std::io::Result<Vec<u8>> {
    use fs_err::os::unix::fs::OpenOptionsExt as _;
    use std::io::Read as _;
    let nonblock = i32::try_from(rustix::fs::OFlags::NONBLOCK.bits()).unwrap_or(0);
    let file = fs_err::OpenOptions::new()
        .read(true)
        .custom_flags(nonblock)
        .open(path)?;
    let meta = file.metadata()?;
    let invalid = |what: String| std::io::Error::new(std::io::ErrorKind::InvalidData, what);
    if !meta.is_file() {
        return Err(invalid("not a regular file".to_owned()));
    }
    if meta.len() > cap {
        return Err(invalid(format!(
            "{} bytes, more than the {cap} allowed",
            meta.len()
        )));
    }
    let mut bytes = Vec::new();
    file.take(cap + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(invalid(format!("grew past the {cap} bytes allowed while read")));
    }
    Ok(bytes)
}

/// `(year, month, day, hour, minute, second)` in UTC, for names and records of files (a time
/// before 1970 or after 9999 counts as 1970-01-01), through the calendar the certificate
/// checks already use (`der::DateTime`).
pub fn utc_fields(now: std::time::SystemTime) -> (u16, u8, u8, u8, u8, u8) {
    der::DateTime::from_system_time(now).map_or((1970, 1, 1, 0, 0, 0), |t| {
        (t.year(), t.month(), t.day(), t.hour(), t.minutes(), t.seconds())
    })
}

/// `path` with its longest existing prefix resolved (links followed, as `canonicalize` does)
/// and the rest, not created yet, as named: where a folder to be made will really be.
#[must_use]
pub fn nearest_canonical(path: &Path) -> std::path::PathBuf {
    let mut rest = Vec::new();
    let mut existing = path;
    loop {
        if let Ok(real) = fs_err::canonicalize(existing) {
            return rest.iter().rev().fold(real, |p, name| p.join(name));
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => return path.to_path_buf(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::write_atomic;

    #[test]
    fn write_atomic_replaces_a_planted_symlink_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside");
        fs_err::write(&outside, b"keep").unwrap();
        let path = dir.path().join("model.sig");
        fs_err::os::unix::fs::symlink(&outside, &path).unwrap();

        write_atomic(&path, b"new").unwrap();

        assert_eq!(fs_err::read(&outside).unwrap(), b"keep");
        assert!(!fs_err::symlink_metadata(&path).unwrap().file_type().is_symlink());
        assert_eq!(fs_err::read(&path).unwrap(), b"new");
        let names: Vec<_> = fs_err::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[test]
    fn write_atomic_names_the_directory_it_cannot_write_in() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing");
        let err = write_atomic(&missing.join("f"), b"x").unwrap_err();
        assert_eq!((err.action, err.path), ("cannot write in", missing));
    }

    /// The open goes through `fs_err`: the error names the file (a bare `std::fs` error says
    /// only "No such file or directory") and keeps its kind, which callers match on.
    #[test]
    fn read_regular_capped_errors_name_the_path_and_keep_their_kind() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no-such.toml");
        let err = super::read_regular_capped(&missing, 16).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
        assert!(err.to_string().contains(&missing.display().to_string()), "{err}");
    }
}

//! Progress reporting as a trait of the core: numeric file ids, calls that must not block.
//! The CLI draws bars; tests and library users pass [`NoProgress`].

pub trait Progress: Send + Sync {
    /// The work ahead: files and bytes to transfer.
    fn start(&self, _files: usize, _bytes: u64) {}
    fn file_started(&self, _id: usize, _path: &str, _size: u64) {}
    /// `n` more bytes of file `id` arrived (or were re-read from the cache).
    fn bytes(&self, _id: usize, _n: u64) {}
    /// A transfer restarts from byte `offset` after a dropped connection.
    fn resumed(&self, _id: usize, _offset: u64) {}
    fn file_finished(&self, _id: usize) {}
    /// The bytes of `path` (a signed file, or the verified signature itself) hashed to what
    /// the signature signs for it and are at `disk` (staged or in the cache): they may be read
    /// from there, as long as the file there is still `disk`, before the pull commits (the
    /// mirror serves them at once). Called once per file, never for bytes that did not verify.
    fn file_verified(&self, _path: &str, _disk: &crate::cache::DiskId) {}
    fn finish(&self) {}
}

/// Reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}

//! Step 4 of a pull for one file, as layered readers around one byte stream rather than a
//! hand-scheduled pipeline:
//!
//! - [`Resumable`] yields the file's bytes from where the kept part ends (what an interrupted
//!   pull left in staging, or nothing); after a failed request (a dropped or stalled
//!   connection, a 429/5xx) it reopens at the offset reached (`Range`), never asks twice for a
//!   byte, and refuses a body longer than the listing says. It is the file's one retry loop
//!   (the hub's `open` makes one attempt), so a file costs at most `attempts` requests.
//! - [`Hashes`] computes, from the same bytes, the manifest digest and the content identity the
//!   hub listed ([`ContentId`]), and checks the latter at the end.
//! - [`HashingWriter`] first re-hashes the kept part from disk (the same bytes, so a resumed
//!   file is hashed exactly as a fresh one), then hashes and writes each 1 MiB block on a
//!   blocking thread, one block in flight while the next one arrives; a large file is flushed
//!   once it is written and reported verified ([`flush_large`]: a full disk shows up there,
//!   before anything is committed), the others by the staging's one flush.

use crate::cache::DiskId;
use crate::hub::retry::RetryBudget;
use crate::hub::{ByteStream, ContentId, Hub, HubError, RemoteFile};
use crate::manifest::{HashAlgorithm, ResourceDigest, Serialization, SerializationConfig, StreamHasher};
use crate::progress::Progress;
use crate::reference::ModelRef;
use crate::{Error, Result};
use bytes::Bytes;
use sha1::Digest as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Bytes handed to the hashing/writing thread at a time.
const BLOCK: usize = 1 << 20;

/// Files at least this large are flushed to disk as soon as they are written and reported
/// verified ([`flush_large`], overlapping with the other transfers); smaller ones are flushed together by one `syncfs` of the staging
/// area before the commit ([`crate::cache::Staging::flush`]) — a per-file `fdatasync` of
/// 10,000 small files is a journal commit each.
pub const SYNC_EACH_AT: u64 = 1 << 20;

/// A file's bytes from the hub, resumed after dropped connections.
pub struct Resumable<'a, H: Hub> {
    hub: &'a H,
    repo: &'a ModelRef,
    commit: &'a str,
    file: &'a RemoteFile,
    id: usize,
    progress: &'a dyn Progress,
    offset: u64,
    stream: Option<ByteStream>,
    /// The file's one retry budget (the hub's policy): credit for progress, `Retry-After`.
    budget: RetryBudget,
}

impl<'a, H: Hub> Resumable<'a, H> {
    pub fn new(
        hub: &'a H,
        repo: &'a ModelRef,
        commit: &'a str,
        file: &'a RemoteFile,
        id: usize,
        progress: &'a dyn Progress,
    ) -> Self {
        Self {
            hub,
            repo,
            commit,
            file,
            id,
            progress,
            offset: 0,
            stream: None,
            budget: hub.retry().budget(0),
        }
    }

    /// The same stream from byte `offset` on (the bytes before it are already kept).
    #[must_use]
    pub fn starting_at(mut self, offset: u64) -> Self {
        self.offset = offset;
        self.budget = self.hub.retry().budget(offset);
        self
    }

    /// The next chunk, or `None` once the listed size has arrived (and the body ended there).
    pub async fn next(&mut self) -> Result<Option<Bytes>> {
        loop {
            if self.stream.is_none() && self.offset >= self.file.size {
                return Ok(None);
            }
            let cause = if let Some(stream) = self.stream.as_mut() {
                match stream.next_chunk().await {
                    Some(Ok(chunk)) if chunk.is_empty() => continue,
                    Some(Ok(chunk)) => {
                        if self.offset + chunk.len() as u64 > self.file.size {
                            return Err(HubError::Malformed {
                                url: stream.url().to_owned(),
                                detail: format!(
                                    "{} is longer than the {} bytes listed",
                                    self.file.path, self.file.size
                                ),
                            }
                            .into());
                        }
                        self.offset += chunk.len() as u64;
                        return Ok(Some(chunk));
                    }
                    None if self.offset >= self.file.size => {
                        self.stream = None;
                        return Ok(None);
                    }
                    Some(Err(e)) if self.offset >= self.file.size => {
                        // Everything arrived; a connection closed uncleanly after it is no loss.
                        let _ = e;
                        self.stream = None;
                        return Ok(None);
                    }
                    Some(Err(e)) => e,
                    None => HubError::Truncated {
                        path: self.file.path.clone(),
                        received: self.offset,
                        expected: self.file.size,
                    },
                }
            } else {
                match self
                    .hub
                    .open(self.repo, self.commit, &self.file.path, self.offset)
                    .await
                {
                    Ok(stream) => {
                        if self.offset > 0 {
                            // Only the bytes asked for, of the file listed, are appended.
                            stream.check_range(self.offset, self.file.size)?;
                            self.progress.resumed(self.id, self.offset);
                        }
                        self.stream = Some(stream);
                        continue;
                    }
                    Err(e) if e.is_transient() => e,
                    // Resuming after a body that ended early, the hub has nothing past it: the
                    // file is shorter than listed (say, a registry layer smaller than its
                    // manifest's size). Said of the file, not as a bare "416".
                    Err(HubError::Status { status: 416, .. }) if self.offset > 0 => {
                        return Err(HubError::Truncated {
                            path: self.file.path.clone(),
                            received: self.offset,
                            expected: self.file.size,
                        }
                        .into());
                    }
                    Err(e) => return Err(e.into()),
                }
            };
            self.stream = None;
            // Failures without real progress count (see `RetryPolicy::progress_credit`), and a
            // hub's `Retry-After` (a 429 from `open`) sets the wait.
            let Some(wait) = self.budget.failed(self.offset, cause.retry_after()) else {
                return Err(HubError::RetriesExhausted {
                    path: self.file.path.clone(),
                    attempts: self.budget.failures(),
                    source: Box::new(cause),
                }
                .into());
            };
            tokio::time::sleep(wait).await;
        }
    }
}

/// Everything computed from a file's bytes: the manifest resources, and the content identity
/// the hub listed (checked so blobs are cached under names that match their bytes).
pub struct Hashes {
    path: String,
    size: u64,
    expected: ContentId,
    manifest: StreamHasher,
    /// SHA-256 of the content when the manifest hash is not already it.
    sha256: Option<sha2::Sha256>,
    /// Git blob SHA-1 (`blob <len>\0` + content).
    sha1: Option<sha1::Sha1>,
    manifest_is_sha256: bool,
}

impl Hashes {
    pub fn new(file: &RemoteFile, ser: &SerializationConfig) -> Self {
        let manifest_is_sha256 = ser.method == Serialization::Files && ser.hash == HashAlgorithm::Sha256;
        let sha1 = matches!(file.content, ContentId::GitBlobSha1(_)).then(|| {
            let mut h = sha1::Sha1::new();
            h.update(format!("blob {}\0", file.size).as_bytes());
            h
        });
        Self {
            path: file.path.clone(),
            size: file.size,
            expected: file.content.clone(),
            manifest: StreamHasher::new(&file.path, file.size, ser.method, ser.hash),
            sha256: (matches!(file.content, ContentId::Sha256(_)) && !manifest_is_sha256)
                .then(sha2::Sha256::new),
            sha1,
            manifest_is_sha256,
        }
    }

    pub fn update(&mut self, block: &[u8]) {
        self.manifest.update(block);
        if let Some(h) = &mut self.sha256 {
            h.update(block);
        }
        if let Some(h) = &mut self.sha1 {
            h.update(block);
        }
    }

    /// The manifest resources, once every byte arrived and the content identity matched.
    pub fn finish(self) -> Result<Vec<ResourceDigest>> {
        let received = self.manifest.offset();
        let resources = self.manifest.finish().ok_or_else(|| HubError::Truncated {
            path: self.path.clone(),
            received,
            expected: self.size,
        })?;
        let (algorithm, expected, actual) = match &self.expected {
            ContentId::SizeOnly => return Ok(resources),
            ContentId::Sha256(want) => {
                let got = match self.sha256 {
                    Some(h) => hex::encode(h.finalize()),
                    // files/sha256 manifest: its digest already is the content SHA-256.
                    None if self.manifest_is_sha256 => resources
                        .first()
                        .map(|r| hex::encode(&r.digest))
                        .unwrap_or_default(),
                    None => String::new(),
                };
                ("sha256", want, got)
            }
            ContentId::GitBlobSha1(want) => (
                "git blob sha1",
                want,
                self.sha1.map(|h| hex::encode(h.finalize())).unwrap_or_default(),
            ),
        };
        if &actual == expected {
            return Ok(resources);
        }
        Err(Error::ContentMismatch {
            path: self.path,
            algorithm,
            expected: expected.clone(),
            actual,
        })
    }
}

/// One block's work, done on a blocking thread: hash it, write it.
type Absorbed = (Hashes, std::fs::File, Vec<u8>, std::io::Result<()>);

/// Hashes and writes blocks on a blocking thread, one in flight at a time.
pub struct HashingWriter {
    resting: Option<(Hashes, std::fs::File)>,
    pending: Option<tokio::task::JoinHandle<Absorbed>>,
    out_path: PathBuf,
    spare: Option<Vec<u8>>,
}

fn worker_failed(path: &Path, source: tokio::task::JoinError) -> Error {
    Error::Worker {
        path: path.to_path_buf(),
        source,
    }
}

impl HashingWriter {
    /// Writes into `out_path`, keeping what a pull interrupted earlier wrote there: that prefix
    /// is re-hashed from disk (streaming; hash state is never saved, so nothing but the bytes
    /// is trusted) and writing continues after it. A file longer than `size` is not this
    /// download's: it starts again from the first byte. Returns the writer and the bytes kept.
    pub async fn open(mut hashes: Hashes, out_path: PathBuf, size: u64) -> Result<(Self, u64)> {
        let path = out_path.clone();
        let opened = tokio::task::spawn_blocking(move || {
            use std::io::{Read as _, Seek as _};
            let io_error = |action: &'static str| {
                let path = path.clone();
                move |source| Error::Io { action, path, source }
            };
            // Never through a symlink, never blocking on a FIFO, and only a kept file of this
            // user's with no other link (anything else is removed and the file made afresh).
            let mut out = crate::cache::open_staging_file(&path).map_err(io_error("cannot create"))?;
            let len = out.metadata().map_err(io_error("cannot stat"))?.len();
            let mut kept = 0;
            // A fresh file (the common case) has nothing to re-hash: no buffer for it.
            if len > 0 && len <= size {
                let mut buf = vec![0u8; usize::try_from(len).map_or(BLOCK, |l| l.min(BLOCK))];
                loop {
                    let n = out.read(&mut buf).map_err(io_error("cannot read"))?;
                    if n == 0 {
                        break;
                    }
                    let n = n.min(usize::try_from(len - kept).unwrap_or(usize::MAX));
                    hashes.update(&buf[..n]);
                    kept += n as u64;
                    if kept >= len {
                        break;
                    }
                }
            }
            if kept != len {
                out.set_len(kept).map_err(io_error("cannot truncate"))?;
            }
            out.seek(std::io::SeekFrom::Start(kept))
                .map_err(io_error("cannot seek"))?;
            Ok::<_, Error>((hashes, out, kept))
        })
        .await
        .map_err(|e| worker_failed(&out_path, e))??;
        let (hashes, out, kept) = opened;
        Ok((
            Self {
                resting: Some((hashes, out)),
                pending: None,
                out_path,
                spare: None,
            },
            kept,
        ))
    }

    /// Waits for the block in flight; returns the state it hands back.
    async fn settle(&mut self) -> Result<()> {
        if let Some(task) = self.pending.take() {
            let (hashes, out, block, written) = task.await.map_err(|e| worker_failed(&self.out_path, e))?;
            written.map_err(|source| Error::Io {
                action: "cannot write",
                path: self.out_path.clone(),
                source,
            })?;
            self.resting = Some((hashes, out));
            self.spare = Some(block);
        }
        Ok(())
    }

    /// A block buffer to fill (the one handed back by the last write, emptied).
    pub fn buffer(&mut self) -> Vec<u8> {
        match self.spare.take() {
            Some(mut v) => {
                v.clear();
                v
            }
            None => Vec::with_capacity(BLOCK),
        }
    }

    /// Hands `block` to the blocking thread (after the previous block is done).
    pub async fn write(&mut self, block: Vec<u8>) -> Result<()> {
        self.settle().await?;
        let Some((mut hashes, mut out)) = self.resting.take() else {
            return Ok(());
        };
        self.pending = Some(tokio::task::spawn_blocking(move || {
            hashes.update(&block);
            let written = out.write_all(&block);
            (hashes, out, block, written)
        }));
        Ok(())
    }

    /// Flushes the file to disk (when `flush`; else the staging's flush does it) and returns the
    /// manifest resources (content identity checked) and the identity of the file written,
    /// from its handle once the last byte is written (commit requires that very file).
    pub async fn finish(mut self, flush: bool) -> Result<(Vec<ResourceDigest>, DiskId)> {
        self.settle().await?;
        let Some((hashes, out)) = self.resting.take() else {
            return Err(HubError::Truncated {
                path: self.out_path.display().to_string(),
                received: 0,
                expected: 0,
            }
            .into());
        };
        let path = self.out_path.clone();
        tokio::task::spawn_blocking(move || {
            if flush {
                out.sync_data().map_err(|source| Error::Io {
                    action: "cannot write",
                    path: path.clone(),
                    source,
                })?;
            }
            let m = out.metadata().map_err(|source| Error::Io {
                action: "cannot stat",
                path: path.clone(),
                source,
            })?;
            Ok((hashes.finish()?, DiskId::of(path, &m)))
        })
        .await
        .map_err(|e| worker_failed(&self.out_path, e))?
    }
}

/// What step 4 made of one file.
pub struct Downloaded {
    pub resources: Vec<ResourceDigest>,
    /// The staged file written, as hashed.
    pub disk: DiskId,
    /// Bytes requested from the hub (the rest was kept from an interrupted pull).
    pub fetched: u64,
}

/// Step 4 for one file: [`Resumable`] → 1 MiB blocks → [`HashingWriter`] into `out_path`.
///
/// `out_path` may hold a prefix of this file that an interrupted pull wrote (a kept partial
/// download): it is re-hashed and the transfer resumes after it. If the whole file then does
/// not match the hub's listing, the kept prefix was not this file's (or if the server does not
/// answer the range asked for, it cannot be resumed): the file is fetched again from its first
/// byte, once. A file whose bytes do not match is never left to be resumed.
#[expect(
    clippy::too_many_arguments,
    reason = "one call site; a struct would only rename them"
)]
pub async fn download<H: Hub>(
    hub: &H,
    repo: &ModelRef,
    commit: &str,
    file: &RemoteFile,
    ser: &SerializationConfig,
    out_path: PathBuf,
    id: usize,
    progress: &dyn Progress,
) -> Result<Downloaded> {
    progress.file_started(id, &file.path, file.size);
    let (writer, kept) = HashingWriter::open(Hashes::new(file, ser), out_path.clone(), file.size).await?;
    progress.bytes(id, kept);
    let source = Resumable::new(hub, repo, commit, file, id, progress).starting_at(kept);
    let mut result = stream_into(source, writer, id, progress)
        .await
        .map(|(resources, disk)| Downloaded {
            resources,
            disk,
            fetched: file.size - kept,
        });
    // What was kept is not this file's bytes, or the server does not resume from it.
    let restart = matches!(
        result,
        Err(Error::ContentMismatch { .. } | Error::Hub(HubError::RangeIgnored { .. }))
    );
    if kept > 0 && restart {
        let _ = fs_err::remove_file(&out_path);
        let (writer, _) = HashingWriter::open(Hashes::new(file, ser), out_path.clone(), file.size).await?;
        progress.resumed(id, 0);
        let source = Resumable::new(hub, repo, commit, file, id, progress);
        result = stream_into(source, writer, id, progress)
            .await
            .map(|(resources, disk)| Downloaded {
                resources,
                disk,
                fetched: file.size,
            });
    }
    if matches!(result, Err(Error::ContentMismatch { .. })) {
        let _ = fs_err::remove_file(&out_path);
    }
    let done = result?;
    progress.file_finished(id);
    Ok(done)
}

/// The bytes `source` still has to deliver, in 1 MiB blocks, into `writer`.
async fn stream_into<H: Hub>(
    mut source: Resumable<'_, H>,
    mut writer: HashingWriter,
    id: usize,
    progress: &dyn Progress,
) -> Result<(Vec<ResourceDigest>, DiskId)> {
    let mut block = writer.buffer();
    while let Some(chunk) = source.next().await? {
        progress.bytes(id, chunk.len() as u64);
        block.extend_from_slice(&chunk);
        if block.len() >= BLOCK {
            writer.write(block).await?;
            block = writer.buffer();
        }
    }
    if !block.is_empty() {
        writer.write(block).await?;
    }
    // Flushed by the caller once the file is reported verified ([`flush_large`]).
    writer.finish(false).await
}

/// Flushes a downloaded file of at least [`SYNC_EACH_AT`] bytes to disk (overlapping with the
/// other transfers); smaller ones are flushed together before the commit. Called once the file
/// is reported verified, so a reader of the verified bytes (the mirror) does not wait for it.
pub async fn flush_large(disk: &DiskId) -> Result<()> {
    if disk.len < SYNC_EACH_AT {
        return Ok(());
    }
    let path = disk.path.clone();
    tokio::task::spawn_blocking(move || {
        crate::cache::open_nofollow(&path)
            .and_then(|f| f.sync_data())
            .map_err(|source| Error::Io {
                action: "cannot write",
                path,
                source,
            })
    })
    .await
    .map_err(|e| worker_failed(&disk.path, e))?
}

/// Opens a file for reading without following a symlink at its last component, and only if
/// it is a regular file (checked on the open descriptor, so it cannot be swapped in between).
fn open_regular(path: &Path) -> Option<std::fs::File> {
    use fs_err::os::unix::fs::OpenOptionsExt as _;
    let f = fs_err::OpenOptions::new()
        .read(true)
        .custom_flags(i32::try_from(rustix::fs::OFlags::NOFOLLOW.bits()).ok()?)
        .open(path)
        .ok()?
        .into_file();
    f.metadata().ok()?.file_type().is_file().then_some(f)
}

/// Re-hashes a cached copy; `Some(resources, identity)` if it is exactly the listed file. The
/// identity is the hashed handle's, taken when hashing ends and required to be the one it had
/// when hashing began (a file written meanwhile is not reused). With `copy_to`, the very bytes
/// hashed are also written there (a `--local-dir` pull copies them into staging while hashing,
/// so what is placed is what was verified, whatever happens to the cache later); the copy's
/// identity is returned too.
pub async fn rehash(
    path: PathBuf,
    file: &RemoteFile,
    ser: &SerializationConfig,
    copy_to: Option<PathBuf>,
) -> Option<(Vec<ResourceDigest>, DiskId, Option<DiskId>)> {
    let mut hashes = Hashes::new(file, ser);
    let flush = file.size >= SYNC_EACH_AT;
    tokio::task::spawn_blocking(move || {
        let mut f = open_regular(&path)?;
        let before = DiskId::of(path.clone(), &f.metadata().ok()?);
        // Never through a symlink or into a FIFO planted at the copy's name.
        let mut out = match &copy_to {
            Some(p) => {
                let o = crate::cache::open_staging_file(p).ok()?;
                o.set_len(0).ok()?;
                Some(o)
            }
            None => None,
        };
        let mut buf = vec![0u8; 128 << 10];
        loop {
            let n = std::io::Read::read(&mut f, &mut buf).ok()?;
            if n == 0 {
                break;
            }
            hashes.update(&buf[..n]);
            if let Some(o) = &mut out {
                o.write_all(&buf[..n]).ok()?;
            }
        }
        if let (Some(o), true) = (&out, flush) {
            o.sync_data().ok()?;
        }
        let resources = hashes.finish().ok()?;
        let copied = match (&out, copy_to) {
            (Some(o), Some(p)) => Some(DiskId::of(p, &o.metadata().ok()?)),
            _ => None,
        };
        before
            .matches(&f.metadata().ok()?)
            .then_some((resources, before, copied))
    })
    .await
    .ok()
    .flatten()
}

/// A small file (the signature) read whole through [`Resumable`] (the same retry loop, never
/// more than its listed size), its content identity checked.
pub async fn fetch_small<H: Hub>(
    hub: &H,
    repo: &ModelRef,
    commit: &str,
    file: &RemoteFile,
) -> Result<Vec<u8>> {
    let progress = crate::progress::NoProgress;
    let mut source = Resumable::new(hub, repo, commit, file, 0, &progress);
    let mut bytes = Vec::with_capacity(usize::try_from(file.size).unwrap_or(0));
    while let Some(chunk) = source.next().await? {
        bytes.extend_from_slice(&chunk);
    }
    let ser = SerializationConfig {
        method: Serialization::Files,
        hash: HashAlgorithm::Sha256,
        symlinks: crate::manifest::Symlinks::Refuse,
        ignore_paths: Vec::new(),
    };
    let mut hashes = Hashes::new(file, &ser);
    hashes.update(&bytes);
    hashes.finish()?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::download;
    use crate::hub::Hub as _;
    use crate::hub::fake::{Fault, Fixture, model_files};
    use crate::manifest::{HashAlgorithm, Serialization, SerializationConfig, Symlinks};
    use crate::progress::NoProgress;

    const WEIGHTS: &str = "model.safetensors";
    const KEPT: usize = 80_000;

    /// What a staging path holds before the download, as an interrupted pull leaves it.
    #[derive(Clone, Copy)]
    enum Kept {
        /// The weights' first `KEPT` bytes.
        Prefix,
        /// `KEPT` bytes that are not the weights' (their first byte flipped).
        Wrong,
    }

    /// Downloads the weights into a staging path that holds `kept`; returns the fixture, the
    /// bytes requested and the staged file's length (its bytes are checked to be the weights).
    async fn resume(kept: Kept, fault: Option<Fault>) -> (Fixture, u64, usize) {
        let fx = Fixture::new(&model_files());
        let file = fx
            .hub
            .list(&fx.repo, &fx.commit)
            .await
            .unwrap()
            .into_iter()
            .find(|f| f.path == WEIGHTS)
            .unwrap();
        let weights = fx.published()[WEIGHTS].clone();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("kept.part");
        let mut prefix = weights[..KEPT].to_vec();
        if let Kept::Wrong = kept {
            prefix[0] ^= 0xff;
        }
        fs_err::write(&out, &prefix).unwrap();
        if let Some(fault) = fault {
            fx.hub.fault(WEIGHTS, fault);
        }
        let ser = SerializationConfig {
            method: Serialization::Files,
            hash: HashAlgorithm::Sha256,
            symlinks: Symlinks::Refuse,
            ignore_paths: Vec::new(),
        };
        let got = download(
            fx.hub.as_ref(),
            &fx.repo,
            &fx.commit,
            &file,
            &ser,
            out.clone(),
            0,
            &NoProgress,
        )
        .await
        .unwrap();
        assert_eq!(got.resources.len(), 1);
        assert_eq!(fs_err::read(&out).unwrap(), weights);
        (fx, got.fetched, weights.len())
    }

    #[tokio::test]
    async fn a_kept_partial_download_is_rehashed_and_resumed_from_its_length() {
        let (fx, fetched, len) = resume(Kept::Prefix, None).await;
        assert_eq!(fx.hub.froms(WEIGHTS), [KEPT as u64]);
        assert_eq!(fetched, (len - KEPT) as u64);
    }

    #[tokio::test]
    async fn a_hub_that_ignores_range_costs_one_full_fetch() {
        let (fx, fetched, len) = resume(Kept::Prefix, Some(Fault::IgnoreRange)).await;
        // The ranged request is answered whole and refused; one fetch from the first byte.
        assert_eq!(fx.hub.froms(WEIGHTS), [KEPT as u64, 0]);
        assert_eq!(fetched, len as u64);
    }

    #[tokio::test]
    async fn a_kept_prefix_that_is_not_the_files_is_fetched_again_whole() {
        let (fx, fetched, len) = resume(Kept::Wrong, None).await;
        assert_eq!(fx.hub.froms(WEIGHTS), [KEPT as u64, 0]);
        assert_eq!(fetched, len as u64);
    }
}

//! Step 4 of a pull, for the whole file set: one [`Job`] per file, each ending in a [`Placed`]
//! that says what happened to it, run by one scheduler whose stream limit depends on file size.
//!
//! Small files are latency-bound (a round trip each, a few KiB of body), large ones
//! bandwidth-bound: the scheduler lets [`SMALL_PER_SLOT`] small files share each of the
//! `concurrency` slots a large file takes whole, so a far hub serving thousands of small files
//! is asked many at a time while large files keep the limit they had. Nothing here touches the
//! cache beyond reading a blob to re-verify it; what is placed is staged by the caller.

use super::transfer;
use crate::cache::{CacheLayout, CachedFile, DiskId, Source};
use crate::hub::{Hub, RemoteFile};
use crate::manifest::{ResourceDigest, SerializationConfig};
use crate::progress::Progress;
use crate::reference::ModelRef;
use crate::verify::SignedDigests;
use crate::{Error, Result};
use futures_util::StreamExt as _;
use std::path::PathBuf;
use std::sync::Arc;

/// Files smaller than this are latency-bound: they share a transfer slot (see the module docs).
pub const SMALL_FILE: u64 = 1 << 20;

/// Small-file streams per large-file slot: 8 slots (the default `--concurrency`) give up to
/// 32 small files in flight.
pub const SMALL_PER_SLOT: u32 = 4;

/// Why a file is in the pull.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted {
    /// Asked for: downloaded unless a cached copy re-verifies.
    Asked,
    /// Not asked for, but an earlier partial pull placed it in this commit's snapshot: kept if
    /// its cached copy still verifies, else dropped from the snapshot (never downloaded).
    Carried,
}

/// One file to place, with the staging path its bytes go to.
#[derive(Debug)]
pub struct Job {
    /// The progress id.
    pub id: usize,
    pub file: RemoteFile,
    /// Where its bytes are staged: a path named by its content (a kept partial download an
    /// interrupted pull left is resumed from there), or a fresh one.
    pub out: PathBuf,
    pub wanted: Wanted,
}

/// What a [`Job`] did.
#[derive(Debug)]
pub enum Placed {
    /// Fetched from the hub into staging (`fetched` bytes requested; the rest was kept from an
    /// interrupted pull), hashed on the way.
    Downloaded {
        file: RemoteFile,
        disk: DiskId,
        resources: Vec<ResourceDigest>,
        fetched: u64,
    },
    /// A copy in the cache re-hashed to exactly the listed file (and, where the destination
    /// needs it, copied into staging from the handle that was hashed).
    Reused {
        file: RemoteFile,
        source: Source,
        resources: Vec<ResourceDigest>,
    },
    /// A [`Wanted::Carried`] file whose cached copy no longer verifies: it leaves the snapshot.
    Dropped { path: String },
}

/// What every job of one pull shares.
pub struct Context<'a, H, C> {
    pub hub: &'a H,
    pub cache: &'a C,
    pub repo: &'a ModelRef,
    pub commit: &'a str,
    pub ser: &'a SerializationConfig,
    pub progress: Arc<dyn Progress>,
    /// What the verified signature signs for each file: a file whose own bytes match is
    /// reported verified at once ([`Progress::file_verified`]), before the whole pull is.
    pub signed: &'a SignedDigests,
    pub flush: super::Flush,
    /// Reused bytes are copied into staging while re-hashing (a `--local-dir` pull, or a cache
    /// that needs its own copy).
    pub copy_reused: bool,
}

/// How a cache records a listed file.
pub fn cached(f: &RemoteFile) -> CachedFile {
    CachedFile {
        path: f.path.clone(),
        size: f.size,
        content: f.content_hex().map(str::to_owned),
        git_oid: f.git_oid.clone(),
        lfs: matches!(f.content, crate::hub::ContentId::Sha256(_)),
    }
}

impl Job {
    /// Step 4 for one file: re-verify a cached copy if there is one, else download.
    async fn place<H: Hub, C: CacheLayout>(self, cx: &Context<'_, H, C>) -> Result<Placed> {
        let Self {
            id,
            file,
            out,
            wanted,
        } = self;
        // Only a regular file inside the cache is re-hashed and reused; a symlinked blob (its
        // target could change later) is downloaded again and replaced at commit.
        if let Some(path) = cx.cache.reusable(cx.repo, cx.commit, &cached(&file)) {
            let copy_to = cx.copy_reused.then(|| out.clone());
            match transfer::rehash(path, &file, cx.ser, copy_to).await {
                Some((resources, disk, copied)) => {
                    if wanted == Wanted::Asked {
                        cx.progress.file_started(id, &file.path, file.size);
                        cx.progress.bytes(id, file.size);
                        cx.progress.file_finished(id);
                    }
                    let source = copied.map_or(Source::Cached(disk), Source::Staged);
                    // Its own bytes match what the signature signs for it: authentic whatever
                    // the other files turn out to be (the whole manifest is still proven before
                    // anything is committed, step 5).
                    let (Source::Staged(at) | Source::Cached(at)) = &source;
                    if cx.signed.signs(&file.path, &resources) {
                        cx.progress.file_verified(&file.path, at);
                    }
                    return Ok(Placed::Reused {
                        file,
                        source,
                        resources,
                    });
                }
                // Not a kept partial download: what was copied must not be resumed.
                None if cx.copy_reused => {
                    let _ = fs_err::remove_file(&out);
                }
                None => {}
            }
        }
        if wanted == Wanted::Carried {
            return Ok(Placed::Dropped { path: file.path });
        }
        let got = transfer::download(
            cx.hub,
            cx.repo,
            cx.commit,
            &file,
            cx.ser,
            out,
            id,
            cx.progress.as_ref(),
        )
        .await?;
        // Reported before it is flushed to disk: the staged file may be read (it is checked to
        // be the file hashed) while the flush a commit needs runs.
        if cx.signed.signs(&file.path, &got.resources) {
            cx.progress.file_verified(&file.path, &got.disk);
        }
        if cx.flush == super::Flush::EachLargeFile {
            transfer::flush_large(&got.disk).await?;
        }
        Ok(Placed::Downloaded {
            file,
            disk: got.disk,
            resources: got.resources,
            fetched: got.fetched,
        })
    }

    /// The slots this job holds while it runs (see [`SMALL_PER_SLOT`]); a serial pull
    /// (`concurrency` 1) places one file at a time, whatever its size.
    fn weight(&self, concurrency: usize) -> u32 {
        if self.file.size < SMALL_FILE && concurrency > 1 {
            1
        } else {
            SMALL_PER_SLOT
        }
    }
}

/// Runs `jobs` with at most `concurrency` large files (or `SMALL_PER_SLOT` times as many small
/// ones; with `concurrency` 1, one file at all) in flight; yields each [`Placed`] as it finishes, in any order. The first error is
/// the caller's to act on (dropping the stream cancels the rest).
pub fn run<'a, H: Hub, C: CacheLayout>(
    cx: &'a Context<'a, H, C>,
    jobs: Vec<Job>,
    concurrency: usize,
) -> impl futures_util::Stream<Item = Result<Placed, Error>> + 'a {
    let slots = u32::try_from(concurrency)
        .unwrap_or(u32::MAX)
        .clamp(1, 1024)
        .saturating_mul(SMALL_PER_SLOT);
    let gate = Arc::new(tokio::sync::Semaphore::new(slots as usize));
    futures_util::stream::iter(jobs)
        .map(move |job| {
            let gate = Arc::clone(&gate);
            async move {
                // Never closed, so always granted; a large file waits for a whole slot.
                let _slot = gate.acquire_many_owned(job.weight(concurrency)).await.ok();
                job.place(cx).await
            }
        })
        .buffer_unordered(slots as usize)
}

#[cfg(test)]
mod tests {
    use super::{Job, SMALL_FILE, SMALL_PER_SLOT, Wanted};
    use crate::hub::{ContentId, RemoteFile};

    fn job(size: u64) -> Job {
        Job {
            id: 0,
            file: RemoteFile {
                path: "f".into(),
                size,
                content: ContentId::SizeOnly,
                git_oid: None,
            },
            out: "f.part".into(),
            wanted: Wanted::Asked,
        }
    }

    #[test]
    fn small_files_share_a_slot_large_ones_take_it_whole() {
        // 8 slots: 32 small files in flight, or 8 large ones.
        assert_eq!(job(1_400).weight(8), 1);
        assert_eq!(job(SMALL_FILE - 1).weight(8), 1);
        assert_eq!(job(SMALL_FILE).weight(8), SMALL_PER_SLOT);
        // A serial pull stays serial.
        assert_eq!(job(1_400).weight(1), SMALL_PER_SLOT);
    }
}

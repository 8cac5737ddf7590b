//! Verified snapshots the mirror may serve, and the single-flight that makes them: concurrent
//! first requests for one (repo type, repo, commit) await one verified pull; replicas sharing
//! a cache volume are serialised by the cache's own `.locks`.
//!
//! A snapshot enters the registry only after [`pull::pull`] committed it (steps 1–7, the same
//! code as `hubsign pull`), with the file table of the signed files plus the signature taken
//! from the upstream listing. A snapshot found in the cache after a restart is never trusted
//! as such: the first request runs the pull again, which re-hashes the cached blobs (reusing
//! them instead of downloading) and rebuilds the snapshot from what verifies.

use super::{Mirror, Refusal};
use crate::cache::DiskId;
use crate::hub::{ContentId, RemoteFile};
use crate::pull::{self, Destination, PullRequest, Selection, Target};
use crate::reference::{ModelRef, RepoType};
use crate::{Error, Result};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// One file the mirror serves: what the upstream listing says of it.
#[derive(Debug, Clone)]
pub struct ServedFile {
    pub path: String,
    pub size: u64,
    /// The git blob id (for an LFS file, its pointer's).
    pub git_oid: String,
    /// The LFS SHA-256, for an LFS file.
    pub lfs_sha256: Option<String>,
    /// The verified bytes on disk (set once the snapshot is committed).
    pub disk: Option<DiskId>,
}

impl ServedFile {
    fn from_remote(f: &RemoteFile) -> Self {
        Self {
            path: f.path.clone(),
            size: f.size,
            git_oid: f.git_oid.clone().unwrap_or_default(),
            lfs_sha256: match &f.content {
                ContentId::Sha256(s) => Some(s.clone()),
                _ => None,
            },
            disk: None,
        }
    }

    /// The size of the LFS pointer file git stores for an LFS file.
    pub fn pointer_size(&self) -> Option<u64> {
        self.lfs_sha256.as_ref().map(|sha| {
            let text = format!(
                "version https://git-lfs.github.com/spec/v1\noid sha256:{sha}\nsize {}\n",
                self.size
            );
            text.len() as u64
        })
    }
}

/// A verified, committed snapshot: where it is and which files it serves.
#[derive(Debug)]
pub struct Snapshot {
    pub repo: ModelRef,
    pub commit: String,
    pub dir: PathBuf,
    /// Signed files plus the signature, by repository path.
    pub files: BTreeMap<String, ServedFile>,
    /// The tree entries of the served view, built once on first use (tree pages and
    /// paths-info read them; they are never rebuilt per request).
    pub entries: std::sync::OnceLock<super::answer::Entries>,
}

type Outcome = Result<Arc<Snapshot>, Arc<Refusal>>;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key(RepoType, String, String);

enum Slot {
    /// Verified; the number orders entries by age (the oldest is forgotten first).
    Ready(Arc<Snapshot>, u64),
    Pending(watch::Receiver<Option<Outcome>>),
    /// A definite "no" (unsigned, does not verify, no rule), remembered for a while so every
    /// request for a refused commit does not repeat the upstream work.
    Refused(Arc<Refusal>, Instant),
}

/// Verified pulls running at once (across repositories); more wait for a 503 + Retry-After.
pub const MAX_PULLS: usize = 4;
/// Verified snapshots remembered; the oldest is forgotten first (it is verified again, from
/// the cache, on its next request).
const MAX_READY: usize = 256;
/// How long a definite refusal of one commit is remembered (a commit never changes; a policy
/// change takes effect after this).
const REFUSAL_TTL: Duration = Duration::from_secs(60);

/// The registry of verified snapshots and of pulls in flight.
pub struct Registry {
    slots: Mutex<HashMap<Key, Slot>>,
    pulls: Arc<tokio::sync::Semaphore>,
    age: std::sync::atomic::AtomicU64,
}

impl Default for Registry {
    fn default() -> Self {
        Self {
            slots: Mutex::new(HashMap::new()),
            pulls: Arc::new(tokio::sync::Semaphore::new(MAX_PULLS)),
            age: std::sync::atomic::AtomicU64::new(0),
        }
    }
}

impl Registry {
    /// Repository ids match without regard to ASCII case, as on the Hub and in the policy: one
    /// pull (and one cache folder) for `Org/Model` and `org/model` alike.
    fn key(repo: &ModelRef, commit: &str) -> Key {
        Key(
            repo.repo_type,
            repo.id.to_ascii_lowercase(),
            commit.to_ascii_lowercase(),
        )
    }

    /// The snapshot of `commit` if this process already verified it.
    pub fn ready(&self, repo: &ModelRef, commit: &str) -> Option<Arc<Snapshot>> {
        let slots = self.slots.lock().ok()?;
        match slots.get(&Self::key(repo, commit)) {
            Some(Slot::Ready(s, _)) => Some(Arc::clone(s)),
            _ => None,
        }
    }

    /// Records a verified snapshot, forgetting the oldest beyond [`MAX_READY`] (and refusals
    /// past their time).
    fn insert_ready(&self, slots: &mut HashMap<Key, Slot>, key: Key, s: Arc<Snapshot>) {
        let age = self.age.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        slots.insert(key, Slot::Ready(s, age));
        slots.retain(|_, slot| !matches!(slot, Slot::Refused(_, at) if at.elapsed() > REFUSAL_TTL));
        let ready = slots.values().filter(|s| matches!(s, Slot::Ready(..))).count();
        if ready > MAX_READY {
            let oldest = slots
                .iter()
                .filter_map(|(k, s)| match s {
                    Slot::Ready(_, age) => Some((*age, k.clone())),
                    _ => None,
                })
                .min_by_key(|(age, _)| *age);
            if let Some((_, k)) = oldest {
                slots.remove(&k);
            }
        }
    }

    /// Forgets a snapshot whose files no longer look as verified (the next request pulls again).
    pub fn evict(&self, repo: &ModelRef, commit: &str) {
        if let Ok(mut slots) = self.slots.lock() {
            if matches!(slots.get(&Self::key(repo, commit)), Some(Slot::Ready(..))) {
                slots.remove(&Self::key(repo, commit));
            }
        }
    }
}

/// The verified snapshot of `repo` at `commit`: ready, awaited from a pull in flight, or pulled
/// now (in a task of its own, so a client hanging up does not cancel it for the others).
pub async fn verified(mirror: &Arc<Mirror>, repo: &ModelRef, commit: &str) -> Outcome {
    let key = Registry::key(repo, commit);
    let mut rx = {
        let Ok(mut slots) = mirror.registry.slots.lock() else {
            return Err(Arc::new(Refusal::internal("the mirror's registry is poisoned")));
        };
        match slots.get(&key) {
            Some(Slot::Ready(s, _)) => return Ok(Arc::clone(s)),
            Some(Slot::Refused(r, at)) if at.elapsed() <= REFUSAL_TTL => return Err(Arc::clone(r)),
            Some(Slot::Pending(rx)) => rx.clone(),
            _ => {
                // At most MAX_PULLS at once: many distinct repositories or commits cannot make
                // the mirror download all of them together.
                let Ok(permit) = Arc::clone(&mirror.registry.pulls).try_acquire_owned() else {
                    return Err(Arc::new(Refusal::busy(
                        "hubsign mirror is busy verifying other repositories; retry shortly",
                        30,
                    )));
                };
                let (tx, rx) = watch::channel(None);
                slots.insert(key.clone(), Slot::Pending(rx.clone()));
                let (m, repo, commit, key) =
                    (Arc::clone(mirror), repo.clone(), commit.to_owned(), key.clone());
                let runtime = tokio::runtime::Handle::current();
                // The pull's file-system work (staging, fsync, the commit lock) blocks: it runs
                // on a blocking thread, never on the threads that answer requests.
                tokio::task::spawn_blocking(move || {
                    let deadline = m.config.pull_timeout;
                    let result = runtime.block_on(async {
                        tokio::time::timeout(deadline, pull_verified(&m, &repo, &commit)).await
                    });
                    drop(permit);
                    let outcome = match result {
                        Ok(Ok(s)) => Ok(Arc::new(s)),
                        Ok(Err(e)) => {
                            m.events.refused(&repo, Some(&commit), &e);
                            Err(Arc::new(Refusal::from_error(&repo, &commit, &e)))
                        }
                        Err(_) => Err(Arc::new(Refusal::upstream(&format!(
                            "hubsign mirror gave up verifying {}@{commit} after {} s",
                            super::policy_name(&repo),
                            deadline.as_secs()
                        )))),
                    };
                    if let Ok(mut slots) = m.registry.slots.lock() {
                        match &outcome {
                            Ok(s) => m.registry.insert_ready(&mut slots, key, Arc::clone(s)),
                            // A definite "no" is remembered for a while (never its bytes);
                            // an upstream or cache error is not: the next request tries again.
                            Err(r) if r.status == 403 => {
                                slots.insert(key, Slot::Refused(Arc::clone(r), Instant::now()));
                            }
                            Err(_) => {
                                slots.remove(&key);
                            }
                        }
                    }
                    let _ = tx.send(Some(outcome));
                });
                rx
            }
        }
    };
    let outcome = rx.wait_for(Option::is_some).await.map(|v| v.clone());
    if let Ok(Some(outcome)) = outcome {
        return outcome;
    }
    // The pull task died without an outcome (a panic): forget it, so the next request pulls.
    if let Ok(mut slots) = mirror.registry.slots.lock() {
        if matches!(slots.get(&key), Some(Slot::Pending(_))) {
            slots.remove(&key);
        }
    }
    Err(Arc::new(Refusal::internal(
        "the pull task ended without an outcome",
    )))
}

/// Steps 1–7 of `hubsign pull` for one commit, into the mirror's cache.
async fn pull_verified(mirror: &Mirror, repo: &ModelRef, commit: &str) -> Result<Snapshot> {
    let anchor = mirror
        .trust
        .anchor(&super::policy_name(repo))
        .ok_or_else(|| Error::NoTrustRule {
            repo: super::policy_name(repo),
            policy: None,
        })??;
    mirror.events.pull_started(repo, commit);
    let target = Target {
        repo: repo.clone(),
        // The commit itself: the mirror pins per request and writes no refs.
        revision: commit.to_owned(),
        signature_path: mirror.config.signature_path.clone(),
        anchor,
        unsigned: mirror.config.unsigned,
    };
    let plan = pull::plan(&mirror.hub, &target).await?;
    let mut files: BTreeMap<String, ServedFile> = plan
        .to_fetch
        .iter()
        .map(|f| (f.path.clone(), ServedFile::from_remote(f)))
        .collect();
    if let Some(sig) = plan.tree.iter().find(|f| f.path == target.signature_path) {
        files.insert(sig.path.clone(), ServedFile::from_remote(sig));
    }
    let req = PullRequest {
        target,
        selection: Selection::default(),
        concurrency: mirror.config.concurrency,
        destination: Destination::Cache,
        ref_name: None,
    };
    let progress = mirror.events.progress(repo, commit);
    let outcome = pull::pull(&mirror.hub, &mirror.cache, &req, plan, progress).await?;
    // Where each verified file's bytes are, and which file that is, as the pull verified and
    // committed it (a reused blob: as it was when it was hashed); answers open that file and
    // require that identity.
    for f in files.values_mut() {
        match outcome.disk.get(&f.path) {
            Some(id) if id.len == f.size => f.disk = Some(id.clone()),
            _ => {
                return Err(crate::cache::CacheError::NotARegularFile {
                    path: outcome.path.join(&f.path),
                }
                .into());
            }
        }
    }
    mirror.events.verified(repo, &outcome);
    Ok(Snapshot {
        repo: repo.clone(),
        commit: outcome.commit,
        dir: outcome.path,
        files,
        entries: std::sync::OnceLock::new(),
    })
}

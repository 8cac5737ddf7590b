//! The single-flight that makes the snapshots the mirror serves, and the registry of them:
//! concurrent first requests for one (repo type, repo, commit) share one verified pull;
//! replicas sharing a cache volume are serialised by the cache's own `.locks`.
//!
//! A pull runs the same code as `hubsign pull` ([`pull::plan`], then [`pull::pull`]). A
//! [`Snapshot`] enters the registry once the plan verified the signature and the listing
//! (steps 1–3, before any weight is fetched): requests for the listing are answered from then
//! on, and each file is served once the pull reports its own bytes verified (the
//! [`Progress::file_verified`] hook), while the others are still arriving. The snapshot holds
//! what the pull reports and nothing else: nothing it serves was not verified. A pull that
//! ends without a commit fails the snapshot (every request from then on gets the refusal) and
//! a definite "no" is remembered for a while.
//!
//! A snapshot found in the cache after a restart is never trusted as such: the first request
//! runs the pull again, which re-hashes the cached blobs (reusing them instead of downloading)
//! and rebuilds the snapshot from what verifies.

use super::Mirror;
use super::refusal::Refusal;
use super::snapshot::{ServedFile, Snapshot};
use crate::cache::{CacheLayout, DiskId};
use crate::hub::Hub;
use crate::progress::Progress;
use crate::pull::{self, Destination, Plan, PullOutcome, PullRequest, Selection, Target};
use crate::reference::{ModelRef, RepoType};
use crate::{Error, Result};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

type Outcome = Result<Arc<Snapshot>, Arc<Refusal>>;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key(RepoType, String, String);

enum Slot {
    /// The listing verified (its files are verified or being pulled); the number orders
    /// entries by age (the oldest is forgotten first).
    Ready(Arc<Snapshot>, u64),
    /// Until the listing verified.
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

    /// The snapshot of `commit` if this process already verified its listing.
    pub fn ready(&self, repo: &ModelRef, commit: &str) -> Option<Arc<Snapshot>> {
        let slots = self.slots.lock().ok()?;
        match slots.get(&Self::key(repo, commit)) {
            Some(Slot::Ready(s, _)) => Some(Arc::clone(s)),
            _ => None,
        }
    }

    /// Records a verified snapshot, forgetting the oldest settled one beyond [`MAX_READY`] (and
    /// refusals past their time).
    fn insert_ready(&self, slots: &mut HashMap<Key, Slot>, key: Key, s: Arc<Snapshot>) {
        let age = self.age.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        slots.insert(key, Slot::Ready(s, age));
        slots.retain(|_, slot| !matches!(slot, Slot::Refused(_, at) if at.elapsed() > REFUSAL_TTL));
        let ready = slots.values().filter(|s| matches!(s, Slot::Ready(..))).count();
        if ready > MAX_READY {
            let oldest = slots
                .iter()
                .filter_map(|(k, s)| match s {
                    // A snapshot whose pull still runs is never forgotten (its requests would
                    // start a second pull, and its refusal would not be remembered).
                    Slot::Ready(s, age) if !s.running() => Some((*age, k.clone())),
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

    /// Records how the pull of `snapshot` ended, unless its slot was taken over meanwhile (the
    /// snapshot was evicted and is pulled again): a definite "no" is remembered for a while
    /// (never its bytes); an upstream or cache error is not, so the next request tries again.
    fn settle(&self, key: Key, snapshot: &Arc<Snapshot>, refusal: Option<&Arc<Refusal>>) {
        let Ok(mut slots) = self.slots.lock() else {
            return;
        };
        let ours = matches!(slots.get(&key), Some(Slot::Ready(s, _)) if Arc::ptr_eq(s, snapshot));
        match refusal {
            Some(r) if ours && r.status == 403 => {
                slots.insert(key, Slot::Refused(Arc::clone(r), Instant::now()));
            }
            Some(_) if ours => {
                slots.remove(&key);
            }
            _ => {}
        }
    }
}

/// The snapshot of `repo` at `commit` once its listing verified: ready, awaited from a pull in
/// flight, or pulled now (in a task of its own, so a client hanging up does not cancel it for
/// the others). Its files may still be arriving: [`Snapshot::file`] waits for one.
pub async fn verified<H, C>(mirror: &Arc<Mirror<H, C>>, repo: &ModelRef, commit: &str) -> Outcome
where
    H: Hub + Send + 'static,
    C: CacheLayout + Send + Sync + 'static,
{
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
                    runtime.block_on(fly(&m, &repo, &commit, key, &tx));
                    drop(permit);
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

/// One pull, start to end: the listing (announced on `tx` and in the registry as soon as it
/// verified), then every file, then the commit, within the mirror's pull timeout.
async fn fly<H, C>(
    m: &Arc<Mirror<H, C>>,
    repo: &ModelRef,
    commit: &str,
    key: Key,
    tx: &watch::Sender<Option<Outcome>>,
) where
    H: Hub + Send + 'static,
    C: CacheLayout + Send + Sync + 'static,
{
    let deadline = m.config.pull_timeout;
    let gave_up = || {
        Refusal::upstream(&format!(
            "hubsign mirror gave up verifying {}@{commit} after {} s",
            super::policy_name(repo),
            deadline.as_secs()
        ))
    };
    let started = Instant::now();
    // 1–3: the signature and the listing.
    let planned = match tokio::time::timeout(deadline, plan(m, repo, commit)).await {
        Ok(Ok(planned)) => planned,
        failed => {
            let refusal = Arc::new(match failed {
                Ok(Err(e)) => {
                    m.events.refused(repo, Some(commit), &e);
                    Refusal::from_error(repo, commit, &e)
                }
                _ => gave_up(),
            });
            if let Ok(mut slots) = m.registry.slots.lock() {
                if refusal.status == 403 {
                    slots.insert(key, Slot::Refused(Arc::clone(&refusal), Instant::now()));
                } else {
                    slots.remove(&key);
                }
            }
            let _ = tx.send(Some(Err(refusal)));
            return;
        }
    };
    let (snapshot, plan, target) = planned;
    if let Ok(mut slots) = m.registry.slots.lock() {
        m.registry
            .insert_ready(&mut slots, key.clone(), Arc::clone(&snapshot));
    }
    let _ = tx.send(Some(Ok(Arc::clone(&snapshot))));
    let _unsettled = Unsettled {
        registry: &m.registry,
        key: key.clone(),
        snapshot: Arc::clone(&snapshot),
    };
    // 4–7: every file, each served as soon as its own bytes verified, then the commit.
    let left = deadline.saturating_sub(started.elapsed());
    let pulled = tokio::time::timeout(left, fetch(m, &snapshot, plan, target)).await;
    let refusal = match pulled {
        Ok(Ok(outcome)) => {
            m.events.verified(repo, &outcome);
            snapshot.committed(&outcome.disk);
            return;
        }
        Ok(Err(e)) => {
            m.events.refused(repo, Some(commit), &e);
            Arc::new(Refusal::from_error(repo, commit, &e))
        }
        Err(_) => Arc::new(gave_up()),
    };
    m.registry.settle(key, &snapshot, Some(&refusal));
    snapshot.failed(refusal);
}

/// Ends a snapshot whose pull stopped without settling it (a panic unwinding through `fly`):
/// the requests waiting for its files get an answer, and the next request pulls again.
struct Unsettled<'a> {
    registry: &'a Registry,
    key: Key,
    snapshot: Arc<Snapshot>,
}

impl Drop for Unsettled<'_> {
    fn drop(&mut self) {
        if self.snapshot.running() {
            let refusal = Arc::new(Refusal::internal("the pull task ended without an outcome"));
            self.registry
                .settle(self.key.clone(), &self.snapshot, Some(&refusal));
            self.snapshot.failed(refusal);
        }
    }
}

/// Steps 1–3 of `hubsign pull` for one commit: the signature verified and the listing checked
/// against it, as a snapshot with no file verified yet.
async fn plan<H: Hub, C>(
    mirror: &Mirror<H, C>,
    repo: &ModelRef,
    commit: &str,
) -> Result<(Arc<Snapshot>, Plan, Target)> {
    let anchor = mirror
        .trust
        .anchor(&super::policy_name(repo))
        .ok_or_else(|| Error::NoTrustRule {
            repo: super::policy_name(repo),
            policy: None,
        })??;
    let required = mirror.trust.claims(&super::policy_name(repo), &anchor)?;
    mirror.events.pull_started(repo, commit);
    let target = Target {
        claims: pull::ClaimsCheck {
            path: crate::hub::claims_path(repo.hub, &mirror.config.signature_path),
            required,
        },
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
    // The signature and the claims file (checked in the plan) are served with the model.
    let claims = target
        .claims
        .path
        .as_deref()
        .filter(|_| plan.claims_digest.is_some());
    for f in plan
        .tree
        .iter()
        .filter(|f| f.path == target.signature_path || Some(f.path.as_str()) == claims)
    {
        files.insert(f.path.clone(), ServedFile::from_remote(f));
    }
    let snapshot = Arc::new(Snapshot::new(repo.clone(), plan.commit.clone(), files));
    Ok((snapshot, plan, target))
}

/// Steps 4–7 of `hubsign pull` into the mirror's cache, each file reported to `snapshot` as
/// soon as its own bytes verified.
async fn fetch<H: Hub, C: CacheLayout>(
    mirror: &Mirror<H, C>,
    snapshot: &Arc<Snapshot>,
    plan: Plan,
    target: Target,
) -> Result<PullOutcome> {
    let req = PullRequest {
        target,
        selection: Selection::default(),
        concurrency: mirror.config.concurrency,
        destination: Destination::Cache,
        ref_name: None,
        flush: crate::pull::Flush::BeforeCommit,
    };
    let progress = Arc::new(Observed {
        inner: mirror.events.progress(&snapshot.repo, &snapshot.commit),
        snapshot: Arc::clone(snapshot),
    });
    let outcome = pull::pull(&mirror.hub, &mirror.cache, &req, plan, progress).await?;
    // Where each verified file's bytes are, and which file that is, as the pull verified and
    // committed it (a reused blob: as it was when it was hashed); answers open that file and
    // require that identity.
    for f in snapshot.files.values() {
        if outcome.disk.get(&f.path).is_none_or(|id| id.len != f.size) {
            return Err(crate::cache::CacheError::NotARegularFile {
                path: outcome.path.join(&f.path),
            }
            .into());
        }
    }
    Ok(outcome)
}

/// The progress of one pull, passed on to the mirror's events, with each verified file
/// reported to the snapshot being served.
struct Observed {
    inner: Arc<dyn Progress>,
    snapshot: Arc<Snapshot>,
}

impl Progress for Observed {
    fn start(&self, files: usize, bytes: u64) {
        self.inner.start(files, bytes);
    }
    fn file_started(&self, id: usize, path: &str, size: u64) {
        self.inner.file_started(id, path, size);
    }
    fn bytes(&self, id: usize, n: u64) {
        self.inner.bytes(id, n);
    }
    fn resumed(&self, id: usize, offset: u64) {
        self.inner.resumed(id, offset);
    }
    fn file_finished(&self, id: usize) {
        self.inner.file_finished(id);
    }
    fn file_verified(&self, path: &str, disk: &DiskId) {
        self.snapshot.file_verified(path, disk);
        self.inner.file_verified(path, disk);
    }
    fn finish(&self) {
        self.inner.finish();
    }
}

//! What the mirror may serve of one commit: the signed files of a verified listing
//! ([`ServedFile`]), the served view of its tree ([`Entries`]), and, file by file, where the
//! bytes that verified are ([`Snapshot::file`]).
//!
//! A snapshot exists once the signature and the listing verified (steps 1–3 of a pull), before
//! any weight is fetched: each file's digest is then signed, so a file whose own bytes hashed
//! to it is authentic whatever happens to the other files. The pull reports each such file
//! (its staged or cached location, as a [`DiskId`]); a client asking for a file waits for that
//! file, not for the repository. When the pull commits, every location becomes the committed
//! blob's; when it ends without a commit, the refusal answers every request from then on.
//!
//! This module never opens a file and never decides trust: only `flight` feeds it (what the
//! pull reported verified; the mutators are private to the mirror), `answer` reads it.

use super::refusal::Refusal;
use crate::cache::DiskId;
use crate::hub::{ContentId, RemoteFile};
use crate::reference::ModelRef;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, OnceLock};
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
}

impl ServedFile {
    #[must_use]
    pub fn from_remote(f: &RemoteFile) -> Self {
        Self {
            path: f.path.clone(),
            size: f.size,
            git_oid: f.git_oid.clone().unwrap_or_default(),
            lfs_sha256: match &f.content {
                ContentId::Sha256(s) => Some(s.clone()),
                _ => None,
            },
        }
    }

    /// The size of the LFS pointer file git stores for an LFS file.
    #[must_use]
    pub fn pointer_size(&self) -> Option<u64> {
        self.lfs_sha256.as_ref().map(|sha| {
            let text = format!(
                "version https://git-lfs.github.com/spec/v1\noid sha256:{sha}\nsize {}\n",
                self.size
            );
            text.len() as u64
        })
    }

    fn entry(&self) -> Value {
        let mut v = json!({ "type": "file", "oid": self.git_oid, "size": self.size, "path": self.path });
        if let Some(sha) = &self.lfs_sha256 {
            v["lfs"] = json!({ "oid": sha, "size": self.size, "pointerSize": self.pointer_size() });
        }
        v
    }
}

/// How far the pull behind a snapshot has come.
#[derive(Debug, Clone)]
enum PullState {
    /// Files are being fetched; those verified so far may be served.
    Running,
    /// Every file verified and committed into the cache.
    Committed,
    /// Ended without a commit (a file that does not verify, an upstream failure, a timeout):
    /// this answers every request for the snapshot from then on.
    Failed(Arc<Refusal>),
}

/// The verified files' locations and the state of the pull, as one watched value.
#[derive(Debug)]
struct Verified {
    disk: HashMap<String, DiskId>,
    pull: PullState,
}

/// The verified listing of one commit, and where each file's verified bytes are.
#[derive(Debug)]
pub struct Snapshot {
    pub repo: ModelRef,
    pub commit: String,
    /// Signed files plus the signature, by repository path.
    pub files: BTreeMap<String, ServedFile>,
    /// The tree entries of the served view, built once on first use (tree pages and
    /// paths-info read them; they are never rebuilt per request).
    entries: OnceLock<Entries>,
    verified: watch::Sender<Verified>,
}

impl Snapshot {
    /// A snapshot of a verified listing, with no file verified yet.
    #[must_use]
    pub(super) fn new(repo: ModelRef, commit: String, files: BTreeMap<String, ServedFile>) -> Self {
        let (verified, _) = watch::channel(Verified {
            disk: HashMap::new(),
            pull: PullState::Running,
        });
        Self {
            repo,
            commit,
            files,
            entries: OnceLock::new(),
            verified,
        }
    }

    /// Records that the bytes of `path` verified against the signature and are at `disk` (the
    /// pull's report). Ignored for a path the snapshot does not serve, of another size, or
    /// once the pull ended (a committed location is never replaced by a staged one).
    pub(super) fn file_verified(&self, path: &str, disk: &DiskId) {
        let Some(f) = self.files.get(path) else {
            return;
        };
        if disk.len != f.size {
            return;
        }
        self.verified.send_if_modified(|v| {
            if matches!(v.pull, PullState::Running) {
                v.disk.insert(path.to_owned(), disk.clone());
                true
            } else {
                false
            }
        });
    }

    /// The pull committed: every file is at `disk` now (what the commit placed). A file the
    /// commit does not name is no longer served from its staged location either.
    pub(super) fn committed(&self, disk: &BTreeMap<String, DiskId>) {
        self.verified.send_modify(|v| {
            v.disk = self
                .files
                .values()
                .filter_map(|f| {
                    let id = disk.get(&f.path).filter(|id| id.len == f.size)?;
                    Some((f.path.clone(), id.clone()))
                })
                .collect();
            v.pull = PullState::Committed;
        });
    }

    /// The pull ended without a commit: `refusal` answers every request from now on.
    pub(super) fn failed(&self, refusal: Arc<Refusal>) {
        self.verified.send_modify(|v| {
            if matches!(v.pull, PullState::Running) {
                v.disk.clear();
                v.pull = PullState::Failed(refusal);
            }
        });
    }

    /// Where the verified bytes of `path` are, once they verified (waiting for that file only);
    /// the refusal if the pull ends before (or without a commit after) they did. `None` after
    /// the commit for a file it did not place (never before a refusal).
    pub async fn file(&self, path: &str) -> Result<Option<DiskId>, Arc<Refusal>> {
        let mut rx = self.verified.subscribe();
        let v = rx
            .wait_for(|v| !matches!(v.pull, PullState::Running) || v.disk.contains_key(path))
            .await;
        // The sender lives as long as `self`: the wait cannot end for want of it.
        let Ok(v) = v else {
            return Err(Arc::new(Refusal::internal("the snapshot's pull vanished")));
        };
        match &v.pull {
            PullState::Failed(r) => Err(Arc::clone(r)),
            PullState::Running | PullState::Committed => Ok(v.disk.get(path).cloned()),
        }
    }

    /// Whether the pull is still running.
    pub(super) fn running(&self) -> bool {
        matches!(self.verified.borrow().pull, PullState::Running)
    }

    /// Waits until the pull has ended (at once if it has).
    pub async fn settled(&self) {
        let mut rx = self.verified.subscribe();
        let _ = rx.wait_for(|v| !matches!(v.pull, PullState::Running)).await;
    }

    /// Files and folders of the served view (built on first use).
    pub fn entries(&self) -> &Entries {
        self.entries.get_or_init(|| Entries::of(self))
    }
}

/// Files and folders of the served view, in git order (a folder sorts as `name/`), with an
/// index by path. A folder's `oid` names the served view of it (it is not upstream's tree id:
/// unsigned files are left out).
#[derive(Debug)]
pub struct Entries {
    pub list: Vec<(String, Value)>,
    pub by_path: HashMap<String, usize>,
}

impl Entries {
    fn of(s: &Snapshot) -> Self {
        let mut dirs = BTreeSet::new();
        for p in s.files.keys() {
            let mut p = p.as_str();
            while let Some((parent, _)) = p.rsplit_once('/') {
                dirs.insert(parent.to_owned());
                p = parent;
            }
        }
        let mut out: Vec<(String, Value)> = s.files.values().map(|f| (f.path.clone(), f.entry())).collect();
        for d in dirs {
            use sha1::Digest as _;
            let oid = hex::encode(sha1::Sha1::digest(format!("{}:{d}", s.commit)));
            out.push((
                format!("{d}/"),
                json!({ "type": "directory", "oid": oid, "size": 0, "path": d }),
            ));
        }
        out.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        let by_path = out
            .iter()
            .enumerate()
            .map(|(i, (_, v))| (v["path"].as_str().unwrap_or_default().to_owned(), i))
            .collect();
        Self { list: out, by_path }
    }
}

//! An in-process [`Hub`] and [`Publish`] for unit tests of the workflows (pull, transfer, the
//! cache layouts, push, sync, audit, the mirror): repositories held in memory, no HTTP, no
//! ports; milliseconds per test.
//!
//! It lists files as the Hugging Face Hub does (LFS files by SHA-256, the others by git blob
//! id), counts every request, and injects faults file by file: an HTTP status (429, 5xx, 404),
//! a stalled connection, a truncated or corrupted body, a file held back until the test
//! releases it, a ranged request answered whole, or a file whose stored bytes changed after
//! signing; it records the offset of every request and each upload and commit. [`signed`] signs
//! a set of files with the fixture key, as a publisher would; [`Fixture`] is the usual setup (a
//! signed repository on a fresh hub, and a pull of it into any cache layout).
//!
//! Only for tests: it never decides trust (the workflows under test do).

use super::http::RetryPolicy;
use super::{
    ByteStream, CommitFile, ContentId, Hub, HubError, Prepared, Publish, Published, RemoteFile, Upload,
    Uploaded,
};
use crate::cache::CacheLayout;
use crate::progress::{NoProgress, Progress};
use crate::pull::{Destination, PullOutcome, PullRequest, Selection, Target};
use crate::reference::{ModelRef, RepoType};
use crate::verify::{TrustAnchor, UnsignedFiles};
use bytes::Bytes;
use sha1::Digest as _;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::watch;

/// Bytes per chunk of a fake answer (several chunks per test file, as on a real connection).
const CHUNK: usize = 16 << 10;

/// What goes wrong with one request for a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// The request is answered with this HTTP status.
    Status(u16),
    /// No byte arrives for the read timeout, then the connection drops.
    Stall,
    /// The connection drops after this many bytes of the answer.
    Truncate(u64),
    /// The answer's first byte is flipped (the listing still names the true bytes).
    Corrupt,
    /// A ranged request is answered with the whole file (a server that ignores `Range`).
    IgnoreRange,
}

/// A file held back: requests for it wait (their request counted) until [`Hold::release`].
#[derive(Debug)]
pub struct Hold(watch::Sender<bool>);

impl Hold {
    pub fn release(&self) {
        self.0.send_replace(true);
    }
}

#[derive(Debug, Clone)]
struct FakeRepo {
    commit: String,
    files: BTreeMap<String, Bytes>,
}

#[derive(Debug, Default)]
struct State {
    repos: HashMap<(RepoType, String), FakeRepo>,
    /// Faults per path, one consumed per request; `sticky` ones apply to every request.
    faults: HashMap<String, VecDeque<Fault>>,
    sticky: HashMap<String, Fault>,
    holds: HashMap<String, watch::Receiver<bool>>,
    pins: usize,
    lists: usize,
    opens: HashMap<String, usize>,
    /// The offset each request for a path asked from (0: the whole file).
    froms: HashMap<String, Vec<u64>>,
    /// Paths sent by each [`Publish::upload`] call, and commits made.
    uploads: Vec<Vec<String>>,
    commits: usize,
}

/// The in-process hub.
#[derive(Debug)]
pub struct FakeHub {
    state: Mutex<State>,
    retry: RetryPolicy,
}

impl Default for FakeHub {
    fn default() -> Self {
        Self {
            state: Mutex::new(State::default()),
            // Fast retries: a test with faults still takes milliseconds.
            retry: RetryPolicy {
                attempts: 4,
                base_delay: Duration::from_millis(1),
                max_delay: Duration::from_millis(5),
                read_timeout: Duration::from_millis(50),
                max_retry_after: Duration::from_millis(5),
                ..RetryPolicy::default()
            },
        }
    }
}

/// Whether the Hub stores a file in LFS (listed by SHA-256): weights by extension, as the Hub's
/// default `.gitattributes` says, and anything large.
fn is_lfs(path: &str, size: usize) -> bool {
    [".bin", ".safetensors", ".parquet"]
        .iter()
        .any(|e| path.ends_with(e))
        || size >= 10 << 20
}

fn git_blob_id(bytes: &[u8]) -> String {
    let mut h = sha1::Sha1::new();
    h.update(format!("blob {}\0", bytes.len()));
    h.update(bytes);
    hex::encode(h.finalize())
}

impl FakeHub {
    /// Adds (or replaces) a repository holding `files`, on branch `main`; returns its commit.
    pub fn add_repo(&self, repo: &ModelRef, files: &[(String, Bytes)]) -> String {
        let mut h = sha1::Sha1::new();
        h.update(repo.id.as_bytes());
        for (p, b) in files {
            h.update(p.as_bytes());
            h.update(b);
        }
        self.add_repo_at(repo, files, &hex::encode(h.finalize()))
    }

    /// Adds (or replaces) a repository holding `files` at `commit` (a Kaggle version number),
    /// which `main` and `latest` resolve to; returns it.
    pub fn add_repo_at(&self, repo: &ModelRef, files: &[(String, Bytes)], commit: &str) -> String {
        let files: BTreeMap<String, Bytes> = files.iter().cloned().collect();
        let commit = commit.to_owned();
        self.lock().repos.insert(
            (repo.repo_type, repo.id.clone()),
            FakeRepo {
                commit: commit.clone(),
                files,
            },
        );
        commit
    }

    /// Replaces the stored bytes of one file after signing (the listing follows: a tampered
    /// repository, not a tampered transfer).
    pub fn replace(&self, repo: &ModelRef, path: &str, bytes: &[u8]) {
        if let Some(r) = self.lock().repos.get_mut(&(repo.repo_type, repo.id.clone())) {
            r.files.insert(path.to_owned(), Bytes::copy_from_slice(bytes));
        }
    }

    /// The next request for `path` meets `fault` (several calls: one per request, in order).
    pub fn fault(&self, path: &str, fault: Fault) {
        self.lock()
            .faults
            .entry(path.to_owned())
            .or_default()
            .push_back(fault);
    }

    /// Every request for `path` meets `fault`.
    pub fn fault_always(&self, path: &str, fault: Fault) {
        self.lock().sticky.insert(path.to_owned(), fault);
    }

    /// Holds every answer for `path` back until the returned handle is released.
    pub fn hold(&self, path: &str) -> Hold {
        let (tx, rx) = watch::channel(false);
        self.lock().holds.insert(path.to_owned(), rx);
        Hold(tx)
    }

    /// Requests for the bytes of `path` so far.
    pub fn opens(&self, path: &str) -> usize {
        self.lock().opens.get(path).copied().unwrap_or(0)
    }

    /// The offset each request for the bytes of `path` started at, in order.
    pub fn froms(&self, path: &str) -> Vec<u64> {
        self.lock().froms.get(path).cloned().unwrap_or_default()
    }

    /// The paths each upload call sent, in order.
    pub fn uploads(&self) -> Vec<Vec<String>> {
        self.lock().uploads.clone()
    }

    /// Commits published so far.
    pub fn commits(&self) -> usize {
        self.lock().commits
    }

    /// Listings asked for so far.
    pub fn lists(&self) -> usize {
        self.lock().lists
    }

    /// Revisions pinned so far.
    pub fn pins(&self) -> usize {
        self.lock().pins
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn repo(&self, repo: &ModelRef) -> Result<FakeRepo, HubError> {
        self.lock()
            .repos
            .get(&(repo.repo_type, repo.id.clone()))
            .cloned()
            .ok_or_else(|| HubError::RepoNotFound {
                repo: repo.to_string(),
                credentials: "no token",
            })
    }

    fn at_commit(&self, repo: &ModelRef, commit: &str) -> Result<FakeRepo, HubError> {
        let r = self.repo(repo)?;
        if r.commit.eq_ignore_ascii_case(commit) {
            Ok(r)
        } else {
            Err(HubError::RevisionNotFound {
                repo: repo.to_string(),
                revision: commit.to_owned(),
            })
        }
    }
}

impl Hub for FakeHub {
    async fn pin(&self, repo: &ModelRef, revision: &str) -> Result<String, HubError> {
        self.lock().pins += 1;
        let r = self.repo(repo)?;
        if revision == "main"
            || revision == crate::reference::LATEST
            || r.commit.eq_ignore_ascii_case(revision)
        {
            Ok(r.commit)
        } else {
            Err(HubError::RevisionNotFound {
                repo: repo.to_string(),
                revision: revision.to_owned(),
            })
        }
    }

    async fn list(&self, repo: &ModelRef, commit: &str) -> Result<Vec<RemoteFile>, HubError> {
        self.lock().lists += 1;
        let r = self.at_commit(repo, commit)?;
        Ok(r.files
            .iter()
            .map(|(path, bytes)| {
                let (content, git_oid) = if is_lfs(path, bytes.len()) {
                    let sha = hex::encode(sha2::Sha256::digest(bytes));
                    let pointer = format!(
                        "version https://git-lfs.github.com/spec/v1\noid sha256:{sha}\nsize {}\n",
                        bytes.len()
                    );
                    (ContentId::Sha256(sha), git_blob_id(pointer.as_bytes()))
                } else {
                    let oid = git_blob_id(bytes);
                    (ContentId::GitBlobSha1(oid.clone()), oid)
                };
                RemoteFile {
                    path: path.clone(),
                    size: bytes.len() as u64,
                    content,
                    git_oid: Some(git_oid),
                }
            })
            .collect())
    }

    async fn open(
        &self,
        repo: &ModelRef,
        commit: &str,
        path: &str,
        from: u64,
    ) -> Result<ByteStream, HubError> {
        let url = format!("fake://{}/{commit}/{path}", repo.id);
        let (fault, hold) = {
            let mut s = self.lock();
            *s.opens.entry(path.to_owned()).or_default() += 1;
            s.froms.entry(path.to_owned()).or_default().push(from);
            let once = s.faults.get_mut(path).and_then(VecDeque::pop_front);
            (
                once.or_else(|| s.sticky.get(path).cloned()),
                s.holds.get(path).cloned(),
            )
        };
        let r = self.at_commit(repo, commit)?;
        let Some(bytes) = r.files.get(path) else {
            return Err(HubError::EntryNotFound {
                repo: repo.to_string(),
                revision: commit.to_owned(),
                path: path.to_owned(),
            });
        };
        let from = if fault == Some(Fault::IgnoreRange) {
            0
        } else {
            from
        };
        let start = usize::try_from(from).unwrap_or(usize::MAX).min(bytes.len());
        let mut body = bytes.slice(start..);
        let mut stall = false;
        match fault {
            Some(Fault::Status(status)) => {
                return Err(HubError::Status {
                    status,
                    url,
                    message: None,
                    retry_after: None,
                });
            }
            Some(Fault::Stall) => stall = true,
            Some(Fault::Truncate(n)) => body = body.slice(..usize::try_from(n).unwrap_or(0).min(body.len())),
            Some(Fault::Corrupt) => {
                let mut v = body.to_vec();
                if let Some(b) = v.first_mut() {
                    *b ^= 0xff;
                }
                body = Bytes::from(v);
            }
            Some(Fault::IgnoreRange) | None => {}
        }
        let chunks: Vec<Result<Bytes, HubError>> = if stall {
            Vec::new()
        } else {
            (0..body.len())
                .step_by(CHUNK)
                .map(|i| Ok(body.slice(i..(i + CHUNK).min(body.len()))))
                .collect()
        };
        let read_timeout = self.retry.read_timeout;
        let wait = async move {
            if let Some(mut hold) = hold {
                let _ = hold.wait_for(|released| *released).await;
            }
            if stall {
                tokio::time::sleep(read_timeout).await;
            }
        };
        let stream = futures_util::StreamExt::chain(
            futures_util::StreamExt::filter_map(futures_util::stream::once(wait), |()| async { None }),
            futures_util::stream::iter(chunks),
        );
        let range = (from > 0).then_some((from, Some(bytes.len() as u64)));
        Ok(ByteStream::from_stream(url, range, stream))
    }

    fn retry(&self) -> RetryPolicy {
        self.retry
    }
}

/// Shared with the test that injects the faults and counts the requests.
impl Hub for std::sync::Arc<FakeHub> {
    async fn pin(&self, repo: &ModelRef, revision: &str) -> Result<String, HubError> {
        self.as_ref().pin(repo, revision).await
    }

    async fn list(&self, repo: &ModelRef, commit: &str) -> Result<Vec<RemoteFile>, HubError> {
        self.as_ref().list(repo, commit).await
    }

    async fn open(
        &self,
        repo: &ModelRef,
        commit: &str,
        path: &str,
        from: u64,
    ) -> Result<ByteStream, HubError> {
        self.as_ref().open(repo, commit, path, from).await
    }

    fn retry(&self) -> RetryPolicy {
        self.retry
    }
}

/// The fixture P-256 key (`fixtures/keys/p256.pem`) as a signer, and the anchor that
/// verifies what it signs.
///
/// # Panics
/// If the fixture key does not parse (a broken test setup).
#[must_use]
pub fn fixture_key() -> (crate::sign::Signer, TrustAnchor) {
    use crate::crypto::ec::PrivateKeyPem;
    let PrivateKeyPem::Plain(key) =
        PrivateKeyPem::parse(include_str!("../../fixtures/keys/p256.pem")).expect("the fixture key parses")
    else {
        panic!("the fixture key is not encrypted");
    };
    let anchor = TrustAnchor::PublicKey(key.verifying_key());
    (
        crate::sign::Signer::Key(crate::sign::SigningKeyRef::Local(*key)),
        anchor,
    )
}

/// A set of files signed as a publisher signs them (key method, the fixture P-256 key,
/// `files`/SHA-256), `model.sig` among them, and the anchor that verifies it.
pub struct Signed {
    pub files: Vec<(String, Bytes)>,
    pub anchor: TrustAnchor,
}

/// Signs `files` (path, content) with `fixtures/keys/p256.pem`.
///
/// # Panics
/// If the fixture key or the files cannot be read or signed (a broken test setup).
#[must_use]
pub fn signed(files: &[(&str, &[u8])]) -> Signed {
    let dir = tempfile::tempdir().expect("a temporary folder");
    for (p, b) in files {
        let path = dir.path().join(p);
        fs_err::create_dir_all(path.parent().expect("a file in a folder")).expect("create folders");
        fs_err::write(&path, b).expect("write a file");
    }
    let (signer, anchor) = fixture_key();
    let sig = dir.path().join("model.sig");
    crate::sign::sign_model(
        crate::sign::SignRequest {
            model: dir.path().to_path_buf(),
            signature: sig.clone(),
            walk: crate::manifest::WalkOptions::default(),
            method: crate::manifest::Serialization::Files,
            hash: crate::manifest::HashAlgorithm::Sha256,
            incremental: None,
            record_dir: None,
        },
        &signer,
    )
    .expect("signing the fixture files");
    let mut out: Vec<(String, Bytes)> = files
        .iter()
        .map(|(p, b)| ((*p).to_owned(), Bytes::copy_from_slice(b)))
        .collect();
    out.push((
        "model.sig".to_owned(),
        Bytes::from(fs_err::read(&sig).expect("read the signature")),
    ));
    Signed { files: out, anchor }
}

/// A large weight (LFS, several chunks), a config (a git blob) and a nested small file.
#[must_use]
pub fn model_files() -> Vec<(&'static str, Vec<u8>)> {
    let weights: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    vec![
        ("model.safetensors", weights),
        ("config.json", br#"{"model_type": "test"}"#.to_vec()),
        ("tokenizer/vocab.txt", b"a\nb\nc\n".to_vec()),
    ]
}

/// The usual setup of a workflow test: `files`, signed with the fixture key, in the
/// repository `org/model` of a fresh fake hub.
pub struct Fixture {
    pub hub: Arc<FakeHub>,
    pub repo: ModelRef,
    pub anchor: TrustAnchor,
    /// The files as published, `model.sig` last.
    pub files: Vec<(String, Bytes)>,
    /// The commit `main` is at.
    pub commit: String,
}

impl Fixture {
    /// # Panics
    /// If the files cannot be signed (a broken test setup).
    #[must_use]
    pub fn new(files: &[(&str, Vec<u8>)]) -> Self {
        Self::at("org/model", None, files)
    }

    /// The same files as version 1 of the Kaggle model `kaggle:owner/model/pyTorch/default`.
    ///
    /// # Panics
    /// If the files cannot be signed (a broken test setup).
    #[must_use]
    pub fn kaggle(files: &[(&str, Vec<u8>)]) -> Self {
        Self::at("kaggle:owner/model/pyTorch/default", Some("1"), files)
    }

    fn at(reference: &str, commit: Option<&str>, files: &[(&str, Vec<u8>)]) -> Self {
        let borrowed: Vec<(&str, &[u8])> = files.iter().map(|(p, b)| (*p, b.as_slice())).collect();
        let s = signed(&borrowed);
        let hub = Arc::new(FakeHub::default());
        let repo = ModelRef::parse(reference, None).expect("a repository reference");
        let commit = match commit {
            Some(c) => hub.add_repo_at(&repo, &s.files, c),
            None => hub.add_repo(&repo, &s.files),
        };
        Self {
            hub,
            repo,
            anchor: s.anchor,
            files: s.files,
            commit,
        }
    }

    /// What a pull of `main` checks.
    #[must_use]
    pub fn target(&self) -> Target {
        Target {
            repo: self.repo.clone(),
            revision: "main".into(),
            signature_path: "model.sig".into(),
            anchor: self.anchor.clone(),
            unsigned: UnsignedFiles::Reject,
            claims: crate::pull::ClaimsCheck::at(crate::reference::HubKind::HuggingFace, "model.sig"),
        }
    }

    /// A pull of every file of `main` into `destination`, `refs/main` pointed at it last (as
    /// `hubsign pull` asks).
    #[must_use]
    pub fn request(&self, destination: Destination) -> PullRequest {
        PullRequest {
            target: self.target(),
            selection: Selection::default(),
            concurrency: 4,
            destination,
            ref_name: Some("main".into()),
            flush: crate::pull::Flush::EachLargeFile,
        }
    }

    /// Plans and pulls `req` from the fake hub into `cache`.
    ///
    /// # Errors
    /// What [`crate::pull::plan`] and [`crate::pull::pull`] refuse.
    pub async fn pull_request<C: CacheLayout>(
        &self,
        cache: &C,
        req: &PullRequest,
        progress: Arc<dyn Progress>,
    ) -> crate::Result<PullOutcome> {
        let planned = crate::pull::plan(self.hub.as_ref(), &req.target).await?;
        crate::pull::pull(self.hub.as_ref(), cache, req, planned, progress).await
    }

    /// Pulls every file of `main` into `cache` (or the local directory `destination` names).
    ///
    /// # Errors
    /// What [`crate::pull::plan`] and [`crate::pull::pull`] refuse.
    pub async fn pull<C: CacheLayout>(
        &self,
        cache: &C,
        destination: Destination,
    ) -> crate::Result<PullOutcome> {
        self.pull_request(cache, &self.request(destination), Arc::new(NoProgress))
            .await
    }
}

/// Publishing keeps the files in memory: one upload call and one commit counted each time; the
/// commit replaces the repository's files (as a push of a whole model does).
impl Publish for FakeHub {
    async fn prepare(&self, repo: &ModelRef, _branch: &str, _private: bool) -> Result<Prepared, HubError> {
        let head = self.repo(repo).map(|r| r.commit).unwrap_or_default();
        Ok(Prepared {
            repo_url: format!("fake://{}", repo.id),
            head,
        })
    }

    async fn upload(
        &self,
        _repo: &ModelRef,
        _branch: &str,
        files: &mut Vec<Upload>,
        _concurrency: usize,
        _progress: &dyn Progress,
    ) -> Result<(Uploaded, Vec<CommitFile>), HubError> {
        self.lock()
            .uploads
            .push(files.iter().map(|f| f.path.clone()).collect());
        let sent = Uploaded {
            bytes: files.iter().map(|f| f.size).sum(),
            deduplicated: 0,
        };
        let inline = files
            .iter()
            .map(|f| CommitFile::Inline {
                path: f.path.clone(),
                local: f.local.clone(),
                size: f.size,
            })
            .collect();
        Ok((sent, inline))
    }

    async fn commit(
        &self,
        repo: &ModelRef,
        _branch: &str,
        _parent: &str,
        _summary: &str,
        files: &[CommitFile],
        _create_pr: bool,
    ) -> Result<Published, HubError> {
        let mut stored = Vec::new();
        for f in files {
            let CommitFile::Inline { path, local, .. } = f else {
                continue;
            };
            let bytes = fs_err::read(local).map_err(|e| HubError::Malformed {
                url: local.display().to_string(),
                detail: e.to_string(),
            })?;
            stored.push((path.clone(), Bytes::from(bytes)));
        }
        self.lock().commits += 1;
        let commit = self.add_repo(repo, &stored);
        Ok(Published {
            commit,
            commit_url: String::new(),
            pull_request_url: None,
        })
    }
}

/// Every file under `dir` (symlinks followed) by its path relative to `dir`, with its bytes.
///
/// # Panics
/// If the folder cannot be read.
#[must_use]
pub fn read_tree(dir: &std::path::Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &std::path::Path, dir: &std::path::Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in fs_err::read_dir(dir).expect("read a folder") {
            let path = entry.expect("a folder entry").path();
            if fs_err::metadata(&path).expect("a file's metadata").is_dir() {
                walk(root, &path, out);
            } else {
                let name = path.strip_prefix(root).expect("under the root");
                out.insert(
                    name.to_string_lossy().into_owned(),
                    fs_err::read(&path).expect("read a file"),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Flips the first byte of the file at `path` in place (same length, the same path).
///
/// # Panics
/// If the file cannot be read or written.
pub fn flip_first_byte(path: &std::path::Path) {
    let mut bytes = fs_err::read(path).expect("read the file");
    bytes[0] ^= 0xff;
    // Owner-writable whatever mode the cache gave its blobs: the test tampers with its own cache.
    let perms = <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o644);
    fs_err::set_permissions(path, perms).expect("make it writable");
    fs_err::write(path, bytes).expect("write the file");
}

impl Fixture {
    /// The published files as a tree (path → bytes), `model.sig` included.
    #[must_use]
    pub fn published(&self) -> BTreeMap<String, Vec<u8>> {
        self.files.iter().map(|(p, b)| (p.clone(), b.to_vec())).collect()
    }
}

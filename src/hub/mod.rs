//! Model hubs: the [`Hub`] seam the workflows are written against, and each
//! hub's HTTP API behind it (`huggingface/`, `kaggle/`; one shared client in `http`).
//!
//! Everything here is transport: pinning, listing, fetching and publishing bytes. It never
//! decides trust and never writes into a cache (see `cache` and `pull`).

#[cfg(test)]
pub mod fake;
pub mod http;
pub mod huggingface;
pub mod kaggle;
pub mod oci;
pub mod retry;

use crate::reference::{ModelRef, ReferenceError};

use bytes::Bytes;
use futures_util::StreamExt as _;
use std::future::Future;
use std::pin::Pin;

/// A connection that delivers no data for this long is dropped (and a transfer resumed).
pub const DEFAULT_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Where a repository of `hub` keeps its signature ([`huggingface::SIGNATURE_PATH`],
/// [`kaggle::SIGNATURE_PATH`], [`oci::SIGNATURE_PATH`]).
pub fn signature_path(hub: crate::reference::HubKind) -> &'static str {
    match hub {
        crate::reference::HubKind::HuggingFace => huggingface::SIGNATURE_PATH,
        crate::reference::HubKind::Kaggle => kaggle::SIGNATURE_PATH,
        crate::reference::HubKind::Oci => oci::SIGNATURE_PATH,
    }
}

/// Where a repository of `hub` keeps the claims of the signature at `signature_path`: beside
/// it (`claims.jsonl`; Kaggle: `.kaggle/claims.jsonl`); none for an OCI registry (claims are
/// not carried there yet).
pub fn claims_path(hub: crate::reference::HubKind, signature_path: &str) -> Option<String> {
    match hub {
        crate::reference::HubKind::Oci => None,
        _ => Some(crate::oms::claim::claims_path_in_repo(signature_path)),
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HubError {
    /// Exit 2: a model reference, endpoint or revision the hub cannot be asked for.
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    /// Exit 2. `credentials` names where the hub's token comes from.
    #[error("{repo} not found, or it is private and no valid token was given ({credentials})")]
    RepoNotFound { repo: String, credentials: &'static str },
    #[error("revision {revision:?} not found in {repo}")]
    RevisionNotFound { repo: String, revision: String },
    #[error("{path} not found in {repo} at {revision}")]
    EntryNotFound {
        repo: String,
        revision: String,
        path: String,
    },
    #[error("the hub answered {status} for {url}{}", message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    Status {
        status: u16,
        url: String,
        message: Option<String>,
        /// The wait the answer's `Retry-After` asked for (a 429 or 503), honoured by the retry
        /// budget of whoever tries again.
        retry_after: Option<std::time::Duration>,
    },
    /// Built only by [`HubError::network`], which strips the URL (and its query, where signed
    /// CDN URLs carry credentials) from both the message and the cause chain.
    #[error("network error talking to {url}")]
    Network {
        url: String,
        #[source]
        source: TransportError,
    },
    /// Exit 2: the answer from `url` (redacted) is not what the hub's API promises.
    #[error("the hub's answer from {url} is malformed: {detail}")]
    Malformed { url: String, detail: String },
    /// Exit 2: the answer of a named API call (a Kaggle RPC, the Git LFS batch) lacks or garbles
    /// a field; the call is named, not a URL.
    #[error("the hub's answer from {call} is malformed: {detail}")]
    MalformedAnswer { call: ApiCall, detail: String },
    /// Exit 2: a CA certificate file trusted for a registry does not hold a certificate.
    #[error("{path}: not a CA certificate for the registry: {detail}")]
    BadCertificate {
        path: std::path::PathBuf,
        detail: String,
    },
    /// Exit 2: the hub cannot publish the model so that its signature describes what it
    /// would then serve (checked before anything is sent).
    #[error("cannot publish to {repo}: {reason}")]
    NotPublishable { repo: String, reason: String },
    /// Exit 2: a Kaggle version is published from uploaded blobs only; a file that was not
    /// uploaded cannot be part of it.
    #[error("{path} was not uploaded (Kaggle takes no inline files)")]
    NotUploaded { path: String },
    /// Exit 2: asked for the bytes from an offset on (to resume a kept partial download), the
    /// server answered something else (the whole file, or another range). A pull then drops
    /// what it kept and fetches the file from its first byte, once.
    #[error("the hub's answer from {url} is not the range asked for: {detail}")]
    RangeIgnored { url: String, detail: String },
    /// Exit 2: a hostile or broken hub; nothing is buffered beyond the limit.
    #[error("the hub's answer from {url} is larger than {limit} bytes; refusing to read more")]
    TooLarge { url: String, limit: u64 },
    /// Exit 2: a listing whose `Link: rel="next"` leads back to a page already read.
    #[error("the hub's listing at {url} pages in a loop (a next link repeats); refusing it")]
    PaginationLoop { url: String },
    #[error(
        "the hub lists an unsafe file name {0:?} (absolute, `..`, empty component or control character); refusing the repository"
    )]
    UnsafePath(String),
    #[error("{path}: received {received} bytes, expected {expected}")]
    Truncated {
        path: String,
        received: u64,
        expected: u64,
    },
    /// Exit 2: a local file to publish could not be read.
    #[error("cannot read {path}")]
    ReadLocal {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Exit 2: a hub that answers a change with HTTP 200 and an error (Kaggle's `errorCode`).
    #[error("the hub refused to {action}: {message} (error code {code})")]
    Rejected {
        action: String,
        code: i64,
        message: String,
    },
    /// Exit 1 (a definite "no", as for a tampered file): content whose bytes hash to another
    /// digest than the one asked for or announced (a registry answering another manifest for a
    /// digest, a lying `Docker-Content-Digest`, a blob whose bytes are not its digest's). `what` names the content (registry, repository,
    /// reference).
    #[error("{what}: the bytes received have digest {actual}, expected {expected}; refusing them")]
    DigestMismatch {
        what: String,
        expected: String,
        actual: String,
    },
    /// Exit 2: a registry refused access (HTTP 401/403, or a token endpoint that gave no
    /// token). `given` says whether a credential was sent; `credentials` names where they come
    /// from.
    #[error(
        "{registry} refused access to {repository}: {} (credentials come from {credentials})",
        if *given { "the credentials given were not accepted" } else { "no credentials were found for this registry" }
    )]
    Unauthorized {
        registry: String,
        repository: String,
        given: bool,
        credentials: &'static str,
    },
    /// Exit 2: a registry does not have the blob (or manifest) named by a digest.
    #[error("{digest} not found in {repository}")]
    BlobNotFound { repository: String, digest: String },
    /// Exit 2: a registry credentials file that cannot be used.
    #[error(transparent)]
    AuthFile(#[from] oci::auth::AuthFileError),
    #[error("{path}: gave up after {attempts} attempts")]
    RetriesExhausted {
        path: String,
        attempts: u32,
        #[source]
        source: Box<HubError>,
    },
}

/// An API call whose answer can be malformed, by what it is (not where it was sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiCall {
    /// A Kaggle API method, by its RPC name (`StartBlobUpload`, `ListModelInstanceVersionFiles`).
    KaggleRpc(&'static str),
    /// The Git LFS batch answer of a Hugging Face push.
    LfsBatch,
}

impl std::fmt::Display for ApiCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::KaggleRpc(name) => f.write_str(name),
            Self::LfsBatch => f.write_str("the LFS batch answer"),
        }
    }
}

/// A transport failure with the request URL removed: reqwest's own message appends the full
/// URL, query string included, and signed download/upload URLs carry credentials there.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct TransportError(reqwest::Error);

impl From<reqwest::Error> for TransportError {
    fn from(e: reqwest::Error) -> Self {
        Self(e.without_url())
    }
}

impl HubError {
    /// Whether trying the same request again may succeed (a dropped connection, a timeout, a
    /// rate limit or a server error), as opposed to a definite answer.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Network { .. } | Self::Truncated { .. } => true,
            Self::Status { status, .. } => http::is_transient(*status),
            _ => false,
        }
    }

    /// The wait the hub asked for before the next attempt (`Retry-After`), if it did.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            Self::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// A network error for a request to `url`, redacted (no query, no credentials).
    pub fn network(url: &reqwest::Url, source: reqwest::Error) -> Self {
        Self::Network {
            url: http::redact(url),
            source: source.into(),
        }
    }
}

/// Checks a path from a hub listing: relative, `/`-separated, no `..`, `.` or empty component.
pub fn check_remote_path(path: &str) -> Result<(), HubError> {
    let ok = !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && !path.bytes().any(|b| b < 0x20 || b == 0x7f)
        && path.split('/').all(|c| !c.is_empty() && c != "." && c != "..");
    if ok {
        Ok(())
    } else {
        Err(HubError::UnsafePath(path.to_owned()))
    }
}

/// What a hub's listing says a file's content is, checked while the bytes stream in. The
/// pre-download check compares what each hub offers with the signed manifest.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ContentId {
    /// A git blob id (SHA-1 over `blob <len>\0` + content): Hugging Face regular files.
    GitBlobSha1(String),
    /// SHA-256 of the content: Hugging Face LFS files.
    Sha256(String),
    /// Only the size is listed (Kaggle).
    SizeOnly,
}

/// A file of a repository at a pinned commit, as the hub lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteFile {
    pub path: String,
    pub size: u64,
    pub content: ContentId,
    /// The git blob id listed for the path (for an LFS file: its pointer's), on git hubs.
    pub git_oid: Option<String>,
}

impl RemoteFile {
    /// The content's own name, when the hub gives one (the HF cache names blobs by it).
    pub fn content_hex(&self) -> Option<&str> {
        match &self.content {
            ContentId::GitBlobSha1(h) | ContentId::Sha256(h) => Some(h),
            ContentId::SizeOnly => None,
        }
    }

    /// The listed SHA-256 of the content, if any.
    pub fn sha256(&self) -> Option<&str> {
        match &self.content {
            ContentId::Sha256(h) => Some(h),
            _ => None,
        }
    }
}

/// A file's bytes from some offset, as the hub streams them. The URL it came from is kept only
/// in redacted form (no query: signed CDN URLs carry credentials there).
pub struct ByteStream {
    url: String,
    /// The answer's `Content-Range` (`bytes <start>-<end>/<total>`): start and total.
    range: Option<(u64, Option<u64>)>,
    inner: Pin<Box<dyn futures_util::Stream<Item = Result<Bytes, HubError>> + Send>>,
}

impl std::fmt::Debug for ByteStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ByteStream")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl ByteStream {
    /// Wraps an HTTP answer's body.
    pub fn from_response(resp: reqwest::Response) -> Self {
        let url = resp.url().clone();
        let redacted = http::redact(&url);
        let range = resp
            .headers()
            .get(reqwest::header::CONTENT_RANGE)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_content_range);
        Self {
            url: redacted,
            range,
            inner: Box::pin(
                resp.bytes_stream()
                    .map(move |r| r.map_err(|source| HubError::network(&url, source))),
            ),
        }
    }

    /// Bytes from any stream of chunks (an in-process hub's); `range` is what a
    /// `Content-Range` would say (start, total), `url` names the source in messages.
    pub fn from_stream(
        url: String,
        range: Option<(u64, Option<u64>)>,
        inner: impl futures_util::Stream<Item = Result<Bytes, HubError>> + Send + 'static,
    ) -> Self {
        Self {
            url,
            range,
            inner: Box::pin(inner),
        }
    }

    /// The (redacted) URL the bytes come from, for messages.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether this answer is the range from `from` on of a file of `size` bytes (its
    /// `Content-Range` says so); else the error to resume from the first byte.
    pub fn check_range(&self, from: u64, size: u64) -> Result<(), HubError> {
        match self.range {
            Some((start, total)) if start == from && total.is_none_or(|t| t == size) => Ok(()),
            got => Err(HubError::RangeIgnored {
                url: self.url.clone(),
                detail: format!(
                    "asked for bytes {from}- of {size}, got {}",
                    got.map_or_else(
                        || "no Content-Range".to_owned(),
                        |(start, total)| format!(
                            "bytes {start}- of {}",
                            total.map_or_else(|| "*".to_owned(), |t| t.to_string())
                        )
                    )
                ),
            }),
        }
    }

    /// The next chunk; `None` at the end of the body.
    pub async fn next_chunk(&mut self) -> Option<Result<Bytes, HubError>> {
        self.inner.next().await
    }
}

/// `bytes <start>-<end>/<total or *>` as (start, total).
fn parse_content_range(v: &str) -> Option<(u64, Option<u64>)> {
    let (span, total) = v.trim().strip_prefix("bytes ")?.split_once('/')?;
    let (start, _end) = span.split_once('-')?;
    let total = match total {
        "*" => None,
        t => Some(t.parse().ok()?),
    };
    Some((start.parse().ok()?, total))
}

/// What the pull workflows need from a hub: pin a revision, list the files at the pinned
/// commit with their content identity, and stream a file from an offset. Every hub (and repo
/// type) implements it; `pull`, `check` and `verify-cache` are written once against it.
pub trait Hub: Sync {
    /// Pins `revision` (branch, tag, commit; a version on hubs without git) to an immutable id.
    fn pin(&self, repo: &ModelRef, revision: &str) -> impl Future<Output = Result<String, HubError>> + Send;

    /// Every file of the repository at `commit`, sorted by path; unsafe or duplicate names are
    /// refused.
    fn list(
        &self,
        repo: &ModelRef,
        commit: &str,
    ) -> impl Future<Output = Result<Vec<RemoteFile>, HubError>> + Send;

    /// The bytes of `path` at `commit` from byte `from` (a resumed transfer), in one attempt:
    /// the caller's transfer loop retries (one retry loop per file, never nested).
    fn open(
        &self,
        repo: &ModelRef,
        commit: &str,
        path: &str,
        from: u64,
    ) -> impl Future<Output = Result<ByteStream, HubError>> + Send;

    /// The retry policy its client applies to every request (the transfer layer resumes with it).
    fn retry(&self) -> http::RetryPolicy;

    /// Further signatures of `commit` to try, in order, when the one listed at the signature
    /// path does not verify against what the caller trusts: a registry can hold several
    /// attached to one artifact (signers, tools, attestations). A git hub has one.
    fn other_signatures(
        &self,
        repo: &ModelRef,
        commit: &str,
    ) -> impl Future<Output = Result<Vec<Vec<u8>>, HubError>> + Send {
        let _ = (repo, commit);
        async { Ok(Vec::new()) }
    }
}

/// A file to publish: where it is on disk, where it goes, and what is known of its content.
#[derive(Debug, Clone)]
pub struct Upload {
    pub path: String,
    pub local: std::path::PathBuf,
    pub size: u64,
    /// SHA-256 of the content, when known without reading the file again (files/sha256 manifests).
    pub sha256: Option<String>,
}

/// What [`Publish::upload`] sent.
#[derive(Debug, Clone, Copy, Default)]
pub struct Uploaded {
    pub bytes: u64,
    /// Large objects the hub already stored (not sent again).
    pub deduplicated: usize,
}

/// A published commit.
#[derive(Debug, Clone)]
pub struct Published {
    pub commit: String,
    pub commit_url: String,
    pub pull_request_url: Option<String>,
}

/// What [`Publish::prepare`] found (or made): where the repository lives, and the commit the
/// next one builds on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    /// The repository's web page.
    pub repo_url: String,
    /// The branch head (or latest version) the commit builds on; empty when there is none yet.
    pub head: String,
}

/// Whether a hub may be asked at all (`HF_HUB_OFFLINE`): offline, only the cache answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Network {
    #[default]
    Online,
    Offline,
}

/// What `push` needs from a hub: prepare the repository (create it, pin the branch head the
/// commit builds on), upload the content, and publish everything as one commit.
pub trait Publish: Hub {
    /// Whether the hub can publish `files` so that the signature describes what it then
    /// serves, checked before anything is sent; `files_sha256` says whether the signature is a
    /// files/SHA-256 one. Every file can go to a git hub.
    fn accepts(&self, repo: &ModelRef, files: &[Upload], files_sha256: bool) -> Result<(), HubError> {
        let _ = (repo, files, files_sha256);
        Ok(())
    }

    /// Creates the repository if needed; returns its URL and the head commit of `branch`.
    fn prepare(
        &self,
        repo: &ModelRef,
        branch: &str,
        private: bool,
    ) -> impl Future<Output = Result<Prepared, HubError>> + Send;

    /// Uploads the content of `files` that the commit will reference (and drops from `files`
    /// what the hub says not to publish); `progress` sees the bytes sent.
    fn upload(
        &self,
        repo: &ModelRef,
        branch: &str,
        files: &mut Vec<Upload>,
        concurrency: usize,
        progress: &dyn crate::progress::Progress,
    ) -> impl Future<Output = Result<(Uploaded, Vec<CommitFile>), HubError>> + Send;

    /// Publishes `files` as one commit on top of `parent`; never retried (a dropped answer
    /// must not apply it twice).
    fn commit(
        &self,
        repo: &ModelRef,
        branch: &str,
        parent: &str,
        summary: &str,
        files: &[CommitFile],
        create_pr: bool,
    ) -> impl Future<Output = Result<Published, HubError>> + Send;
}

/// A file as the commit references it, after [`Publish::upload`].
#[derive(Debug, Clone)]
pub enum CommitFile {
    /// Sent inline with the commit (read from disk then).
    Inline {
        path: String,
        local: std::path::PathBuf,
        size: u64,
    },
    /// Uploaded before, referenced by what the hub named the content: its SHA-256 on Hugging
    /// Face (an LFS object), the upload token on Kaggle.
    Uploaded {
        path: String,
        reference: String,
        size: u64,
    },
}

#[cfg(test)]
mod tests {
    use super::check_remote_path;
    use crate::reference::{ModelRef, check_revision};

    #[test]
    fn revisions_are_git_ref_names() {
        for good in ["main", "v1.0", "refs/pr/1", "feature/x-y_z", &"a".repeat(40)] {
            check_revision(good).unwrap();
        }
        for bad in [
            "",
            "../../../x",
            "a/../b",
            "/main",
            "main/",
            "a//b",
            ".hidden",
            "a/.b",
            "x.lock",
            "a.",
            "a b",
            "a\tb",
            "a\nb",
            "a\u{7f}",
            "a~1",
            "a^",
            "a:b",
            "a?",
            "a*",
            "a[",
            "a\\b",
            "@",
            "a@{1}",
        ] {
            assert!(check_revision(bad).is_err(), "{bad:?}");
        }
        assert!(ModelRef::parse("org/model@../../../x", None).is_err());
    }

    #[test]
    fn remote_paths() {
        for bad in ["../x", "/etc/passwd", "a/../b", "a//b", "./a", "a\\b", ""] {
            assert!(check_remote_path(bad).is_err(), "{bad}");
        }
        check_remote_path("a/b.safetensors").unwrap();
        check_remote_path(".gitattributes").unwrap();
    }
}

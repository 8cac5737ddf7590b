//! The OCI distribution-API client for one registry: manifests (bytes checked against their
//! digest), blobs (streamed, resumable, or read whole under a cap), uploads, referrers, and the
//! registry auth flow (`WWW-Authenticate: Basic` or `Bearer realm=…` token exchange).
//!
//! Every request goes through the one [`HttpClient`] (its retry policy, manual redirects,
//! redaction). Credentials go only to the registry's own origin and to the token endpoint the
//! registry named; never to a redirect target such as blob storage on another origin. It never
//! decides trust, never writes a file, and never reads the environment: which credential, and
//! whether plain HTTP is allowed, is the caller's to say.

use super::auth::Credential;
use super::image::{
    DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, Descriptor, ImageIndex, MAX_MANIFEST_BYTES, OCI_INDEX,
    OCI_MANIFEST, digest_of,
};
use crate::hub::http::{self, HttpClient, RequestOptions, RetryPolicy, Token, read_body, redact};
use crate::hub::{ByteStream, HubError};
use crate::reference::ReferenceError;
use reqwest::{Method, Response, StatusCode, Url};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

/// Where registry credentials come from, for messages (the CLI reads these files).
pub const CREDENTIALS: &str =
    "~/.docker/config.json, REGISTRY_AUTH_FILE or $XDG_RUNTIME_DIR/containers/auth.json";

/// The `Accept` of a manifest request: every manifest and index type hubsign reads.
const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json";

/// The most referrers one listing may hold (a subject with more is refused, not truncated).
pub const MAX_REFERRERS: usize = 1024;

/// The largest token-endpoint answer read.
const MAX_TOKEN_ANSWER: u64 = 1 << 20;

/// How a [`Registry`] is reached.
#[derive(Debug, Clone, Default)]
pub struct RegistryOptions {
    /// Plain HTTP instead of HTTPS: the caller allows it for an explicitly insecure registry,
    /// or `localhost`/`127.0.0.1`, as docker and skopeo do.
    pub plain_http: bool,
    pub credential: Option<Credential>,
    pub retry: RetryPolicy,
    /// CA certificates (PEM files, by path) trusted for this registry beside the built-in roots:
    /// a registry behind a private CA, as containers' `certs.d/<host>/*.crt` name them.
    pub roots: Vec<(std::path::PathBuf, Vec<u8>)>,
}

/// A manifest or index as the registry served it: its exact bytes and their digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedManifest {
    pub bytes: Vec<u8>,
    /// `sha256:` over [`Self::bytes`] (never the registry's say-so).
    pub digest: String,
    /// The answer's `Content-Type` (parameters dropped), else the document's `mediaType`.
    pub media_type: String,
}

/// A blob to upload.
#[derive(Debug, Clone)]
pub enum BlobSource {
    Bytes(bytes::Bytes),
    /// Streamed from disk (never buffered whole).
    File(PathBuf),
}

/// What a request needs the registry to allow on the repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    Pull,
    Push,
}

/// The credentials a request carries, learnt from the registry's challenges.
#[derive(Default)]
struct AuthState {
    /// The registry asked for HTTP Basic: send the credential with every request.
    basic: bool,
    /// Bearer tokens by scope (`repository:<name>:pull[,push]`).
    bearer: HashMap<String, Token>,
}

/// One registry host, spoken to over the distribution API.
pub struct Registry {
    host: String,
    base: Url,
    http: HttpClient,
    credential: Option<Credential>,
    auth: Mutex<AuthState>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("base", &self.base.as_str())
            .field("credential", &self.credential)
            .finish_non_exhaustive()
    }
}

fn bad_reference(reference: &str, reason: &str) -> HubError {
    ReferenceError::BadReference {
        reference: reference.to_owned(),
        reason: reason.to_owned(),
    }
    .into()
}

/// A repository name as the distribution spec allows it (the one check, in `reference`):
/// nothing that could change the path of a request URL.
fn check_repository(repository: &str) -> Result<(), HubError> {
    crate::reference::check_oci_repository(repository).map_err(|why| bad_reference(repository, why))
}

/// A tag or a `sha256:` digest (the one check, in `reference`).
fn check_reference(reference: &str) -> Result<(), HubError> {
    crate::reference::check_oci_revision(reference).map_err(|e| bad_reference(reference, &e.to_string()))
}

fn check_digest(digest: &str) -> Result<(), HubError> {
    crate::reference::check_oci_digest(digest).map_err(|why| bad_reference(digest, why))
}

/// The media type of a `Content-Type` value, without parameters.
fn bare_media_type(value: &str) -> &str {
    value.split(';').next().unwrap_or_default().trim()
}

/// One `WWW-Authenticate` challenge: the scheme and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Challenge {
    scheme: String,
    params: HashMap<String, String>,
}

/// Parses `Scheme k="v", k2=v2` (quoted values may hold commas and escaped quotes).
fn parse_challenge(value: &str) -> Option<Challenge> {
    let value = value.trim();
    let (scheme, mut rest) = value.split_once(' ').unwrap_or((value, ""));
    let mut params = HashMap::new();
    loop {
        rest = rest.trim_start_matches([' ', ',']);
        if rest.is_empty() {
            break;
        }
        let (key, after) = rest.split_once('=')?;
        let key = key.trim().to_ascii_lowercase();
        let after = after.trim_start();
        let (val, tail) = if let Some(quoted) = after.strip_prefix('"') {
            let mut val = String::new();
            let mut chars = quoted.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, escaped)) = chars.next() {
                            val.push(escaped);
                        }
                    }
                    '"' => {
                        end = Some(i + 1);
                        break;
                    }
                    c => val.push(c),
                }
            }
            (val, &quoted[end?..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim().to_owned(), &after[end..])
        };
        params.insert(key, val);
        rest = tail;
    }
    Some(Challenge {
        scheme: scheme.to_ascii_lowercase(),
        params,
    })
}

impl Registry {
    /// A client for `host` (`registry.example`, `127.0.0.1:5000`): HTTPS, or plain HTTP when
    /// `options.plain_http`.
    pub fn new(host: &str, options: RegistryOptions) -> Result<Self, HubError> {
        let scheme = if options.plain_http { "http" } else { "https" };
        let ok_host = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
        if !ok_host {
            return Err(bad_reference(
                host,
                "not a registry host name (host or host:port)",
            ));
        }
        let endpoint = format!("{scheme}://{host}");
        let mut roots = Vec::new();
        for (path, pem) in &options.roots {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .ok()
                .filter(|c| !c.is_empty())
                .ok_or_else(|| HubError::BadCertificate {
                    path: path.clone(),
                    detail: "no PEM certificate in it".into(),
                })?;
            roots.extend(certs);
        }
        let http = HttpClient::with_roots(&endpoint, None, options.retry, &roots)?;
        let base = http.url("/")?;
        Ok(Self {
            host: host.to_owned(),
            base,
            http,
            credential: options.credential,
            auth: Mutex::new(AuthState::default()),
        })
    }

    /// The registry host, as given.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The retry policy of every request (a blob transfer's resumption follows it too).
    pub fn retry(&self) -> RetryPolicy {
        self.http.retry
    }

    fn url(&self, path: &str) -> Result<Url, HubError> {
        self.http.url(path)
    }

    fn scope(repository: &str, access: Access) -> String {
        match access {
            Access::Pull => format!("repository:{repository}:pull"),
            Access::Push => format!("repository:{repository}:pull,push"),
        }
    }

    /// The `Authorization` this request carries (to the registry's origin only).
    fn authorization(&self, scope: &str) -> Option<Token> {
        let state = self.auth.lock().ok()?;
        if let Some(token) = state.bearer.get(scope) {
            return Some(token.clone());
        }
        if state.basic {
            if let Some(Credential::Basic { username, password }) = &self.credential {
                return Some(Token::basic(username, password));
            }
        }
        None
    }

    fn unauthorized(&self, repository: &str) -> HubError {
        HubError::Unauthorized {
            registry: self.host.clone(),
            repository: repository.to_owned(),
            given: self.credential.is_some(),
            credentials: CREDENTIALS,
        }
    }

    /// Sends a request for `repository`, answering the registry's auth challenge once: a 401
    /// leads to Basic credentials or a Bearer token for the scope, then the same request again.
    /// A second 401 (or 403) is [`HubError::Unauthorized`]. `retried` sends under the retry
    /// policy (API calls); otherwise one attempt (a blob stream, whose caller resumes).
    #[expect(
        clippy::too_many_arguments,
        reason = "one request's parts, passed straight through"
    )]
    async fn request(
        &self,
        access: Access,
        repository: &str,
        method: Method,
        url: &Url,
        range_from: Option<u64>,
        headers: &[(&str, &str)],
        body: Option<(String, Vec<u8>)>,
        retried: bool,
    ) -> Result<Response, HubError> {
        let scope = Self::scope(repository, access);
        let mut challenged = false;
        loop {
            let token = self.authorization(&scope);
            let options = RequestOptions {
                headers,
                authorization: token.as_ref().map(|t| (t, &self.base)),
            };
            let resp = if retried {
                self.http
                    .send_with(method.clone(), url, range_from, body.clone(), options)
                    .await?
            } else {
                self.http
                    .send_once_with_options(method.clone(), url, range_from, body.clone(), options)
                    .await?
            };
            match resp.status() {
                StatusCode::UNAUTHORIZED if !challenged => {
                    challenged = true;
                    let challenge = resp
                        .headers()
                        .get(reqwest::header::WWW_AUTHENTICATE)
                        .and_then(|v| v.to_str().ok())
                        .and_then(parse_challenge)
                        .ok_or_else(|| self.unauthorized(repository))?;
                    self.authenticate(repository, &scope, &challenge).await?;
                }
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                    return Err(self.unauthorized(repository));
                }
                _ => return Ok(resp),
            }
        }
    }

    /// Answers a challenge: remembers that Basic is wanted, or fetches a Bearer token for
    /// `scope` from the realm the registry named (with the credential, if any: a realm gets
    /// it because the registry named it, as docker and oras send it).
    async fn authenticate(
        &self,
        repository: &str,
        scope: &str,
        challenge: &Challenge,
    ) -> Result<(), HubError> {
        match challenge.scheme.as_str() {
            "basic" => {
                if !matches!(self.credential, Some(Credential::Basic { .. })) {
                    return Err(self.unauthorized(repository));
                }
                if let Ok(mut state) = self.auth.lock() {
                    state.basic = true;
                }
                Ok(())
            }
            "bearer" => {
                let token = self.fetch_token(repository, scope, challenge).await?;
                if let Ok(mut state) = self.auth.lock() {
                    state.bearer.insert(scope.to_owned(), token);
                }
                Ok(())
            }
            _ => Err(self.unauthorized(repository)),
        }
    }

    /// The registry token flow: `GET realm?service=…&scope=…` (Basic credentials, or none for
    /// anonymous access), or for an identity token the OAuth2 `POST` with `grant_type=refresh_token`.
    async fn fetch_token(
        &self,
        repository: &str,
        scope: &str,
        challenge: &Challenge,
    ) -> Result<Token, HubError> {
        let realm_text = challenge.params.get("realm").ok_or_else(|| HubError::Malformed {
            url: redact(&self.base),
            detail: "a Bearer challenge without a realm".into(),
        })?;
        let mut realm = Url::parse(realm_text).map_err(|e| HubError::Malformed {
            url: redact(&self.base),
            detail: format!("the token realm is not a URL: {e}"),
        })?;
        // Credentials go over plain HTTP only to where the registry itself is reached over it:
        // a plain-HTTP realm must be the registry's own host (a registry on this machine, or
        // one the user named insecure), never a host elsewhere on the network.
        let same_host = realm.host_str() == self.base.host_str();
        if realm.scheme() != "https"
            && !(realm.scheme() == "http" && self.base.scheme() == "http" && same_host)
        {
            return Err(HubError::Malformed {
                url: redact(&self.base),
                detail: format!("the token realm {} is not HTTPS", redact(&realm)),
            });
        }
        let service = challenge.params.get("service");
        let resp = match &self.credential {
            Some(Credential::IdentityToken(refresh)) => {
                // The form is finished before the request is awaited (its serializer is not `Send`).
                let body = {
                    let mut form = form_urlencoded::Serializer::new(String::new());
                    form.append_pair("grant_type", "refresh_token")
                        .append_pair("refresh_token", refresh)
                        .append_pair("client_id", "hubsign")
                        .append_pair("scope", scope);
                    if let Some(service) = service {
                        form.append_pair("service", service);
                    }
                    form.finish().into_bytes()
                };
                self.http
                    .send_with(
                        Method::POST,
                        &realm,
                        None,
                        Some(("application/x-www-form-urlencoded".to_owned(), body)),
                        RequestOptions::default(),
                    )
                    .await?
            }
            credential => {
                {
                    let mut query = realm.query_pairs_mut();
                    if let Some(service) = service {
                        query.append_pair("service", service);
                    }
                    query.append_pair("scope", scope);
                }
                let basic = match credential {
                    Some(Credential::Basic { username, password }) => Some(Token::basic(username, password)),
                    _ => None,
                };
                let options = RequestOptions {
                    headers: &[],
                    authorization: basic.as_ref().map(|t| (t, &realm)),
                };
                self.http
                    .send_with(Method::GET, &realm, None, None, options)
                    .await?
            }
        };
        if matches!(resp.status(), StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
            return Err(self.unauthorized(repository));
        }
        if !resp.status().is_success() {
            return Err(http::status_error(&resp));
        }
        let url = redact(resp.url());
        let body = read_body(resp, MAX_TOKEN_ANSWER).await?;
        let answer: serde_json::Value = serde_json::from_slice(&body).map_err(|_| HubError::Malformed {
            url: url.clone(),
            detail: "the token answer is not JSON".into(),
        })?;
        let token = ["token", "access_token"]
            .iter()
            .find_map(|k| answer.get(*k).and_then(|v| v.as_str()).filter(|t| !t.is_empty()))
            .ok_or_else(|| HubError::Malformed {
                url,
                detail: "the token answer has no token".into(),
            })?;
        Ok(Token::new(token))
    }

    /// The manifest or index `reference` (a tag or a digest) of `repository`, its bytes checked:
    /// for a digest, they must hash to it; for a tag, to the `Docker-Content-Digest` the
    /// registry announced, if any. More than [`MAX_MANIFEST_BYTES`] is refused unread.
    pub async fn manifest(&self, repository: &str, reference: &str) -> Result<FetchedManifest, HubError> {
        check_repository(repository)?;
        check_reference(reference)?;
        let url = self.url(&format!("/v2/{repository}/manifests/{reference}"))?;
        let resp = self
            .request(
                Access::Pull,
                repository,
                Method::GET,
                &url,
                None,
                &[("Accept", MANIFEST_ACCEPT)],
                None,
                true,
            )
            .await?;
        if resp.status() == StatusCode::NOT_FOUND {
            return Err(HubError::RevisionNotFound {
                repo: format!("{}/{repository}", self.host),
                revision: reference.to_owned(),
            });
        }
        if !resp.status().is_success() {
            return Err(http::status_error(&resp));
        }
        let content_type = http::header(resp.headers(), "content-type");
        let announced = http::header(resp.headers(), "docker-content-digest");
        let bytes = read_body(resp, MAX_MANIFEST_BYTES).await?;
        let digest = digest_of(&bytes);
        let what = || format!("manifest {reference} of {}/{repository}", self.host);
        let expected = if reference.starts_with("sha256:") {
            Some(reference.to_owned())
        } else {
            announced.filter(|d| d.starts_with("sha256:"))
        };
        if let Some(expected) = expected {
            if expected != digest {
                return Err(HubError::DigestMismatch {
                    what: what(),
                    expected,
                    actual: digest,
                });
            }
        }
        let media_type = content_type
            .as_deref()
            .map(bare_media_type)
            .filter(|t| [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST].contains(t))
            .map(str::to_owned)
            .or_else(|| {
                serde_json::from_slice::<serde_json::Value>(&bytes)
                    .ok()?
                    .get("mediaType")?
                    .as_str()
                    .map(str::to_owned)
            })
            .ok_or_else(|| HubError::Malformed {
                url: redact(&url),
                detail: "the manifest names no media type the registry or the document vouches for".into(),
            })?;
        Ok(FetchedManifest {
            bytes,
            digest,
            media_type,
        })
    }

    /// A blob's bytes from byte `from` (a `Range` request when `from > 0`: the caller checks
    /// [`ByteStream::check_range`]). One attempt: the caller's transfer loop retries and
    /// resumes. Redirects to storage elsewhere are followed without credentials.
    pub async fn blob(&self, repository: &str, digest: &str, from: u64) -> Result<ByteStream, HubError> {
        check_repository(repository)?;
        check_digest(digest)?;
        let url = self.url(&format!("/v2/{repository}/blobs/{digest}"))?;
        let resp = self
            .request(
                Access::Pull,
                repository,
                Method::GET,
                &url,
                (from > 0).then_some(from),
                &[],
                None,
                false,
            )
            .await?;
        self.blob_answer(repository, digest, resp)
    }

    fn blob_answer(&self, repository: &str, digest: &str, resp: Response) -> Result<ByteStream, HubError> {
        match resp.status() {
            StatusCode::OK | StatusCode::PARTIAL_CONTENT => Ok(ByteStream::from_response(resp)),
            StatusCode::NOT_FOUND => Err(HubError::BlobNotFound {
                repository: format!("{}/{repository}", self.host),
                digest: digest.to_owned(),
            }),
            _ => Err(http::status_error(&resp)),
        }
    }

    /// A whole blob of at most `limit` bytes, its digest checked.
    pub async fn blob_bytes(&self, repository: &str, digest: &str, limit: u64) -> Result<Vec<u8>, HubError> {
        check_repository(repository)?;
        check_digest(digest)?;
        let url = self.url(&format!("/v2/{repository}/blobs/{digest}"))?;
        let resp = self
            .request(Access::Pull, repository, Method::GET, &url, None, &[], None, true)
            .await?;
        if resp.status() == StatusCode::NOT_FOUND {
            return Err(HubError::BlobNotFound {
                repository: format!("{}/{repository}", self.host),
                digest: digest.to_owned(),
            });
        }
        if !resp.status().is_success() {
            return Err(http::status_error(&resp));
        }
        let bytes = read_body(resp, limit).await?;
        let actual = digest_of(&bytes);
        if actual != digest {
            return Err(HubError::DigestMismatch {
                what: format!("blob of {}/{repository}", self.host),
                expected: digest.to_owned(),
                actual,
            });
        }
        Ok(bytes)
    }

    /// Whether `repository` holds the blob `digest`.
    pub async fn has_blob(&self, repository: &str, digest: &str) -> Result<bool, HubError> {
        self.has_blob_for(repository, digest, Access::Pull).await
    }

    async fn has_blob_for(&self, repository: &str, digest: &str, access: Access) -> Result<bool, HubError> {
        check_repository(repository)?;
        check_digest(digest)?;
        let url = self.url(&format!("/v2/{repository}/blobs/{digest}"))?;
        let resp = self
            .request(access, repository, Method::HEAD, &url, None, &[], None, true)
            .await?;
        match resp.status() {
            s if s.is_success() => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            _ => Err(http::status_error(&resp)),
        }
    }

    /// Uploads a blob of `size` bytes named `digest`, unless the repository has it already:
    /// `POST` an upload, then one `PUT ?digest=` with the content (a file streamed from disk).
    /// The registry checks the digest; a failed attempt starts a fresh upload under the retry
    /// policy.
    pub async fn push_blob(
        &self,
        repository: &str,
        source: BlobSource,
        digest: &str,
        size: u64,
    ) -> Result<(), HubError> {
        check_repository(repository)?;
        check_digest(digest)?;
        if self.has_blob_for(repository, digest, Access::Push).await? {
            return Ok(());
        }
        if let BlobSource::File(path) = &source {
            // The registry would refuse a short body only after it was sent; a file that
            // changed since its size was taken is the caller's error, named here.
            let len = fs_err::tokio::metadata(path)
                .await
                .map_err(|source| HubError::ReadLocal {
                    path: path.clone(),
                    source,
                })?
                .len();
            if len != size {
                return Err(HubError::ReadLocal {
                    path: path.clone(),
                    source: std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("{len} bytes, expected {size} (changed since it was listed?)"),
                    ),
                });
            }
        }
        let mut budget = self.http.retry.budget(0);
        loop {
            let result = self.upload_once(repository, &source, digest, size).await;
            match result {
                Err(e) if e.is_transient() => match budget.failed(0, e.retry_after()) {
                    Some(wait) => tokio::time::sleep(wait).await,
                    None => return Err(e),
                },
                other => return other,
            }
        }
    }

    async fn upload_once(
        &self,
        repository: &str,
        source: &BlobSource,
        digest: &str,
        size: u64,
    ) -> Result<(), HubError> {
        let start = self.url(&format!("/v2/{repository}/blobs/uploads/"))?;
        let resp = self
            .request(
                Access::Push,
                repository,
                Method::POST,
                &start,
                None,
                &[],
                Some(("application/octet-stream".to_owned(), Vec::new())),
                false,
            )
            .await?;
        if resp.status() != StatusCode::ACCEPTED {
            return Err(http::status_error(&resp));
        }
        let location = http::header(resp.headers(), "location").ok_or_else(|| HubError::Malformed {
            url: redact(&start),
            detail: "an upload without a Location".into(),
        })?;
        let mut put = start.join(&location).map_err(|e| HubError::Malformed {
            url: redact(&start),
            detail: format!("the upload Location is not a URL: {e}"),
        })?;
        put.query_pairs_mut().append_pair("digest", digest);
        let token = self.authorization(&Self::scope(repository, Access::Push));
        let options = RequestOptions {
            headers: &[],
            authorization: token.as_ref().map(|t| (t, &self.base)),
        };
        let resp = match source {
            BlobSource::Bytes(bytes) => {
                self.http
                    .send_once_with_options(
                        Method::PUT,
                        &put,
                        None,
                        Some(("application/octet-stream".to_owned(), bytes.to_vec())),
                        options,
                    )
                    .await?
            }
            BlobSource::File(path) => {
                let headers = [("Content-Type".to_owned(), "application/octet-stream".to_owned())];
                self.http
                    .put_once_with(&put, Some((path, 0, size)), &headers, options)
                    .await?
            }
        };
        match resp.status() {
            StatusCode::CREATED => {}
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => return Err(self.unauthorized(repository)),
            _ => return Err(http::status_error(&resp)),
        }
        if let Some(announced) = http::header(resp.headers(), "docker-content-digest") {
            if announced != digest {
                return Err(HubError::DigestMismatch {
                    what: format!("blob uploaded to {}/{repository}", self.host),
                    expected: digest.to_owned(),
                    actual: announced,
                });
            }
        }
        Ok(())
    }

    /// Publishes `bytes` as manifest `reference` (a tag, or the digest of `bytes`); returns the
    /// digest of the bytes sent, after checking the registry's `Docker-Content-Digest` if given.
    pub async fn push_manifest(
        &self,
        repository: &str,
        reference: &str,
        bytes: &[u8],
        media_type: &str,
    ) -> Result<String, HubError> {
        check_repository(repository)?;
        check_reference(reference)?;
        let digest = digest_of(bytes);
        let what = || format!("manifest {reference} for {}/{repository}", self.host);
        if reference.starts_with("sha256:") && reference != digest {
            return Err(HubError::DigestMismatch {
                what: what(),
                expected: reference.to_owned(),
                actual: digest,
            });
        }
        let url = self.url(&format!("/v2/{repository}/manifests/{reference}"))?;
        if bytes.len() as u64 > MAX_MANIFEST_BYTES {
            return Err(HubError::TooLarge {
                url: redact(&url),
                limit: MAX_MANIFEST_BYTES,
            });
        }
        let resp = self
            .request(
                Access::Push,
                repository,
                Method::PUT,
                &url,
                None,
                &[],
                Some((media_type.to_owned(), bytes.to_vec())),
                true,
            )
            .await?;
        if resp.status() != StatusCode::CREATED && !resp.status().is_success() {
            return Err(http::status_error(&resp));
        }
        if let Some(announced) = http::header(resp.headers(), "docker-content-digest") {
            if announced != digest {
                return Err(HubError::DigestMismatch {
                    what: what(),
                    expected: digest,
                    actual: announced,
                });
            }
        }
        Ok(digest)
    }

    /// The manifests whose `subject` is `digest` (the referrers API, first page), filtered by
    /// `artifact_type` here too (a registry may ignore the filter). `None` when the registry
    /// has no referrers API (404, or an answer that is not an index).
    pub async fn referrers(
        &self,
        repository: &str,
        digest: &str,
        artifact_type: Option<&str>,
    ) -> Result<Option<Vec<Descriptor>>, HubError> {
        check_repository(repository)?;
        check_digest(digest)?;
        let mut url = self.url(&format!("/v2/{repository}/referrers/{digest}"))?;
        if let Some(t) = artifact_type {
            url.query_pairs_mut().append_pair("artifactType", t);
        }
        let resp = self
            .request(
                Access::Pull,
                repository,
                Method::GET,
                &url,
                None,
                &[("Accept", OCI_INDEX)],
                None,
                true,
            )
            .await?;
        if resp.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !resp.status().is_success() {
            return Err(http::status_error(&resp));
        }
        let content_type = http::header(resp.headers(), "content-type");
        let bytes = read_body(resp, MAX_MANIFEST_BYTES).await?;
        let Ok(index) = serde_json::from_slice::<ImageIndex>(&bytes) else {
            return Ok(None);
        };
        let is_index = index.media_type.as_deref() == Some(OCI_INDEX)
            || content_type.as_deref().map(bare_media_type) == Some(OCI_INDEX);
        if !is_index || index.schema_version != 2 {
            return Ok(None);
        }
        if index.manifests.len() > MAX_REFERRERS {
            return Err(HubError::Malformed {
                url: redact(&url),
                detail: format!("more than {MAX_REFERRERS} referrers listed"),
            });
        }
        Ok(Some(
            index
                .manifests
                .into_iter()
                .filter(|d| artifact_type.is_none_or(|t| d.artifact_type.as_deref() == Some(t)))
                .collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::{check_reference, check_repository, parse_challenge};

    #[test]
    fn challenges_parse_with_quoted_commas() {
        let c = parse_challenge(
            r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push""#,
        )
        .unwrap();
        assert_eq!(c.scheme, "bearer");
        assert_eq!(c.params["realm"], "https://auth.example/token");
        assert_eq!(c.params["service"], "registry.example");
        assert_eq!(c.params["scope"], "repository:a/b:pull,push");
        let c = parse_challenge(r#"Basic realm="basic-realm""#).unwrap();
        assert_eq!(c.scheme, "basic");
        assert_eq!(c.params["realm"], "basic-realm");
        let c = parse_challenge("Bearer realm=https://x/t, service=s").unwrap();
        assert_eq!(c.params["realm"], "https://x/t");
        assert_eq!(c.params["service"], "s");
        assert!(parse_challenge(r#"Bearer realm="unterminated"#).is_none());
    }

    #[test]
    fn names_that_could_change_a_url_are_refused() {
        for good in ["a", "library/ubuntu", "a.b_c-d/e__f", "x1/y--z"] {
            check_repository(good).unwrap();
        }
        for bad in [
            "", "A", "a/../b", "a//b", "/a", "a/", "a?b", "a#b", "a%2f", ".a", "a-", "a/b/..",
        ] {
            assert!(check_repository(bad).is_err(), "{bad}");
        }
        for good in [
            "latest",
            "v1.0",
            "_x",
            &"a".repeat(128),
            &format!("sha256:{}", "0".repeat(64)),
        ] {
            check_reference(good).unwrap();
        }
        for bad in [
            "",
            "-x",
            ".x",
            "a/b",
            "a?b",
            &"a".repeat(129),
            "sha256:abc",
            "sha512:00",
        ] {
            assert!(check_reference(bad).is_err(), "{bad}");
        }
    }
}

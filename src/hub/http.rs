//! The one HTTP client every hub call goes through: retries under the one [`RetryPolicy`] on
//! 429/5xx and dropped connections, manual redirects so the token is sent to the hub's own origin only
//! (never to a CDN after a redirect), and a token that never appears in `Debug` output.

use super::HubError;
use super::retry::{RetryBudget, retry_after};
use reqwest::header::{AUTHORIZATION, HeaderMap, LOCATION, RANGE};
use reqwest::{Method, Response, StatusCode, Url};
use std::fmt;
use std::time::{Duration, SystemTime};

/// An access token (the whole `Authorization` value); `Debug` and `Display` never show it.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    /// A bearer token (Hugging Face tokens, Kaggle API tokens).
    pub fn new(t: impl AsRef<str>) -> Self {
        Self(format!("Bearer {}", t.as_ref()))
    }

    /// HTTP Basic credentials (Kaggle's legacy username + key).
    pub fn basic(user: &str, key: &str) -> Self {
        use base64::Engine as _;
        let pair = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{key}"));
        Self(format!("Basic {pair}"))
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

pub use super::retry::RetryPolicy;

/// What one request adds to the client's defaults: extra headers, and an `Authorization` of
/// its own (a registry's per-repository token, or credentials for the token endpoint the
/// registry named) sent only to the origin of the URL it is paired with, never to a redirect
/// target elsewhere.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestOptions<'a> {
    pub headers: &'a [(&'a str, &'a str)],
    /// The credential and the URL whose origin may receive it; replaces the client's token.
    pub authorization: Option<(&'a Token, &'a Url)>,
}

#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    endpoint: Url,
    token: Option<Token>,
    pub retry: RetryPolicy,
}

const MAX_REDIRECTS: usize = 5;

/// How long one API request (JSON, not a file stream) may take in all, body included: the
/// read timeout alone restarts with every byte, so a hub trickling an answer could hold a pull
/// for ever.
pub const API_DEADLINE: Duration = Duration::from_secs(300);

/// The most bytes any JSON answer (a tree page, repo info, an LFS batch or commit answer) may
/// hold. The Hub pages tree listings at 1,000 entries (a few hundred KiB); 32 MiB is far above
/// any honest answer and bounds what a hostile hub can make us buffer.
pub const MAX_JSON_BYTES: u64 = 32 << 20;

/// Reads a whole answer body, refusing more than `limit` bytes: the declared `Content-Length`
/// first, then while streaming (a body without a length, or one longer than it said), so memory
/// stays bounded whatever the hub sends.
pub async fn read_body(mut resp: Response, limit: u64) -> Result<Vec<u8>, HubError> {
    let url = resp.url().clone();
    let too_large = || HubError::TooLarge {
        url: redact(&url),
        limit,
    };
    if resp.content_length().is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut out = Vec::with_capacity(usize::try_from(resp.content_length().unwrap_or(0)).unwrap_or(0));
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|source| HubError::network(&url, source))?
    {
        if (out.len() + chunk.len()) as u64 > limit {
            return Err(too_large());
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

fn retryable(status: StatusCode) -> bool {
    is_transient(status.as_u16())
}

/// The statuses worth trying again (timeouts, rate limits, server errors).
pub fn is_transient(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

impl HttpClient {
    pub fn new(endpoint: &str, token: Option<Token>, retry: RetryPolicy) -> Result<Self, HubError> {
        Self::with_roots(endpoint, token, retry, &[])
    }

    /// A client that also trusts the CA certificates `roots` (PEM), beside the built-in roots:
    /// a registry behind a private CA (containers' `certs.d`).
    pub fn with_roots(
        endpoint: &str,
        token: Option<Token>,
        retry: RetryPolicy,
        roots: &[reqwest::Certificate],
    ) -> Result<Self, HubError> {
        let endpoint = Url::parse(endpoint.trim_end_matches('/')).map_err(|e| {
            HubError::from(crate::reference::ReferenceError::BadReference {
                reference: endpoint.to_owned(),
                reason: format!("not a URL: {e}"),
            })
        })?;
        // Connections are pooled (reqwest keeps idle ones per host) and HTTP/2 is negotiated
        // by ALPN where the hub offers it, so the many small-file streams of a pull share
        // connections instead of each paying for a handshake.
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("hubsign/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(15))
            .read_timeout(retry.read_timeout);
        for root in roots {
            builder = builder.add_root_certificate(root.clone());
        }
        let client = builder
            .build()
            .map_err(|source| HubError::network(&endpoint, source))?;
        Ok(Self {
            client,
            endpoint,
            token,
            retry,
        })
    }

    /// `endpoint` + `path` (path already percent-encoded).
    pub fn url(&self, path: &str) -> Result<Url, HubError> {
        let base = self.endpoint.as_str().trim_end_matches('/');
        Url::parse(&format!("{base}{path}")).map_err(|e| HubError::Malformed {
            url: format!("{base}{path}"),
            detail: e.to_string(),
        })
    }

    fn same_origin(&self, url: &Url) -> bool {
        url.origin() == self.endpoint.origin()
    }

    /// The `Authorization` value `url` may receive: the request's own credential on its own
    /// origin, else the client's token on the hub's origin, else none.
    fn authorization_for<'a>(&'a self, url: &Url, options: &RequestOptions<'a>) -> Option<&'a Token> {
        match options.authorization {
            Some((token, origin)) => (url.origin() == origin.origin()).then_some(token),
            None => self.token.as_ref().filter(|_| self.same_origin(url)),
        }
    }

    /// One request, following redirects by hand; the token goes only to the hub's origin.
    async fn once(
        &self,
        method: &Method,
        url: &Url,
        range_from: Option<u64>,
        body: Option<&(String, Vec<u8>)>,
        deadline: Option<Duration>,
    ) -> Result<Response, HubError> {
        self.once_with(method, url, range_from, body, deadline, RequestOptions::default())
            .await
    }

    /// [`Self::once`] with per-request headers and credential.
    async fn once_with(
        &self,
        method: &Method,
        url: &Url,
        range_from: Option<u64>,
        body: Option<&(String, Vec<u8>)>,
        deadline: Option<Duration>,
        options: RequestOptions<'_>,
    ) -> Result<Response, HubError> {
        let mut url = url.clone();
        // After a 301/302/303 the request goes on as a GET without its body, as browsers and
        // Python's `requests` do (Kaggle answers a download POST with a 302 to the file).
        let mut as_get = false;
        for _ in 0..=MAX_REDIRECTS {
            let m = if as_get { Method::GET } else { method.clone() };
            let mut req = self.client.request(m, url.clone());
            if let Some(d) = deadline {
                req = req.timeout(d);
            }
            if let Some(t) = self.authorization_for(&url, &options) {
                req = req.header(AUTHORIZATION, t.0.as_str());
            }
            for (name, value) in options.headers {
                req = req.header(*name, *value);
            }
            if let Some(from) = range_from {
                req = req.header(RANGE, format!("bytes={from}-"));
            }
            if let (Some((content_type, bytes)), false) = (body, as_get) {
                req = req
                    .header(reqwest::header::CONTENT_TYPE, content_type.as_str())
                    .body(bytes.clone());
            }
            let resp = req
                .send()
                .await
                .map_err(|source| HubError::network(&url, source))?;
            if resp.status().is_redirection() {
                as_get |= matches!(resp.status().as_u16(), 301..=303) && *method != Method::HEAD;
                let loc = resp
                    .headers()
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| HubError::Malformed {
                        url: redact(&url),
                        detail: "redirect without Location".into(),
                    })?;
                url = url.join(loc).map_err(|e| HubError::Malformed {
                    url: redact(&url),
                    detail: e.to_string(),
                })?;
                continue;
            }
            return Ok(resp);
        }
        Err(HubError::Malformed {
            url: redact(&url),
            detail: "too many redirects".into(),
        })
    }

    /// One attempt, no retries: for file streams, whose one retry loop (with resumption) is
    /// the transfer's (`pull::transfer::Resumable`), so a file never costs attempts² requests.
    pub async fn send_once(
        &self,
        method: Method,
        url: &Url,
        range_from: Option<u64>,
    ) -> Result<Response, HubError> {
        self.once(&method, url, range_from, None, None).await
    }

    /// One attempt with a body (a JSON request whose answer is a file stream), no retries.
    pub async fn send_once_with(
        &self,
        method: Method,
        url: &Url,
        range_from: Option<u64>,
        body: (String, Vec<u8>),
    ) -> Result<Response, HubError> {
        self.once(&method, url, range_from, Some(&body), None).await
    }

    /// Sends with retries on 429/5xx and network errors. Other statuses are returned as-is.
    pub async fn send(
        &self,
        method: Method,
        url: &Url,
        range_from: Option<u64>,
        body: Option<(String, Vec<u8>)>,
    ) -> Result<Response, HubError> {
        self.send_with(method, url, range_from, body, RequestOptions::default())
            .await
    }

    /// [`Self::send`] with per-request headers and credential (an OCI registry's requests).
    pub async fn send_with(
        &self,
        method: Method,
        url: &Url,
        range_from: Option<u64>,
        body: Option<(String, Vec<u8>)>,
        options: RequestOptions<'_>,
    ) -> Result<Response, HubError> {
        let mut budget = self.retry.budget(0);
        loop {
            let result = self
                .once_with(
                    &method,
                    url,
                    range_from,
                    body.as_ref(),
                    Some(API_DEADLINE),
                    options,
                )
                .await;
            if let Some(wait) = wait_before_retry(&result, &mut budget) {
                tokio::time::sleep(wait).await;
                continue;
            }
            return result;
        }
    }

    /// [`Self::send_once`] with per-request headers and credential, and an optional body: one
    /// attempt without a deadline (a blob stream, or a step of an upload whose caller retries).
    pub async fn send_once_with_options(
        &self,
        method: Method,
        url: &Url,
        range_from: Option<u64>,
        body: Option<(String, Vec<u8>)>,
        options: RequestOptions<'_>,
    ) -> Result<Response, HubError> {
        self.once_with(&method, url, range_from, body.as_ref(), None, options)
            .await
    }

    /// POSTs a JSON document (with retries); returns the status and the parsed answer (`Null`
    /// when the body is not JSON).
    pub async fn post_json(
        &self,
        url: &Url,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<(StatusCode, HeaderMap, serde_json::Value), HubError> {
        let resp = self
            .send(Method::POST, url, None, Some((content_type.to_owned(), body)))
            .await?;
        Self::json_answer(resp).await
    }

    /// POSTs once, without retries: for requests that must not be repeated (a commit the hub
    /// may have applied before the connection dropped).
    pub async fn post_json_once(
        &self,
        url: &Url,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<(StatusCode, HeaderMap, serde_json::Value), HubError> {
        let resp = self
            .once(
                &Method::POST,
                url,
                None,
                Some(&(content_type.to_owned(), body)),
                Some(API_DEADLINE),
            )
            .await?;
        Self::json_answer(resp).await
    }

    async fn json_answer(resp: Response) -> Result<(StatusCode, HeaderMap, serde_json::Value), HubError> {
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = read_body(resp, MAX_JSON_BYTES).await?;
        let v = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        Ok((status, headers, v))
    }

    /// PUTs `len` bytes of `path` from `offset`, streamed from disk (memory stays flat), with
    /// retries. The token is only attached if `url` is on the hub's own origin.
    pub async fn put_file_range(
        &self,
        url: &Url,
        path: &std::path::Path,
        offset: u64,
        len: u64,
        headers: &[(String, String)],
    ) -> Result<Response, HubError> {
        let mut budget = self.retry.budget(0);
        loop {
            let result = self.put_once(url, Some((path, offset, len)), headers).await;
            if let Some(wait) = wait_before_retry(&result, &mut budget) {
                tokio::time::sleep(wait).await;
                continue;
            }
            return result;
        }
    }

    /// One PUT of `len` bytes of a file from `offset` (streamed from disk), or of an empty body;
    /// no retries (a resumable upload asks the server how far it got instead). The token is
    /// only attached if `url` is on the hub's own origin.
    pub async fn put_once(
        &self,
        url: &Url,
        content: Option<(&std::path::Path, u64, u64)>,
        headers: &[(String, String)],
    ) -> Result<Response, HubError> {
        self.put_once_with(url, content, headers, RequestOptions::default())
            .await
    }

    /// [`Self::put_once`] with a per-request credential (an OCI blob upload); redirects are
    /// not followed (a streamed body cannot be sent twice).
    pub async fn put_once_with(
        &self,
        url: &Url,
        content: Option<(&std::path::Path, u64, u64)>,
        headers: &[(String, String)],
        options: RequestOptions<'_>,
    ) -> Result<Response, HubError> {
        use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};
        let mut req = self.client.put(url.clone());
        if let Some((path, offset, len)) = content {
            let read_err = |source| HubError::ReadLocal {
                path: path.to_path_buf(),
                source,
            };
            let mut file = fs_err::tokio::File::open(path).await.map_err(read_err)?;
            file.seek(std::io::SeekFrom::Start(offset))
                .await
                .map_err(read_err)?;
            let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::with_capacity(
                file.take(len),
                256 << 10,
            ));
            req = req.header(reqwest::header::CONTENT_LENGTH, len).body(body);
        } else {
            req = req.header(reqwest::header::CONTENT_LENGTH, 0).body(Vec::new());
        }
        for (k, v) in headers {
            req = req.header(k.as_str(), v.as_str());
        }
        for (name, value) in options.headers {
            req = req.header(*name, *value);
        }
        if let Some(t) = self.authorization_for(url, &options) {
            req = req.header(AUTHORIZATION, t.0.as_str());
        }
        req.send().await.map_err(|source| HubError::network(url, source))
    }
}

/// How long to wait before sending `result`'s request again (a retryable status, for as long
/// as its `Retry-After` asks, or a transient failure such as a dropped connection), or `None`
/// to return it as it is (a definite answer, or the budget spent).
fn wait_before_retry(result: &Result<Response, HubError>, budget: &mut RetryBudget) -> Option<Duration> {
    match result {
        Ok(resp) if retryable(resp.status()) => {
            budget.failed(0, retry_after(resp.headers(), SystemTime::now()))
        }
        Ok(_) => None,
        Err(e) => e.is_transient().then(|| budget.failed(0, None)).flatten(),
    }
}

/// A URL for messages: no query string (signed CDN URLs carry credentials there), no user
/// or password.
pub fn redact(url: &Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.set_fragment(None);
    let _ = u.set_password(None);
    let _ = u.set_username("");
    u.to_string()
}

pub fn status_error(resp: &Response) -> HubError {
    let message =
        header(resp.headers(), "x-error-message").or_else(|| header(resp.headers(), "x-error-code"));
    HubError::Status {
        status: resp.status().as_u16(),
        url: redact(resp.url()),
        message,
        retry_after: retry_after(resp.headers(), SystemTime::now()),
    }
}

pub fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

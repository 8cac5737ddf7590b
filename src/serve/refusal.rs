//! Answers other than success, as data: status, `X-Error-Code`, the reason, and what the
//! mirror does next ([`Remedy`]). Every module of the mirror may refuse; this one depends on
//! none of them, so the arrows between the request path (`answer`), the snapshots and the
//! single-flight (`flight`) all point here. It never decides: callers pick the refusal.

use super::Verdict;
use crate::reference::ModelRef;
use crate::{Error, ExitStatus};
use axum::body::Body;
use axum::http::{HeaderValue, Response, StatusCode};
use serde_json::json;
use std::error::Error as _;

/// The `X-Error-Code` of a refusal. `huggingface_hub` maps no specific exception to it, so a
/// 403 with it raises an `HfHubHTTPError` whose text carries `X-Error-Message`.
pub const REFUSED_CODE: &str = "HubsignRefused";

/// An answer other than success: status, error code and the reason, as data.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub status: u16,
    pub code: Option<&'static str>,
    pub message: String,
    pub verdict: Verdict,
    /// What the mirror does about the snapshot the answer came from.
    pub remedy: Remedy,
    /// Seconds after which the client may retry (503 answers).
    pub retry_after: Option<u32>,
    /// Why the mirror failed, for its own log only (never sent to the client).
    pub cause: Option<String>,
}

/// What a refusal asks of the mirror besides the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remedy {
    /// Nothing: the answer is all.
    None,
    /// The snapshot's verified copy of a file no longer looks as verified (tampering, or
    /// another replica committing the same commit replaced a blob with its own verified copy):
    /// the registry forgets the snapshot and the next request verifies the commit again.
    VerifyAgain,
}

impl Refusal {
    fn new(status: u16, code: Option<&'static str>, message: &str, verdict: Verdict) -> Self {
        Self {
            status,
            code,
            message: message.to_owned(),
            verdict,
            remedy: Remedy::None,
            retry_after: None,
            cause: None,
        }
    }

    pub fn refused(message: &str) -> Self {
        Self::new(403, Some(REFUSED_CODE), message, Verdict::Refused)
    }

    pub fn unauthorized() -> Self {
        Self::new(
            401,
            None,
            "this mirror needs a valid bearer token (Authorization: Bearer ...)",
            Verdict::Unauthorized,
        )
    }

    pub fn bad_request(message: &str) -> Self {
        Self::new(400, None, message, Verdict::NotFound)
    }

    pub fn not_found(message: &str) -> Self {
        Self::new(404, None, message, Verdict::NotFound)
    }

    pub fn coded(status: u16, code: &'static str, message: &str) -> Self {
        Self::new(status, Some(code), message, Verdict::NotFound)
    }

    pub fn upstream(message: &str) -> Self {
        Self::new(502, None, message, Verdict::Error)
    }

    pub fn internal(message: &str) -> Self {
        Self::new(500, None, message, Verdict::Error)
    }

    /// 500: the HTTP builder refused an answer (a header value it cannot carry). Never an
    /// empty 200: the client learns the mirror failed, the mirror's log learns why.
    pub fn unbuilt(cause: &axum::http::Error) -> Self {
        Self {
            cause: Some(format!("cannot build the answer: {cause}")),
            ..Self::internal("hubsign mirror could not build its answer; the mirror's log says why")
        }
    }

    /// 500: the verified copy of a file changed on disk; the snapshot is verified again.
    pub fn stale(message: &str) -> Self {
        Self {
            remedy: Remedy::VerifyAgain,
            ..Self::internal(message)
        }
    }

    /// 503: too many verified pulls in flight; `Retry-After` tells the client when to retry.
    pub fn busy(message: &str, retry_after: u32) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::new(503, None, message, Verdict::Error)
        }
    }

    /// How a failed pull is answered: a definite "no" (unsigned, does not verify) is a 403 with
    /// the reason; anything else (upstream down, cache unwritable) a 5xx without a verdict.
    pub fn from_error(repo: &ModelRef, commit: &str, e: &Error) -> Self {
        let pinned = format!("{}@{commit}", super::policy_name(repo));
        match e {
            Error::SignatureMissing { path, .. } => Self::refused(&format!(
                "hubsign mirror refuses {pinned}: the repository is unsigned (no signature file {path})"
            )),
            // Nobody is trusted to sign it: a decision of the policy, not a failure.
            Error::NoTrustRule { .. } => Self::refused(&format!("hubsign mirror refuses {pinned}: {e}")),
            Error::Hub(crate::hub::HubError::RepoNotFound { .. }) => {
                Self::coded(404, "RepoNotFound", "Repository not found")
            }
            Error::Hub(crate::hub::HubError::RevisionNotFound { .. }) => {
                Self::coded(404, "RevisionNotFound", &format!("Invalid rev id: {commit}"))
            }
            _ if e.exit_status() == ExitStatus::VerificationFailed => Self::refused(&format!(
                "hubsign mirror refuses {pinned}: it does not verify: {}",
                chain(e)
            )),
            Error::Hub(_) => Self::upstream(&format!(
                "hubsign mirror could not fetch {pinned} from upstream: {}",
                chain(e)
            )),
            // The cause (paths of the mirror's own filesystem) goes to the mirror's log only.
            _ => Self::internal(&format!(
                "hubsign mirror could not cache {pinned}; the mirror's log says why"
            )),
        }
    }

    /// The answer to send; the builder's error when a header cannot be carried (the caller
    /// logs it and sends a bare 500 instead).
    pub fn response(&self, commit: Option<&str>) -> Result<Response<Body>, axum::http::Error> {
        let mut b = Response::builder()
            .status(StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
            .header("Content-Type", "application/json; charset=utf-8")
            .header("X-Error-Message", header_text(&self.message));
        if let Some(c) = self.code {
            b = b.header("X-Error-Code", c);
        }
        if let Some(c) = commit {
            b = b.header("X-Repo-Commit", c);
        }
        if let Some(s) = self.retry_after {
            b = b.header("Retry-After", s);
        }
        let body = json!({ "error": self.message }).to_string();
        b.header("Content-Length", body.len()).body(Body::from(body))
    }
}

/// A bare 500, made without the builder so that it cannot fail: the answer when even a
/// refusal could not be built.
pub fn internal_error() -> Response<Body> {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    r
}

/// A built answer, or the 500 [`Refusal::unbuilt`] for the builder's error.
pub fn built(answer: Result<Response<Body>, axum::http::Error>) -> Result<Response<Body>, Refusal> {
    answer.map_err(|e| Refusal::unbuilt(&e))
}

/// An error and its causes on one line.
fn chain(e: &Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// A header-safe rendering: printable ASCII only, bounded.
fn header_text(s: &str) -> HeaderValue {
    let clean: String = s
        .chars()
        .map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '?' })
        .take(2000)
        .collect();
    HeaderValue::from_str(&clean).unwrap_or_else(|_| HeaderValue::from_static("refused"))
}

//! Model hubs: parsing model references and talking to a hub's HTTP API.
//!
//! Everything here is transport: listing, fetching bytes. It never decides trust and never
//! writes into a cache (see `cache` and `pull`).

pub mod http;
pub mod huggingface;

use std::fmt;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HubError {
    #[error("invalid model reference {reference:?}: {reason}")]
    BadReference { reference: String, reason: String },
    /// Exit 2: a revision must be a branch, tag or commit name as git allows them.
    #[error(
        "invalid revision {0:?}: a branch, tag or commit may not contain '..', control characters, spaces or any of ~^:?*[\\, start or end with '/', have an empty or dot-leading component, or end with '.' or '.lock'"
    )]
    BadRevision(String),
    #[error("repository {repo} not found, or it is private and no valid token was given (HF_TOKEN)")]
    RepoNotFound { repo: String },
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
    },
    /// Built only by [`HubError::network`], which strips the URL (and its query, where signed
    /// CDN URLs carry credentials) from both the message and the cause chain.
    #[error("network error talking to {url}")]
    Network {
        url: String,
        #[source]
        source: TransportError,
    },
    #[error("the hub's answer from {url} is malformed: {detail}")]
    Malformed { url: String, detail: String },
    /// Exit 2: a hostile or broken hub; nothing is buffered beyond the limit.
    #[error("the hub's answer from {url} is larger than {limit} bytes; refusing to read more")]
    TooLarge { url: String, limit: u64 },
    /// Exit 2: a listing whose `Link: rel="next"` leads back to a page already read.
    #[error("the hub's listing at {url} pages in a loop (a next link repeats); refusing it")]
    PaginationLoop { url: String },
    #[error(
        "the hub lists an unsafe file name {0:?} (absolute, `..` or empty component); refusing the repository"
    )]
    UnsafePath(String),
    #[error("{path}: received {received} bytes, expected {expected}")]
    Truncated {
        path: String,
        received: u64,
        expected: u64,
    },
    #[error("{path}: gave up after {attempts} attempts")]
    RetriesExhausted {
        path: String,
        attempts: u32,
        #[source]
        source: Box<HubError>,
    },
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
    /// A network error for a request to `url`, redacted (no query, no credentials).
    pub fn network(url: &reqwest::Url, source: reqwest::Error) -> Self {
        Self::Network {
            url: http::redact(url),
            source: source.into(),
        }
    }
}

/// A model on a hub, as the user names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelRef {
    /// `org/name[@revision]` or `hf:org/name[@revision]`.
    HuggingFace {
        repo_id: String,
        revision: Option<String>,
    },
}

impl fmt::Display for ModelRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::HuggingFace {
                repo_id,
                revision: Some(r),
            } => write!(f, "{repo_id}@{r}"),
            Self::HuggingFace {
                repo_id,
                revision: None,
            } => f.write_str(repo_id),
        }
    }
}

fn valid_component(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 96
        && !s.starts_with('.')
        && !s.ends_with('.')
        && !s.contains("..")
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

impl ModelRef {
    /// Parses `org/name`, `hf:org/name`, with an optional `@revision`.
    pub fn parse(reference: &str) -> Result<Self, HubError> {
        let bad = |reason: &str| HubError::BadReference {
            reference: reference.to_owned(),
            reason: reason.to_owned(),
        };
        let rest = reference.strip_prefix("hf:").unwrap_or(reference);
        if rest.starts_with("kaggle:") {
            return Err(bad("Kaggle models are not supported in this version"));
        }
        let (repo, revision) = match rest.split_once('@') {
            Some((r, rev)) if !rev.is_empty() => {
                check_revision(rev)?;
                (r, Some(rev.to_owned()))
            }
            Some(_) => return Err(bad("empty revision after @")),
            None => (rest, None),
        };
        let Some((org, name)) = repo.split_once('/') else {
            return Err(bad("expected ORG/NAME"));
        };
        if !valid_component(org) || !valid_component(name) {
            return Err(bad(
                "ORG and NAME may hold letters, digits, '-', '_' and '.', not '..' or a leading/trailing '.'",
            ));
        }
        Ok(Self::HuggingFace {
            repo_id: repo.to_owned(),
            revision,
        })
    }

    pub fn repo_id(&self) -> &str {
        match self {
            Self::HuggingFace { repo_id, .. } => repo_id,
        }
    }
}

/// Checks a revision as git checks ref names (`git check-ref-format`), so a revision can name a
/// file under `refs/` in a cache and never a path outside it: no `..`, no leading or trailing
/// `/`, no empty component, no component starting with `.` or ending with `.lock`, no control
/// characters, spaces or `~^:?*[\`, no `@{`, not `@`.
pub fn check_revision(rev: &str) -> Result<(), HubError> {
    let ok = !rev.is_empty()
        && rev.len() <= 255
        && rev != "@"
        && !rev.contains("..")
        && !rev.contains("@{")
        && !rev.ends_with('.')
        && rev
            .bytes()
            .all(|b| b > 0x20 && b != 0x7f && !b"~^:?*[\\".contains(&b))
        && rev
            .split('/')
            .all(|c| !c.is_empty() && !c.starts_with('.') && !c.to_ascii_lowercase().ends_with(".lock"));
    if ok {
        Ok(())
    } else {
        Err(HubError::BadRevision(rev.to_owned()))
    }
}

/// Checks a path from a hub listing: relative, `/`-separated, no `..`, `.` or empty component.
pub fn check_remote_path(path: &str) -> Result<(), HubError> {
    let ok = !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && !path.contains('\0')
        && path.split('/').all(|c| !c.is_empty() && c != "." && c != "..");
    if ok {
        Ok(())
    } else {
        Err(HubError::UnsafePath(path.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::{ModelRef, check_remote_path, check_revision};

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
        assert!(ModelRef::parse("org/model@../../../x").is_err());
    }

    #[test]
    fn references() {
        assert_eq!(
            ModelRef::parse("hf:org/model@v1").unwrap(),
            ModelRef::HuggingFace {
                repo_id: "org/model".into(),
                revision: Some("v1".into())
            }
        );
        assert_eq!(ModelRef::parse("org/model").unwrap().repo_id(), "org/model");
        for bad in [
            "model",
            "org/../x",
            "org/model@",
            "/model",
            "org/mo del",
            "a/b/c",
            "org/.hidden",
        ] {
            assert!(ModelRef::parse(bad).is_err(), "{bad}");
        }
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

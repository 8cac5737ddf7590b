//! Model references as users type them: `org/name`, `hf:org/name`, `datasets/org/name` (the
//! Hub's URL form), `hf:datasets/org/name`, each with an optional `@revision`; the repository
//! type can also come from `--repo-type`. Later hubs add their own prefix (`kaggle:`).

use super::{HubError, check_revision};
use std::fmt;

/// Which hub a reference names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HubKind {
    HuggingFace,
}

/// What kind of repository: the Hub serves models and datasets under different URL prefixes
/// and caches them in different folders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RepoType {
    #[default]
    Model,
    Dataset,
}

impl RepoType {
    /// `model` / `dataset`: the `type` of `create_repo`, the `--repo-type` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Model => "model",
            Self::Dataset => "dataset",
        }
    }

    /// `models` / `datasets`: the API path segment (`/api/models/…`) and the cache folder
    /// prefix (`models--org--name`).
    pub fn plural(self) -> &'static str {
        match self {
            Self::Model => "models",
            Self::Dataset => "datasets",
        }
    }

    /// The prefix of web URLs (`/org/name/resolve/…` for models, `/datasets/org/name/…`).
    pub fn url_prefix(self) -> &'static str {
        match self {
            Self::Model => "",
            Self::Dataset => "/datasets",
        }
    }
}

/// A repository on a hub, with the revision the user asked for (if any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelRef {
    pub hub: HubKind,
    pub repo_type: RepoType,
    /// `org/name`.
    pub id: String,
    pub revision: Option<String>,
}

impl fmt::Display for ModelRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.repo_type == RepoType::Dataset {
            f.write_str("datasets/")?;
        }
        f.write_str(&self.id)?;
        if let Some(r) = &self.revision {
            write!(f, "@{r}")?;
        }
        Ok(())
    }
}

fn valid_component(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 96
        && !s.starts_with('.')
        && !s.ends_with('.')
        && !s.contains("..")
        // `--` separates org and name in cache folders: `a--b/c` and `a/b--c` must not share one
        // (huggingface_hub refuses it too).
        && !s.contains("--")
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

impl ModelRef {
    /// Parses a reference; `repo_type` (from `--repo-type`) must agree with a `datasets/`
    /// prefix when both are given. The revision is checked as a git ref name.
    pub fn parse(reference: &str, repo_type: Option<RepoType>) -> Result<Self, HubError> {
        let bad = |reason: &str| HubError::BadReference {
            reference: reference.to_owned(),
            reason: reason.to_owned(),
        };
        let rest = reference.strip_prefix("hf:").unwrap_or(reference);
        if rest.starts_with("kaggle:") {
            return Err(bad("Kaggle models are not supported in this version"));
        }
        let (typed, rest) = if let Some(r) = rest.strip_prefix("datasets/") {
            (Some(RepoType::Dataset), r)
        } else if let Some(r) = rest.strip_prefix("models/") {
            (Some(RepoType::Model), r)
        } else {
            (None, rest)
        };
        let repo_type = match (typed, repo_type) {
            (Some(a), Some(b)) if a != b => {
                return Err(bad(&format!(
                    "the reference names a {} but --repo-type is {}",
                    a.as_str(),
                    b.as_str()
                )));
            }
            (a, b) => a.or(b).unwrap_or_default(),
        };
        let (repo, revision) = match rest.split_once('@') {
            Some((r, rev)) if !rev.is_empty() => {
                check_revision(rev)?;
                (r, Some(rev.to_owned()))
            }
            Some(_) => return Err(bad("empty revision after @")),
            None => (rest, None),
        };
        let Some((org, name)) = repo.split_once('/') else {
            return Err(bad("expected ORG/NAME (or datasets/ORG/NAME)"));
        };
        if !valid_component(org) || !valid_component(name) {
            return Err(bad(
                "ORG and NAME may hold letters, digits, '-', '_' and '.', not '..', '--' or a leading/trailing '.'",
            ));
        }
        Ok(Self {
            hub: HubKind::HuggingFace,
            repo_type,
            id: repo.to_owned(),
            revision,
        })
    }

    /// `org/name`.
    pub fn repo_id(&self) -> &str {
        &self.id
    }
}

#[cfg(test)]
mod tests {
    use super::{HubKind, ModelRef, RepoType};

    #[test]
    fn references() {
        assert_eq!(
            ModelRef::parse("hf:org/model@v1", None).unwrap(),
            ModelRef {
                hub: HubKind::HuggingFace,
                repo_type: RepoType::Model,
                id: "org/model".into(),
                revision: Some("v1".into())
            }
        );
        assert_eq!(ModelRef::parse("org/model", None).unwrap().repo_id(), "org/model");
        for bad in [
            "model",
            "org/../x",
            "org/model@",
            "/model",
            "org/mo del",
            "a/b/c",
            "org/.hidden",
            "datasets/x",
            "org/model@../../x",
            "a--b/c",
            "a/b--c",
        ] {
            assert!(ModelRef::parse(bad, None).is_err(), "{bad}");
        }
    }

    #[test]
    fn dataset_references() {
        for (text, flag) in [
            ("datasets/org/data", None),
            ("hf:datasets/org/data", None),
            ("org/data", Some(RepoType::Dataset)),
            ("datasets/org/data", Some(RepoType::Dataset)),
        ] {
            let r = ModelRef::parse(text, flag).unwrap();
            assert_eq!(
                (r.repo_type, r.id.as_str()),
                (RepoType::Dataset, "org/data"),
                "{text}"
            );
            assert_eq!(r.to_string(), "datasets/org/data");
        }
        assert_eq!(
            ModelRef::parse("models/org/m", None).unwrap().repo_type,
            RepoType::Model
        );
        assert!(ModelRef::parse("datasets/org/data", Some(RepoType::Model)).is_err());
    }
}

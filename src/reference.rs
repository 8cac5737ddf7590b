//! Model references as users type them — a domain type below both the hubs (which fetch what a
//! reference names) and the caches (which file it): `org/name`, `hf:org/name`, `datasets/org/name` (the
//! Hub's URL form), `hf:datasets/org/name`, the organisation-less names of the Hub's oldest
//! repositories (`gpt2`, `datasets/squad`), each with an optional `@revision`; the repository
//! type can also come from `--repo-type`; and Kaggle Models as
//! `kaggle:OWNER/MODEL/FRAMEWORK/VARIATION[/VERSION]` (the framework matched case-insensitively
//! and kept in kagglehub's camelCase spelling, which names its cache folder); and repositories
//! of OCI registries as `oci://REGISTRY/REPOSITORY[:TAG|@sha256:DIGEST]`, checked as the
//! distribution spec names them (the registry's host lowercased: one registry, one spelling).

use std::fmt;

/// A reference, endpoint or revision that names nothing a hub can be asked for. Exit 2.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReferenceError {
    #[error("invalid model reference {reference:?}: {reason}")]
    BadReference { reference: String, reason: String },
    /// A revision must be a branch, tag or commit name as git allows them.
    #[error(
        "invalid revision {0:?}: a branch, tag or commit may not contain '..', control characters, spaces or any of ~^:?*[\\, start or end with '/', have an empty or dot-leading component, or end with '.' or '.lock'"
    )]
    BadRevision(String),
    /// An OCI revision must be a tag or a `sha256:` manifest digest as the distribution spec
    /// spells them.
    #[error("invalid OCI tag or digest {revision:?}: {reason}")]
    BadOciRevision { revision: String, reason: String },
}

/// Which hub a reference names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HubKind {
    HuggingFace,
    /// Kaggle Models: `id` is `owner/model/framework/variation`, the revision a version number.
    Kaggle,
    /// An OCI registry: `id` is `REGISTRY/REPOSITORY` (the registry `host[:port]`, lowercased),
    /// the revision a tag or a manifest digest `sha256:<hex>`.
    Oci,
}

/// How an OCI reference starts.
pub const OCI_PREFIX: &str = "oci://";

/// Kaggle's model frameworks: kagglehub's camelCase spelling (the cache folder, the handle) and
/// the API's enum name.
const KAGGLE_FRAMEWORKS: &[(&str, &str)] = &[
    ("tensorFlow1", "MODEL_FRAMEWORK_TENSOR_FLOW_1"),
    ("tensorFlow2", "MODEL_FRAMEWORK_TENSOR_FLOW_2"),
    ("tfLite", "MODEL_FRAMEWORK_TF_LITE"),
    ("tfJs", "MODEL_FRAMEWORK_TF_JS"),
    ("pyTorch", "MODEL_FRAMEWORK_PY_TORCH"),
    ("jax", "MODEL_FRAMEWORK_JAX"),
    ("flax", "MODEL_FRAMEWORK_FLAX"),
    ("pax", "MODEL_FRAMEWORK_PAX"),
    ("maxText", "MODEL_FRAMEWORK_MAX_TEXT"),
    ("gemmaCpp", "MODEL_FRAMEWORK_GEMMA_CPP"),
    ("ggml", "MODEL_FRAMEWORK_GGML"),
    ("gguf", "MODEL_FRAMEWORK_GGUF"),
    ("coral", "MODEL_FRAMEWORK_CORAL"),
    ("scikitLearn", "MODEL_FRAMEWORK_SCIKIT_LEARN"),
    ("mxnet", "MODEL_FRAMEWORK_MXNET"),
    ("onnx", "MODEL_FRAMEWORK_ONNX"),
    ("keras", "MODEL_FRAMEWORK_KERAS"),
    ("transformers", "MODEL_FRAMEWORK_TRANSFORMERS"),
    ("api", "MODEL_FRAMEWORK_API"),
    ("other", "MODEL_FRAMEWORK_OTHER"),
    ("tensorRtLlm", "MODEL_FRAMEWORK_TENSOR_RT_LLM"),
    ("triton", "MODEL_FRAMEWORK_TRITON"),
    ("vllm", "MODEL_FRAMEWORK_VLLM"),
];

fn framework_key(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// kagglehub's spelling of a framework typed in any case (`PyTorch`, `pytorch`, `PY_TORCH`,
/// `MODEL_FRAMEWORK_PY_TORCH` → `pyTorch`).
pub fn kaggle_framework(typed: &str) -> Option<&'static str> {
    let key = framework_key(typed);
    let key = key.strip_prefix("modelframework").unwrap_or(&key);
    KAGGLE_FRAMEWORKS
        .iter()
        .find(|(camel, _)| framework_key(camel) == key)
        .map(|(camel, _)| *camel)
}

/// The API's enum name of a framework in kagglehub's spelling (`pyTorch` →
/// `MODEL_FRAMEWORK_PY_TORCH`).
pub fn kaggle_framework_enum(camel: &str) -> Option<&'static str> {
    KAGGLE_FRAMEWORKS
        .iter()
        .find(|(c, _)| *c == camel)
        .map(|(_, e)| *e)
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
    /// `org/name`, or a bare `name` for the Hub's legacy repositories (`gpt2`).
    pub id: String,
    pub revision: Option<String>,
}

impl fmt::Display for ModelRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.hub == HubKind::Oci {
            write!(f, "{OCI_PREFIX}{}", self.id)?;
            match &self.revision {
                Some(d) if is_oci_digest(d) => write!(f, "@{d}")?,
                Some(tag) => write!(f, ":{tag}")?,
                None => {}
            }
            return Ok(());
        }
        if self.hub == HubKind::Kaggle {
            write!(f, "kaggle:{}", self.id)?;
            if let Some(v) = &self.revision {
                write!(f, "/{v}")?;
            }
            return Ok(());
        }
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
    pub fn parse(reference: &str, repo_type: Option<RepoType>) -> Result<Self, ReferenceError> {
        let bad = |reason: &str| ReferenceError::BadReference {
            reference: reference.to_owned(),
            reason: reason.to_owned(),
        };
        if let Some(handle) = reference.strip_prefix("kaggle:") {
            if repo_type == Some(RepoType::Dataset) {
                return Err(bad("Kaggle datasets are not supported; kaggle: names a model"));
            }
            return Self::parse_kaggle(reference, handle);
        }
        if let Some(rest) = reference.strip_prefix(OCI_PREFIX) {
            if repo_type == Some(RepoType::Dataset) {
                return Err(bad(
                    "an oci:// reference names a model; --repo-type dataset does not apply",
                ));
            }
            return Self::parse_oci(reference, rest);
        }
        let rest = reference.strip_prefix("hf:").unwrap_or(reference);
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
        // ORG/NAME, or a bare NAME: the Hub's oldest repositories (`gpt2`, `datasets/squad`) have
        // no organisation and are still served under it.
        let components: Vec<&str> = repo.split('/').collect();
        if repo.is_empty() {
            return Err(bad(
                "empty repository name: expected ORG/NAME (or datasets/ORG/NAME)",
            ));
        }
        if components.len() > 2 {
            return Err(bad(
                "too many '/': expected ORG/NAME or a bare legacy NAME (datasets/ORG/NAME for a dataset)",
            ));
        }
        if !components.iter().all(|c| valid_component(c)) {
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

    /// The repository a Hugging Face cache folder names (`models--org--name` → `org/name`),
    /// including the organisation-less ids of the Hub's oldest repositories (`models--gpt2`),
    /// which `huggingface_hub` still caches. `None` for anything else.
    pub fn from_cache_folder(repo_type: RepoType, rest: &str) -> Option<Self> {
        let id = rest.replacen("--", "/", 1);
        let ok = match id.split_once('/') {
            Some((org, name)) => valid_component(org) && valid_component(name),
            None => valid_component(&id),
        };
        ok.then_some(Self {
            hub: HubKind::HuggingFace,
            repo_type,
            id,
            revision: None,
        })
    }

    /// `OWNER/MODEL/FRAMEWORK/VARIATION[/VERSION]`: the version must be a positive number.
    fn parse_kaggle(reference: &str, handle: &str) -> Result<Self, ReferenceError> {
        let bad = |reason: &str| ReferenceError::BadReference {
            reference: reference.to_owned(),
            reason: reason.to_owned(),
        };
        let parts: Vec<&str> = handle.split('/').collect();
        let (slugs, version) = match parts.as_slice() {
            [o, m, f, v] => ([*o, *m, *f, *v], None),
            [o, m, f, v, ver] => ([*o, *m, *f, *v], Some(*ver)),
            _ => return Err(bad("expected kaggle:OWNER/MODEL/FRAMEWORK/VARIATION[/VERSION]")),
        };
        let [owner, model, framework, variation] = slugs;
        if ![owner, model, variation].iter().all(|s| valid_kaggle_slug(s)) {
            return Err(bad(
                "OWNER, MODEL and VARIATION may hold letters, digits, '-', '_' and '.', not '..' or a leading/trailing '.'",
            ));
        }
        let Some(framework) = kaggle_framework(framework) else {
            let known: Vec<&str> = KAGGLE_FRAMEWORKS.iter().map(|(c, _)| *c).collect();
            return Err(bad(&format!(
                "unknown framework {framework:?}; Kaggle's frameworks are {}",
                known.join(", ")
            )));
        };
        if let Some(v) = version {
            if !is_version_number(v) {
                return Err(bad("the version must be a positive number"));
            }
        }
        Ok(Self {
            hub: HubKind::Kaggle,
            repo_type: RepoType::Model,
            id: format!("{owner}/{model}/{framework}/{variation}"),
            revision: version.map(str::to_owned),
        })
    }

    /// `REGISTRY/REPOSITORY[:TAG|@sha256:DIGEST]` (after `oci://`): a tag or a digest, not
    /// both (skopeo refuses both too; the digest alone would pin it).
    fn parse_oci(reference: &str, rest: &str) -> Result<Self, ReferenceError> {
        let bad = |reason: &str| ReferenceError::BadReference {
            reference: reference.to_owned(),
            reason: reason.to_owned(),
        };
        if let Some(b) = rest.bytes().find(|b| !b.is_ascii_graphic()) {
            return Err(bad(&format!(
                "an OCI reference is printable ASCII without spaces; found byte {b:#04x}"
            )));
        }
        let Some((registry, name)) = rest.split_once('/') else {
            return Err(bad(
                "no repository: expected oci://REGISTRY/REPOSITORY[:TAG|@sha256:DIGEST]",
            ));
        };
        let registry = check_registry(registry).map_err(|why| bad(&why))?;
        let (name, digest) = match name.split_once('@') {
            Some((_, "")) => return Err(bad("empty digest after '@'")),
            Some((n, d)) => (n, Some(d)),
            None => (name, None),
        };
        let (repository, tag) = match name.split_once(':') {
            Some((_, "")) => return Err(bad("empty tag after ':'")),
            Some((r, t)) => (r, Some(t)),
            None => (name, None),
        };
        if repository.is_empty() {
            return Err(bad(
                "no repository: expected oci://REGISTRY/REPOSITORY[:TAG|@sha256:DIGEST]",
            ));
        }
        check_oci_repository(repository).map_err(&bad)?;
        let revision = match (tag, digest) {
            (Some(_), Some(_)) => {
                return Err(bad(
                    "both a tag and a digest: give one (the digest alone pins the manifest)",
                ));
            }
            (Some(t), None) => {
                check_oci_tag(t).map_err(&bad)?;
                Some(t.to_owned())
            }
            (None, Some(d)) => {
                check_oci_digest(d).map_err(bad)?;
                Some(d.to_owned())
            }
            (None, None) => None,
        };
        Ok(Self {
            hub: HubKind::Oci,
            repo_type: RepoType::Model,
            id: format!("{registry}/{repository}"),
            revision,
        })
    }

    /// The reference pinned to `commit`, for messages: `org/name@<commit>`, the Kaggle handle
    /// with its version (`kaggle:owner/model/framework/variation/3`), or the OCI reference at its
    /// manifest digest (`oci://registry/repo@sha256:<hex>`).
    pub fn pinned(&self, commit: &str) -> String {
        let mut r = self.clone();
        r.revision = Some(commit.to_owned());
        r.to_string()
    }

    /// The reference without revision, hub prefix included: `hf:org/name`,
    /// `hf:datasets/org/name`, `kaggle:owner/model/framework/variation`,
    /// `oci://registry/repository` (how a lock file and an audit name it).
    pub fn canonical(&self) -> String {
        let mut r = self.clone();
        r.revision = None;
        match self.hub {
            HubKind::HuggingFace => format!("hf:{r}"),
            HubKind::Kaggle | HubKind::Oci => r.to_string(),
        }
    }

    /// `org/name` (Kaggle: `owner/model/framework/variation`; OCI: `registry/repository`).
    pub fn repo_id(&self) -> &str {
        &self.id
    }

    /// The revision a reference without one means: `main` on Hugging Face, the latest version
    /// on Kaggle, the tag `latest` in an OCI registry (as docker and skopeo take it).
    pub fn default_revision(&self) -> &'static str {
        match self.hub {
            HubKind::HuggingFace => "main",
            HubKind::Kaggle | HubKind::Oci => LATEST,
        }
    }

    /// An OCI reference's `(registry, repository)`: the registry's `host[:port]` (lowercased;
    /// an IPv6 host in brackets) and the repository path (`org/model`).
    pub fn oci_parts(&self) -> Option<(&str, &str)> {
        if self.hub != HubKind::Oci {
            return None;
        }
        self.id.split_once('/')
    }

    /// Checks `revision` as a revision of this reference's hub: a git ref name on Hugging Face
    /// ([`check_revision`]), a tag or a `sha256:` digest in an OCI registry
    /// ([`check_oci_revision`]); a Kaggle version is checked where it is used.
    pub fn check_revision(&self, revision: &str) -> Result<(), ReferenceError> {
        match self.hub {
            HubKind::Oci => check_oci_revision(revision),
            HubKind::HuggingFace | HubKind::Kaggle => check_revision(revision),
        }
    }

    /// A Kaggle reference's `(owner, model, framework, variation)`.
    pub fn kaggle_slugs(&self) -> Option<(&str, &str, &str, &str)> {
        if self.hub != HubKind::Kaggle {
            return None;
        }
        let mut it = self.id.splitn(4, '/');
        Some((it.next()?, it.next()?, it.next()?, it.next()?))
    }
}

/// Checks a revision as git checks ref names (`git check-ref-format`), so a revision can name a
/// file under `refs/` in a cache and never a path outside it: no `..`, no leading or trailing
/// `/`, no empty component, no component starting with `.` or ending with `.lock`, no control
/// characters, spaces or `~^:?*[\`, no `@{`, not `@`.
pub fn check_revision(rev: &str) -> Result<(), ReferenceError> {
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
        Err(ReferenceError::BadRevision(rev.to_owned()))
    }
}

/// Checks a registry as a reference names it (`quay.io`, `localhost`, `127.0.0.1:5000`,
/// `[::1]:5000`): a DNS name or IPv4 address (labels of letters, digits and inner `-`) or an
/// IPv6 address in brackets, with an optional port 1–65535; and one that reads as a registry,
/// as docker tells a registry from a Docker Hub namespace: with a `.` or a port, `localhost`,
/// or an IPv6 address. Returns its spelling with the host lowercased, else why it is not one.
pub fn check_registry(registry: &str) -> Result<String, String> {
    let bad = |why: &str| Err(format!("registry {registry:?}: {why}"));
    if registry.is_empty() {
        return bad("empty; expected oci://REGISTRY/REPOSITORY");
    }
    let (host, port) = if let Some(inner) = registry.strip_prefix('[') {
        let Some((addr, after)) = inner.split_once(']') else {
            return bad("an IPv6 address needs its closing ']'");
        };
        if addr.parse::<std::net::Ipv6Addr>().is_err() {
            return bad("not an IPv6 address between '[' and ']'");
        }
        match after {
            "" => (&registry[..addr.len() + 2], None),
            p => match p.strip_prefix(':') {
                Some(p) => (&registry[..addr.len() + 2], Some(p)),
                None => return bad("expected ':PORT' after the IPv6 address"),
            },
        }
    } else {
        let (host, port) = match registry.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (registry, None),
        };
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        };
        if host.len() > 253 || !host.split('.').all(label_ok) {
            return bad(
                "a host is a name or IPv4 address: labels of letters, digits and inner '-', separated by '.'",
            );
        }
        if port.is_none() && !host.contains('.') && !host.eq_ignore_ascii_case("localhost") {
            return bad(
                "not a registry host: name one with a '.', localhost, or HOST:PORT (Docker Hub is docker.io)",
            );
        }
        (host, port)
    };
    if let Some(p) = port {
        let ok = !p.is_empty()
            && p.len() <= 5
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u16>().is_ok_and(|n| n != 0);
        if !ok {
            return bad("the port must be a number from 1 to 65535");
        }
    }
    let host = host.to_ascii_lowercase();
    Ok(port.map_or_else(|| host.clone(), |p| format!("{host}:{p}")))
}

/// The longest repository name the distribution spec promises to serve.
const MAX_OCI_REPOSITORY: usize = 255;

/// Checks a repository path as the distribution spec names them: `/`-separated components of
/// lowercase letters and digits, joined inside a component by `.`, `_`, `__` or dashes
/// (`[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`), at most 255 characters. So no component is empty,
/// `.` or `..`, and none starts with a separator.
pub fn check_oci_repository(repository: &str) -> Result<(), &'static str> {
    const WHY: &str = "a repository is '/'-separated components of lowercase letters and digits joined by '.', '_', '__' or '-' (no empty, '.' or '..' component, no uppercase)";
    if repository.len() > MAX_OCI_REPOSITORY {
        return Err("the repository is longer than 255 characters");
    }
    let component_ok = |c: &str| {
        let b = c.as_bytes();
        let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
        if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
            return false;
        }
        // Between two runs of letters and digits: `.`, `_`, `__`, or any number of `-`.
        let mut i = 0;
        while i < b.len() {
            if alnum(b[i]) {
                i += 1;
                continue;
            }
            let start = i;
            while i < b.len() && !alnum(b[i]) {
                i += 1;
            }
            let sep = &c[start..i];
            let ok = matches!(sep, "." | "_" | "__") || sep.bytes().all(|x| x == b'-');
            if !ok {
                return false;
            }
        }
        true
    };
    if repository.split('/').all(component_ok) {
        Ok(())
    } else {
        Err(WHY)
    }
}

/// Checks a tag as the distribution spec names them: `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`.
pub fn check_oci_tag(tag: &str) -> Result<(), &'static str> {
    let b = tag.as_bytes();
    let word = |x: u8| x.is_ascii_alphanumeric() || x == b'_';
    let ok =
        !b.is_empty() && b.len() <= 128 && word(b[0]) && b.iter().all(|&x| word(x) || x == b'.' || x == b'-');
    if ok {
        Ok(())
    } else {
        Err("a tag is 1 to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'")
    }
}

/// Checks a manifest digest: `sha256:` and 64 lowercase hex digits (the only algorithm
/// hubsign pins to).
pub fn check_oci_digest(digest: &str) -> Result<(), &'static str> {
    let Some(hex) = digest.strip_prefix("sha256:") else {
        return Err("a digest is sha256:<64 lowercase hex digits> (no other algorithm is supported)");
    };
    if hex.len() == 64
        && hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err("a sha256 digest has 64 lowercase hex digits")
    }
}

/// Whether `revision` is a manifest digest (`sha256:<64 lowercase hex>`), not a tag.
pub fn is_oci_digest(revision: &str) -> bool {
    check_oci_digest(revision).is_ok()
}

/// Checks an OCI revision: a manifest digest, else a tag.
pub fn check_oci_revision(revision: &str) -> Result<(), ReferenceError> {
    let why = if revision.contains(':') {
        check_oci_digest(revision)
    } else {
        check_oci_tag(revision)
    };
    why.map_err(|why| ReferenceError::BadOciRevision {
        revision: revision.to_owned(),
        reason: why.to_owned(),
    })
}

/// The revision that asks Kaggle for an instance's latest version; also the tag an OCI
/// reference without one names.
pub const LATEST: &str = "latest";

/// A Kaggle version number: digits, not zero, no leading zero.
pub fn is_version_number(v: &str) -> bool {
    !v.is_empty() && v.len() <= 10 && v.bytes().all(|b| b.is_ascii_digit()) && !v.starts_with('0')
}

fn valid_kaggle_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 96
        && !s.starts_with('.')
        && !s.ends_with('.')
        && !s.contains("..")
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
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
            "",
            "hf:",
            "@main",
            "..",
            "bad name",
            "gpt2/",
            "gpt2@",
            "org/../x",
            "org/model@",
            "/model",
            "org/mo del",
            "a/b/c",
            "org/.hidden",
            "datasets/",
            "datasets/a/b/c",
            "org/model@../../x",
            "a--b/c",
            "a/b--c",
        ] {
            assert!(ModelRef::parse(bad, None).is_err(), "{bad}");
        }
    }

    /// The Hub's oldest repositories have no organisation (`gpt2`, `datasets/squad`); the Hub
    /// still serves them and `huggingface_hub` caches them as `models--gpt2`.
    #[test]
    fn bare_legacy_names() {
        for (text, flag, repo_type, id, shown) in [
            ("gpt2", None, RepoType::Model, "gpt2", "gpt2"),
            (
                "hf:bert-base-uncased@main",
                None,
                RepoType::Model,
                "bert-base-uncased",
                "bert-base-uncased@main",
            ),
            ("models/gpt2", None, RepoType::Model, "gpt2", "gpt2"),
            (
                "datasets/squad",
                None,
                RepoType::Dataset,
                "squad",
                "datasets/squad",
            ),
            (
                "hf:datasets/squad@v1",
                None,
                RepoType::Dataset,
                "squad",
                "datasets/squad@v1",
            ),
            (
                "squad",
                Some(RepoType::Dataset),
                RepoType::Dataset,
                "squad",
                "datasets/squad",
            ),
        ] {
            let r = ModelRef::parse(text, flag).unwrap();
            assert_eq!(
                (r.repo_type, r.id.as_str(), r.to_string().as_str()),
                (repo_type, id, shown),
                "{text}"
            );
        }
        assert_eq!(ModelRef::parse("gpt2", None).unwrap().canonical(), "hf:gpt2");
        let e = ModelRef::parse("a/b/c", None).unwrap_err().to_string();
        assert!(e.contains("too many '/'"), "{e}");
        let e = ModelRef::parse("hf:", None).unwrap_err().to_string();
        assert!(e.contains("empty repository name"), "{e}");
    }

    #[test]
    fn kaggle_references() {
        let r = ModelRef::parse("kaggle:google/gemma/PyTorch/2b/3", None).unwrap();
        assert_eq!(r.hub, HubKind::Kaggle);
        assert_eq!(r.id, "google/gemma/pyTorch/2b");
        assert_eq!(r.revision.as_deref(), Some("3"));
        assert_eq!(r.to_string(), "kaggle:google/gemma/pyTorch/2b/3");
        assert_eq!(r.kaggle_slugs(), Some(("google", "gemma", "pyTorch", "2b")));
        let latest = ModelRef::parse("kaggle:o/m/MODEL_FRAMEWORK_TENSOR_FLOW_2/v", None).unwrap();
        assert_eq!(latest.id, "o/m/tensorFlow2/v");
        assert_eq!(latest.default_revision(), "latest");
        assert_eq!(
            super::kaggle_framework_enum("pyTorch"),
            Some("MODEL_FRAMEWORK_PY_TORCH")
        );
        for bad in [
            "kaggle:o/m/pyTorch",
            "kaggle:o/m/nosuch/v",
            "kaggle:o/m/pyTorch/v/0",
            "kaggle:o/m/pyTorch/v/01",
            "kaggle:o/m/pyTorch/v/x",
            "kaggle:o/../pyTorch/v",
            "kaggle:o/m/pyTorch/v/1/extra",
            "kaggle:/m/pyTorch/v",
        ] {
            assert!(ModelRef::parse(bad, None).is_err(), "{bad}");
        }
        assert!(ModelRef::parse("kaggle:o/m/keras/v", Some(RepoType::Dataset)).is_err());
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

    #[test]
    fn oci_references() {
        let d = format!("sha256:{}", "ab".repeat(32));
        for (text, id, revision, shown) in [
            (
                "oci://quay.io/org/model",
                "quay.io/org/model",
                None,
                "oci://quay.io/org/model",
            ),
            (
                "oci://localhost/m:v1.0",
                "localhost/m",
                Some("v1.0"),
                "oci://localhost/m:v1.0",
            ),
            (
                "oci://127.0.0.1:5000/a/b/c:_x-Y.z",
                "127.0.0.1:5000/a/b/c",
                Some("_x-Y.z"),
                "oci://127.0.0.1:5000/a/b/c:_x-Y.z",
            ),
            (
                "oci://Registry.Example.COM:443/a__b/c--d.e_f",
                "registry.example.com:443/a__b/c--d.e_f",
                None,
                "oci://registry.example.com:443/a__b/c--d.e_f",
            ),
            (
                "oci://[::1]:5000/m:t",
                "[::1]:5000/m",
                Some("t"),
                "oci://[::1]:5000/m:t",
            ),
        ] {
            let r = ModelRef::parse(text, None).unwrap();
            assert_eq!(
                (r.hub, r.repo_type, r.id.as_str(), r.revision.as_deref()),
                (HubKind::Oci, RepoType::Model, id, revision),
                "{text}"
            );
            assert_eq!(r.to_string(), shown);
            assert_eq!(ModelRef::parse(shown, None).unwrap(), r, "{shown} round-trips");
        }
        let r = ModelRef::parse(&format!("oci://127.0.0.1:5000/org/m@{d}"), None).unwrap();
        assert_eq!(r.revision.as_deref(), Some(d.as_str()));
        assert_eq!(r.to_string(), format!("oci://127.0.0.1:5000/org/m@{d}"));
        assert_eq!(r.oci_parts(), Some(("127.0.0.1:5000", "org/m")));
        assert_eq!(r.canonical(), "oci://127.0.0.1:5000/org/m");
        assert_eq!(r.repo_id(), "127.0.0.1:5000/org/m");
        let tagged = ModelRef::parse("oci://quay.io/org/m:v1", None).unwrap();
        assert_eq!(tagged.pinned(&d), format!("oci://quay.io/org/m@{d}"));
        assert_eq!(tagged.default_revision(), "latest");
        assert!(tagged.check_revision(&d).is_ok());
        assert!(tagged.check_revision("v1").is_ok());
        assert!(tagged.check_revision("sha256:AB").is_err());
        assert!(tagged.check_revision(".hidden").is_err());
        assert_eq!(ModelRef::parse("org/m", None).unwrap().oci_parts(), None);
        assert!(ModelRef::parse("oci://quay.io/m", Some(RepoType::Dataset)).is_err());
    }

    #[test]
    fn bad_oci_references_say_what_is_wrong() {
        let d = "ab".repeat(32);
        let long = format!("oci://quay.io/{}", "a".repeat(256));
        let long_tag = format!("oci://quay.io/m:{}", "t".repeat(129));
        for (text, says) in [
            ("oci://", "no repository"),
            ("oci://quay.io", "no repository"),
            ("oci://quay.io/", "no repository"),
            ("oci://quay.io/:v1", "no repository"),
            ("oci://quay.io/Org/Model", "no uppercase"),
            (
                &format!("oci://quay.io/m:v1@sha256:{d}"),
                "both a tag and a digest",
            ),
            ("oci://quay.io/m:", "empty tag"),
            ("oci://quay.io/m@", "empty digest"),
            ("oci://quay.io/m:.v1", "a tag is"),
            ("oci://quay.io/m:-v1", "a tag is"),
            (&long_tag, "a tag is"),
            ("oci://quay.io/m@sha512:ab", "no other algorithm"),
            (
                &format!("oci://quay.io/m@sha256:{}", d.to_uppercase()),
                "64 lowercase",
            ),
            ("oci://quay.io/m@sha256:abc", "64 lowercase"),
            ("oci://quay.io/../x", "'..'"),
            ("oci://quay.io/a/../x", "'..'"),
            ("oci://quay.io/a//x", "no empty"),
            ("oci://quay.io/a/", "no empty"),
            ("oci://quay.io/.a", "'.'"),
            ("oci://quay.io/a_-b", "joined by"),
            ("oci://quay.io/a___b", "joined by"),
            ("oci://quay.io/a\nb", "printable ASCII"),
            ("oci://quay.io/a b", "printable ASCII"),
            ("oci://quay.io/a\u{7f}", "printable ASCII"),
            ("oci://quay.io/é", "printable ASCII"),
            (&long, "longer than 255"),
            ("oci://org/model", "not a registry host"),
            ("oci://quay.io:0/m", "port"),
            ("oci://quay.io:65536/m", "port"),
            ("oci://quay.io:/m", "port"),
            ("oci://quay.io:5000:1/m", "port"),
            ("oci://-quay.io/m", "a host is"),
            ("oci://quay_io.com/m", "a host is"),
            ("oci://quay..io/m", "a host is"),
            ("oci://[::1/m", "closing"),
            ("oci://[zz]:5000/m", "not an IPv6"),
            ("oci://[::1]5000/m", "':PORT'"),
        ] {
            let e = ModelRef::parse(text, None).unwrap_err().to_string();
            assert!(e.contains(says), "{text:?}: {e}");
        }
    }
}

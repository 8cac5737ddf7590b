//! A hub repository's settings: the reference and revision, the hub's endpoint, token and cache
//! read from the environment the way `huggingface_hub` and kagglehub read them (for OCI
//! registries: which credential files exist, in the order skopeo, podman and docker read them,
//! and whether the registry is reached over plain HTTP), and what a pull checks
//! ([`crate::pull::Target`]). The hubs' own facts (default endpoints, file names) are the
//! core's constants; only the environment's names are read here. Credential files are found
//! here, never parsed: the registry client reads them.

use super::read_text;
use super::trust::TrustFlags;
use crate::cli::args::{HubModelArgs, KaggleArgs, RegistryArgs, RepoTypeArg, TrustArgs};
use crate::cli::error::{CliError, Result};
use crate::hub::http::{HttpClient, RetryPolicy, Token};
use crate::hub::{huggingface, kaggle};
use crate::reference::{HubKind, ModelRef, RepoType};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Hub connection settings, from the environment the way huggingface_hub reads it.
#[derive(Debug)]
pub struct HubSettings {
    pub read_timeout: Duration,
    pub endpoint: String,
    pub token: Option<Token>,
    pub cache: PathBuf,
    pub network: crate::hub::Network,
}

/// Kaggle connection settings, read the way kagglehub reads them.
#[derive(Debug)]
pub struct KaggleSettings {
    pub read_timeout: Duration,
    pub endpoint: String,
    pub token: Option<Token>,
    pub cache: PathBuf,
}

/// OCI registry settings: the cache, whether the registry is reached over plain HTTP, and the
/// credential files that exist (read by the registry client, in this order, for the registry's
/// host only).
#[derive(Debug)]
pub struct OciSettings {
    /// The registry (`host[:port]`).
    pub host: String,
    pub read_timeout: Duration,
    pub cache: PathBuf,
    /// Plain HTTP, no TLS: the registry is on this machine (`localhost`, `127.0.0.1`, `[::1]`,
    /// any port), or `--insecure-registry` names it.
    pub plain_http: bool,
    /// The credential files that exist, in the order they are searched ([`registry_auth_files`]).
    pub auth_files: Vec<PathBuf>,
    /// The CA certificates trusted for this registry ([`registry_ca_files`]).
    pub ca_files: Vec<PathBuf>,
}

/// The hub a reference names, with its settings.
#[derive(Debug)]
pub enum Remote {
    HuggingFace(HubSettings),
    Kaggle(KaggleSettings),
    Oci(OciSettings),
}

impl Remote {
    /// The settings of `repo`'s hub: its cache (`cache_dir` overrides the hub's default),
    /// endpoint, token (an OCI registry's credential files, and whether it is reached over plain
    /// HTTP), and the read timeout.
    pub fn resolve(
        repo: &ModelRef,
        cache_dir: Option<&Path>,
        kaggle: &KaggleArgs,
        registry: &RegistryArgs,
        read_timeout: Duration,
    ) -> Result<Self> {
        Ok(match repo.hub {
            HubKind::HuggingFace => Self::HuggingFace(hub_settings(cache_dir, read_timeout)),
            HubKind::Kaggle => Self::Kaggle(kaggle_settings(kaggle, cache_dir, read_timeout)?),
            HubKind::Oci => Self::Oci(oci_settings(repo, registry, cache_dir, read_timeout)?),
        })
    }

    /// Whether the user asked for no network (`HF_HUB_OFFLINE`, Hugging Face only).
    pub fn offline(&self) -> bool {
        matches!(self, Self::HuggingFace(s) if s.network == crate::hub::Network::Offline)
    }
}

/// The one HTTP client of a hub command.
pub fn http_client(endpoint: &str, token: Option<Token>, read_timeout: Duration) -> Result<HttpClient> {
    let retry = RetryPolicy {
        read_timeout,
        ..Default::default()
    };
    Ok(HttpClient::new(endpoint, token, retry).map_err(crate::Error::from)?)
}

/// Runs `$body` with `$hub` (a [`crate::hub::Hub`]) and `$cache` (its
/// [`crate::cache::CacheLayout`]) for the hub a [`Remote`] names: the workflows are written
/// once, generically, and this is the only place that picks an implementation.
macro_rules! with_remote {
    ($remote:expr, |$hub:ident, $cache:ident| $body:expr) => {
        match $remote {
            $crate::cli::settings::hub::Remote::HuggingFace(s) => {
                let $hub = crate::hub::huggingface::HuggingFaceHub::new(
                    $crate::cli::settings::hub::http_client(&s.endpoint, s.token.clone(), s.read_timeout)?,
                );
                let $cache = crate::cache::HfCache::new(&s.cache);
                $body
            }
            $crate::cli::settings::hub::Remote::Kaggle(s) => {
                let $hub = crate::hub::kaggle::KaggleHub::new($crate::cli::settings::hub::http_client(
                    &s.endpoint,
                    s.token.clone(),
                    s.read_timeout,
                )?);
                let $cache = crate::cache::KaggleCache::new(&s.cache);
                $body
            }
            $crate::cli::settings::hub::Remote::Oci(s) => {
                let $hub = $crate::cli::settings::hub::oci_hub(s)?;
                let $cache = crate::cache::OciCache::new(&s.cache);
                $body
            }
        }
    };
}
pub(crate) use with_remote;

/// A hub command's settings: the hub, and the repository with what to check in it (policy rules
/// match `org/name` for models, `datasets/org/name` for datasets,
/// `kaggle:owner/model/framework/variation`).
pub struct HubTarget {
    pub remote: Remote,
    pub target: crate::pull::Target,
}

impl HubTarget {
    pub fn resolve(args: &HubModelArgs, trust: &TrustArgs) -> Result<Self> {
        let (repo, revision) = model_ref(args)?;
        let remote = Remote::resolve(
            &repo,
            args.cache_dir.as_deref(),
            &args.kaggle,
            &args.registry,
            Duration::from_secs(args.timeout),
        )?;
        let (anchor, required) = TrustFlags::hub(trust, &repo).anchor_and_claims()?;
        let signature_path = signature_path(args, &repo)?;
        let target = crate::pull::Target {
            claims: crate::pull::ClaimsCheck {
                path: crate::hub::claims_path(repo.hub, &signature_path),
                required,
            },
            signature_path,
            repo,
            revision,
            anchor,
            unsigned: super::unsigned_files(args.ignore_unsigned_files),
        };
        Ok(Self { remote, target })
    }
}

fn env_nonempty(name: &str) -> Option<String> {
    crate::cli::embed::var(name).filter(|v| !v.trim().is_empty())
}

/// `~/.cache` (or `XDG_CACHE_HOME`), where the hubs' caches live by default.
pub fn user_cache() -> Option<PathBuf> {
    env_nonempty("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| crate::cli::embed::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
}

/// A cache folder named by the environment, read as huggingface_hub reads it (a leading `~`
/// expanded, made absolute, links resolved: `Path(…).expanduser().resolve()`), so the paths a
/// pull prints are the ones huggingface_hub returns for the same cache even when `HF_HOME`
/// is relative, starts with `~` or goes through a link.
fn as_huggingface_hub_reads(path: PathBuf) -> PathBuf {
    let home = crate::cli::embed::var_os("HOME").map(PathBuf::from);
    let path = match (path.strip_prefix("~"), home) {
        (Ok(rest), Some(home)) => home.join(rest),
        _ => path,
    };
    let path = std::path::absolute(&path).unwrap_or(path);
    // The longest part that exists, with its links resolved; the rest (not created yet) as named.
    crate::fsutil::nearest_canonical(&path)
}

pub fn hub_settings(cache_dir: Option<&Path>, read_timeout: Duration) -> HubSettings {
    let hf_home = env_nonempty("HF_HOME").map_or_else(
        || {
            user_cache()
                .unwrap_or_else(|| PathBuf::from(".cache"))
                .join(huggingface::HOME_DIR)
        },
        PathBuf::from,
    );
    let cache = cache_dir.map_or_else(
        || {
            as_huggingface_hub_reads(
                env_nonempty("HF_HUB_CACHE")
                    .or_else(|| env_nonempty("HUGGINGFACE_HUB_CACHE"))
                    .map_or_else(|| hf_home.join(huggingface::CACHE_DIR), PathBuf::from),
            )
        },
        Path::to_path_buf,
    );
    let token = env_nonempty("HF_TOKEN")
        .or_else(|| env_nonempty("HUGGING_FACE_HUB_TOKEN"))
        .or_else(|| {
            let path = env_nonempty("HF_TOKEN_PATH")
                .map_or_else(|| hf_home.join(huggingface::TOKEN_FILE), PathBuf::from);
            token_file(&path)
        })
        .map(Token::new);
    let offline = env_nonempty("HF_HUB_OFFLINE").is_some_and(|v| {
        matches!(
            v.trim().to_ascii_uppercase().as_str(),
            "1" | "ON" | "YES" | "TRUE"
        )
    });
    let network = if offline {
        crate::hub::Network::Offline
    } else {
        crate::hub::Network::Online
    };
    let endpoint = env_nonempty("HF_ENDPOINT").unwrap_or_else(|| huggingface::DEFAULT_ENDPOINT.to_owned());
    HubSettings {
        read_timeout,
        endpoint,
        token,
        cache,
        network,
    }
}

/// The Hugging Face cache `cache_dir` names, else the environment's (no hub is contacted).
pub fn hf_cache(cache_dir: Option<&Path>) -> PathBuf {
    hub_settings(cache_dir, crate::hub::DEFAULT_READ_TIMEOUT).cache
}

pub fn repo_type(arg: Option<RepoTypeArg>) -> Option<RepoType> {
    arg.map(|t| match t {
        RepoTypeArg::Model => RepoType::Model,
        RepoTypeArg::Dataset => RepoType::Dataset,
    })
}

/// The repository and revision the arguments name (`--revision` wins over `@rev` or a Kaggle
/// `/VERSION`).
pub fn model_ref(model: &HubModelArgs) -> Result<(ModelRef, String)> {
    let r = ModelRef::parse(&model.model, repo_type(model.repo_type)).map_err(crate::Error::from)?;
    let revision = model
        .revision
        .clone()
        .or_else(|| r.revision.clone())
        .unwrap_or_else(|| r.default_revision().to_owned());
    r.check_revision(&revision).map_err(crate::Error::from)?;
    if r.hub == HubKind::Kaggle
        && revision != crate::reference::LATEST
        && !crate::reference::is_version_number(&revision)
    {
        return Err(CliError::KaggleVersion { revision });
    }
    Ok((r, revision))
}

/// The signature path inside the repository: `--signature-path`, else the hub's place.
fn signature_path(model: &HubModelArgs, repo: &ModelRef) -> Result<String> {
    let path = model
        .signature_path
        .clone()
        .unwrap_or_else(|| crate::hub::signature_path(repo.hub).to_owned());
    crate::hub::check_remote_path(&path).map_err(crate::Error::from)?;
    Ok(path)
}

/// A token file's content, trimmed; none when the file is missing or empty.
/// A FIFO, a folder or an oversized file there is no token either (and cannot hang the command).
pub fn token_file(path: &Path) -> Option<String> {
    read_text(path, "cannot read token file")
        .ok()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// Kaggle credentials in kagglehub's order: `KAGGLE_API_TOKEN` (a token, or a path to one),
/// `~/.kaggle/access_token[.txt]`, `KAGGLE_USERNAME` + `KAGGLE_KEY`, then
/// `$KAGGLE_CONFIG_DIR/kaggle.json` (default `~/.kaggle`). None: public models only.
fn kaggle_token() -> Result<Option<Token>> {
    let home = crate::cli::embed::var_os("HOME").map(PathBuf::from);
    if let Some(t) = env_nonempty("KAGGLE_API_TOKEN") {
        let p = Path::new(&t);
        // A path to an empty file falls through to the next source, as in kagglehub.
        if !p.exists() {
            return Ok(Some(Token::new(t.trim())));
        }
        if let Some(t) = token_file(p) {
            return Ok(Some(Token::new(t)));
        }
    }
    if let Some(home) = &home {
        for name in kaggle::ACCESS_TOKEN_FILES {
            if let Some(t) = token_file(&home.join(kaggle::CREDENTIALS_DIR).join(name)) {
                return Ok(Some(Token::new(t)));
            }
        }
    }
    if let (Some(user), Some(key)) = (env_nonempty("KAGGLE_USERNAME"), env_nonempty("KAGGLE_KEY")) {
        return Ok(Some(Token::basic(&user, &key)));
    }
    let dir = env_nonempty("KAGGLE_CONFIG_DIR")
        .map(PathBuf::from)
        .or_else(|| home.map(|h| h.join(kaggle::CREDENTIALS_DIR)));
    let Some(path) = dir.map(|d| d.join(kaggle::CREDENTIALS_FILE)) else {
        return Ok(None);
    };
    if !path.exists() {
        return Ok(None);
    }
    let text = read_text(&path, "cannot read Kaggle credentials")?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| CliError::KaggleCredentials {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    let field = |field: &'static str| {
        v.get(field)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| CliError::KaggleCredentialsField {
                path: path.clone(),
                field,
            })
    };
    Ok(Some(Token::basic(&field("username")?, &field("key")?)))
}

/// The kagglehub cache: `explicit`, else `KAGGLEHUB_CACHE`, else `~/.cache/kagglehub`.
pub fn kagglehub_cache(explicit: Option<&Path>) -> PathBuf {
    explicit
        .map(Path::to_path_buf)
        .or_else(|| env_nonempty("KAGGLEHUB_CACHE").map(PathBuf::from))
        .or_else(|| {
            crate::cli::embed::var_os("HOME").map(|h| PathBuf::from(h).join(".cache").join(kaggle::CACHE_DIR))
        })
        .unwrap_or_else(|| PathBuf::from(".cache").join(kaggle::CACHE_DIR))
}

fn kaggle_settings(
    args: &KaggleArgs,
    cache_dir: Option<&Path>,
    read_timeout: Duration,
) -> Result<KaggleSettings> {
    let endpoint = match &args.endpoint {
        Some(e) => e.clone(),
        None => match crate::cli::embed::var("KAGGLE_API_ENVIRONMENT") {
            None => kaggle::DEFAULT_API_BASE.to_owned(),
            Some(env) => kaggle::api_base(&env)
                .ok_or(CliError::UnknownEnvValue {
                    var: "KAGGLE_API_ENVIRONMENT",
                    value: env.clone(),
                    expected: kaggle::API_ENVIRONMENTS,
                })?
                .to_owned(),
        },
    };
    Ok(KaggleSettings {
        read_timeout,
        endpoint,
        token: kaggle_token()?,
        cache: kagglehub_cache(cache_dir),
    })
}

/// The OCI cache: `explicit` (`--cache-dir`), else `HUBSIGN_OCI_CACHE`, else
/// `$XDG_CACHE_HOME/hubsign/oci`, else `~/.cache/hubsign/oci`.
pub fn oci_cache(explicit: Option<&Path>) -> PathBuf {
    explicit
        .map(Path::to_path_buf)
        .or_else(|| env_nonempty("HUBSIGN_OCI_CACHE").map(PathBuf::from))
        .unwrap_or_else(|| {
            user_cache()
                .unwrap_or_else(|| PathBuf::from(".cache"))
                .join(crate::cache::OCI_CACHE_DIR)
        })
}

/// Whether `registry` (`host[:port]` as [`crate::reference::check_registry`] spells it) is
/// reached over plain HTTP: a registry on this machine (`localhost`, `127.0.0.1`, `[::1]`, any
/// port), as docker and skopeo treat them, unless a CA is set up for it (`with_ca`: certs.d
/// names one, so it speaks TLS), or one `insecure` names (`--insecure-registry`, matched
/// exactly, port included). Nothing else ever is.
pub fn plain_http(registry: &str, insecure: &[String], with_ca: bool) -> bool {
    if insecure.iter().any(|i| i == registry) {
        return true;
    }
    let host = if registry.starts_with('[') {
        registry
            .split_once(']')
            .map_or(registry, |(h, _)| h)
            .trim_start_matches('[')
    } else {
        registry.split_once(':').map_or(registry, |(h, _)| h)
    };
    matches!(host, "localhost" | "127.0.0.1" | "::1") && !with_ca
}

/// The registry credential files that exist, in the order containers-auth.json(5) (skopeo,
/// podman) searches them, docker's last: the primary file — `REGISTRY_AUTH_FILE` if set (it
/// replaces the next), else `$XDG_RUNTIME_DIR/containers/auth.json` (without
/// `XDG_RUNTIME_DIR`, `/run/containers/<uid>/auth.json`) — then
/// `$XDG_CONFIG_HOME/containers/auth.json` (default `~/.config`), then docker's
/// `$DOCKER_CONFIG/config.json` (default `~/.docker/config.json`). The legacy `~/.dockercfg`
/// is not read. Found, never parsed here.
pub fn registry_auth_files() -> Vec<PathBuf> {
    let home = env_nonempty("HOME").map(PathBuf::from);
    let mut candidates = Vec::new();
    if let Some(file) = env_nonempty("REGISTRY_AUTH_FILE") {
        candidates.push(PathBuf::from(file));
    } else if let Some(runtime) = env_nonempty("XDG_RUNTIME_DIR") {
        candidates.push(PathBuf::from(runtime).join("containers/auth.json"));
    } else {
        let uid = rustix::process::getuid().as_raw();
        candidates.push(PathBuf::from(format!("/run/containers/{uid}/auth.json")));
    }
    if let Some(config) = env_nonempty("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| home.as_ref().map(|h| h.join(".config")))
    {
        candidates.push(config.join("containers/auth.json"));
    }
    if let Some(docker) = env_nonempty("DOCKER_CONFIG")
        .map(PathBuf::from)
        .or_else(|| home.as_ref().map(|h| h.join(".docker")))
    {
        candidates.push(docker.join("config.json"));
    }
    let mut out: Vec<PathBuf> = Vec::new();
    for c in candidates {
        if c.is_file() && !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// The registry hub of `s`: its client, with the credential the first credential file that
/// names the registry holds (files read here, parsed by the core).
pub fn oci_hub(s: &OciSettings) -> Result<crate::hub::oci::OciHub> {
    let mut files = Vec::with_capacity(s.auth_files.len());
    for path in &s.auth_files {
        files.push((path.clone(), read_text(path, "cannot read registry credentials")?));
    }
    let credential = crate::hub::oci::auth::credential_for(&s.host, &files)
        .map_err(|e| crate::Error::from(crate::hub::HubError::from(e)))?;
    let mut roots = Vec::with_capacity(s.ca_files.len());
    for path in &s.ca_files {
        roots.push((
            path.clone(),
            super::read_small(path, "cannot read a registry CA certificate")?,
        ));
    }
    let options = crate::hub::oci::client::RegistryOptions {
        plain_http: s.plain_http,
        credential,
        roots,
        retry: RetryPolicy {
            read_timeout: s.read_timeout,
            ..Default::default()
        },
    };
    let registry = crate::hub::oci::client::Registry::new(&s.host, options).map_err(crate::Error::from)?;
    Ok(crate::hub::oci::OciHub::new(registry))
}

/// An OCI registry's settings ([`OciSettings`]): where its cache is, how it is reached, where
/// its credentials are.
pub fn oci_settings(
    repo: &ModelRef,
    registry: &RegistryArgs,
    cache_dir: Option<&Path>,
    read_timeout: Duration,
) -> Result<OciSettings> {
    let insecure = registry
        .insecure
        .iter()
        .map(|r| {
            crate::reference::check_registry(r).map_err(|reason| {
                crate::Error::from(crate::reference::ReferenceError::BadReference {
                    reference: format!("--insecure-registry {r}"),
                    reason,
                })
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let (host, _) = repo.oci_parts().unwrap_or_default();
    let ca_files = registry_ca_files(host);
    Ok(OciSettings {
        host: host.to_owned(),
        read_timeout,
        cache: oci_cache(cache_dir),
        plain_http: plain_http(host, &insecure, !ca_files.is_empty()),
        auth_files: registry_auth_files(),
        ca_files,
    })
}

/// The CA certificates trusted for `host` beside the built-in roots, where podman, skopeo and
/// docker look for them: every `*.crt` in `$HOME/.config/containers/certs.d/<host>/`,
/// `/etc/containers/certs.d/<host>/` and `/etc/docker/certs.d/<host>/` (`host` with its port, as
/// the reference names it). Client certificates (`*.cert`, `*.key`) are not read.
pub fn registry_ca_files(host: &str) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(home) = crate::cli::embed::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".config/containers/certs.d"));
    }
    dirs.push(PathBuf::from("/etc/containers/certs.d"));
    dirs.push(PathBuf::from("/etc/docker/certs.d"));
    let mut out = Vec::new();
    for dir in dirs {
        let mut found: Vec<PathBuf> = fs_err::read_dir(dir.join(host))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "crt") && p.is_file())
            .collect();
        found.sort();
        out.extend(found);
    }
    out
}

/// The `oci://` reference a command's MODEL argument names, if it names one (`sign` and
/// `verify` take a local path or an artifact in a registry).
pub fn oci_reference(model: &Path) -> Result<Option<ModelRef>> {
    let Some(text) = model
        .to_str()
        .filter(|t| t.starts_with(crate::reference::OCI_PREFIX))
    else {
        return Ok(None);
    };
    Ok(Some(ModelRef::parse(text, None).map_err(crate::Error::from)?))
}

#[cfg(test)]
mod tests {
    use super::{Remote, oci_cache, plain_http, registry_auth_files};
    use crate::cli::args::{KaggleArgs, RegistryArgs};
    use crate::cli::embed::with_env;
    use crate::reference::ModelRef;
    use std::path::PathBuf;

    /// Plain HTTP for a registry on this machine (any port) and for exactly the registries
    /// `--insecure-registry` names; never for anything else.
    #[test]
    fn plain_http_only_for_loopback_and_named_registries() {
        for local in [
            "localhost",
            "localhost:5000",
            "127.0.0.1",
            "127.0.0.1:5000",
            "[::1]",
            "[::1]:5000",
        ] {
            assert!(plain_http(local, &[], false), "{local}");
            assert!(
                !plain_http(local, &[], true),
                "{local} with a CA set up speaks TLS"
            );
        }
        for remote in [
            "quay.io",
            "quay.io:443",
            "127.0.0.2:5000",
            "localhost.example.com",
            "[::2]:5000",
            "10.0.0.1:5000",
        ] {
            assert!(!plain_http(remote, &[], false), "{remote}");
        }
        let named = ["reg.lan:5000".to_owned()];
        assert!(plain_http("reg.lan:5000", &named, false));
        assert!(plain_http("reg.lan:5000", &named, true), "the flag wins");
        assert!(
            !plain_http("reg.lan", &named, false),
            "another port is another registry"
        );
        assert!(!plain_http("quay.io", &named, false));
    }

    fn resolve(reference: &str, insecure: &[&str]) -> crate::cli::error::Result<Remote> {
        let repo = ModelRef::parse(reference, None).unwrap();
        let registry = RegistryArgs {
            insecure: insecure.iter().map(|s| (*s).to_owned()).collect(),
        };
        Remote::resolve(
            &repo,
            None,
            &KaggleArgs::default(),
            &registry,
            crate::hub::DEFAULT_READ_TIMEOUT,
        )
    }

    fn resolved_plain_http(reference: &str, insecure: &[&str]) -> bool {
        match resolve(reference, insecure).unwrap() {
            Remote::Oci(s) => s.plain_http,
            other => panic!("{other:?}"),
        }
    }

    /// `--insecure-registry` is spelled as a reference spells the registry (its host in any
    /// case) and lowers TLS for that registry only; a value that is no registry is refused.
    #[test]
    fn insecure_registry_names_one_registry() {
        assert!(resolved_plain_http("oci://reg.lan:5000/m", &["Reg.LAN:5000"]));
        assert!(!resolved_plain_http("oci://quay.io/m", &["reg.lan:5000"]));
        assert!(resolved_plain_http("oci://127.0.0.1:5000/m", &[]));
        assert!(!resolved_plain_http("oci://quay.io/m", &[]));
        let e = resolve("oci://quay.io/m", &["not a registry"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("--insecure-registry not a registry"), "{e}");
    }

    fn write(p: &std::path::Path) -> PathBuf {
        fs_err::create_dir_all(p.parent().unwrap()).unwrap();
        fs_err::write(p, b"{}").unwrap();
        p.to_path_buf()
    }

    /// The credential files that exist, in containers-auth.json(5)'s order: the primary file
    /// (`REGISTRY_AUTH_FILE` in place of the runtime one), the user's containers config, then
    /// docker's (`DOCKER_CONFIG`, else `~/.docker`).
    #[test]
    fn credential_files_in_the_order_skopeo_and_docker_read_them() {
        let tmp = tempfile::tempdir().unwrap();
        let t = tmp.path();
        let explicit = write(&t.join("explicit.json"));
        let runtime = write(&t.join("run/containers/auth.json"));
        let config = write(&t.join("cfg/containers/auth.json"));
        let docker = write(&t.join("dk/config.json"));
        let home_config = write(&t.join("home/.config/containers/auth.json"));
        let home_docker = write(&t.join("home/.docker/config.json"));
        let s = |p: &std::path::Path| p.to_str().unwrap().to_owned();
        let (run, cfg, dk, home) = (
            s(&t.join("run")),
            s(&t.join("cfg")),
            s(&t.join("dk")),
            s(&t.join("home")),
        );
        let found = |auth: &str, run: &str, cfg: &str, dk: &str| {
            with_env(
                &[
                    ("REGISTRY_AUTH_FILE", auth),
                    ("XDG_RUNTIME_DIR", run),
                    ("XDG_CONFIG_HOME", cfg),
                    ("DOCKER_CONFIG", dk),
                    ("HOME", &home),
                ],
                registry_auth_files,
            )
        };
        assert_eq!(
            found(&s(&explicit), &run, &cfg, &dk),
            [explicit.clone(), config.clone(), docker.clone()]
        );
        assert_eq!(found("", &run, &cfg, &dk), [runtime, config, docker]);
        assert_eq!(
            found("", &run, "", ""),
            [t.join("run/containers/auth.json"), home_config, home_docker]
        );
        // Only files that exist: a missing REGISTRY_AUTH_FILE is no candidate (and still
        // stands in for the runtime file, as skopeo's --authfile does).
        let missing = s(&t.join("missing.json"));
        assert_eq!(
            found(&missing, &run, &cfg, &dk),
            [t.join("cfg/containers/auth.json"), t.join("dk/config.json")]
        );
    }

    /// An OCI reference resolves to the registry's settings: the cache, the timeout, plain
    /// HTTP and the credential files that exist.
    #[test]
    fn an_oci_reference_resolves_every_setting() {
        let tmp = tempfile::tempdir().unwrap();
        let auth = write(&tmp.path().join("auth.json"));
        let remote = with_env(
            &[
                ("HUBSIGN_OCI_CACHE", "/oci"),
                ("REGISTRY_AUTH_FILE", auth.to_str().unwrap()),
                ("XDG_CONFIG_HOME", ""),
                ("DOCKER_CONFIG", ""),
                ("HOME", tmp.path().join("home").to_str().unwrap()),
            ],
            || resolve("oci://localhost:5000/m", &[]),
        );
        let Ok(Remote::Oci(s)) = remote else {
            panic!("{remote:?}");
        };
        assert_eq!(s.cache, PathBuf::from("/oci"));
        assert_eq!(s.read_timeout, crate::hub::DEFAULT_READ_TIMEOUT);
        assert!(s.plain_http);
        assert_eq!(s.auth_files, [auth]);
    }

    /// `--cache-dir`, else `HUBSIGN_OCI_CACHE`, else `$XDG_CACHE_HOME/hubsign/oci`, else
    /// `~/.cache/hubsign/oci`.
    #[test]
    fn the_oci_cache_folder() {
        let env = |oci: &str, xdg: &str| {
            with_env(
                &[
                    ("HUBSIGN_OCI_CACHE", oci),
                    ("XDG_CACHE_HOME", xdg),
                    ("HOME", "/home/u"),
                ],
                || (oci_cache(None), oci_cache(Some(std::path::Path::new("/flag")))),
            )
        };
        assert_eq!(
            env("/oci", "/xdg"),
            (PathBuf::from("/oci"), PathBuf::from("/flag"))
        );
        assert_eq!(env("", "/xdg").0, PathBuf::from("/xdg/hubsign/oci"));
        assert_eq!(env("", "").0, PathBuf::from("/home/u/.cache/hubsign/oci"));
    }
}

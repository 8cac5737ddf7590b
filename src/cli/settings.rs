//! Arguments + environment → explicit settings for the core. The only place that reads
//! environment variables, key files and passwords on behalf of the core.

use super::args::{
    HashArgs, HashChoice, HubModelArgs, KeyArgs, MethodChoice, PushArgs, SignArgs, SigstoreInstanceArgs,
    TrustArgs, VerifyArgs, WalkArgs,
};
use hubsign::crypto::ec::{PrivateKeyPem, SigningKey, VerifyingKey};
use hubsign::crypto::x509::{Certificate, parse_pem_certificates};
use hubsign::hub::http::Token;
use hubsign::manifest::{
    GitPaths, HashAlgorithm, OwnFolder, Serialization, SymlinkPolicy, WalkOptions, resolve_ignore_path,
};
use hubsign::policy::{Policy, RequiredSigner};
use hubsign::reference::{HubKind, ModelRef, RepoType};
use hubsign::sign::{SignRequest, Signer, certificate_signer};
use hubsign::sigstore::SigstoreInstance;
use hubsign::verify::{ModelCheck, TrustAnchor, UnsignedFiles};
use hubsign::{Error, Result};
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};

pub fn walk_options(args: &WalkArgs) -> Result<WalkOptions> {
    let ignore_paths = args
        .ignore_paths
        .iter()
        .map(|p| resolve_ignore_path(&args.model, p))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(WalkOptions {
        git_paths: if args.no_ignore_git_paths {
            GitPaths::Include
        } else {
            GitPaths::Ignore
        },
        own_folder: OwnFolder::Ignore,
        ignore_paths,
        symlinks: if args.allow_symlinks {
            SymlinkPolicy::Follow
        } else {
            SymlinkPolicy::Refuse
        },
        symlink_root: None,
    })
}

pub fn serialization(args: &HashArgs) -> (Serialization, HashAlgorithm) {
    let hash = match args.hash {
        HashChoice::Sha256 => HashAlgorithm::Sha256,
        HashChoice::Blake2b => HashAlgorithm::Blake2b,
        HashChoice::Blake3 => HashAlgorithm::Blake3,
    };
    let method = args
        .shard_size
        .map_or(Serialization::Files, |shard_size| Serialization::Shards {
            shard_size,
        });
    (method, hash)
}

/// `model.sig` inside a model directory, or beside a single-file model.
pub fn default_signature_path(model: &Path) -> PathBuf {
    if model.is_dir() {
        model.join("model.sig")
    } else {
        match model.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.join("model.sig"),
            _ => PathBuf::from("model.sig"),
        }
    }
}

/// A small text file (a key, certificate, policy, PIN, token list): a regular file of at most
/// [`MAX_SMALL_FILE_BYTES`](hubsign::fsutil::MAX_SMALL_FILE_BYTES), opened so that a FIFO in
/// its place cannot hang the command.
pub fn read_text(path: &Path, what: &'static str) -> Result<String> {
    let bytes = read_small(path, what)?;
    String::from_utf8(bytes).map_err(|e| Error::Io {
        action: what,
        path: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
    })
}

/// The bytes of a small regular file (see [`read_text`]).
fn read_small(path: &Path, what: &'static str) -> Result<Vec<u8>> {
    hubsign::fsutil::read_regular_capped(path, hubsign::fsutil::MAX_SMALL_FILE_BYTES).map_err(|source| {
        Error::Io {
            action: what,
            path: path.to_path_buf(),
            source,
        }
    })
}

fn load_certificates(path: &Path) -> Result<Vec<Certificate>> {
    let text = read_text(path, "cannot read certificate file")?;
    parse_pem_certificates(&text).map_err(|source| Error::Certificate {
        path: path.to_path_buf(),
        source,
    })
}

pub fn password(args: &KeyArgs, key_path: &Path) -> Result<Vec<u8>> {
    if let Some(file) = &args.password_file {
        let mut bytes = read_small(file, "cannot read password file")?;
        if bytes.ends_with(b"\n") {
            bytes.pop();
            if bytes.ends_with(b"\r") {
                bytes.pop();
            }
        }
        return Ok(bytes);
    }
    if let Some(var) = &args.password_env {
        return std::env::var_os(var)
            .map(std::ffi::OsString::into_encoded_bytes)
            .ok_or_else(|| {
                Error::Usage(format!(
                    "--password-env {var}: the environment variable is not set"
                ))
            });
    }
    if let Some(p) = &args.password {
        return Ok(p.clone().into_bytes());
    }
    if std::io::stdin().is_terminal() {
        let prompt = format!("Password for {}: ", key_path.display());
        return rpassword::prompt_password(prompt)
            .map(String::into_bytes)
            .map_err(|source| Error::Io {
                action: "cannot read the password from",
                path: "the terminal".into(),
                source,
            });
    }
    Err(Error::Key {
        path: key_path.to_path_buf(),
        source: hubsign::crypto::ec::KeyError::PasswordRequired,
    })
}

fn load_signing_key(args: &KeyArgs, path: &Path) -> Result<SigningKey> {
    let text = read_text(path, "cannot read private key")?;
    let key_err = |source| Error::Key {
        path: path.to_path_buf(),
        source,
    };
    let pem = PrivateKeyPem::parse(&text).map_err(key_err)?;
    let pw = if pem.is_encrypted() {
        Some(password(args, path)?)
    } else {
        None
    };
    pem.into_key(pw.as_deref()).map_err(key_err)
}

/// Whether the arguments ask for keyless signing (no key material, or `--method sigstore`).
pub fn is_keyless(args: &KeyArgs) -> bool {
    args.method == Some(MethodChoice::Sigstore)
        || (args.method.is_none() && args.private_key.is_none() && args.pkcs11_uri.is_none())
}

/// The PIN for a token: the URI's `pin-value` or `pin-source`, else `--pin-file`, `--pin-env`,
/// else the terminal prompt. Never from argv unless the user put it in the URI.
fn token_pin(args: &KeyArgs, uri: &hubsign::sign::pkcs11::Pkcs11Uri) -> Result<String> {
    if let Some(p) = uri.pin_value() {
        return Ok(p.to_owned());
    }
    let from_file = |path: &Path| -> Result<String> {
        let text = read_text(path, "cannot read the PIN file")?;
        Ok(text
            .strip_suffix('\n')
            .map_or(text.as_str(), |t| t.strip_suffix('\r').unwrap_or(t))
            .to_owned())
    };
    if let Some(p) = &uri.pin_source {
        // model_signing reads the file's whole content as the PIN.
        return read_text(p, "cannot read the PIN file");
    }
    if let Some(p) = &args.pin_file {
        return from_file(p);
    }
    if let Some(var) = &args.pin_env {
        return std::env::var(var)
            .map_err(|_| Error::Usage(format!("the environment variable {var} (--pin-env) is not set")));
    }
    if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
        return rpassword::prompt_password("PIN for the PKCS#11 token: ").map_err(|source| Error::Io {
            action: "cannot read the PIN from",
            path: PathBuf::from("the terminal"),
            source,
        });
    }
    Err(Error::Usage(
        "the token needs a PIN: pin-value= or pin-source= in the URI, --pin-file, --pin-env, or a terminal to ask on"
            .to_owned(),
    ))
}

/// The private key: a PEM file, or a key on a PKCS#11 token (logged in, found, EC checked).
fn signing_key(args: &KeyArgs) -> Result<hubsign::sign::SigningKeyRef> {
    if let Some(text) = &args.pkcs11_uri {
        let uri = hubsign::sign::pkcs11::Pkcs11Uri::parse(text).map_err(hubsign::sign::SignError::from)?;
        let module = uri
            .module(args.pkcs11_module.as_deref())
            .map_err(hubsign::sign::SignError::from)?;
        let pin = token_pin(args, &uri)?;
        let key = hubsign::sign::pkcs11::Pkcs11Key::open(&uri, &module, &pin)
            .map_err(hubsign::sign::SignError::from)?;
        return Ok(hubsign::sign::SigningKeyRef::Token(key));
    }
    let path = args
        .private_key
        .as_ref()
        .ok_or_else(|| Error::Usage("give the private key: --private-key PEM or --pkcs11-uri URI".into()))?;
    Ok(hubsign::sign::SigningKeyRef::Local(load_signing_key(args, path)?))
}

/// The instance keyless signing talks to.
pub fn signing_instance(args: &SigstoreInstanceArgs) -> Result<SigstoreInstance> {
    sigstore_instance(args.trust_config.as_deref(), args.staging)
}

/// The signer the arguments describe.
pub fn signer(args: &KeyArgs) -> Result<Signer> {
    let has_key = args.private_key.is_some() || args.pkcs11_uri.is_some();
    if args.signing_certificate.is_some() && !has_key {
        return Err(Error::Usage(
            "--signing-certificate needs the key it certifies: --private-key or --pkcs11-uri".into(),
        ));
    }
    let method = args.method.unwrap_or(if args.signing_certificate.is_some() {
        MethodChoice::Certificate
    } else if has_key {
        MethodChoice::Key
    } else {
        MethodChoice::Sigstore
    });
    match method {
        MethodChoice::Sigstore => Err(Error::Usage(
            "keyless signing takes no --private-key or --pkcs11-uri".to_owned(),
        )),
        MethodChoice::Key => Ok(Signer::Key(signing_key(args)?)),
        MethodChoice::Certificate => {
            let cert_path = args
                .signing_certificate
                .as_ref()
                .ok_or_else(|| Error::Usage("--method certificate needs --signing-certificate".into()))?;
            let key = signing_key(args)?;
            let mut leaf = load_certificates(cert_path)?;
            let leaf = leaf.remove(0);
            let mut chain = Vec::new();
            for p in &args.certificate_chain {
                chain.extend(load_certificates(p)?);
            }
            Ok(certificate_signer(key, leaf, chain)?)
        }
    }
}

pub fn sign_request(args: &SignArgs) -> Result<SignRequest> {
    let (method, hash) = serialization(&args.hash);
    Ok(SignRequest {
        model: args.walk.model.clone(),
        signature: args
            .signature
            .clone()
            .unwrap_or_else(|| default_signature_path(&args.walk.model)),
        walk: walk_options(&args.walk)?,
        method,
        hash,
    })
}

/// The Sigstore instance the flags name (embedded production root by default).
fn sigstore_instance(trust_config: Option<&Path>, staging: bool) -> Result<SigstoreInstance> {
    Ok(match (trust_config, staging) {
        (Some(path), _) => SigstoreInstance::Custom(read_text(path, "cannot read trust config")?),
        (None, true) => SigstoreInstance::Staging,
        (None, false) => SigstoreInstance::Production,
    })
}

fn sigstore_anchor(
    identity: &str,
    issuer: &str,
    trust_config: Option<&Path>,
    staging: bool,
) -> Result<TrustAnchor> {
    let instance = sigstore_instance(trust_config, staging)?;
    // Check the trust material now, so a bad file is a usage error, not a verification failure.
    instance.trusted_root().map_err(|e| {
        Error::Usage(format!(
            "{}: {e}",
            trust_config.map_or("embedded root".into(), |p| p.display().to_string())
        ))
    })?;
    Ok(TrustAnchor::Sigstore {
        instance,
        identity: identity.to_owned(),
        issuer: issuer.to_owned(),
    })
}

/// What the verifier trusts.
pub fn trust_anchor(args: &VerifyArgs) -> Result<TrustAnchor> {
    if let (Some(identity), Some(issuer)) = (&args.keyless.identity, &args.keyless.issuer) {
        return sigstore_anchor(
            identity,
            issuer,
            args.keyless.instance.trust_config.as_deref(),
            args.keyless.instance.staging,
        );
    }
    let method = args.method.unwrap_or(if args.public_key.is_some() {
        MethodChoice::Key
    } else if !args.certificate_chain.is_empty() {
        MethodChoice::Certificate
    } else {
        return Err(Error::Usage(
            "say whom to trust: --public-key PEM (key method), --certificate-chain PEM (certificate method), \
             or --identity ID --issuer URL (Sigstore keyless)"
                .into(),
        ));
    });
    match method {
        MethodChoice::Key => {
            let path = args
                .public_key
                .as_ref()
                .ok_or_else(|| Error::Usage("--method key needs --public-key".into()))?;
            key_anchor(path)
        }
        MethodChoice::Certificate => {
            if args.certificate_chain.is_empty() {
                return Err(Error::Usage(
                    "--method certificate needs --certificate-chain (the trust anchors)".into(),
                ));
            }
            chain_anchor(&args.certificate_chain)
        }
        MethodChoice::Sigstore => Err(Error::Usage(
            "--method sigstore needs --identity and --issuer".to_owned(),
        )),
    }
}

pub fn model_check(args: &VerifyArgs) -> Result<ModelCheck> {
    let walk = walk_options(&args.walk)?;
    Ok(ModelCheck {
        ignore_paths: walk.ignore_paths,
        git_paths: walk.git_paths,
        unsigned: if args.ignore_unsigned_files {
            UnsignedFiles::Ignore
        } else {
            UnsignedFiles::Reject
        },
        links: if walk.symlinks == SymlinkPolicy::Follow {
            hubsign::verify::Links::Follow
        } else {
            hubsign::verify::Links::AsSigned
        },
        symlink_root: None,
        coverage: hubsign::verify::Coverage::Complete,
    })
}

fn key_anchor(path: &Path) -> Result<TrustAnchor> {
    let text = read_text(path, "cannot read public key")?;
    let key = VerifyingKey::from_pem(&text).map_err(|source| Error::Key {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(TrustAnchor::PublicKey(key))
}

fn chain_anchor(paths: &[PathBuf]) -> Result<TrustAnchor> {
    let mut anchors = Vec::new();
    for p in paths {
        anchors.extend(load_certificates(p)?);
    }
    Ok(TrustAnchor::Certificates {
        anchors,
        at: std::time::SystemTime::now(),
    })
}

/// The policy file in effect: `--policy` (or `HUBSIGN_POLICY`), else the user's config dir.
///
/// Never the working directory: running `hubsign pull` inside an untrusted checkout must not
/// let that checkout choose whom to trust.
pub fn find_policy(explicit: Option<&Path>) -> Result<Option<Policy>> {
    if let Some(path) = explicit {
        let text = read_text(path, "cannot read trust policy")?;
        return Ok(Some(Policy::parse(&text, path)?));
    }
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|d| Path::new(d).is_absolute())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")));
    let Some(path) = config.map(|dir| dir.join("hubsign").join("hubsign.toml")) else {
        return Ok(None);
    };
    if !path.is_file() {
        return Ok(None);
    }
    let text = read_text(&path, "cannot read trust policy")?;
    Ok(Some(Policy::parse(&text, &path)?))
}

/// Whom to trust for `repo_id`: the signer flags, else the policy's first matching rule.
pub fn hub_trust_anchor(trust: &TrustArgs, repo_id: &str) -> Result<TrustAnchor> {
    if let (Some(identity), Some(issuer)) = (&trust.keyless.identity, &trust.keyless.issuer) {
        return sigstore_anchor(
            identity,
            issuer,
            trust.keyless.instance.trust_config.as_deref(),
            trust.keyless.instance.staging,
        );
    }
    if let Some(k) = &trust.public_key {
        return key_anchor(k);
    }
    if !trust.certificate_chain.is_empty() {
        return chain_anchor(&trust.certificate_chain);
    }
    let Some(policy) = find_policy(trust.policy.as_deref())? else {
        return Err(Error::Usage(format!(
            "say whom to trust for {repo_id}: --public-key, --certificate-chain, or a trust policy (--policy FILE, HUBSIGN_POLICY, or ~/.config/hubsign/hubsign.toml)"
        )));
    };
    policy_anchor(&policy, repo_id)?.ok_or_else(|| {
        Error::Usage(format!(
            "the trust policy {} has no rule for {repo_id}",
            policy.path.display()
        ))
    })
}

/// The anchor of the policy's first rule for `repo_id`, if one matches.
pub fn policy_anchor(policy: &Policy, repo_id: &str) -> Result<Option<TrustAnchor>> {
    let Some(rule) = policy.rule_for(repo_id) else {
        return Ok(None);
    };
    required_signer_anchor(&rule.signer).map(Some)
}

/// The anchor a policy rule's signer names (its key files read now).
pub fn required_signer_anchor(signer: &RequiredSigner) -> Result<TrustAnchor> {
    match signer {
        RequiredSigner::PublicKey(k) => key_anchor(k),
        RequiredSigner::CertificateChain(c) => chain_anchor(c),
        RequiredSigner::Sigstore {
            identity,
            issuer,
            trust_config,
        } => sigstore_anchor(identity, issuer, trust_config.as_deref(), false),
    }
}

/// Hub connection settings, from the environment the way huggingface_hub reads it.
#[derive(Debug)]
pub struct HubSettings {
    pub read_timeout: std::time::Duration,
    pub endpoint: String,
    pub token: Option<Token>,
    pub cache: PathBuf,
    pub network: hubsign::hub::Network,
}

fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

pub fn hub_settings(cache_dir: Option<&Path>, timeout: u64) -> HubSettings {
    let hf_home = env_nonempty("HF_HOME").map_or_else(
        || {
            let cache = env_nonempty("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
                .unwrap_or_else(|| PathBuf::from(".cache"));
            cache.join("huggingface")
        },
        PathBuf::from,
    );
    let cache = cache_dir
        .map(Path::to_path_buf)
        .or_else(|| env_nonempty("HF_HUB_CACHE").map(PathBuf::from))
        .or_else(|| env_nonempty("HUGGINGFACE_HUB_CACHE").map(PathBuf::from))
        .unwrap_or_else(|| hf_home.join("hub"));
    let token = env_nonempty("HF_TOKEN")
        .or_else(|| env_nonempty("HUGGING_FACE_HUB_TOKEN"))
        .or_else(|| {
            let path = env_nonempty("HF_TOKEN_PATH").map_or_else(|| hf_home.join("token"), PathBuf::from);
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
        hubsign::hub::Network::Offline
    } else {
        hubsign::hub::Network::Online
    };
    let endpoint = env_nonempty("HF_ENDPOINT").unwrap_or_else(|| "https://huggingface.co".to_owned());
    HubSettings {
        read_timeout: std::time::Duration::from_secs(timeout),
        endpoint,
        token,
        cache,
        network,
    }
}

/// The name trust policy rules match: `org/name` for a model, `datasets/org/name` for a
/// dataset (so a rule for a model organisation does not silently cover its datasets).
pub fn policy_name(repo: &ModelRef) -> String {
    let mut r = repo.clone();
    r.revision = None;
    r.to_string()
}

pub fn repo_type(arg: Option<super::args::RepoTypeArg>) -> Option<RepoType> {
    arg.map(|t| match t {
        super::args::RepoTypeArg::Model => RepoType::Model,
        super::args::RepoTypeArg::Dataset => RepoType::Dataset,
    })
}

/// The repository and revision the arguments name (`--revision` wins over `@rev` or a Kaggle
/// `/VERSION`).
pub fn model_ref(model: &HubModelArgs) -> Result<(ModelRef, String)> {
    let r = ModelRef::parse(&model.model, repo_type(model.repo_type))?;
    let revision = model
        .revision
        .clone()
        .or_else(|| r.revision.clone())
        .unwrap_or_else(|| r.default_revision().to_owned());
    hubsign::reference::check_revision(&revision)?;
    if r.hub == HubKind::Kaggle
        && revision != hubsign::reference::LATEST
        && !hubsign::reference::is_version_number(&revision)
    {
        return Err(Error::Usage(format!(
            "--revision {revision}: a Kaggle version is a positive number (or latest)"
        )));
    }
    Ok((r, revision))
}

/// Where a hub keeps a model's signature: `model.sig` at the root on Hugging Face, and on Kaggle
/// `.kaggle/signing.json`, where `kagglehub.model_upload(..., sigstore=True)` writes it.
pub fn remote_signature(repo: &ModelRef) -> &'static str {
    hub_signature(repo.hub)
}

/// [`remote_signature`] for every repository of `hub`.
pub fn hub_signature(hub: HubKind) -> &'static str {
    match hub {
        HubKind::HuggingFace => "model.sig",
        HubKind::Kaggle => ".kaggle/signing.json",
    }
}

/// The signature path inside the repository: `--signature-path`, else the hub's place.
pub fn signature_path(model: &HubModelArgs, repo: &ModelRef) -> Result<String> {
    let path = model
        .signature_path
        .clone()
        .unwrap_or_else(|| remote_signature(repo).to_owned());
    hubsign::hub::check_remote_path(&path)?;
    Ok(path)
}

/// Kaggle connection settings, read the way kagglehub reads them.
#[derive(Debug)]
pub struct KaggleSettings {
    pub read_timeout: std::time::Duration,
    pub endpoint: String,
    pub token: Option<Token>,
    pub cache: PathBuf,
}

/// The API base for `KAGGLE_API_ENVIRONMENT`, as kagglesdk maps it (production serves
/// `/v1/...` at its root; the other environments under `/api`).
fn kaggle_environment(env: Option<&str>) -> Result<String> {
    Ok(match env {
        None | Some("PROD") => "https://api.kaggle.com".to_owned(),
        Some("LOCALHOST") => "http://localhost/api".to_owned(),
        Some("TEST") => "http://localhost:7777/api".to_owned(),
        Some("STAGING") => "https://staging.kaggle.com/api".to_owned(),
        Some("ADMIN") => "https://admin.kaggle.com/api".to_owned(),
        Some("QA") => "https://qa.kaggle.com/api".to_owned(),
        Some(other) => {
            return Err(Error::Usage(format!(
                "unrecognised KAGGLE_API_ENVIRONMENT {other:?}: PROD, LOCALHOST, TEST, STAGING, ADMIN or QA"
            )));
        }
    })
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
    let home = std::env::var_os("HOME").map(PathBuf::from);
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
        for name in ["access_token", "access_token.txt"] {
            if let Some(t) = token_file(&home.join(".kaggle").join(name)) {
                return Ok(Some(Token::new(t)));
            }
        }
    }
    if let (Some(user), Some(key)) = (env_nonempty("KAGGLE_USERNAME"), env_nonempty("KAGGLE_KEY")) {
        return Ok(Some(Token::basic(&user, &key)));
    }
    let dir = env_nonempty("KAGGLE_CONFIG_DIR")
        .map(PathBuf::from)
        .or_else(|| home.map(|h| h.join(".kaggle")));
    let Some(path) = dir.map(|d| d.join("kaggle.json")) else {
        return Ok(None);
    };
    if !path.exists() {
        return Ok(None);
    }
    let text = read_text(&path, "cannot read Kaggle credentials")?;
    let v: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Error::Usage(format!("{}: not a Kaggle credentials file: {e}", path.display())))?;
    let field = |k: &str| {
        v.get(k)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| Error::Usage(format!("{}: no {k:?} in the Kaggle credentials", path.display())))
    };
    Ok(Some(Token::basic(&field("username")?, &field("key")?)))
}

/// The kagglehub cache: `explicit`, else `KAGGLEHUB_CACHE`, else `~/.cache/kagglehub`.
pub fn kagglehub_cache(explicit: Option<&Path>) -> PathBuf {
    explicit
        .map(Path::to_path_buf)
        .or_else(|| env_nonempty("KAGGLEHUB_CACHE").map(PathBuf::from))
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache").join("kagglehub")))
        .unwrap_or_else(|| PathBuf::from(".cache/kagglehub"))
}

pub fn kaggle_settings(
    args: &super::args::KaggleArgs,
    cache_dir: Option<&Path>,
    timeout: u64,
) -> Result<KaggleSettings> {
    let endpoint = match &args.endpoint {
        Some(e) => e.clone(),
        None => kaggle_environment(std::env::var("KAGGLE_API_ENVIRONMENT").ok().as_deref())?,
    };
    let cache = kagglehub_cache(cache_dir);
    Ok(KaggleSettings {
        read_timeout: std::time::Duration::from_secs(timeout),
        endpoint,
        token: kaggle_token()?,
        cache,
    })
}

/// The hub a reference names, with its settings.
#[derive(Debug)]
pub enum Remote {
    HuggingFace(HubSettings),
    Kaggle(KaggleSettings),
}

impl Remote {
    /// Whether the user asked for no network (`HF_HUB_OFFLINE`, Hugging Face only).
    pub fn offline(&self) -> bool {
        matches!(self, Self::HuggingFace(s) if s.network == hubsign::hub::Network::Offline)
    }
}

/// The settings of `repo`'s hub: its cache (`cache_dir` overrides the hub's default), endpoint,
/// token, and the read timeout in seconds.
pub fn remote(
    repo: &ModelRef,
    cache_dir: Option<&Path>,
    kaggle: &super::args::KaggleArgs,
    timeout: u64,
) -> Result<Remote> {
    Ok(match repo.hub {
        HubKind::HuggingFace => Remote::HuggingFace(hub_settings(cache_dir, timeout)),
        HubKind::Kaggle => Remote::Kaggle(kaggle_settings(kaggle, cache_dir, timeout)?),
    })
}

/// The anchor that a signature made by `signer` verifies against: its public key, or the
/// self-signed certificates among its chain.
pub fn signer_anchor(signer: &Signer) -> TrustAnchor {
    match signer {
        Signer::Key(k) => TrustAnchor::PublicKey(k.verifying_key()),
        Signer::Certificate { chain, .. } => TrustAnchor::Certificates {
            anchors: chain.iter().skip(1).cloned().collect(),
            at: std::time::SystemTime::now(),
        },
    }
}

/// Everything a push needs: signing material when given (or when the model is unsigned), and
/// the anchor the signature must verify against.
pub fn push_request(args: &PushArgs) -> Result<hubsign::push::PushRequest> {
    let repo = ModelRef::parse(&args.repo, repo_type(args.repo_type))?;
    hubsign::reference::check_revision(&args.revision)?;
    let remote_signature = remote_signature(&repo);
    if repo.hub == HubKind::Kaggle {
        if repo.revision.is_some() {
            return Err(Error::Usage(format!(
                "{}: a push creates the next version; name the variation without /VERSION",
                args.repo
            )));
        }
        if args.create_pr || args.revision != "main" {
            return Err(Error::Usage(
                "Kaggle models have no branches or pull requests: --revision and --create-pr do not apply"
                    .into(),
            ));
        }
    }
    let signature = args.signature.clone().unwrap_or_else(|| match repo.hub {
        HubKind::HuggingFace => default_signature_path(&args.model),
        HubKind::Kaggle => args.model.join(remote_signature),
    });
    let has_key = args.key.private_key.is_some() || args.key.pkcs11_uri.is_some();
    // Nothing to sign with, and something to sign: say that, before asking whom to trust.
    if !has_key && (args.resign || !signature.is_file()) {
        return Err(Error::NoSigningKey {
            model: args.model.clone(),
            signature,
        });
    }
    let signer = if has_key { Some(signer(&args.key)?) } else { None };
    let anchor = match (&signer, &args.public_key) {
        (Some(s), _) => signer_anchor(s),
        (None, Some(k)) => key_anchor(k)?,
        (None, None) => hub_trust_anchor(
            &TrustArgs {
                public_key: None,
                certificate_chain: Vec::new(),
                keyless: super::args::KeylessTrustArgs::default(),
                policy: args.policy.clone(),
            },
            &policy_name(&repo),
        )?,
    };
    let mut ignore_paths = args.ignore_paths.clone();
    if repo.hub == HubKind::Kaggle {
        // kagglehub never uploads these folders; leaving them out of the signature keeps what
        // is signed and what any Kaggle upload holds the same.
        for dir in [".cache", ".huggingface"] {
            let path = args.model.join(dir);
            if path.exists() && !ignore_paths.iter().any(|p| *p == path || p == Path::new(dir)) {
                ignore_paths.push(path);
            }
        }
    }
    let walk = walk_options(&WalkArgs {
        model: args.model.clone(),
        ignore_paths,
        no_ignore_git_paths: false,
        ignore_git_paths: true,
        allow_symlinks: false,
    })?;
    Ok(hubsign::push::PushRequest {
        model: args.model.clone(),
        remote_signature: remote_signature.to_owned(),
        repo,
        revision: args.revision.clone(),
        signature,
        signer,
        resign: if args.resign {
            hubsign::push::Resign::Replace
        } else {
            hubsign::push::Resign::KeepExisting
        },
        anchor,
        walk,
        private: args.private,
        create_pr: args.create_pr,
        summary: args.commit_message.clone(),
        concurrency: usize::from(args.concurrency),
    })
}

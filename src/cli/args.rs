//! Command-line syntax (clap). Flags use hyphens; model_signing's underscore spellings are
//! accepted as aliases so existing scripts keep working.

use clap::{Args, CommandFactory as _, Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::path::PathBuf;

pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success (signed, verified, digest printed)
  1  verification failed: bad or untrusted signature, or files modified, missing or unexpected
  2  usage, input, I/O or other error (no decision reached)";

pub const HUB_HELP: &str = "\
Trust: signer flags (--public-key, --certificate-chain), or a trust policy file: --policy FILE
(or HUBSIGN_POLICY), else $XDG_CONFIG_HOME/hubsign/hubsign.toml (~/.config/hubsign/hubsign.toml).
A hubsign.toml in the working directory is never read.

Environment: HF_ENDPOINT, HF_TOKEN / HF_TOKEN_PATH / $HF_HOME/token, HF_HOME, HF_HUB_CACHE,
HF_HUB_OFFLINE (pull then re-verifies the cached snapshot instead of using the network).

Exit codes:
  0  success (verified, cached)
  1  verification failed: missing, invalid or untrusted signature, files not matching it
  2  usage, network, I/O or other error (no decision reached; the cache is unchanged)";

pub const SYNC_HELP: &str = "\
Trust: as for pull (signer flags or a trust policy); the lock narrows it, never widens it.

Exit codes:
  0  every entry verified and matches the lock
  1  an entry differs from the lock (commit gone, digest, signature or signer changed; offline,
     the locked revision's ref points elsewhere) or does not verify; nothing of that entry is
     cached
  2  usage, network, I/O or other error";

pub const AUDIT_HELP: &str = "\
Verdicts: verified (trusted signer, files match), signed (files match the manifest the signature
carries; without a policy the signature itself is not checked), unsigned, untrusted (policy given: another signer, or no rule), tampered (files differ
from the signed manifest, signed files missing that no recorded partial pull explains, a link to a
directory in a snapshot, malformed signature, a claims file that does not check out, or a cache
folder that is a symlink). Claims count when the snapshot's own trusted signer or a
--claims-public-key made them; --derived-from follows only such lineage claims.

Exit codes:
  0  every listed snapshot passes
  1  a listed snapshot is unsigned, tampered, or untrusted under the policy
  2  usage, I/O or other error";

/// A count, size or number of seconds that must be at least 1. (clap's `range(1..)` would
/// answer `0 is not in 1..18446744073709551615`.)
fn at_least_one(s: &str) -> Result<u64, String> {
    match s.parse::<u64>() {
        Ok(0) => Err("must be at least 1".to_owned()),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("expected a whole number of at least 1 ({e})")),
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "hubsign",
    version,
    about = "Sign and verify ML models in the OpenSSF Model Signing (OMS) format",
    long_about = "Sign and verify ML models in the OpenSSF Model Signing (OMS) format, byte-compatible with the \
                  Python model-signing 1.1.x. Also runs as `cargo hubsign`, `git hubsign` and `hf hubsign`.",
    after_help = EXIT_CODES_HELP
)]
pub struct Cli {
    /// Print machine-readable JSON on stdout instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// No progress bars or summaries; results meant for scripts (a pull's snapshot path, a
    /// push's commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on
    /// stdout either; only the exit code and errors.
    #[arg(long, short, global = true, action = clap::ArgAction::Count)]
    pub quiet: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sign a model directory or single-file model.
    #[command(after_help = EXIT_CODES_HELP)]
    Sign(SignArgs),
    /// Verify a model against its signature.
    #[command(after_help = EXIT_CODES_HELP)]
    Verify(VerifyArgs),
    /// Append a signed claim about a model to claims.jsonl beside its signature.
    ///
    /// The claim (its model card, an evaluation result, the base model it derives from, or any
    /// predicate) is about the model's root digest as model.sig serialized it; a model that no
    /// longer matches model.sig is refused.
    #[command(after_help = ATTEST_HELP)]
    Attest(AttestArgs),
    /// Print the model's OMS subject digest (sha256:<hex>) without signing.
    #[command(after_help = EXIT_CODES_HELP)]
    Digest(DigestArgs),
    /// Download a signed model from the Hugging Face Hub into the HF cache, verified before
    /// anything is cached. Prints the snapshot path on stdout.
    #[command(after_help = HUB_HELP)]
    Pull(PullArgs),
    /// Sign the model if needed and publish it with its signature as one commit (prints the
    /// commit URL).
    #[command(after_help = HUB_HELP)]
    Push(PushArgs),
    /// Show a model's record: who signed it and when, its files, its claims (licence,
    /// evaluations, lineage), each marked trusted or not. Trust flags are optional here.
    #[command(after_help = EXIT_CODES_HELP)]
    Inspect(InspectArgs),
    /// Steps 1-3 of pull only: verify the signature and compare it with the hub's file listing,
    /// without downloading any weights.
    #[command(after_help = HUB_HELP)]
    Check(CheckArgs),
    /// Re-verify a cached snapshot offline (the signature inside it, then every file).
    #[command(name = "verify-cache", after_help = HUB_HELP)]
    VerifyCache(CheckArgs),
    /// Pull every model and dataset in the lock file at its locked commit, requiring the locked
    /// digest, signature and signer (with HF_HUB_OFFLINE=1: check the caches against the lock).
    #[command(after_help = SYNC_HELP)]
    Sync(SyncArgs),
    /// List every snapshot in the Hugging Face and kagglehub caches: who signed it, whether its
    /// files still match the signature (re-hashed), and whether the policy trusts that signer.
    /// Never modifies a cache.
    #[command(after_help = AUDIT_HELP)]
    Audit(AuditArgs),
    /// List the partial downloads interrupted pulls keep to resume (size, repository, commit,
    /// age), and with --clean remove those no running pull holds.
    Staging(StagingArgs),
    /// Run a verifying Hugging Face mirror: point HF_ENDPOINT at it and clients get only
    /// repositories that verify under the trust policy (others are answered 403 with the reason).
    #[command(after_help = SERVE_HELP)]
    Serve(ServeArgs),
    /// Make a signing key: a new P-256 private key in OUT (PKCS#8 PEM, mode 0600, encrypted on
    /// request) and its public key in OUT.pub. Never replaces an existing file.
    #[command(after_help = EXIT_CODES_HELP)]
    Keygen(KeygenArgs),
    /// Register hubsign as an extension of the `hf` CLI (huggingface_hub 2.x), so `hf hubsign …`
    /// runs this executable: writes ~/.local/share/hf/extensions/hf-hubsign/manifest.json as
    /// `hf extensions install` would (`hf extensions remove hubsign` undoes it).
    #[command(name = "install-hf-extension")]
    InstallHfExtension,
    /// Print a shell completion script.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// Which files make up the model.
#[derive(Debug, Args, Clone)]
pub struct WalkArgs {
    /// The model: a directory, or a single file; for sign and verify also an artifact in an
    /// OCI registry (oci://REGISTRY/REPOSITORY[:TAG|@sha256:DIGEST], read from its manifest
    /// alone; ./oci:… names a local path).
    pub model: PathBuf,
    /// Exclude a path (file or directory, whole components) relative to the model, or an
    /// absolute path inside it. Repeatable.
    #[arg(long = "ignore-paths", alias = "ignore_paths", value_name = "PATH")]
    pub ignore_paths: Vec<PathBuf>,
    /// Include the top-level .git, .gitattributes, .github and .gitignore (ignored by default).
    #[arg(
        long = "no-ignore-git-paths",
        alias = "no_ignore_git_paths",
        overrides_with = "ignore_git_paths"
    )]
    pub no_ignore_git_paths: bool,
    /// Ignore the top-level git paths (the default).
    #[arg(long = "ignore-git-paths", alias = "ignore_git_paths", hide = true)]
    pub ignore_git_paths: bool,
    /// Hash the target of file symlinks inside the model (links leaving the model are errors).
    #[arg(long = "allow-symlinks", alias = "allow_symlinks")]
    pub allow_symlinks: bool,
}

/// How files are hashed.
#[derive(Debug, Args, Clone)]
pub struct HashArgs {
    /// Per-file hash function.
    #[arg(long, value_enum, default_value_t = HashChoice::Sha256)]
    pub hash: HashChoice,
    /// Hash files in shards of N bytes (serialization `shards`) instead of whole files.
    #[arg(long = "shard-size", alias = "shard_size", value_name = "N", value_parser = at_least_one)]
    pub shard_size: Option<u64>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum HashChoice {
    Sha256,
    #[value(alias = "blake2")]
    Blake2b,
    Blake3,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum MethodChoice {
    Key,
    Certificate,
    Sigstore,
}

#[derive(Debug, Args)]
pub struct SignArgs {
    #[command(flatten)]
    pub walk: WalkArgs,
    #[command(flatten)]
    pub hash: HashArgs,
    /// Where to write the signature. Default: model.sig inside the model directory (for a
    /// single-file model: model.sig beside the file; for an oci:// artifact: attached in the
    /// registry only, and also written here when given).
    #[arg(long, value_name = "PATH")]
    pub signature: Option<PathBuf>,
    #[command(flatten)]
    pub key: KeyArgs,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Keyless (Sigstore) signing: the OIDC identity token. Also read from SIGSTORE_ID_TOKEN;
    /// without either, ambient CI credentials (GitHub Actions, ...) are used.
    #[arg(
        long = "identity-token",
        alias = "identity_token",
        value_name = "JWT",
        hide_env_values = true,
        env = "SIGSTORE_ID_TOKEN"
    )]
    pub identity_token: Option<String>,
    #[command(flatten)]
    pub instance: SigstoreInstanceArgs,
    #[command(flatten)]
    pub incremental: IncrementalArgs,
}

/// Incremental re-signing: the existing signature verified, the digests of unchanged files
/// reused.
#[derive(Debug, Args, Clone, Default)]
pub struct IncrementalArgs {
    /// Re-sign reusing the digests of unchanged files: the existing signature (the file
    /// --signature names, default model.sig) is verified first, and only new files, files
    /// named with --changed and files whose device, inode, size, mtime or ctime differ from
    /// the local hash record are hashed. Not for oci:// artifacts.
    #[arg(long)]
    pub incremental: bool,
    /// Hash this file or folder (relative to the model, or absolute inside it) whatever the
    /// hash record says. Repeatable.
    #[arg(long, value_name = "PATH", requires = "incremental")]
    pub changed: Vec<PathBuf>,
    /// Ignore the local hash record and hash every file (the existing signature is still
    /// verified).
    #[arg(long = "rehash-all", requires = "incremental")]
    pub rehash_all: bool,
    /// The public key the existing signature must verify with. Default: the signing key's
    /// public key (for a certificate: the certificates given with --certificate-chain).
    #[arg(long = "public-key", value_name = "PEM", requires = "incremental")]
    pub public_key: Option<PathBuf>,
    /// Sigstore keyless: the identity the existing signature's certificate must name (exact
    /// match); needed with keyless signing.
    #[arg(long, value_name = "IDENTITY", requires_all = ["incremental", "issuer"])]
    pub identity: Option<String>,
    /// Sigstore keyless: the OIDC issuer of that identity.
    #[arg(long, value_name = "URL", requires_all = ["incremental", "identity"])]
    pub issuer: Option<String>,
}

pub const ATTEST_HELP: &str = "\
Producers (exactly one):
  --model-card [README]       the Hugging Face card's YAML front matter (predicate
                              https://hubsign.dev/attestation/model-card/v0.1)
  --eval-result FILE.json     an in-toto eval-result predicate, validated
                              (https://in-toto.io/attestation/eval-result/v0.1)
  --derived-from REF          lineage: sha256:<root digest>, or a local model directory or a
                              repository whose signature is verified with the --base-* trust flags
                              (https://hubsign.dev/attestation/derived-from/v0.1)
  --predicate-type URI --predicate FILE.json   any predicate (a JSON object)

Signers: as for `sign` (--private-key, --signing-certificate, --pkcs11-uri, or keyless).

Exit codes:
  0  the claim was signed and appended (the line number is printed)
  1  the model (or the base model) does not match its signature
  2  usage, input, I/O or signing error (claims.jsonl unchanged)";

/// `hubsign attest`.
#[derive(Debug, Args)]
#[command(group(
    clap::ArgGroup::new("producer")
        .required(true)
        .multiple(false)
        .args(["model_card", "eval_result", "derived_from", "predicate_type"])
))]
pub struct AttestArgs {
    /// The model: a directory, or a single file.
    pub model: PathBuf,
    /// Claim the model card's YAML front matter: README.md in the model directory, or the
    /// card given.
    #[arg(long = "model-card", value_name = "README")]
    #[expect(
        clippy::option_option,
        reason = "clap's spelling of a flag whose value is optional"
    )]
    pub model_card: Option<Option<PathBuf>>,
    /// Claim an evaluation result: a JSON file holding an in-toto eval-result predicate.
    #[arg(long = "eval-result", value_name = "FILE")]
    pub eval_result: Option<PathBuf>,
    /// Claim lineage: the base model, as sha256:<its root digest> (recorded as given), a
    /// local model directory or a repository (its signature verified with the --base-* flags;
    /// a repository's on its hub, no weight downloaded).
    #[arg(long = "derived-from", value_name = "REF")]
    pub derived_from: Option<String>,
    /// The base model's name recorded in the lineage claim (a hint; default: the directory's
    /// name, or \"_\" for a digest).
    #[arg(long = "base-name", value_name = "NAME", requires = "derived_from")]
    pub base_name: Option<String>,
    /// The base model's trusted EC public key (key method).
    #[arg(
        long = "base-public-key",
        value_name = "PEM",
        requires = "derived_from",
        conflicts_with = "base_certificate_chain"
    )]
    pub base_public_key: Option<PathBuf>,
    /// The base model's trust anchors (certificate method). Repeatable.
    #[arg(
        long = "base-certificate-chain",
        value_name = "PEM",
        requires = "derived_from"
    )]
    pub base_certificate_chain: Vec<PathBuf>,
    /// The base model's Sigstore identity (keyless).
    #[arg(long = "base-identity", value_name = "IDENTITY", requires_all = ["derived_from", "base_issuer"])]
    pub base_identity: Option<String>,
    /// The OIDC issuer of --base-identity.
    #[arg(long = "base-issuer", value_name = "URL", requires = "base_identity")]
    pub base_issuer: Option<String>,
    /// The Sigstore trusted root (or ClientTrustConfig) for --base-identity (default: production).
    #[arg(long = "base-trust-config", value_name = "FILE", requires = "base_identity")]
    pub base_trust_config: Option<PathBuf>,
    /// Claim any predicate: its type URI (with --predicate).
    #[arg(long = "predicate-type", value_name = "URI", requires = "predicate")]
    pub predicate_type: Option<String>,
    /// The predicate of --predicate-type: a file holding a JSON object.
    #[arg(long, value_name = "FILE", requires = "predicate_type")]
    pub predicate: Option<PathBuf>,
    /// The model's signature (its serialization is used, and the model must match it);
    /// claims.jsonl goes beside it. Default: model.sig in the model directory.
    #[arg(long, value_name = "PATH")]
    pub signature: Option<PathBuf>,
    #[command(flatten)]
    pub key: KeyArgs,
    /// Keyless (Sigstore) signing: the OIDC identity token. Also read from SIGSTORE_ID_TOKEN;
    /// without either, ambient CI credentials (GitHub Actions, ...) are used.
    #[arg(
        long = "identity-token",
        alias = "identity_token",
        value_name = "JWT",
        hide_env_values = true,
        env = "SIGSTORE_ID_TOKEN"
    )]
    pub identity_token: Option<String>,
    #[command(flatten)]
    pub instance: SigstoreInstanceArgs,
}

/// `hubsign keygen`.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// The private key file to create; the public key goes to OUT.pub. Neither may exist.
    #[arg(value_name = "OUT")]
    pub out: PathBuf,
    /// Encrypt the private key with a password asked on the terminal (twice).
    #[arg(long, conflicts_with_all = ["password_file", "password_env"])]
    pub encrypt: bool,
    /// Encrypt the private key with the password in this file (one trailing newline is
    /// removed, as `sign --password-file` reads it).
    #[arg(long = "password-file", value_name = "FILE", conflicts_with = "password_env")]
    pub password_file: Option<PathBuf>,
    /// Encrypt the private key with the password in this environment variable.
    #[arg(long = "password-env", value_name = "VAR")]
    pub password_env: Option<String>,
    /// PBKDF2-HMAC-SHA256 rounds of the key encryption (lower only to make tests fast).
    #[arg(long = "kdf-rounds", hide = true, default_value_t = crate::crypto::ec::KEY_ENCRYPTION_ROUNDS,
          value_parser = clap::value_parser!(u32).range(1000..))]
    pub kdf_rounds: u32,
}

/// Signing material.
#[derive(Debug, Args, Default)]
pub struct KeyArgs {
    /// Signing method; inferred from the key material when omitted (certificate if
    /// --signing-certificate is given, key if --private-key is given, else sigstore).
    #[arg(long, value_enum)]
    pub method: Option<MethodChoice>,
    /// EC private key (P-256, P-384 or P-521), PEM: PKCS#8, SEC1 or encrypted PKCS#8.
    #[arg(
        long = "private-key",
        alias = "private_key",
        value_name = "PEM",
        conflicts_with = "pkcs11_uri"
    )]
    pub private_key: Option<PathBuf>,
    /// The key on a PKCS#11 token (HSM, smart card), RFC 7512: pkcs11:token=…;object=…|id=…
    /// [?module-path=…|module-name=…][&pin-value=…|pin-source=file:…]. It never leaves the token.
    #[arg(long = "pkcs11-uri", alias = "pkcs11_uri", value_name = "URI")]
    pub pkcs11_uri: Option<String>,
    /// The PKCS#11 module (shared library) when the URI names none.
    #[arg(
        long = "pkcs11-module",
        value_name = "PATH",
        env = "PKCS11_MODULE",
        requires = "pkcs11_uri"
    )]
    pub pkcs11_module: Option<PathBuf>,
    /// Read the token PIN from this file (one trailing newline is removed).
    #[arg(
        long = "pin-file",
        value_name = "FILE",
        requires = "pkcs11_uri",
        conflicts_with = "pin_env"
    )]
    pub pin_file: Option<PathBuf>,
    /// Read the token PIN from this environment variable.
    #[arg(long = "pin-env", value_name = "VAR", requires = "pkcs11_uri")]
    pub pin_env: Option<String>,
    /// Certificate for the private key (certificate method).
    #[arg(
        long = "signing-certificate",
        alias = "signing_certificate",
        value_name = "PEM"
    )]
    pub signing_certificate: Option<PathBuf>,
    /// Intermediate (and root) certificates to embed after the signing certificate. Repeatable.
    #[arg(
        long = "certificate-chain",
        alias = "certificate_chain",
        value_name = "PEM",
        requires = "signing_certificate"
    )]
    pub certificate_chain: Vec<PathBuf>,
    /// Read the private key's password from this file (one trailing newline is removed).
    #[arg(long = "password-file", value_name = "FILE", conflicts_with_all = ["password_env", "password"])]
    pub password_file: Option<PathBuf>,
    /// Read the private key's password from this environment variable.
    #[arg(long = "password-env", value_name = "VAR", conflicts_with = "password")]
    pub password_env: Option<String>,
    /// The password itself (visible to other users in the process list: prefer --password-file,
    /// --password-env or the interactive prompt).
    #[arg(long, value_name = "PASSWORD", hide_short_help = true)]
    pub password: Option<String>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub walk: WalkArgs,
    /// The signature to verify. Default: model.sig inside the model directory (for a
    /// single-file model: model.sig beside the file; for an oci:// artifact: the signature
    /// attached to it in the registry).
    #[arg(long, value_name = "PATH")]
    pub signature: Option<PathBuf>,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Verification method; inferred from --public-key / --certificate-chain when omitted.
    #[arg(long, value_enum)]
    pub method: Option<MethodChoice>,
    /// Trusted EC public key (key method).
    #[arg(
        long = "public-key",
        alias = "public_key",
        value_name = "PEM",
        conflicts_with = "certificate_chain"
    )]
    pub public_key: Option<PathBuf>,
    /// Trust anchors (certificate method): every certificate in these files is trusted. Repeatable.
    #[arg(long = "certificate-chain", alias = "certificate_chain", value_name = "PEM")]
    pub certificate_chain: Vec<PathBuf>,
    #[command(flatten)]
    pub keyless: KeylessTrustArgs,
    /// Do not fail on files the signature does not cover (they are not read).
    #[arg(long = "ignore-unsigned-files", alias = "ignore_unsigned_files")]
    pub ignore_unsigned_files: bool,
    #[command(flatten)]
    pub claims: ClaimsTrustArgs,
}

/// Whose claims (`claims.jsonl`) count besides the model's own signer.
#[derive(Debug, Args, Clone, Default)]
pub struct ClaimsTrustArgs {
    /// Also trust claims signed with this EC public key (an evaluator's, say). Repeatable.
    #[arg(long = "claims-public-key", value_name = "PEM")]
    pub claims_public_key: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// A model directory or file, or a repository (org/name[@revision], kaggle:…, oci://…):
    /// its cached snapshot, else what the hub holds (signature and claims only).
    pub model: String,
    /// The signature file of a local model. Default: model.sig inside the model directory.
    #[arg(long, value_name = "PATH")]
    pub signature: Option<PathBuf>,
    /// Verify the signature with this EC public key (optional: without a signer flag the
    /// signer is shown as the signature names it, unverified).
    #[arg(
        long = "public-key",
        alias = "public_key",
        value_name = "PEM",
        conflicts_with = "certificate_chain"
    )]
    pub public_key: Option<PathBuf>,
    /// Verify the signature against these trust anchors (certificate method). Repeatable.
    #[arg(long = "certificate-chain", alias = "certificate_chain", value_name = "PEM")]
    pub certificate_chain: Vec<PathBuf>,
    #[command(flatten)]
    pub keyless: KeylessTrustArgs,
    #[command(flatten)]
    pub claims: ClaimsTrustArgs,
    /// The Hugging Face cache (default: HF_HUB_CACHE, else $HF_HOME/hub).
    #[arg(long = "cache-dir", value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// The kagglehub cache (default: KAGGLEHUB_CACHE, else ~/.cache/kagglehub).
    #[arg(long = "kagglehub-cache", value_name = "DIR")]
    pub kagglehub_cache: Option<PathBuf>,
    /// The cache of models pulled from OCI registries (default: HUBSIGN_OCI_CACHE, else
    /// ~/.cache/hubsign/oci).
    #[arg(long = "oci-cache", value_name = "DIR")]
    pub oci_cache: Option<PathBuf>,
    /// Ask the hub (or registry) even when a snapshot is cached: its signature and claims
    /// are fetched, no weight. A repository not in any cache is always asked for.
    #[arg(long)]
    pub remote: bool,
    #[command(flatten)]
    pub kaggle: KaggleArgs,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// A connection that delivers no data for this many seconds is dropped.
    #[arg(long, value_name = "SECONDS", default_value_t = crate::hub::DEFAULT_READ_TIMEOUT.as_secs(), value_parser = at_least_one)]
    pub timeout: u64,
}

#[derive(Debug, Args)]
pub struct DigestArgs {
    #[command(flatten)]
    pub walk: WalkArgs,
    /// The signature file, excluded from the digest when it lies inside the model, as `sign`
    /// excludes it. Default: model.sig inside the model directory.
    #[arg(long, value_name = "PATH")]
    pub signature: Option<PathBuf>,
    #[command(flatten)]
    pub hash: HashArgs,
}

/// Whom to trust for a hub model.
#[derive(Debug, Args, Clone)]
pub struct TrustArgs {
    /// Trusted EC public key (key method).
    #[arg(
        long = "public-key",
        alias = "public_key",
        value_name = "PEM",
        conflicts_with = "certificate_chain"
    )]
    pub public_key: Option<PathBuf>,
    /// Trust anchors (certificate method). Repeatable.
    #[arg(long = "certificate-chain", alias = "certificate_chain", value_name = "PEM")]
    pub certificate_chain: Vec<PathBuf>,
    #[command(flatten)]
    pub keyless: KeylessTrustArgs,
    /// Trust policy file mapping repository patterns to required signers.
    #[arg(long, value_name = "FILE", env = "HUBSIGN_POLICY")]
    pub policy: Option<PathBuf>,
}

/// The kind of repository (as `hf download --repo-type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RepoTypeArg {
    Model,
    Dataset,
}

/// Which hub model, and where the signature lives in it.
#[derive(Debug, Args, Clone)]
pub struct HubModelArgs {
    /// ORG/NAME[@REVISION], also hf:ORG/NAME or a legacy bare NAME (gpt2); datasets/ORG/NAME
    /// for a dataset; kaggle:OWNER/MODEL/FRAMEWORK/VARIATION[/VERSION] for a Kaggle model;
    /// oci://REGISTRY/REPOSITORY[:TAG|@sha256:DIGEST] for a model in an OCI registry.
    pub model: String,
    /// The repository type (default: model, or dataset for datasets/ORG/NAME).
    #[arg(long = "repo-type", alias = "repo_type", value_enum)]
    pub repo_type: Option<RepoTypeArg>,
    /// Branch, tag or commit (default: main, or the @REVISION of MODEL); on Kaggle a version
    /// number (default: the /VERSION of MODEL, else the latest); in an OCI registry a tag or a
    /// sha256: digest (default: the :TAG or @DIGEST of MODEL, else latest).
    #[arg(long)]
    pub revision: Option<String>,
    /// Path of the signature inside the repository (default: model.sig; on Kaggle
    /// .kaggle/signing.json, where kagglehub puts it).
    #[arg(long = "signature-path", value_name = "PATH")]
    pub signature_path: Option<String>,
    /// Do not fail on repository files the signature does not cover; they are not downloaded.
    #[arg(long = "ignore-unsigned-files", alias = "ignore_unsigned_files")]
    pub ignore_unsigned_files: bool,
    /// The cache directory (default: HF_HUB_CACHE, else $HF_HOME/hub; for Kaggle models
    /// KAGGLEHUB_CACHE, else ~/.cache/kagglehub; for OCI registries HUBSIGN_OCI_CACHE, else
    /// $XDG_CACHE_HOME/hubsign/oci, else ~/.cache/hubsign/oci).
    #[arg(long = "cache-dir", value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    #[command(flatten)]
    pub kaggle: KaggleArgs,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// A connection that delivers no data for this many seconds is dropped and the transfer
    /// resumed (with a Range request).
    #[arg(long, value_name = "SECONDS", default_value_t = crate::hub::DEFAULT_READ_TIMEOUT.as_secs(), value_parser = at_least_one)]
    pub timeout: u64,
}

/// How OCI registries are reached.
#[derive(Debug, Args, Clone, Default)]
pub struct RegistryArgs {
    /// Reach the OCI registry REGISTRY (HOST[:PORT], as the oci:// reference names it) over
    /// plain HTTP, without TLS. Repeatable. It lowers TLS for that registry only;
    /// localhost, 127.0.0.1 and [::1] are reached over plain HTTP without it, as docker and
    /// skopeo reach them.
    #[arg(long = "insecure-registry", value_name = "REGISTRY")]
    pub insecure: Vec<String>,
}

/// Where the Kaggle API is (default: as kagglehub reads KAGGLE_API_ENVIRONMENT).
#[derive(Debug, Args, Clone, Default)]
pub struct KaggleArgs {
    /// The Kaggle API base URL that /v1/<service>/<method> is appended to, for a mirror
    /// (default: https://api.kaggle.com, or what KAGGLE_API_ENVIRONMENT names).
    #[arg(long = "kaggle-endpoint", value_name = "URL", env = "HUBSIGN_KAGGLE_ENDPOINT")]
    pub endpoint: Option<String>,
}

#[derive(Debug, Args)]
pub struct PullArgs {
    #[command(flatten)]
    pub model: HubModelArgs,
    /// Download only these files (repository paths); with one FILE, its path is printed.
    #[arg(value_name = "FILE", conflicts_with_all = ["include", "exclude"])]
    pub files: Vec<String>,
    /// Download only files matching PATTERN (fnmatch, as `hf download`: `*` crosses `/`; `dir/`
    /// means everything below). Repeatable. The signature still covers the whole listing.
    #[arg(long, value_name = "PATTERN")]
    pub include: Vec<String>,
    /// Do not download files matching PATTERN. Repeatable.
    #[arg(long, value_name = "PATTERN")]
    pub exclude: Vec<String>,
    #[command(flatten)]
    pub trust: TrustArgs,
    /// Place a verified copy in DIR instead of the HF cache.
    #[arg(long = "local-dir", value_name = "DIR")]
    pub local_dir: Option<PathBuf>,
    /// With --local-dir: move the files in DIR hubsign did not place there (or this pull does
    /// not place) aside, into a dated folder beside DIR, never deleting one (by default such a
    /// directory is refused, naming them).
    #[arg(long, requires = "local_dir")]
    pub force: bool,
    /// Parallel file transfers.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// Record the verified pull in a lock file (--lock=FILE; default ./hubsign.lock): ref,
    /// commit, digest, signer, signature hash. A reference already locked moves on only when
    /// the same signer signed the new commit. Without --lock an existing ./hubsign.lock is
    /// still read, never written: it can refuse a changed signer, never trust more.
    #[arg(long, value_name = "FILE", num_args = 0..=1, require_equals = true, default_missing_value = crate::lock::DEFAULT_LOCK_FILE)]
    pub lock: Option<PathBuf>,
    /// Accept a signer other than the one the lock names (with --lock, the lock then names the
    /// new signer).
    #[arg(long = "accept-new-signer")]
    pub accept_new_signer: bool,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The lock file.
    #[arg(long, value_name = "FILE", default_value = crate::lock::DEFAULT_LOCK_FILE)]
    pub lock: PathBuf,
    #[command(flatten)]
    pub trust: TrustArgs,
    /// The Hugging Face cache (default: HF_HUB_CACHE, else $HF_HOME/hub).
    #[arg(long = "cache-dir", value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// The kagglehub cache (default: KAGGLEHUB_CACHE, else ~/.cache/kagglehub).
    #[arg(long = "kagglehub-cache", value_name = "DIR")]
    pub kagglehub_cache: Option<PathBuf>,
    /// The cache of models pulled from OCI registries (default: HUBSIGN_OCI_CACHE, else
    /// ~/.cache/hubsign/oci).
    #[arg(long = "oci-cache", value_name = "DIR")]
    pub oci_cache: Option<PathBuf>,
    #[command(flatten)]
    pub kaggle: KaggleArgs,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// A connection that delivers no data for this many seconds is dropped and resumed.
    #[arg(long, value_name = "SECONDS", default_value_t = crate::hub::DEFAULT_READ_TIMEOUT.as_secs(), value_parser = at_least_one)]
    pub timeout: u64,
    /// Parallel file transfers.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The Hugging Face cache (default: HF_HUB_CACHE, else $HF_HOME/hub).
    #[arg(long = "cache-dir", value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// The kagglehub cache (default: KAGGLEHUB_CACHE, else ~/.cache/kagglehub).
    #[arg(long = "kagglehub-cache", value_name = "DIR")]
    pub kagglehub_cache: Option<PathBuf>,
    /// The cache of models pulled from OCI registries (default: HUBSIGN_OCI_CACHE, else
    /// ~/.cache/hubsign/oci).
    #[arg(long = "oci-cache", value_name = "DIR")]
    pub oci_cache: Option<PathBuf>,
    /// Trust policy: report whether each snapshot's signer is the one trusted for its
    /// repository (default: HUBSIGN_POLICY, else ~/.config/hubsign/hubsign.toml if present).
    #[arg(long, value_name = "FILE", env = "HUBSIGN_POLICY")]
    pub policy: Option<PathBuf>,
    /// List only what this signer signed: a key or certificate fingerprint (hex SHA-256, as
    /// `verify` prints it, or a prefix of at least 8 hex digits), a keyless identity (email or
    /// URI), or a certificate subject (CN=…).
    #[arg(long, value_name = "FINGERPRINT|IDENTITY")]
    pub signer: Option<String>,
    /// List only the snapshots whose verified lineage includes this base model: its root
    /// digest (sha256:<hex>) or a reference whose cached snapshot's root digest is used.
    #[arg(long = "derived-from", value_name = "DIGEST|REF")]
    pub derived_from: Option<String>,
    #[command(flatten)]
    pub claims: ClaimsTrustArgs,
}

#[derive(Debug, Args)]
pub struct StagingArgs {
    /// The Hugging Face cache (default: HF_HUB_CACHE, else $HF_HOME/hub).
    #[arg(long = "cache-dir", value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// The kagglehub cache (default: KAGGLEHUB_CACHE, else ~/.cache/kagglehub).
    #[arg(long = "kagglehub-cache", value_name = "DIR")]
    pub kagglehub_cache: Option<PathBuf>,
    /// The cache of models pulled from OCI registries (default: HUBSIGN_OCI_CACHE, else
    /// ~/.cache/hubsign/oci).
    #[arg(long = "oci-cache", value_name = "DIR")]
    pub oci_cache: Option<PathBuf>,
    /// Also a directory pulled into with --local-dir (its .cache/hubsign/staging). Repeatable.
    #[arg(long = "local-dir", value_name = "DIR")]
    pub local_dir: Vec<PathBuf>,
    /// Remove every staging folder no running pull holds (its downloads start over).
    #[arg(long)]
    pub clean: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub model: HubModelArgs,
    #[command(flatten)]
    pub trust: TrustArgs,
}

#[derive(Debug, Args)]
pub struct PushArgs {
    /// The model (or dataset) directory.
    pub model: PathBuf,
    /// ORG/NAME on the hub (created if needed); datasets/ORG/NAME for a dataset;
    /// kaggle:OWNER/MODEL/FRAMEWORK/VARIATION for a new version of a Kaggle model.
    pub repo: String,
    /// The repository type (default: model, or dataset for datasets/ORG/NAME).
    #[arg(long = "repo-type", alias = "repo_type", value_enum)]
    pub repo_type: Option<RepoTypeArg>,
    /// Branch to commit to.
    #[arg(long, default_value = "main")]
    pub revision: String,
    /// The model's signature. Default: model.sig inside the model directory (Kaggle:
    /// .kaggle/signing.json), uploaded to that same path in the repository.
    #[arg(long, value_name = "PATH")]
    pub signature: Option<PathBuf>,
    /// Sign again even if the model already carries a valid signature.
    #[arg(long)]
    pub resign: bool,
    #[command(flatten)]
    pub key: KeyArgs,
    /// Trusted public key for verifying an existing signature (when not signing now).
    #[arg(long = "public-key", alias = "public_key", value_name = "PEM")]
    pub public_key: Option<PathBuf>,
    /// Trust policy file (when not signing now and no --public-key).
    #[arg(long, value_name = "FILE", env = "HUBSIGN_POLICY")]
    pub policy: Option<PathBuf>,
    /// Exclude a path from the signature and the upload. Repeatable.
    #[arg(long = "ignore-paths", alias = "ignore_paths", value_name = "PATH")]
    pub ignore_paths: Vec<PathBuf>,
    /// Create the repository as private.
    #[arg(long)]
    pub private: bool,
    /// Open a pull request instead of committing to the branch.
    #[arg(long = "create-pr")]
    pub create_pr: bool,
    /// Commit summary.
    #[arg(long = "commit-message", default_value = "Upload model signed with hubsign")]
    pub commit_message: String,
    /// Parallel LFS uploads.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    #[command(flatten)]
    pub kaggle: KaggleArgs,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// Whom to trust for Sigstore keyless signatures.
#[derive(Debug, Args, Clone, Default)]
pub struct KeylessTrustArgs {
    /// Sigstore keyless: the signer's identity (certificate SAN: email or URI), exact match.
    #[arg(long, value_name = "IDENTITY", requires = "issuer")]
    pub identity: Option<String>,
    /// Sigstore keyless: the OIDC issuer that vouched for the identity.
    #[arg(
        long,
        visible_alias = "identity-provider",
        alias = "identity_provider",
        value_name = "URL",
        requires = "identity"
    )]
    pub issuer: Option<String>,
    #[command(flatten)]
    pub instance: SigstoreInstanceArgs,
}

/// Which Sigstore instance keyless signing talks to, or keyless verification trusts.
#[derive(Debug, Args, Clone, Default)]
pub struct SigstoreInstanceArgs {
    /// Sigstore keyless: use this instance instead of production — a ClientTrustConfig (trusted
    /// root + signing config, as model_signing's --trust_config takes; signing needs one), or a
    /// trusted root JSON for verifying. Verification is offline.
    #[arg(
        long = "trust-config",
        alias = "trust_config",
        value_name = "FILE",
        conflicts_with = "staging"
    )]
    pub trust_config: Option<PathBuf>,
    /// Sigstore keyless: the public staging instance (embedded root and signing config).
    #[arg(long, alias = "use_staging")]
    pub staging: bool,
}

pub const SERVE_HELP: &str = "\
Clients: HF_ENDPOINT=http://HOST:PORT for huggingface_hub, transformers, datasets, vLLM, TGI.
Each repository at each commit is pulled and verified once (as `hubsign pull` does) into
--cache-dir; only its signed files and the signature are listed and served.

HTTP answers: 200/206 served from a verified snapshot; 401 missing or wrong client token;
403 refused (unsigned, does not verify, or no policy rule; X-Error-Code: HubsignRefused and
the reason in X-Error-Message); 404 no such repository, revision or file; 502 upstream error.

Exit codes:
  0  shut down on SIGTERM or SIGINT
  2  usage, policy, key file, or listening socket error";

/// `hubsign serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The upstream hub (e.g. https://huggingface.co).
    #[arg(long, value_name = "URL")]
    pub upstream: String,
    /// Trust policy file: which signer each repository must be signed by. Repositories no
    /// rule covers are refused.
    #[arg(long, value_name = "FILE")]
    pub policy: PathBuf,
    /// The mirror's cache (a Hugging Face cache layout; may be shared by several replicas).
    /// Default: HF_HUB_CACHE, else $HF_HOME/hub.
    #[arg(long = "cache-dir", value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Address to listen on (port 0: any free port, see --port-file).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// The mirror's own upstream token (one line). The clients' tokens are never forwarded.
    #[arg(long = "token-file", value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Bearer tokens clients must present, one per line; without it the mirror is open.
    #[arg(long = "client-tokens", value_name = "FILE")]
    pub client_tokens: Option<PathBuf>,
    /// Append the access log (one JSON object per request) to FILE instead of stderr.
    #[arg(long = "access-log", value_name = "FILE")]
    pub access_log: Option<PathBuf>,
    /// Write the port the mirror listens on to FILE once it accepts connections.
    #[arg(long = "port-file", value_name = "FILE")]
    pub port_file: Option<PathBuf>,
    /// Path of the signature inside each repository.
    #[arg(long = "signature-path", value_name = "PATH", default_value = crate::hub::huggingface::SIGNATURE_PATH)]
    pub signature_path: String,
    /// Serve repositories holding files the signature does not cover (those files are not
    /// listed or served); by default such repositories are refused.
    #[arg(long = "ignore-unsigned-files")]
    pub ignore_unsigned_files: bool,
    /// Parallel file transfers of one verified pull.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// An upstream connection that delivers no data for this many seconds is dropped and the
    /// transfer resumed.
    #[arg(long, value_name = "SECONDS", default_value_t = crate::hub::DEFAULT_READ_TIMEOUT.as_secs(), value_parser = at_least_one)]
    pub timeout: u64,
    /// Entries per page of tree listings.
    #[arg(long = "tree-page-size", default_value_t = crate::serve::DEFAULT_TREE_PAGE_SIZE, hide = true, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub tree_page_size: u64,
    /// A client must send its request head within this many seconds, or is disconnected.
    #[arg(long = "header-read-timeout", value_name = "SECONDS", default_value_t = crate::serve::DEFAULT_HEADER_READ_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..=600))]
    pub header_read_timeout: u64,
    /// A verified pull not finished after this many seconds is abandoned (its clients get a
    /// 502; the next request starts again, reusing what verified).
    #[arg(long = "pull-timeout", value_name = "SECONDS", default_value_t = crate::serve::DEFAULT_PULL_TIMEOUT.as_secs(), value_parser = at_least_one)]
    pub pull_timeout: u64,
}

// What was typed, before clap: plugin invocations, model_signing habits, and clap's suggestions.

/// Drops the subcommand word cargo inserts when running `cargo hubsign …` (it execs
/// `cargo-hubsign hubsign …`); `git hubsign` and `hf hubsign` pass no extra word.
pub fn plugin_args(mut args: Vec<OsString>) -> Vec<OsString> {
    let invoked_as = args
        .first()
        .and_then(|a| {
            std::path::Path::new(a)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
        })
        .unwrap_or_default();
    if invoked_as == "cargo-hubsign" && args.get(1).is_some_and(|a| a == "hubsign") {
        args.remove(1);
    }
    args
}

/// model_signing's method words (`model_signing verify key DIR …`); hubsign infers the method
/// from the key flags (`--method` makes it explicit).
const METHOD_WORDS: [&str; 5] = [
    "key",
    "certificate",
    "sigstore",
    "pkcs11-key",
    "pkcs11-certificate",
];

/// `hubsign sign|verify METHOD …` typed from model_signing's habit (and no model of that name
/// here): the command line without the method word, to suggest.
pub fn without_method_word(args: &[OsString]) -> Option<(String, String)> {
    let cmd = args
        .iter()
        .skip(1)
        .position(|a| !a.to_string_lossy().starts_with('-'))?
        + 1;
    if !matches!(args[cmd].to_str(), Some("sign" | "verify")) {
        return None;
    }
    let word = args.get(cmd + 1)?.to_str()?;
    if !METHOD_WORDS.contains(&word) || std::path::Path::new(word).exists() {
        return None;
    }
    let rest: Vec<String> = args
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(i, _)| *i != cmd + 1)
        .map(|(_, a)| a.to_string_lossy().into_owned())
        .collect();
    Some((word.to_owned(), rest.join(" ")))
}

/// clap suggests the nearest spelling, hidden aliases included: `--private_kye` got
/// `--private_key`. The suggestion is the flag's own (hyphenated) name instead.
pub fn suggest_canonical_flag(e: &mut clap::Error) {
    use clap::error::{ContextKind, ContextValue};
    let Some(ContextValue::String(suggested)) = e.get(ContextKind::SuggestedArg) else {
        return;
    };
    let Some(alias) = suggested.strip_prefix("--") else {
        return;
    };
    if let Some(long) = flag_with_alias(&Cli::command(), alias) {
        e.insert(ContextKind::SuggestedArg, ContextValue::String(long));
    }
}

/// `--long` of the flag that has `alias` among its aliases, in `cmd` or a subcommand.
fn flag_with_alias(cmd: &clap::Command, alias: &str) -> Option<String> {
    cmd.get_arguments()
        .find(|a| a.get_all_aliases().is_some_and(|v| v.contains(&alias)))
        .and_then(|a| a.get_long().map(|l| format!("--{l}")))
        .or_else(|| cmd.get_subcommands().find_map(|c| flag_with_alias(c, alias)))
}

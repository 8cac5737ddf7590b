//! The thin command-line layer: parse, resolve settings, call the core, render the result.
//! The only module that prints.
#![expect(clippy::print_stderr, reason = "the CLI is where output happens")]

/// `println!` for the CLI: through [`stdout::Stdout`], so a closed pipe never panics.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::cli::stdout::line(format_args!($($arg)*))
    };
}

pub mod args;
mod diagnostics;
mod keygen;
mod reporter;
mod serve;
mod settings;
mod staging;
mod stdout;

use args::{Cli, Command};
use clap::{CommandFactory as _, Parser as _};
use hubsign::verify::VerificationReport;
use hubsign::{ExitStatus, Result};
use serde_json::json;
use std::ffi::OsString;
use std::io::IsTerminal as _;

/// The one output mode every command renders in (instead of `json`/`quiet` flags threaded
/// through each function).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// `-qq`: nothing on stdout; the exit code and errors only.
    Silent,
    /// `-q`: results meant for scripts on stdout, no summaries or progress.
    Quiet,
    /// Summaries and progress bars (when stderr is a terminal) on stderr, results on stdout.
    Normal,
    /// `--json`: one JSON document on stdout.
    Json,
}

impl Output {
    fn new(json: bool, quiet: u8) -> Self {
        match (json, quiet) {
            (true, _) => Self::Json,
            (false, 0) => Self::Normal,
            (false, 1) => Self::Quiet,
            (false, _) => Self::Silent,
        }
    }

    fn is_json(self) -> bool {
        self == Self::Json
    }

    /// Human summaries (and warnings) are shown.
    fn chatty(self) -> bool {
        self == Self::Normal
    }

    /// Results for scripts (a path, a URL, a digest) go to stdout.
    fn results(self) -> bool {
        matches!(self, Self::Normal | Self::Quiet)
    }

    /// Progress bars are drawn (also needs stderr to be a terminal).
    fn bars(self) -> bool {
        self == Self::Normal && std::io::stderr().is_terminal()
    }
}

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
fn without_method_word(args: &[OsString]) -> Option<(String, String)> {
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
fn suggest_canonical_flag(e: &mut clap::Error) {
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

/// Runs the CLI and returns the process exit status.
pub fn main(args: Vec<OsString>) -> ExitStatus {
    let args = plugin_args(args);
    if let Some((word, rest)) = without_method_word(&args) {
        eprintln!("error: `{word}` is model_signing's method word, not a model: hubsign infers the method");
        let explicit = match word.as_str() {
            "pkcs11-key" => "--pkcs11-uri URI signs with a token's key".to_owned(),
            "pkcs11-certificate" => {
                "--pkcs11-uri URI with --signing-certificate signs with a token's key".to_owned()
            }
            w => format!("--method {w} makes it explicit"),
        };
        eprintln!("hint: drop it: hubsign {rest} ({explicit})");
        return ExitStatus::Error;
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(mut e) => {
            suggest_canonical_flag(&mut e);
            let _ = e.print();
            return if e.use_stderr() {
                ExitStatus::Error
            } else {
                ExitStatus::Success
            };
        }
    };
    let json = cli.json;
    let status = match run(cli) {
        Ok(status) => status,
        Err(error) => {
            diagnostics::report(&error, json);
            error.exit_status()
        }
    };
    match stdout::take_error() {
        Some(e) => {
            eprintln!("error: cannot write to standard output: {e}");
            ExitStatus::Error
        }
        None => status,
    }
}

fn run(cli: Cli) -> Result<ExitStatus> {
    let out = Output::new(cli.json, cli.quiet);
    match cli.command {
        Command::Sign(args) => {
            let request = settings::sign_request(&args)?;
            let (outcome, method) = if settings::is_keyless(&args.key) {
                let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
                let token = args.identity_token.clone().map_or(
                    hubsign::sign::sigstore::TokenSource::Ambient { interactive },
                    hubsign::sign::sigstore::TokenSource::Explicit,
                );
                let instance = settings::signing_instance(&args.instance)?;
                let outcome =
                    runtime()?.block_on(hubsign::sign::sign_model_keyless(request, &token, &instance))?;
                (outcome, "sigstore")
            } else {
                let signer = settings::signer(&args.key)?;
                (hubsign::sign::sign_model(request, &signer)?, signer.method())
            };
            let root = hex::encode(outcome.manifest.root_digest());
            if out.is_json() {
                let out = json!({
                    "signed": true,
                    "signature": outcome.signature,
                    "method": method,
                    "resources": outcome.manifest.resources.len(),
                    "subject_digest": format!("sha256:{root}"),
                });
                outln!("{out}");
            } else if out.chatty() {
                outln!(
                    "Signing succeeded: {} ({}, sha256:{root})",
                    outcome.signature.display(),
                    diagnostics::count(outcome.manifest.resources.len(), "resource")
                );
            }
            Ok(ExitStatus::Success)
        }
        Command::Verify(args) => {
            let anchor = settings::trust_anchor(&args)?;
            let check = settings::model_check(&args)?;
            let signature = args
                .signature
                .clone()
                .unwrap_or_else(|| settings::default_signature_path(&args.walk.model));
            let report = hubsign::verify::verify_model(&args.walk.model, &signature, &anchor, &check)?;
            render_report(&report, out);
            Ok(if report.verified {
                ExitStatus::Success
            } else {
                ExitStatus::VerificationFailed
            })
        }
        Command::Digest(args) => {
            let mut walk = settings::walk_options(&args.walk)?;
            let signature = args
                .signature
                .clone()
                .unwrap_or_else(|| settings::default_signature_path(&args.walk.model));
            walk.ignore_paths
                .extend(hubsign::manifest::path_inside_model(&args.walk.model, &signature));
            let (method, hash) = settings::serialization(&args.hash);
            let manifest = hubsign::manifest::build_manifest(&args.walk.model, &walk, method, hash)?;
            let root = hex::encode(manifest.root_digest());
            if out.is_json() {
                outln!(
                    "{}",
                    json!({ "digest": format!("sha256:{root}"), "resources": manifest.resources.len() })
                );
            } else if out.results() {
                outln!("sha256:{root}");
            }
            Ok(ExitStatus::Success)
        }
        Command::Pull(args) => hub_pull(&args, out),
        Command::Push(args) => hub_push(&args, out),
        Command::Check(args) => hub_check(&args, out),
        Command::VerifyCache(args) => verify_cache_command(&args, out),
        Command::Sync(args) => records::sync_command(&args, out),
        Command::Audit(args) => records::audit_command(&args, out),
        Command::Staging(args) => staging::command(&args, out),
        Command::Serve(args) => serve::run(&args, out),
        Command::Keygen(args) => keygen::run(&args, out),
        Command::InstallHfExtension => install_hf_extension(out),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "hubsign", &mut stdout::Stdout);
            Ok(ExitStatus::Success)
        }
    }
}

/// `hf` 2.x looks for extensions under `~/.local/share/hf/extensions` (`Path.expanduser`: `HOME`).
fn install_hf_extension(out: Output) -> Result<ExitStatus> {
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .ok_or(hubsign::hf_extension::ExtensionError::NoHome)?;
    let root = std::path::Path::new(&home).join(".local/share/hf/extensions");
    let exe = std::env::current_exe()
        .and_then(std::fs::canonicalize)
        .map_err(|source| hubsign::Error::Io {
            action: "cannot locate",
            path: "the hubsign executable".into(),
            source,
        })?;
    let description = format!(
        "Sign and verify models (OpenSSF Model Signing); verified pulls and pushes (hubsign {})",
        env!("CARGO_PKG_VERSION")
    );
    let installed = hubsign::hf_extension::install(&root, &exe, &description, std::time::SystemTime::now())?;
    if out.is_json() {
        outln!(
            "{}",
            json!({
                "installed": true,
                "command": "hf hubsign",
                "manifest": installed.manifest,
                "executable": exe,
                "replaced": installed.replaced,
            })
        );
    } else {
        if out.chatty() {
            eprintln!(
                "Registered `hf hubsign` (runs {}){}",
                exe.display(),
                if installed.replaced {
                    "; the previous registration was replaced"
                } else {
                    ""
                }
            );
        }
        if out.results() {
            outln!("{}", installed.manifest.display());
        }
    }
    Ok(ExitStatus::Success)
}

fn render_report(report: &VerificationReport, out: Output) {
    if out.is_json() {
        outln!("{}", serde_json::to_string(report).unwrap_or_default());
        return;
    }
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    if report.verified {
        if out.chatty() {
            outln!(
                "Verification succeeded: {} {}, signed by {}",
                diagnostics::count(report.files_checked, "file"),
                if report.files_checked == 1 {
                    "matches"
                } else {
                    "match"
                },
                report.signer
            );
        }
        return;
    }
    eprintln!(
        "Verification failed: the model does not match its signature (signed by {})",
        report.signer
    );
    for (label, files) in [
        ("modified", &report.modified),
        ("missing", &report.missing),
        ("unexpected", &report.unexpected),
    ] {
        for f in files {
            eprintln!("  {label}: {f}");
        }
    }
    if !report.unexpected.is_empty() {
        eprintln!(
            "hint: files not covered by the signature fail verification; --ignore-unsigned-files skips them"
        );
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(hubsign::Error::Runtime)
}

fn unsigned(model: &args::HubModelArgs) -> hubsign::verify::UnsignedFiles {
    if model.ignore_unsigned_files {
        hubsign::verify::UnsignedFiles::Ignore
    } else {
        hubsign::verify::UnsignedFiles::Reject
    }
}

fn http_client(
    endpoint: &str,
    token: Option<hubsign::hub::http::Token>,
    read_timeout: std::time::Duration,
) -> Result<hubsign::hub::http::HttpClient> {
    let retry = hubsign::hub::http::RetryPolicy {
        read_timeout,
        ..Default::default()
    };
    Ok(hubsign::hub::http::HttpClient::new(endpoint, token, retry)?)
}

/// Runs `$body` with `$hub` (a [`hubsign::hub::Hub`]) and `$cache` (its
/// [`hubsign::cache::CacheLayout`]) for the hub the settings name: the workflows below are
/// written once, generically, and this is the only place that picks an implementation.
macro_rules! with_remote {
    ($remote:expr, |$hub:ident, $cache:ident| $body:expr) => {
        match $remote {
            settings::Remote::HuggingFace(s) => {
                let $hub = hubsign::hub::huggingface::HuggingFaceHub::new(http_client(
                    &s.endpoint,
                    s.token.clone(),
                    s.read_timeout,
                )?);
                let $cache = hubsign::cache::HfCache::new(&s.cache);
                $body
            }
            settings::Remote::Kaggle(s) => {
                let $hub = hubsign::hub::kaggle::KaggleHub::new(http_client(
                    &s.endpoint,
                    s.token.clone(),
                    s.read_timeout,
                )?);
                let $cache = hubsign::cache::KaggleCache::new(&s.cache);
                $body
            }
        }
    };
}

mod records;

/// Offline: re-verify the cached snapshot and print its path like a pull would.
fn verify_cached<C: hubsign::cache::CacheLayout>(
    cache: &C,
    target: &hubsign::pull::Target,
    out: Output,
    files: &[String],
    lock: Option<&records::PullLock>,
) -> Result<ExitStatus> {
    let repo = &target.repo;
    // Files asked for by name (an offline partial pull): the snapshot may hold only some.
    let coverage = if files.is_empty() {
        hubsign::verify::Coverage::Complete
    } else {
        hubsign::verify::Coverage::Present
    };
    let (commit, snapshot, report) = hubsign::pull::verify_cache(
        cache,
        repo,
        &target.revision,
        &target.signature_path,
        &target.anchor,
        coverage,
        files,
    )?;
    // A lock pins the signer offline too (checked only once the signature verified).
    if let (Some(lock), true) = (lock, report.verified) {
        lock.check_cached(repo, &commit, report.signer_id.as_ref())?;
    }
    let shown = match files {
        [only] => snapshot.join(only),
        _ => snapshot.clone(),
    };
    if out.is_json() {
        let mut v = serde_json::to_value(&report).unwrap_or_default();
        v["commit"] = json!(commit);
        v["snapshot"] = json!(snapshot);
        outln!("{v}");
    } else if report.verified {
        if out.chatty() {
            eprintln!(
                "Verified cached {}: {}, signed by {}",
                repo.pinned(&commit),
                diagnostics::count(report.files_checked, "file"),
                report.signer
            );
        }
        if out.results() {
            outln!("{}", shown.display());
        }
    } else {
        render_report(&report, out);
    }
    Ok(if report.verified {
        ExitStatus::Success
    } else {
        ExitStatus::VerificationFailed
    })
}

/// The repository, its hub's settings, and what to check (policy rules match `org/name` for
/// models, `datasets/org/name` for datasets, `kaggle:owner/model/framework/variation`).
fn hub_target(
    args: &args::HubModelArgs,
    trust: &args::TrustArgs,
) -> Result<(settings::Remote, hubsign::pull::Target)> {
    let (repo, revision) = settings::model_ref(args)?;
    let remote = settings::remote(&repo, args.cache_dir.as_deref(), &args.kaggle, args.timeout)?;
    let anchor = settings::hub_trust_anchor(trust, &settings::policy_name(&repo))?;
    let target = hubsign::pull::Target {
        signature_path: settings::signature_path(args, &repo)?,
        repo,
        revision,
        anchor,
        unsigned: unsigned(args),
    };
    Ok((remote, target))
}

fn verify_cache_command(args: &args::CheckArgs, out: Output) -> Result<ExitStatus> {
    let (remote, target) = hub_target(&args.model, &args.trust)?;
    with_remote!(&remote, |_hub, cache| verify_cached(
        &cache,
        &target,
        out,
        &[],
        None
    ))
}

fn hub_check(args: &args::CheckArgs, out: Output) -> Result<ExitStatus> {
    let (remote, target) = hub_target(&args.model, &args.trust)?;
    let plan = with_remote!(&remote, |hub, _cache| runtime()?
        .block_on(hubsign::pull::plan(&hub, &target))?);
    let bytes: u64 = plan.to_fetch.iter().map(|f| f.size).sum();
    if out.is_json() {
        let doc = json!({
            "verified": true,
            "repo": target.repo.to_string(),
            "commit": plan.commit,
            "pinned": target.repo.pinned(&plan.commit),
            "signer": plan.verified.signer,
            "files": plan.signed_files(),
            "bytes": bytes,
            "skipped": plan.skipped,
            "warnings": plan.verified.warnings,
        });
        outln!("{doc}");
    } else if out.chatty() {
        for w in &plan.verified.warnings {
            eprintln!("warning: {w}");
        }
        outln!(
            "Check passed: {} is signed by {}; {} ({bytes} bytes) {} the signed manifest (nothing downloaded)",
            target.repo.pinned(&plan.commit),
            plan.verified.signer,
            diagnostics::count(plan.signed_files(), "file"),
            if plan.signed_files() == 1 {
                "matches"
            } else {
                "match"
            }
        );
    }
    Ok(ExitStatus::Success)
}

fn hub_pull(args: &args::PullArgs, out: Output) -> Result<ExitStatus> {
    let (remote, target) = hub_target(&args.model, &args.trust)?;
    let lock = records::PullLock::open(args)?;
    if remote.offline() {
        if args.lock.is_some() {
            return Err(hubsign::Error::Usage(
                "HF_HUB_OFFLINE is set: --lock records a pull from the hub; `hubsign sync` checks the cache against the lock offline".into(),
            ));
        }
        if args.local_dir.is_some() {
            return Err(hubsign::Error::Usage(
                "HF_HUB_OFFLINE is set: --local-dir needs the network".into(),
            ));
        }
        if !args.include.is_empty() || !args.exclude.is_empty() {
            return Err(hubsign::Error::Usage(
                "HF_HUB_OFFLINE is set: --include/--exclude need the listing; name the files (FILE...) instead".into(),
            ));
        }
        return with_remote!(&remote, |_hub, cache| verify_cached(
            &cache,
            &target,
            out,
            &args.files,
            lock.as_ref()
        ));
    }
    let destination = match &args.local_dir {
        Some(dir) => hubsign::pull::Destination::LocalDir {
            dir: dir.clone(),
            mode: if args.force {
                hubsign::cache::LocalDirMode::ReplaceForeign
            } else {
                hubsign::cache::LocalDirMode::RefuseForeign
            },
        },
        None => hubsign::pull::Destination::Cache,
    };
    for f in &args.files {
        hubsign::hub::check_remote_path(f)?;
    }
    let req = hubsign::pull::PullRequest {
        ref_name: Some(target.revision.clone()),
        target,
        selection: hubsign::pull::Selection {
            files: args.files.clone(),
            include: args.include.clone(),
            exclude: args.exclude.clone(),
        },
        concurrency: usize::from(args.concurrency),
        destination,
    };
    let bars = std::sync::Arc::new(reporter::Bars::new(out.bars()));
    let (outcome, entry) = with_remote!(&remote, |hub, cache| runtime()?.block_on(async {
        let plan = hubsign::pull::plan(&hub, &req.target).await?;
        // The lock's signer pin is checked before any weight is downloaded.
        let entry = hubsign::sync::entry_for(&req.target, &plan, &req.selection);
        if let Some(lock) = &lock {
            lock.check(&entry)?;
        }
        let outcome = hubsign::pull::pull(&hub, &cache, &req, plan, bars).await?;
        Ok::<_, hubsign::Error>((outcome, entry))
    })?);
    let locked = match lock {
        Some(lock) => lock.record(entry, outcome.files)?,
        None => None,
    };
    render_pull(out, &req.target.repo, &outcome, locked.as_deref());
    Ok(ExitStatus::Success)
}

fn render_pull(
    out: Output,
    repo: &hubsign::reference::ModelRef,
    outcome: &hubsign::pull::PullOutcome,
    locked: Option<&std::path::Path>,
) {
    // Files of the user's moved aside are always listed, even with -q or --json (which
    // lists them too): they left where the user had them.
    if let Some(d) = outcome.displaced.as_ref().filter(|_| out != Output::Silent) {
        eprintln!(
            "Moved {} {} hubsign did not place into {} (nothing was deleted):",
            d.files.len(),
            if d.files.len() == 1 { "file" } else { "files" },
            d.folder.display()
        );
        for f in &d.files {
            eprintln!("  {f}");
        }
    }
    if out.is_json() {
        let doc = json!({
            "verified": true,
            "repo": repo.to_string(),
            "commit": outcome.commit,
            "pinned": repo.pinned(&outcome.commit),
            "path": outcome.path,
            "files": outcome.files,
            "downloaded_bytes": outcome.downloaded_bytes,
            "reused": outcome.reused,
            "skipped": outcome.skipped,
            "signer": outcome.signer,
            "warnings": outcome.warnings,
            "lock": locked,
            "displaced": outcome.displaced.as_ref().map(|d| json!({
                "folder": d.folder,
                "files": d.files,
            })),
        });
        outln!("{doc}");
        return;
    }
    if out.chatty() {
        for w in &outcome.warnings {
            eprintln!("warning: {w}");
        }
        if let Some(path) = locked {
            eprintln!("Locked {} in {}", repo.pinned(&outcome.commit), path.display());
        }
        eprintln!(
            "Verified {}: {} signed by {} ({} bytes downloaded, {} reused from the cache)",
            repo.pinned(&outcome.commit),
            diagnostics::count(outcome.files, "file"),
            outcome.signer,
            outcome.downloaded_bytes,
            outcome.reused
        );
        if !outcome.skipped.is_empty() {
            eprintln!(
                "Not downloaded (not covered by the signature): {}",
                outcome.skipped.join(", ")
            );
        }
    }
    if out.results() {
        outln!("{}", outcome.path.display());
    }
}

fn hub_push(args: &args::PushArgs, out: Output) -> Result<ExitStatus> {
    let req = settings::push_request(args)?;
    let remote = settings::remote(&req.repo, None, &args.kaggle, 60)?;
    let bars = std::sync::Arc::new(reporter::Bars::new(out.bars()));
    let outcome = with_remote!(&remote, |hub, _cache| runtime()?
        .block_on(hubsign::push::push(&hub, &req, bars))?);
    let pinned = req.repo.pinned(&outcome.commit);
    if outcome.unchanged {
        let message = format!(
            "nothing to push: {} of {} already holds this signed model (commit {})",
            req.revision, req.repo, outcome.commit
        );
        if out.is_json() {
            let doc = json!({
                "pushed": false,
                "unchanged": true,
                "message": message,
                "repo": req.repo.to_string(),
                "revision": req.revision,
                "commit": outcome.commit,
                "pinned": pinned,
                "commit_url": outcome.commit_url,
                "signed": outcome.signed,
                "files": outcome.files,
                "uploaded_bytes": 0,
            });
            outln!("{doc}");
        } else {
            if out.chatty() {
                eprintln!("{message}");
            }
            if out.results() {
                outln!("{}", outcome.commit_url);
            }
        }
        return Ok(ExitStatus::Success);
    }
    if out.is_json() {
        let doc = json!({
            "pushed": true,
            "unchanged": false,
            "repo": req.repo.to_string(),
            "commit": outcome.commit,
            "pinned": pinned,
            "commit_url": outcome.commit_url,
            "pull_request_url": outcome.pull_request_url,
            "signed": outcome.signed,
            "files": outcome.files,
            "uploaded_bytes": outcome.uploaded_bytes,
            "deduplicated": outcome.deduplicated,
        });
        outln!("{doc}");
        return Ok(ExitStatus::Success);
    }
    let kaggle = req.repo.hub == hubsign::reference::HubKind::Kaggle;
    if out.chatty() {
        let verb = if outcome.signed {
            "Signed and pushed"
        } else {
            "Pushed"
        };
        if kaggle {
            eprintln!(
                "{verb} {} as {pinned} ({} bytes uploaded); the new version passes the pre-download check",
                diagnostics::count(outcome.files, "file"),
                outcome.uploaded_bytes
            );
        } else {
            eprintln!(
                "{verb} {} to {} ({} LFS bytes uploaded, {} already on the hub); the pushed commit passes the pre-download check",
                diagnostics::count(outcome.files, "file"),
                req.repo,
                outcome.uploaded_bytes,
                diagnostics::count(outcome.deduplicated, "LFS object")
            );
        }
    }
    if out.results() {
        // Kaggle: the new version's handle, as kagglehub takes it.
        if kaggle {
            outln!("{pinned}");
        } else {
            outln!(
                "{}",
                outcome.pull_request_url.as_deref().unwrap_or(&outcome.commit_url)
            );
        }
    }
    Ok(ExitStatus::Success)
}

//! `hubsign serve`: arguments → the mirror's settings (policy with its key files, tokens, the
//! cache), then the core's [`crate::serve::run`] until SIGTERM/SIGINT. Renders the access log
//! (JSON lines) and pull events; tokens never appear in either.

#![expect(clippy::print_stderr, reason = "the CLI is where output happens")]

use crate::cli::Output;
use crate::cli::args::ServeArgs;
use crate::cli::error::{CliError, Result};
use crate::cli::settings::hub::{hf_cache, http_client, token_file};
use crate::cli::settings::read_text;
use crate::cli::settings::trust::{read_policy, required_claims, required_signer_anchor};
use crate::policy::Policy;
use crate::pull::PullOutcome;
use crate::reference::ModelRef;
use crate::serve::{AccessRecord, Events, ServeConfig, TrustPolicy};
use crate::verify::{TrustAnchor, UnsignedFiles};
use crate::{Error, ExitStatus};
use serde_json::json;
use std::io::Write as _;
use std::sync::{Arc, Mutex};

/// The policy file, parsed once; a rule's key files are read again for each pull (so a
/// certificate chain is checked at the time of the pull).
struct FilePolicy(Policy);

impl TrustPolicy for FilePolicy {
    fn anchor(&self, policy_name: &str) -> Option<crate::Result<TrustAnchor>> {
        let rule = self.0.rule_for(policy_name)?;
        Some(required_signer_anchor(&rule.signer))
    }

    fn covers(&self, policy_name: &str) -> bool {
        self.0.rule_for(policy_name).is_some()
    }

    fn claims(
        &self,
        policy_name: &str,
        anchor: &TrustAnchor,
    ) -> crate::Result<Vec<crate::policy::RequiredClaim>> {
        self.0
            .rule_for(policy_name)
            .map_or_else(|| Ok(Vec::new()), |rule| required_claims(rule, anchor))
    }
}

/// Access records to stderr or a file; pull events to stderr.
struct Log {
    access: Mutex<Box<dyn std::io::Write + Send>>,
    out: Output,
}

impl Log {
    fn event(&self, v: &serde_json::Value, text: &str) {
        match self.out {
            Output::Json => eprintln!("{v}"),
            Output::Normal => eprintln!("{text}"),
            Output::Quiet | Output::Silent => {}
        }
    }
}

impl Events for Log {
    fn access(&self, record: &AccessRecord) {
        let Ok(line) = serde_json::to_string(record) else {
            return;
        };
        if let Ok(mut w) = self.access.lock() {
            let _ = writeln!(w, "{line}");
            let _ = w.flush();
        }
    }

    fn pull_started(&self, repo: &ModelRef, commit: &str) {
        self.event(
            &json!({ "event": "pull", "repo": repo.to_string(), "commit": commit }),
            &format!("Verifying {}", repo.pinned(commit)),
        );
    }

    fn verified(&self, repo: &ModelRef, o: &PullOutcome) {
        for w in &o.warnings {
            self.event(
                &json!({ "event": "warning", "repo": repo.to_string(), "warning": w }),
                &format!("warning: {w}"),
            );
        }
        self.event(
            &json!({
                "event": "verified", "repo": repo.to_string(), "commit": o.commit, "files": o.files,
                "signer": o.signer, "downloaded_bytes": o.downloaded_bytes, "reused": o.reused,
            }),
            &format!(
                "Verified {}: {} signed by {} ({} bytes downloaded, {} reused from the cache)",
                repo.pinned(&o.commit),
                crate::cli::diagnostics::count(o.files, "file"),
                o.signer,
                o.downloaded_bytes,
                o.reused
            ),
        );
    }

    fn answer_failed(&self, repo: Option<&ModelRef>, cause: &str) {
        let repo = repo.map(ToString::to_string);
        self.event(
            &json!({ "event": "error", "repo": repo, "error": cause }),
            &format!("error: {}: {cause}", repo.as_deref().unwrap_or("-")),
        );
    }

    fn refused(&self, repo: &ModelRef, commit: Option<&str>, error: &Error) {
        let mut causes = Vec::new();
        let mut source = std::error::Error::source(error);
        while let Some(s) = source {
            causes.push(s.to_string());
            source = s.source();
        }
        let what = commit.map_or_else(|| repo.to_string(), |c| repo.pinned(c));
        let verdict = if error.exit_status() == ExitStatus::VerificationFailed {
            "refused"
        } else {
            "error"
        };
        let mut text = format!("{verdict}: {what}: {error}");
        for c in &causes {
            text.push_str("\n  caused by: ");
            text.push_str(c);
        }
        self.event(
            &json!({ "event": verdict, "repo": repo.to_string(), "commit": commit, "error": error.to_string(), "causes": causes }),
            &text,
        );
    }
}

fn client_tokens(args: &ServeArgs) -> Result<Vec<String>> {
    let Some(path) = &args.client_tokens else {
        return Ok(Vec::new());
    };
    let text = read_text(path, "cannot read client tokens")?;
    let tokens: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    if tokens.is_empty() {
        return Err(CliError::EmptyFile {
            flag: "--client-tokens",
            path: path.clone(),
            problem: "the file holds no token",
        });
    }
    Ok(tokens)
}

/// The mirror's behaviour, from its arguments.
fn serve_config(args: &ServeArgs) -> Result<ServeConfig> {
    Ok(ServeConfig {
        signature_path: args.signature_path.clone(),
        unsigned: if args.ignore_unsigned_files {
            UnsignedFiles::Ignore
        } else {
            UnsignedFiles::Reject
        },
        concurrency: usize::from(args.concurrency),
        client_tokens: client_tokens(args)?,
        tree_page_size: usize::try_from(args.tree_page_size).unwrap_or(usize::MAX),
        header_read_timeout: std::time::Duration::from_secs(args.header_read_timeout),
        pull_timeout: std::time::Duration::from_secs(args.pull_timeout),
    })
}

pub fn run(args: &ServeArgs, out: Output) -> Result<ExitStatus> {
    // Settings: the policy (every rule's signer loaded once now, so a bad key file is a usage
    // error at start), the tokens, the cache.
    let policy = read_policy(&args.policy)?;
    if policy.rules.is_empty() {
        return Err(CliError::EmptyPolicy {
            path: args.policy.clone(),
        });
    }
    for rule in &policy.rules {
        let anchor = required_signer_anchor(&rule.signer)?;
        required_claims(rule, &anchor)?;
    }
    crate::hub::check_remote_path(&args.signature_path).map_err(Error::from)?;
    let token = match &args.token_file {
        Some(p) => Some(crate::hub::http::Token::new(token_file(p).ok_or_else(|| {
            CliError::EmptyFile {
                flag: "--token-file",
                path: p.clone(),
                problem: "cannot read a token from it",
            }
        })?)),
        None => None,
    };
    let config = serve_config(args)?;
    let cache = hf_cache(args.cache_dir.as_deref());
    let access: Box<dyn std::io::Write + Send> = match &args.access_log {
        Some(p) => Box::new(
            fs_err::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .map_err(|source| Error::Io {
                    action: "cannot open the access log",
                    path: p.clone(),
                    source,
                })?,
        ),
        None => Box::new(std::io::stderr()),
    };
    let events = Arc::new(Log {
        access: Mutex::new(access),
        out,
    });
    let rt = super::runtime()?;
    rt.block_on(async {
        let hub = crate::hub::huggingface::HuggingFaceHub::new(http_client(
            &args.upstream,
            token,
            std::time::Duration::from_secs(args.timeout),
        )?);
        let mirror = crate::serve::Mirror::new(
            hub,
            crate::cache::HfCache::new(&cache),
            Box::new(FilePolicy(policy)),
            events,
            config,
        );
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .map_err(|source| Error::Io {
                action: "cannot listen on",
                path: args.listen.clone().into(),
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| Error::Io {
            action: "cannot read the address of",
            path: args.listen.clone().into(),
            source,
        })?;
        if let Some(p) = &args.port_file {
            fs_err::write(p, addr.port().to_string()).map_err(|source| Error::Io {
                action: "cannot write",
                path: p.clone(),
                source,
            })?;
        }
        if out != Output::Silent {
            eprintln!(
                "hubsign serve: listening on http://{addr} (upstream {}, cache {})",
                args.upstream,
                cache.display()
            );
        }
        crate::serve::run(mirror, listener, shutdown_signal()).await?;
        if out != Output::Silent {
            eprintln!("hubsign serve: shut down");
        }
        Ok(ExitStatus::Success)
    })
}

/// SIGTERM (Kubernetes, docker stop) or SIGINT (Ctrl-C).
async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
}

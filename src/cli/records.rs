//! The tamper-proof records: `pull --lock` (TOFU signer pinning), `sync` (reproduce the lock)
//! and `audit` (what the caches hold, who signed it). The rules live in the core
//! (`hubsign::lock`, `hubsign::sync`, `hubsign::audit`); this layer resolves settings and renders.

use super::{Output, args, diagnostics, http_client, reporter, runtime, settings};
use hubsign::audit::{AuditRow, SignerSpec, Trust, Verdict};
use hubsign::cache::{CacheLayout, HfCache, KaggleCache};
use hubsign::lock::{DEFAULT_LOCK_FILE, LockedModel, Lockfile, NewSigner};
use hubsign::pull::Target;
use hubsign::reference::{HubKind, ModelRef};
use hubsign::{Error, ExitStatus, Result};
use serde_json::json;
use std::path::PathBuf;

/// A lock file entry's reference in its one spelling (`hf:org/name`, `hf:datasets/…`,
/// `kaggle:…`), or why it is not one.
fn normalise_ref(reference: &str) -> Result<String, String> {
    let r = ModelRef::parse(reference, None).map_err(|e| e.to_string())?;
    if r.revision.is_some() {
        return Err("names a revision; the lock keeps it in `revision` and `commit`".to_owned());
    }
    Ok(r.canonical())
}

/// The lock a pull consults: `--lock[=FILE]` (read and written), else an existing
/// `./hubsign.lock` (read only: it can refuse a changed signer, never trust more).
pub struct PullLock {
    path: PathBuf,
    lock: Lockfile,
    write: bool,
    new_signer: NewSigner,
}

impl PullLock {
    pub fn open(args: &args::PullArgs) -> Result<Option<Self>> {
        let (path, write) = match &args.lock {
            Some(p) => (p.clone(), true),
            None => (PathBuf::from(DEFAULT_LOCK_FILE), false),
        };
        if !write && std::fs::symlink_metadata(&path).is_err() {
            return Ok(None);
        }
        Ok(Some(Self {
            lock: Lockfile::read(&path, normalise_ref)?,
            path,
            write,
            new_signer: if args.accept_new_signer {
                NewSigner::Accept
            } else {
                NewSigner::Refuse
            },
        }))
    }

    /// Before any weight is downloaded: a locked reference must keep its signer.
    pub fn check(&self, entry: &LockedModel) -> Result<()> {
        if let Some(locked) = self.lock.get(&entry.reference) {
            locked.check_signer(&entry.commit, &entry.signer, self.new_signer)?;
        }
        Ok(())
    }

    /// Offline (`HF_HUB_OFFLINE`): the cached snapshot's verified signer must be the locked one.
    pub fn check_cached(
        &self,
        repo: &ModelRef,
        commit: &str,
        signer: Option<&hubsign::verify::SignerId>,
    ) -> Result<()> {
        let (Some(locked), Some(found)) = (self.lock.get(&repo.canonical()), signer) else {
            return Ok(());
        };
        locked.check_signer(commit, found, self.new_signer)?;
        Ok(())
    }

    /// After the verified commit: records `entry` (with --lock); returns the file written.
    /// The lock is read again under its directory's lock, so entries other pulls wrote
    /// meanwhile are kept (and a signer they locked meanwhile is still checked).
    pub fn record(self, mut entry: LockedModel, files: usize) -> Result<Option<PathBuf>> {
        if !self.write {
            return Ok(None);
        }
        entry.files = files;
        let new_signer = self.new_signer;
        Lockfile::update(&self.path, normalise_ref, |lock| {
            if let Some(locked) = lock.get(&entry.reference) {
                locked.check_signer(&entry.commit, &entry.signer, new_signer)?;
            }
            lock.upsert(entry);
            Ok(())
        })?;
        Ok(Some(self.path))
    }
}

/// What one synced entry became.
struct Synced {
    commit: String,
    path: PathBuf,
    files: usize,
    downloaded_bytes: u64,
}

/// Resolves one entry's hub, cache and trust, then syncs it (or checks the cache offline).
fn sync_entry(args: &args::SyncArgs, entry: &LockedModel, out: Output) -> Result<Synced> {
    let repo = ModelRef::parse(&entry.reference, None)?;
    let cache_dir = match repo.hub {
        HubKind::HuggingFace => args.cache_dir.as_deref(),
        HubKind::Kaggle => args.kagglehub_cache.as_deref(),
    };
    let remote = settings::remote(&repo, cache_dir, &args.kaggle, args.timeout)?;
    let anchor = settings::hub_trust_anchor(&args.trust, &settings::policy_name(&repo))?;
    let target = Target {
        signature_path: settings::remote_signature(&repo).to_owned(),
        repo,
        revision: entry.commit.clone(),
        anchor,
        unsigned: hubsign::verify::UnsignedFiles::Reject,
    };
    if remote.offline() {
        let cached = with_remote!(&remote, |_hub, cache| hubsign::sync::check_cached(
            &cache, &target, entry
        ))?;
        return Ok(Synced {
            commit: cached.commit,
            path: cached.snapshot,
            files: cached.files,
            downloaded_bytes: 0,
        });
    }
    let req = hubsign::sync::request(target, entry, usize::from(args.concurrency));
    let bars = std::sync::Arc::new(reporter::Bars::new(out.bars()));
    let outcome = with_remote!(&remote, |hub, cache| runtime()?
        .block_on(hubsign::sync::sync(&hub, &cache, entry, &req, bars))?);
    Ok(Synced {
        commit: outcome.commit,
        path: outcome.path,
        files: outcome.files,
        downloaded_bytes: outcome.downloaded_bytes,
    })
}

pub fn sync_command(args: &args::SyncArgs, out: Output) -> Result<ExitStatus> {
    if std::fs::symlink_metadata(&args.lock).is_err() {
        return Err(Error::Usage(format!(
            "lock file {} not found (make one with `hubsign pull REPO --lock`)",
            args.lock.display()
        )));
    }
    let lock = Lockfile::read(&args.lock, normalise_ref)?;
    let mut status = ExitStatus::Success;
    let mut entries = Vec::new();
    for entry in &lock.models {
        let result = sync_entry(args, entry, out);
        match &result {
            Ok(s) => {
                if out.chatty() {
                    eprintln!(
                        "Synced {} at {}: {} ({} bytes downloaded)",
                        entry.reference,
                        s.commit,
                        diagnostics::count(s.files, "file"),
                        s.downloaded_bytes
                    );
                }
                if out.results() {
                    outln!("{}", s.path.display());
                }
                entries.push(json!({
                    "ref": entry.reference, "commit": s.commit, "status": "synced",
                    "path": s.path, "files": s.files, "downloaded_bytes": s.downloaded_bytes,
                }));
            }
            Err(e) => {
                let code = e.exit_status();
                if code as i32 > status as i32 {
                    status = code;
                }
                if !out.is_json() {
                    eprintln!("{}: not synced", entry.reference);
                    diagnostics::report(e, false);
                }
                let (message, causes) = diagnostics::describe(e);
                entries.push(json!({
                    "ref": entry.reference, "commit": entry.commit,
                    "status": if code == ExitStatus::VerificationFailed { "differs" } else { "failed" },
                    "error": message, "causes": causes, "exit_code": code as i32,
                }));
            }
        }
    }
    if out.is_json() {
        outln!(
            "{}",
            json!({ "lock": args.lock, "ok": status == ExitStatus::Success, "entries": entries })
        );
    } else if out.chatty() && lock.models.is_empty() {
        eprintln!("{} locks nothing", args.lock.display());
    }
    Ok(status)
}

/// The trust an audit applies to `repo` under `policy`.
fn audit_trust(policy: Option<&hubsign::policy::Policy>, repo: Option<&ModelRef>) -> Result<Trust> {
    let (Some(policy), Some(repo)) = (policy, repo) else {
        return Ok(Trust::NotChecked);
    };
    Ok(
        match settings::policy_anchor(policy, &settings::policy_name(repo))? {
            Some(anchor) => Trust::Anchor(anchor),
            None => Trust::NoRule,
        },
    )
}

fn audit_cache<C: CacheLayout>(
    cache: &C,
    signature_path: &str,
    policy: Option<&hubsign::policy::Policy>,
    rows: &mut Vec<AuditRow>,
) -> Result<()> {
    for snap in cache.snapshots() {
        let trust = audit_trust(policy, snap.repo.as_ref().ok())?;
        rows.push(hubsign::audit::audit_snapshot(
            cache,
            &snap,
            signature_path,
            &trust,
        ));
    }
    Ok(())
}

fn clip(s: &str, width: usize) -> String {
    let s = &diagnostics::printable(s);
    if s.chars().count() <= width {
        return format!("{s:width$}");
    }
    let mut t: String = s.chars().take(width - 1).collect();
    t.push('…');
    t
}

pub fn audit_command(args: &args::AuditArgs, out: Output) -> Result<ExitStatus> {
    // A cache named on the command line must be there: a typo must not pass as "nothing found".
    for (flag, dir) in [
        ("--cache-dir", &args.cache_dir),
        ("--kagglehub-cache", &args.kagglehub_cache),
    ] {
        if let Some(d) = dir {
            if !std::fs::metadata(d).is_ok_and(|m| m.is_dir()) {
                return Err(Error::Usage(format!("{flag} {}: no such directory", d.display())));
            }
        }
    }
    // A spec is read before the caches are: a typo is an error, not "nothing signed by it".
    let spec = match &args.signer {
        Some(text) => Some(SignerSpec::parse(text)?),
        None => None,
    };
    let hf = HfCache::new(settings::hub_settings(args.cache_dir.as_deref(), 60).cache);
    let kaggle = KaggleCache::new(settings::kagglehub_cache(args.kagglehub_cache.as_deref()));
    let policy = settings::find_policy(args.policy.as_deref())?;
    let mut rows = Vec::new();
    let hub_signature = settings::hub_signature;
    audit_cache(
        &hf,
        hub_signature(HubKind::HuggingFace),
        policy.as_ref(),
        &mut rows,
    )?;
    audit_cache(
        &kaggle,
        hub_signature(HubKind::Kaggle),
        policy.as_ref(),
        &mut rows,
    )?;
    let mut matched = None;
    if let Some(spec) = spec {
        let was_prefix = matches!(spec, SignerSpec::Prefix(_));
        let spec = spec.resolve(&rows)?;
        if let (true, SignerSpec::Fingerprint(full)) = (was_prefix, &spec) {
            matched = Some(full.clone());
        }
        rows.retain(|r| r.is_signed_by(&spec));
    }
    let failed = rows.iter().filter(|r| r.verdict.fails()).count();
    if out.is_json() {
        let doc = json!({
            "caches": { "huggingface": hf.root(), "kagglehub": kaggle.root() },
            "policy": policy.as_ref().map(|p| &p.path),
            "signer": args.signer,
            "signer_fingerprint": matched,
            "passed": failed == 0,
            "snapshots": rows,
        });
        outln!("{doc}");
    } else if out.results() {
        render_audit(&rows);
    }
    if out.chatty() {
        if let (Some(text), Some(full)) = (&args.signer, &matched) {
            eprintln!(
                "--signer {} is the prefix of fingerprint {full}",
                diagnostics::printable(text)
            );
        } else if let (Some(text), true) = (&args.signer, rows.is_empty()) {
            eprintln!(
                "no snapshot in the caches is signed by {}",
                diagnostics::printable(text)
            );
        }
        let count = |v: Verdict| rows.iter().filter(|r| r.verdict == v).count();
        eprintln!(
            "{} snapshots: {} verified, {} signed (trust not checked), {} unsigned, {} untrusted, {} tampered",
            rows.len(),
            count(Verdict::Verified),
            count(Verdict::Signed),
            count(Verdict::Unsigned),
            count(Verdict::Untrusted),
            count(Verdict::Tampered)
        );
        if policy.is_none() && count(Verdict::Signed) > 0 {
            eprintln!("hint: pass --policy FILE to check who is trusted to sign each repository");
        }
    }
    Ok(if failed == 0 {
        ExitStatus::Success
    } else {
        ExitStatus::VerificationFailed
    })
}

/// A table that fits 100 columns (references 44, commits as 12-character prefixes, signers
/// 30); a row that does not pass gets its reason on the line below.
fn render_audit(rows: &[AuditRow]) {
    outln!(
        "{} {} {} VERDICT",
        clip("REFERENCE", 44),
        clip("COMMIT", 12),
        clip("SIGNER", 30)
    );
    for r in rows {
        let signer = r
            .signer
            .as_ref()
            .map_or_else(|| "-".to_owned(), hubsign::verify::SignerClaim::short);
        let verdict = serde_json::to_value(r.verdict)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let commit: String = diagnostics::printable(&r.commit).chars().take(12).collect();
        outln!(
            "{} {commit:12} {} {verdict}",
            clip(&r.reference, 44),
            clip(&signer, 30)
        );
        if r.verdict != Verdict::Verified && !r.detail.is_empty() {
            // The whole list is in --json; the table stays readable at 100 columns.
            outln!("    {}", clip(&r.detail, 96).trim_end());
        }
    }
}

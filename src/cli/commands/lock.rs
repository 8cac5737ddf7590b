//! The lock a pull consults and writes (`pull --lock`: TOFU signer pinning) and the one spelling
//! of a lock entry's reference that `pull` and `sync` share. The rules live in the core
//! (`crate::lock`); this layer only finds the file and applies the flags.

use crate::Result;
use crate::cli::args;
use crate::lock::{DEFAULT_LOCK_FILE, LockedModel, Lockfile, NewSigner};
use crate::reference::ModelRef;
use std::path::PathBuf;

/// A lock file entry's reference in its one spelling (`hf:org/name`, `hf:datasets/…`,
/// `kaggle:…`), or why it is not one.
pub fn normalise_ref(reference: &str) -> Result<String, String> {
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
        if !write && fs_err::symlink_metadata(&path).is_err() {
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
        signer: Option<&crate::verify::SignerId>,
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

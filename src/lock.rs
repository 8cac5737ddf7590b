//! `hubsign.lock`: what an application runs, pinned — each model or dataset reference with the
//! commit, OMS subject digest, signature hash and signer a verified pull established.
//!
//! The lock only ever narrows trust: a locked reference moves to a new commit only when the
//! same signer signed it ([`LockedModel::check_signer`]), and `sync` reproduces exactly the
//! locked commit ([`LockedModel::differences`]). It never replaces the trust flags or policy:
//! every pull still verifies against them first. Written atomically, sorted, never through a
//! symlink. This module parses, compares and writes; it does not pull.

use crate::verify::SignerId;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The format version this build reads and writes.
pub const LOCK_VERSION: u32 = 1;
/// The lock file's default name, in the working directory.
pub const DEFAULT_LOCK_FILE: &str = "hubsign.lock";

const HEADER: &str = "# hubsign.lock: the models and datasets this project runs, as `hubsign pull --lock` verified them.\n\
# `hubsign sync` pulls exactly these commits and refuses any other digest or signer. Written by hubsign.\n";

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LockError {
    /// Exit 2. Not a lock file this build can read.
    #[error("lock file {path} is malformed")]
    Parse {
        path: PathBuf,
        #[source]
        source: toml::de::Error,
    },
    /// Exit 2. A field of one entry is unusable.
    #[error("lock file {path}: entry {reference}: {field} {detail}")]
    Field {
        path: PathBuf,
        reference: String,
        field: &'static str,
        detail: String,
    },
    /// Exit 2. Written by a newer hubsign.
    #[error("lock file {path} has version {version}; this hubsign reads version {LOCK_VERSION}")]
    Version { path: PathBuf, version: u32 },
    /// Exit 2. The lock path is a symlink (it is never read or written through one).
    #[error("lock file {path} is a symlink; refusing to read or replace it through the link")]
    Symlink { path: PathBuf },
    /// Exit 2. Reading or writing failed.
    #[error("{action} lock file {path}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Exit 1. The reference is locked to another signer.
    #[error(
        "{reference} is locked to signer {locked}, but {commit} is signed by {found}; refusing it (pass --accept-new-signer if the signer really changed)"
    )]
    SignerChanged {
        reference: String,
        commit: String,
        locked: SignerId,
        found: SignerId,
    },
    /// Exit 1. What the hub (or the cache) holds is not what the lock records.
    #[error("{reference} differs from the lock: {}", differences.join("; "))]
    Differs {
        reference: String,
        differences: Vec<String>,
    },
}

/// One locked reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockedModel {
    /// `hf:org/name`, `hf:datasets/org/name` or `kaggle:owner/model/framework/variation`.
    #[serde(rename = "ref")]
    pub reference: String,
    /// The revision asked for (a branch, tag, commit, `latest` or a Kaggle version).
    pub revision: String,
    /// The commit (Kaggle: the version) the revision was pinned to.
    pub commit: String,
    /// `sha256:<hex>`: the OMS subject digest.
    pub digest: String,
    /// `sha256:<hex>` of the signature file's bytes.
    pub signature: String,
    /// `sha256:<hex>` of the claims file's bytes (`claims.jsonl`), when the model has one: a
    /// claim added, removed or changed is a difference, as a new signature is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<String>,
    /// The number of files the signature covers in the verified snapshot (the signature file
    /// itself not counted). Informational: `sync` never compares it (the digest covers the
    /// files), so a lock written by an earlier hubsign, whose count included the signature
    /// (one more), reads and syncs unchanged; the next `pull --lock` of the entry rewrites it.
    pub files: usize,
    /// For a partial pull: the files pulled (a sync pulls the same ones).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    pub signer: SignerId,
}

/// What a lock entry is checked against: the same facts about a verified signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed<'a> {
    pub commit: &'a str,
    pub digest: &'a str,
    pub signature: &'a str,
    /// `sha256:<hex>` of the claims file, when there is one.
    pub claims: Option<&'a str>,
    pub signer: &'a SignerId,
}

/// Whether a changed signer is accepted (`--accept-new-signer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewSigner {
    Refuse,
    Accept,
}

impl LockedModel {
    /// TOFU: `found` must be the locked signer (unless accepted).
    ///
    /// # Errors
    /// [`LockError::SignerChanged`] naming both signers.
    pub fn check_signer(&self, commit: &str, found: &SignerId, policy: NewSigner) -> Result<(), LockError> {
        if self.signer == *found || policy == NewSigner::Accept {
            return Ok(());
        }
        Err(LockError::SignerChanged {
            reference: self.reference.clone(),
            commit: commit.to_owned(),
            locked: self.signer.clone(),
            found: found.clone(),
        })
    }

    /// Every way `observed` differs from this entry (empty: identical).
    #[must_use]
    pub fn differences(&self, observed: &Observed<'_>) -> Vec<String> {
        let mut out = Vec::new();
        if observed.commit != self.commit {
            out.push(format!("commit {} (locked {})", observed.commit, self.commit));
        }
        if observed.digest != self.digest {
            out.push(format!("digest {} (locked {})", observed.digest, self.digest));
        }
        if observed.signature != self.signature {
            out.push(format!(
                "signature {} (locked {})",
                observed.signature, self.signature
            ));
        }
        if observed.claims != self.claims.as_deref() {
            let none = "none";
            out.push(format!(
                "claims {} (locked {})",
                observed.claims.unwrap_or(none),
                self.claims.as_deref().unwrap_or(none)
            ));
        }
        if *observed.signer != self.signer {
            out.push(format!("signer {} (locked {})", observed.signer, self.signer));
        }
        out
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLock {
    version: u32,
    #[serde(default, rename = "model")]
    models: Vec<LockedModel>,
}

/// The lock file's contents, sorted by reference.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lockfile {
    pub models: Vec<LockedModel>,
}

/// What makes two references one entry: the reference with ASCII case folded, as the Hub (and
/// the trust policy) compare repository ids.
fn identity(reference: &str) -> String {
    reference.to_ascii_lowercase()
}

fn is_sha256(s: &str) -> bool {
    s.strip_prefix("sha256:")
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

impl Lockfile {
    /// Reads `path`; a missing file is an empty lock. Each entry's reference must be normalised
    /// (`normalise` returns the canonical spelling, or why it is not a reference).
    ///
    /// # Errors
    /// A symlinked, unreadable or malformed file, or an entry with a bad field.
    pub fn read(path: &Path, normalise: impl Fn(&str) -> Result<String, String>) -> Result<Self, LockError> {
        match fs_err::symlink_metadata(path) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(LockError::Symlink {
                    path: path.to_path_buf(),
                });
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(source) => {
                return Err(LockError::Io {
                    action: "cannot read",
                    path: path.to_path_buf(),
                    source,
                });
            }
        }
        // A FIFO planted as the lock must not hang the pull, nor a huge file fill the memory.
        let io = |source| LockError::Io {
            action: "cannot read",
            path: path.to_path_buf(),
            source,
        };
        let bytes =
            crate::fsutil::read_regular_capped(path, crate::fsutil::MAX_SMALL_FILE_BYTES).map_err(io)?;
        let text = String::from_utf8(bytes)
            .map_err(|e| io(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?;
        let raw: RawLock = toml::from_str(&text).map_err(|source| LockError::Parse {
            path: path.to_path_buf(),
            source,
        })?;
        if raw.version != LOCK_VERSION {
            return Err(LockError::Version {
                path: path.to_path_buf(),
                version: raw.version,
            });
        }
        let field = |m: &LockedModel, field, detail: &str| LockError::Field {
            path: path.to_path_buf(),
            reference: m.reference.clone(),
            field,
            detail: detail.to_owned(),
        };
        // One entry per repository: two spellings of one (ids ignore ASCII case) are refused,
        // naming both, rather than merged (which entry's signer would hold?).
        let mut seen = std::collections::BTreeMap::new();
        for m in &raw.models {
            match normalise(&m.reference) {
                Ok(n) if n == m.reference => {}
                Ok(n) => return Err(field(m, "ref", &format!("must be written {n}"))),
                Err(why) => return Err(field(m, "ref", &why)),
            }
            if let Some(other) = seen.insert(identity(&m.reference), m.reference.clone()) {
                let why = if other == m.reference {
                    "appears twice".to_owned()
                } else {
                    format!("and {other} name one repository (repository ids ignore case); keep one entry")
                };
                return Err(field(m, "ref", &why));
            }
            // `sync` points `refs/<revision>` at the commit: a git ref name (a registry's tag
            // or digest), nothing else.
            let repo = crate::reference::ModelRef::parse(&m.reference, None)
                .map_err(|e| field(m, "ref", &e.to_string()))?;
            if let Err(e) = repo.check_revision(&m.revision) {
                return Err(field(m, "revision", &e.to_string()));
            }
            let claims = m.claims.as_ref();
            for (name, value) in [
                ("digest", Some(&m.digest)),
                ("signature", Some(&m.signature)),
                ("claims", claims),
            ]
            .into_iter()
            .filter_map(|(n, v)| Some((n, v?)))
            {
                if !is_sha256(value) {
                    return Err(field(m, name, "must be sha256:<64 lowercase hex digits>"));
                }
            }
            let commit_ok = if repo.hub == crate::reference::HubKind::Oci {
                crate::reference::is_oci_digest(&m.commit)
            } else {
                !m.commit.is_empty()
                    && m.commit.len() <= 64
                    && m.commit.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            };
            if !commit_ok {
                return Err(field(
                    m,
                    "commit",
                    "must be a lowercase commit id (a Kaggle version number, a registry's sha256:<hex> manifest digest)",
                ));
            }
        }
        let mut models = raw.models;
        models.sort_by(|a, b| a.reference.cmp(&b.reference));
        Ok(Self { models })
    }

    /// The entry for `reference`, whatever its spelling: repository ids ignore ASCII case on the
    /// Hub and in the trust policy, so `hf:Org/Model` is the entry of `hf:org/model`.
    #[must_use]
    pub fn get(&self, reference: &str) -> Option<&LockedModel> {
        let id = identity(reference);
        self.models.iter().find(|m| identity(&m.reference) == id)
    }

    /// Adds or replaces the entry for `entry.reference` (whatever its spelling: the entry keeps
    /// the spelling it was first locked under), keeping the order.
    pub fn upsert(&mut self, mut entry: LockedModel) {
        let id = identity(&entry.reference);
        if let Some(i) = self.models.iter().position(|m| identity(&m.reference) == id) {
            entry.reference.clone_from(&self.models[i].reference);
            self.models[i] = entry;
            return;
        }
        match self
            .models
            .binary_search_by(|m| m.reference.cmp(&entry.reference))
        {
            Ok(i) => self.models[i] = entry,
            Err(i) => self.models.insert(i, entry),
        }
    }

    /// The file's text: a header, `version`, then one `[[model]]` table per reference.
    ///
    /// # Errors
    /// Never in practice (every field serialises); reported as a write error.
    pub fn to_toml(&self) -> Result<String, toml::ser::Error> {
        let raw = RawLock {
            version: LOCK_VERSION,
            models: self.models.clone(),
        };
        Ok(format!("{HEADER}{}", toml::to_string(&raw)?))
    }

    /// Read-modify-write of the lock file under an exclusive lock on its directory, so two
    /// `pull --lock` runs at once cannot lose each other's entry (no extra file is created).
    ///
    /// # Errors
    /// What [`Lockfile::read`], `change` and [`Lockfile::write`] return, or a failed lock.
    pub fn update(
        path: &Path,
        normalise: impl Fn(&str) -> Result<String, String>,
        change: impl FnOnce(&mut Self) -> Result<(), LockError>,
    ) -> Result<(), LockError> {
        use fs4::fs_std::FileExt as _;
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let io = |action, source| LockError::Io {
            action,
            path: path.to_path_buf(),
            source,
        };
        let guard = fs_err::File::open(dir).map_err(|e| io("cannot open the directory of", e))?;
        guard
            .file()
            .lock_exclusive()
            .map_err(|e| io("cannot lock the directory of", e))?;
        let mut lock = Self::read(path, normalise)?;
        change(&mut lock)?;
        lock.write(path)
        // `guard` is dropped here: the directory lock is released after the rename.
    }

    /// Writes the lock through a temporary file in the same directory, fsynced, renamed over
    /// `path`; a symlink at `path` is refused, not followed.
    ///
    /// # Errors
    /// [`LockError::Symlink`] or [`LockError::Io`].
    pub fn write(&self, path: &Path) -> Result<(), LockError> {
        if fs_err::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(LockError::Symlink {
                path: path.to_path_buf(),
            });
        }
        let text = self.to_toml().map_err(|e| LockError::Io {
            action: "cannot serialise",
            path: path.to_path_buf(),
            source: std::io::Error::other(e),
        })?;
        crate::fsutil::write_atomic(path, text.as_bytes()).map_err(|e| LockError::Io {
            action: e.action,
            path: e.path,
            source: e.source,
        })
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unnecessary_wraps, reason = "`same` has the normaliser's signature")]
    use super::*;

    fn entry(reference: &str, fingerprint: &str) -> LockedModel {
        LockedModel {
            reference: reference.to_owned(),
            revision: "main".to_owned(),
            commit: "a".repeat(40),
            digest: format!("sha256:{}", "b".repeat(64)),
            signature: format!("sha256:{}", "c".repeat(64)),
            claims: None,
            files: 3,
            paths: Vec::new(),
            signer: SignerId::Key {
                fingerprint: fingerprint.to_owned(),
            },
        }
    }

    fn same(s: &str) -> Result<String, String> {
        Ok(s.to_owned())
    }

    #[test]
    fn round_trips_sorted_and_stable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hubsign.lock");
        let mut lock = Lockfile::default();
        lock.upsert(entry("hf:org/zeta", "f1"));
        lock.upsert(entry("hf:datasets/org/alpha", "f2"));
        lock.upsert(entry("hf:org/zeta", "f3"));
        lock.write(&path).unwrap();
        let text = fs_err::read_to_string(&path).unwrap();
        assert!(text.starts_with("# hubsign.lock"), "{text}");
        assert!(text.find("hf:datasets/org/alpha").unwrap() < text.find("hf:org/zeta").unwrap());
        assert!(
            text.contains("[model.signer]\nmethod = \"key\"\nfingerprint = \"f3\""),
            "{text}"
        );
        let back = Lockfile::read(&path, same).unwrap();
        assert_eq!(back, lock);
        lock.write(&path).unwrap();
        assert_eq!(
            fs_err::read_to_string(&path).unwrap(),
            text,
            "rewriting changes nothing"
        );
    }

    #[test]
    fn refuses_bad_fields_symlinks_and_newer_versions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hubsign.lock");
        let mut lock = Lockfile::default();
        lock.upsert(entry("hf:org/a", "f"));
        lock.write(&path).unwrap();
        let good = fs_err::read_to_string(&path).unwrap();
        for (from, to, want) in [
            ("digest = \"sha256:", "digest = \"md5:", "digest"),
            ("version = 1", "version = 2", "version 2"),
            ("files = 3", "files = 3\nextra = 1", "malformed"),
        ] {
            fs_err::write(&path, good.replace(from, to)).unwrap();
            let err = Lockfile::read(&path, same).unwrap_err().to_string();
            assert!(err.contains(want), "{err}");
        }
        let upper = good.replace(&"a".repeat(40), &"A".repeat(40));
        fs_err::write(&path, upper).unwrap();
        let err = Lockfile::read(&path, same).unwrap_err().to_string();
        assert!(err.contains("lowercase commit"), "{err}");
        fs_err::write(&path, &good).unwrap();
        let err = Lockfile::read(&path, |_| Ok("hf:org/b".to_owned()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("must be written hf:org/b"), "{err}");
        let link = dir.path().join("link.lock");
        fs_err::os::unix::fs::symlink(&path, &link).unwrap();
        assert!(matches!(
            Lockfile::read(&link, same),
            Err(LockError::Symlink { .. })
        ));
        assert!(matches!(lock.write(&link), Err(LockError::Symlink { .. })));
        assert_eq!(
            fs_err::read_to_string(&path).unwrap(),
            good,
            "the link's target is untouched"
        );
    }

    #[test]
    fn concurrent_updates_keep_every_entry() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hubsign.lock");
        std::thread::scope(|s| {
            for t in 0..4 {
                let path = &path;
                s.spawn(move || {
                    for i in 0..15 {
                        Lockfile::update(path, same, |lock| {
                            lock.upsert(entry(&format!("hf:org/m{t}-{i}"), "f"));
                            Ok(())
                        })
                        .unwrap();
                    }
                });
            }
        });
        assert_eq!(Lockfile::read(&path, same).unwrap().models.len(), 60);
    }

    #[test]
    fn one_entry_per_repository_whatever_the_spelling() {
        let mut lock = Lockfile::default();
        lock.upsert(entry("hf:org/model", "f1"));
        assert_eq!(
            lock.get("hf:Org/Model").map(|m| m.reference.as_str()),
            Some("hf:org/model")
        );
        lock.upsert(entry("hf:ORG/model", "f2"));
        assert_eq!(lock.models.len(), 1);
        assert_eq!(
            lock.models[0].reference, "hf:org/model",
            "the first spelling is kept"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hubsign.lock");
        let two = Lockfile {
            models: vec![entry("hf:Org/Model", "f1"), entry("hf:org/model", "f2")],
        };
        two.write(&path).unwrap();
        let err = Lockfile::read(&path, same).unwrap_err().to_string();
        assert!(
            err.contains("hf:Org/Model") && err.contains("hf:org/model") && err.contains("one repository"),
            "{err}"
        );
    }

    #[test]
    fn a_changed_signer_is_refused_unless_accepted() {
        let locked = entry("hf:org/a", "f1");
        let other = SignerId::Key {
            fingerprint: "f2".to_owned(),
        };
        let err = locked
            .check_signer("c2", &other, NewSigner::Refuse)
            .unwrap_err()
            .to_string();
        assert!(err.contains("key f1") && err.contains("key f2"), "{err}");
        locked.check_signer("c2", &other, NewSigner::Accept).unwrap();
        locked
            .check_signer("c2", &locked.signer, NewSigner::Refuse)
            .unwrap();
        let observed = Observed {
            commit: &locked.commit,
            digest: &locked.digest,
            signature: &locked.signature,
            claims: None,
            signer: &other,
        };
        assert_eq!(locked.differences(&observed).len(), 1);
        // Claims added since the lock are a difference, as a new signature is.
        let claims = format!("sha256:{}", "d".repeat(64));
        let observed = Observed {
            claims: Some(&claims),
            signer: &locked.signer,
            ..observed
        };
        let d = locked.differences(&observed);
        assert_eq!(d, vec![format!("claims {claims} (locked none)")]);
    }
}

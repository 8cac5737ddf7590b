//! Builds a signing manifest while hashing only what may have changed since a previous,
//! verified manifest: a file's signed digest is reused when the previous manifest lists it,
//! the caller did not name it as changed, and the hash record ([`super::record`]) shows it
//! with the very stamp it has now and the very digest the previous manifest signed. Everything
//! else is hashed. The manifest produced is the one a full hashing produces for the same bytes.
//!
//! It never verifies anything: the caller hands in a previous manifest whose signature it
//! verified. It never trusts the record alone: a wrong record can only make it reuse a digest
//! the previous signer already signed for that file name.

use super::record::{FileStamp, HashRecord, RecordSerialization};
use super::{
    HashAlgorithm, Manifest, ManifestError, ModelFile, ResourceDigest, Serialization, SerializationConfig,
    Symlinks, WalkOptions, hash_files, model_name, walk,
};
use rayon::prelude::*;
use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::time::SystemTime;

/// Whether the hash record may spare a file from hashing (`--rehash-all` ignores it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RecordUse {
    #[default]
    Trust,
    Ignore,
}

/// The previous manifest, from a signature the caller verified.
#[derive(Debug, Clone, Copy)]
pub struct Previous<'a> {
    pub serialization: &'a SerializationConfig,
    pub resources: &'a [ResourceDigest],
    /// A legacy (model_signing v0.2) statement: its serialization is not recorded in full.
    pub legacy: bool,
}

/// What incremental hashing may reuse.
#[derive(Debug, Clone, Copy)]
pub struct Reuse<'a> {
    pub previous: Previous<'a>,
    /// Model-relative paths (files or folders, whole components) to hash whatever the record says.
    pub changed: &'a [String],
    /// The model's hash record, as loaded (`None`: there is none usable).
    pub record: Option<&'a HashRecord>,
    pub record_use: RecordUse,
}

/// Why every file was hashed although incremental signing was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FullRehash {
    /// `--rehash-all`.
    Requested,
    /// No usable hash record for this model and serialization (first run, another machine,
    /// a corrupt or foreign record).
    NoRecord,
    /// The previous signature used another serialization.
    SerializationChanged { previous: String, requested: String },
    /// Shard signatures are always hashed in full.
    Shards,
    /// The previous signature is a legacy (v0.2) statement.
    LegacyStatement,
}

impl fmt::Display for FullRehash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Requested => f.write_str("--rehash-all was given"),
            Self::NoRecord => f.write_str("there is no usable hash record for this model"),
            Self::SerializationChanged { previous, requested } => write!(
                f,
                "the serialization changed (previous signature: {previous}; now: {requested})"
            ),
            Self::Shards => f.write_str("shard signatures are always hashed in full"),
            Self::LegacyStatement => f.write_str("the previous signature is a legacy (v0.2) statement"),
        }
    }
}

impl FullRehash {
    /// A stable machine-readable name.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Requested => "rehash-all",
            Self::NoRecord => "no-record",
            Self::SerializationChanged { .. } => "serialization-changed",
            Self::Shards => "shards",
            Self::LegacyStatement => "legacy-statement",
        }
    }
}

/// A manifest and what it cost.
#[derive(Debug)]
pub struct Hashed {
    pub manifest: Manifest,
    /// Files whose previous digests were reused.
    pub reused: usize,
    /// Files read and hashed, and their bytes.
    pub hashed_files: usize,
    pub hashed_bytes: u64,
    /// Set when incremental hashing was asked for but every file was hashed.
    pub full_rehash: Option<FullRehash>,
    /// The record of this hashing, for the next incremental run.
    pub record: HashRecord,
}

/// How a serialization is described to a person.
fn describe(config: &SerializationConfig) -> String {
    let method = match config.method {
        Serialization::Files => "files".to_owned(),
        Serialization::Shards { shard_size } => format!("shards of {shard_size} bytes"),
    };
    let links = match config.symlinks {
        Symlinks::Follow => ", symlinks followed",
        Symlinks::Refuse => "",
    };
    format!("{method}, {}{links}", config.hash)
}

/// Why nothing can be reused, if so.
fn full_rehash(reuse: &Reuse<'_>, config: &SerializationConfig) -> Option<FullRehash> {
    let previous = reuse.previous.serialization;
    if reuse.previous.legacy {
        return Some(FullRehash::LegacyStatement);
    }
    if (previous.method, previous.hash, previous.symlinks) != (config.method, config.hash, config.symlinks) {
        return Some(FullRehash::SerializationChanged {
            previous: describe(previous),
            requested: describe(config),
        });
    }
    if matches!(config.method, Serialization::Shards { .. }) {
        return Some(FullRehash::Shards);
    }
    if reuse.record_use == RecordUse::Ignore {
        return Some(FullRehash::Requested);
    }
    match reuse.record {
        Some(r) if r.serialization == RecordSerialization::of(config) => None,
        _ => Some(FullRehash::NoRecord),
    }
}

/// Whether `name` is one of `changed` or lies under one of them (whole components).
fn named_changed(name: &str, changed: &[String]) -> bool {
    changed
        .iter()
        .any(|c| name == c || (name.starts_with(c.as_str()) && name.as_bytes().get(c.len()) == Some(&b'/')))
}

/// Walks `model` and builds its manifest as [`super::build_manifest`] does, reusing the
/// previous signature's digests where [`Reuse`] allows (`None`: every file is hashed), and
/// records the stamps and digests for the next run.
///
/// # Errors
/// The walk's or the hashing's [`ManifestError`].
pub fn build_manifest_incremental(
    model: &Path,
    walk_options: &WalkOptions,
    method: Serialization,
    hash: HashAlgorithm,
    reuse: Option<&Reuse<'_>>,
) -> Result<Hashed, ManifestError> {
    let walk = walk(model, walk_options)?;
    if walk.files.is_empty() {
        return Err(ManifestError::EmptyModel(model.to_path_buf()));
    }
    let config = SerializationConfig::of_walk(walk_options, method, hash, walk.ignored);
    // The stamps are taken before any file is read: a write after this moment changes ctime.
    let taken = SystemTime::now();
    let stamps: Vec<Option<FileStamp>> = walk.files.par_iter().map(FileStamp::of_file).collect();
    let full = reuse.and_then(|r| full_rehash(r, &config));
    let algorithm = config.resource_algorithm();
    let previous: HashMap<&str, &ResourceDigest> = match (reuse, &full) {
        (Some(r), None) => r
            .previous
            .resources
            .iter()
            .filter(|d| d.algorithm == algorithm)
            .map(|d| (d.name.as_str(), d))
            .collect(),
        _ => HashMap::new(),
    };
    // One slot per file: the reused resource, or `None` to hash it.
    let reused: Vec<Option<ResourceDigest>> = walk
        .files
        .iter()
        .zip(&stamps)
        .map(|(file, stamp)| {
            let r = reuse?;
            let old = previous.get(file.name.as_str())?;
            if named_changed(&file.name, r.changed) {
                return None;
            }
            let recorded = r.record?.unchanged(&file.name, stamp.as_ref()?)?;
            (recorded.len() == 1 && recorded[0] == hex::encode(&old.digest)).then(|| (*old).clone())
        })
        .collect();
    let to_hash: Vec<ModelFile> = walk
        .files
        .iter()
        .zip(&reused)
        .filter(|(_, r)| r.is_none())
        .map(|(f, _)| f.clone())
        .collect();
    let hashed_bytes = to_hash.iter().map(|f| f.len).sum();
    let hashed_files = to_hash.len();
    let mut fresh = hash_files(&to_hash, method, hash)?.into_iter().peekable();
    drop(to_hash);
    let mut record = HashRecord::new(model, &config);
    let mut resources = Vec::with_capacity(walk.files.len());
    let mut reused_count = 0;
    for ((file, stamp), slot) in walk.files.iter().zip(stamps).zip(reused) {
        let start = resources.len();
        if let Some(r) = slot {
            reused_count += 1;
            resources.push(r);
        } else {
            match method {
                // One resource per file, whatever its name (a `:` in it is no shard suffix).
                Serialization::Files => resources.extend(fresh.next()),
                // A file's shards, none for an empty file (shard names never hold another `:`).
                Serialization::Shards { .. } => {
                    while let Some(r) = fresh.next_if(|r| r.file_name() == file.name) {
                        resources.push(r);
                    }
                }
            }
        }
        if let Some(stamp) = stamp {
            let digests: Vec<Vec<u8>> = resources[start..].iter().map(|r| r.digest.clone()).collect();
            record.insert(&file.name, stamp, &digests, taken);
        }
    }
    Ok(Hashed {
        manifest: Manifest {
            model_name: model_name(model),
            serialization: config,
            resources,
        },
        reused: reused_count,
        hashed_files,
        hashed_bytes,
        full_rehash: full,
        record,
    })
}

#[cfg(test)]
mod tests {
    use super::named_changed;

    #[test]
    fn changed_paths_match_whole_components() {
        let changed = ["docs".to_owned(), "README.md".to_owned()];
        assert!(named_changed("README.md", &changed));
        assert!(named_changed("docs/a.md", &changed));
        assert!(!named_changed("docs2/a.md", &changed));
        assert!(!named_changed("README.md.bak", &changed));
    }
}

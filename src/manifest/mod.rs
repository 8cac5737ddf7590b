//! What is signed: the list of files of a model and their digests, in the order and with the
//! names that model_signing 1.1.1 uses.
//!
//! This module owns the walk (ignore rules, symlink policy), the hashing, the [`Manifest`]
//! type and the local hash record incremental signing reuses digests by. It knows nothing of signatures, bundles or terminals.

mod hash;
mod incremental;
mod order;
pub mod record;
mod walk;

pub use hash::{StreamHasher, hash_files};
pub use incremental::{FullRehash, Hashed, Previous, RecordUse, Reuse, build_manifest_incremental};
pub use order::compare_paths;
pub use walk::{
    GitPaths, ModelFile, ModelKind, OwnFolder, SymlinkPolicy, Walk, WalkOptions, resolve_ignore_path, walk,
};

use sha2::{Digest as _, Sha256};
use std::fmt;
use std::path::{Path, PathBuf};

/// Top-level paths that model_signing ignores by default (`ignore_git_paths=True`).
pub const GIT_PATHS: [&str; 4] = [".git", ".gitattributes", ".github", ".gitignore"];

/// hubsign's own folder inside a model directory (a `--local-dir` pull's record of the files it
/// placed, its staging areas). What hubsign writes there ([`hubsign_own_paths`]) is not part of
/// the model: signing, digests and pushes leave it out (recording it in `ignore_paths` when it
/// is there, so model_signing's verify skips it too), and verification skips it unless the
/// signature covers a file in it. Anything else in the folder is the model's.
pub const HUBSIGN_FOLDER: &str = ".cache/hubsign";

/// What hubsign writes in [`HUBSIGN_FOLDER`] and nothing else: its record of the placed files
/// (a regular file) and the pulls' staging root (a real directory). Only these are left out of
/// a model; anything else under the folder (a file a repository carries there) is the model's.
const HUBSIGN_OWN_PATHS: [(&str, bool); 2] = [("placed.json", false), ("staging", true)];

/// The record of what a `--local-dir` pull placed (model-relative): the one path of hubsign's
/// folder `verify` passes over.
pub const HUBSIGN_RECORD: &str = ".cache/hubsign/placed.json";

/// hubsign's own paths present in the directory `model` (model-relative, `/`-separated): the
/// record only as a regular file, the staging root only as a real directory, each reached
/// through real directories (nothing behind a symlink is left out).
#[must_use]
pub fn hubsign_own_paths(model: &Path) -> Vec<String> {
    let real_dir = |p: &Path| fs_err::symlink_metadata(p).is_ok_and(|m| m.is_dir());
    let folder = model.join(HUBSIGN_FOLDER);
    if !real_dir(&folder) || !folder.parent().is_some_and(real_dir) {
        return Vec::new();
    }
    HUBSIGN_OWN_PATHS
        .iter()
        .filter(|(name, dir)| {
            fs_err::symlink_metadata(folder.join(name))
                .is_ok_and(|m| if *dir { m.is_dir() } else { m.is_file() })
        })
        .map(|(name, _)| format!("{HUBSIGN_FOLDER}/{name}"))
        .collect()
}

/// Errors of the walk and the hashing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestError {
    #[error("cannot read the model at {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the model at {0} contains no file to sign (after ignore rules)")]
    EmptyModel(PathBuf),
    #[error("{0} is a symbolic link; pass --allow-symlinks to hash the file it points to")]
    SymlinkRefused(PathBuf),
    #[error("symbolic link {link} points outside the model ({target})")]
    SymlinkEscapes { link: PathBuf, target: PathBuf },
    /// A cache snapshot holds a link to a directory: no pull places one, so what is behind it
    /// was put there by someone else and cannot be vouched for.
    #[error(
        "{0} is a symbolic link to a directory; a cache snapshot holds only files and file links, so the files behind it are not vouched for"
    )]
    DirectorySymlink(PathBuf),
    /// A snapshot of a cache that holds regular files only (kagglehub's) holds a symlink.
    #[error(
        "{0} is a symbolic link; a snapshot of this cache holds only regular files, so what it points to is not vouched for"
    )]
    SnapshotSymlink(PathBuf),
    #[error("symbolic link {0} is dangling or part of a cycle")]
    SymlinkBroken(PathBuf),
    #[error("{0} is neither a regular file, a directory nor a symbolic link (socket, FIFO or device)")]
    SpecialFile(PathBuf),
    #[error("file name {0} is not valid UTF-8; OMS resource names must be UTF-8")]
    NonUtf8Name(PathBuf),
    #[error("file name {0} contains ':', which the shard serialization cannot represent")]
    ColonInShardedName(String),
    #[error(
        "{path} changed while it was being hashed (size or modification time differs); retry once it is stable"
    )]
    FileChanged { path: PathBuf },
    #[error("ignore path {0} is outside the model directory")]
    IgnoreOutsideModel(PathBuf),
    #[error("unsupported hash algorithm {0:?} (expected sha256, blake2b or blake3)")]
    UnknownHash(String),
    #[error("shard size must be a positive integer, got {0}")]
    BadShardSize(String),
}

impl ManifestError {
    /// Whether the error names an entry a pull never places in a cache snapshot: a link to a
    /// directory, a link out of the allowed folder, dangling or refused, a FIFO or device.
    #[must_use]
    pub fn is_foreign_entry(&self) -> bool {
        matches!(
            self,
            Self::DirectorySymlink(_)
                | Self::SnapshotSymlink(_)
                | Self::SymlinkRefused(_)
                | Self::SymlinkEscapes { .. }
                | Self::SymlinkBroken(_)
                | Self::SpecialFile(_)
        )
    }
}

/// The per-resource hash function (`hash_type` in the predicate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashAlgorithm {
    Sha256,
    Blake2b,
    Blake3,
}

impl HashAlgorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Blake2b => "blake2b",
            Self::Blake3 => "blake3",
        }
    }

    /// Length of the raw digest in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            Self::Sha256 | Self::Blake3 => 32,
            Self::Blake2b => 64,
        }
    }

    /// Accepts the names model_signing writes, and `blake2`, its API spelling.
    pub fn parse(name: &str) -> Result<Self, ManifestError> {
        match name {
            "sha256" => Ok(Self::Sha256),
            "blake2b" | "blake2" => Ok(Self::Blake2b),
            "blake3" => Ok(Self::Blake3),
            other => Err(ManifestError::UnknownHash(other.to_owned())),
        }
    }
}

impl fmt::Display for HashAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How files become resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Serialization {
    /// One resource per file, named by its POSIX path relative to the model.
    Files,
    /// One resource per `shard_size` bytes of each file, named `path:start:end`.
    Shards { shard_size: u64 },
}

/// Whether the signer followed symbolic links to files (hashing their targets' content) or
/// refused them: the predicate's `allow_symlinks`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Symlinks {
    #[default]
    Refuse,
    Follow,
}

/// Everything that decides which bytes are hashed and how; recorded in the predicate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerializationConfig {
    pub method: Serialization,
    pub hash: HashAlgorithm,
    /// Recorded as `allow_symlinks`.
    pub symlinks: Symlinks,
    /// Paths relative to the model, as recorded in `ignore_paths`.
    pub ignore_paths: Vec<String>,
}

impl SerializationConfig {
    /// What a walk with `walk_options` that ignored `ignored` serializes as.
    #[must_use]
    pub fn of_walk(
        walk_options: &WalkOptions,
        method: Serialization,
        hash: HashAlgorithm,
        ignored: Vec<String>,
    ) -> Self {
        Self {
            method,
            hash,
            symlinks: if walk_options.symlinks == SymlinkPolicy::Follow {
                Symlinks::Follow
            } else {
                Symlinks::Refuse
            },
            ignore_paths: ignored,
        }
    }

    /// The `algorithm` string written for every resource.
    pub fn resource_algorithm(&self) -> String {
        match self.method {
            Serialization::Files => self.hash.as_str().to_owned(),
            Serialization::Shards { shard_size } => format!("{}-sharded-{shard_size}", self.hash),
        }
    }
}

/// One signed resource: a file or a shard of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceDigest {
    pub name: String,
    pub algorithm: String,
    pub digest: Vec<u8>,
}

impl ResourceDigest {
    /// The file a resource belongs to (`path` of `path:start:end` for shards).
    pub fn file_name(&self) -> &str {
        shard_file_name(&self.name)
    }
}

/// The file part of a shard resource name; files-mode names are returned unchanged.
pub fn shard_file_name(name: &str) -> &str {
    let mut parts = name.rsplitn(3, ':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(end), Some(start), Some(file))
            if end.bytes().all(|b| b.is_ascii_digit()) && start.bytes().all(|b| b.is_ascii_digit()) =>
        {
            file
        }
        _ => name,
    }
}

/// A model's manifest: its resources in signing order and the settings that produced them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// `subject[0].name`: informational, never checked.
    pub model_name: String,
    pub serialization: SerializationConfig,
    pub resources: Vec<ResourceDigest>,
}

impl Manifest {
    /// The subject digest: SHA-256 over the raw resource digests, in resource order.
    pub fn root_digest(&self) -> [u8; 32] {
        root_digest(self.resources.iter().map(|r| r.digest.as_slice()))
    }
}

/// SHA-256 over the concatenated raw digests, in the given order.
pub fn root_digest<'a>(digests: impl Iterator<Item = &'a [u8]>) -> [u8; 32] {
    let mut h = Sha256::new();
    for d in digests {
        h.update(d);
    }
    h.finalize().into()
}

/// `subject.name` as model_signing derives it: the last component of the path as given, or of
/// the resolved path when that is empty or `..`.
pub fn model_name(model: &Path) -> String {
    let given = model.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if !given.is_empty() && given != ".." {
        return given.to_owned();
    }
    std::path::absolute(model)
        .ok()
        .and_then(|p| fs_err::canonicalize(p).ok())
        .and_then(|p| p.file_name().and_then(|n| n.to_str()).map(str::to_owned))
        .unwrap_or_default()
}

/// Walks and hashes a model: the whole signing-side manifest computation.
pub fn build_manifest(
    model: &Path,
    walk_options: &WalkOptions,
    method: Serialization,
    hash: HashAlgorithm,
) -> Result<Manifest, ManifestError> {
    let walk = walk(model, walk_options)?;
    if walk.files.is_empty() {
        return Err(ManifestError::EmptyModel(model.to_path_buf()));
    }
    let resources = hash_files(&walk.files, method, hash)?;
    Ok(Manifest {
        model_name: model_name(model),
        serialization: SerializationConfig::of_walk(walk_options, method, hash, walk.ignored),
        resources,
    })
}

/// The model-relative path of `path` if it lies inside the model directory (lexically, after
/// making both absolute; the model root is also compared in its canonical form).
pub fn path_inside_model(model: &Path, path: &Path) -> Option<String> {
    if !model.is_dir() {
        return None;
    }
    let abs = std::path::absolute(path).ok()?;
    let mut norm = PathBuf::new();
    for c in abs.components() {
        match c {
            std::path::Component::ParentDir => {
                norm.pop();
            }
            std::path::Component::CurDir => {}
            other => norm.push(other),
        }
    }
    // Resolve the parent so a signature reached through a symlinked directory is still recognized.
    let resolved = norm
        .parent()
        .and_then(|p| fs_err::canonicalize(p).ok())
        .and_then(|p| norm.file_name().map(|n| p.join(n)))
        .unwrap_or_else(|| norm.clone());
    let root_abs = std::path::absolute(model).ok()?;
    let root_canon = fs_err::canonicalize(model).ok()?;
    let rel = resolved
        .strip_prefix(&root_canon)
        .ok()
        .or_else(|| norm.strip_prefix(&root_abs).ok())?
        .to_str()?;
    walk::normalize_relative(rel)
}

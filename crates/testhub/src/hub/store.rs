//! Repositories, commits and the git / git-LFS hashes the Hub exposes for them.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha1::{Digest as _, Sha1};
use sha2::Sha256;

/// Files at least this large are LFS whatever their name (the Hub's 10 MiB rule).
pub const LFS_THRESHOLD: u64 = 10 * 1024 * 1024;
/// Extensions the Hub's default `.gitattributes` sends to LFS (`.sig` deliberately not among them).
pub const LFS_EXTENSIONS: &[&str] = &["safetensors", "bin", "pt", "gguf", "onnx", "h5", "msgpack"];

/// The `.gitattributes` of the initial commit of a repo created through `POST /api/repos/create` (the Hub's
/// default for model repos).
pub const DEFAULT_GITATTRIBUTES: &str = "\
*.7z filter=lfs diff=lfs merge=lfs -text
*.arrow filter=lfs diff=lfs merge=lfs -text
*.bin filter=lfs diff=lfs merge=lfs -text
*.bz2 filter=lfs diff=lfs merge=lfs -text
*.ckpt filter=lfs diff=lfs merge=lfs -text
*.ftz filter=lfs diff=lfs merge=lfs -text
*.gguf filter=lfs diff=lfs merge=lfs -text
*.gz filter=lfs diff=lfs merge=lfs -text
*.h5 filter=lfs diff=lfs merge=lfs -text
*.joblib filter=lfs diff=lfs merge=lfs -text
*.lfs.* filter=lfs diff=lfs merge=lfs -text
*.mlmodel filter=lfs diff=lfs merge=lfs -text
*.model filter=lfs diff=lfs merge=lfs -text
*.msgpack filter=lfs diff=lfs merge=lfs -text
*.npy filter=lfs diff=lfs merge=lfs -text
*.npz filter=lfs diff=lfs merge=lfs -text
*.onnx filter=lfs diff=lfs merge=lfs -text
*.ot filter=lfs diff=lfs merge=lfs -text
*.parquet filter=lfs diff=lfs merge=lfs -text
*.pb filter=lfs diff=lfs merge=lfs -text
*.pickle filter=lfs diff=lfs merge=lfs -text
*.pkl filter=lfs diff=lfs merge=lfs -text
*.pt filter=lfs diff=lfs merge=lfs -text
*.pth filter=lfs diff=lfs merge=lfs -text
*.rar filter=lfs diff=lfs merge=lfs -text
*.safetensors filter=lfs diff=lfs merge=lfs -text
saved_model/**/* filter=lfs diff=lfs merge=lfs -text
*.tar.* filter=lfs diff=lfs merge=lfs -text
*.tar filter=lfs diff=lfs merge=lfs -text
*.tflite filter=lfs diff=lfs merge=lfs -text
*.tgz filter=lfs diff=lfs merge=lfs -text
*.wasm filter=lfs diff=lfs merge=lfs -text
*.xz filter=lfs diff=lfs merge=lfs -text
*.zip filter=lfs diff=lfs merge=lfs -text
*.zst filter=lfs diff=lfs merge=lfs -text
*tfevents* filter=lfs diff=lfs merge=lfs -text
";

/// File content on disk, hashed once.
#[derive(Debug)]
pub struct Blob {
    pub disk: PathBuf,
    pub size: u64,
    /// sha1("blob <len>\0" + content).
    pub git_sha1: String,
    pub sha256: String,
}

/// A file at a commit.
#[derive(Debug, Clone)]
pub struct FileEntry {
    pub path: String,
    pub blob: Arc<Blob>,
    pub lfs: bool,
    /// The git blob id the tree lists: the content's for regular files, the pointer file's for LFS.
    pub oid: String,
    /// Length of the LFS pointer text (0 for regular files).
    pub pointer_size: u64,
}

#[derive(Debug)]
pub struct Commit {
    pub sha: String,
    pub time: u64,
    pub title: String,
    /// The first parent (None for a root commit).
    pub parent: Option<String>,
    pub files: BTreeMap<String, FileEntry>,
    /// Directory path ("" = root) → git tree sha1.
    pub dirs: BTreeMap<String, String>,
}

#[derive(Debug, Default)]
pub struct Repo {
    pub commits: HashMap<String, Arc<Commit>>,
    /// Branch (or `refs/pr/N`) → commit sha.
    pub refs: BTreeMap<String, String>,
    /// Set when private: the bearer token that grants access.
    pub token: Option<String>,
    pub created: u64,
}

impl Repo {
    /// The ref a branch name (or `refs/heads/<branch>`, or `refs/pr/N`) designates, if it exists.
    pub fn branch(&self, rev: &str) -> Option<(String, String)> {
        let name = rev.strip_prefix("refs/heads/").unwrap_or(rev);
        self.refs.get(name).map(|sha| (name.to_string(), sha.clone()))
    }

    /// A branch name, `refs/heads/<branch>`, or a full commit sha.
    pub fn resolve(&self, rev: &str) -> Option<Arc<Commit>> {
        let sha = self
            .refs
            .get(rev)
            .or_else(|| rev.strip_prefix("refs/heads/").and_then(|b| self.refs.get(b)))
            .map_or(rev, String::as_str);
        self.commits.get(sha).cloned()
    }
}

pub fn git_object_sha1(kind: &str, body: &[u8]) -> String {
    let mut h = Sha1::new();
    h.update(format!("{kind} {}\0", body.len()).as_bytes());
    h.update(body);
    hex::encode(h.finalize())
}

pub fn lfs_pointer(sha256: &str, size: u64) -> String {
    format!("version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n")
}

pub fn is_lfs(path: &str, size: u64) -> bool {
    // git-lfs never turns an empty file into a pointer.
    if size == 0 {
        return false;
    }
    let name = path.rsplit('/').next().unwrap_or(path);
    size >= LFS_THRESHOLD
        || name
            .rsplit_once('.')
            .is_some_and(|(_, ext)| LFS_EXTENSIONS.contains(&ext))
}

/// Streams a file once: (size, git blob sha1, sha256).
pub fn hash_file(path: &Path) -> Blob {
    let size = std::fs::metadata(path).unwrap().len();
    let mut f = std::fs::File::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let mut s1 = Sha1::new();
    s1.update(format!("blob {size}\0").as_bytes());
    let mut s256 = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = f.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        s1.update(&buf[..n]);
        s256.update(&buf[..n]);
        total += n as u64;
    }
    assert_eq!(total, size, "{} changed while hashing", path.display());
    Blob {
        disk: path.to_path_buf(),
        size,
        git_sha1: hex::encode(s1.finalize()),
        sha256: hex::encode(s256.finalize()),
    }
}

pub fn file_entry(path: String, blob: Arc<Blob>) -> FileEntry {
    let lfs = is_lfs(&path, blob.size);
    file_entry_as(path, blob, lfs)
}

/// A file stored as git-LFS pointer (`lfs`) or as a plain git blob, whatever its name and size (a commit
/// through the API stores files the way the client sent them).
pub fn file_entry_as(path: String, blob: Arc<Blob>, lfs: bool) -> FileEntry {
    let (oid, pointer_size) = if lfs {
        let ptr = lfs_pointer(&blob.sha256, blob.size);
        (git_object_sha1("blob", ptr.as_bytes()), ptr.len() as u64)
    } else {
        (blob.git_sha1.clone(), 0)
    };
    FileEntry {
        path,
        blob,
        lfs,
        oid,
        pointer_size,
    }
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// Git tree sha1 of every directory (root = "").
pub fn tree_shas(files: &BTreeMap<String, FileEntry>) -> BTreeMap<String, String> {
    // dir → (name → is_dir)
    let mut children: BTreeMap<String, BTreeMap<String, bool>> = BTreeMap::new();
    children.entry(String::new()).or_default();
    for path in files.keys() {
        let parts: Vec<&str> = path.split('/').collect();
        let mut parent = String::new();
        for (i, part) in parts.iter().enumerate() {
            let is_dir = i + 1 < parts.len();
            children
                .entry(parent.clone())
                .or_default()
                .insert((*part).to_string(), is_dir);
            if is_dir {
                parent = join(&parent, part);
                children.entry(parent.clone()).or_default();
            }
        }
    }
    let mut dirs: Vec<&String> = children.keys().collect();
    dirs.sort_by_key(|d| {
        std::cmp::Reverse(if d.is_empty() {
            0
        } else {
            d.matches('/').count() + 1
        })
    });
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for d in dirs {
        let mut entries: Vec<(String, Vec<u8>)> = Vec::new();
        for (name, is_dir) in &children[d] {
            let full = join(d, name);
            let (mode, sha, key) = if *is_dir {
                ("40000", out[&full].clone(), format!("{name}/"))
            } else {
                ("100644", files[&full].oid.clone(), name.clone())
            };
            let mut rec = format!("{mode} {name}\0").into_bytes();
            rec.extend(hex::decode(sha).unwrap());
            entries.push((key, rec));
        }
        entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        let body: Vec<u8> = entries.into_iter().flat_map(|(_, r)| r).collect();
        out.insert(d.clone(), git_object_sha1("tree", &body));
    }
    out
}

/// A git commit object: deterministic given tree, parent, time and title.
pub fn commit_sha(tree: &str, parent: Option<&str>, time: u64, title: &str) -> String {
    let mut body = format!("tree {tree}\n");
    if let Some(p) = parent {
        let _ = writeln!(body, "parent {p}");
    }
    let who = "hubsign-test <hubsign-test@localhost>";
    let _ = write!(
        body,
        "author {who} {time} +0000\ncommitter {who} {time} +0000\n\n{title}\n"
    );
    git_object_sha1("commit", body.as_bytes())
}

/// `2023-11-14T22:13:20.000Z`
pub fn iso8601(ts: u64) -> String {
    let days = i64::try_from(ts / 86_400).unwrap();
    let secs = ts % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

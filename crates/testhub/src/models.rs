//! Models on disk for tests: the repository's fixtures, the shared vectors' models rebuilt byte for byte,
//! copies and snapshots of directory trees. Never touches anything outside the directories it is given.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository's `fixtures/` (tiny models, test keys and certificates).
pub fn fixtures() -> PathBuf {
    // This crate lives at crates/testhub of the repository.
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    crate_dir.parent().unwrap().parent().unwrap().join("fixtures")
}

/// A test key or certificate under `fixtures/keys`.
pub fn key(name: &str) -> PathBuf {
    fixtures().join("keys").join(name)
}

/// A temporary directory named `hubsign-it-…`, removed on drop.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("hubsign-it-").tempdir().unwrap()
}

/// Writes `bytes` to `path`, creating its parent directories.
pub fn write(path: &Path, bytes: &[u8]) {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).unwrap();
    }
    std::fs::write(path, bytes).unwrap();
}

/// Flips one bit of a file in place.
pub fn flip_byte(path: &Path, offset: usize) {
    let mut b = std::fs::read(path).unwrap();
    b[offset] ^= 0x01;
    std::fs::write(path, b).unwrap();
}

/// Copies the file or tree at `from` to `to` (which must not exist yet) as `cp -a` does: symlinks
/// stay symlinks, modes and times are kept.
pub fn copy_tree(from: &Path, to: &Path) {
    assert!(!to.exists(), "copy_tree: {} exists", to.display());
    if let Some(p) = to.parent() {
        std::fs::create_dir_all(p).unwrap();
    }
    let status = Command::new("cp").arg("-a").arg(from).arg(to).status().unwrap();
    assert!(status.success(), "cp -a {} {}", from.display(), to.display());
}

/// A copy of the bundled fixture model `name` (under `fixtures/models`) at `dir/name`.
pub fn fixture_model(dir: &Path, name: &str) -> PathBuf {
    let m = dir.join(name);
    copy_tree(&fixtures().join("models").join(name), &m);
    m
}

/// The bundled fixture model `tiny-bert` (signed by model_signing 1.1.1 with fixtures/keys/p256.pem),
/// plus the unsigned `.gitattributes` every Hub repository has, at `dir/tiny-bert`.
pub fn signed_model(dir: &Path) -> PathBuf {
    let m = fixture_model(dir, "tiny-bert");
    write(
        &m.join(".gitattributes"),
        b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n",
    );
    m
}

/// The deterministic content of the shared vector generator: SHA-256 blocks of
/// `hubsign-vector:<rel>:<i>`, truncated to `size`.
pub fn det_bytes(rel: &str, size: usize) -> Vec<u8> {
    use sha2::Digest as _;
    let mut out = Vec::with_capacity(size + 32);
    let mut i = 0;
    while out.len() < size {
        out.extend_from_slice(&sha2::Sha256::digest(
            format!("hubsign-vector:{rel}:{i}").as_bytes(),
        ));
        i += 1;
    }
    out.truncate(size);
    out
}

/// The vectors' `tiny-model`, rebuilt byte for byte (see gen_model.py).
pub fn tiny_model(dir: &Path) -> PathBuf {
    let m = dir.join("tiny-model");
    let text: &[(&str, &[u8])] = &[
        (
            "config.json",
            b"{\"architectures\": [\"TinyNet\"], \"hidden_size\": 64, \"num_layers\": 2}\n",
        ),
        (
            "README.md",
            b"# tiny-model\n\nDeterministic test vector for model_signing.\n",
        ),
        ("empty.bin", b""),
        (".hidden_file", b"dotfiles are NOT ignored by default\n"),
        ("ignore-me.txt", b"excluded in the *_ignorepaths vectors\n"),
        (".git/HEAD", b"ref: refs/heads/main\n"),
        (".git/config", b"[core]\n\trepositoryformatversion = 0\n"),
        (
            ".gitattributes",
            b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n",
        ),
        (".gitignore", b"*.pyc\n"),
        (".github/workflows/ci.yml", b"name: ci\n"),
    ];
    for (rel, bytes) in text {
        write(&m.join(rel), bytes);
    }
    let sized: &[(&str, usize)] = &[
        ("model.safetensors", 1_048_576 + 123),
        ("tokenizer/vocab.txt", 4096),
        ("tokenizer/merges.txt", 2500),
        ("nested/deeper/weights.bin", 3 * 1024 + 7),
        ("order/a.b", 100),
        ("order/a-c", 101),
        ("order/a/b", 102),
        ("order/A", 103),
        ("order/\u{fc}.txt", 104),
        (".git/objects/ab/cdef", 50),
    ];
    for (rel, size) in sized {
        write(&m.join(rel), &det_bytes(rel, *size));
    }
    std::fs::create_dir_all(m.join("empty_dir")).unwrap();
    m
}

/// The vectors' single-file model.
pub fn single_file_model(dir: &Path) -> PathBuf {
    let p = dir.join("single-file-model.bin");
    write(&p, &det_bytes("single-file-model.bin", 300_000));
    p
}

/// The vectors' symlink model (a file link and a directory link).
pub fn symlink_model(dir: &Path) -> PathBuf {
    let m = dir.join("symlink-model");
    write(&m.join("real.bin"), &det_bytes("real.bin", 2048));
    write(&m.join("sub/data.bin"), &det_bytes("sub/data.bin", 1000));
    std::os::unix::fs::symlink("real.bin", m.join("link.bin")).unwrap();
    std::os::unix::fs::symlink("sub", m.join("dirlink")).unwrap();
    m
}

/// A model of `n` small files in nested folders.
pub fn many_files_model(dir: &Path, n: usize) -> PathBuf {
    let m = dir.join("many");
    for i in 0..n {
        let rel = format!("d{}/e{}/f{i}.bin", i % 10, (i / 10) % 10);
        write(&m.join(&rel), &det_bytes(&rel, 64 + i % 200));
    }
    m
}

/// Every path under `root` (relative, symlinks not followed) with what it is: `dir`, `link:TARGET` or
/// `file:SHA256`. "Unchanged" means equal maps; a missing `root` is empty.
pub fn tree_state(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            let v = if meta.is_symlink() {
                format!("link:{}", std::fs::read_link(&p).unwrap().display())
            } else if meta.is_dir() {
                stack.push(p);
                "dir".to_owned()
            } else {
                use sha2::Digest as _;
                format!(
                    "file:{}",
                    hex::encode(sha2::Sha256::digest(std::fs::read(&p).unwrap()))
                )
            };
            out.insert(rel, v);
        }
    }
    out
}

/// Every non-directory entry under `dir`, relative, symlinks not followed.
pub fn files_in(dir: &Path) -> BTreeSet<String> {
    tree_state(dir)
        .into_iter()
        .filter(|(_, v)| v != "dir")
        .map(|(k, _)| k)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{copy_tree, files_in, symlink_model, tempdir, tree_state};

    #[test]
    fn copy_tree_keeps_links_as_links_and_never_copies_into_an_existing_target() {
        let tmp = tempdir();
        let m = symlink_model(tmp.path());
        let copy = tmp.path().join("copy");
        copy_tree(&m, &copy);
        assert_eq!(tree_state(&m), tree_state(&copy));
        assert_eq!(
            tree_state(&copy)["link.bin"],
            "link:real.bin",
            "a link was copied as a file"
        );
        assert!(files_in(&copy).contains("dirlink"));
        let again = std::panic::catch_unwind(|| copy_tree(&m, &copy));
        assert!(again.is_err(), "copied into an existing directory");
    }
}

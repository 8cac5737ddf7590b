//! Registering hubsign as an `hf` CLI extension, so `hf hubsign …` runs it.
//!
//! The `hf` CLI of `huggingface_hub` 2.x finds extensions only through a manifest,
//! `<root>/hf-<name>/manifest.json` (root `~/.local/share/hf/extensions`), and runs the
//! `executable_path` it names with the remaining arguments. [`install`] writes that manifest the
//! way `hf extensions install` writes a binary extension's, pointing at the hubsign executable.
//! The manifest names a source that cannot exist on GitHub (an owner with a '.', which GitHub
//! user names cannot hold), so `hf extensions update` can never replace hubsign with someone
//! else's download. An extension folder hubsign did not write is never overwritten.

use std::path::{Path, PathBuf};

/// The extension's name: `hf hubsign`.
pub const SHORT_NAME: &str = "hubsign";
/// The manifest's `owner`: not a valid GitHub user name, so nothing can be fetched for it.
const OWNER: &str = "hubsign.local";
const REPO: &str = "hf-hubsign";
const MANIFEST: &str = "manifest.json";
/// Where `hf` remembers the latest upstream commit it saw (empty: none); written as
/// `hf extensions install` does, so the first runs do not ask GitHub.
const LATEST_COMMIT: &str = ".latest_commit";

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExtensionError {
    /// Exit 2: another extension of that name is installed; hubsign does not overwrite it.
    #[error(
        "an hf extension named `{SHORT_NAME}` is already installed from {source_repo} ({path}); remove it with `hf extensions remove {SHORT_NAME}` first"
    )]
    Taken { path: PathBuf, source_repo: String },
    /// Exit 2: `hf` finds extensions under the home directory, and there is none.
    #[error("HOME is not set: cannot find hf's extensions folder (~/.local/share/hf/extensions)")]
    NoHome,
    /// Exit 2: the extension folder is a symlink or not a directory.
    #[error("{path} is a symlink or not a directory; refusing to write through it")]
    NotARealDirectory { path: PathBuf },
    /// Exit 2.
    #[error("{action} {path}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// What [`install`] wrote.
#[derive(Debug, Clone)]
pub struct Installed {
    pub manifest: PathBuf,
    /// Whether a manifest hubsign wrote before was replaced (the executable moved, a new version).
    pub replaced: bool,
}

/// Writes `<root>/hf-hubsign/manifest.json` naming `executable` (an absolute path), as
/// `hf extensions install` would for a binary extension. `now` is the install time recorded.
pub fn install(
    root: &Path,
    executable: &Path,
    description: &str,
    now: std::time::SystemTime,
) -> Result<Installed, ExtensionError> {
    let io = |action: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |source| ExtensionError::Io { action, path, source }
    };
    fs_err::create_dir_all(root).map_err(io("cannot create", root))?;
    let dir = root.join(format!("hf-{SHORT_NAME}"));
    let manifest = dir.join(MANIFEST);
    let mut replaced = false;
    match fs_err::symlink_metadata(&dir) {
        Ok(m) if m.is_dir() => {
            // Only a manifest hubsign wrote may be replaced.
            let ours = crate::fsutil::read_regular_capped(&manifest, 1 << 20)
                .ok()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                .map(|v| v["repo_id"].as_str().unwrap_or_default().to_owned());
            match ours {
                Some(repo_id) if repo_id == format!("{OWNER}/{REPO}") => replaced = true,
                other => {
                    return Err(ExtensionError::Taken {
                        path: dir,
                        source_repo: other.unwrap_or_else(|| "an unknown source".into()),
                    });
                }
            }
        }
        Ok(_) => return Err(ExtensionError::NotARealDirectory { path: dir }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            fs_err::create_dir(&dir).map_err(io("cannot create", &dir))?;
        }
        Err(e) => return Err(io("cannot stat", &dir)(e)),
    }
    let (y, mo, d, h, mi, s) = crate::fsutil::utc_fields(now);
    // As `ExtensionManifest.save` writes it: `json.dumps(..., indent=2, sort_keys=True)`.
    let doc = serde_json::json!({
        "commit_sha": null,
        "description": description,
        "executable_path": executable,
        "installed_at": format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}+00:00"),
        "owner": OWNER,
        "repo": REPO,
        "repo_id": format!("{OWNER}/{REPO}"),
        "short_name": SHORT_NAME,
        "type": "binary",
    });
    let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    // Temp file + rename: a symlink planted at either name is replaced, never followed.
    for (name, bytes) in [(MANIFEST, text.as_bytes()), (LATEST_COMMIT, &b""[..])] {
        crate::fsutil::write_atomic(&dir.join(name), bytes).map_err(|e| io(e.action, &e.path)(e.source))?;
    }
    Ok(Installed { manifest, replaced })
}

#[cfg(test)]
mod tests {
    use super::{ExtensionError, install};
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn writes_the_manifest_hf_reads_and_never_overwrites_another_extension() {
        let root = tempfile::tempdir().unwrap();
        let at = UNIX_EPOCH + Duration::from_secs(1_709_210_096);
        let exe = std::path::Path::new("/opt/hubsign/bin/hubsign");
        let first = install(root.path(), exe, "d", at).unwrap();
        assert!(!first.replaced);
        let v: serde_json::Value = serde_json::from_slice(&fs_err::read(&first.manifest).unwrap()).unwrap();
        assert_eq!(v["executable_path"], "/opt/hubsign/bin/hubsign");
        assert_eq!(v["installed_at"], "2024-02-29T12:34:56+00:00");
        assert_eq!(v["short_name"], "hubsign");
        assert_eq!(v["type"], "binary");
        assert!(install(root.path(), exe, "d", at).unwrap().replaced);
        // Someone else's `hf-hubsign` stays as it is.
        fs_err::write(&first.manifest, br#"{"repo_id": "someone/hf-hubsign"}"#).unwrap();
        let e = install(root.path(), exe, "d", at).unwrap_err();
        assert!(
            matches!(&e, ExtensionError::Taken { source_repo, .. } if source_repo == "someone/hf-hubsign"),
            "{e}"
        );
        assert_eq!(
            fs_err::read(&first.manifest).unwrap(),
            br#"{"repo_id": "someone/hf-hubsign"}"#
        );
    }
}

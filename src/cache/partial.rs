//! hubsign's records of partial pulls, kept beside the snapshots of a repository in the caches
//! whose own format records nothing for a partial download (the HF cache, the OCI cache): one
//! `<snapshot>.json` in `.hubsign-partial/` per snapshot a partial pull made, naming the files
//! it placed. Without a record, every signed file must be in the snapshot (the strict reading).
//! And the regular files of a snapshot folder, as the plain-folder caches list them.

use super::{CacheError, real_dir, real_dirs, write_atomic};
use std::collections::BTreeSet;
use std::path::Path;

/// The folder, in a repository's folder, of the records.
pub const PARTIAL_RECORDS: &str = ".hubsign-partial";

/// A record names file paths only; anything larger was not written by hubsign.
const MAX_PARTIAL_RECORD_BYTES: u64 = 64 << 20;

/// The files the partial pull of snapshot `name` placed: `None` when there is no such record,
/// it is not a regular file in a real folder, or it is malformed (the strict reading).
pub fn read(repo_dir: &Path, name: &str) -> Option<BTreeSet<String>> {
    #[derive(serde::Deserialize)]
    struct Record {
        format_version: u32,
        files: Vec<String>,
    }
    let dir = repo_dir.join(PARTIAL_RECORDS);
    let path = dir.join(format!("{name}.json"));
    if !real_dir(&dir) || !fs_err::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
        return None;
    }
    let bytes = crate::fsutil::read_regular_capped(&path, MAX_PARTIAL_RECORD_BYTES).ok()?;
    let record: Record = serde_json::from_slice(&bytes).ok()?;
    (record.format_version == 1).then(|| record.files.into_iter().collect())
}

/// Removes the record of snapshot `name`, before the snapshot is replaced (meanwhile it is held
/// to be complete: the strict reading). Only a record hubsign wrote is removed: a regular file
/// in a real records folder that reads as one; anything else there is left alone (it is not
/// read as a record either, so the snapshot is read strictly).
pub fn remove(repo_dir: &Path, name: &str) -> Result<(), CacheError> {
    let path = repo_dir.join(PARTIAL_RECORDS).join(format!("{name}.json"));
    if read(repo_dir, name).is_some() {
        fs_err::remove_file(&path).map_err(|source| CacheError::Io {
            action: "cannot remove",
            path,
            source,
        })?;
    }
    Ok(())
}

/// Records that the snapshot `name` holds only `placed` (after it was swapped in).
pub fn write<'a>(
    repo_dir: &Path,
    name: &str,
    placed: impl Iterator<Item = &'a str>,
) -> Result<(), CacheError> {
    let mut placed: Vec<&str> = placed.collect();
    placed.sort_unstable();
    let record = serde_json::json!({ "format_version": 1, "files": placed });
    let records = real_dirs(repo_dir, Path::new(PARTIAL_RECORDS))?;
    write_atomic(
        &records.join(format!("{name}.json")),
        record.to_string().as_bytes(),
    )?;
    Ok(())
}

/// The regular files under `dir`, by their path relative to it (a symlink is not a file of a
/// snapshot: verification refuses it).
pub fn files_under(dir: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((d, prefix)) = stack.pop() {
        for e in fs_err::read_dir(&d).into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let r = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push((e.path(), r)),
                Ok(t) if t.is_file() => {
                    out.insert(r);
                }
                _ => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{PARTIAL_RECORDS, read, remove, write};

    /// A record hubsign wrote is removed; a file there that is not one (another tool's, a
    /// link) is left where it is.
    #[test]
    fn only_a_record_hubsign_wrote_is_removed() {
        let repo = tempfile::tempdir().unwrap();
        write(repo.path(), "a", ["x.bin"].into_iter()).unwrap();
        assert_eq!(read(repo.path(), "a").unwrap().len(), 1);
        remove(repo.path(), "a").unwrap();
        assert!(!repo.path().join(PARTIAL_RECORDS).join("a.json").exists());
        let foreign = repo.path().join(PARTIAL_RECORDS).join("b.json");
        fs_err::write(&foreign, b"not a record").unwrap();
        remove(repo.path(), "b").unwrap();
        assert_eq!(fs_err::read(&foreign).unwrap(), b"not a record");
        let target = repo.path().join("elsewhere.json");
        fs_err::write(&target, br#"{"format_version": 1, "files": []}"#).unwrap();
        let link = repo.path().join(PARTIAL_RECORDS).join("c.json");
        fs_err::os::unix::fs::symlink(&target, &link).unwrap();
        remove(repo.path(), "c").unwrap();
        assert!(fs_err::symlink_metadata(&link).is_ok() && target.exists());
    }
}

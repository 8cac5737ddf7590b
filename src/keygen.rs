//! `hubsign keygen`: a new P-256 signing key pair, written as two new files: `OUT` (the
//! private key, PKCS#8 PEM, encrypted on request, mode 0600) and `OUT.pub` (the public key, SPKI
//! PEM, mode 0666 less the umask). It never replaces a file and never writes through a symlink:
//! an existing entry at either path (a dangling link included) is refused before a key is made.

use crate::crypto::ec::{KeyEncryption, generate_p256};
use crate::{Error, Result};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// What [`write_key_pair`] wrote.
#[derive(Debug)]
pub struct KeyFiles {
    pub private: PathBuf,
    pub public: PathBuf,
    /// The public key's hint (hex SHA-256 of its PEM), as `verify` and the lock name the signer.
    pub fingerprint: String,
    pub encrypted: bool,
}

/// `OUT.pub` for the private key `OUT`.
#[must_use]
pub fn public_key_path(private: &Path) -> PathBuf {
    let mut name = private.as_os_str().to_owned();
    name.push(".pub");
    PathBuf::from(name)
}

/// Generates a P-256 key pair and writes it to `private` and [`public_key_path`]`(private)`,
/// the private key encrypted when asked.
///
/// # Errors
/// [`Error::OutputExists`] when either path exists (nothing is written then); [`Error::Io`]
/// when a file cannot be created or written (a private key already created is removed again).
pub fn write_key_pair(private: &Path, encryption: Option<KeyEncryption<'_>>) -> Result<KeyFiles> {
    let public = public_key_path(private);
    for path in [private, public.as_path()] {
        if fs_err::symlink_metadata(path).is_ok() {
            return Err(Error::OutputExists {
                path: path.to_path_buf(),
            });
        }
    }
    let pair = generate_p256(&mut rand_core::OsRng, encryption).map_err(|source| Error::Key {
        path: private.to_path_buf(),
        source,
    })?;
    create_new(private, 0o600, pair.private.as_bytes())?;
    if let Err(e) = create_new(&public, 0o666, pair.public.as_bytes()) {
        // Only the file this call created is removed.
        let _ = fs_err::remove_file(private);
        return Err(e);
    }
    let fingerprint = crate::crypto::ec::VerifyingKey::from_pem(&pair.public)
        .map(|k| k.hint())
        .unwrap_or_default();
    Ok(KeyFiles {
        private: private.to_path_buf(),
        public,
        fingerprint,
        encrypted: encryption.is_some(),
    })
}

/// Creates `path` (it must not exist: `O_EXCL` also refuses a symlink there, dangling or not)
/// with `mode` less the umask, writes `bytes` and syncs them. A file it created but could not
/// fill is removed.
fn create_new(path: &Path, mode: u32, bytes: &[u8]) -> Result<()> {
    use fs_err::os::unix::fs::OpenOptionsExt as _;
    let io = |action: &'static str| {
        move |source| Error::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    };
    let mut file = match fs_err::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(Error::OutputExists {
                path: path.to_path_buf(),
            });
        }
        Err(e) => return Err(io("cannot create")(e)),
    };
    if let Err(e) = file.write_all(bytes).and_then(|()| file.sync_all()) {
        drop(file);
        let _ = fs_err::remove_file(path);
        return Err(io("cannot write")(e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_an_existing_file_or_link_at_either_path_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("key.pem");
        fs_err::write(public_key_path(&key), b"keep me").unwrap();
        assert!(matches!(
            write_key_pair(&key, None),
            Err(Error::OutputExists { .. })
        ));
        assert!(!key.exists(), "nothing written when OUT.pub exists");
        assert_eq!(fs_err::read(public_key_path(&key)).unwrap(), b"keep me");

        let link = dir.path().join("link.pem");
        fs_err::os::unix::fs::symlink(dir.path().join("elsewhere.pem"), &link).unwrap();
        assert!(matches!(
            write_key_pair(&link, None),
            Err(Error::OutputExists { .. })
        ));
        assert!(
            !dir.path().join("elsewhere.pem").exists(),
            "never written through a link"
        );
    }

    #[test]
    fn the_private_key_is_owner_only_and_reads_back() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("key.pem");
        let encryption = KeyEncryption {
            password: b"pw",
            rounds: 1000,
        };
        let files = write_key_pair(&key, Some(encryption)).unwrap();
        assert_eq!(
            fs_err::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let text = fs_err::read_to_string(&key).unwrap();
        assert!(
            text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"),
            "{text}"
        );
        let pem = crate::crypto::ec::PrivateKeyPem::parse(&text).unwrap();
        assert!(pem.is_encrypted());
        let signing = pem.into_key(Some(b"pw")).unwrap();
        assert_eq!(signing.verifying_key().hint(), files.fingerprint);
        let public = fs_err::read_to_string(&files.public).unwrap();
        assert_eq!(
            crate::crypto::ec::VerifyingKey::from_pem(&public).unwrap().hint(),
            files.fingerprint
        );
    }
}

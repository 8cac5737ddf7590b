//! A throwaway certificate authority and a server certificate for 127.0.0.1, so that clients which
//! always speak HTTPS (rh-model-signing through `requests`, skopeo without `--tls-verify=false`, hubsign
//! reading a containers `certs.d` folder) can reach a local test server with verification on.
//!
//! Made with the `openssl` command (installed wherever the tests run) into a temporary directory the
//! [`TestCa`] owns: the keys never leave it and live as long as the value. Never a key or certificate
//! meant for anything but a test on this host.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A self-signed CA (`ca.pem`) and a server certificate it issued (`cert.pem`, key `key.pem`) for
/// `IP:127.0.0.1` and `DNS:localhost`, all EC P-256 and valid for two days.
pub struct TestCa {
    dir: tempfile::TempDir,
}

/// Runs `openssl` with `args` in `dir`; fails the test with its stderr.
fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl (it makes the test TLS certificates)");
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl TestCa {
    /// Generates the CA and the server certificate.
    pub fn generate() -> Self {
        let dir = tempfile::Builder::new().prefix("test-ca-").tempdir().unwrap();
        let d = dir.path();
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        openssl(
            d,
            &[
                &["req", "-x509"][..],
                &ec,
                &["-keyout", "ca.key", "-out", "ca.pem", "-days", "2"],
                &["-subj", "/CN=testhub test CA"],
                &["-addext", "basicConstraints=critical,CA:TRUE"],
                &["-addext", "keyUsage=critical,keyCertSign,cRLSign"],
            ]
            .concat(),
        );
        openssl(
            d,
            &[
                &["req"][..],
                &ec,
                &[
                    "-keyout",
                    "key.pem",
                    "-out",
                    "server.csr",
                    "-subj",
                    "/CN=127.0.0.1",
                ],
            ]
            .concat(),
        );
        // Strict verifiers (Go's, Python's with VERIFY_X509_STRICT) want the SAN, the key
        // identifiers and the server-auth usage, not just a common name.
        fs_write(
            &d.join("server.ext"),
            "subjectAltName=IP:127.0.0.1,DNS:localhost\n\
             basicConstraints=critical,CA:FALSE\n\
             keyUsage=critical,digitalSignature\n\
             extendedKeyUsage=serverAuth\n\
             subjectKeyIdentifier=hash\n\
             authorityKeyIdentifier=keyid:always\n",
        );
        openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-set_serial",
                "2",
                "-days",
                "2",
                "-extfile",
                "server.ext",
                "-out",
                "cert.pem",
            ],
        );
        Self { dir }
    }

    /// The CA certificate (PEM): what a client trusts (`REQUESTS_CA_BUNDLE`, `SSL_CERT_FILE`).
    pub fn ca_pem(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// The server certificate (PEM), issued by [`TestCa::ca_pem`].
    pub fn cert_pem(&self) -> PathBuf {
        self.dir.path().join("cert.pem")
    }

    /// The server certificate's private key (PEM, PKCS#8, unencrypted).
    pub fn key_pem(&self) -> PathBuf {
        self.dir.path().join("key.pem")
    }

    /// Lays out the containers `certs.d` convention for `host` (`HOST[:PORT]`) under `root`: the CA
    /// as `<root>/<host>/ca.crt`. Returns `<root>/<host>`, the folder skopeo's `--cert-dir` /
    /// `--src-cert-dir` / `--dest-cert-dir` take; `root` itself is what
    /// `$HOME/.config/containers/certs.d` or `/etc/containers/certs.d` stands for.
    pub fn write_cert_dir(&self, root: &Path, host: &str) -> PathBuf {
        let dir = root.join(host);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(self.ca_pem(), dir.join("ca.crt")).unwrap();
        dir
    }
}

fn fs_write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

#[cfg(test)]
mod tests {
    use super::TestCa;

    /// openssl itself accepts the server certificate for 127.0.0.1 under the CA, and the cert
    /// folder holds the CA under the containers name.
    #[test]
    fn the_server_certificate_verifies_for_127_0_0_1_under_the_ca() {
        let ca = TestCa::generate();
        let out = std::process::Command::new("openssl")
            .args(["verify", "-CAfile"])
            .arg(ca.ca_pem())
            .args(["-verify_ip", "127.0.0.1", "-purpose", "sslserver"])
            .arg(ca.cert_pem())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let root = tempfile::tempdir().unwrap();
        let dir = ca.write_cert_dir(root.path(), "127.0.0.1:5000");
        assert_eq!(dir, root.path().join("127.0.0.1:5000"));
        assert_eq!(
            std::fs::read(dir.join("ca.crt")).unwrap(),
            std::fs::read(ca.ca_pem()).unwrap()
        );
    }
}

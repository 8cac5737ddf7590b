//! A real OCI registry for the tests: Debian's `docker-registry` (the CNCF distribution registry
//! 2.8, which has no referrers API) started on 127.0.0.1 at a free port with its storage in a
//! temporary folder, optionally behind htpasswd basic auth, and the real clients that fill and read
//! it (oras-py from `HUBSIGN_OCI_VENV`, `skopeo`).
//!
//! Tests reach it over plain HTTP, as docker and skopeo reach a registry on 127.0.0.1. It is
//! stopped when dropped. Nothing here is hubsign's code: it is the ground truth hubsign is tested
//! against.

use crate::python;
use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Whether the registry asks for credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryAuth {
    None,
    /// htpasswd basic auth with one user (a bcrypt entry made by `htpasswd -Bbn`).
    Htpasswd {
        user: String,
        password: String,
    },
}

/// A running `docker-registry`; killed on drop.
pub struct Registry {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
    auth: RegistryAuth,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a push reported: the manifest digest the registry announced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    pub digest: String,
}

impl Registry {
    /// Starts a registry, or `None` (a loud skip; a failure in CI) when `docker-registry` (or,
    /// for htpasswd auth, `htpasswd`) is not installed. Waits until `/v2/` answers.
    pub fn start(auth: RegistryAuth) -> Option<Self> {
        let exe = crate::inputs::docker_registry()?;
        let dir = tempfile::tempdir().unwrap();
        let storage = dir.path().join("storage");
        std::fs::create_dir(&storage).unwrap();
        let auth_yaml = match &auth {
            RegistryAuth::None => String::new(),
            RegistryAuth::Htpasswd { user, password } => {
                let htpasswd = crate::inputs::htpasswd()?;
                let out = Command::new(htpasswd)
                    .args(["-Bbn", user, password])
                    .output()
                    .unwrap();
                assert!(out.status.success(), "htpasswd failed: {out:?}");
                let file = dir.path().join("htpasswd");
                std::fs::write(&file, &out.stdout).unwrap();
                format!(
                    "auth:\n  htpasswd:\n    realm: hubsign-test\n    path: {}\n",
                    file.display()
                )
            }
        };
        // A port found free may be taken before the registry binds it: try again with another.
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let config = dir.path().join("config.yml");
            std::fs::write(
                &config,
                format!(
                    "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n{auth_yaml}",
                    storage.display()
                ),
            )
            .unwrap();
            let log_path = dir.path().join("registry.log");
            let log = std::fs::File::create(&log_path).unwrap();
            let mut child = Command::new(&exe)
                .arg("serve")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .unwrap();
            if wait_ready(&mut child, port, &log_path) {
                return Some(Self {
                    child,
                    port,
                    dir,
                    auth,
                });
            }
            eprintln!(
                "docker-registry did not start on port {port}, trying another:\n{}",
                std::fs::read_to_string(&log_path).unwrap_or_default()
            );
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("docker-registry did not start on five free ports");
    }

    /// What the registry logged so far (for failure reports).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The registry's storage root (`storage.filesystem.rootdirectory`).
    pub fn storage(&self) -> PathBuf {
        self.dir.path().join("storage")
    }

    /// Where the registry keeps the bytes of blob `digest` (`sha256:<hex>`), so a test can tamper
    /// with them.
    pub fn blob_path(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").expect("a sha256 digest");
        self.storage()
            .join("docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }

    /// The htpasswd user and password, if the registry has one.
    pub fn credentials(&self) -> Option<(&str, &str)> {
        match &self.auth {
            RegistryAuth::None => None,
            RegistryAuth::Htpasswd { user, password } => Some((user, password)),
        }
    }

    /// Pushes `files` (name, content) to `REPOSITORY:TAG` with oras-py (`OrasClient(insecure=True)`
    /// `.push`), each a layer titled by its name, plus `manifest_annotations`; returns the
    /// manifest digest the registry announced.
    pub fn oras_push(
        &self,
        venv: &Path,
        target: &str,
        files: &[(&str, &[u8])],
        manifest_annotations: &serde_json::Value,
    ) -> Pushed {
        let work = tempfile::tempdir().unwrap();
        for (name, content) in files {
            std::fs::write(work.path().join(name), content).unwrap();
        }
        let names: Vec<&str> = files.iter().map(|(n, _)| *n).collect();
        let code = format!(
            "c = oras.client.OrasClient(insecure=True)\n{login}r = c.push(target={target:?}, files={names}, manifest_annotations={annotations})\nout({{'status': r.status_code, 'digest': r.headers.get('Docker-Content-Digest')}})\n",
            login = self.oras_login(),
            target = format!("{}/{target}", self.host()),
            names = serde_json::to_string(&names).unwrap(),
            annotations = if manifest_annotations.is_null() {
                "None".to_owned()
            } else {
                format!("json.loads({:?})", manifest_annotations.to_string())
            },
        );
        let v = self.oras(venv, work.path(), &code);
        assert_eq!(v["status"], 201, "oras push: {v}");
        Pushed {
            digest: v["digest"].as_str().expect("a Docker-Content-Digest").to_owned(),
        }
    }

    /// Pulls `REPOSITORY:TAG` (or `@digest`) with oras-py into `outdir`; returns the sorted
    /// relative paths of the files it wrote.
    pub fn oras_pull(&self, venv: &Path, target: &str, outdir: &Path) -> Vec<String> {
        let code = format!(
            "c = oras.client.OrasClient(insecure=True)\n{login}c.pull(target={target:?}, outdir={outdir:?})\nout(files({outdir:?}))\n",
            login = self.oras_login(),
            target = format!("{}/{target}", self.host()),
            outdir = outdir.display().to_string(),
        );
        let v = self.oras(venv, outdir, &code);
        serde_json::from_value(v).unwrap()
    }

    fn oras_login(&self) -> String {
        self.credentials().map_or_else(String::new, |(user, password)| {
            format!(
                "c.login(username={user:?}, password={password:?}, hostname={:?}, insecure=True)\n",
                self.host()
            )
        })
    }

    /// Runs an oras-py script (after [`python::PRELUDE`] and `import oras.client`) in `cwd`;
    /// returns what it `out(...)`s.
    pub fn oras(&self, venv: &Path, cwd: &Path, code: &str) -> serde_json::Value {
        let out = Command::new(venv.join("bin/python"))
            .arg("-c")
            .arg(python::script("import oras.client\n", code))
            .current_dir(cwd)
            .env("PYTHONWARNINGS", "ignore")
            // oras-py reads ~/.docker/config.json: an empty HOME keeps the tester's out.
            .env("HOME", self.dir.path())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "oras-py failed:\n{stdout}\n{stderr}\n{}",
            self.log()
        );
        python::result(&stdout, &stderr)
    }

    /// `skopeo copy --preserve-digests` of the image tagged `layout_tag` in the OCI layout `layout`
    /// to `REPOSITORY:TAG` on this registry (over plain HTTP, with its credentials if any).
    pub fn skopeo_copy_from_layout(&self, layout: &Path, layout_tag: &str, target: &str) -> Output {
        let mut c = self.skopeo();
        // Without --preserve-digests skopeo gzips uncompressed layers on the way (new digests,
        // annotations dropped); a test copy must arrive as it was.
        c.args([
            "copy",
            "--insecure-policy",
            "--preserve-digests",
            "--dest-tls-verify=false",
        ]);
        if let Some((user, password)) = self.credentials() {
            c.arg(format!("--dest-creds={user}:{password}"));
        }
        c.arg(format!("oci:{}:{layout_tag}", layout.display()))
            .arg(format!("docker://{}/{target}", self.host()));
        let out = c.output().unwrap();
        assert!(
            out.status.success(),
            "skopeo copy failed: {out:?}\n{}",
            self.log()
        );
        out
    }

    /// `skopeo inspect --raw` of `REPOSITORY:TAG` (or `@digest`): the manifest bytes as skopeo reads them.
    pub fn skopeo_inspect_raw(&self, target: &str) -> Vec<u8> {
        let mut c = self.skopeo();
        c.args(["inspect", "--raw", "--tls-verify=false"]);
        if let Some((user, password)) = self.credentials() {
            c.arg(format!("--creds={user}:{password}"));
        }
        c.arg(format!("docker://{}/{target}", self.host()));
        let out = c.output().unwrap();
        assert!(
            out.status.success(),
            "skopeo inspect failed: {out:?}\n{}",
            self.log()
        );
        out.stdout
    }

    fn skopeo(&self) -> Command {
        let mut c = Command::new("skopeo");
        // No auth file of the tester's: only the credentials given here.
        let empty = self.dir.path().join("no-auth.json");
        std::fs::write(&empty, "{}").unwrap();
        c.env("REGISTRY_AUTH_FILE", &empty);
        c
    }
}

/// Polls `GET /v2/` until the registry on `port` answers (200, or 401 behind auth), for up to
/// 30 s; false if it exited first (its port taken).
fn wait_ready(child: &mut Child, port: u16, log: &Path) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        if matches!(status_of(port, "/v2/"), Some(200 | 401)) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!(
        "docker-registry did not answer within 30 s:\n{}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

/// The status of a plain `GET path` (no credentials) to 127.0.0.1:`port`, if something answered.
fn status_of(port: u16, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut head = [0u8; 12];
    s.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

/// Writes an OCI image layout at `dir` holding `blobs` and the manifest `manifest` (exact bytes),
/// tagged `tag` in its `index.json`: a source for `skopeo copy oci:DIR:TAG`.
pub fn write_oci_layout(dir: &Path, tag: &str, blobs: &[&[u8]], manifest: &[u8]) {
    let sha = |b: &[u8]| {
        use sha2::Digest as _;
        hex::encode(sha2::Sha256::digest(b))
    };
    let blob_dir = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blob_dir).unwrap();
    for b in blobs.iter().chain(std::iter::once(&manifest)) {
        std::fs::write(blob_dir.join(sha(b)), b).unwrap();
    }
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let media_type = serde_json::from_slice::<serde_json::Value>(manifest).unwrap()["mediaType"]
        .as_str()
        .unwrap_or("application/vnd.oci.image.manifest.v1+json")
        .to_owned();
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": media_type,
            "digest": format!("sha256:{}", sha(manifest)),
            "size": manifest.len(),
            "annotations": {"org.opencontainers.image.ref.name": tag},
        }],
    });
    std::fs::write(dir.join("index.json"), index.to_string()).unwrap();
}

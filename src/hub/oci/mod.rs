//! OCI registries (the distribution API) as a hub: models stored as OCI artifacts or images,
//! their signatures attached in the registry.
//!
//! - `image`: the manifests, indexes and descriptors the registry serves (parsed, never
//!   re-serialized to compute a digest).
//! - `auth`: registry credentials from docker's and containers' auth files.
//! - `client`: the distribution-API client (manifests, blobs, uploads, referrers, the
//!   registry token flow).
//! - `attach`: where signatures live in a registry (referrers, fallback tags), found and written.
//! - `layout`: what an artifact's manifest signs, as OMS entries (rh-model-signing's rules).
//! - `modelpack`: the ModelPack artifact `push` publishes, written byte for byte.
//! - `untar`: tar layers read safely (hashed, or extracted into a staging directory).
//!
//! [`OciHub`] puts them behind the [`Hub`] and [`Publish`] seams: a manifest digest is the
//! "commit" (a tag is pinned to one first, and everything after reads by digest), each signed
//! entry (a layer by its path annotation, the config as `config.json`) a listed file named by
//! its SHA-256, and the attached signature a listed file at [`SIGNATURE_PATH`]; so `pull`,
//! `check`, `verify-cache`, the lock and `push` run unchanged over a registry.
//!
//! Like every hub, this folder is transport and format: it pins, lists, fetches and publishes
//! bytes; it never decides trust and never writes into a cache.

pub mod attach;
pub mod auth;
pub mod client;
pub mod image;
pub mod layout;
pub mod modelpack;
pub mod untar;

/// The name the signature attached to an artifact in the registry has in the artifact's
/// listing (it is no layer of the model; a pull places it beside the files as `model.sig`).
pub const SIGNATURE_PATH: &str = "model.sig";

use super::{
    ByteStream, CommitFile, ContentId, Hub, HubError, Prepared, Publish, Published, RemoteFile, Upload,
    Uploaded,
};
use crate::reference::{ModelRef, ReferenceError};
use client::Registry;
use image::{Descriptor, ImageManifest};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

/// One artifact as the hub lists it: its manifest, what is signed, and its signature.
#[derive(Debug)]
pub struct Artifact {
    /// The manifest digest (`sha256:<hex>`).
    pub digest: String,
    pub manifest: ImageManifest,
    /// The manifest's media type and size: the descriptor a referrer names as its subject.
    pub media_type: String,
    pub manifest_size: u64,
    /// What the signature covers, in OMS order.
    pub entries: Vec<layout::SignedEntry>,
    /// Layers no entry covers (a ModelCar's base image) and whether the config blob is one.
    pub unsigned_layers: Vec<usize>,
    pub config_signed: bool,
    /// The signature listed at [`SIGNATURE_PATH`]: the first attached one found (or the one
    /// given with [`OciHub::with_signature`]), and where it was attached.
    pub signature: Option<(Vec<u8>, Option<attach::Attachment>)>,
    /// The other signatures attached, in the order they are tried when the listed one does not
    /// verify against what the caller trusts ([`Hub::other_signatures`]).
    pub other_signatures: Vec<Vec<u8>>,
}

impl Artifact {
    /// The descriptor of the manifest, as a referrer's `subject`.
    #[must_use]
    pub fn descriptor(&self) -> Descriptor {
        Descriptor {
            media_type: self.media_type.clone(),
            digest: self.digest.clone(),
            size: self.manifest_size,
            artifact_type: None,
            annotations: BTreeMap::new(),
        }
    }

    /// What the registry holds for this artifact that the signature does not cover, said in
    /// words for `verify` and `check` (nothing hubsign does reads it).
    #[must_use]
    pub fn uncovered(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.config_signed {
            out.push(format!(
                "the artifact's config blob ({}, {}) is not covered by the signature (a layer is titled config.json); hubsign does not read it",
                self.manifest.config.digest, self.manifest.config.media_type
            ));
        }
        for i in &self.unsigned_layers {
            if let Some(l) = self.manifest.layers.get(*i) {
                out.push(format!(
                    "layer {i} ({}, {}) is not covered by the signature (no model file in it); hubsign does not read it",
                    l.digest, l.media_type
                ));
            }
        }
        out
    }

    /// Whether checking the artifact read layers (a ModelCar's tar layers, for the files in
    /// them), not only its manifest.
    #[must_use]
    pub fn reads_layers(&self) -> bool {
        self.entries.iter().any(|e| {
            matches!(
                e.source,
                layout::EntrySource::OlotFile { .. } | layout::EntrySource::InTar { .. }
            )
        })
    }

    fn entry(&self, path: &str) -> Option<&layout::SignedEntry> {
        self.entries.iter().find(|e| e.path == path)
    }
}

/// A registry as a [`Hub`]: the repositories of the one registry its client talks to.
pub struct OciHub {
    registry: Registry,
    /// A signature to list instead of the attached ones.
    detached: Option<Vec<u8>>,
    /// Manifests read to pin a tag, by repository and digest: listed from these exact bytes.
    pinned: Mutex<BTreeMap<String, client::FetchedManifest>>,
    artifacts: Mutex<BTreeMap<String, Arc<Artifact>>>,
}

impl std::fmt::Debug for OciHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OciHub")
            .field("registry", &self.registry.host())
            .finish_non_exhaustive()
    }
}

impl OciHub {
    #[must_use]
    pub fn new(registry: Registry) -> Self {
        Self {
            registry,
            detached: None,
            pinned: Mutex::default(),
            artifacts: Mutex::default(),
        }
    }

    /// Lists `bundle` as the artifact's signature instead of what is attached in the registry:
    /// a signature made elsewhere (say, by model_signing on the model's directory) checked
    /// against the artifact.
    #[must_use]
    pub fn with_signature(mut self, bundle: Vec<u8>) -> Self {
        self.detached = Some(bundle);
        self
    }

    #[must_use]
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The repository `repo` names, when it is on this hub's registry.
    pub fn repository<'r>(&self, repo: &'r ModelRef) -> Result<&'r str, HubError> {
        match repo.oci_parts() {
            Some((host, repository)) if host == self.registry.host() => Ok(repository),
            _ => Err(ReferenceError::BadReference {
                reference: repo.to_string(),
                reason: format!("not a repository of the registry {}", self.registry.host()),
            }
            .into()),
        }
    }

    /// The artifact at manifest `digest`: the manifest (its bytes checked against the digest),
    /// what the signature covers, and the signature. Read once per hub.
    pub async fn artifact(&self, repo: &ModelRef, digest: &str) -> Result<Arc<Artifact>, HubError> {
        let repository = self.repository(repo)?;
        let key = format!("{repository}@{digest}");
        if let Some(a) = lock(&self.artifacts).get(&key) {
            return Ok(Arc::clone(a));
        }
        let pinned = lock(&self.pinned).remove(&key);
        let fetched = match pinned {
            Some(m) => m,
            None => self.registry.manifest(repository, digest).await?,
        };
        let malformed = |detail: String| HubError::Malformed {
            url: repo.pinned(digest),
            detail,
        };
        let manifest = parse_manifest(&fetched).map_err(malformed)?;
        let mut plan = layout::plan(&manifest).map_err(|e| malformed(e.to_string()))?;
        for index in plan.tar_layers.clone() {
            let files = self.hash_tar_layer(repository, &manifest, index).await?;
            plan.add_tar_entries(index, &files)
                .map_err(|e| malformed(e.to_string()))?;
        }
        let (unsigned_layers, config_signed) = (plan.unsigned_layers.clone(), plan.config_signed);
        let mut entries = plan.finish().map_err(|e| malformed(e.to_string()))?;
        for e in &mut entries {
            if e.size.is_none() {
                e.size = Some(self.file_size_in_layer(repository, &manifest, e).await?);
            }
        }
        let (signature, other_signatures) = if let Some(bundle) = &self.detached {
            (Some((bundle.clone(), None)), Vec::new())
        } else {
            let mut found = attach::find_signatures(&self.registry, repository, digest)
                .await?
                .into_iter();
            let first = found.next().map(|f| (f.bundle, Some(f.attachment)));
            (first, found.map(|f| f.bundle).collect())
        };
        let artifact = Arc::new(Artifact {
            digest: digest.to_owned(),
            manifest,
            media_type: fetched.media_type,
            manifest_size: fetched.bytes.len() as u64,
            entries,
            unsigned_layers,
            config_signed,
            signature,
            other_signatures,
        });
        lock(&self.artifacts).insert(key, Arc::clone(&artifact));
        Ok(artifact)
    }

    /// The regular files of tar layer `index` (a ModelCar directory layer), hashed as
    /// rh-model-signing hashes them: the layer is read once, nothing is written.
    async fn hash_tar_layer(
        &self,
        repository: &str,
        manifest: &ImageManifest,
        index: usize,
    ) -> Result<Vec<untar::TarFile>, HubError> {
        let layer = &manifest.layers[index];
        let compression = tar_compression(layer)?;
        let stream = self.registry.blob(repository, &layer.digest, 0).await?;
        let what = layer.digest.clone();
        read_tar(stream, move |reader| {
            untar::hash_entries(
                reader,
                compression,
                layout::MODELCAR_PREFIX,
                &untar::Limits::default(),
            )
        })
        .await?
        .map_err(|e| untar_error(&what, &e))
    }

    /// The size of the file an entry names inside its tar layer (an olot `file` layer lists
    /// the file's digest, not its size): the layer's first headers are read, not its content.
    async fn file_size_in_layer(
        &self,
        repository: &str,
        manifest: &ImageManifest,
        entry: &layout::SignedEntry,
    ) -> Result<u64, HubError> {
        let (layout::EntrySource::OlotFile { index } | layout::EntrySource::InTar { index }) = entry.source
        else {
            return Ok(0);
        };
        let layer = &manifest.layers[index];
        let compression = tar_compression(layer)?;
        let stream = self.registry.blob(repository, &layer.digest, 0).await?;
        let path = entry.path.clone();
        let what = layer.digest.clone();
        read_tar(stream, move |reader| {
            untar::file_size(
                reader,
                compression,
                layout::MODELCAR_PREFIX,
                &path,
                &untar::Limits::default(),
            )
        })
        .await?
        .map_err(|e| untar_error(&what, &e))?
        .ok_or_else(|| HubError::Malformed {
            url: what.clone(),
            detail: format!("the layer holds no file {}", entry.path),
        })
    }

    /// The bytes of the file an entry names inside its tar layer, from byte `from` of the file
    /// (of `size`), streamed as the layer is read: the layer is read from its start (a tar has
    /// no index), the other files and the file's first `from` bytes passed over.
    async fn open_in_layer(
        &self,
        repository: &str,
        manifest: &ImageManifest,
        index: usize,
        path: &str,
        (from, size): (u64, u64),
    ) -> Result<ByteStream, HubError> {
        let layer = &manifest.layers[index];
        let compression = tar_compression(layer)?;
        let stream = self.registry.blob(repository, &layer.digest, 0).await?;
        let url = format!("{} ({path})", stream.url());
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<bytes::Bytes, HubError>>(8);
        let (wanted, what) = (path.to_owned(), layer.digest.clone());
        let errors = tx.clone();
        let work = read_tar(stream, move |reader| {
            let mut out = ChannelWriter { tx, skip: from };
            untar::copy_file(
                reader,
                compression,
                layout::MODELCAR_PREFIX,
                &wanted,
                &mut out,
                &untar::Limits::default(),
            )
        });
        tokio::spawn(async move {
            let failed = match work.await {
                Ok(Ok(Some(_))) => None,
                Ok(Ok(None)) => Some(HubError::Malformed {
                    url: what.clone(),
                    detail: "the layer holds no such file".into(),
                }),
                Ok(Err(e)) => Some(untar_error(&what, &e)),
                Err(e) => Some(e),
            };
            if let Some(e) = failed {
                let _ = errors.send(Err(e)).await;
            }
        });
        Ok(ByteStream::from_stream(
            url,
            (from > 0).then_some((from, Some(size))),
            futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) }),
        ))
    }
}

/// The compression of a tar layer, from its media type.
fn tar_compression(layer: &Descriptor) -> Result<untar::Compression, HubError> {
    match layout::layer_kind(layer) {
        Ok(layout::LayerKind::Tar(c)) => Ok(c),
        Ok(layout::LayerKind::Raw) => Ok(untar::Compression::None),
        Err(e) => Err(HubError::Malformed {
            url: layer.digest.clone(),
            detail: e.to_string(),
        }),
    }
}

fn untar_error(layer: &str, e: &untar::UntarError) -> HubError {
    HubError::Malformed {
        url: format!("layer {layer}"),
        detail: e.to_string(),
    }
}

/// Runs `read` on a blocking thread over the bytes of `stream` (a tar layer): the tar reader
/// is synchronous, the stream is not.
async fn read_tar<T: Send + 'static>(
    stream: ByteStream,
    read: impl FnOnce(&mut dyn std::io::Read) -> T + Send + 'static,
) -> Result<T, HubError> {
    let chunks = futures_util::stream::unfold(stream, |mut s| async move {
        s.next_chunk()
            .await
            .map(|item| (item.map_err(std::io::Error::other), s))
    });
    let mut reader = tokio_util::io::SyncIoBridge::new(tokio_util::io::StreamReader::new(Box::pin(chunks)));
    tokio::task::spawn_blocking(move || read(&mut reader))
        .await
        .map_err(|e| HubError::ReadLocal {
            path: std::path::PathBuf::new(),
            source: std::io::Error::other(e.to_string()),
        })
}

/// A `Write` that hands each block to an async reader (the file streamed out of a tar layer),
/// after passing over the first `skip` bytes (a resumed transfer has them).
struct ChannelWriter {
    tx: tokio::sync::mpsc::Sender<Result<bytes::Bytes, HubError>>,
    skip: u64,
}

impl std::io::Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let skipped = usize::try_from(self.skip).unwrap_or(usize::MAX).min(buf.len());
        self.skip -= skipped as u64;
        if skipped == buf.len() {
            // Nothing to send; a reader that went away is noticed all the same.
            return if self.tx.is_closed() {
                Err(std::io::Error::new(
                    std::io::ErrorKind::BrokenPipe,
                    "the reader went away",
                ))
            } else {
                Ok(buf.len())
            };
        }
        self.tx
            .blocking_send(Ok(bytes::Bytes::copy_from_slice(&buf[skipped..])))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the reader went away"))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The image manifest of an artifact; an index names several and is refused with what it
/// lists, so the user can name one by digest.
fn parse_manifest(m: &client::FetchedManifest) -> Result<ImageManifest, String> {
    if m.media_type == image::OCI_INDEX || m.media_type == image::DOCKER_MANIFEST_LIST {
        let index: image::ImageIndex = serde_json::from_slice(&m.bytes)
            .map_err(|e| format!("an image index that does not parse: {e}"))?;
        let listed: Vec<&str> = index.manifests.iter().map(|d| d.digest.as_str()).collect();
        return Err(format!(
            "an image index, not a model's manifest; name one of its {} manifests by digest: {}",
            listed.len(),
            listed.join(", ")
        ));
    }
    let manifest: ImageManifest = serde_json::from_slice(&m.bytes)
        .map_err(|e| format!("an image manifest that does not parse: {e}"))?;
    if manifest.schema_version != 2 {
        return Err(format!("schemaVersion {} (2 expected)", manifest.schema_version));
    }
    Ok(manifest)
}

impl Hub for OciHub {
    async fn pin(&self, repo: &ModelRef, revision: &str) -> Result<String, HubError> {
        if image::sha256_hex(revision).is_some() {
            return Ok(revision.to_owned());
        }
        let repository = self.repository(repo)?;
        let m = self.registry.manifest(repository, revision).await?;
        // The bytes read to pin the tag are the ones listed (their digest is the pin): a tag
        // moved after this answer changes nothing of this pull.
        let digest = m.digest.clone();
        lock(&self.pinned).insert(format!("{repository}@{digest}"), m);
        Ok(digest)
    }

    async fn list(&self, repo: &ModelRef, commit: &str) -> Result<Vec<RemoteFile>, HubError> {
        let artifact = self.artifact(repo, commit).await?;
        let mut files = Vec::with_capacity(artifact.entries.len() + 1);
        for e in &artifact.entries {
            // A layer shipped under the signature's name is not the signature: the attached one is.
            if e.path == SIGNATURE_PATH && artifact.signature.is_some() {
                continue;
            }
            let hex = image::sha256_hex(&e.digest).unwrap_or_default().to_owned();
            files.push(RemoteFile {
                path: e.path.clone(),
                size: e.size.unwrap_or(0),
                content: ContentId::Sha256(hex),
                git_oid: None,
            });
        }
        if let Some((bundle, _)) = &artifact.signature {
            files.push(RemoteFile {
                path: SIGNATURE_PATH.to_owned(),
                size: bundle.len() as u64,
                content: ContentId::Sha256(
                    image::sha256_hex(&image::digest_of(bundle))
                        .unwrap_or_default()
                        .to_owned(),
                ),
                git_oid: None,
            });
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(files)
    }

    async fn open(
        &self,
        repo: &ModelRef,
        commit: &str,
        path: &str,
        from: u64,
    ) -> Result<ByteStream, HubError> {
        let artifact = self.artifact(repo, commit).await?;
        let repository = self.repository(repo)?;
        if path == SIGNATURE_PATH {
            if let Some((bundle, _)) = &artifact.signature {
                let start = usize::try_from(from).unwrap_or(usize::MAX).min(bundle.len());
                return Ok(ByteStream::from_stream(
                    format!("the signature of {}", repo.pinned(commit)),
                    (from > 0).then_some((from, Some(bundle.len() as u64))),
                    futures_util::stream::iter([Ok(bytes::Bytes::copy_from_slice(&bundle[start..]))]),
                ));
            }
        }
        let Some(entry) = artifact.entry(path) else {
            return Err(HubError::EntryNotFound {
                repo: repo.to_string(),
                revision: commit.to_owned(),
                path: path.to_owned(),
            });
        };
        match entry.source {
            layout::EntrySource::Layer { .. } | layout::EntrySource::Config => {
                self.registry.blob(repository, &entry.digest, from).await
            }
            layout::EntrySource::OlotFile { index } | layout::EntrySource::InTar { index } => {
                let size = entry.size.unwrap_or(0);
                self.open_in_layer(repository, &artifact.manifest, index, path, (from, size))
                    .await
            }
        }
    }

    fn retry(&self) -> super::http::RetryPolicy {
        self.registry.retry()
    }

    async fn other_signatures(&self, repo: &ModelRef, commit: &str) -> Result<Vec<Vec<u8>>, HubError> {
        Ok(self.artifact(repo, commit).await?.other_signatures.clone())
    }
}

/// `push`: every file a raw layer (sent unless the registry has it), then the config and the
/// manifest under the tag, then the signature attached to that manifest. A tag is not a
/// branch: nothing is built on a parent, and a tag another client moved meanwhile is
/// overwritten, as by every registry client; `push` then checks what it published by digest.
impl Publish for OciHub {
    /// A raw layer's digest is the SHA-256 of its file, which is what a files/SHA-256 signature
    /// signs for it; and the artifact's config blob is signed as `config.json` unless a file of
    /// that name is a layer (rh-model-signing's rule): only then does the signature of the
    /// directory describe the artifact.
    fn accepts(&self, repo: &ModelRef, files: &[Upload], files_sha256: bool) -> Result<(), HubError> {
        let refuse = |reason: &str| {
            Err(HubError::NotPublishable {
                repo: repo.to_string(),
                reason: reason.to_owned(),
            })
        };
        if !files_sha256 {
            return refuse(
                "a registry names each layer by the SHA-256 of its file, so the model's signature must be a files/SHA-256 one (sign again with --resign)",
            );
        }
        if !files.iter().any(|f| f.path == layout::CONFIG_ENTRY) {
            return refuse(
                "the model has no config.json: the artifact's config blob would be signed under that name, which the model's own signature cannot cover (sign the pushed artifact with `hubsign sign oci://…` instead)",
            );
        }
        // The manifest is built here as it will be sent (digests stand in for unknown ones:
        // they have one length): a registry refuses one over its cap, after every layer.
        let layers: Vec<modelpack::PushFile> = files
            .iter()
            .filter(|f| f.path != SIGNATURE_PATH)
            .map(|f| modelpack::PushFile {
                path: f.path.clone(),
                digest: format!("sha256:{}", f.sha256.clone().unwrap_or_else(|| "0".repeat(64))),
                size: f.size,
            })
            .collect();
        let manifest = modelpack::build(&layers, &BTreeMap::new()).manifest;
        if manifest.len() as u64 > image::MAX_MANIFEST_BYTES {
            return refuse(&format!(
                "its {} files make a manifest of {} bytes, over the {} registries accept (one layer per file)",
                layers.len(),
                manifest.len(),
                image::MAX_MANIFEST_BYTES
            ));
        }
        Ok(())
    }

    async fn prepare(&self, repo: &ModelRef, branch: &str, _private: bool) -> Result<Prepared, HubError> {
        let head = match self.registry.manifest(self.repository(repo)?, branch).await {
            Ok(m) => m.digest,
            Err(HubError::RevisionNotFound { .. } | HubError::RepoNotFound { .. }) => String::new(),
            Err(e) => return Err(e),
        };
        Ok(Prepared {
            repo_url: format!("{}{}", crate::reference::OCI_PREFIX, repo.id),
            head,
        })
    }

    async fn upload(
        &self,
        repo: &ModelRef,
        _branch: &str,
        files: &mut Vec<Upload>,
        concurrency: usize,
        progress: &dyn crate::progress::Progress,
    ) -> Result<(Uploaded, Vec<CommitFile>), HubError> {
        use futures_util::StreamExt as _;
        let repository = self.repository(repo)?;
        let mut commit_files = Vec::with_capacity(files.len());
        let mut blobs = Vec::new();
        for u in files.iter() {
            if u.path == SIGNATURE_PATH {
                commit_files.push(CommitFile::Inline {
                    path: u.path.clone(),
                    local: u.local.clone(),
                    size: u.size,
                });
                continue;
            }
            let digest = match &u.sha256 {
                Some(hex) => format!("sha256:{hex}"),
                None => sha256_file(&u.local).await?,
            };
            commit_files.push(CommitFile::Uploaded {
                path: u.path.clone(),
                reference: digest.clone(),
                size: u.size,
            });
            blobs.push((blobs.len(), u.clone(), digest));
        }
        progress.start(blobs.len(), blobs.iter().map(|(_, u, _)| u.size).sum());
        let mut sent = Uploaded::default();
        let mut pushes = futures_util::stream::iter(blobs.into_iter().map(|(id, u, digest)| async move {
            progress.file_started(id, &u.path, u.size);
            let had = self.registry.has_blob(repository, &digest).await?;
            if !had {
                self.registry
                    .push_blob(
                        repository,
                        client::BlobSource::File(u.local.clone()),
                        &digest,
                        u.size,
                    )
                    .await?;
            }
            progress.bytes(id, u.size);
            progress.file_finished(id);
            Ok::<_, HubError>((u.size, had))
        }))
        .buffer_unordered(concurrency.max(1));
        while let Some(done) = pushes.next().await {
            let (size, had) = done?;
            if had {
                sent.deduplicated += 1;
            } else {
                sent.bytes += size;
            }
        }
        drop(pushes);
        progress.finish();
        Ok((sent, commit_files))
    }

    async fn commit(
        &self,
        repo: &ModelRef,
        branch: &str,
        _parent: &str,
        _summary: &str,
        files: &[CommitFile],
        _create_pr: bool,
    ) -> Result<Published, HubError> {
        let repository = self.repository(repo)?;
        let mut layers = Vec::with_capacity(files.len());
        let mut signature = None;
        for f in files {
            match f {
                CommitFile::Uploaded {
                    path,
                    reference,
                    size,
                } => layers.push(modelpack::PushFile {
                    path: path.clone(),
                    digest: reference.clone(),
                    size: *size,
                }),
                CommitFile::Inline { path, local, .. } if path == SIGNATURE_PATH => {
                    signature = Some(
                        crate::fsutil::read_regular_capped(local, crate::fsutil::MAX_SIGNATURE_BYTES)
                            .map_err(|source| HubError::ReadLocal {
                                path: local.clone(),
                                source,
                            })?,
                    );
                }
                CommitFile::Inline { path, .. } => return Err(HubError::NotUploaded { path: path.clone() }),
            }
        }
        let built = modelpack::build(&layers, &BTreeMap::new());
        self.registry
            .push_blob(
                repository,
                client::BlobSource::Bytes(built.config.clone().into()),
                &built.config_descriptor.digest,
                built.config_descriptor.size,
            )
            .await?;
        // By digest first, the signature attached to it, and only then the tag moved: an
        // interrupted push leaves the tag where it was, never on an unsigned artifact.
        let digest = self
            .registry
            .push_manifest(
                repository,
                &built.manifest_digest,
                &built.manifest,
                image::OCI_MANIFEST,
            )
            .await?;
        if let Some(bundle) = signature {
            let subject = Descriptor {
                media_type: image::OCI_MANIFEST.to_owned(),
                digest: digest.clone(),
                size: built.manifest.len() as u64,
                artifact_type: None,
                annotations: BTreeMap::new(),
            };
            attach::attach_signature(&self.registry, repository, &subject, &bundle).await?;
        }
        self.registry
            .push_manifest(repository, branch, &built.manifest, image::OCI_MANIFEST)
            .await?;
        Ok(Published {
            commit_url: repo.pinned(&digest),
            commit: digest,
            pull_request_url: None,
        })
    }
}

/// `sha256:<hex>` of a local file to push whose digest the signed manifest does not hold.
async fn sha256_file(path: &std::path::Path) -> Result<String, HubError> {
    let owned = path.to_path_buf();
    let hashed = tokio::task::spawn_blocking(move || {
        use sha2::Digest as _;
        let mut f = fs_err::File::open(&owned)?;
        let mut h = sha2::Sha256::new();
        std::io::copy(&mut f, &mut h)?;
        Ok::<_, std::io::Error>(format!("sha256:{}", hex::encode(h.finalize())))
    })
    .await
    .map_err(std::io::Error::other)
    .and_then(|r| r);
    hashed.map_err(|source| HubError::ReadLocal {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::{OciHub, client};
    use crate::hub::{HubError, Publish as _, Upload};
    use crate::reference::ModelRef;

    fn upload(path: &str) -> Upload {
        Upload {
            path: path.to_owned(),
            local: std::path::PathBuf::from(path),
            size: 1,
            sha256: Some("a".repeat(64)),
        }
    }

    /// A push the registry would refuse only after every layer (a manifest over its cap, a
    /// signature that cannot name layers, no config.json) is refused before anything is sent.
    #[test]
    fn what_a_registry_could_not_take_is_refused_before_any_upload() {
        let hub =
            OciHub::new(client::Registry::new("127.0.0.1:5000", client::RegistryOptions::default()).unwrap());
        let repo = ModelRef::parse("oci://127.0.0.1:5000/r/m:v1", None).unwrap();
        let small = vec![
            upload("config.json"),
            upload("model.safetensors"),
            upload("model.sig"),
        ];
        hub.accepts(&repo, &small, true).unwrap();
        let refused = |files: &[Upload], sha256: bool| {
            matches!(
                hub.accepts(&repo, files, sha256),
                Err(HubError::NotPublishable { .. })
            )
        };
        assert!(refused(&small, false), "not a files/SHA-256 signature");
        assert!(refused(&small[1..], true), "no config.json");
        let mut many = small.clone();
        many.extend((0..20_000).map(|i| upload(&format!("shards/part-{i:06}.safetensors"))));
        assert!(refused(&many, true), "a manifest over the cap");
    }
}

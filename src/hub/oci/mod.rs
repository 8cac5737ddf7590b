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

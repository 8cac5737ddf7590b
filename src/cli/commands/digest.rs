//! `hubsign digest MODEL`: the OMS subject digest, as `sign` would compute it, without signing.

use crate::ExitStatus;
use crate::cli::Output;
use crate::cli::error::Result;
use crate::cli::settings;
use serde_json::json;

pub fn run(args: &crate::cli::args::DigestArgs, out: Output) -> Result<ExitStatus> {
    let model = &args.walk.model;
    let mut walk = settings::walk(&args.walk)?;
    let signature = settings::signature_or_default(args.signature.as_deref(), model);
    walk.ignore_paths
        .extend(crate::oms::claim::attestation_paths(model, &signature));
    let (method, hash) = settings::serialization(&args.hash);
    let manifest = crate::manifest::build_manifest(model, &walk, method, hash).map_err(crate::Error::from)?;
    let root = hex::encode(manifest.root_digest());
    if out.is_json() {
        // The manifest itself too, in OMS order (what `hashing.Config().hash()` returns in
        // model_signing's API).
        let listed: Vec<_> = manifest
            .resources
            .iter()
            .map(|r| json!({ "name": r.name, "algorithm": r.algorithm, "digest": hex::encode(&r.digest) }))
            .collect();
        outln!(
            "{}",
            json!({
                "digest": format!("sha256:{root}"),
                "resources": manifest.resources.len(),
                "model_name": manifest.model_name,
                "manifest": listed,
            })
        );
    } else if out.results() {
        outln!("sha256:{root}");
    }
    Ok(ExitStatus::Success)
}

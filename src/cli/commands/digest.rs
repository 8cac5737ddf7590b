//! `hubsign digest MODEL`: the OMS subject digest, as `sign` would compute it, without signing.

use crate::cli::Output;
use crate::cli::error::Result;
use crate::cli::settings;
use hubsign::ExitStatus;
use serde_json::json;

pub fn run(args: &crate::cli::args::DigestArgs, out: Output) -> Result<ExitStatus> {
    let model = &args.walk.model;
    let mut walk = settings::walk(&args.walk)?;
    let signature = settings::signature_or_default(args.signature.as_deref(), model);
    walk.ignore_paths
        .extend(hubsign::manifest::path_inside_model(model, &signature));
    let (method, hash) = settings::serialization(&args.hash);
    let manifest =
        hubsign::manifest::build_manifest(model, &walk, method, hash).map_err(hubsign::Error::from)?;
    let root = hex::encode(manifest.root_digest());
    if out.is_json() {
        outln!(
            "{}",
            json!({ "digest": format!("sha256:{root}"), "resources": manifest.resources.len() })
        );
    } else if out.results() {
        outln!("sha256:{root}");
    }
    Ok(ExitStatus::Success)
}

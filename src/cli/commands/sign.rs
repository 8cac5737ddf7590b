//! `hubsign sign MODEL`: sign with a key, a certificate, a token's key, or keyless (Sigstore).

use super::block_on;
use crate::ExitStatus;
use crate::cli::Output;
use crate::cli::diagnostics;
use crate::cli::error::Result;
use crate::cli::settings::keys::{SignSettings, Signing};
use serde_json::json;

pub fn run(args: &crate::cli::args::SignArgs, out: Output) -> Result<ExitStatus> {
    let SignSettings { request, signing } = SignSettings::resolve(args)?;
    let (outcome, method) = match signing {
        Signing::Keyless { token, instance } => {
            let outcome = block_on(crate::sign::sign_model_keyless(request, &token, &instance))?;
            (outcome, "sigstore")
        }
        Signing::Signer(signer) => (crate::sign::sign_model(request, &signer)?, signer.method()),
    };
    let root = hex::encode(outcome.manifest.root_digest());
    if out.is_json() {
        let out = json!({
            "signed": true,
            "signature": outcome.signature,
            "method": method,
            "resources": outcome.manifest.resources.len(),
            "subject_digest": format!("sha256:{root}"),
        });
        outln!("{out}");
    } else if out.chatty() {
        outln!(
            "Signing succeeded: {} ({}, sha256:{root})",
            outcome.signature.display(),
            diagnostics::count(outcome.manifest.resources.len(), "resource")
        );
    }
    Ok(ExitStatus::Success)
}

//! `hubsign verify MODEL`: check a local model against its signature and the signer trusted.

use super::{render_report, verdict};
use crate::ExitStatus;
use crate::cli::Output;
use crate::cli::error::Result;
use crate::cli::settings::{self, trust::TrustFlags};

pub fn run(args: &crate::cli::args::VerifyArgs, out: Output) -> Result<ExitStatus> {
    let anchor = TrustFlags::verify(args).anchor()?;
    let check = settings::model_check(args)?;
    let signature = settings::signature_or_default(args.signature.as_deref(), &args.walk.model);
    let report = crate::verify::verify_model(&args.walk.model, &signature, &anchor, &check)?;
    render_report(&report, out);
    Ok(verdict(&report))
}

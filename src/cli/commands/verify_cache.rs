//! `hubsign verify-cache MODEL`: re-verify a cached snapshot offline.

use super::verify_cached;
use crate::ExitStatus;
use crate::cli::Output;
use crate::cli::error::Result;
use crate::cli::settings::hub::{HubTarget, with_remote};

pub fn run(args: &crate::cli::args::CheckArgs, out: Output) -> Result<ExitStatus> {
    let HubTarget { remote, target } = HubTarget::resolve(&args.model, &args.trust)?;
    with_remote!(&remote, |_hub, cache| verify_cached(
        &cache,
        &target,
        out,
        (&[], false),
        None
    ))
}

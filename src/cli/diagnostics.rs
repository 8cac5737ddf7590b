//! Error → message on stderr (or JSON on stdout): the error, its cause chain, and a hint.
#![expect(clippy::print_stderr, reason = "diagnostics are output")]

use hubsign::Error;
use std::error::Error as _;

fn hint(error: &Error) -> Option<&'static str> {
    match error {
        Error::Verification { .. } => {
            Some("the signature does not prove this model came from the signer you trust; do not use it")
        }
        Error::MalformedSignature { .. } => {
            Some("is this an OMS signature (model.sig) made by hubsign or model_signing?")
        }
        Error::ReadSignature { .. } => {
            Some("pass --signature PATH if the signature is not model.sig inside the model")
        }
        Error::Key { .. } => {
            Some("keys must be EC P-256, P-384 or P-521 in PEM (PKCS#8, SEC1 or encrypted PKCS#8)")
        }
        Error::Lock(hubsign::lock::LockError::SignerChanged { .. }) => Some(
            "a different signer is how a substituted model looks; confirm the change with the publisher before --accept-new-signer",
        ),
        _ => None,
    }
}

/// Text from a hub, a cache or a bundle, made safe for a terminal: control characters
/// (newlines, escape sequences) are shown escaped, so a planted name cannot forge or hide lines.
pub fn printable(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<char>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

/// The error's message and its cause chain.
pub fn describe(error: &Error) -> (String, Vec<String>) {
    let mut causes = Vec::new();
    let mut source = error.source();
    while let Some(s) = source {
        causes.push(s.to_string());
        source = s.source();
    }
    (error.to_string(), causes)
}

pub fn report(error: &Error, json: bool) {
    let (_, causes) = describe(error);
    if json {
        let out = serde_json::json!({
            "verified": false,
            "error": error.to_string(),
            "causes": causes,
            "exit_code": error.exit_status() as i32,
        });
        outln!("{out}");
        return;
    }
    eprintln!("error: {}", printable(&error.to_string()));
    for c in &causes {
        eprintln!("  caused by: {}", printable(c));
    }
    if let Some(h) = hint(error) {
        eprintln!("hint: {h}");
    }
}

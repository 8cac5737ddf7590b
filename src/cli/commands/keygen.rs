//! `hubsign keygen OUT`: the password (file, environment or terminal), then the core writes the
//! key pair ([`crate::keygen`]); this layer only reads the password and reports.
#![expect(clippy::print_stderr, reason = "the CLI is where output happens")]

use crate::cli::error::{CliError, Result};
use crate::cli::settings::keys;
use crate::cli::{Output, args};
use crate::crypto::ec::KeyEncryption;
use crate::{Error, ExitStatus};
use std::io::IsTerminal as _;

/// The password to encrypt with, if any: `--password-file`/`--password-env` read as `sign`
/// reads them, `--encrypt` asks on the terminal twice.
fn password(args: &args::KeygenArgs) -> Result<Option<zeroize::Zeroizing<Vec<u8>>>> {
    let password = if args.password_file.is_some() || args.password_env.is_some() {
        let from = keys::PasswordFlags {
            file: args.password_file.as_deref(),
            env: args.password_env.as_deref(),
            given: None,
        };
        zeroize::Zeroizing::new(keys::password(from, &args.out)?)
    } else if args.encrypt {
        if !std::io::stdin().is_terminal() {
            return Err(CliError::NoTerminal);
        }
        let ask = |prompt: String| {
            rpassword::prompt_password(prompt)
                .map(|p| zeroize::Zeroizing::new(p.into_bytes()))
                .map_err(|source| Error::Io {
                    action: "cannot read the password from",
                    path: "the terminal".into(),
                    source,
                })
        };
        let first = ask(format!("Password for the new key {}: ", args.out.display()))?;
        let again = ask("The same password again: ".to_owned())?;
        if first != again {
            return Err(CliError::PasswordsDiffer);
        }
        first
    } else {
        return Ok(None);
    };
    if password.is_empty() {
        return Err(CliError::EmptyPassword);
    }
    Ok(Some(password))
}

pub fn run(args: &args::KeygenArgs, out: Output) -> Result<ExitStatus> {
    let password = password(args)?;
    let encryption = password.as_ref().map(|p| KeyEncryption {
        password: p.as_slice(),
        rounds: args.kdf_rounds,
    });
    let files = crate::keygen::write_key_pair(&args.out, encryption)?;
    if out.is_json() {
        let doc = serde_json::json!({
            "private_key": files.private,
            "public_key": files.public,
            "encrypted": files.encrypted,
            "fingerprint": files.fingerprint,
        });
        outln!("{doc}");
    } else if out.chatty() {
        eprintln!(
            "Wrote the private key {} ({}, mode 0600; keep it secret) and the public key {} (fingerprint {})",
            files.private.display(),
            if files.encrypted {
                "encrypted"
            } else {
                "not encrypted"
            },
            files.public.display(),
            files.fingerprint
        );
        eprintln!(
            "Sign with `hubsign sign MODEL --private-key {}`; verifiers need only {}",
            files.private.display(),
            files.public.display()
        );
    }
    if out.results() {
        outln!("{}", files.public.display());
    }
    Ok(ExitStatus::Success)
}

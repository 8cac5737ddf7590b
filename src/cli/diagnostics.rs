//! Error → message on stderr (or JSON on stdout): the error, its cause chain, a hint, and the
//! exit code ([`CliError::exit_status`]).
#![expect(clippy::print_stderr, reason = "diagnostics are output")]

use super::error::CliError;
use crate::Error;
use std::error::Error as _;

fn hint(error: &CliError) -> Option<&'static str> {
    let CliError::Core(error) = error else {
        return None;
    };
    match error {
        Error::Verification { .. } => {
            Some("the signature does not prove this model came from the signer you trust; do not use it")
        }
        Error::Claims { .. } => Some(
            "a line of the claims file was altered, copied from another model, or is stale since the model changed; the model's files were not blamed: re-attest, and remove the line",
        ),
        Error::ClaimRequired { .. } => Some(
            "the trust policy's rule for this repository requires that claim ([[trust.require-claim]]); nothing was downloaded",
        ),
        Error::MalformedSignature { .. } => {
            Some("is this an OMS signature (model.sig) made by hubsign or model_signing?")
        }
        Error::ReadSignature { .. } => {
            Some("pass --signature PATH if the signature is not model.sig inside the model")
        }
        Error::Key { source, .. } => {
            use crate::crypto::ec::KeyError;
            match source {
                KeyError::WrongPassword => Some(
                    "check the password (--password-file drops one trailing newline; --password-env takes the variable's value as it is)",
                ),
                KeyError::PasswordRequired | KeyError::LegacyEncryptedPem => None,
                _ => Some("keys must be EC P-256, P-384 or P-521 in PEM (PKCS#8, SEC1 or encrypted PKCS#8)"),
            }
        }
        Error::ModelNotFound { .. } => Some("MODEL is the model directory (or single-file model) to verify"),
        Error::LocalModelMismatch { .. } => Some(
            "if the model changed on purpose, sign it again: push --resign with --private-key (or --pkcs11-uri), or `hubsign sign` first",
        ),
        Error::NoSigningKey { .. } => Some(
            "give --private-key KEY.pem or --pkcs11-uri URI to sign it (`hubsign keygen KEY.pem` makes a key)",
        ),
        Error::Lock(crate::lock::LockError::SignerChanged { .. }) => Some(
            "a different signer is how a substituted model looks; confirm the change with the publisher before --accept-new-signer",
        ),
        _ => None,
    }
}

/// A cause that may span lines (a TOML parse error shows the line and a caret under the
/// column), each line made [`printable`]; lines after the first are indented by `indent`, so
/// no text from a file can start a line of its own (a forged `hint:` or `error:`).
fn lines(s: &str, indent: &str) -> String {
    s.trim_end_matches('\n')
        .split('\n')
        .map(|l| printable(l.strip_suffix('\r').unwrap_or(l)))
        .collect::<Vec<_>>()
        .join(&format!("\n{indent}"))
}

/// `1 file`, `2 files`.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
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

/// The error's message and its cause chain. A filesystem error names its path (the core's
/// `fs_err` calls: "failed to open file `p`: No such file or directory"); where a line above
/// already names that path (`cannot create p`), the cause keeps only the reason.
pub fn describe(error: &CliError) -> (String, Vec<String>) {
    let message = error.to_string();
    let mut causes: Vec<String> = Vec::new();
    let mut source = error.source();
    while let Some(s) = source {
        let text = s.to_string();
        let shown = std::iter::once(&message)
            .chain(&causes)
            .find_map(|above| without_repeated_path(&text, above))
            .unwrap_or(&text)
            .to_owned();
        causes.push(shown);
        source = s.source();
    }
    (message, causes)
}

/// The reason in an `fs_err` message ("failed to <action> `<path>`: <reason>") when `above`
/// names the same path (not merely a longer one starting with it); `None` for any other text.
fn without_repeated_path<'a>(text: &'a str, above: &str) -> Option<&'a str> {
    let (_, quoted) = text.strip_prefix("failed to ")?.split_once('`')?;
    let (path, reason) = quoted.split_once("`: ")?;
    let ends_there = |i: usize| {
        above[i + path.len()..]
            .chars()
            .next()
            .is_none_or(|c| c != '/' && !c.is_alphanumeric() && !"._-".contains(c))
    };
    let named = !path.is_empty() && above.match_indices(path).any(|(i, _)| ends_there(i));
    named.then_some(reason)
}

/// What kind of failure an error is, for `--json` readers (the Python binding raises one
/// exception class per kind): `verification` (exit 1), `file` (a local file: its `path` and
/// `errno`), `hub` (a hub or the network; `status` when it answered one) or its three named
/// cases, `interrupted`, else `usage` (an argument or input refused).
fn kind(error: &CliError) -> serde_json::Value {
    use crate::hub::HubError;
    use serde_json::json;
    if error.exit_status() == crate::ExitStatus::VerificationFailed {
        return json!({ "kind": "verification" });
    }
    let core = match error {
        CliError::Interrupted => return json!({ "kind": "interrupted" }),
        CliError::Core(core) => core,
        _ => return json!({ "kind": "usage" }),
    };
    match core {
        Error::Io { path, source, .. }
        | Error::Cache(crate::cache::CacheError::Io { path, source, .. })
        | Error::Manifest(crate::manifest::ManifestError::Io { path, source }) => {
            json!({ "kind": "file", "path": path, "errno": os_error(source) })
        }
        Error::ModelNotFound { path } => json!({ "kind": "file", "path": path, "errno": 2 }),
        Error::Hub(HubError::RepoNotFound { .. }) => json!({ "kind": "repository_not_found" }),
        Error::Hub(HubError::RevisionNotFound { .. }) => json!({ "kind": "revision_not_found" }),
        // A file asked for by name that the pinned commit lacks: what huggingface_hub raises
        // EntryNotFoundError for, whether the hub said so or the listing showed it.
        // Offline, nothing cached for the repository or the file: huggingface_hub's
        // LocalEntryNotFoundError, an EntryNotFoundError too.
        Error::Hub(HubError::EntryNotFound { .. })
        | Error::NotInRepository { .. }
        | Error::Cache(crate::cache::CacheError::NotCached { .. }) => json!({ "kind": "entry_not_found" }),
        Error::Hub(HubError::Status { status, .. }) => json!({ "kind": "hub", "status": status }),
        Error::Hub(_) | Error::SignatureMissing { .. } => json!({ "kind": "hub" }),
        other => {
            // Any other failure a local file caused (an extension manifest, a lock file…): its
            // message names the file, the I/O error in its chain says why.
            match io_cause(other) {
                Some(io) => json!({ "kind": "file", "path": null, "errno": os_error(io) }),
                None => json!({ "kind": "usage" }),
            }
        }
    }
}

/// The first I/O error in `error`'s chain (itself included).
fn io_cause<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a std::io::Error> {
    std::iter::successors(Some(error), |&e| e.source()).find_map(|e| e.downcast_ref::<std::io::Error>())
}

/// The operating system's error number behind an I/O error. fs_err's errors (which name the
/// path) keep the original's kind but not its number, so a kind stands for its usual number.
fn os_error(error: &std::io::Error) -> Option<i32> {
    use rustix::io::Errno;
    use std::io::ErrorKind as Kind;
    if let Some(code) = error.raw_os_error() {
        return Some(code);
    }
    let errno = match error.kind() {
        Kind::NotFound => Errno::NOENT,
        Kind::PermissionDenied => Errno::ACCESS,
        Kind::AlreadyExists => Errno::EXIST,
        Kind::NotADirectory => Errno::NOTDIR,
        Kind::IsADirectory => Errno::ISDIR,
        Kind::DirectoryNotEmpty => Errno::NOTEMPTY,
        Kind::StorageFull => Errno::NOSPC,
        Kind::ReadOnlyFilesystem => Errno::ROFS,
        Kind::InvalidFilename => Errno::NAMETOOLONG,
        Kind::CrossesDevices => Errno::XDEV,
        _ => return None,
    };
    Some(errno.raw_os_error())
}

/// A command line the parser refused, as data (an embedded command's arguments).
pub fn report_usage(message: &str) {
    // The parser's first paragraph: the usage line and the pointer to --help follow it.
    let first = message.split("\n\n").next().unwrap_or(message).trim_end();
    let message = first.strip_prefix("error: ").unwrap_or(first);
    let out = serde_json::json!({
        "verified": false,
        "error": message,
        "causes": [],
        "exit_code": crate::ExitStatus::Error as i32,
        "kind": "usage",
    });
    outln!("{out}");
}

pub fn report(error: &CliError, json: bool) {
    let (_, causes) = describe(error);
    if json {
        let mut out = serde_json::json!({
            "verified": false,
            "error": error.to_string(),
            "causes": causes,
            "exit_code": error.exit_status() as i32,
            "hint": hint(error),
        });
        if let (Some(out), serde_json::Value::Object(kind)) = (out.as_object_mut(), kind(error)) {
            out.extend(kind);
        }
        // The files that differ, as a failed `verify --json` lists them.
        if let Some(c) = error.core().and_then(Error::comparison) {
            out["modified"] = serde_json::json!(c.modified);
            out["missing"] = serde_json::json!(c.missing);
            out["unexpected"] = serde_json::json!(c.unexpected);
        }
        outln!("{out}");
        return;
    }
    eprintln!("error: {}", printable(&error.to_string()));
    for c in &causes {
        eprintln!("  caused by: {}", lines(c, "    "));
    }
    if let Some(h) = hint(error) {
        eprintln!("hint: {h}");
    }
}

#[cfg(test)]
mod tests {
    use super::{CliError, describe};

    fn io_error(action: &'static str, path: &std::path::Path, source: std::io::Error) -> CliError {
        CliError::Core(crate::Error::Io {
            action,
            path: path.to_path_buf(),
            source,
        })
    }

    #[test]
    fn a_cause_does_not_repeat_the_path_its_message_names() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no-such").join("key.pem");
        let source = fs_err::File::create(&missing).unwrap_err();
        assert!(
            source.to_string().contains(&missing.display().to_string()),
            "{source}"
        );

        let (message, causes) = describe(&io_error("cannot create", &missing, source));
        assert_eq!(message, format!("cannot create {}", missing.display()));
        assert_eq!(causes, ["No such file or directory (os error 2)"]);
    }

    #[test]
    fn a_cause_naming_another_path_is_kept_whole() {
        let dir = tempfile::tempdir().unwrap();
        let lock = dir.path().join("no-such").join(".lock");
        let source = fs_err::File::create(&lock).unwrap_err();
        let shown = source.to_string();
        let (_, causes) = describe(&io_error("cannot create", dir.path(), source));
        assert_eq!(causes, std::slice::from_ref(&shown));
        // Nor is one whose path only begins the message's.
        let longer = lock.with_extension("lock.d");
        let source = fs_err::File::create(&lock).unwrap_err();
        let (_, causes) = describe(&io_error("cannot create", &longer, source));
        assert_eq!(causes, [shown]);
    }
}

//! Registry credentials from the files the container ecosystem keeps them in: docker's
//! `config.json` and the containers `auth.json` (podman, skopeo, buildah), as contents the
//! caller read (which files, in which order, is the CLI's settings).
//!
//! It owns the lookup only: it never reads a file or an environment variable, never runs a
//! credential helper program, and never lets a secret reach an error message or `Debug` output.

use base64::Engine as _;
use std::fmt;
use std::path::{Path, PathBuf};

/// A registry credential.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// A user name and password (or personal access token), sent as HTTP Basic to the registry
    /// or to the token endpoint it names.
    Basic { username: String, password: String },
    /// An OAuth2 refresh token (`identitytoken`), exchanged at the registry's token endpoint.
    IdentityToken(String),
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
            Self::IdentityToken(_) => f.write_str("IdentityToken(<redacted>)"),
        }
    }
}

/// A credentials file that cannot be used for a host. Names the file and the field, never the
/// value (a secret may be anywhere in it).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthFileError {
    /// Exit 2. Only the position is kept: a parser's message may quote the text around it.
    #[error("{}: not valid JSON (line {line}, column {column})", file.display())]
    Json {
        file: PathBuf,
        line: usize,
        column: usize,
    },
    /// Exit 2: a field of the file is not what docker and podman write there.
    #[error("{}: {field} {problem}", file.display())]
    Field {
        file: PathBuf,
        field: String,
        problem: &'static str,
    },
    /// Exit 2: the file hands `host` to a credential helper program (`credHelpers`), which
    /// hubsign does not run; a credential it could use must be written to an auth file instead.
    #[error(
        "{}: credentials for {host} come from the credential helper docker-credential-{helper} (credHelpers), which hubsign does not run; put them in an auth file (e.g. `skopeo login --authfile FILE`)",
        file.display()
    )]
    CredentialHelper {
        file: PathBuf,
        host: String,
        helper: String,
    },
    /// Exit 2: the file lists `host` but keeps its secret in a credential store
    /// (`credsStore`), whose helper program hubsign does not run.
    #[error(
        "{}: credentials for {host} are kept in the credential store docker-credential-{store} (credsStore), which hubsign does not run; put them in an auth file (e.g. `skopeo login --authfile FILE`)",
        file.display()
    )]
    CredentialStore {
        file: PathBuf,
        host: String,
        store: String,
    },
}

/// Docker Hub's names for one registry: a credential saved for one is used for all.
const DOCKER_HUB: [&str; 3] = ["docker.io", "index.docker.io", "registry-1.docker.io"];

/// The credential for `host` (`registry.example:5000`) from the first of `files` (path, contents)
/// that has one, in the order given.
///
/// Keys match as docker matches them: `host`, `https://host`, `http://host`, `https://host/v1/`
/// (a scheme and docker's legacy `/v1/` or `/v2/` suffix are ignored; Docker Hub's three names are
/// one). A key naming a namespace inside a registry (`host/team`, which podman allows) is
/// skipped: this lookup is per registry, and a namespace's credential must not be sent for
/// other repositories.
///
/// Credential helpers are never run: `credHelpers` naming `host` is an error (saying which
/// helper), and so is a `credsStore` file whose `auths` lists `host` without a secret (what
/// `docker login` writes when a store holds it). A `credsStore` with no entry for `host` is
/// skipped, like a file without the host.
pub fn credential_for(host: &str, files: &[(PathBuf, String)]) -> Result<Option<Credential>, AuthFileError> {
    for (file, contents) in files {
        if let Some(found) = in_file(host, file, contents)? {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

/// `host`'s credential in one file.
fn in_file(host: &str, file: &Path, contents: &str) -> Result<Option<Credential>, AuthFileError> {
    let doc: serde_json::Value = serde_json::from_str(contents).map_err(|e| AuthFileError::Json {
        file: file.to_path_buf(),
        line: e.line(),
        column: e.column(),
    })?;
    let field_err = |field: String, problem: &'static str| AuthFileError::Field {
        file: file.to_path_buf(),
        field,
        problem,
    };
    let Some(doc) = doc.as_object() else {
        return Err(field_err("the document".into(), "is not a JSON object"));
    };
    if let Some(helpers) = doc.get("credHelpers") {
        let helpers = helpers
            .as_object()
            .ok_or_else(|| field_err("credHelpers".into(), "is not an object"))?;
        if let Some((_, helper)) = helpers.iter().find(|(key, _)| same_registry(host, key)) {
            return Err(AuthFileError::CredentialHelper {
                file: file.to_path_buf(),
                host: host.to_owned(),
                helper: helper.as_str().unwrap_or_default().to_owned(),
            });
        }
    }
    let store = match doc.get("credsStore") {
        None => None,
        Some(v) => Some(
            v.as_str()
                .ok_or_else(|| field_err("credsStore".into(), "is not a string"))?,
        ),
    };
    let Some(auths) = doc.get("auths") else {
        return Ok(None);
    };
    let auths = auths
        .as_object()
        .ok_or_else(|| field_err("auths".into(), "is not an object"))?;
    // An exact key first (`host`), then any other spelling of it.
    let entry = auths.get(host).map(|v| (host, v)).or_else(|| {
        auths
            .iter()
            .find(|(key, _)| same_registry(host, key))
            .map(|(k, v)| (k.as_str(), v))
    });
    let Some((key, entry)) = entry else {
        return Ok(None);
    };
    let field = |name: &str| format!("auths.{key:?}.{name}");
    let entry = entry
        .as_object()
        .ok_or_else(|| field_err(format!("auths.{key:?}"), "is not an object"))?;
    let text = |name: &str| -> Result<Option<&str>, AuthFileError> {
        match entry.get(name) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) if s.is_empty() => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(field_err(field(name), "is not a string")),
        }
    };
    if let Some(token) = text("identitytoken")? {
        return Ok(Some(Credential::IdentityToken(token.to_owned())));
    }
    if let Some(auth) = text("auth")? {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .map_err(|_| field_err(field("auth"), "is not valid base64"))?;
        let decoded =
            String::from_utf8(decoded).map_err(|_| field_err(field("auth"), "is not UTF-8 once decoded"))?;
        let (username, password) = decoded
            .split_once(':')
            .ok_or_else(|| field_err(field("auth"), "has no ':' between user name and password"))?;
        return Ok(Some(Credential::Basic {
            username: username.to_owned(),
            password: password.to_owned(),
        }));
    }
    match (text("username")?, text("password")?) {
        (Some(username), Some(password)) => Ok(Some(Credential::Basic {
            username: username.to_owned(),
            password: password.to_owned(),
        })),
        (Some(_), None) => Err(field_err(field("password"), "is missing (a user name is given)")),
        (None, Some(_)) => Err(field_err(field("username"), "is missing (a password is given)")),
        (None, None) => match store {
            Some(store) if !store.is_empty() => Err(AuthFileError::CredentialStore {
                file: file.to_path_buf(),
                host: host.to_owned(),
                store: store.to_owned(),
            }),
            _ => Ok(None),
        },
    }
}

/// Whether a key of `auths`/`credHelpers` names registry `host`, as docker reads keys: scheme
/// and the legacy `/v1/`, `/v2/` suffix dropped; any other path names a namespace, not the
/// registry.
fn same_registry(host: &str, key: &str) -> bool {
    let bare = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let (name, path) = bare.split_once('/').unwrap_or((bare, ""));
    if !matches!(path.trim_end_matches('/'), "" | "v1" | "v2") {
        return false;
    }
    name.eq_ignore_ascii_case(host)
        || (DOCKER_HUB.iter().any(|h| h.eq_ignore_ascii_case(host))
            && DOCKER_HUB.iter().any(|h| h.eq_ignore_ascii_case(name)))
}

#[cfg(test)]
mod tests {
    use super::{AuthFileError, Credential, credential_for};
    use std::path::PathBuf;

    fn files(docs: &[&str]) -> Vec<(PathBuf, String)> {
        docs.iter()
            .enumerate()
            .map(|(i, d)| (PathBuf::from(format!("auth{i}.json")), (*d).to_owned()))
            .collect()
    }

    fn basic(u: &str, p: &str) -> Credential {
        Credential::Basic {
            username: u.into(),
            password: p.into(),
        }
    }

    #[test]
    fn keys_match_as_docker_matches_them() {
        // "user:s3cret" in base64.
        for key in [
            "reg.example:5000",
            "https://reg.example:5000",
            "http://reg.example:5000",
            "https://reg.example:5000/v1/",
            "reg.example:5000/v2",
        ] {
            let doc = format!(r#"{{"auths":{{"{key}":{{"auth":"dXNlcjpzM2NyZXQ="}}}}}}"#);
            assert_eq!(
                credential_for("reg.example:5000", &files(&[&doc])).unwrap(),
                Some(basic("user", "s3cret")),
                "{key}"
            );
        }
        // Another port, another host, a namespace: not this registry's credential.
        for key in [
            "reg.example",
            "reg.example:5001",
            "other:5000",
            "reg.example:5000/team",
        ] {
            let doc = format!(r#"{{"auths":{{"{key}":{{"auth":"dXNlcjpzM2NyZXQ="}}}}}}"#);
            assert_eq!(
                credential_for("reg.example:5000", &files(&[&doc])).unwrap(),
                None,
                "{key}"
            );
        }
        // Docker Hub's names are one registry.
        let hub = r#"{"auths":{"https://index.docker.io/v1/":{"username":"u","password":"p"}}}"#;
        assert_eq!(
            credential_for("docker.io", &files(&[hub])).unwrap(),
            Some(basic("u", "p"))
        );
    }

    #[test]
    fn the_first_file_with_the_host_wins_and_tokens_are_read() {
        let other = r#"{"auths":{"elsewhere":{"auth":"YTpi"}}}"#;
        let token = r#"{"auths":{"reg":{"auth":"YTpi","identitytoken":"refresh"}}}"#;
        let plain = r#"{"auths":{"reg":{"username":"x","password":"y:z"}}}"#;
        assert_eq!(
            credential_for("reg", &files(&[other, token, plain])).unwrap(),
            Some(Credential::IdentityToken("refresh".into()))
        );
        assert_eq!(
            credential_for("reg", &files(&[other, plain, token])).unwrap(),
            Some(basic("x", "y:z"))
        );
        // A password may hold ':'; only the first one splits.
        let colon = r#"{"auths":{"reg":{"auth":"dTpwOnE="}}}"#;
        assert_eq!(
            credential_for("reg", &files(&[colon])).unwrap(),
            Some(basic("u", "p:q"))
        );
        assert_eq!(credential_for("reg", &files(&[other])).unwrap(), None);
        assert_eq!(credential_for("reg", &[]).unwrap(), None);
    }

    #[test]
    fn helpers_are_named_not_run_and_errors_never_show_secrets() {
        let helper = r#"{"auths":{"reg":{"auth":"YTpi"}},"credHelpers":{"reg":"ecr-login"}}"#;
        let err = credential_for("reg", &files(&[helper])).unwrap_err();
        assert!(matches!(&err, AuthFileError::CredentialHelper { helper, .. } if helper == "ecr-login"));
        assert!(err.to_string().contains("docker-credential-ecr-login"), "{err}");
        let store = r#"{"auths":{"reg":{}},"credsStore":"desktop"}"#;
        let err = credential_for("reg", &files(&[store])).unwrap_err();
        assert!(err.to_string().contains("docker-credential-desktop"), "{err}");
        // A store without an entry for the host: nothing here for it, the next file may have it.
        let next = r#"{"auths":{"reg":{"auth":"YTpi"}}}"#;
        let store_other = r#"{"auths":{"other":{}},"credsStore":"desktop"}"#;
        assert_eq!(
            credential_for("reg", &files(&[store_other, next])).unwrap(),
            Some(basic("a", "b"))
        );

        let secret = "c3VwZXJzZWNyZXQtdmFsdWU"; // not base64 once padded wrong, and a secret
        for doc in [
            format!(r#"{{"auths":{{"reg":{{"auth":"{secret}!"}}}}}}"#),
            format!(r#"{{"auths":{{"reg":{{"auth":"{secret}", "password": 5}}}}}}"#),
            format!(r#"{{"auths":{{"reg":{{"password":"{secret}"}}}}}}"#),
            format!(r#"{{"auths":{{"reg":{{"username":["{secret}"]}}}}}}"#),
            format!(r#"{{"auths":{{"reg":{{"auth":"{secret}" "#),
        ] {
            let err = credential_for("reg", &files(&[&doc])).unwrap_err();
            let shown = format!("{err} {err:?}");
            assert!(
                !shown.contains(secret) && !shown.contains("supersecret"),
                "{shown}"
            );
            assert!(shown.contains("auth0.json"), "{shown}");
        }
        let debug = format!(
            "{:?} {:?}",
            basic("me", "hunter2"),
            Credential::IdentityToken("tok123".into())
        );
        assert!(!debug.contains("hunter2") && !debug.contains("tok123"), "{debug}");
        assert!(debug.contains("me"), "{debug}");
    }
}

//! Signing material: the private key (a PEM file with its password, or a PKCS#11 token with its
//! PIN), the certificates, or keyless Sigstore signing. Passwords and PINs come from a file, an
//! environment variable or the terminal, never from argv unless the user put them there.

use super::read_text;
use crate::Error;
use crate::cli::args::{KeyArgs, MethodChoice, SignArgs, SigstoreInstanceArgs};
use crate::cli::error::{CliError, Result};
use crate::crypto::ec::{PrivateKeyPem, SigningKey};
use crate::crypto::x509::{Certificate, parse_pem_certificates};
use crate::sign::sigstore::TokenSource;
use crate::sign::{SignRequest, Signer, certificate_signer};
use crate::sigstore::SigstoreInstance;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};

/// How `sign` signs, resolved from its flags.
pub enum Signing {
    /// Sigstore keyless: an identity token (given, or ambient) and the instance to use.
    Keyless {
        token: TokenSource,
        instance: SigstoreInstance,
    },
    /// A key (or a key and its certificate) the user holds (boxed: a certificate chain is
    /// large beside the keyless settings).
    Signer(Box<Signer>),
}

/// `sign`'s settings: what to sign, and with what.
pub struct SignSettings {
    pub request: SignRequest,
    pub signing: Signing,
}

impl SignSettings {
    pub fn resolve(args: &SignArgs) -> Result<Self> {
        let (method, hash) = super::serialization(&args.hash);
        let request = SignRequest {
            model: args.walk.model.clone(),
            signature: super::signature_or_default(args.signature.as_deref(), &args.walk.model),
            walk: super::walk(&args.walk)?,
            method,
            hash,
            // Set by the command once the existing signature verified.
            incremental: None,
            record_dir: super::record_dir(),
        };
        Ok(Self {
            request,
            signing: Signing::resolve(args)?,
        })
    }
}

impl Signing {
    /// What `sign` signs with: keyless when no key is named, else the key (and certificate).
    pub fn resolve(args: &SignArgs) -> Result<Self> {
        Self::from_flags(&args.key, args.identity_token.as_deref(), &args.instance)
    }

    /// What the signer flags `sign` and `attest` share name: keyless (with `identity_token`,
    /// else ambient credentials) when no key is named, else the key (and certificate).
    pub fn from_flags(
        key: &KeyArgs,
        identity_token: Option<&str>,
        instance: &SigstoreInstanceArgs,
    ) -> Result<Self> {
        Ok(if is_keyless(key) {
            let interactive = crate::cli::embed::terminal_input() && std::io::stderr().is_terminal();
            Signing::Keyless {
                token: identity_token.map_or(TokenSource::Ambient { interactive }, |t| {
                    TokenSource::Explicit(t.to_owned())
                }),
                instance: sigstore_instance(instance)?,
            }
        } else {
            Signing::Signer(Box::new(signer(key)?))
        })
    }
}

/// The certificates of a PEM file.
pub fn load_certificates(path: &Path) -> Result<Vec<Certificate>, Error> {
    let text = read_text(path, "cannot read certificate file")?;
    parse_pem_certificates(&text).map_err(|source| Error::Certificate {
        path: path.to_path_buf(),
        source,
    })
}

/// Where a key's password comes from, as the flags name it (`sign`, `push` and `keygen` share
/// `--password-file` and `--password-env`).
#[derive(Clone, Copy)]
pub struct PasswordFlags<'a> {
    pub file: Option<&'a Path>,
    pub env: Option<&'a str>,
    /// `--password` itself (`sign` and `push` only).
    pub given: Option<&'a str>,
}

impl<'a> From<&'a KeyArgs> for PasswordFlags<'a> {
    fn from(args: &'a KeyArgs) -> Self {
        Self {
            file: args.password_file.as_deref(),
            env: args.password_env.as_deref(),
            given: args.password.as_deref(),
        }
    }
}

/// The password of a key: `--password-file`, `--password-env`, `--password`, else the
/// terminal; `key_path` names the key in the prompt and the error.
pub fn password(flags: PasswordFlags<'_>, key_path: &Path) -> Result<Vec<u8>> {
    if let Some(file) = flags.file {
        let mut bytes = super::read_small(file, "cannot read password file")?;
        if bytes.ends_with(b"\n") {
            bytes.pop();
            if bytes.ends_with(b"\r") {
                bytes.pop();
            }
        }
        return Ok(bytes);
    }
    if let Some(var) = flags.env {
        return crate::cli::embed::var_os(var)
            .map(std::ffi::OsString::into_encoded_bytes)
            .ok_or_else(|| CliError::EnvNotSet {
                option: "--password-env",
                var: var.to_owned(),
            });
    }
    if let Some(p) = flags.given {
        return Ok(p.as_bytes().to_vec());
    }
    if crate::cli::embed::terminal_input() {
        let prompt = format!("Password for {}: ", key_path.display());
        return rpassword::prompt_password(prompt)
            .map(String::into_bytes)
            .map_err(|source| {
                Error::Io {
                    action: "cannot read the password from",
                    path: "the terminal".into(),
                    source,
                }
                .into()
            });
    }
    Err(Error::Key {
        path: key_path.to_path_buf(),
        source: crate::crypto::ec::KeyError::PasswordRequired,
    }
    .into())
}

fn load_signing_key(args: &KeyArgs, path: &Path) -> Result<SigningKey> {
    let text = read_text(path, "cannot read private key")?;
    let key_err = |source| Error::Key {
        path: path.to_path_buf(),
        source,
    };
    let pem = PrivateKeyPem::parse(&text).map_err(key_err)?;
    let pw = if pem.is_encrypted() {
        Some(password(args.into(), path)?)
    } else {
        None
    };
    Ok(pem.into_key(pw.as_deref()).map_err(key_err)?)
}

/// Whether the arguments ask for keyless signing (no key material, or `--method sigstore`).
fn is_keyless(args: &KeyArgs) -> bool {
    args.method == Some(MethodChoice::Sigstore)
        || (args.method.is_none() && args.private_key.is_none() && args.pkcs11_uri.is_none())
}

/// Whether key material (a PEM key or a token's key) is given.
pub fn has_key(args: &KeyArgs) -> bool {
    args.private_key.is_some() || args.pkcs11_uri.is_some()
}

/// The PIN for a token: the URI's `pin-value` or `pin-source`, else `--pin-file`, `--pin-env`,
/// else the terminal prompt. Never from argv unless the user put it in the URI.
fn token_pin(args: &KeyArgs, uri: &crate::sign::pkcs11::Pkcs11Uri) -> Result<String> {
    if let Some(p) = uri.pin_value() {
        return Ok(p.to_owned());
    }
    if let Some(p) = &uri.pin_source {
        // model_signing reads the file's whole content as the PIN.
        return Ok(read_text(p, "cannot read the PIN file")?);
    }
    if let Some(p) = &args.pin_file {
        let text = read_text(p, "cannot read the PIN file")?;
        return Ok(text
            .strip_suffix('\n')
            .map_or(text.as_str(), |t| t.strip_suffix('\r').unwrap_or(t))
            .to_owned());
    }
    if let Some(var) = &args.pin_env {
        return crate::cli::embed::var(var).ok_or_else(|| CliError::EnvNotSet {
            option: "--pin-env",
            var: var.clone(),
        });
    }
    if crate::cli::embed::terminal_input() && std::io::stderr().is_terminal() {
        return rpassword::prompt_password("PIN for the PKCS#11 token: ").map_err(|source| {
            Error::Io {
                action: "cannot read the PIN from",
                path: PathBuf::from("the terminal"),
                source,
            }
            .into()
        });
    }
    Err(CliError::NoPin)
}

/// The private key: a PEM file, or a key on a PKCS#11 token (logged in, found, EC checked).
fn signing_key(args: &KeyArgs) -> Result<crate::sign::SigningKeyRef> {
    if let Some(text) = &args.pkcs11_uri {
        let uri = crate::sign::pkcs11::Pkcs11Uri::parse(text)
            .map_err(|e| Error::from(crate::sign::SignError::from(e)))?;
        let module = uri
            .module(args.pkcs11_module.as_deref())
            .map_err(|e| Error::from(crate::sign::SignError::from(e)))?;
        let pin = token_pin(args, &uri)?;
        let key = crate::sign::pkcs11::Pkcs11Key::open(&uri, &module, &pin)
            .map_err(|e| Error::from(crate::sign::SignError::from(e)))?;
        return Ok(crate::sign::SigningKeyRef::Token(key));
    }
    let path = args.private_key.as_ref().ok_or(CliError::NoPrivateKey)?;
    Ok(crate::sign::SigningKeyRef::Local(load_signing_key(args, path)?))
}

/// The Sigstore instance the flags name (embedded production root by default).
pub fn sigstore_instance(args: &SigstoreInstanceArgs) -> Result<SigstoreInstance, Error> {
    instance_of(args.trust_config.as_deref(), args.staging)
}

/// The instance of a `--trust-config` file, `--staging`, or production.
pub fn instance_of(trust_config: Option<&Path>, staging: bool) -> Result<SigstoreInstance, Error> {
    Ok(match (trust_config, staging) {
        (Some(path), _) => SigstoreInstance::Custom(read_text(path, "cannot read trust config")?),
        (None, true) => SigstoreInstance::Staging,
        (None, false) => SigstoreInstance::Production,
    })
}

/// The signer the arguments describe.
pub fn signer(args: &KeyArgs) -> Result<Signer> {
    if args.signing_certificate.is_some() && !has_key(args) {
        return Err(CliError::MissingOption {
            option: "--signing-certificate",
            needs: "the key it certifies: --private-key or --pkcs11-uri",
        });
    }
    let method = args.method.unwrap_or(if args.signing_certificate.is_some() {
        MethodChoice::Certificate
    } else if has_key(args) {
        MethodChoice::Key
    } else {
        MethodChoice::Sigstore
    });
    match method {
        MethodChoice::Sigstore => Err(CliError::KeylessWithKey),
        MethodChoice::Key => Ok(Signer::Key(signing_key(args)?)),
        MethodChoice::Certificate => {
            let cert_path = args.signing_certificate.as_ref().ok_or(CliError::MissingOption {
                option: "--method certificate",
                needs: "--signing-certificate",
            })?;
            let key = signing_key(args)?;
            let mut leaf = load_certificates(cert_path)?;
            let leaf = leaf.remove(0);
            let mut chain = Vec::new();
            for p in &args.certificate_chain {
                chain.extend(load_certificates(p)?);
            }
            Ok(certificate_signer(key, leaf, chain).map_err(Error::from)?)
        }
    }
}

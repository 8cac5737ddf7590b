//! Whom to trust: one cascade for `verify`, the hub commands, `push` and the mirror's policy.
//! Keyless identity and issuer first, then a public key or certificate anchors (named by
//! `--method` or inferred from the flags), then — for a hub repository — the trust policy's
//! first rule for it. Never the working directory's policy file.

use super::keys::Signing;
use super::keys::{instance_of, load_certificates};
use super::read_text;
use crate::Error;
use crate::cli::args::{
    ClaimsTrustArgs, InspectArgs, KeylessTrustArgs, MethodChoice, PushArgs, SignArgs, TrustArgs, VerifyArgs,
};
use crate::cli::error::{CliError, Result};
use crate::crypto::ec::VerifyingKey;
use crate::policy::{Policy, RequiredClaim, RequiredSigner, Rule};
use crate::reference::ModelRef;
use crate::sign::Signer;
use crate::verify::TrustAnchor;
use std::path::{Path, PathBuf};

/// Where trust comes from when no signer flag names it.
enum Fallback<'a> {
    /// `verify`: nowhere; the user must say whom to trust.
    None,
    /// A hub repository (`repo` as policy rules match it): the policy file given (`--policy`,
    /// `HUBSIGN_POLICY`), else the user's config dir.
    Policy { file: Option<&'a Path>, repo: String },
}

/// The signer flags as given, before any file is read.
pub struct TrustFlags<'a> {
    method: Option<MethodChoice>,
    public_key: Option<&'a Path>,
    certificate_chain: &'a [PathBuf],
    keyless: Option<&'a KeylessTrustArgs>,
    fallback: Fallback<'a>,
}

impl<'a> TrustFlags<'a> {
    /// `verify`'s flags: `--method`, a key, anchors, or keyless identity; no policy.
    pub fn verify(args: &'a VerifyArgs) -> Self {
        Self {
            method: args.method,
            public_key: args.public_key.as_deref(),
            certificate_chain: &args.certificate_chain,
            keyless: Some(&args.keyless),
            fallback: Fallback::None,
        }
    }

    /// `inspect`'s flags: a key, anchors, or keyless identity, all optional.
    pub fn inspect(args: &'a InspectArgs) -> Self {
        Self {
            method: None,
            public_key: args.public_key.as_deref(),
            certificate_chain: &args.certificate_chain,
            keyless: Some(&args.keyless),
            fallback: Fallback::None,
        }
    }

    /// The anchor the flags name, `None` when no signer flag is given (then nothing is
    /// verified, and the caller says so).
    pub fn anchor_if_given(&self) -> Result<Option<TrustAnchor>> {
        let keyless = self
            .keyless
            .is_some_and(|k| k.identity.is_some() || k.issuer.is_some());
        if self.public_key.is_none() && self.certificate_chain.is_empty() && !keyless {
            return Ok(None);
        }
        self.anchor().map(Some)
    }

    /// A hub command's flags for `repo`: signer flags, else the trust policy.
    pub fn hub(args: &'a TrustArgs, repo: &ModelRef) -> Self {
        Self {
            method: None,
            public_key: args.public_key.as_deref(),
            certificate_chain: &args.certificate_chain,
            keyless: Some(&args.keyless),
            fallback: Fallback::Policy {
                file: args.policy.as_deref(),
                repo: policy_name(repo),
            },
        }
    }

    /// `push` without signing now: `--public-key`, else the trust policy.
    pub fn push(args: &'a PushArgs, repo: &ModelRef) -> Self {
        Self {
            method: None,
            public_key: args.public_key.as_deref(),
            certificate_chain: &[],
            keyless: None,
            fallback: Fallback::Policy {
                file: args.policy.as_deref(),
                repo: policy_name(repo),
            },
        }
    }

    /// `attest --derived-from DIR`'s flags for the base model's signer (`--base-public-key`,
    /// `--base-certificate-chain`, `--base-identity`/`--base-issuer`); no policy.
    pub fn base(
        public_key: Option<&'a Path>,
        certificate_chain: &'a [PathBuf],
        keyless: &'a KeylessTrustArgs,
    ) -> Self {
        Self {
            method: None,
            public_key,
            certificate_chain,
            keyless: Some(keyless),
            fallback: Fallback::None,
        }
    }

    /// The anchor, and the claims the policy's rule requires when the anchor comes from it
    /// (signer flags name whom to trust instead of the policy, and require no claim).
    pub fn anchor_and_claims(&self) -> Result<(TrustAnchor, Vec<RequiredClaim>)> {
        let flagged = matches!(
            self.keyless,
            Some(KeylessTrustArgs {
                identity: Some(_),
                issuer: Some(_),
                ..
            })
        ) || self.public_key.is_some()
            || !self.certificate_chain.is_empty();
        if let (false, Fallback::Policy { file, repo }) = (flagged, &self.fallback)
            && let Some(policy) = find_policy(*file)?
            && let Some(rule) = policy.rule_for(repo)
        {
            let anchor = required_signer_anchor(&rule.signer)?;
            let claims = required_claims(rule, &anchor)?;
            return Ok((anchor, claims));
        }
        Ok((self.anchor()?, Vec::new()))
    }

    /// The anchor the flags (or the policy) name, its files read now.
    pub fn anchor(&self) -> Result<TrustAnchor> {
        if let Some(KeylessTrustArgs {
            identity: Some(identity),
            issuer: Some(issuer),
            instance: i,
        }) = self.keyless
        {
            return Ok(sigstore_anchor(
                identity,
                issuer,
                i.trust_config.as_deref(),
                i.staging,
            )?);
        }
        let inferred = if self.public_key.is_some() {
            Some(MethodChoice::Key)
        } else if !self.certificate_chain.is_empty() {
            Some(MethodChoice::Certificate)
        } else {
            None
        };
        // No key and no anchors: say whom to trust (or ask the policy), even with `--method`;
        // `--method` then only picks between the flags given.
        let method = inferred.and(self.method).or(inferred);
        match method {
            Some(MethodChoice::Key) => {
                let path = self.public_key.ok_or(CliError::MissingOption {
                    option: "--method key",
                    needs: "--public-key",
                })?;
                Ok(key_anchor(path)?)
            }
            Some(MethodChoice::Certificate) => {
                if self.certificate_chain.is_empty() {
                    return Err(CliError::MissingOption {
                        option: "--method certificate",
                        needs: "--certificate-chain (the trust anchors)",
                    });
                }
                Ok(chain_anchor(self.certificate_chain)?)
            }
            Some(MethodChoice::Sigstore) => Err(CliError::MissingOption {
                option: "--method sigstore",
                needs: "--identity and --issuer",
            }),
            None => match &self.fallback {
                Fallback::None => Err(CliError::NoVerifier),
                Fallback::Policy { file, repo } => {
                    let Some(policy) = find_policy(*file)? else {
                        return Err(CliError::NoTrustAnchor { repo: repo.clone() });
                    };
                    Ok(policy_anchor(&policy, repo)?.ok_or_else(|| Error::NoTrustRule {
                        repo: repo.clone(),
                        policy: Some(policy.path.clone()),
                    })?)
                }
            },
        }
    }
}

/// The name trust policy rules match: `org/name` for a model, `datasets/org/name` for a
/// dataset (so a rule for a model organisation does not silently cover its datasets).
pub fn policy_name(repo: &ModelRef) -> String {
    let mut r = repo.clone();
    r.revision = None;
    r.to_string()
}

fn sigstore_anchor(
    identity: &str,
    issuer: &str,
    trust_config: Option<&Path>,
    staging: bool,
) -> Result<TrustAnchor, Error> {
    let instance = instance_of(trust_config, staging)?;
    // Check the trust material now, so a bad file is a usage error, not a verification failure.
    instance.trusted_root().map_err(|reason| Error::TrustedRoot {
        config: trust_config.map(Path::to_path_buf),
        reason,
    })?;
    Ok(TrustAnchor::Sigstore {
        instance,
        identity: identity.to_owned(),
        issuer: issuer.to_owned(),
    })
}

/// The anchors `--claims-public-key` names, in the order given.
pub fn claims_anchors(args: &ClaimsTrustArgs) -> Result<Vec<TrustAnchor>, Error> {
    args.claims_public_key.iter().map(|p| key_anchor(p)).collect()
}

pub fn key_anchor(path: &Path) -> Result<TrustAnchor, Error> {
    let text = read_text(path, "cannot read public key")?;
    let key = VerifyingKey::from_pem(&text).map_err(|source| Error::Key {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(TrustAnchor::PublicKey(key))
}

fn chain_anchor(paths: &[PathBuf]) -> Result<TrustAnchor, Error> {
    let mut anchors = Vec::new();
    for p in paths {
        anchors.extend(load_certificates(p)?);
    }
    Ok(TrustAnchor::Certificates {
        anchors,
        at: std::time::SystemTime::now(),
    })
}

/// The anchor that a signature made by `signer` verifies against: its public key, or the
/// self-signed certificates among its chain.
pub fn signer_anchor(signer: &Signer) -> TrustAnchor {
    match signer {
        Signer::Key(k) => TrustAnchor::PublicKey(k.verifying_key()),
        Signer::Certificate { chain, .. } => TrustAnchor::Certificates {
            anchors: chain.iter().skip(1).cloned().collect(),
            at: std::time::SystemTime::now(),
        },
    }
}

/// Whom the existing signature must name for `sign --incremental`: `--public-key`, else
/// `--identity`/`--issuer` (Sigstore, the signing instance's trusted root), else the signer
/// itself — its public key, or the certificates of `--certificate-chain` as `verify` would take
/// them.
pub fn incremental_anchor(args: &SignArgs, signing: &Signing) -> Result<TrustAnchor> {
    let inc = &args.incremental;
    if let Some(path) = &inc.public_key {
        return Ok(key_anchor(path)?);
    }
    if let (Some(identity), Some(issuer)) = (&inc.identity, &inc.issuer) {
        return Ok(sigstore_anchor(
            identity,
            issuer,
            args.instance.trust_config.as_deref(),
            args.instance.staging,
        )?);
    }
    match signing {
        Signing::Signer(signer) => match signer.as_ref() {
            Signer::Certificate { chain, .. } if chain.len() < 2 => Err(CliError::MissingOption {
                option: "--incremental with a certificate",
                needs: "the trust anchors the existing signature must chain to: --certificate-chain PEM",
            }),
            s => Ok(signer_anchor(s)),
        },
        Signing::Keyless { .. } => Err(CliError::MissingOption {
            option: "--incremental with keyless signing",
            needs: "--identity and --issuer (whom the existing signature must name)",
        }),
    }
}

/// The policy file in effect: `--policy` (or `HUBSIGN_POLICY`), else the user's config dir.
///
/// Never the working directory: running `hubsign pull` inside an untrusted checkout must not
/// let that checkout choose whom to trust.
pub fn find_policy(explicit: Option<&Path>) -> Result<Option<Policy>, Error> {
    if let Some(path) = explicit {
        return read_policy(path).map(Some);
    }
    let config = crate::cli::embed::var_os("XDG_CONFIG_HOME")
        .filter(|d| Path::new(d).is_absolute())
        .map(PathBuf::from)
        .or_else(|| crate::cli::embed::var_os("HOME").map(|h| PathBuf::from(h).join(".config")));
    let Some(path) = config.map(|dir| dir.join("hubsign").join("hubsign.toml")) else {
        return Ok(None);
    };
    if !path.is_file() {
        return Ok(None);
    }
    read_policy(&path).map(Some)
}

/// The policy file at `path`, parsed.
pub fn read_policy(path: &Path) -> Result<Policy, Error> {
    let text = read_text(path, "cannot read trust policy")?;
    Ok(Policy::parse(&text, path)?)
}

/// The anchor of the policy's first rule for `repo_id`, if one matches.
pub fn policy_anchor(policy: &Policy, repo_id: &str) -> Result<Option<TrustAnchor>, Error> {
    let Some(rule) = policy.rule_for(repo_id) else {
        return Ok(None);
    };
    required_signer_anchor(&rule.signer).map(Some)
}

/// A rule's claim requirements with their signers' anchors (key files read now); a requirement
/// naming no signer is the model's own signer's, `anchor`.
pub fn required_claims(rule: &Rule, anchor: &TrustAnchor) -> Result<Vec<RequiredClaim>, Error> {
    rule.require_claims
        .iter()
        .map(|r| {
            Ok(RequiredClaim {
                anchor: match &r.signer {
                    Some(s) => required_signer_anchor(s)?,
                    None => anchor.clone(),
                },
                requirement: r.clone(),
            })
        })
        .collect()
}

/// The anchor a policy rule's signer names (its key files read now).
pub fn required_signer_anchor(signer: &RequiredSigner) -> Result<TrustAnchor, Error> {
    match signer {
        RequiredSigner::PublicKey(k) => key_anchor(k),
        RequiredSigner::CertificateChain(c) => chain_anchor(c),
        RequiredSigner::Sigstore {
            identity,
            issuer,
            trust_config,
        } => sigstore_anchor(identity, issuer, trust_config.as_deref(), false),
    }
}

//! The trust policy file (`hubsign.toml`): which signer each repository must be signed by, so
//! teams verify without typing identities.
//!
//! ```toml
//! [[trust]]
//! repos = ["meta-llama/*", "my-org/llama-*"]
//! public-key = "keys/meta.pub.pem"          # relative to this file
//!
//! [[trust]]
//! repos = ["my-org/*"]
//! certificate-chain = ["pki/root-ca.pem"]
//! ```
//! The first rule whose pattern matches wins. `*` matches within one path component, `?` one
//! character. Matching ignores ASCII case, as the Hub does for repository ids, so a rule cannot
//! be dodged by spelling `Meta-Llama/…`. The core only parses and matches; the CLI reads the key files a rule names.
//! A rule may also require signed claims about the model (`[[trust.require-claim]]`, see
//! [`claims`]).

pub mod claims;

pub use claims::{ClaimRequirement, RequiredClaim};
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    #[error("trust policy {path} is malformed")]
    Parse {
        path: PathBuf,
        #[source]
        source: toml::de::Error,
    },
    #[error(
        "trust policy {path}: rule {index} must name exactly one signer (public-key, certificate-chain, or identity + issuer)"
    )]
    Signer { path: PathBuf, index: usize },
    /// A `[[trust.require-claim]]` table that cannot be read (an unknown key names itself).
    #[error("trust policy {path}: rule {rule}, require-claim {index}: {detail}")]
    RequireClaim {
        path: PathBuf,
        rule: usize,
        index: usize,
        detail: String,
    },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawRule {
    repos: Vec<String>,
    public_key: Option<PathBuf>,
    #[serde(default)]
    certificate_chain: Vec<PathBuf>,
    identity: Option<String>,
    issuer: Option<String>,
    trust_config: Option<PathBuf>,
    /// Read by hand: its predicate conditions are free keys.
    #[serde(default)]
    require_claim: Vec<toml::Table>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    #[serde(default)]
    trust: Vec<RawRule>,
}

/// Who must have signed matching repositories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequiredSigner {
    PublicKey(PathBuf),
    CertificateChain(Vec<PathBuf>),
    /// Keyless; `trust_config` names a private instance's ClientTrustConfig (else production).
    Sigstore {
        identity: String,
        issuer: String,
        trust_config: Option<PathBuf>,
    },
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub repos: Vec<String>,
    pub signer: RequiredSigner,
    /// Claims a model matching this rule must carry (`[[trust.require-claim]]`).
    pub require_claims: Vec<ClaimRequirement>,
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub path: PathBuf,
    pub rules: Vec<Rule>,
}

impl Policy {
    /// Parses a policy; relative key paths are resolved against the policy file's directory.
    pub fn parse(text: &str, path: &Path) -> Result<Self, PolicyError> {
        let raw: RawPolicy = toml::from_str(text).map_err(|source| PolicyError::Parse {
            path: path.to_path_buf(),
            source,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let mut rules = Vec::new();
        for (i, r) in raw.trust.into_iter().enumerate() {
            let bad = || PolicyError::Signer {
                path: path.to_path_buf(),
                index: i + 1,
            };
            let signer = match (r.public_key, r.certificate_chain.is_empty(), r.identity, r.issuer) {
                (Some(k), true, None, None) => RequiredSigner::PublicKey(base.join(k)),
                (None, false, None, None) => RequiredSigner::CertificateChain(
                    r.certificate_chain.iter().map(|c| base.join(c)).collect(),
                ),
                (None, true, Some(identity), Some(issuer)) => RequiredSigner::Sigstore {
                    identity,
                    issuer,
                    trust_config: r.trust_config.map(|t| base.join(t)),
                },
                _ => return Err(bad()),
            };
            let require_claims = r
                .require_claim
                .into_iter()
                .enumerate()
                .map(|(j, table)| claims::parse_requirement(table, path, base, i + 1, j + 1))
                .collect::<Result<_, _>>()?;
            rules.push(Rule {
                repos: r.repos,
                signer,
                require_claims,
            });
        }
        Ok(Self {
            path: path.to_path_buf(),
            rules,
        })
    }

    /// The first rule matching `repo_id`.
    pub fn rule_for(&self, repo_id: &str) -> Option<&Rule> {
        self.rules
            .iter()
            .find(|r| r.repos.iter().any(|p| pattern_matches(p, repo_id)))
    }
}

/// Glob match where `*` does not cross `/`, ignoring ASCII case.
pub fn pattern_matches(pattern: &str, text: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], t) || (!t.is_empty() && t[0] != b'/' && go(p, &t[1..])),
            (Some(b'?'), Some(c)) if *c != b'/' => go(&p[1..], &t[1..]),
            (Some(a), Some(b)) if a.eq_ignore_ascii_case(b) => go(&p[1..], &t[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::{Policy, RequiredSigner, pattern_matches};
    use std::path::Path;

    #[test]
    fn patterns() {
        assert!(pattern_matches("meta-llama/*", "meta-llama/Llama-3"));
        assert!(!pattern_matches("meta-llama/*", "meta-llama-x/Llama"));
        assert!(!pattern_matches("*", "org/name"));
        assert!(pattern_matches("*/*", "org/name"));
        assert!(pattern_matches("org/llama-?", "org/llama-3"));
        // Hub repo ids are case-insensitive: a rule holds for every spelling.
        assert!(pattern_matches("meta-llama/*", "Meta-Llama/Llama-3"));
        assert!(pattern_matches("Org/Model", "org/model"));
    }

    #[test]
    fn first_matching_rule_wins_and_paths_are_relative_to_the_file() {
        let text = r#"
[[trust]]
repos = ["org/special"]
certificate-chain = ["ca.pem"]
[[trust]]
repos = ["org/*"]
public-key = "k.pub.pem"
"#;
        let p = Policy::parse(text, Path::new("/etc/hubsign/hubsign.toml")).unwrap();
        assert_eq!(
            p.rule_for("org/special").unwrap().signer,
            RequiredSigner::CertificateChain(vec!["/etc/hubsign/ca.pem".into()])
        );
        assert_eq!(
            p.rule_for("org/other").unwrap().signer,
            RequiredSigner::PublicKey("/etc/hubsign/k.pub.pem".into())
        );
        assert!(p.rule_for("else/x").is_none());
        assert!(Policy::parse("[[trust]]\nrepos=[\"a/*\"]\n", Path::new("p.toml")).is_err());
        assert!(
            Policy::parse(
                "[[trust]]\nrepos=[\"a/*\"]\npublic-key=\"k\"\nidentity=\"x\"\n",
                Path::new("p.toml")
            )
            .is_err()
        );
    }
}

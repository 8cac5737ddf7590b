//! ECDSA over P-256, P-384 and P-521: the only key types model_signing accepts. The hash
//! follows the curve (SHA-256/384/512); signatures are DER.

use super::pem;
use der::{Decode as _, asn1::ObjectIdentifier};
use pkcs8::DecodePrivateKey as _;
use sha2::Digest as _;
use spki::EncodePublicKey as _;
use std::fmt;

const ID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const SECP521R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    #[error("no PEM {expected} block found")]
    NoPemBlock { expected: &'static str },
    #[error("malformed PEM")]
    MalformedPem(#[source] pem::PemError),
    #[error("malformed {what}: {detail}")]
    Malformed { what: &'static str, detail: String },
    #[error("unsupported key type {0}: OMS signatures use EC keys on P-256, P-384 or P-521")]
    UnsupportedKeyType(String),
    #[error(
        "the private key is encrypted; give its password (--password-file, --password-env or the prompt)"
    )]
    PasswordRequired,
    #[error("wrong password for the encrypted private key (or unsupported encryption scheme)")]
    WrongPassword,
    #[error(
        "legacy OpenSSL-encrypted PEM (Proc-Type header) is not supported; convert with `openssl pkcs8 -topk8`"
    )]
    LegacyEncryptedPem,
    #[error("malformed signature: {0}")]
    MalformedSignature(String),
}

/// A NIST curve supported by OMS signing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    P256,
    P384,
    P521,
}

impl fmt::Display for Curve {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::P256 => "P-256",
            Self::P384 => "P-384",
            Self::P521 => "P-521",
        })
    }
}

/// The message digest used inside ECDSA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageHash {
    Sha256,
    Sha384,
    Sha512,
}

impl MessageHash {
    pub fn digest(self, msg: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha256 => sha2::Sha256::digest(msg).to_vec(),
            Self::Sha384 => sha2::Sha384::digest(msg).to_vec(),
            Self::Sha512 => sha2::Sha512::digest(msg).to_vec(),
        }
    }
}

impl Curve {
    /// The hash model_signing pairs with the curve.
    pub fn hash(self) -> MessageHash {
        match self {
            Self::P256 => MessageHash::Sha256,
            Self::P384 => MessageHash::Sha384,
            Self::P521 => MessageHash::Sha512,
        }
    }

    fn from_oid(oid: ObjectIdentifier) -> Result<Self, KeyError> {
        match oid {
            SECP256R1 => Ok(Self::P256),
            SECP384R1 => Ok(Self::P384),
            SECP521R1 => Ok(Self::P521),
            other => Err(KeyError::UnsupportedKeyType(format!("EC curve {other}"))),
        }
    }
}

fn algorithm_name(oid: ObjectIdentifier) -> String {
    match oid {
        RSA_ENCRYPTION => "RSA".to_owned(),
        ED25519 => "Ed25519".to_owned(),
        other => format!("with algorithm OID {other}"),
    }
}

/// A private signing key.
pub enum SigningKey {
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    P521(p521::ecdsa::SigningKey),
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({})", self.curve())
    }
}

/// A private key as read from PEM, possibly still encrypted.
pub enum PrivateKeyPem {
    Plain(Box<SigningKey>),
    Encrypted(Vec<u8>),
}

impl PrivateKeyPem {
    /// Parses the first private-key block of `text`: PKCS#8, SEC1, or encrypted PKCS#8.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let blocks = pem::blocks(text).map_err(KeyError::MalformedPem)?;
        let block = blocks
            .into_iter()
            .find(|b| b.label.ends_with("PRIVATE KEY"))
            .ok_or(KeyError::NoPemBlock {
                expected: "PRIVATE KEY",
            })?;
        match block.label.as_str() {
            "ENCRYPTED PRIVATE KEY" => Ok(Self::Encrypted(block.der)),
            _ if block.has_headers => Err(KeyError::LegacyEncryptedPem),
            "PRIVATE KEY" => SigningKey::from_pkcs8_der(&block.der).map(|k| Self::Plain(Box::new(k))),
            "EC PRIVATE KEY" => SigningKey::from_sec1_der(&block.der).map(|k| Self::Plain(Box::new(k))),
            "RSA PRIVATE KEY" => Err(KeyError::UnsupportedKeyType("RSA".to_owned())),
            other => Err(KeyError::UnsupportedKeyType(other.to_owned())),
        }
    }

    /// Decrypts if needed; `password` is only consulted for an encrypted key.
    pub fn into_key(self, password: Option<&[u8]>) -> Result<SigningKey, KeyError> {
        match self {
            Self::Plain(k) => Ok(*k),
            Self::Encrypted(der) => {
                let password = password.ok_or(KeyError::PasswordRequired)?;
                let info = pkcs8::EncryptedPrivateKeyInfo::try_from(der.as_slice()).map_err(|e| {
                    KeyError::Malformed {
                        what: "encrypted private key",
                        detail: e.to_string(),
                    }
                })?;
                let doc = info.decrypt(password).map_err(|_| KeyError::WrongPassword)?;
                SigningKey::from_pkcs8_der(doc.as_bytes())
            }
        }
    }

    pub fn is_encrypted(&self) -> bool {
        matches!(self, Self::Encrypted(_))
    }
}

impl SigningKey {
    fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        let malformed = |e: &dyn fmt::Display| KeyError::Malformed {
            what: "PKCS#8 private key",
            detail: e.to_string(),
        };
        let info = pkcs8::PrivateKeyInfo::try_from(der).map_err(|e| malformed(&e))?;
        if info.algorithm.oid != ID_EC_PUBLIC_KEY {
            return Err(KeyError::UnsupportedKeyType(algorithm_name(info.algorithm.oid)));
        }
        let curve_oid = info.algorithm.parameters_oid().map_err(|e| malformed(&e))?;
        Ok(match Curve::from_oid(curve_oid)? {
            Curve::P256 => {
                Self::P256(p256::ecdsa::SigningKey::from_pkcs8_der(der).map_err(|e| malformed(&e))?)
            }
            Curve::P384 => {
                Self::P384(p384::ecdsa::SigningKey::from_pkcs8_der(der).map_err(|e| malformed(&e))?)
            }
            Curve::P521 => {
                let secret = p521::SecretKey::from_pkcs8_der(der).map_err(|e| malformed(&e))?;
                Self::P521(
                    p521::ecdsa::SigningKey::from_bytes(&secret.to_bytes()).map_err(|e| malformed(&e))?,
                )
            }
        })
    }

    fn from_sec1_der(der: &[u8]) -> Result<Self, KeyError> {
        let malformed = |e: &dyn fmt::Display| KeyError::Malformed {
            what: "SEC1 EC private key",
            detail: e.to_string(),
        };
        let key = sec1::EcPrivateKey::from_der(der).map_err(|e| malformed(&e))?;
        let curve_oid = key
            .parameters
            .and_then(sec1::EcParameters::named_curve)
            .ok_or_else(|| malformed(&"no named curve in the key parameters"))?;
        Ok(match Curve::from_oid(curve_oid)? {
            Curve::P256 => Self::P256(
                p256::SecretKey::from_sec1_der(der)
                    .map_err(|e| malformed(&e))?
                    .into(),
            ),
            Curve::P384 => Self::P384(
                p384::SecretKey::from_sec1_der(der)
                    .map_err(|e| malformed(&e))?
                    .into(),
            ),
            Curve::P521 => {
                let secret = p521::SecretKey::from_sec1_der(der).map_err(|e| malformed(&e))?;
                Self::P521(
                    p521::ecdsa::SigningKey::from_bytes(&secret.to_bytes()).map_err(|e| malformed(&e))?,
                )
            }
        })
    }

    pub fn curve(&self) -> Curve {
        match self {
            Self::P256(_) => Curve::P256,
            Self::P384(_) => Curve::P384,
            Self::P521(_) => Curve::P521,
        }
    }

    /// ECDSA over `msg` with the curve's hash, DER-encoded.
    pub fn sign_der(&self, msg: &[u8]) -> Vec<u8> {
        use ecdsa::signature::Signer as _;
        match self {
            Self::P256(k) => {
                let sig: p256::ecdsa::Signature = k.sign(msg);
                sig.to_der().as_bytes().to_vec()
            }
            Self::P384(k) => {
                let sig: p384::ecdsa::Signature = k.sign(msg);
                sig.to_der().as_bytes().to_vec()
            }
            Self::P521(k) => {
                let sig: p521::ecdsa::Signature = k.sign(msg);
                sig.to_der().as_bytes().to_vec()
            }
        }
    }

    pub fn verifying_key(&self) -> VerifyingKey {
        match self {
            Self::P256(k) => VerifyingKey::P256(*k.verifying_key()),
            Self::P384(k) => VerifyingKey::P384(*k.verifying_key()),
            Self::P521(k) => VerifyingKey::P521(p521::ecdsa::VerifyingKey::from(k)),
        }
    }
}

/// PBKDF2-HMAC-SHA256 rounds for an encrypted key [`generate_p256`] writes (OWASP's 2023
/// figure; OpenSSL's own default is 2048).
pub const KEY_ENCRYPTION_ROUNDS: u32 = 600_000;

/// How a new private key is encrypted.
#[derive(Clone, Copy)]
pub struct KeyEncryption<'a> {
    pub password: &'a [u8],
    /// PBKDF2-HMAC-SHA256 rounds ([`KEY_ENCRYPTION_ROUNDS`] unless a test needs speed).
    pub rounds: u32,
}

impl fmt::Debug for KeyEncryption<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyEncryption(rounds {})", self.rounds)
    }
}

/// A new key pair as PEM text.
pub struct KeyPairPem {
    /// PKCS#8 (`PRIVATE KEY`), or encrypted PKCS#8 (`ENCRYPTED PRIVATE KEY`: PBES2 with
    /// PBKDF2-HMAC-SHA256 and AES-256-CBC, as `openssl pkcs8 -topk8 -v2 aes-256-cbc` writes and
    /// every PKCS#8 reader decrypts).
    pub private: zeroize::Zeroizing<String>,
    /// SubjectPublicKeyInfo (`PUBLIC KEY`), as `model_signing verify key --public_key` reads it.
    pub public: String,
}

/// A new P-256 key pair from `rng` (a cryptographic one), the private key encrypted when asked
/// (random salt and IV).
pub fn generate_p256(
    rng: &mut (impl rand_core::CryptoRng + rand_core::RngCore),
    encryption: Option<KeyEncryption<'_>>,
) -> Result<KeyPairPem, KeyError> {
    use pkcs8::EncodePrivateKey as _;
    let failed = |e: &dyn fmt::Display| KeyError::Malformed {
        what: "generated private key",
        detail: e.to_string(),
    };
    let secret = p256::SecretKey::random(rng);
    let der = secret.to_pkcs8_der().map_err(|e| failed(&e))?;
    let private = match encryption {
        None => der
            .to_pem("PRIVATE KEY", pkcs8::LineEnding::LF)
            .map_err(|e| failed(&e))?,
        Some(KeyEncryption { password, rounds }) => {
            let mut salt = [0u8; 16];
            let mut iv = [0u8; 16];
            rng.fill_bytes(&mut salt);
            rng.fill_bytes(&mut iv);
            let params = pkcs8::pkcs5::pbes2::Parameters::pbkdf2_sha256_aes256cbc(rounds, &salt, &iv)
                .map_err(|e| failed(&e))?;
            let info = pkcs8::PrivateKeyInfo::try_from(der.as_bytes()).map_err(|e| failed(&e))?;
            let encrypted = info
                .encrypt_with_params(params, password)
                .map_err(|e| failed(&e))?;
            encrypted
                .to_pem("ENCRYPTED PRIVATE KEY", pkcs8::LineEnding::LF)
                .map_err(|e| failed(&e))?
        }
    };
    let public = VerifyingKey::P256(p256::ecdsa::VerifyingKey::from(&p256::ecdsa::SigningKey::from(
        &secret,
    )));
    Ok(KeyPairPem {
        private,
        public: public.spki_pem(),
    })
}

/// A public verification key.
#[derive(Clone)]
pub enum VerifyingKey {
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    P521(p521::ecdsa::VerifyingKey),
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifyingKey({}, hint {})", self.curve(), self.hint())
    }
}

impl PartialEq for VerifyingKey {
    fn eq(&self, other: &Self) -> bool {
        self.spki_der() == other.spki_der()
    }
}

impl Eq for VerifyingKey {}

impl VerifyingKey {
    /// Reads the first `PUBLIC KEY` block of `text` (prose around it is ignored).
    pub fn from_pem(text: &str) -> Result<Self, KeyError> {
        let blocks = pem::blocks(text).map_err(KeyError::MalformedPem)?;
        if let Some(b) = blocks.iter().find(|b| b.label == "PUBLIC KEY") {
            return Self::from_spki_der(&b.der);
        }
        if blocks.iter().any(|b| b.label.ends_with("PRIVATE KEY")) {
            return Err(KeyError::Malformed {
                what: "public key file",
                detail: "it holds a private key; give the public key (openssl pkey -pubout)".to_owned(),
            });
        }
        Err(KeyError::NoPemBlock {
            expected: "PUBLIC KEY",
        })
    }

    /// A key from a SEC1 point as PKCS#11 tokens give it (`CKA_EC_POINT`: the uncompressed point,
    /// usually wrapped in a DER OCTET STRING).
    pub fn from_ec_point(curve: Curve, point: &[u8]) -> Result<Self, KeyError> {
        let coord = match curve {
            Curve::P256 => 32,
            Curve::P384 => 48,
            Curve::P521 => 66,
        };
        let raw_len = 1 + 2 * coord;
        let raw = if point.len() == raw_len {
            point
        } else {
            // OCTET STRING: tag 0x04, a short or one/two-byte long length, then the point.
            match point {
                [0x04, n, rest @ ..] if usize::from(*n) == rest.len() => rest,
                [0x04, 0x81, n, rest @ ..] if usize::from(*n) == rest.len() => rest,
                [0x04, 0x82, hi, lo, rest @ ..]
                    if (usize::from(*hi) << 8 | usize::from(*lo)) == rest.len() =>
                {
                    rest
                }
                _ => point,
            }
        };
        let malformed = |e: &dyn fmt::Display| KeyError::Malformed {
            what: "EC point",
            detail: e.to_string(),
        };
        Ok(match curve {
            Curve::P256 => {
                Self::P256(p256::ecdsa::VerifyingKey::from_sec1_bytes(raw).map_err(|e| malformed(&e))?)
            }
            Curve::P384 => {
                Self::P384(p384::ecdsa::VerifyingKey::from_sec1_bytes(raw).map_err(|e| malformed(&e))?)
            }
            Curve::P521 => {
                Self::P521(p521::ecdsa::VerifyingKey::from_sec1_bytes(raw).map_err(|e| malformed(&e))?)
            }
        })
    }

    /// Parses a DER SubjectPublicKeyInfo.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        let malformed = |e: &dyn fmt::Display| KeyError::Malformed {
            what: "public key",
            detail: e.to_string(),
        };
        let info = spki::SubjectPublicKeyInfoRef::try_from(der).map_err(|e| malformed(&e))?;
        if info.algorithm.oid != ID_EC_PUBLIC_KEY {
            return Err(KeyError::UnsupportedKeyType(algorithm_name(info.algorithm.oid)));
        }
        let curve_oid = info.algorithm.parameters_oid().map_err(|e| malformed(&e))?;
        let point = info.subject_public_key.raw_bytes();
        Ok(match Curve::from_oid(curve_oid)? {
            Curve::P256 => {
                Self::P256(p256::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(|e| malformed(&e))?)
            }
            Curve::P384 => {
                Self::P384(p384::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(|e| malformed(&e))?)
            }
            Curve::P521 => {
                Self::P521(p521::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(|e| malformed(&e))?)
            }
        })
    }

    pub fn curve(&self) -> Curve {
        match self {
            Self::P256(_) => Curve::P256,
            Self::P384(_) => Curve::P384,
            Self::P521(_) => Curve::P521,
        }
    }

    /// DER SubjectPublicKeyInfo with the uncompressed point, as Python `cryptography` writes it.
    pub fn spki_der(&self) -> Vec<u8> {
        let doc = match self {
            Self::P256(k) => p256::PublicKey::from(k).to_public_key_der(),
            Self::P384(k) => p384::PublicKey::from(k).to_public_key_der(),
            Self::P521(k) => {
                let point = k.to_encoded_point(false);
                p521::PublicKey::from_sec1_bytes(point.as_bytes())
                    .and_then(|p| p.to_public_key_der().map_err(|_| p521::elliptic_curve::Error))
                    .map_err(|_| spki::Error::KeyMalformed)
            }
        };
        doc.map(|d| d.as_bytes().to_vec()).unwrap_or_default()
    }

    /// The PEM SubjectPublicKeyInfo text whose SHA-256 is the bundle's `publicKey.hint`.
    pub fn spki_pem(&self) -> String {
        pem::encode("PUBLIC KEY", &self.spki_der())
    }

    /// model_signing's key identifier: hex SHA-256 of [`Self::spki_pem`].
    pub fn hint(&self) -> String {
        hex::encode(sha2::Sha256::digest(self.spki_pem().as_bytes()))
    }

    /// Verifies a DER ECDSA signature over `msg`, hashing with `hash`.
    pub fn verify_der(&self, msg: &[u8], sig_der: &[u8], hash: MessageHash) -> Result<bool, KeyError> {
        use ecdsa::signature::hazmat::PrehashVerifier as _;
        let prehash = hash.digest(msg);
        let bad = |e: ecdsa::Error| {
            KeyError::MalformedSignature(format!("not a DER ECDSA signature for {}: {e}", self.curve()))
        };
        Ok(match self {
            Self::P256(k) => {
                let sig = p256::ecdsa::Signature::from_der(sig_der).map_err(bad)?;
                k.verify_prehash(&prehash, &sig).is_ok()
            }
            Self::P384(k) => {
                let sig = p384::ecdsa::Signature::from_der(sig_der).map_err(bad)?;
                k.verify_prehash(&prehash, &sig).is_ok()
            }
            Self::P521(k) => {
                let sig = p521::ecdsa::Signature::from_der(sig_der).map_err(bad)?;
                k.verify_prehash(&prehash, &sig).is_ok()
            }
        })
    }
}

/// A raw `r‖s` ECDSA signature (as PKCS#11 `CKM_ECDSA` returns it) as DER, the encoding every
/// OMS signature uses.
pub fn raw_signature_to_der(curve: Curve, raw: &[u8]) -> Result<Vec<u8>, KeyError> {
    let bad = |e: &dyn fmt::Display| KeyError::MalformedSignature(format!("raw {curve} signature: {e}"));
    Ok(match curve {
        Curve::P256 => p256::ecdsa::Signature::from_slice(raw)
            .map_err(|e| bad(&e))?
            .to_der()
            .as_bytes()
            .to_vec(),
        Curve::P384 => p384::ecdsa::Signature::from_slice(raw)
            .map_err(|e| bad(&e))?
            .to_der()
            .as_bytes()
            .to_vec(),
        Curve::P521 => p521::ecdsa::Signature::from_slice(raw)
            .map_err(|e| bad(&e))?
            .to_der()
            .as_bytes()
            .to_vec(),
    })
}

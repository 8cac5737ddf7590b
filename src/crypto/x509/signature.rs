//! Certificate signature algorithms and signature verification: which algorithm a certificate
//! was signed with, the issuer's public key, and whether the signature over the exact
//! `TBSCertificate` bytes verifies. It decides one signature; which issuer to try is `path`'s.

use der::{Decode as _, Encode as _};
use ecdsa::signature::Verifier as _;
use ecdsa::signature::hazmat::PrehashVerifier as _;
use rsa::{BigUint, RsaPublicKey, pkcs1v15, pss};
use sha2::{Digest as _, Sha256, Sha384, Sha512};
use spki::ObjectIdentifier;

use super::{Certificate, X509Error, describe_oid, oid};

/// Largest RSA modulus accepted (the `rsa` crate defaults to 4096 bits, which rejects some roots).
const MAX_RSA_BITS: usize = 16384;

#[derive(Clone, Copy)]
enum HashAlg {
    Sha256,
    Sha384,
    Sha512,
}

impl HashAlg {
    fn from_oid(oid: &ObjectIdentifier) -> Option<Self> {
        match *oid {
            oid::SHA256 => Some(Self::Sha256),
            oid::SHA384 => Some(Self::Sha384),
            oid::SHA512 => Some(Self::Sha512),
            _ => None,
        }
    }

    fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha256 => Sha256::digest(data).to_vec(),
            Self::Sha384 => Sha384::digest(data).to_vec(),
            Self::Sha512 => Sha512::digest(data).to_vec(),
        }
    }
}

enum SignatureAlg {
    Ecdsa(HashAlg),
    RsaPkcs1(HashAlg),
    RsaPss { hash: HashAlg, salt_len: usize },
}

/// The signature algorithm of `cert`, if supported.
fn signature_algorithm(cert: &Certificate) -> Result<SignatureAlg, X509Error> {
    let algorithm = &cert.cert.signature_algorithm;
    let unsupported = |detail: &str| X509Error::UnsupportedAlgorithm {
        subject: cert.subject(),
        algorithm: format!("{}{detail}", describe_oid(&algorithm.oid)),
    };
    match algorithm.oid {
        oid::ECDSA_WITH_SHA256 => Ok(SignatureAlg::Ecdsa(HashAlg::Sha256)),
        oid::ECDSA_WITH_SHA384 => Ok(SignatureAlg::Ecdsa(HashAlg::Sha384)),
        oid::ECDSA_WITH_SHA512 => Ok(SignatureAlg::Ecdsa(HashAlg::Sha512)),
        oid::SHA256_WITH_RSA => Ok(SignatureAlg::RsaPkcs1(HashAlg::Sha256)),
        oid::SHA384_WITH_RSA => Ok(SignatureAlg::RsaPkcs1(HashAlg::Sha384)),
        oid::SHA512_WITH_RSA => Ok(SignatureAlg::RsaPkcs1(HashAlg::Sha512)),
        oid::RSASSA_PSS => {
            // RSASSA-PSS-params: hash and MGF1 hash must be the same SHA-2 function, trailer 0xBC.
            let params = algorithm
                .parameters
                .as_ref()
                .and_then(|any| any.to_der().ok())
                .ok_or_else(|| unsupported(" without parameters (SHA-1 defaults)"))?;
            let params = rsa::pkcs1::RsaPssParams::from_der(&params)
                .map_err(|_| unsupported(" with undecodable parameters"))?;
            let hash = HashAlg::from_oid(&params.hash.oid)
                .ok_or_else(|| unsupported(&format!(" with hash {}", describe_oid(&params.hash.oid))))?;
            let mgf_hash = params.mask_gen.parameters.as_ref().map(|mgf| mgf.oid);
            if params.mask_gen.oid != oid::MGF1 || mgf_hash != Some(params.hash.oid) {
                return Err(unsupported(
                    " with a mask generation function other than MGF1 over the same hash",
                ));
            }
            Ok(SignatureAlg::RsaPss {
                hash,
                salt_len: usize::from(params.salt_len),
            })
        }
        _ => Err(unsupported("")),
    }
}

/// A public key that can verify certificate signatures.
enum IssuerKey {
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    P521(p521::ecdsa::VerifyingKey),
    Rsa(RsaPublicKey),
}

fn issuer_key(issuer: &Certificate) -> Result<IssuerKey, X509Error> {
    let spki = &issuer.cert.tbs_certificate.subject_public_key_info;
    let unsupported = |key: String| X509Error::UnsupportedKey {
        subject: issuer.subject(),
        key,
    };
    let key_bytes = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| unsupported("the subjectPublicKey BIT STRING has unused bits".to_owned()))?;
    match spki.algorithm.oid {
        oid::EC_PUBLIC_KEY => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|any| any.decode_as::<ObjectIdentifier>().ok())
                .ok_or_else(|| unsupported("an EC key without a named curve".to_owned()))?;
            let malformed = |_| unsupported(format!("a malformed {} point", describe_oid(&curve)));
            match curve {
                oid::SECP256R1 => p256::ecdsa::VerifyingKey::from_sec1_bytes(key_bytes)
                    .map(IssuerKey::P256)
                    .map_err(malformed),
                oid::SECP384R1 => p384::ecdsa::VerifyingKey::from_sec1_bytes(key_bytes)
                    .map(IssuerKey::P384)
                    .map_err(malformed),
                oid::SECP521R1 => p521::ecdsa::VerifyingKey::from_sec1_bytes(key_bytes)
                    .map(IssuerKey::P521)
                    .map_err(malformed),
                _ => Err(unsupported(format!(
                    "an EC key on curve {}",
                    describe_oid(&curve)
                ))),
            }
        }
        oid::RSA_ENCRYPTION => {
            let key = rsa::pkcs1::RsaPublicKey::from_der(key_bytes)
                .map_err(|_| unsupported("a malformed RSA public key".to_owned()))?;
            let n = BigUint::from_bytes_be(key.modulus.as_bytes());
            let e = BigUint::from_bytes_be(key.public_exponent.as_bytes());
            RsaPublicKey::new_with_max_size(n, e, MAX_RSA_BITS)
                .map(IssuerKey::Rsa)
                .map_err(|error| unsupported(format!("an RSA key the verifier rejects ({error})")))
        }
        _ => Err(unsupported(format!(
            "key algorithm {}",
            describe_oid(&spki.algorithm.oid)
        ))),
    }
}

/// Verifies `child`'s signature with `issuer`'s public key.
pub(super) fn verify_signature(child: &Certificate, issuer: &Certificate) -> Result<(), X509Error> {
    let bad = |reason| X509Error::BadSignature {
        subject: child.subject(),
        issuer: issuer.subject(),
        reason,
    };
    // 1. The outer signatureAlgorithm must equal tbsCertificate.signature (RFC 5280 4.1.1.2).
    if child.cert.signature_algorithm != child.cert.tbs_certificate.signature {
        return Err(bad(
            "signatureAlgorithm differs from the signature field inside tbsCertificate",
        ));
    }
    // 2. The algorithm must be supported and 3. the issuer key usable.
    let algorithm = signature_algorithm(child)?;
    let key = issuer_key(issuer)?;
    let Some(signature) = child.cert.signature.as_bytes() else {
        return Err(bad("the signature BIT STRING has unused bits"));
    };
    let tbs = child.tbs_der.as_slice();
    let mismatch = "the issuer's key type does not match the signature algorithm";
    let invalid = "the signature value does not verify";
    let malformed = "the signature value is not a DER ECDSA signature";
    // 4. Verify over the TBSCertificate bytes exactly as they were signed.
    let verified = match (algorithm, key) {
        (SignatureAlg::Ecdsa(hash), IssuerKey::P256(key)) => {
            let signature = p256::ecdsa::Signature::from_der(signature).map_err(|_| bad(malformed))?;
            key.verify_prehash(&ecdsa_prehash(hash, tbs, 32), &signature)
                .is_ok()
        }
        (SignatureAlg::Ecdsa(hash), IssuerKey::P384(key)) => {
            let signature = p384::ecdsa::Signature::from_der(signature).map_err(|_| bad(malformed))?;
            key.verify_prehash(&ecdsa_prehash(hash, tbs, 48), &signature)
                .is_ok()
        }
        (SignatureAlg::Ecdsa(hash), IssuerKey::P521(key)) => {
            let signature = p521::ecdsa::Signature::from_der(signature).map_err(|_| bad(malformed))?;
            key.verify_prehash(&ecdsa_prehash(hash, tbs, 66), &signature)
                .is_ok()
        }
        (SignatureAlg::RsaPkcs1(hash), IssuerKey::Rsa(key)) => verify_rsa_pkcs1(hash, key, tbs, signature),
        (SignatureAlg::RsaPss { hash, salt_len }, IssuerKey::Rsa(key)) => {
            verify_rsa_pss(hash, salt_len, key, tbs, signature)
        }
        _ => return Err(bad(mismatch)),
    };
    if verified { Ok(()) } else { Err(bad(invalid)) }
}

/// The message hash for ECDSA, left-padded to the field size when shorter (e.g. SHA-256 with
/// P-521), which is the standard's bits-to-integer conversion; longer hashes are truncated by
/// the `ecdsa` crate.
fn ecdsa_prehash(hash: HashAlg, tbs: &[u8], field_len: usize) -> Vec<u8> {
    let digest = hash.digest(tbs);
    if digest.len() >= field_len {
        return digest;
    }
    let mut padded = vec![0u8; field_len - digest.len()];
    padded.extend_from_slice(&digest);
    padded
}

/// RSA signatures shorter than the modulus (leading zero bytes dropped) are left-padded, as
/// OpenSSL accepts them.
fn pad_rsa_signature(key: &RsaPublicKey, signature: &[u8]) -> Vec<u8> {
    let size = rsa::traits::PublicKeyParts::size(key);
    let mut padded = vec![0u8; size.saturating_sub(signature.len())];
    padded.extend_from_slice(signature);
    padded
}

fn verify_rsa_pkcs1(hash: HashAlg, key: RsaPublicKey, tbs: &[u8], signature: &[u8]) -> bool {
    let Ok(signature) = pkcs1v15::Signature::try_from(pad_rsa_signature(&key, signature).as_slice()) else {
        return false;
    };
    match hash {
        HashAlg::Sha256 => pkcs1v15::VerifyingKey::<Sha256>::new(key)
            .verify(tbs, &signature)
            .is_ok(),
        HashAlg::Sha384 => pkcs1v15::VerifyingKey::<Sha384>::new(key)
            .verify(tbs, &signature)
            .is_ok(),
        HashAlg::Sha512 => pkcs1v15::VerifyingKey::<Sha512>::new(key)
            .verify(tbs, &signature)
            .is_ok(),
    }
}

fn verify_rsa_pss(hash: HashAlg, salt_len: usize, key: RsaPublicKey, tbs: &[u8], signature: &[u8]) -> bool {
    let Ok(signature) = pss::Signature::try_from(pad_rsa_signature(&key, signature).as_slice()) else {
        return false;
    };
    match hash {
        HashAlg::Sha256 => pss::VerifyingKey::<Sha256>::new_with_salt_len(key, salt_len)
            .verify(tbs, &signature)
            .is_ok(),
        HashAlg::Sha384 => pss::VerifyingKey::<Sha384>::new_with_salt_len(key, salt_len)
            .verify(tbs, &signature)
            .is_ok(),
        HashAlg::Sha512 => pss::VerifyingKey::<Sha512>::new_with_salt_len(key, salt_len)
            .verify(tbs, &signature)
            .is_ok(),
    }
}

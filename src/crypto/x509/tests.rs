//! Tests of PEM parsing, path building and signature verification, against the shared vectors
//! (made by model_signing and upstream model-transparency) and synthetic certificates.

use std::path::Path;
use std::str::FromStr as _;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use der::asn1::{BitString, OctetString};
use der::{Decode as _, Encode as _};
use ecdsa::signature::hazmat::PrehashSigner as _;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::EncodePublicKey as _;
use rsa::rand_core::{CryptoRng, RngCore};
use rsa::signature::{RandomizedSigner as _, SignatureEncoding as _};
use rsa::{RsaPrivateKey, pss};
use sha2::{Digest as _, Sha256, Sha384, Sha512};
use spki::{AlgorithmIdentifierOwned, ObjectIdentifier, SubjectPublicKeyInfoOwned};
use x509_cert::certificate::{TbsCertificate, Version};
use x509_cert::der::Any;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};

use super::{Certificate, X509Error, oid, parse_pem_certificates, verify_signing_chain};

/// Midnight UTC on 1 January of `year` (1970 ≤ year).
fn jan1(year: u64) -> SystemTime {
    let days: u64 = (1970..year)
        .map(|y| {
            if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 {
                366
            } else {
                365
            }
        })
        .sum();
    UNIX_EPOCH + Duration::from_secs(days * 86_400)
}

fn in_2030() -> SystemTime {
    jan1(2030)
}

/// The shared vectors (`HUBSIGN_VECTORS`, set by scripts/test), or `None` after a loud
/// message; with `HUBSIGN_REQUIRE_ALL=1` (CI) a missing directory fails the test.
fn vectors() -> Option<std::path::PathBuf> {
    if let Some(dir) = std::env::var_os("HUBSIGN_VECTORS") {
        let dir = std::path::PathBuf::from(dir);
        assert!(
            dir.is_dir(),
            "HUBSIGN_VECTORS={} is not a directory",
            dir.display()
        );
        return Some(dir);
    }
    assert!(
        std::env::var_os("HUBSIGN_REQUIRE_ALL").is_none_or(|v| v != "1"),
        "HUBSIGN_VECTORS is not set but HUBSIGN_REQUIRE_ALL=1: the vector tests must run"
    );
    eprintln!("SKIPPED: X.509 tests against the shared vectors — set HUBSIGN_VECTORS (scripts/test does)");
    None
}

fn load(dir: &Path, relative: &str) -> Vec<Certificate> {
    let text = fs_err::read_to_string(dir.join(relative)).unwrap();
    parse_pem_certificates(&text).unwrap()
}

fn load_one(dir: &Path, relative: &str) -> Certificate {
    let mut certs = load(dir, relative);
    assert_eq!(certs.len(), 1, "{relative} should hold one certificate");
    certs.remove(0)
}

/// Flips the last byte of the DER, which lies inside the signature BIT STRING.
fn tampered(cert: &Certificate) -> Certificate {
    let mut der = cert.der().to_vec();
    let last = der.len() - 1;
    der[last] ^= 0x01;
    Certificate::from_der(&der).unwrap()
}

fn to_pem(cert: &Certificate) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(cert.der());
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    )
}

// ---- model_signing 1.1.1 vectors: P-256 root -> intermediate -> leaf ----

struct MsChain {
    leaf: Certificate,
    intermediate: Certificate,
    root: Certificate,
}

fn ms_chain() -> Option<MsChain> {
    let dir = vectors()?;
    Some(MsChain {
        leaf: load_one(&dir, "model-signing-1.1.1/keys/leaf.crt.pem"),
        intermediate: load_one(&dir, "model-signing-1.1.1/keys/intermediate-ca.crt.pem"),
        root: load_one(&dir, "model-signing-1.1.1/keys/root-ca.crt.pem"),
    })
}

#[test]
fn ms_leaf_chains_to_trusted_root() {
    let Some(c) = ms_chain() else { return };
    let anchor = verify_signing_chain(
        &c.leaf,
        &[c.intermediate],
        std::slice::from_ref(&c.root),
        in_2030(),
    )
    .unwrap();
    assert_eq!(anchor.der(), c.root.der(), "the path ends at the anchor it names");
    assert_eq!(anchor.fingerprint(), hex::encode(Sha256::digest(c.root.der())));
}

#[test]
fn ms_anchors_from_chain_file_with_intermediate_and_root() {
    let Some(c) = ms_chain() else { return };
    let Some(dir) = vectors() else { return };
    let anchors = load(&dir, "model-signing-1.1.1/keys/chain.intermediate+root.pem");
    assert_eq!(anchors.len(), 2);
    verify_signing_chain(&c.leaf, &[], &anchors, in_2030()).unwrap();
    verify_signing_chain(&c.leaf, &[c.intermediate], &anchors, in_2030()).unwrap();
}

#[test]
fn ms_trusting_only_the_intermediate_fails() {
    let Some(c) = ms_chain() else { return };
    let anchors = [c.intermediate.clone()];
    for intermediates in [&[][..], &[c.intermediate.clone()][..]] {
        let err = verify_signing_chain(&c.leaf, intermediates, &anchors, in_2030()).unwrap_err();
        assert!(
            matches!(&err, X509Error::IssuerNotFound { subject, issuer }
                if subject.contains("intermediate CA") && issuer.contains("hubsign test root CA")),
            "{err:?}"
        );
    }
}

#[test]
fn ms_expired_in_2040() {
    let Some(c) = ms_chain() else { return };
    let err = verify_signing_chain(&c.leaf, &[c.intermediate], &[c.root], jan1(2040)).unwrap_err();
    assert!(
        matches!(&err, X509Error::Expired { subject, .. } if subject.contains("signer")),
        "{err:?}"
    );
    assert!(err.to_string().contains("2035-01-01T00:00:00Z"), "{err}");
}

#[test]
fn ms_not_yet_valid_in_2020() {
    let Some(c) = ms_chain() else { return };
    let err = verify_signing_chain(&c.leaf, &[c.intermediate], &[c.root], jan1(2020)).unwrap_err();
    assert!(
        matches!(&err, X509Error::NotYetValid { subject, .. } if subject.contains("signer")),
        "{err:?}"
    );
    assert!(err.to_string().contains("2020-01-01T00:00:00Z"), "{err}");
}

#[test]
fn ms_missing_intermediate_fails() {
    let Some(c) = ms_chain() else { return };
    let err = verify_signing_chain(&c.leaf, &[], &[c.root], in_2030()).unwrap_err();
    assert!(
        matches!(&err, X509Error::IssuerNotFound { issuer, .. } if issuer.contains("intermediate CA")),
        "{err:?}"
    );
}

#[test]
fn ms_tampered_leaf_signature_fails() {
    let Some(c) = ms_chain() else { return };
    let err = verify_signing_chain(&tampered(&c.leaf), &[c.intermediate], &[c.root], in_2030()).unwrap_err();
    assert!(
        matches!(&err, X509Error::BadSignature { subject, issuer, .. }
            if subject.contains("signer") && issuer.contains("intermediate CA")),
        "{err:?}"
    );
}

#[test]
fn ms_leaf_subject_and_public_key() {
    let Some(c) = ms_chain() else { return };
    let Some(dir) = vectors() else { return };
    assert_eq!(c.leaf.subject(), "CN=hubsign test signer,O=hubsign test");
    let pem = fs_err::read_to_string(dir.join("model-signing-1.1.1/keys/p256.pub.pem")).unwrap();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let spki = base64::engine::general_purpose::STANDARD.decode(body).unwrap();
    assert_eq!(c.leaf.spki_der(), spki);
    assert_eq!(Certificate::from_der(c.leaf.der()).unwrap().der(), c.leaf.der());
}

// ---- upstream model-transparency vectors: RSA root -> RSA intermediate -> P-384 leaf ----

struct UpstreamChain {
    leaf: Certificate,
    intermediate: Certificate,
    root: Certificate,
}

fn upstream_chain() -> Option<UpstreamChain> {
    let dir = vectors()?;
    Some(UpstreamChain {
        leaf: load_one(&dir, "upstream-model-transparency/keys/signing-key-cert.pem"),
        intermediate: load_one(&dir, "upstream-model-transparency/keys/int-ca-cert.pem"),
        root: load_one(&dir, "upstream-model-transparency/keys/ca-cert.pem"),
    })
}

#[test]
fn upstream_p384_leaf_with_ca_true_chains_through_rsa_cas() {
    let Some(c) = upstream_chain() else { return };
    verify_signing_chain(&c.leaf, &[c.intermediate], &[c.root], in_2030()).unwrap();
}

#[test]
fn upstream_pem_with_gnutls_prose_parses() {
    let Some(dir) = vectors() else { return };
    let text = fs_err::read_to_string(dir.join("upstream-model-transparency/keys/ca-cert.pem")).unwrap();
    let prose = format!(
        "X.509 Certificate Information:\n\tVersion: 3\n\tSubject: CN=root-ca\n\
         Other Information:\n\tPublic Key ID:\n\t\tsha256:00\n\n{text}\ntrailing notes\n"
    );
    let certs = parse_pem_certificates(&prose).unwrap();
    assert_eq!(certs.len(), 1);
    assert_eq!(certs[0].subject(), "CN=root-ca");
}

#[test]
fn upstream_tampered_leaf_fails_rsa_signature() {
    let Some(c) = upstream_chain() else { return };
    let err = verify_signing_chain(&tampered(&c.leaf), &[c.intermediate], &[c.root], in_2030()).unwrap_err();
    assert!(matches!(&err, X509Error::BadSignature { .. }), "{err:?}");
}

#[test]
fn upstream_trusting_only_the_intermediate_fails() {
    let Some(c) = upstream_chain() else { return };
    let err = verify_signing_chain(&c.leaf, &[], &[c.intermediate], in_2030()).unwrap_err();
    assert!(
        matches!(&err, X509Error::IssuerNotFound { issuer, .. } if issuer == "CN=root-ca"),
        "{err:?}"
    );
}

// ---- synthetic certificates (deterministic P-256 keys, RFC 6979 signatures) ----

fn key(seed: u8) -> SigningKey {
    SigningKey::from_slice(&[seed; 32]).unwrap()
}

fn extension<T: der::Encode>(id: ObjectIdentifier, critical: bool, value: &T) -> Extension {
    Extension {
        extn_id: id,
        critical,
        extn_value: OctetString::new(value.to_der().unwrap()).unwrap(),
    }
}

fn basic_constraints(ca: bool, path_len_constraint: Option<u8>) -> Extension {
    extension(
        oid::BASIC_CONSTRAINTS,
        true,
        &BasicConstraints {
            ca,
            path_len_constraint,
        },
    )
}

fn key_usage(usage: KeyUsages) -> Extension {
    extension(oid::KEY_USAGE, true, &KeyUsage(usage.into()))
}

fn code_signing() -> Extension {
    extension(
        oid::EXT_KEY_USAGE,
        false,
        &ExtendedKeyUsage(vec![oid::KP_CODE_SIGNING]),
    )
}

fn ca_extensions(path_len: Option<u8>) -> Vec<Extension> {
    vec![
        basic_constraints(true, path_len),
        key_usage(KeyUsages::KeyCertSign),
    ]
}

fn leaf_extensions() -> Vec<Extension> {
    vec![
        basic_constraints(false, None),
        key_usage(KeyUsages::DigitalSignature),
        code_signing(),
    ]
}

/// How the issuer signs a synthetic certificate.
#[derive(Clone, Copy)]
enum IssuerKey<'a> {
    Ecdsa(&'a SigningKey),
    /// RSASSA-PSS with SHA-256: the salt length signed with, and the one written in the parameters.
    RsaPss {
        key: &'a RsaPrivateKey,
        salt_len: usize,
        declared_salt_len: u8,
    },
}

struct Spec<'a> {
    subject: &'a str,
    spki_der: Vec<u8>,
    issuer: &'a str,
    issuer_key: IssuerKey<'a>,
    extensions: Vec<Extension>,
    version: Version,
    signature_oid: ObjectIdentifier,
    outer_signature_oid: Option<ObjectIdentifier>,
    years: (u64, u64),
}

impl<'a> Spec<'a> {
    fn new(subject: &'a str, key: &'a SigningKey, issuer: &'a str, issuer_key: &'a SigningKey) -> Self {
        Spec {
            subject,
            spki_der: key.verifying_key().to_public_key_der().unwrap().into_vec(),
            issuer,
            issuer_key: IssuerKey::Ecdsa(issuer_key),
            extensions: Vec::new(),
            version: Version::V3,
            signature_oid: oid::ECDSA_WITH_SHA256,
            outer_signature_oid: None,
            years: (2025, 2035),
        }
    }

    fn extensions(mut self, extensions: Vec<Extension>) -> Self {
        self.extensions = extensions;
        self
    }

    fn build(self) -> Certificate {
        let algorithm = |oid| match self.issuer_key {
            IssuerKey::Ecdsa(_) => AlgorithmIdentifierOwned {
                oid,
                parameters: None,
            },
            IssuerKey::RsaPss {
                declared_salt_len, ..
            } => {
                let params = rsa::pkcs1::RsaPssParams::new::<Sha256>(declared_salt_len)
                    .to_der()
                    .unwrap();
                AlgorithmIdentifierOwned {
                    oid,
                    parameters: Some(Any::from_der(&params).unwrap()),
                }
            }
        };
        let tbs = TbsCertificate {
            version: self.version,
            serial_number: SerialNumber::from(7u32),
            signature: algorithm(self.signature_oid),
            issuer: Name::from_str(self.issuer).unwrap(),
            validity: Validity {
                not_before: Time::try_from(jan1(self.years.0)).unwrap(),
                not_after: Time::try_from(jan1(self.years.1)).unwrap(),
            },
            subject: Name::from_str(self.subject).unwrap(),
            subject_public_key_info: SubjectPublicKeyInfoOwned::from_der(&self.spki_der).unwrap(),
            issuer_unique_id: None,
            subject_unique_id: None,
            extensions: (!self.extensions.is_empty()).then_some(self.extensions),
        };
        let tbs_der = tbs.to_der().unwrap();
        let signature = match self.issuer_key {
            IssuerKey::Ecdsa(key) => {
                let prehash = match self.signature_oid {
                    oid::ECDSA_WITH_SHA384 => Sha384::digest(&tbs_der).to_vec(),
                    oid::ECDSA_WITH_SHA512 => Sha512::digest(&tbs_der).to_vec(),
                    _ => Sha256::digest(&tbs_der).to_vec(),
                };
                let signature: Signature = key.sign_prehash(&prehash).unwrap();
                signature.to_der().as_bytes().to_vec()
            }
            IssuerKey::RsaPss { key, salt_len, .. } => {
                let signer = pss::SigningKey::<Sha256>::new_with_salt_len(key.clone(), salt_len);
                signer.sign_with_rng(&mut TestRng(1), &tbs_der).to_vec()
            }
        };
        let cert = x509_cert::Certificate {
            tbs_certificate: tbs,
            signature_algorithm: algorithm(self.outer_signature_oid.unwrap_or(self.signature_oid)),
            signature: BitString::from_bytes(&signature).unwrap(),
        };
        Certificate::from_der(&cert.to_der().unwrap()).unwrap()
    }
}

/// Root (seed 1) -> Int (seed 2) -> Leaf (seed 3), all well formed.
struct Pki {
    root_ca: SigningKey,
    intermediate: SigningKey,
    signer: SigningKey,
}

impl Pki {
    fn new() -> Self {
        Pki {
            root_ca: key(1),
            intermediate: key(2),
            signer: key(3),
        }
    }
    fn root(&self) -> Spec<'_> {
        Spec::new("CN=Root", &self.root_ca, "CN=Root", &self.root_ca).extensions(ca_extensions(None))
    }
    fn int(&self) -> Spec<'_> {
        Spec::new("CN=Int", &self.intermediate, "CN=Root", &self.root_ca).extensions(ca_extensions(None))
    }
    fn leaf(&self) -> Spec<'_> {
        Spec::new("CN=Leaf", &self.signer, "CN=Int", &self.intermediate).extensions(leaf_extensions())
    }
    fn verify(leaf: Spec<'_>, int: Spec<'_>, root: Spec<'_>) -> Result<(), X509Error> {
        verify_signing_chain(&leaf.build(), &[int.build()], &[root.build()], in_2030()).map(|_| ())
    }
}

#[test]
fn synthetic_chain_verifies() {
    let pki = Pki::new();
    Pki::verify(pki.leaf(), pki.int(), pki.root()).unwrap();
}

#[test]
fn leaf_without_signing_usage_is_rejected() {
    let pki = Pki::new();
    let cases = [
        vec![],
        vec![basic_constraints(false, None)],
        vec![key_usage(KeyUsages::KeyEncipherment)],
        vec![extension(
            oid::EXT_KEY_USAGE,
            false,
            &ExtendedKeyUsage(vec![ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.1")]),
        )],
    ];
    for extensions in cases {
        let err = Pki::verify(pki.leaf().extensions(extensions), pki.int(), pki.root()).unwrap_err();
        assert!(
            matches!(&err, X509Error::NotForSigning { subject } if subject == "CN=Leaf"),
            "{err:?}"
        );
    }
}

#[test]
fn leaf_with_either_signing_usage_is_accepted() {
    let pki = Pki::new();
    for extensions in [vec![key_usage(KeyUsages::DigitalSignature)], vec![code_signing()]] {
        Pki::verify(pki.leaf().extensions(extensions), pki.int(), pki.root()).unwrap();
    }
    // A leaf with cA=TRUE is accepted, like the upstream vector.
    let ca_leaf = vec![
        basic_constraints(true, None),
        key_usage(KeyUsages::DigitalSignature),
    ];
    Pki::verify(pki.leaf().extensions(ca_leaf), pki.int(), pki.root()).unwrap();
}

#[test]
fn intermediate_must_be_a_ca() {
    let pki = Pki::new();
    let cases = [
        vec![key_usage(KeyUsages::KeyCertSign)],
        vec![basic_constraints(false, None), key_usage(KeyUsages::KeyCertSign)],
        vec![
            basic_constraints(true, None),
            key_usage(KeyUsages::DigitalSignature),
        ],
    ];
    for extensions in cases {
        let err = Pki::verify(pki.leaf(), pki.int().extensions(extensions), pki.root()).unwrap_err();
        assert!(
            matches!(&err, X509Error::NotCa { subject, .. } if subject == "CN=Int"),
            "{err:?}"
        );
    }
}

#[test]
fn root_must_be_a_ca_unless_v1() {
    let pki = Pki::new();
    let err = Pki::verify(pki.leaf(), pki.int(), pki.root().extensions(vec![])).unwrap_err();
    assert!(
        matches!(&err, X509Error::NotCa { subject, .. } if subject == "CN=Root"),
        "{err:?}"
    );

    let mut v1_root = pki.root().extensions(vec![]);
    v1_root.version = Version::V1;
    Pki::verify(pki.leaf(), pki.int(), v1_root).unwrap();
}

#[test]
fn path_len_constraint_is_enforced() {
    let pki = Pki::new();
    let err = Pki::verify(
        pki.leaf(),
        pki.int(),
        pki.root().extensions(ca_extensions(Some(0))),
    )
    .unwrap_err();
    assert!(
        matches!(&err, X509Error::PathLenExceeded { subject, path_len: 0, intermediates: 1 }
            if subject == "CN=Root"),
        "{err:?}"
    );
    Pki::verify(
        pki.leaf(),
        pki.int(),
        pki.root().extensions(ca_extensions(Some(1))),
    )
    .unwrap();
    // pathLen 0 on the intermediate still lets it issue the leaf.
    Pki::verify(
        pki.leaf(),
        pki.int().extensions(ca_extensions(Some(0))),
        pki.root(),
    )
    .unwrap();
}

#[test]
fn unknown_critical_extension_is_rejected() {
    let pki = Pki::new();
    let unknown = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.99999.1");
    let mut extensions = leaf_extensions();
    extensions.push(extension(unknown, true, &der::asn1::Null));
    let err = Pki::verify(pki.leaf().extensions(extensions), pki.int(), pki.root()).unwrap_err();
    assert!(
        matches!(&err, X509Error::UnhandledCriticalExtension { subject, extension }
            if subject == "CN=Leaf" && extension.contains("1.3.6.1.4.1.99999.1")),
        "{err:?}"
    );

    let mut extensions = leaf_extensions();
    extensions.push(extension(unknown, false, &der::asn1::Null));
    Pki::verify(pki.leaf().extensions(extensions), pki.int(), pki.root()).unwrap();
}

#[test]
fn name_constraints_are_rejected() {
    let pki = Pki::new();
    let mut extensions = ca_extensions(None);
    extensions.push(extension(
        oid::NAME_CONSTRAINTS,
        false,
        &Vec::<der::asn1::Null>::new(),
    ));
    let err = Pki::verify(pki.leaf(), pki.int().extensions(extensions), pki.root()).unwrap_err();
    assert!(
        matches!(&err, X509Error::UnhandledCriticalExtension { subject, extension }
            if subject == "CN=Int" && extension.contains("2.5.29.30")),
        "{err:?}"
    );
}

#[test]
fn duplicate_extension_is_invalid() {
    let pki = Pki::new();
    let mut extensions = leaf_extensions();
    extensions.push(key_usage(KeyUsages::DigitalSignature));
    let err = Pki::verify(pki.leaf().extensions(extensions), pki.int(), pki.root()).unwrap_err();
    assert!(
        matches!(&err, X509Error::InvalidExtension { subject, .. } if subject == "CN=Leaf"),
        "{err:?}"
    );
}

#[test]
fn expired_anchor_is_rejected() {
    let pki = Pki::new();
    let mut root = pki.root();
    root.years = (2020, 2029);
    let err = Pki::verify(pki.leaf(), pki.int(), root).unwrap_err();
    assert!(
        matches!(&err, X509Error::Expired { subject, .. } if subject == "CN=Root"),
        "{err:?}"
    );
}

#[test]
fn self_signed_leaf_must_itself_be_an_anchor() {
    let pki = Pki::new();
    let leaf = Spec::new("CN=Solo", &pki.signer, "CN=Solo", &pki.signer)
        .extensions(vec![key_usage(KeyUsages::DigitalSignature)])
        .build();
    verify_signing_chain(&leaf, &[], std::slice::from_ref(&leaf), in_2030()).unwrap();
    let err = verify_signing_chain(
        &leaf,
        std::slice::from_ref(&leaf),
        &[pki.root().build()],
        in_2030(),
    )
    .unwrap_err();
    assert!(
        matches!(&err, X509Error::UntrustedSelfSigned { subject } if subject == "CN=Solo"),
        "{err:?}"
    );
}

#[test]
fn chain_ending_at_an_untrusted_root_fails() {
    let pki = Pki::new();
    let other_key = key(8);
    let bundle = [pki.int().build(), pki.root().build()];
    let leaf = pki.leaf().build();

    // Nothing trusted is named "CN=Root": the path ends at the bundle's own root.
    let unrelated = Spec::new("CN=Other", &other_key, "CN=Other", &other_key)
        .extensions(ca_extensions(None))
        .build();
    let err = verify_signing_chain(&leaf, &bundle, &[unrelated], in_2030()).unwrap_err();
    assert!(
        matches!(&err, X509Error::UntrustedSelfSigned { subject } if subject == "CN=Root"),
        "{err:?}"
    );

    // A trusted "CN=Root" with another key: its failed signature check is the furthest failure.
    let impostor = Spec::new("CN=Root", &other_key, "CN=Root", &other_key)
        .extensions(ca_extensions(None))
        .build();
    let err = verify_signing_chain(&leaf, &bundle, &[impostor], in_2030()).unwrap_err();
    assert!(
        matches!(&err, X509Error::BadSignature { subject, issuer, .. } if subject == "CN=Int" && issuer == "CN=Root"),
        "{err:?}"
    );
}

#[test]
fn trusted_leaf_that_is_not_self_signed_needs_its_issuers() {
    let pki = Pki::new();
    let leaf = pki.leaf().build();
    let err = verify_signing_chain(&leaf, &[], std::slice::from_ref(&leaf), in_2030()).unwrap_err();
    assert!(
        matches!(&err, X509Error::IssuerNotFound { issuer, .. } if issuer == "CN=Int"),
        "{err:?}"
    );
    verify_signing_chain(
        &leaf,
        &[pki.int().build()],
        &[leaf.clone(), pki.root().build()],
        in_2030(),
    )
    .unwrap();
}

#[test]
fn backtracking_skips_dead_end_and_wrong_key_candidates() {
    let pki = Pki::new();
    let other_root_key = key(4);
    let wrong_key = key(5);
    // Same name and key as Int, but issued by an untrusted root: a dead end.
    let dead_end = Spec::new("CN=Int", &pki.intermediate, "CN=Other Root", &other_root_key)
        .extensions(ca_extensions(None))
        .build();
    // Same name as Int but another key: the leaf's signature does not verify with it.
    let wrong = Spec::new("CN=Int", &wrong_key, "CN=Root", &pki.root_ca)
        .extensions(ca_extensions(None))
        .build();
    let good = pki.int().build();
    let leaf = pki.leaf().build();
    let root = pki.root().build();
    let intermediates = [dead_end, wrong, good];
    verify_signing_chain(&leaf, &intermediates, std::slice::from_ref(&root), in_2030()).unwrap();

    // Without the good intermediate, the furthest failure (the wrong key) is reported.
    let err = verify_signing_chain(&leaf, &intermediates[..2], &[root], in_2030()).unwrap_err();
    assert!(
        matches!(&err, X509Error::BadSignature { subject, .. } if subject == "CN=Leaf"),
        "{err:?}"
    );
}

#[test]
fn issuer_loop_is_detected() {
    let pki = Pki::new();
    let (a_key, b_key) = (key(6), key(7));
    let a = Spec::new("CN=A", &a_key, "CN=B", &b_key)
        .extensions(ca_extensions(None))
        .build();
    let b = Spec::new("CN=B", &b_key, "CN=A", &a_key)
        .extensions(ca_extensions(None))
        .build();
    let leaf = Spec::new("CN=Leaf", &pki.signer, "CN=A", &a_key)
        .extensions(leaf_extensions())
        .build();
    let err = verify_signing_chain(&leaf, &[a, b], &[pki.root().build()], in_2030()).unwrap_err();
    assert!(
        matches!(&err, X509Error::PathLoop { subject, .. } if subject == "CN=B"),
        "{err:?}"
    );
}

/// Regression corpus of the security review: validity is checked at every level of the path,
/// in both directions, each refusal naming the certificate.
#[test]
fn validity_is_checked_at_every_level() {
    let pki = Pki::new();
    // (level, validity years): expired before 2030, or not valid until after it.
    for (level, years) in [
        ("CN=Leaf", (2020, 2029)),
        ("CN=Leaf", (2031, 2040)),
        ("CN=Int", (2020, 2029)),
        ("CN=Int", (2031, 2040)),
        ("CN=Root", (2020, 2029)),
        ("CN=Root", (2031, 2040)),
    ] {
        let (mut leaf, mut int, mut root) = (pki.leaf(), pki.int(), pki.root());
        match level {
            "CN=Leaf" => leaf.years = years,
            "CN=Int" => int.years = years,
            _ => root.years = years,
        }
        let err = Pki::verify(leaf, int, root).unwrap_err();
        let named = match &err {
            X509Error::Expired { subject, .. } if years.0 < 2030 => subject == level,
            X509Error::NotYetValid { subject, .. } if years.0 > 2030 => subject == level,
            _ => false,
        };
        assert!(named, "{level} {years:?}: {err:?}");
    }
}

/// 400 forged issuers with the intermediate's name (another key, each a distinct certificate):
/// the search is bounded (it gives up, naming the leaf, past its candidate limit) and finds the
/// real issuer among fewer forgeries.
#[test]
fn four_hundred_forged_same_name_issuers() {
    let pki = Pki::new();
    let forger = key(5);
    let mut candidates: Vec<Certificate> = (0..400u64)
        .map(|i| {
            let mut spec =
                Spec::new("CN=Int", &forger, "CN=Root", &pki.root_ca).extensions(ca_extensions(None));
            spec.years = (2025, 2035 + i);
            spec.build()
        })
        .collect();
    let leaf = pki.leaf().build();
    let root = pki.root().build();
    let err = verify_signing_chain(&leaf, &candidates, std::slice::from_ref(&root), in_2030()).unwrap_err();
    assert!(
        matches!(&err, X509Error::PathSearchLimit { subject, .. } | X509Error::BadSignature { subject, .. } if subject == "CN=Leaf"),
        "{err:?}"
    );
    candidates.push(pki.int().build());
    let err = verify_signing_chain(&leaf, &candidates, std::slice::from_ref(&root), in_2030()).unwrap_err();
    assert!(matches!(&err, X509Error::PathSearchLimit { .. }), "{err:?}");
    candidates.drain(..300);
    verify_signing_chain(&leaf, &candidates, &[root], in_2030()).unwrap();
}

/// An issuer with basicConstraints CA but without keyCertSign, or with no extensions at all,
/// may not issue, at either CA level.
#[test]
fn issuers_need_key_cert_sign_at_every_level() {
    let pki = Pki::new();
    let no_sign = vec![
        basic_constraints(true, None),
        key_usage(KeyUsages::DigitalSignature),
    ];
    let err = Pki::verify(pki.leaf(), pki.int().extensions(no_sign.clone()), pki.root()).unwrap_err();
    assert!(
        matches!(&err, X509Error::NotCa { subject, .. } if subject == "CN=Int"),
        "{err:?}"
    );
    let err = Pki::verify(pki.leaf(), pki.int(), pki.root().extensions(no_sign)).unwrap_err();
    assert!(
        matches!(&err, X509Error::NotCa { subject, .. } if subject == "CN=Root"),
        "{err:?}"
    );
}

/// Root "CN=CA0" and `intermediates` CAs "CN=CA1".. each issued by the previous one, plus a leaf.
fn long_chain(intermediates: u8) -> Result<(), X509Error> {
    let keys: Vec<SigningKey> = (0..=intermediates + 1).map(|i| key(10 + i)).collect();
    let names: Vec<String> = (0..=intermediates).map(|i| format!("CN=CA{i}")).collect();
    let root = Spec::new(&names[0], &keys[0], &names[0], &keys[0])
        .extensions(ca_extensions(None))
        .build();
    let cas: Vec<Certificate> = (1..=usize::from(intermediates))
        .map(|i| {
            Spec::new(&names[i], &keys[i], &names[i - 1], &keys[i - 1])
                .extensions(ca_extensions(None))
                .build()
        })
        .collect();
    let last = usize::from(intermediates);
    let leaf = Spec::new("CN=Leaf", &keys[last + 1], &names[last], &keys[last])
        .extensions(leaf_extensions())
        .build();
    verify_signing_chain(&leaf, &cas, &[root], in_2030()).map(|_| ())
}

#[test]
fn path_depth_is_limited_to_ten_issuers() {
    long_chain(9).unwrap();
    let err = long_chain(11).unwrap_err();
    assert!(
        matches!(&err, X509Error::PathTooLong { max_depth: 10, .. }),
        "{err:?}"
    );
}

#[test]
fn ecdsa_with_sha384_and_sha512_verify() {
    let pki = Pki::new();
    for signature_oid in [oid::ECDSA_WITH_SHA384, oid::ECDSA_WITH_SHA512] {
        let mut leaf = pki.leaf();
        leaf.signature_oid = signature_oid;
        Pki::verify(leaf, pki.int(), pki.root()).unwrap();
    }
}

#[test]
fn unsupported_signature_algorithm_is_named() {
    let pki = Pki::new();
    let mut leaf = pki.leaf();
    leaf.signature_oid = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.5");
    let err = Pki::verify(leaf, pki.int(), pki.root()).unwrap_err();
    assert!(
        matches!(&err, X509Error::UnsupportedAlgorithm { subject, algorithm }
            if subject == "CN=Leaf" && algorithm.contains("1.2.840.113549.1.1.5")),
        "{err:?}"
    );
}

#[test]
fn inconsistent_signature_algorithms_fail() {
    let pki = Pki::new();
    let mut leaf = pki.leaf();
    leaf.outer_signature_oid = Some(oid::ECDSA_WITH_SHA384);
    let err = Pki::verify(leaf, pki.int(), pki.root()).unwrap_err();
    assert!(matches!(&err, X509Error::BadSignature { .. }), "{err:?}");
}

/// Deterministic splitmix64 stream, so the test RSA key is the same on every run.
struct TestRng(u64);

impl RngCore for TestRng {
    fn next_u32(&mut self) -> u32 {
        u32::try_from(self.next_u64() >> 32).unwrap()
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            chunk.copy_from_slice(&self.next_u64().to_le_bytes()[..chunk.len()]);
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rsa::rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for TestRng {}

/// RSA root "CN=RSA Root" (self-signed with RSASSA-PSS) issuing a P-256 leaf with RSASSA-PSS.
fn rsa_pss_chain(leaf_salt: usize, leaf_declared_salt: u8) -> Result<(), X509Error> {
    // Key generation is slow in debug builds: make the key once.
    static RSA_KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    let rsa_key = RSA_KEY.get_or_init(|| RsaPrivateKey::new(&mut TestRng(42), 1024).unwrap());
    let rsa_spki = rsa::pkcs8::EncodePublicKey::to_public_key_der(&rsa_key.to_public_key()).unwrap();
    let pss = |salt_len, declared_salt_len| IssuerKey::RsaPss {
        key: rsa_key,
        salt_len,
        declared_salt_len,
    };
    // The EC keys given to `Spec::new` are replaced by the RSA key right after.
    let (placeholder, leaf_key) = (key(1), key(3));
    let mut root =
        Spec::new("CN=RSA Root", &placeholder, "CN=RSA Root", &placeholder).extensions(ca_extensions(None));
    root.spki_der = rsa_spki.into_vec();
    root.issuer_key = pss(32, 32);
    root.signature_oid = oid::RSASSA_PSS;
    let mut leaf = Spec::new("CN=Leaf", &leaf_key, "CN=RSA Root", &placeholder).extensions(leaf_extensions());
    leaf.issuer_key = pss(leaf_salt, leaf_declared_salt);
    leaf.signature_oid = oid::RSASSA_PSS;
    verify_signing_chain(&leaf.build(), &[], &[root.build()], in_2030()).map(|_| ())
}

#[test]
fn rsassa_pss_signatures_verify_with_the_declared_salt_length() {
    rsa_pss_chain(32, 32).unwrap();
    rsa_pss_chain(20, 20).unwrap();
    let err = rsa_pss_chain(32, 20).unwrap_err();
    assert!(
        matches!(&err, X509Error::BadSignature { subject, .. } if subject == "CN=Leaf"),
        "{err:?}"
    );
}

// ---- PEM parsing ----

#[test]
fn pem_ignores_prose_and_other_blocks() {
    let pki = Pki::new();
    let (root, int) = (pki.root().build(), pki.int().build());
    let text = format!(
        "Certificate:\n    Data: -----BEGIN nonsense\n-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n\
         prose\r\n{}between\n{}trailer",
        to_pem(&int).replace('\n', "\r\n"),
        to_pem(&root)
    );
    let certs = parse_pem_certificates(&text).unwrap();
    assert_eq!(certs.len(), 2);
    assert_eq!(certs[0].der(), int.der());
    assert_eq!(certs[1].der(), root.der());
}

#[test]
fn pem_without_certificate_is_an_error() {
    for text in [
        "",
        "just prose",
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
    ] {
        let err = parse_pem_certificates(text).unwrap_err();
        assert!(matches!(err, X509Error::NoCertificate), "{err:?}");
    }
}

#[test]
fn malformed_pem_and_der_are_errors() {
    let pki = Pki::new();
    let good = to_pem(&pki.root().build());
    let truncated = good.replace("-----END CERTIFICATE-----\n", "");
    let err = parse_pem_certificates(&format!("{good}{truncated}")).unwrap_err();
    assert!(
        matches!(
            err,
            X509Error::MalformedPem {
                block: 2,
                source: None,
                ..
            }
        ),
        "{err:?}"
    );

    let bad_base64 = "-----BEGIN CERTIFICATE-----\nMII*\n-----END CERTIFICATE-----\n";
    let err = parse_pem_certificates(bad_base64).unwrap_err();
    assert!(
        matches!(
            err,
            X509Error::MalformedPem {
                block: 1,
                source: Some(_),
                ..
            }
        ),
        "{err:?}"
    );

    let not_der = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    let err = parse_pem_certificates(not_der).unwrap_err();
    assert!(
        matches!(&err, X509Error::MalformedDer { context, .. } if context.contains("#1")),
        "{err:?}"
    );

    let mut trailing = pki.root().build().der().to_vec();
    trailing.push(0);
    let err = Certificate::from_der(&trailing).unwrap_err();
    assert!(matches!(err, X509Error::MalformedDer { .. }), "{err:?}");
}

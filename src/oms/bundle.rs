//! The Sigstore bundle (`model.sig`): written as model_signing writes it (compact JSON, key
//! order `mediaType`, `verificationMaterial`, `dsseEnvelope`), read liberally.

use super::dsse::IN_TOTO_PAYLOAD_TYPE;
use super::{FormatError, field};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Map, Value, json};

pub const MEDIA_TYPE_V0_3: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// The alternative v0.3 spelling some Sigstore clients write.
pub const MEDIA_TYPE_V0_3_ALT: &str = "application/vnd.dev.sigstore.bundle+json;version=0.3";

/// How the signer's identity is conveyed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerificationMaterial {
    /// Key method. `hint` is hex SHA-256 of the PEM SPKI (1.1 and later); legacy bundles carry
    /// the PEM itself (`rawBytes` + `keyDetails`), which is never trusted, only reported.
    PublicKey {
        hint: Option<String>,
        legacy_raw_pem: Option<Vec<u8>>,
    },
    /// Certificate method: leaf first, then the chain as the signer gave it (DER).
    X509CertificateChain(Vec<Vec<u8>>),
    /// Sigstore keyless: a single Fulcio leaf (DER); the rest of the bundle is in `raw`.
    Certificate(Vec<u8>),
}

/// The DSSE envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub payload: Vec<u8>,
    pub payload_type: String,
    /// Raw signature bytes; only the first one is used, as model_signing does.
    pub signatures: Vec<Vec<u8>>,
}

#[derive(Debug, Clone)]
pub struct Bundle {
    pub media_type: String,
    pub material: VerificationMaterial,
    pub envelope: Envelope,
    /// The whole parsed JSON, for the Sigstore verifier (transparency-log material), kept only
    /// for bundles with a single `certificate` (keyless); `Null` otherwise, so a key or chain
    /// signature over 50,000 files is not held twice in memory.
    pub raw: Value,
}

/// `verificationMaterial`: a public key (hint, or legacy raw PEM), a certificate chain, or a
/// single certificate (keyless).
fn parse_material(vm: &Value) -> Result<VerificationMaterial, FormatError> {
    Ok(if let Some(pk) = vm.get("publicKey") {
        let hint = pk.get("hint").and_then(Value::as_str).map(str::to_owned);
        let legacy_raw_pem = match pk.get("rawBytes") {
            Some(r) => Some(b64_field(r, "verificationMaterial.publicKey.rawBytes")?),
            None => None,
        };
        VerificationMaterial::PublicKey { hint, legacy_raw_pem }
    } else if let Some(chain) = vm.get("x509CertificateChain") {
        let certs = chain
            .get("certificates")
            .and_then(Value::as_array)
            .ok_or_else(|| field("verificationMaterial.x509CertificateChain.certificates"))?;
        if certs.is_empty() {
            return Err(FormatError::Invalid {
                field: "verificationMaterial.x509CertificateChain.certificates".into(),
                detail: "empty certificate chain".into(),
            });
        }
        let ders = certs
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let name = format!("verificationMaterial.x509CertificateChain.certificates[{i}].rawBytes");
                b64_field(c.get("rawBytes").ok_or_else(|| field(name.clone()))?, &name)
            })
            .collect::<Result<_, _>>()?;
        VerificationMaterial::X509CertificateChain(ders)
    } else if let Some(cert) = vm.get("certificate") {
        let name = "verificationMaterial.certificate.rawBytes";
        VerificationMaterial::Certificate(b64_field(cert.get("rawBytes").ok_or_else(|| field(name))?, name)?)
    } else {
        return Err(FormatError::Invalid {
            field: "verificationMaterial".into(),
            detail: "no publicKey, x509CertificateChain or certificate".into(),
        });
    })
}

fn b64_field(v: &Value, name: &str) -> Result<Vec<u8>, FormatError> {
    let s = v.as_str().ok_or_else(|| field(name))?;
    B64.decode(s.trim()).map_err(|_| FormatError::Base64 {
        field: name.to_owned(),
    })
}

impl Bundle {
    /// A key- or certificate-method bundle, as model_signing's `sign key|certificate` writes it.
    pub fn new(material: VerificationMaterial, payload: Vec<u8>, signature: Vec<u8>) -> Self {
        let envelope = Envelope {
            payload,
            payload_type: IN_TOTO_PAYLOAD_TYPE.to_owned(),
            signatures: vec![signature],
        };
        Self {
            media_type: MEDIA_TYPE_V0_3.to_owned(),
            material,
            envelope,
            raw: Value::Null,
        }
    }

    /// Parses a signature file. Structural errors name the offending field.
    pub fn parse(bytes: &[u8]) -> Result<Self, FormatError> {
        let raw: Value = serde_json::from_slice(bytes).map_err(FormatError::Json)?;
        let media_type = raw
            .get("mediaType")
            .and_then(Value::as_str)
            .ok_or_else(|| field("mediaType"))?
            .to_owned();
        if media_type != MEDIA_TYPE_V0_3 && media_type != MEDIA_TYPE_V0_3_ALT {
            return Err(FormatError::MediaType(media_type));
        }
        let vm = raw
            .get("verificationMaterial")
            .ok_or_else(|| field("verificationMaterial"))?;
        let material = parse_material(vm)?;
        let env = raw.get("dsseEnvelope").ok_or_else(|| {
            if raw.get("messageSignature").is_some() {
                FormatError::Invalid {
                    field: "dsseEnvelope".into(),
                    detail: "this bundle signs a single artifact (messageSignature), not a model".into(),
                }
            } else {
                field("dsseEnvelope")
            }
        })?;
        let payload = b64_field(
            env.get("payload").ok_or_else(|| field("dsseEnvelope.payload"))?,
            "dsseEnvelope.payload",
        )?;
        let payload_type = env
            .get("payloadType")
            .and_then(Value::as_str)
            .ok_or_else(|| field("dsseEnvelope.payloadType"))?
            .to_owned();
        let sigs = env
            .get("signatures")
            .and_then(Value::as_array)
            .ok_or_else(|| field("dsseEnvelope.signatures"))?;
        let signatures = sigs
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let name = format!("dsseEnvelope.signatures[{i}].sig");
                b64_field(s.get("sig").ok_or_else(|| field(name.clone()))?, &name)
            })
            .collect::<Result<Vec<_>, _>>()?;
        if signatures.is_empty() {
            return Err(FormatError::Invalid {
                field: "dsseEnvelope.signatures".into(),
                detail: "no signature".into(),
            });
        }
        Ok(Self {
            media_type,
            envelope: Envelope {
                payload,
                payload_type,
                signatures,
            },
            raw: if matches!(material, VerificationMaterial::Certificate(_)) {
                raw
            } else {
                Value::Null
            },
            material,
        })
    }

    /// The exact bytes model_signing writes (compact, no trailing newline).
    pub fn to_json(&self) -> Vec<u8> {
        let mut vm = Map::new();
        match &self.material {
            VerificationMaterial::PublicKey { hint, .. } => {
                let mut pk = Map::new();
                if let Some(h) = hint {
                    pk.insert("hint".into(), json!(h));
                }
                vm.insert("publicKey".into(), Value::Object(pk));
            }
            VerificationMaterial::X509CertificateChain(ders) => {
                let certs: Vec<Value> = ders
                    .iter()
                    .map(|d| json!({ "rawBytes": B64.encode(d) }))
                    .collect();
                vm.insert("x509CertificateChain".into(), json!({ "certificates": certs }));
            }
            VerificationMaterial::Certificate(der) => {
                vm.insert("certificate".into(), json!({ "rawBytes": B64.encode(der) }));
            }
        }
        vm.insert("tlogEntries".into(), json!([]));
        let signatures: Vec<Value> = self
            .envelope
            .signatures
            .iter()
            .map(|s| json!({ "sig": B64.encode(s), "keyid": "" }))
            .collect();
        let mut env = Map::new();
        env.insert("payload".into(), json!(B64.encode(&self.envelope.payload)));
        env.insert("payloadType".into(), json!(self.envelope.payload_type));
        env.insert("signatures".into(), Value::Array(signatures));
        let mut top = Map::new();
        top.insert("mediaType".into(), json!(self.media_type));
        top.insert("verificationMaterial".into(), Value::Object(vm));
        top.insert("dsseEnvelope".into(), Value::Object(env));
        serde_json::to_vec(&Value::Object(top)).unwrap_or_default()
    }
}

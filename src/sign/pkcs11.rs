//! Hardware-backed keys: signing on a PKCS#11 token (HSMs, smart cards, cloud HSM modules)
//! named by an RFC 7512 URI, as model_signing reads it. The private key never leaves the token:
//! the token signs the digest (`CKM_ECDSA`, the curve's hash computed here), the raw `r‖s`
//! becomes DER like every other hubsign signature, and the public key is read from the token to
//! write the bundle's hint. The module is loaded at run time (`cryptoki`), so builds need no HSM.
//!
//! The PIN comes from the caller (URI `pin-value`/`pin-source`, a file, an environment
//! variable or a prompt, resolved by the CLI) and never appears in output or errors.

use crate::crypto::ec::{Curve, VerifyingKey};
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use std::fmt;
use std::path::{Path, PathBuf};

/// Directories searched for `module-name=` (model_signing searches the first two).
const MODULE_DIRS: &[&str] = &[
    "/usr/lib64/pkcs11",
    "/usr/lib/pkcs11",
    "/usr/lib/x86_64-linux-gnu/pkcs11",
    "/usr/lib/aarch64-linux-gnu/pkcs11",
    "/usr/local/lib/pkcs11",
];

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Pkcs11Error {
    /// Exit 2.
    #[error("invalid PKCS#11 URI: {0}")]
    Uri(String),
    /// Exit 2.
    #[error(
        "no PKCS#11 module: give module-path= or module-name= in the URI, --pkcs11-module, or PKCS11_MODULE"
    )]
    NoModule,
    /// Exit 2.
    #[error("PKCS#11 module {name:?} not found in {}", MODULE_DIRS.join(", "))]
    ModuleNotFound { name: String },
    /// Exit 2.
    #[error("cannot load PKCS#11 module {path}: {detail}")]
    Load { path: PathBuf, detail: String },
    /// Exit 2.
    #[error("no token matching {wanted} in module {module} (tokens present: {present})")]
    NoToken {
        module: PathBuf,
        wanted: String,
        present: String,
    },
    /// Exit 2: `CKR_PIN_INCORRECT` and friends.
    #[error("wrong PIN for token {token:?} ({rv})")]
    WrongPin { token: String, rv: String },
    /// Exit 2.
    #[error("no private key {wanted} on token {token:?}")]
    NoKey { token: String, wanted: String },
    /// Exit 2.
    #[error("{count} private keys match {wanted} on token {token:?}; name one by object= or id=")]
    AmbiguousKey {
        token: String,
        wanted: String,
        count: usize,
    },
    /// Exit 2.
    #[error("the object {wanted} on token {token:?} is not an EC key (P-256, P-384 or P-521)")]
    NotEc { token: String, wanted: String },
    /// Exit 2.
    #[error("no public key for {wanted} on token {token:?} (needed for the bundle's hint): {detail}")]
    NoPublicKey {
        token: String,
        wanted: String,
        detail: String,
    },
    /// Exit 2.
    #[error(
        "the public key object on token {token:?} does not belong to the private key (the token's signature does not verify with it)"
    )]
    KeyPairMismatch { token: String },
    /// Exit 2: any other PKCS#11 return code, named.
    #[error("PKCS#11 {operation} failed on token {token:?}: {rv}")]
    Call {
        operation: &'static str,
        token: String,
        rv: String,
    },
}

/// An RFC 7512 `pkcs11:` URI, as model_signing reads it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Pkcs11Uri {
    pub token: Option<String>,
    pub object: Option<String>,
    pub id: Option<Vec<u8>>,
    pub slot_id: Option<u64>,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub serial: Option<String>,
    pub module_path: Option<PathBuf>,
    pub module_name: Option<String>,
    pin_value: Option<String>,
    pub pin_source: Option<PathBuf>,
}

impl fmt::Debug for Pkcs11Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs11Uri")
            .field("token", &self.token)
            .field("object", &self.object)
            .field("id", &self.id.as_ref().map(hex::encode))
            .field("slot_id", &self.slot_id)
            .field("module_path", &self.module_path)
            .field("module_name", &self.module_name)
            .field("pin_value", &self.pin_value.as_ref().map(|_| "<redacted>"))
            .field("pin_source", &self.pin_source)
            .finish_non_exhaustive()
    }
}

fn pct_decode(s: &str) -> Result<Vec<u8>, Pkcs11Error> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()))
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| Pkcs11Error::Uri(format!("bad percent-encoding at byte {i}")))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Ok(out)
}

fn pct_string(s: &str, attr: &str) -> Result<String, Pkcs11Error> {
    String::from_utf8(pct_decode(s)?).map_err(|_| Pkcs11Error::Uri(format!("{attr} is not UTF-8")))
}

impl Pkcs11Uri {
    /// Parses `pkcs11:path-attrs[?query-attrs]`. The PIN in `pin-value` is kept, never shown.
    pub fn parse(uri: &str) -> Result<Self, Pkcs11Error> {
        let rest = uri
            .strip_prefix("pkcs11:")
            .ok_or_else(|| Pkcs11Error::Uri("must start with pkcs11:".into()))?;
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let mut u = Self::default();
        let mut seen = std::collections::HashSet::new();
        for attr in path.split(';').chain(query.split('&')).filter(|a| !a.is_empty()) {
            let k = attr.split('=').next().unwrap_or("");
            if !seen.insert(k) {
                return Err(Pkcs11Error::Uri(format!("duplicate attribute {k:?}")));
            }
        }
        for attr in path.split(';').filter(|a| !a.is_empty()) {
            let (k, v) = attr.split_once('=').ok_or_else(|| {
                Pkcs11Error::Uri(format!(
                    "path attribute {k:?} has no value",
                    k = attr.split('=').next().unwrap_or("")
                ))
            })?;
            match k {
                "token" => u.token = Some(pct_string(v, k)?),
                "object" => u.object = Some(pct_string(v, k)?),
                "id" => u.id = Some(pct_decode(v)?),
                "slot-id" => {
                    u.slot_id = Some(
                        v.parse()
                            .map_err(|_| Pkcs11Error::Uri(format!("slot-id {v:?} is not a number")))?,
                    );
                }
                "manufacturer" => u.manufacturer = Some(pct_string(v, k)?),
                "model" => u.model = Some(pct_string(v, k)?),
                "serial" => u.serial = Some(pct_string(v, k)?),
                "type"
                | "library-manufacturer"
                | "library-description"
                | "library-version"
                | "slot-manufacturer"
                | "slot-description" => {}
                other => return Err(Pkcs11Error::Uri(format!("unknown path attribute {other:?}"))),
            }
        }
        for attr in query.split('&').filter(|a| !a.is_empty()) {
            let (k, v) = attr
                .split_once('=')
                .ok_or_else(|| Pkcs11Error::Uri("query attribute without value".into()))?;
            match k {
                "module-path" => {
                    let p = PathBuf::from(pct_string(v, k)?);
                    if !p.is_absolute() {
                        return Err(Pkcs11Error::Uri("module-path must be absolute".into()));
                    }
                    u.module_path = Some(p);
                }
                "module-name" => u.module_name = Some(pct_string(v, k)?),
                "pin-value" => u.pin_value = Some(pct_string(v, k)?),
                "pin-source" => {
                    let v = pct_string(v, k)?;
                    let p = PathBuf::from(v.strip_prefix("file:").unwrap_or(&v));
                    if !p.is_absolute() {
                        return Err(Pkcs11Error::Uri(
                            "pin-source must be an absolute path or file: URI".into(),
                        ));
                    }
                    u.pin_source = Some(p);
                }
                other => return Err(Pkcs11Error::Uri(format!("unknown query attribute {other:?}"))),
            }
        }
        if u.pin_value.is_some() && u.pin_source.is_some() {
            return Err(Pkcs11Error::Uri("pin-value and pin-source together".into()));
        }
        if u.object.is_none() && u.id.is_none() {
            return Err(Pkcs11Error::Uri("name the key with object= or id=".into()));
        }
        Ok(u)
    }

    /// The PIN the URI itself carries (`pin-value`).
    pub fn pin_value(&self) -> Option<&str> {
        self.pin_value.as_deref()
    }

    /// What the key search asks for, for messages (`object="key1" id=01`).
    fn wanted_key(&self) -> String {
        let mut parts = Vec::new();
        if let Some(o) = &self.object {
            parts.push(format!("object={o:?}"));
        }
        if let Some(i) = &self.id {
            parts.push(format!("id={}", hex::encode(i)));
        }
        parts.join(" ")
    }

    fn wanted_token(&self) -> String {
        let mut parts = Vec::new();
        if let Some(t) = &self.token {
            parts.push(format!("token={t:?}"));
        }
        if let Some(s) = self.slot_id {
            parts.push(format!("slot-id={s}"));
        }
        if let Some(s) = &self.serial {
            parts.push(format!("serial={s:?}"));
        }
        if parts.is_empty() {
            "any token".to_owned()
        } else {
            parts.join(" ")
        }
    }

    /// The module to load: `module-path` (a file, or a directory holding `module-name`), else
    /// `module-name` in the usual directories, else `fallback` (`--pkcs11-module`/`PKCS11_MODULE`).
    pub fn module(&self, fallback: Option<&Path>) -> Result<PathBuf, Pkcs11Error> {
        let find_in = |dir: &Path, name: &str| -> Option<PathBuf> {
            let lname = name.to_ascii_lowercase();
            fs_err::read_dir(dir).ok()?.flatten().map(|e| e.path()).find(|p| {
                p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                    let n = n.to_ascii_lowercase();
                    n == lname || n.starts_with(&format!("{lname}."))
                })
            })
        };
        match (&self.module_path, &self.module_name) {
            (Some(p), Some(name)) if p.is_dir() => {
                find_in(p, name).ok_or_else(|| Pkcs11Error::ModuleNotFound { name: name.clone() })
            }
            (Some(p), _) => Ok(p.clone()),
            (None, Some(name)) => MODULE_DIRS
                .iter()
                .find_map(|d| find_in(Path::new(d), name))
                .ok_or_else(|| Pkcs11Error::ModuleNotFound { name: name.clone() }),
            (None, None) => fallback.map(Path::to_path_buf).ok_or(Pkcs11Error::NoModule),
        }
    }
}

fn rv_name(e: &CkError) -> String {
    match e {
        CkError::Pkcs11(rv, _) => format!("CKR_{}", format!("{rv:?}").to_ascii_uppercase()),
        other => other.to_string(),
    }
}

/// A logged-in session on the token and the private key found on it.
pub struct Pkcs11Key {
    _ctx: Pkcs11,
    session: Session,
    key: ObjectHandle,
    public: VerifyingKey,
    token: String,
}

impl fmt::Debug for Pkcs11Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pkcs11Key(token {:?}, {:?})", self.token, self.public)
    }
}

fn ec_params_curve(params: &[u8]) -> Option<Curve> {
    // DER OIDs of the named curves (CKA_EC_PARAMS holds the namedCurve OID).
    const P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
    const P384: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];
    const P521: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23];
    match params {
        P256 => Some(Curve::P256),
        P384 => Some(Curve::P384),
        P521 => Some(Curve::P521),
        _ => None,
    }
}

/// The first slot whose token matches the URI's slot id, label, manufacturer, model, serial.
fn find_token(
    ctx: &Pkcs11,
    uri: &Pkcs11Uri,
    module: &Path,
) -> Result<(cryptoki::slot::Slot, String), Pkcs11Error> {
    let call = |operation: &'static str| {
        move |e: CkError| Pkcs11Error::Call {
            operation,
            token: String::new(),
            rv: rv_name(&e),
        }
    };
    let slots = ctx.get_slots_with_token().map_err(call("C_GetSlotList"))?;
    let mut present = Vec::new();
    for slot in slots {
        let info = ctx.get_token_info(slot).map_err(call("C_GetTokenInfo"))?;
        let label = info.label().trim().to_owned();
        present.push(format!("{label:?} (slot {})", slot.id()));
        let ok = uri.slot_id.is_none_or(|s| s == slot.id())
            && uri.token.as_ref().is_none_or(|t| *t == label)
            && uri
                .manufacturer
                .as_ref()
                .is_none_or(|m| m == info.manufacturer_id().trim())
            && uri.model.as_ref().is_none_or(|m| m == info.model().trim())
            && uri
                .serial
                .as_ref()
                .is_none_or(|s| s == info.serial_number().trim());
        if ok {
            return Ok((slot, label));
        }
    }
    Err(Pkcs11Error::NoToken {
        module: module.to_path_buf(),
        wanted: uri.wanted_token(),
        present: if present.is_empty() {
            "none".into()
        } else {
            present.join(", ")
        },
    })
}

impl Pkcs11Key {
    /// Loads the module, finds the token and the EC private key the URI names, logs in.
    pub fn open(uri: &Pkcs11Uri, module: &Path, pin: &str) -> Result<Self, Pkcs11Error> {
        let ctx = Pkcs11::new(module).map_err(|e| Pkcs11Error::Load {
            path: module.to_path_buf(),
            detail: e.to_string(),
        })?;
        ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
            .map_err(|e| Pkcs11Error::Load {
                path: module.to_path_buf(),
                detail: rv_name(&e),
            })?;
        let call = |operation: &'static str, token: &str| {
            let token = token.to_owned();
            move |e: CkError| Pkcs11Error::Call {
                operation,
                token: token.clone(),
                rv: rv_name(&e),
            }
        };
        // 1. The token: by slot id, label, manufacturer, model, serial.
        let (slot, token) = find_token(&ctx, uri, module)?;
        // 2. Log in (a wrong PIN is its own error, never echoing the PIN).
        let session = ctx.open_ro_session(slot).map_err(call("C_OpenSession", &token))?;
        session
            .login(UserType::User, Some(&AuthPin::from(pin.to_owned())))
            .map_err(|e| match &e {
                CkError::Pkcs11(RvError::PinIncorrect | RvError::PinInvalid | RvError::PinLenRange, _) => {
                    Pkcs11Error::WrongPin {
                        token: token.clone(),
                        rv: rv_name(&e),
                    }
                }
                _ => call("C_Login", &token)(e),
            })?;
        // 3. The private key: class, then label and id as the URI names them.
        let mut template = vec![Attribute::Class(ObjectClass::PRIVATE_KEY)];
        if let Some(o) = &uri.object {
            template.push(Attribute::Label(o.as_bytes().to_vec()));
        }
        if let Some(i) = &uri.id {
            template.push(Attribute::Id(i.clone()));
        }
        let keys = session
            .find_objects(&template)
            .map_err(call("C_FindObjects", &token))?;
        let key = match keys.as_slice() {
            [k] => *k,
            [] => {
                return Err(Pkcs11Error::NoKey {
                    token,
                    wanted: uri.wanted_key(),
                });
            }
            more => {
                return Err(Pkcs11Error::AmbiguousKey {
                    token,
                    wanted: uri.wanted_key(),
                    count: more.len(),
                });
            }
        };
        let not_ec = || Pkcs11Error::NotEc {
            token: token.clone(),
            wanted: uri.wanted_key(),
        };
        let attrs = session
            .get_attributes(
                key,
                &[AttributeType::KeyType, AttributeType::EcParams, AttributeType::Id],
            )
            .map_err(call("C_GetAttributeValue", &token))?;
        let mut key_type = None;
        let mut params = None;
        let mut key_id = None;
        for a in attrs {
            match a {
                Attribute::KeyType(t) => key_type = Some(t),
                Attribute::EcParams(p) => params = Some(p),
                Attribute::Id(i) => key_id = Some(i),
                _ => {}
            }
        }
        if key_type != Some(KeyType::EC) {
            return Err(not_ec());
        }
        let curve = params.as_deref().and_then(ec_params_curve).ok_or_else(not_ec)?;
        // 4. Its public key (for the hint): the public key object with the same id (or label).
        let public = Self::public_key(&session, uri, key_id.as_deref(), curve).map_err(|detail| {
            Pkcs11Error::NoPublicKey {
                token: token.clone(),
                wanted: uri.wanted_key(),
                detail,
            }
        })?;
        Ok(Self {
            _ctx: ctx,
            session,
            key,
            public,
            token,
        })
    }

    fn public_key(
        session: &Session,
        uri: &Pkcs11Uri,
        id: Option<&[u8]>,
        curve: Curve,
    ) -> Result<VerifyingKey, String> {
        let mut template = vec![
            Attribute::Class(ObjectClass::PUBLIC_KEY),
            Attribute::KeyType(KeyType::EC),
        ];
        match (id, &uri.object) {
            (Some(i), _) if !i.is_empty() => template.push(Attribute::Id(i.to_vec())),
            (_, Some(o)) => template.push(Attribute::Label(o.as_bytes().to_vec())),
            _ => return Err("the private key has neither an id nor a label to match".into()),
        }
        let found = session.find_objects(&template).map_err(|e| rv_name(&e))?;
        let handle = *found
            .first()
            .ok_or("no public key object with the same id or label")?;
        let attrs = session
            .get_attributes(handle, &[AttributeType::EcPoint])
            .map_err(|e| rv_name(&e))?;
        let point = attrs
            .into_iter()
            .find_map(|a| match a {
                Attribute::EcPoint(p) => Some(p),
                _ => None,
            })
            .ok_or("the public key object has no CKA_EC_POINT")?;
        VerifyingKey::from_ec_point(curve, &point).map_err(|e| e.to_string())
    }

    pub fn verifying_key(&self) -> VerifyingKey {
        self.public.clone()
    }

    /// ECDSA over `msg` on the token: the curve's hash here, `CKM_ECDSA` there, DER out.
    pub fn sign_der(&self, msg: &[u8]) -> Result<Vec<u8>, Pkcs11Error> {
        let curve = self.public.curve();
        let digest = curve.hash().digest(msg);
        let raw = self
            .session
            .sign(&Mechanism::Ecdsa, self.key, &digest)
            .map_err(|e| Pkcs11Error::Call {
                operation: "C_Sign",
                token: self.token.clone(),
                rv: rv_name(&e),
            })?;
        let der = crate::crypto::ec::raw_signature_to_der(curve, &raw).map_err(|e| Pkcs11Error::Call {
            operation: "C_Sign",
            token: self.token.clone(),
            rv: e.to_string(),
        })?;
        // The public key was found by id or label; make sure it is this key's before a bundle
        // naming it is written (a stale object after a key rotation would make it unverifiable).
        if !self.public.verify_der(msg, &der, curve.hash()).unwrap_or(false) {
            return Err(Pkcs11Error::KeyPairMismatch {
                token: self.token.clone(),
            });
        }
        Ok(der)
    }
}

#[cfg(test)]
mod tests {
    use super::Pkcs11Uri;

    #[test]
    fn uris_as_model_signing_reads_them() {
        let u = Pkcs11Uri::parse(
            "pkcs11:token=hub%20sign;object=key1;id=%01%02?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=1234",
        )
        .unwrap();
        assert_eq!(u.token.as_deref(), Some("hub sign"));
        assert_eq!(u.object.as_deref(), Some("key1"));
        assert_eq!(u.id.as_deref(), Some(&[1u8, 2][..]));
        assert_eq!(u.pin_value(), Some("1234"));
        assert!(!format!("{u:?}").contains("1234"), "the PIN shows in Debug");
        let u = Pkcs11Uri::parse("pkcs11:object=k?pin-source=file:/run/pin&module-name=softhsm2").unwrap();
        assert_eq!(u.pin_source.as_deref(), Some(std::path::Path::new("/run/pin")));
        assert_eq!(u.module_name.as_deref(), Some("softhsm2"));
        for bad in [
            "pkcs:object=k",
            "pkcs11:token=t",
            "pkcs11:object=k?pin-value=1&pin-source=/p",
            "pkcs11:object=k?module-path=relative.so",
            "pkcs11:object=k;slot-id=x",
            "pkcs11:object=k;bogus=1",
            "pkcs11:object=%zz",
            "pkcs11:object=%+1",
            "pkcs11:object=a;object=b",
        ] {
            assert!(Pkcs11Uri::parse(bad).is_err(), "{bad}");
        }
    }
}

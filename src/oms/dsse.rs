//! DSSE pre-authentication encoding (PAE), and the buggy PAE of model_signing v0.2.

use std::fmt::Write as _;

/// The payload type every OMS envelope carries.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// `DSSEv1 <len(type)> <type> <len(payload)> <payload>`: the bytes that are signed.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!("DSSEv1 {} {payload_type} {} ", payload_type.len(), payload.len()).into_bytes();
    out.extend_from_slice(payload);
    out
}

/// The PAE model_signing v0.2 signed by mistake: `DSSEV1` (capital V) and the payload as
/// Python's `repr(bytes)` (`b'...'`), UTF-8 encoded. Only ever used as a verification fallback.
pub fn pae_v0_2_compat(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!("DSSEV1 {} {payload_type} {} ", payload_type.len(), payload.len()).into_bytes();
    out.extend_from_slice(python_bytes_repr(payload).as_bytes());
    out
}

/// Python's `repr()` of a `bytes` object.
fn python_bytes_repr(b: &[u8]) -> String {
    let quote = if b.contains(&b'\'') && !b.contains(&b'"') {
        b'"'
    } else {
        b'\''
    };
    let mut s = String::with_capacity(b.len() + 3);
    s.push('b');
    s.push(char::from(quote));
    for &c in b {
        match c {
            b'\\' => s.push_str("\\\\"),
            b'\t' => s.push_str("\\t"),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            c if c == quote => {
                s.push('\\');
                s.push(char::from(c));
            }
            c if !(0x20..0x7f).contains(&c) => {
                let _ = write!(s, "\\x{c:02x}");
            }
            c => s.push(char::from(c)),
        }
    }
    s.push(char::from(quote));
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn pae_matches_the_dsse_spec_example() {
        assert_eq!(
            super::pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
        );
    }

    #[test]
    fn python_repr_escapes_like_cpython() {
        assert_eq!(super::python_bytes_repr(b"a'b"), "b\"a'b\"");
        assert_eq!(super::python_bytes_repr(b"a'\"b"), "b'a\\'\"b'");
        assert_eq!(
            super::python_bytes_repr(b"{\n \"x\": \"\xc3\xbc\\\"}"),
            "b'{\\n \"x\": \"\\xc3\\xbc\\\\\"}'"
        );
    }
}

//! Finds PEM blocks inside arbitrary text (key files often carry prose, e.g. GnuTLS certtool
//! output before the block).

use base64::Engine as _;
use std::fmt::Write as _;

/// A decoded PEM block.
#[derive(Debug)]
pub struct PemBlock {
    pub label: String,
    pub der: Vec<u8>,
    /// Whether the block carried RFC 1421 headers (`Proc-Type: 4,ENCRYPTED`): legacy OpenSSL encryption.
    pub has_headers: bool,
}

/// Every well-formed PEM block of `text`, in order. Malformed blocks are returned as an error
/// naming their label.
pub fn blocks(text: &str) -> Result<Vec<PemBlock>, String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(begin) = rest.find("-----BEGIN ") {
        let after = &rest[begin + 11..];
        let Some(label_end) = after.find("-----") else {
            break;
        };
        let label = after[..label_end].to_owned();
        let end_marker = format!("-----END {label}-----");
        let body_start = label_end + 5;
        let Some(end) = after[body_start..].find(&end_marker) else {
            return Err(format!("PEM block {label} has no END line"));
        };
        let body = &after[body_start..body_start + end];
        let has_headers = body.lines().any(|l| l.contains(':'));
        let b64: String = body
            .lines()
            .filter(|l| !l.contains(':'))
            .flat_map(|l| l.chars().filter(|c| !c.is_whitespace()))
            .collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(b64.as_bytes())
            .map_err(|e| format!("PEM block {label} is not valid base64: {e}"))?;
        out.push(PemBlock {
            label,
            der,
            has_headers,
        });
        rest = &after[body_start + end + end_marker.len()..];
    }
    Ok(out)
}

/// Formats DER as PEM the way OpenSSL and Python `cryptography` do: 64-column lines, LF endings.
pub fn encode(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    let _ = writeln!(out, "-----END {label}-----");
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_block_after_prose_and_round_trips() {
        let pem = super::encode("PUBLIC KEY", &[1, 2, 3, 4]);
        let text = format!("Public Key Information:\n\tCurve: x\n\n{pem}trailing");
        let blocks = super::blocks(&text).unwrap();
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].label, "PUBLIC KEY");
        assert_eq!(blocks[0].der, [1, 2, 3, 4]);
        assert!(!blocks[0].has_headers);
    }
}

//! The one PEM scanner: finds PEM blocks inside arbitrary text (key and certificate files often
//! carry prose, e.g. `GnuTLS` `certtool` output before and between the blocks) and formats DER as
//! PEM.
//!
//! It only splits text into labelled, base64-decoded blocks; what a block's DER means is for its
//! caller ([`crate::crypto::ec`] for keys, [`crate::crypto::x509`] for certificates).

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

/// Why a PEM block could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PemError {
    /// A `BEGIN` line without the matching `END` line.
    #[error("PEM block {label} has no END line")]
    NoEndLine { label: String },
    /// The body between the `BEGIN` and `END` lines is not base64.
    #[error("PEM block {label} is not valid base64")]
    BadBase64 {
        label: String,
        #[source]
        source: base64::DecodeError,
    },
}

const BEGIN: &str = "-----BEGIN ";
const DASHES: &str = "-----";

/// Every block of `text` whose label `wanted` accepts, in order; blocks with other labels and the
/// text around blocks are skipped without being decoded. The first malformed wanted block ends
/// the iteration with its error.
pub fn blocks_labelled<'a>(
    text: &'a str,
    wanted: impl Fn(&str) -> bool + 'a,
) -> impl Iterator<Item = Result<PemBlock, PemError>> + 'a {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        loop {
            let text = rest?;
            let begin = text.find(BEGIN)?;
            let after_begin = &text[begin + BEGIN.len()..];
            let label = after_begin
                .find(DASHES)
                .map(|end| &after_begin[..end])
                .filter(|label| is_label(label) && wanted(label));
            let Some(label) = label else {
                // Another kind of block, or a "-----BEGIN " inside prose: look past it.
                rest = Some(after_begin);
                continue;
            };
            let body_and_rest = &after_begin[label.len() + DASHES.len()..];
            let end_marker = format!("-----END {label}-----");
            let Some(body_len) = body_and_rest.find(&end_marker) else {
                rest = None;
                return Some(Err(PemError::NoEndLine {
                    label: label.to_owned(),
                }));
            };
            rest = Some(&body_and_rest[body_len + end_marker.len()..]);
            return Some(decode(label, &body_and_rest[..body_len]).inspect_err(|_| rest = None));
        }
    })
}

/// Every block of `text`, in order; the first malformed block is the error.
///
/// # Errors
/// [`PemError`] for a block without `END` line or with a body that is not base64.
pub fn blocks(text: &str) -> Result<Vec<PemBlock>, PemError> {
    blocks_labelled(text, |_| true).collect()
}

/// An RFC 7468 label: printable ASCII without `-` at either end, so a `-----BEGIN ` in prose
/// (followed by anything but a label and five dashes) is not taken for a block.
fn is_label(label: &str) -> bool {
    !label.starts_with(['-', ' '])
        && !label.ends_with(['-', ' '])
        && label.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
}

/// The body of one block: RFC 1421 header lines (`Name: value`) are set aside, the rest is base64
/// with any whitespace.
fn decode(label: &str, body: &str) -> Result<PemBlock, PemError> {
    let has_headers = body.lines().any(|l| l.contains(':'));
    let b64: String = body
        .lines()
        .filter(|l| !l.contains(':'))
        .flat_map(|l| l.chars().filter(|c| !c.is_whitespace()))
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(b64.as_bytes())
        .map_err(|source| PemError::BadBase64 {
            label: label.to_owned(),
            source,
        })?;
    Ok(PemBlock {
        label: label.to_owned(),
        der,
        has_headers,
    })
}

/// Formats DER as PEM the way OpenSSL and Python `cryptography` do: 64-column lines, LF endings.
pub fn encode(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("{BEGIN}{label}{DASHES}\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    let _ = writeln!(out, "-----END {label}{DASHES}");
    out
}

#[cfg(test)]
mod tests {
    use super::{PemError, blocks, blocks_labelled, encode};

    #[test]
    fn finds_block_after_prose_and_round_trips() {
        let pem = encode("PUBLIC KEY", &[1, 2, 3, 4]);
        let text = format!("Public Key Information:\n\tCurve: x\n\n{pem}trailing");
        let blocks = blocks(&text).unwrap();
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].label, "PUBLIC KEY");
        assert_eq!(blocks[0].der, [1, 2, 3, 4]);
        assert!(!blocks[0].has_headers);
    }

    #[test]
    fn unwanted_blocks_are_skipped_undecoded() {
        let text = format!(
            "see -----BEGIN the prose\n-----BEGIN KEY-----\nnot base64!\n-----END KEY-----\n{}{}",
            encode("CERTIFICATE", &[1]),
            encode("CERTIFICATE", &[2]),
        );
        let found: Vec<_> = blocks_labelled(&text, |label| label == "CERTIFICATE")
            .map(|block| block.unwrap().der)
            .collect();
        assert_eq!(found, [vec![1], vec![2]]);
        assert!(matches!(
            blocks(&text).unwrap_err(),
            PemError::BadBase64 { label, .. } if label == "KEY"
        ));
    }

    #[test]
    fn a_malformed_block_ends_the_scan() {
        let text = format!(
            "-----BEGIN KEY-----\nA*A\n-----END KEY-----\n{}",
            encode("KEY", &[1])
        );
        let mut found = blocks_labelled(&text, |_| true);
        assert!(matches!(found.next(), Some(Err(PemError::BadBase64 { .. }))));
        assert!(found.next().is_none());

        let mut found = blocks_labelled("-----BEGIN KEY-----\nAAAA\n", |_| true);
        assert!(matches!(found.next(), Some(Err(PemError::NoEndLine { label })) if label == "KEY"));
        assert!(found.next().is_none());
    }

    #[test]
    fn header_lines_are_set_aside() {
        let text =
            "-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nAQID\n-----END EC PRIVATE KEY-----\n";
        let block = &blocks(text).unwrap()[0];
        assert!(block.has_headers);
        assert_eq!(block.der, [1, 2, 3]);
    }
}

//! Key material: EC keys for DSSE signatures, PEM parsing, and X.509 signing-chain validation.
//!
//! Pure functions over bytes: no file system, no environment, no printing.

pub mod ec;
pub mod pem;
pub mod x509;

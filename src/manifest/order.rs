//! The order model_signing 1.1.1 emits resources in: `PurePosixPath` component tuples compared
//! by code point, then shard start and end compared as integers.
//!
//! Plain string order differs (`a-c < a.b < a/b` as strings, `a/b < a-c < a.b` here), and the
//! order decides the subject digest, so it must be exactly this.

use std::cmp::Ordering;

/// Compares two POSIX relative paths component-wise, as Python compares `PurePosixPath`s.
pub fn compare_paths(a: &str, b: &str) -> Ordering {
    // UTF-8 byte order equals code-point order, which is how Python compares `str`.
    let ca = a.split('/').filter(|c| !c.is_empty() && *c != ".");
    let cb = b.split('/').filter(|c| !c.is_empty() && *c != ".");
    ca.cmp(cb)
}

#[cfg(test)]
mod tests {
    use super::compare_paths;

    #[test]
    fn component_wise_order_matches_python() {
        let mut names = vec!["order/a.b", "order/ü.txt", "order/a-c", "order/a/b", "order/A"];
        names.sort_by(|a, b| compare_paths(a, b));
        assert_eq!(
            names,
            ["order/A", "order/a/b", "order/a-c", "order/a.b", "order/ü.txt"]
        );
    }

    #[test]
    fn plain_string_order_would_differ() {
        let mut names = vec!["order/a/b", "order/a-c", "order/a.b"];
        names.sort_unstable();
        assert_eq!(names, ["order/a-c", "order/a.b", "order/a/b"]);
    }
}

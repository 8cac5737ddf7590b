//! Watching a transfer from the hub's side: how many body bytes of a file it has served, and the
//! "stall a file, then wait until the client is inside it" step that tests of interrupted and racing
//! transfers share.

use std::time::Duration;

use super::{Fault, LocalHub};

impl LocalHub {
    /// Body bytes of successful (2xx) GETs of paths containing `path` handed to connections so far, on
    /// either origin.
    pub fn bytes_sent(&self, path: &str) -> u64 {
        self.requests()
            .iter()
            .filter(|r| r.method == "GET" && r.path.contains(path) && r.status / 100 == 2)
            .map(|r| r.bytes)
            .sum()
    }

    /// From now on, each response body for `path` pauses `duration` once, after `after` bytes
    /// ([`Fault::Stall`]).
    pub fn stall(&self, path: &str, after: u64, duration: Duration) {
        self.inject(Fault::Stall {
            path: path.to_owned(),
            after,
            duration,
        });
    }

    /// Waits until at least `bytes` of `path` were served ([`LocalHub::bytes_sent`]); fails the test
    /// naming `what` after 60 s.
    pub fn wait_until_sent(&self, path: &str, bytes: u64, what: &str) {
        crate::wait_for(what, || self.bytes_sent(path) >= bytes);
    }
}

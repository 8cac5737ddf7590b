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

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use crate::hub::{LocalHub, http};
    use crate::models::{det_bytes, tempdir, write};

    /// `wait_until_sent` returns while the stalled body is still paused, and `bytes_sent` counts
    /// the whole body once it is through.
    #[test]
    fn a_stalled_file_is_waited_for_mid_body_then_counted_whole() {
        let tmp = tempdir();
        let src = tmp.path().join("m");
        write(&src.join("notes.txt"), &det_bytes("notes.txt", 100_000));
        let hub = LocalHub::start();
        hub.add_commit("org/m", &src);
        hub.stall("notes.txt", 1000, Duration::from_secs(2));
        let url = format!("{}/org/m/resolve/main/notes.txt", hub.endpoint());
        let start = Instant::now();
        std::thread::scope(|s| {
            let get = s.spawn(|| http("GET", &url, &[], b""));
            hub.wait_until_sent("notes.txt", 1000, "the first 1000 bytes");
            assert!(
                start.elapsed() < Duration::from_secs(2) && !get.is_finished(),
                "returned only after the stall"
            );
            let r = get.join().unwrap();
            assert_eq!((r.status, r.body.len()), (200, 100_000));
        });
        assert_eq!(hub.bytes_sent("notes.txt"), 100_000);
        assert_eq!(hub.bytes_sent("other.txt"), 0);
    }
}

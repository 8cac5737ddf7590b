//! Progress bars on stderr (indicatif): one per file in flight plus a total with rate and ETA.
//! Hidden when stderr is not a terminal, with --quiet, or in JSON mode.

use crate::progress::Progress;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::HashMap;
use std::sync::Mutex;

pub struct Bars {
    multi: MultiProgress,
    total: ProgressBar,
    files: Mutex<HashMap<usize, ProgressBar>>,
}

impl Bars {
    pub fn new(visible: bool) -> Self {
        let target = if visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let multi = MultiProgress::with_draw_target(target);
        let total = multi.add(ProgressBar::new(0));
        total.set_style(
            ProgressStyle::with_template(
                "{prefix:>9} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        total.set_prefix("total");
        Self {
            multi,
            total,
            files: Mutex::new(HashMap::new()),
        }
    }

    fn with_bar(&self, id: usize, f: impl FnOnce(&ProgressBar)) {
        if let Ok(files) = self.files.lock()
            && let Some(b) = files.get(&id)
        {
            f(b);
        }
    }
}

impl Progress for Bars {
    fn start(&self, _files: usize, bytes: u64) {
        self.total.set_length(bytes);
    }

    fn file_started(&self, id: usize, path: &str, size: u64) {
        let bar = self.multi.add(ProgressBar::new(size));
        bar.set_style(
            ProgressStyle::with_template("{msg:40!} [{bar:20}] {bytes}/{total_bytes} {bytes_per_sec}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_message(path.to_owned());
        if let Ok(mut files) = self.files.lock() {
            files.insert(id, bar);
        }
    }

    fn bytes(&self, id: usize, n: u64) {
        self.total.inc(n);
        self.with_bar(id, |b| b.inc(n));
    }

    fn resumed(&self, id: usize, offset: u64) {
        self.with_bar(id, |b| {
            b.set_message(format!("{} (resumed at {offset})", b.message()));
        });
    }

    fn file_finished(&self, id: usize) {
        if let Ok(mut files) = self.files.lock()
            && let Some(b) = files.remove(&id)
        {
            b.finish_and_clear();
        }
    }

    fn finish(&self) {
        self.total.finish_and_clear();
    }
}

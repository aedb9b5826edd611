//! The live progress bar on standard error: records loaded, then the measured phase's elapsed
//! time (or operations) with the last second's throughput, p99 latency and errors.
//!
//! Drawn only when standard error is a terminal, so piped output and test logs stay clean.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::config::Stop;

/// The progress bar, or nothing when it is not shown.
#[derive(Debug)]
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar drawn on standard error if `enabled` and standard error is a terminal.
    pub fn new(enabled: bool) -> Self {
        let bar = if enabled && std::io::stderr().is_terminal() {
            ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr_with_hz(4))
        } else {
            ProgressBar::hidden()
        };
        Progress { bar }
    }

    fn restyle(&self, template: &str, length: u64) {
        let style = ProgressStyle::with_template(template)
            .expect("the templates are valid")
            .progress_chars("=> ");
        self.bar.set_style(style);
        self.bar.set_length(length);
        self.bar.set_position(0);
    }

    /// Starts the load phase of `items` records.
    pub fn start_load(&self, items: u64) {
        self.restyle(
            "load {bar:30} {human_pos}/{human_len} items  {per_sec}  eta {eta}",
            items,
        );
    }

    /// `items` records are loaded.
    pub fn loaded(&self, items: u64) {
        self.bar.set_position(items);
    }

    /// Starts the measured phase.
    pub fn start_run(&self, stop: Stop) {
        match stop {
            // indicatif's own {duration} is an estimate; the configured one is known.
            Stop::After(duration) => {
                self.restyle("run  {bar:30} {prefix}  {msg}", duration.as_millis() as u64)
            }
            Stop::Operations(ops) => {
                self.restyle("run  {bar:30} {human_pos}/{human_len} ops  {msg}", ops)
            }
        }
    }

    /// The measured phase is at `elapsed` with `operations` done; the last interval ran at
    /// `ops_per_sec` with p99 `p99_us` and `errors` errors in total so far.
    pub fn running(
        &self,
        stop: Stop,
        elapsed: Duration,
        operations: u64,
        ops_per_sec: f64,
        p99_us: u64,
        errors: u64,
    ) {
        let position = match stop {
            Stop::After(duration) => {
                let shown = elapsed.min(duration);
                self.bar.set_prefix(format!(
                    "{:.0}/{:.0} s",
                    shown.as_secs_f64(),
                    duration.as_secs_f64()
                ));
                elapsed.as_millis() as u64
            }
            Stop::Operations(_) => operations,
        };
        self.bar.set_position(position);
        self.bar.set_message(format!(
            "{ops_per_sec:.0} ops/s  p99 {:.2} ms  errors {errors}",
            p99_us as f64 / 1000.0
        ));
    }

    /// Removes the bar before the summary is printed.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

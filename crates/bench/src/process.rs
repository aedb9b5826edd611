//! CPU time and peak memory of a process, read from Linux's `/proc`.
//!
//! On a machine where client and server share cores, throughput depends on how the scheduler
//! splits them; the server's CPU time per operation does not, which makes it the fair figure for
//! comparing servers. It is `utime + stime` of `/proc/PID/stat` (all threads, in clock ticks)
//! sampled before and after the measured phase; peak memory is `VmHWM` of `/proc/PID/status`.

use std::io;
use std::time::Duration;

/// One reading of a process's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessSample {
    /// User plus system CPU time of all its threads so far.
    pub cpu: Duration,
    /// Peak resident set size so far, in bytes.
    pub peak_rss_bytes: u64,
}

/// Why a process could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// `/proc/PID/...` could not be read: no such process, or not Linux.
    #[error("cannot read /proc/{pid}/{file} (is process {pid} running, on Linux?): {source}")]
    Read {
        /// The process id.
        pid: u32,
        /// The file under `/proc/PID`.
        file: &'static str,
        /// What the operating system said.
        source: io::Error,
    },
    /// The file did not have the expected layout.
    #[error("/proc/{pid}/{file} does not have the layout this tool knows")]
    Layout {
        /// The process id.
        pid: u32,
        /// The file under `/proc/PID`.
        file: &'static str,
    },
}

/// Reads the counters of process `pid`.
pub fn sample(pid: u32) -> Result<ProcessSample, ProcessError> {
    let read = |file: &'static str| {
        std::fs::read_to_string(format!("/proc/{pid}/{file}"))
            .map_err(|source| ProcessError::Read { pid, file, source })
    };
    let ticks = cpu_ticks(&read("stat")?).ok_or(ProcessError::Layout { pid, file: "stat" })?;
    let peak_rss_bytes = peak_rss_bytes(&read("status")?).ok_or(ProcessError::Layout {
        pid,
        file: "status",
    })?;
    let per_second = rustix::param::clock_ticks_per_second().max(1);
    let cpu = Duration::from_secs(ticks / per_second)
        + Duration::from_nanos((ticks % per_second) * 1_000_000_000 / per_second);
    Ok(ProcessSample {
        cpu,
        peak_rss_bytes,
    })
}

/// `utime + stime` (fields 14 and 15) from the text of `/proc/PID/stat`, in clock ticks.
fn cpu_ticks(stat: &str) -> Option<u64> {
    // Field 2, the command name, is in parentheses and may itself contain spaces and
    // parentheses: the fields after it start after the last `)`.
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_ascii_whitespace();
    // After the name come field 3 (state) onwards: utime is field 14, the 12th after it.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// `VmHWM` from the text of `/proc/PID/status`, in bytes.
fn peak_rss_bytes(status: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let mut parts = line["VmHWM:".len()..].split_ascii_whitespace();
    let kib: u64 = parts.next()?.parse().ok()?;
    (parts.next()? == "kB").then_some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_a_tricky_command_name() {
        let stat = "4242 (a) b (c)) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 75 0 0 20 0 4 0";
        assert_eq!(cpu_ticks(stat), Some(325));
        assert_eq!(cpu_ticks("4242 (short) S 1"), None);
    }

    #[test]
    fn parses_peak_rss() {
        let status =
            "Name:\tferrodyn\nVmPeak:\t  20000 kB\nVmHWM:\t    5120 kB\nVmRSS:\t 4000 kB\n";
        assert_eq!(peak_rss_bytes(status), Some(5120 * 1024));
        assert_eq!(peak_rss_bytes("Name:\tkernel-thread\n"), None);
    }

    #[test]
    fn reads_this_process_and_sees_cpu_time_grow() {
        let pid = std::process::id();
        let before = sample(pid).unwrap();
        // Spin until the process has used 50 ms more CPU: on a busy machine that takes longer
        // than 50 ms of wall time, so the deadline is generous; a reading that never grows
        // fails.
        let started = std::time::Instant::now();
        let mut spin = 0u64;
        let mut after = sample(pid).unwrap();
        while after.cpu < before.cpu + Duration::from_millis(50)
            && started.elapsed() < Duration::from_secs(20)
        {
            for _ in 0..1_000_000 {
                spin = std::hint::black_box(spin.wrapping_add(1));
            }
            after = sample(pid).unwrap();
        }
        assert!(
            after.cpu >= before.cpu + Duration::from_millis(50),
            "{before:?} {after:?}"
        );
        assert!(after.peak_rss_bytes > 1 << 20);
    }

    #[test]
    fn a_missing_process_is_a_read_error() {
        // Linux process ids never reach u32::MAX (pid_max is at most 2^22).
        assert!(matches!(sample(u32::MAX), Err(ProcessError::Read { .. })));
    }
}

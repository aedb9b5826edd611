//! db_bench: LevelDB's classic workloads against Ferrodyn's engine, fjall and (with the
//! `rocksdb` feature) RocksDB, with the same settings, in one run.
//!
//! ```text
//! cargo bench -p ferrodyn-storage --bench db_bench -- [--num N] [--json]
//!     [--engines ferrodyn,fjall,rocksdb] [--workloads fillseq,fillrandom,...] [--sync]
//!     [--seek-nexts N] [--dir PATH]
//! ```
//!
//! Keys are 16 bytes (a zero-padded decimal number), values 100 random bytes. Workloads:
//! `fillseq` and `fillrandom` write `num` keys into a fresh database (in order; at random, with
//! repeats), `overwrite` writes `num` random keys into the existing one, `readrandom` gets
//! `num` random keys, `readseq` scans every entry, `seekrandom` seeks to `num` random keys and
//! reads `--seek-nexts` entries (default 10) from each. A read workload on an empty database
//! first loads it with an untimed fillseq. Not run unless named: `readmemtable`, `num` gets of
//! random keys of a fresh database just loaded by an untimed fillseq and not flushed, so that
//! every key is in the memtable (`num` must fit in it: 100,000 does). One thread; the real file
//! system in a temporary directory. `--sync` makes every write wait for an fsync and defaults `num` to 10,000.
//!
//! Reported per workload and engine: operations per second, p50 and p99 latency of one
//! operation (for `readseq`, of one entry, timed in groups of 100), and for writing workloads
//! the write amplification: bytes the process handed to `write(2)` (`wchar` of
//! `/proc/self/io`) while the workload ran and while its memtable was then flushed and its
//! compactions finished, divided by the bytes of keys and values written. The same measure is
//! used for every engine; Ferrodyn's own counters are printed beside it.

mod engines;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use engines::{Engine, EngineKind, Settings};
use hdrhistogram::Histogram;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

const KEY_BYTES: usize = 16;
const VALUE_BYTES: usize = 100;

/// The workloads, in the order they run by default.
const WORKLOADS: [&str; 6] = [
    "fillseq",
    "fillrandom",
    "overwrite",
    "readrandom",
    "readseq",
    "seekrandom",
];
/// Workloads run only when named.
const EXTRA_WORKLOADS: [&str; 1] = ["readmemtable"];

struct Args {
    num: u64,
    json: bool,
    engines: Vec<EngineKind>,
    workloads: Vec<String>,
    sync: bool,
    seek_nexts: usize,
    dir: PathBuf,
}

fn usage() -> ! {
    eprintln!(
        "usage: db_bench [--num N] [--json] [--engines {}] [--workloads {}] [--sync] \
         [--seek-nexts N] [--dir PATH]",
        EngineKind::available()
            .iter()
            .map(|e| e.name())
            .collect::<Vec<_>>()
            .join(","),
        WORKLOADS
            .iter()
            .chain(&EXTRA_WORKLOADS)
            .copied()
            .collect::<Vec<_>>()
            .join(",")
    );
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut num = None;
    let mut args = Args {
        num: 0,
        json: false,
        engines: EngineKind::available(),
        workloads: WORKLOADS.iter().map(|w| w.to_string()).collect(),
        sync: false,
        seek_nexts: 10,
        dir: std::env::temp_dir(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| usage());
        match arg.as_str() {
            // `cargo bench` passes this to every bench binary.
            "--bench" => {}
            "--num" => num = Some(value().parse().unwrap_or_else(|_| usage())),
            "--json" => args.json = true,
            "--sync" => args.sync = true,
            "--seek-nexts" => args.seek_nexts = value().parse().unwrap_or_else(|_| usage()),
            "--dir" => args.dir = PathBuf::from(value()),
            "--engines" => {
                args.engines = value()
                    .split(',')
                    .map(|name| {
                        EngineKind::parse(name).unwrap_or_else(|| {
                            eprintln!("unknown or unavailable engine {name:?}");
                            usage()
                        })
                    })
                    .collect()
            }
            "--workloads" => {
                args.workloads = value().split(',').map(str::to_string).collect();
                for w in &args.workloads {
                    if !WORKLOADS.contains(&w.as_str()) && !EXTRA_WORKLOADS.contains(&w.as_str()) {
                        eprintln!("unknown workload {w:?}");
                        usage()
                    }
                }
            }
            _ => usage(),
        }
    }
    args.num = num.unwrap_or(if args.sync { 10_000 } else { 1_000_000 });
    args
}

/// One line of the report.
struct Measurement {
    workload: String,
    engine: &'static str,
    ops_per_sec: f64,
    p50_us: f64,
    p99_us: f64,
    write_amp: f64,
    /// Ferrodyn's own write amplification from its counters, when it applies.
    engine_write_amp: Option<f64>,
}

impl Measurement {
    fn json(&self) -> String {
        format!(
            "{{\"workload\":\"{}\",\"engine\":\"{}\",\"ops_per_sec\":{:.1},\"p50_us\":{:.3},\"p99_us\":{:.3},\"write_amp\":{:.3}}}",
            self.workload, self.engine, self.ops_per_sec, self.p50_us, self.p99_us, self.write_amp
        )
    }
}

fn key(k: u64) -> [u8; KEY_BYTES] {
    let mut out = [0u8; KEY_BYTES];
    out.copy_from_slice(format!("{k:016}").as_bytes());
    out
}

/// Random value bytes: slices of one random buffer, so that making values costs nothing.
struct Values {
    buffer: Vec<u8>,
    position: usize,
}

impl Values {
    fn new(rng: &mut SmallRng) -> Self {
        let mut buffer = vec![0u8; 1 << 20];
        rng.fill(&mut buffer[..]);
        Self {
            buffer,
            position: 0,
        }
    }

    fn next(&mut self) -> &[u8] {
        if self.position + VALUE_BYTES > self.buffer.len() {
            self.position = 0;
        }
        let start = self.position;
        self.position += VALUE_BYTES + 7;
        &self.buffer[start..start + VALUE_BYTES]
    }
}

/// Bytes this process has passed to write-like system calls so far.
fn written_bytes() -> u64 {
    let io = std::fs::read_to_string("/proc/self/io").expect("reading /proc/self/io");
    io.lines()
        .find_map(|line| line.strip_prefix("wchar: "))
        .and_then(|n| n.trim().parse().ok())
        .expect("/proc/self/io has a wchar line")
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000_000, 3).expect("valid histogram bounds")
}

fn record(hist: &mut Histogram<u64>, started: Instant) {
    let nanos = started.elapsed().as_nanos().max(1) as u64;
    hist.saturating_record(nanos);
}

/// Runs one workload on one engine and measures it.
fn run_workload(
    workload: &str,
    engine: &mut Box<dyn Engine>,
    args: &Args,
    rng: &mut SmallRng,
    values: &mut Values,
    loaded: &mut bool,
) -> Measurement {
    let num = args.num;
    let writes = matches!(workload, "fillseq" | "fillrandom" | "overwrite");
    if matches!(workload, "fillseq" | "fillrandom") {
        engine.reset();
        *loaded = false;
    } else if workload == "readmemtable" {
        // A fresh database whose keys all stay in the memtable: loaded, never settled.
        engine.reset();
        for k in 0..num {
            engine.put(&key(k), values.next());
        }
        *loaded = true;
    } else if !writes && !*loaded {
        for k in 0..num {
            engine.put(&key(k), values.next());
        }
        engine.settle();
    }
    let metrics_before = engine.own_write_amp_counters();
    let wchar_before = written_bytes();
    let mut hist = histogram();
    let started = Instant::now();
    let mut ops = 0u64;
    match workload {
        "fillseq" | "fillrandom" | "overwrite" => {
            for i in 0..num {
                let k = if workload == "fillseq" {
                    i
                } else {
                    rng.random_range(0..num)
                };
                let key = key(k);
                let value = values.next();
                let t = Instant::now();
                engine.put(&key, value);
                record(&mut hist, t);
            }
            ops = num;
        }
        "readrandom" | "readmemtable" => {
            let mut found = 0u64;
            for _ in 0..num {
                let key = key(rng.random_range(0..num));
                let t = Instant::now();
                found += u64::from(engine.get(&key));
                record(&mut hist, t);
            }
            ops = num;
            if !args.json {
                eprintln!("  {workload}: {found} of {num} keys found");
            }
        }
        "readseq" => {
            let mut group = Instant::now();
            let mut in_group = 0u32;
            engine.scan(&mut || {
                ops += 1;
                in_group += 1;
                if in_group == 100 {
                    let per_entry = group.elapsed().as_nanos() as u64 / 100;
                    hist.saturating_record_n(per_entry.max(1), 100);
                    in_group = 0;
                    group = Instant::now();
                }
            });
        }
        "seekrandom" => {
            let mut entries = 0u64;
            for _ in 0..num {
                let key = key(rng.random_range(0..num));
                let t = Instant::now();
                entries += engine.seek(&key, args.seek_nexts) as u64;
                record(&mut hist, t);
            }
            ops = num;
            if !args.json {
                eprintln!("  seekrandom: {entries} entries read");
            }
        }
        other => unreachable!("workload {other} was validated"),
    }
    let elapsed = started.elapsed();
    let mut write_amp = 0.0;
    let mut engine_write_amp = None;
    if writes {
        engine.settle();
        let user_bytes = (num as usize * (KEY_BYTES + VALUE_BYTES)) as f64;
        write_amp = (written_bytes() - wchar_before) as f64 / user_bytes;
        if let (Some(before), Some(after)) = (metrics_before, engine.own_write_amp_counters()) {
            let user = (after.0 - before.0) as f64;
            if user > 0.0 {
                engine_write_amp = Some((after.1 - before.1) as f64 / user);
            }
        }
        *loaded = true;
        if let (false, Some(files)) = (args.json, engine.level_files()) {
            eprintln!("  {workload}: files per level once settled: {files:?}");
        }
    }
    Measurement {
        workload: workload.to_string(),
        engine: engine.name(),
        ops_per_sec: ops as f64 / elapsed.as_secs_f64().max(1e-9),
        p50_us: hist.value_at_quantile(0.5) as f64 / 1000.0,
        p99_us: hist.value_at_quantile(0.99) as f64 / 1000.0,
        write_amp,
        engine_write_amp,
    }
}

fn main() {
    let args = parse_args();
    let settings = Settings {
        memtable_bytes: 64 << 20,
        block_cache_bytes: 64 << 20,
        block_bytes: 4 << 10,
        restart_interval: 16,
        bloom_bits_per_key: 10,
        background_threads: 2,
        sync: args.sync,
    };
    if !args.json {
        eprintln!(
            "db_bench: {} keys of {KEY_BYTES} bytes, values of {VALUE_BYTES} bytes, {}; {settings:?}",
            args.num,
            if args.sync {
                "fsync per write"
            } else {
                "no fsync per write"
            },
        );
    }
    let mut results = Vec::new();
    for kind in &args.engines {
        let dir = tempfile::Builder::new()
            .prefix("db_bench-")
            .tempdir_in(&args.dir)
            .expect("creating a temporary directory");
        let mut engine = kind.open(dir.path(), &settings);
        let mut rng = SmallRng::seed_from_u64(301);
        let mut values = Values::new(&mut rng);
        let mut loaded = false;
        for workload in &args.workloads {
            if !args.json {
                eprintln!("{} {workload} ...", kind.name());
            }
            let m = run_workload(
                workload,
                &mut engine,
                &args,
                &mut rng,
                &mut values,
                &mut loaded,
            );
            if args.json {
                println!("{}", m.json());
            }
            results.push(m);
        }
        drop(engine);
        // Give the next engine a quiet machine.
        std::thread::sleep(Duration::from_millis(200));
    }
    if !args.json {
        print_table(&results, &args.workloads);
    }
}

fn print_table(results: &[Measurement], workloads: &[String]) {
    println!(
        "{:<12} {:<9} {:>12} {:>9} {:>9} {:>10}",
        "workload", "engine", "ops/s", "p50 µs", "p99 µs", "write amp"
    );
    for workload in workloads {
        for m in results.iter().filter(|m| &m.workload == workload) {
            let amp = if m.write_amp > 0.0 {
                match m.engine_write_amp {
                    Some(own) => format!("{:.2} ({own:.2} by its counters)", m.write_amp),
                    None => format!("{:.2}", m.write_amp),
                }
            } else {
                "-".to_string()
            };
            println!(
                "{:<12} {:<9} {:>12.0} {:>9.2} {:>9.2} {:>10}",
                m.workload, m.engine, m.ops_per_sec, m.p50_us, m.p99_us, amp
            );
        }
    }
}

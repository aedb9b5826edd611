//! The measured phase: `--concurrency` workers, each with its own connection, run the workload's
//! mix until the duration or the operation count is reached, or Ctrl-C.
//!
//! Each worker loops: choose an operation and a record, send the request(s), record the latency
//! of a success or the type of a failure. Once a second the collector drains every worker's
//! recorder, which gives the timeline (throughput and p99 per second) and the progress bar's
//! figures. On Ctrl-C ([`Interrupt`]) workers finish the request in flight and stop, and the
//! summary is printed as usual.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::client::{CallError, DynamoClient, Endpoint};
use crate::config::{BenchConfig, Stop};
use crate::distribution::KeyChooser;
use crate::interrupt::Interrupt;
use crate::progress::Progress;
use crate::record::{RecordLayout, has_item, version_of};
use crate::recorder::Recorder;
use crate::rng::Rng;
use crate::workload::{MAX_SCAN_LENGTH, Mix, Operation};

/// How often the collector drains the workers' recorders.
const INTERVAL: Duration = Duration::from_secs(1);
/// How long a worker waits after a connection failed, so a dead server is not hammered in a loop.
const RECONNECT_PAUSE: Duration = Duration::from_millis(20);

/// Record numbers known to exist: the loaded ones plus acknowledged inserts.
///
/// Inserts take consecutive numbers; a number becomes readable once it and every number below
/// it have been answered (as YCSB's acknowledged counter), so reads never chase an insert still
/// in flight. A failed insert is answered too: reading it later counts as `ItemNotFound`.
#[derive(Debug)]
pub struct KeySpace {
    readable: AtomicU64,
    /// The next number to insert, and the numbers inserted but not yet answered.
    inserts: Mutex<(u64, BTreeSet<u64>)>,
}

impl KeySpace {
    /// A key space of `loaded` records.
    pub fn new(loaded: u64) -> Self {
        KeySpace {
            readable: AtomicU64::new(loaded),
            inserts: Mutex::new((loaded, BTreeSet::new())),
        }
    }

    /// Records `0..readable()` exist.
    pub fn readable(&self) -> u64 {
        self.readable.load(Ordering::Acquire)
    }

    fn begin_insert(&self) -> u64 {
        let mut inserts = self.inserts.lock().expect("no thread panics holding it");
        let record = inserts.0;
        inserts.0 += 1;
        inserts.1.insert(record);
        record
    }

    fn end_insert(&self, record: u64) {
        let mut inserts = self.inserts.lock().expect("no thread panics holding it");
        inserts.1.remove(&record);
        let readable = inserts.1.first().copied().unwrap_or(inserts.0);
        self.readable.fetch_max(readable, Ordering::AcqRel);
    }
}

/// Everything the workers share.
pub struct Workers {
    endpoint: Arc<Endpoint>,
    layout: Arc<RecordLayout>,
    mix: Mix,
    /// The distribution, cloned into each worker.
    chooser: KeyChooser,
    keys: KeySpace,
    timeout: Duration,
    seed: u64,
    stop: AtomicBool,
    claimed: AtomicU64,
    operations_max: Option<u64>,
    /// Where the run is relative to its table task: [`Phase`] as a number.
    phase: AtomicU8,
}

/// Where the measured phase is relative to a table task: latencies are kept apart for the
/// time before the task began and the time it ran, so the report can compare them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// No task has begun (or none was asked for).
    Before = 0,
    /// The task is running.
    During = 1,
    /// The task is done.
    After = 2,
}

/// One second (or less, at the end) of the measured phase.
#[derive(Debug, Clone)]
pub struct Sample {
    /// Seconds since the phase started, at the end of the interval.
    pub at_secs: f64,
    /// Per operation: successes per second, p99 latency in µs (0 without successes), errors.
    pub operations: Vec<(Operation, f64, u64, u64)>,
    /// All operations: successes per second and p99 latency in µs.
    pub total_ops_per_sec: f64,
    /// p99 latency in µs over all operations.
    pub total_p99_us: u64,
}

/// What the measured phase recorded.
#[derive(Debug)]
pub struct RunOutcome {
    /// Everything recorded, per operation.
    pub recorded: Recorder,
    /// From the first request to the last answer.
    pub elapsed: Duration,
    /// One sample per interval.
    pub timeline: Vec<Sample>,
    /// Whether Ctrl-C ended the phase early.
    pub interrupted: bool,
    /// Operations begun before a table task began (all of them, without a task), and while it
    /// ran.
    pub before_task: Recorder,
    /// See `before_task`.
    pub during_task: Recorder,
    /// Stream records read (the `stream` workload).
    pub stream_records: u64,
}

impl Workers {
    /// Workers running `config`'s workload against `endpoint` over the records of `layout`, of
    /// which `config.items` were loaded.
    pub fn new(config: &BenchConfig, endpoint: Arc<Endpoint>, layout: Arc<RecordLayout>) -> Self {
        let operations_max = match config.stop {
            Stop::Operations(ops) => Some(ops),
            Stop::After(_) => None,
        };
        Workers {
            endpoint,
            layout,
            mix: config.workload.mix(),
            chooser: KeyChooser::new(config.distribution(), config.items),
            keys: KeySpace::new(config.items),
            timeout: config.request_timeout,
            seed: config.seed,
            stop: AtomicBool::new(false),
            claimed: AtomicU64::new(0),
            operations_max,
            phase: AtomicU8::new(Phase::Before as u8),
        }
    }

    /// Ends the measured phase: workers finish the request in flight and stop.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// Whether the measured phase is ending.
    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Marks where the run is relative to its table task, from the next second on.
    pub fn set_phase(&self, phase: Phase) {
        self.phase.store(phase as u8, Ordering::Relaxed);
    }

    /// The endpoint and records the workers use.
    pub fn target(&self) -> (&Arc<Endpoint>, &Arc<RecordLayout>, Duration) {
        (&self.endpoint, &self.layout, self.timeout)
    }

    /// Whether another operation may start.
    fn claim(&self) -> bool {
        if self.stop.load(Ordering::Relaxed) {
            return false;
        }
        match self.operations_max {
            None => true,
            Some(max) => self.claimed.fetch_add(1, Ordering::Relaxed) < max,
        }
    }

    /// Runs `concurrency` workers until `stop`, Ctrl-C, or the operation count.
    pub async fn run(
        self: Arc<Self>,
        concurrency: usize,
        stop: Stop,
        progress: &Progress,
        interrupt: &Interrupt,
    ) -> RunOutcome {
        let operations = self.mix.operations();
        let recorders: Vec<Arc<Mutex<Recorder>>> = (0..concurrency)
            .map(|_| Arc::new(Mutex::new(Recorder::new(&operations))))
            .collect();
        let by_phase: Vec<Arc<Mutex<PhaseRecorders>>> = (0..concurrency)
            .map(|_| {
                Arc::new(Mutex::new([
                    Recorder::new(&operations),
                    Recorder::new(&operations),
                ]))
            })
            .collect();
        progress.start_run(stop);
        let started = Instant::now();
        let mut workers = tokio::task::JoinSet::new();
        for (id, (recorder, phases)) in recorders.iter().zip(&by_phase).enumerate() {
            workers.spawn(worker(
                self.clone(),
                id as u64,
                recorder.clone(),
                phases.clone(),
            ));
        }
        if concurrency == 0 {
            // No clients: the phase lasts until its deadline or until `stop`.
            let shared = self.clone();
            workers.spawn(async move {
                while !shared.stopping() {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            });
        }
        let deadline = match stop {
            Stop::After(duration) => started + duration,
            // Far enough never to fire; the operation count stops the workers.
            Stop::Operations(_) => started + Duration::from_secs(100 * 365 * 86_400),
        };
        let mut collector = Collector::new(&operations, started);
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + INTERVAL, INTERVAL);
        let mut interrupted = false;
        let mut pressed = std::pin::pin!(interrupt.pressed());
        let mut deadline = std::pin::pin!(tokio::time::sleep_until(deadline.into()));
        loop {
            tokio::select! {
                joined = workers.join_next() => match joined {
                    Some(result) => result.expect("workers do not panic"),
                    None => break,
                },
                _ = ticker.tick() => {
                    collector.drain(&recorders);
                    collector.show(progress, stop);
                }
                _ = &mut deadline, if !self.stop.load(Ordering::Relaxed) => {
                    self.stop.store(true, Ordering::Relaxed);
                }
                _ = &mut pressed, if !interrupted => {
                    interrupted = true;
                    self.stop.store(true, Ordering::Relaxed);
                }
            }
        }
        let elapsed = started.elapsed();
        collector.drain(&recorders);
        progress.finish();
        let mut before_task = Recorder::new(&operations);
        let mut during_task = Recorder::new(&operations);
        for phases in &by_phase {
            let phases = phases.lock().expect("no worker panics holding it");
            before_task.add(&phases[0]);
            during_task.add(&phases[1]);
        }
        RunOutcome {
            recorded: collector.total,
            elapsed,
            timeline: collector.timeline,
            interrupted,
            before_task,
            during_task,
            stream_records: 0,
        }
    }
}

/// A worker's latencies of operations begun before a table task, and while it ran.
type PhaseRecorders = [Recorder; 2];

/// Drains the workers' recorders into per-interval samples and the run's total.
struct Collector {
    started: Instant,
    last: Instant,
    interval: Recorder,
    total: Recorder,
    timeline: Vec<Sample>,
}

impl Collector {
    fn new(operations: &[Operation], started: Instant) -> Self {
        Collector {
            started,
            last: started,
            interval: Recorder::new(operations),
            total: Recorder::new(operations),
            timeline: Vec::new(),
        }
    }

    fn drain(&mut self, recorders: &[Arc<Mutex<Recorder>>]) {
        for recorder in recorders {
            let mut recorder = recorder.lock().expect("no worker panics holding it");
            self.interval.add(&recorder);
            recorder.reset();
        }
        let now = Instant::now();
        let seconds = now.duration_since(self.last).as_secs_f64().max(1e-9);
        self.last = now;
        let operations = self
            .interval
            .operations()
            .map(|(op, stats)| {
                let p99 = if stats.successes() > 0 {
                    stats.latency_us.value_at_quantile(0.99)
                } else {
                    0
                };
                (
                    op,
                    stats.successes() as f64 / seconds,
                    p99,
                    stats.failures(),
                )
            })
            .collect();
        let total = self.interval.total();
        let total_p99_us = if total.successes() > 0 {
            total.latency_us.value_at_quantile(0.99)
        } else {
            0
        };
        // A last sliver of an interval would plot as noise; its counts still go to the total.
        if seconds >= 0.25 || self.timeline.is_empty() {
            self.timeline.push(Sample {
                at_secs: now.duration_since(self.started).as_secs_f64(),
                operations,
                total_ops_per_sec: total.successes() as f64 / seconds,
                total_p99_us,
            });
        }
        self.total.add(&self.interval);
        self.interval.reset();
    }

    fn show(&self, progress: &Progress, stop: Stop) {
        let Some(last) = self.timeline.last() else {
            return;
        };
        let total = self.total.total();
        progress.running(
            stop,
            self.started.elapsed(),
            total.successes() + total.failures(),
            last.total_ops_per_sec,
            last.total_p99_us,
            total.failures(),
        );
    }
}

/// Why an operation failed.
enum Failure {
    Call(CallError),
    /// A record known to exist was not found.
    ItemNotFound,
}

impl Failure {
    fn kind(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Failure::Call(error) => error.kind(),
            Failure::ItemNotFound => "ItemNotFound".into(),
        }
    }
}

impl From<CallError> for Failure {
    fn from(error: CallError) -> Self {
        Failure::Call(error)
    }
}

async fn worker(
    shared: Arc<Workers>,
    id: u64,
    recorder: Arc<Mutex<Recorder>>,
    phases: Arc<Mutex<PhaseRecorders>>,
) {
    let mut client = DynamoClient::new(shared.endpoint.clone(), shared.timeout);
    let mut rng = Rng::new(shared.seed ^ (id + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let mut chooser = shared.chooser.clone();
    let mut body = Vec::with_capacity(4096);
    while shared.claim() {
        let operation = shared.mix.choose(&mut rng);
        let phase = shared.phase.load(Ordering::Relaxed);
        let started = Instant::now();
        let outcome = execute(
            &shared,
            operation,
            &mut client,
            &mut chooser,
            &mut rng,
            &mut body,
        )
        .await;
        let latency = started.elapsed();
        let broken = matches!(&outcome, Err(Failure::Call(CallError::Transport(_))));
        {
            let mut recorder = recorder.lock().expect("no worker panics holding it");
            match &outcome {
                Ok(()) => recorder.success(operation, latency),
                Err(failure) => recorder.failure(operation, &failure.kind()),
            }
        }
        if phase < Phase::After as u8 {
            let mut phases = phases.lock().expect("no worker panics holding it");
            let kept = &mut phases[usize::from(phase)];
            match &outcome {
                Ok(()) => kept.success(operation, latency),
                Err(failure) => kept.failure(operation, &failure.kind()),
            }
        }
        if broken {
            tokio::time::sleep(RECONNECT_PAUSE).await;
        }
    }
}

async fn execute(
    shared: &Workers,
    operation: Operation,
    client: &mut DynamoClient,
    chooser: &mut KeyChooser,
    rng: &mut Rng,
    body: &mut Vec<u8>,
) -> Result<(), Failure> {
    let layout = &shared.layout;
    match operation {
        Operation::Read => {
            layout.get_item(body, chooser.next(rng, shared.keys.readable()));
            let response = client.call("GetItem", body).await?;
            if !has_item(response) {
                return Err(Failure::ItemNotFound);
            }
        }
        Operation::Update => {
            layout.update_item(body, chooser.next(rng, shared.keys.readable()), rng);
            client.call("UpdateItem", body).await?;
        }
        Operation::Insert => {
            let record = shared.keys.begin_insert();
            layout.put_item(body, record, rng);
            let outcome = client.call("PutItem", body).await.map(|_| ());
            shared.keys.end_insert(record);
            outcome?;
        }
        Operation::Put => {
            layout.put_item(body, chooser.next(rng, shared.keys.readable()), rng);
            client.call("PutItem", body).await?;
        }
        Operation::Scan => {
            let length = 1 + rng.below(MAX_SCAN_LENGTH);
            layout.scan(body, chooser.next(rng, shared.keys.readable()), length);
            client.call("Scan", body).await?;
        }
        Operation::Query => {
            layout.query(body, chooser.next(rng, shared.keys.readable()));
            client.call("Query", body).await?;
        }
        Operation::ReadModifyWrite => {
            let record = chooser.next(rng, shared.keys.readable());
            layout.get_item(body, record);
            let response = client.call("GetItem", body).await?;
            let version = version_of(response).ok_or(Failure::ItemNotFound)?;
            layout.conditional_update(body, record, rng, version);
            client.call("UpdateItem", body).await?;
        }
        Operation::Load => unreachable!("the load phase is not part of any mix"),
        Operation::GetRecords => unreachable!("the stream workload has its own reader"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inserts_become_readable_only_when_all_below_are_answered() {
        let keys = KeySpace::new(10);
        let first = keys.begin_insert();
        let second = keys.begin_insert();
        assert_eq!((first, second), (10, 11));
        keys.end_insert(second);
        assert_eq!(keys.readable(), 10, "record 10 is still in flight");
        keys.end_insert(first);
        assert_eq!(keys.readable(), 12);
    }
}

//! The load phase: create the table, wait until it is ACTIVE, and write the records with
//! BatchWriteItem.
//!
//! `--concurrency` loaders (32 when it is 0: a table task measured on an idle server) each take the next 25 record numbers and write them
//! in one BatchWriteItem; the `--expired-items` records follow the workload's records. UnprocessedItems (DynamoDB's answer when it accepts only part of a batch) are
//! sent again after an exponential backoff, as DynamoDB's documentation asks; so are batches that
//! fail with a transient error. Every failure is counted in the report; a batch still failing
//! after [`MAX_ATTEMPTS`] attempts ends the run, since measuring a half-loaded table would
//! mislead; so does Ctrl-C, once the batches in flight are answered.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::client::{CallError, DynamoClient, Endpoint};
use crate::config::BenchConfig;
use crate::error::BenchError;
use crate::interrupt::Interrupt;
use crate::progress::Progress;
use crate::record::RecordLayout;
use crate::recorder::Recorder;
use crate::rng::Rng;
use crate::workload::Operation;

/// DynamoDB's limit of put requests in one BatchWriteItem.
pub const BATCH_SIZE: u64 = 25;
/// Attempts at one batch (counting resends of its unprocessed items) before the load fails.
pub const MAX_ATTEMPTS: u32 = 10;
/// The first backoff; each further attempt doubles it, up to [`BACKOFF_MAX`].
const BACKOFF_FIRST: Duration = Duration::from_millis(20);
const BACKOFF_MAX: Duration = Duration::from_secs(2);
/// How long a new table may take to become ACTIVE (DynamoDB takes seconds, emulators less).
const ACTIVE_TIMEOUT: Duration = Duration::from_secs(300);

/// What the load phase did.
#[derive(Debug, Clone)]
pub struct LoadOutcome {
    /// Records written (all of them, or the phase would have failed).
    pub items: u64,
    /// Wall time from the first batch to the last acknowledgement.
    pub elapsed: Duration,
    /// Latencies and errors of the BatchWriteItem calls, under [`Operation::Load`].
    pub batches: Recorder,
    /// Batches re-sent because the server left some of their items unprocessed.
    pub unprocessed_resends: u64,
}

/// Creates the table, failing with [`BenchError::TableExists`] if it exists, and waits until it
/// is ACTIVE.
pub async fn create_table(
    client: &mut DynamoClient,
    layout: &RecordLayout,
) -> Result<(), BenchError> {
    let mut body = Vec::new();
    layout.create_table(&mut body);
    let table = layout.table().to_owned();
    match client.call("CreateTable", &body).await {
        Ok(_) => {}
        Err(CallError::Service { error_type, .. }) if error_type == "ResourceInUseException" => {
            return Err(BenchError::TableExists { table });
        }
        Err(source) => return Err(BenchError::CreateTable { table, source }),
    }
    wait_active(client, layout).await
}

/// Polls DescribeTable until the table is ACTIVE.
pub async fn wait_active(
    client: &mut DynamoClient,
    layout: &RecordLayout,
) -> Result<(), BenchError> {
    let mut body = Vec::new();
    layout.table_only(&mut body);
    let started = Instant::now();
    loop {
        let table = layout.table().to_owned();
        let response = client
            .call("DescribeTable", &body)
            .await
            .map_err(|source| BenchError::DescribeTable {
                table: table.clone(),
                source,
            })?;
        let status = serde_json::from_slice::<Value>(response)
            .ok()
            .and_then(|value| value["Table"]["TableStatus"].as_str().map(str::to_owned))
            .unwrap_or_else(|| "without a status".into());
        if status == "ACTIVE" {
            return Ok(());
        }
        if started.elapsed() > ACTIVE_TIMEOUT {
            return Err(BenchError::NotActive {
                table,
                status,
                waited: started.elapsed(),
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// State the loaders share.
struct Loaders {
    layout: Arc<RecordLayout>,
    items: u64,
    interrupt: Interrupt,
    /// Expired records to write after the `items` records.
    expired_items: u64,
    /// Their time-to-live attribute: an hour before the load began, in epoch seconds.
    expires: u64,
    /// The next batch to write: batches of `items` first, then of `expired_items`.
    next: AtomicU64,
    loaded: AtomicU64,
    unprocessed_resends: AtomicU64,
    /// The first batch that failed for good; loaders stop taking work once it is set.
    failure: Mutex<Option<BatchFailure>>,
}

/// Why a batch of the load phase could not be written.
#[derive(Debug, thiserror::Error)]
pub enum BatchFailure {
    /// The last attempt failed with this error (a non-transient one, or the last of
    /// [`MAX_ATTEMPTS`]).
    #[error(transparent)]
    Call(#[from] CallError),
    /// Every attempt left some items unprocessed.
    #[error("the server left items unprocessed {attempts} times in a row")]
    Unprocessed {
        /// Attempts made.
        attempts: u32,
    },
}

/// Writes records `0..items`, then expired records `0..expired_items`, with `concurrency`
/// loaders (32 if it is 0).
pub async fn load(
    config: &BenchConfig,
    endpoint: Arc<Endpoint>,
    layout: Arc<RecordLayout>,
    progress: &Progress,
    interrupt: &Interrupt,
) -> Result<LoadOutcome, BenchError> {
    let (items, seed) = (config.items, config.seed);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let shared = Arc::new(Loaders {
        layout,
        items,
        interrupt: interrupt.clone(),
        expired_items: config.expired_items,
        expires: now.saturating_sub(3600),
        next: AtomicU64::new(0),
        loaded: AtomicU64::new(0),
        unprocessed_resends: AtomicU64::new(0),
        failure: Mutex::new(None),
    });
    let started = Instant::now();
    let loader_count = match config.concurrency {
        0 => 32,
        n => n,
    };
    let loaders = (0..loader_count as u64).map(|id| {
        let client = DynamoClient::new(endpoint.clone(), config.request_timeout);
        let rng = Rng::new(seed ^ (id + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        tokio::spawn(loader(shared.clone(), client, rng))
    });
    let handles: Vec<_> = loaders.collect();
    let mut ticker = tokio::time::interval(Duration::from_millis(200));
    let mut batches = Recorder::new(&[Operation::Load]);
    for handle in handles {
        let mut handle = std::pin::pin!(handle);
        let recorded = loop {
            tokio::select! {
                joined = &mut handle => break joined.expect("loaders do not panic"),
                _ = ticker.tick() => progress.loaded(shared.loaded.load(Ordering::Relaxed)),
            }
        };
        batches.add(&recorded);
    }
    let elapsed = started.elapsed();
    let loaded = shared.loaded.load(Ordering::Relaxed);
    progress.loaded(loaded);
    if let Some(source) = shared
        .failure
        .lock()
        .expect("no loader panics holding it")
        .take()
    {
        return Err(BenchError::Load {
            table: shared.layout.table().to_owned(),
            loaded,
            source,
        });
    }
    let total = items + config.expired_items;
    if interrupt.is_pressed() && loaded < total {
        return Err(BenchError::Interrupted { loaded });
    }
    assert_eq!(
        loaded, total,
        "every batch was written, or the load failed or was interrupted"
    );
    Ok(LoadOutcome {
        items: total,
        elapsed,
        batches,
        unprocessed_resends: shared.unprocessed_resends.load(Ordering::Relaxed),
    })
}

/// One loader: takes batches until none are left, a batch failed for good, or Ctrl-C.
async fn loader(shared: Arc<Loaders>, mut client: DynamoClient, mut rng: Rng) -> Recorder {
    let mut recorder = Recorder::new(&[Operation::Load]);
    let mut body = Vec::with_capacity(8192);
    loop {
        if shared.interrupt.is_pressed()
            || shared
                .failure
                .lock()
                .expect("no loader panics holding it")
                .is_some()
        {
            break;
        }
        let batch = shared.next.fetch_add(1, Ordering::Relaxed);
        let main_batches = shared.items.div_ceil(BATCH_SIZE);
        let records = if batch < main_batches {
            let first = batch * BATCH_SIZE;
            let records = first..(first + BATCH_SIZE).min(shared.items);
            shared
                .layout
                .batch_write(&mut body, records.clone(), &mut rng);
            records
        } else {
            let first = (batch - main_batches) * BATCH_SIZE;
            if first >= shared.expired_items {
                break;
            }
            let records = first..(first + BATCH_SIZE).min(shared.expired_items);
            shared
                .layout
                .batch_write_expired(&mut body, records.clone(), &mut rng, shared.expires);
            records
        };
        match write_batch(&shared, &mut client, &mut body, &mut recorder).await {
            Ok(()) => {
                shared
                    .loaded
                    .fetch_add(records.end - records.start, Ordering::Relaxed);
            }
            Err(error) => {
                shared
                    .failure
                    .lock()
                    .expect("no loader panics holding it")
                    .get_or_insert(error);
                break;
            }
        }
    }
    recorder
}

/// Sends one batch until all of its items are processed, resending unprocessed items and
/// retrying transient errors with backoff.
async fn write_batch(
    shared: &Loaders,
    client: &mut DynamoClient,
    body: &mut Vec<u8>,
    recorder: &mut Recorder,
) -> Result<(), BatchFailure> {
    let mut backoff = BACKOFF_FIRST;
    for attempt in 1..=MAX_ATTEMPTS {
        let started = Instant::now();
        match client.call("BatchWriteItem", body).await {
            Ok(response) => {
                recorder.success(Operation::Load, started.elapsed());
                match unprocessed_request(response, shared.layout.table()) {
                    None => return Ok(()),
                    Some(rest) => {
                        shared.unprocessed_resends.fetch_add(1, Ordering::Relaxed);
                        *body = rest;
                    }
                }
            }
            Err(error) => {
                recorder.failure(Operation::Load, &error.kind());
                if !error.is_transient() || attempt == MAX_ATTEMPTS {
                    return Err(error.into());
                }
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
    Err(BatchFailure::Unprocessed {
        attempts: MAX_ATTEMPTS,
    })
}

/// The BatchWriteItem body that resends a response's UnprocessedItems, or `None` if every item
/// was processed.
fn unprocessed_request(response: &[u8], table: &str) -> Option<Vec<u8>> {
    // The common case, checked without parsing: nothing left over.
    if response
        .windows(21)
        .any(|window| window == b"\"UnprocessedItems\":{}")
    {
        return None;
    }
    let parsed: Value = serde_json::from_slice(response).ok()?;
    let unprocessed = parsed.get("UnprocessedItems")?.as_object()?;
    if unprocessed
        .values()
        .all(|requests| requests.as_array().is_none_or(Vec::is_empty))
    {
        return None;
    }
    debug_assert!(
        unprocessed.keys().all(|name| name == table),
        "only our table was written"
    );
    let request = serde_json::json!({ "RequestItems": unprocessed });
    Some(serde_json::to_vec(&request).expect("a JSON value always serializes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fully_processed_batches_need_no_resend() {
        assert_eq!(
            unprocessed_request(br#"{"UnprocessedItems":{}}"#, "t"),
            None
        );
        assert_eq!(
            unprocessed_request(br#"{"UnprocessedItems": {}}"#, "t"),
            None
        );
        assert_eq!(
            unprocessed_request(br#"{"UnprocessedItems":{"t":[]}}"#, "t"),
            None
        );
    }

    #[test]
    fn unprocessed_items_become_the_next_request() {
        let response =
            br#"{"UnprocessedItems":{"t":[{"PutRequest":{"Item":{"pk":{"S":"user1"}}}}]}}"#;
        let next = unprocessed_request(response, "t").unwrap();
        let next: Value = serde_json::from_slice(&next).unwrap();
        assert_eq!(
            next["RequestItems"]["t"][0]["PutRequest"]["Item"]["pk"]["S"],
            "user1"
        );
    }
}

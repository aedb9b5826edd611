//! The `stream` workload: a consumer reading the table's stream from its oldest record.
//!
//! ListStreams names the table's latest stream, DescribeStream its shards (following
//! `LastEvaluatedShardId`); one reader per shard takes a TRIM_HORIZON iterator and calls
//! GetRecords with Limit 1000, following `NextShardIterator`, until a page comes back empty (it
//! has caught up with the writers), the shard ends, or the phase's duration or operation count
//! runs out. Each GetRecords is one `get-records` operation of the report; the records it
//! returned are counted, for records per second.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::client::{CallError, DynamoClient, Endpoint};
use crate::config::Stop;
use crate::error::BenchError;
use crate::interrupt::Interrupt;
use crate::record::RecordLayout;
use crate::recorder::Recorder;
use crate::runner::{RunOutcome, Sample};
use crate::workload::Operation;

/// Records asked for per GetRecords, DynamoDB's maximum.
pub const RECORDS_PER_CALL: u32 = 1000;

/// What the readers share.
struct Readers {
    endpoint: Arc<Endpoint>,
    timeout: Duration,
    stream_arn: String,
    deadline: Option<Instant>,
    calls_max: Option<u64>,
    calls: AtomicU64,
    records: AtomicU64,
    interrupt: Interrupt,
}

/// Reads every shard of the stream of `layout`'s table from TRIM_HORIZON.
pub async fn consume(
    endpoint: Arc<Endpoint>,
    layout: &RecordLayout,
    timeout: Duration,
    stop: Stop,
    interrupt: &Interrupt,
) -> Result<RunOutcome, BenchError> {
    let mut admin = DynamoClient::new(endpoint.clone(), timeout);
    let (stream_arn, shards) = find_shards(&mut admin, layout.table()).await?;
    let started = Instant::now();
    let (deadline, calls_max) = match stop {
        Stop::After(duration) => (Some(started + duration), None),
        Stop::Operations(calls) => (None, Some(calls)),
    };
    let shared = Arc::new(Readers {
        endpoint,
        timeout,
        stream_arn,
        deadline,
        calls_max,
        calls: AtomicU64::new(0),
        records: AtomicU64::new(0),
        interrupt: interrupt.clone(),
    });
    let mut readers = tokio::task::JoinSet::new();
    for shard in shards {
        readers.spawn(read_shard(shared.clone(), shard));
    }
    let mut recorded = Recorder::new(&[Operation::GetRecords]);
    while let Some(joined) = readers.join_next().await {
        recorded.add(&joined.expect("readers do not panic"));
    }
    let elapsed = started.elapsed();
    let records = shared.records.load(Ordering::Relaxed);
    let total = recorded.total();
    let seconds = elapsed.as_secs_f64().max(1e-9);
    let p99 = if total.successes() > 0 {
        total.latency_us.value_at_quantile(0.99)
    } else {
        0
    };
    let timeline = vec![Sample {
        at_secs: seconds,
        operations: vec![(
            Operation::GetRecords,
            total.successes() as f64 / seconds,
            p99,
            total.failures(),
        )],
        total_ops_per_sec: total.successes() as f64 / seconds,
        total_p99_us: p99,
    }];
    Ok(RunOutcome {
        before_task: Recorder::new(&[Operation::GetRecords]),
        during_task: Recorder::new(&[Operation::GetRecords]),
        recorded,
        elapsed,
        timeline,
        interrupted: interrupt.is_pressed(),
        stream_records: records,
    })
}

/// The ARN of the table's latest stream and the ids of its shards.
async fn find_shards(
    client: &mut DynamoClient,
    table: &str,
) -> Result<(String, Vec<String>), BenchError> {
    let failed = |reason: String| BenchError::Stream {
        table: table.to_owned(),
        reason,
    };
    let body = format!(r#"{{"TableName":"{table}"}}"#);
    let listed: Value = parse(client.call_streams("ListStreams", body.as_bytes()).await)
        .map_err(|error| failed(format!("ListStreams: {error}")))?;
    let arn = listed["Streams"][0]["StreamArn"]
        .as_str()
        .ok_or_else(|| {
            failed("ListStreams names no stream: create the table with --stream".into())
        })?
        .to_owned();
    let mut shards = Vec::new();
    let mut body = Vec::new();
    loop {
        RecordLayout::stream_only(&mut body, &arn);
        if let Some(last) = shards.last() {
            body.pop();
            body.extend_from_slice(format!(r#","ExclusiveStartShardId":"{last}"}}"#).as_bytes());
        }
        let described: Value = parse(client.call_streams("DescribeStream", &body).await)
            .map_err(|error| failed(format!("DescribeStream: {error}")))?;
        let description = &described["StreamDescription"];
        for shard in description["Shards"].as_array().into_iter().flatten() {
            if let Some(id) = shard["ShardId"].as_str() {
                shards.push(id.to_owned());
            }
        }
        if description["LastEvaluatedShardId"].as_str().is_none() {
            break;
        }
    }
    if shards.is_empty() {
        return Err(failed(format!("stream {arn} has no shards")));
    }
    Ok((arn, shards))
}

/// A response body as JSON; a body that is not JSON is a protocol error of the server.
fn parse(response: Result<&[u8], CallError>) -> Result<Value, String> {
    let body = response.map_err(|error| error.to_string())?;
    serde_json::from_slice(body).map_err(|error| format!("the response is not JSON: {error}"))
}

/// Follows one shard until it is caught up, closed, or the phase ends.
async fn read_shard(shared: Arc<Readers>, shard: String) -> Recorder {
    let mut recorder = Recorder::new(&[Operation::GetRecords]);
    let mut client = DynamoClient::new(shared.endpoint.clone(), shared.timeout);
    let mut body = Vec::new();
    RecordLayout::trim_horizon_iterator(&mut body, &shared.stream_arn, &shard);
    let mut iterator = match parse(client.call_streams("GetShardIterator", &body).await) {
        Ok(response) => match response["ShardIterator"].as_str() {
            Some(iterator) => iterator.to_owned(),
            None => {
                recorder.failure(Operation::GetRecords, "NoShardIterator");
                return recorder;
            }
        },
        Err(_) => {
            recorder.failure(Operation::GetRecords, "GetShardIteratorFailed");
            return recorder;
        }
    };
    while shared.may_call() {
        RecordLayout::get_records(&mut body, &iterator, RECORDS_PER_CALL);
        let started = Instant::now();
        let page = match client.call_streams("GetRecords", &body).await {
            Ok(response) => {
                serde_json::from_slice::<Value>(response).map_err(|_| "NotJson".to_owned())
            }
            Err(error) => Err(error.kind().into_owned()),
        };
        let page = match page {
            Ok(page) => page,
            Err(kind) => {
                recorder.failure(Operation::GetRecords, &kind);
                // Without a next iterator this reader cannot go on.
                break;
            }
        };
        recorder.success(Operation::GetRecords, started.elapsed());
        let count = page["Records"].as_array().map_or(0, Vec::len) as u64;
        shared.records.fetch_add(count, Ordering::Relaxed);
        match page["NextShardIterator"].as_str() {
            Some(next) if count > 0 => iterator = next.to_owned(),
            // Caught up with the writers, or the shard is closed and read to its end.
            _ => break,
        }
    }
    recorder
}

impl Readers {
    fn may_call(&self) -> bool {
        if self.interrupt.is_pressed() || self.deadline.is_some_and(|d| Instant::now() >= d) {
            return false;
        }
        match self.calls_max {
            None => true,
            Some(max) => self.calls.fetch_add(1, Ordering::Relaxed) < max,
        }
    }
}

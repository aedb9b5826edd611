//! A change made to the table while the workload runs (`--add-gsi-after`, `--enable-ttl-after`),
//! and how long the server takes to carry it out.
//!
//! At the given second of the measured phase the task reads the table's ItemCount, makes the
//! call (UpdateTable creating a global secondary index, or UpdateTimeToLive), and polls every
//! 100 ms until the change is done: the index's IndexStatus is ACTIVE (every record is in it),
//! or ItemCount has fallen by `--expired-items` (the sweeper deleted every expired record;
//! exact in Ferrodyn, where ItemCount is exact, so run a workload without inserts). It then
//! ends the measured phase. The workers' latencies are kept apart for operations begun before
//! and during the task ([`Phase`]), so the report can say how much the change slowed the
//! foreground.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::client::{CallError, DynamoClient};
use crate::config::TableTask;
use crate::error::BenchError;
use crate::record::ADDED_INDEX;
use crate::runner::{Phase, Workers};

/// Time between the polls that watch the task.
const POLL: Duration = Duration::from_millis(100);

/// What a table task did, in seconds since the measured phase began.
#[derive(Debug, Clone)]
pub struct TaskOutcome {
    /// The task.
    pub task: TableTask,
    /// When the call was made.
    pub began_s: f64,
    /// Time to live: when DescribeTimeToLive first said ENABLED (the expiry index is filled
    /// and sweeping begins).
    pub enabled_s: Option<f64>,
    /// When the change was seen done; `None` if the phase ended first.
    pub done_s: Option<f64>,
    /// Items the change went through: the table's ItemCount when the index was added, or the
    /// expired records deleted.
    pub items: u64,
}

impl TaskOutcome {
    /// Items per second from the call to done (index backfill), or from ENABLED to done (time
    /// to live: the sweep alone); `None` if it did not finish.
    pub fn items_per_sec(&self) -> Option<f64> {
        let from = match self.task {
            TableTask::AddIndex => self.began_s,
            TableTask::EnableTtl => self.enabled_s?,
        };
        let seconds = self.done_s? - from;
        Some(self.items as f64 / seconds.max(1e-3))
    }
}

/// Runs `task` `after` into the phase that began at `started`, then stops `workers`.
pub async fn run(
    task: TableTask,
    after: Duration,
    expired_items: u64,
    workers: Arc<Workers>,
    started: Instant,
) -> Result<TaskOutcome, BenchError> {
    let failed = |source| BenchError::TableTask {
        task: task.name(),
        source,
    };
    let (endpoint, layout, timeout) = workers.target();
    let mut client = DynamoClient::new(endpoint.clone(), timeout);
    let mut body = Vec::new();
    let at = |instant: Instant| instant.duration_since(started).as_secs_f64();
    tokio::time::sleep_until((started + after).into()).await;
    let mut outcome = TaskOutcome {
        task,
        began_s: at(Instant::now()),
        enabled_s: None,
        done_s: None,
        items: 0,
    };
    if workers.stopping() {
        return Ok(outcome);
    }
    layout.table_only(&mut body);
    let describe_body = body.clone();
    let count_before = item_count(
        &describe(&mut client, &describe_body)
            .await
            .map_err(failed)?,
    );
    match task {
        TableTask::AddIndex => {
            outcome.items = count_before;
            layout.add_index(&mut body);
            client.call("UpdateTable", &body).await.map_err(failed)?;
        }
        TableTask::EnableTtl => {
            outcome.items = expired_items;
            layout.enable_ttl(&mut body);
            client
                .call("UpdateTimeToLive", &body)
                .await
                .map_err(failed)?;
        }
    }
    outcome.began_s = at(Instant::now());
    workers.set_phase(Phase::During);
    while !workers.stopping() {
        tokio::time::sleep(POLL).await;
        let now = Instant::now();
        let table = describe(&mut client, &describe_body)
            .await
            .map_err(failed)?;
        let done = match task {
            TableTask::AddIndex => index_status(&table, ADDED_INDEX) == Some("ACTIVE"),
            TableTask::EnableTtl => {
                if outcome.enabled_s.is_none() {
                    let ttl = client
                        .call("DescribeTimeToLive", &describe_body)
                        .await
                        .map_err(failed)?;
                    let status = serde_json::from_slice::<Value>(ttl).ok().and_then(|v| {
                        v["TimeToLiveDescription"]["TimeToLiveStatus"]
                            .as_str()
                            .map(str::to_owned)
                    });
                    if status.as_deref() == Some("ENABLED") {
                        outcome.enabled_s = Some(at(now));
                    }
                }
                item_count(&table) + expired_items <= count_before
            }
        };
        if done {
            // Time to live is ENABLED by the time its sweep is done, whether or not a poll saw
            // it; the sweep's rate is then taken over the whole time.
            if task == TableTask::EnableTtl {
                outcome.enabled_s.get_or_insert(outcome.began_s);
            }
            outcome.done_s = Some(at(now));
            break;
        }
    }
    workers.set_phase(Phase::After);
    workers.stop();
    Ok(outcome)
}

async fn describe(client: &mut DynamoClient, body: &[u8]) -> Result<Value, CallError> {
    let response = client.call("DescribeTable", body).await?;
    Ok(serde_json::from_slice(response).unwrap_or(Value::Null))
}

fn item_count(table: &Value) -> u64 {
    table["Table"]["ItemCount"].as_u64().unwrap_or(0)
}

/// The IndexStatus of global secondary index `name` in a DescribeTable response.
fn index_status<'a>(table: &'a Value, name: &str) -> Option<&'a str> {
    table["Table"]["GlobalSecondaryIndexes"]
        .as_array()?
        .iter()
        .find(|index| index["IndexName"] == name)?["IndexStatus"]
        .as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_taken_over_the_work_each_task_measures() {
        let backfill = TaskOutcome {
            task: TableTask::AddIndex,
            began_s: 2.0,
            enabled_s: None,
            done_s: Some(4.0),
            items: 1000,
        };
        assert_eq!(backfill.items_per_sec(), Some(500.0));
        let sweep = TaskOutcome {
            task: TableTask::EnableTtl,
            began_s: 2.0,
            enabled_s: Some(3.0),
            done_s: Some(5.0),
            items: 1000,
        };
        assert_eq!(sweep.items_per_sec(), Some(500.0));
        let unfinished = TaskOutcome {
            done_s: None,
            ..sweep
        };
        assert_eq!(unfinished.items_per_sec(), None);
    }

    #[test]
    fn index_status_is_read_from_describe_table() {
        let table = serde_json::json!({"Table": {"ItemCount": 7, "GlobalSecondaryIndexes": [
            {"IndexName": "gsi0", "IndexStatus": "ACTIVE"},
            {"IndexName": "added", "IndexStatus": "CREATING"}
        ]}});
        assert_eq!(index_status(&table, "added"), Some("CREATING"));
        assert_eq!(index_status(&table, "other"), None);
        assert_eq!(item_count(&table), 7);
    }
}

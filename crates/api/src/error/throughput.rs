//! Errors of CreateTable and UpdateTable about provisioned capacity that need the account's
//! quotas or the table's history.

use super::{ApiError, ErrorKind};

impl ApiError {
    /// LimitExceededException for provisioning a table with more capacity units than the
    /// account allows one table (DescribeLimits' `TableMaxReadCapacityUnits` and
    /// `TableMaxWriteCapacityUnits`). `dimension` is `ReadCapacityUnits` or
    /// `WriteCapacityUnits`.
    pub fn capacity_above_table_maximum(
        dimension: &str,
        requested: i64,
        region: &str,
        maximum: i64,
    ) -> Self {
        Self::new(
            ErrorKind::LimitExceeded,
            format!(
                "The requested {dimension}, {requested}, is above the per table maximum for the \
                 account in {region}. Per table maximum: {maximum}. Refer to the Amazon DynamoDB \
                 Developer Guide for current limits and how to request higher limits."
            ),
        )
    }

    /// LimitExceededException for a decrease of provisioned throughput past the daily budget:
    /// four decreases per UTC day, then one more whenever the last was an hour ago. `decreases`
    /// is the number made today; `last` and `next` are the last decrease and the earliest next
    /// one, already written out in words.
    pub fn throughput_decreases_exhausted(decreases: i64, last: &str, next: &str) -> Self {
        Self::new(
            ErrorKind::LimitExceeded,
            format!(
                "Subscriber limit exceeded: Provisioned throughput decreases are limited within a \
                 given UTC day. After the first 4 decreases, each subsequent decrease in the same \
                 UTC day can be performed at most once every 3600 seconds. Number of decreases \
                 today: {decreases}. Last decrease at {last}. Next decrease can be made at {next}."
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_above_table_maximum_names_the_dimension_and_the_region() {
        let error = ApiError::capacity_above_table_maximum(
            "ReadCapacityUnits",
            50_000,
            "us-west-2",
            40_000,
        );
        assert_eq!(error.kind, ErrorKind::LimitExceeded);
        assert_eq!(
            error.message,
            "The requested ReadCapacityUnits, 50000, is above the per table maximum for the \
             account in us-west-2. Per table maximum: 40000. Refer to the Amazon DynamoDB \
             Developer Guide for current limits and how to request higher limits."
        );
    }
}

//! The operations of DynamoDB and DynamoDB Streams, as named by the `X-Amz-Target` header.

use std::fmt;

use crate::error::ApiError;

/// The API a target belongs to: the prefix before the dot in `X-Amz-Target`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    /// `DynamoDB_20120810`.
    DynamoDb,
    /// `DynamoDBStreams_20120810`.
    Streams,
}

impl Service {
    /// The target prefix of this API.
    pub fn target_prefix(self) -> &'static str {
        match self {
            Service::DynamoDb => "DynamoDB_20120810",
            Service::Streams => "DynamoDBStreams_20120810",
        }
    }
}

macro_rules! operations {
    ($($service:ident $variant:ident,)*) => {
        /// An operation, named as in `X-Amz-Target: <prefix>.<Name>`.
        ///
        /// Every operation of the 2012-08-10 DynamoDB and DynamoDB Streams APIs is listed, so the
        /// server can tell an operation it does not serve yet from a name that does not exist;
        /// [`Operation::has_wire_types`] says which ones this crate decodes.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[allow(missing_docs)] // each variant is the operation of the same name
        pub enum Operation {
            $($variant,)*
        }

        impl Operation {
            /// Every operation.
            pub const ALL: &'static [Operation] = &[$(Operation::$variant,)*];

            /// The operation's name (`PutItem`).
            pub fn name(self) -> &'static str {
                match self {
                    $(Operation::$variant => stringify!($variant),)*
                }
            }

            /// The API the operation belongs to.
            pub fn service(self) -> Service {
                match self {
                    $(Operation::$variant => Service::$service,)*
                }
            }

            fn lookup(service: Service, name: &str) -> Option<Operation> {
                match name {
                    $(stringify!($variant) if service == Service::$service => {
                        Some(Operation::$variant)
                    })*
                    _ => None,
                }
            }
        }
    };
}

operations! {
    DynamoDb BatchExecuteStatement,
    DynamoDb BatchGetItem,
    DynamoDb BatchWriteItem,
    DynamoDb CreateBackup,
    DynamoDb CreateGlobalTable,
    DynamoDb CreateTable,
    DynamoDb DeleteBackup,
    DynamoDb DeleteItem,
    DynamoDb DeleteResourcePolicy,
    DynamoDb DeleteTable,
    DynamoDb DescribeBackup,
    DynamoDb DescribeContinuousBackups,
    DynamoDb DescribeContributorInsights,
    DynamoDb DescribeEndpoints,
    DynamoDb DescribeExport,
    DynamoDb DescribeGlobalTable,
    DynamoDb DescribeGlobalTableSettings,
    DynamoDb DescribeImport,
    DynamoDb DescribeKinesisStreamingDestination,
    DynamoDb DescribeLimits,
    DynamoDb DescribeTable,
    DynamoDb DescribeTableReplicaAutoScaling,
    DynamoDb DescribeTimeToLive,
    DynamoDb DisableKinesisStreamingDestination,
    DynamoDb EnableKinesisStreamingDestination,
    DynamoDb ExecuteStatement,
    DynamoDb ExecuteTransaction,
    DynamoDb ExportTableToPointInTime,
    DynamoDb GetItem,
    DynamoDb GetResourcePolicy,
    DynamoDb ImportTable,
    DynamoDb ListBackups,
    DynamoDb ListContributorInsights,
    DynamoDb ListExports,
    DynamoDb ListGlobalTables,
    DynamoDb ListImports,
    DynamoDb ListTables,
    DynamoDb ListTagsOfResource,
    DynamoDb PutItem,
    DynamoDb PutResourcePolicy,
    DynamoDb Query,
    DynamoDb RestoreTableFromBackup,
    DynamoDb RestoreTableToPointInTime,
    DynamoDb Scan,
    DynamoDb TagResource,
    DynamoDb TransactGetItems,
    DynamoDb TransactWriteItems,
    DynamoDb UntagResource,
    DynamoDb UpdateContinuousBackups,
    DynamoDb UpdateContributorInsights,
    DynamoDb UpdateGlobalTable,
    DynamoDb UpdateGlobalTableSettings,
    DynamoDb UpdateItem,
    DynamoDb UpdateKinesisStreamingDestination,
    DynamoDb UpdateTable,
    DynamoDb UpdateTableReplicaAutoScaling,
    DynamoDb UpdateTimeToLive,
    Streams DescribeStream,
    Streams GetRecords,
    Streams GetShardIterator,
    Streams ListStreams,
}

impl Operation {
    /// Whether the operation only reads: running it twice has the effect of running it once.
    pub fn is_read_only(self) -> bool {
        let name = self.name();
        name.starts_with("Get")
            || name.starts_with("Describe")
            || name.starts_with("List")
            || matches!(
                self,
                Operation::Query
                    | Operation::Scan
                    | Operation::BatchGetItem
                    | Operation::TransactGetItems
            )
    }

    /// Parses an `X-Amz-Target` header value. A missing header, a prefix other than the two
    /// APIs', or a name the API does not have is answered by DynamoDB with a bare
    /// UnknownOperationException (HTTP 400, no message); so is this.
    pub fn from_target(target: Option<&str>) -> Result<Operation, ApiError> {
        let (prefix, name) = target
            .and_then(|target| target.split_once('.'))
            .ok_or_else(ApiError::unknown_operation)?;
        let service = match prefix {
            "DynamoDB_20120810" => Service::DynamoDb,
            "DynamoDBStreams_20120810" => Service::Streams,
            _ => return Err(ApiError::unknown_operation()),
        };
        Operation::lookup(service, name).ok_or_else(ApiError::unknown_operation)
    }

    /// The full `X-Amz-Target` value of this operation.
    pub fn target(self) -> String {
        format!("{}.{}", self.service().target_prefix(), self.name())
    }

    /// Whether this crate has request and response types for the operation, i.e. whether
    /// [`crate::decode_request`] accepts it.
    pub fn has_wire_types(self) -> bool {
        matches!(
            self,
            Operation::CreateTable
                | Operation::DescribeTable
                | Operation::ListTables
                | Operation::DeleteTable
                | Operation::UpdateTable
                | Operation::TagResource
                | Operation::UntagResource
                | Operation::ListTagsOfResource
                | Operation::DescribeLimits
                | Operation::DescribeEndpoints
                | Operation::PutItem
                | Operation::GetItem
                | Operation::UpdateItem
                | Operation::DeleteItem
                | Operation::Query
                | Operation::Scan
                | Operation::BatchGetItem
                | Operation::BatchWriteItem
                | Operation::UpdateTimeToLive
                | Operation::DescribeTimeToLive
                | Operation::ListStreams
                | Operation::DescribeStream
                | Operation::GetShardIterator
                | Operation::GetRecords
        )
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn only_operations_that_change_nothing_are_read_only() {
        let read_only: Vec<&str> = Operation::ALL
            .iter()
            .filter(|op| op.is_read_only())
            .map(|op| op.name())
            .filter(|name| !name.starts_with("Describe") && !name.starts_with("List"))
            .collect();
        assert_eq!(
            read_only,
            [
                "BatchGetItem",
                "GetItem",
                "GetResourcePolicy",
                "Query",
                "Scan",
                "TransactGetItems",
                "GetRecords",
                "GetShardIterator",
            ]
        );
        for op in [
            Operation::PutItem,
            Operation::UpdateItem,
            Operation::BatchWriteItem,
        ] {
            assert!(!op.is_read_only(), "{op:?}");
        }
    }

    #[test]
    fn parses_dynamodb_targets() {
        assert_eq!(
            Operation::from_target(Some("DynamoDB_20120810.PutItem")),
            Ok(Operation::PutItem)
        );
        assert_eq!(
            Operation::from_target(Some("DynamoDB_20120810.ListTables")),
            Ok(Operation::ListTables)
        );
    }

    #[test]
    fn parses_streams_targets_only_under_their_prefix() {
        assert_eq!(
            Operation::from_target(Some("DynamoDBStreams_20120810.GetRecords")),
            Ok(Operation::GetRecords)
        );
        assert!(Operation::from_target(Some("DynamoDB_20120810.GetRecords")).is_err());
        assert!(Operation::from_target(Some("DynamoDBStreams_20120810.PutItem")).is_err());
    }

    #[test]
    fn unknown_targets_are_bare_unknown_operation() {
        for target in [
            None,
            Some(""),
            Some("whatever"),
            Some("DynamoDB_20120810.ListTable"),
            Some("DynamoDB_20120810.putitem"),
            Some("DynamoDB_20111205.PutItem"),
            Some("DynamoDB_20120810."),
            Some("DynamoDB_20120810.PutItem.x"),
        ] {
            let error = Operation::from_target(target).unwrap_err();
            assert_eq!(error.kind, ErrorKind::UnknownOperation, "{target:?}");
            assert_eq!(error.message, "");
        }
    }

    #[test]
    fn every_operation_round_trips_through_its_target() {
        for &op in Operation::ALL {
            assert_eq!(Operation::from_target(Some(&op.target())), Ok(op));
        }
        assert_eq!(Operation::PutItem.target(), "DynamoDB_20120810.PutItem");
        assert_eq!(Operation::ALL.len(), 61);
    }
}

//! DynamoDB's errors: their `__type` strings, HTTP statuses and JSON bodies.
//!
//! Every error this server answers with is an [`ApiError`]: an [`ErrorKind`] (which fixes the
//! `__type`, the HTTP status and the capitalisation of the message field) and a message. This
//! module is the one place that knows how DynamoDB spells them; the HTTP layer only calls
//! [`ApiError::http_status`] and [`ApiError::to_json`].
//!
//! The constructors are grouped by the part of the API that answers with them: this file has
//! the general ones and those of tables and items; `index`, `stream` and
//! `time_to_live` the ones the engine needs for secondary indexes, DynamoDB Streams and
//! time to live. Every message is DynamoDB's where it is known; the few that are ours say so.

mod index;
mod stream;
mod throughput;
mod time_to_live;

use std::fmt;

use ferrodyn_model::Item;
use serde::Serialize;

/// The kind of a DynamoDB error. Each kind has a fixed `__type` (the namespace differs between
/// the request-processing framework's errors and DynamoDB's own), an HTTP status and the name
/// of the message member in the JSON body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// A parameter failed validation. Nothing was changed; the same request fails again.
    Validation,
    /// The body is not valid JSON, or a member has the wrong JSON type. Nothing was changed.
    Serialization,
    /// `X-Amz-Target` names no operation of this service. Nothing was changed.
    UnknownOperation,
    /// The request carries no `Authorization` header (nor presigned query parameters).
    MissingAuthenticationToken,
    /// The `Authorization` header lacks a component or is malformed.
    IncompleteSignature,
    /// The signature does not verify, or the request is signed twice.
    InvalidSignature,
    /// The access key or security token is not known.
    UnrecognizedClient,
    /// The caller may not perform the operation on the resource.
    AccessDenied,
    /// Too many control-plane requests; retrying later is safe.
    Throttling,
    /// The table (or other resource) does not exist or is not `ACTIVE` yet.
    ResourceNotFound,
    /// The resource is being created, deleted or updated, or already exists.
    ResourceInUse,
    /// A condition evaluated to false; the item was not changed. May carry the item as it is
    /// (`ReturnValuesOnConditionCheckFailure=ALL_OLD`).
    ConditionalCheckFailed,
    /// The table's provisioned throughput was exceeded; retrying with backoff is safe.
    ProvisionedThroughputExceeded,
    /// An item collection (one partition key with local indexes) exceeded 10 GB.
    ItemCollectionSizeLimitExceeded,
    /// Too many concurrent control-plane operations, or a per-account limit was reached.
    LimitExceeded,
    /// The account's request rate limit was exceeded; retrying with backoff is safe.
    RequestLimitExceeded,
    /// Another transaction is in progress on an item of this request; retrying is safe.
    TransactionConflict,
    /// A transaction was cancelled; `CancellationReasons` says why, per item.
    TransactionCanceled,
    /// A transaction with the same client token is still in progress.
    TransactionInProgress,
    /// A client token was reused with different parameters.
    IdempotentParameterMismatch,
    /// The server failed; the request may or may not have been applied.
    InternalServerError,
    /// The node cannot serve the request now (for example it has no quorum); retrying is safe.
    ServiceUnavailable,
    /// DynamoDB Streams: the shard iterator is older than 15 minutes. Nothing was read; ask
    /// GetShardIterator for a new one.
    ExpiredIterator,
    /// DynamoDB Streams: the records asked for are older than the stream keeps (24 hours).
    /// Nothing was read; start again from `TRIM_HORIZON`.
    TrimmedDataAccess,
}

impl ErrorKind {
    /// Every kind, for tests and documentation.
    pub const ALL: [ErrorKind; 24] = [
        ErrorKind::Validation,
        ErrorKind::Serialization,
        ErrorKind::UnknownOperation,
        ErrorKind::MissingAuthenticationToken,
        ErrorKind::IncompleteSignature,
        ErrorKind::InvalidSignature,
        ErrorKind::UnrecognizedClient,
        ErrorKind::AccessDenied,
        ErrorKind::Throttling,
        ErrorKind::ResourceNotFound,
        ErrorKind::ResourceInUse,
        ErrorKind::ConditionalCheckFailed,
        ErrorKind::ProvisionedThroughputExceeded,
        ErrorKind::ItemCollectionSizeLimitExceeded,
        ErrorKind::LimitExceeded,
        ErrorKind::RequestLimitExceeded,
        ErrorKind::TransactionConflict,
        ErrorKind::TransactionCanceled,
        ErrorKind::TransactionInProgress,
        ErrorKind::IdempotentParameterMismatch,
        ErrorKind::InternalServerError,
        ErrorKind::ServiceUnavailable,
        ErrorKind::ExpiredIterator,
        ErrorKind::TrimmedDataAccess,
    ];

    /// The short name, as SDKs report it (`ValidationException`, `InternalServerError`, ...).
    pub fn name(self) -> &'static str {
        let full = self.type_name();
        full.rsplit_once('#').map_or(full, |(_, name)| name)
    }

    /// The `__type` member of the error body, with DynamoDB's namespace for this kind.
    pub fn type_name(self) -> &'static str {
        match self {
            ErrorKind::Validation => "com.amazon.coral.validate#ValidationException",
            ErrorKind::Serialization => "com.amazon.coral.service#SerializationException",
            ErrorKind::UnknownOperation => "com.amazon.coral.service#UnknownOperationException",
            ErrorKind::MissingAuthenticationToken => {
                "com.amazon.coral.service#MissingAuthenticationTokenException"
            }
            ErrorKind::IncompleteSignature => {
                "com.amazon.coral.service#IncompleteSignatureException"
            }
            ErrorKind::InvalidSignature => "com.amazon.coral.service#InvalidSignatureException",
            ErrorKind::UnrecognizedClient => "com.amazon.coral.service#UnrecognizedClientException",
            ErrorKind::AccessDenied => "com.amazon.coral.service#AccessDeniedException",
            ErrorKind::Throttling => "com.amazon.coral.availability#ThrottlingException",
            ErrorKind::ResourceNotFound => {
                "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"
            }
            ErrorKind::ResourceInUse => "com.amazonaws.dynamodb.v20120810#ResourceInUseException",
            ErrorKind::ConditionalCheckFailed => {
                "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"
            }
            ErrorKind::ProvisionedThroughputExceeded => {
                "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"
            }
            ErrorKind::ItemCollectionSizeLimitExceeded => {
                "com.amazonaws.dynamodb.v20120810#ItemCollectionSizeLimitExceededException"
            }
            ErrorKind::LimitExceeded => "com.amazonaws.dynamodb.v20120810#LimitExceededException",
            ErrorKind::RequestLimitExceeded => {
                "com.amazonaws.dynamodb.v20120810#RequestLimitExceeded"
            }
            ErrorKind::TransactionConflict => {
                "com.amazonaws.dynamodb.v20120810#TransactionConflictException"
            }
            ErrorKind::TransactionCanceled => {
                "com.amazonaws.dynamodb.v20120810#TransactionCanceledException"
            }
            ErrorKind::TransactionInProgress => {
                "com.amazonaws.dynamodb.v20120810#TransactionInProgressException"
            }
            ErrorKind::IdempotentParameterMismatch => {
                "com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException"
            }
            ErrorKind::InternalServerError => {
                "com.amazonaws.dynamodb.v20120810#InternalServerError"
            }
            ErrorKind::ServiceUnavailable => {
                "com.amazon.coral.availability#ServiceUnavailableException"
            }
            // DynamoDB Streams answers in DynamoDB's namespace; SDKs read the part after '#'.
            ErrorKind::ExpiredIterator => {
                "com.amazonaws.dynamodb.v20120810#ExpiredIteratorException"
            }
            ErrorKind::TrimmedDataAccess => {
                "com.amazonaws.dynamodb.v20120810#TrimmedDataAccessException"
            }
        }
    }

    /// The HTTP status DynamoDB answers with: 400 for every client error, 500 for an internal
    /// failure, 503 when the service is unavailable.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorKind::InternalServerError => 500,
            ErrorKind::ServiceUnavailable => 503,
            _ => 400,
        }
    }

    /// The name of the message member in the body. DynamoDB's service model spells it
    /// `message` for most errors but `Message` for a few, and the request framework's
    /// SerializationException and AccessDeniedException use `Message` too. The SDKs read
    /// either spelling.
    pub fn message_member(self) -> &'static str {
        match self {
            ErrorKind::Serialization
            | ErrorKind::AccessDenied
            | ErrorKind::TransactionCanceled
            | ErrorKind::TransactionInProgress
            | ErrorKind::IdempotentParameterMismatch => "Message",
            _ => "message",
        }
    }

    /// Whether a client may retry the same request and expect it to succeed eventually.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            ErrorKind::Throttling
                | ErrorKind::ProvisionedThroughputExceeded
                | ErrorKind::RequestLimitExceeded
                | ErrorKind::TransactionConflict
                | ErrorKind::TransactionInProgress
                | ErrorKind::LimitExceeded
                | ErrorKind::InternalServerError
                | ErrorKind::ServiceUnavailable
        )
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why one operation of a cancelled transaction failed (`CancellationReasons` member).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CancellationReason {
    /// The item as it was, when the caller asked for it (`ReturnValuesOnConditionCheckFailure`).
    #[serde(rename = "Item", skip_serializing_if = "Option::is_none")]
    pub item: Option<Item>,
    /// `None`, `ConditionalCheckFailed`, `ItemCollectionSizeLimitExceeded`,
    /// `TransactionConflict`, `ProvisionedThroughputExceeded`, `ThrottlingError` or
    /// `ValidationError`.
    #[serde(rename = "Code")]
    pub code: String,
    /// The message of that failure, absent for `None`.
    #[serde(rename = "Message", skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// What some errors carry besides their message.
#[derive(Debug, Clone, PartialEq)]
pub enum ErrorDetail {
    /// ConditionalCheckFailedException: the item as it was, when the request asked for it with
    /// `ReturnValuesOnConditionCheckFailure=ALL_OLD` and the item exists.
    Item(Item),
    /// TransactionCanceledException: one reason per operation of the transaction, in order.
    CancellationReasons(Vec<CancellationReason>),
}

/// An error answered to the client: DynamoDB's error type and its message.
///
/// An empty `message` is left out of the body entirely, as DynamoDB does for
/// UnknownOperationException and for a body that is not JSON at all.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct ApiError {
    /// Which error this is.
    pub kind: ErrorKind,
    /// The message, exactly as DynamoDB words it.
    pub message: String,
    /// What the error carries besides its message (boxed: errors are rare, results are not).
    pub detail: Option<Box<ErrorDetail>>,
}

/// `Result` with an [`ApiError`].
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ApiError {
            kind,
            message: message.into(),
            detail: None,
        }
    }

    /// A ValidationException.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Validation, message)
    }

    /// A SerializationException. An empty message is omitted from the body.
    pub fn serialization(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Serialization, message)
    }

    /// What DynamoDB answers when `X-Amz-Target` is missing or names no operation: the type
    /// alone, with no message.
    pub fn unknown_operation() -> Self {
        Self::new(ErrorKind::UnknownOperation, "")
    }

    /// What DynamoDB answers for a body that does not parse as JSON: the type alone.
    pub fn malformed_json() -> Self {
        Self::new(ErrorKind::Serialization, "")
    }

    /// ResourceNotFoundException for a data-plane operation on a missing (or not yet
    /// `ACTIVE`) table.
    pub fn resource_not_found() -> Self {
        Self::new(ErrorKind::ResourceNotFound, "Requested resource not found")
    }

    /// ResourceNotFoundException naming the table, as DescribeTable, DeleteTable and
    /// UpdateTable word it.
    pub fn table_not_found(table_name: &str) -> Self {
        Self::new(
            ErrorKind::ResourceNotFound,
            format!("Requested resource not found: Table: {table_name} not found"),
        )
    }

    /// ResourceNotFoundException naming the ARN, as the tagging operations word it (the typo
    /// "ResourcArn" is DynamoDB's).
    pub fn resource_arn_not_found(arn: &str) -> Self {
        Self::new(
            ErrorKind::ResourceNotFound,
            format!("Requested resource not found: ResourcArn: {arn} not found"),
        )
    }

    /// ResourceInUseException for CreateTable of a table that exists.
    pub fn table_already_exists(table_name: &str) -> Self {
        Self::new(
            ErrorKind::ResourceInUse,
            format!("Table already exists: {table_name}"),
        )
    }

    /// ResourceInUseException for a change to a table that is still being created.
    pub fn table_being_created(table_name: &str) -> Self {
        Self::new(
            ErrorKind::ResourceInUse,
            format!(
                "Attempt to change a resource which is still in use: Table is being created: \
                 {table_name}"
            ),
        )
    }

    /// ResourceInUseException for a change to a table that is being deleted.
    pub fn table_being_deleted(table_name: &str) -> Self {
        Self::new(
            ErrorKind::ResourceInUse,
            format!(
                "Attempt to change a resource which is still in use: Table is being deleted: \
                 {table_name}"
            ),
        )
    }

    /// ResourceInUseException for a change to a table that is being updated.
    pub fn table_being_updated(table_name: &str) -> Self {
        Self::new(
            ErrorKind::ResourceInUse,
            format!(
                "Attempt to change a resource which is still in use: Table is being updated: \
                 {table_name}"
            ),
        )
    }

    /// ConditionalCheckFailedException; `item` is the item as it was when the request asked
    /// for it (`ReturnValuesOnConditionCheckFailure=ALL_OLD`) and it exists.
    pub fn conditional_check_failed(item: Option<Item>) -> Self {
        ApiError {
            kind: ErrorKind::ConditionalCheckFailed,
            message: "The conditional request failed".to_owned(),
            detail: item.map(|item| Box::new(ErrorDetail::Item(item))),
        }
    }

    /// TransactionCanceledException with one reason per operation, in request order. The
    /// message lists the reason codes as DynamoDB does.
    pub fn transaction_canceled(reasons: Vec<CancellationReason>) -> Self {
        let codes: Vec<&str> = reasons.iter().map(|reason| reason.code.as_str()).collect();
        ApiError {
            kind: ErrorKind::TransactionCanceled,
            message: format!(
                "Transaction cancelled, please refer cancellation reasons for specific reasons \
                 [{}]",
                codes.join(", ")
            ),
            detail: Some(Box::new(ErrorDetail::CancellationReasons(reasons))),
        }
    }

    /// ValidationException for an `ExclusiveStartKey` that does not fit the table's or index's
    /// key schema.
    pub fn invalid_start_key() -> Self {
        Self::validation(
            "The provided starting key is invalid: The provided key element does not match the \
             schema",
        )
    }

    /// ValidationException for a batch naming the same item twice (BatchWriteItem's check
    /// needs the key schema, so the engine makes it).
    pub fn duplicate_keys() -> Self {
        Self::validation("Provided list of item keys contains duplicates")
    }

    /// ValidationException for DeleteTable on a table with deletion protection.
    pub fn deletion_protected() -> Self {
        Self::validation(
            "Resource cannot be deleted as it is currently protected against deletion. Disable \
             deletion protection first.",
        )
    }

    /// LimitExceededException with `message`.
    pub fn limit_exceeded(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::LimitExceeded, message)
    }

    /// ProvisionedThroughputExceededException with DynamoDB's message.
    pub fn provisioned_throughput_exceeded() -> Self {
        Self::new(
            ErrorKind::ProvisionedThroughputExceeded,
            "The level of configured provisioned throughput for the table was exceeded. \
             Consider increasing your provisioning level with the UpdateTable API.",
        )
    }

    /// RequestLimitExceeded with DynamoDB's message.
    pub fn request_limit_exceeded() -> Self {
        Self::new(
            ErrorKind::RequestLimitExceeded,
            "Throughput exceeds the current throughput limit for your account. Please contact \
             AWS Support at https://aws.amazon.com/support request a limit increase",
        )
    }

    /// TransactionConflictException for an item locked by an ongoing transaction.
    pub fn transaction_conflict() -> Self {
        Self::new(
            ErrorKind::TransactionConflict,
            "Transaction is ongoing for the item",
        )
    }

    /// InternalServerError. `message` should not leak internals beyond what helps an operator
    /// find the log line.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InternalServerError, message)
    }

    /// ServiceUnavailableException with `message`.
    pub fn service_unavailable(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::ServiceUnavailable, message)
    }

    /// The HTTP status of this error.
    pub fn http_status(&self) -> u16 {
        self.kind.http_status()
    }

    /// The JSON body: `{"__type": ..., "message": ...}`, with the message member spelled as
    /// DynamoDB spells it for this kind, left out when empty, and the item or cancellation
    /// reasons when the error carries them.
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.message.len());
        self.write_json(&mut out);
        out
    }

    /// Appends the JSON body (see [`ApiError::to_json`]) to `out`.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        #[derive(Serialize)]
        struct Body<'a> {
            #[serde(rename = "__type")]
            type_name: &'static str,
            #[serde(rename = "message", skip_serializing_if = "Option::is_none")]
            message_lower: Option<&'a str>,
            #[serde(rename = "Message", skip_serializing_if = "Option::is_none")]
            message_upper: Option<&'a str>,
            #[serde(rename = "Item", skip_serializing_if = "Option::is_none")]
            item: Option<&'a Item>,
            #[serde(
                rename = "CancellationReasons",
                skip_serializing_if = "Option::is_none"
            )]
            cancellation_reasons: Option<&'a [CancellationReason]>,
        }
        let message = (!self.message.is_empty()).then_some(self.message.as_str());
        let upper = self.kind.message_member() == "Message";
        let (item, cancellation_reasons) = match self.detail.as_deref() {
            Some(ErrorDetail::Item(item)) => (Some(item), None),
            Some(ErrorDetail::CancellationReasons(reasons)) => (None, Some(reasons.as_slice())),
            None => (None, None),
        };
        let body = Body {
            type_name: self.kind.type_name(),
            message_lower: if upper { None } else { message },
            message_upper: if upper { message } else { None },
            item,
            cancellation_reasons,
        };
        serde_json::to_writer(out, &body).expect("writing JSON to a Vec cannot fail");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(error: &ApiError) -> String {
        String::from_utf8(error.to_json()).unwrap()
    }

    #[test]
    fn type_names_use_dynamodb_namespaces() {
        assert_eq!(
            ErrorKind::Validation.type_name(),
            "com.amazon.coral.validate#ValidationException"
        );
        assert_eq!(
            ErrorKind::Serialization.type_name(),
            "com.amazon.coral.service#SerializationException"
        );
        assert_eq!(
            ErrorKind::ResourceNotFound.type_name(),
            "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"
        );
        assert_eq!(
            ErrorKind::InternalServerError.type_name(),
            "com.amazonaws.dynamodb.v20120810#InternalServerError"
        );
        assert_eq!(
            ErrorKind::RequestLimitExceeded.name(),
            "RequestLimitExceeded"
        );
        assert_eq!(ErrorKind::Throttling.name(), "ThrottlingException");
    }

    #[test]
    fn every_kind_has_a_distinct_type_and_a_status() {
        let mut names: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.type_name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ErrorKind::ALL.len());
        for kind in ErrorKind::ALL {
            assert!(matches!(kind.http_status(), 400 | 500 | 503), "{kind}");
            assert!(kind.type_name().contains('#'));
        }
        assert_eq!(ErrorKind::InternalServerError.http_status(), 500);
        assert_eq!(ErrorKind::ConditionalCheckFailed.http_status(), 400);
    }

    #[test]
    fn validation_body_uses_lowercase_message() {
        let error = ApiError::validation("The provided key element does not match the schema");
        assert_eq!(
            body(&error),
            r#"{"__type":"com.amazon.coral.validate#ValidationException","message":"The provided key element does not match the schema"}"#
        );
        assert_eq!(error.http_status(), 400);
    }

    #[test]
    fn serialization_body_uses_capitalised_message() {
        let error = ApiError::serialization("Unexpected field type");
        assert_eq!(
            body(&error),
            r#"{"__type":"com.amazon.coral.service#SerializationException","Message":"Unexpected field type"}"#
        );
    }

    #[test]
    fn empty_message_is_omitted() {
        assert_eq!(
            body(&ApiError::unknown_operation()),
            r#"{"__type":"com.amazon.coral.service#UnknownOperationException"}"#
        );
        assert_eq!(
            body(&ApiError::malformed_json()),
            r#"{"__type":"com.amazon.coral.service#SerializationException"}"#
        );
    }

    #[test]
    fn messages_are_json_escaped() {
        let error = ApiError::validation("a \"quoted\"\nline");
        assert_eq!(
            body(&error),
            r#"{"__type":"com.amazon.coral.validate#ValidationException","message":"a \"quoted\"\nline"}"#
        );
    }

    #[test]
    fn conditional_check_failed_without_item() {
        assert_eq!(
            body(&ApiError::conditional_check_failed(None)),
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"}"#
        );
    }

    #[test]
    fn not_found_messages() {
        assert_eq!(
            ApiError::resource_not_found().message,
            "Requested resource not found"
        );
        assert_eq!(
            ApiError::table_not_found("Music").message,
            "Requested resource not found: Table: Music not found"
        );
        assert_eq!(
            ApiError::table_already_exists("Music").message,
            "Table already exists: Music"
        );
    }

    #[test]
    fn transaction_canceled_lists_codes_and_uses_capital_message() {
        let error = ApiError::transaction_canceled(vec![
            CancellationReason {
                item: None,
                code: "None".into(),
                message: None,
            },
            CancellationReason {
                item: None,
                code: "ConditionalCheckFailed".into(),
                message: Some("The conditional request failed".into()),
            },
        ]);
        assert_eq!(
            body(&error),
            concat!(
                r#"{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException","#,
                r#""Message":"Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]","#,
                r#""CancellationReasons":[{"Code":"None"},{"Code":"ConditionalCheckFailed","Message":"The conditional request failed"}]}"#
            )
        );
    }

    #[test]
    fn engine_facing_messages() {
        assert_eq!(
            ApiError::index_not_found("byDate").message,
            "The table does not have the specified index: byDate"
        );
        assert_eq!(
            ApiError::all_attributes_on_global_index("g").message,
            "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not \
             supported for global secondary index g because its projection type is not ALL"
        );
        assert_eq!(
            ApiError::invalid_start_key().message,
            "The provided starting key is invalid: The provided key element does not match the \
             schema"
        );
        assert_eq!(
            ApiError::deletion_protected().message,
            "Resource cannot be deleted as it is currently protected against deletion. Disable \
             deletion protection first."
        );
        for error in [
            ApiError::consistent_read_on_global_index(),
            ApiError::duplicate_keys(),
            ApiError::index_not_found("i"),
        ] {
            assert_eq!(error.kind, ErrorKind::Validation);
        }
    }

    #[test]
    fn display_names_kind_and_message() {
        assert_eq!(
            ApiError::validation("bad").to_string(),
            "ValidationException: bad".to_owned()
        );
    }
}

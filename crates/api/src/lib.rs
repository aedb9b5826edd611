//! DynamoDB's wire protocol: request and response types for every operation (serde),
//! request validation with DynamoDB's exact messages, DynamoDB's error types, and SigV4
//! parsing.
//!
//! The server's path through this crate:
//! 1. [`Operation::from_target`] reads `X-Amz-Target` (UnknownOperationException otherwise);
//! 2. [`sigv4::Authorization::from_request`] checks the signature's form;
//! 3. [`decode_request`] reads the body into a [`Request`], with DynamoDB's
//!    SerializationException and ValidationException messages, in DynamoDB's order;
//! 4. the engine answers with a [`Response`], which [`encode_response`] writes; or with an
//!    [`ApiError`], whose [`ApiError::to_json`] and [`ApiError::http_status`] are the reply.
//!
//! Modules:
//! - [`error`]: [`ApiError`] and [`ErrorKind`]: every error's `__type`, HTTP status and body;
//!   conversions from the model's errors.
//! - [`operation`]: [`Operation`], every operation of DynamoDB and DynamoDB Streams.
//! - [`sigv4`]: the `Authorization` header, checked as far as DynamoDB does before verifying.
//! - [`wire`]: the request and response types, named as in the service model.
//! - [`arn`]: table, index and stream ARNs.
//! - `decode` (private): reading bodies with DynamoDB's serialization and constraint errors.
//! - `validate` (private): each operation's rules that need no table.
//!
//! ```
//! use ferrodyn_api::{Operation, Request, decode_request};
//!
//! let op = Operation::from_target(Some("DynamoDB_20120810.GetItem")).unwrap();
//! let body = br#"{"TableName": "Music", "Key": {"Artist": {"S": "Arturo"}}}"#;
//! let Request::GetItem(request) = decode_request(op, body).unwrap() else { unreachable!() };
//! assert_eq!(request.input.table_name, "Music");
//! assert!(request.expressions.projection.is_none());
//!
//! let error = decode_request(op, br#"{"TableName": "ab", "Key": {}}"#).unwrap_err();
//! assert_eq!(
//!     error.message,
//!     "1 validation error detected: Value 'ab' at 'tableName' failed to satisfy constraint: \
//!      Member must have length greater than or equal to 3"
//! );
//! ```

pub mod arn;
pub mod error;
pub mod operation;
pub mod sigv4;
pub mod wire;

mod conversion;
mod decode;
mod request;
mod validate;

pub use error::{ApiError, ApiResult, ErrorKind};
pub use operation::Operation;
pub use request::{
    Parsed, Request, Response, TableArns, decode_request, encode_response, write_response,
};
pub use validate::batch::{BATCH_GET_KEYS_MAX, BATCH_WRITE_REQUESTS_MAX};
pub use validate::table::{
    CAPACITY_UNITS_MAX, GLOBAL_SECONDARY_INDEXES_MAX, LOCAL_SECONDARY_INDEXES_MAX,
    NON_KEY_ATTRIBUTES_TOTAL_MAX,
};
pub use validate::tag::{TAGS_MAX, too_many_tags};

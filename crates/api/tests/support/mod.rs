//! Helpers shared by the decoding tests: decode a body for an operation and pick the error.

#![allow(dead_code)] // each test file uses a subset

use ferrodyn_api::{ApiError, ErrorKind, Operation, Request, decode_request};

/// Decodes `body` as a request of operation `name`.
pub fn decode(name: &str, body: &str) -> Result<Request, ApiError> {
    let op = Operation::from_target(Some(&format!("DynamoDB_20120810.{name}")))
        .expect("the test names a real operation");
    decode_request(op, body.as_bytes())
}

/// Decodes `body` as a request of the DynamoDB Streams operation `name`.
pub fn decode_streams(name: &str, body: &str) -> Result<Request, ApiError> {
    let op = Operation::from_target(Some(&format!("DynamoDBStreams_20120810.{name}")))
        .expect("the test names a real Streams operation");
    decode_request(op, body.as_bytes())
}

/// Decodes a Streams body that must fail with `kind`, returning the message.
pub fn streams_failure(kind: ErrorKind, name: &str, body: &str) -> String {
    match decode_streams(name, body) {
        Ok(request) => panic!("{name} {body} decoded to {request:?}"),
        Err(error) => {
            assert_eq!(error.kind, kind, "{name} {body}: {}", error.message);
            error.message
        }
    }
}

/// Decodes a body that must fail with `kind`, returning the message.
pub fn failure(kind: ErrorKind, name: &str, body: &str) -> String {
    match decode(name, body) {
        Ok(request) => panic!("{name} {body} decoded to {request:?}"),
        Err(error) => {
            assert_eq!(error.kind, kind, "{name} {body}: {}", error.message);
            error.message
        }
    }
}

/// The ValidationException message for a body.
pub fn validation(name: &str, body: &str) -> String {
    failure(ErrorKind::Validation, name, body)
}

/// The SerializationException message for a body.
pub fn serialization(name: &str, body: &str) -> String {
    failure(ErrorKind::Serialization, name, body)
}

/// `1 validation error detected: Value '<value>' at '<path>' failed to satisfy constraint:
/// <constraint>`.
pub fn one_violation(value: &str, path: &str, constraint: &str) -> String {
    format!(
        "1 validation error detected: Value {value} at '{path}' failed to satisfy constraint: \
         {constraint}"
    )
}

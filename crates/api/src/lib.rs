//! DynamoDB wire types for every operation (serde), request validation, and DynamoDB's error
//! types and messages.

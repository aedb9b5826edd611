//! One node's database: the table catalog, partition stores over the storage engine, and the
//! execution of DynamoDB operations.

//! Requests and responses of DescribeLimits and DescribeEndpoints.

use serde::Serialize;

use crate::decode::shape::wire_struct;

wire_struct! {
    /// The DescribeLimits request (no members).
    pub struct DescribeLimitsInput {}
}

wire_struct! {
    /// The DescribeEndpoints request (no members).
    pub struct DescribeEndpointsRequest {}
}

/// The DescribeLimits response: the account's and each table's capacity limits.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeLimitsOutput {
    /// Read capacity units an account may provision in all.
    pub account_max_read_capacity_units: i64,
    /// Write capacity units an account may provision in all.
    pub account_max_write_capacity_units: i64,
    /// Read capacity units one table (or index) may have.
    pub table_max_read_capacity_units: i64,
    /// Write capacity units one table (or index) may have.
    pub table_max_write_capacity_units: i64,
}

/// An address clients may use for the service.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Endpoint {
    /// Host and port, without scheme.
    pub address: String,
    /// How long a client may cache the address, in minutes.
    pub cache_period_in_minutes: i64,
}

/// The DescribeEndpoints response.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeEndpointsResponse {
    /// The addresses.
    pub endpoints: Vec<Endpoint>,
}

//! Requests and responses of UpdateTimeToLive and DescribeTimeToLive.
//!
//! Time to live names one Number attribute holding an expiry time in seconds since the Unix
//! epoch; a background sweep deletes items whose time has passed. These operations only turn
//! it on and off and report its state.

use serde::Serialize;

use crate::decode::presets;
use crate::decode::shape::{wire_enum, wire_struct};

wire_struct! {
    /// Whether time to live is on, and which attribute holds the expiry time. Also the
    /// UpdateTimeToLive response, which echoes the accepted specification.
    pub struct TimeToLiveSpecification {
        /// `true` to enable, `false` to disable.
        "Enabled" enabled: required bool,
        /// The attribute holding each item's expiry time (epoch seconds, a Number), 1 to 255
        /// characters. An empty name is refused by the operation's rules, in DynamoDB's words.
        "AttributeName" attribute_name: required String = presets::TTL_ATTRIBUTE_NAME,
    }
}

wire_struct! {
    /// The UpdateTimeToLive request.
    pub struct UpdateTimeToLiveInput {
        /// The table's name.
        "TableName" table_name: named String = presets::TABLE_NAME,
        /// The new setting.
        "TimeToLiveSpecification" time_to_live_specification: required TimeToLiveSpecification,
    }
}

wire_struct! {
    /// The DescribeTimeToLive request.
    pub struct DescribeTimeToLiveInput {
        /// The table's name.
        "TableName" table_name: named String = presets::TABLE_NAME,
    }
}

wire_enum! {
    /// The state of a table's time to live. A change is accepted as `ENABLING` or `DISABLING`
    /// and settles to `ENABLED` or `DISABLED`.
    pub enum TimeToLiveStatus ["[ENABLING, DISABLING, ENABLED, DISABLED]"] {
        /// Being turned on.
        Enabling = "ENABLING",
        /// Being turned off.
        Disabling = "DISABLING",
        /// On: expired items are being deleted.
        Enabled = "ENABLED",
        /// Off.
        Disabled = "DISABLED",
    }
}

/// A table's time-to-live state.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TimeToLiveDescription {
    /// The state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_to_live_status: Option<TimeToLiveStatus>,
    /// The expiry attribute; absent when time to live is `DISABLED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribute_name: Option<String>,
}

/// The UpdateTimeToLive response.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateTimeToLiveOutput {
    /// The specification as accepted.
    pub time_to_live_specification: TimeToLiveSpecification,
}

/// The DescribeTimeToLive response.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeTimeToLiveOutput {
    /// The table's time-to-live state.
    pub time_to_live_description: TimeToLiveDescription,
}

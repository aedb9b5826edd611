//! The records GetRecords returns, and their sequence numbers.
//!
//! Records use the Streams API's own casing: lower camel case for the record's envelope
//! (`eventID`, `eventName`, `dynamodb`, `userIdentity`) and Pascal case inside `dynamodb`
//! and `userIdentity`, as the service model spells them.

use std::fmt;
use std::str::FromStr;

use ferrodyn_model::Item;
use serde::Serialize;

use super::common::StreamViewType;
use crate::decode::shape::wire_enum;

/// The number of a stream record, increasing along a shard.
///
/// On the wire it is a string of 21 to 40 digits; [`fmt::Display`] pads to 21 digits so
/// every number the server writes is valid, and [`FromStr`] accepts any run of digits that
/// fits in 128 bits (leading zeros allowed). Compare parsed values, not strings: past 21
/// digits a longer string is a larger number whatever its first digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SequenceNumber(pub u128);

/// Digits a sequence number has at least on the wire.
pub const SEQUENCE_NUMBER_DIGITS_MIN: usize = 21;

/// Digits a sequence number has at most on the wire.
pub const SEQUENCE_NUMBER_DIGITS_MAX: usize = 40;

impl fmt::Display for SequenceNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:0width$}", self.0, width = SEQUENCE_NUMBER_DIGITS_MIN)
    }
}

/// A sequence number that is not a run of ASCII digits fitting in 128 bits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a sequence number: {0:?}")]
pub struct SequenceNumberError(pub String);

impl FromStr for SequenceNumber {
    type Err = SequenceNumberError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        // u128's parser accepts a leading '+', which is not a digit.
        if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(SequenceNumberError(text.to_owned()));
        }
        text.parse::<u128>()
            .map(SequenceNumber)
            .map_err(|_| SequenceNumberError(text.to_owned()))
    }
}

impl Serialize for SequenceNumber {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

wire_enum! {
    /// What happened to the item.
    pub enum OperationType ["[INSERT, MODIFY, REMOVE]"] {
        /// A new item was written.
        Insert = "INSERT",
        /// An existing item changed.
        Modify = "MODIFY",
        /// An item was deleted (by a request, or by time to live).
        Remove = "REMOVE",
    }
}

/// Who made a change, when it was not a request: time to live's deletions carry
/// `{"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}` ([`Identity::time_to_live`]).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Identity {
    /// The principal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
    /// The kind of principal.
    #[serde(rename = "Type", skip_serializing_if = "Option::is_none")]
    pub identity_type: Option<String>,
}

impl Identity {
    /// The identity of deletions made by time to live.
    pub fn time_to_live() -> Identity {
        Identity {
            principal_id: Some("dynamodb.amazonaws.com".to_owned()),
            identity_type: Some("Service".to_owned()),
        }
    }
}

/// The change itself: keys, images, number and size.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamRecord {
    /// When the change was made, in epoch seconds rounded down to the second.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approximate_creation_date_time: Option<f64>,
    /// The item's key attributes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keys: Option<Item>,
    /// The item after the change (`NEW_IMAGE`, `NEW_AND_OLD_IMAGES`; absent for `REMOVE`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_image: Option<Item>,
    /// The item before the change (`OLD_IMAGE`, `NEW_AND_OLD_IMAGES`; absent for `INSERT`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_image: Option<Item>,
    /// The record's number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequence_number: Option<SequenceNumber>,
    /// The record's size in bytes (keys and images), at least 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<i64>,
    /// The stream's view type when the record was written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_view_type: Option<StreamViewType>,
}

/// One stream record as GetRecords returns it.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Record {
    /// A unique id of the event.
    #[serde(rename = "eventID", skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// `INSERT`, `MODIFY` or `REMOVE`.
    #[serde(rename = "eventName", skip_serializing_if = "Option::is_none")]
    pub event_name: Option<OperationType>,
    /// The record format's version: [`Record::EVENT_VERSION`].
    #[serde(rename = "eventVersion", skip_serializing_if = "Option::is_none")]
    pub event_version: Option<String>,
    /// [`Record::EVENT_SOURCE`].
    #[serde(rename = "eventSource", skip_serializing_if = "Option::is_none")]
    pub event_source: Option<String>,
    /// The region of the table.
    #[serde(rename = "awsRegion", skip_serializing_if = "Option::is_none")]
    pub aws_region: Option<String>,
    /// The change.
    #[serde(rename = "dynamodb", skip_serializing_if = "Option::is_none")]
    pub dynamodb: Option<StreamRecord>,
    /// Set only for deletions made by time to live ([`Identity::time_to_live`]).
    #[serde(rename = "userIdentity", skip_serializing_if = "Option::is_none")]
    pub user_identity: Option<Identity>,
}

impl Record {
    /// The `eventVersion` DynamoDB writes today.
    pub const EVENT_VERSION: &'static str = "1.1";
    /// The `eventSource` of every DynamoDB stream record.
    pub const EVENT_SOURCE: &'static str = "aws:dynamodb";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_numbers_print_with_at_least_21_digits() {
        assert_eq!(SequenceNumber(0).to_string(), "000000000000000000000");
        assert_eq!(SequenceNumber(42).to_string().len(), 21);
        let max = SequenceNumber(u128::MAX).to_string();
        assert_eq!(max, u128::MAX.to_string());
        assert!(max.len() <= SEQUENCE_NUMBER_DIGITS_MAX);
    }

    #[test]
    fn sequence_numbers_parse_digits_only() {
        assert_eq!("000000000000000000042".parse(), Ok(SequenceNumber(42)));
        assert_eq!(
            SequenceNumber(7).to_string().parse::<SequenceNumber>(),
            Ok(SequenceNumber(7))
        );
        for bad in ["", "+1", "-1", "1a", " 1", "1.0"] {
            assert!(bad.parse::<SequenceNumber>().is_err(), "{bad:?}");
        }
        // 40 nines do not fit in 128 bits.
        assert!("9".repeat(40).parse::<SequenceNumber>().is_err());
    }

    #[test]
    fn records_use_the_streams_casing() {
        let mut keys = Item::new();
        keys.insert(
            "pk".to_owned(),
            ferrodyn_model::AttributeValue::S("a".into()),
        );
        let record = Record {
            event_id: Some("e1".into()),
            event_name: Some(OperationType::Remove),
            event_version: Some(Record::EVENT_VERSION.into()),
            event_source: Some(Record::EVENT_SOURCE.into()),
            aws_region: Some("us-east-1".into()),
            dynamodb: Some(StreamRecord {
                approximate_creation_date_time: Some(1_700_000_000.0),
                keys: Some(keys),
                new_image: None,
                old_image: None,
                sequence_number: Some(SequenceNumber(5)),
                size_bytes: Some(3),
                stream_view_type: Some(StreamViewType::KeysOnly),
            }),
            user_identity: Some(Identity::time_to_live()),
        };
        assert_eq!(
            serde_json::to_string(&record).unwrap(),
            concat!(
                r#"{"eventID":"e1","eventName":"REMOVE","eventVersion":"1.1","eventSource":"aws:dynamodb","#,
                r#""awsRegion":"us-east-1","dynamodb":{"ApproximateCreationDateTime":1700000000.0,"#,
                r#""Keys":{"pk":{"S":"a"}},"SequenceNumber":"000000000000000000005","SizeBytes":3,"#,
                r#""StreamViewType":"KEYS_ONLY"},"#,
                r#""userIdentity":{"PrincipalId":"dynamodb.amazonaws.com","Type":"Service"}}"#
            )
        );
    }
}

//! Attribute values and items.

use std::collections::BTreeMap;

use crate::Number;

/// An item: attribute names to values.
pub type Item = BTreeMap<String, AttributeValue>;

/// A DynamoDB attribute value.
///
/// Invariants (checked where values enter the system, see `validate`): sets are non-empty and
/// hold no duplicates; strings and binaries inside sets are non-empty where DynamoDB requires.
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValue {
    /// String (`S`).
    S(String),
    /// Number (`N`).
    N(Number),
    /// Binary (`B`); base64 on the wire.
    B(Vec<u8>),
    /// Boolean (`BOOL`).
    Bool(bool),
    /// Null (`NULL`); the wire form is `{"NULL": true}`.
    Null,
    /// Map (`M`).
    M(BTreeMap<String, AttributeValue>),
    /// List (`L`).
    L(Vec<AttributeValue>),
    /// String set (`SS`), in insertion order.
    Ss(Vec<String>),
    /// Number set (`NS`), in insertion order.
    Ns(Vec<Number>),
    /// Binary set (`BS`), in insertion order.
    Bs(Vec<Vec<u8>>),
}

//! Attribute values and items.
//!
//! The DynamoDB JSON wire form of these types (`{"S": "text"}`, ...) lives in [`crate::json`];
//! their sizes in [`crate::size`]; their storage encoding in [`crate::codec`].

use std::collections::BTreeMap;

use crate::Number;

/// An item: attribute names to values.
pub type Item = BTreeMap<String, AttributeValue>;

/// The deepest a value may nest: a top-level attribute value is level 1, a value inside a list
/// or map one level deeper than its container, and no value may sit below level 32 (DynamoDB's
/// documented limit of 32 levels of nesting).
pub const MAX_NESTING_LEVEL: u32 = 32;

/// A DynamoDB attribute value.
///
/// Invariants (checked where values enter the system: JSON input in [`crate::json`], storage in
/// [`crate::codec`]): sets are non-empty and hold no duplicates (numbers compare numerically);
/// nesting stays within [`MAX_NESTING_LEVEL`]. Empty strings and binaries are allowed, also
/// inside sets; only key attributes reject them (see [`crate::key`]).
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

/// The ten DynamoDB types, named as on the wire by [`ValueType::name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueType {
    /// `S`
    S,
    /// `N`
    N,
    /// `B`
    B,
    /// `BOOL`
    Bool,
    /// `NULL`
    Null,
    /// `M`
    M,
    /// `L`
    L,
    /// `SS`
    Ss,
    /// `NS`
    Ns,
    /// `BS`
    Bs,
}

impl ValueType {
    /// Every type, in wire-name order as DynamoDB's documentation lists them.
    pub const ALL: [ValueType; 10] = [
        ValueType::S,
        ValueType::N,
        ValueType::B,
        ValueType::Bool,
        ValueType::Null,
        ValueType::M,
        ValueType::L,
        ValueType::Ss,
        ValueType::Ns,
        ValueType::Bs,
    ];

    /// The wire name: `S`, `N`, `B`, `BOOL`, `NULL`, `M`, `L`, `SS`, `NS` or `BS`.
    pub fn name(self) -> &'static str {
        match self {
            ValueType::S => "S",
            ValueType::N => "N",
            ValueType::B => "B",
            ValueType::Bool => "BOOL",
            ValueType::Null => "NULL",
            ValueType::M => "M",
            ValueType::L => "L",
            ValueType::Ss => "SS",
            ValueType::Ns => "NS",
            ValueType::Bs => "BS",
        }
    }

    /// The type with this wire name (exact, case-sensitive match), if any.
    pub fn from_name(name: &str) -> Option<ValueType> {
        ValueType::ALL.into_iter().find(|t| t.name() == name)
    }
}

impl std::fmt::Display for ValueType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl AttributeValue {
    /// This value's type.
    pub fn value_type(&self) -> ValueType {
        match self {
            AttributeValue::S(_) => ValueType::S,
            AttributeValue::N(_) => ValueType::N,
            AttributeValue::B(_) => ValueType::B,
            AttributeValue::Bool(_) => ValueType::Bool,
            AttributeValue::Null => ValueType::Null,
            AttributeValue::M(_) => ValueType::M,
            AttributeValue::L(_) => ValueType::L,
            AttributeValue::Ss(_) => ValueType::Ss,
            AttributeValue::Ns(_) => ValueType::Ns,
            AttributeValue::Bs(_) => ValueType::Bs,
        }
    }

    /// This value's wire type name (`S`, `NS`, `BOOL`, ...).
    pub fn type_name(&self) -> &'static str {
        self.value_type().name()
    }

    /// The nesting level of the deepest value inside, counting this value as level 1: 1 for
    /// scalars, sets and empty documents.
    pub fn depth(&self) -> u32 {
        match self {
            AttributeValue::M(map) => {
                1 + map.values().map(AttributeValue::depth).max().unwrap_or(0)
            }
            AttributeValue::L(list) => {
                1 + list.iter().map(AttributeValue::depth).max().unwrap_or(0)
            }
            _ => 1,
        }
    }

    /// Set equality, DynamoDB style: two sets of the same type are equal when they hold the
    /// same members in any order; every other pair compares with `==` (lists in order, maps by
    /// key), recursively. This is the equality of the `=` comparator and of `contains`.
    pub fn dynamo_eq(&self, other: &AttributeValue) -> bool {
        fn same_members<T: PartialEq>(a: &[T], b: &[T]) -> bool {
            // Members are unique within a set, so equal lengths and inclusion imply equality.
            a.len() == b.len() && a.iter().all(|x| b.contains(x))
        }
        match (self, other) {
            (AttributeValue::Ss(a), AttributeValue::Ss(b)) => same_members(a, b),
            (AttributeValue::Ns(a), AttributeValue::Ns(b)) => same_members(a, b),
            (AttributeValue::Bs(a), AttributeValue::Bs(b)) => same_members(a, b),
            (AttributeValue::L(a), AttributeValue::L(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.dynamo_eq(y))
            }
            (AttributeValue::M(a), AttributeValue::M(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b)
                        .all(|((ka, va), (kb, vb))| ka == kb && va.dynamo_eq(vb))
            }
            _ => self == other,
        }
    }
}

impl From<Number> for AttributeValue {
    fn from(number: Number) -> AttributeValue {
        AttributeValue::N(number)
    }
}

impl From<String> for AttributeValue {
    fn from(text: String) -> AttributeValue {
        AttributeValue::S(text)
    }
}

impl From<&str> for AttributeValue {
    fn from(text: &str) -> AttributeValue {
        AttributeValue::S(text.to_owned())
    }
}

impl From<bool> for AttributeValue {
    fn from(value: bool) -> AttributeValue {
        AttributeValue::Bool(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_round_trip() {
        for t in ValueType::ALL {
            assert_eq!(ValueType::from_name(t.name()), Some(t));
        }
        assert_eq!(ValueType::from_name("bool"), None);
        assert_eq!(AttributeValue::Null.type_name(), "NULL");
    }

    #[test]
    fn depth_counts_levels() {
        let scalar = AttributeValue::from("x");
        assert_eq!(scalar.depth(), 1);
        let list = AttributeValue::L(vec![AttributeValue::L(vec![scalar.clone()])]);
        assert_eq!(list.depth(), 3);
        assert_eq!(AttributeValue::M(BTreeMap::new()).depth(), 1);
    }

    #[test]
    fn sets_compare_without_order() {
        let a = AttributeValue::Ss(vec!["a".into(), "b".into()]);
        let b = AttributeValue::Ss(vec!["b".into(), "a".into()]);
        assert!(a.dynamo_eq(&b));
        assert!(!a.dynamo_eq(&AttributeValue::Ss(vec!["a".into()])));
        let nested_a = AttributeValue::L(vec![a]);
        let nested_b = AttributeValue::L(vec![b]);
        assert!(nested_a.dynamo_eq(&nested_b));
        assert!(!AttributeValue::from("1").dynamo_eq(&AttributeValue::N(Number::from(1i64))));
    }
}

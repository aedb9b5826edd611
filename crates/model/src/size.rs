//! Item and attribute sizes by DynamoDB's rules, the item size limit, and capacity units.
//!
//! From "Item sizes and formats" in the DynamoDB developer guide: an item's size is the sum,
//! over its attributes, of the name's UTF-8 length and the value's size, where
//! - S: UTF-8 length; B: raw length (not base64); BOOL and NULL: 1;
//! - N: 1 byte plus 1 per pair of significant digits (the exact rule is in [`number_size`]);
//! - SS, NS, BS: the sum of the members' sizes;
//! - M and L: 3 bytes, plus 1 byte per element, plus the elements' sizes (and a map's member
//!   names).
//!
//! These sizes decide the 400 KB limit and the capacity units a request consumes.

use crate::{AttributeValue, Item, Number};

/// The largest item, in bytes by [`item_size`]: 400 KB.
pub const ITEM_BYTES_MAX: usize = 400 * 1024;

/// Bytes per read capacity unit (a strongly consistent read of up to 4 KB).
pub const READ_UNIT_BYTES: usize = 4 * 1024;
/// Bytes per write capacity unit (a write of up to 1 KB).
pub const WRITE_UNIT_BYTES: usize = 1024;

/// An item over [`ITEM_BYTES_MAX`]. `Display` is DynamoDB's message; nothing was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SizeError {
    /// An item written whole (PutItem, BatchWriteItem, TransactWriteItems) is too large.
    #[error("Item size has exceeded the maximum allowed size")]
    ItemTooLarge,
    /// The item an UpdateItem would produce is too large.
    #[error("Item size to update has exceeded the maximum allowed size")]
    UpdatedItemTooLarge,
}

/// The size of a number, in bytes.
///
/// DynamoDB stores numbers as an exponent byte followed by base-100 digit pairs aligned on the
/// decimal point (the scheme of Oracle's NUMBER), plus a terminating byte for negative numbers.
/// So the size is 1 + the number of digit pairs + 1 if negative, and the pairs are
/// `ceil(digits / 2)`, one more when the digit count and the scientific exponent are both even
/// (the first digit then starts a new pair and the last one ends half a pair: 1.5 is `01|50`).
/// This matches sizes measured against DynamoDB (e.g. 1 → 2, 12 → 2, 123 → 3, 1.5 → 3,
/// 0.15 → 2, 100.5 → 4, -42 → 3) and the documented "1 byte per two significant digits plus
/// 1 byte" for whole numbers. Zero is 1 byte; no number takes more than 22.
pub fn number_size(number: &Number) -> usize {
    if number.is_zero() {
        return 1;
    }
    let digits = number.digit_count() as usize;
    let odd_alignment = digits.is_multiple_of(2) && number.scientific_exponent() % 2 == 0;
    1 + digits.div_ceil(2) + usize::from(odd_alignment) + usize::from(number.is_negative())
}

/// The size of a value, in bytes, not counting any attribute name it is stored under.
pub fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(text) => text.len(),
        AttributeValue::N(number) => number_size(number),
        AttributeValue::B(bytes) => bytes.len(),
        AttributeValue::Bool(_) | AttributeValue::Null => 1,
        AttributeValue::Ss(members) => members.iter().map(String::len).sum(),
        AttributeValue::Ns(members) => members.iter().map(number_size).sum(),
        AttributeValue::Bs(members) => members.iter().map(Vec::len).sum(),
        AttributeValue::L(elements) => {
            3 + elements
                .iter()
                .map(|element| 1 + value_size(element))
                .sum::<usize>()
        }
        AttributeValue::M(members) => {
            3 + members
                .iter()
                .map(|(name, member)| 1 + name.len() + value_size(member))
                .sum::<usize>()
        }
    }
}

/// The size of one attribute: its name's UTF-8 length plus its value's size.
pub fn attribute_size(name: &str, value: &AttributeValue) -> usize {
    name.len() + value_size(value)
}

/// The size of an item, in bytes: the sum of its attributes' sizes.
pub fn item_size(item: &Item) -> usize {
    item.iter()
        .map(|(name, value)| attribute_size(name, value))
        .sum()
}

/// Checks an item written whole against the 400 KB limit.
///
/// # Errors
/// [`SizeError::ItemTooLarge`] if [`item_size`] is over [`ITEM_BYTES_MAX`].
pub fn check_item_size(item: &Item) -> Result<usize, SizeError> {
    let size = item_size(item);
    if size > ITEM_BYTES_MAX {
        Err(SizeError::ItemTooLarge)
    } else {
        Ok(size)
    }
}

/// Read capacity units for reading `bytes` (the item size, or the sum of the sizes a Query or
/// Scan read): one unit per started 4 KB, at least one, halved for an eventually consistent
/// read. Reading nothing still costs the minimum.
pub fn read_units(bytes: usize, consistent: bool) -> f64 {
    let units = bytes.div_ceil(READ_UNIT_BYTES).max(1) as f64;
    if consistent { units } else { units / 2.0 }
}

/// Write capacity units for writing `bytes` (for a replaced or updated item, the larger of the
/// sizes before and after): one unit per started 1 KB, at least one.
pub fn write_units(bytes: usize) -> f64 {
    bytes.div_ceil(WRITE_UNIT_BYTES).max(1) as f64
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn n(text: &str) -> Number {
        Number::parse(text).unwrap()
    }

    #[test]
    fn number_sizes_match_measurements() {
        // Sizes measured against DynamoDB by bisecting the 400 KB limit.
        for (text, size) in [
            ("1", 2),
            ("12", 2),
            ("123", 3),
            ("1234", 3),
            ("12345", 4),
            ("123456789", 6),
            ("1234567890123456789", 11),
            ("12345678901234567890123456789012345678", 20),
            ("0042", 2),
            ("100", 2),
            ("1010", 3),
            ("0.0000001", 2),
            ("0", 1),
            ("1E125", 2),
            ("1E-100", 2),
            ("1.5", 3),
            ("1.200", 3),
            ("1.234", 4),
            ("3.14159", 5),
            ("100.5", 4),
            ("0.15", 2),
            ("-42", 3),
            ("-12345", 5),
            ("-1E125", 3),
            ("-0.15", 3),
            ("-0", 1),
        ] {
            assert_eq!(number_size(&n(text)), size, "size of {text}");
        }
        assert_eq!(
            number_size(&n("-1.2345678901234567890123456789012345678")),
            22
        );
    }

    #[test]
    fn value_sizes_follow_the_documented_rules() {
        assert_eq!(value_size(&AttributeValue::S("héllo".into())), 6);
        assert_eq!(value_size(&AttributeValue::B(vec![0; 10])), 10);
        assert_eq!(value_size(&AttributeValue::Null), 1);
        assert_eq!(value_size(&AttributeValue::Bool(false)), 1);
        assert_eq!(
            value_size(&AttributeValue::Ss(vec!["ab".into(), "c".into()])),
            3
        );
        assert_eq!(value_size(&AttributeValue::Ns(vec![n("1"), n("-42")])), 5);
        assert_eq!(value_size(&AttributeValue::L(Vec::new())), 3);
        assert_eq!(value_size(&AttributeValue::M(BTreeMap::new())), 3);
        // 3 + (1 + 1) + (1 + 2)
        let list = AttributeValue::L(vec![AttributeValue::Null, AttributeValue::S("ab".into())]);
        assert_eq!(value_size(&list), 8);
        // 3 + (1 + "key" + "v")
        let map = AttributeValue::M([("key".to_owned(), AttributeValue::S("v".into()))].into());
        assert_eq!(value_size(&map), 8);
    }

    #[test]
    fn item_limit_is_400_kb() {
        let mut item = Item::new();
        item.insert(
            "pk".into(),
            AttributeValue::S("x".repeat(ITEM_BYTES_MAX - 2)),
        );
        assert_eq!(check_item_size(&item), Ok(ITEM_BYTES_MAX));
        item.insert("a".into(), AttributeValue::Null);
        assert_eq!(
            check_item_size(&item).unwrap_err().to_string(),
            "Item size has exceeded the maximum allowed size"
        );
    }

    #[test]
    fn capacity_units_round_up() {
        assert_eq!(read_units(0, true), 1.0);
        assert_eq!(read_units(4096, true), 1.0);
        assert_eq!(read_units(4097, true), 2.0);
        assert_eq!(read_units(4097, false), 1.0);
        assert_eq!(read_units(100, false), 0.5);
        assert_eq!(write_units(0), 1.0);
        assert_eq!(write_units(1024), 1.0);
        assert_eq!(write_units(10_300), 11.0);
    }
}

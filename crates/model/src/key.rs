//! Key schemas, key validation, and the order-preserving binary encoding of key values.
//!
//! A table's primary key is a partition key and an optional sort key, each a scalar attribute
//! (`S`, `N` or `B`). Storage orders items by the encoding of their key values, so the encoding
//! ([`KeyValue::encode`]) is built such that comparing encodings as bytes gives DynamoDB's order
//! of the values (S and B by unsigned bytes, N numerically), and such that every encoding is
//! self-delimiting: a partition key encoding followed by a sort key encoding splits back
//! unambiguously ([`decode_key_value`]). `docs/item-format.md` draws the formats.
//!
//! [`hash64`] hashes an encoded partition key; it places items on partitions and orders Scan,
//! so its output is part of the storage format and must never change.

use std::collections::BTreeMap;

use crate::number::NumberError;
use crate::{AttributeValue, Item, Number};

/// The largest partition key value, in bytes (S: UTF-8 length, B: raw length).
pub const PARTITION_KEY_BYTES_MAX: usize = 2048;
/// The largest sort key value, in bytes (S: UTF-8 length, B: raw length).
pub const SORT_KEY_BYTES_MAX: usize = 1024;

/// The type of a key attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScalarType {
    /// String.
    S,
    /// Number.
    N,
    /// Binary.
    B,
}

impl ScalarType {
    /// The wire name: `S`, `N` or `B`.
    pub fn name(self) -> &'static str {
        match self {
            ScalarType::S => "S",
            ScalarType::N => "N",
            ScalarType::B => "B",
        }
    }

    /// The type with this wire name, if any.
    pub fn from_name(name: &str) -> Option<ScalarType> {
        match name {
            "S" => Some(ScalarType::S),
            "N" => Some(ScalarType::N),
            "B" => Some(ScalarType::B),
            _ => None,
        }
    }
}

impl std::fmt::Display for ScalarType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One key attribute: its name and type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyAttribute {
    /// The attribute name.
    pub name: String,
    /// The attribute's type.
    pub scalar_type: ScalarType,
}

/// A table's (or index's) primary key: a partition key and an optional sort key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeySchema {
    /// The partition (hash) key.
    pub partition: KeyAttribute,
    /// The sort (range) key, if the key is composite.
    pub sort: Option<KeyAttribute>,
}

/// Why a key, or the key attributes of an item, do not fit the schema. `Display` is DynamoDB's
/// message. Nothing was changed; the request can be retried once corrected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// An item (PutItem) lacks a key attribute.
    #[error("One or more parameter values were invalid: Missing the key {name} in the item")]
    MissingInItem {
        /// The missing attribute.
        name: String,
    },
    /// An item's key attribute has the wrong type.
    #[error(
        "One or more parameter values were invalid: Type mismatch for key {name} expected: {expected} actual: {actual}"
    )]
    TypeMismatch {
        /// The attribute.
        name: String,
        /// The schema's type.
        expected: ScalarType,
        /// The given value's wire type name.
        actual: &'static str,
    },
    /// A key parameter (GetItem, DeleteItem, UpdateItem, ...) has other attributes than the
    /// schema's, or one of the wrong type.
    #[error("The provided key element does not match the schema")]
    SchemaMismatch,
    /// A string key attribute is empty.
    #[error(
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: {name}"
    )]
    EmptyString {
        /// The attribute.
        name: String,
    },
    /// A binary key attribute is empty.
    #[error(
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty binary value. Key: {name}"
    )]
    EmptyBinary {
        /// The attribute.
        name: String,
    },
    /// The partition key value is over [`PARTITION_KEY_BYTES_MAX`]. (No space before 2048:
    /// DynamoDB's text.)
    #[error(
        "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes"
    )]
    PartitionKeyTooLarge,
    /// The sort key value is over [`SORT_KEY_BYTES_MAX`].
    #[error(
        "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes"
    )]
    SortKeyTooLarge,
}

/// Why bytes are not a key encoding: storage corruption or a caller bug, never user input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyDecodeError {
    /// The input ended inside an encoding.
    #[error("key encoding is truncated")]
    Truncated,
    /// A byte that no encoding of the expected type has at that position.
    #[error("key encoding has byte {byte:#04x} at offset {offset}, which is not valid there")]
    InvalidByte {
        /// The byte.
        byte: u8,
        /// Its offset in the input given to the decoder.
        offset: usize,
    },
    /// A string key's bytes are not UTF-8.
    #[error("string key encoding is not UTF-8")]
    InvalidUtf8,
    /// The digits and exponent do not form a valid number.
    #[error("number key encoding is out of range: {0}")]
    InvalidNumber(#[from] NumberError),
    /// Bytes remain after the last key value.
    #[error("key encoding has {0} trailing bytes")]
    TrailingBytes(usize),
}

/// A borrowed scalar key value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyValue<'a> {
    /// A string.
    S(&'a str),
    /// A number.
    N(&'a Number),
    /// A binary.
    B(&'a [u8]),
}

impl<'a> KeyValue<'a> {
    /// The key value inside `value`, if it is a scalar key type (`S`, `N`, `B`).
    pub fn from_attribute(value: &'a AttributeValue) -> Option<KeyValue<'a>> {
        match value {
            AttributeValue::S(text) => Some(KeyValue::S(text)),
            AttributeValue::N(number) => Some(KeyValue::N(number)),
            AttributeValue::B(bytes) => Some(KeyValue::B(bytes)),
            _ => None,
        }
    }

    /// An owned attribute value.
    pub fn to_attribute(self) -> AttributeValue {
        match self {
            KeyValue::S(text) => AttributeValue::S(text.to_owned()),
            KeyValue::N(number) => AttributeValue::N(*number),
            KeyValue::B(bytes) => AttributeValue::B(bytes.to_vec()),
        }
    }

    /// This value's type.
    pub fn scalar_type(self) -> ScalarType {
        match self {
            KeyValue::S(_) => ScalarType::S,
            KeyValue::N(_) => ScalarType::N,
            KeyValue::B(_) => ScalarType::B,
        }
    }

    /// Appends the order-preserving, self-delimiting encoding of this value to `out`.
    ///
    /// S and B: the bytes with each 0x00 written as 0x00 0xFF, then the terminator 0x00 0x01.
    /// N: a sign byte (0x01 negative, 0x02 zero, 0x03 positive); for non-zero numbers the
    /// scientific exponent + 130 as one byte, then the digits in pairs, each pair `p` as `p + 1`,
    /// then 0x00; for negative numbers every byte after the sign byte is complemented
    /// (`0xFF - b`), which reverses their order. At most 22 bytes.
    pub fn encode(self, out: &mut Vec<u8>) {
        match self {
            KeyValue::S(text) => encode_bytes(text.as_bytes(), out),
            KeyValue::B(bytes) => encode_bytes(bytes, out),
            KeyValue::N(number) => encode_number(number, out),
        }
    }

    /// The value's size for the key size limits: UTF-8 length of a string, length of a
    /// binary; numbers are not limited (0).
    pub fn size_bytes(self) -> usize {
        match self {
            KeyValue::S(text) => text.len(),
            KeyValue::B(bytes) => bytes.len(),
            KeyValue::N(_) => 0,
        }
    }
}

/// The key of one item, borrowed from the item or from a request's `Key` map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PrimaryKey<'a> {
    /// The partition key value.
    pub partition: KeyValue<'a>,
    /// The sort key value, present exactly when the schema has a sort key.
    pub sort: Option<KeyValue<'a>>,
}

impl PrimaryKey<'_> {
    /// Appends the partition key's encoding, then the sort key's (if any).
    pub fn encode(&self, out: &mut Vec<u8>) {
        self.partition.encode(out);
        if let Some(sort) = self.sort {
            sort.encode(out);
        }
    }

    /// [`hash64`] of the partition key's encoding.
    pub fn partition_hash(&self) -> u64 {
        let mut encoded = Vec::with_capacity(32);
        self.partition.encode(&mut encoded);
        hash64(&encoded)
    }
}

impl KeySchema {
    /// A schema with only a partition key.
    pub fn new(partition: &str, partition_type: ScalarType) -> KeySchema {
        KeySchema {
            partition: KeyAttribute {
                name: partition.to_owned(),
                scalar_type: partition_type,
            },
            sort: None,
        }
    }

    /// This schema with a sort key.
    pub fn with_sort(mut self, sort: &str, sort_type: ScalarType) -> KeySchema {
        self.sort = Some(KeyAttribute {
            name: sort.to_owned(),
            scalar_type: sort_type,
        });
        self
    }

    /// Whether `name` is one of the key attributes.
    pub fn is_key_attribute(&self, name: &str) -> bool {
        self.partition.name == name || self.sort.as_ref().is_some_and(|sort| sort.name == name)
    }

    /// The key attributes: the partition key, then the sort key if any.
    pub fn attributes(&self) -> impl Iterator<Item = &KeyAttribute> {
        std::iter::once(&self.partition).chain(self.sort.as_ref())
    }

    /// The key of an item being written (PutItem, BatchWriteItem puts), with DynamoDB's checks
    /// and messages in its order: for the partition key, then the sort key: missing, wrong type,
    /// empty, too large. Other attributes of the item are ignored.
    ///
    /// # Errors
    /// [`KeyError::MissingInItem`], [`KeyError::TypeMismatch`], [`KeyError::EmptyString`],
    /// [`KeyError::EmptyBinary`], [`KeyError::PartitionKeyTooLarge`] or
    /// [`KeyError::SortKeyTooLarge`].
    pub fn key_of_item<'a>(&self, item: &'a Item) -> Result<PrimaryKey<'a>, KeyError> {
        let lookup = |attribute: &KeyAttribute, is_partition: bool| {
            let value = item
                .get(&attribute.name)
                .ok_or_else(|| KeyError::MissingInItem {
                    name: attribute.name.clone(),
                })?;
            let key = KeyValue::from_attribute(value)
                .filter(|key| key.scalar_type() == attribute.scalar_type)
                .ok_or_else(|| KeyError::TypeMismatch {
                    name: attribute.name.clone(),
                    expected: attribute.scalar_type,
                    actual: value.type_name(),
                })?;
            check_key_value(&attribute.name, key, is_partition)
        };
        let partition = lookup(&self.partition, true)?;
        let sort = self
            .sort
            .as_ref()
            .map(|sort| lookup(sort, false))
            .transpose()?;
        Ok(PrimaryKey { partition, sort })
    }

    /// The key named by a request's `Key` parameter (GetItem, DeleteItem, UpdateItem,
    /// BatchGetItem, ExclusiveStartKey), which must hold exactly the key attributes, with
    /// DynamoDB's checks and messages in its order.
    ///
    /// # Errors
    /// [`KeyError::SchemaMismatch`] for extra, missing or mistyped attributes; otherwise as
    /// [`KeySchema::key_of_item`] for empty and oversized values.
    pub fn key_from_map<'a>(
        &self,
        key: &'a BTreeMap<String, AttributeValue>,
    ) -> Result<PrimaryKey<'a>, KeyError> {
        let expected = 1 + usize::from(self.sort.is_some());
        if key.len() != expected {
            return Err(KeyError::SchemaMismatch);
        }
        let lookup = |attribute: &KeyAttribute, is_partition: bool| {
            let key = key
                .get(&attribute.name)
                .and_then(KeyValue::from_attribute)
                .filter(|key| key.scalar_type() == attribute.scalar_type)
                .ok_or(KeyError::SchemaMismatch)?;
            check_key_value(&attribute.name, key, is_partition)
        };
        let partition = lookup(&self.partition, true)?;
        let sort = self
            .sort
            .as_ref()
            .map(|sort| lookup(sort, false))
            .transpose()?;
        Ok(PrimaryKey { partition, sort })
    }

    /// Decodes an encoded primary key (as written by [`PrimaryKey::encode`]) back into the key
    /// attributes, e.g. for a LastEvaluatedKey.
    ///
    /// # Errors
    /// [`KeyDecodeError`] if `encoded` is not exactly one key of this schema.
    pub fn decode_key(&self, mut encoded: &[u8]) -> Result<Item, KeyDecodeError> {
        let total = encoded.len();
        let mut key = Item::new();
        for attribute in self.attributes() {
            let offset = total - encoded.len();
            let value = decode_key_value(attribute.scalar_type, &mut encoded)
                .map_err(|error| error.shifted(offset))?;
            key.insert(attribute.name.clone(), value);
        }
        if !encoded.is_empty() {
            return Err(KeyDecodeError::TrailingBytes(encoded.len()));
        }
        Ok(key)
    }
}

fn check_key_value<'a>(
    name: &str,
    key: KeyValue<'a>,
    is_partition: bool,
) -> Result<KeyValue<'a>, KeyError> {
    match key {
        KeyValue::S("") => {
            return Err(KeyError::EmptyString {
                name: name.to_owned(),
            });
        }
        KeyValue::B([]) => {
            return Err(KeyError::EmptyBinary {
                name: name.to_owned(),
            });
        }
        _ => {}
    }
    if is_partition && key.size_bytes() > PARTITION_KEY_BYTES_MAX {
        return Err(KeyError::PartitionKeyTooLarge);
    }
    if !is_partition && key.size_bytes() > SORT_KEY_BYTES_MAX {
        return Err(KeyError::SortKeyTooLarge);
    }
    Ok(key)
}

impl KeyDecodeError {
    /// The same error with offsets made relative to an input `offset` bytes earlier.
    fn shifted(self, offset: usize) -> KeyDecodeError {
        match self {
            KeyDecodeError::InvalidByte { byte, offset: at } => KeyDecodeError::InvalidByte {
                byte,
                offset: at + offset,
            },
            other => other,
        }
    }
}

const ESCAPE: u8 = 0x00;
const ESCAPED_ZERO: u8 = 0xFF;
const TERMINATOR: u8 = 0x01;

fn encode_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    encode_unterminated(bytes, out);
    out.extend_from_slice(&[ESCAPE, TERMINATOR]);
}

/// Appends the encoding of an S or B value without its terminator. Every encoding of a value
/// starting with `prefix` starts with these bytes (for `begins_with` key conditions), and they
/// sort before all of those encodings.
pub fn encode_unterminated(prefix: &[u8], out: &mut Vec<u8>) {
    out.reserve(prefix.len() + 2);
    for chunk in prefix.split_inclusive(|&b| b == ESCAPE) {
        out.extend_from_slice(chunk);
        if chunk.last() == Some(&ESCAPE) {
            out.push(ESCAPED_ZERO);
        }
    }
}

const NEGATIVE: u8 = 0x01;
const ZERO: u8 = 0x02;
const POSITIVE: u8 = 0x03;
const DIGITS_END: u8 = 0x00;

fn encode_number(number: &Number, out: &mut Vec<u8>) {
    if number.is_zero() {
        out.push(ZERO);
        return;
    }
    let negative = number.is_negative();
    out.push(if negative { NEGATIVE } else { POSITIVE });
    let start = out.len();
    let exponent = number.scientific_exponent() - crate::number::MIN_EXPONENT;
    out.push(u8::try_from(exponent).expect("scientific exponent + 130 is in 0..=255"));
    // Left-align the coefficient to an even digit count so pairs start at the first digit.
    let digits = number.digit_count();
    let mut coefficient = number.coefficient();
    let mut pair_digits = digits;
    if digits % 2 == 1 {
        coefficient *= 10;
        pair_digits += 1;
    }
    let pairs = pair_digits / 2;
    let mut divisor = 10u128.pow(pair_digits - 2);
    for _ in 0..pairs {
        let pair = (coefficient / divisor) % 100;
        out.push(u8::try_from(pair).expect("a pair of digits is below 100") + 1);
        divisor = (divisor / 100).max(1);
    }
    out.push(DIGITS_END);
    if negative {
        for byte in &mut out[start..] {
            *byte = 0xFF - *byte;
        }
    }
}

/// Decodes one key value of `scalar_type` from the front of `input` and advances `input` past
/// it.
///
/// # Errors
/// [`KeyDecodeError`] if `input` does not start with a valid encoding; offsets are relative to
/// `input` as given.
pub fn decode_key_value(
    scalar_type: ScalarType,
    input: &mut &[u8],
) -> Result<AttributeValue, KeyDecodeError> {
    match scalar_type {
        ScalarType::S => {
            let bytes = decode_bytes(input)?;
            String::from_utf8(bytes)
                .map(AttributeValue::S)
                .map_err(|_| KeyDecodeError::InvalidUtf8)
        }
        ScalarType::B => decode_bytes(input).map(AttributeValue::B),
        ScalarType::N => decode_number(input).map(AttributeValue::N),
    }
}

fn decode_bytes(input: &mut &[u8]) -> Result<Vec<u8>, KeyDecodeError> {
    let mut out = Vec::new();
    let mut at = 0;
    loop {
        let rest = &input[at..];
        let zero = rest
            .iter()
            .position(|&b| b == ESCAPE)
            .ok_or(KeyDecodeError::Truncated)?;
        out.extend_from_slice(&rest[..zero]);
        at += zero + 1;
        match input.get(at) {
            Some(&ESCAPED_ZERO) => out.push(ESCAPE),
            Some(&TERMINATOR) => {
                *input = &input[at + 1..];
                return Ok(out);
            }
            Some(&byte) => return Err(KeyDecodeError::InvalidByte { byte, offset: at }),
            None => return Err(KeyDecodeError::Truncated),
        }
        at += 1;
    }
}

fn decode_number(input: &mut &[u8]) -> Result<Number, KeyDecodeError> {
    let sign = *input.first().ok_or(KeyDecodeError::Truncated)?;
    let flip = match sign {
        ZERO => {
            *input = &input[1..];
            return Ok(Number::ZERO);
        }
        NEGATIVE => 0xFF,
        POSITIVE => 0x00,
        byte => return Err(KeyDecodeError::InvalidByte { byte, offset: 0 }),
    };
    let exponent_byte = *input.get(1).ok_or(KeyDecodeError::Truncated)? ^ flip;
    let mut coefficient: u128 = 0;
    let mut pairs = 0u32;
    let mut at = 2;
    loop {
        let byte = *input.get(at).ok_or(KeyDecodeError::Truncated)? ^ flip;
        if byte == DIGITS_END {
            break;
        }
        // At most 19 pairs hold 38 digits; a pair byte is 1..=100.
        if pairs == 19 || byte > 100 {
            return Err(KeyDecodeError::InvalidByte {
                byte: byte ^ flip,
                offset: at,
            });
        }
        coefficient = coefficient * 100 + u128::from(byte - 1);
        pairs += 1;
        at += 1;
    }
    if pairs == 0 {
        return Err(KeyDecodeError::InvalidByte {
            byte: input[at],
            offset: at,
        });
    }
    let scientific = i32::from(exponent_byte) + crate::number::MIN_EXPONENT;
    // The coefficient holds 2 × pairs digits, the first at the scientific exponent.
    let exponent = scientific - (2 * pairs as i32 - 1);
    let number = Number::from_parts(flip == 0xFF, coefficient, exponent)?;
    *input = &input[at + 1..];
    Ok(number)
}

/// A 64-bit hash of bytes (an encoded partition key). Stable forever: it decides which
/// partition holds an item and the order of Scan, so changing it would misplace stored data.
///
/// The input is read as little-endian 64-bit words, the last one zero-padded, with the length
/// mixed into the initial state so padding cannot collide; each word is folded in by xor,
/// multiplication by an odd constant and rotation (a bijection of the state for each word), and
/// the result goes through MurmurHash3's 64-bit finalizer so every output bit depends on every
/// input bit.
pub fn hash64(bytes: &[u8]) -> u64 {
    const SEED: u64 = 0x9E37_79B9_7F4A_7C15;
    const MULTIPLIER: u64 = 0xC2B2_AE3D_27D4_EB4F;
    let mut state = SEED ^ (bytes.len() as u64).wrapping_mul(MULTIPLIER);
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let word = u64::from_le_bytes(word.try_into().expect("chunks_exact yields 8 bytes"));
        state = (state ^ word).wrapping_mul(MULTIPLIER).rotate_left(29);
    }
    let mut last = [0u8; 8];
    last[..words.remainder().len()].copy_from_slice(words.remainder());
    state = (state ^ u64::from_le_bytes(last))
        .wrapping_mul(MULTIPLIER)
        .rotate_left(29);
    state ^= state >> 33;
    state = state.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    state ^= state >> 33;
    state = state.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    state ^ (state >> 33)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(text: &str) -> Number {
        Number::parse(text).unwrap()
    }

    fn encoded(value: KeyValue<'_>) -> Vec<u8> {
        let mut out = Vec::new();
        value.encode(&mut out);
        out
    }

    #[test]
    fn number_encodings_are_as_documented() {
        assert_eq!(encoded(KeyValue::N(&Number::ZERO)), [0x02]);
        // 1 = 1E0: exponent byte 130, pair "10" → 11, end.
        assert_eq!(encoded(KeyValue::N(&number("1"))), [0x03, 130, 11, 0]);
        // 123.4 = 1.234E2: pairs "12", "34".
        assert_eq!(
            encoded(KeyValue::N(&number("123.4"))),
            [0x03, 132, 13, 35, 0]
        );
        assert_eq!(
            encoded(KeyValue::N(&number("-1"))),
            [0x01, 255 - 130, 255 - 11, 255]
        );
        let longest = number("-1.2345678901234567890123456789012345678e-130");
        assert_eq!(encoded(KeyValue::N(&longest)).len(), 22);
    }

    #[test]
    fn string_encoding_escapes_zero_bytes() {
        assert_eq!(encoded(KeyValue::B(&[1, 0, 2])), [1, 0, 0xFF, 2, 0, 1]);
        assert_eq!(encoded(KeyValue::S("ab")), [b'a', b'b', 0, 1]);
        let mut prefix = Vec::new();
        encode_unterminated(&[0, 0], &mut prefix);
        assert_eq!(prefix, [0, 0xFF, 0, 0xFF]);
    }

    #[test]
    fn key_round_trips_through_schema() {
        let schema = KeySchema::new("pk", ScalarType::B).with_sort("sk", ScalarType::N);
        let mut item = Item::new();
        item.insert("pk".into(), AttributeValue::B(vec![0, 0xFF, 0, 1]));
        item.insert("sk".into(), AttributeValue::N(number("-12.5")));
        item.insert("other".into(), AttributeValue::Null);
        let key = schema.key_of_item(&item).unwrap();
        let mut bytes = Vec::new();
        key.encode(&mut bytes);
        let decoded = schema.decode_key(&bytes).unwrap();
        item.remove("other");
        assert_eq!(decoded, item);
        bytes.push(7);
        assert_eq!(
            schema.decode_key(&bytes),
            Err(KeyDecodeError::TrailingBytes(1))
        );
    }

    #[test]
    fn key_errors_follow_dynamodb() {
        let schema = KeySchema::new("pk", ScalarType::S).with_sort("sk", ScalarType::B);
        let mut item = Item::new();
        assert_eq!(
            schema.key_of_item(&item).unwrap_err().to_string(),
            "One or more parameter values were invalid: Missing the key pk in the item"
        );
        item.insert("pk".into(), AttributeValue::M(BTreeMap::new()));
        assert_eq!(
            schema.key_of_item(&item).unwrap_err().to_string(),
            "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: M"
        );
        item.insert("pk".into(), AttributeValue::S(String::new()));
        assert_eq!(
            schema.key_of_item(&item).unwrap_err().to_string(),
            "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk"
        );
        item.insert("pk".into(), AttributeValue::S("p".repeat(2049)));
        assert_eq!(
            schema.key_of_item(&item),
            Err(KeyError::PartitionKeyTooLarge)
        );
        item.insert("pk".into(), AttributeValue::S("p".repeat(2048)));
        item.insert("sk".into(), AttributeValue::B(Vec::new()));
        assert_eq!(
            schema.key_of_item(&item),
            Err(KeyError::EmptyBinary { name: "sk".into() })
        );
        item.insert("sk".into(), AttributeValue::B(vec![1; 1025]));
        assert_eq!(
            schema.key_of_item(&item).unwrap_err().to_string(),
            "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes"
        );
        item.insert("sk".into(), AttributeValue::B(vec![1; 1024]));
        assert!(schema.key_of_item(&item).is_ok());

        // The Key parameter must hold exactly the key attributes.
        assert!(schema.key_from_map(&item).is_ok());
        item.insert("extra".into(), AttributeValue::Null);
        assert_eq!(schema.key_from_map(&item), Err(KeyError::SchemaMismatch));
        item.remove("extra");
        item.insert("sk".into(), AttributeValue::S("x".into()));
        assert_eq!(schema.key_from_map(&item), Err(KeyError::SchemaMismatch));
        item.insert("sk".into(), AttributeValue::B(vec![1; 1025]));
        assert_eq!(schema.key_from_map(&item), Err(KeyError::SortKeyTooLarge));
    }

    #[test]
    fn hash64_is_stable() {
        // These values are part of the storage format: a change here misplaces stored items.
        let golden: [(&[u8], u64); 4] = [
            (b"", 0xe775_4b15_7bf7_bf1b),
            (b"a\x00\x01", 0x2fd0_d420_2361_b3a9),
            (b"user#12345\x00\x01", 0x7719_ff16_a34f_0e1e),
            (&[0x03, 130, 11, 0], 0x451c_44a2_84cd_f4b0),
        ];
        for (input, expected) in golden {
            assert_eq!(hash64(input), expected);
        }
    }
}

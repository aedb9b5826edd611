//! The storage encoding of an [`Item`]: compact, fast, versioned; drawn byte by byte in
//! `docs/item-format.md`.
//!
//! `encode_item` writes format version 1: a version byte, the attribute count, then each
//! attribute's name and value. Lengths and counts are LEB128 varints; each value starts with a
//! one-byte tag. [`decode_item`] validates everything it reads (tags, lengths, UTF-8, number
//! range, nesting depth, non-empty sets) and never panics or over-allocates on corrupt input:
//! storage checksums catch corruption first, and this is the second line.
//!
//! Set uniqueness is not re-checked on decode (it would cost a hash per member on every read);
//! sets are only ever stored after validation on the way in.

use crate::number::NumberError;
use crate::value::MAX_NESTING_LEVEL;
use crate::{AttributeValue, Item, Number};

/// The format version `encode_item` writes, and the only one `decode_item` reads.
pub const FORMAT_VERSION: u8 = 1;

const TAG_S: u8 = 0x01;
const TAG_N: u8 = 0x02;
const TAG_B: u8 = 0x03;
const TAG_FALSE: u8 = 0x04;
const TAG_TRUE: u8 = 0x05;
const TAG_NULL: u8 = 0x06;
const TAG_M: u8 = 0x07;
const TAG_L: u8 = 0x08;
const TAG_SS: u8 = 0x09;
const TAG_NS: u8 = 0x0A;
const TAG_BS: u8 = 0x0B;

/// Why bytes are not an encoded item. Corrupt or foreign data; nothing to retry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// The input is empty: not even a version byte.
    #[error("encoded item is empty")]
    Empty,
    /// The version byte names a format this build does not read.
    #[error("encoded item has format version {0}; this build reads version {FORMAT_VERSION}")]
    UnsupportedVersion(u8),
    /// The input ends inside an item.
    #[error("encoded item is truncated at offset {0}")]
    Truncated(usize),
    /// A byte that is not a value tag where one is expected.
    #[error("encoded item has unknown value tag {tag:#04x} at offset {offset}")]
    InvalidTag {
        /// The byte.
        tag: u8,
        /// Its offset.
        offset: usize,
    },
    /// A varint longer than its type allows.
    #[error("encoded item has an overlong varint at offset {0}")]
    InvalidVarint(usize),
    /// A name or string that is not UTF-8.
    #[error("encoded item has invalid UTF-8 at offset {0}")]
    InvalidUtf8(usize),
    /// A number outside DynamoDB's range or precision.
    #[error("encoded item has an invalid number: {0}")]
    InvalidNumber(#[from] NumberError),
    /// A set with no members.
    #[error("encoded item has an empty set at offset {0}")]
    EmptySet(usize),
    /// Values nested deeper than [`MAX_NESTING_LEVEL`].
    #[error("encoded item nests deeper than {MAX_NESTING_LEVEL} levels")]
    TooDeep,
    /// Bytes remain after the item.
    #[error("encoded item has {0} trailing bytes")]
    TrailingBytes(usize),
}

/// Appends the encoding of `item` to `out` (format version [`FORMAT_VERSION`]).
pub fn encode_item(item: &Item, out: &mut Vec<u8>) {
    out.push(FORMAT_VERSION);
    write_varint(out, item.len() as u64);
    for (name, value) in item {
        write_bytes(out, name.as_bytes());
        encode_value(value, out);
    }
}

fn encode_value(value: &AttributeValue, out: &mut Vec<u8>) {
    match value {
        AttributeValue::S(text) => {
            out.push(TAG_S);
            write_bytes(out, text.as_bytes());
        }
        AttributeValue::N(number) => {
            out.push(TAG_N);
            write_number(out, number);
        }
        AttributeValue::B(bytes) => {
            out.push(TAG_B);
            write_bytes(out, bytes);
        }
        AttributeValue::Bool(flag) => out.push(if *flag { TAG_TRUE } else { TAG_FALSE }),
        AttributeValue::Null => out.push(TAG_NULL),
        AttributeValue::M(members) => {
            out.push(TAG_M);
            write_varint(out, members.len() as u64);
            for (name, member) in members {
                write_bytes(out, name.as_bytes());
                encode_value(member, out);
            }
        }
        AttributeValue::L(elements) => {
            out.push(TAG_L);
            write_varint(out, elements.len() as u64);
            for element in elements {
                encode_value(element, out);
            }
        }
        AttributeValue::Ss(members) => {
            out.push(TAG_SS);
            write_varint(out, members.len() as u64);
            for member in members {
                write_bytes(out, member.as_bytes());
            }
        }
        AttributeValue::Ns(members) => {
            out.push(TAG_NS);
            write_varint(out, members.len() as u64);
            for member in members {
                write_number(out, member);
            }
        }
        AttributeValue::Bs(members) => {
            out.push(TAG_BS);
            write_varint(out, members.len() as u64);
            for member in members {
                write_bytes(out, member);
            }
        }
    }
}

fn write_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn write_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    write_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// A number is a varint header `zigzag(exponent) << 1 | negative`, then the coefficient as a
/// varint (up to 19 bytes for 38 digits). Zero is header 0, coefficient 0.
fn write_number(out: &mut Vec<u8>, number: &Number) {
    let exponent = i64::from(number.exponent());
    let zigzag = ((exponent << 1) ^ (exponent >> 63)) as u64;
    write_varint(out, (zigzag << 1) | u64::from(number.is_negative()));
    let mut coefficient = number.coefficient();
    while coefficient >= 0x80 {
        out.push((coefficient as u8) | 0x80);
        coefficient >>= 7;
    }
    out.push(coefficient as u8);
}

/// Decodes an item written by [`encode_item`]; `bytes` must hold exactly one item.
///
/// # Errors
/// [`CodecError`] for anything that is not a well-formed version-1 item.
pub fn decode_item(bytes: &[u8]) -> Result<Item, CodecError> {
    let version = *bytes.first().ok_or(CodecError::Empty)?;
    if version != FORMAT_VERSION {
        return Err(CodecError::UnsupportedVersion(version));
    }
    let mut reader = Reader { bytes, at: 1 };
    let count = reader.count()?;
    let mut item = Item::new();
    for _ in 0..count {
        let name = reader.string()?;
        let value = reader.value(1)?;
        item.insert(name, value);
    }
    if reader.at != bytes.len() {
        return Err(CodecError::TrailingBytes(bytes.len() - reader.at));
    }
    Ok(item)
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, CodecError> {
        let byte = *self
            .bytes
            .get(self.at)
            .ok_or(CodecError::Truncated(self.at))?;
        self.at += 1;
        Ok(byte)
    }

    fn varint(&mut self, max_bits: u32) -> Result<u128, CodecError> {
        let start = self.at;
        let mut value: u128 = 0;
        let mut shift = 0;
        loop {
            let byte = self.byte()?;
            let bits = u128::from(byte & 0x7F);
            if shift >= max_bits || (shift > 0 && bits >> (max_bits - shift) != 0) {
                return Err(CodecError::InvalidVarint(start));
            }
            value |= bits << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
            shift += 7;
        }
    }

    fn u64(&mut self) -> Result<u64, CodecError> {
        let start = self.at;
        u64::try_from(self.varint(64)?).map_err(|_| CodecError::InvalidVarint(start))
    }

    /// A count of things that each take at least one byte, so never more than the bytes left;
    /// this bounds every allocation by the input size.
    fn count(&mut self) -> Result<usize, CodecError> {
        let start = self.at;
        let count = self.u64()?;
        let left = (self.bytes.len() - self.at) as u64;
        if count > left {
            return Err(CodecError::Truncated(start));
        }
        Ok(count as usize)
    }

    fn slice(&mut self) -> Result<&[u8], CodecError> {
        let start = self.at;
        let len = self.count()?;
        let slice = &self.bytes[self.at..self.at + len];
        self.at += len;
        debug_assert!(self.at >= start);
        Ok(slice)
    }

    fn string(&mut self) -> Result<String, CodecError> {
        let start = self.at;
        let bytes = self.slice()?;
        std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|_| CodecError::InvalidUtf8(start))
    }

    fn number(&mut self) -> Result<Number, CodecError> {
        let header = self.u64()?;
        let negative = header & 1 == 1;
        let zigzag = header >> 1;
        let exponent = ((zigzag >> 1) as i64) ^ -((zigzag & 1) as i64);
        let coefficient = self.varint(128)?;
        let exponent = i32::try_from(exponent).map_err(|_| NumberError::Overflow)?;
        Ok(Number::from_parts(negative, coefficient, exponent)?)
    }

    fn value(&mut self, level: u32) -> Result<AttributeValue, CodecError> {
        if level > MAX_NESTING_LEVEL {
            return Err(CodecError::TooDeep);
        }
        let offset = self.at;
        let tag = self.byte()?;
        Ok(match tag {
            TAG_S => AttributeValue::S(self.string()?),
            TAG_N => AttributeValue::N(self.number()?),
            TAG_B => AttributeValue::B(self.slice()?.to_vec()),
            TAG_FALSE => AttributeValue::Bool(false),
            TAG_TRUE => AttributeValue::Bool(true),
            TAG_NULL => AttributeValue::Null,
            TAG_M => {
                let count = self.count()?;
                let mut members = std::collections::BTreeMap::new();
                for _ in 0..count {
                    let name = self.string()?;
                    members.insert(name, self.value(level + 1)?);
                }
                AttributeValue::M(members)
            }
            TAG_L => {
                let count = self.count()?;
                let mut elements = Vec::with_capacity(count);
                for _ in 0..count {
                    elements.push(self.value(level + 1)?);
                }
                AttributeValue::L(elements)
            }
            TAG_SS => AttributeValue::Ss(self.set(offset, Reader::string)?),
            TAG_NS => AttributeValue::Ns(self.set(offset, Reader::number)?),
            TAG_BS => AttributeValue::Bs(self.set(offset, |r| Ok(r.slice()?.to_vec()))?),
            tag => return Err(CodecError::InvalidTag { tag, offset }),
        })
    }

    fn set<T>(
        &mut self,
        offset: usize,
        mut member: impl FnMut(&mut Self) -> Result<T, CodecError>,
    ) -> Result<Vec<T>, CodecError> {
        let count = self.count()?;
        if count == 0 {
            return Err(CodecError::EmptySet(offset));
        }
        let mut members = Vec::with_capacity(count);
        for _ in 0..count {
            members.push(member(self)?);
        }
        Ok(members)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_item_layout_is_as_documented() {
        let mut item = Item::new();
        item.insert("a".into(), AttributeValue::S("hi".into()));
        item.insert(
            "n".into(),
            AttributeValue::N(Number::parse("-1.5").unwrap()),
        );
        let mut out = Vec::new();
        encode_item(&item, &mut out);
        // version, 2 attributes; "a" S "hi"; "n" N: exponent -1 → zigzag 1 → header 0b11, 15.
        assert_eq!(
            out,
            [1, 2, 1, b'a', TAG_S, 2, b'h', b'i', 1, b'n', TAG_N, 3, 15]
        );
        assert_eq!(decode_item(&out), Ok(item));
    }

    #[test]
    fn rejects_corruption() {
        assert_eq!(decode_item(&[]), Err(CodecError::Empty));
        assert_eq!(decode_item(&[2, 0]), Err(CodecError::UnsupportedVersion(2)));
        assert_eq!(decode_item(&[1, 0, 0]), Err(CodecError::TrailingBytes(1)));
        assert_eq!(
            decode_item(&[1, 1, 1, b'a', 0x0C]),
            Err(CodecError::InvalidTag {
                tag: 0x0C,
                offset: 4
            })
        );
        assert_eq!(
            decode_item(&[1, 1, 1, b'a', TAG_SS, 0]),
            Err(CodecError::EmptySet(4))
        );
        // A count larger than the input cannot allocate.
        assert_eq!(
            decode_item(&[1, 0xFF, 0xFF, 0xFF, 0x7F]),
            Err(CodecError::Truncated(1))
        );
        // u128::MAX has 39 digits.
        let mut too_precise = vec![1, 1, 1, b'a', TAG_N, 0];
        too_precise.extend([0xFF; 18]);
        too_precise.push(0x03);
        assert_eq!(
            decode_item(&too_precise),
            Err(CodecError::InvalidNumber(NumberError::TooManyDigits))
        );
        too_precise.pop();
        too_precise.push(0x07);
        assert_eq!(decode_item(&too_precise), Err(CodecError::InvalidVarint(6)));
        let mut deep = vec![1, 1, 1, b'a'];
        deep.extend(std::iter::repeat_n([TAG_L, 1], 40).flatten());
        deep.push(TAG_NULL);
        assert_eq!(decode_item(&deep), Err(CodecError::TooDeep));
    }
}

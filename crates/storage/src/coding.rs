//! Integer encodings shared by every on-disk format: LEB128 varints and little-endian fixed
//! widths. Decoders return `None` on truncated input so callers can report corruption.

/// Appends `value` as a LEB128 varint (1-5 bytes).
pub(crate) fn put_varint32(buf: &mut Vec<u8>, value: u32) {
    put_varint64(buf, u64::from(value));
}

/// Appends `value` as a LEB128 varint (1-10 bytes).
pub(crate) fn put_varint64(buf: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        buf.push((value as u8) | 0x80);
        value >>= 7;
    }
    buf.push(value as u8);
}

/// Encodes `value` as a LEB128 varint into `buf`; returns the bytes used (1-5).
pub(crate) fn encode_varint32(buf: &mut [u8; 5], value: u32) -> &[u8] {
    let mut value = value;
    let mut n = 0;
    while value >= 0x80 {
        buf[n] = (value as u8) | 0x80;
        value >>= 7;
        n += 1;
    }
    buf[n] = value as u8;
    &buf[..=n]
}

/// Decodes a varint from the front of `input`; returns it and the bytes consumed.
#[inline]
pub(crate) fn get_varint64(input: &[u8]) -> Option<(u64, usize)> {
    let mut result = 0u64;
    for (i, &byte) in input.iter().enumerate().take(10) {
        result |= u64::from(byte & 0x7f) << (7 * i);
        if byte < 0x80 {
            return Some((result, i + 1));
        }
    }
    None
}

/// Decodes a varint that must fit in 32 bits.
#[inline]
pub(crate) fn get_varint32(input: &[u8]) -> Option<(u32, usize)> {
    if let Some(&b) = input.first()
        && b < 0x80
    {
        return Some((u32::from(b), 1));
    }
    let (v, n) = get_varint64(input)?;
    Some((u32::try_from(v).ok()?, n))
}

/// Appends a length-prefixed byte string.
pub(crate) fn put_length_prefixed(buf: &mut Vec<u8>, bytes: &[u8]) {
    put_varint64(buf, bytes.len() as u64);
    buf.extend_from_slice(bytes);
}

/// A cursor over an encoded buffer; every read returns `None` if the input is too short.
pub(crate) struct Reader<'a> {
    input: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(input: &'a [u8]) -> Self {
        Self { input }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.input.is_empty()
    }

    pub(crate) fn remaining(&self) -> &'a [u8] {
        self.input
    }

    pub(crate) fn varint64(&mut self) -> Option<u64> {
        let (v, n) = get_varint64(self.input)?;
        self.input = &self.input[n..];
        Some(v)
    }

    pub(crate) fn u8(&mut self) -> Option<u8> {
        let (&b, rest) = self.input.split_first()?;
        self.input = rest;
        Some(b)
    }

    pub(crate) fn u32(&mut self) -> Option<u32> {
        let bytes = self.bytes(4)?;
        Some(u32::from_le_bytes(bytes.try_into().expect("4 bytes")))
    }

    pub(crate) fn u64(&mut self) -> Option<u64> {
        let bytes = self.bytes(8)?;
        Some(u64::from_le_bytes(bytes.try_into().expect("8 bytes")))
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.input.len() < n {
            return None;
        }
        let (head, rest) = self.input.split_at(n);
        self.input = rest;
        Some(head)
    }

    pub(crate) fn length_prefixed(&mut self) -> Option<&'a [u8]> {
        let n = usize::try_from(self.varint64()?).ok()?;
        self.bytes(n)
    }
}

/// Reads a little-endian u32 at `offset`; the caller guarantees the bounds.
#[inline]
pub(crate) fn fixed32_at(buf: &[u8], offset: usize) -> u32 {
    u32::from_le_bytes(
        buf[offset..offset + 4]
            .try_into()
            .expect("4 bytes in bounds"),
    )
}

/// The masked CRC32C stored in every checksummed format: masking keeps a CRC of data that
/// itself contains CRCs from being trivially valid (the LevelDB trick).
pub(crate) fn masked_crc(data: &[&[u8]]) -> u32 {
    let mut crc = 0u32;
    for part in data {
        crc = crc32c::crc32c_append(crc, part);
    }
    crc.rotate_right(15).wrapping_add(0xa282_ead8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_at_every_width() {
        let values = [
            0u64,
            1,
            127,
            128,
            300,
            16_383,
            16_384,
            u32::MAX as u64,
            u64::MAX,
        ];
        let mut buf = Vec::new();
        for &v in &values {
            put_varint64(&mut buf, v);
        }
        let mut r = Reader::new(&buf);
        for &v in &values {
            assert_eq!(r.varint64(), Some(v));
        }
        assert!(r.is_empty());
        assert_eq!(get_varint64(&[0x80, 0x80]), None, "truncated varint");
        assert_eq!(
            get_varint32(&[0xff, 0xff, 0xff, 0xff, 0x7f]),
            None,
            "overflows u32"
        );
    }

    #[test]
    fn masked_crc_differs_from_plain_crc() {
        let data = b"hello";
        assert_ne!(masked_crc(&[data]), crc32c::crc32c(data));
        assert_eq!(masked_crc(&[b"he", b"llo"]), masked_crc(&[data]));
    }
}

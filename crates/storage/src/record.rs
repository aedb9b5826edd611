//! Checksummed record framing shared by the WAL and the manifest.
//!
//! A record is `length: u32 LE | crc: u32 LE | type: u8 | payload[length]`, where `crc` is the
//! masked CRC32C of `type ++ payload`. Type 0 is never written, so zero-filled space is never a
//! valid record.
//!
//! Reading applies the recovery rule: in a file whose tail may be torn (the newest WAL, the
//! manifest), a bad record ends the file *unless* a valid record starts anywhere after it, which
//! means damage in the middle: an error. In other files any bad record is an error.

use crate::coding::masked_crc;

/// Bytes before the payload.
pub(crate) const HEADER_LEN: usize = 9;

/// What a record holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum RecordType {
    /// An encoded write batch (WAL).
    Batch = 1,
    /// An encoded version edit (manifest).
    Edit = 2,
}

/// Appends one framed record to `buf`.
pub(crate) fn encode_record(buf: &mut Vec<u8>, kind: RecordType, payload: &[u8]) {
    let len = u32::try_from(payload.len()).expect("records are smaller than 4 GiB");
    buf.extend_from_slice(&len.to_le_bytes());
    let type_byte = [kind as u8];
    buf.extend_from_slice(&masked_crc(&[&type_byte, payload]).to_le_bytes());
    buf.push(kind as u8);
    buf.extend_from_slice(payload);
}

/// Why a file of records could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RecordCorruption {
    /// Byte offset of the first bad record.
    pub(crate) offset: usize,
    /// What is wrong.
    pub(crate) detail: String,
}

/// The records of a file, as byte ranges of its content.
#[derive(Debug, Default)]
pub(crate) struct Records {
    /// `(offset of the header, payload range)` of each valid record, in order.
    pub(crate) payloads: Vec<std::ops::Range<usize>>,
    /// Where the valid records end; less than the file length if a torn tail was dropped.
    pub(crate) valid_len: usize,
}

/// Checks the record at `pos`; returns its payload range or why it is bad.
fn check_record(
    data: &[u8],
    pos: usize,
    kind: RecordType,
) -> Result<std::ops::Range<usize>, String> {
    let rest = &data[pos..];
    if rest.len() < HEADER_LEN {
        return Err(format!("truncated record header ({} bytes)", rest.len()));
    }
    let len = u32::from_le_bytes(rest[..4].try_into().expect("4 bytes")) as usize;
    let crc = u32::from_le_bytes(rest[4..8].try_into().expect("4 bytes"));
    let type_byte = rest[8];
    if type_byte != kind as u8 {
        return Err(format!("unexpected record type {type_byte}"));
    }
    if rest.len() - HEADER_LEN < len {
        return Err(format!(
            "record of {len} bytes runs past the end of the file"
        ));
    }
    let payload = &rest[HEADER_LEN..HEADER_LEN + len];
    if masked_crc(&[&[type_byte], payload]) != crc {
        return Err("record checksum mismatch".to_owned());
    }
    Ok(pos + HEADER_LEN..pos + HEADER_LEN + len)
}

/// Splits `data` into records of type `kind`. With `torn_tail_allowed`, a bad record followed by
/// nothing valid ends the file; otherwise any bad record is an error.
pub(crate) fn read_records(
    data: &[u8],
    kind: RecordType,
    torn_tail_allowed: bool,
) -> Result<Records, RecordCorruption> {
    let mut records = Records::default();
    let mut pos = 0;
    while pos < data.len() {
        match check_record(data, pos, kind) {
            Ok(range) => {
                pos = range.end;
                records.payloads.push(range);
            }
            Err(detail) => {
                if !torn_tail_allowed {
                    return Err(RecordCorruption {
                        offset: pos,
                        detail,
                    });
                }
                if let Some(next) =
                    (pos + 1..data.len()).find(|&p| check_record(data, p, kind).is_ok())
                {
                    return Err(RecordCorruption {
                        offset: pos,
                        detail: format!("{detail}, yet a valid record follows at offset {next}"),
                    });
                }
                break;
            }
        }
    }
    records.valid_len = pos;
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_of(payloads: &[&[u8]]) -> Vec<u8> {
        let mut buf = Vec::new();
        for p in payloads {
            encode_record(&mut buf, RecordType::Batch, p);
        }
        buf
    }

    #[test]
    fn records_round_trip() {
        let data = file_of(&[b"one", b"", b"three"]);
        let records = read_records(&data, RecordType::Batch, false).unwrap();
        let got: Vec<&[u8]> = records.payloads.iter().map(|r| &data[r.clone()]).collect();
        assert_eq!(got, vec![&b"one"[..], b"", b"three"]);
        assert_eq!(records.valid_len, data.len());
    }

    #[test]
    fn torn_tail_is_the_end_of_the_log() {
        let data = file_of(&[b"one", b"two"]);
        for cut in HEADER_LEN + 4..data.len() {
            let records = read_records(&data[..cut], RecordType::Batch, true).unwrap();
            assert_eq!(records.payloads.len(), 1, "cut at {cut}");
            assert!(read_records(&data[..cut], RecordType::Batch, false).is_err());
        }
        let mut zeros = data.clone();
        zeros.extend_from_slice(&[0; 64]);
        assert_eq!(
            read_records(&zeros, RecordType::Batch, true)
                .unwrap()
                .payloads
                .len(),
            2
        );
    }

    #[test]
    fn corruption_before_a_valid_record_is_an_error() {
        let mut data = file_of(&[b"first record", b"second record"]);
        data[HEADER_LEN + 2] ^= 0x40;
        let err = read_records(&data, RecordType::Batch, true).unwrap_err();
        assert_eq!(err.offset, 0);
        assert!(
            err.detail.contains("valid record follows"),
            "{}",
            err.detail
        );
    }

    #[test]
    fn corrupt_last_record_is_a_torn_tail() {
        let mut data = file_of(&[b"first record", b"second record"]);
        let last = data.len() - 1;
        data[last] ^= 1;
        let records = read_records(&data, RecordType::Batch, true).unwrap();
        assert_eq!(records.payloads.len(), 1);
    }
}

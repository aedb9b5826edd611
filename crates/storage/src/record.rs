//! Checksummed record framings of the WAL and the manifest.
//!
//! *Full* records (the manifest, and logs written before the compact framing): `length: u32 LE
//! | length_crc: u32 LE | crc: u32 LE | type: u8 | payload[length]`, where `length_crc` is the
//! masked CRC32C of the four length bytes and `crc` the masked CRC32C of `type ++ payload`. The
//! separate length check tells a record cut short by a crash (its length is intact, its bytes
//! run past the end of the file) from a damaged one (the length itself fails its check), which
//! the manifest's reading rule needs. Type 0 is never written.
//!
//! *Compact* records (logs): `crc: u32 LE | length: varint | payload[length]`, `crc` the masked
//! CRC32C of the length bytes and the payload. Six bytes for a typical write instead of
//! thirteen: the logs' reading rules do not need to tell a damaged length from a torn write
//! (any bad record of the newest log ends it unless a valid one follows, and older logs must be
//! entirely valid).
//!
//! Reading applies the recovery rules of [`TailRule`].

use crate::coding::{get_varint32, masked_crc, put_varint32};

/// Bytes before the payload.
pub(crate) const HEADER_LEN: usize = 13;

/// What a record holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum RecordType {
    /// An encoded write batch (WAL).
    Batch = 1,
    /// An encoded version edit (manifest).
    Edit = 2,
}

/// How the end of a file may look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TailRule {
    /// Every record must be whole and valid, up to zeros that may fill the rest of the file
    /// (older WALs, which were synced whole before a newer one was started, and may have been
    /// preallocated past their last record).
    Strict,
    /// The last record may be cut short, or the file may end in zeros (the manifest: every
    /// edit is synced before it takes effect, so only an unfinished append can be damaged).
    Truncated,
    /// Any bad record ends the file, unless a valid record starts anywhere after it (the
    /// newest WAL: its unsynced tail may hold anything). Zeros to the end end it too.
    TornOrCorrupt,
}

/// Appends one framed record to `buf`.
pub(crate) fn encode_record(buf: &mut Vec<u8>, kind: RecordType, payload: &[u8]) {
    let len = u32::try_from(payload.len())
        .expect("records are smaller than 4 GiB")
        .to_le_bytes();
    buf.extend_from_slice(&len);
    buf.extend_from_slice(&masked_crc(&[&len]).to_le_bytes());
    let type_byte = [kind as u8];
    buf.extend_from_slice(&masked_crc(&[&type_byte, payload]).to_le_bytes());
    buf.push(kind as u8);
    buf.extend_from_slice(payload);
}

/// Appends one compact record whose payload is `head ++ body`.
pub(crate) fn encode_compact_record(buf: &mut Vec<u8>, head: &[u8], body: &[u8]) {
    let len = u32::try_from(head.len() + body.len()).expect("records are smaller than 4 GiB");
    let crc_at = buf.len();
    buf.extend_from_slice(&[0; 4]);
    let len_at = buf.len();
    put_varint32(buf, len);
    let crc = masked_crc(&[&buf[len_at..], head, body]);
    buf[crc_at..len_at].copy_from_slice(&crc.to_le_bytes());
    buf.extend_from_slice(head);
    buf.extend_from_slice(body);
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
    /// The payload range of each valid record, in order.
    pub(crate) payloads: Vec<std::ops::Range<usize>>,
    /// Where the valid records end; less than the file length if a torn tail was dropped.
    pub(crate) valid_len: usize,
}

enum Check {
    Valid(std::ops::Range<usize>),
    /// Cut short: fewer bytes than the header, or than its intact length says.
    Truncated(String),
    Bad(String),
}

fn check_record(data: &[u8], pos: usize, kind: RecordType) -> Check {
    let rest = &data[pos..];
    if rest.len() < HEADER_LEN {
        return Check::Truncated(format!("truncated record header ({} bytes)", rest.len()));
    }
    let word = |i: usize| u32::from_le_bytes(rest[i..i + 4].try_into().expect("4 bytes"));
    if masked_crc(&[&rest[..4]]) != word(4) {
        return Check::Bad("record length fails its checksum".to_owned());
    }
    let len = word(0) as usize;
    let type_byte = rest[12];
    if type_byte != kind as u8 {
        return Check::Bad(format!("unexpected record type {type_byte}"));
    }
    if rest.len() - HEADER_LEN < len {
        return Check::Truncated(format!(
            "record of {len} bytes runs past the end of the file"
        ));
    }
    let payload = &rest[HEADER_LEN..HEADER_LEN + len];
    if masked_crc(&[&[type_byte], payload]) != word(8) {
        return Check::Bad("record checksum mismatch".to_owned());
    }
    Check::Valid(pos + HEADER_LEN..pos + HEADER_LEN + len)
}

fn check_compact_record(data: &[u8], pos: usize) -> Check {
    let rest = &data[pos..];
    if rest.len() < 5 {
        return Check::Truncated(format!("truncated record header ({} bytes)", rest.len()));
    }
    let crc = u32::from_le_bytes(rest[..4].try_into().expect("4 bytes"));
    let Some((len, n)) = get_varint32(&rest[4..]) else {
        // A varint cut by the end of the file, or one too long to be a length.
        return if rest.len() < 4 + 5 {
            Check::Truncated("truncated record length".to_owned())
        } else {
            Check::Bad("malformed record length".to_owned())
        };
    };
    let len = len as usize;
    let header = 4 + n;
    if rest.len() - header < len {
        return Check::Truncated(format!(
            "record of {len} bytes runs past the end of the file"
        ));
    }
    let payload = &rest[header..header + len];
    if masked_crc(&[&rest[4..header], payload]) != crc {
        return Check::Bad("record checksum mismatch".to_owned());
    }
    Check::Valid(pos + header..pos + header + len)
}

/// Splits `data` into full records of type `kind`, applying `rule` to a bad record.
pub(crate) fn read_records(
    data: &[u8],
    kind: RecordType,
    rule: TailRule,
) -> Result<Records, RecordCorruption> {
    read_with(data, rule, |data, pos| check_record(data, pos, kind))
}

/// Whether a valid compact record starts at any offset of `data` from `from` on.
pub(crate) fn any_compact_record(data: &[u8], from: usize) -> bool {
    (from..data.len()).any(|p| matches!(check_compact_record(data, p), Check::Valid(_)))
}

/// Splits `data` into compact records, applying `rule` to a bad record.
pub(crate) fn read_compact_records(
    data: &[u8],
    rule: TailRule,
) -> Result<Records, RecordCorruption> {
    read_with(data, rule, check_compact_record)
}

fn read_with(
    data: &[u8],
    rule: TailRule,
    check_record: impl Fn(&[u8], usize) -> Check,
) -> Result<Records, RecordCorruption> {
    let mut records = Records::default();
    let mut pos = 0;
    while pos < data.len() {
        let (detail, truncated) = match check_record(data, pos) {
            Check::Valid(range) => {
                pos = range.end;
                records.payloads.push(range);
                continue;
            }
            Check::Truncated(d) => (d, true),
            Check::Bad(d) => (d, false),
        };
        // Zeros to the end are space written ahead of the appends (a preallocated log) or
        // never written (the manifest): no record is all zeros, so none can hide in them.
        let zeros = data[pos..].iter().all(|&b| b == 0);
        if zeros {
            break;
        }
        let tail_ok = match rule {
            TailRule::Strict => false,
            TailRule::Truncated => truncated,
            TailRule::TornOrCorrupt => true,
        };
        if !tail_ok {
            return Err(RecordCorruption {
                offset: pos,
                detail,
            });
        }
        let valid_after =
            (pos + 1..data.len()).find(|&p| matches!(check_record(data, p), Check::Valid(_)));
        if let Some(next) = valid_after {
            return Err(RecordCorruption {
                offset: pos,
                detail: format!("{detail}, yet a valid record follows at offset {next}"),
            });
        }
        break;
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
        let records = read_records(&data, RecordType::Batch, TailRule::Strict).unwrap();
        let got: Vec<&[u8]> = records.payloads.iter().map(|r| &data[r.clone()]).collect();
        assert_eq!(got, vec![&b"one"[..], b"", b"three"]);
        assert_eq!(records.valid_len, data.len());
    }

    #[test]
    fn torn_tail_is_the_end_of_the_log() {
        let data = file_of(&[b"one", b"two"]);
        for cut in HEADER_LEN + 4..data.len() {
            let records =
                read_records(&data[..cut], RecordType::Batch, TailRule::Truncated).unwrap();
            assert_eq!(records.payloads.len(), 1, "cut at {cut}");
            assert!(read_records(&data[..cut], RecordType::Batch, TailRule::Strict).is_err());
        }
        let mut zeros = data.clone();
        zeros.extend_from_slice(&[0; 64]);
        assert_eq!(
            read_records(&zeros, RecordType::Batch, TailRule::Truncated)
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
        let err = read_records(&data, RecordType::Batch, TailRule::TornOrCorrupt).unwrap_err();
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
        let records = read_records(&data, RecordType::Batch, TailRule::TornOrCorrupt).unwrap();
        assert_eq!(records.payloads.len(), 1);
        assert!(
            read_records(&data, RecordType::Batch, TailRule::Truncated).is_err(),
            "a whole record with a bad checksum is damage, not a torn write"
        );
    }

    #[test]
    fn a_damaged_length_is_not_mistaken_for_a_torn_write() {
        let mut data = file_of(&[b"first record", b"second record"]);
        let second = HEADER_LEN + b"first record".len();
        data[second + 1] ^= 0x40; // the length now claims far more bytes than the file holds
        assert!(read_records(&data, RecordType::Batch, TailRule::Truncated).is_err());
    }

    #[test]
    fn compact_records_round_trip_and_apply_the_log_rules() {
        let mut data = Vec::new();
        encode_compact_record(&mut data, b"", b"one");
        encode_compact_record(&mut data, b"t", b"wo");
        encode_compact_record(&mut data, &[7u8; 100], &[7u8; 200]);
        let records = read_compact_records(&data, TailRule::Strict).unwrap();
        let got: Vec<&[u8]> = records.payloads.iter().map(|r| &data[r.clone()]).collect();
        assert_eq!(got, vec![&b"one"[..], b"two", &[7u8; 300][..]]);
        assert_eq!(
            data.len(),
            (5 + 3) + (5 + 3) + (6 + 300),
            "4-byte checksum and varint length"
        );
        let two = 2 * 5 + 3 + 3;
        for cut in two + 1..data.len() {
            let torn = read_compact_records(&data[..cut], TailRule::TornOrCorrupt).unwrap();
            assert_eq!(
                (torn.payloads.len(), torn.valid_len),
                (2, two),
                "cut at {cut}"
            );
            assert!(read_compact_records(&data[..cut], TailRule::Strict).is_err());
        }
        let mut damaged = data.clone();
        damaged[6] ^= 1; // inside the first record: a valid record follows
        let err = read_compact_records(&damaged, TailRule::TornOrCorrupt).unwrap_err();
        assert_eq!(err.offset, 0);
        // A preallocated log: zeros to the end end it under every rule, and its valid length
        // stops before them.
        let mut zeros = data.clone();
        zeros.extend_from_slice(&[0; 64]);
        for rule in [TailRule::TornOrCorrupt, TailRule::Strict] {
            let records = read_compact_records(&zeros, rule).unwrap();
            assert_eq!(records.payloads.len(), 3, "{rule:?}");
            assert_eq!(records.valid_len, data.len(), "{rule:?}");
        }
        // Zeros in the middle are not a tail: a valid record follows them.
        let mut gap = data[..two].to_vec();
        gap.extend_from_slice(&[0; 16]);
        gap.extend_from_slice(&data[two..]);
        assert!(read_compact_records(&gap, TailRule::TornOrCorrupt).is_err());
        assert!(read_compact_records(&gap, TailRule::Strict).is_err());
        // A torn record before the zeros still ends only the newest log.
        let mut torn = data[..two + 3].to_vec();
        torn.extend_from_slice(&[0; 64]);
        let records = read_compact_records(&torn, TailRule::TornOrCorrupt).unwrap();
        assert_eq!((records.payloads.len(), records.valid_len), (2, two));
        assert!(read_compact_records(&torn, TailRule::Strict).is_err());
    }
}

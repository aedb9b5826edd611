//! Names of the files in a database directory.
//!
//! - `NNNNNN.log`: a write-ahead log (one per memtable).
//! - `NNNNNN.sst`: an SSTable.
//! - `MANIFEST-NNNNNN`: a manifest (log of version edits); `CURRENT` names the live one.
//! - `CURRENT.tmp`: a `CURRENT` being replaced (renamed over it once synced).
//! - `LOCK`: held while the database is open.
//!
//! All numbers come from one counter (`next_file_number` in the manifest).

/// The kind of a file found in the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    Wal(u64),
    Table(u64),
    Manifest(u64),
    Current,
    Temp,
    Lock,
}

pub(crate) const CURRENT: &str = "CURRENT";
pub(crate) const CURRENT_TMP: &str = "CURRENT.tmp";
pub(crate) const LOCK: &str = "LOCK";

pub(crate) fn table_file_name(number: u64) -> String {
    format!("{number:06}.sst")
}

pub(crate) fn wal_file_name(number: u64) -> String {
    format!("{number:06}.log")
}

pub(crate) fn manifest_file_name(number: u64) -> String {
    format!("MANIFEST-{number:06}")
}

/// Classifies a file name; `None` for files the engine does not own.
pub(crate) fn parse_file_name(name: &str) -> Option<FileKind> {
    match name {
        CURRENT => return Some(FileKind::Current),
        CURRENT_TMP => return Some(FileKind::Temp),
        LOCK => return Some(FileKind::Lock),
        _ => {}
    }
    if let Some(n) = name.strip_prefix("MANIFEST-") {
        return n.parse().ok().map(FileKind::Manifest);
    }
    if let Some(n) = name.strip_suffix(".log") {
        return n.parse().ok().map(FileKind::Wal);
    }
    if let Some(n) = name.strip_suffix(".sst") {
        return n.parse().ok().map(FileKind::Table);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        assert_eq!(
            parse_file_name(&table_file_name(12)),
            Some(FileKind::Table(12))
        );
        assert_eq!(
            parse_file_name(&wal_file_name(1_234_567)),
            Some(FileKind::Wal(1_234_567))
        );
        assert_eq!(
            parse_file_name(&manifest_file_name(3)),
            Some(FileKind::Manifest(3))
        );
        assert_eq!(parse_file_name("notes.txt"), None);
    }
}

//! The manifest: a log of [`VersionEdit`]s from which the live file set, the keyspaces, the
//! next file number, the last sequence number and the oldest WAL still needed are rebuilt.
//!
//! `CURRENT` holds the name of the live manifest. A manifest starts with an edit describing the
//! whole state; each later change appends one edit and syncs. A new manifest (written at every
//! open) becomes live by writing `CURRENT.tmp`, syncing it, renaming it over `CURRENT` and
//! syncing the directory, so a crash at any point leaves either the old or the new one live.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::SequenceNumber;
use crate::coding::{Reader, put_length_prefixed, put_varint64};
use crate::db_files::{CURRENT, CURRENT_TMP, manifest_file_name};
use crate::error::{Error, Result};
use crate::fs::{FileSystem, WritableFile};
use crate::record::{RecordType, TailRule, encode_record, read_records};
use crate::version::{FileMeta, Version};

const EDIT_VERSION: u8 = 1;
const TAG_LOG_NUMBER: u8 = 1;
const TAG_NEXT_FILE: u8 = 2;
const TAG_LAST_SEQUENCE: u8 = 3;
const TAG_KEYSPACE: u8 = 4;
const TAG_DELETED_FILE: u8 = 5;
const TAG_NEW_FILE: u8 = 6;

/// One atomic change to the database's durable state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct VersionEdit {
    /// WAL files numbered below this are no longer needed.
    pub(crate) log_number: Option<u64>,
    pub(crate) next_file_number: Option<u64>,
    pub(crate) last_sequence: Option<SequenceNumber>,
    /// New keyspaces: (id, name).
    pub(crate) keyspaces: Vec<(u32, String)>,
    /// Removed files: (level, number).
    pub(crate) deleted: Vec<(usize, u64)>,
    /// Added files: (level, file).
    pub(crate) added: Vec<(usize, FileMeta)>,
}

impl VersionEdit {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut buf = vec![EDIT_VERSION];
        let tagged = |tag: u8, v: u64, buf: &mut Vec<u8>| {
            buf.push(tag);
            put_varint64(buf, v);
        };
        if let Some(v) = self.log_number {
            tagged(TAG_LOG_NUMBER, v, &mut buf);
        }
        if let Some(v) = self.next_file_number {
            tagged(TAG_NEXT_FILE, v, &mut buf);
        }
        if let Some(v) = self.last_sequence {
            tagged(TAG_LAST_SEQUENCE, v, &mut buf);
        }
        for (id, name) in &self.keyspaces {
            tagged(TAG_KEYSPACE, u64::from(*id), &mut buf);
            put_length_prefixed(&mut buf, name.as_bytes());
        }
        for &(level, number) in &self.deleted {
            tagged(TAG_DELETED_FILE, level as u64, &mut buf);
            put_varint64(&mut buf, number);
        }
        for (level, f) in &self.added {
            tagged(TAG_NEW_FILE, *level as u64, &mut buf);
            put_varint64(&mut buf, f.number);
            put_varint64(&mut buf, f.file_bytes);
            put_length_prefixed(&mut buf, &f.smallest);
            put_length_prefixed(&mut buf, &f.largest);
            for v in [
                f.smallest_sequence,
                f.largest_sequence,
                f.entries,
                f.deletions,
                f.range_deletions,
            ] {
                put_varint64(&mut buf, v);
            }
        }
        buf
    }

    pub(crate) fn decode(input: &[u8]) -> Result<Self, String> {
        let mut r = Reader::new(input);
        let version = r.u8().ok_or("empty edit")?;
        if version != EDIT_VERSION {
            return Err(format!("unsupported edit version {version}"));
        }
        let mut edit = Self::default();
        let short = || "truncated edit".to_owned();
        while !r.is_empty() {
            let tag = r.u8().ok_or_else(short)?;
            let v = r.varint64().ok_or_else(short)?;
            match tag {
                TAG_LOG_NUMBER => edit.log_number = Some(v),
                TAG_NEXT_FILE => edit.next_file_number = Some(v),
                TAG_LAST_SEQUENCE => edit.last_sequence = Some(v),
                TAG_KEYSPACE => {
                    let id = u32::try_from(v).map_err(|_| "keyspace id out of range")?;
                    let name = r.length_prefixed().ok_or_else(short)?;
                    let name = String::from_utf8(name.to_vec())
                        .map_err(|_| "keyspace name is not UTF-8")?;
                    edit.keyspaces.push((id, name));
                }
                TAG_DELETED_FILE => edit
                    .deleted
                    .push((v as usize, r.varint64().ok_or_else(short)?)),
                TAG_NEW_FILE => {
                    let number = r.varint64().ok_or_else(short)?;
                    let file_bytes = r.varint64().ok_or_else(short)?;
                    let smallest = r.length_prefixed().ok_or_else(short)?.to_vec();
                    let largest = r.length_prefixed().ok_or_else(short)?.to_vec();
                    if smallest.len() < crate::key::TRAILER_LEN
                        || largest.len() < crate::key::TRAILER_LEN
                    {
                        return Err("file key range is malformed".to_owned());
                    }
                    let mut nums = [0u64; 5];
                    for n in &mut nums {
                        *n = r.varint64().ok_or_else(short)?;
                    }
                    let [
                        smallest_sequence,
                        largest_sequence,
                        entries,
                        deletions,
                        range_deletions,
                    ] = nums;
                    edit.added.push((
                        v as usize,
                        FileMeta {
                            number,
                            file_bytes,
                            smallest,
                            largest,
                            smallest_sequence,
                            largest_sequence,
                            entries,
                            deletions,
                            range_deletions,
                        },
                    ));
                }
                other => return Err(format!("unknown edit tag {other}")),
            }
        }
        Ok(edit)
    }
}

/// The durable state, as rebuilt from a manifest.
#[derive(Debug, Clone)]
pub(crate) struct ManifestState {
    pub(crate) version: Arc<Version>,
    pub(crate) log_number: u64,
    pub(crate) next_file_number: u64,
    pub(crate) last_sequence: SequenceNumber,
    pub(crate) keyspaces: BTreeMap<String, u32>,
}

impl ManifestState {
    /// The state of a new database.
    pub(crate) fn empty(levels: usize) -> Self {
        Self {
            version: Arc::new(Version::new(levels)),
            log_number: 0,
            next_file_number: 1,
            last_sequence: 0,
            keyspaces: BTreeMap::new(),
        }
    }

    /// Applies an edit, producing a new version if files changed.
    pub(crate) fn apply(&mut self, edit: &VersionEdit) -> Result<(), String> {
        if let Some(v) = edit.log_number {
            self.log_number = self.log_number.max(v);
        }
        if let Some(v) = edit.next_file_number {
            self.next_file_number = self.next_file_number.max(v);
        }
        if let Some(v) = edit.last_sequence {
            self.last_sequence = self.last_sequence.max(v);
        }
        for (id, name) in &edit.keyspaces {
            self.keyspaces.insert(name.clone(), *id);
        }
        if edit.deleted.is_empty() && edit.added.is_empty() {
            return Ok(());
        }
        let mut version = (*self.version).clone();
        let levels = version.levels.len();
        for &(level, number) in &edit.deleted {
            let files = version
                .levels
                .get_mut(level)
                .ok_or(format!("level {level} out of range"))?;
            let before = files.len();
            files.retain(|f| f.number != number);
            if files.len() == before {
                return Err(format!(
                    "edit deletes file {number} which is not in level {level}"
                ));
            }
        }
        for (level, file) in &edit.added {
            if *level >= levels {
                return Err(format!(
                    "file {} is in level {level}, beyond the {levels} levels",
                    file.number
                ));
            }
            version.levels[*level].push(Arc::new(file.clone()));
        }
        version.sort();
        version.check_invariants()?;
        self.version = Arc::new(version);
        Ok(())
    }

    /// An edit that recreates this whole state (the first record of a new manifest).
    pub(crate) fn snapshot_edit(&self) -> VersionEdit {
        VersionEdit {
            log_number: Some(self.log_number),
            next_file_number: Some(self.next_file_number),
            last_sequence: Some(self.last_sequence),
            keyspaces: self
                .keyspaces
                .iter()
                .map(|(name, &id)| (id, name.clone()))
                .collect(),
            deleted: Vec::new(),
            added: self
                .version
                .levels
                .iter()
                .enumerate()
                .flat_map(|(level, files)| files.iter().map(move |f| (level, (**f).clone())))
                .collect(),
        }
    }
}

fn read_whole(fs: &dyn FileSystem, path: &Path, context: &'static str) -> Result<Vec<u8>> {
    let io = |source| Error::Io {
        context,
        path: path.to_path_buf(),
        source,
    };
    let file = fs.open(path).map_err(io)?;
    let mut buf = vec![0u8; usize::try_from(file.len()).expect("file fits in memory")];
    file.scan_exact_at(0, &mut buf).map_err(io)?;
    Ok(buf)
}

/// Reads `CURRENT` and replays the manifest it names. `Ok(None)` if there is no `CURRENT`.
pub(crate) fn recover(
    fs: &dyn FileSystem,
    dir: &Path,
    levels: usize,
) -> Result<Option<(ManifestState, u64)>> {
    let current_path = dir.join(CURRENT);
    if !fs.exists(&current_path) {
        return Ok(None);
    }
    let current = read_whole(fs, &current_path, "reading CURRENT")?;
    let corrupt = |path: &Path, detail: String| Error::Corruption {
        path: path.to_path_buf(),
        detail,
    };
    let name = std::str::from_utf8(&current)
        .ok()
        .and_then(|s| s.strip_suffix('\n'))
        .filter(|s| !s.contains('/'))
        .ok_or_else(|| corrupt(&current_path, "CURRENT does not name a manifest".to_owned()))?;
    let number = match crate::db_files::parse_file_name(name) {
        Some(crate::db_files::FileKind::Manifest(n)) => n,
        _ => {
            return Err(corrupt(
                &current_path,
                format!("CURRENT names {name:?}, not a manifest"),
            ));
        }
    };
    let path = dir.join(name);
    if !fs.exists(&path) {
        return Err(corrupt(
            &path,
            "the manifest named by CURRENT is missing".to_owned(),
        ));
    }
    let data = read_whole(fs, &path, "reading the manifest")?;
    let records = read_records(&data, RecordType::Edit, TailRule::Truncated)
        .map_err(|e| corrupt(&path, format!("at offset {}: {}", e.offset, e.detail)))?;
    if records.payloads.is_empty() {
        return Err(corrupt(
            &path,
            "the manifest holds no complete edit".to_owned(),
        ));
    }
    let mut state = ManifestState::empty(levels);
    for range in records.payloads {
        let edit = VersionEdit::decode(&data[range.clone()])
            .map_err(|d| corrupt(&path, format!("edit at offset {}: {d}", range.start)))?;
        state
            .apply(&edit)
            .map_err(|d| corrupt(&path, format!("edit at offset {}: {d}", range.start)))?;
    }
    Ok(Some((state, number)))
}

/// Appends edits to the live manifest.
#[derive(Debug)]
pub(crate) struct ManifestWriter {
    file: Box<dyn WritableFile>,
    path: PathBuf,
    number: u64,
}

impl ManifestWriter {
    /// Writes manifest `number` holding `state`, syncs it and makes it live through `CURRENT`.
    pub(crate) fn create(
        fs: &dyn FileSystem,
        dir: &Path,
        number: u64,
        state: &ManifestState,
    ) -> Result<Self> {
        let path = dir.join(manifest_file_name(number));
        fn io(context: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> Error + use<> {
            let path = path.to_path_buf();
            move |source| Error::Io {
                context,
                path,
                source,
            }
        }
        let file = fs.create(&path).map_err(io("creating a manifest", &path))?;
        let mut writer = Self {
            file,
            path: path.clone(),
            number,
        };
        writer.append(&state.snapshot_edit())?;
        let tmp = dir.join(CURRENT_TMP);
        let mut current = fs.create(&tmp).map_err(io("writing CURRENT.tmp", &tmp))?;
        current
            .append(format!("{}\n", manifest_file_name(number)).as_bytes())
            .and_then(|()| current.sync())
            .map_err(io("writing CURRENT.tmp", &tmp))?;
        drop(current);
        let current_path = dir.join(CURRENT);
        fs.rename(&tmp, &current_path)
            .map_err(io("renaming CURRENT.tmp to CURRENT", &current_path))?;
        fs.sync_dir(dir)
            .map_err(io("syncing the database directory", dir))?;
        Ok(writer)
    }

    /// Appends and syncs one edit.
    pub(crate) fn append(&mut self, edit: &VersionEdit) -> Result<()> {
        let mut buf = Vec::new();
        encode_record(&mut buf, RecordType::Edit, &edit.encode());
        self.file
            .append(&buf)
            .and_then(|()| self.file.sync())
            .map_err(|source| Error::Io {
                context: "writing the manifest",
                path: self.path.clone(),
                source,
            })
    }

    /// The manifest's file number.
    pub(crate) fn number(&self) -> u64 {
        self.number
    }

    /// Bytes written so far.
    pub(crate) fn len(&self) -> u64 {
        self.file.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::version::tests::meta;

    #[test]
    fn edits_round_trip() {
        let edit = VersionEdit {
            log_number: Some(4),
            next_file_number: Some(9),
            last_sequence: Some(1234),
            keyspaces: vec![(1, "data".into())],
            deleted: vec![(1, 3)],
            added: vec![(2, meta(7, "a", "z", 5 << 8))],
        };
        assert_eq!(VersionEdit::decode(&edit.encode()).unwrap(), edit);
        let enc = edit.encode();
        assert!(
            VersionEdit::decode(&enc[..enc.len() - 1]).is_err(),
            "cut inside a field"
        );
        assert!(VersionEdit::decode(&[9]).is_err(), "unknown edit version");
    }

    #[test]
    fn applying_edits_moves_files_and_rejects_unknown_deletions() {
        let mut state = ManifestState::empty(3);
        let add = VersionEdit {
            added: vec![(0, meta(5, "a", "c", 9 << 8))],
            ..Default::default()
        };
        state.apply(&add).unwrap();
        assert_eq!(state.version.levels[0].len(), 1);
        let mv = VersionEdit {
            deleted: vec![(0, 5)],
            added: vec![(1, meta(5, "a", "c", 9 << 8))],
            ..Default::default()
        };
        state.apply(&mv).unwrap();
        assert_eq!(state.version.levels[1][0].number, 5);
        let bad = VersionEdit {
            deleted: vec![(0, 5)],
            ..Default::default()
        };
        assert!(state.apply(&bad).is_err());
        let mut again = ManifestState::empty(3);
        again.apply(&state.snapshot_edit()).unwrap();
        assert_eq!(again.version.levels[1].len(), 1);
    }

    #[test]
    fn recovery_replays_edits_tolerates_a_cut_short_tail_and_rejects_damage() {
        use crate::fs::MemFileSystem;
        let fs = MemFileSystem::new();
        let dir = Path::new("/db");
        fs.create_dir_all(dir).unwrap();
        assert!(
            recover(&fs, dir, 3).unwrap().is_none(),
            "no CURRENT: a new database"
        );
        let mut state = ManifestState::empty(3);
        state.log_number = 4;
        let mut writer = ManifestWriter::create(&fs, dir, 7, &state).unwrap();
        let edits = [
            VersionEdit {
                keyspaces: vec![(0, "data".into())],
                ..Default::default()
            },
            VersionEdit {
                added: vec![(0, meta(9, "a", "c", 9 << 8))],
                last_sequence: Some(40),
                ..Default::default()
            },
            VersionEdit {
                deleted: vec![(0, 9)],
                added: vec![(1, meta(9, "a", "c", 9 << 8))],
                log_number: Some(11),
                ..Default::default()
            },
        ];
        for e in &edits {
            writer.append(e).unwrap();
            state.apply(e).unwrap();
        }
        drop(writer);
        let (got, number) = recover(&fs, dir, 3).unwrap().unwrap();
        assert_eq!(number, 7);
        assert_eq!((got.log_number, got.last_sequence), (11, 40));
        assert_eq!(got.keyspaces.get("data"), Some(&0));
        assert_eq!(got.version.levels[1][0].number, 9);

        let path = dir.join(manifest_file_name(7));
        let file = fs.open(&path).unwrap();
        let mut bytes = vec![0u8; file.len() as usize];
        file.read_exact_at(0, &mut bytes).unwrap();
        let rewrite = |content: &[u8]| {
            let mut w = fs.create(&path).unwrap();
            w.append(content).unwrap();
            w.sync().unwrap();
        };
        // An append cut short by a crash: the last edit never took effect.
        let mut extra = Vec::new();
        encode_record(
            &mut extra,
            RecordType::Edit,
            &VersionEdit {
                log_number: Some(99),
                ..Default::default()
            }
            .encode(),
        );
        let mut torn = bytes.clone();
        torn.extend_from_slice(&extra[..extra.len() - 2]);
        rewrite(&torn);
        assert_eq!(recover(&fs, dir, 3).unwrap().unwrap().0.log_number, 11);
        // A flipped byte inside an edit is damage.
        let mut damaged = bytes.clone();
        let at = damaged.len() - 3;
        damaged[at] ^= 1;
        rewrite(&damaged);
        assert!(matches!(
            recover(&fs, dir, 3),
            Err(Error::Corruption { .. })
        ));
    }
}

//! [`DbIter`]: what users iterate. Turns the merged stream of internal entries into one value
//! per user key, as of one read sequence, without deleted keys, inside a key range.

use std::ops::Bound;
use std::sync::Arc;

use super::{InternalIterator, MergingIter};
use crate::Direction;
use crate::SequenceNumber;
use crate::error::Result;
use crate::key::{self, KEYSPACE_PREFIX_LEN, MAX_TRAILER, ValueKind};
use crate::range_tombstone::VisibleTombstones;

/// Key-value pairs of a range, in the requested direction, as of one sequence number.
/// It holds its own read view: writes after its creation are not seen, and the files it reads
/// are kept until it is dropped.
pub struct DbIter {
    inner: MergingIter,
    _pin: Arc<dyn Send + Sync>,
    read_sequence: SequenceNumber,
    tombstones: VisibleTombstones,
    /// User-key bounds (keyspace prefix included).
    lower: Bound<Vec<u8>>,
    upper: Bound<Vec<u8>>,
    direction: Direction,
    started: bool,
    done: bool,
    key_buf: Vec<u8>,
}

impl std::fmt::Debug for DbIter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbIter")
            .field("read_sequence", &self.read_sequence)
            .field("direction", &self.direction)
            .field("done", &self.done)
            .finish()
    }
}

impl DbIter {
    /// Iterates `inner` between user-key bounds at `read_sequence`; `pin` keeps the sources alive.
    pub(crate) fn new(
        inner: MergingIter,
        pin: Arc<dyn Send + Sync>,
        read_sequence: SequenceNumber,
        tombstones: VisibleTombstones,
        bounds: (Bound<Vec<u8>>, Bound<Vec<u8>>),
        direction: Direction,
    ) -> Self {
        Self {
            inner,
            _pin: pin,
            read_sequence,
            tombstones,
            lower: bounds.0,
            upper: bounds.1,
            direction,
            started: false,
            done: false,
            key_buf: Vec::new(),
        }
    }

    fn below_lower(&self, user_key: &[u8]) -> bool {
        match &self.lower {
            Bound::Included(l) => user_key < l.as_slice(),
            Bound::Excluded(l) => user_key <= l.as_slice(),
            Bound::Unbounded => false,
        }
    }

    fn above_upper(&self, user_key: &[u8]) -> bool {
        match &self.upper {
            Bound::Included(u) => user_key > u.as_slice(),
            Bound::Excluded(u) => user_key >= u.as_slice(),
            Bound::Unbounded => false,
        }
    }

    fn start(&mut self) -> Result<()> {
        match self.direction {
            Direction::Forward => match &self.lower {
                Bound::Included(l) => self.inner.seek(&key::internal_key(l, MAX_TRAILER)),
                // Trailer 0 sorts after every real version of `l`.
                Bound::Excluded(l) => self.inner.seek(&key::internal_key(l, 0)),
                Bound::Unbounded => self.inner.seek_to_first(),
            },
            Direction::Reverse => match &self.upper {
                Bound::Included(u) => self.inner.seek_for_prev(&key::internal_key(u, 0)),
                Bound::Excluded(u) => self.inner.seek_for_prev(&key::internal_key(u, MAX_TRAILER)),
                Bound::Unbounded => self.inner.seek_to_last(),
            },
        }
    }

    fn next_forward(&mut self) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
        loop {
            if !self.inner.valid() {
                return Ok(None);
            }
            let ikey = self.inner.key();
            let user_key = key::user_key(ikey);
            if self.above_upper(user_key) {
                return Ok(None);
            }
            let sequence = key::sequence_of(ikey);
            if sequence > self.read_sequence {
                self.inner.next()?;
                continue;
            }
            // The newest visible version of this user key.
            let found = key::kind_of(ikey) == Some(ValueKind::Put)
                && !self.tombstones.covers(user_key, sequence);
            let item = found.then(|| {
                (
                    user_key[KEYSPACE_PREFIX_LEN..].to_vec(),
                    self.inner.value().to_vec(),
                )
            });
            self.key_buf.clear();
            self.key_buf.extend_from_slice(user_key);
            self.inner.next()?;
            while self.inner.valid() && key::user_key(self.inner.key()) == self.key_buf.as_slice() {
                self.inner.next()?;
            }
            if item.is_some() {
                return Ok(item);
            }
        }
    }

    fn next_reverse(&mut self) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
        loop {
            if !self.inner.valid() {
                return Ok(None);
            }
            let user_key = key::user_key(self.inner.key());
            if self.below_lower(user_key) {
                return Ok(None);
            }
            self.key_buf.clear();
            self.key_buf.extend_from_slice(user_key);
            // Versions of one key come oldest first in reverse: the last visible one wins.
            let mut newest: Option<(Option<ValueKind>, SequenceNumber)> = None;
            let mut value = Vec::new();
            while self.inner.valid() && key::user_key(self.inner.key()) == self.key_buf.as_slice() {
                let sequence = key::sequence_of(self.inner.key());
                if sequence <= self.read_sequence {
                    let kind = key::kind_of(self.inner.key());
                    if kind == Some(ValueKind::Put) {
                        value.clear();
                        value.extend_from_slice(self.inner.value());
                    }
                    newest = Some((kind, sequence));
                }
                self.inner.prev()?;
            }
            if let Some((Some(ValueKind::Put), sequence)) = newest
                && !self.tombstones.covers(&self.key_buf, sequence)
            {
                return Ok(Some((self.key_buf[KEYSPACE_PREFIX_LEN..].to_vec(), value)));
            }
        }
    }
}

impl Iterator for DbIter {
    type Item = Result<(Vec<u8>, Vec<u8>)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let step = (|| {
            if !self.started {
                self.started = true;
                self.start()?;
            }
            match self.direction {
                Direction::Forward => self.next_forward(),
                Direction::Reverse => self.next_reverse(),
            }
        })();
        match step {
            Ok(Some(item)) => Some(Ok(item)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::ops::Bound;
    use std::sync::Arc;

    use crate::fs::MemFileSystem;
    use crate::{Db, Direction, Durability, Options, WriteBatch};

    fn keys(db: &Db, ks: crate::Keyspace, direction: Direction) -> Vec<String> {
        db.iter(ks, (Bound::Unbounded, Bound::Unbounded), direction)
            .unwrap()
            .map(|r| String::from_utf8(r.unwrap().0).unwrap())
            .collect()
    }

    /// Range tombstones in the memtable and in tables of several levels hide exactly the older
    /// versions they cover, in both directions, and a snapshot still sees what they hide.
    #[test]
    fn range_deletions_from_every_source_apply_in_both_directions() {
        let mut options = Options::new("/db", Arc::new(MemFileSystem::new()));
        options.level0_compaction_trigger = 2;
        let db = Db::open(options).unwrap();
        let ks = db.keyspace("data").unwrap();
        let write = |f: &dyn Fn(&mut WriteBatch)| {
            let mut b = WriteBatch::new();
            f(&mut b);
            db.write(b, Durability::Buffered).unwrap();
        };
        for k in ["a", "b", "c", "d", "e", "f"] {
            write(&|b| b.put(ks, k.as_bytes(), b"old"));
        }
        db.flush().unwrap();
        write(&|b| b.delete_range(ks, b"b", b"d")); // hides b, c (in a table)
        db.flush().unwrap();
        db.wait_for_compactions().unwrap();
        write(&|b| b.put(ks, b"c", b"new")); // newer than the tombstone: visible
        let snapshot = db.snapshot();
        write(&|b| b.delete_range(ks, b"e", b"z")); // in the memtable: hides e, f
        assert_eq!(keys(&db, ks, Direction::Forward), ["a", "c", "d"]);
        assert_eq!(keys(&db, ks, Direction::Reverse), ["d", "c", "a"]);
        assert_eq!(db.get(ks, b"b").unwrap(), None);
        assert_eq!(db.get(ks, b"c").unwrap().as_deref(), Some(&b"new"[..]));
        assert_eq!(db.get(ks, b"f").unwrap(), None);
        assert_eq!(
            snapshot.get(ks, b"f").unwrap().as_deref(),
            Some(&b"old"[..])
        );
        let seen: Vec<_> = snapshot
            .iter(
                ks,
                (Bound::Excluded(&b"a"[..]), Bound::Included(&b"f"[..])),
                Direction::Reverse,
            )
            .unwrap()
            .map(|r| String::from_utf8(r.unwrap().0).unwrap())
            .collect();
        assert_eq!(seen, ["f", "e", "d", "c"]);
        db.flush().unwrap();
        db.wait_for_compactions().unwrap();
        assert_eq!(
            keys(&db, ks, Direction::Forward),
            ["a", "c", "d"],
            "after compaction"
        );
        assert_eq!(
            snapshot.get(ks, b"e").unwrap().as_deref(),
            Some(&b"old"[..]),
            "pinned by the snapshot"
        );
        drop(snapshot);
        db.close().unwrap();
    }
}

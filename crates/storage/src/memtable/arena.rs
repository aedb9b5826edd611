//! [`Arena`]: the bytes of a memtable's entries (key tails and values, see `entry`), bump-allocated
//! in large chunks that never move and are freed together with the memtable.
//!
//! One allocation per chunk instead of one per entry: a write then costs the skiplist node's
//! allocation only, and entries written together sit next to each other in memory.

use std::ptr::NonNull;

/// Largest and smallest size of an ordinary chunk.
const CHUNK_BYTES_MAX: usize = 256 << 10;
const CHUNK_BYTES_MIN: usize = 256;

/// Append-only storage for entry bytes.
///
/// Bytes handed out stay at the same address, unchanged, until the arena is dropped: chunks are
/// boxed slices that are never resized or freed before then. Readers on other threads may hold
/// pointers into the arena while the (single) writer appends more.
pub(crate) struct Arena {
    /// Size of an ordinary chunk. An entry larger than a quarter of it gets a chunk of its own,
    /// so that at most a quarter of a chunk is left unused when the next one starts.
    chunk_bytes: usize,
    /// The chunk being filled (empty before the first entry).
    current: Box<[u8]>,
    /// Bytes used in `current`.
    used: usize,
    /// Earlier chunks and the chunks of large entries, kept only to stay alive.
    retired: Vec<Box<[u8]>>,
    /// Bytes of all chunks (what the arena holds in memory).
    capacity: usize,
}

impl std::fmt::Debug for Arena {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Arena")
            .field("chunks", &(self.retired.len() + 1))
            .field("capacity", &self.capacity)
            .finish()
    }
}

impl Arena {
    /// An empty arena for a memtable of about `memtable_bytes`: its chunks are a sixteenth of
    /// that (within 256 bytes and 256 KiB), so that a chunk is a small part of the budget.
    pub(crate) fn for_memtable_bytes(memtable_bytes: usize) -> Self {
        Self {
            chunk_bytes: (memtable_bytes / 16).clamp(CHUNK_BYTES_MIN, CHUNK_BYTES_MAX),
            current: Box::default(),
            used: 0,
            retired: Vec::new(),
            capacity: 0,
        }
    }

    /// Copies the concatenation of `parts` into the arena and returns where it starts.
    pub(crate) fn push(&mut self, parts: &[&[u8]]) -> NonNull<u8> {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        let dest = self.reserve(len);
        let mut at = 0;
        for part in parts {
            dest[at..at + part.len()].copy_from_slice(part);
            at += part.len();
        }
        NonNull::from(dest).cast()
    }

    /// Bytes of memory the arena holds.
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// `len` fresh bytes.
    fn reserve(&mut self, len: usize) -> &mut [u8] {
        if len > self.chunk_bytes / 4 {
            // A chunk of its own; the current one goes on being filled.
            self.capacity += len;
            self.retired.push(vec![0u8; len].into_boxed_slice());
            return &mut self.retired.last_mut().expect("just pushed")[..];
        }
        if self.used + len > self.current.len() {
            let full = std::mem::replace(
                &mut self.current,
                vec![0u8; self.chunk_bytes].into_boxed_slice(),
            );
            if !full.is_empty() {
                self.retired.push(full);
            }
            self.capacity += self.chunk_bytes;
            self.used = 0;
        }
        let start = self.used;
        self.used += len;
        &mut self.current[start..start + len]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_keep_their_address_and_content() {
        let mut arena = Arena::for_memtable_bytes(64 << 20);
        let big = vec![7u8; CHUNK_BYTES_MAX];
        let mut pointers = Vec::new();
        for i in 0..5000u32 {
            let bytes = i.to_le_bytes();
            let p = if i % 1000 == 999 {
                arena.push(&[&big, &bytes])
            } else {
                arena.push(&[&bytes, b"-value"])
            };
            pointers.push((i, p));
        }
        for (i, p) in pointers {
            // SAFETY: the arena is alive and the bytes were written by `push`.
            let start = unsafe { std::slice::from_raw_parts(p.as_ptr(), 4) };
            if i % 1000 == 999 {
                assert_eq!(start, [7; 4]);
            } else {
                assert_eq!(start, i.to_le_bytes());
            }
        }
        assert!(arena.capacity() >= 5 * CHUNK_BYTES_MAX + 4995 * 10);
    }
}

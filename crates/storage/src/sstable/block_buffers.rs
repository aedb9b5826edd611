//! Reuse of the buffers data blocks are read into.
//!
//! A reader that misses the block cache reads a block (4 KiB by default) into a fresh buffer,
//! and the block it evicts frees one of the same size. The C allocator serves such sizes from
//! its general bins, not its per-thread caches, so each read paid for an allocation and a free
//! that merge and split neighbouring chunks (about a seventh of the CPU time of random seeks
//! over a table set larger than the cache). A block's buffer is instead handed back to a small
//! pool of the thread that drops the block (usually the reader that evicted it, or the
//! compaction that read it) and taken again by that thread's next read.
//!
//! Bounded: at most [`POOLED_MAX`] buffers per thread, each of at most [`POOLED_BYTES_MAX`]
//! bytes, so a thread keeps at most 1 MiB. A buffer is reused only for a block close to its
//! size, so a block never holds much more memory than the cache charges it for.

use std::cell::RefCell;

/// Buffers kept per thread.
const POOLED_MAX: usize = 16;
/// Largest buffer kept.
const POOLED_BYTES_MAX: usize = 64 << 10;

thread_local! {
    static POOL: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

/// A buffer of `len` initialized bytes (of no particular value: the caller overwrites them),
/// reused from this thread's pool when one of a fitting capacity (at least `len`, at most a
/// quarter more) is there.
pub(crate) fn take(len: usize) -> Vec<u8> {
    let reused = POOL
        .try_with(|pool| {
            let mut pool = pool.borrow_mut();
            let fits = |b: &Vec<u8>| b.capacity() >= len && b.capacity() - len <= len / 4;
            let i = pool.iter().rposition(fits)?;
            Some(pool.swap_remove(i))
        })
        .ok()
        .flatten();
    match reused {
        Some(mut buf) => {
            // Bytes of the previous block stay where the new one will be read over them: only
            // a part beyond the old length is zeroed.
            buf.resize(len, 0);
            buf
        }
        None => vec![0u8; len],
    }
}

/// Hands `buf` back for reuse by this thread (or frees it if the pool is full or the buffer
/// too large).
pub(crate) fn give_back(buf: Vec<u8>) {
    if buf.capacity() == 0 || buf.capacity() > POOLED_BYTES_MAX {
        return;
    }
    // During thread exit the pool may be gone; the buffer is then simply freed.
    let _ = POOL.try_with(|pool| {
        let mut pool = pool.borrow_mut();
        if pool.len() < POOLED_MAX {
            pool.push(buf);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_reused_only_for_blocks_of_about_their_size() {
        let buf = take(4096);
        assert_eq!(buf.len(), 4096);
        let address = buf.as_ptr();
        give_back(buf);
        let again = take(4000);
        assert_eq!(
            again.as_ptr(),
            address,
            "a buffer of a fitting size is reused"
        );
        assert_eq!(again.len(), 4000);
        give_back(again);
        let longer = take(4096);
        assert_eq!(longer.as_ptr(), address, "and may grow within its capacity");
        assert_eq!(longer.len(), 4096);
        give_back(longer);
        let small = take(100);
        assert_ne!(
            small.as_ptr(),
            address,
            "a much larger buffer is not handed out"
        );
        assert!(small.capacity() < 4096);
    }

    #[test]
    fn the_pool_is_bounded() {
        let buffers: Vec<Vec<u8>> = (0..POOLED_MAX + 5).map(|_| take(1000)).collect();
        for b in buffers {
            give_back(b);
        }
        give_back(vec![0u8; POOLED_BYTES_MAX + 1]);
        POOL.with(|pool| {
            let pool = pool.borrow();
            assert!(pool.len() <= POOLED_MAX);
            assert!(pool.iter().all(|b| b.capacity() <= POOLED_BYTES_MAX));
        });
    }
}

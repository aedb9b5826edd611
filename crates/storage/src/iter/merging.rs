//! [`MergingIter`]: many sorted cursors as one, with a binary heap of their positions.
//!
//! Internal keys are unique across sources (every operation has its own sequence number), which
//! keeps direction changes simple: to turn around at key `k`, every child is repositioned to the
//! nearest entry strictly on the other side of `k`.

use std::cmp::Ordering;

use super::InternalIterator;
use crate::error::Result;
use crate::key::compare_internal;

/// Merges children into one cursor in internal-key order.
pub(crate) struct MergingIter {
    children: Vec<Box<dyn InternalIterator>>,
    /// Indexes of valid children, a heap ordered by key (min-heap forward, max-heap reverse).
    heap: Vec<usize>,
    reverse: bool,
}

impl MergingIter {
    /// Merges `children` (their positions are ignored until the first seek).
    pub(crate) fn new(children: Vec<Box<dyn InternalIterator>>) -> Self {
        Self {
            heap: Vec::with_capacity(children.len()),
            children,
            reverse: false,
        }
    }

    /// Whether child `a` must come out before child `b`.
    #[inline]
    fn before(&self, a: usize, b: usize) -> bool {
        let ord = compare_internal(self.children[a].key(), self.children[b].key());
        let ord = if self.reverse { ord.reverse() } else { ord };
        ord == Ordering::Less || (ord == Ordering::Equal && a < b)
    }

    fn sift_down(&mut self, mut i: usize) {
        let n = self.heap.len();
        loop {
            let left = 2 * i + 1;
            if left >= n {
                return;
            }
            let mut best = left;
            let right = left + 1;
            if right < n && self.before(self.heap[right], self.heap[left]) {
                best = right;
            }
            if self.before(self.heap[best], self.heap[i]) {
                self.heap.swap(best, i);
                i = best;
            } else {
                return;
            }
        }
    }

    fn rebuild(&mut self, reverse: bool) {
        self.reverse = reverse;
        self.heap.clear();
        self.heap
            .extend((0..self.children.len()).filter(|&i| self.children[i].valid()));
        for i in (0..self.heap.len() / 2).rev() {
            self.sift_down(i);
        }
    }

    /// After the top child moved: restore the heap.
    fn fix_top(&mut self) {
        let top = self.heap[0];
        if !self.children[top].valid() {
            let last = self.heap.pop().expect("heap holds the top");
            if self.heap.is_empty() {
                return;
            }
            self.heap[0] = last;
        }
        self.sift_down(0);
    }

    fn run_all(
        &mut self,
        mut f: impl FnMut(&mut dyn InternalIterator) -> Result<()>,
    ) -> Result<()> {
        for child in &mut self.children {
            if let Err(e) = f(child.as_mut()) {
                self.heap.clear();
                return Err(e);
            }
        }
        Ok(())
    }
}

impl InternalIterator for MergingIter {
    fn valid(&self) -> bool {
        !self.heap.is_empty()
    }

    fn seek(&mut self, target: &[u8]) -> Result<()> {
        self.run_all(|c| c.seek(target))?;
        self.rebuild(false);
        Ok(())
    }

    fn seek_for_prev(&mut self, target: &[u8]) -> Result<()> {
        self.run_all(|c| c.seek_for_prev(target))?;
        self.rebuild(true);
        Ok(())
    }

    fn seek_to_first(&mut self) -> Result<()> {
        self.run_all(|c| c.seek_to_first())?;
        self.rebuild(false);
        Ok(())
    }

    fn seek_to_last(&mut self) -> Result<()> {
        self.run_all(|c| c.seek_to_last())?;
        self.rebuild(true);
        Ok(())
    }

    fn next(&mut self) -> Result<()> {
        if self.reverse {
            let current = self.key().to_vec();
            self.run_all(|c| {
                c.seek(&current)?;
                if c.valid() && c.key() == current.as_slice() {
                    c.next()?;
                }
                Ok(())
            })?;
            self.rebuild(false);
            return Ok(());
        }
        let top = self.heap[0];
        if let Err(e) = self.children[top].next() {
            self.heap.clear();
            return Err(e);
        }
        self.fix_top();
        Ok(())
    }

    fn prev(&mut self) -> Result<()> {
        if !self.reverse {
            let current = self.key().to_vec();
            self.run_all(|c| {
                c.seek_for_prev(&current)?;
                if c.valid() && c.key() == current.as_slice() {
                    c.prev()?;
                }
                Ok(())
            })?;
            self.rebuild(true);
            return Ok(());
        }
        let top = self.heap[0];
        if let Err(e) = self.children[top].prev() {
            self.heap.clear();
            return Err(e);
        }
        self.fix_top();
        Ok(())
    }

    #[inline]
    fn key(&self) -> &[u8] {
        self.children[self.heap[0]].key()
    }

    #[inline]
    fn value(&self) -> &[u8] {
        self.children[self.heap[0]].value()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::key::{ValueKind, internal_key, trailer};

    /// A cursor over a sorted vector, for tests.
    pub(crate) struct VecIter {
        entries: Vec<(Vec<u8>, Vec<u8>)>,
        pos: Option<usize>,
    }

    impl VecIter {
        pub(crate) fn new(mut entries: Vec<(Vec<u8>, Vec<u8>)>) -> Self {
            entries.sort_by(|a, b| compare_internal(&a.0, &b.0));
            Self { entries, pos: None }
        }
    }

    impl InternalIterator for VecIter {
        fn valid(&self) -> bool {
            self.pos.is_some()
        }
        fn seek(&mut self, target: &[u8]) -> Result<()> {
            let i = self
                .entries
                .partition_point(|e| compare_internal(&e.0, target) == Ordering::Less);
            self.pos = (i < self.entries.len()).then_some(i);
            Ok(())
        }
        fn seek_for_prev(&mut self, target: &[u8]) -> Result<()> {
            let i = self
                .entries
                .partition_point(|e| compare_internal(&e.0, target) != Ordering::Greater);
            self.pos = i.checked_sub(1);
            Ok(())
        }
        fn seek_to_first(&mut self) -> Result<()> {
            self.pos = (!self.entries.is_empty()).then_some(0);
            Ok(())
        }
        fn seek_to_last(&mut self) -> Result<()> {
            self.pos = self.entries.len().checked_sub(1);
            Ok(())
        }
        fn next(&mut self) -> Result<()> {
            self.pos = self.pos.map(|p| p + 1).filter(|&p| p < self.entries.len());
            Ok(())
        }
        fn prev(&mut self) -> Result<()> {
            self.pos = self.pos.and_then(|p| p.checked_sub(1));
            Ok(())
        }
        fn key(&self) -> &[u8] {
            &self.entries[self.pos.unwrap()].0
        }
        fn value(&self) -> &[u8] {
            &self.entries[self.pos.unwrap()].1
        }
    }

    fn entry(k: &str, seq: u64) -> (Vec<u8>, Vec<u8>) {
        (
            internal_key(k.as_bytes(), trailer(seq, ValueKind::Put)),
            format!("{k}@{seq}").into_bytes(),
        )
    }

    #[test]
    fn merges_and_turns_around() {
        let a = VecIter::new(vec![entry("a", 1), entry("c", 3), entry("e", 5)]);
        let b = VecIter::new(vec![entry("b", 2), entry("c", 9), entry("d", 4)]);
        let mut m = MergingIter::new(vec![Box::new(a), Box::new(b)]);
        m.seek_to_first().unwrap();
        let mut forward = vec![];
        while m.valid() {
            forward.push(String::from_utf8(m.value().to_vec()).unwrap());
            m.next().unwrap();
        }
        assert_eq!(forward, ["a@1", "b@2", "c@9", "c@3", "d@4", "e@5"]);
        m.seek(&internal_key(b"c", u64::MAX)).unwrap();
        assert_eq!(m.value(), b"c@9");
        m.next().unwrap();
        assert_eq!(m.value(), b"c@3");
        m.prev().unwrap();
        assert_eq!(m.value(), b"c@9");
        m.prev().unwrap();
        assert_eq!(m.value(), b"b@2");
        m.next().unwrap();
        assert_eq!(m.value(), b"c@9");
        m.seek_to_last().unwrap();
        let mut backward = vec![];
        while m.valid() {
            backward.push(String::from_utf8(m.value().to_vec()).unwrap());
            m.prev().unwrap();
        }
        assert_eq!(backward, ["e@5", "d@4", "c@3", "c@9", "b@2", "a@1"]);
    }
}

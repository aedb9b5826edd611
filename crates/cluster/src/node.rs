//! A node's identity in the cluster.

use std::fmt;
use std::num::NonZeroU64;
use std::str::FromStr;

/// A cluster member's identity: a random, nonzero 64-bit number chosen when the node first starts
/// and kept in its data directory, so addresses may change without the node becoming someone
/// else. Shown and parsed as 16 lowercase hex digits.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct NodeId(NonZeroU64);

impl NodeId {
    /// The id `value`; `None` for 0, which is never an id.
    pub fn new(value: u64) -> Option<NodeId> {
        NonZeroU64::new(value).map(NodeId)
    }

    /// A fresh random id (from a generator seeded by the operating system).
    pub fn random() -> NodeId {
        loop {
            if let Some(id) = NodeId::new(rand::random()) {
                return id;
            }
        }
    }

    /// The id as a number.
    pub fn get(self) -> u64 {
        self.0.get()
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// A string that is not 16 hex digits of a nonzero number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a node id is 16 hex digits and not all zero, not {0:?}")]
pub struct ParseNodeIdError(String);

impl FromStr for NodeId {
    type Err = ParseNodeIdError;

    fn from_str(text: &str) -> Result<NodeId, ParseNodeIdError> {
        let bad = || ParseNodeIdError(text.to_owned());
        if text.len() != 16 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        u64::from_str_radix(text, 16)
            .ok()
            .and_then(NodeId::new)
            .ok_or_else(bad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_parse_round_trip() {
        for value in [1, 0xdead_beef, u64::MAX] {
            let id = NodeId::new(value).unwrap();
            let text = id.to_string();
            assert_eq!(text.len(), 16);
            assert_eq!(text.parse::<NodeId>(), Ok(id));
        }
    }

    #[test]
    fn parse_rejects_what_is_not_an_id() {
        for text in [
            "",
            "0000000000000000",
            "123",
            "000000000000000g",
            "+00000000000001f",
        ] {
            assert!(text.parse::<NodeId>().is_err(), "{text:?}");
        }
    }

    #[test]
    fn random_ids_differ() {
        assert_ne!(NodeId::random(), NodeId::random());
    }
}

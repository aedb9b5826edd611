//! Property tests of the storage codec and of DynamoDB JSON: random valid items round-trip
//! through both, and decoding random or corrupted bytes returns an error instead of panicking.

mod common;

use common::item;
use ferrodyn_model::Item;
use ferrodyn_model::codec::{decode_item, encode_item};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn items_round_trip_through_the_codec(item in item()) {
        let mut bytes = Vec::new();
        encode_item(&item, &mut bytes);
        prop_assert_eq!(decode_item(&bytes), Ok(item));
    }

    #[test]
    fn items_round_trip_through_json(item in item()) {
        let json = serde_json::to_vec(&item).unwrap();
        let parsed: Item = serde_json::from_slice(&json).unwrap();
        prop_assert_eq!(parsed, item);
    }

    #[test]
    fn random_bytes_never_panic(mut bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let _ = decode_item(&bytes);
        // Also with a valid version byte, so decoding gets past the first check.
        if let Some(first) = bytes.first_mut() {
            *first = ferrodyn_model::codec::FORMAT_VERSION;
        }
        let _ = decode_item(&bytes);
    }

    #[test]
    fn corrupted_encodings_never_panic(
        item in item(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = Vec::new();
        encode_item(&item, &mut bytes);
        let truncated = &bytes[..cut.index(bytes.len())];
        prop_assert!(decode_item(truncated).is_err());
        for (at, byte) in flips {
            let at = at.index(bytes.len());
            bytes[at] = byte;
        }
        if let Ok(decoded) = decode_item(&bytes) {
            // Whatever decodes re-encodes and decodes to itself.
            let mut again = Vec::new();
            encode_item(&decoded, &mut again);
            prop_assert_eq!(decode_item(&again), Ok(decoded));
        }
    }
}

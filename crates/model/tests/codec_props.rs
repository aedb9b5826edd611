//! Property tests of the storage codec and of DynamoDB JSON: random valid items round-trip
//! through both, and decoding random or corrupted bytes returns an error instead of panicking.

mod common;

use common::item;
use ferrodyn_model::Item;
use ferrodyn_model::codec::{decode_item, encode_item};
use proptest::prelude::*;

/// Random JSON shaped like DynamoDB JSON, right and wrong: objects keyed by the type names,
/// arrays, and scalars of every JSON type.
fn dynamo_like_json() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(Value::from),
        Just(Value::from(1.5)),
        prop::sample::select(vec!["", "1", "-1.50", "x", "YQ==", "YR==", "true", "1e999"])
            .prop_map(Value::from),
    ];
    leaf.prop_recursive(5, 48, 4, |inner| {
        let key = prop::sample::select(vec![
            "S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS", "X",
        ]);
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(key, inner, 0..3).prop_map(|members| {
                Value::Object(
                    members
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect(),
                )
            }),
        ]
    })
}

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
    fn random_json_never_panics(text in r#"[{}\[\]":, SNBLMUOLtrue0-9.e-]{0,40}"#) {
        // Every outcome is a value, or an error that classifies as one of DynamoDB's two kinds.
        if let Err(error) = serde_json::from_str::<Item>(&text) {
            let _ = ferrodyn_model::json::classify(&error);
        }
        let _ = serde_json::from_str::<ferrodyn_model::json::Validated<Item>>(&text);
    }

    #[test]
    fn dynamo_like_json_never_panics(value in dynamo_like_json()) {
        let text = serde_json::json!({ "a": value }).to_string();
        match serde_json::from_str::<Item>(&text) {
            Ok(item) => {
                let again: Item = serde_json::from_str(&serde_json::to_string(&item).unwrap()).unwrap();
                prop_assert_eq!(again, item);
            }
            Err(error) => {
                let _ = ferrodyn_model::json::classify(&error);
            }
        }
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

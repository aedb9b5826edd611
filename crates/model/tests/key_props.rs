//! Property tests of the key encoding: every S, B and N value decodes back from its encoding,
//! byte order of encodings is DynamoDB's order of values (S and B by bytes, N numerically), a
//! partition key followed by a sort key splits back and orders as the pair, and decoding random
//! bytes fails cleanly instead of panicking.

mod common;

use common::number;
use ferrodyn_model::key::{KeySchema, KeyValue, ScalarType, decode_key_value, encode_unterminated};
use ferrodyn_model::{AttributeValue, Item, Number};
use proptest::prelude::*;

fn encode(value: KeyValue<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    value.encode(&mut out);
    out
}

/// Byte strings rich in the escape byte 0x00, its partner 0xFF and the terminator 0x01.
fn bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![Just(0u8), Just(1u8), Just(0xFFu8), any::<u8>()],
        0..12,
    )
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof!["[a\u{0}\u{1}b]{0,6}", any::<String>()]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn numbers_round_trip_and_order(a in number(), b in number()) {
        let (ea, eb) = (encode(KeyValue::N(&a)), encode(KeyValue::N(&b)));
        prop_assert_eq!(ea.cmp(&eb), a.cmp(&b), "{} vs {}", a, b);
        let mut input = ea.as_slice();
        prop_assert_eq!(decode_key_value(ScalarType::N, &mut input), Ok(AttributeValue::N(a)));
        prop_assert!(input.is_empty());
    }

    #[test]
    fn binaries_round_trip_and_order(a in bytes(), b in bytes()) {
        let (ea, eb) = (encode(KeyValue::B(&a)), encode(KeyValue::B(&b)));
        prop_assert_eq!(ea.cmp(&eb), a.cmp(&b));
        let mut input = ea.as_slice();
        prop_assert_eq!(decode_key_value(ScalarType::B, &mut input), Ok(AttributeValue::B(a.clone())));
        prop_assert!(input.is_empty());
        // The unterminated encoding of a prefix is a prefix of the encoding, and sorts first.
        let cut = a.len() / 2;
        let mut prefix = Vec::new();
        encode_unterminated(&a[..cut], &mut prefix);
        prop_assert!(ea.starts_with(&prefix));
    }

    #[test]
    fn strings_round_trip_and_order(a in text(), b in text()) {
        let (ea, eb) = (encode(KeyValue::S(&a)), encode(KeyValue::S(&b)));
        prop_assert_eq!(ea.cmp(&eb), a.as_bytes().cmp(b.as_bytes()));
        let mut input = ea.as_slice();
        prop_assert_eq!(decode_key_value(ScalarType::S, &mut input), Ok(AttributeValue::S(a.clone())));
    }

    #[test]
    fn composite_keys_split_and_order_as_pairs(
        pa in bytes(), sa in number(), pb in bytes(), sb in number(),
    ) {
        let schema = KeySchema::new("p", ScalarType::B).with_sort("s", ScalarType::N);
        let item = |p: &Vec<u8>, s: &Number| -> Item {
            [("p".to_owned(), AttributeValue::B(p.clone())), ("s".to_owned(), AttributeValue::N(*s))]
                .into_iter()
                .collect()
        };
        let (a, b) = (item(&pa, &sa), item(&pb, &sb));
        let (mut ea, mut eb) = (Vec::new(), Vec::new());
        let key_a = schema.key_of_item(&a);
        let key_b = schema.key_of_item(&b);
        // Empty binaries are not valid keys; the encoding itself is still exercised above.
        prop_assume!(key_a.is_ok() && key_b.is_ok());
        key_a.unwrap().encode(&mut ea);
        key_b.unwrap().encode(&mut eb);
        prop_assert_eq!(ea.cmp(&eb), (&pa, &sa).cmp(&(&pb, &sb)));
        prop_assert_eq!(schema.decode_key(&ea), Ok(a));
    }

    #[test]
    fn random_bytes_never_panic(input in prop::collection::vec(any::<u8>(), 0..40)) {
        for scalar_type in [ScalarType::S, ScalarType::N, ScalarType::B] {
            let mut rest = input.as_slice();
            if let Ok(value) = decode_key_value(scalar_type, &mut rest) {
                // Whatever decodes is a valid value of the type.
                prop_assert_eq!(value.type_name(), scalar_type.name());
            }
        }
        let schema = KeySchema::new("p", ScalarType::N).with_sort("s", ScalarType::S);
        let _ = schema.decode_key(&input);
    }
}

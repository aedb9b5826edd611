//! Lists, maps and attribute values.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use ferrodyn_model::AttributeValue;
use ferrodyn_model::json::Validated;
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::UNEXPECTED_STRUCTURE;
use super::{CAST_MESSAGE, Ctx, Decode, Position, Rules, Seed, Segment, Slot};

/// The message for a scalar where a list or map belongs: a cast failure when the collection is
/// itself inside a collection, else `Unexpected field type`.
fn scalar_for_collection<E: de::Error>(at: Position, nested: Position) -> E {
    if at == nested {
        E::custom(CAST_MESSAGE)
    } else {
        E::custom("Unexpected field type")
    }
}

struct ListVisitor<'a, T> {
    cx: &'a mut Ctx,
    at: Position,
    rules: &'static Rules,
    marker: PhantomData<T>,
}

macro_rules! reject_scalars {
    ($make:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Err($make(self.at))
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Err($make(self.at))
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Err($make(self.at))
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Err($make(self.at))
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Err($make(self.at))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Slot::Absent)
        }
    };
}

impl<'de, T: Decode> Visitor<'de> for ListVisitor<'_, T> {
    type Value = Slot<Vec<T>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list")
    }

    reject_scalars!(|at| scalar_for_collection(at, Position::MapValue));

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(de::Error::custom(UNEXPECTED_STRUCTURE))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let cx = self.cx;
        let member_rules = self.rules.member.unwrap_or(&Rules::NONE);
        let mut list = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(256));
        let mut invalid = false;
        let mut count = 0;
        loop {
            cx.push(Segment::Index(count));
            let element =
                seq.next_element_seed(Seed::<T>::new(cx, Position::Member, member_rules))?;
            match element {
                None => {
                    cx.pop();
                    break;
                }
                Some(Slot::Present(value)) => list.push(value),
                Some(Slot::Absent) => {
                    cx.violation(member_rules.report, None, "Member must not be null");
                    invalid = true;
                }
                Some(Slot::Invalid) => invalid = true,
            }
            cx.pop();
            count += 1;
        }
        self.rules.check_parts(cx, &list, None, Some(count), None);
        Ok(if invalid {
            Slot::Invalid
        } else {
            Slot::Present(list)
        })
    }
}

impl<T: Decode> Decode for Vec<T> {
    fn java_type() -> String {
        format!("java.util.List<{}>", T::java_type())
    }

    fn decode<'de, D: Deserializer<'de>>(
        de: D,
        cx: &mut Ctx,
        at: Position,
        rules: &'static Rules,
    ) -> Result<Slot<Self>, D::Error> {
        de.deserialize_any(ListVisitor {
            cx,
            at,
            rules,
            marker: PhantomData,
        })
    }

    fn length(&self) -> Option<usize> {
        Some(self.len())
    }
}

struct MapVisitor<'a, T> {
    cx: &'a mut Ctx,
    at: Position,
    rules: &'static Rules,
    marker: PhantomData<T>,
}

impl<'de, T: Decode> Visitor<'de> for MapVisitor<'_, T> {
    type Value = Slot<BTreeMap<String, T>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map")
    }

    reject_scalars!(|at| scalar_for_collection(at, Position::Member));

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(de::Error::custom(format!(
            "Unrecognized collection type java.util.Map<java.lang.String, {}>",
            T::java_type()
        )))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let cx = self.cx;
        let value_rules = self.rules.member.unwrap_or(&Rules::NONE);
        let mut out = BTreeMap::new();
        let mut invalid = false;
        let mut bad_keys = 0;
        let mut bad_values = 0;
        // Entries, counting those whose value could not be built.
        let mut count = 0;
        while let Some(key) = map.next_key::<String>()? {
            if let Some(key_rules) = self.rules.keys
                && !key_rules
                    .failures_of(Some(&key), Some(key.encode_utf16().count()), None)
                    .is_empty()
            {
                bad_keys += 1;
            }
            // The key is lent to the path while its value decodes, then taken back.
            cx.push(Segment::Key(key));
            let slot = map.next_value_seed(Seed::<T>::new(cx, Position::MapValue, value_rules))?;
            let Some(Segment::Key(key)) = cx.pop() else {
                unreachable!("the segment pushed above is on top");
            };
            match slot {
                Slot::Present(value) => {
                    count += 1;
                    if let Some(length_rules) = self.rules.values
                        && !length_rules
                            .failures_of(None, value.length(), None)
                            .is_empty()
                    {
                        bad_values += 1;
                    }
                    out.insert(key, value);
                }
                // A null value is no entry at all.
                Slot::Absent => {}
                Slot::Invalid => {
                    count += 1;
                    invalid = true;
                }
            }
        }
        self.rules.check_parts(cx, &out, None, Some(count), None);
        if let Some(key_rules) = self.rules.keys {
            let constraint = format!("Map keys must satisfy constraint: {}", key_rules.describe());
            for _ in 0..bad_keys {
                cx.violation(self.rules.report, Some(&out), &constraint);
            }
        }
        if let Some(length_rules) = self.rules.values {
            let constraint = format!(
                "Map value must satisfy constraint: {}",
                length_rules.describe()
            );
            for _ in 0..bad_values {
                cx.violation(self.rules.report, Some(&out), &constraint);
            }
        }
        Ok(if invalid {
            Slot::Invalid
        } else {
            Slot::Present(out)
        })
    }
}

impl<T: Decode> Decode for BTreeMap<String, T> {
    fn java_type() -> String {
        format!("java.util.Map<java.lang.String, {}>", T::java_type())
    }

    fn decode<'de, D: Deserializer<'de>>(
        de: D,
        cx: &mut Ctx,
        at: Position,
        rules: &'static Rules,
    ) -> Result<Slot<Self>, D::Error> {
        de.deserialize_any(MapVisitor {
            cx,
            at,
            rules,
            marker: PhantomData,
        })
    }

    fn length(&self) -> Option<usize> {
        Some(self.len())
    }
}

struct AttributeValueVisitor<'a> {
    cx: &'a mut Ctx,
    at: Position,
}

/// An attribute value where a structure belongs: `Unexpected field type` as a structure member,
/// `Unexpected value type in payload` inside a collection.
fn scalar_for_value<E: de::Error>(at: Position) -> E {
    match at {
        Position::Top | Position::Field => E::custom("Unexpected field type"),
        Position::Member | Position::MapValue => E::custom("Unexpected value type in payload"),
    }
}

impl<'de> Visitor<'de> for AttributeValueVisitor<'_> {
    type Value = Slot<AttributeValue>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an attribute value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Err(scalar_for_value(self.at))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Err(scalar_for_value(self.at))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Err(scalar_for_value(self.at))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Err(scalar_for_value(self.at))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Err(scalar_for_value(self.at))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        match self.at {
            // An absent member.
            Position::Top | Position::Field => Ok(Slot::Absent),
            // A null inside an item or list is a value with no type.
            Position::Member | Position::MapValue => {
                self.cx.value_error(ferrodyn_model::json::ValueError::Empty);
                Ok(Slot::Present(AttributeValue::Null))
            }
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(de::Error::custom(
            "Unrecognized collection type class com.amazonaws.dynamodb.v20120810.AttributeValue",
        ))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let validated = Validated::<AttributeValue>::deserialize(MapAccessDeserializer::new(map))?;
        match validated.into_result() {
            Ok(value) => Ok(Slot::Present(value)),
            Err(error) => {
                // Kept for the operation's rules, which report value errors in DynamoDB's order;
                // the placeholder never reaches the engine.
                self.cx.value_error(error);
                Ok(Slot::Present(AttributeValue::Null))
            }
        }
    }
}

impl Decode for AttributeValue {
    fn java_type() -> String {
        "com.amazonaws.dynamodb.v20120810.AttributeValue".to_owned()
    }

    fn decode<'de, D: Deserializer<'de>>(
        de: D,
        cx: &mut Ctx,
        at: Position,
        _rules: &'static Rules,
    ) -> Result<Slot<Self>, D::Error> {
        de.deserialize_any(AttributeValueVisitor { cx, at })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::decode_body;

    fn serialization(body: &str) -> String {
        let error = decode_body::<BTreeMap<String, Vec<String>>>(body.as_bytes()).unwrap_err();
        assert_eq!(error.kind, crate::error::ErrorKind::Serialization, "{body}");
        error.message
    }

    #[test]
    fn list_type_errors() {
        assert_eq!(serialization(r#"{"a": 1}"#), CAST_MESSAGE);
        assert_eq!(serialization(r#"{"a": {}}"#), UNEXPECTED_STRUCTURE);
        assert_eq!(
            serialization(r#"{"a": [1]}"#),
            "NUMBER_VALUE cannot be converted to String"
        );
    }

    #[test]
    fn map_type_errors() {
        assert_eq!(
            serialization("[]"),
            "Unrecognized collection type java.util.Map<java.lang.String, java.util.List<java.lang.String>>"
        );
    }

    #[test]
    fn null_entries_are_dropped() {
        let (map, _) =
            decode_body::<BTreeMap<String, Vec<String>>>(br#"{"a": null, "b": ["x"]}"#).unwrap();
        assert_eq!(map.len(), 1);
        assert_eq!(map["b"], ["x"]);
    }
}

//! Strings, booleans and integers, converted as DynamoDB's framework converts them.

use std::fmt;

use serde::Deserializer;
use serde::de::{self, MapAccess, SeqAccess, Visitor};

use super::{Ctx, Decode, Position, Rules, Slot, UNEXPECTED_STRUCTURE};

/// The message for a JSON number where `target` (`String`, `Boolean`) belongs: Jackson calls an
/// integer token `NUMBER_VALUE` and a decimal one `DECIMAL_VALUE`.
fn number_to(decimal: bool, target: &str) -> String {
    let token = if decimal {
        "DECIMAL_VALUE"
    } else {
        "NUMBER_VALUE"
    };
    format!("{token} cannot be converted to {target}")
}

fn bool_to(value: bool, target: &str) -> String {
    let token = if value { "TRUE_VALUE" } else { "FALSE_VALUE" };
    format!("{token} cannot be converted to {target}")
}

fn collection_to(java_type: &str) -> String {
    format!("Unrecognized collection type class {java_type}")
}

/// Applies `rules` to a decoded scalar and wraps it.
fn present<T: Decode>(value: T, cx: &mut Ctx, rules: &'static Rules) -> Slot<T> {
    rules.check(&value, cx);
    Slot::Present(value)
}

struct StringVisitor<'a> {
    cx: &'a mut Ctx,
    rules: &'static Rules,
}

impl<'de> Visitor<'de> for StringVisitor<'_> {
    type Value = Slot<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        Ok(present(value.to_owned(), self.cx, self.rules))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Self::Value, E> {
        Ok(present(value, self.cx, self.rules))
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Self::Value, E> {
        Err(E::custom(bool_to(value, "String")))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Err(E::custom(number_to(false, "String")))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Err(E::custom(number_to(false, "String")))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Err(E::custom(number_to(true, "String")))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Slot::Absent)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(de::Error::custom(collection_to("java.lang.String")))
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(de::Error::custom(UNEXPECTED_STRUCTURE))
    }
}

impl Decode for String {
    fn java_type() -> String {
        "java.lang.String".to_owned()
    }

    fn decode<'de, D: Deserializer<'de>>(
        de: D,
        cx: &mut Ctx,
        _at: Position,
        rules: &'static Rules,
    ) -> Result<Slot<Self>, D::Error> {
        de.deserialize_any(StringVisitor { cx, rules })
    }

    fn length(&self) -> Option<usize> {
        // Java counts a string's length in UTF-16 units.
        Some(self.encode_utf16().count())
    }

    fn text(&self) -> Option<&str> {
        Some(self)
    }
}

struct BoolVisitor;

impl<'de> Visitor<'de> for BoolVisitor {
    type Value = Slot<bool>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a boolean")
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Self::Value, E> {
        Ok(Slot::Present(value))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        // The framework's boolean parser accepts these spellings in any case.
        match value.to_ascii_uppercase().as_str() {
            "TRUE" | "1" | "YES" => Ok(Slot::Present(true)),
            "FALSE" | "0" | "NO" => Ok(Slot::Present(false)),
            _ => Err(E::custom("Unexpected token received from parser")),
        }
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Err(E::custom(number_to(false, "Boolean")))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Err(E::custom(number_to(false, "Boolean")))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Err(E::custom(number_to(true, "Boolean")))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Slot::Absent)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(de::Error::custom(collection_to("java.lang.Boolean")))
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(de::Error::custom(UNEXPECTED_STRUCTURE))
    }
}

impl Decode for bool {
    fn java_type() -> String {
        "java.lang.Boolean".to_owned()
    }

    fn decode<'de, D: Deserializer<'de>>(
        de: D,
        _cx: &mut Ctx,
        _at: Position,
        _rules: &'static Rules,
    ) -> Result<Slot<Self>, D::Error> {
        de.deserialize_any(BoolVisitor)
    }
}

/// An integer member: `Long` (i64) or `Integer` (i32) in the service model.
trait Integer: Sized + Copy + TryFrom<i64> + TryFrom<u64> {
    /// The Java type's short name (`Long`, `Integer`).
    const NAME: &'static str;
    /// The Java primitive's name, for range errors (`long`, `int`).
    const PRIMITIVE: &'static str;
    fn from_f64(value: f64) -> Option<Self>;
}

impl Integer for i64 {
    const NAME: &'static str = "Long";
    const PRIMITIVE: &'static str = "long";

    fn from_f64(value: f64) -> Option<Self> {
        let truncated = value.trunc();
        // i64::MAX is not representable in f64; 2^63 is the first value out of range.
        (-9.223_372_036_854_776e18..9.223_372_036_854_776e18)
            .contains(&truncated)
            .then_some(truncated as i64)
    }
}

impl Integer for i32 {
    const NAME: &'static str = "Integer";
    const PRIMITIVE: &'static str = "int";

    fn from_f64(value: f64) -> Option<Self> {
        let truncated = value.trunc();
        (truncated >= f64::from(i32::MIN) && truncated <= f64::from(i32::MAX))
            .then_some(truncated as i32)
    }
}

struct IntegerVisitor<'a, N> {
    cx: &'a mut Ctx,
    rules: &'static Rules,
    marker: std::marker::PhantomData<N>,
}

impl<N: Integer> IntegerVisitor<'_, N> {
    fn out_of_range<E: de::Error>(value: impl fmt::Display) -> E {
        E::custom(format!(
            "Numeric value ({value}) out of range of {}",
            N::PRIMITIVE
        ))
    }
}

impl<'de, N: Integer + Decode> Visitor<'de> for IntegerVisitor<'_, N> {
    type Value = Slot<N>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer")
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
        let number = N::try_from(value).map_err(|_| Self::out_of_range(value))?;
        Ok(present(number, self.cx, self.rules))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
        let number = N::try_from(value).map_err(|_| Self::out_of_range(value))?;
        Ok(present(number, self.cx, self.rules))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Self::Value, E> {
        // A decimal is accepted and truncated, as Java's narrowing conversion does.
        let number = N::from_f64(value).ok_or_else(|| Self::out_of_range(value))?;
        Ok(present(number, self.cx, self.rules))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Err(E::custom(format!(
            "STRING_VALUE cannot be converted to {}",
            N::NAME
        )))
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Self::Value, E> {
        Err(E::custom(bool_to(value, N::NAME)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Slot::Absent)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(de::Error::custom(collection_to(&format!(
            "java.lang.{}",
            N::NAME
        ))))
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(de::Error::custom(UNEXPECTED_STRUCTURE))
    }
}

macro_rules! integer_decode {
    ($ty:ty) => {
        impl Decode for $ty {
            fn java_type() -> String {
                format!("java.lang.{}", <$ty as Integer>::NAME)
            }

            fn decode<'de, D: Deserializer<'de>>(
                de: D,
                cx: &mut Ctx,
                _at: Position,
                rules: &'static Rules,
            ) -> Result<Slot<Self>, D::Error> {
                de.deserialize_any(IntegerVisitor::<$ty> {
                    cx,
                    rules,
                    marker: std::marker::PhantomData,
                })
            }

            fn number(&self) -> Option<i64> {
                Some(i64::from(*self))
            }
        }
    };
}

integer_decode!(i64);
integer_decode!(i32);

/// A `Timestamp` member: seconds since the epoch, a JSON number with an optional fraction (how
/// the SDKs send timestamps in this protocol).
struct TimestampVisitor;

impl<'de> Visitor<'de> for TimestampVisitor {
    type Value = Slot<f64>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a timestamp")
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
        Ok(Slot::Present(value as f64))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
        Ok(Slot::Present(value as f64))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Self::Value, E> {
        Ok(Slot::Present(value))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Err(E::custom("STRING_VALUE cannot be converted to Timestamp"))
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Self::Value, E> {
        Err(E::custom(bool_to(value, "Timestamp")))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Slot::Absent)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(de::Error::custom(collection_to("java.util.Date")))
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(de::Error::custom(UNEXPECTED_STRUCTURE))
    }
}

/// Timestamps decode as `f64` seconds since the epoch.
impl Decode for f64 {
    fn java_type() -> String {
        "java.util.Date".to_owned()
    }

    fn decode<'de, D: Deserializer<'de>>(
        de: D,
        _cx: &mut Ctx,
        _at: Position,
        _rules: &'static Rules,
    ) -> Result<Slot<Self>, D::Error> {
        de.deserialize_any(TimestampVisitor)
    }
}

//! DynamoDB JSON for [`AttributeValue`] and [`Item`]: hand-written serde impls.
//!
//! Wire form: `{"S":"x"}`, `{"N":"1.5"}`, `{"B":"<base64>"}`, `{"BOOL":true}`, `{"NULL":true}`,
//! `{"M":{"name":{...}}}`, `{"L":[{...}]}`, `{"SS":["a"]}`, `{"NS":["1"]}`, `{"BS":["YQ=="]}`.
//! Numbers are written in their canonical form ([`Number`]'s `Display`).
//!
//! # Two kinds of input error
//! DynamoDB answers a request whose JSON has the wrong *shape* (a JSON type where another is
//! expected, e.g. `{"S": 5}`) with a SerializationException, and a well-shaped request whose
//! *values* break the data model (no type or two types in one value, `{"NULL": false}`, an
//! empty or duplicated set, an invalid number, nesting past 32 levels) with a
//! ValidationException. Both are found while deserializing, and serde errors are strings, so:
//!
//! - Shape errors are plain `serde::de::Error::custom` messages carrying DynamoDB's text.
//! - Value errors are [`ValueError`]s. The plain `Deserialize` impls of [`AttributeValue`] (and
//!   so of [`Item`]) report the first one as a custom message starting with
//!   [`VALIDATION_PREFIX`]; [`classify`] turns any `serde_json::Error` back into an
//!   [`InputError`] saying which exception it is, with the message DynamoDB would send.
//! - [`Validated`] is for request types that must keep DynamoDB's precedence: DynamoDB checks
//!   the shape of the whole request first, then the request's own parameters, then the values.
//!   A `Validated<Item>` field deserializes successfully when only its values are wrong (after
//!   reading to its end, so later shape errors still win) and hands the [`ValueError`] over
//!   when the caller asks, in the order it chooses.
//!
//! A JSON `null` where a type key's value is expected means "absent", as in DynamoDB:
//! `{"S": null, "N": "1"}` is the number 1; unknown keys inside a value are ignored.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::hash::Hash;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

use crate::number::{CanonicalBuffer, NumberError};
use crate::value::MAX_NESTING_LEVEL;
use crate::{AttributeValue, Item, Number};

/// Starts the message of every serde error that is a [`ValueError`] (a ValidationException), so
/// [`classify`] can tell it from a shape error (a SerializationException). Never part of a
/// message DynamoDB sends: [`classify`] strips it.
pub const VALIDATION_PREFIX: &str = "[ValidationException] ";

/// A value that breaks DynamoDB's data model. `Display` is DynamoDB's message.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ValueError {
    /// A value object with no type key (or only `null` ones), or a `null` value.
    #[error(
        "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
    )]
    Empty,
    /// A value object with two or more type keys.
    #[error(
        "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"
    )]
    MultipleTypes,
    /// `N` or an `NS` member is not a valid number.
    #[error(transparent)]
    Number(#[from] NumberError),
    /// `{"NULL": false}`.
    #[error(
        "One or more parameter values were invalid: Null attribute value types must have the value of true"
    )]
    NullNotTrue,
    /// `{"SS": []}`. (The double space is DynamoDB's.)
    #[error("One or more parameter values were invalid: An string set  may not be empty")]
    EmptyStringSet,
    /// `{"NS": []}`. (The double space is DynamoDB's.)
    #[error("One or more parameter values were invalid: An number set  may not be empty")]
    EmptyNumberSet,
    /// `{"BS": []}`.
    #[error("One or more parameter values were invalid: Binary sets should not be empty")]
    EmptyBinarySet,
    /// A string set with a repeated member; `members` is the whole set as given.
    #[error(
        "One or more parameter values were invalid: Input collection [{}] contains duplicates.",
        members.join(", ")
    )]
    DuplicateStrings {
        /// The set's members, in input order.
        members: Vec<String>,
    },
    /// A number set with two numerically equal members.
    #[error("Input collection contains duplicates")]
    DuplicateNumbers,
    /// A binary set with a repeated member; `members` is the set, base64-encoded.
    #[error(
        "One or more parameter values were invalid: Input collection [{}]of type BS contains duplicates.",
        members.join(", ")
    )]
    DuplicateBinaries {
        /// The set's members as base64, in input order.
        members: Vec<String>,
    },
    /// A value nested below level [`MAX_NESTING_LEVEL`].
    #[error(
        "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit"
    )]
    TooDeep,
}

/// What a JSON input error is in DynamoDB's terms; see the module docs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputError {
    /// Malformed JSON or a JSON type where another is expected: a SerializationException.
    Serialization {
        /// DynamoDB's message for shape errors; serde_json's own text for malformed JSON.
        message: String,
    },
    /// A value breaking the data model: a ValidationException.
    Validation {
        /// DynamoDB's message.
        message: String,
    },
}

/// Classifies an error from deserializing DynamoDB JSON with serde_json: messages starting with
/// [`VALIDATION_PREFIX`] are validation errors (prefix removed), all others serialization
/// errors. serde_json's " at line L column C" suffix is removed from both.
pub fn classify(error: &serde_json::Error) -> InputError {
    let mut message = error.to_string();
    if error.line() != 0 {
        let suffix = format!(" at line {} column {}", error.line(), error.column());
        if message.ends_with(&suffix) {
            message.truncate(message.len() - suffix.len());
        }
    }
    match message.strip_prefix(VALIDATION_PREFIX) {
        Some(rest) => InputError::Validation {
            message: rest.to_owned(),
        },
        None => InputError::Serialization { message },
    }
}

/// A deserialized `T` whose values may break the data model; see the module docs. Deserializing
/// fails only for shape errors; [`Validated::into_result`] reports the first value error, in
/// document order.
#[derive(Debug, Clone, PartialEq)]
pub struct Validated<T>(Result<T, ValueError>);

impl<T> Validated<T> {
    /// The value, or the first value error found in it.
    pub fn into_result(self) -> Result<T, ValueError> {
        self.0
    }

    /// Borrowing form of [`Validated::into_result`].
    pub fn as_result(&self) -> Result<&T, &ValueError> {
        self.0.as_ref()
    }
}

// ---------------------------------------------------------------------------------------------
// Serialization

impl Serialize for AttributeValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        match self {
            AttributeValue::S(text) => map.serialize_entry("S", text)?,
            AttributeValue::N(number) => map.serialize_entry("N", &NumberText(number))?,
            AttributeValue::B(bytes) => map.serialize_entry("B", &Base64Text(bytes))?,
            AttributeValue::Bool(flag) => map.serialize_entry("BOOL", flag)?,
            AttributeValue::Null => map.serialize_entry("NULL", &true)?,
            AttributeValue::M(members) => map.serialize_entry("M", members)?,
            AttributeValue::L(elements) => map.serialize_entry("L", elements)?,
            AttributeValue::Ss(members) => map.serialize_entry("SS", members)?,
            AttributeValue::Ns(members) => map.serialize_entry("NS", &NumberMembers(members))?,
            AttributeValue::Bs(members) => map.serialize_entry("BS", &BinaryMembers(members))?,
        }
        map.end()
    }
}

struct NumberText<'a>(&'a Number);

impl Serialize for NumberText<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.canonical(&mut CanonicalBuffer::new()))
    }
}

struct Base64Text<'a>(&'a [u8]);

impl Serialize for Base64Text<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Streams the encoding into the output: no intermediate String.
        serializer.collect_str(&base64::display::Base64Display::new(self.0, &BASE64))
    }
}

struct NumberMembers<'a>(&'a [Number]);

impl Serialize for NumberMembers<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for number in self.0 {
            seq.serialize_element(&NumberText(number))?;
        }
        seq.end()
    }
}

struct BinaryMembers<'a>(&'a [Vec<u8>]);

impl Serialize for BinaryMembers<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for bytes in self.0 {
            seq.serialize_element(&Base64Text(bytes))?;
        }
        seq.end()
    }
}

// ---------------------------------------------------------------------------------------------
// Deserialization: plain impls and `Validated` share the seeds below, which record value errors
// in a `Context` instead of failing, so the whole input is always read for shape errors.

impl<'de> Deserialize<'de> for AttributeValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<AttributeValue, D::Error> {
        let mut context = Context::default();
        let value = ValueSeed {
            context: &mut context,
            level: 1,
        }
        .deserialize(deserializer)?;
        context.finish(value)
    }
}

impl<'de> Deserialize<'de> for Validated<AttributeValue> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut context = Context::default();
        let value = ValueSeed {
            context: &mut context,
            level: 1,
        }
        .deserialize(deserializer)?;
        Ok(Validated(context.error.map_or(Ok(value), Err)))
    }
}

impl<'de> Deserialize<'de> for Validated<Item> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut context = Context::default();
        let item = MapSeed {
            context: &mut context,
            level: 1,
        }
        .deserialize(deserializer)?;
        let item =
            item.ok_or_else(|| de::Error::custom("Unexpected null where a map is expected"))?;
        Ok(Validated(context.error.map_or(Ok(item), Err)))
    }
}

impl<'de> Deserialize<'de> for Validated<Vec<AttributeValue>> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut context = Context::default();
        let list = ListSeed {
            context: &mut context,
            level: 1,
        }
        .deserialize(deserializer)?;
        let list =
            list.ok_or_else(|| de::Error::custom("Unexpected null where a list is expected"))?;
        Ok(Validated(context.error.map_or(Ok(list), Err)))
    }
}

/// The first value error met so far, in document order.
#[derive(Default)]
struct Context {
    error: Option<ValueError>,
}

impl Context {
    fn record(&mut self, error: ValueError) {
        if self.error.is_none() {
            self.error = Some(error);
        }
    }

    fn number(&mut self, text: &str) -> Number {
        Number::parse(text).unwrap_or_else(|error| {
            self.record(ValueError::Number(error));
            Number::ZERO
        })
    }

    fn finish<T, E: de::Error>(self, value: T) -> Result<T, E> {
        match self.error {
            None => Ok(value),
            Some(error) => Err(E::custom(format_args!("{VALIDATION_PREFIX}{error}"))),
        }
    }
}

/// The type keys of a value object; `Other` is any other key (ignored, as DynamoDB does).
#[derive(Clone, Copy, PartialEq, Eq)]
enum TypeKey {
    S,
    N,
    B,
    Bool,
    Null,
    M,
    L,
    Ss,
    Ns,
    Bs,
    Other,
}

impl<'de> Deserialize<'de> for TypeKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<TypeKey, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = TypeKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an attribute type")
            }
            fn visit_str<E: de::Error>(self, key: &str) -> Result<TypeKey, E> {
                Ok(match key {
                    "S" => TypeKey::S,
                    "N" => TypeKey::N,
                    "B" => TypeKey::B,
                    "BOOL" => TypeKey::Bool,
                    "NULL" => TypeKey::Null,
                    "M" => TypeKey::M,
                    "L" => TypeKey::L,
                    "SS" => TypeKey::Ss,
                    "NS" => TypeKey::Ns,
                    "BS" => TypeKey::Bs,
                    _ => TypeKey::Other,
                })
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

/// One attribute value at nesting `level` (top-level attribute values are level 1).
struct ValueSeed<'c> {
    context: &'c mut Context,
    level: u32,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = AttributeValue;

    fn deserialize<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<AttributeValue, D::Error> {
        deserializer.deserialize_any(self)
    }
}

const UNEXPECTED_VALUE: &str = "Unexpected value type in payload";
const STRUCTURE_NOT_EXPECTED: &str = "Start of structure or map found where not expected";
const UNEXPECTED_FIELD: &str = "Unexpected field type";

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = AttributeValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an attribute value object")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<AttributeValue, E> {
        Err(E::custom(UNEXPECTED_VALUE))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<AttributeValue, E> {
        Err(E::custom(UNEXPECTED_VALUE))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<AttributeValue, E> {
        Err(E::custom(UNEXPECTED_VALUE))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<AttributeValue, E> {
        Err(E::custom(UNEXPECTED_VALUE))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<AttributeValue, E> {
        Err(E::custom(UNEXPECTED_VALUE))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<AttributeValue, A::Error> {
        Err(de::Error::custom(
            "Unrecognized collection type class com.amazonaws.dynamodb.v20120810.AttributeValue",
        ))
    }
    fn visit_unit<E: de::Error>(self) -> Result<AttributeValue, E> {
        self.context.record(ValueError::Empty);
        Ok(AttributeValue::Null)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AttributeValue, A::Error> {
        let context = self.context;
        if self.level > MAX_NESTING_LEVEL {
            context.record(ValueError::TooDeep);
        }
        let mut value = None;
        let mut types_seen = 0u16;
        while let Some(key) = map.next_key::<TypeKey>()? {
            let parsed = match key {
                TypeKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                    None
                }
                TypeKey::S => map
                    .next_value_seed(ScalarSeed(Scalar::String))?
                    .map(|text| AttributeValue::S(text.into_owned())),
                TypeKey::N => map
                    .next_value_seed(ScalarSeed(Scalar::String))?
                    .map(|text| AttributeValue::N(context.number(&text))),
                TypeKey::B => map
                    .next_value_seed(ScalarSeed(Scalar::Blob))?
                    .map(|text| decode_base64(&text).map(AttributeValue::B))
                    .transpose()?,
                TypeKey::Bool => map.next_value_seed(BoolSeed)?.map(AttributeValue::Bool),
                TypeKey::Null => map.next_value_seed(BoolSeed)?.map(|flag| {
                    if !flag {
                        context.record(ValueError::NullNotTrue);
                    }
                    AttributeValue::Null
                }),
                TypeKey::M => map
                    .next_value_seed(MapSeed {
                        context: &mut *context,
                        level: self.level + 1,
                    })?
                    .map(AttributeValue::M),
                TypeKey::L => map
                    .next_value_seed(ListSeed {
                        context: &mut *context,
                        level: self.level + 1,
                    })?
                    .map(AttributeValue::L),
                TypeKey::Ss => map
                    .next_value_seed(ScalarListSeed(Scalar::String))?
                    .map(|members| string_set(context, members)),
                TypeKey::Ns => map
                    .next_value_seed(ScalarListSeed(Scalar::String))?
                    .map(|members| number_set(context, &members)),
                TypeKey::Bs => map
                    .next_value_seed(ScalarListSeed(Scalar::Blob))?
                    .map(|members| binary_set(context, &members))
                    .transpose()?,
            };
            if let Some(parsed) = parsed {
                types_seen |= 1 << key as u16;
                value = Some(parsed);
            }
        }
        match value {
            None => {
                context.record(ValueError::Empty);
                Ok(AttributeValue::Null)
            }
            Some(value) => {
                if types_seen.count_ones() > 1 {
                    context.record(ValueError::MultipleTypes);
                }
                Ok(value)
            }
        }
    }
}

fn string_set(context: &mut Context, members: Vec<Cow<'_, str>>) -> AttributeValue {
    let members: Vec<String> = members.into_iter().map(Cow::into_owned).collect();
    if members.is_empty() {
        context.record(ValueError::EmptyStringSet);
    } else if has_duplicates(&members) {
        context.record(ValueError::DuplicateStrings {
            members: members.clone(),
        });
    }
    AttributeValue::Ss(members)
}

fn number_set(context: &mut Context, texts: &[Cow<'_, str>]) -> AttributeValue {
    let members: Vec<Number> = texts.iter().map(|text| context.number(text)).collect();
    if members.is_empty() {
        context.record(ValueError::EmptyNumberSet);
    } else if has_duplicates(&members) {
        context.record(ValueError::DuplicateNumbers);
    }
    AttributeValue::Ns(members)
}

fn binary_set<E: de::Error>(
    context: &mut Context,
    texts: &[Cow<'_, str>],
) -> Result<AttributeValue, E> {
    let members = texts
        .iter()
        .map(|text| decode_base64(text))
        .collect::<Result<Vec<_>, E>>()?;
    if members.is_empty() {
        context.record(ValueError::EmptyBinarySet);
    } else if has_duplicates(&members) {
        // Decoding accepts only canonical base64, so the input texts are the canonical ones.
        let members = texts.iter().map(|text| text.to_string()).collect();
        context.record(ValueError::DuplicateBinaries { members });
    }
    Ok(AttributeValue::Bs(members))
}

/// Whether any two members are equal; no allocation for the small sets that are the norm.
fn has_duplicates<T: Eq + Hash>(members: &[T]) -> bool {
    if members.len() <= 16 {
        return members
            .iter()
            .enumerate()
            .any(|(i, a)| members[i + 1..].contains(a));
    }
    let mut seen = std::collections::HashSet::with_capacity(members.len());
    !members.iter().all(|member| seen.insert(member))
}

/// Decodes canonical padded base64, with DynamoDB's messages for what it rejects.
fn decode_base64<E: de::Error>(text: &str) -> Result<Vec<u8>, E> {
    if !text.len().is_multiple_of(4) {
        return Err(E::custom(format_args!(
            "Base64 encoded length is expected a multiple of 4 bytes but found: {}",
            text.chars().count()
        )));
    }
    // The misspelling is DynamoDB's own.
    BASE64
        .decode(text)
        .map_err(|_| E::custom("Invalid last non-pad Base64 character dectected"))
}

/// The scalar shapes a field can expect, which decide DynamoDB's shape-error texts.
#[derive(Clone, Copy)]
enum Scalar {
    /// A JSON string (S, N, SS and NS members).
    String,
    /// A JSON string holding base64 (B, BS members).
    Blob,
}

/// A string field: `None` for JSON `null`.
struct ScalarSeed(Scalar);

impl<'de> DeserializeSeed<'de> for ScalarSeed {
    type Value = Option<Cow<'de, str>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl ScalarSeed {
    fn not_convertible<E: de::Error>(&self, json_type: &str) -> E {
        match self.0 {
            Scalar::String => E::custom(format_args!("{json_type} cannot be converted to String")),
            Scalar::Blob => E::custom("only base-64-encoded strings are convertible to bytes"),
        }
    }
}

impl<'de> Visitor<'de> for ScalarSeed {
    type Value = Option<Cow<'de, str>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Borrowed(text)))
    }
    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(text.to_owned())))
    }
    fn visit_string<E: de::Error>(self, text: String) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(text)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_bool<E: de::Error>(self, flag: bool) -> Result<Self::Value, E> {
        Err(self.not_convertible(if flag { "TRUE_VALUE" } else { "FALSE_VALUE" }))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Err(self.not_convertible("NUMBER_VALUE"))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Err(self.not_convertible("NUMBER_VALUE"))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Err(self.not_convertible("DECIMAL_VALUE"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(de::Error::custom(match self.0 {
            Scalar::String => "Unrecognized collection type class java.lang.String",
            Scalar::Blob => "Unrecognized collection type class java.nio.ByteBuffer",
        }))
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(de::Error::custom(STRUCTURE_NOT_EXPECTED))
    }
}

/// A boolean field (`BOOL`, `NULL`): `None` for JSON `null`. Like DynamoDB, the strings
/// `true`/`1`/`yes` and `false`/`0`/`no` (any case) are read as booleans.
struct BoolSeed;

impl<'de> DeserializeSeed<'de> for BoolSeed {
    type Value = Option<bool>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<bool>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for BoolSeed {
    type Value = Option<bool>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a boolean")
    }
    fn visit_bool<E: de::Error>(self, flag: bool) -> Result<Option<bool>, E> {
        Ok(Some(flag))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Option<bool>, E> {
        Ok(None)
    }
    fn visit_str<E: de::Error>(self, text: &str) -> Result<Option<bool>, E> {
        if ["true", "1", "yes"]
            .iter()
            .any(|word| text.eq_ignore_ascii_case(word))
        {
            Ok(Some(true))
        } else if ["false", "0", "no"]
            .iter()
            .any(|word| text.eq_ignore_ascii_case(word))
        {
            Ok(Some(false))
        } else {
            Err(E::custom("Unexpected token received from parser"))
        }
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Option<bool>, E> {
        Err(E::custom("NUMBER_VALUE cannot be converted to Boolean"))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Option<bool>, E> {
        Err(E::custom("NUMBER_VALUE cannot be converted to Boolean"))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Option<bool>, E> {
        Err(E::custom("DECIMAL_VALUE cannot be converted to Boolean"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Option<bool>, A::Error> {
        Err(de::Error::custom(
            "Unrecognized collection type class java.lang.Boolean",
        ))
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Option<bool>, A::Error> {
        Err(de::Error::custom(STRUCTURE_NOT_EXPECTED))
    }
}

/// Visitor methods shared by the list-shaped fields: every non-array JSON type is a shape error,
/// `null` is absent.
macro_rules! reject_non_list {
    () => {
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Err(E::custom(UNEXPECTED_FIELD))
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Err(E::custom(UNEXPECTED_FIELD))
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Err(E::custom(UNEXPECTED_FIELD))
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Err(E::custom(UNEXPECTED_FIELD))
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Err(E::custom(UNEXPECTED_FIELD))
        }
        fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
            Err(de::Error::custom(STRUCTURE_NOT_EXPECTED))
        }
    };
}

/// The members of `SS`, `NS` or `BS`: `None` for JSON `null`.
struct ScalarListSeed(Scalar);

impl<'de> DeserializeSeed<'de> for ScalarListSeed {
    type Value = Option<Vec<Cow<'de, str>>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ScalarListSeed {
    type Value = Option<Vec<Cow<'de, str>>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of strings")
    }

    reject_non_list!();

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut members = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(member) = seq.next_element_seed(ScalarSeed(self.0))? {
            // A null member has no DynamoDB type at all; refuse it as malformed input.
            members.push(member.ok_or_else(|| de::Error::custom("Unexpected null in a set"))?);
        }
        Ok(Some(members))
    }
}

/// The elements of `L` (or a top-level list of values), each one level deeper.
struct ListSeed<'c> {
    context: &'c mut Context,
    level: u32,
}

impl<'de> DeserializeSeed<'de> for ListSeed<'_> {
    type Value = Option<Vec<AttributeValue>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ListSeed<'_> {
    type Value = Option<Vec<AttributeValue>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of attribute values")
    }

    reject_non_list!();

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut elements = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(element) = seq.next_element_seed(ValueSeed {
            context: &mut *self.context,
            level: self.level,
        })? {
            elements.push(element);
        }
        Ok(Some(elements))
    }
}

/// The members of `M`, or an item (names to top-level values), at nesting `level`.
struct MapSeed<'c> {
    context: &'c mut Context,
    level: u32,
}

impl<'de> DeserializeSeed<'de> for MapSeed<'_> {
    type Value = Option<BTreeMap<String, AttributeValue>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for MapSeed<'_> {
    type Value = Option<BTreeMap<String, AttributeValue>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of attribute values")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Err(E::custom(UNEXPECTED_FIELD))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Err(E::custom(UNEXPECTED_FIELD))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Err(E::custom(UNEXPECTED_FIELD))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Err(E::custom(UNEXPECTED_FIELD))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Err(E::custom(UNEXPECTED_FIELD))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(de::Error::custom(
            "Unrecognized collection type java.util.Map<java.lang.String, com.amazonaws.dynamodb.v20120810.AttributeValue>",
        ))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = BTreeMap::new();
        while let Some(name) = map.next_key::<String>()? {
            let value = map.next_value_seed(ValueSeed {
                context: &mut *self.context,
                level: self.level,
            })?;
            // A repeated name keeps the last value, as a JSON object read into a map does.
            members.insert(name, value);
        }
        Ok(Some(members))
    }
}

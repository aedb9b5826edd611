//! Macros that declare wire structures and enums once and derive their decoding (with
//! DynamoDB's errors), encoding and constraint-message rendering from that declaration.
//!
//! ```ignore
//! wire_struct! {
//!     /// Represents a single element of a key schema.
//!     pub struct KeySchemaElement {
//!         /// The attribute's name.
//!         "AttributeName" attribute_name: required String = presets::KEY_ATTRIBUTE_NAME,
//!         /// HASH or RANGE.
//!         "KeyType" key_type: required KeyType,
//!     }
//! }
//! ```
//!
//! Each member has its wire name, a Rust name, a requirement and a type, and optionally a
//! [`Rules`](super::Rules) constant:
//! - `required`: the Rust field is `T`; an absent member is `Member must not be null`.
//! - `named`: the Rust field is `T`; an absent member is reported before any constraint as
//!   `The parameter 'X' is required but was not present in the request`.
//! - `optional`: the Rust field is `Option<T>`.
//!
//! Encoding writes the present members under their wire names, so responses never hold `null`.

use std::borrow::Cow;
use std::fmt;

use serde::Deserializer;
use serde::de::{self, DeserializeSeed, Visitor};

/// A structure member's name as read from the body, borrowed from it when possible.
pub(crate) struct MemberName;

impl<'de> DeserializeSeed<'de> for MemberName {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        struct NameVisitor;
        impl<'de> Visitor<'de> for NameVisitor {
            type Value = Cow<'de, str>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_borrowed_str<E: de::Error>(self, name: &'de str) -> Result<Self::Value, E> {
                Ok(Cow::Borrowed(name))
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<Self::Value, E> {
                Ok(Cow::Owned(name.to_owned()))
            }
        }
        de.deserialize_str(NameVisitor)
    }
}

/// The Rust type of a member with the given requirement.
macro_rules! wire_field_type {
    (optional, $ty:ty) => { Option<$ty> };
    (required, $ty:ty) => { $ty };
    (named, $ty:ty) => { $ty };
}

/// The rules of a member: the given constant, or none.
macro_rules! wire_rules {
    () => {
        &$crate::decode::Rules::NONE
    };
    ($rules:expr) => {
        &$rules
    };
}

/// Turns a decoded member into its field value: `Some(value)`, or `None` when the structure
/// cannot be built (the reason is recorded in the context).
macro_rules! wire_finish {
    (optional, $slot:expr, $cx:expr, $wire:literal, $rules:expr) => {
        match $slot {
            $crate::decode::Slot::Present(value) => Some(Some(value)),
            $crate::decode::Slot::Absent => Some(None),
            $crate::decode::Slot::Invalid => None,
        }
    };
    (required, $slot:expr, $cx:expr, $wire:literal, $rules:expr) => {
        match $slot {
            $crate::decode::Slot::Present(value) => Some(value),
            $crate::decode::Slot::Absent => {
                $crate::decode::Rules::absent($rules, $cx, $wire);
                None
            }
            $crate::decode::Slot::Invalid => None,
        }
    };
    (named, $slot:expr, $cx:expr, $wire:literal, $rules:expr) => {
        match $slot {
            $crate::decode::Slot::Present(value) => Some(value),
            $crate::decode::Slot::Absent => {
                $cx.precheck(format!(
                    "The parameter '{}' is required but was not present in the request",
                    $wire
                ));
                None
            }
            $crate::decode::Slot::Invalid => None,
        }
    };
}

/// Writes one member of a structure being encoded.
macro_rules! wire_serialize_field {
    (optional, $map:ident, $wire:literal, $value:expr) => {
        if let Some(value) = &$value {
            $map.serialize_entry($wire, value)?;
        }
    };
    ($req:ident, $map:ident, $wire:literal, $value:expr) => {
        $map.serialize_entry($wire, &$value)?;
    };
}

/// Renders one member of a structure in a constraint message (`name=value`).
macro_rules! wire_render_field {
    (optional, $out:ident, $first:ident, $wire:literal, $value:expr) => {
        $crate::decode::shape::render_member(
            $out,
            &mut $first,
            $wire,
            $value
                .as_ref()
                .map(|value| value as &dyn $crate::decode::Render),
        );
    };
    ($req:ident, $out:ident, $first:ident, $wire:literal, $value:expr) => {
        $crate::decode::shape::render_member(
            $out,
            &mut $first,
            $wire,
            Some(&$value as &dyn $crate::decode::Render),
        );
    };
}

/// Appends `name=value` (`name=null` when absent) to a structure's rendering, as DynamoDB
/// prints its request objects: `KeySchemaElement(attributeName=pk, keyType=HASH)`.
pub(crate) fn render_member(
    out: &mut String,
    first: &mut bool,
    wire: &str,
    value: Option<&dyn super::Render>,
) {
    if !*first {
        out.push_str(", ");
    }
    *first = false;
    let mut chars = wire.chars();
    if let Some(initial) = chars.next() {
        out.extend(initial.to_lowercase());
        out.push_str(chars.as_str());
    }
    out.push('=');
    match value {
        Some(value) => value.render(out),
        None => out.push_str("null"),
    }
}

/// Declares a wire structure; see the module documentation.
macro_rules! wire_struct {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[$field_meta:meta])*
                $wire:literal $field:ident : $req:ident $ty:ty $(= $rules:expr)?,
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name {
            $(
                $(#[$field_meta])*
                pub $field: $crate::decode::shape::wire_field_type!($req, $ty),
            )*
        }

        impl $crate::decode::Render for $name {
            #[allow(unused_mut, unused_variables)]
            fn render(&self, out: &mut String) {
                let mut first = true;
                out.push_str(stringify!($name));
                out.push('(');
                $( $crate::decode::shape::wire_render_field!($req, out, first, $wire, self.$field); )*
                out.push(')');
            }
        }

        impl $crate::decode::Decode for $name {
            fn java_type() -> String {
                concat!("com.amazonaws.dynamodb.v20120810.", stringify!($name)).to_owned()
            }

            fn decode<'de, D: serde::Deserializer<'de>>(
                de: D,
                cx: &mut $crate::decode::Ctx,
                at: $crate::decode::Position,
                _rules: &'static $crate::decode::Rules,
            ) -> Result<$crate::decode::Slot<Self>, D::Error> {
                struct StructVisitor<'a> {
                    cx: &'a mut $crate::decode::Ctx,
                    at: $crate::decode::Position,
                }

                impl StructVisitor<'_> {
                    fn scalar<E: serde::de::Error>(&self) -> E {
                        match self.at {
                            $crate::decode::Position::Top | $crate::decode::Position::Field => {
                                E::custom("Unexpected field type")
                            }
                            _ => E::custom("Unexpected value type in payload"),
                        }
                    }
                }

                impl<'de> serde::de::Visitor<'de> for StructVisitor<'_> {
                    type Value = $crate::decode::Slot<$name>;

                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str(concat!("a ", stringify!($name), " structure"))
                    }

                    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
                        Err(self.scalar())
                    }
                    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
                        Err(self.scalar())
                    }
                    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
                        Err(self.scalar())
                    }
                    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
                        Err(self.scalar())
                    }
                    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
                        Err(self.scalar())
                    }
                    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
                        Ok($crate::decode::Slot::Absent)
                    }
                    fn visit_seq<A: serde::de::SeqAccess<'de>>(
                        self,
                        _: A,
                    ) -> Result<Self::Value, A::Error> {
                        Err(serde::de::Error::custom(concat!(
                            "Unrecognized collection type class com.amazonaws.dynamodb.v20120810.",
                            stringify!($name)
                        )))
                    }

                    #[allow(unused_mut, unused_variables)]
                    fn visit_map<A: serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<Self::Value, A::Error> {
                        let cx = self.cx;
                        $( let mut $field: $crate::decode::Slot<$ty> = $crate::decode::Slot::Absent; )*
                        while let Some(name) =
                            map.next_key_seed($crate::decode::shape::MemberName)?
                        {
                            match name.as_ref() {
                                $(
                                    $wire => {
                                        cx.push($crate::decode::Segment::Field($wire));
                                        $field = map.next_value_seed($crate::decode::Seed::<$ty>::new(
                                            cx,
                                            $crate::decode::Position::Field,
                                            $crate::decode::shape::wire_rules!($($rules)?),
                                        ))?;
                                        cx.pop();
                                    }
                                )*
                                _ => {
                                    map.next_value::<serde::de::IgnoredAny>()?;
                                }
                            }
                        }
                        $(
                            let $field = $crate::decode::shape::wire_finish!(
                                $req,
                                $field,
                                cx,
                                $wire,
                                $crate::decode::shape::wire_rules!($($rules)?)
                            );
                        )*
                        #[allow(unreachable_patterns)]
                        match ($($field,)*) {
                            ($(Some($field),)*) => Ok($crate::decode::Slot::Present($name { $($field),* })),
                            _ => Ok($crate::decode::Slot::Invalid),
                        }
                    }
                }

                de.deserialize_any(StructVisitor { cx, at })
            }
        }

        impl serde::Serialize for $name {
            #[allow(unused_mut)]
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap as _;
                let mut map = serializer.serialize_map(None)?;
                $( $crate::decode::shape::wire_serialize_field!($req, map, $wire, self.$field); )*
                map.end()
            }
        }
    };
}

/// Declares a wire enum: its variants, their wire strings, and the value set as DynamoDB
/// lists it in `Member must satisfy enum value set: [...]` (its own order, not the model's).
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident [$set:literal] {
            $( $(#[$variant_meta:meta])* $variant:ident = $wire:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$variant_meta])* $variant, )*
        }

        impl $name {
            /// Every value, in the service model's order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The wire string.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire,)*
                }
            }

            /// The value with this wire string (case-sensitive, as DynamoDB is).
            pub fn parse(text: &str) -> Option<$name> {
                match text {
                    $($wire => Some($name::$variant),)*
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(de)?;
                $name::parse(&text).ok_or_else(|| {
                    serde::de::Error::custom(format!(
                        "unknown {} value {text:?}",
                        stringify!($name)
                    ))
                })
            }
        }

        impl $crate::decode::Render for $name {
            fn render(&self, out: &mut String) {
                out.push_str(self.as_str());
            }
        }

        impl $crate::decode::Decode for $name {
            fn java_type() -> String {
                "java.lang.String".to_owned()
            }

            fn decode<'de, D: serde::Deserializer<'de>>(
                de: D,
                cx: &mut $crate::decode::Ctx,
                at: $crate::decode::Position,
                _rules: &'static $crate::decode::Rules,
            ) -> Result<$crate::decode::Slot<Self>, D::Error> {
                use $crate::decode::Slot;
                Ok(match <String as $crate::decode::Decode>::decode(de, cx, at, &$crate::decode::Rules::NONE)? {
                    Slot::Present(text) => match $name::parse(&text) {
                        Some(value) => Slot::Present(value),
                        None => {
                            cx.violation(
                                $crate::decode::Report::Collected,
                                Some(&text),
                                concat!("Member must satisfy enum value set: ", $set),
                            );
                            Slot::Invalid
                        }
                    },
                    Slot::Absent => Slot::Absent,
                    Slot::Invalid => Slot::Invalid,
                })
            }
        }
    };
}

pub(crate) use {
    wire_enum, wire_field_type, wire_finish, wire_render_field, wire_rules, wire_serialize_field,
    wire_struct,
};

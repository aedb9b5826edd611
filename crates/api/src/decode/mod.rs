//! Decoding request bodies the way DynamoDB does, in one pass over the JSON bytes.
//!
//! DynamoDB's request framework (a Java service) reads a body in two stages, and so do we:
//! - *Serialization*: a member of the wrong JSON type stops everything with a
//!   SerializationException whose message names the Java conversion that failed
//!   (`NUMBER_VALUE cannot be converted to String`, `Unexpected field type`, ...). `null`
//!   counts as absent; unknown members are ignored; a boolean member accepts the strings
//!   `true`/`false`/`yes`/`no`/`1`/`0` and an integer member a decimal (truncated).
//! - *Constraints*: required members, lengths, ranges, patterns and enum values from the
//!   service model. Every failure is collected (at most ten) into one ValidationException
//!   `N validation errors detected: Value 'x' at 'path' failed to satisfy constraint: ...; ...`.
//!
//! Both happen while serde walks the body: each wire type implements [`Decode`], whose visitor
//! reports type errors at once and records constraint failures in the [`Ctx`]. A value whose
//! own constraints failed is still returned (so a parent can check its length), while a value
//! that cannot be built (a missing required member, an unknown enum value) is [`Slot::Invalid`].
//! The operation-specific rules (`validate`) only run on a request that decoded cleanly.

mod collection;
mod render;
mod rules;
mod scalar;
pub(crate) mod shape;

use std::fmt::Write as _;
use std::marker::PhantomData;

use ferrodyn_model::json::ValueError;
use serde::Deserializer;
use serde::de::DeserializeSeed;

use crate::error::ApiError;

pub(crate) use render::Render;
pub(crate) use rules::{Report, Rules, is_name, presets};

/// Where a value sits in the body; DynamoDB words a type error differently for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Position {
    /// The body itself.
    Top,
    /// A member of a structure.
    Field,
    /// An element of a list.
    Member,
    /// A value of a map.
    MapValue,
}

/// The outcome of decoding one value.
#[derive(Debug)]
pub(crate) enum Slot<T> {
    /// Absent or `null`.
    Absent,
    /// Present but unusable; the reason is already recorded in the [`Ctx`].
    Invalid,
    /// Decoded (its own constraint failures, if any, are recorded in the [`Ctx`]).
    Present(T),
}

/// One step of the path DynamoDB prints in a constraint message (`keySchema.1.member.keyType`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    /// A structure member, by its wire name (printed with a lower-case first letter).
    Field(&'static str),
    /// A list element, by zero-based index (printed one-based, followed by `.member`).
    Index(usize),
    /// A map value, by key (printed followed by `.member`).
    Key(String),
}

/// DynamoDB reports at most this many constraint failures in one message.
const MAX_VIOLATIONS: usize = 10;

/// The state of one decode: where we are and what failed so far.
#[derive(Debug, Default)]
pub(crate) struct Ctx {
    path: Vec<Segment>,
    violations: Vec<String>,
    /// Failures reported alone, before the others (the table name's).
    early: Vec<String>,
    /// A failure DynamoDB reports before any constraint ("The parameter 'TableName' is
    /// required but was not present in the request").
    precheck: Option<String>,
    value_errors: ValueErrors,
}

/// Attribute values that break the data model, found while decoding and reported by the
/// operation's rules at the point DynamoDB checks them (after the request's own parameters).
#[derive(Debug, Default)]
pub(crate) struct ValueErrors {
    /// Where each error is (the path to the attribute value) and what it is, in body order.
    entries: Vec<(Vec<Segment>, ValueError)>,
}

impl ValueErrors {
    /// The first error whose path satisfies `at`.
    pub(crate) fn first(
        &self,
        at: impl Fn(&[Segment]) -> bool,
    ) -> Option<(&[Segment], &ValueError)> {
        self.entries
            .iter()
            .find(|(path, _)| at(path))
            .map(|(path, error)| (path.as_slice(), error))
    }

    /// The first error under the top-level member `field`.
    pub(crate) fn under(&self, field: &str) -> Option<(&[Segment], &ValueError)> {
        self.first(|path| matches!(path.first(), Some(Segment::Field(name)) if *name == field))
    }

    /// The first error of all.
    pub(crate) fn any(&self) -> Option<(&[Segment], &ValueError)> {
        self.first(|_| true)
    }
}

impl Ctx {
    /// Enters a structure member.
    pub(crate) fn push(&mut self, segment: Segment) {
        self.path.push(segment);
    }

    /// Leaves the innermost path step, returning it (map decoding takes its key back).
    pub(crate) fn pop(&mut self) -> Option<Segment> {
        self.path.pop()
    }

    /// The path as DynamoDB prints it: camelCase member names, `.N.member` for list elements
    /// and `.key.member` for map values.
    pub(crate) fn path_string(&self) -> String {
        self.render_path(false)
    }

    /// The path as DynamoDB's newer validators print it: wire member names.
    pub(crate) fn wire_path_string(&self) -> String {
        self.render_path(true)
    }

    fn render_path(&self, wire_names: bool) -> String {
        let mut out = String::new();
        for segment in &self.path {
            match segment {
                Segment::Field(name) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    let mut chars = name.chars();
                    if let Some(first) = chars.next() {
                        if wire_names {
                            out.push(first);
                        } else {
                            out.extend(first.to_lowercase());
                        }
                        out.push_str(chars.as_str());
                    }
                }
                Segment::Index(index) => {
                    let _ = write!(out, ".{}.member", index + 1);
                }
                Segment::Key(key) => {
                    let _ = write!(out, ".{key}.member");
                }
            }
        }
        out
    }

    /// Records that the value at the current path fails `constraint` (`None`: it is absent).
    pub(crate) fn violation(
        &mut self,
        report: Report,
        value: Option<&dyn Render>,
        constraint: &str,
    ) {
        let list = match report {
            Report::Early => &self.early,
            Report::Collected | Report::WirePath => &self.violations,
        };
        if list.len() >= MAX_VIOLATIONS {
            return;
        }
        let message = match report {
            Report::WirePath => format!(
                "Value at '{}' failed to satisfy constraint: {constraint}",
                self.wire_path_string()
            ),
            Report::Collected | Report::Early => {
                let rendered = match value {
                    Some(value) => {
                        let mut text = String::from("'");
                        value.render(&mut text);
                        text.push('\'');
                        text
                    }
                    None => "null".to_owned(),
                };
                format!(
                    "Value {rendered} at '{}' failed to satisfy constraint: {constraint}",
                    self.path_string()
                )
            }
        };
        match report {
            Report::Early => self.early.push(message),
            Report::Collected | Report::WirePath => self.violations.push(message),
        }
    }

    /// Records that the required member `field` of the structure at the current path is absent.
    pub(crate) fn null_violation(&mut self, report: Report, field: &'static str) {
        self.push(Segment::Field(field));
        self.violation(report, None, "Member must not be null");
        self.pop();
    }

    /// Records an attribute value at the current path that breaks the data model.
    pub(crate) fn value_error(&mut self, error: ValueError) {
        self.value_errors.entries.push((self.path.clone(), error));
    }

    /// Records a failure reported before constraints; the first one wins.
    pub(crate) fn precheck(&mut self, message: String) {
        self.precheck.get_or_insert(message);
    }

    /// The ValidationException for what was recorded, if anything was.
    fn error(&mut self) -> Option<ApiError> {
        if let Some(message) = self.precheck.take() {
            return Some(ApiError::validation(message));
        }
        let violations = if self.early.is_empty() {
            &self.violations
        } else {
            &self.early
        };
        if violations.is_empty() {
            return None;
        }
        let count = violations.len();
        let plural = if count == 1 { "" } else { "s" };
        Some(ApiError::validation(format!(
            "{count} validation error{plural} detected: {}",
            violations.join("; ")
        )))
    }
}

/// A wire type that decodes from DynamoDB JSON with DynamoDB's errors.
pub(crate) trait Decode: Sized + Render {
    /// The Java type DynamoDB names in messages about this value
    /// (`java.lang.String`, `com.amazonaws.dynamodb.v20120810.KeySchemaElement`, ...).
    fn java_type() -> String;

    /// Decodes one value at `at`, checking `rules` on it.
    fn decode<'de, D: Deserializer<'de>>(
        de: D,
        cx: &mut Ctx,
        at: Position,
        rules: &'static Rules,
    ) -> Result<Slot<Self>, D::Error>;

    /// The length constraints apply to (UTF-16 units of a string, elements of a collection).
    fn length(&self) -> Option<usize> {
        None
    }

    /// The value range constraints apply to.
    fn number(&self) -> Option<i64> {
        None
    }

    /// The text pattern constraints apply to.
    fn text(&self) -> Option<&str> {
        None
    }
}

/// A [`DeserializeSeed`] that decodes a `T` in a [`Ctx`].
pub(crate) struct Seed<'a, T> {
    cx: &'a mut Ctx,
    at: Position,
    rules: &'static Rules,
    marker: PhantomData<T>,
}

impl<'a, T> Seed<'a, T> {
    pub(crate) fn new(cx: &'a mut Ctx, at: Position, rules: &'static Rules) -> Self {
        Seed {
            cx,
            at,
            rules,
            marker: PhantomData,
        }
    }
}

impl<'de, T: Decode> DeserializeSeed<'de> for Seed<'_, T> {
    type Value = Slot<T>;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Slot<T>, D::Error> {
        T::decode(de, self.cx, self.at, self.rules)
    }
}

/// Decodes a whole request body into `T`: a SerializationException for the first type error,
/// else a ValidationException listing the constraint failures, else the value and the
/// attribute values in it that break the data model (for the operation's rules to report).
///
/// An empty body, one that is not JSON, or one with trailing content is a SerializationException
/// without a message, as DynamoDB answers; a body of `null` counts as `{}`.
pub(crate) fn decode_body<T: Decode>(body: &[u8]) -> Result<(T, ValueErrors), ApiError> {
    let mut cx = Ctx::default();
    let mut de = serde_json::Deserializer::from_slice(body);
    let slot = match T::decode(&mut de, &mut cx, Position::Top, &Rules::NONE) {
        Ok(slot) => slot,
        // A body that is not JSON at all gets the bare SerializationException even when a
        // type error comes first in it; checking costs a second pass on this path only.
        Err(_) if serde_json::from_slice::<serde::de::IgnoredAny>(body).is_err() => {
            return Err(ApiError::malformed_json());
        }
        Err(error) => return Err(json_error(&error)),
    };
    de.end().map_err(|_| ApiError::malformed_json())?;
    if let Some(error) = cx.error() {
        return Err(error);
    }
    match slot {
        Slot::Present(value) => Ok((value, cx.value_errors)),
        Slot::Absent => decode_body(b"{}"),
        Slot::Invalid => {
            debug_assert!(false, "an invalid value must record why");
            Err(ApiError::validation("The request is invalid"))
        }
    }
}

/// Maps a serde_json error to DynamoDB's: syntax errors are a bare SerializationException,
/// our own type errors carry DynamoDB's message, and a value error of the model (which
/// `Validated` decoding keeps from happening) is a ValidationException.
fn json_error(error: &serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    match error.classify() {
        Category::Data => {
            let text = error.to_string();
            let message = match text.rfind(" at line ") {
                Some(at) if error.line() != 0 => &text[..at],
                _ => text.as_str(),
            };
            match message.strip_prefix(ferrodyn_model::json::VALIDATION_PREFIX) {
                Some(value_error) => ApiError::validation(value_error),
                None => ApiError::serialization(message),
            }
        }
        Category::Syntax | Category::Eof | Category::Io => ApiError::malformed_json(),
    }
}

/// The message of the `ParameterizedTypeImpl` cast failure DynamoDB's framework reports for a
/// scalar where a list is a map value or a map is a list element.
pub(crate) const CAST_MESSAGE: &str = "class sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl cannot be cast to class java.lang.Class (sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl and java.lang.Class are in module java.base of loader 'bootstrap')";

/// The message for a JSON object where a scalar or list belongs.
pub(crate) const UNEXPECTED_STRUCTURE: &str = "Start of structure or map found where not expected";

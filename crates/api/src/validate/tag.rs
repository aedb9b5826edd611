//! Rules of TagResource, UntagResource and ListTagsOfResource, and of tags in CreateTable.

use std::collections::HashSet;

use crate::arn::ResourceArn;
use crate::decode::ValueErrors;
use crate::error::ApiError;
use crate::wire::{ListTagsOfResourceInput, Tag, TagResourceInput, UntagResourceInput};

/// Tags one resource may have.
pub const TAGS_MAX: usize = 50;

/// The message for more tags than a resource may have, or more keys than UntagResource takes.
const TOO_MANY_TAGS: &str = "Number of Tags exceed the current limit for the provided ResourceArn";

/// The error DynamoDB answers when a TagResource would leave a resource with more than
/// [`TAGS_MAX`] tags.
pub fn too_many_tags() -> ApiError {
    ApiError::validation(TOO_MANY_TAGS)
}

/// Whether every character of a tag key or value is one tags may hold ("Tagging restrictions
/// in DynamoDB"): letters of any script, digits, spaces, and `+ - = . _ : / @`.
fn allowed_characters(text: &str) -> bool {
    text.chars().all(|c| {
        c.is_alphanumeric()
            || (c.is_whitespace() && !c.is_control())
            || matches!(c, '+' | '-' | '=' | '.' | '_' | ':' | '/' | '@')
    })
}

/// Whether a tag key is 1 to 128 allowed characters.
fn valid_key(key: &str) -> bool {
    (1..=128).contains(&key.chars().count()) && allowed_characters(key)
}

/// Whether a tag value is at most 256 allowed characters.
fn valid_value(value: &str) -> bool {
    value.chars().count() <= 256 && allowed_characters(value)
}

/// A valid key, not under the prefix `aws:` (reserved for AWS, in any case).
fn key(key: &str) -> Result<(), ApiError> {
    if !valid_key(key) {
        return Err(ApiError::validation(format!(
            "The Tag Key provided is invalid, Key: {key}"
        )));
    }
    if key
        .get(..4)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case("aws:"))
    {
        return Err(ApiError::validation(format!(
            "Tag Key cannot be prefixed with aws:, Key: {key}"
        )));
    }
    Ok(())
}

/// Each tag's key and value, no `aws:` prefix, no repeated key, at most [`TAGS_MAX`].
pub(crate) fn tags(tags: &[Tag]) -> Result<(), ApiError> {
    let mut keys = HashSet::with_capacity(tags.len());
    for tag in tags {
        if !valid_key(&tag.key) {
            return Err(ApiError::validation(format!(
                "The Tag Key provided is invalid, Key: {}",
                tag.key
            )));
        }
        if !valid_value(&tag.value) {
            return Err(ApiError::validation(format!(
                "The Tag Value provided is invalid, Value: {}",
                tag.value
            )));
        }
        key(&tag.key)?;
        if !keys.insert(tag.key.as_str()) {
            return Err(ApiError::validation(format!(
                "Duplicate Tag Keys provided as input: Duplicate Tag Key found {}",
                tag.key
            )));
        }
    }
    if tags.len() > TAGS_MAX {
        return Err(too_many_tags());
    }
    Ok(())
}

/// The ARN, then: tags present (`Value null at 'tags'`), at least one, each valid.
pub(crate) fn tag_resource(
    input: &TagResourceInput,
    _values: &ValueErrors,
) -> Result<(), ApiError> {
    resource_arn(input.resource_arn.as_deref())?;
    let Some(list) = &input.tags else {
        return Err(ApiError::validation(
            "1 validation error detected: Value null at 'tags' failed to satisfy constraint: \
             Member must not be null",
        ));
    };
    if list.is_empty() {
        return Err(ApiError::validation(
            "Atleast one Tag needs to be provided as Input.",
        ));
    }
    tags(list)
}

/// The ARN, then: keys present, at least one, each a valid key outside the `aws:` prefix, and
/// no more keys than a resource may have tags.
pub(crate) fn untag_resource(
    input: &UntagResourceInput,
    _values: &ValueErrors,
) -> Result<(), ApiError> {
    resource_arn(input.resource_arn.as_deref())?;
    let Some(keys) = &input.tag_keys else {
        return Err(ApiError::validation(
            "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: \
             Member must not be null",
        ));
    };
    if keys.is_empty() {
        return Err(ApiError::validation(
            "Atleast one Tag Key needs to be provided as Input.",
        ));
    }
    for tag_key in keys {
        key(tag_key)?;
    }
    if keys.len() > TAGS_MAX {
        return Err(too_many_tags());
    }
    Ok(())
}

/// The ARN.
pub(crate) fn list_tags_of_resource(
    input: &ListTagsOfResourceInput,
    _values: &ValueErrors,
) -> Result<(), ApiError> {
    resource_arn(input.resource_arn.as_deref()).map(|_| ())
}

/// A present, well-formed ARN of a table or stream.
fn resource_arn(arn: Option<&str>) -> Result<ResourceArn, ApiError> {
    match arn {
        None => Err(ApiError::validation(
            "1 validation error detected: Value null at 'resourceArn' failed to satisfy \
             constraint: Member must not be null",
        )),
        Some(arn) => ResourceArn::parse_taggable(arn),
    }
}

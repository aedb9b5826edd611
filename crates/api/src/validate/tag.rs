//! Rules of TagResource, UntagResource and ListTagsOfResource, and of tags in CreateTable.

use std::collections::HashSet;

use crate::arn::ResourceArn;
use crate::decode::ValueErrors;
use crate::error::ApiError;
use crate::wire::{ListTagsOfResourceInput, Tag, TagResourceInput, UntagResourceInput};

/// Tags one resource may have.
pub const TAGS_MAX: usize = 50;

/// Whether a tag key is 1 to 128 characters.
fn valid_key(key: &str) -> bool {
    (1..=128).contains(&key.chars().count())
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
        if tag.value.chars().count() > 256 {
            return Err(ApiError::validation(format!(
                "The Tag Value provided is invalid, Value: {}",
                tag.value
            )));
        }
        if tag.key.starts_with("aws:") {
            return Err(ApiError::validation(format!(
                "Tag Key cannot be prefixed with aws:, Key: {}",
                tag.key
            )));
        }
        if !keys.insert(tag.key.as_str()) {
            return Err(ApiError::validation(format!(
                "Duplicate Tag Keys provided as input: Duplicate Tag Key found {}",
                tag.key
            )));
        }
    }
    if tags.len() > TAGS_MAX {
        return Err(ApiError::validation(
            "Number of Tags exceed the current limit for the provided ResourceArn",
        ));
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

/// The ARN, then: keys present, at least one, each 1 to 128 characters.
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
    if let Some(key) = keys.iter().find(|key| !valid_key(key)) {
        return Err(ApiError::validation(format!(
            "The Tag Key provided is invalid, Key: {key}"
        )));
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

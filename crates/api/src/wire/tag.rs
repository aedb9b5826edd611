//! Requests and responses of TagResource, UntagResource and ListTagsOfResource.

use serde::Serialize;

use super::common::Tag;
use crate::decode::shape::wire_struct;

wire_struct! {
    /// The TagResource request. Both members are checked by the operation's rules, which word
    /// their absence in DynamoDB's own way.
    pub struct TagResourceInput {
        /// The table's ARN.
        "ResourceArn" resource_arn: optional String,
        /// The tags to add or overwrite.
        "Tags" tags: optional Vec<Tag>,
    }
}

wire_struct! {
    /// The UntagResource request.
    pub struct UntagResourceInput {
        /// The table's ARN.
        "ResourceArn" resource_arn: optional String,
        /// The keys of the tags to remove.
        "TagKeys" tag_keys: optional Vec<String>,
    }
}

wire_struct! {
    /// The ListTagsOfResource request.
    pub struct ListTagsOfResourceInput {
        /// The table's ARN.
        "ResourceArn" resource_arn: optional String,
        /// Where to resume (the previous page's `NextToken`).
        "NextToken" next_token: optional String,
    }
}

/// The ListTagsOfResource response.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTagsOfResourceOutput {
    /// The tags (always present, possibly empty).
    pub tags: Vec<Tag>,
    /// Where to resume, when there are more.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

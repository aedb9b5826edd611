//! Amazon Resource Names of tables, indexes and streams: building them and reading the ones
//! the tagging operations receive.
//!
//! Form: `arn:<partition>:dynamodb:<region>:<account>:table/<name>`, with `/index/<index>` or
//! `/stream/<label>` after the name for an index or a stream.

use std::fmt;

use crate::error::ApiError;
use crate::validate::invalid;

/// What a DynamoDB ARN names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceKind {
    /// The table itself.
    Table,
    /// One of its indexes, by name.
    Index(String),
    /// One of its streams, by label.
    Stream(String),
}

/// A parsed DynamoDB resource ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceArn {
    /// `aws` in the commercial regions.
    pub partition: String,
    /// The region.
    pub region: String,
    /// The owning account.
    pub account: String,
    /// The table's name.
    pub table: String,
    /// The table, or which of its parts.
    pub kind: ResourceKind,
}

impl ResourceArn {
    /// The ARN of table `table` in `region` and `account` (partition `aws`).
    pub fn table(region: &str, account: &str, table: &str) -> ResourceArn {
        ResourceArn {
            partition: "aws".to_owned(),
            region: region.to_owned(),
            account: account.to_owned(),
            table: table.to_owned(),
            kind: ResourceKind::Table,
        }
    }

    /// The ARN of `index` of this ARN's table.
    pub fn index(&self, index: &str) -> ResourceArn {
        ResourceArn {
            kind: ResourceKind::Index(index.to_owned()),
            ..self.clone()
        }
    }

    /// The ARN of the stream labelled `label` of this ARN's table.
    pub fn stream(&self, label: &str) -> ResourceArn {
        ResourceArn {
            kind: ResourceKind::Stream(label.to_owned()),
            ..self.clone()
        }
    }

    /// Parses an ARN, answering malformed ones with DynamoDB's ValidationException messages:
    /// not starting with `arn:`, not of DynamoDB, or not naming a table.
    pub fn parse(arn: &str) -> Result<ResourceArn, ApiError> {
        let Some(rest) = arn.strip_prefix("arn:") else {
            return Err(invalid(format!("ARNs must start with 'arn:': {arn}")));
        };
        let parts: Vec<&str> = rest.splitn(5, ':').collect();
        let [partition, service, region, account, resource] = parts[..] else {
            return Err(invalid(format!(
                "Provided Arn is not a DynamoDB resource arn: {arn}"
            )));
        };
        if service != "dynamodb" || partition.is_empty() {
            return Err(invalid(format!(
                "Provided Arn is not a DynamoDB resource arn: {arn}"
            )));
        }
        let not_table = || {
            invalid(format!(
                "Invalid resource arn provided, only table or stream is accepted. Provided \
                 resource arn: {arn}"
            ))
        };
        let segments: Vec<&str> = resource.split('/').collect();
        let (table, kind) = match segments[..] {
            ["table", table] => (table, ResourceKind::Table),
            ["table", table, "index", index] => (table, ResourceKind::Index(index.to_owned())),
            ["table", table, "stream", label] => (table, ResourceKind::Stream(label.to_owned())),
            _ => return Err(not_table()),
        };
        if table.is_empty() || region.is_empty() || account.is_empty() {
            return Err(ApiError::validation(format!(
                "Invalid TableArn: Invalid ResourceArn provided as input {arn}"
            )));
        }
        Ok(ResourceArn {
            partition: partition.to_owned(),
            region: region.to_owned(),
            account: account.to_owned(),
            table: table.to_owned(),
            kind,
        })
    }

    /// The ARN of a table or stream that tags may be put on: an index's ARN is refused as
    /// DynamoDB refuses it.
    pub fn parse_taggable(arn: &str) -> Result<ResourceArn, ApiError> {
        let parsed = ResourceArn::parse(arn)?;
        if let ResourceKind::Index(_) = parsed.kind {
            return Err(invalid(format!(
                "Invalid resource arn provided, only table or stream is accepted. Provided \
                 resource arn: {arn}"
            )));
        }
        Ok(parsed)
    }
}

impl fmt::Display for ResourceArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:dynamodb:{}:{}:table/{}",
            self.partition, self.region, self.account, self.table
        )?;
        match &self.kind {
            ResourceKind::Table => Ok(()),
            ResourceKind::Index(index) => write!(f, "/index/{index}"),
            ResourceKind::Stream(label) => write!(f, "/stream/{label}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_parses_table_index_and_stream_arns() {
        let table = ResourceArn::table("us-east-1", "000000000000", "Music");
        assert_eq!(
            table.to_string(),
            "arn:aws:dynamodb:us-east-1:000000000000:table/Music"
        );
        assert_eq!(ResourceArn::parse(&table.to_string()).unwrap(), table);
        let index = table.index("byArtist");
        assert_eq!(
            index.to_string(),
            "arn:aws:dynamodb:us-east-1:000000000000:table/Music/index/byArtist"
        );
        assert_eq!(ResourceArn::parse(&index.to_string()).unwrap(), index);
        let stream = table.stream("2024-01-01T00:00:00.000");
        assert_eq!(ResourceArn::parse(&stream.to_string()).unwrap(), stream);
    }

    #[test]
    fn malformed_arns_get_dynamodb_messages() {
        let message = |arn: &str| ResourceArn::parse(arn).unwrap_err().message;
        assert_eq!(
            message("not-a-valid-arn"),
            "One or more parameter values were invalid: ARNs must start with 'arn:': not-a-valid-arn"
        );
        assert_eq!(
            message("arn:aws:s3:::bucket/key"),
            "One or more parameter values were invalid: Provided Arn is not a DynamoDB resource arn: arn:aws:s3:::bucket/key"
        );
        assert_eq!(
            message("arn:aws:dynamodb:us-east-1:1:backup/x"),
            "One or more parameter values were invalid: Invalid resource arn provided, only table or stream is accepted. Provided resource arn: arn:aws:dynamodb:us-east-1:1:backup/x"
        );
        assert_eq!(
            message("arn:aws:dynamodb::1:table/x"),
            "Invalid TableArn: Invalid ResourceArn provided as input arn:aws:dynamodb::1:table/x"
        );
    }

    #[test]
    fn index_arns_cannot_be_tagged() {
        let arn = "arn:aws:dynamodb:us-east-1:1:table/t/index/i";
        assert!(ResourceArn::parse(arn).is_ok());
        assert!(ResourceArn::parse_taggable(arn).is_err());
    }
}

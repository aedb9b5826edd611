//! Amazon Resource Names of tables, indexes and streams: building them and reading the ones
//! the tagging operations receive.
//!
//! Form: `arn:<partition>:dynamodb:<region>:<account>:table/<name>`, with `/index/<index>` or
//! `/stream/<label>` after the name for an index or a stream. A stream's label is its creation
//! time ([`stream_label`]).

use std::fmt;

use crate::decode::is_name;
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
            return Err(ResourceArn::invalid_table_arn(arn));
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
    /// DynamoDB refuses it, and so is a table name no table can have (fewer than 3 or more than
    /// 255 characters, or characters outside `[a-zA-Z0-9_.-]`).
    pub fn parse_taggable(arn: &str) -> Result<ResourceArn, ApiError> {
        let parsed = ResourceArn::parse(arn)?;
        if let ResourceKind::Index(_) = parsed.kind {
            return Err(invalid(format!(
                "Invalid resource arn provided, only table or stream is accepted. Provided \
                 resource arn: {arn}"
            )));
        }
        if !is_name(&parsed.table) || !(3..=255).contains(&parsed.table.len()) {
            return Err(ResourceArn::invalid_table_arn(arn));
        }
        Ok(parsed)
    }

    /// ValidationException `Invalid TableArn: Invalid ResourceArn provided as input <arn>`: a
    /// tagging operation's ARN that cannot name a table of this endpoint (a table name no table
    /// can have, or another region).
    pub fn invalid_table_arn(arn: &str) -> ApiError {
        ApiError::validation(format!(
            "Invalid TableArn: Invalid ResourceArn provided as input {arn}"
        ))
    }
}

impl ResourceArn {
    /// Parses the ARN of a stream (`arn:aws:dynamodb:<region>:<account>:table/<name>/stream/
    /// <label>`), as the DynamoDB Streams operations receive it. Anything else is a
    /// ValidationException `Invalid StreamArn` (our wording: DynamoDB's is not documented).
    /// Whether the stream exists is the engine's to say ([`ApiError::stream_not_found`]).
    pub fn parse_stream(arn: &str) -> Result<ResourceArn, ApiError> {
        match ResourceArn::parse(arn) {
            Ok(parsed) if matches!(&parsed.kind, ResourceKind::Stream(label) if !label.is_empty()) => {
                Ok(parsed)
            }
            _ => Err(ApiError::validation("Invalid StreamArn")),
        }
    }

    /// The label of this stream ARN, if it names a stream.
    pub fn stream_label(&self) -> Option<&str> {
        match &self.kind {
            ResourceKind::Stream(label) => Some(label),
            _ => None,
        }
    }
}

/// The label of a stream created at `unix_millis` (milliseconds since the Unix epoch, UTC):
/// its creation time in ISO 8601 with milliseconds and no zone, as DynamoDB labels streams
/// (`2024-01-31T09:05:03.007`). Two streams of one table created in the same millisecond would
/// share a label; the engine keeps labels of one table distinct.
pub fn stream_label(unix_millis: u64) -> String {
    let millis = unix_millis % 1000;
    let seconds = unix_millis / 1000;
    let (hour, minute, second) = (seconds / 3600 % 24, seconds / 60 % 60, seconds % 60);
    let (year, month, day) = civil_date(seconds / 86_400);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{millis:03}")
}

/// The Gregorian (year, month, day) of a day counted from 1970-01-01, by Howard Hinnant's
/// `civil_from_days` (proleptic Gregorian calendar, eras of 400 years).
fn civil_date(days_since_epoch: u64) -> (u64, u64, u64) {
    let z = days_since_epoch + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153; // March = 0
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
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
    fn stream_arns() {
        let arn =
            "arn:aws:dynamodb:us-east-1:000000000000:table/Music/stream/2024-01-31T09:05:03.007";
        let parsed = ResourceArn::parse_stream(arn).unwrap();
        assert_eq!(parsed.table, "Music");
        assert_eq!(parsed.stream_label(), Some("2024-01-31T09:05:03.007"));
        assert_eq!(parsed.to_string(), arn);
        for bad in [
            "arn:aws:dynamodb:us-east-1:000000000000:table/Music",
            "arn:aws:dynamodb:us-east-1:000000000000:table/Music/index/byYear",
            "arn:aws:dynamodb:us-east-1:000000000000:table/Music/stream/",
            "sdfadfsdfnlfkajakfgjalksfgklasjklasdjfklasdfasdfgasf",
            "arn:aws:s3:::bucket/table/Music/stream/2024-01-31T09:05:03.007",
        ] {
            let error = ResourceArn::parse_stream(bad).unwrap_err();
            assert_eq!(error.message, "Invalid StreamArn", "{bad}");
        }
        assert_eq!(
            ResourceArn::table("us-east-1", "000000000000", "Music").stream_label(),
            None
        );
    }

    #[test]
    fn stream_labels_are_utc_iso_8601_with_milliseconds() {
        assert_eq!(stream_label(0), "1970-01-01T00:00:00.000");
        // 2024-02-29T23:59:59.999Z, a leap day.
        assert_eq!(stream_label(1_709_251_199_999), "2024-02-29T23:59:59.999");
        assert_eq!(stream_label(1_709_251_200_000), "2024-03-01T00:00:00.000");
        // 2000-12-31T12:00:00.007Z (end of a leap century year).
        assert_eq!(stream_label(978_264_000_007), "2000-12-31T12:00:00.007");
        assert_eq!(stream_label(1_706_691_903_007), "2024-01-31T09:05:03.007");
    }

    #[test]
    fn index_arns_cannot_be_tagged() {
        let arn = "arn:aws:dynamodb:us-east-1:1:table/t/index/i";
        assert!(ResourceArn::parse(arn).is_ok());
        assert!(ResourceArn::parse_taggable(arn).is_err());
    }

    #[test]
    fn tagging_arns_name_a_possible_table() {
        let long = "t".repeat(256);
        for table in ["ab", "bad name", "t@ble", long.as_str()] {
            let arn = format!("arn:aws:dynamodb:us-east-1:000000000000:table/{table}");
            assert_eq!(
                ResourceArn::parse_taggable(&arn).unwrap_err().message,
                format!("Invalid TableArn: Invalid ResourceArn provided as input {arn}")
            );
        }
        let ok = format!(
            "arn:aws:dynamodb:us-east-1:000000000000:table/{}",
            &long[..255]
        );
        assert!(ResourceArn::parse_taggable(&ok).is_ok());
        assert!(ResourceArn::parse_taggable("arn:aws:dynamodb:us-east-1:1:table/A_b.c-9").is_ok());
    }
}

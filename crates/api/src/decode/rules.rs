//! Constraints of the service model on one value, and their messages.

use super::{Ctx, Decode, Render};

/// How a constraint failure is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Report {
    /// `Value 'v' at 'path.in.camelCase' failed to satisfy constraint: ...`, collected with
    /// the request's other failures.
    Collected,
    /// As `Collected`, but reported alone and before the others: DynamoDB checks the table name
    /// first and stops there.
    Early,
    /// `Value at 'Path.In.WireNames' failed to satisfy constraint: ...` (no value): the form of
    /// DynamoDB's newer request validators (Query's `Limit`, BatchGetItem's `Keys`).
    WirePath,
}

/// The constraints the service model puts on one member. Checked in DynamoDB's order:
/// pattern, minimum length, maximum length, minimum value, maximum value.
#[derive(Debug)]
pub(crate) struct Rules {
    /// Must match `[a-zA-Z0-9_.-]+` (index names).
    pub name_pattern: bool,
    /// A table name: an empty one fails only `length greater than or equal to 1`; any other
    /// must match the name pattern and have 3 to 255 characters. Reported [`Report::Early`].
    pub table_name: bool,
    /// A table's ARN may stand in for its name: text starting with `arn:` of at most 1024
    /// characters skips the name checks (the ARN is read and checked against this endpoint's
    /// tables once decoded: `Request::resolve_table_arns`).
    pub arn_allowed: bool,
    /// Minimum length (UTF-16 units of a string; elements of a list or map).
    pub len_min: Option<usize>,
    /// Maximum length.
    pub len_max: Option<usize>,
    /// Minimum value of a number.
    pub min: Option<i64>,
    /// Maximum value of a number.
    pub max: Option<i64>,
    /// The constraints on each element of a list or each value of a map.
    pub member: Option<&'static Rules>,
    /// Constraints on map keys, reported once per failing key as
    /// `Map keys must satisfy constraint: [...]` against the whole map.
    pub keys: Option<&'static Rules>,
    /// Constraints on map values' lengths, reported once per failing value as
    /// `Map value must satisfy constraint: [...]` against the whole map.
    pub values: Option<&'static Rules>,
    /// When set, an absent or empty value is reported before anything else with this message
    /// (`The requestItems parameter is required for BatchGetItem`).
    pub required_message: Option<&'static str>,
    /// How failures are reported.
    pub report: Report,
}

impl Rules {
    /// No constraint.
    pub(crate) const NONE: Rules = Rules {
        name_pattern: false,
        table_name: false,
        arn_allowed: false,
        len_min: None,
        len_max: None,
        min: None,
        max: None,
        member: None,
        keys: None,
        values: None,
        required_message: None,
        report: Report::Collected,
    };

    /// Checks `value` against these rules, recording failures at the current path.
    pub(crate) fn check<T: Decode>(&self, value: &T, cx: &mut Ctx) {
        self.check_parts(cx, value, value.text(), value.length(), value.number());
    }

    /// Checks a value given by its parts (a collection with invalid elements counts them in
    /// `length` although it cannot hold them), recording failures at the current path.
    pub(crate) fn check_parts(
        &self,
        cx: &mut Ctx,
        value: &dyn Render,
        text: Option<&str>,
        length: Option<usize>,
        number: Option<i64>,
    ) {
        if let Some(message) = self.required_message
            && length == Some(0)
        {
            cx.precheck(message.to_owned());
        }
        for message in self.failures_of(text, length, number) {
            cx.violation(self.report, Some(value), &message);
        }
    }

    /// Reports this member as absent.
    pub(crate) fn absent(&self, cx: &mut Ctx, field: &'static str) {
        match self.required_message {
            Some(message) => cx.precheck(message.to_owned()),
            None => cx.null_violation(self.report, field),
        }
    }

    /// The constraint messages a value with these parts fails, in DynamoDB's order.
    pub(crate) fn failures_of(
        &self,
        text: Option<&str>,
        length: Option<usize>,
        number: Option<i64>,
    ) -> Vec<String> {
        let mut failures = Vec::new();
        if self.arn_allowed
            && let (Some(text), Some(length)) = (text, length)
            && text.starts_with("arn:")
            && length <= TABLE_ARN_CHARS_MAX
        {
            return failures;
        }
        if self.table_name {
            if let (Some(text), Some(length)) = (text, length) {
                if length == 0 {
                    failures.push("Member must have length greater than or equal to 1".to_owned());
                    return failures;
                }
                if !is_name(text) {
                    failures.push(PATTERN.to_owned());
                }
                if length < 3 {
                    failures.push("Member must have length greater than or equal to 3".to_owned());
                }
                if length > 255 {
                    failures.push("Member must have length less than or equal to 255".to_owned());
                }
            }
            return failures;
        }
        if self.name_pattern
            && let Some(text) = text
            && !is_name(text)
        {
            failures.push(PATTERN.to_owned());
        }
        if let Some(length) = length {
            if let Some(min) = self.len_min.filter(|&min| length < min) {
                failures.push(format!(
                    "Member must have length greater than or equal to {min}"
                ));
            }
            if let Some(max) = self.len_max.filter(|&max| length > max) {
                failures.push(format!(
                    "Member must have length less than or equal to {max}"
                ));
            }
        }
        if let Some(number) = number {
            if let Some(min) = self.min.filter(|&min| number < min) {
                failures.push(format!(
                    "Member must have value greater than or equal to {min}"
                ));
            }
            if let Some(max) = self.max.filter(|&max| number > max) {
                failures.push(format!(
                    "Member must have value less than or equal to {max}"
                ));
            }
        }
        failures
    }

    /// The constraints as DynamoDB lists them inside `Map keys must satisfy constraint: [...]`
    /// (maximum length, minimum length, pattern).
    pub(crate) fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(max) = self.len_max {
            parts.push(format!(
                "Member must have length less than or equal to {max}"
            ));
        }
        if let Some(min) = self.len_min {
            parts.push(format!(
                "Member must have length greater than or equal to {min}"
            ));
        }
        if self.name_pattern {
            parts.push(PATTERN.to_owned());
        }
        format!("[{}]", parts.join(", "))
    }
}

/// The longest table ARN a `TableName` may hold.
const TABLE_ARN_CHARS_MAX: usize = 1024;

const PATTERN: &str = "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+";

/// Whether `text` matches `[a-zA-Z0-9_.-]+`, the pattern of table and index names.
pub(crate) fn is_name(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'.' | b'-'))
}

/// Shorthands for the rule sets the service model uses.
pub(crate) mod presets {
    use super::{Report, Rules};

    /// `TableName` of DynamoDB's operations: a name (see [`Rules::table_name`]) or a table's
    /// ARN.
    pub(crate) const TABLE_NAME: Rules = Rules {
        arn_allowed: true,
        ..TABLE_NAME_ONLY
    };
    /// `TableName` where only a name will do (DynamoDB Streams' ListStreams).
    pub(crate) const TABLE_NAME_ONLY: Rules = Rules {
        table_name: true,
        report: Report::Early,
        ..Rules::NONE
    };
    /// Map keys naming tables (`RequestItems`): a name, pattern and 3 to 255, or a table's ARN.
    pub(crate) const TABLE_KEY: Rules = Rules {
        arn_allowed: true,
        ..INDEX_NAME
    };
    /// `IndexName` and map keys naming tables: pattern, 3 to 255.
    pub(crate) const INDEX_NAME: Rules = Rules {
        name_pattern: true,
        len_min: Some(3),
        len_max: Some(255),
        ..Rules::NONE
    };
    /// `ExclusiveStartTableName` of ListTables.
    pub(crate) const TABLE_NAME_PATTERN: Rules = INDEX_NAME;
    /// `KeySchema`: one or two elements.
    pub(crate) const KEY_SCHEMA: Rules = Rules {
        len_min: Some(1),
        len_max: Some(2),
        ..Rules::NONE
    };
    /// Key and attribute-definition attribute names: 1 to 255.
    pub(crate) const KEY_ATTRIBUTE_NAME: Rules = Rules {
        len_min: Some(1),
        len_max: Some(255),
        ..Rules::NONE
    };
    /// A tag's key: 1 to 128 characters.
    pub(crate) const TAG_KEY: Rules = Rules {
        len_min: Some(1),
        len_max: Some(128),
        ..Rules::NONE
    };
    /// A tag's value: at most 256 characters.
    pub(crate) const TAG_VALUE: Rules = Rules {
        len_max: Some(256),
        ..Rules::NONE
    };
    /// Capacity units: at least 1.
    pub(crate) const POSITIVE: Rules = Rules {
        min: Some(1),
        ..Rules::NONE
    };
    /// `AttributesToGet`: at least one name.
    pub(crate) const ATTRIBUTES_TO_GET: Rules = Rules {
        len_min: Some(1),
        ..Rules::NONE
    };
    /// `NonKeyAttributes`: 1 to 20 names.
    pub(crate) const NON_KEY_ATTRIBUTES: Rules = Rules {
        len_min: Some(1),
        len_max: Some(20),
        member: Some(&KEY_ATTRIBUTE_NAME),
        ..Rules::NONE
    };
    /// `Limit` of Scan: at least 1.
    pub(crate) const LIMIT: Rules = POSITIVE;
    /// `Limit` of Query: at least 1, reported in the newer validator's form.
    pub(crate) const QUERY_LIMIT: Rules = Rules {
        min: Some(1),
        report: Report::WirePath,
        ..Rules::NONE
    };
    /// A time-to-live attribute name: at most 255 characters (an empty one is refused by
    /// UpdateTimeToLive's rules, in DynamoDB's own words).
    pub(crate) const TTL_ATTRIBUTE_NAME: Rules = Rules {
        len_max: Some(255),
        ..Rules::NONE
    };
    /// A stream ARN: 37 to 1024 characters.
    pub(crate) const STREAM_ARN: Rules = Rules {
        len_min: Some(37),
        len_max: Some(1024),
        ..Rules::NONE
    };
    /// A shard id: 28 to 65 characters.
    pub(crate) const SHARD_ID: Rules = Rules {
        len_min: Some(28),
        len_max: Some(65),
        ..Rules::NONE
    };
    /// A sequence number: 21 to 40 characters (digits, checked by the operation's rules).
    pub(crate) const SEQUENCE_NUMBER: Rules = Rules {
        len_min: Some(21),
        len_max: Some(40),
        ..Rules::NONE
    };
    /// A shard iterator: 1 to 2048 characters.
    pub(crate) const SHARD_ITERATOR: Rules = Rules {
        len_min: Some(1),
        len_max: Some(2048),
        ..Rules::NONE
    };
    /// `Limit` of ListStreams and DescribeStream: 1 to 100.
    pub(crate) const STREAMS_LIMIT: Rules = Rules {
        min: Some(1),
        max: Some(100),
        ..Rules::NONE
    };
    /// An integer of at least 1 (`PositiveIntegerObject`).
    pub(crate) const POSITIVE_INTEGER: Rules = POSITIVE;
    /// `Limit` of ListTables: 1 to 100.
    pub(crate) const LIST_TABLES_LIMIT: Rules = Rules {
        min: Some(1),
        max: Some(100),
        ..Rules::NONE
    };
    /// `Segment` of Scan: 0 to 999999.
    pub(crate) const SEGMENT: Rules = Rules {
        min: Some(0),
        max: Some(999_999),
        ..Rules::NONE
    };
    /// `TotalSegments` of Scan: 1 to 1000000.
    pub(crate) const TOTAL_SEGMENTS: Rules = Rules {
        min: Some(1),
        max: Some(1_000_000),
        ..Rules::NONE
    };
    /// BatchGetItem `RequestItems`: at least one table, keys are table names.
    pub(crate) const BATCH_GET_ITEMS: Rules = Rules {
        keys: Some(&TABLE_KEY),
        required_message: Some("The requestItems parameter is required for BatchGetItem"),
        ..Rules::NONE
    };
    /// BatchGetItem `Keys`: 1 to 100, reported in the newer validator's form.
    pub(crate) const BATCH_GET_KEYS: Rules = Rules {
        len_min: Some(1),
        len_max: Some(100),
        report: Report::WirePath,
        ..Rules::NONE
    };
    /// BatchWriteItem `RequestItems`: at least one table, keys are table names, 1 to 25
    /// requests per table.
    pub(crate) const BATCH_WRITE_ITEMS: Rules = Rules {
        keys: Some(&TABLE_KEY),
        values: Some(&BATCH_WRITE_REQUESTS),
        required_message: Some("The requestItems parameter is required for BatchWriteItem"),
        ..Rules::NONE
    };
    /// BatchWriteItem requests of one table: 1 to 25.
    pub(crate) const BATCH_WRITE_REQUESTS: Rules = Rules {
        len_min: Some(1),
        len_max: Some(25),
        ..Rules::NONE
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_pattern() {
        assert!(is_name("abc"));
        assert!(is_name("a-b_c.9"));
        assert!(!is_name(""));
        assert!(!is_name("a;"));
        assert!(!is_name("tablé"));
    }

    #[test]
    fn describe_lists_max_min_pattern() {
        assert_eq!(
            presets::INDEX_NAME.describe(),
            "[Member must have length less than or equal to 255, Member must have length greater than or equal to 3, Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+]"
        );
        assert_eq!(
            presets::BATCH_WRITE_REQUESTS.describe(),
            "[Member must have length less than or equal to 25, Member must have length greater than or equal to 1]"
        );
    }
}

#[cfg(test)]
mod table_name_tests {
    use super::*;

    fn failures(name: &str) -> Vec<String> {
        presets::TABLE_NAME.failures_of(Some(name), Some(name.len()), None)
    }

    #[test]
    fn empty_table_name_fails_only_minimum_length_one() {
        assert_eq!(
            failures(""),
            ["Member must have length greater than or equal to 1"]
        );
    }

    #[test]
    fn short_and_invalid_table_names() {
        assert_eq!(
            failures("ab"),
            ["Member must have length greater than or equal to 3"]
        );
        assert_eq!(
            failures("a;"),
            [
                PATTERN,
                "Member must have length greater than or equal to 3"
            ]
        );
        assert_eq!(
            failures(&"a".repeat(256)),
            ["Member must have length less than or equal to 255"]
        );
        assert!(failures("abc").is_empty());
        assert!(failures(&"a".repeat(255)).is_empty());
    }
}

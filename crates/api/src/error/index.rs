//! Errors about secondary indexes: reading them, writing items that carry their keys, and
//! creating or deleting them with UpdateTable.

use ferrodyn_model::AttributeValue;
use ferrodyn_model::key::ScalarType;

use super::{ApiError, ErrorKind};
use crate::validate::INVALID;

/// Global secondary indexes a table may have.
const GLOBAL_SECONDARY_INDEXES_MAX: usize = crate::validate::table::GLOBAL_SECONDARY_INDEXES_MAX;
/// `NonKeyAttributes` of all of a table's indexes together.
const NON_KEY_ATTRIBUTES_TOTAL_MAX: usize = crate::validate::table::NON_KEY_ATTRIBUTES_TOTAL_MAX;

impl ApiError {
    /// ValidationException for a Query or Scan naming an index the table does not have.
    pub fn index_not_found(index_name: &str) -> Self {
        Self::validation(format!(
            "The table does not have the specified index: {index_name}"
        ))
    }

    /// ValidationException for `ConsistentRead` on a global secondary index.
    pub fn consistent_read_on_global_index() -> Self {
        Self::validation("Consistent reads are not supported on global secondary indexes")
    }

    /// ValidationException for `Select=ALL_ATTRIBUTES` on a global secondary index that does
    /// not project every attribute.
    pub fn all_attributes_on_global_index(index_name: &str) -> Self {
        Self::validation(format!(
            "{INVALID}Select type ALL_ATTRIBUTES is not supported for global secondary index \
             {index_name} because its projection type is not ALL"
        ))
    }

    /// ValidationException for a read of a global secondary index (projection expression,
    /// `AttributesToGet`, `Select=SPECIFIC_ATTRIBUTES`) naming attributes the index does not
    /// project. `attributes` are the top-level names missing from the projection, in the
    /// order the request names them. (A local index fetches such attributes from the table
    /// instead, at the cost of a read per item.)
    pub fn attributes_not_projected(index_name: &str, attributes: &[&str]) -> Self {
        Self::validation(format!(
            "{INVALID}Global secondary index {index_name} does not project [{}]",
            attributes.join(", ")
        ))
    }

    /// ValidationException for a Query or Scan of a global secondary index that is still
    /// being backfilled (`IndexStatus` `CREATING`).
    pub fn index_backfilling(index_name: &str) -> Self {
        Self::validation(format!(
            "Cannot read from backfilling global secondary index: {index_name}"
        ))
    }

    /// ValidationException for a write whose item has an index key attribute of another type
    /// than the index's key schema declares. Nothing is written.
    ///
    /// `One or more parameter values were invalid: Type mismatch for Index Key <attribute>
    /// Expected: <T> Actual: <T> IndexName: <index>`.
    pub fn index_key_type_mismatch(
        index_name: &str,
        attribute: &str,
        expected: ScalarType,
        actual: &AttributeValue,
    ) -> Self {
        Self::validation(format!(
            "{INVALID}Type mismatch for Index Key {attribute} Expected: {} Actual: {} \
             IndexName: {index_name}",
            expected.name(),
            actual.type_name()
        ))
    }

    /// ValidationException for a write whose item has an empty string or binary value in an
    /// index key attribute (non-key attributes may be empty; key attributes may not).
    pub fn index_key_empty(index_name: &str, attribute: &str, value: &AttributeValue) -> Self {
        let what = match value {
            AttributeValue::B(_) => "binary",
            _ => "string",
        };
        Self::validation(format!(
            "One or more parameter values are not valid. A value specified for a secondary \
             index key is not supported. The AttributeValue for a key attribute cannot contain \
             an empty {what} value. IndexName: {index_name}, IndexKey: {attribute}"
        ))
    }

    /// ValidationException for a write whose item has an index key attribute larger than an
    /// index key may be (2048 bytes for a partition key, 1024 for a sort key).
    pub fn index_key_too_large(
        index_name: &str,
        attribute: &str,
        size: usize,
        limit: usize,
    ) -> Self {
        Self::validation(format!(
            "{INVALID}Size limit exceeded for Index Key {attribute} Actual Size: {size} bytes Max \
             Size: {limit} bytes IndexName: {index_name}"
        ))
    }

    /// ItemCollectionSizeLimitExceededException: on a table with local secondary indexes, the
    /// items sharing the written item's partition key would exceed 10 GB. Nothing is written.
    pub fn item_collection_size_limit_exceeded() -> Self {
        Self::new(
            ErrorKind::ItemCollectionSizeLimitExceeded,
            "Collection size exceeded",
        )
    }

    /// ValidationException for UpdateTable creating an index whose name the table already
    /// uses (for a global or a local index).
    pub fn index_already_exists() -> Self {
        Self::validation("Attempting to create an index which already exists")
    }

    /// ResourceNotFoundException for UpdateTable updating or deleting a global secondary index
    /// the table does not have.
    pub fn global_index_not_found(table_name: &str, index_name: &str) -> Self {
        Self::new(
            ErrorKind::ResourceNotFound,
            format!("Requested resource not found: Index {index_name} for table {table_name}"),
        )
    }

    /// ValidationException for UpdateTable deleting a local secondary index (local indexes
    /// live and die with their table).
    pub fn cannot_delete_local_index(index_name: &str) -> Self {
        Self::validation(format!(
            "Cannot delete an index that is not a GlobalSecondaryIndex: {index_name}"
        ))
    }

    /// ValidationException for UpdateTable updating a local secondary index.
    pub fn cannot_update_local_index(index_name: &str) -> Self {
        Self::validation(format!(
            "Cannot update an index that is not a GlobalSecondaryIndex: {index_name}"
        ))
    }

    /// ValidationException for UpdateTable creating a global secondary index without
    /// `ProvisionedThroughput` on a table billed `PROVISIONED`.
    pub fn index_throughput_missing(index_name: &str) -> Self {
        Self::validation(format!(
            "{INVALID}ProvisionedThroughput must be specified for index: {index_name}"
        ))
    }

    /// ValidationException for UpdateTable giving `ProvisionedThroughput` to a new or updated
    /// global secondary index of a table billed `PAY_PER_REQUEST`.
    pub fn index_throughput_on_demand(index_name: &str) -> Self {
        Self::validation(format!(
            "{INVALID}Neither ReadCapacityUnits nor WriteCapacityUnits can be specified for \
             index: {index_name} when BillingMode is PAY_PER_REQUEST"
        ))
    }

    /// LimitExceededException for UpdateTable creating or deleting a global secondary index
    /// while another is still being created or deleted, or for more than one creation or
    /// deletion in one request (which `decode_request` refuses itself). Retrying after the
    /// other index is `ACTIVE` (or gone) succeeds.
    pub fn online_index_limit() -> Self {
        Self::new(
            ErrorKind::LimitExceeded,
            "Subscriber limit exceeded: Only 1 online index can be created or deleted \
             simultaneously per table",
        )
    }

    /// ValidationException for indexes whose `INCLUDE` projections name more than
    /// [`NON_KEY_ATTRIBUTES_TOTAL_MAX`] non-key attributes between them (an attribute projected
    /// into two indexes counts twice; `ALL` projections do not count).
    pub fn too_many_projected_attributes() -> Self {
        Self::validation(format!(
            "{INVALID}Number of projected attributes in all indexes exceeds limit of \
             {NON_KEY_ATTRIBUTES_TOTAL_MAX}"
        ))
    }

    /// LimitExceededException for UpdateTable creating a global secondary index on a table
    /// that has the maximum (20) already.
    pub fn global_index_limit() -> Self {
        Self::new(
            ErrorKind::LimitExceeded,
            format!(
                "{INVALID}GlobalSecondaryIndex count exceeds the per-table limit of \
                 {GLOBAL_SECONDARY_INDEXES_MAX}"
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrodyn_model::Number;

    #[test]
    fn read_errors() {
        assert_eq!(
            ApiError::attributes_not_projected("byDate", &["title", "year"]).message,
            "One or more parameter values were invalid: Global secondary index byDate does not \
             project [title, year]"
        );
        assert_eq!(
            ApiError::index_backfilling("byDate").message,
            "Cannot read from backfilling global secondary index: byDate"
        );
        assert_eq!(
            ApiError::all_attributes_on_global_index("g").message,
            "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not \
             supported for global secondary index g because its projection type is not ALL"
        );
        for error in [
            ApiError::attributes_not_projected("g", &["a"]),
            ApiError::index_backfilling("g"),
            ApiError::consistent_read_on_global_index(),
        ] {
            assert_eq!(error.kind, ErrorKind::Validation);
        }
    }

    #[test]
    fn write_errors() {
        let number = AttributeValue::N("1".parse::<Number>().unwrap());
        assert_eq!(
            ApiError::index_key_type_mismatch("byYear", "year", ScalarType::S, &number).message,
            "One or more parameter values were invalid: Type mismatch for Index Key year \
             Expected: S Actual: N IndexName: byYear"
        );
        let set = AttributeValue::Ss(vec!["a".into()]);
        assert!(
            ApiError::index_key_type_mismatch("i", "k", ScalarType::B, &set)
                .message
                .contains("Expected: B Actual: SS IndexName: i")
        );
        assert_eq!(
            ApiError::index_key_empty("byTitle", "title", &AttributeValue::S(String::new()))
                .message,
            "One or more parameter values are not valid. A value specified for a secondary \
             index key is not supported. The AttributeValue for a key attribute cannot contain \
             an empty string value. IndexName: byTitle, IndexKey: title"
        );
        assert!(
            ApiError::index_key_empty("i", "k", &AttributeValue::B(Vec::new()))
                .message
                .contains("empty binary value. IndexName: i, IndexKey: k")
        );
        assert_eq!(
            ApiError::index_key_too_large("work-sets-index", "componentId", 2175, 2048).message,
            "One or more parameter values were invalid: Size limit exceeded for Index Key \
             componentId Actual Size: 2175 bytes Max Size: 2048 bytes IndexName: work-sets-index"
        );
        let collection = ApiError::item_collection_size_limit_exceeded();
        assert_eq!(collection.kind, ErrorKind::ItemCollectionSizeLimitExceeded);
        assert_eq!(collection.message, "Collection size exceeded");
    }

    #[test]
    fn update_table_errors() {
        assert_eq!(
            ApiError::index_already_exists().message,
            "Attempting to create an index which already exists"
        );
        let missing = ApiError::global_index_not_found("Music", "byYear");
        assert_eq!(missing.kind, ErrorKind::ResourceNotFound);
        assert_eq!(
            missing.message,
            "Requested resource not found: Index byYear for table Music"
        );
        assert_eq!(
            ApiError::cannot_delete_local_index("l").message,
            "Cannot delete an index that is not a GlobalSecondaryIndex: l"
        );
        assert_eq!(
            ApiError::cannot_update_local_index("l").message,
            "Cannot update an index that is not a GlobalSecondaryIndex: l"
        );
        let online = ApiError::online_index_limit();
        assert_eq!(online.kind, ErrorKind::LimitExceeded);
        assert_eq!(
            online.message,
            "Subscriber limit exceeded: Only 1 online index can be created or deleted \
             simultaneously per table"
        );
        assert_eq!(
            ApiError::index_throughput_missing("g").message,
            "One or more parameter values were invalid: ProvisionedThroughput must be specified \
             for index: g"
        );
        assert_eq!(
            ApiError::index_throughput_on_demand("g").message,
            "One or more parameter values were invalid: Neither ReadCapacityUnits nor \
             WriteCapacityUnits can be specified for index: g when BillingMode is PAY_PER_REQUEST"
        );
        let count = ApiError::global_index_limit();
        assert_eq!(count.kind, ErrorKind::LimitExceeded);
        assert!(count.message.ends_with("per-table limit of 20"));
    }
}

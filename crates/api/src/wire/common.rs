//! Enums and structures shared by several operations: key schemas, attribute definitions,
//! projections, throughput, streams, encryption, tags and the request options.

use crate::decode::presets;
use crate::decode::shape::{wire_enum, wire_struct};

wire_enum! {
    /// The type of a key attribute.
    pub enum ScalarAttributeType ["[B, N, S]"] {
        /// String.
        S = "S",
        /// Number.
        N = "N",
        /// Binary.
        B = "B",
    }
}

impl ScalarAttributeType {
    /// The model's key type.
    pub fn to_model(self) -> ferrodyn_model::key::ScalarType {
        match self {
            ScalarAttributeType::S => ferrodyn_model::key::ScalarType::S,
            ScalarAttributeType::N => ferrodyn_model::key::ScalarType::N,
            ScalarAttributeType::B => ferrodyn_model::key::ScalarType::B,
        }
    }
}

wire_enum! {
    /// The role of a key attribute.
    pub enum KeyType ["[HASH, RANGE]"] {
        /// The partition key.
        Hash = "HASH",
        /// The sort key.
        Range = "RANGE",
    }
}

wire_enum! {
    /// Which attributes an index projects.
    pub enum ProjectionType ["[ALL, INCLUDE, KEYS_ONLY]"] {
        /// Every attribute.
        All = "ALL",
        /// The table and index keys only.
        KeysOnly = "KEYS_ONLY",
        /// The keys and `NonKeyAttributes`.
        Include = "INCLUDE",
    }
}

wire_enum! {
    /// How a table's throughput is billed.
    pub enum BillingMode ["[PROVISIONED, PAY_PER_REQUEST]"] {
        /// Provisioned read and write capacity.
        Provisioned = "PROVISIONED",
        /// On-demand.
        PayPerRequest = "PAY_PER_REQUEST",
    }
}

wire_enum! {
    /// What a stream record holds.
    pub enum StreamViewType ["[NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES, KEYS_ONLY]"] {
        /// The item after the change.
        NewImage = "NEW_IMAGE",
        /// The item before the change.
        OldImage = "OLD_IMAGE",
        /// Both.
        NewAndOldImages = "NEW_AND_OLD_IMAGES",
        /// The key only.
        KeysOnly = "KEYS_ONLY",
    }
}

wire_enum! {
    /// Server-side encryption type.
    pub enum SseType ["[AES256, KMS]"] {
        /// AES-256 (not accepted by DynamoDB any more).
        Aes256 = "AES256",
        /// AWS KMS.
        Kms = "KMS",
    }
}

wire_enum! {
    /// Which attributes a write returns.
    pub enum ReturnValue ["[ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]"] {
        /// Nothing.
        None = "NONE",
        /// The whole item before the write.
        AllOld = "ALL_OLD",
        /// The updated attributes before the write.
        UpdatedOld = "UPDATED_OLD",
        /// The whole item after the write.
        AllNew = "ALL_NEW",
        /// The updated attributes after the write.
        UpdatedNew = "UPDATED_NEW",
    }
}

wire_enum! {
    /// Whether a response reports consumed capacity, and how finely.
    pub enum ReturnConsumedCapacity ["[INDEXES, TOTAL, NONE]"] {
        /// Totals and per table and index.
        Indexes = "INDEXES",
        /// Totals only.
        Total = "TOTAL",
        /// Nothing.
        None = "NONE",
    }
}

wire_enum! {
    /// Whether a write reports item collection sizes.
    pub enum ReturnItemCollectionMetrics ["[SIZE, NONE]"] {
        /// Report them.
        Size = "SIZE",
        /// Nothing.
        None = "NONE",
    }
}

wire_enum! {
    /// Whether a failed condition returns the item.
    pub enum ReturnValuesOnConditionCheckFailure ["[ALL_OLD, NONE]"] {
        /// Return the item as it is.
        AllOld = "ALL_OLD",
        /// Nothing.
        None = "NONE",
    }
}

wire_enum! {
    /// What Query and Scan return.
    pub enum Select ["[SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]"] {
        /// Every attribute of the items.
        AllAttributes = "ALL_ATTRIBUTES",
        /// The attributes projected into the index.
        AllProjectedAttributes = "ALL_PROJECTED_ATTRIBUTES",
        /// The attributes named by `ProjectionExpression` or `AttributesToGet`.
        SpecificAttributes = "SPECIFIC_ATTRIBUTES",
        /// Only the number of matching items.
        Count = "COUNT",
    }
}

wire_enum! {
    /// A comparison of the legacy condition parameters.
    pub enum ComparisonOperator ["[IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]"] {
        /// Equal.
        Eq = "EQ",
        /// Not equal.
        Ne = "NE",
        /// One of a list.
        In = "IN",
        /// Less than or equal.
        Le = "LE",
        /// Less than.
        Lt = "LT",
        /// Greater than or equal.
        Ge = "GE",
        /// Greater than.
        Gt = "GT",
        /// Within a closed range.
        Between = "BETWEEN",
        /// The attribute exists.
        NotNull = "NOT_NULL",
        /// The attribute does not exist.
        Null = "NULL",
        /// Substring or set member.
        Contains = "CONTAINS",
        /// Neither substring nor set member.
        NotContains = "NOT_CONTAINS",
        /// Prefix.
        BeginsWith = "BEGINS_WITH",
    }
}

wire_enum! {
    /// How several legacy conditions combine.
    pub enum ConditionalOperator ["[OR, AND]"] {
        /// All must hold.
        And = "AND",
        /// One must hold.
        Or = "OR",
    }
}

wire_enum! {
    /// What a legacy `AttributeUpdates` entry does.
    pub enum AttributeAction ["[ADD, PUT, DELETE]"] {
        /// Add to a number or set.
        Add = "ADD",
        /// Replace the value.
        Put = "PUT",
        /// Remove the attribute, or members of a set.
        Delete = "DELETE",
    }
}

wire_enum! {
    /// A table's storage class.
    pub enum TableClass ["[STANDARD, STANDARD_INFREQUENT_ACCESS]"] {
        /// Standard.
        Standard = "STANDARD",
        /// Standard-Infrequent Access.
        StandardInfrequentAccess = "STANDARD_INFREQUENT_ACCESS",
    }
}

wire_struct! {
    /// One element of a key schema.
    pub struct KeySchemaElement {
        /// The key attribute's name.
        "AttributeName" attribute_name: required String = presets::KEY_ATTRIBUTE_NAME,
        /// Partition (`HASH`) or sort (`RANGE`) key.
        "KeyType" key_type: required KeyType,
    }
}

wire_struct! {
    /// The type of a key attribute.
    pub struct AttributeDefinition {
        /// The attribute's name.
        "AttributeName" attribute_name: required String = presets::KEY_ATTRIBUTE_NAME,
        /// `S`, `N` or `B`.
        "AttributeType" attribute_type: required ScalarAttributeType,
    }
}

wire_struct! {
    /// Which attributes an index holds.
    pub struct Projection {
        /// `ALL`, `KEYS_ONLY` or `INCLUDE`.
        "ProjectionType" projection_type: optional ProjectionType,
        /// The attributes besides the keys, for `INCLUDE`.
        "NonKeyAttributes" non_key_attributes: optional Vec<String> = presets::NON_KEY_ATTRIBUTES,
    }
}

wire_struct! {
    /// Provisioned read and write capacity.
    pub struct ProvisionedThroughput {
        /// Read capacity units per second, at least 1.
        "ReadCapacityUnits" read_capacity_units: required i64 = presets::POSITIVE,
        /// Write capacity units per second, at least 1.
        "WriteCapacityUnits" write_capacity_units: required i64 = presets::POSITIVE,
    }
}

wire_struct! {
    /// The ceiling of an on-demand table's or index's throughput (-1: none).
    pub struct OnDemandThroughput {
        /// Maximum read request units per second.
        "MaxReadRequestUnits" max_read_request_units: optional i64,
        /// Maximum write request units per second.
        "MaxWriteRequestUnits" max_write_request_units: optional i64,
    }
}

wire_struct! {
    /// Throughput a table or index is prepared to serve at once.
    pub struct WarmThroughput {
        /// Read units per second.
        "ReadUnitsPerSecond" read_units_per_second: optional i64,
        /// Write units per second.
        "WriteUnitsPerSecond" write_units_per_second: optional i64,
    }
}

wire_struct! {
    /// Whether a table has a stream, and what its records hold.
    pub struct StreamSpecification {
        /// Whether the stream is on.
        "StreamEnabled" stream_enabled: required bool,
        /// What each record holds; required when enabling.
        "StreamViewType" stream_view_type: optional StreamViewType,
    }
}

wire_struct! {
    /// Server-side encryption settings.
    pub struct SseSpecification {
        /// Whether a KMS key (rather than one owned by DynamoDB) encrypts the table.
        "Enabled" enabled: optional bool,
        /// `KMS`.
        "SSEType" sse_type: optional SseType,
        /// The KMS key.
        "KMSMasterKeyId" kms_master_key_id: optional String,
    }
}

wire_struct! {
    /// A tag of a resource.
    pub struct Tag {
        /// The key, 1 to 128 characters.
        "Key" key: required String = presets::TAG_KEY,
        /// The value, up to 256 characters.
        "Value" value: required String = presets::TAG_VALUE,
    }
}

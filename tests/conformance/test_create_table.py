"""CreateTable: every validation of key schema, attribute definitions, billing, throughput, tags,
indexes and streams, each with DynamoDB's error type (and message where DynamoDB's wording is
known), plus the description a successful CreateTable returns.

Source: the CreateTable API reference (errors ValidationException, ResourceInUseException,
LimitExceededException) and the constraints listed on each of its request members.
"""

import pytest

from support import client_error, validation_error, wait_for_status

HASH_ONLY = dict(
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
)
COMPOSITE = dict(
    KeySchema=[
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ],
    AttributeDefinitions=[
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "N"},
    ],
)
ON_DEMAND = dict(BillingMode="PAY_PER_REQUEST")
PROVISIONED = dict(ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})


def create(ddb, name, **params):
    return ddb.create_table(TableName=name, **params)


def test_create_returns_description(ddb, table_names):
    name = table_names()
    desc = create(ddb, name, **COMPOSITE, **ON_DEMAND)["TableDescription"]
    assert desc["TableName"] == name
    assert desc["TableStatus"] in ("CREATING", "ACTIVE")
    assert desc["KeySchema"] == COMPOSITE["KeySchema"]
    assert sorted(desc["AttributeDefinitions"], key=lambda d: d["AttributeName"]) == sorted(
        COMPOSITE["AttributeDefinitions"], key=lambda d: d["AttributeName"]
    )
    assert desc["TableArn"] == f"arn:aws:dynamodb:us-east-1:{desc['TableArn'].split(':')[4]}:table/{name}"
    assert desc["ItemCount"] == 0
    assert desc["TableSizeBytes"] == 0
    assert desc["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert "CreationDateTime" in desc


def test_create_provisioned_reports_throughput(ddb, table_names):
    name = table_names()
    create(ddb, name, **HASH_ONLY, ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 7})
    desc = wait_for_status(ddb, name)
    throughput = desc["ProvisionedThroughput"]
    assert throughput["ReadCapacityUnits"] == 3
    assert throughput["WriteCapacityUnits"] == 7
    assert throughput["NumberOfDecreasesToday"] == 0
    # Without BillingMode a table is PROVISIONED; DynamoDB may omit the summary in that case.
    assert desc.get("BillingModeSummary", {"BillingMode": "PROVISIONED"})["BillingMode"] == "PROVISIONED"


def test_create_existing_table_is_resource_in_use(ddb, new_table):
    # DynamoDB's message names the table; dynalite sends an empty message.
    name = new_table()
    with client_error("ResourceInUseException", match=f"Table already exists: {name}"):
        create(ddb, name, **HASH_ONLY, **ON_DEMAND)


@pytest.mark.parametrize("name", ["ab", "x" * 256, "bad name", "tab/le", "t@ble"])
def test_invalid_table_names(ddb, name):
    with validation_error(match="(?i)tablename"):
        create(ddb, name, **HASH_ONLY, **ON_DEMAND)


def test_name_of_255_characters_and_every_allowed_character(ddb, table_names):
    long_name = table_names() + "x" * 200
    long_name = long_name[:255]
    create(ddb, long_name, **HASH_ONLY, **ON_DEMAND)
    try:
        assert wait_for_status(ddb, long_name)["TableName"] == long_name
    finally:
        ddb.delete_table(TableName=long_name)
    odd = table_names("A_b.c-9")
    create(ddb, odd, **HASH_ONLY, **ON_DEMAND)
    assert wait_for_status(ddb, odd)["TableName"] == odd


def test_missing_table_name(ddb):
    with validation_error(match="(?i)tablename"):
        ddb.create_table(**HASH_ONLY, **ON_DEMAND)


def test_missing_key_schema(ddb, table_names):
    with validation_error(match="(?i)keySchema"):
        create(ddb, table_names(), AttributeDefinitions=HASH_ONLY["AttributeDefinitions"], **ON_DEMAND)


def test_missing_attribute_definitions(ddb, table_names):
    with validation_error(match="(?i)attributeDefinitions"):
        create(ddb, table_names(), KeySchema=HASH_ONLY["KeySchema"], **ON_DEMAND)


def test_empty_key_schema(ddb, table_names):
    with validation_error(match="keySchema.*length greater than or equal to 1"):
        create(ddb, table_names(), KeySchema=[], AttributeDefinitions=[], **ON_DEMAND)


def test_three_key_schema_elements(ddb, table_names):
    with validation_error(match="keySchema.*length less than or equal to 2"):
        create(
            ddb,
            table_names(),
            KeySchema=[
                {"AttributeName": "a", "KeyType": "HASH"},
                {"AttributeName": "b", "KeyType": "RANGE"},
                {"AttributeName": "c", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("a", "b", "c")],
            **ON_DEMAND,
        )


def test_invalid_key_type(ddb, table_names):
    with validation_error(
        match=r"Value 'PRIMARY' at 'keySchema.1.member.keyType' failed to satisfy constraint: "
        r"Member must satisfy enum value set: \[HASH, RANGE\]"
    ):
        create(
            ddb,
            table_names(),
            KeySchema=[{"AttributeName": "pk", "KeyType": "PRIMARY"}],
            AttributeDefinitions=HASH_ONLY["AttributeDefinitions"],
            **ON_DEMAND,
        )


def test_invalid_attribute_type(ddb, table_names):
    with validation_error(
        match=r"Value 'BOOL' at 'attributeDefinitions.1.member.attributeType' failed to satisfy "
        r"constraint: Member must satisfy enum value set: \[B, N, S\]"
    ):
        create(
            ddb,
            table_names(),
            KeySchema=HASH_ONLY["KeySchema"],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "BOOL"}],
            **ON_DEMAND,
        )


def test_key_attribute_not_defined(ddb, table_names):
    with validation_error(
        "One or more parameter values were invalid: Some index key attributes are not defined in "
        "AttributeDefinitions. Keys: [pk], AttributeDefinitions: [other]"
    ):
        create(
            ddb,
            table_names(),
            KeySchema=HASH_ONLY["KeySchema"],
            AttributeDefinitions=[{"AttributeName": "other", "AttributeType": "S"}],
            **ON_DEMAND,
        )


def test_unused_attribute_definition(ddb, table_names):
    with validation_error(
        "One or more parameter values were invalid: Number of attributes in KeySchema does not "
        "exactly match number of attributes defined in AttributeDefinitions"
    ):
        create(
            ddb,
            table_names(),
            KeySchema=HASH_ONLY["KeySchema"],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "extra", "AttributeType": "S"},
            ],
            **ON_DEMAND,
        )


def test_duplicate_attribute_definition(ddb, table_names):
    # DynamoDB names the duplicated attribute; dynalite reports a count mismatch instead.
    with validation_error(match="(?i)duplicate.*pk"):
        create(
            ddb,
            table_names(),
            KeySchema=HASH_ONLY["KeySchema"],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "pk", "AttributeType": "N"},
            ],
            **ON_DEMAND,
        )


def test_hash_and_range_with_same_name(ddb, table_names):
    with validation_error("Both the Hash Key and the Range Key element in the KeySchema have the same name"):
        create(
            ddb,
            table_names(),
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "pk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            **ON_DEMAND,
        )


def test_first_key_must_be_hash(ddb, table_names):
    with validation_error("Invalid KeySchema: The first KeySchemaElement is not a HASH key type"):
        create(
            ddb,
            table_names(),
            KeySchema=[
                {"AttributeName": "sk", "KeyType": "RANGE"},
                {"AttributeName": "pk", "KeyType": "HASH"},
            ],
            AttributeDefinitions=COMPOSITE["AttributeDefinitions"],
            **ON_DEMAND,
        )


def test_range_only_schema(ddb, table_names):
    with validation_error("Invalid KeySchema: The first KeySchemaElement is not a HASH key type"):
        create(
            ddb,
            table_names(),
            KeySchema=[{"AttributeName": "pk", "KeyType": "RANGE"}],
            AttributeDefinitions=HASH_ONLY["AttributeDefinitions"],
            **ON_DEMAND,
        )


def test_second_key_must_be_range(ddb, table_names):
    with validation_error("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type"):
        create(
            ddb,
            table_names(),
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "HASH"},
            ],
            AttributeDefinitions=COMPOSITE["AttributeDefinitions"],
            **ON_DEMAND,
        )


def test_invalid_billing_mode(ddb, table_names):
    with validation_error(match=r"Member must satisfy enum value set: \[PROVISIONED, PAY_PER_REQUEST\]"):
        create(ddb, table_names(), **HASH_ONLY, BillingMode="pay_per_request")


def test_on_demand_rejects_throughput(ddb, table_names):
    with validation_error(
        "One or more parameter values were invalid: Neither ReadCapacityUnits nor "
        "WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"
    ):
        create(ddb, table_names(), **HASH_ONLY, **ON_DEMAND, **PROVISIONED)


def test_provisioned_requires_throughput(ddb, table_names):
    with validation_error(
        "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits "
        "must both be specified when BillingMode is PROVISIONED"
    ):
        create(ddb, table_names(), **HASH_ONLY, BillingMode="PROVISIONED")


def test_default_billing_mode_requires_throughput(ddb, table_names):
    # BillingMode defaults to PROVISIONED, so leaving out both is an error.
    with validation_error(match="(?i)(throughput|capacityunits)"):
        create(ddb, table_names(), **HASH_ONLY)


@pytest.mark.parametrize("field", ["readCapacityUnits", "writeCapacityUnits"])
def test_zero_capacity_units(ddb, table_names, field):
    throughput = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    throughput[field[0].upper() + field[1:]] = 0
    with validation_error(
        match=f"Value '0' at 'provisionedThroughput.{field}' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1"
    ):
        create(ddb, table_names(), **HASH_ONLY, ProvisionedThroughput=throughput)


def test_tags_are_stored(ddb, table_names):
    name = table_names()
    arn = create(
        ddb,
        name,
        **HASH_ONLY,
        **ON_DEMAND,
        Tags=[{"Key": "team", "Value": "storage"}, {"Key": "env", "Value": ""}],
    )["TableDescription"]["TableArn"]
    wait_for_status(ddb, name)
    tags = ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]
    assert sorted(tags, key=lambda t: t["Key"]) == [
        {"Key": "env", "Value": ""},
        {"Key": "team", "Value": "storage"},
    ]


def test_tag_with_empty_key_rejected(ddb, table_names):
    with validation_error(match="(?i)tags.*key"):
        create(ddb, table_names(), **HASH_ONLY, **ON_DEMAND, Tags=[{"Key": "", "Value": "v"}])


def test_tag_key_too_long_rejected(ddb, table_names):
    with validation_error(match="(?i)tags.*key.*128"):
        create(ddb, table_names(), **HASH_ONLY, **ON_DEMAND, Tags=[{"Key": "k" * 129, "Value": "v"}])


# ---- secondary indexes: validated at creation --------------------------------------------------

INDEXED_DEFS = [
    {"AttributeName": "pk", "AttributeType": "S"},
    {"AttributeName": "sk", "AttributeType": "N"},
    {"AttributeName": "alt", "AttributeType": "S"},
]


def gsi(name="by_alt", keys=(("alt", "HASH"),), projection=None, **extra):
    return dict(
        IndexName=name,
        KeySchema=[{"AttributeName": a, "KeyType": t} for a, t in keys],
        Projection=projection or {"ProjectionType": "ALL"},
        **extra,
    )


def lsi(name="by_alt_local", keys=(("pk", "HASH"), ("alt", "RANGE")), projection=None):
    return dict(
        IndexName=name,
        KeySchema=[{"AttributeName": a, "KeyType": t} for a, t in keys],
        Projection=projection or {"ProjectionType": "KEYS_ONLY"},
    )


def test_valid_indexes_are_described(ddb, table_names):
    name = table_names()
    create(
        ddb,
        name,
        KeySchema=COMPOSITE["KeySchema"],
        AttributeDefinitions=INDEXED_DEFS,
        GlobalSecondaryIndexes=[gsi()],
        LocalSecondaryIndexes=[lsi()],
        **ON_DEMAND,
    )
    desc = wait_for_status(ddb, name)
    [g] = desc["GlobalSecondaryIndexes"]
    assert g["IndexName"] == "by_alt"
    assert g["KeySchema"] == [{"AttributeName": "alt", "KeyType": "HASH"}]
    assert g["Projection"] == {"ProjectionType": "ALL"}
    assert g["IndexArn"] == desc["TableArn"] + "/index/by_alt"
    [l] = desc["LocalSecondaryIndexes"]
    assert l["IndexName"] == "by_alt_local"
    assert l["Projection"] == {"ProjectionType": "KEYS_ONLY"}


def test_index_key_not_defined(ddb, table_names):
    with validation_error(
        match=r"Some index key attributes are not defined in AttributeDefinitions\. "
        r"Keys: \[missing\], AttributeDefinitions: \[pk, sk\]"
    ):
        create(
            ddb,
            table_names(),
            **COMPOSITE,
            GlobalSecondaryIndexes=[gsi(keys=(("missing", "HASH"),))],
            **ON_DEMAND,
        )


def test_lsi_requires_table_range_key(ddb, table_names):
    with validation_error(
        "One or more parameter values were invalid: Table KeySchema does not have a range key, "
        "which is required when specifying a LocalSecondaryIndex"
    ):
        create(
            ddb,
            table_names(),
            KeySchema=HASH_ONLY["KeySchema"],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "alt", "AttributeType": "S"},
            ],
            LocalSecondaryIndexes=[lsi()],
            **ON_DEMAND,
        )


def test_lsi_must_share_table_hash_key(ddb, table_names):
    with validation_error(
        match="Index KeySchema does not have the same leading hash key as table KeySchema for index: by_alt_local"
    ):
        create(
            ddb,
            table_names(),
            KeySchema=COMPOSITE["KeySchema"],
            AttributeDefinitions=INDEXED_DEFS,
            LocalSecondaryIndexes=[lsi(keys=(("alt", "HASH"), ("sk", "RANGE")))],
            **ON_DEMAND,
        )


def test_duplicate_index_names(ddb, table_names):
    with validation_error(match="Duplicate index name: by_alt"):
        create(
            ddb,
            table_names(),
            KeySchema=COMPOSITE["KeySchema"],
            AttributeDefinitions=INDEXED_DEFS,
            GlobalSecondaryIndexes=[gsi(), gsi(keys=(("alt", "HASH"), ("sk", "RANGE")))],
            **ON_DEMAND,
        )


def test_non_key_attributes_only_with_include(ddb, table_names):
    with validation_error(match="ProjectionType is KEYS_ONLY, but NonKeyAttributes is specified"):
        create(
            ddb,
            table_names(),
            KeySchema=COMPOSITE["KeySchema"],
            AttributeDefinitions=INDEXED_DEFS,
            GlobalSecondaryIndexes=[
                gsi(projection={"ProjectionType": "KEYS_ONLY", "NonKeyAttributes": ["x"]})
            ],
            **ON_DEMAND,
        )


def test_index_name_too_short(ddb, table_names):
    with validation_error(match="(?i)indexName.*length greater than or equal to 3"):
        create(
            ddb,
            table_names(),
            KeySchema=COMPOSITE["KeySchema"],
            AttributeDefinitions=INDEXED_DEFS,
            GlobalSecondaryIndexes=[gsi(name="ix")],
            **ON_DEMAND,
        )


def test_provisioned_gsi_requires_throughput(ddb, table_names):
    with validation_error(match="(?i)ProvisionedThroughput.*by_alt|by_alt.*ProvisionedThroughput"):
        create(
            ddb,
            table_names(),
            KeySchema=COMPOSITE["KeySchema"],
            AttributeDefinitions=INDEXED_DEFS,
            GlobalSecondaryIndexes=[gsi()],
            **PROVISIONED,
        )


def test_empty_gsi_list(ddb, table_names):
    with validation_error(match="List of GlobalSecondaryIndexes is empty"):
        create(ddb, table_names(), **HASH_ONLY, GlobalSecondaryIndexes=[], **ON_DEMAND)


# ---- streams ----------------------------------------------------------------------------------


def test_stream_enabled_without_view_type(ddb, table_names):
    with validation_error(match="(Stream|Update)ViewType"):
        create(ddb, table_names(), **HASH_ONLY, **ON_DEMAND, StreamSpecification={"StreamEnabled": True})


def test_stream_invalid_view_type(ddb, table_names):
    with validation_error(
        match=r"Member must satisfy enum value set: \[(NEW_IMAGE|OLD_IMAGE|NEW_AND_OLD_IMAGES|KEYS_ONLY)"
    ):
        create(
            ddb,
            table_names(),
            **HASH_ONLY,
            **ON_DEMAND,
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "EVERYTHING"},
        )


def test_stream_disabled_is_accepted(ddb, table_names):
    name = table_names()
    create(ddb, name, **HASH_ONLY, **ON_DEMAND, StreamSpecification={"StreamEnabled": False})
    desc = wait_for_status(ddb, name)
    assert "LatestStreamArn" not in desc


def test_stream_enabled_is_described(ddb, table_names):
    name = table_names()
    create(
        ddb,
        name,
        **HASH_ONLY,
        **ON_DEMAND,
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    desc = wait_for_status(ddb, name)
    assert desc["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert desc["LatestStreamArn"].startswith(desc["TableArn"] + "/stream/")
    assert desc["LatestStreamLabel"] in desc["LatestStreamArn"]

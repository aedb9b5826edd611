"""Edge cases across operations where DynamoDB's behaviour is easy to get wrong: empty names
and key values, comparisons of missing attributes and of values without an order, functions in
the wrong kind of expression, legacy condition operators, deep paths, list appends, updates of
items that do not exist, parallel scan starting keys, index key sizes, the DeleteTable
description and limits spanning a table's indexes.

Sources: "Supported data types and naming rules", "Expression attribute names", "Condition and
filter expressions", "Update expressions", "Parallel scan" and "Service quotas" in the
developer guide; the Condition, UpdateItem, Query, Scan, CreateTable, DeleteTable and
Projection API references.
"""

import pytest

from support import N, S, client_error, create_table, full_scan, keys, unique_key, validation_error


def definitions(*pairs):
    return [{"AttributeName": name, "AttributeType": kind} for name, kind in pairs]


# ---- attribute names ----------------------------------------------------------------------------


def test_empty_attribute_name_in_placeholder(ddb, hash_table):
    key = {"pk": S(unique_key())}
    ddb.put_item(TableName=hash_table, Item={**key, "a": S("x")})
    with validation_error("ExpressionAttributeNames contains invalid value: Empty attribute name for key #e"):
        ddb.get_item(
            TableName=hash_table,
            Key=key,
            ProjectionExpression="#a, #e",
            ExpressionAttributeNames={"#a": "a", "#e": ""},
        )
    with validation_error("ExpressionAttributeNames contains invalid value: Empty attribute name for key #e"):
        ddb.update_item(
            TableName=hash_table,
            Key=key,
            UpdateExpression="SET #e = :v",
            ExpressionAttributeNames={"#e": ""},
            ExpressionAttributeValues={":v": S("v")},
        )
    assert ddb.get_item(TableName=hash_table, Key=key, ConsistentRead=True)["Item"] == {**key, "a": S("x")}


def test_empty_attribute_names_are_refused(ddb, hash_table):
    # "Attribute names must be at least one character long."
    key = {"pk": S(unique_key())}
    with validation_error(match="Empty attribute name"):
        ddb.put_item(TableName=hash_table, Item={**key, "": S("x")})
    with validation_error(match="Empty attribute name"):
        ddb.batch_write_item(RequestItems={hash_table: [{"PutRequest": {"Item": {**key, "": S("x")}}}]})
    with validation_error(match="Empty attribute name"):
        ddb.update_item(
            TableName=hash_table, Key=key, AttributeUpdates={"": {"Value": S("x"), "Action": "PUT"}}
        )
    assert "Item" not in ddb.get_item(TableName=hash_table, Key=key, ConsistentRead=True)
    with validation_error(match="Empty attribute name"):
        ddb.get_item(TableName=hash_table, Key=key, AttributesToGet=[""])


# ---- ConditionExpression ----------------------------------------------------------------------


def test_two_missing_attributes_are_unequal(ddb, hash_table):
    # A missing attribute is unequal to anything, another missing attribute included; every
    # other comparison of missing attributes is false.
    key = {"pk": S(unique_key())}
    ddb.put_item(TableName=hash_table, Item={**key, "a": S("x")})
    ddb.update_item(
        TableName=hash_table,
        Key=key,
        UpdateExpression="SET b = :v",
        ConditionExpression="q <> z",
        ExpressionAttributeValues={":v": S("v")},
    )
    for operator in ["=", "<", "<=", ">", ">="]:
        with client_error("ConditionalCheckFailedException"):
            ddb.update_item(
                TableName=hash_table,
                Key=key,
                UpdateExpression="SET c = :v",
                ConditionExpression=f"q {operator} z",
                ExpressionAttributeValues={":v": S("v")},
            )
    assert ddb.get_item(TableName=hash_table, Key=key, ConsistentRead=True)["Item"] == {
        **key,
        "a": S("x"),
        "b": S("v"),
    }


@pytest.mark.parametrize("expression", ["a < :v", ":v <= a", "a > :v", "a >= :v", "a BETWEEN :v AND :w"])
@pytest.mark.parametrize("value", [{"L": [N(1)]}, {"M": {}}, {"NS": ["1"]}, {"BOOL": True}, {"NULL": True}])
def test_ordering_comparison_with_a_value_that_has_no_order(ddb, hash_table, expression, value):
    # Only strings, numbers and binaries are ordered. Another type in the request is an error,
    # not a condition that is false.
    key = {"pk": S(unique_key())}
    ddb.put_item(TableName=hash_table, Item={**key, "a": N(1)})
    with validation_error():
        ddb.update_item(
            TableName=hash_table,
            Key=key,
            UpdateExpression="SET b = :b",
            ConditionExpression=expression,
            ExpressionAttributeValues={":b": N(2), ":v": value, ":w": value},
        )


def test_ordering_comparison_with_an_attribute_that_has_no_order(ddb, hash_table):
    # The same type read from the item only makes the comparison false.
    key = {"pk": S(unique_key())}
    ddb.put_item(TableName=hash_table, Item={**key, "l": {"L": [N(1)]}})
    with client_error("ConditionalCheckFailedException"):
        ddb.update_item(
            TableName=hash_table,
            Key=key,
            UpdateExpression="SET b = :b",
            ConditionExpression="l < :b",
            ExpressionAttributeValues={":b": N(2)},
        )


@pytest.mark.parametrize("function", ["if_not_exists(a, :v)", "list_append(a, :v)"])
def test_update_function_in_a_condition(ddb, hash_table, function):
    # The functions of update expressions are known names, but not allowed in a condition.
    name = function.split("(")[0]
    with validation_error(
        f"Invalid ConditionExpression: The function is not allowed in a condition expression; function: {name}"
    ):
        ddb.put_item(
            TableName=hash_table,
            Item={"pk": S(unique_key())},
            ConditionExpression=f"{function} = :v",
            ExpressionAttributeValues={":v": {"L": []}},
        )


@pytest.mark.parametrize("function", ["size(b)", "contains(b, :v)", "attribute_exists(b)"])
def test_condition_function_in_an_update(ddb, hash_table, function):
    # ...and the functions of conditions are not allowed in an update.
    name = function.split("(")[0]
    values = {":v": S("v")} if ":v" in function else None
    params = {"ExpressionAttributeValues": values} if values else {}
    with validation_error(
        match=rf"^Invalid UpdateExpression: The function is not allowed .*function: {name}$"
    ):
        ddb.update_item(
            TableName=hash_table,
            Key={"pk": S(unique_key())},
            UpdateExpression=f"SET a = {function}",
            **params,
        )


# ---- legacy conditions -------------------------------------------------------------------------


def test_legacy_eq_and_ne_take_every_type(ddb, composite_table):
    # "EQ is supported for all data types, including lists and maps" (and NE likewise).
    pk = S(unique_key())
    ddb.put_item(
        TableName=composite_table, Item={"pk": pk, "sk": S("a"), "l": {"L": [N(1)]}, "t": {"BOOL": True}}
    )
    ddb.put_item(
        TableName=composite_table, Item={"pk": pk, "sk": S("b"), "l": {"L": [N(2)]}, "t": {"BOOL": False}}
    )
    key_conditions = {"pk": {"AttributeValueList": [pk], "ComparisonOperator": "EQ"}}
    for name, value, operator, expected in [
        ("l", {"L": [N(1)]}, "EQ", "a"),
        ("l", {"L": [N(1)]}, "NE", "b"),
        ("t", {"BOOL": False}, "EQ", "b"),
    ]:
        items = ddb.query(
            TableName=composite_table,
            KeyConditions=key_conditions,
            QueryFilter={name: {"AttributeValueList": [value], "ComparisonOperator": operator}},
        )["Items"]
        assert [item["sk"] for item in items] == [S(expected)]


@pytest.mark.parametrize(
    "operator,values",
    [
        ("LE", [{"L": [N(1)]}]),
        ("BETWEEN", [{"L": [N(1)]}, {"L": [N(2)]}]),
        ("CONTAINS", [{"L": [N(1)]}]),
        ("IN", [{"L": [N(1)]}]),
        ("BEGINS_WITH", [N(3)]),
    ],
)
def test_expected_refuses_values_its_operator_cannot_use(ddb, hash_table, operator, values):
    # As in QueryFilter and ScanFilter: a value the operator cannot use is an error, not a
    # condition that is false.
    key = {"pk": S(unique_key())}
    ddb.put_item(TableName=hash_table, Item={**key, "a": N(1)})
    with validation_error():
        ddb.update_item(
            TableName=hash_table,
            Key=key,
            AttributeUpdates={"z": {"Value": N(17), "Action": "PUT"}},
            Expected={"a": {"ComparisonOperator": operator, "AttributeValueList": values}},
        )
    assert "z" not in ddb.get_item(TableName=hash_table, Key=key, ConsistentRead=True)["Item"]


def test_expected_not_contains_is_false_for_a_missing_attribute(ddb, hash_table):
    # Neither CONTAINS nor NOT_CONTAINS holds for an attribute the item does not have (NE does).
    key = {"pk": S(unique_key())}
    ddb.put_item(TableName=hash_table, Item={**key, "a": S("hello")})
    ddb.update_item(
        TableName=hash_table,
        Key=key,
        AttributeUpdates={"z": {"Value": N(1), "Action": "PUT"}},
        Expected={"a": {"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [S("dog")]}},
    )
    for operator in ["CONTAINS", "NOT_CONTAINS"]:
        with client_error("ConditionalCheckFailedException"):
            ddb.update_item(
                TableName=hash_table,
                Key=key,
                AttributeUpdates={"z": {"Value": N(2), "Action": "PUT"}},
                Expected={"gone": {"ComparisonOperator": operator, "AttributeValueList": [S("dog")]}},
            )
    ddb.update_item(
        TableName=hash_table,
        Key=key,
        AttributeUpdates={"z": {"Value": N(3), "Action": "PUT"}},
        Expected={"gone": {"ComparisonOperator": "NE", "AttributeValueList": [S("dog")]}},
    )
    assert ddb.get_item(TableName=hash_table, Key=key, ConsistentRead=True)["Item"]["z"] == N(3)


# ---- ProjectionExpression ----------------------------------------------------------------------


def test_document_paths_nest_at_most_32_levels(ddb, hash_table):
    key = {"pk": S(unique_key())}
    ddb.put_item(TableName=hash_table, Item=key)
    assert ddb.get_item(TableName=hash_table, Key=key, ProjectionExpression="a" + ".b" * 31)["Item"] == {}
    with validation_error(
        "Invalid ProjectionExpression: The document path has too many nesting levels; nesting levels: 33"
    ):
        ddb.get_item(TableName=hash_table, Key=key, ProjectionExpression="a" + ".b" * 32)


# ---- UpdateExpression --------------------------------------------------------------------------


def test_several_appends_past_the_end_of_a_list_go_in_index_order(ddb, hash_table):
    # "If you add multiple elements in a single SET operation, the elements are sorted in order
    # by element number."
    key = {"pk": S(unique_key())}
    ddb.put_item(TableName=hash_table, Item={**key, "a": {"L": [S("one")]}})
    ddb.update_item(
        TableName=hash_table,
        Key=key,
        UpdateExpression="SET a[84] = :v1, a[37] = :v2, a[17] = :v3, a[50] = :v4",
        ExpressionAttributeValues={":v1": S("a1"), ":v2": S("a2"), ":v3": S("a3"), ":v4": S("a4")},
    )
    item = ddb.get_item(TableName=hash_table, Key=key, ConsistentRead=True)["Item"]
    assert item["a"] == {"L": [S("one"), S("a3"), S("a2"), S("a4"), S("a1")]}


# ---- UpdateItem on a missing item -------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"UpdateExpression": "REMOVE a"},
        {"UpdateExpression": "REMOVE a, b", "ReturnValues": "ALL_OLD"},
        # The paths are not looked at: there is no item to look into.
        {"UpdateExpression": "REMOVE a.b, c[0]"},
        {"UpdateExpression": "DELETE s :s", "ExpressionAttributeValues": {":s": {"SS": ["x"]}}},
        {"AttributeUpdates": {"a": {"Action": "DELETE"}}},
        {"AttributeUpdates": {"s": {"Action": "DELETE", "Value": {"SS": ["x"]}}}},
    ],
    ids=[
        "remove",
        "remove-two",
        "remove-nested",
        "delete-from-set",
        "legacy-delete",
        "legacy-delete-from-set",
    ],
)
def test_update_that_only_removes_does_not_create_the_item(ddb, hash_table, params):
    # UpdateItem creates a missing item for any update that writes something (or for none at
    # all), but taking attributes away from nothing leaves nothing.
    key = {"pk": S(unique_key())}
    response = ddb.update_item(TableName=hash_table, Key=key, **params)
    assert "Attributes" not in response
    assert "Item" not in ddb.get_item(TableName=hash_table, Key=key, ConsistentRead=True)


def test_update_that_removes_and_sets_creates_the_item(ddb, hash_table):
    key = {"pk": S(unique_key())}
    ddb.update_item(
        TableName=hash_table,
        Key=key,
        UpdateExpression="SET b = :v REMOVE a",
        ExpressionAttributeValues={":v": S("v")},
    )
    assert ddb.get_item(TableName=hash_table, Key=key, ConsistentRead=True)["Item"] == {**key, "b": S("v")}


# ---- Query key conditions ----------------------------------------------------------------------


def test_query_with_empty_partition_key_value(ddb, composite_table):
    # No key can be empty, and DynamoDB says so for a Query as it does for GetItem.
    with validation_error(
        "One or more parameter values are not valid. The AttributeValue for a key attribute "
        "cannot contain an empty string value. Key: pk"
    ):
        ddb.query(
            TableName=composite_table,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": S("")},
        )


def test_query_with_empty_binary_partition_key_value(ddb, binary_table):
    with validation_error(match=r"cannot contain an empty binary value\. Key: pk$"):
        ddb.query(
            TableName=binary_table,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"B": b""}},
        )


def test_query_index_with_empty_partition_key_value(ddb, new_table):
    table = new_table(
        AttributeDefinitions=definitions(("pk", "S"), ("owner", "S")),
        KeySchema=keys(("pk", "HASH")),
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_owner",
                "KeySchema": keys(("owner", "HASH")),
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    with validation_error(
        "One or more parameter values are not valid. A value specified for a secondary index key is "
        "not supported. The AttributeValue for a key attribute cannot contain an empty string value. "
        "IndexName: by_owner, IndexKey: owner"
    ):
        ddb.query(
            TableName=table,
            IndexName="by_owner",
            KeyConditionExpression="#o = :o",
            ExpressionAttributeNames={"#o": "owner"},
            ExpressionAttributeValues={":o": S("")},
        )


# ---- parallel Scan -----------------------------------------------------------------------------


def test_parallel_scan_refuses_a_starting_key_of_another_segment(ddb, new_table):
    table = new_table()
    for i in range(20):
        ddb.put_item(TableName=table, Item={"pk": S(f"item-{i}")})
    segments = [full_scan(ddb, table, Segment=s, TotalSegments=2) for s in range(2)]
    assert all(segments), "both segments hold items"
    # A key of the segment itself continues it...
    own = segments[0][0]
    ddb.scan(TableName=table, Segment=0, TotalSegments=2, ExclusiveStartKey=own)
    # ...a key of another segment is refused.
    with validation_error(
        "The provided starting key is invalid: Invalid ExclusiveStartKey. Please use ExclusiveStartKey with "
        "correct Segment. TotalSegments: 2 Segment: 0"
    ):
        ddb.scan(TableName=table, Segment=0, TotalSegments=2, ExclusiveStartKey=segments[1][0])


# ---- index key sizes ---------------------------------------------------------------------------


@pytest.fixture
def indexed_table(new_table):
    """A table with a global index keyed by `g` (partition) and `h` (sort)."""
    return new_table(
        AttributeDefinitions=definitions(("pk", "S"), ("g", "S"), ("h", "S")),
        KeySchema=keys(("pk", "HASH")),
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_g",
                "KeySchema": keys(("g", "HASH"), ("h", "RANGE")),
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )


def test_index_keys_have_the_table_key_size_limits(ddb, indexed_table):
    # An index key value is limited like a table key value: 2048 bytes for a partition key and
    # 1024 bytes for a sort key. The write is refused, not left out of the index.
    key = {"pk": S(unique_key())}
    ddb.put_item(TableName=indexed_table, Item={**key, "g": S("g" * 2048), "h": S("h" * 1024)})
    with validation_error(
        "One or more parameter values were invalid: Size limit exceeded for Index Key g Actual Size: 2049 bytes "
        "Max Size: 2048 bytes IndexName: by_g"
    ):
        ddb.put_item(TableName=indexed_table, Item={**key, "g": S("g" * 2049), "h": S("h")})
    with validation_error(
        match=r"Size limit exceeded for Index Key h Actual Size: 1025 bytes Max Size: 1024 bytes"
    ):
        ddb.update_item(
            TableName=indexed_table,
            Key=key,
            UpdateExpression="SET h = :h",
            ExpressionAttributeValues={":h": S("h" * 1025)},
        )
    item = ddb.get_item(TableName=indexed_table, Key=key, ConsistentRead=True)["Item"]
    assert item == {**key, "g": S("g" * 2048), "h": S("h" * 1024)}


# ---- DeleteTable -------------------------------------------------------------------------------


def test_delete_table_describes_the_table_without_its_definition(ddb, table_names):
    # DeleteTable's TableDescription has the name, status, size and throughput, but not the key
    # schema, attribute definitions, creation time or indexes that DescribeTable gives.
    name = table_names()
    create_table(
        ddb,
        name,
        hash_key=("pk", "S"),
        range_key=("sk", "S"),
        AttributeDefinitions=definitions(("pk", "S"), ("sk", "S"), ("x", "S")),
        GlobalSecondaryIndexes=[
            {"IndexName": "by_x", "KeySchema": keys(("x", "HASH")), "Projection": {"ProjectionType": "ALL"}}
        ],
        LocalSecondaryIndexes=[
            {
                "IndexName": "by_pk_x",
                "KeySchema": keys(("pk", "HASH"), ("x", "RANGE")),
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    described = ddb.describe_table(TableName=name)["Table"]
    deleted = ddb.delete_table(TableName=name)["TableDescription"]
    assert deleted["TableName"] == name and deleted["TableStatus"] == "DELETING"
    assert deleted["ItemCount"] == 0 and deleted["TableSizeBytes"] == 0
    assert "ProvisionedThroughput" in deleted
    for field in [
        "KeySchema",
        "AttributeDefinitions",
        "CreationDateTime",
        "GlobalSecondaryIndexes",
        "LocalSecondaryIndexes",
    ]:
        assert field in described
        assert field not in deleted


# ---- CreateTable: attributes projected into indexes --------------------------------------------


def include_index(name, attributes):
    return {
        "IndexName": name,
        "KeySchema": keys(("g", "HASH")),
        "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": attributes},
    }


def test_indexes_project_at_most_100_attributes_together(ddb, new_table, table_names):
    # At most 20 per index, and 100 summed over the table's indexes, an attribute projected into
    # two indexes counting twice.
    attrs = [f"a{i}" for i in range(20)]
    new_table(
        AttributeDefinitions=definitions(("pk", "S"), ("g", "S")),
        KeySchema=keys(("pk", "HASH")),
        GlobalSecondaryIndexes=[include_index(f"idx{i}", attrs) for i in range(5)],
    )
    with validation_error():
        ddb.create_table(
            TableName=table_names(),
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=definitions(("pk", "S"), ("g", "S")),
            KeySchema=keys(("pk", "HASH")),
            GlobalSecondaryIndexes=[include_index(f"idx{i}", attrs) for i in range(5)]
            + [include_index("idx5", ["extra"])],
        )

"""Query: every key condition operator, sort order per key type, ScanIndexForward, filters,
projections, Limit, Select (COUNT and the rest), ExclusiveStartKey/LastEvaluatedKey paging, the
1 MB page limit, and the errors of KeyConditionExpression. Source: the Query API reference and
"Querying tables" in the developer guide.
"""

import pytest

from support import N, S, full_query, unique_key, validation_error


@pytest.fixture
def numbers(ddb, numeric_table):
    """One partition of numeric_table holding sort keys -10, -1.5, 0, 2, 10, 100, each with a
    `v` attribute equal to its index and `odd` on every other item."""
    pk = S(unique_key())
    sort_keys = ["-10", "-1.5", "0", "2", "10", "100"]
    for i, sk in enumerate(sort_keys):
        item = {"pk": pk, "sk": N(sk), "v": N(i)}
        if i % 2:
            item["odd"] = {"BOOL": True}
        ddb.put_item(TableName=numeric_table, Item=item)
    # Another partition that no query below may return.
    ddb.put_item(TableName=numeric_table, Item={"pk": S(unique_key()), "sk": N(0)})
    return pk, sort_keys


def query(ddb, table, pk, condition="", values=None, **params):
    expression = "pk = :pk" + (f" AND {condition}" if condition else "")
    return ddb.query(
        TableName=table,
        KeyConditionExpression=expression,
        ExpressionAttributeValues={":pk": pk, **(values or {})},
        **params,
    )


def sort_keys_of(response):
    return [item["sk"][next(iter(item["sk"]))] for item in response["Items"]]


def test_whole_partition_in_numeric_order(ddb, numeric_table, numbers):
    pk, sort_keys = numbers
    response = query(ddb, numeric_table, pk)
    assert sort_keys_of(response) == sort_keys
    assert response["Count"] == 6 and response["ScannedCount"] == 6
    assert "LastEvaluatedKey" not in response


def test_scan_index_forward_false(ddb, numeric_table, numbers):
    pk, sort_keys = numbers
    assert sort_keys_of(query(ddb, numeric_table, pk, ScanIndexForward=False)) == sort_keys[::-1]


@pytest.mark.parametrize(
    "condition,values,expected",
    [
        ("sk = :a", {":a": N(2)}, ["2"]),
        ("sk < :a", {":a": N(0)}, ["-10", "-1.5"]),
        ("sk <= :a", {":a": N(0)}, ["-10", "-1.5", "0"]),
        ("sk > :a", {":a": N(2)}, ["10", "100"]),
        ("sk >= :a", {":a": N(2)}, ["2", "10", "100"]),
        ("sk BETWEEN :a AND :b", {":a": N("-1.5"), ":b": N(10)}, ["-1.5", "0", "2", "10"]),
        ("sk BETWEEN :a AND :b", {":a": N(3), ":b": N(9)}, []),
        ("(sk > :a)", {":a": N(10)}, ["100"]),
    ],
)
def test_sort_key_operators(ddb, numeric_table, numbers, condition, values, expected):
    pk, _ = numbers
    assert sort_keys_of(query(ddb, numeric_table, pk, condition, values)) == expected


def test_key_condition_order_and_names(ddb, numeric_table, numbers):
    pk, _ = numbers
    response = ddb.query(
        TableName=numeric_table,
        KeyConditionExpression="#s >= :a AND #p = :pk",
        ExpressionAttributeNames={"#s": "sk", "#p": "pk"},
        ExpressionAttributeValues={":pk": pk, ":a": N(10)},
    )
    assert sort_keys_of(response) == ["10", "100"]


def test_string_sort_keys_order_by_utf8_bytes(ddb, composite_table):
    pk = S(unique_key())
    keys = ["a", "B", "ab", "b", "é", "Z", "", "z", "aa", "~", "𝄞"]
    for sk in keys:
        if sk:
            ddb.put_item(TableName=composite_table, Item={"pk": pk, "sk": S(sk)})
    expected = sorted((k for k in keys if k), key=lambda k: k.encode())
    assert sort_keys_of(query(ddb, composite_table, pk)) == expected


def test_begins_with_on_string_sort_key(ddb, composite_table):
    pk = S(unique_key())
    for sk in ["app", "apple", "apricot", "banana", "ap"]:
        ddb.put_item(TableName=composite_table, Item={"pk": pk, "sk": S(sk)})
    got = sort_keys_of(query(ddb, composite_table, pk, "begins_with(sk, :p)", {":p": S("app")}))
    assert got == ["app", "apple"]


def test_binary_sort_keys_order_as_unsigned_bytes(ddb, binary_table):
    pk = {"B": unique_key().encode()}
    keys = [b"\x00", b"\x7f", b"\x80", b"\xff", b"\x00\x01", b"\x01"]
    for sk in keys:
        ddb.put_item(TableName=binary_table, Item={"pk": pk, "sk": {"B": sk}})
    response = ddb.query(
        TableName=binary_table,
        KeyConditionExpression="pk = :pk AND sk > :lo",
        ExpressionAttributeValues={":pk": pk, ":lo": {"B": b"\x00"}},
    )
    assert sort_keys_of(response) == sorted(k for k in keys if k > b"\x00")
    begins = ddb.query(
        TableName=binary_table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :p)",
        ExpressionAttributeValues={":pk": pk, ":p": {"B": b"\x00"}},
    )
    assert sort_keys_of(begins) == [b"\x00", b"\x00\x01"]


def test_filter_expression_counts(ddb, numeric_table, numbers):
    pk, _ = numbers
    response = query(ddb, numeric_table, pk, values={":t": {"BOOL": True}}, FilterExpression="odd = :t")
    assert sort_keys_of(response) == ["-1.5", "2", "100"]
    # Count is after the filter; ScannedCount before it.
    assert response["Count"] == 3 and response["ScannedCount"] == 6


def test_limit_applies_before_filter(ddb, numeric_table, numbers):
    pk, _ = numbers
    response = ddb.query(
        TableName=numeric_table,
        KeyConditionExpression="pk = :pk",
        FilterExpression="attribute_exists(odd)",
        ExpressionAttributeValues={":pk": pk},
        Limit=3,
    )
    assert sort_keys_of(response) == ["-1.5"]
    assert response["ScannedCount"] == 3
    assert response["LastEvaluatedKey"] == {"pk": pk, "sk": N("0")}


def test_paging_with_limit(ddb, numeric_table, numbers):
    pk, sort_keys = numbers
    seen = []
    params = {}
    pages = 0
    while True:
        response = query(ddb, numeric_table, pk, Limit=4, **params)
        pages += 1
        seen += sort_keys_of(response)
        if "LastEvaluatedKey" not in response:
            break
        assert set(response["LastEvaluatedKey"]) == {"pk", "sk"}
        params = {"ExclusiveStartKey": response["LastEvaluatedKey"]}
    assert seen == sort_keys
    assert pages == 2


def test_paging_backwards(ddb, numeric_table, numbers):
    pk, sort_keys = numbers
    items = full_query(
        ddb,
        numeric_table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": pk},
        ScanIndexForward=False,
        Limit=2,
    )
    assert [i["sk"]["N"] for i in items] == sort_keys[::-1]


def test_limit_equal_to_remaining_items_still_returns_last_key(ddb, numeric_table, numbers):
    # DynamoDB stops when Limit items are read without looking ahead, so the last page may be
    # empty.
    pk, sort_keys = numbers
    response = query(ddb, numeric_table, pk, Limit=len(sort_keys))
    assert len(response["Items"]) == len(sort_keys)
    assert response["LastEvaluatedKey"] == {"pk": pk, "sk": N("100")}
    rest = query(ddb, numeric_table, pk, ExclusiveStartKey=response["LastEvaluatedKey"])
    assert rest["Items"] == [] and rest["Count"] == 0 and "LastEvaluatedKey" not in rest


def test_exclusive_start_key_continues_after_key(ddb, numeric_table, numbers):
    pk, _ = numbers
    response = query(ddb, numeric_table, pk, ExclusiveStartKey={"pk": pk, "sk": N(0)})
    assert sort_keys_of(response) == ["2", "10", "100"]


def test_select_count(ddb, numeric_table, numbers):
    pk, _ = numbers
    response = query(ddb, numeric_table, pk, "sk > :z", {":z": N(0)}, Select="COUNT")
    assert "Items" not in response
    assert response["Count"] == 3 and response["ScannedCount"] == 3


def test_select_specific_attributes_and_projection(ddb, numeric_table, numbers):
    pk, _ = numbers
    response = query(
        ddb,
        numeric_table,
        pk,
        "sk = :z",
        {":z": N(0)},
        ProjectionExpression="v",
        Select="SPECIFIC_ATTRIBUTES",
    )
    assert response["Items"] == [{"v": N(2)}]
    response = query(ddb, numeric_table, pk, "sk = :z", {":z": N(0)}, Select="ALL_ATTRIBUTES")
    assert response["Items"] == [{"pk": pk, "sk": N(0), "v": N(2)}]


# dynalite does not check Select against the other parameters. Some emulators prefix these
# messages with "1 validation error detected: ", so only the sentence itself is matched.
def test_select_count_with_projection_rejected(ddb, numeric_table, numbers):
    pk, _ = numbers
    with validation_error(
        match="Cannot specify the ProjectionExpression when choosing to get only the Count"
    ):
        query(ddb, numeric_table, pk, Select="COUNT", ProjectionExpression="v")


def test_select_all_attributes_with_projection_rejected(ddb, numeric_table, numbers):
    pk, _ = numbers
    with validation_error(
        match="Cannot specify the ProjectionExpression when choosing to get ALL_ATTRIBUTES"
    ):
        query(ddb, numeric_table, pk, Select="ALL_ATTRIBUTES", ProjectionExpression="v")


def test_select_specific_attributes_needs_projection(ddb, numeric_table, numbers):
    pk, _ = numbers
    with validation_error(
        match="Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES"
    ):
        query(ddb, numeric_table, pk, Select="SPECIFIC_ATTRIBUTES")


def test_select_all_projected_needs_index(ddb, numeric_table, numbers):
    pk, _ = numbers
    with validation_error(match="ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName"):
        query(ddb, numeric_table, pk, Select="ALL_PROJECTED_ATTRIBUTES")


def test_one_megabyte_page_limit(ddb, new_table):
    table = new_table(("pk", "S"), ("sk", "N"))
    pk = S("big")
    blob = "x" * 40_000
    for i in range(30):  # about 1.2 MB in one partition
        ddb.put_item(TableName=table, Item={"pk": pk, "sk": N(i), "payload": S(blob)})
    first = query(ddb, table, pk)
    assert "LastEvaluatedKey" in first
    assert 20 <= len(first["Items"]) < 30
    assert first["ScannedCount"] == len(first["Items"])
    items = full_query(ddb, table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": pk})
    assert [int(i["sk"]["N"]) for i in items] == list(range(30))


def test_one_megabyte_limit_counts_filtered_out_items(ddb, new_table):
    table = new_table(("pk", "S"), ("sk", "N"))
    pk = S("big")
    for i in range(30):
        ddb.put_item(TableName=table, Item={"pk": pk, "sk": N(i), "payload": S("x" * 40_000)})
    response = query(ddb, table, pk, FilterExpression="attribute_not_exists(payload)")
    assert response["Count"] == 0 and response["Items"] == []
    assert "LastEvaluatedKey" in response and response["ScannedCount"] < 30


# ---- errors -------------------------------------------------------------------------------------


def test_key_condition_required(ddb, numeric_table):
    with validation_error(
        "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request."
    ):
        ddb.query(TableName=numeric_table)


def test_partition_key_needs_equality(ddb, numeric_table):
    with validation_error("Query key condition not supported"):
        ddb.query(
            TableName=numeric_table,
            KeyConditionExpression="pk > :pk",
            ExpressionAttributeValues={":pk": S("a")},
        )


def test_partition_key_missing(ddb, numeric_table):
    with validation_error("Query condition missed key schema element: pk"):
        ddb.query(
            TableName=numeric_table,
            KeyConditionExpression="sk = :sk",
            ExpressionAttributeValues={":sk": N(1)},
        )


def test_non_key_attribute_in_key_condition(ddb, numeric_table):
    with validation_error(
        match="^Query condition missed key schema element|^Query key condition not supported"
    ):
        ddb.query(
            TableName=numeric_table,
            KeyConditionExpression="pk = :pk AND v = :v",
            ExpressionAttributeValues={":pk": S("a"), ":v": N(1)},
        )


def test_or_in_key_condition(ddb, numeric_table):
    with validation_error("Invalid operator used in KeyConditionExpression: OR"):
        ddb.query(
            TableName=numeric_table,
            KeyConditionExpression="pk = :pk OR sk = :sk",
            ExpressionAttributeValues={":pk": S("a"), ":sk": N(1)},
        )


@pytest.mark.parametrize("operator", ["<>", "IN"])
def test_unsupported_key_operators(ddb, numeric_table, operator):
    expression = "pk = :pk AND sk <> :sk" if operator == "<>" else "pk = :pk AND sk IN (:sk)"
    with validation_error(f"Invalid operator used in KeyConditionExpression: {operator}"):
        ddb.query(
            TableName=numeric_table,
            KeyConditionExpression=expression,
            ExpressionAttributeValues={":pk": S("a"), ":sk": N(1)},
        )


def test_two_conditions_on_one_key(ddb, numeric_table):
    with validation_error(
        "Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition per key"
    ):
        ddb.query(
            TableName=numeric_table,
            KeyConditionExpression="pk = :pk AND sk > :a AND sk < :b",
            ExpressionAttributeValues={":pk": S("a"), ":a": N(1), ":b": N(5)},
        )


def test_key_condition_type_mismatch(ddb, numeric_table):
    with validation_error(
        "One or more parameter values were invalid: Condition parameter type does not match schema type"
    ):
        ddb.query(
            TableName=numeric_table,
            KeyConditionExpression="pk = :pk AND sk = :s",
            ExpressionAttributeValues={":pk": S("a"), ":s": S("1")},
        )


def test_begins_with_on_number_sort_key(ddb, numeric_table):
    with validation_error(match="begins_with"):
        ddb.query(
            TableName=numeric_table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :p)",
            ExpressionAttributeValues={":pk": S("a"), ":p": N(1)},
        )


def test_filter_on_key_attribute(ddb, numeric_table):
    with validation_error(
        "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk"
    ):
        ddb.query(
            TableName=numeric_table,
            KeyConditionExpression="pk = :pk",
            FilterExpression="sk > :z",
            ExpressionAttributeValues={":pk": S("a"), ":z": N(0)},
        )


def test_invalid_exclusive_start_key(ddb, numeric_table):
    with validation_error(match="^The provided starting key is invalid"):
        ddb.query(
            TableName=numeric_table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": S("a")},
            ExclusiveStartKey={"pk": S("a")},
        )


def test_limit_must_be_positive(ddb, numeric_table):
    with validation_error(
        # The newer validator leaves the value out: "Value at 'Limit' failed to satisfy ...".
        match="Value( '0')? at '[lL]imit' failed to satisfy constraint: Member must have value greater than or equal to 1"
    ):
        ddb.query(
            TableName=numeric_table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": S("a")},
            Limit=0,
        )


def test_query_missing_index(ddb, numeric_table):
    with validation_error("The table does not have the specified index: nope"):
        ddb.query(
            TableName=numeric_table,
            IndexName="nope",
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": S("a")},
        )

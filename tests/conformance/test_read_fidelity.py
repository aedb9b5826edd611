"""Query and Scan against DynamoDB's documented read behaviour: Limit with a filter,
LastEvaluatedKey of tables and indexes, parallel scan parameters, starting keys, BETWEEN bounds
in key conditions, and the read capacity of Query and Scan (item sizes read, before filtering,
rounded up to 4 KB once, halved for eventually consistent reads; an index query by the sizes of
its index entries). Source: the Query and Scan API references, "Paginating table query results",
"Parallel scan", "Read consumption" in the developer guide, and "Provisioned throughput
considerations for global secondary indexes".
"""

import pytest

from support import N, S, full_query, full_scan, keys, unique_key, validation_error


def define(*pairs):
    return [{"AttributeName": name, "AttributeType": kind} for name, kind in pairs]


@pytest.fixture
def indexed(ddb, new_table):
    """A table keyed by pk (S) and sk (N) with a local index on `l` (N) and a global index on
    `g` (S) and `r` (N), both projecting everything."""
    return new_table(
        ("pk", "S"),
        ("sk", "N"),
        AttributeDefinitions=define(("pk", "S"), ("sk", "N"), ("l", "N"), ("g", "S"), ("r", "N")),
        LocalSecondaryIndexes=[
            {
                "IndexName": "by_l",
                "KeySchema": keys(("pk", "HASH"), ("l", "RANGE")),
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_g",
                "KeySchema": keys(("g", "HASH"), ("r", "RANGE")),
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )


def fill(ddb, table, pk, count, **extra):
    """`count` items of partition `pk`, sort keys 0..count-1, each with `n` = its sort key."""
    for i in range(count):
        item = {"pk": S(pk), "sk": N(i), "n": N(i)}
        item.update({name: value(i) for name, value in extra.items()})
        ddb.put_item(TableName=table, Item=item)


# ---- Limit, filters and LastEvaluatedKey ----


def test_limit_with_a_filter_that_matches_nothing_still_pages(ddb, numeric_table):
    pk = unique_key()
    fill(ddb, numeric_table, pk, 5)
    response = ddb.query(
        TableName=numeric_table,
        KeyConditionExpression="pk = :p",
        FilterExpression="n > :big",
        ExpressionAttributeValues={":p": S(pk), ":big": N(100)},
        Limit=2,
    )
    # Limit counts items read, not items matched: the page is empty but not the end.
    assert response["Items"] == [] and response["Count"] == 0
    assert response["ScannedCount"] == 2
    assert response["LastEvaluatedKey"] == {"pk": S(pk), "sk": N(1)}


def test_no_last_key_when_the_range_ends_before_the_limit(ddb, numeric_table):
    pk = unique_key()
    fill(ddb, numeric_table, pk, 3)
    response = ddb.query(
        TableName=numeric_table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": S(pk)},
        Limit=4,
    )
    assert response["Count"] == 3 and "LastEvaluatedKey" not in response


def test_select_count_with_limit_pages(ddb, numeric_table):
    pk = unique_key()
    fill(ddb, numeric_table, pk, 5)
    response = ddb.query(
        TableName=numeric_table,
        KeyConditionExpression="pk = :p",
        FilterExpression="n <> :one",
        ExpressionAttributeValues={":p": S(pk), ":one": N(1)},
        Select="COUNT",
        Limit=3,
    )
    assert "Items" not in response
    assert response["Count"] == 2 and response["ScannedCount"] == 3
    assert response["LastEvaluatedKey"] == {"pk": S(pk), "sk": N(2)}


def test_last_key_of_a_local_index_query_has_table_and_index_keys(ddb, indexed):
    pk = unique_key()
    fill(ddb, indexed, pk, 3, l=lambda i: N(10 - i))
    response = ddb.query(
        TableName=indexed,
        IndexName="by_l",
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": S(pk)},
        Limit=1,
    )
    # Index order: the smallest `l` first, which is the item of sort key 2.
    assert response["LastEvaluatedKey"] == {"pk": S(pk), "sk": N(2), "l": N(8)}
    items = full_query(
        ddb,
        indexed,
        IndexName="by_l",
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": S(pk)},
        Limit=1,
    )
    assert [i["l"]["N"] for i in items] == ["8", "9", "10"]


def test_last_key_of_a_global_index_query_has_table_and_index_keys(ddb, indexed):
    pk, g = unique_key(), unique_key()
    fill(ddb, indexed, pk, 3, g=lambda i: S(g), r=lambda i: N(-i))
    response = ddb.query(
        TableName=indexed,
        IndexName="by_g",
        KeyConditionExpression="g = :g",
        ExpressionAttributeValues={":g": S(g)},
        Limit=2,
    )
    assert [i["r"]["N"] for i in response["Items"]] == ["-2", "-1"]
    assert response["LastEvaluatedKey"] == {"pk": S(pk), "sk": N(1), "g": S(g), "r": N(-1)}


def test_last_key_of_a_global_index_scan_has_table_and_index_keys(ddb, indexed):
    pk, g = unique_key(), unique_key()
    fill(ddb, indexed, pk, 3, g=lambda i: S(g), r=lambda i: N(i))
    response = ddb.scan(TableName=indexed, IndexName="by_g", Limit=1)
    assert set(response["LastEvaluatedKey"]) == {"pk", "sk", "g", "r"}
    assert len(full_scan(ddb, indexed, IndexName="by_g", Limit=1)) == 3


def test_parallel_scan_of_a_global_index_returns_each_entry_once(ddb, indexed):
    for p in range(12):
        fill(ddb, indexed, f"p{p}", 2, g=lambda i, p=p: S(f"g{p % 5}"), r=lambda i, p=p: N(p * 10 + i))
    seen = []
    for segment in range(3):
        seen += full_scan(ddb, indexed, IndexName="by_g", Segment=segment, TotalSegments=3, Limit=4)
    assert sorted((i["pk"]["S"], i["sk"]["N"]) for i in seen) == sorted(
        (f"p{p}", str(i)) for p in range(12) for i in range(2)
    )


# ---- Parallel scan parameters ----


def test_negative_segment(ddb, new_table):
    table = new_table()
    with validation_error(match="[sS]egment.*greater than or equal to 0"):
        ddb.scan(TableName=table, Segment=-1, TotalSegments=2)


def test_segment_above_its_maximum(ddb, new_table):
    table = new_table()
    with validation_error(match="[sS]egment.*less than or equal to 999999"):
        ddb.scan(TableName=table, Segment=1_000_000, TotalSegments=1_000_000)


def test_one_total_segment_is_a_whole_scan(ddb, new_table):
    table = new_table()
    for i in range(5):
        ddb.put_item(TableName=table, Item={"pk": S(f"k{i}")})
    assert len(ddb.scan(TableName=table, Segment=0, TotalSegments=1)["Items"]) == 5


# ---- Starting keys ----


def test_starting_key_of_the_wrong_type(ddb, numeric_table):
    pk = unique_key()
    with validation_error(match="^The provided starting key is invalid"):
        ddb.query(
            TableName=numeric_table,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": S(pk)},
            ExclusiveStartKey={"pk": S(pk), "sk": S("1")},
        )


def test_starting_key_of_another_partition(ddb, numeric_table):
    with validation_error(
        "The provided starting key is outside query boundaries based on provided conditions"
    ):
        ddb.query(
            TableName=numeric_table,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": S(unique_key())},
            ExclusiveStartKey={"pk": S(unique_key()), "sk": N(1)},
        )


def test_scan_starting_key_of_the_wrong_type(ddb, numeric_table):
    with validation_error(match="^The provided starting key is invalid"):
        ddb.scan(TableName=numeric_table, ExclusiveStartKey={"pk": N(1), "sk": N(1)})


# ---- Key conditions ----


@pytest.mark.parametrize(
    "low,high,rendered",
    [(N(5), N(1), ("{N:5}", "{N:1}")), (N(-1), N(-2), ("{N:-1}", "{N:-2}"))],
)
def test_between_needs_ordered_bounds(ddb, numeric_table, low, high, rendered):
    with validation_error(
        "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater "
        f"than or equal to lower bound; lower bound operand: AttributeValue: {rendered[0]}, "
        f"upper bound operand: AttributeValue: {rendered[1]}"
    ):
        ddb.query(
            TableName=numeric_table,
            KeyConditionExpression="pk = :p AND sk BETWEEN :lo AND :hi",
            ExpressionAttributeValues={":p": S("a"), ":lo": low, ":hi": high},
        )


def test_between_with_equal_bounds(ddb, numeric_table):
    pk = unique_key()
    fill(ddb, numeric_table, pk, 4)
    response = ddb.query(
        TableName=numeric_table,
        KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :a",
        ExpressionAttributeValues={":p": S(pk), ":a": N(2)},
    )
    assert [i["sk"]["N"] for i in response["Items"]] == ["2"]


def test_backwards_between_on_binary_sort_keys(ddb, binary_table):
    pk = unique_key().encode()
    for sort in [b"\x00", b"\x01", b"\x7f", b"\x80", b"\xff"]:
        ddb.put_item(TableName=binary_table, Item={"pk": {"B": pk}, "sk": {"B": sort}})
    response = ddb.query(
        TableName=binary_table,
        KeyConditionExpression="pk = :p AND sk BETWEEN :lo AND :hi",
        ExpressionAttributeValues={":p": {"B": pk}, ":lo": {"B": b"\x01"}, ":hi": {"B": b"\x80"}},
        ScanIndexForward=False,
    )
    assert [i["sk"]["B"] for i in response["Items"]] == [b"\x80", b"\x7f", b"\x01"]


# ---- Read capacity ----


def big(i):
    return S("x" * 3000)


def test_query_capacity_counts_items_read_before_the_filter(ddb, numeric_table):
    pk = unique_key()
    fill(ddb, numeric_table, pk, 4, v=big)  # about 12 KB read
    response = ddb.query(
        TableName=numeric_table,
        KeyConditionExpression="pk = :p",
        FilterExpression="n = :none",
        ExpressionAttributeValues={":p": S(pk), ":none": N(-1)},
        ConsistentRead=True,
        ReturnConsumedCapacity="TOTAL",
    )
    assert response["Count"] == 0 and response["ScannedCount"] == 4
    assert response["ConsumedCapacity"]["CapacityUnits"] == 3.0


def test_query_capacity_of_a_limited_page(ddb, numeric_table):
    pk = unique_key()
    fill(ddb, numeric_table, pk, 4, v=big)
    response = ddb.query(
        TableName=numeric_table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": S(pk)},
        Limit=2,
        ReturnConsumedCapacity="TOTAL",
    )
    # Two items of about 3 KB: 6 KB, two units when strongly consistent, one here.
    assert response["ConsumedCapacity"]["CapacityUnits"] == 1.0


def test_select_count_costs_what_the_items_read_cost(ddb, numeric_table):
    pk = unique_key()
    fill(ddb, numeric_table, pk, 4, v=big)
    response = ddb.query(
        TableName=numeric_table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": S(pk)},
        Select="COUNT",
        ConsistentRead=True,
        ReturnConsumedCapacity="TOTAL",
    )
    assert response["Count"] == 4
    assert response["ConsumedCapacity"]["CapacityUnits"] == 3.0


def test_scan_capacity_counts_items_read_before_the_filter(ddb, new_table):
    table = new_table()
    for i in range(6):
        ddb.put_item(TableName=table, Item={"pk": S(f"k{i}"), "v": S("x" * 3000)})
    response = ddb.scan(
        TableName=table,
        FilterExpression="attribute_not_exists(v)",
        ConsistentRead=True,
        ReturnConsumedCapacity="TOTAL",
    )
    # About 18 KB read: five units.
    assert response["Count"] == 0 and response["ScannedCount"] == 6
    assert response["ConsumedCapacity"]["CapacityUnits"] == 5.0


def test_global_index_query_costs_its_index_entries(ddb, new_table):
    table = new_table(
        ("pk", "S"),
        AttributeDefinitions=define(("pk", "S"), ("g", "S")),
        GlobalSecondaryIndexes=[
            {
                "IndexName": "g_keys",
                "KeySchema": keys(("g", "HASH")),
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
    )
    for i in range(5):
        ddb.put_item(TableName=table, Item={"pk": S(f"k{i}"), "g": S("one"), "v": S("x" * 8000)})
    response = ddb.query(
        TableName=table,
        IndexName="g_keys",
        KeyConditionExpression="g = :g",
        ExpressionAttributeValues={":g": S("one")},
        ReturnConsumedCapacity="INDEXES",
    )
    assert response["Count"] == 5
    consumed = response["ConsumedCapacity"]
    # Index entries of a few bytes each: the minimum, halved, however large the items are.
    assert consumed["CapacityUnits"] == 0.5
    assert consumed["GlobalSecondaryIndexes"] == {"g_keys": {"CapacityUnits": 0.5}}


def test_local_index_query_reports_the_index(ddb, indexed):
    pk = unique_key()
    fill(ddb, indexed, pk, 2, l=lambda i: N(i))
    response = ddb.query(
        TableName=indexed,
        IndexName="by_l",
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": S(pk)},
        ConsistentRead=True,
        ReturnConsumedCapacity="INDEXES",
    )
    consumed = response["ConsumedCapacity"]
    assert consumed["TableName"] == indexed
    assert consumed["CapacityUnits"] == 1.0
    assert consumed["LocalSecondaryIndexes"] == {"by_l": {"CapacityUnits": 1.0}}
    assert "GlobalSecondaryIndexes" not in consumed


def test_total_capacity_of_an_index_query_has_no_shares(ddb, indexed):
    g = unique_key()
    fill(ddb, indexed, unique_key(), 1, g=lambda i: S(g), r=lambda i: N(i))
    response = ddb.query(
        TableName=indexed,
        IndexName="by_g",
        KeyConditionExpression="g = :g",
        ExpressionAttributeValues={":g": S(g)},
        ReturnConsumedCapacity="TOTAL",
    )
    consumed = response["ConsumedCapacity"]
    assert consumed["TableName"] == indexed and consumed["CapacityUnits"] == 0.5
    assert not {"Table", "LocalSecondaryIndexes", "GlobalSecondaryIndexes"} & set(consumed)


# ---- Select ALL_ATTRIBUTES on a local index ----


def test_all_attributes_of_a_local_index_fetches_whole_items(ddb, new_table):
    table = new_table(
        ("pk", "S"),
        ("sk", "S"),
        AttributeDefinitions=define(("pk", "S"), ("sk", "S"), ("l", "S")),
        LocalSecondaryIndexes=[
            {
                "IndexName": "l_keys",
                "KeySchema": keys(("pk", "HASH"), ("l", "RANGE")),
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
    )
    item = {"pk": S("p"), "sk": S("s"), "l": S("x"), "v": S("y" * 100)}
    ddb.put_item(TableName=table, Item=item)
    response = ddb.query(
        TableName=table,
        IndexName="l_keys",
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": S("p")},
        Select="ALL_ATTRIBUTES",
        ReturnConsumedCapacity="INDEXES",
    )
    assert response["Items"] == [item]
    # The items come from the table, which is charged for them besides the index.
    assert response["ConsumedCapacity"]["Table"]["CapacityUnits"] > 0


def test_all_attributes_of_a_local_index_projecting_everything_reads_only_the_index(ddb, indexed):
    pk = unique_key()
    fill(ddb, indexed, pk, 2, l=lambda i: N(i))
    response = ddb.query(
        TableName=indexed,
        IndexName="by_l",
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": S(pk)},
        Select="ALL_ATTRIBUTES",
        ReturnConsumedCapacity="INDEXES",
    )
    assert [i["n"]["N"] for i in response["Items"]] == ["0", "1"]
    consumed = response["ConsumedCapacity"]
    assert consumed["LocalSecondaryIndexes"] == {"by_l": {"CapacityUnits": 0.5}}
    assert consumed["CapacityUnits"] == 0.5

"""ReturnConsumedCapacity (NONE, TOTAL, INDEXES) and DynamoDB's capacity-unit arithmetic.

From "Read/write capacity mode" in the developer guide: a write costs one unit per started KB of
the larger of the old and new item; a strongly consistent read costs one unit per started 4 KB
(half that when eventually consistent); Query and Scan add up the sizes of all items read (before
filtering) and round up once; reading a missing item still costs the minimum. Item size is the
sum of attribute name and value lengths in bytes. The sizes below sit well inside their buckets so
the small per-type overheads never matter.
"""

import pytest

from support import S, unique_name


@pytest.fixture(scope="module")
def table(ddb):
    from support import create_table, delete_table_quietly

    name = unique_name("cap")
    create_table(ddb, name, hash_key=("pk", "S"), range_key=("sk", "S"))
    yield name
    delete_table_quietly(ddb, name)


def item(pk, sk, size):
    """An item of about `size` bytes (names and values of the keys included)."""
    return {"pk": S(pk), "sk": S(sk), "v": S("x" * (size - 5 - len(pk) - len(sk)))}


def units(response):
    return response["ConsumedCapacity"]["CapacityUnits"]


def test_none_and_absent_return_nothing(ddb, table):
    assert "ConsumedCapacity" not in ddb.put_item(TableName=table, Item=item("n", "1", 100))
    response = ddb.put_item(TableName=table, Item=item("n", "1", 100), ReturnConsumedCapacity="NONE")
    assert "ConsumedCapacity" not in response


def test_total_shape(ddb, table):
    response = ddb.put_item(TableName=table, Item=item("t", "1", 100), ReturnConsumedCapacity="TOTAL")
    consumed = response["ConsumedCapacity"]
    assert consumed["TableName"] == table
    assert consumed["CapacityUnits"] == 1.0
    assert "Table" not in consumed


def test_indexes_shape(ddb, table):
    response = ddb.put_item(TableName=table, Item=item("i", "1", 100), ReturnConsumedCapacity="INDEXES")
    consumed = response["ConsumedCapacity"]
    assert consumed["TableName"] == table
    assert consumed["CapacityUnits"] == 1.0
    assert consumed["Table"]["CapacityUnits"] == 1.0


def test_invalid_return_consumed_capacity(ddb, table):
    from support import validation_error

    with validation_error(match="Value 'ALL' at 'returnConsumedCapacity' failed to satisfy constraint"):
        ddb.put_item(TableName=table, Item=item("x", "1", 100), ReturnConsumedCapacity="ALL")


@pytest.mark.parametrize("size,expected", [(500, 1), (1500, 2), (3500, 4), (10_300, 11)])
def test_put_units_per_started_kb(ddb, table, size, expected):
    response = ddb.put_item(
        TableName=table, Item=item("put", str(size), size), ReturnConsumedCapacity="TOTAL"
    )
    assert units(response) == expected


def test_overwrite_costs_the_larger_item(ddb, table):
    ddb.put_item(TableName=table, Item=item("ow", "1", 3500))
    response = ddb.put_item(TableName=table, Item=item("ow", "1", 100), ReturnConsumedCapacity="TOTAL")
    assert units(response) == 4


def test_delete_costs_the_deleted_item(ddb, table):
    ddb.put_item(TableName=table, Item=item("del", "1", 2500))
    key = {"pk": S("del"), "sk": S("1")}
    assert units(ddb.delete_item(TableName=table, Key=key, ReturnConsumedCapacity="TOTAL")) == 3
    # Deleting a missing item still costs one unit.
    assert units(ddb.delete_item(TableName=table, Key=key, ReturnConsumedCapacity="TOTAL")) == 1


def test_update_costs_the_larger_of_before_and_after(ddb, table):
    ddb.put_item(TableName=table, Item=item("upd", "1", 500))
    response = ddb.update_item(
        TableName=table,
        Key={"pk": S("upd"), "sk": S("1")},
        UpdateExpression="SET w = :big",
        ExpressionAttributeValues={":big": S("y" * 2500)},
        ReturnConsumedCapacity="TOTAL",
    )
    assert units(response) == 3


def test_failed_condition_still_consumes(ddb, table):
    from botocore.exceptions import ClientError

    ddb.put_item(TableName=table, Item=item("cond", "1", 100))
    with pytest.raises(ClientError) as caught:
        ddb.put_item(
            TableName=table,
            Item=item("cond", "1", 100),
            ConditionExpression="attribute_not_exists(pk)",
            ReturnConsumedCapacity="TOTAL",
        )
    assert caught.value.response["Error"]["Code"] == "ConditionalCheckFailedException"


@pytest.mark.parametrize(
    "size,consistent,expected",
    [(100, True, 1.0), (100, False, 0.5), (5000, True, 2.0), (5000, False, 1.0), (9000, True, 3.0)],
)
def test_get_units_per_started_4kb(ddb, table, size, consistent, expected):
    ddb.put_item(TableName=table, Item=item("get", str(size), size))
    response = ddb.get_item(
        TableName=table,
        Key={"pk": S("get"), "sk": S(str(size))},
        ConsistentRead=consistent,
        ReturnConsumedCapacity="TOTAL",
    )
    assert units(response) == expected


@pytest.mark.parametrize("consistent,expected", [(True, 1.0), (False, 0.5)])
def test_get_missing_item_costs_the_minimum(ddb, table, consistent, expected):
    response = ddb.get_item(
        TableName=table,
        Key={"pk": S("nothing"), "sk": S("here")},
        ConsistentRead=consistent,
        ReturnConsumedCapacity="TOTAL",
    )
    assert units(response) == expected


def test_get_projection_does_not_reduce_cost(ddb, table):
    ddb.put_item(TableName=table, Item=item("proj", "1", 5000))
    response = ddb.get_item(
        TableName=table,
        Key={"pk": S("proj"), "sk": S("1")},
        ProjectionExpression="pk",
        ConsistentRead=True,
        ReturnConsumedCapacity="TOTAL",
    )
    assert units(response) == 2.0


def test_query_rounds_the_sum_once(ddb, table):
    for i in range(3):
        ddb.put_item(TableName=table, Item=item("q", str(i), 3000))
    params = dict(
        TableName=table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": S("q")},
        ReturnConsumedCapacity="TOTAL",
    )
    # 9,000 bytes: three 4 KB units, not one per item.
    assert units(ddb.query(ConsistentRead=True, **params)) == 3.0
    assert units(ddb.query(**params)) == 1.5
    # A filter does not reduce what was read.
    filtered = ddb.query(ConsistentRead=True, FilterExpression="attribute_not_exists(v)", **params)
    assert filtered["Count"] == 0 and units(filtered) == 3.0


def test_query_with_no_match_costs_the_minimum(ddb, table):
    # Like a GetItem of a missing item (dynalite reports 0 here).
    response = ddb.query(
        TableName=table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": S("no-such-partition")},
        ConsistentRead=True,
        ReturnConsumedCapacity="TOTAL",
    )
    assert units(response) == 1.0


def test_scan_rounds_the_sum_once(ddb, new_table):
    # 8,000 bytes read: two strongly consistent units (dynalite reports 1).
    name = new_table(("pk", "S"), ("sk", "S"))
    for i in range(4):
        ddb.put_item(TableName=name, Item=item(f"s{i}", "1", 2000))
    response = ddb.scan(TableName=name, ConsistentRead=True, ReturnConsumedCapacity="TOTAL")
    assert units(response) == 2.0
    response = ddb.scan(TableName=name, ReturnConsumedCapacity="INDEXES")
    assert response["ConsumedCapacity"]["CapacityUnits"] == 1.0
    assert response["ConsumedCapacity"]["Table"]["CapacityUnits"] == 1.0


def test_batch_write_capacity_per_table(ddb, table):
    response = ddb.batch_write_item(
        RequestItems={
            table: [
                {"PutRequest": {"Item": item("bw", "1", 1500)}},
                {"PutRequest": {"Item": item("bw", "2", 500)}},
            ]
        },
        ReturnConsumedCapacity="TOTAL",
    )
    assert response["ConsumedCapacity"] == [{"TableName": table, "CapacityUnits": 3.0}]


def test_batch_get_capacity_per_item(ddb, table):
    ddb.put_item(TableName=table, Item=item("bg", "1", 5000))
    ddb.put_item(TableName=table, Item=item("bg", "2", 100))
    response = ddb.batch_get_item(
        RequestItems={table: {"Keys": [{"pk": S("bg"), "sk": S("1")}, {"pk": S("bg"), "sk": S("2")}]}},
        ReturnConsumedCapacity="TOTAL",
    )
    # Each item is rounded on its own: eventually consistent 1.0 + 0.5.
    assert response["ConsumedCapacity"] == [{"TableName": table, "CapacityUnits": 1.5}]

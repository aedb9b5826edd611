"""Finer points of DynamoDB Streams, time to live and secondary-index reads: ListStreams and
DescribeStream bounds and filters, iterators at a timestamp, sequence numbers of another
stream, a disabled stream's closed shard and the records it keeps, what KEYS_ONLY records
carry, which time-to-live values expire an item, and Query/Scan on indexes (key conditions on
the index's keys, starting keys, LastEvaluatedKey of a local index scan, Select against an
index, attributes a local index fetches from its table and the capacity they cost).

Sources: the DynamoDB Streams API reference (ListStreams, DescribeStream, GetShardIterator,
GetRecords, StreamDescription, SequenceNumberRange; `AT_TIMESTAMP` and `Timestamp` as the
current service model documents them), "Change data capture for DynamoDB Streams" and "Time to
Live (TTL)" in the developer guide, the Query and Scan API references (Select,
ReturnConsumedCapacity), and "Local secondary indexes" / "Global secondary indexes" in the
developer guide.
"""

import datetime
import math
import time

import pytest

from support import (
    N,
    S,
    client_error,
    create_table,
    delete_table_quietly,
    full_scan,
    keys,
    unique_key,
    unique_name,
    validation_error,
    wait_until,
)


def stream_spec(view_type="NEW_AND_OLD_IMAGES"):
    return {"StreamEnabled": True, "StreamViewType": view_type}


def wait_stream_status(streams, arn, status="ENABLED"):
    def probe():
        description = streams.describe_stream(StreamArn=arn)["StreamDescription"]
        return description if description["StreamStatus"] == status else None

    return wait_until(probe, f"stream {arn} to be {status}")


def shard_with(streams, arn, pk):
    """The shard holding the records of partition key `pk`: a stream has a shard per partition
    of its table, and a table may have several."""
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        start = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records, _ = read_all(streams, start)
        if any(r["dynamodb"]["Keys"]["pk"]["S"] == pk for r in records):
            return shard
    raise AssertionError(f"no shard holds a record of {pk}")


def read_all(streams, shard_iterator):
    records = []
    for _ in range(100):
        page = streams.get_records(ShardIterator=shard_iterator)
        records.extend(page["Records"])
        shard_iterator = page.get("NextShardIterator")
        if not page["Records"] or not shard_iterator:
            break
    return records, shard_iterator


# ---- ListStreams, DescribeStream ---------------------------------------------------------------


def test_list_streams_of_an_unknown_table(streams):
    with client_error("ResourceNotFoundException"):
        streams.list_streams(TableName=unique_name("missing"))


def test_limits_are_positive(ddb, streams, new_table):
    # `Limit` is a PositiveIntegerObject (at least 1) in ListStreams and DescribeStream.
    with validation_error(
        match="limit' failed to satisfy constraint: Member must have value greater than or equal to 1"
    ):
        streams.list_streams(Limit=0)
    table = new_table(StreamSpecification=stream_spec())
    arn = ddb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    with validation_error(
        match="limit' failed to satisfy constraint: Member must have value greater than or equal to 1"
    ):
        streams.describe_stream(StreamArn=arn, Limit=0)


def test_list_streams_of_one_table_page_by_page(ddb, streams, new_table):
    table = new_table(StreamSpecification=stream_spec("KEYS_ONLY"))
    first = ddb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    wait_stream_status(streams, first)
    ddb.update_table(TableName=table, StreamSpecification={"StreamEnabled": False})
    wait_stream_status(streams, first, "DISABLED")
    ddb.update_table(TableName=table, StreamSpecification=stream_spec("NEW_IMAGE"))
    second = ddb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    page = streams.list_streams(TableName=table, Limit=1)
    assert len(page["Streams"]) == 1
    rest = streams.list_streams(
        TableName=table, Limit=1, ExclusiveStartStreamArn=page["LastEvaluatedStreamArn"]
    )
    assert len(rest["Streams"]) == 1
    assert {page["Streams"][0]["StreamArn"], rest["Streams"][0]["StreamArn"]} == {first, second}
    assert "LastEvaluatedStreamArn" not in rest


def test_list_streams_goes_on_after_a_start_that_is_no_longer_listed(ddb, streams, new_table):
    """A start naming no listed stream (one gone between two pages) still marks a place in
    ListStreams' order (by table, newest stream first), as ListTables' ExclusiveStartTableName
    does: the streams after it come, not the first page again."""
    table = new_table(StreamSpecification=stream_spec("KEYS_ONLY"))
    arn = ddb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    prefix, label = arn.rsplit("/", 1)
    # The same table's stream ARN with a label from long after, then from long before.
    later = f"{prefix}/9999{label[4:]}"
    page = streams.list_streams(TableName=table, ExclusiveStartStreamArn=later)
    assert [listed["StreamArn"] for listed in page["Streams"]] == [arn]
    earlier = f"{prefix}/1971{label[4:]}"
    page = streams.list_streams(TableName=table, ExclusiveStartStreamArn=earlier)
    assert page["Streams"] == []


def test_a_disabled_stream_is_closed_and_keeps_its_records(ddb, streams, new_table):
    table = new_table(range_key=("sk", "S"), StreamSpecification=stream_spec("NEW_IMAGE"))
    arn = ddb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    wait_stream_status(streams, arn)
    ddb.put_item(TableName=table, Item={"pk": S("p"), "sk": S("a"), "v": N(1)})
    ddb.put_item(TableName=table, Item={"pk": S("p"), "sk": S("b"), "v": N(2)})
    shard_id = shard_with(streams, arn, "p")["ShardId"]
    latest = streams.get_shard_iterator(StreamArn=arn, ShardId=shard_id, ShardIteratorType="LATEST")[
        "ShardIterator"
    ]
    ddb.update_table(TableName=table, StreamSpecification={"StreamEnabled": False})
    description = wait_stream_status(streams, arn, "DISABLED")
    assert description["StreamViewType"] == "NEW_IMAGE"
    # The table keeps naming its latest stream, which is no longer enabled.
    desc = ddb.describe_table(TableName=table)["Table"]
    assert desc["LatestStreamArn"] == arn
    assert desc.get("StreamSpecification", {}).get("StreamEnabled", False) is False
    # A closed shard has both ends.
    for shard in description["Shards"]:
        ends = shard["SequenceNumberRange"]
        assert int(ends["StartingSequenceNumber"]) <= int(ends["EndingSequenceNumber"])
    [shard] = [s for s in description["Shards"] if s["ShardId"] == shard_id]
    sequence_range = shard["SequenceNumberRange"]
    # Records stay readable; a closed shard read to its end has no next iterator.
    start = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records, next_iterator = read_all(streams, start)
    assert [r["dynamodb"]["Keys"]["sk"]["S"] for r in records] == ["a", "b"]
    assert next_iterator is None
    assert records[-1]["dynamodb"]["SequenceNumber"] == sequence_range["EndingSequenceNumber"]
    # Writes after disabling are not recorded.
    ddb.put_item(TableName=table, Item={"pk": S("p"), "sk": S("c")})
    records, next_iterator = read_all(streams, latest)
    assert records == [] and next_iterator is None


def test_iterator_at_a_timestamp(ddb, streams, new_table):
    table = new_table(range_key=("sk", "S"), StreamSpecification=stream_spec("KEYS_ONLY"))
    arn = ddb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    wait_stream_status(streams, arn)
    ddb.put_item(TableName=table, Item={"pk": S("p"), "sk": S("before")})
    shard_id = shard_with(streams, arn, "p")["ShardId"]
    # The next whole second: clients may send timestamps without their milliseconds.
    mark = math.floor(time.time()) + 1
    time.sleep(mark - time.time() + 0.05)
    ddb.put_item(TableName=table, Item={"pk": S("p"), "sk": S("after-1")})
    ddb.put_item(TableName=table, Item={"pk": S("p"), "sk": S("after-2")})

    def read_from(timestamp):
        it = streams.get_shard_iterator(
            StreamArn=arn,
            ShardId=shard_id,
            ShardIteratorType="AT_TIMESTAMP",
            Timestamp=datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc),
        )
        return [r["dynamodb"]["Keys"]["sk"]["S"] for r in read_all(streams, it["ShardIterator"])[0]]

    # "The iterator points to the first stream record whose ApproximateCreationDateTime is at or
    # after the specified timestamp."
    assert read_from(mark) == ["after-1", "after-2"]
    # "If the timestamp is older than the current trim horizon, the iterator points to the
    # oldest untrimmed stream record (TRIM_HORIZON)."
    assert read_from(0) == ["before", "after-1", "after-2"]
    # "If the timestamp is in the future, the request returns a ValidationException."
    with validation_error():
        read_from(time.time() + 3600)
    # AT_TIMESTAMP needs a Timestamp.
    with validation_error():
        streams.get_shard_iterator(StreamArn=arn, ShardId=shard_id, ShardIteratorType="AT_TIMESTAMP")


def test_sequence_numbers_of_another_stream(ddb, streams, new_table):
    table = new_table(StreamSpecification=stream_spec("KEYS_ONLY"))
    first = ddb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    wait_stream_status(streams, first)
    ddb.put_item(TableName=table, Item={"pk": S("old")})
    old_shard = shard_with(streams, first, "old")["ShardId"]
    it = streams.get_shard_iterator(StreamArn=first, ShardId=old_shard, ShardIteratorType="TRIM_HORIZON")
    [old_record], _ = read_all(streams, it["ShardIterator"])
    ddb.update_table(TableName=table, StreamSpecification={"StreamEnabled": False})
    wait_stream_status(streams, first, "DISABLED")
    ddb.update_table(TableName=table, StreamSpecification=stream_spec("KEYS_ONLY"))
    second = ddb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    wait_stream_status(streams, second)
    ddb.put_item(TableName=table, Item={"pk": S("new")})
    new_shard = shard_with(streams, second, "new")["ShardId"]
    assert new_shard != old_shard
    # The shard of one stream is unknown to the other.
    with client_error("ResourceNotFoundException"):
        streams.get_shard_iterator(StreamArn=second, ShardId=old_shard, ShardIteratorType="TRIM_HORIZON")
    # A sequence number of the first stream is not a position in the second's shard ("the
    # sequence number of a stream record in the shard"), though it still is in its own.
    old_number = old_record["dynamodb"]["SequenceNumber"]
    for kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
        with validation_error(match="SequenceNumber"):
            streams.get_shard_iterator(
                StreamArn=second, ShardId=new_shard, ShardIteratorType=kind, SequenceNumber=old_number
            )
    it = streams.get_shard_iterator(
        StreamArn=first, ShardId=old_shard, ShardIteratorType="AT_SEQUENCE_NUMBER", SequenceNumber=old_number
    )
    assert [r["dynamodb"]["Keys"] for r in read_all(streams, it["ShardIterator"])[0]] == [{"pk": S("old")}]


# ---- records ------------------------------------------------------------------------------------


def test_keys_only_records_carry_only_the_table_key(ddb, streams, new_table):
    table = new_table(
        ("pk", "S"),
        ("sk", "N"),
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
            {"AttributeName": "g", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {"IndexName": "by_g", "KeySchema": keys(("g", "HASH")), "Projection": {"ProjectionType": "ALL"}}
        ],
        StreamSpecification=stream_spec("KEYS_ONLY"),
    )
    arn = ddb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    wait_stream_status(streams, arn)
    ddb.put_item(TableName=table, Item={"pk": S("p"), "sk": N(1), "g": S("x"), "other": S("y")})
    shard_id = shard_with(streams, arn, "p")["ShardId"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON")
    [record], _ = read_all(streams, it["ShardIterator"])
    change = record["dynamodb"]
    assert change["Keys"] == {"pk": S("p"), "sk": N(1)}
    assert "NewImage" not in change and "OldImage" not in change
    assert change["StreamViewType"] == "KEYS_ONLY"


# ---- indexes -------------------------------------------------------------------------------------


def definitions(**types):
    return [{"AttributeName": name, "AttributeType": kind} for name, kind in types.items()]


@pytest.fixture(scope="module")
def indexed(ddb):
    name = unique_name("fidelity")
    create_table(
        ddb,
        name,
        hash_key=("pk", "S"),
        range_key=("sk", "S"),
        AttributeDefinitions=definitions(pk="S", sk="S", g="S", r="N", l="S"),
        GlobalSecondaryIndexes=[
            {
                "IndexName": "g_keys",
                "KeySchema": keys(("g", "HASH"), ("r", "RANGE")),
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
        LocalSecondaryIndexes=[
            {
                "IndexName": "l_keys",
                "KeySchema": keys(("pk", "HASH"), ("l", "RANGE")),
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
    )
    yield name
    delete_table_quietly(ddb, name)


def test_key_condition_must_name_the_index_keys(ddb, indexed):
    # The table's partition key is not the global index's.
    with validation_error(match="Query condition missed key schema element"):
        ddb.query(
            TableName=indexed,
            IndexName="g_keys",
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": S("x")},
        )
    # The table's sort key is not the local index's.
    with validation_error():
        ddb.query(
            TableName=indexed,
            IndexName="l_keys",
            KeyConditionExpression="pk = :p AND sk = :s",
            ExpressionAttributeValues={":p": S("x"), ":s": S("y")},
        )


def test_starting_key_of_an_index_query_needs_the_index_key(ddb, indexed):
    g = unique_key()
    with validation_error(match="The provided starting key is invalid"):
        ddb.query(
            TableName=indexed,
            IndexName="g_keys",
            KeyConditionExpression="g = :g",
            ExpressionAttributeValues={":g": S(g)},
            ExclusiveStartKey={"pk": S("a"), "sk": S("b")},
        )


def test_scan_of_a_local_index_pages_with_table_and_index_keys(ddb, new_table):
    table = new_table(
        ("pk", "S"),
        ("sk", "S"),
        AttributeDefinitions=definitions(pk="S", sk="S", l="S"),
        LocalSecondaryIndexes=[
            {
                "IndexName": "l_keys",
                "KeySchema": keys(("pk", "HASH"), ("l", "RANGE")),
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
    )
    for i in range(5):
        ddb.put_item(
            TableName=table, Item={"pk": S(f"p{i % 2}"), "sk": S(f"s{i}"), "l": S(f"l{i}"), "x": N(i)}
        )
    ddb.put_item(TableName=table, Item={"pk": S("p0"), "sk": S("unindexed")})
    page = ddb.scan(TableName=table, IndexName="l_keys", Limit=2)
    assert set(page["LastEvaluatedKey"]) == {"pk", "sk", "l"}
    items = full_scan(ddb, table, IndexName="l_keys", Limit=2)
    assert sorted(item["sk"]["S"] for item in items) == [f"s{i}" for i in range(5)]


def test_all_projected_attributes_on_a_table_scan_is_an_error(ddb, indexed):
    with validation_error(match="ALL_PROJECTED_ATTRIBUTES"):
        ddb.scan(TableName=indexed, Select="ALL_PROJECTED_ATTRIBUTES")


def test_local_index_fetches_unprojected_attributes_and_charges_the_table(ddb, indexed):
    pk = unique_key()
    ddb.put_item(TableName=indexed, Item={"pk": S(pk), "sk": S("a"), "l": S("x"), "big": S("y" * 5000)})
    response = ddb.query(
        TableName=indexed,
        IndexName="l_keys",
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": S(pk)},
        Select="SPECIFIC_ATTRIBUTES",
        ProjectionExpression="big, l",
        ReturnConsumedCapacity="INDEXES",
    )
    assert response["Items"] == [{"big": S("y" * 5000), "l": S("x")}]
    consumed = response["ConsumedCapacity"]
    assert consumed["LocalSecondaryIndexes"]["l_keys"]["CapacityUnits"] > 0
    assert consumed["Table"]["CapacityUnits"] > 0
    assert consumed["CapacityUnits"] == pytest.approx(
        consumed["Table"]["CapacityUnits"] + consumed["LocalSecondaryIndexes"]["l_keys"]["CapacityUnits"]
    )


# ---- time to live -------------------------------------------------------------------------------


def test_only_number_epoch_seconds_expire_items(ttl_ddb):
    table = unique_name("ttlkinds")
    create_table(ttl_ddb, table)
    try:
        ttl_ddb.update_time_to_live(
            TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"}
        )
        wait_until(
            lambda: (
                ttl_ddb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]["TimeToLiveStatus"]
                == "ENABLED"
            ),
            "time to live to be ENABLED",
        )
        now = int(time.time())
        kept = {
            "number-set": {"NS": [str(now - 3600)]},
            "milliseconds": N(now * 1000 - 3_600_000),
            "negative": N(-1),
            "bool": {"BOOL": True},
            "nested": {"M": {"exp": N(now - 3600)}},
            "binary": {"B": b"123"},
        }
        for pk, value in kept.items():
            ttl_ddb.put_item(TableName=table, Item={"pk": S(pk), "exp": value})
        ttl_ddb.put_item(TableName=table, Item={"pk": S("marker"), "exp": N(now - 10)})
        wait_until(
            lambda: (
                "Item" not in ttl_ddb.get_item(TableName=table, Key={"pk": S("marker")}, ConsistentRead=True)
            ),
            "the expired marker to be deleted",
            timeout_s=15.0,
        )
        survivors = {item["pk"]["S"] for item in full_scan(ttl_ddb, table, ConsistentRead=True)}
        assert survivors == set(kept)
    finally:
        delete_table_quietly(ttl_ddb, table)

"""DynamoDB Streams through boto3's `dynamodbstreams` client on the same endpoint: StreamSpecification
at CreateTable and UpdateTable, LatestStreamArn/Label in DescribeTable, ListStreams and its paging,
DescribeStream and its shards, every shard iterator type, GetRecords paging with
NextShardIterator, the records of INSERT / MODIFY / REMOVE with the images each view type asks
for, no record for a write that changes nothing, per-item order, the errors of unknown streams,
shards and iterators, deletions by time to live carrying their `userIdentity`, and records that
survive a restart.

Sources: "Change data capture for DynamoDB Streams" in the developer guide, and the DynamoDB
Streams API reference (ListStreams, DescribeStream, GetShardIterator, GetRecords, Record,
StreamRecord, Identity).

An iterator's 15-minute expiry is not waited for here (the engine's unit tests cover it); a
malformed iterator is. Time-to-live deletions use the fast-sweeping server of `ttl_endpoint`
(see test_ttl.py for the `--ttl-sweep-interval-ms` flag it assumes).
"""

import datetime
import os
import re
import time

import pytest

from ferrodyn_process import FerrodynProcess
from support import (
    N,
    S,
    client_error,
    create_table,
    delete_table_quietly,
    make_client,
    make_streams_client,
    unique_key,
    unique_name,
    validation_error,
    wait_until,
)

VIEW_TYPES = ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"]
LABEL = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}$")


def stream_spec(view_type):
    return {"StreamEnabled": True, "StreamViewType": view_type}


def wait_stream_enabled(streams, arn):
    def probe():
        description = streams.describe_stream(StreamArn=arn)["StreamDescription"]
        return description if description["StreamStatus"] == "ENABLED" else None

    return wait_until(probe, f"stream {arn} to be ENABLED")


@pytest.fixture
def stream_table(ddb, streams, new_table):
    """`stream_table(view_type)` -> (table, stream ARN): a table keyed by pk/sk with an enabled
    stream, deleted when the test ends."""

    def make(view_type="NEW_AND_OLD_IMAGES"):
        name = new_table(("pk", "S"), ("sk", "S"), StreamSpecification=stream_spec(view_type))
        arn = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
        wait_stream_enabled(streams, arn)
        return name, arn

    return make


def all_shards(streams, arn, limit=None):
    """Every shard of the stream, following LastEvaluatedShardId."""
    shards = []
    params = {"StreamArn": arn}
    if limit:
        params["Limit"] = limit
    while True:
        description = streams.describe_stream(**params)["StreamDescription"]
        shards.extend(description["Shards"])
        if "LastEvaluatedShardId" not in description:
            return shards
        params["ExclusiveStartShardId"] = description["LastEvaluatedShardId"]


def iterator(streams, arn, shard_id, kind="TRIM_HORIZON", sequence_number=None):
    params = {"StreamArn": arn, "ShardId": shard_id, "ShardIteratorType": kind}
    if sequence_number is not None:
        params["SequenceNumber"] = sequence_number
    return streams.get_shard_iterator(**params)["ShardIterator"]


def drain(streams, shard_iterator, limit=None):
    """Reads from `shard_iterator` until a page comes back empty (the shard is open) or without
    a next iterator (closed); returns the records and the iterator to go on from."""
    records = []
    while shard_iterator:
        params = {"ShardIterator": shard_iterator}
        if limit:
            params["Limit"] = limit
        page = streams.get_records(**params)
        records.extend(page["Records"])
        shard_iterator = page.get("NextShardIterator")
        if not page["Records"]:
            break
    return records, shard_iterator


def records_of(streams, arn):
    """Every record of every shard, each shard read from TRIM_HORIZON in order."""
    records = []
    for shard in all_shards(streams, arn):
        found, _ = drain(streams, iterator(streams, arn, shard["ShardId"]))
        records.extend(found)
    return records


def records_for(streams, arn, pk, count, timeout_s=10.0):
    """The records of partition `pk`, once there are at least `count` of them."""

    def probe():
        found = [r for r in records_of(streams, arn) if r["dynamodb"]["Keys"]["pk"] == S(pk)]
        return found if len(found) >= count else None

    return wait_until(probe, f"{count} stream records of {pk}", timeout_s)


def shard_of(streams, arn, pk):
    """The shard holding the records of partition `pk` (which has at least one record)."""
    for shard in all_shards(streams, arn):
        found, _ = drain(streams, iterator(streams, arn, shard["ShardId"]))
        if any(r["dynamodb"]["Keys"]["pk"] == S(pk) for r in found):
            return shard["ShardId"]
    raise AssertionError(f"no shard holds records of {pk}")


def seq(record):
    return int(record["dynamodb"]["SequenceNumber"])


# ---- enabling streams -----------------------------------------------------------------------


def test_create_table_with_a_stream(ddb, streams, stream_table):
    table, arn = stream_table("NEW_IMAGE")
    desc = ddb.describe_table(TableName=table)["Table"]
    assert desc["StreamSpecification"] == stream_spec("NEW_IMAGE")
    assert LABEL.match(desc["LatestStreamLabel"]), desc["LatestStreamLabel"]
    assert desc["LatestStreamArn"] == f"{desc['TableArn']}/stream/{desc['LatestStreamLabel']}"
    assert arn == desc["LatestStreamArn"]


def test_enable_and_disable_a_stream_with_update_table(ddb, streams, new_table):
    table = new_table(("pk", "S"))
    assert "LatestStreamArn" not in ddb.describe_table(TableName=table)["Table"]
    with validation_error(f"Table has no stream to disable: TableName: {table}"):
        ddb.update_table(TableName=table, StreamSpecification={"StreamEnabled": False})
    response = ddb.update_table(TableName=table, StreamSpecification=stream_spec("KEYS_ONLY"))
    described = response["TableDescription"]
    assert described["StreamSpecification"] == stream_spec("KEYS_ONLY")
    first = described["LatestStreamArn"]
    wait_stream_enabled(streams, first)
    # A stream's view type cannot change in place, and enabling twice is an error.
    for view_type in ("KEYS_ONLY", "NEW_IMAGE"):
        with validation_error(f"Table already has an enabled stream: TableName: {table}"):
            ddb.update_table(TableName=table, StreamSpecification=stream_spec(view_type))
    ddb.update_table(TableName=table, StreamSpecification={"StreamEnabled": False})

    def disabled():
        status = streams.describe_stream(StreamArn=first)["StreamDescription"]["StreamStatus"]
        assert status in ("DISABLING", "DISABLED")
        return status == "DISABLED"

    wait_until(disabled, "the stream to be DISABLED")
    # A disabled stream stays readable, and a new one gets a new label and ARN.
    ddb.update_table(TableName=table, StreamSpecification=stream_spec("NEW_AND_OLD_IMAGES"))
    second = ddb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    assert second != first
    wait_stream_enabled(streams, second)
    listed = {s["StreamArn"] for s in streams.list_streams(TableName=table)["Streams"]}
    assert listed == {first, second}


# ---- ListStreams, DescribeStream -------------------------------------------------------------


def test_list_streams(ddb, streams, stream_table, new_table):
    table, arn = stream_table()
    [stream] = streams.list_streams(TableName=table)["Streams"]
    desc = ddb.describe_table(TableName=table)["Table"]
    assert stream == {"StreamArn": arn, "TableName": table, "StreamLabel": desc["LatestStreamLabel"]}
    assert streams.list_streams(TableName=new_table())["Streams"] == []


def test_list_streams_page_by_page(streams, stream_table):
    ours = {stream_table()[1], stream_table()[1], stream_table()[1]}
    seen = []
    params = {"Limit": 1}
    while True:
        page = streams.list_streams(**params)
        assert len(page["Streams"]) <= 1
        seen.extend(s["StreamArn"] for s in page["Streams"])
        if "LastEvaluatedStreamArn" not in page:
            break
        params["ExclusiveStartStreamArn"] = page["LastEvaluatedStreamArn"]
    assert ours <= set(seen)
    assert len(seen) == len(set(seen))


def test_describe_stream(ddb, streams, stream_table):
    before = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=5)
    table, arn = stream_table("OLD_IMAGE")
    description = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    desc = ddb.describe_table(TableName=table)["Table"]
    assert description["StreamArn"] == arn
    assert description["StreamLabel"] == desc["LatestStreamLabel"]
    assert description["StreamStatus"] == "ENABLED"
    assert description["StreamViewType"] == "OLD_IMAGE"
    assert description["TableName"] == table
    assert description["KeySchema"] == desc["KeySchema"]
    created = description["CreationRequestDateTime"]
    assert before <= created <= datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=5)
    shards = description["Shards"]
    assert shards
    for shard in shards:
        assert 28 <= len(shard["ShardId"]) <= 65
        start = shard["SequenceNumberRange"]["StartingSequenceNumber"]
        assert start.isdecimal() and 21 <= len(start) <= 40
    # An enabled stream has open shards: no EndingSequenceNumber.
    assert any("EndingSequenceNumber" not in s["SequenceNumberRange"] for s in shards)
    assert [s["ShardId"] for s in all_shards(streams, arn, limit=1)] == [s["ShardId"] for s in shards]
    last = shards[-1]["ShardId"]
    after_last = streams.describe_stream(StreamArn=arn, ExclusiveStartShardId=last)
    assert after_last["StreamDescription"]["Shards"] == []


def test_unknown_streams_and_shards(ddb, streams, stream_table):
    table, arn = stream_table()
    missing = arn.replace(f"table/{table}/", f"table/{unique_name('gone')}/")
    with client_error(
        "ResourceNotFoundException", f"Requested resource not found: Stream: {missing} not found"
    ):
        streams.describe_stream(StreamArn=missing)
    with client_error("ResourceNotFoundException"):
        streams.get_shard_iterator(
            StreamArn=missing, ShardId="shardId-00000000000000000000-00000000", ShardIteratorType="LATEST"
        )
    with client_error("ResourceNotFoundException", "Requested resource not found: Shard does not exist"):
        streams.get_shard_iterator(
            StreamArn=arn, ShardId="shardId-00000000000000000000-ffffffff", ShardIteratorType="LATEST"
        )
    with validation_error("Invalid StreamArn"):
        streams.describe_stream(StreamArn="sdfadfsdfnlfkajakfgjalksfgklasjklasdjfklasdfasdfgasf")
    with validation_error("Invalid StreamArn"):
        streams.describe_stream(StreamArn=ddb.describe_table(TableName=table)["Table"]["TableArn"])


# ---- iterators and GetRecords ---------------------------------------------------------------


def test_every_iterator_type(ddb, streams, stream_table):
    table, arn = stream_table("KEYS_ONLY")
    pk = unique_key()
    for sk in ("a", "b", "c"):
        ddb.put_item(TableName=table, Item={"pk": S(pk), "sk": S(sk)})
    a, b, c = records_for(streams, arn, pk, 3)
    shard = shard_of(streams, arn, pk)
    latest = iterator(streams, arn, shard, "LATEST")
    ddb.put_item(TableName=table, Item={"pk": S(pk), "sk": S("d")})
    records_for(streams, arn, pk, 4)

    def sort_keys(records):
        return [r["dynamodb"]["Keys"]["sk"]["S"] for r in records if r["dynamodb"]["Keys"]["pk"] == S(pk)]

    assert sort_keys(drain(streams, iterator(streams, arn, shard))[0]) == ["a", "b", "c", "d"]
    assert sort_keys(drain(streams, latest)[0]) == ["d"]
    at_b = iterator(streams, arn, shard, "AT_SEQUENCE_NUMBER", b["dynamodb"]["SequenceNumber"])
    assert sort_keys(drain(streams, at_b)[0]) == ["b", "c", "d"]
    after_b = iterator(streams, arn, shard, "AFTER_SEQUENCE_NUMBER", b["dynamodb"]["SequenceNumber"])
    assert sort_keys(drain(streams, after_b)[0]) == ["c", "d"]
    assert seq(a) < seq(b) < seq(c)


def test_get_records_page_by_page(ddb, streams, stream_table):
    table, arn = stream_table("KEYS_ONLY")
    pk = unique_key()
    for i in range(5):
        ddb.put_item(TableName=table, Item={"pk": S(pk), "sk": S(f"{i}")})
    records_for(streams, arn, pk, 5)
    shard = shard_of(streams, arn, pk)
    position = iterator(streams, arn, shard)
    pages = []
    while True:
        page = streams.get_records(ShardIterator=position, Limit=2)
        assert len(page["Records"]) <= 2
        # An open shard always hands back where to go on.
        assert page["NextShardIterator"]
        position = page["NextShardIterator"]
        if not page["Records"]:
            break
        pages.append(
            [
                r["dynamodb"]["Keys"]["sk"]["S"]
                for r in page["Records"]
                if r["dynamodb"]["Keys"]["pk"] == S(pk)
            ]
        )
    assert [sk for page in pages for sk in page] == ["0", "1", "2", "3", "4"]
    # Reading on from the last iterator sees only what comes next.
    ddb.put_item(TableName=table, Item={"pk": S(pk), "sk": S("5")})
    found = wait_until(lambda: drain(streams, position)[0], "the next record")
    assert [r["dynamodb"]["Keys"]["sk"]["S"] for r in found] == ["5"]


def expected_images(view_type, event, old, new):
    images = {}
    if view_type in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES") and event != "REMOVE":
        images["NewImage"] = new
    if view_type in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES") and event != "INSERT":
        images["OldImage"] = old
    return images


@pytest.mark.parametrize("view_type", VIEW_TYPES)
def test_records_of_insert_modify_remove(ddb, streams, stream_table, view_type):
    table, arn = stream_table(view_type)
    pk = unique_key()
    key = {"pk": S(pk), "sk": S("a")}
    v1 = {**key, "n": N(1), "s": S("one")}
    v2 = {**key, "n": N(2), "s": S("one")}
    before = int(time.time())
    ddb.put_item(TableName=table, Item=v1)
    ddb.update_item(
        TableName=table, Key=key, UpdateExpression="SET n = :n", ExpressionAttributeValues={":n": N(2)}
    )
    ddb.delete_item(TableName=table, Key=key)
    after = time.time()
    records = records_for(streams, arn, pk, 3)
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    transitions = [(None, v1), (v1, v2), (v2, None)]
    for record, (old, new) in zip(records, transitions, strict=True):
        assert record["eventVersion"] == "1.1"
        assert record["eventSource"] == "aws:dynamodb"
        assert record["awsRegion"] == "us-east-1"
        assert record["eventID"]
        assert "userIdentity" not in record
        change = record["dynamodb"]
        assert change["Keys"] == key
        assert change["StreamViewType"] == view_type
        assert change["SequenceNumber"].isdecimal() and 21 <= len(change["SequenceNumber"]) <= 40
        assert change["SizeBytes"] > 0
        created = change["ApproximateCreationDateTime"].timestamp()
        assert before - 1 <= created <= after + 1
        images = {k: change[k] for k in ("NewImage", "OldImage") if k in change}
        assert images == expected_images(view_type, record["eventName"], old, new)
    assert len({r["eventID"] for r in records}) == 3
    assert seq(records[0]) < seq(records[1]) < seq(records[2])


def test_replacing_an_item_is_a_modify_with_both_images(ddb, streams, stream_table):
    table, arn = stream_table("NEW_AND_OLD_IMAGES")
    pk = unique_key()
    old = {"pk": S(pk), "sk": S("a"), "x": N(1)}
    new = {"pk": S(pk), "sk": S("a"), "y": N(2)}
    ddb.put_item(TableName=table, Item=old)
    ddb.put_item(TableName=table, Item=new)
    insert, modify = records_for(streams, arn, pk, 2)
    assert insert["eventName"] == "INSERT"
    assert modify["eventName"] == "MODIFY"
    assert modify["dynamodb"]["OldImage"] == old
    assert modify["dynamodb"]["NewImage"] == new


def test_a_write_that_changes_nothing_emits_nothing(ddb, streams, stream_table):
    table, arn = stream_table("NEW_AND_OLD_IMAGES")
    pk = unique_key()
    item = {"pk": S(pk), "sk": S("a"), "n": N(1)}
    key = {"pk": S(pk), "sk": S("a")}
    ddb.put_item(TableName=table, Item=item)
    # The same item again, a SET to the value it has, a delete of a missing item, and a write
    # whose condition fails change nothing.
    ddb.put_item(TableName=table, Item=item)
    ddb.update_item(
        TableName=table, Key=key, UpdateExpression="SET n = :n", ExpressionAttributeValues={":n": N(1)}
    )
    ddb.delete_item(TableName=table, Key={"pk": S(pk), "sk": S("missing")})
    with client_error("ConditionalCheckFailedException"):
        ddb.put_item(
            TableName=table, Item={**item, "n": N(9)}, ConditionExpression="attribute_not_exists(pk)"
        )
    # A last real change marks the end of the sequence.
    ddb.update_item(
        TableName=table, Key=key, UpdateExpression="SET n = :n", ExpressionAttributeValues={":n": N(2)}
    )
    records = records_for(streams, arn, pk, 2)
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY"]
    assert records[1]["dynamodb"]["NewImage"]["n"] == N(2)


def test_changes_to_an_item_come_in_order(ddb, streams, stream_table):
    table, arn = stream_table("NEW_IMAGE")
    pks = [unique_key(), unique_key()]
    for _ in range(20):
        for pk in pks:
            ddb.update_item(
                TableName=table,
                Key={"pk": S(pk), "sk": S("counter")},
                UpdateExpression="ADD n :one",
                ExpressionAttributeValues={":one": N(1)},
            )
    for pk in pks:
        records = records_for(streams, arn, pk, 20)
        assert [r["dynamodb"]["NewImage"]["n"]["N"] for r in records] == [str(i) for i in range(1, 21)]
        assert [r["eventName"] for r in records] == ["INSERT"] + ["MODIFY"] * 19
        assert [seq(r) for r in records] == sorted(seq(r) for r in records)


# ---- errors ---------------------------------------------------------------------------------


def test_iterator_errors(ddb, streams, stream_table):
    table, arn = stream_table("KEYS_ONLY")
    shard = all_shards(streams, arn)[0]["ShardId"]
    start = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["SequenceNumberRange"][
        "StartingSequenceNumber"
    ]
    with validation_error(match="SequenceNumber"):
        streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER")
    with validation_error(match="SequenceNumber"):
        streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST", SequenceNumber=start
        )
    with validation_error(match=r"Member must satisfy enum value set"):
        streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="bulle")
    with validation_error(match="sequenceNumber' failed to satisfy constraint: Member must have length"):
        streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER", SequenceNumber="12"
        )
    with validation_error(match="shardId' failed to satisfy constraint: Member must have length"):
        streams.get_shard_iterator(StreamArn=arn, ShardId="short", ShardIteratorType="LATEST")


def test_malformed_iterators_are_refused(streams):
    with validation_error("Invalid ShardIterator"):
        streams.get_records(ShardIterator="sdfsdfsgagaddafgagasgasgasdfasdfasdfasdfasdgasdasdgasdg")
    with validation_error(match="shardIterator' failed to satisfy constraint: Member must have length"):
        streams.get_records(ShardIterator="")


def test_get_records_limit(streams, stream_table):
    _, arn = stream_table("KEYS_ONLY")
    shard = all_shards(streams, arn)[0]["ShardId"]
    position = iterator(streams, arn, shard)
    with validation_error(
        match="limit' failed to satisfy constraint: Member must have value greater than or equal to 1"
    ):
        streams.get_records(ShardIterator=position, Limit=0)
    # DynamoDB documents a Limit above 1000 as a LimitExceededException.
    with client_error("LimitExceededException"):
        streams.get_records(ShardIterator=position, Limit=1001)
    assert streams.get_records(ShardIterator=position, Limit=1000)["Records"] == []


# ---- time to live -----------------------------------------------------------------------------


def test_deletions_by_time_to_live_say_who_made_them(ttl_ddb, ttl_streams):
    table = unique_name("ttlstream")
    create_table(ttl_ddb, table, range_key=("sk", "S"), StreamSpecification=stream_spec("NEW_AND_OLD_IMAGES"))
    try:
        arn = ttl_ddb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
        wait_stream_enabled(ttl_streams, arn)
        ttl_ddb.update_time_to_live(
            TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiresAt"}
        )
        wait_until(
            lambda: (
                ttl_ddb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]["TimeToLiveStatus"]
                == "ENABLED"
            ),
            "time to live to be ENABLED",
        )
        pk = unique_key()
        expired = {"pk": S(pk), "sk": S("ttl"), "expiresAt": N(int(time.time()) - 60)}
        ttl_ddb.put_item(TableName=table, Item=expired)
        ttl_ddb.put_item(TableName=table, Item={"pk": S(pk), "sk": S("user")})
        ttl_ddb.delete_item(TableName=table, Key={"pk": S(pk), "sk": S("user")})
        records = records_for(ttl_streams, arn, pk, 4, timeout_s=20.0)
        removes = {r["dynamodb"]["Keys"]["sk"]["S"]: r for r in records if r["eventName"] == "REMOVE"}
        assert set(removes) == {"ttl", "user"}
        by_ttl = removes["ttl"]
        assert by_ttl["userIdentity"] == {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}
        assert by_ttl["dynamodb"]["OldImage"] == expired
        assert "userIdentity" not in removes["user"]
    finally:
        delete_table_quietly(ttl_ddb, table)


# ---- durability -------------------------------------------------------------------------------


@pytest.mark.durability
@pytest.mark.skipif(bool(os.environ.get("FERRODYN_ENDPOINT")), reason="starts its own on-disk ferrodyn")
def test_records_survive_a_kill_and_restart(tmp_path):
    server = FerrodynProcess(["--data-dir", str(tmp_path)]).start()
    restarted = None
    try:
        ddb = make_client(server.endpoint)
        streams = make_streams_client(server.endpoint)
        table = unique_name("durable")
        create_table(ddb, table, StreamSpecification=stream_spec("NEW_IMAGE"))
        arn = ddb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
        wait_stream_enabled(streams, arn)
        for i in range(30):
            ddb.put_item(TableName=table, Item={"pk": S(f"p{i}"), "n": N(i)})
        before = records_of(streams, arn)
        assert len(before) == 30
        server.kill()
        restarted = FerrodynProcess(["--data-dir", str(tmp_path)], port=server.port).start()
        after = records_of(make_streams_client(restarted.endpoint), arn)
        assert [r["dynamodb"] for r in after] == [r["dynamodb"] for r in before]
    finally:
        server.close()
        if restarted is not None:
            restarted.close()

"""Time to live: UpdateTimeToLive and DescribeTimeToLive (status changes, the errors for a change
that repeats the current state, names another attribute or comes too soon, validation), and the
sweep itself: items whose TTL attribute (a Number of epoch seconds) is in the past are deleted
from the table and its indexes, while items whose attribute is in the future, not a Number, more
than five years in the past or absent stay; expired items not deleted yet are still read.

Sources: "Time to Live (TTL)" in the developer guide, and the UpdateTimeToLive and
DescribeTimeToLive API references.

Assumption about the server: `ferrodyn serve` takes `--ttl-sweep-interval-ms <ms>`, the time
between two sweeps of expired items. The sweep tests run against servers of their own started
with it (200 ms through the `ttl_endpoint` fixture; ten minutes for the test that reads expired
items before any sweep), and are skipped against an external FERRODYN_ENDPOINT.
"""

import os
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
    unique_name,
    validation_error,
    wait_until,
)

FIVE_YEARS_S = 5 * 365 * 24 * 3600
# Sweeps every 200 ms delete an expired item within a second or two; this is the safety net.
SWEEP_TIMEOUT_S = 15.0


def describe(ddb, table):
    return ddb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]


def enable(ddb, table, attribute="expiresAt"):
    return ddb.update_time_to_live(
        TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute}
    )


def wait_enabled(ddb, table, attribute="expiresAt"):
    def probe():
        description = describe(ddb, table)
        return description if description["TimeToLiveStatus"] == "ENABLED" else None

    description = wait_until(probe, f"time to live of {table} to be ENABLED")
    assert description["AttributeName"] == attribute


# ---- UpdateTimeToLive / DescribeTimeToLive --------------------------------------------------


def test_a_new_table_has_time_to_live_disabled(ddb, new_table):
    assert describe(ddb, new_table()) == {"TimeToLiveStatus": "DISABLED"}


def test_enable_is_enabling_then_enabled(ddb, new_table):
    table = new_table()
    response = enable(ddb, table)
    assert response["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "expiresAt"}
    description = describe(ddb, table)
    assert description["TimeToLiveStatus"] in ("ENABLING", "ENABLED")
    assert description["AttributeName"] == "expiresAt"
    wait_enabled(ddb, table)


def test_enabling_again_is_refused(ddb, new_table):
    table = new_table()
    enable(ddb, table)
    wait_enabled(ddb, table)
    # UpdateTimeToLive is not idempotent: the same setting again is an error.
    with validation_error("TimeToLive is already enabled"):
        enable(ddb, table)
    with validation_error(
        "TimeToLive is active on a different AttributeName: current AttributeName is expiresAt"
    ):
        enable(ddb, table, "otherAttribute")
    assert describe(ddb, table) == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expiresAt"}


def test_a_second_change_too_soon_is_refused(ddb, new_table):
    # DynamoDB takes up to an hour to process a change and refuses another meanwhile.
    table = new_table()
    enable(ddb, table)
    with validation_error("Time to live has been modified multiple times within a fixed interval"):
        ddb.update_time_to_live(
            TableName=table, TimeToLiveSpecification={"Enabled": False, "AttributeName": "expiresAt"}
        )
    assert describe(ddb, table)["AttributeName"] == "expiresAt"
    wait_enabled(ddb, table)


def test_disabling_when_disabled_is_refused(ddb, new_table):
    table = new_table()
    with validation_error("TimeToLive is already disabled"):
        ddb.update_time_to_live(
            TableName=table, TimeToLiveSpecification={"Enabled": False, "AttributeName": "expiresAt"}
        )
    assert describe(ddb, table) == {"TimeToLiveStatus": "DISABLED"}


def test_missing_table(ddb):
    name = unique_name("missing")
    with client_error("ResourceNotFoundException", f"Requested resource not found: Table: {name} not found"):
        ddb.describe_time_to_live(TableName=name)
    with client_error("ResourceNotFoundException", f"Requested resource not found: Table: {name} not found"):
        enable(ddb, name)


def test_validation(ddb, new_table):
    table = new_table()
    with validation_error("TimeToLiveSpecification.AttributeName must be non empty"):
        enable(ddb, table, "")
    with validation_error(
        "1 validation error detected: Value null at 'timeToLiveSpecification' failed to satisfy "
        "constraint: Member must not be null"
    ):
        ddb.update_time_to_live(TableName=table)
    with validation_error(
        "2 validation errors detected: Value null at 'timeToLiveSpecification.enabled' failed to "
        "satisfy constraint: Member must not be null; Value null at "
        "'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must not be null"
    ):
        ddb.update_time_to_live(TableName=table, TimeToLiveSpecification={})
    long = "a" * 256
    with validation_error(
        f"1 validation error detected: Value '{long}' at 'timeToLiveSpecification.attributeName' "
        "failed to satisfy constraint: Member must have length less than or equal to 255"
    ):
        enable(ddb, table, long)
    with validation_error("The parameter 'TableName' is required but was not present in the request"):
        ddb.describe_time_to_live()
    # The longest name is accepted.
    enable(ddb, table, "a" * 255)
    assert describe(ddb, table)["AttributeName"] == "a" * 255


# ---- the sweep ----------------------------------------------------------------------------------


@pytest.fixture
def ttl_table(ttl_ddb):
    """A table on the fast-sweeping server with a global index on `kind` and time to live on
    `expiresAt`, ENABLED."""
    name = unique_name("ttl")
    create_table(
        ttl_ddb,
        name,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "kind", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_kind",
                "KeySchema": [{"AttributeName": "kind", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
    )
    enable(ttl_ddb, name)
    wait_enabled(ttl_ddb, name)
    yield name
    delete_table_quietly(ttl_ddb, name)


def exists(ddb, table, pk):
    return "Item" in ddb.get_item(TableName=table, Key={"pk": S(pk)}, ConsistentRead=True)


def test_expired_items_are_deleted_and_the_others_stay(ttl_ddb, ttl_table):
    now = int(time.time())
    doomed = {
        "past": N(now - 3600),
        "fraction": N(f"{now - 100}.5"),
        "soon": N(now + 2),
    }
    kept = {
        "future": N(now + 3600),
        "string": S(str(now - 3600)),
        "ancient": N(now - FIVE_YEARS_S - 86400),
        "list": {"L": [N(now - 3600)]},
    }
    for pk, expires in {**doomed, **kept}.items():
        ttl_ddb.put_item(TableName=ttl_table, Item={"pk": S(pk), "kind": S("k"), "expiresAt": expires})
    ttl_ddb.put_item(TableName=ttl_table, Item={"pk": S("absent"), "kind": S("k")})
    ttl_ddb.put_item(TableName=ttl_table, Item={"pk": S("other"), "kind": S("k"), "ttl": N(now - 3600)})

    wait_until(
        lambda: not any(exists(ttl_ddb, ttl_table, pk) for pk in doomed),
        "the expired items to be deleted",
        timeout_s=SWEEP_TIMEOUT_S,
    )
    survivors = {item["pk"]["S"] for item in ttl_ddb.scan(TableName=ttl_table, ConsistentRead=True)["Items"]}
    assert survivors == set(kept) | {"absent", "other"}
    # Deletions reach the indexes too.
    indexed = ttl_ddb.query(
        TableName=ttl_table,
        IndexName="by_kind",
        KeyConditionExpression="kind = :k",
        ExpressionAttributeValues={":k": S("k")},
    )["Items"]
    assert {item["pk"]["S"] for item in indexed} == survivors


def test_only_tables_with_time_to_live_are_swept(ttl_ddb, ttl_table):
    plain = unique_name("nottl")
    create_table(ttl_ddb, plain)
    try:
        past = N(int(time.time()) - 3600)
        ttl_ddb.put_item(TableName=plain, Item={"pk": S("p"), "expiresAt": past})
        ttl_ddb.put_item(TableName=ttl_table, Item={"pk": S("p"), "expiresAt": past})
        wait_until(
            lambda: not exists(ttl_ddb, ttl_table, "p"), "the expired item to be deleted", SWEEP_TIMEOUT_S
        )
        # A sweep has run since; the table without time to live kept its item.
        assert exists(ttl_ddb, plain, "p")
    finally:
        delete_table_quietly(ttl_ddb, plain)


def test_an_item_written_with_a_later_expiry_stays(ttl_ddb, ttl_table):
    now = int(time.time())
    ttl_ddb.put_item(TableName=ttl_table, Item={"pk": S("renewed"), "expiresAt": N(now + 1)})
    # Renewed before it expires: the sweep must judge the item as it is, not as it was.
    ttl_ddb.update_item(
        TableName=ttl_table,
        Key={"pk": S("renewed")},
        UpdateExpression="SET expiresAt = :e",
        ExpressionAttributeValues={":e": N(now + 3600)},
    )
    ttl_ddb.put_item(TableName=ttl_table, Item={"pk": S("marker"), "expiresAt": N(now + 1)})
    wait_until(lambda: not exists(ttl_ddb, ttl_table, "marker"), "the marker to expire", SWEEP_TIMEOUT_S)
    assert exists(ttl_ddb, ttl_table, "renewed")


@pytest.fixture(scope="module")
def slow_sweep_ddb():
    """A server whose sweeper waits ten minutes between sweeps: expired items stay for the
    length of a test."""
    if os.environ.get("FERRODYN_ENDPOINT"):
        pytest.skip("needs a server started with --ttl-sweep-interval-ms")
    server = FerrodynProcess(["--in-memory", "--ttl-sweep-interval-ms", "600000"]).start()
    try:
        yield make_client(server.endpoint)
    finally:
        server.close()


def test_expired_items_not_deleted_yet_are_still_read(slow_sweep_ddb):
    ddb = slow_sweep_ddb
    table = unique_name("ttl")
    create_table(ddb, table)
    enable(ddb, table)
    wait_enabled(ddb, table)
    past = N(int(time.time()) - 3600)
    ddb.put_item(TableName=table, Item={"pk": S("expired"), "expiresAt": past, "v": N(1)})
    assert ddb.get_item(TableName=table, Key={"pk": S("expired")})["Item"]["v"] == N(1)
    assert ddb.scan(TableName=table)["Count"] == 1
    response = ddb.query(
        TableName=table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": S("expired")},
    )
    assert response["Count"] == 1
    # Conditions see it too: it exists until it is deleted.
    with client_error("ConditionalCheckFailedException"):
        ddb.put_item(
            TableName=table,
            Item={"pk": S("expired")},
            ConditionExpression="attribute_not_exists(pk)",
        )

"""Edges of global secondary indexes and billing modes: an index's own provisioned throughput
exists exactly when its table is billed PROVISIONED (on creation with UpdateTable, on updates,
and when the table switches to on-demand), and the 100 NonKeyAttributes a table's indexes may
project between them.

Sources: the UpdateTable, CreateTable, Projection and GlobalSecondaryIndexDescription API
references; "Managing global secondary indexes" and "Constraints" (secondary indexes) in the
developer guide.
"""

import pytest
from support import index_description, validation_error, wait_for_index_status, wait_until

THROUGHPUT = {"ReadCapacityUnits": 2, "WriteCapacityUnits": 3}
ON_DEMAND_THROUGHPUT = {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 0, "WriteCapacityUnits": 0}


def definitions(**types):
    return [{"AttributeName": name, "AttributeType": kind} for name, kind in types.items()]


def gsi(name, hash_key, projection=None, **extra):
    return {
        "IndexName": name,
        "KeySchema": [{"AttributeName": hash_key, "KeyType": "HASH"}],
        "Projection": projection or {"ProjectionType": "KEYS_ONLY"},
        **extra,
    }


def include(*attributes):
    return {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(attributes)}


# ---- provisioned throughput of global indexes ------------------------------------------------


def test_new_global_index_of_an_on_demand_table_takes_no_throughput(ddb, new_table):
    table = new_table(("pk", "S"), AttributeDefinitions=definitions(pk="S"))
    with validation_error(
        "One or more parameter values were invalid: Neither ReadCapacityUnits nor "
        "WriteCapacityUnits can be specified for index: by_owner when BillingMode is PAY_PER_REQUEST"
    ):
        ddb.update_table(
            TableName=table,
            AttributeDefinitions=definitions(owner="S"),
            GlobalSecondaryIndexUpdates=[
                {"Create": gsi("by_owner", "owner", ProvisionedThroughput=THROUGHPUT)}
            ],
        )
    assert index_description(ddb, table, "by_owner") is None
    # Without throughput it is created.
    ddb.update_table(
        TableName=table,
        AttributeDefinitions=definitions(owner="S"),
        GlobalSecondaryIndexUpdates=[{"Create": gsi("by_owner", "owner")}],
    )
    described = wait_for_index_status(ddb, table, "by_owner")
    assert described["ProvisionedThroughput"] == ON_DEMAND_THROUGHPUT


def test_global_index_of_an_on_demand_table_cannot_be_given_throughput(ddb, new_table):
    table = new_table(
        ("pk", "S"),
        AttributeDefinitions=definitions(pk="S", owner="S"),
        GlobalSecondaryIndexes=[gsi("by_owner", "owner")],
    )
    with validation_error():
        ddb.update_table(
            TableName=table,
            GlobalSecondaryIndexUpdates=[
                {"Update": {"IndexName": "by_owner", "ProvisionedThroughput": THROUGHPUT}}
            ],
        )
    described = index_description(ddb, table, "by_owner")
    assert described["ProvisionedThroughput"] == ON_DEMAND_THROUGHPUT


def test_new_global_index_of_a_provisioned_table_needs_throughput(ddb, new_table):
    table = new_table(("pk", "S"), AttributeDefinitions=definitions(pk="S"), ProvisionedThroughput=THROUGHPUT)
    with validation_error():
        ddb.update_table(
            TableName=table,
            AttributeDefinitions=definitions(owner="S"),
            GlobalSecondaryIndexUpdates=[{"Create": gsi("by_owner", "owner")}],
        )
    assert index_description(ddb, table, "by_owner") is None
    ddb.update_table(
        TableName=table,
        AttributeDefinitions=definitions(owner="S"),
        GlobalSecondaryIndexUpdates=[{"Create": gsi("by_owner", "owner", ProvisionedThroughput=THROUGHPUT)}],
    )
    described = wait_for_index_status(ddb, table, "by_owner")
    assert described["ProvisionedThroughput"]["ReadCapacityUnits"] == 2
    assert described["ProvisionedThroughput"]["WriteCapacityUnits"] == 3


def test_switching_to_on_demand_drops_the_throughput_of_global_indexes(ddb, new_table):
    table = new_table(
        ("pk", "S"),
        AttributeDefinitions=definitions(pk="S", owner="S"),
        ProvisionedThroughput=THROUGHPUT,
        GlobalSecondaryIndexes=[gsi("by_owner", "owner", ProvisionedThroughput=THROUGHPUT)],
    )
    ddb.update_table(TableName=table, BillingMode="PAY_PER_REQUEST")

    def switched():
        desc = ddb.describe_table(TableName=table)["Table"]
        return desc if desc["TableStatus"] == "ACTIVE" else None

    desc = wait_until(switched, f"{table} to be ACTIVE")
    assert desc["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert desc["ProvisionedThroughput"]["ReadCapacityUnits"] == 0
    [described] = desc["GlobalSecondaryIndexes"]
    assert described["ProvisionedThroughput"] == ON_DEMAND_THROUGHPUT


# ---- projections --------------------------------------------------------------------------------


def test_indexes_project_at_most_100_non_key_attributes_in_total(ddb, new_table, table_names):
    def indexes(count):
        # Twenty attributes each (the most one index takes); the same names in every index
        # count again for each.
        names = [f"attr{j:02d}" for j in range(20)]
        return [gsi(f"by_owner{i}", "owner", include(*names)) for i in range(count)]

    with validation_error():
        ddb.create_table(
            TableName=table_names(),
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=definitions(pk="S", owner="S"),
            GlobalSecondaryIndexes=indexes(6),
            BillingMode="PAY_PER_REQUEST",
        )
    # Exactly 100 is allowed, and ALL projections do not count.
    table = new_table(
        ("pk", "S"),
        AttributeDefinitions=definitions(pk="S", owner="S"),
        GlobalSecondaryIndexes=indexes(5) + [gsi("by_owner_all", "owner", {"ProjectionType": "ALL"})],
    )
    assert len(ddb.describe_table(TableName=table)["Table"]["GlobalSecondaryIndexes"]) == 6

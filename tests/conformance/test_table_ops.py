"""DescribeTable, ListTables paging, DeleteTable, UpdateTable (billing and throughput), tagging,
DescribeLimits and DescribeEndpoints, checked against DynamoDB's API reference for each.
"""

import datetime

import pytest
from botocore.exceptions import ClientError

from support import (
    client_error,
    create_table,
    full_scan,
    unique_name,
    validation_error,
    wait_for_status,
    wait_until_gone,
)


def not_found(table):
    return client_error(
        "ResourceNotFoundException", f"Requested resource not found: Table: {table} not found"
    )


# ---- DescribeTable ----------------------------------------------------------------------------


def test_describe_table_fields(ddb, new_table):
    name = new_table(("pk", "S"), ("sk", "N"))
    desc = ddb.describe_table(TableName=name)["Table"]
    assert desc["TableName"] == name
    assert desc["TableStatus"] == "ACTIVE"
    assert desc["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert {d["AttributeName"]: d["AttributeType"] for d in desc["AttributeDefinitions"]} == {
        "pk": "S",
        "sk": "N",
    }
    arn = desc["TableArn"]
    assert arn.startswith("arn:aws:dynamodb:us-east-1:") and arn.endswith(f":table/{name}")
    assert isinstance(desc["CreationDateTime"], datetime.datetime)
    age = datetime.datetime.now(datetime.timezone.utc) - desc["CreationDateTime"]
    assert datetime.timedelta(seconds=-60) < age < datetime.timedelta(minutes=10)
    assert desc["ItemCount"] == 0
    assert desc["TableSizeBytes"] == 0
    assert desc["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    # On-demand tables report zero provisioned units.
    assert desc["ProvisionedThroughput"]["ReadCapacityUnits"] == 0
    assert desc["ProvisionedThroughput"]["WriteCapacityUnits"] == 0
    assert len(desc["TableId"]) == 36 and desc["TableId"].count("-") == 4


def test_describe_missing_table(ddb):
    name = unique_name("missing")
    with not_found(name):
        ddb.describe_table(TableName=name)


def test_describe_counts_items(ddb, new_table):
    # DynamoDB refreshes ItemCount and TableSizeBytes about every six hours, so only a fresh
    # table's zero is exact; after writes the figures may lag but must never be negative.
    name = new_table()
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "v": {"S": "x" * 100}})
    desc = ddb.describe_table(TableName=name)["Table"]
    assert desc["ItemCount"] in (0, 1)
    assert desc["TableSizeBytes"] >= 0


# ---- ListTables -------------------------------------------------------------------------------


def test_list_tables_pages_in_name_order(ddb):
    prefix = unique_name("list")
    names = [f"{prefix}-{i}" for i in (3, 0, 4, 1, 2)]
    try:
        for name in names:
            create_table(ddb, name)
        seen = []
        pages = 0
        params = {"Limit": 2}
        while True:
            page = ddb.list_tables(**params)
            pages += 1
            assert len(page["TableNames"]) <= 2
            seen.extend(page["TableNames"])
            if "LastEvaluatedTableName" not in page:
                break
            assert page["LastEvaluatedTableName"] == page["TableNames"][-1]
            params["ExclusiveStartTableName"] = page["LastEvaluatedTableName"]
        assert len(seen) == len(set(seen)), "a table was listed twice"
        assert seen == sorted(seen), "ListTables returns names in ascending order"
        assert [n for n in seen if n.startswith(prefix)] == sorted(names)
        assert pages >= 3
    finally:
        for name in names:
            ddb.delete_table(TableName=name)


def test_list_tables_exclusive_start_is_exclusive(ddb):
    prefix = unique_name("excl")
    names = [f"{prefix}-a", f"{prefix}-b"]
    try:
        for name in names:
            create_table(ddb, name)
        page = ddb.list_tables(ExclusiveStartTableName=names[0], Limit=1)
        assert page["TableNames"] == [names[1]]
    finally:
        for name in names:
            ddb.delete_table(TableName=name)


def test_list_tables_limit_bounds(ddb):
    with validation_error(
        match="Value '101' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100"
    ):
        ddb.list_tables(Limit=101)
    with validation_error(
        match="Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"
    ):
        ddb.list_tables(Limit=0)


# ---- DeleteTable ------------------------------------------------------------------------------


def test_delete_table_then_not_found(ddb):
    name = unique_name("del")
    create_table(ddb, name)
    desc = ddb.delete_table(TableName=name)["TableDescription"]
    assert desc["TableName"] == name
    assert desc["TableStatus"] == "DELETING"
    assert desc["TableArn"].endswith(f":table/{name}")
    wait_until_gone(ddb, name)
    with not_found(name):
        ddb.describe_table(TableName=name)
    with not_found(name):
        ddb.delete_table(TableName=name)
    with client_error("ResourceNotFoundException"):
        ddb.get_item(TableName=name, Key={"pk": {"S": "a"}})
    assert name not in ddb.list_tables()["TableNames"]


def test_delete_removes_data(ddb):
    name = unique_name("del")
    create_table(ddb, name)
    for i in range(5):
        ddb.put_item(TableName=name, Item={"pk": {"S": f"item{i}"}})
    ddb.delete_table(TableName=name)
    wait_until_gone(ddb, name)
    create_table(ddb, name)
    try:
        assert full_scan(ddb, name) == []
        assert "Item" not in ddb.get_item(TableName=name, Key={"pk": {"S": "item0"}}, ConsistentRead=True)
    finally:
        ddb.delete_table(TableName=name)


def test_item_operations_on_missing_table(ddb):
    name = unique_name("missing")
    key = {"pk": {"S": "a"}}
    for call in (
        lambda: ddb.get_item(TableName=name, Key=key),
        lambda: ddb.put_item(TableName=name, Item=key),
        lambda: ddb.delete_item(TableName=name, Key=key),
        lambda: ddb.update_item(TableName=name, Key=key),
        lambda: ddb.scan(TableName=name),
        lambda: ddb.query(
            TableName=name,
            KeyConditionExpression="pk = :v",
            ExpressionAttributeValues={":v": {"S": "a"}},
        ),
    ):
        with client_error("ResourceNotFoundException", "Requested resource not found"):
            call()


# ---- UpdateTable ------------------------------------------------------------------------------


def test_update_provisioned_throughput(ddb, new_table):
    name = new_table(ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
    desc = ddb.update_table(
        TableName=name, ProvisionedThroughput={"ReadCapacityUnits": 10, "WriteCapacityUnits": 2}
    )["TableDescription"]
    assert desc["TableName"] == name
    desc = wait_for_status(ddb, name)
    assert desc["ProvisionedThroughput"]["ReadCapacityUnits"] == 10
    assert desc["ProvisionedThroughput"]["WriteCapacityUnits"] == 2


def test_update_same_throughput_rejected(ddb, new_table):
    name = new_table(ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
    with validation_error(
        "The provisioned throughput for the table will not change. The requested value equals the "
        "current value. Current ReadCapacityUnits provisioned for the table: 5. Requested "
        "ReadCapacityUnits: 5. Current WriteCapacityUnits provisioned for the table: 5. Requested "
        "WriteCapacityUnits: 5. Refer to the Amazon DynamoDB Developer Guide for current limits "
        "and how to request higher limits."
    ):
        ddb.update_table(
            TableName=name, ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
        )


def test_switch_to_on_demand(ddb, new_table):
    name = new_table(ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}})
    ddb.update_table(TableName=name, BillingMode="PAY_PER_REQUEST")
    desc = wait_for_status(ddb, name)
    assert desc["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert "LastUpdateToPayPerRequestDateTime" in desc["BillingModeSummary"]
    # Data stays readable across the switch.
    assert ddb.get_item(TableName=name, Key={"pk": {"S": "a"}}, ConsistentRead=True)["Item"]


def test_switch_to_provisioned(ddb, new_table):
    # One switch per table: DynamoDB allows switching capacity modes once every 24 hours.
    name = new_table()
    ddb.update_table(
        TableName=name,
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 4, "WriteCapacityUnits": 3},
    )
    desc = wait_for_status(ddb, name)
    assert desc["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    assert desc["ProvisionedThroughput"]["ReadCapacityUnits"] == 4
    assert desc["ProvisionedThroughput"]["WriteCapacityUnits"] == 3
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}})


def test_update_on_demand_with_throughput_rejected(ddb, new_table):
    name = new_table()
    with validation_error(
        "One or more parameter values were invalid: Neither ReadCapacityUnits nor "
        "WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"
    ):
        ddb.update_table(
            TableName=name, ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
        )


def test_update_to_provisioned_requires_throughput(ddb, new_table):
    name = new_table()
    with validation_error(match="ProvisionedThroughput|ReadCapacityUnits"):
        ddb.update_table(TableName=name, BillingMode="PROVISIONED")


def test_update_with_nothing_to_change(ddb, new_table):
    name = new_table()
    with validation_error(match="^At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled"):
        ddb.update_table(TableName=name)


def test_update_missing_table(ddb):
    name = unique_name("missing")
    with client_error("ResourceNotFoundException", match=name):
        ddb.update_table(TableName=name, BillingMode="PAY_PER_REQUEST")


def test_update_zero_capacity_rejected(ddb, new_table):
    name = new_table(ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
    with validation_error(match="provisionedThroughput.readCapacityUnits.*greater than or equal to 1"):
        ddb.update_table(
            TableName=name, ProvisionedThroughput={"ReadCapacityUnits": 0, "WriteCapacityUnits": 5}
        )


# ---- tags ---------------------------------------------------------------------------------------


def test_tag_untag_list(ddb, new_table):
    name = new_table()
    arn = ddb.describe_table(TableName=name)["Table"]["TableArn"]
    assert ddb.list_tags_of_resource(ResourceArn=arn).get("Tags", []) == []
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    # Tagging an existing key replaces its value.
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "a", "Value": "3"}])
    tags = ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]
    assert sorted(tags, key=lambda t: t["Key"]) == [
        {"Key": "a", "Value": "3"},
        {"Key": "b", "Value": "2"},
    ]
    # Removing a key that is not there is not an error.
    ddb.untag_resource(ResourceArn=arn, TagKeys=["b", "never-set"])
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "a", "Value": "3"}]


def test_tags_of_missing_table(ddb, new_table):
    name = new_table()
    arn = ddb.describe_table(TableName=name)["Table"]["TableArn"]
    missing_arn = arn.rsplit("/", 1)[0] + "/" + unique_name("missing")
    with client_error("ResourceNotFoundException", match="Requested resource not found"):
        ddb.list_tags_of_resource(ResourceArn=missing_arn)
    with client_error("ResourceNotFoundException", match="Requested resource not found"):
        ddb.tag_resource(ResourceArn=missing_arn, Tags=[{"Key": "a", "Value": "1"}])
    with client_error("ResourceNotFoundException", match="Requested resource not found"):
        ddb.untag_resource(ResourceArn=missing_arn, TagKeys=["a"])


def test_tags_with_malformed_arn(ddb):
    # An ARN that is not a table's. (A string that is no ARN at all fails IAM authorisation on
    # DynamoDB before DynamoDB looks at it; there is no IAM here, so that case is not asserted.)
    arn = "arn:aws:dynamodb:us-east-1:000000000000:tablex/abc"
    with validation_error(match="Invalid TableArn|Invalid resource arn provided"):
        ddb.list_tags_of_resource(ResourceArn=arn)
    with validation_error(match="Invalid TableArn|Invalid resource arn provided"):
        ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "a", "Value": "1"}])


def test_tag_resource_requires_tags(ddb, new_table):
    name = new_table()
    arn = ddb.describe_table(TableName=name)["Table"]["TableArn"]
    with validation_error():
        ddb.tag_resource(ResourceArn=arn, Tags=[])
    with validation_error():
        ddb.untag_resource(ResourceArn=arn, TagKeys=[])


def test_tag_value_too_long(ddb, new_table):
    name = new_table()
    arn = ddb.describe_table(TableName=name)["Table"]["TableArn"]
    with validation_error(match="(?i)value.*256"):
        ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "a", "Value": "v" * 257}])


def test_at_most_fifty_tags(ddb, new_table):
    name = new_table()
    arn = ddb.describe_table(TableName=name)["Table"]["TableArn"]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    # The API reference allows either error type for the 50-tag limit; the tags must not change.
    with pytest.raises(ClientError) as caught:
        ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "one-too-many", "Value": "v"}])
    assert caught.value.response["Error"]["Code"] in ("ValidationException", "LimitExceededException")
    assert len(ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]) == 50


# ---- DescribeLimits / DescribeEndpoints ---------------------------------------------------------


def test_describe_limits(ddb):
    limits = ddb.describe_limits()
    for field in (
        "AccountMaxReadCapacityUnits",
        "AccountMaxWriteCapacityUnits",
        "TableMaxReadCapacityUnits",
        "TableMaxWriteCapacityUnits",
    ):
        assert isinstance(limits[field], int) and limits[field] > 0
    assert limits["TableMaxReadCapacityUnits"] <= limits["AccountMaxReadCapacityUnits"]
    assert limits["TableMaxWriteCapacityUnits"] <= limits["AccountMaxWriteCapacityUnits"]


def test_describe_endpoints(ddb):
    endpoints = ddb.describe_endpoints()["Endpoints"]
    assert len(endpoints) >= 1
    for endpoint in endpoints:
        assert isinstance(endpoint["Address"], str) and endpoint["Address"]
        assert endpoint["CachePeriodInMinutes"] == 1440

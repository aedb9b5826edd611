"""A table's ARN in place of its name.

Every operation of DynamoDB that names one table (CreateTable, DescribeTable, UpdateTable,
DeleteTable, PutItem, GetItem, UpdateItem, DeleteItem, Query, Scan, UpdateTimeToLive,
DescribeTimeToLive) takes in `TableName` the table's name or its ARN, and the batch operations
take either as the keys of `RequestItems`; a batch's answers (`Responses`, `UnprocessedKeys`,
`UnprocessedItems`) are maps of "table name or table ARN", as the request named the table.
Sources: the API reference of each operation ("You can also provide the Amazon Resource Name
(ARN) of the table in this parameter") and the BatchGetItem and BatchWriteItem references.

What an ARN that names no table of the endpoint gets is not documented; these tests hold only to
the error type: an ARN of another region, or of an index rather than a table, is a
ValidationException (as the tagging operations answer it), and a table of another account is not
found.
"""

import pytest

from support import N, S, client_error, validation_error


@pytest.fixture
def arn_table(ddb, new_table):
    """A table keyed by pk (S) and sk (N): (name, ARN)."""
    name = new_table(hash_key=("pk", "S"), range_key=("sk", "N"))
    arn = ddb.describe_table(TableName=name)["Table"]["TableArn"]
    return name, arn


def test_describe_table_by_arn_is_the_same_table(ddb, arn_table):
    name, arn = arn_table
    described = ddb.describe_table(TableName=arn)["Table"]
    assert described["TableName"] == name
    assert described["TableArn"] == arn


def test_item_operations_by_arn_read_and_write_the_named_table(ddb, arn_table):
    name, arn = arn_table
    ddb.put_item(TableName=arn, Item={"pk": S("a"), "sk": N(1), "v": S("one")})
    assert ddb.get_item(TableName=name, Key={"pk": S("a"), "sk": N(1)})["Item"]["v"] == S("one")
    ddb.update_item(
        TableName=arn,
        Key={"pk": S("a"), "sk": N(1)},
        UpdateExpression="SET v = :v",
        ExpressionAttributeValues={":v": S("two")},
    )
    got = ddb.get_item(TableName=arn, Key={"pk": S("a"), "sk": N(1)}, ConsistentRead=True)
    assert got["Item"]["v"] == S("two")
    queried = ddb.query(
        TableName=arn,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": S("a")},
    )
    assert queried["Count"] == 1
    assert ddb.scan(TableName=arn)["Count"] == 1
    ddb.delete_item(TableName=arn, Key={"pk": S("a"), "sk": N(1)})
    assert "Item" not in ddb.get_item(TableName=name, Key={"pk": S("a"), "sk": N(1)})


def test_batch_answers_are_keyed_as_the_request_named_each_table(ddb, arn_table, new_table):
    name, arn = arn_table
    other = new_table()
    ddb.batch_write_item(
        RequestItems={
            arn: [{"PutRequest": {"Item": {"pk": S("b"), "sk": N(i)}}} for i in range(3)],
            other: [{"PutRequest": {"Item": {"pk": S("b")}}}],
        }
    )
    assert (
        ddb.query(
            TableName=name,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": S("b")},
            ConsistentRead=True,
        )["Count"]
        == 3
    )
    answer = ddb.batch_get_item(
        RequestItems={
            arn: {"Keys": [{"pk": S("b"), "sk": N(i)} for i in range(3)], "ConsistentRead": True},
            other: {"Keys": [{"pk": S("b")}], "ConsistentRead": True},
        }
    )
    assert sorted(answer["Responses"]) == sorted([arn, other])
    assert len(answer["Responses"][arn]) == 3
    assert len(answer["Responses"][other]) == 1
    assert answer["UnprocessedKeys"] == {}


def test_time_to_live_and_update_table_by_arn(ddb, arn_table):
    name, arn = arn_table
    ddb.update_time_to_live(
        TableName=arn,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"},
    )
    described = ddb.describe_time_to_live(TableName=arn)["TimeToLiveDescription"]
    assert described["AttributeName"] == "expires"
    by_name = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert by_name["AttributeName"] == "expires"
    updated = ddb.update_table(
        TableName=arn,
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 4},
    )["TableDescription"]
    assert updated["TableName"] == name


def test_create_and_delete_table_by_arn(ddb, arn_table, table_names):
    _, known = arn_table
    name = table_names("byarn")
    arn = known.rsplit("/", 1)[0] + "/" + name
    created = ddb.create_table(
        TableName=arn,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )["TableDescription"]
    assert created["TableName"] == name
    assert created["TableArn"] == arn
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1})
    deleted = ddb.delete_table(TableName=arn)["TableDescription"]
    assert deleted["TableName"] == name


def test_arns_that_name_no_table_of_the_endpoint(ddb, arn_table):
    _, arn = arn_table
    parts = arn.split(":")
    other_region = ":".join(parts[:3] + ["eu-west-3" if parts[3] != "eu-west-3" else "us-west-2"] + parts[4:])
    with validation_error():
        ddb.describe_table(TableName=other_region)
    with validation_error():
        ddb.get_item(TableName=f"{arn}/index/byother", Key={"pk": S("a"), "sk": N(1)})
    with validation_error():
        ddb.describe_table(TableName="arn:aws:s3:::bucket")
    other_account = ":".join(parts[:4] + ["999999999999"] + parts[5:])
    with client_error("ResourceNotFoundException"):
        ddb.describe_table(TableName=other_account)
    missing = arn.rsplit("/", 1)[0] + "/no-such-table-here"
    with client_error("ResourceNotFoundException"):
        ddb.describe_table(TableName=missing)


def test_one_table_by_name_and_by_arn_in_one_batch_is_refused(ddb, arn_table):
    name, arn = arn_table
    with validation_error():
        ddb.batch_get_item(
            RequestItems={
                name: {"Keys": [{"pk": S("c"), "sk": N(1)}]},
                arn: {"Keys": [{"pk": S("c"), "sk": N(2)}]},
            }
        )

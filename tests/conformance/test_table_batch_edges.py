"""Edges of the table-level operations and of the batch operations.

Tags: the characters TagResource takes, the `aws:` prefix in either case, and the 50-tag limit
counted after the merge and on UntagResource's keys. Sources: "Tagging restrictions in DynamoDB" in
the developer guide (allowed characters, at most 50 tags, the reserved `aws:` prefix) and the
TagResource and UntagResource API references. An ARN that cannot name one of the endpoint's tables
(a table name no table can have, another region) is an invalid ARN rather than a missing table,
as DynamoDB answers it (ValidationException 'Invalid TableArn').

Time to live: a table has one TTL attribute, so disabling names it; another name is refused before
the limit on how often the setting may change applies. Sources: the UpdateTimeToLive API reference
and "Time to Live (TTL)" in the developer guide (changing the attribute takes a disable, then an
enable).

BatchWriteItem with ReturnItemCollectionMetrics=SIZE reports, per table with local secondary
indexes, the item collection (partition key and size estimate) each put or delete touched. Source:
the BatchWriteItem API reference (ItemCollectionMetrics).

Provisioned capacity: one table may have at most the TableMaxReadCapacityUnits and
TableMaxWriteCapacityUnits that DescribeLimits reports (40,000 each by default); more is
LimitExceededException, from CreateTable and UpdateTable alike. Sources: "Service, account, and
table quotas in Amazon DynamoDB" and the CreateTable, UpdateTable and DescribeLimits API references.
The same quotas page allows four decreases of a table's provisioned throughput at any time of a
UTC day and one more each hour after that; a decrease past that budget is LimitExceededException,
and DescribeTable counts the day's decreases in NumberOfDecreasesToday.
"""

import pytest

from support import S, client_error, keys, unique_key, validation_error, wait_until, wait_until_gone

NUMBER_OF_TAGS = "Number of Tags exceed the current limit for the provided ResourceArn"


def table_arn(ddb, name):
    return ddb.describe_table(TableName=name)["Table"]["TableArn"]


def tags_of(ddb, arn):
    return {tag["Key"]: tag["Value"] for tag in ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]}


# ---- TagResource / UntagResource ----------------------------------------------------------------


def test_tags_take_letters_of_any_script_digits_spaces_and_the_listed_punctuation(ddb, new_table):
    arn = table_arn(ddb, new_table())
    tags = [
        {"Key": "ключ", "Value": "café 表"},
        {"Key": "team name 2", "Value": "a+b-c=d.e_f:g/h"},
        {"Key": "x", "Value": ""},
    ]
    ddb.tag_resource(ResourceArn=arn, Tags=tags)
    assert tags_of(ddb, arn) == {tag["Key"]: tag["Value"] for tag in tags}


@pytest.mark.parametrize("key", ["bad#char", "a,b", "100%", "a;b", "a*b", "(x)", "<a>"])
def test_tag_key_with_other_punctuation_is_refused(ddb, new_table, key):
    arn = table_arn(ddb, new_table())
    with validation_error(f"The Tag Key provided is invalid, Key: {key}"):
        ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "good", "Value": "v"}, {"Key": key, "Value": "v"}])
    # All or nothing: the good tag was not applied either.
    assert tags_of(ddb, arn) == {}


@pytest.mark.parametrize("value", ["bad#char", "a,b", "it's", "a&b", "a|b"])
def test_tag_value_with_other_punctuation_is_refused(ddb, new_table, value):
    arn = table_arn(ddb, new_table())
    with validation_error(f"The Tag Value provided is invalid, Value: {value}"):
        ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "k", "Value": value}])
    assert tags_of(ddb, arn) == {}


def test_create_table_checks_tag_characters_too(ddb, table_names):
    with validation_error("The Tag Key provided is invalid, Key: bad#char"):
        ddb.create_table(
            TableName=table_names(),
            KeySchema=keys(("pk", "HASH")),
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            Tags=[{"Key": "bad#char", "Value": "v"}],
        )


@pytest.mark.parametrize("key", ["aws:foo", "AWS:foo", "Aws:foo"])
def test_aws_prefix_is_reserved_in_any_case(ddb, new_table, key):
    arn = table_arn(ddb, new_table())
    with validation_error(f"Tag Key cannot be prefixed with aws:, Key: {key}"):
        ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": key, "Value": "v"}])
    with validation_error(f"Tag Key cannot be prefixed with aws:, Key: {key}"):
        ddb.untag_resource(ResourceArn=arn, TagKeys=[key])
    # A key that merely contains the prefix is an ordinary key.
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "myaws:foo", "Value": "v"}])
    assert tags_of(ddb, arn) == {"myaws:foo": "v"}


def test_fifty_tags_counted_after_the_merge(ddb, new_table):
    arn = table_arn(ddb, new_table())
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": f"k{i:02}", "Value": "v"} for i in range(50)])
    # A new key on top of fifty is one too many, even together with an overwrite.
    with validation_error(NUMBER_OF_TAGS):
        ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "k51", "Value": "v"}])
    with validation_error(NUMBER_OF_TAGS):
        ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "k00", "Value": "new"}, {"Key": "k51", "Value": "v"}])
    assert len(tags_of(ddb, arn)) == 50
    assert tags_of(ddb, arn)["k00"] == "v"
    # Overwriting all fifty keeps the count at fifty.
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": f"k{i:02}", "Value": "w"} for i in range(50)])
    assert set(tags_of(ddb, arn).values()) == {"w"}


def test_untag_takes_at_most_fifty_keys(ddb, new_table):
    arn = table_arn(ddb, new_table())
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "keep", "Value": "v"}])
    with validation_error(NUMBER_OF_TAGS):
        ddb.untag_resource(ResourceArn=arn, TagKeys=[f"k{i}" for i in range(51)] + ["keep"])
    assert tags_of(ddb, arn) == {"keep": "v"}
    ddb.untag_resource(ResourceArn=arn, TagKeys=[f"k{i}" for i in range(49)] + ["keep"])
    assert tags_of(ddb, arn) == {}


def tagging_calls(ddb, arn):
    return [
        lambda: ddb.list_tags_of_resource(ResourceArn=arn),
        lambda: ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "k", "Value": "v"}]),
        lambda: ddb.untag_resource(ResourceArn=arn, TagKeys=["k"]),
    ]


@pytest.mark.parametrize("table", ["ab", "bad name", "x" * 256])
def test_tagging_an_arn_of_an_impossible_table_name(ddb, new_table, table):
    arn = table_arn(ddb, new_table()).rsplit("/", 1)[0] + "/" + table
    for call in tagging_calls(ddb, arn):
        with validation_error(f"Invalid TableArn: Invalid ResourceArn provided as input {arn}"):
            call()


def test_tagging_an_arn_of_another_region(ddb, new_table):
    arn = table_arn(ddb, new_table())
    region = arn.split(":")[3]
    other = arn.replace(f":{region}:", ":eu-west-3:" if region != "eu-west-3" else ":us-east-2:", 1)
    for call in tagging_calls(ddb, other):
        with validation_error(f"Invalid TableArn: Invalid ResourceArn provided as input {other}"):
            call()


# ---- UpdateTimeToLive -----------------------------------------------------------------------------


def test_disabling_time_to_live_under_another_attribute_is_refused(ddb, new_table):
    table = new_table()
    ddb.update_time_to_live(
        TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiresAt"}
    )
    with validation_error(
        "TimeToLive is active on a different AttributeName: current AttributeName is expiresAt"
    ):
        ddb.update_time_to_live(
            TableName=table, TimeToLiveSpecification={"Enabled": False, "AttributeName": "other"}
        )

    def enabled():
        description = ddb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
        return description if description["TimeToLiveStatus"] == "ENABLED" else None

    assert wait_until(enabled, "time to live to be ENABLED")["AttributeName"] == "expiresAt"


# ---- BatchWriteItem: ItemCollectionMetrics --------------------------------------------------------


@pytest.fixture
def local_index_table(ddb, new_table):
    return new_table(
        ("pk", "S"),
        ("sk", "S"),
        AttributeDefinitions=[{"AttributeName": name, "AttributeType": "S"} for name in ("pk", "sk", "alt")],
        LocalSecondaryIndexes=[
            {
                "IndexName": "by_alt",
                "KeySchema": keys(("pk", "HASH"), ("alt", "RANGE")),
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )


def test_batch_write_reports_the_item_collections_it_touched(ddb, local_index_table, hash_table):
    first, second = unique_key(), unique_key()
    ddb.put_item(TableName=local_index_table, Item={"pk": S(second), "sk": S("old"), "alt": S("x")})
    response = ddb.batch_write_item(
        RequestItems={
            local_index_table: [
                {"PutRequest": {"Item": {"pk": S(first), "sk": S("a"), "alt": S("x")}}},
                {"PutRequest": {"Item": {"pk": S(first), "sk": S("b")}}},
                {"DeleteRequest": {"Key": {"pk": S(second), "sk": S("old")}}},
            ],
            hash_table: [{"PutRequest": {"Item": {"pk": S(unique_key())}}}],
        },
        ReturnItemCollectionMetrics="SIZE",
    )
    metrics = response["ItemCollectionMetrics"]
    # Only tables with local secondary indexes have item collections.
    assert set(metrics) == {local_index_table}
    assert {m["ItemCollectionKey"]["pk"]["S"] for m in metrics[local_index_table]} == {first, second}
    for entry in metrics[local_index_table]:
        assert list(entry["ItemCollectionKey"]) == ["pk"]
        low, high = entry["SizeEstimateRangeGB"]
        assert 0 <= low <= high


@pytest.mark.parametrize("asked", [None, "NONE"])
def test_batch_write_without_size_reports_no_item_collections(ddb, local_index_table, asked):
    params = {} if asked is None else {"ReturnItemCollectionMetrics": asked}
    response = ddb.batch_write_item(
        RequestItems={local_index_table: [{"PutRequest": {"Item": {"pk": S(unique_key()), "sk": S("a")}}}]},
        **params,
    )
    assert "ItemCollectionMetrics" not in response or response["ItemCollectionMetrics"] == {}


# ---- provisioned capacity: the per-table maximum -------------------------------------------------


def above_table_maximum(dimension, requested, maximum):
    return client_error(
        "LimitExceededException",
        match=rf"^The requested {dimension}, {requested}, is above the per table maximum for the "
        rf"account in [a-z0-9-]+\. Per table maximum: {maximum}\.",
    )


def test_create_table_above_the_per_table_maximum_is_refused(ddb, table_names):
    limits = ddb.describe_limits()
    read_max, write_max = limits["TableMaxReadCapacityUnits"], limits["TableMaxWriteCapacityUnits"]
    name = table_names()
    params = dict(
        TableName=name,
        KeySchema=keys(("pk", "HASH")),
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
    )
    with above_table_maximum("ReadCapacityUnits", read_max + 1, read_max):
        ddb.create_table(
            **params, ProvisionedThroughput={"ReadCapacityUnits": read_max + 1, "WriteCapacityUnits": 1}
        )
    with above_table_maximum("WriteCapacityUnits", write_max + 1, write_max):
        ddb.create_table(
            **params, ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": write_max + 1}
        )
    wait_until_gone(ddb, name)
    # The maximum itself is allowed.
    created = ddb.create_table(
        **params, ProvisionedThroughput={"ReadCapacityUnits": read_max, "WriteCapacityUnits": write_max}
    )["TableDescription"]
    assert created["ProvisionedThroughput"]["ReadCapacityUnits"] == read_max


def test_update_table_above_the_per_table_maximum_is_refused(ddb, new_table):
    limits = ddb.describe_limits()
    write_max = limits["TableMaxWriteCapacityUnits"]
    name = new_table(ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
    with above_table_maximum("WriteCapacityUnits", write_max + 1, write_max):
        ddb.update_table(
            TableName=name,
            ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": write_max + 1},
        )
    throughput = ddb.describe_table(TableName=name)["Table"]["ProvisionedThroughput"]
    assert (throughput["ReadCapacityUnits"], throughput["WriteCapacityUnits"]) == (5, 5)
    # Switching an on-demand table to provisioned capacity meets the same maximum.
    on_demand = new_table()
    with above_table_maximum("ReadCapacityUnits", 10**6, limits["TableMaxReadCapacityUnits"]):
        ddb.update_table(
            TableName=on_demand,
            BillingMode="PROVISIONED",
            ProvisionedThroughput={"ReadCapacityUnits": 10**6, "WriteCapacityUnits": 1},
        )


# ---- provisioned capacity: the daily budget of decreases -----------------------------------------


def test_a_fifth_decrease_within_the_hour_is_refused(ddb, new_table):
    name = new_table(ProvisionedThroughput={"ReadCapacityUnits": 10, "WriteCapacityUnits": 10})

    def set_units(read, write):
        ddb.update_table(
            TableName=name, ProvisionedThroughput={"ReadCapacityUnits": read, "WriteCapacityUnits": write}
        )
        return ddb.describe_table(TableName=name)["Table"]["ProvisionedThroughput"]

    # Lowering both dimensions in one call counts once; an increase does not count.
    for count, (read, write) in enumerate([(9, 9), (9, 8), (8, 8), (2, 2)], start=1):
        throughput = set_units(read, write)
        assert throughput["NumberOfDecreasesToday"] == count
        assert "LastDecreaseDateTime" in throughput
    assert set_units(3, 3)["NumberOfDecreasesToday"] == 4
    with client_error(
        "LimitExceededException",
        match=r"^Subscriber limit exceeded: Provisioned throughput decreases are limited within a given "
        r"UTC day\. After the first 4 decreases, each subsequent decrease in the same UTC day can be "
        r"performed at most once every 3600 seconds\. Number of decreases today: 4\.",
    ):
        ddb.update_table(
            TableName=name, ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
        )
    # The refused decrease changed nothing; increases are still allowed.
    throughput = ddb.describe_table(TableName=name)["Table"]["ProvisionedThroughput"]
    assert (throughput["ReadCapacityUnits"], throughput["WriteCapacityUnits"]) == (3, 3)
    assert throughput["NumberOfDecreasesToday"] == 4
    assert set_units(4, 4)["ReadCapacityUnits"] == 4

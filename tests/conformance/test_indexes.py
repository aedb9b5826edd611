"""Secondary indexes: local and global indexes at CreateTable and their limits, global indexes
created, updated and deleted through UpdateTable (backfilled while CREATING), what Query and Scan
return for each projection, sparse indexes, paging on indexes, Select and the errors for
attributes an index does not project, ConsistentRead on a global index, index key types checked
on every write, item counts, per-index consumed capacity, and index entries moving with updates
and deletes.

Sources: "Improving data access with secondary indexes", "Global secondary indexes", "Local
secondary indexes" and "Managing global secondary indexes" in the developer guide; the Query,
Scan, CreateTable and UpdateTable API references.
"""

import pytest
from botocore.exceptions import ClientError

from support import (
    N,
    S,
    client_error,
    create_table,
    full_query,
    full_scan,
    index_description,
    keys,
    unique_key,
    unique_name,
    validation_error,
    wait_for_index_status,
    wait_until,
)


def definitions(**types):
    return [{"AttributeName": name, "AttributeType": kind} for name, kind in types.items()]


def gsi(name, hash_key, range_key=None, projection="ALL", non_key=None):
    schema = [(hash_key, "HASH")] + ([(range_key, "RANGE")] if range_key else [])
    spec = {"ProjectionType": projection}
    if non_key:
        spec["NonKeyAttributes"] = non_key
    return {"IndexName": name, "KeySchema": keys(*schema), "Projection": spec}


def lsi(name, range_key, projection="ALL", non_key=None):
    index = gsi(name, "pk", range_key, projection, non_key)
    return index


# The shared table: pk/sk, and indexes of every projection on `owner` (S) / `rank` (N), local
# indexes on `rank` and `date` (S), and a global index on `score` (N) that only the key-type
# tests write to.
SHARED_INDEXES = dict(
    AttributeDefinitions=definitions(pk="S", sk="S", owner="S", rank="N", date="S", score="N"),
    GlobalSecondaryIndexes=[
        gsi("g_all", "owner", "rank"),
        gsi("g_keys", "owner", "rank", "KEYS_ONLY"),
        gsi("g_include", "owner", "rank", "INCLUDE", ["title"]),
        gsi("g_score", "score"),
    ],
    LocalSecondaryIndexes=[
        lsi("l_keys", "rank", "KEYS_ONLY"),
        lsi("l_include", "date", "INCLUDE", ["title"]),
    ],
)


@pytest.fixture(scope="module")
def table(ddb):
    name = unique_name("indexes")
    create_table(ddb, name, hash_key=("pk", "S"), range_key=("sk", "S"), **SHARED_INDEXES)
    yield name
    try:
        ddb.delete_table(TableName=name)
    except ClientError:
        pass


def full_item(pk, sk="a", owner=None, rank=1, **extra):
    """An item with every index key and a few non-key attributes."""
    item = {
        "pk": S(pk),
        "sk": S(sk),
        "owner": S(owner or pk),
        "rank": N(rank),
        "date": S("2024-01-01"),
        "title": S("t"),
        "extra": S("x"),
    }
    item.update(extra)
    return item


def query_owner(ddb, table, owner, index="g_all", names=None, **params):
    """Query of `index` for the items of `owner` (`owner` is a reserved word: `#o`)."""
    return ddb.query(
        TableName=table,
        IndexName=index,
        KeyConditionExpression="#o = :o",
        ExpressionAttributeNames={"#o": "owner", **(names or {})},
        ExpressionAttributeValues={":o": S(owner)},
        **params,
    )


def query_partition(ddb, table, pk, index, **params):
    return ddb.query(
        TableName=table,
        IndexName=index,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": S(pk)},
        **params,
    )


# ---- creation and limits ------------------------------------------------------------------------


def test_indexes_are_described(ddb, table):
    desc = ddb.describe_table(TableName=table)["Table"]
    globals_ = {g["IndexName"]: g for g in desc["GlobalSecondaryIndexes"]}
    locals_ = {i["IndexName"]: i for i in desc["LocalSecondaryIndexes"]}
    assert set(globals_) == {"g_all", "g_keys", "g_include", "g_score"}
    assert set(locals_) == {"l_keys", "l_include"}
    g = globals_["g_include"]
    assert g["IndexArn"] == desc["TableArn"] + "/index/g_include"
    assert g["IndexStatus"] == "ACTIVE"
    assert g["KeySchema"] == keys(("owner", "HASH"), ("rank", "RANGE"))
    assert g["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["title"]}
    assert isinstance(g["ItemCount"], int) and isinstance(g["IndexSizeBytes"], int)
    l_ = locals_["l_keys"]
    assert l_["IndexArn"] == desc["TableArn"] + "/index/l_keys"
    assert l_["KeySchema"] == keys(("pk", "HASH"), ("rank", "RANGE"))
    assert l_["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    # Local indexes have no status of their own: they live and die with the table.
    assert "IndexStatus" not in l_


def test_five_local_and_twenty_global_indexes_are_the_limits(ddb, table_names):
    name = table_names()
    attrs = {f"a{i}": "S" for i in range(5)}
    create_table(
        ddb,
        name,
        hash_key=("pk", "S"),
        range_key=("sk", "S"),
        AttributeDefinitions=definitions(pk="S", sk="S", **attrs),
        LocalSecondaryIndexes=[lsi(f"lsi{i}", f"a{i}", "KEYS_ONLY") for i in range(5)],
        GlobalSecondaryIndexes=[gsi(f"gsi{i:02d}", f"a{i % 5}", projection="KEYS_ONLY") for i in range(20)],
    )
    desc = ddb.describe_table(TableName=name)["Table"]
    assert len(desc["LocalSecondaryIndexes"]) == 5
    assert len(desc["GlobalSecondaryIndexes"]) == 20


def test_six_local_indexes_are_refused(ddb, table_names):
    with validation_error(
        "One or more parameter values were invalid: Number of LocalSecondaryIndexes exceeds "
        "per-table limit of 5"
    ):
        ddb.create_table(
            TableName=table_names(),
            KeySchema=keys(("pk", "HASH"), ("sk", "RANGE")),
            AttributeDefinitions=definitions(pk="S", sk="S", a="S"),
            LocalSecondaryIndexes=[lsi(f"lsi{i}", "a", "KEYS_ONLY") for i in range(6)],
            BillingMode="PAY_PER_REQUEST",
        )


def test_twenty_one_global_indexes_are_refused(ddb, table_names):
    with validation_error(
        "One or more parameter values were invalid: GlobalSecondaryIndex count exceeds the "
        "per-table limit of 20"
    ):
        ddb.create_table(
            TableName=table_names(),
            KeySchema=keys(("pk", "HASH")),
            AttributeDefinitions=definitions(pk="S", a="S"),
            GlobalSecondaryIndexes=[gsi(f"gsi{i:02d}", "a", projection="KEYS_ONLY") for i in range(21)],
            BillingMode="PAY_PER_REQUEST",
        )


def test_local_index_needs_the_tables_hash_key_and_a_range_key(ddb, table_names):
    base = dict(
        TableName=table_names(),
        KeySchema=keys(("pk", "HASH"), ("sk", "RANGE")),
        AttributeDefinitions=definitions(pk="S", sk="S", a="S"),
        BillingMode="PAY_PER_REQUEST",
    )
    with validation_error(
        "One or more parameter values were invalid: Index KeySchema does not have the same leading "
        "hash key as table KeySchema for index: lsi. index hash key: a, table hash key: pk"
    ):
        ddb.create_table(
            **base,
            LocalSecondaryIndexes=[
                {
                    "IndexName": "lsi",
                    "KeySchema": keys(("a", "HASH"), ("sk", "RANGE")),
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        )
    with validation_error(
        "One or more parameter values were invalid: Index KeySchema does not have a range key for index: lsi"
    ):
        ddb.create_table(
            **base,
            LocalSecondaryIndexes=[
                {
                    "IndexName": "lsi",
                    "KeySchema": keys(("pk", "HASH")),
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        )


# ---- projections --------------------------------------------------------------------------------


def test_each_projection_returns_its_attributes(ddb, table):
    pk = unique_key()
    item = full_item(pk)
    ddb.put_item(TableName=table, Item=item)
    table_keys = {"pk", "sk"}
    index_keys = table_keys | {"owner", "rank"}
    [everything] = query_owner(ddb, table, pk, "g_all")["Items"]
    assert everything == item
    [keys_only] = query_owner(ddb, table, pk, "g_keys")["Items"]
    assert set(keys_only) == index_keys
    [included] = query_owner(ddb, table, pk, "g_include")["Items"]
    assert set(included) == index_keys | {"title"}
    # A local index returns its projection by default (ALL_PROJECTED_ATTRIBUTES)...
    [local] = query_partition(ddb, table, pk, "l_keys")["Items"]
    assert set(local) == table_keys | {"rank"}
    [local_include] = query_partition(ddb, table, pk, "l_include")["Items"]
    assert set(local_include) == table_keys | {"date", "title"}
    # ...and fetches the rest from the table when asked.
    [fetched] = query_partition(ddb, table, pk, "l_keys", Select="ALL_ATTRIBUTES")["Items"]
    assert fetched == item
    [extra] = query_partition(ddb, table, pk, "l_include", ProjectionExpression="extra, title")["Items"]
    assert extra == {"extra": S("x"), "title": S("t")}


def test_select_all_projected_attributes(ddb, table):
    pk = unique_key()
    ddb.put_item(TableName=table, Item=full_item(pk))
    [item] = query_owner(ddb, table, pk, "g_include", Select="ALL_PROJECTED_ATTRIBUTES")["Items"]
    assert set(item) == {"pk", "sk", "owner", "rank", "title"}
    response = query_owner(ddb, table, pk, "g_keys", Select="COUNT")
    assert response["Count"] == 1 and "Items" not in response


def test_select_specific_projected_attributes_of_a_global_index(ddb, table):
    pk = unique_key()
    ddb.put_item(TableName=table, Item=full_item(pk))
    [item] = query_owner(
        ddb,
        table,
        pk,
        "g_include",
        names={"#r": "rank"},
        Select="SPECIFIC_ATTRIBUTES",
        ProjectionExpression="title, #r",
    )["Items"]
    assert item == {"title": S("t"), "rank": N(1)}


def test_unprojected_attributes_of_a_global_index_are_an_error(ddb, table):
    pk = unique_key()
    ddb.put_item(TableName=table, Item=full_item(pk))
    with validation_error(
        "One or more parameter values were invalid: Global secondary index g_keys does not project [extra]"
    ):
        query_owner(ddb, table, pk, "g_keys", ProjectionExpression="extra, pk")
    with validation_error(match=r"Global secondary index g_include does not project \[extra\]"):
        query_owner(ddb, table, pk, "g_include", Select="SPECIFIC_ATTRIBUTES", ProjectionExpression="extra")
    with validation_error(match=r"Global secondary index g_keys does not project \[title\]"):
        ddb.scan(TableName=table, IndexName="g_keys", ProjectionExpression="title")


def test_all_attributes_of_a_partial_global_index_is_an_error(ddb, table):
    for index in ("g_keys", "g_include"):
        with validation_error(
            "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported "
            f"for global secondary index {index} because its projection type is not ALL"
        ):
            query_owner(ddb, table, unique_key(), index, Select="ALL_ATTRIBUTES")
    assert query_owner(ddb, table, unique_key(), "g_all", Select="ALL_ATTRIBUTES")["Items"] == []


def test_all_projected_attributes_needs_an_index(ddb, table):
    with validation_error(
        "1 validation error detected: ALL_PROJECTED_ATTRIBUTES can be used only when Querying "
        "using an IndexName"
    ):
        ddb.query(
            TableName=table,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": S("x")},
            Select="ALL_PROJECTED_ATTRIBUTES",
        )


def test_consistent_read_on_a_global_index_is_an_error(ddb, table):
    message = "Consistent reads are not supported on global secondary indexes"
    with validation_error(message):
        query_owner(ddb, table, unique_key(), "g_all", ConsistentRead=True)
    with validation_error(message):
        ddb.scan(TableName=table, IndexName="g_keys", ConsistentRead=True)
    # A local index shares the table's partition, so it reads consistently.
    assert query_partition(ddb, table, unique_key(), "l_keys", ConsistentRead=True)["Items"] == []


def test_unknown_index_is_an_error(ddb, table):
    with validation_error("The table does not have the specified index: nope"):
        query_owner(ddb, table, unique_key(), "nope")
    with validation_error("The table does not have the specified index: nope"):
        ddb.scan(TableName=table, IndexName="nope")


# ---- sparse indexes, paging ---------------------------------------------------------------------


def test_items_without_the_index_key_are_not_indexed(ddb, new_table):
    name = new_table(
        ("pk", "S"),
        AttributeDefinitions=definitions(pk="S", owner="S", rank="N"),
        GlobalSecondaryIndexes=[gsi("by_owner", "owner"), gsi("by_owner_rank", "owner", "rank")],
    )
    ddb.put_item(TableName=name, Item={"pk": S("both"), "owner": S("o"), "rank": N(1)})
    ddb.put_item(TableName=name, Item={"pk": S("owner-only"), "owner": S("o")})
    ddb.put_item(TableName=name, Item={"pk": S("neither"), "other": S("x")})
    by_owner = {item["pk"]["S"] for item in full_scan(ddb, name, IndexName="by_owner")}
    assert by_owner == {"both", "owner-only"}
    by_rank = {item["pk"]["S"] for item in full_scan(ddb, name, IndexName="by_owner_rank")}
    assert by_rank == {"both"}
    assert len(full_scan(ddb, name)) == 3


def test_query_a_global_index_page_by_page(ddb, table):
    owner = unique_key("owner")
    # Two items share rank 2: the table key orders them inside the index.
    ranks = [4, 2, 1, 3, 2]
    for i, rank in enumerate(ranks):
        ddb.put_item(TableName=table, Item=full_item(unique_key(), sk=str(i), owner=owner, rank=rank))
    page = query_owner(ddb, table, owner, "g_keys", Limit=2)
    assert len(page["Items"]) == 2
    assert set(page["LastEvaluatedKey"]) == {"owner", "rank", "pk", "sk"}
    items = full_query(
        ddb,
        table,
        IndexName="g_keys",
        KeyConditionExpression="#o = :o",
        ExpressionAttributeNames={"#o": "owner"},
        ExpressionAttributeValues={":o": S(owner)},
        Limit=2,
    )
    assert [int(item["rank"]["N"]) for item in items] == sorted(ranks)
    assert len({(item["pk"]["S"], item["sk"]["S"]) for item in items}) == len(ranks)
    backwards = query_owner(ddb, table, owner, "g_keys", ScanIndexForward=False)["Items"]
    assert [int(item["rank"]["N"]) for item in backwards] == sorted(ranks, reverse=True)


def test_query_a_local_index_page_by_page(ddb, table):
    pk = unique_key()
    for i, rank in enumerate([30, 10, 20]):
        ddb.put_item(TableName=table, Item=full_item(pk, sk=f"s{i}", rank=rank))
    page = query_partition(ddb, table, pk, "l_keys", Limit=1)
    assert set(page["LastEvaluatedKey"]) == {"pk", "sk", "rank"}
    items = full_query(
        ddb,
        table,
        IndexName="l_keys",
        KeyConditionExpression="pk = :p AND #r > :r",
        ExpressionAttributeNames={"#r": "rank"},
        ExpressionAttributeValues={":p": S(pk), ":r": N(10)},
        Limit=1,
    )
    assert [item["rank"]["N"] for item in items] == ["20", "30"]


def test_scan_a_global_index_page_by_page(ddb, new_table):
    name = new_table(
        ("pk", "S"),
        ("sk", "S"),
        AttributeDefinitions=definitions(pk="S", sk="S", owner="S"),
        GlobalSecondaryIndexes=[gsi("by_owner", "owner", projection="KEYS_ONLY")],
    )
    expected = set()
    for i in range(12):
        item = {"pk": S(f"p{i % 3}"), "sk": S(f"s{i}"), "owner": S(f"o{i % 4}"), "x": N(i)}
        ddb.put_item(TableName=name, Item=item)
        expected.add((f"p{i % 3}", f"s{i}"))
    ddb.put_item(TableName=name, Item={"pk": S("unindexed"), "sk": S("s")})
    page = ddb.scan(TableName=name, IndexName="by_owner", Limit=5)
    assert page["Count"] == 5
    assert set(page["LastEvaluatedKey"]) == {"owner", "pk", "sk"}
    items = full_scan(ddb, name, IndexName="by_owner", Limit=5)
    assert {(item["pk"]["S"], item["sk"]["S"]) for item in items} == expected
    assert all(set(item) == {"pk", "sk", "owner"} for item in items)


# ---- writes -------------------------------------------------------------------------------------


def test_wrong_typed_index_key_is_refused_and_nothing_written(ddb, table):
    pk = unique_key()
    message = (
        "One or more parameter values were invalid: Type mismatch for Index Key score Expected: N "
        "Actual: S IndexName: g_score"
    )
    with validation_error(message):
        ddb.put_item(TableName=table, Item={"pk": S(pk), "sk": S("a"), "score": S("ten")})
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": S(pk), "sk": S("a")}, ConsistentRead=True)
    with validation_error(message):
        ddb.batch_write_item(
            RequestItems={table: [{"PutRequest": {"Item": {"pk": S(pk), "sk": S("b"), "score": S("x")}}}]}
        )
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": S(pk), "sk": S("b")}, ConsistentRead=True)
    ddb.put_item(TableName=table, Item={"pk": S(pk), "sk": S("c"), "score": N(10)})
    with validation_error(message):
        ddb.update_item(
            TableName=table,
            Key={"pk": S(pk), "sk": S("c")},
            UpdateExpression="SET score = :s, note = :o",
            ExpressionAttributeValues={":s": S("eleven"), ":o": S("x")},
        )
    item = ddb.get_item(TableName=table, Key={"pk": S(pk), "sk": S("c")}, ConsistentRead=True)["Item"]
    assert item == {"pk": S(pk), "sk": S("c"), "score": N(10)}


def test_wrong_typed_local_index_key_is_refused(ddb, table):
    with validation_error(
        match=r"Type mismatch for Index Key date Expected: S Actual: N IndexName: l_include"
    ):
        ddb.put_item(TableName=table, Item={"pk": S(unique_key()), "sk": S("a"), "date": N(2024)})


def test_empty_string_index_key_is_refused(ddb, table):
    pk = unique_key()
    with validation_error(
        "One or more parameter values are not valid. A value specified for a secondary index key is "
        "not supported. The AttributeValue for a key attribute cannot contain an empty string value. "
        "IndexName: l_include, IndexKey: date"
    ):
        ddb.put_item(TableName=table, Item={"pk": S(pk), "sk": S("a"), "date": S("")})
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": S(pk), "sk": S("a")}, ConsistentRead=True)
    # Outside index keys an empty string is an ordinary value.
    ddb.put_item(TableName=table, Item={"pk": S(pk), "sk": S("b"), "title": S("")})


def test_updates_and_deletes_move_index_entries(ddb, table):
    pk = unique_key()
    owner = unique_key("owner")
    other = unique_key("owner")
    key = {"pk": S(pk), "sk": S("a")}
    ddb.put_item(TableName=table, Item=full_item(pk, owner=owner, rank=1))
    # A new sort key in the index: the entry moves.
    ddb.update_item(
        TableName=table,
        Key=key,
        UpdateExpression="SET #r = :r",
        ExpressionAttributeNames={"#r": "rank"},
        ExpressionAttributeValues={":r": N(7)},
    )
    assert [i["rank"] for i in query_owner(ddb, table, owner, "g_keys")["Items"]] == [N(7)]
    assert [i["rank"] for i in query_partition(ddb, table, pk, "l_keys")["Items"]] == [N(7)]
    # A new partition key in the index: it leaves one partition for the other.
    ddb.update_item(
        TableName=table,
        Key=key,
        UpdateExpression="SET #o = :o",
        ExpressionAttributeNames={"#o": "owner"},
        ExpressionAttributeValues={":o": S(other)},
    )
    assert query_owner(ddb, table, owner, "g_all")["Items"] == []
    assert len(query_owner(ddb, table, other, "g_all")["Items"]) == 1
    # A projected attribute changes in the index too.
    ddb.update_item(
        TableName=table,
        Key=key,
        UpdateExpression="SET title = :t",
        ExpressionAttributeValues={":t": S("new")},
    )
    [included] = query_owner(ddb, table, other, "g_include")["Items"]
    assert included["title"] == S("new")
    # Removing the index key takes the item out of the index (sparse).
    ddb.update_item(
        TableName=table,
        Key=key,
        UpdateExpression="REMOVE #o",
        ExpressionAttributeNames={"#o": "owner"},
    )
    assert query_owner(ddb, table, other, "g_all")["Items"] == []
    assert len(query_partition(ddb, table, pk, "l_keys")["Items"]) == 1
    # Replacing the item with one without the local key takes it out of that index.
    ddb.put_item(TableName=table, Item={"pk": S(pk), "sk": S("a"), "owner": S(other), "rank": N(3)})
    assert query_partition(ddb, table, pk, "l_include")["Items"] == []
    assert len(query_owner(ddb, table, other, "g_keys")["Items"]) == 1
    ddb.delete_item(TableName=table, Key=key)
    for index in ("g_all", "g_keys", "g_include"):
        assert query_owner(ddb, table, other, index)["Items"] == []
    assert query_partition(ddb, table, pk, "l_keys")["Items"] == []


def test_index_item_counts_in_describe_table(ddb, new_table):
    """DynamoDB refreshes ItemCount about every six hours; Ferrodyn keeps it current, so this
    waits only a few seconds."""
    name = new_table(
        ("pk", "S"),
        ("sk", "S"),
        AttributeDefinitions=definitions(pk="S", sk="S", owner="S", rank="N"),
        GlobalSecondaryIndexes=[gsi("by_owner", "owner", projection="KEYS_ONLY")],
        LocalSecondaryIndexes=[lsi("by_rank", "rank", "KEYS_ONLY")],
    )
    ddb.put_item(TableName=name, Item={"pk": S("a"), "sk": S("1"), "owner": S("o"), "rank": N(1)})
    ddb.put_item(TableName=name, Item={"pk": S("a"), "sk": S("2"), "owner": S("o")})
    ddb.put_item(TableName=name, Item={"pk": S("b"), "sk": S("1"), "rank": N(2)})
    ddb.put_item(TableName=name, Item={"pk": S("c"), "sk": S("1")})

    def counts():
        desc = ddb.describe_table(TableName=name)["Table"]
        found = (
            desc["ItemCount"],
            desc["GlobalSecondaryIndexes"][0]["ItemCount"],
            desc["LocalSecondaryIndexes"][0]["ItemCount"],
        )
        return found if found == (4, 2, 2) else None

    wait_until(counts, "item counts of the table and its indexes")
    desc = ddb.describe_table(TableName=name)["Table"]
    assert desc["GlobalSecondaryIndexes"][0]["IndexSizeBytes"] > 0


def test_consumed_capacity_per_index(ddb, table):
    pk = unique_key()
    response = ddb.put_item(TableName=table, Item=full_item(pk), ReturnConsumedCapacity="INDEXES")
    consumed = response["ConsumedCapacity"]
    assert consumed["Table"] == {"CapacityUnits": 1.0}
    # The item carries owner and rank (three global indexes) but no score (g_score is sparse).
    assert consumed["GlobalSecondaryIndexes"] == {
        "g_all": {"CapacityUnits": 1.0},
        "g_keys": {"CapacityUnits": 1.0},
        "g_include": {"CapacityUnits": 1.0},
    }
    assert consumed["LocalSecondaryIndexes"] == {
        "l_keys": {"CapacityUnits": 1.0},
        "l_include": {"CapacityUnits": 1.0},
    }
    assert consumed["CapacityUnits"] == 6.0
    # Changing an index key takes two index writes: the old entry out, the new one in.
    response = ddb.update_item(
        TableName=table,
        Key={"pk": S(pk), "sk": S("a")},
        UpdateExpression="SET #r = :r",
        ExpressionAttributeNames={"#r": "rank"},
        ExpressionAttributeValues={":r": N(2)},
        ReturnConsumedCapacity="INDEXES",
    )
    globals_ = response["ConsumedCapacity"]["GlobalSecondaryIndexes"]
    assert globals_["g_keys"] == {"CapacityUnits": 2.0}
    assert response["ConsumedCapacity"]["LocalSecondaryIndexes"]["l_keys"] == {"CapacityUnits": 2.0}
    # An attribute no index projects but g_all changes only g_all.
    response = ddb.update_item(
        TableName=table,
        Key={"pk": S(pk), "sk": S("a")},
        UpdateExpression="SET extra = :x",
        ExpressionAttributeValues={":x": S("y")},
        ReturnConsumedCapacity="INDEXES",
    )
    assert response["ConsumedCapacity"]["GlobalSecondaryIndexes"] == {"g_all": {"CapacityUnits": 1.0}}
    # A read of a global index is charged to the index.
    response = query_owner(ddb, table, pk, "g_all", ReturnConsumedCapacity="INDEXES")
    consumed = response["ConsumedCapacity"]
    assert consumed["GlobalSecondaryIndexes"] == {"g_all": {"CapacityUnits": 0.5}}
    assert consumed["CapacityUnits"] == 0.5


def test_item_collection_metrics_on_a_table_with_local_indexes(ddb, table):
    pk = unique_key()
    response = ddb.put_item(TableName=table, Item=full_item(pk), ReturnItemCollectionMetrics="SIZE")
    metrics = response["ItemCollectionMetrics"]
    assert metrics["ItemCollectionKey"] == {"pk": S(pk)}
    low, high = metrics["SizeEstimateRangeGB"]
    assert 0 <= low <= high


# ---- UpdateTable: global index lifecycle --------------------------------------------------------


def test_create_a_global_index_on_a_table_with_data(ddb, new_table):
    name = new_table(("pk", "S"), AttributeDefinitions=definitions(pk="S"))
    for i in range(40):
        item = {"pk": S(f"p{i}"), "color": S("red" if i % 2 else "blue"), "n": N(i)}
        ddb.put_item(TableName=name, Item=item)
    # An item whose index key has another type than the new index's is left out of it.
    ddb.put_item(TableName=name, Item={"pk": S("numeric-color"), "color": N(1)})
    response = ddb.update_table(
        TableName=name,
        AttributeDefinitions=definitions(color="S"),
        GlobalSecondaryIndexUpdates=[{"Create": gsi("by_color", "color", projection="ALL")}],
    )
    [created] = response["TableDescription"]["GlobalSecondaryIndexes"]
    assert created["IndexName"] == "by_color"
    assert created["IndexStatus"] == "CREATING"
    assert isinstance(created.get("Backfilling", False), bool)
    # Reading it before it is ACTIVE is refused with DynamoDB's words (if it is still filling).
    try:
        query_color(ddb, name, "red")
    except ClientError as err:
        assert err.response["Error"]["Code"] == "ValidationException"
        assert (
            err.response["Error"]["Message"]
            == "Cannot read from backfilling global secondary index: by_color"
        )
    # Writes go on while the index fills; none is missed.
    for i in range(40, 50):
        ddb.put_item(TableName=name, Item={"pk": S(f"p{i}"), "color": S("red"), "n": N(i)})
    ddb.delete_item(TableName=name, Key={"pk": S("p1")})
    described = wait_for_index_status(ddb, name, "by_color")
    assert "Backfilling" not in described or described["Backfilling"] is False
    reds = {item["pk"]["S"] for item in full_query_color(ddb, name, "red")}
    assert reds == {f"p{i}" for i in range(3, 40, 2)} | {f"p{i}" for i in range(40, 50)}
    assert len(full_query_color(ddb, name, "blue")) == 20
    assert {"pk", "color", "n"} <= set(full_query_color(ddb, name, "blue")[0])
    assert "numeric-color" not in {item["pk"]["S"] for item in full_scan(ddb, name, IndexName="by_color")}


def query_color(ddb, table, color):
    return ddb.query(
        TableName=table,
        IndexName="by_color",
        KeyConditionExpression="color = :c",
        ExpressionAttributeValues={":c": S(color)},
    )


def full_query_color(ddb, table, color):
    return full_query(
        ddb,
        table,
        IndexName="by_color",
        KeyConditionExpression="color = :c",
        ExpressionAttributeValues={":c": S(color)},
    )


def test_update_a_global_index_throughput(ddb, new_table):
    throughput = {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
    name = new_table(
        ("pk", "S"),
        AttributeDefinitions=definitions(pk="S", owner="S"),
        ProvisionedThroughput=throughput,
        GlobalSecondaryIndexes=[dict(gsi("by_owner", "owner"), ProvisionedThroughput=throughput)],
    )
    ddb.update_table(
        TableName=name,
        GlobalSecondaryIndexUpdates=[
            {
                "Update": {
                    "IndexName": "by_owner",
                    "ProvisionedThroughput": {"ReadCapacityUnits": 3, "WriteCapacityUnits": 4},
                }
            }
        ],
    )
    described = wait_for_index_status(ddb, name, "by_owner")
    assert described["ProvisionedThroughput"]["ReadCapacityUnits"] == 3
    assert described["ProvisionedThroughput"]["WriteCapacityUnits"] == 4


def test_delete_a_global_index(ddb, new_table):
    name = new_table(
        ("pk", "S"),
        AttributeDefinitions=definitions(pk="S", owner="S"),
        GlobalSecondaryIndexes=[gsi("by_owner", "owner")],
    )
    ddb.put_item(TableName=name, Item={"pk": S("a"), "owner": S("o")})
    response = ddb.update_table(
        TableName=name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by_owner"}}]
    )
    remaining = response["TableDescription"].get("GlobalSecondaryIndexes", [])
    assert all(g["IndexStatus"] == "DELETING" for g in remaining if g["IndexName"] == "by_owner")
    wait_for_index_status(ddb, name, "by_owner", status=None)
    with validation_error("The table does not have the specified index: by_owner"):
        ddb.scan(TableName=name, IndexName="by_owner")
    # The table's items stay; the name can be used again.
    assert len(full_scan(ddb, name)) == 1
    ddb.update_table(
        TableName=name,
        AttributeDefinitions=definitions(owner="S"),
        GlobalSecondaryIndexUpdates=[{"Create": gsi("by_owner", "owner", projection="KEYS_ONLY")}],
    )
    wait_for_index_status(ddb, name, "by_owner")
    assert len(full_scan(ddb, name, IndexName="by_owner")) == 1


def test_update_table_index_errors(ddb, table):
    with validation_error("Attempting to create an index which already exists"):
        ddb.update_table(
            TableName=table,
            AttributeDefinitions=definitions(owner="S"),
            GlobalSecondaryIndexUpdates=[{"Create": gsi("g_all", "owner")}],
        )
    # A local index's name is taken too.
    with validation_error("Attempting to create an index which already exists"):
        ddb.update_table(
            TableName=table,
            AttributeDefinitions=definitions(owner="S"),
            GlobalSecondaryIndexUpdates=[{"Create": gsi("l_keys", "owner")}],
        )
    with validation_error("Cannot delete an index that is not a GlobalSecondaryIndex: l_keys"):
        ddb.update_table(TableName=table, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "l_keys"}}])
    with client_error("ResourceNotFoundException"):
        ddb.update_table(TableName=table, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "missing"}}])
    with validation_error(
        "One or more parameter values were invalid: AttributeDefinitions is not specified for index: by_x"
    ):
        ddb.update_table(TableName=table, GlobalSecondaryIndexUpdates=[{"Create": gsi("by_x", "x")}])
    with client_error(
        "LimitExceededException",
        "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table",
    ):
        ddb.update_table(
            TableName=table,
            AttributeDefinitions=definitions(x="S", y="S"),
            GlobalSecondaryIndexUpdates=[{"Create": gsi("by_x", "x")}, {"Create": gsi("by_y", "y")}],
        )
    desc = ddb.describe_table(TableName=table)["Table"]
    assert {g["IndexName"] for g in desc["GlobalSecondaryIndexes"]} == {
        "g_all",
        "g_keys",
        "g_include",
        "g_score",
    }


def test_twenty_first_global_index_through_update_table(ddb, table_names):
    name = table_names()
    create_table(
        ddb,
        name,
        AttributeDefinitions=definitions(pk="S", a="S"),
        GlobalSecondaryIndexes=[gsi(f"gsi{i:02d}", "a", projection="KEYS_ONLY") for i in range(20)],
    )
    with client_error("LimitExceededException"):
        ddb.update_table(
            TableName=name,
            AttributeDefinitions=definitions(a="S"),
            GlobalSecondaryIndexUpdates=[{"Create": gsi("gsi20", "a", projection="KEYS_ONLY")}],
        )
    assert index_description(ddb, name, "gsi20") is None

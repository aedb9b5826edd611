"""BatchGetItem (up to 100 keys, 16 MB per response, UnprocessedKeys) and BatchWriteItem (up to 25
puts/deletes, no duplicate keys, UnprocessedItems). Source: the API reference of each.
"""

import pytest

from support import N, S, client_error, unique_key, unique_name, validation_error


def batch_get_all(ddb, request_items):
    """Follows UnprocessedKeys until everything is read; returns (items by table, rounds)."""
    found: dict[str, list] = {}
    rounds = 0
    while request_items:
        response = ddb.batch_get_item(RequestItems=request_items)
        rounds += 1
        for table, items in response["Responses"].items():
            found.setdefault(table, []).extend(items)
        request_items = response.get("UnprocessedKeys") or {}
        assert rounds < 50
    return found, rounds


def test_batch_write_then_get(ddb, hash_table, composite_table):
    prefix = unique_key()
    puts = [{"PutRequest": {"Item": {"pk": S(f"{prefix}-{i}"), "v": N(i)}}} for i in range(20)]
    composite_puts = [{"PutRequest": {"Item": {"pk": S(prefix), "sk": S(str(i))}}} for i in range(5)]
    response = ddb.batch_write_item(RequestItems={hash_table: puts, composite_table: composite_puts})
    assert response["UnprocessedItems"] == {}
    got = ddb.batch_get_item(
        RequestItems={
            hash_table: {"Keys": [{"pk": S(f"{prefix}-{i}")} for i in range(20)] + [{"pk": S("absent")}]},
            composite_table: {"Keys": [{"pk": S(prefix), "sk": S("3")}], "ConsistentRead": True},
        }
    )
    assert got["UnprocessedKeys"] == {}
    assert sorted(int(i["v"]["N"]) for i in got["Responses"][hash_table]) == list(range(20))
    assert got["Responses"][composite_table] == [{"pk": S(prefix), "sk": S("3")}]


def test_batch_write_deletes(ddb, hash_table):
    keys = [{"pk": S(unique_key())} for _ in range(3)]
    ddb.batch_write_item(RequestItems={hash_table: [{"PutRequest": {"Item": k}} for k in keys]})
    ddb.batch_write_item(
        RequestItems={
            hash_table: [
                {"DeleteRequest": {"Key": keys[0]}},
                {"DeleteRequest": {"Key": {"pk": S("never-there")}}},
            ]
        }
    )
    got = ddb.batch_get_item(RequestItems={hash_table: {"Keys": keys}})["Responses"][hash_table]
    assert sorted(i["pk"]["S"] for i in got) == sorted(k["pk"]["S"] for k in keys[1:])


def test_batch_get_projection(ddb, hash_table):
    key = {"pk": S(unique_key())}
    ddb.put_item(TableName=hash_table, Item={**key, "a": S("a"), "b": S("b")})
    got = ddb.batch_get_item(
        RequestItems={
            hash_table: {
                "Keys": [key],
                "ProjectionExpression": "#a",
                "ExpressionAttributeNames": {"#a": "a"},
            }
        }
    )
    assert got["Responses"][hash_table] == [{"a": S("a")}]


def test_batch_get_100_keys(ddb, hash_table):
    prefix = unique_key()
    for start in range(0, 100, 25):
        ddb.batch_write_item(
            RequestItems={
                hash_table: [
                    {"PutRequest": {"Item": {"pk": S(f"{prefix}-{i}")}}} for i in range(start, start + 25)
                ]
            }
        )
    found, _ = batch_get_all(ddb, {hash_table: {"Keys": [{"pk": S(f"{prefix}-{i}")} for i in range(100)]}})
    assert len(found[hash_table]) == 100


def test_batch_get_101_keys(ddb, hash_table):
    with validation_error(
        match="Too many items requested for the BatchGetItem call|less than or equal to 100"
    ):
        ddb.batch_get_item(RequestItems={hash_table: {"Keys": [{"pk": S(f"k{i}")} for i in range(101)]}})


def test_batch_get_100_keys_counted_across_tables(ddb, hash_table, composite_table):
    with validation_error("Too many items requested for the BatchGetItem call"):
        ddb.batch_get_item(
            RequestItems={
                hash_table: {"Keys": [{"pk": S(f"k{i}")} for i in range(60)]},
                composite_table: {"Keys": [{"pk": S("p"), "sk": S(f"s{i}")} for i in range(41)]},
            }
        )


def test_batch_get_duplicate_keys(ddb, hash_table):
    with validation_error("Provided list of item keys contains duplicates"):
        ddb.batch_get_item(RequestItems={hash_table: {"Keys": [{"pk": S("a")}, {"pk": S("a")}]}})


def test_batch_get_wrong_key(ddb, composite_table):
    with validation_error("The provided key element does not match the schema"):
        ddb.batch_get_item(RequestItems={composite_table: {"Keys": [{"pk": S("a")}]}})


def test_batch_get_missing_table(ddb):
    with client_error("ResourceNotFoundException", "Requested resource not found"):
        ddb.batch_get_item(RequestItems={unique_name("missing"): {"Keys": [{"pk": S("a")}]}})


def test_batch_get_empty_request(ddb):
    # DynamoDB now answers "The requestItems parameter is required for BatchGetItem"; older
    # endpoints reported the constraint on the map's length.
    with validation_error(match="requestItems (parameter is required|.*length greater than or equal to 1)"):
        ddb.batch_get_item(RequestItems={})


def test_batch_get_over_16_mb_returns_unprocessed_keys(ddb, new_table):
    table = new_table()
    blob = "x" * 390_000
    keys = [{"pk": S(f"big{i}")} for i in range(60)]  # about 23 MB in all
    for key in keys:
        ddb.put_item(TableName=table, Item={**key, "payload": S(blob)})
    response = ddb.batch_get_item(
        RequestItems={table: {"Keys": keys, "ConsistentRead": True, "ProjectionExpression": "pk, payload"}}
    )
    returned = response["Responses"].get(table, [])
    unprocessed = response["UnprocessedKeys"][table]
    # The response stops at 16 MB; what was not read comes back in RequestItems' format, with
    # the same options (dynalite returns the keys alone).
    assert len(returned) * 390_000 <= 16 * 1024 * 1024 + 400 * 1024
    assert unprocessed["ConsistentRead"] is True
    assert unprocessed["ProjectionExpression"] == "pk, payload"
    got = sorted(i["pk"]["S"] for i in returned) + sorted(k["pk"]["S"] for k in unprocessed["Keys"])
    assert sorted(got) == sorted(k["pk"]["S"] for k in keys)
    found, rounds = batch_get_all(ddb, {table: {"Keys": keys}})
    assert len(found[table]) == 60 and rounds >= 2


def test_batch_write_25_requests(ddb, hash_table):
    requests = [{"PutRequest": {"Item": {"pk": S(unique_key())}}} for _ in range(25)]
    assert ddb.batch_write_item(RequestItems={hash_table: requests})["UnprocessedItems"] == {}


def test_batch_write_26_requests(ddb, hash_table):
    requests = [{"PutRequest": {"Item": {"pk": S(unique_key())}}} for _ in range(26)]
    with validation_error(match="length less than or equal to 25"):
        ddb.batch_write_item(RequestItems={hash_table: requests})


def test_batch_write_25_counted_across_tables(ddb, hash_table, composite_table):
    with validation_error(match="(?i)too many items|length less than or equal to 25"):
        ddb.batch_write_item(
            RequestItems={
                hash_table: [{"PutRequest": {"Item": {"pk": S(unique_key())}}} for _ in range(13)],
                composite_table: [
                    {"PutRequest": {"Item": {"pk": S("p"), "sk": S(unique_key())}}} for _ in range(13)
                ],
            }
        )


@pytest.mark.parametrize("second", ["put", "delete"])
def test_batch_write_duplicate_keys(ddb, hash_table, second):
    key = {"pk": S(unique_key())}
    other = (
        {"PutRequest": {"Item": {**key, "v": N(2)}}} if second == "put" else {"DeleteRequest": {"Key": key}}
    )
    with validation_error("Provided list of item keys contains duplicates"):
        ddb.batch_write_item(RequestItems={hash_table: [{"PutRequest": {"Item": {**key, "v": N(1)}}}, other]})
    # The whole batch is rejected: nothing was written.
    assert "Item" not in ddb.get_item(TableName=hash_table, Key=key, ConsistentRead=True)


def test_batch_write_empty_request(ddb):
    with validation_error(match="requestItems (parameter is required|.*length greater than or equal to 1)"):
        ddb.batch_write_item(RequestItems={})


def test_batch_write_missing_key(ddb, composite_table):
    # Unlike PutItem, BatchWriteItem reports a put without its whole key as a schema mismatch.
    with validation_error("The provided key element does not match the schema"):
        ddb.batch_write_item(RequestItems={composite_table: [{"PutRequest": {"Item": {"pk": S("a")}}}]})


def test_batch_write_oversized_item(ddb, hash_table):
    with validation_error("Item size has exceeded the maximum allowed size"):
        ddb.batch_write_item(
            RequestItems={
                hash_table: [{"PutRequest": {"Item": {"pk": S(unique_key()), "v": S("x" * 410_000)}}}]
            }
        )


def test_batch_write_missing_table(ddb):
    with client_error("ResourceNotFoundException", "Requested resource not found"):
        ddb.batch_write_item(
            RequestItems={unique_name("missing"): [{"PutRequest": {"Item": {"pk": S("a")}}}]}
        )

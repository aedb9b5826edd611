"""Scan: whole-table reads with filters, projections, Limit, Select, paging and parallel
Segment/TotalSegments (every item exactly once across segments), and Scan's errors. Source: the
Scan API reference and "Parallel scan" in the developer guide.
"""

import pytest

from support import N, S, full_scan, validation_error

ITEMS = 50


@pytest.fixture(scope="module")
def scan_table(ddb):
    from support import create_table, delete_table_quietly, unique_name

    name = unique_name("scan")
    create_table(ddb, name, hash_key=("pk", "S"), range_key=("sk", "N"))
    for i in range(ITEMS):
        # Five partitions of ten items each.
        ddb.put_item(
            TableName=name,
            Item={"pk": S(f"p{i % 5}"), "sk": N(i), "v": N(i), "even": {"BOOL": i % 2 == 0}},
        )
    yield name
    delete_table_quietly(ddb, name)


def keys(items):
    return sorted((i["pk"]["S"], int(i["sk"]["N"])) for i in items)


ALL_KEYS = sorted((f"p{i % 5}", i) for i in range(ITEMS))


def test_scan_returns_everything(ddb, scan_table):
    response = ddb.scan(TableName=scan_table)
    assert keys(response["Items"]) == ALL_KEYS
    assert response["Count"] == ITEMS and response["ScannedCount"] == ITEMS
    assert "LastEvaluatedKey" not in response


def test_scan_keeps_partition_items_together_in_sort_order(ddb, scan_table):
    # Items of one partition are stored together in sort key order, so a Scan returns each
    # partition's items contiguously and ascending.
    items = ddb.scan(TableName=scan_table)["Items"]
    partitions = [i["pk"]["S"] for i in items]
    runs = [p for n, p in enumerate(partitions) if n == 0 or partitions[n - 1] != p]
    assert len(runs) == 5
    for p in runs:
        sks = [int(i["sk"]["N"]) for i in items if i["pk"]["S"] == p]
        assert sks == sorted(sks)


def test_scan_filter_and_projection(ddb, scan_table):
    response = ddb.scan(
        TableName=scan_table,
        FilterExpression="even = :t AND v >= :ten",
        ProjectionExpression="v",
        ExpressionAttributeValues={":t": {"BOOL": True}, ":ten": N(10)},
    )
    assert sorted(int(i["v"]["N"]) for i in response["Items"]) == list(range(10, ITEMS, 2))
    assert all(set(i) == {"v"} for i in response["Items"])
    assert response["Count"] == 20 and response["ScannedCount"] == ITEMS


def test_scan_filter_may_use_key_attributes(ddb, scan_table):
    response = ddb.scan(
        TableName=scan_table,
        FilterExpression="pk = :p AND sk < :five",
        ExpressionAttributeValues={":p": S("p0"), ":five": N(5)},
    )
    assert keys(response["Items"]) == [("p0", 0)]


def test_scan_paging_with_limit(ddb, scan_table):
    seen = []
    params = {"Limit": 7}
    pages = 0
    while True:
        response = ddb.scan(TableName=scan_table, **params)
        pages += 1
        assert response["ScannedCount"] <= 7
        seen += response["Items"]
        if "LastEvaluatedKey" not in response:
            break
        params["ExclusiveStartKey"] = response["LastEvaluatedKey"]
    assert keys(seen) == ALL_KEYS
    assert len(seen) == ITEMS, "no item may be returned twice"
    assert pages in (8, 9)


def test_scan_select_count(ddb, scan_table):
    response = ddb.scan(
        TableName=scan_table,
        Select="COUNT",
        FilterExpression="even = :f",
        ExpressionAttributeValues={":f": {"BOOL": False}},
    )
    assert "Items" not in response
    assert response["Count"] == 25 and response["ScannedCount"] == ITEMS


@pytest.mark.parametrize("total", [1, 2, 3, 7, 64])
def test_parallel_scan_covers_each_item_once(ddb, scan_table, total):
    seen = []
    for segment in range(total):
        seen += full_scan(ddb, scan_table, Segment=segment, TotalSegments=total, Limit=5)
    assert len(seen) == ITEMS
    assert keys(seen) == ALL_KEYS


def test_parallel_segments_keep_partitions_whole(ddb, scan_table):
    # Segments split the hash space, so all items of one partition fall in one segment.
    owner = {}
    for segment in range(4):
        for item in full_scan(ddb, scan_table, Segment=segment, TotalSegments=4):
            assert owner.setdefault(item["pk"]["S"], segment) == segment


def test_segment_without_total(ddb, scan_table):
    with validation_error(
        "The TotalSegments parameter is required but was not present in the request when Segment parameter is present"
    ):
        ddb.scan(TableName=scan_table, Segment=1)


def test_total_without_segment(ddb, scan_table):
    with validation_error(
        "The Segment parameter is required but was not present in the request when parameter TotalSegments is present"
    ):
        ddb.scan(TableName=scan_table, TotalSegments=2)


def test_segment_out_of_range(ddb, scan_table):
    with validation_error(
        "The Segment parameter is zero-based and must be less than parameter TotalSegments: "
        "Segment: 2 is not less than TotalSegments: 2"
    ):
        ddb.scan(TableName=scan_table, Segment=2, TotalSegments=2)


def test_total_segments_bounds(ddb, scan_table):
    with validation_error(match="totalSegments.*less than or equal to 1000000"):
        ddb.scan(TableName=scan_table, Segment=0, TotalSegments=1_000_001)
    with validation_error(match="totalSegments.*greater than or equal to 1"):
        ddb.scan(TableName=scan_table, Segment=0, TotalSegments=0)


def test_scan_invalid_exclusive_start_key(ddb, scan_table):
    with validation_error(match="^The provided starting key is invalid"):
        ddb.scan(TableName=scan_table, ExclusiveStartKey={"pk": S("p0")})


def test_scan_one_megabyte_page(ddb, new_table):
    table = new_table()
    for i in range(30):
        ddb.put_item(TableName=table, Item={"pk": S(f"k{i}"), "payload": S("x" * 40_000)})
    first = ddb.scan(TableName=table)
    assert "LastEvaluatedKey" in first and 20 <= len(first["Items"]) < 30
    assert len(full_scan(ddb, table)) == 30

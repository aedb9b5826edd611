"""Durability of an on-disk server (`--data-dir`): every acknowledged write survives SIGKILL and a
restart on the same directory; SIGTERM shuts down cleanly with exit status 0; a second server on a
directory in use refuses to start with a message that says why.

These tests start their own `ferrodyn` processes, so they need the binary (`FERRODYN_BIN`) and are
skipped when the suite runs against an external `FERRODYN_ENDPOINT`.
"""

import os
import subprocess

import pytest

from ferrodyn_process import FerrodynProcess
from support import N, S, create_table, full_scan, make_client

pytestmark = [
    pytest.mark.durability,
    pytest.mark.skipif(
        bool(os.environ.get("FERRODYN_ENDPOINT")),
        reason="starts its own on-disk ferrodyn processes",
    ),
]


@pytest.fixture
def servers():
    started = []

    def start(data_dir, port=None):
        server = FerrodynProcess(["--data-dir", str(data_dir)], port=port)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.close()


def write_workload(ddb, table):
    """Writes through every write path; returns the table's expected contents by key."""
    expected = {}
    for i in range(150):
        item = {"pk": S(f"put{i:03d}"), "v": N(i), "blob": S("x" * (i * 7))}
        ddb.put_item(TableName=table, Item=item)
        expected[item["pk"]["S"]] = item
    for start in range(0, 100, 25):
        batch = []
        for i in range(start, start + 25):
            item = {"pk": S(f"batch{i:03d}"), "v": N(i)}
            batch.append({"PutRequest": {"Item": item}})
            expected[item["pk"]["S"]] = item
        assert ddb.batch_write_item(RequestItems={table: batch})["UnprocessedItems"] == {}
    for i in range(0, 150, 3):
        ddb.delete_item(TableName=table, Key={"pk": S(f"put{i:03d}")})
        del expected[f"put{i:03d}"]
    for i in range(1, 150, 3):
        key = f"put{i:03d}"
        new = ddb.update_item(
            TableName=table,
            Key={"pk": S(key)},
            UpdateExpression="SET v = v + :one, tag = :t",
            ExpressionAttributeValues={":one": N(1), ":t": S("updated")},
            ReturnValues="ALL_NEW",
        )["Attributes"]
        expected[key] = new
    return expected


def as_map(items):
    return {item["pk"]["S"]: item for item in items}


def test_acknowledged_writes_survive_sigkill(servers, tmp_path):
    data_dir = tmp_path / "data"
    first = servers(data_dir)
    ddb = make_client(first.endpoint)
    create_table(ddb, "durable", hash_key=("pk", "S"))
    expected = write_workload(ddb, "durable")
    first.kill()
    assert first.proc.returncode == -9

    second = servers(data_dir)
    ddb = make_client(second.endpoint)
    desc = ddb.describe_table(TableName="durable")["Table"]
    assert desc["TableStatus"] == "ACTIVE"
    assert desc["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert as_map(full_scan(ddb, "durable", ConsistentRead=True)) == expected
    for key, item in list(expected.items())[:20]:
        assert ddb.get_item(TableName="durable", Key={"pk": S(key)}, ConsistentRead=True)["Item"] == item

    # The restarted server keeps accepting writes, and they survive a second crash too.
    ddb.put_item(TableName="durable", Item={"pk": S("after-restart")})
    expected["after-restart"] = {"pk": S("after-restart")}
    second.kill()
    third = servers(data_dir)
    assert as_map(full_scan(make_client(third.endpoint), "durable", ConsistentRead=True)) == expected


def test_deleted_table_stays_deleted_after_sigkill(servers, tmp_path):
    data_dir = tmp_path / "data"
    first = servers(data_dir)
    ddb = make_client(first.endpoint)
    create_table(ddb, "kept", hash_key=("pk", "S"))
    create_table(ddb, "dropped", hash_key=("pk", "S"))
    ddb.put_item(TableName="dropped", Item={"pk": S("a")})
    ddb.delete_table(TableName="dropped")
    first.kill()
    ddb = make_client(servers(data_dir).endpoint)
    names = ddb.list_tables()["TableNames"]
    assert "kept" in names and "dropped" not in names


def test_sigterm_exits_cleanly_and_keeps_data(servers, tmp_path):
    data_dir = tmp_path / "data"
    first = servers(data_dir)
    ddb = make_client(first.endpoint)
    create_table(ddb, "graceful", hash_key=("pk", "S"))
    ddb.put_item(TableName="graceful", Item={"pk": S("k"), "v": N(1)})
    assert first.stop() == 0
    ddb = make_client(servers(data_dir).endpoint)
    assert ddb.get_item(TableName="graceful", Key={"pk": S("k")}, ConsistentRead=True)["Item"]["v"] == N(1)


def test_second_server_on_same_data_dir_refuses(servers, tmp_path):
    data_dir = tmp_path / "data"
    first = servers(data_dir)
    intruder = FerrodynProcess(["--data-dir", str(data_dir)])
    try:
        proc = intruder.spawn()
        try:
            status = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pytest.fail("a second server on a data dir in use kept running")
        assert status != 0
        message = intruder.log_text().lower()
        assert "lock" in message or "in use" in message or "already" in message, message
        assert str(data_dir).lower() in message or "data" in message, message
    finally:
        intruder.close()
    # The first server is unharmed.
    assert make_client(first.endpoint).list_tables()["TableNames"] == []

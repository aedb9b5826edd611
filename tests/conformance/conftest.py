"""Fixtures of the conformance suite.

One server per session: `$FERRODYN_ENDPOINT` if set (nothing is started), else
`$FERRODYN_BIN serve --listen 127.0.0.1:<free port> --in-memory`, stopped by PID at the end.
With `FERRODYN_CLUSTER=N` the session's server is a cluster of N in-memory nodes instead, and
`ddb` and `streams` send each call to the next node in turn, so every test's requests are
spread over the nodes. `FERRODYN_TABLE_PARTITIONS=P` starts those nodes with
`--table-partitions P`.
Tests share a few session tables and keep apart by using unique partition keys; a test that
needs a whole table to itself (counts, scans, table settings) creates a uniquely named one
through `new_table`, which deletes it afterwards. `streams` is a DynamoDB Streams client on the
same server; `ttl_endpoint` is a second server whose time-to-live sweeper runs often.
"""

from __future__ import annotations

import os

import pytest

from ferrodyn_process import FerrodynCluster, FerrodynProcess
from support import (
    RawClient,
    create_table,
    delete_table_quietly,
    make_client,
    make_streams_client,
    unique_name,
)

# How often the time-to-live sweeper of the servers started by `ttl_endpoint` runs, through the
# `--ttl-sweep-interval-ms` flag of `ferrodyn serve`.
TTL_SWEEP_INTERVAL_MS = 200


class RoundRobin:
    """Calls each method of the next client in turn (the clients of a cluster's nodes)."""

    def __init__(self, clients):
        self._clients = clients
        self._turn = 0

    def __getattr__(self, name):
        client = self._clients[self._turn % len(self._clients)]
        self._turn += 1
        return getattr(client, name)


@pytest.fixture(scope="session")
def endpoints():
    """The base URLs of the nodes under test (one, unless FERRODYN_CLUSTER is set)."""
    configured = os.environ.get("FERRODYN_ENDPOINT")
    if configured:
        yield [configured.rstrip("/")]
        return
    size = int(os.environ.get("FERRODYN_CLUSTER", "0"))
    if size > 0:
        partitions = os.environ.get("FERRODYN_TABLE_PARTITIONS")
        extra = ["--table-partitions", partitions] if partitions else []
        cluster = FerrodynCluster(size, lambda n: ["--in-memory", *extra]).start()
        try:
            yield cluster.endpoints
        finally:
            cluster.close()
        return
    server = FerrodynProcess(["--in-memory"]).start()
    try:
        yield [server.endpoint]
    finally:
        server.close()


@pytest.fixture(scope="session")
def endpoint(endpoints):
    """The base URL of the server under test (the first node of a cluster)."""
    return endpoints[0]


@pytest.fixture(scope="session")
def ddb(endpoints):
    if len(endpoints) == 1:
        return make_client(endpoints[0])
    return RoundRobin([make_client(e) for e in endpoints])


@pytest.fixture(scope="session")
def streams(endpoints):
    """A boto3 `dynamodbstreams` client on the same server (each node in turn on a cluster)."""
    if len(endpoints) == 1:
        return make_streams_client(endpoints[0])
    return RoundRobin([make_streams_client(e) for e in endpoints])


@pytest.fixture(scope="session")
def ttl_endpoint():
    """A server of its own whose time-to-live sweeper runs every TTL_SWEEP_INTERVAL_MS, so
    expired items go within a second or two. Skipped against an external FERRODYN_ENDPOINT,
    whose sweep interval the suite cannot set."""
    if os.environ.get("FERRODYN_ENDPOINT"):
        pytest.skip("needs a server started with --ttl-sweep-interval-ms")
    server = FerrodynProcess(["--in-memory", "--ttl-sweep-interval-ms", str(TTL_SWEEP_INTERVAL_MS)]).start()
    try:
        yield server.endpoint
    finally:
        server.close()


@pytest.fixture(scope="session")
def ttl_ddb(ttl_endpoint):
    return make_client(ttl_endpoint)


@pytest.fixture(scope="session")
def ttl_streams(ttl_endpoint):
    return make_streams_client(ttl_endpoint)


@pytest.fixture(scope="session")
def raw(endpoint):
    return RawClient(endpoint)


@pytest.fixture
def new_table(ddb):
    """`new_table(hash_key=("pk","S"), range_key=None, **CreateTable params)` -> table name.

    Every table made through it is deleted when the test ends.
    """
    made: list[str] = []

    def make(hash_key=("pk", "S"), range_key=None, **extra) -> str:
        name = extra.pop("TableName", None) or unique_name()
        made.append(name)
        create_table(ddb, name, hash_key=hash_key, range_key=range_key, **extra)
        return name

    yield make
    for name in made:
        delete_table_quietly(ddb, name)


@pytest.fixture
def table_names(ddb):
    """Reserves unique table names for tests that call CreateTable themselves; any table that
    exists under one of them at the end is deleted."""
    reserved: list[str] = []

    def reserve(prefix: str = "conf") -> str:
        name = unique_name(prefix)
        reserved.append(name)
        return name

    yield reserve
    for name in reserved:
        delete_table_quietly(ddb, name)


def _session_table(ddb, hash_key, range_key=None):
    name = unique_name("shared")
    create_table(ddb, name, hash_key=hash_key, range_key=range_key)
    return name


@pytest.fixture(scope="session")
def hash_table(ddb):
    """Shared table keyed by `pk` (S) alone; use unique partition keys."""
    name = _session_table(ddb, ("pk", "S"))
    yield name
    delete_table_quietly(ddb, name)


@pytest.fixture(scope="session")
def composite_table(ddb):
    """Shared table keyed by `pk` (S) and `sk` (S); use unique partition keys."""
    name = _session_table(ddb, ("pk", "S"), ("sk", "S"))
    yield name
    delete_table_quietly(ddb, name)


@pytest.fixture(scope="session")
def numeric_table(ddb):
    """Shared table keyed by `pk` (S) and `sk` (N); use unique partition keys."""
    name = _session_table(ddb, ("pk", "S"), ("sk", "N"))
    yield name
    delete_table_quietly(ddb, name)


@pytest.fixture(scope="session")
def binary_table(ddb):
    """Shared table keyed by `pk` (B) and `sk` (B); use unique partition keys."""
    name = _session_table(ddb, ("pk", "B"), ("sk", "B"))
    yield name
    delete_table_quietly(ddb, name)

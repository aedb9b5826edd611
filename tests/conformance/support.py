"""Helpers shared by the conformance tests: error assertions, unique names, table creation,
raw signed HTTP requests.

Every expectation in this suite is DynamoDB's documented (or observed) behaviour; these helpers
only make the tests short.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from contextlib import contextmanager

import boto3
import botocore.auth
import botocore.credentials
import pytest
import requests
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.exceptions import ClientError

REGION = "us-east-1"
ACCESS_KEY = "AKIDCONFORMANCE"
SECRET_KEY = "conformance-secret"
TARGET_PREFIX = "DynamoDB_20120810."
JSON_CONTENT_TYPE = "application/x-amz-json-1.0"

# DynamoDB's error types travel as `com.amazonaws.dynamodb.v20120810#<Name>`; boto3 keeps the part
# after '#', which is what the tests compare.


def make_client(endpoint: str):
    """A boto3 DynamoDB client for `endpoint` that never retries and leaves all validation to
    the server (client-side parameter validation would hide the server's errors)."""
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(
            retries={"max_attempts": 1, "mode": "standard"},
            parameter_validation=False,
            connect_timeout=5,
            read_timeout=60,
        ),
    )


def make_streams_client(endpoint: str):
    """A boto3 DynamoDB Streams client for `endpoint` (the same server answers both APIs), with
    the same settings as `make_client`."""
    return boto3.client(
        "dynamodbstreams",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(
            retries={"max_attempts": 1, "mode": "standard"},
            parameter_validation=False,
            connect_timeout=5,
            read_timeout=60,
        ),
    )


def S(v) -> dict:
    """A string attribute value."""
    return {"S": v}


def N(v) -> dict:
    """A number attribute value (written as DynamoDB's decimal string)."""
    return {"N": str(v)}


def keys(*pairs) -> list[dict]:
    """A key schema from (attribute name, key type) pairs."""
    return [{"AttributeName": name, "KeyType": kind} for name, kind in pairs]


def wait_until(probe, what: str, timeout_s: float = 10.0, interval_s: float = 0.05):
    """Calls `probe()` until it returns something truthy, and returns that; fails the test with
    `what` after `timeout_s` seconds."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(interval_s)


def index_description(ddb, table: str, index: str) -> dict | None:
    """The description of `index` (global or local) in DescribeTable, or None."""
    desc = ddb.describe_table(TableName=table)["Table"]
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        for description in desc.get(key, []):
            if description["IndexName"] == index:
                return description
    return None


def wait_for_index_status(ddb, table: str, index: str, status: str = "ACTIVE", timeout_s: float = 30.0):
    """Polls DescribeTable until global index `index` reaches `status`; returns its description.
    `status=None` waits until the index is gone."""

    def probe():
        description = index_description(ddb, table, index)
        if status is None:
            return description is None
        return description if description and description.get("IndexStatus") == status else None

    return wait_until(probe, f"index {index} of {table} to be {status or 'gone'}", timeout_s)


class ErrorInfo:
    """What a failed call returned: the error code, message and HTTP status."""

    def __init__(self) -> None:
        self.code: str | None = None
        self.message: str | None = None
        self.status: int | None = None
        self.response: dict | None = None


@contextmanager
def client_error(code: str, message: str | None = None, match: str | None = None):
    """Asserts that the block raises a boto3 ClientError with `code`.

    `message` must equal the error message exactly; `match` is a regular expression searched in
    it (use it where DynamoDB's exact wording is not documented).
    """
    info = ErrorInfo()
    with pytest.raises(ClientError) as caught:
        yield info
    error = caught.value.response["Error"]
    info.code = error.get("Code")
    info.message = error.get("Message")
    info.status = caught.value.response["ResponseMetadata"]["HTTPStatusCode"]
    info.response = caught.value.response
    assert info.code == code, f"expected {code}, got {info.code}: {info.message}"
    if message is not None:
        assert info.message == message
    if match is not None:
        assert info.message is not None and re.search(match, info.message), (
            f"message {info.message!r} does not match {match!r}"
        )


def validation_error(message: str | None = None, match: str | None = None):
    """`client_error("ValidationException", ...)`."""
    return client_error("ValidationException", message=message, match=match)


def unique_name(prefix: str = "conf") -> str:
    """A table name no other test uses (3-255 characters of [a-zA-Z0-9_.-])."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def unique_key(prefix: str = "k") -> str:
    """A partition key value no other test uses, for tests sharing a table."""
    return f"{prefix}-{uuid.uuid4().hex}"


def wait_for_status(ddb, table: str, status: str = "ACTIVE", timeout_s: float = 10.0) -> dict:
    """Polls DescribeTable until the table reaches `status`; returns the description."""
    deadline = time.monotonic() + timeout_s
    while True:
        desc = ddb.describe_table(TableName=table)["Table"]
        if desc["TableStatus"] == status:
            return desc
        if time.monotonic() > deadline:
            raise AssertionError(f"table {table} still {desc['TableStatus']} after {timeout_s} s")
        time.sleep(0.05)


def wait_until_gone(ddb, table: str, timeout_s: float = 10.0) -> None:
    """Polls DescribeTable until it answers ResourceNotFoundException."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            ddb.describe_table(TableName=table)
        except ClientError as err:
            if err.response["Error"]["Code"] == "ResourceNotFoundException":
                return
            raise
        if time.monotonic() > deadline:
            raise AssertionError(f"table {table} still exists after {timeout_s} s")
        time.sleep(0.05)


def key_schema(hash_key: tuple[str, str], range_key: tuple[str, str] | None = None):
    """(KeySchema, AttributeDefinitions) for a table keyed by (name, type) pairs."""
    schema = [{"AttributeName": hash_key[0], "KeyType": "HASH"}]
    defs = [{"AttributeName": hash_key[0], "AttributeType": hash_key[1]}]
    if range_key is not None:
        schema.append({"AttributeName": range_key[0], "KeyType": "RANGE"})
        defs.append({"AttributeName": range_key[0], "AttributeType": range_key[1]})
    return schema, defs


def create_table(ddb, name: str, hash_key=("pk", "S"), range_key=None, **extra) -> dict:
    """Creates an on-demand table (unless `extra` says otherwise) and waits for ACTIVE."""
    schema, defs = key_schema(hash_key, range_key)
    params = {
        "TableName": name,
        "KeySchema": schema,
        "AttributeDefinitions": defs,
    }
    if "ProvisionedThroughput" not in extra and "BillingMode" not in extra:
        params["BillingMode"] = "PAY_PER_REQUEST"
    params.update(extra)
    ddb.create_table(**params)
    return wait_for_status(ddb, name)


def delete_table_quietly(ddb, name: str) -> None:
    """Deletes a table, ignoring that it may already be gone."""
    try:
        ddb.delete_table(TableName=name)
    except ClientError as err:
        if err.response["Error"]["Code"] != "ResourceNotFoundException":
            raise


def full_scan(ddb, table: str, **params) -> list[dict]:
    """Every item a Scan returns, following LastEvaluatedKey."""
    items: list[dict] = []
    while True:
        page = ddb.scan(TableName=table, **params)
        items.extend(page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return items
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def full_query(ddb, table: str, **params) -> list[dict]:
    """Every item a Query returns, following LastEvaluatedKey."""
    items: list[dict] = []
    while True:
        page = ddb.query(TableName=table, **params)
        items.extend(page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return items
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]


class RawClient:
    """Sends hand-made requests so the tests see the wire: status, headers and exact bodies.

    Requests are SigV4-signed with dummy credentials (DynamoDB rejects unsigned requests) unless
    `sign=False`.
    """

    def __init__(self, endpoint: str):
        self.endpoint = endpoint
        self.session = requests.Session()
        self.credentials = botocore.credentials.Credentials(ACCESS_KEY, SECRET_KEY)

    def post(
        self,
        operation: str | None,
        body: bytes | str | dict,
        headers: dict | None = None,
        sign: bool = True,
    ) -> requests.Response:
        if isinstance(body, dict):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        all_headers = {"Content-Type": JSON_CONTENT_TYPE}
        if operation is not None:
            all_headers["X-Amz-Target"] = TARGET_PREFIX + operation
        all_headers.update(headers or {})
        request = AWSRequest(method="POST", url=self.endpoint + "/", data=body, headers=all_headers)
        if sign:
            botocore.auth.SigV4Auth(self.credentials, "dynamodb", REGION).add_auth(request)
        prepared = request.prepare()
        return self.session.post(self.endpoint + "/", data=body, headers=dict(prepared.headers), timeout=30)

    @staticmethod
    def error_type(response: requests.Response) -> str:
        """The error name after '#' in the body's `__type`."""
        return response.json()["__type"].split("#")[-1]

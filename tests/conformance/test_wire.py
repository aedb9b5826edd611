"""The awsJson1.0 wire protocol as DynamoDB speaks it, seen through raw HTTP where boto3 would hide
it: status codes, the error body, `x-amzn-RequestId`, the `x-amz-crc32` checksum SDKs verify,
unknown operations, malformed JSON, wrong member types, unsigned requests, oversized bodies.
"""

import json
import os
import zlib

import pytest
import requests

from support import RawClient, unique_name


def crc32_of(response):
    return zlib.crc32(response.content) & 0xFFFFFFFF


def assert_error(response, error_type, status=400):
    assert response.status_code == status
    body = response.json()
    assert body["__type"].split("#")[-1] == error_type, body
    return body.get("message", body.get("Message"))


def test_success_headers(raw):
    response = raw.post("ListTables", {})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/x-amz-json-1.0")
    assert response.headers["x-amzn-RequestId"]
    assert int(response.headers["x-amz-crc32"]) == crc32_of(response)
    assert "TableNames" in response.json()


def test_request_ids_are_unique(raw):
    ids = {raw.post("ListTables", {}).headers["x-amzn-RequestId"] for _ in range(5)}
    assert len(ids) == 5


def test_error_headers_and_body(raw):
    response = raw.post("DescribeTable", {"TableName": unique_name("missing")})
    message = assert_error(response, "ResourceNotFoundException")
    assert message.startswith("Requested resource not found")
    assert response.headers["x-amzn-RequestId"]
    assert int(response.headers["x-amz-crc32"]) == crc32_of(response)
    assert response.json()["__type"] == "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"


def test_crc32_matches_large_body(raw, ddb, new_table):
    table = new_table()
    for i in range(20):
        ddb.put_item(TableName=table, Item={"pk": {"S": f"k{i}"}, "v": {"S": "é" * 5000}})
    response = raw.post("Scan", {"TableName": table})
    assert response.status_code == 200
    assert int(response.headers["x-amz-crc32"]) == crc32_of(response)
    assert len(response.json()["Items"]) == 20


def test_unknown_operation(raw):
    response = raw.post("FlyToTheMoon", {})
    assert_error(response, "UnknownOperationException")
    assert int(response.headers["x-amz-crc32"]) == crc32_of(response)


def test_malformed_json(raw):
    response = raw.post("ListTables", b'{"Limit": 1,')
    assert_error(response, "SerializationException")


def test_body_that_is_not_json(raw):
    response = raw.post("GetItem", b"hello")
    assert_error(response, "SerializationException")


def test_member_of_wrong_type(raw):
    response = raw.post("DescribeTable", {"TableName": 12})
    assert_error(response, "SerializationException")
    response = raw.post("ListTables", {"Limit": "ten"})
    assert_error(response, "SerializationException")


def test_attribute_value_of_wrong_shape(raw, hash_table):
    response = raw.post("PutItem", {"TableName": hash_table, "Item": {"pk": {"S": ["a"]}}})
    assert response.status_code == 400
    assert response.json()["__type"].split("#")[-1] in ("SerializationException", "ValidationException")


def test_validation_errors_are_400(raw):
    response = raw.post("CreateTable", {"TableName": "x"})
    assert_error(response, "ValidationException")


def test_conditional_failure_is_400(raw, hash_table):
    item = {"pk": {"S": unique_name("cond")}}
    assert raw.post("PutItem", {"TableName": hash_table, "Item": item}).status_code == 200
    response = raw.post(
        "PutItem",
        {"TableName": hash_table, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"},
    )
    assert assert_error(response, "ConditionalCheckFailedException") == "The conditional request failed"


def test_unsigned_request_is_rejected(raw):
    response = raw.post("ListTables", {}, sign=False)
    assert_error(response, "MissingAuthenticationTokenException")


def test_any_well_formed_signature_is_accepted(endpoint):
    # Credentials are not verified (as in DynamoDB Local); a syntactically valid SigV4 header
    # from any key pair is enough.
    other = RawClient(endpoint)
    other.credentials = type(other.credentials)("AKIDSOMEONEELSE", "some-other-secret")
    assert other.post("ListTables", {}).status_code == 200


def test_oversized_body_is_rejected_and_server_survives(raw):
    # DynamoDB's largest request (a 25-item batch) is 16 MB; a larger body must be refused.
    blob = "x" * (17 * 1024 * 1024)
    body = json.dumps({"TableName": "t" * 3, "Item": {"pk": {"S": blob}}})
    try:
        response = raw.post("PutItem", body)
        assert 400 <= response.status_code < 500
    except requests.ConnectionError:
        pass  # closing the connection on an oversized body is also a refusal
    assert raw.post("ListTables", {}).status_code == 200


@pytest.mark.skipif(bool(os.environ.get("FERRODYN_ENDPOINT")), reason="the health endpoint is Ferrodyn's own")
def test_health_needs_no_credentials(endpoint):
    assert requests.get(endpoint + "/health", timeout=5).status_code == 200

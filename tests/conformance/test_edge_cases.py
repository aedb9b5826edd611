"""Edge cases across operations where DynamoDB's behaviour is easy to get wrong: what an empty
name or key value does, updates of items that do not exist, and limits spanning a table's
indexes.

Sources: "Supported data types and naming rules", "Expression attribute names" and "Service
quotas" in the developer guide; the UpdateItem, Query, CreateTable and Projection API
references.
"""

from support import unique_key, validation_error


def S(v):
    return {"S": v}


def keys(*pairs):
    return [{"AttributeName": name, "KeyType": kind} for name, kind in pairs]


def definitions(*pairs):
    return [{"AttributeName": name, "AttributeType": kind} for name, kind in pairs]


# ---- ExpressionAttributeNames ------------------------------------------------------------------


def test_empty_attribute_name_in_placeholder(ddb, hash_table):
    key = {"pk": S(unique_key())}
    ddb.put_item(TableName=hash_table, Item={**key, "a": S("x")})
    with validation_error("ExpressionAttributeNames contains invalid value: Empty attribute name for key #e"):
        ddb.get_item(
            TableName=hash_table,
            Key=key,
            ProjectionExpression="#a, #e",
            ExpressionAttributeNames={"#a": "a", "#e": ""},
        )
    with validation_error("ExpressionAttributeNames contains invalid value: Empty attribute name for key #e"):
        ddb.update_item(
            TableName=hash_table,
            Key=key,
            UpdateExpression="SET #e = :v",
            ExpressionAttributeNames={"#e": ""},
            ExpressionAttributeValues={":v": S("v")},
        )
    assert ddb.get_item(TableName=hash_table, Key=key, ConsistentRead=True)["Item"] == {**key, "a": S("x")}

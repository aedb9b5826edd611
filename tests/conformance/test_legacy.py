"""The legacy (pre-expression) parameters that older code still sends: AttributesToGet, Expected,
KeyConditions, QueryFilter, ScanFilter, AttributeUpdates and ConditionalOperator, and the rule that
they cannot be mixed with expressions. Source: "Legacy conditional parameters" in the developer
guide and each operation's API reference.
"""

import pytest

from support import N, S, client_error, full_scan, unique_key, validation_error


@pytest.fixture
def item(ddb, hash_table):
    key = {"pk": S(unique_key())}
    value = {**key, "a": N(5), "b": S("hello"), "ss": {"SS": ["x", "y"]}}
    ddb.put_item(TableName=hash_table, Item=value)
    return key, value


def test_attributes_to_get(ddb, hash_table, item):
    key, _ = item
    got = ddb.get_item(TableName=hash_table, Key=key, AttributesToGet=["a", "absent"], ConsistentRead=True)
    assert got["Item"] == {"a": N(5)}


def test_attributes_to_get_duplicates(ddb, hash_table, item):
    key, _ = item
    with validation_error("One or more parameter values were invalid: Duplicate value in attribute name: a"):
        ddb.get_item(TableName=hash_table, Key=key, AttributesToGet=["a", "a"])


@pytest.mark.parametrize(
    "expected,passes",
    [
        ({"a": {"Value": N(5)}}, True),
        ({"a": {"Value": N(6)}}, False),
        ({"a": {"Exists": True, "Value": N(5)}}, True),
        ({"absent": {"Exists": False}}, True),
        ({"a": {"Exists": False}}, False),
        ({"a": {"ComparisonOperator": "GT", "AttributeValueList": [N(4)]}}, True),
        ({"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [N(1), N(4)]}}, False),
        ({"b": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [S("he")]}}, True),
        ({"b": {"ComparisonOperator": "CONTAINS", "AttributeValueList": [S("ell")]}}, True),
        ({"ss": {"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [S("z")]}}, True),
        ({"a": {"ComparisonOperator": "IN", "AttributeValueList": [N(1), N(5)]}}, True),
        ({"absent": {"ComparisonOperator": "NULL"}}, True),
        ({"a": {"ComparisonOperator": "NOT_NULL"}}, True),
        ({"a": {"ComparisonOperator": "NE", "AttributeValueList": [N(5)]}}, False),
        ({"absent": {"ComparisonOperator": "NE", "AttributeValueList": [N(5)]}}, True),
        (
            {
                "a": {"ComparisonOperator": "LE", "AttributeValueList": [N(5)]},
                "b": {"ComparisonOperator": "LT", "AttributeValueList": [S("a")]},
            },
            False,
        ),
    ],
)
def test_expected(ddb, hash_table, item, expected, passes):
    key, _ = item
    call = lambda: ddb.update_item(  # noqa: E731
        TableName=hash_table,
        Key=key,
        AttributeUpdates={"touched": {"Action": "PUT", "Value": {"BOOL": True}}},
        Expected=expected,
    )
    if passes:
        call()
    else:
        with client_error("ConditionalCheckFailedException", "The conditional request failed"):
            call()


def test_expected_with_conditional_operator_or(ddb, hash_table, item):
    # With OR one true condition is enough (neither dynalite nor moto honour OR here).
    key, value = item
    ddb.put_item(
        TableName=hash_table,
        Item=value,
        Expected={"a": {"Value": N(6)}, "b": {"Value": S("hello")}},
        ConditionalOperator="OR",
    )
    with client_error("ConditionalCheckFailedException", "The conditional request failed"):
        ddb.delete_item(
            TableName=hash_table,
            Key=key,
            Expected={"a": {"Value": N(6)}, "b": {"Value": S("hello")}},
            ConditionalOperator="AND",
        )


def test_expected_wrong_argument_count(ddb, hash_table, item):
    key, _ = item
    with validation_error(
        "One or more parameter values were invalid: Invalid number of argument(s) for the BETWEEN ComparisonOperator"
    ):
        ddb.delete_item(
            TableName=hash_table,
            Key=key,
            Expected={"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [N(1)]}},
        )


def test_expected_exists_true_needs_value(ddb, hash_table, item):
    key, _ = item
    with validation_error(
        "One or more parameter values were invalid: Value must be provided when Exists is true for Attribute: a"
    ):
        ddb.delete_item(TableName=hash_table, Key=key, Expected={"a": {"Exists": True}})


def test_attribute_updates(ddb, hash_table, item):
    key, _ = item
    response = ddb.update_item(
        TableName=hash_table,
        Key=key,
        AttributeUpdates={
            "a": {"Action": "ADD", "Value": N(2)},
            "b": {"Action": "DELETE"},
            "ss": {"Action": "DELETE", "Value": {"SS": ["x"]}},
            "c": {"Action": "PUT", "Value": S("new")},
            "n": {"Action": "ADD", "Value": {"NS": ["1"]}},
        },
        ReturnValues="ALL_NEW",
    )
    assert response["Attributes"] == {
        **key,
        "a": N(7),
        "ss": {"SS": ["y"]},
        "c": S("new"),
        "n": {"NS": ["1"]},
    }


def test_attribute_updates_default_action_is_put(ddb, hash_table, item):
    key, _ = item
    ddb.update_item(TableName=hash_table, Key=key, AttributeUpdates={"b": {"Value": S("bye")}})
    assert ddb.get_item(TableName=hash_table, Key=key, ConsistentRead=True)["Item"]["b"] == S("bye")


def test_attribute_updates_on_key(ddb, hash_table, item):
    key, _ = item
    with validation_error(
        "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key"
    ):
        ddb.update_item(
            TableName=hash_table, Key=key, AttributeUpdates={"pk": {"Action": "PUT", "Value": S("x")}}
        )


def test_key_conditions_and_query_filter(ddb, numeric_table):
    pk = S(unique_key())
    for i in range(6):
        ddb.put_item(TableName=numeric_table, Item={"pk": pk, "sk": N(i), "v": N(i % 3)})
    response = ddb.query(
        TableName=numeric_table,
        KeyConditions={
            "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [pk]},
            "sk": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [N(1), N(4)]},
        },
        QueryFilter={"v": {"ComparisonOperator": "NE", "AttributeValueList": [N(0)]}},
        AttributesToGet=["sk"],
    )
    assert [i["sk"]["N"] for i in response["Items"]] == ["1", "2", "4"]
    assert response["ScannedCount"] == 4


def test_key_conditions_begins_with(ddb, composite_table):
    pk = S(unique_key())
    for sk in ("ab", "abc", "b"):
        ddb.put_item(TableName=composite_table, Item={"pk": pk, "sk": S(sk)})
    response = ddb.query(
        TableName=composite_table,
        KeyConditions={
            "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [pk]},
            "sk": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [S("ab")]},
        },
    )
    assert [i["sk"]["S"] for i in response["Items"]] == ["ab", "abc"]


def test_key_conditions_unsupported_operator(ddb, numeric_table):
    with validation_error("Attempted conditional constraint is not an indexable operation"):
        ddb.query(
            TableName=numeric_table,
            KeyConditions={
                "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [S("a")]},
                "sk": {"ComparisonOperator": "NE", "AttributeValueList": [N(1)]},
            },
        )


def test_scan_filter_with_or(ddb, new_table):
    table = new_table()
    for i in range(6):
        ddb.put_item(TableName=table, Item={"pk": S(f"k{i}"), "v": N(i)})
    items = full_scan(
        ddb,
        table,
        ScanFilter={
            "v": {"ComparisonOperator": "LT", "AttributeValueList": [N(2)]},
            "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [S("k5")]},
        },
        ConditionalOperator="OR",
    )
    assert sorted(i["v"]["N"] for i in items) == ["0", "1", "5"]


def test_mixing_legacy_and_expression_parameters(ddb, hash_table, item):
    key, _ = item
    with validation_error(
        "Can not use both expression and non-expression parameters in the same request: "
        "Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}"
    ):
        ddb.delete_item(
            TableName=hash_table,
            Key=key,
            Expected={"a": {"Value": N(5)}},
            ConditionExpression="attribute_exists(a)",
        )
    with validation_error(
        "Can not use both expression and non-expression parameters in the same request: "
        "Non-expression parameters: {AttributeUpdates} Expression parameters: {UpdateExpression}"
    ):
        ddb.update_item(
            TableName=hash_table,
            Key=key,
            AttributeUpdates={"a": {"Action": "DELETE"}},
            UpdateExpression="REMOVE a",
        )


def test_expression_names_without_expression(ddb, hash_table, item):
    key, _ = item
    with validation_error("ExpressionAttributeNames can only be specified when using expressions"):
        ddb.get_item(TableName=hash_table, Key=key, ExpressionAttributeNames={"#a": "a"})

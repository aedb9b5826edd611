"""The errors every expression parameter shares: syntax errors, reserved words used bare, missing
and unused placeholders, invalid placeholder maps, and the 4 KB expression size limit. Source:
"Expression attribute names", "Expression attribute values", "Reserved words" and the expression
limits in the developer guide.
"""

import pytest

from support import S, unique_key, validation_error


@pytest.fixture
def key(ddb, hash_table):
    k = {"pk": S(unique_key())}
    ddb.put_item(TableName=hash_table, Item={**k, "a": S("x")})
    return k


def condition(ddb, table, key, expression, names=None, values=None):
    params = dict(TableName=table, Key=key, ConditionExpression=expression)
    if names is not None:
        params["ExpressionAttributeNames"] = names
    if values is not None:
        params["ExpressionAttributeValues"] = values
    return ddb.delete_item(**params)


@pytest.mark.parametrize("word", ["status", "name", "size", "data", "Count", "COMMENT"])
def test_reserved_word_used_bare(ddb, hash_table, key, word):
    with validation_error(
        f"Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: {word}"
    ):
        condition(ddb, hash_table, key, f"attribute_exists({word})")


def test_reserved_word_through_placeholder(ddb, hash_table, key):
    # Through a placeholder any name works, including reserved words.
    ddb.put_item(TableName=hash_table, Item={**key, "status": S("ok")})
    condition(ddb, hash_table, key, "#s = :ok", names={"#s": "status"}, values={":ok": S("ok")})


def test_missing_value_placeholder(ddb, hash_table, key):
    with validation_error(
        "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :nope"
    ):
        condition(ddb, hash_table, key, "a = :nope", values={":x": S("x")})


def test_missing_name_placeholder(ddb, hash_table, key):
    with validation_error(
        "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #nope"
    ):
        condition(ddb, hash_table, key, "attribute_exists(#nope)")


def test_unused_value_placeholder(ddb, hash_table, key):
    with validation_error(
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}"
    ):
        condition(ddb, hash_table, key, "a = :x", values={":x": S("x"), ":unused": S("y")})


def test_unused_name_placeholder(ddb, hash_table, key):
    with validation_error(
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}"
    ):
        condition(ddb, hash_table, key, "attribute_exists(#a)", names={"#a": "a", "#unused": "b"})


def test_unused_placeholders_across_expressions(ddb, hash_table, key):
    # A placeholder is used if any expression of the request uses it.
    ddb.update_item(
        TableName=hash_table,
        Key=key,
        UpdateExpression="SET #b = :v",
        ConditionExpression="#a = :x",
        ExpressionAttributeNames={"#a": "a", "#b": "b"},
        ExpressionAttributeValues={":x": S("x"), ":v": S("v")},
    )


def test_empty_placeholder_maps(ddb, hash_table, key):
    with validation_error("ExpressionAttributeValues must not be empty"):
        condition(ddb, hash_table, key, "attribute_exists(a)", values={})
    with validation_error("ExpressionAttributeNames must not be empty"):
        condition(ddb, hash_table, key, "attribute_exists(a)", names={})


def test_invalid_placeholder_keys(ddb, hash_table, key):
    with validation_error('ExpressionAttributeValues contains invalid key: Syntax error; key: "x"'):
        condition(ddb, hash_table, key, "attribute_exists(a)", values={"x": S("x")})
    with validation_error('ExpressionAttributeNames contains invalid key: Syntax error; key: "a"'):
        condition(ddb, hash_table, key, "attribute_exists(a)", names={"a": "a"})


def test_invalid_value_in_placeholder(ddb, hash_table, key):
    with validation_error(
        "ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: "
        "An string set  may not be empty for key :x"
    ):
        condition(ddb, hash_table, key, "a = :x", values={":x": {"SS": []}})


@pytest.mark.parametrize(
    "expression",
    [
        "a = ",
        "a == :x",
        "(a = :x",
        "a = :x)",
        "a = :x AND",
        "attribute_exists(a",
        "a IN ()",
        "NOT",
        "a BETWEEN :x",
        "",
    ],
)
def test_condition_syntax_errors(ddb, hash_table, key, expression):
    # DynamoDB names the offending token ("token: ..., near: ..."); dynalite's generated parser
    # words its syntax errors differently.
    if expression == "":
        with validation_error("Invalid ConditionExpression: The expression can not be empty;"):
            condition(ddb, hash_table, key, expression)
        return
    with validation_error(match=r"^Invalid ConditionExpression: Syntax error; token: "):
        condition(ddb, hash_table, key, expression, values={":x": S("x")} if ":x" in expression else None)


def test_unknown_function(ddb, hash_table, key):
    with validation_error("Invalid ConditionExpression: Invalid function name; function: exists"):
        condition(ddb, hash_table, key, "exists(a)")


def test_update_only_function_in_condition(ddb, hash_table, key):
    with validation_error(match="^Invalid ConditionExpression: .*function.*if_not_exists"):
        condition(ddb, hash_table, key, "if_not_exists(a, :x) = :x", values={":x": S("x")})


def test_filter_errors_name_the_filter(ddb, hash_table):
    with validation_error(
        "Invalid FilterExpression: Attribute name is a reserved keyword; reserved keyword: status"
    ):
        ddb.scan(
            TableName=hash_table, FilterExpression="status = :s", ExpressionAttributeValues={":s": S("x")}
        )


def test_key_condition_errors_name_the_key_condition(ddb, hash_table):
    with validation_error(match="^Invalid KeyConditionExpression: Syntax error; token: "):
        ddb.query(
            TableName=hash_table, KeyConditionExpression="pk = = :v", ExpressionAttributeValues={":v": S("x")}
        )


def test_projection_syntax_error(ddb, hash_table, key):
    with validation_error(match="^Invalid ProjectionExpression: Syntax error; token: "):
        ddb.get_item(TableName=hash_table, Key=key, ProjectionExpression="a,")


def test_expression_over_4_kb(ddb, hash_table, key):
    # Expression strings are limited to 4 KB (4,096 bytes); dynalite does not enforce it.
    long_condition = " OR ".join(["attribute_exists(a)"] * 200)  # about 4.6 KB
    assert len(long_condition) > 4096
    with validation_error(
        match="^Invalid ConditionExpression: Expression size has exceeded the maximum allowed size"
    ):
        condition(ddb, hash_table, key, long_condition)


def test_expression_just_under_4_kb(ddb, hash_table, key):
    # Long attribute names keep the operator count (at most 300 per expression) low.
    clause = "attribute_not_exists(" + "a" * 200 + ")"
    count = 4096 // len(clause + " OR ")
    expression = " OR ".join([clause] * count)
    assert 4000 < len(expression) <= 4096
    condition(ddb, hash_table, key, expression)


def test_update_expression_over_4_kb(ddb, hash_table, key):
    assignments = ", ".join(f"attr{i:04d} = :v" for i in range(400))
    assert len("SET " + assignments) > 4096
    with validation_error(
        match="^Invalid UpdateExpression: Expression size has exceeded the maximum allowed size"
    ):
        ddb.update_item(
            TableName=hash_table,
            Key=key,
            UpdateExpression="SET " + assignments,
            ExpressionAttributeValues={":v": S("v")},
        )


def test_name_placeholder_value_longer_than_255(ddb, hash_table, key):
    # Attribute names in placeholders may be long (up to 64 KB for non-key attributes).
    long_name = "n" * 1000
    ddb.update_item(
        TableName=hash_table,
        Key=key,
        UpdateExpression="SET #n = :v",
        ExpressionAttributeNames={"#n": long_name},
        ExpressionAttributeValues={":v": S("v")},
    )
    assert ddb.get_item(TableName=hash_table, Key=key, ConsistentRead=True)["Item"][long_name] == S("v")

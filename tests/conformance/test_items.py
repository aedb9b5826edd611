"""PutItem, GetItem, DeleteItem and UpdateItem basics: key validation, ProjectionExpression,
ConsistentRead, every ReturnValues value, ConditionExpression on every write and
ReturnValuesOnConditionCheckFailure. Expectations from the API reference of each operation.
"""

import pytest

from support import N, S, client_error, unique_key, validation_error

CONDITION_FAILED = "The conditional request failed"


def get(ddb, table, key, **params):
    return ddb.get_item(TableName=table, Key=key, ConsistentRead=True, **params).get("Item")


# ---- PutItem / GetItem ----------------------------------------------------------------------------


def test_put_then_get(ddb, hash_table):
    key = {"pk": S(unique_key())}
    item = {**key, "name": S("ferro"), "count": N(3)}
    assert ddb.put_item(TableName=hash_table, Item=item).get("Attributes") is None
    assert get(ddb, hash_table, key) == item


def test_get_missing_item_has_no_item_field(ddb, hash_table):
    response = ddb.get_item(TableName=hash_table, Key={"pk": S(unique_key())})
    assert "Item" not in response


def test_eventually_consistent_get_sees_own_write_eventually(ddb, hash_table):
    key = {"pk": S(unique_key())}
    ddb.put_item(TableName=hash_table, Item={**key, "v": N(1)})
    # An eventually consistent read may be stale on DynamoDB, but it is accepted and returns
    # either nothing or the written item.
    item = ddb.get_item(TableName=hash_table, Key=key, ConsistentRead=False).get("Item")
    assert item in (None, {**key, "v": N(1)})


def test_put_replaces_whole_item(ddb, hash_table):
    key = {"pk": S(unique_key())}
    ddb.put_item(TableName=hash_table, Item={**key, "a": S("1"), "b": S("2")})
    ddb.put_item(TableName=hash_table, Item={**key, "c": S("3")})
    assert get(ddb, hash_table, key) == {**key, "c": S("3")}


def test_put_return_values_all_old(ddb, hash_table):
    key = {"pk": S(unique_key())}
    first = {**key, "v": S("first")}
    response = ddb.put_item(TableName=hash_table, Item=first, ReturnValues="ALL_OLD")
    assert "Attributes" not in response
    response = ddb.put_item(TableName=hash_table, Item={**key, "v": S("second")}, ReturnValues="ALL_OLD")
    assert response["Attributes"] == first


@pytest.mark.parametrize("value", ["ALL_NEW", "UPDATED_OLD", "UPDATED_NEW"])
def test_put_rejects_other_return_values(ddb, hash_table, value):
    with validation_error("ReturnValues can only be ALL_OLD or NONE"):
        ddb.put_item(TableName=hash_table, Item={"pk": S(unique_key())}, ReturnValues=value)


def test_return_values_enum(ddb, hash_table):
    with validation_error(
        match="Value 'SOME' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set"
    ):
        ddb.put_item(TableName=hash_table, Item={"pk": S(unique_key())}, ReturnValues="SOME")


def test_put_missing_key(ddb, composite_table):
    with validation_error("One or more parameter values were invalid: Missing the key sk in the item"):
        ddb.put_item(TableName=composite_table, Item={"pk": S(unique_key())})


def test_put_key_type_mismatch(ddb, hash_table):
    with validation_error(
        "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N"
    ):
        ddb.put_item(TableName=hash_table, Item={"pk": N(1)})


def test_put_empty_string_key(ddb, hash_table):
    with validation_error(
        match="The AttributeValue for a key attribute cannot contain an empty string value. Key: pk"
    ):
        ddb.put_item(TableName=hash_table, Item={"pk": S("")})


def test_put_empty_binary_key(ddb, binary_table):
    with validation_error(
        match="The AttributeValue for a key attribute cannot contain an empty binary value. Key: sk"
    ):
        ddb.put_item(TableName=binary_table, Item={"pk": {"B": b"k"}, "sk": {"B": b""}})


def test_empty_string_and_binary_allowed_outside_keys(ddb, hash_table):
    key = {"pk": S(unique_key())}
    item = {**key, "s": S(""), "b": {"B": b""}, "l": {"L": [S("")]}, "m": {"M": {"e": S("")}}}
    ddb.put_item(TableName=hash_table, Item=item)
    assert get(ddb, hash_table, key) == item


def test_get_key_must_match_schema(ddb, composite_table):
    for key in (
        {"pk": S("a")},
        {"pk": S("a"), "sk": S("b"), "extra": S("c")},
        {"pk": S("a"), "other": S("b")},
        {"pk": N(1), "sk": S("b")},
    ):
        with validation_error("The provided key element does not match the schema"):
            ddb.get_item(TableName=composite_table, Key=key)


def test_get_empty_string_key(ddb, hash_table):
    with validation_error(
        match="The AttributeValue for a key attribute cannot contain an empty string value. Key: pk"
    ):
        ddb.get_item(TableName=hash_table, Key={"pk": S("")})


# ---- ProjectionExpression -----------------------------------------------------------------------


@pytest.fixture
def document(ddb, hash_table):
    key = {"pk": S(unique_key())}
    item = {
        **key,
        "a": {"M": {"b": {"L": [N(0), N(1), N(2), {"M": {"c": S("deep"), "d": S("other")}}]}, "x": S("y")}},
        "top": S("t"),
        "name": S("reserved word as an attribute name"),
        "dotted.name": S("one attribute, not a path"),
    }
    ddb.put_item(TableName=hash_table, Item=item)
    return key, item


def test_projection_top_level(ddb, hash_table, document):
    key, _ = document
    assert get(ddb, hash_table, key, ProjectionExpression="top") == {"top": S("t")}


def test_projection_nested_paths(ddb, hash_table, document):
    key, _ = document
    got = get(ddb, hash_table, key, ProjectionExpression="a.b[3].c, a.b[1], a.x")
    assert got == {"a": {"M": {"b": {"L": [N(1), {"M": {"c": S("deep")}}]}, "x": S("y")}}}


def test_projection_missing_paths_are_omitted(ddb, hash_table, document):
    key, _ = document
    assert get(ddb, hash_table, key, ProjectionExpression="nothing, a.b[9], a.x.y") == {}


def test_projection_with_names(ddb, hash_table, document):
    key, _ = document
    got = get(
        ddb,
        hash_table,
        key,
        ProjectionExpression="#n, #d, pk",
        ExpressionAttributeNames={"#n": "name", "#d": "dotted.name"},
    )
    assert got == {
        "pk": key["pk"],
        "name": S("reserved word as an attribute name"),
        "dotted.name": S("one attribute, not a path"),
    }


def test_projection_reserved_word(ddb, hash_table, document):
    key, _ = document
    with validation_error(
        "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: name"
    ):
        get(ddb, hash_table, key, ProjectionExpression="name")


def test_projection_overlapping_paths(ddb, hash_table, document):
    key, _ = document
    with validation_error(
        "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or "
        "rewrite one of these paths; path one: [a, b], path two: [a, b, [1]]"
    ):
        get(ddb, hash_table, key, ProjectionExpression="a.b, a.b[1]")


def test_projection_duplicate_path(ddb, hash_table, document):
    key, _ = document
    with validation_error(match="Invalid ProjectionExpression: Two document paths overlap"):
        get(ddb, hash_table, key, ProjectionExpression="top, top")


def test_projection_conflicting_paths(ddb, hash_table, document):
    key, _ = document
    with validation_error(match="Invalid ProjectionExpression: Two document paths conflict with each other"):
        get(ddb, hash_table, key, ProjectionExpression="a.b, a[0]")


def test_projection_and_attributes_to_get_together(ddb, hash_table, document):
    key, _ = document
    with validation_error(
        "Can not use both expression and non-expression parameters in the same request: "
        "Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}"
    ):
        get(ddb, hash_table, key, ProjectionExpression="top", AttributesToGet=["top"])


# ---- DeleteItem -------------------------------------------------------------------------------


def test_delete_item(ddb, hash_table):
    key = {"pk": S(unique_key())}
    item = {**key, "v": S("x")}
    ddb.put_item(TableName=hash_table, Item=item)
    assert ddb.delete_item(TableName=hash_table, Key=key, ReturnValues="ALL_OLD")["Attributes"] == item
    assert get(ddb, hash_table, key) is None
    # Deleting what is not there succeeds and returns nothing.
    assert "Attributes" not in ddb.delete_item(TableName=hash_table, Key=key, ReturnValues="ALL_OLD")


def test_delete_rejects_return_values_all_new(ddb, hash_table):
    # The DeleteItem reference allows only NONE and ALL_OLD (dynalite accepts any value).
    with validation_error("ReturnValues can only be ALL_OLD or NONE"):
        ddb.delete_item(TableName=hash_table, Key={"pk": S("a")}, ReturnValues="ALL_NEW")


def test_delete_key_must_match_schema(ddb, composite_table):
    with validation_error("The provided key element does not match the schema"):
        ddb.delete_item(TableName=composite_table, Key={"pk": S("a")})


# ---- ConditionExpression on every write -----------------------------------------------------------


def test_put_if_not_exists(ddb, hash_table):
    key = {"pk": S(unique_key())}
    ddb.put_item(
        TableName=hash_table, Item={**key, "v": N(1)}, ConditionExpression="attribute_not_exists(pk)"
    )
    with client_error("ConditionalCheckFailedException", CONDITION_FAILED):
        ddb.put_item(
            TableName=hash_table, Item={**key, "v": N(2)}, ConditionExpression="attribute_not_exists(pk)"
        )
    assert get(ddb, hash_table, key)["v"] == N(1)


def test_put_condition_on_value(ddb, hash_table):
    key = {"pk": S(unique_key())}
    ddb.put_item(TableName=hash_table, Item={**key, "version": N(1)})
    ddb.put_item(
        TableName=hash_table,
        Item={**key, "version": N(2)},
        ConditionExpression="version = :expected",
        ExpressionAttributeValues={":expected": N(1)},
    )
    with client_error("ConditionalCheckFailedException", CONDITION_FAILED):
        ddb.put_item(
            TableName=hash_table,
            Item={**key, "version": N(3)},
            ConditionExpression="version = :expected",
            ExpressionAttributeValues={":expected": N(1)},
        )
    assert get(ddb, hash_table, key)["version"] == N(2)


def test_condition_on_missing_item_sees_no_attributes(ddb, hash_table):
    key = {"pk": S(unique_key())}
    # Against a missing item every attribute is absent: comparisons are false...
    with client_error("ConditionalCheckFailedException", CONDITION_FAILED):
        ddb.put_item(
            TableName=hash_table,
            Item=key,
            ConditionExpression="v = :v",
            ExpressionAttributeValues={":v": N(1)},
        )
    # ...and attribute_not_exists / <> are true.
    ddb.put_item(
        TableName=hash_table,
        Item=key,
        ConditionExpression="attribute_not_exists(v) AND v <> :v",
        ExpressionAttributeValues={":v": N(1)},
    )


def test_delete_with_condition(ddb, hash_table):
    key = {"pk": S(unique_key())}
    ddb.put_item(TableName=hash_table, Item={**key, "state": S("busy")})
    with client_error("ConditionalCheckFailedException", CONDITION_FAILED):
        ddb.delete_item(
            TableName=hash_table,
            Key=key,
            ConditionExpression="#s = :idle",
            ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues={":idle": S("idle")},
        )
    assert get(ddb, hash_table, key) is not None
    ddb.delete_item(
        TableName=hash_table,
        Key=key,
        ConditionExpression="#s = :busy",
        ExpressionAttributeNames={"#s": "state"},
        ExpressionAttributeValues={":busy": S("busy")},
    )
    assert get(ddb, hash_table, key) is None


def test_update_with_condition(ddb, hash_table):
    key = {"pk": S(unique_key())}
    with client_error("ConditionalCheckFailedException", CONDITION_FAILED):
        ddb.update_item(
            TableName=hash_table,
            Key=key,
            UpdateExpression="SET v = :one",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":one": N(1)},
        )
    # A failed condition creates nothing.
    assert get(ddb, hash_table, key) is None


@pytest.mark.parametrize("operation", ["put", "update", "delete"])
def test_return_values_on_condition_check_failure(ddb, hash_table, operation):
    key = {"pk": S(unique_key())}
    old = {**key, "v": N(1), "other": S("x")}
    ddb.put_item(TableName=hash_table, Item=old)
    params = dict(
        TableName=hash_table,
        ConditionExpression="v = :two",
        ExpressionAttributeValues={":two": N(2)},
        ReturnValuesOnConditionCheckFailure="ALL_OLD",
    )
    with client_error("ConditionalCheckFailedException", CONDITION_FAILED) as err:
        if operation == "put":
            ddb.put_item(Item={**key, "v": N(3)}, **params)
        elif operation == "update":
            ddb.update_item(Key=key, UpdateExpression="SET v = :two", **params)
        else:
            ddb.delete_item(Key=key, **params)
    assert err.response["Item"] == old


def test_condition_failure_without_return_values_has_no_item(ddb, hash_table):
    key = {"pk": S(unique_key())}
    ddb.put_item(TableName=hash_table, Item={**key, "v": N(1)})
    with client_error("ConditionalCheckFailedException", CONDITION_FAILED) as err:
        ddb.put_item(TableName=hash_table, Item=key, ConditionExpression="attribute_not_exists(pk)")
    assert "Item" not in err.response


def test_return_values_on_condition_check_failure_enum(ddb, hash_table):
    with validation_error(match="returnValuesOnConditionCheckFailure"):
        ddb.put_item(
            TableName=hash_table,
            Item={"pk": S(unique_key())},
            ConditionExpression="attribute_not_exists(pk)",
            ReturnValuesOnConditionCheckFailure="ALL_NEW",
        )


# ---- the condition language -------------------------------------------------------------------


@pytest.fixture
def rich_item(ddb, hash_table):
    key = {"pk": S(unique_key())}
    item = {
        **key,
        "n": N(5),
        "s": S("hello world"),
        "b": {"B": b"\x01\x02"},
        "t": {"BOOL": True},
        "z": {"NULL": True},
        "l": {"L": [S("x"), N(2)]},
        "m": {"M": {"k": S("v")}},
        "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1", "2"]},
        "bs": {"BS": [b"\x01"]},
    }
    ddb.put_item(TableName=hash_table, Item=item)
    return key


CONDITIONS_TRUE = [
    ("n = :five", {":five": N(5)}),
    ("n <> :four", {":four": N(4)}),
    ("n < :six AND n <= :five AND n > :four AND n >= :five", {":six": N(6), ":five": N(5), ":four": N(4)}),
    ("n BETWEEN :four AND :six", {":four": N(4), ":six": N(6)}),
    ("n IN (:four, :five)", {":four": N(4), ":five": N(5)}),
    ("s > :h", {":h": S("hello")}),
    ("b < :b", {":b": {"B": b"\x01\x03"}}),
    ("NOT n = :four", {":four": N(4)}),
    ("(n = :four OR n = :five) AND t = :t", {":four": N(4), ":five": N(5), ":t": {"BOOL": True}}),
    ("attribute_exists(m.k) AND attribute_not_exists(m.q)", None),
    ("attribute_type(n, :N) AND attribute_type(z, :NULL)", {":N": S("N"), ":NULL": S("NULL")}),
    ("attribute_type(ss, :SS) AND attribute_type(l, :L)", {":SS": S("SS"), ":L": S("L")}),
    ("begins_with(s, :pre)", {":pre": S("hello")}),
    ("begins_with(b, :pre)", {":pre": {"B": b"\x01"}}),
    ("contains(s, :sub)", {":sub": S("o w")}),
    (
        "contains(ss, :a) AND contains(ns, :two) AND contains(l, :x)",
        {":a": S("a"), ":two": N(2), ":x": S("x")},
    ),
    ("contains(bs, :one)", {":one": {"B": b"\x01"}}),
    ("size(s) = :eleven", {":eleven": N(11)}),
    (
        "size(l) = :two AND size(m) = :one AND size(ss) = :two AND size(b) = :two",
        {":two": N(2), ":one": N(1)},
    ),
    ("l[1] = :two AND m.k = :v", {":two": N(2), ":v": S("v")}),
    ("z = :null", {":null": {"NULL": True}}),
    # Equality compares maps and lists deeply (dynalite does not support it).
    ("m = :m", {":m": {"M": {"k": S("v")}}}),
    ("l = :l", {":l": {"L": [S("x"), N(2)]}}),
    ("ss = :set", {":set": {"SS": ["b", "a"]}}),
    ("n <> :s", {":s": S("5")}),
]

CONDITIONS_FALSE = [
    ("n = :s", {":s": S("5")}),
    ("n < :s", {":s": S("9")}),
    ("n BETWEEN :six AND :seven", {":six": N(6), ":seven": N(7)}),
    ("n IN (:four, :six)", {":four": N(4), ":six": N(6)}),
    ("attribute_exists(absent)", None),
    ("attribute_type(n, :S)", {":S": S("S")}),
    ("begins_with(s, :n)", {":n": S("world")}),
    ("contains(n, :five)", {":five": N(5)}),
    ("size(n) = :one", {":one": N(1)}),
    ("size(absent) >= :zero", {":zero": N(0)}),
    ("absent = :null", {":null": {"NULL": True}}),
    ("n = n2", None),
]


def check_condition(ddb, hash_table, key, expression, values):
    params = dict(
        TableName=hash_table, Key=key, UpdateExpression="SET touched = :true", ConditionExpression=expression
    )
    params["ExpressionAttributeValues"] = {":true": {"BOOL": True}, **(values or {})}
    ddb.update_item(**params)


@pytest.mark.parametrize("expression,values", CONDITIONS_TRUE, ids=[c[0] for c in CONDITIONS_TRUE])
def test_condition_true(ddb, hash_table, rich_item, expression, values):
    check_condition(ddb, hash_table, rich_item, expression, values)


@pytest.mark.parametrize("expression,values", CONDITIONS_FALSE, ids=[c[0] for c in CONDITIONS_FALSE])
def test_condition_false(ddb, hash_table, rich_item, expression, values):
    with client_error("ConditionalCheckFailedException", CONDITION_FAILED):
        check_condition(ddb, hash_table, rich_item, expression, values)


def test_condition_invalid_attribute_type_name(ddb, hash_table, rich_item):
    with validation_error(match=r"Invalid ConditionExpression: Invalid attribute type name found; type: X"):
        check_condition(ddb, hash_table, rich_item, "attribute_type(n, :t)", {":t": S("X")})


def test_condition_between_bounds_reversed(ddb, hash_table, rich_item):
    with validation_error(
        match="Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound"
    ):
        check_condition(ddb, hash_table, rich_item, "n BETWEEN :hi AND :lo", {":hi": N(9), ":lo": N(1)})


def test_condition_function_used_as_value(ddb, hash_table, rich_item):
    with validation_error(
        match="Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: attribute_exists"
    ):
        check_condition(ddb, hash_table, rich_item, "attribute_exists(n) = :t", {":t": {"BOOL": True}})


def test_condition_size_of_document_path_only(ddb, hash_table, rich_item):
    with validation_error(match="Invalid ConditionExpression"):
        check_condition(ddb, hash_table, rich_item, "attribute_exists(:v)", {":v": N(1)})


def test_condition_operand_compared_with_itself(ddb, hash_table, rich_item):
    with validation_error(
        "Invalid ConditionExpression: The first operand must be distinct from the remaining "
        "operands for this operator or function; operator: =, first operand: [n]"
    ):
        check_condition(ddb, hash_table, rich_item, "n = n", None)


def test_condition_literal_of_wrong_type_for_function(ddb, hash_table, rich_item):
    # The operand types of a function are checked statically where they are literals.
    with validation_error(
        "Invalid ConditionExpression: Incorrect operand type for operator or function; "
        "operator or function: begins_with, operand type: N"
    ):
        check_condition(ddb, hash_table, rich_item, "begins_with(s, :five)", {":five": N(5)})


def test_condition_wrong_number_of_operands(ddb, hash_table, rich_item):
    with validation_error(
        match="Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 1"
    ):
        check_condition(ddb, hash_table, rich_item, "begins_with(s)", None)

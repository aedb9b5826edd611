"""The data model at its edges and the legacy parameters in detail: numbers in keys and sets,
the exact item size limit with nested documents, key types and sizes, attribute name length,
every legacy ComparisonOperator's argument count, and AttributeUpdates on missing items and
attributes. Sources: "Supported data types and naming rules", "Item sizes and formats" and
"Service, account, and table quotas" in the developer guide; the API reference's AttributeValue,
AttributeValueUpdate and Condition pages; "Legacy conditional parameters".
"""

import pytest

from support import N, S, client_error, unique_key, validation_error

MAX_ITEM_BYTES = 400 * 1024
OVERFLOW = "Number overflow. Attempting to store a number with magnitude larger than supported range"
UNDERFLOW = "Number underflow. Attempting to store a number with magnitude smaller than supported range"
TOO_MANY_DIGITS = "Attempting to store more than 38 significant digits in a Number"


def get(ddb, table, key):
    return ddb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")


# ---- numbers ------------------------------------------------------------------------------------


def test_equal_numbers_written_differently_are_the_same_sort_key(ddb, numeric_table):
    pk = S(unique_key())
    ddb.put_item(TableName=numeric_table, Item={"pk": pk, "sk": N("1.0"), "v": S("first")})
    ddb.put_item(TableName=numeric_table, Item={"pk": pk, "sk": N("10E-1"), "v": S("second")})
    item = get(ddb, numeric_table, {"pk": pk, "sk": N("1")})
    assert item == {"pk": pk, "sk": N("1"), "v": S("second")}
    items = ddb.query(
        TableName=numeric_table,
        KeyConditions={"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [pk]}},
        ConsistentRead=True,
    )["Items"]
    assert len(items) == 1


def test_invalid_number_in_a_key(ddb, numeric_table):
    with validation_error(match="^The parameter cannot be converted to a numeric value"):
        ddb.put_item(TableName=numeric_table, Item={"pk": S(unique_key()), "sk": N("one")})
    with validation_error(match="^The parameter cannot be converted to a numeric value"):
        ddb.get_item(TableName=numeric_table, Key={"pk": S(unique_key()), "sk": N("1..2")})


def test_number_range_applies_to_keys(ddb, numeric_table):
    with validation_error(OVERFLOW):
        ddb.put_item(TableName=numeric_table, Item={"pk": S(unique_key()), "sk": N("1E+126")})


@pytest.mark.parametrize(
    "member,message",
    [("1E+126", OVERFLOW), ("-1E-131", UNDERFLOW), ("1" * 39, TOO_MANY_DIGITS)],
)
def test_number_set_members_have_the_number_limits(ddb, hash_table, member, message):
    with validation_error(message):
        ddb.put_item(TableName=hash_table, Item={"pk": S(unique_key()), "ns": {"NS": ["1", member]}})


def test_invalid_number_in_a_number_set(ddb, hash_table):
    with validation_error(match="^The parameter cannot be converted to a numeric value"):
        ddb.put_item(TableName=hash_table, Item={"pk": S(unique_key()), "ns": {"NS": ["1", "two"]}})


def test_negative_number_range(ddb, hash_table):
    key = {"pk": S(unique_key())}
    ddb.put_item(TableName=hash_table, Item={**key, "n": N("-1E-130")})
    assert get(ddb, hash_table, key)["n"] == N("-0." + "0" * 129 + "1")
    with validation_error(OVERFLOW):
        ddb.put_item(TableName=hash_table, Item={**key, "n": N("-1E+126")})
    with validation_error(UNDERFLOW):
        ddb.put_item(TableName=hash_table, Item={**key, "n": N("-1E-131")})


def test_leading_and_trailing_zeros_are_not_significant_digits(ddb, hash_table):
    # "Leading and trailing zeroes are trimmed": 38 significant digits fit whatever zeros
    # surround them.
    key = {"pk": S(unique_key())}
    digits = "1234567890" * 3 + "12345678"
    ddb.put_item(
        TableName=hash_table,
        Item={**key, "big": N(digits + "000"), "small": N("0.000" + digits), "padded": N("000" + digits)},
    )
    item = get(ddb, hash_table, key)
    assert item["big"] == N(digits + "000")
    assert item["small"] == N("0.000" + digits)
    assert item["padded"] == N(digits)


# ---- keys ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value,type_name",
    [({"SS": ["a"]}, "SS"), ({"NULL": True}, "NULL"), ({"BOOL": True}, "BOOL"), ({"L": []}, "L")],
)
def test_keys_are_scalars(ddb, hash_table, value, type_name):
    # "Each primary key attribute must be a scalar (meaning that it can hold only a single
    # value). The only data types allowed for primary key attributes are string, number, or
    # binary."
    with validation_error(
        f"One or more parameter values were invalid: Type mismatch for key pk expected: S actual: {type_name}"
    ):
        ddb.put_item(TableName=hash_table, Item={"pk": value})


def test_binary_partition_key_size_counts_raw_bytes(ddb, new_table):
    # 2048 raw bytes are 2732 characters of base64; the limit is on the raw bytes.
    table = new_table(hash_key=("pk", "B"))
    ok = {"B": b"\xfe" * 2048}
    ddb.put_item(TableName=table, Item={"pk": ok})
    assert get(ddb, table, {"pk": ok}) == {"pk": ok}
    with validation_error(
        "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes"
    ):
        ddb.put_item(TableName=table, Item={"pk": {"B": b"\xfe" * 2049}})


# ---- item size ----------------------------------------------------------------------------------


def key_overhead(key_value: str) -> int:
    return len("pk") + len(key_value)


def test_map_costs_3_bytes_and_1_byte_per_element(ddb, hash_table):
    # Size of "m" = len("m") + 3 + per element (1 + len(name) + value size).
    key_value = unique_key()
    fill = MAX_ITEM_BYTES - key_overhead(key_value) - len("m") - 3 - (1 + len("a"))
    key = {"pk": S(key_value)}
    ddb.put_item(TableName=hash_table, Item={**key, "m": {"M": {"a": S("x" * fill)}}})
    assert len(get(ddb, hash_table, key)["m"]["M"]["a"]["S"]) == fill
    with validation_error("Item size has exceeded the maximum allowed size"):
        ddb.put_item(TableName=hash_table, Item={**key, "m": {"M": {"a": S("x" * (fill + 1))}}})


def test_list_costs_3_bytes_and_1_byte_per_element(ddb, hash_table):
    # Two elements: a string and {"BOOL": true} (1 byte), each with its 1-byte overhead.
    key_value = unique_key()
    fill = MAX_ITEM_BYTES - key_overhead(key_value) - len("l") - 3 - 1 - (1 + 1)
    key = {"pk": S(key_value)}
    ddb.put_item(TableName=hash_table, Item={**key, "l": {"L": [S("x" * fill), {"BOOL": True}]}})
    assert len(get(ddb, hash_table, key)["l"]["L"][0]["S"]) == fill
    with validation_error("Item size has exceeded the maximum allowed size"):
        ddb.put_item(TableName=hash_table, Item={**key, "l": {"L": [S("x" * (fill + 1)), {"BOOL": True}]}})


def test_binary_size_is_its_raw_length(ddb, hash_table):
    key_value = unique_key()
    fill = MAX_ITEM_BYTES - key_overhead(key_value) - len("b")
    key = {"pk": S(key_value)}
    ddb.put_item(TableName=hash_table, Item={**key, "b": {"B": b"\x00" * fill}})
    with validation_error("Item size has exceeded the maximum allowed size"):
        ddb.put_item(TableName=hash_table, Item={**key, "b": {"B": b"\x00" * (fill + 1)}})


def test_update_past_400_kb_through_attribute_updates(ddb, hash_table):
    key_value = unique_key()
    key = {"pk": S(key_value)}
    fill = MAX_ITEM_BYTES - key_overhead(key_value) - len("v")
    ddb.put_item(TableName=hash_table, Item={**key, "v": S("x" * fill)})
    with validation_error("Item size to update has exceeded the maximum allowed size"):
        ddb.update_item(
            TableName=hash_table, Key=key, AttributeUpdates={"w": {"Action": "PUT", "Value": S("y")}}
        )


def nested_list(depth):
    value = S("leaf")
    for _ in range(depth):
        value = {"L": [value]}
    return value


def test_lists_nest_up_to_32_levels(ddb, hash_table):
    key = {"pk": S(unique_key())}
    ddb.put_item(TableName=hash_table, Item={**key, "deep": nested_list(31)})
    assert get(ddb, hash_table, key)["deep"] == nested_list(31)
    with validation_error(match="(?i)nesting levels have exceeded supported limits"):
        ddb.put_item(TableName=hash_table, Item={**key, "deep": nested_list(32)})


# ---- attribute names ----------------------------------------------------------------------------

# "Attribute names must be at least one character long and less than 64 KB in size."
LONGEST_NAME = "n" * (64 * 1024 - 1)


def test_attribute_name_just_under_64_kb(ddb, hash_table):
    key = {"pk": S(unique_key())}
    ddb.put_item(TableName=hash_table, Item={**key, LONGEST_NAME: S("v")})
    assert get(ddb, hash_table, key)[LONGEST_NAME] == S("v")


def test_attribute_name_of_64_kb_is_refused(ddb, hash_table):
    key = {"pk": S(unique_key())}
    with validation_error():
        ddb.put_item(TableName=hash_table, Item={**key, LONGEST_NAME + "n": S("v")})
    with validation_error():
        ddb.update_item(
            TableName=hash_table,
            Key=key,
            AttributeUpdates={LONGEST_NAME + "n": {"Action": "PUT", "Value": S("v")}},
        )
    assert get(ddb, hash_table, key) is None


# ---- legacy comparison operators ----------------------------------------------------------------

# How many values each operator takes (the Condition reference).
ARGUMENT_COUNTS = {
    "EQ": 1,
    "NE": 1,
    "LE": 1,
    "LT": 1,
    "GE": 1,
    "GT": 1,
    "NOT_NULL": 0,
    "NULL": 0,
    "CONTAINS": 1,
    "NOT_CONTAINS": 1,
    "BEGINS_WITH": 1,
    "BETWEEN": 2,
}


@pytest.fixture
def legacy_item(ddb, hash_table):
    key = {"pk": S(unique_key())}
    ddb.put_item(TableName=hash_table, Item={**key, "a": S("m"), "ns": {"NS": ["1", "2"]}})
    return key


def expect(ddb, table, key, expected, **extra):
    return ddb.update_item(
        TableName=table,
        Key=key,
        AttributeUpdates={"touched": {"Action": "PUT", "Value": {"BOOL": True}}},
        Expected=expected,
        **extra,
    )


@pytest.mark.parametrize("operator", sorted(ARGUMENT_COUNTS))
def test_every_operator_checks_its_argument_count(ddb, hash_table, legacy_item, operator):
    wrong = ARGUMENT_COUNTS[operator] + 1
    values = [S(f"v{i}") for i in range(wrong)]
    message = (
        "One or more parameter values were invalid: "
        f"Invalid number of argument(s) for the {operator} ComparisonOperator"
    )
    with validation_error(message):
        expect(
            ddb,
            hash_table,
            legacy_item,
            {"a": {"ComparisonOperator": operator, "AttributeValueList": values}},
        )
    with validation_error(message):
        ddb.scan(
            TableName=hash_table,
            ScanFilter={"a": {"ComparisonOperator": operator, "AttributeValueList": values}},
        )


def test_in_needs_at_least_one_value(ddb, hash_table, legacy_item):
    with validation_error(
        "One or more parameter values were invalid: Invalid number of argument(s) for the IN ComparisonOperator"
    ):
        expect(ddb, hash_table, legacy_item, {"a": {"ComparisonOperator": "IN", "AttributeValueList": []}})
    expect(
        ddb,
        hash_table,
        legacy_item,
        {"a": {"ComparisonOperator": "IN", "AttributeValueList": [S(c) for c in "xyzm"]}},
    )


def test_values_of_one_list_share_a_type(ddb, hash_table, legacy_item):
    with validation_error(
        "One or more parameter values were invalid: AttributeValues inside AttributeValueList must be of same type"
    ):
        expect(
            ddb,
            hash_table,
            legacy_item,
            {"a": {"ComparisonOperator": "IN", "AttributeValueList": [S("m"), N(1)]}},
        )


def test_contains_compares_numbers_by_value(ddb, hash_table, legacy_item):
    expect(
        ddb,
        hash_table,
        legacy_item,
        {"ns": {"ComparisonOperator": "CONTAINS", "AttributeValueList": [N("2.00")]}},
    )
    with client_error("ConditionalCheckFailedException"):
        expect(
            ddb,
            hash_table,
            legacy_item,
            {"ns": {"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [N("1E0")]}},
        )


def test_comparison_with_a_value_of_another_type_is_false(ddb, hash_table, legacy_item):
    # The attribute is a string; a number is neither equal to it nor ordered against it.
    for operator in ("EQ", "GT", "LT"):
        with client_error("ConditionalCheckFailedException"):
            expect(
                ddb,
                hash_table,
                legacy_item,
                {"a": {"ComparisonOperator": operator, "AttributeValueList": [N(1)]}},
            )
    expect(ddb, hash_table, legacy_item, {"a": {"ComparisonOperator": "NE", "AttributeValueList": [N(1)]}})


def test_expected_exists_false_refuses_a_value(ddb, hash_table, legacy_item):
    with validation_error(
        "One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: a"
    ):
        expect(ddb, hash_table, legacy_item, {"a": {"Exists": False, "Value": S("m")}})


def test_expected_exists_with_comparison_operator(ddb, hash_table, legacy_item):
    with validation_error(
        "One or more parameter values were invalid: "
        "Exists and ComparisonOperator cannot be used together for Attribute: a"
    ):
        expect(
            ddb,
            hash_table,
            legacy_item,
            {"a": {"Exists": True, "ComparisonOperator": "EQ", "AttributeValueList": [S("m")]}},
        )


def test_expected_value_equality_compares_numbers_by_value(ddb, hash_table, legacy_item):
    expect(ddb, hash_table, legacy_item, {"ns": {"Exists": True, "Value": {"NS": ["2.0", "1"]}}})


def test_mixing_key_condition_expression_and_query_filter(ddb, numeric_table):
    with validation_error(
        "Can not use both expression and non-expression parameters in the same request: "
        "Non-expression parameters: {QueryFilter} Expression parameters: {KeyConditionExpression}"
    ):
        ddb.query(
            TableName=numeric_table,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": S("a")},
            QueryFilter={"v": {"ComparisonOperator": "NOT_NULL"}},
        )


def test_key_conditions_must_name_the_partition_key(ddb, numeric_table):
    with validation_error("Query condition missed key schema element: pk"):
        ddb.query(
            TableName=numeric_table,
            KeyConditions={"sk": {"ComparisonOperator": "EQ", "AttributeValueList": [N(1)]}},
        )


# ---- AttributeUpdates ---------------------------------------------------------------------------


def test_add_to_a_missing_item_starts_from_zero(ddb, hash_table):
    key = {"pk": S(unique_key())}
    response = ddb.update_item(
        TableName=hash_table,
        Key=key,
        AttributeUpdates={"n": {"Action": "ADD", "Value": N(-3)}},
        ReturnValues="ALL_NEW",
    )
    assert response["Attributes"] == {**key, "n": N(-3)}


def test_delete_on_a_missing_item_does_nothing(ddb, hash_table):
    # "If no item with the specified key is found: DELETE - Nothing happens; there is no
    # attribute to delete."
    key = {"pk": S(unique_key())}
    ddb.update_item(TableName=hash_table, Key=key, AttributeUpdates={"a": {"Action": "DELETE"}})
    ddb.update_item(
        TableName=hash_table, Key=key, AttributeUpdates={"s": {"Action": "DELETE", "Value": {"SS": ["x"]}}}
    )
    assert get(ddb, hash_table, key) is None


def test_add_to_a_missing_attribute_adds_it(ddb, hash_table):
    key = {"pk": S(unique_key())}
    ddb.put_item(TableName=hash_table, Item={**key, "other": S("x")})
    response = ddb.update_item(
        TableName=hash_table,
        Key=key,
        AttributeUpdates={
            "n": {"Action": "ADD", "Value": N("1.50")},
            "ss": {"Action": "ADD", "Value": {"SS": ["a"]}},
        },
        ReturnValues="UPDATED_NEW",
    )
    assert response["Attributes"] == {"n": N("1.5"), "ss": {"SS": ["a"]}}


def test_add_and_delete_need_matching_types(ddb, hash_table):
    # ADD of a set to a set, and DELETE of a set from a set, need the same element type; ADD of
    # a number needs a number.
    key = {"pk": S(unique_key())}
    ddb.put_item(TableName=hash_table, Item={**key, "ss": {"SS": ["a"]}, "s": S("x")})
    for updates in (
        {"ss": {"Action": "ADD", "Value": {"NS": ["1"]}}},
        {"ss": {"Action": "DELETE", "Value": {"NS": ["1"]}}},
        {"s": {"Action": "ADD", "Value": N(1)}},
    ):
        with validation_error():
            ddb.update_item(TableName=hash_table, Key=key, AttributeUpdates=updates)
    assert get(ddb, hash_table, key) == {**key, "ss": {"SS": ["a"]}, "s": S("x")}


@pytest.mark.parametrize("value", [S("x"), {"BOOL": True}, {"M": {}}])
def test_add_takes_only_numbers_and_sets(ddb, hash_table, value):
    with validation_error(
        match="^One or more parameter values were invalid: ADD action is not supported for the type"
    ):
        ddb.update_item(
            TableName=hash_table,
            Key={"pk": S(unique_key())},
            AttributeUpdates={"a": {"Action": "ADD", "Value": value}},
        )


def test_delete_with_a_value_takes_only_sets(ddb, hash_table):
    with validation_error(
        "One or more parameter values were invalid: DELETE action with value is not supported for the type S"
    ):
        ddb.update_item(
            TableName=hash_table,
            Key={"pk": S(unique_key())},
            AttributeUpdates={"a": {"Action": "DELETE", "Value": S("x")}},
        )


@pytest.mark.parametrize("action", ["PUT", "ADD"])
def test_put_and_add_need_a_value(ddb, hash_table, action):
    with validation_error(
        "One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified"
    ):
        ddb.update_item(
            TableName=hash_table, Key={"pk": S(unique_key())}, AttributeUpdates={"a": {"Action": action}}
        )


@pytest.mark.parametrize("action", ["ADD", "DELETE"])
def test_attribute_updates_never_touch_the_key(ddb, numeric_table, action):
    key = {"pk": S(unique_key()), "sk": N(1)}
    update = {"Action": action, "Value": N(1)} if action == "ADD" else {"Action": action}
    with validation_error(
        "One or more parameter values were invalid: Cannot update attribute sk. This attribute is part of the key"
    ):
        ddb.update_item(TableName=numeric_table, Key=key, AttributeUpdates={"sk": update})

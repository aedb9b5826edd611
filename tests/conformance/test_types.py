"""Every attribute type round-trips; numbers keep DynamoDB's precision, range and normal form; sets
reject duplicates and emptiness; nesting, item size and key size limits hold. Source: "Supported
data types" and "Service, account, and table quotas" in the DynamoDB developer guide.
"""

import pytest

from support import N, S, unique_key, validation_error


def roundtrip(ddb, table, **attrs):
    key = {"pk": S(unique_key())}
    ddb.put_item(TableName=table, Item={**key, **attrs})
    got = ddb.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
    del got["pk"]
    return got


def test_every_type_round_trips(ddb, hash_table):
    attrs = {
        "s": S("héllo ✓ 𝄞"),
        "n": N("-12.5"),
        "b": {"B": bytes(range(256))},
        "t": {"BOOL": True},
        "f": {"BOOL": False},
        "z": {"NULL": True},
        "m": {"M": {"k": S("v"), "inner": {"M": {"n": N(1)}}}},
        "l": {"L": [S("a"), N(1), {"L": []}, {"M": {}}, {"NULL": True}]},
        "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1", "2.5"]},
        "bs": {"BS": [b"\x00", b"\xff"]},
        "empty_map": {"M": {}},
        "empty_list": {"L": []},
    }
    got = roundtrip(ddb, hash_table, **attrs)
    # Sets are unordered.
    for name in ("ss", "ns", "bs"):
        kind = next(iter(attrs[name]))
        assert sorted(got.pop(name)[kind]) == sorted(attrs.pop(name)[kind])
    assert got == attrs


@pytest.mark.parametrize(
    "written,stored",
    [
        ("0001.500", "1.5"),
        ("1e2", "100"),
        ("1E+2", "100"),
        ("-0", "0"),
        ("0.0", "0"),
        ("100", "100"),
        ("1.23e-5", "0.0000123"),
        ("-00.10", "-0.1"),
        ("99999999999999999999999999999999999999", "99999999999999999999999999999999999999"),
        ("1" + "0" * 40, "1" + "0" * 40),
        ("0.000000000000000000000000000000000000001", "0.000000000000000000000000000000000000001"),
    ],
)
def test_number_normal_form(ddb, hash_table, written, stored):
    assert roundtrip(ddb, hash_table, n=N(written))["n"] == N(stored)


def test_number_extremes(ddb, hash_table):
    largest = "9.9999999999999999999999999999999999999E+125"
    smallest = "1E-130"
    got = roundtrip(ddb, hash_table, hi=N(largest), lo=N(smallest), neg=N("-" + largest))
    assert got["hi"] == N("9" * 38 + "0" * 88)
    assert got["neg"] == N("-" + "9" * 38 + "0" * 88)
    assert got["lo"] == N("0." + "0" * 129 + "1")


def test_more_than_38_significant_digits(ddb, hash_table):
    with validation_error("Attempting to store more than 38 significant digits in a Number"):
        roundtrip(ddb, hash_table, n=N("1." + "1" * 38))


def test_number_overflow(ddb, hash_table):
    with validation_error(
        "Number overflow. Attempting to store a number with magnitude larger than supported range"
    ):
        roundtrip(ddb, hash_table, n=N("1E+126"))


def test_number_underflow(ddb, hash_table):
    with validation_error(
        "Number underflow. Attempting to store a number with magnitude smaller than supported range"
    ):
        roundtrip(ddb, hash_table, n=N("1E-131"))


@pytest.mark.parametrize("text", ["abc", "1.2.3", "", "0x10", "1e", "NaN", "Infinity"])
def test_not_a_number(ddb, hash_table, text):
    with validation_error(match="^The parameter cannot be converted to a numeric value"):
        roundtrip(ddb, hash_table, n=N(text))


def test_number_set_normalises_and_rejects_equal_numbers(ddb, hash_table):
    got = roundtrip(ddb, hash_table, ns={"NS": ["1.50", "2e1"]})
    assert sorted(got["ns"]["NS"]) == ["1.5", "20"]
    with validation_error(match="contains duplicates"):
        roundtrip(ddb, hash_table, ns={"NS": ["1", "1.0"]})


def test_duplicate_string_set(ddb, hash_table):
    with validation_error(
        "One or more parameter values were invalid: Input collection [a, a] contains duplicates."
    ):
        roundtrip(ddb, hash_table, ss={"SS": ["a", "a"]})


def test_duplicate_binary_set(ddb, hash_table):
    with validation_error(match="contains duplicates"):
        roundtrip(ddb, hash_table, bs={"BS": [b"x", b"x"]})


def test_empty_string_set(ddb, hash_table):
    with validation_error("One or more parameter values were invalid: An string set  may not be empty"):
        roundtrip(ddb, hash_table, ss={"SS": []})


def test_empty_number_set(ddb, hash_table):
    with validation_error("One or more parameter values were invalid: An number set  may not be empty"):
        roundtrip(ddb, hash_table, ns={"NS": []})


def test_empty_binary_set(ddb, hash_table):
    with validation_error("One or more parameter values were invalid: Binary sets should not be empty"):
        roundtrip(ddb, hash_table, bs={"BS": []})


def test_null_must_be_true(ddb, hash_table):
    with validation_error(
        "One or more parameter values were invalid: Null attribute value types must have the value of true"
    ):
        roundtrip(ddb, hash_table, z={"NULL": False})


def test_attribute_value_with_no_type(ddb, hash_table):
    with validation_error(
        "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
    ):
        roundtrip(ddb, hash_table, e={})


def test_attribute_value_with_two_types(ddb, hash_table):
    with validation_error(
        "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"
    ):
        roundtrip(ddb, hash_table, e={"S": "a", "N": "1"})


def test_invalid_value_inside_map_and_list(ddb, hash_table):
    with validation_error(match="contains duplicates"):
        roundtrip(ddb, hash_table, m={"M": {"l": {"L": [{"SS": ["a", "a"]}]}}})


def nested_map(depth):
    value = S("leaf")
    for _ in range(depth):
        value = {"M": {"a": value}}
    return value


# DynamoDB counts the top-level attribute as the first of its 32 levels: a scalar under 31 map
# wrappers is accepted and one under 32 is rejected (observed against DynamoDB itself).
def test_nesting_up_to_32_levels(ddb, hash_table):
    assert roundtrip(ddb, hash_table, deep=nested_map(31))["deep"] == nested_map(31)


def test_nesting_beyond_32_levels(ddb, hash_table):
    # dynalite does not enforce the documented depth limit.
    with validation_error(match="(?i)nesting levels have exceeded supported limits"):
        roundtrip(ddb, hash_table, deep=nested_map(32))


# ---- item size ----------------------------------------------------------------------------------

MAX_ITEM_BYTES = 400 * 1024


def test_item_just_under_400_kb(ddb, hash_table):
    # Size = attribute name lengths + value lengths (UTF-8). Leave room for the key.
    key_value = unique_key()
    overhead = len("pk") + len(key_value) + len("v")
    value = "x" * (MAX_ITEM_BYTES - overhead - 10)
    key = {"pk": S(key_value)}
    ddb.put_item(TableName=hash_table, Item={**key, "v": S(value)})
    assert ddb.get_item(TableName=hash_table, Key=key, ConsistentRead=True)["Item"]["v"] == S(value)


def test_item_over_400_kb(ddb, hash_table):
    with validation_error("Item size has exceeded the maximum allowed size"):
        ddb.put_item(TableName=hash_table, Item={"pk": S(unique_key()), "v": S("x" * MAX_ITEM_BYTES)})


def test_item_size_counts_attribute_names(ddb, hash_table):
    # Values alone are under the limit; with their long names the item is over it.
    name_len = 1000
    attrs = {f"{i:04d}" + "n" * (name_len - 4): S("x" * 1000) for i in range(205)}
    with validation_error("Item size has exceeded the maximum allowed size"):
        ddb.put_item(TableName=hash_table, Item={"pk": S(unique_key()), **attrs})


def test_multibyte_characters_count_as_utf8_bytes(ddb, hash_table):
    # 140,000 three-byte characters are 420,000 bytes (dynalite counts characters instead).
    with validation_error("Item size has exceeded the maximum allowed size"):
        ddb.put_item(TableName=hash_table, Item={"pk": S(unique_key()), "v": S("✓" * 140_000)})


# ---- key sizes ---------------------------------------------------------------------------------


def test_partition_key_2048_bytes(ddb, new_table):
    table = new_table()
    ok = "p" * 2048
    ddb.put_item(TableName=table, Item={"pk": S(ok)})
    assert ddb.get_item(TableName=table, Key={"pk": S(ok)}, ConsistentRead=True)["Item"]["pk"] == S(ok)
    with validation_error(
        "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes"
    ):
        ddb.put_item(TableName=table, Item={"pk": S("p" * 2049)})


def test_sort_key_1024_bytes(ddb, composite_table):
    pk = S(unique_key())
    ok = "s" * 1024
    ddb.put_item(TableName=composite_table, Item={"pk": pk, "sk": S(ok)})
    with validation_error(
        "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes"
    ):
        ddb.put_item(TableName=composite_table, Item={"pk": pk, "sk": S("s" * 1025)})


def test_key_size_limits_apply_to_reads(ddb, composite_table):
    with validation_error(match="range keys has exceeded the size limit of 1024 bytes"):
        ddb.get_item(TableName=composite_table, Key={"pk": S("a"), "sk": S("s" * 1025)})


def test_key_must_be_scalar(ddb, hash_table):
    with validation_error(
        "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: M"
    ):
        ddb.put_item(TableName=hash_table, Item={"pk": {"M": {}}})

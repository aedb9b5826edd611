"""UpdateItem: every clause (SET, REMOVE, ADD, DELETE), every function (if_not_exists,
list_append), arithmetic, nested paths, every ReturnValues value, and the errors DynamoDB gives
for invalid updates. Source: the UpdateItem reference and "Update expressions" in the developer
guide. All clauses read the item as it was before the update.
"""

import pytest

from support import N, S, unique_key, validation_error


@pytest.fixture
def key(ddb, hash_table):
    return {"pk": S(unique_key())}


def put(ddb, table, key, **attrs):
    ddb.put_item(TableName=table, Item={**key, **attrs})


def update(ddb, table, key, expression, values=None, names=None, **params):
    if values is not None:
        params["ExpressionAttributeValues"] = values
    if names is not None:
        params["ExpressionAttributeNames"] = names
    return ddb.update_item(TableName=table, Key=key, UpdateExpression=expression, **params)


def item(ddb, table, key):
    return ddb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")


def test_update_creates_item(ddb, hash_table, key):
    update(ddb, hash_table, key, "SET a = :v", {":v": S("x")})
    assert item(ddb, hash_table, key) == {**key, "a": S("x")}


def test_update_without_expression_creates_key_only_item(ddb, hash_table, key):
    ddb.update_item(TableName=hash_table, Key=key)
    assert item(ddb, hash_table, key) == key


def test_set_several_and_arithmetic(ddb, hash_table, key):
    put(ddb, hash_table, key, n=N(10), m=N(3))
    update(
        ddb,
        hash_table,
        key,
        "SET a = n + m, b = n - :one, c = :one - n, n = :zero",
        {":one": N(1), ":zero": N(0)},
    )
    got = item(ddb, hash_table, key)
    # Every operand is read from the item as it was before this update.
    assert got["a"] == N(13) and got["b"] == N(9) and got["c"] == N(-9) and got["n"] == N(0)


def test_decimal_arithmetic_is_exact(ddb, hash_table, key):
    put(ddb, hash_table, key, n=N("0.1"))
    update(ddb, hash_table, key, "SET n = n + :v", {":v": N("0.2")})
    assert item(ddb, hash_table, key)["n"] == N("0.3")
    put(ddb, hash_table, key, n=N("12345678901234567890123456789012345678"))
    update(ddb, hash_table, key, "SET n = n - :v", {":v": N("12345678901234567890123456789012345677")})
    assert item(ddb, hash_table, key)["n"] == N("1")


def test_arithmetic_on_missing_attribute(ddb, hash_table, key):
    put(ddb, hash_table, key)
    with validation_error("The provided expression refers to an attribute that does not exist in the item"):
        update(ddb, hash_table, key, "SET n = n + :one", {":one": N(1)})


def test_arithmetic_on_wrong_type(ddb, hash_table, key):
    put(ddb, hash_table, key, s=S("x"))
    with validation_error("An operand in the update expression has an incorrect data type"):
        update(ddb, hash_table, key, "SET n = s + :one", {":one": N(1)})


def test_arithmetic_overflow(ddb, hash_table, key):
    # Results obey the same range as stored numbers (dynalite does not check results).
    put(ddb, hash_table, key, n=N("9.9999999999999999999999999999999999999E+125"))
    with validation_error(match="Number overflow"):
        update(ddb, hash_table, key, "SET n = n + n")


def test_if_not_exists(ddb, hash_table, key):
    put(ddb, hash_table, key, present=N(1))
    update(
        ddb,
        hash_table,
        key,
        "SET present = if_not_exists(present, :v), absent = if_not_exists(absent, :v), c = if_not_exists(c, :zero) + :one",
        {":v": N(7), ":zero": N(0), ":one": N(1)},
    )
    got = item(ddb, hash_table, key)
    assert got["present"] == N(1) and got["absent"] == N(7) and got["c"] == N(1)


def test_list_append(ddb, hash_table, key):
    put(ddb, hash_table, key, l={"L": [N(2)]})
    update(ddb, hash_table, key, "SET l = list_append(l, :tail)", {":tail": {"L": [N(3)]}})
    update(ddb, hash_table, key, "SET l = list_append(:head, l)", {":head": {"L": [N(1)]}})
    update(
        ddb,
        hash_table,
        key,
        "SET fresh = list_append(if_not_exists(fresh, :empty), :x)",
        {":empty": {"L": []}, ":x": {"L": [S("x")]}},
    )
    got = item(ddb, hash_table, key)
    assert got["l"] == {"L": [N(1), N(2), N(3)]}
    assert got["fresh"] == {"L": [S("x")]}


def test_list_append_on_non_list(ddb, hash_table, key):
    put(ddb, hash_table, key, s=S("x"))
    with validation_error("An operand in the update expression has an incorrect data type"):
        update(ddb, hash_table, key, "SET s = list_append(s, :l)", {":l": {"L": [N(1)]}})


def test_list_append_literal_of_wrong_type(ddb, hash_table, key):
    with validation_error(
        match=r"Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: S"
    ):
        update(ddb, hash_table, key, "SET l = list_append(:s, :l)", {":s": S("x"), ":l": {"L": []}})


def test_set_nested_paths(ddb, hash_table, key):
    put(ddb, hash_table, key, m={"M": {"nest": {"M": {}}}}, l={"L": [N(0), N(1)]})
    update(
        ddb,
        hash_table,
        key,
        "SET m.nest.x = :v, l[1] = :v, l[5] = :w, #d.#e = :v",
        {":v": S("v"), ":w": S("w")},
        {"#d": "m", "#e": "dotted.key"},
    )
    got = item(ddb, hash_table, key)
    assert got["m"] == {"M": {"nest": {"M": {"x": S("v")}}, "dotted.key": S("v")}}
    # Setting an index past the end appends.
    assert got["l"] == {"L": [N(0), S("v"), S("w")]}


def test_set_path_through_missing_map(ddb, hash_table, key):
    put(ddb, hash_table, key)
    with validation_error("The document path provided in the update expression is invalid for update"):
        update(ddb, hash_table, key, "SET nothere.x = :v", {":v": S("v")})


def test_set_index_of_non_list(ddb, hash_table, key):
    put(ddb, hash_table, key, m={"M": {}})
    with validation_error("The document path provided in the update expression is invalid for update"):
        update(ddb, hash_table, key, "SET m[0] = :v", {":v": S("v")})


def test_remove(ddb, hash_table, key):
    put(
        ddb,
        hash_table,
        key,
        a=S("a"),
        m={"M": {"x": S("x"), "y": S("y")}},
        l={"L": [N(0), N(1), N(2), N(3)]},
    )
    update(ddb, hash_table, key, "REMOVE a, m.x, l[1], l[2], absent, m.absent, l[9]")
    got = item(ddb, hash_table, key)
    assert "a" not in got
    assert got["m"] == {"M": {"y": S("y")}}
    # Removed list elements close up; indexes refer to the list before the update (dynalite
    # applies them one after another instead).
    assert got["l"] == {"L": [N(0), N(3)]}


def test_add_numbers(ddb, hash_table, key):
    put(ddb, hash_table, key, n=N(5))
    update(ddb, hash_table, key, "ADD n :d, fresh :d", {":d": N("-2.5")})
    got = item(ddb, hash_table, key)
    assert got["n"] == N("2.5")
    # ADD to a missing number starts from 0.
    assert got["fresh"] == N("-2.5")


def test_add_to_sets(ddb, hash_table, key):
    put(ddb, hash_table, key, ss={"SS": ["a", "b"]}, ns={"NS": ["1"]})
    update(
        ddb,
        hash_table,
        key,
        "ADD ss :s, ns :n, bs :b",
        {":s": {"SS": ["b", "c"]}, ":n": {"NS": ["2", "1.0"]}, ":b": {"BS": [b"\x00"]}},
    )
    got = item(ddb, hash_table, key)
    assert sorted(got["ss"]["SS"]) == ["a", "b", "c"]
    assert sorted(got["ns"]["NS"]) == ["1", "2"]
    assert got["bs"] == {"BS": [b"\x00"]}


def test_add_set_of_other_type(ddb, hash_table, key):
    put(ddb, hash_table, key, ss={"SS": ["a"]})
    with validation_error("An operand in the update expression has an incorrect data type"):
        update(ddb, hash_table, key, "ADD ss :n", {":n": {"NS": ["1"]}})


def test_add_rejects_non_number_non_set(ddb, hash_table, key):
    with validation_error(
        match=r"Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING"
    ):
        update(ddb, hash_table, key, "ADD a :s", {":s": S("x")})


def test_delete_from_set(ddb, hash_table, key):
    put(ddb, hash_table, key, ss={"SS": ["a", "b", "c"]}, gone={"NS": ["1"]})
    update(
        ddb,
        hash_table,
        key,
        "DELETE ss :s, gone :n, absent :s",
        {":s": {"SS": ["a", "z"]}, ":n": {"NS": ["1"]}},
    )
    got = item(ddb, hash_table, key)
    assert sorted(got["ss"]["SS"]) == ["b", "c"]
    # A set emptied by DELETE disappears.
    assert "gone" not in got and "absent" not in got


def test_delete_requires_set_operand(ddb, hash_table, key):
    with validation_error(
        match=r"Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: STRING"
    ):
        update(ddb, hash_table, key, "DELETE a :s", {":s": S("x")})


def test_all_clauses_together(ddb, hash_table, key):
    put(ddb, hash_table, key, a=N(1), b=S("b"), c=N(1), d={"SS": ["x", "y"]})
    update(
        ddb,
        hash_table,
        key,
        "SET a = a + :one REMOVE b ADD c :one DELETE d :x",
        {":one": N(1), ":x": {"SS": ["x"]}},
    )
    assert item(ddb, hash_table, key) == {**key, "a": N(2), "c": N(2), "d": {"SS": ["y"]}}


def test_cannot_update_key(ddb, hash_table, key):
    with validation_error(
        "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key"
    ):
        update(ddb, hash_table, key, "SET pk = :v", {":v": S("other")})


def test_update_item_over_size_limit(ddb, hash_table, key):
    put(ddb, hash_table, key, a=S("x" * 300_000))
    with validation_error("Item size to update has exceeded the maximum allowed size"):
        update(ddb, hash_table, key, "SET b = :big", {":big": S("y" * 200_000)})


# ---- ReturnValues -------------------------------------------------------------------------------

OLD = {"a": N(1), "b": S("keep"), "gone": S("x")}
EXPRESSION = "SET a = a + :one, c = :new REMOVE gone"
VALUES = {":one": N(1), ":new": S("new")}


@pytest.mark.parametrize(
    "return_values,expected",
    [
        ("NONE", None),
        ("ALL_OLD", OLD),
        ("UPDATED_OLD", {"a": N(1), "gone": S("x")}),
        ("ALL_NEW", {"a": N(2), "b": S("keep"), "c": S("new")}),
        ("UPDATED_NEW", {"a": N(2), "c": S("new")}),
    ],
)
def test_return_values(ddb, hash_table, key, return_values, expected):
    put(ddb, hash_table, key, **OLD)
    response = update(ddb, hash_table, key, EXPRESSION, VALUES, ReturnValues=return_values)
    if expected is None:
        assert "Attributes" not in response
    elif return_values.startswith("ALL"):
        assert response["Attributes"] == {**key, **expected}
    else:
        assert response["Attributes"] == expected


def test_updated_new_returns_only_changed_nested_paths(ddb, hash_table, key):
    put(ddb, hash_table, key, m={"M": {"x": N(1), "y": N(2)}})
    response = update(ddb, hash_table, key, "SET m.x = :v", {":v": N(9)}, ReturnValues="UPDATED_NEW")
    assert response["Attributes"] == {"m": {"M": {"x": N(9)}}}


def test_all_old_of_new_item_is_empty(ddb, hash_table, key):
    response = update(ddb, hash_table, key, "SET a = :v", {":v": N(1)}, ReturnValues="ALL_OLD")
    assert "Attributes" not in response


# ---- errors of the update expression language ----------------------------------------------------


def test_same_path_twice(ddb, hash_table, key):
    with validation_error(
        "Invalid UpdateExpression: Two document paths overlap with each other; must remove or "
        "rewrite one of these paths; path one: [a], path two: [a]"
    ):
        update(ddb, hash_table, key, "SET a = :v REMOVE a", {":v": N(1)})


def test_overlapping_nested_paths(ddb, hash_table, key):
    with validation_error(
        "Invalid UpdateExpression: Two document paths overlap with each other; must remove or "
        "rewrite one of these paths; path one: [m, x], path two: [m]"
    ):
        update(ddb, hash_table, key, "SET m.x = :v, m = :v", {":v": N(1)})


def test_conflicting_paths(ddb, hash_table, key):
    with validation_error(match=r"^Invalid UpdateExpression: Two document paths conflict with each other"):
        update(ddb, hash_table, key, "SET m.x = :v, m[0] = :v", {":v": N(1)})


def test_clause_used_twice(ddb, hash_table, key):
    with validation_error(
        'Invalid UpdateExpression: The "SET" section can only be used once in an update expression;'
    ):
        update(ddb, hash_table, key, "SET a = :v SET b = :v", {":v": N(1)})


def test_unknown_function(ddb, hash_table, key):
    with validation_error("Invalid UpdateExpression: Invalid function name; function: nope"):
        update(ddb, hash_table, key, "SET a = nope(a)")


def test_condition_function_in_update(ddb, hash_table, key):
    with validation_error(match=r"^Invalid UpdateExpression: .*function.*: attribute_exists"):
        update(ddb, hash_table, key, "SET a = attribute_exists(b)")


def test_if_not_exists_needs_path_first(ddb, hash_table, key):
    with validation_error(
        match=r"^Invalid UpdateExpression: Operator or function requires a document path; operator or function: if_not_exists"
    ):
        update(ddb, hash_table, key, "SET a = if_not_exists(:v, a)", {":v": N(1)})


def test_update_syntax_error(ddb, hash_table, key):
    with validation_error(match=r'^Invalid UpdateExpression: Syntax error; token: "="'):
        update(ddb, hash_table, key, "SET = :v", {":v": N(1)})


def test_update_empty_expression(ddb, hash_table, key):
    with validation_error("Invalid UpdateExpression: The expression can not be empty;"):
        update(ddb, hash_table, key, "")

//! Condition and filter evaluation: truth tables for every comparator, function and logical
//! operator against one item, following DynamoDB's rules (gone operands, mixed types,
//! numeric and byte order, set and document equality, precedence NOT > AND > OR).

use std::collections::BTreeMap;

use ferrodyn_model::expression::{AttributeValues, ExpressionKind, Placeholders, parse_condition};
use ferrodyn_model::{AttributeValue, Item, Number};

fn s(text: &str) -> AttributeValue {
    AttributeValue::from(text)
}

fn n(text: &str) -> AttributeValue {
    AttributeValue::N(Number::parse(text).unwrap())
}

fn b(bytes: &[u8]) -> AttributeValue {
    AttributeValue::B(bytes.to_vec())
}

fn ss(members: &[&str]) -> AttributeValue {
    AttributeValue::Ss(members.iter().map(|m| m.to_string()).collect())
}

fn ns(members: &[&str]) -> AttributeValue {
    AttributeValue::Ns(members.iter().map(|m| Number::parse(m).unwrap()).collect())
}

fn m(entries: &[(&str, AttributeValue)]) -> AttributeValue {
    AttributeValue::M(
        entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

fn l(elements: &[AttributeValue]) -> AttributeValue {
    AttributeValue::L(elements.to_vec())
}

/// The item every table below is evaluated against.
fn item() -> Item {
    Item::from([
        ("num".to_string(), n("10")),
        ("str".to_string(), s("hello")),
        ("bin".to_string(), b(&[1, 2, 3])),
        ("yes".to_string(), AttributeValue::Bool(true)),
        ("nil".to_string(), AttributeValue::Null),
        ("strs".to_string(), ss(&["a", "b"])),
        ("nums".to_string(), ns(&["1", "2.5"])),
        (
            "bins".to_string(),
            AttributeValue::Bs(vec![vec![1], vec![2]]),
        ),
        ("wide".to_string(), s("über")),
        (
            "doc".to_string(),
            m(&[
                ("lst", l(&[n("1"), s("two"), m(&[("deep", s("x"))])])),
                ("flag", AttributeValue::Bool(false)),
            ]),
        ),
        ("blank".to_string(), s("")),
    ])
}

/// The values every expression below may use.
fn values() -> AttributeValues {
    BTreeMap::from([
        (":n9".to_string(), n("9")),
        (":n10".to_string(), n("10.0")),
        (":n11".to_string(), n("11")),
        (":s".to_string(), s("hello")),
        (":he".to_string(), s("he")),
        (":ell".to_string(), s("ell")),
        (":a".to_string(), s("a")),
        (":z".to_string(), s("z")),
        (":b12".to_string(), b(&[1, 2])),
        (":b23".to_string(), b(&[2, 3])),
        (":b9".to_string(), b(&[9])),
        (":one".to_string(), n("1.00")),
        (":two".to_string(), s("two")),
        (":deep".to_string(), m(&[("deep", s("x"))])),
        (":strs".to_string(), ss(&["b", "a"])),
        (":t".to_string(), AttributeValue::Bool(true)),
        (":S".to_string(), s("S")),
        (":SS".to_string(), s("SS")),
        (":M".to_string(), s("M")),
        (":NULL".to_string(), s("NULL")),
        (":n0".to_string(), n("0")),
        (":n2".to_string(), n("2")),
        (":n3".to_string(), n("3")),
        (":n5".to_string(), n("5")),
        (":blank".to_string(), s("")),
    ])
}

fn eval(expression: &str) -> bool {
    let values = values();
    let mut placeholders = Placeholders::new(None, Some(&values)).unwrap();
    let condition = parse_condition(expression, ExpressionKind::Filter, &mut placeholders)
        .unwrap_or_else(|e| panic!("{expression}: {e}"));
    condition.evaluate(&item())
}

fn table(rows: &[(&str, bool)]) {
    for (expression, expected) in rows {
        assert_eq!(eval(expression), *expected, "{expression}");
    }
}

#[test]
fn numbers_compare_numerically() {
    table(&[
        ("num = :n10", true),
        ("num <> :n10", false),
        ("num > :n9", true),
        ("num >= :n10", true),
        ("num < :n11", true),
        ("num <= :n9", false),
        (":n9 < num", true),
        ("nums = :one", false),
    ]);
}

#[test]
fn strings_and_binaries_compare_by_bytes() {
    table(&[
        ("str = :s", true),
        ("str > :a", true),
        ("str < :z", true),
        ("wide > :z", true), // 'ü' is above every ASCII byte in UTF-8
        ("bin > :b12", true),
        ("bin < :b23", true),
        ("bin >= :b9", false),
        ("blank = :blank", true),
        ("blank < :a", true),
    ]);
}

#[test]
fn different_types_never_compare() {
    table(&[
        ("num = :s", false),
        ("num <> :s", true),
        ("num < :s", false),
        ("num > :s", false),
        ("str >= :n9", false),
        ("yes = :t", true),
        // A type without an order read from the item makes an ordering comparison false (in
        // the request it is an error).
        ("yes < :n9", false),
        ("str >= yes", false),
        ("doc < :s", false),
    ]);
}

#[test]
fn missing_operands() {
    table(&[
        ("gone = :s", false),
        ("gone <> :s", true),
        (":s <> gone", true),
        // A missing attribute is unequal to everything, another missing one included.
        ("gone <> absent", true),
        ("gone = absent", false),
        ("gone < absent", false),
        ("gone < :s", false),
        ("gone BETWEEN :a AND :z", false),
        ("gone IN (:s, :a)", false),
        ("doc.nope = :s", false),
        ("doc.lst[7] <> :s", true),
        ("str.part = :s", false),
    ]);
}

#[test]
fn documents_and_sets_compare_deeply() {
    table(&[
        ("strs = :strs", true), // set order does not matter
        ("doc.lst[2] = :deep", true),
        ("doc.lst[1] = :two", true),
        ("doc.lst[0] = :one", true), // 1 = 1.00
        ("doc.lst[2].deep = :ell", false),
        ("doc.flag = :t", false),
        ("doc.flag <> :t", true),
    ]);
}

#[test]
fn between_and_in() {
    table(&[
        ("num BETWEEN :n9 AND :n11", true),
        ("num BETWEEN :n10 AND :n10", true),
        ("num BETWEEN :n11 AND :n11", false),
        ("str BETWEEN :a AND :z", true),
        ("str BETWEEN :a AND num", false),
        ("num IN (:n9, :n10)", true),
        ("num IN (:n9, :n11)", false),
        ("num IN (:s, :n10)", true),
        ("strs IN (:strs)", true),
    ]);
}

#[test]
fn existence_and_types() {
    table(&[
        ("attribute_exists(num)", true),
        ("attribute_exists(gone)", false),
        ("attribute_not_exists(gone)", true),
        ("attribute_exists(doc.lst[2].deep)", true),
        ("attribute_exists(doc.lst[3])", false),
        ("attribute_exists(doc.lst.deep)", false),
        ("attribute_exists(nil)", true),
        ("attribute_type(str, :S)", true),
        ("attribute_type(strs, :SS)", true),
        ("attribute_type(strs, :S)", false),
        ("attribute_type(doc, :M)", true),
        ("attribute_type(nil, :NULL)", true),
        ("attribute_type(gone, :NULL)", false),
    ]);
}

#[test]
fn begins_with_and_contains() {
    table(&[
        ("begins_with(str, :he)", true),
        ("begins_with(str, :ell)", false),
        ("begins_with(str, :blank)", true),
        ("begins_with(bin, :b12)", true),
        ("begins_with(bin, :b23)", false),
        ("begins_with(num, :he)", false),
        ("begins_with(gone, :he)", false),
        ("contains(str, :ell)", true),
        ("contains(str, :z)", false),
        ("contains(strs, :a)", true),
        ("contains(strs, :z)", false),
        ("contains(nums, :one)", true), // NS member 1 = 1.00
        ("contains(nums, :n2)", false),
        ("contains(bin, :b23)", true),
        ("contains(bin, :b9)", false),
        ("contains(doc.lst, :two)", true),
        ("contains(doc.lst, :one)", true),
        ("contains(doc.lst, :deep)", true),
        ("contains(doc.lst, :z)", false),
        ("contains(gone, :a)", false),
        ("NOT contains(gone, :a)", true),
        ("contains(num, :n10)", false),
    ]);
}

#[test]
fn size() {
    table(&[
        ("size(str) = :n5", true),
        ("size(wide) = :n5", true), // UTF-8 bytes: ü is two
        ("size(bin) = :n3", true),
        ("size(strs) = :n2", true),
        ("size(doc.lst) = :n3", true),
        ("size(doc) = :n2", true),
        ("size(blank) = :n0", true),
        ("size(num) = :n2", false),
        ("size(num) <> :n2", true),
        ("size(gone) < :n11", false),
        ("size(str) BETWEEN :n2 AND :n5", true),
        ("size(str) IN (:n3, :n5)", true),
        ("size(str) > size(bin)", true),
        ("size(:s) = :n5", true),
    ]);
}

#[test]
fn logic_and_precedence() {
    table(&[
        ("num = :n10 AND str = :s", true),
        ("num = :n10 AND str = :a", false),
        ("num = :n9 OR str = :s", true),
        ("NOT num = :n9", true),
        ("NOT NOT num = :n9", false),
        // AND binds tighter than OR.
        ("num = :n10 OR num = :n9 AND str = :a", true),
        ("(num = :n10 OR num = :n9) AND str = :a", false),
        // NOT binds tighter than AND.
        ("NOT num = :n9 AND str = :a", false),
        ("NOT (num = :n9 AND str = :a)", true),
        ("(num) = (:n10)", true),
        ("(size(str)) = :n5", true),
        ("(attribute_exists(num)) AND (str = :s)", true),
        ("NOT (attribute_exists(num))", false),
        ("num = :n10 and not str = :a or gone = :s", true),
    ]);
}

#[test]
fn conditions_on_a_missing_item() {
    // Conditional writes on an item that does not exist evaluate against an empty item.
    let values = values();
    let mut placeholders = Placeholders::new(None, Some(&values)).unwrap();
    let condition = parse_condition(
        "attribute_not_exists(pk) OR num = :n10",
        ExpressionKind::Condition,
        &mut placeholders,
    )
    .unwrap();
    assert!(condition.evaluate(&Item::new()));
}

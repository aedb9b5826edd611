//! Update expressions applied to items: SET (paths, list indexes, arithmetic, if_not_exists,
//! list_append), REMOVE (list elements shift), ADD and DELETE on numbers and sets, operands read
//! from the item as it was, the runtime errors with DynamoDB's messages, and the paths
//! `ReturnValues: UPDATED_OLD / UPDATED_NEW` project.

use ferrodyn_model::expression::{AttributeValues, Placeholders, UpdateExpression, parse_update};
use ferrodyn_model::{AttributeValue, Item, Number};

fn s(text: &str) -> AttributeValue {
    AttributeValue::from(text)
}

fn n(text: &str) -> AttributeValue {
    AttributeValue::N(Number::parse(text).unwrap())
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

fn item(entries: &[(&str, AttributeValue)]) -> Item {
    entries
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn parse(expression: &str, values: &[(&str, AttributeValue)]) -> UpdateExpression {
    let values: AttributeValues = values
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    let mut placeholders =
        Placeholders::new(None, (!values.is_empty()).then_some(&values)).unwrap();
    let update =
        parse_update(expression, &mut placeholders).unwrap_or_else(|e| panic!("{expression}: {e}"));
    placeholders.check_all_used().unwrap();
    update
}

fn apply(
    before: &Item,
    expression: &str,
    values: &[(&str, AttributeValue)],
) -> Result<Item, String> {
    parse(expression, values)
        .apply(before)
        .map_err(|e| e.to_string())
}

const INVALID_PATH: &str =
    "The document path provided in the update expression is invalid for update";
const WRONG_TYPE: &str = "An operand in the update expression has an incorrect data type";
const MISSING: &str =
    "The provided expression refers to an attribute that does not exist in the item";

#[test]
fn set_top_level_and_nested() {
    let before = item(&[("a", m(&[("keep", s("k"))])), ("n", n("1"))]);
    let after = apply(&before, "SET b = :v, a.child = :v", &[(":v", s("x"))]).unwrap();
    assert_eq!(after["b"], s("x"));
    assert_eq!(after["a"], m(&[("keep", s("k")), ("child", s("x"))]));
    assert!(!after.contains_key("a.child"));
    // The input item is left as it was.
    assert_eq!(before["a"], m(&[("keep", s("k"))]));
}

#[test]
fn set_needs_existing_parents_of_the_right_type() {
    let before = item(&[("a", m(&[])), ("l", l(&[s("x")])), ("t", s("text"))]);
    for expression in [
        "SET gone.b.c = :v",
        "SET a.b.c = :v",
        "SET l.x = :v",
        "SET a[0] = :v",
        "SET t.x = :v",
        "SET t[0] = :v",
        "REMOVE gone.b",
        "ADD gone.b :n",
    ] {
        let values: Vec<(&str, AttributeValue)> = [(":v", s("v")), (":n", n("1"))]
            .into_iter()
            .filter(|(k, _)| expression.contains(k))
            .collect();
        assert_eq!(
            apply(&before, expression, &values),
            Err(INVALID_PATH.into()),
            "{expression}"
        );
    }
}

#[test]
fn list_indexes() {
    let before = item(&[("l", l(&[s("a"), s("b"), s("c")])), ("e", l(&[]))]);
    let v = [(":v", s("new"))];
    let after = apply(&before, "SET l[1] = :v", &v).unwrap();
    assert_eq!(after["l"], l(&[s("a"), s("new"), s("c")]));
    // An index past the end appends, with nothing padded in between.
    let after = apply(&before, "SET l[5] = :v", &v).unwrap();
    assert_eq!(after["l"], l(&[s("a"), s("b"), s("c"), s("new")]));
    let after = apply(&before, "SET e[0] = :v", &v).unwrap();
    assert_eq!(after["e"], l(&[s("new")]));
}

#[test]
fn remove_shifts_list_elements_using_original_indexes() {
    let list = l(&[s("a"), s("b"), s("c"), s("d"), s("e")]);
    let before = item(&[("l", list), ("x", s("x"))]);
    let after = apply(&before, "REMOVE l[1]", &[]).unwrap();
    assert_eq!(after["l"], l(&[s("a"), s("c"), s("d"), s("e")]));
    let after = apply(&before, "REMOVE l[1], l[3]", &[]).unwrap();
    assert_eq!(after["l"], l(&[s("a"), s("c"), s("e")]));
    let after = apply(&before, "REMOVE l[3], l[1], l[9]", &[]).unwrap();
    assert_eq!(after["l"], l(&[s("a"), s("c"), s("e")]));
    let after = apply(&before, "REMOVE x, gone", &[]).unwrap();
    assert!(!after.contains_key("x"));
    // SET at an original index and REMOVE of another in the same update.
    let after = apply(&before, "SET l[3] = :v REMOVE l[0]", &[(":v", s("D"))]).unwrap();
    assert_eq!(after["l"], l(&[s("b"), s("c"), s("D"), s("e")]));
}

#[test]
fn operands_come_from_the_item_as_it_was() {
    let before = item(&[("a", s("A")), ("b", s("B")), ("n", n("1"))]);
    let after = apply(&before, "SET a = b, b = a", &[]).unwrap();
    assert_eq!((&after["a"], &after["b"]), (&s("B"), &s("A")));
    let after = apply(&before, "SET n = n + :one, m = n", &[(":one", n("1"))]).unwrap();
    assert_eq!((&after["n"], &after["m"]), (&n("2"), &n("1")));
    let after = apply(&before, "SET c = a REMOVE a", &[]).unwrap();
    assert_eq!(after.get("c"), Some(&s("A")));
    assert!(!after.contains_key("a"));
}

#[test]
fn arithmetic() {
    let before = item(&[
        ("n", n("10")),
        ("t", s("text")),
        ("doc", m(&[("c", n("10"))])),
    ]);
    let one = [(":d", n("2.5"))];
    assert_eq!(
        apply(&before, "SET n = n + :d", &one).unwrap()["n"],
        n("12.5")
    );
    assert_eq!(
        apply(&before, "SET n = n - :d", &one).unwrap()["n"],
        n("7.5")
    );
    assert_eq!(
        apply(&before, "SET n = :d - n", &one).unwrap()["n"],
        n("-7.5")
    );
    assert_eq!(
        apply(&before, "SET doc.c = doc.c + :d", &one).unwrap()["doc"],
        m(&[("c", n("12.5"))])
    );
    assert_eq!(
        apply(&before, "SET n = (n + :d)", &one).unwrap()["n"],
        n("12.5")
    );
    assert_eq!(
        apply(&before, "SET x = gone + :d", &one),
        Err(MISSING.into())
    );
    assert_eq!(
        apply(&before, "SET x = t + :d", &one),
        Err(WRONG_TYPE.into())
    );
    let big = [(":big", n("9.9999999999999999999999999999999999999E+125"))];
    assert_eq!(
        apply(&before, "SET n = :big + :big", &big),
        Err("Number overflow. Attempting to store a number with magnitude larger than supported range".into())
    );
    let exact = [
        (":a", n("12345678901234567890.123456789")),
        (":b", n("0.000000001")),
    ];
    assert_eq!(
        apply(&before, "SET x = :a + :b", &exact).unwrap()["x"],
        n("12345678901234567890.12345679")
    );
}

#[test]
fn if_not_exists_and_list_append() {
    let before = item(&[("l", l(&[n("1")])), ("t", s("text")), ("visits", n("5"))]);
    let values = [(":zero", n("0")), (":v", l(&[n("2")])), (":e", l(&[]))];
    let used = |expression: &str| -> Vec<(&str, AttributeValue)> {
        values
            .iter()
            .filter(|(k, _)| expression.contains(k))
            .cloned()
            .collect()
    };
    let run = |expression: &str| apply(&before, expression, &used(expression));
    assert_eq!(
        run("SET visits = if_not_exists(visits, :zero)").unwrap()["visits"],
        n("5")
    );
    assert_eq!(
        run("SET hits = if_not_exists(hits, :zero)").unwrap()["hits"],
        n("0")
    );
    assert_eq!(
        run("SET l = list_append(l, :v)").unwrap()["l"],
        l(&[n("1"), n("2")])
    );
    assert_eq!(
        run("SET l = list_append(:v, l)").unwrap()["l"],
        l(&[n("2"), n("1")])
    );
    assert_eq!(
        run("SET k = list_append(if_not_exists(k, :e), :v)").unwrap()["k"],
        l(&[n("2")])
    );
    assert_eq!(run("SET l = list_append(l, t)"), Err(WRONG_TYPE.into()));
    assert_eq!(run("SET l = list_append(gone, :v)"), Err(MISSING.into()));
    assert_eq!(
        run("SET x = if_not_exists(visits, :zero) + :zero").unwrap()["x"],
        n("5")
    );
}

#[test]
fn add_to_numbers_and_sets() {
    let before = item(&[
        ("n", n("1")),
        ("tags", ss(&["a", "b"])),
        ("t", s("text")),
        ("ids", ns(&["1"])),
    ]);
    let run =
        |expression: &str, value: AttributeValue| apply(&before, expression, &[(":v", value)]);
    assert_eq!(run("ADD n :v", n("2")).unwrap()["n"], n("3"));
    assert_eq!(run("ADD fresh :v", n("-2")).unwrap()["fresh"], n("-2"));
    assert_eq!(
        run("ADD tags :v", ss(&["b", "c"])).unwrap()["tags"],
        ss(&["a", "b", "c"])
    );
    assert_eq!(
        run("ADD ids :v", ns(&["1.0", "2"])).unwrap()["ids"],
        ns(&["1", "2"])
    );
    assert_eq!(
        run("ADD fresh :v", ss(&["x"])).unwrap()["fresh"],
        ss(&["x"])
    );
    assert_eq!(run("ADD t :v", n("1")), Err(WRONG_TYPE.into()));
    assert_eq!(run("ADD tags :v", ns(&["1"])), Err(WRONG_TYPE.into()));
    assert_eq!(run("ADD n :v", ss(&["1"])), Err(WRONG_TYPE.into()));
}

#[test]
fn delete_from_sets() {
    let before = item(&[("tags", ss(&["a", "b"])), ("n", n("1"))]);
    let run =
        |expression: &str, value: AttributeValue| apply(&before, expression, &[(":v", value)]);
    assert_eq!(
        run("DELETE tags :v", ss(&["a", "z"])).unwrap()["tags"],
        ss(&["b"])
    );
    // Emptying a set removes the attribute.
    assert!(
        !run("DELETE tags :v", ss(&["a", "b"]))
            .unwrap()
            .contains_key("tags")
    );
    assert_eq!(run("DELETE gone :v", ss(&["a"])).unwrap(), before);
    assert_eq!(run("DELETE n :v", ss(&["a"])), Err(WRONG_TYPE.into()));
    assert_eq!(run("DELETE tags :v", ns(&["1"])), Err(WRONG_TYPE.into()));
}

#[test]
fn all_clauses_together() {
    let before = item(&[
        ("a", n("1")),
        ("b", s("b")),
        ("c", ss(&["x", "y"])),
        ("d", l(&[s("0"), s("1")])),
    ]);
    let values = [(":one", n("1")), (":x", ss(&["x"])), (":new", s("new"))];
    let after = apply(
        &before,
        "SET e = :new, a = a + :one REMOVE b, d[0] ADD f :one DELETE c :x",
        &values,
    )
    .unwrap();
    let expected = item(&[
        ("a", n("2")),
        ("c", ss(&["y"])),
        ("d", l(&[s("1")])),
        ("e", s("new")),
        ("f", n("1")),
    ]);
    assert_eq!(after, expected);
}

#[test]
fn updated_paths_give_updated_old_and_new() {
    let before = item(&[
        ("a", m(&[("existing", s("e"))])),
        ("k", s("key")),
        ("r", s("gone")),
    ]);
    let values = [(":x", s("x")), (":y", s("y"))];
    let update = parse("SET a.b = :x, a.c = :y REMOVE r", &values);
    let after = update.apply(&before).unwrap();
    let new = update.updated_paths().apply(&after);
    assert_eq!(new, item(&[("a", m(&[("b", s("x")), ("c", s("y"))]))]));
    let old = update.updated_paths().apply(&before);
    assert_eq!(old, item(&[("r", s("gone"))]));
    assert_eq!(update.top_level_attributes(), vec!["a", "r"]);
}

#[test]
fn results_deeper_than_32_levels_are_refused() {
    let mut deep = s("leaf");
    for _ in 0..31 {
        deep = m(&[("m", deep)]);
    }
    // 32 levels: allowed as a value.
    let before = Item::new();
    assert!(apply(&before, "SET a = :v", &[(":v", deep.clone())]).is_ok());
    let wrapped = item(&[("a", m(&[]))]);
    assert_eq!(
        apply(&wrapped, "SET a.b = :v", &[(":v", deep)]),
        Err("Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit".into())
    );
}

#[test]
fn updates_that_only_take_away_are_told_apart() {
    let value = [(":s", ss(&["x"]))];
    assert!(parse("REMOVE a, b.c", &[]).only_removes());
    assert!(parse("DELETE s :s", &value).only_removes());
    assert!(parse("REMOVE a DELETE s :s", &value).only_removes());
    assert!(!parse("REMOVE a SET b = :s", &value).only_removes());
    assert!(!parse("ADD s :s", &value).only_removes());
}

#[test]
fn appends_past_the_end_of_a_list_go_in_index_order() {
    let before = item(&[("a", l(&[s("one")]))]);
    let values = [
        (":1", s("a1")),
        (":2", s("a2")),
        (":3", s("a3")),
        (":4", s("a4")),
    ];
    let update = parse(
        "SET a[84] = :1, a[37] = :2, a[17] = :3, a[50] = :4",
        &values,
    );
    let after = update.apply(&before).unwrap();
    assert_eq!(
        after["a"],
        l(&[s("one"), s("a3"), s("a2"), s("a4"), s("a1")])
    );
}

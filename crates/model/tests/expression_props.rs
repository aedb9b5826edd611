//! Property tests of the expression languages:
//! - the parsers never panic, whatever the input (random token soup and random text), and what
//!   they accept evaluates or applies to random items without panicking;
//! - `BETWEEN` agrees with the two comparisons it stands for, and `NOT` with negation;
//! - `REMOVE` of list elements agrees with filtering the original list by index;
//! - a projection of top-level attributes is the item restricted to them.
//!
//! A failure prints the minimal input and proptest's seed for replay.

use std::collections::BTreeMap;

use ferrodyn_model::expression::{
    AttributeNames, AttributeValues, ExpressionKind, ExpressionParams, Placeholders, Projection,
    parse_condition, parse_update,
};
use ferrodyn_model::{AttributeValue, Item, Number};
use proptest::prelude::*;

/// Pieces that make up expressions; joined at random they exercise every grammar path.
const VOCABULARY: &[&str] = &[
    "a",
    "b",
    "c",
    "#a",
    "#b",
    "#nope",
    ":s",
    ":n",
    ":l",
    ":ss",
    ":m",
    ":nope",
    "(",
    ")",
    "[",
    "]",
    "0",
    "1",
    "12",
    ".",
    ",",
    "=",
    "<>",
    "<",
    "<=",
    ">",
    ">=",
    "+",
    "-",
    "AND",
    "or",
    "NOT",
    "BETWEEN",
    "IN",
    "SET",
    "remove",
    "ADD",
    "DELETE",
    "size",
    "attribute_exists",
    "attribute_not_exists",
    "attribute_type",
    "begins_with",
    "contains",
    "if_not_exists",
    "list_append",
    "name",
    "\"q\"",
    "_",
    "!",
    "ü",
    "#",
    ":",
    "2147483648",
];

fn names() -> AttributeNames {
    BTreeMap::from([
        ("#a".to_string(), "a".to_string()),
        ("#b".to_string(), "b.c".to_string()),
    ])
}

fn values() -> AttributeValues {
    BTreeMap::from([
        (":s".to_string(), AttributeValue::from("S")),
        (":n".to_string(), AttributeValue::N(Number::from(3i64))),
        (
            ":l".to_string(),
            AttributeValue::L(vec![AttributeValue::Null]),
        ),
        (":ss".to_string(), AttributeValue::Ss(vec!["x".into()])),
        (":m".to_string(), AttributeValue::M(BTreeMap::new())),
        (":t".to_string(), AttributeValue::from("N")),
    ])
}

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec((prop::sample::select(VOCABULARY), prop::bool::ANY), 0..24).prop_map(
        |pieces| {
            let mut out = String::new();
            for (piece, space) in pieces {
                out.push_str(piece);
                if space {
                    out.push(' ');
                }
            }
            out
        },
    )
}

/// Conditions built along the grammar, so that most of them parse and reach evaluation.
fn condition_text() -> impl Strategy<Value = String> {
    let path = prop::sample::select(vec!["a", "b", "#a", "#b", "a.b", "a[0]", "c[1].a", "b.c"]);
    let value = prop::sample::select(vec![":s", ":n", ":l", ":ss", ":m"]);
    let operand = prop_oneof![
        path.clone().prop_map(str::to_string),
        value.clone().prop_map(str::to_string),
        path.clone().prop_map(|p| format!("size({p})")),
    ];
    let comparator = prop::sample::select(vec!["=", "<>", "<", "<=", ">", ">="]);
    let leaf = prop_oneof![
        (operand.clone(), comparator, operand.clone()).prop_map(|(a, c, b)| format!("{a} {c} {b}")),
        (operand.clone(), operand.clone(), operand.clone())
            .prop_map(|(a, b, c)| format!("{a} BETWEEN {b} AND {c}")),
        (operand.clone(), operand.clone(), operand.clone())
            .prop_map(|(a, b, c)| format!("{a} IN ({b}, {c})")),
        path.clone().prop_map(|p| format!("attribute_exists({p})")),
        path.clone()
            .prop_map(|p| format!("attribute_not_exists({p})")),
        (path.clone(), value).prop_map(|(p, v)| format!("begins_with({p}, {v})")),
        (path.clone(), operand).prop_map(|(p, o)| format!("contains({p}, {o})")),
        path.prop_map(|p| format!("attribute_type({p}, :t)")),
    ];
    leaf.prop_recursive(4, 16, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|c| format!("({c})")),
            inner.clone().prop_map(|c| format!("NOT {c}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} AND {b}")),
            (inner.clone(), inner).prop_map(|(a, b)| format!("{a} OR {b}")),
        ]
    })
}

fn leaf() -> impl Strategy<Value = AttributeValue> {
    prop_oneof![
        "[a-z]{0,4}".prop_map(AttributeValue::S),
        (-50i64..50).prop_map(|n| AttributeValue::N(Number::from(n))),
        any::<bool>().prop_map(AttributeValue::Bool),
        Just(AttributeValue::Null),
        prop::collection::vec(any::<u8>(), 0..3).prop_map(AttributeValue::B),
        Just(AttributeValue::Ss(vec!["x".into(), "S".into()])),
        Just(AttributeValue::Ns(vec![Number::from(3i64)])),
    ]
}

fn value() -> impl Strategy<Value = AttributeValue> {
    leaf().prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(AttributeValue::L),
            prop::collection::btree_map("[a-c]", inner, 0..3).prop_map(AttributeValue::M),
        ]
    })
}

fn item() -> impl Strategy<Value = Item> {
    prop::collection::btree_map("[a-c]|b\\.c", value(), 0..4)
}

/// Parses `source` as every kind of expression; runs whatever parses against `item`.
fn exercise(source: &str, item: &Item) {
    let names = names();
    let values = values();
    for kind in [
        ExpressionKind::Condition,
        ExpressionKind::KeyCondition,
        ExpressionKind::Update,
        ExpressionKind::Projection,
    ] {
        let mut params = ExpressionParams {
            names: Some(&names),
            values: Some(&values),
            ..ExpressionParams::default()
        };
        match kind {
            ExpressionKind::Condition => params.condition = Some(source),
            ExpressionKind::KeyCondition => params.key_condition = Some(source),
            ExpressionKind::Update => params.update = Some(source),
            _ => params.projection = Some(source),
        }
        let _ = params.parse();
        // Also without the unused-placeholder check, so that more inputs reach evaluation.
        let mut placeholders = Placeholders::new(Some(&names), Some(&values)).unwrap();
        match kind {
            ExpressionKind::Update => {
                if let Ok(update) = parse_update(source, &mut placeholders) {
                    let _ = update.apply(item);
                    let _ = update.updated_paths().apply(item);
                }
            }
            ExpressionKind::Projection => {}
            kind => {
                if let Ok(condition) = parse_condition(source, kind, &mut placeholders) {
                    let _ = condition.evaluate(item);
                }
            }
        }
    }
}

fn eval(expression: &str, values: &AttributeValues, item: &Item) -> bool {
    let mut placeholders = Placeholders::new(None, Some(values)).unwrap();
    parse_condition(expression, ExpressionKind::Filter, &mut placeholders)
        .unwrap()
        .evaluate(item)
}

/// Guards the generator above: if most grammar-built conditions failed to parse, the
/// evaluation properties would test little.
#[test]
fn grammar_built_conditions_mostly_parse() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = condition_text();
    let names = names();
    let values = values();
    let parsed = (0..500)
        .filter(|_| {
            let source = strategy.new_tree(&mut runner).unwrap().current();
            let mut placeholders = Placeholders::new(Some(&names), Some(&values)).unwrap();
            parse_condition(&source, ExpressionKind::Filter, &mut placeholders).is_ok()
        })
        .count();
    assert!(parsed >= 100, "only {parsed} of 500 parsed");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn grammar_built_conditions_never_panic(source in condition_text(), item in item()) {
        exercise(&source, &item);
    }

    #[test]
    fn parsers_never_panic_on_token_soup(source in token_soup(), item in item()) {
        exercise(&source, &item);
    }

    #[test]
    fn parsers_never_panic_on_random_text(source in "\\PC{0,40}", item in item()) {
        exercise(&source, &item);
    }

    #[test]
    fn between_is_two_comparisons(x in -20i64..20, lo in -20i64..20, span in 0i64..20) {
        let hi = lo + span;
        let values = BTreeMap::from([
            (":lo".to_string(), AttributeValue::N(Number::from(lo))),
            (":hi".to_string(), AttributeValue::N(Number::from(hi))),
        ]);
        let item = Item::from([("a".to_string(), AttributeValue::N(Number::from(x)))]);
        let between = eval("a BETWEEN :lo AND :hi", &values, &item);
        prop_assert_eq!(between, eval("a >= :lo AND a <= :hi", &values, &item));
        prop_assert_eq!(between, x >= lo && x <= hi);
        prop_assert_eq!(!between, eval("NOT (a BETWEEN :lo AND :hi)", &values, &item));
    }

    #[test]
    fn remove_of_list_elements_uses_original_indexes(
        length in 0usize..8,
        removed in prop::collection::btree_set(0usize..10, 1..5),
    ) {
        let list: Vec<AttributeValue> =
            (0..length).map(|i| AttributeValue::N(Number::from(i as u64))).collect();
        let item = Item::from([("l".to_string(), AttributeValue::L(list.clone()))]);
        let paths: Vec<String> = removed.iter().rev().map(|i| format!("l[{i}]")).collect();
        let mut placeholders = Placeholders::none();
        let update = parse_update(&format!("REMOVE {}", paths.join(", ")), &mut placeholders).unwrap();
        let after = update.apply(&item).unwrap();
        let expected: Vec<AttributeValue> = list
            .into_iter()
            .enumerate()
            .filter(|(i, _)| !removed.contains(i))
            .map(|(_, v)| v)
            .collect();
        prop_assert_eq!(&after["l"], &AttributeValue::L(expected));
    }

    #[test]
    fn top_level_projection_restricts_the_item(item in item(), wanted in prop::collection::btree_set("[a-d]", 0..4)) {
        let projection = Projection::attributes(wanted.iter().map(String::as_str));
        let projected = projection.apply(&item);
        let expected: Item = item
            .iter()
            .filter(|(k, _)| wanted.contains(*k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        prop_assert_eq!(projected, expected);
    }
}

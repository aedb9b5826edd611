//! The legacy parameters: `Expected`, `QueryFilter`/`ScanFilter`, `AttributeUpdates`,
//! `AttributesToGet`, and the rules on mixing them with expressions. Each is validated with
//! DynamoDB's messages and converted to the expression types, whose evaluation is checked here
//! against items.

use std::collections::BTreeMap;

use ferrodyn_model::expression::legacy::{
    AttributeAction, AttributeCondition, AttributeUpdate, ComparisonOperator, ConditionalOperator,
    ExpectedAttribute, attribute_updates, attributes_to_get, check_parameter_mix,
    expected_condition, filter_condition,
};
use ferrodyn_model::{AttributeValue, Item, Number};

fn s(text: &str) -> AttributeValue {
    AttributeValue::from(text)
}

fn n(text: &str) -> AttributeValue {
    AttributeValue::N(Number::parse(text).unwrap())
}

fn item() -> Item {
    Item::from([
        ("a".to_string(), s("x")),
        ("n".to_string(), n("5")),
        (
            "tags".to_string(),
            AttributeValue::Ss(vec!["t1".into(), "t2".into()]),
        ),
    ])
}

fn expected(entries: &[(&str, ExpectedAttribute)]) -> BTreeMap<String, ExpectedAttribute> {
    entries
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn with_operator(op: ComparisonOperator, list: Option<Vec<AttributeValue>>) -> ExpectedAttribute {
    ExpectedAttribute {
        comparison_operator: Some(op),
        attribute_value_list: list,
        ..ExpectedAttribute::default()
    }
}

#[test]
fn expected_validation_messages() {
    let prefix = "One or more parameter values were invalid: ";
    let rows = [
        (
            ExpectedAttribute {
                value: Some(s("x")),
                attribute_value_list: Some(vec![s("x")]),
                ..ExpectedAttribute::default()
            },
            "Value and AttributeValueList cannot be used together for Attribute: a",
        ),
        (
            ExpectedAttribute {
                exists: Some(true),
                comparison_operator: Some(ComparisonOperator::Eq),
                ..ExpectedAttribute::default()
            },
            "Exists and ComparisonOperator cannot be used together for Attribute: a",
        ),
        (
            with_operator(ComparisonOperator::Eq, None),
            "Value or AttributeValueList must be used with ComparisonOperator: EQ for Attribute: a",
        ),
        (
            with_operator(ComparisonOperator::Between, Some(vec![n("1")])),
            "Invalid number of argument(s) for the BETWEEN ComparisonOperator",
        ),
        (
            with_operator(ComparisonOperator::In, Some(vec![n("1"), s("1")])),
            "AttributeValues inside AttributeValueList must be of same type",
        ),
        (
            ExpectedAttribute {
                attribute_value_list: Some(vec![s("x")]),
                ..ExpectedAttribute::default()
            },
            "AttributeValueList can only be used with a ComparisonOperator for Attribute: a",
        ),
        (
            ExpectedAttribute::default(),
            "Value must be provided when Exists is null for Attribute: a",
        ),
        (
            ExpectedAttribute {
                exists: Some(true),
                ..ExpectedAttribute::default()
            },
            "Value must be provided when Exists is true for Attribute: a",
        ),
        (
            ExpectedAttribute {
                exists: Some(false),
                value: Some(s("x")),
                ..ExpectedAttribute::default()
            },
            "Value cannot be used when Exists is false for Attribute: a",
        ),
    ];
    for (entry, message) in rows {
        let map = expected(&[("a", entry)]);
        assert_eq!(
            expected_condition(&map, None).unwrap_err().to_string(),
            format!("{prefix}{message}")
        );
    }
    let backwards = expected(&[(
        "n",
        with_operator(ComparisonOperator::Between, Some(vec![n("9"), n("1")])),
    )]);
    assert_eq!(
        expected_condition(&backwards, None)
            .unwrap_err()
            .to_string(),
        "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"
    );
    // Values of a type the operator cannot use are refused, as in the filters.
    for (operator, list, type_name) in [
        (
            ComparisonOperator::Le,
            vec![AttributeValue::L(vec![n("1")])],
            "L",
        ),
        (
            ComparisonOperator::Contains,
            vec![AttributeValue::L(vec![n("1")])],
            "L",
        ),
        (
            ComparisonOperator::In,
            vec![AttributeValue::Bool(true)],
            "BOOL",
        ),
        (ComparisonOperator::BeginsWith, vec![n("3")], "N"),
    ] {
        let name = operator.name();
        let map = expected(&[("a", with_operator(operator, Some(list)))]);
        assert_eq!(
            expected_condition(&map, None).unwrap_err().to_string(),
            format!(
                "{prefix}ComparisonOperator {name} is not valid for {type_name} AttributeValue type"
            )
        );
    }
}

#[test]
fn expected_semantics() {
    let eval = |entries: &[(&str, ExpectedAttribute)], op: Option<ConditionalOperator>| {
        expected_condition(&expected(entries), op)
            .unwrap()
            .expect("a condition")
            .evaluate(&item())
    };
    let value = |v: AttributeValue| ExpectedAttribute {
        value: Some(v),
        ..ExpectedAttribute::default()
    };
    let exists = |flag: bool| ExpectedAttribute {
        exists: Some(flag),
        ..ExpectedAttribute::default()
    };
    assert!(eval(&[("a", value(s("x")))], None));
    assert!(!eval(&[("a", value(s("y")))], None));
    assert!(eval(&[("gone", exists(false))], None));
    assert!(!eval(&[("a", exists(false))], None));
    assert!(!eval(
        &[("a", value(s("x"))), ("gone", value(s("x")))],
        None
    ));
    assert!(eval(
        &[("a", value(s("x"))), ("gone", value(s("x")))],
        Some(ConditionalOperator::Or)
    ));
    let op = |op, list: Vec<AttributeValue>| with_operator(op, Some(list));
    assert!(eval(
        &[("n", op(ComparisonOperator::Gt, vec![n("4")]))],
        None
    ));
    assert!(eval(
        &[("n", op(ComparisonOperator::Between, vec![n("5"), n("6")]))],
        None
    ));
    assert!(eval(
        &[("n", op(ComparisonOperator::In, vec![n("1"), n("5")]))],
        None
    ));
    assert!(eval(
        &[("a", op(ComparisonOperator::Ne, vec![n("1")]))],
        None
    ));
    assert!(eval(
        &[("gone", op(ComparisonOperator::Ne, vec![n("1")]))],
        None
    ));
    assert!(eval(
        &[("tags", op(ComparisonOperator::Contains, vec![s("t1")]))],
        None
    ));
    assert!(eval(
        &[("tags", op(ComparisonOperator::NotContains, vec![s("t3")]))],
        None
    ));
    // A missing attribute makes NOT_CONTAINS false (and NE true).
    assert!(!eval(
        &[("gone", op(ComparisonOperator::NotContains, vec![s("t3")]))],
        None
    ));
    assert!(eval(
        &[("a", op(ComparisonOperator::BeginsWith, vec![s("x")]))],
        None
    ));
    assert!(eval(
        &[("a", with_operator(ComparisonOperator::NotNull, None))],
        None
    ));
    assert!(eval(
        &[("gone", with_operator(ComparisonOperator::Null, None))],
        None
    ));
    // A name with a dot is one attribute, not a path.
    let dotted = Item::from([("a.b".to_string(), s("v"))]);
    let condition = expected_condition(&expected(&[("a.b", value(s("v")))]), None)
        .unwrap()
        .unwrap();
    assert!(condition.evaluate(&dotted));
    assert_eq!(expected_condition(&expected(&[]), None).unwrap(), None);
}

#[test]
fn filter_validation_and_semantics() {
    let entry = |op, list: Vec<AttributeValue>| AttributeCondition {
        comparison_operator: op,
        attribute_value_list: list,
    };
    let filter =
        |entries: Vec<(&str, AttributeCondition)>| -> BTreeMap<String, AttributeCondition> {
            entries
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect()
        };
    let error = |entries| {
        filter_condition(&filter(entries), None)
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        error(vec![("a", entry(ComparisonOperator::Null, vec![s("x")]))]),
        "One or more parameter values were invalid: Invalid number of argument(s) for the NULL ComparisonOperator"
    );
    assert_eq!(
        error(vec![(
            "a",
            entry(ComparisonOperator::Lt, vec![AttributeValue::Bool(true)])
        )]),
        "One or more parameter values were invalid: ComparisonOperator LT is not valid for BOOL AttributeValue type"
    );
    assert_eq!(
        error(vec![(
            "a",
            entry(ComparisonOperator::BeginsWith, vec![n("1")])
        )]),
        "One or more parameter values were invalid: ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type"
    );
    assert_eq!(
        error(vec![(
            "a",
            entry(
                ComparisonOperator::Contains,
                vec![AttributeValue::L(vec![])]
            )
        )]),
        "One or more parameter values were invalid: ComparisonOperator CONTAINS is not valid for L AttributeValue type"
    );
    // EQ and NE compare values of every type.
    for value in [
        AttributeValue::L(vec![n("1")]),
        AttributeValue::M(BTreeMap::new()),
        AttributeValue::Bool(true),
        AttributeValue::Null,
    ] {
        for operator in [ComparisonOperator::Eq, ComparisonOperator::Ne] {
            assert!(
                filter_condition(
                    &filter(vec![("a", entry(operator, vec![value.clone()]))]),
                    None
                )
                .is_ok()
            );
        }
    }
    assert_eq!(
        error(vec![(
            "a",
            entry(ComparisonOperator::Between, vec![s("b"), s("a")])
        )]),
        "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"
    );
    let ok = filter(vec![
        ("n", entry(ComparisonOperator::Ge, vec![n("5")])),
        ("a", entry(ComparisonOperator::Eq, vec![s("nope")])),
    ]);
    let and = filter_condition(&ok, None).unwrap().unwrap();
    let or = filter_condition(&ok, Some(ConditionalOperator::Or))
        .unwrap()
        .unwrap();
    assert!(!and.evaluate(&item()));
    assert!(or.evaluate(&item()));
}

#[test]
fn attribute_updates_validation_and_semantics() {
    let update = |action: Option<AttributeAction>, value: Option<AttributeValue>| AttributeUpdate {
        action,
        value,
    };
    let updates = |entries: Vec<(&str, AttributeUpdate)>| -> BTreeMap<String, AttributeUpdate> {
        entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect()
    };
    let error = |entries| {
        attribute_updates(&updates(entries))
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        error(vec![("a", update(Some(AttributeAction::Put), None))]),
        "One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified"
    );
    assert_eq!(
        error(vec![(
            "a",
            update(Some(AttributeAction::Delete), Some(s("x")))
        )]),
        "One or more parameter values were invalid: DELETE action with value is not supported for the type S"
    );
    assert_eq!(
        error(vec![(
            "a",
            update(Some(AttributeAction::Add), Some(AttributeValue::Bool(true)))
        )]),
        "One or more parameter values were invalid: ADD action is not supported for the type BOOL"
    );
    let before = Item::from([
        ("a".to_string(), s("x")),
        ("n".to_string(), n("1")),
        ("l".to_string(), AttributeValue::L(vec![n("1")])),
        (
            "tags".to_string(),
            AttributeValue::Ss(vec!["t1".into(), "t2".into()]),
        ),
        ("old".to_string(), s("old")),
    ]);
    let all = updates(vec![
        ("a", update(None, Some(s("y")))),
        ("n", update(Some(AttributeAction::Add), Some(n("2")))),
        (
            "l",
            update(
                Some(AttributeAction::Add),
                Some(AttributeValue::L(vec![n("2")])),
            ),
        ),
        (
            "tags",
            update(
                Some(AttributeAction::Delete),
                Some(AttributeValue::Ss(vec!["t1".into()])),
            ),
        ),
        ("old", update(Some(AttributeAction::Delete), None)),
        ("fresh", update(Some(AttributeAction::Add), Some(n("7")))),
    ]);
    let after = attribute_updates(&all).unwrap().apply(&before).unwrap();
    let expected = Item::from([
        ("a".to_string(), s("y")),
        ("n".to_string(), n("3")),
        ("l".to_string(), AttributeValue::L(vec![n("1"), n("2")])),
        ("tags".to_string(), AttributeValue::Ss(vec!["t2".into()])),
        ("fresh".to_string(), n("7")),
    ]);
    assert_eq!(after, expected);
    let mismatch = updates(vec![(
        "a",
        update(Some(AttributeAction::Add), Some(n("1"))),
    )]);
    assert_eq!(
        attribute_updates(&mismatch)
            .unwrap()
            .apply(&before)
            .unwrap_err()
            .to_string(),
        "Type mismatch for attribute to update"
    );
}

#[test]
fn attributes_to_get_projects_top_level_names() {
    let names = vec!["a".to_string(), "n".to_string(), "gone".to_string()];
    let projected = attributes_to_get(&names).unwrap().apply(&item());
    assert_eq!(projected.keys().collect::<Vec<_>>(), ["a", "n"]);
    let duplicate = vec!["a".to_string(), "a".to_string()];
    assert_eq!(
        attributes_to_get(&duplicate).unwrap_err().to_string(),
        "One or more parameter values were invalid: Duplicate value in attribute name: a"
    );
}

#[test]
fn mixing_expression_and_legacy_parameters() {
    let mix = check_parameter_mix(
        &[("UpdateExpression", true), ("ConditionExpression", false)],
        &[("AttributeUpdates", true), ("Expected", false)],
        false,
        false,
    );
    assert_eq!(
        mix.unwrap_err().to_string(),
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributeUpdates} Expression parameters: {UpdateExpression}"
    );
    let query = check_parameter_mix(
        &[
            ("ProjectionExpression", true),
            ("FilterExpression", true),
            ("KeyConditionExpression", true),
        ],
        &[
            ("AttributesToGet", false),
            ("QueryFilter", true),
            ("ConditionalOperator", false),
            ("KeyConditions", true),
        ],
        false,
        false,
    );
    assert_eq!(
        query.unwrap_err().to_string(),
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {QueryFilter, KeyConditions} Expression parameters: {ProjectionExpression, FilterExpression, KeyConditionExpression}"
    );
    assert_eq!(
        check_parameter_mix(
            &[("ConditionExpression", false)],
            &[("Expected", true)],
            true,
            false
        )
        .unwrap_err()
        .to_string(),
        "ExpressionAttributeNames can only be specified when using expressions"
    );
    assert_eq!(
        check_parameter_mix(
            &[
                ("ProjectionExpression", true),
                ("FilterExpression", false),
                ("KeyConditionExpression", false)
            ],
            &[],
            false,
            true
        )
        .unwrap_err()
        .to_string(),
        "ExpressionAttributeValues can only be specified when using expressions: FilterExpression and KeyConditionExpression are null"
    );
    assert!(
        check_parameter_mix(
            &[("ConditionExpression", true)],
            &[("Expected", false)],
            true,
            true
        )
        .is_ok()
    );
}

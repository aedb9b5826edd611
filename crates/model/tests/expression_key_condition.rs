//! Query key conditions: the shape checks DynamoDB makes before it knows the table, the checks
//! against the key schema after, and the partition key and sort-key range the engine gets. Also
//! the legacy `KeyConditions` parameter, which ends in the same place.

use std::collections::BTreeMap;

use ferrodyn_model::expression::legacy::{AttributeCondition, ComparisonOperator, key_conditions};
use ferrodyn_model::expression::{
    AttributeValues, ExpressionError, ExpressionParams, KeyCondition, SortKeyCondition,
};
use ferrodyn_model::key::{KeySchema, ScalarType};
use ferrodyn_model::{AttributeValue, Number};

fn s(text: &str) -> AttributeValue {
    AttributeValue::from(text)
}

fn n(text: &str) -> AttributeValue {
    AttributeValue::N(Number::parse(text).unwrap())
}

fn values(entries: &[(&str, AttributeValue)]) -> AttributeValues {
    entries
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn composite() -> KeySchema {
    KeySchema::new("pk", ScalarType::S).with_sort("sk", ScalarType::N)
}

/// Parses `expression` (using exactly the given values) and resolves it against `schema`.
fn key_condition(
    expression: &str,
    entries: &[(&str, AttributeValue)],
    schema: &KeySchema,
) -> Result<KeyCondition, String> {
    let values = values(entries);
    let params = ExpressionParams {
        key_condition: Some(expression),
        values: (!values.is_empty()).then_some(&values),
        ..ExpressionParams::default()
    };
    let parsed = params.parse().map_err(|e| e.to_string())?;
    parsed
        .key_condition
        .expect("present")
        .resolve(schema)
        .map_err(|e| e.to_string())
}

fn shape_error(expression: &str, entries: &[(&str, AttributeValue)]) -> String {
    key_condition(expression, entries, &composite()).unwrap_err()
}

#[test]
fn operators_a_key_condition_cannot_use() {
    for (expression, operator) in [
        ("a > b and size(b) > c or a > c", "OR"),
        ("a in (b, size(c), d)", "IN"),
        ("attribute_exists(a)", "attribute_exists"),
        ("attribute_not_exists(a)", "attribute_not_exists"),
        ("contains(a.d, b)", "contains"),
        ("not a > b", "NOT"),
        ("a <> b", "<>"),
    ] {
        assert_eq!(
            shape_error(expression, &[]),
            format!("Invalid operator used in KeyConditionExpression: {operator}"),
            "{expression}"
        );
    }
    assert_eq!(
        shape_error("attribute_type(a, :a)", &[(":a", s("S"))]),
        "Invalid operator used in KeyConditionExpression: attribute_type"
    );
}

#[test]
fn clause_shapes() {
    let ab = [(":a", s("1")), (":b", s("1"))];
    assert_eq!(
        shape_error(":a between size(b) and size(a) and b > :b", &ab),
        "Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand"
    );
    assert_eq!(
        shape_error("begins_with(:a, b) and a > :b", &ab),
        "Invalid condition in KeyConditionExpression: begins_with operator must have the key attribute as its first operand"
    );
    for expression in [
        "size(b) > a AND a.b > b AND b > c",
        "a > size(b.d)",
        "a between size(b) and size(a)",
    ] {
        assert_eq!(
            shape_error(expression, &[]),
            "Invalid KeyConditionExpression: KeyConditionExpressions cannot contain nested operations",
            "{expression}"
        );
    }
    for expression in [
        "b > a.b",
        "b between c[1] and d",
        "a between b and size(a)",
        "begins_with(a, b)",
    ] {
        assert_eq!(
            shape_error(expression, &[]),
            "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition",
            "{expression}"
        );
    }
    for expression in ["b.d > a AND c.d > e.f", "a.d > c", "b[0] > a"] {
        assert_eq!(
            shape_error(expression, &[]),
            "Invalid KeyConditionExpression: KeyConditionExpressions cannot have conditions on nested attributes",
            "{expression}"
        );
    }
    let numbers = [(":a", n("1")), (":b", n("1"))];
    for expression in [":b > :a AND a < :b", ":a > b AND :a < :b"] {
        assert_eq!(
            shape_error(expression, &numbers),
            "Invalid condition in KeyConditionExpression: No key attribute specified",
            "{expression}"
        );
    }
    let one = [(":a", n("1"))];
    for expression in [
        "b > :a AND b < :a and c = :a and d = :a",
        "(a > :a and b > :a) and (b > :a and c > :a)",
    ] {
        assert_eq!(
            shape_error(expression, &one),
            "Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition per key",
            "{expression}"
        );
    }
}

#[test]
fn operand_types_are_checked_in_clause_order() {
    let operand = |op: &str, t: &str| {
        format!(
            "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: {op}, operand type: {t}"
        )
    };
    let p = (":p", s("q"));
    assert_eq!(
        shape_error(
            "pk = :p AND begins_with(sk, :v)",
            &[p.clone(), (":v", n("1"))]
        ),
        operand("begins_with", "N")
    );
    assert_eq!(
        shape_error(
            "pk = :p AND sk < :v",
            &[p.clone(), (":v", AttributeValue::Bool(true))]
        ),
        operand("<", "BOOL")
    );
    assert_eq!(
        shape_error(
            "pk = :p AND :v >= sk",
            &[p.clone(), (":v", AttributeValue::Bool(true))]
        ),
        operand(">=", "BOOL")
    );
    assert_eq!(
        shape_error(
            "pk = :p AND sk BETWEEN :a AND :b",
            &[
                p.clone(),
                (":a", AttributeValue::Bool(false)),
                (":b", AttributeValue::Bool(true))
            ]
        ),
        operand("BETWEEN", "BOOL")
    );
    // The first faulty clause is reported, whichever its problem.
    let undefined = "Invalid KeyConditionExpression: An expression attribute value used in expression is not defined; attribute value: :missing";
    assert_eq!(
        shape_error("pk = :missing AND begins_with(sk, :n)", &[(":n", n("1"))]),
        undefined
    );
    assert_eq!(
        shape_error("begins_with(sk, :n) AND pk = :missing", &[(":n", n("1"))]),
        operand("begins_with", "N")
    );
}

#[test]
fn schema_checks() {
    let hash = KeySchema::new("a", ScalarType::S);
    let one = [(":a", s("1"))];
    for expression in [
        "a > :a",
        "a < :a",
        ":a <= a",
        ":a >= a",
        "begins_with(a, :a)",
        "a between :a and :a",
    ] {
        assert_eq!(
            key_condition(expression, &one, &hash).unwrap_err(),
            "Query key condition not supported",
            "{expression}"
        );
    }
    assert_eq!(
        key_condition("a = :a AND b = :a", &one, &hash).unwrap_err(),
        "The number of query conditions (2) exceeds the number of key attributes defined in the schema (1)"
    );
    assert_eq!(
        key_condition("z = :a", &one, &hash).unwrap_err(),
        "Query condition missed key schema element: a"
    );
    assert_eq!(
        key_condition(":a > a", &[(":a", n("1"))], &hash).unwrap_err(),
        "One or more parameter values were invalid: Condition parameter type does not match schema type"
    );
    let schema = composite();
    let pq = [(":p", s("q")), (":a", n("1")), (":b", n("5"))];
    assert_eq!(
        key_condition("pk = :p AND sk > :a AND extra = :b", &pq, &schema).unwrap_err(),
        "The number of query conditions (3) exceeds the number of key attributes defined in the schema (2)"
    );
    assert_eq!(
        key_condition("pk = :p AND rest > :a", &pq[..2], &schema).unwrap_err(),
        "Query condition missed key schema element: sk"
    );
    assert_eq!(
        key_condition("sk = :a", &[(":a", n("1"))], &schema).unwrap_err(),
        "Query condition missed key schema element: pk"
    );
    assert_eq!(
        key_condition(
            "pk = :p AND begins_with(sk, :v)",
            &[(":p", s("q")), (":v", s("a"))],
            &schema
        )
        .unwrap_err(),
        "One or more parameter values were invalid: Condition parameter type does not match schema type"
    );
    assert_eq!(
        key_condition(
            "pk = :p AND sk = :v",
            &[(":p", s("q")), (":v", AttributeValue::Bool(true))],
            &schema
        )
        .unwrap_err(),
        "One or more parameter values were invalid: Condition parameter type does not match schema type"
    );
}

#[test]
fn resolved_conditions() {
    let schema = composite();
    let vals = [(":p", s("q")), (":a", n("1")), (":b", n("5"))];
    let used = |expression: &str| -> Vec<(&str, AttributeValue)> {
        vals.iter()
            .filter(|(k, _)| expression.contains(k))
            .cloned()
            .collect()
    };
    let sort = |expression: &str| {
        key_condition(expression, &used(expression), &schema)
            .unwrap_or_else(|e| panic!("{expression}: {e}"))
            .sort_key
    };
    assert_eq!(sort("pk = :p"), None);
    assert_eq!(
        sort("pk = :p AND sk = :a"),
        Some(SortKeyCondition::Eq(n("1")))
    );
    assert_eq!(
        sort("sk < :a AND pk = :p"),
        Some(SortKeyCondition::Lt(n("1")))
    );
    assert_eq!(
        sort("pk = :p AND :a < sk"),
        Some(SortKeyCondition::Gt(n("1")))
    );
    assert_eq!(
        sort("pk = :p AND :a >= sk"),
        Some(SortKeyCondition::Le(n("1")))
    );
    assert_eq!(
        sort("pk = :p AND sk BETWEEN :a AND :b"),
        Some(SortKeyCondition::Between(n("1"), n("5")))
    );
    assert_eq!(
        sort("(pk = :p) AND (sk >= :a)"),
        Some(SortKeyCondition::Ge(n("1")))
    );
    let resolved = key_condition("pk = :p", &used(":p"), &schema).unwrap();
    assert_eq!(resolved.partition_key, s("q"));
    let strings = KeySchema::new("pk", ScalarType::S).with_sort("sk", ScalarType::S);
    let prefix = key_condition(
        "pk = :p AND begins_with(sk, :x)",
        &[(":p", s("q")), (":x", s("ab"))],
        &strings,
    )
    .unwrap()
    .sort_key
    .unwrap();
    assert!(prefix.matches(&s("abc")));
    assert!(!prefix.matches(&s("b")));
    let between = SortKeyCondition::Between(n("1"), n("5"));
    assert!(between.matches(&n("5")) && between.matches(&n("1.0")) && !between.matches(&n("5.01")));
}

#[test]
fn legacy_key_conditions() {
    let entry = |op: ComparisonOperator, values: Vec<AttributeValue>| AttributeCondition {
        comparison_operator: op,
        attribute_value_list: values,
    };
    let schema = composite();
    let conditions = BTreeMap::from([
        (
            "pk".to_string(),
            entry(ComparisonOperator::Eq, vec![s("q")]),
        ),
        (
            "sk".to_string(),
            entry(ComparisonOperator::Between, vec![n("1"), n("2")]),
        ),
    ]);
    let resolved = key_conditions(&conditions)
        .unwrap()
        .resolve(&schema)
        .unwrap();
    assert_eq!(
        resolved.sort_key,
        Some(SortKeyCondition::Between(n("1"), n("2")))
    );

    let not_indexable = BTreeMap::from([
        (
            "pk".to_string(),
            entry(ComparisonOperator::Eq, vec![s("q")]),
        ),
        ("sk".to_string(), entry(ComparisonOperator::NotNull, vec![])),
    ]);
    assert_eq!(
        key_conditions(&not_indexable)
            .unwrap()
            .resolve(&schema)
            .unwrap_err(),
        ExpressionError::NotIndexable
    );
    let empty: BTreeMap<String, AttributeCondition> = BTreeMap::new();
    assert_eq!(
        key_conditions(&empty).unwrap_err().to_string(),
        "Conditions can be of length 1 or 2 only"
    );
    let bad_count = BTreeMap::from([("pk".to_string(), entry(ComparisonOperator::Eq, vec![]))]);
    assert_eq!(
        key_conditions(&bad_count).unwrap_err().to_string(),
        "One or more parameter values were invalid: Invalid number of argument(s) for the EQ ComparisonOperator"
    );
    let hash = KeySchema::new("pk", ScalarType::S);
    let two = BTreeMap::from([
        (
            "pk".to_string(),
            entry(ComparisonOperator::Eq, vec![s("q")]),
        ),
        ("x".to_string(), entry(ComparisonOperator::Eq, vec![s("q")])),
    ]);
    assert_eq!(
        key_conditions(&two)
            .unwrap()
            .resolve(&hash)
            .unwrap_err()
            .to_string(),
        "Query key condition not supported"
    );
}

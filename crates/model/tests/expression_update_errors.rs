//! Parse-time errors of update and projection expressions and of the placeholder maps, message
//! text exactly, one table row per case, and which expression of a request DynamoDB reports
//! first. The expectations are DynamoDB's own messages; where an expression has several
//! problems, the row pins which one DynamoDB reports.

use std::collections::BTreeMap;

use ferrodyn_model::expression::{AttributeNames, AttributeValues, ExpressionParams};
use ferrodyn_model::{AttributeValue, Number};

fn s(text: &str) -> AttributeValue {
    AttributeValue::from(text)
}

fn n(text: &str) -> AttributeValue {
    AttributeValue::N(Number::parse(text).unwrap())
}

/// Which parameter an expression goes in.
#[derive(Clone, Copy)]
enum Kind {
    Update,
    Projection,
}

fn params<'a>(
    kind: Kind,
    expression: &'a str,
    names: &'a AttributeNames,
    values: &'a AttributeValues,
) -> ExpressionParams<'a> {
    let mut params = ExpressionParams {
        names: (!names.is_empty()).then_some(names),
        values: (!values.is_empty()).then_some(values),
        ..ExpressionParams::default()
    };
    match kind {
        Kind::Update => params.update = Some(expression),
        Kind::Projection => params.projection = Some(expression),
    }
    params
}

fn error_of(
    kind: Kind,
    expression: &str,
    names: &[(&str, &str)],
    values: &[(&str, AttributeValue)],
) -> String {
    let names: AttributeNames = names
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let values: AttributeValues = values
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    match params(kind, expression, &names, &values).parse() {
        Ok(_) => panic!("{expression:?} parsed without error"),
        Err(err) => err.to_string(),
    }
}

/// Runs rows of `(expression, expected message)` with no placeholders.
fn check(kind: Kind, rows: &[(&str, &str)]) {
    for (expression, expected) in rows {
        assert_eq!(
            error_of(kind, expression, &[], &[]),
            *expected,
            "expression {expression:?}"
        );
    }
}

#[test]
fn update_errors() {
    let names = [("#a", "a"), ("#b", "b")];
    let values = [(":a", s("a")), (":b", s("a"))];
    let u = |m: &str| format!("Invalid UpdateExpression: {m}");
    let rows = [
        (
            "set #c = if_not_exist(:c) set c = d",
            u("Invalid function name; function: if_not_exist"),
        ),
        (
            "set a = size(b)",
            u("The function is not allowed in an update expression; function: size"),
        ),
        (
            "set a = contains(b, :a)",
            u("The function is not allowed in an update expression; function: contains"),
        ),
        (
            "set a = #c set c = :d",
            u("The \"SET\" section can only be used once in an update expression;"),
        ),
        (
            "remove #d set a = b remove e",
            u("The \"REMOVE\" section can only be used once in an update expression;"),
        ),
        (
            "add #d :e set a = b add e :f",
            u("The \"ADD\" section can only be used once in an update expression;"),
        ),
        (
            "delete #d :e set a = b delete #e :f",
            u("The \"DELETE\" section can only be used once in an update expression;"),
        ),
        (
            "SET #c = if_not_exists(:c)",
            u(
                "An expression attribute name used in the document path is not defined; attribute name: #c",
            ),
        ),
        (
            "SET #a = if_not_exists(:c)",
            u(
                "An expression attribute value used in expression is not defined; attribute value: :c",
            ),
        ),
        (
            "set a = if_not_exists(c)",
            u(
                "Incorrect number of operands for operator or function; operator or function: if_not_exists, number of operands: 1",
            ),
        ),
        (
            "set a = list_append(c)",
            u(
                "Incorrect number of operands for operator or function; operator or function: list_append, number of operands: 1",
            ),
        ),
        (
            "set a = if_not_exists(:a, c)",
            u("Operator or function requires a document path; operator or function: if_not_exists"),
        ),
        (
            "set a = if_not_exists(if_not_exists(a, b), c)",
            u("Operator or function requires a document path; operator or function: if_not_exists"),
        ),
    ];
    for (expression, expected) in rows {
        assert_eq!(
            error_of(Kind::Update, expression, &names, &values),
            expected,
            "{expression:?}"
        );
    }
}

#[test]
fn update_paths_overlap_or_conflict() {
    let names = [("#b", "b"), ("#c", "c"), ("#d", "[3]")];
    let overlap = |one: &str, two: &str| {
        format!(
            "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: {one}, path two: {two}"
        )
    };
    let conflict = |one: &str, two: &str| {
        format!(
            "Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: {one}, path two: {two}"
        )
    };
    for (expression, expected) in [
        (
            "set d[1] = a, d.b = a, c[1].a = a, #c = if_not_exists(a)",
            overlap("[c, [1], a]", "[c]"),
        ),
        (
            "set #c[3].#d = a, #c[3] = a",
            overlap("[c, [3], [3]]", "[c, [3]]"),
        ),
        ("SET a = :v REMOVE a.b", overlap("[a]", "[a, b]")),
        ("SET #b = :v, #b = :v", overlap("[b]", "[b]")),
        (
            "set #c[3].#d = a, #c.#d[3] = if_not_exists(a)",
            conflict("[c, [3], [3]]", "[c, [3], [3]]"),
        ),
        ("remove a.#c set a[1] = #d", conflict("[a, c]", "[a, [1]]")),
    ] {
        let values = [(":v", s("v"))];
        let values: &[(&str, AttributeValue)] = if expression.contains(":v") {
            &values
        } else {
            &[]
        };
        assert_eq!(
            error_of(Kind::Update, expression, &names, values),
            expected,
            "{expression:?}"
        );
    }
}

#[test]
fn update_operand_types() {
    let action = |op: &str, t: &str| {
        format!(
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: {op}, operand type: {t}"
        )
    };
    let rows = [
        (
            "set b = list_append(:a, a), c = if_not_exists(a) add a.b :a",
            s("a"),
            action("ADD", "STRING"),
        ),
        ("delete a.b :a", s("a"), action("DELETE", "STRING")),
        ("add a.b :a", AttributeValue::Null, action("ADD", "NULL")),
        (
            "delete a.b :a",
            AttributeValue::Bool(false),
            action("DELETE", "BOOLEAN"),
        ),
        (
            "add a.b :a",
            AttributeValue::B(b"a".to_vec()),
            action("ADD", "BINARY"),
        ),
        (
            "delete a.b :a",
            AttributeValue::M(BTreeMap::new()),
            action("DELETE", "MAP"),
        ),
        (
            "add a.b :a",
            AttributeValue::L(vec![n("1")]),
            action("ADD", "LIST"),
        ),
        ("delete a.b :a", n("1"), action("DELETE", "NUMBER")),
    ];
    for (expression, value, expected) in rows {
        assert_eq!(
            error_of(Kind::Update, expression, &[], &[(":a", value)]),
            expected,
            "{expression:?}"
        );
    }
    let function = |f: &str, t: &str| {
        format!(
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: {f}, operand type: {t}"
        )
    };
    let values = [
        (":a", s("a")),
        (":b", n("1")),
        (":c", AttributeValue::B(b"a".to_vec())),
        (":d", AttributeValue::Bool(false)),
        (":e", AttributeValue::Null),
        (":f", AttributeValue::Ss(vec!["a".into()])),
        (":i", AttributeValue::M(BTreeMap::new())),
        (":j", AttributeValue::L(vec![])),
    ];
    for (expression, f, t) in [
        ("set a = list_append(:a, a)", "list_append", "S"),
        ("set a = list_append(a, :b)", "list_append", "N"),
        ("set a = list_append(:f, a)", "list_append", "SS"),
        ("set a = list_append(:i, a)", "list_append", "M"),
        ("set a = a + :a", "+", "S"),
        ("set a = :a + :c", "+", "S"),
        ("set a = :c + a", "+", "B"),
        ("set a = a - :d", "-", "BOOL"),
        ("set a = a - :e", "-", "NULL"),
        ("set a = a - :j", "-", "L"),
    ] {
        let used: Vec<(&str, AttributeValue)> = values
            .iter()
            .filter(|(k, _)| expression.contains(k))
            .cloned()
            .collect();
        assert_eq!(
            error_of(Kind::Update, expression, &[], &used),
            function(f, t),
            "{expression:?}"
        );
    }
}

#[test]
fn projection_errors() {
    let p = |m: &str| format!("Invalid ProjectionExpression: {m}");
    check(
        Kind::Projection,
        &[
            (
                "a, a.b",
                &p(
                    "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]",
                ),
            ),
            (
                "a[0], a.b",
                &p(
                    "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, [0]], path two: [a, b]",
                ),
            ),
            (
                "a, #n",
                &p(
                    "An expression attribute name used in the document path is not defined; attribute name: #n",
                ),
            ),
            (
                "a, name",
                &p("Attribute name is a reserved keyword; reserved keyword: name"),
            ),
            (
                "a[2147483648]",
                &p("List index is not within the allowable range"),
            ),
        ],
    );
}

#[test]
fn placeholder_maps() {
    let names: AttributeNames = BTreeMap::from([
        ("#a".to_string(), "a".to_string()),
        ("#b".to_string(), "b".to_string()),
    ]);
    let values: AttributeValues = BTreeMap::from([
        (":a".to_string(), s("a")),
        (":b".to_string(), s("b")),
        (":c".to_string(), s("c")),
    ]);
    let request = ExpressionParams {
        update: Some("remove a set b = list_append(b, if_not_exists(a, :a))"),
        condition: Some("a = :b"),
        names: Some(&names),
        values: Some(&values),
        ..ExpressionParams::default()
    };
    assert_eq!(
        request.parse().unwrap_err().to_string(),
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#a, #b}"
    );
    let request = ExpressionParams {
        names: None,
        ..request
    };
    assert_eq!(
        request.parse().unwrap_err().to_string(),
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:c}"
    );
    // A placeholder counts as used if any expression of the request uses it.
    let request = ExpressionParams {
        update: Some("SET #b = :a"),
        condition: Some("#a = :b AND c = :c"),
        names: Some(&names),
        values: Some(&values),
        ..ExpressionParams::default()
    };
    assert!(request.parse().is_ok());
}

#[test]
fn first_expression_in_dynamodb_order_is_reported() {
    // Update before condition before key condition before filter before projection.
    let request = ExpressionParams {
        condition: Some("a = "),
        update: Some("SET"),
        ..ExpressionParams::default()
    };
    assert!(
        request
            .parse()
            .unwrap_err()
            .to_string()
            .starts_with("Invalid UpdateExpression")
    );
    let request = ExpressionParams {
        projection: Some(","),
        filter: Some("a ="),
        key_condition: Some("pk ="),
        ..ExpressionParams::default()
    };
    assert!(
        request
            .parse()
            .unwrap_err()
            .to_string()
            .starts_with("Invalid KeyConditionExpression")
    );
}

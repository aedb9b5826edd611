//! The parse-time errors of condition, filter and key-condition expressions (and the limits all
//! expressions share), message text exactly, one table row per case. The expectations are
//! DynamoDB's own messages (as observed against the service and recorded by the projects that
//! reproduce it); where an expression has several problems, the row pins which one DynamoDB
//! reports.

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
    Condition,
    Filter,
    Key,
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
        Kind::Condition => params.condition = Some(expression),
        Kind::Filter => params.filter = Some(expression),
        Kind::Key => params.key_condition = Some(expression),
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
fn syntax_errors_name_the_token_and_its_neighbours() {
    let e = |token: &str, near: &str, kind: &str| {
        format!("Invalid {kind}: Syntax error; token: \"{token}\", near: \"{near}\"")
    };
    let cases = [
        (
            Kind::Update,
            "INVALID SYNTAX HERE",
            e("INVALID", "INVALID SYNTAX", "UpdateExpression"),
        ),
        (
            Kind::Update,
            "SET _123 = :val1",
            e("_", "SET _123", "UpdateExpression"),
        ),
        (
            Kind::Update,
            "SET a = :v, b = :v,",
            e("<EOF>", ",", "UpdateExpression"),
        ),
        (
            Kind::Condition,
            "foo",
            e("<EOF>", "foo", "ConditionExpression"),
        ),
        (
            Kind::Condition,
            "a = ([1])",
            e("[", "([1", "ConditionExpression"),
        ),
        (
            Kind::Condition,
            "a = = :v",
            e("=", "= = :v", "ConditionExpression"),
        ),
        (
            Kind::Condition,
            "a == :x",
            e("=", "== :x", "ConditionExpression"),
        ),
        (
            Kind::Condition,
            "(a = :x",
            e("<EOF>", ":x", "ConditionExpression"),
        ),
        (
            Kind::Condition,
            "a = :x)",
            e(")", ":x)", "ConditionExpression"),
        ),
        (
            Kind::Condition,
            "a IN ()",
            e(")", "()", "ConditionExpression"),
        ),
        (
            Kind::Condition,
            "NOT",
            e("<EOF>", "NOT", "ConditionExpression"),
        ),
        (
            Kind::Condition,
            "a > 4",
            e("4", "> 4", "ConditionExpression"),
        ),
        (
            Kind::Condition,
            "a = \"x\"",
            e("\"x\"", "= \"x\"", "ConditionExpression"),
        ),
        (Kind::Filter, "ü > a", e("ü", "ü >", "FilterExpression")),
        (
            Kind::Filter,
            "a.:b = c",
            e(":b", ".:b =", "FilterExpression"),
        ),
        (
            Kind::Filter,
            "b[#_] > a",
            e("#_", "[#_]", "FilterExpression"),
        ),
        (
            Kind::Filter,
            "size(a).b > a",
            e(".", ").b", "FilterExpression"),
        ),
        (
            Kind::Filter,
            "a = b + c",
            e("+", "b + c", "FilterExpression"),
        ),
        (
            Kind::Key,
            "[object Object]",
            e("[", "[object", "KeyConditionExpression"),
        ),
        (
            Kind::Projection,
            "!!!",
            e("!", "!!", "ProjectionExpression"),
        ),
        (
            Kind::Projection,
            "a,",
            e("<EOF>", ",", "ProjectionExpression"),
        ),
        (
            Kind::Projection,
            "a and b",
            e("and", "a and b", "ProjectionExpression"),
        ),
        (
            Kind::Update,
            "set a = b + c + d",
            e("+", "c + d", "UpdateExpression"),
        ),
        (
            Kind::Update,
            "set (a = (b + c))",
            e("(", "set (a", "UpdateExpression"),
        ),
        (
            Kind::Update,
            "set a = (b.c).d + e",
            e(".", ").d", "UpdateExpression"),
        ),
        (Kind::Update, "ADD a 5", e("5", "a 5", "UpdateExpression")),
        (Kind::Update, "   ", e("<EOF>", "", "UpdateExpression")),
    ];
    for (kind, expression, expected) in cases {
        assert_eq!(
            error_of(kind, expression, &[], &[]),
            expected,
            "{expression:?}"
        );
    }
}

#[test]
fn many_syntax_errors_are_syntax_errors() {
    // Shapes DynamoDB rejects as syntax errors; the token named is not pinned here.
    for expression in [
        "things are not gonna be ok",
        "attribute_exists(Pictures-RearView)",
        "attribute_exists(\"Pictures.RearView\")",
        "attribute_exists(Pictures..RearView)",
        "attribute_exists(Pi#ctures.RearView)",
        "attribute_exists(asdf[a])",
        "a in b, c",
        "a > between",
        "a in b",
        "a in (b,c,)",
        "(a)between(b.(c.d))and(c)",
        "(a)between(b.c.d)and((c)",
        "#$.b > a",
        "a > :things.stuff",
        "b[:a] > a",
        "(a)between(b.c[4.5].#d)and(:a)",
        "(size(a)).b > a",
        "size(a)[0] > a",
        "(size(a))[0] > a",
        "a = :x AND",
        "attribute_exists(a",
        "a BETWEEN :x",
        "a = b c",
        "a <> ",
    ] {
        let message = error_of(Kind::Filter, expression, &[], &[]);
        assert!(
            message.starts_with("Invalid FilterExpression: Syntax error; token: "),
            "{expression:?}: {message}"
        );
    }
    for expression in [
        "SET if_not_exist(a, b) = a",
        "set a = (b.c)[0] + e",
        "a = b",
        "SET a",
    ] {
        let message = error_of(Kind::Update, expression, &[], &[]);
        assert!(
            message.starts_with("Invalid UpdateExpression: Syntax error; token: "),
            "{expression:?}: {message}"
        );
    }
}

#[test]
fn empty_and_oversized_expressions() {
    check(
        Kind::Update,
        &[(
            "",
            "Invalid UpdateExpression: The expression can not be empty;",
        )],
    );
    check(
        Kind::Projection,
        &[(
            "",
            "Invalid ProjectionExpression: The expression can not be empty;",
        )],
    );
    let at_limit = format!("a{}", "b".repeat(4095));
    let parsed = params(
        Kind::Projection,
        &at_limit,
        &BTreeMap::new(),
        &BTreeMap::new(),
    )
    .parse();
    assert!(parsed.is_ok());
    let over = format!("a{}", "b".repeat(4096));
    assert_eq!(
        error_of(Kind::Condition, &over, &[], &[]),
        "Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; expression size: 4097"
    );
    // Bytes, not characters.
    let wide = format!("a = {}", "ü".repeat(2047));
    assert_eq!(
        error_of(Kind::Filter, &wide, &[], &[]),
        "Invalid FilterExpression: Expression size has exceeded the maximum allowed size; expression size: 4098"
    );
}

#[test]
fn operator_and_in_limits() {
    let clause = "a = :v";
    let values = [(":v", s("x"))];
    let at_limit = vec![clause; 150].join(" AND "); // 150 comparisons + 149 ANDs
    let names = BTreeMap::new();
    let value_map: AttributeValues = values
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    assert!(
        params(Kind::Filter, &at_limit, &names, &value_map)
            .parse()
            .is_ok()
    );
    let over = vec![clause; 151].join(" AND ");
    assert_eq!(
        error_of(Kind::Filter, &over, &[], &values),
        "Invalid FilterExpression: The expression contains too many operators; operator count: 301"
    );
    let list = |count: usize| vec![":v"; count].join(", ");
    let in_limit = format!("a IN ({})", list(100));
    assert!(
        params(Kind::Filter, &in_limit, &names, &value_map)
            .parse()
            .is_ok()
    );
    assert_eq!(
        error_of(Kind::Filter, &format!("a IN ({})", list(101)), &[], &values),
        "Invalid FilterExpression: The IN operator is provided with too many operands; number of operands: 101"
    );
}

#[test]
fn redundant_parentheses() {
    let expected = "Invalid FilterExpression: The expression has redundant parentheses;";
    for expression in [
        "a=a and a > ((views))",
        "(a)between(((b.c)).d)and(c)",
        "a > whatever((:things), ((a)))",
        "a=a AND ((a=a AND a=a)) AND a=a",
        "a=a OR ((a=a OR a=a)) OR a=a",
        "a=a AND ((a=a AND (a=a AND a=a)))",
        "a=a OR ((a=a OR (a=a OR a=a)))",
        "((attribute_exists(a)))",
        "((size(a))) > :n",
    ] {
        assert_eq!(
            error_of(Kind::Filter, expression, &[], &[]),
            expected,
            "{expression:?}"
        );
    }
    assert_eq!(
        error_of(Kind::Update, "SET a = ((b + c))", &[], &[]),
        "Invalid UpdateExpression: The expression has redundant parentheses;"
    );
    assert_eq!(
        error_of(Kind::Update, "SET a = ((b)) + c", &[], &[]),
        "Invalid UpdateExpression: The expression has redundant parentheses;"
    );
    // Deep nesting is refused without exhausting the stack.
    let deep = format!("{}a{}", "(".repeat(2000), ")".repeat(2000));
    assert_eq!(
        error_of(Kind::Filter, &format!("{deep} = b"), &[], &[]),
        expected
    );
}

#[test]
fn function_names_and_uses() {
    let unknown =
        |f: &str| format!("Invalid FilterExpression: Invalid function name; function: {f}");
    let misused = |f: &str| {
        format!(
            "Invalid FilterExpression: The function is not allowed to be used this way in an expression; function: {f}"
        )
    };
    let rows = [
        ("a=a and whatever((:things)) > a", unknown("whatever")),
        ("attRIbute_exIsts((views), #a)", unknown("attRIbute_exIsts")),
        (
            "if_not_exists(a, b) = a",
            "Invalid FilterExpression: The function is not allowed in a condition expression; \
             function: if_not_exists"
                .to_string(),
        ),
        (
            "list_append(a, b) = a",
            "Invalid FilterExpression: The function is not allowed in a condition expression; \
             function: list_append"
                .to_string(),
        ),
        (
            "a=a and attribute_exists((views), (#a)) > b",
            misused("attribute_exists"),
        ),
        (
            "attribute_not_exists(things) > b",
            misused("attribute_not_exists"),
        ),
        ("attribute_type(things, :a) > b", misused("attribute_type")),
        ("begins_with(things, a) > b", misused("begins_with")),
        ("contains(:things, c) > b", misused("contains")),
        ("size(contains(a, b)) > a", misused("contains")),
        ("size(things)", misused("size")),
        ("NOT size(things)", misused("size")),
        (
            "a between b and attribute_exists(things)",
            misused("attribute_exists"),
        ),
        (
            "a in (b, attribute_exists(things))",
            misused("attribute_exists"),
        ),
    ];
    for (expression, expected) in rows {
        assert_eq!(
            error_of(Kind::Filter, expression, &[], &[]),
            expected,
            "{expression:?}"
        );
    }
}

#[test]
fn reserved_words_used_bare() {
    let reserved = |w: &str| {
        format!(
            "Invalid FilterExpression: Attribute name is a reserved keyword; reserved keyword: {w}"
        )
    };
    check(
        Kind::Filter,
        &[
            ("attribute_exists(views, #a)", &reserved("views")),
            (":a < abOrT", &reserved("abOrT")),
            ("a.size = b", &reserved("size")),
        ],
    );
    let update = |w: &str| {
        format!(
            "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: {w}"
        )
    };
    let names = [("#a", "a"), ("#b", "b")];
    let values = [(":a", s("a")), (":b", s("a"))];
    for (expression, word) in [
        (" set #c = :c set abOrt = true ", "abOrt"),
        (" remove Absolute ", "Absolute"),
    ] {
        assert_eq!(
            error_of(Kind::Update, expression, &names, &values),
            update(word)
        );
    }
    // Function names are not attribute names.
    let ok = params(
        Kind::Filter,
        "size(x) > x",
        &BTreeMap::new(),
        &BTreeMap::new(),
    )
    .parse();
    assert!(ok.is_ok());
}

#[test]
fn undefined_placeholders() {
    let name = |n: &str| {
        format!(
            "Invalid FilterExpression: An expression attribute name used in the document path is not defined; attribute name: {n}"
        )
    };
    let value = |v: &str| {
        format!(
            "Invalid FilterExpression: An expression attribute value used in expression is not defined; attribute value: {v}"
        )
    };
    let rows = [
        (
            "attribute_exists(#Pictures.RearView, :a) and a=a",
            name("#Pictures"),
        ),
        ("begins_with(Pictures.#RearView)", name("#RearView")),
        (
            "(#P between :lo and :hi) and (#PC in (:cat1, :cat2))",
            name("#P"),
        ),
        ("#4g > a", name("#4g")),
        ("#_ > a", name("#_")),
        ("(a)between(b.c[45].#d)and(:a)", name("#d")),
        ("begins_with(:hello, #a, #b)", value(":hello")),
        (":a < :b", value(":a")),
        (":_ > a", value(":_")),
    ];
    for (expression, expected) in rows {
        assert_eq!(
            error_of(Kind::Filter, expression, &[], &[]),
            expected,
            "{expression:?}"
        );
    }
}

#[test]
fn operand_counts_and_types() {
    let count = |f: &str, c: usize| {
        format!(
            "Invalid FilterExpression: Incorrect number of operands for operator or function; operator or function: {f}, number of operands: {c}"
        )
    };
    for (expression, expected) in [
        (
            "attribute_exists(things, a) and a=a",
            count("attribute_exists", 2),
        ),
        (
            "attribute_not_exists(things, b)",
            count("attribute_not_exists", 2),
        ),
        ("attribute_type(things)", count("attribute_type", 1)),
        ("begins_with(things)", count("begins_with", 1)),
        ("begins_with(things, size(a), b)", count("begins_with", 3)),
        ("contains(things)", count("contains", 1)),
        ("size(things, a) > b", count("size", 2)),
    ] {
        assert_eq!(
            error_of(Kind::Filter, expression, &[], &[]),
            expected,
            "{expression:?}"
        );
    }
    let wrong = |f: &str, t: &str| {
        format!(
            "Invalid FilterExpression: Incorrect operand type for operator or function; operator or function: {f}, operand type: {t}"
        )
    };
    let all_types = [
        n("1"),
        AttributeValue::B(b"a".to_vec()),
        AttributeValue::Bool(true),
        AttributeValue::Null,
        AttributeValue::L(vec![]),
        AttributeValue::M(BTreeMap::new()),
        AttributeValue::Ss(vec!["1".into()]),
        AttributeValue::Ns(vec![Number::from(1i64)]),
        AttributeValue::Bs(vec![b"a".to_vec()]),
    ];
    for value in &all_types {
        let t = value.type_name();
        let values = [(":a", value.clone())];
        assert_eq!(
            error_of(Kind::Filter, "attribute_type(a, :a)", &[], &values),
            wrong("attribute_type", t)
        );
        if t != "B" {
            for expression in ["begins_with(a, :a)", "begins_with(:a, a)"] {
                assert_eq!(
                    error_of(Kind::Filter, expression, &[], &values),
                    wrong("begins_with", t)
                );
            }
        }
    }
    // Only strings, numbers and binaries have an order: another type of value in the request
    // is an error for an ordering comparison, in every kind of expression.
    for value in &all_types[2..] {
        let t = value.type_name();
        let values = [(":a", value.clone())];
        for (expression, operator) in [
            ("a < :a", "<"),
            (":a <= a", "<="),
            ("a > :a", ">"),
            ("a >= :a", ">="),
            ("a BETWEEN :a AND b", "BETWEEN"),
        ] {
            assert_eq!(
                error_of(Kind::Filter, expression, &[], &values),
                wrong(operator, t),
                "{expression:?}"
            );
        }
    }
    let number = [(":a", n("1"))];
    for (expression, expected) in [
        (
            "attribute_type(a, size(a)) and a=a and a=:a",
            wrong("attribute_type", "N"),
        ),
        (
            "begins_with(a, size(a)) and a=:a",
            wrong("begins_with", "N"),
        ),
        ("size(size(a)) > :a", wrong("size", "N")),
        ("attribute_not_exists(size(:a))", wrong("size", "N")),
    ] {
        assert_eq!(
            error_of(Kind::Filter, expression, &[], &number),
            expected,
            "{expression:?}"
        );
    }
    for value in [AttributeValue::Bool(true), AttributeValue::Null] {
        let t = value.type_name();
        assert_eq!(
            error_of(Kind::Filter, "size(:a) > a", &[], &[(":a", value)]),
            wrong("size", t)
        );
    }
    assert_eq!(
        error_of(Kind::Filter, "attribute_type(a, b)", &[], &[]),
        wrong("attribute_type", "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}")
    );
    assert_eq!(
        error_of(
            Kind::Filter,
            "attribute_type(a, :a)",
            &[],
            &[(":a", s("1"))]
        ),
        "Invalid FilterExpression: Invalid attribute type name found; type: 1, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}"
    );
    let path_required = |f: &str| {
        format!(
            "Invalid FilterExpression: Operator or function requires a document path; operator or function: {f}"
        )
    };
    let string = [(":a", s("1"))];
    assert_eq!(
        error_of(Kind::Filter, "attribute_exists(:a) and a=a", &[], &string),
        path_required("attribute_exists")
    );
    assert_eq!(
        error_of(Kind::Filter, "attribute_not_exists(size(:a))", &[], &string),
        path_required("attribute_not_exists")
    );
}

#[test]
fn operands_must_be_distinct() {
    let e = |op: &str, path: &str| {
        format!(
            "Invalid FilterExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: {op}, first operand: {path}"
        )
    };
    let names = [("#a", "a")];
    for (expression, expected) in [
        ("a = a AND #a = b AND :views > a", e("=", "[a]")),
        ("#a <> a", e("<>", "[a]")),
        ("a > #a", e(">", "[a]")),
        ("((a=a) OR (a=a))", e("=", "[a]")),
        ("((a=a) AND (a=a))", e("=", "[a]")),
        (
            "contains(ab.bc[1].a, ab.bc[1].#a)",
            e("contains", "[ab, bc, [1], a]"),
        ),
        (
            "attribute_type(ab.bc[1].#a, ab.bc[1].a)",
            e("attribute_type", "[ab, bc, [1], a]"),
        ),
        (
            "begins_with(ab.bc[1].a, ab.bc[1].#a)",
            e("begins_with", "[ab, bc, [1], a]"),
        ),
    ] {
        assert_eq!(
            error_of(Kind::Filter, expression, &names, &[]),
            expected,
            "{expression:?}"
        );
    }
    // Two values may be the same.
    let values: AttributeValues = [(":a".to_string(), s("x"))].into();
    assert!(
        params(Kind::Filter, ":a > :a", &BTreeMap::new(), &values)
            .parse()
            .is_ok()
    );
}

#[test]
fn between_bounds() {
    let values = [(":a", s("a")), (":b", n("1"))];
    assert_eq!(
        error_of(Kind::Condition, "a between :b and :a", &[], &values),
        "Invalid ConditionExpression: The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:a}"
    );
    let values = [(":a", s("a")), (":b", s("b"))];
    assert_eq!(
        error_of(Kind::Key, "a between :b and :a", &[], &values),
        "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {S:b}, upper bound operand: AttributeValue: {S:a}"
    );
    let numbers = [(":lo", n("10")), (":hi", n("9.5"))];
    assert!(
        error_of(Kind::Filter, "a between :lo and :hi", &[], &numbers)
            .contains("upper bound to be greater")
    );
}

#[test]
fn errors_are_ranked_like_dynamodb() {
    // Condition grammars: unknown function > misused function > reserved word > the first
    // faulty clause; within a clause: undefined placeholder > operand count > distinct > type.
    let rows: [(&str, &str); 5] = [
        (
            "attribute_exists(views) AND nope(a)",
            "Invalid function name; function: nope",
        ),
        (
            "views = a AND attribute_exists(a) = b",
            "The function is not allowed to be used this way in an expression; function: attribute_exists",
        ),
        (
            "a = a AND views = :nope",
            "Attribute name is a reserved keyword; reserved keyword: views",
        ),
        (
            "a = a AND b = :nope",
            "The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [a]",
        ),
        (
            "begins_with(a, b, c) AND :nope = a",
            "Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 3",
        ),
    ];
    for (expression, expected) in rows {
        assert_eq!(
            error_of(Kind::Filter, expression, &[], &[]),
            format!("Invalid FilterExpression: {expected}"),
            "{expression:?}"
        );
    }
}

#[test]
fn paths_nest_at_most_32_levels() {
    let deepest = format!("a{}", ".b".repeat(31));
    assert!(
        params(
            Kind::Projection,
            &deepest,
            &AttributeNames::new(),
            &AttributeValues::new()
        )
        .parse()
        .is_ok()
    );
    let too_deep = |kind: &str| {
        format!("Invalid {kind}: The document path has too many nesting levels; nesting levels: 33")
    };
    assert_eq!(
        error_of(Kind::Projection, &format!("a{}", ".b".repeat(32)), &[], &[]),
        too_deep("ProjectionExpression")
    );
    assert_eq!(
        error_of(
            Kind::Projection,
            &format!("a{}", "[0]".repeat(32)),
            &[],
            &[]
        ),
        too_deep("ProjectionExpression")
    );
    assert_eq!(
        error_of(
            Kind::Filter,
            &format!("attribute_exists(a{})", ".b".repeat(32)),
            &[],
            &[]
        ),
        too_deep("FilterExpression")
    );
}

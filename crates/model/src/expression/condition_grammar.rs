//! The grammar of condition, filter and key-condition expressions, and the checks DynamoDB
//! makes on their functions and operands before evaluating anything.
//!
//! ```text
//! condition := or
//! or        := and (OR and)*
//! and       := not (AND not)*
//! not       := NOT not | primary
//! primary   := '(' condition ')' | function
//!            | operand comparator operand
//!            | operand BETWEEN operand AND operand
//!            | operand IN '(' operand (',' operand)* ')'
//! operand   := path | :value | function | '(' operand ')'
//! ```
//!
//! A `(` at the start of a primary may open a condition (`(a = b) OR c = d`) or an operand
//! (`(a) = b`, `(size(a)) > :n`); the parser reads what is inside and lets the token after the
//! `)` decide. Wrapping something that is already parenthesized again is an error.

use crate::AttributeValue;

use crate::value::ValueType;

use super::ast::{Comparator, Condition, Operand, is_ordered};
use super::error::{ExpressionKind, Problem};
use super::lexer::{Keyword, TokenKind};
use super::parser::{
    CONDITION_RANKING, Call, Category, ClauseProblem, IN_OPERANDS_MAX, ParseResult, Parser,
    RawOperand, value_type,
};
use super::path::DocumentPath;
use super::placeholders::Placeholders;

/// Parses a condition (`kind` is `Condition`, `Filter` or `KeyCondition`).
pub(crate) fn parse_condition(
    source: &str,
    kind: ExpressionKind,
    placeholders: &mut Placeholders<'_>,
) -> ParseResult<Condition> {
    debug_assert!(matches!(
        kind,
        ExpressionKind::Condition | ExpressionKind::Filter | ExpressionKind::KeyCondition
    ));
    let mut parser = Parser::new(source, kind, placeholders)?;
    let term = or(&mut parser, false)?;
    let condition = into_condition(&mut parser, term)?;
    parser.finish(condition, &CONDITION_RANKING)
}

/// What a (possibly parenthesized) piece of a condition turned out to be.
enum Term {
    Condition(Condition),
    Operand(RawOperand),
    /// A call whose role (a condition, or an operand of a comparison) the next token decides.
    Call(Call),
}

struct Grouped {
    term: Term,
    parenthesized: bool,
}

impl Grouped {
    fn plain(term: Term) -> Grouped {
        Grouped {
            term,
            parenthesized: false,
        }
    }
}

/// `and (OR and)*`. With `allow_operand`, a lone operand or call may come back to the enclosing
/// parentheses undecided.
fn or(parser: &mut Parser<'_, '_, '_>, allow_operand: bool) -> ParseResult<Grouped> {
    let first = and(parser, allow_operand)?;
    if matches!(first.term, Term::Operand(_)) || !parser.at_keyword(Keyword::Or) {
        return Ok(first);
    }
    let mut condition = into_condition(parser, first)?;
    while parser.eat(TokenKind::Keyword(Keyword::Or)) {
        let next = and(parser, false)?;
        let right = into_condition(parser, next)?;
        condition = Condition::Or(Box::new(condition), Box::new(right));
    }
    Ok(Grouped::plain(Term::Condition(condition)))
}

/// `not (AND not)*`.
fn and(parser: &mut Parser<'_, '_, '_>, allow_operand: bool) -> ParseResult<Grouped> {
    let first = not(parser, allow_operand)?;
    if matches!(first.term, Term::Operand(_)) || !parser.at_keyword(Keyword::And) {
        return Ok(first);
    }
    let mut condition = into_condition(parser, first)?;
    while parser.eat(TokenKind::Keyword(Keyword::And)) {
        let next = not(parser, false)?;
        let right = into_condition(parser, next)?;
        condition = Condition::And(Box::new(condition), Box::new(right));
    }
    Ok(Grouped::plain(Term::Condition(condition)))
}

/// `NOT not | primary`.
fn not(parser: &mut Parser<'_, '_, '_>, allow_operand: bool) -> ParseResult<Grouped> {
    if !parser.eat(TokenKind::Keyword(Keyword::Not)) {
        return primary(parser, allow_operand);
    }
    // No nesting check: a chain of NOTs is bounded by the operator limit.
    let inner = not(parser, false)?;
    let inner = into_condition(parser, inner)?;
    Ok(Grouped::plain(Term::Condition(Condition::Not(Box::new(
        inner,
    )))))
}

fn primary(parser: &mut Parser<'_, '_, '_>, allow_operand: bool) -> ParseResult<Grouped> {
    let left = if parser.at(TokenKind::LParen) {
        group(parser)?
    } else {
        match parser.bare_operand()? {
            RawOperand::Call(call) => Grouped::plain(Term::Call(call)),
            operand => Grouped::plain(Term::Operand(operand)),
        }
    };
    let operand = match left.term {
        Term::Condition(_) => return Ok(left),
        Term::Operand(operand) => operand,
        Term::Call(call) => {
            if !starts_clause(parser.peek()) {
                if allow_operand {
                    return Ok(Grouped {
                        term: Term::Call(call),
                        parenthesized: left.parenthesized,
                    });
                }
                let condition = function_condition(parser, call);
                return Ok(Grouped {
                    term: Term::Condition(condition),
                    parenthesized: left.parenthesized,
                });
            }
            RawOperand::Call(call)
        }
    };
    if !starts_clause(parser.peek()) {
        if allow_operand {
            return Ok(Grouped {
                term: Term::Operand(operand),
                parenthesized: left.parenthesized,
            });
        }
        return Err(parser.syntax_error());
    }
    let condition = clause(parser, operand)?;
    Ok(Grouped::plain(Term::Condition(condition)))
}

/// `'(' condition-or-operand ')'`.
fn group(parser: &mut Parser<'_, '_, '_>) -> ParseResult<Grouped> {
    parser.expect(TokenKind::LParen)?;
    parser.enter()?;
    let inner = or(parser, true)?;
    parser.expect(TokenKind::RParen)?;
    parser.leave();
    if inner.parenthesized {
        return Err(parser.redundant_parentheses());
    }
    Ok(Grouped {
        term: inner.term,
        parenthesized: true,
    })
}

fn starts_clause(kind: TokenKind) -> bool {
    comparator(kind).is_some()
        || kind == TokenKind::Keyword(Keyword::Between)
        || kind == TokenKind::Keyword(Keyword::In)
}

fn comparator(kind: TokenKind) -> Option<Comparator> {
    Some(match kind {
        TokenKind::Eq => Comparator::Eq,
        TokenKind::Ne => Comparator::Ne,
        TokenKind::Lt => Comparator::Lt,
        TokenKind::Le => Comparator::Le,
        TokenKind::Gt => Comparator::Gt,
        TokenKind::Ge => Comparator::Ge,
        _ => return None,
    })
}

/// A comparison, `BETWEEN` or `IN` whose left operand has been read.
fn clause(parser: &mut Parser<'_, '_, '_>, left: RawOperand) -> ParseResult<Condition> {
    let condition = if let Some(op) = comparator(parser.peek()) {
        parser.advance();
        let right = parser.operand()?;
        let args = [checked(parser, left), checked(parser, right)];
        report_misused(parser, &args);
        report_not_distinct(parser, op.symbol(), &args);
        if !matches!(op, Comparator::Eq | Comparator::Ne) {
            report_unordered(parser, op.symbol(), &args);
        }
        let [left, right] = args;
        Condition::Compare(op, left.operand, right.operand)
    } else if parser.eat(TokenKind::Keyword(Keyword::Between)) {
        let low = parser.operand()?;
        parser.expect(TokenKind::Keyword(Keyword::And))?;
        let high = parser.operand()?;
        let args = [
            checked(parser, left),
            checked(parser, low),
            checked(parser, high),
        ];
        report_misused(parser, &args);
        report_unordered(parser, "BETWEEN", &args);
        report_bad_bounds(parser, &args[1], &args[2]);
        let [value, low, high] = args;
        Condition::Between(value.operand, low.operand, high.operand)
    } else {
        parser.expect(TokenKind::Keyword(Keyword::In))?;
        parser.expect(TokenKind::LParen)?;
        let mut raw = vec![parser.operand()?];
        while parser.eat(TokenKind::Comma) {
            raw.push(parser.operand()?);
        }
        parser.expect(TokenKind::RParen)?;
        let value = checked(parser, left);
        let candidates: Vec<Arg> = raw.into_iter().map(|r| checked(parser, r)).collect();
        report_misused(parser, std::slice::from_ref(&value));
        report_misused(parser, &candidates);
        if candidates.len() > IN_OPERANDS_MAX {
            parser.report_in_clause(
                ClauseProblem::OperandCount,
                Problem::TooManyInOperands {
                    count: candidates.len(),
                },
            );
        }
        Condition::In(
            value.operand,
            candidates.into_iter().map(|c| c.operand).collect(),
        )
    };
    parser.end_clause();
    Ok(condition)
}

/// The condition a bare term stands for; a lone call is a function condition.
fn into_condition(parser: &mut Parser<'_, '_, '_>, grouped: Grouped) -> ParseResult<Condition> {
    match grouped.term {
        Term::Condition(condition) => Ok(condition),
        Term::Call(call) => Ok(function_condition(parser, call)),
        Term::Operand(_) => Err(parser.syntax_error()),
    }
}

/// An operand after its function checks, with what is known about it statically.
struct Arg {
    operand: Operand,
    /// A value placeholder's type, or the type a function returns.
    static_type: Option<ValueType>,
    /// The function's name, if the operand is a call.
    function: Option<String>,
}

impl Arg {
    /// The path, if the operand is a plain document path.
    fn path(&self) -> Option<&DocumentPath> {
        match &self.operand {
            Operand::Path(path) => Some(path),
            _ => None,
        }
    }

    /// The value, if the operand is a plain value placeholder.
    fn value(&self) -> Option<&AttributeValue> {
        match (&self.operand, &self.function) {
            (Operand::Value(value), None) if self.static_type.is_some() => Some(value),
            _ => None,
        }
    }
}

/// Converts a parsed operand, checking any call in it (innermost first, as DynamoDB does).
fn checked(parser: &mut Parser<'_, '_, '_>, raw: RawOperand) -> Arg {
    match raw {
        RawOperand::Path(path) => Arg {
            operand: Operand::Path(path),
            static_type: None,
            function: None,
        },
        RawOperand::Value(value) => Arg {
            static_type: value_type(&value),
            operand: Operand::Value(value.unwrap_or(AttributeValue::Null)),
            function: None,
        },
        RawOperand::Call(call) => {
            let args: Vec<Arg> = call.args.into_iter().map(|a| checked(parser, a)).collect();
            report_misused(parser, &args);
            let static_type = check_function(parser, &call.name, &args);
            let operand = match (call.name.as_str(), <[Arg; 1]>::try_from(args)) {
                ("size", Ok([arg])) => Operand::Size(Box::new(arg.operand)),
                // Any other call used as an operand has been reported (as misused or unknown,
                // or with the wrong operand count); this placeholder is never evaluated.
                _ => Operand::Value(AttributeValue::Null),
            };
            Arg {
                operand,
                static_type,
                function: Some(call.name),
            }
        }
    }
}

/// A call used as a condition.
fn function_condition(parser: &mut Parser<'_, '_, '_>, call: Call) -> Condition {
    let mut args: Vec<Arg> = call.args.into_iter().map(|a| checked(parser, a)).collect();
    report_misused(parser, &args);
    check_function(parser, &call.name, &args);
    if call.name == "size" {
        parser.report(
            Category::MisusedFunction,
            Problem::MisusedFunction {
                name: call.name.clone(),
            },
        );
    }
    parser.end_clause();
    // Every mismatch below has been reported; the placeholder condition is never evaluated.
    let invalid = || Condition::AttributeExists(DocumentPath::attribute(""));
    if args.len() > 2 {
        return invalid();
    }
    let second = if args.len() == 2 { args.pop() } else { None };
    let Some(first) = args.pop() else {
        return invalid();
    };
    match (call.name.as_str(), first.operand, second) {
        ("attribute_exists", Operand::Path(path), None) => Condition::AttributeExists(path),
        ("attribute_not_exists", Operand::Path(path), None) => Condition::AttributeNotExists(path),
        ("attribute_type", operand, Some(type_arg)) => {
            match type_arg
                .value()
                .and_then(type_name)
                .and_then(ValueType::from_name)
            {
                Some(value_type) => Condition::AttributeType(operand, value_type),
                None => invalid(),
            }
        }
        ("begins_with", operand, Some(prefix)) => Condition::BeginsWith(operand, prefix.operand),
        ("contains", operand, Some(element)) => Condition::Contains(operand, element.operand),
        _ => invalid(),
    }
}

fn type_name(value: &AttributeValue) -> Option<&str> {
    match value {
        AttributeValue::S(name) => Some(name),
        _ => None,
    }
}

/// Reports the first argument that is a call to a function other than `size`: only `size`
/// produces a value another function or comparison can use.
fn report_misused(parser: &mut Parser<'_, '_, '_>, args: &[Arg]) {
    if let Some(name) = args
        .iter()
        .filter_map(|a| a.function.as_deref())
        .find(|&name| name != "size")
    {
        parser.report(
            Category::MisusedFunction,
            Problem::MisusedFunction {
                name: name.to_string(),
            },
        );
    }
}

/// Checks a call's name, operand count, operands and operand types; returns the type it
/// produces, if known.
fn check_function(parser: &mut Parser<'_, '_, '_>, name: &str, args: &[Arg]) -> Option<ValueType> {
    let arity = match name {
        "attribute_exists" | "attribute_not_exists" | "size" => 1,
        "attribute_type" | "begins_with" | "contains" => 2,
        // The functions of update expressions are known, but not allowed here.
        "if_not_exists" | "list_append" => {
            parser.report(
                Category::UnknownFunction,
                Problem::UpdateFunctionInCondition {
                    name: name.to_string(),
                },
            );
            return None;
        }
        _ => {
            parser.report(
                Category::UnknownFunction,
                Problem::UnknownFunction {
                    name: name.to_string(),
                },
            );
            return None;
        }
    };
    if args.len() != arity {
        parser.report_in_clause(
            ClauseProblem::OperandCount,
            Problem::OperandCount {
                function: name.to_string(),
                count: args.len(),
            },
        );
        return None;
    }
    report_not_distinct(parser, name, args);
    let wrong_type = |operand_type: String| Problem::OperandType {
        function: name.to_string(),
        operand_type,
    };
    match name {
        "attribute_exists" | "attribute_not_exists" => {
            if args[0].path().is_none() {
                parser.report_in_clause(
                    ClauseProblem::Type,
                    Problem::PathRequired {
                        function: name.to_string(),
                    },
                );
            }
            None
        }
        "begins_with" => {
            let bad = args
                .iter()
                .filter_map(|a| a.static_type)
                .find(|t| !matches!(t, ValueType::S | ValueType::B));
            if let Some(bad) = bad {
                parser.report_in_clause(ClauseProblem::Type, wrong_type(bad.name().to_string()));
            }
            Some(ValueType::Bool)
        }
        "attribute_type" => {
            match (args[1].static_type, args[1].value()) {
                (Some(ValueType::S), Some(AttributeValue::S(code)))
                    if ValueType::from_name(code).is_none() =>
                {
                    parser.report_in_clause(
                        ClauseProblem::Type,
                        Problem::UnknownTypeName { name: code.clone() },
                    );
                }
                (Some(ValueType::S), _) => {}
                (Some(other), _) => {
                    parser.report_in_clause(ClauseProblem::Type, wrong_type(other.name().into()))
                }
                // A path could hold any type; DynamoDB lists them all.
                (None, _) => parser.report_in_clause(
                    ClauseProblem::Type,
                    wrong_type("{NS,SS,L,BS,N,M,B,BOOL,NULL,S}".into()),
                ),
            }
            Some(ValueType::Bool)
        }
        "size" => {
            if let Some(bad @ (ValueType::N | ValueType::Bool | ValueType::Null)) =
                args[0].static_type
            {
                parser.report_in_clause(ClauseProblem::Type, wrong_type(bad.name().to_string()));
            }
            Some(ValueType::N)
        }
        _ => Some(ValueType::Bool),
    }
}

/// A comparison or two-operand function whose operands are the same document path.
fn report_not_distinct(parser: &mut Parser<'_, '_, '_>, operator: &str, args: &[Arg]) {
    if let [first, second] = args
        && let (Some(a), Some(b)) = (first.path(), second.path())
        && a == b
    {
        parser.report_in_clause(
            ClauseProblem::Distinct,
            Problem::NotDistinct {
                operator: operator.to_string(),
                path: a.to_string(),
            },
        );
    }
}

/// An ordering comparison (or `BETWEEN`) with a value of a type that has no order (a list, a
/// map, a set, a boolean or null). Such a value in the request is an error in any expression,
/// not a comparison that is false; a value of such a type read from the item only makes the
/// comparison false.
fn report_unordered(parser: &mut Parser<'_, '_, '_>, operator: &str, args: &[Arg]) {
    if let Some(bad) = args
        .iter()
        .filter_map(|a| a.static_type)
        .find(|t| !is_ordered(*t))
    {
        parser.report_in_clause(
            ClauseProblem::Type,
            Problem::OperandType {
                function: operator.to_string(),
                operand_type: bad.name().to_string(),
            },
        );
    }
}

/// `BETWEEN` bounds that are both values must have one type and be in order.
fn report_bad_bounds(parser: &mut Parser<'_, '_, '_>, low: &Arg, high: &Arg) {
    let (Some(low), Some(high)) = (low.value(), high.value()) else {
        return;
    };
    let problem = if low.value_type() != high.value_type() {
        Problem::BetweenTypes {
            low: render(low),
            high: render(high),
        }
    } else if super::eval::compare_ordered(low, high) == Some(std::cmp::Ordering::Greater) {
        Problem::BetweenOrder {
            low: render(low),
            high: render(high),
        }
    } else {
        return;
    };
    parser.report_in_clause(ClauseProblem::Type, problem);
}

/// A value as DynamoDB prints it in `BETWEEN` messages: `{N:1}`, `{S:a}`.
fn render(value: &AttributeValue) -> String {
    let mut out = String::new();
    render_into(value, &mut out);
    out
}

fn render_into(value: &AttributeValue, out: &mut String) {
    use base64::Engine;
    let base64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let list = |texts: Vec<String>| format!("[{}]", texts.join(", "));
    out.push('{');
    out.push_str(value.type_name());
    out.push(':');
    match value {
        AttributeValue::S(s) => out.push_str(s),
        AttributeValue::N(n) => out.push_str(&n.to_string()),
        AttributeValue::B(b) => out.push_str(&base64(b)),
        AttributeValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        AttributeValue::Null => out.push_str("true"),
        AttributeValue::Ss(set) => out.push_str(&list(set.clone())),
        AttributeValue::Ns(set) => {
            out.push_str(&list(set.iter().map(ToString::to_string).collect()))
        }
        AttributeValue::Bs(set) => out.push_str(&list(set.iter().map(|b| base64(b)).collect())),
        AttributeValue::L(elements) => {
            out.push('[');
            for (i, element) in elements.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                render_into(element, out);
            }
            out.push(']');
        }
        AttributeValue::M(map) => {
            out.push('{');
            for (i, (key, element)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(key);
                out.push('=');
                render_into(element, out);
            }
            out.push('}');
        }
    }
    out.push('}');
}

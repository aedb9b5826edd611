//! The grammar of update expressions, and the checks DynamoDB makes on them before touching
//! an item.
//!
//! ```text
//! update     := section+
//! section    := SET set_action (',' set_action)*
//!             | REMOVE path (',' path)*
//!             | ADD path :value (',' path :value)*
//!             | DELETE path :value (',' path :value)*
//! set_action := path '=' set_value
//! set_value  := operand | arithmetic
//! arithmetic := operand ('+' | '-') operand | '(' arithmetic ')'
//! operand    := path | :value | function | '(' operand ')'
//! ```
//!
//! Each section keyword may appear once; the paths the actions write may neither overlap nor
//! conflict.

use crate::AttributeValue;
use crate::value::ValueType;

use super::ast::{SetOperand, SetValue, UpdateAction, long_type_name};
use super::error::{ExpressionKind, Problem};
use super::lexer::{Keyword, TokenKind};
use super::parser::{
    Call, Category, ParseResult, Parser, PathSet, RawOperand, UPDATE_RANKING, value_type,
};
use super::placeholders::Placeholders;

/// Parses an update expression into its actions, in the order written.
pub(crate) fn parse_update(
    source: &str,
    placeholders: &mut Placeholders<'_>,
) -> ParseResult<Vec<UpdateAction>> {
    let mut parser = Parser::new(source, ExpressionKind::Update, placeholders)?;
    let mut actions = Vec::new();
    let mut targets = PathSet::default();
    let mut seen: Vec<Keyword> = Vec::with_capacity(4);
    loop {
        let keyword = match parser.peek() {
            TokenKind::Keyword(
                keyword @ (Keyword::Set | Keyword::Remove | Keyword::Add | Keyword::Delete),
            ) => keyword,
            _ => return Err(parser.syntax_error()),
        };
        parser.advance();
        loop {
            let action = action(&mut parser, keyword)?;
            targets.add(&mut parser, action.path());
            actions.push(action);
            if !parser.eat(TokenKind::Comma) {
                break;
            }
        }
        if seen.contains(&keyword) {
            parser.report(
                Category::Section,
                Problem::DuplicateSection {
                    section: section_name(keyword),
                },
            );
        }
        seen.push(keyword);
        if parser.at(TokenKind::Eof) {
            break;
        }
    }
    parser.finish(actions, &UPDATE_RANKING)
}

fn section_name(keyword: Keyword) -> &'static str {
    match keyword {
        Keyword::Set => "SET",
        Keyword::Remove => "REMOVE",
        Keyword::Add => "ADD",
        _ => "DELETE",
    }
}

/// One action of the section `keyword` opened.
fn action(parser: &mut Parser<'_, '_, '_>, keyword: Keyword) -> ParseResult<UpdateAction> {
    let path = parser.path()?;
    match keyword {
        Keyword::Set => {
            parser.expect(TokenKind::Eq)?;
            let (value, _) = set_value(parser)?;
            Ok(UpdateAction::Set(path, value))
        }
        Keyword::Remove => Ok(UpdateAction::Remove(path)),
        _ => {
            let value = parser.value()?;
            let operator = section_name(keyword);
            if let Some(value) = &value {
                let value_type = value.value_type();
                let allowed = matches!(value_type, ValueType::Ss | ValueType::Ns | ValueType::Bs)
                    || (keyword == Keyword::Add && value_type == ValueType::N);
                if !allowed {
                    parser.report(
                        Category::ActionOperand,
                        Problem::ActionOperandType {
                            operator,
                            operand_type: long_type_name(value_type),
                        },
                    );
                }
            }
            // An undefined value has been reported; the placeholder is never applied.
            let value = value.unwrap_or(AttributeValue::Null);
            Ok(if keyword == Keyword::Add {
                UpdateAction::Add(path, value)
            } else {
                UpdateAction::Delete(path, value)
            })
        }
    }
}

/// The right-hand side of `SET path =`, and whether it was in parentheses.
fn set_value(parser: &mut Parser<'_, '_, '_>) -> ParseResult<(SetValue, bool)> {
    if parser.eat(TokenKind::LParen) {
        parser.enter()?;
        let (inner, parenthesized) = set_value(parser)?;
        parser.expect(TokenKind::RParen)?;
        parser.leave();
        if parenthesized {
            return Err(parser.redundant_parentheses());
        }
        // `(a) + b`: a parenthesized operand may still be the left side of an arithmetic.
        return match inner {
            SetValue::Operand(left) if at_arithmetic(parser) => {
                Ok((arithmetic(parser, Arg::plain(left))?, false))
            }
            inner => Ok((inner, true)),
        };
    }
    let raw = parser.bare_operand()?;
    let left = checked(parser, raw);
    if at_arithmetic(parser) {
        return Ok((arithmetic(parser, left)?, false));
    }
    Ok((SetValue::Operand(left.operand), false))
}

fn at_arithmetic(parser: &Parser<'_, '_, '_>) -> bool {
    parser.at(TokenKind::Plus) || parser.at(TokenKind::Minus)
}

/// `left ('+' | '-') operand`, with the current token the operator.
fn arithmetic(parser: &mut Parser<'_, '_, '_>, left: Arg) -> ParseResult<SetValue> {
    let plus = parser.at(TokenKind::Plus);
    parser.advance();
    let raw = parser.operand()?;
    let right = checked(parser, raw);
    let symbol = if plus { "+" } else { "-" };
    report_wrong_values(parser, symbol, &[&left, &right], ValueType::N);
    Ok(if plus {
        SetValue::Plus(left.operand, right.operand)
    } else {
        SetValue::Minus(left.operand, right.operand)
    })
}

/// An operand after its function checks.
struct Arg {
    operand: SetOperand,
    /// The value's type, if the operand is a value placeholder (DynamoDB checks operand types
    /// statically only for those).
    value_type: Option<ValueType>,
}

impl Arg {
    fn plain(operand: SetOperand) -> Arg {
        let value_type = match &operand {
            SetOperand::Value(value) => Some(value.value_type()),
            _ => None,
        };
        Arg {
            operand,
            value_type,
        }
    }
}

/// Converts a parsed operand, checking any call in it (innermost first).
fn checked(parser: &mut Parser<'_, '_, '_>, raw: RawOperand) -> Arg {
    match raw {
        RawOperand::Path(path) => Arg {
            operand: SetOperand::Path(path),
            value_type: None,
        },
        RawOperand::Value(value) => Arg {
            value_type: value_type(&value),
            // An undefined value has been reported; the placeholder is never applied.
            operand: SetOperand::Value(value.unwrap_or(AttributeValue::Null)),
        },
        RawOperand::Call(call) => Arg {
            operand: function(parser, call),
            value_type: None,
        },
    }
}

/// `if_not_exists(path, operand)` or `list_append(operand, operand)`.
fn function(parser: &mut Parser<'_, '_, '_>, call: Call) -> SetOperand {
    let args: Vec<Arg> = call.args.into_iter().map(|a| checked(parser, a)).collect();
    // Every mismatch below has been reported; the placeholder is never applied.
    let invalid = SetOperand::Value(AttributeValue::Null);
    if !matches!(call.name.as_str(), "if_not_exists" | "list_append") {
        // The functions of conditions are known, but not allowed here.
        let problem = match call.name.as_str() {
            "attribute_exists"
            | "attribute_not_exists"
            | "attribute_type"
            | "begins_with"
            | "contains"
            | "size" => Problem::ConditionFunctionInUpdate { name: call.name },
            _ => Problem::UnknownFunction { name: call.name },
        };
        parser.report(Category::UnknownFunction, problem);
        return invalid;
    }
    let count = args.len();
    let Ok([first, second]) = <[Arg; 2]>::try_from(args) else {
        parser.report(
            Category::Function,
            Problem::OperandCount {
                function: call.name,
                count,
            },
        );
        return invalid;
    };
    if call.name == "list_append" {
        report_wrong_values(parser, "list_append", &[&first, &second], ValueType::L);
        return SetOperand::ListAppend(Box::new(first.operand), Box::new(second.operand));
    }
    match first.operand {
        SetOperand::Path(path) => SetOperand::IfNotExists(path, Box::new(second.operand)),
        _ => {
            parser.report(
                Category::Function,
                Problem::PathRequired {
                    function: call.name,
                },
            );
            invalid
        }
    }
}

/// Reports the first value operand whose type is not `wanted`.
fn report_wrong_values(
    parser: &mut Parser<'_, '_, '_>,
    function: &str,
    args: &[&Arg],
    wanted: ValueType,
) {
    if let Some(bad) = args
        .iter()
        .filter_map(|a| a.value_type)
        .find(|&t| t != wanted)
    {
        parser.report(
            Category::Function,
            Problem::OperandType {
                function: function.to_string(),
                operand_type: bad.name().to_string(),
            },
        );
    }
}

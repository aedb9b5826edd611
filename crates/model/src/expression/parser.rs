//! The machinery shared by the three grammars: the token cursor, syntax errors, document paths,
//! operands, and the deferred diagnostics that reproduce DynamoDB's choice of which problem to
//! report.
//!
//! How DynamoDB picks the error it reports, and how this parser reproduces it:
//! - a syntax error (or redundant parentheses, which DynamoDB detects while parsing) ends the
//!   parse at once and is reported whatever else is wrong;
//! - every other problem is recorded as the parse goes, only the first of each [`Category`]
//!   kept, and the category that ranks highest for the expression's grammar is reported at the
//!   end;
//! - in condition grammars, problems local to one comparison or function ("clauses") are
//!   reported for the first faulty clause in the order written, and within a clause an
//!   undefined placeholder outranks a wrong operand count, which outranks non-distinct operands,
//!   which outrank a wrong operand type.
//!
//! The grammar rules themselves live in `condition_grammar`, `update_grammar` and here (the
//! projection grammar, a list of paths).

use crate::AttributeValue;

use super::error::{ExpressionError, ExpressionKind, Problem};
use super::lexer::{Keyword, Token, TokenKind, tokenize};
use super::path::{DocumentPath, PathElement};
use super::placeholders::Placeholders;
use super::reserved::is_reserved_word;
use crate::value::ValueType;

/// DynamoDB's limit on an expression's size, in bytes of UTF-8, counted before placeholder
/// substitution.
pub const EXPRESSION_BYTES_MAX: usize = 4096;

/// DynamoDB's limit on the operators and functions of one expression.
pub const OPERATORS_MAX: usize = 300;

/// DynamoDB's limit on the candidates of one `IN`.
pub const IN_OPERANDS_MAX: usize = 100;

/// How deep parentheses may nest before the parser gives up. Every nesting level that is not
/// redundant needs an operator, and the operator limit applies before parsing, so an expression
/// nested deeper than this has redundant parentheses; the bound also keeps the recursive
/// descent's stack use small.
const NESTING_MAX: usize = 256;

/// The most elements a document path may have: one per level a value can nest to.
const MAX_PATH_ELEMENTS: usize = crate::value::MAX_NESTING_LEVEL as usize;

/// A kind of deferred problem; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Category {
    UnknownFunction,
    MisusedFunction,
    Reserved,
    /// The first faulty clause of a condition.
    Clause,
    Section,
    UndefinedName,
    UndefinedValue,
    Overlap,
    Conflict,
    ActionOperand,
    Function,
}

/// Problems local to one clause of a condition, by rank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClauseProblem {
    Undefined = 0,
    OperandCount = 1,
    Distinct = 2,
    Type = 3,
}

/// The problems found so far, first of each category.
#[derive(Debug, Default)]
struct Diagnostics {
    found: Vec<(Category, Problem)>,
    clause: [Option<Problem>; 4],
}

impl Diagnostics {
    fn report(&mut self, category: Category, problem: Problem) {
        if !self.found.iter().any(|(c, _)| *c == category) {
            self.found.push((category, problem));
        }
    }

    fn report_in_clause(&mut self, rank: ClauseProblem, problem: Problem) {
        self.clause[rank as usize].get_or_insert(problem);
    }

    fn end_clause(&mut self) {
        let first = self.clause.iter_mut().find_map(Option::take);
        self.clause = Default::default();
        if let Some(problem) = first {
            self.report(Category::Clause, problem);
        }
    }

    fn into_problem(mut self, ranking: &[Category]) -> Option<Problem> {
        debug_assert!(
            self.clause.iter().all(Option::is_none),
            "every clause was ended"
        );
        ranking.iter().find_map(|category| {
            let index = self.found.iter().position(|(c, _)| c == category)?;
            Some(self.found.swap_remove(index).1)
        })
    }
}

/// An operand as parsed, before the function checks of its grammar.
#[derive(Debug)]
pub(crate) enum RawOperand {
    Path(DocumentPath),
    /// A value placeholder; `None` if the request does not define it (already reported).
    Value(Option<AttributeValue>),
    Call(Call),
}

/// A function call as parsed.
#[derive(Debug)]
pub(crate) struct Call {
    pub name: String,
    pub args: Vec<RawOperand>,
}

/// A recursive-descent parser over one expression's tokens.
pub(crate) struct Parser<'s, 'p, 'a> {
    source: &'s str,
    tokens: Vec<Token>,
    pos: usize,
    kind: ExpressionKind,
    placeholders: &'p mut Placeholders<'a>,
    diagnostics: Diagnostics,
    nesting: usize,
}

pub(crate) type ParseResult<T> = Result<T, ExpressionError>;

impl<'s, 'p, 'a> Parser<'s, 'p, 'a> {
    /// Checks the limits DynamoDB applies before parsing (empty, size, operator count) and
    /// tokenizes `source`.
    pub fn new(
        source: &'s str,
        kind: ExpressionKind,
        placeholders: &'p mut Placeholders<'a>,
    ) -> ParseResult<Parser<'s, 'p, 'a>> {
        if source.is_empty() {
            return Err(ExpressionError::invalid(kind, Problem::Empty));
        }
        if source.len() > EXPRESSION_BYTES_MAX {
            return Err(ExpressionError::invalid(
                kind,
                Problem::TooLong { size: source.len() },
            ));
        }
        let tokens = tokenize(source);
        let operators = count_operators(&tokens, kind);
        if operators > OPERATORS_MAX {
            return Err(ExpressionError::invalid(
                kind,
                Problem::TooManyOperators { count: operators },
            ));
        }
        Ok(Parser {
            source,
            tokens,
            pos: 0,
            kind,
            placeholders,
            diagnostics: Diagnostics::default(),
            nesting: 0,
        })
    }

    /// Ends the parse: a syntax error if input remains, else the highest-ranked deferred
    /// problem, else `value`.
    pub fn finish<T>(mut self, value: T, ranking: &[Category]) -> ParseResult<T> {
        self.expect(TokenKind::Eof)?;
        match self.diagnostics.into_problem(ranking) {
            Some(problem) => Err(ExpressionError::invalid(self.kind, problem)),
            None => Ok(value),
        }
    }

    // ---- cursor ----

    pub fn peek(&self) -> TokenKind {
        self.tokens[self.pos].kind
    }

    pub fn peek_at(&self, ahead: usize) -> TokenKind {
        self.tokens
            .get(self.pos + ahead)
            .map_or(TokenKind::Eof, |t| t.kind)
    }

    pub fn at(&self, kind: TokenKind) -> bool {
        self.peek() == kind
    }

    pub fn at_keyword(&self, keyword: Keyword) -> bool {
        self.peek() == TokenKind::Keyword(keyword)
    }

    /// The current token's text; advances past it.
    pub fn advance(&mut self) -> &'s str {
        let token = self.tokens[self.pos];
        if token.kind != TokenKind::Eof {
            self.pos += 1;
        }
        &self.source[token.start..token.end]
    }

    pub fn eat(&mut self, kind: TokenKind) -> bool {
        let found = self.at(kind);
        if found {
            self.advance();
        }
        found
    }

    pub fn expect(&mut self, kind: TokenKind) -> ParseResult<&'s str> {
        if self.at(kind) {
            Ok(self.advance())
        } else {
            Err(self.syntax_error())
        }
    }

    /// A syntax error at the current token: DynamoDB names the token and quotes the source from
    /// the start of the token before it to the end of the token after it.
    pub fn syntax_error(&self) -> ExpressionError {
        let token = self.tokens[self.pos];
        let start = match self.pos.checked_sub(1) {
            Some(previous) => self.tokens[previous].start,
            None => token.start,
        };
        let end = match self.tokens.get(self.pos + 1) {
            Some(next) if next.kind != TokenKind::Eof => next.end,
            _ => token.end,
        };
        ExpressionError::invalid(
            self.kind,
            Problem::Syntax {
                token: token.text(self.source).to_string(),
                near: self.source[start..end].to_string(),
            },
        )
    }

    /// Enters one level of parentheses (or a call's argument list).
    pub fn enter(&mut self) -> ParseResult<()> {
        self.nesting += 1;
        if self.nesting > NESTING_MAX {
            return Err(ExpressionError::invalid(
                self.kind,
                Problem::RedundantParentheses,
            ));
        }
        Ok(())
    }

    pub fn leave(&mut self) {
        self.nesting -= 1;
    }

    pub fn redundant_parentheses(&self) -> ExpressionError {
        ExpressionError::invalid(self.kind, Problem::RedundantParentheses)
    }

    // ---- diagnostics ----

    pub fn report(&mut self, category: Category, problem: Problem) {
        self.diagnostics.report(category, problem);
    }

    pub fn report_in_clause(&mut self, rank: ClauseProblem, problem: Problem) {
        self.diagnostics.report_in_clause(rank, problem);
    }

    pub fn end_clause(&mut self) {
        self.diagnostics.end_clause();
    }

    /// Condition grammars judge undefined placeholders per clause; the others globally.
    fn report_undefined(&mut self, problem: Problem, category: Category) {
        match self.kind {
            ExpressionKind::Update | ExpressionKind::Projection => self.report(category, problem),
            ExpressionKind::Condition | ExpressionKind::Filter | ExpressionKind::KeyCondition => {
                self.report_in_clause(ClauseProblem::Undefined, problem)
            }
        }
    }

    // ---- paths and operands ----

    /// `name ( '.' name | '[' index ']' )*`, where a name is a literal name (checked against
    /// the reserved words) or a `#name` placeholder.
    pub fn path(&mut self) -> ParseResult<DocumentPath> {
        let mut elements = vec![self.path_name()?];
        loop {
            if self.eat(TokenKind::Dot) {
                elements.push(self.path_name()?);
            } else if self.eat(TokenKind::LBracket) {
                let digits = self.expect(TokenKind::Index)?;
                let index = digits
                    .parse::<i32>()
                    .map_err(|_| ExpressionError::invalid(self.kind, Problem::IndexOutOfRange))?;
                self.expect(TokenKind::RBracket)?;
                let index = usize::try_from(index).expect("list index tokens are digits only");
                elements.push(PathElement::Index(index));
            } else {
                break;
            }
        }
        // Values nest at most 32 levels deep, so no longer path can name anything.
        if elements.len() > MAX_PATH_ELEMENTS {
            return Err(ExpressionError::invalid(
                self.kind,
                Problem::PathTooDeep {
                    levels: elements.len(),
                },
            ));
        }
        Ok(DocumentPath::from_elements(elements).expect("a path starts with a name"))
    }

    fn path_name(&mut self) -> ParseResult<PathElement> {
        match self.peek() {
            TokenKind::Name => {
                let word = self.advance();
                if is_reserved_word(word) {
                    self.report(
                        Category::Reserved,
                        Problem::ReservedWord {
                            word: word.to_string(),
                        },
                    );
                }
                Ok(PathElement::Attribute(word.to_string()))
            }
            TokenKind::NamePlaceholder => {
                let placeholder = self.advance();
                match self.placeholders.name(placeholder) {
                    Some(name) => Ok(PathElement::Attribute(name.to_string())),
                    None => {
                        self.report_undefined(
                            Problem::UndefinedName {
                                name: placeholder.to_string(),
                            },
                            Category::UndefinedName,
                        );
                        Ok(PathElement::Attribute(placeholder.to_string()))
                    }
                }
            }
            _ => Err(self.syntax_error()),
        }
    }

    /// A `:value` placeholder, substituted; `None` if undefined (and reported).
    pub fn value(&mut self) -> ParseResult<Option<AttributeValue>> {
        let placeholder = self.expect(TokenKind::ValuePlaceholder)?;
        match self.placeholders.value(placeholder) {
            Some(value) => Ok(Some(value.clone())),
            None => {
                self.report_undefined(
                    Problem::UndefinedValue {
                        name: placeholder.to_string(),
                    },
                    Category::UndefinedValue,
                );
                Ok(None)
            }
        }
    }

    /// Whether the current token starts a function call (`name (`).
    pub fn at_call(&self) -> bool {
        self.at(TokenKind::Name) && self.peek_at(1) == TokenKind::LParen
    }

    /// `name '(' operand (',' operand)* ')'`.
    pub fn call(&mut self) -> ParseResult<Call> {
        let name = self.expect(TokenKind::Name)?.to_string();
        self.expect(TokenKind::LParen)?;
        self.enter()?;
        let mut args = vec![self.operand()?];
        while self.eat(TokenKind::Comma) {
            args.push(self.operand()?);
        }
        self.expect(TokenKind::RParen)?;
        self.leave();
        Ok(Call { name, args })
    }

    /// An operand without parentheses around it: a call, a path or a value.
    pub fn bare_operand(&mut self) -> ParseResult<RawOperand> {
        if self.at_call() {
            return Ok(RawOperand::Call(self.call()?));
        }
        match self.peek() {
            TokenKind::Name | TokenKind::NamePlaceholder => Ok(RawOperand::Path(self.path()?)),
            TokenKind::ValuePlaceholder => Ok(RawOperand::Value(self.value()?)),
            _ => Err(self.syntax_error()),
        }
    }

    /// An operand, possibly in (non-redundant) parentheses.
    pub fn operand(&mut self) -> ParseResult<RawOperand> {
        Ok(self.operand_grouped()?.0)
    }

    /// An operand, and whether it was in parentheses.
    pub fn operand_grouped(&mut self) -> ParseResult<(RawOperand, bool)> {
        if !self.eat(TokenKind::LParen) {
            return Ok((self.bare_operand()?, false));
        }
        self.enter()?;
        let (inner, parenthesized) = self.operand_grouped()?;
        self.expect(TokenKind::RParen)?;
        self.leave();
        if parenthesized {
            return Err(self.redundant_parentheses());
        }
        Ok((inner, true))
    }
}

/// Counts the operators and functions DynamoDB limits: in conditions the comparators, `AND`,
/// `OR`, `NOT`, `BETWEEN` (whose `AND` is not a separate operator), `IN` and function calls; in
/// updates `+`, `-` and function calls (a `SET` action's `=` is not an operator).
fn count_operators(tokens: &[Token], kind: ExpressionKind) -> usize {
    let calls = tokens
        .windows(2)
        .filter(|w| w[0].kind == TokenKind::Name && w[1].kind == TokenKind::LParen)
        .count();
    let count = |wanted: &[TokenKind]| tokens.iter().filter(|t| wanted.contains(&t.kind)).count();
    match kind {
        ExpressionKind::Update => calls + count(&[TokenKind::Plus, TokenKind::Minus]),
        ExpressionKind::Projection => calls,
        ExpressionKind::Condition | ExpressionKind::Filter | ExpressionKind::KeyCondition => {
            let betweens = count(&[TokenKind::Keyword(Keyword::Between)]);
            let others = count(&[
                TokenKind::Eq,
                TokenKind::Ne,
                TokenKind::Lt,
                TokenKind::Le,
                TokenKind::Gt,
                TokenKind::Ge,
                TokenKind::Keyword(Keyword::And),
                TokenKind::Keyword(Keyword::Or),
                TokenKind::Keyword(Keyword::Not),
                TokenKind::Keyword(Keyword::Between),
                TokenKind::Keyword(Keyword::In),
            ]);
            calls + others.saturating_sub(betweens)
        }
    }
}

/// What a grammar knows statically about an operand: its value's type if it is a value
/// placeholder, or the type a function returns.
pub(crate) fn value_type(value: &Option<AttributeValue>) -> Option<ValueType> {
    value.as_ref().map(AttributeValue::value_type)
}

/// The ranking of deferred problems in condition, filter and key-condition expressions.
pub(crate) const CONDITION_RANKING: [Category; 4] = [
    Category::UnknownFunction,
    Category::MisusedFunction,
    Category::Reserved,
    Category::Clause,
];

/// The ranking of deferred problems in update expressions.
pub(crate) const UPDATE_RANKING: [Category; 9] = [
    Category::Reserved,
    Category::UnknownFunction,
    Category::Section,
    Category::UndefinedName,
    Category::UndefinedValue,
    Category::Overlap,
    Category::Conflict,
    Category::ActionOperand,
    Category::Function,
];

/// The ranking of deferred problems in projection expressions.
pub(crate) const PROJECTION_RANKING: [Category; 4] = [
    Category::Reserved,
    Category::UndefinedName,
    Category::Overlap,
    Category::Conflict,
];

/// Records the paths an update or projection writes or reads, reporting the first pair that
/// overlaps (one is a prefix of the other) or conflicts (one uses an element as a map key, the
/// other as a list index).
#[derive(Debug, Default)]
pub(crate) struct PathSet {
    paths: Vec<DocumentPath>,
}

impl PathSet {
    pub fn add(&mut self, parser: &mut Parser<'_, '_, '_>, path: &DocumentPath) {
        for earlier in &self.paths {
            let mut diverged = false;
            for (a, b) in earlier.elements().iter().zip(path.elements()) {
                let same_kind = matches!(
                    (a, b),
                    (PathElement::Attribute(_), PathElement::Attribute(_))
                        | (PathElement::Index(_), PathElement::Index(_))
                );
                if !same_kind {
                    parser.report(
                        Category::Conflict,
                        Problem::PathsConflict {
                            one: earlier.to_string(),
                            two: path.to_string(),
                        },
                    );
                    diverged = true;
                    break;
                }
                if a != b {
                    diverged = true;
                    break;
                }
            }
            if !diverged {
                parser.report(
                    Category::Overlap,
                    Problem::PathsOverlap {
                        one: earlier.to_string(),
                        two: path.to_string(),
                    },
                );
                return;
            }
        }
        self.paths.push(path.clone());
    }
}

/// Parses a projection expression: `path (',' path)*`.
pub(crate) fn parse_projection(
    source: &str,
    placeholders: &mut Placeholders<'_>,
) -> ParseResult<Vec<DocumentPath>> {
    let mut parser = Parser::new(source, ExpressionKind::Projection, placeholders)?;
    let mut paths = vec![parser.path()?];
    while parser.eat(TokenKind::Comma) {
        paths.push(parser.path()?);
    }
    let mut seen = PathSet::default();
    for path in &paths {
        seen.add(&mut parser, path);
    }
    parser.finish(paths, &PROJECTION_RANKING)
}

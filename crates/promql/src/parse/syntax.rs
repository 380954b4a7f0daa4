//! A recogniser of Prometheus 2.42's PromQL grammar (generated_parser.y)
//! that finds the first error Prometheus would report, with its position
//! and wording. It builds no tree: promql-parser does the parsing. This
//! checks every query too, refusing what promql-parser accepts and 2.42
//! does not (later versions' functions, durations without a unit), and
//! records where calls, aggregations, binary operations and selectors
//! start so that errors found after parsing (types, argument counts) can
//! be placed.
//!
//! Prometheus' yacc grammar reports a syntax error through the innermost
//! `error` production on its stack: the specific ones of grouping labels,
//! label matchers, brackets, `offset` and `@`, else "in aggregation" while
//! inside an aggregation, else a bare "unexpected …". Errors its actions
//! raise (unknown function, bad duration, …) come when their rule is
//! reduced, so before any error further right.

use super::functions::function;
use super::lex::{Aggregator, Item, Keyword, Op, Tok, go_quote, lex};
use super::literals::{check_duration, check_number, check_timestamp};

/// An error at a byte offset of the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Diagnosis {
    pub pos: usize,
    pub message: String,
}

/// Value types, as Prometheus documents them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ty {
    Scalar,
    Vector,
    Matrix,
    Str,
}

impl Ty {
    /// promql-parser's name for the type.
    pub fn parser_name(self) -> &'static str {
        match self {
            Ty::Scalar => "scalar",
            Ty::Vector => "vector",
            Ty::Matrix => "matrix",
            Ty::Str => "string",
        }
    }
}

/// A parsed operand: where it starts and its type.
#[derive(Debug, Clone, Copy)]
pub(super) struct Operand {
    pub start: usize,
    pub ty: Ty,
}

#[derive(Debug, Clone)]
pub(super) struct CallFact {
    pub name: String,
    pub pos: usize,
    pub args: Vec<Operand>,
}

#[derive(Debug, Clone)]
pub(super) struct AggregationFact {
    pub param: Option<Operand>,
    pub expr: Option<Operand>,
}

#[derive(Debug, Clone)]
pub(super) struct BinaryFact {
    pub op: Op,
    pub op_pos: usize,
    pub bool_modifier: bool,
    pub grouping: bool,
    pub lhs: Operand,
    pub rhs: Operand,
}

/// Where the constructs of a query that parses start, in the order
/// Prometheus' type checker visits them (children first).
#[derive(Debug, Default)]
pub(super) struct Facts {
    pub calls: Vec<CallFact>,
    pub aggregations: Vec<AggregationFact>,
    pub binaries: Vec<BinaryFact>,
    /// Selectors without a metric name.
    pub nameless_selectors: Vec<usize>,
    /// Unary expressions: where each starts and its operand's type.
    pub unaries: Vec<Operand>,
    /// Regular-expression matchers: the label's offset and the pattern.
    pub regex_matchers: Vec<(usize, String)>,
}

fn parser(query: &str) -> Parser {
    let mut items: Vec<Item> = lex(query)
        .into_iter()
        .filter(|i| i.tok != Tok::Comment)
        .collect();
    if items.is_empty() {
        // lex() always ends with Eof or QueryError; this keeps peek() total.
        items.push(Item {
            tok: Tok::Eof,
            pos: query.len(),
            val: String::new(),
        });
    }
    Parser {
        items,
        i: 0,
        aggregation_depth: 0,
        facts: Facts::default(),
    }
}

/// The first error of `query` as Prometheus 2.42 would find it while
/// parsing, or what its type checker would need to place its own.
pub(super) fn check(query: &str) -> Result<Facts, Diagnosis> {
    let mut p = parser(query);
    if p.peek().tok == Tok::Eof {
        return Err(Diagnosis {
            pos: 0,
            message: "no expression found in input".to_string(),
        });
    }
    p.expr(0)?;
    if p.peek().tok != Tok::Eof {
        return Err(p.unexpected(None, None));
    }
    Ok(p.facts)
}

/// The first error of a series selector (`match[]`) as 2.42's
/// `ParseMetricSelector` finds it: a metric name and/or label matchers,
/// nothing else.
pub(super) fn check_selector(selector: &str) -> Result<(), Diagnosis> {
    let mut p = parser(selector);
    let tok = p.peek().tok;
    if is_metric_identifier(tok) {
        p.advance();
        if p.peek().tok == Tok::LeftBrace {
            p.label_matchers()?;
        }
    } else if tok == Tok::LeftBrace {
        p.label_matchers()?;
    } else {
        return Err(p.unexpected(None, None));
    }
    if p.peek().tok != Tok::Eof {
        return Err(p.unexpected(None, None));
    }
    Ok(())
}

/// What an expression is, as far as its modifiers care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    VectorSelector,
    MatrixSelector,
    Subquery,
    Other,
}

#[derive(Debug, Clone, Copy)]
struct Node {
    start: usize,
    ty: Ty,
    kind: Kind,
    offset: bool,
    at: bool,
}

impl Node {
    fn new(start: usize, ty: Ty, kind: Kind) -> Node {
        Node {
            start,
            ty,
            kind,
            offset: false,
            at: false,
        }
    }

    fn operand(&self) -> Operand {
        Operand {
            start: self.start,
            ty: self.ty,
        }
    }
}

struct Parser {
    items: Vec<Item>,
    i: usize,
    aggregation_depth: usize,
    facts: Facts,
}

type Parsed<T> = Result<T, Diagnosis>;

impl Parser {
    fn peek(&self) -> &Item {
        // The items end with Eof or QueryError, and advance() stops there.
        &self.items[self.i.min(self.items.len().saturating_sub(1))]
    }

    fn peek_at(&self, ahead: usize) -> Tok {
        self.items
            .get(self.i + ahead)
            .map_or(Tok::Eof, |item| item.tok)
    }

    fn advance(&mut self) -> Item {
        let item = self.peek().clone();
        if !matches!(item.tok, Tok::Eof | Tok::QueryError) {
            self.i += 1;
        }
        item
    }

    /// A syntax error at the current token: a lexical error as it is,
    /// otherwise "unexpected …" in the innermost context.
    fn unexpected(&self, context: Option<&str>, expected: Option<&str>) -> Diagnosis {
        let item = self.peek();
        if item.tok == Tok::QueryError {
            return Diagnosis {
                pos: item.pos,
                message: item.val.clone(),
            };
        }
        let context = context.or((self.aggregation_depth > 0).then_some("aggregation"));
        let mut message = format!("unexpected {}", item.desc());
        if let Some(c) = context {
            message.push_str(" in ");
            message.push_str(c);
        }
        if let Some(e) = expected {
            message.push_str(", expected ");
            message.push_str(e);
        }
        Diagnosis {
            pos: item.pos,
            message,
        }
    }

    fn expr(&mut self, min_prec: u8) -> Parsed<Node> {
        let mut lhs = self.unary()?;
        while let Tok::Op(op) = self.peek().tok {
            let Some(prec) = precedence(op) else { break };
            if prec < min_prec {
                break;
            }
            let op_pos = self.advance().pos;
            let (bool_modifier, grouping) = self.bin_modifier()?;
            // ^ is right-associative, the rest left-associative.
            let rhs = self.expr(if op == Op::Pow { prec } else { prec + 1 })?;
            let ty = if lhs.ty == Ty::Vector || rhs.ty == Ty::Vector {
                Ty::Vector
            } else {
                Ty::Scalar
            };
            self.facts.binaries.push(BinaryFact {
                op,
                op_pos,
                bool_modifier,
                grouping,
                lhs: lhs.operand(),
                rhs: rhs.operand(),
            });
            lhs = Node::new(lhs.start, ty, Kind::Other);
        }
        Ok(lhs)
    }

    /// `bool`, `on`/`ignoring (…)`, `group_left`/`group_right [(…)]`.
    fn bin_modifier(&mut self) -> Parsed<(bool, bool)> {
        let bool_modifier = self.peek().tok == Tok::Keyword(Keyword::Bool);
        if bool_modifier {
            self.advance();
        }
        let mut grouping = false;
        if matches!(
            self.peek().tok,
            Tok::Keyword(Keyword::On | Keyword::Ignoring)
        ) {
            grouping = true;
            self.advance();
            self.grouping_labels()?;
            if matches!(
                self.peek().tok,
                Tok::Keyword(Keyword::GroupLeft | Keyword::GroupRight)
            ) {
                self.advance();
                if self.peek().tok == Tok::LeftParen {
                    self.grouping_labels()?;
                }
            }
        }
        Ok((bool_modifier, grouping))
    }

    fn grouping_labels(&mut self) -> Parsed<()> {
        const CONTEXT: Option<&str> = Some("grouping opts");
        if self.peek().tok != Tok::LeftParen {
            return Err(self.unexpected(CONTEXT, Some("\"(\"")));
        }
        self.advance();
        if self.peek().tok == Tok::RightParen {
            self.advance();
            return Ok(());
        }
        loop {
            let item = self.peek();
            let is_label = item
                .val
                .starts_with(|c: char| c == '_' || c.is_ascii_alphabetic())
                && item
                    .val
                    .chars()
                    .all(|c| c == '_' || c.is_ascii_alphanumeric());
            if !may_be_label(item.tok) || !is_label {
                return Err(self.unexpected(CONTEXT, Some("label")));
            }
            self.advance();
            if self.list_separator(Tok::RightParen, CONTEXT, "\",\" or \")\"")? {
                return Ok(());
            }
        }
    }

    /// After an item of a `,`-separated list that may end with a trailing
    /// comma: consumes the separator, and says whether the list is closed.
    fn list_separator(
        &mut self,
        close: Tok,
        context: Option<&str>,
        expected: &str,
    ) -> Parsed<bool> {
        match self.peek().tok {
            Tok::Comma if self.peek_at(1) == close => {
                self.advance();
                self.advance();
                Ok(true)
            }
            Tok::Comma => {
                self.advance();
                Ok(false)
            }
            t if t == close => {
                self.advance();
                Ok(true)
            }
            _ => Err(self.unexpected(context, Some(expected))),
        }
    }

    fn unary(&mut self) -> Parsed<Node> {
        if matches!(self.peek().tok, Tok::Op(Op::Add | Op::Sub)) {
            let start = self.advance().pos;
            // As `unary_op expr %prec MUL`: only ^ binds tighter.
            let operand = self.expr(precedence(Op::Pow).unwrap_or(u8::MAX))?;
            self.facts.unaries.push(Operand {
                start,
                ty: operand.ty,
            });
            return Ok(Node::new(start, operand.ty, Kind::Other));
        }
        let node = self.primary()?;
        self.postfix(node)
    }

    fn primary(&mut self) -> Parsed<Node> {
        let item = self.peek().clone();
        match item.tok {
            Tok::Number => {
                self.advance();
                check_number(&item)?;
                Ok(Node::new(item.pos, Ty::Scalar, Kind::Other))
            }
            Tok::Str => {
                self.advance();
                Ok(Node::new(item.pos, Ty::Str, Kind::Other))
            }
            Tok::LeftParen => {
                self.advance();
                let inner = self.expr(0)?;
                if self.peek().tok != Tok::RightParen {
                    return Err(self.unexpected(None, None));
                }
                self.advance();
                Ok(Node::new(item.pos, inner.ty, Kind::Other))
            }
            Tok::LeftBrace => {
                self.label_matchers()?;
                self.facts.nameless_selectors.push(item.pos);
                Ok(Node::new(item.pos, Ty::Vector, Kind::VectorSelector))
            }
            Tok::Aggregator(kind)
                if matches!(
                    self.peek_at(1),
                    Tok::LeftParen | Tok::Keyword(Keyword::By | Keyword::Without)
                ) =>
            {
                self.aggregation(kind)
            }
            Tok::Identifier if self.peek_at(1) == Tok::LeftParen => self.call(),
            tok if is_metric_identifier(tok) => {
                self.advance();
                if self.peek().tok == Tok::LeftBrace {
                    self.label_matchers()?;
                }
                Ok(Node::new(item.pos, Ty::Vector, Kind::VectorSelector))
            }
            _ => Err(self.unexpected(None, None)),
        }
    }

    fn label_matchers(&mut self) -> Parsed<()> {
        const CONTEXT: Option<&str> = Some("label matching");
        self.advance();
        if self.peek().tok == Tok::RightBrace {
            self.advance();
            return Ok(());
        }
        loop {
            if self.peek().tok != Tok::Identifier {
                return Err(self.unexpected(CONTEXT, Some("identifier or \"}\"")));
            }
            let label = self.advance().pos;
            let op = self.peek().tok;
            if !matches!(
                op,
                Tok::Eql | Tok::Op(Op::Neq | Op::EqlRegex | Op::NeqRegex)
            ) {
                return Err(self.unexpected(CONTEXT, Some("label matching operator")));
            }
            self.advance();
            if self.peek().tok != Tok::Str {
                return Err(self.unexpected(CONTEXT, Some("string")));
            }
            let value = self.advance().val;
            if matches!(op, Tok::Op(Op::EqlRegex | Op::NeqRegex)) {
                self.facts.regex_matchers.push((label, value));
            }
            if self.list_separator(Tok::RightBrace, CONTEXT, "\",\" or \"}\"")? {
                return Ok(());
            }
        }
    }

    /// `f(args…)`; an unknown name is reported once the call is complete.
    fn call(&mut self) -> Parsed<Node> {
        let name = self.advance();
        let args = self.call_body()?;
        let Some((_, _, returns_scalar)) = function(&name.val) else {
            return Err(Diagnosis {
                pos: name.pos,
                message: format!("unknown function with name {}", go_quote(&name.val)),
            });
        };
        let ty = if returns_scalar {
            Ty::Scalar
        } else {
            Ty::Vector
        };
        self.facts.calls.push(CallFact {
            name: name.val.clone(),
            pos: name.pos,
            args: args.iter().map(Node::operand).collect(),
        });
        Ok(Node::new(name.pos, ty, Kind::Other))
    }

    /// `( [expr {, expr}] )`, the current token being `(`.
    fn call_body(&mut self) -> Parsed<Vec<Node>> {
        if self.peek().tok != Tok::LeftParen {
            return Err(self.unexpected(None, None));
        }
        self.advance();
        let mut args = Vec::new();
        if self.peek().tok == Tok::RightParen {
            self.advance();
            return Ok(args);
        }
        loop {
            args.push(self.expr(0)?);
            match self.peek().tok {
                // A comma not followed by an argument reduces the grammar's
                // trailing-comma rule before anything else can fail (unless
                // what follows is a lexical error, read first).
                Tok::Comma if !starts_expression(self.peek_at(1)) => {
                    let comma = self.advance().pos;
                    if self.peek().tok == Tok::QueryError {
                        return Err(self.unexpected(None, None));
                    }
                    return Err(Diagnosis {
                        pos: comma,
                        message: "trailing commas not allowed in function call args".to_string(),
                    });
                }
                Tok::Comma => {
                    self.advance();
                }
                Tok::RightParen => {
                    self.advance();
                    return Ok(args);
                }
                _ => return Err(self.unexpected(None, None)),
            }
        }
    }

    fn aggregation(&mut self, kind: Aggregator) -> Parsed<Node> {
        let start = self.advance().pos;
        self.aggregation_depth += 1;
        let result = self.aggregation_rest(start, kind);
        self.aggregation_depth -= 1;
        result
    }

    fn aggregation_rest(&mut self, start: usize, kind: Aggregator) -> Parsed<Node> {
        let modifier = |tok| matches!(tok, Tok::Keyword(Keyword::By | Keyword::Without));
        if modifier(self.peek().tok) {
            self.advance();
            self.grouping_labels()?;
        }
        let args = self.call_body()?;
        if modifier(self.peek().tok) {
            self.advance();
            self.grouping_labels()?;
        }
        let wanted = if kind == Aggregator::Plain { 1 } else { 2 };
        let message = if args.is_empty() {
            "no arguments for aggregate expression provided".to_string()
        } else if args.len() != wanted {
            format!(
                "wrong number of arguments for aggregate expression provided, expected {wanted}, got {}",
                args.len()
            )
        } else {
            let (param, expr) = match args.as_slice() {
                [param, expr] => (Some(param.operand()), Some(expr.operand())),
                [expr] => (None, Some(expr.operand())),
                _ => (None, None),
            };
            self.facts
                .aggregations
                .push(AggregationFact { param, expr });
            return Ok(Node::new(start, Ty::Vector, Kind::Other));
        };
        Err(Diagnosis {
            pos: start,
            message,
        })
    }

    /// Range and subquery brackets, `offset` and `@`, binding tightest.
    fn postfix(&mut self, mut node: Node) -> Parsed<Node> {
        loop {
            match self.peek().tok {
                Tok::LeftBracket => node = self.brackets(node)?,
                Tok::Keyword(Keyword::Offset) => node = self.offset(node)?,
                Tok::Op(Op::At) => node = self.at(node)?,
                _ => return Ok(node),
            }
        }
    }

    fn brackets(&mut self, node: Node) -> Parsed<Node> {
        let open = self.advance().pos;
        if self.peek().tok != Tok::Duration {
            return Err(self.unexpected(Some("subquery selector"), Some("duration")));
        }
        check_duration(&self.advance())?;
        match self.peek().tok {
            Tok::RightBracket => {
                self.advance();
                let problem = if node.kind != Kind::VectorSelector {
                    Some("ranges only allowed for vector selectors")
                } else if node.offset {
                    Some("no offset modifiers allowed before range")
                } else if node.at {
                    Some("no @ modifiers allowed before range")
                } else {
                    None
                };
                if let Some(problem) = problem {
                    return Err(Diagnosis {
                        pos: open,
                        message: problem.to_string(),
                    });
                }
                Ok(Node::new(node.start, Ty::Matrix, Kind::MatrixSelector))
            }
            Tok::Colon => {
                self.advance();
                match self.peek().tok {
                    Tok::Duration => {
                        check_duration(&self.advance())?;
                        if self.peek().tok != Tok::RightBracket {
                            return Err(self.unexpected(Some("subquery selector"), Some("\"]\"")));
                        }
                    }
                    Tok::RightBracket => {}
                    _ => {
                        return Err(
                            self.unexpected(Some("subquery selector"), Some("duration or \"]\""))
                        );
                    }
                }
                self.advance();
                Ok(Node::new(node.start, Ty::Matrix, Kind::Subquery))
            }
            _ => Err(self.unexpected(Some("subquery or range"), Some("\":\" or \"]\""))),
        }
    }

    fn offset(&mut self, mut node: Node) -> Parsed<Node> {
        self.advance();
        if self.peek().tok == Tok::Op(Op::Sub) {
            self.advance();
        }
        if self.peek().tok != Tok::Duration {
            return Err(self.unexpected(Some("offset"), Some("duration")));
        }
        check_duration(&self.advance())?;
        modifies(
            &node,
            "offset",
            node.offset,
            "offset may not be set multiple times",
        )?;
        node.offset = true;
        Ok(node)
    }

    fn at(&mut self, mut node: Node) -> Parsed<Node> {
        const CONTEXT: Option<&str> = Some("@");
        const EXPECTED: Option<&str> = Some("timestamp");
        self.advance();
        let item = self.peek().clone();
        match item.tok {
            Tok::Number => {
                self.advance();
                let ts = check_number(&item)?;
                check_timestamp(node.start, ts)?;
            }
            Tok::Op(op @ (Op::Add | Op::Sub)) if self.peek_at(1) == Tok::Number => {
                self.advance();
                let number = self.advance();
                let ts = check_number(&number)?;
                check_timestamp(node.start, if op == Op::Sub { -ts } else { ts })?;
            }
            Tok::Preprocessor => {
                self.advance();
                if self.peek().tok != Tok::LeftParen || self.peek_at(1) != Tok::RightParen {
                    if self.peek().tok == Tok::LeftParen {
                        self.advance();
                    }
                    return Err(self.unexpected(CONTEXT, EXPECTED));
                }
                self.advance();
                self.advance();
            }
            _ => return Err(self.unexpected(CONTEXT, EXPECTED)),
        }
        modifies(
            &node,
            "@",
            node.at,
            "@ <timestamp> may not be set multiple times",
        )?;
        node.at = true;
        Ok(node)
    }
}

/// Binary operator precedence, lowest first (`%left` lines of the grammar).
fn precedence(op: Op) -> Option<u8> {
    Some(match op {
        Op::Or => 1,
        Op::And | Op::Unless => 2,
        Op::Eqlc | Op::Neq | Op::Lte | Op::Lss | Op::Gte | Op::Gtr => 3,
        Op::Add | Op::Sub => 4,
        Op::Mul | Op::Div | Op::Mod | Op::Atan2 => 5,
        Op::Pow => 6,
        Op::EqlRegex | Op::NeqRegex | Op::At => return None,
    })
}

/// The tokens an expression may start with.
fn starts_expression(tok: Tok) -> bool {
    matches!(
        tok,
        Tok::Number | Tok::Str | Tok::LeftParen | Tok::LeftBrace | Tok::Op(Op::Add | Op::Sub)
    ) || is_metric_identifier(tok)
}

/// `metric_identifier`: the tokens that may name a metric.
fn is_metric_identifier(tok: Tok) -> bool {
    matches!(
        tok,
        Tok::Identifier
            | Tok::MetricIdentifier
            | Tok::Aggregator(_)
            | Tok::Keyword(Keyword::By | Keyword::Offset | Keyword::Without)
            | Tok::Op(Op::And | Op::Or | Op::Unless)
            | Tok::Preprocessor
    )
}

/// `maybe_label`: the tokens that may name a label in grouping options.
fn may_be_label(tok: Tok) -> bool {
    matches!(
        tok,
        Tok::Identifier
            | Tok::MetricIdentifier
            | Tok::Aggregator(_)
            | Tok::Keyword(_)
            | Tok::Op(Op::And | Op::Or | Op::Unless | Op::Atan2)
            | Tok::Preprocessor
    )
}

/// What both modifiers (`offset`, `@`) check once parsed, in Prometheus'
/// words: they follow a selector or a subquery, and only once.
fn modifies(node: &Node, modifier: &str, set: bool, twice: &str) -> Parsed<()> {
    let message = if node.kind == Kind::Other {
        format!(
            "{modifier} modifier must be preceded by an instant vector selector or range vector selector or a subquery"
        )
    } else if set {
        twice.to_owned()
    } else {
        return Ok(());
    };
    Err(Diagnosis {
        pos: node.start,
        message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(q: &str) -> (usize, String) {
        let d = check(q).expect_err(q);
        (d.pos, d.message)
    }

    #[test]
    fn syntax_errors_in_context() {
        assert_eq!(error("foo +"), (5, "unexpected end of input".to_string()));
        assert_eq!(
            error("sum(foo bar)"),
            (
                8,
                "unexpected identifier \"bar\" in aggregation".to_string()
            )
        );
        assert_eq!(
            error("sum by (a b) (foo)"),
            (
                10,
                "unexpected identifier \"b\" in grouping opts, expected \",\" or \")\"".to_string()
            )
        );
        assert_eq!(
            error("rate(foo[5m)"),
            (
                11,
                "unexpected \")\" in subquery or range, expected \":\" or \"]\"".to_string()
            )
        );
        assert_eq!(error("sum foo").0, 4);
        assert_eq!(
            error("nope(foo) bar"),
            (0, "unknown function with name \"nope\"".to_string())
        );
    }

    #[test]
    fn valid_queries_pass() {
        for q in [
            "sum",
            "sum by (a) (rate(foo{a=\"b\",}[5m] offset -1m @ 10)) / on(a) group_left bar",
            "-2 ^ -2",
            "foo[1h:5m] offset 1m",
            "foo @ start()",
            "topk(3, x) without (a,)",
            "by + offset - sum",
        ] {
            assert!(check(q).is_ok(), "{q}: {:?}", check(q).err());
        }
    }
}

//! Parse errors as Prometheus 2.42 words and places them:
//! `L:C: parse error: <message>`, with the 1-based line and byte column of
//! the offending token (the API then prefixes `invalid parameter "query": `).
//!
//! promql-parser's errors carry no position and are worded differently
//! (`unknown function with name 'x'`, `invalid promql query`), so a failed
//! query is run through the recogniser of Prometheus' grammar in `syntax`:
//! its first error is Prometheus' own. When the syntax is fine the error
//! is one of promql-parser's type checks; those are reworded as
//! Prometheus' and placed on the construct they are about.

use super::functions::argument_type;
use super::lex::Op;
use super::syntax::{self, Facts, Operand, Ty};

/// The message of a query promql-parser refused with `parser_message`.
pub(super) fn describe(query: &str, parser_message: &str) -> String {
    match syntax::check(query) {
        Err(d) => at(query, d.pos, &d.message),
        Ok(facts) => match translate(parser_message, &facts) {
            (Some(pos), message) => at(query, pos, &message),
            (None, message) => format!("parse error: {message}"),
        },
    }
}

/// Refuses what promql-parser accepts but Prometheus 2.42 does not:
/// functions of later versions, durations without a unit, … The
/// recogniser is the judge, as it follows 2.42's grammar.
pub(super) fn check(query: &str) -> Result<(), String> {
    syntax::check(query)
        .map(drop)
        .map_err(|d| at(query, d.pos, &d.message))
}

/// Checks a series selector against 2.42's selector grammar.
pub(super) fn check_selector(selector: &str) -> Result<(), String> {
    syntax::check_selector(selector).map_err(|d| at(selector, d.pos, &d.message))
}

/// `ParseErr.QueryError()`: line and column of a byte offset.
fn at(query: &str, pos: usize, message: &str) -> String {
    let before = query.get(..pos).unwrap_or(query);
    let line = 1 + before.matches('\n').count();
    let column = before
        .rfind('\n')
        .map_or(before.len() + 1, |nl| before.len() - nl);
    format!("{line}:{column}: parse error: {message}")
}

/// Prometheus' `DocumentedType` for promql-parser's type names.
fn documented(parser_type: &str) -> &str {
    match parser_type {
        "matrix" => "range vector",
        "vector" => "instant vector",
        other => other,
    }
}

fn ty_named(name: &str) -> Option<Ty> {
    [Ty::Scalar, Ty::Vector, Ty::Matrix, Ty::Str]
        .into_iter()
        .find(|t| t.parser_name() == name)
}

/// Rewords one of promql-parser's type-check messages as Prometheus' and
/// finds the construct it is about (the first one, in the order
/// Prometheus checks them).
fn translate(m: &str, facts: &Facts) -> (Option<usize>, String) {
    // expected type T in call to function 'f', got U
    if let Some((expected, rest)) = between(m, "expected type ", " in call to function '")
        && let Some((name, got)) = between(rest, "", "', got ")
    {
        let want = ty_named(expected);
        let pos = ty_named(got).and_then(|got| {
            facts
                .calls
                .iter()
                .filter(|c| c.name == name)
                .find_map(|c| {
                    let mut args = c.args.iter().enumerate();
                    args.find(|(i, a)| a.ty == got && argument_type(name, *i) == want)
                })
                .map(|(_, a)| a.start)
        });
        let message = format!(
            "expected type {} in call to function \"{name}\", got {}",
            documented(expected),
            documented(got)
        );
        return (pos, message);
    }
    // expected type T in aggregation expression, got U: 2.42 says
    // "aggregation parameter" for the scalar or string first argument.
    if let Some((expected, got)) = between(m, "expected type ", " in aggregation expression, got ")
    {
        let is_param = matches!(expected, "scalar" | "string");
        let pos = ty_named(got).and_then(|got| {
            facts
                .aggregations
                .iter()
                .filter_map(|a| if is_param { a.param } else { a.expr })
                .find(|o| o.ty == got)
                .map(|o| o.start)
        });
        let context = if is_param { "parameter" } else { "expression" };
        let message = format!(
            "expected type {} in aggregation {context}, got {}",
            documented(expected),
            documented(got)
        );
        return (pos, message);
    }
    // expected [at least |at most ]N argument(s) in call to 'f', got M
    if let Some((count, rest)) = between(m, "expected ", " argument(s) in call to '")
        && let Some((name, got)) = between(rest, "", "', got ")
    {
        let pos = got.parse::<usize>().ok().and_then(|got| {
            facts
                .calls
                .iter()
                .find(|c| c.name == name && c.args.len() == got)
                .map(|c| c.pos)
        });
        let message = format!("expected {count} argument(s) in call to \"{name}\", got {got}");
        return (pos, message);
    }
    let is_set = |op: Op| matches!(op, Op::And | Op::Or | Op::Unless);
    let is_comparison = |op: Op| {
        matches!(
            op,
            Op::Eqlc | Op::Neq | Op::Lte | Op::Lss | Op::Gte | Op::Gtr
        )
    };
    let valid = |o: &Operand| matches!(o.ty, Ty::Scalar | Ty::Vector);
    let scalar = |o: &Operand| o.ty == Ty::Scalar;
    let binaries = facts.binaries.iter();
    match m {
        "binary expression must contain only scalar and instant vector types" => {
            let pos = facts.binaries.iter().find_map(|b| {
                if !valid(&b.lhs) {
                    Some(b.lhs.start)
                } else if !valid(&b.rhs) {
                    Some(b.rhs.start)
                } else {
                    None
                }
            });
            return (pos, m.to_string());
        }
        "comparisons between scalars must use BOOL modifier" => {
            let mut found = binaries.filter(|b| {
                is_comparison(b.op) && !b.bool_modifier && scalar(&b.lhs) && scalar(&b.rhs)
            });
            return (found.next().map(|b| b.op_pos), m.to_string());
        }
        "bool modifier can only be used on comparison operators" => {
            let mut found = binaries.filter(|b| b.bool_modifier && !is_comparison(b.op));
            return (found.next().map(|b| b.op_pos), m.to_string());
        }
        "vector matching only allowed between vectors" => {
            let mut found = binaries.filter(|b| b.grouping && (scalar(&b.lhs) || scalar(&b.rhs)));
            let message = "vector matching only allowed between instant vectors".to_string();
            return (found.next().map(|b| b.lhs.start), message);
        }
        "vector selector must contain at least one non-empty matcher" => {
            return (facts.nameless_selectors.first().copied(), m.to_string());
        }
        _ => {}
    }
    if let Some((op, _)) = between(
        m,
        "set operator '",
        "' not allowed in binary scalar expression",
    ) {
        let mut found = binaries.filter(|b| is_set(b.op) && (scalar(&b.lhs) || scalar(&b.rhs)));
        let message = format!("set operator \"{op}\" not allowed in binary scalar expression");
        return (found.next().map(|b| b.lhs.start), message);
    }
    if let Some((op, _)) = between(m, "no grouping allowed for '", "' operation") {
        let mut found = binaries.filter(|b| is_set(b.op) && b.grouping);
        let message = format!("no grouping allowed for \"{op}\" operation");
        return (found.next().map(|b| b.lhs.start), message);
    }
    if let Some((got, _)) = between(
        m,
        "unary expression only allowed on expressions of type scalar or vector, got: ",
        "",
    ) {
        let pos = facts.unaries.iter().find(|u| !valid(u)).map(|u| u.start);
        let message = format!(
            "unary expression only allowed on expressions of type scalar or instant vector, got \"{}\"",
            documented(got)
        );
        return (pos, message);
    }
    // promql-parser's regex engine is Rust's, not Go's: the message stays
    // its own, placed on the matcher's label as Prometheus places it.
    if let Some((pattern, _)) = between(m, "illegal regex for ", "") {
        let pos = facts
            .regex_matchers
            .iter()
            .find(|(_, quoted)| quoted.get(1..quoted.len().saturating_sub(1)) == Some(pattern))
            .or(facts.regex_matchers.first())
            .map(|(label, _)| *label);
        return (pos, m.to_string());
    }
    (None, m.to_string())
}

/// With `m = prefix + a + separator + b`, `(a, b)`; an empty separator
/// gives `(rest, "")`.
fn between<'m>(m: &'m str, prefix: &str, separator: &str) -> Option<(&'m str, &'m str)> {
    let rest = m.strip_prefix(prefix)?;
    if separator.is_empty() {
        return Some((rest, ""));
    }
    rest.split_once(separator)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_line_and_byte_column() {
        assert_eq!(at("foo +", 5, "x"), "1:6: parse error: x");
        assert_eq!(at("a\n+ nope()", 4, "x"), "2:3: parse error: x");
        assert_eq!(at("", 0, "x"), "1:1: parse error: x");
    }

    #[test]
    fn type_errors_placed_on_their_operand() {
        let d = |q: &str, m: &str| match syntax::check(q) {
            Ok(facts) => translate(m, &facts),
            Err(d) => panic!("{q}: {d:?}"),
        };
        assert_eq!(
            d(
                "rate(foo)",
                "expected type matrix in call to function 'rate', got vector"
            ),
            (
                Some(5),
                "expected type range vector in call to function \"rate\", got instant vector"
                    .to_string()
            )
        );
        assert_eq!(
            d(
                "count_values(1, foo)",
                "expected type string in aggregation expression, got scalar"
            ),
            (
                Some(13),
                "expected type string in aggregation parameter, got scalar".to_string()
            )
        );
        assert_eq!(
            d(
                "1 == 1",
                "comparisons between scalars must use BOOL modifier"
            )
            .0,
            Some(2)
        );
    }
}

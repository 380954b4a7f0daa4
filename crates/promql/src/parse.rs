//! From query text to a checked AST: promql-parser does the grammar; this
//! module turns its matchers into ours and refuses, before evaluation, every
//! construct Prometheus 2.42 does not have or understudy does not implement,
//! so that an unsupported query fails loudly instead of giving a wrong number.
//! Parse errors read as 2.42's, `L:C: parse error: …` (see `diagnose`).

use promql_parser::label::{MatchOp as PMatchOp, Matcher as PMatcher};
use promql_parser::parser::value::ValueType;
use promql_parser::parser::{self, Expr, Function, VectorSelector, token};

use crate::{MatchOp, Matcher, QueryError};

mod diagnose;
mod functions;
mod lex;
mod literals;
mod syntax;

/// Functions of Prometheus 2.42 that understudy evaluates.
const SUPPORTED_FUNCTIONS: &[&str] = &[
    "abs",
    "absent",
    "absent_over_time",
    "acos",
    "acosh",
    "asin",
    "asinh",
    "atan",
    "atanh",
    "avg_over_time",
    "ceil",
    "changes",
    "clamp",
    "clamp_max",
    "clamp_min",
    "cos",
    "cosh",
    "count_over_time",
    "day_of_month",
    "day_of_week",
    "day_of_year",
    "days_in_month",
    "deg",
    "delta",
    "deriv",
    "exp",
    "floor",
    "histogram_quantile",
    "holt_winters",
    "hour",
    "idelta",
    "increase",
    "irate",
    "label_join",
    "label_replace",
    "last_over_time",
    "ln",
    "log10",
    "log2",
    "max_over_time",
    "min_over_time",
    "minute",
    "month",
    "pi",
    "predict_linear",
    "present_over_time",
    "quantile_over_time",
    "rad",
    "rate",
    "resets",
    "round",
    "scalar",
    "sgn",
    "sin",
    "sinh",
    "sort",
    "sort_desc",
    "sqrt",
    "stddev_over_time",
    "stdvar_over_time",
    "sum_over_time",
    "tan",
    "tanh",
    "time",
    "timestamp",
    "vector",
    "year",
];

/// Parses and checks a query.
pub(crate) fn parse_query(query: &str) -> Result<Expr, QueryError> {
    // Before the parser: everything after it recurses over the tree.
    crate::limits::check_nesting(query)?;
    let expr = parse_unchecked(query)?;
    check_supported(&expr)?;
    Ok(expr)
}

/// Parses a query as Prometheus 2.42 would, whether or not understudy
/// evaluates everything in it (as `format_query` needs).
pub(crate) fn parse_unchecked(query: &str) -> Result<Expr, QueryError> {
    // The parser is generated code we do not control: a panic in it must
    // not take the server down with it.
    let parsed = std::panic::catch_unwind(|| parse_promql(query)).map_err(|_| {
        QueryError::BadData("parse error: the query could not be parsed".to_string())
    })?;
    // Worded and placed as Prometheus 2.42 does: "L:C: parse error: …".
    let expr = parsed.map_err(|e| QueryError::BadData(diagnose::describe(query, &e)))?;
    diagnose::check(query).map_err(QueryError::BadData)?;
    Ok(expr)
}

/// promql-parser, taught the functions of 2.42 it no longer knows.
fn parse_promql(query: &str) -> Result<Expr, String> {
    static REGISTER: std::sync::Once = std::sync::Once::new();
    REGISTER.call_once(|| {
        // holt_winters was renamed double_exponential_smoothing after 2.x;
        // registered under its 2.42 name, it parses and prints as such.
        let holt_winters = Function::new(
            "holt_winters",
            vec![ValueType::Matrix, ValueType::Scalar, ValueType::Scalar],
            0,
            ValueType::Vector,
            false,
        );
        // Fails only on a clash with a built-in name, which it is not.
        let _ = parser::register_extra_functions(vec![holt_winters]);
    });
    parser::parse(query)
}

/// Parses a `match[]` series selector. Errors read as 2.42's, without the
/// `invalid parameter "match[]": ` its API puts before them.
pub(crate) fn parse_series_selector(selector: &str) -> Result<Vec<Matcher>, QueryError> {
    // 2.42 parses match[] with a grammar of its own: `rate(x[5m])` is
    // `1:5: parse error: unexpected "("`, not an expression of a wrong kind.
    diagnose::check_selector(selector).map_err(QueryError::BadData)?;
    let expr = parse_query(selector).map_err(|e| match e {
        // The API's own check, worded as the API words it.
        QueryError::BadData(m)
            if m.ends_with("vector selector must contain at least one non-empty matcher") =>
        {
            QueryError::BadData("match[] must contain at least one non-empty matcher".to_string())
        }
        e => e,
    })?;
    match expr {
        Expr::VectorSelector(vs) if vs.offset.is_none() && vs.at.is_none() => {
            selector_matchers(&vs)
        }
        _ => Err(QueryError::BadData(format!(
            "parse error: expected a series selector, got {selector:?}"
        ))),
    }
}

/// The matchers of a selector, the metric name included as `__name__="…"`.
pub(crate) fn selector_matchers(vs: &VectorSelector) -> Result<Vec<Matcher>, QueryError> {
    if !vs.matchers.or_matchers.is_empty() {
        return Err(unsupported("\"or\" inside label matchers"));
    }
    let mut out: Vec<Matcher> = vs.matchers.matchers.iter().map(convert_matcher).collect();
    if let Some(name) = &vs.name {
        out.push(Matcher {
            name: "__name__".to_string(),
            op: MatchOp::Equal,
            value: name.clone(),
        });
    }
    Ok(out)
}

fn convert_matcher(m: &PMatcher) -> Matcher {
    let op = match &m.op {
        PMatchOp::Equal => MatchOp::Equal,
        PMatchOp::NotEqual => MatchOp::NotEqual,
        PMatchOp::Re(r) => MatchOp::Re(r.clone()),
        PMatchOp::NotRe(r) => MatchOp::NotRe(r.clone()),
    };
    Matcher {
        name: m.name.clone(),
        op,
        value: m.value.clone(),
    }
}

fn unsupported(what: &str) -> QueryError {
    QueryError::BadData(format!("{what} is not supported by understudy"))
}

/// Walks the tree refusing what the evaluator does not implement.
fn check_supported(expr: &Expr) -> Result<(), QueryError> {
    match expr {
        Expr::Aggregate(a) => {
            if matches!(a.op.id(), token::T_LIMITK | token::T_LIMIT_RATIO) {
                return Err(unsupported(&format!("aggregation \"{}\"", a.op)));
            }
            if let Some(p) = &a.param {
                check_supported(p)?;
            }
            check_supported(&a.expr)
        }
        Expr::Unary(u) => check_supported(&u.expr),
        Expr::Binary(b) => {
            if let Some(m) = &b.modifier
                && (m.fill_values.lhs.is_some() || m.fill_values.rhs.is_some())
            {
                return Err(unsupported("fill modifier"));
            }
            check_supported(&b.lhs)?;
            check_supported(&b.rhs)
        }
        Expr::Paren(p) => check_supported(&p.expr),
        Expr::Subquery(s) => {
            if s.range.is_zero() || s.step.is_some_and(|d| d.is_zero()) {
                return Err(QueryError::BadData(
                    "parse error: subquery range and step must be positive".to_string(),
                ));
            }
            check_supported(&s.expr)
        }
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) => Ok(()),
        Expr::VectorSelector(vs) => selector_matchers(vs).map(drop),
        Expr::MatrixSelector(ms) => {
            if ms.range.is_zero() {
                return Err(QueryError::BadData(
                    "parse error: range selector duration must be positive".to_string(),
                ));
            }
            selector_matchers(&ms.vs).map(drop)
        }
        Expr::Call(c) => {
            let name = c.func.name;
            if !SUPPORTED_FUNCTIONS.contains(&name) {
                return Err(QueryError::BadData(format!(
                    "function \"{name}\" is not supported by understudy"
                )));
            }
            c.args.args.iter().try_for_each(|a| check_supported(a))
        }
        Expr::Extension(_) => Err(unsupported("extension expression")),
    }
}

/// Prometheus' `model.LabelName.IsValid`.
pub(crate) fn is_label_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holt_winters_parses_and_prints_under_its_2_42_name() {
        let expr = parse_unchecked("holt_winters(x[5m], 0.3, 0.3)").expect("parses");
        assert_eq!(expr.to_string(), "holt_winters(x[5m], 0.3, 0.3)");
        // Its later name is not a 2.42 function.
        assert_eq!(
            parse_unchecked("double_exponential_smoothing(x[5m], 0.3, 0.3)"),
            Err(QueryError::BadData(
                "1:1: parse error: unknown function with name \"double_exponential_smoothing\""
                    .to_string()
            ))
        );
    }

    #[test]
    fn series_selectors_use_the_selector_grammar() {
        let err = |s: &str| parse_series_selector(s).err();
        assert_eq!(
            err("rate(x[5m])"),
            Some(QueryError::BadData(
                "1:5: parse error: unexpected \"(\"".to_string()
            ))
        );
        assert_eq!(
            err("{}"),
            Some(QueryError::BadData(
                "match[] must contain at least one non-empty matcher".to_string()
            ))
        );
        assert!(parse_series_selector("a:b{c=\"d\"}").is_ok());
        assert!(parse_series_selector("sum").is_ok());
    }

    #[test]
    fn parse_errors_carry_line_and_column() {
        assert_eq!(
            parse_unchecked("sum(rate(x[5m]) +"),
            Err(QueryError::BadData(
                "1:18: parse error: unclosed left parenthesis".to_string()
            ))
        );
        assert_eq!(
            parse_unchecked("x[5m:1m] offset"),
            Err(QueryError::BadData(
                "1:16: parse error: unexpected end of input in offset, expected duration"
                    .to_string()
            ))
        );
    }
}

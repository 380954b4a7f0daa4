//! From query text to a checked AST: promql-parser does the grammar; this
//! module turns its matchers into ours and refuses, before evaluation, every
//! construct Prometheus 2.42 does not have or understudy does not implement,
//! so that an unsupported query fails loudly instead of giving a wrong number.

use promql_parser::label::{MatchOp as PMatchOp, Matcher as PMatcher};
use promql_parser::parser::{self, Expr, VectorSelector, token};

use crate::{Error, MatchOp, Matcher};

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
    "days_in_month",
    "deg",
    "delta",
    "deriv",
    "exp",
    "floor",
    "histogram_quantile",
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
pub(crate) fn parse_query(query: &str) -> Result<Expr, Error> {
    // The parser is generated code we do not control: a panic in it must
    // not take the server down with it.
    let parsed = std::panic::catch_unwind(|| parser::parse(query))
        .map_err(|_| Error::BadData("parse error: the query could not be parsed".to_string()))?;
    let expr = parsed.map_err(|e| Error::BadData(format!("parse error: {e}")))?;
    check_supported(&expr)?;
    Ok(expr)
}

/// Parses a `match[]` series selector.
pub(crate) fn parse_series_selector(selector: &str) -> Result<Vec<Matcher>, Error> {
    match parse_query(selector)? {
        Expr::VectorSelector(vs) if vs.offset.is_none() && vs.at.is_none() => {
            selector_matchers(&vs)
        }
        _ => Err(Error::BadData(format!(
            "invalid parameter \"match[]\": expected a series selector, got {selector:?}"
        ))),
    }
}

/// The matchers of a selector, the metric name included as `__name__="…"`.
pub(crate) fn selector_matchers(vs: &VectorSelector) -> Result<Vec<Matcher>, Error> {
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

fn unsupported(what: &str) -> Error {
    Error::BadData(format!("{what} is not supported by understudy"))
}

/// Walks the tree refusing what the evaluator does not implement.
fn check_supported(expr: &Expr) -> Result<(), Error> {
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
                return Err(Error::BadData(
                    "parse error: subquery range and step must be positive".to_string(),
                ));
            }
            check_supported(&s.expr)
        }
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) => Ok(()),
        Expr::VectorSelector(vs) => selector_matchers(vs).map(drop),
        Expr::MatrixSelector(ms) => {
            if ms.range.is_zero() {
                return Err(Error::BadData(
                    "parse error: range selector duration must be positive".to_string(),
                ));
            }
            selector_matchers(&ms.vs).map(drop)
        }
        Expr::Call(c) => {
            let name = c.func.name;
            if !SUPPORTED_FUNCTIONS.contains(&name) {
                return Err(Error::BadData(format!(
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

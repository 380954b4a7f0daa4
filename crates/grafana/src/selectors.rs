//! The series selectors inside a PromQL expression.

use promql_parser::parser::{self, Expr, VectorSelector};
use promql_parser::util::{ExprVisitor, walk_expr};

/// Every vector and matrix selector in `expr`, printed as an instant-vector
/// selector (`metric{a="b"}`: range, `offset` and `@` dropped), without
/// duplicates, in order of appearance. Selectors inside subqueries count.
///
/// The text is promql-parser's printing (matchers sorted by label name,
/// `,`-joined, strings re-quoted), so equal selectors compare equal as strings.
/// Fails with the parser's message when `expr` is not PromQL, e.g. when a
/// Grafana variable was left in it.
pub fn selectors(expr: &str) -> Result<Vec<String>, String> {
    let ast = parser::parse(expr).map_err(|e| format!("invalid PromQL {expr:?}: {e}"))?;
    let mut collector = Collector::default();
    // The visitor never fails and never stops the walk.
    let _complete = walk_expr(&mut collector, &ast);
    Ok(collector.found)
}

#[derive(Debug, Default)]
struct Collector {
    found: Vec<String>,
}

impl Collector {
    fn add(&mut self, vs: &VectorSelector) {
        let mut plain = vs.clone();
        plain.offset = None;
        plain.at = None;
        let text = plain.to_string();
        if !self.found.contains(&text) {
            self.found.push(text);
        }
    }
}

impl ExprVisitor for Collector {
    type Error = std::convert::Infallible;

    fn pre_visit(&mut self, expr: &Expr) -> Result<bool, Self::Error> {
        match expr {
            Expr::VectorSelector(vs) => self.add(vs),
            Expr::MatrixSelector(ms) => self.add(&ms.vs),
            _ => {}
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_selectors_in_order_without_duplicates() {
        let got = selectors(
            r#"sum(rate(a{x="1"}[5m] offset 1m)) / on() b @ 100 + a{x="1"} + max_over_time(c[10m:1m]) + {__name__="d"}"#,
        )
        .expect("valid");
        assert_eq!(got, vec![r#"a{x="1"}"#, "b", "c", r#"{__name__="d"}"#]);
    }

    #[test]
    fn no_selectors_in_scalars() {
        assert_eq!(selectors("1 + 1").expect("valid"), Vec::<String>::new());
    }

    #[test]
    fn reports_parse_errors() {
        let err = selectors("rate(x[$__rate_interval])").expect_err("not PromQL");
        assert!(err.starts_with("invalid PromQL"), "{err}");
    }
}

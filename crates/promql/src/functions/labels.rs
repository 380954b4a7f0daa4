//! `label_replace` and `label_join` (`funcLabelReplace`, `funcLabelJoin`):
//! they keep `__name__` and rewrite every series' labels once, not per step.

use promql_parser::parser::Expr;

use super::arg;
use crate::eval::{Evaluator, Gather, RangeSeries, SeriesBuilder, Val};
use crate::parse::is_label_name;
use crate::{Labels, QueryError};

pub(super) fn label_replace(ev: &Evaluator, args: &[&Expr]) -> Result<Val, QueryError> {
    let input = ev.eval_vector(arg(args, 0)?)?;
    let dst = ev.eval_string(arg(args, 1)?)?;
    let replacement = ev.eval_string(arg(args, 2)?)?;
    let src = ev.eval_string(arg(args, 3)?)?;
    let pattern = ev.eval_string(arg(args, 4)?)?;
    let regex = regex::Regex::new(&format!("^(?:{pattern})$")).map_err(|_| {
        QueryError::Execution(format!(
            "invalid regular expression in label_replace(): {pattern}"
        ))
    })?;
    if !is_label_name(&dst) {
        return Err(QueryError::Execution(format!(
            "invalid destination label name in label_replace(): {dst}"
        )));
    }
    relabel(ev, &input, |labels| {
        let value = labels.get(&src).unwrap_or("");
        let Some(captures) = regex.captures(value) else {
            // No match: the series is left alone.
            return labels.clone();
        };
        let mut expanded = String::new();
        captures.expand(&replacement, &mut expanded);
        with_label(labels, &dst, expanded)
    })
}

pub(super) fn label_join(ev: &Evaluator, args: &[&Expr]) -> Result<Val, QueryError> {
    let input = ev.eval_vector(arg(args, 0)?)?;
    let dst = ev.eval_string(arg(args, 1)?)?;
    let separator = ev.eval_string(arg(args, 2)?)?;
    let mut sources = Vec::new();
    for a in args.iter().skip(3) {
        let src = ev.eval_string(a)?;
        if !is_label_name(&src) {
            return Err(QueryError::Execution(format!(
                "invalid source label name in label_join(): {src}"
            )));
        }
        sources.push(src);
    }
    if !is_label_name(&dst) {
        return Err(QueryError::Execution(format!(
            "invalid destination label name in label_join(): {dst}"
        )));
    }
    relabel(ev, &input, |labels| {
        let values: Vec<&str> = sources
            .iter()
            .map(|s| labels.get(s).unwrap_or(""))
            .collect();
        with_label(labels, &dst, values.join(&separator))
    })
}

/// `labels` with `name` set to `value`, or removed when `value` is empty.
fn with_label(labels: &Labels, name: &str, value: String) -> Labels {
    let others = labels.0.iter().filter(|(k, _)| k != name).cloned();
    Labels::new(others.chain(std::iter::once((name.to_string(), value))))
}

/// Gives every series new labels, checking duplicates per step.
fn relabel(
    ev: &Evaluator,
    input: &[RangeSeries],
    mut f: impl FnMut(&Labels) -> Labels,
) -> Result<Val, QueryError> {
    let mut out = SeriesBuilder::default();
    let ids: Vec<usize> = input.iter().map(|s| out.id(f(&s.labels))).collect();
    let mut gather = Gather::new(input);
    for t in ev.grid.times() {
        for &(s, v) in gather.at(input, t) {
            out.push(ids[s], t, v)?;
        }
    }
    Ok(Val::Vector(out.finish()))
}

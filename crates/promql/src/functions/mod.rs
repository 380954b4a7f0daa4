//! Function calls, dispatched by name (Prometheus' `FunctionCalls` table).

mod date;
mod histogram;
mod labels;
mod math;
mod range;

use promql_parser::parser::{Call, Expr};

use crate::QueryError;
use crate::eval::{Evaluator, Gather, Point, RangeSeries, SeriesBuilder, Val, drop_name};
use crate::gomath::go_sort;

pub(crate) fn call(ev: &Evaluator, c: &Call) -> Result<Val, QueryError> {
    let args: Vec<&Expr> = c.args.args.iter().map(|a| a.as_ref()).collect();
    let name = c.func.name;
    match name {
        "time" => Ok(Val::Scalar(
            ev.grid.times().map(|t| t as f64 / 1000.0).collect(),
        )),
        "pi" => Ok(Val::Scalar(vec![std::f64::consts::PI; ev.grid.len()])),
        "vector" => {
            let values = ev.eval_scalar(arg(&args, 0)?)?;
            let points = ev.grid.times().zip(values).map(|(t, v)| Point { t, v });
            Ok(Val::Vector(vec![RangeSeries {
                labels: crate::Labels::default(),
                points: points.collect(),
            }]))
        }
        "scalar" => scalar(ev, arg(&args, 0)?),
        "timestamp" => timestamp(ev, arg(&args, 0)?),
        "absent" => absent(ev, arg(&args, 0)?),
        "sort" | "sort_desc" => sort(ev, arg(&args, 0)?, name == "sort_desc"),
        "label_replace" => labels::label_replace(ev, &args),
        "label_join" => labels::label_join(ev, &args),
        "histogram_quantile" => histogram::histogram_quantile(ev, &args),
        "minute" | "hour" | "day_of_month" | "day_of_week" | "day_of_year" | "days_in_month"
        | "month" | "year" => date::call(ev, name, &args),
        _ if range::is_range_function(name) => range::call(ev, name, &args),
        _ => math::call(ev, name, &args),
    }
}

fn arg<'e>(args: &[&'e Expr], i: usize) -> Result<&'e Expr, QueryError> {
    args.get(i)
        .copied()
        .ok_or_else(|| QueryError::BadData(format!("missing argument {} of function call", i + 1)))
}

/// Applies `f(step index, value)` to every point, dropping `__name__` and
/// refusing duplicate label sets per step as `rangeEval` does.
pub(super) fn map_points(
    ev: &Evaluator,
    input: &[RangeSeries],
    mut f: impl FnMut(usize, f64) -> Option<f64>,
) -> Result<Vec<RangeSeries>, QueryError> {
    let mut out = SeriesBuilder::default();
    let ids: Vec<usize> = input.iter().map(|s| out.id(drop_name(&s.labels))).collect();
    let mut gather = Gather::new(input);
    for (step, t) in ev.grid.times().enumerate() {
        for &(s, v) in gather.at(input, t) {
            if let Some(x) = f(step, v) {
                out.push(ids[s], t, x)?;
            }
        }
    }
    Ok(out.finish())
}

/// `funcScalar`: the value of a one-element vector, else NaN.
fn scalar(ev: &Evaluator, e: &Expr) -> Result<Val, QueryError> {
    let input = ev.eval_vector(e)?;
    let mut gather = Gather::new(&input);
    let values = ev
        .grid
        .times()
        .map(|t| match gather.at(&input, t) {
            [(_, v)] => *v,
            _ => f64::NAN,
        })
        .collect();
    Ok(Val::Scalar(values))
}

/// `funcTimestamp`: a selector's own sample times (engine.go special-cases a
/// vector selector argument), otherwise the evaluation time.
fn timestamp(ev: &Evaluator, e: &Expr) -> Result<Val, QueryError> {
    let mut inner = e;
    while let Expr::Paren(p) = inner {
        inner = &p.expr;
    }
    if let Expr::VectorSelector(vs) = inner {
        let input = ev.vector_selector(vs, |t, _| t as f64 / 1000.0)?;
        return Ok(Val::Vector(map_points(ev, &input, |_, v| Some(v))?));
    }
    let input = ev.eval_vector(e)?;
    let times: Vec<f64> = ev.grid.times().map(|t| t as f64 / 1000.0).collect();
    Ok(Val::Vector(map_points(ev, &input, |step, _| {
        times.get(step).copied()
    })?))
}

/// `funcAbsent`: 1 where the argument is empty, labelled from its equality
/// matchers.
fn absent(ev: &Evaluator, e: &Expr) -> Result<Val, QueryError> {
    let input = ev.eval_vector(e)?;
    let mut present = vec![false; ev.grid.len()];
    let start = ev.grid.start;
    for p in input.iter().flat_map(|s| &s.points) {
        if let Some(slot) = usize::try_from((p.t - start) / ev.grid.step)
            .ok()
            .and_then(|i| present.get_mut(i))
        {
            *slot = true;
        }
    }
    Ok(absent_result(ev, e, present))
}

/// The result of `absent` and `absent_over_time`: 1 at each step where
/// `present` is false, labelled from `e`; no series when every step had data.
pub(super) fn absent_result(ev: &Evaluator, e: &Expr, present: Vec<bool>) -> Val {
    let points: Vec<Point> = ev
        .grid
        .times()
        .zip(present)
        .filter(|(_, p)| !p)
        .map(|(t, _)| Point { t, v: 1.0 })
        .collect();
    if points.is_empty() {
        return Val::Vector(Vec::new());
    }
    Val::Vector(vec![RangeSeries {
        labels: absent_labels(e),
        points,
    }])
}

/// `createLabelsForAbsentFunction`: labels of the equality matchers of a
/// selector argument, except names matched more than once or otherwise.
fn absent_labels(e: &Expr) -> crate::Labels {
    let mut inner = e;
    while let Expr::Paren(p) = inner {
        inner = &p.expr;
    }
    let vs = match inner {
        Expr::VectorSelector(vs) => vs,
        Expr::MatrixSelector(ms) => &ms.vs,
        _ => return crate::Labels::default(),
    };
    let mut set: Vec<(String, String)> = Vec::new();
    let mut unset: Vec<&str> = Vec::new();
    for m in &vs.matchers.matchers {
        if m.name == "__name__" {
            continue;
        }
        let is_equal = matches!(m.op, promql_parser::label::MatchOp::Equal);
        if is_equal && !set.iter().any(|(k, _)| *k == m.name) {
            set.push((m.name.clone(), m.value.clone()));
        } else {
            unset.push(&m.name);
        }
    }
    set.retain(|(k, _)| !unset.contains(&k.as_str()));
    crate::Labels::new(set)
}

/// `sort`/`sort_desc`: only an instant query's order changes (a range
/// result is sorted by labels). 2.42 runs Go's unstable `sort.Sort` over
/// `sort.Reverse` of a heap order whose `Less` is true whenever its left
/// value is NaN, so NaN ends up last either way and ties land where that
/// exact algorithm leaves them.
fn sort(ev: &Evaluator, e: &Expr, descending: bool) -> Result<Val, QueryError> {
    let mut input = ev.eval_vector(e)?;
    let value = |s: &RangeSeries| s.points.first().map_or(f64::NAN, |p| p.v);
    if descending {
        go_sort(&mut input, |a, b| {
            let (x, y) = (value(a), value(b));
            y.is_nan() || y < x
        });
    } else {
        go_sort(&mut input, |a, b| {
            let (x, y) = (value(a), value(b));
            y.is_nan() || y > x
        });
    }
    Ok(Val::Vector(input))
}

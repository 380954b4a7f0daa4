//! Functions of a range vector (`rate(x[5m])`, `max_over_time(q[1h:1m])`…):
//! each series' window is walked along the grid with two cursors, and the
//! numerics live in `rate.rs` and `over_time.rs`.

use promql_parser::parser::Expr;

use super::{absent_result, arg};
use crate::eval::{Evaluator, Point, RangeArg, RangeSeries, Val, check_unique_labels, drop_name};
use crate::rate::{Window, deriv, extrapolated_rate, instant_value, predict_linear};
use crate::{QueryError, over_time};

pub(super) fn is_range_function(name: &str) -> bool {
    matches!(
        name,
        "rate"
            | "irate"
            | "increase"
            | "delta"
            | "idelta"
            | "deriv"
            | "predict_linear"
            | "resets"
            | "changes"
            | "avg_over_time"
            | "min_over_time"
            | "max_over_time"
            | "sum_over_time"
            | "count_over_time"
            | "last_over_time"
            | "present_over_time"
            | "stddev_over_time"
            | "stdvar_over_time"
            | "quantile_over_time"
            | "absent_over_time"
            | "holt_winters"
    )
}

pub(super) fn call(ev: &Evaluator, name: &str, args: &[&Expr]) -> Result<Val, QueryError> {
    // The scalar parameters some take, one value per step.
    let (matrix_arg, scalar_args): (usize, &[usize]) = match name {
        "quantile_over_time" => (1, &[0]),
        "predict_linear" => (0, &[1]),
        "holt_winters" => (0, &[1, 2]),
        _ => (0, &[]),
    };
    let params: Vec<Vec<f64>> = scalar_args
        .iter()
        .map(|&i| ev.eval_scalar(arg(args, i)?))
        .collect::<Result<_, _>>()?;
    let matrix_expr = arg(args, matrix_arg)?;
    let mut input = ev.range_arg(matrix_expr)?;
    if name == "absent_over_time" {
        return absent_over_time(ev, &input, matrix_expr);
    }
    let mut out = Vec::new();
    let mut scratch = Vec::new();
    // Each series' samples are freed once its points are computed: the
    // query then holds about the larger of its input and its result, not
    // both (a range query over every series reads and answers millions).
    let mut held = 0usize;
    for s in std::mem::take(&mut input.series) {
        ev.ctx.check_deadline()?;
        let mut points = Vec::new();
        for (step, (t, w)) in input.windows(&s, ev.grid).enumerate() {
            if w.is_empty() {
                continue;
            }
            let end = input.window_end(t);
            let window = Window {
                ts: &s.timestamps[w.clone()],
                vs: &s.values[w],
                eval_t: t,
                start: end.saturating_sub(input.range),
                end,
            };
            let p = |i: usize| {
                params
                    .get(i)
                    .and_then(|v| v.get(step))
                    .copied()
                    .unwrap_or(f64::NAN)
            };
            let value = if name == "holt_winters" {
                holt_winters(window.vs, p(0), p(1))?
            } else {
                apply(name, &window, p(0), &mut scratch)
            };
            if let Some(v) = value {
                points.push(Point { t, v });
            }
        }
        if !points.is_empty() {
            // Only last_over_time keeps the metric name (it acts like offset).
            let labels = if name == "last_over_time" {
                s.labels.clone()
            } else {
                drop_name(&s.labels)
            };
            held += points.len();
            out.push(RangeSeries { labels, points });
        }
        ev.ctx.budget.release(s.timestamps.len());
        ev.ctx.budget.fits(held)?;
    }
    // Checked over the whole result, as engine.go does for range functions.
    check_unique_labels(&out)?;
    Ok(Val::Vector(out))
}

fn apply(name: &str, w: &Window, param: f64, scratch: &mut Vec<f64>) -> Option<f64> {
    let vs = w.vs;
    Some(match name {
        "rate" => extrapolated_rate(w, true, true)?,
        "increase" => extrapolated_rate(w, true, false)?,
        "delta" => extrapolated_rate(w, false, false)?,
        "irate" => instant_value(w, true)?,
        "idelta" => instant_value(w, false)?,
        "deriv" => deriv(w)?,
        "predict_linear" => predict_linear(w, param)?,
        "resets" => over_time::resets(vs),
        "changes" => over_time::changes(vs),
        "avg_over_time" => over_time::avg(vs),
        "min_over_time" => over_time::min(vs),
        "max_over_time" => over_time::max(vs),
        "sum_over_time" => over_time::sum(vs),
        "count_over_time" => vs.len() as f64,
        "last_over_time" => *vs.last()?,
        "present_over_time" => 1.0,
        "stddev_over_time" => over_time::stdvar(vs).sqrt(),
        "stdvar_over_time" => over_time::stdvar(vs),
        "quantile_over_time" => {
            scratch.clear();
            scratch.extend_from_slice(vs);
            over_time::quantile(param, scratch)
        }
        _ => return None,
    })
}

/// `funcHoltWinters`: double exponential smoothing with smoothing factor
/// `sf` and trend factor `tf`, both checked (only for windows that have
/// samples, as there Prometheus calls the function); none below two samples.
fn holt_winters(vs: &[f64], sf: f64, tf: f64) -> Result<Option<f64>, QueryError> {
    // Written as Go's test so that NaN passes, as it does in Prometheus.
    if sf <= 0.0 || sf >= 1.0 {
        return Err(QueryError::Execution(format!(
            "invalid smoothing factor. Expected: 0 < sf < 1, got: {}",
            go_percent_f(sf)
        )));
    }
    if tf <= 0.0 || tf >= 1.0 {
        return Err(QueryError::Execution(format!(
            "invalid trend factor. Expected: 0 < tf < 1, got: {}",
            go_percent_f(tf)
        )));
    }
    let [first, second, ..] = vs else {
        return Ok(None);
    };
    let (mut s0, mut s1, mut b) = (0.0, *first, second - first);
    for (i, v) in vs.iter().enumerate().skip(1) {
        let x = sf * v;
        // `calcTrendValue`: the first step keeps the initial trend.
        if i > 1 {
            b = tf * (s1 - s0) + (1.0 - tf) * b;
        }
        let y = (1.0 - sf) * (s1 + b);
        (s0, s1) = (s1, x + y);
    }
    Ok(Some(s1))
}

/// Go's `%f`: six decimals, `NaN`, `+Inf`, `-Inf`.
fn go_percent_f(v: f64) -> String {
    match v {
        _ if v.is_nan() => "NaN".to_string(),
        f64::INFINITY => "+Inf".to_string(),
        f64::NEG_INFINITY => "-Inf".to_string(),
        _ => format!("{v:.6}"),
    }
}

/// `absent_over_time`: 1 at the steps where no series has a sample in its
/// window (engine.go's special case).
fn absent_over_time(ev: &Evaluator, input: &RangeArg, e: &Expr) -> Result<Val, QueryError> {
    let mut present = vec![false; ev.grid.len()];
    for s in &input.series {
        ev.ctx.check_deadline()?;
        for ((_, w), p) in input.windows(s, ev.grid).zip(present.iter_mut()) {
            *p |= !w.is_empty();
        }
    }
    Ok(absent_result(ev, e, present))
}

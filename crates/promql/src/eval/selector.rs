//! Selecting series: instant vector selectors with the lookback window,
//! range selectors and subqueries as the input of range functions. Each
//! selector reads storage once for the whole grid and walks every series with
//! a cursor, rather than seeking per step.

use promql_parser::parser::{Expr, SubqueryExpr};

use super::{
    DEFAULT_EVAL_INTERVAL_MS, Evaluator, Grid, Point, RangeSeries, duration_ms, is_stale, offset_ms,
};
use crate::parse::selector_matchers;
use crate::{QueryError, Series};

impl Evaluator<'_> {
    /// An instant vector selector, mirroring 2.42's `vectorSelectorSingle`:
    /// the latest sample at or before the reference time is visible when it
    /// is at most `lookback` old — the window is closed on the left — unless
    /// it is a staleness marker. `value` maps (sample time, sample value) to
    /// the point's value, which lets `timestamp()` see sample times.
    pub fn vector_selector(
        &self,
        vs: &promql_parser::parser::VectorSelector,
        value: fn(i64, f64) -> f64,
    ) -> Result<Vec<RangeSeries>, QueryError> {
        let matchers = selector_matchers(vs)?;
        let offset = offset_ms(&vs.offset);
        let at = self.at_ms(&vs.at);
        let reference = |t: i64| at.unwrap_or(t).saturating_sub(offset);
        let lookback = self.ctx.lookback;
        let mint = reference(self.grid.start).saturating_sub(lookback);
        let maxt = reference(self.grid.end);
        self.ctx
            .budget
            .take(self.ctx.storage.count(&matchers, mint, maxt))?;
        let mut out = Vec::new();
        // Points of the result so far: one sample may fill many steps.
        let mut held = 0usize;
        for s in self.ctx.storage.select(&matchers, mint, maxt) {
            self.ctx.check_deadline()?;
            let n = s.timestamps.len().min(s.values.len());
            let (ts, vals) = (&s.timestamps[..n], &s.values[..n]);
            let mut points = Vec::new();
            // Index of the first sample after the reference time.
            let mut next = 0;
            for t in self.grid.times() {
                let r = reference(t);
                next += ts[next..].partition_point(|&st| st <= r);
                let Some(last) = next.checked_sub(1) else {
                    continue;
                };
                let (st, sv) = (ts[last], vals[last]);
                if st < r.saturating_sub(lookback) || is_stale(sv) {
                    continue;
                }
                points.push(Point {
                    t,
                    v: value(st, sv),
                });
            }
            held += points.len();
            self.ctx.budget.fits(held)?;
            if !points.is_empty() {
                out.push(RangeSeries {
                    labels: s.labels,
                    points,
                });
            }
        }
        Ok(out)
    }

    /// The input of a range function: a range selector or a subquery.
    pub fn range_arg(&self, e: &Expr) -> Result<RangeArg, QueryError> {
        match e {
            Expr::Paren(p) => self.range_arg(&p.expr),
            Expr::MatrixSelector(ms) => {
                let range = duration_ms(&ms.range);
                let offset = offset_ms(&ms.vs.offset);
                let at = self.at_ms(&ms.vs.at);
                let arg = RangeArg {
                    series: Vec::new(),
                    range,
                    offset,
                    at,
                };
                let mint = arg.window_end(self.grid.start).saturating_sub(range);
                let maxt = arg.window_end(self.grid.end);
                let matchers = selector_matchers(&ms.vs)?;
                self.ctx
                    .budget
                    .take(self.ctx.storage.count(&matchers, mint, maxt))?;
                let series = self.ctx.storage.select(&matchers, mint, maxt);
                Ok(RangeArg {
                    series: series.into_iter().map(without_stale).collect(),
                    ..arg
                })
            }
            Expr::Subquery(sq) => self.subquery(sq),
            _ => Err(QueryError::BadData(format!(
                "expected a range vector, got expression {e}"
            ))),
        }
    }

    /// A subquery, mirroring engine.go's `*parser.SubqueryExpr` case: the
    /// inner expression is evaluated once over steps aligned to multiples of
    /// the step since the epoch, from the first such step at or after
    /// `first evaluation time - offset - range` to `last evaluation time - offset`.
    fn subquery(&self, sq: &SubqueryExpr) -> Result<RangeArg, QueryError> {
        let range = duration_ms(&sq.range);
        let step = sq
            .step
            .as_ref()
            .map_or(DEFAULT_EVAL_INTERVAL_MS, duration_ms)
            .max(1);
        let arg = RangeArg {
            series: Vec::new(),
            range,
            offset: offset_ms(&sq.offset),
            at: self.at_ms(&sq.at),
        };
        let lowest = arg.window_end(self.grid.start).saturating_sub(range);
        let mut start = lowest.div_euclid(step).saturating_mul(step);
        if start < lowest {
            start = start.saturating_add(step);
        }
        let inner = Evaluator {
            ctx: self.ctx,
            grid: Grid::new(start, arg.window_end(self.grid.end), step)?,
        };
        // Every node inside holds at least a value per step of this grid.
        self.ctx.budget.fits(inner.grid.len())?;
        let series = inner
            .eval_vector(&sq.expr)?
            .into_iter()
            .map(|s| Series {
                labels: s.labels,
                timestamps: s.points.iter().map(|p| p.t).collect(),
                values: s.points.iter().map(|p| p.v).collect(),
            })
            .collect();
        Ok(RangeArg { series, ..arg })
    }
}

/// Raw samples for a range function, with where each step's window lies.
#[derive(Debug)]
pub(crate) struct RangeArg {
    /// Without staleness markers, which range functions never see.
    pub series: Vec<Series>,
    pub range: i64,
    pub offset: i64,
    pub at: Option<i64>,
}

impl RangeArg {
    /// The (included) right edge of the window evaluated at `t`.
    pub fn window_end(&self, t: i64) -> i64 {
        self.at.unwrap_or(t).saturating_sub(self.offset)
    }

    /// The windows of one series along the grid: yields, for each step, the
    /// step time and the index range of the samples in `[end - range, end]`
    /// (both edges included in 2.42, see `matrixIterSlice`).
    pub fn windows<'s>(
        &'s self,
        series: &'s Series,
        grid: Grid,
    ) -> impl Iterator<Item = (i64, std::ops::Range<usize>)> + 's {
        let ts = &series.timestamps[..series.timestamps.len().min(series.values.len())];
        let (mut lo, mut hi) = (0usize, 0usize);
        grid.times().map(move |t| {
            let end = self.window_end(t);
            let start = end.saturating_sub(self.range);
            // The window only moves forward, except with `@` where it stays put.
            if lo > 0 && ts[lo - 1] >= start || hi > 0 && ts[hi - 1] > end {
                lo = 0;
                hi = 0;
            }
            lo += ts[lo..].partition_point(|&x| x < start);
            hi = hi.max(lo);
            hi += ts[hi..].partition_point(|&x| x <= end);
            (t, lo..hi)
        })
    }

    /// The range vector itself at time `t`, as an instant query returns it.
    pub fn matrix_at(&self, t: i64) -> Vec<Series> {
        let grid = Grid {
            start: t,
            end: t,
            step: 1,
        };
        let mut out: Vec<Series> = Vec::new();
        for s in &self.series {
            for (_, w) in self.windows(s, grid) {
                if !w.is_empty() {
                    out.push(Series {
                        labels: s.labels.clone(),
                        timestamps: s.timestamps[w.clone()].to_vec(),
                        values: s.values[w].to_vec(),
                    });
                }
            }
        }
        out.sort_by(|a, b| a.labels.cmp(&b.labels));
        out
    }
}

fn without_stale(mut s: Series) -> Series {
    let n = s.timestamps.len().min(s.values.len());
    let keep: Vec<usize> = (0..n).filter(|&i| !is_stale(s.values[i])).collect();
    if keep.len() != s.values.len() || keep.len() != s.timestamps.len() {
        s.timestamps = keep.iter().map(|&i| s.timestamps[i]).collect();
        s.values = keep.iter().map(|&i| s.values[i]).collect();
    }
    s
}

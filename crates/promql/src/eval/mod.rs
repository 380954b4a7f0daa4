//! The evaluator. Like Prometheus' `evaluator.eval` (promql/engine.go), every
//! node is evaluated once over the whole grid of steps, giving one series per
//! label set with a point at each step where it has a value; operators then
//! walk their operands step by step. An instant query is a grid of one step.

mod selector;
mod steps;

use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use promql_parser::parser::{AtModifier, Expr, Offset};

pub(crate) use selector::RangeArg;
pub(crate) use steps::{Gather, SeriesBuilder};

use crate::{Labels, QueryError, Queryable, Series, aggregate, binary, functions};

/// Prometheus' global evaluation interval, the default subquery step.
pub(super) const DEFAULT_EVAL_INTERVAL_MS: i64 = 60_000;

/// Prometheus' default `--query.max-samples`; grids larger than this are
/// refused before anything is allocated for them.
const MAX_STEPS: i64 = 50_000_000;

/// One value of a series at one step (or one raw sample).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Point {
    pub t: i64,
    pub v: f64,
}

/// A series of an evaluated instant-vector expression: its points lie on the grid.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RangeSeries {
    pub labels: Labels,
    pub points: Vec<Point>,
}

/// The value of a node over the grid.
#[derive(Debug)]
pub(crate) enum Val {
    /// One value per step.
    Scalar(Vec<f64>),
    Str(String),
    Vector(Vec<RangeSeries>),
    /// A range vector; only ever the result of an instant query.
    Matrix(Vec<Series>),
}

impl Val {
    /// The samples and points the value holds.
    fn points(&self) -> usize {
        match self {
            Val::Scalar(v) => v.len(),
            Val::Str(_) => 0,
            Val::Vector(series) => series.iter().map(|s| s.points.len()).sum(),
            Val::Matrix(series) => series.iter().map(|s| s.timestamps.len()).sum(),
        }
    }
}

/// What stays the same for the whole query.
pub(crate) struct Ctx<'a> {
    pub storage: &'a dyn Queryable,
    pub lookback: i64,
    /// None when the timeout is too large to represent.
    pub deadline: Option<Instant>,
    pub cancel: Option<Arc<AtomicBool>>,
    pub budget: Budget,
    /// `@ start()` and `@ end()` refer to the query's own range, even inside subqueries.
    pub query_start: i64,
    pub query_end: i64,
}

impl Ctx<'_> {
    pub fn check_deadline(&self) -> Result<(), QueryError> {
        if self.deadline.is_some_and(|d| Instant::now() > d) {
            return Err(QueryError::Timeout("expression evaluation".to_string()));
        }
        if self
            .cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
        {
            return Err(QueryError::Canceled("expression evaluation".to_string()));
        }
        Ok(())
    }
}

/// The samples and points a query holds at once, against its limit
/// (Prometheus' `--query.max-samples`). Raw samples are counted before
/// they are read and every node's result once it exists; when a node is
/// done, what its children held is released and its own result stays
/// counted until its parent is done with it.
pub(crate) struct Budget {
    limit: usize,
    used: Cell<usize>,
}

impl Budget {
    pub fn new(limit: usize) -> Budget {
        Budget {
            limit,
            used: Cell::new(0),
        }
    }

    /// Takes `n` more, or fails with Prometheus' error when over the limit.
    pub fn take(&self, n: usize) -> Result<(), QueryError> {
        self.fits(n)?;
        self.used.set(self.used.get().saturating_add(n));
        Ok(())
    }

    /// Whether `n` more would still be within the limit: checked while a
    /// node builds its result, before the result is taken as a whole.
    pub fn fits(&self, n: usize) -> Result<(), QueryError> {
        if self.used.get().saturating_add(n) > self.limit {
            return Err(QueryError::Execution(
                "query processing would load too many samples into memory in query execution"
                    .to_string(),
            ));
        }
        Ok(())
    }

    /// Gives back `n` that are no longer held before the node is done.
    pub fn release(&self, n: usize) {
        self.used.set(self.used.get().saturating_sub(n));
    }

    fn used(&self) -> usize {
        self.used.get()
    }

    fn release_to(&self, used: usize) {
        self.used.set(used);
    }
}

/// The evaluation times `start, start+step, … ≤ end`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Grid {
    pub start: i64,
    pub end: i64,
    pub step: i64,
}

impl Grid {
    pub fn new(start: i64, end: i64, step: i64) -> Result<Grid, QueryError> {
        let grid = Grid { start, end, step };
        let too_many = end >= start && end.checked_sub(start).is_none_or(|d| d / step >= MAX_STEPS);
        if step <= 0 || too_many {
            return Err(QueryError::Execution(
                "query processing would load too many samples into memory in query execution"
                    .to_string(),
            ));
        }
        Ok(grid)
    }

    pub fn len(&self) -> usize {
        if self.end < self.start {
            return 0;
        }
        usize::try_from((self.end - self.start) / self.step + 1).unwrap_or(0)
    }

    pub fn times(&self) -> impl Iterator<Item = i64> + use<> {
        let Grid { start, step, .. } = *self;
        (0..self.len() as i64).map(move |i| start + i * step)
    }
}

pub(crate) struct Evaluator<'a> {
    pub ctx: &'a Ctx<'a>,
    pub grid: Grid,
}

impl Evaluator<'_> {
    /// Evaluates a node, keeping the query's sample budget: while it runs,
    /// its children's results and raw samples count; once it is done, only
    /// its own result does.
    pub fn eval(&self, e: &Expr) -> Result<Val, QueryError> {
        self.ctx.check_deadline()?;
        if let Expr::Paren(p) = e {
            return self.eval(&p.expr);
        }
        let before = self.ctx.budget.used();
        let val = self.eval_node(e)?;
        let points = val.points();
        self.ctx.budget.take(points)?;
        self.ctx.budget.release_to(before.saturating_add(points));
        Ok(val)
    }

    fn eval_node(&self, e: &Expr) -> Result<Val, QueryError> {
        match e {
            Expr::NumberLiteral(n) => Ok(Val::Scalar(vec![n.val; self.grid.len()])),
            Expr::StringLiteral(s) => Ok(Val::Str(s.val.clone())),
            Expr::Paren(p) => self.eval(&p.expr),
            Expr::Unary(u) => self.unary_minus(&u.expr),
            Expr::VectorSelector(vs) => Ok(Val::Vector(self.vector_selector(vs, |_, v| v)?)),
            Expr::MatrixSelector(_) | Expr::Subquery(_) => {
                let arg = self.range_arg(e)?;
                Ok(Val::Matrix(arg.matrix_at(self.grid.start)))
            }
            Expr::Call(c) => functions::call(self, c),
            Expr::Aggregate(a) => aggregate::eval(self, a),
            Expr::Binary(b) => binary::eval(self, b),
            Expr::Extension(_) => Err(QueryError::BadData(
                "extension expressions are not supported by understudy".to_string(),
            )),
        }
    }

    pub fn eval_vector(&self, e: &Expr) -> Result<Vec<RangeSeries>, QueryError> {
        match self.eval(e)? {
            Val::Vector(v) => Ok(v),
            _ => Err(type_error("instant vector", e)),
        }
    }

    pub fn eval_scalar(&self, e: &Expr) -> Result<Vec<f64>, QueryError> {
        match self.eval(e)? {
            Val::Scalar(v) => Ok(v),
            _ => Err(type_error("scalar", e)),
        }
    }

    pub fn eval_string(&self, e: &Expr) -> Result<String, QueryError> {
        match self.eval(e)? {
            Val::Str(s) => Ok(s),
            _ => Err(type_error("string", e)),
        }
    }

    /// `-x`: negates and drops `__name__` (engine.go, `*parser.UnaryExpr`).
    fn unary_minus(&self, e: &Expr) -> Result<Val, QueryError> {
        match self.eval(e)? {
            Val::Scalar(mut v) => {
                v.iter_mut().for_each(|x| *x = -*x);
                Ok(Val::Scalar(v))
            }
            Val::Vector(mut series) => {
                for s in &mut series {
                    s.labels = drop_name(&s.labels);
                    s.points.iter_mut().for_each(|p| p.v = -p.v);
                }
                check_unique_labels(&series)?;
                Ok(Val::Vector(series))
            }
            _ => Err(type_error("scalar or instant vector", e)),
        }
    }

    /// The time an `@` modifier pins evaluation to, in ms.
    pub fn at_ms(&self, at: &Option<AtModifier>) -> Option<i64> {
        match at.as_ref()? {
            AtModifier::Start => Some(self.ctx.query_start),
            AtModifier::End => Some(self.ctx.query_end),
            AtModifier::At(t) => Some(system_time_ms(*t)),
        }
    }
}

fn type_error(expected: &str, e: &Expr) -> QueryError {
    QueryError::BadData(format!("expected {expected} in expression {e}"))
}

pub(crate) fn duration_ms(d: &Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

pub(crate) fn offset_ms(o: &Option<Offset>) -> i64 {
    match o {
        None => 0,
        Some(Offset::Pos(d)) => duration_ms(d),
        Some(Offset::Neg(d)) => -duration_ms(d),
    }
}

fn system_time_ms(t: SystemTime) -> i64 {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => duration_ms(&d),
        Err(e) => -duration_ms(&e.duration()),
    }
}

/// The label set without `__name__`, as Prometheus' `dropMetricName`.
pub(crate) fn drop_name(labels: &Labels) -> Labels {
    Labels(
        labels
            .0
            .iter()
            .filter(|(k, _)| k != "__name__")
            .cloned()
            .collect(),
    )
}

/// Prometheus' `Matrix.ContainsSameLabelset` check on a whole result.
pub(crate) fn check_unique_labels(series: &[RangeSeries]) -> Result<(), QueryError> {
    let mut seen = std::collections::HashSet::with_capacity(series.len());
    if series.iter().all(|s| seen.insert(&s.labels)) {
        Ok(())
    } else {
        Err(duplicate_labelset())
    }
}

pub(crate) fn duplicate_labelset() -> QueryError {
    QueryError::Execution("vector cannot contain metrics with the same labelset".to_string())
}

/// Whether `v` is Prometheus' staleness marker (one NaN bit pattern, not any NaN).
pub(crate) fn is_stale(v: f64) -> bool {
    v.to_bits() == 0x7ff0_0000_0000_0002
}

//! [`Engine`]: evaluation settings and the two kinds of query, instant and
//! range, as the HTTP API runs them.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use promql_parser::parser::value::ValueType;

use crate::eval::{Budget, Ctx, Evaluator, Grid, Val};
use crate::{Labels, Matcher, Queryable, Sample, Series, Value, check_nesting, parse};

/// Why a query failed; the kind is Prometheus' `errorType`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// Parse errors, unsupported functions, bad arguments (HTTP 400).
    #[error("{0}")]
    BadData(String),
    /// Evaluation errors such as duplicate label sets or many-to-many matching (HTTP 422).
    #[error("{0}")]
    Execution(String),
    /// Took longer than allowed (HTTP 503).
    #[error("query timed out in {0}")]
    Timeout(String),
    /// The client went away; nobody waits for the answer (HTTP 503).
    #[error("query was canceled in {0}")]
    Canceled(String),
}

/// Prometheus' default `--query.max-samples`.
pub const DEFAULT_MAX_SAMPLES: usize = 50_000_000;

/// Evaluation settings.
#[derive(Debug, Clone)]
pub struct Engine {
    /// How far back an instant selector looks (5 m).
    pub lookback_ms: i64,
    /// Give up after this long.
    pub timeout: std::time::Duration,
    /// The most samples and points one query may hold at once, as
    /// Prometheus' `--query.max-samples`: raw samples read for selectors,
    /// and the points of every intermediate result still alive. Over it,
    /// the query fails with Prometheus' `execution` error.
    pub max_samples: usize,
    /// Set by whoever waits for the answer when it stops waiting (a client
    /// that went away): evaluation then stops at its next check.
    pub cancel: Option<Arc<AtomicBool>>,
}

impl Default for Engine {
    fn default() -> Self {
        Engine {
            lookback_ms: 300_000,
            timeout: std::time::Duration::from_secs(120),
            max_samples: DEFAULT_MAX_SAMPLES,
            cancel: None,
        }
    }
}

impl Engine {
    /// Evaluates `query` at time `t` (ms), as `/api/v1/query`.
    pub fn instant(
        &self,
        storage: &dyn Queryable,
        query: &str,
        t: i64,
    ) -> Result<Value, QueryError> {
        let expr = parse::parse_query(query)?;
        let ctx = self.context(storage, t, t);
        // Prometheus evaluates an instant query as a range of one step of 1 ms.
        let ev = Evaluator {
            ctx: &ctx,
            grid: Grid::new(t, t, 1)?,
        };
        Ok(match ev.eval(&expr)? {
            Val::Scalar(v) => Value::Scalar {
                t,
                v: v.first().copied().unwrap_or(f64::NAN),
            },
            Val::Str(v) => Value::String { t, v },
            Val::Vector(series) => Value::Vector(
                series
                    .into_iter()
                    .filter_map(|s| {
                        let p = s.points.first()?;
                        Some(Sample {
                            t: p.t,
                            v: p.v,
                            labels: s.labels,
                        })
                    })
                    .collect(),
            ),
            Val::Matrix(m) => Value::Matrix(m),
        })
    }

    /// Evaluates `query` at `start, start+step, … ≤ end` (ms), as
    /// `/api/v1/query_range`: a `Value::Matrix` (scalars become a series
    /// with no labels).
    pub fn range(
        &self,
        storage: &dyn Queryable,
        query: &str,
        start: i64,
        end: i64,
        step: i64,
    ) -> Result<Value, QueryError> {
        if step <= 0 {
            return Err(QueryError::BadData(
                "zero or negative query resolution step widths are not accepted. Try a positive integer"
                    .to_string(),
            ));
        }
        if end < start {
            return Err(QueryError::BadData(
                "end timestamp must not be before start time".to_string(),
            ));
        }
        if end.checked_sub(start).is_none_or(|d| d / step > 11_000) {
            return Err(QueryError::BadData(
                "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)"
                    .to_string(),
            ));
        }
        let expr = parse::parse_query(query)?;
        let kind = match expr.value_type() {
            ValueType::Scalar | ValueType::Vector => None,
            ValueType::Matrix => Some("range vector"),
            ValueType::String => Some("string"),
        };
        if let Some(kind) = kind {
            return Err(QueryError::BadData(format!(
                "invalid expression type \"{kind}\" for range query, must be Scalar or instant Vector"
            )));
        }
        let ctx = self.context(storage, start, end);
        let grid = Grid::new(start, end, step)?;
        let ev = Evaluator { ctx: &ctx, grid };
        let mut out: Vec<Series> = match ev.eval(&expr)? {
            Val::Scalar(values) => vec![Series {
                labels: Labels::default(),
                timestamps: grid.times().collect(),
                values,
            }],
            Val::Vector(series) => series
                .into_iter()
                .map(|s| Series {
                    labels: s.labels,
                    timestamps: s.points.iter().map(|p| p.t).collect(),
                    values: s.points.iter().map(|p| p.v).collect(),
                })
                .collect(),
            Val::Str(_) | Val::Matrix(_) => {
                return Err(QueryError::BadData(
                    "invalid expression type for range query, must be Scalar or instant Vector"
                        .to_string(),
                ));
            }
        };
        out.sort_by(|a, b| a.labels.cmp(&b.labels));
        Ok(Value::Matrix(out))
    }

    fn context<'a>(&self, storage: &'a dyn Queryable, start: i64, end: i64) -> Ctx<'a> {
        Ctx {
            storage,
            lookback: self.lookback_ms,
            deadline: Instant::now().checked_add(self.timeout),
            cancel: self.cancel.clone(),
            budget: Budget::new(self.max_samples),
            query_start: start,
            query_end: end,
        }
    }
}

/// The query as Prometheus' `/api/v1/format_query` prints it.
pub fn format_query(query: &str) -> Result<String, QueryError> {
    check_nesting(query)?;
    parse::parse_unchecked(query).map(|e| e.to_string())
}

/// Parses a series selector (`up{job="x"}`, as `match[]` takes) into matchers.
pub fn parse_selector(selector: &str) -> Result<Vec<Matcher>, QueryError> {
    parse::parse_series_selector(selector)
}

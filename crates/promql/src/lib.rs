//! PromQL evaluation over in-memory series, with the semantics of
//! Prometheus 2.42: the replay answers `/api/v1/query` and `query_range`
//! from a recording with it, and the KPIs and plugins query recordings
//! through it.
//!
//! # Brief overview
//! - [`Labels`], [`Series`]: a sorted label set including `__name__`, and
//!   one series' samples (times in ms).
//! - [`Queryable`]: where series come from; [`MemStorage`] holds them in memory.
//! - [`Engine::instant`] and [`Engine::range`] evaluate an expression, giving
//!   a [`Value`] or an [`QueryError`] whose kind maps to Prometheus' `errorType`.
//! - [`check_nesting`], [`EVAL_STACK_BYTES`]: what a server must do before
//!   evaluating a stranger's query, so that one query cannot overflow the
//!   stack.
//!
//! ```
//! use std::sync::Arc;
//! use understudy_promql::{Engine, Labels, MemStorage, Series, Value};
//!
//! let up = |job: &str, values: Vec<f64>| Series {
//!     labels: Labels::new([("__name__".into(), "up".into()), ("job".into(), job.into())]),
//!     timestamps: vec![0, 15_000, 30_000],
//!     values,
//! };
//! let storage = MemStorage {
//!     series: vec![Arc::new(up("api", vec![1.0, 1.0, 0.0])), Arc::new(up("web", vec![1.0; 3]))],
//! };
//! let Value::Vector(v) = Engine::default().instant(&storage, "sum(up)", 30_000)? else {
//!     unreachable!("sum of a selector is an instant vector")
//! };
//! assert_eq!(v[0].v, 1.0);
//! # Ok::<(), understudy_promql::QueryError>(())
//! ```
//!
//! # The decision that explains the rest
//!
//! A dashboard replayed from a recording must read as it read against
//! Prometheus, so the answers are Prometheus 2.42's to the last bit, not
//! PromQL as its documentation describes it. Evaluation follows
//! engine.go's shape (each node evaluated once over the whole grid of
//! steps, `eval`); floats go through ports of Go's `math`, sort and
//! formatting (`gomath`, `format`); a construct 2.42 lacks or this engine
//! does not implement is refused when parsed, never approximated
//! (`parse`); and the differential tests run every query against a real
//! Prometheus 2.42 over the same samples.

mod aggregate;
mod binary;
mod engine;
mod eval;
mod format;
mod functions;
mod gomath;
mod limits;
mod over_time;
mod parse;
mod rate;
mod series;
mod storage;

pub use engine::{DEFAULT_MAX_SAMPLES, Engine, QueryError, format_query, parse_selector};
pub use limits::{EVAL_STACK_BYTES, MAX_NESTING, check_nesting};
pub use series::{Labels, MatchOp, Matcher, Sample, Series, Value};
pub use storage::{MemStorage, Queryable};

//! Grafana dashboard JSON read the way Grafana reads it: panels, their
//! Prometheus targets, and the expressions Grafana actually sends.
//!
//! The recorder evaluates each panel query against the live Prometheus and
//! stores the answer under the exact expression Grafana will later send to
//! replay, so variable substitution here must produce what Grafana 9/10
//! produces byte for byte. The stage dashboard renders the panels itself, so
//! titles, units, legend formats and grid positions are kept too.
//!
//! # Brief overview
//! - [`Dashboard::from_json`] reads a dashboard (bare or in the API's
//!   `{ "dashboard": ..., "meta": ... }` wrapper; collapsed rows; legacy
//!   `rows`) into [`Panel`]s with [`Target`]s and [`Variable`]s. Errors list
//!   every problem with its JSON path.
//! - [`Dashboard::queries`] gives each runnable target as a [`PanelQuery`]
//!   for a [`QueryContext`] (scrape interval, time range, max data points,
//!   `--var` overrides); [`Dashboard::skipped_targets`] says why the others
//!   are not run.
//! - [`selectors`] lists the series selectors inside an expression.
//!
//! ```
//! use std::time::Duration;
//! use understudy_grafana::{Dashboard, QueryContext, selectors};
//!
//! let json = r#"{"title": "t", "panels": [{"id": 1, "type": "timeseries",
//!   "targets": [{"refId": "A", "expr": "rate(x{ns=\"$ns\"}[$__rate_interval])"}]}],
//!   "templating": {"list": [{"name": "ns", "type": "custom", "query": "a,b",
//!   "current": {"value": "a", "text": "a"}}]}}"#;
//! let dashboard = Dashboard::from_json(json)?;
//! let queries = dashboard.queries(&QueryContext::new(Duration::from_secs(3600)));
//! assert_eq!(queries[0].expr, r#"rate(x{ns="a"}[1m0s])"#);
//! assert_eq!(selectors(&queries[0].expr)?, vec![r#"x{ns="a"}"#]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The one decision that explains the rest: Grafana substitutes in two
//! places — dashboard variables in the browser, `$__interval`,
//! `$__rate_interval` and `$__range` in its Prometheus backend, each with its
//! own interval arithmetic — and this crate copies both stages in order
//! rather than one idealised rule (see [`query`] and
//! [`template`] for the rules and their sources).

mod dashboard;
mod error;
pub mod interval;
mod json;
pub mod query;
mod selectors;
pub mod template;
mod variables;

pub use dashboard::{Dashboard, DatasourceRef, GridPos, Panel, SkipReason, Target};
pub use error::{DashboardError, Problem};
pub use query::{PanelQuery, QueryContext, TimeRange};
pub use selectors::selectors;
pub use variables::{
    ALL_VALUE, AutoInterval, Current, Values, VarOption, Variable, VariableKind, custom_options,
};

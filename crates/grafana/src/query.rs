//! The queries Grafana sends to Prometheus for a dashboard.
//!
//! Grafana 9/10 builds a Prometheus query in two places, and this module
//! follows both in order:
//!
//! 1. The browser (`PanelQueryRunner`): `intervalMs = max(roundInterval(range
//!    / maxDataPoints), lowLimit)` with the browser's `roundInterval` and
//!    `lowLimit` the panel's Min interval (`interval`, variables substituted)
//!    or else the data source's scrape interval (`timeInterval`, default
//!    `15s`); `maxDataPoints` is the panel's, else the panel's width in
//!    pixels (here: [`QueryContext::max_data_points`]). Then the data source
//!    substitutes variables in `expr` (see [`crate::template`]), `interval`
//!    and `legendFormat`, mapping `$__interval`/`$__interval_ms` to themselves.
//! 2. The backend (`pkg/promlib/models/query.go`): `minInterval` is the
//!    target's Min step (`interval`) if set and not itself `$__interval`-like,
//!    else `intervalMs`; `calculated = range / maxDataPoints`, raised to
//!    `minInterval`, else rounded with Go's `roundInterval`; `safe =
//!    roundInterval(range / 11000)`; `step = max(calculated, safe) ×
//!    intervalFactor`. `$__rate_interval = max(intervalMs + scrape, 4 ×
//!    scrape)` where `scrape` is the target's Min step if set, else the data
//!    source's scrape interval (if the Min step is `$__rate_interval`, the
//!    step itself is that value). Then plain text replacement, in this order:
//!    `$__interval_ms` (step in ms), `$__interval` (step, `gtime.FormatInterval`:
//!    `15s`, `1m`, `2h`), `$__range_ms`, `$__range_s` (range in s, rounded),
//!    `$__range` (`<s>s`), `$__rate_interval_ms`, `$__rate_interval` (Go's
//!    `Duration.String()`: `1m0s`, `1m15s`), then the same for `${...}` forms.
//!
//! Not done: ad hoc filters, panel repeats, `$__from`/`$__to` for relative
//! ranges, the scope/group-by filters of Grafana 11, Grafana's alignment of
//! the range to the step.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::dashboard::{Dashboard, Panel, Target};
use crate::interval;
use crate::template::{self, DefaultFormat, Scope};

/// The time range of a dashboard view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeRange {
    /// `now-<duration>` to `now`: only the length matters, except that
    /// `$__from`/`$__to` stay unresolved.
    Last(Duration),
    /// Absolute: `$__from` and `$__to` resolve too.
    Absolute {
        /// Start, in milliseconds since the epoch.
        from_ms: i64,
        /// End, in milliseconds since the epoch; before `from_ms` reads as
        /// an empty range.
        to_ms: i64,
    },
}

impl TimeRange {
    fn length_ms(&self) -> i64 {
        match *self {
            TimeRange::Last(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
            TimeRange::Absolute { from_ms, to_ms } => to_ms.saturating_sub(from_ms).max(0),
        }
    }
}

/// What Grafana knows when it runs a panel's queries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryContext {
    /// The data source's "Scrape interval" (`jsonData.timeInterval`); Grafana's
    /// default is 15 s.
    pub scrape_interval: Duration,
    /// The dashboard's time range.
    pub range: TimeRange,
    /// Max data points for panels without `maxDataPoints`. Grafana uses the
    /// panel's width in pixels, which depends on the screen: the recorder
    /// should pass the value of the screen it mimics.
    pub max_data_points: u32,
    /// Variable values from the caller (`--var name=value`, repeated for
    /// several values; `$__all` or `All` selects All). They replace `current`.
    pub overrides: BTreeMap<String, Vec<String>>,
}

impl QueryContext {
    /// A context for the last `range`, a 15 s scrape interval, 1000 data
    /// points (a half-width panel on a 1920-pixel screen) and no overrides.
    pub fn new(range: Duration) -> QueryContext {
        QueryContext {
            scrape_interval: Duration::from_secs(15),
            range: TimeRange::Last(range),
            max_data_points: 1000,
            overrides: BTreeMap::new(),
        }
    }
}

/// One query as Grafana would send it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PanelQuery {
    /// `id` of the panel.
    pub panel_id: Option<i64>,
    /// `title` of the panel.
    pub panel_title: String,
    /// JSON path of the target, e.g. `panels[3].targets[0]`.
    pub path: String,
    /// `refId` of the target.
    pub ref_id: String,
    /// The expression with every variable substituted.
    pub expr: String,
    /// `legendFormat`, variables substituted (`{{label}}` kept).
    pub legend_format: Option<String>,
    /// Run as an instant query.
    pub instant: bool,
    /// Run as a range query (also when neither is set in the JSON).
    pub range: bool,
    /// The step: what `$__interval_ms` became.
    pub interval_ms: i64,
    /// What `$__rate_interval_ms` became.
    pub rate_interval_ms: i64,
    /// References nothing could resolve, as written (`$cluster`): PromQL will
    /// reject the expression.
    pub unresolved: Vec<String>,
    /// Other things worth telling the user.
    pub warnings: Vec<String>,
}

impl PanelQuery {
    /// Every variable was resolved.
    pub fn is_complete(&self) -> bool {
        self.unresolved.is_empty()
    }
}

const NS_PER_MS: i64 = 1_000_000;

impl Dashboard {
    /// The Prometheus queries of every panel, as Grafana would send them for
    /// `ctx`, in panel order; skipped targets are left out (see
    /// [`Dashboard::skipped_targets`]).
    pub fn queries(&self, ctx: &QueryContext) -> Vec<PanelQuery> {
        let range_ms = ctx.range.length_ms();
        let scope = Scope {
            variables: &self.variables,
            overrides: &ctx.overrides,
            dashboard_title: &self.title,
            dashboard_uid: self.uid.as_deref().unwrap_or(""),
            from_to: match ctx.range {
                TimeRange::Absolute { from_ms, to_ms } => Some((from_ms, to_ms)),
                TimeRange::Last(_) => None,
            },
            range_ms: range_ms as f64,
        };
        let mut out = Vec::new();
        for panel in &self.panels {
            for target in panel.targets.iter().filter(|t| t.skip.is_none()) {
                out.push(build(panel, target, ctx, &scope, range_ms));
            }
        }
        out
    }
}

/// A scrape interval as both the browser and Go parse it: `15s`, `500ms`.
fn scrape_text(d: Duration) -> String {
    if d.is_zero() {
        "15s".to_string()
    } else if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

fn build(
    panel: &Panel,
    target: &Target,
    ctx: &QueryContext,
    scope: &Scope<'_>,
    range_ms: i64,
) -> PanelQuery {
    let mut warnings = Vec::new();
    let mut unresolved = Vec::new();
    let scrape = scrape_text(ctx.scrape_interval);

    // 1. The browser's interval.
    let max_data_points = panel
        .max_data_points
        .filter(|&m| m > 0)
        .unwrap_or(i64::from(ctx.max_data_points).max(1));
    let low_limit = match &panel.min_interval {
        Some(min) => {
            let o = template::replace(min, scope, DefaultFormat::Glob);
            unresolved.extend(o.unresolved);
            warnings.extend(o.warnings);
            o.text
        }
        None => scrape.clone(),
    };
    let low_limit_ms = interval::browser_interval_to_ms(&low_limit).unwrap_or_else(|| {
        warnings.push(format!(
            "panel min interval {low_limit:?} is not an interval; Grafana would fail the panel"
        ));
        1.0
    });
    let interval_ms_browser = interval::browser_calculate_interval_ms(
        range_ms as f64,
        max_data_points as f64,
        low_limit_ms,
    );

    // 2. The data source's template substitution.
    let expr_raw = target.expr.as_deref().unwrap_or("");
    let expr = template::replace(expr_raw, scope, DefaultFormat::Prometheus);
    unresolved.extend(expr.unresolved);
    warnings.extend(expr.warnings);
    let legend_format = target.legend_format.as_deref().map(|l| {
        let o = template::replace(l, scope, DefaultFormat::Glob);
        warnings.extend(o.warnings);
        o.text
    });
    let min_step = target.interval.as_deref().map(|i| {
        let o = template::replace(i, scope, DefaultFormat::Glob);
        unresolved.extend(o.unresolved);
        warnings.extend(o.warnings);
        o.text
    });

    // 3. The backend's step and built-in variables.
    let query_interval_ns = (interval_ms_browser as i64).saturating_mul(NS_PER_MS);
    let min_step = min_step.unwrap_or_default();
    let is_rate = matches!(min_step.as_str(), "$__rate_interval" | "${__rate_interval}");
    let is_variable = is_rate
        || matches!(
            min_step.as_str(),
            "$__interval"
                | "${__interval}"
                | "$__interval_ms"
                | "${__interval_ms}"
                | "$__rate_interval_ms"
                | "${__rate_interval_ms}"
        );
    let requested = if is_variable || min_step == "0s" {
        ""
    } else {
        min_step.as_str()
    };
    let min_interval_ns = if requested.is_empty() {
        query_interval_ns
    } else {
        interval::parse_grafana_interval(requested).unwrap_or_else(|| {
            warnings.push(format!(
                "min step {requested:?} is not an interval; Grafana would fail the query"
            ));
            query_interval_ns
        })
    };
    let range_ns = range_ms.saturating_mul(NS_PER_MS);
    let calculated = range_ns / max_data_points;
    let calculated = if calculated < min_interval_ns {
        min_interval_ns
    } else {
        interval::round_interval(calculated)
    };
    let safe = interval::round_interval(range_ns / 11_000);
    let adjusted = calculated.max(safe);
    let rate_of = |query_interval: i64, scrape_text: &str| -> i64 {
        let s = if scrape_text.is_empty() {
            "15s"
        } else {
            scrape_text
        };
        match interval::parse_grafana_interval(s) {
            Some(scrape) => query_interval
                .saturating_add(scrape)
                .max(scrape.saturating_mul(4)),
            None => 0,
        }
    };
    let step = if is_rate {
        rate_of(adjusted, &scrape)
    } else {
        adjusted.saturating_mul(target.interval_factor.filter(|&f| f > 0).unwrap_or(1))
    };
    let rate_interval = if is_rate {
        step
    } else {
        let requested = match min_step.as_str() {
            "$__interval" | "${__interval}" => interval::go_duration_string(step),
            "" => scrape.clone(),
            other => other.to_string(),
        };
        rate_of(query_interval_ns, &requested)
    };
    let range_s = (range_ms as f64 / 1000.0).round() as i64;
    let step_ms = step / NS_PER_MS;
    let rate_ms = rate_interval / NS_PER_MS;
    let mut text = expr.text;
    for (alt, (from, to)) in [false, true].into_iter().flat_map(|alt| {
        [
            ("__interval_ms", step_ms.to_string()),
            ("__interval", interval::format_interval(step)),
            ("__range_ms", range_ms.to_string()),
            ("__range_s", range_s.to_string()),
            ("__range", format!("{range_s}s")),
            ("__rate_interval_ms", rate_ms.to_string()),
            (
                "__rate_interval",
                interval::go_duration_string(rate_interval),
            ),
        ]
        .into_iter()
        .map(move |pair| (alt, pair))
    }) {
        let pattern = if alt {
            format!("${{{from}}}")
        } else {
            format!("${from}")
        };
        text = text.replace(&pattern, &to);
    }
    unresolved.dedup();

    PanelQuery {
        panel_id: panel.id,
        panel_title: panel.title.clone(),
        path: target.path.clone(),
        ref_id: target.ref_id.clone(),
        expr: text,
        legend_format,
        instant: target.instant,
        range: target.range || !target.instant,
        interval_ms: step_ms,
        rate_interval_ms: rate_ms,
        unresolved,
        warnings,
    }
}

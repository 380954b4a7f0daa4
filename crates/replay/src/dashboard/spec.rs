//! What the page draws: a Grafana dashboard's panels with their PromQL as
//! Grafana would send it (variables substituted), its time range and
//! refresh.

use std::time::Duration;

use serde::Serialize;
use understudy_grafana::{Dashboard, DashboardError, QueryContext};

/// The dashboard the page shows when none is given: the talk's, the one in
/// deploy/grafana.
pub const DEFAULT_DASHBOARD: &str =
    include_str!("../../../../deploy/grafana/dashboards/autoscaling.json");

/// Where the numbers come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// `understudy replay`: the replay clock and controls.
    Replay,
    /// `understudy dashboard --prometheus URL`: wall-clock time, a real
    /// Prometheus.
    Live,
}

/// `/dashboard/spec.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Spec {
    /// The Grafana dashboard's title.
    pub title: String,
    /// Replay or live, which decides where "now" comes from.
    pub mode: Mode,
    /// The dashboard's time range, ending at "now".
    pub range_ms: i64,
    /// How often the page updates.
    pub refresh_ms: i64,
    /// The smallest step of a query (the scrape interval).
    pub min_step_ms: i64,
    /// The panels drawn, in the dashboard's order.
    pub panels: Vec<PanelSpec>,
    /// Things in the dashboard the page does not do.
    pub notes: Vec<String>,
}

/// One time series panel of the page.
#[derive(Debug, Clone, Serialize)]
pub struct PanelSpec {
    /// Unique among the panels; the element id is `panel-<id>`.
    pub id: String,
    /// The panel's title.
    pub title: String,
    /// Grafana's unit id (`percentunit`, `cores`, `mps`, `short`, …).
    pub unit: String,
    /// Its targets, in order.
    pub queries: Vec<QuerySpec>,
}

/// One target of a panel.
#[derive(Debug, Clone, Serialize)]
pub struct QuerySpec {
    /// The PromQL, dashboard variables substituted.
    pub expr: String,
    /// `legendFormat` (`{{pod}}`), if any.
    pub legend: Option<String>,
}

impl Spec {
    /// The page of a Grafana dashboard's JSON. Panels without a query that
    /// can run (rows, text, other data sources) are left out and noted.
    pub fn from_grafana(json: &str, mode: Mode) -> Result<Spec, DashboardError> {
        let dashboard = Dashboard::from_json(json)?;
        let raw: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
        // `time.from` is `now-15m` in the talk's dashboard; a relative range
        // is all a page that follows "now" can show.
        let range = raw["time"]["from"]
            .as_str()
            .and_then(|f| f.strip_prefix("now-"))
            .and_then(|d| humantime::parse_duration(d).ok())
            .unwrap_or(Duration::from_secs(15 * 60));
        let ctx = QueryContext::new(range);
        let queries = dashboard.queries(&ctx);
        let mut panels: Vec<PanelSpec> = Vec::new();
        let mut min_step_ms = i64::MAX;
        let mut notes: Vec<String> = dashboard.notes.clone();
        for (i, panel) in dashboard.panels.iter().enumerate() {
            let mine: Vec<_> = queries
                .iter()
                .filter(|q| q.path.starts_with(&format!("{}.targets[", panel.path)))
                .collect();
            if mine.is_empty() {
                if panel.kind != "row" && !panel.targets.is_empty() {
                    notes.push(format!(
                        "panel {:?}: no Prometheus query to run",
                        panel.title
                    ));
                }
                continue;
            }
            for q in &mine {
                if !q.is_complete() {
                    notes.push(format!(
                        "panel {:?}: {} could not be resolved",
                        panel.title,
                        q.unresolved.join(", ")
                    ));
                }
                min_step_ms = min_step_ms.min(q.interval_ms.max(1000));
            }
            panels.push(PanelSpec {
                id: panel.id.map_or_else(|| i.to_string(), |id| id.to_string()),
                title: panel.title.clone(),
                unit: panel.unit.clone().unwrap_or_default(),
                queries: mine
                    .iter()
                    .map(|q| QuerySpec {
                        expr: q.expr.clone(),
                        legend: q.legend_format.clone(),
                    })
                    .collect(),
            });
        }
        Ok(Spec {
            title: dashboard.title,
            mode,
            range_ms: range.as_millis() as i64,
            refresh_ms: 1000,
            min_step_ms: if min_step_ms == i64::MAX {
                15_000
            } else {
                min_step_ms
            },
            panels,
            notes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_talks_dashboard_becomes_seven_panels_with_their_promql() {
        let spec =
            Spec::from_grafana(DEFAULT_DASHBOARD, Mode::Replay).expect("the bundled dashboard");
        assert_eq!(spec.panels.len(), 7);
        assert_eq!(spec.range_ms, 15 * 60_000);
        let replicas = &spec.panels[0];
        assert_eq!(replicas.title, "Replicas per HPA");
        assert!(
            replicas.queries[0]
                .expr
                .contains("namespace=\"meme-generator\""),
            "{:?}",
            replicas.queries
        );
        let cpu = spec
            .panels
            .iter()
            .find(|p| p.title == "CPU by pod")
            .expect("cpu");
        assert!(
            !cpu.queries[0].expr.contains("$__rate_interval"),
            "{:?}",
            cpu.queries
        );
        assert_eq!(cpu.unit, "cores");
        assert_eq!(spec.min_step_ms, 15_000);
    }
}

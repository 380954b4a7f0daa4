//! What a `[[source.prometheus]]` records: its queries (its own and those
//! of its dashboards, substituted as Grafana would send them) and its
//! selectors (its own and those inside every query, so replay can also
//! evaluate expressions nobody recorded).

use understudy_grafana::{Dashboard, QueryContext, TimeRange};

use crate::config::PromConfig;
use crate::source::NamedQuery;

/// What [`plan`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// The config's queries, then its dashboards' targets with their
    /// variables substituted.
    pub queries: Vec<NamedQuery>,
    /// Every selector to fetch raw: the config's and those inside the
    /// queries, each once.
    pub selectors: Vec<String>,
    /// Dashboard targets left out, and why (an unresolved variable would
    /// make Prometheus refuse the query).
    pub skipped: Vec<String>,
}

/// The queries and selectors of `config`; an error names the dashboard
/// file or query that cannot be used.
pub fn plan(config: &PromConfig) -> Result<Plan, String> {
    let mut plan = Plan {
        queries: config
            .queries
            .iter()
            .map(|(name, expr)| NamedQuery {
                name: name.clone(),
                expr: expr.clone(),
            })
            .collect(),
        selectors: config.selectors.clone(),
        skipped: Vec::new(),
    };
    for path in &config.dashboards {
        let shown = path.display();
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("dashboards: cannot read {shown}: {e}"))?;
        let dashboard =
            Dashboard::from_json(&text).map_err(|e| format!("dashboards: {shown}: {e}"))?;
        let mut ctx = QueryContext::new(config.dashboard_range);
        ctx.scrape_interval = config.scrape_interval;
        ctx.range = TimeRange::Last(config.dashboard_range);
        ctx.overrides = config
            .dashboard_vars
            .iter()
            .map(|(k, v)| (k.clone(), vec![v.clone()]))
            .collect();
        for q in dashboard.queries(&ctx) {
            let name = format!("{}/{}/{}", dashboard.title, q.panel_title, q.ref_id);
            if !q.is_complete() {
                plan.skipped.push(format!(
                    "{shown}: {name}: unresolved {} in {:?}",
                    q.unresolved.join(", "),
                    q.expr
                ));
                continue;
            }
            if !plan.queries.iter().any(|have| have.expr == q.expr) {
                plan.queries.push(NamedQuery { name, expr: q.expr });
            }
        }
    }
    for q in &plan.queries {
        let found = understudy_grafana::selectors(&q.expr)
            .map_err(|e| format!("query {} = {:?}: {e}", q.name, q.expr))?;
        plan.selectors.extend(found);
    }
    let mut seen = std::collections::HashSet::new();
    plan.selectors.retain(|s| seen.insert(s.clone()));
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(json: serde_json::Value) -> PromConfig {
        serde_json::from_value(json).expect("config")
    }

    #[test]
    fn the_bundled_dashboard_becomes_queries_and_selectors() {
        let dashboard = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../deploy/grafana/dashboards/autoscaling.json"
        );
        let plan = plan(&config(serde_json::json!({
            "url": "http://127.0.0.1:9090",
            "selectors": ["up"],
            "queries": {"pending": "sum(jetstream_consumer_num_pending)"},
            "dashboards": [dashboard],
            "dashboard_vars": {"namespace": "other"},
        })))
        .expect("plan");
        assert!(plan.skipped.is_empty(), "{:?}", plan.skipped);
        assert_eq!(plan.queries[0].name, "pending");
        assert!(plan.queries.len() > 5);
        let cpu = plan
            .queries
            .iter()
            .find(|q| q.expr.contains("container_cpu_usage_seconds_total"))
            .expect("the CPU panel");
        assert!(
            cpu.expr.contains(r#"namespace="other""#) && cpu.expr.contains("[1m0s]"),
            "variables substituted as Grafana would: {}",
            cpu.expr
        );
        assert_eq!(plan.selectors[0], "up");
        assert!(
            plan.selectors
                .contains(&"jetstream_consumer_num_pending".to_owned())
        );
        assert!(
            plan.selectors
                .iter()
                .any(|s| s.starts_with("container_cpu_usage_seconds_total{")
                    && s.contains(r#"namespace="other""#)),
            "{:?}",
            plan.selectors
        );
        let unique: std::collections::HashSet<_> = plan.selectors.iter().collect();
        assert_eq!(unique.len(), plan.selectors.len());
    }

    #[test]
    fn a_missing_or_broken_dashboard_is_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("nope.json");
        let e = plan(&config(
            serde_json::json!({"url": "http://p", "dashboards": [missing]}),
        ))
        .expect_err("missing");
        assert!(e.contains("nope.json") && e.contains("cannot read"), "{e}");
        let broken = dir.path().join("broken.json");
        std::fs::write(&broken, "{\"panels\": 3}").expect("write");
        let e = plan(&config(
            serde_json::json!({"url": "http://p", "dashboards": [broken]}),
        ))
        .expect_err("broken");
        assert!(e.contains("broken.json") && e.contains("panels"), "{e}");
    }
}

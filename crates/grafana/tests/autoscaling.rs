//! The project's own dashboard, deploy/grafana/dashboards/autoscaling.json:
//! every expression exactly as Grafana 10 sends it, and its selectors.

use std::time::Duration;

use understudy_grafana::{Dashboard, QueryContext, selectors};

fn dashboard() -> Dashboard {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/grafana/dashboards/autoscaling.json"
    );
    let text = std::fs::read_to_string(path).expect("the project's dashboard is readable");
    Dashboard::from_json(&text).expect("the project's dashboard is valid")
}

/// (panel id, refId, expression, selectors) for the dashboard's own range
/// (`now-15m`), a 15 s scrape interval and 1000 data points: `$__interval`
/// is 15 s (the scrape interval wins over 900 ms), `$__rate_interval` is
/// max(15 s + 15 s, 4 × 15 s) = 60 s, printed by Go as `1m0s`.
const EXPECTED: &[(i64, &str, &str, &[&str])] = &[
    (
        1,
        "A",
        r#"kube_horizontalpodautoscaler_status_current_replicas{namespace="meme-generator"}"#,
        &[r#"kube_horizontalpodautoscaler_status_current_replicas{namespace="meme-generator"}"#],
    ),
    (
        1,
        "B",
        r#"kube_horizontalpodautoscaler_status_desired_replicas{namespace="meme-generator"}"#,
        &[r#"kube_horizontalpodautoscaler_status_desired_replicas{namespace="meme-generator"}"#],
    ),
    (
        1,
        "C",
        r#"kube_deployment_spec_replicas{namespace="meme-generator"}"#,
        &[r#"kube_deployment_spec_replicas{namespace="meme-generator"}"#],
    ),
    (
        2,
        "A",
        "sum by (stream_name, consumer_name) (jetstream_consumer_num_pending)",
        &["jetstream_consumer_num_pending"],
    ),
    (
        2,
        "B",
        "sum by (stream_name, consumer_name) (jetstream_consumer_num_ack_pending)",
        &["jetstream_consumer_num_ack_pending"],
    ),
    (
        3,
        "A",
        r#"sum by (pod) (rate(container_cpu_usage_seconds_total{namespace="meme-generator", container!=""}[1m0s]))"#,
        &[r#"container_cpu_usage_seconds_total{container!="",namespace="meme-generator"}"#],
    ),
    (
        4,
        "A",
        r#"sum by (pod) (rate(container_cpu_cfs_throttled_periods_total{namespace="meme-generator"}[1m0s])) / clamp_min(sum by (pod) (rate(container_cpu_cfs_periods_total{namespace="meme-generator"}[1m0s])), 1)"#,
        &[
            r#"container_cpu_cfs_throttled_periods_total{namespace="meme-generator"}"#,
            r#"container_cpu_cfs_periods_total{namespace="meme-generator"}"#,
        ],
    ),
    (
        5,
        "A",
        r#"sum(rate(meme_generator_success_total{namespace="meme-generator"}[5m])) / clamp_min(sum(rate(container_cpu_usage_seconds_total{namespace="meme-generator", container!=""}[5m])), 0.0001) or on() vector(0)"#,
        &[
            r#"meme_generator_success_total{namespace="meme-generator"}"#,
            r#"container_cpu_usage_seconds_total{container!="",namespace="meme-generator"}"#,
        ],
    ),
    (
        5,
        "B",
        r#"memegenerator_pod_productivity{namespace="meme-generator"}"#,
        &[r#"memegenerator_pod_productivity{namespace="meme-generator"}"#],
    ),
    (
        6,
        "A",
        r#"sum(rate(meme_generator_success_total{namespace="meme-generator"}[1m0s]))"#,
        &[r#"meme_generator_success_total{namespace="meme-generator"}"#],
    ),
    (
        7,
        "A",
        r#"sum by (phase) (kube_pod_status_phase{namespace="meme-generator"})"#,
        &[r#"kube_pod_status_phase{namespace="meme-generator"}"#],
    ),
];

#[test]
fn every_expression_as_grafana_sends_it() {
    let d = dashboard();
    let queries = d.queries(&QueryContext::new(Duration::from_secs(15 * 60)));
    let got: Vec<(i64, &str, &str)> = queries
        .iter()
        .map(|q| (q.panel_id.unwrap_or(-1), q.ref_id.as_str(), q.expr.as_str()))
        .collect();
    let want: Vec<(i64, &str, &str)> = EXPECTED.iter().map(|e| (e.0, e.1, e.2)).collect();
    assert_eq!(got, want);
    for q in &queries {
        assert!(q.is_complete(), "{}: {:?}", q.path, q.unresolved);
        assert!(q.warnings.is_empty(), "{}: {:?}", q.path, q.warnings);
        assert!(q.range && !q.instant);
        assert_eq!((q.interval_ms, q.rate_interval_ms), (15_000, 60_000));
    }
    assert_eq!(d.skipped_targets().count(), 0);
    assert!(d.notes.is_empty(), "{:?}", d.notes);
}

#[test]
fn selectors_of_every_expression() {
    let d = dashboard();
    for (q, e) in d
        .queries(&QueryContext::new(Duration::from_secs(15 * 60)))
        .iter()
        .zip(EXPECTED)
    {
        assert_eq!(selectors(&q.expr).expect("valid PromQL"), e.3, "{}", q.path);
    }
}

#[test]
fn panel_metadata_is_kept() {
    let d = dashboard();
    assert_eq!(d.title, "Autoscaling: conflict vs harmony");
    assert_eq!(d.uid.as_deref(), Some("understudy-autoscaling"));
    assert_eq!(d.panels.len(), 7);
    let cpu = &d.panels[2];
    assert_eq!(
        (
            cpu.id,
            cpu.title.as_str(),
            cpu.kind.as_str(),
            cpu.unit.as_deref()
        ),
        (Some(3), "CPU by pod", "timeseries", Some("cores"))
    );
    let pos = cpu.grid_pos.expect("gridPos");
    assert_eq!((pos.x, pos.y, pos.w, pos.h), (0, 9, 12, 9));
    assert_eq!(cpu.targets[0].legend_format.as_deref(), Some("{{pod}}"));
    let ds = cpu.datasource.as_ref().expect("datasource");
    assert_eq!(
        (ds.kind.as_deref(), ds.uid.as_deref()),
        (Some("prometheus"), Some("${datasource}"))
    );
}

/// Over a day, 1000 points make the browser's interval 86.4 s → 1 m, so
/// `$__rate_interval` is 1 m + 15 s, which Go prints as `1m15s`.
#[test]
fn rate_interval_follows_the_range() {
    let d = dashboard();
    let q = d.queries(&QueryContext::new(Duration::from_secs(24 * 3600)));
    assert_eq!(
        q[5].expr,
        r#"sum by (pod) (rate(container_cpu_usage_seconds_total{namespace="meme-generator", container!=""}[1m15s]))"#
    );
    assert_eq!((q[5].interval_ms, q[5].rate_interval_ms), (60_000, 75_000));
}

#[test]
fn overrides_replace_current_values() {
    let d = dashboard();
    let mut ctx = QueryContext::new(Duration::from_secs(15 * 60));
    ctx.overrides
        .insert("namespace".into(), vec!["demo.v2".into()]);
    let q = d.queries(&ctx);
    // Neither multi nor All: the value is not regex-escaped.
    assert_eq!(
        q[0].expr,
        r#"kube_horizontalpodautoscaler_status_current_replicas{namespace="demo.v2"}"#
    );
}

/// Every prefix of the real dashboard is rejected cleanly, never with a panic.
#[test]
fn truncated_dashboards_fail_cleanly() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/grafana/dashboards/autoscaling.json"
    );
    let text = std::fs::read_to_string(path).expect("readable");
    let ctx = QueryContext::new(Duration::from_secs(3600));
    for end in (0..text.len())
        .step_by(11)
        .filter(|&i| text.is_char_boundary(i))
    {
        let prefix = &text[..end];
        if let Ok(d) = Dashboard::from_json(prefix) {
            for q in d.queries(&ctx) {
                let _ = selectors(&q.expr);
            }
        }
        assert!(
            Dashboard::from_json(prefix).is_err(),
            "prefix of {end} bytes accepted"
        );
    }
}

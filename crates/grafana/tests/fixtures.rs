//! Hand-made dashboards covering what the project's own does not: the export
//! wrapper, collapsed rows, legacy rows, multi-value and All variables,
//! formats, interval variables, `$__range`, skipped targets.

use std::time::Duration;

use understudy_grafana::{
    Dashboard, GridPos, QueryContext, SkipReason, TimeRange, Values, VariableKind, selectors,
};

fn load(name: &str) -> Dashboard {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("fixture readable");
    Dashboard::from_json(&text).expect("fixture valid")
}

fn hour() -> QueryContext {
    QueryContext::new(Duration::from_secs(3600))
}

#[test]
fn stage_export_expressions() {
    let d = load("stage-export.json");
    let got: Vec<(Option<i64>, String, String)> = d
        .queries(&hour())
        .into_iter()
        .map(|q| (q.panel_id, q.ref_id, q.expr))
        .collect();
    let want: Vec<(Option<i64>, &str, &str)> = vec![
        // Multi-value, two selected: regex alternation.
        (
            Some(1),
            "A",
            r#"sum by (namespace) (kube_deployment_spec_replicas{namespace=~"(meme-generator|kube-system)"})"#,
        ),
        // `${namespace:regex}`; All without allValue: every option, each
        // escaped for a regex inside a PromQL string (`\\.`); All with
        // allValue: the allValue as is; interval variable.
        (
            Some(3),
            "A",
            r#"sum by (container) (rate(container_cpu_usage_seconds_total{namespace=~"(meme-generator|kube-system)", container=~"(app|sidecar\\.v2)", pod=~".+"}[5m]))"#,
        ),
        // `${var:pipe}`, `[[var]]` of a constant, `${var:csv}`.
        (
            Some(3),
            "B",
            r#"label_replace(count by (namespace) (kube_pod_info{namespace=~"meme-generator|kube-system", job="kubelet"}), "selected", "meme-generator,kube-system", "", "")"#,
        ),
        // `$__range` over one hour.
        (
            Some(4),
            "A",
            r#"sum(increase(container_cpu_cfs_throttled_seconds_total{namespace=~"(meme-generator|kube-system)"}[3600s]))"#,
        ),
        (
            Some(7),
            "A",
            r#"histogram_quantile(0.99, sum by (le) (rate(kubelet_http_requests_duration_seconds_bucket{job="kubelet"}[1m0s])))"#,
        ),
        // Min step 1m: the step is 1m, and the scrape interval used for
        // `$__rate_interval` is the min step: max(15s + 1m, 4 × 1m).
        (
            Some(7),
            "C",
            r#"avg_over_time(up{job="kubelet"}[1m]) + 0 * rate(up{job="kubelet"}[4m0s])"#,
        ),
        (Some(8), "A", r#"up{cluster="$cluster"}"#),
    ];
    let got: Vec<(Option<i64>, &str, &str)> = got
        .iter()
        .map(|(p, r, e)| (*p, r.as_str(), e.as_str()))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn stage_export_details() {
    let d = load("stage-export.json");
    let q = d.queries(&hour());
    // Panel min interval 30s beats 3600 s / 500 points = 7.2 s.
    assert_eq!((q[1].interval_ms, q[1].rate_interval_ms), (30_000, 60_000));
    // Legend formats use the glob format.
    assert_eq!(
        q[2].legend_format.as_deref(),
        Some("{{namespace}} of {meme-generator,kube-system}")
    );
    assert!(q[3].instant && !q[3].range);
    assert_eq!((q[5].interval_ms, q[5].rate_interval_ms), (60_000, 240_000));
    // The unknown variable is kept and reported.
    assert_eq!(q[6].unresolved, vec!["$cluster".to_string()]);
    assert!(!q[6].is_complete());
    assert!(
        q[..6]
            .iter()
            .all(|q| q.is_complete() && q.warnings.is_empty())
    );
    let selectors_of_b = selectors(&q[2].expr).expect("valid PromQL");
    assert_eq!(
        selectors_of_b,
        vec![r#"kube_pod_info{job="kubelet",namespace=~"meme-generator|kube-system"}"#]
    );
    for q in &q[..6] {
        selectors(&q.expr).unwrap_or_else(|e| panic!("{}: {e}", q.path));
    }
}

#[test]
fn stage_export_skips_and_notes() {
    let d = load("stage-export.json");
    let skipped: Vec<(&str, &SkipReason)> = d
        .skipped_targets()
        .map(|(_, t, r)| (t.path.as_str(), r))
        .collect();
    assert_eq!(skipped.len(), 3);
    assert_eq!(
        skipped[0],
        ("dashboard.panels[0].targets[1]", &SkipReason::Hidden)
    );
    assert!(matches!(skipped[1].1, SkipReason::NotPrometheus(s) if s.contains("loki")));
    assert!(
        matches!(skipped[2].1, SkipReason::NotPrometheus(s) if s.contains("testdata")),
        "{skipped:?}"
    );
    assert_eq!(d.notes.len(), 1);
    assert!(
        d.notes[0].contains("ad hoc variable $Filters ignored"),
        "{:?}",
        d.notes
    );
}

#[test]
fn stage_export_panels_and_variables() {
    let d = load("stage-export.json");
    assert_eq!(d.title, "Meme generator: stage");
    let summary: Vec<(Option<i64>, &str, Option<&str>)> = d
        .panels
        .iter()
        .map(|p| (p.id, p.kind.as_str(), p.row.as_deref()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (Some(1), "timeseries", None),
            (Some(2), "row", None),
            (Some(3), "timeseries", Some("Details")),
            (Some(4), "stat", Some("Details")),
            (Some(5), "logs", None),
            (Some(6), "text", None),
            (Some(7), "timeseries", None),
            (Some(8), "timeseries", None),
        ]
    );
    assert_eq!(d.panels[1].collapsed, Some(true));
    assert_eq!(d.panels[2].min_interval.as_deref(), Some("30s"));
    assert_eq!(d.panels[2].max_data_points, Some(500));
    assert_eq!(d.panels[3].unit.as_deref(), Some("s"));
    let container = d.variable("container").expect("variable");
    assert_eq!(container.kind, VariableKind::Custom);
    assert_eq!(container.options.len(), 2, "options parsed from the query");
    let pod = d.variable("pod").expect("variable");
    assert_eq!(
        pod.query.as_deref(),
        Some(r#"label_values(kube_pod_info{namespace=~"$namespace"}, pod)"#)
    );
    let ns = d.variable("namespace").expect("variable");
    assert_eq!(
        ns.current.as_ref().map(|c| &c.value),
        Some(&Values::Many(vec![
            "meme-generator".into(),
            "kube-system".into()
        ]))
    );
    assert_eq!(
        d.variable("job").map(|v| v.kind.clone()),
        Some(VariableKind::Constant)
    );
}

#[test]
fn overrides_like_var_flags() {
    let d = load("stage-export.json");
    let mut ctx = hour();
    ctx.overrides
        .insert("namespace".into(), vec!["monitoring".into()]);
    ctx.overrides
        .insert("container".into(), vec!["app".into(), "sidecar.v2".into()]);
    ctx.overrides.insert("pod".into(), vec!["api-0".into()]);
    // The auto option of an interval variable: 1 h / 30 steps = 2 m.
    ctx.overrides
        .insert("window".into(), vec!["$__auto_interval_window".into()]);
    ctx.overrides
        .insert("cluster".into(), vec!["ignored: not a variable".into()]);
    let q = d.queries(&ctx);
    assert_eq!(
        q[1].expr,
        r#"sum by (container) (rate(container_cpu_usage_seconds_total{namespace=~"monitoring", container=~"(app|sidecar\\.v2)", pod=~"api-0"}[2m]))"#
    );
    assert_eq!(q[6].unresolved, vec!["$cluster".to_string()]);
}

#[test]
fn absolute_range_resolves_from_and_to() {
    let json = r#"{"panels": [{"id": 1, "targets": [{"refId": "A",
        "expr": "up + $__from - ${__to} + $__range_ms + $__range_s + ${__dashboard} + ${__dashboard.uid}"}]}],
        "title": "t", "uid": "u"}"#;
    let d = Dashboard::from_json(json).expect("valid");
    let mut ctx = hour();
    ctx.range = TimeRange::Absolute {
        from_ms: 1_000_000,
        to_ms: 1_090_500,
    };
    let q = &d.queries(&ctx)[0];
    assert_eq!(q.expr, "up + 1000000 - 1090500 + 90500 + 91 + t + u");
    assert!(q.is_complete());
    ctx.range = TimeRange::Last(Duration::from_secs(60));
    assert_eq!(d.queries(&ctx)[0].unresolved, vec!["$__from", "${__to}"]);
}

#[test]
fn formats() {
    let json = r#"{"panels": [{"id": 1, "targets": [
        {"refId": "A", "expr": "${v:raw} ${v:regex} ${v:pipe} ${v:csv} ${v:json} ${v:glob} ${v:text} ${v:queryparam} ${v:singlequote} ${v:doublequote} ${v:distributed} ${v:percentencode}"},
        {"refId": "B", "expr": "${one:json} ${one:regex} $one [[one:raw]] ${one:lucene}"}]}],
        "templating": {"list": [
          {"name": "v", "type": "custom", "multi": true, "query": "a.b,c d",
           "current": {"text": ["a.b", "c d"], "value": ["a.b", "c d"]}},
          {"name": "one", "type": "textbox", "query": "x'y\\z"}]}}"#;
    let d = Dashboard::from_json(json).expect("valid");
    let q = d.queries(&hour());
    assert_eq!(
        q[0].expr,
        r#"a.b,c d (a\.b|c d) a.b|c d a.b,c d ["a.b","c d"] {a.b,c d} a.b + c d var-v=a.b&var-v=c%20d 'a.b','c d' "a.b","c d" a.b,v=c d %7Ba.b%2Cc%20d%7D"#
    );
    // A single-value variable without All: only `\` and `'` are escaped.
    assert_eq!(q[1].expr, r#""x'y\\z" x'y\\z x\\'y\\z x'y\z x'y\z"#);
    assert_eq!(q[1].warnings.len(), 1, "{:?}", q[1].warnings);
}

#[test]
fn legacy_rows() {
    let d = load("legacy-rows.json");
    let summary: Vec<(&str, &str, Option<GridPos>, Option<&str>)> = d
        .panels
        .iter()
        .map(|p| {
            (
                p.path.as_str(),
                p.kind.as_str(),
                p.grid_pos,
                p.row.as_deref(),
            )
        })
        .collect();
    let pos = |x, y, w, h| Some(GridPos { x, y, w, h });
    assert_eq!(
        summary,
        vec![
            ("rows[0]", "row", pos(0, 0, 24, 1), None),
            (
                "rows[0].panels[0]",
                "graph",
                pos(0, 1, 12, 7),
                Some("Overview")
            ),
            (
                "rows[0].panels[1]",
                "singlestat",
                pos(12, 1, 12, 7),
                Some("Overview")
            ),
            ("rows[1]", "row", pos(0, 8, 24, 1), None),
            (
                "rows[1].panels[0]",
                "graph",
                pos(0, 9, 24, 8),
                Some("Details")
            ),
        ]
    );
    assert_eq!(d.panels[1].unit.as_deref(), Some("reqps"), "from yaxes");
    let q = d.queries(&QueryContext::new(Duration::from_secs(6 * 3600)));
    let got: Vec<(&str, i64, bool)> = q
        .iter()
        .map(|q| (q.expr.as_str(), q.interval_ms, q.instant))
        .collect();
    assert_eq!(
        got,
        vec![
            // intervalFactor 2 doubles the 20 s step.
            (
                r#"sum by (code) (rate(http_requests_total{job="api"}[5m]))"#,
                40_000,
                false
            ),
            // 6 h / 1000 points = 21.6 s, rounded to 20 s.
            (
                r#"sum(rate(http_requests_total{job="api", code=~"5.."}[20s])) / sum(rate(http_requests_total{job="api"}[20s]))"#,
                20_000,
                true
            ),
            (
                r#"histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket{job="api"}[5m])))"#,
                20_000,
                false
            ),
        ]
    );
}

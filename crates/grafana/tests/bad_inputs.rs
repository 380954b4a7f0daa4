//! Bad dashboards: each file in tests/fixtures/bad has its exact error here,
//! and a file without one fails the guard test.

use understudy_grafana::{Dashboard, DashboardError};

const CASES: &[(&str, &str)] = &[
    (
        "not-json.json",
        "failed to read dashboard: not JSON: expected value at line 1 column 1",
    ),
    (
        "array.json",
        "failed to read dashboard: expected a dashboard object, found an array",
    ),
    (
        "no-panels.json",
        "failed to read dashboard: no `panels` (nor legacy `rows`): is this a Grafana \
         dashboard? An API export has the dashboard under `dashboard`",
    ),
    (
        "wrong-types.json",
        "failed to read dashboard: \
         templating.list[0].name: a variable needs a name; \
         templating.list[1].current.value: expected a string or an array, found an object; \
         panels[0]: expected an object, found a string; \
         panels[1].targets: expected an array, found an object; \
         panels[2].id: expected a number, found a string; \
         panels[2].targets[0].expr: expected a string, found a number; \
         panels[2].targets[0].hide: expected a boolean, found a string",
    ),
    (
        "wrapper-bad.json",
        "failed to read dashboard: \
         dashboard.panels[0].gridPos.x: expected a number, found a string; \
         dashboard.panels[0].datasource: expected an object or a string, found a number",
    ),
];

fn dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad")
}

#[test]
fn each_bad_file_gives_its_error() {
    for (file, want) in CASES {
        let text = std::fs::read_to_string(dir().join(file)).expect("readable");
        let err = Dashboard::from_json(&text).expect_err(file);
        assert_eq!(err.to_string(), *want, "{file}");
    }
}

#[test]
fn every_bad_file_has_a_case() {
    for entry in std::fs::read_dir(dir()).expect("bad/ exists") {
        let name = entry.expect("entry").file_name();
        let name = name.to_string_lossy();
        assert!(
            CASES.iter().any(|(f, _)| *f == name),
            "tests/fixtures/bad/{name} has no expected error in tests/bad_inputs.rs"
        );
    }
}

#[test]
fn not_json_is_its_own_variant() {
    assert!(matches!(
        Dashboard::from_json(""),
        Err(DashboardError::Json(_))
    ));
    match Dashboard::from_json(r#"{"panels": 1, "rows": "x"}"#) {
        Err(DashboardError::Invalid(problems)) => {
            let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
            assert_eq!(paths, vec!["panels", "rows"]);
        }
        other => panic!("{other:?}"),
    }
}

/// Every JSON value in every position the reader looks at: no panics.
#[test]
fn odd_values_never_panic() {
    let values = [
        "null",
        "true",
        "0",
        "-1",
        "1e400",
        "1e300",
        "-1e300",
        "12.5",
        "\"\"",
        "\"$\"",
        "\"${\"",
        "\"[[\"",
        "[]",
        "[null]",
        "{}",
        "{\"value\": [1, null]}",
    ];
    let templates = [
        r#"{"panels": [{"targets": [{"expr": V}]}]}"#,
        r#"{"panels": [{"targets": [{"expr": "up", "interval": V, "intervalFactor": V}]}]}"#,
        r#"{"panels": [{"interval": V, "maxDataPoints": V, "targets": [{"expr": "up[$__rate_interval]"}]}]}"#,
        r#"{"panels": [{"gridPos": V, "fieldConfig": V, "datasource": V, "targets": V}]}"#,
        r#"{"panels": [{"type": "row", "panels": V}], "rows": [{"panels": V, "height": V}]}"#,
        r#"{"panels": [], "templating": {"list": [{"name": "a", "type": "custom", "current": V, "options": V, "query": V, "allValue": V}]}}"#,
        r#"{"panels": [{"targets": [{"expr": "$a ${a:json} [[a]]"}]}], "templating": {"list": [{"name": "a", "type": "interval", "auto": true, "auto_count": V, "current": {"value": V}}]}}"#,
        r#"{"rows": [{"showTitle": V, "height": V, "panels": [{"span": V, "height": V}, {"span": V}]}]}"#,
        r#"{"dashboard": V, "meta": V}"#,
        r#"V"#,
    ];
    let ctx = understudy_grafana::QueryContext::new(std::time::Duration::from_secs(0));
    for t in templates {
        for v in values {
            let json = t.replace('V', v);
            if let Ok(d) = Dashboard::from_json(&json) {
                for q in d.queries(&ctx) {
                    let _ = understudy_grafana::selectors(&q.expr);
                }
            }
        }
    }
}

//! `understudy record` against a real Prometheus (Debian's 2.42) on
//! loopback: selectors, a named query, an imported dashboard and remote
//! write all at once; Prometheus killed and restarted midway.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use common::{Recorder, the_closed_gap, write};
use understudy_core::TimeRange;
use understudy_store::Recording;
use understudy_testkit::{free_port, prometheus_scraping_exporter, raw};

/// A dashboard with a template variable and `$__rate_interval`, as Grafana
/// exports them.
const DASHBOARD: &str = r#"{
  "title": "Exporter",
  "uid": "exporter",
  "schemaVersion": 39,
  "templating": {"list": [
    {"name": "path", "type": "custom", "query": "/a,/b",
     "current": {"text": "/a", "value": "/a"}}
  ]},
  "panels": [
    {"id": 1, "type": "timeseries", "title": "Requests per second",
     "datasource": {"type": "prometheus", "uid": "prom"},
     "targets": [{"refId": "A", "expr": "sum(rate(test_requests_total{path=\"$path\"}[$__rate_interval]))"}]}
  ]
}"#;

#[tokio::test(flavor = "multi_thread")]
async fn records_selectors_queries_a_dashboard_and_remote_write_and_an_outage_is_a_gap() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rw_port = free_port();
    let (_exp, mut prom) = prometheus_scraping_exporter(
        dir.path(),
        &format!(
            "remote_write:\n  - url: http://127.0.0.1:{rw_port}/api/v1/write\n    queue_config:\n      batch_send_deadline: 1s\n      min_backoff: 100ms\n      max_backoff: 1s\n"
        ),
    )
    .await;
    let dashboard = write(&dir.path().join("dashboard.json"), DASHBOARD);
    let config = write(
        &dir.path().join("understudy.toml"),
        &format!(
            r#"
[recorder]
flush_interval = "200ms"

[[source.prometheus]]
url = "{url}"
interval = "2s"
scrape_interval = "1s"
selectors = ['{{__name__="test_temperature"}}']
dashboards = ["{dashboard}"]

[source.prometheus.queries]
total = "sum(test_requests_total)"

[source.prometheus.auth.bearer]
token = "s3cr3t-token"

[source.prometheus.remote_write]
listen = "127.0.0.1:{rw_port}"
"#,
            url = prom.url,
            dashboard = dashboard.display()
        ),
    );
    let out = dir.path().join("rec");
    let mut recorder = Recorder::start(&config, &out);
    recorder.wait_for("receiving remote write", Duration::from_secs(20));
    tokio::time::sleep(Duration::from_secs(8)).await;
    prom.kill();
    recorder.wait_for("is down", Duration::from_secs(20));
    tokio::time::sleep(Duration::from_secs(2)).await;
    prom.restart();
    prom.wait_scraped();
    tokio::time::sleep(Duration::from_secs(8)).await;
    let log = recorder.interrupt();
    // After the recorder stopped (and rounded up): Prometheus' answer then
    // covers the last sample the recorder took in while closing.
    let end_s = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
        + 1;

    let rec = Recording::open(&out).expect("recording");
    the_closed_gap(&rec, "prometheus[0]", &log);

    let samples = rec.samples(TimeRange::ALL, |_| true).expect("samples");
    let mut by_metric: BTreeMap<String, usize> = BTreeMap::new();
    for s in &samples {
        *by_metric.entry(s.series.metric().to_owned()).or_default() += s.timestamps.len();
    }

    // Raw samples by selector equal Prometheus' own over the recorded span.
    let ours: Vec<(i64, f64)> = samples
        .iter()
        .filter(|s| s.series.metric() == "test_temperature")
        .flat_map(|s| s.timestamps.iter().copied().zip(s.values.iter().copied()))
        .collect();
    let first = ours.iter().map(|p| p.0).min().expect("raw samples");
    let last = ours.iter().map(|p| p.0).max().expect("raw samples");
    let theirs: Vec<(i64, f64)> = raw(prom.port, r#"test_temperature"#, "10m", end_s)
        .into_iter()
        .filter(|(_, t, _)| (first..=last).contains(t))
        .map(|(_, t, v)| (t, v))
        .collect();
    assert!(theirs.len() >= 10, "{theirs:?}");
    assert_eq!(ours, theirs);

    // The named query and the dashboard's target, substituted as Grafana
    // sends it, each under its expression.
    let exprs: BTreeSet<&str> = samples
        .iter()
        .filter_map(|s| s.series.labels().get("understudy_query"))
        .collect();
    assert!(exprs.contains("sum(test_requests_total)"), "{exprs:?}");
    assert!(
        exprs.iter().any(
            |e| e.starts_with(r#"sum(rate(test_requests_total{path="/a"}["#) && !e.contains('$')
        ),
        "{exprs:?}"
    );
    // The dashboard's selector is recorded raw too.
    assert!(
        by_metric.get("test_requests_total").is_some_and(|n| *n > 0),
        "{by_metric:?}"
    );
    // Replay serves the recorded answers for the expressions Grafana sends
    // (spelt as it likes: replay compares parsed expressions).
    let loaded = understudy_replay::load(&out).expect("replay loads the recording");
    let dashboard_expr = exprs
        .iter()
        .find(|e| e.starts_with("sum(rate("))
        .expect("the dashboard's query");
    assert!(loaded.recorded.find(dashboard_expr).is_some());
    assert!(loaded.recorded.find("sum (test_requests_total)").is_some());

    // The secret is used, never written down.
    let manifest = std::fs::read_to_string(out.join("manifest.json")).expect("manifest");
    assert!(
        manifest.contains("<redacted>") && !manifest.contains("s3cr3t"),
        "{manifest}"
    );
    assert!(!log.contains("s3cr3t"), "{log}");

    // Remote write brought what Prometheus scrapes of itself and the
    // exporter, and its counters.
    assert!(
        by_metric.get("up").is_some_and(|n| *n >= 10),
        "{by_metric:?}"
    );
    assert!(
        by_metric.contains_key("understudy_remote_write_samples_total"),
        "{by_metric:?}"
    );
}

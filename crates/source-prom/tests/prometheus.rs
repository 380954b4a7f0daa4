//! The source against a real Prometheus (Debian's, 2.42) scraping an
//! exporter started here.

use std::collections::BTreeSet;
use std::time::Duration;

use understudy_core::{SourceError, now_ms};
use understudy_source_prom::{NamedQuery, PromConfig, PromSource, QUERY_LABEL};
use understudy_testkit::{
    Collect, Prometheus, prometheus_scraping_exporter, query, raw, sample_key,
};

const SELECTORS: [&str; 2] = ["test_requests_total", r#"{__name__="test_temperature"}"#];

fn source(url: &str, queries: &[(&str, &str)]) -> PromSource {
    let config: PromConfig = serde_json::from_value(serde_json::json!({
        "url": url,
        "interval": "2s",
        "timeout": "3s",
        "selectors": SELECTORS,
    }))
    .expect("config");
    let queries = queries
        .iter()
        .map(|(name, expr)| NamedQuery {
            name: (*name).into(),
            expr: (*expr).into(),
        })
        .collect();
    let selectors = SELECTORS.iter().map(|s| (*s).to_owned()).collect();
    new_source(config, queries, selectors)
}

/// A source, once the process has the rustls crypto provider that the
/// `understudy` binary installs at start-up (reqwest needs one).
fn new_source(config: PromConfig, queries: Vec<NamedQuery>, selectors: Vec<String>) -> PromSource {
    let _ = rustls::crypto::ring::default_provider().install_default();
    PromSource::new(0, config, queries, selectors).expect("source")
}

/// Raw samples (no recorded answers, no health series) as `(key, t, v)`.
fn recorded_raw(sink: &Collect) -> Vec<(String, i64, f64)> {
    let mut v: Vec<_> = sink
        .samples()
        .iter()
        .filter(|s| s.series.metric().starts_with("test_"))
        .filter(|s| s.series.labels().get(QUERY_LABEL).is_none())
        .map(|s| (sample_key(s), s.timestamp_ms, s.value))
        .collect();
    v.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    v
}

/// `(value of label, sample value)` of every recorded sample of `metric`.
fn by_label(sink: &Collect, metric: &str, label: &str) -> Vec<(String, f64)> {
    sink.samples()
        .iter()
        .filter(|s| s.series.metric() == metric)
        .map(|s| {
            (
                s.series.labels().get(label).unwrap_or("").to_owned(),
                s.value,
            )
        })
        .collect()
}

/// Prometheus' own raw samples of the exporter between `from` and `to` ms.
fn theirs(prom: &Prometheus, at_s: i64, from: i64, to: i64) -> Vec<(String, i64, f64)> {
    raw(prom.port, r#"{__name__=~"test_.*"}"#, "10m", at_s)
        .into_iter()
        .filter(|(_, t, _)| (from..=to).contains(t))
        .collect()
}

/// Runs ticks every 2 s; returns their evaluation times (s).
async fn ticks(src: &mut PromSource, sink: &Collect, n: usize) -> Vec<i64> {
    let mut at = Vec::new();
    for _ in 0..n {
        let t = now_ms() / 1000;
        src.tick(t, sink).await.expect("tick");
        at.push(t);
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    at
}

#[tokio::test(flavor = "multi_thread")]
async fn raw_samples_and_recorded_answers_equal_what_prometheus_has() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_exp, prom) = prometheus_scraping_exporter(dir.path(), "").await;
    let mut src = source(
        &prom.url,
        &[("total", "sum(test_requests_total)"), ("two", "1 + 1")],
    );
    let sink = Collect::default();
    let at = ticks(&mut src, &sink, 10).await;
    let last = *at.last().expect("ticks");

    let ours = recorded_raw(&sink);
    let first = ours.iter().map(|s| s.1).min().expect("samples");
    // A scrape stamped just before the last tick may land in Prometheus
    // after it: compare up to a scrape interval and a half before.
    let to = last * 1000 - 1_500;
    let ours: Vec<_> = ours.into_iter().filter(|s| s.1 <= to).collect();
    let theirs = theirs(&prom, last + 5, first, to);
    assert!(
        theirs.len() >= 30,
        "two series scraped every second: {theirs:?}"
    );
    assert_eq!(ours, theirs, "every raw sample, its timestamp and value");

    // Each recorded answer is what Prometheus answers for that expression
    // at that time.
    let answers: Vec<_> = sink
        .samples()
        .into_iter()
        .filter(|s| s.series.labels().get(QUERY_LABEL).is_some())
        .collect();
    let exprs: BTreeSet<&str> = answers
        .iter()
        .filter_map(|s| s.series.labels().get(QUERY_LABEL))
        .collect();
    assert_eq!(exprs, BTreeSet::from(["1 + 1", "sum(test_requests_total)"]));
    assert_eq!(answers.len(), 2 * at.len());
    for s in &answers {
        let expr = s.series.labels().get(QUERY_LABEL).expect("label");
        let v = query(prom.port, expr, s.timestamp_ms / 1000);
        let value = match v["data"]["resultType"].as_str() {
            Some("scalar") => v["data"]["result"][1].as_str(),
            _ => v["data"]["result"][0]["value"][1].as_str(),
        };
        let value: f64 = value.expect("value").parse().expect("f64");
        assert_eq!(s.value, value, "{expr} at {}", s.timestamp_ms);
        assert!(at.contains(&(s.timestamp_ms / 1000)));
    }
    assert_eq!(
        answers
            .iter()
            .find(|s| s.series.labels().get(QUERY_LABEL) == Some("1 + 1"))
            .map(|s| s.series.metric()),
        Some("understudy_query_result"),
        "a scalar answer has no metric name of its own"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_outage_fails_the_tick_and_the_next_fetch_catches_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_exp, mut prom) = prometheus_scraping_exporter(dir.path(), "").await;
    let mut src = source(&prom.url, &[]);
    let sink = Collect::default();
    ticks(&mut src, &sink, 2).await;
    // Scrapes after the last good tick, then the crash.
    tokio::time::sleep(Duration::from_secs(3)).await;
    prom.kill();
    let down = src.tick(now_ms() / 1000, &sink).await;
    match down {
        Err(SourceError::Unavailable(m)) => {
            assert!(m.contains(&prom.url) && m.contains("down"), "{m}");
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    prom.restart();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let at = ticks(&mut src, &sink, 2).await;
    let last = *at.last().expect("ticks");

    let ours = recorded_raw(&sink);
    let keys: BTreeSet<(&String, i64)> = ours.iter().map(|s| (&s.0, s.1)).collect();
    assert_eq!(keys.len(), ours.len(), "no sample twice");
    let first = ours.iter().map(|s| s.1).min().expect("samples");
    let to = last * 1000 - 1_500;
    let ours: Vec<_> = ours.into_iter().filter(|s| s.1 <= to).collect();
    // The scrapes between the last good tick and the crash came back with
    // Prometheus' WAL and were fetched after it: nothing Prometheus has is
    // missing.
    assert_eq!(ours, theirs(&prom, last + 5, first, to));
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_queries_and_selectors_are_counted_not_fatal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_exp, prom) = prometheus_scraping_exporter(dir.path(), "").await;
    // Valid PromQL that Prometheus refuses at evaluation: a range vector
    // as a graph, and a function given the wrong type.
    let mut src = source(
        &prom.url,
        &[
            ("matrix", "test_requests_total[1m]"),
            ("refused", r#"label_replace(up, "a", "$1", "job", "(")"#),
        ],
    );
    let sink = Collect::default();
    ticks(&mut src, &sink, 2).await;
    let errors = by_label(&sink, "understudy_prometheus_errors_total", "reason");
    // Counters, recorded every tick: after two ticks each query failed twice.
    assert!(errors.contains(&("bad_query".into(), 2.0)), "{errors:?}");
    assert!(errors.contains(&("query_error".into(), 2.0)), "{errors:?}");
    assert!(
        !recorded_raw(&sink).is_empty(),
        "the selectors still record"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn series_beyond_the_limit_are_left_out_and_the_truncation_recorded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_exp, prom) = prometheus_scraping_exporter(dir.path(), "").await;
    let config: PromConfig = serde_json::from_value(serde_json::json!({
        "url": prom.url,
        "interval": "2s",
        "max_series_per_selector": 1,
    }))
    .expect("config");
    let selector = r#"{__name__=~"test_.*"}"#;
    let mut src = new_source(config, vec![], vec![selector.to_owned()]);
    let sink = Collect::default();
    ticks(&mut src, &sink, 2).await;
    let kept: BTreeSet<String> = recorded_raw(&sink).into_iter().map(|s| s.0).collect();
    assert_eq!(kept.len(), 1, "one of the two series: {kept:?}");
    let truncated = by_label(&sink, "understudy_prometheus_truncated_series", "selector");
    assert_eq!(
        truncated,
        vec![(selector.to_owned(), 1.0); 2],
        "recorded every tick"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_answer_that_is_not_prometheus_is_counted_not_a_gap() {
    // The exporter speaks HTTP but not the query API: 404 for /api/v1/query.
    let exp = understudy_testkit::exporter().await;
    let mut src = source(&format!("http://127.0.0.1:{}", exp.port), &[("q", "up")]);
    let sink = Collect::default();
    src.tick(now_ms() / 1000, &sink)
        .await
        .expect("Prometheus is not down, it answers badly");
    let errors = by_label(&sink, "understudy_prometheus_errors_total", "reason");
    // Two selectors and one query, each answered with a 404 page.
    assert_eq!(errors, vec![("bad_answer".to_owned(), 3.0)]);
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_and_basic_auth_work_and_wrong_credentials_are_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let exp = understudy_testkit::exporter().await;
    let (prom, ca) =
        understudy_testkit::secured_prometheus(dir.path(), exp.port, "recorder", "s3cret");
    let password = dir.path().join("password");
    std::fs::write(&password, "s3cret\n").expect("write");
    let secured = |auth: serde_json::Value, tls: serde_json::Value| {
        let config: PromConfig = serde_json::from_value(serde_json::json!({
            "url": prom.url,
            "interval": "2s",
            "selectors": ["test_temperature"],
            "auth": auth,
            "tls": tls,
        }))
        .expect("config");
        new_source(config, vec![], vec!["test_temperature".into()])
    };
    let good_auth =
        serde_json::json!({"basic": {"username": "recorder", "password_file": password}});
    let mut src = secured(good_auth.clone(), serde_json::json!({"ca_file": ca}));
    let sink = Collect::default();
    // Prometheus starts and scrapes: until then a tick fails or records nothing.
    let deadline = std::time::Instant::now() + Duration::from_secs(40);
    while recorded_raw(&sink).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "nothing recorded over TLS with basic auth"
        );
        let _ = src.tick(now_ms() / 1000, &sink).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }

    let wrong = serde_json::json!({"basic": {"username": "recorder", "password": "nope"}});
    let mut src = secured(wrong, serde_json::json!({"ca_file": ca}));
    let sink = Collect::default();
    src.tick(now_ms() / 1000, &sink)
        .await
        .expect("an answer, not an outage");
    let errors = by_label(&sink, "understudy_prometheus_errors_total", "reason");
    assert_eq!(errors, vec![("unauthorized".to_owned(), 1.0)]);

    // Without the CA the certificate is not trusted: nothing is recorded
    // and the error says why.
    let mut src = secured(good_auth, serde_json::json!({}));
    match src.tick(now_ms() / 1000, &Collect::default()).await {
        Err(SourceError::Unavailable(m)) => assert!(m.contains("certificate"), "{m}"),
        other => panic!("expected a TLS failure, got {other:?}"),
    }
}

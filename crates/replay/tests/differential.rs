//! `understudy replay --no-shift` against a real Prometheus 2.42 loaded with
//! the same data: the dashboard's queries and our own, instant and range,
//! over the HTTP API, compared series by series and point by point.

mod common;

use std::collections::BTreeMap;

use common::*;
use serde_json::Value;

/// Every series of a result by its label set, with its points.
fn points(v: &Value) -> BTreeMap<String, Vec<(f64, String)>> {
    let mut out = BTreeMap::new();
    let result = &v["data"]["result"];
    match v["data"]["resultType"].as_str() {
        Some("matrix") | Some("vector") => {
            for s in result.as_array().into_iter().flatten() {
                let key = s["metric"].to_string();
                let pts: Vec<(f64, String)> = match s.get("values") {
                    Some(vals) => vals
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|p| {
                            (
                                p[0].as_f64().unwrap_or(f64::NAN),
                                p[1].as_str().unwrap_or("").to_owned(),
                            )
                        })
                        .collect(),
                    None => vec![(
                        s["value"][0].as_f64().unwrap_or(f64::NAN),
                        s["value"][1].as_str().unwrap_or("").to_owned(),
                    )],
                };
                out.insert(key, pts);
            }
        }
        _ => {
            out.insert(
                "scalar".into(),
                vec![(
                    result[0].as_f64().unwrap_or(f64::NAN),
                    result[1].as_str().unwrap_or("").to_owned(),
                )],
            );
        }
    }
    out
}

fn same_value(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x == y || (x - y).abs() <= 1e-9 * x.abs().max(y.abs()),
        _ => false,
    }
}

fn compare(ours: &Value, theirs: &Value, what: &str) -> usize {
    assert_eq!(
        ours["status"], theirs["status"],
        "{what}: status\nours {ours}\ntheirs {theirs}"
    );
    if theirs["status"] != "success" {
        assert_eq!(ours["errorType"], theirs["errorType"], "{what}");
        return 0;
    }
    assert_eq!(
        ours["data"]["resultType"], theirs["data"]["resultType"],
        "{what}"
    );
    let (a, b) = (points(ours), points(theirs));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "{what}: series"
    );
    let mut n = 0;
    for (k, pa) in &a {
        let pb = &b[k];
        assert_eq!(
            pa.len(),
            pb.len(),
            "{what}: points of {k}\nours   {pa:?}\ntheirs {pb:?}"
        );
        for (x, y) in pa.iter().zip(pb) {
            assert!(
                x.0 == y.0 && same_value(&x.1, &y.1),
                "{what}: {k} at {}: ours {} theirs {}",
                y.0,
                x.1,
                y.1
            );
            n += 1;
        }
    }
    n
}

const OWN: &[&str] = &[
    "kube_horizontalpodautoscaler_status_current_replicas",
    "sum by (horizontalpodautoscaler) (kube_horizontalpodautoscaler_status_desired_replicas)",
    "jetstream_consumer_num_pending",
    "sum(rate(container_cpu_usage_seconds_total{namespace=\"meme-generator\"}[1m]))",
    "sum by (pod) (rate(container_cpu_cfs_throttled_periods_total[2m])) / clamp_min(sum by (pod) (rate(container_cpu_cfs_periods_total[2m])), 1)",
    "max(kube_deployment_spec_replicas) - min(kube_deployment_status_replicas_available)",
    "sum(increase(meme_generator_success_total[5m]))",
    "irate(jetstream_consumer_delivered_consumer_seq[1m])",
    "deriv(jetstream_consumer_num_pending[2m])",
    "count by (phase) (kube_pod_status_phase == 1)",
    // Not over `sum by`: Prometheus breaks ties among aggregated series by Go map order.
    "topk(3, rate(container_cpu_usage_seconds_total[1m]))",
    "sum(rate(meme_generator_success_total[5m])) / clamp_min(sum(rate(container_cpu_usage_seconds_total[5m])), 0.0001) or on() vector(0)",
    "sum(jetstream_consumer_num_pending{stream_name=~\"ME.*\"}) or vector(0)",
    "avg_over_time(jetstream_consumer_num_ack_pending[5m])",
    "max_over_time(kube_deployment_spec_replicas[5m]) - min_over_time(kube_deployment_spec_replicas[5m])",
    "memegenerator_pod_productivity > 1",
    "kube_horizontalpodautoscaler_status_current_replicas > bool 5",
    "1 + 1",
    "time()",
];

#[test]
fn replay_answers_like_prometheus_over_http() {
    let mut queries = dashboard_queries();
    assert!(queries.len() >= 8, "the dashboard's queries: {queries:?}");
    queries.extend(OWN.iter().map(|s| s.to_string()));
    let mut points = 0;
    for name in ["conflict", "harmony"] {
        let rec = bundled(name);
        let prom = Prometheus::over_recording(&rec);
        let ours = replay(&rec, no_shift());
        let m = understudy_store::Recording::open(&rec).expect("open");
        let (start, end) = m.manifest().data_span().expect("data");
        for q in &queries {
            for step in [15, 30] {
                let path = format!(
                    "/api/v1/query_range?query={}&start={}&end={}&step={step}",
                    enc(q),
                    start / 1000,
                    end / 1000 + 60
                );
                let (a, b) = (get(&ours.addr, &path).1, get(&prom.addr(), &path).1);
                let (a, b): (Value, Value) = (
                    serde_json::from_str(&a).expect("ours"),
                    serde_json::from_str(&b).expect("theirs"),
                );
                points += compare(&a, &b, &format!("{name}: range {q} step {step}"));
            }
            for at in [start / 1000 + 100, start / 1000 + 400, (end / 1000) - 7] {
                let path = format!("/api/v1/query?query={}&time={at}", enc(q));
                let (a, b) = (get(&ours.addr, &path).1, get(&prom.addr(), &path).1);
                let (a, b): (Value, Value) = (
                    serde_json::from_str(&a).expect("ours"),
                    serde_json::from_str(&b).expect("theirs"),
                );
                points += compare(&a, &b, &format!("{name}: instant {q} at {at}"));
            }
        }
    }
    assert!(points > 10_000, "compared {points} points");
    println!(
        "{} queries on 2 recordings, {points} points equal",
        queries.len()
    );
}

#[test]
fn grafana_save_and_test_gets_scalar_two() {
    let ours = replay(
        &bundled("conflict"),
        understudy_replay::ReplayOptions {
            no_shift: false,
            limits: understudy_replay::QueryLimits::default(),
            ..no_shift()
        },
    );
    let (code, body) = get(&ours.addr, "/api/v1/query?query=1%2B1&time=4");
    assert_eq!(code, 200);
    assert_eq!(
        body,
        r#"{"status":"success","data":{"resultType":"scalar","result":[4,"2"]}}"#
    );
}

#[test]
fn errors_match_prometheus() {
    let rec = bundled("harmony");
    let prom = Prometheus::over_recording(&rec);
    let ours = replay(&rec, no_shift());
    for path in [
        "/api/v1/query?query=sum(",
        "/api/v1/query?query=rate(up)",
        "/api/v1/query?query=up%7Bjob%3D",
        "/api/v1/query_range?query=up&start=10&end=5&step=1",
        "/api/v1/query_range?query=up&start=0&end=100000&step=1",
        "/api/v1/query_range?query=up&start=x&end=5&step=1",
        "/api/v1/query?query=kube_pod_status_phase%20%2B%20on(namespace)%20kube_deployment_spec_replicas",
    ] {
        let (ca, a) = get(&ours.addr, path);
        let (cb, b) = get(&prom.addr(), path);
        let (a, b): (Value, Value) = (
            serde_json::from_str(&a).expect("ours"),
            serde_json::from_str(&b).expect("theirs"),
        );
        assert_eq!(
            (ca, &a["status"], &a["errorType"]),
            (cb, &b["status"], &b["errorType"]),
            "{path}\nours {a}\ntheirs {b}"
        );
    }
}

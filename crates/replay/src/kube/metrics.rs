//! The custom metrics API built from recorded series, for recordings that
//! hold the series the Prometheus Adapter serves but no polled answers
//! (the simulator's, or a recorder without `poll_hpa_metrics`).

use serde_json::{Value, json};
use understudy_core::format_quantity;
use understudy_promql::{MatchOp, Matcher};
use understudy_timeline::ChunkStorage;

use super::shift::format_time;
use crate::clock::Mapping;

/// How far back a sample still answers, as Prometheus' lookback.
const LOOKBACK_MS: i64 = 300_000;

/// `namespaces/NS/pods/NAME|*/METRIC` of custom.metrics.k8s.io/v1beta1: a
/// MetricValueList of each pod's latest value of series `METRIC{namespace,
/// pod}` at the replay position; `None` when no such series was recorded.
pub fn pod_metric(
    storage: &ChunkStorage,
    m: &Mapping,
    namespace: &str,
    pod: &str,
    metric: &str,
) -> Option<Value> {
    let p = m.position;
    let mut known = false;
    let mut items: Vec<(String, Value)> = Vec::new();
    let equal = |name: &str, value: &str| Matcher {
        name: name.to_owned(),
        op: MatchOp::Equal,
        value: value.to_owned(),
    };
    let matchers = [equal("__name__", metric), equal("namespace", namespace)];
    let (mut ts, mut vs) = (Vec::new(), Vec::new());
    for (l, chunks) in storage.matching(&matchers) {
        let Some(name) = l.get("pod") else { continue };
        known = true;
        if pod != "*" && pod != name {
            continue;
        }
        // Only the lookback window before the position can answer.
        ts.clear();
        vs.clear();
        chunks.decode_into(p.saturating_sub(LOOKBACK_MS), p, &mut ts, &mut vs);
        let (Some(&t), Some(&v)) = (ts.last(), vs.last()) else {
            continue;
        };
        if p - t > LOOKBACK_MS || !v.is_finite() {
            continue;
        }
        items.push((
            name.to_owned(),
            json!({
                "describedObject": {"kind": "Pod", "namespace": namespace, "name": name, "apiVersion": "/v1"},
                "metricName": metric,
                "timestamp": format_time(m.display(t), false),
                "value": format_quantity(v),
                "selector": null,
            }),
        ));
    }
    if !known {
        return None;
    }
    items.sort_by(|a, b| a.0.cmp(&b.0));
    Some(json!({
        "kind": "MetricValueList",
        "apiVersion": "custom.metrics.k8s.io/v1beta1",
        "metadata": {},
        "items": items.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
    }))
}

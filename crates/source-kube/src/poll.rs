//! Raw API paths recorded every interval, so that a replay answers
//! `kubectl get --raw PATH` as the live cluster did; by default the custom
//! and external metrics API questions the recorded HPAs' controller asks.

use std::collections::BTreeSet;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use serde_json::Value;
use understudy_core::label_selector_string;

/// The kind under which polled answers are recorded: `name` is the path
/// and query as asked, `object` the body as answered (a `Status` for an
/// error).
pub const RAW_KIND: &str = "APIResponse";
/// The `apiVersion` polled answers are recorded under, beside [`RAW_KIND`];
/// no Kubernetes server serves it.
pub const RAW_API_VERSION: &str = "understudy.dev/v1";

/// The metrics API paths an HPA's controller reads.
pub fn hpa_metric_paths(hpa: &Value) -> BTreeSet<String> {
    let ns = hpa["metadata"]["namespace"].as_str().unwrap_or("default");
    let mut out = BTreeSet::new();
    for m in hpa["spec"]["metrics"].as_array().into_iter().flatten() {
        match m["type"].as_str() {
            Some("Pods") => {
                let metric = &m["pods"]["metric"];
                if let Some(name) = metric["name"].as_str() {
                    out.insert(with_selector(
                        format!(
                            "/apis/custom.metrics.k8s.io/v1beta1/namespaces/{ns}/pods/*/{name}"
                        ),
                        "metricLabelSelector",
                        &metric["selector"],
                    ));
                }
            }
            Some("Object") => {
                let o = &m["object"];
                let (Some(kind), Some(target), Some(name)) = (
                    o["describedObject"]["kind"].as_str(),
                    o["describedObject"]["name"].as_str(),
                    o["metric"]["name"].as_str(),
                ) else {
                    continue;
                };
                out.insert(with_selector(
                    format!(
                        "/apis/custom.metrics.k8s.io/v1beta1/namespaces/{ns}/{}/{target}/{name}",
                        plural(kind)
                    ),
                    "metricLabelSelector",
                    &o["metric"]["selector"],
                ));
            }
            Some("External") => {
                let metric = &m["external"]["metric"];
                if let Some(name) = metric["name"].as_str() {
                    // client-go's external metrics client lower-cases the name.
                    out.insert(with_selector(
                        format!(
                            "/apis/external.metrics.k8s.io/v1beta1/namespaces/{ns}/{}",
                            name.to_lowercase()
                        ),
                        "labelSelector",
                        &metric["selector"],
                    ));
                }
            }
            _ => {}
        }
    }
    out
}

/// `path?param=selector` when the metric has a selector.
fn with_selector(path: String, param: &str, selector: &Value) -> String {
    let s = label_selector_string(selector);
    if s.is_empty() {
        path
    } else {
        format!("{path}?{param}={}", encode(&s))
    }
}

/// What Go's `url.QueryEscape` leaves as it is (client-go builds the HPA
/// controller's queries with it): letters, digits and `-_.~`.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A query value as Go's `url.QueryEscape` writes it (space as `+`).
fn encode(s: &str) -> String {
    utf8_percent_encode(s, QUERY_VALUE)
        .to_string()
        .replace("%20", "+")
}

/// The resource name of a built-in kind (`Service` → `services`).
fn plural(kind: &str) -> String {
    let k = kind.to_lowercase();
    if k.ends_with('s') || k.ends_with("ch") || k.ends_with('x') {
        format!("{k}es")
    } else if let Some(stem) = k.strip_suffix('y') {
        format!("{stem}ies")
    } else {
        format!("{k}s")
    }
}

/// The namespace a path is about, if any.
pub fn path_namespace(path: &str) -> Option<String> {
    let mut parts = path.split(['/', '?']);
    parts.find(|p| *p == "namespaces")?;
    parts.next().filter(|n| !n.is_empty()).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_paths_an_hpa_controller_reads() {
        let hpa = json!({
            "metadata": {"name": "keda-hpa-meme-backend", "namespace": "meme-generator"},
            "spec": {"metrics": [
                {"type": "External", "external": {
                    "metric": {"name": "s0-nats-jetstream-MEMES",
                               "selector": {"matchLabels": {"scaledobject.keda.sh/name": "meme-backend"}}},
                    "target": {"type": "AverageValue", "averageValue": "5"}}},
                {"type": "Pods", "pods": {"metric": {"name": "memegenerator_pod_cpu_rate"},
                    "target": {"type": "AverageValue", "averageValue": "400m"}}},
                {"type": "Object", "object": {"describedObject": {"kind": "Ingress", "name": "web", "apiVersion": "networking.k8s.io/v1"},
                    "metric": {"name": "requests_per_second"}, "target": {"type": "Value", "value": "10k"}}},
                {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}
            ]}
        });
        let paths: Vec<String> = hpa_metric_paths(&hpa).into_iter().collect();
        assert_eq!(
            paths,
            [
                "/apis/custom.metrics.k8s.io/v1beta1/namespaces/meme-generator/ingresses/web/requests_per_second",
                "/apis/custom.metrics.k8s.io/v1beta1/namespaces/meme-generator/pods/*/memegenerator_pod_cpu_rate",
                "/apis/external.metrics.k8s.io/v1beta1/namespaces/meme-generator/s0-nats-jetstream-memes?labelSelector=scaledobject.keda.sh%2Fname%3Dmeme-backend",
            ]
        );
        assert_eq!(path_namespace(&paths[0]).as_deref(), Some("meme-generator"));
        assert_eq!(path_namespace("/apis/metrics.k8s.io/v1beta1/nodes"), None);
    }
}

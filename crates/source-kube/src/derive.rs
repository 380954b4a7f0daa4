//! Series derived from the watched objects under kube-state-metrics' names
//! and labels, so dashboards built on kube-state-metrics work on a recording
//! of a cluster that runs none; plus `understudy_hpa_rescale_events_total`
//! counted from SuccessfulRescale Events.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde_json::Value;
use understudy_core::{Labels, SampleBatch, Series, WatchEvent, parse_quantity};

use crate::state::Change;

/// The kube-state-metrics pod phases, one series each (value 0 or 1).
const PHASES: [&str; 5] = ["Pending", "Running", "Succeeded", "Failed", "Unknown"];

/// The counter of SuccessfulRescale Events per HPA (`namespace`,
/// `horizontalpodautoscaler`), which never decreases.
pub const RESCALES: &str = "understudy_hpa_rescale_events_total";

type ObjectKey = (&'static str, String, String);

/// The current derived values of every watched object.
#[derive(Debug, Default)]
pub struct Derived {
    current: BTreeMap<ObjectKey, Vec<(Arc<Series>, f64)>>,
    /// SuccessfulRescale Events by uid: (namespace, HPA, count seen).
    rescale_events: HashMap<String, (String, String, f64)>,
    /// Rescales per (namespace, HPA), never decreasing.
    rescales: BTreeMap<(String, String), f64>,
}

impl Derived {
    /// Takes in one recorded change; returns the samples it changes, at
    /// its observation time.
    pub fn observe(&mut self, change: &Change) -> SampleBatch {
        let r = &change.revision;
        let o = &*change.object;
        let t = r.observed_ms;
        let mut batch = SampleBatch::default();
        let kind: &'static str = match r.kind.as_str() {
            "HorizontalPodAutoscaler" => "hpa",
            "Deployment" => "deployment",
            "Pod" => "pod",
            "Event" => {
                self.rescale_event(r.event, o, t, &mut batch);
                return batch;
            }
            _ => return batch,
        };
        let ns = r.namespace.clone().unwrap_or_default();
        let name = r.name.clone().unwrap_or_default();
        let key = (kind, ns.clone(), name.clone());
        if r.event == WatchEvent::Deleted {
            self.current.remove(&key);
            return batch;
        }
        let values = match kind {
            "hpa" => {
                self.rescales.entry((ns.clone(), name.clone())).or_default();
                hpa(&ns, &name, o)
            }
            "deployment" => deployment(&ns, &name, o),
            _ => pod(&ns, &name, o),
        };
        for (s, v) in &values {
            batch.push(s, t, *v);
        }
        if kind == "hpa" {
            self.push_rescales(&ns, &name, t, &mut batch);
        }
        self.current.insert(key, values);
        batch
    }

    /// Every current value at `t`, so that series stay fresh for PromQL's
    /// lookback between changes.
    pub fn tick(&self, t: i64) -> SampleBatch {
        let mut batch = SampleBatch::default();
        for (s, v) in self.current.values().flatten() {
            batch.push(s, t, *v);
        }
        for (ns, hpa) in self.rescales.keys() {
            self.push_rescales(ns, hpa, t, &mut batch);
        }
        batch
    }

    fn push_rescales(&self, ns: &str, hpa: &str, t: i64, batch: &mut SampleBatch) {
        let n = self
            .rescales
            .get(&(ns.to_owned(), hpa.to_owned()))
            .copied()
            .unwrap_or_default();
        if let Some(s) = series(
            RESCALES,
            &[("namespace", ns), ("horizontalpodautoscaler", hpa)],
        ) {
            batch.push(&s, t, n);
        }
    }

    /// Aggregated Events count up in place (`count`, `series.count`): the
    /// counter grows by the difference. core/v1 and events.k8s.io/v1 show
    /// the same Event under one uid, so watching both counts it once.
    fn rescale_event(&mut self, event: WatchEvent, o: &Value, t: i64, batch: &mut SampleBatch) {
        let uid = o["metadata"]["uid"].as_str().unwrap_or_default().to_owned();
        if event == WatchEvent::Deleted {
            // Expired by the server's TTL: the rescales happened all the same.
            self.rescale_events.remove(&uid);
            return;
        }
        let involved = if o["involvedObject"].is_object() {
            &o["involvedObject"]
        } else {
            &o["regarding"]
        };
        if o["reason"] != "SuccessfulRescale" || involved["kind"] != "HorizontalPodAutoscaler" {
            return;
        }
        let count = [&o["series"]["count"], &o["count"], &o["deprecatedCount"]]
            .into_iter()
            .find_map(Value::as_f64)
            .unwrap_or(1.0);
        let ns = involved["namespace"]
            .as_str()
            .or(o["metadata"]["namespace"].as_str())
            .unwrap_or_default()
            .to_owned();
        let hpa = involved["name"].as_str().unwrap_or_default().to_owned();
        let seen = self
            .rescale_events
            .entry(uid)
            .or_insert_with(|| (ns.clone(), hpa.clone(), 0.0));
        let delta = (count - seen.2).max(0.0);
        seen.2 = seen.2.max(count);
        if delta > 0.0 {
            *self.rescales.entry((ns.clone(), hpa.clone())).or_default() += delta;
            self.push_rescales(&ns, &hpa, t, batch);
        }
    }
}

fn series(metric: &str, labels: &[(&str, &str)]) -> Option<Arc<Series>> {
    match Labels::from_pairs(labels.iter().copied()).and_then(|l| Series::new(metric, l)) {
        Ok(s) => Some(Arc::new(s)),
        Err(e) => {
            tracing::debug!("{metric}: {e}");
            None
        }
    }
}

fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => parse_quantity(s).ok(),
        _ => None,
    }
}

fn push(out: &mut Vec<(Arc<Series>, f64)>, metric: &str, labels: &[(&str, &str)], v: Option<f64>) {
    if let (Some(v), Some(s)) = (v, series(metric, labels)) {
        out.push((s, v));
    }
}

fn hpa(ns: &str, name: &str, o: &Value) -> Vec<(Arc<Series>, f64)> {
    let l = [("namespace", ns), ("horizontalpodautoscaler", name)];
    let (spec, status) = (&o["spec"], &o["status"]);
    let mut out = Vec::new();
    let p = "kube_horizontalpodautoscaler";
    // minReplicas defaults to 1 when unset, as the API server defaults it.
    let min = num(&spec["minReplicas"]).or(Some(1.0));
    push(&mut out, &format!("{p}_spec_min_replicas"), &l, min);
    push(
        &mut out,
        &format!("{p}_spec_max_replicas"),
        &l,
        num(&spec["maxReplicas"]),
    );
    let current = num(&status["currentReplicas"]).or(Some(0.0));
    push(
        &mut out,
        &format!("{p}_status_current_replicas"),
        &l,
        current,
    );
    push(
        &mut out,
        &format!("{p}_status_desired_replicas"),
        &l,
        num(&status["desiredReplicas"]),
    );
    for m in spec["metrics"].as_array().into_iter().flatten() {
        let (metric_name, target) = metric_of(m, "target");
        for (ty, v) in target_values(target) {
            let ml = [
                l[0],
                l[1],
                ("metric_name", metric_name),
                ("metric_target_type", ty),
            ];
            push(&mut out, &format!("{p}_spec_target_metric"), &ml, Some(v));
        }
    }
    for m in status["currentMetrics"].as_array().into_iter().flatten() {
        let (metric_name, current) = metric_of(m, "current");
        for (ty, v) in target_values(current) {
            let ml = [
                l[0],
                l[1],
                ("metric_name", metric_name),
                ("metric_target_type", ty),
            ];
            push(&mut out, &format!("{p}_status_target_metric"), &ml, Some(v));
        }
    }
    out
}

/// The metric's name (a resource's name for Resource metrics) and its
/// `target` or `current` block.
fn metric_of<'a>(m: &'a Value, block: &str) -> (&'a str, &'a Value) {
    let ty = m["type"].as_str().unwrap_or_default();
    let source = match ty {
        "Resource" => &m["resource"],
        "ContainerResource" => &m["containerResource"],
        "Pods" => &m["pods"],
        "Object" => &m["object"],
        "External" => &m["external"],
        _ => &Value::Null,
    };
    let name = source["name"]
        .as_str()
        .or(source["metric"]["name"].as_str())
        .unwrap_or_default();
    (name, &source[block])
}

/// kube-state-metrics' `metric_target_type` values of a target or current.
fn target_values(t: &Value) -> Vec<(&'static str, f64)> {
    [
        ("value", &t["value"]),
        ("average", &t["averageValue"]),
        ("utilization", &t["averageUtilization"]),
    ]
    .into_iter()
    .filter_map(|(ty, v)| Some((ty, num(v)?)))
    .collect()
}

fn deployment(ns: &str, name: &str, o: &Value) -> Vec<(Arc<Series>, f64)> {
    let l = [("namespace", ns), ("deployment", name)];
    let status = &o["status"];
    let mut out = Vec::new();
    let spec_replicas = num(&o["spec"]["replicas"]).or(Some(1.0));
    push(&mut out, "kube_deployment_spec_replicas", &l, spec_replicas);
    // The API server leaves zero counts out of status.
    for (metric, field) in [
        ("kube_deployment_status_replicas", "replicas"),
        (
            "kube_deployment_status_replicas_available",
            "availableReplicas",
        ),
        ("kube_deployment_status_replicas_updated", "updatedReplicas"),
        ("kube_deployment_status_replicas_ready", "readyReplicas"),
        (
            "kube_deployment_status_replicas_unavailable",
            "unavailableReplicas",
        ),
    ] {
        push(&mut out, metric, &l, num(&status[field]).or(Some(0.0)));
    }
    out
}

fn pod(ns: &str, name: &str, o: &Value) -> Vec<(Arc<Series>, f64)> {
    let uid = o["metadata"]["uid"].as_str().unwrap_or_default();
    let status = &o["status"];
    let phase = status["phase"].as_str().unwrap_or("Unknown");
    let mut out = Vec::new();
    for p in PHASES {
        let l = [("namespace", ns), ("pod", name), ("uid", uid), ("phase", p)];
        push(
            &mut out,
            "kube_pod_status_phase",
            &l,
            Some(f64::from(u8::from(p == phase))),
        );
    }
    for c in status["containerStatuses"].as_array().into_iter().flatten() {
        let container = c["name"].as_str().unwrap_or_default();
        let l = [
            ("namespace", ns),
            ("pod", name),
            ("uid", uid),
            ("container", container),
        ];
        push(
            &mut out,
            "kube_pod_container_status_restarts_total",
            &l,
            num(&c["restartCount"]),
        );
    }
    out
}

//! kube-state-metrics: series derived from the Deployment, the HPAs and the
//! pods as the API server holds them.

use serde_json::Value;

use crate::hpa::{MetricSource, MetricTarget};
use crate::hpa_sync::HpaRun;
use crate::output::Output;
use crate::workload::{Phase, Workload};

/// The Deployment, HPA and pod series kube-state-metrics derives from the objects.
pub fn record(o: &mut Output, at: i64, work: &Workload, ns: &str, hpas: &[HpaRun]) {
    let base = [("job", "kube-state-metrics"), ("namespace", ns)];
    let with = |extra: &[(&'static str, &str)]| -> Vec<(&'static str, String)> {
        base.iter()
            .map(|(k, v)| (*k, (*v).to_owned()))
            .chain(extra.iter().map(|(k, v)| (*k, (*v).to_owned())))
            .collect()
    };
    let sample = |o: &mut Output, metric: &str, labels: &[(&'static str, String)], v: f64| {
        let l: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
        o.sample(at, metric, &l, v);
    };
    let d = with(&[("deployment", work.spec.deployment.as_str())]);
    sample(
        o,
        "kube_deployment_spec_replicas",
        &d,
        f64::from(work.replicas),
    );
    sample(
        o,
        "kube_deployment_status_replicas",
        &d,
        work.current() as f64,
    );
    sample(
        o,
        "kube_deployment_status_replicas_available",
        &d,
        work.ready() as f64,
    );
    sample(
        o,
        "kube_deployment_status_replicas_updated",
        &d,
        work.current() as f64,
    );
    sample(
        o,
        "kube_deployment_status_replicas_ready",
        &d,
        work.ready() as f64,
    );
    for h in hpas {
        let l = with(&[("horizontalpodautoscaler", h.name.as_str())]);
        sample(
            o,
            "kube_horizontalpodautoscaler_spec_min_replicas",
            &l,
            f64::from(h.spec.min_replicas),
        );
        sample(
            o,
            "kube_horizontalpodautoscaler_spec_max_replicas",
            &l,
            f64::from(h.spec.max_replicas),
        );
        let current = h.status["currentReplicas"].as_f64().unwrap_or(0.0);
        let desired = h.status["desiredReplicas"].as_f64().unwrap_or(0.0);
        sample(
            o,
            "kube_horizontalpodautoscaler_status_current_replicas",
            &l,
            current,
        );
        sample(
            o,
            "kube_horizontalpodautoscaler_status_desired_replicas",
            &l,
            desired,
        );
        for (i, m) in h.spec.metrics.iter().enumerate() {
            let name = match &m.source {
                MetricSource::Resource { name } => name.clone(),
                MetricSource::Pods { metric }
                | MetricSource::External { metric, .. }
                | MetricSource::Object { metric, .. } => metric.clone(),
            };
            let (kind, target) = match m.target {
                MetricTarget::Utilization(u) => ("utilization", f64::from(u)),
                MetricTarget::AverageValue(v) => ("average", v),
                MetricTarget::Value(v) => ("value", v),
            };
            let ml = with(&[
                ("horizontalpodautoscaler", h.name.as_str()),
                ("metric_name", name.as_str()),
                ("metric_target_type", kind),
            ]);
            sample(
                o,
                "kube_horizontalpodautoscaler_spec_target_metric",
                &ml,
                target,
            );
            let current = h.status["currentMetrics"]
                .as_array()
                .and_then(|cm| cm.get(i))
                .and_then(|c| {
                    let cur = c.as_object()?.values().find_map(|v| v.get("current"))?;
                    cur.get("averageUtilization")
                        .and_then(Value::as_f64)
                        .or_else(|| {
                            cur.get("averageValue")
                                .or(cur.get("value"))
                                .and_then(Value::as_str)
                                .and_then(|s| crate::units::parse_quantity(s).ok())
                        })
                });
            if let Some(v) = current {
                sample(
                    o,
                    "kube_horizontalpodautoscaler_status_target_metric",
                    &ml,
                    v,
                );
            }
        }
    }
    for p in &work.pods {
        let phase = match p.phase {
            Phase::Pending { .. } | Phase::Init { .. } => "Pending",
            Phase::Terminating { error: true, .. } => "Failed",
            _ => "Running",
        };
        for ph in ["Pending", "Running", "Succeeded", "Failed", "Unknown"] {
            let l = with(&[
                ("phase", ph),
                ("pod", p.name.as_str()),
                ("uid", p.uid.as_str()),
            ]);
            sample(
                o,
                "kube_pod_status_phase",
                &l,
                f64::from(u8::from(ph == phase)),
            );
        }
    }
}

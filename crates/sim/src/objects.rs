//! The Kubernetes objects of the simulated system as JSON, shaped like what
//! the API server returns (so that replaying them through the Kubernetes
//! API makes `kubectl` print what it printed live).

use serde_json::{Value, json};

use crate::hpa::{
    Behavior, Condition, HpaSpec, MetricSource, MetricTarget, PolicyKind, SelectPolicy,
};
use crate::manifests::ScaledObject;
use crate::units::format_quantity;
use crate::workload::{Phase, Pod, Workload};

/// RFC 3339 with seconds, as Kubernetes prints object times.
pub fn time(ms: i64) -> String {
    humantime::format_rfc3339_seconds(
        std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms.max(0) as u64),
    )
    .to_string()
}

pub fn meta(name: &str, namespace: &str, uid: &str, created_ms: i64) -> Value {
    json!({"name": name, "namespace": namespace, "uid": uid, "creationTimestamp": time(created_ms)})
}

/// `spec.metrics` and `spec.behavior` as the API server stores them (defaults filled in).
pub fn hpa_spec(spec: &HpaSpec, target: &str) -> Value {
    json!({
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
        "minReplicas": spec.min_replicas,
        "maxReplicas": spec.max_replicas,
        "metrics": spec.metrics.iter().map(|m| {
            let target = match m.target {
                MetricTarget::Utilization(u) => json!({"type": "Utilization", "averageUtilization": u}),
                MetricTarget::AverageValue(v) => json!({"type": "AverageValue", "averageValue": format_quantity(v)}),
                MetricTarget::Value(v) => json!({"type": "Value", "value": format_quantity(v)}),
            };
            match &m.source {
                MetricSource::Resource { name } => json!({"type": "Resource", "resource": {"name": name, "target": target}}),
                MetricSource::Pods { metric } => json!({"type": "Pods", "pods": {"metric": {"name": metric}, "target": target}}),
                MetricSource::External { metric, selector } => json!({"type": "External", "external": {
                    "metric": {"name": metric, "selector": match_labels(selector)},
                    "target": target}}),
                MetricSource::Object { metric, kind, name } => json!({"type": "Object", "object": {
                    "describedObject": {"kind": kind, "name": name}, "metric": {"name": metric}, "target": target}}),
            }
        }).collect::<Vec<_>>(),
        "behavior": behavior(&spec.behavior),
    })
}

fn match_labels(selector: &[(String, String)]) -> Value {
    let labels: serde_json::Map<String, Value> = selector
        .iter()
        .map(|(k, v)| (k.clone(), Value::from(v.clone())))
        .collect();
    json!({"matchLabels": labels})
}

fn behavior(b: &Behavior) -> Value {
    let rules = |r: &crate::hpa::ScalingRules| {
        json!({
            "stabilizationWindowSeconds": r.stabilization_window_s,
            "selectPolicy": match r.select_policy { SelectPolicy::Max => "Max", SelectPolicy::Min => "Min", SelectPolicy::Disabled => "Disabled" },
            "policies": r.policies.iter().map(|p| json!({
                "type": match p.kind { PolicyKind::Pods => "Pods", PolicyKind::Percent => "Percent" },
                "value": p.value,
                "periodSeconds": p.period_s,
            })).collect::<Vec<_>>(),
        })
    };
    json!({"scaleUp": rules(&b.scale_up), "scaleDown": rules(&b.scale_down)})
}

/// `status.currentMetrics` for the values a sync measured.
pub fn current_metrics(
    spec: &HpaSpec,
    values: &[Option<f64>],
    utilization_usage: &[Option<f64>],
) -> Value {
    Value::Array(
        spec.metrics
            .iter()
            .zip(values)
            .enumerate()
            .filter_map(|(i, (m, v))| {
                let v = (*v)?;
                let current = match m.target {
                    MetricTarget::Utilization(_) => {
                        let usage = utilization_usage.get(i).copied().flatten().unwrap_or(0.0);
                        json!({"averageUtilization": v.round() as i64, "averageValue": format_quantity(usage)})
                    }
                    MetricTarget::AverageValue(_) => json!({"averageValue": format_quantity(v)}),
                    MetricTarget::Value(_) => json!({"value": format_quantity(v)}),
                };
                Some(match &m.source {
                    MetricSource::Resource { name } => json!({"type": "Resource", "resource": {"name": name, "current": current}}),
                    MetricSource::Pods { metric } => json!({"type": "Pods", "pods": {"metric": {"name": metric}, "current": current}}),
                    MetricSource::External { metric, selector } => json!({"type": "External", "external": {
                        "metric": {"name": metric, "selector": match_labels(selector)},
                        "current": current}}),
                    MetricSource::Object { metric, kind, name } => json!({"type": "Object", "object": {
                        "describedObject": {"kind": kind, "name": name}, "metric": {"name": metric}, "current": current}}),
                })
            })
            .collect(),
    )
}

/// Conditions keep their `lastTransitionTime` until their status changes.
pub fn conditions(now: &[Condition], before: Option<&Value>, t: i64) -> Value {
    Value::Array(
        now.iter()
            .map(|c| {
                let status = if c.status { "True" } else { "False" };
                let since = before
                    .and_then(Value::as_array)
                    .and_then(|old| old.iter().find(|o| o["type"] == c.kind.as_str()))
                    .filter(|o| o["status"] == status)
                    .and_then(|o| o["lastTransitionTime"].as_str().map(str::to_owned))
                    .unwrap_or_else(|| time(t));
                json!({"type": c.kind, "status": status, "lastTransitionTime": since, "reason": c.reason, "message": c.message})
            })
            .collect(),
    )
}

pub fn deployment(
    w: &Workload,
    namespace: &str,
    uid: &str,
    created_ms: i64,
    generation: u64,
) -> Value {
    let ready = w.ready();
    let current = w.current();
    let name = &w.spec.deployment;
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": merge(meta(name, namespace, uid, created_ms), json!({"generation": generation, "labels": {"app": name}})),
        "spec": {
            "replicas": w.replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": pod_template(w),
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
        },
        "status": {
            "observedGeneration": generation,
            "replicas": current,
            "updatedReplicas": current,
            "readyReplicas": ready,
            "availableReplicas": ready,
            "unavailableReplicas": current.saturating_sub(ready),
        },
    })
}

fn pod_template(w: &Workload) -> Value {
    json!({
        "metadata": {"labels": {"app": w.spec.deployment}},
        "spec": {
            "initContainers": (0..w.spec.init_containers.len()).map(|i| json!({"name": format!("init-{}", i + 1), "image": "busybox:1.36"})).collect::<Vec<_>>(),
            "containers": [{
                "name": "backend",
                "image": "ghcr.io/vfiftyfive/meme-generator-backend:latest",
                "ports": [{"containerPort": 8080, "name": "metrics"}],
                "resources": {
                    "requests": {"cpu": format_quantity(w.spec.cpu_request)},
                    "limits": {"cpu": format_quantity(w.spec.cpu_limit)},
                },
            }],
        },
    })
}

pub fn replica_set(
    w: &Workload,
    namespace: &str,
    uid: &str,
    deploy_uid: &str,
    created_ms: i64,
) -> Value {
    let name = format!("{}-{}", w.spec.deployment, w.template_hash);
    let ready = w.ready();
    json!({
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": merge(meta(&name, namespace, uid, created_ms), json!({
            "labels": {"app": w.spec.deployment, "pod-template-hash": w.template_hash},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": w.spec.deployment, "uid": deploy_uid, "controller": true, "blockOwnerDeletion": true}],
        })),
        "spec": {"replicas": w.replicas, "selector": {"matchLabels": {"app": w.spec.deployment, "pod-template-hash": w.template_hash}}, "template": pod_template(w)},
        "status": {"replicas": w.current(), "readyReplicas": ready, "availableReplicas": ready, "fullyLabeledReplicas": w.current()},
    })
}

/// A pod; its times are relative to the run, which starts at `start`.
pub fn pod(p: &Pod, w: &Workload, namespace: &str, rs_uid: &str, start: i64) -> Value {
    let time = |t: i64| time(start + t);
    let rs_name = format!("{}-{}", w.spec.deployment, w.template_hash);
    let inits = w.spec.init_containers.len();
    let terminated = |reason: &str, code: i32, at: i64| json!({"terminated": {"reason": reason, "exitCode": code, "startedAt": time(p.created_ms), "finishedAt": time(at)}});
    let waiting = |reason: &str| json!({"waiting": {"reason": reason}});
    let init_state = |i: usize| -> Value {
        match p.phase {
            Phase::Pending { .. } => waiting("PodInitializing"),
            Phase::Init { index, .. } if i < index => terminated("Completed", 0, p.created_ms),
            Phase::Init { index, .. } if i == index => {
                json!({"running": {"startedAt": time(p.created_ms)}})
            }
            Phase::Init { .. } => waiting("PodInitializing"),
            _ => terminated("Completed", 0, p.started_ms.unwrap_or(p.created_ms)),
        }
    };
    let (phase, main_state, ready) = match p.phase {
        Phase::Pending { .. } | Phase::Init { .. } => {
            ("Pending", waiting("PodInitializing"), false)
        }
        Phase::Starting { .. } => (
            "Running",
            json!({"running": {"startedAt": time(p.started_ms.unwrap_or(p.created_ms))}}),
            false,
        ),
        Phase::Ready => (
            "Running",
            json!({"running": {"startedAt": time(p.started_ms.unwrap_or(p.created_ms))}}),
            true,
        ),
        Phase::Terminating { error: true, .. } => (
            "Failed",
            terminated("Error", 143, p.deleted_ms.unwrap_or(p.created_ms)),
            false,
        ),
        Phase::Terminating { error: false, .. } => (
            "Running",
            json!({"running": {"startedAt": time(p.started_ms.unwrap_or(p.created_ms))}}),
            false,
        ),
    };
    let status_bool = |b: bool| if b { "True" } else { "False" };
    let initialized = matches!(
        p.phase,
        Phase::Starting { .. } | Phase::Ready | Phase::Terminating { .. }
    );
    let mut metadata = merge(
        meta(&p.name, namespace, &p.uid, start + p.created_ms),
        json!({
            "generateName": format!("{rs_name}-"),
            "labels": {"app": w.spec.deployment, "pod-template-hash": w.template_hash},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs_name, "uid": rs_uid, "controller": true, "blockOwnerDeletion": true}],
        }),
    );
    // A pod killed while idle is shown Terminating until it is gone; one
    // killed mid-work has already failed (STATUS Error).
    if let (Some(d), Phase::Terminating { error: false, .. }) = (p.deleted_ms, p.phase) {
        metadata["deletionTimestamp"] =
            Value::from(time(d + w.spec.termination_grace.as_millis() as i64));
        metadata["deletionGracePeriodSeconds"] = Value::from(w.spec.termination_grace.as_secs());
    }
    let mut template = pod_template(w)["spec"].clone();
    template["nodeName"] = Value::from(p.node.clone());
    template["restartPolicy"] = Value::from("Always");
    template["terminationGracePeriodSeconds"] = Value::from(w.spec.termination_grace.as_secs());
    let scheduled = !matches!(p.phase, Phase::Pending { .. }) || p.created_ms >= 0;
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": template,
        "status": {
            "phase": phase,
            "conditions": [
                {"type": "PodScheduled", "status": status_bool(scheduled), "lastTransitionTime": time(p.created_ms)},
                {"type": "Initialized", "status": status_bool(initialized), "lastTransitionTime": time(p.started_ms.unwrap_or(p.created_ms))},
                {"type": "ContainersReady", "status": status_bool(ready), "lastTransitionTime": time(p.ready_ms.unwrap_or(p.created_ms))},
                {"type": "Ready", "status": status_bool(ready), "lastTransitionTime": time(p.ready_ms.unwrap_or(p.created_ms))},
            ],
            "hostIP": "10.128.0.12",
            "podIP": p.ip,
            "startTime": time(p.created_ms),
            "initContainerStatuses": (0..inits).map(|i| json!({
                "name": format!("init-{}", i + 1), "image": "busybox:1.36", "ready": false, "restartCount": 0, "state": init_state(i),
            })).collect::<Vec<_>>(),
            "containerStatuses": [{
                "name": "backend", "image": "ghcr.io/vfiftyfive/meme-generator-backend:latest",
                "ready": ready, "started": p.started_ms.is_some(), "restartCount": 0, "state": main_state,
            }],
            "qosClass": if w.spec.cpu_limit == w.spec.cpu_request { "Guaranteed" } else { "Burstable" },
        },
    })
}

/// An Event as the recorder of `component` writes it; `count` and
/// `lastTimestamp` grow when the same event repeats.
#[allow(clippy::too_many_arguments, reason = "an Event has this many parts")]
pub fn event(
    name: &str,
    namespace: &str,
    uid: &str,
    involved: (&str, &str, &str, &str),
    kind: (&str, &str, &str),
    first_ms: i64,
    last_ms: i64,
    count: u32,
) -> Value {
    let (api_version, obj_kind, obj_name, obj_uid) = involved;
    let (ty, reason, message) = kind;
    let component = match obj_kind {
        "HorizontalPodAutoscaler" => "horizontal-pod-autoscaler",
        "Deployment" => "deployment-controller",
        "ReplicaSet" => "replicaset-controller",
        "ScaledObject" => "keda-operator",
        _ => "kubelet",
    };
    json!({
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": meta(name, namespace, uid, first_ms),
        "involvedObject": {"apiVersion": api_version, "kind": obj_kind, "name": obj_name, "namespace": namespace, "uid": obj_uid},
        "reason": reason,
        "message": message,
        "source": {"component": component},
        "firstTimestamp": time(first_ms),
        "lastTimestamp": time(last_ms),
        "count": count,
        "type": ty,
        "eventTime": null,
        "reportingComponent": component,
        "reportingInstance": "",
    })
}

#[allow(
    clippy::too_many_arguments,
    reason = "the status of a ScaledObject has this many parts"
)]
pub fn scaled_object(
    so: &ScaledObject,
    namespace: &str,
    uid: &str,
    created_ms: i64,
    active: bool,
    last_active_ms: Option<i64>,
    failures: &[u32],
    fallback_active: bool,
) -> Value {
    let mut o = so.manifest.clone();
    o["metadata"] = merge(
        o["metadata"].clone(),
        merge(
            meta(&so.name, namespace, uid, created_ms),
            json!({"generation": 1}),
        ),
    );
    let metrics: Vec<String> = (0..so.triggers.len()).map(|i| so.metric_name(i)).collect();
    let health: serde_json::Map<String, Value> = metrics
        .iter()
        .zip(failures)
        .map(|(m, &f)| {
            (
                m.clone(),
                json!({"numberOfFailures": f, "status": if f == 0 { "Happy" } else { "Failing" }}),
            )
        })
        .collect();
    o["status"] = json!({
        "scaleTargetKind": "apps/v1.Deployment",
        "scaleTargetGVKR": {"group": "apps", "kind": "Deployment", "resource": "deployments", "version": "v1"},
        "originalReplicaCount": 1,
        "externalMetricNames": metrics,
        "hpaName": so.hpa_name(),
        "lastActiveTime": last_active_ms.map(time),
        "health": health,
        "conditions": [
            {"type": "Ready", "status": "True", "reason": "ScaledObjectReady", "message": "ScaledObject is defined correctly and is ready for scaling"},
            if active {
                json!({"type": "Active", "status": "True", "reason": "ScalerActive", "message": "Scaling is performed because triggers are active"})
            } else {
                json!({"type": "Active", "status": "False", "reason": "ScalerNotActive", "message": "Scaling is not performed because triggers are not active"})
            },
            if fallback_active {
                json!({"type": "Fallback", "status": "True", "reason": "FallbackExists", "message": "At least one trigger is falling back on this scaled object"})
            } else {
                json!({"type": "Fallback", "status": "False", "reason": "NoFallbackFound", "message": "No fallbacks are active on this scaled object"})
            },
            {"type": "Paused", "status": "Unknown"},
        ],
    });
    o
}

/// The ScaledObject CustomResourceDefinition, as KEDA 2.18 installs it
/// (trimmed to what discovery and `kubectl get` use).
pub fn scaled_object_crd(uid: &str, created_ms: i64) -> Value {
    let col =
        |name: &str, ty: &str, path: &str| json!({"name": name, "type": ty, "jsonPath": path});
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "scaledobjects.keda.sh", "uid": uid, "creationTimestamp": time(created_ms),
                     "labels": {"app.kubernetes.io/name": "keda-operator", "app.kubernetes.io/part-of": "keda-operator", "app.kubernetes.io/version": "2.18.0"}},
        "spec": {
            "group": "keda.sh",
            "names": {"kind": "ScaledObject", "listKind": "ScaledObjectList", "plural": "scaledobjects", "singular": "scaledobject", "shortNames": ["so"]},
            "scope": "Namespaced",
            "versions": [{
                "name": "v1alpha1", "served": true, "storage": true,
                "subresources": {"status": {}},
                "additionalPrinterColumns": [
                    col("ScaleTargetKind", "string", ".status.scaleTargetKind"),
                    col("ScaleTargetName", "string", ".spec.scaleTargetRef.name"),
                    col("Min", "integer", ".spec.minReplicaCount"),
                    col("Max", "integer", ".spec.maxReplicaCount"),
                    col("Ready", "string", ".status.conditions[?(@.type==\"Ready\")].status"),
                    col("Active", "string", ".status.conditions[?(@.type==\"Active\")].status"),
                    col("Fallback", "string", ".status.conditions[?(@.type==\"Fallback\")].status"),
                    col("Paused", "string", ".status.conditions[?(@.type==\"Paused\")].status"),
                    col("Triggers", "string", ".spec.triggers[*].type"),
                    col("Authentications", "string", ".spec.triggers[*].authenticationRef.name"),
                    col("Age", "date", ".metadata.creationTimestamp"),
                ],
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}},
            }],
        },
        "status": {"acceptedNames": {"kind": "ScaledObject", "plural": "scaledobjects", "singular": "scaledobject", "shortNames": ["so"]},
                   "storedVersions": ["v1alpha1"]},
    })
}

/// `a` with the keys of `b` added (b wins).
pub fn merge(mut a: Value, b: Value) -> Value {
    if let (Some(am), Value::Object(bm)) = (a.as_object_mut(), b) {
        for (k, v) in bm {
            am.insert(k, v);
        }
    }
    a
}

//! The autoscaling manifests of a scenario: `HorizontalPodAutoscaler`
//! (autoscaling/v2) and KEDA `ScaledObject` (keda.sh/v1alpha1), parsed into
//! the controller's types. Spec fields are checked strictly (a typo is an
//! error, as `kubectl apply --validate=strict` makes it); metadata may carry
//! anything.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::hpa::{
    Behavior, HpaSpec, MetricSource, MetricSpec, MetricTarget, PolicyKind, ScalingPolicy,
    SelectPolicy,
};
use crate::scenario::ScenarioFile;
use crate::units::parse_quantity;

/// One autoscaler acting on the backend.
#[derive(Debug, Clone)]
pub enum Autoscaler {
    /// A `HorizontalPodAutoscaler` manifest, synced as upstream's controller.
    Hpa(HpaObject),
    /// A KEDA `ScaledObject`: polled by the simulated KEDA operator, which
    /// also makes and owns an HPA of its own.
    Keda(ScaledObject),
}

/// A HorizontalPodAutoscaler as written by the user.
#[derive(Debug, Clone)]
pub struct HpaObject {
    /// `metadata.name`.
    pub name: String,
    /// The spec, checked and with upstream's defaults filled in.
    pub spec: HpaSpec,
    /// The manifest as given, the base of the recorded object.
    pub manifest: Value,
}

/// A KEDA ScaledObject, and the HPA KEDA makes from it.
#[derive(Debug, Clone)]
pub struct ScaledObject {
    /// `metadata.name`; KEDA's HPA is `keda-hpa-<name>`.
    pub name: String,
    /// `minReplicaCount` (KEDA's default 0): with 0, KEDA scales the
    /// Deployment to zero when no trigger is active.
    pub min_replica_count: i32,
    /// `maxReplicaCount` (default 100), the HPA's `maxReplicas`.
    pub max_replica_count: i32,
    /// `pollingInterval` in seconds (default 30): how often KEDA checks the
    /// triggers for activation.
    pub polling_interval_s: u32,
    /// `cooldownPeriod` in seconds (default 300): how long after the last
    /// active trigger KEDA waits before scaling to zero.
    pub cooldown_period_s: u32,
    /// `fallback`: replicas to hold while the triggers' metrics fail.
    pub fallback: Option<Fallback>,
    /// `triggers`, at least one; each becomes an External metric of the HPA.
    pub triggers: Vec<Trigger>,
    /// `advanced.horizontalPodAutoscalerConfig.behavior`, defaults filled in.
    pub behavior: Behavior,
    /// The manifest as given, the base of the recorded object.
    pub manifest: Value,
}

/// `spec.fallback` of a ScaledObject.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fallback {
    /// `failureThreshold`: consecutive failed metric reads before the
    /// fallback applies; more than 0.
    pub failure_threshold: u32,
    /// `replicas`: what the HPA is given to hold meanwhile; not negative.
    pub replicas: i32,
}

/// One `spec.triggers` entry of a ScaledObject; only these two types are
/// simulated.
#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    /// `nats-jetstream`: the consumer's lag against `lagThreshold` per pod.
    NatsJetStream {
        /// `metadata.stream`: must be the scenario's `queue.stream`.
        stream: String,
        /// `metadata.consumer`: must be the scenario's `queue.consumer`.
        consumer: String,
        /// `metadata.lagThreshold` (default 10): target lag per replica.
        lag_threshold: f64,
        /// `metadata.activationLagThreshold` (default 0): the lag above
        /// which the trigger is active (scales from zero).
        activation_lag_threshold: f64,
    },
    /// `prometheus`: a query's value against `threshold` per pod.
    Prometheus {
        /// `metadata.query`: `memegenerator_pod_productivity` or
        /// `memegenerator_pod_cpu_rate`, the two the simulator computes.
        query: String,
        /// `metadata.threshold`: target value per replica; required.
        threshold: f64,
        /// `metadata.activationThreshold` (default 0): the value above which
        /// the trigger is active.
        activation_threshold: f64,
    },
}

/// Queries the simulator can answer for a `prometheus` trigger (it has no
/// PromQL engine; it computes what the Prometheus Adapter rules compute).
pub const KNOWN_QUERIES: &[&str] = &[
    "memegenerator_pod_productivity",
    "memegenerator_pod_cpu_rate",
];

impl ScaledObject {
    /// KEDA names its HPA `keda-hpa-<ScaledObject name>`.
    pub fn hpa_name(&self) -> String {
        format!("keda-hpa-{}", self.name)
    }

    /// The external metric name KEDA gives trigger `i` (`s0-nats-jetstream-MEMES`, `s0-prometheus`).
    pub fn metric_name(&self, i: usize) -> String {
        match &self.triggers[i] {
            Trigger::NatsJetStream { stream, .. } => format!("s{i}-nats-jetstream-{stream}"),
            Trigger::Prometheus { .. } => format!("s{i}-prometheus"),
        }
    }

    /// The HPA KEDA creates: one External AverageValue metric per trigger,
    /// selected by `scaledobject.keda.sh/name`; minReplicas at least 1 (KEDA
    /// itself scales between 0 and 1).
    pub fn hpa_spec(&self) -> HpaSpec {
        let selector = vec![("scaledobject.keda.sh/name".to_string(), self.name.clone())];
        HpaSpec {
            min_replicas: self.min_replica_count.max(1),
            max_replicas: self.max_replica_count,
            metrics: self
                .triggers
                .iter()
                .enumerate()
                .map(|(i, t)| MetricSpec {
                    source: MetricSource::External {
                        metric: self.metric_name(i),
                        selector: selector.clone(),
                    },
                    target: MetricTarget::AverageValue(match t {
                        Trigger::NatsJetStream { lag_threshold, .. } => *lag_threshold,
                        Trigger::Prometheus { threshold, .. } => *threshold,
                    }),
                })
                .collect(),
            behavior: self.behavior.clone(),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Object<S> {
    api_version: String,
    metadata: Metadata,
    spec: S,
}

#[derive(Deserialize)]
struct Metadata {
    name: String,
    #[serde(default)]
    namespace: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct TargetRef {
    #[serde(default)]
    api_version: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct HpaSpecM {
    scale_target_ref: TargetRef,
    #[serde(default)]
    min_replicas: Option<i32>,
    max_replicas: i32,
    #[serde(default)]
    metrics: Option<Vec<MetricM>>,
    #[serde(default)]
    behavior: Option<BehaviorM>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct MetricM {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    resource: Option<ResourceM>,
    #[serde(default)]
    pods: Option<NamedM>,
    #[serde(default)]
    external: Option<NamedM>,
    #[serde(default)]
    object: Option<ObjectM>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResourceM {
    name: String,
    target: TargetM,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NamedM {
    metric: MetricIdM,
    target: TargetM,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ObjectM {
    described_object: TargetRef,
    metric: MetricIdM,
    target: TargetM,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MetricIdM {
    name: String,
    #[serde(default)]
    selector: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct TargetM {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    average_utilization: Option<i32>,
    #[serde(default)]
    average_value: Option<Value>,
    #[serde(default)]
    value: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct BehaviorM {
    #[serde(default)]
    scale_up: Option<RulesM>,
    #[serde(default)]
    scale_down: Option<RulesM>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RulesM {
    #[serde(default)]
    stabilization_window_seconds: Option<i32>,
    #[serde(default)]
    select_policy: Option<String>,
    #[serde(default)]
    policies: Option<Vec<PolicyM>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PolicyM {
    #[serde(rename = "type")]
    kind: String,
    value: i32,
    period_seconds: i32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ScaledObjectSpecM {
    scale_target_ref: TargetRef,
    #[serde(default)]
    min_replica_count: Option<i32>,
    #[serde(default)]
    max_replica_count: Option<i32>,
    #[serde(default)]
    polling_interval: Option<u32>,
    #[serde(default)]
    cooldown_period: Option<u32>,
    #[serde(default)]
    fallback: Option<FallbackM>,
    #[serde(default)]
    advanced: Option<AdvancedM>,
    triggers: Vec<TriggerM>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FallbackM {
    failure_threshold: u32,
    replicas: i32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AdvancedM {
    #[serde(default)]
    horizontal_pod_autoscaler_config: Option<HpaConfigM>,
    #[serde(default)]
    #[allow(
        dead_code,
        reason = "accepted as KEDA does; it only matters when a ScaledObject is deleted"
    )]
    restore_to_original_replica_count: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HpaConfigM {
    #[serde(default)]
    behavior: Option<BehaviorM>,
    #[serde(default)]
    #[allow(
        dead_code,
        reason = "accepted; the simulated HPA keeps KEDA's default name"
    )]
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct TriggerM {
    #[serde(rename = "type")]
    kind: String,
    metadata: BTreeMap<String, String>,
    #[serde(default)]
    #[allow(
        dead_code,
        reason = "accepted; trigger names only label KEDA's own metrics"
    )]
    name: Option<String>,
    #[serde(default)]
    metric_type: Option<String>,
}

/// Parses every manifest, collecting every problem (each naming
/// `manifests[i]` and the field).
pub fn parse_manifests(
    manifests: &[Value],
    file: &ScenarioFile,
) -> Result<Vec<Autoscaler>, Vec<String>> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (i, m) in manifests.iter().enumerate() {
        let kind = m.get("kind").and_then(Value::as_str).unwrap_or("");
        let name = m
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("?");
        let at = format!("manifests[{i}] ({kind} {name})");
        let result = match kind {
            "HorizontalPodAutoscaler" => parse_hpa(m, file).map(Autoscaler::Hpa),
            "ScaledObject" => parse_scaled_object(m, file).map(Autoscaler::Keda),
            "" => Err(vec!["missing `kind`".to_string()]),
            other => Err(vec![format!(
                "kind {other} is not simulated; supported: HorizontalPodAutoscaler (autoscaling/v2), ScaledObject (keda.sh/v1alpha1)"
            )]),
        };
        match result {
            Ok(a) => out.push(a),
            Err(ps) => problems.extend(ps.into_iter().map(|p| format!("{at}: {p}"))),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

fn decode<S: serde::de::DeserializeOwned>(m: &Value) -> Result<Object<S>, Vec<String>> {
    serde_json::from_value::<Object<S>>(m.clone()).map_err(|e| vec![e.to_string()])
}

fn check_common(
    api: &str,
    want: &str,
    meta: &Metadata,
    target: &TargetRef,
    file: &ScenarioFile,
) -> Vec<String> {
    let mut p = Vec::new();
    if api != want {
        p.push(format!("apiVersion {api} is not simulated; use {want}"));
    }
    if let Some(ns) = &meta.namespace
        && *ns != file.namespace
    {
        p.push(format!(
            "metadata.namespace {ns} differs from the scenario's namespace {}",
            file.namespace
        ));
    }
    if target.name != file.backend.deployment
        || target.kind.as_deref().is_some_and(|k| k != "Deployment")
    {
        p.push(format!(
            "scaleTargetRef: {} {} is not the simulated Deployment {}",
            target.kind.as_deref().unwrap_or("?"),
            target.name,
            file.backend.deployment
        ));
    }
    if target
        .api_version
        .as_deref()
        .is_some_and(|v| v != "apps/v1")
    {
        p.push("scaleTargetRef.apiVersion: must be apps/v1".into());
    }
    p
}

fn parse_hpa(m: &Value, file: &ScenarioFile) -> Result<HpaObject, Vec<String>> {
    let o: Object<HpaSpecM> = decode(m)?;
    let mut p = check_common(
        &o.api_version,
        "autoscaling/v2",
        &o.metadata,
        &o.spec.scale_target_ref,
        file,
    );
    let min = o.spec.min_replicas.unwrap_or(1);
    if min < 1 {
        p.push(format!("spec.minReplicas: must be at least 1, not {min}"));
    }
    if o.spec.max_replicas < min {
        p.push(format!(
            "spec.maxReplicas ({}) is less than spec.minReplicas ({min})",
            o.spec.max_replicas
        ));
    }
    let metrics = match &o.spec.metrics {
        // The API server's default: 80% average CPU utilization.
        None => vec![MetricSpec {
            source: MetricSource::Resource { name: "cpu".into() },
            target: MetricTarget::Utilization(80),
        }],
        Some(ms) => ms
            .iter()
            .enumerate()
            .filter_map(|(i, mm)| match metric(mm) {
                Ok(m) => Some(m),
                Err(e) => {
                    p.push(format!("spec.metrics[{i}]: {e}"));
                    None
                }
            })
            .collect(),
    };
    let behavior = behavior(o.spec.behavior.as_ref(), "spec.behavior", &mut p);
    if !p.is_empty() {
        return Err(p);
    }
    Ok(HpaObject {
        name: o.metadata.name,
        spec: HpaSpec {
            min_replicas: min,
            max_replicas: o.spec.max_replicas,
            metrics,
            behavior,
        },
        manifest: m.clone(),
    })
}

fn metric(m: &MetricM) -> Result<MetricSpec, String> {
    let (source, target) = match (
        m.kind.as_str(),
        &m.resource,
        &m.pods,
        &m.external,
        &m.object,
    ) {
        ("Resource", Some(r), None, None, None) => {
            if r.name != "cpu" {
                return Err(format!("resource {} is not simulated; only cpu", r.name));
            }
            (
                MetricSource::Resource {
                    name: r.name.clone(),
                },
                &r.target,
            )
        }
        ("Pods", None, Some(n), None, None) => (
            MetricSource::Pods {
                metric: n.metric.name.clone(),
            },
            &n.target,
        ),
        ("External", None, None, Some(n), None) => {
            let selector = n
                .metric
                .selector
                .as_ref()
                .and_then(|s| s.get("matchLabels"))
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_owned()))
                        .collect()
                })
                .unwrap_or_default();
            (
                MetricSource::External {
                    metric: n.metric.name.clone(),
                    selector,
                },
                &n.target,
            )
        }
        ("Object", None, None, None, Some(o)) => (
            MetricSource::Object {
                metric: o.metric.name.clone(),
                kind: o.described_object.kind.clone().unwrap_or_default(),
                name: o.described_object.name.clone(),
            },
            &o.target,
        ),
        (k @ ("Resource" | "Pods" | "External" | "Object"), ..) => {
            return Err(format!(
                "type {k} needs exactly the `{}` field",
                k.to_lowercase()
            ));
        }
        (k, ..) => {
            return Err(format!(
                "type {k:?} is not one of Resource, Pods, External, Object"
            ));
        }
    };
    let q = |v: &Option<Value>, field: &str| -> Result<f64, String> {
        let v = v
            .as_ref()
            .ok_or_else(|| format!("target.{field} is required for this target type"))?;
        let q = match v {
            Value::String(s) => parse_quantity(s)?,
            Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
            _ => return Err(format!("target.{field}: not a quantity")),
        };
        if !(q.is_finite() && q > 0.0) {
            return Err(format!("target.{field}: must be more than 0"));
        }
        Ok(q)
    };
    let target = match target.kind.as_str() {
        "Utilization" => match (&source, target.average_utilization) {
            (MetricSource::Resource { .. }, Some(u)) if u > 0 => MetricTarget::Utilization(u),
            (MetricSource::Resource { .. }, _) => {
                return Err("target.averageUtilization: must be more than 0".into());
            }
            _ => return Err("target.type Utilization is only for Resource metrics".into()),
        },
        "AverageValue" => MetricTarget::AverageValue(q(&target.average_value, "averageValue")?),
        "Value" => match source {
            MetricSource::External { .. } | MetricSource::Object { .. } => {
                MetricTarget::Value(q(&target.value, "value")?)
            }
            _ => return Err("target.type Value is only for External and Object metrics".into()),
        },
        other => {
            return Err(format!(
                "target.type {other:?} is not one of Utilization, AverageValue, Value"
            ));
        }
    };
    Ok(MetricSpec { source, target })
}

/// `behavior` with the API server's defaults for what is left out.
fn behavior(b: Option<&BehaviorM>, at: &str, p: &mut Vec<String>) -> Behavior {
    let mut out = Behavior::default_k8s();
    let Some(b) = b else { return out };
    for (rules, name, into) in [
        (&b.scale_up, "scaleUp", &mut out.scale_up),
        (&b.scale_down, "scaleDown", &mut out.scale_down),
    ] {
        let Some(r) = rules else { continue };
        if let Some(w) = r.stabilization_window_seconds {
            if !(0..=3600).contains(&w) {
                p.push(format!(
                    "{at}.{name}.stabilizationWindowSeconds: must be between 0 and 3600, not {w}"
                ));
            }
            into.stabilization_window_s = w;
        }
        if let Some(s) = &r.select_policy {
            into.select_policy = match s.as_str() {
                "Max" => SelectPolicy::Max,
                "Min" => SelectPolicy::Min,
                "Disabled" => SelectPolicy::Disabled,
                other => {
                    p.push(format!(
                        "{at}.{name}.selectPolicy: {other:?} is not one of Max, Min, Disabled"
                    ));
                    into.select_policy
                }
            };
        }
        if let Some(policies) = &r.policies {
            into.policies = policies
                .iter()
                .enumerate()
                .filter_map(|(i, pm)| {
                    let kind = match pm.kind.as_str() {
                        "Pods" => PolicyKind::Pods,
                        "Percent" => PolicyKind::Percent,
                        other => {
                            p.push(format!(
                                "{at}.{name}.policies[{i}].type: {other:?} is not Pods or Percent"
                            ));
                            return None;
                        }
                    };
                    if pm.value <= 0 {
                        p.push(format!(
                            "{at}.{name}.policies[{i}].value: must be more than 0"
                        ));
                    }
                    if !(1..=1800).contains(&pm.period_seconds) {
                        p.push(format!(
                            "{at}.{name}.policies[{i}].periodSeconds: must be between 1 and 1800"
                        ));
                    }
                    Some(ScalingPolicy {
                        kind,
                        value: pm.value,
                        period_s: pm.period_seconds,
                    })
                })
                .collect();
        }
    }
    out
}

fn parse_scaled_object(m: &Value, file: &ScenarioFile) -> Result<ScaledObject, Vec<String>> {
    let o: Object<ScaledObjectSpecM> = decode(m)?;
    let mut p = check_common(
        &o.api_version,
        "keda.sh/v1alpha1",
        &o.metadata,
        &o.spec.scale_target_ref,
        file,
    );
    let s = &o.spec;
    // KEDA's defaults: minReplicaCount 0, maxReplicaCount 100, pollingInterval 30, cooldownPeriod 300.
    let min = s.min_replica_count.unwrap_or(0);
    let max = s.max_replica_count.unwrap_or(100);
    if min < 0 {
        p.push(format!(
            "spec.minReplicaCount: must not be negative, not {min}"
        ));
    }
    if max < min.max(1) {
        p.push(format!(
            "spec.maxReplicaCount ({max}) is less than spec.minReplicaCount ({min})"
        ));
    }
    let behavior = behavior(
        s.advanced
            .as_ref()
            .and_then(|a| a.horizontal_pod_autoscaler_config.as_ref())
            .and_then(|c| c.behavior.as_ref()),
        "spec.advanced.horizontalPodAutoscalerConfig.behavior",
        &mut p,
    );
    if s.triggers.is_empty() {
        p.push("spec.triggers: at least one trigger is needed".into());
    }
    let mut triggers = Vec::new();
    for (i, t) in s.triggers.iter().enumerate() {
        let at = format!("spec.triggers[{i}]");
        if t.metric_type
            .as_deref()
            .is_some_and(|mt| mt != "AverageValue")
        {
            p.push(format!("{at}.metricType: only AverageValue is simulated"));
        }
        let num = |key: &str, default: Option<f64>, p: &mut Vec<String>| -> f64 {
            match t.metadata.get(key) {
                Some(v) => match v.parse::<f64>() {
                    Ok(x) if x.is_finite() && x >= 0.0 => x,
                    _ => {
                        p.push(format!(
                            "{at}.metadata.{key}: {v:?} is not a non-negative number"
                        ));
                        0.0
                    }
                },
                None => default.unwrap_or_else(|| {
                    p.push(format!("{at}.metadata.{key}: required"));
                    0.0
                }),
            }
        };
        let text = |key: &str, p: &mut Vec<String>| -> String {
            t.metadata.get(key).cloned().unwrap_or_else(|| {
                p.push(format!("{at}.metadata.{key}: required"));
                String::new()
            })
        };
        match t.kind.as_str() {
            "nats-jetstream" => {
                let stream = text("stream", &mut p);
                let consumer = text("consumer", &mut p);
                if !stream.is_empty() && stream != file.queue.stream {
                    p.push(format!(
                        "{at}.metadata.stream: {stream} is not the simulated stream {}",
                        file.queue.stream
                    ));
                }
                if !consumer.is_empty() && consumer != file.queue.consumer {
                    p.push(format!(
                        "{at}.metadata.consumer: {consumer} is not the simulated consumer {}",
                        file.queue.consumer
                    ));
                }
                // KEDA's defaults: lagThreshold 10, activationLagThreshold 0.
                let lag_threshold = num("lagThreshold", Some(10.0), &mut p);
                if lag_threshold == 0.0 {
                    p.push(format!("{at}.metadata.lagThreshold: must be more than 0"));
                }
                triggers.push(Trigger::NatsJetStream {
                    stream,
                    consumer,
                    lag_threshold,
                    activation_lag_threshold: num("activationLagThreshold", Some(0.0), &mut p),
                });
            }
            "prometheus" => {
                let query = text("query", &mut p);
                if !query.is_empty() && !KNOWN_QUERIES.contains(&query.trim()) {
                    p.push(format!(
                        "{at}.metadata.query: the simulator computes only {}; {query:?} would need a PromQL engine",
                        KNOWN_QUERIES.join(", ")
                    ));
                }
                let threshold = num("threshold", None, &mut p);
                if threshold == 0.0 {
                    p.push(format!("{at}.metadata.threshold: must be more than 0"));
                }
                triggers.push(Trigger::Prometheus {
                    query: query.trim().to_owned(),
                    threshold,
                    activation_threshold: num("activationThreshold", Some(0.0), &mut p),
                });
            }
            other => p.push(format!(
                "{at}.type: {other:?} is not simulated; supported: nats-jetstream, prometheus"
            )),
        }
    }
    if let Some(f) = &s.fallback
        && (f.failure_threshold == 0 || f.replicas < 0)
    {
        p.push(
            "spec.fallback: failureThreshold must be more than 0 and replicas not negative".into(),
        );
    }
    if !p.is_empty() {
        return Err(p);
    }
    Ok(ScaledObject {
        name: o.metadata.name,
        min_replica_count: min,
        max_replica_count: max,
        polling_interval_s: s.polling_interval.unwrap_or(30),
        cooldown_period_s: s.cooldown_period.unwrap_or(300),
        fallback: s.fallback.as_ref().map(|f| Fallback {
            failure_threshold: f.failure_threshold,
            replicas: f.replicas,
        }),
        triggers,
        behavior,
        manifest: m.clone(),
    })
}

//! The Kubernetes HorizontalPodAutoscaler controller (`autoscaling/v2`), as
//! upstream implements it: per-metric replica calculation, tolerance, max over
//! metrics, min/max, stabilization windows and behavior policies.
//!
//! THE PUBLIC API BELOW IS FIXED (the simulator is written against it).
//! Implementation goes in submodules; add fields only where marked.
//!
//! Map of the implementation onto upstream
//! (`kubernetes/kubernetes` `pkg/controller/podautoscaler`):
//! - `reconcile`: `reconcileAutoscaler` (horizontal.go), the sync flow;
//! - `metrics`: `computeReplicasForMetrics` / `computeReplicasForMetric`
//!   and the `computeStatusFor*Metric` functions (horizontal.go);
//! - `replicas`: the replica calculator (replica_calculator.go);
//! - `behavior`, `stabilization`, `rate_limit`:
//!   `normalizeDesiredReplicasWithBehaviors` and its helpers (horizontal.go);
//! - `describe`: metric descriptions as upstream prints them;
//! - `conditions`: `setConditionInList` (horizontal.go);
//! - `quantity`: the int64 milli-value arithmetic of `resource.Quantity`.

mod behavior;
mod conditions;
mod describe;
mod metrics;
mod quantity;
mod rate_limit;
mod reconcile;
mod replicas;
mod stabilization;
#[cfg(test)]
mod tests;

/// The spec of one HPA (what `kubectl get hpa -o yaml` shows under `spec`).
#[derive(Debug, Clone, PartialEq)]
pub struct HpaSpec {
    pub min_replicas: i32,
    pub max_replicas: i32,
    pub metrics: Vec<MetricSpec>,
    pub behavior: Behavior,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MetricSpec {
    pub source: MetricSource,
    pub target: MetricTarget,
}

#[derive(Debug, Clone, PartialEq)]
pub enum MetricSource {
    /// `type: Resource`, e.g. `cpu`.
    Resource { name: String },
    /// `type: Pods`, e.g. `memegenerator_pod_cpu_rate`.
    Pods { metric: String },
    /// `type: External`, e.g. `s0-nats-jetstream-MEMES`, with the metric's
    /// label selector (KEDA sets `scaledobject.keda.sh/name: <name>`).
    /// An empty selector stands for no selector (upstream prints it `nil`).
    External {
        metric: String,
        selector: Vec<(String, String)>,
    },
    /// `type: Object`: a metric describing one object (kind/name).
    Object {
        metric: String,
        kind: String,
        name: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MetricTarget {
    /// Percent of the pods' requests (Resource only).
    Utilization(i32),
    /// Average over pods (Resource in absolute units, Pods, External, Object).
    AverageValue(f64),
    /// The metric's total value (External, Object).
    Value(f64),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Behavior {
    pub scale_up: ScalingRules,
    pub scale_down: ScalingRules,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScalingRules {
    pub stabilization_window_s: i32,
    pub select_policy: SelectPolicy,
    pub policies: Vec<ScalingPolicy>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectPolicy {
    Max,
    Min,
    Disabled,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScalingPolicy {
    pub kind: PolicyKind,
    pub value: i32,
    pub period_s: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    Pods,
    Percent,
}

impl Behavior {
    /// Upstream defaults (scale up: no stabilization, max(100%, 4 pods) per
    /// 15 s; scale down: 300 s stabilization, 100% per 15 s).
    pub fn default_k8s() -> Behavior {
        // defaultHPAScaleUpRules / defaultHPAScaleDownRules in
        // pkg/apis/autoscaling/v2/defaults.go; the scale-down window is the
        // controller's --horizontal-pod-autoscaler-downscale-stabilization
        // default.
        Behavior {
            scale_up: ScalingRules {
                stabilization_window_s: 0,
                select_policy: SelectPolicy::Max,
                policies: vec![
                    ScalingPolicy {
                        kind: PolicyKind::Pods,
                        value: 4,
                        period_s: 15,
                    },
                    ScalingPolicy {
                        kind: PolicyKind::Percent,
                        value: 100,
                        period_s: 15,
                    },
                ],
            },
            scale_down: ScalingRules {
                stabilization_window_s: 300,
                select_policy: SelectPolicy::Max,
                policies: vec![ScalingPolicy {
                    kind: PolicyKind::Percent,
                    value: 100,
                    period_s: 15,
                }],
            },
        }
    }
}

/// One pod as the controller sees it at a sync.
#[derive(Debug, Clone, PartialEq)]
pub struct PodSample {
    pub name: String,
    /// Phase Running and not being deleted.
    pub running: bool,
    /// The Ready condition is true.
    pub ready: bool,
    /// Seconds since the pod started (for the CPU initialization period and
    /// the initial readiness delay of Resource cpu metrics).
    pub age_s: f64,
    /// The pod's metric value: for Resource metrics the usage in the metric's
    /// unit (cores for cpu); for Pods metrics the value. None = no metric.
    pub value: Option<f64>,
    /// For Resource metrics: the sum of the containers' requests (cores).
    pub request: Option<f64>,
}

/// What a metric measured at a sync, one per `HpaSpec::metrics` entry in order.
#[derive(Debug, Clone, PartialEq)]
pub enum MetricInput {
    /// Resource and Pods metrics: the pods selected by the scale target.
    Pods(Vec<PodSample>),
    /// External and Object metrics: the value, or None when fetching failed.
    Value(Option<f64>),
}

/// One status condition (`AbleToScale`, `ScalingActive`, `ScalingLimited`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub kind: String,
    pub status: bool,
    pub reason: String,
    pub message: String,
}

/// The result of one sync.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncOutcome {
    /// What the controller writes to the scale subresource (equal to the
    /// current replicas when it does not rescale).
    pub desired_replicas: i32,
    pub rescaled: bool,
    /// Per metric, the current value as `status.currentMetrics` reports it:
    /// (average utilization percent for Utilization targets, average value
    /// for AverageValue targets, value for Value targets); None when missing.
    pub current_metrics: Vec<Option<f64>>,
    pub conditions: Vec<Condition>,
    /// The message of the `SuccessfulRescale` event, when rescaled:
    /// "New size: 4; reason: external metric s0-nats-jetstream-MEMES(&LabelSelector{...}) above target".
    pub rescale_message: Option<String>,
    /// (reason, message) of the `FailedGetResourceMetric` /
    /// `FailedGetPodsMetric` / `FailedGetExternalMetric` /
    /// `FailedGetObjectMetric` warnings, one per failing metric.
    pub failed_metric_messages: Vec<(String, String)>,
}

/// One HPA's controller state: recommendation history, scale events and the
/// status conditions, which persist across syncs as upstream's do.
#[derive(Debug, Clone)]
pub struct Controller {
    pub spec: HpaSpec,
    // implementation state: add fields here
    /// Unstabilized recommendations (`HorizontalController.recommendations`).
    recommendations: stabilization::Recommendations,
    /// This HPA's own rescales (`scaleUpEvents` / `scaleDownEvents`).
    scale_events: rate_limit::ScaleEvents,
    /// `status.conditions`, which upstream updates in place across syncs.
    conditions: Vec<Condition>,
}

impl Controller {
    pub fn new(spec: HpaSpec) -> Controller {
        Controller {
            spec,
            recommendations: Default::default(),
            scale_events: Default::default(),
            conditions: Vec::new(),
        }
    }

    /// One reconcile at `now_s` (seconds, any origin) with the scale
    /// target's current replicas (`spec.replicas` of the Deployment) and the
    /// measured inputs.
    pub fn sync(
        &mut self,
        now_s: f64,
        current_replicas: i32,
        inputs: &[MetricInput],
    ) -> SyncOutcome {
        reconcile::reconcile(self, now_s, current_replicas, inputs)
    }
}

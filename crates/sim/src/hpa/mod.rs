//! The Kubernetes HorizontalPodAutoscaler controller (`autoscaling/v2`), as
//! upstream implements it: per-metric replica calculation, tolerance, max over
//! metrics, min/max, stabilization windows and behavior policies.
//!
//! The types here are the controller's inputs and outputs, in upstream's
//! units; the simulator builds them from the scenario's manifests and its
//! pods. The implementation lives in the submodules.
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
    /// `minReplicas`: never scale below (upstream defaults it to 1).
    pub min_replicas: i32,
    /// `maxReplicas`: never scale above; at least `min_replicas`.
    pub max_replicas: i32,
    /// `metrics`: each gives a replica count, and the largest wins.
    pub metrics: Vec<MetricSpec>,
    /// `behavior`, with upstream's defaults filled in where the manifest
    /// leaves it out ([`Behavior::default_k8s`]).
    pub behavior: Behavior,
}

/// One entry of `spec.metrics`: what to measure and the value to hold it at.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricSpec {
    /// Where the metric comes from (`type` and its block).
    pub source: MetricSource,
    /// The target (`target.type` and its value).
    pub target: MetricTarget,
}

/// The kind of metric an entry of `spec.metrics` reads.
#[derive(Debug, Clone, PartialEq)]
pub enum MetricSource {
    /// `type: Resource`, e.g. `cpu`.
    Resource {
        /// The resource name (`cpu`, `memory`).
        name: String,
    },
    /// `type: Pods`, e.g. `memegenerator_pod_cpu_rate`.
    Pods {
        /// The custom metric's name, as the metrics API serves it.
        metric: String,
    },
    /// `type: External`, e.g. `s0-nats-jetstream-MEMES`, with the metric's
    /// label selector (KEDA sets `scaledobject.keda.sh/name: <name>`).
    /// An empty selector stands for no selector (upstream prints it `nil`).
    External {
        /// The external metric's name.
        metric: String,
        /// `metric.selector.matchLabels`, as (key, value) pairs.
        selector: Vec<(String, String)>,
    },
    /// `type: Object`: a metric describing one object (kind/name).
    Object {
        /// The metric's name.
        metric: String,
        /// `describedObject.kind` (`Service`, `Ingress`).
        kind: String,
        /// `describedObject.name`.
        name: String,
    },
}

/// `target` of a metric: the value the controller scales to hold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MetricTarget {
    /// Percent of the pods' requests (Resource only).
    Utilization(i32),
    /// Average over pods (Resource in absolute units, Pods, External, Object).
    AverageValue(f64),
    /// The metric's total value (External, Object).
    Value(f64),
}

/// `spec.behavior`: how fast the controller may scale each way.
#[derive(Debug, Clone, PartialEq)]
pub struct Behavior {
    /// `scaleUp`: rules when the recommendation is above current replicas.
    pub scale_up: ScalingRules,
    /// `scaleDown`: rules when it is below.
    pub scale_down: ScalingRules,
}

/// `scaleUp` or `scaleDown` of a [`Behavior`].
#[derive(Debug, Clone, PartialEq)]
pub struct ScalingRules {
    /// `stabilizationWindowSeconds`: the controller acts on the most
    /// conservative recommendation of this many past seconds (0 to 3600).
    pub stabilization_window_s: i32,
    /// `selectPolicy`: which of the policies' limits applies.
    pub select_policy: SelectPolicy,
    /// `policies`: limits on the change per period.
    pub policies: Vec<ScalingPolicy>,
}

/// `selectPolicy`: how several [`ScalingPolicy`] limits combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectPolicy {
    /// The policy allowing the largest change (upstream's default).
    Max,
    /// The policy allowing the smallest change.
    Min,
    /// No scaling in this direction at all.
    Disabled,
}

/// One entry of `policies`: at most `value` pods or percent per `period_s`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScalingPolicy {
    /// `type`: whether `value` counts pods or percent.
    pub kind: PolicyKind,
    /// `value`: the most pods, or percent of the replicas at the start of
    /// the period, that may be added or removed; positive.
    pub value: i32,
    /// `periodSeconds`: the window the limit applies over (1 to 1800).
    pub period_s: i32,
}

/// `type` of a [`ScalingPolicy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// `Pods`: `value` is a number of pods.
    Pods,
    /// `Percent`: `value` is a percentage of the current replicas.
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
    /// `metadata.name`; upstream sorts and reports pods by it.
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
    /// `type`: `AbleToScale`, `ScalingActive` or `ScalingLimited`.
    pub kind: String,
    /// `status`: `True` or `False` (upstream never sets `Unknown` here).
    pub status: bool,
    /// `reason`, CamelCase as upstream (`ScaleDownStabilized`,
    /// `TooManyReplicas`).
    pub reason: String,
    /// `message`, worded as upstream's.
    pub message: String,
}

/// The result of one sync.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncOutcome {
    /// What the controller writes to the scale subresource (equal to the
    /// current replicas when it does not rescale).
    pub desired_replicas: i32,
    /// Whether `desired_replicas` differs from the current replicas, so a
    /// scale was written and a `SuccessfulRescale` event emitted.
    pub rescaled: bool,
    /// Per metric, the current value as `status.currentMetrics` reports it:
    /// (average utilization percent for Utilization targets, average value
    /// for AverageValue targets, value for Value targets); None when missing.
    pub current_metrics: Vec<Option<f64>>,
    /// `status.conditions` after this sync, in the order first set (as
    /// upstream's `setConditionInList` keeps them).
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
    /// The HPA's spec, as its manifest gives it.
    pub spec: HpaSpec,
    /// Unstabilized recommendations (`HorizontalController.recommendations`).
    recommendations: stabilization::Recommendations,
    /// This HPA's own rescales (`scaleUpEvents` / `scaleDownEvents`).
    scale_events: rate_limit::ScaleEvents,
    /// `status.conditions`, which upstream updates in place across syncs.
    conditions: Vec<Condition>,
}

impl Controller {
    /// A controller that has not synced yet: no recommendations, no
    /// scale events, no conditions.
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

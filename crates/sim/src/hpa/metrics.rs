//! From metric specs and measurements to one replica proposal: mirrors
//! `computeReplicasForMetrics`, `computeReplicasForMetric` and the
//! `computeStatusFor*Metric` functions of horizontal.go.
//!
//! Failure messages are upstream's texts, except that the model knows no
//! namespace (upstream prints `<namespace>/` before external metric names and
//! after `on <Kind>` for object metrics) and no underlying metrics API error.

use super::describe::{go_label_selector, metric_description};
use super::quantity::{from_milli, milli_value};
use super::replicas::{self, Estimate};
use super::{MetricInput, MetricSource, MetricSpec, MetricTarget, PodSample};

/// A metric that yielded no replica count: the reason and message of its
/// warning event, which upstream also puts in the `ScalingActive` condition
/// (`getUnableComputeReplicaCountCondition`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct MetricFailure {
    pub reason: &'static str,
    pub message: String,
}

/// The winning proposal over all metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Proposal {
    pub replicas: i32,
    /// The winning metric's description (`metricNameProposal`).
    pub description: String,
}

/// What `computeReplicasForMetrics` returns.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct MetricsOutcome {
    /// `status.currentMetrics`, one per metric, `None` where it failed.
    pub current: Vec<Option<f64>>,
    /// The failing metrics in spec order.
    pub failures: Vec<MetricFailure>,
    /// The largest proposal, or `None` where upstream gives up (its `-1`):
    /// every metric failed, or some failed and the rest would scale down.
    pub proposal: Option<Proposal>,
}

/// `computeReplicasForMetrics`: the largest proposal wins.
pub(super) fn compute_replicas_for_metrics(
    specs: &[MetricSpec],
    inputs: &[MetricInput],
    current_replicas: i32,
) -> MetricsOutcome {
    let mut current = Vec::with_capacity(specs.len());
    let mut failures = Vec::new();
    let mut replicas = 0;
    let mut description = String::new();
    for (index, spec) in specs.iter().enumerate() {
        match compute_replicas_for_metric(spec, inputs.get(index), current_replicas) {
            Ok(measured) => {
                current.push(Some(measured.current));
                // Upstream's test, including its quirk that a proposal of 0
                // is replaced by any later one.
                if replicas == 0 || measured.replicas > replicas {
                    replicas = measured.replicas;
                    description = metric_description(spec);
                }
            }
            Err(failure) => {
                current.push(None);
                failures.push(failure);
            }
        }
    }
    // Scaling down on partial information could remove capacity that a
    // failing metric still needs, so upstream only acts on a partial set when
    // it scales up (or stays).
    let gives_up =
        failures.len() >= specs.len() || (!failures.is_empty() && replicas < current_replicas);
    let proposal = (!gives_up).then_some(Proposal {
        replicas,
        description,
    });
    MetricsOutcome {
        current,
        failures,
        proposal,
    }
}

/// One metric's proposal and its `status.currentMetrics` value.
struct Measured {
    replicas: i32,
    current: f64,
}

impl Measured {
    /// For calculations reporting milli-units.
    fn milli(estimate: Estimate) -> Measured {
        Measured {
            replicas: estimate.replicas,
            current: from_milli(estimate.current),
        }
    }
}

/// `computeReplicasForMetric`. An input of the wrong shape (or none) for its
/// metric reads as a metrics API that returned nothing.
fn compute_replicas_for_metric(
    spec: &MetricSpec,
    input: Option<&MetricInput>,
    current_replicas: i32,
) -> Result<Measured, MetricFailure> {
    let pods = match input {
        Some(MetricInput::Pods(pods)) => pods.as_slice(),
        _ => &[],
    };
    let value = match input {
        Some(MetricInput::Value(value)) => *value,
        _ => None,
    };
    match &spec.source {
        MetricSource::Resource { name } => {
            resource_metric(name, spec.target, pods, current_replicas)
        }
        MetricSource::Pods { metric } => pods_metric(metric, spec.target, pods, current_replicas),
        MetricSource::External { metric, selector } => {
            external_metric(metric, selector, spec.target, value, current_replicas)
        }
        MetricSource::Object { metric, kind, name } => {
            object_metric(metric, kind, name, spec.target, value, current_replicas)
        }
    }
}

/// `computeStatusForResourceMetric`. The metrics API returns nothing when no
/// pod has a sample, which upstream reports before looking at the pods.
fn resource_metric(
    resource: &str,
    target: MetricTarget,
    pods: &[PodSample],
    current_replicas: i32,
) -> Result<Measured, MetricFailure> {
    let fail = |message| MetricFailure {
        reason: "FailedGetResourceMetric",
        message,
    };
    let fetched = if has_any_sample(pods) {
        Ok(pods)
    } else {
        Err(format!(
            "unable to get metrics for resource {resource}: no metrics returned from resource metrics API"
        ))
    };
    match target {
        MetricTarget::Utilization(utilization) => {
            if utilization <= 0 {
                return Err(fail(invalid_target("resource")));
            }
            fetched
                .and_then(|pods| {
                    replicas::resource_utilization(current_replicas, utilization, resource, pods)
                })
                .map(|estimate| Measured {
                    replicas: estimate.replicas,
                    current: estimate.current as f64,
                })
                .map_err(|err| fail(format!("failed to get {resource} utilization: {err}")))
        }
        MetricTarget::AverageValue(average) => {
            let target = positive_milli(average).ok_or_else(|| fail(invalid_target("resource")))?;
            fetched
                .and_then(|pods| {
                    replicas::plain_metric(current_replicas, target, resource == "cpu", pods)
                })
                .map(Measured::milli)
                .map_err(|err| fail(format!("failed to get {resource} usage: {err}")))
        }
        MetricTarget::Value(_) => Err(fail(
            "invalid resource metric source: neither an average utilization target nor an average value (usage) target was set"
                .to_owned(),
        )),
    }
}

/// `computeStatusForPodsMetric` (`GetMetricReplicas`).
fn pods_metric(
    metric: &str,
    target: MetricTarget,
    pods: &[PodSample],
    current_replicas: i32,
) -> Result<Measured, MetricFailure> {
    let fail = |message| MetricFailure {
        reason: "FailedGetPodsMetric",
        message,
    };
    // API validation only admits AverageValue targets for Pods metrics.
    let MetricTarget::AverageValue(average) = target else {
        return Err(fail(
            "invalid pods metric source: the target must be an average value".to_owned(),
        ));
    };
    let target = positive_milli(average).ok_or_else(|| fail(invalid_target("pods")))?;
    if !has_any_sample(pods) {
        return Err(fail(format!(
            "unable to get metric {metric}: no metrics returned from custom metrics API"
        )));
    }
    replicas::plain_metric(current_replicas, target, false, pods)
        .map(Measured::milli)
        .map_err(fail)
}

/// `computeStatusForExternalMetric`.
fn external_metric(
    metric: &str,
    selector: &[(String, String)],
    target: MetricTarget,
    value: Option<f64>,
    current_replicas: i32,
) -> Result<Measured, MetricFailure> {
    let fail = |message| MetricFailure {
        reason: "FailedGetExternalMetric",
        message,
    };
    let target = SingleValueTarget::new(target, "external").map_err(fail)?;
    let usage = value.and_then(milli_value).ok_or_else(|| {
        fail(format!(
            "unable to get external metric {metric}/{}: no metrics returned from external metrics API",
            go_label_selector(selector)
        ))
    })?;
    Ok(target.replicas(current_replicas, usage))
}

/// `computeStatusForObjectMetric`. Upstream's error text really reads
/// `unable to get metric <metric>: <Kind> on <namespace> <name>/<error>`.
fn object_metric(
    metric: &str,
    kind: &str,
    name: &str,
    target: MetricTarget,
    value: Option<f64>,
    current_replicas: i32,
) -> Result<Measured, MetricFailure> {
    let fail = |message| MetricFailure {
        reason: "FailedGetObjectMetric",
        message,
    };
    let target = SingleValueTarget::new(target, "object").map_err(fail)?;
    let usage = value.and_then(milli_value).ok_or_else(|| {
        fail(format!(
            "unable to get metric {metric}: {kind} on {name}/unable to fetch metrics from custom metrics API: no metric value"
        ))
    })?;
    Ok(target.replicas(current_replicas, usage))
}

/// The targets of External and Object metrics, in milli-units.
enum SingleValueTarget {
    /// `Value`: the metric's total against the target.
    Total(i64),
    /// `AverageValue`: the total divided among the pods.
    PerPod(i64),
}

impl SingleValueTarget {
    /// Upstream's API validation rejects Utilization targets and targets that
    /// are not positive; the model reports them as failing metrics.
    fn new(target: MetricTarget, source: &str) -> Result<SingleValueTarget, String> {
        let target = match target {
            MetricTarget::Value(total) => positive_milli(total).map(Self::Total),
            MetricTarget::AverageValue(average) => positive_milli(average).map(Self::PerPod),
            MetricTarget::Utilization(_) => {
                return Err(format!(
                    "invalid {source} metric source: neither a value target nor an average value target was set"
                ));
            }
        };
        target.ok_or_else(|| invalid_target(source))
    }

    /// `MetricInput::Value` carries no pods, so the scale's `status.replicas`
    /// and ready replicas, which upstream uses here, are taken to be the
    /// current replicas.
    fn replicas(&self, current_replicas: i32, usage: i64) -> Measured {
        match *self {
            SingleValueTarget::Total(target) => Measured {
                replicas: replicas::usage_ratio_replicas(
                    current_replicas,
                    current_replicas,
                    usage as f64 / target as f64,
                ),
                current: from_milli(usage),
            },
            SingleValueTarget::PerPod(target) => {
                Measured::milli(replicas::per_pod(current_replicas, target, usage))
            }
        }
    }
}

/// Whether any pod has a sample: the metrics APIs error out on an empty list.
fn has_any_sample(pods: &[PodSample]) -> bool {
    pods.iter()
        .any(|pod| pod.value.and_then(milli_value).is_some())
}

/// A target quantity in milli-units, if positive as API validation demands.
fn positive_milli(target: f64) -> Option<i64> {
    milli_value(target).filter(|&milli| milli > 0)
}

/// Model-only message: upstream's API validation rejects such a target.
fn invalid_target(source: &str) -> String {
    format!("invalid {source} metric source: the target must be positive")
}

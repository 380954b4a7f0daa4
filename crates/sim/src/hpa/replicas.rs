//! The per-metric replica calculator, mirroring replica_calculator.go.
//!
//! Every value is in int64 milli-units (utilization in integer percent) and
//! rounds where upstream's integer arithmetic does. Errors are upstream's
//! error texts: they end up in events and in the `ScalingActive` condition.

use super::PodSample;
use super::quantity::{ceil_i32, ceil_i64, milli_value, saturate_i64};

/// `--horizontal-pod-autoscaler-tolerance` default, both ways.
const TOLERANCE: f64 = 0.1;

/// `--horizontal-pod-autoscaler-initial-readiness-delay` default.
const INITIAL_READINESS_DELAY_S: f64 = 30.0;

const NO_PODS: &str = "no pods returned by selector while calculating replica count";
const NO_TARGETED_METRICS: &str =
    "did not receive metrics for targeted pods (pods might be unready)";
const NO_MATCHING_REQUESTS: &str = "no metrics returned matched known pods";

/// `Tolerances.isWithin`: a usage ratio this close to 1 means "no change".
pub(super) fn within_tolerance(usage_ratio: f64) -> bool {
    (1.0 - TOLERANCE..=1.0 + TOLERANCE).contains(&usage_ratio)
}

/// A replica proposal and the metric's current value as upstream reports it
/// (integer percent for utilization, milli-units otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Estimate {
    pub replicas: i32,
    pub current: i64,
}

/// `GetResourceReplicas`: a Resource metric against a utilization target.
pub(super) fn resource_utilization(
    current_replicas: i32,
    target_utilization: i32,
    resource: &str,
    pods: &[PodSample],
) -> Result<Estimate, String> {
    if pods.is_empty() {
        return Err(NO_PODS.to_owned());
    }
    let groups = group_pods(pods, resource == "cpu");
    if groups.metrics.is_empty() {
        return Err(NO_TARGETED_METRICS.to_owned());
    }
    let requests = pod_requests(pods, resource)?;
    let ratio_of = |metrics: &[PodMetric]| {
        utilization_ratio(metrics, &requests, target_utilization).map(|(ratio, _)| ratio)
    };
    let (usage_ratio, utilization) =
        utilization_ratio(&groups.metrics, &requests, target_utilization)?;
    // On a scale-down a pod without metrics is assumed to use its whole
    // request, or the target when the target is above 100%.
    let fallback_utilization = i64::from(target_utilization.max(100));
    let scale_down_fill = |pod: usize| requests[pod].saturating_mul(fallback_utilization) / 100;
    let replicas = adjust_for_missing_and_unready(
        current_replicas,
        groups,
        usage_ratio,
        ratio_of,
        scale_down_fill,
    )?;
    Ok(Estimate {
        replicas,
        current: i64::from(utilization),
    })
}

/// `GetRawResourceReplicas` and `GetMetricReplicas`, both of which are
/// `calcPlainMetricReplicas`: the pods' average value against a per-pod
/// target. Only a `cpu` resource metric looks at readiness.
pub(super) fn plain_metric(
    current_replicas: i32,
    target_milli: i64,
    cpu: bool,
    pods: &[PodSample],
) -> Result<Estimate, String> {
    if pods.is_empty() {
        return Err(NO_PODS.to_owned());
    }
    let groups = group_pods(pods, cpu);
    if groups.metrics.is_empty() {
        return Err(NO_TARGETED_METRICS.to_owned());
    }
    let (ratio, usage) = usage_ratio(&groups.metrics, target_milli);
    let replicas = adjust_for_missing_and_unready(
        current_replicas,
        groups,
        ratio,
        |metrics| Ok(usage_ratio(metrics, target_milli).0),
        // On a scale-down a pod without metrics is assumed to be on target.
        |_| target_milli,
    )?;
    Ok(Estimate {
        replicas,
        current: usage,
    })
}

/// `getUsageRatioReplicaCount`, behind `GetExternalMetricReplicas` and
/// `GetObjectMetricReplicas` (Value targets): the ratio scales the ready pods,
/// except from zero replicas, where it is the replica count itself.
pub(super) fn usage_ratio_replicas(
    current_replicas: i32,
    ready_replicas: i32,
    usage_ratio: f64,
) -> i32 {
    if current_replicas == 0 {
        return ceil_i32(usage_ratio);
    }
    if within_tolerance(usage_ratio) {
        return current_replicas;
    }
    ceil_i32(usage_ratio * f64::from(ready_replicas))
}

/// `GetExternalPerPodMetricReplicas` and `GetObjectPerPodMetricReplicas`
/// (AverageValue targets): the total divided by the per-pod target, with the
/// tolerance judged against `status.replicas`. The reported value is the
/// total spread over `status.replicas`, rounded up.
pub(super) fn per_pod(
    status_replicas: i32,
    target_per_pod_milli: i64,
    usage_milli: i64,
) -> Estimate {
    let usage = usage_milli as f64;
    let status = f64::from(status_replicas);
    let target = target_per_pod_milli as f64;
    let replicas = if within_tolerance(usage / (target * status)) {
        status_replicas
    } else {
        ceil_i32(usage / target)
    };
    Estimate {
        replicas,
        current: ceil_i64(usage / status),
    }
}

/// One pod's metric: (index into the pod list, milli-value).
type PodMetric = (usize, i64);

/// The pods as `groupPods` sorts them.
struct PodGroups {
    /// `readyPodCount`: pods whose metric is used as measured.
    ready: usize,
    /// The metrics that survive `removeMetricsForPods`: the ready pods'.
    metrics: Vec<PodMetric>,
    /// Set aside: counted as 0 on a scale-up, otherwise left out.
    unready: Vec<usize>,
    /// Running pods without a metric.
    missing: Vec<usize>,
}

/// `groupPods`. Upstream drops deleted and failed pods and sets pending pods
/// aside as unready; `PodSample::running` cannot tell pending from deleted,
/// so every pod that is not running is dropped.
///
/// For cpu, upstream sets aside a pod that is unready, or that is within the
/// 5 min cpu initialization period and whose metric window started before it
/// became ready. The samples carry no readiness transition time, so a pod
/// counts as unready for cpu when it is not ready or younger than the 30 s
/// initial readiness delay.
fn group_pods(pods: &[PodSample], cpu: bool) -> PodGroups {
    let mut groups = PodGroups {
        ready: 0,
        metrics: Vec::new(),
        unready: Vec::new(),
        missing: Vec::new(),
    };
    for (index, pod) in pods.iter().enumerate() {
        if !pod.running {
            continue;
        }
        let Some(value) = pod.value.and_then(milli_value) else {
            groups.missing.push(index);
            continue;
        };
        if cpu && (!pod.ready || pod.age_s < INITIAL_READINESS_DELAY_S) {
            groups.unready.push(index);
            continue;
        }
        groups.ready += 1;
        groups.metrics.push((index, value));
    }
    groups
}

/// The tail shared by `GetResourceReplicas` and `calcPlainMetricReplicas`:
/// with no pod set aside the ratio scales the ready pods; otherwise missing
/// pods are filled in against the direction of the change (0 on a scale-up,
/// `scale_down_fill` on a scale-down), unready pods count as 0 on a scale-up,
/// and the recomputed ratio may not flip the direction or fall within the
/// tolerance.
fn adjust_for_missing_and_unready(
    current_replicas: i32,
    groups: PodGroups,
    usage_ratio: f64,
    ratio_of: impl Fn(&[PodMetric]) -> Result<f64, String>,
    scale_down_fill: impl Fn(usize) -> i64,
) -> Result<i32, String> {
    let scale_up_with_unready = !groups.unready.is_empty() && usage_ratio > 1.0;
    if !scale_up_with_unready && groups.missing.is_empty() {
        if within_tolerance(usage_ratio) {
            return Ok(current_replicas);
        }
        return Ok(ceil_i32(usage_ratio * groups.ready as f64));
    }

    let mut metrics = groups.metrics;
    if usage_ratio < 1.0 {
        metrics.extend(
            groups
                .missing
                .iter()
                .map(|&pod| (pod, scale_down_fill(pod))),
        );
    } else if usage_ratio > 1.0 {
        metrics.extend(groups.missing.iter().map(|&pod| (pod, 0)));
    }
    if scale_up_with_unready {
        metrics.extend(groups.unready.iter().map(|&pod| (pod, 0)));
    }

    let new_ratio = ratio_of(&metrics)?;
    let flips_direction =
        (usage_ratio < 1.0 && new_ratio > 1.0) || (usage_ratio > 1.0 && new_ratio < 1.0);
    if within_tolerance(new_ratio) || flips_direction {
        return Ok(current_replicas);
    }
    // Upstream scales the number of pods that entered the calculation, and
    // keeps the current count if that count reverses the direction.
    let new_replicas = ceil_i32(new_ratio * metrics.len() as f64);
    if (new_ratio < 1.0 && new_replicas > current_replicas)
        || (new_ratio > 1.0 && new_replicas < current_replicas)
    {
        return Ok(current_replicas);
    }
    Ok(new_replicas)
}

/// `calculateRequests`: every listed pod needs a request for the resource,
/// running or not, or the metric cannot be computed.
fn pod_requests(pods: &[PodSample], resource: &str) -> Result<Vec<i64>, String> {
    pods.iter()
        .map(|pod| {
            pod.request.and_then(milli_value).ok_or_else(|| {
                format!(
                    "missing request for {resource} in a container of Pod {}",
                    pod.name
                )
            })
        })
        .collect()
}

/// `GetResourceUtilizationRatio`: the summed usage over the summed requests
/// as an integer percent, and that percent over the target.
fn utilization_ratio(
    metrics: &[PodMetric],
    requests: &[i64],
    target: i32,
) -> Result<(f64, i32), String> {
    let usage: i128 = metrics.iter().map(|&(_, value)| i128::from(value)).sum();
    let requested: i128 = metrics
        .iter()
        .map(|&(pod, _)| i128::from(requests[pod]))
        .sum();
    if requested == 0 {
        return Err(NO_MATCHING_REQUESTS.to_owned());
    }
    let percent =
        (usage * 100 / requested).clamp(i128::from(i32::MIN), i128::from(i32::MAX)) as i32;
    Ok((f64::from(percent) / f64::from(target), percent))
}

/// `GetMetricUsageRatio`: the integer average over the target.
fn usage_ratio(metrics: &[PodMetric], target_milli: i64) -> (f64, i64) {
    let total: i128 = metrics.iter().map(|&(_, value)| i128::from(value)).sum();
    let count = i128::try_from(metrics.len()).unwrap_or(i128::MAX);
    let average = saturate_i64(total.checked_div(count).unwrap_or(0));
    (average as f64 / target_milli as f64, average)
}

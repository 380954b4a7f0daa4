//! The per-metric replica calculation (replica_calculator.go).

use super::*;

/// Syncs once at t=0 with `current` replicas and returns the desired count.
fn desired(metric: MetricSpec, current: i32, input: MetricInput) -> SyncOutcome {
    controller(1, 100, vec![metric], immediate()).sync(0.0, current, &[input])
}

// Docs, "Algorithm details": "if the current metric value is 200m, and the
// desired value is 100m, the number of replicas will be doubled".
#[test]
fn docs_algorithm_200m_over_100m_doubles_replicas() {
    let outcome = desired(
        pods_metric("requests", 0.1),
        3,
        pods_input(&[0.2, 0.2, 0.2]),
    );
    assert_eq!(outcome.desired_replicas, 6);
    assert_eq!(outcome.current_metrics, vec![Some(0.2)]);
}

// Docs, "Algorithm details": "If the current value is instead 50m, you'll
// halve the number of replicas".
#[test]
fn docs_algorithm_50m_over_100m_halves_replicas() {
    let outcome = desired(pods_metric("requests", 0.1), 4, pods_input(&[0.05; 4]));
    assert_eq!(outcome.desired_replicas, 2);
}

// Docs, "Algorithm details": scaling is skipped "if the ratio is sufficiently
// close to 1.0 (within a configurable tolerance, 0.1 by default)": 1.05 stays.
#[test]
fn tolerance_ratio_1_05_keeps_replicas() {
    let outcome = desired(pods_metric("requests", 1.0), 5, pods_input(&[1.05; 5]));
    assert!(!outcome.rescaled);
    assert_eq!(outcome.desired_replicas, 5);
}

// Same rule: a ratio of 1.2 is outside the tolerance, ceil(1.2 * 5) = 6.
#[test]
fn tolerance_ratio_1_2_scales() {
    let outcome = desired(pods_metric("requests", 1.0), 5, pods_input(&[1.2; 5]));
    assert_eq!(outcome.desired_replicas, 6);
}

// Tolerances.isWithin: `(1-down) <= ratio <= (1+up)`, bounds included, so a
// ratio of exactly 1.1 does not scale 10 pods to 11.
#[test]
fn tolerance_bounds_are_inclusive() {
    let outcome = desired(pods_metric("requests", 1.0), 10, pods_input(&[1.1; 10]));
    assert!(!outcome.rescaled);
}

// GetResourceUtilizationRatio: utilization is the integer percent
// sum(usage)*100/sum(requests). 1 core of 3 is 33% (not 33.3%), and 33/30 =
// 1.1 is within tolerance; the unrounded 1.11 would have scaled to 2.
#[test]
fn utilization_is_integer_percent_of_summed_requests() {
    let mut pod = pod("web-0", Some(1.0));
    pod.request = Some(3.0);
    let outcome = desired(cpu_utilization(30), 1, MetricInput::Pods(vec![pod]));
    assert!(!outcome.rescaled);
    assert_eq!(outcome.current_metrics, vec![Some(33.0)]);
}

// Docs: "if any not-yet-ready pods were present, and the workload would have
// scaled up ... the controller conservatively assumes that the not-yet-ready
// pods are consuming 0% of the desired metric". One ready pod at 110% of a 50%
// target (ratio 2.2) with an unready one: (1100m + 0) / 2000m = 55%, ratio
// 1.1, within tolerance, so 2 stay 2 (ceil(2.2 * 1) = 3 without the rule).
// The status reports the original 110%.
#[test]
fn cpu_unready_pods_count_as_zero_on_scale_up() {
    let mut unready = pod("web-1", Some(0.9));
    unready.ready = false;
    let input = MetricInput::Pods(vec![pod("web-0", Some(1.1)), unready]);
    let outcome = desired(cpu_utilization(50), 2, input);
    assert!(!outcome.rescaled);
    assert_eq!(outcome.current_metrics, vec![Some(110.0)]);
}

// Docs: a pod whose "most recent metric point ... was before it became ready"
// is set aside for cpu; modelled as younger than the 30 s initial readiness
// delay. Same numbers as the test above.
#[test]
fn cpu_pods_in_initial_readiness_delay_count_as_unready() {
    let mut young = pod("web-1", Some(0.9));
    young.age_s = 10.0;
    let input = MetricInput::Pods(vec![pod("web-0", Some(1.1)), young]);
    assert!(!desired(cpu_utilization(50), 2, input).rescaled);
}

// groupPods only checks readiness for the cpu resource: a Pods metric counts
// an unready pod's sample. (2.2 + 2.2) / 2 = 2.2, ceil(2.2 * 2) = 5.
#[test]
fn pods_metric_ignores_readiness() {
    let mut unready = pod("web-1", Some(2.2));
    unready.ready = false;
    let input = MetricInput::Pods(vec![pod("web-0", Some(2.2)), unready]);
    assert_eq!(
        desired(pods_metric("requests", 1.0), 2, input).desired_replicas,
        5
    );
}

// Docs: missing metrics count as "100% of the desired value in case of a
// scale down". Two pods at 0.5 of a 1.0 target and two without metrics:
// (0.5 + 0.5 + 1 + 1) / 4 = 0.75, ceil(0.75 * 4) = 3 (not ceil(0.5 * 2) = 1).
#[test]
fn missing_pods_count_as_target_on_scale_down() {
    let mut input = pods(&[0.5, 0.5]);
    input.extend([pod("new-0", None), pod("new-1", None)]);
    let outcome = desired(pods_metric("requests", 1.0), 4, MetricInput::Pods(input));
    assert_eq!(outcome.desired_replicas, 3);
}

// Docs: missing metrics count as "0% in case of a scale up". Three pods at 1.4
// and one without metrics: 4.2 / 4 = 1.05 is within tolerance, so 4 stay 4
// (ceil(1.4 * 3) = 5 without the rule).
#[test]
fn missing_pods_count_as_zero_on_scale_up() {
    let mut input = pods(&[1.4, 1.4, 1.4]);
    input.push(pod("new-0", None));
    assert!(!desired(pods_metric("requests", 1.0), 4, MetricInput::Pods(input)).rescaled);
}

// GetResourceReplicas: on a scale-down a pod without metrics uses
// max(100%, target) of its request, not the target. Two pods at 10% of a 50%
// target and two missing: (100m + 100m + 1000m + 1000m) / 4000m = 55%,
// ratio 1.1 reverses the direction, so 4 stay 4 (the target, 50%, would give
// 30% and 3 replicas).
#[test]
fn missing_resource_pods_use_their_whole_request_on_scale_down() {
    let mut input = pods(&[0.1, 0.1]);
    input.extend([pod("new-0", None), pod("new-1", None)]);
    assert!(!desired(cpu_utilization(50), 4, MetricInput::Pods(input)).rescaled);
}

// Docs: "all Pods with a deletion timestamp set ... are ignored, and all
// failed Pods are discarded": not running pods neither dilute the average nor
// count as missing. Two pods at 2.0 of a 1.0 target: ceil(2 * 2) = 4.
#[test]
fn pods_not_running_are_ignored() {
    let mut input = pods(&[2.0, 2.0]);
    let mut terminating = pod("old-0", Some(0.0));
    terminating.running = false;
    let mut failed = pod("old-1", None);
    failed.running = false;
    input.extend([terminating, failed]);
    assert_eq!(
        desired(pods_metric("requests", 1.0), 4, MetricInput::Pods(input)).desired_replicas,
        4
    );
}

// GetExternalPerPodMetricReplicas: AverageValue gives ceil(total / target):
// 23 against 5 per pod is ceil(4.6) = 5; the status shows the total spread
// over the 2 current replicas, 11.5.
#[test]
fn external_average_value_is_ceil_of_total_over_target() {
    let outcome = desired(
        memes_metric(MetricTarget::AverageValue(5.0)),
        2,
        value_input(23.0),
    );
    assert_eq!(outcome.desired_replicas, 5);
    assert_eq!(outcome.current_metrics, vec![Some(11.5)]);
}

// GetExternalPerPodMetricReplicas: the tolerance compares the total with
// target * status.replicas: 11 / (5 * 2) = 1.1 keeps 2 although ceil(11 / 5)
// would be 3.
#[test]
fn external_average_value_tolerance_uses_current_replicas() {
    let outcome = desired(
        memes_metric(MetricTarget::AverageValue(5.0)),
        2,
        value_input(11.0),
    );
    assert!(!outcome.rescaled);
}

// GetExternalMetricReplicas / getUsageRatioReplicaCount: a Value target
// scales the ready replicas by value / target: 300 / 100 * 2 = 6.
#[test]
fn external_value_scales_ready_replicas() {
    let outcome = desired(
        memes_metric(MetricTarget::Value(100.0)),
        2,
        value_input(300.0),
    );
    assert_eq!(outcome.desired_replicas, 6);
    assert_eq!(outcome.current_metrics, vec![Some(300.0)]);
}

// GetObjectMetricReplicas and GetObjectPerPodMetricReplicas: Value scales the
// ready replicas (25 / 10 * 2 = 5), AverageValue divides the total
// (ceil(25 / 2) = 13, which the default policies cap at 2 + 4 = 6).
// computeStatusForObjectMetric describes them as
// "<Kind> metric <name>" and, for AverageValue, "external metric <name>(nil)".
#[test]
fn object_metrics_follow_value_and_average_value_rules() {
    let object = |target| MetricSpec {
        source: MetricSource::Object {
            metric: "requests-per-second".to_owned(),
            kind: "Service".to_owned(),
            name: "frontend".to_owned(),
        },
        target,
    };
    let by_value = desired(object(MetricTarget::Value(10.0)), 2, value_input(25.0));
    assert_eq!(by_value.desired_replicas, 5);
    assert_eq!(
        by_value.rescale_message.as_deref(),
        Some("New size: 5; reason: Service metric requests-per-second above target")
    );
    let by_average = desired(
        object(MetricTarget::AverageValue(2.0)),
        2,
        value_input(25.0),
    );
    assert_eq!(
        by_average.rescale_message.as_deref(),
        Some("New size: 6; reason: external metric requests-per-second(nil) above target")
    );
}

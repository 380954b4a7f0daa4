//! The sync flow (reconcileAutoscaler, computeReplicasForMetrics): events,
//! conditions, failures and min/max.

use super::*;

// The simulator's fixture. KEDA's external metric s0-nats-jetstream-MEMES
// with an AverageValue target of 5 reads 6000 at 1 replica:
// GetExternalPerPodMetricReplicas proposes ceil(6000 / 5) = 1200. With the
// default behavior, calculateScaleUpLimitWithScalingRules allows
// max(1 + 4 pods, ceil(1 * (1 + 100/100)) = 2) = 5 in the first 15 s period,
// so upstream scales to 5, as expected by the brief.
#[test]
fn fixture_keda_external_metric_scales_1_to_5() {
    let metric = memes_metric(MetricTarget::AverageValue(5.0));
    let mut hpa = controller(1, 10, vec![metric], Behavior::default_k8s());
    let outcome = hpa.sync(0.0, 1, &[value_input(6000.0)]);

    assert_eq!(outcome.desired_replicas, 5);
    assert!(outcome.rescaled);
    assert_eq!(
        outcome.rescale_message,
        Some(format!(
            "New size: 5; reason: external metric s0-nats-jetstream-MEMES({MEMES_SELECTOR}) above target"
        ))
    );
    assert_eq!(outcome.current_metrics, vec![Some(6000.0)]);
    assert!(outcome.failed_metric_messages.is_empty());
    let kinds: Vec<&str> = outcome.conditions.iter().map(|c| c.kind.as_str()).collect();
    assert_eq!(kinds, ["AbleToScale", "ScalingActive", "ScalingLimited"]);
    assert_eq!(
        condition(&outcome, "AbleToScale").reason,
        "SucceededRescale"
    );
    assert_eq!(
        condition(&outcome, "AbleToScale").message,
        "the HPA controller was able to update the target scale to 5"
    );
    assert_eq!(
        condition(&outcome, "ScalingActive").message,
        format!(
            "the HPA was able to successfully calculate a replica count from external metric s0-nats-jetstream-MEMES({MEMES_SELECTOR})"
        )
    );
    assert_eq!(state(&outcome, "ScalingLimited"), (true, "ScaleUpLimit"));
    assert_eq!(
        condition(&outcome, "ScalingLimited").message,
        "the desired replica count is increasing faster than the maximum scale rate"
    );
}

// Docs, "Algorithm details": "this calculation is done for each metric, and
// then the largest of the desired replica counts is chosen". At 4 replicas
// cpu at 62% of 50% proposes ceil(1.24 * 4) = 5, the pods metric at 1.75 of 1
// proposes 7; 7 wins and names the event.
#[test]
fn largest_proposal_wins_across_metrics() {
    let metrics = vec![cpu_utilization(50), pods_metric("queue_depth", 1.0)];
    let mut hpa = controller(1, 20, metrics, Behavior::default_k8s());
    let outcome = hpa.sync(0.0, 4, &[pods_input(&[0.625; 4]), pods_input(&[1.75; 4])]);
    assert_eq!(outcome.desired_replicas, 7);
    assert_eq!(
        outcome.rescale_message.as_deref(),
        Some("New size: 7; reason: pods metric queue_depth above target")
    );
    assert_eq!(
        condition(&outcome, "ScalingActive").message,
        "the HPA was able to successfully calculate a replica count from pods metric queue_depth"
    );
    assert_eq!(outcome.current_metrics, vec![Some(62.0), Some(1.75)]);
}

// reconcileAutoscaler: a scale-down's reason is "All metrics below target".
#[test]
fn scale_down_reason_is_all_metrics_below_target() {
    let mut hpa = controller(1, 20, vec![pods_metric("queue_depth", 1.0)], immediate());
    let outcome = hpa.sync(0.0, 4, &[pods_input(&[0.5; 4])]);
    assert_eq!(
        outcome.rescale_message.as_deref(),
        Some("New size: 2; reason: All metrics below target")
    );
}

// computeReplicasForMetrics: when every metric fails, ScalingActive turns
// False with the first failure (getUnableComputeReplicaCountCondition) and
// nothing is scaled.
#[test]
fn all_metrics_failing_stops_scaling() {
    let mut hpa = controller(
        1,
        10,
        vec![memes_metric(MetricTarget::AverageValue(5.0))],
        Behavior::default_k8s(),
    );
    let outcome = hpa.sync(0.0, 3, &[MetricInput::Value(None)]);
    let message = format!(
        "unable to get external metric s0-nats-jetstream-MEMES/{MEMES_SELECTOR}: no metrics returned from external metrics API"
    );
    assert!(!outcome.rescaled);
    assert_eq!(outcome.desired_replicas, 3);
    assert_eq!(outcome.current_metrics, vec![None]);
    assert_eq!(
        outcome.failed_metric_messages,
        vec![("FailedGetExternalMetric".to_owned(), message.clone())]
    );
    assert_eq!(
        state(&outcome, "ScalingActive"),
        (false, "FailedGetExternalMetric")
    );
    assert_eq!(
        condition(&outcome, "ScalingActive").message,
        format!("the HPA was unable to compute the replica count: {message}")
    );
}

// Docs, "Algorithm details": "If any of these metrics cannot be converted into
// a desired replica count ... and a scale down is suggested by the metrics
// which can be fetched, scaling is skipped."
#[test]
fn failing_metric_blocks_scale_down() {
    let metrics = vec![
        pods_metric("queue_depth", 1.0),
        memes_metric(MetricTarget::AverageValue(5.0)),
    ];
    let mut hpa = controller(1, 10, metrics, immediate());
    let outcome = hpa.sync(0.0, 4, &[pods_input(&[0.5; 4]), MetricInput::Value(None)]);
    assert!(!outcome.rescaled);
    assert_eq!(outcome.current_metrics, vec![Some(0.5), None]);
    assert_eq!(
        state(&outcome, "ScalingActive"),
        (false, "FailedGetExternalMetric")
    );
}

// Docs, same paragraph: "the HPA is still capable of scaling up if one or more
// metrics give a desiredReplicas greater than the current value".
#[test]
fn failing_metric_does_not_block_scale_up() {
    let metrics = vec![
        pods_metric("queue_depth", 1.0),
        memes_metric(MetricTarget::AverageValue(5.0)),
    ];
    let mut hpa = controller(1, 10, metrics, Behavior::default_k8s());
    let outcome = hpa.sync(0.0, 4, &[pods_input(&[2.0; 4]), MetricInput::Value(None)]);
    assert_eq!(outcome.desired_replicas, 8);
    assert_eq!(state(&outcome, "ScalingActive"), (true, "ValidMetricFound"));
    assert_eq!(outcome.failed_metric_messages.len(), 1);
}

// The error texts of the resource and custom metrics clients and of the
// replica calculator, as wrapped by computeStatusForResourceMetricGeneric and
// computeStatusForPodsMetric.
#[test]
fn metric_failures_use_upstream_texts() {
    let failure = |metric: MetricSpec, input: MetricInput| {
        let outcome =
            controller(1, 10, vec![metric], Behavior::default_k8s()).sync(0.0, 2, &[input]);
        outcome
            .failed_metric_messages
            .into_iter()
            .next()
            .expect("a failure")
    };
    let no_samples = MetricInput::Pods(vec![pod("web-0", None)]);
    assert_eq!(
        failure(cpu_utilization(50), no_samples.clone()),
        (
            "FailedGetResourceMetric".to_owned(),
            "failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API"
                .to_owned()
        )
    );
    let mut unready = pod("web-0", Some(0.5));
    unready.ready = false;
    assert_eq!(
        failure(cpu_utilization(50), MetricInput::Pods(vec![unready])).1,
        "failed to get cpu utilization: did not receive metrics for targeted pods (pods might be unready)"
    );
    let mut no_request = pod("web-0", Some(0.5));
    no_request.request = None;
    assert_eq!(
        failure(cpu_utilization(50), MetricInput::Pods(vec![no_request])).1,
        "failed to get cpu utilization: missing request for cpu in a container of Pod web-0"
    );
    assert_eq!(
        failure(pods_metric("queue_depth", 1.0), no_samples),
        (
            "FailedGetPodsMetric".to_owned(),
            "unable to get metric queue_depth: no metrics returned from custom metrics API"
                .to_owned()
        )
    );
}

// convertDesiredReplicasWithBehaviorRate: 20 wanted at 4 replicas; the
// policies would allow 8 but maxReplicas is 5: TooManyReplicas.
#[test]
fn max_replicas_limits_with_too_many_replicas() {
    let mut hpa = controller(
        1,
        5,
        vec![pods_metric("queue_depth", 1.0)],
        Behavior::default_k8s(),
    );
    let outcome = hpa.sync(0.0, 4, &[pods_input(&[5.0; 4])]);
    assert_eq!(outcome.desired_replicas, 5);
    assert_eq!(state(&outcome, "ScalingLimited"), (true, "TooManyReplicas"));
    assert_eq!(
        condition(&outcome, "ScalingLimited").message,
        "the desired replica count is more than the maximum replica count"
    );
}

// convertDesiredReplicasWithBehaviorRate: ceil(0.25 * 4) = 1 wanted, the
// 100% policy would allow 0, minReplicas is 3: TooFewReplicas.
#[test]
fn min_replicas_limits_with_too_few_replicas() {
    let mut hpa = controller(3, 10, vec![pods_metric("queue_depth", 1.0)], immediate());
    let outcome = hpa.sync(0.0, 4, &[pods_input(&[0.25; 4])]);
    assert_eq!(outcome.desired_replicas, 3);
    assert_eq!(state(&outcome, "ScalingLimited"), (true, "TooFewReplicas"));
    assert_eq!(
        condition(&outcome, "ScalingLimited").message,
        "the desired replica count is less than the minimum replica count"
    );
}

// convertDesiredReplicasWithBehaviorRate: an unlimited change reports
// ScalingLimited False DesiredWithinRange; normalizeDesiredReplicasWithBehaviors
// reports AbleToScale ReadyForNewScale when stabilization changed nothing.
#[test]
fn unlimited_recommendation_is_within_range() {
    let mut hpa = controller(
        1,
        10,
        vec![pods_metric("queue_depth", 1.0)],
        Behavior::default_k8s(),
    );
    let outcome = hpa.sync(0.0, 4, &[pods_input(&[1.0; 4])]);
    assert!(!outcome.rescaled);
    assert_eq!(
        state(&outcome, "ScalingLimited"),
        (false, "DesiredWithinRange")
    );
    assert_eq!(
        condition(&outcome, "ScalingLimited").message,
        "the desired count is within the acceptable range"
    );
    assert_eq!(state(&outcome, "AbleToScale"), (true, "ReadyForNewScale"));
    assert_eq!(
        condition(&outcome, "AbleToScale").message,
        "recommended size matches current size"
    );
}

// reconcileAutoscaler: above maxReplicas the target goes straight to the
// maximum without computing metrics.
#[test]
fn replicas_above_max_scale_to_max() {
    let mut hpa = controller(
        1,
        10,
        vec![pods_metric("queue_depth", 1.0)],
        Behavior::default_k8s(),
    );
    let outcome = hpa.sync(0.0, 12, &[pods_input(&[9.0; 12])]);
    assert_eq!(outcome.desired_replicas, 10);
    assert_eq!(
        outcome.rescale_message.as_deref(),
        Some("New size: 10; reason: Current number of replicas above Spec.MaxReplicas")
    );
    assert_eq!(outcome.current_metrics, vec![None]);
}

// reconcileAutoscaler: below minReplicas the target goes straight to the
// minimum.
#[test]
fn replicas_below_min_scale_to_min() {
    let mut hpa = controller(
        2,
        10,
        vec![pods_metric("queue_depth", 1.0)],
        Behavior::default_k8s(),
    );
    let outcome = hpa.sync(0.0, 1, &[pods_input(&[0.1])]);
    assert_eq!(
        outcome.rescale_message.as_deref(),
        Some("New size: 2; reason: Current number of replicas below Spec.MinReplicas")
    );
}

// Docs, "Implicit maintenance-mode deactivation": "If the target's desired
// replica count is set to 0, and the HPA's minimum replica count is greater
// than 0, the HPA stops adjusting the target (and sets the ScalingActive
// Condition on itself to false)".
#[test]
fn zero_replicas_disable_scaling() {
    let mut hpa = controller(
        1,
        10,
        vec![memes_metric(MetricTarget::AverageValue(5.0))],
        Behavior::default_k8s(),
    );
    let outcome = hpa.sync(0.0, 0, &[value_input(6000.0)]);
    assert!(!outcome.rescaled);
    assert_eq!(outcome.desired_replicas, 0);
    assert_eq!(state(&outcome, "ScalingActive"), (false, "ScalingDisabled"));
    assert_eq!(
        condition(&outcome, "ScalingActive").message,
        "scaling is disabled since the replica count of the target is zero"
    );
}

// SetDefaults_HorizontalPodAutoscaler: an HPA without metrics targets 80% cpu
// utilization. 160% of 80% doubles 2 replicas.
#[test]
fn no_metrics_defaults_to_80_percent_cpu() {
    let mut hpa = controller(1, 10, Vec::new(), Behavior::default_k8s());
    let outcome = hpa.sync(0.0, 2, &[pods_input(&[1.6, 1.6])]);
    assert_eq!(
        outcome.rescale_message.as_deref(),
        Some("New size: 4; reason: cpu resource utilization (percentage of request) above target")
    );
}

// computeStatusForExternalMetric prints the selector with %+v: a nil
// selector prints as "nil"; a Resource AverageValue metric is "<name> resource".
#[test]
fn descriptions_of_nil_selector_and_resource_average_value() {
    let external = MetricSpec {
        source: MetricSource::External {
            metric: "queue".to_owned(),
            selector: Vec::new(),
        },
        target: MetricTarget::Value(10.0),
    };
    let outcome = controller(1, 10, vec![external], Behavior::default_k8s()).sync(
        0.0,
        2,
        &[value_input(40.0)],
    );
    assert_eq!(
        outcome.rescale_message.as_deref(),
        Some("New size: 6; reason: external metric queue(nil) above target")
    );

    let cpu_cores = MetricSpec {
        source: MetricSource::Resource {
            name: "cpu".to_owned(),
        },
        target: MetricTarget::AverageValue(0.5),
    };
    let outcome = controller(1, 10, vec![cpu_cores], Behavior::default_k8s()).sync(
        0.0,
        2,
        &[pods_input(&[1.0, 1.0])],
    );
    assert_eq!(
        outcome.rescale_message.as_deref(),
        Some("New size: 4; reason: cpu resource above target")
    );
    assert_eq!(outcome.current_metrics, vec![Some(1.0)]);
}

// The brief: never panic. Specs and inputs that API validation would reject
// or that make no sense still yield an outcome, and a rescale never goes
// outside [0, maxReplicas].
#[test]
fn degenerate_specs_and_inputs_never_panic() {
    let mut wild = Behavior::default_k8s();
    wild.scale_up.policies = vec![ScalingPolicy {
        kind: PolicyKind::Percent,
        value: i32::MAX,
        period_s: 0,
    }];
    wild.scale_down.policies = vec![ScalingPolicy {
        kind: PolicyKind::Percent,
        value: 1000,
        period_s: -5,
    }];
    wild.scale_down.stabilization_window_s = -10;
    let mut no_policies = Behavior::default_k8s();
    no_policies.scale_up.policies.clear();
    no_policies.scale_down.policies.clear();
    let mut nan_pod = pod("nan", Some(f64::NAN));
    nan_pod.request = Some(f64::NAN);
    nan_pod.age_s = f64::NAN;
    let metrics = vec![
        cpu_utilization(0),
        cpu_utilization(50),
        pods_metric("m", f64::NAN),
        pods_metric("m", -1.0),
        memes_metric(MetricTarget::Utilization(50)),
        memes_metric(MetricTarget::Value(1e-9)),
        memes_metric(MetricTarget::AverageValue(1.0)),
        MetricSpec {
            source: MetricSource::Resource {
                name: "memory".to_owned(),
            },
            target: MetricTarget::Value(1.0),
        },
    ];
    let inputs = [
        MetricInput::Pods(vec![nan_pod.clone(), pod("huge", Some(1e300))]),
        MetricInput::Value(Some(f64::INFINITY)),
        MetricInput::Pods(Vec::new()),
        MetricInput::Value(Some(-1e300)),
        MetricInput::Value(Some(f64::NAN)),
        MetricInput::Value(Some(1e300)),
    ];
    for behavior in [wild, no_policies, Behavior::default_k8s()] {
        for (min, max) in [(10, 3), (-5, -1), (0, i32::MAX), (1, 1)] {
            let mut hpa = controller(min, max, metrics.clone(), behavior.clone());
            for (step, current) in [i32::MIN, -3, 0, 1, 7, i32::MAX].into_iter().enumerate() {
                for now in [step as f64 * 15.0, f64::NAN, -1e18] {
                    for provided in 0..=inputs.len() {
                        let outcome = hpa.sync(now, current, &inputs[..provided]);
                        if outcome.rescaled {
                            assert!(
                                (0..=max.max(0)).contains(&outcome.desired_replicas),
                                "{outcome:?}"
                            );
                        }
                    }
                }
            }
        }
    }
}

//! Stabilization windows and scaling policies
//! (normalizeDesiredReplicasWithBehaviors and its helpers).

use super::*;

/// A behavior without stabilization and with these scale-down rules.
fn scale_down_rules(select_policy: SelectPolicy, policies: Vec<ScalingPolicy>) -> Behavior {
    let mut behavior = immediate();
    behavior.scale_down.select_policy = select_policy;
    behavior.scale_down.policies = policies;
    behavior
}

fn policy(kind: PolicyKind, value: i32, period_s: i32) -> ScalingPolicy {
    ScalingPolicy {
        kind,
        value,
        period_s,
    }
}

/// An external metric whose AverageValue target makes every sync propose
/// ceil(total / 10) replicas whatever the current count.
fn wants(total: f64) -> (MetricSpec, MetricInput) {
    (
        memes_metric(MetricTarget::AverageValue(10.0)),
        value_input(total),
    )
}

// The fixture continued (default behavior, policies per 15 s period):
// getReplicasChangePerPeriod counts the +4 of t=0 until the period has fully
// passed (Go's strict `After`). At t=10 the period started at 1 replica, so
// the limit is max(1 + 4, 2) = 5 and nothing changes; at t=15 it starts at
// 5: max(5 + 4, 10) = 10.
#[test]
fn default_scale_up_limit_holds_within_its_period() {
    let mut hpa = controller(
        1,
        20,
        vec![memes_metric(MetricTarget::AverageValue(5.0))],
        Behavior::default_k8s(),
    );
    let input = [value_input(6000.0)];
    assert_eq!(hpa.sync(0.0, 1, &input).desired_replicas, 5);
    let held = hpa.sync(10.0, 5, &input);
    assert!(!held.rescaled);
    assert_eq!(state(&held, "ScalingLimited"), (true, "ScaleUpLimit"));
    assert_eq!(hpa.sync(15.0, 5, &input).desired_replicas, 10);
}

// Docs, "Stabilization window": "When the metrics indicate that the target
// should be scaled down the algorithm looks into previously computed desired
// states, and uses the highest value from the specified interval" (300 s by
// default). 10 replicas are recommended at t=0 (and recorded as the initial
// recommendation); 5 from t=60 on. Until t=300 the 10 of t=0 is in the window;
// at t=300 it sits exactly on the cutoff, which Go's `After` excludes.
#[test]
fn scale_down_stabilization_applies_highest_recent_recommendation() {
    let mut hpa = controller(
        1,
        20,
        vec![pods_metric("queue_depth", 1.0)],
        Behavior::default_k8s(),
    );
    assert!(!hpa.sync(0.0, 10, &[pods_input(&[1.0; 10])]).rescaled);
    let held = hpa.sync(60.0, 10, &[pods_input(&[0.5; 10])]);
    assert!(!held.rescaled);
    assert_eq!(state(&held, "AbleToScale"), (true, "ScaleDownStabilized"));
    assert_eq!(
        condition(&held, "AbleToScale").message,
        "recent recommendations were higher than current one, applying the highest recent recommendation"
    );
    assert!(!hpa.sync(285.0, 10, &[pods_input(&[0.5; 10])]).rescaled);
    assert_eq!(
        hpa.sync(300.0, 10, &[pods_input(&[0.5; 10])])
            .desired_replicas,
        5
    );
}

// stabilizeRecommendationWithBehaviors: a scale-up window applies the lowest
// recommendation within it. With a 60 s window, 8 wanted from t=15 on stays
// at 4 (the recommendations of t=0) until t=61, when only 8s remain.
#[test]
fn scale_up_stabilization_applies_lowest_recent_recommendation() {
    let mut behavior = Behavior::default_k8s();
    behavior.scale_up.stabilization_window_s = 60;
    let mut hpa = controller(1, 20, vec![pods_metric("queue_depth", 1.0)], behavior);
    assert!(!hpa.sync(0.0, 4, &[pods_input(&[1.0; 4])]).rescaled);
    let held = hpa.sync(15.0, 4, &[pods_input(&[2.0; 4])]);
    assert!(!held.rescaled);
    assert_eq!(state(&held, "AbleToScale"), (true, "ScaleUpStabilized"));
    assert_eq!(
        condition(&held, "AbleToScale").message,
        "recent recommendations were lower than current one, applying the lowest recent recommendation"
    );
    assert_eq!(
        hpa.sync(61.0, 4, &[pods_input(&[2.0; 4])]).desired_replicas,
        8
    );
}

// Docs, "Scaling policies": with Pods 4 and Percent 10 per 60 s and the default
// selectPolicy (Max), "if there are 80 replicas and the target has to be
// scaled down to 10 replicas then during the first step 8 replicas will be
// reduced. In the next iteration when the number of replicas is 72, 10% of
// the pods is 7.2 but the number is rounded up to 8 ... When the number of
// replicas falls below 40 the first policy (Pods) is applied and 4 replicas
// will be reduced at a time." Percent truncates the remaining count
// (72 * 0.9 = 64.8 -> 64) and within a period the budget is spent, so syncs
// every 15 s only scale on the minute. The example leaves stabilization out,
// so the window is 0 here.
#[test]
fn docs_scale_down_policies_80_to_10() {
    let behavior = scale_down_rules(
        SelectPolicy::Max,
        vec![
            policy(PolicyKind::Pods, 4, 60),
            policy(PolicyKind::Percent, 10, 60),
        ],
    );
    let (metric, input) = wants(100.0);
    let mut hpa = controller(1, 100, vec![metric], behavior);
    let mut replicas = 80;
    let mut per_minute = Vec::new();
    for step in 0..60 {
        let outcome = hpa.sync(
            f64::from(step) * 15.0,
            replicas,
            std::slice::from_ref(&input),
        );
        if step % 4 == 0 {
            per_minute.push(outcome.desired_replicas);
        } else {
            assert!(!outcome.rescaled, "rescaled within a period at step {step}");
        }
        replicas = outcome.desired_replicas;
    }
    assert_eq!(
        per_minute[..14],
        [72, 64, 57, 51, 45, 40, 36, 32, 28, 24, 20, 16, 12, 10]
    );
    assert_eq!(replicas, 10);
}

// Docs, "Example: limit scale down rate": Percent 10 and Pods 5 per 60 s with
// selectPolicy Min "chooses the policy that affects the smallest number of
// Pods": from 100, 5 pods (not 10); from 30, 10% = 3 pods (not 5).
#[test]
fn docs_select_policy_min_picks_smallest_change() {
    let behavior = scale_down_rules(
        SelectPolicy::Min,
        vec![
            policy(PolicyKind::Percent, 10, 60),
            policy(PolicyKind::Pods, 5, 60),
        ],
    );
    let (metric, input) = wants(10.0);
    let from_100 = controller(1, 100, vec![metric.clone()], behavior.clone()).sync(
        0.0,
        100,
        std::slice::from_ref(&input),
    );
    assert_eq!(from_100.desired_replicas, 95);
    assert_eq!(state(&from_100, "ScalingLimited"), (true, "ScaleDownLimit"));
    assert_eq!(
        condition(&from_100, "ScalingLimited").message,
        "the desired replica count is decreasing faster than the maximum scale rate"
    );
    let from_30 = controller(1, 100, vec![metric], behavior).sync(0.0, 30, &[input]);
    assert_eq!(from_30.desired_replicas, 27);
}

// Docs, "Example: disable scale down": selectPolicy Disabled "turns off
// scaling the given direction"; calculateScaleDownLimitWithBehaviors returns
// the current count, reported as ScaleDownLimit.
#[test]
fn docs_select_policy_disabled_never_scales_down() {
    let behavior = scale_down_rules(SelectPolicy::Disabled, Vec::new());
    let (metric, input) = wants(10.0);
    let mut hpa = controller(1, 100, vec![metric], behavior);
    for step in 0..10 {
        let outcome = hpa.sync(f64::from(step) * 60.0, 20, std::slice::from_ref(&input));
        assert!(!outcome.rescaled);
        assert_eq!(state(&outcome, "ScalingLimited"), (true, "ScaleDownLimit"));
    }
}

// calculateScaleDownLimitWithBehaviors computes in float64:
// int32(90 * (1 - 30/100.0)) = int32(62.99999999999999) = 62, so upstream
// allows 28 pods down rather than 27; the model keeps that rounding.
#[test]
fn percent_scale_down_keeps_upstream_float_rounding() {
    let behavior = scale_down_rules(SelectPolicy::Max, vec![policy(PolicyKind::Percent, 30, 60)]);
    let (metric, input) = wants(10.0);
    let outcome = controller(1, 100, vec![metric], behavior).sync(0.0, 90, &[input]);
    assert_eq!(outcome.desired_replicas, 62);
}

// calculateScaleUpLimitWithScalingRules: the period's starting count is the
// current count minus replicas added plus replicas removed within the period.
// Pods 4 per 60 s: 4 -> 8 at t=0, down to 6 at t=10; at t=20 the period
// started at 6 - 4 + 2 = 4, so up to 8 is allowed (ignoring the removal
// would allow only 6).
#[test]
fn scale_up_limit_counts_replicas_removed_in_period() {
    let mut behavior = immediate();
    behavior.scale_up.policies = vec![policy(PolicyKind::Pods, 4, 60)];
    let mut hpa = controller(
        1,
        100,
        vec![memes_metric(MetricTarget::AverageValue(10.0))],
        behavior,
    );
    assert_eq!(hpa.sync(0.0, 4, &[value_input(80.0)]).desired_replicas, 8);
    assert_eq!(hpa.sync(10.0, 8, &[value_input(60.0)]).desired_replicas, 6);
    assert_eq!(hpa.sync(20.0, 6, &[value_input(120.0)]).desired_replicas, 8);
}

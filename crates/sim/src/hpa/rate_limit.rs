//! Scaling policies: this HPA's own recent rescales bound how far it may
//! scale now. Mirrors `storeScaleEvent`, `markScaleEventsOutdated`,
//! `getReplicasChangePerPeriod`, `calculateScaleUpLimitWithScalingRules` and
//! `calculateScaleDownLimitWithBehaviors` (horizontal.go), including their
//! float64 arithmetic, whose rounding is observable (a 30% scale-down from 90
//! computes `90 * 0.7 = 62.99999999999999` and allows 62).

use super::quantity::{ceil_i64, saturate_i32};
use super::{Behavior, PolicyKind, ScalingRules, SelectPolicy};

/// One rescale (`timestampedScaleEvent`).
#[derive(Debug, Clone, Copy, PartialEq)]
struct ScaleEvent {
    /// Replicas added or removed, non-negative.
    change: i64,
    at_s: f64,
    /// Older than every policy period when last checked: the slot is reused.
    outdated: bool,
}

/// The rescales of one HPA (`scaleUpEvents` / `scaleDownEvents`).
#[derive(Debug, Clone, Default)]
pub(super) struct ScaleEvents {
    up: Vec<ScaleEvent>,
    down: Vec<ScaleEvent>,
}

impl ScaleEvents {
    /// `storeScaleEvent`: records a rescale from `previous` to `new`. Events
    /// older than the direction's longest policy period are marked outdated
    /// and the last of them is overwritten, which bounds the history.
    pub(super) fn store(&mut self, behavior: &Behavior, previous: i32, new: i32, now_s: f64) {
        let (events, rules) = if new > previous {
            (&mut self.up, &behavior.scale_up)
        } else {
            (&mut self.down, &behavior.scale_down)
        };
        let cutoff = now_s - f64::from(longest_policy_period(rules));
        for event in events.iter_mut().filter(|event| event.at_s < cutoff) {
            event.outdated = true;
        }
        let change = (i64::from(new) - i64::from(previous)).abs();
        let event = ScaleEvent {
            change,
            at_s: now_s,
            outdated: false,
        };
        match events.iter().rposition(|event| event.outdated) {
            Some(index) => events[index] = event,
            None => events.push(event),
        }
    }

    /// `calculateScaleUpLimitWithScalingRules`: the most replicas the
    /// policies allow now. `Max` picks the policy allowing the largest count,
    /// `Min` the smallest; with no policies the limit is `i32::MIN`, which
    /// the caller raises to the current count, as upstream.
    pub(super) fn scale_up_limit(
        &self,
        current_replicas: i32,
        rules: &ScalingRules,
        now_s: f64,
    ) -> i32 {
        let (mut limit, select): (i64, fn(i64, i64) -> i64) = match rules.select_policy {
            SelectPolicy::Disabled => return current_replicas,
            SelectPolicy::Min => (i64::from(i32::MAX), i64::min),
            SelectPolicy::Max => (i64::from(i32::MIN), i64::max),
        };
        for policy in &rules.policies {
            let start = self.period_start_replicas(current_replicas, policy.period_s, now_s);
            let proposed = match policy.kind {
                PolicyKind::Pods => start + i64::from(policy.value),
                // Rounded up, or a small percentage of a few pods would never
                // add one.
                PolicyKind::Percent => {
                    ceil_i64(start as f64 * (1.0 + f64::from(policy.value) / 100.0))
                }
            };
            limit = select(limit, proposed);
        }
        saturate_i32(limit)
    }

    /// `calculateScaleDownLimitWithBehaviors`: the fewest replicas the
    /// policies allow now. `Max` picks the policy allowing the largest
    /// change, i.e. the smallest count; Percent truncates like Go's
    /// `int32(float64)`.
    pub(super) fn scale_down_limit(
        &self,
        current_replicas: i32,
        rules: &ScalingRules,
        now_s: f64,
    ) -> i32 {
        let (mut limit, select): (i64, fn(i64, i64) -> i64) = match rules.select_policy {
            SelectPolicy::Disabled => return current_replicas,
            SelectPolicy::Min => (i64::from(i32::MIN), i64::max),
            SelectPolicy::Max => (i64::from(i32::MAX), i64::min),
        };
        for policy in &rules.policies {
            let start = self.period_start_replicas(current_replicas, policy.period_s, now_s);
            let proposed = match policy.kind {
                PolicyKind::Pods => start - i64::from(policy.value),
                PolicyKind::Percent => {
                    (start as f64 * (1.0 - f64::from(policy.value) / 100.0)) as i64
                }
            };
            limit = select(limit, proposed);
        }
        saturate_i32(limit)
    }

    /// The replica count at the start of the policy's period: the current
    /// count minus what was added and plus what was removed within it.
    fn period_start_replicas(&self, current_replicas: i32, period_s: i32, now_s: f64) -> i64 {
        i64::from(current_replicas) - replicas_change_in_period(&self.up, period_s, now_s)
            + replicas_change_in_period(&self.down, period_s, now_s)
    }
}

/// `getReplicasChangePerPeriod`: events strictly after the period's start
/// count (Go's `After`), outdated or not.
fn replicas_change_in_period(events: &[ScaleEvent], period_s: i32, now_s: f64) -> i64 {
    let cutoff = now_s - f64::from(period_s);
    events
        .iter()
        .filter(|event| event.at_s > cutoff)
        .map(|event| event.change)
        .sum()
}

/// `getLongestPolicyPeriod`.
fn longest_policy_period(rules: &ScalingRules) -> i32 {
    rules
        .policies
        .iter()
        .map(|policy| policy.period_s)
        .fold(0, i32::max)
}

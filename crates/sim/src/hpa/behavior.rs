//! `normalizeDesiredReplicasWithBehaviors` and
//! `convertDesiredReplicasWithBehaviorRate` (horizontal.go): the metrics'
//! proposal is first stabilized, then limited by the scaling policies and by
//! min/max replicas, yielding the reasons of the `AbleToScale` and
//! `ScalingLimited` conditions.

use super::Behavior;
use super::conditions::Reason;
use super::rate_limit::ScaleEvents;
use super::stabilization::Recommendations;

const READY_FOR_NEW_SCALE: Reason = Reason {
    reason: "ReadyForNewScale",
    message: "recommended size matches current size",
};
const SCALE_UP_LIMIT: Reason = Reason {
    reason: "ScaleUpLimit",
    message: "the desired replica count is increasing faster than the maximum scale rate",
};
const TOO_MANY_REPLICAS: Reason = Reason {
    reason: "TooManyReplicas",
    message: "the desired replica count is more than the maximum replica count",
};
const SCALE_DOWN_LIMIT: Reason = Reason {
    reason: "ScaleDownLimit",
    message: "the desired replica count is decreasing faster than the maximum scale rate",
};
const TOO_FEW_REPLICAS: Reason = Reason {
    reason: "TooFewReplicas",
    message: "the desired replica count is less than the minimum replica count",
};
const DESIRED_WITHIN_RANGE: Reason = Reason {
    reason: "DesiredWithinRange",
    message: "the desired count is within the acceptable range",
};

/// The replica range allowed by the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Bounds {
    pub min: i32,
    pub max: i32,
}

/// The normalized replica count with its conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Normalized {
    pub replicas: i32,
    /// `AbleToScale` (status true).
    pub able_to_scale: Reason,
    /// `ScalingLimited`'s status: whether a limit changed the count.
    pub limited: bool,
    pub scaling_limited: Reason,
}

/// `normalizeDesiredReplicasWithBehaviors`.
pub(super) fn normalize(
    recommendations: &mut Recommendations,
    events: &ScaleEvents,
    behavior: &Behavior,
    bounds: Bounds,
    current_replicas: i32,
    desired_replicas: i32,
    now_s: f64,
) -> Normalized {
    let stabilized = recommendations.stabilize(
        current_replicas,
        desired_replicas,
        behavior.scale_up.stabilization_window_s,
        behavior.scale_down.stabilization_window_s,
        now_s,
    );
    let able_to_scale = if stabilized.replicas == desired_replicas {
        READY_FOR_NEW_SCALE
    } else {
        stabilized.reason
    };
    let (replicas, scaling_limited) = limit_rate(
        events,
        behavior,
        bounds,
        current_replicas,
        stabilized.replicas,
        now_s,
    );
    Normalized {
        replicas,
        able_to_scale,
        limited: replicas != stabilized.replicas,
        scaling_limited,
    }
}

/// `convertDesiredReplicasWithBehaviorRate`: the policies' limit, never past
/// the current count in the wrong direction, and max/min replicas bound the
/// change. A count equal to the current one is left alone.
fn limit_rate(
    events: &ScaleEvents,
    behavior: &Behavior,
    bounds: Bounds,
    current_replicas: i32,
    desired_replicas: i32,
    now_s: f64,
) -> (i32, Reason) {
    if desired_replicas > current_replicas {
        let limit = events
            .scale_up_limit(current_replicas, &behavior.scale_up, now_s)
            .max(current_replicas);
        let (allowed, reason) = if bounds.max > limit {
            (limit, SCALE_UP_LIMIT)
        } else {
            (bounds.max, TOO_MANY_REPLICAS)
        };
        if desired_replicas > allowed {
            return (allowed, reason);
        }
    } else if desired_replicas < current_replicas {
        let limit = events
            .scale_down_limit(current_replicas, &behavior.scale_down, now_s)
            .min(current_replicas);
        let (allowed, reason) = if bounds.min < limit {
            (limit, SCALE_DOWN_LIMIT)
        } else {
            (bounds.min, TOO_FEW_REPLICAS)
        };
        if desired_replicas < allowed {
            return (allowed, reason);
        }
    }
    (desired_replicas, DESIRED_WITHIN_RANGE)
}

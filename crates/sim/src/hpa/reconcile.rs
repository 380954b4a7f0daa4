//! One sync: `reconcileAutoscaler` (horizontal.go) from the point where the
//! target's scale has been read, with the `HPAScaleToZero` feature gate off
//! (its default) and a scale update that always succeeds.

use std::borrow::Cow;

use super::behavior::{self, Bounds};
use super::conditions::{ABLE_TO_SCALE, SCALING_ACTIVE, SCALING_LIMITED, set_condition};
use super::metrics::compute_replicas_for_metrics;
use super::{
    Controller, HpaSpec, MetricInput, MetricSource, MetricSpec, MetricTarget, SyncOutcome,
};

/// `autoscaling.DefaultCPUUtilization`.
const DEFAULT_CPU_UTILIZATION: i32 = 80;

/// `reconcileAutoscaler`.
pub(super) fn reconcile(
    controller: &mut Controller,
    now_s: f64,
    current_replicas: i32,
    inputs: &[MetricInput],
) -> SyncOutcome {
    let Controller {
        spec,
        recommendations,
        scale_events,
        conditions,
    } = controller;
    set_condition(
        conditions,
        ABLE_TO_SCALE,
        true,
        "SucceededGetScale",
        "the HPA controller was able to get the target's current scale",
    );
    recommendations.record_initial(current_replicas, now_s);

    let bounds = bounds(spec);
    let metrics = effective_metrics(spec);
    let mut outcome = SyncOutcome {
        desired_replicas: current_replicas,
        rescaled: false,
        current_metrics: vec![None; metrics.len()],
        conditions: Vec::new(),
        rescale_message: None,
        failed_metric_messages: Vec::new(),
    };

    // The count to scale to and the event's reason, or None to leave it.
    let decision = if current_replicas == 0 {
        // A target scaled to zero by hand switches the HPA off.
        set_condition(
            conditions,
            SCALING_ACTIVE,
            false,
            "ScalingDisabled",
            "scaling is disabled since the replica count of the target is zero",
        );
        None
    } else if current_replicas > bounds.max {
        Some((
            bounds.max,
            "Current number of replicas above Spec.MaxReplicas".to_owned(),
        ))
    } else if current_replicas < bounds.min {
        Some((
            bounds.min,
            "Current number of replicas below Spec.MinReplicas".to_owned(),
        ))
    } else {
        let computed = compute_replicas_for_metrics(&metrics, inputs, current_replicas);
        outcome.current_metrics = computed.current;
        outcome.failed_metric_messages = computed
            .failures
            .iter()
            .map(|failure| (failure.reason.to_owned(), failure.message.clone()))
            .collect();
        match computed.proposal {
            None => {
                if let Some(first) = computed.failures.first() {
                    set_condition(
                        conditions,
                        SCALING_ACTIVE,
                        false,
                        first.reason,
                        format!(
                            "the HPA was unable to compute the replica count: {}",
                            first.message
                        ),
                    );
                }
                None
            }
            Some(proposal) => {
                set_condition(
                    conditions,
                    SCALING_ACTIVE,
                    true,
                    "ValidMetricFound",
                    format!(
                        "the HPA was able to successfully calculate a replica count from {}",
                        proposal.description
                    ),
                );
                // Upstream starts from 0 and names the metric only when its
                // proposal is above that.
                let (desired, metric) = if proposal.replicas > 0 {
                    (proposal.replicas, proposal.description)
                } else {
                    (0, String::new())
                };
                let reason = if desired > current_replicas {
                    format!("{metric} above target")
                } else if desired < current_replicas {
                    "All metrics below target".to_owned()
                } else {
                    String::new()
                };
                let normalized = behavior::normalize(
                    recommendations,
                    scale_events,
                    &spec.behavior,
                    bounds,
                    current_replicas,
                    desired,
                    now_s,
                );
                let able = normalized.able_to_scale;
                set_condition(conditions, ABLE_TO_SCALE, true, able.reason, able.message);
                let limit = normalized.scaling_limited;
                set_condition(
                    conditions,
                    SCALING_LIMITED,
                    normalized.limited,
                    limit.reason,
                    limit.message,
                );
                Some((normalized.replicas, reason))
            }
        }
    };

    if let Some((desired, reason)) = decision.filter(|&(desired, _)| desired != current_replicas) {
        set_condition(
            conditions,
            ABLE_TO_SCALE,
            true,
            "SucceededRescale",
            format!("the HPA controller was able to update the target scale to {desired}"),
        );
        scale_events.store(&spec.behavior, current_replicas, desired, now_s);
        outcome.desired_replicas = desired;
        outcome.rescaled = true;
        outcome.rescale_message = Some(format!("New size: {desired}; reason: {reason}"));
    }
    outcome.conditions = conditions.clone();
    outcome
}

/// API validation guarantees `0 <= min <= max` (min 0 only with a feature
/// gate); any other spec is brought into that shape, keeping max as the hard
/// cap.
fn bounds(spec: &HpaSpec) -> Bounds {
    let max = spec.max_replicas.max(0);
    Bounds {
        min: spec.min_replicas.clamp(0, max),
        max,
    }
}

/// The API server defaults an HPA without metrics to 80% cpu utilization
/// (`SetDefaults_HorizontalPodAutoscaler`); its input is then the first one.
fn effective_metrics(spec: &HpaSpec) -> Cow<'_, [MetricSpec]> {
    if spec.metrics.is_empty() {
        Cow::Owned(vec![MetricSpec {
            source: MetricSource::Resource {
                name: "cpu".to_owned(),
            },
            target: MetricTarget::Utilization(DEFAULT_CPU_UTILIZATION),
        }])
    } else {
        Cow::Borrowed(&spec.metrics)
    }
}

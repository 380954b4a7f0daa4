//! The stabilization windows: mirrors `recordInitialRecommendation` and
//! `stabilizeRecommendationWithBehaviors` (horizontal.go).

use super::conditions::Reason;

const SCALE_UP_STABILIZED: Reason = Reason {
    reason: "ScaleUpStabilized",
    message: "recent recommendations were lower than current one, applying the lowest recent recommendation",
};
const SCALE_DOWN_STABILIZED: Reason = Reason {
    reason: "ScaleDownStabilized",
    message: "recent recommendations were higher than current one, applying the highest recent recommendation",
};

/// One unstabilized recommendation (`timestampedRecommendation`).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Recommendation {
    replicas: i32,
    at_s: f64,
}

/// The recommendations of one HPA (`HorizontalController.recommendations`).
#[derive(Debug, Clone, Default)]
pub(super) struct Recommendations {
    entries: Vec<Recommendation>,
}

/// A stabilized recommendation, with the `AbleToScale` reason that applies
/// when it differs from the proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Stabilized {
    pub replicas: i32,
    pub reason: Reason,
}

impl Recommendations {
    /// `recordInitialRecommendation`: the first sync remembers the current
    /// count, so a new HPA does not scale down before a full window passed.
    pub(super) fn record_initial(&mut self, current_replicas: i32, now_s: f64) {
        if self.entries.is_empty() {
            self.entries.push(Recommendation {
                replicas: current_replicas,
                at_s: now_s,
            });
        }
    }

    /// `stabilizeRecommendationWithBehaviors`: the current count is raised to
    /// the lowest recommendation of the scale-up window and lowered to the
    /// highest of the scale-down window (both windows include `desired`),
    /// then `desired` is recorded. Comparisons are strict like Go's
    /// `After`/`Before`, so a recommendation exactly at a cutoff counts for
    /// neither.
    pub(super) fn stabilize(
        &mut self,
        current_replicas: i32,
        desired_replicas: i32,
        up_window_s: i32,
        down_window_s: i32,
        now_s: f64,
    ) -> Stabilized {
        let up_cutoff = now_s - f64::from(up_window_s);
        let down_cutoff = now_s - f64::from(down_window_s);
        let mut up_recommendation = desired_replicas;
        let mut down_recommendation = desired_replicas;
        let mut outdated = None;
        for (index, recommendation) in self.entries.iter().enumerate() {
            if recommendation.at_s > up_cutoff {
                up_recommendation = up_recommendation.min(recommendation.replicas);
            }
            if recommendation.at_s > down_cutoff {
                down_recommendation = down_recommendation.max(recommendation.replicas);
            }
            if recommendation.at_s < up_cutoff && recommendation.at_s < down_cutoff {
                outdated = Some(index);
            }
        }
        let replicas = current_replicas
            .max(up_recommendation)
            .min(down_recommendation);

        // Upstream reuses the slot of a recommendation outside both windows
        // instead of pruning, which bounds the history the same way.
        let latest = Recommendation {
            replicas: desired_replicas,
            at_s: now_s,
        };
        match outdated.and_then(|index| self.entries.get_mut(index)) {
            Some(slot) => *slot = latest,
            None => self.entries.push(latest),
        }

        let reason = if desired_replicas >= current_replicas {
            SCALE_UP_STABILIZED
        } else {
            SCALE_DOWN_STABILIZED
        };
        Stabilized { replicas, reason }
    }
}

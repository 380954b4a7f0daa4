//! `status.conditions`, kept across syncs like upstream's `setConditionInList`
//! (horizontal.go): a condition is updated in place, or appended the first
//! time it is set, so the list keeps upstream's order.

use super::Condition;

pub(super) const ABLE_TO_SCALE: &str = "AbleToScale";
pub(super) const SCALING_ACTIVE: &str = "ScalingActive";
pub(super) const SCALING_LIMITED: &str = "ScalingLimited";

/// A condition's reason with its fixed message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Reason {
    pub reason: &'static str,
    pub message: &'static str,
}

/// `setConditionInList`.
pub(super) fn set_condition(
    conditions: &mut Vec<Condition>,
    kind: &str,
    status: bool,
    reason: &str,
    message: impl Into<String>,
) {
    let updated = Condition {
        kind: kind.to_owned(),
        status,
        reason: reason.to_owned(),
        message: message.into(),
    };
    match conditions
        .iter_mut()
        .find(|condition| condition.kind == kind)
    {
        Some(existing) => *existing = updated,
        None => conditions.push(updated),
    }
}

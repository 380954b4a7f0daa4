//! Metric descriptions exactly as upstream prints them: they appear in the
//! `ScalingActive` condition (`...calculate a replica count from <desc>`) and
//! in the `SuccessfulRescale` event (`New size: N; reason: <desc> above
//! target`).

use std::collections::BTreeMap;

use super::{MetricSource, MetricSpec, MetricTarget};

/// The `metricNameProposal` of the `computeStatusFor*Metric` functions.
pub(super) fn metric_description(spec: &MetricSpec) -> String {
    match (&spec.source, spec.target) {
        (MetricSource::Resource { name }, MetricTarget::AverageValue(_)) => {
            format!("{name} resource")
        }
        (MetricSource::Resource { name }, _) => {
            format!("{name} resource utilization (percentage of request)")
        }
        (MetricSource::Pods { metric }, _) => format!("pods metric {metric}"),
        (MetricSource::External { metric, selector }, _) => {
            format!("external metric {metric}({})", go_label_selector(selector))
        }
        // Upstream really does call an Object AverageValue metric "external
        // metric" (computeStatusForObjectMetric); the model has no object
        // metric selector, so it prints as a nil one.
        (MetricSource::Object { metric, .. }, MetricTarget::AverageValue(_)) => {
            format!("external metric {metric}({})", go_label_selector(&[]))
        }
        (MetricSource::Object { metric, kind, .. }, _) => format!("{kind} metric {metric}"),
    }
}

/// Go's `%+v` of a `*metav1.LabelSelector`, i.e. its generated `String()`:
/// `nil` for no selector, otherwise the match labels sorted by key (a Go map,
/// so a repeated key keeps its last value) and no match expressions.
pub(super) fn go_label_selector(selector: &[(String, String)]) -> String {
    if selector.is_empty() {
        return "nil".to_owned();
    }
    let labels: BTreeMap<&str, &str> = selector
        .iter()
        .map(|(key, value)| (key.as_str(), value.as_str()))
        .collect();
    let pairs: String = labels
        .iter()
        .map(|(key, value)| format!("{key}: {value},"))
        .collect();
    format!(
        "&LabelSelector{{MatchLabels:map[string]string{{{pairs}}},MatchExpressions:[]LabelSelectorRequirement{{}},}}"
    )
}

//! Tests through the public API. Each names and cites the rule or worked
//! example it checks: the Kubernetes documentation page "Horizontal Pod
//! Autoscaling" (sections "Algorithm details" and "Configurable scaling
//! behavior") or the upstream function in horizontal.go /
//! replica_calculator.go. Expected numbers are worked out in comments.

mod behavior;
mod controller;
mod replicas;

use super::*;

/// A running, ready pod past every initialization period, requesting 1 core.
fn pod(name: &str, value: Option<f64>) -> PodSample {
    PodSample {
        name: name.to_owned(),
        running: true,
        ready: true,
        age_s: 600.0,
        value,
        request: Some(1.0),
    }
}

/// Running, ready pods with these metric values.
fn pods(values: &[f64]) -> Vec<PodSample> {
    values
        .iter()
        .enumerate()
        .map(|(i, &value)| pod(&format!("pod-{i}"), Some(value)))
        .collect()
}

fn pods_input(values: &[f64]) -> MetricInput {
    MetricInput::Pods(pods(values))
}

fn value_input(value: f64) -> MetricInput {
    MetricInput::Value(Some(value))
}

fn cpu_utilization(percent: i32) -> MetricSpec {
    MetricSpec {
        source: MetricSource::Resource {
            name: "cpu".to_owned(),
        },
        target: MetricTarget::Utilization(percent),
    }
}

fn pods_metric(name: &str, average: f64) -> MetricSpec {
    MetricSpec {
        source: MetricSource::Pods {
            metric: name.to_owned(),
        },
        target: MetricTarget::AverageValue(average),
    }
}

/// The KEDA-generated metric of the simulator's fixture.
fn memes_metric(target: MetricTarget) -> MetricSpec {
    MetricSpec {
        source: MetricSource::External {
            metric: "s0-nats-jetstream-MEMES".to_owned(),
            selector: vec![(
                "scaledobject.keda.sh/name".to_owned(),
                "meme-backend".to_owned(),
            )],
        },
        target,
    }
}

const MEMES_SELECTOR: &str = "&LabelSelector{MatchLabels:map[string]string{scaledobject.keda.sh/name: meme-backend,},MatchExpressions:[]LabelSelectorRequirement{},}";

fn controller(min: i32, max: i32, metrics: Vec<MetricSpec>, behavior: Behavior) -> Controller {
    Controller::new(HpaSpec {
        min_replicas: min,
        max_replicas: max,
        metrics,
        behavior,
    })
}

/// The default behavior without the scale-down stabilization window, for
/// tests about the replica calculation rather than about stabilization.
fn immediate() -> Behavior {
    let mut behavior = Behavior::default_k8s();
    behavior.scale_down.stabilization_window_s = 0;
    behavior
}

fn condition<'a>(outcome: &'a SyncOutcome, kind: &str) -> &'a Condition {
    outcome
        .conditions
        .iter()
        .find(|condition| condition.kind == kind)
        .unwrap_or_else(|| panic!("no {kind} condition in {:?}", outcome.conditions))
}

/// (status, reason) of a condition, for compact assertions.
fn state<'a>(outcome: &'a SyncOutcome, kind: &str) -> (bool, &'a str) {
    let condition = condition(outcome, kind);
    (condition.status, condition.reason.as_str())
}

//! The HPA controller at work on the cluster: every sync period it reads
//! each HPA's metrics from the metrics APIs (metrics-server, the Prometheus
//! Adapter, KEDA's external metrics), runs [`crate::hpa`]'s reconcile,
//! writes the Deployment's replicas and the HPA's status, and says so in
//! Events.

use std::time::Duration;

use serde_json::{Value, json};

use crate::clock::every;
use crate::hpa::{Controller, HpaSpec, MetricInput, MetricSource, PodSample};
use crate::keda::Keda;
use crate::manifests::Autoscaler;
use crate::objects;
use crate::pipelines::Readings;
use crate::recorder::Recorder;
use crate::rng::Rng;
use crate::scenario::Scenario;
use crate::workload::Workload;

/// One HPA at work: the user's, or the one KEDA made.
#[derive(Debug)]
pub struct HpaRun {
    pub name: String,
    pub uid: String,
    controller: Controller,
    pub spec: HpaSpec,
    /// The controller's sync period, and when in it this HPA's turn comes.
    period: Duration,
    phase_ms: i64,
    /// The ScaledObject that made it (an index into the KEDA list).
    pub keda: Option<usize>,
    /// `status` as last written (null before the first sync).
    pub status: Value,
    last_scale_ms: Option<i64>,
}

/// The scenario's HPAs and ScaledObjects, with uids drawn from `ids` in
/// manifest order.
pub fn autoscalers(scenario: &Scenario, ids: &mut Rng) -> (Vec<HpaRun>, Vec<Keda>) {
    // The HPA controller works its queue in name order every sync period:
    // HPAs sync in that order, two seconds apart.
    let mut names: Vec<String> = scenario
        .autoscalers
        .iter()
        .map(|a| match a {
            Autoscaler::Hpa(h) => h.name.clone(),
            Autoscaler::Keda(so) => so.hpa_name(),
        })
        .collect();
    names.sort();
    let phase =
        |name: &str| 3_000 + 2_000 * names.iter().position(|n| n == name).unwrap_or(0) as i64;
    let mut hpas = Vec::new();
    let mut kedas: Vec<Keda> = Vec::new();
    for a in &scenario.autoscalers {
        let (name, spec, keda) = match a {
            Autoscaler::Hpa(h) => (h.name.clone(), h.spec.clone(), None),
            Autoscaler::Keda(so) => (so.hpa_name(), so.hpa_spec(), Some(kedas.len())),
        };
        hpas.push(HpaRun {
            uid: ids.uuid(),
            controller: Controller::new(spec.clone()),
            spec,
            period: scenario.file.pipelines.hpa_sync,
            phase_ms: phase(&name),
            name,
            keda,
            status: Value::Null,
            last_scale_ms: None,
        });
        // The HPA's uid is drawn before its ScaledObject's: another order
        // would change every recording made so far.
        if let Autoscaler::Keda(so) = a {
            kedas.push(Keda::new(so.clone(), ids.uuid()));
        }
    }
    (hpas, kedas)
}

impl HpaRun {
    /// This HPA's sync, when its turn comes at `r.t`. Returns whether it
    /// rescaled the Deployment.
    pub fn step(
        &mut self,
        r: &Readings<'_>,
        work: &mut Workload,
        kedas: &mut [Keda],
        rec: &mut Recorder,
    ) -> bool {
        if !every(r.t, self.period, self.phase_ms) {
            return false;
        }
        let (t, at) = (r.t, r.at);
        let current = work.replicas;
        // For Resource metrics, the average usage behind the utilization.
        let mut usage = Vec::new();
        let inputs: Vec<MetricInput> = self
            .spec
            .metrics
            .iter()
            .enumerate()
            .map(|(i, m)| match &m.source {
                MetricSource::Resource { .. } => {
                    let pods = pod_samples(
                        work,
                        t,
                        |p| r.metrics_server.usage(p),
                        Some(work.spec.cpu_request),
                    );
                    let vals: Vec<f64> = pods.iter().filter_map(|p| p.value).collect();
                    usage.push(
                        (!vals.is_empty()).then(|| vals.iter().sum::<f64>() / vals.len() as f64),
                    );
                    MetricInput::Pods(pods)
                }
                MetricSource::Pods { .. } => {
                    usage.push(None);
                    MetricInput::Pods(pod_samples(
                        work,
                        t,
                        |p| r.adapter.pod_cpu_rate(r.prometheus, p, t),
                        None,
                    ))
                }
                MetricSource::External { .. } => {
                    usage.push(None);
                    MetricInput::Value(self.keda.and_then(|k| kedas[k].metric_for_hpa(i, r)))
                }
                MetricSource::Object { .. } => {
                    usage.push(None);
                    MetricInput::Value(None)
                }
            })
            .collect();
        let outcome = self.controller.sync(t as f64 / 1000.0, current, &inputs);
        let involved = (
            "autoscaling/v2",
            "HorizontalPodAutoscaler",
            self.name.as_str(),
            self.uid.as_str(),
        );
        for (reason, message) in &outcome.failed_metric_messages {
            rec.event(at, involved, ("Warning", reason, message));
        }
        let rescaled = outcome.rescaled && outcome.desired_replicas != current;
        if rescaled {
            work.replicas = outcome.desired_replicas;
            self.last_scale_ms = Some(at);
            if let Some(msg) = &outcome.rescale_message {
                rec.event(at, involved, ("Normal", "SuccessfulRescale", msg));
            }
        }
        self.status = json!({
            "currentReplicas": work.current(),
            "desiredReplicas": outcome.desired_replicas,
            "lastScaleTime": self.last_scale_ms.map(objects::time),
            "currentMetrics": objects::current_metrics(&self.spec, &outcome.current_metrics, &usage),
            "conditions": objects::conditions(&outcome.conditions, self.status.get("conditions"), at),
        });
        rescaled
    }
}

/// The scale target's pods as the HPA lists them, with one metric value each.
fn pod_samples(
    work: &Workload,
    t: i64,
    value: impl Fn(&str) -> Option<f64>,
    request: Option<f64>,
) -> Vec<PodSample> {
    work.pods
        .iter()
        .map(|p| PodSample {
            name: p.name.clone(),
            running: p.is_running() && !p.is_terminating(),
            ready: p.is_ready(),
            age_s: p.started_ms.map_or(0.0, |s| (t - s) as f64 / 1000.0),
            value: if p.is_running() { value(&p.name) } else { None },
            request,
        })
        .collect()
}

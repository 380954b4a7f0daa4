//! A deterministic simulator of the talk's autoscaled system, writing
//! understudy recordings.
//!
//! # Brief overview
//! - [`Scenario`] is a YAML file: the queue, the load, the backend's pods and
//!   their costs, the metric pipelines, and the real `HorizontalPodAutoscaler`
//!   and KEDA `ScaledObject` manifests that autoscale it.
//! - [`simulate`] runs it in 100 ms ticks and writes what a live recorder
//!   would have recorded: JetStream, cAdvisor, app, kube-state-metrics and
//!   Prometheus Adapter series, and the Kubernetes objects with their status
//!   and Events.
//! - Each tick, a `World` (the queue, the pods, the metrics pipelines, the
//!   autoscalers) is advanced one controller at a time — publishers, the
//!   stream, the kubelet, the backend app, the ReplicaSet controller, the
//!   scrapes, KEDA, the HPAs, the deployment controller — and the recorder
//!   writes what it sees. `World::tick` is the one place that order is
//!   written.
//! - [`hpa`] is the HPA controller, faithful to upstream `autoscaling/v2`;
//!   KEDA makes one more HPA per ScaledObject, and several HPAs on one
//!   Deployment overwrite each other — the conflict of the talk.
//!
//! The one decision behind the rest: every random draw comes from one
//! seeded generator split per part of the system, and every time comes from
//! the simulated clock, so the same scenario and seed give the same bytes.

mod backend;
mod clock;
mod deployment;
pub mod hpa;
mod hpa_sync;
mod keda;
mod load;
mod manifests;
mod objects;
mod output;
mod pipelines;
mod queue;
mod recorder;
mod rng;
mod run;
mod scenario;
mod units;
mod workload;
mod world;

pub use manifests::{Autoscaler, ScaledObject, Trigger};
pub use run::{Options, Summary, simulate, simulate_until};
pub use scenario::{BUNDLED, Scenario, ScenarioError, ScenarioFile};

//! `[[source.kubernetes]]`: records the cluster timeline of a live run
//! (docs/configuration.md).
//!
//! - **Objects.** kube-runtime watchers (with bookmarks) per kind and
//!   namespace: HorizontalPodAutoscalers (`autoscaling/v2`, full status),
//!   Deployments, ReplicaSets, Pods, Events (core/v1 and events.k8s.io/v1)
//!   and custom resources by group/version/kind — KEDA ScaledObjects by
//!   default when their CRD is installed, with the CRD itself. Every
//!   revision is recorded with its observation time and resourceVersion,
//!   `managedFields` dropped. Relists (the first list, 410 Gone, a
//!   reconnect) are bracketed by relist markers and recorded as differences
//!   (`state.rs`), never as duplicates.
//! - **Polled paths.** Raw GETs recorded every interval as `APIResponse`
//!   objects named by the path: by default the custom and external metrics
//!   API questions of the recorded HPAs, so a replay answers `kubectl get
//!   --raw` as the live cluster did.
//! - **Derived series** under kube-state-metrics' names and labels
//!   (`derive.rs`), and `understudy_hpa_rescale_events_total` per HPA.
//! - **Failures.** A 403 on one kind is logged once, naming the verb and
//!   resource the recorder's RBAC lacks, and counted; the other kinds keep
//!   recording. An unreachable API server makes the recorder record a gap
//!   and reconnect.
//!
//! # Brief overview
//! - [`KubeConfig`] is the section; [`KubeConfig::problems`] lists what is
//!   wrong with it. [`KindSpec`] is one entry of its `kinds`.
//! - [`KubeSource`] implements [`understudy_core::Source`].
//! - [`RAW_KIND`] and [`RAW_API_VERSION`] name the objects polled paths
//!   are recorded as.
//!
//! The one decision: the recording holds objects, not only series. Series
//! are derived from them at record time, but the objects themselves are
//! what a replay serves to `kubectl`, and what a KPI may ask about later
//! that nobody thought to derive.

mod client;
mod config;
mod derive;
mod kinds;
mod poll;
mod source;
mod state;

pub use config::{DEFAULT_KINDS, KubeConfig};
pub use kinds::KindSpec;
pub use poll::{RAW_API_VERSION, RAW_KIND};
pub use source::KubeSource;

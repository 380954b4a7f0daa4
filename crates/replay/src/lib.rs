//! Replays a recording through the Prometheus HTTP API, time-shifted so the
//! past run looks live (or at its original times with `no_shift`).
//!
//! # Brief overview
//! - [`clock::Clock`] maps recording time onto wall time and moves with
//!   pause, resume, seek, speed and loop.
//! - [`view::ReplayView`] is the recording as the clock shows it: every
//!   sample's timestamp shifted, nothing after the replay position visible.
//!   Queries are evaluated by `understudy-promql` over that view.
//! - [`server::router`] serves the Prometheus API, `/metrics` and the
//!   `/-/replay` control API; [`kube::router`] the Kubernetes API from the
//!   recording's objects, on its own listener, on the same clock;
//!   [`dashboard::router`] the stage dashboard page at `/`, which draws a
//!   Grafana dashboard's panels from that Prometheus API.
//!
//! The one decision behind the rest: the data is shifted, not the queries.
//! A real Prometheus loaded with the shifted samples would answer exactly
//! as the replay does, which is what the differential tests check.

mod api;
pub mod clock;
pub mod dashboard;
mod encode;
mod format;
pub mod kube;
mod params;
pub mod queries;
pub mod recorded;
pub mod server;
pub mod view;

pub use queries::QueryLimits;
pub use server::{AppState, Loaded, ReplayOptions, load, router, state};

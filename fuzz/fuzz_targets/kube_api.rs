//! The replay's Kubernetes API: any request, through its router, over the
//! objects of `recordings/conflict`. Covers the path grammar, query
//! parameters, label and field selectors, paging, watches, Tables and the
//! custom metrics API. Must never panic, hang or answer 500.

#![no_main]

#[path = "common.rs"]
mod common;
#[path = "panics.rs"]
mod panics;

use std::sync::{Arc, OnceLock};

use axum::Router;
use libfuzzer_sys::fuzz_target;
use understudy_replay::kube::{self, KubeState};

fuzz_target!(init: panics::abort_unless_caught_on_purpose(), |data: &[u8]| {
    static ROUTER: OnceLock<Router> = OnceLock::new();
    let state = common::replay();
    let router = ROUTER.get_or_init(|| {
        kube::router(Arc::new(KubeState::new(
            Arc::clone(state),
            "recordings/conflict".to_string(),
        )))
    });
    common::reset_clock(state);
    if let Some(req) = common::request(data) {
        common::send(router, req);
    }
});

//! The replay's Prometheus HTTP API and control API (`/-/replay/...`): any
//! request, through the router as the server runs it, over
//! `recordings/conflict`. Covers the parameter parser (times, durations,
//! form bodies, percent-decoding), the query endpoints and the clock.
//! Must never panic, hang or answer 500.

#![no_main]

#[path = "common.rs"]
mod common;
#[path = "panics.rs"]
mod panics;

use std::sync::OnceLock;

use axum::Router;
use libfuzzer_sys::fuzz_target;

fuzz_target!(init: panics::abort_unless_caught_on_purpose(), |data: &[u8]| {
    static ROUTER: OnceLock<Router> = OnceLock::new();
    let state = common::replay();
    let router = ROUTER.get_or_init(|| understudy_replay::router(std::sync::Arc::clone(state)));
    common::reset_clock(state);
    if let Some(req) = common::request(data) {
        common::send(router, req);
    }
});

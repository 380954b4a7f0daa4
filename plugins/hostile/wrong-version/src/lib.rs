//! Hostile plugin for the host's sandbox tests: a well-behaved plugin, but
//! built against `understudy:kpi@1.0.0` (wit/kpi.wit, a copy of the real
//! contract with only the version changed), which the host must refuse with
//! a message naming both versions. Natively the crate is empty.
#![cfg(target_arch = "wasm32")]

#[allow(
    unsafe_code,
    clippy::all,
    missing_debug_implementations,
    unused_qualifications
)]
mod bindings {
    wit_bindgen::generate!({ path: "wit", world: "kpi" });
}

use bindings::exports::understudy::kpi::plugin::{
    Batch, Evaluator, Guest, GuestEvaluator, KpiError, Mode, OutputSeries, PluginInfo,
};

struct WrongVersion;

impl Guest for WrongVersion {
    type Evaluator = WrongVersion;

    fn describe() -> PluginInfo {
        PluginInfo {
            name: "wrong-version".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Hostile: speaks understudy:kpi@1.0.0".into(),
            inputs: vec![],
            outputs: vec![],
            config: vec![],
        }
    }
}

impl GuestEvaluator for WrongVersion {
    fn open(_config: Vec<(String, String)>, _mode: Mode) -> Result<Evaluator, KpiError> {
        Ok(Evaluator::new(WrongVersion))
    }

    fn push(&self, _batch: Batch) -> Result<Vec<OutputSeries>, KpiError> {
        Ok(vec![])
    }

    fn finish(&self) -> Result<Vec<OutputSeries>, KpiError> {
        Ok(vec![])
    }
}

// The generated exports are `unsafe extern "C"` functions.
#[allow(unsafe_code)]
mod export {
    use super::{WrongVersion, bindings};
    bindings::export!(WrongVersion with_types_in bindings);
}

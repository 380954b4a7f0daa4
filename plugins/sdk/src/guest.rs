//! The wasm side: wit-bindgen bindings of `understudy:kpi@0.2.0` and the glue
//! `export_kpi!` expands to. The work is in [`crate::evaluator`]; this only
//! moves strings and columns between its types and the bindings'.

use std::cell::RefCell;
use std::fmt;

use crate::Kpi;
use crate::batch::InputColumns;
use crate::evaluator::{Evaluator, WireBatch, WireOutputs};
use crate::types::{
    ConfigParam, InputSpec, KpiError, LogLevel, MetricKind, Mode, OutputSpec, PluginInfo,
};

#[allow(
    unsafe_code,
    clippy::all,
    missing_debug_implementations,
    unused_qualifications
)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../wit",
        world: "kpi",
        // Plugin crates expand the export macro; it must be public and name
        // the bindings and wit-bindgen's runtime through this crate.
        pub_export_macro: true,
        default_bindings_module: "::understudy_kpi_sdk::guest::bindings",
        runtime_path: "::understudy_kpi_sdk::__private::wit_bindgen::rt",
    });
}

use bindings::exports::understudy::kpi::plugin as wit_plugin;
use bindings::understudy::kpi::{host as wit_host, types as wit};

pub use wit_plugin::Guest;
pub use wit_plugin::PluginInfo as WitPluginInfo;

pub(crate) fn log(level: LogLevel, message: &str) {
    let level = match level {
        LogLevel::Debug => wit_host::Level::Debug,
        LogLevel::Info => wit_host::Level::Info,
        LogLevel::Warn => wit_host::Level::Warn,
        LogLevel::Error => wit_host::Level::Error,
    };
    wit_host::log(level, message);
}

pub fn describe<K: Kpi>() -> WitPluginInfo {
    let PluginInfo {
        name,
        version,
        description,
        inputs,
        outputs,
        config,
    } = K::describe();
    wit::PluginInfo {
        name,
        version,
        description,
        inputs: inputs
            .into_iter()
            .map(
                |InputSpec {
                     name,
                     query,
                     step_ms,
                 }| wit::InputSpec {
                    name,
                    query,
                    step_ms,
                },
            )
            .collect(),
        outputs: outputs
            .into_iter()
            .map(|OutputSpec { name, help, kind }| wit::OutputSpec {
                name,
                help,
                kind: match kind {
                    MetricKind::Gauge => wit::MetricKind::Gauge,
                    MetricKind::Counter => wit::MetricKind::Counter,
                },
            })
            .collect(),
        config: config
            .into_iter()
            .map(
                |ConfigParam {
                     name,
                     description,
                     default_value,
                 }| wit::ConfigParam {
                    name,
                    description,
                    default_value,
                },
            )
            .collect(),
    }
}

/// The `evaluator` resource of a [`Kpi`] type.
pub struct EvaluatorOf<K: Kpi> {
    // Resource methods take `&self`; the component model never re-enters an
    // instance, so a failed borrow is impossible in practice and is reported
    // as an error rather than a panic anyway.
    inner: RefCell<Evaluator<K>>,
}

impl<K: Kpi> fmt::Debug for EvaluatorOf<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EvaluatorOf")
            .field("kpi", &std::any::type_name::<K>())
            .finish()
    }
}

impl<K: Kpi> EvaluatorOf<K> {
    fn with(
        &self,
        f: impl FnOnce(&mut Evaluator<K>) -> Result<WireOutputs, KpiError>,
    ) -> Result<wit::Outputs, wit::KpiError> {
        let mut evaluator = self
            .inner
            .try_borrow_mut()
            .map_err(|_| wit::KpiError::Failed("evaluator re-entered".into()))?;
        f(&mut evaluator).map(to_wit_outputs).map_err(to_wit_error)
    }
}

impl<K: Kpi> wit_plugin::GuestEvaluator for EvaluatorOf<K> {
    fn open(
        config: Vec<(String, String)>,
        mode: wit::Mode,
    ) -> Result<wit_plugin::Evaluator, wit::KpiError> {
        let mode = match mode {
            wit::Mode::Live => Mode::Live,
            wit::Mode::Offline => Mode::Offline,
        };
        let evaluator = Evaluator::<K>::open(&config, mode).map_err(to_wit_error)?;
        Ok(wit_plugin::Evaluator::new(EvaluatorOf {
            inner: RefCell::new(evaluator),
        }))
    }

    fn push(&self, batch: wit::Batch) -> Result<wit::Outputs, wit::KpiError> {
        let batch = from_wit_batch(batch);
        self.with(|e| e.push(batch))
    }

    fn finish(&self) -> Result<wit::Outputs, wit::KpiError> {
        self.with(|e| e.finish())
    }
}

fn to_wit_error(e: KpiError) -> wit::KpiError {
    match e {
        KpiError::InvalidConfig(m) => wit::KpiError::InvalidConfig(m),
        KpiError::InvalidInput(m) => wit::KpiError::InvalidInput(m),
        KpiError::Failed(m) => wit::KpiError::Failed(m),
    }
}

fn from_wit_batch(b: wit::Batch) -> WireBatch {
    WireBatch {
        window_start: b.window_start,
        window_end: b.window_end,
        new_label_sets: b
            .new_label_sets
            .into_iter()
            .map(|set| set.into_iter().map(|l| (l.name, l.value)).collect())
            .collect(),
        retired_label_sets: b.retired_label_sets,
        inputs: b
            .inputs
            .into_iter()
            .map(|i| InputColumns {
                name: i.name,
                label_sets: i.label_sets,
                lengths: i.lengths,
                timestamps: i.timestamps,
                values: i.values,
            })
            .collect(),
    }
}

fn to_wit_outputs(out: WireOutputs) -> wit::Outputs {
    wit::Outputs {
        new_label_sets: out
            .new_label_sets
            .into_iter()
            .map(|set| {
                set.into_iter()
                    .map(|(name, value)| wit::Label { name, value })
                    .collect()
            })
            .collect(),
        retired_label_sets: out.retired_label_sets,
        series: out
            .series
            .into_iter()
            .map(|o| wit::Output {
                metric: o.metric,
                label_sets: o.label_sets,
                lengths: o.lengths,
                timestamps: o.timestamps,
                values: o.values,
            })
            .collect(),
    }
}

//! The wasm side: wit-bindgen bindings of `understudy:kpi@0.1.0` and the glue
//! `export_kpi!` expands to. Conversions move strings and columns rather
//! than copying them.

use std::cell::RefCell;
use std::fmt;

use crate::Kpi;
use crate::config::Config;
use crate::types::{
    Batch, ConfigParam, Input, InputSpec, KpiError, LogLevel, MetricKind, Mode, OutputSeries,
    OutputSpec, PluginInfo, Series,
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
    inner: RefCell<K>,
}

impl<K: Kpi> fmt::Debug for EvaluatorOf<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EvaluatorOf")
            .field("kpi", &std::any::type_name::<K>())
            .finish()
    }
}

impl<K: Kpi> EvaluatorOf<K> {
    fn with<T>(&self, f: impl FnOnce(&mut K) -> Result<T, KpiError>) -> Result<T, wit::KpiError> {
        let mut kpi = self
            .inner
            .try_borrow_mut()
            .map_err(|_| wit::KpiError::Failed("evaluator re-entered".into()))?;
        f(&mut kpi).map_err(to_wit_error)
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
        let config = Config::new(&config, &K::describe().config).map_err(to_wit_error)?;
        let kpi = K::open(&config, mode).map_err(to_wit_error)?;
        Ok(wit_plugin::Evaluator::new(EvaluatorOf {
            inner: RefCell::new(kpi),
        }))
    }

    fn push(&self, batch: wit::Batch) -> Result<Vec<wit::OutputSeries>, wit::KpiError> {
        let batch = from_wit_batch(batch);
        self.with(|kpi| {
            batch.check()?;
            kpi.push(&batch)
        })
        .map(to_wit_outputs)
    }

    fn finish(&self) -> Result<Vec<wit::OutputSeries>, wit::KpiError> {
        self.with(|kpi| kpi.finish()).map(to_wit_outputs)
    }
}

fn to_wit_error(e: KpiError) -> wit::KpiError {
    match e {
        KpiError::InvalidConfig(m) => wit::KpiError::InvalidConfig(m),
        KpiError::InvalidInput(m) => wit::KpiError::InvalidInput(m),
        KpiError::Failed(m) => wit::KpiError::Failed(m),
    }
}

fn from_wit_batch(b: wit::Batch) -> Batch {
    Batch {
        window_start: b.window_start,
        window_end: b.window_end,
        inputs: b
            .inputs
            .into_iter()
            .map(|i| Input {
                name: i.name,
                series: i
                    .series
                    .into_iter()
                    .map(|s| Series {
                        labels: s.labels.into_iter().map(|l| (l.name, l.value)).collect(),
                        timestamps: s.timestamps,
                        values: s.values,
                    })
                    .collect(),
            })
            .collect(),
    }
}

fn to_wit_outputs(out: Vec<OutputSeries>) -> Vec<wit::OutputSeries> {
    out.into_iter()
        .map(|s| wit::OutputSeries {
            metric: s.metric,
            labels: s
                .labels
                .into_iter()
                .map(|(name, value)| wit::Label { name, value })
                .collect(),
            timestamps: s.timestamps,
            values: s.values,
        })
        .collect()
}

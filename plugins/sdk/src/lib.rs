//! The guest side of understudy's KPI plugins.
//!
//! A plugin is a type implementing [`Kpi`] with plain Rust types, exported
//! with one macro:
//!
//! ```
//! use understudy_kpi_sdk::*;
//!
//! struct Up;
//!
//! impl Kpi for Up {
//!     fn describe() -> PluginInfo {
//!         PluginInfo {
//!             name: "up".into(),
//!             version: "0.1.0".into(),
//!             description: "Copies `up`".into(),
//!             inputs: vec![InputSpec::new("up", "up", 15_000)],
//!             outputs: vec![OutputSpec::gauge("copied_up", "up, copied")],
//!             config: vec![],
//!         }
//!     }
//!
//!     fn open(_config: &Config, _mode: Mode) -> Result<Self, KpiError> {
//!         Ok(Up)
//!     }
//!
//!     fn push(&mut self, batch: &Batch) -> Result<Vec<OutputSeries>, KpiError> {
//!         let mut out = OutputSet::new(batch);
//!         for series in batch.series("up")? {
//!             let Some(labels) = series.label_set(&["job"]) else { continue };
//!             for (t, v) in series.points() {
//!                 out.add("copied_up", &labels, t, v);
//!             }
//!         }
//!         Ok(out.into_series())
//!     }
//! }
//!
//! export_kpi!(Up);
//! ```
//!
//! Built for `wasm32-wasip2`, the macro generates the wit-bindgen glue of the
//! `understudy:kpi@0.2.0` world (`../wit/kpi.wit`). Built natively it only
//! checks that the type implements [`Kpi`], so the logic is unit-testable
//! with `cargo test` and [`log`] is a no-op.
//!
//! # Label sets are ids
//!
//! The host sends each input label set once and then only its id; the glue
//! keeps them per evaluator as [`LabelSet`]s — cheap handles (an `Rc`) to
//! sorted pairs whose hash is computed once — and answers
//! [`Series::label_set`] from a cache, so a projection such as
//! `["namespace", "pod"]` is computed once per label set and is the same
//! handle at every push. Hash maps keyed by it ([`LabelMap`]) hash one
//! `u64`, and equality is usually a pointer comparison: per-series and
//! per-point work does not touch strings in steady state.
//!
//! Going out, the glue numbers the plugin's output label sets itself (each
//! is sent once, and retired after [`RETIRE_AFTER_PUSHES`]
//! pushes without use), groups the series per metric into columns, and
//! refers to metrics by their position in `describe().outputs`: a series
//! of an undeclared metric fails the push.
//!
//! State kept across pushes belongs in a [`KeyedState`], which forgets a
//! key once every input label set feeding it has been retired by the host.
//!
//! In tests, [`Batch::new`] and [`Batch::with_input`] build a batch from
//! [`OwnedSeries`]; equal label sets get equal ids, as from a host.

mod batch;
mod config;
#[doc(hidden)]
pub mod evaluator;
mod labels;
mod output;
mod types;

#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub mod guest;

pub use batch::{Batch, OwnedSeries, Series, SeriesIter};
pub use config::{Config, parse_duration_ms};
pub use evaluator::RETIRE_AFTER_PUSHES;
pub use labels::{BuildLabelHasher, KeyedState, LabelHasher, LabelMap, LabelSet, Labels};
pub use output::{Common, Join, Joined, OutputSet, SeriesPair, SeriesWriter, join, join_series};
pub use types::{
    ConfigParam, InputSpec, KpiError, LogLevel, MetricKind, Mode, OutputSeries, OutputSpec,
    PluginInfo,
};

// The generated export macros name the bindings and wit-bindgen's runtime by
// absolute paths through this crate, so plugins need neither as a dependency.
extern crate self as understudy_kpi_sdk;

#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub mod __private {
    pub use wit_bindgen;
}

/// A KPI computation. One value of the type is one open evaluator; it may
/// keep state across [`Kpi::push`] calls (the host pushes windows in order).
pub trait Kpi: Sized + 'static {
    /// Name, inputs, outputs and config parameters (with their defaults).
    fn describe() -> PluginInfo;

    /// Validates `config` (already checked against `describe().config`, with
    /// defaults filled in) and creates the evaluator.
    fn open(config: &Config, mode: Mode) -> Result<Self, KpiError>;

    /// Consumes one window. Every output timestamp must lie inside
    /// `[batch.window_start, batch.window_end]`; [`OutputSet`] enforces that.
    fn push(&mut self, batch: &Batch) -> Result<Vec<OutputSeries>, KpiError>;

    /// Called once after the last push (end of a recording).
    fn finish(&mut self) -> Result<Vec<OutputSeries>, KpiError> {
        Ok(vec![])
    }
}

/// Sends a message to the host's log (rate- and size-capped there). A no-op
/// when compiled natively.
pub fn log(level: LogLevel, message: &str) {
    #[cfg(target_arch = "wasm32")]
    guest::log(level, message);
    #[cfg(not(target_arch = "wasm32"))]
    let _ = (level, message);
}

/// Exports a [`Kpi`] type as the component's `plugin` interface.
///
/// Use it once per plugin crate (a `cdylib`), at the crate root or in any
/// module: `export_kpi!(MyKpi);`.
#[macro_export]
macro_rules! export_kpi {
    ($kpi:ty) => {
        // The generated exports are `unsafe extern "C"` functions.
        #[cfg(target_arch = "wasm32")]
        #[allow(unsafe_code)]
        const _: () = {
            struct __UnderstudyKpiComponent;

            impl $crate::guest::Guest for __UnderstudyKpiComponent {
                type Evaluator = $crate::guest::EvaluatorOf<$kpi>;

                fn describe() -> $crate::guest::WitPluginInfo {
                    $crate::guest::describe::<$kpi>()
                }
            }

            $crate::guest::bindings::export!(
                __UnderstudyKpiComponent with_types_in $crate::guest::bindings
            );
        };

        // Natively there is nothing to export; still fail to compile when the
        // type is not a `Kpi`, as the wasm build would.
        #[cfg(not(target_arch = "wasm32"))]
        const _: fn() = $crate::__assert_kpi::<$kpi>;
    };
}

#[doc(hidden)]
pub fn __assert_kpi<K: Kpi>() {}

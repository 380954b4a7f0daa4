//! The host of understudy's KPI plugins: WebAssembly components of the
//! `understudy:kpi` world (plugins/wit/kpi.wit), run sandboxed by wasmtime.
//!
//! # Brief overview
//! - [`PluginHost`] (limits in [`HostConfig`]) loads a [`Plugin`], whose
//!   [`PluginInfo`] says what it reads and makes; [`Plugin::open`] gives an
//!   [`Evaluator`], pushed one [`Batch`] at a time for [`Outputs`].
//! - [`push_recording`] runs an evaluator over a recording;
//!   [`LivePlugins`] runs plugins in the recorder.
//! - [`PluginError`] says what went wrong and whose fault it was.
//!
//! The one decision: wasmtime types never appear in the public API.
//! Batches and outputs are columns ([`SeriesColumns`], [`Outputs`]), the
//! shape of the contract, so the host passes them through without copying
//! them series by series, and a caller needs no wasmtime to use a plugin.
//!
//! How the sandbox behaves:
//! - Plugins get no filesystem, network, environment or clock: no WASI is
//!   linked. The `wasi:*` imports Rust's std brings along are answered by
//!   deny-all stand-ins (empty environment, no preopens, clocks at 0,
//!   deterministic random numbers, stdout/stderr captured for panic
//!   messages; files, sockets and `exit` trap) — see `wasi.rs`. Any other
//!   import but `understudy:kpi/host` is refused at load.
//! - Time: epoch interruption, ticking every 10 ms (less for budgets under
//!   40 ms); a call is stopped one tick before `call_timeout`. Fuel, when
//!   `HostConfig::fuel` is set, is refilled before every call. Memory: all
//!   linear memories of an instance together are capped.
//! - A trap, timeout, fuel or memory fault, and a refused output
//!   (`OutputTooLarge`, `InvalidOutput`: the label sets it defined are not
//!   taken), poison the instance: it is dropped and re-created (and
//!   re-opened with the same config and mode) on the next call, losing the
//!   plugin's state and starting both label-set id spaces over. Those
//!   faults count towards quarantine; a successful call resets the count.
//!   A malformed batch from the caller (`InvalidBatch`) drops the instance
//!   too but is not the plugin's fault and is not counted. Typed errors (`PluginError::Plugin`)
//!   are counted in `faults()` but neither poison the instance nor count
//!   towards quarantine. Calls refused by quarantine are counted too.
//! - Label sets cross into the instance once (kpi.wit `label-set-id`):
//!   each instance keeps the ids of the input label sets it was sent and of
//!   the output label sets it defined (`tables.rs`); input sets unused for
//!   100 pushes are retired, so memory stays bounded as pods come and go.
//! - Compiled components are cached in memory per host by sha256; with
//!   `cache_dir`, wasmtime's own on-disk cache (keyed by the wasm, the
//!   engine's settings and wasmtime's version) is used as well, which loads
//!   without `unsafe` on our side.
//! - The epoch ticker runs until the host and every plugin and evaluator
//!   made from it are dropped.
//!
//! Runs: [`push_recording`] pushes a recording (read by
//! `understudy-timeline`) through an evaluator window by window, as `kpi
//! run` and `analyze` do; [`LivePlugins`] keeps a window of recent samples
//! in the recorder and pushes each plugin over it every interval. Both
//! evaluate the plugin's input queries with `understudy-promql`.

#[allow(
    unused_qualifications,
    missing_debug_implementations,
    clippy::all,
    clippy::pedantic
)]
mod bindings;
mod columns;
mod contract;
mod convert;
mod engine;
mod error;
mod evaluator;
mod host;
mod limits;
mod live;
mod offline;
mod tables;
mod validate;
mod version;
mod wasi;

pub use columns::{
    Labels, OutputColumns, OutputRef, OutputSeries, Outputs, SeriesColumns, SeriesData, SeriesRef,
};
pub use contract::{
    Batch, ConfigParam, Input, InputSpec, MetricKind, Mode, OutputSpec, PluginInfo,
};
pub use error::PluginError;
pub use host::{CallStats, Evaluator, HostConfig, Plugin, PluginHost};
pub use live::{LatestOutput, LivePlugin, LivePlugins, LiveSpec, LiveWindow};
pub use offline::{LabelPairs, RunError, RunResult, push_recording};

/// The interface version this host speaks.
pub const INTERFACE: &str = "understudy:kpi@0.2.0";

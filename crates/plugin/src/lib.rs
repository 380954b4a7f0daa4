//! The host of understudy's KPI plugins: WebAssembly components of the
//! `understudy:kpi` world (plugins/wit/kpi.wit), run sandboxed by wasmtime.
//!
//! Wasmtime types never appear in the public API. Batches and outputs are
//! columns ([`SeriesColumns`], [`Outputs`]), the shape of the contract, so
//! the host passes them through without copying them series by series.
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
mod convert;
mod engine;
mod evaluator;
mod limits;
mod live;
mod offline;
mod tables;
mod validate;
mod version;
mod wasi;

use std::path::{Path, PathBuf};

pub use columns::{
    Labels, OutputColumns, OutputRef, OutputSeries, Outputs, SeriesColumns, SeriesData, SeriesRef,
};
pub use live::{LatestOutput, LivePlugin, LivePlugins, LiveSpec, LiveWindow};
pub use offline::{LabelPairs, RunError, RunResult, push_recording};
use std::sync::Arc;
use std::time::Duration;

/// The interface version this host speaks.
pub const INTERFACE: &str = "understudy:kpi@0.2.0";

/// Limits and settings of the sandbox.
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// Linear memory a plugin instance may grow to.
    pub memory_limit_bytes: usize,
    /// Wall-clock budget of one call (epoch interruption).
    pub call_timeout: Duration,
    /// Fuel per call for deterministic runs; `None` = unmetered.
    pub fuel: Option<u64>,
    /// Samples one call may return.
    pub max_output_samples: usize,
    /// Faults in a row after which a plugin is quarantined.
    pub quarantine_after: u32,
    /// Where compiled plugins are cached (keyed by the wasm's sha256 and the
    /// engine); `None` = no cache.
    pub cache_dir: Option<PathBuf>,
}

impl HostConfig {
    /// Limits for plugins in a running recorder.
    pub fn live() -> HostConfig {
        HostConfig {
            memory_limit_bytes: 64 << 20,
            call_timeout: Duration::from_millis(200),
            fuel: None,
            max_output_samples: 100_000,
            quarantine_after: 5,
            cache_dir: None,
        }
    }

    /// Limits for runs over recordings.
    pub fn offline() -> HostConfig {
        HostConfig {
            memory_limit_bytes: 256 << 20,
            call_timeout: Duration::from_secs(10),
            ..HostConfig::live()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Live,
    Offline,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    Gauge,
    Counter,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputSpec {
    pub name: String,
    pub query: String,
    pub step_ms: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputSpec {
    pub name: String,
    pub help: String,
    pub kind: MetricKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigParam {
    pub name: String,
    pub description: String,
    pub default_value: String,
}

/// What `describe()` answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginInfo {
    pub name: String,
    pub version: String,
    pub description: String,
    pub inputs: Vec<InputSpec>,
    pub outputs: Vec<OutputSpec>,
    pub config: Vec<ConfigParam>,
}

/// The result of one input expression over the batch's window.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    pub name: String,
    pub series: SeriesColumns,
}

/// One push: every input evaluated over `[window_start, window_end]` (ms).
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub window_start: i64,
    pub window_end: i64,
    pub inputs: Vec<Input>,
}

/// What went wrong; [`PluginError::reason`] is the `reason` label of
/// `understudy_plugin_faults_total`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PluginError {
    #[error("failed to load plugin {path}: {message}")]
    Load { path: String, message: String },
    #[error(
        "plugin {path} is built for {found}; this understudy speaks {supported} (major versions must match)"
    )]
    Version {
        path: String,
        found: String,
        supported: String,
    },
    #[error("plugin trapped: {0}")]
    Trap(String),
    #[error("plugin call exceeded its time budget of {0:?}")]
    Timeout(Duration),
    #[error("plugin ran out of fuel")]
    OutOfFuel,
    #[error("plugin exceeded its memory limit of {0} bytes")]
    MemoryLimit(usize),
    #[error("plugin returned {found} samples, more than the limit of {limit}")]
    OutputTooLarge { found: usize, limit: usize },
    #[error("plugin output rejected: {0}")]
    InvalidOutput(String),
    /// A typed error the plugin returned (`kpi-error`).
    #[error("plugin reported: {0}")]
    Plugin(String),
    #[error("plugin is quarantined after {0} faults in a row")]
    Quarantined(u32),
    /// The batch handed to `push` is malformed (the caller's mistake).
    #[error("batch refused: {0}")]
    InvalidBatch(String),
}

impl PluginError {
    pub fn reason(&self) -> &'static str {
        match self {
            PluginError::Load { .. } => "load",
            PluginError::Version { .. } => "version",
            PluginError::Trap(_) => "trap",
            PluginError::Timeout(_) => "timeout",
            PluginError::OutOfFuel => "fuel",
            PluginError::MemoryLimit(_) => "memory",
            PluginError::OutputTooLarge { .. } => "output_size",
            PluginError::InvalidOutput(_) => "invalid_output",
            PluginError::Plugin(_) => "plugin_error",
            PluginError::Quarantined(_) => "quarantined",
            PluginError::InvalidBatch(_) => "invalid_batch",
        }
    }
}

/// Cost of the last call, for `understudy plugin test`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CallStats {
    pub duration: Duration,
    pub fuel_used: Option<u64>,
    pub memory_bytes: usize,
}

/// The engine, linker and epoch ticker shared by every plugin.
#[derive(Debug)]
pub struct PluginHost {
    inner: Arc<engine::HostInner>,
}

/// A loaded (compiled, pre-instantiated) plugin.
#[derive(Debug)]
pub struct Plugin {
    inner: Arc<evaluator::PluginInner>,
}

/// One open evaluator; after a fault it is re-created from the plugin
/// (faults counted), and after `quarantine_after` faults in a row every call
/// answers `Quarantined`.
#[derive(Debug)]
pub struct Evaluator {
    inner: evaluator::EvaluatorInner,
}

impl PluginHost {
    pub fn new(config: HostConfig) -> Result<PluginHost, PluginError> {
        Ok(PluginHost {
            inner: engine::HostInner::new(config)?,
        })
    }

    /// Loads a component (from the cache when its sha256 is known).
    pub fn load(&self, path: &Path) -> Result<Plugin, PluginError> {
        let inner = evaluator::PluginInner::load(Arc::clone(&self.inner), path)?;
        Ok(Plugin {
            inner: Arc::new(inner),
        })
    }
}

impl Plugin {
    pub fn info(&self) -> &PluginInfo {
        &self.inner.info
    }

    /// SHA-256 of the wasm file, hex.
    pub fn sha256(&self) -> &str {
        &self.inner.sha256
    }

    /// Opens an evaluator; `config` is validated by the plugin (typed error).
    pub fn open(&self, config: &[(String, String)], mode: Mode) -> Result<Evaluator, PluginError> {
        let inner = evaluator::EvaluatorInner::open(Arc::clone(&self.inner), config, mode)?;
        Ok(Evaluator { inner })
    }
}

impl Evaluator {
    /// Pushes one batch; outputs are validated (finite timestamps inside the
    /// window, legal names, no duplicate series, size cap) before returning.
    pub fn push(&mut self, batch: &Batch) -> Result<Outputs, PluginError> {
        self.inner.push(batch)
    }

    pub fn finish(&mut self) -> Result<Outputs, PluginError> {
        self.inner.finish()
    }

    /// Faults of this evaluator so far, by reason.
    pub fn faults(&self) -> &[(String, u64)] {
        &self.inner.faults
    }

    pub fn last_call(&self) -> CallStats {
        self.inner.last
    }
}

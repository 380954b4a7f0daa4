//! What can go wrong loading or calling a plugin, and which of it is the
//! plugin's fault.

use std::time::Duration;

/// What went wrong; [`PluginError::reason`] is the `reason` label of
/// `understudy_plugin_faults_total`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PluginError {
    /// The file cannot be read, is not a component of the `understudy:kpi`
    /// world, imports what the sandbox does not give, or declares bad
    /// outputs; also when the host itself cannot start (no `path` then).
    #[error("failed to load plugin {path}: {message}")]
    Load {
        /// The wasm file as given; empty for a host failure.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The plugin was built against another major version of kpi.wit.
    #[error(
        "plugin {path} is built for {found}; this understudy speaks {supported} (major versions must match)"
    )]
    Version {
        /// The wasm file as given.
        path: String,
        /// The interface the plugin imports, e.g. `understudy:kpi@0.1.0`.
        found: String,
        /// [`crate::INTERFACE`].
        supported: String,
    },
    /// The plugin panicked or hit a WebAssembly trap (its panic message
    /// and captured output included). Poisons the instance.
    #[error("plugin trapped: {0}")]
    Trap(String),
    /// A call ran past [`crate::HostConfig::call_timeout`]. Poisons the
    /// instance.
    #[error("plugin call exceeded its time budget of {0:?}")]
    Timeout(Duration),
    /// A call used up [`crate::HostConfig::fuel`]. Poisons the instance.
    #[error("plugin ran out of fuel")]
    OutOfFuel,
    /// The instance tried to grow its memories past
    /// [`crate::HostConfig::memory_limit_bytes`] (the limit, in bytes).
    /// Poisons the instance.
    #[error("plugin exceeded its memory limit of {0} bytes")]
    MemoryLimit(usize),
    /// One result held more samples than
    /// [`crate::HostConfig::max_output_samples`]. Poisons the instance.
    #[error("plugin returned {found} samples, more than the limit of {limit}")]
    OutputTooLarge {
        /// Samples in the result.
        found: usize,
        /// The limit.
        limit: usize,
    },
    /// A result broke the contract: an undeclared metric or label set, an
    /// illegal name, columns that do not add up, points outside the window
    /// or out of order, a series twice. The first few problems are named.
    /// Poisons the instance.
    #[error("plugin output rejected: {0}")]
    InvalidOutput(String),
    /// A typed error the plugin returned (`kpi-error`).
    #[error("plugin reported: {0}")]
    Plugin(String),
    /// Refused without calling the plugin: it faulted
    /// [`crate::HostConfig::quarantine_after`] times in a row (the count).
    #[error("plugin is quarantined after {0} faults in a row")]
    Quarantined(u32),
    /// The batch handed to `push` is malformed (the caller's mistake).
    #[error("batch refused: {0}")]
    InvalidBatch(String),
}

impl PluginError {
    /// A short stable name of the variant (`trap`, `timeout`,
    /// `invalid_output`, …), the `reason` label of fault counters.
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

//! The public face of the wasmtime side: a host with its limits, the
//! plugins loaded into it and their evaluators. The work is in `engine.rs`
//! and `evaluator.rs`; these types keep wasmtime out of the API.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::{Batch, Mode, Outputs, PluginError, PluginInfo, engine, evaluator};

/// Limits and settings of the sandbox.
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// Linear memory a plugin instance may grow to, all its memories
    /// together, in bytes.
    pub memory_limit_bytes: usize,
    /// Wall-clock budget of one call, enforced by epoch ticks of up to
    /// 10 ms: a call is stopped up to one tick early, never late.
    pub call_timeout: Duration,
    /// Fuel per call for deterministic runs; `None` = unmetered.
    pub fuel: Option<u64>,
    /// Samples one call may return; more is [`PluginError::OutputTooLarge`].
    pub max_output_samples: usize,
    /// Faults in a row after which a plugin is quarantined; 0 never
    /// quarantines.
    pub quarantine_after: u32,
    /// Where compiled plugins are cached (keyed by the wasm's sha256 and the
    /// engine); `None` = no cache.
    pub cache_dir: Option<PathBuf>,
}

impl HostConfig {
    /// Limits for plugins in a running recorder: 64 MiB, 200 ms a call,
    /// unmetered, 100000 samples a call, quarantine after 5 faults.
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

    /// Limits for runs over recordings: as [`HostConfig::live`] but
    /// 256 MiB and 10 s a call.
    pub fn offline() -> HostConfig {
        HostConfig {
            memory_limit_bytes: 256 << 20,
            call_timeout: Duration::from_secs(10),
            ..HostConfig::live()
        }
    }
}

/// Cost of the last call, for `understudy plugin test`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CallStats {
    /// Wall-clock time of the call.
    pub duration: Duration,
    /// Fuel the call used; `None` when the host does not meter fuel.
    pub fuel_used: Option<u64>,
    /// Linear memory of the instance after the call, in bytes.
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
    /// A host with these limits; starts the epoch ticker thread. Fails
    /// (as [`PluginError::Load`] without a path) only if wasmtime cannot
    /// be configured or the thread cannot start.
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
    /// What the plugin's `describe()` answered at load.
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

    /// Tells the plugin the data has ended and returns what it held back
    /// (a KPI over the whole run, say); validated as `push`'s outputs are.
    pub fn finish(&mut self) -> Result<Outputs, PluginError> {
        self.inner.finish()
    }

    /// Faults of this evaluator so far, by reason.
    pub fn faults(&self) -> &[(String, u64)] {
        &self.inner.faults
    }

    /// What the last `push` or `finish` cost.
    pub fn last_call(&self) -> CallStats {
        self.inner.last
    }
}

//! Loading, instantiating and calling plugins; fault accounting.

use std::sync::Arc;
use std::time::Instant;

use wasmtime::component::{Component, ResourceAny};
use wasmtime::{Store, Trap};

use crate::bindings::{Kpi, KpiPre};
use crate::engine::{HostInner, StoreState};
use crate::limits::{LogLimiter, sanitize};
use crate::tables::{InputIds, OutputIds};
use crate::{Batch, CallStats, Mode, Outputs, PluginError, PluginInfo, convert, validate, version};

/// A compiled, pre-instantiated plugin.
pub(crate) struct PluginInner {
    pub(crate) host: Arc<HostInner>,
    pub(crate) pre: KpiPre<StoreState>,
    pub(crate) info: PluginInfo,
    /// The output names of `info`, shared by every series returned.
    pub(crate) metrics: Vec<Arc<str>>,
    pub(crate) sha256: String,
    pub(crate) path: String,
}

impl std::fmt::Debug for PluginInner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("path", &self.path)
            .field("sha256", &self.sha256)
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    use std::fmt::Write;
    let digest = sha2::Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for b in digest.iter() {
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

/// wasmtime's default hostcall fuel (128 MiB).
const DEFAULT_HOSTCALL_FUEL: usize = 128 << 20;

/// Whether a fault leaves the instance unusable (it must be re-created). A
/// refused result counts too: the label sets it defined are not taken, so
/// the plugin's ids and the host's no longer agree.
fn poisons(e: &PluginError) -> bool {
    matches!(
        e,
        PluginError::Trap(_)
            | PluginError::Timeout(_)
            | PluginError::OutOfFuel
            | PluginError::MemoryLimit(_)
            | PluginError::OutputTooLarge { .. }
            | PluginError::InvalidOutput(_)
    )
}

/// A wasmtime error of a call into `store`, as a [`PluginError`].
fn classify(host: &HostInner, store: &mut Store<StoreState>, err: &wasmtime::Error) -> PluginError {
    if store.data().memory.hit {
        return PluginError::MemoryLimit(host.config.memory_limit_bytes);
    }
    match err.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => PluginError::Timeout(host.config.call_timeout),
        Some(Trap::OutOfFuel) => PluginError::OutOfFuel,
        _ => {
            let mut message = sanitize(&format!("{err:#}"));
            let output = String::from_utf8_lossy(&store.data().wasi.output).into_owned();
            // A Rust panic: `thread '<unnamed>' (1) panicked at src/lib.rs:3:5:\nboom\nnote: …`.
            let lines: Vec<&str> = output
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with("note: run with `RUST_BACKTRACE"))
                .collect();
            if !lines.is_empty() {
                message.push_str("; plugin stderr: ");
                message.push_str(&sanitize(&lines.join(" ")));
            }
            PluginError::Trap(message)
        }
    }
}

/// Sets the per-call budget of `store`.
fn arm(host: &HostInner, store: &mut Store<StoreState>) {
    store.set_epoch_deadline(host.deadline_ticks);
    if let Some(fuel) = host.config.fuel {
        // Fails only when fuel is not enabled, which `Some(fuel)` rules out.
        let _ = store.set_fuel(fuel);
    }
    let data = store.data_mut();
    data.memory.hit = false;
    data.wasi.output.clear();
}

fn stats(host: &HostInner, store: &Store<StoreState>, started: Instant) -> CallStats {
    CallStats {
        duration: started.elapsed(),
        fuel_used: host
            .config
            .fuel
            .map(|f| f.saturating_sub(store.get_fuel().unwrap_or(f))),
        memory_bytes: store.data().memory.total,
    }
}

fn new_store(host: &HostInner, log: LogLimiter) -> Store<StoreState> {
    let mut store = Store::new(
        &host.engine,
        StoreState::new(host.config.memory_limit_bytes, log),
    );
    store.limiter(|s| &mut s.memory);
    // Bytes the host may lift out of the guest in one call (results, log
    // lines): no more than the guest may hold, and at least wasmtime's
    // default, so that an oversized output is lifted, counted and refused
    // as `OutputTooLarge` rather than cut off midway.
    store.set_hostcall_fuel(host.config.memory_limit_bytes.max(DEFAULT_HOSTCALL_FUEL));
    store.epoch_deadline_trap();
    arm(host, &mut store);
    store
}

impl PluginInner {
    pub(crate) fn load(
        host: Arc<HostInner>,
        path: &std::path::Path,
    ) -> Result<PluginInner, PluginError> {
        let shown = path.display().to_string();
        let load_error = |message: String| PluginError::Load {
            path: shown.clone(),
            message,
        };
        let bytes =
            std::fs::read(path).map_err(|e| load_error(format!("cannot read the file: {e}")))?;
        let sha256 = sha256_hex(&bytes);
        let component = host.compile(&sha256, &bytes).map_err(load_error)?;
        check_version(&host, &component, &shown)?;
        let mut linker = host.linker.clone();
        crate::wasi::link(&mut linker, &component, &host.engine)
            .map_err(|e| load_error(format!("cannot link the plugin's imports: {e}")))?;
        let pre = linker.instantiate_pre(&component).map_err(|e| {
            load_error(format!(
                "cannot link the plugin's imports (plugins get no WASI): {e:#}"
            ))
        })?;
        let pre = KpiPre::new(pre)
            .map_err(|e| load_error(format!("the plugin's exports do not match: {e:#}")))?;

        // describe(), once, in a store of its own.
        let mut store = new_store(&host, LogLimiter::new(&shown));
        let described = pre
            .instantiate(&mut store)
            .and_then(|kpi| kpi.understudy_kpi_plugin().call_describe(&mut store));
        let info = match described {
            Ok(info) => convert::info(info),
            Err(e) => {
                let e = classify(&host, &mut store, &e);
                return Err(load_error(format!("describe() failed: {e}")));
            }
        };
        validate::declared_outputs(&info.outputs)
            .map_err(|m| load_error(format!("describe() is wrong: {m}")))?;
        let metrics = info
            .outputs
            .iter()
            .map(|o| Arc::from(o.name.as_str()))
            .collect();
        Ok(PluginInner {
            host,
            pre,
            info,
            metrics,
            sha256,
            path: shown,
        })
    }

    /// A new instance with an open evaluator. The log rate limit moves into
    /// the new store; it is given back in `log` when opening fails.
    fn open(
        &self,
        config: &[(String, String)],
        mode: Mode,
        log: &mut Option<LogLimiter>,
    ) -> Result<Live, PluginError> {
        let limiter = log
            .take()
            .unwrap_or_else(|| LogLimiter::new(&self.info.name));
        let mut store = new_store(&self.host, limiter);
        let config: Vec<(&str, &str)> = config
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let opened = self.pre.instantiate(&mut store).and_then(|kpi| {
            let r = kpi.understudy_kpi_plugin().evaluator().call_open(
                &mut store,
                &config,
                convert::mode(mode),
            )?;
            Ok((kpi, r))
        });
        match opened {
            Ok((kpi, Ok(evaluator))) => Ok(Live {
                store,
                kpi,
                evaluator,
                input_ids: InputIds::default(),
                output_ids: OutputIds::default(),
                scratch: Vec::new(),
            }),
            Ok((_, Err(e))) => {
                *log = Some(store.into_data().log);
                Err(convert::kpi_error(e))
            }
            Err(e) => {
                let e = classify(&self.host, &mut store, &e);
                *log = Some(store.into_data().log);
                Err(e)
            }
        }
    }
}

fn check_version(host: &HostInner, component: &Component, path: &str) -> Result<(), PluginError> {
    let ty = component.component_type();
    match version::check(ty.exports(&host.engine).map(|(name, _)| name)) {
        version::Check::Compatible(_) => Ok(()),
        version::Check::Incompatible(found) => Err(PluginError::Version {
            path: path.to_string(),
            found,
            supported: crate::INTERFACE.to_string(),
        }),
        version::Check::Missing(exports) => Err(PluginError::Load {
            path: path.to_string(),
            message: format!(
                "not a KPI plugin: it does not export {}@{} (its exports: {})",
                version::PLUGIN_EXPORT,
                version::supported(),
                if exports.is_empty() {
                    "none".to_string()
                } else {
                    exports.join(", ")
                }
            ),
        }),
    }
}

/// A running instance, its open evaluator and the label-set ids it knows.
struct Live {
    store: Store<StoreState>,
    kpi: Kpi,
    evaluator: ResourceAny,
    input_ids: InputIds,
    output_ids: OutputIds,
    /// Label-set id buffers reused by every push.
    scratch: Vec<Vec<u32>>,
}

/// State of one [`crate::Evaluator`].
pub(crate) struct EvaluatorInner {
    plugin: Arc<PluginInner>,
    config: Vec<(String, String)>,
    mode: Mode,
    live: Option<Live>,
    /// The log rate limit while no instance holds it.
    log: Option<LogLimiter>,
    pub(crate) faults: Vec<(String, u64)>,
    consecutive: u32,
    pub(crate) last: CallStats,
    /// The union of the windows pushed so far (what `finish` may cover).
    pushed: Option<(i64, i64)>,
}

impl std::fmt::Debug for EvaluatorInner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Evaluator")
            .field("plugin", &self.plugin.path)
            .field("mode", &self.mode)
            .field("live", &self.live.is_some())
            .field("faults", &self.faults)
            .field("consecutive_faults", &self.consecutive)
            .field("last_call", &self.last)
            .finish_non_exhaustive()
    }
}

enum Call<'a> {
    Push(&'a Batch),
    Finish,
}

impl EvaluatorInner {
    pub(crate) fn open(
        plugin: Arc<PluginInner>,
        config: &[(String, String)],
        mode: Mode,
    ) -> Result<EvaluatorInner, PluginError> {
        let started = Instant::now();
        let live = plugin.open(config, mode, &mut None)?;
        let last = stats(&plugin.host, &live.store, started);
        Ok(EvaluatorInner {
            plugin,
            config: config.to_vec(),
            mode,
            live: Some(live),
            log: None,
            faults: Vec::new(),
            consecutive: 0,
            last,
            pushed: None,
        })
    }

    fn count(&mut self, e: &PluginError) {
        let reason = e.reason();
        match self.faults.iter_mut().find(|(r, _)| r == reason) {
            Some((_, n)) => *n += 1,
            None => self.faults.push((reason.to_string(), 1)),
        }
    }

    /// Records a fault that stops the plugin from running as it should.
    fn fault(&mut self, e: PluginError) -> PluginError {
        self.count(&e);
        self.consecutive = self.consecutive.saturating_add(1);
        if poisons(&e)
            && let Some(live) = self.live.take()
        {
            // The instance is poisoned after a trap: drop the whole store.
            self.log = Some(live.store.into_data().log);
        }
        e
    }

    fn quarantined(&self) -> bool {
        let after = self.plugin.host.config.quarantine_after;
        after > 0 && self.consecutive >= after
    }

    pub(crate) fn push(&mut self, batch: &Batch) -> Result<Outputs, PluginError> {
        self.call(Call::Push(batch))
    }

    pub(crate) fn finish(&mut self) -> Result<Outputs, PluginError> {
        self.call(Call::Finish)
    }

    fn call(&mut self, call: Call<'_>) -> Result<Outputs, PluginError> {
        if self.quarantined() {
            let e = PluginError::Quarantined(self.consecutive);
            self.count(&e);
            return Err(e);
        }
        let started = Instant::now();
        let mut live = match self.live.take() {
            Some(live) => live,
            None => {
                // Re-create the instance lost to an earlier fault; the
                // plugin's state starts over.
                match self.plugin.open(&self.config, self.mode, &mut self.log) {
                    Ok(live) => live,
                    Err(e) => {
                        self.last = CallStats {
                            duration: started.elapsed(),
                            ..CallStats::default()
                        };
                        // Whatever the reason, the evaluator cannot run.
                        return Err(self.fault(e));
                    }
                }
            }
        };
        let host = Arc::clone(&self.plugin.host);
        arm(&host, &mut live.store);
        let (window_start, window_end) = match call {
            Call::Push(b) => (b.window_start, b.window_end),
            Call::Finish => self.pushed.unwrap_or((i64::MIN, i64::MAX)),
        };
        if let Call::Push(b) = call {
            self.pushed = Some(match self.pushed {
                Some((s, e)) => (s.min(b.window_start), e.max(b.window_end)),
                None => (b.window_start, b.window_end),
            });
        }
        let guest = live.kpi.understudy_kpi_plugin().evaluator();
        let result = match call {
            Call::Push(batch) => {
                let scratch = std::mem::take(&mut live.scratch);
                let lowered = match convert::Lowered::new(batch, &mut live.input_ids, scratch) {
                    Ok(lowered) => lowered,
                    Err(message) => {
                        // The caller's mistake, not the plugin's: nothing is
                        // counted, but ids may have been handed out, so the
                        // instance starts over.
                        self.log = Some(live.store.into_data().log);
                        return Err(PluginError::InvalidBatch(message));
                    }
                };
                let result =
                    lowered.with(|arg| guest.call_push(&mut live.store, live.evaluator, arg));
                live.scratch = lowered.into_scratch();
                result
            }
            Call::Finish => guest.call_finish(&mut live.store, live.evaluator),
        };
        self.last = stats(&host, &live.store, started);
        match result {
            Err(e) => {
                let e = classify(&host, &mut live.store, &e);
                self.live = Some(live);
                Err(self.fault(e))
            }
            Ok(Err(e)) => {
                // A typed error: the instance stays usable, and it does not
                // count towards quarantine.
                self.live = Some(live);
                let e = convert::kpi_error(e);
                self.count(&e);
                Err(e)
            }
            Ok(Ok(result)) => {
                let bounds = validate::Bounds {
                    window_start,
                    window_end,
                    max_samples: host.config.max_output_samples,
                };
                let checked =
                    validate::outputs(result, &mut live.output_ids, &self.plugin.metrics, bounds);
                self.live = Some(live);
                match checked {
                    Ok(outputs) => {
                        self.consecutive = 0;
                        Ok(outputs)
                    }
                    Err(e) => Err(self.fault(e)),
                }
            }
        }
    }
}

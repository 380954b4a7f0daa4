//! The engine, linker, compiled-component cache and epoch ticker shared by
//! every plugin of one [`crate::PluginHost`].

use std::collections::HashMap;
use std::fmt;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Config, Engine};

use crate::bindings::Kpi;
use crate::bindings::understudy::kpi::{host, types};
use crate::limits::{LogLevel, LogLimiter, MemoryLimiter};
use crate::{HostConfig, PluginError, wasi};

/// The longest epoch tick; shorter when the call budget is small.
const MAX_TICK: Duration = Duration::from_millis(10);

/// What one store holds besides the instance.
#[derive(Debug)]
pub(crate) struct StoreState {
    pub(crate) memory: MemoryLimiter,
    pub(crate) log: LogLimiter,
    /// State of the WASI stand-ins, e.g. captured stdout/stderr (a panic message).
    pub(crate) wasi: wasi::WasiState,
}

impl StoreState {
    pub(crate) fn new(memory_limit: usize, log: LogLimiter) -> StoreState {
        StoreState {
            memory: MemoryLimiter::new(memory_limit),
            log,
            wasi: wasi::WasiState::default(),
        }
    }
}

impl types::Host for StoreState {}

impl host::Host for StoreState {
    fn log(&mut self, level: host::Level, message: String) {
        let level = match level {
            host::Level::Debug => LogLevel::Debug,
            host::Level::Info => LogLevel::Info,
            host::Level::Warn => LogLevel::Warn,
            host::Level::Error => LogLevel::Error,
        };
        self.log.log(level, &message);
    }
}

/// Increments the engine's epoch every tick until dropped.
struct Ticker {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Ticker {
    fn start(engine: Engine, tick: Duration) -> Result<Ticker, PluginError> {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("understudy-plugin-epoch".into())
            .spawn(move || {
                // Ticks on a fixed schedule, so that waking up late does not
                // stretch every later tick (and with it every call budget).
                let mut next = Instant::now() + tick;
                loop {
                    let wait = next.saturating_duration_since(Instant::now());
                    match stopped.recv_timeout(wait) {
                        Err(RecvTimeoutError::Timeout) => {
                            engine.increment_epoch();
                            next += tick;
                            let now = Instant::now();
                            if next < now {
                                // Far behind (a suspended machine): catch up once.
                                next = now + tick;
                            }
                        }
                        Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
            })
            .map_err(|e| PluginError::Load {
                path: String::new(),
                message: format!("cannot start the epoch ticker: {e}"),
            })?;
        Ok(Ticker {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Shared by the host and every plugin and evaluator made from it, so that
/// the ticker runs as long as anything may still call a plugin.
pub(crate) struct HostInner {
    pub(crate) engine: Engine,
    pub(crate) linker: Linker<StoreState>,
    pub(crate) config: HostConfig,
    /// Epoch ticks of one call's budget.
    pub(crate) deadline_ticks: u64,
    /// Compiled components by the wasm's sha256 (hex).
    pub(crate) compiled: Mutex<HashMap<String, Component>>,
    _ticker: Ticker,
}

impl fmt::Debug for HostInner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PluginHost")
            .field("config", &self.config)
            .field("deadline_ticks", &self.deadline_ticks)
            .field("compiled", &self.compiled.lock().map_or(0, |c| c.len()))
            .finish_non_exhaustive()
    }
}

fn host_error(message: String) -> PluginError {
    PluginError::Load {
        path: String::new(),
        message,
    }
}

/// The epoch tick for a call budget: at most [`MAX_TICK`], and at least a
/// quarter of the budget's resolution.
pub(crate) fn tick_for(timeout: Duration) -> Duration {
    (timeout / 4).clamp(Duration::from_millis(1), MAX_TICK)
}

impl HostInner {
    pub(crate) fn new(config: HostConfig) -> Result<Arc<HostInner>, PluginError> {
        let mut wasm = Config::new();
        wasm.wasm_component_model(true)
            .concurrency_support(false)
            .epoch_interruption(true)
            // Plugins are stripped: a backtrace of `<wasm function 158>`
            // frames helps nobody, and traps are cheaper without.
            .wasm_backtrace_max_frames(None)
            .consume_fuel(config.fuel.is_some());
        if let Some(dir) = &config.cache_dir {
            // Wasmtime's own on-disk cache: keyed by the wasm bytes, the
            // engine's settings and wasmtime's version; loading from it needs
            // no `unsafe` on our side.
            let mut cache = wasmtime::CacheConfig::new();
            cache.with_directory(dir);
            let cache = wasmtime::Cache::new(cache).map_err(|e| {
                host_error(format!(
                    "cannot use the cache directory {}: {e}",
                    dir.display()
                ))
            })?;
            wasm.cache(Some(cache));
        }
        let engine = Engine::new(&wasm)
            .map_err(|e| host_error(format!("cannot create the wasm engine: {e}")))?;

        let mut linker = Linker::<StoreState>::new(&engine);
        Kpi::add_to_linker::<StoreState, HasSelf<StoreState>>(&mut linker, |s| s)
            .map_err(|e| host_error(format!("cannot link the host interface: {e}")))?;

        let tick = tick_for(config.call_timeout);
        // The deadline fires on the `deadline_ticks`-th tick after a call
        // starts, i.e. between `(deadline_ticks - 1) * tick` and
        // `deadline_ticks * tick` later: one tick short of the budget, so
        // that a looping plugin is stopped within it.
        let deadline_ticks = (config.call_timeout.as_nanos() / tick.as_nanos())
            .saturating_sub(1)
            .max(1);
        let deadline_ticks = u64::try_from(deadline_ticks).unwrap_or(u64::MAX);
        let ticker = Ticker::start(engine.clone(), tick)?;
        Ok(Arc::new(HostInner {
            engine,
            linker,
            config,
            deadline_ticks,
            compiled: Mutex::new(HashMap::new()),
            _ticker: ticker,
        }))
    }

    /// The compiled component of `bytes`, from the in-memory cache when its
    /// sha256 is known (and else from wasmtime's on-disk cache, if any).
    pub(crate) fn compile(&self, sha256: &str, bytes: &[u8]) -> Result<Component, String> {
        if let Some(c) = self
            .compiled
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(sha256)
        {
            return Ok(c.clone());
        }
        let component = Component::new(&self.engine, bytes)
            .map_err(|e| format!("not a valid component: {e}"))?;
        self.compiled
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(sha256.to_string(), component.clone());
        Ok(component)
    }
}

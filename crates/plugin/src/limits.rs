//! Per-store resource limits and the rate-limited `log` import.

use std::time::{Duration, Instant};

/// Table elements one instance may grow to (function tables of real plugins
/// hold a few thousand entries).
const MAX_TABLE_ELEMENTS: usize = 1_000_000;
/// Instances, tables and memories one store may create (a Rust component has
/// a handful of each).
const MAX_INSTANCES: usize = 100;
const MAX_TABLES: usize = 100;
const MAX_MEMORIES: usize = 100;

/// Caps linear memory (all memories of the store together) and records
/// whether the cap was hit, so that the resulting trap is reported as
/// [`crate::PluginError::MemoryLimit`] rather than a generic trap.
#[derive(Debug)]
pub(crate) struct MemoryLimiter {
    limit: usize,
    /// Bytes of linear memory the store currently holds.
    pub(crate) total: usize,
    /// Set when a growth was refused.
    pub(crate) hit: bool,
}

impl MemoryLimiter {
    pub(crate) fn new(limit: usize) -> MemoryLimiter {
        MemoryLimiter {
            limit,
            total: 0,
            hit: false,
        }
    }
}

impl wasmtime::ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let grow = desired.saturating_sub(current);
        let total = self.total.saturating_add(grow);
        if total > self.limit || maximum.is_some_and(|max| desired > max) {
            self.hit = true;
            // An error (not `Ok(false)`) traps right at the `memory.grow`.
            wasmtime::bail!(
                "memory limit of {} bytes reached (growing to {desired} bytes)",
                self.limit
            );
        }
        self.total = total;
        Ok(true)
    }

    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.hit = true;
        Err(error)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > MAX_TABLE_ELEMENTS || maximum.is_some_and(|max| desired > max) {
            wasmtime::bail!("table limit of {MAX_TABLE_ELEMENTS} elements reached");
        }
        Ok(true)
    }

    fn table_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        Err(error)
    }

    fn instances(&self) -> usize {
        MAX_INSTANCES
    }

    fn tables(&self) -> usize {
        MAX_TABLES
    }

    fn memories(&self) -> usize {
        MAX_MEMORIES
    }
}

/// Lines one evaluator may log per window.
pub(crate) const LOG_LINES_PER_WINDOW: u32 = 100;
/// The rate-limit window.
pub(crate) const LOG_WINDOW: Duration = Duration::from_secs(60);
/// Bytes of one line kept; the rest is cut.
pub(crate) const LOG_MAX_LINE_BYTES: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LogLevel {
    Debug,
    Info,
    Warn,
    Error,
}

/// Rate limit of the `log` import: [`LOG_LINES_PER_WINDOW`] lines per
/// [`LOG_WINDOW`], each cut to [`LOG_MAX_LINE_BYTES`]; excess lines are
/// dropped and counted (the count is reported once the window rolls over).
#[derive(Debug)]
pub(crate) struct LogLimiter {
    plugin: String,
    window_start: Instant,
    in_window: u32,
    dropped_in_window: u64,
    /// Lines dropped over the limiter's life.
    pub(crate) dropped_total: u64,
    /// Lines forwarded over the limiter's life.
    pub(crate) forwarded_total: u64,
}

impl LogLimiter {
    pub(crate) fn new(plugin: &str) -> LogLimiter {
        LogLimiter {
            plugin: plugin.to_string(),
            window_start: Instant::now(),
            in_window: 0,
            dropped_in_window: 0,
            dropped_total: 0,
            forwarded_total: 0,
        }
    }

    pub(crate) fn log(&mut self, level: LogLevel, message: &str) {
        let now = Instant::now();
        if now.duration_since(self.window_start) >= LOG_WINDOW {
            if self.dropped_in_window > 0 {
                tracing::warn!(
                    target: "understudy::plugin",
                    plugin = %self.plugin,
                    dropped = self.dropped_in_window,
                    "plugin log lines dropped by the rate limit ({LOG_LINES_PER_WINDOW} lines per {}s)",
                    LOG_WINDOW.as_secs()
                );
            }
            self.window_start = now;
            self.in_window = 0;
            self.dropped_in_window = 0;
        }
        if self.in_window >= LOG_LINES_PER_WINDOW {
            self.dropped_in_window += 1;
            self.dropped_total += 1;
            return;
        }
        self.in_window += 1;
        self.forwarded_total += 1;
        let line = sanitize(message);
        let plugin = self.plugin.as_str();
        match level {
            LogLevel::Debug => tracing::debug!(target: "understudy::plugin", plugin, "{line}"),
            LogLevel::Info => tracing::info!(target: "understudy::plugin", plugin, "{line}"),
            LogLevel::Warn => tracing::warn!(target: "understudy::plugin", plugin, "{line}"),
            LogLevel::Error => tracing::error!(target: "understudy::plugin", plugin, "{line}"),
        }
    }
}

/// Cuts a line to [`LOG_MAX_LINE_BYTES`] (on a char boundary, marking the
/// cut) and escapes control characters so a plugin cannot forge log lines.
pub(crate) fn sanitize(message: &str) -> String {
    let mut cut = message.len().min(LOG_MAX_LINE_BYTES);
    while !message.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut out = String::with_capacity(cut + 16);
    for c in message[..cut].chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    if cut < message.len() {
        out.push_str("… [cut]");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_cut_on_char_boundaries() {
        let long = "é".repeat(1000);
        let s = sanitize(&long);
        assert!(s.ends_with("… [cut]"));
        assert!(s.len() <= LOG_MAX_LINE_BYTES + "… [cut]".len());
        assert_eq!(sanitize("a\nb"), "a\\nb");
    }

    #[test]
    fn excess_lines_are_dropped_and_counted() {
        let mut l = LogLimiter::new("t");
        for _ in 0..250 {
            l.log(LogLevel::Debug, "x");
        }
        assert_eq!(l.forwarded_total, u64::from(LOG_LINES_PER_WINDOW));
        assert_eq!(l.dropped_total, 250 - u64::from(LOG_LINES_PER_WINDOW));
    }

    #[test]
    fn memory_limiter_refuses_past_the_cap() {
        use wasmtime::ResourceLimiter;
        let mut m = MemoryLimiter::new(1 << 20);
        assert!(m.memory_growing(0, 1 << 19, None).is_ok_and(|ok| ok));
        assert!(m.memory_growing(1 << 19, 1 << 20, None).is_ok_and(|ok| ok));
        assert!(m.memory_growing(1 << 20, (1 << 20) + 65536, None).is_err());
        assert!(m.hit);
        assert_eq!(m.total, 1 << 20);
    }
}

//! The kpi.wit records on the host's side: what a plugin says it needs and
//! makes ([`PluginInfo`]), and what one push hands it ([`Batch`]). Field
//! names follow kpi.wit, where each is specified.

use crate::SeriesColumns;

/// How an evaluator will be pushed; the plugin is told in `open`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Pushed every interval by a running recorder ([`crate::LivePlugins`]).
    Live,
    /// Pushed window by window over a recording ([`crate::push_recording`]).
    Offline,
}

/// How an output metric is exposed on `/metrics` and read by PromQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// A value that goes up and down.
    Gauge,
    /// A count that only grows (PromQL's `rate()` applies).
    Counter,
}

/// A PromQL expression the host evaluates for the plugin, as a range query
/// over each window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputSpec {
    /// The name the plugin finds the result under in [`Batch::inputs`].
    pub name: String,
    /// The PromQL expression. Over a recording one that does not evaluate
    /// stops the run; live it is logged and the input arrives empty.
    pub query: String,
    /// The range query's resolution, in ms (0 counts as 1).
    pub step_ms: u32,
}

/// One metric a plugin produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputSpec {
    /// The metric name: a legal Prometheus name, unique in the plugin
    /// (checked at load).
    pub name: String,
    /// The one-line `# HELP` text.
    pub help: String,
    /// Gauge or counter.
    pub kind: MetricKind,
}

/// A config parameter a plugin accepts in [`crate::Plugin::open`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigParam {
    /// The key, as given in `config`.
    pub name: String,
    /// What it sets, one line for people.
    pub description: String,
    /// The value used when the key is not given, as text.
    pub default_value: String,
}

/// What `describe()` answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginInfo {
    /// The plugin's name, as messages and reports show it.
    pub name: String,
    /// The plugin's own version (not the interface's).
    pub version: String,
    /// One line on what it computes.
    pub description: String,
    /// The queries it wants evaluated for every push.
    pub inputs: Vec<InputSpec>,
    /// The metrics it returns; outputs refer to them by position.
    pub outputs: Vec<OutputSpec>,
    /// The config parameters it accepts.
    pub config: Vec<ConfigParam>,
}

/// The result of one input expression over the batch's window.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    /// The [`InputSpec::name`] it answers.
    pub name: String,
    /// The range query's series; empty when the query matched nothing.
    pub series: SeriesColumns,
}

/// One push: every input evaluated over `[window_start, window_end]` (ms).
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// The window's first millisecond since the epoch, inclusive.
    pub window_start: i64,
    /// The window's last millisecond since the epoch, inclusive; outputs
    /// must lie inside the window.
    pub window_end: i64,
    /// One per [`PluginInfo::inputs`], in that order.
    pub inputs: Vec<Input>,
}

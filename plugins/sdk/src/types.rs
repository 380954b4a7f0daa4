//! Plain Rust mirrors of the WIT types (`understudy:kpi/types`).

use std::borrow::Cow;
use std::fmt;

use crate::labels::LabelSet;

/// How the host drives the evaluator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Pushed every tick of a running recorder.
    Live,
    /// Pushed window by window over a recording.
    Offline,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    Gauge,
    Counter,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Debug,
    Info,
    Warn,
    Error,
}

/// A PromQL expression the host evaluates as a range query over each window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputSpec {
    pub name: String,
    pub query: String,
    pub step_ms: u32,
}

impl InputSpec {
    pub fn new(name: &str, query: &str, step_ms: u32) -> InputSpec {
        InputSpec {
            name: name.into(),
            query: query.into(),
            step_ms,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputSpec {
    pub name: String,
    pub help: String,
    pub kind: MetricKind,
}

impl OutputSpec {
    pub fn gauge(name: &str, help: &str) -> OutputSpec {
        OutputSpec {
            name: name.into(),
            help: help.into(),
            kind: MetricKind::Gauge,
        }
    }

    pub fn counter(name: &str, help: &str) -> OutputSpec {
        OutputSpec {
            name: name.into(),
            help: help.into(),
            kind: MetricKind::Counter,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigParam {
    pub name: String,
    pub description: String,
    pub default_value: String,
}

impl ConfigParam {
    pub fn new(name: &str, description: &str, default_value: &str) -> ConfigParam {
        ConfigParam {
            name: name.into(),
            description: description.into(),
            default_value: default_value.into(),
        }
    }
}

/// What `describe()` answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginInfo {
    pub name: String,
    pub version: String,
    pub description: String,
    pub inputs: Vec<InputSpec>,
    pub outputs: Vec<OutputSpec>,
    pub config: Vec<ConfigParam>,
}

/// The typed error a plugin returns (`kpi-error`); the instance stays usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KpiError {
    /// A config value is wrong; say which and why.
    InvalidConfig(String),
    /// The inputs cannot be used (missing, wrong shape).
    InvalidInput(String),
    /// Anything else.
    Failed(String),
}

impl fmt::Display for KpiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KpiError::InvalidConfig(m) => write!(f, "invalid config: {m}"),
            KpiError::InvalidInput(m) => write!(f, "invalid input: {m}"),
            KpiError::Failed(m) => write!(f, "failed: {m}"),
        }
    }
}

impl std::error::Error for KpiError {}

/// A series the plugin outputs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OutputSeries {
    /// One of `describe().outputs`; usually a constant (`METRIC.into()`).
    pub metric: Cow<'static, str>,
    pub labels: LabelSet,
    pub timestamps: Vec<i64>,
    pub values: Vec<f64>,
}

impl OutputSeries {
    /// An empty series; add points with [`OutputSeries::push`].
    pub fn new(metric: impl Into<Cow<'static, str>>, labels: LabelSet) -> OutputSeries {
        OutputSeries {
            metric: metric.into(),
            labels,
            timestamps: vec![],
            values: vec![],
        }
    }

    /// A series of one point.
    pub fn point(
        metric: impl Into<Cow<'static, str>>,
        labels: LabelSet,
        timestamp: i64,
        value: f64,
    ) -> OutputSeries {
        OutputSeries {
            metric: metric.into(),
            labels,
            timestamps: vec![timestamp],
            values: vec![value],
        }
    }

    pub fn push(&mut self, timestamp: i64, value: f64) {
        self.timestamps.push(timestamp);
        self.values.push(value);
    }

    /// The value of label `name`, if present.
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels.get(name)
    }

    pub fn points(&self) -> impl Iterator<Item = (i64, f64)> + '_ {
        self.timestamps
            .iter()
            .copied()
            .zip(self.values.iter().copied())
    }

    pub fn len(&self) -> usize {
        self.timestamps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.timestamps.is_empty()
    }
}

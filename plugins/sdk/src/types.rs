//! Plain Rust mirrors of the WIT types (`understudy:kpi/types`).

use std::fmt;

/// Labels of a series as `(name, value)` pairs.
pub type Labels = Vec<(String, String)>;

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

/// One series of an input, as columns.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    pub labels: Labels,
    pub timestamps: Vec<i64>,
    pub values: Vec<f64>,
}

impl Series {
    /// Builds a series from borrowed pieces (handy in tests).
    pub fn new(labels: &[(&str, &str)], points: &[(i64, f64)]) -> Series {
        Series {
            labels: labels
                .iter()
                .map(|(n, v)| ((*n).into(), (*v).into()))
                .collect(),
            timestamps: points.iter().map(|p| p.0).collect(),
            values: points.iter().map(|p| p.1).collect(),
        }
    }

    /// The value of label `name`, if present.
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The labels `names`, sorted by name, or `None` when one is missing or
    /// empty (Prometheus treats an empty label as absent): such a series
    /// cannot be attributed and is skipped by callers.
    pub fn label_set(&self, names: &[&str]) -> Option<Labels> {
        let mut out = Labels::with_capacity(names.len());
        for name in names {
            let value = self.label(name).filter(|v| !v.is_empty())?;
            out.push(((*name).to_owned(), value.to_owned()));
        }
        out.sort();
        Some(out)
    }

    /// `(timestamp, value)` pairs. Stops at the shorter column, so a
    /// malformed series cannot index out of bounds.
    pub fn points(&self) -> impl Iterator<Item = (i64, f64)> + '_ {
        self.timestamps
            .iter()
            .copied()
            .zip(self.values.iter().copied())
    }

    /// Checks the WIT's promises: columns of one length, timestamps ascending
    /// (equal neighbours tolerated).
    pub fn check(&self) -> Result<(), String> {
        if self.timestamps.len() != self.values.len() {
            return Err(format!(
                "series {:?} has {} timestamps but {} values",
                self.labels,
                self.timestamps.len(),
                self.values.len()
            ));
        }
        if self.timestamps.windows(2).any(|w| w[1] < w[0]) {
            return Err(format!(
                "series {:?} has timestamps out of order",
                self.labels
            ));
        }
        Ok(())
    }
}

/// The result of one input expression over the batch's window.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Input {
    pub name: String,
    pub series: Vec<Series>,
}

/// One push: every input evaluated over `[window_start, window_end]` (ms).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Batch {
    pub window_start: i64,
    pub window_end: i64,
    pub inputs: Vec<Input>,
}

impl Batch {
    /// An empty batch over a window (add inputs with [`Batch::with_input`]).
    pub fn new(window_start: i64, window_end: i64) -> Batch {
        Batch {
            window_start,
            window_end,
            inputs: vec![],
        }
    }

    pub fn with_input(mut self, name: &str, series: Vec<Series>) -> Batch {
        self.inputs.push(Input {
            name: name.into(),
            series,
        });
        self
    }

    /// The input named `name`, if the host sent it.
    pub fn input(&self, name: &str) -> Option<&Input> {
        self.inputs.iter().find(|i| i.name == name)
    }

    /// The series of input `name`; an input the host did not send is an
    /// `invalid-input` error (every input of `describe()` must be present).
    pub fn series(&self, name: &str) -> Result<&[Series], KpiError> {
        self.input(name)
            .map(|i| i.series.as_slice())
            .ok_or_else(|| {
                KpiError::InvalidInput(format!("input {name:?} is missing from the batch"))
            })
    }

    /// Whether `timestamp` lies inside the window (both ends included).
    pub fn contains(&self, timestamp: i64) -> bool {
        self.window_start <= timestamp && timestamp <= self.window_end
    }

    /// Checks the window and every series; the export glue runs this before
    /// [`crate::Kpi::push`] so plugins see only well-formed batches.
    pub fn check(&self) -> Result<(), KpiError> {
        if self.window_end < self.window_start {
            return Err(KpiError::InvalidInput(format!(
                "window ends ({}) before it starts ({})",
                self.window_end, self.window_start
            )));
        }
        for input in &self.inputs {
            for series in &input.series {
                series
                    .check()
                    .map_err(|m| KpiError::InvalidInput(format!("input {:?}: {m}", input.name)))?;
            }
        }
        Ok(())
    }
}

/// A series the plugin outputs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OutputSeries {
    pub metric: String,
    pub labels: Labels,
    pub timestamps: Vec<i64>,
    pub values: Vec<f64>,
}

impl OutputSeries {
    /// An empty series; add points with [`OutputSeries::push`].
    pub fn new(metric: &str, labels: Labels) -> OutputSeries {
        OutputSeries {
            metric: metric.into(),
            labels,
            timestamps: vec![],
            values: vec![],
        }
    }

    /// A series of one point.
    pub fn point(metric: &str, labels: Labels, timestamp: i64, value: f64) -> OutputSeries {
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
        self.labels
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_set_is_sorted_and_refuses_missing_or_empty_labels() {
        let s = Series::new(
            &[
                ("pod", "a"),
                ("job", "j"),
                ("namespace", "ns"),
                ("container", ""),
            ],
            &[],
        );
        assert_eq!(s.label("job"), Some("j"));
        assert_eq!(s.label("nope"), None);
        assert_eq!(
            s.label_set(&["pod", "namespace"]),
            Some(vec![
                ("namespace".into(), "ns".into()),
                ("pod".into(), "a".into())
            ])
        );
        assert_eq!(s.label_set(&["pod", "node"]), None);
        assert_eq!(s.label_set(&["container"]), None);
    }

    #[test]
    fn batch_check_refuses_what_the_wit_rules_out() {
        let ok = Batch::new(0, 10)
            .with_input("x", vec![Series::new(&[], &[(1, 1.0), (1, 2.0), (3, 3.0)])]);
        assert_eq!(ok.check(), Ok(()));
        let backwards = Batch::new(10, 0);
        assert!(matches!(backwards.check(), Err(KpiError::InvalidInput(_))));
        let lopsided = Batch::new(0, 10).with_input(
            "x",
            vec![Series {
                labels: vec![],
                timestamps: vec![1, 2],
                values: vec![1.0],
            }],
        );
        assert!(matches!(lopsided.check(), Err(KpiError::InvalidInput(m)) if m.contains("\"x\"")));
        let unordered =
            Batch::new(0, 10).with_input("x", vec![Series::new(&[], &[(2, 1.0), (1, 1.0)])]);
        assert!(matches!(unordered.check(), Err(KpiError::InvalidInput(_))));
    }

    #[test]
    fn batch_lookups() {
        let b = Batch::new(5, 10).with_input("x", vec![Series::default()]);
        assert_eq!(b.series("x").map(<[Series]>::len), Ok(1));
        assert!(matches!(b.series("y"), Err(KpiError::InvalidInput(m)) if m.contains("\"y\"")));
        assert!(b.contains(5) && b.contains(10) && !b.contains(4) && !b.contains(11));
    }
}

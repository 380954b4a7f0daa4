//! A plugin over a recording: each input's query evaluated as a range query
//! over one window at a time, pushed, and the outputs gathered per series.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use understudy_core::{LabelError, Labels, SampleBatch, Series, TimeRange};
use understudy_promql::{Engine, Queryable, Value};

use crate::{Batch, Evaluator, Input, Outputs, Plugin, PluginError, SeriesColumns};

/// A plugin output's label pairs, as the plugin API returns them.
pub type LabelPairs = Vec<(String, String)>;

/// What a run over a recording produced and cost.
#[derive(Debug, Default)]
pub struct RunResult {
    /// Every output series by (metric, labels): its timestamps and values.
    pub outputs: BTreeMap<(String, LabelPairs), (Vec<i64>, Vec<f64>)>,
    /// Calls made: every push and the finish.
    pub pushes: usize,
    /// Wall-clock time of each call, in order.
    pub push_times: Vec<Duration>,
    /// The most linear memory the instance held after a call, in bytes.
    pub max_memory: usize,
    /// Fuel of every call together, when the host meters it.
    pub fuel: Option<u64>,
}

/// Why a run over a recording stopped.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// `window_ms` was 0 or negative.
    #[error("the window pushed at a time must be longer than 0 ms")]
    EmptyWindow,
    /// An input's query does not parse, or fails over a window.
    #[error("input {name} ({query}) does not evaluate")]
    Input {
        /// The input's name.
        name: String,
        /// Its PromQL.
        query: String,
        /// Why PromQL refused it.
        #[source]
        source: understudy_promql::QueryError,
    },
    /// The plugin failed on a window; what came before is lost.
    #[error("push of the window at {} failed", time(*start_ms))]
    Push {
        /// The window's start, ms since the epoch.
        start_ms: i64,
        /// The plugin's fault.
        #[source]
        source: PluginError,
    },
    /// The plugin failed in `finish`, after every window was pushed.
    #[error("finish failed")]
    Finish(#[source] PluginError),
}

/// `2026-11-27T23:50:00.000Z`; raw milliseconds before 1970.
fn time(ms: i64) -> String {
    match u64::try_from(ms) {
        Ok(ms) => {
            humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_millis(ms)).to_string()
        }
        Err(_) => format!("{ms} ms"),
    }
}

/// Pushes `span` of `storage` through `evaluator`, `window_ms` at a time,
/// then calls `finish`. Plugins keep their state across pushes, so the
/// outputs do not depend on the window; each push costs a query per input
/// over every series, so fewer, longer windows are faster.
pub fn push_recording(
    storage: &dyn Queryable,
    span: TimeRange,
    plugin: &Plugin,
    evaluator: &mut Evaluator,
    window_ms: i64,
) -> Result<RunResult, RunError> {
    if window_ms <= 0 {
        return Err(RunError::EmptyWindow);
    }
    let engine = Engine::default();
    let mut result = RunResult::default();
    let mut start = span.start;
    while start <= span.end {
        let end = start.saturating_add(window_ms - 1).min(span.end);
        let mut inputs = Vec::new();
        for spec in &plugin.info().inputs {
            let step = i64::from(spec.step_ms.max(1));
            let value = engine
                .range(storage, &spec.query, start, end, step)
                .map_err(|source| RunError::Input {
                    name: spec.name.clone(),
                    query: spec.query.clone(),
                    source,
                })?;
            inputs.push(Input {
                name: spec.name.clone(),
                series: matrix(value),
            });
        }
        let batch = Batch {
            window_start: start,
            window_end: end,
            inputs,
        };
        let outputs = evaluator.push(&batch).map_err(|source| RunError::Push {
            start_ms: start,
            source,
        })?;
        result.collect(evaluator, outputs);
        let Some(next) = start.checked_add(window_ms) else {
            break;
        };
        start = next;
    }
    let outputs = evaluator.finish().map_err(RunError::Finish)?;
    result.collect(evaluator, outputs);
    Ok(result)
}

/// A range query's result as plugin input columns (anything but a matrix
/// has no series).
pub(crate) fn matrix(v: Value) -> SeriesColumns {
    let mut columns = SeriesColumns::default();
    if let Value::Matrix(series) = v {
        for s in series {
            columns.push(s.labels.0, &s.timestamps, &s.values);
        }
    }
    columns
}

impl RunResult {
    fn collect(&mut self, evaluator: &Evaluator, outputs: Outputs) {
        let stats = evaluator.last_call();
        self.pushes += 1;
        self.push_times.push(stats.duration);
        self.max_memory = self.max_memory.max(stats.memory_bytes);
        if let Some(f) = stats.fuel_used {
            *self.fuel.get_or_insert(0) += f;
        }
        for o in outputs.iter() {
            let key = (o.metric.to_string(), (**o.labels).clone());
            let e = self.outputs.entry(key).or_default();
            e.0.extend_from_slice(o.timestamps);
            e.1.extend_from_slice(o.values);
        }
    }

    /// The outputs as samples to record (`kpi run --write`).
    pub fn samples(&self) -> Result<SampleBatch, LabelError> {
        let mut batch = SampleBatch::default();
        for ((metric, labels), (ts, vs)) in &self.outputs {
            let labels = Labels::from_pairs(labels.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
            let series = Arc::new(Series::new(metric.as_str(), labels)?);
            for (&t, &v) in ts.iter().zip(vs) {
                batch.push(&series, t, v);
            }
        }
        Ok(batch)
    }
}

#[cfg(test)]
mod tests {
    use understudy_promql::Labels as PromLabels;

    use super::*;

    #[test]
    fn only_a_matrix_has_series() {
        let series = understudy_promql::Series {
            labels: PromLabels::new([("__name__".to_owned(), "up".to_owned())]),
            timestamps: vec![1, 2],
            values: vec![1.0, 0.0],
        };
        assert_eq!(matrix(Value::Matrix(vec![series])).len(), 1);
        assert_eq!(matrix(Value::Scalar { t: 1, v: 1.0 }).len(), 0);
    }

    #[test]
    fn times_read_as_rfc3339() {
        assert_eq!(time(1_000), "1970-01-01T00:00:01.000Z");
        assert_eq!(time(-5), "-5 ms");
    }
}

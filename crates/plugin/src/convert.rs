//! Conversions between the public types and the generated bindings.

use crate::bindings::understudy::kpi::types as wit;
use crate::limits::sanitize;
use crate::tables::InputIds;
use crate::{Batch, ConfigParam, InputSpec, MetricKind, Mode, OutputSpec, PluginError, PluginInfo};

pub(crate) fn mode(mode: Mode) -> wit::Mode {
    match mode {
        Mode::Live => wit::Mode::Live,
        Mode::Offline => wit::Mode::Offline,
    }
}

pub(crate) fn info(info: wit::PluginInfo) -> PluginInfo {
    PluginInfo {
        name: info.name,
        version: info.version,
        description: info.description,
        inputs: info
            .inputs
            .into_iter()
            .map(|i| InputSpec {
                name: i.name,
                query: i.query,
                step_ms: i.step_ms,
            })
            .collect(),
        outputs: info
            .outputs
            .into_iter()
            .map(|o| OutputSpec {
                name: o.name,
                help: o.help,
                kind: match o.kind {
                    wit::MetricKind::Gauge => MetricKind::Gauge,
                    wit::MetricKind::Counter => MetricKind::Counter,
                },
            })
            .collect(),
        config: info
            .config
            .into_iter()
            .map(|c| ConfigParam {
                name: c.name,
                description: c.description,
                default_value: c.default_value,
            })
            .collect(),
    }
}

/// A typed error of the plugin, as [`PluginError::Plugin`].
pub(crate) fn kpi_error(e: wit::KpiError) -> PluginError {
    PluginError::Plugin(match e {
        wit::KpiError::InvalidConfig(m) => format!("invalid config: {}", sanitize(&m)),
        wit::KpiError::InvalidInput(m) => format!("invalid input: {}", sanitize(&m)),
        wit::KpiError::Failed(m) => sanitize(&m),
    })
}

/// A push's batch as the WIT's columns: every series' label set as an id
/// (sets new to the instance listed once), points of each input flat.
/// Strings are borrowed from the caller's batch, never cloned.
pub(crate) struct Lowered<'a> {
    new_sets: Vec<Vec<wit::LabelParam<'a>>>,
    retired: Vec<u32>,
    names: Vec<&'a str>,
    columns: Vec<Columns>,
}

/// The columns of one input. Kept by the instance between pushes: an hour
/// of a thousand series is megabytes, and allocating them anew every push
/// cost more in page faults than the copy itself.
#[derive(Debug, Default)]
pub(crate) struct Columns {
    ids: Vec<u32>,
    lengths: Vec<u32>,
    timestamps: Vec<i64>,
    values: Vec<f64>,
}

impl<'a> Lowered<'a> {
    /// Lowers `batch` into `scratch`'s buffers (given back by
    /// [`Lowered::into_scratch`]).
    pub(crate) fn new(
        batch: &'a Batch,
        ids: &mut InputIds,
        mut scratch: Vec<Columns>,
    ) -> Result<Lowered<'a>, String> {
        // Checked before any id is handed out.
        for input in &batch.inputs {
            for (i, s) in input.series.iter().enumerate() {
                if s.timestamps.len() != s.values.len() {
                    return Err(format!(
                        "input {:?}, series {i}: {} timestamps but {} values",
                        input.name,
                        s.timestamps.len(),
                        s.values.len()
                    ));
                }
                if u32::try_from(s.timestamps.len()).is_err() {
                    return Err(format!(
                        "input {:?}, series {i}: more than 2^32 points",
                        input.name
                    ));
                }
            }
        }
        ids.begin_push();
        let mut new_sets = Vec::new();
        scratch.resize_with(batch.inputs.len(), Columns::default);
        for (input, c) in batch.inputs.iter().zip(&mut scratch) {
            c.ids.clear();
            c.lengths.clear();
            c.timestamps.clear();
            c.values.clear();
            for s in &input.series {
                let length = u32::try_from(s.timestamps.len()).unwrap_or(u32::MAX);
                let (id, new) = ids
                    .id(&s.labels)
                    .ok_or("more than 2^32 label sets sent to one instance")?;
                if new {
                    new_sets.push(
                        s.labels
                            .iter()
                            .map(|(name, value)| wit::LabelParam { name, value })
                            .collect(),
                    );
                }
                c.ids.push(id);
                c.lengths.push(length);
                c.timestamps.extend_from_slice(&s.timestamps);
                c.values.extend_from_slice(&s.values);
            }
        }
        Ok(Lowered {
            new_sets,
            retired: ids.retire(),
            names: batch.inputs.iter().map(|i| i.name.as_str()).collect(),
            columns: scratch,
        })
    }

    /// The column buffers, for the next push.
    pub(crate) fn into_scratch(self) -> Vec<Columns> {
        self.columns
    }

    /// Calls `f` with the batch as the bindings take it.
    pub(crate) fn with<T>(&self, batch: &Batch, f: impl FnOnce(wit::Batch<'_>) -> T) -> T {
        let new_sets: Vec<&[wit::LabelParam<'_>]> =
            self.new_sets.iter().map(Vec::as_slice).collect();
        let inputs: Vec<wit::Input<'_>> = self
            .columns
            .iter()
            .zip(&self.names)
            .map(|(c, name)| wit::Input {
                name,
                label_sets: &c.ids,
                lengths: &c.lengths,
                timestamps: &c.timestamps,
                values: &c.values,
            })
            .collect();
        f(wit::Batch {
            window_start: batch.window_start,
            window_end: batch.window_end,
            new_label_sets: &new_sets,
            retired_label_sets: &self.retired,
            inputs: &inputs,
        })
    }
}

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

/// A push's batch as the WIT takes it: the caller's columns as they are,
/// plus each series' label set as an id (sets new to the instance listed
/// once). Nothing is copied on the host but the ids.
pub(crate) struct Lowered<'a> {
    batch: &'a Batch,
    new_sets: Vec<Vec<wit::LabelParam<'a>>>,
    retired: Vec<u32>,
    ids: Vec<Vec<u32>>,
}

impl<'a> Lowered<'a> {
    /// Numbers `batch`'s label sets, into `scratch`'s buffers (kept by the
    /// instance between pushes, given back by [`Lowered::into_scratch`]).
    pub(crate) fn new(
        batch: &'a Batch,
        table: &mut InputIds,
        mut scratch: Vec<Vec<u32>>,
    ) -> Result<Lowered<'a>, String> {
        // Checked before any id is handed out.
        for input in &batch.inputs {
            input
                .series
                .check()
                .map_err(|m| format!("input {:?}: {m}", input.name))?;
        }
        table.begin_push();
        let mut new_sets = Vec::new();
        scratch.resize_with(batch.inputs.len(), Vec::new);
        for (input, ids) in batch.inputs.iter().zip(&mut scratch) {
            ids.clear();
            for labels in &input.series.labels {
                let (id, new) = table
                    .id(labels)
                    .ok_or("more than 2^32 label sets sent to one instance")?;
                if new {
                    new_sets.push(
                        labels
                            .iter()
                            .map(|(name, value)| wit::LabelParam { name, value })
                            .collect(),
                    );
                }
                ids.push(id);
            }
        }
        Ok(Lowered {
            batch,
            new_sets,
            retired: table.retire(),
            ids: scratch,
        })
    }

    /// The id buffers, for the next push.
    pub(crate) fn into_scratch(self) -> Vec<Vec<u32>> {
        self.ids
    }

    /// Calls `f` with the batch as the bindings take it.
    pub(crate) fn with<T>(&self, f: impl FnOnce(wit::Batch<'_>) -> T) -> T {
        let new_sets: Vec<&[wit::LabelParam<'_>]> =
            self.new_sets.iter().map(Vec::as_slice).collect();
        let inputs: Vec<wit::Input<'_>> = self
            .batch
            .inputs
            .iter()
            .zip(&self.ids)
            .map(|(input, ids)| wit::Input {
                name: &input.name,
                label_sets: ids,
                lengths: &input.series.lengths,
                timestamps: &input.series.timestamps,
                values: &input.series.values,
            })
            .collect();
        f(wit::Batch {
            window_start: self.batch.window_start,
            window_end: self.batch.window_end,
            new_label_sets: &new_sets,
            retired_label_sets: &self.retired,
            inputs: &inputs,
        })
    }
}

//! Conversions between the public types and the generated bindings.

use crate::bindings::understudy::kpi::types as wit;
use crate::limits::sanitize;
use crate::{
    Batch, ConfigParam, InputSpec, MetricKind, Mode, OutputSeries, OutputSpec, PluginError,
    PluginInfo,
};

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

pub(crate) fn outputs(outputs: Vec<wit::OutputSeries>) -> Vec<OutputSeries> {
    outputs
        .into_iter()
        .map(|s| OutputSeries {
            metric: s.metric,
            labels: s.labels.into_iter().map(|l| (l.name, l.value)).collect(),
            timestamps: s.timestamps,
            values: s.values,
        })
        .collect()
}

/// The borrowed pieces a [`wit::Batch`] points into: labels of every series
/// flat, then series of every input flat. Lowering copies straight from the
/// caller's vectors into the guest; nothing is cloned on the host.
pub(crate) struct BatchParts<'a> {
    labels: Vec<wit::LabelParam<'a>>,
}

impl<'a> BatchParts<'a> {
    pub(crate) fn new(batch: &'a Batch) -> BatchParts<'a> {
        let n = batch
            .inputs
            .iter()
            .flat_map(|i| &i.series)
            .map(|s| s.labels.len())
            .sum();
        let mut labels = Vec::with_capacity(n);
        for s in batch.inputs.iter().flat_map(|i| &i.series) {
            labels.extend(
                s.labels
                    .iter()
                    .map(|(name, value)| wit::LabelParam { name, value }),
            );
        }
        BatchParts { labels }
    }

    pub(crate) fn series(&'a self, batch: &'a Batch) -> Vec<wit::Series<'a>> {
        let mut at = 0;
        let mut out = Vec::with_capacity(batch.inputs.iter().map(|i| i.series.len()).sum());
        for s in batch.inputs.iter().flat_map(|i| &i.series) {
            let end = at + s.labels.len();
            out.push(wit::Series {
                labels: self.labels.get(at..end).unwrap_or_default(),
                timestamps: &s.timestamps,
                values: &s.values,
            });
            at = end;
        }
        out
    }
}

pub(crate) fn inputs<'a>(batch: &'a Batch, series: &'a [wit::Series<'a>]) -> Vec<wit::Input<'a>> {
    let mut at = 0;
    batch
        .inputs
        .iter()
        .map(|i| {
            let end = at + i.series.len();
            let input = wit::Input {
                name: &i.name,
                series: series.get(at..end).unwrap_or_default(),
            };
            at = end;
            input
        })
        .collect()
}

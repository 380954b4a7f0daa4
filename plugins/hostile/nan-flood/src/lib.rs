//! Hostile plugin for the host's sandbox tests: push returns NaN/Inf values and timestamps outside the window.

use understudy_kpi_sdk::{
    Batch, Config, Kpi, KpiError, Mode, OutputSeries, PluginInfo, export_kpi,
};

#[derive(Debug)]
pub struct Hostile;

impl Kpi for Hostile {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "nan-flood".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Hostile: push returns NaN/Inf values and timestamps outside the window."
                .into(),
            inputs: vec![],
            outputs: vec![],
            config: vec![],
        }
    }

    fn open(_config: &Config, _mode: Mode) -> Result<Self, KpiError> {
        Ok(Hostile)
    }

    fn push(&mut self, batch: &Batch) -> Result<Vec<OutputSeries>, KpiError> {
        let (start, end) = (batch.window_start, batch.window_end);
        let metric = "understudy_hostile_nan_flood";
        Ok(vec![
            OutputSeries {
                metric: metric.into(),
                labels: vec![("kind".into(), "non-finite".into())],
                timestamps: vec![start, start, end],
                values: vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY],
            },
            OutputSeries {
                metric: metric.into(),
                labels: vec![("kind".into(), "outside-window".into())],
                timestamps: vec![
                    i64::MIN,
                    start.saturating_sub(1),
                    end.saturating_add(1),
                    i64::MAX,
                ],
                values: vec![1.0; 4],
            },
        ])
    }
}

export_kpi!(Hostile);

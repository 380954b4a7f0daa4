//! Hostile plugin for the host's sandbox tests: push returns 10 million samples.

use understudy_kpi_sdk::{
    Batch, Config, Kpi, KpiError, Mode, OutputSeries, PluginInfo, export_kpi,
};

#[derive(Debug)]
pub struct Hostile;

impl Kpi for Hostile {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "huge-output".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Hostile: push returns 10 million samples.".into(),
            inputs: vec![],
            outputs: vec![],
            config: vec![],
        }
    }

    fn open(_config: &Config, _mode: Mode) -> Result<Self, KpiError> {
        Ok(Hostile)
    }

    fn push(&mut self, batch: &Batch) -> Result<Vec<OutputSeries>, KpiError> {
        // 1,000 series × 10,000 points, otherwise valid (inside the window,
        // ascending, finite), so only the size cap can reject it.
        const SERIES: usize = 1_000;
        const POINTS: i64 = 10_000;
        let span = i128::from(batch.window_end) - i128::from(batch.window_start);
        let timestamps: Vec<i64> = (0..POINTS)
            .map(|j| {
                (i128::from(batch.window_start) + span * i128::from(j) / i128::from(POINTS)) as i64
            })
            .collect();
        Ok((0..SERIES)
            .map(|i| OutputSeries {
                metric: "understudy_hostile_huge_output".into(),
                labels: vec![("series".into(), i.to_string())],
                timestamps: timestamps.clone(),
                values: vec![1.0; timestamps.len()],
            })
            .collect())
    }
}

export_kpi!(Hostile);

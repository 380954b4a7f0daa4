//! Hostile plugin for the host's sandbox tests: push panics (a trap, with panic = "abort").

use understudy_kpi_sdk::{
    Batch, Config, Kpi, KpiError, Mode, OutputSeries, PluginInfo, export_kpi,
};

#[derive(Debug)]
pub struct Hostile;

impl Kpi for Hostile {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "panic".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Hostile: push panics (a trap, with panic = \"abort\").".into(),
            inputs: vec![],
            outputs: vec![],
            config: vec![],
        }
    }

    fn open(_config: &Config, _mode: Mode) -> Result<Self, KpiError> {
        Ok(Hostile)
    }

    fn push(&mut self, batch: &Batch) -> Result<Vec<OutputSeries>, KpiError> {
        panic!(
            "hostile plugin panics on purpose in push (window {}..{})",
            batch.window_start, batch.window_end
        )
    }
}

export_kpi!(Hostile);

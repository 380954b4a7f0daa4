//! Hostile plugin: refuses every config, to exercise the host's handling of
//! a typed `open` error.

use understudy_kpi_sdk::{
    Batch, Config, Kpi, KpiError, Mode, OutputSeries, PluginInfo, export_kpi,
};

#[derive(Debug)]
pub struct BadConfig;

impl Kpi for BadConfig {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "bad-config".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Hostile: open always fails with invalid-config".into(),
            inputs: vec![],
            outputs: vec![],
            config: vec![],
        }
    }

    fn open(_config: &Config, _mode: Mode) -> Result<Self, KpiError> {
        Err(KpiError::InvalidConfig(
            "threshold = \"banana\": want a number (this plugin refuses every config)".into(),
        ))
    }

    fn push(&mut self, _batch: &Batch) -> Result<Vec<OutputSeries>, KpiError> {
        Ok(vec![])
    }
}

export_kpi!(BadConfig);

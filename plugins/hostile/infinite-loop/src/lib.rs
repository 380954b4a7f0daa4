//! Hostile plugin for the host's sandbox tests: push never returns.

use understudy_kpi_sdk::{
    Batch, Config, Kpi, KpiError, Mode, OutputSeries, PluginInfo, export_kpi,
};

#[derive(Debug)]
pub struct Hostile;

impl Kpi for Hostile {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "infinite-loop".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Hostile: push never returns.".into(),
            inputs: vec![],
            outputs: vec![],
            config: vec![],
        }
    }

    fn open(_config: &Config, _mode: Mode) -> Result<Self, KpiError> {
        Ok(Hostile)
    }

    fn push(&mut self, _batch: &Batch) -> Result<Vec<OutputSeries>, KpiError> {
        // black_box keeps the optimiser from proving the loop useless.
        let mut spins: u64 = 0;
        loop {
            spins = std::hint::black_box(spins.wrapping_add(1));
        }
    }
}

export_kpi!(Hostile);

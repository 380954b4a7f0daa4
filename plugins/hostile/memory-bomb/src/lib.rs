//! Hostile plugin for the host's sandbox tests: push allocates until allocation fails.

use understudy_kpi_sdk::{
    Batch, Config, Kpi, KpiError, Mode, OutputSeries, PluginInfo, export_kpi,
};

#[derive(Debug)]
pub struct Hostile;

impl Kpi for Hostile {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "memory-bomb".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Hostile: push allocates until allocation fails.".into(),
            inputs: vec![],
            outputs: vec![],
            config: vec![],
        }
    }

    fn open(_config: &Config, _mode: Mode) -> Result<Self, KpiError> {
        Ok(Hostile)
    }

    fn push(&mut self, _batch: &Batch) -> Result<Vec<OutputSeries>, KpiError> {
        // Every chunk stays reachable and is written, so the memory is really
        // used; the end is a failed memory.grow (abort, i.e. a trap) or the
        // host's limit.
        let mut hoard: Vec<Vec<u8>> = Vec::new();
        loop {
            hoard.push(std::hint::black_box(vec![0xA5; 1 << 20]));
        }
    }
}

export_kpi!(Hostile);

//! The shell every push-only hostile plugin shares, so each crate holds only
//! its misbehaviour. The crate using it depends on `understudy-kpi-sdk`.

/// Defines `Hostile`, a KPI named `$name` with no inputs or config whose
/// `push` is `$push`, and exports it as the component's plugin. Outputs
/// refer to their metric by its position in `describe()`, so a plugin that
/// returns series declares their metrics (gauges) with `outputs = [...]`.
#[macro_export]
macro_rules! hostile {
    ($name:literal, $description:literal, |$batch:ident| $push:block) => {
        $crate::hostile!($name, $description, outputs = [], |$batch| $push);
    };
    ($name:literal, $description:literal, outputs = [$($metric:expr),* $(,)?], |$batch:ident| $push:block) => {
        #[allow(unused_imports)]
        use ::understudy_kpi_sdk::{
            Batch, Config, Kpi, KpiError, LabelSet, Mode, OutputSeries, OutputSpec, PluginInfo,
            export_kpi,
        };

        #[derive(Debug)]
        pub struct Hostile;

        impl Kpi for Hostile {
            fn describe() -> PluginInfo {
                PluginInfo {
                    name: $name.into(),
                    version: env!("CARGO_PKG_VERSION").into(),
                    description: $description.into(),
                    inputs: vec![],
                    outputs: vec![$(OutputSpec::gauge($metric, "What the hostile plugin returns")),*],
                    config: vec![],
                }
            }

            fn open(_config: &Config, _mode: Mode) -> Result<Self, KpiError> {
                Ok(Hostile)
            }

            fn push(&mut self, $batch: &Batch) -> Result<Vec<OutputSeries>, KpiError> $push
        }

        export_kpi!(Hostile);
    };
}

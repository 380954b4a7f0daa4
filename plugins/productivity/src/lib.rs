//! `memegenerator_pod_productivity`: messages a pod generated per CPU-second
//! it used (the talk's KPI), at every step both rates exist.

use understudy_kpi_sdk::{
    Batch, Config, InputSpec, Kpi, KpiError, Mode, OutputSeries, OutputSet, OutputSpec, PluginInfo,
    export_kpi, join_series,
};

const METRIC: &str = "memegenerator_pod_productivity";
/// CPU below this (cores) counts as this much, so an idle-but-successful
/// scrape gives a large finite number, never a division by zero.
const MIN_CPU: f64 = 0.0001;

#[derive(Debug)]
pub struct Productivity;

impl Kpi for Productivity {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "productivity".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Successful memes per CPU-second, per pod".into(),
            inputs: vec![
                InputSpec::new(
                    "success",
                    "sum by (namespace, pod) (rate(meme_generator_success_total[1m]))",
                    15_000,
                ),
                InputSpec::new(
                    "cpu",
                    r#"sum by (namespace, pod) (rate(container_cpu_usage_seconds_total{container!=""}[1m]))"#,
                    15_000,
                ),
            ],
            outputs: vec![OutputSpec::gauge(
                METRIC,
                "Successful memes per CPU-second used, per pod",
            )],
            config: vec![],
        }
    }

    fn open(_config: &Config, _mode: Mode) -> Result<Self, KpiError> {
        Ok(Productivity)
    }

    fn push(&mut self, batch: &Batch) -> Result<Vec<OutputSeries>, KpiError> {
        let mut out = OutputSet::new(batch);
        // Series by series: a pod's points go to one output series without
        // a lookup per point.
        for pod in join_series(
            batch.series("success")?,
            batch.series("cpu")?,
            &["namespace", "pod"],
        ) {
            let mut series = out.series(METRIC, &pod.labels);
            for (t, success, cpu) in pod.common() {
                // A negative rate can only come from a broken input; skip it.
                if success >= 0.0 && cpu >= 0.0 {
                    // Not `max`: in wasm that is a call to `fmax`.
                    let cpu = if cpu > MIN_CPU { cpu } else { MIN_CPU };
                    series.add(t, success / cpu);
                }
            }
        }
        Ok(out.into_series())
    }
}

export_kpi!(Productivity);

#[cfg(test)]
mod tests {
    use super::*;
    use understudy_kpi_sdk::OwnedSeries;

    fn pod(name: &str, points: &[(i64, f64)]) -> OwnedSeries {
        OwnedSeries::new(&[("namespace", "meme-generator"), ("pod", name)], points)
    }

    fn run(batch: Batch) -> Result<Vec<OutputSeries>, KpiError> {
        let config = Config::new(&[], &Productivity::describe().config)?;
        Productivity::open(&config, Mode::Offline)?.push(&batch)
    }

    #[test]
    fn divides_success_by_cpu_per_pod_and_step() {
        let batch = Batch::new(0, 60_000)
            .with_input(
                "success",
                vec![
                    pod("a", &[(15_000, 10.0), (30_000, 12.0)]),
                    pod("b", &[(15_000, 3.0)]),
                ],
            )
            .with_input(
                "cpu",
                vec![
                    pod("a", &[(15_000, 0.5), (30_000, 0.0)]),
                    pod("b", &[(30_000, 1.0)]),
                ],
            );
        let out = run(batch).expect("push");
        assert_eq!(out.len(), 1, "pod b has no common timestamp");
        assert_eq!(out[0].metric, METRIC);
        assert_eq!(out[0].label("pod"), Some("a"));
        assert_eq!(out[0].label("namespace"), Some("meme-generator"));
        assert_eq!(out[0].timestamps, vec![15_000, 30_000]);
        assert_eq!(out[0].values, vec![20.0, 12.0 / MIN_CPU]);
    }

    #[test]
    fn odd_inputs_are_skipped_not_fatal() {
        let batch = Batch::new(0, 60_000)
            .with_input(
                "success",
                vec![
                    pod("a", &[(15_000, f64::NAN), (30_000, -1.0), (90_000, 1.0)]),
                    OwnedSeries::new(&[("pod", "no-namespace")], &[(15_000, 1.0)]),
                    // Lopsided columns are cut to the shorter (no points).
                    OwnedSeries {
                        labels: vec![],
                        timestamps: vec![15_000],
                        values: vec![],
                    },
                ],
            )
            .with_input(
                "cpu",
                vec![pod("a", &[(15_000, 1.0), (30_000, 1.0), (90_000, 1.0)])],
            );
        assert_eq!(run(batch), Ok(vec![]));
        let empty = Batch::new(0, 1)
            .with_input("success", vec![])
            .with_input("cpu", vec![]);
        assert_eq!(run(empty), Ok(vec![]));
    }

    #[test]
    fn a_missing_input_is_invalid_input() {
        let batch = Batch::new(0, 1).with_input("success", vec![]);
        assert!(matches!(run(batch), Err(KpiError::InvalidInput(m)) if m.contains("cpu")));
    }
}

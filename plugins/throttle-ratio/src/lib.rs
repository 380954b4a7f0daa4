//! `understudy_cpu_throttle_ratio`: the share of a pod's CFS periods in which
//! it was throttled — how hard its CPU limit bites.

use understudy_kpi_sdk::{
    Batch, Config, InputSpec, Kpi, KpiError, Mode, OutputSeries, OutputSet, OutputSpec, PluginInfo,
    export_kpi, join_series,
};

const METRIC: &str = "understudy_cpu_throttle_ratio";

#[derive(Debug)]
pub struct ThrottleRatio;

impl Kpi for ThrottleRatio {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "throttle-ratio".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Throttled CFS periods per CFS period, per pod".into(),
            inputs: vec![
                InputSpec::new(
                    "throttled",
                    "sum by (namespace, pod) (rate(container_cpu_cfs_throttled_periods_total[1m]))",
                    15_000,
                ),
                InputSpec::new(
                    "periods",
                    "sum by (namespace, pod) (rate(container_cpu_cfs_periods_total[1m]))",
                    15_000,
                ),
            ],
            outputs: vec![OutputSpec::gauge(
                METRIC,
                "Share of the pod's CFS periods that were throttled (0 to 1)",
            )],
            config: vec![],
        }
    }

    fn open(_config: &Config, _mode: Mode) -> Result<Self, KpiError> {
        Ok(ThrottleRatio)
    }

    fn push(&mut self, batch: &Batch) -> Result<Vec<OutputSeries>, KpiError> {
        let mut out = OutputSet::new(batch);
        for pod in join_series(
            batch.series("throttled")?,
            batch.series("periods")?,
            &["namespace", "pod"],
        ) {
            let mut series = out.series(METRIC, &pod.labels);
            for (t, throttled, periods) in pod.common() {
                // No periods: the pod did not run (or has no limit); there is no ratio.
                if periods > 0.0 && throttled >= 0.0 {
                    series.add(t, throttled / periods);
                }
            }
        }
        Ok(out.into_series())
    }
}

export_kpi!(ThrottleRatio);

#[cfg(test)]
mod tests {
    use super::*;
    use understudy_kpi_sdk::OwnedSeries;

    fn pod(name: &str, points: &[(i64, f64)]) -> OwnedSeries {
        OwnedSeries::new(&[("namespace", "meme-generator"), ("pod", name)], points)
    }

    fn run(batch: Batch) -> Result<Vec<OutputSeries>, KpiError> {
        ThrottleRatio::open(&Config::default(), Mode::Live)?.push(&batch)
    }

    #[test]
    fn divides_throttled_by_periods() {
        let batch = Batch::new(0, 30_000)
            .with_input(
                "throttled",
                vec![pod("a", &[(0, 2.5), (15_000, 0.0), (30_000, 1.0)])],
            )
            .with_input(
                "periods",
                vec![pod("a", &[(0, 10.0), (15_000, 10.0), (30_000, 0.0)])],
            );
        let out = run(batch).expect("push");
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].metric, METRIC);
        assert_eq!(out[0].label("pod"), Some("a"));
        assert_eq!(out[0].timestamps, vec![0, 15_000]);
        assert_eq!(out[0].values, vec![0.25, 0.0]);
    }

    #[test]
    fn odd_inputs_are_skipped() {
        let batch = Batch::new(0, 30_000)
            .with_input(
                "throttled",
                vec![
                    pod("a", &[(0, f64::INFINITY), (15_000, -1.0), (45_000, 1.0)]),
                    OwnedSeries::new(&[("namespace", "meme-generator"), ("pod", "")], &[(0, 1.0)]),
                ],
            )
            .with_input(
                "periods",
                vec![
                    pod("a", &[(0, 10.0), (15_000, 10.0), (45_000, 10.0)]),
                    OwnedSeries::new(
                        &[("namespace", "meme-generator"), ("pod", "")],
                        &[(0, 10.0)],
                    ),
                ],
            );
        assert_eq!(run(batch), Ok(vec![]));
        assert!(matches!(
            run(Batch::new(0, 0).with_input("periods", vec![])),
            Err(KpiError::InvalidInput(_))
        ));
    }
}

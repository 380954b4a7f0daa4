//! `understudy_scale_direction_reversals`: how often a Deployment's replica
//! count changed direction (up then down, or down then up) within a trailing
//! window — the signature of two autoscalers fighting over one Deployment.

use std::collections::VecDeque;

use understudy_kpi_sdk::{
    Batch, Config, ConfigParam, InputSpec, KeyedState, Kpi, KpiError, LogLevel, Mode, OutputSeries,
    OutputSet, OutputSpec, PluginInfo, export_kpi, log,
};

const GAUGE: &str = "understudy_scale_direction_reversals";
const COUNTER: &str = "understudy_scale_direction_reversals_total";

#[derive(Debug)]
pub struct Flapping {
    window_ms: i64,
    hysteresis: f64,
    /// One track per (namespace, deployment); kept across pushes.
    tracks: KeyedState<Track>,
}

/// The replica history of one Deployment, reduced to what counting needs.
#[derive(Debug, Default)]
struct Track {
    /// The replica count at the last counted move: smaller steps add up
    /// against it until they reach the hysteresis.
    anchor: Option<f64>,
    /// Direction of the last counted move: +1 up, -1 down, 0 none yet.
    direction: i8,
    /// Times of the reversals still inside the trailing window.
    recent: VecDeque<i64>,
    total: u64,
    /// Points at or before this were seen (windows may overlap, and a
    /// duplicate series of the same Deployment must not count twice).
    last_seen: Option<i64>,
}

impl Track {
    /// Feeds one sample; returns (reversals in the window, total) or `None`
    /// when the sample was already seen.
    fn observe(
        &mut self,
        t: i64,
        replicas: f64,
        hysteresis: f64,
        window_ms: i64,
    ) -> Option<(usize, u64)> {
        if self.last_seen.is_some_and(|last| t <= last) {
            return None;
        }
        self.last_seen = Some(t);
        match self.anchor {
            None => self.anchor = Some(replicas),
            Some(anchor) if (replicas - anchor).abs() >= hysteresis => {
                let direction = if replicas > anchor { 1 } else { -1 };
                if self.direction != 0 && direction != self.direction {
                    self.recent.push_back(t);
                    self.total += 1;
                }
                self.direction = direction;
                self.anchor = Some(replicas);
            }
            Some(_) => {}
        }
        // The window is (t - window, t].
        let oldest = t.saturating_sub(window_ms);
        while self.recent.front().is_some_and(|&r| r <= oldest) {
            self.recent.pop_front();
        }
        Some((self.recent.len(), self.total))
    }
}

impl Kpi for Flapping {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "flapping".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description:
                "Direction reversals of each Deployment's replica count within a trailing window"
                    .into(),
            inputs: vec![InputSpec::new(
                "replicas",
                "kube_deployment_spec_replicas",
                15_000,
            )],
            outputs: vec![
                OutputSpec::gauge(
                    GAUGE,
                    "Direction reversals of the Deployment's spec.replicas within the window",
                ),
                OutputSpec::counter(
                    COUNTER,
                    "Direction reversals of the Deployment's spec.replicas since the evaluator opened",
                ),
            ],
            config: vec![
                ConfigParam::new(
                    "window",
                    "Trailing window the gauge counts reversals in (Prometheus duration)",
                    "10m",
                ),
                ConfigParam::new(
                    "hysteresis",
                    "Smallest replica change that counts as a move",
                    "1",
                ),
            ],
        }
    }

    fn open(config: &Config, _mode: Mode) -> Result<Self, KpiError> {
        let window_ms = config.duration_ms("window")?;
        if window_ms <= 0 {
            return Err(KpiError::InvalidConfig(
                "window must be longer than 0s".into(),
            ));
        }
        let hysteresis = config.f64("hysteresis")?;
        // Zero would count float noise as moves.
        if hysteresis <= 0.0 {
            return Err(KpiError::InvalidConfig(format!(
                "hysteresis = {hysteresis}: must be greater than 0"
            )));
        }
        // The effective values, defaults included, for whoever reads the host's log.
        log(
            LogLevel::Debug,
            &format!("flapping: window {window_ms} ms, hysteresis {hysteresis}"),
        );
        Ok(Flapping {
            window_ms,
            hysteresis,
            tracks: KeyedState::new(),
        })
    }

    fn push(&mut self, batch: &Batch) -> Result<Vec<OutputSeries>, KpiError> {
        // A series the host retires is gone (a deleted object): forget it.
        self.tracks.retire(batch);
        let mut out = OutputSet::new(batch);
        for series in batch.series("replicas")? {
            let Some(key) = series.label_set(&["namespace", "deployment"]) else {
                continue;
            };
            let track = self.tracks.get_or_default(&series, &key);
            for (t, replicas) in series.points().filter(|(_, v)| v.is_finite() && *v >= 0.0) {
                if let Some((recent, total)) =
                    track.observe(t, replicas, self.hysteresis, self.window_ms)
                {
                    out.add(GAUGE, &key, t, recent as f64);
                    out.add(COUNTER, &key, t, total as f64);
                }
            }
        }
        Ok(out.into_series())
    }
}

export_kpi!(Flapping);

#[cfg(test)]
mod tests {
    use super::*;
    use understudy_kpi_sdk::{LabelSet, OwnedSeries};

    const STEP: i64 = 15_000;

    fn open(config: &[(&str, &str)]) -> Result<Flapping, KpiError> {
        Flapping::open(
            &Config::from_pairs(config, &Flapping::describe().config)?,
            Mode::Offline,
        )
    }

    /// A batch with one Deployment's replica counts at 15 s steps from `start`.
    fn batch(start: i64, end: i64, replicas: &[f64]) -> Batch {
        let points: Vec<(i64, f64)> = replicas
            .iter()
            .enumerate()
            .map(|(i, r)| (start + i as i64 * STEP, *r))
            .collect();
        Batch::new(start, end).with_input(
            "replicas",
            vec![OwnedSeries::new(
                &[
                    ("deployment", "meme-backend"),
                    ("job", "kube-state-metrics"),
                    ("namespace", "meme-generator"),
                ],
                &points,
            )],
        )
    }

    fn values(out: &[OutputSeries], metric: &str) -> Vec<f64> {
        out.iter()
            .find(|s| s.metric == metric)
            .map(|s| s.values.clone())
            .unwrap_or_default()
    }

    #[test]
    fn counts_reversals_not_moves() {
        let mut f = open(&[]).expect("defaults");
        // up, up, down (1), up (2), steady, down (3)
        let out = f
            .push(&batch(0, 10 * STEP, &[2.0, 4.0, 6.0, 3.0, 5.0, 5.0, 1.0]))
            .expect("push");
        assert_eq!(values(&out, GAUGE), vec![0.0, 0.0, 0.0, 1.0, 2.0, 2.0, 3.0]);
        assert_eq!(
            values(&out, COUNTER),
            vec![0.0, 0.0, 0.0, 1.0, 2.0, 2.0, 3.0]
        );
        let gauge = out.iter().find(|s| s.metric == GAUGE).expect("gauge");
        assert_eq!(
            gauge.labels,
            LabelSet::from_pairs(&[
                ("deployment", "meme-backend"),
                ("namespace", "meme-generator")
            ])
        );
    }

    #[test]
    fn state_carries_across_pushes_and_old_reversals_leave_the_window() {
        let mut f = open(&[("window", "1m")]).expect("config");
        let first = f
            .push(&batch(0, 3 * STEP, &[1.0, 3.0, 1.0, 3.0]))
            .expect("push");
        assert_eq!(values(&first, GAUGE), vec![0.0, 0.0, 1.0, 2.0]);
        // Reversals at 30 s and 45 s; at 90 s the window (30 s, 90 s] holds
        // one, at 105 s none.
        let second = f
            .push(&batch(4 * STEP, 7 * STEP, &[3.0, 3.0, 3.0, 3.0]))
            .expect("push");
        assert_eq!(values(&second, GAUGE), vec![2.0, 2.0, 1.0, 0.0]);
        assert_eq!(values(&second, COUNTER), vec![2.0; 4]);
    }

    #[test]
    fn hysteresis_ignores_small_wiggles_but_adds_them_up() {
        let mut f = open(&[("hysteresis", "2")]).expect("config");
        // 10 → 11 → 10 → 11 never moves 2; 13 is a move up, 11 a move down.
        let out = f
            .push(&batch(
                0,
                10 * STEP,
                &[10.0, 11.0, 10.0, 11.0, 13.0, 12.0, 11.0],
            ))
            .expect("push");
        assert_eq!(
            values(&out, COUNTER),
            vec![0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]
        );
    }

    #[test]
    fn overlapping_windows_do_not_count_twice() {
        let mut f = open(&[]).expect("defaults");
        f.push(&batch(0, 3 * STEP, &[1.0, 3.0, 1.0, 3.0]))
            .expect("push");
        let again = f
            .push(&batch(0, 3 * STEP, &[1.0, 3.0, 1.0, 3.0]))
            .expect("push");
        assert!(again.is_empty());
        let next = f.push(&batch(4 * STEP, 4 * STEP, &[3.0])).expect("push");
        assert_eq!(values(&next, COUNTER), vec![2.0]);
    }

    #[test]
    fn odd_inputs_are_skipped() {
        let mut f = open(&[]).expect("defaults");
        let b = Batch::new(0, STEP).with_input(
            "replicas",
            vec![
                OwnedSeries::new(&[("deployment", "x")], &[(0, 1.0)]),
                OwnedSeries::new(
                    &[("deployment", "d"), ("namespace", "n")],
                    &[(0, f64::NAN), (STEP, -1.0), (2 * STEP, 1.0)],
                ),
            ],
        );
        assert_eq!(f.push(&b), Ok(vec![]));
        assert!(
            f.push(&Batch::new(0, 0).with_input("replicas", vec![]))
                .expect("push")
                .is_empty()
        );
        assert!(matches!(
            f.push(&Batch::new(0, 0)),
            Err(KpiError::InvalidInput(_))
        ));
    }

    #[test]
    fn retired_deployments_are_forgotten() {
        let mut f = open(&[]).expect("defaults");
        f.push(&batch(0, 3 * STEP, &[1.0, 3.0, 1.0, 3.0]))
            .expect("push");
        assert_eq!(f.tracks.len(), 1);
        let retire = Batch::new(4 * STEP, 4 * STEP)
            .with_input("replicas", vec![])
            .with_retired(&[
                ("deployment", "meme-backend"),
                ("job", "kube-state-metrics"),
                ("namespace", "meme-generator"),
            ]);
        assert_eq!(f.push(&retire), Ok(vec![]));
        assert!(f.tracks.is_empty());
        // Seen again (a new Deployment of the same name): counted afresh.
        let again = f.push(&batch(5 * STEP, 5 * STEP, &[3.0])).expect("push");
        assert_eq!(values(&again, COUNTER), vec![0.0]);
    }

    #[test]
    fn bad_config_is_refused() {
        for bad in [
            ("window", "0s"),
            ("window", "soon"),
            ("hysteresis", "0"),
            ("hysteresis", "-1"),
            ("hysteresis", "x"),
        ] {
            assert!(
                matches!(open(&[bad]), Err(KpiError::InvalidConfig(_))),
                "{bad:?}"
            );
        }
    }
}

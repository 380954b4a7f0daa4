//! `understudy_queue_drain_seconds`: for each JetStream consumer, how long
//! the backlog took to go from its peak to empty — how quickly the
//! autoscaled workers caught up after a burst.

use understudy_kpi_sdk::{
    Batch, Config, InputSpec, KeyedState, Kpi, KpiError, Mode, OutputSeries, OutputSet, OutputSpec,
    PluginInfo, export_kpi,
};

const METRIC: &str = "understudy_queue_drain_seconds";

#[derive(Debug, Default)]
pub struct DrainTime {
    /// One track per (stream_name, consumer_name); kept across pushes,
    /// because a drain usually spans many windows.
    tracks: KeyedState<Track>,
}

#[derive(Debug, Default)]
struct Track {
    /// The highest backlog since the queue was last empty, and when it was
    /// last seen (the drain starts when the queue stops being at its peak).
    peak: Option<(i64, f64)>,
    /// The last completed drain, reported until the next one completes.
    last_drain_seconds: Option<f64>,
    /// Points at or before this were seen (windows may overlap).
    last_seen: Option<i64>,
}

impl Track {
    /// Feeds one sample; returns the value to report at `t`, if any.
    fn observe(&mut self, t: i64, pending: f64) -> Option<f64> {
        if self.last_seen.is_some_and(|last| t <= last) {
            return None;
        }
        self.last_seen = Some(t);
        if pending > 0.0 {
            if self.peak.is_none_or(|(_, peak)| pending >= peak) {
                self.peak = Some((t, pending));
            }
        } else if let Some((peak_at, _)) = self.peak.take() {
            self.last_drain_seconds = Some((t - peak_at) as f64 / 1000.0);
        }
        self.last_drain_seconds
    }
}

impl Kpi for DrainTime {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "drain-time".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description:
                "Seconds from a consumer's peak backlog to an empty queue, per stream and consumer"
                    .into(),
            inputs: vec![InputSpec::new(
                "pending",
                "sum by (stream_name, consumer_name) (jetstream_consumer_num_pending)",
                15_000,
            )],
            outputs: vec![OutputSpec::gauge(
                METRIC,
                "Seconds the consumer's backlog took from its last peak to empty (the last completed drain)",
            )],
            config: vec![],
        }
    }

    fn open(_config: &Config, _mode: Mode) -> Result<Self, KpiError> {
        Ok(DrainTime::default())
    }

    fn push(&mut self, batch: &Batch) -> Result<Vec<OutputSeries>, KpiError> {
        // A series the host retires is gone (a deleted object): forget it.
        self.tracks.retire(batch);
        let mut out = OutputSet::new(batch);
        for series in batch.series("pending")? {
            let Some(key) = series.label_set(&["stream_name", "consumer_name"]) else {
                continue;
            };
            let track = self.tracks.get_or_default(&series, &key);
            // A negative backlog is a broken input, not an empty queue.
            for (t, pending) in series.points().filter(|(_, v)| v.is_finite() && *v >= 0.0) {
                if let Some(seconds) = track.observe(t, pending) {
                    out.add(METRIC, &key, t, seconds);
                }
            }
        }
        Ok(out.into_series())
    }
}

export_kpi!(DrainTime);

#[cfg(test)]
mod tests {
    use super::*;
    use understudy_kpi_sdk::OwnedSeries;

    const STEP: i64 = 15_000;

    fn batch(start: i64, end: i64, pending: &[f64]) -> Batch {
        let points: Vec<(i64, f64)> = pending
            .iter()
            .enumerate()
            .map(|(i, p)| (start + i as i64 * STEP, *p))
            .collect();
        Batch::new(start, end).with_input(
            "pending",
            vec![OwnedSeries::new(
                &[("consumer_name", "generator"), ("stream_name", "MEMES")],
                &points,
            )],
        )
    }

    fn open() -> DrainTime {
        DrainTime::open(&Config::default(), Mode::Offline).expect("open")
    }

    #[test]
    fn measures_from_the_last_peak_to_empty_and_keeps_the_value() {
        let mut d = open();
        // Peak 500 at 30 s (seen again at 45 s), empty at 90 s: 45 s.
        let out = d
            .push(&batch(
                0,
                10 * STEP,
                &[0.0, 200.0, 500.0, 500.0, 300.0, 100.0, 0.0, 0.0, 40.0],
            ))
            .expect("push");
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].metric, METRIC);
        assert_eq!(out[0].label("stream_name"), Some("MEMES"));
        assert_eq!(out[0].label("consumer_name"), Some("generator"));
        assert_eq!(out[0].timestamps, vec![6 * STEP, 7 * STEP, 8 * STEP]);
        assert_eq!(out[0].values, vec![45.0, 45.0, 45.0]);
    }

    #[test]
    fn a_drain_spanning_pushes_is_measured() {
        let mut d = open();
        assert!(
            d.push(&batch(0, 2 * STEP, &[10.0, 900.0, 800.0]))
                .expect("push")
                .is_empty()
        );
        let out = d
            .push(&batch(3 * STEP, 5 * STEP, &[100.0, 0.0, 5.0]))
            .expect("push");
        assert_eq!(out[0].timestamps, vec![4 * STEP, 5 * STEP]);
        assert_eq!(out[0].values, vec![45.0, 45.0]);
        // Next drain: peak 5 at 75 s, empty at 90 s.
        let next = d.push(&batch(6 * STEP, 6 * STEP, &[0.0])).expect("push");
        assert_eq!(next[0].values, vec![15.0]);
    }

    #[test]
    fn retired_consumers_are_forgotten() {
        let mut d = open();
        d.push(&batch(0, STEP, &[10.0, 0.0])).expect("push");
        assert_eq!(d.tracks.len(), 1);
        let retire = Batch::new(2 * STEP, 2 * STEP)
            .with_input("pending", vec![])
            .with_retired(&[("consumer_name", "generator"), ("stream_name", "MEMES")]);
        assert_eq!(d.push(&retire), Ok(vec![]));
        assert!(d.tracks.is_empty());
    }

    #[test]
    fn odd_inputs_are_skipped() {
        let mut d = open();
        let b = Batch::new(0, 3 * STEP).with_input(
            "pending",
            vec![
                OwnedSeries::new(&[("stream_name", "MEMES")], &[(0, 5.0), (STEP, 0.0)]),
                OwnedSeries::new(
                    &[("consumer_name", "c"), ("stream_name", "s")],
                    &[
                        (0, f64::NAN),
                        (STEP, -3.0),
                        (2 * STEP, 0.0),
                        (2 * STEP, 0.0),
                    ],
                ),
            ],
        );
        assert_eq!(d.push(&b), Ok(vec![]));
        assert!(matches!(
            d.push(&Batch::new(0, 0)),
            Err(KpiError::InvalidInput(_))
        ));
    }
}

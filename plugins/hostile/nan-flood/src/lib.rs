//! Hostile plugin for the host's sandbox tests: push returns NaN/Inf values and timestamps outside the window.

const METRIC: &str = "understudy_hostile_nan_flood";

hostile_kit::hostile!(
    "nan-flood",
    "Hostile: push returns NaN/Inf values and timestamps outside the window.",
    outputs = [METRIC],
    |batch| {
        let (start, end) = (batch.window_start, batch.window_end);
        Ok(vec![
            OutputSeries {
                metric: METRIC.into(),
                labels: LabelSet::from_pairs(&[("kind", "non-finite")]),
                timestamps: vec![start, start, end],
                values: vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY],
            },
            OutputSeries {
                metric: METRIC.into(),
                labels: LabelSet::from_pairs(&[("kind", "outside-window")]),
                timestamps: vec![
                    i64::MIN,
                    start.saturating_sub(1),
                    end.saturating_add(1),
                    i64::MAX,
                ],
                values: vec![1.0; 4],
            },
        ])
    }
);

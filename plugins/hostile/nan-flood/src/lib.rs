//! Hostile plugin for the host's sandbox tests: push returns NaN/Inf values and timestamps outside the window.

hostile_kit::hostile!(
    "nan-flood",
    "Hostile: push returns NaN/Inf values and timestamps outside the window.",
    |batch| {
        let (start, end) = (batch.window_start, batch.window_end);
        let metric = "understudy_hostile_nan_flood";
        Ok(vec![
            OutputSeries {
                metric: metric.into(),
                labels: vec![("kind".into(), "non-finite".into())],
                timestamps: vec![start, start, end],
                values: vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY],
            },
            OutputSeries {
                metric: metric.into(),
                labels: vec![("kind".into(), "outside-window".into())],
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

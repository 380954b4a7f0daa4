//! Hostile plugin for the host's sandbox tests: push returns 10 million samples.

hostile_kit::hostile!(
    "huge-output",
    "Hostile: push returns 10 million samples.",
    |batch| {
        // 1,000 series × 10,000 points, otherwise valid (inside the window,
        // ascending, finite), so only the size cap can reject it.
        const SERIES: usize = 1_000;
        const POINTS: i64 = 10_000;
        let span = i128::from(batch.window_end) - i128::from(batch.window_start);
        let timestamps: Vec<i64> = (0..POINTS)
            .map(|j| {
                (i128::from(batch.window_start) + span * i128::from(j) / i128::from(POINTS)) as i64
            })
            .collect();
        Ok((0..SERIES)
            .map(|i| OutputSeries {
                metric: "understudy_hostile_huge_output".into(),
                labels: vec![("series".into(), i.to_string())],
                timestamps: timestamps.clone(),
                values: vec![1.0; timestamps.len()],
            })
            .collect())
    }
);

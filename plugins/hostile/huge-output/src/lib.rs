//! Hostile plugin for the host's sandbox tests: push returns 10 million samples.

const METRIC: &str = "understudy_hostile_huge_output";

hostile_kit::hostile!(
    "huge-output",
    "Hostile: push returns 10 million samples.",
    outputs = [METRIC],
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
        // Every series' timestamps, then every series' values: the SDK
        // builds the output columns one after the other, freeing each
        // series' part as it goes, and with this layout the freed
        // timestamps make one free block the values column fits in, so
        // the offline memory cap (256 MiB) holds the 160 MB of samples
        // and their columns, and the size cap is what refuses them.
        let all_timestamps: Vec<Vec<i64>> = (0..SERIES).map(|_| timestamps.clone()).collect();
        drop(timestamps);
        let all_values: Vec<Vec<f64>> = (0..SERIES).map(|_| vec![1.0; POINTS as usize]).collect();
        Ok(all_timestamps
            .into_iter()
            .zip(all_values)
            .enumerate()
            .map(|(i, (timestamps, values))| OutputSeries {
                metric: METRIC.into(),
                labels: LabelSet::new(vec![("series".into(), i.to_string())]),
                timestamps,
                values,
            })
            .collect())
    }
);

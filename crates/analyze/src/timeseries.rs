//! Arithmetic on recorded series: sums of gauges, increases of counters
//! (with resets), integrals and step values over a window.

use understudy_core::TimeRange;
use understudy_store::SeriesSamples;

/// `(ms since the epoch, value)`, ascending in time.
pub type Points = Vec<(i64, f64)>;

/// The sum of several series at each of their timestamps, each series
/// holding its last value until its next sample (a series not yet begun
/// counts 0).
pub fn sum_step(series: &[SeriesSamples]) -> Points {
    let mut times: Vec<i64> = series
        .iter()
        .flat_map(|s| s.timestamps.iter().copied())
        .collect();
    times.sort_unstable();
    times.dedup();
    let mut cursors = vec![0usize; series.len()];
    times
        .into_iter()
        .map(|t| {
            let mut sum = 0.0;
            for (s, c) in series.iter().zip(cursors.iter_mut()) {
                while *c < s.timestamps.len() && s.timestamps[*c] <= t {
                    *c += 1;
                }
                if *c > 0 && s.values[*c - 1].is_finite() {
                    sum += s.values[*c - 1];
                }
            }
            (t, sum)
        })
        .collect()
}

/// How much a counter grew inside the window: the sum of its rises between
/// consecutive samples in the window, a drop being a reset (the new value
/// counts from 0).
pub fn increase(s: &SeriesSamples, w: TimeRange) -> f64 {
    let mut total = 0.0;
    let mut prev: Option<f64> = None;
    for (t, v) in s.timestamps.iter().zip(&s.values) {
        if !w.contains(*t) || !v.is_finite() {
            continue;
        }
        if let Some(p) = prev {
            total += if *v >= p { v - p } else { *v };
        }
        prev = Some(*v);
    }
    total
}

/// [`increase`] summed over series.
pub fn total_increase(series: &[&SeriesSamples], w: TimeRange) -> f64 {
    series.iter().map(|s| increase(s, w)).sum()
}

/// Counter increases in buckets of `step_ms` from the window's start: each
/// rise between two samples goes to the bucket of the later sample.
pub fn binned_increase(series: &[&SeriesSamples], w: TimeRange, step_ms: i64) -> Vec<f64> {
    let n = ((w.end - w.start) / step_ms + 1).max(1) as usize;
    let mut bins = vec![0.0; n];
    for s in series {
        let mut prev: Option<f64> = None;
        for (t, v) in s.timestamps.iter().zip(&s.values) {
            if !w.contains(*t) || !v.is_finite() {
                continue;
            }
            if let Some(p) = prev {
                let rise = if *v >= p { v - p } else { *v };
                bins[((t - w.start) / step_ms) as usize] += rise;
            }
            prev = Some(*v);
        }
    }
    bins
}

/// The points inside the window.
pub fn within(points: &[(i64, f64)], w: TimeRange) -> impl Iterator<Item = (i64, f64)> + '_ {
    points.iter().copied().filter(move |(t, _)| w.contains(*t))
}

/// The area under a gauge in value-seconds (trapezoids between samples in
/// the window).
pub fn integral(points: &[(i64, f64)], w: TimeRange) -> f64 {
    let inside: Vec<(i64, f64)> = within(points, w).collect();
    inside
        .windows(2)
        .map(|p| (p[1].0 - p[0].0) as f64 / 1e3 * (p[0].1 + p[1].1) / 2.0)
        .sum()
}

/// A step function's time in seconds at or above `level` inside the window
/// (each value holds until the next change).
pub fn time_at_or_above(steps: &[(i64, f64)], level: f64, w: TimeRange) -> f64 {
    let mut total = 0i64;
    for (i, (t, v)) in steps.iter().enumerate() {
        let from = (*t).max(w.start);
        let to = steps.get(i + 1).map_or(w.end, |n| n.0).min(w.end);
        if *v >= level && to > from {
            total += to - from;
        }
    }
    total as f64 / 1e3
}

/// Direction reversals of a step function inside the window: up then down,
/// or down then up, counted at each turn.
pub fn reversals(steps: &[(i64, f64)], w: TimeRange) -> u64 {
    let mut last_dir = 0i8;
    let mut prev: Option<f64> = None;
    let mut n = 0;
    // The value in force at the window's start counts as the first level.
    let before = steps.iter().rev().find(|(t, _)| *t < w.start).map(|p| p.1);
    for v in before.into_iter().chain(within(steps, w).map(|p| p.1)) {
        if let Some(p) = prev {
            let dir = if v > p {
                1
            } else if v < p {
                -1
            } else {
                0
            };
            if dir != 0 {
                if last_dir != 0 && dir != last_dir {
                    n += 1;
                }
                last_dir = dir;
            }
        }
        prev = Some(v);
    }
    n
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use understudy_core::{Labels, Series};

    use super::*;

    fn series(points: &[(i64, f64)]) -> SeriesSamples {
        SeriesSamples {
            series: Arc::new(Series::new("x", Labels::new()).expect("series")),
            timestamps: points.iter().map(|p| p.0).collect(),
            values: points.iter().map(|p| p.1).collect(),
        }
    }

    const ALL: TimeRange = TimeRange {
        start: 0,
        end: 100_000,
    };

    #[test]
    fn a_counter_reset_counts_from_zero() {
        let s = series(&[(0, 10.0), (1000, 15.0), (2000, 3.0), (3000, 5.0)]);
        assert_eq!(increase(&s, ALL), 5.0 + 3.0 + 2.0);
        assert_eq!(
            increase(
                &s,
                TimeRange {
                    start: 1000,
                    end: 2000
                }
            ),
            3.0
        );
    }

    #[test]
    fn sums_hold_each_series_last_value() {
        let a = series(&[(0, 1.0), (2000, 2.0)]);
        let b = series(&[(1000, 10.0)]);
        assert_eq!(
            sum_step(&[a, b]),
            vec![(0, 1.0), (1000, 11.0), (2000, 12.0)]
        );
    }

    #[test]
    fn reversals_count_turns_not_steps() {
        let steps = [
            (0, 1.0),
            (1, 5.0),
            (2, 10.0),
            (3, 7.0),
            (4, 8.0),
            (5, 8.0),
            (6, 9.0),
            (7, 8.0),
        ];
        // 1→10 up, 10→7 down (1), 7→9 up (2), 9→8 down (3).
        assert_eq!(reversals(&steps, ALL), 3);
        assert_eq!(reversals(&[(0, 1.0), (1, 10.0)], ALL), 0);
    }

    #[test]
    fn time_at_max_and_area_follow_the_steps() {
        let steps = [(0, 1.0), (10_000, 10.0), (30_000, 7.0)];
        assert_eq!(
            time_at_or_above(
                &steps,
                10.0,
                TimeRange {
                    start: 0,
                    end: 60_000
                }
            ),
            20.0
        );
        let pending = [(0, 0.0), (10_000, 100.0), (20_000, 0.0)];
        assert_eq!(integral(&pending, ALL), 1000.0);
        let bins = binned_increase(
            &[&series(&[(0, 0.0), (5000, 2.0), (20_000, 8.0)])],
            ALL,
            15_000,
        );
        assert_eq!(&bins[..2], &[2.0, 6.0]);
    }
}

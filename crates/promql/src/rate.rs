//! The numerics of `rate`, `increase`, `delta`, `irate`, `idelta`, `deriv`
//! and `predict_linear`, over the samples of one window (times in ms).

use crate::over_time::kahan_inc;

/// The window a range function sees at one step.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window<'a> {
    pub ts: &'a [i64],
    pub vs: &'a [f64],
    /// The step's evaluation time.
    pub eval_t: i64,
    /// The window's edges: `[end - range, end]`.
    pub start: i64,
    pub end: i64,
}

impl Window<'_> {
    fn range_seconds(&self) -> f64 {
        (self.end - self.start) as f64 / 1000.0
    }
}

/// `extrapolatedRate` of Prometheus 2.42 (promql/functions.go). Note the
/// 2.42 order: the zero point of a counter limits `durationToStart` *before*
/// the 1.1 × average-interval test decides between extrapolating to the edge
/// or by half an interval (2.51 swapped them).
pub(crate) fn extrapolated_rate(w: &Window, is_counter: bool, is_rate: bool) -> Option<f64> {
    let (ts, vs) = (w.ts, w.vs);
    let (&first_t, &last_t) = (ts.first()?, ts.last()?);
    let (&first_v, &last_v) = (vs.first()?, vs.last()?);
    if ts.len() < 2 {
        return None;
    }
    let mut result = last_v - first_v;
    if is_counter {
        // A counter reset adds the value before it.
        for pair in vs.windows(2) {
            if pair[1] < pair[0] {
                result += pair[0];
            }
        }
    }
    let mut duration_to_start = (first_t - w.start) as f64 / 1000.0;
    let duration_to_end = (w.end - last_t) as f64 / 1000.0;
    let sampled_interval = (last_t - first_t) as f64 / 1000.0;
    let average_interval = sampled_interval / (ts.len() - 1) as f64;

    if is_counter && result > 0.0 && first_v >= 0.0 {
        // Counters cannot be negative: do not extrapolate past the zero point.
        let duration_to_zero = sampled_interval * (first_v / result);
        if duration_to_zero < duration_to_start {
            duration_to_start = duration_to_zero;
        }
    }

    let threshold = average_interval * 1.1;
    let mut extrapolate_to = sampled_interval;
    extrapolate_to += if duration_to_start < threshold {
        duration_to_start
    } else {
        average_interval / 2.0
    };
    extrapolate_to += if duration_to_end < threshold {
        duration_to_end
    } else {
        average_interval / 2.0
    };
    let mut factor = extrapolate_to / sampled_interval;
    if is_rate {
        factor /= w.range_seconds();
    }
    Some(result * factor)
}

/// `instantValue` (irate/idelta): the last two samples only.
pub(crate) fn instant_value(w: &Window, is_rate: bool) -> Option<f64> {
    let n = w.ts.len().min(w.vs.len());
    if n < 2 {
        return None;
    }
    let (prev_t, last_t) = (w.ts[n - 2], w.ts[n - 1]);
    let (prev_v, last_v) = (w.vs[n - 2], w.vs[n - 1]);
    let mut result = if is_rate && last_v < prev_v {
        // A counter reset: the last value is the increase since.
        last_v
    } else {
        last_v - prev_v
    };
    let interval = last_t - prev_t;
    if interval == 0 {
        return None;
    }
    if is_rate {
        result /= interval as f64 / 1000.0;
    }
    Some(result)
}

/// `linearRegression`: least squares with Kahan-compensated sums, x in
/// seconds relative to `intercept_t`.
fn linear_regression(ts: &[i64], vs: &[f64], intercept_t: i64) -> (f64, f64) {
    let (mut n, mut sum_x, mut c_x, mut sum_y, mut c_y) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let (mut sum_xy, mut c_xy, mut sum_x2, mut c_x2) = (0.0, 0.0, 0.0, 0.0);
    let init_y = vs.first().copied().unwrap_or(f64::NAN);
    let mut const_y = true;
    for (&t, &v) in ts.iter().zip(vs) {
        if const_y && v != init_y {
            const_y = false;
        }
        n += 1.0;
        let x = (t - intercept_t) as f64 / 1e3;
        (sum_x, c_x) = kahan_inc(x, sum_x, c_x);
        (sum_y, c_y) = kahan_inc(v, sum_y, c_y);
        (sum_xy, c_xy) = kahan_inc(x * v, sum_xy, c_xy);
        (sum_x2, c_x2) = kahan_inc(x * x, sum_x2, c_x2);
    }
    if const_y {
        if init_y.is_infinite() {
            return (f64::NAN, f64::NAN);
        }
        return (0.0, init_y);
    }
    let (sum_x, sum_y, sum_xy, sum_x2) = (sum_x + c_x, sum_y + c_y, sum_xy + c_xy, sum_x2 + c_x2);
    let cov_xy = sum_xy - sum_x * sum_y / n;
    let var_x = sum_x2 - sum_x * sum_x / n;
    let slope = cov_xy / var_x;
    let intercept = sum_y / n - slope * sum_x / n;
    (slope, intercept)
}

/// `funcDeriv`: the regression slope, x relative to the first sample to
/// keep precision.
pub(crate) fn deriv(w: &Window) -> Option<f64> {
    if w.ts.len() < 2 {
        return None;
    }
    Some(linear_regression(w.ts, w.vs, w.ts[0]).0)
}

/// `funcPredictLinear`: the regression line at `eval time + duration`.
pub(crate) fn predict_linear(w: &Window, duration: f64) -> Option<f64> {
    if w.ts.len() < 2 {
        return None;
    }
    let (slope, intercept) = linear_regression(w.ts, w.vs, w.eval_t);
    Some(slope * duration + intercept)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window<'a>(ts: &'a [i64], vs: &'a [f64], start: i64, end: i64) -> Window<'a> {
        Window {
            ts,
            vs,
            eval_t: end,
            start,
            end,
        }
    }

    #[test]
    fn needs_two_samples() {
        assert_eq!(
            extrapolated_rate(&window(&[10], &[1.0], 0, 60), true, true),
            None
        );
    }

    #[test]
    fn extrapolates_to_both_edges_when_close() {
        // Samples every 10 s from 5 s to 55 s in [0, 60]: gaps of 5 s < 11 s.
        let ts: Vec<i64> = (0..6).map(|i| 5_000 + i * 10_000).collect();
        let vs: Vec<f64> = (0..6).map(|i| 100.0 + 10.0 * i as f64).collect();
        let inc = extrapolated_rate(&window(&ts, &vs, 0, 60_000), true, false);
        // 50 over 50 s, extrapolated to 60 s.
        assert_eq!(inc, Some(60.0));
        let rate = extrapolated_rate(&window(&ts, &vs, 0, 60_000), true, true);
        assert_eq!(rate, Some(1.0));
    }

    #[test]
    fn extrapolates_half_an_interval_when_far() {
        // Samples at 30, 40, 50 s in [0, 60]: the start gap 30 s ≥ 11 s.
        let ts = [30_000, 40_000, 50_000];
        let vs = [100.0, 110.0, 120.0];
        // 20 over 20 s; start +5 s (half interval), end +10 s (10 < 11).
        let inc = extrapolated_rate(&window(&ts, &vs, 0, 60_000), true, false);
        assert_eq!(inc, Some(35.0));
    }

    #[test]
    fn counter_zero_point_limits_start_before_threshold_test() {
        // 2.42: the zero point (2 s before the first sample) replaces the
        // 30 s start gap and, being < 1.1 × 10 s, is extrapolated to fully.
        let ts = [30_000, 40_000, 50_000];
        let vs = [2.0, 12.0, 22.0];
        let inc = extrapolated_rate(&window(&ts, &vs, 0, 60_000), true, false);
        // 20 over 20 s; + 2 s at the start, + 10 s at the end → 32 s.
        assert_eq!(inc, Some(32.0));
        // delta is not a counter: half an interval at the start.
        let delta = extrapolated_rate(&window(&ts, &vs, 0, 60_000), false, false);
        assert_eq!(delta, Some(35.0));
    }

    #[test]
    fn counter_resets_add_the_previous_value() {
        let ts = [0, 10_000, 20_000, 30_000];
        let vs = [5.0, 10.0, 2.0, 4.0];
        // (4 - 5) + 10 = 9 over 30 s, window exactly the sampled interval.
        let inc = extrapolated_rate(&window(&ts, &vs, 0, 30_000), true, false);
        assert_eq!(inc, Some(9.0));
    }

    #[test]
    fn irate_and_idelta() {
        let ts = [0, 10_000, 20_000];
        let vs = [1.0, 10.0, 4.0];
        let w = window(&ts, &vs, 0, 20_000);
        assert_eq!(instant_value(&w, true), Some(0.4));
        assert_eq!(instant_value(&w, false), Some(-6.0));
    }

    #[test]
    fn deriv_and_predict_linear() {
        let ts = [0, 10_000, 20_000];
        let vs = [0.0, 5.0, 10.0];
        let w = window(&ts, &vs, 0, 20_000);
        assert_eq!(deriv(&w), Some(0.5));
        assert_eq!(predict_linear(&w, 10.0), Some(15.0));
        let flat = [3.0, 3.0, 3.0];
        assert_eq!(deriv(&window(&ts, &flat, 0, 20_000)), Some(0.0));
    }
}

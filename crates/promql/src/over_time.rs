//! The `*_over_time` aggregations of one window's values, as 2.42's
//! `funcXxxOverTime` (promql/functions.go); sums and means are
//! Kahan–Neumaier compensated there, and so here.

use crate::gomath::go_sort;

/// `kahanSumInc`: adds `inc` to `sum`, accumulating the rounding error in `c`
/// (Neumaier's variant, which also handles `inc` larger than `sum`).
pub(crate) fn kahan_inc(inc: f64, sum: f64, c: f64) -> (f64, f64) {
    let t = sum + inc;
    let c = if sum.abs() >= inc.abs() {
        c + ((sum - t) + inc)
    } else {
        c + ((inc - t) + sum)
    };
    (t, c)
}

pub(crate) fn sum(vs: &[f64]) -> f64 {
    let (mut sum, mut c) = (0.0, 0.0);
    for &v in vs {
        (sum, c) = kahan_inc(v, sum, c);
    }
    if sum.is_infinite() { sum } else { sum + c }
}

/// The incremental mean, which avoids overflowing on large values.
pub(crate) fn avg(vs: &[f64]) -> f64 {
    let (mut mean, mut count, mut c) = (0.0f64, 0.0, 0.0);
    for &v in vs {
        count += 1.0;
        if mean.is_infinite() {
            if v.is_infinite() && (mean > 0.0) == (v > 0.0) {
                // Inf of the same sign: the mean is already right.
                continue;
            }
            if !v.is_infinite() && !v.is_nan() {
                // A finite value cannot move an infinite mean, and the
                // update below would compute Inf - Inf = NaN.
                continue;
            }
        }
        (mean, c) = kahan_inc(v / count - mean / count, mean, c);
    }
    if mean.is_infinite() { mean } else { mean + c }
}

/// Welford's variance with compensated sums.
pub(crate) fn stdvar(vs: &[f64]) -> f64 {
    let (mut count, mut mean, mut c_mean, mut aux, mut c_aux) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for &v in vs {
        count += 1.0;
        let delta = v - (mean + c_mean);
        (mean, c_mean) = kahan_inc(delta / count, mean, c_mean);
        (aux, c_aux) = kahan_inc(delta * (v - (mean + c_mean)), aux, c_aux);
    }
    (aux + c_aux) / count
}

/// Max skipping NaN unless every value is NaN.
pub(crate) fn max(vs: &[f64]) -> f64 {
    let mut max = vs.first().copied().unwrap_or(f64::NAN);
    for &v in vs {
        if v > max || max.is_nan() {
            max = v;
        }
    }
    max
}

/// Min skipping NaN unless every value is NaN.
pub(crate) fn min(vs: &[f64]) -> f64 {
    let mut min = vs.first().copied().unwrap_or(f64::NAN);
    for &v in vs {
        if v < min || min.is_nan() {
            min = v;
        }
    }
    min
}

/// `quantile` of promql/quantile.go: linear interpolation between the two
/// closest ranks; `-Inf`/`+Inf` for φ < 0 / φ > 1. Sorted as
/// `vectorByValueHeap` with Go's `sort.Sort`, whose `Less` is true whenever
/// its left value is NaN: where NaNs land depends on the sort's steps.
pub(crate) fn quantile(q: f64, values: &mut [f64]) -> f64 {
    if values.is_empty() || q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    go_sort(values, |a, b| a.is_nan() || a < b);
    let n = values.len() as f64;
    let rank = q * (n - 1.0);
    let lower = rank.floor().max(0.0);
    let upper = (lower + 1.0).min(n - 1.0);
    let weight = rank - rank.floor();
    values[lower as usize] * (1.0 - weight) + values[upper as usize] * weight
}

/// `funcChanges`: value changes, NaN to NaN not counting.
pub(crate) fn changes(vs: &[f64]) -> f64 {
    vs.windows(2)
        .filter(|p| p[1] != p[0] && !(p[1].is_nan() && p[0].is_nan()))
        .count() as f64
}

/// `funcResets`: decreases.
pub(crate) fn resets(vs: &[f64]) -> f64 {
    vs.windows(2).filter(|p| p[1] < p[0]).count() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kahan_keeps_small_terms() {
        // Plain addition loses the 1s entirely.
        assert_eq!(1e16 + 1.0 + 1.0 - 1e16, 0.0);
        assert_eq!(sum(&[1e16, 1.0, 1.0, -1e16]), 2.0);
        assert_eq!(sum(&[1.0, 1e100, 1.0, -1e100]), 2.0);
    }

    #[test]
    fn sum_and_avg_of_infinities() {
        assert_eq!(sum(&[f64::INFINITY, 1.0]), f64::INFINITY);
        assert_eq!(avg(&[f64::INFINITY, 1.0, f64::INFINITY]), f64::INFINITY);
        assert!(avg(&[f64::INFINITY, f64::NEG_INFINITY]).is_nan());
        assert_eq!(avg(&[1.0, 2.0, 3.0, 4.0]), 2.5);
        assert_eq!(avg(&[f64::MAX, f64::MAX]), f64::MAX);
    }

    #[test]
    fn variance() {
        assert_eq!(stdvar(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]), 4.0);
    }

    #[test]
    fn min_max_skip_nan() {
        assert_eq!(max(&[f64::NAN, 1.0, 3.0, f64::NAN]), 3.0);
        assert_eq!(min(&[2.0, f64::NAN, 1.0]), 1.0);
        assert!(max(&[f64::NAN, f64::NAN]).is_nan());
    }

    #[test]
    fn quantiles() {
        assert_eq!(quantile(0.5, &mut [4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(quantile(2.0, &mut [1.0]), f64::INFINITY);
        assert_eq!(quantile(-1.0, &mut [1.0]), f64::NEG_INFINITY);
        assert!(quantile(0.0, &mut [f64::NAN, 1.0]).is_nan());
    }

    #[test]
    fn changes_and_resets() {
        assert_eq!(changes(&[1.0, 1.0, 2.0, f64::NAN, f64::NAN, 2.0]), 3.0);
        assert_eq!(resets(&[3.0, 1.0, 2.0, 0.0]), 2.0);
    }
}

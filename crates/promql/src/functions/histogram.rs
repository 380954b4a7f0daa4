//! `histogram_quantile` over classic `le` buckets (`funcHistogramQuantile`
//! and `bucketQuantile` of Prometheus 2.42, promql/quantile.go).

use std::collections::HashMap;

use promql_parser::parser::Expr;

use super::arg;
use crate::eval::{Evaluator, Gather, SeriesBuilder, Val};
use crate::{Labels, QueryError};

pub(super) fn histogram_quantile(ev: &Evaluator, args: &[&Expr]) -> Result<Val, QueryError> {
    let q = ev.eval_scalar(arg(args, 0)?)?;
    let input = ev.eval_vector(arg(args, 1)?)?;
    let mut out = SeriesBuilder::default();
    // Per input series: its histogram (labels without `le`, `__name__`
    // included as in 2.42's signature) and upper bound; series without a
    // parsable `le` are skipped.
    let mut groups: HashMap<Labels, usize> = HashMap::new();
    let mut group_out: Vec<usize> = Vec::new();
    let mut bucket_of: Vec<Option<(usize, f64)>> = Vec::with_capacity(input.len());
    for s in &input {
        let Some(upper) = s.labels.get("le").and_then(|le| le.parse::<f64>().ok()) else {
            bucket_of.push(None);
            continue;
        };
        let key = Labels(
            s.labels
                .0
                .iter()
                .filter(|(k, _)| k != "le")
                .cloned()
                .collect(),
        );
        let next = groups.len();
        let g = *groups.entry(key.clone()).or_insert_with(|| {
            let labels = key.0.into_iter().filter(|(k, _)| k != "__name__");
            group_out.push(out.id(Labels(labels.collect())));
            next
        });
        bucket_of.push(Some((g, upper)));
    }
    let mut buckets: Vec<Vec<Bucket>> = vec![Vec::new(); groups.len()];
    let mut gather = Gather::new(&input);
    for (step, t) in ev.grid.times().enumerate() {
        buckets.iter_mut().for_each(Vec::clear);
        for &(s, v) in gather.at(&input, t) {
            if let Some(Some((g, upper))) = bucket_of.get(s)
                && let Some(b) = buckets.get_mut(*g)
            {
                b.push(Bucket {
                    upper: *upper,
                    count: v,
                });
            }
        }
        let q = q.get(step).copied().unwrap_or(f64::NAN);
        for (g, b) in buckets.iter_mut().enumerate() {
            if !b.is_empty() {
                out.push(group_out[g], t, bucket_quantile(q, b))?;
            }
        }
    }
    Ok(Val::Vector(out.finish()))
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    upper: f64,
    count: f64,
}

/// `bucketQuantile` (2.42): ±Inf outside [0, 1]; NaN without a `+Inf`
/// bucket or observations; buckets of equal bound merged and counts made
/// monotonic; linear interpolation inside the bucket, the lowest bucket
/// starting at 0 unless its bound is ≤ 0.
fn bucket_quantile(q: f64, buckets: &mut Vec<Bucket>) -> f64 {
    if q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    buckets.sort_by(|a, b| {
        a.upper
            .partial_cmp(&b.upper)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    if buckets.last().is_none_or(|b| b.upper != f64::INFINITY) {
        return f64::NAN;
    }
    coalesce(buckets);
    ensure_monotonic(buckets);
    let n = buckets.len();
    if n < 2 {
        return f64::NAN;
    }
    let observations = buckets[n - 1].count;
    if observations == 0.0 {
        return f64::NAN;
    }
    let mut rank = q * observations;
    let b = buckets[..n - 1].partition_point(|b| b.count < rank);
    if b == n - 1 {
        return buckets[n - 2].upper;
    }
    if b == 0 && buckets[0].upper <= 0.0 {
        return buckets[0].upper;
    }
    let bucket_end = buckets[b].upper;
    let mut count = buckets[b].count;
    let mut bucket_start = 0.0;
    if b > 0 {
        bucket_start = buckets[b - 1].upper;
        count -= buckets[b - 1].count;
        rank -= buckets[b - 1].count;
    }
    bucket_start + (bucket_end - bucket_start) * (rank / count)
}

/// `coalesceBuckets`: sums buckets with the same bound (sorted input).
fn coalesce(buckets: &mut Vec<Bucket>) {
    let mut merged: Vec<Bucket> = Vec::with_capacity(buckets.len());
    for b in buckets.drain(..) {
        match merged.last_mut() {
            Some(last) if last.upper == b.upper => last.count += b.count,
            _ => merged.push(b),
        }
    }
    *buckets = merged;
}

/// `ensureMonotonic`: a count lower than an earlier one is raised to it.
fn ensure_monotonic(buckets: &mut [Bucket]) {
    let mut max = f64::NEG_INFINITY;
    for b in buckets {
        if b.count > max {
            max = b.count;
        } else if b.count < max {
            b.count = max;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buckets(pairs: &[(f64, f64)]) -> Vec<Bucket> {
        pairs
            .iter()
            .map(|&(upper, count)| Bucket { upper, count })
            .collect()
    }

    #[test]
    fn interpolates_within_a_bucket() {
        let mut b = buckets(&[(f64::INFINITY, 100.0), (1.0, 50.0), (2.0, 100.0)]);
        assert_eq!(bucket_quantile(0.5, &mut b), 1.0);
        let mut b = buckets(&[(1.0, 50.0), (2.0, 100.0), (f64::INFINITY, 100.0)]);
        assert_eq!(bucket_quantile(0.75, &mut b), 1.5);
        // Rank in the +Inf bucket: the highest finite bound.
        let mut b = buckets(&[(1.0, 10.0), (f64::INFINITY, 100.0)]);
        assert_eq!(bucket_quantile(0.9, &mut b), 1.0);
    }

    #[test]
    fn edge_cases() {
        let mut no_inf = buckets(&[(1.0, 1.0), (2.0, 2.0)]);
        assert!(bucket_quantile(0.5, &mut no_inf).is_nan());
        let mut empty = buckets(&[(1.0, 0.0), (f64::INFINITY, 0.0)]);
        assert!(bucket_quantile(0.5, &mut empty).is_nan());
        let mut b = buckets(&[(1.0, 1.0), (f64::INFINITY, 2.0)]);
        assert_eq!(bucket_quantile(-0.1, &mut b), f64::NEG_INFINITY);
        assert_eq!(bucket_quantile(1.1, &mut b), f64::INFINITY);
        // Non-monotonic counts are fixed up: 2 → 5 makes the median 0.5.
        let mut b = buckets(&[(1.0, 5.0), (2.0, 2.0), (f64::INFINITY, 10.0)]);
        assert_eq!(bucket_quantile(0.5, &mut b), 1.0);
    }
}

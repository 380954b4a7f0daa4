//! Selection from in-memory series (`MemStorage`).

use std::ops::Range;
use std::sync::Arc;

use crate::{Matcher, Series};

/// The series matching every matcher — a missing label matches as "", as
/// in Prometheus — cut to their samples in `[mint, maxt]`; series with no
/// sample there are left out.
pub(crate) fn select(
    series: &[Arc<Series>],
    matchers: &[Matcher],
    mint: i64,
    maxt: i64,
) -> Vec<Series> {
    matching(series, matchers)
        .filter_map(|s| {
            let w = window(s, mint, maxt);
            (!w.is_empty()).then(|| Series {
                labels: s.labels.clone(),
                timestamps: s.timestamps[w.clone()].to_vec(),
                values: s.values[w].to_vec(),
            })
        })
        .collect()
}

/// How many samples [`select`] would return, without copying any.
pub(crate) fn count(series: &[Arc<Series>], matchers: &[Matcher], mint: i64, maxt: i64) -> usize {
    matching(series, matchers)
        .map(|s| window(s, mint, maxt).len())
        .sum()
}

pub(crate) fn matching<'a>(
    series: &'a [Arc<Series>],
    matchers: &'a [Matcher],
) -> impl Iterator<Item = &'a Series> + 'a {
    series.iter().map(Arc::as_ref).filter(|s| {
        matchers
            .iter()
            .all(|m| m.matches(s.labels.get(&m.name).unwrap_or("")))
    })
}

/// The indices of the samples of `s` in `[mint, maxt]`.
fn window(s: &Series, mint: i64, maxt: i64) -> Range<usize> {
    let n = s.timestamps.len().min(s.values.len());
    let ts = &s.timestamps[..n];
    let lo = ts.partition_point(|&t| t < mint);
    lo..ts.partition_point(|&t| t <= maxt).max(lo)
}

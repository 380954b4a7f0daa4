//! Selection from in-memory series (`MemStorage`).

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
    series
        .iter()
        .filter(|s| {
            matchers
                .iter()
                .all(|m| m.matches(s.labels.get(&m.name).unwrap_or("")))
        })
        .filter_map(|s| {
            let n = s.timestamps.len().min(s.values.len());
            let ts = &s.timestamps[..n];
            let lo = ts.partition_point(|&t| t < mint);
            let hi = ts.partition_point(|&t| t <= maxt);
            (lo < hi).then(|| Series {
                labels: s.labels.clone(),
                timestamps: ts[lo..hi].to_vec(),
                values: s.values[lo..hi].to_vec(),
            })
        })
        .collect()
}

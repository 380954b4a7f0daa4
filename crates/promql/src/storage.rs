//! Where the engine reads series ([`Queryable`]), and selection from
//! series held in memory ([`MemStorage`]).

use std::ops::Range;
use std::sync::Arc;

use crate::{Matcher, Series};

/// Where the engine reads series. Implementations decide what is visible:
/// the replay shows only samples up to its current time.
pub trait Queryable: Send + Sync {
    /// Series matching every matcher (a missing label matches as ""), with
    /// their samples in `[mint, maxt]` (both included). Series without a
    /// sample in the range may be left out.
    fn select(&self, matchers: &[Matcher], mint: i64, maxt: i64) -> Vec<Series>;

    /// How many samples [`Queryable::select`] would return (or more, never
    /// fewer), counted without copying them: the engine refuses a selection
    /// over its sample limit before it allocates anything for it.
    fn count(&self, matchers: &[Matcher], mint: i64, maxt: i64) -> usize {
        self.select(matchers, mint, maxt)
            .iter()
            .map(|s| s.timestamps.len())
            .sum()
    }
}

/// Series held in memory, sorted by labels.
#[derive(Debug, Clone, Default)]
pub struct MemStorage {
    /// Every series, sorted by labels (selections come out in this
    /// order); behind `Arc`s, so a cloned storage shares the samples.
    pub series: Vec<Arc<Series>>,
}

impl MemStorage {
    /// The series matching every matcher, whatever their samples.
    pub fn matching<'a>(&'a self, matchers: &'a [Matcher]) -> impl Iterator<Item = &'a Series> {
        matching(&self.series, matchers)
    }
}

impl Queryable for MemStorage {
    fn select(&self, matchers: &[Matcher], mint: i64, maxt: i64) -> Vec<Series> {
        select(&self.series, matchers, mint, maxt)
    }

    fn count(&self, matchers: &[Matcher], mint: i64, maxt: i64) -> usize {
        count(&self.series, matchers, mint, maxt)
    }
}

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

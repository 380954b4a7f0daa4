//! Answers recorded live: a recorder that evaluated a dashboard's query on
//! the real Prometheus stores each result series with the expression in the
//! label `understudy_query` (docs/recording-format.md). Replay serves those
//! for exactly that expression, so the dashboard shows what it showed live,
//! and evaluates everything else.

use std::collections::HashMap;

use understudy_promql::{Labels, Queryable, Sample, Series, Value};
use understudy_timeline::ChunkStorage;

use crate::view::ReplayView;

pub use understudy_core::{QUERY_LABEL, RESULT_METRIC};

const STALE_NAN: u64 = 0x7ff0_0000_0000_0002;

/// The recorded answers, by normalized expression, their series without
/// the query label.
#[derive(Debug, Default)]
pub struct Recorded {
    by_query: HashMap<String, ChunkStorage>,
}

/// One spelling per expression: `sum by(pod)(x)` and `sum by (pod) (x)` are
/// the same query.
fn normalize(query: &str) -> String {
    // understudy_promql's printer, not the parser's: it refuses nesting the
    // stack cannot hold, and a panic in the generated parser (`a[11e308]`,
    // issue 16) is an error there, not the end of the query thread.
    understudy_promql::format_query(query).unwrap_or_else(|_| query.trim().to_owned())
}

impl Recorded {
    /// The answers among `series` (those carrying `understudy_query`), by
    /// expression; the other series are left out.
    pub fn new(series: impl IntoIterator<Item = Series>) -> Recorded {
        let mut by_query: HashMap<String, Vec<Series>> = HashMap::new();
        for s in series {
            if let Some((query, stored)) = answer(s) {
                by_query.entry(query).or_default().push(stored);
            }
        }
        Recorded {
            by_query: by_query
                .into_iter()
                .map(|(q, s)| (q, ChunkStorage::new(s)))
                .collect(),
        }
    }

    /// Number of distinct expressions recorded.
    pub fn len(&self) -> usize {
        self.by_query.len()
    }

    /// Whether no answer was recorded.
    pub fn is_empty(&self) -> bool {
        self.by_query.is_empty()
    }

    /// The recorded answers of `query`, if it was recorded.
    pub fn find(&self, query: &str) -> Option<&ChunkStorage> {
        self.by_query.get(&normalize(query))
    }
}

/// A recorded answer's expression (normalized) and its series without the
/// query label; `None` for any other series.
fn answer(series: Series) -> Option<(String, Series)> {
    let query = series.labels.get(QUERY_LABEL)?.to_owned();
    let labels = Labels::new(
        series
            .labels
            .0
            .into_iter()
            .filter(|(k, v)| k != QUERY_LABEL && !(k == "__name__" && v == RESULT_METRIC)),
    );
    let stored = Series { labels, ..series };
    Some((normalize(&query), stored))
}

/// The recorded value of each series at `t`: its latest sample in the
/// lookback window, as an instant selector would see it.
fn at(series: &[Series], t: i64, lookback_ms: i64) -> Vec<Sample> {
    series
        .iter()
        .filter_map(|s| {
            let i = s.timestamps.partition_point(|&x| x <= t);
            let j = i.checked_sub(1)?;
            let (ts, v) = (s.timestamps[j], s.values[j]);
            (ts >= t - lookback_ms && v.to_bits() != STALE_NAN).then(|| Sample {
                labels: s.labels.clone(),
                t,
                v,
            })
        })
        .collect()
}

/// An instant query answered from one expression's recorded answers
/// (`view` over them): each series' latest sample at most `lookback_ms`
/// before `t` (display ms), stale markers skipped.
pub fn instant(view: &ReplayView<'_>, t: i64, lookback_ms: i64) -> Value {
    let series = view.select(&[], t - lookback_ms, t);
    Value::Vector(at(&series, t, lookback_ms))
}

/// A range query answered from one expression's recorded answers, as
/// [`instant`] at every step from `start` to `end` (display ms).
pub fn range(view: &ReplayView<'_>, start: i64, end: i64, step: i64, lookback_ms: i64) -> Value {
    let series = view.select(&[], start - lookback_ms, end);
    let mut out: Vec<Series> = series
        .iter()
        .map(|s| Series {
            labels: s.labels.clone(),
            timestamps: Vec::new(),
            values: Vec::new(),
        })
        .collect();
    let mut t = start;
    while t <= end {
        for (o, s) in out.iter_mut().zip(&series) {
            if let Some(p) = at(std::slice::from_ref(s), t, lookback_ms).pop() {
                o.timestamps.push(p.t);
                o.values.push(p.v);
            }
        }
        t += step;
    }
    out.retain(|s| !s.timestamps.is_empty());
    out.sort_by(|a, b| a.labels.cmp(&b.labels));
    Value::Matrix(out)
}

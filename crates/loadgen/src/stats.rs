//! Counting while a run goes: ack latencies, errors grouped by kind, and
//! the progress the caller sees.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

/// How far a run is, handed to the progress callback about ten times a second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// Messages acknowledged so far (by the server when publishing, to the
    /// server when consuming).
    pub done: u64,
    /// Messages that failed so far.
    pub failed: u64,
    /// What the run aims at, when it has a count.
    pub total: Option<u64>,
    /// Since the first client started.
    pub elapsed: Duration,
}

/// Percentiles of the time from publishing a message to its PubAck, in
/// milliseconds (nearest rank over every acked message).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Latency {
    /// The median, ms.
    pub p50: f64,
    /// The 90th percentile, ms.
    pub p90: f64,
    /// The 99th percentile, ms.
    pub p99: f64,
    /// The slowest ack, ms.
    pub max: f64,
}

impl Latency {
    /// From latencies in microseconds; `None` when there are none.
    pub(crate) fn from_micros(mut v: Vec<u32>) -> Option<Latency> {
        if v.is_empty() {
            return None;
        }
        v.sort_unstable();
        let at = |q: f64| {
            let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
            f64::from(v[rank - 1]) / 1000.0
        };
        Some(Latency {
            p50: at(0.50),
            p90: at(0.90),
            p99: at(0.99),
            max: at(1.0),
        })
    }
}

/// Failures of one kind: how many, and the first few messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorGroup {
    /// A stable name: `timed_out`, `no_stream`, `broken_pipe`, …
    pub kind: String,
    /// Failures of this kind in the whole run.
    pub count: u64,
    /// Up to three messages, as they first came.
    pub first: Vec<String>,
}

const EXAMPLES: usize = 3;

/// Errors by kind, kept per client and merged at the end.
#[derive(Debug, Default)]
pub(crate) struct ErrorLog(BTreeMap<&'static str, (u64, Vec<String>)>);

impl ErrorLog {
    pub fn add(&mut self, kind: &'static str, message: impl FnOnce() -> String) {
        let e = self.0.entry(kind).or_default();
        e.0 += 1;
        if e.1.len() < EXAMPLES {
            e.1.push(message());
        }
    }

    pub fn merge(&mut self, other: ErrorLog) {
        for (kind, (count, first)) in other.0 {
            let e = self.0.entry(kind).or_default();
            e.0 += count;
            let room = EXAMPLES.saturating_sub(e.1.len());
            e.1.extend(first.into_iter().take(room));
        }
    }

    /// Most frequent first.
    pub fn groups(self) -> Vec<ErrorGroup> {
        let mut g: Vec<ErrorGroup> = self
            .0
            .into_iter()
            .map(|(kind, (count, first))| ErrorGroup {
                kind: kind.to_owned(),
                count,
                first,
            })
            .collect();
        g.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.kind.cmp(&b.kind)));
        g
    }
}

/// Microseconds, saturating at u32::MAX (71 minutes).
pub(crate) fn micros(d: Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let l = Latency::from_micros((1..=100).map(|i| i * 1000).collect());
        assert_eq!(
            l,
            Some(Latency {
                p50: 50.0,
                p90: 90.0,
                p99: 99.0,
                max: 100.0
            })
        );
        assert_eq!(Latency::from_micros(vec![]), None);
        assert_eq!(Latency::from_micros(vec![1500]).map(|l| l.p50), Some(1.5));
    }

    #[test]
    fn errors_group_by_kind_most_frequent_first() {
        let mut a = ErrorLog::default();
        for i in 0..5 {
            a.add("timed_out", || format!("t{i}"));
        }
        let mut b = ErrorLog::default();
        b.add("no_stream", || "n".into());
        b.add("timed_out", || "late".into());
        a.merge(b);
        let g = a.groups();
        assert_eq!(g[0].kind, "timed_out");
        assert_eq!(g[0].count, 6);
        assert_eq!(g[0].first, ["t0", "t1", "t2"]);
        assert_eq!(g[1].kind, "no_stream");
    }
}

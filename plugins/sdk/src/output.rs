//! Helpers for the common shapes of KPI code: joining two inputs on labels,
//! and collecting outputs the host will accept.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use crate::types::{Batch, Labels, OutputSeries, Series};

/// One output series being collected: metric, labels, points as added.
type Collected = (String, Labels, Vec<(i64, f64)>);

/// Collects output points by `(metric, labels)` and drops the ones the host
/// would reject: timestamps outside the batch's window and non-finite values.
/// Labels are sorted by name; a second point at the same timestamp replaces
/// the first, so every series comes out strictly ascending.
#[derive(Debug, Clone)]
pub struct OutputSet {
    window_start: i64,
    window_end: i64,
    /// Every series with its points in the order added.
    series: Vec<Collected>,
    /// metric → labels → index into `series`. Nested rather than keyed by
    /// `(metric, labels)` so that a lookup borrows and only a new series
    /// allocates, and hashed rather than ordered because in wasm every
    /// string comparison is a byte loop: per-point clones and tree walks
    /// cost several times the KPI itself. Ordering happens once, in
    /// `into_series`.
    index: HashMap<String, HashMap<Labels, usize>>,
    /// The series of the previous `add`: KPIs emit a series' points in a
    /// row, and one comparison is cheaper than two hashes.
    last: usize,
    dropped: usize,
}

impl OutputSet {
    pub fn new(batch: &Batch) -> OutputSet {
        OutputSet {
            window_start: batch.window_start,
            window_end: batch.window_end,
            series: Vec::new(),
            index: HashMap::new(),
            last: usize::MAX,
            dropped: 0,
        }
    }

    /// Adds a point; `false` (and counted in [`OutputSet::dropped`]) when it
    /// lies outside the window or is NaN/±Inf.
    pub fn add(&mut self, metric: &str, labels: &Labels, timestamp: i64, value: f64) -> bool {
        if !(self.window_start..=self.window_end).contains(&timestamp) || !value.is_finite() {
            self.dropped += 1;
            return false;
        }
        if let Some((m, l, points)) = self.series.get_mut(self.last)
            && m == metric
            && l == labels
        {
            points.push((timestamp, value));
            return true;
        }
        let by_labels = match self.index.get_mut(metric) {
            Some(by_labels) => by_labels,
            None => self.index.entry(metric.to_owned()).or_default(),
        };
        let sorted;
        let labels = if labels.is_sorted() {
            labels
        } else {
            let mut copy = labels.clone();
            copy.sort();
            sorted = copy;
            &sorted
        };
        let i = match by_labels.get(labels) {
            Some(&i) => i,
            None => {
                let i = self.series.len();
                by_labels.insert(labels.clone(), i);
                self.series
                    .push((metric.to_owned(), labels.clone(), Vec::new()));
                i
            }
        };
        self.series[i].2.push((timestamp, value));
        self.last = i;
        true
    }

    /// Points refused by [`OutputSet::add`] so far.
    pub fn dropped(&self) -> usize {
        self.dropped
    }

    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    /// The series, ordered by metric then labels.
    pub fn into_series(self) -> Vec<OutputSeries> {
        let mut out: Vec<OutputSeries> = self
            .series
            .into_iter()
            .map(|(metric, labels, points)| {
                let (timestamps, values) = last_per_timestamp(points).into_iter().unzip();
                OutputSeries {
                    metric,
                    labels,
                    timestamps,
                    values,
                }
            })
            .collect();
        out.sort_unstable_by(|a, b| (&a.metric, &a.labels).cmp(&(&b.metric, &b.labels)));
        out
    }
}

/// `points` sorted by timestamp, keeping the last one added at each
/// timestamp (the stable sort keeps equal timestamps in the order added).
fn last_per_timestamp(mut points: Vec<(i64, f64)>) -> Vec<(i64, f64)> {
    if !points.is_sorted_by(|a, b| a.0 < b.0) {
        points.sort_by_key(|&(t, _)| t);
        points.reverse();
        points.dedup_by_key(|&mut (t, _)| t);
        points.reverse();
    }
    points
}

/// One matched pair of [`join`].
#[derive(Debug, Clone, PartialEq)]
pub struct Joined {
    /// The `by` labels, sorted by name; shared by all points of one series
    /// (cloning them per point cost more than the KPI itself).
    pub labels: Rc<Labels>,
    pub timestamp: i64,
    pub left: f64,
    pub right: f64,
}

/// Inner join of two inputs on the labels `by` and the timestamp, like a
/// PromQL `left / on(by) right` per step. Series missing a `by` label and
/// non-finite values are skipped; when a label set occurs more than once on
/// one side (the queries' `sum by` prevents that), its first series is used.
pub fn join(left: &[Series], right: &[Series], by: &[&str]) -> Vec<Joined> {
    // Right-hand points sorted by timestamp (first value wins on a repeated
    // timestamp), so each left point is one binary search away.
    let mut right_by_key: HashMap<Labels, Vec<(i64, f64)>> = HashMap::new();
    for series in right {
        let Some(key) = series.label_set(by) else {
            continue;
        };
        if let Entry::Vacant(e) = right_by_key.entry(key) {
            let mut points: Vec<(i64, f64)> =
                series.points().filter(|(_, v)| v.is_finite()).collect();
            points.sort_by_key(|&(t, _)| t);
            points.dedup_by_key(|&mut (t, _)| t);
            e.insert(points);
        }
    }

    let mut out = Vec::new();
    // A set, not a list: with a thousand pods a linear `contains` made the
    // join quadratic and dominated the plugin's running time.
    let mut left_seen: HashSet<Labels> = HashSet::new();
    for series in left {
        let Some(key) = series.label_set(by) else {
            continue;
        };
        let Some(right_points) = right_by_key.get(&key) else {
            continue;
        };
        if left_seen.contains(&key) {
            continue;
        }
        left_seen.insert(key.clone());
        let shared = Rc::new(key);
        for (t, l) in series.points().filter(|(_, v)| v.is_finite()) {
            if let Ok(i) = right_points.binary_search_by_key(&t, |&(t, _)| t) {
                let r = right_points[i].1;
                out.push(Joined {
                    labels: Rc::clone(&shared),
                    timestamp: t,
                    left: l,
                    right: r,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(n, v)| ((*n).into(), (*v).into()))
            .collect()
    }

    #[test]
    fn output_set_keeps_the_window_and_finite_values() {
        let batch = Batch::new(1_000, 2_000);
        let mut out = OutputSet::new(&batch);
        let l = labels(&[("pod", "a"), ("namespace", "ns")]);
        assert!(out.add("m", &l, 1_000, 1.0));
        assert!(out.add("m", &l, 2_000, 2.0));
        assert!(out.add("m", &l, 1_500, 3.0));
        assert!(out.add("m", &l, 1_500, 4.0)); // replaces 3.0
        assert!(!out.add("m", &l, 999, 1.0));
        assert!(!out.add("m", &l, 2_001, 1.0));
        assert!(!out.add("m", &l, 1_200, f64::NAN));
        assert!(!out.add("m", &l, 1_200, f64::INFINITY));
        assert_eq!(out.dropped(), 4);
        let series = out.into_series();
        assert_eq!(series.len(), 1);
        assert_eq!(
            series[0].labels,
            labels(&[("namespace", "ns"), ("pod", "a")])
        );
        assert_eq!(series[0].timestamps, vec![1_000, 1_500, 2_000]);
        assert_eq!(series[0].values, vec![1.0, 4.0, 2.0]);
    }

    #[test]
    fn join_matches_labels_and_timestamps() {
        let left = vec![
            Series::new(
                &[("pod", "a"), ("namespace", "ns")],
                &[(1, 10.0), (2, 20.0), (3, f64::NAN)],
            ),
            Series::new(&[("namespace", "ns")], &[(1, 5.0)]), // no pod: skipped
            Series::new(&[("pod", "b"), ("namespace", "ns")], &[(1, 1.0)]), // no partner
        ];
        let right = vec![
            Series::new(
                &[("namespace", "ns"), ("pod", "a")],
                &[(2, 4.0), (3, 1.0), (4, 1.0)],
            ),
            Series::new(&[("namespace", "ns"), ("pod", "a")], &[(1, 99.0)]), // duplicate key: ignored
        ];
        let joined = join(&left, &right, &["namespace", "pod"]);
        assert_eq!(
            joined,
            vec![Joined {
                labels: Rc::new(labels(&[("namespace", "ns"), ("pod", "a")])),
                timestamp: 2,
                left: 20.0,
                right: 4.0
            }]
        );
    }

    #[test]
    fn join_of_empty_or_malformed_inputs_is_empty() {
        assert!(join(&[], &[], &["pod"]).is_empty());
        let lopsided = Series {
            labels: labels(&[("pod", "a")]),
            timestamps: vec![1, 2, 3],
            values: vec![1.0],
        };
        let right = vec![Series::new(&[("pod", "a")], &[(1, 2.0), (2, 2.0)])];
        let joined = join(&[lopsided], &right, &["pod"]);
        assert_eq!(joined.len(), 1);
    }
}

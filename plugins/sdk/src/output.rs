//! Helpers for the common shapes of KPI code: joining two inputs on labels,
//! and collecting outputs the host will accept.

use std::borrow::Cow;
use std::collections::hash_map::Entry;

use crate::batch::{Batch, Series};
use crate::labels::{LabelMap, LabelSet};
use crate::types::OutputSeries;

/// One output series being collected.
#[derive(Debug, Clone)]
struct Collected {
    /// The name as first added (see `same_str`).
    metric: &'static str,
    labels: LabelSet,
    timestamps: Vec<i64>,
    values: Vec<f64>,
    /// Whether the timestamps are strictly ascending so far.
    ascending: bool,
}

/// Collects output points by `(metric, labels)` and drops the ones the host
/// would reject: timestamps outside the batch's window and non-finite values.
/// A second point at the same timestamp replaces the first, so every series
/// comes out strictly ascending.
#[derive(Debug, Clone)]
pub struct OutputSet {
    window_start: i64,
    window_end: i64,
    series: Vec<Collected>,
    /// Metric name → label set → index into `series`. A list, not a map:
    /// a KPI has a metric or two, and comparing a name (usually just its
    /// address) is cheaper than hashing it.
    metrics: Vec<(&'static str, LabelMap<usize>)>,
    /// The series of the previous `add`: KPIs emit a series' points in a
    /// row, and two pointer comparisons are cheaper than a lookup.
    last: usize,
    /// Points of the series created last: the capacity of the next one
    /// (the series of one batch tend to have the same length).
    capacity_hint: usize,
    /// Input series in the batch: how many output series to expect.
    series_hint: usize,
    dropped: usize,
}

impl OutputSet {
    /// An empty set for outputs of `batch` (inside its window).
    pub fn new(batch: &Batch) -> OutputSet {
        let mut out = OutputSet::for_window(batch.window_start, batch.window_end);
        out.series_hint = batch.series_count();
        out
    }

    /// An empty set for outputs inside `[window_start, window_end]`.
    pub fn for_window(window_start: i64, window_end: i64) -> OutputSet {
        OutputSet {
            window_start,
            window_end,
            series: Vec::new(),
            metrics: Vec::new(),
            last: usize::MAX,
            capacity_hint: 0,
            series_hint: 0,
            dropped: 0,
        }
    }

    /// Adds a point; `false` (and counted in [`OutputSet::dropped`]) when it
    /// lies outside the window or is NaN/±Inf.
    ///
    /// `metric` is `'static` because metric names are constants (declared
    /// in `describe()`), which lets a lookup compare addresses instead of
    /// bytes; a name built at run time can be leaked once in `open`
    /// (`Box::leak(name.into_boxed_str())`).
    #[inline]
    pub fn add(
        &mut self,
        metric: &'static str,
        labels: &LabelSet,
        timestamp: i64,
        value: f64,
    ) -> bool {
        if !(self.window_start..=self.window_end).contains(&timestamp) || !value.is_finite() {
            self.dropped += 1;
            return false;
        }
        // Inlined into the KPI's loop: the point goes to the series of the
        // previous one, recognised by addresses alone.
        if let Some(c) = self.series.get_mut(self.last)
            && c.labels.ptr_eq(labels)
            && std::ptr::eq(c.metric, metric)
        {
            c.push(timestamp, value);
            return true;
        }
        self.add_to_other_series(metric, labels, timestamp, value);
        true
    }

    #[inline(never)]
    fn add_to_other_series(
        &mut self,
        metric: &'static str,
        labels: &LabelSet,
        timestamp: i64,
        value: f64,
    ) {
        let i = self.index(metric, labels);
        self.series[i].push(timestamp, value);
        self.last = i;
    }

    /// A writer for the series `(metric, labels)`: for a KPI that computes
    /// a whole series at a time, it adds points without finding the series
    /// again for each one. Same rules as [`OutputSet::add`].
    pub fn series(&mut self, metric: &'static str, labels: &LabelSet) -> SeriesWriter<'_> {
        let i = self.index(metric, labels);
        self.last = i;
        SeriesWriter {
            window_start: self.window_start,
            window_end: self.window_end,
            series: &mut self.series[i],
            dropped: &mut self.dropped,
        }
    }

    /// The index in `series` of `(metric, labels)`, created if new.
    fn index(&mut self, metric: &'static str, labels: &LabelSet) -> usize {
        let m = match self.metrics.iter().position(|(m, _)| same_str(m, metric)) {
            Some(m) => m,
            None => {
                let mut by_labels = LabelMap::default();
                by_labels.reserve(self.series_hint);
                self.metrics.push((metric, by_labels));
                if self.series.is_empty() {
                    self.series.reserve(self.series_hint);
                }
                self.metrics.len() - 1
            }
        };
        match self.metrics[m].1.entry(labels.clone()) {
            Entry::Occupied(e) => *e.get(),
            Entry::Vacant(e) => {
                let i = self.series.len();
                e.insert(i);
                if let Some(c) = self.series.get(self.last) {
                    self.capacity_hint = c.timestamps.len();
                }
                self.series.push(Collected {
                    metric: self.metrics[m].0,
                    labels: labels.clone(),
                    timestamps: Vec::with_capacity(self.capacity_hint),
                    values: Vec::with_capacity(self.capacity_hint),
                    ascending: true,
                });
                i
            }
        }
    }

    /// Points refused by [`OutputSet::add`] so far.
    pub fn dropped(&self) -> usize {
        self.dropped
    }

    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    /// The series, in the order they were first used; a series that got no
    /// point (a [`SeriesWriter`] whose points were all dropped) is left out.
    pub fn into_series(self) -> Vec<OutputSeries> {
        self.series
            .into_iter()
            .filter(|c| !c.timestamps.is_empty())
            .map(|mut c| {
                if !c.ascending {
                    last_per_timestamp(&mut c.timestamps, &mut c.values);
                }
                OutputSeries {
                    metric: Cow::Borrowed(c.metric),
                    labels: c.labels,
                    timestamps: c.timestamps,
                    values: c.values,
                }
            })
            .collect()
    }
}

/// Adds points to one series of an [`OutputSet`] (see [`OutputSet::series`]).
#[derive(Debug)]
pub struct SeriesWriter<'s> {
    window_start: i64,
    window_end: i64,
    series: &'s mut Collected,
    dropped: &'s mut usize,
}

impl SeriesWriter<'_> {
    /// Adds a point; `false` (and counted as dropped) when it lies outside
    /// the window or is NaN/±Inf.
    #[inline]
    pub fn add(&mut self, timestamp: i64, value: f64) -> bool {
        if !(self.window_start..=self.window_end).contains(&timestamp) || !value.is_finite() {
            *self.dropped += 1;
            return false;
        }
        self.series.push(timestamp, value);
        true
    }
}

impl Collected {
    #[inline(always)]
    fn push(&mut self, timestamp: i64, value: f64) {
        if self.timestamps.last().is_some_and(|&t| t >= timestamp) {
            self.ascending = false;
        }
        self.timestamps.push(timestamp);
        self.values.push(value);
    }
}

/// Equal strings, trying the address first: static strings are never
/// freed, so the same address and length mean the same bytes.
fn same_str(a: &'static str, b: &'static str) -> bool {
    (a.len() == b.len() && std::ptr::eq(a.as_ptr(), b.as_ptr())) || a == b
}

/// Sorts the points by timestamp, keeping the last one added at each
/// timestamp (the stable sort keeps equal timestamps in the order added).
fn last_per_timestamp(timestamps: &mut Vec<i64>, values: &mut Vec<f64>) {
    let mut points: Vec<(i64, f64)> = timestamps
        .iter()
        .copied()
        .zip(values.iter().copied())
        .collect();
    points.sort_by_key(|&(t, _)| t);
    points.reverse();
    points.dedup_by_key(|&mut (t, _)| t);
    points.reverse();
    timestamps.clear();
    values.clear();
    for (t, v) in points {
        timestamps.push(t);
        values.push(v);
    }
}

/// Two series, one of each input of a [`join_series`], with the same `by`
/// labels.
#[derive(Debug, Clone)]
pub struct SeriesPair<'a> {
    /// The `by` labels, sorted by name.
    pub labels: LabelSet,
    pub left: Series<'a>,
    pub right: Series<'a>,
}

impl<'a> SeriesPair<'a> {
    /// `(timestamp, left, right)` at every timestamp both series have,
    /// ascending; non-finite values are skipped, and at a timestamp the
    /// right series repeats its first finite value is used.
    pub fn common(&self) -> Common<'a> {
        Common {
            left: self.left,
            right: self.right,
            i: 0,
            j: 0,
        }
    }
}

/// The pairs of series of two inputs that have the same labels `by`, like
/// the series a PromQL `left / on(by) right` matches, in left order. Series
/// missing a `by` label are skipped; when a label set occurs more than once
/// on one side (the queries' `sum by` prevents that), its first series is
/// used. For KPIs that work series by series: see [`SeriesPair::common`]
/// and [`OutputSet::series`].
pub fn join_series<'a>(
    left: impl IntoIterator<Item = Series<'a>>,
    right: impl IntoIterator<Item = Series<'a>>,
    by: &[&str],
) -> Vec<SeriesPair<'a>> {
    let mut right_by_key: LabelMap<Series<'a>> = LabelMap::default();
    for series in right {
        if let Some(key) = series.label_set(by) {
            right_by_key.entry(key).or_insert(series);
        }
    }
    let mut pairs = Vec::with_capacity(right_by_key.len());
    if !right_by_key.is_empty() {
        for series in left {
            let Some(key) = series.label_set(by) else {
                continue;
            };
            // Taking the right series out makes a repeated left key miss.
            if let Some(right) = right_by_key.remove(&key) {
                pairs.push(SeriesPair {
                    labels: key,
                    left: series,
                    right,
                });
            }
        }
    }
    pairs
}

/// Inner join of two inputs on the labels `by` and the timestamp, point by
/// point: [`join_series`] and [`SeriesPair::common`] in one iterator, in
/// left order and ascending in time within a pair.
pub fn join<'a>(
    left: impl IntoIterator<Item = Series<'a>>,
    right: impl IntoIterator<Item = Series<'a>>,
    by: &[&str],
) -> Join<'a> {
    Join {
        pairs: join_series(left, right, by).into_iter(),
        current: None,
    }
}

/// One matched pair of [`join`].
#[derive(Debug, Clone, PartialEq)]
pub struct Joined {
    /// The `by` labels, sorted by name: one handle shared by all points of
    /// one series.
    pub labels: LabelSet,
    pub timestamp: i64,
    pub left: f64,
    pub right: f64,
}

/// The iterator [`join`] returns.
#[derive(Debug)]
pub struct Join<'a> {
    pairs: std::vec::IntoIter<SeriesPair<'a>>,
    current: Option<(LabelSet, Common<'a>)>,
}

impl Iterator for Join<'_> {
    type Item = Joined;

    #[inline]
    fn next(&mut self) -> Option<Joined> {
        loop {
            if let Some((labels, common)) = &mut self.current
                && let Some((timestamp, left, right)) = common.next()
            {
                return Some(Joined {
                    labels: labels.clone(),
                    timestamp,
                    left,
                    right,
                });
            }
            let pair = self.pairs.next()?;
            let common = pair.common();
            self.current = Some((pair.labels, common));
        }
    }
}

/// The iterator [`SeriesPair::common`] returns: a merge of two ascending
/// series.
#[derive(Debug, Clone)]
pub struct Common<'a> {
    left: Series<'a>,
    right: Series<'a>,
    /// Next left point.
    i: usize,
    /// First right point not before the last left timestamp.
    j: usize,
}

impl Iterator for Common<'_> {
    type Item = (i64, f64, f64);

    #[inline]
    fn next(&mut self) -> Option<(i64, f64, f64)> {
        let (lt, lv) = (self.left.timestamps, self.left.values);
        let (rt, rv) = (self.right.timestamps, self.right.values);
        let ln = lt.len().min(lv.len());
        let rn = rt.len().min(rv.len());
        while self.i < ln {
            let (t, l) = (lt[self.i], lv[self.i]);
            self.i += 1;
            if !l.is_finite() {
                continue;
            }
            while self.j < rn && rt[self.j] < t {
                self.j += 1;
            }
            // The first finite right value at `t`.
            let mut k = self.j;
            while k < rn && rt[k] == t {
                if rv[k].is_finite() {
                    return Some((t, l, rv[k]));
                }
                k += 1;
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::OwnedSeries;

    #[test]
    fn output_set_keeps_the_window_and_finite_values() {
        let batch = Batch::new(1_000, 2_000);
        let mut out = OutputSet::new(&batch);
        let l = LabelSet::from_pairs(&[("pod", "a"), ("namespace", "ns")]);
        let other = LabelSet::from_pairs(&[("pod", "b")]);
        assert!(out.add("m", &l, 1_000, 1.0));
        assert!(out.add("m", &l, 2_000, 2.0));
        assert!(out.add("n", &other, 1_000, 9.0));
        assert!(out.add("m", &l, 1_500, 3.0));
        assert!(out.add(
            "m",
            &l.project(&["pod", "namespace"]).expect("same"),
            1_500,
            4.0
        )); // replaces 3.0
        assert!(out.add(
            "m",
            &LabelSet::from_pairs(&[("namespace", "ns"), ("pod", "a")]),
            1_600,
            5.0
        ));
        assert!(!out.add("m", &l, 999, 1.0));
        assert!(!out.add("m", &l, 2_001, 1.0));
        assert!(!out.add("m", &l, 1_200, f64::NAN));
        assert!(!out.add("m", &l, 1_200, f64::INFINITY));
        assert_eq!(out.dropped(), 4);
        let series = out.into_series();
        assert_eq!(series.len(), 2);
        assert_eq!(series[0].metric, "m");
        assert_eq!(
            series[0].labels,
            LabelSet::from_pairs(&[("namespace", "ns"), ("pod", "a")])
        );
        assert_eq!(series[0].timestamps, vec![1_000, 1_500, 1_600, 2_000]);
        assert_eq!(series[0].values, vec![1.0, 4.0, 5.0, 2.0]);
        assert_eq!(series[1].metric, "n");
        assert_eq!(series[1].values, vec![9.0]);
    }

    #[test]
    fn join_matches_labels_and_timestamps() {
        let batch = Batch::new(0, 10)
            .with_input(
                "left",
                vec![
                    OwnedSeries::new(
                        &[("pod", "a"), ("namespace", "ns")],
                        &[(1, 10.0), (2, 20.0), (3, f64::NAN)],
                    ),
                    OwnedSeries::new(&[("namespace", "ns")], &[(1, 5.0)]), // no pod: skipped
                    OwnedSeries::new(&[("pod", "b"), ("namespace", "ns")], &[(1, 1.0)]), // no partner
                    OwnedSeries::new(
                        &[("pod", "a"), ("namespace", "ns"), ("x", "y")],
                        &[(2, 7.0)],
                    ), // duplicate key: ignored
                ],
            )
            .with_input(
                "right",
                vec![
                    OwnedSeries::new(
                        &[("namespace", "ns"), ("pod", "a")],
                        &[(2, f64::NAN), (2, 4.0), (2, 5.0), (3, 1.0), (4, 1.0)],
                    ),
                    OwnedSeries::new(
                        &[("namespace", "ns"), ("pod", "a"), ("z", "1")],
                        &[(1, 99.0)],
                    ), // duplicate key: ignored
                ],
            );
        let joined: Vec<Joined> = join(
            batch.series("left").expect("left"),
            batch.series("right").expect("right"),
            &["namespace", "pod"],
        )
        .collect();
        assert_eq!(
            joined,
            vec![Joined {
                labels: LabelSet::from_pairs(&[("namespace", "ns"), ("pod", "a")]),
                timestamp: 2,
                left: 20.0,
                right: 4.0
            }]
        );
    }

    #[test]
    fn join_pairs_repeated_left_timestamps_and_many_series() {
        let batch = Batch::new(0, 10)
            .with_input(
                "l",
                vec![
                    OwnedSeries::new(&[("pod", "a")], &[(1, 1.0), (1, 2.0), (5, 3.0)]),
                    OwnedSeries::new(&[("pod", "b")], &[(1, 4.0), (9, 5.0)]),
                ],
            )
            .with_input(
                "r",
                vec![
                    OwnedSeries::new(&[("pod", "b")], &[(0, 1.0), (9, 2.0)]),
                    OwnedSeries::new(&[("pod", "a")], &[(1, 10.0), (5, 30.0)]),
                ],
            );
        let joined: Vec<(i64, f64, f64)> = join(
            batch.series("l").expect("l"),
            batch.series("r").expect("r"),
            &["pod"],
        )
        .map(|j| (j.timestamp, j.left, j.right))
        .collect();
        assert_eq!(
            joined,
            vec![
                (1, 1.0, 10.0),
                (1, 2.0, 10.0),
                (5, 3.0, 30.0),
                (9, 5.0, 2.0)
            ]
        );
    }

    #[test]
    fn series_pairs_and_writers_give_what_join_and_add_give() {
        let batch = Batch::new(0, 10)
            .with_input(
                "l",
                vec![
                    OwnedSeries::new(&[("pod", "a")], &[(1, 1.0), (5, 3.0), (11, 1.0)]),
                    OwnedSeries::new(&[("pod", "b")], &[(1, 4.0), (9, f64::NAN)]),
                ],
            )
            .with_input(
                "r",
                vec![
                    OwnedSeries::new(&[("pod", "b")], &[(1, 1.0), (9, 2.0)]),
                    OwnedSeries::new(&[("pod", "a")], &[(1, 0.0), (5, 30.0), (11, 1.0)]),
                ],
            );
        let (l, r) = (
            || batch.series("l").expect("l"),
            || batch.series("r").expect("r"),
        );
        let mut by_point = OutputSet::new(&batch);
        for j in join(l(), r(), &["pod"]) {
            by_point.add("m", &j.labels, j.timestamp, j.left / j.right);
        }
        let mut by_series = OutputSet::new(&batch);
        let pairs = join_series(l(), r(), &["pod"]);
        assert_eq!(pairs.len(), 2);
        for pair in &pairs {
            let mut w = by_series.series("m", &pair.labels);
            for (t, left, right) in pair.common() {
                w.add(t, left / right);
            }
        }
        // 1/0 is infinite and 11 lies outside the window: both dropped.
        assert_eq!((by_point.dropped(), by_series.dropped()), (2, 2));
        let (a, b) = (by_point.into_series(), by_series.into_series());
        assert_eq!(a, b);
        assert_eq!(b[0].timestamps, vec![5]);
        assert_eq!(b[1].values, vec![4.0]);
    }

    #[test]
    fn join_of_empty_inputs_is_empty() {
        let batch = Batch::new(0, 1).with_input("x", vec![]);
        let x = || batch.series("x").expect("x");
        assert_eq!(join(x(), x(), &["pod"]).count(), 0);
    }
}

//! Series as columns, the shape of the contract (kpi.wit): a batch's inputs
//! go into the component and its outputs come out without being cut into
//! one vector per series on the host.

use std::sync::Arc;

/// Labels of a series, `(name, value)`.
pub type Labels = Vec<(String, String)>;

/// Series as columns: series `i` has `labels[i]` and the `lengths[i]`
/// points that follow those of series `i - 1` in `timestamps` and `values`
/// (ascending within a series).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SeriesColumns {
    /// Each series' labels, the metric name as `__name__` if it has one.
    pub labels: Vec<Labels>,
    /// Each series' number of points.
    pub lengths: Vec<u32>,
    /// Every point's time, ms since the epoch, series after series.
    pub timestamps: Vec<i64>,
    /// Every point's value, in the order of `timestamps`.
    pub values: Vec<f64>,
}

/// One series of [`SeriesColumns`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeriesRef<'a> {
    /// The series' labels.
    pub labels: &'a Labels,
    /// Its points' times, ms since the epoch, ascending.
    pub timestamps: &'a [i64],
    /// Its points' values, as many as `timestamps`.
    pub values: &'a [f64],
}

/// A series with its own vectors: handy to build [`SeriesColumns`] from.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SeriesData {
    /// The series' labels.
    pub labels: Labels,
    /// Its points' times, ms since the epoch, ascending.
    pub timestamps: Vec<i64>,
    /// Its points' values; extra ones beyond `timestamps` are dropped.
    pub values: Vec<f64>,
}

impl SeriesColumns {
    /// Appends a series; the shorter of `timestamps` and `values` decides
    /// how many points it has.
    pub fn push(&mut self, labels: Labels, timestamps: &[i64], values: &[f64]) {
        let n = timestamps.len().min(values.len()).min(u32::MAX as usize);
        self.labels.push(labels);
        // `n` fits: it is capped at u32::MAX above.
        self.lengths.push(u32::try_from(n).unwrap_or(u32::MAX));
        self.timestamps.extend_from_slice(&timestamps[..n]);
        self.values.extend_from_slice(&values[..n]);
    }

    /// Number of series.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there is no series.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The series in order. Stops at the first series whose points the
    /// columns do not hold (a malformed value built by hand), never panics.
    pub fn iter(&self) -> impl Iterator<Item = SeriesRef<'_>> {
        slices(&self.lengths, &self.timestamps, &self.values)
            .zip(&self.labels)
            .map(|((timestamps, values), labels)| SeriesRef {
                labels,
                timestamps,
                values,
            })
    }

    /// Whether the columns add up (one length per label set, as many
    /// timestamps and values as the lengths say) and every series' timestamps
    /// ascend, as kpi.wit promises plugins.
    pub(crate) fn check(&self) -> Result<(), String> {
        let points: u64 = self.lengths.iter().map(|&l| u64::from(l)).sum();
        if self.labels.len() != self.lengths.len()
            || points != self.timestamps.len() as u64
            || points != self.values.len() as u64
        {
            return Err(format!(
                "{} label sets, {} lengths adding up to {points}, {} timestamps, {} values",
                self.labels.len(),
                self.lengths.len(),
                self.timestamps.len(),
                self.values.len()
            ));
        }
        for (i, s) in self.iter().enumerate() {
            if let Some(w) = s.timestamps.windows(2).find(|w| w[1] < w[0]) {
                return Err(format!(
                    "series {i} {:?}: timestamps out of order ({} after {})",
                    s.labels, w[1], w[0]
                ));
            }
        }
        Ok(())
    }
}

impl From<Vec<SeriesData>> for SeriesColumns {
    fn from(series: Vec<SeriesData>) -> SeriesColumns {
        series.into_iter().collect()
    }
}

impl FromIterator<SeriesData> for SeriesColumns {
    fn from_iter<I: IntoIterator<Item = SeriesData>>(series: I) -> SeriesColumns {
        let mut columns = SeriesColumns::default();
        for s in series {
            columns.push(s.labels, &s.timestamps, &s.values);
        }
        columns
    }
}

/// `(timestamps, values)` of each series, by `lengths`.
fn slices<'a>(
    lengths: &'a [u32],
    timestamps: &'a [i64],
    values: &'a [f64],
) -> impl Iterator<Item = (&'a [i64], &'a [f64])> {
    let mut at = 0usize;
    lengths.iter().map_while(move |&n| {
        let range = at..at.checked_add(n as usize)?;
        at = range.end;
        Some((timestamps.get(range.clone())?, values.get(range)?))
    })
}

/// The validated series of one output metric, as the plugin returned them.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputColumns {
    /// The metric, as [`crate::OutputSpec::name`] declared it.
    pub metric: Arc<str>,
    /// One per series; shared with every other result of the instance that
    /// has the same series, so a live tick copies no strings.
    pub labels: Vec<Arc<Labels>>,
    /// Each series' number of points.
    pub lengths: Vec<u32>,
    /// Every point's time, ms since the epoch, inside the pushed window
    /// and strictly increasing within a series.
    pub timestamps: Vec<i64>,
    /// Every point's value (any `f64`, NaN included).
    pub values: Vec<f64>,
}

/// One series of [`Outputs`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OutputRef<'a> {
    /// The metric name.
    pub metric: &'a Arc<str>,
    /// The series' labels.
    pub labels: &'a Arc<Labels>,
    /// Its points' times, ms since the epoch, strictly increasing.
    pub timestamps: &'a [i64],
    /// Its points' values.
    pub values: &'a [f64],
}

/// What one push or finish returned, validated.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Outputs {
    /// One entry per metric that has series in this result.
    pub metrics: Vec<OutputColumns>,
}

/// An output series with its own vectors (see [`Outputs::into_series`]).
#[derive(Debug, Clone, PartialEq)]
pub struct OutputSeries {
    /// The metric name.
    pub metric: Arc<str>,
    /// The series' labels.
    pub labels: Arc<Labels>,
    /// Its points' times, ms since the epoch, strictly increasing.
    pub timestamps: Vec<i64>,
    /// Its points' values.
    pub values: Vec<f64>,
}

impl Outputs {
    /// Every series, metric by metric.
    pub fn iter(&self) -> impl Iterator<Item = OutputRef<'_>> {
        self.metrics.iter().flat_map(|m| {
            slices(&m.lengths, &m.timestamps, &m.values)
                .zip(&m.labels)
                .map(|((timestamps, values), labels)| OutputRef {
                    metric: &m.metric,
                    labels,
                    timestamps,
                    values,
                })
        })
    }

    /// Number of series.
    pub fn len(&self) -> usize {
        self.metrics.iter().map(|m| m.labels.len()).sum()
    }

    /// Whether the result holds no series.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of samples.
    pub fn samples(&self) -> usize {
        self.metrics.iter().map(|m| m.timestamps.len()).sum()
    }

    /// Every series with its own vectors (copies the points).
    pub fn into_series(self) -> Vec<OutputSeries> {
        self.iter()
            .map(|s| OutputSeries {
                metric: Arc::clone(s.metric),
                labels: Arc::clone(s.labels),
                timestamps: s.timestamps.to_vec(),
                values: s.values.to_vec(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pod: &str) -> Labels {
        vec![("pod".into(), pod.into())]
    }

    #[test]
    fn series_go_in_and_come_out_in_order() {
        let columns: SeriesColumns = vec![
            SeriesData {
                labels: labels("a"),
                timestamps: vec![1, 2],
                values: vec![1.0, 2.0],
            },
            SeriesData {
                labels: labels("b"),
                timestamps: vec![3],
                values: vec![3.0, 99.0],
            },
        ]
        .into();
        assert_eq!(columns.lengths, vec![2, 1], "b is cut to its timestamps");
        assert_eq!(columns.check(), Ok(()));
        let got: Vec<(&str, &[i64], &[f64])> = columns
            .iter()
            .map(|s| (s.labels[0].1.as_str(), s.timestamps, s.values))
            .collect();
        assert_eq!(
            got,
            vec![
                ("a", &[1, 2][..], &[1.0, 2.0][..]),
                ("b", &[3][..], &[3.0][..])
            ]
        );
    }

    #[test]
    fn malformed_columns_are_refused_and_never_overrun() {
        let bad = SeriesColumns {
            labels: vec![labels("a"), labels("b")],
            lengths: vec![1, 5],
            timestamps: vec![1, 2],
            values: vec![1.0, 2.0],
        };
        assert!(bad.check().is_err_and(|m| m.contains("adding up to 6")));
        let mut unordered: SeriesColumns = vec![SeriesData {
            labels: labels("a"),
            timestamps: vec![1, 3, 3, 2],
            values: vec![0.0; 4],
        }]
        .into();
        assert!(
            unordered
                .check()
                .is_err_and(|m| m.contains("series 0") && m.contains("2 after 3"))
        );
        unordered.timestamps[3] = 3;
        assert_eq!(unordered.check(), Ok(()), "equal neighbours are fine");
        assert_eq!(bad.iter().count(), 1);
        let fewer_lengths = SeriesColumns {
            lengths: vec![1],
            ..bad
        };
        assert!(fewer_lengths.check().is_err());
    }

    #[test]
    fn outputs_iterate_metric_by_metric() {
        let m = |name: &str, pods: &[&str]| OutputColumns {
            metric: name.into(),
            labels: pods.iter().map(|p| Arc::new(labels(p))).collect(),
            lengths: pods.iter().map(|_| 1).collect(),
            timestamps: pods.iter().map(|_| 7).collect(),
            values: pods.iter().map(|_| 1.5).collect(),
        };
        let out = Outputs {
            metrics: vec![m("x", &["a", "b"]), m("y", &["a"])],
        };
        assert_eq!((out.len(), out.samples()), (3, 3));
        let series = out.into_series();
        let names: Vec<(&str, &str)> = series
            .iter()
            .map(|s| (&*s.metric, s.labels[0].1.as_str()))
            .collect();
        assert_eq!(names, vec![("x", "a"), ("x", "b"), ("y", "a")]);
        assert_eq!(series[2].timestamps, vec![7]);
    }
}

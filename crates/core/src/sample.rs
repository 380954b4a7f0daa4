use std::sync::Arc;

use crate::{Gap, ObjectRevision, Series};

/// One sample of one series.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The series, shared with every other sample of it.
    pub series: Arc<Series>,
    /// When the value was true, in ms since the epoch, UTC.
    pub timestamp_ms: i64,
    /// The value; NaN and ±Inf are recorded as they are.
    pub value: f64,
}

/// Samples of any number of series, in any order.
///
/// Series are shared through `Arc`, so a source that scrapes the same series
/// every interval builds each `Series` once.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SampleBatch {
    samples: Vec<Sample>,
}

impl SampleBatch {
    /// An empty batch with room for `n` samples.
    pub fn with_capacity(n: usize) -> Self {
        SampleBatch {
            samples: Vec::with_capacity(n),
        }
    }

    /// Adds one sample (`timestamp_ms` in ms since the epoch); the series
    /// is shared, not copied.
    pub fn push(&mut self, series: &Arc<Series>, timestamp_ms: i64, value: f64) {
        self.samples.push(Sample {
            series: Arc::clone(series),
            timestamp_ms,
            value,
        });
    }

    /// How many samples.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// The samples in the order they were pushed.
    pub fn iter(&self) -> std::slice::Iter<'_, Sample> {
        self.samples.iter()
    }
}

impl<'a> IntoIterator for &'a SampleBatch {
    type Item = &'a Sample;
    type IntoIter = std::slice::Iter<'a, Sample>;

    fn into_iter(self) -> Self::IntoIter {
        self.samples.iter()
    }
}

/// What a source hands the recorder in one go.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TimelineBatch {
    /// Samples, in any order.
    pub samples: SampleBatch,
    /// Object revisions and relist markers, in the order observed (the
    /// order matters: applying them in order gives the server's state).
    pub objects: Vec<ObjectRevision>,
    /// Times the source was not observing.
    pub gaps: Vec<Gap>,
}

impl TimelineBatch {
    /// Whether there is nothing to record.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty() && self.objects.is_empty() && self.gaps.is_empty()
    }
}

impl From<SampleBatch> for TimelineBatch {
    fn from(samples: SampleBatch) -> Self {
        TimelineBatch {
            samples,
            ..Default::default()
        }
    }
}

use std::sync::Arc;

use crate::{Gap, ObjectRevision, Series};

/// One sample of one series.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub series: Arc<Series>,
    pub timestamp_ms: i64,
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
    pub fn with_capacity(n: usize) -> Self {
        SampleBatch {
            samples: Vec::with_capacity(n),
        }
    }

    pub fn push(&mut self, series: &Arc<Series>, timestamp_ms: i64, value: f64) {
        self.samples.push(Sample {
            series: Arc::clone(series),
            timestamp_ms,
            value,
        });
    }

    pub fn len(&self) -> usize {
        self.samples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

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
    pub samples: SampleBatch,
    pub objects: Vec<ObjectRevision>,
    pub gaps: Vec<Gap>,
}

impl TimelineBatch {
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

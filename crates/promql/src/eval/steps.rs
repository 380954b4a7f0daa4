//! Step-by-step helpers shared by operators, as Prometheus' `rangeEval`:
//! reading operands' values at one step and merging each step's output
//! vector into series by label set.

use std::collections::HashMap;

use super::{Point, RangeSeries, duplicate_labelset};
use crate::{Labels, QueryError};

/// Reads the values an evaluated vector has at each step, in step order,
/// with one cursor per series.
#[derive(Debug, Default)]
pub(crate) struct Gather {
    pos: Vec<usize>,
    /// The (series index, value) pairs present at the last step asked for.
    pub now: Vec<(usize, f64)>,
}

impl Gather {
    pub fn new(series: &[RangeSeries]) -> Gather {
        Gather {
            pos: vec![0; series.len()],
            now: Vec::with_capacity(series.len()),
        }
    }

    /// Fills `now` with the values at step time `t`; times must ascend.
    pub fn at(&mut self, series: &[RangeSeries], t: i64) -> &[(usize, f64)] {
        self.now.clear();
        for (i, (s, pos)) in series.iter().zip(&mut self.pos).enumerate() {
            while s.points.get(*pos).is_some_and(|p| p.t < t) {
                *pos += 1;
            }
            if let Some(p) = s.points.get(*pos).filter(|p| p.t == t) {
                self.now.push((i, p.v));
            }
        }
        &self.now
    }
}

/// Collects output points into series keyed by label set, refusing two
/// points with the same labels at one step ("vector cannot contain metrics
/// with the same labelset", checked by `rangeEval` after every step).
#[derive(Debug, Default)]
pub(crate) struct SeriesBuilder {
    index: HashMap<Labels, usize>,
    out: Vec<RangeSeries>,
}

impl SeriesBuilder {
    /// The id of the output series with these labels.
    pub fn id(&mut self, labels: Labels) -> usize {
        if let Some(&id) = self.index.get(&labels) {
            return id;
        }
        let id = self.out.len();
        self.index.insert(labels.clone(), id);
        self.out.push(RangeSeries {
            labels,
            points: Vec::new(),
        });
        id
    }

    /// Whether series `id` already has a point at `t`.
    pub fn has(&self, id: usize, t: i64) -> bool {
        self.out
            .get(id)
            .and_then(|s| s.points.last())
            .is_some_and(|p| p.t == t)
    }

    pub fn push(&mut self, id: usize, t: i64, v: f64) -> Result<(), QueryError> {
        if self.has(id, t) {
            return Err(duplicate_labelset());
        }
        if let Some(s) = self.out.get_mut(id) {
            s.points.push(Point { t, v });
        }
        Ok(())
    }

    /// The series with at least one point, in order of first appearance.
    pub fn finish(self) -> Vec<RangeSeries> {
        self.out
            .into_iter()
            .filter(|s| !s.points.is_empty())
            .collect()
    }
}

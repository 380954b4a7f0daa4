//! Reading a recording into [`ChunkStorage`] without ever holding it
//! decoded: the store streams each segment's samples a batch at a time,
//! every series collects its samples until it has a chunk's worth, and
//! full chunks are compressed at once. What the load holds at most is one
//! batch, one partial chunk per series and the chunks made so far, so the
//! process never grows to the recording's decoded size (memory a process
//! grew to is not given back to the system when it is freed).

use std::collections::HashMap;

use understudy_core::{QUERY_LABEL, TimeRange};
use understudy_promql::{Labels, Series};
use understudy_store::{Recording, StoreError};

use crate::chunk::{ChunkedSeries, SAMPLES_PER_CHUNK};
use crate::chunked::ChunkStorage;

/// What one series has so far.
#[derive(Debug)]
struct Building {
    labels: Labels,
    chunks: ChunkedSeries,
    /// Samples not yet a full chunk.
    tail: (Vec<i64>, Vec<f64>),
    /// Every sample decoded, for a series whose samples arrived out of
    /// order (late samples in a later segment), merged at the end as the
    /// store merges them: in time order, a later segment winning a tie.
    unordered: Option<(Vec<i64>, Vec<f64>)>,
    last: Option<i64>,
}

impl Building {
    fn push(&mut self, ts: &[i64], vs: &[f64]) {
        let in_order =
            self.last.is_none_or(|last| ts[0] > last) && ts.windows(2).all(|w| w[0] < w[1]);
        if !in_order && self.unordered.is_none() {
            let (mut all_t, mut all_v) = (Vec::new(), Vec::new());
            self.chunks
                .decode_into(i64::MIN, i64::MAX, &mut all_t, &mut all_v);
            all_t.append(&mut self.tail.0);
            all_v.append(&mut self.tail.1);
            self.chunks = ChunkedSeries::default();
            self.unordered = Some((all_t, all_v));
        }
        self.last = self.last.max(ts.last().copied());
        if let Some((all_t, all_v)) = &mut self.unordered {
            all_t.extend_from_slice(ts);
            all_v.extend_from_slice(vs);
            return;
        }
        // The tail never holds more than a chunk's worth: it is topped up
        // to a full chunk, and the rest of the run is encoded straight from
        // the batch (a tail that grew to a whole run would keep that
        // capacity for every series).
        let (mut ts, mut vs) = (ts, vs);
        if !self.tail.0.is_empty() {
            let take = (SAMPLES_PER_CHUNK - self.tail.0.len()).min(ts.len());
            self.tail.0.extend_from_slice(&ts[..take]);
            self.tail.1.extend_from_slice(&vs[..take]);
            (ts, vs) = (&ts[take..], &vs[take..]);
            if self.tail.0.len() == SAMPLES_PER_CHUNK {
                self.chunks.append(&self.tail.0, &self.tail.1);
                self.tail.0.clear();
                self.tail.1.clear();
            }
        }
        let full = ts.len() / SAMPLES_PER_CHUNK * SAMPLES_PER_CHUNK;
        self.chunks.append(&ts[..full], &vs[..full]);
        if full < ts.len() {
            if self.tail.0.capacity() == 0 {
                self.tail.0.reserve_exact(SAMPLES_PER_CHUNK);
                self.tail.1.reserve_exact(SAMPLES_PER_CHUNK);
            }
            self.tail.0.extend_from_slice(&ts[full..]);
            self.tail.1.extend_from_slice(&vs[full..]);
        }
    }

    fn finish(mut self) -> (Labels, ChunkedSeries) {
        match self.unordered.take() {
            Some((ts, vs)) => {
                let (ts, vs) = merge(ts, vs);
                (self.labels, ChunkedSeries::encode(&ts, &vs))
            }
            None => {
                self.chunks.append(&self.tail.0, &self.tail.1);
                self.chunks.shrink_to_fit();
                (self.labels, self.chunks)
            }
        }
    }
}

/// Samples in time order, one per timestamp, the later of a tie kept.
fn merge(ts: Vec<i64>, vs: Vec<f64>) -> (Vec<i64>, Vec<f64>) {
    let mut idx: Vec<usize> = (0..ts.len()).collect();
    idx.sort_by_key(|&i| ts[i]);
    let (mut out_t, mut out_v) = (Vec::with_capacity(ts.len()), Vec::with_capacity(ts.len()));
    for i in idx {
        if out_t.last() == Some(&ts[i]) {
            if let Some(v) = out_v.last_mut() {
                *v = vs[i];
            }
        } else {
            out_t.push(ts[i]);
            out_v.push(vs[i]);
        }
    }
    (out_t, out_v)
}

/// The samples of `rec`: the plain series compressed and indexed, the
/// recorded query answers (series with [`QUERY_LABEL`]) apart and decoded,
/// and how many samples were read.
pub(crate) fn read(rec: &Recording) -> Result<(ChunkStorage, Vec<Series>, usize), StoreError> {
    let mut building: HashMap<u32, Building> = HashMap::new();
    let mut samples = 0;
    rec.for_each_sample_run(TimeRange::ALL, |r, series, ts, vs| {
        samples += ts.len();
        building
            .entry(r)
            .or_insert_with(|| Building {
                labels: crate::series(series, Vec::new(), Vec::new()).labels,
                chunks: ChunkedSeries::default(),
                tail: (Vec::new(), Vec::new()),
                unordered: None,
                last: None,
            })
            .push(ts, vs);
    })?;
    let mut answers = Vec::new();
    let mut plain = Vec::with_capacity(building.len());
    for (_, b) in building {
        let (labels, chunks) = b.finish();
        if labels.get(QUERY_LABEL).is_some() {
            let mut s = Series {
                labels,
                timestamps: Vec::new(),
                values: Vec::new(),
            };
            chunks.decode_into(i64::MIN, i64::MAX, &mut s.timestamps, &mut s.values);
            answers.push(s);
        } else {
            plain.push((labels, chunks));
        }
    }
    answers.sort_by(|a, b| a.labels.cmp(&b.labels));
    Ok((ChunkStorage::from_chunks(plain), answers, samples))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn late_samples_are_merged_as_the_store_merges_them() {
        let mut b = Building {
            labels: Labels::default(),
            chunks: ChunkedSeries::default(),
            tail: (Vec::new(), Vec::new()),
            unordered: None,
            last: None,
        };
        let ts: Vec<i64> = (0..300).map(|i| i * 10).collect();
        let vs: Vec<f64> = (0..300).map(f64::from).collect();
        b.push(&ts[..250], &vs[..250]);
        // A later segment: one new sample, one late, one tie (it wins).
        b.push(&[5, 2_490, 9_000], &[-1.0, -2.0, -3.0]);
        let (_, chunks) = b.finish();
        let (mut got_t, mut got_v) = (Vec::new(), Vec::new());
        chunks.decode_into(i64::MIN, i64::MAX, &mut got_t, &mut got_v);
        let mut want: Vec<(i64, f64)> = ts[..250]
            .iter()
            .copied()
            .zip(vs[..250].iter().copied())
            .collect();
        want.push((5, -1.0));
        want.retain(|(t, _)| *t != 2_490);
        want.push((2_490, -2.0));
        want.push((9_000, -3.0));
        want.sort_by_key(|(t, _)| *t);
        assert_eq!(got_t, want.iter().map(|w| w.0).collect::<Vec<_>>());
        assert_eq!(got_v, want.iter().map(|w| w.1).collect::<Vec<_>>());
    }

    #[test]
    fn in_order_runs_become_full_chunks() {
        let mut b = Building {
            labels: Labels::default(),
            chunks: ChunkedSeries::default(),
            tail: (Vec::new(), Vec::new()),
            unordered: None,
            last: None,
        };
        // Segments of 20 samples, as 5 min of 15 s scrapes.
        for seg in 0..13 {
            let ts: Vec<i64> = (0..20).map(|i| (seg * 20 + i) * 15_000).collect();
            let vs: Vec<f64> = ts.iter().map(|&t| t as f64).collect();
            b.push(&ts, &vs);
        }
        let (_, chunks) = b.finish();
        assert_eq!(chunks.len(), 260);
        let whole = ChunkedSeries::encode(
            &(0..260).map(|i| i * 15_000).collect::<Vec<i64>>(),
            &(0..260).map(|i| (i * 15_000) as f64).collect::<Vec<f64>>(),
        );
        assert_eq!(chunks.chunk_count(), whole.chunk_count());
        let decode = |c: &ChunkedSeries| {
            let (mut t, mut v) = (Vec::new(), Vec::new());
            c.decode_into(i64::MIN, i64::MAX, &mut t, &mut v);
            (t, v)
        };
        assert_eq!(decode(&chunks), decode(&whole));
    }
}

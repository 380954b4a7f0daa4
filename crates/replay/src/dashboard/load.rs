//! When the load arrives: the page counts down to it, and the ticker lists
//! it, so that a replay opened on the quiet minute before says what is
//! coming. The rule is the one `understudy analyze` aligns runs on
//! (`crates/analyze/src/run.rs`): the stream's last sequence rising above
//! its first value, else pending messages rising above zero.

use understudy_promql::MemStorage;

const STREAM_LAST_SEQ: &str = "jetstream_stream_last_seq";
const QUEUE_PENDING: &str = "jetstream_consumer_num_pending";

/// Recording time (ms) of the first sign of messages arriving; `None` for a
/// recording without queue series, or one whose queue never fills.
pub fn load_start(storage: &MemStorage) -> Option<i64> {
    let first_rise = |metric: &str, above_first: bool| {
        storage
            .series
            .iter()
            .filter(|s| s.labels.get("__name__") == Some(metric))
            .filter_map(|s| {
                let base = if above_first { *s.values.first()? } else { 0.0 };
                s.timestamps
                    .iter()
                    .zip(&s.values)
                    .find(|(_, v)| **v > base)
                    .map(|(t, _)| *t)
            })
            .min()
    };
    first_rise(STREAM_LAST_SEQ, true).or_else(|| first_rise(QUEUE_PENDING, false))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use understudy_promql::{Labels, Series};

    use super::*;

    fn series(name: &str, points: &[(i64, f64)]) -> Arc<Series> {
        Arc::new(Series {
            labels: Labels::new([("__name__".to_owned(), name.to_owned())]),
            timestamps: points.iter().map(|p| p.0).collect(),
            values: points.iter().map(|p| p.1).collect(),
        })
    }

    #[test]
    fn the_stream_rising_is_the_load_and_pending_stands_in_without_it() {
        let stream = series(STREAM_LAST_SEQ, &[(0, 40.0), (15, 40.0), (30, 90.0)]);
        let pending = series(QUEUE_PENDING, &[(0, 0.0), (15, 3.0)]);
        let both = MemStorage {
            series: vec![Arc::clone(&stream), Arc::clone(&pending)],
        };
        // Messages already in the stream when recording began are no load.
        assert_eq!(load_start(&both), Some(30));
        let pending_only = MemStorage {
            series: vec![pending],
        };
        assert_eq!(load_start(&pending_only), Some(15));
        let idle = MemStorage {
            series: vec![series(QUEUE_PENDING, &[(0, 0.0), (15, 0.0)])],
        };
        assert_eq!(load_start(&idle), None);
    }
}

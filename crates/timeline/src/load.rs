//! When the load of a run arrives. `analyze` aligns runs on it (experiment
//! time 0) and the stage dashboard counts down to it, so both must agree:
//! this is the one rule.

/// The stream's last sequence number (prometheus-nats-exporter's name).
pub const STREAM_LAST_SEQ: &str = "jetstream_stream_last_seq";
/// Messages the consumer has not yet been delivered.
pub const QUEUE_PENDING: &str = "jetstream_consumer_num_pending";

/// Recording time (ms since the epoch) of the first sign of messages
/// arriving: the stream's last sequence rising above its first recorded
/// value (messages already in the stream when recording began are no load),
/// else pending messages rising above zero. `None` for a recording without
/// queue series, or one whose queue never fills.
///
/// `series_of(metric)` gives the `(timestamps, values)` of every series of
/// that metric, in time order.
///
/// ```
/// use understudy_timeline::load::{load_start, STREAM_LAST_SEQ};
///
/// let (ts, vs) = ([0, 15_000, 30_000], [40.0, 40.0, 90.0]);
/// let start = load_start(|metric| {
///     (metric == STREAM_LAST_SEQ).then_some((&ts[..], &vs[..])).into_iter()
/// });
/// assert_eq!(start, Some(30_000));
/// ```
pub fn load_start<'a, I>(series_of: impl Fn(&str) -> I) -> Option<i64>
where
    I: Iterator<Item = (&'a [i64], &'a [f64])>,
{
    // The scrape before the rise is the last moment without load: the load
    // began in between; the rise itself is the first sign of it.
    let first_rise = |metric: &str, above_first: bool| {
        series_of(metric)
            .filter_map(|(timestamps, values)| {
                let base = if above_first { *values.first()? } else { 0.0 };
                timestamps
                    .iter()
                    .zip(values)
                    .find(|(_, v)| **v > base)
                    .map(|(t, _)| *t)
            })
            .min()
    };
    first_rise(STREAM_LAST_SEQ, true).or_else(|| first_rise(QUEUE_PENDING, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    type Points = (Vec<i64>, Vec<f64>);

    fn start(stream: &[Points], pending: &[Points]) -> Option<i64> {
        load_start(|metric| {
            let of = if metric == STREAM_LAST_SEQ {
                stream
            } else if metric == QUEUE_PENDING {
                pending
            } else {
                &[]
            };
            of.iter().map(|(t, v)| (t.as_slice(), v.as_slice()))
        })
    }

    #[test]
    fn the_stream_rising_is_the_load_and_pending_stands_in_without_it() {
        let stream = (vec![0, 15, 30], vec![40.0, 40.0, 90.0]);
        let pending = (vec![0, 15], vec![0.0, 3.0]);
        assert_eq!(start(&[stream], std::slice::from_ref(&pending)), Some(30));
        assert_eq!(start(&[], &[pending]), Some(15));
        assert_eq!(start(&[], &[(vec![0, 15], vec![0.0, 0.0])]), None);
        assert_eq!(start(&[], &[]), None);
    }

    #[test]
    fn the_earliest_rise_of_any_series_counts() {
        let a = (vec![0, 10, 20], vec![1.0, 1.0, 2.0]);
        let b = (vec![0, 5], vec![7.0, 8.0]);
        assert_eq!(start(&[a, b], &[]), Some(5));
    }
}

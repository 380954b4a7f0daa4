//! The recording as the replay shows it at one moment: shifted onto wall
//! time and cut at the replay position, so nothing from the future leaks
//! into any endpoint.

use understudy_promql::{Labels, Matcher, Queryable, Series};
use understudy_timeline::ChunkStorage;

use crate::clock::Mapping;

/// A [`Queryable`] over `base` that shows each sample at its display time
/// under `map` and hides what lies after the replay position.
#[derive(Debug)]
pub struct ReplayView<'a> {
    /// The samples at recording times.
    pub base: &'a ChunkStorage,
    /// The clock's mapping the view is taken at; fixed for the view's life.
    pub map: Mapping,
    /// Answers recorded live, consulted before evaluating.
    pub recorded: Option<&'a crate::recorded::Recorded>,
}

impl ReplayView<'_> {
    /// The label sets of the series with a visible sample in `[mint, maxt]`,
    /// found without copying samples: the series and label endpoints need
    /// only labels, and may ask about every series of the recording.
    pub fn labels(&self, matchers: &[Matcher], mint: i64, maxt: i64) -> Vec<Labels> {
        let Some((rmin, rmax)) = self.recording_window(mint, maxt) else {
            return Vec::new();
        };
        let (mut ts, mut vs) = (Vec::new(), Vec::new());
        self.base
            .matching(matchers)
            .filter(|(_, chunks)| {
                // Only the chunks around the window are decoded, into
                // buffers reused from series to series.
                ts.clear();
                vs.clear();
                chunks.decode_into(rmin, rmax, &mut ts, &mut vs);
                // Display time grows with recording time: the first sample
                // shown at or after `mint` decides.
                let first = ts.partition_point(|&r| self.map.display(r) < mint);
                ts.get(first)
                    .is_some_and(|&r| r <= self.map.position && self.map.display(r) <= maxt)
            })
            .map(|(labels, _)| labels.clone())
            .collect()
    }

    /// The recording times that can show in `[mint, maxt]`, with one
    /// millisecond of slack either way for the rounding of the mapping.
    fn recording_window(&self, mint: i64, maxt: i64) -> Option<(i64, i64)> {
        let rmin = self.map.recording(mint).saturating_sub(1);
        let rmax = self
            .map
            .recording(maxt)
            .saturating_add(1)
            .min(self.map.position);
        (rmin <= rmax).then_some((rmin, rmax))
    }
}

impl Queryable for ReplayView<'_> {
    fn select(&self, matchers: &[Matcher], mint: i64, maxt: i64) -> Vec<Series> {
        let Some((rmin, rmax)) = self.recording_window(mint, maxt) else {
            return Vec::new();
        };
        self.base
            .select(matchers, rmin, rmax)
            .into_iter()
            .filter_map(|mut s| {
                let mut keep = 0;
                for i in 0..s.timestamps.len() {
                    let r = s.timestamps[i];
                    let d = self.map.display(r);
                    if r <= self.map.position && (mint..=maxt).contains(&d) {
                        s.timestamps[keep] = d;
                        s.values[keep] = s.values[i];
                        keep += 1;
                    }
                }
                s.timestamps.truncate(keep);
                s.values.truncate(keep);
                (keep > 0).then_some(s)
            })
            .collect()
    }

    fn count(&self, matchers: &[Matcher], mint: i64, maxt: i64) -> usize {
        self.recording_window(mint, maxt)
            .map_or(0, |(rmin, rmax)| self.base.count(matchers, rmin, rmax))
    }
}

//! The recording as the replay shows it at one moment: shifted onto wall
//! time and cut at the replay position, so nothing from the future leaks
//! into any endpoint.

use understudy_promql::{Matcher, MemStorage, Queryable, Series};

use crate::clock::Mapping;

#[derive(Debug)]
pub struct ReplayView<'a> {
    pub base: &'a MemStorage,
    pub map: Mapping,
    /// Answers recorded live, consulted before evaluating.
    pub recorded: Option<&'a crate::recorded::Recorded>,
}

impl Queryable for ReplayView<'_> {
    fn select(&self, matchers: &[Matcher], mint: i64, maxt: i64) -> Vec<Series> {
        // One millisecond of slack either way for the rounding of the mapping.
        let rmin = self.map.recording(mint).saturating_sub(1);
        let rmax = self
            .map
            .recording(maxt)
            .saturating_add(1)
            .min(self.map.position);
        if rmax < rmin {
            return Vec::new();
        }
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
}

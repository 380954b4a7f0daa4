//! The label-set ids of one plugin instance (`label-set-id` in kpi.wit):
//! the host numbers input label sets, the plugin numbers output label sets,
//! and each set crosses the boundary once. Both tables belong to one
//! instance and start over with it.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::validate::{is_label_name, shown};

type Hasher = foldhash::fast::RandomState;

pub(crate) use crate::Labels;

/// Pushes without a series of an input label set after which the set is
/// retired (a pod that is gone), so a long live run stays bounded.
pub(crate) const RETIRE_AFTER: u64 = 100;
/// Retirement scans the whole table; doing it every few pushes keeps it
/// off the per-tick cost.
const RETIRE_SCAN_EVERY: u64 = 16;

#[derive(Debug, Clone, Copy)]
struct Entry {
    id: u32,
    last_push: u64,
}

/// Input label sets sent to the instance.
#[derive(Debug, Default)]
pub(crate) struct InputIds {
    ids: HashMap<Labels, Entry, Hasher>,
    next: u32,
    pushes: u64,
}

impl InputIds {
    /// Starts the next push.
    pub(crate) fn begin_push(&mut self) {
        self.pushes += 1;
    }

    /// The id of `labels` and whether it is new (sent in this push); `None`
    /// once 2³² sets were numbered, which no run reaches.
    pub(crate) fn id(&mut self, labels: &[(String, String)]) -> Option<(u32, bool)> {
        let pushes = self.pushes;
        if let Some(e) = self.ids.get_mut(labels) {
            e.last_push = pushes;
            return Some((e.id, false));
        }
        let id = self.next;
        self.next = id.checked_add(1)?;
        self.ids.insert(
            labels.to_vec(),
            Entry {
                id,
                last_push: pushes,
            },
        );
        Some((id, true))
    }

    /// Ids unused for [`RETIRE_AFTER`] pushes, forgotten here and to be
    /// sent as retired (checked every few pushes only).
    pub(crate) fn retire(&mut self) -> Vec<u32> {
        if !self.pushes.is_multiple_of(RETIRE_SCAN_EVERY) {
            return Vec::new();
        }
        let mut retired = Vec::new();
        let pushes = self.pushes;
        self.ids.retain(|_, e| {
            let keep = pushes - e.last_push < RETIRE_AFTER;
            if !keep {
                retired.push(e.id);
            }
            keep
        });
        retired.sort_unstable();
        retired
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }
}

/// Output label sets the plugin defined, by id.
#[derive(Debug, Default)]
pub(crate) struct OutputIds {
    sets: Vec<Option<Arc<Labels>>>,
    /// Live sets by content: a set defined twice would let one series come
    /// back under two ids, past the duplicate check.
    live: HashSet<Arc<Labels>, Hasher>,
}

impl OutputIds {
    /// Adds the sets a result defines, checking their labels; on an error
    /// nothing is added (the instance is dropped anyway).
    pub(crate) fn define(&mut self, new: Vec<Vec<(String, String)>>) -> Result<(), String> {
        let first = self.sets.len();
        let mut added = Vec::with_capacity(new.len());
        for (k, mut labels) in new.into_iter().enumerate() {
            let id = first + k;
            labels.sort_unstable();
            for (name, _) in &labels {
                if !is_label_name(name) {
                    return Err(format!(
                        "output label set {id}: {} is not a legal label name",
                        shown(name)
                    ));
                }
            }
            if let Some(w) = labels.windows(2).find(|w| w[0].0 == w[1].0) {
                return Err(format!(
                    "output label set {id}: label {} appears twice",
                    shown(&w[0].0)
                ));
            }
            let labels = Arc::new(labels);
            if self.live.contains(&labels) || added.contains(&labels) {
                return Err(format!(
                    "output label set {id} repeats a label set that already has an id"
                ));
            }
            added.push(labels);
        }
        if u32::try_from(first + added.len()).is_err() {
            return Err("more than 2^32 output label sets".into());
        }
        for labels in added {
            self.live.insert(Arc::clone(&labels));
            self.sets.push(Some(labels));
        }
        Ok(())
    }

    /// The labels of output set `id`, if defined and not retired.
    pub(crate) fn get(&self, id: u32) -> Option<&Arc<Labels>> {
        self.sets.get(id as usize)?.as_ref()
    }

    /// Forgets `ids`; naming an unknown or already retired id is an error.
    pub(crate) fn retire(&mut self, ids: &[u32]) -> Result<(), String> {
        for &id in ids {
            let Some(labels) = self.sets.get_mut(id as usize).and_then(Option::take) else {
                return Err(format!(
                    "retires output label set {id}, which is not defined"
                ));
            };
            self.live.remove(&labels);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn input_ids_are_stable_and_retired_when_unused() {
        let mut ids = InputIds::default();
        let (a, b) = (labels(&[("pod", "a")]), labels(&[("pod", "b")]));
        ids.begin_push();
        assert_eq!(ids.id(&a), Some((0, true)));
        assert_eq!(ids.id(&b), Some((1, true)));
        assert_eq!(ids.id(&a), Some((0, false)));
        let mut retired = Vec::new();
        for _ in 0..RETIRE_AFTER + RETIRE_SCAN_EVERY {
            ids.begin_push();
            assert_eq!(ids.id(&a), Some((0, false)));
            retired.extend(ids.retire());
        }
        assert_eq!(retired, vec![1], "b was not sent for a while");
        assert_eq!(ids.len(), 1);
        ids.begin_push();
        assert_eq!(ids.id(&b), Some((2, true)), "a retired id is not reused");
    }

    #[test]
    fn output_sets_are_checked_when_defined() {
        let mut out = OutputIds::default();
        out.define(vec![labels(&[("pod", "a"), ("ns", "x")])])
            .expect("legal");
        assert_eq!(
            out.get(0).map(|l| l.as_slice().to_vec()),
            Some(labels(&[("ns", "x"), ("pod", "a")])),
            "sorted by name"
        );
        assert!(out.get(1).is_none());
        for (bad, says) in [
            (labels(&[("__name__", "x")]), "legal label name"),
            (labels(&[("a", "1"), ("a", "2")]), "appears twice"),
            (labels(&[("ns", "x"), ("pod", "a")]), "already has an id"),
        ] {
            let e = out.define(vec![bad]).expect_err("refused");
            assert!(e.contains(says), "{e}");
        }
        assert!(out.define(vec![labels(&[]), labels(&[])]).is_err());
        out.retire(&[0]).expect("defined");
        assert!(out.get(0).is_none());
        assert!(out.retire(&[0]).is_err(), "twice");
        assert!(out.retire(&[7]).is_err(), "never defined");
        out.define(vec![labels(&[("ns", "x"), ("pod", "a")])])
            .expect("a retired set may be defined again");
        assert!(out.get(1).is_some());
    }
}

//! What one push carries, as the plugin sees it: columnar inputs whose
//! series refer to label sets by id, and the table of those label sets.

use std::cell::RefCell;
use std::fmt;

use crate::labels::{LabelMap, LabelSet, Labels};
use crate::types::KpiError;

/// The input label sets the host has sent and not retired, by id, with the
/// projections [`Series::label_set`] computed of them. One per evaluator;
/// a [`Batch`] holds it during a push.
#[derive(Default)]
pub(crate) struct LabelTable {
    sets: Vec<Option<LabelSet>>,
    projections: RefCell<Vec<Projection>>,
    /// What a series with an unknown id shows (only a batch that failed
    /// [`Batch::check`] has one).
    empty: LabelSet,
}

/// The cached projections of every label set on one list of names.
struct Projection {
    names: Box<[Box<str>]>,
    by_id: Vec<Slot>,
}

#[derive(Clone, Default)]
enum Slot {
    #[default]
    Unknown,
    Missing,
    Set(LabelSet),
}

impl LabelTable {
    /// Adds the next label set (id = [`LabelTable::next_id`]).
    pub(crate) fn push(&mut self, set: LabelSet) {
        self.sets.push(Some(set));
    }

    /// Sets the label set of `id` (the native builder's ids are sparse).
    fn insert(&mut self, id: u32, set: LabelSet) {
        let slot = id as usize;
        if self.sets.len() <= slot {
            self.sets.resize(slot + 1, None);
        }
        self.sets[slot] = Some(set);
    }

    pub(crate) fn get(&self, id: u32) -> Option<&LabelSet> {
        self.sets.get(id as usize).and_then(Option::as_ref)
    }

    /// Forgets `ids` and their projections.
    pub(crate) fn retire(&mut self, ids: &[u32]) {
        let projections = self.projections.get_mut();
        for &id in ids {
            let slot = id as usize;
            if let Some(set) = self.sets.get_mut(slot) {
                *set = None;
            }
            for p in projections.iter_mut() {
                if let Some(s) = p.by_id.get_mut(slot) {
                    *s = Slot::Unknown;
                }
            }
        }
    }

    fn project(&self, id: u32, set: &LabelSet, names: &[&str]) -> Option<LabelSet> {
        let mut projections = self.projections.borrow_mut();
        let p = match projections.iter().position(|p| {
            p.names.len() == names.len() && p.names.iter().zip(names).all(|(a, b)| **a == **b)
        }) {
            Some(p) => p,
            None => {
                projections.push(Projection {
                    names: names.iter().map(|n| Box::from(*n)).collect(),
                    by_id: Vec::new(),
                });
                projections.len() - 1
            }
        };
        let by_id = &mut projections[p].by_id;
        let slot = id as usize;
        if let Some(cached) = by_id.get(slot) {
            match cached {
                Slot::Set(s) => return Some(s.clone()),
                Slot::Missing => return None,
                Slot::Unknown => {}
            }
        }
        let projected = set.project(names);
        if by_id.len() <= slot {
            by_id.resize(slot + 1, Slot::Unknown);
        }
        by_id[slot] = match &projected {
            Some(s) => Slot::Set(s.clone()),
            None => Slot::Missing,
        };
        projected
    }
}

impl fmt::Debug for LabelTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LabelTable")
            .field("ids", &self.sets.len())
            .field("live", &self.sets.iter().filter(|s| s.is_some()).count())
            .finish()
    }
}

/// One input of a batch as the host sends it: series `i` has label set
/// `label_sets[i]` and the next `lengths[i]` points of the columns.
#[doc(hidden)]
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InputColumns {
    pub name: String,
    pub label_sets: Vec<u32>,
    pub lengths: Vec<u32>,
    pub timestamps: Vec<i64>,
    pub values: Vec<f64>,
}

/// One push: every input evaluated over `[window_start, window_end]` (ms).
///
/// Inside the component the batch refers to its evaluator's table of label
/// sets; built natively ([`Batch::new`], [`Batch::with_input`]) it owns one.
#[derive(Debug, Default)]
pub struct Batch {
    pub window_start: i64,
    pub window_end: i64,
    inputs: Vec<InputColumns>,
    retired: Vec<u32>,
    table: LabelTable,
}

impl Batch {
    /// An empty batch over a window (add inputs with [`Batch::with_input`]).
    pub fn new(window_start: i64, window_end: i64) -> Batch {
        Batch {
            window_start,
            window_end,
            ..Batch::default()
        }
    }

    /// Adds an input (test builder). Label sets get ids as a host would give
    /// them: equal sets share an id, within and across batches built on this
    /// thread. A series whose columns differ in length is cut to the shorter.
    pub fn with_input(mut self, name: &str, series: Vec<OwnedSeries>) -> Batch {
        let mut input = InputColumns {
            name: name.into(),
            ..InputColumns::default()
        };
        for s in series {
            let (id, set) = native_id(s.labels);
            self.table.insert(id, set);
            let n = s.timestamps.len().min(s.values.len());
            input.label_sets.push(id);
            input.lengths.push(n as u32);
            input.timestamps.extend_from_slice(&s.timestamps[..n]);
            input.values.extend_from_slice(&s.values[..n]);
        }
        self.inputs.push(input);
        self
    }

    /// Marks the label set `labels` retired in this batch (test builder).
    pub fn with_retired(mut self, labels: &[(&str, &str)]) -> Batch {
        let (id, set) = native_id(
            labels
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
        );
        self.table.insert(id, set);
        self.retired.push(id);
        self
    }

    /// A batch of the host's columns over the evaluator's `table`.
    pub(crate) fn from_parts(
        window_start: i64,
        window_end: i64,
        inputs: Vec<InputColumns>,
        retired: Vec<u32>,
        table: LabelTable,
    ) -> Batch {
        Batch {
            window_start,
            window_end,
            inputs,
            retired,
            table,
        }
    }

    /// Gives the table back (and the retired ids).
    pub(crate) fn into_table(self) -> (LabelTable, Vec<u32>) {
        (self.table, self.retired)
    }

    /// Names of the inputs the host sent.
    pub fn input_names(&self) -> impl Iterator<Item = &str> {
        self.inputs.iter().map(|i| i.name.as_str())
    }

    /// The series of input `name`; an input the host did not send is an
    /// `invalid-input` error (every input of `describe()` must be present).
    pub fn series(&self, name: &str) -> Result<SeriesIter<'_>, KpiError> {
        self.inputs
            .iter()
            .find(|i| i.name == name)
            .map(|input| SeriesIter {
                input,
                table: &self.table,
                index: 0,
                offset: 0,
            })
            .ok_or_else(|| {
                KpiError::InvalidInput(format!("input {name:?} is missing from the batch"))
            })
    }

    /// Series over all inputs.
    pub fn series_count(&self) -> usize {
        self.inputs.iter().map(|i| i.label_sets.len()).sum()
    }

    /// Input label sets the host retires with this batch: it will not send
    /// them again, so state kept for them can go. Their labels are still
    /// available through [`Batch::labels`] during this push.
    pub fn retired(&self) -> &[u32] {
        &self.retired
    }

    /// The label set of input id `id`, if the host sent it and it is live
    /// (or retired by this very batch).
    pub fn labels(&self, id: u32) -> Option<&LabelSet> {
        self.table.get(id)
    }

    /// Whether `timestamp` lies inside the window (both ends included).
    pub fn contains(&self, timestamp: i64) -> bool {
        self.window_start <= timestamp && timestamp <= self.window_end
    }

    /// Checks what the WIT promises: a window that does not go backwards,
    /// columns whose lengths add up, known label-set ids, and timestamps
    /// ascending within a series (equal neighbours tolerated). The export
    /// glue runs this before [`crate::Kpi::push`].
    pub fn check(&self) -> Result<(), KpiError> {
        self.check_with(true)
    }

    /// [`Batch::check`] without the scan of every timestamp: what the glue
    /// runs on a batch from the host, which checked the order itself
    /// (kpi.wit promises it) in native code — in wasm the scan cost a
    /// tenth of an hour-long push.
    pub(crate) fn check_structure(&self) -> Result<(), KpiError> {
        self.check_with(false)
    }

    fn check_with(&self, order: bool) -> Result<(), KpiError> {
        if self.window_end < self.window_start {
            return Err(KpiError::InvalidInput(format!(
                "window ends ({}) before it starts ({})",
                self.window_end, self.window_start
            )));
        }
        for input in &self.inputs {
            check_input(input, &self.table, order)
                .map_err(|m| KpiError::InvalidInput(format!("input {:?}: {m}", input.name)))?;
        }
        Ok(())
    }
}

fn check_input(input: &InputColumns, table: &LabelTable, order: bool) -> Result<(), String> {
    if input.label_sets.len() != input.lengths.len() {
        return Err(format!(
            "{} label sets but {} lengths",
            input.label_sets.len(),
            input.lengths.len()
        ));
    }
    let total: u64 = input.lengths.iter().map(|&n| u64::from(n)).sum();
    if total != input.timestamps.len() as u64 || total != input.values.len() as u64 {
        return Err(format!(
            "lengths add up to {total} points but there are {} timestamps and {} values",
            input.timestamps.len(),
            input.values.len()
        ));
    }
    let mut offset = 0usize;
    for (i, (&id, &n)) in input.label_sets.iter().zip(&input.lengths).enumerate() {
        let Some(labels) = table.get(id) else {
            return Err(format!("series {i} has unknown label-set id {id}"));
        };
        let end = offset + n as usize;
        if order
            && input.timestamps[offset..end]
                .windows(2)
                .any(|w| w[1] < w[0])
        {
            return Err(format!("series {i} {labels:?} has timestamps out of order"));
        }
        offset = end;
    }
    Ok(())
}

/// The native builder's ids: equal label sets get the same id on a thread,
/// as the host gives one label set one id for an instance's life.
fn native_id(labels: Labels) -> (u32, LabelSet) {
    thread_local! {
        static IDS: RefCell<LabelMap<u32>> = RefCell::default();
    }
    let set = LabelSet::new(labels);
    IDS.with_borrow_mut(|ids| {
        if let Some((known, &id)) = ids.get_key_value(&set) {
            return (id, known.clone());
        }
        let id = ids.len() as u32;
        ids.insert(set.clone(), id);
        (id, set)
    })
}

/// One series of an input, borrowed from the batch.
#[derive(Clone, Copy)]
pub struct Series<'a> {
    /// The host's id of the label set: stable while the host keeps sending
    /// the series, until it appears in [`Batch::retired`].
    pub id: u32,
    pub labels: &'a LabelSet,
    pub timestamps: &'a [i64],
    pub values: &'a [f64],
    table: &'a LabelTable,
}

impl<'a> Series<'a> {
    /// The value of label `name`, if present.
    pub fn label(&self, name: &str) -> Option<&'a str> {
        self.labels.get(name)
    }

    /// The labels `names`, sorted by name, or `None` when one is missing or
    /// empty (Prometheus treats an empty label as absent): such a series
    /// cannot be attributed and is skipped by callers.
    ///
    /// Computed once per label set and list of names, then the same handle
    /// is returned (the series' own set when `names` covers all of it), so
    /// hashing and comparing it later is cheap.
    pub fn label_set(&self, names: &[&str]) -> Option<LabelSet> {
        self.table.project(self.id, self.labels, names)
    }

    /// `(timestamp, value)` pairs.
    pub fn points(&self) -> impl ExactSizeIterator<Item = (i64, f64)> + 'a {
        self.timestamps
            .iter()
            .copied()
            .zip(self.values.iter().copied())
    }

    pub fn len(&self) -> usize {
        self.timestamps.len().min(self.values.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Debug for Series<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Series")
            .field("id", &self.id)
            .field("labels", self.labels)
            .field("timestamps", &self.timestamps)
            .field("values", &self.values)
            .finish()
    }
}

/// The series of one input, in the order the host sent them.
#[derive(Clone)]
pub struct SeriesIter<'a> {
    input: &'a InputColumns,
    table: &'a LabelTable,
    index: usize,
    offset: usize,
}

impl<'a> Iterator for SeriesIter<'a> {
    type Item = Series<'a>;

    fn next(&mut self) -> Option<Series<'a>> {
        let input = self.input;
        let id = *input.label_sets.get(self.index)?;
        let n = input.lengths.get(self.index).copied().unwrap_or(0) as usize;
        self.index += 1;
        // Clamped, so an unchecked batch cannot index out of bounds.
        let start = self.offset;
        let end = start.saturating_add(n);
        self.offset = end;
        let cut = |len: usize| start.min(len)..end.min(len);
        Some(Series {
            id,
            labels: self.table.get(id).unwrap_or(&self.table.empty),
            timestamps: &input.timestamps[cut(input.timestamps.len())],
            values: &input.values[cut(input.values.len())],
            table: self.table,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.input.label_sets.len().saturating_sub(self.index);
        (n, Some(n))
    }
}

impl ExactSizeIterator for SeriesIter<'_> {}

impl fmt::Debug for SeriesIter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeriesIter")
            .field("input", &self.input.name)
            .field("remaining", &self.len())
            .finish()
    }
}

/// An owned series for building test batches ([`Batch::with_input`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OwnedSeries {
    pub labels: Labels,
    pub timestamps: Vec<i64>,
    pub values: Vec<f64>,
}

impl OwnedSeries {
    pub fn new(labels: &[(&str, &str)], points: &[(i64, f64)]) -> OwnedSeries {
        OwnedSeries {
            labels: labels
                .iter()
                .map(|(n, v)| ((*n).into(), (*v).into()))
                .collect(),
            timestamps: points.iter().map(|p| p.0).collect(),
            values: points.iter().map(|p| p.1).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_views_and_cached_projections() {
        let b = Batch::new(0, 10).with_input(
            "x",
            vec![
                OwnedSeries::new(
                    &[
                        ("pod", "a"),
                        ("job", "j"),
                        ("namespace", "ns"),
                        ("container", ""),
                    ],
                    &[(1, 1.0), (2, 2.0)],
                ),
                OwnedSeries::new(&[("namespace", "ns"), ("pod", "b")], &[(3, 3.0)]),
            ],
        );
        let series: Vec<Series<'_>> = b.series("x").expect("x").collect();
        assert_eq!(series.len(), 2);
        let s = series[0];
        assert_eq!(s.label("job"), Some("j"));
        assert_eq!(s.label("nope"), None);
        assert_eq!(s.points().collect::<Vec<_>>(), vec![(1, 1.0), (2, 2.0)]);
        let p = s.label_set(&["pod", "namespace"]).expect("present");
        assert_eq!(
            p,
            LabelSet::from_pairs(&[("namespace", "ns"), ("pod", "a")])
        );
        assert!(p.ptr_eq(&s.label_set(&["pod", "namespace"]).expect("cached")));
        assert_eq!(s.label_set(&["pod", "node"]), None);
        assert_eq!(s.label_set(&["container"]), None);
        // Covering the whole set answers the set itself.
        let t = series[1];
        assert!(
            t.label_set(&["namespace", "pod"])
                .expect("full")
                .ptr_eq(t.labels)
        );
        assert_eq!(t.timestamps, &[3]);
    }

    #[test]
    fn equal_label_sets_share_an_id_across_batches() {
        let l = &[("pod", "shared-id-test")];
        let a = Batch::new(0, 1).with_input("x", vec![OwnedSeries::new(l, &[])]);
        let b = Batch::new(0, 1)
            .with_input("y", vec![OwnedSeries::new(&[("pod", "other")], &[])])
            .with_input("x", vec![OwnedSeries::new(l, &[])])
            .with_retired(l);
        let ida = a.series("x").expect("x").next().expect("series").id;
        let idb = b.series("x").expect("x").next().expect("series").id;
        assert_eq!(ida, idb);
        assert_eq!(b.retired(), &[ida]);
    }

    #[test]
    fn check_refuses_what_the_wit_rules_out() {
        let ok = Batch::new(0, 10).with_input(
            "x",
            vec![OwnedSeries::new(&[], &[(1, 1.0), (1, 2.0), (3, 3.0)])],
        );
        assert_eq!(ok.check(), Ok(()));
        assert!(matches!(
            Batch::new(10, 0).check(),
            Err(KpiError::InvalidInput(_))
        ));
        let unordered = Batch::new(0, 10).with_input(
            "x",
            vec![OwnedSeries::new(&[("pod", "p")], &[(2, 1.0), (1, 1.0)])],
        );
        assert!(
            matches!(unordered.check(), Err(KpiError::InvalidInput(m)) if m.contains("\"x\"") && m.contains("series 0") && m.contains("pod"))
        );
        let mut table = LabelTable::default();
        table.push(LabelSet::default());
        let columns = |label_sets: Vec<u32>, lengths: Vec<u32>, n: usize, m: usize| InputColumns {
            name: "y".into(),
            label_sets,
            lengths,
            timestamps: vec![0; n],
            values: vec![0.0; m],
        };
        for (bad, what) in [
            (columns(vec![0], vec![2], 2, 1), "values"),
            (columns(vec![0], vec![1], 2, 2), "lengths"),
            (columns(vec![0, 0], vec![2], 2, 2), "lengths"),
            (columns(vec![7], vec![2], 2, 2), "unknown"),
        ] {
            let b = Batch::from_parts(0, 1, vec![bad], vec![], std::mem::take(&mut table));
            let r = b.check();
            assert!(
                matches!(&r, Err(KpiError::InvalidInput(m)) if m.contains("\"y\"") && m.contains(what)),
                "{r:?}"
            );
            // Views of a malformed batch never index out of bounds.
            for s in b.series("y").expect("y") {
                let _ = s.points().count();
            }
            table = b.into_table().0;
        }
    }

    #[test]
    fn retiring_forgets_sets_and_projections() {
        let mut table = LabelTable::default();
        table.push(LabelSet::from_pairs(&[("pod", "a"), ("x", "1")]));
        let set = table.get(0).cloned().expect("set");
        assert!(table.project(0, &set, &["pod"]).is_some());
        table.retire(&[0, 99]);
        assert!(table.get(0).is_none());
        assert!(matches!(
            table.projections.borrow()[0].by_id[0],
            Slot::Unknown
        ));
        assert_eq!(table.sets.len(), 1);
    }

    #[test]
    fn lookups() {
        let b = Batch::new(5, 10).with_input("x", vec![OwnedSeries::default()]);
        assert_eq!(b.series("x").map(|s| s.len()), Ok(1));
        assert!(matches!(b.series("y"), Err(KpiError::InvalidInput(m)) if m.contains("\"y\"")));
        assert!(b.contains(5) && b.contains(10) && !b.contains(4) && !b.contains(11));
    }
}

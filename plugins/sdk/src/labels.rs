//! Label sets as cheap handles: sorted pairs behind an `Rc`, hashed once.
//!
//! In wasm every string comparison and hash is a byte loop, and building,
//! hashing and comparing owned label vectors per series (or per point) cost
//! more than the KPIs themselves. A [`LabelSet`] is built once per label set
//! the host sends; after that, cloning is a reference count, hashing writes
//! one cached `u64` and equality is usually a pointer comparison.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, DefaultHasher, Hash, Hasher};
use std::rc::Rc;

/// Labels as owned `(name, value)` pairs, in no particular order.
pub type Labels = Vec<(String, String)>;

/// A set of labels, sorted by name: a cheap-to-clone handle whose hash is
/// computed once.
///
/// `Hash` writes the cached hash (use [`LabelMap`] to skip rehashing it);
/// equality is pointer equality or, failing that, equal hashes and equal
/// pairs.
#[derive(Clone)]
pub struct LabelSet(Rc<Inner>);

struct Inner {
    hash: u64,
    pairs: Box<[(String, String)]>,
}

impl LabelSet {
    /// Sorts `pairs` by name (then value) and hashes them.
    pub fn new(mut pairs: Labels) -> LabelSet {
        if !pairs.is_sorted() {
            pairs.sort_unstable();
        }
        let mut hasher = DefaultHasher::new();
        pairs.hash(&mut hasher);
        LabelSet(Rc::new(Inner {
            hash: hasher.finish(),
            pairs: pairs.into_boxed_slice(),
        }))
    }

    /// Builds a set from borrowed pairs (handy in tests).
    pub fn from_pairs(pairs: &[(&str, &str)]) -> LabelSet {
        LabelSet::new(
            pairs
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    /// The value of label `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .pairs
            .binary_search_by(|(n, _)| n.as_str().cmp(name))
            .ok()
            .map(|i| self.0.pairs[i].1.as_str())
    }

    /// The labels `names`, sorted, or `None` when one is missing or empty
    /// (Prometheus treats an empty label as absent). When `names` covers the
    /// whole set, the answer is this very set (a clone of the handle).
    ///
    /// Not cached; [`crate::Series::label_set`] caches it per label set.
    pub fn project(&self, names: &[&str]) -> Option<LabelSet> {
        let mut pairs = Labels::with_capacity(names.len());
        for name in names {
            let value = self.get(name).filter(|v| !v.is_empty())?;
            if !pairs.iter().any(|(n, _)| n == name) {
                pairs.push(((*name).to_owned(), value.to_owned()));
            }
        }
        if pairs.len() == self.len() {
            return Some(self.clone());
        }
        Some(LabelSet::new(pairs))
    }

    /// `(name, value)` pairs, sorted by name.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + '_ {
        self.0.pairs.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// The pairs, sorted by name.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.0.pairs
    }

    pub fn len(&self) -> usize {
        self.0.pairs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.pairs.is_empty()
    }

    /// Whether both handles point at the same set (cheaper than `==`, and
    /// `==` tries it first).
    pub fn ptr_eq(&self, other: &LabelSet) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }

    /// The hash computed when the set was built.
    pub fn hash_value(&self) -> u64 {
        self.0.hash
    }

    /// The pairs as owned strings.
    pub fn to_labels(&self) -> Labels {
        self.0.pairs.to_vec()
    }
}

impl Default for LabelSet {
    fn default() -> LabelSet {
        LabelSet::new(Labels::new())
    }
}

impl PartialEq for LabelSet {
    fn eq(&self, other: &LabelSet) -> bool {
        self.ptr_eq(other) || (self.0.hash == other.0.hash && self.0.pairs == other.0.pairs)
    }
}

impl Eq for LabelSet {}

impl Hash for LabelSet {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.0.hash);
    }
}

impl PartialOrd for LabelSet {
    fn partial_cmp(&self, other: &LabelSet) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// By pairs, like the sorted vectors they are.
impl Ord for LabelSet {
    fn cmp(&self, other: &LabelSet) -> Ordering {
        if self.ptr_eq(other) {
            return Ordering::Equal;
        }
        self.0.pairs.cmp(&other.0.pairs)
    }
}

impl fmt::Debug for LabelSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, (n, v)) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{n}={v:?}")?;
        }
        f.write_str("}")
    }
}

impl From<&[(&str, &str)]> for LabelSet {
    fn from(pairs: &[(&str, &str)]) -> LabelSet {
        LabelSet::from_pairs(pairs)
    }
}

impl<const N: usize> From<&[(&str, &str); N]> for LabelSet {
    fn from(pairs: &[(&str, &str); N]) -> LabelSet {
        LabelSet::from_pairs(pairs)
    }
}

impl From<Labels> for LabelSet {
    fn from(pairs: Labels) -> LabelSet {
        LabelSet::new(pairs)
    }
}

impl<'a> IntoIterator for &'a LabelSet {
    type Item = (&'a str, &'a str);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (String, String)>,
        fn(&'a (String, String)) -> (&'a str, &'a str),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.pairs.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }
}

/// A hasher for keys that hash themselves to one `u64` ([`LabelSet`],
/// integers): it passes that through instead of hashing it again.
#[derive(Debug, Default, Clone, Copy)]
pub struct LabelHasher(u64);

impl Hasher for LabelHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Not used by LabelSet; a plain FNV-1a so other keys still work.
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = self.0.rotate_left(5) ^ n;
    }

    fn write_u32(&mut self, n: u32) {
        // Spread small integers over the high bits the table probes with.
        self.write_u64(u64::from(n).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64((n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    }
}

/// `BuildHasher` of [`LabelHasher`].
pub type BuildLabelHasher = BuildHasherDefault<LabelHasher>;

/// A `HashMap` keyed by [`LabelSet`] that uses the cached hash as is.
pub type LabelMap<V> = HashMap<LabelSet, V, BuildLabelHasher>;

/// State per key (a [`LabelSet`], usually a projection of input label sets)
/// for KPIs that keep state across pushes, forgotten once every input label
/// set that fed the key has been retired by the host.
///
/// ```
/// # use understudy_kpi_sdk::*;
/// # fn f(batch: &Batch, tracks: &mut KeyedState<u64>) -> Result<(), KpiError> {
/// tracks.retire(batch);
/// for series in batch.series("x")? {
///     let Some(key) = series.label_set(&["pod"]) else { continue };
///     *tracks.get_or_default(&series, &key) += series.values.len() as u64;
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct KeyedState<T> {
    /// Input label-set id → the key it fed.
    keys: Vec<Option<LabelSet>>,
    /// Key → state and the number of live input ids feeding it.
    states: LabelMap<(T, u32)>,
}

impl<T> Default for KeyedState<T> {
    fn default() -> Self {
        KeyedState {
            keys: Vec::new(),
            states: LabelMap::default(),
        }
    }
}

impl<T> KeyedState<T> {
    pub fn new() -> Self {
        Self::default()
    }

    /// The state of `key`, fed by `series` (created with `T::default()`).
    pub fn get_or_default(&mut self, series: &crate::Series<'_>, key: &LabelSet) -> &mut T
    where
        T: Default,
    {
        self.get_or_insert_with(series.id, key, T::default)
    }

    /// The state of `key`, fed by input label set `id`; `init` creates it.
    pub fn get_or_insert_with(
        &mut self,
        id: u32,
        key: &LabelSet,
        init: impl FnOnce() -> T,
    ) -> &mut T {
        let slot = id as usize;
        let known = matches!(self.keys.get(slot), Some(Some(k)) if k == key);
        if !known {
            if self.keys.len() <= slot {
                self.keys.resize(slot + 1, None);
            }
            if let Some(old) = self.keys[slot].replace(key.clone()) {
                self.release(&old);
            }
        }
        let entry = self
            .states
            .entry(key.clone())
            .or_insert_with(|| (init(), u32::from(known)));
        entry.1 += u32::from(!known);
        &mut entry.0
    }

    /// Forgets the ids the batch retires, and the state of keys no live id
    /// feeds any more. Call it in every push.
    pub fn retire(&mut self, batch: &crate::Batch) {
        for &id in batch.retired() {
            self.retire_id(id);
        }
    }

    /// Forgets input label set `id`.
    pub fn retire_id(&mut self, id: u32) {
        if let Some(Some(key)) = self.keys.get_mut(id as usize).map(Option::take) {
            self.release(&key);
        }
    }

    fn release(&mut self, key: &LabelSet) {
        if let Some(entry) = self.states.get_mut(key) {
            entry.1 = entry.1.saturating_sub(1);
            if entry.1 == 0 {
                self.states.remove(key);
            }
        }
    }

    pub fn get(&self, key: &LabelSet) -> Option<&T> {
        self.states.get(key).map(|e| &e.0)
    }

    /// Keys with state.
    pub fn len(&self) -> usize {
        self.states.len()
    }

    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_hashed_and_compared_by_content() {
        let a = LabelSet::from_pairs(&[("pod", "a"), ("namespace", "ns")]);
        let b = LabelSet::from_pairs(&[("namespace", "ns"), ("pod", "a")]);
        assert_eq!(a, b);
        assert!(!a.ptr_eq(&b));
        assert_eq!(a.hash_value(), b.hash_value());
        assert_eq!(
            a.iter().collect::<Vec<_>>(),
            vec![("namespace", "ns"), ("pod", "a")]
        );
        assert_eq!(a.get("pod"), Some("a"));
        assert_eq!(a.get("job"), None);
        assert_ne!(a, LabelSet::from_pairs(&[("pod", "a")]));
        assert_eq!(format!("{a:?}"), r#"{namespace="ns", pod="a"}"#);
        let mut m: LabelMap<u32> = LabelMap::default();
        m.insert(a.clone(), 1);
        assert_eq!(m.get(&b), Some(&1));
    }

    #[test]
    fn projection() {
        let s = LabelSet::from_pairs(&[("pod", "a"), ("namespace", "ns"), ("container", "")]);
        let p = s.project(&["pod", "namespace"]).expect("present");
        assert_eq!(
            p,
            LabelSet::from_pairs(&[("namespace", "ns"), ("pod", "a")])
        );
        assert_eq!(s.project(&["container"]), None);
        assert_eq!(s.project(&["node"]), None);
        let full = p.project(&["pod", "namespace"]).expect("present");
        assert!(full.ptr_eq(&p));
    }
}

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a metric or label name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    /// A metric name outside Prometheus' `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    #[error("invalid metric name {0:?}: must match [a-zA-Z_:][a-zA-Z0-9_:]*")]
    MetricName(String),
    /// A label name outside `[a-zA-Z_][a-zA-Z0-9_]*`, or reserved (`__…`).
    #[error("invalid label name {0:?}: must match [a-zA-Z_][a-zA-Z0-9_]* and not start with __")]
    LabelName(String),
    /// Two pairs with one name (and non-empty values): which one wins
    /// would be a guess.
    #[error("label {0:?} appears twice")]
    Duplicate(String),
}

/// Label pairs of one series, sorted by name, without `__name__`.
///
/// Empty values are dropped on construction: in Prometheus a label with an
/// empty value is the same as no label, and two spellings of one series
/// would split its history.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Labels(Vec<(String, String)>);

impl Labels {
    /// No labels: a series identified by its metric name alone.
    pub fn new() -> Self {
        Labels(Vec::new())
    }

    /// Builds a label set, validating names and rejecting duplicates.
    pub fn from_pairs<I, K, V>(pairs: I) -> Result<Self, LabelError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let mut v: Vec<(String, String)> = pairs
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        for (k, _) in &v {
            if !valid_label_name(k) {
                return Err(LabelError::LabelName(k.clone()));
            }
        }
        v.sort();
        if let Some(w) = v.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(LabelError::Duplicate(w[0].0.clone()));
        }
        Ok(Labels(v))
    }

    /// The value of `name`; `None` if absent (never `Some("")`: empty
    /// values are dropped).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .binary_search_by(|(k, _)| k.as_str().cmp(name))
            .ok()
            .map(|i| self.0[i].1.as_str())
    }

    /// `(name, value)` pairs in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// How many labels, `__name__` not counted (it is never here).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no labels.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Labels {
    /// Prometheus text form: `{a="1",b="x\"y"}`, `{}` when empty.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, (k, v)) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{k}=\"")?;
            write_escaped(f, v)?;
            f.write_str("\"")?;
        }
        f.write_str("}")
    }
}

/// Escapes a label value as the Prometheus and OpenMetrics text formats do.
pub(crate) fn write_escaped(f: &mut impl fmt::Write, v: &str) -> fmt::Result {
    for c in v.chars() {
        match c {
            '\\' => f.write_str("\\\\")?,
            '"' => f.write_str("\\\"")?,
            '\n' => f.write_str("\\n")?,
            c => f.write_char(c)?,
        }
    }
    Ok(())
}

/// `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__` (reserved).
pub fn valid_label_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !s.starts_with("__")
}

/// `[a-zA-Z_:][a-zA-Z0-9_:]*`.
pub fn valid_metric_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// Stable identity of a series: the 64-bit XXH3 of its metric name and labels.
///
/// Equal in every recording and on every machine, so series of two
/// recordings (two load-test runs) can be matched without comparing labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SeriesId(pub u64);

impl SeriesId {
    /// The id of `metric` with `labels`. Recordings store it (`series_id`),
    /// so the hashing must never change: old recordings would stop matching.
    pub fn of(metric: &str, labels: &Labels) -> SeriesId {
        // 0xff never occurs in UTF-8, so it separates fields unambiguously.
        let mut buf = Vec::with_capacity(64);
        buf.extend_from_slice(metric.as_bytes());
        for (k, v) in labels.iter() {
            buf.push(0xff);
            buf.extend_from_slice(k.as_bytes());
            buf.push(0xff);
            buf.extend_from_slice(v.as_bytes());
        }
        SeriesId(xxhash_rust::xxh3::xxh3_64(&buf))
    }
}

/// One time series: a metric name and its labels, ordered by metric name,
/// then labels.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Series {
    metric: String,
    labels: Labels,
    id: SeriesId,
}

impl Series {
    /// A series of `metric` (checked: [`LabelError::MetricName`]) with
    /// `labels` (already checked by [`Labels::from_pairs`]); the id is
    /// computed once here.
    pub fn new(metric: impl Into<String>, labels: Labels) -> Result<Series, LabelError> {
        let metric = metric.into();
        if !valid_metric_name(&metric) {
            return Err(LabelError::MetricName(metric));
        }
        let id = SeriesId::of(&metric, &labels);
        Ok(Series { metric, labels, id })
    }

    /// The metric name (what Prometheus stores as `__name__`).
    pub fn metric(&self) -> &str {
        &self.metric
    }

    /// The labels, without `__name__`.
    pub fn labels(&self) -> &Labels {
        &self.labels
    }

    /// The stable id, [`SeriesId::of`] the metric and labels.
    pub fn id(&self) -> SeriesId {
        self.id
    }
}

impl Ord for Series {
    fn cmp(&self, other: &Self) -> Ordering {
        self.metric
            .cmp(&other.metric)
            .then_with(|| self.labels.cmp(&other.labels))
    }
}

impl PartialOrd for Series {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Series {
    /// `up{job="x"}`, or just `up` without labels, as Prometheus prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.labels.is_empty() {
            f.write_str(&self.metric)
        } else {
            write!(f, "{}{}", self.metric, self.labels)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(pairs: &[(&str, &str)]) -> Labels {
        Labels::from_pairs(pairs.iter().copied()).expect("valid labels")
    }

    #[test]
    fn labels_are_sorted_and_empty_values_dropped() {
        let labels = l(&[("pod", "a"), ("container", ""), ("namespace", "m")]);
        assert_eq!(labels.to_string(), r#"{namespace="m",pod="a"}"#);
        assert_eq!(labels.get("pod"), Some("a"));
        assert_eq!(labels.get("container"), None);
    }

    #[test]
    fn bad_names_are_refused() {
        assert_eq!(
            Labels::from_pairs([("a-b", "x")]),
            Err(LabelError::LabelName("a-b".into()))
        );
        assert_eq!(
            Labels::from_pairs([("__name__", "x")]),
            Err(LabelError::LabelName("__name__".into()))
        );
        assert_eq!(
            Labels::from_pairs([("a", "1"), ("a", "2")]),
            Err(LabelError::Duplicate("a".into()))
        );
        assert_eq!(
            Series::new("1up", Labels::new()),
            Err(LabelError::MetricName("1up".into()))
        );
    }

    #[test]
    fn values_are_escaped_like_prometheus() {
        assert_eq!(l(&[("a", "x\"y\\z\nw")]).to_string(), r#"{a="x\"y\\z\nw"}"#);
    }

    #[test]
    fn series_id_is_stable_and_distinguishes_label_boundaries() {
        let a = Series::new("m", l(&[("a", "bc")])).expect("valid");
        let b = Series::new("m", l(&[("ab", "c")])).expect("valid");
        assert_ne!(a.id(), b.id());
        // The id is part of the file format: it must never change between versions.
        assert_eq!(a.id(), SeriesId::of("m", &l(&[("a", "bc")])));
        assert_eq!(
            SeriesId::of("up", &Labels::new()).0,
            xxhash_rust::xxh3::xxh3_64(b"up")
        );
    }

    #[test]
    fn series_order_is_metric_then_labels() {
        let a = Series::new("a", l(&[("z", "1")])).expect("valid");
        let b = Series::new("b", Labels::new()).expect("valid");
        let a2 = Series::new("a", l(&[("z", "2")])).expect("valid");
        let mut v = vec![b.clone(), a2.clone(), a.clone()];
        v.sort();
        assert_eq!(v, vec![a, a2, b]);
    }
}

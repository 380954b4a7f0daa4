//! The data the engine reads and answers with: label sets, series,
//! matchers, and the results of a query.

/// Label pairs sorted by name, `__name__` included when the series has one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Labels(pub Vec<(String, String)>);

impl Labels {
    /// Builds a sorted label set (later duplicates win; empty values dropped).
    pub fn new(pairs: impl IntoIterator<Item = (String, String)>) -> Labels {
        let mut v: Vec<(String, String)> =
            pairs.into_iter().filter(|(_, v)| !v.is_empty()).collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v.dedup_by(|later, earlier| {
            if later.0 == earlier.0 {
                std::mem::swap(later, earlier);
                true
            } else {
                false
            }
        });
        Labels(v)
    }

    /// The value of label `name`; `None` when the series lacks it (which
    /// selectors treat as the empty value).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One series and its samples, times in ms, ascending, one per timestamp.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The series' identity, `__name__` included.
    pub labels: Labels,
    /// Sample times in ms since the epoch, ascending, no duplicates.
    pub timestamps: Vec<i64>,
    /// The sample values, one per timestamp (same length).
    pub values: Vec<f64>,
}

/// A label matcher of a selector (`name="v"`, `!=`, `=~`, `!~`), regexes
/// anchored as Prometheus anchors them.
#[derive(Debug, Clone)]
pub struct Matcher {
    /// The label name (`__name__` for the metric name).
    pub name: String,
    /// How the label's value is compared.
    pub op: MatchOp,
    /// The value as written in the selector; for regex operators, the
    /// unanchored source of the compiled regex.
    pub value: String,
}

/// The comparison of a [`Matcher`].
#[derive(Debug, Clone)]
pub enum MatchOp {
    /// `=`: exactly `value`.
    Equal,
    /// `!=`: anything but `value` (a missing label, "", included).
    NotEqual,
    /// `=~`: the whole value matches (the regex is anchored `^(?:…)$`).
    Re(regex::Regex),
    /// `!~`: the whole value does not match.
    NotRe(regex::Regex),
}

impl Matcher {
    /// Whether a label value passes; pass "" for a missing label, as
    /// Prometheus does.
    pub fn matches(&self, v: &str) -> bool {
        match &self.op {
            MatchOp::Equal => v == self.value,
            MatchOp::NotEqual => v != self.value,
            MatchOp::Re(r) => r.is_match(v),
            MatchOp::NotRe(r) => !r.is_match(v),
        }
    }
}

/// A sample of an instant vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The series' labels after evaluation (functions and operators may
    /// have dropped `__name__`).
    pub labels: Labels,
    /// Evaluation time in ms since the epoch (the sample's own time for a
    /// bare selector's range vector).
    pub t: i64,
    /// The value; NaN and ±Inf are values like any other.
    pub v: f64,
}

/// The result of an evaluation, as the HTTP API's `resultType`s.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A number, from a literal or `scalar()`/`time()` and the like.
    Scalar {
        /// Evaluation time, ms since the epoch.
        t: i64,
        /// The value.
        v: f64,
    },
    /// A string literal (only instant queries can return one).
    String {
        /// Evaluation time, ms since the epoch.
        t: i64,
        /// The string, unquoted.
        v: String,
    },
    /// Instant vector (order unspecified, as in Prometheus).
    Vector(Vec<Sample>),
    /// Range vector or range query result: series sorted by labels, points ascending.
    Matrix(Vec<Series>),
}

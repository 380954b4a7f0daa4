//! What one tick asks Prometheus: the raw samples behind each selector and
//! the answer of each recorded query.

use std::collections::HashMap;
use std::sync::Arc;

use prometheus_http_query::Client;
use prometheus_http_query::response::Data;
use understudy_core::{Labels, SampleBatch, Series, SeriesId};

use crate::client::Failure;

pub use understudy_core::{QUERY_LABEL, RESULT_METRIC};

/// `Arc<Series>` per label set, so a series seen every tick is built (and
/// validated) once.
#[derive(Debug, Default)]
pub(crate) struct SeriesCache {
    by_labels: HashMap<Vec<(String, String)>, Arc<Series>>,
}

/// More distinct series than this and the cache starts over (pod churn
/// over a long run must not grow it without bound).
const CACHE_LIMIT: usize = 200_000;

impl SeriesCache {
    /// The series of a Prometheus label map (with `__name__`), plus `extra`.
    pub(crate) fn get(
        &mut self,
        metric: &HashMap<String, String>,
        extra: Option<(&str, &str)>,
    ) -> Result<Arc<Series>, String> {
        let mut key: Vec<(String, String)> = metric
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .chain(extra.map(|(k, v)| (k.to_owned(), v.to_owned())))
            .collect();
        key.sort_unstable();
        if let Some(s) = self.by_labels.get(&key) {
            return Ok(Arc::clone(s));
        }
        if self.by_labels.len() >= CACHE_LIMIT {
            self.by_labels.clear();
        }
        let name = metric
            .get("__name__")
            .cloned()
            .unwrap_or_else(|| RESULT_METRIC.to_owned());
        let labels = Labels::from_pairs(key.iter().filter(|(k, _)| k != "__name__").cloned())
            .map_err(|e| format!("series {name}: {e}"))?;
        let series = Arc::new(Series::new(name, labels).map_err(|e| e.to_string())?);
        self.by_labels.insert(key, Arc::clone(&series));
        Ok(series)
    }
}

/// Prometheus' seconds (with millisecond decimals) as milliseconds.
fn ms(seconds: f64) -> i64 {
    (seconds * 1000.0).round() as i64
}

/// What a selector fetch brought besides samples.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct RawOutcome {
    pub(crate) samples: usize,
    /// Series left out beyond `max_series_per_selector`.
    pub(crate) truncated: usize,
    /// Series whose labels understudy cannot store (named in the log).
    pub(crate) invalid: usize,
}

/// Where and how far back one selector fetch looks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    /// Evaluation time, in seconds (what the API takes).
    pub(crate) at_s: i64,
    /// How far back from `at_s`.
    pub(crate) window_s: i64,
    pub(crate) timeout_ms: i64,
    pub(crate) max_series: usize,
}

/// The raw samples behind one selector, fetched as a range-vector instant
/// query (`selector[window]` at `at`) so they keep their scrape timestamps;
/// windows overlap and a sample at or before the last one recorded for its
/// series is skipped.
#[derive(Debug)]
pub(crate) struct RawSelector {
    pub(crate) selector: String,
    last: HashMap<SeriesId, i64>,
}

impl RawSelector {
    pub(crate) fn new(selector: String) -> RawSelector {
        RawSelector {
            selector,
            last: HashMap::new(),
        }
    }

    pub(crate) async fn fetch(
        &mut self,
        client: &Client,
        cache: &mut SeriesCache,
        window: Window,
        out: &mut SampleBatch,
    ) -> Result<RawOutcome, Failure> {
        let Window {
            at_s,
            window_s,
            timeout_ms,
            max_series,
        } = window;
        let query = format!("{}[{window_s}s]", self.selector);
        let answer = client
            .query(&query)
            .at(at_s)
            .timeout(timeout_ms)
            .post()
            .await
            .map_err(|e| Failure::classify(&e))?;
        let Data::Matrix(mut matrix) = answer.data().clone() else {
            return Err(Failure::Answer {
                reason: "bad_answer",
                message: format!("{query}: the answer is not a range vector"),
            });
        };
        let mut outcome = RawOutcome::default();
        if matrix.len() > max_series {
            // Which series are kept must not change from tick to tick.
            matrix.sort_by_cached_key(|rv| {
                let mut l: Vec<_> = rv.metric().iter().collect();
                l.sort();
                format!("{l:?}")
            });
            outcome.truncated = matrix.len() - max_series;
            matrix.truncate(max_series);
        }
        for rv in &matrix {
            let series = match cache.get(rv.metric(), None) {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(selector = %self.selector, "left out: {e}");
                    outcome.invalid += 1;
                    continue;
                }
            };
            let last = self.last.entry(series.id()).or_insert(i64::MIN);
            for s in rv.samples() {
                let t = ms(s.timestamp());
                if t > *last {
                    out.push(&series, t, s.value());
                    *last = t;
                    outcome.samples += 1;
                }
            }
        }
        Ok(outcome)
    }

    /// Forgets series not seen since `before_ms` (bounded memory under churn).
    pub(crate) fn prune(&mut self, before_ms: i64) {
        self.last.retain(|_, t| *t >= before_ms);
    }
}

/// Evaluates `expr` at `at_s` and adds its answer, each series labelled
/// with the expression.
pub(crate) async fn query(
    client: &Client,
    cache: &mut SeriesCache,
    expr: &str,
    at_s: i64,
    timeout_ms: i64,
    out: &mut SampleBatch,
) -> Result<usize, Failure> {
    let answer = client
        .query(expr)
        .at(at_s)
        .timeout(timeout_ms)
        .post()
        .await
        .map_err(|e| Failure::classify(&e))?;
    let extra = Some((QUERY_LABEL, expr));
    let mut n = 0;
    match answer.data() {
        Data::Vector(v) => {
            for iv in v {
                match cache.get(iv.metric(), extra) {
                    Ok(series) => {
                        out.push(&series, ms(iv.sample().timestamp()), iv.sample().value());
                        n += 1;
                    }
                    Err(e) => tracing::warn!(query = expr, "left out: {e}"),
                }
            }
        }
        Data::Scalar(s) => {
            let series = cache
                .get(&HashMap::new(), extra)
                .map_err(|message| Failure::Answer {
                    reason: "bad_answer",
                    message,
                })?;
            out.push(&series, ms(s.timestamp()), s.value());
            n = 1;
        }
        Data::Matrix(_) => {
            return Err(Failure::Answer {
                reason: "bad_query",
                message: format!(
                    "{expr}: a range vector cannot be graphed; record its selector instead"
                ),
            });
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn series_are_built_once_and_named() {
        let mut cache = SeriesCache::default();
        let m = labels(&[("__name__", "up"), ("job", "p")]);
        let a = cache.get(&m, None).expect("valid");
        let b = cache.get(&m, None).expect("valid");
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(a.metric(), "up");
        assert_eq!(a.labels().get("job"), Some("p"));
        let q = cache
            .get(&labels(&[("pod", "x")]), Some((QUERY_LABEL, "sum(x)")))
            .expect("valid");
        assert_eq!(q.metric(), RESULT_METRIC);
        assert_eq!(q.labels().get(QUERY_LABEL), Some("sum(x)"));
        assert!(cache.get(&labels(&[("__name__", "1bad")]), None).is_err());
        assert_eq!(ms(1_700_000_000.123), 1_700_000_000_123);
    }
}

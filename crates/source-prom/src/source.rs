//! The `Source` the recorder runs for one `[[source.prometheus]]`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use prometheus_http_query::Client;
use understudy_core::{BoxFuture, Labels, SampleBatch, Series, Sink, Source, SourceError, now_ms};

use crate::client::{self, Failure};
use crate::config::PromConfig;
use crate::fetch::{self, RawSelector, SeriesCache, Window};

/// After an outage the first fetch reaches back to the last good one (a
/// restarted Prometheus replays its WAL, so what it scraped before it went
/// down is there again), but no further than this.
const MAX_CATCH_UP_S: i64 = 15 * 60;

/// Series not seen for this long are forgotten by the de-duplication.
const FORGET_AFTER_MS: i64 = 60 * 60 * 1000;

/// A recorded query: its name in the config (or `dashboard/panel/refId`)
/// and its expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedQuery {
    /// Its key under `queries`, or `dashboard/panel/refId`.
    pub name: String,
    /// The PromQL sent to Prometheus, stored as the `understudy_query`
    /// label of its answers.
    pub expr: String,
}

/// Records one Prometheus: raw samples of its selectors and the answers of
/// its queries, every interval, aligned to multiples of the interval (as
/// Grafana aligns its steps).
pub struct PromSource {
    name: String,
    config: PromConfig,
    client: Client,
    raw: Vec<RawSelector>,
    queries: Vec<NamedQuery>,
    cache: SeriesCache,
    /// Failed requests by reason, recorded as
    /// `understudy_prometheus_errors_total{source, reason}`.
    errors: BTreeMap<&'static str, u64>,
    /// Series left out per selector at the last fetch, recorded as
    /// `understudy_prometheus_truncated_series{source, selector}`.
    truncated: BTreeMap<String, usize>,
    /// The evaluation time (s) of the last tick that reached Prometheus.
    last_ok_s: Option<i64>,
    health: BTreeMap<(String, String), Arc<Series>>,
}

impl std::fmt::Debug for PromSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PromSource")
            .field("name", &self.name)
            .field("url", &self.config.url)
            .field("selectors", &self.raw.len())
            .field("queries", &self.queries.len())
            .finish_non_exhaustive()
    }
}

impl PromSource {
    /// The source `prometheus[index]` for `config`, recording `queries`
    /// (the config's own and those imported from dashboards) and the raw
    /// samples of `selectors` (the config's and the queries' own).
    pub fn new(
        index: usize,
        config: PromConfig,
        queries: Vec<NamedQuery>,
        selectors: Vec<String>,
    ) -> Result<PromSource, String> {
        let client = client::build(&config)?;
        let mut seen = std::collections::HashSet::new();
        let raw = selectors
            .into_iter()
            .filter(|s| seen.insert(s.clone()))
            .map(RawSelector::new)
            .collect();
        Ok(PromSource {
            name: format!("prometheus[{index}]"),
            config,
            client,
            raw,
            queries,
            cache: SeriesCache::default(),
            errors: BTreeMap::new(),
            truncated: BTreeMap::new(),
            last_ok_s: None,
            health: BTreeMap::new(),
        })
    }

    fn interval_s(&self) -> i64 {
        i64::try_from(self.config.interval.as_secs())
            .unwrap_or(i64::MAX)
            .max(1)
    }

    /// One tick at `at_s`: every selector, every query, the source's own
    /// series. `Err` only when Prometheus is down.
    pub async fn tick(&mut self, at_s: i64, sink: &dyn Sink) -> Result<(), SourceError> {
        let interval = self.interval_s();
        let window = match self.last_ok_s {
            Some(last) => {
                (at_s - last + interval).clamp(2 * interval, MAX_CATCH_UP_S.max(2 * interval))
            }
            None => 2 * interval,
        };
        let timeout_ms = i64::try_from(self.config.timeout.as_millis()).unwrap_or(i64::MAX);
        let mut batch = SampleBatch::default();
        let mut failures = Vec::new();
        for raw in &mut self.raw {
            let w = Window {
                at_s,
                window_s: window,
                timeout_ms,
                max_series: self.config.max_series_per_selector,
            };
            match raw
                .fetch(&self.client, &mut self.cache, w, &mut batch)
                .await
            {
                Ok(outcome) => {
                    if outcome.truncated > 0 {
                        tracing::warn!(
                            source = %self.name,
                            selector = %raw.selector,
                            "{} series beyond max_series_per_selector = {} were left out",
                            outcome.truncated,
                            self.config.max_series_per_selector
                        );
                    }
                    if outcome.truncated > 0 || self.truncated.contains_key(&raw.selector) {
                        self.truncated
                            .insert(raw.selector.clone(), outcome.truncated);
                    }
                    if outcome.invalid > 0 {
                        failures.push((
                            "invalid_series",
                            format!(
                                "{}: {} series with labels understudy cannot store",
                                raw.selector, outcome.invalid
                            ),
                        ));
                    }
                }
                Err(Failure::Down(m)) => return Err(self.down(m)),
                Err(Failure::Answer { reason, message }) => failures.push((reason, message)),
            }
            raw.prune(at_s * 1000 - FORGET_AFTER_MS);
        }
        for q in &self.queries {
            match fetch::query(
                &self.client,
                &mut self.cache,
                &q.expr,
                at_s,
                timeout_ms,
                &mut batch,
            )
            .await
            {
                Ok(_) => {}
                Err(Failure::Down(m)) => return Err(self.down(m)),
                Err(Failure::Answer { reason, message }) => {
                    failures.push((reason, format!("query {}: {message}", q.name)));
                }
            }
        }
        for (reason, message) in failures {
            tracing::warn!(source = %self.name, reason, "{message}");
            *self.errors.entry(reason).or_default() += 1;
        }
        self.record_health(at_s * 1000, &mut batch);
        sink.send(batch.into()).await?;
        self.last_ok_s = Some(at_s);
        Ok(())
    }

    fn down(&self, message: String) -> SourceError {
        SourceError::Unavailable(format!(
            "Prometheus at {} is down: {message}",
            self.config.url
        ))
    }

    /// The source's own series: errors by reason and truncations by selector.
    fn record_health(&mut self, t: i64, batch: &mut SampleBatch) {
        let mut points = Vec::new();
        for (reason, n) in &self.errors {
            points.push((
                "understudy_prometheus_errors_total",
                "reason",
                (*reason).to_owned(),
                *n as f64,
            ));
        }
        for (selector, n) in &self.truncated {
            points.push((
                "understudy_prometheus_truncated_series",
                "selector",
                selector.clone(),
                *n as f64,
            ));
        }
        for (metric, label, value, v) in points {
            let key = (metric.to_owned(), value.clone());
            let series = match self.health.get(&key) {
                Some(s) => Arc::clone(s),
                None => {
                    let labels = Labels::from_pairs([
                        ("source", self.name.as_str()),
                        (label, value.as_str()),
                    ]);
                    let Ok(series) = labels.and_then(|l| Series::new(metric, l)) else {
                        continue;
                    };
                    let series = Arc::new(series);
                    self.health.insert(key, Arc::clone(&series));
                    series
                }
            };
            batch.push(&series, t, v);
        }
    }
}

impl Source for PromSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn config(&self) -> serde_json::Value {
        // Secrets serialize as "<redacted>".
        let mut v = serde_json::to_value(&self.config).unwrap_or_default();
        if let Some(map) = v.as_object_mut() {
            map.insert(
                "recorded_queries".into(),
                self.queries
                    .iter()
                    .map(|q| serde_json::json!({"name": q.name, "expr": q.expr}))
                    .collect(),
            );
            map.insert(
                "recorded_selectors".into(),
                self.raw.iter().map(|r| r.selector.clone()).collect(),
            );
        }
        v
    }

    fn run<'a>(&'a mut self, sink: &'a dyn Sink) -> BoxFuture<'a, Result<(), SourceError>> {
        Box::pin(async move {
            let interval_ms = self.interval_s() * 1000;
            loop {
                let now = now_ms();
                let next = (now / interval_ms + 1) * interval_ms;
                tokio::time::sleep(Duration::from_millis(
                    u64::try_from(next - now).unwrap_or(0),
                ))
                .await;
                self.tick(next / 1000, sink).await?;
            }
        })
    }
}

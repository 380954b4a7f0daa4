//! Plugins in a running recorder: a window of recent samples, and each
//! plugin pushed its inputs over that window every interval.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tracing::warn;
use understudy_core::{Labels, SampleBatch, Series, SeriesId, TimelineBatch};
use understudy_promql::{Engine, MemStorage};

use crate::SeriesColumns;
use crate::offline::{LabelPairs, matrix};
use crate::{Batch, Evaluator, HostConfig, Input, Mode, Plugin, PluginError, PluginHost};

/// The latest value of one live output series: metric, labels, value.
pub type LatestOutput = (String, LabelPairs, f64);
/// A series and its buffered `(timestamp, value)` points inside the window.
type Buffered = (Arc<Series>, VecDeque<(i64, f64)>);

/// How much recent data plugins can query (their inputs' ranges must fit).
const WINDOW_MS: i64 = 15 * 60_000;

/// One plugin to run live.
#[derive(Debug, Clone)]
pub struct LiveSpec {
    /// The component; relative paths are taken from the `base` given to
    /// [`LivePlugins::load`].
    pub path: PathBuf,
    /// Values for its config parameters.
    pub config: Vec<(String, String)>,
    /// How often its inputs are evaluated and pushed.
    pub interval: Duration,
}

/// Recent samples of every series the recorder wrote.
#[derive(Debug, Default)]
pub struct LiveWindow {
    series: HashMap<SeriesId, Buffered>,
}

impl LiveWindow {
    /// Adds what the recorder wrote; points older than 15 minutes before
    /// the latest tick are dropped at the next [`LivePlugins::tick`].
    pub fn add(&mut self, batch: &TimelineBatch) {
        for s in &batch.samples {
            let e = self
                .series
                .entry(s.series.id())
                .or_insert_with(|| (Arc::clone(&s.series), VecDeque::new()));
            e.1.push_back((s.timestamp_ms, s.value));
        }
    }

    fn prune(&mut self, now: i64) {
        self.series.retain(|_, (_, pts)| {
            while pts.front().is_some_and(|p| p.0 < now - WINDOW_MS) {
                pts.pop_front();
            }
            !pts.is_empty()
        });
    }

    /// The window as PromQL storage: each series in time order, one sample
    /// per timestamp (sources may deliver late or twice).
    fn storage(&self) -> MemStorage {
        understudy_timeline::storage(self.series.values().map(|(s, pts)| {
            let mut sorted: Vec<(i64, f64)> = pts.iter().copied().collect();
            sorted.sort_by_key(|p| p.0);
            sorted.dedup_by_key(|p| p.0);
            let (timestamps, values) = sorted.into_iter().unzip();
            understudy_timeline::series(s, timestamps, values)
        }))
    }
}

/// One live plugin.
#[derive(Debug)]
pub struct LivePlugin {
    /// The plugin's [`crate::PluginInfo::name`].
    pub name: String,
    plugin: Plugin,
    evaluator: Evaluator,
    interval_ms: i64,
    last_ms: Option<i64>,
    /// Latest value of each output series, for `/metrics`.
    pub latest: Vec<LatestOutput>,
}

/// The host and every live plugin.
#[derive(Debug)]
pub struct LivePlugins {
    _host: PluginHost,
    /// Every plugin, in the order of the specs.
    pub plugins: Vec<LivePlugin>,
    /// The samples the plugins' inputs are evaluated over; the recorder
    /// adds every batch it writes.
    pub window: LiveWindow,
    engine: Engine,
}

impl LivePlugins {
    /// Loads and opens every plugin under the live limits; `None` when
    /// there are none.
    pub fn load<I>(specs: I, base: &Path) -> Result<Option<LivePlugins>, PluginError>
    where
        I: IntoIterator,
        I::Item: Into<LiveSpec>,
    {
        let specs: Vec<LiveSpec> = specs.into_iter().map(Into::into).collect();
        if specs.is_empty() {
            return Ok(None);
        }
        let host = PluginHost::new(HostConfig::live())?;
        let mut plugins = Vec::new();
        for spec in specs {
            let plugin = host.load(&base.join(&spec.path))?;
            let evaluator = plugin.open(&spec.config, Mode::Live)?;
            plugins.push(LivePlugin {
                name: plugin.info().name.clone(),
                plugin,
                evaluator,
                interval_ms: spec.interval.as_millis() as i64,
                last_ms: None,
                latest: Vec::new(),
            });
        }
        Ok(Some(LivePlugins {
            _host: host,
            plugins,
            window: LiveWindow::default(),
            engine: Engine::default(),
        }))
    }

    /// Pushes every plugin whose interval has passed; returns their outputs
    /// as samples to record, and each fault as (plugin, reason).
    pub fn tick(&mut self, now: i64) -> (TimelineBatch, Vec<(String, &'static str)>) {
        self.window.prune(now);
        let mut out = SampleBatch::default();
        let mut faults = Vec::new();
        let mut storage = None;
        for p in &mut self.plugins {
            let start = match p.last_ms {
                Some(last) if now - last < p.interval_ms => continue,
                Some(last) => last + 1,
                None => now - p.interval_ms + 1,
            };
            p.last_ms = Some(now);
            let storage = storage.get_or_insert_with(|| self.window.storage());
            let mut inputs = Vec::new();
            for spec in &p.plugin.info().inputs {
                let step = i64::from(spec.step_ms.max(1));
                let series = match self.engine.range(storage, &spec.query, start, now, step) {
                    Ok(value) => matrix(value),
                    Err(e) => {
                        warn!(
                            "plugin {}: input {} does not evaluate: {e}",
                            p.name, spec.name
                        );
                        SeriesColumns::default()
                    }
                };
                inputs.push(Input {
                    name: spec.name.clone(),
                    series,
                });
            }
            match p.evaluator.push(&Batch {
                window_start: start,
                window_end: now,
                inputs,
            }) {
                Ok(outputs) => p.keep(outputs, &mut out),
                Err(e) => {
                    warn!("plugin {}: {e}", p.name);
                    faults.push((p.name.clone(), e.reason()));
                }
            }
        }
        let batch = TimelineBatch::from(out);
        self.window.add(&batch);
        (batch, faults)
    }

    /// How often `tick` should run.
    pub fn period(&self) -> Duration {
        let ms = self
            .plugins
            .iter()
            .map(|p| p.interval_ms)
            .min()
            .unwrap_or(15_000);
        Duration::from_millis(ms.clamp(1_000, 60_000) as u64 / 2)
    }
}

impl LivePlugin {
    /// Adds a push's outputs to the samples to record and to `latest`.
    fn keep(&mut self, outputs: crate::Outputs, out: &mut SampleBatch) {
        for o in outputs.iter() {
            // The host validated names and labels; a set core refuses
            // anyway is left out rather than stopping the recorder.
            let Ok(labels) =
                Labels::from_pairs(o.labels.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            else {
                continue;
            };
            let Ok(series) = Series::new(&**o.metric, labels) else {
                continue;
            };
            let series = Arc::new(series);
            for (&t, &v) in o.timestamps.iter().zip(o.values) {
                out.push(&series, t, v);
            }
            if let Some(&v) = o.values.last() {
                self.latest
                    .retain(|(m, l, _)| !(**m == **o.metric && *l == **o.labels));
                self.latest
                    .push((o.metric.to_string(), (**o.labels).clone(), v));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(points: &[(i64, f64)]) -> TimelineBatch {
        let series = Arc::new(
            Series::new(
                "queue_pending",
                Labels::from_pairs([("stream", "MEMES")]).expect("labels"),
            )
            .expect("series"),
        );
        let mut b = SampleBatch::default();
        for &(t, v) in points {
            b.push(&series, t, v);
        }
        b.into()
    }

    #[test]
    fn the_window_is_queryable_in_time_order_once_per_timestamp() {
        let mut w = LiveWindow::default();
        w.add(&batch(&[(2_000, 2.0), (1_000, 1.0)]));
        w.add(&batch(&[(2_000, 2.0), (3_000, 3.0)]));
        let storage = w.storage();
        assert_eq!(storage.series.len(), 1);
        let s = &storage.series[0];
        assert_eq!(s.labels.get("__name__"), Some("queue_pending"));
        assert_eq!(s.timestamps, [1_000, 2_000, 3_000]);
        assert_eq!(s.values, [1.0, 2.0, 3.0]);
    }

    #[test]
    fn samples_older_than_the_window_are_dropped() {
        let mut w = LiveWindow::default();
        w.add(&batch(&[(0, 1.0), (WINDOW_MS, 2.0)]));
        w.prune(WINDOW_MS + 1);
        assert_eq!(w.storage().series[0].timestamps, [WINDOW_MS]);
        w.prune(3 * WINDOW_MS);
        assert!(w.storage().series.is_empty());
    }
}

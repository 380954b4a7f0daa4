//! Live KPI plugins in the recorder: a window of recent samples, and each
//! plugin pushed its inputs every interval; outputs recorded and served.

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use tracing::warn;
use understudy_core::{Labels, SampleBatch, Series, SeriesId, TimelineBatch};
use understudy_plugin::{
    Batch, Evaluator, HostConfig, Input, Mode, Plugin, PluginHost, SeriesColumns,
};
use understudy_promql::{Engine, MemStorage};

use crate::config::PluginConfig;
use crate::kpi::matrix;

/// A plugin output's label pairs, as the plugin API returns them.
pub type LabelPairs = Vec<(String, String)>;
/// The latest value of one live output series: metric, labels, value.
pub type LatestOutput = (String, LabelPairs, f64);
/// A series and its buffered `(timestamp, value)` points inside the window.
type Buffered = (Arc<Series>, VecDeque<(i64, f64)>);

/// How much recent data plugins can query (their inputs' ranges must fit).
const WINDOW_MS: i64 = 15 * 60_000;

/// Recent samples of every series the recorder wrote.
#[derive(Debug, Default)]
pub struct LiveWindow {
    series: HashMap<SeriesId, Buffered>,
}

impl LiveWindow {
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

    /// The window as PromQL storage.
    fn storage(&self) -> MemStorage {
        let mut series: Vec<Arc<understudy_promql::Series>> = self
            .series
            .values()
            .map(|(s, pts)| {
                let mut sorted: Vec<(i64, f64)> = pts.iter().copied().collect();
                sorted.sort_by_key(|p| p.0);
                sorted.dedup_by_key(|p| p.0);
                let labels = understudy_promql::Labels::new(
                    std::iter::once(("__name__".to_string(), s.metric().to_string())).chain(
                        s.labels()
                            .iter()
                            .map(|(k, v)| (k.to_string(), v.to_string())),
                    ),
                );
                Arc::new(understudy_promql::Series {
                    labels,
                    timestamps: sorted.iter().map(|p| p.0).collect(),
                    values: sorted.iter().map(|p| p.1).collect(),
                })
            })
            .collect();
        series.sort_by(|a, b| a.labels.cmp(&b.labels));
        MemStorage { series }
    }
}

/// One live plugin.
#[derive(Debug)]
pub struct LivePlugin {
    pub name: String,
    plugin: Plugin,
    evaluator: Evaluator,
    interval_ms: i64,
    last_ms: Option<i64>,
    /// Latest value of each output series, for `/metrics`.
    pub latest: Vec<LatestOutput>,
}

/// The host and every `[[plugin]]`.
#[derive(Debug)]
pub struct LivePlugins {
    _host: PluginHost,
    pub plugins: Vec<LivePlugin>,
    pub window: LiveWindow,
    engine: Engine,
}

impl LivePlugins {
    pub fn load(configs: &[PluginConfig], base: &Path) -> Result<Option<LivePlugins>> {
        if configs.is_empty() {
            return Ok(None);
        }
        let host =
            PluginHost::new(HostConfig::live()).context("failed to start the plugin host")?;
        let mut plugins = Vec::new();
        for c in configs {
            let path = if c.path.is_absolute() {
                c.path.clone()
            } else {
                base.join(&c.path)
            };
            let plugin = host.load(&path)?;
            let config: Vec<(String, String)> = c
                .config
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let evaluator = plugin.open(&config, Mode::Live)?;
            plugins.push(LivePlugin {
                name: plugin.info().name.clone(),
                plugin,
                evaluator,
                interval_ms: c.interval.as_millis() as i64,
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
                Ok(outputs) => {
                    for o in outputs.iter() {
                        let Ok(labels) = Labels::from_pairs(
                            o.labels.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                        ) else {
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
                            p.latest
                                .retain(|(m, l, _)| !(**m == **o.metric && *l == **o.labels));
                            p.latest
                                .push((o.metric.to_string(), (**o.labels).clone(), v));
                        }
                    }
                }
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

//! `[[source.recording]]`: a recording's samples fed into the recorder as if
//! they were happening now — for rehearsals, and to run live plugins
//! without a cluster.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use understudy_core::{
    BoxFuture, SampleBatch, Series, Sink, Source, SourceError, TimeRange, now_ms,
};
use understudy_store::Recording;

use crate::config::RecordingSourceConfig;

#[derive(Debug)]
pub struct RecordingSource {
    name: String,
    config: RecordingSourceConfig,
}

impl RecordingSource {
    pub fn new(index: usize, config: RecordingSourceConfig) -> RecordingSource {
        RecordingSource {
            name: format!("recording[{index}]"),
            config,
        }
    }
}

/// Every sample of the recording as (offset from its start, series, value),
/// in time order.
fn load(path: &Path) -> Result<Vec<(i64, Arc<Series>, f64)>, SourceError> {
    let rec = Recording::open(path).map_err(|e| SourceError::Fatal(e.to_string()))?;
    let start = rec.manifest().start_ms;
    let all = rec
        .samples(TimeRange::ALL, |_| true)
        .map_err(|e| SourceError::Fatal(e.to_string()))?;
    let mut out = Vec::new();
    for s in all {
        for (t, v) in s.timestamps.iter().zip(&s.values) {
            out.push((t - start, Arc::clone(&s.series), *v));
        }
    }
    out.sort_by_key(|p| p.0);
    Ok(out)
}

impl Source for RecordingSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn config(&self) -> serde_json::Value {
        serde_json::to_value(&self.config).unwrap_or_default()
    }

    fn run<'a>(&'a mut self, sink: &'a dyn Sink) -> BoxFuture<'a, Result<(), SourceError>> {
        Box::pin(async move {
            let path = self.config.path.clone();
            let samples = tokio::task::spawn_blocking(move || load(&path))
                .await
                .map_err(|e| SourceError::Fatal(e.to_string()))??;
            let started = now_ms();
            let speed = self.config.speed;
            let mut next = 0;
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            while next < samples.len() {
                tick.tick().await;
                let now = now_ms();
                let reached = ((now - started) as f64 * speed) as i64;
                let mut batch = SampleBatch::default();
                while next < samples.len() && samples[next].0 <= reached {
                    let (offset, series, v) = &samples[next];
                    batch.push(series, started + (*offset as f64 / speed) as i64, *v);
                    next += 1;
                }
                if !batch.is_empty() {
                    sink.send(batch.into()).await?;
                }
            }
            // The recording is over: stay, so the recorder does not see an outage.
            std::future::pending::<()>().await;
            Ok(())
        })
    }
}

//! `[source.prometheus.remote_write]`: a Prometheus pushes what it scrapes
//! into the recording. A source of its own, so that its gaps and backoff
//! are independent of the query API's: Prometheus keeps pushing (and
//! buffering) while its query API is slow, and the other way round.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use understudy_core::{
    BoxFuture, Labels, SampleBatch, Series, Sink, SinkClosed, Source, SourceError, TimelineBatch,
    now_ms,
};
use understudy_remote_write::{DropReason, Options, Receiver, StatsSnapshot};

use crate::config::RemoteWrite;

/// How often the receiver's counters are recorded.
const STATS_EVERY: Duration = Duration::from_secs(10);

/// Receives remote write on the configured address.
#[derive(Debug)]
pub struct RemoteWriteSource {
    name: String,
    config: RemoteWrite,
}

impl RemoteWriteSource {
    /// The receiver of `prometheus[index]`.
    pub fn new(index: usize, config: RemoteWrite) -> RemoteWriteSource {
        RemoteWriteSource {
            name: format!("prometheus[{index}].remote_write"),
            config,
        }
    }
}

/// The receiver's side of the hand-over: HTTP handlers own an `Arc<dyn
/// Sink>`, while the recorder lends its sink to `run` only; a bounded
/// channel between them keeps the recorder's backpressure (a full channel
/// holds the request, and Prometheus waits and retries).
struct ChannelSink(mpsc::Sender<TimelineBatch>);

impl Sink for ChannelSink {
    fn send(&self, batch: TimelineBatch) -> BoxFuture<'_, Result<(), SinkClosed>> {
        Box::pin(async move { self.0.send(batch).await.map_err(|_| SinkClosed) })
    }
}

impl Source for RemoteWriteSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn config(&self) -> serde_json::Value {
        serde_json::to_value(&self.config).unwrap_or_default()
    }

    fn run<'a>(&'a mut self, sink: &'a dyn Sink) -> BoxFuture<'a, Result<(), SourceError>> {
        Box::pin(async move {
            let listen = self.config.listen;
            // A busy port may free up: retry with the recorder's backoff.
            let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| {
                SourceError::Unavailable(format!("remote write: cannot listen on {listen}: {e}"))
            })?;
            tracing::info!(source = %self.name, "receiving remote write on http://{listen}/api/v1/write");
            let (tx, mut rx) = mpsc::channel(16);
            let receiver = Arc::new(Receiver::new(
                Arc::new(ChannelSink(tx)),
                Options {
                    max_body_bytes: self.config.max_body_bytes,
                    ..Options::default()
                },
            ));
            let stats = receiver.stats();
            let server = understudy_remote_write::serve(listener, receiver);
            tokio::pin!(server);
            let mut every = tokio::time::interval(STATS_EVERY);
            let mut health = Health::new(&self.name);
            loop {
                tokio::select! {
                    r = &mut server => {
                        return Err(SourceError::Unavailable(format!(
                            "remote write on {listen} stopped: {}",
                            r.err().map_or_else(|| "the server ended".to_owned(), |e| e.to_string())
                        )));
                    }
                    Some(batch) = rx.recv() => sink.send(batch).await?,
                    _ = every.tick() => {
                        let batch = health.batch(&stats.snapshot(), now_ms());
                        sink.send(batch.into()).await?;
                    }
                }
            }
        })
    }
}

/// A counter: metric, an optional `(label, value)`, its value.
type Point<'a> = (&'a str, Option<(&'a str, &'a str)>, u64);

/// The receiver's counters as series.
struct Health {
    source: String,
    series: Vec<(String, Arc<Series>)>,
}

impl Health {
    fn new(source: &str) -> Health {
        Health {
            source: source.to_owned(),
            series: Vec::new(),
        }
    }

    fn get(&mut self, metric: &str, extra: Option<(&str, &str)>) -> Option<Arc<Series>> {
        let key = format!("{metric}{extra:?}");
        if let Some((_, s)) = self.series.iter().find(|(k, _)| *k == key) {
            return Some(Arc::clone(s));
        }
        let labels =
            Labels::from_pairs(std::iter::once(("source", self.source.as_str())).chain(extra))
                .ok()?;
        let series = Arc::new(Series::new(metric, labels).ok()?);
        self.series.push((key, Arc::clone(&series)));
        Some(series)
    }

    fn batch(&mut self, s: &StatsSnapshot, t: i64) -> SampleBatch {
        let mut points: Vec<Point<'_>> = vec![
            ("understudy_remote_write_requests_total", None, s.requests),
            ("understudy_remote_write_samples_total", None, s.samples),
            (
                "understudy_remote_write_refused_total",
                Some(("reason", "malformed")),
                s.malformed,
            ),
            (
                "understudy_remote_write_refused_total",
                Some(("reason", "too_large")),
                s.too_large,
            ),
            (
                "understudy_remote_write_refused_total",
                Some(("reason", "unsupported")),
                s.unsupported,
            ),
            (
                "understudy_remote_write_refused_total",
                Some(("reason", "unavailable")),
                s.unavailable,
            ),
        ];
        for r in DropReason::ALL {
            points.push((
                "understudy_remote_write_dropped_series_total",
                Some(("reason", r.as_str())),
                s.skipped.series(r),
            ));
        }
        let mut batch = SampleBatch::with_capacity(points.len());
        for (metric, extra, v) in points {
            if let Some(series) = self.get(metric, extra) {
                batch.push(&series, t, v as f64);
            }
        }
        batch
    }
}

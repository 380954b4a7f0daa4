//! The `Source` the recorder runs for one `[[source.nats]]`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use async_nats::jetstream;
use futures_util::StreamExt as _;
use understudy_core::{
    BoxFuture, Labels, ObjectRevision, SampleBatch, Series, Sink, Source, SourceError,
    TimelineBatch, WatchEvent, now_ms,
};

use crate::config::NatsConfig;
use crate::connect::connect;

/// prometheus-nats-exporter's stream series (`-jsz=all`).
const STREAM_METRICS: [&str; 5] = [
    "jetstream_stream_total_messages",
    "jetstream_stream_total_bytes",
    "jetstream_stream_first_seq",
    "jetstream_stream_last_seq",
    "jetstream_stream_consumer_count",
];

/// prometheus-nats-exporter's consumer series.
const CONSUMER_METRICS: [&str; 8] = [
    "jetstream_consumer_num_pending",
    "jetstream_consumer_num_ack_pending",
    "jetstream_consumer_num_redelivered",
    "jetstream_consumer_num_waiting",
    "jetstream_consumer_delivered_consumer_seq",
    "jetstream_consumer_delivered_stream_seq",
    "jetstream_consumer_ack_floor_consumer_seq",
    "jetstream_consumer_ack_floor_stream_seq",
];

/// Where advisories are published.
const ADVISORIES: &str = "$JS.EVENT.ADVISORY.>";

/// Where the server audits every JetStream API request (`api_audit`).
const API_AUDIT: &str = "$JS.EVENT.ADVISORY.API";

/// Records the streams and consumers of one JetStream server (cluster)
/// every interval, and its advisories as they come.
#[derive(Debug)]
pub struct NatsSource {
    name: String,
    config: NatsConfig,
    series: HashMap<(&'static str, String, String, String), Arc<Series>>,
    /// Configured stream names already reported missing (once each).
    reported_missing: HashSet<String>,
    advisories: BTreeMap<(String, String, String), u64>,
}

impl NatsSource {
    /// The source for the `index`th `[[source.nats]]` section (named
    /// `nats[index]` in messages and health series). Nothing connects
    /// until the recorder runs it.
    pub fn new(index: usize, config: NatsConfig) -> NatsSource {
        NatsSource {
            name: format!("nats[{index}]"),
            config,
            series: HashMap::new(),
            reported_missing: HashSet::new(),
            advisories: BTreeMap::new(),
        }
    }

    fn unavailable(&self, what: &str, e: impl std::fmt::Display) -> SourceError {
        SourceError::Unavailable(format!(
            "NATS at {} is down: {what}: {e}",
            self.config.servers.join(", ")
        ))
    }

    /// The series `metric` with the exporter's labels.
    fn series(
        &mut self,
        metric: &'static str,
        server: &str,
        stream: &str,
        consumer: Option<&str>,
    ) -> Option<Arc<Series>> {
        let key = (
            metric,
            server.to_owned(),
            stream.to_owned(),
            consumer.unwrap_or_default().to_owned(),
        );
        if let Some(s) = self.series.get(&key) {
            return Some(Arc::clone(s));
        }
        let mut pairs = vec![
            ("account", self.config.account.as_str()),
            ("server_name", server),
            ("stream_name", stream),
        ];
        if let Some(c) = consumer {
            pairs.push(("consumer_name", c));
        }
        let series = match Labels::from_pairs(pairs).and_then(|l| Series::new(metric, l)) {
            Ok(s) => Arc::new(s),
            Err(e) => {
                tracing::warn!(source = %self.name, "{metric} of {stream}: {e}");
                return None;
            }
        };
        self.series.insert(key, Arc::clone(&series));
        Some(series)
    }

    /// One poll: every wanted stream and its consumers, at one timestamp.
    pub async fn poll(
        &mut self,
        js: &jetstream::Context,
        server: &str,
    ) -> Result<SampleBatch, SourceError> {
        let t = now_ms();
        let mut names = Vec::new();
        let mut listing = js.stream_names();
        while let Some(name) = listing.next().await {
            names.push(name.map_err(|e| self.unavailable("listing streams", e))?);
        }
        names.sort();
        for wanted in &self.config.streams {
            let exact = !wanted.contains(['*', '?']);
            if exact && !names.contains(wanted) && self.reported_missing.insert(wanted.clone()) {
                tracing::warn!(
                    source = %self.name,
                    "stream {wanted:?} not found on {}; streams there: {}",
                    self.config.servers.join(", "),
                    if names.is_empty() { "none".to_owned() } else { names.join(", ") }
                );
            }
            if names.contains(wanted) {
                self.reported_missing.remove(wanted);
            }
        }
        let mut batch = SampleBatch::default();
        names.retain(|n| self.config.wants(n));
        for name in &names {
            let stream = match js.get_stream(name).await {
                Ok(s) => s,
                // Deleted between listing and asking: it is gone, not down.
                Err(e)
                    if matches!(
                        e.kind(),
                        jetstream::context::GetStreamErrorKind::JetStream(_)
                    ) =>
                {
                    tracing::debug!(source = %self.name, "stream {name}: {e}");
                    continue;
                }
                Err(e) => return Err(self.unavailable(&format!("stream {name}"), e)),
            };
            let state = stream.cached_info().state.clone();
            let values = [
                state.messages as f64,
                state.bytes as f64,
                state.first_sequence as f64,
                state.last_sequence as f64,
                state.consumer_count as f64,
            ];
            for (metric, v) in STREAM_METRICS.into_iter().zip(values) {
                if let Some(s) = self.series(metric, server, name, None) {
                    batch.push(&s, t, v);
                }
            }
            let mut consumers = stream.consumers();
            while let Some(info) = consumers.next().await {
                let info =
                    info.map_err(|e| self.unavailable(&format!("consumers of {name}"), e))?;
                let values = [
                    info.num_pending as f64,
                    info.num_ack_pending as f64,
                    info.num_redelivered as f64,
                    info.num_waiting as f64,
                    info.delivered.consumer_sequence as f64,
                    info.delivered.stream_sequence as f64,
                    info.ack_floor.consumer_sequence as f64,
                    info.ack_floor.stream_sequence as f64,
                ];
                for (metric, v) in CONSUMER_METRICS.into_iter().zip(values) {
                    if let Some(s) = self.series(metric, server, name, Some(&info.name)) {
                        batch.push(&s, t, v);
                    }
                }
            }
        }
        Ok(batch)
    }

    /// An advisory as an event (the JSON as published) and a count.
    fn advisory(&mut self, server: &str, payload: &[u8]) -> TimelineBatch {
        let t = now_ms();
        let text = String::from_utf8_lossy(payload).into_owned();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        let field = |k: &str| json[k].as_str().unwrap_or_default().to_owned();
        let kind = field("type");
        let short = kind.rsplit('.').next().unwrap_or_default().to_owned();
        let (stream, consumer) = (field("stream"), field("consumer"));
        let mut batch = TimelineBatch::default();
        batch.objects.push(ObjectRevision {
            observed_ms: t,
            server_time_ms: json["timestamp"]
                .as_str()
                .and_then(|s| humantime::parse_rfc3339_weak(s).ok())
                .and_then(|st| st.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_millis() as i64),
            kind: "JetStreamAdvisory".into(),
            api_version: kind,
            namespace: None,
            name: Some(field("id")).filter(|s| !s.is_empty()),
            uid: None,
            resource_version: None,
            event: WatchEvent::Added,
            object: Some(text),
        });
        let n = self
            .advisories
            .entry((short.clone(), stream.clone(), consumer.clone()))
            .or_default();
        *n += 1;
        let n = *n as f64;
        let labels = Labels::from_pairs([
            ("advisory", short.as_str()),
            ("server_name", server),
            ("stream_name", stream.as_str()),
            ("consumer_name", consumer.as_str()),
        ]);
        if let Ok(series) =
            labels.and_then(|l| Series::new("understudy_jetstream_advisories_total", l))
        {
            batch.samples.push(&Arc::new(series), t, n);
        }
        batch
    }
}

impl Source for NatsSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn config(&self) -> serde_json::Value {
        // Secrets serialize as "<redacted>".
        serde_json::to_value(&self.config).unwrap_or_default()
    }

    fn run<'a>(&'a mut self, sink: &'a dyn Sink) -> BoxFuture<'a, Result<(), SourceError>> {
        Box::pin(async move {
            let client = connect(&self.config).await?;
            let server = client.server_info().server_name.clone();
            tracing::info!(source = %self.name, server = %server, "connected to {}", self.config.servers.join(", "));
            let mut js = jetstream::new(client.clone());
            js.set_timeout(self.config.timeout);
            let mut advisories = if self.config.advisories {
                Some(
                    client
                        .subscribe(ADVISORIES)
                        .await
                        .map_err(|e| self.unavailable("subscribing to advisories", e))?,
                )
            } else {
                None
            };
            let mut tick = tokio::time::interval(self.config.interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                tokio::select! {
                    _ = tick.tick() => {
                        let batch = self.poll(&js, &server).await?;
                        sink.send(batch.into()).await?;
                    }
                    Some(msg) = async {
                        match advisories.as_mut() {
                            Some(sub) => sub.next().await,
                            None => std::future::pending().await,
                        }
                    } => {
                        // Filtered here rather than by subscribing to each
                        // kind: a server that adds advisory kinds still has
                        // them recorded.
                        if msg.subject.as_str() == API_AUDIT && !self.config.api_audit {
                            continue;
                        }
                        let batch = self.advisory(&server, &msg.payload);
                        sink.send(batch).await?;
                    }
                }
            }
        })
    }
}

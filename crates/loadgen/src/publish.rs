//! Publishing with acks: each client publishes, awaits the PubAck, and only
//! then publishes its next message — as many messages in flight as clients.

use std::future::Future;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_nats::Subject;
use async_nats::jetstream::{self, context::PublishErrorKind};
use bytes::Bytes;
use serde::Serialize;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::error::RunError;
use crate::run::{connect_all, drive};
use crate::stats::{ErrorGroup, ErrorLog, Latency, Progress, micros};
use crate::stream;
use understudy_nats::NatsConnect;

/// What `run_publish` does.
#[derive(Debug, Clone)]
pub struct PublishOptions {
    /// The server(s) and how to log in.
    pub connect: NatsConnect,
    /// The stream the subject must go to (checked before publishing).
    pub stream: String,
    /// The subject published to; a run refuses one `stream` does not
    /// capture, naming the stream that does.
    pub subject: String,
    /// Messages in all, split evenly across the clients.
    pub messages: u64,
    /// Concurrent publishers; each has one message in flight.
    pub clients: usize,
    /// Connections the clients share round-robin; `None`: one per 16
    /// clients ([`default_connections`]).
    pub connections: Option<usize>,
    /// Messages a second over all clients; `None`: as fast as acks come.
    pub rate: Option<f64>,
    /// The body of every message.
    pub payload: Payload,
    /// How long a PubAck may take before the message counts as failed.
    pub ack_timeout: Duration,
}

impl PublishOptions {
    /// `messages` to `subject` of `stream` from `clients` publishers, one
    /// connection per 16 of them, unpaced, the default payload, 5 s ack
    /// timeout.
    pub fn new(
        connect: NatsConnect,
        stream: &str,
        subject: &str,
        messages: u64,
        clients: usize,
    ) -> Self {
        PublishOptions {
            connect,
            stream: stream.to_owned(),
            subject: subject.to_owned(),
            messages,
            clients,
            connections: None,
            rate: None,
            payload: Payload::Default,
            ack_timeout: Duration::from_secs(5),
        }
    }
}

/// The body of every message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// `{"seq":17,"prompt":"understudy loadgen","fast_mode":false}`, with
    /// the message's sequence number (1-based, unique within the run).
    Default,
    /// The same JSON document for every message.
    Json(Bytes),
}

/// `--payload-json` that is not JSON.
#[derive(Debug, thiserror::Error)]
#[error("the payload is not JSON")]
pub struct PayloadError(#[from] serde_json::Error);

impl Payload {
    /// `text` as is, once it parses as JSON.
    pub fn json(text: &str) -> Result<Payload, PayloadError> {
        serde_json::from_str::<serde::de::IgnoredAny>(text)?;
        Ok(Payload::Json(Bytes::copy_from_slice(text.as_bytes())))
    }

    fn body(&self, seq: u64) -> Bytes {
        match self {
            Payload::Default => Bytes::from(format!(
                r#"{{"seq":{seq},"prompt":"understudy loadgen","fast_mode":false}}"#
            )),
            Payload::Json(b) => b.clone(),
        }
    }
}

/// What a publish run did. Serialized as the `--json` output
/// (docs/loadgen.md lists the fields).
#[derive(Debug, Clone, Serialize)]
pub struct PublishSummary {
    /// Always `"publish"`.
    pub mode: &'static str,
    /// The server(s), passwords redacted.
    pub server: String,
    /// `--stream`.
    pub stream: String,
    /// `--subject`.
    pub subject: String,
    /// Publishers that ran: `--clients`, at most `--messages`.
    pub clients: usize,
    /// Connections the publishers shared.
    pub connections: usize,
    /// `--rate`, when paced.
    pub rate_limit: Option<f64>,
    /// `--messages`.
    pub requested: u64,
    /// Handed to the connection.
    pub published: u64,
    /// Confirmed by a PubAck from the stream.
    pub acked: u64,
    /// Tried but not acked (a publish error, a negative or missing ack).
    pub failed: u64,
    /// Not tried because the run was interrupted.
    pub unsent: u64,
    /// Whether the caller's shutdown (Ctrl-C) ended the run early.
    pub interrupted: bool,
    /// From the first publish to the last ack.
    pub elapsed_s: f64,
    /// `acked / elapsed_s`.
    pub msgs_per_s: f64,
    /// From publish to PubAck; `null` when nothing was acked.
    pub ack_latency_ms: Option<Latency>,
    /// The highest stream sequence an ack reported.
    pub last_stream_seq: Option<u64>,
    /// Failures by kind, most frequent first.
    pub errors: Vec<ErrorGroup>,
}

/// Publishes `opts.messages` messages with acks and reports; per-message
/// failures are counted, not returned. `progress` is called about ten times
/// a second; when `shutdown` completes, clients stop publishing, in-flight
/// acks are awaited, and the summary says `interrupted`.
pub async fn run_publish(
    opts: &PublishOptions,
    mut progress: impl FnMut(Progress),
    shutdown: impl Future<Output = ()>,
) -> Result<PublishSummary, RunError> {
    if opts.clients == 0 {
        return Err(RunError::Options("--clients must be at least 1".to_owned()));
    }
    if let Some(r) = opts.rate
        && !(r.is_finite() && r > 0.0)
    {
        return Err(RunError::Options(format!(
            "--rate {r} is not a positive number of messages a second"
        )));
    }
    let clients = opts
        .clients
        .min(usize::try_from(opts.messages).unwrap_or(usize::MAX))
        .max(1);
    let wanted = opts
        .connections
        .unwrap_or_else(|| default_connections(clients))
        .clamp(1, clients);
    let server = opts.connect.servers_display();
    let first = opts.connect.connect().await?;
    let js = context(first.clone(), opts.ack_timeout);
    let s = stream::stream(&js, &server, &opts.stream).await?;
    stream::check_subject(&js, &server, &s, &opts.subject).await?;
    let conns = connect_all(&opts.connect, first, wanted).await?;
    let contexts: Vec<jetstream::Context> = conns
        .iter()
        .map(|c| context(c.clone(), opts.ack_timeout))
        .collect();

    let counters = Arc::new(Counters::default());
    let (stop_tx, stop_rx) = watch::channel(false);
    let started = Instant::now();
    let pacer = opts.rate.map(|rate| Arc::new(Pacer::new(started, rate)));
    let subject = Subject::from(opts.subject.as_str());
    let mut tasks = JoinSet::new();
    for (i, seqs) in split(opts.messages, clients).into_iter().enumerate() {
        let client = Publisher {
            js: contexts[i % contexts.len()].clone(),
            subject: subject.clone(),
            payload: opts.payload.clone(),
            pacer: pacer.clone(),
            counters: Arc::clone(&counters),
            stop: stop_rx.clone(),
        };
        tasks.spawn(client.run(seqs));
    }
    let total = opts.messages;
    let (results, interrupted) = drive(tasks, &stop_tx, shutdown, || {
        progress(Progress {
            done: counters.acked.load(Ordering::Relaxed),
            failed: counters.failed.load(Ordering::Relaxed),
            total: Some(total),
            elapsed: started.elapsed(),
        });
    })
    .await;
    let elapsed = started.elapsed();
    for c in &conns {
        let _ = c.flush().await;
    }

    let mut sum = Tally::default();
    for r in results {
        sum.merge(r);
    }
    progress(Progress {
        done: sum.acked,
        failed: sum.failed,
        total: Some(total),
        elapsed,
    });
    let secs = elapsed.as_secs_f64();
    Ok(PublishSummary {
        mode: "publish",
        server,
        stream: opts.stream.clone(),
        subject: opts.subject.clone(),
        clients,
        connections: conns.len(),
        rate_limit: opts.rate,
        requested: opts.messages,
        published: sum.published,
        acked: sum.acked,
        failed: sum.failed,
        unsent: opts.messages - sum.acked - sum.failed,
        interrupted: interrupted.is_some(),
        elapsed_s: secs,
        msgs_per_s: if secs > 0.0 {
            sum.acked as f64 / secs
        } else {
            0.0
        },
        ack_latency_ms: Latency::from_micros(sum.latencies),
        last_stream_seq: (sum.last_seq > 0).then_some(sum.last_seq),
        errors: sum.errors.groups(),
    })
}

/// One connection per 16 clients. Clients sharing a connection have their
/// publishes written together: 60 clients over 4 connections publish 1.8×
/// as fast as over 60 (benches/publish.rs), and a few connections still
/// spread the work over the server's cores.
pub fn default_connections(clients: usize) -> usize {
    clients.div_ceil(16).max(1)
}

fn context(client: async_nats::Client, ack_timeout: Duration) -> jetstream::Context {
    jetstream::ContextBuilder::new()
        .timeout(ack_timeout)
        .build(client)
}

/// `n` messages as 1-based sequence ranges over `clients`, the first
/// `n % clients` clients taking one more.
fn split(n: u64, clients: usize) -> Vec<Range<u64>> {
    let c = clients as u64;
    let mut next = 1;
    (0..c)
        .map(|i| {
            let len = n / c + u64::from(i < n % c);
            let r = next..next + len;
            next += len;
            r
        })
        .collect()
}

/// A token bucket shared by every client, without drift: the k-th message
/// of the run may go at `start + k / rate`, whenever the previous ones went.
/// A client that falls behind (a slow ack) catches up at once, so the run's
/// average holds; bursts stay bounded by the clients, each of which has one
/// message in flight.
#[derive(Debug)]
struct Pacer {
    start: Instant,
    rate: f64,
    next: AtomicU64,
}

impl Pacer {
    fn new(start: Instant, rate: f64) -> Pacer {
        Pacer {
            start,
            rate,
            next: AtomicU64::new(0),
        }
    }

    fn slot(&self) -> Instant {
        let k = self.next.fetch_add(1, Ordering::Relaxed);
        self.start + Duration::from_secs_f64(k as f64 / self.rate)
    }
}

#[derive(Debug, Default)]
struct Counters {
    acked: AtomicU64,
    failed: AtomicU64,
}

/// One client's result, and the run's when merged.
#[derive(Debug, Default)]
struct Tally {
    published: u64,
    acked: u64,
    failed: u64,
    last_seq: u64,
    /// Ack latencies in µs: 4 bytes a message.
    latencies: Vec<u32>,
    errors: ErrorLog,
}

impl Tally {
    fn merge(&mut self, o: Tally) {
        self.published += o.published;
        self.acked += o.acked;
        self.failed += o.failed;
        self.last_seq = self.last_seq.max(o.last_seq);
        self.latencies.extend(o.latencies);
        self.errors.merge(o.errors);
    }

    fn fail(&mut self, counters: &Counters, e: &jetstream::context::PublishError) {
        self.failed += 1;
        counters.failed.fetch_add(1, Ordering::Relaxed);
        self.errors.add(kind(e), || e.to_string());
    }
}

#[derive(Debug)]
struct Publisher {
    js: jetstream::Context,
    subject: Subject,
    payload: Payload,
    pacer: Option<Arc<Pacer>>,
    counters: Arc<Counters>,
    stop: watch::Receiver<bool>,
}

impl Publisher {
    async fn run(mut self, seqs: Range<u64>) -> Tally {
        let mut t = Tally {
            latencies: Vec::with_capacity(usize::try_from(seqs.end - seqs.start).unwrap_or(0)),
            ..Tally::default()
        };
        for seq in seqs {
            if *self.stop.borrow() {
                break;
            }
            if let Some(p) = &self.pacer {
                let at = p.slot();
                tokio::select! {
                    () = tokio::time::sleep_until(at) => {}
                    _ = self.stop.wait_for(|s| *s) => break,
                }
            }
            let sent = Instant::now();
            let ack = match self
                .js
                .publish(self.subject.clone(), self.payload.body(seq))
                .await
            {
                Ok(ack) => ack,
                Err(e) => {
                    t.fail(&self.counters, &e);
                    continue;
                }
            };
            t.published += 1;
            match ack.await {
                Ok(a) => {
                    t.latencies.push(micros(sent.elapsed()));
                    t.acked += 1;
                    t.last_seq = t.last_seq.max(a.sequence);
                    self.counters.acked.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => t.fail(&self.counters, &e),
            }
        }
        t
    }
}

/// A stable name for the summary's error groups.
fn kind(e: &jetstream::context::PublishError) -> &'static str {
    match e.kind() {
        PublishErrorKind::StreamNotFound => "no_stream",
        PublishErrorKind::TimedOut => "timed_out",
        PublishErrorKind::BrokenPipe => "broken_pipe",
        PublishErrorKind::MaxAckPending => "max_ack_pending",
        PublishErrorKind::MaxPayloadExceeded => "max_payload",
        PublishErrorKind::WrongLastMessageId => "wrong_last_msg_id",
        PublishErrorKind::WrongLastSequence => "wrong_last_sequence",
        PublishErrorKind::Other => {
            let rejected = std::error::Error::source(e)
                .is_some_and(|s| s.downcast_ref::<jetstream::Error>().is_some());
            if rejected { "rejected" } else { "other" }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_covers_every_sequence_once() {
        assert_eq!(split(10, 3), [1..5, 5..8, 8..11]);
        assert_eq!(split(2, 2), [1..2, 2..3]);
        let r = split(6000, 60);
        assert!(r.iter().all(|r| r.end - r.start == 100));
        assert_eq!(r.last().map(|r| r.end), Some(6001));
    }

    #[test]
    fn payload_must_be_json() {
        assert!(Payload::json(r#"{"prompt":"x","fast_mode":false}"#).is_ok());
        let e = Payload::json("{prompt: x}").err();
        let cause = e.as_ref().and_then(|e| std::error::Error::source(e));
        assert_eq!(
            cause.map(|c| c.to_string()).as_deref(),
            Some("key must be a string at line 1 column 2")
        );
        let body = Payload::Default.body(17);
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        assert_eq!(v["seq"], 17);
    }

    #[test]
    fn pacer_slots_do_not_drift() {
        let start = Instant::now();
        let p = Pacer::new(start, 500.0);
        let slots: Vec<Duration> = (0..1000).map(|_| p.slot() - start).collect();
        assert_eq!(slots[0], Duration::ZERO);
        assert_eq!(slots[500], Duration::from_secs(1));
        assert_eq!(slots[999], Duration::from_secs_f64(999.0 / 500.0));
    }
}

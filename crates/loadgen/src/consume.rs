//! A stand-in for the backend: clients pull one message at a time from a
//! durable pull consumer, "work" on it for a fixed time, then ack it — what
//! one replica of the backend Deployment does (deploy/scenarios), without
//! a cluster.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_nats::jetstream::{self, AckKind};
use async_nats::{Client, StatusCode};
use serde::Serialize;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::error::RunError;
use crate::run::{connect_all, drive};
use crate::stats::{ErrorGroup, ErrorLog, Progress};
use crate::stream;
use understudy_nats::NatsConnect;

/// What `run_consume` does.
#[derive(Debug, Clone)]
pub struct ConsumeOptions {
    /// The server(s) and how to log in.
    pub connect: NatsConnect,
    /// The stream the consumer reads; it must exist.
    pub stream: String,
    /// The durable pull consumer; created (explicit ack) when missing.
    pub consumer: String,
    /// How long each message is "worked" before its ack.
    pub work: Duration,
    /// Concurrent workers, one message each at a time.
    pub clients: usize,
    /// Connections the workers share round-robin; `None`: one per 16.
    pub connections: Option<usize>,
    /// Stop after this long (in-flight work is finished and acked).
    pub duration: Option<Duration>,
    /// Stop after this many acked messages, exactly.
    pub messages: Option<u64>,
    /// How long one pull waits on the server for a message.
    pub pull_wait: Duration,
}

impl ConsumeOptions {
    /// `clients` workers of 50 ms each on `consumer` of `stream`, until
    /// shut down.
    pub fn new(connect: NatsConnect, stream: &str, consumer: &str, clients: usize) -> Self {
        ConsumeOptions {
            connect,
            stream: stream.to_owned(),
            consumer: consumer.to_owned(),
            work: Duration::from_millis(50),
            clients,
            connections: None,
            duration: None,
            messages: None,
            pull_wait: Duration::from_secs(1),
        }
    }
}

/// Why a consume run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// `messages` were acked.
    Messages,
    /// `duration` passed.
    Duration,
    /// The caller's shutdown (Ctrl-C).
    Interrupted,
}

/// The consumer as the server reported it after the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ConsumerState {
    /// Messages not yet delivered to the consumer.
    pub num_pending: u64,
    /// Delivered, not yet acked.
    pub num_ack_pending: u64,
    /// Every stream sequence up to this one is acked.
    pub ack_floor_stream_seq: u64,
    /// The last stream sequence delivered to the consumer.
    pub delivered_stream_seq: u64,
}

/// What a consume run did; the `--json` output of `loadgen --consume`.
#[derive(Debug, Clone, Serialize)]
pub struct ConsumeSummary {
    /// Always `"consume"`.
    pub mode: &'static str,
    /// The server(s), passwords redacted.
    pub server: String,
    /// `--stream`.
    pub stream: String,
    /// `--consumer`.
    pub consumer: String,
    /// Whether this run created the consumer.
    pub created: bool,
    /// Workers that ran: `--clients`, at most `--messages`.
    pub clients: usize,
    /// Connections the workers shared.
    pub connections: usize,
    /// The time each message was worked, in milliseconds.
    pub work_ms: f64,
    /// Worked and acked (the server confirmed each ack).
    pub consumed: u64,
    /// Of those, delivered more than once.
    pub redelivered: u64,
    /// Pulls and acks that failed.
    pub failed: u64,
    /// Why the run ended.
    pub stopped_by: StopReason,
    /// How long the workers ran, in seconds.
    pub elapsed_s: f64,
    /// `consumed / elapsed_s`; 0 for a run that took no time.
    pub msgs_per_s: f64,
    /// `null` if the consumer info could not be read at the end.
    pub consumer_after: Option<ConsumerState>,
    /// Failures by kind, most frequent first.
    pub errors: Vec<ErrorGroup>,
}

/// Works messages off `opts.consumer` until `opts.messages` are acked,
/// `opts.duration` passes or `shutdown` completes, whichever is first.
pub async fn run_consume(
    opts: &ConsumeOptions,
    mut progress: impl FnMut(Progress),
    shutdown: impl Future<Output = ()>,
) -> Result<ConsumeSummary, RunError> {
    if opts.clients == 0 {
        return Err(RunError::Options("--clients must be at least 1".to_owned()));
    }
    let clients = match opts.messages {
        Some(n) => opts
            .clients
            .min(usize::try_from(n).unwrap_or(usize::MAX))
            .max(1),
        None => opts.clients,
    };
    let server = opts.connect.servers_display();
    let first = opts.connect.connect().await?;
    let js = jetstream::new(first.clone());
    let s = stream::stream(&js, &server, &opts.stream).await?;
    let created = stream::pull_consumer(&s, &server, &opts.consumer).await?;
    let wanted = opts
        .connections
        .unwrap_or_else(|| crate::publish::default_connections(clients))
        .clamp(1, clients);
    let conns = connect_all(&opts.connect, first, wanted).await?;

    let remaining = opts.messages.map(|n| Arc::new(AtomicU64::new(n)));
    let counters = Arc::new(Counters::default());
    let (stop_tx, stop_rx) = watch::channel(false);
    let pull_subject = format!(
        "$JS.API.CONSUMER.MSG.NEXT.{}.{}",
        opts.stream, opts.consumer
    );
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for i in 0..clients {
        let conn = conns[i % conns.len()].clone();
        let worker = Worker {
            js: jetstream::new(conn.clone()),
            client: conn,
            pull_subject: pull_subject.clone(),
            pull_wait: opts.pull_wait,
            work: opts.work,
            remaining: remaining.clone(),
            counters: Arc::clone(&counters),
            stop: stop_rx.clone(),
        };
        tasks.spawn(worker.run());
    }
    let duration = opts.duration;
    let stop_when = async move {
        tokio::select! {
            () = shutdown => StopReason::Interrupted,
            () = async {
                match duration {
                    Some(d) => tokio::time::sleep(d).await,
                    None => std::future::pending().await,
                }
            } => StopReason::Duration,
        }
    };
    let total = opts.messages;
    let (results, reason) = drive(tasks, &stop_tx, stop_when, || {
        progress(Progress {
            done: counters.consumed.load(Ordering::Relaxed),
            failed: counters.failed.load(Ordering::Relaxed),
            total,
            elapsed: started.elapsed(),
        });
    })
    .await;
    let elapsed = started.elapsed();

    let mut sum = Tally::default();
    for r in results {
        sum.merge(r);
    }
    progress(Progress {
        done: sum.consumed,
        failed: sum.failed,
        total,
        elapsed,
    });
    let consumer_after = s
        .consumer_info(&opts.consumer)
        .await
        .ok()
        .map(|i| ConsumerState {
            num_pending: i.num_pending,
            num_ack_pending: i.num_ack_pending as u64,
            ack_floor_stream_seq: i.ack_floor.stream_sequence,
            delivered_stream_seq: i.delivered.stream_sequence,
        });
    let secs = elapsed.as_secs_f64();
    Ok(ConsumeSummary {
        mode: "consume",
        server,
        stream: opts.stream.clone(),
        consumer: opts.consumer.clone(),
        created,
        clients,
        connections: conns.len(),
        work_ms: opts.work.as_secs_f64() * 1000.0,
        consumed: sum.consumed,
        redelivered: sum.redelivered,
        failed: sum.failed,
        stopped_by: reason.unwrap_or(StopReason::Messages),
        elapsed_s: secs,
        msgs_per_s: if secs > 0.0 {
            sum.consumed as f64 / secs
        } else {
            0.0
        },
        consumer_after,
        errors: sum.errors.groups(),
    })
}

#[derive(Debug, Default)]
struct Counters {
    consumed: AtomicU64,
    failed: AtomicU64,
}

#[derive(Debug, Default)]
struct Tally {
    consumed: u64,
    redelivered: u64,
    failed: u64,
    errors: ErrorLog,
}

impl Tally {
    fn merge(&mut self, o: Tally) {
        self.consumed += o.consumed;
        self.redelivered += o.redelivered;
        self.failed += o.failed;
        self.errors.merge(o.errors);
    }

    fn fail(&mut self, counters: &Counters, kind: &'static str, message: String) {
        self.failed += 1;
        counters.failed.fetch_add(1, Ordering::Relaxed);
        self.errors.add(kind, || message);
    }
}

#[derive(Debug)]
struct Worker {
    client: Client,
    js: jetstream::Context,
    pull_subject: String,
    pull_wait: Duration,
    work: Duration,
    /// Acks still to do when the run has a message count: a worker claims
    /// one before it pulls, so no message is pulled that will not be acked.
    remaining: Option<Arc<AtomicU64>>,
    counters: Arc<Counters>,
    stop: watch::Receiver<bool>,
}

impl Worker {
    async fn run(self) -> Tally {
        let mut t = Tally::default();
        while !*self.stop.borrow() {
            if !self.claim() {
                break;
            }
            // A pull is never cancelled: a message the server sends to an
            // abandoned pull stays unacked until the consumer's ack wait.
            let msg = match self.pull().await {
                Ok(Some(m)) => m,
                Ok(None) => {
                    self.unclaim();
                    continue;
                }
                Err(e) => {
                    self.unclaim();
                    t.fail(&self.counters, "pull", e);
                    let mut stop = self.stop.clone();
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_millis(250)) => {}
                        _ = stop.wait_for(|s| *s) => {}
                    }
                    continue;
                }
            };
            if *self.stop.borrow() {
                // Stopped while pulling: give it back for redelivery now.
                let _ = msg.double_ack_with(AckKind::Nak(None)).await;
                self.unclaim();
                break;
            }
            let redelivered = msg.info().is_ok_and(|i| i.delivered > 1);
            tokio::time::sleep(self.work).await;
            match msg.double_ack().await {
                Ok(()) => {
                    t.consumed += 1;
                    t.redelivered += u64::from(redelivered);
                    self.counters.consumed.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => {
                    self.unclaim();
                    t.fail(&self.counters, "ack", format!("ack failed: {e}"));
                }
            }
        }
        let _ = self.client.flush().await;
        t
    }

    fn claim(&self) -> bool {
        self.remaining.as_ref().is_none_or(|r| {
            r.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
                .is_ok()
        })
    }

    fn unclaim(&self) {
        if let Some(r) = &self.remaining {
            r.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// One message, or `None` when none came within `pull_wait`.
    async fn pull(&self) -> Result<Option<jetstream::Message>, String> {
        let body = format!(r#"{{"batch":1,"expires":{}}}"#, self.pull_wait.as_nanos());
        // Its own inbox: the message comes on its stream subject, which the
        // client's shared request inbox cannot route back.
        let request = async_nats::Request::new()
            .inbox(self.client.new_inbox())
            .payload(body.into())
            .timeout(Some(self.pull_wait + Duration::from_secs(5)));
        let m = self
            .client
            .send_request(self.pull_subject.clone(), request)
            .await
            .map_err(|e| format!("pull failed: {e}"))?;
        match m.status {
            None | Some(StatusCode::OK) if m.reply.is_some() => Ok(Some(jetstream::Message {
                message: m,
                context: self.js.clone(),
            })),
            Some(StatusCode::TIMEOUT | StatusCode::NOT_FOUND) => Ok(None),
            status => Err(format!(
                "pull failed: {} {}",
                status.map_or(0, |s| s.as_u16()),
                m.description.as_deref().unwrap_or("(no reply subject)")
            )),
        }
    }
}

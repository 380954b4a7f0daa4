//! JetStream load generator: publishers with acks, and a stand-in consumer.
//!
//! Fill the queue the autoscalers watch, at a known rate, and drain it
//! without a cluster when rehearsing. `understudy loadgen` is its command line.
//!
//! # Brief overview
//!
//! - [`NatsConnect`] (with [`NatsAuth`] and [`NatsTls`]): servers, login
//!   and TLS, the same type and keys as `[[source.nats]]`'s (crates/nats);
//!   [`NatsConnect::connect`] gives up after its timeout.
//! - [`run_publish`] with [`PublishOptions`] → [`PublishSummary`]: counts,
//!   rate, ack latency percentiles and failures grouped by kind.
//! - [`run_consume`] with [`ConsumeOptions`] → [`ConsumeSummary`]: a durable
//!   pull consumer worked one message at a time per client.
//!
//! ```no_run
//! # async fn f() -> Result<(), understudy_loadgen::RunError> {
//! use understudy_loadgen::{NatsConnect, PublishOptions, run_publish};
//!
//! let opts = PublishOptions::new(NatsConnect::new("nats://127.0.0.1:4222"), "MEMES", "meme.request", 6000, 60);
//! let summary = run_publish(&opts, |p| eprintln!("{}/6000", p.done), std::future::pending()).await?;
//! println!("{:.0} msgs/s, p99 ack {:?} ms", summary.msgs_per_s, summary.ack_latency_ms.map(|l| l.p99));
//! # Ok(()) }
//! ```
//!
//! # The one decision
//!
//! Every client publishes, awaits its PubAck, and only then publishes the
//! next message, as `nats pub --jetstream` does: the number of clients is
//! the number of messages in flight, so a run measures what the server
//! confirms, and the ack latency is that of a lone request, not of a queue
//! inside the client. Failures of single messages are counted and grouped,
//! never fatal; only what stops the whole run (no server, no stream, bad
//! credentials) is a [`RunError`], and it names what exists instead.

mod consume;
mod error;
mod publish;
mod run;
mod stats;
mod stream;

pub use consume::{ConsumeOptions, ConsumeSummary, ConsumerState, StopReason, run_consume};
pub use error::RunError;
pub use publish::{
    Payload, PayloadError, PublishOptions, PublishSummary, default_connections, run_publish,
};
pub use stats::{ErrorGroup, Latency, Progress};
pub use understudy_nats::{ConnectError, NatsAuth, NatsConnect, NatsTls, redact_url};

//! `[[source.nats]]`: records the queue timeline of a live run from NATS
//! JetStream (docs/configuration.md).
//!
//! Every interval (1 s by default) the source asks the server for the info
//! of every wanted stream and its consumers and records it under
//! prometheus-nats-exporter's metric names and labels (`stream_name`,
//! `consumer_name`, `account`, `server_name`), so dashboards built on the
//! exporter work on a recording. JetStream advisories (max deliveries,
//! naks, terminated messages, consumers created and deleted) are recorded
//! as `JetStreamAdvisory` events with their JSON, and counted in
//! `understudy_jetstream_advisories_total`; the API audit advisories, one
//! per JetStream request (the recorder's own polls included), only with
//! `api_audit = true`. A server that cannot be reached
//! or stops answering makes the recorder record a gap, back off and
//! reconnect; streams and consumers are looked up anew every poll, so one
//! deleted and re-created midway is followed.
//!
//! # Brief overview
//! - [`NatsConfig`] is the section; [`NatsConfig::problems`] lists what is
//!   wrong with it, each problem naming its key.
//! - [`NatsSource`] implements [`understudy_core::Source`].
//! - [`connect`] and [`settings`] reach the server through crates/nats,
//!   the login and TLS code `understudy loadgen` uses too.
//!
//! The one decision: the source polls the server's JetStream API instead
//! of scraping prometheus-nats-exporter, so a run needs no exporter and
//! the recording's resolution is the poll interval, not a scrape
//! interval; the exporter's names keep the two interchangeable.

mod config;
mod connect;
mod source;

pub use config::{NatsAuth, NatsConfig, NatsTls};
pub use connect::{connect, settings};
pub use source::NatsSource;

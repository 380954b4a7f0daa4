//! Prometheus remote-write 1.0 receiver: snappy protobuf in, samples out.
//!
//! A Prometheus (or an agent speaking its protocol) pushes what it scrapes
//! to `POST /api/v1/write`; this crate turns each request into a
//! [`SampleBatch`](understudy_core::SampleBatch) for the recorder, so a run
//! can be recorded without the recorder scraping anything itself.
//!
//! # Brief overview
//! - [`Decoder`] turns a request body into samples: snappy (size checked
//!   before allocating), protobuf read in place, series validated once and
//!   cached across requests. [`decode`] is the one-shot form.
//! - [`Receiver`], [`router`] and [`serve`] answer HTTP as the protocol
//!   wants: 204 when the sink took the batch, 400 for a malformed body (the
//!   sender drops it), 413/415 for bodies or headers we refuse, 503 when
//!   the sink is closed (the sender retries).
//! - [`Stats`] counts requests, samples and everything left out.
//! - [`proto`] declares the protocol's messages, for senders and tests.
//!
//! ```
//! use understudy_remote_write::{decode, proto};
//!
//! let body = proto::WriteRequest {
//!     timeseries: vec![proto::TimeSeries {
//!         labels: vec![proto::Label::new("__name__", "up"), proto::Label::new("job", "node")],
//!         samples: vec![proto::Sample { value: 1.0, timestamp: 1_795_648_515_500 }],
//!         ..Default::default()
//!     }],
//!     ..Default::default()
//! }
//! .to_body();
//! let decoded = decode(&body, 1 << 20)?;
//! let sample = decoded.samples.iter().next().expect("one sample");
//! assert_eq!(sample.series.to_string(), r#"up{job="node"}"#);
//! # Ok::<(), understudy_remote_write::DecodeError>(())
//! ```
//!
//! The decision behind the rest: a bad series is not a bad request. A
//! series without `__name__` or with a label name the recording cannot
//! hold is dropped and counted by [`DropReason`], and the rest of its
//! request is kept; exemplars, native histograms and metadata are counted
//! and skipped. Only a body that cannot be read at all is refused, because
//! Prometheus never resends a refused (4xx) request and would lose every
//! good sample in it. Staleness markers are ordinary NaN values with a
//! particular bit pattern; they pass through untouched, and the store keeps
//! the bits.

mod decode;
pub mod proto;
mod server;
mod wire;

pub use decode::{DecodeError, Decoded, Decoder, DropReason, Skipped, decode};
pub use server::{Options, Receiver, Stats, StatsSnapshot, router, serve};

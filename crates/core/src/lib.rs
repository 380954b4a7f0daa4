//! The timeline types every part of understudy speaks.
//!
//! A recording holds two kinds of records on one clock (milliseconds since the
//! Unix epoch, UTC): numeric **samples** of named, labelled series, and
//! Kubernetes **object revisions** as observed by watches. **Gaps** say
//! explicitly when a source was not observing, so that a replay shows "no
//! data" instead of a flat line.
//!
//! # Brief overview
//! - [`Series`] is a metric name plus sorted [`Labels`]; its [`SeriesId`] is a
//!   stable hash, equal across segments, recordings and machines.
//! - [`SampleBatch`], [`ObjectRevision`] and [`Gap`] travel together in a
//!   [`TimelineBatch`] from a [`Source`] to the recording writer.
//! - [`schema`] holds the Arrow schemas of the recording format v1.
//!
//! ```
//! use understudy_core::{Labels, SampleBatch, Series};
//!
//! let series = Series::new(
//!     "jetstream_consumer_num_pending",
//!     Labels::from_pairs([("stream_name", "MEMES"), ("consumer_name", "meme-generator")])?,
//! )?;
//! let mut batch = SampleBatch::default();
//! batch.push(&series.into(), 1_795_648_515_500, 42.0);
//! assert_eq!(batch.len(), 1);
//! # Ok::<(), understudy_core::LabelError>(())
//! ```
//!
//! This crate has no runtime, client or engine dependencies on purpose: sources,
//! the store, replay and plugins all depend on it, so it must stay cheap to
//! compile and free of I/O.

pub mod duration;
mod gap;
mod labels;
mod object;
mod quantity;
mod sample;
pub mod schema;
mod secret;
mod selector;
mod source;
mod time;

pub use gap::Gap;
pub use labels::{LabelError, Labels, Series, SeriesId, valid_label_name, valid_metric_name};
pub use object::{ObjectRevision, WatchEvent};
pub use quantity::{format_quantity, parse_quantity};
pub use sample::{Sample, SampleBatch, TimelineBatch};
pub use secret::{Secret, read_secret};
pub use selector::label_selector_string;
pub use source::{BoxFuture, Sink, SinkClosed, Source, SourceError};
pub use time::{TimeRange, now_ms, parse_rfc3339_ms};

/// The label a recorded query's answer series carry: the expression
/// (written by the Prometheus source, served by replay).
pub const QUERY_LABEL: &str = "understudy_query";
/// The metric name of a recorded answer series that has none.
pub const RESULT_METRIC: &str = "understudy_query_result";

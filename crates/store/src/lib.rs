//! The recording directory: where every source writes and every replay,
//! plugin and analysis reads.
//!
//! # Brief overview
//! - [`RecordingWriter`] appends [`TimelineBatch`](understudy_core::TimelineBatch)es:
//!   to a journal (durable at each flush), and to an in-memory segment that is
//!   sealed into Parquet files every few minutes and on close.
//! - [`repair`] turns the journal of a killed recorder into a sealed segment;
//!   opening a writer on the directory does the same. Until then
//!   [`check_sealed`] tells readers that part of the recording is missing.
//! - [`append_segment`] adds derived data (a KPI plugin's outputs) to a
//!   finished recording, refusing or replacing what the same source added
//!   before.
//! - [`Recording`] reads sealed segments: series, samples of a time range
//!   (merged per series, or as raw Arrow batches), objects.
//! - [`export`] writes OpenMetrics (for `promtool tsdb create-blocks-from
//!   openmetrics`) and CSV.
//! - [`Manifest`] is `manifest.json`: identity, sources, sessions, segments
//!   with checksums, gaps.
//!
//! ```
//! use std::sync::Arc;
//! use understudy_core::{Labels, SampleBatch, Series, TimeRange};
//! use understudy_store::{Recording, RecordingMeta, RecordingWriter, WriterOptions};
//!
//! let dir = tempfile::tempdir()?;
//! let meta = RecordingMeta { name: "demo".into(), ..Default::default() };
//! let (mut w, _) = RecordingWriter::open(dir.path(), meta, WriterOptions::default(), 1_000)?;
//! let up = Arc::new(Series::new("up", Labels::new())?);
//! let mut batch = SampleBatch::default();
//! batch.push(&up, 1_000, 1.0);
//! w.append(&batch.into())?;
//! w.close(2_000)?;
//!
//! let rec = Recording::open(dir.path())?;
//! let samples = rec.samples(TimeRange::ALL, |_| true)?;
//! assert_eq!(samples[0].values, vec![1.0]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The one decision behind the rest: nothing is ever rewritten in place.
//! Journal records are appended with checksums; Parquet files and the
//! manifest appear by atomic rename after an fsync; and the manifest only
//! names files that are complete. So a crash at any moment leaves a
//! directory that is readable as it is and recoverable to the last flush.

mod append;
mod error;
pub mod export;
mod fsutil;
mod journal;
mod manifest;
mod reader;
mod recover;
mod segment;
mod tables;
mod writer;

pub use append::{Appended, Existing, append_segment};
pub use error::{Result, StoreError};
pub use journal::JOURNAL_FILE;
pub use manifest::{
    FORMAT_MAJOR, FORMAT_MINOR, MANIFEST_FILE, Manifest, Segment, SegmentFile, Session, SourceInfo,
    TOOL_VERSION, Tool,
};
pub use reader::{JournalState, Recording, SeriesInfo, SeriesSamples, check_sealed};
pub use recover::{RecoveryReport, repair};
pub use writer::{LOCK_FILE, RecordingMeta, RecordingWriter, WriterOptions, WriterStats};

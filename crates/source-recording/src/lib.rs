//! `[[source.recording]]`: a recording's samples fed into the recorder as
//! if they were happening now — for rehearsals, and to run live plugins
//! without a cluster (docs/configuration.md).
//!
//! # Brief overview
//! - [`RecordingConfig`] is the section: the recording directory and the
//!   playback speed.
//! - [`RecordingSource`] implements [`understudy_core::Source`]: it reads
//!   the recording's sealed samples once, then sends, every second, those
//!   whose offset from the recording's start has been reached, stamped with
//!   the time they are replayed at (offset divided by `speed`).
//!
//! ```
//! use understudy_core::Source;
//! use understudy_source_recording::{RecordingConfig, RecordingSource};
//!
//! let config: RecordingConfig = serde_json::from_str(r#"{"path": "recordings/conflict", "speed": 10}"#)?;
//! assert!(config.problems().is_empty());
//! let source = RecordingSource::new(0, config);
//! assert_eq!(source.name(), "recording[0]");
//! # Ok::<(), serde_json::Error>(())
//! ```
//!
//! The one decision behind the rest: when the recording is over the source
//! stays, sending nothing, rather than returning. A source that returns is
//! an outage to the recorder, which would record a gap and start the
//! playback again.

mod config;
mod source;

pub use config::RecordingConfig;
pub use source::RecordingSource;

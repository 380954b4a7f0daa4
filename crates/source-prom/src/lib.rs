//! `[[source.prometheus]]`: records the metric timeline of a live run from
//! the user's Prometheus (docs/configuration.md).
//!
//! - Raw samples by selector: each selector is fetched every interval as a
//!   range-vector instant query over an overlapping window, so samples keep
//!   their scrape timestamps and a replayed `rate()` equals the live one;
//!   overlaps are de-duplicated per series.
//! - Recorded queries: named expressions evaluated every interval (aligned
//!   to multiples of it, as Grafana aligns steps) and stored with the
//!   expression in the label `understudy_query`, which replay serves for
//!   exactly that expression.
//! - Prometheus down (unreachable, timing out, 5xx): the tick fails with
//!   `SourceError::Unavailable`, the recorder records a gap and runs the
//!   source again after a backoff; the first fetch afterwards reaches back
//!   to the last good one. Errors in answers (a bad query, garbage) are
//!   logged and counted in `understudy_prometheus_errors_total`.
//!
//! # Brief overview
//! - [`PromConfig`] is the section (with [`PromAuth`], [`PromTls`] and
//!   [`RemoteWrite`]); [`PromConfig::problems`] lists what is wrong with it.
//! - [`plan`] turns it into a [`Plan`]: the queries (its own and its
//!   dashboards') and every selector they need.
//! - [`PromSource`] implements [`understudy_core::Source`] over a plan;
//!   [`RemoteWriteSource`] is the optional remote write receiver, a source
//!   of its own.
//!
//! The HTTP client (reqwest over rustls) needs one rustls crypto provider
//! for the process, plain `http://` included: the binary installs it before
//! building a source (the `understudy` binary installs ring's); a library
//! cannot know which providers its binary links.

mod client;
mod config;
mod fetch;
mod plan;
mod remote_write;
mod source;

pub use config::{PromAuth, PromConfig, PromTls, RemoteWrite, Secret, check_selector};
pub use fetch::{QUERY_LABEL, RESULT_METRIC};
pub use plan::{Plan, plan};
pub use remote_write::RemoteWriteSource;
pub use source::{NamedQuery, PromSource};

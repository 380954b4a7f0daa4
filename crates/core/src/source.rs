use std::future::Future;
use std::pin::Pin;

use crate::TimelineBatch;

/// A boxed, sendable future: the `Source` trait stays object-safe without
/// pulling an async runtime into this crate.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The recorder is shutting down and takes no more batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the recorder is shutting down and takes no more batches")]
pub struct SinkClosed;

/// Where a source delivers what it observed.
pub trait Sink: Send + Sync {
    /// Hands one batch to the recorder. Waits while the writer is behind, so a
    /// fast source cannot grow memory without bound.
    fn send(&self, batch: TimelineBatch) -> BoxFuture<'_, Result<(), SinkClosed>>;
}

/// Why a source stopped.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The thing observed is unreachable or misbehaving; the recorder records
    /// a gap and runs the source again after a backoff.
    #[error("{0}")]
    Unavailable(String),
    /// The source cannot work with its configuration; retrying will not help.
    #[error("{0}")]
    Fatal(String),
    /// [`Sink::send`] found the recorder shutting down (`?` on a send
    /// gives this); no gap is recorded and `run` is not called again.
    #[error(transparent)]
    SinkClosed(#[from] SinkClosed),
}

/// Something the recorder observes: a Prometheus, a NATS server, a cluster.
///
/// The recorder calls [`Source::run`] and lets it run until shutdown, when it
/// drops the future. When `run` returns an error, the recorder records a gap
/// from that moment until the source delivers again, and calls `run` anew
/// after a backoff; the daemon never exits because one source is down.
///
/// Each kind of source has its own crate (`source-kube`, `source-nats`,
/// `source-prom`, `source-recording`), which owns its client dependency and
/// its `[[source.KIND]]` config section. The CLI lists the kinds in one
/// place, `SourceKind` in crates/cli/src/config/sources.rs, whose docs are
/// the checklist for adding one.
pub trait Source: Send {
    /// Instance name, unique in a recording: `prometheus[0]`, `nats[1]`.
    fn name(&self) -> &str;

    /// The effective configuration, secrets redacted, for the manifest.
    fn config(&self) -> serde_json::Value;

    /// Observes and sends batches until an error or until dropped.
    fn run<'a>(&'a mut self, sink: &'a dyn Sink) -> BoxFuture<'a, Result<(), SourceError>>;
}

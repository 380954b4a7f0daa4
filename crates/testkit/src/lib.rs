//! What the tests of several crates share, all real services on loopback
//! ports chosen at run time and stopped when the test ends:
//!
//! - [`Prometheus`] (Debian's `prometheus`): scraping an [`exporter`] whose
//!   values are known, or itself, behind TLS ([`secured_prometheus`]), or
//!   over a recording backfilled with `promtool` — the oracle that
//!   differential tests compare answers with ([`prometheus`]).
//! - [`NatsServer`]: a real `nats-server -js`.
//! - [`kube::FixtureApi`]: a Kubernetes API server with objects a test sets.
//! - [`chromium`]: headless Chromium driving a page.
//! - [`free_port`], [`get`]: plain loopback helpers; [`Collect`]: a sink that
//!   keeps what a source sends.
//!
//! Dev-only: no crate depends on it outside `[dev-dependencies]`. It
//! depends downward only (core, store, the Kubernetes wire protocol), so
//! the tests of any crate above those can use it.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use understudy_core::{BoxFuture, ObjectRevision, Sample, Sink, SinkClosed, TimelineBatch};

pub mod chromium;
pub mod kube;
mod nats;
pub mod prometheus;

pub use nats::{NatsServer, memes};
pub use prometheus::{
    Exporter, Prometheus, exporter, prometheus_scraping_exporter, query, raw, sample_key,
    secured_prometheus, series_key,
};

/// A loopback port free when asked (the OS's pick of an ephemeral port).
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// A plain HTTP/1.0 GET on loopback: the body, or `None`.
pub fn get(port: u16, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    // Generous: an oracle's query over an hour of data on a loaded machine.
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    out.split_once("\r\n\r\n").map(|(_, body)| body.to_owned())
}

/// Keeps every batch a source sends.
#[derive(Debug, Default, Clone)]
pub struct Collect(pub Arc<Mutex<Vec<TimelineBatch>>>);

impl Collect {
    /// Every sample received so far, batches in arrival order.
    pub fn samples(&self) -> Vec<Sample> {
        self.0
            .lock()
            .expect("lock")
            .iter()
            .flat_map(|b| b.samples.iter().cloned())
            .collect()
    }

    /// Every object revision and relist marker received so far, in order.
    pub fn objects(&self) -> Vec<ObjectRevision> {
        self.0
            .lock()
            .expect("lock")
            .iter()
            .flat_map(|b| b.objects.iter().cloned())
            .collect()
    }
}

impl Sink for Collect {
    fn send(&self, batch: TimelineBatch) -> BoxFuture<'_, Result<(), SinkClosed>> {
        self.0.lock().expect("lock").push(batch);
        Box::pin(async { Ok(()) })
    }
}

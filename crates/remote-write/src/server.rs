//! The HTTP side: `POST /api/v1/write` into a [`Sink`].

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use understudy_core::{Sink, SinkClosed};

use crate::{DecodeError, Decoder, DropReason, Skipped};

/// Limits of a [`Receiver`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Largest request body, as sent (compressed); larger ones get 413.
    /// Prometheus sends at most `max_samples_per_send` (500 by default)
    /// samples per request, a few tens of KiB.
    pub max_body_bytes: usize,
    /// Largest body after snappy decompression; larger ones get 400. Checked
    /// from the snappy header before anything is allocated.
    pub max_decoded_bytes: usize,
    /// Label sets the series cache remembers per generation
    /// (see [`Decoder`]).
    pub cache_capacity: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_body_bytes: 16 << 20,
            max_decoded_bytes: 64 << 20,
            cache_capacity: Decoder::DEFAULT_CACHE_CAPACITY,
        }
    }
}

/// Counters since the receiver started, for the recorder's own metrics.
#[derive(Debug, Default)]
pub struct Stats {
    requests: AtomicU64,
    samples: AtomicU64,
    series_dropped: [AtomicU64; DropReason::ALL.len()],
    exemplars: AtomicU64,
    histograms: AtomicU64,
    metadata: AtomicU64,
    malformed: AtomicU64,
    too_large: AtomicU64,
    unsupported: AtomicU64,
    unavailable: AtomicU64,
}

/// A copy of [`Stats`] at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// `POST`s received, whatever their answer.
    pub requests: u64,
    /// Samples handed to the sink.
    pub samples: u64,
    /// Series, exemplars, histograms and metadata left out of accepted requests.
    pub skipped: Skipped,
    /// Requests answered 400: bad snappy, bad protobuf, too large decompressed.
    pub malformed: u64,
    /// Requests answered 413: body over [`Options::max_body_bytes`].
    pub too_large: u64,
    /// Requests answered 415: wrong `Content-Encoding` or `Content-Type`.
    pub unsupported: u64,
    /// Requests answered 503: the sink was closed.
    pub unavailable: u64,
}

impl Stats {
    /// The counters now; each is read on its own, so a snapshot taken
    /// during a request may count it in some counters and not others.
    pub fn snapshot(&self) -> StatsSnapshot {
        let mut skipped = Skipped::default();
        skipped.exemplars = self.exemplars.load(Relaxed);
        skipped.histograms = self.histograms.load(Relaxed);
        skipped.metadata = self.metadata.load(Relaxed);
        for r in DropReason::ALL {
            skipped.add_series(r, self.series_dropped[r as usize].load(Relaxed));
        }
        StatsSnapshot {
            requests: self.requests.load(Relaxed),
            samples: self.samples.load(Relaxed),
            skipped,
            malformed: self.malformed.load(Relaxed),
            too_large: self.too_large.load(Relaxed),
            unsupported: self.unsupported.load(Relaxed),
            unavailable: self.unavailable.load(Relaxed),
        }
    }

    fn add_skipped(&self, s: &Skipped) {
        for r in DropReason::ALL {
            let n = s.series(r);
            if n > 0 {
                self.series_dropped[r as usize].fetch_add(n, Relaxed);
            }
        }
        self.exemplars.fetch_add(s.exemplars, Relaxed);
        self.histograms.fetch_add(s.histograms, Relaxed);
        self.metadata.fetch_add(s.metadata, Relaxed);
    }
}

/// A remote-write endpoint feeding one [`Sink`].
///
/// Requests are decoded one at a time through one shared [`Decoder`], so
/// that all of Prometheus' shards share one series cache; decoding a
/// request takes tens of microseconds, sending it to the sink (which waits
/// while the writer is behind) happens outside the lock.
pub struct Receiver {
    sink: Arc<dyn Sink>,
    decoder: Mutex<Decoder>,
    stats: Arc<Stats>,
    max_body_bytes: usize,
    logged_malformed: AtomicBool,
}

impl fmt::Debug for Receiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("stats", &self.stats)
            .field("max_body_bytes", &self.max_body_bytes)
            .finish_non_exhaustive()
    }
}

impl Receiver {
    /// A receiver handing every accepted request's samples to `sink`, with
    /// `options`' limits; serve it with [`router`] or [`serve`].
    pub fn new(sink: Arc<dyn Sink>, options: Options) -> Receiver {
        Receiver {
            sink,
            decoder: Mutex::new(
                Decoder::new(options.max_decoded_bytes).with_cache_capacity(options.cache_capacity),
            ),
            stats: Arc::default(),
            max_body_bytes: options.max_body_bytes,
            logged_malformed: AtomicBool::new(false),
        }
    }

    /// The receiver's counters; they stay readable after it is dropped.
    pub fn stats(&self) -> Arc<Stats> {
        Arc::clone(&self.stats)
    }

    fn decode(&self, body: &[u8]) -> Result<crate::Decoded, DecodeError> {
        // A panic while decoding leaves the cache consistent: every entry is
        // inserted whole.
        let mut decoder = self.decoder.lock().unwrap_or_else(|p| p.into_inner());
        decoder.decode(body)
    }
}

/// `POST /api/v1/write`; other methods get 405.
pub fn router(receiver: Arc<Receiver>) -> Router {
    let limit = receiver.max_body_bytes;
    Router::new()
        .route("/api/v1/write", post(write))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(receiver)
}

/// Serves [`router`] on `listener` until the future is dropped or accepting
/// fails.
pub async fn serve(
    listener: tokio::net::TcpListener,
    receiver: Arc<Receiver>,
) -> Result<(), std::io::Error> {
    understudy_serve::serve(listener, router(receiver)).await
}

async fn write(State(rx): State<Arc<Receiver>>, request: Request) -> Response {
    let stats = &rx.stats;
    stats.requests.fetch_add(1, Relaxed);
    if let Err(why) = check_headers(request.headers()) {
        stats.unsupported.fetch_add(1, Relaxed);
        return (StatusCode::UNSUPPORTED_MEDIA_TYPE, why).into_response();
    }
    let body = match Bytes::from_request(request, &()).await {
        Ok(b) => b,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            stats.too_large.fetch_add(1, Relaxed);
            let why = format!("request body exceeds {} bytes", rx.max_body_bytes);
            return (StatusCode::PAYLOAD_TOO_LARGE, why).into_response();
        }
        Err(e) => return e.into_response(),
    };
    let decoded = match rx.decode(&body) {
        Ok(d) => d,
        Err(e) => {
            stats.malformed.fetch_add(1, Relaxed);
            if !rx.logged_malformed.swap(true, Relaxed) {
                tracing::warn!(
                    "remote write: refused a malformed request: {e} (logged once; counted after)"
                );
            }
            return (StatusCode::BAD_REQUEST, e.to_string()).into_response();
        }
    };
    stats.add_skipped(&decoded.skipped);
    let n = decoded.samples.len() as u64;
    if n > 0 {
        if let Err(SinkClosed) = rx.sink.send(decoded.samples.into()).await {
            stats.unavailable.fetch_add(1, Relaxed);
            // 5xx: Prometheus keeps the data and retries.
            return (StatusCode::SERVICE_UNAVAILABLE, SinkClosed.to_string()).into_response();
        }
        stats.samples.fetch_add(n, Relaxed);
    }
    StatusCode::NO_CONTENT.into_response()
}

/// Remote write 1.0 or nothing: snappy-compressed `prometheus.WriteRequest`.
fn check_headers(headers: &HeaderMap) -> Result<(), String> {
    let text = |name| {
        headers.get(name).map(|v| {
            v.to_str()
                .unwrap_or("(not text)")
                .trim()
                .to_ascii_lowercase()
        })
    };
    match text(header::CONTENT_ENCODING) {
        Some(e) if e == "snappy" => {}
        Some(e) => return Err(format!("Content-Encoding must be snappy, got {e:?}")),
        None => return Err("Content-Encoding must be snappy, got none".into()),
    }
    // A missing Content-Type is taken as protobuf; remote write 2.0 senders
    // name their message, and fall back to 1.0 on 415.
    if let Some(t) = text(header::CONTENT_TYPE) {
        let mut parts = t.split(';').map(str::trim);
        if parts.next() != Some("application/x-protobuf") {
            return Err(format!(
                "Content-Type must be application/x-protobuf, got {t:?}"
            ));
        }
        if let Some(proto) = parts.find_map(|p| p.strip_prefix("proto="))
            && proto != "prometheus.writerequest"
        {
            return Err(format!(
                "only remote write 1.0 (proto=prometheus.WriteRequest) is supported, got {t:?}; \
                 set the sender's protobuf_message to prometheus.WriteRequest"
            ));
        }
    }
    Ok(())
}

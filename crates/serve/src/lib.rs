//! Serving HTTP so that no client can hold a server of understudy up
//! (the replay's APIs and dashboard, the recorder's health and remote write).
//!
//! `axum::serve` accepts every connection and waits forever for a request's
//! headers: a few thousand idle or slow connections (slowloris) would use
//! up the process's file descriptors and stop everyone else. Here at most
//! [`MAX_CONNECTIONS`] connections are served at once (more wait in the
//! kernel's backlog), and a connection that does not send its request
//! headers within [`HEADER_READ_TIMEOUT`] is closed, as is one whose
//! client stops reading its answer for [`WRITE_TIMEOUT`] (a stalled reader
//! would otherwise hold the answer's memory for good). Responses
//! themselves may stream for as long as they need (Kubernetes watches do).

mod stall;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// Connections served at once, per listener.
pub const MAX_CONNECTIONS: usize = 512;

/// How long a client may take to send a request's headers, the first on
/// a connection or the next on a kept-alive one.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a write to a client may wait for the client to read.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(60);

/// Serves `router` on `listener` until the returned future is dropped.
pub async fn serve(listener: TcpListener, router: Router) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
            return Ok(());
        };
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors, or a connection reset before it
                // was accepted: keep serving the connections we have.
                tracing::debug!("accepting a connection failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        tokio::spawn(async move {
            let _slot = slot;
            let served = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .serve_connection(
                    TokioIo::new(stall::Stall::new(stream, WRITE_TIMEOUT)),
                    service,
                )
                .await;
            if let Err(e) = served {
                tracing::debug!("connection ended: {e}");
            }
        });
    }
}

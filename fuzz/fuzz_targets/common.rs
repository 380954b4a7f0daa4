//! What the HTTP-shaped targets share: a fuzz input read as a request, the
//! replay of `recordings/conflict` in memory, and a way to send a request
//! through a router in process.
//!
//! An input is `METHOD TARGET`, header lines `Name: value`, an empty line,
//! then the body (lines end with `\n` or `\r\n`), so a crash input is
//! nearly an HTTP request already: `scripts/fuzz.sh` turns it into a case
//! of the hostile-request corpus.

#![allow(dead_code, reason = "each target uses a different subset")]

use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;
use understudy_replay::{AppState, QueryLimits, ReplayOptions};

/// The replay's wall clock, fixed so that a crash input reproduces.
pub const NOW_MS: i64 = 1_795_648_515_500;

/// The request an input describes, or `None` when it is not one (hyper
/// would have refused it before any handler saw it).
pub fn request(data: &[u8]) -> Option<Request<Body>> {
    let (head, body) = match find(data, b"\n\n")
        .map(|i| (i, 2))
        .or_else(|| find(data, b"\r\n\r\n").map(|i| (i, 4)))
    {
        Some((i, n)) => (&data[..i], &data[i + n..]),
        None => (data, &[][..]),
    };
    let head = std::str::from_utf8(head).ok()?;
    let mut lines = head.lines();
    let (method, target) = lines.next()?.split_once(' ')?;
    let mut req = Request::builder().method(method).uri(target);
    for line in lines {
        let (name, value) = line.split_once(':')?;
        req = req.header(name, value.trim_start());
    }
    req.body(Body::from(body.to_vec())).ok()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// One runtime for every input, as a server has one.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a tokio runtime")
    })
}

/// `recordings/conflict` loaded once, paused five minutes in; queries time
/// out after 200 ms and hold at most a million samples (the server's
/// defaults are 2 minutes and 50 million: a fuzzer needs answers faster).
pub fn replay() -> &'static Arc<AppState> {
    static STATE: OnceLock<Arc<AppState>> = OnceLock::new();
    STATE.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../recordings/conflict");
        let loaded = understudy_replay::load(&dir).expect("recordings/conflict loads");
        let opts = ReplayOptions {
            start_at_ms: 0,
            speed: 1.0,
            looping: false,
            no_shift: false,
            limits: QueryLimits {
                timeout: Duration::from_millis(200),
                max_samples: 1_000_000,
                ..QueryLimits::default()
            },
        };
        understudy_replay::state(loaded, &opts, NOW_MS)
    })
}

/// Puts the replay clock back where every input starts: the control API
/// may have moved it.
pub fn reset_clock(state: &AppState) {
    state.with_clock(|c| {
        c.set_speed(1.0);
        c.seek(5 * 60_000);
        c.pause();
    });
}

/// Sends `req` through `router` and reads the answer: the whole body, or
/// what a stream (a watch) has sent before it pauses. A 500 is a bug: no
/// request should make a handler fail (a panic on a query thread shows as
/// one).
pub fn send(router: &Router, req: Request<Body>) -> Vec<u8> {
    runtime().block_on(async {
        let resp = router
            .clone()
            .oneshot(req)
            .await
            .expect("routers are infallible");
        let status = resp.status();
        let mut body = resp.into_body();
        let mut out = Vec::new();
        while let Ok(Some(Ok(frame))) =
            tokio::time::timeout(Duration::from_millis(5), body.frame()).await
        {
            if let Ok(data) = frame.into_data() {
                out.extend_from_slice(&data);
            }
        }
        assert_ne!(
            status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "500: {}",
            String::from_utf8_lossy(&out)
        );
        out
    })
}

//! The replay served in-process beside a real Prometheus 2.42 over the same
//! data (the test kit's), and a small HTTP client that reads both, for
//! differential tests and the side-by-side benchmark.

#![allow(dead_code, reason = "the test and the benchmark use different parts")]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use understudy_replay::{AppState, ReplayOptions, load, router, state};
pub use understudy_testkit::Prometheus;

pub fn bundled(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../recordings")
        .join(name)
}

/// The replay serving `recording` in-process.
pub struct Replay {
    pub addr: String,
    pub state: Arc<AppState>,
    _rt: tokio::runtime::Runtime,
}

pub fn replay(recording: &Path, opts: ReplayOptions) -> Replay {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let state = state(
        load(recording).expect("load"),
        &opts,
        understudy_core::now_ms(),
    );
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let app = router(Arc::clone(&state));
    rt.spawn(async move { axum::serve(listener, app).await });
    Replay {
        addr,
        state,
        _rt: rt,
    }
}

pub fn no_shift() -> ReplayOptions {
    ReplayOptions {
        start_at_ms: 0,
        speed: 1.0,
        looping: false,
        no_shift: true,
        limits: understudy_replay::QueryLimits::default(),
    }
}

/// A GET over a fresh connection: (status, body).
pub fn get(addr: &str, path: &str) -> (u16, String) {
    let Ok(mut c) = TcpStream::connect(addr) else {
        return (0, String::new());
    };
    let _ = c.set_read_timeout(Some(Duration::from_secs(30)));
    if write!(
        c,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .is_err()
    {
        return (0, String::new());
    }
    let mut resp = Vec::new();
    let _ = c.read_to_end(&mut resp);
    let resp = String::from_utf8_lossy(&resp);
    let code = resp
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let (head, body) = resp.split_once("\r\n\r\n").unwrap_or((&resp, ""));
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_owned()
    };
    (code, body)
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// Percent-encodes a query parameter.
pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The dashboard's queries, with Grafana's variables as Grafana would fill
/// them for this data (`$namespace`, `$__rate_interval` with a 15 s scrape).
pub fn dashboard_queries() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../deploy/grafana/dashboards/autoscaling.json");
    let dash: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("dashboard")).expect("json");
    let mut out = Vec::new();
    for panel in dash["panels"].as_array().into_iter().flatten() {
        for t in panel["targets"].as_array().into_iter().flatten() {
            if let Some(expr) = t["expr"].as_str() {
                out.push(
                    expr.replace("$namespace", "meme-generator")
                        .replace("$__rate_interval", "1m"),
                );
            }
        }
    }
    out
}

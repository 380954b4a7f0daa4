//! A real Prometheus (Debian's 2.42, scraping itself every second) remote
//! writes to the receiver; what arrives must be what that Prometheus itself
//! answers to queries.
//!
//! With `UNDERSTUDY_CAPTURE_FIXTURE=<file>` the test also saves the first
//! request bodies as they came over the wire, length-prefixed, for the
//! `ingest` bench (tests/fixtures/README.md).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use common::{CollectSink, request};
use understudy_core::now_ms;
use understudy_remote_write::{Options, Receiver, router};
use understudy_testkit::Prometheus;

/// A query's result as `labels → [(timestamp ms, value)]`; `__name__` kept.
async fn query(prom: std::net::SocketAddr, q: &str) -> BTreeMap<String, Vec<(i64, f64)>> {
    let enc: String = q
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let r = request(prom, "GET", &format!("/api/v1/query?query={enc}"), &[], b"")
        .await
        .expect("Prometheus answers");
    assert_eq!(r.status, 200, "{q}: {}", r.text());
    let v: serde_json::Value = serde_json::from_slice(&r.body).expect("JSON");
    let point = |p: &serde_json::Value| {
        let t = p[0].as_f64().expect("time");
        let v: f64 = p[1].as_str().expect("value").parse().expect("number");
        ((t * 1000.0).round() as i64, v)
    };
    let mut out = BTreeMap::new();
    for s in v["data"]["result"].as_array().expect("result") {
        let labels: BTreeMap<&str, &str> = s["metric"]
            .as_object()
            .expect("metric")
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str().unwrap_or_default()))
            .collect();
        let points = match s["values"].as_array() {
            Some(values) => values.iter().map(point).collect(),
            None => vec![point(&s["value"])],
        };
        out.insert(format!("{labels:?}"), points);
    }
    out
}

/// The labels of a received series in the form [`query`] uses.
fn key(s: &understudy_core::Series) -> String {
    let mut labels: BTreeMap<&str, &str> = s.labels().iter().collect();
    labels.insert("__name__", s.metric());
    format!("{labels:?}")
}

async fn capture(
    State(bodies): State<Arc<Mutex<Vec<Bytes>>>>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 64 << 20)
        .await
        .expect("body readable");
    bodies.lock().expect("not poisoned").push(bytes.clone());
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn save_fixture(path: &Path, bodies: &[Bytes]) {
    let mut out = Vec::new();
    for b in bodies {
        if out.len() + b.len() + 4 > 190 << 10 {
            break;
        }
        out.extend_from_slice(&(b.len() as u32).to_le_bytes());
        out.extend_from_slice(b);
    }
    std::fs::write(path, out).expect("fixture written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_remote_writes_what_it_scrapes() {
    let started = now_ms();
    let sink = Arc::new(CollectSink::default());
    let receiver = Arc::new(Receiver::new(sink.clone(), Options::default()));
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let app = router(Arc::clone(&receiver)).layer(axum::middleware::from_fn_with_state(
        Arc::clone(&bodies),
        capture,
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let rw_addr = listener.local_addr().expect("address");
    let _server = tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir().expect("temp dir");
    let remote_write = format!(
        "remote_write:\n  - url: http://{rw_addr}/api/v1/write\n    queue_config:\n      batch_send_deadline: 1s\n"
    );
    // Waiting for it to get ready blocks this worker; the receiver runs on the other.
    let prometheus =
        tokio::task::block_in_place(|| Prometheus::scraping_itself(dir.path(), &remote_write));
    let prom: std::net::SocketAddr = ([127, 0, 0, 1], prometheus.port).into();

    // Wait for a few scrapes of `up` and the build info to arrive.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let samples = sink.samples();
        let ups = samples.iter().filter(|s| s.series.metric() == "up").count();
        let info = samples
            .iter()
            .any(|s| s.series.metric() == "prometheus_build_info");
        if ups >= 3 && info {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "after 30 s: {ups} samples of up, build info {info}; Prometheus said:\n{}",
            prometheus.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let samples = sink.samples();
    let now = now_ms();
    for s in &samples {
        assert!(
            (started - 1_000..=now + 1_000).contains(&s.timestamp_ms),
            "implausible timestamp {} of {} (test ran {started}..{now})",
            s.timestamp_ms,
            s.series
        );
    }
    // Every `up` received is a sample Prometheus holds itself.
    let stored = query(prom, "up[1m]").await;
    let mut checked = 0;
    for s in samples.iter().filter(|s| s.series.metric() == "up") {
        assert_eq!(
            s.series.labels().get("job"),
            Some("prometheus"),
            "{}",
            s.series
        );
        let points = stored.get(&key(&s.series)).unwrap_or_else(|| {
            panic!(
                "Prometheus has no {} but sent it; it has {stored:?}",
                s.series
            )
        });
        assert!(
            points.contains(&(s.timestamp_ms, s.value)),
            "{} at {} = {} not among {points:?}",
            s.series,
            s.timestamp_ms,
            s.value
        );
        checked += 1;
    }
    assert!(checked >= 3);
    // The build info arrives with Prometheus' own labels.
    let info = query(prom, "prometheus_build_info").await;
    let got: BTreeSet<String> = samples
        .iter()
        .filter(|s| s.series.metric() == "prometheus_build_info")
        .map(|s| key(&s.series))
        .collect();
    assert_eq!(got, info.keys().cloned().collect::<BTreeSet<_>>());
    assert!(
        got.iter().any(|k| k.contains(r#""version": "2."#)),
        "{got:?}"
    );

    // Nothing refused, on either side.
    let stats = receiver.stats().snapshot();
    assert_eq!(
        (stats.malformed, stats.too_large, stats.unsupported),
        (0, 0, 0)
    );
    assert_eq!(stats.skipped.series_total(), 0, "{stats:?}");
    assert!(stats.samples >= samples.len() as u64);
    let failed = query(
        prom,
        "sum(prometheus_remote_storage_samples_failed_total) or vector(0)",
    )
    .await;
    assert!(
        failed.values().all(|p| p.iter().all(|&(_, v)| v == 0.0)),
        "{failed:?}"
    );

    if let Ok(path) = std::env::var("UNDERSTUDY_CAPTURE_FIXTURE") {
        let deadline = Instant::now() + Duration::from_secs(120);
        let captured = || {
            bodies
                .lock()
                .expect("not poisoned")
                .iter()
                .map(Bytes::len)
                .sum::<usize>()
        };
        while captured() < 190 << 10 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        save_fixture(Path::new(&path), &bodies.lock().expect("not poisoned"));
    }
}

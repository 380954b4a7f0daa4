//! The HTTP contract, over a real loopback socket.

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use common::{CollectSink, PROMETHEUS_HEADERS, request, start};
use understudy_remote_write::proto::{Label, Sample, TimeSeries, WriteRequest};
use understudy_remote_write::{DropReason, Options};

const PATH: &str = "/api/v1/write";

fn body() -> Vec<u8> {
    WriteRequest {
        timeseries: vec![
            TimeSeries {
                labels: vec![Label::new("__name__", "up"), Label::new("job", "node")],
                samples: vec![Sample {
                    value: 1.0,
                    timestamp: 1_000,
                }],
                ..Default::default()
            },
            TimeSeries {
                labels: vec![Label::new("job", "nameless")],
                samples: vec![Sample {
                    value: 1.0,
                    timestamp: 1_000,
                }],
                ..Default::default()
            },
        ],
        ..Default::default()
    }
    .to_body()
}

#[tokio::test]
async fn accepted_requests_reach_the_sink_with_204() {
    let sink = Arc::new(CollectSink::default());
    let (addr, rx, _server) = start(Arc::clone(&sink), Options::default()).await;
    let r = request(addr, "POST", PATH, PROMETHEUS_HEADERS, &body())
        .await
        .expect("answer");
    assert_eq!(r.status, 204, "{}", r.text());
    let samples = sink.samples();
    assert_eq!(samples.len(), 1);
    assert_eq!(samples[0].series.to_string(), r#"up{job="node"}"#);
    let s = rx.stats().snapshot();
    assert_eq!(s.requests, 1);
    assert_eq!(s.samples, 1);
    assert_eq!(s.skipped.series(DropReason::MissingName), 1);
    // Without Content-Type, snappy alone is enough.
    let r = request(
        addr,
        "POST",
        PATH,
        &[("Content-Encoding", "snappy")],
        &body(),
    )
    .await
    .expect("answer");
    assert_eq!(r.status, 204, "{}", r.text());
}

#[tokio::test]
async fn other_methods_get_405() {
    let sink = Arc::new(CollectSink::default());
    let (addr, _rx, _server) = start(sink, Options::default()).await;
    for method in ["GET", "PUT", "DELETE"] {
        let r = request(addr, method, PATH, &[], b"").await.expect("answer");
        assert_eq!(r.status, 405, "{method}");
        assert_eq!(r.header("allow"), Some("POST"));
    }
}

#[tokio::test]
async fn bodies_over_the_limit_get_413() {
    let sink = Arc::new(CollectSink::default());
    let options = Options {
        max_body_bytes: 1000,
        ..Options::default()
    };
    let (addr, rx, _server) = start(Arc::clone(&sink), options).await;
    let r = request(addr, "POST", PATH, PROMETHEUS_HEADERS, &vec![0; 5000])
        .await
        .expect("answer");
    assert_eq!(r.status, 413);
    assert_eq!(r.text(), "request body exceeds 1000 bytes");
    assert_eq!(rx.stats().snapshot().too_large, 1);
    assert!(sink.samples().is_empty());
}

#[tokio::test]
async fn wrong_encoding_or_type_gets_415() {
    let sink = Arc::new(CollectSink::default());
    let (addr, rx, _server) = start(sink, Options::default()).await;
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[], "Content-Encoding must be snappy, got none"),
        (
            &[("Content-Encoding", "gzip")],
            r#"Content-Encoding must be snappy, got "gzip""#,
        ),
        (
            &[
                ("Content-Encoding", "snappy"),
                ("Content-Type", "application/json"),
            ],
            r#"Content-Type must be application/x-protobuf, got "application/json""#,
        ),
        (
            &[
                ("Content-Encoding", "snappy"),
                (
                    "Content-Type",
                    "application/x-protobuf;proto=io.prometheus.write.v2.Request",
                ),
            ],
            "only remote write 1.0 (proto=prometheus.WriteRequest) is supported",
        ),
    ];
    for (headers, expected) in cases {
        let r = request(addr, "POST", PATH, headers, &body())
            .await
            .expect("answer");
        assert_eq!(r.status, 415, "{headers:?}");
        assert!(r.text().starts_with(expected), "{}", r.text());
    }
    assert_eq!(rx.stats().snapshot().unsupported, cases.len() as u64);
    // Naming the 1.0 message explicitly is fine.
    let headers = [
        ("Content-Encoding", "snappy"),
        (
            "Content-Type",
            "application/x-protobuf; proto=prometheus.WriteRequest",
        ),
    ];
    let r = request(addr, "POST", PATH, &headers, &body())
        .await
        .expect("answer");
    assert_eq!(r.status, 204, "{}", r.text());
}

#[tokio::test]
async fn malformed_bodies_get_400_with_the_reason() {
    let sink = Arc::new(CollectSink::default());
    let (addr, rx, _server) = start(sink, Options::default()).await;
    let r = request(addr, "POST", PATH, PROMETHEUS_HEADERS, b"not snappy at all")
        .await
        .expect("answer");
    assert_eq!(r.status, 400);
    assert!(r.text().starts_with("snappy: "), "{}", r.text());
    let garbage = snap::raw::Encoder::new()
        .compress_vec(&[0x0a, 0x05, 0x01])
        .expect("small");
    let r = request(addr, "POST", PATH, PROMETHEUS_HEADERS, &garbage)
        .await
        .expect("answer");
    assert_eq!(r.status, 400);
    assert!(r.text().starts_with("protobuf: "), "{}", r.text());
    assert_eq!(rx.stats().snapshot().malformed, 2);
}

#[tokio::test]
async fn a_closed_sink_gets_503_so_the_sender_retries() {
    let sink = Arc::new(CollectSink::default());
    sink.closed.store(true, Ordering::SeqCst);
    let (addr, rx, _server) = start(sink, Options::default()).await;
    let r = request(addr, "POST", PATH, PROMETHEUS_HEADERS, &body())
        .await
        .expect("answer");
    assert_eq!(r.status, 503);
    let s = rx.stats().snapshot();
    assert_eq!((s.unavailable, s.samples), (1, 0));
}

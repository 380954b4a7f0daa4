//! The source against a real `nats-server -js` (Debian's 2.9).

use std::time::Duration;

use async_nats::jetstream::{self, consumer};
use futures_util::StreamExt as _;
use understudy_core::{Sample, Source, SourceError};
use understudy_source_nats::{NatsConfig, NatsSource, connect};
use understudy_testkit::{Collect, NatsServer, memes};

fn config(url: &str, extra: serde_json::Value) -> NatsConfig {
    let mut v = serde_json::json!({"servers": [url], "interval": "200ms", "timeout": "2s"});
    if let (Some(m), Some(e)) = (v.as_object_mut(), extra.as_object()) {
        m.extend(e.clone());
    }
    serde_json::from_value(v).expect("config")
}

async fn publish(js: &jetstream::Context, n: usize) {
    for i in 0..n {
        js.publish("meme.request", format!("{{\"n\":{i}}}").into())
            .await
            .expect("publish")
            .await
            .expect("ack");
    }
}

/// Takes `n` messages, acking `acked` of them.
async fn consume(c: &consumer::PullConsumer, n: usize, acked: usize) {
    let mut msgs = c.fetch().max_messages(n).messages().await.expect("fetch");
    let mut i = 0;
    while let Some(m) = msgs.next().await {
        let m = m.expect("message");
        if i < acked {
            m.ack().await.expect("ack");
        }
        i += 1;
    }
    assert_eq!(i, n);
}

/// The latest value of `metric` for `consumer` (or the stream).
fn value(samples: &[Sample], metric: &str, consumer: Option<&str>) -> Option<f64> {
    samples
        .iter()
        .filter(|s| s.series.metric() == metric)
        .filter(|s| s.series.labels().get("consumer_name") == consumer)
        .max_by_key(|s| s.timestamp_ms)
        .map(|s| s.value)
}

#[tokio::test(flavor = "multi_thread")]
async fn records_streams_and_consumers_as_the_server_itself_reports_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = NatsServer::start(dir.path(), &[]);
    let (js, c) = memes(&server.url).await;
    publish(&js, 300).await;
    consume(&c, 120, 100).await; // 20 delivered but not acked

    let mut src = NatsSource::new(0, config(&server.url, serde_json::json!({})));
    let client = connect(&src_config(&server.url)).await.expect("connect");
    let name = client.server_info().server_name.clone();
    let batch = src
        .poll(&jetstream::new(client), &name)
        .await
        .expect("poll");
    let samples: Vec<Sample> = batch.iter().cloned().collect();

    // The server's own answer, from its monitoring endpoint.
    let jsz = server.jsz();
    let detail = &jsz["account_details"][0]["stream_detail"][0];
    let cd = &detail["consumer_detail"][0];
    let n = |v: &serde_json::Value| v.as_f64().expect("number");
    let mg = Some("meme-generator");
    for (metric, consumer, expected) in [
        (
            "jetstream_stream_total_messages",
            None,
            n(&detail["state"]["messages"]),
        ),
        (
            "jetstream_stream_total_bytes",
            None,
            n(&detail["state"]["bytes"]),
        ),
        (
            "jetstream_stream_first_seq",
            None,
            n(&detail["state"]["first_seq"]),
        ),
        (
            "jetstream_stream_last_seq",
            None,
            n(&detail["state"]["last_seq"]),
        ),
        (
            "jetstream_stream_consumer_count",
            None,
            n(&detail["state"]["consumer_count"]),
        ),
        ("jetstream_consumer_num_pending", mg, n(&cd["num_pending"])),
        (
            "jetstream_consumer_num_ack_pending",
            mg,
            n(&cd["num_ack_pending"]),
        ),
        (
            "jetstream_consumer_num_redelivered",
            mg,
            n(&cd["num_redelivered"]),
        ),
        ("jetstream_consumer_num_waiting", mg, n(&cd["num_waiting"])),
        (
            "jetstream_consumer_delivered_consumer_seq",
            mg,
            n(&cd["delivered"]["consumer_seq"]),
        ),
        (
            "jetstream_consumer_delivered_stream_seq",
            mg,
            n(&cd["delivered"]["stream_seq"]),
        ),
        (
            "jetstream_consumer_ack_floor_consumer_seq",
            mg,
            n(&cd["ack_floor"]["consumer_seq"]),
        ),
        (
            "jetstream_consumer_ack_floor_stream_seq",
            mg,
            n(&cd["ack_floor"]["stream_seq"]),
        ),
    ] {
        assert_eq!(
            value(&samples, metric, consumer),
            Some(expected),
            "{metric}"
        );
    }
    assert_eq!(
        value(&samples, "jetstream_consumer_num_pending", mg),
        Some(180.0)
    );
    assert_eq!(
        value(&samples, "jetstream_consumer_num_ack_pending", mg),
        Some(20.0)
    );
    let labels = samples[0].series.labels();
    assert_eq!(labels.get("stream_name"), Some("MEMES"));
    assert_eq!(labels.get("account"), Some("$G"));
    assert_eq!(labels.get("server_name"), Some(name.as_str()));
}

fn src_config(url: &str) -> NatsConfig {
    config(url, serde_json::json!({}))
}

#[tokio::test(flavor = "multi_thread")]
async fn pending_rises_while_the_queue_fills_and_a_recreated_stream_is_followed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = NatsServer::start(dir.path(), &[]);
    let (js, _c) = memes(&server.url).await;
    let mut src = NatsSource::new(0, src_config(&server.url));
    let client = connect(&src_config(&server.url)).await.expect("connect");
    let name = client.server_info().server_name.clone();
    let ctx = jetstream::new(client);
    let mut pending = Vec::new();
    for _ in 0..3 {
        publish(&js, 50).await;
        let b: Vec<Sample> = src
            .poll(&ctx, &name)
            .await
            .expect("poll")
            .iter()
            .cloned()
            .collect();
        pending.push(value(
            &b,
            "jetstream_consumer_num_pending",
            Some("meme-generator"),
        ));
    }
    assert_eq!(pending, vec![Some(50.0), Some(100.0), Some(150.0)]);

    js.delete_stream("MEMES").await.expect("delete");
    let b: Vec<Sample> = src
        .poll(&ctx, &name)
        .await
        .expect("poll")
        .iter()
        .cloned()
        .collect();
    assert!(b.is_empty(), "a deleted stream is no longer recorded");
    let (js, _c) = memes(&server.url).await;
    publish(&js, 7).await;
    let b: Vec<Sample> = src
        .poll(&ctx, &name)
        .await
        .expect("poll")
        .iter()
        .cloned()
        .collect();
    assert_eq!(value(&b, "jetstream_stream_last_seq", None), Some(7.0));
    assert_eq!(
        value(&b, "jetstream_consumer_num_pending", Some("meme-generator")),
        Some(7.0)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_restart_ends_the_run_and_the_next_run_resumes_with_advisories() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = NatsServer::start(dir.path(), &[]);
    let (js, _c) = memes(&server.url).await;
    publish(&js, 10).await;
    let sink = Collect::default();
    let mut src = NatsSource::new(0, src_config(&server.url));
    let run = tokio::time::timeout(Duration::from_secs(15), async {
        let running = src.run(&sink);
        tokio::pin!(running);
        tokio::select! {
            r = &mut running => r,
            _ = async {
                // The source subscribes to advisories before its first poll:
                // once a batch is in, the subscription is on the server (a
                // fixed wait lost the race on a loaded machine).
                while sink.0.lock().expect("lock").is_empty() {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                // A consumer created and deleted: two advisories.
                let s = js.get_stream("MEMES").await.expect("stream");
                s.create_consumer(consumer::pull::Config {
                    durable_name: Some("temp".into()),
                    ..Default::default()
                })
                .await
                .expect("create");
                s.delete_consumer("temp").await.expect("delete");
                tokio::time::sleep(Duration::from_millis(800)).await;
                server.kill();
                std::future::pending::<()>().await;
            } => unreachable!(),
        }
    })
    .await
    .expect("the run ends when the server goes");
    match run {
        Err(SourceError::Unavailable(m)) => assert!(m.contains(&server.url), "{m}"),
        other => panic!("expected Unavailable, got {other:?}"),
    }
    let batches = sink.0.lock().expect("lock").clone();
    let actions: Vec<String> = batches
        .iter()
        .flat_map(|b| &b.objects)
        .filter(|o| o.kind == "JetStreamAdvisory")
        .filter_map(|o| o.object.clone())
        .filter(|j| j.contains("\"temp\""))
        .collect();
    assert!(
        actions.iter().any(|j| j.contains("\"action\":\"create\""))
            && actions.iter().any(|j| j.contains("\"action\":\"delete\"")),
        "{actions:?}"
    );
    let before = sink.samples().len();
    assert!(before > 0);

    server.restart();
    let sink2 = Collect::default();
    let _ = tokio::time::timeout(Duration::from_secs(2), src.run(&sink2)).await;
    let after: Vec<Sample> = sink2.samples();
    assert_eq!(
        value(&after, "jetstream_stream_last_seq", None),
        Some(10.0),
        "the restarted server's stream, recorded again"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_credentials_and_bad_urls_say_so_without_the_secret() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = NatsServer::start(dir.path(), &["--user", "u", "--pass", "right-one"]);
    let wrong = config(
        &server.url,
        serde_json::json!({"auth": {"user_password": {"user": "u", "password": "hunter2"}}}),
    );
    match connect(&wrong).await {
        Err(SourceError::Unavailable(m)) => {
            assert!(
                m.to_lowercase().contains("authorization") && !m.contains("hunter2"),
                "{m}"
            );
        }
        other => panic!("expected an authorization error, got {:?}", other.err()),
    }
    let right = config(
        &server.url,
        serde_json::json!({"auth": {"user_password": {"user": "u", "password": "right-one"}}}),
    );
    assert!(connect(&right).await.is_ok());
    let nobody = config("nats://127.0.0.1:1", serde_json::json!({}));
    match tokio::time::timeout(Duration::from_secs(10), connect(&nobody)).await {
        Ok(Err(SourceError::Unavailable(m))) => assert!(m.contains("127.0.0.1:1"), "{m}"),
        other => panic!(
            "expected a bounded connection error, got {:?}",
            other.map(|r| r.err())
        ),
    }
}

/// What one run of the source recorded while a client created and deleted
/// a consumer: the advisory types it recorded, and how many API audit
/// advisories a plain subscriber saw meanwhile.
async fn advisories_recorded(api_audit: bool) -> (Vec<String>, usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = NatsServer::start(dir.path(), &[]);
    let (js, _c) = memes(&server.url).await;
    let witness = async_nats::connect(&server.url).await.expect("connect");
    let mut audits = witness
        .subscribe("$JS.EVENT.ADVISORY.API")
        .await
        .expect("subscribe");
    witness.flush().await.expect("flush");
    let sink = Collect::default();
    let mut src = NatsSource::new(
        0,
        config(&server.url, serde_json::json!({"api_audit": api_audit})),
    );
    let polls = || {
        sink.0
            .lock()
            .expect("lock")
            .iter()
            .filter(|b| !b.samples.is_empty())
            .count()
    };
    let deleted = || {
        sink.objects()
            .iter()
            .filter_map(|o| o.object.clone())
            .any(|j| j.contains("\"temp\"") && j.contains("\"action\":\"delete\""))
    };
    let mut seen = 0;
    tokio::time::timeout(Duration::from_secs(20), async {
        let running = src.run(&sink);
        tokio::pin!(running);
        tokio::select! {
            r = &mut running => panic!("the source stopped: {r:?}"),
            _ = async {
                while polls() == 0 {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                // JetStream API calls of a client other than the recorder.
                let s = js.get_stream("MEMES").await.expect("stream");
                s.create_consumer(consumer::pull::Config {
                    durable_name: Some("temp".into()),
                    ..Default::default()
                })
                .await
                .expect("create");
                s.delete_consumer("temp").await.expect("delete");
                while !deleted() {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                // Three more polls, each a handful of API calls of the
                // recorder's own, so audit advisories had every chance to
                // arrive as the action advisories did.
                let after = polls() + 3;
                while polls() < after {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            } => {}
        }
    })
    .await
    .expect("the advisories arrive");
    while let Ok(Some(_)) = tokio::time::timeout(Duration::ZERO, audits.next()).await {
        seen += 1;
    }
    let types = sink
        .objects()
        .iter()
        .filter(|o| o.kind == "JetStreamAdvisory")
        .map(|o| o.api_version.clone())
        .collect();
    (types, seen)
}

const AUDIT: &str = "io.nats.jetstream.advisory.v1.api_audit";
const CONSUMER_ACTION: &str = "io.nats.jetstream.advisory.v1.consumer_action";

#[tokio::test(flavor = "multi_thread")]
async fn issue_17_api_audit_advisories_are_recorded_only_when_asked() {
    let (types, seen) = advisories_recorded(false).await;
    assert!(seen > 0, "the server audited the API calls");
    assert!(types.iter().any(|t| t == CONSUMER_ACTION), "{types:?}");
    assert!(!types.iter().any(|t| t == AUDIT), "{types:?}");

    let (types, _) = advisories_recorded(true).await;
    assert!(types.iter().any(|t| t == CONSUMER_ACTION), "{types:?}");
    assert!(types.iter().any(|t| t == AUDIT), "{types:?}");
}

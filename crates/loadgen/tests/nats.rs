//! loadgen against a real `nats-server -js` (Debian's) on a loopback port:
//! what lands in the stream is checked with the server's own `/jsz`.

use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};
use serde_json::Value;
use understudy_core::Secret;
use understudy_loadgen::{
    ConsumeOptions, NatsAuth, NatsConnect, Payload, PublishOptions, RunError, StopReason,
    run_consume, run_publish,
};
use understudy_testkit::NatsServer;

fn never() -> std::future::Pending<()> {
    std::future::pending()
}

async fn memes(server: &NatsServer) -> jetstream::Context {
    let client = async_nats::connect(&server.url).await.expect("connect");
    let js = jetstream::new(client);
    js.create_stream(stream::Config {
        name: "MEMES".into(),
        subjects: vec!["meme.request".into()],
        ..Default::default()
    })
    .await
    .expect("stream");
    js
}

/// The stream's entry in `/jsz`.
fn jsz_stream(server: &NatsServer, name: &str) -> Value {
    let jsz = server.jsz();
    let accounts = jsz["account_details"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    accounts
        .iter()
        .flat_map(|a| a["stream_detail"].as_array().cloned().unwrap_or_default())
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("stream {name} in /jsz: {jsz}"))
}

fn jsz_consumer(server: &NatsServer, stream: &str, name: &str) -> Value {
    let s = jsz_stream(server, stream);
    s["consumer_detail"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == name).cloned())
        .unwrap_or_else(|| panic!("consumer {name} in /jsz: {s}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_3000_from_30_clients_lands_3000_in_the_stream() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = NatsServer::start(tmp.path(), &[]);
    memes(&server).await;
    let opts = PublishOptions::new(
        NatsConnect::new(&server.url),
        "MEMES",
        "meme.request",
        3000,
        30,
    );
    let mut ticks = 0;
    let s = run_publish(&opts, |_| ticks += 1, never())
        .await
        .expect("run");
    assert_eq!(
        (s.requested, s.published, s.acked, s.failed, s.unsent),
        (3000, 3000, 3000, 0, 0)
    );
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    assert_eq!((s.clients, s.connections), (30, 2));
    assert_eq!(s.last_stream_seq, Some(3000));
    assert!(ticks >= 1, "the last progress call always comes");
    let l = s.ack_latency_ms.expect("latencies");
    assert!(0.0 < l.p50 && l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.max);
    assert_eq!(jsz_stream(&server, "MEMES")["state"]["messages"], 3000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_over_fewer_connections_and_a_payload_of_ones_own() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = NatsServer::start(tmp.path(), &[]);
    let js = memes(&server).await;
    let mut opts = PublishOptions::new(
        NatsConnect::new(&server.url),
        "MEMES",
        "meme.request",
        101,
        10,
    );
    opts.connections = Some(3);
    opts.payload = Payload::json(r#"{"prompt":"cat","fast_mode":true}"#).expect("json");
    let s = run_publish(&opts, |_| {}, never()).await.expect("run");
    assert_eq!((s.acked, s.connections), (101, 3));
    let mut stream = js.get_stream("MEMES").await.expect("stream");
    let m = stream.get_raw_message(101).await.expect("message 101");
    assert_eq!(&m.payload[..], br#"{"prompt":"cat","fast_mode":true}"#);
    assert_eq!(stream.info().await.expect("info").state.messages, 101);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_500_for_1000_messages_takes_about_2_s() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = NatsServer::start(tmp.path(), &[]);
    memes(&server).await;
    let mut opts = PublishOptions::new(
        NatsConnect::new(&server.url),
        "MEMES",
        "meme.request",
        1000,
        20,
    );
    opts.rate = Some(500.0);
    opts.connections = Some(20);
    let s = run_publish(&opts, |_| {}, never()).await.expect("run");
    assert_eq!((s.acked, s.connections), (1000, 20));
    // Message k goes at k/500 s: the last at 1.998 s. A lower bound only.
    assert!(s.elapsed_s >= 1.8, "{} s", s.elapsed_s);
    assert_eq!(jsz_stream(&server, "MEMES")["state"]["messages"], 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consume_drains_exactly_n_and_moves_the_ack_floor() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = NatsServer::start(tmp.path(), &[]);
    memes(&server).await;
    let fill = PublishOptions::new(
        NatsConnect::new(&server.url),
        "MEMES",
        "meme.request",
        1000,
        10,
    );
    run_publish(&fill, |_| {}, never()).await.expect("fill");

    let mut opts = ConsumeOptions::new(NatsConnect::new(&server.url), "MEMES", "meme-generator", 8);
    opts.work = Duration::from_millis(5);
    opts.messages = Some(250);
    let s = run_consume(&opts, |_| {}, never()).await.expect("consume");
    assert!(s.created);
    assert_eq!((s.consumed, s.failed, s.redelivered), (250, 0, 0));
    assert_eq!(s.stopped_by, StopReason::Messages);
    let after = s.consumer_after.expect("consumer info");
    assert_eq!(
        (
            after.ack_floor_stream_seq,
            after.num_pending,
            after.num_ack_pending
        ),
        (250, 750, 0)
    );
    let c = jsz_consumer(&server, "MEMES", "meme-generator");
    assert_eq!(c["ack_floor"]["stream_seq"], 250, "{c}");
    assert_eq!(c["num_pending"], 750, "{c}");

    // A second run reuses the durable consumer and carries on from there.
    opts.messages = Some(100);
    let s = run_consume(&opts, |_| {}, never()).await.expect("consume");
    assert!(!s.created);
    assert_eq!(s.consumed, 100);
    let c = jsz_consumer(&server, "MEMES", "meme-generator");
    assert_eq!(c["ack_floor"]["stream_seq"], 350, "{c}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consume_for_a_duration_stops_on_an_empty_queue() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = NatsServer::start(tmp.path(), &[]);
    memes(&server).await;
    let mut opts = ConsumeOptions::new(NatsConnect::new(&server.url), "MEMES", "worker", 4);
    opts.duration = Some(Duration::from_millis(300));
    opts.pull_wait = Duration::from_millis(200);
    let s = run_consume(&opts, |_| {}, never()).await.expect("consume");
    assert_eq!((s.consumed, s.failed), (0, 0));
    assert_eq!(s.stopped_by, StopReason::Duration);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consume_refuses_a_push_consumer() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = NatsServer::start(tmp.path(), &[]);
    let js = memes(&server).await;
    js.create_consumer_on_stream(
        consumer::push::Config {
            durable_name: Some("pushed".into()),
            deliver_subject: "deliver.here".into(),
            ..Default::default()
        },
        "MEMES",
    )
    .await
    .expect("push consumer");
    let opts = ConsumeOptions::new(NatsConnect::new(&server.url), "MEMES", "pushed", 1);
    let e = run_consume(&opts, |_| {}, never()).await.expect_err("push");
    assert!(matches!(e, RunError::PushConsumer { .. }), "{e}");
    assert!(e.to_string().contains("\"deliver.here\""), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_stream_lists_the_streams_there() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = NatsServer::start(tmp.path(), &[]);
    let js = memes(&server).await;
    js.create_stream(stream::Config {
        name: "ORDERS".into(),
        subjects: vec!["orders.>".into()],
        ..Default::default()
    })
    .await
    .expect("stream");
    let opts = PublishOptions::new(
        NatsConnect::new(&server.url),
        "MEMEZ",
        "meme.request",
        10,
        1,
    );
    let e = run_publish(&opts, |_| {}, never())
        .await
        .expect_err("no stream");
    assert_eq!(
        e.to_string(),
        format!(
            "stream \"MEMEZ\" not found on {}; streams there: MEMES, ORDERS",
            server.url
        )
    );
    let opts = ConsumeOptions::new(NatsConnect::new(&server.url), "MEMEZ", "c", 1);
    let e = run_consume(&opts, |_| {}, never())
        .await
        .expect_err("no stream");
    assert!(
        e.to_string().ends_with("streams there: MEMES, ORDERS"),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subject_of_another_stream_is_refused_before_publishing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = NatsServer::start(tmp.path(), &[]);
    memes(&server).await;
    let opts = PublishOptions::new(NatsConnect::new(&server.url), "MEMES", "meme.other", 10, 1);
    let e = run_publish(&opts, |_| {}, never())
        .await
        .expect_err("subject");
    assert_eq!(
        e.to_string(),
        format!(
            "subject \"meme.other\" does not go to stream \"MEMES\" on {} (no stream captures it); its subjects: meme.request",
            server.url
        )
    );
    assert_eq!(jsz_stream(&server, "MEMES")["state"]["messages"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_jetstream_says_so() {
    let port = understudy_testkit::free_port();
    let mut plain = std::process::Command::new("nats-server")
        .args(["-a", "127.0.0.1", "-p", &port.to_string()])
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("nats-server");
    let url = format!("nats://127.0.0.1:{port}");
    let mut connect = NatsConnect::new(&url);
    connect.timeout = Duration::from_millis(200);
    let mut result = None;
    for _ in 0..50 {
        let opts = PublishOptions::new(connect.clone(), "MEMES", "meme.request", 1, 1);
        match run_publish(&opts, |_| {}, never()).await {
            Err(RunError::Connect(_)) => tokio::time::sleep(Duration::from_millis(100)).await,
            other => {
                result = Some(other);
                break;
            }
        }
    }
    let _ = plain.kill();
    let _ = plain.wait();
    let e = result
        .expect("the server came up")
        .expect_err("no JetStream");
    assert_eq!(
        e.to_string(),
        format!(
            "JetStream is not enabled on {url} (nats-server needs -js, or the account JetStream)"
        )
    );
}

/// Fails the test instead of hanging it.
async fn bounded<T>(f: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(30), f)
        .await
        .expect("gave up in time instead of hanging")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_url_and_unreachable_server_fail_clearly_without_hanging() {
    let e = bounded(NatsConnect::new("http://127.0.0.1:4222").connect())
        .await
        .expect_err("bad url");
    assert!(
        e.to_string()
            .starts_with("bad NATS server URL \"http://127.0.0.1:4222\": invalid scheme"),
        "{e}"
    );

    let port = understudy_testkit::free_port();
    let e = bounded(NatsConnect::new(format!("nats://127.0.0.1:{port}")).connect())
        .await
        .expect_err("refused");
    assert!(
        e.to_string().starts_with(&format!(
            "cannot reach the NATS server at nats://127.0.0.1:{port}: "
        )),
        "{e}"
    );

    // Accepts the TCP connection and never says a word: the timeout ends it.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = silent.local_addr().expect("addr").port();
    let _hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = silent.accept().await {
            held.push(s);
        }
    });
    let mut c = NatsConnect::new(format!("nats://127.0.0.1:{port}"));
    c.timeout = Duration::from_millis(500);
    let e = bounded(c.connect()).await.expect_err("silent");
    assert!(
        e.to_string().starts_with(&format!(
            "cannot reach the NATS server at nats://127.0.0.1:{port}"
        )),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_an_authorization_error_that_keeps_it_secret() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = NatsServer::start(tmp.path(), &["--user", "u", "--pass", "p"]);
    let mut c = NatsConnect::new(&server.url);
    c.auth = Some(NatsAuth::Basic {
        username: "u".into(),
        password: Some(Secret::new("wrong-secret-42")),
        password_file: None,
    });
    let e = bounded(c.connect()).await.expect_err("wrong password");
    let text = format!("{e} {e:?}");
    assert!(e.to_string().contains("authorization"), "{e}");
    assert!(e.to_string().contains("user \"u\""), "{e}");
    assert!(!text.contains("wrong-secret-42"), "{text}");

    let mut url = NatsConnect::new(format!(
        "nats://u:wrong-secret-42@127.0.0.1:{}",
        server.port
    ));
    url.timeout = Duration::from_secs(2);
    let e = bounded(url.connect())
        .await
        .expect_err("wrong password in URL");
    let text = format!("{e} {e:?} {url:?}");
    assert!(e.to_string().contains("authorization"), "{e}");
    assert!(!text.contains("wrong-secret-42"), "{text}");

    c.auth = Some(NatsAuth::Basic {
        username: "u".into(),
        password: Some(Secret::new("p")),
        password_file: None,
    });
    let client = bounded(c.connect()).await.expect("right password");
    assert!(matches!(
        client.connection_state(),
        async_nats::connection::State::Connected
    ));
    let url = NatsConnect::new(format!("nats://u:p@127.0.0.1:{}", server.port));
    bounded(url.connect())
        .await
        .expect("right password in the URL");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shutdown_stops_the_run_and_still_reports() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = NatsServer::start(tmp.path(), &[]);
    memes(&server).await;
    let mut opts = PublishOptions::new(
        NatsConnect::new(&server.url),
        "MEMES",
        "meme.request",
        1000,
        4,
    );
    opts.rate = Some(100.0);
    let stop = tokio::time::sleep(Duration::from_millis(300));
    let s = run_publish(&opts, |_| {}, stop).await.expect("run");
    assert!(s.interrupted);
    assert!(s.acked > 0 && s.unsent > 0, "{s:?}");
    assert_eq!(s.acked + s.failed + s.unsent, 1000);
    assert_eq!(jsz_stream(&server, "MEMES")["state"]["messages"], s.acked);

    let opts = ConsumeOptions::new(NatsConnect::new(&server.url), "MEMES", "worker", 2);
    let stop = tokio::time::sleep(Duration::from_millis(300));
    let c = run_consume(&opts, |_| {}, stop).await.expect("consume");
    assert_eq!(c.stopped_by, StopReason::Interrupted);
    assert!(c.consumed > 0, "{c:?}");
    let after = c.consumer_after.expect("info");
    assert_eq!(
        after.num_ack_pending, 0,
        "what was pulled was acked or given back"
    );
    assert!(after.ack_floor_stream_seq <= c.consumed, "{after:?}");
}

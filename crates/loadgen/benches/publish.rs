//! Acked publishes a second: `run_publish` against the plainest async-nats
//! loop that does the same (same messages, clients, connections, payload
//! size), on one local `nats-server -js` — the ceiling of this client on
//! this machine. Rounds alternate which goes first; the best round counts.
//!
//! `cargo bench -p understudy-loadgen --bench publish`; without `--bench`
//! (as `cargo test --all-targets` runs it) one small round checks it works.

use std::time::{Duration, Instant};

use async_nats::jetstream;
use bytes::Bytes;
use understudy_loadgen::{NatsConnect, PublishOptions, run_publish};
use understudy_testkit::NatsServer;

const SUBJECT: &str = "meme.request";

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (messages, rounds, layouts): (u64, usize, &[(usize, usize)]) = if full {
        (
            30_000,
            5,
            &[(60, 60), (60, 4), (60, 1), (200, 13), (8, 1), (1, 1)],
        )
    } else {
        (300, 1, &[(10, 10)])
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = NatsServer::start(tmp.path(), &[]);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let js = rt.block_on(async {
        let js = jetstream::new(async_nats::connect(&server.url).await.expect("connect"));
        js.create_stream(jetstream::stream::Config {
            name: "MEMES".into(),
            subjects: vec![SUBJECT.into()],
            ..Default::default()
        })
        .await
        .expect("stream");
        js
    });
    println!(
        "{messages} acked publishes, best of {rounds} alternating rounds; msgs/s (ratio loadgen / bare)"
    );
    println!(
        "{:>7} {:>11} {:>12} {:>12} {:>6}",
        "clients", "connections", "bare loop", "loadgen", "ratio"
    );
    for &(clients, connections) in layouts {
        let (mut bare, mut ours) = (0.0f64, 0.0f64);
        for round in 0..rounds {
            let mut one = |first_bare: bool| {
                rt.block_on(purge(&js));
                if first_bare {
                    bare = bare.max(rt.block_on(bare_loop(
                        &server.url,
                        messages,
                        clients,
                        connections,
                    )));
                } else {
                    ours =
                        ours.max(rt.block_on(loadgen(&server.url, messages, clients, connections)));
                }
            };
            let bare_first = round % 2 == 0;
            one(bare_first);
            one(!bare_first);
        }
        println!(
            "{clients:>7} {connections:>11} {bare:>12.0} {ours:>12.0} {:>5.0}%",
            100.0 * ours / bare
        );
    }
}

async fn purge(js: &jetstream::Context) {
    let s = js.get_stream("MEMES").await.expect("stream");
    s.purge().await.expect("purge");
}

/// What loadgen's default payload weighs.
fn payload() -> Bytes {
    Bytes::from_static(br#"{"seq":12345,"prompt":"understudy loadgen","fast_mode":false}"#)
}

async fn loadgen(url: &str, messages: u64, clients: usize, connections: usize) -> f64 {
    let mut opts = PublishOptions::new(NatsConnect::new(url), "MEMES", SUBJECT, messages, clients);
    opts.connections = Some(connections);
    let s = run_publish(&opts, |_| {}, std::future::pending())
        .await
        .expect("run");
    assert_eq!(s.acked, messages, "{:?}", s.errors);
    s.msgs_per_s
}

/// The plainest way: tasks that publish and await each ack, over the
/// connections round-robin, timed from the first publish to the last ack.
async fn bare_loop(url: &str, messages: u64, clients: usize, connections: usize) -> f64 {
    let mut contexts = Vec::new();
    for _ in 0..connections {
        contexts.push(jetstream::new(
            async_nats::connect(url).await.expect("connect"),
        ));
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..clients {
        let js = contexts[i % connections].clone();
        let n = messages / clients as u64 + u64::from((i as u64) < messages % clients as u64);
        tasks.push(tokio::spawn(async move {
            for _ in 0..n {
                js.publish(SUBJECT, payload())
                    .await
                    .expect("publish")
                    .await
                    .expect("ack");
            }
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    let elapsed = started.elapsed().max(Duration::from_nanos(1));
    messages as f64 / elapsed.as_secs_f64()
}

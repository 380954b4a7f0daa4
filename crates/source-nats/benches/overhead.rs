//! What polling costs the NATS server: its CPU time while the source polls
//! a stream with 100 consumers every second, against the same server left
//! alone for as long. Run: `cargo bench -p understudy-source-nats --bench
//! overhead`. Without `--bench` (under `cargo test --all-targets`) it polls
//! a few times and checks the answers, timing nothing.

use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer};
use understudy_source_nats::{NatsConfig, NatsSource, connect};
use understudy_testkit::NatsServer;

const CONSUMERS: usize = 100;

/// User + system CPU seconds of process `pid` so far (Linux /proc).
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc/PID/stat");
    // Fields after the command name (which may contain spaces).
    let rest = &stat[stat.rfind(')').expect("stat") + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f[11].parse::<f64>().expect("utime") + f[12].parse::<f64>().expect("stime");
    ticks / clock_ticks()
}

fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

#[tokio::main]
async fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let dir = tempfile::tempdir().expect("tempdir");
    let server = NatsServer::start(dir.path(), &[]);
    let (js, _) = understudy_testkit::memes(&server.url).await;
    let s = js.get_stream("MEMES").await.expect("stream");
    // meme-generator and 99 more.
    for i in 1..CONSUMERS {
        s.create_consumer(consumer::pull::Config {
            durable_name: Some(format!("worker-{i:03}")),
            ack_policy: consumer::AckPolicy::Explicit,
            ..Default::default()
        })
        .await
        .expect("consumer");
    }
    for i in 0..1000 {
        js.publish("meme.request", format!("{i}").into())
            .await
            .expect("publish")
            .await
            .expect("ack");
    }
    let config: NatsConfig = serde_json::from_value(serde_json::json!({
        "servers": [server.url], "interval": "1s"
    }))
    .expect("config");
    let mut src = NatsSource::new(0, config.clone());
    let client = connect(&config).await.expect("connect");
    let name = client.server_info().server_name.clone();
    let ctx = jetstream::new(client);

    let poll_once = async |src: &mut NatsSource| {
        let started = Instant::now();
        let batch = src.poll(&ctx, &name).await.expect("poll");
        assert_eq!(
            batch.len(),
            5 + 8 * CONSUMERS,
            "every series of every consumer"
        );
        started.elapsed()
    };
    if !bench {
        for _ in 0..3 {
            poll_once(&mut src).await;
        }
        return;
    }
    let pid = server.pid().expect("running");
    let seconds = 30;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle0 = cpu_seconds(pid);
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let idle = cpu_seconds(pid) - idle0;

    let busy0 = cpu_seconds(pid);
    let mut latencies = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    for _ in 0..seconds {
        tick.tick().await;
        latencies.push(poll_once(&mut src).await);
    }
    tick.tick().await;
    let busy = cpu_seconds(pid) - busy0;
    latencies.sort();
    let pct = |cpu: f64| 100.0 * cpu / seconds as f64;
    println!(
        "NATS server CPU, {CONSUMERS} consumers, polled every 1 s for {seconds} s (nats-server 2.9, this machine):"
    );
    println!(
        "  idle                      {:>6.2} % of one core",
        pct(idle)
    );
    println!(
        "  while polled              {:>6.2} % of one core",
        pct(busy)
    );
    println!(
        "  polling adds              {:>6.2} % of one core (goal < 1 %)",
        pct(busy - idle)
    );
    println!(
        "  one poll (stream + {CONSUMERS} consumers): median {:.1} ms, max {:.1} ms",
        latencies[latencies.len() / 2].as_secs_f64() * 1e3,
        latencies[latencies.len() - 1].as_secs_f64() * 1e3
    );
}

//! `understudy loadgen` fills a real `nats-server -js` while `understudy
//! record` holds the queue's timeline; a server restart becomes a gap.

mod common;

use std::time::Duration;

use common::{Recorder, the_closed_gap, understudy, write};
use understudy_core::TimeRange;
use understudy_store::Recording;
use understudy_testkit::NatsServer;

#[tokio::test(flavor = "multi_thread")]
async fn loadgen_fills_the_queue_record_holds_pending_rising_and_a_restart_is_a_gap() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = NatsServer::start(dir.path(), &[]);
    let _queue = understudy_testkit::memes(&server.url).await;

    let config = write(
        &dir.path().join("understudy.toml"),
        &format!(
            "[recorder]\nflush_interval = \"200ms\"\n\n[[source.nats]]\nservers = [\"{}\"]\ninterval = \"500ms\"\ntimeout = \"1s\"\nstreams = [\"MEMES\"]\n",
            server.url
        ),
    );
    let out = dir.path().join("rec");
    let mut recorder = Recorder::start(&config, &out);
    recorder.wait_for("connected to", Duration::from_secs(20));

    // 3000 messages from 30 clients at 1000/s: three seconds of rising lag.
    let load = understudy()
        .args(["loadgen", "--server", &server.url, "--stream", "MEMES"])
        .args([
            "--subject",
            "meme.request",
            "--messages",
            "3000",
            "--clients",
            "30",
        ])
        .args(["--rate", "1000", "--json"])
        .output()
        .expect("loadgen");
    assert!(
        load.status.success(),
        "{}",
        String::from_utf8_lossy(&load.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&load.stdout).expect("json");
    assert_eq!(summary["acked"], 3000, "{summary}");
    tokio::time::sleep(Duration::from_secs(2)).await;

    server.kill();
    recorder.wait_for("is down", Duration::from_secs(20));
    server.restart();
    tokio::time::sleep(Duration::from_secs(4)).await;
    let log = recorder.interrupt();

    let rec = Recording::open(&out).expect("recording");
    let gap = the_closed_gap(&rec, "nats[0]", &log);

    // Sorted by time: the restarted server has a new name, so after the
    // restart the values are another series (as with the exporter).
    let mut pending: Vec<(i64, f64)> = rec
        .samples(TimeRange::ALL, |s| {
            s.metric() == "jetstream_consumer_num_pending"
                && s.labels().get("stream_name") == Some("MEMES")
                && s.labels().get("consumer_name") == Some("meme-generator")
        })
        .expect("samples")
        .iter()
        .flat_map(|s| s.timestamps.iter().copied().zip(s.values.iter().copied()))
        .collect();
    pending.sort_by_key(|p| p.0);
    let values: Vec<f64> = pending.iter().map(|p| p.1).collect();
    assert!(
        values.windows(2).all(|w| w[1] >= w[0]),
        "pending only rises: {values:?}"
    );
    let rising: Vec<f64> = values
        .iter()
        .copied()
        .filter(|v| *v > 0.0 && *v < 3000.0)
        .collect();
    assert!(
        rising.len() >= 3,
        "seen on its way up, poll by poll: {values:?}"
    );
    assert_eq!(
        values.last(),
        Some(&3000.0),
        "and after the restart: {values:?}"
    );
    assert!(gap.start_ms < pending.last().map_or(0, |p| p.0));
}

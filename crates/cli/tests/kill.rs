//! `kill -9` at random moments, again and again, into one recording: every
//! restart recovers the journal, and each kill loses at most what came after
//! the last flush.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::*;

const FLUSH_MS: i64 = 100;
/// Scheduling and fsync latency on a busy two-core machine.
const SLACK_MS: i64 = 300;

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_millis() as i64
}

#[test]
fn a_recorder_killed_at_random_moments_loses_at_most_its_last_flush() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // Short segments, so that some kills land while a segment is being sealed.
    let config = write(
        &tmp.path().join("c.toml"),
        &format!("[recorder]\nflush_interval = \"{FLUSH_MS}ms\"\nsegment = \"700ms\"\n"),
    );
    let out = tmp.path().join("r");
    let seed = now_ms() as u64 | 1;
    let mut rng = seed;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let rounds = 8;
    let mut kills = Vec::new();
    for _ in 0..rounds {
        let mut rec = Recorder::start(&config, &out);
        rec.wait_for("recording into", Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(150 + next() % 1_350));
        let at = now_ms();
        rec.signal("KILL");
        let (status, _) = rec.wait();
        assert!(!status.success());
        kills.push(at);
    }

    // Before repair, inspect reads what is sealed and says what to do.
    let o = run(&["inspect", out.to_str().expect("utf-8")]);
    assert!(o.status.success(), "seed {seed}: {}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains(&format!("sessions   {rounds} ({rounds} interrupted)")),
        "{text}"
    );
    assert!(
        text.contains("the recorder was killed; run `understudy inspect --repair"),
        "{text}"
    );

    let o = run(&[
        "inspect",
        "--repair",
        "--verify",
        "--json",
        out.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "seed {seed}: {}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(r["sessions"], rounds, "seed {seed}");
    assert_eq!(r["interrupted_sessions"], rounds);
    assert_eq!(r["journal"], serde_json::Value::Null);
    let gaps = r["gaps"].as_array().expect("gaps");
    assert_eq!(
        gaps.len(),
        rounds - 1,
        "one recorder gap between sessions: {gaps:?}"
    );
    assert!(gaps.iter().all(|g| {
        g["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("killed or crashed")
    }));

    // The health series has one sample per flush: the newest one before each
    // kill must have survived it.
    let o = export(
        &out,
        &[
            "--format",
            "csv",
            "--match",
            "understudy_samples_written_total",
        ],
    );
    let times = csv_times(&stdout(&o));
    let mut worst = 0;
    for &k in &kills {
        let kept = times
            .iter()
            .copied()
            .filter(|&t| t <= k)
            .max()
            .expect("data before the kill");
        worst = worst.max(k - kept);
        assert!(
            k - kept <= FLUSH_MS + SLACK_MS,
            "seed {seed}: the kill at {k} lost {} ms (flush every {FLUSH_MS} ms)",
            k - kept
        );
    }
    println!("{rounds} kills, seed {seed}: at most {worst} ms lost (flush interval {FLUSH_MS} ms)");
}

/// Issue 16: a recording whose recorder was killed before it sealed
/// anything read as "0 series, 0 samples". Readers now refuse it and say
/// how to repair; after the repair they read all of it.
#[test]
fn issue_16_readers_of_an_unsealed_recording_say_how_to_repair_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = write(
        &tmp.path().join("c.toml"),
        &format!("[recorder]\nflush_interval = \"{FLUSH_MS}ms\"\n"),
    );
    let out = tmp.path().join("r");
    let mut rec = Recorder::start(&config, &out);
    rec.wait_for("recording into", Duration::from_secs(30));
    // Health samples flushed to the journal: more than a header and a flush.
    let journal = out.join(understudy_store::JOURNAL_FILE);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while std::fs::metadata(&journal).map_or(0, |m| m.len()) < 200 {
        assert!(std::time::Instant::now() < deadline, "nothing flushed");
        std::thread::sleep(Duration::from_millis(20));
    }
    rec.signal("KILL");
    let (status, _) = rec.wait();
    assert!(!status.success());

    let dir = out.to_str().expect("utf-8");
    let plugin = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../plugins/dist/flapping.wasm")
        .display()
        .to_string();
    let hint = format!("run `understudy inspect --repair {dir}`");
    for args in [
        &["replay", dir, "--listen", "127.0.0.1:0"][..],
        &["analyze", dir, "--no-bundled-plugins"],
        &["export", dir, "--format", "csv"],
        &["kpi", "run", dir, "--plugin", &plugin],
        &["plugin", "test", &plugin, "--recording", dir],
    ] {
        let o = run(args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains(&format!(
                "{dir} was not closed (its recorder was killed or crashed)"
            )),
            "{args:?}: {err}"
        );
        assert!(err.contains(&hint), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: said once: {err}");
    }

    let o = run(&["inspect", "--repair", dir]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = export(&out, &["--format", "csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).lines().count() > 1,
        "the journal's samples are read"
    );
}

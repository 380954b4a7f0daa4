//! `understudy record` as a user runs it: a real process, real signals,
//! its health endpoints over HTTP, and `inspect` reading the result.

mod common;

use std::time::Duration;

use common::*;

#[test]
fn an_empty_config_records_the_recorders_own_health() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = write(&tmp.path().join("empty.toml"), "");
    let out = tmp.path().join("r");
    let o = record(&config, &out, &["--duration", "3s"]);
    assert!(o.status.success(), "record failed: {}", stderr(&o));
    let r = inspect_json(&out);
    assert_eq!(r["sessions"], 1);
    assert_eq!(r["interrupted_sessions"], 0);
    assert_eq!(r["gaps"], serde_json::json!([]));
    assert_eq!(
        r["journal"],
        serde_json::Value::Null,
        "a closed recording has no journal"
    );
    assert_eq!(r["series"], 8);
    let duration = r["duration_ms"].as_i64().expect("duration");
    assert!(
        (2_900..6_000).contains(&duration),
        "about 3 s recorded: {duration} ms"
    );
    let metrics = r["metrics"].as_array().expect("metrics");
    let written = metrics
        .iter()
        .find(|m| m["metric"] == "understudy_samples_written_total")
        .expect("the health series are recorded");
    // One sample per flush (1 s) over 3 s, and one at the close.
    let n = written["samples"].as_u64().expect("count");
    assert!((3..=5).contains(&n), "{n} samples");

    // The text report says the same in words.
    let o = run(&["inspect", out.to_str().expect("utf-8")]);
    let text = stdout(&o);
    assert!(
        text.contains("samples    ") && text.contains("in 8 series"),
        "{text}"
    );
    assert!(text.contains("understudy_samples_written_total"), "{text}");
}

#[test]
fn health_is_served_while_recording_and_sigterm_closes_cleanly() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = write(
        &tmp.path().join("c.toml"),
        "[recorder]\nflush_interval = \"200ms\"\n",
    );
    let out = tmp.path().join("r");
    let mut rec = Recorder::start(&config, &out);
    let addr = rec.health_addr();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let (code, body) = loop {
        let (code, body) = http_get(&addr, "/healthz");
        if code == 200 || std::time::Instant::now() > deadline {
            break (code, body);
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!((code, body.as_str()), (200, "ok\n"));
    let (code, metrics) = http_get(&addr, "/metrics");
    assert_eq!(code, 200);
    assert!(
        metrics.contains("# TYPE understudy_samples_written_total counter"),
        "{metrics}"
    );
    let last_flush = metrics
        .lines()
        .find_map(|l| l.strip_prefix("understudy_last_flush_timestamp_seconds "))
        .and_then(|v| v.parse::<f64>().ok())
        .expect("last flush gauge");
    assert!(last_flush > 1.7e9, "a Unix time in seconds: {last_flush}");

    rec.signal("TERM");
    let (status, log) = rec.wait();
    assert!(status.success(), "{log}");
    assert!(log.contains("terminated: closing the recording"), "{log}");
    let r = inspect_json(&out);
    assert_eq!(r["interrupted_sessions"], 0);
    assert_eq!(r["journal"], serde_json::Value::Null);
}

#[test]
fn a_second_recorder_on_the_same_directory_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = write(&tmp.path().join("c.toml"), "");
    let out = tmp.path().join("r");
    let mut first = Recorder::start(&config, &out);
    first.health_addr();
    let o = record(&config, &out, &["--duration", "1s"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("is in use by another understudy process"),
        "{}",
        stderr(&o)
    );
    // While it runs, inspect reads the sealed part and says a recorder is at work.
    let o = run(&["inspect", out.to_str().expect("utf-8")]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("(a recorder is running)"),
        "{}",
        stdout(&o)
    );
    first.signal("INT");
    let (status, log) = first.wait();
    assert!(status.success(), "{log}");
}

/// A disk that fills up mid-run: a tmpfs of 4 MiB in a private mount
/// namespace (so nothing outlives the test), filled to the brim for two
/// seconds, then freed.
#[test]
fn a_full_disk_is_reported_retried_and_loses_nothing() {
    require("unshare");
    let tmp = tempfile::tempdir().expect("tempdir");
    let t = tmp.path().display().to_string();
    write(
        &tmp.path().join("c.toml"),
        "[recorder]\nflush_interval = \"50ms\"\nsegment = \"300ms\"\n",
    );
    let script = format!(
        r#"set -u
        U={bin}; D={t}/disk
        mkdir -p $D && mount -t tmpfs -o size=4m tmpfs $D
        NO_COLOR=1 $U record --config {t}/c.toml --out $D/r --listen 127.0.0.1:0 --duration 5s 2>{t}/record.log &
        pid=$!
        sleep 1.5
        dd if=/dev/zero of=$D/filler bs=4k 2>/dev/null
        df -k $D > {t}/df.txt
        sleep 2
        rm -f $D/filler
        wait $pid; echo $? > {t}/record.exit
        $U inspect --verify --json $D/r > {t}/inspect.json 2>{t}/inspect.log
        $U export $D/r --format csv --match understudy_samples_written_total > {t}/written.csv 2>/dev/null
        $U export $D/r --format csv --match understudy_write_errors_total > {t}/errors.csv 2>/dev/null
        "#,
        bin = env!("CARGO_BIN_EXE_understudy"),
    );
    let o = std::process::Command::new("unshare")
        .args(["-m", "bash", "-c", &script])
        .output()
        .expect("unshare");
    assert!(o.status.success(), "{}", stderr(&o));
    let read = |name: &str| std::fs::read_to_string(tmp.path().join(name)).unwrap_or_default();
    let log = read("record.log");
    assert!(
        read("df.txt").contains(" 100% "),
        "the disk was full: {}",
        read("df.txt")
    );
    assert!(log.contains("No space left on device"), "{log}");
    assert!(
        log.contains(&format!("{t}/disk/r/")),
        "errors name the file: {log}"
    );
    assert!(!log.contains("panicked"), "{log}");
    assert_eq!(
        read("record.exit").trim(),
        "0",
        "the recorder kept going and closed cleanly: {log}"
    );

    let r: serde_json::Value = serde_json::from_str(&read("inspect.json")).expect("inspect JSON");
    assert_eq!(r["interrupted_sessions"], 0, "{r}");
    assert_eq!(r["journal"], serde_json::Value::Null);
    // Nothing recorded while the disk was full is missing: the health series
    // has a sample at every 50 ms flush, before, during and after.
    let times = csv_times(&read("written.csv"));
    assert!(times.len() > 60, "{} samples", times.len());
    let widest = times
        .windows(2)
        .map(|w| w[1] - w[0])
        .max()
        .expect("samples");
    assert!(widest < 1_000, "a hole of {widest} ms in the health series");
    let errors: f64 = read("errors.csv")
        .lines()
        .skip(1)
        .filter_map(|l| l.rsplit(',').next()?.parse().ok())
        .fold(0.0, f64::max);
    assert!(errors > 0.0, "the failed writes were counted");
}

/// `record` with its health port taken, into `out`.
fn record_on_taken_port(config: &std::path::Path, out: &std::path::Path) -> std::process::Output {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("address").to_string();
    understudy()
        .args(["record", "--config"])
        .arg(config)
        .arg("--out")
        .arg(out)
        .args(["--listen", &addr, "--duration", "1s"])
        .output()
        .expect("run understudy record")
}

/// Every file under `dir`, relative, with its bytes.
fn files(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                let rel = e.path().strip_prefix(dir).expect("inside").to_owned();
                out.push((rel, std::fs::read(e.path()).expect("read")));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn issue_16_a_recorder_that_cannot_start_leaves_nothing_behind() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = write(&tmp.path().join("empty.toml"), "");

    // A new directory is not created.
    let out = tmp.path().join("other");
    let o = record_on_taken_port(&config, &out);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("failed to listen on 127.0.0.1:"), "{err}");
    assert_eq!(err.matches("error:").count(), 1, "said once: {err}");
    assert!(!out.exists(), "no directory left behind");

    // An existing recording is left exactly as it was, and the next run
    // records no phantom "killed or crashed" gap.
    let out = health_recording(tmp.path(), "1s");
    let before = files(&out);
    let o = record_on_taken_port(&config, &out);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(files(&out), before, "the recording is untouched");
    let o = record(&config, &out, &["--duration", "1s"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r = inspect_json(&out);
    assert_eq!(
        (&r["sessions"], &r["interrupted_sessions"]),
        (&2.into(), &0.into())
    );
    let gaps = r["gaps"].as_array().expect("gaps");
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert_eq!(gaps[0]["reason"], "recorder was not running");
}

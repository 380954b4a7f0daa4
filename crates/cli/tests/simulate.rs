//! `understudy simulate` as a user runs it, then `inspect` on the result.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

#[test]
fn simulate_writes_a_recording_that_inspect_lists() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("c");
    let o = simulate("conflict", &out, 7, "3m");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("simulated 3m of conflict (seed 7)"),
        "{}",
        stderr(&o)
    );
    let r = inspect_json(&out);
    assert_eq!(r["name"], "conflict");
    assert_eq!(r["labels"]["simulated"], "true");
    assert_eq!(r["duration_ms"], 180_000);
    let metrics: Vec<&str> = r["metrics"]
        .as_array()
        .expect("metrics")
        .iter()
        .filter_map(|m| m["metric"].as_str())
        .collect();
    for m in [
        "jetstream_consumer_num_pending",
        "container_cpu_cfs_throttled_periods_total",
        "kube_deployment_spec_replicas",
    ] {
        assert!(metrics.contains(&m), "{m} in {metrics:?}");
    }
    let kinds: Vec<&str> = r["object_kinds"]
        .as_array()
        .expect("kinds")
        .iter()
        .filter_map(|k| k["kind"].as_str())
        .collect();
    for k in ["HorizontalPodAutoscaler", "ScaledObject", "Pod", "Event"] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }

    // A second run into the same directory is refused, not mixed in.
    let o = run(&[
        "simulate",
        "--scenario",
        "conflict",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("is not empty"), "{}", stderr(&o));
}

#[test]
fn a_missing_scenario_is_named() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("x");
    let o = run(&[
        "simulate",
        "--scenario",
        "nosuch.yaml",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert!(!o.status.success());
    assert_eq!(
        stderr(&o),
        "error: unknown scenario `nosuch.yaml`: not a bundled scenario (conflict, harmony) and no file of that name\n"
    );
    assert!(
        !out.exists(),
        "a failed start leaves no directory (issue 16)"
    );
}

/// Starts `simulate --speed realtime` into `out` and returns once its
/// journal holds simulated data, so a signal has something to seal.
fn realtime(out: &Path) -> Child {
    let child = understudy()
        .args(["simulate", "--scenario", "conflict", "--seed", "7"])
        .arg("--out")
        .arg(out)
        .args(["--speed", "realtime"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start simulate");
    let journal = out.join(understudy_store::JOURNAL_FILE);
    let size = || std::fs::metadata(&journal).map_or(0, |m| m.len());
    let grows_past = |n: u64| {
        let deadline = Instant::now() + Duration::from_secs(60);
        while size() <= n {
            assert!(
                Instant::now() < deadline,
                "no data in {}",
                journal.display()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        size()
    };
    // A new journal is a 24-byte header and a 17-byte flush record. The
    // simulator writes to it at every simulated second, before simulating
    // that second: once it has grown three times (even if the first write
    // was seen half done), the first second was simulated.
    let mut seen = 41;
    for _ in 0..3 {
        seen = grows_past(seen);
    }
    child
}

#[test]
fn issue_16_a_signal_ends_a_realtime_simulation_with_a_sealed_recording() {
    for signal in ["TERM", "INT"] {
        let tmp = tempfile::tempdir().expect("tempdir");
        let out = tmp.path().join("live");
        let child = realtime(&out);
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success());
        let o = child.wait_with_output().expect("wait");
        let log = stderr(&o);
        assert!(o.status.success(), "SIG{signal}: {:?}\n{log}", o.status);
        let why = if signal == "TERM" {
            "terminated"
        } else {
            "interrupted"
        };
        assert!(
            log.contains(&format!("{why}: closed the recording {}", out.display())),
            "{log}"
        );
        let r = inspect_json(&out);
        assert_eq!(r["journal"], serde_json::Value::Null, "sealed: {r}");
        assert_eq!(r["interrupted_sessions"], 0, "closed cleanly: {r}");
        assert!(r["samples"].as_u64().is_some_and(|n| n > 0), "{r}");
        // What it says it wrote is what a reader finds.
        let samples = with_commas(r["samples"].as_u64().unwrap_or_default());
        assert!(log.contains(&format!(": {samples} samples,")), "{log}");
        let csv = export(&out, &["--format", "csv"]);
        assert!(csv.status.success(), "{}", stderr(&csv));
        assert!(stdout(&csv).lines().count() > 1);
    }
}

/// `1,234`, as the CLI writes counts.
fn with_commas(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

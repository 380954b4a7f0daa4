//! `understudy simulate` as a user runs it, then `inspect` on the result.

mod common;

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
    let o = run(&[
        "simulate",
        "--scenario",
        "nosuch.yaml",
        "--out",
        tmp.path().join("x").to_str().expect("utf-8"),
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("failed to read scenario nosuch.yaml"),
        "{}",
        stderr(&o)
    );
}

//! KPI plugins through the CLI: over recordings (`kpi run`), live in the
//! recorder (`[[plugin]]`), and a new plugin from `plugin new` passing
//! `plugin test`. The plugins come from plugins/build.sh.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn plugin(name: &str) -> PathBuf {
    let p = root().join("plugins/dist").join(format!("{name}.wasm"));
    assert!(
        p.is_file(),
        "{} is missing: run plugins/build.sh",
        p.display()
    );
    p
}

/// `understudy kpi run REC --plugin plugins/dist/NAME.wasm FLAG`
fn kpi_run(rec: &Path, name: &str, flag: &str) -> std::process::Output {
    run(&[
        "kpi",
        "run",
        rec.to_str().expect("utf-8"),
        "--plugin",
        plugin(name).to_str().expect("utf-8"),
        flag,
    ])
}

fn reversals(recording: &str) -> f64 {
    let o = kpi_run(
        &root().join("recordings").join(recording),
        "flapping",
        "--json",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    v["outputs"]
        .as_array()
        .expect("outputs")
        .iter()
        .filter(|s| s["metric"] == "understudy_scale_direction_reversals")
        .filter_map(|s| s["max"].as_f64())
        .fold(0.0, f64::max)
}

#[test]
fn flapping_is_higher_in_conflict_than_in_harmony() {
    let (conflict, harmony) = (reversals("conflict"), reversals("harmony"));
    assert!(
        conflict > harmony && conflict >= 3.0,
        "conflict {conflict}, harmony {harmony}"
    );
}

#[test]
fn kpi_run_write_adds_the_outputs_to_the_recording() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let rec = tmp.path().join("r");
    let o = simulate("conflict", &rec, 3, "4m");
    assert!(o.status.success(), "{}", stderr(&o));
    let o = kpi_run(&rec, "throttle-ratio", "--write");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("understudy_cpu_throttle_ratio"),
        "{}",
        stdout(&o)
    );
    let r = inspect_json(&rec);
    let metrics: Vec<&str> = r["metrics"]
        .as_array()
        .expect("metrics")
        .iter()
        .filter_map(|m| m["metric"].as_str())
        .collect();
    assert!(
        metrics.contains(&"understudy_cpu_throttle_ratio"),
        "{metrics:?}"
    );
    assert_eq!(r["sessions"], 1, "no recorder session added");
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

/// Samples of `metric` in the recording, as `inspect` counts them.
fn samples_of(rec: &Path, metric: &str) -> u64 {
    inspect_json(rec)["metrics"]
        .as_array()
        .expect("metrics")
        .iter()
        .filter(|m| m["metric"] == metric)
        .filter_map(|m| m["samples"].as_u64())
        .sum()
}

#[test]
fn issue_16_kpi_run_write_twice_is_refused_and_replace_replaces() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let rec = tmp.path().join("r");
    let o = simulate("conflict", &rec, 3, "4m");
    assert!(o.status.success(), "{}", stderr(&o));
    let metric = "understudy_cpu_throttle_ratio";
    let o = kpi_run(&rec, "throttle-ratio", "--write");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(&format!("outputs added to {} as segment", rec.display())),
        "{}",
        stdout(&o)
    );
    let once = samples_of(&rec, metric);
    assert!(once > 0);

    let o = kpi_run(&rec, "throttle-ratio", "--write");
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "{} already holds the series {metric}{{",
            rec.display()
        )),
        "names the series: {err}"
    );
    assert!(err.contains("would count them twice"), "{err}");
    assert!(
        err.contains("add --replace to replace the earlier outputs"),
        "{err}"
    );
    assert_eq!(samples_of(&rec, metric), once, "nothing written");

    let o = run(&[
        "kpi",
        "run",
        rec.to_str().expect("utf-8"),
        "--plugin",
        plugin("throttle-ratio").to_str().expect("utf-8"),
        "--write",
        "--replace",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(&format!(
            "outputs replaced in {}: removed {} samples of the earlier run",
            rec.display(),
            with_commas(once)
        )),
        "{}",
        stdout(&o)
    );
    assert_eq!(samples_of(&rec, metric), once, "as many as one write");
    let r = inspect_json(&rec);
    assert_eq!(r["sessions"], 1);
    let o = run(&["inspect", "--verify", rec.to_str().expect("utf-8")]);
    assert!(o.status.success(), "{}", stderr(&o));

    // --replace means nothing without --write.
    let o = kpi_run(&rec, "throttle-ratio", "--replace");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn productivity_runs_live_and_is_served_on_metrics() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = write(
        &tmp.path().join("c.toml"),
        &format!(
            "[[source.recording]]\npath = \"{}\"\nspeed = 20\n\n[[plugin]]\npath = \"{}\"\ninterval = \"2s\"\n",
            root().join("recordings/conflict").display(),
            plugin("productivity").display()
        ),
    );
    let out = tmp.path().join("r");
    let mut rec = Recorder::start(&config, &out);
    let addr = rec.health_addr();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    // Messages per CPU-second of some pod, once the replayed load arrives.
    let productive = |m: &str| {
        m.lines()
            .filter(|l| l.starts_with("memegenerator_pod_productivity{"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .fold(0.0, f64::max)
    };
    let metrics = loop {
        let (_, m) = http_get(&addr, "/metrics");
        if productive(&m) > 0.0 || std::time::Instant::now() > deadline {
            break m;
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    rec.signal("TERM");
    let (status, log) = rec.wait();
    assert!(status.success(), "{log}");
    assert!(productive(&metrics) > 1.0, "{metrics}");
    assert!(metrics.contains("# TYPE understudy_plugin_faults_total counter"));
}

#[test]
fn a_new_plugin_builds_for_wasm_and_passes_plugin_test() {
    require("cargo");
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("queue-per-replica");
    let o = run(&[
        "plugin",
        "new",
        "queue-per-replica",
        "--dir",
        dir.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Share a target dir across runs: the template's dependencies build once.
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
        .join("plugin-template");
    let build = std::process::Command::new("cargo")
        .args(["build", "--release", "--target", "wasm32-wasip2"])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .expect("cargo");
    assert!(
        build.status.success(),
        "{}",
        String::from_utf8_lossy(&build.stderr)
    );
    let wasm = target.join("wasm32-wasip2/release/queue_per_replica.wasm");
    let plugin_test = |recording: &str, flags: &[&str]| {
        let rec = root().join("recordings").join(recording);
        let mut args = vec![
            "plugin",
            "test",
            wasm.to_str().expect("utf-8"),
            "--recording",
            rec.to_str().expect("utf-8"),
        ];
        args.extend_from_slice(flags);
        run(&args)
    };
    let o = plugin_test("conflict", &["--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["faults"], serde_json::json!([]));
    let outputs = v["outputs"].as_array().expect("outputs");
    assert!(
        outputs
            .iter()
            .any(|s| s["metric"] == "queue_per_replica_pending_per_replica"),
        "{v}"
    );
    // The golden comparison passes on its own output and fails on another.
    let golden = tmp.path().join("golden.json");
    std::fs::write(&golden, serde_json::to_string(&v).expect("json")).expect("write");
    let golden = golden.to_str().expect("utf-8");
    let o = plugin_test("conflict", &["--expect", golden]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = plugin_test("harmony", &["--expect", golden]);
    assert!(!o.status.success(), "another recording, other outputs");
}

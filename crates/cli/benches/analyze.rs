//! `understudy analyze --vs` of two 1-hour recordings with 10,000 series
//! each: 2,450 pods' cAdvisor series (CPU usage, CFS periods and throttled
//! periods, memory; 15 s scrapes), 200 more gauges, the queue, a Deployment
//! that rescales, its pods and SuccessfulRescale Events; 5-minute segments
//! as the recorder writes them. The two runs differ in load and scaling.
//!
//! Reports the wall time of the real binary (median of 5), with the bundled
//! KPI plugins (when plugins/dist holds them) and without.
//!
//! Run: `cargo bench -p understudy-cli --bench analyze`. Under
//! `cargo test --all-targets` (no `--bench`) it writes two 5-minute
//! recordings of 1,000 series and checks the comparison succeeds.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use serde_json::json;
use understudy_core::{Labels, ObjectRevision, SampleBatch, Series, TimelineBatch, WatchEvent};
use understudy_store::{RecordingMeta, RecordingWriter, WriterOptions};

const NS: &str = "meme-generator";
const SCRAPE_MS: i64 = 15_000;
const SEGMENT_MS: i64 = 300_000;
/// 2025-10-27T17:00:00Z.
const T0: i64 = 1_761_584_400_000;

fn series(metric: &str, labels: &[(&str, &str)]) -> Arc<Series> {
    Arc::new(
        Series::new(
            metric,
            Labels::from_pairs(labels.iter().copied()).expect("labels"),
        )
        .expect("series"),
    )
}

fn rfc3339(ms: i64) -> String {
    understudy_testkit::kube::rfc3339(
        std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms as u64),
    )
}

fn object(
    t: i64,
    kind: &str,
    api: &str,
    name: &str,
    event: WatchEvent,
    o: serde_json::Value,
) -> ObjectRevision {
    ObjectRevision {
        observed_ms: t,
        server_time_ms: None,
        kind: kind.into(),
        api_version: api.into(),
        namespace: Some(NS.into()),
        name: Some(name.into()),
        uid: None,
        resource_version: None,
        event,
        object: Some(o.to_string()),
    }
}

/// One run: `load` messages arriving at 1 min, drained at `rate` per
/// second per replica; replicas following the backlog every `sync_s`.
fn write_run(
    dir: &Path,
    name: &str,
    minutes: i64,
    pods: usize,
    gauges: usize,
    load: f64,
    sync_s: i64,
) {
    let meta = RecordingMeta {
        id: None,
        name: name.into(),
        labels: Default::default(),
        sources: Vec::new(),
    };
    let opts = WriterOptions {
        segment_ms: i64::MAX,
        max_segment_samples: usize::MAX,
    };
    let (mut w, _) = RecordingWriter::open(dir, meta, opts, T0).expect("writer");
    let pod_names: Vec<String> = (0..pods)
        .map(|i| format!("meme-backend-6d9f7c8b5-{i:05x}"))
        .collect();
    let mut cpu = Vec::new();
    for p in &pod_names {
        let l = [
            ("namespace", NS),
            ("pod", p.as_str()),
            ("container", "backend"),
        ];
        cpu.push([
            series("container_cpu_usage_seconds_total", &l),
            series("container_cpu_cfs_periods_total", &l),
            series("container_cpu_cfs_throttled_periods_total", &l),
            series("container_memory_working_set_bytes", &l),
        ]);
    }
    let extra: Vec<Arc<Series>> = (0..gauges)
        .map(|i| {
            series(
                "node_filesystem_avail_bytes",
                &[("device", &format!("sd{i}")), ("instance", "node-0")],
            )
        })
        .collect();
    let q = [
        ("stream_name", "MEMES"),
        ("consumer_name", "meme-generator"),
    ];
    let pending_s = series("jetstream_consumer_num_pending", &q);
    let ack_s = series("jetstream_consumer_num_ack_pending", &q);
    let delivered_s = series("jetstream_consumer_delivered_stream_seq", &q);
    let last_seq_s = series("jetstream_stream_last_seq", &[("stream_name", "MEMES")]);
    let replicas_s = series(
        "kube_deployment_spec_replicas",
        &[("namespace", NS), ("deployment", "meme-backend")],
    );

    let (mut pending, mut delivered, mut published) = (0.0f64, 0.0f64, 0.0f64);
    let mut replicas = 1.0f64;
    let mut counters = vec![[0.0f64; 3]; pods];
    let mut events = 0;
    let end = T0 + minutes * 60_000;
    let mut t = T0;
    let mut sealed_at = T0;
    while t <= end {
        let mut batch = SampleBatch::with_capacity(pods * 4 + gauges + 8);
        let mut objects = Vec::new();
        if (T0 + 60_000..T0 + 120_000).contains(&t) {
            let arriving = load / 4.0;
            published += arriving;
            pending += arriving;
        }
        let drained = pending.min(replicas * 20.0 * SCRAPE_MS as f64 / 1e3);
        pending -= drained;
        delivered += drained;
        if (t - T0) % (sync_s * 1000) == 0 {
            let want = (pending / 300.0).ceil().clamp(1.0, 10.0);
            if want != replicas {
                replicas = want;
                events += 1;
                objects.push(object(t, "Deployment", "apps/v1", "meme-backend", WatchEvent::Modified,
                    json!({"metadata": {"name": "meme-backend", "namespace": NS}, "spec": {"replicas": replicas}})));
                objects.push(object(t, "Event", "v1", &format!("meme-backend.{events:x}"), WatchEvent::Added,
                    json!({"metadata": {"name": format!("meme-backend.{events:x}"), "namespace": NS},
                           "reason": "SuccessfulRescale", "count": 1, "lastTimestamp": rfc3339(t),
                           "message": format!("New size: {replicas}; reason: external metric above target"),
                           "involvedObject": {"kind": "HorizontalPodAutoscaler", "name": "meme-backend", "namespace": NS}})));
            }
        }
        for (i, c) in counters.iter_mut().enumerate() {
            let busy = if (i as f64) < replicas * 245.0 && pending > 0.0 {
                0.05
            } else {
                0.001
            };
            c[0] += busy * SCRAPE_MS as f64 / 1e3;
            c[1] += 150.0;
            c[2] += if busy > 0.01 { 30.0 } else { 0.0 };
            batch.push(&cpu[i][0], t, c[0]);
            batch.push(&cpu[i][1], t, c[1]);
            batch.push(&cpu[i][2], t, c[2]);
            batch.push(&cpu[i][3], t, 2.0e8 + (i as f64) * 1e3);
        }
        for (i, s) in extra.iter().enumerate() {
            batch.push(s, t, 1e11 - (i as f64) * 1e6);
        }
        batch.push(&pending_s, t, pending);
        batch.push(&ack_s, t, 0.0);
        batch.push(&delivered_s, t, delivered);
        batch.push(&last_seq_s, t, published);
        batch.push(&replicas_s, t, replicas);
        w.append(&TimelineBatch {
            samples: batch,
            objects,
            gaps: Vec::new(),
        })
        .expect("append");
        if t - sealed_at >= SEGMENT_MS {
            w.seal(t).expect("seal");
            sealed_at = t;
        }
        t += SCRAPE_MS;
    }
    w.close(end).expect("close");
}

fn analyze(a: &Path, b: &Path, plugins: Option<&Path>) -> f64 {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_understudy"));
    cmd.arg("analyze").arg(a).arg("--vs").arg(b).arg("--json");
    match plugins {
        Some(d) => cmd.arg("--plugin-dir").arg(d),
        None => cmd.arg("--no-bundled-plugins"),
    };
    let t = Instant::now();
    let o = cmd.output().expect("understudy analyze");
    let took = t.elapsed().as_secs_f64();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert!(report["kpis"].as_array().is_some_and(|k| k.len() > 10));
    took
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let (minutes, pods, gauges) = if bench {
        (60, 2450, 195)
    } else {
        (5, 200, 195)
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let t = Instant::now();
    write_run(&a, "lag-only", minutes, pods, gauges, 6000.0, 15);
    write_run(&b, "kpi", minutes, pods, gauges, 6000.0, 30);
    let series = pods * 4 + gauges + 5;
    println!(
        "wrote two {minutes} min recordings of {series} series each in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let plugins = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plugins/dist");
    let have_plugins = plugins.join("flapping.wasm").is_file();
    if !bench {
        analyze(&a, &b, None);
        return;
    }
    let without = median((0..5).map(|_| analyze(&a, &b, None)).collect());
    println!(
        "analyze --vs, built-in KPIs only: {:.2} s (median of 5)",
        without
    );
    if have_plugins {
        let with = median((0..5).map(|_| analyze(&a, &b, Some(&plugins))).collect());
        println!(
            "analyze --vs, with the 4 bundled KPI plugins: {:.2} s (median of 5)",
            with
        );
    } else {
        println!("plugins/dist holds no bundled plugins: run plugins/build.sh to time them too");
    }
}

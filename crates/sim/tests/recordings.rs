//! The bundled recordings: regenerating them gives the same bytes, and they
//! show what the talk's real runs showed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use understudy_core::{TimeRange, WatchEvent};
use understudy_sim::{Options, Scenario, simulate};
use understudy_store::{Recording, SeriesSamples};

fn bundled(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../recordings")
        .join(name)
}

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n != "recording.lock") {
                let rel = p
                    .strip_prefix(dir)
                    .expect("inside")
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, std::fs::read(&p).expect("read"));
            }
        }
    }
    out
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    let scenario = Scenario::load("conflict").expect("bundled");
    let opts = Options {
        seed: 7,
        duration_ms: Some(180_000),
        realtime: false,
    };
    let (a, b) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    simulate(&scenario, &opts, a.path()).expect("first run");
    simulate(&scenario, &opts, b.path()).expect("second run");
    let (fa, fb) = (files(a.path()), files(b.path()));
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (name, bytes) in &fa {
        assert!(
            bytes == &fb[name],
            "{name} differs between two runs with the same seed"
        );
    }
    let c = tempfile::tempdir().expect("tempdir");
    simulate(&scenario, &Options { seed: 8, ..opts }, c.path()).expect("other seed");
    assert_ne!(
        files(c.path())["manifest.json"],
        fa["manifest.json"],
        "another seed, another run"
    );
}

#[test]
fn bundled_recordings_regenerate_identically() {
    for name in ["conflict", "harmony"] {
        let dir = tempfile::tempdir().expect("tempdir");
        let scenario = Scenario::load(name).expect("bundled");
        simulate(
            &scenario,
            &Options {
                seed: 7,
                duration_ms: None,
                realtime: false,
            },
            dir.path(),
        )
        .expect("simulate");
        let (fresh, shipped) = (files(dir.path()), files(&bundled(name)));
        assert_eq!(
            fresh.keys().collect::<Vec<_>>(),
            shipped.keys().collect::<Vec<_>>(),
            "recordings/{name}: run scripts/regenerate-recordings.sh"
        );
        for (file, bytes) in &fresh {
            assert!(
                bytes == &shipped[file],
                "recordings/{name}/{file} is stale: run scripts/regenerate-recordings.sh"
            );
        }
    }
}

fn series(rec: &Recording, metric: &str) -> Vec<SeriesSamples> {
    rec.samples(TimeRange::ALL, |s| s.metric() == metric)
        .expect("samples")
}

/// The Deployment's `spec.replicas` over time, one value per change.
fn replica_steps(rec: &Recording) -> Vec<f64> {
    let s = &series(rec, "kube_deployment_spec_replicas")[0];
    let mut steps: Vec<f64> = Vec::new();
    for &v in &s.values {
        if steps.last() != Some(&v) {
            steps.push(v);
        }
    }
    steps
}

fn reversals(steps: &[f64]) -> usize {
    let dirs: Vec<f64> = steps.windows(2).map(|w| (w[1] - w[0]).signum()).collect();
    dirs.windows(2).filter(|d| d[0] != d[1]).count()
}

#[test]
fn conflict_flaps_kills_young_pods_and_throttles_while_lag_stays_up() {
    let rec = Recording::open(&bundled("conflict")).expect("recordings/conflict");
    let steps = replica_steps(&rec);
    let flips = reversals(&steps);
    assert!(flips >= 4, "replicas should flap: {steps:?}");
    let high = steps.iter().cloned().fold(0.0, f64::max);
    let low_after_high = steps
        .iter()
        .skip_while(|&&v| v < high)
        .cloned()
        .fold(f64::MAX, f64::min);
    assert!(
        high >= 8.0 && high - low_after_high >= 3.0,
        "between low and high counts: {steps:?}"
    );

    // Pods killed young: deleted within three minutes of their creation.
    let objects = rec.objects(TimeRange::ALL).expect("objects");
    let young = objects
        .iter()
        .filter(|o| o.kind == "Pod" && o.event == WatchEvent::Deleted)
        .filter(|o| {
            let v: serde_json::Value =
                serde_json::from_str(o.object.as_deref().unwrap_or("{}")).expect("json");
            let created =
                humantime::parse_rfc3339(v["metadata"]["creationTimestamp"].as_str().unwrap_or(""))
                    .expect("creationTimestamp");
            let age =
                std::time::UNIX_EPOCH + std::time::Duration::from_millis(o.observed_ms as u64);
            age.duration_since(created).is_ok_and(|d| d.as_secs() < 180)
        })
        .count();
    assert!(young >= 3, "pods killed young: {young}");

    // Throttling: the share of CFS periods throttled, over the time the
    // queue lag is above 100, across all pods.
    let pending = &series(&rec, "jetstream_consumer_num_pending")[0];
    let lagging = |t: i64| {
        let i = pending.timestamps.partition_point(|&x| x <= t);
        i > 0 && pending.values[i - 1] > 100.0
    };
    let increase = |metric: &str| -> f64 {
        series(&rec, metric)
            .iter()
            .map(|s| {
                s.timestamps
                    .windows(2)
                    .zip(s.values.windows(2))
                    .filter(|(t, _)| lagging(t[1]))
                    .map(|(_, v)| v[1] - v[0])
                    .sum::<f64>()
            })
            .sum()
    };
    let ratio = increase("container_cpu_cfs_throttled_periods_total")
        / increase("container_cpu_cfs_periods_total");
    let peak = pending.values.iter().cloned().fold(0.0, f64::max);
    assert!(peak > 1_000.0, "the load built a lag: peak {peak}");
    assert!(
        ratio >= 0.1,
        "throttled share of CFS periods while lagging: {ratio:.3}"
    );
}

#[test]
fn harmony_rises_to_the_max_and_returns_to_the_min_without_oscillation() {
    let rec = Recording::open(&bundled("harmony")).expect("recordings/harmony");
    let steps = replica_steps(&rec);
    assert_eq!(steps.first(), Some(&1.0));
    assert!(steps.contains(&10.0), "reaches the maximum: {steps:?}");
    assert_eq!(
        steps.last(),
        Some(&1.0),
        "returns to the minimum: {steps:?}"
    );
    assert_eq!(reversals(&steps), 1, "one way up, one way down: {steps:?}");
    let pending = &series(&rec, "jetstream_consumer_num_pending")[0];
    let ack_pending = &series(&rec, "jetstream_consumer_num_ack_pending")[0];
    assert_eq!(pending.values.last(), Some(&0.0), "the queue drains");
    assert_eq!(ack_pending.values.last(), Some(&0.0));
}

#[test]
fn recordings_hold_the_series_and_objects_a_live_recording_has() {
    for name in ["conflict", "harmony"] {
        let rec = Recording::open(&bundled(name)).expect("bundled");
        let metrics: std::collections::BTreeSet<String> = rec
            .series()
            .expect("series")
            .iter()
            .map(|s| s.series.metric().to_owned())
            .collect();
        for m in [
            "jetstream_consumer_num_pending",
            "jetstream_consumer_num_ack_pending",
            "jetstream_stream_total_messages",
            "container_cpu_usage_seconds_total",
            "container_cpu_cfs_throttled_seconds_total",
            "container_cpu_cfs_periods_total",
            "container_cpu_cfs_throttled_periods_total",
            "meme_generator_success_total",
            "kube_horizontalpodautoscaler_status_current_replicas",
            "kube_horizontalpodautoscaler_status_desired_replicas",
            "kube_deployment_spec_replicas",
            "kube_pod_status_phase",
            "memegenerator_pod_cpu_rate",
            "memegenerator_pod_productivity",
        ] {
            assert!(metrics.contains(m), "{name}: no {m}");
        }
        let kinds: std::collections::BTreeSet<String> = rec
            .objects(TimeRange::ALL)
            .expect("objects")
            .into_iter()
            .map(|o| o.kind)
            .collect();
        for k in [
            "HorizontalPodAutoscaler",
            "Deployment",
            "Pod",
            "Event",
            "ScaledObject",
            "CustomResourceDefinition",
        ] {
            assert!(kinds.contains(k), "{name}: no {k}");
        }
        let m = rec.manifest();
        assert_eq!(m.labels.get("simulated").map(String::as_str), Some("true"));
        assert_eq!(m.labels.get("scenario").map(String::as_str), Some(name));
        assert_eq!(m.labels.get("seed").map(String::as_str), Some("7"));
    }
}

#[test]
fn the_keda_event_text_is_the_real_one() {
    let rec = Recording::open(&bundled("conflict")).expect("bundled");
    let events = rec.objects(TimeRange::ALL).expect("objects");
    let texts: Vec<String> = events
        .iter()
        .filter(|o| o.kind == "Event")
        .filter_map(|o| serde_json::from_str::<serde_json::Value>(o.object.as_deref()?).ok())
        .filter(|v| {
            v["reason"] == "SuccessfulRescale"
                && v["involvedObject"]["name"] == "keda-hpa-meme-backend"
        })
        .filter_map(|v| v["message"].as_str().map(str::to_owned))
        .collect();
    let want = "reason: external metric s0-nats-jetstream-MEMES(&LabelSelector{MatchLabels:map[string]string{scaledobject.keda.sh/name: meme-backend,},MatchExpressions:[]LabelSelectorRequirement{},}) above target";
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("New size: ") && t.ends_with(want)),
        "{texts:?}"
    );
}

/// KEDA's fallback (spec.fallback): with the NATS monitoring endpoint down,
/// the scaler fails; after failureThreshold failures the HPA is given the
/// fallback replicas, and the ScaledObject says so.
#[test]
fn keda_falls_back_when_its_scaler_fails() {
    let text = understudy_sim::BUNDLED
        .iter()
        .find(|(n, _)| *n == "conflict")
        .expect("bundled")
        .1;
    // Only KEDA, and the monitoring endpoint down from minute 3 to 10.
    let mut doc: serde_norway::Value = serde_norway::from_str(text).expect("yaml");
    doc["manifests"]
        .as_sequence_mut()
        .expect("manifests")
        .retain(|m| m["kind"].as_str() != Some("HorizontalPodAutoscaler"));
    doc["faults"] =
        serde_norway::from_str("[{type: NatsMonitoringDown, from: 3m, to: 10m}]").expect("yaml");
    let text = serde_norway::to_string(&doc).expect("yaml");
    let scenario = Scenario::parse(&text, "fallback.yaml").expect("valid");
    let dir = tempfile::tempdir().expect("tempdir");
    simulate(
        &scenario,
        &Options {
            seed: 7,
            duration_ms: Some(600_000),
            realtime: false,
        },
        dir.path(),
    )
    .expect("simulate");
    let rec = Recording::open(dir.path()).expect("open");
    let replicas = &series(&rec, "kube_deployment_spec_replicas")[0];
    let at = |min: i64| {
        let t = rec.manifest().start_ms + min * 60_000;
        let i = replicas.timestamps.partition_point(|&x| x <= t);
        replicas.values[i - 1]
    };
    assert_eq!(at(2), 10.0, "scaled out on the lag before the fault");
    // The HPA still applies its 5-minute scale-down stabilization to the
    // fallback value, as a real one does.
    assert_eq!(at(7), 10.0, "stabilized for five minutes");
    assert_eq!(
        at(9),
        1.0,
        "then the fallback's 1 replica while the scaler fails"
    );
    let fallback_seen = rec
        .objects(TimeRange::ALL)
        .expect("objects")
        .iter()
        .any(|o| {
            o.kind == "ScaledObject"
                && o.object
                    .as_deref()
                    .is_some_and(|j| j.contains("\"FallbackExists\""))
        });
    assert!(fallback_seen, "the ScaledObject reports the fallback");
}

//! The real plugins of plugins/dist, run by the host.

mod common;

use std::time::Instant;

use common::{SeriesCalls, dist, host, load, pod, productivity_batch, productivity_expected};
use understudy_plugin::{
    Batch, HostConfig, Input, MetricKind, Mode, Plugin, PluginError, PluginHost, PluginInfo,
};

fn names<T>(items: &[T], name: fn(&T) -> &str) -> Vec<&str> {
    items.iter().map(name).collect()
}

#[test]
fn productivity_computes_the_expected_numbers() {
    let host = host(HostConfig::live());
    let plugin = load(&host, "productivity");
    for mode in [Mode::Live, Mode::Offline] {
        let mut eval = plugin.open(&[], mode).expect("open");
        assert_eq!(
            eval.push_series(&productivity_batch()),
            Ok(productivity_expected())
        );
        let stats = eval.last_call();
        assert!(stats.duration.as_nanos() > 0);
        assert!(stats.memory_bytes > 0);
        assert_eq!(stats.fuel_used, None);
        // A second window: pod b now has a common step.
        let next = Batch {
            window_start: 60_000,
            window_end: 120_000,
            inputs: vec![
                Input {
                    name: "success".into(),
                    series: vec![pod("b", &[(75_000, 3.0), (90_000, 4.0)])].into(),
                },
                Input {
                    name: "cpu".into(),
                    series: vec![pod("b", &[(75_000, 1.5), (105_000, 1.0)])].into(),
                },
            ],
        };
        let out = eval.push_series(&next).expect("push");
        assert_eq!(out.len(), 1);
        assert_eq!(
            *out[0].labels,
            vec![
                ("namespace".into(), "meme-generator".into()),
                ("pod".into(), "b".into())
            ]
        );
        assert_eq!(
            (out[0].timestamps.as_slice(), out[0].values.as_slice()),
            (&[75_000][..], &[2.0][..])
        );
        assert_eq!(eval.finish_series(), Ok(vec![]));
        assert!(eval.faults().is_empty());
    }
}

#[test]
fn productivity_reports_a_missing_input_as_a_typed_error() {
    let host = host(HostConfig::live());
    let mut eval = load(&host, "productivity")
        .open(&[], Mode::Live)
        .expect("open");
    let mut batch = productivity_batch();
    batch.inputs.truncate(1);
    match eval.push_series(&batch) {
        Err(PluginError::Plugin(message)) => assert!(message.contains("cpu"), "{message}"),
        other => panic!("expected a typed error, got {other:?}"),
    }
    assert_eq!(eval.faults(), &[("plugin_error".to_string(), 1)]);
    // A typed error leaves the instance as it was.
    assert_eq!(
        eval.push_series(&productivity_batch()),
        Ok(productivity_expected())
    );
}

#[test]
fn fuel_is_metered_and_deterministic() {
    let host = host(HostConfig {
        fuel: Some(1_000_000_000),
        ..HostConfig::offline()
    });
    let plugin = load(&host, "productivity");
    let mut used = Vec::new();
    for _ in 0..2 {
        let mut eval = plugin.open(&[], Mode::Offline).expect("open");
        for _ in 0..2 {
            assert_eq!(
                eval.push_series(&productivity_batch()),
                Ok(productivity_expected())
            );
            used.push(eval.last_call().fuel_used);
        }
    }
    assert!(used[0].is_some_and(|f| f > 0), "{used:?}");
    // The same calls in a fresh instance cost the same fuel. (Within one
    // instance a repeat may differ: std's hash keys advance per map.)
    assert_eq!(used[..2], used[2..], "{used:?}");
}

fn check_info(
    info: &PluginInfo,
    name: &str,
    inputs: &[&str],
    outputs: &[(&str, MetricKind)],
    config: &[(&str, &str)],
) {
    assert_eq!(info.name, name);
    assert_eq!(info.version, "0.1.0");
    assert!(!info.description.is_empty());
    assert_eq!(names(&info.inputs, |i| &i.name), inputs);
    assert!(
        info.inputs
            .iter()
            .all(|i| !i.query.is_empty() && i.step_ms == 15_000),
        "{:?}",
        info.inputs
    );
    let found: Vec<(&str, MetricKind)> = info
        .outputs
        .iter()
        .map(|o| (o.name.as_str(), o.kind))
        .collect();
    assert_eq!(found, outputs);
    assert!(info.outputs.iter().all(|o| !o.help.is_empty()));
    let found: Vec<(&str, &str)> = info
        .config
        .iter()
        .map(|c| (c.name.as_str(), c.default_value.as_str()))
        .collect();
    assert_eq!(found, config);
}

#[test]
fn describe_of_each_real_plugin() {
    let host = host(HostConfig::live());
    let info = |name: &str| load(&host, name).info().clone();
    check_info(
        &info("productivity"),
        "productivity",
        &["success", "cpu"],
        &[("memegenerator_pod_productivity", MetricKind::Gauge)],
        &[],
    );
    let flapping = info("flapping");
    assert_eq!(flapping.name, "flapping");
    assert_eq!(names(&flapping.inputs, |i| &i.name), ["replicas"]);
    assert_eq!(
        flapping.outputs.iter().map(|o| o.kind).collect::<Vec<_>>(),
        [MetricKind::Gauge, MetricKind::Counter]
    );
    assert_eq!(
        names(&flapping.config, |c| &c.name),
        ["window", "hysteresis"]
    );
    assert_eq!(names(&flapping.config, |c| &c.default_value), ["10m", "1"]);
    let drain = info("drain-time");
    assert_eq!(
        (drain.name.as_str(), names(&drain.inputs, |i| &i.name)),
        ("drain-time", vec!["pending"])
    );
    assert_eq!(drain.outputs.len(), 1);
    assert!(drain.config.is_empty());
    let throttle = info("throttle-ratio");
    assert_eq!(
        names(&throttle.inputs, |i| &i.name),
        ["throttled", "periods"]
    );
    assert_eq!(throttle.outputs.len(), 1);
    assert_eq!(throttle.outputs[0].kind, MetricKind::Gauge);
}

#[test]
fn real_plugins_open_with_defaults_and_refuse_bad_config() {
    let host = host(HostConfig::live());
    for name in ["productivity", "flapping", "drain-time", "throttle-ratio"] {
        let plugin = load(&host, name);
        let mut eval = plugin
            .open(&[], Mode::Offline)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let empty_inputs = Batch {
            window_start: 0,
            window_end: 60_000,
            inputs: plugin
                .info()
                .inputs
                .iter()
                .map(|i| Input {
                    name: i.name.clone(),
                    series: vec![].into(),
                })
                .collect(),
        };
        assert_eq!(eval.push_series(&empty_inputs), Ok(vec![]), "{name}");
        let unknown = [("no-such-param".to_string(), "1".to_string())];
        assert!(
            matches!(plugin.open(&unknown, Mode::Live), Err(PluginError::Plugin(m)) if m.starts_with("invalid config: ")),
            "{name}"
        );
    }
    let flapping = load(&host, "flapping");
    let bad = [("window".to_string(), "banana".to_string())];
    assert!(
        matches!(flapping.open(&bad, Mode::Live), Err(PluginError::Plugin(m)) if m.contains("window"))
    );
    let good = [
        ("window".to_string(), "5m".to_string()),
        ("hysteresis".to_string(), "2".to_string()),
    ];
    assert!(flapping.open(&good, Mode::Live).is_ok());
}

#[test]
fn plugins_are_identified_and_cached_by_sha256() {
    use sha2::Digest;
    // No on-disk cache: the first load compiles.
    let host = PluginHost::new(HostConfig::live()).expect("host");
    let path = dist("productivity");
    let bytes = std::fs::read(&path).expect("read");
    let hex: String = sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let started = Instant::now();
    let first = load(&host, "productivity");
    let compiled = started.elapsed();
    assert_eq!(first.sha256(), hex);
    let started = Instant::now();
    let second: Plugin = load(&host, "productivity");
    let cached = started.elapsed();
    assert_eq!(second.sha256(), hex);
    assert_eq!(second.info(), first.info());
    assert!(
        cached < compiled,
        "cached load {cached:?} vs compile {compiled:?}"
    );
}

#[test]
fn compiled_plugins_go_to_the_cache_dir() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = HostConfig {
        cache_dir: Some(dir.path().join("cache")),
        ..HostConfig::live()
    };
    let host = |config: HostConfig| PluginHost::new(config).expect("host");
    {
        let host = host(config.clone());
        let mut eval = load(&host, "productivity")
            .open(&[], Mode::Live)
            .expect("open");
        assert_eq!(
            eval.push_series(&productivity_batch()),
            Ok(productivity_expected())
        );
    }
    let files = walk(&dir.path().join("cache"));
    assert!(
        !files.is_empty(),
        "nothing cached under {}",
        dir.path().display()
    );
    // A second host (a second process, as far as it knows) uses the cache.
    let host = host(config);
    let mut eval = load(&host, "productivity")
        .open(&[], Mode::Live)
        .expect("open");
    assert_eq!(
        eval.push_series(&productivity_batch()),
        Ok(productivity_expected())
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn evaluators_outlive_their_host_and_move_across_threads() {
    let host = host(HostConfig::live());
    let plugin = load(&host, "productivity");
    let mut eval = plugin.open(&[], Mode::Live).expect("open");
    drop(host);
    let handle = std::thread::spawn(move || eval.push_series(&productivity_batch()));
    assert_eq!(handle.join().expect("thread"), Ok(productivity_expected()));
    let mut again = plugin.open(&[], Mode::Live).expect("open");
    assert_eq!(
        again.push_series(&productivity_batch()),
        Ok(productivity_expected())
    );
}

#[test]
fn public_types_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<PluginHost>();
    send_sync::<Plugin>();
    send_sync::<understudy_plugin::Evaluator>();
}

/// One productivity window `[k·15 s, (k+1)·15 s]` with the given pods, each
/// with one common step.
fn window_of(k: i64, pods: &[&str]) -> Batch {
    let t = (k + 1) * 15_000;
    let input = |name: &str, value: f64| Input {
        name: name.into(),
        series: pods.iter().map(|p| pod(p, &[(t, value)])).collect(),
    };
    Batch {
        window_start: k * 15_000,
        window_end: t,
        inputs: vec![input("success", 6.0), input("cpu", 2.0)],
    }
}

fn pods_of(out: &[understudy_plugin::OutputSeries]) -> Vec<String> {
    let mut pods: Vec<String> = out
        .iter()
        .filter_map(|s| s.labels.iter().find(|(n, _)| n == "pod"))
        .map(|(_, v)| v.clone())
        .collect();
    pods.sort();
    pods
}

#[test]
fn label_set_ids_survive_pushes_retirement_and_a_new_instance() {
    let host = host(HostConfig::live());
    let plugin = load(&host, "productivity");
    let mut eval = plugin.open(&[], Mode::Live).expect("open");
    // Pods a and b, then only a for long enough that b's label set is
    // retired on both sides; then b comes back under a new id.
    assert_eq!(
        pods_of(&eval.push_series(&window_of(0, &["a", "b"])).expect("push")),
        ["a", "b"]
    );
    for k in 1..=120 {
        let out = eval.push_series(&window_of(k, &["a"])).expect("push");
        assert_eq!(pods_of(&out), ["a"], "window {k}");
        assert_eq!(out[0].values, vec![3.0]);
    }
    let out = eval
        .push_series(&window_of(121, &["b", "a", "c"]))
        .expect("push");
    assert_eq!(pods_of(&out), ["a", "b", "c"]);
    assert!(out.iter().all(|s| s.values == vec![3.0]));

    // A malformed batch drops the instance; the next one starts both id
    // spaces over and still answers for every pod.
    let mut lopsided = window_of(122, &["a"]);
    lopsided.inputs[0].series.values.push(1.0);
    assert!(matches!(
        eval.push_series(&lopsided),
        Err(PluginError::InvalidBatch(m)) if m.contains("1 timestamps, 2 values")
    ));
    assert!(eval.faults().is_empty(), "not the plugin's fault");
    let out = eval
        .push_series(&window_of(123, &["c", "b", "a"]))
        .expect("push");
    assert_eq!(pods_of(&out), ["a", "b", "c"]);
}

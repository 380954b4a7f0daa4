//! Plugin call costs (no criterion): cold start of a cached plugin, one push
//! of productivity over 1,000 pods × 4 points, and the same KPI computed
//! natively. Run: `cargo bench -p understudy-plugin --bench calls`.

use std::collections::{BTreeMap, BTreeSet};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use understudy_plugin::{Batch, HostConfig, Input, Mode, OutputSeries, PluginHost, SeriesData};

const POINTS: i64 = 4;
const STEP: i64 = 15_000;
const MIN_CPU: f64 = 0.0001;
const METRIC: &str = "memegenerator_pod_productivity";

fn dist(name: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../plugins/dist")
        .join(format!("{name}.wasm"));
    assert!(
        path.is_file(),
        "{} is missing: run plugins/build.sh",
        path.display()
    );
    path
}

fn batch(pods: usize) -> Batch {
    let series = |f: &dyn Fn(usize, i64) -> f64| -> Vec<SeriesData> {
        (0..pods)
            .map(|p| SeriesData {
                labels: vec![
                    ("namespace".into(), "meme-generator".into()),
                    ("pod".into(), format!("meme-generator-{p:05}")),
                ],
                timestamps: (1..=POINTS).map(|i| i * STEP).collect(),
                values: (1..=POINTS).map(|i| f(p, i)).collect(),
            })
            .collect()
    };
    Batch {
        window_start: 0,
        window_end: (POINTS + 1) * STEP,
        inputs: vec![
            Input {
                name: "success".into(),
                series: series(&|p, i| (p % 17) as f64 + i as f64),
            },
            Input {
                name: "cpu".into(),
                series: series(&|p, i| 0.05 * ((p % 7) as f64 + i as f64)),
            },
        ],
    }
}

type Labels = Vec<(String, String)>;

/// Productivity computed in Rust with the plugin's own algorithm (the SDK's
/// `join` and `OutputSet`), so that the ratio measures wasm against native
/// code rather than two algorithms.
fn native(batch: &Batch) -> Vec<OutputSeries> {
    fn label_set(s: &SeriesData, names: &[&str]) -> Option<Labels> {
        let mut out = Labels::with_capacity(names.len());
        for name in names {
            let value = s
                .labels
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v)
                .filter(|v| !v.is_empty())?;
            out.push(((*name).to_owned(), value.to_owned()));
        }
        out.sort();
        Some(out)
    }
    let by = ["namespace", "pod"];
    let input = |name: &str| {
        batch
            .inputs
            .iter()
            .find(|i| i.name == name)
            .map_or(&[][..], |i| &i.series[..])
    };
    let mut right: BTreeMap<Labels, Vec<(i64, f64)>> = BTreeMap::new();
    for s in input("cpu") {
        let Some(key) = label_set(s, &by) else {
            continue;
        };
        right.entry(key).or_insert_with(|| {
            let mut points: Vec<(i64, f64)> = s
                .timestamps
                .iter()
                .copied()
                .zip(s.values.iter().copied())
                .filter(|(_, v)| v.is_finite())
                .collect();
            points.sort_by_key(|&(t, _)| t);
            points.dedup_by_key(|&mut (t, _)| t);
            points
        });
    }
    let mut joined = Vec::new();
    let mut left_seen: BTreeSet<Labels> = BTreeSet::new();
    for s in input("success") {
        let Some(key) = label_set(s, &by) else {
            continue;
        };
        let Some(right_points) = right.get(&key) else {
            continue;
        };
        if left_seen.contains(&key) {
            continue;
        }
        for (t, l) in s
            .timestamps
            .iter()
            .zip(&s.values)
            .filter(|(_, v)| v.is_finite())
        {
            if let Ok(i) = right_points.binary_search_by_key(t, |&(t, _)| t) {
                joined.push((key.clone(), *t, *l, right_points[i].1));
            }
        }
        left_seen.insert(key);
    }
    let mut out: BTreeMap<(String, Labels), BTreeMap<i64, f64>> = BTreeMap::new();
    for (labels, t, l, r) in joined {
        let v = l / r.max(MIN_CPU);
        if l >= 0.0
            && r >= 0.0
            && (batch.window_start..=batch.window_end).contains(&t)
            && v.is_finite()
        {
            out.entry((METRIC.to_owned(), labels))
                .or_default()
                .insert(t, v);
        }
    }
    out.into_iter()
        .map(|((metric, labels), points)| OutputSeries {
            metric,
            labels,
            timestamps: points.keys().copied().collect(),
            values: points.values().copied().collect(),
        })
        .collect()
}

/// Mean of `f` over enough runs to take about `budget`.
fn time<T>(budget: Duration, mut f: impl FnMut() -> T) -> Duration {
    for _ in 0..3 {
        black_box(f());
    }
    let mut runs = 0u32;
    let started = Instant::now();
    while started.elapsed() < budget || runs < 10 {
        black_box(f());
        runs += 1;
    }
    started.elapsed() / runs
}

fn main() {
    let host = PluginHost::new(HostConfig::live()).expect("host");
    let path = dist("productivity");

    let started = Instant::now();
    let plugin = host.load(&path).expect("load");
    let compile = started.elapsed();

    let cold = time(Duration::from_secs(1), || {
        let p = host.load(&path).expect("load");
        p.open(&[], Mode::Live).expect("open")
    });
    let open = time(Duration::from_secs(1), || {
        plugin.open(&[], Mode::Live).expect("open")
    });

    let empty = Batch {
        window_start: 0,
        window_end: STEP,
        inputs: vec![
            Input {
                name: "success".into(),
                series: vec![],
            },
            Input {
                name: "cpu".into(),
                series: vec![],
            },
        ],
    };
    let mut eval = plugin.open(&[], Mode::Live).expect("open");
    let fixed = time(Duration::from_secs(1), || eval.push(&empty).expect("push"));

    let mut scaling = Vec::new();
    for pods in [10, 100, 1_000] {
        let b = batch(pods);
        let wasm = time(Duration::from_secs(1), || eval.push(&b).expect("push"));
        let nat = time(Duration::from_secs(1), || native(&b));
        scaling.push((pods, wasm, nat));
    }

    const PODS: usize = 1_000;
    let batch = batch(PODS);
    let samples_in: usize = batch
        .inputs
        .iter()
        .flat_map(|i| &i.series)
        .map(|s| s.timestamps.len())
        .sum();
    let mut eval = plugin.open(&[], Mode::Live).expect("open");
    let expected = native(&batch);
    let got = eval.push(&batch).expect("push");
    assert_eq!(got, expected, "plugin and native disagree");
    let samples_out: usize = got.iter().map(|s| s.timestamps.len()).sum();

    let plugin_push = time(Duration::from_secs(3), || eval.push(&batch).expect("push"));
    let stats = eval.last_call();
    let native_push = time(Duration::from_secs(3), || native(&batch));

    let per_sec = |d: Duration| samples_in as f64 / d.as_secs_f64() / 1e6;
    println!("understudy-plugin call costs (productivity, wasmtime, release build)");
    println!(
        "  first load (JIT compile + describe)   {:>10.2} ms",
        compile.as_secs_f64() * 1e3
    );
    println!(
        "  cold start, cached (load + open)      {:>10.1} µs",
        cold.as_secs_f64() * 1e6
    );
    println!(
        "  open (instantiate + open)             {:>10.1} µs",
        open.as_secs_f64() * 1e6
    );
    println!(
        "  batch: {PODS} pods × {POINTS} points × 2 inputs = {samples_in} samples in, {} series / {samples_out} samples out",
        got.len()
    );
    println!(
        "  push, plugin                          {:>10.1} µs  ({:.1} M input samples/s; guest memory {} KiB)",
        plugin_push.as_secs_f64() * 1e6,
        per_sec(plugin_push),
        stats.memory_bytes / 1024
    );
    println!(
        "  push, native Rust                     {:>10.1} µs  ({:.1} M input samples/s)",
        native_push.as_secs_f64() * 1e6,
        per_sec(native_push)
    );
    println!(
        "  plugin throughput                     {:>10.1} % of native",
        100.0 * native_push.as_secs_f64() / plugin_push.as_secs_f64()
    );
    println!(
        "  push with empty inputs (fixed cost)   {:>10.1} µs",
        fixed.as_secs_f64() * 1e6
    );
    println!("  scaling (pods × 4 points × 2 inputs): plugin vs native per push");
    for (pods, wasm, nat) in scaling {
        println!(
            "    {pods:>5} pods  {:>10.1} µs  {:>10.1} µs  ({:.1} % of native)",
            wasm.as_secs_f64() * 1e6,
            nat.as_secs_f64() * 1e6,
            100.0 * nat.as_secs_f64() / wasm.as_secs_f64()
        );
    }
}

//! Plugin call costs (no criterion): cold start of a cached plugin;
//! productivity over one hour of 1,000 input series (500 pods × 2 inputs ×
//! 240 steps of 15 s) as a component and as the same crate compiled
//! natively; and one live tick (one step of 1,000 input series) of each of
//! the four plugins. Run: `cargo bench -p understudy-plugin --bench calls`.

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use productivity::Productivity;
use understudy_kpi_sdk::{self as sdk, Kpi as _};
use understudy_plugin::{
    Batch, HostConfig, Input, Mode, OutputSeries, Outputs, PluginHost, SeriesColumns, SeriesData,
};

const STEP: i64 = 15_000;
/// One hour at the inputs' 15 s step.
const HOUR_POINTS: i64 = 240;
/// Input series of the headline figures (pods × 2 inputs).
const PODS: usize = 500;

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

fn batch(pods: usize, points: i64) -> Batch {
    let series = |f: &dyn Fn(usize, i64) -> f64| -> SeriesColumns {
        (0..pods)
            .map(|p| SeriesData {
                labels: vec![
                    ("namespace".into(), "meme-generator".into()),
                    ("pod".into(), format!("meme-generator-{p:05}")),
                ],
                timestamps: (1..=points).map(|i| i * STEP).collect(),
                values: (1..=points).map(|i| f(p, i)).collect(),
            })
            .collect()
    };
    Batch {
        window_start: 0,
        window_end: (points + 1) * STEP,
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

/// The batch as the SDK sees it inside the component.
fn sdk_batch(batch: &Batch) -> sdk::Batch {
    batch.inputs.iter().fold(
        sdk::Batch::new(batch.window_start, batch.window_end),
        |b, input| {
            let series = input
                .series
                .iter()
                .map(|s| {
                    let labels: Vec<(&str, &str)> = s
                        .labels
                        .iter()
                        .map(|(n, v)| (n.as_str(), v.as_str()))
                        .collect();
                    let points: Vec<(i64, f64)> = s
                        .timestamps
                        .iter()
                        .copied()
                        .zip(s.values.iter().copied())
                        .collect();
                    sdk::OwnedSeries::new(&labels, &points)
                })
                .collect();
            b.with_input(&input.name, series)
        },
    )
}

/// Productivity compiled natively, its outputs as the host's type, to check
/// that both agree. The timings call `push` alone: the native side pays for
/// no conversion, the plugin side for everything from the host's batch to
/// the host's outputs — the copies across the boundary included.
fn native(kpi: &mut Productivity, batch: &sdk::Batch) -> Vec<OutputSeries> {
    kpi.push(batch)
        .expect("native push")
        .into_iter()
        .map(|s| OutputSeries {
            metric: s.metric.as_ref().into(),
            labels: Arc::new(s.labels.to_labels()),
            timestamps: s.timestamps,
            values: s.values,
        })
        .collect()
}

fn native_kpi() -> Productivity {
    let config = sdk::Config::new(&[], &Productivity::describe().config).expect("config");
    Productivity::open(&config, sdk::Mode::Live).expect("open")
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
    // `cargo test --all-targets` runs this too, without `--bench` and in a
    // debug build: then only check that the component and the native crate
    // agree and that every plugin takes live ticks, timing nothing.
    if !std::env::args().any(|a| a == "--bench") {
        smoke();
        return;
    }
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
                series: SeriesColumns::default(),
            },
            Input {
                name: "cpu".into(),
                series: SeriesColumns::default(),
            },
        ],
    };
    let mut eval = plugin.open(&[], Mode::Live).expect("open");
    let fixed = time(Duration::from_secs(1), || eval.push(&empty).expect("push"));

    let mut scaling = Vec::new();
    for pods in [10, 100, 1_000] {
        let b = batch(pods, 4);
        let wasm = time(Duration::from_secs(1), || eval.push(&b).expect("push"));
        let (mut kpi, sb) = (native_kpi(), sdk_batch(&b));
        let nat = time(Duration::from_secs(1), || kpi.push(&sb).expect("push"));
        scaling.push((pods, wasm, nat));
    }

    // A whole hour is an offline push (`kpi run`); live limits cap outputs.
    // 120,000 output samples in one push, above the default cap.
    let offline = PluginHost::new(HostConfig {
        max_output_samples: 1_000_000,
        ..HostConfig::offline()
    })
    .expect("host");
    let plugin = offline.load(&path).expect("load");
    let batch = batch(PODS, HOUR_POINTS);
    let samples_in: usize = batch.inputs.iter().map(|i| i.series.timestamps.len()).sum();
    let mut eval = plugin.open(&[], Mode::Live).expect("open");
    let (mut kpi, native_batch) = (native_kpi(), sdk_batch(&batch));
    let expected = native(&mut kpi, &native_batch);
    let got = eval.push(&batch).expect("push");
    let samples_out = got.samples();
    let series_out = got.len();
    assert_eq!(got.into_series(), expected, "plugin and native disagree");

    // Side by side: alternating rounds, the best mean of each. Both sides
    // allocate megabytes per push, and how glibc's heap happens to stand
    // (trimmed or not) moved either figure by 2x from one run to the next.
    let (mut plugin_push, mut native_push) = (Duration::MAX, Duration::MAX);
    for _ in 0..5 {
        let p = time(Duration::from_millis(600), || {
            eval.push(&batch).expect("push")
        });
        let n = time(Duration::from_millis(600), || {
            kpi.push(&native_batch).expect("push")
        });
        plugin_push = plugin_push.min(p);
        native_push = native_push.min(n);
    }
    let stats = eval.last_call();

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
        "  batch: {PODS} pods × 2 inputs × {HOUR_POINTS} points (1 h) = {samples_in} samples in, {} series / {samples_out} samples out",
        series_out
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
    live_ticks(&host, 200, 3);
}

fn smoke() {
    let host = PluginHost::new(HostConfig::live()).expect("host");
    let plugin = host.load(&dist("productivity")).expect("load");
    let b = batch(10, 4);
    let got = plugin.open(&[], Mode::Live).expect("open").push(&b);
    assert_eq!(
        got.map(Outputs::into_series),
        Ok(native(&mut native_kpi(), &sdk_batch(&b)))
    );
    live_ticks(&host, 3, 1);
}

/// What each plugin's input queries return for series `i`.
fn labels(plugin: &str, i: usize) -> Vec<(String, String)> {
    let pairs = match plugin {
        "flapping" => vec![
            ("deployment", format!("meme-backend-{i:04}")),
            ("job", "kube-state-metrics".to_owned()),
            ("namespace", "meme-generator".to_owned()),
        ],
        "drain-time" => vec![
            ("consumer_name", format!("worker-{i:04}")),
            ("stream_name", "memes".to_owned()),
        ],
        _ => vec![
            ("namespace", "meme-generator".to_owned()),
            ("pod", format!("meme-generator-{i:05}")),
        ],
    };
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// One live tick per plugin: one step of 1,000 input series, split over the
/// plugin's inputs, windows advancing by a step as in the recorder, with the
/// labels its input queries return.
fn live_ticks(host: &PluginHost, ticks: i64, runs: usize) {
    const SERIES: usize = 1_000;
    println!("  live tick: {SERIES} input series × 1 point, best of {runs} means of {ticks} ticks");
    let mut total = Duration::ZERO;
    for name in ["productivity", "flapping", "drain-time", "throttle-ratio"] {
        let plugin = host.load(&dist(name)).expect("load");
        let inputs = &plugin.info().inputs;
        let per_input = SERIES / inputs.len();
        let batches: Vec<Batch> = (1..=ticks)
            .map(|k| Batch {
                window_start: (k - 1) * STEP + 1,
                window_end: k * STEP,
                inputs: inputs
                    .iter()
                    .map(|spec| Input {
                        name: spec.name.clone(),
                        series: (0..per_input)
                            .map(|i| SeriesData {
                                labels: labels(name, i),
                                timestamps: vec![k * STEP],
                                // Moves up and down, so stateful KPIs see changes.
                                values: vec![((i as i64 * 7 + k * 13) % 29) as f64 + 1.0],
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect();
        let mut best = Duration::MAX;
        for _ in 0..runs {
            let mut eval = plugin.open(&[], Mode::Live).expect("open");
            let started = Instant::now();
            for b in &batches {
                black_box(eval.push(b).expect("push"));
            }
            best = best.min(started.elapsed() / batches.len() as u32);
        }
        total += best;
        println!("    {name:<15} {:>10.1} µs", best.as_secs_f64() * 1e6);
    }
    println!("    all four        {:>10.1} µs", total.as_secs_f64() * 1e6);
}

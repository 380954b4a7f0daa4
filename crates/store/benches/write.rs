//! Write throughput and size on disk of a recording, for comparison with
//! Prometheus' TSDB (scripts/bench-vs-prometheus.sh runs this and promtool
//! side by side on the same series and samples).
//!
//! `cargo bench -p understudy-store --bench write -- [--series N] [--scrapes N] [--out DIR]`
//!
//! Data: N series spread over targets of 100 series each, scraped every 15 s
//! with real-world timestamp jitter (a fixed offset per target plus up to
//! ±25 ms per scrape). The value mix follows what a Kubernetes autoscaling
//! run scrapes: float counters (CPU seconds), integer counters (requests,
//! messages), integer gauges that move (memory bytes, queue depth), gauges
//! that rarely move (replicas, phase 0/1) and float gauges (ratios).
//!
//! Throughput is single-threaded: every scrape goes through the journal,
//! flushed with fsync every second of wall time as the recorder does (or
//! after every scrape with `--fsync-each-scrape`), and one seal at the end
//! writes the Parquet segment.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use understudy_core::{Labels, SampleBatch, Series, TimelineBatch};
use understudy_store::export::{Format, export};
use understudy_store::{Recording, RecordingMeta, RecordingWriter, WriterOptions};

const METRICS: &[(&str, Kind)] = &[
    ("container_cpu_usage_seconds_total", Kind::FloatCounter),
    (
        "container_cpu_cfs_throttled_seconds_total",
        Kind::FloatCounter,
    ),
    ("container_cpu_cfs_periods_total", Kind::IntCounter),
    (
        "container_cpu_cfs_throttled_periods_total",
        Kind::IntCounter,
    ),
    ("container_memory_working_set_bytes", Kind::IntGauge),
    ("container_network_receive_bytes_total", Kind::IntCounter),
    ("meme_generator_success_total", Kind::IntCounter),
    (
        "meme_generator_request_duration_seconds_sum",
        Kind::FloatCounter,
    ),
    ("jetstream_consumer_num_pending", Kind::IntGauge),
    ("kube_pod_status_phase", Kind::Flag),
    ("kube_deployment_spec_replicas", Kind::Flag),
    ("process_resident_memory_bytes", Kind::IntGauge),
    ("go_goroutines", Kind::IntGauge),
    ("node_load1", Kind::FloatGauge),
    ("up", Kind::Flag),
    ("scrape_duration_seconds", Kind::FloatGauge),
];

#[derive(Clone, Copy)]
enum Kind {
    FloatCounter,
    IntCounter,
    IntGauge,
    Flag,
    FloatGauge,
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*: deterministic, no dependency.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut series_n = 10_000usize;
    let mut scrapes = 360usize;
    let mut out: Option<PathBuf> = None;
    let mut each_scrape = false;
    let mut segment_scrapes: Option<usize> = None;
    // `cargo bench` passes --bench; under `cargo test` this runs as a quick
    // smoke test of the benchmark itself.
    if !std::env::args().any(|a| a == "--bench") {
        series_n = 200;
        scrapes = 20;
    }
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--series" => series_n = args.next().ok_or("--series N")?.parse()?,
            "--scrapes" => scrapes = args.next().ok_or("--scrapes N")?.parse()?,
            "--out" => out = Some(args.next().ok_or("--out DIR")?.into()),
            "--fsync-each-scrape" => each_scrape = true,
            "--segment-scrapes" => {
                segment_scrapes = Some(args.next().ok_or("--segment-scrapes N")?.parse()?)
            }
            "--bench" => {}
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let tmp = tempfile::tempdir()?;
    let dir = out.clone().unwrap_or_else(|| tmp.path().to_owned());
    let rec_dir = dir.join("recording");
    let _ = std::fs::remove_dir_all(&rec_dir);

    let mut generator = Generator::new(series_n);
    // Two hours aligned, so promtool builds one block from the same data.
    let base = 1_795_644_000_000i64;
    let meta = RecordingMeta {
        name: "bench".into(),
        ..Default::default()
    };
    let opts = WriterOptions {
        segment_ms: i64::MAX,
        max_segment_samples: usize::MAX,
    };

    // Scrapes are generated one at a time (so memory shows the writer's
    // footprint) and only the writer's calls are timed.
    let mut journal_time = Duration::ZERO;
    let mut seal_time = Duration::ZERO;
    let mut since_flush = Duration::ZERO;
    let mut peak_rss = Vec::new();
    let timed = |acc: &mut Duration,
                 f: &mut dyn FnMut() -> Result<(), understudy_store::StoreError>| {
        let t = Instant::now();
        let r = f();
        *acc += t.elapsed();
        r
    };
    let mut w = None;
    timed(&mut journal_time, &mut || {
        w = Some(RecordingWriter::open(&rec_dir, meta.clone(), opts, base)?.0);
        Ok(())
    })?;
    let mut w = w.ok_or("writer")?;
    for i in 0..scrapes {
        let batch = generator.scrape(base, i);
        let now = base + i as i64 * 15_000;
        let before = journal_time;
        timed(&mut journal_time, &mut || w.append(&batch))?;
        since_flush += journal_time - before;
        if each_scrape || since_flush >= Duration::from_secs(1) {
            timed(&mut journal_time, &mut || w.flush(now))?;
            since_flush = Duration::ZERO;
        }
        if segment_scrapes.is_some_and(|n| (i + 1) % n == 0) {
            timed(&mut seal_time, &mut || w.seal(now))?;
            peak_rss.push(peak_rss_kib());
        }
    }
    let end = base + scrapes as i64 * 15_000;
    timed(&mut journal_time, &mut || w.flush(end))?;
    let t = Instant::now();
    let manifest = w.close(end)?;
    seal_time += t.elapsed();
    let total = journal_time + seal_time;

    let samples = (series_n * scrapes) as f64;
    let sealed: u64 = manifest
        .segments
        .iter()
        .flat_map(|s| &s.files)
        .map(|f| f.bytes)
        .sum();
    let by_table: BTreeMap<&str, u64> =
        manifest
            .segments
            .iter()
            .flat_map(|s| &s.files)
            .fold(BTreeMap::new(), |mut m, f| {
                *m.entry(f.table.as_str()).or_default() += f.bytes;
                m
            });
    let fsync = if each_scrape {
        "after every scrape"
    } else {
        "every second"
    };
    println!("series {series_n}, scrapes {scrapes}, samples {samples}, journal fsync {fsync}");
    println!(
        "write: {:.0} samples/s ({:.2} s; journal {:.2} s, seal {:.2} s)",
        samples / total.as_secs_f64(),
        total.as_secs_f64(),
        journal_time.as_secs_f64(),
        seal_time.as_secs_f64()
    );
    println!(
        "size: {sealed} bytes sealed, {:.3} bytes/sample",
        sealed as f64 / samples
    );
    for (table, bytes) in by_table {
        println!(
            "  {table}: {bytes} bytes, {:.3} bytes/sample",
            bytes as f64 / samples
        );
    }
    if !peak_rss.is_empty() {
        // Peak resident memory after each seal: flat when memory is bounded
        // by the segment, growing when something grows with the run.
        let mib: Vec<String> = peak_rss.iter().map(|k| format!("{}", k / 1024)).collect();
        println!("peak RSS after each seal (MiB): {}", mib.join(" "));
    }

    if out.is_some() {
        // The same data as OpenMetrics and as promtool's series file, for
        // `promtool tsdb create-blocks-from openmetrics` and `bench write`.
        let rec = Recording::open(&rec_dir)?;
        let mut om = std::io::BufWriter::new(std::fs::File::create(dir.join("samples.om"))?);
        export(&rec, Format::OpenMetrics, |_| true, &mut om, &mut |_, _| {})?;
        let mut js = std::io::BufWriter::new(std::fs::File::create(dir.join("series.json"))?);
        for (s, _) in &generator.series {
            let mut m: BTreeMap<&str, &str> = s.labels().iter().collect();
            m.insert("__name__", s.metric());
            writeln!(js, "{}", serde_json::to_string(&m)?)?;
        }
        js.flush()?;
        println!("wrote {}/samples.om and series.json", dir.display());
    }
    Ok(())
}

/// Peak resident set size of this process so far (Linux), in KiB.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// The synthetic targets: series, their value kinds and current values.
struct Generator {
    rng: Rng,
    series: Vec<(Arc<Series>, Kind)>,
    state: Vec<f64>,
    offsets: Vec<i64>,
}

impl Generator {
    fn new(n: usize) -> Generator {
        let mut rng = Rng(0x5eed);
        let series = make_series(n, &mut rng);
        let targets = n.div_ceil(100);
        let offsets = (0..targets).map(|_| (rng.next() % 15_000) as i64).collect();
        let state = series.iter().map(|(_, k)| initial(*k, &mut rng)).collect();
        Generator {
            rng,
            series,
            state,
            offsets,
        }
    }

    /// Scrape `i` of every target: one timestamp per target (its offset
    /// plus up to ±25 ms of jitter), as Prometheus stamps a scrape.
    fn scrape(&mut self, base: i64, i: usize) -> TimelineBatch {
        let mut batch = SampleBatch::with_capacity(self.series.len());
        let jitter: Vec<i64> = (0..self.offsets.len())
            .map(|_| (self.rng.next() % 51) as i64 - 25)
            .collect();
        for (j, (s, kind)) in self.series.iter().enumerate() {
            let t = base + i as i64 * 15_000 + self.offsets[j / 100] + jitter[j / 100];
            self.state[j] = step(*kind, self.state[j], &mut self.rng);
            batch.push(s, t, self.state[j]);
        }
        batch.into()
    }
}

fn make_series(n: usize, rng: &mut Rng) -> Vec<(Arc<Series>, Kind)> {
    let namespaces = [
        "meme-generator",
        "monitoring",
        "nats",
        "keda",
        "kube-system",
    ];
    (0..n)
        .map(|i| {
            let target = i / 100;
            let (metric, kind) = METRICS[i % METRICS.len()];
            let pod = format!(
                "meme-backend-{:08x}-{:05x}",
                target * 2_654_435_761 % (1 << 32),
                rng.next() % 0xfffff
            );
            let labels = Labels::from_pairs([
                (
                    "namespace",
                    namespaces[target % namespaces.len()].to_string(),
                ),
                ("pod", pod),
                (
                    "container",
                    ["backend", "sidecar", "init"][i % 3].to_string(),
                ),
                ("node", format!("node-{}", target % 4 + 1)),
                (
                    "instance",
                    format!("10.42.{}.{}:8080", target / 250, target % 250),
                ),
                ("job", "kubernetes-pods".to_string()),
                ("series", format!("{}", i / METRICS.len())),
            ])
            .expect("valid labels");
            (
                Arc::new(Series::new(metric, labels).expect("valid metric")),
                kind,
            )
        })
        .collect()
}

fn initial(kind: Kind, rng: &mut Rng) -> f64 {
    match kind {
        Kind::FloatCounter => rng.unit() * 1e4,
        Kind::IntCounter => (rng.next() % 1_000_000) as f64,
        Kind::IntGauge => ((rng.next() % 50_000) * 4096) as f64,
        Kind::Flag => (rng.next() % 2) as f64,
        Kind::FloatGauge => rng.unit(),
    }
}

fn step(kind: Kind, v: f64, rng: &mut Rng) -> f64 {
    match kind {
        Kind::FloatCounter => v + rng.unit() * 4.5,
        Kind::IntCounter => v + (rng.next() % 200) as f64,
        Kind::IntGauge if rng.next().is_multiple_of(3) => {
            (v + ((rng.next() % 64) as f64 - 32.0) * 4096.0).max(0.0)
        }
        Kind::IntGauge => v,
        Kind::Flag if rng.next().is_multiple_of(200) => 1.0 - v,
        Kind::Flag => v,
        Kind::FloatGauge => (v + rng.unit() * 0.2 - 0.1).clamp(0.0, 1.0),
    }
}

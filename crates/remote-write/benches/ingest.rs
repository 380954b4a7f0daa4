//! Remote-write ingest on one thread: request bodies decoded into sample
//! batches, and decoded then appended to a journaled recording.
//!
//! `cargo bench -p understudy-remote-write --bench ingest`
//!
//! Two payloads:
//! - **prometheus**: the 22 bodies in `tests/fixtures/prometheus-2.42-self.bodies`,
//!   captured from a real Prometheus 2.42 scraping itself (≈ 480 samples
//!   per request, one sample per series, 2–5 labels), replayed in a loop.
//! - **node**: generated like a Prometheus scraping 20 node exporters every
//!   15 s: 10,000 series of node-exporter metric names with 10 labels each,
//!   sent 500 samples (Prometheus 2.42's `max_samples_per_send`) per
//!   request, one sample per series, 40 scrapes then looped.
//!
//! "decode" runs `Decoder::decode` (snappy, protobuf, series cache) and
//! drops the batch. "decode+journal" also appends every batch to a
//! `RecordingWriter` in a temporary directory and flushes (fsync) its
//! journal once per second of wall time, as the recorder does; the seal at
//! the end (Parquet) is timed separately.
//!
//! Without `--bench` (as under `cargo test --all-targets`) it only checks,
//! quickly, that both payloads decode and append.

use std::time::{Duration, Instant};

use understudy_core::now_ms;
use understudy_remote_write::Decoder;
use understudy_remote_write::proto::{Label, Sample, TimeSeries, WriteRequest};
use understudy_store::{RecordingMeta, RecordingWriter, WriterOptions};

const FIXTURE: &[u8] = include_bytes!("../tests/fixtures/prometheus-2.42-self.bodies");
const MAX_DECODED: usize = 64 << 20;

fn fixture() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = FIXTURE;
    while let Some((len, tail)) = rest.split_first_chunk::<4>() {
        let (body, tail) = tail.split_at(u32::from_le_bytes(*len) as usize);
        out.push(body.to_vec());
        rest = tail;
    }
    out
}

const NODE_METRICS: &[(&str, &[&str])] = &[
    ("node_cpu_seconds_total", &["cpu", "mode"]),
    ("node_network_receive_bytes_total", &["device"]),
    ("node_network_transmit_bytes_total", &["device"]),
    (
        "node_filesystem_avail_bytes",
        &["device", "fstype", "mountpoint"],
    ),
    ("node_disk_io_time_seconds_total", &["device"]),
    ("node_memory_MemAvailable_bytes", &[]),
    ("node_load1", &[]),
    ("node_vmstat_pgfault", &[]),
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// Label sets of `n` node-exporter-like series, ten labels each.
fn node_series(n: usize) -> Vec<Vec<Label>> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        // 500 series per node; `k` tells a node's series apart.
        let (node, k) = (i / 500, i % 500);
        let (family, dims) = NODE_METRICS[k % NODE_METRICS.len()];
        let metric = if dims.is_empty() {
            // node_memory_*, node_vmstat_*: a family of scalar metrics.
            format!("{family}_{}", k / NODE_METRICS.len())
        } else {
            family.to_owned()
        };
        let mut labels = vec![
            Label::new("__name__", metric),
            Label::new("cluster", "load-test-eu-west-1"),
            Label::new("container", "node-exporter"),
            Label::new(
                "instance",
                format!("10.12.{}.{}:9100", node / 250, node % 250),
            ),
            Label::new("job", "node-exporter"),
            Label::new("namespace", "monitoring"),
            Label::new(
                "node",
                format!(
                    "ip-10-12-{}-{}.eu-west-1.compute.internal",
                    node / 250,
                    node % 250
                ),
            ),
            Label::new(
                "pod",
                format!("node-exporter-{:05x}", node * 7919 % 0xfffff),
            ),
            Label::new("service", "node-exporter"),
        ];
        let values = [
            "cpu",
            "nvme0n1p",
            "/var/lib/kubelet/pods/",
            "ext4-",
            "user-",
        ];
        for (d, dim) in dims.iter().enumerate() {
            labels.push(Label::new(
                *dim,
                format!("{}{}", values[d % values.len()], k / NODE_METRICS.len()),
            ));
        }
        while labels.len() < 10 {
            labels.push(Label::new("endpoint", "metrics"));
        }
        labels.sort_by(|a, b| a.name.cmp(&b.name));
        out.push(labels);
    }
    out
}

/// `scrapes` scrapes of `series`, 500 samples per request.
fn node_bodies(series: &[Vec<Label>], scrapes: usize) -> Vec<Vec<u8>> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut counters: Vec<f64> = vec![0.0; series.len()];
    let t0 = 1_795_648_515_000i64;
    let mut bodies = Vec::new();
    for scrape in 0..scrapes {
        let t = t0 + scrape as i64 * 15_000;
        for chunk in (0..series.len()).collect::<Vec<_>>().chunks(500) {
            let timeseries = chunk
                .iter()
                .map(|&i| {
                    counters[i] += (rng.next() % 10_000) as f64 / 100.0;
                    TimeSeries {
                        labels: series[i].clone(),
                        samples: vec![Sample {
                            value: counters[i],
                            timestamp: t + (rng.next() % 50) as i64,
                        }],
                        ..Default::default()
                    }
                })
                .collect();
            bodies.push(
                WriteRequest {
                    timeseries,
                    ..Default::default()
                }
                .to_body(),
            );
        }
    }
    bodies
}

struct Run {
    samples: u64,
    elapsed: Duration,
    seal: Duration,
    fsyncs: u32,
}

fn decode_only(bodies: &[Vec<u8>], samples: u64) -> Run {
    let mut dec = Decoder::new(MAX_DECODED);
    let start = Instant::now();
    let mut n = 0;
    for body in bodies.iter().cycle() {
        let d = dec.decode(body).expect("decodes");
        n += d.samples.len() as u64;
        if n >= samples {
            break;
        }
    }
    Run {
        samples: n,
        elapsed: start.elapsed(),
        seal: Duration::ZERO,
        fsyncs: 0,
    }
}

fn decode_and_journal(bodies: &[Vec<u8>], samples: u64) -> Run {
    let dir = tempfile::tempdir().expect("temp dir");
    let meta = RecordingMeta {
        name: "ingest-bench".into(),
        ..Default::default()
    };
    let (mut w, _) =
        RecordingWriter::open(dir.path(), meta, WriterOptions::default(), now_ms()).expect("opens");
    let mut dec = Decoder::new(MAX_DECODED);
    let start = Instant::now();
    let mut last_flush = Instant::now();
    let mut fsyncs = 0;
    let mut n = 0;
    for body in bodies.iter().cycle() {
        let d = dec.decode(body).expect("decodes");
        n += d.samples.len() as u64;
        w.append(&d.samples.into()).expect("appends");
        if last_flush.elapsed() >= Duration::from_secs(1) {
            w.flush(now_ms()).expect("flushes");
            last_flush = Instant::now();
            fsyncs += 1;
        }
        if n >= samples {
            break;
        }
    }
    w.flush(now_ms()).expect("flushes");
    let elapsed = start.elapsed();
    let sealing = Instant::now();
    w.close(now_ms()).expect("closes");
    Run {
        samples: n,
        elapsed,
        seal: sealing.elapsed(),
        fsyncs: fsyncs + 1,
    }
}

fn report(payload: &str, what: &str, r: &Run) {
    let rate = r.samples as f64 / r.elapsed.as_secs_f64();
    print!(
        "{payload:<11} {what:<15} {:>10} samples in {:>6.3} s: {:>6.2} M samples/s ({:.0} ns/sample)",
        r.samples,
        r.elapsed.as_secs_f64(),
        rate / 1e6,
        1e9 / rate
    );
    if r.fsyncs > 0 {
        print!(
            "; {} journal fsyncs; seal at close {:.3} s",
            r.fsyncs,
            r.seal.as_secs_f64()
        );
    }
    println!();
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let real = fixture();
    let series = node_series(10_000);
    let node = node_bodies(&series, if bench { 40 } else { 1 });
    let describe = |name: &str, bodies: &[Vec<u8>]| {
        let bytes: usize = bodies.iter().map(Vec::len).sum();
        let mut dec = Decoder::new(MAX_DECODED);
        let samples: usize = bodies
            .iter()
            .map(|b| dec.decode(b).expect("decodes").samples.len())
            .sum();
        println!(
            "{name}: {} requests, {samples} samples, {} series, {:.0} B/request compressed, {:.1} B/sample",
            bodies.len(),
            dec.cached_series(),
            bytes as f64 / bodies.len() as f64,
            bytes as f64 / samples as f64,
        );
        samples as u64
    };
    let real_samples = describe("prometheus", &real);
    let node_samples = describe("node", &node);
    if !bench {
        // Smoke check: everything decodes and appends once.
        let r = decode_and_journal(&real, real_samples);
        assert_eq!(r.samples, real_samples);
        let r = decode_and_journal(&node, node_samples);
        assert_eq!(r.samples, node_samples);
        return;
    }
    let total = 4_000_000;
    for _ in 0..2 {
        for (name, bodies) in [("prometheus", &real), ("node", &node)] {
            report(name, "decode", &decode_only(bodies, total));
            report(name, "decode+journal", &decode_and_journal(bodies, total));
        }
    }
}

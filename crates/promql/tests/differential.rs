//! Differential test against a real Prometheus 2.42: the bundled recordings
//! are backfilled into a TSDB with `promtool`, served by `prometheus`, and
//! typical autoscaling-dashboard queries are run through both its HTTP API
//! and our engine over the same samples. Every series and point must agree
//! (relative tolerance 1e-9, NaN equal to NaN). Fails if the binaries are
//! missing.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value as Json;
use understudy_core::TimeRange;
use understudy_promql::{Engine, Labels, MemStorage, Series, Value};
use understudy_store::Recording;
use understudy_store::export::{Format, export};

const STALE_NAN: u64 = 0x7ff0_0000_0000_0002;

/// Queries a dashboard of an autoscaling run would ask.
const QUERIES: &[&str] = &[
    "kube_deployment_spec_replicas",
    "kube_deployment_status_replicas_available",
    "sum by (deployment) (kube_deployment_spec_replicas)",
    "kube_horizontalpodautoscaler_status_current_replicas",
    "max by (horizontalpodautoscaler) (kube_horizontalpodautoscaler_status_desired_replicas)",
    "kube_horizontalpodautoscaler_status_desired_replicas - kube_horizontalpodautoscaler_status_current_replicas",
    "kube_horizontalpodautoscaler_spec_max_replicas - on(horizontalpodautoscaler) kube_horizontalpodautoscaler_status_current_replicas",
    "kube_horizontalpodautoscaler_status_current_replicas / on(horizontalpodautoscaler) kube_horizontalpodautoscaler_spec_max_replicas",
    "kube_horizontalpodautoscaler_status_current_replicas >= on(horizontalpodautoscaler) kube_horizontalpodautoscaler_spec_max_replicas",
    "kube_horizontalpodautoscaler_status_current_replicas == bool on(horizontalpodautoscaler) kube_horizontalpodautoscaler_spec_min_replicas",
    "kube_horizontalpodautoscaler_status_target_metric",
    "kube_horizontalpodautoscaler_status_target_metric / on(horizontalpodautoscaler, metric_name) group_left kube_horizontalpodautoscaler_spec_target_metric",
    "changes(kube_deployment_spec_replicas[5m])",
    "changes(kube_horizontalpodautoscaler_status_desired_replicas[2m])",
    "count(kube_pod_status_phase{phase=\"Running\"} == 1)",
    "sum by (phase) (kube_pod_status_phase)",
    "count by (namespace) (kube_pod_status_phase{phase=~\"Running|Pending\"} > 0)",
    "sum by (pod) (rate(container_cpu_usage_seconds_total[1m]))",
    "sum by (pod) (rate(container_cpu_usage_seconds_total{container!=\"\"}[2m]))",
    "sum(rate(container_cpu_usage_seconds_total[5m]))",
    "avg(rate(container_cpu_usage_seconds_total[1m]))",
    "max(irate(container_cpu_usage_seconds_total[1m]))",
    "topk(3, rate(container_cpu_usage_seconds_total[1m]))",
    // Not over an aggregation: Prometheus' order of aggregated series, and
    // so its choice among ties, is random in range queries.
    "bottomk(2, rate(container_cpu_usage_seconds_total[2m]))",
    "increase(container_cpu_usage_seconds_total[2m])",
    "rate(container_cpu_cfs_throttled_periods_total[2m]) / rate(container_cpu_cfs_periods_total[2m])",
    "sum by (pod) (rate(container_cpu_cfs_throttled_periods_total[2m])) / clamp_min(sum by (pod) (rate(container_cpu_cfs_periods_total[2m])), 1)",
    "sum(increase(container_cpu_cfs_throttled_periods_total[5m])) / sum(increase(container_cpu_cfs_periods_total[5m]))",
    "rate(container_cpu_cfs_throttled_seconds_total[1m])",
    "jetstream_consumer_num_pending",
    "sum by (stream_name) (jetstream_consumer_num_pending)",
    "max_over_time(jetstream_consumer_num_pending[5m])",
    "avg_over_time(jetstream_consumer_num_pending[2m])",
    "deriv(jetstream_consumer_num_pending[2m])",
    "predict_linear(jetstream_consumer_num_pending[5m], 300)",
    "delta(jetstream_consumer_num_pending[3m])",
    "idelta(jetstream_consumer_num_pending[1m])",
    "jetstream_consumer_num_pending > 100",
    "jetstream_consumer_num_pending > bool 1000",
    "sum(jetstream_consumer_num_pending) or vector(0)",
    "sum(jetstream_consumer_num_pending{consumer_name=\"nonexistent\"}) or on() vector(0)",
    "rate(jetstream_stream_last_seq[1m])",
    "increase(jetstream_consumer_delivered_stream_seq[5m])",
    "jetstream_stream_last_seq - on(stream_name) group_right jetstream_consumer_delivered_stream_seq",
    "rate(meme_generator_success_total[1m])",
    "sum(rate(meme_generator_success_total[2m])) * 60",
    "count({__name__=~\"kube_deployment_.*\"})",
    "count by (__name__) ({__name__=~\"jetstream_consumer_.*\"})",
    "stddev(rate(container_cpu_usage_seconds_total[1m]))",
    "quantile(0.9, rate(container_cpu_usage_seconds_total[1m]))",
    "count_values(\"replicas\", kube_deployment_spec_replicas)",
    "max_over_time(sum(rate(container_cpu_usage_seconds_total[1m]))[5m:30s])",
    "min_over_time(kube_horizontalpodautoscaler_status_current_replicas[10m:1m])",
    "absent(nonexistent_metric{job=\"x\"})",
    "absent_over_time(kube_deployment_spec_replicas[1m])",
    "timestamp(kube_deployment_spec_replicas)",
    "last_over_time(kube_deployment_spec_replicas[10m])",
    "label_replace(kube_deployment_spec_replicas, \"app\", \"$1\", \"deployment\", \"(.*)-.*\")",
    "resets(container_cpu_usage_seconds_total[10m])",
    "kube_deployment_spec_replicas offset 2m",
    "round(avg_over_time(jetstream_consumer_num_pending[1m]), 10)",
    "scalar(sum(kube_deployment_spec_replicas)) * 2",
    "time() - timestamp(kube_deployment_spec_replicas)",
    "1 + 1",
];

#[test]
fn engine_matches_prometheus_2_42() {
    let started = Instant::now();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../recordings");
    let mut totals = Totals::default();
    for name in ["conflict", "harmony"] {
        let rec = Recording::open(&root.join(name)).expect("open recording");
        let storage = mem_storage(&rec);
        let dir = tempfile::tempdir().expect("tempdir");
        let prometheus = Prometheus::start(&rec, dir.path());
        let start = rec.manifest().start_ms;
        let end = rec.manifest().end_ms.expect("a finished recording");
        compare_all(&prometheus, &storage, start, end, &mut totals);
    }
    eprintln!(
        "differential: {} queries, {} instant and {} range evaluations, {} series, {} points, {} non-empty, {:?}",
        QUERIES.len(),
        totals.instant,
        totals.range,
        totals.series,
        totals.points,
        totals.non_empty,
        started.elapsed()
    );
    assert!(
        totals.failures.is_empty(),
        "{} mismatches:\n{}",
        totals.failures.len(),
        totals.failures.join("\n")
    );
    // Guard against vacuous agreement on empty results.
    assert!(totals.non_empty * 10 >= (totals.instant + totals.range) * 7);
}

#[derive(Default)]
struct Totals {
    instant: usize,
    range: usize,
    series: usize,
    points: usize,
    non_empty: usize,
    failures: Vec<String>,
}

fn compare_all(prom: &Prometheus, storage: &MemStorage, start: i64, end: i64, totals: &mut Totals) {
    let engine = Engine::default();
    let instants = [
        start + 60_000,
        start + 300_000,
        start + 450_500,
        start + 720_000,
        end,
        end + 180_000,
    ];
    let ranges = [(start, end + 300_000, 15_000), (start + 7_000, end, 30_000)];
    for query in QUERIES {
        for &t in &instants {
            totals.instant += 1;
            let ours = engine.instant(storage, query, t).map(|v| normalize(&v));
            let theirs = prom.query(&[("query", query), ("time", &seconds(t))]);
            record(totals, &format!("{query} @ {t}"), ours, theirs);
        }
        for &(s, e, step) in &ranges {
            totals.range += 1;
            let ours = engine
                .range(storage, query, s, e, step)
                .map(|v| normalize(&v));
            let params = [
                ("query", *query),
                ("start", &seconds(s)),
                ("end", &seconds(e)),
                ("step", &seconds(step)),
            ];
            let theirs = prom.query_range(&params);
            record(totals, &format!("{query} [{s}, {e}, {step}]"), ours, theirs);
        }
    }
}

/// A result as comparable series: sorted (labels, points).
type Normal = Vec<(Labels, Vec<(i64, f64)>)>;

fn normalize(v: &Value) -> Normal {
    let mut out: Normal = match v {
        Value::Scalar { t, v } => vec![(Labels::default(), vec![(*t, *v)])],
        Value::String { .. } => Vec::new(),
        Value::Vector(samples) => samples
            .iter()
            .map(|s| (s.labels.clone(), vec![(s.t, s.v)]))
            .collect(),
        Value::Matrix(series) => series
            .iter()
            .map(|s| {
                let points = s.timestamps.iter().copied().zip(s.values.iter().copied());
                (s.labels.clone(), points.collect())
            })
            .collect(),
    };
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn record(
    totals: &mut Totals,
    what: &str,
    ours: Result<Normal, understudy_promql::Error>,
    theirs: Result<Normal, String>,
) {
    match (ours, theirs) {
        (Ok(ours), Ok(theirs)) => {
            totals.series += theirs.len();
            totals.points += theirs.iter().map(|s| s.1.len()).sum::<usize>();
            if !theirs.is_empty() {
                totals.non_empty += 1;
            }
            if let Some(diff) = difference(&ours, &theirs) {
                totals.failures.push(format!("{what}: {diff}"));
            }
        }
        (Err(_), Err(_)) => {}
        (ours, theirs) => totals
            .failures
            .push(format!("{what}: ours {ours:?}\n  prometheus {theirs:?}")),
    }
}

fn difference(ours: &Normal, theirs: &Normal) -> Option<String> {
    if ours.len() != theirs.len() {
        let names = |n: &Normal| n.iter().map(|s| format!("{:?}", s.0)).collect::<Vec<_>>();
        return Some(format!(
            "{} series vs {}:\n  ours {:?}\n  prometheus {:?}",
            ours.len(),
            theirs.len(),
            names(ours),
            names(theirs)
        ));
    }
    for (o, t) in ours.iter().zip(theirs) {
        if o.0 != t.0 {
            return Some(format!("labels {:?} vs {:?}", o.0, t.0));
        }
        if o.1.len() != t.1.len() {
            return Some(format!(
                "{:?}: {} points vs {}: {:?} vs {:?}",
                o.0,
                o.1.len(),
                t.1.len(),
                o.1,
                t.1
            ));
        }
        for (a, b) in o.1.iter().zip(&t.1) {
            if a.0 != b.0 || !same_value(a.1, b.1) {
                return Some(format!("{:?}: point {a:?} vs {b:?}", o.0));
            }
        }
    }
    None
}

fn same_value(a: f64, b: f64) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

/// The recording's samples as the engine's storage, without staleness
/// markers (OpenMetrics cannot carry them, so Prometheus has none either).
fn mem_storage(rec: &Recording) -> MemStorage {
    let mut series: Vec<Arc<Series>> = rec
        .samples(TimeRange::ALL, |_| true)
        .expect("read samples")
        .into_iter()
        .map(|s| {
            let labels = s
                .series
                .labels()
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .chain(std::iter::once((
                    "__name__".to_string(),
                    s.series.metric().to_string(),
                )));
            let (timestamps, values) = s
                .timestamps
                .iter()
                .zip(&s.values)
                .filter(|(_, v)| v.to_bits() != STALE_NAN)
                .map(|(t, v)| (*t, *v))
                .unzip();
            Arc::new(Series {
                labels: Labels::new(labels),
                timestamps,
                values,
            })
        })
        .collect();
    series.sort_by(|a, b| a.labels.cmp(&b.labels));
    MemStorage { series }
}

fn seconds(ms: i64) -> String {
    format!("{}.{:03}", ms.div_euclid(1000), ms.rem_euclid(1000))
}

/// A Prometheus serving a recording; killed on drop.
struct Prometheus {
    child: Child,
    port: u16,
}

impl Prometheus {
    fn start(rec: &Recording, dir: &Path) -> Prometheus {
        let om = dir.join("data.om");
        let mut file = std::fs::File::create(&om).expect("create openmetrics file");
        export(
            rec,
            Format::OpenMetrics,
            |_| true,
            &mut file,
            &mut |_, _| {},
        )
        .expect("export");
        drop(file);
        let tsdb = dir.join("tsdb");
        let status = Command::new(binary("promtool"))
            .args(["tsdb", "create-blocks-from", "openmetrics"])
            .arg(&om)
            .arg(&tsdb)
            .stdout(Stdio::null())
            .status()
            .expect("run promtool");
        assert!(status.success(), "promtool failed");
        let config = dir.join("prometheus.yml");
        std::fs::write(&config, "").expect("write config");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = Command::new(binary("prometheus"))
            .arg(format!("--storage.tsdb.path={}", tsdb.display()))
            .arg("--storage.tsdb.retention.time=100y")
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg(format!("--config.file={}", config.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start prometheus");
        let prom = Prometheus { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while !prom.get("/-/ready").is_ok_and(|(code, _)| code == 200) {
            assert!(Instant::now() < deadline, "prometheus not ready after 30 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        prom
    }

    fn query(&self, params: &[(&str, &str)]) -> Result<Normal, String> {
        self.api("/api/v1/query", params)
    }

    fn query_range(&self, params: &[(&str, &str)]) -> Result<Normal, String> {
        self.api("/api/v1/query_range", params)
    }

    fn api(&self, path: &str, params: &[(&str, &str)]) -> Result<Normal, String> {
        let query: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{k}={}", percent_encode(v)))
            .collect();
        let (_, body) = self
            .get(&format!("{path}?{}", query.join("&")))
            .map_err(|e| e.to_string())?;
        let json: Json = serde_json::from_str(&body).map_err(|e| format!("{e}: {body}"))?;
        if json["status"] != "success" {
            return Err(json["error"].to_string());
        }
        parse_result(&json["data"])
    }

    /// A plain HTTP/1.0 GET (no chunked encoding to undo).
    fn get(&self, target: &str) -> std::io::Result<(u16, String)> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        write!(stream, "GET {target} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        let code = response
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        Ok((code, body))
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn binary(name: &str) -> PathBuf {
    let path = PathBuf::from("/usr/bin").join(name);
    assert!(
        path.exists(),
        "{} is required for the differential test",
        path.display()
    );
    path
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn parse_result(data: &Json) -> Result<Normal, String> {
    let result = &data["result"];
    let point = |p: &Json| -> Result<(i64, f64), String> {
        let t = p[0].as_f64().ok_or("bad time")?;
        let v = p[1].as_str().ok_or("bad value")?;
        let v = match v {
            "NaN" => f64::NAN,
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            other => other.parse().map_err(|e| format!("{e}"))?,
        };
        Ok(((t * 1000.0).round() as i64, v))
    };
    let labels = |m: &Json| {
        Labels::new(
            m.as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())),
        )
    };
    let mut out: Normal = match data["resultType"].as_str() {
        Some("scalar") => vec![(Labels::default(), vec![point(result)?])],
        Some("string") => Vec::new(),
        Some("vector") => result
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| Ok((labels(&s["metric"]), vec![point(&s["value"])?])))
            .collect::<Result<_, String>>()?,
        Some("matrix") => result
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| {
                let points = s["values"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(point)
                    .collect::<Result<_, String>>()?;
                Ok((labels(&s["metric"]), points))
            })
            .collect::<Result<_, String>>()?,
        other => return Err(format!("unknown result type {other:?}")),
    };
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

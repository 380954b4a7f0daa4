//! Differential tests against a real Prometheus 2.42 (`oracle`): the
//! bundled recordings are backfilled into a TSDB with `promtool`, served by
//! `prometheus`, and typical autoscaling-dashboard queries are run through
//! both its HTTP API and our engine over the same samples. Every series and
//! point must agree (relative tolerance 1e-9, NaN equal to NaN). The
//! `conformance` module adds a synthetic data set of awkward values that
//! must give the same floats bit for bit, in the same order for `sort`,
//! and the same parse errors. Fails if the binaries are missing.

mod conformance;
mod oracle;

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use oracle::{Failure, Normal, Precision, Prometheus, difference, failure, normalize};
use understudy_core::TimeRange;
use understudy_promql::{Engine, Labels, MemStorage, Series};
use understudy_store::Recording;

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
        let prometheus = Prometheus::over_recording(&root.join(name));
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
            let ours = engine
                .instant(storage, query, t)
                .map(|v| normalize(&v, false));
            let theirs = prom.query(query, t, false);
            record(totals, &format!("{query} @ {t}"), ours, theirs);
        }
        for &(s, e, step) in &ranges {
            totals.range += 1;
            let ours = engine
                .range(storage, query, s, e, step)
                .map(|v| normalize(&v, false));
            let theirs = prom.query_range(query, s, e, step);
            record(totals, &format!("{query} [{s}, {e}, {step}]"), ours, theirs);
        }
    }
}

fn record(
    totals: &mut Totals,
    what: &str,
    ours: Result<Normal, understudy_promql::QueryError>,
    theirs: Result<Normal, Failure>,
) {
    match (ours, theirs) {
        (Ok(ours), Ok(theirs)) => {
            totals.series += theirs.len();
            totals.points += theirs.iter().map(|s| s.1.len()).sum::<usize>();
            if !theirs.is_empty() {
                totals.non_empty += 1;
            }
            if let Some(diff) = difference(&ours, &theirs, Precision::Close) {
                totals.failures.push(format!("{what}: {diff}"));
            }
        }
        (Err(_), Err(_)) => {}
        (ours, theirs) => totals.failures.push(format!(
            "{what}: ours {:?}\n  prometheus {theirs:?}",
            ours.map_err(|e| failure(&e))
        )),
    }
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

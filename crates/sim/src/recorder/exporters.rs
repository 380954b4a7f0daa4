//! The series each exporter serves, sampled when it would have been
//! scraped: JetStream (through the NATS source), cAdvisor, the app and the
//! Prometheus Adapter. kube-state-metrics is [`super::ksm`].

use crate::output::Output;
use crate::pipelines::Metrics;
use crate::queue::Queue;
use crate::scenario::Queue as QueueSpec;
use crate::workload::Workload;

/// What the NATS source samples of the stream and its consumer.
pub fn jetstream(o: &mut Output, at: i64, q: &Queue, s: &QueueSpec) {
    let stream = [
        ("account", "$G"),
        ("server_name", s.server_name.as_str()),
        ("stream_name", s.stream.as_str()),
    ];
    let consumer = [
        ("account", "$G"),
        ("consumer_name", s.consumer.as_str()),
        ("server_name", s.server_name.as_str()),
        ("stream_name", s.stream.as_str()),
    ];
    o.sample(
        at,
        "jetstream_stream_total_messages",
        &stream,
        q.stream_messages() as f64,
    );
    o.sample(
        at,
        "jetstream_stream_first_seq",
        &stream,
        q.first_seq() as f64,
    );
    o.sample(
        at,
        "jetstream_stream_last_seq",
        &stream,
        q.last_seq() as f64,
    );
    o.sample(at, "jetstream_stream_consumer_count", &stream, 1.0);
    o.sample(
        at,
        "jetstream_consumer_num_pending",
        &consumer,
        q.num_pending() as f64,
    );
    o.sample(
        at,
        "jetstream_consumer_num_ack_pending",
        &consumer,
        q.num_ack_pending() as f64,
    );
    o.sample(
        at,
        "jetstream_consumer_num_redelivered",
        &consumer,
        q.num_redelivered() as f64,
    );
    o.sample(
        at,
        "jetstream_consumer_delivered_consumer_seq",
        &consumer,
        q.delivered as f64,
    );
    o.sample(
        at,
        "jetstream_consumer_delivered_stream_seq",
        &consumer,
        q.delivered_stream_seq as f64,
    );
}

/// cAdvisor's CPU and CFS counters of every running container.
pub fn cadvisor(o: &mut Output, at: i64, work: &Workload, ns: &str) {
    for p in work.pods.iter().filter(|p| p.is_running()) {
        let instance = "10.128.0.12:10250";
        let labels = [
            ("container", "backend"),
            ("endpoint", "https-metrics"),
            ("instance", instance),
            ("job", "kubelet"),
            ("metrics_path", "/metrics/cadvisor"),
            ("namespace", ns),
            ("node", p.node.as_str()),
            ("pod", p.name.as_str()),
            ("service", "kube-prometheus-stack-kubelet"),
        ];
        let c = &p.counters;
        o.sample(
            at,
            "container_cpu_usage_seconds_total",
            &labels,
            round6(c.cpu_seconds),
        );
        o.sample(
            at,
            "container_cpu_cfs_periods_total",
            &labels,
            c.periods as f64,
        );
        o.sample(
            at,
            "container_cpu_cfs_throttled_periods_total",
            &labels,
            c.throttled_periods as f64,
        );
        o.sample(
            at,
            "container_cpu_cfs_throttled_seconds_total",
            &labels,
            round6(c.throttled_seconds),
        );
    }
}

/// Counters as cAdvisor prints them (microsecond resolution).
fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// The app's own counter; only ready pods answer the scrape.
pub fn app(o: &mut Output, at: i64, work: &Workload, ns: &str) {
    for p in work.pods.iter().filter(|p| p.is_ready()) {
        let instance = format!("{}:8080", p.ip);
        let labels = [
            ("container", "backend"),
            ("endpoint", "metrics"),
            ("instance", instance.as_str()),
            ("job", "meme-backend"),
            ("namespace", ns),
            ("pod", p.name.as_str()),
            ("service", "meme-backend"),
        ];
        o.sample(
            at,
            "meme_generator_success_total",
            &labels,
            p.counters.successes as f64,
        );
    }
}

/// The Prometheus Adapter's per-pod series, as its rules compute them.
pub fn adapter(o: &mut Output, at: i64, t: i64, work: &Workload, ns: &str, metrics: &Metrics) {
    let (prom, adapter) = (&metrics.prometheus, &metrics.adapter);
    for p in work.pods.iter().filter(|p| p.is_running()) {
        let labels = [("namespace", ns), ("pod", p.name.as_str())];
        if let Some(v) = adapter.pod_cpu_rate(prom, &p.name, t) {
            o.sample(at, "memegenerator_pod_cpu_rate", &labels, v);
        }
        let success = prom.success_rate(&p.name, t, 300_000).unwrap_or(0.0);
        if let Some(cpu) = prom.cpu_rate(&p.name, t, 300_000) {
            o.sample(
                at,
                "memegenerator_pod_productivity",
                &labels,
                success / cpu.max(0.0001),
            );
        }
    }
}

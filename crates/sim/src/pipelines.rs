//! How measurements reach the autoscalers, each with its real delay:
//! Prometheus scrapes, the Prometheus Adapter's relisted series and its
//! rate() queries, and metrics-server's resolution window.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::clock::every;
use crate::queue::Queue;
use crate::scenario::Pipelines;
use crate::workload::{Pod, Workload};

/// Prometheus scrapes cAdvisor this far into each scrape interval (the
/// recording's cAdvisor samples are these scrapes).
pub const CADVISOR_PHASE_MS: i64 = 2_000;
/// Prometheus scrapes the app this far into each scrape interval.
pub const APP_PHASE_MS: i64 = 5_000;

/// Every path a measurement takes to the autoscalers, each on its own
/// schedule.
#[derive(Debug)]
pub struct Metrics {
    config: Pipelines,
    pub prometheus: Prometheus,
    pub adapter: Adapter,
    pub metrics_server: MetricsServer,
}

impl Metrics {
    pub fn new(config: &Pipelines) -> Metrics {
        Metrics {
            config: config.clone(),
            prometheus: Prometheus::default(),
            adapter: Adapter::default(),
            metrics_server: MetricsServer::default(),
        }
    }

    /// The scrapes and relists due at `t`.
    pub fn step(&mut self, t: i64, work: &Workload) {
        let c = &self.config;
        if every(t, c.scrape_interval, CADVISOR_PHASE_MS) {
            self.prometheus.scrape_cadvisor(t, work);
        }
        if every(t, c.scrape_interval, APP_PHASE_MS) {
            self.prometheus.scrape_app(t, work);
        }
        if every(t, c.metrics_server_resolution, 1_000) {
            self.metrics_server.scrape(t, &work.pods);
        }
        if every(t, c.adapter_relist, 4_000) {
            self.adapter.relist(&self.prometheus);
        }
    }

    /// Prometheus' retention, once a minute.
    pub fn compact(&mut self, t: i64) {
        if every(t, Duration::from_secs(60), 0) {
            self.prometheus.compact(t);
        }
    }

    /// What the autoscalers read at `t` (`at` on the recording's clock).
    pub fn readings<'a>(
        &'a self,
        t: i64,
        at: i64,
        queue: &'a Queue,
        nats_down: bool,
    ) -> Readings<'a> {
        Readings {
            t,
            at,
            queue,
            prometheus: &self.prometheus,
            adapter: &self.adapter,
            metrics_server: &self.metrics_server,
            nats_down,
        }
    }
}

/// What the autoscalers can read at one moment: the queue through the
/// NATS monitoring endpoint, and the metrics APIs.
#[derive(Debug, Clone, Copy)]
pub struct Readings<'a> {
    /// Simulated time since the start of the run.
    pub t: i64,
    /// The same moment on the recording's clock (Unix ms).
    pub at: i64,
    pub queue: &'a Queue,
    pub prometheus: &'a Prometheus,
    pub adapter: &'a Adapter,
    pub metrics_server: &'a MetricsServer,
    /// The NATS monitoring endpoint does not answer.
    pub nats_down: bool,
}

/// What Prometheus holds of one pod: scraped (time, counter) pairs.
#[derive(Debug, Default, Clone)]
struct PodHistory {
    cpu: Vec<(i64, f64)>,
    successes: Vec<(i64, f64)>,
}

/// Prometheus, reduced to the counters the autoscalers' queries use.
#[derive(Debug, Default)]
pub struct Prometheus {
    pods: BTreeMap<String, PodHistory>,
}

impl Prometheus {
    /// A cAdvisor scrape: CPU counters of running containers.
    pub fn scrape_cadvisor(&mut self, t: i64, workload: &Workload) {
        for p in workload.pods.iter().filter(|p| p.is_running()) {
            self.pods
                .entry(p.name.clone())
                .or_default()
                .cpu
                .push((t, p.counters.cpu_seconds));
        }
    }

    /// A scrape of the app's /metrics (only ready pods answer).
    pub fn scrape_app(&mut self, t: i64, workload: &Workload) {
        for p in workload.pods.iter().filter(|p| p.is_ready()) {
            self.pods
                .entry(p.name.clone())
                .or_default()
                .successes
                .push((t, p.counters.successes as f64));
        }
    }

    /// Series Prometheus knows of, as the adapter's relist finds them.
    pub fn cpu_series(&self) -> BTreeSet<String> {
        self.pods
            .iter()
            .filter(|(_, h)| !h.cpu.is_empty())
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// `rate(container_cpu_usage_seconds_total{pod=...}[window])` at `t`.
    pub fn cpu_rate(&self, pod: &str, t: i64, window_ms: i64) -> Option<f64> {
        rate(&self.pods.get(pod)?.cpu, t, window_ms)
    }

    pub fn success_rate(&self, pod: &str, t: i64, window_ms: i64) -> Option<f64> {
        rate(&self.pods.get(pod)?.successes, t, window_ms)
    }

    pub fn pods(&self) -> impl Iterator<Item = &str> {
        self.pods.keys().map(String::as_str)
    }

    /// The harmony KPI as the adapter rule computes it, over all pods:
    /// `sum(rate(success[5m])) / clamp_min(sum(rate(cpu[5m])), 0.0001)`,
    /// `or vector(0)` when there is nothing to divide.
    pub fn productivity(&self, t: i64) -> f64 {
        const WINDOW: i64 = 300_000;
        let success: Vec<f64> = self
            .pods()
            .filter_map(|p| self.success_rate(p, t, WINDOW))
            .collect();
        let cpu: Vec<f64> = self
            .pods()
            .filter_map(|p| self.cpu_rate(p, t, WINDOW))
            .collect();
        if success.is_empty() || cpu.is_empty() {
            return 0.0;
        }
        success.iter().sum::<f64>() / cpu.iter().sum::<f64>().max(0.0001)
    }

    /// Forgets samples no query can reach any more.
    pub fn compact(&mut self, t: i64) {
        const KEEP: i64 = 600_000;
        self.pods.retain(|_, h| {
            h.cpu.retain(|s| s.0 >= t - KEEP);
            h.successes.retain(|s| s.0 >= t - KEEP);
            !h.cpu.is_empty() || !h.successes.is_empty()
        });
    }
}

/// Per-second increase between the first and last sample in `(t - window, t]`
/// (Prometheus extrapolates to the window edges; for the autoscalers'
/// decisions the difference is within the HPA's tolerance).
fn rate(samples: &[(i64, f64)], t: i64, window_ms: i64) -> Option<f64> {
    let inside: Vec<&(i64, f64)> = samples
        .iter()
        .filter(|s| s.0 > t - window_ms && s.0 <= t)
        .collect();
    let (first, last) = (inside.first()?, inside.last()?);
    if last.0 <= first.0 {
        return None;
    }
    Some(((last.1 - first.1) / ((last.0 - first.0) as f64 / 1000.0)).max(0.0))
}

/// The Prometheus Adapter: serves `memegenerator_pod_cpu_rate` for the pods
/// its last relist found.
#[derive(Debug, Default)]
pub struct Adapter {
    listed: BTreeSet<String>,
}

impl Adapter {
    pub fn relist(&mut self, prom: &Prometheus) {
        self.listed = prom.cpu_series();
    }

    /// `sum(rate(container_cpu_usage_seconds_total[2m])) by (pod)`, or None
    /// for a pod the adapter has not listed yet or without two samples.
    pub fn pod_cpu_rate(&self, prom: &Prometheus, pod: &str, t: i64) -> Option<f64> {
        if !self.listed.contains(pod) {
            return None;
        }
        prom.cpu_rate(pod, t, 120_000)
    }
}

/// metrics-server: the CPU usage of each running pod over its last
/// resolution window, which is what the HPA's Resource metrics read.
#[derive(Debug, Default)]
pub struct MetricsServer {
    last: BTreeMap<String, (i64, f64)>,
    usage: BTreeMap<String, f64>,
}

impl MetricsServer {
    pub fn scrape(&mut self, t: i64, pods: &[Pod]) {
        let mut last = BTreeMap::new();
        let mut usage = BTreeMap::new();
        for p in pods.iter().filter(|p| p.is_running()) {
            let now = (t, p.counters.cpu_seconds);
            if let Some(&(t0, c0)) = self.last.get(&p.name)
                && t > t0
            {
                usage.insert(p.name.clone(), (now.1 - c0) / ((t - t0) as f64 / 1000.0));
            }
            last.insert(p.name.clone(), now);
        }
        self.last = last;
        self.usage = usage;
    }

    pub fn usage(&self, pod: &str) -> Option<f64> {
        self.usage.get(pod).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_needs_two_samples_inside_the_window() {
        let s = [(0, 0.0), (15_000, 1.5), (30_000, 3.0)];
        assert_eq!(rate(&s, 30_000, 120_000), Some(0.1));
        assert_eq!(rate(&s, 30_000, 10_000), None);
        assert_eq!(rate(&s[..1], 30_000, 120_000), None);
    }
}

//! The KEDA operator and metrics adapter for one ScaledObject: scaler
//! values for its HPA, failure counting with fallback, the Active state and
//! (with minReplicaCount 0) scaling to and from zero after the cooldown.

use crate::manifests::{KNOWN_QUERIES, ScaledObject, Trigger};
use crate::pipelines::{Adapter, Prometheus};
use crate::queue::Queue;

/// What a scaler can read at one moment.
#[derive(Debug, Clone, Copy)]
pub struct World<'a> {
    pub t: i64,
    pub queue: &'a Queue,
    pub prometheus: &'a Prometheus,
    pub adapter: &'a Adapter,
    /// The NATS monitoring endpoint does not answer.
    pub nats_down: bool,
}

#[derive(Debug, Clone)]
pub struct Keda {
    pub so: ScaledObject,
    pub uid: String,
    pub failures: Vec<u32>,
    pub active: bool,
    pub last_active_ms: Option<i64>,
    pub fallback_active: bool,
}

impl Keda {
    pub fn new(so: ScaledObject, uid: String) -> Keda {
        let n = so.triggers.len();
        Keda {
            so,
            uid,
            failures: vec![0; n],
            active: false,
            last_active_ms: None,
            fallback_active: false,
        }
    }

    /// The raw scaler value of trigger `i`, or an error when its source fails.
    fn scaler_value(&self, i: usize, w: &World<'_>) -> Result<f64, String> {
        match &self.so.triggers[i] {
            Trigger::NatsJetStream { .. } if w.nats_down => {
                Err("error requesting the NATS monitoring endpoint: connection refused".into())
            }
            Trigger::NatsJetStream { .. } => Ok(w.queue.num_pending() as f64),
            Trigger::Prometheus { query, .. } if query == KNOWN_QUERIES[0] => {
                Ok(w.prometheus.productivity(w.t))
            }
            Trigger::Prometheus { .. } => Ok(w
                .prometheus
                .pods()
                .filter_map(|p| w.adapter.pod_cpu_rate(w.prometheus, p, w.t))
                .sum()),
        }
    }

    /// What KEDA's metrics adapter answers the HPA for trigger `i`: the
    /// scaler's value, or after `failureThreshold` failures in a row the
    /// fallback (`replicas × target`, so the HPA computes the fallback
    /// replicas), or nothing.
    pub fn metric_for_hpa(&mut self, i: usize, w: &World<'_>) -> Option<f64> {
        match self.scaler_value(i, w) {
            Ok(v) => {
                self.failures[i] = 0;
                self.fallback_active = self.failures.iter().any(|&f| self.over_threshold(f));
                Some(v)
            }
            Err(_) => {
                self.failures[i] = self.failures[i].saturating_add(1);
                let fb = self
                    .so
                    .fallback
                    .filter(|fb| self.failures[i] >= fb.failure_threshold);
                self.fallback_active = fb.is_some();
                fb.map(|fb| f64::from(fb.replicas) * self.target(i))
            }
        }
    }

    fn over_threshold(&self, failures: u32) -> bool {
        self.so
            .fallback
            .is_some_and(|fb| failures >= fb.failure_threshold)
    }

    fn target(&self, i: usize) -> f64 {
        match &self.so.triggers[i] {
            Trigger::NatsJetStream { lag_threshold, .. } => *lag_threshold,
            Trigger::Prometheus { threshold, .. } => *threshold,
        }
    }

    /// The operator's polling loop: is any trigger active? Returns the
    /// replica count KEDA itself writes (only for scaling to and from zero).
    pub fn poll(&mut self, w: &World<'_>, replicas: i32) -> Option<i32> {
        let active = (0..self.so.triggers.len()).any(|i| {
            let activation = match &self.so.triggers[i] {
                Trigger::NatsJetStream {
                    activation_lag_threshold,
                    ..
                } => *activation_lag_threshold,
                Trigger::Prometheus {
                    activation_threshold,
                    ..
                } => *activation_threshold,
            };
            self.scaler_value(i, w).is_ok_and(|v| v > activation)
        });
        self.active = active;
        if active {
            self.last_active_ms = Some(w.t);
        }
        if self.so.min_replica_count > 0 {
            return None;
        }
        let cooled = self
            .last_active_ms
            .is_none_or(|a| w.t - a >= i64::from(self.so.cooldown_period_s) * 1000);
        match (active, replicas) {
            (true, 0) => Some(1),
            (false, r) if r > 0 && cooled => Some(0),
            _ => None,
        }
    }
}

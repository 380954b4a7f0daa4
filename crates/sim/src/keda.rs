//! The KEDA operator and metrics adapter for one ScaledObject: scaler
//! values for its HPA, failure counting with fallback, the Active state and
//! (with minReplicaCount 0) scaling to and from zero after the cooldown.

use std::time::Duration;

use crate::clock::every;
use crate::manifests::{KNOWN_QUERIES, ScaledObject, Trigger};
use crate::pipelines::Readings;

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
    fn scaler_value(&self, i: usize, w: &Readings<'_>) -> Result<f64, String> {
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
    pub fn metric_for_hpa(&mut self, i: usize, w: &Readings<'_>) -> Option<f64> {
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

    /// The operator's polling loop, every `pollingInterval` (half a second
    /// into the run): it may write the scale target's replica count.
    pub fn step(&mut self, w: &Readings<'_>, replicas: &mut i32) {
        let interval = Duration::from_secs(u64::from(self.so.polling_interval_s.max(1)));
        if every(w.t, interval, 500)
            && let Some(r) = self.poll(w, *replicas)
        {
            *replicas = r;
        }
    }

    /// One poll: is any trigger active? Returns the replica count KEDA
    /// itself writes (only for scaling to and from zero).
    fn poll(&mut self, w: &Readings<'_>, replicas: i32) -> Option<i32> {
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

//! The backend app in each pod: it pulls messages from the consumer up to
//! its concurrency, computes each under the container's CFS CPU quota, then
//! waits on the image API and acks. This is the one model of how messages
//! turn into CPU and acks; the rest of the world sees only the queue's
//! counts and the pods' counters.

use crate::clock::TICK_MS;
use crate::queue::Queue;
use crate::rng::Rng;
use crate::scenario::Backend;
use crate::workload::Pod;

/// A tick is one CFS period, in seconds.
const PERIOD_S: f64 = TICK_MS as f64 / 1000.0;

/// One message a pod holds.
#[derive(Debug, Clone)]
pub struct Work {
    seq: u64,
    cpu_left: f64,
    api_until: Option<i64>,
}

/// The app's workers in every pod, with the draws of the image API's latency.
#[derive(Debug)]
pub struct Workers {
    spec: Backend,
    rng: Rng,
}

impl Workers {
    pub fn new(spec: &Backend, rng: Rng) -> Workers {
        Workers {
            spec: spec.clone(),
            rng,
        }
    }

    /// One CFS period ending at `t` in every running pod, in pod order (the
    /// order in which they pull from the consumer).
    pub fn step(&mut self, t: i64, pods: &mut [Pod], queue: &mut Queue) {
        let spec = &self.spec;
        let dt = PERIOD_S;
        for pod in pods.iter_mut().filter(|p| p.is_running()) {
            // The app pulls work only once it is up (its readiness probe passes).
            if pod.is_ready() {
                while pod.work.len() < spec.concurrency as usize {
                    let Some(seq) = queue.fetch(t) else { break };
                    pod.work.push(Work {
                        seq,
                        cpu_left: spec.cpu_per_message,
                        api_until: None,
                    });
                }
            }
            // CFS: in each period the computing workers want up to
            // `burstCores` each; beyond the quota (limit × period) the
            // cgroup is throttled for the rest of the period, and everyone's
            // progress shrinks in proportion.
            let want: f64 = pod
                .work
                .iter()
                .filter(|w| w.api_until.is_none())
                .map(|w| w.cpu_left.min(spec.burst_cores * dt))
                .sum();
            let quota = spec.cpu_limit * dt;
            let consumed = want.min(quota);
            let progress = if want > 0.0 { consumed / want } else { 0.0 };
            let c = &mut pod.counters;
            c.cpu_seconds += consumed + spec.idle_cpu * dt;
            c.periods += 1;
            if want > quota + 1e-12 {
                c.throttled_periods += 1;
                c.throttled_seconds += dt * (1.0 - quota / want);
            }
            let latency = spec.api_latency.as_secs_f64();
            let jitter = spec.api_jitter.as_secs_f64();
            let mut done = Vec::new();
            for w in &mut pod.work {
                match w.api_until {
                    None => {
                        w.cpu_left -= w.cpu_left.min(spec.burst_cores * dt) * progress;
                        if w.cpu_left <= 1e-12 {
                            let wait = self.rng.around(latency, jitter).max(0.0);
                            w.api_until = Some(t + (wait * 1000.0) as i64);
                        }
                    }
                    Some(until) if until <= t => done.push(w.seq),
                    Some(_) => {}
                }
            }
            for seq in &done {
                queue.ack(*seq);
                c.successes += 1;
            }
            pod.work.retain(|w| !done.contains(&w.seq));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::tests::spec;
    use crate::scenario::Scenario;
    use crate::workload::Workload;

    #[test]
    fn a_ready_pod_works_its_concurrency_throttled_then_acks() {
        let backend = Scenario::load("conflict").expect("bundled").file.backend;
        let mut work = Workload::new(&backend, Rng::new(1));
        let mut workers = Workers::new(&backend, Rng::new(2));
        let mut queue = Queue::new(&spec());
        for _ in 0..20 {
            queue.publish();
        }
        work.reconcile(0);
        let mut t = 0;
        loop {
            t += TICK_MS;
            work.lifecycle(t);
            if work.pods[0].is_ready() {
                break;
            }
            workers.step(t, &mut work.pods, &mut queue);
            assert_eq!(
                queue.delivered, 0,
                "no pulls before the readiness probe passes"
            );
        }
        workers.step(t, &mut work.pods, &mut queue);
        let held = u64::from(backend.concurrency);
        assert_eq!(
            (queue.num_ack_pending(), queue.num_pending()),
            (held, 20 - held)
        );
        let ready_at = t;
        while t < ready_at + 15_000 {
            t += TICK_MS;
            workers.step(t, &mut work.pods, &mut queue);
        }
        let c = work.pods[0].counters;
        assert!(queue.acked >= held, "acked {}", queue.acked);
        assert_eq!(c.successes, queue.acked);
        assert!(
            c.throttled_periods > 0,
            "{backend:?} computes over its CPU limit"
        );
    }
}

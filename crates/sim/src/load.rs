//! The load generator: concurrent `nats pub` clients, each sending its
//! share of a burst at its own steady rate.

use crate::queue::Queue;
use crate::scenario::LoadStep;

/// One publishing client: `left` messages, one every `interval_ms`.
#[derive(Debug, Clone)]
struct Publisher {
    next_ms: i64,
    interval_ms: f64,
    sent: u64,
    left: u64,
}

/// Every client of every burst in the scenario.
#[derive(Debug, Clone)]
pub struct Load {
    publishers: Vec<Publisher>,
}

impl Load {
    pub fn new(steps: &[LoadStep]) -> Load {
        let mut publishers = Vec::new();
        for step in steps {
            let per = step.messages / u64::from(step.publishers);
            let extra = step.messages % u64::from(step.publishers);
            let interval_ms = 1000.0 / step.rate_per_publisher;
            for p in 0..u64::from(step.publishers) {
                publishers.push(Publisher {
                    // Clients start staggered across one interval, as
                    // concurrent `nats pub` loops do.
                    next_ms: step.at.as_millis() as i64
                        + (interval_ms * p as f64 / f64::from(step.publishers)) as i64,
                    interval_ms,
                    sent: 0,
                    left: per + u64::from(p < extra),
                });
            }
        }
        Load { publishers }
    }

    /// Publishes, client by client, everything due by `t`.
    pub fn step(&mut self, t: i64, queue: &mut Queue) {
        for p in &mut self.publishers {
            while p.left > 0 && p.next_ms <= t {
                queue.publish();
                p.left -= 1;
                p.sent += 1;
                p.next_ms = p.next_ms.max(0) + p.interval_ms as i64;
            }
        }
    }

    pub fn published(&self) -> u64 {
        self.publishers.iter().map(|p| p.sent).sum()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::queue::tests::spec;

    #[test]
    fn publishers_send_their_share_at_their_rate() {
        let mut load = Load::new(&[LoadStep {
            at: Duration::from_secs(10),
            messages: 10,
            publishers: 3,
            rate_per_publisher: 1.0,
        }]);
        let mut q = Queue::new(&spec());
        load.step(9_999, &mut q);
        assert_eq!(q.num_pending(), 0);
        load.step(10_999, &mut q);
        assert_eq!(q.num_pending(), 3, "one per publisher in the first second");
        load.step(60_000, &mut q);
        assert_eq!((q.num_pending(), load.published()), (10, 10));
        assert_eq!(q.last_seq(), 10);
    }
}

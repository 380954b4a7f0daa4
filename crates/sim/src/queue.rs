//! The JetStream work queue: a stream with work-queue retention and one
//! durable pull consumer, with ack waits, redeliveries and max deliveries.

use std::collections::{BTreeMap, VecDeque};

use crate::scenario::{LoadStep, Queue as QueueSpec};

#[derive(Debug, Clone, Copy)]
struct Msg {
    seq: u64,
    deliveries: u32,
}

#[derive(Debug, Clone, Copy)]
struct InFlight {
    deliveries: u32,
    deadline_ms: i64,
}

/// One publishing client: `left` messages, one every `interval_ms`.
#[derive(Debug, Clone)]
struct Publisher {
    next_ms: i64,
    interval_ms: f64,
    sent: u64,
    left: u64,
}

#[derive(Debug, Clone)]
pub struct Queue {
    ack_wait_ms: i64,
    max_deliver: u32,
    next_seq: u64,
    pending: VecDeque<Msg>,
    in_flight: BTreeMap<u64, InFlight>,
    publishers: Vec<Publisher>,
    /// Consumer sequence: every delivery, first or not.
    pub delivered: u64,
    /// Highest stream sequence delivered.
    pub delivered_stream_seq: u64,
    pub acked: u64,
    pub redeliveries: u64,
    /// Messages dropped after `maxDeliver` deliveries.
    pub dropped: u64,
}

impl Queue {
    pub fn new(spec: &QueueSpec, load: &[LoadStep]) -> Queue {
        let mut publishers = Vec::new();
        for step in load {
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
        Queue {
            ack_wait_ms: spec.ack_wait.as_millis() as i64,
            max_deliver: spec.max_deliver,
            next_seq: 1,
            pending: VecDeque::new(),
            in_flight: BTreeMap::new(),
            publishers,
            delivered: 0,
            delivered_stream_seq: 0,
            acked: 0,
            redeliveries: 0,
            dropped: 0,
        }
    }

    /// Publishes what is due by `t`, and puts messages whose ack wait ran
    /// out back at the head of the queue (or drops them after maxDeliver).
    pub fn step(&mut self, t: i64) {
        for p in &mut self.publishers {
            while p.left > 0 && p.next_ms <= t {
                self.pending.push_back(Msg {
                    seq: self.next_seq,
                    deliveries: 0,
                });
                self.next_seq += 1;
                p.left -= 1;
                p.sent += 1;
                p.next_ms = p.next_ms.max(0) + p.interval_ms as i64;
            }
        }
        let expired: Vec<u64> = self
            .in_flight
            .iter()
            .filter(|(_, f)| f.deadline_ms <= t)
            .map(|(&s, _)| s)
            .collect();
        for seq in expired.into_iter().rev() {
            let Some(f) = self.in_flight.remove(&seq) else {
                continue;
            };
            if f.deliveries >= self.max_deliver {
                self.dropped += 1;
            } else {
                self.pending.push_front(Msg {
                    seq,
                    deliveries: f.deliveries,
                });
            }
        }
    }

    /// A pull: the next message for a worker, now in flight until acked or
    /// until its ack wait runs out.
    pub fn fetch(&mut self, t: i64) -> Option<u64> {
        let m = self.pending.pop_front()?;
        let deliveries = m.deliveries + 1;
        if deliveries > 1 {
            self.redeliveries += 1;
        }
        self.delivered += 1;
        self.delivered_stream_seq = self.delivered_stream_seq.max(m.seq);
        self.in_flight.insert(
            m.seq,
            InFlight {
                deliveries,
                deadline_ms: t + self.ack_wait_ms,
            },
        );
        Some(m.seq)
    }

    /// An ack: the message leaves the stream (work-queue retention). A late
    /// ack for a message already redelivered elsewhere is ignored.
    pub fn ack(&mut self, seq: u64) {
        if self.in_flight.remove(&seq).is_some() {
            self.acked += 1;
        }
    }

    pub fn num_pending(&self) -> u64 {
        self.pending.len() as u64
    }

    pub fn num_ack_pending(&self) -> u64 {
        self.in_flight.len() as u64
    }

    /// In-flight messages delivered more than once (NATS' `num_redelivered`).
    pub fn num_redelivered(&self) -> u64 {
        self.in_flight.values().filter(|f| f.deliveries > 1).count() as u64
    }

    /// Messages in the stream: with work-queue retention, the ones not yet acked.
    pub fn stream_messages(&self) -> u64 {
        self.num_pending() + self.num_ack_pending()
    }

    pub fn last_seq(&self) -> u64 {
        self.next_seq - 1
    }

    pub fn published(&self) -> u64 {
        self.publishers.iter().map(|p| p.sent).sum()
    }

    /// Lowest stream sequence still in the stream (the last one + 1 when empty).
    pub fn first_seq(&self) -> u64 {
        let pending = self.pending.iter().map(|m| m.seq).min();
        let flying = self.in_flight.keys().next().copied();
        pending
            .into_iter()
            .chain(flying)
            .min()
            .unwrap_or(self.next_seq)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn spec() -> QueueSpec {
        QueueSpec {
            stream: "MEMES".into(),
            subject: "meme.request".into(),
            consumer: "meme-generator".into(),
            ack_wait: Duration::from_secs(30),
            max_deliver: 2,
            server_name: "nats-0".into(),
        }
    }

    #[test]
    fn publishers_send_their_share_at_their_rate() {
        let load = [LoadStep {
            at: Duration::from_secs(10),
            messages: 10,
            publishers: 3,
            rate_per_publisher: 1.0,
        }];
        let mut q = Queue::new(&spec(), &load);
        q.step(9_999);
        assert_eq!(q.num_pending(), 0);
        q.step(10_999);
        assert_eq!(q.num_pending(), 3, "one per publisher in the first second");
        q.step(60_000);
        assert_eq!(q.num_pending(), 10);
        assert_eq!(q.last_seq(), 10);
    }

    #[test]
    fn unacked_messages_come_back_then_drop_after_max_deliver() {
        let load = [LoadStep {
            at: Duration::ZERO,
            messages: 1,
            publishers: 1,
            rate_per_publisher: 1.0,
        }];
        let mut q = Queue::new(&spec(), &load);
        q.step(0);
        assert_eq!(q.fetch(0), Some(1));
        assert_eq!((q.num_pending(), q.num_ack_pending()), (0, 1));
        q.step(30_000);
        assert_eq!(
            (q.num_pending(), q.num_ack_pending()),
            (1, 0),
            "ack wait ran out"
        );
        assert_eq!(q.fetch(30_000), Some(1));
        assert_eq!((q.redeliveries, q.num_redelivered()), (1, 1));
        q.step(60_000);
        assert_eq!((q.num_pending(), q.dropped), (0, 1), "maxDeliver 2 reached");
    }

    #[test]
    fn acks_remove_messages_from_the_stream() {
        let load = [LoadStep {
            at: Duration::ZERO,
            messages: 2,
            publishers: 1,
            rate_per_publisher: 10.0,
        }];
        let mut q = Queue::new(&spec(), &load);
        q.step(1_000);
        let a = q.fetch(1_000).expect("message");
        q.ack(a);
        assert_eq!((q.stream_messages(), q.acked, q.first_seq()), (1, 1, 2));
    }
}

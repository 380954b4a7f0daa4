//! The JetStream work queue: a stream with work-queue retention and one
//! durable pull consumer, with ack waits, redeliveries and max deliveries.

use std::collections::{BTreeMap, VecDeque};

use crate::scenario::Queue as QueueSpec;

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

#[derive(Debug, Clone)]
pub struct Queue {
    ack_wait_ms: i64,
    max_deliver: u32,
    next_seq: u64,
    pending: VecDeque<Msg>,
    in_flight: BTreeMap<u64, InFlight>,
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
    pub fn new(spec: &QueueSpec) -> Queue {
        Queue {
            ack_wait_ms: spec.ack_wait.as_millis() as i64,
            max_deliver: spec.max_deliver,
            next_seq: 1,
            pending: VecDeque::new(),
            in_flight: BTreeMap::new(),
            delivered: 0,
            delivered_stream_seq: 0,
            acked: 0,
            redeliveries: 0,
            dropped: 0,
        }
    }

    /// A published message joins the end of the queue.
    pub fn publish(&mut self) {
        self.pending.push_back(Msg {
            seq: self.next_seq,
            deliveries: 0,
        });
        self.next_seq += 1;
    }

    /// Puts messages whose ack wait ran out by `t` back at the head of the
    /// queue, or drops them after maxDeliver deliveries.
    pub fn redeliver(&mut self, t: i64) {
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
pub(crate) mod tests {
    use std::time::Duration;

    use super::*;

    pub(crate) fn spec() -> QueueSpec {
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
    fn unacked_messages_come_back_then_drop_after_max_deliver() {
        let mut q = Queue::new(&spec());
        q.publish();
        assert_eq!(q.fetch(0), Some(1));
        assert_eq!((q.num_pending(), q.num_ack_pending()), (0, 1));
        q.redeliver(30_000);
        assert_eq!(
            (q.num_pending(), q.num_ack_pending()),
            (1, 0),
            "ack wait ran out"
        );
        assert_eq!(q.fetch(30_000), Some(1));
        assert_eq!((q.redeliveries, q.num_redelivered()), (1, 1));
        q.redeliver(60_000);
        assert_eq!((q.num_pending(), q.dropped), (0, 1), "maxDeliver 2 reached");
    }

    #[test]
    fn acks_remove_messages_from_the_stream() {
        let mut q = Queue::new(&spec());
        q.publish();
        q.publish();
        let a = q.fetch(1_000).expect("message");
        q.ack(a);
        assert_eq!((q.stream_messages(), q.acked, q.first_seq()), (1, 1, 2));
    }
}

//! resourceVersions that only grow, though the replay clock jumps.
//!
//! In the timeline a resourceVersion names a prefix of the recording's
//! history ([`super::timeline`]): after a seek backwards the same numbers
//! would come round again, smaller than what clients hold, and kube-rs and
//! client-go resume watches from the largest one they saw. So the served
//! number is `epoch × stride + local`: `local` the timeline's, `epoch` how
//! many times the clock has jumped ([`crate::clock::Clock::jumps`]) and
//! `stride` the first power of ten above every local one. Each jump starts
//! a range above all earlier ones; within one the clock only plays forward,
//! so the numbers grow with it. A served number still names one state of
//! the recording (its `local` part), from whichever epoch: a client
//! resuming from it is told exactly what changed since.

use serde_json::Value;

use super::shift::shifted;
use super::timeline::Timeline;
use crate::clock::Mapping;
use crate::server::AppState;

/// The replay's "now" as the Kubernetes API serves it: the clock's mapping,
/// its epoch, and the state of the recording at the position.
#[derive(Debug, Clone, Copy)]
pub struct Now {
    /// The clock's mapping when it was read.
    pub mapping: Mapping,
    /// The clock's jumps so far.
    pub epoch: u64,
    /// The timeline's resourceVersion of the state at the position.
    pub local: u64,
    stride: u64,
}

impl Now {
    /// Reads the clock once, so the mapping and the epoch agree.
    pub fn take(app: &AppState) -> Now {
        let (mapping, epoch) = app.with_clock(|c| {
            let m = c.mapping();
            (m, c.jumps())
        });
        Now::at(&app.objects, mapping, epoch)
    }

    /// The "now" of `timeline` under `mapping`, after `epoch` jumps; for
    /// callers that already read the clock.
    pub fn at(timeline: &Timeline, mapping: Mapping, epoch: u64) -> Now {
        Now {
            local: timeline.rv_at(mapping.position),
            stride: stride(timeline),
            mapping,
            epoch,
        }
    }

    /// The same state and epoch with times shifted by another mapping (a
    /// watch's, as its client last saw them).
    pub fn with_mapping(&self, mapping: Mapping) -> Now {
        Now { mapping, ..*self }
    }

    /// The served resourceVersion of the timeline's `local` one.
    pub fn served(&self, local: u64) -> u64 {
        self.epoch
            .saturating_mul(self.stride)
            .saturating_add(local % self.stride)
    }

    /// The served resourceVersion of the state at the position: what a
    /// list says and what a bookmark carries.
    pub fn rv(&self) -> u64 {
        self.served(self.local)
    }

    /// A client's resourceVersion as (epoch, the timeline's).
    pub fn decode(&self, served: u64) -> (u64, u64) {
        (served / self.stride, served % self.stride)
    }

    /// A recorded object as served now: times shifted, resourceVersion in
    /// this epoch.
    pub fn object(&self, o: &Value) -> Value {
        let mut v = shifted(o, &self.mapping);
        if let Some(meta) = v.get_mut("metadata") {
            self.restamp(meta, None);
        }
        v
    }

    /// Like [`Now::object`], with `local` as its resourceVersion: a watch
    /// sends an object it drops with the version of the moment it is gone.
    pub fn object_at(&self, o: &Value, local: u64) -> Value {
        let mut v = shifted(o, &self.mapping);
        if let Some(meta) = v.get_mut("metadata") {
            self.restamp(meta, Some(local));
        }
        v
    }

    /// Recorded metadata as served now (a Table row's).
    pub fn metadata(&self, metadata: &Value) -> Value {
        let mut v = shifted(metadata, &self.mapping);
        self.restamp(&mut v, None);
        v
    }

    fn restamp(&self, metadata: &mut Value, local: Option<u64>) {
        let Some(meta) = metadata.as_object_mut() else {
            return;
        };
        let local = local.or_else(|| meta.get("resourceVersion")?.as_str()?.parse().ok());
        if let Some(local) = local {
            meta.insert(
                "resourceVersion".into(),
                Value::from(self.served(local).to_string()),
            );
        }
    }
}

/// The first power of ten above every resourceVersion of the timeline, so
/// that a served number reads as epoch and local side by side in decimal
/// (`31042`: epoch 3, version 1042).
fn stride(timeline: &Timeline) -> u64 {
    let digits = timeline.last_rv().checked_ilog10().map_or(1, |d| d + 1);
    10u64.checked_pow(digits).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn now(epoch: u64, position: i64) -> Now {
        crate::kube::fixtures::now(&Timeline::new(Vec::new()), epoch, position)
    }

    #[test]
    fn every_epoch_serves_numbers_above_the_last() {
        let (first, second) = (now(0, 0), now(1, 0));
        assert_eq!(first.stride, 10_000, "above 1000, the empty history");
        assert!(second.served(1000) > first.served(9999));
        assert_eq!(second.decode(second.served(1042)), (1, 1042));
        let o = second.object(&json!({"metadata": {"name": "a", "resourceVersion": "1042"}}));
        assert_eq!(o["metadata"]["resourceVersion"], "11042");
        let gone = second.object_at(&o, 1050);
        assert_eq!(gone["metadata"]["resourceVersion"], "11050");
        let status = json!({"kind": "Status"});
        assert_eq!(first.object(&status), status, "nothing to restamp");
    }
}

//! What the Kubernetes API's unit tests build their timelines from.

use serde_json::json;
use understudy_core::{ObjectRevision, WatchEvent};

use super::timeline::Timeline;
use super::versions::Now;
use crate::clock::Mapping;

/// A revision of Pod `ns/name` in `phase`, observed at `at`.
pub(crate) fn pod(at: i64, event: WatchEvent, name: &str, phase: &str) -> ObjectRevision {
    ObjectRevision {
        observed_ms: at,
        server_time_ms: None,
        kind: "Pod".into(),
        api_version: "v1".into(),
        namespace: Some("ns".into()),
        name: Some(name.into()),
        uid: None,
        resource_version: None,
        event,
        object: Some(
            json!({"apiVersion": "v1", "kind": "Pod",
                   "metadata": {"name": name, "namespace": "ns"},
                   "status": {"phase": phase}})
            .to_string(),
        ),
    }
}

/// The replay standing at `position` (unshifted) in `epoch`.
pub(crate) fn now(t: &Timeline, epoch: u64, position: i64) -> Now {
    let mapping = Mapping {
        position,
        anchor_wall: 0,
        anchor_pos: 0,
        speed: 1.0,
        no_shift: true,
        now_wall: 0,
    };
    Now::at(t, mapping, epoch)
}

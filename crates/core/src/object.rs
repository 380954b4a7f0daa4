use std::fmt;
use std::str::FromStr;

/// What a watch said about an object, or a relist marker.
///
/// `RELIST_START`/`RELIST_END` bracket a (re)list of one kind in one namespace
/// (or all namespaces). Inside, writers record only differences from what
/// they recorded before — new objects `ADDED`, changed ones `MODIFIED`,
/// vanished ones `DELETED` at `RELIST_END` — so applying rows in order always
/// gives the server's state, without duplicates (docs/recording-format.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WatchEvent {
    /// The object appeared (on a watch, or new in a relist).
    Added,
    /// The object changed; the row holds the whole new object.
    Modified,
    /// The object is gone; the row holds its last state when known.
    Deleted,
    /// A (re)list of the marker's kind and namespace begins.
    RelistStart,
    /// The (re)list is complete; objects it did not see are recorded
    /// [`Deleted`](WatchEvent::Deleted) at the same time.
    RelistEnd,
}

impl WatchEvent {
    /// Every event, for parsing and exhaustive tests.
    pub const ALL: [WatchEvent; 5] = [
        WatchEvent::Added,
        WatchEvent::Modified,
        WatchEvent::Deleted,
        WatchEvent::RelistStart,
        WatchEvent::RelistEnd,
    ];

    /// The spelling stored in recordings (Kubernetes' own for watch events).
    pub fn as_str(self) -> &'static str {
        match self {
            WatchEvent::Added => "ADDED",
            WatchEvent::Modified => "MODIFIED",
            WatchEvent::Deleted => "DELETED",
            WatchEvent::RelistStart => "RELIST_START",
            WatchEvent::RelistEnd => "RELIST_END",
        }
    }
}

impl fmt::Display for WatchEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for WatchEvent {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        WatchEvent::ALL
            .into_iter()
            .find(|e| e.as_str() == s)
            .ok_or_else(|| format!("unknown watch event type {s:?}"))
    }
}

/// One observed revision of a Kubernetes object (or an Event), or a relist marker.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectRevision {
    /// When the recorder saw it (ms since the epoch, UTC).
    pub observed_ms: i64,
    /// The server's own time for this revision where the object carries one
    /// (an Event's `lastTimestamp`, a condition's transition), else `None`.
    pub server_time_ms: Option<i64>,
    /// The object's `kind` (`Pod`, `HorizontalPodAutoscaler`, `Event`);
    /// for markers, the kind being relisted.
    pub kind: String,
    /// The object's `apiVersion` (`v1`, `autoscaling/v2`).
    pub api_version: String,
    /// `None` for cluster-scoped objects, and for markers covering all namespaces.
    pub namespace: Option<String>,
    /// `None` only for relist markers.
    pub name: Option<String>,
    /// `metadata.uid`: tells a recreated object from its namesake; `None`
    /// for markers.
    pub uid: Option<String>,
    /// `metadata.resourceVersion`, opaque as Kubernetes says (compare for
    /// equality only); `None` for markers.
    pub resource_version: Option<String>,
    /// What happened, or which marker this is.
    pub event: WatchEvent,
    /// The full object as JSON (`managedFields` dropped); `None` for markers.
    pub object: Option<String>,
}

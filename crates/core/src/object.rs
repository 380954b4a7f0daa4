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
    Added,
    Modified,
    Deleted,
    RelistStart,
    RelistEnd,
}

impl WatchEvent {
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
    pub kind: String,
    pub api_version: String,
    /// `None` for cluster-scoped objects, and for markers covering all namespaces.
    pub namespace: Option<String>,
    /// `None` only for relist markers.
    pub name: Option<String>,
    pub uid: Option<String>,
    pub resource_version: Option<String>,
    pub event: WatchEvent,
    /// The full object as JSON (`managedFields` dropped); `None` for markers.
    pub object: Option<String>,
}

use serde::{Deserialize, Serialize};

/// A span during which a source did not observe: the source was down, a watch
/// was relisting, or the recorder itself was not running.
///
/// Replay shows "no data" for it, never a flat line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    /// The source's instance name (`prometheus[0]`), or `recorder`.
    pub source: String,
    /// When observation stopped: the source's last moment known good (the
    /// failure, or the recorder's last flush).
    pub start_ms: i64,
    /// When observation resumed; `None` while the gap is open
    /// (the source is still down when the recording ends).
    pub end_ms: Option<i64>,
    /// Why, in words a user can act on.
    pub reason: String,
}

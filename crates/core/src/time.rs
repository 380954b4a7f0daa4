use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch (UTC), the one clock of a recording.
pub fn now_ms() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        // A clock before 1970 is a broken clock; recording at 0 keeps order.
        Err(_) => 0,
    }
}

/// RFC 3339 as Kubernetes writes it (`2025-10-14T18:40:07Z`,
/// `…07.123456Z`) in ms since the epoch; `None` when it is not one.
pub fn parse_rfc3339_ms(s: &str) -> Option<i64> {
    let t = humantime::parse_rfc3339_weak(s).ok()?;
    let d = t.duration_since(UNIX_EPOCH).ok()?;
    i64::try_from(d.as_millis()).ok()
}

/// A closed time range `[start, end]` in milliseconds, both ends included —
/// the convention of Prometheus range selectors in 2.42.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    /// First instant, ms since the epoch, included.
    pub start: i64,
    /// Last instant, ms since the epoch, included; a range with `end <
    /// start` contains nothing.
    pub end: i64,
}

impl TimeRange {
    /// Every representable time.
    pub const ALL: TimeRange = TimeRange {
        start: i64::MIN,
        end: i64::MAX,
    };

    /// `[start, end]` in ms, both included; not checked for order.
    pub fn new(start: i64, end: i64) -> Self {
        TimeRange { start, end }
    }

    /// Its length in seconds.
    pub fn seconds(&self) -> f64 {
        (self.end - self.start) as f64 / 1e3
    }

    /// Whether `t` (ms) lies in the range, either edge included.
    pub fn contains(&self, t: i64) -> bool {
        self.start <= t && t <= self.end
    }

    /// Whether `[start, end]` shares at least one instant with this range.
    pub fn overlaps(&self, start: i64, end: i64) -> bool {
        start <= self.end && self.start <= end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_includes_both_edges() {
        let r = TimeRange::new(10, 20);
        assert!(r.contains(10) && r.contains(20));
        assert!(!r.contains(9) && !r.contains(21));
        assert!(r.overlaps(20, 30) && r.overlaps(0, 10));
        assert!(!r.overlaps(21, 30));
    }
}

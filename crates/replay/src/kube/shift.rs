//! Object timestamps moved like samples: recording time `r` shows at
//! `Mapping::display(r)`, so AGE, "2m ago" and `kubectl describe` read as
//! they did live.

use serde_json::Value;

use crate::clock::Mapping;

/// Fields that hold a time, by name: `creationTimestamp`,
/// `lastTransitionTime`, `lastScaleTime`, `eventTime`, `startedAt`, a
/// metric value's `timestamp`, …
fn is_time_field(key: &str) -> bool {
    key.ends_with("Timestamp")
        || key.ends_with("Time")
        || key == "startedAt"
        || key == "finishedAt"
        || key == "timestamp"
}

/// A copy of `v` with every time field shifted.
pub fn shifted(v: &Value, m: &Mapping) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(s) if is_time_field(k) => {
                            Value::String(shift_time(s, m).unwrap_or_else(|| s.clone()))
                        }
                        other => shifted(other, m),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|i| shifted(i, m)).collect()),
        other => other.clone(),
    }
}

/// `2025-10-27T17:21:19Z` (or with microseconds) moved to display time,
/// in the same precision.
pub fn shift_time(s: &str, m: &Mapping) -> Option<String> {
    let t = humantime::parse_rfc3339_weak(s).ok()?;
    let ms = i64::try_from(t.duration_since(std::time::UNIX_EPOCH).ok()?.as_millis()).ok()?;
    let delta = m.display(ms) - ms;
    let moved = if delta >= 0 {
        t.checked_add(std::time::Duration::from_millis(delta as u64))?
    } else {
        t.checked_sub(std::time::Duration::from_millis(delta.unsigned_abs()))?
    };
    Some(if s.contains('.') {
        humantime::format_rfc3339_micros(moved).to_string()
    } else {
        humantime::format_rfc3339_seconds(moved).to_string()
    })
}

/// RFC 3339 in UTC: whole seconds, or microseconds (metav1.MicroTime).
pub fn format_time(ms: i64, micros: bool) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms.max(0) as u64);
    if micros {
        humantime::format_rfc3339_micros(t).to_string()
    } else {
        humantime::format_rfc3339_seconds(t).to_string()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn mapping(offset: i64) -> Mapping {
        Mapping {
            position: 0,
            anchor_wall: offset,
            anchor_pos: 0,
            speed: 1.0,
            no_shift: false,
            now_wall: offset,
        }
    }

    #[test]
    fn every_time_field_moves_and_nothing_else() {
        let pod = json!({"metadata": {"name": "a", "creationTimestamp": "2025-10-27T17:20:00Z",
                                      "annotations": {"note": "2025-10-27T17:20:00Z"}},
                         "status": {"conditions": [{"lastTransitionTime": "2025-10-27T17:21:00Z", "lastProbeTime": null}],
                                    "containerStatuses": [{"state": {"running": {"startedAt": "2025-10-27T17:21:30Z"}}}]},
                         "eventTime": "2025-10-27T17:21:30.123456Z"});
        let s = shifted(&pod, &mapping(3_600_000));
        assert_eq!(s["metadata"]["creationTimestamp"], "2025-10-27T18:20:00Z");
        assert_eq!(s["metadata"]["annotations"]["note"], "2025-10-27T17:20:00Z");
        assert_eq!(
            s["status"]["conditions"][0]["lastTransitionTime"],
            "2025-10-27T18:21:00Z"
        );
        assert_eq!(s["status"]["conditions"][0]["lastProbeTime"], Value::Null);
        assert_eq!(
            s["status"]["containerStatuses"][0]["state"]["running"]["startedAt"],
            "2025-10-27T18:21:30Z"
        );
        assert_eq!(s["eventTime"], "2025-10-27T18:21:30.123456Z");
    }
}

//! What the recorder knows of one watched scope (a kind in a namespace, or
//! in all namespaces), and the revisions a watch event turns into.
//!
//! Relists (the first list, a 410 Gone, a reconnect of the recorder) are
//! bracketed by `RELIST_START`/`RELIST_END` and recorded as differences
//! against what was recorded before: new and changed objects as `ADDED`/
//! `MODIFIED`, unchanged ones not again, and objects that vanished while
//! nobody watched as `DELETED` (their last known JSON) at `RELIST_END`.
//! A reader that applies the rows in order therefore always holds the
//! server's state, without duplicates.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::Value;
use understudy_core::{ObjectRevision, WatchEvent};

/// The last recorded revision of one object.
#[derive(Debug, Clone)]
struct Known {
    uid: String,
    resource_version: String,
    json: Arc<str>,
}

/// One watched kind in one namespace (or all namespaces).
#[derive(Debug)]
pub struct Scope {
    /// The kind's `v1` or `group/version`.
    pub api_version: String,
    /// The watched Kind.
    pub kind: String,
    /// `None`: all namespaces (or a cluster-scoped kind).
    pub namespace: Option<String>,
    known: HashMap<(String, String), Known>,
    /// Keys listed so far while a relist is under way.
    relisting: Option<HashSet<(String, String)>>,
    /// When the relist under way began, until its marker is recorded.
    pending_start: Option<i64>,
}

/// A revision, and the object as JSON for whoever derives series from it.
#[derive(Debug)]
pub struct Change {
    /// The row to record.
    pub revision: ObjectRevision,
    /// The object the revision holds, parsed (the last known one for a
    /// `DELETED` found by a relist).
    pub object: Arc<Value>,
}

impl Scope {
    /// A scope that knows no objects yet; its first list records them all.
    pub fn new(api_version: &str, kind: &str, namespace: Option<&str>) -> Scope {
        Scope {
            api_version: api_version.to_owned(),
            kind: kind.to_owned(),
            namespace: namespace.map(str::to_owned),
            known: HashMap::new(),
            relisting: None,
            pending_start: None,
        }
    }

    /// How many objects the scope holds.
    pub fn len(&self) -> usize {
        self.known.len()
    }

    /// The objects as last recorded.
    pub fn objects(&self) -> impl Iterator<Item = Value> + '_ {
        self.known
            .values()
            .filter_map(|k| serde_json::from_str(&k.json).ok())
    }

    fn marker(&self, now: i64, event: WatchEvent) -> ObjectRevision {
        ObjectRevision {
            observed_ms: now,
            server_time_ms: None,
            kind: self.kind.clone(),
            api_version: self.api_version.clone(),
            namespace: self.namespace.clone(),
            name: None,
            uid: None,
            resource_version: None,
            event,
            object: None,
        }
    }

    /// A (re)list begins. Its `RELIST_START` is recorded with the first
    /// answer ([`Scope::start_marker`]): a list the server refuses (403)
    /// leaves no marker behind at every retry.
    pub fn relist_start(&mut self, now: i64) {
        self.relisting = Some(HashSet::new());
        self.pending_start = Some(now);
    }

    /// The `RELIST_START` of the relist under way, once.
    pub fn start_marker(&mut self) -> Option<ObjectRevision> {
        let at = self.pending_start.take()?;
        Some(self.marker(at, WatchEvent::RelistStart))
    }

    /// An object of a (re)list.
    pub fn relisted(&mut self, object: Value, now: i64) -> Vec<Change> {
        let key = key(&object);
        if let Some(seen) = self.relisting.as_mut() {
            seen.insert(key);
        }
        self.apply(object, now)
    }

    /// The end of a relist: what was not listed is gone.
    pub fn relist_end(&mut self, now: i64) -> (Vec<Change>, ObjectRevision) {
        let seen = self.relisting.take().unwrap_or_default();
        let mut gone: Vec<(String, String)> = self
            .known
            .keys()
            .filter(|k| !seen.contains(*k))
            .cloned()
            .collect();
        gone.sort();
        let removed: Vec<Known> = gone
            .into_iter()
            .filter_map(|k| self.known.remove(&k))
            .collect();
        let changes = removed
            .into_iter()
            .map(|old| {
                let object = Arc::new(serde_json::from_str(&old.json).unwrap_or(Value::Null));
                self.change(WatchEvent::Deleted, &object, old.json, now)
            })
            .collect();
        (changes, self.marker(now, WatchEvent::RelistEnd))
    }

    /// An object added or modified (the watch does not say which).
    pub fn apply(&mut self, object: Value, now: i64) -> Vec<Change> {
        let key = key(&object);
        let uid = str_at(&object, "uid").to_owned();
        let rv = str_at(&object, "resourceVersion").to_owned();
        let mut out = Vec::new();
        let event = match self.known.get(&key) {
            Some(k) if k.uid == uid && k.resource_version == rv => return out,
            Some(k) if k.uid == uid => WatchEvent::Modified,
            Some(_) => {
                // Deleted and re-created under the same name while unwatched.
                let old = self.known.remove(&key).expect("present");
                let previous = Arc::new(serde_json::from_str(&old.json).unwrap_or(Value::Null));
                out.push(self.change(WatchEvent::Deleted, &previous, old.json, now));
                WatchEvent::Added
            }
            None => WatchEvent::Added,
        };
        let json: Arc<str> = object.to_string().into();
        self.known.insert(
            key,
            Known {
                uid,
                resource_version: rv,
                json: Arc::clone(&json),
            },
        );
        out.push(self.change(event, &Arc::new(object), json, now));
        out
    }

    /// An object deleted.
    pub fn delete(&mut self, object: Value, now: i64) -> Vec<Change> {
        self.known.remove(&key(&object));
        let json: Arc<str> = object.to_string().into();
        vec![self.change(WatchEvent::Deleted, &Arc::new(object), json, now)]
    }

    fn change(&self, event: WatchEvent, object: &Arc<Value>, json: Arc<str>, now: i64) -> Change {
        let meta = &object["metadata"];
        let s = |k: &str| meta[k].as_str().map(str::to_owned);
        Change {
            revision: ObjectRevision {
                observed_ms: now,
                server_time_ms: server_time_ms(object),
                kind: self.kind.clone(),
                api_version: self.api_version.clone(),
                namespace: s("namespace"),
                name: s("name"),
                uid: s("uid"),
                resource_version: s("resourceVersion"),
                event,
                object: Some(json.to_string()),
            },
            object: Arc::clone(object),
        }
    }
}

fn key(object: &Value) -> (String, String) {
    (
        str_at(object, "namespace").to_owned(),
        str_at(object, "name").to_owned(),
    )
}

fn str_at<'a>(object: &'a Value, field: &str) -> &'a str {
    object["metadata"][field].as_str().unwrap_or_default()
}

/// The server's own time of this revision, where the object says: an
/// Event's last occurrence, else the newest status time (condition
/// transitions and updates, an HPA's last scale).
pub fn server_time_ms(object: &Value) -> Option<i64> {
    let ms = |v: &Value| v.as_str().and_then(understudy_core::parse_rfc3339_ms);
    if object["kind"] == "Event" {
        return [
            &object["series"]["lastObservedTime"],
            &object["lastTimestamp"],
            &object["deprecatedLastTimestamp"],
            &object["eventTime"],
            &object["firstTimestamp"],
        ]
        .into_iter()
        .find_map(ms);
    }
    let status = &object["status"];
    let conditions = status["conditions"].as_array().into_iter().flatten();
    conditions
        .flat_map(|c| [ms(&c["lastTransitionTime"]), ms(&c["lastUpdateTime"])])
        .chain([ms(&status["lastScaleTime"])])
        .flatten()
        .max()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn pod(name: &str, uid: &str, rv: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": name, "namespace": "ns", "uid": uid, "resourceVersion": rv}})
    }

    fn events(changes: &[Change]) -> Vec<(WatchEvent, String)> {
        changes
            .iter()
            .map(|c| {
                (
                    c.revision.event,
                    c.revision.name.clone().unwrap_or_default(),
                )
            })
            .collect()
    }

    #[test]
    fn a_relist_records_only_what_changed_while_unwatched() {
        let mut s = Scope::new("v1", "Pod", Some("ns"));
        s.relist_start(1);
        s.relist_start(1);
        assert!(s.start_marker().is_some(), "one marker for a retried list");
        assert!(s.start_marker().is_none());
        for p in [
            pod("a", "1", "10"),
            pod("b", "2", "11"),
            pod("c", "3", "12"),
        ] {
            assert_eq!(s.relisted(p, 1).len(), 1);
        }
        assert!(s.relist_end(1).0.is_empty());
        assert_eq!(
            events(&s.apply(pod("a", "1", "13"), 2)),
            [(WatchEvent::Modified, "a".into())]
        );
        // The watch is lost; meanwhile b is deleted, c re-created, d created.
        s.relist_start(3);
        assert_eq!(
            s.start_marker().map(|m| m.event),
            Some(WatchEvent::RelistStart)
        );
        assert!(
            s.relisted(pod("a", "1", "13"), 3).is_empty(),
            "unchanged: not again"
        );
        assert_eq!(
            events(&s.relisted(pod("c", "4", "20"), 3)),
            [
                (WatchEvent::Deleted, "c".into()),
                (WatchEvent::Added, "c".into())
            ]
        );
        assert_eq!(
            events(&s.relisted(pod("d", "5", "21"), 3)),
            [(WatchEvent::Added, "d".into())]
        );
        let (gone, end) = s.relist_end(3);
        assert_eq!(events(&gone), [(WatchEvent::Deleted, "b".into())]);
        assert_eq!(gone[0].revision.resource_version.as_deref(), Some("11"));
        assert_eq!(end.event, WatchEvent::RelistEnd);
        assert_eq!(s.len(), 3);
        assert_eq!(
            events(&s.delete(pod("d", "5", "22"), 4)),
            [(WatchEvent::Deleted, "d".into())]
        );
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn server_time_is_the_events_last_occurrence_or_the_newest_status_time() {
        let ev = json!({"kind": "Event", "lastTimestamp": "2025-10-14T18:40:07Z",
                        "firstTimestamp": "2025-10-14T18:00:00Z"});
        assert_eq!(server_time_ms(&ev), Some(1_760_467_207_000));
        let hpa = json!({"kind": "HorizontalPodAutoscaler", "status": {
            "lastScaleTime": "2025-10-14T18:40:00Z",
            "conditions": [{"lastTransitionTime": "2025-10-14T18:40:07Z"},
                           {"lastTransitionTime": "2025-10-14T18:30:00Z"}]}});
        assert_eq!(server_time_ms(&hpa), Some(1_760_467_207_000));
        assert_eq!(server_time_ms(&json!({"kind": "Pod"})), None);
    }
}

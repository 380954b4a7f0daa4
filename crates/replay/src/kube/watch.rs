//! What a watch sends: the events that move a client from the state it
//! holds to the state at the replay position.
//!
//! While the clock plays, that is every recorded change in between, as an
//! API server would send them, so a kube-rs watcher records the replay as
//! the original run. When the clock jumps (a seek either way, a loop
//! starting over) it is the net difference between the two states, one
//! event per object that differs: ADDED for objects the client has not got
//! (not created yet before a seek back, or deleted), DELETED for those it
//! has that are gone (as the client last saw them, or the recorded deletion
//! after a seek forward), MODIFIED with the revision at the new position
//! for the rest. Every intermediate revision of a ten-minute skip would
//! scroll a `kubectl get -w` pane for nothing; the net difference leaves it
//! showing the new position. Selectors apply as in the API server: an object
//! that leaves a watch's selection is DELETED for it, one that enters ADDED.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::Value;
use understudy_core::WatchEvent;
use understudy_kube_wire::{Filter, status};

use super::timeline::{Change, Timeline};
use super::versions::Now;
use crate::clock::Mapping;

/// One event of a watch stream, its object as served.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// `ADDED`, `MODIFIED` or `DELETED`, as the API server sends them
    /// (bookmarks and errors are written by the handler).
    pub kind: &'static str,
    /// The object, time-shifted, with the resourceVersion the replay gives it.
    pub object: Value,
    /// The display time its printed columns (a Table's AGE) are computed
    /// at: now, or for an object dropped as the client last saw it, when
    /// it last heard from the watch, so its row does not read `<invalid>`
    /// for an object created after the new "now".
    pub printed_at: i64,
}

impl Event {
    fn new(kind: &'static str, object: &Value, now: &Now) -> Event {
        Event {
            kind,
            object: now.object(object),
            printed_at: now.mapping.now_wall,
        }
    }
}

/// What one watch has told its client: the state at `local` in the
/// timeline, through `filter`, during the clock's `epoch`, its times
/// shifted by `seen`.
#[derive(Debug, Clone)]
pub struct Watcher {
    filter: Filter,
    epoch: u64,
    local: u64,
    seen: Mapping,
}

impl Watcher {
    /// A watch from the client's resourceVersion (`None` or `0`: the
    /// current state, as ADDED), and its first events. A version from an
    /// earlier epoch still names a state of the recording: the client is
    /// told what differs. One above what the replay has served (a replay
    /// restarted under a watching client) answers 410 Expired: clients list
    /// again.
    pub fn start(
        timeline: &Timeline,
        filter: Filter,
        from: Option<u64>,
        now: &Now,
    ) -> Result<(Watcher, Vec<Event>), Value> {
        match from.filter(|rv| *rv != 0) {
            None => {
                let mut state = super::snapshot(timeline, &filter, now.local);
                // In version order, as after a jump: every event a watch
                // sends carries a version no smaller than the one before.
                state.sort_by_key(|o| local(o));
                let events = state.iter().map(|o| Event::new("ADDED", o, now)).collect();
                let w = Watcher {
                    filter,
                    epoch: now.epoch,
                    local: now.local,
                    seen: now.mapping,
                };
                Ok((w, events))
            }
            Some(rv) if rv > now.rv() => Err(status(
                410,
                "Expired",
                &format!(
                    "resource version {rv} is ahead of the replay ({}): list again",
                    now.rv()
                ),
                None,
            )),
            Some(rv) => {
                let (epoch, local) = now.decode(rv);
                let mut w = Watcher {
                    filter,
                    epoch,
                    local,
                    // How its times were shifted is not known: as now.
                    seen: now.mapping,
                };
                let events = w.step(timeline, now);
                Ok((w, events))
            }
        }
    }

    /// The events from what the client holds to `now`.
    pub fn step(&mut self, timeline: &Timeline, now: &Now) -> Vec<Event> {
        let events = if now.epoch == self.epoch && now.local >= self.local {
            self.played(timeline, now)
        } else {
            self.jumped(timeline, now)
        };
        self.epoch = now.epoch;
        self.local = now.local;
        self.seen = now.mapping;
        events
    }

    fn selected(&self, c: &Change) -> bool {
        c.event != WatchEvent::Deleted && self.filter.matches(c.resource, &c.object)
    }

    /// Every change the clock played through, as the selection sees it.
    fn played(&self, timeline: &Timeline, now: &Now) -> Vec<Event> {
        let mut out = Vec::new();
        for (rv, c) in timeline.between(self.local, now.local) {
            if c.resource != self.filter.resource {
                continue;
            }
            let previous = timeline.previous(c);
            let was_in = match previous {
                Some(p) => self.selected(p),
                // Recorded as changed or deleted without an earlier
                // revision: it existed before the recording began.
                None => c.event != WatchEvent::Added && self.filter.matches(c.resource, &c.object),
            };
            let event = match (was_in, self.selected(c)) {
                // As recorded: a relist's ADDED of a known object stays one.
                (true, true) if c.event == WatchEvent::Added => Event::new("ADDED", &c.object, now),
                (true, true) => Event::new("MODIFIED", &c.object, now),
                (false, true) => Event::new("ADDED", &c.object, now),
                // Left the selection: the API server sends what the client
                // last saw, at this change's version.
                (true, false) => match previous {
                    Some(p) if c.event != WatchEvent::Deleted => Event {
                        kind: "DELETED",
                        object: now.object_at(&p.object, rv),
                        printed_at: now.mapping.now_wall,
                    },
                    _ => Event::new("DELETED", &c.object, now),
                },
                (false, false) => continue,
            };
            out.push(event);
        }
        out
    }

    /// The net difference after a jump, in resourceVersion order, so the
    /// last event carries the largest and a client resuming from it misses
    /// nothing.
    fn jumped(&self, timeline: &Timeline, now: &Now) -> Vec<Event> {
        let before = super::snapshot(timeline, &self.filter, self.local);
        let after = super::snapshot(timeline, &self.filter, now.local);
        let mut out: Vec<(u64, Event)> = diff(&before, &after)
            .into_iter()
            .map(|d| match d {
                Diff::Added(o) => (local(o), Event::new("ADDED", o, now)),
                Diff::Modified(o) => (local(o), Event::new("MODIFIED", o, now)),
                Diff::Deleted(o) => {
                    let (ns, name) = key(o);
                    match timeline.revision(self.filter.resource, ns, name, now.local) {
                        // Deleted after what the client saw: a jump forward
                        // past its recorded deletion.
                        Some((rv, c)) if c.event == WatchEvent::Deleted && rv > self.local => {
                            (rv, Event::new("DELETED", &c.object, now))
                        }
                        // Not there yet, or out of the selection: as the
                        // client saw it, at the version of the new state.
                        _ => (
                            now.local,
                            Event {
                                kind: "DELETED",
                                object: now.with_mapping(self.seen).object_at(o, now.local),
                                printed_at: self.seen.now_wall,
                            },
                        ),
                    }
                }
            })
            .collect();
        out.sort_by_key(|(rv, _)| *rv);
        out.into_iter().map(|(_, e)| e).collect()
    }
}

/// How one object differs between two states.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Diff<'a> {
    /// Only in the second, as there.
    Added(&'a Value),
    /// In both as different revisions, as in the second.
    Modified(&'a Value),
    /// Only in the first, as there.
    Deleted(&'a Value),
}

/// The objects that differ between two states of one resource, by
/// namespace and name; a revision is known by its resourceVersion.
pub fn diff<'a>(before: &'a [Arc<Value>], after: &'a [Arc<Value>]) -> Vec<Diff<'a>> {
    let then: HashMap<(&str, &str), &Value> = before.iter().map(|o| (key(o), &**o)).collect();
    let mut out = Vec::new();
    for o in after {
        match then.get(&key(o)) {
            None => out.push(Diff::Added(o)),
            Some(old) if old["metadata"]["resourceVersion"] != o["metadata"]["resourceVersion"] => {
                out.push(Diff::Modified(o));
            }
            Some(_) => {}
        }
    }
    let now: HashSet<(&str, &str)> = after.iter().map(|o| key(o)).collect();
    out.extend(
        before
            .iter()
            .filter(|o| !now.contains(&key(o)))
            .map(|o| Diff::Deleted(o)),
    );
    out
}

fn key(o: &Value) -> (&str, &str) {
    (
        o["metadata"]["namespace"].as_str().unwrap_or_default(),
        o["metadata"]["name"].as_str().unwrap_or_default(),
    )
}

/// The timeline's resourceVersion of a recorded object.
fn local(o: &Value) -> u64 {
    o["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::kube::fixtures::{now as at, pod as rev};

    /// Changes 1001 to 1005: a, b, a again and c, b's deletion.
    fn timeline() -> Timeline {
        Timeline::new(vec![
            rev(10, WatchEvent::Added, "a", "Pending"),
            rev(20, WatchEvent::Added, "b", "Running"),
            rev(30, WatchEvent::Modified, "a", "Running"),
            rev(30, WatchEvent::Added, "c", "Running"),
            rev(40, WatchEvent::Deleted, "b", "Succeeded"),
        ])
    }

    fn pods(t: &Timeline, selector: &str) -> Filter {
        let pods = t.resources.by_path("", "v1", "pods").expect("pods");
        let q = HashMap::from([("fieldSelector".to_owned(), selector.to_owned())]);
        Filter::new(pods, Some("ns"), &q).expect("a valid selector")
    }

    /// `TYPE name phase rv` per event.
    fn said(events: &[Event]) -> Vec<String> {
        events
            .iter()
            .map(|e| {
                format!(
                    "{} {} {} {}",
                    e.kind,
                    e.object["metadata"]["name"].as_str().unwrap_or_default(),
                    e.object["status"]["phase"].as_str().unwrap_or_default(),
                    e.object["metadata"]["resourceVersion"]
                        .as_str()
                        .unwrap_or_default()
                )
            })
            .collect()
    }

    #[test]
    fn playing_sends_every_change_as_recorded() {
        let t = timeline();
        let (mut w, first) = Watcher::start(&t, pods(&t, ""), None, &at(&t, 0, 15)).expect("watch");
        assert_eq!(said(&first), ["ADDED a Pending 1001"]);
        assert_eq!(
            said(&w.step(&t, &at(&t, 0, 45))),
            [
                "ADDED b Running 1002",
                "MODIFIED a Running 1003",
                "ADDED c Running 1004",
                "DELETED b Succeeded 1005"
            ]
        );
        assert!(w.step(&t, &at(&t, 0, 45)).is_empty(), "paused: nothing");
    }

    #[test]
    fn objects_entering_and_leaving_a_selection_are_added_and_deleted() {
        let t = timeline();
        let running = pods(&t, "status.phase=Running");
        let (mut w, first) = Watcher::start(&t, running, None, &at(&t, 0, 15)).expect("watch");
        assert!(first.is_empty(), "a is Pending");
        assert_eq!(
            said(&w.step(&t, &at(&t, 0, 35))),
            [
                "ADDED b Running 1002",
                "ADDED a Running 1003",
                "ADDED c Running 1004"
            ]
        );
        // b's deletion carries its last state, not selected: the previous
        // one was, so the client hears of it.
        assert_eq!(
            said(&w.step(&t, &at(&t, 0, 45))),
            ["DELETED b Succeeded 1005"]
        );
        // Back to a Pending: it leaves the selection, as the client saw it.
        assert_eq!(
            said(&w.step(&t, &at(&t, 1, 15))),
            ["DELETED a Running 11001", "DELETED c Running 11001"]
        );
    }

    #[test]
    fn issue_16_seeks_send_the_net_difference_with_growing_versions() {
        let t = timeline();
        let (mut w, first) = Watcher::start(&t, pods(&t, ""), None, &at(&t, 0, 45)).expect("watch");
        assert_eq!(
            said(&first),
            ["ADDED a Running 1003", "ADDED c Running 1004"]
        );
        let mut sent = first;
        // Back to 25: a as it was, b (seen deleted) again, c not yet.
        let back = w.step(&t, &at(&t, 1, 25));
        assert_eq!(
            said(&back),
            [
                "MODIFIED a Pending 11001",
                "ADDED b Running 11002",
                "DELETED c Running 11002"
            ]
        );
        sent.extend(back);
        let back = w.step(&t, &at(&t, 2, 15));
        assert_eq!(said(&back), ["DELETED b Running 21001"]);
        sent.extend(back);
        // Forward to the end: the net difference, not b's life in between.
        let forward = w.step(&t, &at(&t, 3, 45));
        assert_eq!(
            said(&forward),
            ["MODIFIED a Running 31003", "ADDED c Running 31004"]
        );
        sent.extend(forward);
        // Forward past b's deletion from where b was seen: its recorded end.
        let (mut w, _) = Watcher::start(&t, pods(&t, ""), None, &at(&t, 3, 25)).expect("watch");
        assert_eq!(
            said(&w.step(&t, &at(&t, 4, 45))),
            [
                "MODIFIED a Running 41003",
                "ADDED c Running 41004",
                "DELETED b Succeeded 41005"
            ]
        );
        let versions: Vec<u64> = sent
            .iter()
            .filter_map(|e| {
                e.object["metadata"]["resourceVersion"]
                    .as_str()?
                    .parse()
                    .ok()
            })
            .collect();
        assert!(versions.is_sorted(), "{versions:?}");
    }

    #[test]
    fn issue_16_a_client_resumes_from_any_version_it_was_given() {
        let t = timeline();
        let now = at(&t, 2, 25);
        // Saw the end (1005) before two jumps: brought to 25.
        let (_, events) = Watcher::start(&t, pods(&t, ""), Some(1005), &now).expect("watch");
        assert_eq!(
            said(&events),
            [
                "MODIFIED a Pending 21001",
                "ADDED b Running 21002",
                "DELETED c Running 21002"
            ]
        );
        // From this epoch: the changes since, as recorded.
        let (_, events) = Watcher::start(&t, pods(&t, ""), Some(21001), &now).expect("watch");
        assert_eq!(said(&events), ["ADDED b Running 21002"]);
        // From the future (a replay restarted under its clients): list again.
        let err = Watcher::start(&t, pods(&t, ""), Some(31001), &now).expect_err("410");
        assert_eq!(
            (err["code"].as_u64(), err["reason"].as_str()),
            (Some(410), Some("Expired"))
        );
        assert_eq!(now.rv(), 21002, "what a list at 25 says");
    }

    #[test]
    fn a_diff_knows_revisions_by_their_version() {
        let o = |name: &str, rv: &str| {
            Arc::new(json!({"metadata": {"namespace": "ns", "name": name, "resourceVersion": rv}}))
        };
        let before = [o("a", "1"), o("b", "2"), o("c", "3")];
        let after = [o("a", "1"), o("b", "4"), o("d", "5")];
        let names = |d: &Diff| -> String {
            let (k, v) = match d {
                Diff::Added(v) => ("+", v),
                Diff::Modified(v) => ("~", v),
                Diff::Deleted(v) => ("-", v),
            };
            format!("{k}{}", v["metadata"]["name"].as_str().unwrap_or_default())
        };
        let d: Vec<String> = diff(&before, &after).iter().map(names).collect();
        assert_eq!(d, ["~b", "+d", "-c"]);
        assert!(diff(&before, &before).is_empty());
    }
}

//! Kubernetes watches over the bundled recording while the replay clock
//! plays, pauses, seeks and loops (issue 16): whatever the clock does, a
//! client that applies the events it is sent holds the recording's state at
//! the position, through its selector, and the resourceVersions it is sent
//! only grow.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use understudy_core::{ObjectRevision, TimeRange, WatchEvent};
use understudy_kube_wire::Filter;
use understudy_replay::clock::{Clock, ClockOptions};
use understudy_replay::kube::timeline::Timeline;
use understudy_replay::kube::versions::Now;
use understudy_replay::kube::watch::Watcher;
use understudy_store::Recording;

const NS: &str = "meme-generator";
const NOW: i64 = 2_000_000_000_000;

/// One watching client: what it holds, by name, and the last version sent.
struct Client {
    what: &'static str,
    kind: &'static str,
    /// Which recorded objects its selector takes.
    selects: fn(&Value) -> bool,
    watcher: Watcher,
    holds: BTreeMap<String, Value>,
    last_rv: u64,
    events: usize,
}

impl Client {
    fn apply(&mut self, events: Vec<understudy_replay::kube::watch::Event>) {
        for e in events {
            let name = e.object["metadata"]["name"]
                .as_str()
                .expect("name")
                .to_owned();
            let rv: u64 = e.object["metadata"]["resourceVersion"]
                .as_str()
                .and_then(|v| v.parse().ok())
                .expect("resourceVersion");
            assert!(
                rv >= self.last_rv,
                "{}: {} {name} at {rv}, after {}",
                self.what,
                e.kind,
                self.last_rv
            );
            self.last_rv = rv;
            self.events += 1;
            match e.kind {
                "ADDED" => {
                    assert!(
                        self.holds.insert(name.clone(), e.object).is_none(),
                        "{}: ADDED {name}, which it holds",
                        self.what
                    );
                }
                "MODIFIED" => {
                    assert!(
                        self.holds.insert(name.clone(), e.object).is_some(),
                        "{}: MODIFIED {name}, which it lacks",
                        self.what
                    );
                }
                "DELETED" => {
                    assert!(
                        self.holds.remove(&name).is_some(),
                        "{}: DELETED {name}, which it lacks",
                        self.what
                    );
                }
                other => panic!("{}: {other}", self.what),
            }
        }
    }
}

/// The recording's objects of `kind` in the namespace at recording time
/// `p`, as recorded: the last revision of each, unless deleted.
fn state_at(revisions: &[ObjectRevision], kind: &str, p: i64) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for r in revisions
        .iter()
        .filter(|r| r.observed_ms <= p && r.kind == kind && r.namespace.as_deref() == Some(NS))
    {
        let (Some(text), Some(name)) = (r.object.as_deref(), r.name.clone()) else {
            continue;
        };
        if r.event == WatchEvent::Deleted {
            out.remove(&name);
        } else {
            out.insert(name, serde_json::from_str(text).expect("json"));
        }
    }
    out
}

/// What a replay changes on purpose, resourceVersions and times, removed.
fn comparable(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| {
                    !(*k == "resourceVersion"
                        || k.ends_with("Timestamp")
                        || k.ends_with("Time")
                        || *k == "startedAt"
                        || *k == "finishedAt")
                })
                .map(|(k, v)| (k.clone(), comparable(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(comparable).collect()),
        other => other.clone(),
    }
}

/// What the presenter does to the clock, and how long the replay then
/// plays (or stays paused).
type Step = fn(&mut Clock) -> Option<Duration>;

fn running(o: &Value) -> bool {
    o["status"]["phase"] == "Running"
}

#[tokio::test(start_paused = true)]
async fn issue_16_watches_follow_the_clock_through_seeks_pauses_and_loops() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../recordings/conflict");
    let rec = Recording::open(&dir).expect("recording");
    let revisions = rec.objects(TimeRange::ALL).expect("objects");
    let (rec_start, rec_end) = (
        rec.manifest().start_ms,
        rec.manifest().end_ms.expect("a closed recording"),
    );
    let timeline = Timeline::new(revisions.clone());
    let mut clock = Clock::new(
        ClockOptions {
            rec_start,
            rec_end,
            start_at_ms: 300_000,
            speed: 4.0,
            looping: true,
            no_shift: false,
        },
        NOW,
    );
    let now = |clock: &mut Clock| {
        let m = clock.mapping();
        Now::at(&timeline, m, clock.jumps())
    };
    let pods = timeline.resources.by_path("", "v1", "pods").expect("pods");
    let hpas = timeline
        .resources
        .by_path("autoscaling", "v2", "horizontalpodautoscalers")
        .expect("hpas");
    let watch = |what, kind, resource, selector: &str, selects: fn(&Value) -> bool, now: &Now| {
        let q = HashMap::from([("fieldSelector".to_owned(), selector.to_owned())]);
        let filter = Filter::new(resource, Some(NS), &q).expect("a valid selector");
        let (watcher, first) = Watcher::start(&timeline, filter, None, now).expect("watch");
        let mut c = Client {
            what,
            kind,
            selects,
            watcher,
            holds: BTreeMap::new(),
            last_rv: 0,
            events: 0,
        };
        c.apply(first);
        c
    };
    let start = now(&mut clock);
    let mut clients = [
        watch("pods", "Pod", pods, "", |_| true, &start),
        watch(
            "running pods",
            "Pod",
            pods,
            "status.phase=Running",
            running,
            &start,
        ),
        watch(
            "hpas",
            "HorizontalPodAutoscaler",
            hpas,
            "",
            |_| true,
            &start,
        ),
    ];

    // Each step, then every client brought to the position and checked.
    let mut backwards = 0;
    let mut last_position = start.mapping.position;
    let steps: [(&str, Step); 11] = [
        ("play", |_| Some(Duration::from_secs(30))),
        ("seek back to 1m", |c| {
            c.seek(60_000);
            None
        }),
        ("play", |_| Some(Duration::from_secs(20))),
        ("pause", |c| {
            c.pause();
            Some(Duration::from_secs(60))
        }),
        ("resume", |c| {
            c.resume();
            Some(Duration::from_secs(10))
        }),
        ("seek forward to 12m", |c| {
            c.seek(720_000);
            None
        }),
        ("skip back 5m", |c| {
            c.skip(-300_000);
            None
        }),
        ("seek to the end", |c| {
            c.seek(i64::MAX / 2);
            None
        }),
        ("play over the end: the loop starts over", |_| {
            Some(Duration::from_secs(40))
        }),
        ("seek to the start", |c| {
            c.seek(0);
            None
        }),
        ("play", |_| Some(Duration::from_secs(90))),
    ];
    for (what, step) in steps {
        if let Some(d) = step(&mut clock) {
            tokio::time::advance(d).await;
        }
        let n = now(&mut clock);
        if n.mapping.position < last_position {
            backwards += 1;
        }
        last_position = n.mapping.position;
        for c in &mut clients {
            let before = c.events;
            let events = c.watcher.step(&timeline, &n);
            c.apply(events);
            if what == "pause" {
                assert_eq!(c.events, before, "{}: no events while paused", c.what);
            }
            let want: BTreeMap<String, Value> = state_at(&revisions, c.kind, n.mapping.position)
                .into_iter()
                .filter(|(_, o)| (c.selects)(o))
                .map(|(k, o)| (k, comparable(&o)))
                .collect();
            let got: BTreeMap<String, Value> = c
                .holds
                .iter()
                .map(|(k, o)| (k.clone(), comparable(o)))
                .collect();
            assert_eq!(
                got.keys().collect::<Vec<_>>(),
                want.keys().collect::<Vec<_>>(),
                "{}: after {what}, at {}",
                c.what,
                n.mapping.position - rec_start
            );
            assert_eq!(got, want, "{}: after {what}", c.what);
            assert!(
                c.last_rv <= n.rv(),
                "{}: a list now says {}",
                c.what,
                n.rv()
            );
            let jumped =
                what.starts_with("seek") || what.starts_with("skip") || what.contains("loop");
            if jumped && c.what == "pods" {
                // Every jump here lands where other pods exist: the check
                // above would pass vacuously if nothing had been sent.
                assert!(c.events > before, "pods: nothing sent after {what}");
            }
        }
    }
    assert_eq!(backwards, 4, "two seeks back, a skip back and a loop");
}

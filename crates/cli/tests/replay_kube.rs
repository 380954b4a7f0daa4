//! `understudy replay --kube-listen` against the real `kubectl`: the
//! speaker's terminal panes keep working on a recording, read-only, and the
//! Kubernetes source records the replay as the original run.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use common::{Recorder, Server, http_get, http_post, understudy, write};
use serde_json::Value;
use understudy_core::{ObjectRevision, TimeRange, WatchEvent};
use understudy_store::Recording;

const NS: &str = "meme-generator";

fn conflict() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../recordings/conflict")
}

struct Replay {
    _server: Server,
    kubeconfig: PathBuf,
    /// The Prometheus listener (control API).
    addr: String,
    _dir: tempfile::TempDir,
}

impl Replay {
    fn start(extra: &[&str]) -> Replay {
        let dir = tempfile::tempdir().expect("tempdir");
        let kubeconfig = dir.path().join("kubeconfig");
        let mut cmd = understudy();
        cmd.arg("replay")
            .arg(conflict())
            .args([
                "--listen",
                "127.0.0.1:0",
                "--kube-listen",
                "127.0.0.1:0",
                "--write-kubeconfig",
            ])
            .arg(&kubeconfig)
            .args(extra);
        let server = Server::start(cmd, "replaying");
        let deadline = Instant::now() + Duration::from_secs(20);
        while !kubeconfig.exists() {
            assert!(Instant::now() < deadline, "no kubeconfig written");
            std::thread::sleep(Duration::from_millis(50));
        }
        Replay {
            addr: server.addr.clone(),
            _server: server,
            kubeconfig,
            _dir: dir,
        }
    }

    fn kubectl(&self, args: &[&str]) -> Output {
        Command::new("kubectl")
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .output()
            .expect("kubectl is installed (scripts/setup.sh installs it)")
    }

    fn ok(&self, args: &[&str]) -> String {
        let o = self.kubectl(args);
        assert!(
            o.status.success(),
            "kubectl {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// The replay's status, after an optional control call.
    fn control(&self, call: Option<&str>) -> Value {
        if let Some(c) = call {
            http_post(&self.addr, c);
        }
        let (code, body) = http_get(&self.addr, "/-/replay");
        assert_eq!(code, 200, "{body}");
        serde_json::from_str::<Value>(&body).expect("status")["data"].clone()
    }
}

/// The original's objects as of recording time `p`: the last revision of
/// each, unless deleted.
fn state_at(revisions: &[ObjectRevision], p: i64) -> BTreeMap<(String, String), Value> {
    let mut out = BTreeMap::new();
    for r in revisions.iter().filter(|r| r.observed_ms <= p) {
        let Some(text) = r.object.as_deref() else {
            continue;
        };
        let key = (r.kind.clone(), r.name.clone().unwrap_or_default());
        if r.event == WatchEvent::Deleted {
            out.remove(&key);
        } else {
            out.insert(key, serde_json::from_str(text).expect("json"));
        }
    }
    out
}

fn revisions() -> Vec<ObjectRevision> {
    Recording::open(&conflict())
        .expect("recording")
        .objects(TimeRange::ALL)
        .expect("objects")
}

/// The row of `name` in kubectl's table output, split into cells.
fn row<'a>(table: &'a str, name: &str) -> Vec<&'a str> {
    table
        .lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .unwrap_or_else(|| panic!("no row {name} in\n{table}"))
        .split("   ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect()
}

#[test]
fn kubectl_reads_the_conflict_run_like_a_live_cluster() {
    let replay = Replay::start(&["--start-at", "5m", "--paused"]);
    let status = replay.control(None);
    assert_eq!(status["paused"], true, "{status}");
    let position = status["position_ms"].as_i64().expect("position");
    let original = state_at(&revisions(), position);

    let hpas = replay.ok(&["get", "hpa", "-n", NS]);
    let header: Vec<&str> = hpas
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(
        header,
        [
            "NAME",
            "REFERENCE",
            "TARGETS",
            "MINPODS",
            "MAXPODS",
            "REPLICAS",
            "AGE"
        ]
    );
    for name in ["keda-hpa-meme-backend", "meme-backend"] {
        let hpa = &original[&("HorizontalPodAutoscaler".to_owned(), name.to_owned())];
        let cells = row(&hpas, name);
        assert_eq!(cells[1], "Deployment/meme-backend");
        assert_eq!(
            cells[5],
            hpa["status"]["currentReplicas"].to_string(),
            "{hpas}"
        );
        assert_eq!(cells[4], hpa["spec"]["maxReplicas"].to_string());
    }
    let keda = row(&hpas, "keda-hpa-meme-backend");
    let current = original[&(
        "HorizontalPodAutoscaler".to_owned(),
        "keda-hpa-meme-backend".to_owned(),
    )]["status"]["currentMetrics"][0]["external"]["current"]["averageValue"]
        .as_str()
        .expect("current")
        .to_owned();
    assert_eq!(keda[2], format!("{current}/5 (avg)"));
    // Created three days before the run: AGE reads as it did live.
    assert_eq!(keda[6], "3d", "{hpas}");

    // The same objects as JSON, times shifted, resourceVersions the replay's.
    let json: Value =
        serde_json::from_str(&replay.ok(&["get", "hpa", "-n", NS, "-o", "json"])).expect("json");
    for item in json["items"].as_array().expect("items") {
        let name = item["metadata"]["name"].as_str().expect("name");
        let want = &original[&("HorizontalPodAutoscaler".to_owned(), name.to_owned())];
        assert_eq!(item["spec"], want["spec"]);
        assert_eq!(
            item["status"]["desiredReplicas"],
            want["status"]["desiredReplicas"]
        );
        assert_ne!(
            item["metadata"]["creationTimestamp"], want["metadata"]["creationTimestamp"],
            "shifted"
        );
    }

    let pods = replay.ok(&["get", "pods", "-l", "app=meme-backend", "-n", NS]);
    let want: Vec<&String> = original
        .iter()
        .filter(|((k, _), v)| k == "Pod" && v["metadata"]["labels"]["app"] == "meme-backend")
        .map(|((_, n), _)| n)
        .collect();
    assert_eq!(pods.lines().count(), want.len() + 1, "{pods}");
    for name in &want {
        let cells = row(&pods, name);
        assert!(
            ["Running", "Error", "Terminating", "Pending"]
                .iter()
                .any(|s| cells[2] == *s)
                || cells[2].starts_with("Init:"),
            "{cells:?}"
        );
    }

    let describe = replay.ok(&["describe", "hpa", "keda-hpa-meme-backend", "-n", NS]);
    for says in [
        "Reference:",
        "Deployment/meme-backend",
        "\"s0-nats-jetstream-MEMES\" (target average value)",
        "Conditions:",
        "AbleToScale",
        "ScalingActive",
        "Events:",
        "SuccessfulRescale",
        "New size:",
    ] {
        assert!(describe.contains(says), "{says}:\n{describe}");
    }

    let raw: Value = serde_json::from_str(&replay.ok(&[
        "get", "--raw", "/apis/custom.metrics.k8s.io/v1beta1/namespaces/meme-generator/pods/*/memegenerator_pod_cpu_rate",
    ]))
    .expect("MetricValueList");
    assert_eq!(raw["kind"], "MetricValueList");
    let items = raw["items"].as_array().expect("items");
    assert!(!items.is_empty(), "{raw}");
    assert!(
        items
            .iter()
            .all(|i| i["value"].as_str().is_some_and(|v| !v.is_empty()))
    );

    let so = replay.ok(&["get", "scaledobjects", "-n", NS]);
    assert!(
        so.lines()
            .next()
            .unwrap_or_default()
            .contains("SCALETARGETNAME"),
        "{so}"
    );
    assert_eq!(row(&so, "meme-backend")[1], "apps/v1.Deployment");

    let scale = replay.kubectl(&[
        "scale",
        "deployment",
        "meme-backend",
        "-n",
        NS,
        "--replicas",
        "3",
    ]);
    assert!(!scale.status.success());
    let err = String::from_utf8_lossy(&scale.stderr);
    assert!(
        err.contains("MethodNotAllowed") && err.contains("read-only"),
        "{err}"
    );
    let after = replay.ok(&[
        "get",
        "deployment",
        "meme-backend",
        "-n",
        NS,
        "-o",
        "jsonpath={.spec.replicas}",
    ]);
    let want = original[&("Deployment".to_owned(), "meme-backend".to_owned())]["spec"]["replicas"]
        .to_string();
    assert_eq!(after, want, "nothing changed");
}

#[test]
fn kubectl_get_pods_watch_follows_the_clock() {
    let replay = Replay::start(&["--start-at", "50s", "--speed", "20"]);
    let mut watch = Command::new("kubectl")
        .args(["get", "pods", "-n", NS, "-w", "--output-watch-events"])
        .env("KUBECONFIG", &replay.kubeconfig)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("kubectl");
    let out = BufReader::new(watch.stdout.take().expect("stdout"));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in out.lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(8);
    while Instant::now() < deadline {
        if let Ok(l) = rx.recv_timeout(Duration::from_millis(200)) {
            lines.push(l);
        }
    }
    let _ = watch.kill();
    let _ = watch.wait();
    let count = |e: &str| lines.iter().filter(|l| l.starts_with(e)).count();
    assert!(count("ADDED") >= 5, "{lines:#?}");
    assert!(
        count("MODIFIED") >= 5,
        "pods start as the clock runs: {lines:#?}"
    );
    assert!(count("DELETED") >= 1, "and go: {lines:#?}");
    assert!(lines.iter().any(|l| l.contains("Init:")), "{lines:#?}");
}

/// Strips what a replay changes on purpose: resourceVersions and times.
fn comparable(mut v: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                m.retain(|k, _| {
                    !(k == "resourceVersion"
                        || k.ends_with("Timestamp")
                        || k.ends_with("Time")
                        || k == "startedAt"
                        || k == "finishedAt")
                });
                m.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    v
}

fn timelines(revisions: &[ObjectRevision]) -> BTreeMap<(String, String), Vec<(WatchEvent, Value)>> {
    let mut out: BTreeMap<(String, String), Vec<(WatchEvent, Value)>> = BTreeMap::new();
    for r in revisions {
        let Some(text) = r.object.as_deref() else {
            continue;
        };
        if r.kind == "APIResponse" {
            continue;
        }
        out.entry((r.kind.clone(), r.name.clone().unwrap_or_default()))
            .or_default()
            .push((
                r.event,
                comparable(serde_json::from_str(text).expect("json")),
            ));
    }
    out
}

#[test]
fn the_kubernetes_source_records_the_replay_as_the_original_run() {
    let replay = Replay::start(&["--speed", "60", "--paused"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write(
        &dir.path().join("understudy.toml"),
        &format!(
            "[recorder]\nflush_interval = \"200ms\"\n\n[[source.kubernetes]]\nkubeconfig = {:?}\nnamespaces = [\"{NS}\"]\npoll_hpa_metrics = false\nderive_series = false\n",
            replay.kubeconfig.display().to_string()
        ),
    );
    let out = dir.path().join("rec");
    let mut recorder = Recorder::start(&config, &out);
    recorder.wait_for("watching", Duration::from_secs(30));
    std::thread::sleep(Duration::from_secs(2));
    replay.control(Some("/-/replay/resume"));
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let s = replay.control(None);
        if s["offset_ms"].as_i64() >= s["duration_ms"].as_i64() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the replay did not reach its end: {s}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_secs(2));
    let log = recorder.interrupt();
    let copy = Recording::open(&out)
        .expect("recording")
        .objects(TimeRange::ALL)
        .expect("objects");
    let (want, got) = (timelines(&revisions()), timelines(&copy));
    assert_eq!(
        want.keys().collect::<Vec<_>>(),
        got.keys().collect::<Vec<_>>(),
        "{log}"
    );
    for (key, revs) in &want {
        assert_eq!(revs.len(), got[key].len(), "{key:?}");
        for (i, (w, g)) in revs.iter().zip(&got[key]).enumerate() {
            assert_eq!(w, g, "{key:?} revision {i}");
        }
    }
}

/// A `kubectl get … -w --output-watch-events` against the replay, what it
/// prints read as it comes: the table the speaker's pane shows.
struct Watching {
    /// `get pods -n …`: the command, for messages.
    what: String,
    child: Child,
    lines: Receiver<String>,
    /// Each name's cells as last printed (without the EVENT column).
    rows: BTreeMap<String, Vec<String>>,
    /// Everything printed, for the failure message.
    printed: Vec<String>,
}

impl Watching {
    fn start(replay: &Replay, args: &[&str]) -> Watching {
        let mut child = Command::new("kubectl")
            .args(args)
            .args(["-w", "--output-watch-events"])
            .env("KUBECONFIG", &replay.kubeconfig)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kubectl");
        let (tx, lines) = std::sync::mpsc::channel();
        for out in [
            Box::new(child.stdout.take().expect("stdout")) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().expect("stderr")),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(out).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        Watching {
            what: args.join(" "),
            child,
            lines,
            rows: BTreeMap::new(),
            printed: Vec::new(),
        }
    }

    /// Reads what kubectl prints until its rows hold exactly `want` (name →
    /// the cells to check, by column), which must happen while kubectl is
    /// still watching. The deadline only stops a hung test.
    fn until(&mut self, after: &str, want: &BTreeMap<String, Vec<(usize, String)>>) {
        let matches = |rows: &BTreeMap<String, Vec<String>>| {
            rows.len() == want.len()
                && want.iter().all(|(name, cells)| {
                    rows.get(name).is_some_and(|row| {
                        cells
                            .iter()
                            .all(|(i, v)| row.get(*i).is_some_and(|c| c == v))
                    })
                })
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while !matches(&self.rows) {
            assert!(
                Instant::now() < deadline,
                "`kubectl {}` after {after}: want {want:?}\nhas {:?}\nprinted:\n{}",
                self.what,
                self.rows,
                self.printed.join("\n")
            );
            match self.lines.recv_timeout(Duration::from_millis(200)) {
                Ok(line) => self.apply(line),
                Err(_) => self.watching(after),
            }
        }
        self.watching(after);
    }

    fn watching(&mut self, after: &str) {
        assert!(
            self.child.try_wait().ok().flatten().is_none(),
            "`kubectl {}` stopped watching after {after}:\n{}",
            self.what,
            self.printed.join("\n")
        );
    }

    /// One printed line into the rows.
    fn apply(&mut self, line: String) {
        let cells: Vec<String> = line
            .split("   ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect();
        match cells.as_slice() {
            [event, ..] if event == "EVENT" => {}
            [event, name, ..] if event == "ADDED" || event == "MODIFIED" => {
                self.rows.insert(name.clone(), cells[1..].to_vec());
            }
            [event, name, ..] if event == "DELETED" => {
                self.rows.remove(name);
            }
            _ => panic!("`kubectl {}` printed {line}", self.what),
        }
        self.printed.push(line);
    }

    /// Applies what kubectl printed meanwhile; false if nothing.
    fn drain(&mut self) -> bool {
        let mut any = false;
        while let Ok(line) = self.lines.try_recv() {
            self.apply(line);
            any = true;
        }
        any
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Pods of the namespace at recording time `p` that `selects` takes:
/// name → cells of their row, by column: STATUS reads Running for a
/// running pod not being deleted. The other statuses (Init:…, Error,
/// Terminating) are the printer's, compared with a list instead.
fn pods_at(
    revisions: &[ObjectRevision],
    p: i64,
    selects: fn(&Value) -> bool,
) -> BTreeMap<String, Vec<(usize, String)>> {
    state_at(revisions, p)
        .into_iter()
        .filter(|((kind, _), o)| kind == "Pod" && o["metadata"]["namespace"] == NS && selects(o))
        .map(|((_, name), o)| {
            let cells = match o["status"]["phase"].as_str() {
                Some("Running") if o["metadata"]["deletionTimestamp"].is_null() => {
                    vec![(2, "Running".to_owned())]
                }
                _ => Vec::new(),
            };
            (name, cells)
        })
        .collect()
}

/// HPAs of the namespace at recording time `p`: name → REPLICAS.
fn hpas_at(revisions: &[ObjectRevision], p: i64) -> BTreeMap<String, Vec<(usize, String)>> {
    state_at(revisions, p)
        .into_iter()
        .filter(|((kind, _), o)| {
            kind == "HorizontalPodAutoscaler" && o["metadata"]["namespace"] == NS
        })
        .map(|((_, name), o)| {
            let replicas = o["status"]["currentReplicas"].as_i64().unwrap_or(0);
            (name, vec![(5, replicas.to_string())])
        })
        .collect()
}

fn running(o: &Value) -> bool {
    o["status"]["phase"] == "Running"
}

#[test]
fn issue_16_kubectl_watches_survive_seeks_pauses_and_loops() {
    let replay = Replay::start(&["--start-at", "7m", "--paused", "--loop", "--speed", "30"]);
    let revisions = revisions();
    let all = |_: &Value| true;
    let mut pods = Watching::start(&replay, &["get", "pods", "-n", NS]);
    let mut running_pods = Watching::start(
        &replay,
        &[
            "get",
            "pods",
            "-n",
            NS,
            "--field-selector",
            "status.phase=Running",
        ],
    );
    let mut hpas = Watching::start(&replay, &["get", "hpa", "-n", NS]);
    let list_rv = |replay: &Replay| -> u64 {
        let list: Value = serde_json::from_str(&replay.ok(&[
            "get",
            "--raw",
            &format!("/api/v1/namespaces/{NS}/pods"),
        ]))
        .expect("a PodList");
        list["metadata"]["resourceVersion"]
            .as_str()
            .and_then(|v| v.parse().ok())
            .expect("a number")
    };

    // Paused, a list shows the same moment: the watch's rows read as its.
    let listed = |replay: &Replay| -> BTreeMap<String, Vec<(usize, String)>> {
        let table = replay.ok(&["get", "pods", "-n", NS]);
        table
            .lines()
            .skip(1)
            .map(|l| {
                let cells: Vec<&str> = l
                    .split("   ")
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .collect();
                let cells = (1..4)
                    .filter_map(|i| Some((i, cells.get(i)?.split(" (").next()?.to_owned())))
                    .collect();
                (
                    l.split_whitespace().next().unwrap_or_default().to_owned(),
                    cells,
                )
            })
            .collect()
    };
    let mut check = |after: &str, status: &Value| {
        let p = status["position_ms"].as_i64().expect("position");
        let want = [
            pods_at(&revisions, p, all),
            pods_at(&revisions, p, running),
            hpas_at(&revisions, p),
        ];
        let mut panes = [&mut pods, &mut running_pods, &mut hpas];
        for (w, want) in panes.iter_mut().zip(&want) {
            w.until(after, want);
        }
        // Every check is made paused. The rows may have passed through the
        // state on their way (a pod added and deleted while the clock
        // played): a few of the replay's watch ticks later, what was on its
        // way has come and the rows still hold the state; a few more, and
        // nothing more has come.
        std::thread::sleep(Duration::from_millis(600));
        for (w, want) in panes.iter_mut().zip(&want) {
            w.drain();
            w.until(after, want);
        }
        std::thread::sleep(Duration::from_millis(600));
        for w in &mut panes {
            assert!(
                !w.drain(),
                "`kubectl {}` printed while paused after {after}:\n{}",
                w.what,
                w.printed.join("\n")
            );
        }
        let list = listed(&replay);
        assert_eq!(
            list.keys().collect::<Vec<_>>(),
            pods.rows.keys().collect::<Vec<_>>(),
            "after {after}"
        );
        for ((name, row), cells) in pods.rows.iter().zip(list.values()) {
            for (i, cell) in cells {
                assert_eq!(
                    row.get(*i).and_then(|c| c.split(" (").next()),
                    Some(cell.as_str()),
                    "{name} after {after}: {row:?}"
                );
            }
        }
        p
    };
    let status = replay.control(None);
    let at_7m = check("the start", &status);
    let rv_7m = list_rv(&replay);

    // The steps must move between different sets of pods, or the checks
    // would pass with a watch that printed nothing.
    let status = replay.control(Some("/-/replay/seek?to=1m"));
    let at_1m = status["position_ms"].as_i64().expect("position");
    assert_ne!(
        pods_at(&revisions, at_7m, all).keys().collect::<Vec<_>>(),
        pods_at(&revisions, at_1m, all).keys().collect::<Vec<_>>()
    );
    check("a seek back to 1m", &status);
    let rv_1m = list_rv(&replay);
    assert!(
        rv_1m > rv_7m,
        "a list after a seek back: {rv_1m} after {rv_7m}"
    );

    // A client that saw 7m resumes from its version: told what differs.
    let raw = replay.ok(&[
        "get",
        "--raw",
        &format!("/api/v1/namespaces/{NS}/pods?watch=1&resourceVersion={rv_7m}&timeoutSeconds=1"),
    ]);
    let mut held: BTreeSet<String> = pods_at(&revisions, at_7m, all).into_keys().collect();
    for line in raw.lines() {
        let e: Value = serde_json::from_str(line).expect("a watch event");
        let name = e["object"]["metadata"]["name"]
            .as_str()
            .expect("name")
            .to_owned();
        let rv: u64 = e["object"]["metadata"]["resourceVersion"]
            .as_str()
            .and_then(|v| v.parse().ok())
            .expect("resourceVersion");
        assert!(rv > rv_7m, "{line}");
        match e["type"].as_str() {
            Some("DELETED") => held.remove(&name),
            _ => held.insert(name),
        };
    }
    assert_eq!(
        held.iter().collect::<Vec<_>>(),
        pods_at(&revisions, at_1m, all).keys().collect::<Vec<_>>(),
        "{raw}"
    );

    let status = replay.control(Some("/-/replay/seek?to=12m"));
    check("a seek forward to 12m", &status);

    replay.control(Some("/-/replay/resume"));
    std::thread::sleep(Duration::from_millis(500));
    let status = replay.control(Some("/-/replay/pause"));
    check("playing, then a pause", &status);

    // Past the end: the loop starts over, a jump back to the start.
    let status = replay.control(Some("/-/replay/seek?to=14m50s"));
    let before = status["position_ms"].as_i64().expect("position");
    replay.control(Some("/-/replay/resume"));
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        let s = replay.control(None);
        if s["position_ms"].as_i64().expect("position") < before {
            break replay.control(Some("/-/replay/pause"));
        }
        assert!(Instant::now() < deadline, "the replay did not loop: {s}");
        std::thread::sleep(Duration::from_millis(100));
    };
    check("the loop starting over", &status);

    let printed = [&pods, &running_pods, &hpas]
        .iter()
        .flat_map(|w| w.printed.iter())
        .cloned()
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        !printed.contains("<invalid>"),
        "rows as the client saw them:\n{printed}"
    );
    assert!(!printed.contains("Expired"), "{printed}");
}

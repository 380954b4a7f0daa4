//! A day of pod churn through the Kubernetes source: the real `understudy
//! record` watches a fixture API server where 200 pods of one Deployment are
//! replaced one every 3 s (simulated), each with its five start Events and
//! a Killing Event that expire after an hour as the API server's TTL does,
//! while the HPA, Deployment and ReplicaSet statuses follow. 24 simulated
//! hours are served as fast as the recorder takes them in.
//!
//! Reports the recorder's peak RSS (VmHWM), its RSS over the run (flat, or
//! not) and the watch events it handled per second of wall time. The day
//! passes in under a minute, so the recorder seals a segment every 100 ms
//! — about every five simulated minutes, as its default `segment = "5m"`
//! does in a real day; what an open segment holds is kept in memory until
//! it is sealed.
//!
//! Run: `cargo bench -p understudy-cli --bench kube_churn` (24 h). Under
//! `cargo test --all-targets` (no `--bench`) it serves 20 simulated minutes
//! and checks that every event reached the recording, timing nothing.

use std::collections::VecDeque;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use understudy_testkit::kube::FixtureApi;

const NS: &str = "meme-generator";
const PODS: usize = 200;
/// One pod replaced every this many simulated seconds (10 min lifetimes).
const REPLACE_EVERY_S: i64 = 3;
/// The API server's default Event TTL.
const EVENT_TTL_S: i64 = 3600;
/// Watch events the recorder may be behind before the driver waits.
const WINDOW: u64 = 20_000;
/// 2025-10-27T00:00:00Z.
const T0: i64 = 1_761_523_200;

fn rfc3339(s: i64) -> String {
    understudy_testkit::kube::rfc3339(std::time::UNIX_EPOCH + Duration::from_secs(s as u64))
}

fn pod(n: u64, phase: &str, ready: bool, created: i64, deleting: Option<i64>) -> Value {
    let name = format!("meme-backend-6d9f7c8b5-{n:05x}");
    let mut p = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": NS, "generateName": "meme-backend-6d9f7c8b5-",
            "labels": {"app": "meme-backend", "pod-template-hash": "6d9f7c8b5"},
            "creationTimestamp": rfc3339(created),
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "meme-backend-6d9f7c8b5",
                "uid": "00000000-0000-4000-8000-00000000aaaa", "controller": true, "blockOwnerDeletion": true}]},
        "spec": {"containers": [{"name": "backend", "image": "ghcr.io/vfiftyfive/meme-generator-backend:latest",
            "resources": {"requests": {"cpu": "50m"}, "limits": {"cpu": "50m"}}}],
            "nodeName": format!("node-{}", n % 3), "restartPolicy": "Always"},
        "status": {"phase": phase, "qosClass": "Guaranteed",
            "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" },
                            "lastTransitionTime": rfc3339(created)}],
            "containerStatuses": [{"name": "backend", "ready": ready, "restartCount": 0,
                "image": "ghcr.io/vfiftyfive/meme-generator-backend:latest"}]}
    });
    if let Some(t) = deleting {
        p["metadata"]["deletionTimestamp"] = json!(rfc3339(t));
        p["metadata"]["deletionGracePeriodSeconds"] = json!(30);
    }
    p
}

fn event(n: u64, pod_n: u64, reason: &str, message: &str, t: i64) -> Value {
    let pod = format!("meme-backend-6d9f7c8b5-{pod_n:05x}");
    json!({
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": format!("{pod}.{n:016x}"), "namespace": NS, "creationTimestamp": rfc3339(t)},
        "involvedObject": {"kind": "Pod", "namespace": NS, "name": pod, "apiVersion": "v1"},
        "reason": reason, "message": message, "type": "Normal", "count": 1,
        "source": {"component": "kubelet"}, "firstTimestamp": rfc3339(t), "lastTimestamp": rfc3339(t),
        "reportingComponent": "kubelet", "reportingInstance": ""
    })
}

fn owner(kind: &str, api: &str, name: &str, ready: usize, t: i64) -> Value {
    let mut o = json!({
        "apiVersion": api, "kind": kind,
        "metadata": {"name": name, "namespace": NS, "creationTimestamp": rfc3339(T0 - 86_400)},
        "spec": {"replicas": PODS, "selector": {"matchLabels": {"app": "meme-backend"}}},
        "status": {"replicas": PODS, "readyReplicas": ready, "availableReplicas": ready,
                   "observedGeneration": 1}
    });
    if kind == "Deployment" {
        o["status"]["updatedReplicas"] = json!(PODS);
        o["status"]["conditions"] = json!([{"type": "Available", "status": "True",
            "lastUpdateTime": rfc3339(t), "lastTransitionTime": rfc3339(T0), "reason": "MinimumReplicasAvailable"}]);
    }
    o
}

fn hpa(current: usize, t: i64) -> Value {
    json!({
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "meme-backend", "namespace": NS, "creationTimestamp": rfc3339(T0 - 86_400)},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "meme-backend"},
                 "minReplicas": 1, "maxReplicas": PODS,
                 "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                     "target": {"type": "Utilization", "averageUtilization": 50}}}]},
        "status": {"currentReplicas": current, "desiredReplicas": PODS, "lastScaleTime": rfc3339(T0),
                   "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu",
                       "current": {"averageUtilization": 48 + (t % 5), "averageValue": "24m"}}}],
                   "conditions": [{"type": "AbleToScale", "status": "True", "lastTransitionTime": rfc3339(T0),
                                   "reason": "ReadyForNewScale", "message": "recommended size matches current size"}]}
    })
}

/// The recorder's peak and current RSS in KiB (Linux /proc).
fn memory(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// `understudy_objects_written_total` from the recorder's /metrics.
fn written(addr: &str) -> u64 {
    let Ok(mut s) = TcpStream::connect(addr) else {
        return 0;
    };
    let _ = write!(
        s,
        "GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    );
    let mut body = String::new();
    let _ = s.read_to_string(&mut body);
    body.lines()
        .find(|l| l.starts_with("understudy_objects_written_total "))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .map_or(0, |v| v as u64)
}

struct Driver<'a> {
    api: &'a FixtureApi,
    /// Watch events served so far.
    served: u64,
    next_pod: u64,
    next_event: u64,
    /// Living pods: (number, created).
    pods: VecDeque<(u64, i64)>,
    /// Events to expire: (created, name).
    events: VecDeque<(i64, String)>,
    /// Pods terminating: (number, created, delete at).
    dying: VecDeque<(u64, i64, i64)>,
    /// Pods starting: (number, created, ready at).
    starting: VecDeque<(u64, i64, i64)>,
}

impl Driver<'_> {
    fn apply(&mut self, o: Value) {
        self.api.apply(o);
        self.served += 1;
    }

    fn event(&mut self, pod_n: u64, reason: &str, message: &str, t: i64) {
        self.next_event += 1;
        let e = event(self.next_event, pod_n, reason, message, t);
        let name = e["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        self.apply(e);
        self.events.push_back((t, name));
    }

    fn start_pod(&mut self, t: i64) {
        self.next_pod += 1;
        let n = self.next_pod;
        self.apply(pod(n, "Pending", false, t, None));
        for (reason, message) in [
            (
                "Scheduled",
                "Successfully assigned meme-generator/pod to node",
            ),
            (
                "Pulling",
                "Pulling image \"ghcr.io/vfiftyfive/meme-generator-backend:latest\"",
            ),
            ("Pulled", "Successfully pulled image"),
            ("Created", "Created container: backend"),
            ("Started", "Started container backend"),
        ] {
            self.event(n, reason, message, t);
        }
        self.starting.push_back((n, t, t + 5));
    }

    /// One simulated second.
    fn second(&mut self, t: i64) {
        while self.starting.front().is_some_and(|s| s.2 <= t) {
            let (n, created, _) = self.starting.pop_front().expect("front");
            self.apply(pod(n, "Running", true, created, None));
            self.pods.push_back((n, created));
            let ready = self.pods.len();
            self.apply(owner(
                "ReplicaSet",
                "apps/v1",
                "meme-backend-6d9f7c8b5",
                ready,
                t,
            ));
            self.apply(owner("Deployment", "apps/v1", "meme-backend", ready, t));
        }
        while self.dying.front().is_some_and(|d| d.2 <= t) {
            let (n, _, _) = self.dying.pop_front().expect("front");
            let name = format!("meme-backend-6d9f7c8b5-{n:05x}");
            assert!(self.api.delete("Pod", NS, &name));
            self.served += 1;
        }
        while self.events.front().is_some_and(|e| e.0 + EVENT_TTL_S <= t) {
            let (_, name) = self.events.pop_front().expect("front");
            assert!(self.api.delete("Event", NS, &name));
            self.served += 1;
        }
        if t % REPLACE_EVERY_S == 0
            && self.pods.len() >= PODS
            && let Some((n, created)) = self.pods.pop_front()
        {
            self.apply(pod(n, "Running", false, created, Some(t)));
            self.event(n, "Killing", "Stopping container backend", t);
            self.dying.push_back((n, created, t + 1));
            self.start_pod(t);
        }
        if t % 15 == 0 {
            let current = self.pods.len();
            self.apply(hpa(current, t));
        }
    }
}

fn start_recorder(dir: &Path, kubeconfig: &Path) -> (Child, String) {
    let config = dir.join("understudy.toml");
    std::fs::write(
        &config,
        format!(
            "[recorder]\nflush_interval = \"50ms\"\nsegment = \"100ms\"\n\n[[source.kubernetes]]\nkubeconfig = {:?}\nnamespaces = [\"{NS}\"]\n",
            kubeconfig.display().to_string()
        ),
    )
    .expect("config");
    let mut child = Command::new(env!("CARGO_BIN_EXE_understudy"))
        .args(["record", "--config"])
        .arg(&config)
        .arg("--out")
        .arg(dir.join("rec"))
        .args(["--listen", "127.0.0.1:0"])
        .env("UNDERSTUDY_LOG", "warn,understudy=info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the recorder");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead as _;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if line.contains("/metrics") {
                let _ = tx.send(line);
            } else if line.contains("WARN") || line.contains("ERROR") {
                eprintln!("recorder: {line}");
            }
        }
    });
    let line = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the recorder starts");
    let start = line.find("http://").expect("url") + 7;
    let end = line[start..].find('/').expect("path") + start;
    (child, line[start..end].to_owned())
}

#[tokio::main]
async fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let hours: f64 = if bench { 24.0 } else { 1.0 / 3.0 };
    let seconds = (hours * 3600.0) as i64;
    let dir = tempfile::tempdir().expect("tempdir");
    let api = FixtureApi::start_with(Duration::from_secs(1), 100_000).await;
    let kubeconfig = dir.path().join("kubeconfig");
    api.write_kubeconfig(&kubeconfig);
    let mut d = Driver {
        api: &api,
        served: 0,
        next_pod: 0,
        next_event: 0,
        pods: VecDeque::new(),
        events: VecDeque::new(),
        dying: VecDeque::new(),
        starting: VecDeque::new(),
    };
    // The steady state before the day starts: 200 ready pods.
    d.apply(hpa(PODS, T0));
    for _ in 0..PODS {
        d.start_pod(T0 - 600);
    }
    d.second(T0);
    let (mut child, addr) = start_recorder(dir.path(), &kubeconfig);
    let pid = child.id();
    // The initial lists (8 scopes: the 200 pods, their Events, the
    // owners), taken in once nothing more arrives.
    let base = loop {
        let w = written(&addr);
        tokio::time::sleep(Duration::from_millis(1000)).await;
        if w > PODS as u64 && written(&addr) == w {
            break w;
        }
    };
    let started = Instant::now();
    let mut rss_at: Vec<(f64, u64)> = Vec::new();
    let served_at_start = d.served;
    for s in 1..=seconds {
        d.second(T0 + s);
        // Flow control: the recorder may be behind by at most WINDOW events.
        while d.served - served_at_start > written(&addr).saturating_sub(base) + WINDOW {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        if s % 3600 == 0 || s == seconds {
            rss_at.push((s as f64 / 3600.0, memory(pid).1));
        }
        if s % 600 == 0 {
            tokio::task::yield_now().await;
        }
    }
    let events = d.served - served_at_start;
    let deadline = Instant::now() + Duration::from_secs(120);
    while written(&addr).saturating_sub(base) < events {
        assert!(
            Instant::now() < deadline,
            "the recorder took in {} of {events} events",
            written(&addr).saturating_sub(base)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let wall = started.elapsed().as_secs_f64();
    let (peak, now) = memory(pid);
    let _ = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status();
    let status = child.wait().expect("wait");
    assert!(status.success(), "the recorder closes cleanly");
    if bench {
        println!(
            "{hours} h of churn: {events} watch events ({} pods, {} Events) in {wall:.1} s = {:.0} events/s",
            d.next_pod,
            d.next_event,
            events as f64 / wall
        );
        println!(
            "recorder RSS: peak {:.1} MiB, at the end {:.1} MiB",
            peak as f64 / 1024.0,
            now as f64 / 1024.0
        );
        let line: Vec<String> = rss_at
            .iter()
            .map(|(h, kib)| format!("{h:.0} h {:.1}", *kib as f64 / 1024.0))
            .collect();
        println!("RSS (MiB) by simulated hour: {}", line.join(", "));
    }
}

//! The fixture API server against the real `kubectl` and a raw HTTP watch.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use understudy_testkit::kube::FixtureApi;

fn hpa(current: i64, desired: i64) -> Value {
    json!({
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {
            "name": "meme-generator",
            "namespace": "meme-generator",
            "labels": {"app": "meme-generator"}
        },
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "meme-generator"},
            "minReplicas": 1,
            "maxReplicas": 20,
            "metrics": [{
                "type": "Pods",
                "pods": {
                    "metric": {"name": "memegenerator_pod_productivity"},
                    "target": {"type": "AverageValue", "averageValue": "10"}
                }
            }]
        },
        "status": {
            "currentReplicas": current,
            "desiredReplicas": desired,
            "lastScaleTime": "2025-10-22T16:05:00Z",
            "currentMetrics": [{
                "type": "Pods",
                "pods": {
                    "metric": {"name": "memegenerator_pod_productivity"},
                    "current": {"averageValue": "6500m"}
                }
            }],
            "conditions": [
                {"type": "AbleToScale", "status": "True", "lastTransitionTime": "2025-10-22T16:01:34Z",
                 "reason": "ScaleDownStabilized",
                 "message": "recent recommendations were higher than current one, applying the highest recent recommendation"},
                {"type": "ScalingActive", "status": "True", "lastTransitionTime": "2025-10-22T16:01:34Z",
                 "reason": "ValidMetricFound",
                 "message": "the HPA was able to successfully calculate a replica count from pods metric memegenerator_pod_productivity"},
                {"type": "ScalingLimited", "status": "False", "lastTransitionTime": "2025-10-22T16:01:34Z",
                 "reason": "DesiredWithinRange", "message": "the desired count is within the acceptable range"}
            ]
        }
    })
}

fn pod(name: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "meme-generator", "labels": {"app": "meme-generator"}},
        "spec": {"containers": [{"name": "meme-generator", "image": "meme-generator:1"}]},
        "status": {"phase": "Running"}
    })
}

fn event() -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "meme-generator.1860f0a1b2c3d4e5", "namespace": "meme-generator"},
        "involvedObject": {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                           "name": "meme-generator", "namespace": "meme-generator"},
        "reason": "SuccessfulRescale",
        "message": "New size: 4; reason: pods metric memegenerator_pod_productivity above target",
        "source": {"component": "horizontal-pod-autoscaler"},
        "type": "Normal",
        "count": 1,
        "firstTimestamp": "2025-10-22T16:05:00Z",
        "lastTimestamp": "2025-10-22T16:05:00Z"
    })
}

/// A blocking GET off the runtime's worker.
fn get(port: u16, path: &str) -> Option<String> {
    tokio::task::block_in_place(|| understudy_testkit::get(port, path))
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("understudy-kube-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("dir");
    d
}

/// A child killed on drop.
struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs kubectl to completion (killed after 20 s): (success, stdout, stderr).
async fn kubectl(kubeconfig: &Path, args: &[&str]) -> (bool, String, String) {
    let mut cmd = Command::new("kubectl");
    cmd.arg("--kubeconfig").arg(kubeconfig).args(args);
    tokio::task::spawn_blocking(move || {
        let mut child = Killed(
            cmd.stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("kubectl is installed"),
        );
        let mut out = child.0.stdout.take().expect("stdout");
        let mut err = child.0.stderr.take().expect("stderr");
        let t_out = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = out.read_to_string(&mut s);
            s
        });
        let t_err = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s);
            s
        });
        let deadline = Instant::now() + Duration::from_secs(20);
        let ok = loop {
            if let Some(st) = child.0.try_wait().expect("wait") {
                break st.success();
            }
            if Instant::now() > deadline {
                let _ = child.0.kill();
                break false;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        (ok, t_out.join().expect("out"), t_err.join().expect("err"))
    })
    .await
    .expect("join")
}

/// Drops what the server sets, to compare with what was applied.
fn without_server_fields(mut v: Value) -> Value {
    if let Some(m) = v["metadata"].as_object_mut() {
        m.remove("resourceVersion");
        m.remove("uid");
        m.remove("creationTimestamp");
    }
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_reads_hpa_pods_and_events() {
    let api = FixtureApi::start().await;
    let dir = temp_dir("get");
    let kc = dir.join("kubeconfig");
    api.write_kubeconfig(&kc);
    let stored = api.apply(hpa(4, 4));
    api.apply(pod("meme-generator-b6c8dd9fc-2hlxm"));
    api.apply(pod("meme-generator-b6c8dd9fc-4qpk2"));
    // `kubectl describe` selects the events by the HPA's uid too.
    let mut ev = event();
    ev["involvedObject"]["uid"] = stored["metadata"]["uid"].clone();
    api.apply(ev);

    let (ok, out, err) = kubectl(&kc, &["get", "hpa", "-n", "meme-generator", "-o", "json"]).await;
    assert!(ok, "kubectl get hpa failed: {err}");
    let list: Value = serde_json::from_str(&out).expect("json");
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!(without_server_fields(items[0].clone()), hpa(4, 4));
    assert!(items[0]["metadata"]["uid"].is_string());

    let (ok, out, err) = kubectl(&kc, &["get", "pods", "-n", "meme-generator"]).await;
    assert!(ok, "kubectl get pods failed: {err}");
    assert!(out.starts_with("NAME"), "{out}");
    assert!(out.contains("meme-generator-b6c8dd9fc-2hlxm"), "{out}");
    assert!(out.contains("meme-generator-b6c8dd9fc-4qpk2"), "{out}");

    // Short names come from discovery; a plain list prints NAME and AGE.
    let (ok, out, err) = kubectl(&kc, &["get", "hpa", "-A"]).await;
    assert!(ok, "kubectl get hpa -A failed: {err}");
    assert!(out.contains("meme-generator"), "{out}");

    let (ok, out, err) = kubectl(
        &kc,
        &[
            "get",
            "events",
            "-n",
            "meme-generator",
            "--field-selector",
            "involvedObject.name=meme-generator",
            "-o",
            "json",
        ],
    )
    .await;
    assert!(ok, "kubectl get events failed: {err}");
    let list: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(list["items"][0]["reason"], "SuccessfulRescale");

    let (ok, _, err) = kubectl(&kc, &["get", "hpa", "-n", "meme-generator", "nope"]).await;
    assert!(!ok);
    assert!(err.contains("not found"), "{err}");

    let (ok, out, err) = kubectl(
        &kc,
        &["describe", "hpa", "-n", "meme-generator", "meme-generator"],
    )
    .await;
    assert!(ok, "kubectl describe failed: {err}");
    assert!(out.contains("Deployment/meme-generator"), "{out}");
    assert!(out.contains("New size: 4"), "{out}");

    let (ok, _, err) = kubectl(
        &kc,
        &[
            "delete",
            "pod",
            "-n",
            "meme-generator",
            "meme-generator-b6c8dd9fc-2hlxm",
        ],
    )
    .await;
    assert!(!ok);
    assert!(
        err.contains("read-only") || err.contains("not allowed"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_watch_sees_modified() {
    let api = FixtureApi::start().await;
    let dir = temp_dir("watch");
    let kc = dir.join("kubeconfig");
    api.write_kubeconfig(&kc);
    api.apply(hpa(4, 4));

    let mut child = Killed(
        Command::new("kubectl")
            .arg("--kubeconfig")
            .arg(&kc)
            .args([
                "get",
                "hpa",
                "-n",
                "meme-generator",
                "-w",
                "--output-watch-events",
                "-o",
                "json",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("kubectl"),
    );
    let mut out = child.0.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel::<Value>();
    std::thread::spawn(move || {
        // `-o json` prints indented objects one after another.
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        while let Ok(n) = out.read(&mut chunk) {
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
            let mut de = serde_json::Deserializer::from_slice(&buf).into_iter::<Value>();
            let mut used = 0;
            while let Some(Ok(v)) = de.next() {
                used = de.byte_offset();
                if tx.send(v).is_err() {
                    return;
                }
            }
            buf.drain(..used);
        }
    });
    let recv = |rx: &mpsc::Receiver<Value>| {
        tokio::task::block_in_place(|| {
            rx.recv_timeout(Duration::from_secs(15))
                .expect("kubectl printed in time")
        })
    };
    let first = recv(&rx);
    assert_eq!(first["type"], "ADDED", "{first}");
    api.apply(hpa(4, 7));
    let second = recv(&rx);
    assert_eq!(second["type"], "MODIFIED", "{second}");
    assert_eq!(second["object"]["status"]["desiredReplicas"], 7);
    drop(child);
    let _ = std::fs::remove_dir_all(dir);
}

/// A raw HTTP/1.1 GET; the watch events read until the stream ends or
/// `until` says stop. Returns (events, whether the stream ended).
async fn raw_watch(
    port: u16,
    path: &str,
    until: impl Fn(&[Value]) -> bool,
    wait: Duration,
) -> (Vec<Value>, bool) {
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .expect("write");
    let deadline = tokio::time::Instant::now() + wait;
    let mut raw = Vec::new();
    let mut ended = false;
    let mut events = Vec::new();
    loop {
        let mut chunk = [0u8; 4096];
        match tokio::time::timeout_at(deadline, s.read(&mut chunk)).await {
            Err(_) => break,
            Ok(Ok(0) | Err(_)) => {
                ended = true;
                break;
            }
            Ok(Ok(n)) => raw.extend_from_slice(&chunk[..n]),
        }
        // One event per chunk: keep the lines that are JSON.
        events = String::from_utf8_lossy(&raw)
            .lines()
            .filter(|l| l.starts_with('{'))
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        if until(&events) {
            break;
        }
    }
    (events, ended)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_watch_replay_bookmarks_expiry_and_drop() {
    let api = FixtureApi::start_with(Duration::from_millis(100), 1000).await;
    let first = api.apply(hpa(1, 1));
    let rv0: u64 = first["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|v| v.parse().ok())
        .expect("resourceVersion");
    api.apply(pod("p1"));
    api.apply(hpa(1, 2));
    let path = "/apis/autoscaling/v2/namespaces/meme-generator/horizontalpodautoscalers";

    // Replay after rv0: only the HPA's MODIFIED (not the pod), then bookmarks.
    let (ev, _) = raw_watch(
        api.port(),
        &format!("{path}?watch=true&resourceVersion={rv0}&allowWatchBookmarks=true"),
        |e| e.iter().any(|e| e["type"] == "BOOKMARK"),
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(ev[0]["type"], "MODIFIED");
    assert_eq!(ev[0]["object"]["status"]["desiredReplicas"], 2);
    let bm = ev
        .iter()
        .find(|e| e["type"] == "BOOKMARK")
        .expect("bookmark");
    assert_eq!(
        bm["object"]["metadata"]["resourceVersion"],
        api.resource_version().to_string()
    );

    // timeoutSeconds ends the stream cleanly.
    let (_, ended) = raw_watch(
        api.port(),
        &format!("{path}?watch=true&timeoutSeconds=1"),
        |_| false,
        Duration::from_secs(5),
    )
    .await;
    assert!(ended);

    // Expired history: 410 as an ERROR event, then the stream ends.
    api.expire_history();
    let (ev, ended) = raw_watch(
        api.port(),
        &format!("{path}?watch=true&resourceVersion={rv0}"),
        |_| false,
        Duration::from_secs(5),
    )
    .await;
    assert!(ended);
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0]["type"], "ERROR");
    assert_eq!(ev[0]["object"]["code"], 410);
    assert_eq!(ev[0]["object"]["reason"], "Expired");
    assert_eq!(
        ev[0]["object"]["message"],
        format!(
            "too old resource version: {rv0} ({})",
            api.resource_version()
        )
    );

    // drop_watches ends an open stream.
    let port = api.port();
    let url = format!(
        "{path}?watch=true&resourceVersion={}",
        api.resource_version()
    );
    let task =
        tokio::spawn(
            async move { raw_watch(port, &url, |_| false, Duration::from_secs(10)).await },
        );
    tokio::time::sleep(Duration::from_millis(300)).await;
    api.apply(hpa(2, 2));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    api.drop_watches();
    let (ev, ended) = tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("ended in time")
        .expect("join");
    assert!(ended && started.elapsed() < Duration::from_secs(3));
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0]["type"], "MODIFIED");

    // Deletion, get, 404 and 405.
    assert!(api.delete(
        "HorizontalPodAutoscaler",
        "meme-generator",
        "meme-generator"
    ));
    let body = get(api.port(), &format!("{path}/meme-generator")).expect("answer");
    let st: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(st["code"], 404);
    let list: Value = serde_json::from_str(
        &get(
            api.port(),
            "/api/v1/pods?labelSelector=app%3Dmeme-generator",
        )
        .expect("answer"),
    )
    .expect("json");
    assert_eq!(list["kind"], "PodList");
    assert_eq!(list["items"][0]["metadata"]["name"], "p1");
    let list: Value = serde_json::from_str(
        &get(api.port(), "/api/v1/pods?labelSelector=app%3Dother").expect("answer"),
    )
    .expect("json");
    assert_eq!(list["items"], json!([]));
}

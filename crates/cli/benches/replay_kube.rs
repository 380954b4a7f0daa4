//! `kubectl get pods` against `understudy replay --kube-listen` at a
//! recording with 2,000 pods: the conflict run's objects plus 2,000 running
//! pods of one Deployment in the same namespace.
//!
//! Reports, median of 20:
//! - the server's time for what `kubectl get pods` asks (a Table, in pages of
//!   500 with `continue`), measured over the wire on loopback;
//! - the whole `kubectl get pods`, wall time, against 2,000 pods and against
//!   the conflict run alone (a few pods), so the client's own start-up shows.
//!
//! Run: `cargo bench -p understudy-cli --bench replay_kube`. Under
//! `cargo test --all-targets` (no `--bench`) it serves 200 pods once and
//! checks kubectl prints every one, timing nothing.

#[path = "../tests/common/mod.rs"]
mod common;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use common::{Server, understudy};

use serde_json::{Value, json};
use understudy_core::{ObjectRevision, SampleBatch, TimeRange, TimelineBatch, WatchEvent};
use understudy_store::{Recording, RecordingMeta, RecordingWriter, WriterOptions};

const NS: &str = "meme-generator";
const TABLE: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

fn conflict() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../recordings/conflict")
}

/// The conflict run's objects (and its series, so the replay has a clock
/// span) plus `pods` running pods created before the run.
fn recording(out: &Path, pods: usize) {
    let original = Recording::open(&conflict()).expect("the bundled recording");
    let mut objects = original.objects(TimeRange::ALL).expect("objects");
    let start = objects.first().map_or(0, |r| r.observed_ms);
    let template: Value = objects
        .iter()
        .find(|r| r.kind == "Pod" && r.event == WatchEvent::Added)
        .and_then(|r| r.object.as_deref())
        .map(|t| serde_json::from_str(t).expect("json"))
        .expect("a pod");
    for n in 0..pods {
        let name = format!("meme-backend-7f9c6d5b4-{n:05x}");
        let mut pod = template.clone();
        pod["metadata"]["name"] = json!(name);
        pod["metadata"]["uid"] = json!(format!("00000000-0000-4000-8000-{n:012x}"));
        pod["metadata"]["labels"]["pod-template-hash"] = json!("7f9c6d5b4");
        pod["status"]["phase"] = json!("Running");
        objects.push(ObjectRevision {
            observed_ms: start,
            server_time_ms: None,
            kind: "Pod".into(),
            api_version: "v1".into(),
            namespace: Some(NS.into()),
            name: Some(name),
            uid: None,
            resource_version: None,
            event: WatchEvent::Added,
            object: Some(pod.to_string()),
        });
    }
    objects.sort_by_key(|r| r.observed_ms);
    let mut samples = SampleBatch::with_capacity(0);
    for s in original.samples(TimeRange::ALL, |_| true).expect("samples") {
        for (&t, &v) in s.timestamps.iter().zip(&s.values) {
            samples.push(&s.series, t, v);
        }
    }
    let meta = RecordingMeta {
        id: None,
        name: format!("conflict-{pods}-pods"),
        labels: Default::default(),
        sources: Vec::new(),
    };
    let opts = WriterOptions {
        segment_ms: i64::MAX,
        max_segment_samples: usize::MAX,
    };
    let (mut w, _) = RecordingWriter::open(out, meta, opts, start).expect("writer");
    w.append(&TimelineBatch {
        samples,
        objects,
        gaps: Vec::new(),
    })
    .expect("append");
    w.close(start).expect("close");
}

/// The replay's Kubernetes API, and the kubeconfig it wrote.
struct Replay {
    _server: Server,
    kubeconfig: PathBuf,
    addr: String,
}

fn replay(rec: &Path, dir: &Path) -> Replay {
    let kubeconfig = dir.join(format!(
        "{}.kubeconfig",
        rec.file_name().and_then(|n| n.to_str()).unwrap_or("rec")
    ));
    let mut cmd = understudy();
    cmd.arg("replay")
        .arg(rec)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--kube-listen",
            "127.0.0.1:0",
            "--paused",
            "--start-at",
            "5m",
        ])
        .arg("--write-kubeconfig")
        .arg(&kubeconfig);
    let server = Server::start(cmd, "Kubernetes API");
    Replay {
        addr: server.addr.clone(),
        _server: server,
        kubeconfig,
    }
}

/// One GET with kubectl's Accept header: status and body, as sent.
fn get(addr: &str, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: {TABLE}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read");
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").expect("a response");
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (code, body.to_owned())
}

/// What `kubectl get pods` asks for the list: pages of 500 Table rows,
/// following `continue`. Returns the pages, unparsed: timing them measures
/// the server, not this client's JSON parser.
fn table_pages(addr: &str) -> Vec<String> {
    let mut pages = Vec::new();
    let mut cont = String::new();
    loop {
        let path = format!("/api/v1/namespaces/{NS}/pods?limit=500{cont}");
        let (code, page) = get(addr, &path);
        assert_eq!(code, 200, "{page}");
        let next = page
            .split_once("\"continue\":\"")
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(token, _)| token.to_owned());
        pages.push(page);
        match next.filter(|c| !c.is_empty()) {
            Some(c) => cont = format!("&continue={c}"),
            None => return pages,
        }
    }
}

/// The rows of the pages, parsed.
fn rows(pages: &[String]) -> usize {
    pages
        .iter()
        .map(|p| {
            let v: Value = serde_json::from_str(p).expect("a Table");
            v["rows"].as_array().map_or(0, Vec::len)
        })
        .sum()
}

fn kubectl_get_pods(r: &Replay) -> String {
    let o = Command::new("kubectl")
        .args(["get", "pods", "-n", NS])
        .env("KUBECONFIG", &r.kubeconfig)
        .output()
        .expect("kubectl");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn median_ms(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut v: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let (pods, runs) = if bench { (2000, 20) } else { (200, 1) };
    let dir = tempfile::tempdir().expect("tempdir");
    let rec = dir.path().join(format!("conflict-{pods}-pods"));
    recording(&rec, pods);
    let big = replay(&rec, dir.path());
    let small = replay(&conflict(), dir.path());

    // Every pod is printed: the extra ones and the run's own at 5 min.
    let listed = kubectl_get_pods(&big);
    let extra = listed
        .lines()
        .filter(|l| l.starts_with("meme-backend-7f9c6d5b4-"))
        .count();
    assert_eq!(extra, pods, "{listed}");
    let own = kubectl_get_pods(&small).lines().count() - 1;
    assert_eq!(listed.lines().count() - 1, pods + own);
    assert_eq!(rows(&table_pages(&big.addr)), pods + own);
    if !bench {
        return;
    }

    let server = median_ms(runs, || {
        table_pages(&big.addr);
    });
    let first_page = median_ms(runs, || {
        get(
            &big.addr,
            &format!("/api/v1/namespaces/{NS}/pods?limit=500"),
        );
    });
    let whole = median_ms(runs, || {
        kubectl_get_pods(&big);
    });
    let floor = median_ms(runs, || {
        kubectl_get_pods(&small);
    });
    println!(
        "kubectl get pods at {} pods (median of {runs}):",
        pods + own
    );
    println!("  server, the first Table page (500 rows):   {first_page:.1} ms");
    println!(
        "  server, the {} Table pages kubectl asks for: {server:.1} ms",
        (pods + own).div_ceil(500)
    );
    println!("  kubectl get pods, wall time:                 {whole:.1} ms");
    println!("  kubectl get pods at the conflict run alone ({own} pods): {floor:.1} ms");
}

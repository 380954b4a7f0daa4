//! What the tests of several crates share: a real Prometheus (Debian's
//! `prometheus`) on a loopback port scraping a small exporter whose values
//! are known, a real `nats-server -js`, plain HTTP helpers, and a sink that
//! keeps what a source sends.
//! Dev-only: no crate depends on it outside `[dev-dependencies]`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use understudy_core::{BoxFuture, ObjectRevision, Sample, Sink, SinkClosed, TimelineBatch};

pub mod chromium;
pub mod kube;
mod nats;

pub use nats::{NatsServer, memes};

pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// The exporter: `test_requests_total{path="/a"}` grows by 3 a second and
/// `test_temperature{room="lab"}` moves with the clock, so every scrape has
/// a value of its own.
#[derive(Debug)]
pub struct Exporter {
    pub port: u16,
    _task: tokio::task::JoinHandle<()>,
}

pub async fn exporter() -> Exporter {
    let started = Instant::now();
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || async move {
            let s = started.elapsed().as_secs_f64();
            format!(
                "# TYPE test_requests_total counter\n\
                 test_requests_total{{path=\"/a\"}} {}\n\
                 # TYPE test_temperature gauge\n\
                 test_temperature{{room=\"lab\"}} {}\n",
                (s * 3.0).floor(),
                20.0 + (s / 3.0).sin()
            )
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Exporter { port, _task: task }
}

/// The exporter and a Prometheus that has scraped it at least once (its
/// scrape manager starts targets a few seconds after it is ready), with
/// `extra` YAML in its config.
pub async fn prometheus_scraping_exporter(dir: &Path, extra: &str) -> (Exporter, Prometheus) {
    let exp = exporter().await;
    let prom = Prometheus::start(dir, exp.port, extra);
    prom.wait_scraped();
    (exp, prom)
}

/// A Prometheus behind TLS (a certificate for 127.0.0.1 signed by a CA of
/// its own) and basic auth: `user` with `password`. Returns the process
/// and the CA's PEM file. Its readiness is not awaited (the helpers here
/// speak plain HTTP): poll it with the client under test.
pub fn secured_prometheus(
    dir: &Path,
    target: u16,
    user: &str,
    password: &str,
) -> (Prometheus, PathBuf) {
    let ca_key = rcgen::KeyPair::generate().expect("key");
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "understudy test CA");
    let ca_cert = ca.self_signed(&ca_key).expect("CA");
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let key = rcgen::KeyPair::generate().expect("key");
    let mut leaf = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
    leaf.subject_alt_names
        .push(rcgen::SanType::IpAddress(std::net::IpAddr::from([
            127, 0, 0, 1,
        ])));
    let cert = leaf.signed_by(&key, &issuer).expect("certificate");
    let write = |name: &str, text: String| {
        let p = dir.join(name);
        std::fs::write(&p, text).expect("write");
        p
    };
    let ca_file = write("ca.pem", ca_cert.pem());
    let cert_file = write("server.pem", cert.pem());
    let key_file = write("server-key.pem", key.serialize_pem());
    let hash = bcrypt::hash(password, 4).expect("bcrypt");
    let web = write(
        "web.yml",
        format!(
            "tls_server_config:\n  cert_file: {}\n  key_file: {}\nbasic_auth_users:\n  {user}: {hash}\n",
            cert_file.display(),
            key_file.display()
        ),
    );
    let mut p = Prometheus::configure(dir, target, "");
    p.web_config = Some(web);
    p.url = format!("https://127.0.0.1:{}", p.port);
    p.spawn_unchecked();
    (p, ca_file)
}

/// A Prometheus process, killed on drop.
#[derive(Debug)]
pub struct Prometheus {
    pub port: u16,
    pub url: String,
    dir: PathBuf,
    config: PathBuf,
    web_config: Option<PathBuf>,
    child: Option<Child>,
}

impl Prometheus {
    /// Starts Prometheus scraping `target` every second, with `extra` YAML
    /// appended to its config (e.g. `remote_write`).
    pub fn start(dir: &Path, target: u16, extra: &str) -> Prometheus {
        let mut p = Prometheus::configure(dir, target, extra);
        p.spawn();
        p
    }

    fn configure(dir: &Path, target: u16, extra: &str) -> Prometheus {
        let port = free_port();
        let config = dir.join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
                 scrape_configs:\n  - job_name: exporter\n    static_configs:\n      - targets: ['127.0.0.1:{target}']\n{extra}"
            ),
        )
        .expect("config");
        Prometheus {
            port,
            url: format!("http://127.0.0.1:{port}"),
            dir: dir.join("data"),
            config,
            web_config: None,
            child: None,
        }
    }

    fn spawn(&mut self) {
        self.spawn_unchecked();
        self.wait_ready();
    }

    fn spawn_unchecked(&mut self) {
        let log = std::fs::File::create(self.dir.with_extension("log")).expect("log");
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", self.config.display()))
            .arg(format!("--storage.tsdb.path={}", self.dir.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{}", self.port))
            .args(
                self.web_config
                    .iter()
                    .map(|w| format!("--web.config.file={}", w.display())),
            )
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("prometheus is installed (scripts/setup.sh)");
        self.child = Some(child);
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if get(self.port, "/-/ready").is_some_and(|b| b.contains("Ready")) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("Prometheus on port {} did not get ready in 30 s", self.port);
    }

    /// Waits until it has scraped the exporter (its scrape manager starts
    /// targets a few seconds after it is ready).
    pub fn wait_scraped(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            let v = query(self.port, r#"up{job="exporter"} == 1"#, now);
            if v["data"]["result"]
                .as_array()
                .is_some_and(|r| !r.is_empty())
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!(
            "Prometheus on port {} did not scrape the exporter in 30 s",
            self.port
        );
    }

    /// Kills it (as a crash would) and leaves its data directory.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same port and data directory.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A plain HTTP/1.0 GET on loopback: the body, or `None`.
pub fn get(port: u16, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    out.split_once("\r\n\r\n").map(|(_, body)| body.to_owned())
}

/// `/api/v1/query` at `at_s`, as JSON.
pub fn query(port: u16, expr: &str, at_s: i64) -> serde_json::Value {
    let mut q = String::new();
    for b in expr.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => q.push(b as char),
            _ => q.push_str(&format!("%{b:02X}")),
        }
    }
    let body = get(port, &format!("/api/v1/query?query={q}&time={at_s}")).expect("answer");
    serde_json::from_str(&body).expect("json")
}

/// Raw samples Prometheus holds for `selector` in its last `range`, as
/// `(metric, labels json, timestamp ms, value)`.
pub fn raw(port: u16, selector: &str, range: &str, at_s: i64) -> Vec<(String, i64, f64)> {
    let v = query(port, &format!("{selector}[{range}]"), at_s);
    let mut out = Vec::new();
    for s in v["data"]["result"].as_array().expect("matrix") {
        let key = series_key(&s["metric"]);
        for p in s["values"].as_array().expect("values") {
            let t = (p[0].as_f64().expect("t") * 1000.0).round() as i64;
            let v: f64 = p[1].as_str().expect("v").parse().expect("f64");
            out.push((key.clone(), t, v));
        }
    }
    out.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    out
}

/// `name{k="v",…}` with labels sorted, from a Prometheus metric object.
pub fn series_key(metric: &serde_json::Value) -> String {
    let mut pairs: Vec<(String, String)> = metric
        .as_object()
        .expect("object")
        .iter()
        .filter(|(k, _)| k.as_str() != "__name__")
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
        .collect();
    pairs.sort();
    let name = metric["__name__"].as_str().unwrap_or_default();
    let labels: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
    format!("{name}{{{}}}", labels.join(","))
}

/// The same key for a recorded sample.
pub fn sample_key(s: &Sample) -> String {
    let labels: Vec<String> = s
        .series
        .labels()
        .iter()
        .map(|(k, v)| format!("{k}={v:?}"))
        .collect();
    format!("{}{{{}}}", s.series.metric(), labels.join(","))
}

/// Keeps every batch a source sends.
#[derive(Debug, Default, Clone)]
pub struct Collect(pub Arc<Mutex<Vec<TimelineBatch>>>);

impl Collect {
    pub fn samples(&self) -> Vec<Sample> {
        self.0
            .lock()
            .expect("lock")
            .iter()
            .flat_map(|b| b.samples.iter().cloned())
            .collect()
    }

    pub fn objects(&self) -> Vec<ObjectRevision> {
        self.0
            .lock()
            .expect("lock")
            .iter()
            .flat_map(|b| b.objects.iter().cloned())
            .collect()
    }
}

impl Sink for Collect {
    fn send(&self, batch: TimelineBatch) -> BoxFuture<'_, Result<(), SinkClosed>> {
        self.0.lock().expect("lock").push(batch);
        Box::pin(async { Ok(()) })
    }
}

//! Debian's `prometheus` on a loopback port chosen at run time, started one
//! of three ways: scraping the [`exporter`] (or itself) every second, behind
//! TLS and basic auth, or over blocks that `promtool` backfilled from a
//! recording's OpenMetrics export — the oracle the differential tests and
//! benches compare understudy's answers with. Each process is killed when
//! its [`Prometheus`] drops.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use understudy_core::Sample;
use understudy_store::Recording;
use understudy_store::export::{Format, export};

use crate::{free_port, get};

/// How long Prometheus may take to get ready (replaying a WAL or opening
/// the blocks of an hour-long recording on a loaded machine).
const READY_WITHIN: Duration = Duration::from_secs(60);

/// Panics unless `tool` is on the PATH: tests that need it are never
/// skipped, since one that passes without it would prove nothing.
pub fn require(tool: &str) -> PathBuf {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join(tool))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{tool} is not installed: run scripts/setup.sh"))
}

/// Writes the samples of the recording in `recording` as OpenMetrics text
/// to `out` (staleness markers left out: OpenMetrics cannot carry them).
pub fn write_openmetrics(recording: &Path, out: &Path) {
    let rec = Recording::open(recording).expect("a readable recording");
    let mut f = std::io::BufWriter::new(std::fs::File::create(out).expect("create"));
    export(&rec, Format::OpenMetrics, |_| true, &mut f, &mut |_, _| {}).expect("export");
    std::io::Write::flush(&mut f).expect("write OpenMetrics");
}

/// `promtool tsdb create-blocks-from openmetrics`: TSDB blocks in `blocks`
/// from an OpenMetrics file (ending in `# EOF`).
pub fn backfill(openmetrics: &Path, blocks: &Path) {
    let out = Command::new(require("promtool"))
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(openmetrics)
        .arg(blocks)
        .output()
        .expect("run promtool");
    assert!(
        out.status.success(),
        "promtool refused {}: {}{}",
        openmetrics.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The exporter: `test_requests_total{path="/a"}` grows by 3 a second and
/// `test_temperature{room="lab"}` moves with the clock, so every scrape has
/// a value of its own.
#[derive(Debug)]
pub struct Exporter {
    /// The port on 127.0.0.1 serving `/metrics`.
    pub port: u16,
    _task: tokio::task::JoinHandle<()>,
}

/// Starts the [`Exporter`] on a free loopback port, as a task of the
/// current Tokio runtime: it serves until that runtime shuts down.
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
    let mut p = Prometheus::scraping(dir, "exporter", Some(target), "");
    p.flags.push(format!("--web.config.file={}", web.display()));
    p.url = format!("https://127.0.0.1:{}", p.port);
    p.spawn_unchecked();
    (p, ca_file)
}

/// A Prometheus process, killed on drop.
#[derive(Debug)]
pub struct Prometheus {
    /// Its HTTP port on 127.0.0.1.
    pub port: u16,
    /// `http://127.0.0.1:<port>`, or `https://` for [`secured_prometheus`].
    pub url: String,
    /// Its TSDB directory.
    data: PathBuf,
    config: PathBuf,
    flags: Vec<String>,
    child: Option<Child>,
    /// The directory of a Prometheus that made its own, removed after it.
    _temp: Option<tempfile::TempDir>,
}

impl Prometheus {
    /// Starts Prometheus scraping `target` every second (job `exporter`),
    /// with `extra` YAML appended to its config (e.g. `remote_write`).
    pub fn start(dir: &Path, target: u16, extra: &str) -> Prometheus {
        let mut p = Prometheus::scraping(dir, "exporter", Some(target), extra);
        p.spawn();
        p
    }

    /// Starts Prometheus scraping itself every second (job `prometheus`),
    /// with `extra` YAML appended to its config: its own metrics are data
    /// that only a real Prometheus produces.
    pub fn scraping_itself(dir: &Path, extra: &str) -> Prometheus {
        let mut p = Prometheus::scraping(dir, "prometheus", None, extra);
        p.spawn();
        p
    }

    /// Serves the samples of the recording in `recording`: exported as
    /// OpenMetrics, backfilled with promtool, in a directory of its own.
    pub fn over_recording(recording: &Path) -> Prometheus {
        let temp = tempfile::tempdir().expect("tempdir");
        let om = temp.path().join("data.om");
        write_openmetrics(recording, &om);
        let mut p = Prometheus::over_openmetrics(&om, temp.path());
        p._temp = Some(temp);
        p
    }

    /// Serves an OpenMetrics file (ending in `# EOF`), backfilled with
    /// promtool into blocks under `dir`. It scrapes nothing, and keeps the
    /// blocks however old their samples are.
    pub fn over_openmetrics(openmetrics: &Path, dir: &Path) -> Prometheus {
        require("prometheus");
        let data = dir.join("tsdb");
        backfill(openmetrics, &data);
        let config = dir.join("prometheus.yml");
        std::fs::write(&config, "global: {}\n").expect("config");
        let port = free_port();
        let mut p = Prometheus {
            port,
            url: format!("http://127.0.0.1:{port}"),
            data,
            config,
            flags: vec!["--storage.tsdb.retention.time=100y".to_owned()],
            child: None,
            _temp: None,
        };
        p.spawn();
        p
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// What it has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data.with_extension("log")).unwrap_or_default()
    }

    /// A config scraping `target` (itself when `None`) as `job`.
    fn scraping(dir: &Path, job: &str, target: Option<u16>, extra: &str) -> Prometheus {
        let port = free_port();
        let target = target.unwrap_or(port);
        let config = dir.join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
                 scrape_configs:\n  - job_name: {job}\n    static_configs:\n      - targets: ['127.0.0.1:{target}']\n{extra}"
            ),
        )
        .expect("config");
        Prometheus {
            port,
            url: format!("http://127.0.0.1:{port}"),
            data: dir.join("data"),
            config,
            flags: Vec::new(),
            child: None,
            _temp: None,
        }
    }

    fn spawn(&mut self) {
        self.spawn_unchecked();
        self.wait_ready();
    }

    fn spawn_unchecked(&mut self) {
        let log = std::fs::File::create(self.data.with_extension("log")).expect("log");
        let child = Command::new(require("prometheus"))
            .arg(format!("--config.file={}", self.config.display()))
            .arg(format!("--storage.tsdb.path={}", self.data.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{}", self.port))
            .args(&self.flags)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start prometheus");
        self.child = Some(child);
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + READY_WITHIN;
        while Instant::now() < deadline {
            if get(self.port, "/-/ready").is_some_and(|b| b.contains("Ready")) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "Prometheus on port {} did not get ready in {READY_WITHIN:?}; it said:\n{}",
            self.port,
            self.log()
        );
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
/// `(series key, timestamp ms, value)`.
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

//! Helpers for tests that drive the `understudy` binary.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub fn understudy() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_understudy"));
    c.env("NO_COLOR", "1").env("UNDERSTUDY_LOG", "info");
    c
}

/// Runs `understudy ARGS` to completion.
pub fn run(args: &[&str]) -> Output {
    understudy().args(args).output().expect("run understudy")
}

/// `understudy simulate --scenario SCENARIO --out OUT --seed SEED --duration
/// DURATION` to completion.
pub fn simulate(scenario: &str, out: &Path, seed: u64, duration: &str) -> Output {
    let seed = seed.to_string();
    run(&[
        "simulate",
        "--scenario",
        scenario,
        "--out",
        out.to_str().expect("utf-8"),
        "--seed",
        &seed,
        "--duration",
        duration,
    ])
}

/// `understudy record --config CONFIG --out OUT --listen 127.0.0.1:0 EXTRA…`
/// to completion.
pub fn record(config: &Path, out: &Path, extra: &[&str]) -> Output {
    understudy()
        .args(["record", "--config"])
        .arg(config)
        .arg("--out")
        .arg(out)
        .args(["--listen", "127.0.0.1:0"])
        .args(extra)
        .output()
        .expect("run understudy record")
}

/// `understudy export DIR ARGS…` to completion.
pub fn export(dir: &Path, args: &[&str]) -> Output {
    understudy()
        .arg("export")
        .arg(dir)
        .args(args)
        .output()
        .expect("run understudy export")
}

/// The timestamps (ms) of a CSV export, in file order.
pub fn csv_times(csv: &str) -> Vec<i64> {
    csv.lines()
        .skip(1)
        .map(|l| {
            let ts = l.split(',').next().expect("timestamp column");
            let t = humantime::parse_rfc3339(ts).expect("RFC 3339 timestamp");
            t.duration_since(std::time::UNIX_EPOCH)
                .expect("after 1970")
                .as_millis() as i64
        })
        .collect()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Panics with the install hint when a tool the tests need is missing: in CI
/// a missing tool must fail, never skip.
pub fn require(tool: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join(tool))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{tool} is not installed: run scripts/setup.sh"))
}

pub fn write(path: &Path, text: &str) -> PathBuf {
    std::fs::write(path, text).expect("write file");
    path.to_owned()
}

/// A recorder running in the background, with its stderr collected.
pub struct Recorder {
    pub child: Child,
    lines: mpsc::Receiver<String>,
    pub log: Vec<String>,
}

impl Recorder {
    pub fn start(config: &Path, out: &Path) -> Recorder {
        let mut child = understudy()
            .args(["record", "--config"])
            .arg(config)
            .arg("--out")
            .arg(out)
            .args(["--listen", "127.0.0.1:0"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start recorder");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Recorder {
            child,
            lines,
            log: Vec::new(),
        }
    }

    /// Waits for a log line containing `needle` and returns it.
    pub fn wait_for(&mut self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.log.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no log line with {needle:?} within {timeout:?}; log so far:\n{}",
                    self.log.join("\n")
                ),
            }
        }
    }

    /// The address of `/metrics`, from the start-up log line.
    pub fn health_addr(&mut self) -> String {
        let line = self.wait_for("/metrics", Duration::from_secs(20));
        let start = line.find("http://").expect("url") + 7;
        let end = line[start..].find('/').expect("path") + start;
        line[start..end].to_owned()
    }

    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{signal} failed");
    }

    /// Waits for the process to exit, with everything it logged.
    /// Ctrl-C, then waits: the recorder must close cleanly. Its log.
    pub fn interrupt(self) -> String {
        self.signal("INT");
        let (status, log) = self.wait();
        assert!(status.success(), "{log}");
        log
    }

    pub fn wait(mut self) -> (std::process::ExitStatus, String) {
        let status = self.child.wait().expect("wait");
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.log.push(line);
        }
        (status, self.log.join("\n"))
    }
}

/// A test that fails midway leaves no recorder running behind it.
impl Drop for Recorder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A POST without a body (the replay's control API), which must answer 200.
pub fn http_post(addr: &str, path: &str) {
    let mut s = TcpStream::connect(addr).expect("connect");
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    assert!(out.starts_with("HTTP/1.1 200"), "POST {path}: {out}");
}

/// A recording of the recorder's own health only (no sources): no queue,
/// no cluster.
pub fn health_recording(dir: &Path, duration: &str) -> PathBuf {
    let out = dir.join("health");
    let o = record(
        &write(&dir.join("empty.toml"), ""),
        &out,
        &["--duration", duration],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    out
}

/// A plain HTTP/1.1 GET: status code and body.
pub fn http_get(addr: &str, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut resp = String::new();
    s.read_to_string(&mut resp).expect("read");
    let code = resp
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("status code");
    let body = resp
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (code, body)
}

pub fn inspect_json(dir: &Path) -> serde_json::Value {
    let o = run(&["inspect", dir.to_str().expect("utf-8 path"), "--json"]);
    assert!(o.status.success(), "inspect failed: {}", stderr(&o));
    serde_json::from_slice(&o.stdout).expect("inspect --json prints JSON")
}

/// The one gap `source` left in `rec`, which must have closed (the source
/// came back); `log` explains a failure.
pub fn the_closed_gap(
    rec: &understudy_store::Recording,
    source: &str,
    log: &str,
) -> understudy_core::Gap {
    let gaps: Vec<_> = rec
        .manifest()
        .gaps
        .iter()
        .filter(|g| g.source == source)
        .collect();
    assert_eq!(gaps.len(), 1, "one outage, one gap: {gaps:?}\n{log}");
    assert!(gaps[0].end_ms.is_some(), "closed when {source} came back");
    gaps[0].clone()
}

/// A server started in the background (`replay`, `dashboard`), killed on
/// drop, its stderr drained for its whole life (a closed pipe would fail
/// its logging).
pub struct Server {
    pub child: Child,
    /// What its log line names after ` on http://`.
    pub addr: String,
}

impl Server {
    /// `understudy dashboard` on a free loopback port, proxying
    /// `prometheus` (a URL) and showing the dashboard file `dashboard`.
    pub fn dashboard(prometheus: &str, dashboard: &Path) -> Server {
        let mut cmd = understudy();
        cmd.args([
            "dashboard",
            "--prometheus",
            prometheus,
            "--listen",
            "127.0.0.1:0",
            "--dashboard",
        ])
        .arg(dashboard);
        Server::start(cmd, "dashboard of")
    }

    /// Starts `cmd` and waits for the log line containing `marker` and
    /// ` on http://ADDR`.
    pub fn start(mut cmd: Command, marker: &str) -> Server {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the server");
        let stderr = BufReader::new(child.stderr.take().expect("stderr"));
        let (tx, rx) = mpsc::channel();
        let wanted = marker.to_owned();
        std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                if let Some(at) = line.find(" on http://").filter(|_| line.contains(&wanted)) {
                    let rest = &line[at + " on http://".len()..];
                    let addr = rest
                        .split(|c: char| c.is_whitespace() || c == ';')
                        .next()
                        .unwrap_or_default();
                    let _ = tx.send(addr.trim_end_matches('/').to_owned());
                }
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("no log line with {marker:?} and an address"));
        Server { child, addr }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

//! The servers under attack: `understudy replay` and `understudy record`,
//! started as users start them, their logs kept for the report.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use understudy_testkit::free_port;

use super::common::{understudy, write};
use super::corpus::{Request, Target, excerpt, http_request};
use super::wire::{get, send};

/// The replay's answer to `1+1` at `time=4` (the query Grafana's "Save & test" sends).
const ONE_PLUS_ONE: &str =
    r#"{"status":"success","data":{"resultType":"scalar","result":[4,"2"]}}"#;

/// A server under attack.
pub trait Process {
    fn addr(&self, target: Target) -> &str;
    /// `None` when the server runs and answers correctly, else what is wrong.
    fn alive(&mut self) -> Option<String>;
    /// Kills the server; its log.
    fn stop(&mut self) -> String;
    /// How many bytes it has logged so far.
    fn logged(&self) -> usize;
}

/// A child process logging into a file (read after a crash).
pub struct Logged {
    child: Child,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Logged {
    pub fn spawn(mut cmd: std::process::Command, dir: tempfile::TempDir) -> Logged {
        let log = dir.path().join("stderr.log");
        let file = std::fs::File::create(&log).expect("log file");
        let child = cmd
            .env("RUST_BACKTRACE", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("start understudy");
        Logged {
            child,
            log,
            _dir: dir,
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The address after ` on http://` in the first log line containing
    /// `marker`.
    pub fn wait_for_addr(&mut self, marker: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let log = self.log();
            if let Some(line) = log.lines().find(|l| l.contains(marker))
                && let Some(at) = line.find(" on http://")
            {
                let rest = &line[at + " on http://".len()..];
                return rest
                    .split(['/', ' ', ';'])
                    .next()
                    .unwrap_or_default()
                    .to_owned();
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("understudy exited ({status}) before {marker:?}:\n{log}");
            }
            assert!(
                Instant::now() < deadline,
                "no log line with {marker:?}:\n{log}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(format!(
                "the server exited ({status}):\n{}",
                tail(&self.log(), 8)
            )),
            _ => None,
        }
    }

    pub fn stop(&mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.log()
    }
}

impl Drop for Logged {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `understudy replay recordings/conflict --kube-listen`.
pub struct Replay {
    proc: Logged,
    prometheus: String,
    kube: String,
}

impl Replay {
    pub fn start() -> Replay {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut cmd = understudy();
        cmd.arg("replay")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../recordings/conflict"))
            .args(["--listen", "127.0.0.1:0", "--kube-listen", "127.0.0.1:0"]);
        let mut proc = Logged::spawn(cmd, dir);
        let prometheus = proc.wait_for_addr("replaying");
        let kube = proc.wait_for_addr("Kubernetes API on");
        Replay {
            proc,
            prometheus,
            kube,
        }
    }
}

impl Process for Replay {
    fn addr(&self, target: Target) -> &str {
        match target {
            Target::Kube => &self.kube,
            _ => &self.prometheus,
        }
    }

    fn alive(&mut self) -> Option<String> {
        // A clock broken by the case (a speed that overflows) breaks once
        // a millisecond has passed: let it, so the case is the one named.
        std::thread::sleep(Duration::from_millis(20));
        if let Some(e) = self.proc.exited() {
            return Some(e);
        }
        match get(&self.prometheus, "/api/v1/query?query=1%2B1&time=4") {
            Ok((200, body)) if body == ONE_PLUS_ONE => {}
            Ok((status, body)) => {
                return Some(format!(
                    "afterwards 1+1 answered {status}: {}",
                    excerpt(&body)
                ));
            }
            Err(e) => return Some(format!("afterwards 1+1 failed: {e}")),
        }
        // A query of recorded data goes through the clock's mapping.
        match get(
            &self.prometheus,
            "/api/v1/query?query=count(kube_deployment_spec_replicas)",
        ) {
            Ok((200, body)) if body.contains(r#""status":"success""#) => {}
            Ok((status, body)) => {
                return Some(format!(
                    "afterwards a query of recorded data answered {status}: {}",
                    excerpt(&body)
                ));
            }
            Err(e) => return Some(format!("afterwards a query of recorded data failed: {e}")),
        }
        match get(&self.kube, "/version") {
            Ok((200, _)) => None,
            Ok((status, body)) => Some(format!(
                "afterwards the Kubernetes API's /version answered {status}: {}",
                excerpt(&body)
            )),
            Err(e) => Some(format!("afterwards the Kubernetes API failed: {e}")),
        }
    }

    fn stop(&mut self) -> String {
        self.proc.stop()
    }

    fn logged(&self) -> usize {
        self.proc.log().len()
    }
}

/// `understudy record` with a remote-write receiver (its Prometheus is
/// never there: only the receiver and the health server matter).
pub struct Recorder {
    proc: Logged,
    health: String,
    remote_write: String,
}

impl Recorder {
    pub fn start() -> Recorder {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let config = write(
            &dir.path().join("understudy.toml"),
            &format!(
                "[recorder]\nflush_interval = \"100ms\"\n\n\
                 [[source.prometheus]]\nurl = \"http://127.0.0.1:1\"\nselectors = ['up']\n\n\
                 [source.prometheus.remote_write]\nlisten = \"127.0.0.1:{port}\"\n"
            ),
        );
        let mut cmd = understudy();
        cmd.args(["record", "--config"])
            .arg(&config)
            .arg("--out")
            .arg(dir.path().join("rec"))
            .args(["--listen", "127.0.0.1:0"]);
        let mut proc = Logged::spawn(cmd, dir);
        let health = proc.wait_for_addr("health on");
        let remote_write = proc.wait_for_addr("receiving remote write");
        // Healthy once the journal has been synced.
        let deadline = Instant::now() + Duration::from_secs(20);
        while !matches!(get(&health, "/healthz"), Ok((200, _))) {
            assert!(Instant::now() < deadline, "never healthy:\n{}", proc.log());
            std::thread::sleep(Duration::from_millis(50));
        }
        Recorder {
            proc,
            health,
            remote_write,
        }
    }
}

impl Process for Recorder {
    fn addr(&self, target: Target) -> &str {
        match target {
            Target::RemoteWrite => &self.remote_write,
            _ => &self.health,
        }
    }

    fn alive(&mut self) -> Option<String> {
        // A sample takes a flush (100 ms) to reach the recording: give a
        // crash there the time to happen now, not during the next case.
        std::thread::sleep(Duration::from_millis(300));
        if let Some(e) = self.proc.exited() {
            return Some(e);
        }
        match get(&self.health, "/healthz") {
            Ok((200, _)) => {}
            Ok((status, body)) => {
                return Some(format!(
                    "afterwards /healthz answered {status}: {}",
                    excerpt(&body)
                ));
            }
            Err(e) => return Some(format!("afterwards /healthz failed: {e}")),
        }
        // An empty WriteRequest: a snappy block of zero bytes.
        let empty = http_request(
            b"POST",
            b"/api/v1/write",
            &[
                b"Content-Encoding: snappy".to_vec(),
                b"Content-Type: application/x-protobuf".to_vec(),
            ],
            &[0],
        );
        let o = send(
            &Request {
                chunks: vec![(Duration::ZERO, empty)],
                timeout: Duration::from_secs(10),
                ..Request::default()
            },
            &self.remote_write,
        );
        match o.status {
            Some(204) => None,
            other => Some(format!(
                "afterwards an empty remote write answered {other:?}: {}",
                o.error.unwrap_or_else(|| excerpt(&o.body))
            )),
        }
    }

    fn stop(&mut self) -> String {
        self.proc.stop()
    }

    fn logged(&self) -> usize {
        self.proc.log().len()
    }
}

/// The panics in a server's log, else its last `n` lines.
pub fn tail(log: &str, n: usize) -> String {
    let lines: Vec<&str> = log.lines().collect();
    let panics: Vec<String> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.contains("panicked at") || l.contains("overflowed its stack"))
        .flat_map(|(i, _)| lines[i..(i + 2).min(lines.len())].iter())
        .map(|l| format!("      {l}"))
        .collect();
    if !panics.is_empty() {
        return panics.join("\n");
    }
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|l| format!("      {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

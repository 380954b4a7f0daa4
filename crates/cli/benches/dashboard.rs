//! The stage dashboard of `understudy replay recordings/conflict` in
//! Debian's headless Chromium, on localhost:
//! - first paint: the page's own First Contentful Paint (Paint Timing), in
//!   a fresh profile each time, median of 5;
//! - steady updates: CPU time of every Chromium process and of the replay
//!   server over 20 s of the page updating every second, as a share of one
//!   core.
//!
//! Run: `cargo bench -p understudy-cli --bench dashboard`. Under
//! `cargo test --all-targets` (no `--bench`) it loads the page once and
//! checks that it painted, timing nothing.

#[path = "../tests/common/mod.rs"]
mod common;

use std::io::{BufRead as _, BufReader};
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Server, understudy};

fn replay() -> Server {
    let conflict = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../recordings/conflict");
    let mut cmd = understudy();
    cmd.arg("replay")
        .arg(conflict)
        .args(["--listen", "127.0.0.1:0", "--start-at", "3m"]);
    Server::start(cmd, "replaying")
}

/// A headless Chromium showing `url` in real time (no virtual time: the
/// page's timers and paint timing run on the wall clock), kept alive by its
/// DevTools port, its log read for the page's `?bench=1` console lines.
struct Browser {
    child: Child,
    lines: std::sync::mpsc::Receiver<String>,
    _profile: tempfile::TempDir,
}

impl Browser {
    fn open(url: &str) -> Browser {
        let profile = tempfile::tempdir().expect("profile");
        let mut child = Command::new(understudy_testkit::chromium::require_chromium())
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--no-first-run",
                "--window-size=1600,1000",
                "--enable-logging=stderr",
                "--v=0",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg(format!("{url}?bench=1"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .expect("chromium");
        let stderr = BufReader::new(child.stderr.take().expect("stderr"));
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                if let Some(at) = line.find("understudy-bench ") {
                    let msg = line[at + 17..]
                        .split('"')
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                    if tx.send(msg).is_err() {
                        break;
                    }
                }
            }
        });
        Browser {
            child,
            lines,
            _profile: profile,
        }
    }

    /// The value of the next bench line starting with `prefix`.
    fn next(&self, prefix: &str) -> f64 {
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(30))
                .expect("the page reports");
            if let Some(v) = line.strip_prefix(prefix) {
                return v.trim().parse().expect("a number");
            }
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The whole group: renderer, GPU and utility processes too.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &group])
            .status();
        let _ = self.child.wait();
    }
}

/// utime + stime of a process, in clock ticks.
fn ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

/// CPU ticks of every process in process group `pgid`, and of `pid`.
fn cpu(pgid: u32, pid: u32) -> (u64, u64) {
    let mut group = 0;
    let mut one = 0;
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        let Some(rest) = stat.rfind(')').map(|i| &stat[i + 2..]) else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let own: u32 = e
            .file_name()
            .to_str()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        if fields.get(2).and_then(|g| g.parse::<u32>().ok()) == Some(pgid) {
            group += ticks(&stat).unwrap_or(0);
        }
        if own == pid {
            one += ticks(&stat).unwrap_or(0);
        }
    }
    (group, one)
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let server = replay();
    let url = format!("http://{}/", server.addr);
    if !bench {
        let b = Browser::open(&url);
        assert!(b.next("fcp=") > 0.0);
        assert!(b.next("update=") >= 1.0);
        return;
    }
    let mut fcp: Vec<f64> = (0..5).map(|_| Browser::open(&url).next("fcp=")).collect();
    fcp.sort_by(f64::total_cmp);
    println!(
        "first contentful paint: median {:.0} ms (min {:.0}, max {:.0}) of 5 loads in a fresh profile",
        fcp[2], fcp[0], fcp[4]
    );

    let hz = 100.0; // USER_HZ on Linux
    let b = Browser::open(&url);
    // Loaded and settled: a few updates in.
    while b.next("update=") < 5.0 {}
    let pgid = b.child.id();
    let (b0, s0) = cpu(pgid, server.child.id());
    let t = Instant::now();
    let first = b.next("update=");
    std::thread::sleep(Duration::from_secs(20));
    let (b1, s1) = cpu(pgid, server.child.id());
    let secs = t.elapsed().as_secs_f64();
    let mut last = first;
    while let Ok(l) = b.lines.try_recv() {
        if let Some(v) = l.strip_prefix("update=") {
            last = v.trim().parse().unwrap_or(last);
        }
    }
    println!(
        "steady updates over {secs:.0} s ({} updates of 7 panels): browser {:.1}% of one core, replay server {:.1}%",
        last - first + 1.0,
        (b1 - b0) as f64 / hz / secs * 100.0,
        (s1 - s0) as f64 / hz / secs * 100.0
    );
}

//! Hostile requests (issue 16, "a server never falls over"): every file in
//! `hostile_requests/` is one request to a real `understudy` process —
//! `replay` (its Prometheus API and control API, and its Kubernetes API) or
//! `record` (its health server and remote-write receiver) — with the status
//! it must get. After every request the server must still be running and
//! answer `1+1` and a query of recorded data, and its Kubernetes API
//! `/version` (the recorder: `/healthz` and an empty remote write); a
//! crash, a hang or a wrong answer fails the suite naming the file, and the
//! server is restarted so that the rest of the corpus still runs.
//!
//! The format of a corpus file is described in `hostile_requests/README.md`.

mod common;
#[path = "hostile/corpus.rs"]
mod corpus;
#[path = "hostile/servers.rs"]
mod servers;
#[path = "hostile/wire.rs"]
mod wire;

use std::fmt::Write as _;
use std::time::Instant;

use corpus::{Case, Target, corpus, excerpt};
use servers::{Process, Recorder, Replay, tail};
use wire::send;

#[test]
fn every_corpus_file_names_a_server_a_request_and_an_expectation() {
    let cases = corpus();
    assert!(cases.len() >= 100, "the corpus is there ({})", cases.len());
    for target in [
        Target::Prometheus,
        Target::Kube,
        Target::RecordHealth,
        Target::RemoteWrite,
    ] {
        assert!(
            cases.iter().any(|c| c.target == target),
            "no case for {target:?}"
        );
    }
}

#[test]
fn the_replay_survives_every_hostile_request() {
    run_all(&[Target::Prometheus, Target::Kube], Replay::start);
}

#[test]
fn the_recorder_survives_every_hostile_request() {
    run_all(
        &[Target::RecordHealth, Target::RemoteWrite],
        Recorder::start,
    );
}

/// Not a check: what Prometheus 2.42 (Debian's, on an empty TSDB) answers
/// to the Prometheus-API cases, next to what the replay must answer, for
/// writing `real-server:` lines.
/// `cargo test -p understudy-cli --test hostile_requests -- --ignored --nocapture`
#[test]
#[ignore = "a report for whoever writes corpus files, not a check"]
fn what_prometheus_answers() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Its own metrics give it a TSDB with data, as a user's would have.
    let prometheus = understudy_testkit::prometheus::Prometheus::scraping_itself(dir.path(), "");
    let addr = prometheus.addr();
    for case in corpus()
        .iter()
        .filter(|c| c.target == Target::Prometheus && !c.name.starts_with("control-"))
    {
        let o = send(&case.request, &addr);
        let kind = serde_json::from_str::<serde_json::Value>(&o.body)
            .ok()
            .and_then(|v| v["errorType"].as_str().map(str::to_owned))
            .unwrap_or_default();
        let expected: Vec<String> = case
            .statuses
            .iter()
            .map(|s| s.map_or_else(|| "none".to_owned(), |s| s.to_string()))
            .collect();
        let got = o
            .status
            .map_or_else(|| "none".to_owned(), |s| s.to_string());
        let mark = if expected.contains(&got) { " " } else { "≠" };
        println!(
            "{mark} {:<48} replay {:<12} prometheus {got} {kind} {}",
            case.name,
            expected.join("|"),
            excerpt(&o.body).chars().take(120).collect::<String>()
        );
    }
}

/// Sends every case for `targets` to one server, restarting it when a case
/// brought it down, and fails with every failure at the end.
fn run_all<S: Process>(targets: &[Target], start: fn() -> S) {
    let cases: Vec<Case> = corpus()
        .into_iter()
        .filter(|c| targets.contains(&c.target))
        .collect();
    let mut server = start();
    let mut failures = Vec::new();
    let mut report = String::new();
    for case in &cases {
        let t0 = Instant::now();
        let logged = server.logged();
        let outcome = send(&case.request, server.addr(case.target));
        let took = t0.elapsed();
        let mut problems = case.check(&outcome);
        // A held connection (a slow client) stays open while the server
        // is checked: others must be served meanwhile.
        if let Some(err) = server.alive() {
            problems.push(err);
        }
        drop(outcome.held);
        let _ = writeln!(
            report,
            "{:<48} {:>5} {:>6} ms  {}",
            case.name,
            outcome
                .status
                .map_or_else(|| "-".to_owned(), |s| s.to_string()),
            took.as_millis(),
            if problems.is_empty() { "ok" } else { "FAILED" }
        );
        if !problems.is_empty() {
            // Whatever state it is in, the next case gets a fresh server.
            let log = server.stop();
            let log = log.get(logged..).unwrap_or(&log);
            failures.push(format!(
                "{} ({}):\n    {}\n    server log:\n{}",
                case.name,
                case.path.display(),
                problems.join("\n    "),
                tail(log, 6)
            ));
            server = start();
        }
    }
    eprintln!("{report}");
    assert!(
        failures.is_empty(),
        "{} of {} hostile requests failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

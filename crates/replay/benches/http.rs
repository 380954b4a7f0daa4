//! The replay beside a real Prometheus 2.42 on the same data, same machine:
//! start-up time, query_range latency of the dashboard's queries over a 1 h
//! window, and p99 under 50 concurrent dashboard refreshes.
//!
//! `cargo bench -p understudy-replay --bench http` (needs prometheus and promtool).

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::*;
use understudy_replay::load;
use understudy_sim::{Options, Scenario, simulate};

fn main() {
    let quick = !std::env::args().any(|a| a == "--bench");
    let dir = tempfile::tempdir().expect("tempdir");
    let rec = dir.path().join("conflict-1h");
    let minutes = if quick { 15 } else { 60 };
    let scenario = Scenario::load("conflict").expect("bundled scenario");
    simulate(
        &scenario,
        &Options {
            seed: 7,
            duration_ms: Some(minutes * 60_000),
            realtime: false,
        },
        &rec,
    )
    .expect("simulate");

    // Start-up: load the recording, listen, answer a first query.
    let t = Instant::now();
    let loaded = load(&rec).expect("load");
    let load_ms = t.elapsed().as_secs_f64() * 1e3;
    drop(loaded);
    let t = Instant::now();
    let ours = replay(&rec, no_shift());
    let (code, _) = get(&ours.addr, "/api/v1/query?query=1%2B1&time=4");
    assert_eq!(code, 200);
    println!(
        "start-up: {:.1} ms to the first answered query (loading {:.1} ms), {minutes} min recording",
        t.elapsed().as_secs_f64() * 1e3,
        load_ms
    );

    let prom = Prometheus::over_recording(&rec);
    let span = understudy_store::Recording::open(&rec)
        .expect("open")
        .manifest()
        .data_span()
        .expect("data");
    let (start, end) = (span.0 / 1000, span.1 / 1000);
    let queries = dashboard_queries();
    let runs = if quick { 3 } else { 20 };
    let median = |addr: &str, path: &str| -> f64 {
        let mut v: Vec<f64> = (0..runs)
            .map(|_| {
                let t = Instant::now();
                let (code, _) = get(addr, path);
                assert_eq!(code, 200, "{path}");
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (mut total_ours, mut total_theirs) = (0.0, 0.0);
    println!(
        "query_range over {} min, step 15s (median of {runs}):",
        (end - start) / 60
    );
    for q in &queries {
        let path = format!(
            "/api/v1/query_range?query={}&start={start}&end={end}&step=15",
            enc(q)
        );
        let (a, b) = (median(&ours.addr, &path), median(&prom.addr(), &path));
        total_ours += a;
        total_theirs += b;
        println!("  {a:7.2} ms vs prometheus {b:7.2} ms  {q}");
    }
    println!(
        "query_range total: understudy {total_ours:.1} ms, prometheus {total_theirs:.1} ms, ratio {:.2}",
        total_ours / total_theirs
    );

    // 50 dashboards refreshing at once, each panel one query over 15 minutes.
    let window_end = end;
    let window_start = end - 900;
    let panels: Vec<String> = queries
        .iter()
        .take(10)
        .map(|q| {
            format!(
                "/api/v1/query_range?query={}&start={window_start}&end={window_end}&step=15",
                enc(q)
            )
        })
        .collect();
    let clients = 50;
    let t = Instant::now();
    let handles: Vec<_> = (0..clients)
        .map(|_| {
            let addr = ours.addr.clone();
            let panels = panels.clone();
            std::thread::spawn(move || {
                panels
                    .iter()
                    .map(|p| {
                        let t = Instant::now();
                        let (code, _) = get(&addr, p);
                        assert_eq!(code, 200);
                        t.elapsed()
                    })
                    .collect::<Vec<Duration>>()
            })
        })
        .collect();
    let mut lat: Vec<Duration> = handles
        .into_iter()
        .flat_map(|h| h.join().expect("client"))
        .collect();
    lat.sort();
    let pct =
        |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)].as_secs_f64() * 1e3;
    println!(
        "{clients} concurrent dashboard refreshes x {} panels: {} requests in {:.0} ms; p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        panels.len(),
        lat.len(),
        t.elapsed().as_secs_f64() * 1e3,
        pct(0.50),
        pct(0.99),
        lat.last().map_or(0.0, |d| d.as_secs_f64() * 1e3)
    );
}

//! PromQL, parsed and evaluated by `understudy_promql::Engine` over a few
//! series in memory, as an instant query and as a range query. Must never
//! panic, abort (a stack overflow) or hang: the engine gets 200 ms and a
//! million samples, and a query over either limit must say so.
//!
//! An input is the query, then optionally a NUL byte and up to three
//! integers (milliseconds): `TIME` for an instant query, `START END STEP`
//! for a range query as well. Evaluation runs on a thread with the stack
//! the replay server gives its query threads.

#![no_main]

#[path = "panics.rs"]
mod panics;

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use libfuzzer_sys::fuzz_target;

use understudy_promql::{EVAL_STACK_BYTES, Engine, Labels, MemStorage, Series};

fuzz_target!(init: panics::abort_unless_caught_on_purpose(), |data: &[u8]| {
    let (query, params) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let query = String::from_utf8_lossy(query).into_owned();
    let nums: Vec<i64> = String::from_utf8_lossy(params)
        .split_ascii_whitespace()
        .filter_map(|n| n.parse().ok())
        .take(3)
        .collect();
    let job = move || {
        let (storage, engine) = fixture();
        let t = nums.first().copied().unwrap_or(600_000);
        let _ = engine.instant(storage, &query, t);
        let (start, end, step) = match nums[..] {
            [s, e, st, ..] => (s, e, st),
            [s, e] => (s, e, 15_000),
            [s] => (s, s.saturating_add(600_000), 15_000),
            [] => (0, 600_000, 15_000),
        };
        let _ = engine.range(storage, &query, start, end, step);
    };
    worker().run(Box::new(job));
});

/// `up`, a counter, a gauge with NaN and a staleness marker, a histogram's
/// buckets: every 15 s for 20 minutes from 0.
fn fixture() -> (&'static MemStorage, &'static Engine) {
    static F: OnceLock<(MemStorage, Engine)> = OnceLock::new();
    let (s, e) = F.get_or_init(|| {
        let series = |labels: &[(&str, &str)], f: &dyn Fn(i64) -> f64| {
            Arc::new(Series {
                labels: Labels::new(labels.iter().map(|(k, v)| (k.to_string(), v.to_string()))),
                timestamps: (0..80).map(|i| i * 15_000).collect(),
                values: (0..80).map(f).collect(),
            })
        };
        let stale = f64::from_bits(0x7ff0_0000_0000_0002);
        let mut all = vec![
            series(
                &[("__name__", "up"), ("job", "api"), ("instance", "a")],
                &|_| 1.0,
            ),
            series(
                &[("__name__", "up"), ("job", "api"), ("instance", "b")],
                &|i| (i % 2) as f64,
            ),
            series(
                &[
                    ("__name__", "http_requests_total"),
                    ("job", "api"),
                    ("code", "200"),
                ],
                &|i| (i * 7 % 300) as f64,
            ),
            series(
                &[
                    ("__name__", "http_requests_total"),
                    ("job", "api"),
                    ("code", "500"),
                ],
                &|i| (i * i) as f64,
            ),
            series(
                &[("__name__", "queue_depth"), ("queue", "memes")],
                &|i| match i {
                    10 => f64::NAN,
                    20 => stale,
                    30 => f64::INFINITY,
                    _ => (i as f64).sin() * 100.0,
                },
            ),
        ];
        for le in ["0.1", "0.5", "1", "+Inf"] {
            let w: f64 = le.parse().unwrap_or(f64::INFINITY).min(2.0);
            all.push(series(
                &[
                    ("__name__", "latency_seconds_bucket"),
                    ("le", le),
                    ("job", "api"),
                ],
                &move |i| (i as f64) * w * 10.0,
            ));
        }
        all.sort_by(|a, b| a.labels.cmp(&b.labels));
        let engine = Engine {
            timeout: Duration::from_millis(200),
            max_samples: 1_000_000,
            ..Engine::default()
        };
        (MemStorage { series: all }, engine)
    });
    (s, e)
}

type Job = Box<dyn FnOnce() + Send>;

/// One thread with the query threads' stack, reused for every input.
struct Worker {
    jobs: Mutex<SyncSender<(Job, SyncSender<()>)>>,
}

impl Worker {
    fn run(&self, job: Job) {
        let (done, wait) = sync_channel(1);
        self.jobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .send((job, done))
            .expect("the worker runs");
        // A panic on the worker aborts the process (libFuzzer's panic
        // hook), so the answer always comes.
        wait.recv().expect("the worker answers");
    }
}

fn worker() -> &'static Worker {
    static W: OnceLock<Worker> = OnceLock::new();
    W.get_or_init(|| {
        let (tx, rx): (_, Receiver<(Job, SyncSender<()>)>) = sync_channel(0);
        std::thread::Builder::new()
            .name("promql-eval".to_string())
            .stack_size(EVAL_STACK_BYTES)
            .spawn(move || {
                for (job, done) in rx {
                    job();
                    let _ = done.send(());
                }
            })
            .expect("a worker thread");
        Worker {
            jobs: Mutex::new(tx),
        }
    })
}

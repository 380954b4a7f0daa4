//! A run from start to end: the recording opened, the world ticked from
//! the first tick to the last (paced to the wall clock if asked, stopped
//! early on a signal), the recording closed and the run summed up.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::json;
use understudy_store::{
    Manifest, RecordingMeta, RecordingWriter, SourceInfo, StoreError, WriterOptions,
};

use crate::clock::TICK_MS;
use crate::output::Output;
use crate::recorder::Recorder;
use crate::rng::Rng;
use crate::scenario::Scenario;
use crate::world::World;

/// What `simulate` was asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// Seeds every random draw (arrivals, costs, jitter); same scenario and
    /// seed, same recording bytes.
    pub seed: u64,
    /// Overrides the scenario's duration.
    pub duration_ms: Option<i64>,
    /// Pace the run to the wall clock (for rehearsing with a live view);
    /// otherwise run as fast as the machine allows.
    pub realtime: bool,
}

/// What a run did, for the summary line and for tests.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Summary {
    /// Simulated time covered, in ms from the scenario's start.
    pub simulated_ms: i64,
    /// Messages the load published to the stream.
    pub published: u64,
    /// Messages the backend acknowledged.
    pub acked: u64,
    /// Messages delivered again after their ack wait ran out.
    pub redeliveries: u64,
    /// Most messages pending (published, not yet delivered) at any tick.
    pub peak_pending: u64,
    /// HPA syncs that changed the Deployment's replicas (KEDA's own
    /// activation to and from zero not counted).
    pub rescales: u64,
    /// Times the Deployment's replica count changed direction.
    pub replica_reversals: u64,
    /// Pods the ReplicaSet created, the initial ones included.
    pub pods_created: u64,
    /// Sample rows in the recording.
    pub samples: u64,
    /// Object rows (revisions, Events, relist markers) in the recording.
    pub objects: u64,
    /// Stopped before the end (Ctrl-C); `simulated_ms` is how far it got.
    pub interrupted: bool,
}

/// Runs `scenario` and writes the recording into `out` (which must not hold
/// one yet). Same scenario and seed, same bytes.
pub fn simulate(scenario: &Scenario, opts: &Options, out: &Path) -> Result<Summary, StoreError> {
    simulate_until(scenario, opts, out, &AtomicBool::new(false))
}

/// [`simulate`], ending early once `stop` is set (Ctrl-C): the recording is
/// then closed at the simulated time reached, as a recorder closes on a
/// signal, and the summary says `interrupted`.
pub fn simulate_until(
    scenario: &Scenario,
    opts: &Options,
    out: &Path,
    stop: &AtomicBool,
) -> Result<Summary, StoreError> {
    let file = &scenario.file;
    let start = scenario.start_ms;
    let duration = opts.duration_ms.unwrap_or(file.duration.as_millis() as i64);
    let root = Rng::new(opts.seed);
    let mut world = World::new(scenario, &root);
    let mut rec = Recorder::new(
        Output::new(open(scenario, opts, duration, &root, out)?),
        scenario,
        &world,
        root.fork(4),
        duration,
    );

    let wall = std::time::Instant::now();
    let mut end = duration;
    let mut interrupted = false;
    for step in 0..=duration / TICK_MS {
        let t = step * TICK_MS;
        if opts.realtime && t % 1000 == 0 {
            // What happened so far reaches the journal each second.
            rec.sync(start + t)?;
            let due = std::time::Duration::from_millis(t as u64);
            if let Some(wait) = due.checked_sub(wall.elapsed()) {
                pause(wait, stop);
            }
        }
        if stop.load(Ordering::Relaxed) {
            end = t;
            interrupted = true;
            break;
        }
        world.tick(t, &mut rec)?;
    }
    let manifest = rec.close(start + end)?;
    let counts = &world.counts;
    Ok(Summary {
        simulated_ms: end,
        published: world.load.published(),
        acked: world.queue.acked,
        redeliveries: world.queue.redeliveries,
        peak_pending: counts.peak_pending,
        rescales: counts.rescales,
        replica_reversals: counts.replica_reversals,
        pods_created: counts.pods_created,
        samples: rows(&manifest, "samples"),
        objects: rows(&manifest, "objects"),
        interrupted,
    })
}

/// Opens the recording, named and labelled after the scenario and seed.
fn open(
    scenario: &Scenario,
    opts: &Options,
    duration: i64,
    root: &Rng,
    out: &Path,
) -> Result<RecordingWriter, StoreError> {
    let file = &scenario.file;
    // The id depends on the scenario and the seed: two scenarios run with
    // one seed are two recordings.
    let name_hash = file.name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let meta = RecordingMeta {
        id: Some(root.fork(name_hash).uuid()),
        name: file.name.clone(),
        labels: [
            ("simulated".to_string(), "true".to_string()),
            ("scenario".to_string(), file.name.clone()),
            ("seed".to_string(), opts.seed.to_string()),
        ]
        .into(),
        sources: vec![SourceInfo::new(
            "simulator",
            json!({"scenario": file.name, "seed": opts.seed, "duration_ms": duration, "description": file.description}),
        )],
    };
    // Segments are sealed by the recorder's own schedule, not by size.
    let writer_opts = WriterOptions {
        segment_ms: i64::MAX,
        max_segment_samples: usize::MAX,
    };
    let (writer, _) = RecordingWriter::open(out, meta, writer_opts, scenario.start_ms)?;
    Ok(writer)
}

/// Rows written to `table` over all segments.
fn rows(manifest: &Manifest, table: &str) -> u64 {
    manifest
        .segments
        .iter()
        .flat_map(|s| &s.files)
        .filter(|f| f.table == table)
        .map(|f| f.rows)
        .sum()
}

/// Sleeps for `d`, or less once `stop` is set: a realtime run answers
/// Ctrl-C within a tenth of a second, not at the next simulated second.
fn pause(d: std::time::Duration, stop: &AtomicBool) {
    let until = std::time::Instant::now() + d;
    while !stop.load(Ordering::Relaxed) {
        let left = until.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return;
        }
        std::thread::sleep(left.min(std::time::Duration::from_millis(100)));
    }
}

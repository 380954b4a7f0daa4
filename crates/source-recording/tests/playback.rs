//! The source against real recordings written by the store.

use std::path::Path;
use std::sync::Arc;

use tokio::sync::mpsc;
use understudy_core::{
    BoxFuture, Labels, SampleBatch, Series, Sink, SinkClosed, Source, SourceError, TimelineBatch,
    now_ms,
};
use understudy_source_recording::{RecordingConfig, RecordingSource};
use understudy_store::{RecordingMeta, RecordingWriter, WriterOptions};

/// Hands every batch to the test.
struct Channel(mpsc::UnboundedSender<TimelineBatch>);

impl Sink for Channel {
    fn send(&self, batch: TimelineBatch) -> BoxFuture<'_, Result<(), SinkClosed>> {
        Box::pin(async move { self.0.send(batch).map_err(|_| SinkClosed) })
    }
}

/// A recording started at 1 s holding `up` at 1 s, 1.5 s and 3 s; sealed
/// unless `seal` is false (then it is left as a killed recorder leaves it).
fn recording(dir: &Path, seal: bool) {
    let meta = RecordingMeta {
        name: "rehearsal".into(),
        ..Default::default()
    };
    let (mut w, _) =
        RecordingWriter::open(dir, meta, WriterOptions::default(), 1_000).expect("open");
    let up = Arc::new(Series::new("up", Labels::new()).expect("series"));
    let mut batch = SampleBatch::default();
    for (t, v) in [(1_000, 1.0), (1_500, 2.0), (3_000, 3.0)] {
        batch.push(&up, t, v);
    }
    w.append(&batch.into()).expect("append");
    if seal {
        w.close(4_000).expect("close");
    } else {
        w.flush(4_000).expect("flush");
    }
}

fn source(path: &Path, speed: f64) -> RecordingSource {
    RecordingSource::new(
        0,
        RecordingConfig {
            path: path.to_owned(),
            speed,
        },
    )
}

#[tokio::test]
async fn every_sample_is_played_in_order_at_its_offset_over_speed_in_wall_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    recording(dir.path(), true);
    let mut source = source(dir.path(), 1000.0);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let sink = Channel(tx);
    let before = now_ms();
    let mut played = Vec::new();
    {
        let run = source.run(&sink);
        tokio::pin!(run);
        while played.len() < 3 {
            tokio::select! {
                batch = rx.recv() => {
                    let batch = batch.expect("the source holds the sink");
                    for s in batch.samples.iter() {
                        assert_eq!(s.series.metric(), "up");
                        played.push((s.timestamp_ms, s.value));
                    }
                }
                end = &mut run => panic!("the source stopped: {end:?}"),
            }
        }
    }
    let t0 = played[0].0;
    assert!(t0 >= before && t0 <= now_ms(), "stamped when played");
    let offsets: Vec<(i64, f64)> = played.iter().map(|(t, v)| (t - t0, *v)).collect();
    // 0.5 s and 2 s recorded, played 1000 times faster.
    assert_eq!(offsets, [(0, 1.0), (0, 2.0), (2, 3.0)]);
}

#[tokio::test]
async fn a_directory_without_a_recording_stops_the_source_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("conflcit");
    let (tx, _rx) = mpsc::unbounded_channel();
    let err = source(&missing, 1.0).run(&Channel(tx)).await;
    match err {
        Err(SourceError::Fatal(msg)) => assert!(
            msg.starts_with(&format!("failed to read {}: ", missing.display())),
            "{msg}"
        ),
        other => panic!("expected a fatal error, got {other:?}"),
    }
}

#[tokio::test]
async fn an_unsealed_recording_is_refused_not_played_in_part() {
    let dir = tempfile::tempdir().expect("tempdir");
    recording(dir.path(), false);
    let (tx, _rx) = mpsc::unbounded_channel();
    let err = source(dir.path(), 1.0).run(&Channel(tx)).await;
    match err {
        Err(SourceError::Fatal(msg)) => assert!(msg.contains("inspect --repair"), "{msg}"),
        other => panic!("expected a fatal error, got {other:?}"),
    }
}

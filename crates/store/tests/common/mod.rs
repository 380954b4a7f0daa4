//! Helpers shared by the store's integration tests.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::path::Path;
use std::sync::Arc;

use understudy_core::{
    Gap, Labels, ObjectRevision, SampleBatch, Series, TimelineBatch, WatchEvent,
};
use understudy_store::{RecordingMeta, RecordingWriter, WriterOptions};

pub fn series(metric: &str, pod: &str) -> Arc<Series> {
    let labels =
        Labels::from_pairs([("namespace", "meme-generator"), ("pod", pod)]).expect("valid labels");
    Arc::new(Series::new(metric, labels).expect("valid metric"))
}

pub fn samples(points: &[(&Arc<Series>, i64, f64)]) -> TimelineBatch {
    let mut b = SampleBatch::default();
    for (s, t, v) in points {
        b.push(s, *t, *v);
    }
    b.into()
}

pub fn object(observed_ms: i64, name: &str, event: WatchEvent) -> ObjectRevision {
    ObjectRevision {
        observed_ms,
        server_time_ms: Some(observed_ms - 5),
        kind: "HorizontalPodAutoscaler".into(),
        api_version: "autoscaling/v2".into(),
        namespace: Some("meme-generator".into()),
        name: Some(name.into()),
        uid: Some(format!("uid-{name}")),
        resource_version: Some(observed_ms.to_string()),
        event,
        object: Some(format!(
            r#"{{"metadata":{{"name":"{name}"}},"status":{{"currentReplicas":3}}}}"#
        )),
    }
}

pub fn gap(start: i64, end: i64) -> Gap {
    Gap {
        source: "prometheus[0]".into(),
        start_ms: start,
        end_ms: Some(end),
        reason: "connection refused".into(),
    }
}

pub fn open(dir: &Path, now: i64) -> RecordingWriter {
    let meta = RecordingMeta {
        name: "test".into(),
        ..Default::default()
    };
    let opts = WriterOptions {
        segment_ms: 60_000,
        max_segment_samples: 1_000_000,
    };
    RecordingWriter::open(dir, meta, opts, now)
        .expect("open writer")
        .0
}

/// A closed recording with two segments, samples, objects and a gap.
pub fn two_segments(dir: &Path) {
    let up = series("up", "a");
    let cpu = series("container_cpu_usage_seconds_total", "a");
    let mut w = open(dir, 1_000);
    w.append(&samples(&[
        (&up, 1_000, 1.0),
        (&cpu, 1_000, 10.0),
        (&up, 2_000, 1.0),
        (&cpu, 2_000, 10.5),
    ]))
    .expect("append");
    let mut b = TimelineBatch::default();
    b.objects.push(object(1_500, "backend", WatchEvent::Added));
    b.gaps.push(gap(2_100, 2_900));
    w.append(&b).expect("append");
    w.seal(3_000).expect("seal");
    w.append(&samples(&[(&up, 3_000, 0.0), (&cpu, 3_000, 11.0)]))
        .expect("append");
    let mut b = TimelineBatch::default();
    b.objects
        .push(object(3_500, "backend", WatchEvent::Modified));
    w.append(&b).expect("append");
    w.close(4_000).expect("close");
}

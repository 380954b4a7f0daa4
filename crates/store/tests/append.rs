//! Derived data added to a finished recording: a second copy is refused,
//! and a replacement leaves the recording as if only the new run had
//! written.

mod common;

use std::path::Path;

use common::*;
use understudy_core::{TimeRange, TimelineBatch};
use understudy_store::{
    Appended, Existing, MANIFEST_FILE, Manifest, Recording, SourceInfo, StoreError, append_segment,
};

const KPI: &str = "understudy_scale_direction_reversals";

fn flapping() -> SourceInfo {
    SourceInfo::new("plugin:flapping", serde_json::json!({}))
}

/// What a run of the plugin outputs: two series, `scale` times the values.
fn outputs(scale: f64) -> TimelineBatch {
    let (a, b) = (series(KPI, "a"), series(KPI, "b"));
    samples(&[
        (&a, 1_000, scale),
        (&a, 2_000, 2.0 * scale),
        (&b, 1_000, 3.0 * scale),
    ])
}

fn append(dir: &Path, batch: &TimelineBatch, existing: Existing) -> Result<Appended, StoreError> {
    append_segment(dir, batch, flapping(), existing)
}

/// Samples of the plugin's metric as stored (rows, not merged), and the
/// values the reader merges them into.
fn kpi_rows(dir: &Path) -> (u64, Vec<Vec<f64>>) {
    let rec = Recording::open(dir).expect("open");
    rec.verify().expect("checksums");
    let rows = rec
        .series()
        .expect("series")
        .iter()
        .filter(|s| s.series.metric() == KPI)
        .map(|s| s.samples)
        .sum();
    let values = rec
        .samples(TimeRange::ALL, |s| s.metric() == KPI)
        .expect("samples")
        .into_iter()
        .map(|s| s.values)
        .collect();
    (rows, values)
}

#[test]
fn issue_16_writing_the_same_outputs_twice_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    two_segments(dir.path());
    append(dir.path(), &outputs(1.0), Existing::Refuse).expect("first write");
    let manifest = std::fs::read(dir.path().join(MANIFEST_FILE)).expect("manifest");
    let err = append(dir.path(), &outputs(1.0), Existing::Refuse).expect_err("refused");
    let msg = err.to_string();
    assert!(matches!(err, StoreError::AlreadyRecorded { .. }), "{msg}");
    assert!(
        msg.contains(r#"the series understudy_scale_direction_reversals{namespace="meme-generator",pod="a"} and understudy_scale_direction_reversals{namespace="meme-generator",pod="b"}"#),
        "{msg}"
    );
    assert!(msg.contains("would count them twice"), "{msg}");
    assert_eq!(
        std::fs::read(dir.path().join(MANIFEST_FILE)).expect("manifest"),
        manifest,
        "nothing written"
    );
    assert_eq!(kpi_rows(dir.path()).0, 3);

    // Other series from the same source are refused too: two runs of one
    // plugin must not mix.
    let other = series(KPI, "c");
    let err = append(
        dir.path(),
        &samples(&[(&other, 1_000, 1.0)]),
        Existing::Refuse,
    )
    .expect_err("refused");
    assert!(
        err.to_string()
            .contains("output of plugin:flapping (segment 3)"),
        "{err}"
    );
}

#[test]
fn issue_16_replacing_leaves_the_recording_as_if_written_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    two_segments(dir.path());
    append(dir.path(), &outputs(1.0), Existing::Refuse).expect("first write");
    let once = kpi_rows(dir.path());
    let old_files: Vec<String> = Manifest::load(dir.path()).expect("manifest").segments[2]
        .files
        .iter()
        .map(|f| f.path.clone())
        .collect();

    let done = append(dir.path(), &outputs(10.0), Existing::Replace).expect("replace");
    assert_eq!(done.replaced.len(), 1);
    assert_eq!(done.replaced_samples(), 3);
    let seg = done.segment.expect("a new segment");
    assert_eq!(seg.seq, 4, "a new number: no file name is reused");
    let (rows, values) = kpi_rows(dir.path());
    assert_eq!(rows, once.0, "as many samples as one write");
    assert_eq!(values, vec![vec![10.0, 20.0], vec![30.0]], "the new values");
    for f in old_files {
        assert!(!dir.path().join(&f).exists(), "{f} deleted");
    }
    let m = Manifest::load(dir.path()).expect("manifest");
    assert_eq!(m.segments.len(), 3);
    assert_eq!(
        m.sources
            .iter()
            .filter(|s| s.name == "plugin:flapping")
            .count(),
        1
    );
    // The recorded data is untouched.
    let rec = Recording::open(dir.path()).expect("open");
    let up = rec
        .samples(TimeRange::ALL, |s| s.metric() == "up")
        .expect("samples");
    assert_eq!(up[0].timestamps, vec![1_000, 2_000, 3_000]);

    // Replacing with nothing there yet is a plain write.
    let fresh = tempfile::tempdir().expect("tempdir");
    two_segments(fresh.path());
    let done = append(fresh.path(), &outputs(1.0), Existing::Replace).expect("replace");
    assert!(done.replaced.is_empty());
    assert_eq!(kpi_rows(fresh.path()).0, 3);
}

/// Recordings written twice before segments named their source: the copies
/// hold nothing but the plugin's metric, and both go.
#[test]
fn issue_16_replace_repairs_outputs_doubled_by_an_earlier_understudy() {
    let dir = tempfile::tempdir().expect("tempdir");
    two_segments(dir.path());
    append(dir.path(), &outputs(1.0), Existing::Refuse).expect("first write");
    // What an earlier understudy left after two writes: no source on the
    // segments, and the second one's samples (its series were known, so it
    // had no series table).
    let mut m = Manifest::load(dir.path()).expect("manifest");
    m.segments[2].source = None;
    let mut copy = m.segments[2].clone();
    copy.seq = 4;
    copy.files.retain(|f| f.table == "samples");
    copy.files[0].path = "samples/000004.parquet".into();
    std::fs::copy(
        dir.path().join("samples/000003.parquet"),
        dir.path().join("samples/000004.parquet"),
    )
    .expect("copy");
    m.segments.push(copy);
    m.store(dir.path()).expect("store");
    assert_eq!(kpi_rows(dir.path()).0, 6, "doubled");

    let done = append(dir.path(), &outputs(1.0), Existing::Replace).expect("replace");
    assert_eq!(done.replaced.len(), 2);
    assert_eq!(kpi_rows(dir.path()).0, 3);
    assert_eq!(
        Manifest::load(dir.path()).expect("manifest").segments.len(),
        3,
        "the recorded segments and the new one"
    );
}

#[test]
fn issue_16_series_recorded_live_are_not_replaced() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The recorder ran the plugin live: its output is mixed with the rest.
    let live = series(KPI, "a");
    let up = series("up", "a");
    let mut w = open(dir.path(), 0);
    w.append(&samples(&[(&live, 1_000, 1.0), (&up, 1_000, 1.0)]))
        .expect("append");
    w.close(2_000).expect("close");
    let manifest = std::fs::read(dir.path().join(MANIFEST_FILE)).expect("manifest");

    let err = append(dir.path(), &outputs(1.0), Existing::Replace).expect_err("refused");
    assert!(matches!(err, StoreError::NotReplaceable { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains(r#"understudy_scale_direction_reversals{namespace="meme-generator",pod="a"} is also in segments that plugin:flapping did not add"#),
        "{msg}"
    );
    assert_eq!(
        std::fs::read(dir.path().join(MANIFEST_FILE)).expect("manifest"),
        manifest,
        "nothing written"
    );
}

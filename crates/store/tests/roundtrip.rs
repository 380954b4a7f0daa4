//! Writing and reading a recording: what goes in comes out, across segments,
//! sessions and crashes.

mod common;

use common::*;
use understudy_core::{TimeRange, WatchEvent};
use understudy_store::{JOURNAL_FILE, Manifest, Recording, StoreError, repair};

#[test]
fn samples_objects_and_gaps_come_back_across_segments() {
    let dir = tempfile::tempdir().expect("tempdir");
    two_segments(dir.path());
    let rec = Recording::open(dir.path()).expect("open");
    rec.verify().expect("checksums match");
    assert_eq!(rec.manifest().segments.len(), 2);
    assert!(rec.journal().is_none(), "a closed recording has no journal");

    let all = rec.samples(TimeRange::ALL, |_| true).expect("samples");
    // Sorted by series: metric name, then labels.
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].series.metric(), "container_cpu_usage_seconds_total");
    assert_eq!(all[0].timestamps, vec![1_000, 2_000, 3_000]);
    assert_eq!(all[0].values, vec![10.0, 10.5, 11.0]);
    assert_eq!(
        all[1].series.to_string(),
        r#"up{namespace="meme-generator",pod="a"}"#
    );
    assert_eq!(all[1].values, vec![1.0, 1.0, 0.0]);

    // A range is closed on both ends, and selection works by series.
    let some = rec
        .samples(TimeRange::new(2_000, 3_000), |s| s.metric() == "up")
        .expect("samples");
    assert_eq!(some.len(), 1);
    assert_eq!(some[0].timestamps, vec![2_000, 3_000]);

    let series = rec.series().expect("series");
    assert_eq!(
        series.iter().map(|s| s.samples).collect::<Vec<_>>(),
        vec![3, 3]
    );
    assert_eq!(
        (series[1].min_time_ms, series[1].max_time_ms),
        (1_000, 3_000)
    );

    let objects = rec.objects(TimeRange::ALL).expect("objects");
    assert_eq!(objects.len(), 2);
    assert_eq!(objects[0], object(1_500, "backend", WatchEvent::Added));
    assert_eq!(objects[1].event, WatchEvent::Modified);

    assert_eq!(rec.manifest().gaps, vec![gap(2_100, 2_900)]);
    let session = &rec.manifest().sessions[0];
    assert!(session.clean);
    assert_eq!(
        (session.start_ms, session.end_ms, rec.manifest().end_ms),
        (1_000, Some(4_000), Some(4_000))
    );
}

#[test]
fn arrow_batches_hold_the_raw_samples_of_a_range() {
    let dir = tempfile::tempdir().expect("tempdir");
    two_segments(dir.path());
    let rec = Recording::open(dir.path()).expect("open");
    let batches = rec
        .sample_batches(TimeRange::new(2_000, 2_500))
        .expect("batches");
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    assert_eq!(rows, 2, "one sample of each series at 2 000 ms");
    let schema = batches[0].schema();
    assert_eq!(
        schema.field(1).data_type(),
        &understudy_core::schema::timestamp_type()
    );
}

#[test]
fn late_and_repeated_samples_are_merged_the_later_write_winning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let up = series("up", "a");
    let mut w = open(dir.path(), 0);
    w.append(&samples(&[
        (&up, 1_000, 1.0),
        (&up, 3_000, 3.0),
        (&up, 2_000, 2.0),
        (&up, 3_000, 30.0),
    ]))
    .expect("append");
    w.seal(4_000).expect("seal");
    // A late sample for an earlier time, and a rewrite of 2 000 ms, in the next segment.
    w.append(&samples(&[(&up, 1_500, 1.5), (&up, 2_000, 20.0)]))
        .expect("append");
    w.close(5_000).expect("close");
    let rec = Recording::open(dir.path()).expect("open");
    let s = &rec.samples(TimeRange::ALL, |_| true).expect("samples")[0];
    assert_eq!(s.timestamps, vec![1_000, 1_500, 2_000, 3_000]);
    assert_eq!(s.values, vec![1.0, 1.5, 20.0, 30.0]);
}

#[test]
fn a_second_session_continues_the_recording_with_a_gap_between() {
    let dir = tempfile::tempdir().expect("tempdir");
    two_segments(dir.path());
    let up = series("up", "a");
    let mut w = open(dir.path(), 10_000);
    w.append(&samples(&[(&up, 10_000, 1.0)])).expect("append");
    let m = w.close(11_000).expect("close");
    assert_eq!(m.sessions.len(), 2);
    assert_eq!(m.gaps.len(), 2);
    let g = &m.gaps[1];
    assert_eq!(
        (g.source.as_str(), g.start_ms, g.end_ms),
        ("recorder", 4_000, Some(10_000))
    );
    assert_eq!(g.reason, "recorder was not running");
    let rec = Recording::open(dir.path()).expect("open");
    let up = rec
        .samples(TimeRange::ALL, |s| s.metric() == "up")
        .expect("samples");
    assert_eq!(up[0].timestamps, vec![1_000, 2_000, 3_000, 10_000]);
}

#[test]
fn a_killed_writer_loses_only_what_came_after_its_last_flush() {
    let dir = tempfile::tempdir().expect("tempdir");
    let up = series("up", "a");
    let mut w = open(dir.path(), 0);
    w.append(&samples(&[(&up, 1_000, 1.0)])).expect("append");
    w.flush(1_000).expect("flush");
    w.seal(2_000).expect("seal");
    w.append(&samples(&[(&up, 2_500, 2.5)])).expect("append");
    w.flush(2_500).expect("flush");
    w.append(&samples(&[(&up, 2_900, 2.9)])).expect("append");
    drop(w); // killed: no flush, no close

    let rec = Recording::open(dir.path()).expect("a crashed recording is readable as it is");
    let j = rec.journal().expect("the journal is left");
    assert!(!j.in_use, "nobody holds the lock any more");
    assert_eq!(
        rec.samples(TimeRange::ALL, |_| true).expect("samples")[0].timestamps,
        vec![1_000]
    );

    let report = repair(dir.path())
        .expect("repair")
        .expect("something to repair");
    assert_eq!(
        (report.samples, report.series, report.dropped_bytes),
        (1, 1, 0)
    );
    assert_eq!(report.last_flush_ms, Some(2_500));
    assert!(!dir.path().join(JOURNAL_FILE).exists());
    assert!(
        repair(dir.path()).expect("repair again").is_none(),
        "repair is idempotent"
    );

    let rec = Recording::open(dir.path()).expect("open");
    let s = &rec.samples(TimeRange::ALL, |_| true).expect("samples")[0];
    assert_eq!(s.timestamps, vec![1_000, 2_500]);
    let session = &rec.manifest().sessions[0];
    assert!(!session.clean);
    assert_eq!(session.end_ms, Some(2_500));

    // The next session records the outage with the reason a user can act on.
    let m = open(dir.path(), 9_000).close(9_500).expect("close");
    let g = m.gaps.last().expect("a gap");
    assert_eq!(
        (g.source.as_str(), g.start_ms, g.end_ms),
        ("recorder", 2_500, Some(9_000))
    );
    assert!(g.reason.contains("killed or crashed"), "{}", g.reason);
}

/// Copies every file of `dir` into memory, to put a directory back into the
/// state it had at some moment — a crash at that moment.
fn snapshot(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                out.push((e.path(), std::fs::read(e.path()).expect("read")));
            }
        }
    }
    out
}

#[test]
fn a_crash_between_sealing_steps_is_recovered_without_loss_or_duplicates() {
    let up = series("up", "a");
    for crash_after in ["files", "manifest"] {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut w = open(dir.path(), 0);
        w.append(&samples(&[(&up, 1_000, 1.0), (&up, 2_000, 2.0)]))
            .expect("append");
        w.flush(2_000).expect("flush");
        let before = snapshot(dir.path());
        w.seal(3_000).expect("seal");
        drop(w);
        // Put back what the crash would have left: the old journal always;
        // the old manifest too when the crash came before the manifest.
        for (path, bytes) in &before {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if name == JOURNAL_FILE || (crash_after == "files" && name == "manifest.json") {
                std::fs::write(path, bytes).expect("restore");
            }
        }
        std::fs::write(dir.path().join("samples/000001.parquet.tmp"), b"half").expect("stray tmp");
        let report = repair(dir.path()).expect("repair").expect("journal found");
        assert_eq!(
            report.already_sealed,
            crash_after == "manifest",
            "crash after {crash_after}"
        );
        assert!(!dir.path().join("samples/000001.parquet.tmp").exists());
        let rec = Recording::open(dir.path()).expect("open");
        rec.verify().expect("checksums match after recovery");
        assert_eq!(
            rec.manifest().segments.len(),
            1,
            "crash after {crash_after}"
        );
        let s = &rec.samples(TimeRange::ALL, |_| true).expect("samples")[0];
        assert_eq!(
            s.timestamps,
            vec![1_000, 2_000],
            "crash after {crash_after}"
        );
    }
}

#[test]
fn one_writer_per_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let _w = open(dir.path(), 0);
    let meta = understudy_store::RecordingMeta::default();
    let err = understudy_store::RecordingWriter::open(dir.path(), meta, Default::default(), 0)
        .expect_err("the directory is locked");
    assert!(matches!(err, StoreError::Locked { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("in use by another understudy process"),
        "{err}"
    );
    let err = repair(dir.path()).expect_err("repair waits for the recorder");
    assert!(matches!(err, StoreError::Locked { .. }), "{err}");
}

#[test]
fn refuses_to_record_into_a_directory_that_is_not_a_recording() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("notes.txt"), "mine").expect("write");
    let meta = understudy_store::RecordingMeta::default();
    let err = understudy_store::RecordingWriter::open(dir.path(), meta, Default::default(), 0)
        .expect_err("refused");
    assert!(err.to_string().contains("holds no manifest.json"), "{err}");
    assert!(matches!(
        Manifest::load(dir.path()),
        Err(StoreError::NotARecording { .. })
    ));
}

/// Every file and directory under `dir`, relative, with its bytes.
fn tree(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Option<Vec<u8>>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            let rel = e.path().strip_prefix(dir).expect("inside").to_owned();
            if e.path().is_dir() {
                stack.push(e.path());
                out.push((rel, None));
            } else {
                out.push((rel, Some(std::fs::read(e.path()).expect("read"))));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn issue_16_a_failed_open_leaves_an_existing_directory_exactly_as_it_was() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Refused before anything is written: a directory of someone else's files.
    std::fs::write(dir.path().join("notes.txt"), "mine").expect("write");
    let before = tree(dir.path());
    let meta = understudy_store::RecordingMeta::default();
    understudy_store::RecordingWriter::open(dir.path(), meta.clone(), Default::default(), 0)
        .expect_err("refused");
    assert_eq!(tree(dir.path()), before, "no lock file left behind");

    // Failing late, after the manifest is written: the journal cannot be
    // created (a directory is in the way of its temporary file).
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("journal.wal.tmp")).expect("obstacle");
    let before = tree(dir.path());
    understudy_store::RecordingWriter::open(dir.path(), meta, Default::default(), 0)
        .expect_err("the journal cannot be created");
    assert_eq!(tree(dir.path()), before, "no manifest, no lock file");
}

#[test]
fn issue_16_readers_are_told_when_a_killed_recorder_left_data_unsealed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let up = series("up", "a");
    let mut w = open(dir.path(), 0);
    assert_eq!(
        understudy_store::check_sealed(dir.path())
            .expect("a running recorder is not refused")
            .map(|j| j.in_use),
        Some(true)
    );
    w.append(&samples(&[(&up, 1_000, 1.0)])).expect("append");
    w.flush(1_000).expect("flush");
    drop(w); // killed
    let err = understudy_store::check_sealed(dir.path()).expect_err("refused");
    assert!(matches!(err, StoreError::Unsealed { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains(&format!(
            "run `understudy inspect --repair {}`",
            dir.path().display()
        )),
        "{msg}"
    );
    repair(dir.path()).expect("repair");
    assert_eq!(
        understudy_store::check_sealed(dir.path()).expect("sealed"),
        None
    );
}

#[test]
fn a_recorder_killed_before_its_first_manifest_leaves_a_directory_that_records_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join(understudy_store::LOCK_FILE), b"").expect("lock file");
    std::fs::write(dir.path().join("manifest.json.tmp"), b"{\"format_ver").expect("torn manifest");
    let m = open(dir.path(), 0).close(1_000).expect("records");
    assert_eq!(m.sessions.len(), 1);
}

#[test]
fn gaps_sealed_alone_are_not_recorded_twice_after_a_crash() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = open(dir.path(), 0);
    let mut batch = understudy_core::TimelineBatch::default();
    batch.gaps.push(gap(100, 200));
    w.append(&batch).expect("append");
    w.flush(300).expect("flush");
    let journal = std::fs::read(dir.path().join(JOURNAL_FILE)).expect("journal");
    w.seal(400).expect("seal");
    drop(w);
    // Killed after the manifest listed the segment, before a new journal.
    std::fs::write(dir.path().join(JOURNAL_FILE), journal).expect("old journal back");
    let report = repair(dir.path()).expect("repair").expect("journal found");
    assert!(report.already_sealed);
    let m = Recording::open(dir.path())
        .expect("open")
        .manifest()
        .clone();
    assert_eq!(m.gaps, vec![gap(100, 200)]);
    assert!(
        m.segments[0].files.is_empty(),
        "a segment of gaps only has no files"
    );
}

#[test]
fn derived_data_is_appended_as_a_segment_without_a_session() {
    let dir = tempfile::tempdir().expect("tempdir");
    two_segments(dir.path());
    let kpi = series("understudy_scale_direction_reversals", "a");
    let source =
        understudy_store::SourceInfo::new("plugin:flapping", serde_json::json!({"sha256": "abc"}));
    let seg = understudy_store::append_segment(
        dir.path(),
        &samples(&[(&kpi, 1_000, 2.0), (&kpi, 2_000, 3.0)]),
        source,
        understudy_store::Existing::Refuse,
    )
    .expect("append")
    .segment
    .expect("a segment");
    assert_eq!(seg.seq, 3);
    assert_eq!(seg.source.as_deref(), Some("plugin:flapping"));
    let rec = Recording::open(dir.path()).expect("open");
    rec.verify().expect("checksums");
    let m = rec.manifest();
    assert_eq!(
        (m.sessions.len(), m.gaps.len()),
        (1, 1),
        "no new session, no recorder gap"
    );
    assert!(m.sources.iter().any(|s| s.name == "plugin:flapping"));
    let s = rec
        .samples(TimeRange::ALL, |s| {
            s.metric() == "understudy_scale_direction_reversals"
        })
        .expect("samples");
    assert_eq!(s[0].values, vec![2.0, 3.0]);
}

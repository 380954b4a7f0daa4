//! Bad recordings of every kind get a clear error naming the file, never a
//! panic or a silent wrong answer.
//!
//! `bad_manifests/` holds one manifest per problem with the error it must
//! produce in `NAME.expected`; a manifest without one fails the suite.
//! Damage to Parquet files is made from a good recording below.

mod common;

use std::path::Path;

use understudy_core::TimeRange;
use understudy_store::{Recording, repair};

fn corpus() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_manifests")
}

#[test]
fn every_bad_manifest_fails_with_its_expected_error() {
    let mut checked = 0;
    for entry in std::fs::read_dir(corpus()).expect("corpus") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let expected_path = path.with_extension("expected");
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_else(|_| {
            panic!(
                "{} has no {}: add the error it must produce",
                path.display(),
                expected_path.display()
            )
        });
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::copy(&path, dir.path().join("manifest.json")).expect("copy");
        let err = Recording::open(dir.path())
            .expect_err("a bad manifest is refused")
            .to_string();
        assert!(
            err.contains(expected.trim()),
            "{}: got {err:?}, expected {expected:?}",
            path.display()
        );
        assert!(
            err.contains(&dir.path().display().to_string()),
            "the error names the file: {err}"
        );
        checked += 1;
    }
    assert!(checked >= 7, "the corpus is there ({checked} cases)");
}

#[test]
fn every_expected_error_has_its_manifest() {
    for entry in std::fs::read_dir(corpus()).expect("corpus") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) == Some("expected") {
            assert!(
                path.with_extension("json").exists(),
                "{} has no manifest",
                path.display()
            );
        }
    }
}

/// A good two-segment recording to damage.
fn good() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    common::two_segments(dir.path());
    dir
}

fn read_all(dir: &Path) -> Result<(), String> {
    let rec = Recording::open(dir).map_err(|e| e.to_string())?;
    rec.series().map_err(|e| e.to_string())?;
    rec.samples(TimeRange::ALL, |_| true)
        .map_err(|e| e.to_string())?;
    rec.objects(TimeRange::ALL).map_err(|e| e.to_string())?;
    Ok(())
}

#[test]
fn a_truncated_segment_is_named() {
    let dir = good();
    let path = dir.path().join("samples/000001.parquet");
    let bytes = std::fs::read(&path).expect("read");
    std::fs::write(&path, &bytes[..bytes.len() / 2]).expect("truncate");
    let err = read_all(dir.path()).expect_err("refused");
    assert!(err.contains("samples/000001.parquet"), "{err}");
    assert!(err.contains("truncated or replaced"), "{err}");
}

#[test]
fn a_corrupt_segment_fails_verification_and_never_reads_as_wrong_data() {
    let dir = good();
    let path = dir.path().join("samples/000002.parquet");
    let mut bytes = std::fs::read(&path).expect("read");
    // Flip bits in the middle of the data pages; the size stays the same.
    let mid = bytes.len() / 3;
    for b in &mut bytes[mid..mid + 8] {
        *b ^= 0xA5;
    }
    std::fs::write(&path, &bytes).expect("write");
    let rec = Recording::open(dir.path()).expect("sizes still match");
    let err = rec.verify().expect_err("checksum mismatch").to_string();
    assert!(
        err.contains("samples/000002.parquet") && err.contains("checksum mismatch"),
        "{err}"
    );
    // Reading checks the same checksum: the damage is an error, not data.
    let err = read_all(dir.path()).expect_err("refused");
    assert!(
        err.contains("samples/000002.parquet") && err.contains("checksum mismatch"),
        "{err}"
    );
}

#[test]
fn a_missing_segment_is_named() {
    let dir = good();
    std::fs::remove_file(dir.path().join("objects/000002.parquet")).expect("remove");
    let err = read_all(dir.path()).expect_err("refused");
    assert!(
        err.contains("failed to open segment file") && err.contains("objects/000002.parquet"),
        "{err}"
    );
}

#[test]
fn a_segment_with_the_wrong_table_is_named() {
    let dir = good();
    // Put the series table where the samples table should be, with a manifest
    // that agrees on its size and checksum: only the schema check can tell.
    let samples = dir.path().join("samples/000001.parquet");
    std::fs::copy(dir.path().join("series/000001.parquet"), &samples).expect("copy");
    let manifest_path = dir.path().join("manifest.json");
    let mut m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest_path).expect("read")).expect("json");
    let files = m["segments"][0]["files"].as_array_mut().expect("files");
    let series = files
        .iter()
        .find(|f| f["table"] == "series")
        .expect("series file")
        .clone();
    for f in files.iter_mut().filter(|f| f["table"] == "samples") {
        f["bytes"] = series["bytes"].clone();
        f["sha256"] = series["sha256"].clone();
        f["rows"] = series["rows"].clone();
    }
    std::fs::write(&manifest_path, serde_json::to_vec(&m).expect("json")).expect("write");
    let err = read_all(dir.path()).expect_err("refused");
    assert!(
        err.contains("samples/000001.parquet") && err.contains("missing column `timestamp`"),
        "{err}"
    );
}

#[test]
fn a_foreign_journal_is_refused_by_repair_and_the_sealed_data_kept() {
    let dir = good();
    std::fs::write(
        dir.path().join("journal.wal"),
        b"not a journal at all, really",
    )
    .expect("write");
    let err = repair(dir.path()).expect_err("refused").to_string();
    assert!(
        err.contains("journal.wal") && err.contains("bad header"),
        "{err}"
    );
    read_all(dir.path()).expect("the sealed segments are untouched");
}

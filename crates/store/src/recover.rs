//! Turning the journal of an interrupted recording into sealed segments.

use std::fs;
use std::path::Path;

use crate::error::{IoContext, Result};
use crate::fsutil::{lock, sync_dir};
use crate::journal::{self, JOURNAL_FILE, Record};
use crate::manifest::Manifest;
use crate::segment::SegmentBuffer;
use crate::tables::SeriesIndex;

/// What recovery found and kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RecoveryReport {
    /// Sequence number of the segment the journal belonged to.
    pub seq: u64,
    /// The segment had been sealed already; the journal was only left over.
    pub already_sealed: bool,
    /// Series the journal defines (those first seen in its segment).
    pub series: u64,
    /// Samples kept.
    pub samples: u64,
    /// Object revisions and relist markers kept.
    pub objects: u64,
    /// Gaps kept.
    pub gaps: u64,
    /// Bytes of a torn last record that could not be kept.
    pub dropped_bytes: u64,
    /// The last flush found: everything observed before it is kept.
    pub last_flush_ms: Option<i64>,
}

/// Recovers an interrupted recording in `dir` (what `understudy inspect
/// --repair` does). Returns `None` when there was nothing to recover.
pub fn repair(dir: &Path) -> Result<Option<RecoveryReport>> {
    let _lock = lock(dir)?;
    let mut manifest = Manifest::load(dir)?;
    recover_locked(dir, &mut manifest)
}

/// Recovery with the lock already held. Idempotent: a crash during recovery
/// is recovered by the next attempt.
pub(crate) fn recover_locked(
    dir: &Path,
    manifest: &mut Manifest,
) -> Result<Option<RecoveryReport>> {
    remove_temporaries(dir)?;
    let path = dir.join(JOURNAL_FILE);
    if !path.exists() {
        // Killed after the manifest was created but before the first journal.
        if !close_interrupted_session(manifest, None) {
            return Ok(None);
        }
        manifest.store(dir)?;
        return Ok(Some(RecoveryReport::default()));
    }
    let contents = journal::read(&path)?;
    let mut report = RecoveryReport {
        seq: contents.seq,
        already_sealed: manifest.has_segment(contents.seq),
        dropped_bytes: contents.dropped_bytes,
        last_flush_ms: contents.last_flush_ms,
        ..Default::default()
    };
    if !report.already_sealed {
        let mut buffer = SegmentBuffer::default();
        let mut series = Vec::new();
        for record in contents.records {
            match record {
                Record::Series(s) => {
                    let (i, _) = buffer.intern(&s).map_err(|id| {
                        crate::error::corrupt(
                            &path,
                            format!("series id {:016x} defined twice", id.0),
                        )
                    })?;
                    series.push(i);
                }
                Record::Samples(v) => {
                    report.samples += v.len() as u64;
                    for (i, t, val) in v {
                        buffer.push_sample(series[i as usize], t, val);
                    }
                }
                Record::Object(o) => {
                    report.objects += 1;
                    buffer.objects.push(o);
                }
                Record::Gap(g) => {
                    report.gaps += 1;
                    buffer.gaps.push(g);
                }
                Record::Flush(_) => {}
            }
        }
        report.series = series.len() as u64;
        let refs = SeriesIndex::load(dir, manifest)?.refs();
        manifest
            .segments
            .extend(buffer.seal(dir, contents.seq, &refs)?.segment);
        manifest.gaps.append(&mut buffer.gaps);
    }
    close_interrupted_session(
        manifest,
        Some(contents.last_flush_ms.unwrap_or(contents.created_ms)),
    );
    manifest.store(dir)?;
    fs::remove_file(&path).io("remove", &path)?;
    sync_dir(dir)?;
    Ok(Some(report))
}

/// Ends the last session if it never closed: at the later of what the
/// manifest knew and the last journal flush, or at its start when neither
/// says more. Returns whether anything changed.
fn close_interrupted_session(manifest: &mut Manifest, flushed: Option<i64>) -> bool {
    let Some(s) = manifest.sessions.last_mut().filter(|s| !s.clean) else {
        return false;
    };
    let end = s
        .end_ms
        .into_iter()
        .chain(flushed)
        .max()
        .unwrap_or(s.start_ms);
    let changed = s.end_ms != Some(end) || manifest.end_ms != Some(end);
    s.end_ms = Some(end);
    manifest.end_ms = Some(end);
    changed
}

/// Half-written files from an interrupted seal or manifest update.
fn remove_temporaries(dir: &Path) -> Result<()> {
    for sub in [
        Path::new(""),
        Path::new("samples"),
        Path::new("series"),
        Path::new("objects"),
    ] {
        let d = dir.join(sub);
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().ends_with(".tmp") {
                fs::remove_file(e.path()).io("remove", e.path())?;
            }
        }
    }
    Ok(())
}

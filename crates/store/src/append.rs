//! Adding derived data to a finished recording — a KPI plugin's outputs
//! computed over it — as one more sealed segment, without a recorder
//! session: no gap, no journal, the same crash safety as a seal.
//!
//! Each such segment names its source, so that a later run of the same
//! source can replace it instead of adding a second copy. Sealed files are
//! never rewritten: a replacement seals the new segment, then one manifest
//! write lists it instead of the old ones, then the old files are deleted. A
//! crash before the manifest write leaves the old output; after it, the new
//! one (and at worst old files no manifest lists).

use std::collections::HashSet;
use std::path::Path;

use understudy_core::{SeriesId, TimelineBatch};

use crate::error::{IoContext, Result, StoreError};
use crate::fsutil::{lock, sync_dir};
use crate::manifest::{Manifest, Segment, SourceInfo};
use crate::recover::recover_locked;
use crate::segment::SegmentBuffer;
use crate::tables::{SeriesIndex, defined_refs, table, used_refs};

/// What [`append_segment`] does when the recording already holds the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// Write nothing and return [`StoreError::AlreadyRecorded`] when a series
    /// of the batch, or earlier output of the same source, is there.
    Refuse,
    /// Remove the source's earlier output first: the segments it appended
    /// before, and segments holding nothing but samples of the batch's
    /// metrics (appended by an understudy that did not name their source).
    /// [`StoreError::NotReplaceable`] when the batch's series are also
    /// elsewhere (recorded live), or when later data depends on the old
    /// segments; nothing is written then.
    Replace,
}

/// What [`append_segment`] wrote and removed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Appended {
    /// The new segment, or `None` when the batch was empty.
    pub segment: Option<Segment>,
    /// Segments of earlier output removed by [`Existing::Replace`].
    pub replaced: Vec<Segment>,
}

impl Appended {
    /// Samples in the removed segments.
    pub fn replaced_samples(&self) -> u64 {
        self.replaced
            .iter()
            .filter_map(|s| table(s, "samples"))
            .map(|f| f.rows)
            .sum()
    }
}

/// Seals `batch` into the recording in `dir` as a new segment marked as
/// `source`'s, and lists `source` among the recording's sources (replacing
/// an entry of that name). What happens to data already there is up to
/// `existing`.
pub fn append_segment(
    dir: &Path,
    batch: &TimelineBatch,
    source: SourceInfo,
    existing: Existing,
) -> Result<Appended> {
    let _lock = lock(dir)?;
    let mut manifest = Manifest::load(dir)?;
    recover_locked(dir, &mut manifest)?;
    let index = SeriesIndex::load(dir, &manifest)?;
    let ids: HashSet<SeriesId> = batch.samples.iter().map(|s| s.series.id()).collect();

    let removed = match existing {
        Existing::Refuse => Vec::new(),
        Existing::Replace => earlier_output(dir, &manifest, &index, &source.name, batch)?,
    };
    let mut kept = manifest.clone();
    kept.segments.retain(|s| !removed.contains(&s.seq));
    let kept_index = if removed.is_empty() {
        index
    } else {
        SeriesIndex::load(dir, &kept)?
    };
    let mut already: Vec<String> = kept_index
        .by_ref
        .values()
        .filter(|s| ids.contains(&s.id()))
        .map(|s| s.to_string())
        .collect();
    already.sort();
    let earlier: Vec<u64> = kept
        .segments
        .iter()
        .filter(|s| s.source.as_deref() == Some(source.name.as_str()))
        .map(|s| s.seq)
        .collect();
    match existing {
        Existing::Refuse if !already.is_empty() || !earlier.is_empty() => {
            return Err(StoreError::AlreadyRecorded {
                path: dir.to_owned(),
                by: source.name,
                series: already,
                segments: earlier,
            });
        }
        Existing::Replace if !already.is_empty() => {
            return Err(StoreError::NotReplaceable {
                path: dir.to_owned(),
                reason: format!(
                    "{} {} also in segments that {} did not add (recorded live, or mixed with other data); only output that {} added can be replaced",
                    crate::error::series_list(&already),
                    if already.len() == 1 { "is" } else { "are" },
                    source.name,
                    source.name,
                ),
            });
        }
        _ => {}
    }
    check_unused(dir, &manifest, &kept, &removed)?;

    let mut buffer = SegmentBuffer::default();
    for s in &batch.samples {
        let (i, _) = buffer.intern(&s.series).map_err(|id| {
            crate::error::corrupt(
                dir,
                format!(
                    "series id {:016x} of {} collides with another series",
                    id.0, s.series
                ),
            )
        })?;
        buffer.push_sample(i, s.timestamp_ms, s.value);
    }
    buffer.objects.extend(batch.objects.iter().cloned());
    buffer.gaps.extend(batch.gaps.iter().cloned());
    // Refs and definitions as if the removed segments never were; the
    // number from all of them, so that no file name is ever reused.
    let refs = kept_index.refs();
    let seq = manifest.next_seq();
    let sealed = buffer.seal(dir, seq, &refs)?;
    let segment = sealed.segment.map(|mut s| {
        s.source = Some(source.name.clone());
        s
    });
    let replaced: Vec<Segment> = manifest
        .segments
        .iter()
        .filter(|s| removed.contains(&s.seq))
        .cloned()
        .collect();
    kept.gaps.append(&mut buffer.gaps);
    kept.segments.extend(segment.clone());
    kept.sources.retain(|s| s.name != source.name);
    kept.sources.push(source);
    kept.store(dir)?;
    remove_files(dir, &replaced)?;
    Ok(Appended { segment, replaced })
}

/// The segments holding `source`'s earlier output: those marked as its, and
/// unmarked ones holding nothing but samples of the batch's metrics, from
/// the first segment defining one of the batch's series on (an earlier
/// understudy appended without marking).
fn earlier_output(
    dir: &Path,
    manifest: &Manifest,
    index: &SeriesIndex,
    source: &str,
    batch: &TimelineBatch,
) -> Result<Vec<u64>> {
    let mut out: Vec<u64> = manifest
        .segments
        .iter()
        .filter(|s| s.source.as_deref() == Some(source))
        .map(|s| s.seq)
        .collect();
    let ids: HashSet<SeriesId> = batch.samples.iter().map(|s| s.series.id()).collect();
    let metrics: HashSet<&str> = batch.samples.iter().map(|s| s.series.metric()).collect();
    let overlap: HashSet<u32> = index
        .by_ref
        .iter()
        .filter(|(_, s)| ids.contains(&s.id()))
        .map(|(&r, _)| r)
        .collect();
    if overlap.is_empty() {
        return Ok(out);
    }
    let mut from = None;
    for seg in &manifest.segments {
        if defined_refs(dir, seg)?.iter().any(|r| overlap.contains(r)) {
            from = Some(seg.seq);
            break;
        }
    }
    let Some(from) = from else {
        return Ok(out);
    };
    for seg in &manifest.segments {
        let unmarked = seg.source.is_none() && seg.seq >= from;
        if !unmarked || table(seg, "objects").is_some() || table(seg, "samples").is_none() {
            continue;
        }
        let only_outputs = used_refs(dir, seg)?.iter().all(|r| {
            index
                .by_ref
                .get(r)
                .is_some_and(|s| metrics.contains(s.metric()))
        });
        if only_outputs {
            out.push(seg.seq);
        }
    }
    Ok(out)
}

/// Series first defined in a removed segment must not be used by a kept
/// one: its samples would point at a series no table defines any more.
fn check_unused(dir: &Path, all: &Manifest, kept: &Manifest, removed: &[u64]) -> Result<()> {
    let Some(&first) = removed.iter().min() else {
        return Ok(());
    };
    let mut defined = HashSet::new();
    for seg in all.segments.iter().filter(|s| removed.contains(&s.seq)) {
        defined.extend(defined_refs(dir, seg)?);
    }
    if defined.is_empty() {
        return Ok(());
    }
    // Only segments sealed later can refer to them.
    for seg in kept.segments.iter().filter(|s| s.seq > first) {
        if used_refs(dir, seg)?.iter().any(|r| defined.contains(r)) {
            return Err(StoreError::NotReplaceable {
                path: dir.to_owned(),
                reason: format!(
                    "segment {}, sealed after the earlier output, holds samples of its series",
                    seg.seq
                ),
            });
        }
    }
    Ok(())
}

/// Deletes the files of segments the manifest no longer lists.
fn remove_files(dir: &Path, segments: &[Segment]) -> Result<()> {
    let mut dirs = HashSet::new();
    for f in segments.iter().flat_map(|s| &s.files) {
        let path = dir.join(&f.path);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(e).io("remove replaced segment file", &path);
            }
            _ => {}
        }
        if let Some(parent) = path.parent() {
            dirs.insert(parent.to_owned());
        }
    }
    for d in dirs {
        sync_dir(&d)?;
    }
    Ok(())
}

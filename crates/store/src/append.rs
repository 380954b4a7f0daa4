//! Adding derived data to a finished recording — a KPI plugin's outputs
//! computed over it — as one more sealed segment, without a recorder
//! session: no gap, no journal, the same crash safety as a seal.

use std::path::Path;

use understudy_core::TimelineBatch;

use crate::error::Result;
use crate::fsutil::lock;
use crate::manifest::{Manifest, Segment, SourceInfo};
use crate::recover::recover_locked;
use crate::segment::SegmentBuffer;
use crate::tables::SeriesIndex;

/// Seals `batch` into the recording in `dir` as a new segment and lists
/// `source` among the recording's sources (replacing an entry of that name).
/// Returns the segment, or `None` when the batch was empty.
pub fn append_segment(
    dir: &Path,
    batch: &TimelineBatch,
    source: SourceInfo,
) -> Result<Option<Segment>> {
    let _lock = lock(dir)?;
    let mut manifest = Manifest::load(dir)?;
    recover_locked(dir, &mut manifest)?;
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
    let refs = SeriesIndex::load(dir, &manifest)?.refs();
    let seq = manifest.next_seq();
    let sealed = buffer.seal(dir, seq, &refs)?;
    manifest.gaps.append(&mut buffer.gaps);
    manifest.segments.extend(sealed.segment.clone());
    manifest.sources.retain(|s| s.name != source.name);
    manifest.sources.push(source);
    manifest.store(dir)?;
    Ok(sealed.segment)
}

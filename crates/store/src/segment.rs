//! The in-memory part of the current segment, and sealing it into Parquet.

use std::collections::HashMap;
use std::fs::File;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{MapBuilder, MapFieldNames, StringBuilder};
use arrow_array::{
    ArrayRef, Float64Array, RecordBatch, StringArray, TimestampMillisecondArray, UInt32Array,
    UInt64Array,
};
use arrow_schema::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
use parquet::schema::types::ColumnPath;
use understudy_core::{Gap, ObjectRevision, Series, SeriesId, schema};

use crate::error::{IoContext, Result, StoreError, corrupt};
use crate::fsutil::{HashingWriter, create_dir, sync_dir, tmp_path};
use crate::manifest::{FORMAT_MAJOR, FORMAT_MINOR, Segment, SegmentFile, TOOL_VERSION};

/// Rows per Arrow batch handed to the Parquet writer while sealing; bounds
/// the extra memory sealing needs.
const SEAL_BATCH_ROWS: usize = 256 * 1024;
const ROW_GROUP_ROWS: usize = 1024 * 1024;

/// Everything recorded since the last seal. Samples are kept in arrival
/// order in three flat columns: appending is a push, with no per-series
/// allocation on the hot path; sealing sorts them by series once.
#[derive(Debug, Default)]
pub(crate) struct SegmentBuffer {
    series: Vec<Arc<Series>>,
    index: HashMap<SeriesId, u32, BuildHasherDefault<IdHasher>>,
    idx: Vec<u32>,
    ts: Vec<i64>,
    vals: Vec<f64>,
    pub(crate) objects: Vec<ObjectRevision>,
    pub(crate) gaps: Vec<Gap>,
    /// The local index of each position of the last batch: sources send a
    /// scrape's series in the same order every time, so this usually answers
    /// without hashing.
    order: Vec<u32>,
}

/// Series ids are already uniform hashes; hashing them again is wasted work.
#[derive(Debug, Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

impl SegmentBuffer {
    /// Returns the local index of `series`, and whether it is new here.
    pub(crate) fn intern(&mut self, series: &Arc<Series>) -> Result<(u32, bool), SeriesId> {
        if let Some(&i) = self.index.get(&series.id()) {
            let known = &self.series[i as usize];
            if Arc::ptr_eq(known, series) || **known == **series {
                return Ok((i, false));
            }
            return Err(series.id());
        }
        let i = self.series.len() as u32;
        self.index.insert(series.id(), i);
        self.series.push(Arc::clone(series));
        Ok((i, true))
    }

    /// [`intern`](Self::intern) for the series at position `pos` of a batch,
    /// trying the index that position had in the last batch first. The guess
    /// is checked by pointer against the `Arc` this buffer holds, which keeps
    /// the allocation alive, so a match is always the same series.
    pub(crate) fn intern_at(
        &mut self,
        pos: usize,
        series: &Arc<Series>,
    ) -> Result<(u32, bool), SeriesId> {
        if let Some(&i) = self.order.get(pos)
            && self
                .series
                .get(i as usize)
                .is_some_and(|s| Arc::ptr_eq(s, series))
        {
            return Ok((i, false));
        }
        let (i, new) = self.intern(series)?;
        if pos >= self.order.len() {
            self.order.resize(pos + 1, u32::MAX);
        }
        self.order[pos] = i;
        Ok((i, new))
    }

    pub(crate) fn push_sample(&mut self, index: u32, t: i64, v: f64) {
        self.idx.push(index);
        self.ts.push(t);
        self.vals.push(v);
    }

    /// Samples pushed since `start`, as columns, for the journal.
    pub(crate) fn tail(&self, start: usize) -> (&[u32], &[i64], &[f64]) {
        (&self.idx[start..], &self.ts[start..], &self.vals[start..])
    }

    /// Forgets everything, keeping the allocations for the next segment.
    pub(crate) fn clear(&mut self) {
        self.series.clear();
        self.index.clear();
        self.idx.clear();
        self.ts.clear();
        self.vals.clear();
        self.objects.clear();
        self.gaps.clear();
    }

    /// Writes everything buffered into a fresh journal.
    pub(crate) fn write_to(&self, journal: &mut crate::journal::JournalWriter) {
        for s in &self.series {
            journal.series(s);
        }
        if !self.idx.is_empty() {
            journal.samples(&self.idx, &self.ts, &self.vals);
        }
        for o in &self.objects {
            journal.object(o);
        }
        for g in &self.gaps {
            journal.gap(g);
        }
    }

    pub(crate) fn series_count(&self) -> u32 {
        self.series.len() as u32
    }

    pub(crate) fn samples(&self) -> usize {
        self.idx.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.idx.is_empty() && self.objects.is_empty() && self.gaps.is_empty()
    }

    /// Writes the buffered samples and objects as segment `seq` into `dir`.
    /// Files appear under their final names only once complete and synced.
    /// Series without a ref in `refs` get the next free ones; the caller
    /// adopts them (with [`SeriesRefs::adopt`]) once the manifest names the
    /// segment, so a failed seal can simply be tried again.
    pub(crate) fn seal(&mut self, dir: &Path, seq: u64, refs: &SeriesRefs) -> Result<Sealed> {
        let mut files = Vec::new();
        let mut span = Span::default();
        let mut new_refs = Vec::new();
        if !self.idx.is_empty() {
            let (samples, series) = self.seal_samples(dir, seq, refs, &mut new_refs, &mut span)?;
            files.push(samples);
            files.extend(series);
        }
        if !self.objects.is_empty() {
            files.push(self.seal_objects(dir, seq, &mut span)?);
        }
        for f in &files {
            sync_dir(&dir.join(&f.table))?;
        }
        // Listed even with no files (only gaps): the manifest entry is what
        // tells recovery that this journal's content is already in.
        let segment = (!self.is_empty()).then_some(Segment {
            seq,
            min_time_ms: span.min,
            max_time_ms: span.max,
            files,
            source: None,
            extra: Default::default(),
        });
        Ok(Sealed { segment, new_refs })
    }

    fn seal_samples(
        &mut self,
        dir: &Path,
        seq: u64,
        refs: &SeriesRefs,
        new_refs: &mut Vec<(SeriesId, u32)>,
        span: &mut Span,
    ) -> Result<(SegmentFile, Option<SegmentFile>)> {
        let n = self.series.len();
        // Per series: sample count and earliest time.
        let mut count = vec![0usize; n];
        let mut first = vec![i64::MAX; n];
        for (&i, &t) in self.idx.iter().zip(&self.ts) {
            count[i as usize] += 1;
            first[i as usize] = first[i as usize].min(t);
        }
        // Refs for new series in order of arrival: a source delivers the
        // series of one scrape together, so they get consecutive refs.
        let mut next = refs.next;
        let local_ref: Vec<u32> = self
            .series
            .iter()
            .map(|s| {
                refs.get(s.id()).unwrap_or_else(|| {
                    new_refs.push((s.id(), next));
                    next += 1;
                    next - 1
                })
            })
            .collect();
        // Series scraped together share every timestamp. Ordering series by
        // their first sample's time puts them next to each other, where zstd
        // stores the repeated timestamp runs almost for free, and their
        // consecutive refs delta-encode to nearly nothing.
        let mut order: Vec<u32> = (0..n as u32).filter(|&i| count[i as usize] > 0).collect();
        order.sort_unstable_by_key(|&i| (first[i as usize], local_ref[i as usize]));
        let (mut ts, mut vs) = self.group_by_series(&order, &count);
        let mut rs = Vec::with_capacity(ts.len());
        let (mut read, mut write) = (0, 0);
        for &i in &order {
            let len = count[i as usize];
            let kept = sort_dedup(&mut ts[read..read + len], &mut vs[read..read + len]);
            if read != write {
                ts.copy_within(read..read + kept, write);
                vs.copy_within(read..read + kept, write);
            }
            span.add(ts[write]);
            span.add(ts[write + kept - 1]);
            rs.resize(write + kept, local_ref[i as usize]);
            read += len;
            write += kept;
        }
        ts.truncate(write);
        vs.truncate(write);

        let columns: Vec<ArrayRef> = vec![
            Arc::new(UInt32Array::from(rs)),
            Arc::new(timestamps(ts)),
            Arc::new(Float64Array::from(vs)),
        ];
        let all = RecordBatch::try_new(schema::samples(), columns)
            .expect("columns match the samples schema");
        let mut out = TableWriter::create(dir, "samples", seq, schema::samples(), samples_props())?;
        for offset in (0..all.num_rows()).step_by(SEAL_BATCH_ROWS) {
            out.write(all.slice(offset, SEAL_BATCH_ROWS.min(all.num_rows() - offset)))?;
        }
        let samples = out.finish()?;
        if new_refs.is_empty() {
            return Ok((samples, None));
        }
        let mut out = TableWriter::create(dir, "series", seq, schema::series(), plain_props())?;
        out.write(self.series_batch(&local_ref, new_refs))?;
        Ok((samples, Some(out.finish()?)))
    }

    /// Reorders the samples from arrival order into the series order `order`:
    /// a counting sort, stable, so of two samples at one time the later
    /// write stays later.
    fn group_by_series(&self, order: &[u32], count: &[usize]) -> (Vec<i64>, Vec<f64>) {
        let mut at = vec![0usize; self.series.len()];
        let mut next = 0;
        for &i in order {
            at[i as usize] = next;
            next += count[i as usize];
        }
        let total = self.idx.len();
        let mut ts = vec![0i64; total];
        let mut vs = vec![0f64; total];
        for ((&i, &t), &v) in self.idx.iter().zip(&self.ts).zip(&self.vals) {
            let k = &mut at[i as usize];
            ts[*k] = t;
            vs[*k] = v;
            *k += 1;
        }
        (ts, vs)
    }

    /// The rows of the series table: the series first seen in this segment.
    fn series_batch(&self, local_ref: &[u32], new_refs: &[(SeriesId, u32)]) -> RecordBatch {
        let first_ref = new_refs[0].1;
        // New refs were handed out in local order, so they map back by offset.
        let locals: Vec<usize> = (0..self.series.len())
            .filter(|&i| local_ref[i] >= first_ref)
            .collect();
        let names = MapFieldNames {
            entry: schema::MAP_ENTRIES.into(),
            key: schema::MAP_KEY.into(),
            value: schema::MAP_VALUE.into(),
        };
        let mut labels = MapBuilder::new(Some(names), StringBuilder::new(), StringBuilder::new());
        for &i in &locals {
            for (k, v) in self.series[i].labels().iter() {
                labels.keys().append_value(k);
                labels.values().append_value(v);
            }
            labels
                .append(true)
                .expect("keys and values are appended in pairs");
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(
                locals
                    .iter()
                    .map(|&i| local_ref[i])
                    .collect::<UInt32Array>(),
            ),
            Arc::new(
                locals
                    .iter()
                    .map(|&i| self.series[i].id().0)
                    .collect::<UInt64Array>(),
            ),
            Arc::new(
                locals
                    .iter()
                    .map(|&i| Some(self.series[i].metric()))
                    .collect::<StringArray>(),
            ),
            Arc::new(labels.finish()),
        ];
        RecordBatch::try_new(schema::series(), columns).expect("columns match the series schema")
    }

    fn seal_objects(&mut self, dir: &Path, seq: u64, span: &mut Span) -> Result<SegmentFile> {
        // Observation order is the order of a timeline; stable keeps ties as seen.
        self.objects.sort_by_key(|o| o.observed_ms);
        let mut out = TableWriter::create(dir, "objects", seq, schema::objects(), plain_props())?;
        for chunk in self.objects.chunks(16 * 1024) {
            span.add(chunk[0].observed_ms);
            span.add(chunk[chunk.len() - 1].observed_ms);
            out.write(objects_batch(chunk))?;
        }
        out.finish()
    }
}

/// What sealing wrote: the segment to list in the manifest (`None` when
/// there was nothing at all), and the refs it gave to new series.
#[derive(Debug)]
pub(crate) struct Sealed {
    pub segment: Option<Segment>,
    pub new_refs: Vec<(SeriesId, u32)>,
}

/// Every series of a recording and its dense ref, the key of the samples
/// table. Refs count up from 0 in order of first appearance.
#[derive(Debug, Default, Clone)]
pub(crate) struct SeriesRefs {
    by_id: HashMap<SeriesId, u32, BuildHasherDefault<IdHasher>>,
    next: u32,
}

impl SeriesRefs {
    pub(crate) fn get(&self, id: SeriesId) -> Option<u32> {
        self.by_id.get(&id).copied()
    }

    /// Records refs handed out by a seal that is now in the manifest.
    pub(crate) fn adopt(&mut self, refs: &[(SeriesId, u32)]) {
        for &(id, r) in refs {
            self.by_id.insert(id, r);
            self.next = self.next.max(r + 1);
        }
    }
}

/// Sorts one series' samples by time, stably; of several samples at one
/// time the last one written wins. Returns how many remain at the front.
fn sort_dedup(ts: &mut [i64], vs: &mut [f64]) -> usize {
    if ts.windows(2).all(|w| w[0] < w[1]) {
        return ts.len();
    }
    let mut points: Vec<(i64, f64)> = ts.iter().copied().zip(vs.iter().copied()).collect();
    points.sort_by_key(|p| p.0);
    let mut w = 0;
    for r in 0..points.len() {
        if w > 0 && points[w - 1].0 == points[r].0 {
            points[w - 1] = points[r];
        } else {
            points[w] = points[r];
            w += 1;
        }
    }
    for (k, &(t, v)) in points[..w].iter().enumerate() {
        ts[k] = t;
        vs[k] = v;
    }
    w
}

#[derive(Debug, Default)]
struct Span {
    min: Option<i64>,
    max: Option<i64>,
}

impl Span {
    fn add(&mut self, t: i64) {
        self.min = Some(self.min.map_or(t, |m| m.min(t)));
        self.max = Some(self.max.map_or(t, |m| m.max(t)));
    }
}

fn timestamps(v: Vec<i64>) -> TimestampMillisecondArray {
    TimestampMillisecondArray::from(v).with_timezone("UTC")
}

fn objects_batch(objects: &[ObjectRevision]) -> RecordBatch {
    let strings = |f: fn(&ObjectRevision) -> Option<&str>| -> ArrayRef {
        Arc::new(objects.iter().map(f).collect::<StringArray>())
    };
    let columns: Vec<ArrayRef> = vec![
        Arc::new(timestamps(objects.iter().map(|o| o.observed_ms).collect())),
        Arc::new(
            TimestampMillisecondArray::from(
                objects.iter().map(|o| o.server_time_ms).collect::<Vec<_>>(),
            )
            .with_timezone("UTC"),
        ),
        strings(|o| Some(&o.kind)),
        strings(|o| Some(&o.api_version)),
        strings(|o| o.namespace.as_deref()),
        strings(|o| o.name.as_deref()),
        strings(|o| o.uid.as_deref()),
        strings(|o| o.resource_version.as_deref()),
        strings(|o| Some(o.event.as_str())),
        strings(|o| o.object.as_deref()),
    ];
    RecordBatch::try_new(schema::objects(), columns).expect("columns match the objects schema")
}

/// Encodings chosen for samples (see docs/recording-format.md): series refs
/// repeat in long runs and step by small amounts (delta encoding makes them
/// nearly free); timestamps stay plain, because series scraped together sit
/// next to each other and zstd turns their identical timestamp runs into
/// back-references (delta encoding would hide the repeats behind block
/// boundaries); float values compress best with their bytes split into
/// streams before zstd. Value statistics would cost time and help no reader.
/// Measured by `cargo bench -p understudy-store --bench write`.
fn samples_props() -> WriterProperties {
    base_props()
        .set_dictionary_enabled(false)
        .set_column_encoding(
            ColumnPath::from("series_ref"),
            Encoding::DELTA_BINARY_PACKED,
        )
        .set_column_compression(ColumnPath::from("timestamp"), zstd(1))
        .set_column_encoding(ColumnPath::from("value"), Encoding::BYTE_STREAM_SPLIT)
        .set_column_statistics_enabled(ColumnPath::from("value"), EnabledStatistics::None)
        // The page size is checked every batch of this many rows, so pages
        // hold 64-128 Ki values: longer byte streams for zstd (2% smaller
        // than 1 Ki batches) at the same speed; longer still costs speed.
        .set_write_batch_size(64 * 1024)
        .build()
}

fn zstd(level: i32) -> Compression {
    Compression::ZSTD(ZstdLevel::try_new(level).expect("a valid zstd level"))
}

/// Series and object tables: strings, dictionary-encoded where they repeat.
fn plain_props() -> WriterProperties {
    base_props()
        .set_column_dictionary_enabled(ColumnPath::from("object"), false)
        .build()
}

fn base_props() -> parquet::file::properties::WriterPropertiesBuilder {
    WriterProperties::builder()
        .set_writer_version(WriterVersion::PARQUET_1_0)
        .set_compression(zstd(3))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_created_by(format!("understudy version {TOOL_VERSION}"))
        .set_key_value_metadata(Some(vec![KeyValue::new(
            "understudy.format_version".into(),
            format!("{FORMAT_MAJOR}.{FORMAT_MINOR}"),
        )]))
}

/// One Parquet file being written under a temporary name.
struct TableWriter {
    table: &'static str,
    rel: String,
    path: std::path::PathBuf,
    tmp: std::path::PathBuf,
    writer: ArrowWriter<HashingWriter<BufWriter<File>>>,
}

impl TableWriter {
    fn create(
        dir: &Path,
        table: &'static str,
        seq: u64,
        schema: SchemaRef,
        props: WriterProperties,
    ) -> Result<TableWriter> {
        create_dir(&dir.join(table))?;
        let rel = format!("{table}/{seq:06}.parquet");
        let path = dir.join(&rel);
        let tmp = tmp_path(&path);
        let file = File::create(&tmp).io("create", &tmp)?;
        let sink = HashingWriter::new(BufWriter::with_capacity(1 << 20, file));
        let writer = ArrowWriter::try_new(sink, schema, Some(props)).map_err(|source| {
            StoreError::Parquet {
                op: "start writing",
                path: tmp.clone(),
                source,
            }
        })?;
        Ok(TableWriter {
            table,
            rel,
            path,
            tmp,
            writer,
        })
    }

    fn write(&mut self, batch: RecordBatch) -> Result<()> {
        self.writer
            .write(&batch)
            .map_err(|source| StoreError::Parquet {
                op: "write",
                path: self.tmp.clone(),
                source,
            })
    }

    fn finish(self) -> Result<SegmentFile> {
        let TableWriter {
            table,
            rel,
            path,
            tmp,
            writer,
        } = self;
        let parquet_err = |source| StoreError::Parquet {
            op: "finish",
            path: tmp.clone(),
            source,
        };
        let mut writer = writer;
        let rows = writer
            .finish()
            .map_err(parquet_err)?
            .file_metadata()
            .num_rows();
        // `finish` wrote the footer; `into_inner` would write it again, so
        // the file is flushed and synced through a reference instead.
        let sink = writer.inner_mut();
        let (sha256, bytes) = sink.digest();
        let buf = sink.inner_mut();
        buf.flush().io("write", &tmp)?;
        buf.get_ref().sync_all().io("sync", &tmp)?;
        drop(writer);
        std::fs::rename(&tmp, &path).io("rename into place", &path)?;
        let rows = u64::try_from(rows).map_err(|_| corrupt(&path, "negative row count"))?;
        Ok(SegmentFile {
            table: table.into(),
            path: rel,
            rows,
            bytes,
            sha256,
            extra: Default::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_dedup_keeps_the_last_write_per_timestamp() {
        let mut ts = [3, 1, 3, 2, 1];
        let mut vs = [1.0, 2.0, 3.0, 4.0, 5.0];
        let n = sort_dedup(&mut ts, &mut vs);
        assert_eq!((&ts[..n], &vs[..n]), (&[1, 2, 3][..], &[5.0, 4.0, 3.0][..]));
    }
}

//! Reading a recording: series, samples and objects of a time range.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, TimestampMillisecondType, UInt64Type};
use arrow_array::{Array, BooleanArray, RecordBatch};
use arrow_schema::SchemaRef;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use understudy_core::{Labels, ObjectRevision, Series, SeriesId, TimeRange, WatchEvent, schema};

use crate::error::{IoContext, Result, StoreError, corrupt};
use crate::fsutil::{sha256_file, sha256_hex, try_lock};
use crate::journal::JOURNAL_FILE;
use crate::manifest::{Manifest, Segment, SegmentFile};
use crate::writer::LOCK_FILE;

const BATCH_ROWS: usize = 64 * 1024;

/// A recording opened for reading. Only sealed segments are read; a journal
/// left by a running or killed recorder is reported by [`Recording::journal`].
#[derive(Debug)]
pub struct Recording {
    dir: PathBuf,
    manifest: Manifest,
    journal: Option<JournalState>,
}

/// Data not yet sealed into Parquet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct JournalState {
    pub bytes: u64,
    /// A recorder (or a repair) is running on the directory right now. When
    /// false, the recorder was killed: `understudy inspect --repair` recovers it.
    pub in_use: bool,
}

/// A series and how much of it a recording holds.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesInfo {
    pub series: Arc<Series>,
    pub samples: u64,
    pub min_time_ms: i64,
    pub max_time_ms: i64,
}

/// The samples of one series, in time order, one per timestamp.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesSamples {
    pub series: Arc<Series>,
    pub timestamps: Vec<i64>,
    pub values: Vec<f64>,
}

impl Recording {
    /// Opens the recording in `dir`: reads the manifest and checks that every
    /// sealed file is there with the size the manifest gives.
    pub fn open(dir: &Path) -> Result<Recording> {
        let manifest = Manifest::load(dir)?;
        for f in manifest.segments.iter().flat_map(|s| &s.files) {
            let path = dir.join(&f.path);
            let len = std::fs::metadata(&path)
                .io("open segment file", &path)?
                .len();
            if len != f.bytes {
                return Err(corrupt(
                    path,
                    format!(
                        "segment file is {len} bytes, the manifest says {}: truncated or replaced",
                        f.bytes
                    ),
                ));
            }
        }
        let journal_path = dir.join(JOURNAL_FILE);
        let journal = match std::fs::metadata(&journal_path) {
            Ok(m) => Some(JournalState {
                bytes: m.len(),
                in_use: try_lock(&dir.join(LOCK_FILE))
                    .map(|l| l.is_none())
                    .unwrap_or(false),
            }),
            Err(_) => None,
        };
        Ok(Recording {
            dir: dir.to_owned(),
            manifest,
            journal,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    pub fn journal(&self) -> Option<JournalState> {
        self.journal
    }

    /// Recomputes the SHA-256 of every sealed file and compares it with the manifest.
    pub fn verify(&self) -> Result<()> {
        for f in self.files() {
            let path = self.dir.join(&f.path);
            let sum = sha256_file(&path)?;
            if sum != f.sha256 {
                return Err(corrupt(
                    path,
                    format!(
                        "checksum mismatch: sha256 is {sum}, the manifest says {}",
                        f.sha256
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Bytes of the manifest, sealed files and journal.
    pub fn size_on_disk(&self) -> u64 {
        let sealed: u64 = self.files().map(|f| f.bytes).sum();
        let manifest = std::fs::metadata(self.dir.join(crate::manifest::MANIFEST_FILE))
            .map(|m| m.len())
            .unwrap_or(0);
        sealed + manifest + self.journal.map_or(0, |j| j.bytes)
    }

    /// Every series with its sample count and time span, sorted by series.
    pub fn series(&self) -> Result<Vec<SeriesInfo>> {
        let mut by_id: HashMap<SeriesId, SeriesInfo> = HashMap::new();
        for seg in &self.manifest.segments {
            let Some(f) = table(seg, "series") else {
                continue;
            };
            for batch in self.read_table(f, schema::series())? {
                for info in series_rows(&batch, &self.dir.join(&f.path))? {
                    match by_id.get_mut(&info.series.id()) {
                        Some(known) => {
                            if known.series != info.series {
                                return Err(collision(
                                    &self.dir.join(&f.path),
                                    &known.series,
                                    &info.series,
                                ));
                            }
                            known.samples += info.samples;
                            known.min_time_ms = known.min_time_ms.min(info.min_time_ms);
                            known.max_time_ms = known.max_time_ms.max(info.max_time_ms);
                        }
                        None => {
                            by_id.insert(info.series.id(), info);
                        }
                    }
                }
            }
        }
        let mut v: Vec<SeriesInfo> = by_id.into_values().collect();
        v.sort_by(|a, b| a.series.cmp(&b.series));
        Ok(v)
    }

    /// Samples in `range` of the series `select` accepts, merged over all
    /// segments, sorted by series, each in time order with one sample per
    /// timestamp (a later segment wins a tie).
    pub fn samples(
        &self,
        range: TimeRange,
        mut select: impl FnMut(&Series) -> bool,
    ) -> Result<Vec<SeriesSamples>> {
        // Every series seen so far, and whether `select` wants it.
        let mut known: HashMap<SeriesId, (Arc<Series>, bool)> = HashMap::new();
        let mut out: HashMap<SeriesId, SeriesSamples> = HashMap::new();
        for seg in self.segments_in(range) {
            let (Some(series_file), Some(samples_file)) =
                (table(seg, "series"), table(seg, "samples"))
            else {
                continue;
            };
            let series_path = self.dir.join(&series_file.path);
            for batch in self.read_table(series_file, schema::series())? {
                for info in series_rows(&batch, &series_path)? {
                    match known.get(&info.series.id()) {
                        Some((k, _)) if *k != info.series => {
                            return Err(collision(&series_path, k, &info.series));
                        }
                        Some(_) => {}
                        None => {
                            let keep = select(&info.series);
                            known.insert(info.series.id(), (info.series, keep));
                        }
                    }
                }
            }
            let samples_path = self.dir.join(&samples_file.path);
            for batch in self.read_table(samples_file, schema::samples())? {
                let (ids, ts, vs) = sample_columns(&batch);
                let mut row = 0;
                while row < batch.num_rows() {
                    let id = ids[row];
                    let run_end = row + ids[row..].iter().take_while(|&&x| x == id).count();
                    match known.get(&SeriesId(id)) {
                        Some((series, true)) => {
                            let entry = out.entry(SeriesId(id)).or_insert_with(|| SeriesSamples {
                                series: Arc::clone(series),
                                timestamps: Vec::new(),
                                values: Vec::new(),
                            });
                            for r in row..run_end {
                                if range.contains(ts[r]) {
                                    entry.timestamps.push(ts[r]);
                                    entry.values.push(vs[r]);
                                }
                            }
                        }
                        Some((_, false)) => {}
                        None => {
                            return Err(corrupt(
                                &samples_path,
                                format!("series_id {id:016x} has no row in {}", series_file.path),
                            ));
                        }
                    }
                    row = run_end;
                }
            }
        }
        let mut v: Vec<SeriesSamples> = out
            .into_values()
            .filter(|s| !s.timestamps.is_empty())
            .collect();
        for s in &mut v {
            merge_sorted(s);
        }
        v.sort_by(|a, b| a.series.cmp(&b.series));
        Ok(v)
    }

    /// The raw `samples` tables of the segments overlapping `range`, as Arrow
    /// batches (`series_id`, `timestamp`, `value`) limited to the range. Join
    /// with [`Recording::series`] on `series_id`.
    pub fn sample_batches(&self, range: TimeRange) -> Result<Vec<RecordBatch>> {
        let mut out = Vec::new();
        for seg in self.segments_in(range) {
            let Some(f) = table(seg, "samples") else {
                continue;
            };
            for batch in self.read_table(f, schema::samples())? {
                let (_, ts, _) = sample_columns(&batch);
                let mask: BooleanArray = ts.iter().map(|&t| Some(range.contains(t))).collect();
                let filtered =
                    arrow_select::filter::filter_record_batch(&batch, &mask).map_err(|source| {
                        StoreError::Arrow {
                            op: "filter",
                            path: self.dir.join(&f.path),
                            source,
                        }
                    })?;
                if filtered.num_rows() > 0 {
                    out.push(filtered);
                }
            }
        }
        Ok(out)
    }

    /// Object revisions and relist markers observed in `range`, in observation order.
    pub fn objects(&self, range: TimeRange) -> Result<Vec<ObjectRevision>> {
        let mut out = Vec::new();
        for seg in self.segments_in(range) {
            let Some(f) = table(seg, "objects") else {
                continue;
            };
            let path = self.dir.join(&f.path);
            for batch in self.read_table(f, schema::objects())? {
                out.extend(
                    object_rows(&batch, &path)?
                        .into_iter()
                        .filter(|o| range.contains(o.observed_ms)),
                );
            }
        }
        out.sort_by_key(|o| o.observed_ms);
        Ok(out)
    }

    fn files(&self) -> impl Iterator<Item = &SegmentFile> {
        self.manifest.segments.iter().flat_map(|s| &s.files)
    }

    fn segments_in(&self, range: TimeRange) -> impl Iterator<Item = &Segment> {
        self.manifest
            .segments
            .iter()
            .filter(move |s| match (s.min_time_ms, s.max_time_ms) {
                (Some(min), Some(max)) => range.overlaps(min, max),
                _ => true,
            })
    }

    /// Reads a whole table file, checking its SHA-256 against the manifest
    /// first: a damaged file is an error, never wrong data.
    fn read_table(&self, f: &SegmentFile, expected: SchemaRef) -> Result<Vec<RecordBatch>> {
        let path = self.dir.join(&f.path);
        let bytes = std::fs::read(&path).io("read", &path)?;
        let sum = sha256_hex(&bytes);
        if sum != f.sha256 {
            return Err(corrupt(
                path,
                format!(
                    "checksum mismatch: sha256 is {sum}, the manifest says {}",
                    f.sha256
                ),
            ));
        }
        let perr = |op, source| StoreError::Parquet {
            op,
            path: path.clone(),
            source,
        };
        let builder = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes))
            .map_err(|e| perr("read", e))?;
        check_schema(builder.schema(), &expected, &path)?;
        let reader = builder
            .with_batch_size(BATCH_ROWS)
            .build()
            .map_err(|e| perr("read", e))?;
        let batches = reader
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|source| StoreError::Arrow {
                op: "read",
                path: path.clone(),
                source,
            })?;
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        if rows as u64 != f.rows {
            return Err(corrupt(
                path,
                format!("{rows} rows, the manifest says {}", f.rows),
            ));
        }
        Ok(batches)
    }
}

fn table<'a>(seg: &'a Segment, name: &str) -> Option<&'a SegmentFile> {
    seg.files.iter().find(|f| f.table == name)
}

fn collision(path: &Path, a: &Series, b: &Series) -> StoreError {
    corrupt(
        path,
        format!("series {a} and {b} share the series_id {:016x}", a.id().0),
    )
}

/// Every column we need must be there with its type; extra columns (a newer
/// minor version) are fine.
fn check_schema(found: &SchemaRef, expected: &SchemaRef, path: &Path) -> Result<()> {
    for field in expected.fields() {
        match found.field_with_name(field.name()) {
            Ok(f) if f.data_type().equals_datatype(field.data_type()) => {}
            Ok(f) => {
                return Err(corrupt(
                    path,
                    format!(
                        "column `{}` is {}, expected {}",
                        field.name(),
                        f.data_type(),
                        field.data_type()
                    ),
                ));
            }
            Err(_) => return Err(corrupt(path, format!("missing column `{}`", field.name()))),
        }
    }
    Ok(())
}

fn sample_columns(batch: &RecordBatch) -> (&[u64], &[i64], &[f64]) {
    // check_schema guarantees names and types.
    let col = |n: &str| batch.column_by_name(n).expect("schema checked");
    (
        col("series_id").as_primitive::<UInt64Type>().values(),
        col("timestamp")
            .as_primitive::<TimestampMillisecondType>()
            .values(),
        col("value").as_primitive::<Float64Type>().values(),
    )
}

fn series_rows(batch: &RecordBatch, path: &Path) -> Result<Vec<SeriesInfo>> {
    let col = |n: &str| batch.column_by_name(n).expect("schema checked");
    let ids = col("series_id").as_primitive::<UInt64Type>();
    let metrics = col("metric").as_string::<i32>();
    let labels = col("labels").as_map();
    let counts = col("samples").as_primitive::<UInt64Type>();
    let mins = col("min_time").as_primitive::<TimestampMillisecondType>();
    let maxs = col("max_time").as_primitive::<TimestampMillisecondType>();
    let mut out = Vec::with_capacity(batch.num_rows());
    for row in 0..batch.num_rows() {
        let entries = labels.value(row);
        let keys = entries.column(0).as_string::<i32>();
        let values = entries.column(1).as_string::<i32>();
        let pairs = (0..entries.len()).map(|i| (keys.value(i), values.value(i)));
        let bad = |e: understudy_core::LabelError| corrupt(path, format!("row {row}: {e}"));
        let series = Series::new(metrics.value(row), Labels::from_pairs(pairs).map_err(bad)?)
            .map_err(bad)?;
        if series.id().0 != ids.value(row) {
            return Err(corrupt(
                path,
                format!(
                    "row {row}: series_id {:016x} does not match {series}",
                    ids.value(row)
                ),
            ));
        }
        out.push(SeriesInfo {
            series: Arc::new(series),
            samples: counts.value(row),
            min_time_ms: mins.value(row),
            max_time_ms: maxs.value(row),
        });
    }
    Ok(out)
}

fn object_rows(batch: &RecordBatch, path: &Path) -> Result<Vec<ObjectRevision>> {
    let col = |n: &str| batch.column_by_name(n).expect("schema checked");
    let observed = col("observed_time").as_primitive::<TimestampMillisecondType>();
    let server = col("server_time").as_primitive::<TimestampMillisecondType>();
    let s = |n: &str| col(n).as_string::<i32>().clone();
    let (kind, api, ns, name, uid, rv, ev, obj) = (
        s("kind"),
        s("api_version"),
        s("namespace"),
        s("name"),
        s("uid"),
        s("resource_version"),
        s("event_type"),
        s("object"),
    );
    let opt = |a: &arrow_array::StringArray, i: usize| a.is_valid(i).then(|| a.value(i).to_owned());
    (0..batch.num_rows())
        .map(|i| {
            Ok(ObjectRevision {
                observed_ms: observed.value(i),
                server_time_ms: server.is_valid(i).then(|| server.value(i)),
                kind: kind.value(i).to_owned(),
                api_version: api.value(i).to_owned(),
                namespace: opt(&ns, i),
                name: opt(&name, i),
                uid: opt(&uid, i),
                resource_version: opt(&rv, i),
                event: ev
                    .value(i)
                    .parse::<WatchEvent>()
                    .map_err(|e| corrupt(path, format!("row {i}: {e}")))?,
                object: opt(&obj, i),
            })
        })
        .collect()
}

/// Segments are appended in order, but a series may get late samples; sort
/// stably (later segments after earlier ones) and keep the last of a tie.
fn merge_sorted(s: &mut SeriesSamples) {
    if s.timestamps.is_sorted() && s.timestamps.windows(2).all(|w| w[0] < w[1]) {
        return;
    }
    let mut idx: Vec<usize> = (0..s.timestamps.len()).collect();
    idx.sort_by_key(|&i| s.timestamps[i]);
    let mut ts = Vec::with_capacity(idx.len());
    let mut vs = Vec::with_capacity(idx.len());
    for i in idx {
        if ts.last() == Some(&s.timestamps[i]) {
            *vs.last_mut().expect("pushed together") = s.values[i];
        } else {
            ts.push(s.timestamps[i]);
            vs.push(s.values[i]);
        }
    }
    s.timestamps = ts;
    s.values = vs;
}

//! Decoding the Parquet tables of sealed segments, shared by the reader,
//! the writer (which needs the series already recorded) and recovery.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, TimestampMillisecondType, UInt32Type, UInt64Type};
use arrow_array::{Array, RecordBatch, StringArray};
use arrow_schema::SchemaRef;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use understudy_core::{Labels, ObjectRevision, Series, SeriesId, WatchEvent, schema};

use crate::error::{IoContext, Result, StoreError, corrupt};
use crate::fsutil::sha256_hex;
use crate::manifest::{Manifest, Segment, SegmentFile};
use crate::segment::SeriesRefs;

const BATCH_ROWS: usize = 64 * 1024;

pub(crate) fn table<'a>(seg: &'a Segment, name: &str) -> Option<&'a SegmentFile> {
    seg.files.iter().find(|f| f.table == name)
}

/// Reads a whole table file, checking its SHA-256 against the manifest
/// first: a damaged file is an error, never wrong data.
pub(crate) fn read_table(
    dir: &Path,
    f: &SegmentFile,
    expected: SchemaRef,
) -> Result<Vec<RecordBatch>> {
    let mut batches = Vec::new();
    for_each_batch(dir, f, expected, |b| {
        batches.push(b);
        Ok(())
    })?;
    Ok(batches)
}

/// Hands each batch of a table to `each` as it is decoded, so a reader
/// holds the file's bytes and one batch, not the whole table decoded; the
/// row count is checked against the manifest once all were read.
pub(crate) fn for_each_batch(
    dir: &Path,
    f: &SegmentFile,
    expected: SchemaRef,
    mut each: impl FnMut(RecordBatch) -> Result<()>,
) -> Result<()> {
    let path = dir.join(&f.path);
    let bytes = std::fs::read(&path).io("read", &path)?;
    check_sha256(&path, &sha256_hex(&bytes), f)?;
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
    let mut rows = 0usize;
    for batch in reader {
        let batch = batch.map_err(|source| StoreError::Arrow {
            op: "read",
            path: path.clone(),
            source,
        })?;
        rows += batch.num_rows();
        each(batch)?;
    }
    if rows as u64 != f.rows {
        return Err(corrupt(
            path,
            format!("{rows} rows, the manifest says {}", f.rows),
        ));
    }
    Ok(())
}

/// A damaged or replaced file is refused by its checksum.
pub(crate) fn check_sha256(path: &Path, sum: &str, f: &SegmentFile) -> Result<()> {
    if sum == f.sha256 {
        return Ok(());
    }
    Err(corrupt(
        path,
        format!(
            "checksum mismatch: sha256 is {sum}, the manifest says {}",
            f.sha256
        ),
    ))
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

/// All series of a recording by ref, from the series tables of its segments.
#[derive(Debug, Default)]
pub(crate) struct SeriesIndex {
    pub by_ref: HashMap<u32, Arc<Series>>,
}

impl SeriesIndex {
    pub(crate) fn load(dir: &Path, manifest: &Manifest) -> Result<SeriesIndex> {
        let mut by_ref = HashMap::new();
        let mut by_id: HashMap<SeriesId, u32> = HashMap::new();
        for f in manifest.segments.iter().filter_map(|s| table(s, "series")) {
            let path = dir.join(&f.path);
            for batch in read_table(dir, f, schema::series())? {
                for (r, series) in series_rows(&batch, &path)? {
                    if let Some(known) = by_ref.get(&r) {
                        return Err(corrupt(
                            &path,
                            format!("series_ref {r} is both {known} and {series}"),
                        ));
                    }
                    if let Some(other) = by_id.insert(series.id(), r) {
                        return Err(corrupt(
                            &path,
                            format!("{series} appears twice, as series_ref {other} and {r}"),
                        ));
                    }
                    by_ref.insert(r, Arc::new(series));
                }
            }
        }
        Ok(SeriesIndex { by_ref })
    }

    pub(crate) fn refs(&self) -> SeriesRefs {
        let mut refs = SeriesRefs::default();
        let pairs: Vec<(SeriesId, u32)> = self.by_ref.iter().map(|(&r, s)| (s.id(), r)).collect();
        refs.adopt(&pairs);
        refs
    }

    pub(crate) fn get(&self, r: u32, path: &Path) -> Result<&Arc<Series>> {
        self.by_ref
            .get(&r)
            .ok_or_else(|| corrupt(path, format!("series_ref {r} is in no series table")))
    }
}

fn series_rows(batch: &RecordBatch, path: &Path) -> Result<Vec<(u32, Series)>> {
    let col = |n: &str| batch.column_by_name(n).expect("schema checked");
    let refs = col("series_ref").as_primitive::<UInt32Type>();
    let ids = col("series_id").as_primitive::<UInt64Type>();
    let metrics = col("metric").as_string::<i32>();
    let labels = col("labels").as_map();
    let mut out = Vec::with_capacity(batch.num_rows());
    for row in 0..batch.num_rows() {
        let entries = labels.value(row);
        let keys = entries.column(0).as_string::<i32>();
        let values = entries.column(1).as_string::<i32>();
        if values.null_count() > 0 {
            return Err(corrupt(path, format!("row {row}: a label value is null")));
        }
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
        out.push((refs.value(row), series));
    }
    Ok(out)
}

/// The refs a segment's `series` table defines (the series that first
/// appeared in it).
pub(crate) fn defined_refs(dir: &Path, seg: &Segment) -> Result<Vec<u32>> {
    let Some(f) = table(seg, "series") else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for batch in read_table(dir, f, schema::series())? {
        let col = batch.column_by_name("series_ref").expect("schema checked");
        out.extend_from_slice(col.as_primitive::<UInt32Type>().values());
    }
    Ok(out)
}

/// The refs a segment's `samples` table uses.
pub(crate) fn used_refs(dir: &Path, seg: &Segment) -> Result<HashSet<u32>> {
    let Some(f) = table(seg, "samples") else {
        return Ok(HashSet::new());
    };
    let mut out = HashSet::new();
    for batch in read_table(dir, f, schema::samples())? {
        out.extend(sample_columns(&batch).0.iter().copied());
    }
    Ok(out)
}

/// `series_ref`, `timestamp` and `value` of a samples batch.
pub(crate) fn sample_columns(batch: &RecordBatch) -> (&[u32], &[i64], &[f64]) {
    let col = |n: &str| batch.column_by_name(n).expect("schema checked");
    (
        col("series_ref").as_primitive::<UInt32Type>().values(),
        col("timestamp")
            .as_primitive::<TimestampMillisecondType>()
            .values(),
        col("value").as_primitive::<Float64Type>().values(),
    )
}

pub(crate) fn object_rows(batch: &RecordBatch, path: &Path) -> Result<Vec<ObjectRevision>> {
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
    let opt = |a: &StringArray, i: usize| a.is_valid(i).then(|| a.value(i).to_owned());
    (0..batch.num_rows())
        .map(|i| {
            let required = |a: &StringArray, name: &str| {
                opt(a, i).ok_or_else(|| corrupt(path, format!("row {i}: `{name}` is null")))
            };
            Ok(ObjectRevision {
                observed_ms: observed.value(i),
                server_time_ms: server.is_valid(i).then(|| server.value(i)),
                kind: required(&kind, "kind")?,
                api_version: required(&api, "api_version")?,
                namespace: opt(&ns, i),
                name: opt(&name, i),
                uid: opt(&uid, i),
                resource_version: opt(&rv, i),
                event: required(&ev, "event_type")?
                    .parse::<WatchEvent>()
                    .map_err(|e| corrupt(path, format!("row {i}: {e}")))?,
                object: opt(&obj, i),
            })
        })
        .collect()
}

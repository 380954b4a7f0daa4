//! Reading a recording: series, samples and objects of a time range.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{BooleanArray, RecordBatch};
use understudy_core::{ObjectRevision, Series, TimeRange, schema};

use crate::error::{IoContext, Result, StoreError, corrupt};
use crate::fsutil::{sha256_file, try_lock};
use crate::journal::JOURNAL_FILE;
use crate::manifest::{Manifest, Segment, SegmentFile};
use crate::tables::{
    SeriesIndex, check_sha256, for_each_batch, object_rows, read_table, sample_columns, table,
};
use crate::writer::LOCK_FILE;

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
    /// Size of the journal file, in bytes (its 24-byte header included).
    pub bytes: u64,
    /// A recorder (or a repair) is running on the directory right now. When
    /// false, the recorder was killed: `understudy inspect --repair` recovers it.
    pub in_use: bool,
}

/// The journal in `dir`, if there is one, and whether a process holds the
/// recording's lock.
fn journal_state(dir: &Path) -> Option<JournalState> {
    let m = std::fs::metadata(dir.join(JOURNAL_FILE)).ok()?;
    Some(JournalState {
        bytes: m.len(),
        in_use: try_lock(&dir.join(LOCK_FILE))
            .map(|l| l.is_none())
            .unwrap_or(false),
    })
}

/// For readers that take a recording as finished (replay, analysis,
/// export): [`StoreError::Unsealed`] when a killed recorder left data in the
/// journal, which would otherwise read as a silently shorter (or empty)
/// recording. A running recorder's journal is returned, not refused: what
/// it has sealed so far is a consistent recording.
pub fn check_sealed(dir: &Path) -> Result<Option<JournalState>> {
    match journal_state(dir) {
        Some(j) if !j.in_use => Err(StoreError::Unsealed {
            path: dir.to_owned(),
            bytes: j.bytes,
        }),
        other => Ok(other),
    }
}

/// A series and how much of it a recording holds.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesInfo {
    /// The series.
    pub series: Arc<Series>,
    /// Sample rows stored for it over all sealed segments (a time two
    /// segments both hold counts twice).
    pub samples: u64,
    /// Time of its first sample, ms since the epoch.
    pub min_time_ms: i64,
    /// Time of its last sample, ms since the epoch.
    pub max_time_ms: i64,
}

/// The samples of one series, in time order, one per timestamp.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesSamples {
    /// The series.
    pub series: Arc<Series>,
    /// Sample times, ms since the epoch, ascending, no duplicates (where
    /// segments overlap, the later segment's sample wins).
    pub timestamps: Vec<i64>,
    /// One value per timestamp; staleness markers included, bit for bit.
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
        Ok(Recording {
            dir: dir.to_owned(),
            manifest,
            journal: journal_state(dir),
        })
    }

    /// The recording directory, as given to [`Recording::open`].
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The manifest as read at open; segments sealed since are not seen.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The journal found at open: data not sealed yet, which this reader
    /// does not see; `None` when everything is sealed.
    pub fn journal(&self) -> Option<JournalState> {
        self.journal
    }

    /// Recomputes the SHA-256 of every sealed file and compares it with the manifest.
    pub fn verify(&self) -> Result<()> {
        for f in self.files() {
            let path = self.dir.join(&f.path);
            check_sha256(&path, &sha256_file(&path)?, f)?;
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
        let index = SeriesIndex::load(&self.dir, &self.manifest)?;
        let mut stats: HashMap<u32, (u64, i64, i64)> = HashMap::new();
        for seg in &self.manifest.segments {
            let Some(f) = table(seg, "samples") else {
                continue;
            };
            // A batch at a time: `inspect` of a day-long recording would
            // otherwise decode every sample at once.
            for_each_batch(&self.dir, f, schema::samples(), |batch| {
                let (refs, ts, _) = sample_columns(&batch);
                for (&r, &t) in refs.iter().zip(ts) {
                    let e = stats.entry(r).or_insert((0, t, t));
                    e.0 += 1;
                    e.1 = e.1.min(t);
                    e.2 = e.2.max(t);
                }
                Ok(())
            })?;
        }
        let mut v = Vec::with_capacity(stats.len());
        for (r, (samples, min_time_ms, max_time_ms)) in stats {
            let series = Arc::clone(index.get(r, &self.dir)?);
            v.push(SeriesInfo {
                series,
                samples,
                min_time_ms,
                max_time_ms,
            });
        }
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
        let index = SeriesIndex::load(&self.dir, &self.manifest)?;
        let wanted: HashMap<u32, &Arc<Series>> = index
            .by_ref
            .iter()
            .filter(|(_, s)| select(s))
            .map(|(&r, s)| (r, s))
            .collect();
        let mut out: HashMap<u32, SeriesSamples> = HashMap::new();
        for seg in self.segments_in(range) {
            let Some(f) = table(seg, "samples") else {
                continue;
            };
            let path = self.dir.join(&f.path);
            for batch in read_table(&self.dir, f, schema::samples())? {
                let (refs, ts, vs) = sample_columns(&batch);
                let mut row = 0;
                while row < refs.len() {
                    let r = refs[row];
                    let run_end = row + refs[row..].iter().take_while(|&&x| x == r).count();
                    match wanted.get(&r) {
                        Some(series) => {
                            let entry = out.entry(r).or_insert_with(|| SeriesSamples {
                                series: Arc::clone(series),
                                timestamps: Vec::new(),
                                values: Vec::new(),
                            });
                            for k in row..run_end {
                                if range.contains(ts[k]) {
                                    entry.timestamps.push(ts[k]);
                                    entry.values.push(vs[k]);
                                }
                            }
                        }
                        None => {
                            index.get(r, &path)?;
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

    /// Every sample in `range`, streamed: `each(series_ref, series,
    /// timestamps, values)` is called once per run of one series' samples in
    /// a segment, segment after segment in the manifest's order, so memory
    /// holds one decoded batch at a time. A series' runs come in time order
    /// except where a later segment holds late samples (a `kpi run --write`
    /// over the past): [`Recording::samples`] merges those, a streaming
    /// reader must check.
    pub fn for_each_sample_run(
        &self,
        range: TimeRange,
        mut each: impl FnMut(u32, &Arc<Series>, &[i64], &[f64]),
    ) -> Result<()> {
        let index = SeriesIndex::load(&self.dir, &self.manifest)?;
        let (mut ts_in, mut vs_in) = (Vec::new(), Vec::new());
        for seg in self.segments_in(range) {
            let Some(f) = table(seg, "samples") else {
                continue;
            };
            let path = self.dir.join(&f.path);
            for_each_batch(&self.dir, f, schema::samples(), |batch| {
                let (refs, ts, vs) = sample_columns(&batch);
                let mut row = 0;
                while row < refs.len() {
                    let r = refs[row];
                    let run_end = row + refs[row..].iter().take_while(|&&x| x == r).count();
                    let series = index.get(r, &path)?;
                    ts_in.clear();
                    vs_in.clear();
                    for k in row..run_end {
                        if range.contains(ts[k]) {
                            ts_in.push(ts[k]);
                            vs_in.push(vs[k]);
                        }
                    }
                    if !ts_in.is_empty() {
                        each(r, series, &ts_in, &vs_in);
                    }
                    row = run_end;
                }
                Ok(())
            })?;
        }
        Ok(())
    }

    /// The raw `samples` tables of the segments overlapping `range`, as Arrow
    /// batches (`series_ref`, `timestamp`, `value`) limited to the range.
    /// [`Recording::series_by_ref`] resolves the refs.
    pub fn sample_batches(&self, range: TimeRange) -> Result<Vec<RecordBatch>> {
        let mut out = Vec::new();
        for seg in self.segments_in(range) {
            let Some(f) = table(seg, "samples") else {
                continue;
            };
            for batch in read_table(&self.dir, f, schema::samples())? {
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

    /// Every series of the recording by its `series_ref`.
    pub fn series_by_ref(&self) -> Result<HashMap<u32, Arc<Series>>> {
        Ok(SeriesIndex::load(&self.dir, &self.manifest)?.by_ref)
    }

    /// Object revisions and relist markers observed in `range`, in observation order.
    pub fn objects(&self, range: TimeRange) -> Result<Vec<ObjectRevision>> {
        let mut out = Vec::new();
        for seg in self.segments_in(range) {
            let Some(f) = table(seg, "objects") else {
                continue;
            };
            let path = self.dir.join(&f.path);
            for batch in read_table(&self.dir, f, schema::objects())? {
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
}

/// Segments are appended in order, but a series may get late samples; sort
/// stably (later segments after earlier ones) and keep the last of a tie.
fn merge_sorted(s: &mut SeriesSamples) {
    if s.timestamps.windows(2).all(|w| w[0] < w[1]) {
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

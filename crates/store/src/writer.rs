//! Writing a recording: journal first, sealed Parquet segments later.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use understudy_core::{Gap, TimelineBatch};

use crate::error::{Result, StoreError, corrupt};
use crate::fsutil::{create_dir, lock};
use crate::journal::JournalWriter;
use crate::manifest::{Manifest, Session, SourceInfo, TOOL_VERSION};
use crate::recover::{RecoveryReport, recover_locked};
use crate::segment::{SegmentBuffer, SeriesRefs};
use crate::tables::SeriesIndex;

/// The lock file in the recording directory: a writer or repair holds an
/// exclusive lock on it, readers probe it to tell a running recorder from a
/// killed one.
pub const LOCK_FILE: &str = "recording.lock";

/// What the recorder says about a recording when it opens it.
#[derive(Debug, Clone, Default)]
pub struct RecordingMeta {
    /// The recording's id when it is created; random when `None`. A
    /// simulator sets it, so that the same run gives the same bytes.
    pub id: Option<String>,
    /// Kept from the first session when the directory already holds a recording.
    pub name: String,
    /// Merged into the labels already recorded.
    pub labels: BTreeMap<String, String>,
    /// Replaces the source list of earlier sessions.
    pub sources: Vec<SourceInfo>,
}

/// When the current segment is sealed into Parquet.
#[derive(Debug, Clone, Copy)]
pub struct WriterOptions {
    /// Wall time a segment stays open.
    pub segment_ms: i64,
    /// Samples after which a segment is sealed early, bounding memory.
    pub max_segment_samples: usize,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            segment_ms: 5 * 60_000,
            max_segment_samples: 5_000_000,
        }
    }
}

/// Counters of what the writer made durable, for the recorder's health series.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriterStats {
    /// Samples appended since the writer opened (durable from the next
    /// flush on).
    pub samples_written: u64,
    /// Object revisions and relist markers appended since the writer opened.
    pub objects_written: u64,
    /// Bytes written to journals since the writer opened, the current
    /// journal included.
    pub journal_bytes: u64,
    /// Segments sealed with at least one file since the writer opened.
    pub segments_sealed: u64,
    /// Bytes of the Parquet files sealed since the writer opened.
    pub segment_bytes: u64,
    /// Time (ms since the epoch) of the last successful flush; `None`
    /// before the first.
    pub last_flush_ms: Option<i64>,
}

/// What [`RecordingWriter::open`] found before touching anything, so that a
/// failed open can put it back.
#[derive(Debug)]
struct Undo {
    dir: PathBuf,
    /// Directories `create_dir` is about to create, `dir` first.
    created: Vec<PathBuf>,
    /// Entries `dir` held before (empty when it did not exist).
    before: Vec<std::ffi::OsString>,
    /// `dir` held a recording: what recovery did to it stays, only the
    /// lock file (when new) goes.
    recording: bool,
}

impl Undo {
    fn before(dir: &Path) -> Undo {
        let created = dir
            .ancestors()
            .filter(|a| !a.as_os_str().is_empty())
            .take_while(|a| !a.exists())
            .map(Path::to_path_buf)
            .collect();
        let before = std::fs::read_dir(dir)
            .map(|d| d.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default();
        Undo {
            dir: dir.to_owned(),
            created,
            recording: dir.join(crate::MANIFEST_FILE).exists(),
            before,
        }
    }

    /// Best effort: the error that made the open fail is what the caller
    /// needs to see, not a second one from cleaning up.
    fn run(&self) {
        if let Ok(entries) = std::fs::read_dir(&self.dir) {
            for e in entries.flatten() {
                let name = e.file_name();
                if self.before.contains(&name) || (self.recording && name != LOCK_FILE) {
                    continue;
                }
                let path = e.path();
                let _ = if e.file_type().is_ok_and(|t| t.is_dir()) {
                    std::fs::remove_dir_all(&path)
                } else {
                    std::fs::remove_file(&path)
                };
            }
        }
        self.run_unlocked();
    }

    /// Removes the directories this open created, innermost first, each
    /// only if empty: another process may be using them by now.
    fn run_unlocked(&self) {
        for d in &self.created {
            let _ = std::fs::remove_dir(d);
        }
    }
}

/// Appends timeline batches to a recording directory.
///
/// Every batch goes to the journal (durable at the next [`flush`]) and to an
/// in-memory segment that [`seal`] writes as Parquet files. A writer killed
/// at any moment loses at most what came after its last flush; opening the
/// directory again, or [`repair`](crate::repair), recovers the rest.
///
/// [`flush`]: RecordingWriter::flush
/// [`seal`]: RecordingWriter::seal
#[derive(Debug)]
pub struct RecordingWriter {
    dir: PathBuf,
    _lock: File,
    manifest: Manifest,
    journal: JournalWriter,
    buffer: SegmentBuffer,
    /// Every series of the recording and its ref, sealed ones included.
    refs: SeriesRefs,
    seq: u64,
    segment_started_ms: i64,
    opts: WriterOptions,
    stats: WriterStats,
    journal_base: u64,
    /// The journal belongs to a sealed segment; a new one must be started
    /// before the next flush.
    journal_stale: bool,
}

impl RecordingWriter {
    /// Creates a recording in `dir`, or continues the one there: an unclean
    /// earlier session is recovered first, and the time the recorder was not
    /// running becomes a gap.
    ///
    /// An open that fails leaves the file system as it found it: a directory
    /// it created is removed, and an existing directory keeps exactly the
    /// entries it had (a recording it continues keeps what recovery did).
    pub fn open(
        dir: &Path,
        meta: RecordingMeta,
        opts: WriterOptions,
        now_ms: i64,
    ) -> Result<(RecordingWriter, Option<RecoveryReport>)> {
        let undo = Undo::before(dir);
        // Without the lock, another process may be in the directory: then
        // only directories created here may go, and only if empty.
        create_dir(dir).inspect_err(|_| undo.run_unlocked())?;
        let lock = lock(dir).inspect_err(|_| undo.run_unlocked())?;
        match Self::open_locked(dir, meta, now_ms) {
            Ok((manifest, report, refs, seq, journal)) => {
                let writer = RecordingWriter {
                    dir: dir.to_owned(),
                    _lock: lock,
                    manifest,
                    journal,
                    buffer: SegmentBuffer::default(),
                    refs,
                    seq,
                    segment_started_ms: now_ms,
                    opts,
                    stats: WriterStats::default(),
                    journal_base: 0,
                    journal_stale: false,
                };
                Ok((writer, report))
            }
            Err(e) => {
                // Still holding the lock: nobody else can be writing here.
                undo.run();
                drop(lock);
                Err(e)
            }
        }
    }

    /// [`open`](Self::open) with the lock held: the manifest with a new
    /// session, the series refs, the segment number and a fresh journal.
    fn open_locked(
        dir: &Path,
        meta: RecordingMeta,
        now_ms: i64,
    ) -> Result<(
        Manifest,
        Option<RecoveryReport>,
        SeriesRefs,
        u64,
        JournalWriter,
    )> {
        let (mut manifest, report) = match Manifest::load(dir) {
            Ok(mut m) => {
                let report = recover_locked(dir, &mut m)?;
                (m, report)
            }
            Err(StoreError::NotARecording { .. }) => {
                // Our own lock file and temporaries (a recorder killed before
                // its first manifest) do not make a directory foreign.
                let foreign = std::fs::read_dir(dir)
                    .map(|d| {
                        d.flatten()
                            .filter(|e| {
                                let name = e.file_name();
                                let name = name.to_string_lossy();
                                name != LOCK_FILE && !name.ends_with(".tmp")
                            })
                            .count()
                    })
                    .unwrap_or(0);
                if foreign > 0 {
                    return Err(corrupt(
                        dir,
                        "directory is not empty and holds no manifest.json; refusing to record into it",
                    ));
                }
                let mut m = Manifest::new(&meta.name, BTreeMap::new(), now_ms);
                if let Some(id) = &meta.id {
                    m.id = id.clone();
                }
                (m, None)
            }
            Err(e) => return Err(e),
        };
        if let Some(prev) = manifest.sessions.last() {
            let start = prev.end_ms.unwrap_or(prev.start_ms);
            let reason = if prev.clean {
                "recorder was not running"
            } else {
                "recorder stopped without closing the recording (killed or crashed); data after its last flush is lost"
            };
            manifest.gaps.push(Gap {
                source: "recorder".into(),
                start_ms: start,
                end_ms: Some(now_ms),
                reason: reason.into(),
            });
        }
        manifest.labels.extend(meta.labels);
        manifest.sources = meta.sources;
        manifest.end_ms = None;
        manifest.sessions.push(Session {
            start_ms: now_ms,
            end_ms: None,
            clean: false,
            tool_version: TOOL_VERSION.into(),
            extra: Default::default(),
        });
        manifest.store(dir)?;
        let refs = SeriesIndex::load(dir, &manifest)?.refs();
        let seq = manifest.next_seq();
        let journal = JournalWriter::create(dir, seq, now_ms, |_| {})?;
        Ok((manifest, report, refs, seq, journal))
    }

    /// The recording directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The manifest as last stored (updated at each seal).
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The counters now; cheap, no I/O.
    pub fn stats(&self) -> WriterStats {
        WriterStats {
            journal_bytes: self.journal_base + self.journal.written(),
            ..self.stats
        }
    }

    /// Adds a batch to the journal and the current segment. Nothing is durable
    /// before the next [`flush`](Self::flush).
    pub fn append(&mut self, batch: &TimelineBatch) -> Result<()> {
        // While the journal is stale, the next flush writes a new one from
        // the buffer, this batch included.
        let journal = !self.journal_stale;
        let start = self.buffer.samples();
        for (pos, s) in batch.samples.iter().enumerate() {
            let (i, new) = self.buffer.intern_at(pos, &s.series).map_err(|id| {
                corrupt(
                    &self.dir,
                    format!(
                        "series id {:016x} of {} collides with another series",
                        id.0, s.series
                    ),
                )
            })?;
            if new && journal {
                self.journal.series(&s.series);
            }
            self.buffer.push_sample(i, s.timestamp_ms, s.value);
        }
        let (idx, ts, vals) = self.buffer.tail(start);
        if !idx.is_empty() && journal {
            self.journal.samples(idx, ts, vals);
        }
        for o in &batch.objects {
            if journal {
                self.journal.object(o);
            }
            self.buffer.objects.push(o.clone());
        }
        for g in &batch.gaps {
            if journal {
                self.journal.gap(g);
            }
            self.buffer.gaps.push(g.clone());
        }
        self.stats.samples_written += batch.samples.len() as u64;
        self.stats.objects_written += batch.objects.len() as u64;
        Ok(())
    }

    /// Makes everything appended so far durable in the journal.
    pub fn flush(&mut self, now_ms: i64) -> Result<()> {
        if self.journal_stale {
            self.rejournal(now_ms)?;
        }
        if let Err(e) = self.journal.flush(now_ms) {
            // The journal file may now hold a torn write: the next flush
            // writes a new one from memory.
            self.journal_stale = true;
            return Err(e);
        }
        self.stats.last_flush_ms = Some(now_ms);
        Ok(())
    }

    /// Whether the current segment is old or large enough to seal.
    pub fn segment_due(&self, now_ms: i64) -> bool {
        now_ms - self.segment_started_ms >= self.opts.segment_ms
            || self.buffer.samples() >= self.opts.max_segment_samples
    }

    /// Seals the current segment into Parquet and lists it in the manifest;
    /// the next flush replaces the journal (a close never needs one). Order
    /// matters for crash safety: files, then the manifest naming them, then
    /// the new journal. A failure at any step leaves the data in memory and
    /// in the journal, and the next call starts over.
    pub fn seal(&mut self, now_ms: i64) -> Result<()> {
        self.seal_with(now_ms, false)
    }

    /// A seal, and with `closing` the same manifest write also marks the
    /// session closed: one manifest sync instead of two.
    fn seal_with(&mut self, now_ms: i64, closing: bool) -> Result<()> {
        self.flush(now_ms)?;
        let sealed = self.buffer.seal(&self.dir, self.seq, &self.refs)?;
        let mut manifest = self.manifest.clone();
        let bytes: u64 = sealed
            .segment
            .iter()
            .flat_map(|s| &s.files)
            .map(|f| f.bytes)
            .sum();
        let any = sealed.segment.is_some();
        manifest.segments.extend(sealed.segment);
        manifest.gaps.extend(self.buffer.gaps.iter().cloned());
        if let Some(s) = manifest.sessions.last_mut() {
            s.end_ms = Some(now_ms);
            s.clean = closing;
        }
        if closing {
            manifest.end_ms = Some(now_ms);
        }
        manifest.store(&self.dir)?;
        // Sealed: from here on the old journal holds nothing we need.
        self.manifest = manifest;
        self.refs.adopt(&sealed.new_refs);
        self.stats.segment_bytes += bytes;
        self.stats.segments_sealed += u64::from(any);
        self.seq = self.manifest.next_seq();
        // Cleared, not replaced: the next segment reuses the memory, so a
        // long recording runs in the same footprint as a short one.
        self.buffer.clear();
        self.segment_started_ms = now_ms;
        self.journal_stale = true;
        Ok(())
    }

    /// Starts a journal for the current segment and writes into it whatever
    /// the segment holds already (nothing, right after a seal; everything
    /// appended since, when starting the journal failed before).
    fn rejournal(&mut self, now_ms: i64) -> Result<()> {
        let buffer = &self.buffer;
        let journal = JournalWriter::create(&self.dir, self.seq, now_ms, |j| buffer.write_to(j))?;
        self.journal_base += self.journal.written();
        self.journal = journal;
        self.journal_stale = false;
        Ok(())
    }

    /// Seals what is left and marks the session as closed cleanly.
    pub fn close(mut self, now_ms: i64) -> Result<Manifest> {
        if self.buffer.is_empty() {
            if let Some(s) = self.manifest.sessions.last_mut() {
                s.end_ms = Some(now_ms);
                s.clean = true;
            }
            self.manifest.end_ms = Some(now_ms);
            self.manifest.store(&self.dir)?;
        } else {
            self.seal_with(now_ms, true)?;
        }
        let journal = self.dir.join(crate::journal::JOURNAL_FILE);
        std::fs::remove_file(&journal).map_err(|source| StoreError::Io {
            op: "remove",
            path: journal,
            source,
        })?;
        crate::fsutil::sync_dir(&self.dir)?;
        Ok(self.manifest)
    }

    /// Series in the current (unsealed) segment.
    pub fn open_series(&self) -> u32 {
        self.buffer.series_count()
    }
}

//! The journal: an append-only log of everything not yet sealed into Parquet.
//!
//! Layout: a 24-byte header (`USJRNL01`, segment sequence number, creation
//! time), then records `[len: u32][crc32: u32][payload]`, little-endian. A
//! payload starts with a tag byte. Series are defined once per journal and
//! referred to by a local index afterwards, so a scrape costs 20 bytes per
//! sample.
//!
//! Reading stops at the first record that is short or fails its checksum: a
//! killed writer leaves at most one torn record at the end, and everything
//! before it is intact.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use understudy_core::{Gap, Labels, ObjectRevision, Series, WatchEvent};

use crate::error::{IoContext, Result, corrupt};
use crate::fsutil::{sync_dir, tmp_path};

/// The journal's file name in the recording directory; it exists while a
/// segment is open, and after a crash until a repair.
pub const JOURNAL_FILE: &str = "journal.wal";
const MAGIC: &[u8; 8] = b"USJRNL01";
const HEADER_LEN: usize = 24;
/// Records above this size are refused when reading: a corrupt length must
/// not make recovery allocate gigabytes.
const MAX_RECORD: usize = 256 << 20;

const TAG_SERIES: u8 = 1;
const TAG_SAMPLES: u8 = 2;
const TAG_OBJECT: u8 = 3;
const TAG_GAP: u8 = 4;
const TAG_FLUSH: u8 = 5;

/// One decoded journal record.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Record {
    /// Defines local series index `index` (indices count up from 0).
    Series(Arc<Series>),
    Samples(Vec<(u32, i64, f64)>),
    Object(ObjectRevision),
    Gap(Gap),
    /// The time of a flush: everything before it was durable at that moment.
    Flush(i64),
}

/// Records are handed to the OS in pieces of this size, so the buffer in
/// memory stays small whatever the flush interval.
const SPILL_BYTES: usize = 4 << 20;

/// Appends records to the journal file; nothing is durable before [`flush`].
///
/// After a failed write the file's content is unknown: the writer stops
/// writing, [`flush`] reports the error, and the caller starts a new journal
/// from what it holds in memory.
///
/// [`flush`]: JournalWriter::flush
#[derive(Debug)]
pub(crate) struct JournalWriter {
    path: PathBuf,
    file: File,
    pending: Vec<u8>,
    written: u64,
    failed: Option<std::io::Error>,
}

impl JournalWriter {
    /// Creates a fresh journal for segment `seq` holding what `fill` writes,
    /// and only once that is on disk puts it in place of the old journal: a
    /// crash at any point leaves one complete journal or the other.
    pub(crate) fn create(
        dir: &Path,
        seq: u64,
        now_ms: i64,
        fill: impl FnOnce(&mut JournalWriter),
    ) -> Result<JournalWriter> {
        let path = dir.join(JOURNAL_FILE);
        let tmp = tmp_path(&path);
        let mut file = File::create(&tmp).io("create", &tmp)?;
        let mut header = Vec::with_capacity(HEADER_LEN);
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&seq.to_le_bytes());
        header.extend_from_slice(&now_ms.to_le_bytes());
        file.write_all(&header).io("write", &tmp)?;
        let mut journal = JournalWriter {
            path: tmp.clone(),
            file,
            pending: Vec::with_capacity(SPILL_BYTES + (1 << 16)),
            written: 0,
            failed: None,
        };
        fill(&mut journal);
        journal.flush(now_ms)?;
        std::fs::rename(&tmp, &path).io("rename into place", &path)?;
        sync_dir(dir)?;
        journal.path = path;
        Ok(journal)
    }

    pub(crate) fn series(&mut self, series: &Series) {
        self.record(TAG_SERIES, |b| {
            put_str(b, series.metric());
            put_u32(b, series.labels().len() as u32);
            for (k, v) in series.labels().iter() {
                put_str(b, k);
                put_str(b, v);
            }
        });
    }

    pub(crate) fn samples(&mut self, idx: &[u32], ts: &[i64], vals: &[f64]) {
        // Records of at most 64 Ki samples (1.3 MiB): well below MAX_RECORD,
        // and spilled to the OS as they fill.
        const CHUNK: usize = 1 << 16;
        for start in (0..idx.len()).step_by(CHUNK) {
            let end = (start + CHUNK).min(idx.len());
            self.record(TAG_SAMPLES, |b| {
                put_u32(b, (end - start) as u32);
                b.reserve((end - start) * 12);
                // A scrape's samples mostly come in series order with one
                // timestamp: as deltas both take one byte, so a sample
                // costs about 10 bytes instead of 20.
                let (mut prev_i, mut prev_t) = (-1i64, 0i64);
                for k in start..end {
                    put_varint(b, zigzag(i64::from(idx[k]) - prev_i - 1));
                    put_varint(b, zigzag(ts[k].wrapping_sub(prev_t)));
                    b.extend_from_slice(&vals[k].to_bits().to_le_bytes());
                    (prev_i, prev_t) = (i64::from(idx[k]), ts[k]);
                }
            });
        }
    }

    pub(crate) fn object(&mut self, o: &ObjectRevision) {
        self.record(TAG_OBJECT, |b| {
            b.extend_from_slice(&o.observed_ms.to_le_bytes());
            put_opt_i64(b, o.server_time_ms);
            put_str(b, &o.kind);
            put_str(b, &o.api_version);
            put_opt_str(b, o.namespace.as_deref());
            put_opt_str(b, o.name.as_deref());
            put_opt_str(b, o.uid.as_deref());
            put_opt_str(b, o.resource_version.as_deref());
            put_str(b, o.event.as_str());
            put_opt_str(b, o.object.as_deref());
        });
    }

    pub(crate) fn gap(&mut self, g: &Gap) {
        self.record(TAG_GAP, |b| {
            put_str(b, &g.source);
            b.extend_from_slice(&g.start_ms.to_le_bytes());
            put_opt_i64(b, g.end_ms);
            put_str(b, &g.reason);
        });
    }

    /// Writes everything pending and waits until it is on disk.
    pub(crate) fn flush(&mut self, now_ms: i64) -> Result<()> {
        self.record(TAG_FLUSH, |b| b.extend_from_slice(&now_ms.to_le_bytes()));
        self.spill();
        if self.failed.is_none()
            && let Err(e) = self.file.sync_data()
        {
            self.failed = Some(e);
        }
        match &self.failed {
            None => Ok(()),
            Some(e) => Err(std::io::Error::new(e.kind(), e.to_string())).io("write", &self.path),
        }
    }

    /// Hands pending records to the OS (not yet durable).
    fn spill(&mut self) {
        if self.failed.is_none() {
            match self.file.write_all(&self.pending) {
                Ok(()) => self.written += self.pending.len() as u64,
                Err(e) => self.failed = Some(e),
            }
        }
        self.pending.clear();
    }

    /// Bytes handed to the OS so far (durable at the next flush).
    pub(crate) fn written(&self) -> u64 {
        self.written
    }

    fn record(&mut self, tag: u8, body: impl FnOnce(&mut Vec<u8>)) {
        if self.failed.is_some() {
            return;
        }
        if self.pending.len() >= SPILL_BYTES {
            self.spill();
        }
        let start = self.pending.len();
        self.pending.extend_from_slice(&[0; 8]);
        self.pending.push(tag);
        body(&mut self.pending);
        let payload = &self.pending[start + 8..];
        let len = payload.len() as u32;
        let crc = crc32fast::hash(payload);
        self.pending[start..start + 4].copy_from_slice(&len.to_le_bytes());
        self.pending[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
    }
}

/// What a journal file holds.
#[derive(Debug)]
pub(crate) struct JournalContents {
    pub seq: u64,
    pub created_ms: i64,
    pub records: Vec<Record>,
    /// Time of the last flush record, the last moment known durable.
    pub last_flush_ms: Option<i64>,
    /// Bytes after the last intact record (a torn write or corruption).
    pub dropped_bytes: u64,
}

/// Reads a journal, stopping at the first torn or corrupt record.
pub(crate) fn read(path: &Path) -> Result<JournalContents> {
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .io("read", path)?;
    if bytes.len() < HEADER_LEN || &bytes[..8] != MAGIC {
        return Err(corrupt(path, "not an understudy journal (bad header)"));
    }
    let seq = le_u64(&bytes[8..16]);
    let created_ms = le_u64(&bytes[16..24]) as i64;
    let mut pos = HEADER_LEN;
    let mut records = Vec::new();
    let mut series_count = 0u32;
    let mut last_flush_ms = None;
    while pos + 8 <= bytes.len() {
        let len = le_u32(&bytes[pos..]) as usize;
        let crc = le_u32(&bytes[pos + 4..]);
        let end = pos + 8 + len;
        if len > MAX_RECORD || end > bytes.len() {
            break;
        }
        let payload = &bytes[pos + 8..end];
        if crc32fast::hash(payload) != crc {
            break;
        }
        let record = match decode(payload, series_count) {
            Some(r) => r,
            // Checksum right, content wrong: written by a different program.
            None => return Err(corrupt(path, format!("undecodable record at byte {pos}"))),
        };
        match &record {
            Record::Series(_) => series_count += 1,
            Record::Flush(t) => last_flush_ms = Some(*t),
            _ => {}
        }
        records.push(record);
        pos = end;
    }
    Ok(JournalContents {
        seq,
        created_ms,
        records,
        last_flush_ms,
        dropped_bytes: (bytes.len() - pos) as u64,
    })
}

fn decode(payload: &[u8], series_count: u32) -> Option<Record> {
    let (&tag, rest) = payload.split_first()?;
    let mut c = Cursor(rest);
    let record = match tag {
        TAG_SERIES => {
            let metric = c.str()?;
            let n = c.u32()?;
            let mut pairs = Vec::with_capacity(n.min(1024) as usize);
            for _ in 0..n {
                pairs.push((c.str()?, c.str()?));
            }
            let labels = Labels::from_pairs(pairs).ok()?;
            Record::Series(Arc::new(Series::new(metric, labels).ok()?))
        }
        TAG_SAMPLES => {
            let n = c.u32()? as usize;
            // Every sample takes at least 10 bytes: a bound before allocating.
            if c.0.len() < n * 10 {
                return None;
            }
            let mut v = Vec::with_capacity(n);
            let (mut prev_i, mut prev_t) = (-1i64, 0i64);
            for _ in 0..n {
                let i = prev_i.checked_add(1)?.checked_add(unzigzag(c.varint()?))?;
                let t = prev_t.wrapping_add(unzigzag(c.varint()?));
                if !(0..i64::from(series_count)).contains(&i) {
                    return None;
                }
                v.push((i as u32, t, f64::from_bits(c.u64()?)));
                (prev_i, prev_t) = (i, t);
            }
            Record::Samples(v)
        }
        TAG_OBJECT => Record::Object(ObjectRevision {
            observed_ms: c.i64()?,
            server_time_ms: c.opt_i64()?,
            kind: c.str()?,
            api_version: c.str()?,
            namespace: c.opt_str()?,
            name: c.opt_str()?,
            uid: c.opt_str()?,
            resource_version: c.opt_str()?,
            event: c.str()?.parse::<WatchEvent>().ok()?,
            object: c.opt_str()?,
        }),
        TAG_GAP => Record::Gap(Gap {
            source: c.str()?,
            start_ms: c.i64()?,
            end_ms: c.opt_i64()?,
            reason: c.str()?,
        }),
        TAG_FLUSH => Record::Flush(c.i64()?),
        _ => return None,
    };
    c.0.is_empty().then_some(record)
}

fn put_u32(b: &mut Vec<u8>, v: u32) {
    b.extend_from_slice(&v.to_le_bytes());
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// LEB128: seven bits a byte, low bits first.
fn put_varint(b: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        b.push((v as u8) | 0x80);
        v >>= 7;
    }
    b.push(v as u8);
}

fn put_str(b: &mut Vec<u8>, s: &str) {
    put_u32(b, s.len() as u32);
    b.extend_from_slice(s.as_bytes());
}

fn put_opt_str(b: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => {
            b.push(1);
            put_str(b, s);
        }
        None => b.push(0),
    }
}

fn put_opt_i64(b: &mut Vec<u8>, v: Option<i64>) {
    match v {
        Some(v) => {
            b.push(1);
            b.extend_from_slice(&v.to_le_bytes());
        }
        None => b.push(0),
    }
}

fn le_u32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

fn le_u64(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    u64::from_le_bytes(a)
}

/// Bounds-checked reading of a payload; `None` means malformed.
struct Cursor<'a>(&'a [u8]);

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Some(head)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    fn u32(&mut self) -> Option<u32> {
        self.take(4).map(le_u32)
    }

    fn u64(&mut self) -> Option<u64> {
        self.take(8).map(le_u64)
    }

    fn i64(&mut self) -> Option<i64> {
        self.u64().map(|v| v as i64)
    }

    fn varint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.u8()?;
            v |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }

    fn str(&mut self) -> Option<String> {
        let n = self.u32()? as usize;
        String::from_utf8(self.take(n)?.to_vec()).ok()
    }

    fn opt_str(&mut self) -> Option<Option<String>> {
        match self.u8()? {
            0 => Some(None),
            1 => self.str().map(Some),
            _ => None,
        }
    }

    fn opt_i64(&mut self) -> Option<Option<i64>> {
        match self.u8()? {
            0 => Some(None),
            1 => self.i64().map(Some),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(name: &str) -> Series {
        Series::new(name, Labels::from_pairs([("pod", "a")]).expect("valid")).expect("valid")
    }

    fn object() -> ObjectRevision {
        ObjectRevision {
            observed_ms: 7,
            server_time_ms: Some(6),
            kind: "Pod".into(),
            api_version: "v1".into(),
            namespace: Some("ns".into()),
            name: Some("p".into()),
            uid: None,
            resource_version: Some("12".into()),
            event: WatchEvent::Modified,
            object: Some("{}".into()),
        }
    }

    #[test]
    fn records_round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut w = JournalWriter::create(dir.path(), 3, 100, |_| {}).expect("create");
        w.series(&series("a"));
        w.samples(&[0, 0], &[1, 2], &[1.5, f64::NAN]);
        w.object(&object());
        let gap = Gap {
            source: "s".into(),
            start_ms: 1,
            end_ms: None,
            reason: "r".into(),
        };
        w.gap(&gap);
        w.flush(200).expect("flush");
        let j = read(&dir.path().join(JOURNAL_FILE)).expect("read");
        assert_eq!(
            (j.seq, j.created_ms, j.last_flush_ms, j.dropped_bytes),
            (3, 100, Some(200), 0)
        );
        // A new journal starts with a flush: it is durable from creation.
        assert_eq!(j.records.len(), 6);
        assert_eq!(j.records[0], Record::Flush(100));
        assert_eq!(j.records[1], Record::Series(Arc::new(series("a"))));
        assert_eq!(j.records[3], Record::Object(object()));
        assert_eq!(j.records[4], Record::Gap(gap));
        match &j.records[2] {
            Record::Samples(s) => {
                assert_eq!(s[0], (0, 1, 1.5));
                assert!(s[1].2.is_nan());
            }
            other => panic!("expected samples, got {other:?}"),
        }
    }

    #[test]
    fn sample_deltas_round_trip_at_the_extremes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut w = JournalWriter::create(dir.path(), 1, 0, |_| {}).expect("create");
        for name in ["a", "b", "c"] {
            w.series(&series(name));
        }
        let idx = [2, 0, 0, 1, 2, 1];
        let ts = [
            i64::MAX,
            i64::MIN,
            0,
            -1,
            1_795_648_515_000,
            1_795_648_515_000,
        ];
        let vals = [1.0, -0.0, f64::INFINITY, 2.5, 1e-300, f64::MIN];
        w.samples(&idx, &ts, &vals);
        w.flush(5).expect("flush");
        let j = read(&dir.path().join(JOURNAL_FILE)).expect("read");
        let got = j.records.iter().find_map(|r| match r {
            Record::Samples(v) => Some(v.clone()),
            _ => None,
        });
        let want: Vec<(u32, i64, f64)> = (0..6).map(|k| (idx[k], ts[k], vals[k])).collect();
        assert_eq!(got, Some(want));
    }

    #[test]
    fn unflushed_records_are_not_on_disk() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut w = JournalWriter::create(dir.path(), 1, 0, |_| {}).expect("create");
        w.series(&series("a"));
        w.flush(10).expect("flush");
        w.samples(&[0], &[1], &[1.0]);
        let j = read(&dir.path().join(JOURNAL_FILE)).expect("read");
        assert_eq!(j.records.len(), 3, "creation flush, series, flush only");
    }

    #[test]
    fn torn_tail_is_dropped_and_the_rest_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(JOURNAL_FILE);
        let mut w = JournalWriter::create(dir.path(), 1, 0, |_| {}).expect("create");
        w.series(&series("a"));
        w.samples(&[0], &[1], &[1.0]);
        w.flush(10).expect("flush");
        w.samples(&[0, 0], &[2, 3], &[2.0, 3.0]);
        w.flush(20).expect("flush");
        let full = std::fs::read(&path).expect("read");
        let all = read(&path).expect("read").records;
        assert_eq!(all.len(), 6);
        // Cut the file at every length: never an error, always an intact
        // prefix of the records, and the torn rest counted as dropped.
        let mut seen = 0;
        for cut in HEADER_LEN..full.len() {
            std::fs::write(&path, &full[..cut]).expect("write");
            let j = read(&path).expect("a torn journal is readable");
            assert_eq!(j.records[..], all[..j.records.len()], "cut at {cut}");
            assert!(
                j.records.len() < all.len(),
                "cut at {cut} cannot hold every record"
            );
            assert!(j.records.len() >= seen, "records only grow with the cut");
            seen = j.records.len();
        }
        assert_eq!(seen, 5, "every record but the last survives some cut");
        // A flipped byte in the second samples record drops it and what follows.
        let mut bad = full.clone();
        let n = bad.len();
        bad[n - 30] ^= 0x55;
        std::fs::write(&path, &bad).expect("write");
        let j = read(&path).expect("readable");
        assert_eq!(j.last_flush_ms, Some(10));
        assert!(j.dropped_bytes > 0);
    }

    /// Records with a valid checksum but arbitrary content (another program,
    /// a bug) are an error naming the file, never a panic or a huge allocation.
    #[test]
    fn garbage_with_valid_checksums_never_panics() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(JOURNAL_FILE);
        let mut header = Vec::new();
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&[0; 16]);
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        for _ in 0..20_000 {
            let len = (next() % 64) as usize;
            let mut payload: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            if let Some(tag) = payload.first_mut() {
                *tag = 1 + *tag % 5;
            }
            let mut bytes = header.clone();
            bytes.extend_from_slice(&(payload.len() as u32).to_le_bytes());
            bytes.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
            bytes.extend_from_slice(&payload);
            std::fs::write(&path, &bytes).expect("write");
            if let Err(e) = read(&path) {
                assert!(e.to_string().contains("journal.wal"), "{e}");
            }
        }
    }

    #[test]
    fn a_foreign_file_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(JOURNAL_FILE);
        std::fs::write(&path, b"hello world, this is not a journal").expect("write");
        let msg = read(&path).expect_err("refused").to_string();
        assert!(
            msg.contains("journal.wal") && msg.contains("bad header"),
            "{msg}"
        );
    }
}

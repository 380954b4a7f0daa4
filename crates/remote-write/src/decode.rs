//! From a request body to a [`SampleBatch`]: snappy, protobuf, series.

use std::collections::HashMap;
use std::sync::Arc;

use understudy_core::{LabelError, Labels, SampleBatch, Series};

use crate::wire::{FIXED64, LEN, Reader, VARINT};

/// Why a request body could not be decoded. Prometheus does not retry a
/// request answered with 400, so every variant is the sender's fault.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// snap's messages start with "snappy: ".
    #[error(transparent)]
    Snappy(#[from] snap::Error),
    /// The snappy header announces more than the decoder's
    /// `max_decoded_bytes`; refused before anything is allocated.
    #[error("decompressed body would be {len} bytes, limit {limit}")]
    TooLarge {
        /// Decompressed length the header announces, in bytes.
        len: usize,
        /// The decoder's `max_decoded_bytes`.
        limit: usize,
    },
    /// The decompressed body is not a `WriteRequest`: truncated, a bad
    /// varint, a wrong wire type for a known field.
    #[error("protobuf: {what} at byte {offset} of the decompressed body")]
    Protobuf {
        /// What was wrong, in the reader's words.
        what: String,
        /// Where, in bytes from the start of the decompressed body.
        offset: usize,
    },
}

/// Why a series was dropped while the rest of its request was kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DropReason {
    /// No `__name__` label, or an empty one.
    MissingName,
    /// `__name__` does not match `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    InvalidMetricName,
    /// A label name does not match `[a-zA-Z_][a-zA-Z0-9_]*`, or starts with
    /// `__` (a second `__name__` included).
    InvalidLabelName,
    /// A label name appears twice.
    DuplicateLabel,
    /// A label name or value is not UTF-8.
    InvalidUtf8,
}

impl DropReason {
    /// Every reason, in the order of their counters.
    pub const ALL: [DropReason; 5] = [
        DropReason::MissingName,
        DropReason::InvalidMetricName,
        DropReason::InvalidLabelName,
        DropReason::DuplicateLabel,
        DropReason::InvalidUtf8,
    ];

    /// A label value for metrics: `missing_name`, `invalid_metric_name`, …
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::MissingName => "missing_name",
            DropReason::InvalidMetricName => "invalid_metric_name",
            DropReason::InvalidLabelName => "invalid_label_name",
            DropReason::DuplicateLabel => "duplicate_label",
            DropReason::InvalidUtf8 => "invalid_utf8",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// What one request held that is not in its [`SampleBatch`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Skipped {
    series: [u64; DropReason::ALL.len()],
    /// Exemplars: not recorded.
    pub exemplars: u64,
    /// Native histogram samples: not recorded.
    pub histograms: u64,
    /// Metric metadata (type, help, unit): not recorded.
    pub metadata: u64,
}

impl Skipped {
    /// Series with samples that were dropped for `reason`.
    pub fn series(&self, reason: DropReason) -> u64 {
        self.series[reason.index()]
    }

    /// Series dropped for any reason.
    pub fn series_total(&self) -> u64 {
        self.series.iter().sum()
    }

    pub(crate) fn add_series(&mut self, reason: DropReason, n: u64) {
        self.series[reason.index()] += n;
    }
}

/// One decoded request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Decoded {
    /// The samples of every series kept, timestamps as sent (ms).
    pub samples: SampleBatch,
    /// What the request held that is not in `samples`.
    pub skipped: Skipped,
}

/// What the cache remembers of a label set: its series, or why it is refused.
type Entry = Result<Arc<Series>, DropReason>;
type Cache = HashMap<Box<[u8]>, Entry, foldhash::fast::RandomState>;

/// Decodes request bodies, remembering the series it has seen.
///
/// A Prometheus sends the same series every scrape interval; building and
/// validating a [`Series`] (UTF-8 checks, name checks, sorting, hashing its
/// id) costs more than decoding its sample. So the decoder keys series by
/// the raw protobuf bytes of their labels and builds each one once. The
/// cache has two generations of up to `cache_capacity` label sets each: when
/// the current one is full it becomes the previous one, and label sets still
/// in use move back on their next request, so a working set below the
/// capacity is never rebuilt and memory stays bounded.
///
/// Protobuf is read in place rather than through the [`proto`](crate::proto)
/// types: those allocate two `String`s per label of every series of every
/// request, which would be most of the decoding time.
#[derive(Debug)]
pub struct Decoder {
    max_decoded_bytes: usize,
    cache_capacity: usize,
    snappy: snap::raw::Decoder,
    /// The decompressed body, reused between requests.
    buf: Vec<u8>,
    current: Cache,
    previous: Cache,
    /// The cache key being built: each raw `Label` message, length-prefixed.
    key: Vec<u8>,
    /// Samples in the last request, as a capacity hint for the next.
    last_len: usize,
    logged: [bool; DropReason::ALL.len()],
    logged_exemplars: bool,
    logged_histograms: bool,
}

impl Decoder {
    /// Label sets remembered by default (per generation).
    pub const DEFAULT_CACHE_CAPACITY: usize = 100_000;

    /// A decoder refusing bodies that decompress to more than
    /// `max_decoded_bytes`.
    pub fn new(max_decoded_bytes: usize) -> Decoder {
        Decoder {
            max_decoded_bytes,
            cache_capacity: Self::DEFAULT_CACHE_CAPACITY,
            snappy: snap::raw::Decoder::new(),
            buf: Vec::new(),
            current: Cache::default(),
            previous: Cache::default(),
            key: Vec::with_capacity(256),
            last_len: 0,
            logged: Default::default(),
            logged_exemplars: false,
            logged_histograms: false,
        }
    }

    /// Sets how many label sets each cache generation holds (at least 1).
    pub fn with_cache_capacity(mut self, n: usize) -> Decoder {
        self.cache_capacity = n.max(1);
        self
    }

    /// Label sets currently remembered, both generations.
    pub fn cached_series(&self) -> usize {
        self.current.len() + self.previous.len()
    }

    /// Decodes one request body: snappy block format around a
    /// `prometheus.WriteRequest`.
    pub fn decode(&mut self, body: &[u8]) -> Result<Decoded, DecodeError> {
        // The length is the block's header: refuse before allocating it.
        let len = snap::raw::decompress_len(body)?;
        if len > self.max_decoded_bytes {
            return Err(DecodeError::TooLarge {
                len,
                limit: self.max_decoded_bytes,
            });
        }
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        buf.resize(len, 0);
        let result = match self.snappy.decompress(body, &mut buf) {
            Ok(n) => self.parse(&buf[..n]),
            Err(e) => Err(e.into()),
        };
        // Kept for the next request, unless one outsized body grew it.
        if buf.capacity() <= 8 << 20 {
            self.buf = buf;
        }
        result
    }

    fn parse(&mut self, body: &[u8]) -> Result<Decoded, DecodeError> {
        let mut out = Decoded {
            samples: SampleBatch::with_capacity(self.last_len),
            skipped: Skipped::default(),
        };
        // Reused for every series of this request.
        let mut labels = Vec::with_capacity(16);
        let mut samples = Vec::with_capacity(4);
        let mut r = Reader::new(body);
        while !r.is_empty() {
            match r.key()? {
                (1, LEN) => {
                    let ts = r.nested()?;
                    self.series(ts, &mut labels, &mut samples, &mut out)?;
                }
                (3, LEN) => {
                    r.skip(LEN)?;
                    out.skipped.metadata += 1;
                }
                (f @ (1 | 3), t) => return Err(r.wrong_type("WriteRequest", f, t)),
                (_, t) => r.skip(t)?,
            }
        }
        self.last_len = out.samples.len();
        self.log_skipped(&out.skipped);
        Ok(out)
    }

    /// Reads one `TimeSeries` and adds its samples to `out`.
    fn series<'a>(
        &mut self,
        mut ts: Reader<'a>,
        labels: &mut Vec<Reader<'a>>,
        samples: &mut Vec<(i64, f64)>,
        out: &mut Decoded,
    ) -> Result<(), DecodeError> {
        labels.clear();
        samples.clear();
        self.key.clear();
        while !ts.is_empty() {
            match ts.key()? {
                (1, LEN) => {
                    // Read only on a cache miss: a hit needs just the bytes.
                    let label = ts.nested()?;
                    let raw = label.as_slice();
                    labels.push(label);
                    self.key
                        .extend_from_slice(&(raw.len() as u32).to_le_bytes());
                    self.key.extend_from_slice(raw);
                }
                (2, LEN) => {
                    let mut s = ts.nested()?;
                    let (mut t, mut v) = (0i64, 0f64);
                    while !s.is_empty() {
                        match s.key()? {
                            (1, FIXED64) => v = f64::from_bits(s.fixed64()?),
                            // int64 is two's complement in a varint.
                            (2, VARINT) => t = s.varint()? as i64,
                            (f @ (1 | 2), wt) => return Err(s.wrong_type("Sample", f, wt)),
                            (_, wt) => s.skip(wt)?,
                        }
                    }
                    samples.push((t, v));
                }
                (3, LEN) => {
                    ts.skip(LEN)?;
                    out.skipped.exemplars += 1;
                }
                (4, LEN) => {
                    ts.skip(LEN)?;
                    out.skipped.histograms += 1;
                }
                (f @ 1..=4, t) => return Err(ts.wrong_type("TimeSeries", f, t)),
                (_, t) => ts.skip(t)?,
            }
        }
        if samples.is_empty() {
            return Ok(());
        }
        match self.lookup(labels)? {
            Ok(series) => {
                for &(t, v) in samples.iter() {
                    out.samples.push(&series, t, v);
                }
            }
            Err(reason) => out.skipped.add_series(reason, 1),
        }
        Ok(())
    }

    /// The series of the label set whose key is in `self.key`.
    fn lookup(&mut self, labels: &mut [Reader<'_>]) -> Result<Entry, DecodeError> {
        if let Some(e) = self.current.get(self.key.as_slice()) {
            return Ok(e.clone());
        }
        let entry = match self.previous.remove(self.key.as_slice()) {
            Some(e) => e,
            None => {
                let labels = read_labels(labels)?;
                build(&labels).map(Arc::new).map_err(|(reason, why)| {
                    if !std::mem::replace(&mut self.logged[reason.index()], true) {
                        tracing::warn!(
                            "remote write: dropping series {}: {why}; further series dropped \
                             for this reason are only counted",
                            show(&labels)
                        );
                    }
                    reason
                })
            }
        };
        if self.current.len() >= self.cache_capacity {
            self.previous = std::mem::replace(
                &mut self.current,
                Cache::with_capacity_and_hasher(self.cache_capacity, Default::default()),
            );
        }
        self.current
            .insert(self.key.as_slice().into(), entry.clone());
        Ok(entry)
    }

    fn log_skipped(&mut self, skipped: &Skipped) {
        if skipped.exemplars > 0 && !std::mem::replace(&mut self.logged_exemplars, true) {
            tracing::warn!(
                "remote write: the sender sends exemplars; they are not recorded (logged once)"
            );
        }
        if skipped.histograms > 0 && !std::mem::replace(&mut self.logged_histograms, true) {
            tracing::warn!(
                "remote write: the sender sends native histograms; they are not recorded \
                 (logged once)"
            );
        }
    }
}

/// Decodes one request body with a fresh [`Decoder`]; a server should keep
/// a `Decoder` instead, for its series cache.
pub fn decode(body: &[u8], max_decoded_bytes: usize) -> Result<Decoded, DecodeError> {
    Decoder::new(max_decoded_bytes).decode(body)
}

/// A label's name and value as sent: not yet known to be UTF-8.
type RawLabel<'a> = (&'a [u8], &'a [u8]);

/// The name and value of each `Label` message.
fn read_labels<'a>(labels: &mut [Reader<'a>]) -> Result<Vec<RawLabel<'a>>, DecodeError> {
    let mut out = Vec::with_capacity(labels.len());
    for l in labels {
        let (mut name, mut value): (&[u8], &[u8]) = (&[], &[]);
        while !l.is_empty() {
            match l.key()? {
                (1, LEN) => name = l.bytes()?,
                (2, LEN) => value = l.bytes()?,
                (f @ (1 | 2), t) => return Err(l.wrong_type("Label", f, t)),
                (_, t) => l.skip(t)?,
            }
        }
        out.push((name, value));
    }
    Ok(out)
}

/// Validates a label set into a series: `__name__` is the metric name.
fn build(labels: &[RawLabel<'_>]) -> Result<Series, (DropReason, String)> {
    let mut name = None;
    let mut pairs = Vec::with_capacity(labels.len());
    for &(k, v) in labels {
        let k = utf8(k, "label name")?;
        let v = utf8(v, "label value")?;
        if k == "__name__" && name.is_none() {
            name = Some(v);
        } else {
            pairs.push((k, v));
        }
    }
    let Some(name) = name.filter(|n| !n.is_empty()) else {
        return Err((
            DropReason::MissingName,
            "no __name__ label, so no metric name".into(),
        ));
    };
    let reason = |e: LabelError| {
        let reason = match e {
            LabelError::MetricName(_) => DropReason::InvalidMetricName,
            LabelError::LabelName(_) => DropReason::InvalidLabelName,
            LabelError::Duplicate(_) => DropReason::DuplicateLabel,
        };
        (reason, e.to_string())
    };
    let labels = Labels::from_pairs(pairs).map_err(reason)?;
    Series::new(name, labels).map_err(reason)
}

fn utf8<'a>(b: &'a [u8], what: &str) -> Result<&'a str, (DropReason, String)> {
    std::str::from_utf8(b).map_err(|_| {
        (
            DropReason::InvalidUtf8,
            format!("{what} {:?} is not UTF-8", String::from_utf8_lossy(b)),
        )
    })
}

/// A label set as sent, for a log line.
fn show(labels: &[RawLabel<'_>]) -> String {
    let pairs: Vec<String> = labels
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={:?}",
                String::from_utf8_lossy(k),
                String::from_utf8_lossy(v)
            )
        })
        .collect();
    format!("{{{}}}", pairs.join(", "))
}

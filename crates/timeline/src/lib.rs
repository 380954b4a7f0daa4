//! A recording in memory, ready to query: every sample compressed and
//! indexed by label ([`ChunkStorage`], a PromQL [`understudy_promql::Queryable`])
//! and every object revision. Replay,
//! `kpi run`, `analyze` and the live plugin windows all read through here.
//!
//! # Brief overview
//! - [`Timeline::load`] reads a recording directory; recorded query answers
//!   (series carrying [`QUERY_LABEL`](understudy_core::QUERY_LABEL)) are kept apart in
//!   [`Timeline::answers`], so queries over the storage never see them.
//! - [`load::load_start`]: when a run's load arrives, the one rule `analyze`
//!   aligns runs on and the stage dashboard counts down to.
//! - [`ChunkStorage`] holds the samples as XOR chunks ([`chunk`]) behind
//!   a postings index ([`index`]): a selection decodes only the chunks of
//!   the series it matches that overlap its time range.
//! - [`series`] and [`storage`] are the one conversion from core's series
//!   (metric name + labels) to PromQL's (one sorted label set with
//!   `__name__`), for a recording or for a window of live samples.
//!
//! Why a crate of its own: the store knows Parquet, not PromQL, and PromQL
//! knows series, not recordings; this layer joins them, below every reader.
//! Why compressed chunks in memory rather than decoded vectors, measured
//! with `scripts/bench-storage.sh` (10,000 series x 6 h, beside Prometheus
//! 2.42): a sample costs 16 bytes decoded and 5.1 in Prometheus' XOR
//! encoding (under 1 for a constant, 2.5 for a counter, 8 for a random
//! float; as large as Prometheus' own chunk files for the same samples), so
//! the replay rests at 110 MB where it rested at 355, and each query
//! decodes only the chunks it reads, which kept it 0.42x Prometheus' time.
//! Reading chunks lazily from disk, as Prometheus does, would lower memory
//! at rest further; the recordings' Parquet pages are too large a unit for
//! that (a page spans many series), so it would need a chunk file of its
//! own.

mod build;
pub mod chunk;
pub mod chunked;
pub mod index;
pub mod load;

use std::path::Path;
use std::sync::Arc;

pub use chunked::ChunkStorage;
use understudy_core::{ObjectRevision, TimeRange};
use understudy_promql::{Labels, MemStorage, Series};
use understudy_store::{Recording, StoreError};

/// A recording read into memory.
#[derive(Debug)]
pub struct Timeline {
    /// Every recorded series but the recorded query answers, compressed.
    pub storage: ChunkStorage,
    /// Query results recorded live, each still carrying [`QUERY_LABEL`](understudy_core::QUERY_LABEL).
    pub answers: Vec<Series>,
    /// Every object revision, in time order (empty from
    /// [`Timeline::load_samples`]).
    pub objects: Vec<ObjectRevision>,
    /// From the recording's start (or its first sample, if earlier) to its
    /// end (or its last sample, if later); an unsealed recording without
    /// samples spans only its start.
    pub span: TimeRange,
    /// Samples read, answers included.
    pub samples: usize,
}

impl Timeline {
    /// Reads every sample and every object revision of the recording.
    pub fn load(dir: &Path) -> Result<Timeline, StoreError> {
        let rec = Recording::open(dir)?;
        let objects = rec.objects(TimeRange::ALL)?;
        Ok(Timeline {
            objects,
            ..Timeline::read_samples(&rec)?
        })
    }

    /// Reads the samples only, for readers that never look at objects
    /// (KPI plugins).
    pub fn load_samples(dir: &Path) -> Result<Timeline, StoreError> {
        Timeline::read_samples(&Recording::open(dir)?)
    }

    fn read_samples(rec: &Recording) -> Result<Timeline, StoreError> {
        let (storage, answers, samples) = build::read(rec)?;
        let m = rec.manifest();
        let (data_min, data_max) = m.data_span().unwrap_or((m.start_ms, m.start_ms));
        Ok(Timeline {
            storage,
            answers,
            objects: Vec::new(),
            span: TimeRange {
                start: m.start_ms.min(data_min),
                end: m.end_ms.unwrap_or(data_max).max(data_max),
            },
            samples,
        })
    }
}

/// A core series and its samples as a PromQL series: the metric name
/// becomes `__name__`. Samples must be in time order, one per timestamp.
pub fn series(s: &understudy_core::Series, timestamps: Vec<i64>, values: Vec<f64>) -> Series {
    let labels = Labels::new(
        std::iter::once(("__name__".to_owned(), s.metric().to_owned())).chain(
            s.labels()
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string())),
        ),
    );
    Series {
        labels,
        timestamps,
        values,
    }
}

/// Series as PromQL storage, in label order (the order answers list them).
pub fn storage(series: impl IntoIterator<Item = Series>) -> MemStorage {
    let mut series: Vec<Arc<Series>> = series.into_iter().map(Arc::new).collect();
    series.sort_by(|a, b| a.labels.cmp(&b.labels));
    MemStorage { series }
}

#[cfg(test)]
mod tests {
    use understudy_core::{SampleBatch, TimelineBatch};
    use understudy_store::{RecordingMeta, RecordingWriter};

    use understudy_core::QUERY_LABEL;

    use super::*;

    fn core_series(metric: &str, labels: &[(&str, &str)]) -> Arc<understudy_core::Series> {
        let labels = understudy_core::Labels::from_pairs(labels.iter().copied()).expect("labels");
        Arc::new(understudy_core::Series::new(metric, labels).expect("series"))
    }

    #[test]
    fn a_recording_loads_with_its_answers_apart_and_its_span() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (mut w, _) = RecordingWriter::open(
            dir.path(),
            RecordingMeta::default(),
            Default::default(),
            1_000,
        )
        .expect("open");
        let mut batch = SampleBatch::default();
        let up = core_series("up", &[("job", "a")]);
        let answer = core_series(understudy_core::RESULT_METRIC, &[(QUERY_LABEL, "sum(up)")]);
        for t in [2_000, 3_000] {
            batch.push(&up, t, 1.0);
            batch.push(&answer, t, 1.0);
        }
        w.append(&TimelineBatch::from(batch)).expect("append");
        w.close(5_000).expect("close");

        let t = Timeline::load(dir.path()).expect("load");
        assert_eq!(t.span, TimeRange::new(1_000, 5_000));
        assert_eq!(t.samples, 4);
        let stored: Vec<Series> = t.storage.iter().collect();
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].labels.get("__name__"), Some("up"));
        assert_eq!(stored[0].timestamps, [2_000, 3_000]);
        assert_eq!(t.answers.len(), 1);
        assert_eq!(t.answers[0].labels.get(QUERY_LABEL), Some("sum(up)"));
    }

    #[test]
    fn the_metric_name_becomes_the_name_label_among_the_others() {
        let core = understudy_core::Series::new(
            "up",
            understudy_core::Labels::from_pairs([("job", "a"), ("instance", "b")])
                .expect("valid labels"),
        )
        .expect("valid series");
        let s = series(&core, vec![1, 2], vec![1.0, 0.0]);
        assert_eq!(
            s.labels.0,
            [("__name__", "up"), ("instance", "b"), ("job", "a")]
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
        assert_eq!((s.timestamps, s.values), (vec![1, 2], vec![1.0, 0.0]));
    }

    #[test]
    fn storage_lists_series_in_label_order() {
        let named = |n: &str| Series {
            labels: Labels::new([("__name__".to_owned(), n.to_owned())]),
            timestamps: vec![0],
            values: vec![0.0],
        };
        let s = storage([named("b"), named("a")]);
        let names: Vec<_> = s.series.iter().map(|s| s.labels.get("__name__")).collect();
        assert_eq!(names, [Some("a"), Some("b")]);
    }
}

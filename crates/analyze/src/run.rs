//! One recording, loaded for analysis: the series the KPIs read, every
//! object revision, and where its experiment starts.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use std::sync::Arc;

use understudy_core::ObjectRevision;
use understudy_promql::{MatchOp, Matcher, Queryable};
use understudy_store::{Recording, SeriesSamples};
use understudy_timeline::{ChunkStorage, Timeline};

use crate::AnalyzeError;
use crate::timeseries::Points;

/// The metrics analysis reads; everything else stays on disk.
pub const METRICS: &[&str] = &[
    QUEUE_PENDING,
    QUEUE_ACK_PENDING,
    QUEUE_DELIVERED,
    STREAM_LAST_SEQ,
    CPU_USAGE,
    CFS_PERIODS,
    CFS_THROTTLED,
    DEPLOYMENT_SPEC_REPLICAS,
];

pub use understudy_timeline::load::{QUEUE_PENDING, STREAM_LAST_SEQ};
/// Messages delivered and not yet acked (prometheus-nats-exporter).
pub const QUEUE_ACK_PENDING: &str = "jetstream_consumer_num_ack_pending";
/// The last stream sequence delivered to a consumer: what it has taken.
pub const QUEUE_DELIVERED: &str = "jetstream_consumer_delivered_stream_seq";
/// cAdvisor's CPU counter, in CPU-seconds.
pub const CPU_USAGE: &str = "container_cpu_usage_seconds_total";
/// cAdvisor's count of CFS periods a container ran in.
pub const CFS_PERIODS: &str = "container_cpu_cfs_periods_total";
/// cAdvisor's count of CFS periods a container was throttled in.
pub const CFS_THROTTLED: &str = "container_cpu_cfs_throttled_periods_total";
/// The replicas a Deployment asks for (kube-state-metrics, or derived by
/// the recorder).
pub const DEPLOYMENT_SPEC_REPLICAS: &str = "kube_deployment_spec_replicas";

/// A PromQL label set (with `__name__`) as the store's series.
fn core_series(
    labels: &understudy_promql::Labels,
) -> Result<Arc<understudy_core::Series>, understudy_core::LabelError> {
    let metric = labels.get("__name__").unwrap_or_default();
    let rest = understudy_core::Labels::from_pairs(
        labels
            .0
            .iter()
            .filter(|(k, _)| k != "__name__")
            .map(|(k, v)| (k.as_str(), v.as_str())),
    )?;
    understudy_core::Series::new(metric, rest).map(Arc::new)
}

/// Where a run's experiment time 0 comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AlignedBy {
    /// The first message published to the queue.
    QueueLoad,
    /// `--align-at`.
    AlignAt,
    /// No queue series: the recording's start.
    RecordingStart,
}

/// A loaded recording.
#[derive(Debug)]
pub struct Run {
    /// The name reports use: the recording's manifest name, else the
    /// directory's.
    pub name: String,
    /// The recording directory.
    pub dir: PathBuf,
    /// The recording's start, ms since the epoch (its first sample, if
    /// earlier).
    pub start_ms: i64,
    /// The recording's end, ms since the epoch (its last sample, if later).
    pub end_ms: i64,
    /// Series by metric name, only [`METRICS`].
    pub series: BTreeMap<String, Vec<SeriesSamples>>,
    /// Every metric name the recording holds.
    pub metrics: BTreeSet<String>,
    /// Every object revision, in time order.
    pub objects: Vec<ObjectRevision>,
    /// Every series, compressed, for the plugins: the recording is read
    /// once, and [`Run::series`] decoded from here.
    pub storage: ChunkStorage,
    /// Experiment time 0 (ms since the epoch).
    pub t0_ms: i64,
    /// Where `t0_ms` comes from.
    pub aligned_by: AlignedBy,
}

impl Run {
    /// Loads `dir`; `align_at` (ms after the recording's start) overrides
    /// the start found in the queue series, and must fall before the end.
    pub fn load(dir: &Path, align_at: Option<i64>) -> Result<Run, AnalyzeError> {
        let rec = Recording::open(dir).map_err(|e| AnalyzeError::store(dir, e))?;
        let manifest = rec.manifest();
        let (data_min, data_max) = manifest
            .data_span()
            .ok_or_else(|| AnalyzeError::Empty(dir.to_owned()))?;
        let start_ms = manifest.start_ms.min(data_min);
        let end_ms = manifest.end_ms.unwrap_or(data_max).max(data_max);
        let name = if manifest.name.is_empty() {
            dir.file_name().map_or_else(
                || dir.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            )
        } else {
            manifest.name.clone()
        };
        drop(rec);
        // One read of the recording: samples compressed, objects decoded.
        let timeline = Timeline::load(dir).map_err(|e| AnalyzeError::store(dir, e))?;
        let storage = timeline.storage;
        let mut metrics: BTreeSet<String> = storage
            .label_values("__name__")
            .map(str::to_owned)
            .collect();
        metrics.extend(
            timeline
                .answers
                .iter()
                .filter_map(|a| a.labels.get("__name__").map(str::to_owned)),
        );
        let mut series: BTreeMap<String, Vec<SeriesSamples>> = BTreeMap::new();
        for metric in METRICS {
            let name = Matcher {
                name: "__name__".to_owned(),
                op: MatchOp::Equal,
                value: (*metric).to_owned(),
            };
            for s in storage.select(&[name], i64::MIN, i64::MAX) {
                let decoded = core_series(&s.labels).map_err(|source| AnalyzeError::Labels {
                    dir: dir.to_owned(),
                    source,
                })?;
                series
                    .entry((*metric).to_owned())
                    .or_default()
                    .push(SeriesSamples {
                        series: decoded,
                        timestamps: s.timestamps,
                        values: s.values,
                    });
            }
        }
        let objects = timeline.objects;
        let mut run = Run {
            name,
            dir: dir.to_owned(),
            start_ms,
            end_ms,
            series,
            metrics,
            objects,
            storage,
            t0_ms: start_ms,
            aligned_by: AlignedBy::RecordingStart,
        };
        match align_at {
            Some(offset) if start_ms.saturating_add(offset) >= end_ms => {
                return Err(AnalyzeError::AlignedPastEnd {
                    name: run.name,
                    offset_ms: offset,
                    length_ms: end_ms - start_ms,
                });
            }
            Some(offset) => {
                run.t0_ms = start_ms + offset;
                run.aligned_by = AlignedBy::AlignAt;
            }
            None => {
                if let Some(t) = run.load_start() {
                    run.t0_ms = t;
                    run.aligned_by = AlignedBy::QueueLoad;
                }
            }
        }
        Ok(run)
    }

    /// The series of one metric (empty when not recorded).
    pub fn metric(&self, name: &str) -> &[SeriesSamples] {
        self.series.get(name).map_or(&[], Vec::as_slice)
    }

    /// The first moment messages arrive ([`understudy_timeline::load`]).
    fn load_start(&self) -> Option<i64> {
        understudy_timeline::load::load_start(|metric| {
            self.metric(metric)
                .iter()
                .map(|s| (s.timestamps.as_slice(), s.values.as_slice()))
        })
    }

    /// Revisions of one kind, in time order.
    pub fn revisions<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a ObjectRevision> + 'a {
        self.objects.iter().filter(move |r| r.kind == kind)
    }

    /// Object kinds the recording holds.
    pub fn kinds(&self) -> BTreeSet<&str> {
        self.objects.iter().map(|r| r.kind.as_str()).collect()
    }

    /// The sum of a metric's series at each of their timestamps, each
    /// series holding its last value until its next sample.
    pub fn summed(&self, metric: &str) -> Points {
        crate::timeseries::sum_step(self.metric(metric))
    }
}

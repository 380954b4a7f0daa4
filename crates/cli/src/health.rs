//! The recorder's own health: served on `/metrics` and `/healthz`, and
//! recorded as `understudy_*` series at every flush, so a recording shows
//! how well it was recorded.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use understudy_core::{Labels, SampleBatch, Series};
use understudy_store::WriterStats;

use crate::live::LatestOutput;

/// Shared between the writer loop (which updates it) and the HTTP server.
#[derive(Debug, Default)]
pub struct Health {
    state: Mutex<State>,
}

#[derive(Debug, Default, Clone)]
struct State {
    writer: WriterStats,
    write_errors: u64,
    last_write_error: Option<String>,
    open_series: u32,
    source_errors: Vec<(String, u64)>,
    plugin_faults: Vec<((String, String), u64)>,
    /// Latest value of each live plugin output: metric, labels, value.
    plugin_outputs: Vec<LatestOutput>,
}

/// One health metric: name, help, type, and how to read it.
struct Metric {
    name: &'static str,
    help: &'static str,
    kind: &'static str,
    value: fn(&State) -> f64,
}

const METRICS: &[Metric] = &[
    Metric {
        name: "understudy_samples_written_total",
        help: "Samples appended to the recording.",
        kind: "counter",
        value: |s| s.writer.samples_written as f64,
    },
    Metric {
        name: "understudy_objects_written_total",
        help: "Object revisions appended to the recording.",
        kind: "counter",
        value: |s| s.writer.objects_written as f64,
    },
    Metric {
        name: "understudy_journal_bytes_total",
        help: "Bytes synced to the journal.",
        kind: "counter",
        value: |s| s.writer.journal_bytes as f64,
    },
    Metric {
        name: "understudy_segments_sealed_total",
        help: "Segments sealed into Parquet files.",
        kind: "counter",
        value: |s| s.writer.segments_sealed as f64,
    },
    Metric {
        name: "understudy_segment_bytes_total",
        help: "Bytes of sealed Parquet files.",
        kind: "counter",
        value: |s| s.writer.segment_bytes as f64,
    },
    Metric {
        name: "understudy_write_errors_total",
        help: "Failed writes: journal flushes and seals (retried) and refused batches.",
        kind: "counter",
        value: |s| s.write_errors as f64,
    },
    Metric {
        name: "understudy_open_series",
        help: "Series in the segment being written.",
        kind: "gauge",
        value: |s| f64::from(s.open_series),
    },
    Metric {
        name: "understudy_last_flush_timestamp_seconds",
        help: "When the journal was last synced to disk.",
        kind: "gauge",
        value: |s| s.writer.last_flush_ms.map_or(0.0, |t| t as f64 / 1000.0),
    },
];

const SOURCE_ERRORS: &str = "understudy_source_errors_total";
const PLUGIN_FAULTS: &str = "understudy_plugin_faults_total";

/// A label value as the exposition format escapes it.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Health {
    pub fn update(&self, writer: WriterStats, open_series: u32) {
        let mut s = self.lock();
        s.writer = writer;
        s.open_series = open_series;
    }

    pub fn write_error(&self, message: String) {
        let mut s = self.lock();
        s.write_errors += 1;
        s.last_write_error = Some(message);
    }

    pub fn write_ok(&self) {
        self.lock().last_write_error = None;
    }

    /// Registers a source so its error counter exists from the start.
    pub fn source_error(&self, source: &str, add: u64) {
        let mut s = self.lock();
        match s.source_errors.iter_mut().find(|(n, _)| n == source) {
            Some((_, c)) => *c += add,
            None => s.source_errors.push((source.to_owned(), add)),
        }
    }

    pub fn plugin_fault(&self, plugin: &str, reason: &str) {
        let mut s = self.lock();
        let key = (plugin.to_owned(), reason.to_owned());
        match s.plugin_faults.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => *n += 1,
            None => s.plugin_faults.push((key, 1)),
        }
    }

    pub fn set_plugin_outputs(&self, outputs: Vec<LatestOutput>) {
        self.lock().plugin_outputs = outputs;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain counters; still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Prometheus text exposition format 0.0.4.
    pub fn render(&self) -> String {
        let s = self.lock().clone();
        let mut out = String::new();
        for m in METRICS {
            let _ = writeln!(
                out,
                "# HELP {} {}\n# TYPE {} {}",
                m.name, m.help, m.name, m.kind
            );
            let _ = writeln!(
                out,
                "{} {}",
                m.name,
                understudy_store::export::float((m.value)(&s))
            );
        }
        let _ = writeln!(
            out,
            "# HELP {SOURCE_ERRORS} Errors per source (each outage becomes a gap).\n# TYPE {SOURCE_ERRORS} counter"
        );
        for (source, n) in &s.source_errors {
            let _ = writeln!(out, "{SOURCE_ERRORS}{{source=\"{}\"}} {n}", escape(source));
        }
        let _ = writeln!(
            out,
            "# HELP {PLUGIN_FAULTS} Plugin calls that trapped, timed out, broke a limit or returned invalid output.\n# TYPE {PLUGIN_FAULTS} counter"
        );
        for ((plugin, reason), n) in &s.plugin_faults {
            let _ = writeln!(
                out,
                "{PLUGIN_FAULTS}{{plugin=\"{}\",reason=\"{reason}\"}} {n}",
                escape(plugin)
            );
        }
        for (metric, labels, v) in &s.plugin_outputs {
            let labels: Vec<String> = labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
                .collect();
            let _ = writeln!(
                out,
                "{metric}{{{}}} {}",
                labels.join(","),
                understudy_store::export::float(*v)
            );
        }
        out
    }

    /// `Ok` when the journal was synced within `max_age_ms` and the last
    /// write succeeded; otherwise why not.
    pub fn check(&self, now_ms: i64, max_age_ms: i64) -> Result<(), String> {
        let s = self.lock();
        if let Some(e) = &s.last_write_error {
            return Err(format!("last write failed: {e}"));
        }
        match s.writer.last_flush_ms {
            Some(t) if now_ms - t <= max_age_ms => Ok(()),
            Some(t) => Err(format!("journal last synced {} ms ago", now_ms - t)),
            None => Err("journal not synced yet".into()),
        }
    }

    /// The health series as samples at `now_ms`, for the recording itself.
    pub fn samples(&self, cache: &mut Vec<Arc<Series>>, now_ms: i64) -> SampleBatch {
        let s = self.lock().clone();
        if cache.len() != METRICS.len() + s.source_errors.len() {
            cache.clear();
            for m in METRICS {
                cache.push(Arc::new(
                    Series::new(m.name, Labels::new()).expect("valid metric name"),
                ));
            }
            for (source, _) in &s.source_errors {
                let labels =
                    Labels::from_pairs([("source", source.as_str())]).expect("valid label");
                cache.push(Arc::new(
                    Series::new(SOURCE_ERRORS, labels).expect("valid metric name"),
                ));
            }
        }
        let mut batch = SampleBatch::with_capacity(cache.len());
        let values = METRICS
            .iter()
            .map(|m| (m.value)(&s))
            .chain(s.source_errors.iter().map(|(_, n)| *n as f64));
        for (series, v) in cache.iter().zip(values) {
            batch.push(series, now_ms, v);
        }
        batch
    }
}

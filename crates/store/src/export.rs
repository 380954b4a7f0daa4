//! Writing a recording in formats other tools read: OpenMetrics text (which
//! `promtool tsdb create-blocks-from openmetrics` turns into Prometheus
//! blocks) and CSV.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use understudy_core::{Series, TimeRange};

use crate::error::Result;
use crate::reader::{Recording, SeriesSamples};

/// Samples held in memory at once while exporting; metrics are read in
/// groups of about this many samples.
const CHUNK_SAMPLES: u64 = 8_000_000;

/// The output formats of `understudy export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// OpenMetrics text, one family per metric, ending in `# EOF`; what
    /// `promtool tsdb create-blocks-from openmetrics` reads.
    OpenMetrics,
    /// CSV with a header row (`timestamp,metric,labels,value`), one sample
    /// a row, times in RFC 3339 with milliseconds.
    Csv,
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportStats {
    /// Series written (those the selection accepted).
    pub series: u64,
    /// Sample lines written.
    pub samples: u64,
    /// Prometheus staleness markers, which OpenMetrics and CSV cannot express.
    pub skipped_stale: u64,
}

/// The bit pattern Prometheus uses to mark a series stale.
pub const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;

/// Writes the samples of the series `select` accepts in `format` to `out`.
///
/// Output is grouped by metric name, then series, then time — the order
/// OpenMetrics requires and promtool's block builder needs (an out-of-order
/// sample would be dropped silently). `progress` is told the samples done
/// and the total after every series.
pub fn export(
    rec: &Recording,
    format: Format,
    mut select: impl FnMut(&Series) -> bool,
    out: &mut dyn Write,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<ExportStats, ExportError> {
    let series = rec.series()?;
    // Group whole metrics into chunks to bound memory.
    let mut chunks: Vec<Vec<&str>> = vec![Vec::new()];
    let mut in_chunk = 0u64;
    let mut per_metric: BTreeMap<&str, u64> = BTreeMap::new();
    for s in series.iter().filter(|s| select(&s.series)) {
        *per_metric.entry(s.series.metric()).or_default() += s.samples;
    }
    for (metric, n) in &per_metric {
        if in_chunk > 0 && in_chunk + n > CHUNK_SAMPLES {
            chunks.push(Vec::new());
            in_chunk = 0;
        }
        chunks.last_mut().expect("never empty").push(metric);
        in_chunk += n;
    }
    let mut stats = ExportStats::default();
    let total: u64 = per_metric.values().sum();
    let mut done = 0;
    if format == Format::Csv {
        out.write_all(b"timestamp,metric,labels,value\n")?;
    }
    let mut line = String::with_capacity(256);
    for chunk in chunks.iter().filter(|c| !c.is_empty()) {
        let data = rec.samples(TimeRange::ALL, |s| {
            chunk.binary_search(&s.metric()).is_ok()
                && per_metric.contains_key(s.metric())
                && select(s)
        })?;
        let mut prev_metric = "";
        for s in &data {
            stats.series += 1;
            if format == Format::OpenMetrics && s.series.metric() != prev_metric {
                writeln!(out, "# TYPE {} unknown", s.series.metric())?;
                prev_metric = s.series.metric();
            }
            write_series(s, format, &mut line, out, &mut stats)?;
            done += s.timestamps.len() as u64;
            progress(done, total);
        }
    }
    if format == Format::OpenMetrics {
        out.write_all(b"# EOF\n")?;
    }
    out.flush()?;
    Ok(stats)
}

fn write_series(
    s: &SeriesSamples,
    format: Format,
    line: &mut String,
    out: &mut dyn Write,
    stats: &mut ExportStats,
) -> io::Result<()> {
    let name = s.series.to_string();
    let labels = s.series.labels().to_string();
    for (&t, &v) in s.timestamps.iter().zip(&s.values) {
        if v.to_bits() == STALE_NAN_BITS {
            stats.skipped_stale += 1;
            continue;
        }
        line.clear();
        match format {
            Format::OpenMetrics => {
                // `{}` of f64 is the shortest round-trip decimal, which Go's
                // ParseFloat reads back exactly; infinities need their spelling.
                let _ = writeln!(line, "{name} {} {}", float(v), seconds(t));
            }
            Format::Csv => {
                let _ = writeln!(
                    line,
                    "{},{},{},{}",
                    rfc3339_ms(t),
                    s.series.metric(),
                    csv_field(&labels),
                    float(v)
                );
            }
        }
        out.write_all(line.as_bytes())?;
        stats.samples += 1;
    }
    Ok(())
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading the recording failed.
    #[error(transparent)]
    Store(#[from] crate::StoreError),
    /// Writing to the output failed (a closed pipe, a full disk).
    #[error("failed to write the export: {0}")]
    Write(#[from] io::Error),
}

/// A float as OpenMetrics and Prometheus spell it.
pub fn float(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        format!("{v}")
    }
}

/// Milliseconds as seconds: `60`, `1795648515.5`, `-0.25`.
pub fn seconds(ms: i64) -> String {
    let (s, frac) = (ms.div_euclid(1000), ms.rem_euclid(1000));
    if frac == 0 {
        return s.to_string();
    }
    let digits = format!("{frac:03}");
    let digits = digits.trim_end_matches('0');
    if s < 0 {
        // -1 s + 750 ms = -0.25 s
        let total = -(ms as i128);
        let (s, frac) = (total / 1000, total % 1000);
        let digits = format!("{frac:03}");
        return format!("-{s}.{}", digits.trim_end_matches('0'));
    }
    format!("{s}.{digits}")
}

fn rfc3339_ms(ms: i64) -> String {
    match u64::try_from(ms) {
        Ok(ms) => humantime::format_rfc3339_millis(
            std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms),
        )
        .to_string(),
        // Before 1970 humantime cannot print; the raw number is still exact.
        Err(_) => ms.to_string(),
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_keep_milliseconds_without_trailing_zeros() {
        assert_eq!(seconds(60_000), "60");
        assert_eq!(seconds(1_795_648_515_500), "1795648515.5");
        assert_eq!(seconds(1_795_648_515_001), "1795648515.001");
        assert_eq!(seconds(-250), "-0.25");
        assert_eq!(seconds(-1_000), "-1");
        assert_eq!(seconds(-1_500), "-1.5");
    }

    #[test]
    fn floats_use_prometheus_spellings() {
        assert_eq!(float(f64::NAN), "NaN");
        assert_eq!(float(f64::INFINITY), "+Inf");
        assert_eq!(float(f64::NEG_INFINITY), "-Inf");
        assert_eq!(float(0.1), "0.1");
        assert_eq!(float(1e-7).parse::<f64>(), Ok(1e-7));
        assert_eq!(float(3.0), "3");
    }

    #[test]
    fn csv_quotes_labels_with_commas_and_quotes() {
        assert_eq!(csv_field(r#"{a="1",b="x"}"#), r#""{a=""1"",b=""x""}""#);
        assert_eq!(csv_field("{}"), "{}");
    }
}

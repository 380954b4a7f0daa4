//! `understudy inspect`: what a recording holds, for people and for scripts.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use serde::Serialize;
use understudy_core::{Gap, TimeRange};
use understudy_store::{JournalState, Recording, RecoveryReport};

use crate::{human, output};

const EXAMPLES: &str = "\
Examples:
  understudy inspect recordings/conflict
  understudy inspect recordings/conflict --json | jq .samples
  # recover a recorder that was killed, then show the result
  understudy inspect --repair /tmp/r";

/// Show what a recording holds: time span, series and samples per metric,
/// objects per kind, gaps, size on disk.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    /// Recording directory.
    dir: PathBuf,
    /// Print JSON instead of a report.
    #[arg(long)]
    json: bool,
    /// First recover the journal of a killed recorder into sealed segments.
    #[arg(long)]
    repair: bool,
    /// Check the SHA-256 of every sealed file against the manifest.
    #[arg(long)]
    verify: bool,
}

#[derive(Debug, Serialize)]
struct Report {
    dir: PathBuf,
    id: String,
    name: String,
    format_version: String,
    tool_version: String,
    labels: BTreeMap<String, String>,
    start_ms: Option<i64>,
    end_ms: Option<i64>,
    duration_ms: Option<i64>,
    sessions: usize,
    interrupted_sessions: usize,
    segments: usize,
    series: u64,
    samples: u64,
    objects: u64,
    bytes_on_disk: u64,
    bytes_per_sample: Option<f64>,
    metrics: Vec<MetricRow>,
    object_kinds: Vec<KindRow>,
    gaps: Vec<Gap>,
    /// Unsealed data left by a recorder that is running or was killed.
    journal: Option<JournalState>,
    repaired: Option<RecoveryReport>,
    verified: bool,
}

#[derive(Debug, Serialize)]
struct MetricRow {
    metric: String,
    series: u64,
    samples: u64,
}

#[derive(Debug, Serialize)]
struct KindRow {
    kind: String,
    revisions: u64,
}

pub fn run(args: Args) -> Result<()> {
    crate::suggest::recording(&args.dir)?;
    let repaired = if args.repair {
        understudy_store::repair(&args.dir)
            .with_context(|| format!("failed to repair {}", args.dir.display()))?
    } else {
        None
    };
    let rec = Recording::open(&args.dir)
        .with_context(|| format!("failed to open recording {}", args.dir.display()))?;
    if args.verify {
        rec.verify().context("verification failed")?;
    }
    let report = build(&rec, repaired, args.verify)?;
    let mut out = output::stdout();
    if args.json {
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&report).context("failed to encode JSON")?
        )?;
    } else {
        print_report(&report, &mut out)?;
    }
    out.flush()?;
    Ok(())
}

fn build(rec: &Recording, repaired: Option<RecoveryReport>, verified: bool) -> Result<Report> {
    let m = rec.manifest();
    let series = rec.series().context("failed to read the series tables")?;
    let mut metrics: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for s in &series {
        let e = metrics.entry(s.series.metric()).or_default();
        e.0 += 1;
        e.1 += s.samples;
    }
    let samples: u64 = series.iter().map(|s| s.samples).sum();
    let objects = rec
        .objects(TimeRange::ALL)
        .context("failed to read the objects tables")?;
    let mut kinds: BTreeMap<&str, u64> = BTreeMap::new();
    for o in &objects {
        *kinds.entry(o.kind.as_str()).or_default() += 1;
    }
    let bytes = rec.size_on_disk();
    let (start, end) = match (m.data_span(), m.end_ms) {
        (Some((lo, hi)), end) => (Some(lo.min(m.start_ms)), Some(end.unwrap_or(hi).max(hi))),
        (None, end) => (Some(m.start_ms), end),
    };
    Ok(Report {
        dir: rec.dir().to_owned(),
        id: m.id.clone(),
        name: m.name.clone(),
        format_version: m.format_version.clone(),
        tool_version: m.tool.version.clone(),
        labels: m.labels.clone(),
        start_ms: start,
        end_ms: end,
        duration_ms: start.zip(end).map(|(s, e)| e - s),
        sessions: m.sessions.len(),
        interrupted_sessions: m.sessions.iter().filter(|s| !s.clean).count(),
        segments: m.segments.len(),
        series: series.len() as u64,
        samples,
        objects: objects.len() as u64,
        bytes_on_disk: bytes,
        bytes_per_sample: (samples > 0).then(|| bytes as f64 / samples as f64),
        metrics: metrics
            .into_iter()
            .map(|(metric, (series, samples))| MetricRow {
                metric: metric.into(),
                series,
                samples,
            })
            .collect(),
        object_kinds: kinds
            .into_iter()
            .map(|(k, n)| KindRow {
                kind: k.into(),
                revisions: n,
            })
            .collect(),
        gaps: m.gaps.clone(),
        journal: rec.journal(),
        repaired,
        verified,
    })
}

fn print_report(r: &Report, out: &mut impl Write) -> std::io::Result<()> {
    if let Some(rep) = &r.repaired {
        if rep.already_sealed {
            writeln!(
                out,
                "repaired   removed a journal whose segment was already sealed"
            )?;
        } else {
            writeln!(
                out,
                "repaired   recovered {} samples, {} objects, {} gaps from the journal{}",
                human::count(rep.samples),
                human::count(rep.objects),
                rep.gaps,
                if rep.dropped_bytes > 0 {
                    format!(
                        " ({} bytes of a torn last write dropped)",
                        rep.dropped_bytes
                    )
                } else {
                    String::new()
                }
            )?;
        }
    }
    writeln!(out, "recording  {} ({})", r.name, r.dir.display())?;
    writeln!(out, "id         {}", r.id)?;
    writeln!(
        out,
        "format     {} (written by understudy {})",
        r.format_version, r.tool_version
    )?;
    if !r.labels.is_empty() {
        let labels: Vec<String> = r.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        writeln!(out, "labels     {}", labels.join(", "))?;
    }
    match (r.start_ms, r.end_ms) {
        (Some(s), Some(e)) => {
            writeln!(
                out,
                "time span  {} → {} ({})",
                human::time(s),
                human::time(e),
                human::duration(e - s)
            )?;
        }
        (Some(s), None) => {
            let state = match r.journal {
                Some(j) if !j.in_use => "interrupted",
                _ => "still recording",
            };
            writeln!(out, "time span  {} → ({state})", human::time(s))?;
        }
        _ => {}
    }
    writeln!(
        out,
        "sessions   {}{}",
        r.sessions,
        if r.interrupted_sessions > 0 {
            format!(" ({} interrupted)", r.interrupted_sessions)
        } else {
            String::new()
        }
    )?;
    writeln!(
        out,
        "size       {} in {}{}{}",
        human::bytes(r.bytes_on_disk),
        human::plural(r.segments as u64, "segment"),
        r.bytes_per_sample
            .map(|b| format!(", {b:.2} bytes/sample"))
            .unwrap_or_default(),
        if r.verified {
            ", checksums verified"
        } else {
            ""
        }
    )?;
    writeln!(
        out,
        "samples    {} in {} series",
        human::count(r.samples),
        human::count(r.series)
    )?;
    writeln!(out, "objects    {}", human::count(r.objects))?;
    if let Some(j) = r.journal {
        if j.in_use {
            writeln!(
                out,
                "journal    {} not yet sealed (a recorder is running)",
                human::bytes(j.bytes)
            )?;
        } else {
            writeln!(
                out,
                "journal    {} not sealed: the recorder was killed; run `understudy inspect --repair {}`",
                human::bytes(j.bytes),
                r.dir.display()
            )?;
        }
    }
    writeln!(out, "gaps       {}", r.gaps.len())?;
    for g in &r.gaps {
        let end = g.end_ms.map(human::time).unwrap_or_else(|| "end".into());
        let len = g
            .end_ms
            .map(|e| format!(" ({})", human::duration(e - g.start_ms)))
            .unwrap_or_default();
        writeln!(
            out,
            "  {:<10} {} → {}{}  {}",
            g.source,
            human::time(g.start_ms),
            end,
            len,
            g.reason
        )?;
    }
    if !r.metrics.is_empty() {
        let w = r
            .metrics
            .iter()
            .map(|m| m.metric.len())
            .max()
            .unwrap_or(6)
            .max(6);
        writeln!(
            out,
            "\n{:<w$}  {:>8}  {:>12}",
            "METRIC", "SERIES", "SAMPLES"
        )?;
        for m in &r.metrics {
            writeln!(
                out,
                "{:<w$}  {:>8}  {:>12}",
                m.metric,
                human::count(m.series),
                human::count(m.samples)
            )?;
        }
    }
    if !r.object_kinds.is_empty() {
        let w = r
            .object_kinds
            .iter()
            .map(|k| k.kind.len())
            .max()
            .unwrap_or(4)
            .max(4);
        writeln!(out, "\n{:<w$}  {:>10}", "KIND", "REVISIONS")?;
        for k in &r.object_kinds {
            writeln!(out, "{:<w$}  {:>10}", k.kind, human::count(k.revisions))?;
        }
    }
    Ok(())
}

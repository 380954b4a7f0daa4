//! `understudy kpi run`: a KPI plugin over a recording, window by window,
//! under the offline sandbox limits (the run itself is
//! `understudy_plugin::push_recording`, shared with `plugin test`).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::json;
use understudy_core::TimeRange;
pub use understudy_plugin::push_recording;
use understudy_plugin::{HostConfig, Mode, Plugin, PluginHost, RunResult};
use understudy_store::{Appended, Existing, SourceInfo, StoreError};
use understudy_timeline::ChunkStorage;
use understudy_timeline::Timeline;

use crate::{human, output};

const EXAMPLES: &str = "\
Examples:
  understudy kpi run recordings/conflict --plugin plugins/dist/flapping.wasm
  understudy kpi run recordings/conflict \\
      --plugin plugins/dist/productivity.wasm --json
  # keep the outputs in the recording, so replay serves them
  understudy kpi run recordings/conflict \\
      --plugin plugins/dist/throttle-ratio.wasm --write
  # after changing the plugin or its config: replace the earlier outputs
  understudy kpi run recordings/conflict \\
      --plugin plugins/dist/throttle-ratio.wasm --write --replace";

/// Run KPI plugins over recordings.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    Run(RunArgs),
}

/// Run a KPI plugin over a recording and report its outputs.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct RunArgs {
    /// Recording directory.
    dir: PathBuf,
    /// The plugin (a wasm32-wasip2 component of the understudy:kpi world).
    #[arg(long)]
    plugin: PathBuf,
    /// A config value for the plugin, `key=value`; repeat for more.
    #[arg(long = "config", value_name = "KEY=VALUE")]
    config: Vec<String>,
    /// Window pushed at a time.
    #[arg(long, default_value = "1m", value_parser = humantime::parse_duration)]
    window: Duration,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Add the outputs to the recording as a new segment, so that replay
    /// serves them. Refused when the recording holds outputs of this plugin
    /// already (an earlier --write), which would count them twice.
    #[arg(long)]
    write: bool,
    /// With --write: first remove this plugin's earlier outputs (the
    /// segments earlier --write runs added), so that the recording holds
    /// this run's outputs only. Series recorded live are never removed.
    #[arg(long, requires = "write")]
    replace: bool,
}

pub fn run(args: Args) -> Result<()> {
    match args.command {
        Command::Run(a) => run_offline(a),
    }
}

pub fn parse_config(pairs: &[String]) -> Result<Vec<(String, String)>> {
    pairs
        .iter()
        .map(|p| {
            p.split_once('=')
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                .ok_or_else(|| anyhow!("--config {p:?}: write key=value"))
        })
        .collect()
}

/// The recording's samples in memory, and its span.
pub fn load_recording(dir: &Path) -> Result<(ChunkStorage, TimeRange)> {
    let timeline = Timeline::load_samples(dir)
        .with_context(|| format!("failed to load recording {}", dir.display()))?;
    Ok((timeline.storage, timeline.span))
}

/// Per output series: points, min, max, mean, last.
pub fn summary(result: &RunResult) -> serde_json::Value {
    let outputs: Vec<serde_json::Value> = result
        .outputs
        .iter()
        .map(|((metric, labels), (ts, vs))| {
            let finite: Vec<f64> = vs.iter().copied().filter(|v| v.is_finite()).collect();
            let (min, max) = finite.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
            let mean = if finite.is_empty() { f64::NAN } else { finite.iter().sum::<f64>() / finite.len() as f64 };
            json!({
                "metric": metric,
                "labels": labels.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<serde_json::Map<_, _>>(),
                "points": ts.len(),
                "min": num(min),
                "max": num(max),
                "mean": num(mean),
                "last": vs.last().copied().map(num),
            })
        })
        .collect();
    json!(outputs)
}

fn num(v: f64) -> serde_json::Value {
    serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, serde_json::Value::Number)
}

fn run_offline(args: RunArgs) -> Result<()> {
    let config = parse_config(&args.config)?;
    crate::sealed::check(&args.dir)?;
    let (storage, span) = load_recording(&args.dir)?;
    let host = PluginHost::new(HostConfig::offline()).context("failed to start the plugin host")?;
    let plugin = host.load(&args.plugin)?;
    let mut evaluator = plugin.open(&config, Mode::Offline)?;
    let window_ms = args.window.as_millis() as i64;
    if window_ms <= 0 {
        bail!("--window must be positive");
    }
    let result = push_recording(&storage, span, &plugin, &mut evaluator, window_ms)?;
    let info = plugin.info();
    let written = if args.write {
        Some(write(&args, &result, &plugin, &config)?)
    } else {
        None
    };
    let summary = summary(&result);
    let mut out = output::stdout();
    if args.json {
        let report = json!({
            "plugin": {"name": info.name, "version": info.version, "sha256": plugin.sha256()},
            "recording": args.dir,
            "pushes": result.pushes,
            "outputs": summary,
            "written": args.write,
            "replaced_samples": written.as_ref().map(|w| w.replaced_samples()),
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        writeln!(
            out,
            "{} {} over {} ({} pushes)",
            info.name,
            info.version,
            args.dir.display(),
            result.pushes
        )?;
        print_table(&summary, &mut out)?;
        if let Some(w) = &written {
            writeln!(out, "\n{}", written_line(&args.dir, w))?;
        }
    }
    out.flush()?;
    Ok(())
}

/// Adds the outputs to the recording, refusing (or with --replace,
/// replacing) what this plugin wrote before.
fn write(
    args: &RunArgs,
    result: &RunResult,
    plugin: &Plugin,
    config: &[(String, String)],
) -> Result<Appended> {
    let info = plugin.info();
    let batch = result.samples()?;
    let source = SourceInfo::new(
        format!("plugin:{}", info.name),
        json!({"version": info.version, "sha256": plugin.sha256(), "config": config.iter().cloned().collect::<BTreeMap<_, _>>()}),
    );
    let existing = if args.replace {
        Existing::Replace
    } else {
        Existing::Refuse
    };
    match understudy_store::append_segment(&args.dir, &batch.into(), source, existing) {
        Ok(appended) => Ok(appended),
        Err(e @ StoreError::AlreadyRecorded { .. }) => Err(anyhow!(
            "{e}; add --replace to replace the earlier outputs with these, or leave out --write"
        )),
        Err(e) => {
            Err(e).with_context(|| format!("failed to add the outputs to {}", args.dir.display()))
        }
    }
}

/// `outputs added to DIR as segment 4`, and what a replacement removed.
fn written_line(dir: &Path, w: &Appended) -> String {
    let dir = dir.display();
    if w.replaced.is_empty() {
        return match &w.segment {
            Some(s) => format!("outputs added to {dir} as segment {}", s.seq),
            None => format!("no outputs: nothing added to {dir}"),
        };
    }
    let seqs: Vec<String> = w.replaced.iter().map(|s| s.seq.to_string()).collect();
    let added = match &w.segment {
        Some(s) => format!("added these as segment {}", s.seq),
        None => "this run had none to add".to_owned(),
    };
    format!(
        "outputs replaced in {dir}: removed {} of the earlier run (segment {}), {added}",
        human::plural(w.replaced_samples(), "sample"),
        seqs.join(", ")
    )
}

pub fn print_table(summary: &serde_json::Value, out: &mut impl Write) -> std::io::Result<()> {
    let rows: Vec<[String; 6]> = summary
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| {
            let labels: Vec<String> = o["labels"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                .collect();
            let f = |k: &str| o[k].as_f64().map_or("-".into(), |v| format!("{v:.4}"));
            [
                format!(
                    "{}{{{}}}",
                    o["metric"].as_str().unwrap_or(""),
                    labels.join(",")
                ),
                o["points"].to_string(),
                f("min"),
                f("max"),
                f("mean"),
                f("last"),
            ]
        })
        .collect();
    let w = rows.iter().map(|r| r[0].len()).max().unwrap_or(6).max(6);
    writeln!(
        out,
        "{:<w$}  {:>6}  {:>10}  {:>10}  {:>10}  {:>10}",
        "SERIES", "POINTS", "MIN", "MAX", "MEAN", "LAST"
    )?;
    for r in rows {
        writeln!(
            out,
            "{:<w$}  {:>6}  {:>10}  {:>10}  {:>10}  {:>10}",
            r[0], r[1], r[2], r[3], r[4], r[5]
        )?;
    }
    Ok(())
}

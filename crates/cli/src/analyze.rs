//! `understudy analyze`: the KPIs of a run, or two runs side by side, as a
//! table, JSON or a self-contained HTML report. The analysis is
//! `understudy-analyze`'s; here are the arguments, the progress bar and the
//! printing.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use understudy_analyze::{AnalyzeError, Kpi, Run, html, plugins, text};

use crate::output;

const EXAMPLES: &str = "\
Examples:
  understudy analyze recordings/conflict
  understudy analyze recordings/conflict --vs recordings/harmony
  understudy analyze recordings/conflict --vs recordings/harmony \\
      --html report.html
  understudy analyze recordings/conflict --vs recordings/harmony --json \\
      | jq '.kpis[] | select(.winner == 1) | .id'
  # align on given offsets instead of the start of the load
  understudy analyze run-a --vs run-b --align-at 2m,1m30s

The JSON schema is in docs/analyze.md.";

/// Analyse a recording, or compare two: rescales, flapping, pod churn,
/// queue drain, CPU, productivity and the KPI plugins' outputs.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    /// Recording directory.
    dir: PathBuf,
    /// A second recording to compare with, aligned on experiment time.
    #[arg(long)]
    vs: Option<PathBuf>,
    /// A KPI plugin to run too (a wasm32-wasip2 component); repeat for more.
    #[arg(long = "plugin", value_name = "FILE.wasm")]
    plugins: Vec<PathBuf>,
    /// Where the bundled KPI plugins are (default: next to the binary, then
    /// plugins/dist).
    #[arg(long, env = "UNDERSTUDY_PLUGIN_DIR")]
    plugin_dir: Option<PathBuf>,
    /// Do not run the bundled KPI plugins.
    #[arg(long)]
    no_bundled_plugins: bool,
    /// Experiment time 0 as an offset into the recording (`2m`, before its
    /// end), instead of the start of the load found in the queue series;
    /// `A,B` for two runs.
    #[arg(long, value_name = "OFFSET[,OFFSET]")]
    align_at: Option<String>,
    /// Write a self-contained HTML report (charts inline, no network).
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Print the report as JSON (schema in docs/analyze.md).
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> Result<()> {
    let dirs: Vec<&Path> = std::iter::once(args.dir.as_path())
        .chain(args.vs.as_deref())
        .collect();
    let offsets = align_offsets(args.align_at.as_deref(), dirs.len())?;
    let plugins = plugin_files(&args)?;
    let progress = Progress::new((dirs.len() * (1 + plugins.files.len())) as u64);

    for dir in &dirs {
        crate::sealed::check(dir)?;
    }
    let mut runs = Vec::new();
    for (dir, offset) in dirs.iter().zip(&offsets) {
        progress.step(format!("loading {}", dir.display()));
        let run = Run::load(dir, *offset).map_err(|e| match (&e, &args.align_at) {
            (AnalyzeError::AlignedPastEnd { .. }, Some(at)) => {
                anyhow::Error::new(e).context(format!("--align-at {at}"))
            }
            _ => e.into(),
        })?;
        runs.push(run);
    }
    understudy_analyze::check_comparable(&runs)?;
    let windows = understudy_analyze::windows(&runs);
    let mut kpis: Vec<Vec<Kpi>> = runs
        .iter()
        .zip(&windows)
        .map(|(r, w)| understudy_analyze::kpi::compute(r, *w))
        .collect();
    let step = |msg: String| progress.step(msg);
    let from_plugins = plugins::run_plugins(&runs, &windows, &plugins.files, &step)?;
    for (out, extra) in kpis.iter_mut().zip(from_plugins) {
        out.extend(extra);
    }
    progress.done();
    let mut report = understudy_analyze::report(&runs, &windows, &kpis);
    if let Some(note) = &plugins.note {
        report.not_compared.push(note.clone());
    }

    if let Some(path) = &args.html {
        let page = understudy_analyze::page(&report, &runs, &windows);
        std::fs::write(path, html::render(&page))
            .with_context(|| format!("failed to write the HTML report {}", path.display()))?;
    }
    let mut out = output::stdout();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        write!(out, "{}", text::render(&report, colour))?;
        if let Some(path) = &args.html {
            writeln!(out, "\nHTML report: {}", path.display())?;
        }
    }
    out.flush()?;
    Ok(())
}

fn align_offsets(arg: Option<&str>, runs: usize) -> Result<Vec<Option<i64>>> {
    let Some(arg) = arg else {
        return Ok(vec![None; runs]);
    };
    let parsed: Vec<i64> = arg
        .split(',')
        .map(|s| {
            humantime::parse_duration(s.trim())
                .map(|d| d.as_millis() as i64)
                .with_context(|| {
                    format!(
                        "--align-at {s:?}: write an offset into the recording such as 2m or 1m30s"
                    )
                })
        })
        .collect::<Result<_>>()?;
    match (parsed.len(), runs) {
        (1, n) => Ok(vec![Some(parsed[0]); n]),
        (a, b) if a == b => Ok(parsed.into_iter().map(Some).collect()),
        (a, b) => bail!(
            "--align-at has {a} offsets for {b} recordings: give one for all, or one per recording"
        ),
    }
}

struct PluginFiles {
    files: Vec<PathBuf>,
    /// Why the bundled plugins are not run, when they are missing.
    note: Option<String>,
}

fn plugin_files(args: &Args) -> Result<PluginFiles> {
    for p in &args.plugins {
        if !p.is_file() {
            bail!("--plugin {}: no such file", p.display());
        }
    }
    let mut files = Vec::new();
    let mut note = None;
    if !args.no_bundled_plugins {
        let found = plugins::find_bundled(args.plugin_dir.as_deref()).context("--plugin-dir")?;
        match found {
            Some(bundled) => files.extend(bundled),
            None => {
                note = Some(format!(
                    "the bundled KPI plugins ({}): not found next to the binary or in plugins/dist; build them with plugins/build.sh or give --plugin-dir",
                    plugins::BUNDLED.join(", ")
                ))
            }
        }
    }
    files.extend(args.plugins.iter().cloned());
    Ok(PluginFiles { files, note })
}

/// A bar on a terminal only: loading and plugin runs.
struct Progress(Option<ProgressBar>);

impl Progress {
    fn new(steps: u64) -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = ProgressBar::new(steps);
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}").expect("a valid template"),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        Progress(Some(bar))
    }

    fn step(&self, msg: String) {
        if let Some(b) = &self.0 {
            b.set_message(msg);
            b.inc(1);
        }
    }

    fn done(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

//! `understudy analyze`: the KPIs of a run, or two runs side by side, as a
//! table, JSON or a self-contained HTML report.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use understudy_analyze::{Better, Kpi, Measure, Run, Unit, charts, html, text};
use understudy_core::TimeRange;
use understudy_plugin::{HostConfig, MetricKind, Mode, PluginHost};

use crate::kpi::{load_recording, push_recording};
use crate::output;

const EXAMPLES: &str = "\
Examples:
  understudy analyze recordings/conflict
  understudy analyze recordings/conflict --vs recordings/harmony
  understudy analyze recordings/conflict --vs recordings/harmony --html report.html
  understudy analyze recordings/conflict --vs recordings/harmony --json | jq '.kpis[] | select(.winner == 1) | .id'
  # align on given offsets instead of the start of the load
  understudy analyze run-a --vs run-b --align-at 2m,1m30s

The JSON schema is in docs/analyze.md.";

/// What a plugin is pushed at a time over a recording. Plugins keep their
/// state across pushes, so the outputs do not depend on it; a push costs a
/// query per input over every series, so fewer, longer pushes are faster
/// (an hour of 10,000 series: 10-minute windows take a fraction of 1-minute
/// ones).
const PLUGIN_WINDOW_MS: i64 = 10 * 60_000;

/// The plugins shipped with understudy, run on every analysis when found.
const BUNDLED: &[&str] = &["flapping", "drain-time", "productivity", "throttle-ratio"];

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
    /// Experiment time 0 as an offset into the recording (`2m`), instead of
    /// the start of the load found in the queue series; `A,B` for two runs.
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
        runs.push(Run::load(dir, *offset)?);
    }
    understudy_analyze::check_comparable(&runs)?;
    let windows = understudy_analyze::windows(&runs);
    let mut kpis: Vec<Vec<Kpi>> = runs
        .iter()
        .zip(&windows)
        .map(|(r, w)| understudy_analyze::kpi::compute(r, *w))
        .collect();
    if !plugins.files.is_empty() {
        let host =
            PluginHost::new(HostConfig::offline()).context("failed to start the plugin host")?;
        // One thread per recording: the runs are independent, and the
        // plugins are most of the time an analysis takes.
        let (host, progress, files) = (&host, &progress, &plugins.files);
        let per_run: Vec<Result<Vec<Kpi>>> = std::thread::scope(|scope| {
            let tasks: Vec<_> = runs
                .iter()
                .zip(&windows)
                .map(|(run, w)| {
                    scope.spawn(move || -> Result<Vec<Kpi>> {
                        let (storage, _) = load_recording(&run.dir)?;
                        let mut out = Vec::new();
                        for file in files {
                            progress.step(format!("{} over {}", file.display(), run.name));
                            out.extend(plugin_kpis(host, file, &storage, *w)?);
                        }
                        Ok(out)
                    })
                })
                .collect();
            tasks
                .into_iter()
                .map(|t| {
                    t.join()
                        .unwrap_or_else(|_| Err(anyhow::anyhow!("a plugin run panicked")))
                })
                .collect()
        });
        for (out, extra) in kpis.iter_mut().zip(per_run) {
            out.extend(extra?);
        }
    }
    progress.done();
    let mut report = understudy_analyze::report(&runs, &windows, &kpis);
    if let Some(note) = &plugins.note {
        report.not_compared.push(note.clone());
    }

    if let Some(path) = &args.html {
        let page = page(&report, &runs, &windows);
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
        let candidates: Vec<PathBuf> = match &args.plugin_dir {
            Some(d) => vec![d.clone()],
            None => {
                let exe_dir = std::env::current_exe()
                    .ok()
                    .and_then(|e| e.parent().map(Path::to_path_buf));
                exe_dir
                    .iter()
                    .flat_map(|d| [d.join("plugins"), d.join("../share/understudy/plugins")])
                    .chain([PathBuf::from("plugins/dist")])
                    .collect()
            }
        };
        match candidates.iter().find(|d| {
            BUNDLED
                .iter()
                .all(|b| d.join(format!("{b}.wasm")).is_file())
        }) {
            Some(d) => files.extend(BUNDLED.iter().map(|b| d.join(format!("{b}.wasm")))),
            None if args.plugin_dir.is_some() => bail!(
                "--plugin-dir {}: the bundled plugins ({}) are not all there; build them with plugins/build.sh",
                candidates[0].display(),
                BUNDLED.join(", ")
            ),
            None => {
                note = Some(format!(
                    "the bundled KPI plugins ({}): not found next to the binary or in plugins/dist; build them with plugins/build.sh or give --plugin-dir",
                    BUNDLED.join(", ")
                ))
            }
        }
    }
    files.extend(args.plugins.iter().cloned());
    Ok(PluginFiles { files, note })
}

/// A plugin's outputs over the window as KPIs, one per output: over all
/// its series (pods differ between runs), the mean of a gauge and the sum
/// of a counter's last values. The subject is the labels every series
/// shares.
fn plugin_kpis(
    host: &PluginHost,
    file: &Path,
    storage: &understudy_promql::MemStorage,
    w: TimeRange,
) -> Result<Vec<Kpi>> {
    let plugin = host
        .load(file)
        .with_context(|| format!("failed to load the plugin {}", file.display()))?;
    let mut evaluator = plugin
        .open(&[], Mode::Offline)
        .with_context(|| format!("the plugin {} refused to open", file.display()))?;
    let result = push_recording(
        storage,
        (w.start, w.end),
        &plugin,
        &mut evaluator,
        PLUGIN_WINDOW_MS,
    )
    .with_context(|| format!("the plugin {} failed", file.display()))?;
    let info = plugin.info();
    let mut out = Vec::new();
    for spec in &info.outputs {
        let series: Vec<_> = result
            .outputs
            .iter()
            .filter(|((m, _), _)| *m == spec.name)
            .collect();
        let counter = spec.kind == MetricKind::Counter;
        let values: Vec<f64> = if counter {
            series
                .iter()
                .filter_map(|(_, (_, vs))| vs.iter().rev().copied().find(|v| v.is_finite()))
                .collect()
        } else {
            series
                .iter()
                .flat_map(|(_, (_, vs))| vs.iter().copied().filter(|v| v.is_finite()))
                .collect()
        };
        let measure = if series.is_empty() {
            Measure::NotRecorded {
                missing: format!("the inputs of {}", info.name),
            }
        } else if values.is_empty() {
            Measure::NotReached {
                why: "no finite output".into(),
            }
        } else if counter {
            Measure::Value {
                value: values.iter().sum(),
            }
        } else {
            Measure::Value {
                value: values.iter().sum::<f64>() / values.len() as f64,
            }
        };
        let shared: Vec<String> = series
            .first()
            .map(|((_, first), _)| {
                first
                    .iter()
                    .filter(|(k, v)| {
                        series
                            .iter()
                            .all(|((_, l), _)| l.iter().any(|(k2, v2)| k2 == k && v2 == v))
                    })
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect()
            })
            .unwrap_or_default();
        out.push(Kpi {
            id: format!("plugin:{}/{}", info.name, spec.name),
            name: format!(
                "{} ({}, {})",
                spec.name,
                info.name,
                if counter { "sum of last" } else { "mean" }
            ),
            subject: shared.join(","),
            unit: Unit::Plain,
            better: Better::None,
            measure,
        });
    }
    Ok(out)
}

fn page(report: &understudy_analyze::Report, runs: &[Run], windows: &[TimeRange]) -> html::Page {
    let names: Vec<String> = runs.iter().map(|r| r.name.clone()).collect();
    let (headers, rows) = text::cells(report);
    html::Page {
        title: format!("understudy analyze: {}", names.join(" vs ")),
        runs: names,
        summary: report.summary.clone(),
        table: html::Table { headers, rows },
        charts: charts::charts(runs, windows),
    }
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

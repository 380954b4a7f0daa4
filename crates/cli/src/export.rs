//! `understudy export`: a recording as OpenMetrics text or CSV.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use tracing::info;
use understudy_store::Recording;
use understudy_store::export::{Format as StoreFormat, export};

use crate::selector::Selector;
use crate::{human, output};

const EXAMPLES: &str = "\
Examples:
  # load a recording into a real Prometheus
  understudy export recordings/conflict --format openmetrics --out conflict.om
  promtool tsdb create-blocks-from openmetrics conflict.om ./data

  # the queue depth, for a spreadsheet
  understudy export recordings/conflict --format csv \\
      --match 'jetstream_consumer_num_pending'";

/// Write a recording's samples as OpenMetrics text (for `promtool tsdb
/// create-blocks-from openmetrics`) or CSV.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    /// Recording directory.
    dir: PathBuf,
    /// Output format.
    #[arg(long, value_enum)]
    format: Format,
    /// Output file; default: standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Only series matching this Prometheus selector, e.g.
    /// '{namespace="meme-generator"}'. Repeat for the union of several.
    #[arg(long = "match", value_name = "SELECTOR")]
    matches: Vec<String>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Format {
    Openmetrics,
    Csv,
}

pub fn run(args: Args) -> Result<()> {
    let selectors: Vec<Selector> = args
        .matches
        .iter()
        .map(|s| Selector::parse(s))
        .collect::<Result<_>>()?;
    crate::sealed::check(&args.dir)?;
    let rec = Recording::open(&args.dir)
        .with_context(|| format!("failed to open recording {}", args.dir.display()))?;
    let format = match args.format {
        Format::Openmetrics => StoreFormat::OpenMetrics,
        Format::Csv => StoreFormat::Csv,
    };
    let select = |s: &understudy_core::Series| {
        selectors.is_empty() || selectors.iter().any(|m| m.matches(s))
    };
    // A progress bar on a terminal, nothing in a pipe.
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template(
                "exporting {bar:40} {human_pos}/{human_len} samples, {eta} left",
            )
            .expect("a valid template"),
        );
        bar
    });
    let mut progress = |done: u64, total: u64| {
        if let Some(bar) = &bar {
            bar.set_length(total);
            bar.set_position(done);
        }
    };
    let stats = match &args.out {
        Some(path) => {
            let mut tmp = path.clone().into_os_string();
            tmp.push(".partial");
            let tmp = PathBuf::from(tmp);
            let file = File::create(&tmp)
                .with_context(|| format!("failed to create {}", tmp.display()))?;
            let written = (|| {
                let mut out = BufWriter::with_capacity(1 << 20, file);
                let stats = export(&rec, format, select, &mut out, &mut progress)?;
                out.into_inner()
                    .map_err(|e| e.into_error())
                    .and_then(|f| f.sync_all())
                    .with_context(|| format!("failed to write {}", tmp.display()))?;
                // A half-written export never carries the final name.
                std::fs::rename(&tmp, path)
                    .with_context(|| format!("failed to rename to {}", path.display()))?;
                Ok::<_, anyhow::Error>(stats)
            })();
            if written.is_err() {
                // Nor is it left lying around under the other one.
                let _ = std::fs::remove_file(&tmp);
            }
            written?
        }
        None => {
            let mut out = BufWriter::with_capacity(1 << 20, output::stdout());
            let stats = export(&rec, format, select, &mut out, &mut progress)?;
            out.flush().context("failed to write to standard output")?;
            stats
        }
    };
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    info!(
        "exported {} samples of {} series{}",
        human::count(stats.samples),
        human::count(stats.series),
        if stats.skipped_stale > 0 {
            format!(
                " ({} staleness markers left out: neither format can express them)",
                stats.skipped_stale
            )
        } else {
            String::new()
        }
    );
    Ok(())
}

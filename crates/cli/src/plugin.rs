//! `understudy plugin new` and `understudy plugin test`: for plugin authors.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::json;
use understudy_plugin::{HostConfig, Mode, PluginHost};

use crate::kpi::{load_recording, parse_config, print_table, push_recording, summary};
use crate::{expect, output};

const EXAMPLES: &str = "\
Examples:
  understudy plugin new queue-per-replica
  cd queue-per-replica && cargo build --release --target wasm32-wasip2
  understudy plugin test \\
      target/wasm32-wasip2/release/queue_per_replica.wasm \\
      --recording ../recordings/conflict

  # keep today's outputs, then check later runs against them
  understudy plugin test plugins/dist/flapping.wasm \\
      --recording recordings/conflict --json | jq .outputs > golden.json
  understudy plugin test plugins/dist/flapping.wasm \\
      --recording recordings/conflict --expect golden.json";

/// Create and test KPI plugins.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    New(NewArgs),
    Test(TestArgs),
}

/// Create a ready-to-build plugin crate (pinned WIT, toolchain with the
/// wasm32-wasip2 target, an example KPI and its test).
#[derive(Debug, clap::Args)]
pub struct NewArgs {
    /// Name of the plugin (and of the directory created).
    name: String,
    /// Where to create it (default: ./NAME).
    #[arg(long)]
    dir: Option<PathBuf>,
}

/// Run a plugin over a recording under the production host and its live
/// limits; report outputs, per-push latency, memory and fuel.
#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// The plugin component.
    plugin: PathBuf,
    /// Recording to push through it.
    #[arg(long)]
    recording: PathBuf,
    /// A config value, `key=value`; repeat for more.
    #[arg(long = "config", value_name = "KEY=VALUE")]
    config: Vec<String>,
    /// Compare the outputs with this file (the `outputs` of `--json`, or
    /// all of it); fail when they differ, naming the first differences.
    /// Numbers match within a relative 1e-9 (absolute below 1), so a JSON
    /// tool's rewriting (jq prints 5.0 as 5) is no difference.
    #[arg(long, value_name = "FILE")]
    expect: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> Result<()> {
    match args.command {
        Command::New(a) => new(a),
        Command::Test(a) => test(a),
    }
}

const WIT: &str = include_str!("../../../plugins/wit/kpi.wit");

/// The version of the WIT package (`package understudy:kpi@0.2.0;`), which
/// the generated crate's comments and README name.
fn wit_version() -> &'static str {
    WIT.lines()
        .find_map(|l| l.trim().strip_prefix("package understudy:kpi@"))
        .and_then(|v| v.strip_suffix(';'))
        .unwrap_or("unknown")
}

fn new(args: NewArgs) -> Result<()> {
    let name = args.name;
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        || name.starts_with(['-', '_'])
    {
        bail!("plugin name {name:?}: use letters, digits, - and _");
    }
    let dir = args.dir.unwrap_or_else(|| PathBuf::from(&name));
    if dir.exists() {
        bail!("{} already exists", dir.display());
    }
    let crate_name = name.replace('-', "_");
    let files = template(&name);
    let written = files.into_iter().try_for_each(|(path, text)| {
        let p = dir.join(path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("failed to create {}", parent.display()))?;
        }
        std::fs::write(&p, text).with_context(|| format!("failed to write {}", p.display()))
    });
    if let Err(e) = written {
        // Half a plugin crate is no use: it did not exist before, so it goes.
        let _ = std::fs::remove_dir_all(&dir);
        return Err(e);
    }
    let mut out = output::stdout();
    writeln!(out, "created {} (plugin {name})", dir.display())?;
    writeln!(
        out,
        "  cd {} && cargo test && cargo build --release --target wasm32-wasip2",
        dir.display()
    )?;
    writeln!(
        out,
        "  understudy plugin test target/wasm32-wasip2/release/{crate_name}.wasm --recording <RECORDING>"
    )?;
    out.flush()?;
    Ok(())
}

/// The files of a new plugin crate named `name`, by path.
fn template(name: &str) -> [(&'static str, String); 7] {
    let crate_name = name.replace('-', "_");
    let metric = format!("{}_pending_per_replica", crate_name.to_ascii_lowercase());
    let fill = |t: &str| {
        t.replace("{{name}}", name)
            .replace("{{crate}}", &crate_name)
            .replace("{{metric}}", &metric)
            .replace("{{wit_version}}", wit_version())
    };
    [
        ("Cargo.toml", fill(include_str!("template/Cargo.toml.tmpl"))),
        (
            "rust-toolchain.toml",
            fill(include_str!("template/rust-toolchain.toml.tmpl")),
        ),
        ("README.md", fill(include_str!("template/README.md.tmpl"))),
        ("src/lib.rs", fill(include_str!("template/lib.rs.tmpl"))),
        (
            "src/component.rs",
            fill(include_str!("template/component.rs.tmpl")),
        ),
        ("wit/kpi.wit", WIT.to_owned()),
        (".gitignore", "/target\n".to_owned()),
    ]
}

fn test(args: TestArgs) -> Result<()> {
    let config = parse_config(&args.config)?;
    crate::sealed::check(&args.recording)?;
    let (storage, span) = load_recording(&args.recording)?;
    // Production limits, metered so the report can say what a push costs.
    let host = PluginHost::new(HostConfig {
        fuel: Some(u64::MAX / 4),
        ..HostConfig::live()
    })
    .context("failed to start the plugin host")?;
    let started = std::time::Instant::now();
    let plugin = host.load(&args.plugin)?;
    let load = started.elapsed();
    let mut evaluator = plugin.open(&config, Mode::Live)?;
    let result = push_recording(&storage, span, &plugin, &mut evaluator, 60_000)?;
    let outputs = summary(&result);
    let mean = result.push_times.iter().sum::<Duration>() / result.push_times.len().max(1) as u32;
    let max = result.push_times.iter().max().copied().unwrap_or_default();
    let info = plugin.info();
    let report = json!({
        "plugin": {"name": info.name, "version": info.version, "sha256": plugin.sha256()},
        "load_ms": load.as_secs_f64() * 1e3,
        "pushes": result.pushes,
        "push_ms": {"mean": mean.as_secs_f64() * 1e3, "max": max.as_secs_f64() * 1e3},
        "max_memory_bytes": result.max_memory,
        "fuel": result.fuel,
        "faults": evaluator.faults().iter().map(|(r, n)| json!({"reason": r, "count": n})).collect::<Vec<_>>(),
        "outputs": outputs,
    });
    // Compared before printing: a reader that stops reading early must not
    // turn a mismatch into a success.
    let matches = match &args.expect {
        Some(golden) => {
            let want: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(golden)
                    .with_context(|| format!("failed to read {}", golden.display()))?,
            )
            .with_context(|| format!("{} is not JSON", golden.display()))?;
            let want = want.get("outputs").cloned().unwrap_or(want);
            Some((golden, expect::differences(&want, &report["outputs"])))
        }
        None => None,
    };
    let json = serde_json::to_string_pretty(&report)?;
    let mut out = output::stdout();
    let printed = (|| -> std::io::Result<()> {
        if args.json {
            writeln!(out, "{json}")?;
        } else {
            writeln!(
                out,
                "{} {}: loaded in {:.1} ms; {} pushes, {:.3} ms mean, {:.3} ms max; memory {} KiB; fuel {}",
                info.name,
                info.version,
                load.as_secs_f64() * 1e3,
                result.pushes,
                mean.as_secs_f64() * 1e3,
                max.as_secs_f64() * 1e3,
                result.max_memory / 1024,
                result.fuel.map_or("-".into(), |f| f.to_string())
            )?;
            print_table(&report["outputs"], &mut out)?;
        }
        if let Some((golden, differences)) = &matches
            && differences.is_empty()
        {
            writeln!(out, "outputs match {}", golden.display())?;
        }
        out.flush()
    })();
    if let Some((golden, differences)) = &matches
        && !differences.is_empty()
    {
        bail!(expect::report(&golden.display().to_string(), differences));
    }
    printed?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `understudy:kpi@VERSION` a generated file names is the version
    /// of the WIT it pins (the Cargo.toml once said 0.1.0 beside a 0.2.0 WIT).
    #[test]
    fn generated_files_name_the_wit_package_version() {
        let wit = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plugins/wit/kpi.wit"),
        )
        .expect("plugins/wit/kpi.wit");
        let package = wit
            .split_once("package understudy:kpi@")
            .and_then(|(_, rest)| rest.split_once(';'))
            .map(|(version, _)| version)
            .expect("a package line");
        let mut named = 0;
        for (path, text) in template("queue-per-replica") {
            assert!(!text.contains("{{"), "{path} has an unfilled placeholder");
            for (_, rest) in text
                .match_indices("understudy:kpi@")
                .map(|(i, _)| text.split_at(i))
            {
                let version: String = rest["understudy:kpi@".len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_digit() || *c == '.')
                    .collect();
                let version = version.trim_end_matches('.');
                assert_eq!(version, package, "{path} names understudy:kpi@{version}");
                named += 1;
            }
        }
        // Cargo.toml, README.md and the WIT itself.
        assert!(named >= 3, "only {named} files name the world's version");
    }
}

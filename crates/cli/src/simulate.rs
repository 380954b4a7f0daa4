//! `understudy simulate`: a recording of the talk's system, without a cluster.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use tracing::info;
use understudy_sim::{Options, Scenario, simulate_until};

use crate::signals::StopFlag;

const EXAMPLES: &str = "\
Examples:
  # the talk's two runs, as bundled in recordings/
  understudy simulate --scenario conflict --out /tmp/conflict --seed 7
  understudy simulate --scenario harmony --out /tmp/harmony --seed 7

  # your own system: copy deploy/scenarios/conflict.yaml to mine.yaml, edit it
  understudy simulate --scenario mine.yaml --out /tmp/mine --duration 30m

  # rehearse with a live view (replay, Grafana); Ctrl-C closes the recording
  understudy simulate --scenario conflict --out /tmp/live --speed realtime";

/// Simulate an autoscaling scenario (queue, pods, HPA, KEDA) and write what a
/// live recording of it would hold.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    /// A bundled scenario (conflict, harmony) or a scenario file (YAML).
    #[arg(long)]
    scenario: String,
    /// Recording directory to create; it must not exist or be empty.
    #[arg(long)]
    out: PathBuf,
    /// Seed of every random draw: same scenario and seed, same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Simulate this long instead of the scenario's duration (`30m`).
    #[arg(long, value_parser = humantime::parse_duration)]
    duration: Option<std::time::Duration>,
    /// `max` runs as fast as it can; `realtime` paces the run to the wall
    /// clock, writing as it goes (rehearsing with a live view). Ctrl-C or
    /// SIGTERM ends either early with the recording closed, as `record` does.
    #[arg(long, value_enum, default_value_t = Speed::Max)]
    speed: Speed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Speed {
    Max,
    Realtime,
}

pub fn run(args: Args) -> Result<()> {
    check_scenario(
        &args.scenario,
        std::path::Path::new(&args.scenario).exists(),
    )?;
    let scenario = Scenario::load(&args.scenario)?;
    if std::fs::read_dir(&args.out).is_ok_and(|mut d| d.next().is_some()) {
        bail!(
            "{} is not empty: simulate writes a new recording; remove it or choose another --out",
            args.out.display()
        );
    }
    let opts = Options {
        seed: args.seed,
        duration_ms: args.duration.map(|d| d.as_millis() as i64),
        realtime: args.speed == Speed::Realtime,
    };
    // Listening before the recording exists: Ctrl-C at any moment closes
    // it like `record` does, rather than leaving its journal unsealed.
    let stop = StopFlag::listen()?;
    if opts.realtime {
        info!(
            "simulating {} of {} (seed {}) in real time into {}; Ctrl-C ends it early",
            crate::human::duration(
                opts.duration_ms
                    .unwrap_or(scenario.file.duration.as_millis() as i64)
            ),
            scenario.file.name,
            args.seed,
            args.out.display()
        );
    }
    let started = Instant::now();
    let summary = simulate_until(&scenario, &opts, &args.out, stop.flag())
        .with_context(|| format!("failed to write the recording {}", args.out.display()))?;
    let wall = started.elapsed().as_secs_f64();
    if summary.interrupted {
        info!(
            "{}: closed the recording {} after {} of {} (seed {}): {} samples, {} objects",
            stop.why().unwrap_or("stopped"),
            args.out.display(),
            crate::human::duration(summary.simulated_ms),
            scenario.file.name,
            args.seed,
            crate::human::count(summary.samples),
            crate::human::count(summary.objects),
        );
        return Ok(());
    }
    info!(
        "simulated {} of {} (seed {}) in {:.2} s ({:.0} simulated s per wall s): peak pending {}, {} replica reversals, {} rescales, {} pods created, {} redeliveries",
        crate::human::duration(summary.simulated_ms),
        scenario.file.name,
        args.seed,
        wall,
        summary.simulated_ms as f64 / 1000.0 / wall.max(1e-9),
        summary.peak_pending,
        summary.replica_reversals,
        summary.rescales,
        summary.pods_created,
        summary.redeliveries
    );
    Ok(())
}

/// Refuses a `--scenario` that is neither a bundled scenario nor a file,
/// naming the bundled ones (and the one probably meant).
fn check_scenario(scenario: &str, is_file: bool) -> Result<()> {
    let bundled = || understudy_sim::BUNDLED.iter().map(|(name, _)| *name);
    if is_file || bundled().any(|name| name == scenario) {
        return Ok(());
    }
    let names: Vec<&str> = bundled().collect();
    let meant = crate::suggest::closest(scenario, bundled())
        .map(|name| format!("; did you mean {name}?"))
        .unwrap_or_default();
    bail!(
        "unknown scenario `{scenario}`: not a bundled scenario ({}{meant}) and no file of that name",
        names.join(", ")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 17: `--scenario confict` printed the OS error and not the
    /// bundled names.
    #[test]
    fn an_unknown_scenario_names_the_bundled_ones() {
        let said = |s: &str| check_scenario(s, false).expect_err("unknown").to_string();
        assert_eq!(
            said("confict"),
            "unknown scenario `confict`: not a bundled scenario (conflict, harmony; did you mean conflict?) and no file of that name"
        );
        assert_eq!(
            said("mine.yaml"),
            "unknown scenario `mine.yaml`: not a bundled scenario (conflict, harmony) and no file of that name"
        );
        assert!(check_scenario("harmony", false).is_ok());
        assert!(check_scenario("mine.yaml", true).is_ok());
    }
}

//! `understudy`: record autoscaling runs, then replay, analyse, inspect and
//! export them.
//!
//! One module per subcommand; `record` also wires the daemon together. The
//! binary (`main.rs`) only calls [`main`], so tests reach the same code
//! (config parsing and its errors, for one) without spawning a process.
//!
//! Exit codes: 0 on success, and also when standard output was closed by
//! its reader (`understudy inspect DIR | head -3`), silently; 1 on an error,
//! printed once on standard error; 2 on bad arguments (clap).

// Output goes through `output`, which turns a closed stdout into a clean
// exit where `println!` would panic.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod analyze;
pub mod config;
mod dashboard;
mod expect;
mod export;
mod health;
#[cfg(test)]
mod help;
mod human;
mod inspect;
mod kpi;
mod listen;
mod live;
mod loadgen;
mod output;
mod plugin;
mod record;
mod replay;
mod sealed;
mod selector;
mod signals;
mod simulate;
mod suggest;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Records autoscaling runs (cluster, queue and metric timelines on one
/// clock) into Parquet recordings; replays them as if live (Prometheus API,
/// Kubernetes API, a stage dashboard); analyses and compares them.
#[derive(Debug, Parser)]
#[command(name = "understudy", version, max_term_width = 100, after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

const EXAMPLES: &str = "\
Examples:
  understudy record --config deploy/understudy.toml --duration 10m
  understudy inspect recordings/conflict
  understudy export recordings/conflict --format openmetrics --out conflict.om
  understudy analyze recordings/conflict --vs recordings/harmony \\
      --html report.html

Logs go to standard error; UNDERSTUDY_LOG=debug shows more, NO_COLOR=1 turns colour off.";

#[derive(Debug, Subcommand)]
enum Command {
    Record(record::Args),
    Replay(replay::Args),
    Inspect(inspect::Args),
    Export(export::Args),
    Simulate(simulate::Args),
    Kpi(kpi::Args),
    Plugin(plugin::Args),
    Loadgen(Box<loadgen::Args>),
    Analyze(Box<analyze::Args>),
    Dashboard(dashboard::Args),
}

/// Parses the command line, runs the subcommand and says how it ended.
pub fn main() -> ExitCode {
    // The one rustls crypto provider of the process, before anything builds
    // a TLS client (kube, async-nats, reqwest): the libraries leave the
    // choice to the binary, and rustls panics at the first handshake when
    // it cannot pick one itself.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(log_filter())
        .with_ansi(std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal())
        .with_target(false)
        .init();
    let result = match cli.command {
        Command::Record(args) => record::run(args),
        Command::Replay(args) => replay::run(args),
        Command::Inspect(args) => inspect::run(args),
        Command::Export(args) => export::run(args),
        Command::Simulate(args) => simulate::run(args),
        Command::Kpi(args) => kpi::run(args),
        Command::Plugin(args) => plugin::run(args),
        Command::Loadgen(args) => loadgen::run(*args),
        Command::Analyze(args) => analyze::run(*args),
        Command::Dashboard(args) => dashboard::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // The reader has what it wanted (`| head`): not an error.
        Err(e) if stdout_closed(&e) => ExitCode::SUCCESS,
        Err(e) => {
            output::error(&message(&e));
            ExitCode::FAILURE
        }
    }
}

/// Whether `e` is a write to a standard output whose reader went away (and
/// not some other broken pipe, such as a socket's).
fn stdout_closed(e: &anyhow::Error) -> bool {
    output::closed()
        && e.chain().any(|c| {
            c.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
        })
}

/// The error and its causes, `: `-separated, each said once. Library errors
/// often put their cause in their own message *and* return it as their
/// source (`failed to write the export: Broken pipe`, then `Broken pipe`):
/// a cause whose text the message so far already holds, in any case, is
/// left out, and so is an OS error whose code it already names (a library
/// that words the error its own way, then returns the original).
fn message(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        let said = out.to_lowercase();
        let os_code_said = cause
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::raw_os_error)
            .is_some_and(|code| said.contains(&format!("(os error {code})")));
        if text.is_empty() || said.contains(&text.to_lowercase()) || os_code_said {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

/// `info` unless UNDERSTUDY_LOG says otherwise. async-nats logs every
/// connect and reconnect at info, and kube-runtime warns at every watch
/// retry, which the sources report once, with what to do: those two stay
/// quiet unless UNDERSTUDY_LOG names them.
fn log_filter() -> tracing_subscriber::EnvFilter {
    const QUIET: &str = "async_nats=warn,kube_runtime=error,kube_client=off";
    let user = std::env::var("UNDERSTUDY_LOG").unwrap_or_default();
    let user = if user.trim().is_empty() {
        "info"
    } else {
        user.trim()
    };
    tracing_subscriber::EnvFilter::try_new(format!("{QUIET},{user}"))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("{QUIET},info")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cause_is_printed_once() {
        let io = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        let e = anyhow::Error::new(understudy_store::export::ExportError::Write(io))
            .context("failed to export recordings/conflict");
        assert_eq!(
            message(&e),
            "failed to export recordings/conflict: failed to write the export: broken pipe"
        );
        let e = anyhow::anyhow!("inner").context("middle").context("outer");
        assert_eq!(message(&e), "outer: middle: inner");
    }

    /// Issue 17: "(os error 20): Not a directory (os error 20)".
    #[test]
    fn an_os_error_worded_by_a_library_is_not_repeated() {
        #[derive(Debug)]
        struct Worded(std::io::Error);
        impl std::fmt::Display for Worded {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "cannot open README.md/x (os error 20)")
            }
        }
        impl std::error::Error for Worded {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let io = std::io::Error::from_raw_os_error(20);
        let e = anyhow::Error::new(Worded(io)).context("failed to read the config");
        assert_eq!(
            message(&e),
            "failed to read the config: cannot open README.md/x (os error 20)"
        );
        let io = std::io::Error::from_raw_os_error(20);
        let e = anyhow::Error::new(io).context("failed to read README.md/x");
        assert_eq!(
            message(&e),
            "failed to read README.md/x: Not a directory (os error 20)"
        );
    }
}

//! `understudy replay`: serve a recording through the Prometheus HTTP API so
//! Grafana keeps working when the live system does not.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use tracing::info;
use understudy_replay::{
    AppState, QueryLimits, ReplayOptions, dashboard, kube, load, router, state,
};

use crate::human;

const EXAMPLES: &str = "\
Examples:
  # on stage: the recording's start lands at now and plays as if live
  understudy replay recordings/conflict

  # begin five minutes in, twice as fast, over and over
  understudy replay recordings/conflict --start-at 5m --speed 2 --loop

  # post-run analysis: original timestamps, everything visible
  understudy replay recordings/conflict --no-shift

  # the stage dashboard at http://127.0.0.1:9090/, with your own panels
  understudy replay recordings/conflict --dashboard my-dashboard.json

  # kubectl on stage: the recording's cluster, read-only
  understudy replay recordings/conflict \\
      --kube-listen 127.0.0.1:6443 --write-kubeconfig replay.kubeconfig
  KUBECONFIG=replay.kubeconfig kubectl get hpa -n meme-generator

Keys on a terminal: space pause/resume, ←/→ seek 30 s, +/- speed, q quit
(on the dashboard page also n next scaling event, t projector theme,
b REPLAY badge).
Control API: GET /-/replay, POST /-/replay/pause|resume,
/-/replay/seek?to=5m, /-/replay/speed?value=2";

/// Replay a recording through the Prometheus HTTP API (for Grafana), with a
/// stage dashboard at / and, with --kube-listen, the Kubernetes API (for
/// kubectl).
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    /// Recording directory.
    dir: PathBuf,
    /// Address of the Prometheus API; loopback unless told otherwise.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:9090", value_parser = crate::listen::parse)]
    listen: SocketAddr,
    /// Playback speed (2 = twice as fast).
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
    /// Begin this far into the recording (`90s`, `5m`, `1h30m`).
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true, value_parser = parse_offset)]
    start_at: Option<Duration>,
    /// Start over at the end.
    #[arg(long = "loop")]
    looping: bool,
    /// Start paused (space or POST /-/replay/resume plays).
    #[arg(long)]
    paused: bool,
    /// Serve the original timestamps, the whole recording visible.
    #[arg(long)]
    no_shift: bool,
    /// Also serve the recording's objects through the Kubernetes API (for
    /// kubectl), read-only, on this address; loopback unless told otherwise.
    #[arg(long, value_name = "HOST:PORT", value_parser = crate::listen::parse)]
    kube_listen: Option<SocketAddr>,
    /// Write a kubeconfig for the Kubernetes API to this file
    /// (`KUBECONFIG=FILE kubectl get hpa`). Needs --kube-listen.
    #[arg(long, requires = "kube_listen")]
    write_kubeconfig: Option<PathBuf>,
    /// The Grafana dashboard JSON whose panels the page at / shows (default:
    /// the talk's, deploy/grafana/dashboards/autoscaling.json, built in).
    #[arg(long, value_name = "FILE")]
    dashboard: Option<PathBuf>,
    /// Give up on a query after this long, waiting in line included
    /// (Prometheus' --query.timeout).
    #[arg(long = "query.timeout", value_name = "DURATION", default_value = "2m", value_parser = humantime::parse_duration)]
    query_timeout: Duration,
    /// Queries evaluated at once; the rest wait in line (Prometheus'
    /// --query.max-concurrency).
    #[arg(long = "query.max-concurrency", value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
    query_max_concurrency: u32,
    /// The most samples one query may hold in memory at once (Prometheus'
    /// --query.max-samples). Queries hold at most max-concurrency ×
    /// max-samples samples, about 16 bytes each, beside the recording.
    #[arg(long = "query.max-samples", value_name = "N", default_value_t = 50_000_000, value_parser = clap::value_parser!(u64).range(1..))]
    query_max_samples: u64,
}

pub fn run(args: Args) -> Result<()> {
    if !(args.speed > 0.0 && args.speed <= understudy_replay::clock::MAX_SPEED) {
        anyhow::bail!(
            "--speed must be above 0 and at most {}, not {}",
            understudy_replay::clock::MAX_SPEED,
            args.speed
        );
    }
    crate::sealed::check(&args.dir)?;
    let started = Instant::now();
    let loaded = load(&args.dir)
        .with_context(|| format!("failed to load recording {}", args.dir.display()))?;
    let (series, samples, held, span) = (
        loaded.series,
        loaded.samples,
        loaded.storage.sample_bytes(),
        loaded.end_ms - loaded.start_ms,
    );
    if let Some(at) = args.start_at {
        check_start_at(at, span, &args.dir)?;
    }
    let spec = dashboard_spec(args.dashboard.as_deref(), dashboard::Mode::Replay)?;
    let opts = ReplayOptions {
        start_at_ms: args.start_at.map_or(0, |d| d.as_millis() as i64),
        speed: args.speed,
        looping: args.looping,
        no_shift: args.no_shift,
        limits: QueryLimits {
            timeout: args.query_timeout,
            max_concurrency: args.query_max_concurrency as usize,
            max_samples: usize::try_from(args.query_max_samples).unwrap_or(usize::MAX),
        },
    };
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("failed to start the async runtime")?
        .block_on(async move {
            let state = state(loaded, &opts, understudy_core::now_ms());
            if args.paused {
                state.with_clock(|c| c.pause());
            }
            let listener = tokio::net::TcpListener::bind(args.listen)
                .await
                .with_context(|| format!("failed to listen on {}; choose another with --listen", args.listen))?;
            let addr = listener.local_addr().context("failed to read the listening address")?;
            info!(
                "replaying {} ({} series, {} samples in {}, {}) on http://{addr} (dashboard at http://{addr}/) — ready in {} ms",
                args.dir.display(),
                human::count(series as u64),
                human::count(samples as u64),
                human::bytes(held as u64),
                human::duration(span),
                started.elapsed().as_millis()
            );
            let kube = match args.kube_listen {
                Some(at) => Some(serve_kube(&state, at, &args.dir, args.write_kubeconfig.as_deref()).await?),
                None => None,
            };
            let page = dashboard::router(Arc::new(dashboard::DashboardState::new(spec, Some(Arc::clone(&state)))));
            let server = understudy_serve::serve(listener, router(Arc::clone(&state)).merge(page));
            let presenter = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
            let keys = presenter.then(|| tokio::task::spawn_blocking({
                let state = Arc::clone(&state);
                move || keys(&state)
            }));
            tokio::select! {
                r = server => r.context("the replay server stopped")?,
                r = async { match kube { Some(k) => k.await, None => std::future::pending().await } } => {
                    r.context("the Kubernetes API task failed")?.context("the Kubernetes API server stopped")?;
                }
                _ = tokio::signal::ctrl_c() => info!("interrupted"),
                _ = async { match keys { Some(k) => { let _ = k.await; } None => std::future::pending().await } } => {}
            }
            Ok(())
        })
}

/// Binds the Kubernetes API, writes the kubeconfig, and serves in a task.
async fn serve_kube(
    state: &Arc<AppState>,
    at: SocketAddr,
    dir: &std::path::Path,
    kubeconfig: Option<&std::path::Path>,
) -> Result<tokio::task::JoinHandle<std::io::Result<()>>> {
    let listener = tokio::net::TcpListener::bind(at)
        .await
        .with_context(|| format!("failed to listen on {at}; choose another with --kube-listen"))?;
    let addr = listener
        .local_addr()
        .context("failed to read the listening address")?;
    let server = format!("http://{addr}");
    if let Some(path) = kubeconfig {
        // The context's namespace, when the recording holds exactly one.
        let namespaces = state.objects.namespaces(i64::MAX);
        let ns = (namespaces.len() == 1).then(|| namespaces[0].as_str());
        std::fs::write(path, kube::kubeconfig(&server, ns))
            .with_context(|| format!("failed to write the kubeconfig {}", path.display()))?;
        info!(
            "Kubernetes API on {server}; KUBECONFIG={} kubectl get hpa",
            path.display()
        );
    } else {
        info!("Kubernetes API on {server}");
    }
    let app = kube::router(Arc::new(kube::KubeState::new(
        Arc::clone(state),
        dir.display().to_string(),
    )));
    Ok(tokio::spawn(async move {
        understudy_serve::serve(listener, app).await
    }))
}

/// Single keys for the presenter, and a one-line status; returns on `q`.
fn keys(state: &AppState) {
    use crossterm::event::{self, Event, KeyCode, KeyEvent, KeyModifiers};
    if crossterm::terminal::enable_raw_mode().is_err() {
        return;
    }
    loop {
        let s = state.with_clock(|c| c.status());
        crate::output::status(format_args!("\r\x1b[2K{}", status_line(&s)));
        if !event::poll(Duration::from_millis(500)).unwrap_or(false) {
            continue;
        }
        let Ok(Event::Key(KeyEvent {
            code, modifiers, ..
        })) = event::read()
        else {
            continue;
        };
        match code {
            KeyCode::Char(' ') => state.with_clock(|c| {
                if c.status().paused {
                    c.resume()
                } else {
                    c.pause()
                }
            }),
            KeyCode::Left => state.with_clock(|c| c.skip(-30_000)),
            KeyCode::Right => state.with_clock(|c| c.skip(30_000)),
            KeyCode::Char('+') | KeyCode::Char('=') => state.with_clock(|c| {
                let v = faster(c.status().speed);
                c.set_speed(v);
            }),
            KeyCode::Char('-') => state.with_clock(|c| {
                let v = slower(c.status().speed);
                c.set_speed(v);
            }),
            KeyCode::Char('q') => break,
            KeyCode::Char('c') if modifiers.contains(KeyModifiers::CONTROL) => break,
            _ => {}
        }
    }
    let _ = crossterm::terminal::disable_raw_mode();
    crate::output::status(format_args!("\n"));
}

/// The fastest and slowest speeds the `+` and `-` keys reach (--speed and
/// the control API go further).
const KEY_SPEEDS: (f64, f64) = (1.0 / 64.0, 64.0);

/// Twice as fast, up to the keys' limit; never slower than now.
fn faster(speed: f64) -> f64 {
    if speed >= KEY_SPEEDS.1 {
        speed
    } else {
        (speed * 2.0).min(KEY_SPEEDS.1)
    }
}

/// Half as fast, down to the keys' limit; never faster than now.
fn slower(speed: f64) -> f64 {
    if speed <= KEY_SPEEDS.0 {
        speed
    } else {
        (speed / 2.0).max(KEY_SPEEDS.0)
    }
}

/// The presenter's status line, naming only the keys that do something
/// now: `space resume` while paused, no `←` at the start, no `+` at the
/// fastest.
fn status_line(s: &understudy_replay::clock::Status) -> String {
    let (mode, space) = if s.paused {
        ("paused", "resume")
    } else {
        ("playing", "pause")
    };
    let seek = match (s.offset_ms > 0, s.offset_ms < s.duration_ms) {
        (true, true) => "←/→ 30 s, ",
        (false, true) => "→ 30 s, ",
        (true, false) => "← 30 s, ",
        (false, false) => "",
    };
    let speed = match (faster(s.speed) > s.speed, slower(s.speed) < s.speed) {
        (true, true) => "+/- speed, ",
        (true, false) => "+ faster, ",
        (false, true) => "- slower, ",
        (false, false) => "",
    };
    format!(
        "{mode} {} · {} of {} · {}× · space {space}, {seek}{speed}q quit",
        human::time(s.position_ms),
        human::duration(s.offset_ms),
        human::duration(s.duration_ms),
        s.speed
    )
}

/// `--start-at`: a duration from the recording's start, said plainly when
/// it is not one.
fn parse_offset(text: &str) -> Result<Duration, String> {
    if text.trim_start().starts_with('-') {
        return Err(
            "a negative offset; --start-at counts from the recording's start (`0s` is the start)"
                .to_owned(),
        );
    }
    humantime::parse_duration(text)
        .map_err(|e| format!("not a duration ({e}); write it like 90s, 5m or 1h30m"))
}

/// Refuses a `--start-at` past the end of the recording, which would
/// otherwise start a replay with nothing left to play.
fn check_start_at(at: Duration, span_ms: i64, dir: &std::path::Path) -> Result<()> {
    if at.as_millis() > u128::try_from(span_ms).unwrap_or(0) {
        anyhow::bail!(
            "--start-at {} is past the end of {} (it lasts {})",
            humantime::format_duration(at),
            dir.display(),
            human::duration(span_ms)
        );
    }
    Ok(())
}

/// The stage dashboard's panels: from `file`, or the talk's dashboard.
pub fn dashboard_spec(
    file: Option<&std::path::Path>,
    mode: dashboard::Mode,
) -> Result<dashboard::Spec> {
    let (text, from) = match file {
        Some(f) => (
            std::fs::read_to_string(f)
                .with_context(|| format!("failed to read the dashboard {}", f.display()))?,
            f.display().to_string(),
        ),
        None => (
            dashboard::DEFAULT_DASHBOARD.to_owned(),
            "the built-in dashboard".to_owned(),
        ),
    };
    let spec = dashboard::Spec::from_grafana(&text, mode)
        .with_context(|| format!("{from} is not a Grafana dashboard understudy can show"))?;
    if spec.panels.is_empty() {
        anyhow::bail!("{from}: no panel has a Prometheus query to show");
    }
    for note in &spec.notes {
        tracing::warn!("dashboard {from}: {note}");
    }
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use understudy_replay::clock::Status;

    use super::*;

    fn status(paused: bool, offset_ms: i64, speed: f64) -> Status {
        Status {
            position_ms: 1_795_648_500_000 + offset_ms,
            now_ms: 0,
            offset_ms,
            duration_ms: 900_000,
            speed,
            paused,
            looping: false,
            no_shift: false,
            recording_start_ms: 1_795_648_500_000,
            recording_end_ms: 1_795_649_400_000,
        }
    }

    /// Issue 17: paused, the line still said "space pause".
    #[test]
    fn the_status_line_names_what_each_key_does_now() {
        assert_eq!(
            status_line(&status(false, 60_000, 1.0)),
            "playing 2026-11-25T23:16:00.000Z · 1m of 15m · 1× · space pause, ←/→ 30 s, +/- speed, q quit"
        );
        assert_eq!(
            status_line(&status(true, 60_000, 1.0)),
            "paused 2026-11-25T23:16:00.000Z · 1m of 15m · 1× · space resume, ←/→ 30 s, +/- speed, q quit"
        );
        let at_start_fastest = status_line(&status(true, 0, 64.0));
        assert!(
            at_start_fastest.ends_with("space resume, → 30 s, - slower, q quit"),
            "{at_start_fastest}"
        );
        let at_end_slowest = status_line(&status(false, 900_000, 1.0 / 64.0));
        assert!(
            at_end_slowest.ends_with("space pause, ← 30 s, + faster, q quit"),
            "{at_end_slowest}"
        );
    }

    #[test]
    fn speed_keys_double_and_halve_within_their_limits_and_never_reverse() {
        assert_eq!(faster(1.0), 2.0);
        assert_eq!(faster(48.0), 64.0);
        // --speed 100 is beyond the keys' range: `+` leaves it alone.
        assert_eq!(faster(100.0), 100.0);
        assert_eq!(slower(1.0), 0.5);
        assert_eq!(slower(1.0 / 64.0), 1.0 / 64.0);
        assert_eq!(slower(1.0 / 100.0), 1.0 / 100.0);
    }

    #[test]
    fn start_at_is_a_duration_within_the_recording() {
        assert_eq!(parse_offset("5m"), Ok(Duration::from_secs(300)));
        assert!(parse_offset("-5m").is_err_and(|e| e.starts_with("a negative offset")));
        assert!(parse_offset("soon").is_err_and(|e| e.ends_with("write it like 90s, 5m or 1h30m")));
        let dir = std::path::Path::new("recordings/conflict");
        assert!(check_start_at(Duration::from_secs(900), 900_000, dir).is_ok());
        assert_eq!(
            check_start_at(Duration::from_secs(1200), 900_000, dir)
                .expect_err("past the end")
                .to_string(),
            "--start-at 20m is past the end of recordings/conflict (it lasts 15m)"
        );
    }
}

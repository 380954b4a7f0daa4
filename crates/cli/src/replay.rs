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

  # the stage dashboard, with the panels of your own Grafana dashboard
  understudy replay recordings/conflict --dashboard my-dashboard.json   # then open http://127.0.0.1:9090/

  # kubectl on stage: the recording's cluster, read-only
  understudy replay recordings/conflict --kube-listen 127.0.0.1:6443 --write-kubeconfig replay.kubeconfig
  KUBECONFIG=replay.kubeconfig kubectl get hpa -n meme-generator

Keys on a terminal: space pause/resume, ←/→ seek 30 s, +/- speed, q quit (on the dashboard page
also n next scaling event, t projector theme, b REPLAY badge).
Control API: GET /-/replay, POST /-/replay/pause|resume, /-/replay/seek?to=5m, /-/replay/speed?value=2";

/// Replay a recording through the Prometheus HTTP API (for Grafana), with a
/// stage dashboard at / and, with --kube-listen, the Kubernetes API (for
/// kubectl).
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    /// Recording directory.
    dir: PathBuf,
    /// Address of the Prometheus API; loopback unless told otherwise.
    #[arg(long, default_value = "127.0.0.1:9090")]
    listen: SocketAddr,
    /// Playback speed (2 = twice as fast).
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
    /// Begin this far into the recording (`5m`).
    #[arg(long, value_parser = humantime::parse_duration)]
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
    #[arg(long)]
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
    let (series, samples, span) = (
        loaded.series,
        loaded.samples,
        loaded.end_ms - loaded.start_ms,
    );
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
                "replaying {} ({} series, {} samples, {}) on http://{addr} (dashboard at http://{addr}/) — ready in {} ms",
                args.dir.display(),
                human::count(series as u64),
                human::count(samples as u64),
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
        let pos = human::time(s.position_ms);
        let offset = human::duration(s.offset_ms);
        let total = human::duration(s.duration_ms);
        let mode = if s.paused { "paused" } else { "playing" };
        crate::output::status(format_args!(
            "\r\x1b[2K{mode} {pos} · {offset} of {total} · {}× · space pause, ←/→ 30 s, +/- speed, q quit",
            s.speed
        ));
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
                let v = c.status().speed * 2.0;
                c.set_speed(v.min(64.0));
            }),
            KeyCode::Char('-') => state.with_clock(|c| {
                let v = c.status().speed / 2.0;
                c.set_speed(v.max(1.0 / 64.0));
            }),
            KeyCode::Char('q') => break,
            KeyCode::Char('c') if modifiers.contains(KeyModifiers::CONTROL) => break,
            _ => {}
        }
    }
    let _ = crossterm::terminal::disable_raw_mode();
    crate::output::status(format_args!("\n"));
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

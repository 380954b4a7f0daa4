//! `understudy replay`: serve a recording through the Prometheus HTTP API so
//! Grafana keeps working when the live system does not.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use tracing::info;
use understudy_replay::{AppState, ReplayOptions, load, router, state};

use crate::human;

const EXAMPLES: &str = "\
Examples:
  # on stage: the recording's start lands at now and plays as if live
  understudy replay recordings/conflict

  # begin five minutes in, twice as fast, over and over
  understudy replay recordings/conflict --start-at 5m --speed 2 --loop

  # post-run analysis: original timestamps, everything visible
  understudy replay recordings/conflict --no-shift

Keys on a terminal: space pause/resume, ←/→ seek 30 s, +/- speed, q quit.
Control API: GET /-/replay, POST /-/replay/pause|resume, /-/replay/seek?to=5m, /-/replay/speed?value=2";

/// Replay a recording through the Prometheus HTTP API (for Grafana).
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
    /// Serve the original timestamps, the whole recording visible.
    #[arg(long)]
    no_shift: bool,
}

pub fn run(args: Args) -> Result<()> {
    if !(args.speed > 0.0 && args.speed.is_finite()) {
        anyhow::bail!("--speed must be a positive number, not {}", args.speed);
    }
    let started = Instant::now();
    let loaded = load(&args.dir)
        .with_context(|| format!("failed to load recording {}", args.dir.display()))?;
    let (series, samples, span) = (
        loaded.series,
        loaded.samples,
        loaded.end_ms - loaded.start_ms,
    );
    let opts = ReplayOptions {
        start_at_ms: args.start_at.map_or(0, |d| d.as_millis() as i64),
        speed: args.speed,
        looping: args.looping,
        no_shift: args.no_shift,
    };
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("failed to start the async runtime")?
        .block_on(async move {
            let state = state(loaded, &opts, understudy_core::now_ms());
            let listener = tokio::net::TcpListener::bind(args.listen)
                .await
                .with_context(|| format!("failed to listen on {}; choose another with --listen", args.listen))?;
            let addr = listener.local_addr().context("failed to read the listening address")?;
            info!(
                "replaying {} ({} series, {} samples, {}) on http://{addr} — ready in {} ms",
                args.dir.display(),
                human::count(series as u64),
                human::count(samples as u64),
                human::duration(span),
                started.elapsed().as_millis()
            );
            let server = axum::serve(listener, router(Arc::clone(&state)));
            let presenter = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
            let keys = presenter.then(|| tokio::task::spawn_blocking({
                let state = Arc::clone(&state);
                move || keys(&state)
            }));
            tokio::select! {
                r = server => r.context("the replay server stopped")?,
                _ = tokio::signal::ctrl_c() => info!("interrupted"),
                _ = async { match keys { Some(k) => { let _ = k.await; } None => std::future::pending().await } } => {}
            }
            Ok(())
        })
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
        eprint!(
            "\r\x1b[2K{mode} {pos} · {offset} of {total} · {}× · space pause, ←/→ 30 s, +/- speed, q quit",
            s.speed
        );
        let _ = std::io::stderr().flush();
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
    eprintln!();
}

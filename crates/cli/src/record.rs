//! `understudy record`: the recording daemon.
//!
//! Wiring: every source runs as a task under a supervisor and sends batches
//! through a bounded channel; one writer loop appends them, syncs the journal
//! every flush interval (recording the recorder's health first), seals
//! segments, and closes the recording on SIGINT, SIGTERM or `--duration`.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::sync::mpsc;
use tracing::{error, info, warn};
use understudy_core::{
    BoxFuture, Gap, Sink, SinkClosed, Source, SourceError, TimelineBatch, now_ms,
};
use understudy_store::{RecordingMeta, RecordingWriter, SourceInfo, WriterOptions};

use crate::config::{Config, SourceConfig};
use crate::health::Health;
use crate::human;
use crate::live::LivePlugins;
use crate::output;
use crate::signals::Stop;
use understudy_source_kube::KubeSource;
use understudy_source_nats::NatsSource;
use understudy_source_prom::{PromSource, RemoteWriteSource};
use understudy_source_recording::RecordingSource;

const EXAMPLES: &str = "\
Examples:
  # record the recorder's own health for 3 seconds
  understudy record --config deploy/empty.toml --out /tmp/r --duration 3s

  # record until Ctrl-C; recording into an existing directory continues it
  understudy record --config deploy/understudy.toml --out recordings/demo";

/// Record a run into a recording directory.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    /// Configuration file (TOML). An empty file records only the recorder's
    /// own health; without --config the defaults apply.
    #[arg(long, short)]
    config: Option<PathBuf>,
    /// Recording directory; overrides `recorder.out`.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Stop after this long (`90s`, `10m`); default: until Ctrl-C or SIGTERM.
    #[arg(long, value_parser = humantime::parse_duration)]
    duration: Option<Duration>,
    /// Address for /metrics and /healthz; overrides `recorder.listen`.
    #[arg(long, value_name = "HOST:PORT", value_parser = crate::listen::parse)]
    listen: Option<SocketAddr>,
    /// kubeconfig context for every [[source.kubernetes]] that names none
    /// (the kubeconfig comes from `kubeconfig`, KUBECONFIG or ~/.kube/config).
    #[arg(long)]
    context: Option<String>,
}

pub fn run(args: Args) -> Result<()> {
    let config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("failed to start the async runtime")?
        .block_on(record(config, args))
}

/// The one place that starts every source the config asks for, by kind
/// (crates/cli/src/config/sources.rs says how to add one). What fails here
/// (a dashboard that cannot be read, a certificate that does not load) is
/// reported for every section at once, as the config's own problems are.
fn build_sources(config: &Config, context: Option<&str>) -> Result<Vec<Box<dyn Source>>> {
    let mut sources: Vec<Box<dyn Source>> = Vec::new();
    let mut problems = Vec::new();
    for section in &config.sources {
        let i = section.index;
        match section.config.clone() {
            SourceConfig::Recording(c) => sources.push(Box::new(RecordingSource::new(i, c))),
            SourceConfig::Prometheus(c) => {
                let plan = match understudy_source_prom::plan(&c) {
                    Ok(plan) => plan,
                    Err(e) => {
                        problems.push(format!("{}: {e}", section.label()));
                        continue;
                    }
                };
                for s in &plan.skipped {
                    warn!("{}: dashboard target left out: {s}", section.label());
                }
                if let Some(rw) = &c.remote_write {
                    sources.push(Box::new(RemoteWriteSource::new(i, rw.clone())));
                }
                match PromSource::new(i, c, plan.queries, plan.selectors) {
                    Ok(source) => sources.push(Box::new(source)),
                    Err(e) => problems.push(format!("{}: {e}", section.label())),
                }
            }
            SourceConfig::Nats(c) => sources.push(Box::new(NatsSource::new(i, c))),
            SourceConfig::Kubernetes(mut c) => {
                if c.context.is_none() {
                    c.context = context.map(str::to_owned);
                }
                sources.push(Box::new(KubeSource::new(i, c)));
            }
        }
    }
    if !problems.is_empty() {
        bail!("{}", problems.join("\n"));
    }
    Ok(sources)
}

async fn record(config: Config, args: Args) -> Result<()> {
    // Everything that can fail comes before the recording is opened: a
    // recorder that cannot start leaves no directory (or session) behind.
    let mut stop = Stop::listen()?;
    let rc = config.recorder.clone();
    let date = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let dir = config.out_dir(args.out.as_deref(), &date[..10]);
    let sources = build_sources(&config, args.context.as_deref())?;
    let mut live = LivePlugins::load(&config.plugin, std::path::Path::new("."))?;
    let listen = args.listen.unwrap_or(rc.listen);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| {
            format!("failed to listen on {listen} for /metrics; set recorder.listen or --listen")
        })?;
    let bound = listener
        .local_addr()
        .context("failed to read the listening address")?;
    let recorder_config =
        serde_json::to_value(&rc).context("failed to describe the recorder config")?;
    let mut infos = vec![SourceInfo::new("recorder", recorder_config)];
    infos.extend(
        sources
            .iter()
            .map(|s| SourceInfo::new(s.name(), s.config())),
    );
    let meta = RecordingMeta {
        id: None,
        name: rc.name.clone(),
        labels: rc.labels.clone(),
        sources: infos,
    };
    let opts = WriterOptions {
        segment_ms: rc.segment.as_millis() as i64,
        ..WriterOptions::default()
    };
    let (mut writer, recovered) =
        tokio::task::block_in_place(|| RecordingWriter::open(&dir, meta, opts, now_ms()))
            .with_context(|| format!("failed to open recording {}", dir.display()))?;
    if let Some(r) = recovered {
        warn!(
            samples = r.samples,
            objects = r.objects,
            dropped_bytes = r.dropped_bytes,
            "recovered the journal of an interrupted session"
        );
    }

    let health = Arc::new(Health::default());
    let flush_ms = rc.flush_interval.as_millis() as i64;
    let app = axum::Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .with_state((Arc::clone(&health), 3 * flush_ms.max(1000)));
    tokio::spawn(async move {
        if let Err(e) = understudy_serve::serve(listener, app).await {
            error!("the /metrics server stopped: {e}");
        }
    });
    info!(
        "recording into {} (flush every {}, seal every {}); health on http://{bound}/metrics",
        dir.display(),
        humantime::format_duration(rc.flush_interval),
        humantime::format_duration(rc.segment)
    );

    let (tx, mut rx) = mpsc::channel::<TimelineBatch>(256);
    let mut sinks = Vec::new();
    let mut tasks = Vec::new();
    for source in sources {
        let sink = Arc::new(SourceSink::new(source.name(), tx.clone()));
        sinks.push(Arc::clone(&sink));
        tasks.push(tokio::spawn(supervise(source, sink, Arc::clone(&health))));
    }
    drop(tx);

    let mut plugin_tick = tokio::time::interval(
        live.as_ref()
            .map_or(Duration::from_secs(3600), |l| l.period()),
    );
    let mut tick = tokio::time::interval(rc.flush_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let stop = stop.wait(args.duration);
    tokio::pin!(stop);
    let mut health_series = Vec::new();
    let mut last_health = i64::MIN;
    let mut write_errors = WriteErrors::default();
    let status = std::io::stderr().is_terminal().then(Status::default);
    let mut status = status;
    loop {
        tokio::select! {
            Some(batch) = rx.recv() => {
                if let Some(l) = live.as_mut() {
                    l.window.add(&batch);
                }
                append(&mut writer, &batch, &health);
            }
            _ = plugin_tick.tick(), if live.is_some() => {
                if let Some(l) = live.as_mut() {
                    let (outputs, faults) = tokio::task::block_in_place(|| l.tick(now_ms()));
                    for (plugin, reason) in faults {
                        health.plugin_fault(&plugin, reason);
                    }
                    health.set_plugin_outputs(l.plugins.iter().flat_map(|p| p.latest.iter().cloned()).collect());
                    append(&mut writer, &outputs, &health);
                }
            }
            _ = tick.tick() => {
                last_health = on_tick(&mut writer, &health, &mut health_series, &mut write_errors);
                if let Some(s) = status.as_mut() {
                    s.show(&dir, &writer);
                }
            }
            why = &mut stop => {
                if status.is_some() {
                    output::status(format_args!("\n"));
                }
                info!("{why}: closing the recording");
                break;
            }
        }
    }

    for t in &tasks {
        t.abort();
    }
    let now = now_ms();
    for sink in &sinks {
        if let Some(gap) = sink.take_gap(now) {
            append(
                &mut writer,
                &TimelineBatch {
                    gaps: vec![gap],
                    ..Default::default()
                },
                &health,
            );
        }
    }
    while let Ok(batch) = rx.try_recv() {
        append(&mut writer, &batch, &health);
    }
    let now = now_ms();
    health.update(writer.stats(), writer.open_series());
    if now > last_health {
        let final_health = health.samples(&mut health_series, now);
        append(&mut writer, &final_health.into(), &health);
    }
    health.update(writer.stats(), writer.open_series());
    let stats = writer.stats();
    let manifest = tokio::task::block_in_place(|| writer.close(now))
        .with_context(|| format!("failed to close recording {}", dir.display()))?;
    info!(
        "recorded {} samples and {} objects into {} ({})",
        human::count(stats.samples_written),
        human::count(stats.objects_written),
        dir.display(),
        human::plural(manifest.segments.len() as u64, "segment")
    );
    Ok(())
}

fn append(writer: &mut RecordingWriter, batch: &TimelineBatch, health: &Health) {
    if let Err(e) = writer.append(batch) {
        error!("dropped a batch: {e}");
        health.write_error(e.to_string());
    }
}

/// Logs a failing write once, then at most every 10 s while it keeps
/// failing the same way, so a full disk does not flood the log.
#[derive(Debug, Default)]
struct WriteErrors {
    last: Option<(String, std::time::Instant)>,
    suppressed: u64,
}

impl WriteErrors {
    fn failed(&mut self, message: String) {
        match &self.last {
            Some((m, at)) if *m == message && at.elapsed() < Duration::from_secs(10) => {
                self.suppressed += 1
            }
            _ => {
                let again = if self.suppressed > 0 {
                    format!(" (and {} more times)", self.suppressed)
                } else {
                    String::new()
                };
                error!("{message}{again}; keeping the data in memory and retrying");
                self.last = Some((message, std::time::Instant::now()));
                self.suppressed = 0;
            }
        }
    }

    fn recovered(&mut self) {
        if self.last.take().is_some() {
            info!("writing works again; nothing was lost");
        }
        self.suppressed = 0;
    }
}

/// Every flush interval: record health, sync the journal, seal when due.
/// Returns the time of the health samples.
fn on_tick(
    writer: &mut RecordingWriter,
    health: &Health,
    cache: &mut Vec<Arc<understudy_core::Series>>,
    errors: &mut WriteErrors,
) -> i64 {
    let now = now_ms();
    health.update(writer.stats(), writer.open_series());
    let batch = health.samples(cache, now);
    append(writer, &batch.into(), health);
    let result = tokio::task::block_in_place(|| {
        writer.flush(now)?;
        if writer.segment_due(now) {
            writer.seal(now)?;
        }
        Ok::<_, understudy_store::StoreError>(())
    });
    match result {
        Ok(()) => {
            health.write_ok();
            errors.recovered();
        }
        Err(e) => {
            // Kept in memory and retried at the next tick; nothing sealed is lost.
            errors.failed(e.to_string());
            health.write_error(e.to_string());
        }
    }
    health.update(writer.stats(), writer.open_series());
    now
}

type HealthState = (Arc<Health>, i64);

async fn metrics(State((health, _)): State<HealthState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        health.render(),
    )
}

async fn healthz(State((health, max_age)): State<HealthState>) -> impl IntoResponse {
    match health.check(now_ms(), max_age) {
        Ok(()) => (StatusCode::OK, "ok\n".to_owned()),
        Err(why) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("unhealthy: {why}\n"),
        ),
    }
}

/// The sink one source sends into. While the source is down it holds the
/// start of its gap, and closes the gap with the first batch that arrives.
#[derive(Debug)]
struct SourceSink {
    name: String,
    tx: mpsc::Sender<TimelineBatch>,
    gap: Mutex<Option<(i64, String)>>,
}

impl SourceSink {
    fn new(name: &str, tx: mpsc::Sender<TimelineBatch>) -> Self {
        SourceSink {
            name: name.into(),
            tx,
            gap: Mutex::new(None),
        }
    }

    fn open_gap(&self, start_ms: i64, reason: String) {
        let mut g = self.gap.lock().unwrap_or_else(|e| e.into_inner());
        // An outage that continues keeps its first start.
        g.get_or_insert((start_ms, reason));
    }

    fn take_gap(&self, end_ms: i64) -> Option<Gap> {
        let (start_ms, reason) = self.gap.lock().unwrap_or_else(|e| e.into_inner()).take()?;
        Some(Gap {
            source: self.name.clone(),
            start_ms,
            end_ms: Some(end_ms),
            reason,
        })
    }
}

impl Sink for SourceSink {
    fn send(&self, mut batch: TimelineBatch) -> BoxFuture<'_, Result<(), SinkClosed>> {
        Box::pin(async move {
            if let Some(gap) = self.take_gap(now_ms()) {
                batch.gaps.push(gap);
            }
            self.tx.send(batch).await.map_err(|_| SinkClosed)
        })
    }
}

/// Runs a source until shutdown: every failure is counted, opens a gap, and
/// is followed by a retry after an exponential backoff (1 s doubling to 60 s,
/// reset once the source delivers again).
async fn supervise(mut source: Box<dyn Source>, sink: Arc<SourceSink>, health: Arc<Health>) {
    let name = source.name().to_owned();
    health.source_error(&name, 0);
    let mut backoff = Duration::from_secs(1);
    loop {
        let result = source.run(sink.as_ref()).await;
        let reason = match result {
            Err(SourceError::SinkClosed(_)) => return,
            Ok(()) => "source stopped by itself".to_owned(),
            Err(SourceError::Unavailable(msg)) => msg,
            Err(SourceError::Fatal(msg)) => {
                error!(
                    "source {name} cannot run: {msg}; it stays off for the rest of the recording"
                );
                health.source_error(&name, 1);
                sink.open_gap(now_ms(), format!("source failed permanently: {msg}"));
                return;
            }
        };
        let delivered_since = sink.gap.lock().unwrap_or_else(|e| e.into_inner()).is_none();
        if delivered_since {
            backoff = Duration::from_secs(1);
        }
        warn!(
            "source {name}: {reason}; retrying in {}",
            humantime::format_duration(backoff)
        );
        health.source_error(&name, 1);
        sink.open_gap(now_ms(), reason);
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(60));
    }
}

/// The one-line status shown on a terminal.
#[derive(Debug, Default)]
struct Status;

impl Status {
    fn show(&mut self, dir: &std::path::Path, writer: &RecordingWriter) {
        let s = writer.stats();
        output::status(format_args!(
            "\r\x1b[2Krecording {} · {} samples · {} objects · {} segments sealed",
            dir.display(),
            human::count(s.samples_written),
            human::count(s.objects_written),
            s.segments_sealed
        ));
    }
}

#[cfg(test)]
mod tests {
    use understudy_core::{Labels, SampleBatch, Series};

    use super::*;

    /// A source that fails `failures` times, then delivers one sample per run.
    #[derive(Debug)]
    struct Flaky {
        failures: u32,
        series: Arc<Series>,
    }

    impl Source for Flaky {
        fn name(&self) -> &str {
            "flaky[0]"
        }

        fn config(&self) -> serde_json::Value {
            serde_json::json!({})
        }

        fn run<'a>(&'a mut self, sink: &'a dyn Sink) -> BoxFuture<'a, Result<(), SourceError>> {
            Box::pin(async move {
                if self.failures > 0 {
                    self.failures -= 1;
                    return Err(SourceError::Unavailable("connection refused".into()));
                }
                let mut batch = SampleBatch::default();
                batch.push(&self.series, now_ms(), 1.0);
                sink.send(batch.into()).await?;
                std::future::pending().await
            })
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_failing_source_is_retried_with_backoff_and_its_outage_is_one_gap() {
        let (tx, mut rx) = mpsc::channel(8);
        let sink = Arc::new(SourceSink::new("flaky[0]", tx));
        let health = Arc::new(Health::default());
        let series = Arc::new(Series::new("up", Labels::new()).expect("valid"));
        let source = Box::new(Flaky {
            failures: 3,
            series,
        });
        let started = tokio::time::Instant::now();
        tokio::spawn(supervise(source, Arc::clone(&sink), Arc::clone(&health)));
        let batch = rx
            .recv()
            .await
            .expect("the source delivers after its failures");
        // Backoff 1 s + 2 s + 4 s before the fourth run.
        assert_eq!(started.elapsed().as_secs(), 7);
        assert_eq!(batch.samples.len(), 1);
        assert_eq!(
            batch.gaps.len(),
            1,
            "three failures in a row are one outage"
        );
        assert_eq!(batch.gaps[0].source, "flaky[0]");
        assert_eq!(batch.gaps[0].reason, "connection refused");
        assert!(
            health
                .render()
                .contains("understudy_source_errors_total{source=\"flaky[0]\"} 3")
        );
    }
}

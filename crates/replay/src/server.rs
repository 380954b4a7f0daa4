//! The replay server: one recording in memory, one clock, the Prometheus
//! HTTP API and the presenter's control API on one listener.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::routing::{get, post};
use understudy_promql::Engine;
use understudy_timeline::ChunkStorage;

use crate::api;
use crate::clock::{Clock, ClockOptions, MAX_SPEED, Mapping, Status};
use crate::kube::timeline::Timeline;
use crate::params::{Params, duration};
use crate::queries::{Queries, QueryLimits};
use crate::recorded::Recorded;

/// What the handlers share.
#[derive(Debug)]
pub struct AppState {
    /// Every recorded series but the recorded answers, at recording times.
    pub storage: ChunkStorage,
    /// Query results recorded live, served for exactly their expression.
    pub recorded: Recorded,
    /// Where the replay is; locked briefly by every request.
    pub clock: Mutex<Clock>,
    /// Where PromQL queries run, within their limits.
    pub queries: Queries,
    /// The recording's objects, for the Kubernetes API.
    pub objects: Timeline,
    /// Which recording plays, for the people watching.
    pub recording: RecordingName,
}

/// A recording as people know it: the manifest's name (the directory's when
/// the manifest has none) and labels.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RecordingName {
    /// The manifest's name, else the directory's.
    pub name: String,
    /// The manifest's labels (`scenario = "conflict"`).
    pub labels: BTreeMap<String, String>,
}

impl RecordingName {
    fn of(dir: &Path, manifest: &understudy_store::Manifest) -> RecordingName {
        let name = if manifest.name.is_empty() {
            dir.file_name().map_or_else(
                || dir.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            )
        } else {
            manifest.name.clone()
        };
        RecordingName {
            name,
            labels: manifest.labels.clone(),
        }
    }
}

impl AppState {
    /// The clock's mapping now (see [`Clock::mapping`]).
    pub fn mapping(&self) -> Mapping {
        self.clock
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .mapping()
    }

    /// Runs `f` with the clock locked; keep it short, every request waits.
    pub fn with_clock<T>(&self, f: impl FnOnce(&mut Clock) -> T) -> T {
        f(&mut self.clock.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// How to replay.
#[derive(Debug, Clone)]
pub struct ReplayOptions {
    /// Where to begin, ms from the recording's start (`--start-at`).
    pub start_at_ms: i64,
    /// Recording ms per wall ms (`--speed`); outside (0, [`MAX_SPEED`]]
    /// it is taken as 1.
    pub speed: f64,
    /// Start over at the end (`--loop`).
    pub looping: bool,
    /// Serve original timestamps, the whole recording visible
    /// (`--no-shift`).
    pub no_shift: bool,
    /// Timeout, concurrency and samples of PromQL queries.
    pub limits: QueryLimits,
}

/// A recording loaded for replay, and its span.
#[derive(Debug)]
pub struct Loaded {
    /// Every recorded series but the recorded answers.
    pub storage: ChunkStorage,
    /// The recorded answers, by expression.
    pub recorded: Recorded,
    /// Every object revision, for the Kubernetes API.
    pub objects: Timeline,
    /// The recording's name and labels.
    pub recording: RecordingName,
    /// The span's start, ms since the epoch (see
    /// [`understudy_timeline::Timeline::span`]).
    pub start_ms: i64,
    /// The span's end, ms since the epoch.
    pub end_ms: i64,
    /// Series in `storage`.
    pub series: usize,
    /// Samples read, answers included.
    pub samples: usize,
}

/// Reads every sample of the recording into memory (through
/// `understudy-timeline`, as every reader does), the recorded answers apart,
/// and every object revision.
pub fn load(dir: &Path) -> Result<Loaded, understudy_store::StoreError> {
    let timeline = understudy_timeline::Timeline::load(dir)?;
    let recording = RecordingName::of(dir, &understudy_store::Manifest::load(dir)?);
    let recorded = Recorded::new(timeline.answers);
    Ok(Loaded {
        series: timeline.storage.len(),
        samples: timeline.samples,
        storage: timeline.storage,
        recorded,
        objects: Timeline::new(timeline.objects),
        recording,
        start_ms: timeline.span.start,
        end_ms: timeline.span.end,
    })
}

/// The handlers' state for `loaded`, its clock showing the start position
/// at `now_wall` (ms since the epoch).
pub fn state(loaded: Loaded, opts: &ReplayOptions, now_wall: i64) -> Arc<AppState> {
    let clock = Clock::new(
        ClockOptions {
            rec_start: loaded.start_ms,
            rec_end: loaded.end_ms,
            start_at_ms: opts.start_at_ms,
            speed: opts.speed,
            looping: opts.looping,
            no_shift: opts.no_shift,
        },
        now_wall,
    );
    Arc::new(AppState {
        storage: loaded.storage,
        recorded: loaded.recorded,
        clock: Mutex::new(clock),
        queries: Queries::new(opts.limits.clone(), Engine::default()),
        objects: loaded.objects,
        recording: loaded.recording,
    })
}

/// Every route: the Prometheus API (GET and form POST as Grafana uses them),
/// `/metrics`, readiness, and `/-/replay`.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/api/v1/query", get(api::query).post(api::query))
        .route(
            "/api/v1/query_range",
            get(api::query_range).post(api::query_range),
        )
        .route("/api/v1/series", get(api::series).post(api::series))
        .route("/api/v1/labels", get(api::labels).post(api::labels))
        .route("/api/v1/label/{name}/values", get(api::label_values))
        .route("/api/v1/status/buildinfo", get(api::buildinfo))
        .route("/api/v1/metadata", get(api::metadata))
        .route(
            "/api/v1/query_exemplars",
            get(api::exemplars).post(api::exemplars),
        )
        .route("/api/v1/rules", get(api::rules))
        .route(
            "/api/v1/format_query",
            get(api::format_query).post(api::format_query),
        )
        .route("/metrics", get(api::metrics))
        .route(
            "/-/ready",
            get(|| async { "Prometheus Server is Ready.\n" }),
        )
        .route(
            "/-/healthy",
            get(|| async { "Prometheus Server is Healthy.\n" }),
        )
        .route("/-/replay", get(status))
        .route("/-/replay/pause", post(pause))
        .route("/-/replay/resume", post(resume))
        .route("/-/replay/seek", post(seek))
        .route("/-/replay/speed", post(speed))
        .fallback(api::not_found)
        .with_state(state)
}

fn status_response(s: Status) -> Response {
    api::success(serde_json::to_value(s).unwrap_or_default())
}

async fn status(State(state): State<Arc<AppState>>) -> Response {
    status_response(state.with_clock(|c| c.status()))
}

async fn pause(State(state): State<Arc<AppState>>) -> Response {
    status_response(state.with_clock(|c| {
        c.pause();
        c.status()
    }))
}

async fn resume(State(state): State<Arc<AppState>>) -> Response {
    status_response(state.with_clock(|c| {
        c.resume();
        c.status()
    }))
}

async fn seek(State(state): State<Arc<AppState>>, RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q.as_deref(), b"");
    match p.get("to").and_then(duration) {
        Some(ms) => status_response(state.with_clock(|c| {
            c.seek(ms);
            c.status()
        })),
        None => api::error(
            "bad_data",
            axum::http::StatusCode::BAD_REQUEST,
            "invalid parameter \"to\": give an offset into the recording, e.g. to=5m",
        ),
    }
}

async fn speed(State(state): State<Arc<AppState>>, RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q.as_deref(), b"");
    match p
        .get("value")
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|v| *v > 0.0 && *v <= MAX_SPEED)
    {
        Some(v) => status_response(state.with_clock(|c| {
            c.set_speed(v);
            c.status()
        })),
        None => api::error(
            "bad_data",
            axum::http::StatusCode::BAD_REQUEST,
            &format!(
                "invalid parameter \"value\": give a speed above 0 and at most {MAX_SPEED}, e.g. value=2"
            ),
        ),
    }
}

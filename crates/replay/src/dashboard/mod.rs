//! The stage dashboard: a page at `/` that shows a Grafana dashboard's
//! panels by itself — in a browser, offline, from the replay's own
//! Prometheus API — with a ticker of scaling events and the presenter's
//! controls. The same page works live against a real Prometheus
//! (`understudy dashboard`), where the CLI proxies the queries.
//!
//! Everything is embedded: the page, its script and style, and uPlot
//! (`crates/uplot`). Every answer carries a Content-Security-Policy that
//! allows only this origin: no inline script, no network elsewhere.
//!
//! The page names what it shows (the recording, or the Prometheus it
//! follows) and, before a recording's load arrives, counts down to it:
//! `/dashboard/spec.json` carries both beside the panels.

mod events;
mod spec;

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use serde_json::json;
use understudy_promql::{MatchOp, Matcher, Queryable, Series};

use crate::params::Params;
use crate::server::{AppState, RecordingName};
pub use events::TickerEvent;
pub use spec::{DEFAULT_DASHBOARD, Mode, Spec};

const INDEX: &str = include_str!("../../assets/dashboard/index.html");
const APP_JS: &str = include_str!("../../assets/dashboard/app.js");
const APP_CSS: &str = include_str!("../../assets/dashboard/app.css");

/// Same origin only; nothing inline, nothing framed.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                       connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// What the page's handlers share.
#[derive(Debug)]
pub struct DashboardState {
    /// The page's panels and settings, served as `/dashboard/spec.json`.
    pub spec: Spec,
    /// The replay, for the ticker and the title; `None` live.
    pub replay: Option<Arc<AppState>>,
    /// The Prometheus followed live, for the title.
    prometheus: Option<String>,
    load_start: OnceLock<Option<i64>>,
    events: OnceLock<Vec<TickerEvent>>,
}

/// What the page shows, as `/dashboard/spec.json`'s `source`.
#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
enum Source<'a> {
    Recording(&'a RecordingName),
    Prometheus { url: &'a str },
}

/// `/dashboard/spec.json`: the panels, what they show and, for a
/// recording with a queue, when its load arrives (recording time).
#[derive(Debug, Serialize)]
struct PageSpec<'a> {
    #[serde(flatten)]
    spec: &'a Spec,
    source: Option<Source<'a>>,
    load_start_ms: Option<i64>,
}

impl DashboardState {
    /// The page of a replay (`replay` set) or of nothing named.
    pub fn new(spec: Spec, replay: Option<Arc<AppState>>) -> DashboardState {
        DashboardState {
            spec,
            replay,
            prometheus: None,
            load_start: OnceLock::new(),
            events: OnceLock::new(),
        }
    }

    /// The page over a live Prometheus at `url`.
    pub fn live(spec: Spec, url: String) -> DashboardState {
        DashboardState {
            prometheus: Some(url),
            ..DashboardState::new(spec, None)
        }
    }

    fn load_start(&self) -> Option<i64> {
        *self.load_start.get_or_init(|| {
            self.replay.as_ref().and_then(|r| {
                // The two metrics the rule reads, decoded once.
                let decoded: Vec<(&str, Series)> = [
                    understudy_timeline::load::STREAM_LAST_SEQ,
                    understudy_timeline::load::QUEUE_PENDING,
                ]
                .into_iter()
                .flat_map(|metric| {
                    let name = Matcher {
                        name: "__name__".to_owned(),
                        op: MatchOp::Equal,
                        value: metric.to_owned(),
                    };
                    r.storage
                        .select(&[name], i64::MIN, i64::MAX)
                        .into_iter()
                        .map(move |s| (metric, s))
                })
                .collect();
                understudy_timeline::load::load_start(|metric| {
                    let metric = metric.to_owned();
                    decoded
                        .iter()
                        .filter(move |(m, _)| *m == metric)
                        .map(|(_, s)| (s.timestamps.as_slice(), s.values.as_slice()))
                })
            })
        })
    }

    fn events(&self) -> &[TickerEvent] {
        self.events.get_or_init(|| {
            let Some(replay) = &self.replay else {
                return Vec::new();
            };
            let mut all = events::scaling_events(&replay.objects);
            if let Some(at) = self.load_start() {
                // Before the scaling events of the same moment: it causes them.
                let i = all.partition_point(|e| e.position_ms < at);
                all.insert(
                    i,
                    TickerEvent {
                        position_ms: at,
                        kind: "load",
                        text: "load arrives: the queue's first messages".to_owned(),
                    },
                );
            }
            all
        })
    }

    fn page_spec(&self) -> PageSpec<'_> {
        let source = match (&self.replay, &self.prometheus) {
            (Some(r), _) => Some(Source::Recording(&r.recording)),
            (None, Some(url)) => Some(Source::Prometheus { url }),
            (None, None) => None,
        };
        PageSpec {
            spec: &self.spec,
            source,
            load_start_ms: self.load_start(),
        }
    }
}

/// `/`, `/dashboard/*`: the page, its assets, its spec and the ticker.
pub fn router(state: Arc<DashboardState>) -> Router {
    Router::new()
        .route(
            "/",
            get(|| async { asset(INDEX, "text/html; charset=utf-8") }),
        )
        .route(
            "/dashboard/app.js",
            get(|| async { asset(APP_JS, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/dashboard/app.css",
            get(|| async { asset(APP_CSS, "text/css; charset=utf-8") }),
        )
        .route(
            "/dashboard/uplot.js",
            get(|| async { asset(understudy_uplot::JS, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/dashboard/uplot.css",
            get(|| async { asset(understudy_uplot::CSS, "text/css; charset=utf-8") }),
        )
        .route(
            "/dashboard/LICENSE-uplot.txt",
            get(|| async { asset(understudy_uplot::LICENSE, "text/plain; charset=utf-8") }),
        )
        .route("/dashboard/spec.json", get(spec_json))
        .route("/dashboard/events", get(ticker))
        .with_state(state)
}

fn secured(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    r
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut r = body.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // The binary is the version: a new build may change the page.
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    secured(r)
}

fn json_response(code: StatusCode, v: &serde_json::Value) -> Response {
    let mut r = (code, v.to_string()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    secured(r)
}

async fn spec_json(State(state): State<Arc<DashboardState>>) -> Response {
    json_response(
        StatusCode::OK,
        &serde_json::to_value(state.page_spec()).unwrap_or_default(),
    )
}

/// `?before=<display ms>&limit=N`: the latest events up to the replay's
/// "now" (newest first); `?after_position=<recording ms>&limit=N`: the next
/// ones (for "next event").
async fn ticker(State(state): State<Arc<DashboardState>>, RawQuery(q): RawQuery) -> Response {
    let Some(replay) = &state.replay else {
        return json_response(
            StatusCode::NOT_FOUND,
            &json!({"error": "no scaling events live: this dashboard follows a Prometheus"}),
        );
    };
    let p = Params::parse(q.as_deref(), b"");
    let limit = p
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(20)
        .min(500);
    let m = replay.mapping();
    let all = state.events();
    let picked: Vec<&TickerEvent> =
        if let Some(after) = p.get("after_position").and_then(|a| a.parse::<i64>().ok()) {
            // Strictly after, with a second's margin so that "next" moves on
            // from an event it just jumped to.
            let from = all.partition_point(|e| e.position_ms <= after + 1000);
            all[from..].iter().take(limit).collect()
        } else {
            let before = p
                .get("before")
                .and_then(|b| b.parse::<i64>().ok())
                .map_or(m.position, |d| m.recording(d).min(m.position));
            let to = all.partition_point(|e| e.position_ms <= before);
            all[..to].iter().rev().take(limit).collect()
        };
    let events: Vec<serde_json::Value> = picked
        .into_iter()
        .map(|e| json!({"time_ms": m.display(e.position_ms), "position_ms": e.position_ms, "kind": e.kind, "text": e.text}))
        .collect();
    json_response(StatusCode::OK, &json!({"events": events}))
}

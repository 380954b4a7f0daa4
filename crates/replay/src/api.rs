//! The Prometheus HTTP API (what Grafana's Prometheus data source calls),
//! answered from the replay view with Prometheus 2.42's shapes and errors.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value as Json, json};
use understudy_promql::{Engine, Labels, QueryError, Queryable, Value, parse_selector};

use crate::encode::query_success;
use crate::format::value;
use crate::params::{Params, duration, time};
use crate::server::AppState;
use crate::view::ReplayView;

/// Points per series a range query may ask for, as Prometheus allows.
const MAX_POINTS: i64 = 11_000;

pub fn success(data: Json) -> Response {
    json_response(StatusCode::OK, json!({"status": "success", "data": data}))
}

pub fn error(kind: &str, status: StatusCode, message: &str) -> Response {
    json_response(
        status,
        json!({"status": "error", "errorType": kind, "error": message}),
    )
}

fn bad_data(message: impl AsRef<str>) -> Response {
    error("bad_data", StatusCode::BAD_REQUEST, message.as_ref())
}

fn json_response(status: StatusCode, body: Json) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn engine_error(e: QueryError) -> Response {
    match e {
        QueryError::BadData(m) => bad_data(m),
        QueryError::Execution(m) => error("execution", StatusCode::UNPROCESSABLE_ENTITY, &m),
        QueryError::Timeout(m) => error(
            "timeout",
            StatusCode::SERVICE_UNAVAILABLE,
            &format!("query timed out in {m}"),
        ),
        QueryError::Canceled(m) => error(
            "canceled",
            StatusCode::SERVICE_UNAVAILABLE,
            &format!("query was canceled in {m}"),
        ),
    }
}

fn labels_json(l: &Labels) -> Json {
    Json::Object(
        l.0.iter()
            .map(|(k, v)| (k.clone(), Json::from(v.clone())))
            .collect::<Map<_, _>>(),
    )
}

/// A time parameter; the error is the `bad_data` message.
fn param_time(p: &Params, name: &str, default: i64) -> Result<i64, String> {
    match p.get(name) {
        None | Some("") => Ok(default),
        Some(s) => time(s).ok_or_else(|| {
            format!("invalid parameter \"{name}\": cannot parse \"{s}\" to a valid timestamp")
        }),
    }
}

/// Which endpoint asks: Prometheus 2.42 names the `query` parameter in
/// the `bad_data` errors of instant queries, and not in range queries'.
#[derive(Clone, Copy, PartialEq)]
enum Endpoint {
    Instant,
    Range,
}

impl Endpoint {
    fn error(self, e: QueryError) -> Response {
        engine_error(match self {
            Endpoint::Instant => query_param(e),
            Endpoint::Range => e,
        })
    }
}

/// Evaluates on a query thread within the server's limits
/// ([`crate::queries`]). Both the recorded-answer lookup and the engine
/// check the expression's nesting before they parse it.
async fn evaluate<F>(state: &Arc<AppState>, endpoint: Endpoint, query: String, f: F) -> Response
where
    F: FnOnce(&ReplayView<'_>, &Engine, &str) -> Result<Value, QueryError> + Send + 'static,
{
    let map = state.mapping();
    let shared = Arc::clone(state);
    let answer = state
        .queries
        .run_holding(move |engine| {
            let view = ReplayView {
                base: &shared.storage,
                map,
                recorded: Some(&shared.recorded),
            };
            f(&view, engine, &query)
        })
        .await;
    match answer {
        Ok((v, slot)) => query_success(v, slot),
        Err(e) => endpoint.error(e),
    }
}

/// Parse errors name the parameter, as Prometheus' do.
fn query_param(e: QueryError) -> QueryError {
    match e {
        QueryError::BadData(m) if !m.starts_with("invalid parameter") => {
            QueryError::BadData(format!("invalid parameter \"query\": {m}"))
        }
        e => e,
    }
}

pub async fn query(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let p = Params::parse(q.as_deref(), &body);
    let Some(query) = p.get("query").map(str::to_owned) else {
        return bad_data(
            "invalid parameter \"query\": 1:1: parse error: no expression found in input",
        );
    };
    let now = state.mapping().now_wall;
    let t = match param_time(&p, "time", now) {
        Ok(t) => t,
        Err(m) => return bad_data(m),
    };
    evaluate(
        &state,
        Endpoint::Instant,
        query,
        move |view, engine, query| match view_recorded(view, query) {
            Some(rec) => Ok(crate::recorded::instant(&rec, t, engine.lookback_ms)),
            None => engine.instant(view, query, t),
        },
    )
    .await
}

/// The recorded answers of `query` under the same mapping, when there are any.
fn view_recorded<'a>(view: &ReplayView<'a>, query: &str) -> Option<ReplayView<'a>> {
    let answers = view.recorded?.find(query)?;
    Some(ReplayView {
        base: answers,
        map: view.map,
        recorded: None,
    })
}

pub async fn query_range(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let p = Params::parse(q.as_deref(), &body);
    let Some(query) = p.get("query").map(str::to_owned) else {
        return bad_data("1:1: parse error: no expression found in input");
    };
    let (start, end) = match (p.get("start"), p.get("end")) {
        (Some(s), Some(e)) => match (time(s), time(e)) {
            (Some(s), Some(e)) => (s, e),
            (None, _) => {
                return bad_data(format!(
                    "invalid parameter \"start\": cannot parse \"{s}\" to a valid timestamp"
                ));
            }
            (_, None) => {
                return bad_data(format!(
                    "invalid parameter \"end\": cannot parse \"{e}\" to a valid timestamp"
                ));
            }
        },
        (None, _) => {
            return bad_data("invalid parameter \"start\": cannot parse \"\" to a valid timestamp");
        }
        (_, None) => {
            return bad_data("invalid parameter \"end\": cannot parse \"\" to a valid timestamp");
        }
    };
    if end < start {
        return bad_data("invalid parameter \"end\": end timestamp must not be before start time");
    }
    let step = match p.get("step").map(|s| (s, duration(s))) {
        Some((_, Some(d))) => d,
        Some((s, None)) => {
            return bad_data(format!(
                "invalid parameter \"step\": cannot parse \"{s}\" to a valid duration"
            ));
        }
        None => {
            return bad_data("invalid parameter \"step\": cannot parse \"\" to a valid duration");
        }
    };
    if step <= 0 {
        return bad_data(
            "invalid parameter \"step\": zero or negative query resolution step widths are not accepted. Try a positive integer",
        );
    }
    if end.checked_sub(start).is_none_or(|d| d / step > MAX_POINTS) {
        return bad_data(
            "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)",
        );
    }
    evaluate(
        &state,
        Endpoint::Range,
        query,
        move |view, engine, query| match view_recorded(view, query) {
            Some(rec) => Ok(crate::recorded::range(
                &rec,
                start,
                end,
                step,
                engine.lookback_ms,
            )),
            None => engine.range(view, query, start, end, step),
        },
    )
    .await
}

/// The label sets of the series `match[]` selects in `[start, end]` (all
/// of the visible data by default), found on a query thread: a selector
/// may ask about every series of the recording.
async fn matching(
    state: &Arc<AppState>,
    p: &Params,
    required: bool,
    answer: impl FnOnce(&BTreeSet<Labels>) -> Json,
) -> Response {
    let selectors: Vec<String> = p.all("match[]").into_iter().map(str::to_owned).collect();
    if selectors.is_empty() && required {
        return bad_data("no match[] parameter provided");
    }
    let map = state.mapping();
    let (start, end) = match (
        param_time(p, "start", i64::MIN / 2),
        param_time(p, "end", map.now_wall.max(map.display(map.position))),
    ) {
        (Ok(s), Ok(e)) => (s, e),
        (Err(m), _) | (_, Err(m)) => return bad_data(m),
    };
    let shared = Arc::clone(state);
    let found = state
        .queries
        .run(move |_| {
            let view = ReplayView {
                base: &shared.storage,
                map,
                recorded: None,
            };
            let all = [String::from("{__name__=~\".+\"}")];
            let selectors = if selectors.is_empty() {
                &all[..]
            } else {
                &selectors[..]
            };
            let mut out: BTreeSet<Labels> = BTreeSet::new();
            for sel in selectors {
                let matchers = parse_selector(sel).map_err(|e| {
                    QueryError::BadData(format!("invalid parameter \"match[]\": {e}"))
                })?;
                out.extend(view.labels(&matchers, start, end));
            }
            Ok(out)
        })
        .await;
    match found {
        Ok(set) => success(answer(&set)),
        Err(e) => engine_error(e),
    }
}

pub async fn series(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let p = Params::parse(q.as_deref(), &body);
    matching(&state, &p, true, |set| {
        Json::Array(set.iter().map(labels_json).collect())
    })
    .await
}

pub async fn labels(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let p = Params::parse(q.as_deref(), &body);
    matching(&state, &p, false, |set| {
        let names: BTreeSet<&str> = set
            .iter()
            .flat_map(|l| l.0.iter().map(|(k, _)| k.as_str()))
            .collect();
        json!(names)
    })
    .await
}

pub async fn label_values(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let p = Params::parse(q.as_deref(), &body);
    if !valid_label_name(&name) {
        return bad_data(format!("invalid label name: \"{name}\""));
    }
    matching(&state, &p, false, move |set| {
        let values: BTreeSet<&str> = set.iter().filter_map(|l| l.get(&name)).collect();
        json!(values)
    })
    .await
}

fn valid_label_name(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(f) if f.is_ascii_alphabetic() || f == '_')
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
}

pub async fn buildinfo() -> Response {
    // No `features` key: with one, Grafana takes the server for Mimir.
    success(json!({
        "version": "2.42.0",
        "revision": concat!("understudy-", env!("CARGO_PKG_VERSION")),
        "branch": "understudy",
        "buildUser": "understudy",
        "buildDate": "20230131-00:00:00",
        "goVersion": "go1.19.5",
    }))
}

pub async fn metadata() -> Response {
    success(json!({}))
}

pub async fn exemplars() -> Response {
    success(json!([]))
}

pub async fn rules() -> Response {
    success(json!({"groups": []}))
}

pub async fn format_query(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let p = Params::parse(q.as_deref(), &body);
    let query = p.get("query").unwrap_or("").to_owned();
    // Printing recurses over the tree: on a query thread, like evaluation.
    match state
        .queries
        .run(move |_| understudy_promql::format_query(&query))
        .await
    {
        Ok(text) => success(Json::from(text)),
        Err(e) => engine_error(query_param(e)),
    }
}

/// `/metrics`: the current replay values in the text exposition format.
pub async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let map = state.mapping();
    let now = map.now_wall;
    let view = ReplayView {
        base: &state.storage,
        map,
        recorded: None,
    };
    let all = parse_selector("{__name__=~\".+\"}").unwrap_or_default();
    let mut by_name: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for s in view.select(&all, now - state.queries.engine().lookback_ms, now) {
        let Some(&v) = s.values.last() else { continue };
        if v.to_bits() == 0x7ff0_0000_0000_0002 {
            continue;
        }
        let name = s.labels.get("__name__").unwrap_or_default().to_owned();
        let labels: Vec<String> = s
            .labels
            .0
            .iter()
            .filter(|(k, _)| k != "__name__")
            .map(|(k, v)| {
                format!(
                    "{k}=\"{}\"",
                    v.replace('\\', "\\\\")
                        .replace('"', "\\\"")
                        .replace('\n', "\\n")
                )
            })
            .collect();
        let line = if labels.is_empty() {
            format!("{name} {}", value(v))
        } else {
            format!("{name}{{{}}} {}", labels.join(","), value(v))
        };
        by_name.entry(name).or_default().push(line);
    }
    let mut out = String::new();
    for (name, lines) in by_name {
        out.push_str(&format!("# TYPE {name} untyped\n"));
        for l in lines {
            out.push_str(&l);
            out.push('\n');
        }
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}

pub async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "404 page not found\n").into_response()
}

//! The Kubernetes API of a replay: what `kubectl` and kube-rs clients ask a
//! cluster, answered from the recording at the replay position, read-only.
//!
//! - Discovery (`/version`, `/api`, `/apis`, group and resource lists;
//!   aggregated discovery when asked for) for Kubernetes' own kinds and the custom resources whose CRD was recorded.
//! - get, list (label and field selectors, `limit`/`continue`) and watch
//!   (every revision streamed as the clock plays through it, nothing while
//!   paused; bookmarks). Watches outlive the clock's jumps: a seek, or a
//!   loop starting over, sends each watch the net difference to the new
//!   position ([`watch`]) — after a seek back, DELETED for objects not
//!   created yet, ADDED for those deleted since, MODIFIED with the earlier
//!   revision of the rest — and resourceVersions keep growing across jumps
//!   ([`versions`]), so clients never need to list again.
//! - Server-side printing (`as=Table`) with the columns the API server
//!   prints (`table.rs`).
//! - Polled raw answers (custom and external metrics APIs) as recorded,
//!   else custom metrics built from recorded series (`metrics.rs`).
//! - Every write answers 405: a replay changes nothing.
//!
//! Object timestamps are shifted like samples (`shift.rs`).

#[cfg(test)]
mod fixtures;
mod metrics;
mod resources;
mod shift;
mod table;
pub mod timeline;
pub mod versions;
pub mod watch;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::Response;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use understudy_kube_wire::{
    AGGREGATED, Filter, error, event_line, flag, not_found_object, not_found_path, query,
    read_only, respond, respond_as, segments, streaming, version,
};

use crate::server::AppState;
use resources::NAMESPACES;
use shift::shifted;
use table::{Include, table};
use timeline::Timeline;
use versions::Now;
use watch::Watcher;

/// How often a watch looks at the clock.
const WATCH_TICK: Duration = Duration::from_millis(100);
/// How often a watch that allows them gets a BOOKMARK.
const BOOKMARK_EVERY: Duration = Duration::from_secs(10);

/// What the Kubernetes API handlers share.
#[derive(Debug)]
pub struct KubeState {
    /// The replay whose clock and objects are served.
    pub app: Arc<AppState>,
    /// The recording's name, for the 405 message.
    pub recording: String,
}

impl KubeState {
    /// The state serving `app`'s objects; `recording` names it in messages.
    pub fn new(app: Arc<AppState>, recording: String) -> KubeState {
        KubeState { app, recording }
    }
}

/// The router of the Kubernetes API: one fallback handler, as the API
/// server's paths are a grammar rather than a list.
pub fn router(state: Arc<KubeState>) -> axum::Router {
    axum::Router::new().fallback(handle).with_state(state)
}

/// A kubeconfig for this API (plain HTTP on loopback, no credentials).
pub fn kubeconfig(server: &str, namespace: Option<&str>) -> String {
    let ns = namespace.map_or(String::new(), |n| format!("\n    namespace: {n}"));
    format!(
        "# Written by `understudy replay`: kubectl talks to the replay, read-only.\n\
         apiVersion: v1\nkind: Config\nclusters:\n- name: understudy-replay\n  cluster:\n    server: {server}\n\
         contexts:\n- name: understudy-replay\n  context:\n    cluster: understudy-replay\n    user: understudy-replay{ns}\n\
         current-context: understudy-replay\nusers:\n- name: understudy-replay\n  user: {{}}\npreferences: {{}}\n"
    )
}

async fn handle(
    State(state): State<Arc<KubeState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if let Some(refused) = read_only(
        &method,
        uri.path(),
        &format!("this is a replay of the recording {}", state.recording),
    ) {
        return refused;
    }
    let segs = segments(uri.path());
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let q = query(uri.query());
    let m = state.app.mapping();
    let timeline = &state.app.objects;
    let path_and_query = uri.path_and_query().map_or(uri.path(), |pq| pq.as_str());
    if let Some(body) = timeline.raw(path_and_query, m.position) {
        return raw_answer(body, &m);
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .unwrap_or_default();
    let as_table = accept.contains("as=Table");
    let aggregated = accept.split(',').any(|t| {
        t.contains("as=APIGroupDiscoveryList") && t.contains("v=v2") && !t.contains("v=v2beta1")
    });
    match segs.as_slice() {
        ["version"] => respond(StatusCode::OK, &version()),
        ["api"] if aggregated => respond_as(
            StatusCode::OK,
            &timeline.resources.aggregated(true),
            AGGREGATED,
        ),
        ["apis"] if aggregated => respond_as(
            StatusCode::OK,
            &timeline.resources.aggregated(false),
            AGGREGATED,
        ),
        ["api"] => respond(
            StatusCode::OK,
            &json!({"kind": "APIVersions", "versions": ["v1"],
                    "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": uri.authority().map_or("127.0.0.1", |a| a.as_str())}]}),
        ),
        ["apis"] => respond(StatusCode::OK, &timeline.resources.group_list()),
        ["apis", g] => match timeline.resources.group(g) {
            Some(v) => respond(StatusCode::OK, &v),
            None => not_found_path(),
        },
        ["api", "v1"] => list_or_404(timeline.resources.resource_list("", "v1")),
        [
            "apis",
            "custom.metrics.k8s.io",
            "v1beta1",
            "namespaces",
            ns,
            "pods",
            pod,
            metric,
        ] => match metrics::pod_metric(&state.app.storage, &m, ns, pod, metric) {
            Some(v) => respond(StatusCode::OK, &v),
            None => error(
                404,
                "NotFound",
                &format!("the server could not find the metric {metric} for pods"),
                None,
            ),
        },
        ["apis", g, v] => list_or_404(timeline.resources.resource_list(g, v)),
        ["api", "v1", rest @ ..] => objects(&state, "", "v1", rest, &q, as_table),
        ["apis", g, v, rest @ ..] => objects(&state, g, v, rest, &q, as_table),
        _ => not_found_path(),
    }
}

fn list_or_404(v: Option<Value>) -> Response {
    match v {
        Some(v) => respond(StatusCode::OK, &v),
        None => not_found_path(),
    }
}

/// A recorded raw answer, its times shifted, with the recorded status code.
fn raw_answer(body: &str, m: &crate::clock::Mapping) -> Response {
    let Ok(v) = serde_json::from_str::<Value>(body) else {
        return error(
            500,
            "InternalError",
            "the recorded answer is not JSON",
            None,
        );
    };
    let code = if v["kind"] == "Status" {
        v["code"]
            .as_u64()
            .and_then(|c| u16::try_from(c).ok())
            .unwrap_or(500)
    } else {
        200
    };
    respond(
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        &shifted(&v, m),
    )
}

/// Namespaces that hold objects at `p` and were not recorded themselves.
fn implied_namespace(name: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "resourceVersion": "1",
                     "labels": {"kubernetes.io/metadata.name": name}},
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    })
}

/// The objects of one resource in the state at the timeline's `rv`, sorted
/// by namespace and name as the API server lists them (the timeline keeps
/// that order); as recorded, as a page of a long list is all a request
/// shows.
pub(crate) fn snapshot(timeline: &Timeline, filter: &Filter, rv: u64) -> Vec<Arc<Value>> {
    let mut out: Vec<Arc<Value>> = timeline
        .state_at(filter.resource, rv)
        .into_iter()
        .filter(|c| filter.matches(filter.resource, &c.object))
        .map(|c| Arc::clone(&c.object))
        .collect();
    if filter.resource == NAMESPACES {
        for ns in timeline.namespaces_at(rv) {
            let implied = implied_namespace(&ns);
            if filter.matches(NAMESPACES, &implied)
                && !out.iter().any(|o| o["metadata"]["name"] == ns.as_str())
            {
                out.push(Arc::new(implied));
            }
        }
        out.sort_by(|a, b| list_key(a).cmp(&list_key(b)));
    }
    out
}

fn list_key(o: &Value) -> (&str, &str) {
    (
        o["metadata"]["namespace"].as_str().unwrap_or_default(),
        o["metadata"]["name"].as_str().unwrap_or_default(),
    )
}

fn objects(
    state: &Arc<KubeState>,
    group: &str,
    version: &str,
    rest: &[&str],
    q: &HashMap<String, String>,
    as_table: bool,
) -> Response {
    let (ns, resource, name) = match rest {
        ["namespaces", ns, r] => (Some(*ns), *r, None),
        ["namespaces", ns, r, n] | ["namespaces", ns, r, n, "status"] => (Some(*ns), *r, Some(*n)),
        [r] => (None, *r, None),
        [r, n] => (None, *r, Some(*n)),
        _ => return not_found_path(),
    };
    let timeline = &state.app.objects;
    let Some(idx) = timeline.resources.by_path(group, version, resource) else {
        return not_found_path();
    };
    let res = timeline.resources.get(idx).clone();
    let now = Now::take(&state.app);
    let m = &now.mapping;
    let include = Include::parse(q.get("includeObject").map(String::as_str));
    if let Some(name) = name {
        let found = if idx == NAMESPACES {
            timeline
                .get(idx, "", name, m.position)
                .map(|c| now.object(&c.object))
                .or_else(|| {
                    timeline
                        .namespaces(m.position)
                        .contains(&name.to_owned())
                        .then(|| now.object(&implied_namespace(name)))
                })
        } else {
            timeline
                .get(idx, ns.unwrap_or_default(), name, m.position)
                .map(|c| now.object(&c.object))
        };
        return match found {
            Some(o) if as_table => {
                let rv = o["metadata"]["resourceVersion"]
                    .as_str()
                    .unwrap_or("0")
                    .to_owned();
                respond(
                    StatusCode::OK,
                    &table(&res, &[&o], m.now_wall, include, &rv, None),
                )
            }
            Some(o) => respond(StatusCode::OK, &o),
            None => not_found_object(group, resource, name),
        };
    }
    let filter = match Filter::new(idx, ns.filter(|_| res.namespaced), q) {
        Ok(f) => f,
        Err(why) => return error(400, "BadRequest", &why.to_string(), None),
    };
    if flag(q, "watch") {
        return watch_stream(Arc::clone(state), filter, q, as_table, include);
    }
    let all = snapshot(timeline, &filter, now.local);
    let rv = now.rv().to_string();
    let start: usize = q.get("continue").and_then(|c| c.parse().ok()).unwrap_or(0);
    let limit: usize = q
        .get("limit")
        .and_then(|l| l.parse().ok())
        .filter(|l| *l > 0)
        .unwrap_or(usize::MAX);
    let next = start.saturating_add(limit);
    let page = all.iter().skip(start).take(limit);
    let mut body = if as_table && m.speed == 1.0 && !m.no_shift {
        // At 1× a duration on the recording's clock is the same on the
        // display's: the rows are computed from the objects as recorded
        // at the position, and only what they carry is served.
        let refs: Vec<&Value> = page.map(|o| &**o).collect();
        table(&res, &refs, m.position, include, &rv, Some(&now))
    } else if as_table {
        let served: Vec<Value> = page.map(|o| now.object(o)).collect();
        let refs: Vec<&Value> = served.iter().collect();
        table(&res, &refs, m.now_wall, include, &rv, None)
    } else {
        let items: Vec<Value> = page.map(|o| now.object(o)).collect();
        json!({
            "kind": format!("{}List", res.kind),
            "apiVersion": res.api_version(),
            "metadata": {"resourceVersion": rv},
            "items": items,
        })
    };
    if next < all.len() {
        body["metadata"]["continue"] = json!(next.to_string());
        body["metadata"]["remainingItemCount"] = json!(all.len() - next);
    }
    respond(StatusCode::OK, &body)
}

/// A watch: the changes after the client's resourceVersion (or the current
/// state as ADDED), then, each tick, what brings the client to the replay
/// position ([`watch`]) — the changes the clock played through, or the net
/// difference after a jump.
fn watch_stream(
    state: Arc<KubeState>,
    filter: Filter,
    q: &HashMap<String, String>,
    as_table: bool,
    include: Include,
) -> Response {
    let from: Option<u64> = q.get("resourceVersion").and_then(|v| v.parse().ok());
    let bookmarks = flag(q, "allowWatchBookmarks");
    let timeout = q
        .get("timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .map(Duration::from_secs);
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(64);
    tokio::spawn(async move {
        let timeline = &state.app.objects;
        let res = timeline.resources.get(filter.resource).clone();
        let line = |e: watch::Event| -> Bytes {
            if as_table {
                let rv = e.object["metadata"]["resourceVersion"]
                    .as_str()
                    .unwrap_or("0")
                    .to_owned();
                let t = table(&res, &[&e.object], e.printed_at, include, &rv, None);
                event_line(e.kind, &t)
            } else {
                event_line(e.kind, &e.object)
            }
        };
        let now = Now::take(&state.app);
        let (mut watcher, initial) = match Watcher::start(timeline, filter, from, &now) {
            Ok(started) => started,
            Err(st) => {
                let _ = tx.send(Ok(event_line("ERROR", &st))).await;
                return;
            }
        };
        for e in initial {
            if tx.send(Ok(line(e))).await.is_err() {
                return;
            }
        }
        let started = tokio::time::Instant::now();
        let mut last_bookmark = started;
        loop {
            tokio::time::sleep(WATCH_TICK).await;
            if timeout.is_some_and(|t| started.elapsed() >= t) {
                return;
            }
            let now = Now::take(&state.app);
            for e in watcher.step(timeline, &now) {
                if tx.send(Ok(line(e))).await.is_err() {
                    return;
                }
            }
            if bookmarks && last_bookmark.elapsed() >= BOOKMARK_EVERY {
                last_bookmark = tokio::time::Instant::now();
                let b = json!({"kind": res.kind, "apiVersion": res.api_version(),
                               "metadata": {"resourceVersion": now.rv().to_string()}});
                if tx.send(Ok(event_line("BOOKMARK", &b))).await.is_err() {
                    return;
                }
            }
            if tx.is_closed() {
                return;
            }
        }
    });
    streaming(rx)
}

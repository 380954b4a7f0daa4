//! The HTTP side: discovery, list, get, watch; every write is 405.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use axum::response::Response;
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};
// The wire protocol is the replay's too: one implementation of selectors,
// Status objects and watch streams for both servers.
use understudy_kube_wire::{
    Filter, error, event_line, not_found_path, query, read_only, respond, segments, status,
    streaming, version,
};

use super::resources::{self, RESOURCES};
use super::{Change, Shared};

pub(crate) fn router(shared: Arc<Shared>) -> axum::Router {
    axum::Router::new().fallback(handle).with_state(shared)
}

async fn handle(State(shared): State<Arc<Shared>>, method: Method, uri: Uri) -> Response {
    let segs = segments(uri.path());
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    if let Some(refused) = read_only(&method, uri.path(), "this is the fixture API server") {
        return refused;
    }
    let raw = uri
        .path_and_query()
        .and_then(|pq| shared.raw.lock().expect("lock").get(pq.as_str()).cloned());
    if let Some((code, body)) = raw {
        return respond(
            StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            &body,
        );
    }
    let hidden = shared.hidden.lock().expect("lock").clone();
    let q = query(uri.query());
    match segs.as_slice() {
        ["version"] => respond(StatusCode::OK, &version()),
        ["api"] => respond(
            StatusCode::OK,
            &json!({
                "kind": "APIVersions",
                "versions": ["v1"],
                "serverAddressByClientCIDRs": [
                    {"clientCIDR": "0.0.0.0/0", "serverAddress": format!("127.0.0.1:{}", shared.port)}
                ],
            }),
        ),
        ["apis"] => respond(StatusCode::OK, &group_list(&hidden)),
        ["apis", g] => match group_list(&hidden)["groups"]
            .as_array()
            .and_then(|gs| gs.iter().find(|x| x["name"] == *g))
        {
            Some(grp) => {
                let mut grp = grp.clone();
                grp["kind"] = json!("APIGroup");
                grp["apiVersion"] = json!("v1");
                respond(StatusCode::OK, &grp)
            }
            None => not_found_path(),
        },
        ["api", "v1"] => resource_list("", "v1", &hidden),
        ["apis", g, v] => resource_list(g, v, &hidden),
        ["api", "v1", rest @ ..] => objects(&shared, "", "v1", rest, &q),
        ["apis", g, v, rest @ ..] => objects(&shared, g, v, rest, &q),
        _ => not_found_path(),
    }
}

fn group_list(hidden: &HashSet<usize>) -> Value {
    let groups: Vec<Value> = resources::groups(hidden)
        .into_iter()
        .filter(|(g, _)| !g.is_empty())
        .map(|(g, vs)| {
            let versions: Vec<Value> = vs
                .iter()
                .map(|v| json!({"groupVersion": format!("{g}/{v}"), "version": v}))
                .collect();
            json!({
                "name": g,
                "versions": versions,
                "preferredVersion": versions[0],
            })
        })
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

fn resource_list(group: &str, version: &str, hidden: &HashSet<usize>) -> Response {
    let rs: Vec<Value> = RESOURCES
        .iter()
        .enumerate()
        .filter(|(i, r)| r.group == group && r.version == version && !hidden.contains(i))
        .map(|(_, r)| {
            json!({
                "name": r.resource,
                "singularName": r.singular,
                "namespaced": r.namespaced,
                "kind": r.kind,
                "verbs": ["get", "list", "watch"],
                "shortNames": r.short_names,
            })
        })
        .collect();
    if rs.is_empty() {
        return not_found_path();
    }
    let gv = if group.is_empty() {
        version.to_owned()
    } else {
        format!("{group}/{version}")
    };
    respond(
        StatusCode::OK,
        &json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": rs}),
    )
}

fn objects(
    shared: &Arc<Shared>,
    group: &str,
    version: &str,
    rest: &[&str],
    q: &HashMap<String, String>,
) -> Response {
    let (ns, resource, name) = match rest {
        ["namespaces", ns, r] => (Some(*ns), *r, None),
        ["namespaces", ns, r, n] | ["namespaces", ns, r, n, "status"] => (Some(*ns), *r, Some(*n)),
        [r] => (None, *r, None),
        [r, n] => (None, *r, Some(*n)),
        _ => return not_found_path(),
    };
    let Some(idx) = resources::by_path(group, version, resource)
        .filter(|i| !shared.hidden.lock().expect("lock").contains(i))
    else {
        return not_found_path();
    };
    let res = RESOURCES[idx];
    if shared.forbidden.lock().expect("lock").contains(&idx) {
        return forbidden(res, ns, name, q);
    }
    if let Some(name) = name {
        let inner = shared.inner.lock().expect("lock");
        let key = (idx, ns.unwrap_or_default().to_owned(), name.to_owned());
        let implied = (idx == resources::NAMESPACES)
            .then(|| implied_namespaces(&inner.objects))
            .and_then(|mut m| m.remove(name));
        return match inner.objects.get(&key).cloned().or(implied) {
            Some(o) => respond(StatusCode::OK, &o),
            None => {
                let qualified = if group.is_empty() {
                    res.resource.to_owned()
                } else {
                    format!("{}.{group}", res.resource)
                };
                error(
                    404,
                    "NotFound",
                    &format!("{qualified} \"{name}\" not found"),
                    Some(json!({"name": name, "group": group, "kind": res.resource})),
                )
            }
        };
    }
    // A selector the API server refuses is a 400 there too.
    let filter = match Filter::new(idx, ns, q) {
        Ok(f) => f,
        Err(why) => return error(400, "BadRequest", &why.to_string(), None),
    };
    if q.get("watch").is_some_and(|w| w == "true" || w == "1") {
        return watch(shared, filter, q);
    }
    let inner = shared.inner.lock().expect("lock");
    let mut all: Vec<&Value> = inner
        .objects
        .iter()
        .filter(|((i, _, _), o)| filter.matches(*i, o))
        .map(|(_, o)| o)
        .collect();
    let implied = if idx == resources::NAMESPACES {
        implied_namespaces(&inner.objects)
    } else {
        BTreeMap::new()
    };
    let extra: Vec<&Value> = implied
        .values()
        .filter(|o| {
            filter.matches(idx, o)
                && !all
                    .iter()
                    .any(|a| a["metadata"]["name"] == o["metadata"]["name"])
        })
        .collect();
    all.extend(extra);
    let start: usize = q.get("continue").and_then(|c| c.parse().ok()).unwrap_or(0);
    let limit: usize = q
        .get("limit")
        .and_then(|l| l.parse().ok())
        .filter(|l| *l > 0)
        .unwrap_or(usize::MAX);
    let items: Vec<Value> = all
        .iter()
        .skip(start)
        .take(limit)
        .map(|o| (*o).clone())
        .collect();
    let mut meta = json!({"resourceVersion": inner.rv.to_string()});
    let next = start.saturating_add(limit);
    if next < all.len() {
        meta["continue"] = json!(next.to_string());
        meta["remainingItemCount"] = json!(all.len() - next);
    }
    respond(
        StatusCode::OK,
        &json!({
            "kind": format!("{}List", res.kind),
            "apiVersion": res.api_version(),
            "metadata": meta,
            "items": items,
        }),
    )
}

/// 403 as the RBAC authorizer words it.
fn forbidden(
    res: resources::Resource,
    ns: Option<&str>,
    name: Option<&str>,
    q: &HashMap<String, String>,
) -> Response {
    let verb = if name.is_some() {
        "get"
    } else if q.get("watch").is_some_and(|w| w == "true" || w == "1") {
        "watch"
    } else {
        "list"
    };
    let subject = match name {
        Some(n) => format!("{} \"{n}\"", res.resource),
        None => res.resource.to_owned(),
    };
    let scope = match ns {
        Some(ns) => format!(" in the namespace \"{ns}\""),
        None => " at the cluster scope".to_owned(),
    };
    let message = format!(
        "{subject} is forbidden: User \"system:serviceaccount:understudy:understudy\" cannot {verb} resource \"{}\" in API group \"{}\"{scope}",
        res.resource, res.group
    );
    let mut details = json!({"kind": res.resource});
    if let Some(n) = name {
        details["name"] = json!(n);
    }
    if !res.group.is_empty() {
        details["group"] = json!(res.group);
    }
    error(403, "Forbidden", &message, Some(details))
}

/// Namespaces that hold objects but were never applied: `Active`.
fn implied_namespaces(
    objects: &BTreeMap<(usize, String, String), Value>,
) -> BTreeMap<String, Value> {
    objects
        .keys()
        .filter(|(_, ns, _)| !ns.is_empty())
        .map(|(_, ns, _)| {
            let o = json!({
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {
                    "name": ns,
                    "uid": format!("6c1e0000-0000-4000-9000-{:012x}", ns.len()),
                    "resourceVersion": "1",
                    "creationTimestamp": "2025-01-01T00:00:00Z",
                    "labels": {"kubernetes.io/metadata.name": ns},
                },
                "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"},
            });
            (ns.clone(), o)
        })
        .collect()
}

fn watch(shared: &Arc<Shared>, filter: Filter, q: &HashMap<String, String>) -> Response {
    let from: Option<u64> = q
        .get("resourceVersion")
        .filter(|v| !v.is_empty())
        .map(|v| v.parse().unwrap_or(0));
    let bookmarks = q
        .get("allowWatchBookmarks")
        .is_some_and(|b| b == "true" || b == "1");
    let timeout = q
        .get("timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .map(Duration::from_secs);
    let res = RESOURCES[filter.resource];
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(64);
    let mut initial = Vec::new();
    let (mut changes, mut seen) = {
        let inner = shared.inner.lock().expect("lock");
        match from {
            Some(n) if n != 0 && n < inner.oldest => {
                let st = status(
                    410,
                    "Expired",
                    &format!("too old resource version: {n} ({})", inner.oldest),
                    None,
                );
                initial.push(event_line("ERROR", &st));
                let _ = tx.try_send(Ok(initial.remove(0)));
                drop(tx);
                return streaming(rx);
            }
            Some(n) if n != 0 => initial.extend(
                inner
                    .history
                    .iter()
                    .filter(|c| c.rv > n && filter.matches(c.resource, &c.object))
                    .map(|c| event_line(c.kind, &c.object)),
            ),
            _ => initial.extend(
                inner
                    .objects
                    .iter()
                    .filter(|((i, _, _), o)| filter.matches(*i, o))
                    .map(|(_, o)| event_line("ADDED", o)),
            ),
        }
        (shared.changes.subscribe(), inner.rv)
    };
    let mut drops = shared.drops.subscribe();
    drops.borrow_and_update();
    let every = *shared.bookmark_interval.lock().expect("lock");
    tokio::spawn(async move {
        for line in initial {
            if tx.send(Ok(line)).await.is_err() {
                return;
            }
        }
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        let deadline = timeout.map(|t| tokio::time::Instant::now() + t);
        let sleep = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(sleep);
        loop {
            let line = tokio::select! {
                c = changes.recv() => match c {
                    Ok(Change { rv, resource, kind, object }) => {
                        seen = seen.max(rv);
                        if !filter.matches(resource, &object) {
                            continue;
                        }
                        event_line(kind, &object)
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        // Too slow a reader: end as the server would, with 410.
                        let st = status(410, "Expired", "watch fell behind", None);
                        let _ = tx.send(Ok(event_line("ERROR", &st))).await;
                        return;
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                _ = tick.tick(), if bookmarks => event_line(
                    "BOOKMARK",
                    &json!({
                        "kind": res.kind,
                        "apiVersion": res.api_version(),
                        "metadata": {"resourceVersion": seen.to_string()},
                    }),
                ),
                _ = drops.changed() => {
                    let _ = tx.send(Err(std::io::Error::other("watch dropped by the fixture"))).await;
                    return;
                }
                () = &mut sleep => return,
                () = tx.closed() => return,
            };
            if tx.send(Ok(line)).await.is_err() {
                return;
            }
        }
    });
    streaming(rx)
}

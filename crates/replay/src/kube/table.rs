//! Server-side printing: the `meta.k8s.io/v1` Table `kubectl get` asks for,
//! with the columns the real API server prints for each kind (Kubernetes'
//! pkg/printers) and, for custom resources, their CRD's printer columns.
//! AGE and other relative times are computed at the replay's "now".

use serde_json::{Value, json};

use super::resources::{Column, Resource};
use understudy_core::parse_rfc3339_ms as parse_ms;

/// What a row carries besides its cells (`includeObject`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Include {
    None,
    Metadata,
    Object,
}

impl Include {
    pub fn parse(s: Option<&str>) -> Include {
        match s {
            Some("None") => Include::None,
            Some("Object") => Include::Object,
            _ => Include::Metadata,
        }
    }
}

struct Col {
    name: &'static str,
    kind: &'static str,
    priority: i64,
}

const fn col(name: &'static str, kind: &'static str, priority: i64) -> Col {
    Col {
        name,
        kind,
        priority,
    }
}

const NAME: Col = col("Name", "string", 0);
const AGE: Col = col("Age", "string", 0);

fn built_in_columns(kind: &str) -> Option<Vec<Col>> {
    Some(match kind {
        "Pod" => vec![
            NAME,
            col("Ready", "string", 0),
            col("Status", "string", 0),
            col("Restarts", "string", 0),
            AGE,
            col("IP", "string", 1),
            col("Node", "string", 1),
            col("Nominated Node", "string", 1),
            col("Readiness Gates", "string", 1),
        ],
        "HorizontalPodAutoscaler" => vec![
            NAME,
            col("Reference", "string", 0),
            col("Targets", "string", 0),
            col("MinPods", "string", 0),
            col("MaxPods", "integer", 0),
            col("Replicas", "integer", 0),
            AGE,
        ],
        "Deployment" => vec![
            NAME,
            col("Ready", "string", 0),
            col("Up-to-date", "integer", 0),
            col("Available", "integer", 0),
            AGE,
            col("Containers", "string", 1),
            col("Images", "string", 1),
            col("Selector", "string", 1),
        ],
        "ReplicaSet" => vec![
            NAME,
            col("Desired", "integer", 0),
            col("Current", "integer", 0),
            col("Ready", "integer", 0),
            AGE,
            col("Containers", "string", 1),
            col("Images", "string", 1),
            col("Selector", "string", 1),
        ],
        "Namespace" => vec![NAME, col("Status", "string", 0), AGE],
        "CustomResourceDefinition" => vec![NAME, col("Created At", "date", 0)],
        _ => return None,
    })
}

fn event_columns() -> Vec<Col> {
    vec![
        col("Last Seen", "string", 0),
        col("Type", "string", 0),
        col("Reason", "string", 0),
        col("Object", "string", 0),
        col("Subobject", "string", 1),
        col("Source", "string", 1),
        col("Message", "string", 0),
        col("First Seen", "string", 1),
        col("Count", "string", 1),
        col("Name", "string", 1),
    ]
}

fn definition(name: &str, kind: &str, priority: i64, description: &str) -> Value {
    let format = if name == "Name" { "name" } else { "" };
    let kind = if kind == "date" { "string" } else { kind };
    json!({"name": name, "type": kind, "format": format, "description": description, "priority": priority})
}

/// The Table of `objects` at time `now`: objects already as served and
/// `now` the wall time, or (`serve` given) objects as recorded and `now`
/// the recording time they are seen at, where only what the rows carry is
/// served (times shifted, resourceVersions in the clock's epoch). Cells
/// hold durations, the same either way; the second skips copying every
/// object.
pub fn table(
    r: &Resource,
    objects: &[&Value],
    now: i64,
    include: Include,
    rv: &str,
    serve: Option<&super::versions::Now>,
) -> Value {
    let core_event = r.kind == "Event" && r.group.is_empty();
    let (defs, rows): (Vec<Value>, Vec<Vec<Value>>) = if core_event {
        let cols = event_columns();
        (
            cols.iter()
                .map(|c| definition(c.name, c.kind, c.priority, ""))
                .collect(),
            objects.iter().map(|o| event_cells(o, now)).collect(),
        )
    } else if let Some(cols) = built_in_columns(&r.kind).filter(|_| r.columns.is_none()) {
        (
            cols.iter()
                .map(|c| definition(c.name, c.kind, c.priority, ""))
                .collect(),
            objects.iter().map(|o| cells(&r.kind, o, now)).collect(),
        )
    } else {
        let custom: Vec<Column> = r.columns.clone().unwrap_or_default();
        let mut defs = vec![definition(
            "Name",
            "string",
            0,
            "Name must be unique within a namespace.",
        )];
        if custom.is_empty() {
            defs.push(definition("Age", "date", 0, ""));
        }
        defs.extend(
            custom
                .iter()
                .map(|c| definition(&c.name, &c.kind, c.priority, &c.description)),
        );
        let rows = objects
            .iter()
            .map(|o| {
                let mut cells = vec![json!(name(o))];
                if custom.is_empty() {
                    cells.push(json!(age(o, now)));
                }
                cells.extend(custom.iter().map(|c| custom_cell(o, c, now)));
                cells
            })
            .collect();
        (defs, rows)
    };
    let rows: Vec<Value> = objects
        .iter()
        .zip(rows)
        .map(|(o, cells)| {
            let mut row = json!({"cells": cells});
            match include {
                Include::None => {}
                Include::Metadata => {
                    let metadata = match serve {
                        Some(n) => n.metadata(&o["metadata"]),
                        None => o["metadata"].clone(),
                    };
                    row["object"] = json!({"kind": "PartialObjectMetadata",
                        "apiVersion": "meta.k8s.io/v1", "metadata": metadata});
                }
                Include::Object => {
                    row["object"] = match serve {
                        Some(n) => n.object(o),
                        None => (*o).clone(),
                    }
                }
            }
            row
        })
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": rv},
        "columnDefinitions": defs,
        "rows": rows,
    })
}

fn name(o: &Value) -> &str {
    o["metadata"]["name"].as_str().unwrap_or_default()
}

fn age(o: &Value, now: i64) -> String {
    since(&o["metadata"]["creationTimestamp"], now)
}

/// `translateTimestampSince`: "<unknown>" without a time.
fn since(t: &Value, now: i64) -> String {
    match t.as_str().and_then(parse_ms) {
        Some(ms) => human_duration(now - ms),
        None => "<unknown>".into(),
    }
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

fn cells(kind: &str, o: &Value, now: i64) -> Vec<Value> {
    let (spec, status) = (&o["spec"], &o["status"]);
    match kind {
        "Pod" => pod_cells(o, now),
        "HorizontalPodAutoscaler" => {
            let target = &spec["scaleTargetRef"];
            vec![
                json!(name(o)),
                json!(format!(
                    "{}/{}",
                    target["kind"].as_str().unwrap_or_default(),
                    target["name"].as_str().unwrap_or_default()
                )),
                json!(hpa_targets(spec, status)),
                json!(
                    spec["minReplicas"]
                        .as_i64()
                        .map_or("<unset>".to_owned(), |m| m.to_string())
                ),
                json!(int(&spec["maxReplicas"])),
                json!(int(&status["currentReplicas"])),
                json!(age(o, now)),
            ]
        }
        "Deployment" | "ReplicaSet" => {
            let template = &spec["template"]["spec"]["containers"];
            let list = |field: &str| {
                template
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|c| c[field].as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            };
            let selector = selector_string(&spec["selector"]);
            let replicas = spec["replicas"].as_i64().unwrap_or(1);
            let mut cells = vec![json!(name(o))];
            if kind == "Deployment" {
                cells.push(json!(format!(
                    "{}/{replicas}",
                    int(&status["readyReplicas"])
                )));
                cells.push(json!(int(&status["updatedReplicas"])));
                cells.push(json!(int(&status["availableReplicas"])));
            } else {
                cells.push(json!(replicas));
                cells.push(json!(int(&status["replicas"])));
                cells.push(json!(int(&status["readyReplicas"])));
            }
            cells.extend([
                json!(age(o, now)),
                json!(list("name")),
                json!(list("image")),
                json!(selector),
            ]);
            cells
        }
        "Namespace" => vec![
            json!(name(o)),
            json!(status["phase"].as_str().unwrap_or("Active")),
            json!(age(o, now)),
        ],
        "CustomResourceDefinition" => {
            vec![json!(name(o)), o["metadata"]["creationTimestamp"].clone()]
        }
        _ => vec![json!(name(o)), json!(age(o, now))],
    }
}

/// printPod: READY, STATUS (init progress, waiting and terminated reasons,
/// Terminating), RESTARTS with the last restart's age.
fn pod_cells(o: &Value, now: i64) -> Vec<Value> {
    let (spec, status) = (&o["spec"], &o["status"]);
    let arr = |v: &Value| v.as_array().cloned().unwrap_or_default();
    let total = arr(&spec["containers"]).len();
    let mut restarts = 0;
    let mut ready = 0;
    let mut last_restart: Option<i64> = None;
    let mut reason = status["reason"]
        .as_str()
        .or(status["phase"].as_str())
        .unwrap_or_default()
        .to_owned();
    let note_restart = |c: &Value, last: &mut Option<i64>| {
        if let Some(t) = c["lastState"]["terminated"]["finishedAt"]
            .as_str()
            .and_then(parse_ms)
        {
            *last = Some(last.map_or(t, |l: i64| l.max(t)));
        }
    };
    let init = arr(&status["initContainerStatuses"]);
    let init_total = arr(&spec["initContainers"]).len();
    let mut initializing = false;
    for (i, c) in init.iter().enumerate() {
        restarts += int(&c["restartCount"]);
        note_restart(c, &mut last_restart);
        let term = &c["state"]["terminated"];
        let waiting = c["state"]["waiting"]["reason"].as_str().unwrap_or_default();
        if term.is_object() && int(&term["exitCode"]) == 0 {
            continue;
        }
        reason = if term.is_object() {
            match term["reason"].as_str().filter(|r| !r.is_empty()) {
                Some(r) => format!("Init:{r}"),
                None if int(&term["signal"]) != 0 => {
                    format!("Init:Signal:{}", int(&term["signal"]))
                }
                None => format!("Init:ExitCode:{}", int(&term["exitCode"])),
            }
        } else if !waiting.is_empty() && waiting != "PodInitializing" {
            format!("Init:{waiting}")
        } else {
            format!("Init:{i}/{init_total}")
        };
        initializing = true;
        break;
    }
    let initialized = status["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Initialized" && c["status"] == "True");
    if !initializing || initialized {
        restarts = 0;
        let mut running = false;
        for c in arr(&status["containerStatuses"]).iter().rev() {
            restarts += int(&c["restartCount"]);
            note_restart(c, &mut last_restart);
            let state = &c["state"];
            let term = &state["terminated"];
            if let Some(r) = state["waiting"]["reason"]
                .as_str()
                .filter(|r| !r.is_empty())
            {
                reason = r.to_owned();
            } else if let Some(r) = term["reason"].as_str().filter(|r| !r.is_empty()) {
                reason = r.to_owned();
            } else if term.is_object() {
                reason = if int(&term["signal"]) != 0 {
                    format!("Signal:{}", int(&term["signal"]))
                } else {
                    format!("ExitCode:{}", int(&term["exitCode"]))
                };
            } else if c["ready"] == true && state["running"].is_object() {
                running = true;
                ready += 1;
            }
        }
        if reason == "Completed" && running {
            let has_ready = status["conditions"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|c| c["type"] == "Ready" && c["status"] == "True");
            reason = if has_ready { "Running" } else { "NotReady" }.into();
        }
    }
    let phase = status["phase"].as_str().unwrap_or_default();
    if o["metadata"]["deletionTimestamp"].is_string() {
        if status["reason"] == "NodeLost" {
            reason = "Unknown".into();
        } else if phase != "Succeeded" && phase != "Failed" {
            reason = "Terminating".into();
        }
    }
    let restarts_text = match last_restart {
        Some(t) if restarts != 0 => format!("{restarts} ({} ago)", human_duration(now - t)),
        _ => restarts.to_string(),
    };
    let none = |v: &Value| {
        v.as_str()
            .filter(|s| !s.is_empty())
            .unwrap_or("<none>")
            .to_owned()
    };
    vec![
        json!(name(o)),
        json!(format!("{ready}/{total}")),
        json!(reason),
        json!(restarts_text),
        json!(age(o, now)),
        json!(none(&status["podIP"])),
        json!(none(&spec["nodeName"])),
        json!(none(&status["nominatedNodeName"])),
        json!("<none>"),
    ]
}

/// formatHPAMetrics: "current/target" per metric, two at most.
fn hpa_targets(spec: &Value, status: &Value) -> String {
    let specs = spec["metrics"].as_array().cloned().unwrap_or_default();
    if specs.is_empty() {
        return "<none>".into();
    }
    let statuses = status["currentMetrics"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let q = |v: &Value| {
        v.as_str()
            .map(str::to_owned)
            .or_else(|| v.as_i64().map(|n| n.to_string()))
    };
    let mut list = Vec::new();
    for (i, m) in specs.iter().enumerate() {
        let st = statuses.get(i).cloned().unwrap_or(Value::Null);
        let unknown = || "<unknown>".to_owned();
        let text = match m["type"].as_str().unwrap_or_default() {
            "External" | "Object" => {
                let key = if m["type"] == "External" {
                    "external"
                } else {
                    "object"
                };
                let target = &m[key]["target"];
                if let Some(avg) = q(&target["averageValue"]) {
                    let cur = q(&st[key]["current"]["averageValue"]).unwrap_or_else(unknown);
                    format!("{cur}/{avg} (avg)")
                } else {
                    let cur = q(&st[key]["current"]["value"]).unwrap_or_else(unknown);
                    format!("{cur}/{}", q(&target["value"]).unwrap_or_default())
                }
            }
            "Pods" => {
                let cur = q(&st["pods"]["current"]["averageValue"]).unwrap_or_else(unknown);
                format!(
                    "{cur}/{}",
                    q(&m["pods"]["target"]["averageValue"]).unwrap_or_default()
                )
            }
            t @ ("Resource" | "ContainerResource") => {
                let key = if t == "Resource" {
                    "resource"
                } else {
                    "containerResource"
                };
                let (source, cur) = (&m[key], &st[key]["current"]);
                let resource = source["name"].as_str().unwrap_or_default();
                if let Some(avg) = q(&source["target"]["averageValue"]) {
                    let c = q(&cur["averageValue"]).unwrap_or_else(unknown);
                    format!("{resource}: {c}/{avg}")
                } else {
                    let c = cur["averageUtilization"]
                        .as_i64()
                        .map_or_else(unknown, |u| format!("{u}%"));
                    let target = source["target"]["averageUtilization"]
                        .as_i64()
                        .map_or("<auto>".to_owned(), |u| format!("{u}%"));
                    format!("{resource}: {c}/{target}")
                }
            }
            _ => "<unknown type>".into(),
        };
        list.push(text);
    }
    let count = list.len();
    if count > 2 {
        list.truncate(2);
        format!("{} + {} more...", list.join(", "), count - 2)
    } else {
        list.join(", ")
    }
}

/// printEvent: LAST SEEN, TYPE, REASON, OBJECT, MESSAGE (wide: SUBOBJECT,
/// SOURCE, FIRST SEEN, COUNT, NAME).
fn event_cells(o: &Value, now: i64) -> Vec<Value> {
    let first = if o["firstTimestamp"].is_string() {
        since(&o["firstTimestamp"], now)
    } else {
        since(&o["eventTime"], now)
    };
    let mut last = if o["lastTimestamp"].is_string() {
        since(&o["lastTimestamp"], now)
    } else {
        first.clone()
    };
    let mut count = o["count"].as_i64().unwrap_or(0);
    if o["series"].is_object() {
        last = since(&o["series"]["lastObservedTime"], now);
        count = o["series"]["count"].as_i64().unwrap_or(count);
    } else if count == 0 {
        count = 1;
    }
    let involved = &o["involvedObject"];
    let kind = involved["kind"].as_str().unwrap_or_default().to_lowercase();
    let target = match involved["name"].as_str().filter(|n| !n.is_empty()) {
        Some(n) => format!("{kind}/{n}"),
        None => kind,
    };
    let source = {
        let component = o["source"]["component"]
            .as_str()
            .or(o["reportingComponent"].as_str())
            .unwrap_or_default();
        match o["source"]["host"].as_str().filter(|h| !h.is_empty()) {
            Some(h) => format!("{component}, {h}"),
            None => component.to_owned(),
        }
    };
    let s = |k: &str| json!(o[k].as_str().unwrap_or_default());
    vec![
        json!(last),
        s("type"),
        s("reason"),
        json!(target),
        json!(involved["fieldPath"].as_str().unwrap_or_default()),
        json!(source),
        s("message"),
        json!(first),
        json!(count),
        json!(name(o)),
    ]
}

fn custom_cell(o: &Value, c: &Column, now: i64) -> Value {
    let found = json_path(o, &c.json_path);
    if c.kind == "date" {
        return match found.first() {
            Some(v) => json!(since(v, now)),
            None => json!("<unknown>"),
        };
    }
    match found.as_slice() {
        [] => Value::Null,
        [one] => (*one).clone(),
        many => json!(
            many.iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                .collect::<Vec<_>>()
                .join(",")
        ),
    }
}

/// The JSONPath subset printer columns use: `.a.b`, `.a[0]`, `.a[*].b`,
/// `.a[?(@.type=="Ready")].status`.
fn json_path<'a>(o: &'a Value, path: &str) -> Vec<&'a Value> {
    let path = path.trim().trim_start_matches('{').trim_end_matches('}');
    let mut current = vec![o];
    let mut rest = path.trim_start_matches('$');
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            let key = &r[..end];
            current = current
                .into_iter()
                .map(|v| &v[key])
                .filter(|v| !v.is_null())
                .collect();
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let Some(end) = r.find(']') else { break };
            let inner = &r[..end];
            rest = &r[end + 1..];
            let items = current
                .into_iter()
                .flat_map(|v| v.as_array().into_iter().flatten());
            current = if inner == "*" {
                items.collect()
            } else if let Ok(i) = inner.parse::<usize>() {
                current_index(items, i)
            } else if let Some(f) = inner.strip_prefix("?(@.").and_then(|f| f.strip_suffix(')')) {
                let (field, want) = f.split_once("==").unwrap_or((f, ""));
                let want = want.trim().trim_matches(['"', '\'']);
                items
                    .filter(|item| {
                        item[field.trim()]
                            .as_str()
                            .map_or_else(|| item[field.trim()].to_string(), str::to_owned)
                            == want
                    })
                    .collect()
            } else {
                Vec::new()
            };
        } else {
            break;
        }
    }
    current
}

fn current_index<'a>(items: impl Iterator<Item = &'a Value>, i: usize) -> Vec<&'a Value> {
    items.skip(i).take(1).collect()
}

/// A LabelSelector as kubectl prints it.
fn selector_string(selector: &Value) -> String {
    let s = understudy_core::label_selector_string(selector);
    if s.is_empty() { "<none>".into() } else { s }
}

/// apimachinery's duration.HumanDuration, for `ms` milliseconds.
pub fn human_duration(ms: i64) -> String {
    let seconds = ms.div_euclid(1000);
    if seconds < -1 {
        return "<invalid>".into();
    }
    if seconds < 0 {
        return "0s".into();
    }
    if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        let s = seconds % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = minutes / 60;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 {
            format!("{}d", hours / 24)
        } else {
            format!("{}d{h}h", hours / 24)
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let d = (hours / 24) % 365;
        return if d == 0 {
            format!("{}y", hours / 24 / 365)
        } else {
            format!("{}y{d}d", hours / 24 / 365)
        };
    }
    format!("{}y", hours / 24 / 365)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_kubectl() {
        let s = 1000;
        for (ms, want) in [
            (-5 * s, "<invalid>"),
            (-500, "0s"),
            (59 * s, "59s"),
            (119 * s, "119s"),
            (157 * s, "2m37s"),
            (600 * s, "10m"),
            (179 * 60 * s, "179m"),
            (3 * 3600 * s, "3h"),
            (7 * 3600 * s + 30 * 60 * s, "7h30m"),
            (47 * 3600 * s, "47h"),
            (95 * 3600 * s, "3d23h"),
            (30 * 86_400 * s, "30d"),
        ] {
            assert_eq!(human_duration(ms), want, "{ms}");
        }
    }

    #[test]
    fn hpa_targets_as_kubectl_prints_them() {
        let keda = json!({"metrics": [{"type": "External", "external": {"metric": {"name": "s0-nats-jetstream-MEMES"},
            "target": {"type": "AverageValue", "averageValue": "5"}}}]});
        let st = json!({"currentMetrics": [{"type": "External", "external": {"current": {"averageValue": "2135500m"}}}]});
        assert_eq!(hpa_targets(&keda, &st), "2135500m/5 (avg)");
        assert_eq!(hpa_targets(&keda, &json!({})), "<unknown>/5 (avg)");
        let cpu = json!({"metrics": [
            {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}},
            {"type": "Resource", "resource": {"name": "memory", "target": {"type": "Utilization", "averageUtilization": 80}}},
            {"type": "Pods", "pods": {"metric": {"name": "x"}, "target": {"type": "AverageValue", "averageValue": "20m"}}}]});
        let st = json!({"currentMetrics": [
            {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 93}}},
            {"type": "Resource", "resource": {"name": "memory", "current": {"averageUtilization": 7}}}]});
        assert_eq!(
            hpa_targets(&cpu, &st),
            "cpu: 93%/50%, memory: 7%/80% + 1 more..."
        );
    }

    #[test]
    fn pod_status_follows_init_containers_and_termination() {
        let now = parse_ms("2025-10-27T17:30:00Z").expect("time");
        let init = json!({"metadata": {"name": "p", "creationTimestamp": "2025-10-27T17:29:59Z"},
            "spec": {"initContainers": [{"name": "i1"}, {"name": "i2"}], "containers": [{"name": "c"}]},
            "status": {"phase": "Pending", "initContainerStatuses": [
                {"name": "i1", "state": {"running": {}}}, {"name": "i2", "state": {"waiting": {"reason": "PodInitializing"}}}]}});
        let c = pod_cells(&init, now);
        assert_eq!(
            (c[1].as_str(), c[2].as_str(), c[4].as_str()),
            (Some("0/1"), Some("Init:0/2"), Some("1s"))
        );
        let error = json!({"metadata": {"name": "p", "creationTimestamp": "2025-10-27T17:27:43Z"},
            "spec": {"containers": [{"name": "c"}]},
            "status": {"phase": "Failed", "conditions": [{"type": "Initialized", "status": "True"}],
                "containerStatuses": [{"name": "c", "ready": false, "restartCount": 0,
                    "state": {"terminated": {"exitCode": 137, "reason": "Error"}}}]}});
        let c = pod_cells(&error, now);
        assert_eq!(
            (c[1].as_str(), c[2].as_str(), c[3].as_str(), c[4].as_str()),
            (Some("0/1"), Some("Error"), Some("0"), Some("2m17s"))
        );
        let mut terminating = error.clone();
        terminating["metadata"]["deletionTimestamp"] = json!("2025-10-27T17:29:00Z");
        terminating["status"]["phase"] = json!("Running");
        assert_eq!(pod_cells(&terminating, now)[2], "Terminating");
    }

    #[test]
    fn custom_columns_follow_their_json_path() {
        let so = json!({"spec": {"minReplicaCount": 1, "triggers": [{"type": "nats-jetstream"}, {"type": "cpu"}]},
            "status": {"conditions": [{"type": "Ready", "status": "True"}, {"type": "Active", "status": "False"}]}});
        let c = |p: &str| {
            custom_cell(
                &so,
                &Column {
                    name: "x".into(),
                    kind: "string".into(),
                    json_path: p.into(),
                    priority: 0,
                    description: String::new(),
                },
                0,
            )
        };
        assert_eq!(c(".spec.minReplicaCount"), json!(1));
        assert_eq!(
            c(".status.conditions[?(@.type==\"Active\")].status"),
            json!("False")
        );
        assert_eq!(c(".spec.triggers[*].type"), json!("nats-jetstream,cpu"));
        assert_eq!(c(".spec.triggers[1].type"), json!("cpu"));
        assert_eq!(c(".status.missing"), Value::Null);
    }
}

//! The KPIs of one run over an experiment window, from its samples and its
//! objects. A KPI the recording cannot answer is `NotRecorded`, never 0.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use understudy_core::{TimeRange, WatchEvent, parse_rfc3339_ms};

use crate::run::{self, Run};
use crate::timeseries;

/// Which way is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Better {
    /// Less is better (drain time, CPU-seconds).
    Lower,
    /// More is better (throughput, productivity).
    Higher,
    /// No direction (a plugin's output, a count that is neither).
    None,
}

/// What a value measures, for formatting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// How many times something happened, or how many of something.
    Count,
    /// A duration, in seconds.
    Seconds,
    /// Queue messages.
    Messages,
    /// Messages times seconds: the area under a pending-messages curve.
    MessageSeconds,
    /// Queue throughput.
    MessagesPerSecond,
    /// CPU time, in seconds.
    CpuSeconds,
    /// 0..1, printed as a percentage.
    Ratio,
    /// Messages per CPU-second: work done per CPU spent.
    MessagesPerCpuSecond,
    /// A plugin output's own unit.
    Plain,
}

/// One KPI's value in one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Measure {
    /// Computed.
    Value {
        /// In the KPI's [`Unit`].
        value: f64,
    },
    /// The recording holds nothing this KPI is computed from.
    NotRecorded {
        /// What it lacks, e.g. a metric name or an object kind.
        missing: String,
    },
    /// Recorded, but it did not happen within the window (a queue that
    /// never drained).
    NotReached {
        /// What did not happen, in words.
        why: String,
    },
    /// The run records this kind of KPI but has no such subject (an HPA
    /// only the other run has).
    Absent,
}

impl Measure {
    /// The value, if there is one.
    pub fn value(&self) -> Option<f64> {
        match self {
            Measure::Value { value } => Some(*value),
            _ => None,
        }
    }
}

/// What computed a KPI: understudy itself, or a KPI plugin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ComputedBy {
    /// By this crate ([`crate::kpi::compute`]).
    BuiltIn,
    /// By a KPI plugin over the run's window.
    Plugin {
        /// The plugin's name, as it describes itself.
        name: String,
        /// The plugin's version, as it describes itself.
        version: String,
        /// The component's path, as given or found.
        file: String,
    },
}

impl std::fmt::Display for ComputedBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ComputedBy::BuiltIn => f.write_str("built in"),
            ComputedBy::Plugin {
                name,
                version,
                file,
            } => {
                let file = std::path::Path::new(file)
                    .file_name()
                    .map_or_else(|| file.clone(), |n| n.to_string_lossy().into_owned());
                write!(f, "plugin {name} {version} ({file})")
            }
        }
    }
}

/// Every built-in KPI's id and its definition, the line the report shows
/// beside its values. A plugin computing a similar number has its own id
/// and definition, so that two rows never share a name for two ideas.
pub const BUILT_IN: &[(&str, &str)] = &[
    (
        "rescale_events",
        "SuccessfulRescale Events of the HPAs, each repeat of a folded Event counted",
    ),
    (
        "replica_reversals",
        "turns of the Deployment's spec.replicas (up then down, or down then up), every recorded change counted, not sampled",
    ),
    (
        "time_at_max_replicas",
        "time spec.replicas stood at the highest maxReplicas of the HPAs scaling the Deployment",
    ),
    (
        "pods_created",
        "pods whose creationTimestamp falls in the window",
    ),
    ("pods_killed", "pods deleted in the window"),
    (
        "pod_lifetime_median",
        "median creation-to-deletion time of the pods deleted in the window",
    ),
    (
        "pods_died_before_ready",
        "pods deleted in the window that were never Ready",
    ),
    (
        "queue_peak_pending",
        "highest jetstream_consumer_num_pending, summed over consumers",
    ),
    (
        "time_to_drain",
        "from the pending peak to the first scrape below 1% of it",
    ),
    (
        "backlog_seconds",
        "area under pending (summed over consumers) over the window",
    ),
    (
        "messages_per_second",
        "messages delivered and acknowledged in the window, per second",
    ),
    (
        "cpu_seconds",
        "CPU-seconds of all containers (pod-level and pause-container series left out)",
    ),
    (
        "throttled_share",
        "throttled CFS periods over all CFS periods, all containers",
    ),
    (
        "productivity",
        "messages processed in the window over the CPU-seconds of all containers: one ratio of totals",
    ),
];

/// One KPI of one run.
#[derive(Debug, Clone, Serialize)]
pub struct Kpi {
    /// Stable identifier, e.g. `replica_reversals`.
    pub id: String,
    /// What it is, in words.
    pub name: String,
    /// How it is computed, in one line.
    pub definition: String,
    /// Built in, or which plugin.
    pub computed_by: ComputedBy,
    /// What it is about (`Deployment meme-generator/meme-backend`, `all
    /// HPAs`), or empty for the run as a whole.
    pub subject: String,
    /// What the value measures.
    pub unit: Unit,
    /// Which way is better, for the report's "better run".
    pub better: Better,
    /// The value, or why there is none.
    pub measure: Measure,
}

impl Kpi {
    fn new(
        id: &str,
        name: &str,
        subject: impl Into<String>,
        unit: Unit,
        better: Better,
        measure: Measure,
    ) -> Kpi {
        let definition = BUILT_IN
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, d)| (*d).to_owned());
        debug_assert!(definition.is_some(), "built-in KPI {id} has no definition");
        Kpi {
            id: id.into(),
            name: name.into(),
            definition: definition.unwrap_or_default(),
            computed_by: ComputedBy::BuiltIn,
            subject: subject.into(),
            unit,
            better,
            measure,
        }
    }
}

fn value(v: f64) -> Measure {
    Measure::Value { value: v }
}

fn missing(what: &str) -> Measure {
    Measure::NotRecorded {
        missing: what.into(),
    }
}

/// Every built-in KPI of `run` over `w`.
pub fn compute(run: &Run, w: TimeRange) -> Vec<Kpi> {
    let mut out = Vec::new();
    scaling(run, w, &mut out);
    pods(run, w, &mut out);
    let processed = queue(run, w, &mut out);
    cpu(run, w, processed, &mut out);
    out
}

/// A Kubernetes object's JSON, or `None` for markers and bad JSON.
pub fn object(r: &understudy_core::ObjectRevision) -> Option<Value> {
    serde_json::from_str(r.object.as_deref()?).ok()
}

fn key(o: &Value) -> String {
    format!(
        "{}/{}",
        o["metadata"]["namespace"].as_str().unwrap_or_default(),
        o["metadata"]["name"].as_str().unwrap_or_default()
    )
}

/// The HPA an Event is about (core/v1 `involvedObject`, events.k8s.io
/// `regarding`).
fn regarding(o: &Value) -> &Value {
    if o["involvedObject"].is_object() {
        &o["involvedObject"]
    } else {
        &o["regarding"]
    }
}

/// Rescale events per HPA: SuccessfulRescale Events, each occurrence
/// counted (the API server folds repeats into one Event's `count`).
pub fn rescales(run: &Run, w: TimeRange) -> BTreeMap<String, Vec<(i64, Option<f64>)>> {
    let mut per_hpa: BTreeMap<String, Vec<(i64, Option<f64>)>> = BTreeMap::new();
    let mut counts: BTreeMap<String, i64> = BTreeMap::new();
    for r in run.revisions("Event") {
        if r.event == WatchEvent::Deleted {
            continue;
        }
        let Some(o) = object(r) else { continue };
        if o["reason"] != "SuccessfulRescale" {
            continue;
        }
        let about = regarding(&o);
        if about["kind"] != "HorizontalPodAutoscaler" {
            continue;
        }
        let hpa = format!(
            "{}/{}",
            about["namespace"]
                .as_str()
                .or(o["metadata"]["namespace"].as_str())
                .unwrap_or_default(),
            about["name"].as_str().unwrap_or_default()
        );
        let count = o["count"]
            .as_i64()
            .or_else(|| o["series"]["count"].as_i64())
            .unwrap_or(1)
            .max(1);
        let seen = counts.entry(key(&o)).or_insert(0);
        let new = (count - *seen).max(0);
        *seen = (*seen).max(count);
        let at = ["lastTimestamp", "eventTime"]
            .iter()
            .find_map(|f| o[*f].as_str().and_then(parse_rfc3339_ms))
            .unwrap_or(r.observed_ms);
        let size = o["message"]
            .as_str()
            .or(o["note"].as_str())
            .and_then(|m| m.strip_prefix("New size: "))
            .and_then(|m| m.split(';').next())
            .and_then(|n| n.trim().parse::<f64>().ok());
        let entry = per_hpa.entry(hpa).or_default();
        if w.contains(at) {
            entry.extend(std::iter::repeat_n((at, size), new as usize));
        }
    }
    per_hpa
}

/// A number in each object of `kind` over time (`pointer` a JSON pointer),
/// by `namespace/name`: the revisions where it changed.
pub fn steps(run: &Run, kind: &str, pointer: &str) -> BTreeMap<String, Vec<(i64, f64)>> {
    let mut out: BTreeMap<String, Vec<(i64, f64)>> = BTreeMap::new();
    for r in run.revisions(kind) {
        if r.event == WatchEvent::Deleted {
            continue;
        }
        let Some(o) = object(r) else { continue };
        let Some(n) = o.pointer(pointer).and_then(Value::as_f64) else {
            continue;
        };
        let steps = out.entry(key(&o)).or_default();
        if steps.last().is_none_or(|l| l.1 != n) {
            steps.push((r.observed_ms, n));
        }
    }
    out
}

/// `spec.replicas` of each Deployment over time, from its revisions, else
/// from `kube_deployment_spec_replicas`.
pub fn deployment_replicas(run: &Run) -> BTreeMap<String, Vec<(i64, f64)>> {
    let mut out = steps(run, "Deployment", "/spec/replicas");
    if out.is_empty() {
        for s in run.metric(run::DEPLOYMENT_SPEC_REPLICAS) {
            let l = s.series.labels();
            let name = format!(
                "{}/{}",
                l.get("namespace").unwrap_or_default(),
                l.get("deployment").unwrap_or_default()
            );
            out.insert(
                name,
                s.timestamps
                    .iter()
                    .copied()
                    .zip(s.values.iter().copied())
                    .collect(),
            );
        }
    }
    out
}

/// The highest `maxReplicas` of the HPAs scaling each Deployment.
fn max_replicas(run: &Run) -> BTreeMap<String, f64> {
    let mut out: BTreeMap<String, f64> = BTreeMap::new();
    for r in run.revisions("HorizontalPodAutoscaler") {
        let Some(o) = object(r) else { continue };
        let target = &o["spec"]["scaleTargetRef"];
        let (Some(max), Some(name)) = (o["spec"]["maxReplicas"].as_f64(), target["name"].as_str())
        else {
            continue;
        };
        if target["kind"] != "Deployment" {
            continue;
        }
        let d = format!(
            "{}/{name}",
            o["metadata"]["namespace"].as_str().unwrap_or_default()
        );
        let e = out.entry(d).or_insert(max);
        *e = e.max(max);
    }
    out
}

fn scaling(run: &Run, w: TimeRange, out: &mut Vec<Kpi>) {
    let kinds = run.kinds();
    if kinds.contains("Event") {
        let per_hpa = rescales(run, w);
        let total: usize = per_hpa.values().map(Vec::len).sum();
        out.push(Kpi::new(
            "rescale_events",
            "rescale events",
            "all HPAs",
            Unit::Count,
            Better::Lower,
            value(total as f64),
        ));
        for (hpa, events) in &per_hpa {
            out.push(Kpi::new(
                "rescale_events",
                "rescale events",
                format!("HPA {hpa}"),
                Unit::Count,
                Better::Lower,
                value(events.len() as f64),
            ));
        }
    } else {
        out.push(Kpi::new(
            "rescale_events",
            "rescale events",
            "all HPAs",
            Unit::Count,
            Better::Lower,
            missing("Events"),
        ));
    }
    let replicas = deployment_replicas(run);
    if replicas.is_empty() {
        for (id, name) in [
            ("replica_reversals", "replica direction reversals"),
            ("time_at_max_replicas", "time at max replicas"),
        ] {
            out.push(Kpi::new(
                id,
                name,
                "",
                Unit::Count,
                Better::Lower,
                missing("Deployments"),
            ));
        }
        return;
    }
    let maxes = max_replicas(run);
    for (d, steps) in &replicas {
        out.push(Kpi::new(
            "replica_reversals",
            "replica direction reversals",
            format!("Deployment {d}"),
            Unit::Count,
            Better::Lower,
            value(timeseries::reversals(steps, w) as f64),
        ));
        let at_max = match maxes.get(d) {
            Some(max) => value(timeseries::time_at_or_above(steps, *max, w)),
            None => missing("an HPA scaling it (its maxReplicas)"),
        };
        out.push(Kpi::new(
            "time_at_max_replicas",
            "time at max replicas",
            format!("Deployment {d}"),
            Unit::Seconds,
            Better::Lower,
            at_max,
        ));
    }
}

/// Per pod: created, deleted, ever Ready.
#[derive(Debug, Default)]
struct PodLife {
    created: Option<i64>,
    deleted: Option<i64>,
    ready: bool,
}

fn pods(run: &Run, w: TimeRange, out: &mut Vec<Kpi>) {
    if !run.kinds().contains("Pod") {
        for (id, name, unit, better) in [
            ("pods_created", "pods created", Unit::Count, Better::Lower),
            ("pods_killed", "pods killed", Unit::Count, Better::Lower),
            (
                "pod_lifetime_median",
                "median pod lifetime",
                Unit::Seconds,
                Better::Higher,
            ),
            (
                "pods_died_before_ready",
                "pods that died before Ready",
                Unit::Count,
                Better::Lower,
            ),
        ] {
            out.push(Kpi::new(id, name, "", unit, better, missing("Pods")));
        }
        return;
    }
    let mut lives: BTreeMap<String, PodLife> = BTreeMap::new();
    for r in run.revisions("Pod") {
        let Some(o) = object(r) else { continue };
        let uid = o["metadata"]["uid"]
            .as_str()
            .map_or_else(|| key(&o), str::to_owned);
        let life = lives.entry(uid).or_default();
        if life.created.is_none() {
            life.created = o["metadata"]["creationTimestamp"]
                .as_str()
                .and_then(parse_rfc3339_ms)
                .or(Some(r.observed_ms));
        }
        let ready = o["status"]["conditions"].as_array().is_some_and(|cs| {
            cs.iter()
                .any(|c| c["type"] == "Ready" && c["status"] == "True")
        });
        life.ready |= ready;
        if r.event == WatchEvent::Deleted {
            life.deleted = Some(r.observed_ms);
        }
    }
    let created = lives
        .values()
        .filter(|l| l.created.is_some_and(|t| w.contains(t)))
        .count();
    let killed: Vec<&PodLife> = lives
        .values()
        .filter(|l| l.deleted.is_some_and(|t| w.contains(t)))
        .collect();
    let mut lifetimes: Vec<f64> = killed
        .iter()
        .filter_map(|l| Some((l.deleted? - l.created?) as f64 / 1e3))
        .collect();
    lifetimes.sort_by(f64::total_cmp);
    let median = if lifetimes.is_empty() {
        Measure::NotReached {
            why: "no pod was deleted".into(),
        }
    } else {
        let n = lifetimes.len();
        value(if n % 2 == 1 {
            lifetimes[n / 2]
        } else {
            (lifetimes[n / 2 - 1] + lifetimes[n / 2]) / 2.0
        })
    };
    out.push(Kpi::new(
        "pods_created",
        "pods created",
        "",
        Unit::Count,
        Better::Lower,
        value(created as f64),
    ));
    out.push(Kpi::new(
        "pods_killed",
        "pods killed",
        "",
        Unit::Count,
        Better::Lower,
        value(killed.len() as f64),
    ));
    out.push(Kpi::new(
        "pod_lifetime_median",
        "median pod lifetime",
        "pods killed",
        Unit::Seconds,
        Better::Higher,
        median,
    ));
    out.push(Kpi::new(
        "pods_died_before_ready",
        "pods that died before Ready",
        "",
        Unit::Count,
        Better::Lower,
        value(killed.iter().filter(|l| !l.ready).count() as f64),
    ));
}

/// Queue KPIs; returns the messages processed in the window, if recorded.
fn queue(run: &Run, w: TimeRange, out: &mut Vec<Kpi>) -> Option<f64> {
    let pending = run.summed(run::QUEUE_PENDING);
    let queue_kpis = [
        (
            "queue_peak_pending",
            "queue peak pending",
            Unit::Messages,
            Better::Lower,
        ),
        (
            "time_to_drain",
            "time to drain (peak to below 1% of it)",
            Unit::Seconds,
            Better::Lower,
        ),
        (
            "backlog_seconds",
            "backlog (area under pending)",
            Unit::MessageSeconds,
            Better::Lower,
        ),
    ];
    if pending.is_empty() {
        for (id, name, unit, better) in queue_kpis {
            out.push(Kpi::new(
                id,
                name,
                "",
                unit,
                better,
                missing(run::QUEUE_PENDING),
            ));
        }
    } else {
        let inside: Vec<(i64, f64)> = timeseries::within(&pending, w).collect();
        let peak = inside
            .iter()
            .copied()
            .fold(None::<(i64, f64)>, |m, p| match m {
                Some(m) if m.1 >= p.1 => Some(m),
                _ => Some(p),
            });
        let (peak_t, peak_v) = peak.unwrap_or((w.start, 0.0));
        let drain = if peak_v <= 0.0 {
            Measure::NotReached {
                why: "nothing was pending".into(),
            }
        } else {
            match inside
                .iter()
                .find(|(t, v)| *t > peak_t && *v < peak_v * 0.01)
            {
                Some((t, _)) => value((t - peak_t) as f64 / 1e3),
                None => Measure::NotReached {
                    why: "not drained by the end of the window".into(),
                },
            }
        };
        out.push(Kpi::new(
            queue_kpis[0].0,
            queue_kpis[0].1,
            "all consumers",
            Unit::Messages,
            Better::Lower,
            value(peak_v),
        ));
        out.push(Kpi::new(
            queue_kpis[1].0,
            queue_kpis[1].1,
            "all consumers",
            Unit::Seconds,
            Better::Lower,
            drain,
        ));
        out.push(Kpi::new(
            queue_kpis[2].0,
            queue_kpis[2].1,
            "all consumers",
            Unit::MessageSeconds,
            Better::Lower,
            value(timeseries::integral(&pending, w)),
        ));
    }
    let delivered = run.metric(run::QUEUE_DELIVERED);
    if delivered.is_empty() {
        out.push(Kpi::new(
            "messages_per_second",
            "messages processed per second",
            "",
            Unit::MessagesPerSecond,
            Better::Higher,
            missing(run::QUEUE_DELIVERED),
        ));
        return None;
    }
    // Delivered but not yet acknowledged is not processed yet.
    let ack = run.summed(run::QUEUE_ACK_PENDING);
    let at = |t: i64| ack.iter().rev().find(|p| p.0 <= t).map_or(0.0, |p| p.1);
    let delivered: Vec<_> = delivered.iter().collect();
    let processed =
        (timeseries::total_increase(&delivered, w) - (at(w.end) - at(w.start))).max(0.0);
    out.push(Kpi::new(
        "messages_per_second",
        "messages processed per second",
        "all consumers",
        Unit::MessagesPerSecond,
        Better::Higher,
        value(processed / w.seconds().max(1e-3)),
    ));
    Some(processed)
}

/// Container series only: cAdvisor also reports each pod's cgroup
/// (`container=""`) and its pause container, which would count twice.
pub fn containers(
    series: &[understudy_store::SeriesSamples],
) -> Vec<&understudy_store::SeriesSamples> {
    series
        .iter()
        .filter(|s| !matches!(s.series.labels().get("container"), Some("") | Some("POD")))
        .collect()
}

fn cpu(run: &Run, w: TimeRange, processed: Option<f64>, out: &mut Vec<Kpi>) {
    let usage = containers(run.metric(run::CPU_USAGE));
    let cpu_s = (!usage.is_empty()).then(|| timeseries::total_increase(&usage, w));
    out.push(Kpi::new(
        "cpu_seconds",
        "CPU-seconds spent",
        "all containers",
        Unit::CpuSeconds,
        Better::Lower,
        cpu_s.map_or_else(|| missing(run::CPU_USAGE), value),
    ));
    let periods = containers(run.metric(run::CFS_PERIODS));
    let throttled = containers(run.metric(run::CFS_THROTTLED));
    let share = if periods.is_empty() || throttled.is_empty() {
        missing(run::CFS_THROTTLED)
    } else {
        let p = timeseries::total_increase(&periods, w);
        if p > 0.0 {
            value(timeseries::total_increase(&throttled, w) / p)
        } else {
            Measure::NotReached {
                why: "no CFS period ran".into(),
            }
        }
    };
    out.push(Kpi::new(
        "throttled_share",
        "throttled share of CFS periods",
        "all containers",
        Unit::Ratio,
        Better::Lower,
        share,
    ));
    let productivity = match (processed, cpu_s) {
        (Some(m), Some(c)) if c > 0.0 => value(m / c),
        (Some(_), Some(_)) => Measure::NotReached {
            why: "no CPU was used".into(),
        },
        (None, _) => missing(run::QUEUE_DELIVERED),
        (_, None) => missing(run::CPU_USAGE),
    };
    out.push(Kpi::new(
        "productivity",
        "productivity (messages per CPU-second)",
        "",
        Unit::MessagesPerCpuSecond,
        Better::Higher,
        productivity,
    ));
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use serde_json::json;
    use understudy_core::ObjectRevision;

    use super::*;
    use crate::run::AlignedBy;

    fn rev(t: i64, kind: &str, event: WatchEvent, o: Value) -> ObjectRevision {
        ObjectRevision {
            observed_ms: t,
            server_time_ms: None,
            kind: kind.into(),
            api_version: "v1".into(),
            namespace: Some("ns".into()),
            name: o["metadata"]["name"].as_str().map(str::to_owned),
            uid: None,
            resource_version: None,
            event,
            object: Some(o.to_string()),
        }
    }

    fn run(objects: Vec<ObjectRevision>) -> Run {
        Run {
            name: "r".into(),
            dir: "r".into(),
            start_ms: 0,
            end_ms: 600_000,
            series: BTreeMap::new(),
            metrics: BTreeSet::new(),
            objects,
            storage: Default::default(),
            t0_ms: 0,
            aligned_by: AlignedBy::RecordingStart,
        }
    }

    const W: TimeRange = TimeRange {
        start: 0,
        end: 600_000,
    };

    #[test]
    fn every_built_in_kpi_has_a_definition() {
        let k = compute(&run(Vec::new()), W);
        assert!(!k.is_empty());
        for kpi in &k {
            assert!(!kpi.definition.is_empty(), "{}", kpi.id);
            assert_eq!(kpi.computed_by, ComputedBy::BuiltIn);
        }
    }

    fn find<'a>(kpis: &'a [Kpi], id: &str) -> &'a Measure {
        &kpis.iter().find(|k| k.id == id).expect(id).measure
    }

    #[test]
    fn a_folded_event_counts_each_repeat_once() {
        let ev = |t: i64, count: i64| {
            rev(
                t,
                "Event",
                if count == 1 {
                    WatchEvent::Added
                } else {
                    WatchEvent::Modified
                },
                json!({
                "metadata": {"name": "h.1", "namespace": "ns"}, "reason": "SuccessfulRescale", "count": count,
                "message": "New size: 4; reason: cpu", "lastTimestamp": null,
                "involvedObject": {"kind": "HorizontalPodAutoscaler", "name": "h", "namespace": "ns"}}),
            )
        };
        let r = run(vec![ev(1000, 1), ev(2000, 2), ev(2500, 2), ev(3000, 4)]);
        let per_hpa = rescales(&r, W);
        assert_eq!(per_hpa["ns/h"].len(), 4);
        assert_eq!(per_hpa["ns/h"][0].1, Some(4.0));
    }

    #[test]
    fn pods_killed_before_ready_and_what_is_not_recorded() {
        let pod = |name: &str, ready: bool| {
            json!({"metadata": {"name": name, "namespace": "ns", "uid": name,
            "creationTimestamp": "1970-01-01T00:00:10Z"},
            "status": {"conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}]}})
        };
        let r = run(vec![
            rev(10_000, "Pod", WatchEvent::Added, pod("a", false)),
            rev(10_000, "Pod", WatchEvent::Added, pod("b", false)),
            rev(20_000, "Pod", WatchEvent::Modified, pod("a", true)),
            rev(40_000, "Pod", WatchEvent::Deleted, pod("a", true)),
            rev(15_000, "Pod", WatchEvent::Deleted, pod("b", false)),
        ]);
        let k = compute(&r, W);
        assert_eq!(find(&k, "pods_created").value(), Some(2.0));
        assert_eq!(find(&k, "pods_killed").value(), Some(2.0));
        assert_eq!(find(&k, "pods_died_before_ready").value(), Some(1.0));
        assert_eq!(
            find(&k, "pod_lifetime_median").value(),
            Some((30.0 + 5.0) / 2.0)
        );
        for id in [
            "queue_peak_pending",
            "cpu_seconds",
            "productivity",
            "rescale_events",
        ] {
            assert!(matches!(find(&k, id), Measure::NotRecorded { .. }), "{id}");
        }
    }
}

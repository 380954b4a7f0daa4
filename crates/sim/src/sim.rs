//! The simulation loop: 100 ms steps of queue, pods and CPU; scrapes, HPA
//! syncs and KEDA polls at their own intervals; everything observed written
//! to a recording as a live recorder would have seen it.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Value, json};
use understudy_store::{
    Manifest, RecordingMeta, RecordingWriter, SourceInfo, StoreError, WriterOptions,
};

use crate::hpa::{Controller, HpaSpec, MetricInput, MetricSource, MetricTarget, PodSample};
use crate::keda::{Keda, World};
use crate::manifests::Autoscaler;
use crate::objects;
use crate::output::Output;
use crate::pipelines::{Adapter, MetricsServer, Prometheus};
use crate::queue::Queue;
use crate::rng::Rng;
use crate::scenario::{Fault, Scenario};
use crate::workload::{CFS_PERIOD_MS, Workload};

/// What `simulate` was asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    pub seed: u64,
    /// Overrides the scenario's duration.
    pub duration_ms: Option<i64>,
    /// Pace the run to the wall clock (for rehearsing with a live view);
    /// otherwise run as fast as the machine allows.
    pub realtime: bool,
}

/// What a run did, for the summary line and for tests.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Summary {
    pub simulated_ms: i64,
    pub published: u64,
    pub acked: u64,
    pub redeliveries: u64,
    pub peak_pending: u64,
    pub rescales: u64,
    /// Times the Deployment's replica count changed direction.
    pub replica_reversals: u64,
    pub pods_created: u64,
    pub samples: u64,
    pub objects: u64,
    /// Stopped before the end (Ctrl-C); `simulated_ms` is how far it got.
    pub interrupted: bool,
}

/// One HPA at work: the user's, or the one KEDA made.
struct HpaRun {
    name: String,
    uid: String,
    controller: Controller,
    spec: HpaSpec,
    offset_ms: i64,
    keda: Option<usize>,
    status: Value,
    last_scale_ms: Option<i64>,
}

/// An Event's identity for aggregation: involved object, reason, message.
type EventKey = (String, String, String);

struct Events {
    namespace: String,
    rng: Rng,
    known: BTreeMap<EventKey, (String, String, i64, u32, Value)>,
}

impl Events {
    #[allow(clippy::too_many_arguments, reason = "an Event has this many parts")]
    fn emit(
        &mut self,
        out: &mut Output,
        t: i64,
        involved: (&str, &str, &str, &str),
        ty: &str,
        reason: &str,
        message: &str,
    ) {
        // The event recorder folds repeats of one event into a count.
        let key = (
            format!("{}/{}", involved.1, involved.2),
            reason.to_owned(),
            message.to_owned(),
        );
        let entry = self.known.entry(key).or_insert_with(|| {
            let name = format!("{}.{:016x}", involved.2, self.rng.next_u64() >> 4);
            let uid = uuid(&mut self.rng);
            (name, uid, t, 0, Value::Null)
        });
        entry.3 += 1;
        let body = objects::event(
            &entry.0,
            &self.namespace,
            &entry.1,
            involved,
            (ty, reason, message),
            entry.2,
            t,
            entry.3,
        );
        entry.4 = body.clone();
        out.object(t, body);
    }
}

fn uuid(rng: &mut Rng) -> String {
    let a = rng.next_u64();
    let b = rng.next_u64();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | ((b >> 48) & 0x3fff),
        b & 0xffff_ffff_ffff
    )
}

/// Runs `scenario` and writes the recording into `out` (which must not hold
/// one yet). Same scenario and seed, same bytes.
pub fn simulate(scenario: &Scenario, opts: &Options, out: &Path) -> Result<Summary, StoreError> {
    simulate_until(scenario, opts, out, &AtomicBool::new(false))
}

/// [`simulate`], ending early once `stop` is set (Ctrl-C): the recording is
/// then closed at the simulated time reached, as a recorder closes on a
/// signal, and the summary says `interrupted`.
pub fn simulate_until(
    scenario: &Scenario,
    opts: &Options,
    out: &Path,
    stop: &AtomicBool,
) -> Result<Summary, StoreError> {
    let file = &scenario.file;
    let start = scenario.start_ms;
    let duration = opts.duration_ms.unwrap_or(file.duration.as_millis() as i64);
    let root = Rng::new(opts.seed);
    let mut ids = root.fork(1);
    let ns = file.namespace.as_str();

    // The id depends on the scenario and the seed: two scenarios run with
    // one seed are two recordings.
    let name_hash = file.name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let meta = RecordingMeta {
        id: Some(uuid(&mut root.fork(name_hash))),
        name: file.name.clone(),
        labels: [
            ("simulated".to_string(), "true".to_string()),
            ("scenario".to_string(), file.name.clone()),
            ("seed".to_string(), opts.seed.to_string()),
        ]
        .into(),
        sources: vec![SourceInfo::new(
            "simulator",
            json!({"scenario": file.name, "seed": opts.seed, "duration_ms": duration, "description": file.description}),
        )],
    };
    let writer_opts = WriterOptions {
        segment_ms: i64::MAX,
        max_segment_samples: usize::MAX,
    };
    let (writer, _) = RecordingWriter::open(out, meta, writer_opts, start)?;
    let mut o = Output::new(writer);
    let mut summary = Summary {
        simulated_ms: duration,
        ..Summary::default()
    };

    let mut queue = Queue::new(&file.queue, &file.load);
    let mut work = Workload::new(&file.backend, root.fork(2));
    let mut rng = root.fork(3);
    let mut prom = Prometheus::default();
    let mut adapter = Adapter::default();
    let mut ms = MetricsServer::default();
    let mut events = Events {
        namespace: ns.to_owned(),
        rng: root.fork(4),
        known: BTreeMap::new(),
    };

    // Objects that exist before the run: created a while ago, as in a cluster.
    let created = start - 3 * 24 * 3600 * 1000;
    let deploy_uid = uuid(&mut ids);
    let rs_uid = uuid(&mut ids);
    let crd_uid = uuid(&mut ids);
    let mut generation = 1u64;
    let mut kedas: Vec<Keda> = Vec::new();
    let mut hpas: Vec<HpaRun> = Vec::new();
    // The HPA controller works its queue in name order every sync period:
    // HPAs sync in that order, two seconds apart.
    let mut names: Vec<String> = scenario
        .autoscalers
        .iter()
        .map(|a| match a {
            Autoscaler::Hpa(h) => h.name.clone(),
            Autoscaler::Keda(so) => so.hpa_name(),
        })
        .collect();
    names.sort();
    let phase =
        |name: &str| 3_000 + 2_000 * names.iter().position(|n| n == name).unwrap_or(0) as i64;
    for a in &scenario.autoscalers {
        match a {
            Autoscaler::Hpa(h) => hpas.push(HpaRun {
                name: h.name.clone(),
                uid: uuid(&mut ids),
                controller: Controller::new(h.spec.clone()),
                spec: h.spec.clone(),
                offset_ms: phase(&h.name),
                keda: None,
                status: Value::Null,
                last_scale_ms: None,
            }),
            Autoscaler::Keda(so) => {
                let spec = so.hpa_spec();
                hpas.push(HpaRun {
                    name: so.hpa_name(),
                    uid: uuid(&mut ids),
                    controller: Controller::new(spec.clone()),
                    spec,
                    offset_ms: phase(&so.hpa_name()),
                    keda: Some(kedas.len()),
                    status: Value::Null,
                    last_scale_ms: None,
                });
                kedas.push(Keda::new(so.clone(), uuid(&mut ids)));
            }
        }
    }

    let pl = &file.pipelines;
    let every = |t: i64, period: std::time::Duration, offset: i64| {
        let p = period.as_millis() as i64;
        t >= offset && (t - offset) % p == 0
    };
    let faults = &file.faults;
    let mut last_replicas = work.replicas;
    let mut last_direction = 0i32;
    let mut pod_names: Vec<String> = Vec::new();

    // The initial list a watch starts with.
    work.reconcile(0);
    summary.pods_created = work.pods.len() as u64;
    let kinds: Vec<(&str, &str, Option<&str>)> = {
        let mut k = vec![
            ("Deployment", "apps/v1", Some(ns)),
            ("ReplicaSet", "apps/v1", Some(ns)),
            ("Pod", "v1", Some(ns)),
            ("HorizontalPodAutoscaler", "autoscaling/v2", Some(ns)),
            ("Event", "v1", Some(ns)),
        ];
        if !kedas.is_empty() {
            k.push(("CustomResourceDefinition", "apiextensions.k8s.io/v1", None));
            k.push(("ScaledObject", "keda.sh/v1alpha1", Some(ns)));
        }
        k
    };
    for &(kind, api, namespace) in &kinds {
        o.relist(start, kind, api, namespace, true);
    }

    let steps = duration / CFS_PERIOD_MS;
    let wall = std::time::Instant::now();
    let mut end = duration;
    for step in 0..=steps {
        let t = step * CFS_PERIOD_MS;
        if opts.realtime && t % 1000 == 0 {
            // What happened so far reaches the journal each second.
            o.flush()?;
            o.sync(start + t)?;
            let due = std::time::Duration::from_millis(t as u64);
            if let Some(wait) = due.checked_sub(wall.elapsed()) {
                pause(wait, stop);
            }
        }
        if stop.load(Ordering::Relaxed) {
            end = t;
            summary.interrupted = true;
            break;
        }
        let at = start + t;
        let nats_down = faults.iter().any(|f| match f {
            Fault::NatsMonitoringDown { from, to } => {
                (from.as_millis() as i64..to.as_millis() as i64).contains(&t)
            }
        });
        queue.step(t);
        work.step(t, &mut queue, &mut rng);
        summary.peak_pending = summary.peak_pending.max(queue.num_pending());

        if every(t, std::time::Duration::from_secs(1), 0) {
            let before = work.pods.len();
            let names_before: Vec<String> = work.pods.iter().map(|p| p.name.clone()).collect();
            work.reconcile(t);
            summary.pods_created += work
                .pods
                .iter()
                .filter(|p| !names_before.contains(&p.name))
                .count() as u64;
            let _ = before;
        }
        if every(t, pl.scrape_interval, 2_000) {
            prom.scrape_cadvisor(t, &work);
        }
        if every(t, pl.scrape_interval, 5_000) {
            prom.scrape_app(t, &work);
        }
        if every(t, pl.metrics_server_resolution, 1_000) {
            ms.scrape(t, &work.pods);
        }
        if every(t, pl.adapter_relist, 4_000) {
            adapter.relist(&prom);
        }

        // KEDA's polling loop.
        for k in &mut kedas {
            if every(
                t,
                std::time::Duration::from_secs(u64::from(k.so.polling_interval_s.max(1))),
                500,
            ) {
                let w = World {
                    t,
                    queue: &queue,
                    prometheus: &prom,
                    adapter: &adapter,
                    nats_down,
                };
                if let Some(r) = k.poll(&w, work.replicas) {
                    work.replicas = r;
                }
            }
        }

        // HPA syncs.
        for h in &mut hpas {
            if !every(t, pl.hpa_sync, h.offset_ms) {
                continue;
            }
            let current = work.replicas;
            let mut usage = Vec::new();
            let inputs: Vec<MetricInput> = h
                .spec
                .metrics
                .iter()
                .enumerate()
                .map(|(i, m)| match &m.source {
                    MetricSource::Resource { .. } => {
                        let pods =
                            pod_samples(&work, t, |p| ms.usage(p), Some(work.spec.cpu_request));
                        let vals: Vec<f64> = pods.iter().filter_map(|p| p.value).collect();
                        usage.push(
                            (!vals.is_empty())
                                .then(|| vals.iter().sum::<f64>() / vals.len() as f64),
                        );
                        MetricInput::Pods(pods)
                    }
                    MetricSource::Pods { .. } => {
                        usage.push(None);
                        MetricInput::Pods(pod_samples(
                            &work,
                            t,
                            |p| adapter.pod_cpu_rate(&prom, p, t),
                            None,
                        ))
                    }
                    MetricSource::External { .. } => {
                        usage.push(None);
                        let value = h.keda.and_then(|k| {
                            let w = World {
                                t,
                                queue: &queue,
                                prometheus: &prom,
                                adapter: &adapter,
                                nats_down,
                            };
                            kedas[k].metric_for_hpa(i, &w)
                        });
                        MetricInput::Value(value)
                    }
                    MetricSource::Object { .. } => {
                        usage.push(None);
                        MetricInput::Value(None)
                    }
                })
                .collect();
            let outcome = h.controller.sync(t as f64 / 1000.0, current, &inputs);
            let involved = (
                "autoscaling/v2",
                "HorizontalPodAutoscaler",
                h.name.as_str(),
                h.uid.as_str(),
            );
            for (reason, message) in &outcome.failed_metric_messages {
                events.emit(&mut o, at, involved, "Warning", reason, message);
            }
            if outcome.rescaled && outcome.desired_replicas != current {
                work.replicas = outcome.desired_replicas;
                h.last_scale_ms = Some(at);
                summary.rescales += 1;
                if let Some(msg) = &outcome.rescale_message {
                    events.emit(&mut o, at, involved, "Normal", "SuccessfulRescale", msg);
                }
            }
            let status = json!({
                "currentReplicas": work.current(),
                "desiredReplicas": outcome.desired_replicas,
                "lastScaleTime": h.last_scale_ms.map(objects::time),
                "currentMetrics": objects::current_metrics(&h.spec, &outcome.current_metrics, &usage),
                "conditions": objects::conditions(&outcome.conditions, h.status.get("conditions"), at),
            });
            h.status = status;
        }

        // The Deployment's replica count moved: the deployment controller
        // scales its ReplicaSet (and says so).
        if work.replicas != last_replicas {
            generation += 1;
            let rs_name = format!("{}-{}", work.spec.deployment, work.template_hash);
            let verb = if work.replicas > last_replicas {
                "up"
            } else {
                "down"
            };
            let msg = format!(
                "Scaled {verb} replica set {rs_name} from {last_replicas} to {}",
                work.replicas
            );
            let d_involved = (
                "apps/v1",
                "Deployment",
                work.spec.deployment.as_str(),
                deploy_uid.as_str(),
            );
            let d_involved = (
                d_involved.0,
                d_involved.1,
                &*d_involved.2.to_owned(),
                d_involved.3,
            );
            events.emit(&mut o, at, d_involved, "Normal", "ScalingReplicaSet", &msg);
            let direction = (work.replicas - last_replicas).signum();
            if last_direction != 0 && direction != last_direction {
                summary.replica_reversals += 1;
            }
            last_direction = direction;
            last_replicas = work.replicas;
        }

        // Once a second, what a watch would report and what the NATS source samples.
        if every(t, std::time::Duration::from_secs(1), 0) {
            write_objects(
                &mut o,
                at,
                t,
                &work,
                ns,
                &deploy_uid,
                &rs_uid,
                created,
                generation,
                &mut pod_names,
                &mut events,
            );
            for h in &hpas {
                o.object(at, hpa_object(h, ns, &work, &kedas, created));
            }
            if !kedas.is_empty() {
                o.object(
                    at,
                    objects::scaled_object_crd(&crd_uid, created - 3_600_000),
                );
            }
            for k in &kedas {
                o.object(
                    at,
                    objects::scaled_object(
                        &k.so,
                        ns,
                        &k.uid,
                        created,
                        k.active,
                        k.last_active_ms.map(|x| x + start),
                        &k.failures,
                        k.fallback_active,
                    ),
                );
            }
        }
        if step == 0 {
            for &(kind, api, namespace) in &kinds {
                o.relist(start, kind, api, namespace, false);
            }
        }
        if every(t, pl.queue_sample, 0) {
            record_queue(&mut o, at, &queue, file);
        }
        if every(t, pl.scrape_interval, 2_000) {
            record_cadvisor(&mut o, at, &work, ns);
        }
        if every(t, pl.scrape_interval, 5_000) {
            record_app(&mut o, at, &work, ns);
        }
        if every(t, pl.scrape_interval, 8_000) {
            record_ksm(&mut o, at, &work, ns, &hpas);
        }
        if every(t, pl.scrape_interval, 11_000) {
            record_adapter(&mut o, at, &work, ns, &prom, &adapter, t);
        }
        if every(t, std::time::Duration::from_secs(60), 0) {
            prom.compact(t);
            o.flush()?;
        }
        // Segments as a recorder with the default 5-minute segment seals them.
        if t > 0 && every(t, std::time::Duration::from_secs(300), 0) && t < duration {
            o.seal(at)?;
        }
    }
    summary.simulated_ms = end;
    summary.published = queue.published();
    summary.acked = queue.acked;
    summary.redeliveries = queue.redeliveries;
    let manifest: Manifest = o.close(start + end)?;
    let _ = Arc::<()>::default;
    summary.samples = manifest
        .segments
        .iter()
        .flat_map(|s| &s.files)
        .filter(|f| f.table == "samples")
        .map(|f| f.rows)
        .sum();
    summary.objects = manifest
        .segments
        .iter()
        .flat_map(|s| &s.files)
        .filter(|f| f.table == "objects")
        .map(|f| f.rows)
        .sum();
    Ok(summary)
}

/// Sleeps for `d`, or less once `stop` is set: a realtime run answers
/// Ctrl-C within a tenth of a second, not at the next simulated second.
fn pause(d: std::time::Duration, stop: &AtomicBool) {
    let until = std::time::Instant::now() + d;
    while !stop.load(Ordering::Relaxed) {
        let left = until.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return;
        }
        std::thread::sleep(left.min(std::time::Duration::from_millis(100)));
    }
}

/// The scale target's pods as the HPA lists them, with one metric value each.
fn pod_samples(
    work: &Workload,
    t: i64,
    value: impl Fn(&str) -> Option<f64>,
    request: Option<f64>,
) -> Vec<PodSample> {
    work.pods
        .iter()
        .map(|p| PodSample {
            name: p.name.clone(),
            running: p.is_running() && !p.is_terminating(),
            ready: p.is_ready(),
            age_s: p.started_ms.map_or(0.0, |s| (t - s) as f64 / 1000.0),
            value: if p.is_running() { value(&p.name) } else { None },
            request,
        })
        .collect()
}

fn hpa_object(h: &HpaRun, ns: &str, work: &Workload, kedas: &[Keda], created: i64) -> Value {
    let mut metadata = objects::meta(&h.name, ns, &h.uid, created);
    if let Some(k) = h.keda {
        let so = &kedas[k].so;
        metadata["labels"] = json!({
            "app.kubernetes.io/managed-by": "keda-operator",
            "app.kubernetes.io/name": h.name,
            "app.kubernetes.io/part-of": so.name,
            "app.kubernetes.io/version": "2.18.0",
            "scaledobject.keda.sh/name": so.name,
        });
        metadata["ownerReferences"] = json!([{"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "name": so.name,
            "uid": kedas[k].uid, "controller": true, "blockOwnerDeletion": true}]);
    }
    let mut status = h.status.clone();
    if status.is_null() {
        status = json!({"currentReplicas": work.current(), "desiredReplicas": 0});
    }
    json!({
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": metadata,
        "spec": objects::hpa_spec(&h.spec, &work.spec.deployment),
        "status": status,
    })
}

#[allow(clippy::too_many_arguments, reason = "the objects of one workload")]
fn write_objects(
    o: &mut Output,
    at: i64,
    t: i64,
    work: &Workload,
    ns: &str,
    deploy_uid: &str,
    rs_uid: &str,
    created: i64,
    generation: u64,
    pod_names: &mut Vec<String>,
    events: &mut Events,
) {
    o.object(
        at,
        objects::deployment(work, ns, deploy_uid, created, generation),
    );
    o.object(
        at,
        objects::replica_set(work, ns, rs_uid, deploy_uid, created),
    );
    let rs_name = format!("{}-{}", work.spec.deployment, work.template_hash);
    let current: Vec<String> = work.pods.iter().map(|p| p.name.clone()).collect();
    for p in &work.pods {
        if !pod_names.contains(&p.name) {
            let msg = format!("Created pod: {}", p.name);
            events.emit(
                o,
                at,
                ("apps/v1", "ReplicaSet", &rs_name, rs_uid),
                "Normal",
                "SuccessfulCreate",
                &msg,
            );
        }
        o.object(at, objects::pod(p, work, ns, rs_uid, at - t));
    }
    for gone in pod_names.iter().filter(|n| !current.contains(n)) {
        o.delete(at, "Pod", gone);
    }
    for p in work
        .pods
        .iter()
        .filter(|p| p.deleted_ms.is_some_and(|d| d > t - 1000 && d <= t))
    {
        let msg = format!("Deleted pod: {}", p.name);
        events.emit(
            o,
            at,
            ("apps/v1", "ReplicaSet", &rs_name, rs_uid),
            "Normal",
            "SuccessfulDelete",
            &msg,
        );
    }
    *pod_names = current;
}

fn record_queue(o: &mut Output, at: i64, q: &Queue, file: &crate::scenario::ScenarioFile) {
    let s = &file.queue;
    let stream = [
        ("account", "$G"),
        ("server_name", s.server_name.as_str()),
        ("stream_name", s.stream.as_str()),
    ];
    let consumer = [
        ("account", "$G"),
        ("consumer_name", s.consumer.as_str()),
        ("server_name", s.server_name.as_str()),
        ("stream_name", s.stream.as_str()),
    ];
    o.sample(
        at,
        "jetstream_stream_total_messages",
        &stream,
        q.stream_messages() as f64,
    );
    o.sample(
        at,
        "jetstream_stream_first_seq",
        &stream,
        q.first_seq() as f64,
    );
    o.sample(
        at,
        "jetstream_stream_last_seq",
        &stream,
        q.last_seq() as f64,
    );
    o.sample(at, "jetstream_stream_consumer_count", &stream, 1.0);
    o.sample(
        at,
        "jetstream_consumer_num_pending",
        &consumer,
        q.num_pending() as f64,
    );
    o.sample(
        at,
        "jetstream_consumer_num_ack_pending",
        &consumer,
        q.num_ack_pending() as f64,
    );
    o.sample(
        at,
        "jetstream_consumer_num_redelivered",
        &consumer,
        q.num_redelivered() as f64,
    );
    o.sample(
        at,
        "jetstream_consumer_delivered_consumer_seq",
        &consumer,
        q.delivered as f64,
    );
    o.sample(
        at,
        "jetstream_consumer_delivered_stream_seq",
        &consumer,
        q.delivered_stream_seq as f64,
    );
}

fn record_cadvisor(o: &mut Output, at: i64, work: &Workload, ns: &str) {
    for p in work.pods.iter().filter(|p| p.is_running()) {
        let instance = "10.128.0.12:10250";
        let labels = [
            ("container", "backend"),
            ("endpoint", "https-metrics"),
            ("instance", instance),
            ("job", "kubelet"),
            ("metrics_path", "/metrics/cadvisor"),
            ("namespace", ns),
            ("node", p.node.as_str()),
            ("pod", p.name.as_str()),
            ("service", "kube-prometheus-stack-kubelet"),
        ];
        let c = &p.counters;
        o.sample(
            at,
            "container_cpu_usage_seconds_total",
            &labels,
            round6(c.cpu_seconds),
        );
        o.sample(
            at,
            "container_cpu_cfs_periods_total",
            &labels,
            c.periods as f64,
        );
        o.sample(
            at,
            "container_cpu_cfs_throttled_periods_total",
            &labels,
            c.throttled_periods as f64,
        );
        o.sample(
            at,
            "container_cpu_cfs_throttled_seconds_total",
            &labels,
            round6(c.throttled_seconds),
        );
    }
}

/// Counters as cAdvisor prints them (microsecond resolution).
fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

fn record_app(o: &mut Output, at: i64, work: &Workload, ns: &str) {
    for p in work.pods.iter().filter(|p| p.is_ready()) {
        let instance = format!("{}:8080", p.ip);
        let labels = [
            ("container", "backend"),
            ("endpoint", "metrics"),
            ("instance", instance.as_str()),
            ("job", "meme-backend"),
            ("namespace", ns),
            ("pod", p.name.as_str()),
            ("service", "meme-backend"),
        ];
        o.sample(
            at,
            "meme_generator_success_total",
            &labels,
            p.counters.successes as f64,
        );
    }
}

fn record_ksm(o: &mut Output, at: i64, work: &Workload, ns: &str, hpas: &[HpaRun]) {
    let base = [("job", "kube-state-metrics"), ("namespace", ns)];
    let with = |extra: &[(&'static str, &str)]| -> Vec<(&'static str, String)> {
        base.iter()
            .map(|(k, v)| (*k, (*v).to_owned()))
            .chain(extra.iter().map(|(k, v)| (*k, (*v).to_owned())))
            .collect()
    };
    let sample = |o: &mut Output, metric: &str, labels: &[(&'static str, String)], v: f64| {
        let l: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
        o.sample(at, metric, &l, v);
    };
    let d = with(&[("deployment", work.spec.deployment.as_str())]);
    sample(
        o,
        "kube_deployment_spec_replicas",
        &d,
        f64::from(work.replicas),
    );
    sample(
        o,
        "kube_deployment_status_replicas",
        &d,
        work.current() as f64,
    );
    sample(
        o,
        "kube_deployment_status_replicas_available",
        &d,
        work.ready() as f64,
    );
    sample(
        o,
        "kube_deployment_status_replicas_updated",
        &d,
        work.current() as f64,
    );
    sample(
        o,
        "kube_deployment_status_replicas_ready",
        &d,
        work.ready() as f64,
    );
    for h in hpas {
        let l = with(&[("horizontalpodautoscaler", h.name.as_str())]);
        sample(
            o,
            "kube_horizontalpodautoscaler_spec_min_replicas",
            &l,
            f64::from(h.spec.min_replicas),
        );
        sample(
            o,
            "kube_horizontalpodautoscaler_spec_max_replicas",
            &l,
            f64::from(h.spec.max_replicas),
        );
        let current = h.status["currentReplicas"].as_f64().unwrap_or(0.0);
        let desired = h.status["desiredReplicas"].as_f64().unwrap_or(0.0);
        sample(
            o,
            "kube_horizontalpodautoscaler_status_current_replicas",
            &l,
            current,
        );
        sample(
            o,
            "kube_horizontalpodautoscaler_status_desired_replicas",
            &l,
            desired,
        );
        for (i, m) in h.spec.metrics.iter().enumerate() {
            let name = match &m.source {
                MetricSource::Resource { name } => name.clone(),
                MetricSource::Pods { metric }
                | MetricSource::External { metric, .. }
                | MetricSource::Object { metric, .. } => metric.clone(),
            };
            let (kind, target) = match m.target {
                MetricTarget::Utilization(u) => ("utilization", f64::from(u)),
                MetricTarget::AverageValue(v) => ("average", v),
                MetricTarget::Value(v) => ("value", v),
            };
            let ml = with(&[
                ("horizontalpodautoscaler", h.name.as_str()),
                ("metric_name", name.as_str()),
                ("metric_target_type", kind),
            ]);
            sample(
                o,
                "kube_horizontalpodautoscaler_spec_target_metric",
                &ml,
                target,
            );
            let current = h.status["currentMetrics"]
                .as_array()
                .and_then(|cm| cm.get(i))
                .and_then(|c| {
                    let cur = c.as_object()?.values().find_map(|v| v.get("current"))?;
                    cur.get("averageUtilization")
                        .and_then(Value::as_f64)
                        .or_else(|| {
                            cur.get("averageValue")
                                .or(cur.get("value"))
                                .and_then(Value::as_str)
                                .and_then(|s| crate::units::parse_quantity(s).ok())
                        })
                });
            if let Some(v) = current {
                sample(
                    o,
                    "kube_horizontalpodautoscaler_status_target_metric",
                    &ml,
                    v,
                );
            }
        }
    }
    for p in &work.pods {
        let phase = match p.phase {
            crate::workload::Phase::Pending { .. } | crate::workload::Phase::Init { .. } => {
                "Pending"
            }
            crate::workload::Phase::Terminating { error: true, .. } => "Failed",
            _ => "Running",
        };
        for ph in ["Pending", "Running", "Succeeded", "Failed", "Unknown"] {
            let l = with(&[
                ("phase", ph),
                ("pod", p.name.as_str()),
                ("uid", p.uid.as_str()),
            ]);
            sample(
                o,
                "kube_pod_status_phase",
                &l,
                f64::from(u8::from(ph == phase)),
            );
        }
    }
}

fn record_adapter(
    o: &mut Output,
    at: i64,
    work: &Workload,
    ns: &str,
    prom: &Prometheus,
    adapter: &Adapter,
    t: i64,
) {
    for p in work.pods.iter().filter(|p| p.is_running()) {
        let labels = [("namespace", ns), ("pod", p.name.as_str())];
        if let Some(v) = adapter.pod_cpu_rate(prom, &p.name, t) {
            o.sample(at, "memegenerator_pod_cpu_rate", &labels, v);
        }
        let success = prom.success_rate(&p.name, t, 300_000).unwrap_or(0.0);
        if let Some(cpu) = prom.cpu_rate(&p.name, t, 300_000) {
            o.sample(
                at,
                "memegenerator_pod_productivity",
                &labels,
                success / cpu.max(0.0001),
            );
        }
    }
}

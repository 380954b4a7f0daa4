//! The Kubernetes source against the fixture API server: the objects of the
//! bundled conflict run are served revision by revision, and the recording
//! must hold what the watches saw — every revision, the same final state as
//! `kubectl` and a kube-rs client read, the derived series, the polled
//! metrics API answers — through 410 Gone, cut streams, 403s and CRDs that
//! appear late.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use understudy_core::{ObjectRevision, Sample, Source, SourceError, TimeRange, WatchEvent};
use understudy_source_kube::{DEFAULT_KINDS, KubeConfig, KubeSource, RAW_KIND};
use understudy_testkit::Collect;
use understudy_testkit::kube::FixtureApi;

const NS: &str = "meme-generator";

struct Running {
    sink: Collect,
    task: tokio::task::JoinHandle<Result<(), SourceError>>,
    kubeconfig: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Running {
    fn objects(&self) -> Vec<ObjectRevision> {
        self.sink.objects()
    }

    fn revisions(&self) -> Vec<ObjectRevision> {
        self.objects()
            .into_iter()
            .filter(|o| o.object.is_some())
            .collect()
    }

    fn markers(&self, kind: &str, event: WatchEvent) -> usize {
        self.objects()
            .iter()
            .filter(|o| o.kind == kind && o.event == event)
            .count()
    }

    /// The newest sample of `metric` whose labels include `labels`.
    fn last(&self, metric: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.sink
            .samples()
            .iter()
            .filter(|s| s.series.metric() == metric && has(s, labels))
            .max_by_key(|s| s.timestamp_ms)
            .map(|s| s.value)
    }
}

fn has(s: &Sample, labels: &[(&str, &str)]) -> bool {
    labels
        .iter()
        .all(|(k, v)| s.series.labels().get(k) == Some(*v))
}

/// Starts the source on the fixture with `extra` config keys.
async fn record(api: &FixtureApi, extra: Value) -> Running {
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = dir.path().join("kubeconfig");
    api.write_kubeconfig(&kubeconfig);
    let mut cfg = json!({
        "kubeconfig": kubeconfig,
        "namespaces": [NS],
        "series_interval": "1s",
        "poll_interval": "1s",
        "discovery_interval": "1s",
    });
    for (k, v) in extra.as_object().into_iter().flatten() {
        cfg[k] = v.clone();
    }
    let config: KubeConfig = serde_json::from_value(cfg).expect("config");
    assert!(config.problems().is_empty(), "{:?}", config.problems());
    let mut source = KubeSource::new(0, config);
    let sink = Collect::default();
    let s = sink.clone();
    let task = tokio::spawn(async move { source.run(&s).await });
    Running {
        sink,
        task,
        kubeconfig,
        _dir: dir,
    }
}

async fn until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The bundled conflict run's object revisions, markers left out.
fn conflict() -> Vec<ObjectRevision> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../recordings/conflict");
    understudy_store::Recording::open(&dir)
        .expect("recordings/conflict")
        .objects(TimeRange::ALL)
        .expect("objects")
        .into_iter()
        .filter(|o| o.object.is_some())
        .collect()
}

fn json_of(r: &ObjectRevision) -> Value {
    serde_json::from_str(r.object.as_deref().expect("object")).expect("object JSON")
}

/// Serves the revisions in order, as the cluster went through them.
async fn feed(api: &FixtureApi, revisions: &[ObjectRevision]) {
    for (i, r) in revisions.iter().enumerate() {
        let mut o = json_of(r);
        match r.event {
            WatchEvent::Deleted => {
                api.delete(
                    &r.kind,
                    r.namespace.as_deref().unwrap_or_default(),
                    r.name.as_deref().unwrap_or_default(),
                );
            }
            _ => {
                o["metadata"]
                    .as_object_mut()
                    .expect("metadata")
                    .remove("resourceVersion");
                api.apply(o);
            }
        }
        if i % 50 == 49 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

type Key = (String, String, String, String);

/// What a reader holds after applying the rows in order, resourceVersions
/// left out (the fixture numbers its own).
fn state(revisions: &[ObjectRevision]) -> BTreeMap<Key, Value> {
    let mut out = BTreeMap::new();
    for r in revisions
        .iter()
        .filter(|r| r.object.is_some() && r.kind != RAW_KIND)
    {
        let key = (
            r.api_version.clone(),
            r.kind.clone(),
            r.namespace.clone().unwrap_or_default(),
            r.name.clone().unwrap_or_default(),
        );
        if r.event == WatchEvent::Deleted {
            out.remove(&key);
        } else {
            out.insert(key, without_rv(json_of(r)));
        }
    }
    out
}

fn without_rv(mut o: Value) -> Value {
    if let Some(m) = o["metadata"].as_object_mut() {
        m.remove("resourceVersion");
    }
    o
}

fn count_by_kind(revisions: &[ObjectRevision]) -> BTreeMap<(String, String), usize> {
    let mut out = BTreeMap::new();
    for r in revisions
        .iter()
        .filter(|r| r.object.is_some() && r.kind != RAW_KIND)
    {
        *out.entry((r.kind.clone(), r.event.to_string()))
            .or_default() += 1;
    }
    out
}

/// All default kinds plus the ScaledObject CRD, each listed once.
async fn initial_lists_done(run: &Running) {
    until("the initial lists", Duration::from_secs(20), || {
        run.objects()
            .iter()
            .filter(|o| o.event == WatchEvent::RelistEnd)
            .count()
            > DEFAULT_KINDS.len()
    })
    .await;
}

fn kubectl(kubeconfig: &Path, args: &[&str]) -> Value {
    let out = std::process::Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(args)
        .output()
        .expect("kubectl is installed (scripts/setup.sh installs it)");
    assert!(
        out.status.success(),
        "kubectl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("kubectl JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_every_revision_of_a_run_and_the_same_state_kubectl_reads() {
    let api = FixtureApi::start_with(Duration::from_millis(200), 100_000).await;
    // Not a recorded namespace.
    api.apply(json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "elsewhere", "namespace": "other"}, "status": {"phase": "Running"}}));
    let original = conflict();
    let hpas: Vec<Value> = state(&original)
        .into_iter()
        .filter(|(k, _)| k.1 == "HorizontalPodAutoscaler")
        .map(|(_, v)| v)
        .collect();
    // What the metrics APIs answer the KEDA HPA's controller and the speaker
    // (a real answer of the run, copied from the team's reference fixtures).
    let pod_metric: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/conflict-memegenerator-pod-metric.json"),
        )
        .expect("fixture"),
    )
    .expect("json");
    let pod_path = format!(
        "/apis/custom.metrics.k8s.io/v1beta1/namespaces/{NS}/pods/*/memegenerator_pod_cpu_rate"
    );
    api.set_raw(&pod_path, 200, pod_metric.clone());
    let external_path = format!(
        "/apis/external.metrics.k8s.io/v1beta1/namespaces/{NS}/s0-nats-jetstream-memes?labelSelector=scaledobject.keda.sh%2Fname%3Dmeme-backend"
    );
    let external = json!({"kind": "ExternalMetricValueList", "apiVersion": "external.metrics.k8s.io/v1beta1",
        "metadata": {}, "items": [{"metricName": "s0-nats-jetstream-MEMES",
        "metricLabels": null, "timestamp": "2025-10-27T17:35:00Z", "value": "5857"}]});
    api.set_raw(&external_path, 200, external.clone());

    let run = record(&api, json!({"poll_paths": [pod_path]})).await;
    initial_lists_done(&run).await;
    feed(&api, &original).await;
    let want = count_by_kind(&original);
    until("every revision of the run", Duration::from_secs(60), || {
        count_by_kind(&run.revisions()) == want
    })
    .await;
    let recorded = run.revisions();
    let (mine, theirs) = (state(&recorded), state(&original));
    assert_eq!(
        mine.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>()
    );
    for (k, v) in &theirs {
        assert_eq!(&mine[k], v, "{k:?} differs");
    }
    assert!(
        recorded
            .iter()
            .all(|r| r.namespace.as_deref() != Some("other"))
    );
    assert!(
        recorded
            .iter()
            .all(|r| r.resource_version.is_some() || r.kind == RAW_KIND),
        "every revision carries the server's resourceVersion"
    );
    let events: Vec<&ObjectRevision> = recorded.iter().filter(|r| r.kind == "Event").collect();
    assert!(
        events.iter().all(|e| e.server_time_ms.is_some()),
        "Events carry their server time"
    );

    // kubectl and kube-rs read the fixture as the recorder did.
    let listed = kubectl(&run.kubeconfig, &["get", "hpa", "-n", NS, "-o", "json"]);
    for item in listed["items"].as_array().expect("items") {
        let name = item["metadata"]["name"].as_str().expect("name").to_owned();
        let key = (
            "autoscaling/v2".to_owned(),
            "HorizontalPodAutoscaler".to_owned(),
            NS.to_owned(),
            name,
        );
        assert_eq!(
            Some(&without_rv(item.clone())),
            mine.get(&key),
            "kubectl get hpa {}",
            key.3
        );
    }
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(hpas.len()));
    let pods = kubectl(&run.kubeconfig, &["get", "pods", "-n", NS, "-o", "json"]);
    let recorded_pods = mine.keys().filter(|k| k.1 == "Pod").count();
    assert_eq!(pods["items"].as_array().map(Vec::len), Some(recorded_pods));
    let _ = rustls::crypto::ring::default_provider().install_default();
    let config = kube::Config::from_custom_kubeconfig(
        kube::config::Kubeconfig::read_from(&run.kubeconfig).expect("kubeconfig"),
        &kube::config::KubeConfigOptions::default(),
    )
    .await
    .expect("config");
    let client = kube::Client::try_from(config).expect("client");
    let deployments: kube::Api<k8s_openapi::api::apps::v1::Deployment> =
        kube::Api::namespaced(client, NS);
    for d in deployments.list(&Default::default()).await.expect("list") {
        let key = (
            "apps/v1".to_owned(),
            "Deployment".to_owned(),
            NS.to_owned(),
            d.metadata.name.clone().unwrap_or_default(),
        );
        let recorded = &mine[&key];
        assert_eq!(
            serde_json::to_value(&d.spec).expect("spec"),
            recorded["spec"],
            "kube-rs and the recording disagree on {}",
            key.3
        );
    }

    // Derived series: fresh after the next tick, equal to the final objects.
    let deadline = run
        .sink
        .samples()
        .iter()
        .map(|s| s.timestamp_ms)
        .max()
        .unwrap_or(0)
        + 1;
    until("a tick after the run", Duration::from_secs(10), || {
        run.sink.samples().iter().any(|s| {
            s.timestamp_ms > deadline && s.series.metric() == "kube_deployment_spec_replicas"
        })
    })
    .await;
    let deployment = &mine[&(
        "apps/v1".into(),
        "Deployment".into(),
        NS.into(),
        "meme-backend".into(),
    )];
    let spec_replicas = deployment["spec"]["replicas"].as_f64().expect("replicas");
    assert_eq!(
        run.last(
            "kube_deployment_spec_replicas",
            &[("deployment", "meme-backend")]
        ),
        Some(spec_replicas)
    );
    let available = deployment["status"]["availableReplicas"]
        .as_f64()
        .unwrap_or(0.0);
    assert_eq!(
        run.last(
            "kube_deployment_status_replicas_available",
            &[("deployment", "meme-backend")]
        ),
        Some(available)
    );
    for hpa in &hpas {
        let name = hpa["metadata"]["name"].as_str().expect("name");
        let l = [("namespace", NS), ("horizontalpodautoscaler", name)];
        assert_eq!(
            run.last("kube_horizontalpodautoscaler_spec_max_replicas", &l),
            hpa["spec"]["maxReplicas"].as_f64()
        );
        assert_eq!(
            run.last("kube_horizontalpodautoscaler_status_desired_replicas", &l),
            hpa["status"]["desiredReplicas"].as_f64()
        );
        // Rescales: each SuccessfulRescale Event counted with its final count.
        let mut counts: BTreeMap<String, f64> = BTreeMap::new();
        for e in original.iter().filter(|r| r.kind == "Event").map(json_of) {
            if e["reason"] == "SuccessfulRescale" && e["involvedObject"]["name"] == name {
                let c = e["count"].as_f64().unwrap_or(1.0);
                let uid = e["metadata"]["uid"].as_str().unwrap_or_default().to_owned();
                let slot = counts.entry(uid).or_default();
                *slot = slot.max(c);
            }
        }
        let rescales: f64 = counts.values().sum();
        assert_eq!(
            run.last("understudy_hpa_rescale_events_total", &l),
            Some(rescales),
            "{name}"
        );
    }
    let total: f64 = hpas
        .iter()
        .filter_map(|h| {
            run.last(
                "understudy_hpa_rescale_events_total",
                &[(
                    "horizontalpodautoscaler",
                    h["metadata"]["name"].as_str().unwrap_or_default(),
                )],
            )
        })
        .sum();
    assert!(total >= 20.0, "the conflict run rescales a lot: {total}");
    let keda = [
        ("horizontalpodautoscaler", "keda-hpa-meme-backend"),
        ("metric_name", "s0-nats-jetstream-MEMES"),
        ("metric_target_type", "average"),
    ];
    assert_eq!(
        run.last("kube_horizontalpodautoscaler_spec_target_metric", &keda),
        Some(5.0)
    );
    let running: f64 = mine
        .iter()
        .filter(|(k, v)| k.1 == "Pod" && v["status"]["phase"] == "Running")
        .count() as f64;
    let running_series: f64 = run
        .sink
        .samples()
        .iter()
        .filter(|s| {
            s.timestamp_ms > deadline
                && s.series.metric() == "kube_pod_status_phase"
                && has(s, &[("phase", "Running")])
        })
        .fold(BTreeMap::new(), |mut m, s| {
            m.insert(
                s.series.labels().get("pod").unwrap_or_default().to_owned(),
                s.value,
            );
            m
        })
        .values()
        .sum();
    assert_eq!(
        running_series, running,
        "kube_pod_status_phase{{phase=\"Running\"}}"
    );

    // Polled answers, named by the path asked, bodies as answered.
    until("the polled answers", Duration::from_secs(10), || {
        let names: Vec<String> = run
            .revisions()
            .iter()
            .filter(|r| r.kind == RAW_KIND)
            .filter_map(|r| r.name.clone())
            .collect();
        names.contains(&pod_path) && names.contains(&external_path)
    })
    .await;
    for (path, body) in [(&pod_path, &pod_metric), (&external_path, &external)] {
        let r = run
            .revisions()
            .into_iter()
            .find(|r| r.kind == RAW_KIND && r.name.as_ref() == Some(path))
            .expect("polled");
        assert_eq!(&json_of(&r), body, "{path}");
        assert_eq!(r.namespace.as_deref(), Some(NS));
    }
}

fn pod(name: &str, phase: &str, restarts: u32) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": NS, "labels": {"app": "meme-backend"},
            "managedFields": [{"manager": "kubelet", "operation": "Update", "apiVersion": "v1",
                               "fieldsType": "FieldsV1", "fieldsV1": {"f:status": {}}}]},
        "spec": {"containers": [{"name": "backend", "image": "meme-backend:1"}]},
        "status": {"phase": phase, "containerStatuses": [{"name": "backend", "restartCount": restarts, "ready": phase == "Running"}]}
    })
}

fn pod_rows(run: &Running, name: &str) -> Vec<WatchEvent> {
    run.revisions()
        .iter()
        .filter(|r| r.kind == "Pod" && r.name.as_deref() == Some(name))
        .map(|r| r.event)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_410_relist_records_what_changed_unwatched_and_no_duplicates() {
    let api = FixtureApi::start_with(Duration::from_millis(200), 100_000).await;
    for name in ["a", "b", "c"] {
        api.apply(pod(name, "Running", 0));
    }
    let run = record(&api, json!({"kinds": ["Pod"]})).await;
    until("the first list", Duration::from_secs(20), || {
        run.markers("Pod", WatchEvent::RelistEnd) == 1
    })
    .await;
    assert_eq!(run.revisions().len(), 3);
    assert!(
        run.revisions().iter().all(|r| !r
            .object
            .as_deref()
            .unwrap_or_default()
            .contains("managedFields")),
        "managedFields are dropped"
    );

    // The watch is cut; meanwhile a goes, b restarts, d comes, and the
    // server forgets the history: the watch resumes into 410 Gone.
    api.drop_watches();
    api.delete("Pod", NS, "a");
    api.apply(pod("b", "Running", 1));
    api.apply(pod("d", "Pending", 0));
    api.expire_history();
    until("the relist", Duration::from_secs(30), || {
        run.markers("Pod", WatchEvent::RelistEnd) == 2
    })
    .await;
    let objects = run.objects();
    let start = objects
        .iter()
        .rposition(|o| o.event == WatchEvent::RelistStart)
        .expect("start");
    let end = objects
        .iter()
        .rposition(|o| o.event == WatchEvent::RelistEnd)
        .expect("end");
    let mut inside: Vec<(WatchEvent, String)> = objects[start..end]
        .iter()
        .filter_map(|o| Some((o.event, o.name.clone()?)))
        .collect();
    inside.sort_by(|x, y| x.1.cmp(&y.1));
    assert_eq!(
        inside,
        [
            (WatchEvent::Deleted, "a".to_owned()),
            (WatchEvent::Modified, "b".into()),
            (WatchEvent::Added, "d".into())
        ],
        "c is unchanged and not recorded again"
    );
    assert_eq!(pod_rows(&run, "c"), [WatchEvent::Added]);
    assert_eq!(
        run.last("kube_pod_container_status_restarts_total", &[("pod", "b")]),
        Some(1.0)
    );
    assert!(
        run.last(
            "understudy_kubernetes_errors_total",
            &[("kind", "Pod"), ("reason", "expired")]
        )
        .is_none_or(|n| n >= 1.0)
    );

    // A cut without expiry resumes from the last resourceVersion: no relist.
    api.drop_watches();
    api.apply(pod("c", "Failed", 0));
    until("c failing", Duration::from_secs(30), || {
        pod_rows(&run, "c").len() == 2
    })
    .await;
    assert_eq!(
        pod_rows(&run, "c"),
        [WatchEvent::Added, WatchEvent::Modified]
    );
    assert_eq!(run.markers("Pod", WatchEvent::RelistStart), 2);
    let mut server = BTreeMap::new();
    for name in ["b", "c", "d"] {
        server.insert(name.to_owned(), ());
    }
    let held: BTreeMap<String, ()> = state(&run.revisions())
        .keys()
        .map(|k| (k.3.clone(), ()))
        .collect();
    assert_eq!(held, server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forbidden_kind_is_counted_and_the_other_kinds_keep_recording() {
    let api = FixtureApi::start().await;
    api.forbid("pods");
    api.apply(pod("a", "Running", 0));
    let hpa = conflict()
        .into_iter()
        .find(|r| r.kind == "HorizontalPodAutoscaler")
        .expect("hpa");
    let mut hpa = json_of(&hpa);
    hpa["metadata"]
        .as_object_mut()
        .expect("meta")
        .remove("resourceVersion");
    api.apply(hpa);
    let run = record(&api, json!({"kinds": ["HorizontalPodAutoscaler", "Pod"]})).await;
    until("the HPA", Duration::from_secs(20), || {
        run.revisions()
            .iter()
            .any(|r| r.kind == "HorizontalPodAutoscaler")
    })
    .await;
    until("the 403 counted", Duration::from_secs(20), || {
        run.last(
            "understudy_kubernetes_errors_total",
            &[("kind", "Pod"), ("reason", "forbidden")],
        )
        .is_some_and(|n| n >= 1.0)
    })
    .await;
    assert!(run.revisions().iter().all(|r| r.kind != "Pod"));
    assert!(!run.task.is_finished(), "a 403 does not stop the source");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crd_installed_later_is_found_and_its_definition_recorded() {
    let api = FixtureApi::start().await;
    api.unserve("ScaledObject");
    let run = record(
        &api,
        json!({"kinds": ["Deployment", "keda.sh/v1alpha1/ScaledObject"]}),
    )
    .await;
    until("the Deployment list", Duration::from_secs(20), || {
        run.markers("Deployment", WatchEvent::RelistEnd) == 1
    })
    .await;
    assert!(
        !run.task.is_finished(),
        "an absent CRD is a note, not an error"
    );
    let original = conflict();
    let first = |kind: &str| {
        let mut o = json_of(original.iter().find(|r| r.kind == kind).expect(kind));
        o["metadata"]
            .as_object_mut()
            .expect("meta")
            .remove("resourceVersion");
        o
    };
    api.serve("ScaledObject");
    api.apply(first("CustomResourceDefinition"));
    api.apply(first("ScaledObject"));
    until(
        "the ScaledObject and its CRD",
        Duration::from_secs(20),
        || {
            let r = run.revisions();
            r.iter().any(|r| r.kind == "ScaledObject")
                && r.iter().any(|r| r.kind == "CustomResourceDefinition")
        },
    )
    .await;
    let crd = run
        .revisions()
        .into_iter()
        .find(|r| r.kind == "CustomResourceDefinition")
        .expect("crd");
    assert_eq!(crd.name.as_deref(), Some("scaledobjects.keda.sh"));
    assert_eq!(crd.namespace, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_server_that_goes_away_ends_the_run_as_unavailable() {
    let api = FixtureApi::start_with(Duration::from_millis(200), 1000).await;
    let mut run = record(&api, json!({"kinds": ["Pod"]})).await;
    until("the first list", Duration::from_secs(20), || {
        run.markers("Pod", WatchEvent::RelistEnd) == 1
    })
    .await;
    drop(api);
    let ended = tokio::time::timeout(Duration::from_secs(60), &mut run.task)
        .await
        .expect("the source notices within a minute")
        .expect("task");
    match ended {
        Err(SourceError::Unavailable(m)) => assert!(m.contains("unreachable"), "{m}"),
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

#[test]
fn the_source_names_itself_and_redacts_nothing_it_does_not_hold() {
    let config: KubeConfig =
        serde_json::from_value(json!({"context": "kind-demo"})).expect("config");
    let source = KubeSource::new(2, config);
    assert_eq!(source.name(), "kubernetes[2]");
    assert_eq!(source.config()["context"], "kind-demo");
}

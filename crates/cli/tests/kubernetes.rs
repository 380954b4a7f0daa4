//! `understudy record` with `[[source.kubernetes]]`, pointed by kubeconfig
//! at the fixture API server: objects and derived series land in the
//! recording, a 403 names the missing RBAC, an absent CRD is a note, and an
//! API server that goes away is a gap.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{Recorder, write};
use serde_json::Value;
use understudy_core::{TimeRange, WatchEvent};
use understudy_store::Recording;
use understudy_testkit::kube::FixtureApi;

/// The first revision of each object of `kind` in the bundled conflict run.
fn first_of(kind: &str) -> Vec<Value> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../recordings/conflict");
    let mut seen = std::collections::BTreeSet::new();
    Recording::open(&dir)
        .expect("recordings/conflict")
        .objects(TimeRange::ALL)
        .expect("objects")
        .into_iter()
        .filter(|o| o.kind == kind && o.event == WatchEvent::Added)
        .filter(|o| seen.insert(o.name.clone()))
        .filter_map(|o| serde_json::from_str::<Value>(o.object.as_deref()?).ok())
        .map(|mut o| {
            o["metadata"]
                .as_object_mut()
                .expect("metadata")
                .remove("resourceVersion");
            o
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn record_holds_the_clusters_objects_names_a_403_and_notes_a_missing_crd() {
    let dir = tempfile::tempdir().expect("tempdir");
    let api = FixtureApi::start().await;
    for kind in ["HorizontalPodAutoscaler", "Deployment", "Pod"] {
        for o in first_of(kind).into_iter().take(3) {
            api.apply(o);
        }
    }
    api.forbid("events");
    api.unserve("ScaledObject");
    let kubeconfig = dir.path().join("kubeconfig");
    api.write_kubeconfig(&kubeconfig);
    let config = write(
        &dir.path().join("understudy.toml"),
        &format!(
            "[recorder]\nflush_interval = \"200ms\"\n\n[[source.kubernetes]]\nkubeconfig = {:?}\nnamespaces = [\"meme-generator\"]\nseries_interval = \"1s\"\n",
            kubeconfig.display().to_string()
        ),
    );
    let out = dir.path().join("rec");
    let mut recorder = Recorder::start(&config, &out);
    let forbidden = recorder.wait_for("cannot list Event (v1)", Duration::from_secs(30));
    assert!(
        forbidden.contains("cannot list Event (v1) in namespace meme-generator: 403 Forbidden")
            && forbidden.contains("\"events\" in API group \"\"")
            && forbidden.contains("deploy/recorder/clusterrole.yaml"),
        "{forbidden}"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let log = recorder.interrupt();
    assert!(
        log.contains("ScaledObject (keda.sh/v1alpha1) is not served")
            && log.contains("its CustomResourceDefinition is not installed"),
        "{log}"
    );
    assert_eq!(
        log.lines()
            .filter(|l| l.contains("cannot list Event (v1)"))
            .count(),
        1,
        "said once, not at every retry:\n{log}"
    );

    let rec = Recording::open(&out).expect("recording");
    let objects = rec.objects(TimeRange::ALL).expect("objects");
    for kind in ["HorizontalPodAutoscaler", "Deployment", "Pod"] {
        let n = objects
            .iter()
            .filter(|o| o.kind == kind && o.event == WatchEvent::Added)
            .count();
        assert_eq!(n, first_of(kind).len().min(3), "{kind}\n{log}");
    }
    assert!(objects.iter().all(|o| o.kind != "Event"), "{log}");
    let replicas = rec
        .samples(TimeRange::ALL, |s| {
            s.metric() == "kube_horizontalpodautoscaler_status_current_replicas"
        })
        .expect("samples");
    assert_eq!(
        replicas.len(),
        first_of("HorizontalPodAutoscaler").len().min(3)
    );
    assert!(
        replicas.iter().all(|s| s.values.len() >= 2),
        "sampled every second"
    );
    let source = &rec.manifest().sources;
    assert!(
        source.iter().any(|s| s.name == "kubernetes[0]"),
        "{source:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_api_server_that_goes_away_is_a_gap() {
    let dir = tempfile::tempdir().expect("tempdir");
    let api = FixtureApi::start().await;
    for o in first_of("Deployment") {
        api.apply(o);
    }
    let kubeconfig = dir.path().join("kubeconfig");
    api.write_kubeconfig(&kubeconfig);
    let config = write(
        &dir.path().join("understudy.toml"),
        &format!(
            "[recorder]\nflush_interval = \"200ms\"\n\n[[source.kubernetes]]\nkubeconfig = {:?}\nkinds = [\"Deployment\"]\n",
            kubeconfig.display().to_string()
        ),
    );
    let out = dir.path().join("rec");
    let mut recorder = Recorder::start(&config, &out);
    recorder.wait_for("watching 1 scopes", Duration::from_secs(30));
    drop(api);
    recorder.wait_for("unreachable", Duration::from_secs(60));
    let log = recorder.interrupt();
    let rec = Recording::open(&out).expect("recording");
    let gaps: Vec<_> = rec
        .manifest()
        .gaps
        .iter()
        .filter(|g| g.source == "kubernetes[0]")
        .collect();
    assert_eq!(gaps.len(), 1, "{gaps:?}\n{log}");
    assert!(gaps[0].reason.contains("unreachable"), "{gaps:?}");
}

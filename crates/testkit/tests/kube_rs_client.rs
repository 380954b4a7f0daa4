//! A kube-rs client (the library the Kubernetes source will use) reads the
//! fixture server the way kubectl does: list, get, and a watcher that
//! survives a 410 Expired and dropped streams by relisting.

use std::time::Duration;

use futures_util::StreamExt as _;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use kube::api::{Api, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::runtime::watcher::{self, Event};
use serde_json::json;
use understudy_testkit::kube::FixtureApi;

fn hpa(desired: i64) -> serde_json::Value {
    json!({
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "meme-generator", "namespace": "meme-generator"},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "meme-generator"},
            "minReplicas": 1,
            "maxReplicas": 20,
            "metrics": [{"type": "Pods", "pods": {
                "metric": {"name": "memegenerator_pod_productivity"},
                "target": {"type": "AverageValue", "averageValue": "10"}
            }}]
        },
        "status": {"currentReplicas": 2, "desiredReplicas": desired}
    })
}

/// The desired replicas of what a watcher event carries, if any.
fn desired(e: &Event<HorizontalPodAutoscaler>) -> Option<i32> {
    match e {
        Event::Apply(h) | Event::InitApply(h) => h.status.as_ref().map(|s| s.desired_replicas),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn kube_rs_lists_gets_and_watches_through_410_and_dropped_streams() {
    // rustls needs one crypto provider installed before the first client;
    // the binary does this in its main, a test does it itself.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().expect("tempdir");
    // A short history, so a watcher that falls behind gets 410 Expired.
    let api = FixtureApi::start_with(Duration::from_millis(200), 2).await;
    api.apply(hpa(2));
    let path = dir.path().join("kubeconfig");
    api.write_kubeconfig(&path);
    let kubeconfig = Kubeconfig::read_from(&path).expect("kubeconfig");
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .expect("config");
    let client = kube::Client::try_from(config).expect("client");
    let hpas: Api<HorizontalPodAutoscaler> = Api::namespaced(client, "meme-generator");

    let list = hpas.list(&ListParams::default()).await.expect("list");
    assert_eq!(list.items.len(), 1);
    assert!(list.metadata.resource_version.is_some());
    let got = hpas.get("meme-generator").await.expect("get");
    assert_eq!(
        got.spec.as_ref().and_then(|s| s.max_replicas.into()),
        Some(20)
    );
    assert!(hpas.get("nope").await.is_err(), "404 as an error");

    let mut events = watcher::watcher(hpas, watcher::Config::default().any_semantic()).boxed();
    // A 410 reaches the stream as an error, after which the watcher
    // relists by itself: counted here, any other error fails the test.
    let mut expired = 0;
    let mut next = async || loop {
        let item = tokio::time::timeout(Duration::from_secs(10), events.next())
            .await
            .expect("an event within 10 s")
            .expect("the stream goes on");
        match item {
            Ok(e) => return e,
            Err(watcher::Error::WatchError(s)) if s.code == 410 => expired += 1,
            Err(e) => panic!("watch error: {e}"),
        }
    };
    // The initial list.
    let mut seen = Vec::new();
    loop {
        let e = next().await;
        seen.extend(desired(&e));
        if matches!(e, Event::InitDone) {
            break;
        }
    }
    assert_eq!(seen, vec![2]);
    // A live change.
    api.apply(hpa(5));
    let mut live = None;
    while live.is_none() {
        let e = next().await;
        live = desired(&e);
    }
    assert_eq!(live, Some(5));
    // Every stream cut, then more changes than the history holds: the
    // watcher comes back (with a relist when its resourceVersion is gone:
    // 410 Expired) and ends at the last state, without an error.
    api.drop_watches();
    for d in 6..=9 {
        api.apply(hpa(d));
    }
    let mut after = Vec::new();
    while !after.contains(&9) {
        let e = next().await;
        after.extend(desired(&e));
    }
    assert!(
        expired >= 1,
        "the fixture's 410 reached the watcher and it recovered"
    );
}

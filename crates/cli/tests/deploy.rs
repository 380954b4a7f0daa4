//! deploy/recorder, rendered by the real `kubectl kustomize`: every object is
//! a Kubernetes type we know (and reads back field for field, so a misspelt
//! field fails), the RBAC is read-only, the pod is locked down, and the
//! recorder itself accepts the generated understudy.toml.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use common::{Recorder, http_get, require, write};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{
    ConfigMap, Namespace, PersistentVolumeClaim, Service, ServiceAccount,
};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding};
use serde::Deserialize;
use serde::Serialize;
use serde::de::DeserializeOwned;
use understudy_cli::config::{Config, SourceConfig};
use understudy_source_kube::{DEFAULT_KINDS, KindSpec};

const NAMESPACE: &str = "understudy";
const PORT: i32 = 9464;

/// The rendered manifests, one typed object per document.
#[derive(Default)]
struct Rendered {
    namespaces: Vec<Namespace>,
    service_accounts: Vec<ServiceAccount>,
    cluster_roles: Vec<ClusterRole>,
    cluster_role_bindings: Vec<ClusterRoleBinding>,
    config_maps: Vec<ConfigMap>,
    deployments: Vec<Deployment>,
    claims: Vec<PersistentVolumeClaim>,
    services: Vec<Service>,
}

fn kustomize() -> String {
    let kubectl = require("kubectl");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/recorder");
    let o = Command::new(kubectl)
        .arg("kustomize")
        .arg(&dir)
        .output()
        .expect("run kubectl kustomize");
    assert!(
        o.status.success(),
        "kubectl kustomize {} failed:\n{}",
        dir.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("utf-8")
}

/// Parses `doc` as `T` and checks it serializes back to the same document:
/// k8s-openapi ignores fields it does not know, so a typo such as
/// `readOnlyRootFileSystem` would otherwise vanish silently.
fn typed<T: DeserializeOwned + Serialize>(doc: &serde_json::Value, what: &str) -> T {
    let t: T = serde_json::from_value(doc.clone())
        .unwrap_or_else(|e| panic!("{what} is not a valid object: {e}\n{doc:#}"));
    let back = serde_json::to_value(&t).expect("serialize");
    assert_eq!(
        &back, doc,
        "{what} has fields Kubernetes does not know (compare the two)"
    );
    t
}

fn render() -> Rendered {
    let yaml = kustomize();
    let mut r = Rendered::default();
    for doc in serde_norway::Deserializer::from_str(&yaml) {
        let doc = serde_json::Value::deserialize(doc).expect("a YAML document");
        let kind = doc["kind"].as_str().unwrap_or_default().to_owned();
        let api_version = doc["apiVersion"].as_str().unwrap_or_default().to_owned();
        let name = doc["metadata"]["name"].as_str().unwrap_or_default();
        let what = format!("{api_version} {kind} {name}");
        match (api_version.as_str(), kind.as_str()) {
            ("v1", "Namespace") => r.namespaces.push(typed(&doc, &what)),
            ("v1", "ServiceAccount") => r.service_accounts.push(typed(&doc, &what)),
            ("rbac.authorization.k8s.io/v1", "ClusterRole") => {
                r.cluster_roles.push(typed(&doc, &what))
            }
            ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding") => {
                r.cluster_role_bindings.push(typed(&doc, &what))
            }
            ("v1", "ConfigMap") => r.config_maps.push(typed(&doc, &what)),
            ("apps/v1", "Deployment") => r.deployments.push(typed(&doc, &what)),
            ("v1", "PersistentVolumeClaim") => r.claims.push(typed(&doc, &what)),
            ("v1", "Service") => r.services.push(typed(&doc, &what)),
            _ => panic!("unexpected object {what}: add it to this test or remove it"),
        }
    }
    r
}

fn one<'a, T>(items: &'a [T], what: &str) -> &'a T {
    assert_eq!(items.len(), 1, "exactly one {what}");
    &items[0]
}

#[test]
fn every_object_is_a_known_kubernetes_type_in_the_understudy_namespace() {
    let r = render();
    let ns = one(&r.namespaces, "Namespace");
    assert_eq!(ns.metadata.name.as_deref(), Some(NAMESPACE));
    let namespaced = [
        &one(&r.service_accounts, "ServiceAccount").metadata,
        &one(&r.config_maps, "ConfigMap").metadata,
        &one(&r.deployments, "Deployment").metadata,
        &one(&r.claims, "PersistentVolumeClaim").metadata,
        &one(&r.services, "Service").metadata,
    ];
    for m in namespaced {
        assert_eq!(m.namespace.as_deref(), Some(NAMESPACE), "{:?}", m.name);
    }
    one(&r.cluster_roles, "ClusterRole");
    one(&r.cluster_role_bindings, "ClusterRoleBinding");
}

#[test]
fn the_cluster_role_only_reads_what_is_recorded() {
    let r = render();
    let role = one(&r.cluster_roles, "ClusterRole");
    let rules = role.rules.as_deref().unwrap_or_default();
    assert!(role.aggregation_rule.is_none(), "no aggregation");
    let metrics_apis = ["custom.metrics.k8s.io", "external.metrics.k8s.io"];
    let mut granted = BTreeSet::new();
    for rule in rules {
        let groups = rule.api_groups.as_deref().unwrap_or_default();
        let resources = rule.resources.as_deref().unwrap_or_default();
        assert!(
            rule.non_resource_urls.is_none(),
            "no non-resource URLs: {rule:?}"
        );
        assert!(rule.resource_names.is_none(), "{rule:?}");
        for verb in &rule.verbs {
            assert!(
                ["get", "list", "watch"].contains(&verb.as_str()),
                "verb {verb:?} is not read-only: {rule:?}"
            );
        }
        let metrics = groups.iter().all(|g| metrics_apis.contains(&g.as_str()));
        if metrics {
            assert_eq!(rule.verbs, ["get"], "the metrics APIs are only read");
        }
        for group in groups {
            assert_ne!(group, "*", "no wildcard API group: {rule:?}");
            for resource in resources {
                assert!(
                    !resource.starts_with("secrets") && !resource.starts_with("configmaps"),
                    "{group}/{resource} must not be readable: {rule:?}"
                );
                assert!(
                    resource != "*" || metrics,
                    "\"*\" resources only for the metrics APIs: {rule:?}"
                );
                for verb in &rule.verbs {
                    granted.insert(format!("{verb} {group}/{resource}"));
                }
            }
        }
    }
    // What the Kubernetes source records by default, and the definitions
    // of its custom resources: a default kind added without its RBAC fails.
    let mut expected = BTreeSet::new();
    let mut resources = vec![(
        "apiextensions.k8s.io".to_owned(),
        "customresourcedefinitions".to_owned(),
    )];
    for kind in DEFAULT_KINDS {
        let spec = KindSpec::parse(kind).expect("default kind");
        resources.push((spec.group.clone(), format!("{}s", spec.kind.to_lowercase())));
    }
    for (group, resource) in resources {
        for verb in ["get", "list", "watch"] {
            expected.insert(format!("{verb} {group}/{resource}"));
        }
    }
    for group in metrics_apis {
        expected.insert(format!("get {group}/*"));
    }
    assert_eq!(granted, expected);

    let binding = one(&r.cluster_role_bindings, "ClusterRoleBinding");
    let sa = one(&r.service_accounts, "ServiceAccount");
    assert_eq!(binding.role_ref.kind, "ClusterRole");
    assert_eq!(Some(&binding.role_ref.name), role.metadata.name.as_ref());
    let subjects = binding.subjects.as_deref().unwrap_or_default();
    assert_eq!(subjects.len(), 1, "{subjects:?}");
    assert_eq!(subjects[0].kind, "ServiceAccount");
    assert_eq!(Some(&subjects[0].name), sa.metadata.name.as_ref());
    assert_eq!(subjects[0].namespace.as_deref(), Some(NAMESPACE));
}

#[test]
fn the_deployment_runs_one_locked_down_recorder_on_its_volume() {
    let r = render();
    let d = one(&r.deployments, "Deployment");
    let spec = d.spec.as_ref().expect("spec");
    assert_eq!(spec.replicas, Some(1));
    let strategy = spec.strategy.as_ref().expect("strategy");
    assert_eq!(strategy.type_.as_deref(), Some("Recreate"), "it owns a PVC");
    let pod = spec.template.spec.as_ref().expect("pod spec");
    assert_eq!(
        pod.service_account_name,
        one(&r.service_accounts, "ServiceAccount").metadata.name
    );
    let psc = pod.security_context.as_ref().expect("pod securityContext");
    assert_eq!(psc.run_as_non_root, Some(true));
    assert_eq!(psc.run_as_user, Some(65532));
    let seccomp = psc.seccomp_profile.as_ref().expect("pod seccompProfile");
    assert_eq!(seccomp.type_, "RuntimeDefault");

    let c = one(&pod.containers, "container");
    assert!(pod.init_containers.is_none(), "no init containers");
    assert_eq!(
        c.args.as_deref().unwrap_or_default(),
        ["record", "--config", "/etc/understudy/understudy.toml"]
    );
    let sc = c
        .security_context
        .as_ref()
        .expect("container securityContext");
    assert_eq!(sc.run_as_non_root, Some(true));
    assert_eq!(sc.run_as_user, Some(65532));
    assert_eq!(sc.read_only_root_filesystem, Some(true));
    assert_eq!(sc.allow_privilege_escalation, Some(false));
    assert_ne!(sc.privileged, Some(true));
    let caps = sc.capabilities.as_ref().expect("capabilities");
    assert_eq!(caps.drop.as_deref().unwrap_or_default(), ["ALL"]);
    assert!(caps.add.is_none(), "no capabilities added");
    let seccomp = sc.seccomp_profile.as_ref().expect("seccompProfile");
    assert_eq!(seccomp.type_, "RuntimeDefault");

    let res = c.resources.as_ref().expect("resources");
    for (what, map) in [("requests", &res.requests), ("limits", &res.limits)] {
        let map = map.as_ref().unwrap_or_else(|| panic!("resources.{what}"));
        assert!(map.contains_key("memory"), "memory {what}");
    }
    assert!(res.requests.as_ref().is_some_and(|r| r.contains_key("cpu")));

    let ports = c.ports.as_deref().unwrap_or_default();
    let port = one(ports, "container port");
    assert_eq!(port.container_port, PORT);
    let port_name = port.name.as_deref().expect("named port");
    for (what, probe) in [
        ("liveness", &c.liveness_probe),
        ("readiness", &c.readiness_probe),
    ] {
        let get = probe
            .as_ref()
            .and_then(|p| p.http_get.as_ref())
            .unwrap_or_else(|| panic!("{what} probe httpGet"));
        assert_eq!(get.path.as_deref(), Some("/healthz"), "{what}");
        let ok = match &get.port {
            k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(p) => *p == PORT,
            k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String(s) => s == port_name,
        };
        assert!(ok, "{what} probe port {:?} is not {PORT}", get.port);
    }

    // Volumes: the generated ConfigMap, the claim, an emptyDir for /tmp.
    let volumes = pod.volumes.as_deref().unwrap_or_default();
    let cm = one(&r.config_maps, "ConfigMap");
    let claim = one(&r.claims, "PersistentVolumeClaim");
    let mounts = c.volume_mounts.as_deref().unwrap_or_default();
    let volume_at = |path: &str| {
        let m = mounts
            .iter()
            .find(|m| m.mount_path == path)
            .unwrap_or_else(|| panic!("nothing mounted at {path}"));
        volumes
            .iter()
            .find(|v| v.name == m.name)
            .unwrap_or_else(|| panic!("no volume {}", m.name))
    };
    let config = volume_at("/etc/understudy");
    assert_eq!(
        config.config_map.as_ref().map(|c| &c.name),
        cm.metadata.name.as_ref(),
        "the generated ConfigMap, by its hashed name"
    );
    let recordings = volume_at("/recordings");
    assert_eq!(
        recordings
            .persistent_volume_claim
            .as_ref()
            .map(|c| &c.claim_name),
        claim.metadata.name.as_ref()
    );
    assert!(volume_at("/tmp").empty_dir.is_some(), "/tmp is an emptyDir");
    assert_eq!(volumes.len(), 3, "{volumes:?}");

    let requested = claim
        .spec
        .as_ref()
        .and_then(|s| s.resources.as_ref())
        .and_then(|r| r.requests.as_ref())
        .and_then(|r| r.get("storage"))
        .expect("storage request");
    assert_eq!(requested.0, "10Gi");

    // The Service reaches the pod's metrics port.
    let svc = one(&r.services, "Service");
    let svc_spec = svc.spec.as_ref().expect("service spec");
    assert_eq!(svc_spec.type_.as_deref(), Some("ClusterIP"));
    let sp = one(
        svc_spec.ports.as_deref().unwrap_or_default(),
        "service port",
    );
    assert_eq!(sp.port, PORT);
    assert_eq!(sp.name.as_deref(), Some("http-metrics"));
    let labels = spec
        .template
        .metadata
        .as_ref()
        .and_then(|m| m.labels.as_ref());
    let selector = svc_spec.selector.as_ref().expect("service selector");
    for (k, v) in selector {
        assert_eq!(
            labels.and_then(|l| l.get(k)),
            Some(v),
            "the Service selects the pod"
        );
    }
}

/// The keys of `[recorder]` in docs/configuration.md.
const RECORDER_KEYS: &[&str] = &[
    "name",
    "out",
    "flush_interval",
    "segment",
    "listen",
    "labels",
];

#[test]
fn the_config_map_holds_a_config_the_recorder_accepts() {
    let r = render();
    let cm = one(&r.config_maps, "ConfigMap");
    let text = cm
        .data
        .as_ref()
        .and_then(|d| d.get("understudy.toml"))
        .expect("understudy.toml in the ConfigMap");
    // The whole file through the recorder's own parser: every key known,
    // every value checked.
    let config = Config::parse(text).expect("the recorder accepts understudy.toml");
    let table: toml::Table = toml::from_str(text).expect("understudy.toml is TOML");
    let recorder = table["recorder"].as_table().expect("[recorder]");
    for key in recorder.keys() {
        assert!(
            RECORDER_KEYS.contains(&key.as_str()),
            "recorder.{key} is not a documented key"
        );
    }
    let listen = config.recorder.listen;
    assert!(
        listen.ip().is_unspecified(),
        "the pod must listen on its pod IP"
    );
    assert_eq!(listen.port(), u16::try_from(PORT).expect("port"));
    let out = &config.recorder.out;
    assert!(out.starts_with("/recordings/"), "on the volume: {out}");

    let kinds: Vec<&str> = config
        .sources
        .iter()
        .map(|s| s.config.kind().name())
        .collect();
    assert_eq!(kinds, ["prometheus", "nats", "kubernetes"]);
    for section in &config.sources {
        match &section.config {
            SourceConfig::Prometheus(c) => {
                assert_eq!(c.url, "http://prometheus-operated.monitoring:9090");
                assert!(c.selectors.len() >= 2);
            }
            SourceConfig::Nats(c) => {
                assert_eq!(c.servers, ["nats://nats.messaging:4222"]);
                assert_eq!(c.streams, ["MEMES"]);
            }
            SourceConfig::Kubernetes(c) => {
                assert_eq!(c.kubeconfig, None, "in the pod: the service account");
                assert_eq!(c.namespaces, ["meme-generator"]);
            }
            other => panic!("unexpected source {other:?}"),
        }
    }

    // And the real judge: the recorder starts with it (its sources cannot
    // reach the cluster's names from here; that is a gap, not an error).
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write(&dir.path().join("understudy.toml"), text);
    let mut recorder = Recorder::start(&config, &dir.path().join("rec"));
    let addr = recorder.health_addr();
    let (status, body) = http_get(&addr, "/metrics");
    assert_eq!(status, 200, "{body}");
    recorder.signal("TERM");
    let (status, log) = recorder.wait();
    assert!(status.success(), "recorder failed:\n{log}");
}

//! The kinds the fixture serves: one table drives discovery, paths and lists.

use std::collections::HashSet;

/// One served resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resource {
    /// API group, `""` for the core group.
    pub group: &'static str,
    pub version: &'static str,
    /// Plural name in the URL.
    pub resource: &'static str,
    pub kind: &'static str,
    pub singular: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
}

impl Resource {
    /// `v1` or `group/version`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_owned()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

pub const RESOURCES: &[Resource] = &[
    Resource {
        group: "",
        version: "v1",
        resource: "namespaces",
        kind: "Namespace",
        singular: "namespace",
        namespaced: false,
        short_names: &["ns"],
    },
    Resource {
        group: "autoscaling",
        version: "v2",
        resource: "horizontalpodautoscalers",
        kind: "HorizontalPodAutoscaler",
        singular: "horizontalpodautoscaler",
        namespaced: true,
        short_names: &["hpa"],
    },
    Resource {
        group: "apps",
        version: "v1",
        resource: "deployments",
        kind: "Deployment",
        singular: "deployment",
        namespaced: true,
        short_names: &["deploy"],
    },
    Resource {
        group: "apps",
        version: "v1",
        resource: "replicasets",
        kind: "ReplicaSet",
        singular: "replicaset",
        namespaced: true,
        short_names: &["rs"],
    },
    Resource {
        group: "",
        version: "v1",
        resource: "pods",
        kind: "Pod",
        singular: "pod",
        namespaced: true,
        short_names: &["po"],
    },
    Resource {
        group: "",
        version: "v1",
        resource: "events",
        kind: "Event",
        singular: "event",
        namespaced: true,
        short_names: &["ev"],
    },
    Resource {
        group: "events.k8s.io",
        version: "v1",
        resource: "events",
        kind: "Event",
        singular: "event",
        namespaced: true,
        short_names: &["ev"],
    },
    Resource {
        group: "keda.sh",
        version: "v1alpha1",
        resource: "scaledobjects",
        kind: "ScaledObject",
        singular: "scaledobject",
        namespaced: true,
        short_names: &["so"],
    },
    Resource {
        group: "apiextensions.k8s.io",
        version: "v1",
        resource: "customresourcedefinitions",
        kind: "CustomResourceDefinition",
        singular: "customresourcedefinition",
        namespaced: false,
        short_names: &["crd", "crds"],
    },
];

/// Index of the resource with this `apiVersion` and `kind`.
pub fn by_api_kind(api_version: &str, kind: &str) -> Option<usize> {
    RESOURCES
        .iter()
        .position(|r| r.api_version() == api_version && r.kind == kind)
}

/// Index of the resource at `group/version/resource`.
pub fn by_path(group: &str, version: &str, resource: &str) -> Option<usize> {
    RESOURCES
        .iter()
        .position(|r| r.group == group && r.version == version && r.resource == resource)
}

/// Distinct groups in table order, with their versions, leaving out the
/// resources at the `hidden` indexes.
pub fn groups(hidden: &HashSet<usize>) -> Vec<(&'static str, Vec<&'static str>)> {
    let mut out: Vec<(&'static str, Vec<&'static str>)> = Vec::new();
    for (_, r) in RESOURCES
        .iter()
        .enumerate()
        .filter(|(i, _)| !hidden.contains(i))
    {
        match out.iter_mut().find(|(g, _)| *g == r.group) {
            Some((_, vs)) if !vs.contains(&r.version) => vs.push(r.version),
            Some(_) => {}
            None => out.push((r.group, vec![r.version])),
        }
    }
    out
}

/// Index of `v1 namespaces` (kubectl checks that a namespace exists).
pub const NAMESPACES: usize = 0;

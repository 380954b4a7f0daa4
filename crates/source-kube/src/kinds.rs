//! Kind names as the config writes them: `Pod`, `apps/v1/Deployment`,
//! `keda.sh/v1alpha1/ScaledObject`.

use std::fmt;

use kube::api::GroupVersionKind;

/// Bare kinds and the API version they are recorded at.
const BARE: [(&str, &str, &str); 14] = [
    ("HorizontalPodAutoscaler", "autoscaling", "v2"),
    ("Deployment", "apps", "v1"),
    ("ReplicaSet", "apps", "v1"),
    ("StatefulSet", "apps", "v1"),
    ("DaemonSet", "apps", "v1"),
    ("Pod", "", "v1"),
    ("Event", "", "v1"),
    ("Node", "", "v1"),
    ("Service", "", "v1"),
    ("Namespace", "", "v1"),
    ("Job", "batch", "v1"),
    ("PodDisruptionBudget", "policy", "v1"),
    ("ScaledObject", "keda.sh", "v1alpha1"),
    ("ScaledJob", "keda.sh", "v1alpha1"),
];

/// API groups served by Kubernetes itself; any other group is a custom
/// resource with a CustomResourceDefinition.
const BUILT_IN_GROUPS: [&str; 19] = [
    "",
    "apps",
    "autoscaling",
    "batch",
    "policy",
    "events.k8s.io",
    "networking.k8s.io",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
    "apiextensions.k8s.io",
    "apiregistration.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
    "node.k8s.io",
    "scheduling.k8s.io",
    "admissionregistration.k8s.io",
    "certificates.k8s.io",
    "flowcontrol.apiserver.k8s.io",
    "resource.k8s.io",
];

/// One kind to record.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KindSpec {
    /// The API group, empty for the core group (`v1`).
    pub group: String,
    /// The API version within the group: `v1`, `v2`, `v1alpha1`.
    pub version: String,
    /// The Kind, upper camel case: `Pod`, `ScaledObject`.
    pub kind: String,
}

impl KindSpec {
    /// Reads an entry of `kinds`: `Kind` for the well-known kinds,
    /// `v1/Kind`, or `group/version/Kind`. The error says how to write it;
    /// Secrets are refused.
    pub fn parse(s: &str) -> Result<KindSpec, String> {
        let parts: Vec<&str> = s.split('/').collect();
        if matches!(parts.as_slice(), ["Secret"] | ["v1", "Secret"]) {
            return Err("Secrets are never recorded".into());
        }
        let spec = match parts.as_slice() {
            [kind] => {
                let (_, group, version) = BARE
                    .iter()
                    .find(|(k, _, _)| k == kind)
                    .ok_or_else(|| {
                        format!("unknown kind; write group/version/Kind (e.g. \"keda.sh/v1alpha1/{kind}\")")
                    })?;
                KindSpec::new(group, version, kind)
            }
            [version, kind] => KindSpec::new("", version, kind),
            [group, version, kind] => KindSpec::new(group, version, kind),
            _ => return Err("write Kind, v1/Kind or group/version/Kind".into()),
        };
        if spec.version.is_empty() || spec.kind.is_empty() {
            return Err("write Kind, v1/Kind or group/version/Kind".into());
        }
        if !spec.version.starts_with('v') {
            return Err(format!(
                "{:?} is not an API version (v1, v2, v1alpha1); write group/version/Kind",
                spec.version
            ));
        }
        if !spec.kind.starts_with(|c: char| c.is_ascii_uppercase()) {
            return Err(format!(
                "{:?} is not a Kind (they start upper-case: Pod, ScaledObject)",
                spec.kind
            ));
        }
        Ok(spec)
    }

    fn new(group: &str, version: &str, kind: &str) -> KindSpec {
        KindSpec {
            group: group.to_owned(),
            version: version.to_owned(),
            kind: kind.to_owned(),
        }
    }

    /// `v1` or `group/version`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// Served by a CustomResourceDefinition rather than by Kubernetes.
    pub fn is_custom(&self) -> bool {
        !BUILT_IN_GROUPS.contains(&self.group.as_str())
    }

    /// The same kind as kube-rs names it.
    pub fn gvk(&self) -> GroupVersionKind {
        GroupVersionKind::gvk(&self.group, &self.version, &self.kind)
    }
}

impl fmt::Display for KindSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.kind, self.api_version())
    }
}

#[cfg(test)]
mod tests {
    use super::KindSpec;

    #[test]
    fn kinds_parse_bare_core_and_grouped() {
        let hpa = KindSpec::parse("HorizontalPodAutoscaler").expect("hpa");
        assert_eq!(hpa.api_version(), "autoscaling/v2");
        assert!(!hpa.is_custom());
        assert_eq!(KindSpec::parse("v1/Pod").expect("pod").api_version(), "v1");
        let so = KindSpec::parse("keda.sh/v1alpha1/ScaledObject").expect("so");
        assert!(so.is_custom());
        assert_eq!(so.to_string(), "ScaledObject (keda.sh/v1alpha1)");
        let ev = KindSpec::parse("events.k8s.io/v1/Event").expect("event");
        assert!(!ev.is_custom());
        for bad in [
            "Widget",
            "keda.sh/ScaledObject",
            "a/b/c/d",
            "v1/pod",
            "Secret",
            "v1/Secret",
            "",
        ] {
            assert!(KindSpec::parse(bad).is_err(), "{bad}");
        }
    }
}

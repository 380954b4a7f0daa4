//! `[[source.kubernetes]]`: which cluster, namespaces and kinds to record.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::kinds::KindSpec;

/// The kinds recorded when `kinds` is not given. Custom resources whose CRD
/// is not installed are a note in the log, not an error.
pub const DEFAULT_KINDS: [&str; 7] = [
    "HorizontalPodAutoscaler",
    "Deployment",
    "ReplicaSet",
    "Pod",
    "Event",
    "events.k8s.io/v1/Event",
    "keda.sh/v1alpha1/ScaledObject",
];

/// One `[[source.kubernetes]]` section. Every key is optional; an empty
/// section records [`DEFAULT_KINDS`] in every namespace of the current
/// kubeconfig context:
///
/// ```toml
/// [[source.kubernetes]]
/// namespaces = ["meme-generator"]
/// ```
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KubeConfig {
    /// A kubeconfig file; default: `KUBECONFIG`, then `~/.kube/config`, then
    /// the in-cluster service account.
    #[serde(default)]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context; default: its current-context.
    #[serde(default)]
    pub context: Option<String>,
    /// Namespaces to record, e.g. `["meme-generator"]`; default empty,
    /// which records all namespaces (and needs a ClusterRole).
    #[serde(default)]
    pub namespaces: Vec<String>,
    /// Kinds to record: `Pod`, `apps/v1/Deployment`,
    /// `keda.sh/v1alpha1/ScaledObject`; default [`DEFAULT_KINDS`]. Secrets
    /// are refused.
    #[serde(default = "default_kinds")]
    pub kinds: Vec<String>,
    /// A label selector per kind (`{ Pod = "app=meme-backend" }`); default
    /// none.
    #[serde(default)]
    pub label_selectors: BTreeMap<String, String>,
    /// Raw GET paths recorded every `poll_interval`, answered as recorded
    /// by `kubectl get --raw` on a replay, e.g.
    /// `["/apis/metrics.k8s.io/v1beta1/namespaces/meme-generator/pods"]`;
    /// default none.
    #[serde(default)]
    pub poll_paths: Vec<String>,
    /// Also poll the custom and external metrics API paths the recorded HPAs
    /// read (Pods, Object and External metrics); default `true`.
    #[serde(default = "yes")]
    pub poll_hpa_metrics: bool,
    /// How often `poll_paths` and the HPAs' metrics paths are asked;
    /// default `"15s"`.
    #[serde(default = "default_poll_interval", with = "understudy_core::duration")]
    pub poll_interval: Duration,
    /// Record kube-state-metrics-named series derived from the objects;
    /// default `true`.
    #[serde(default = "yes")]
    pub derive_series: bool,
    /// How often derived series are sampled (besides on every change);
    /// default `"15s"`.
    #[serde(
        default = "default_series_interval",
        with = "understudy_core::duration"
    )]
    pub series_interval: Duration,
    /// How often kinds not served (a CRD not installed yet) are looked up
    /// again; default `"60s"`.
    #[serde(
        default = "default_discovery_interval",
        with = "understudy_core::duration"
    )]
    pub discovery_interval: Duration,
    /// Time budget of one request (list, discovery, poll); default `"10s"`.
    #[serde(default = "default_timeout", with = "understudy_core::duration")]
    pub timeout: Duration,
}

fn default_kinds() -> Vec<String> {
    DEFAULT_KINDS.iter().map(|k| (*k).to_owned()).collect()
}

fn default_poll_interval() -> Duration {
    Duration::from_secs(15)
}

fn default_series_interval() -> Duration {
    Duration::from_secs(15)
}

fn default_discovery_interval() -> Duration {
    Duration::from_secs(60)
}

fn default_timeout() -> Duration {
    Duration::from_secs(10)
}

fn yes() -> bool {
    true
}

impl KubeConfig {
    /// Every problem of the section, each naming its field.
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        if self.kinds.is_empty() {
            p.push("kinds: give at least one (\"Pod\", \"apps/v1/Deployment\")".into());
        }
        for (i, k) in self.kinds.iter().enumerate() {
            if let Err(e) = KindSpec::parse(k) {
                p.push(format!("kinds[{i}] = {k:?}: {e}"));
            }
        }
        for (kind, selector) in &self.label_selectors {
            if !self.kinds.iter().any(|k| k == kind) {
                p.push(format!(
                    "label_selectors.{kind:?}: not one of kinds ({})",
                    self.kinds.join(", ")
                ));
            }
            if selector.trim().is_empty() {
                p.push(format!("label_selectors.{kind:?}: empty selector"));
            }
        }
        for (i, ns) in self.namespaces.iter().enumerate() {
            if !dns_label(ns) {
                p.push(format!(
                    "namespaces[{i}] = {ns:?}: not a namespace name (lower-case letters, digits, '-')"
                ));
            }
        }
        for (i, path) in self.poll_paths.iter().enumerate() {
            if !path.starts_with("/api/") && !path.starts_with("/apis/") {
                p.push(format!(
                    "poll_paths[{i}] = {path:?}: an API path starts with /api/ or /apis/"
                ));
            }
        }
        for (field, d, min) in [
            ("poll_interval", self.poll_interval, Duration::from_secs(1)),
            (
                "series_interval",
                self.series_interval,
                Duration::from_secs(1),
            ),
            (
                "discovery_interval",
                self.discovery_interval,
                Duration::from_secs(1),
            ),
            ("timeout", self.timeout, Duration::from_millis(100)),
        ] {
            if d < min {
                p.push(format!(
                    "{field}: at least {}",
                    humantime::format_duration(min)
                ));
            }
        }
        p
    }
}

/// RFC 1123 label: what a namespace name must be.
fn dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_record_the_autoscaling_kinds() {
        let c: KubeConfig = serde_json::from_value(serde_json::json!({})).expect("config");
        assert!(c.problems().is_empty(), "{:?}", c.problems());
        assert_eq!(c.kinds.len(), DEFAULT_KINDS.len());
        assert!(c.poll_hpa_metrics && c.derive_series);
    }

    #[test]
    fn problems_name_their_field() {
        let c: KubeConfig = serde_json::from_value(serde_json::json!({
            "namespaces": ["Meme_Generator"],
            "kinds": ["Pod", "keda.sh/ScaledObject"],
            "label_selectors": {"Deployment": "app=x"},
            "poll_paths": ["apis/custom.metrics.k8s.io"],
            "poll_interval": "10ms",
        }))
        .expect("config");
        let p = c.problems().join("\n");
        for says in [
            "namespaces[0]",
            "kinds[1] = \"keda.sh/ScaledObject\"",
            "label_selectors.\"Deployment\": not one of kinds",
            "poll_paths[0]",
            "poll_interval: at least 1s",
        ] {
            assert!(p.contains(says), "{says}: {p}");
        }
    }
}

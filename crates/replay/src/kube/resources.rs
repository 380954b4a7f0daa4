//! The resources a Kubernetes API serves: Kubernetes' own kinds that a
//! recording of an autoscaling run holds, and custom resources as their
//! recorded CustomResourceDefinitions describe them. One table drives
//! discovery, paths and printing.

use serde_json::{Value, json};

/// A printer column of a custom resource (`additionalPrinterColumns`).
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub kind: String,
    pub json_path: String,
    pub priority: i64,
    pub description: String,
}

/// One served resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// API group, `""` for the core group.
    pub group: String,
    pub version: String,
    /// Plural name in the URL.
    pub resource: String,
    pub kind: String,
    pub singular: String,
    pub namespaced: bool,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
    /// Printer columns of a custom resource; `None` for built-in kinds,
    /// whose columns the printers know.
    pub columns: Option<Vec<Column>>,
}

impl Resource {
    /// `v1` or `group/version`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    fn built_in(
        group: &str,
        version: &str,
        resource: &str,
        kind: &str,
        namespaced: bool,
        short_names: &[&str],
    ) -> Resource {
        Resource {
            group: group.into(),
            version: version.into(),
            resource: resource.into(),
            kind: kind.into(),
            singular: kind.to_lowercase(),
            namespaced,
            short_names: short_names.iter().map(|s| (*s).to_owned()).collect(),
            categories: if [
                "pods",
                "deployments",
                "replicasets",
                "horizontalpodautoscalers",
            ]
            .contains(&resource)
            {
                vec!["all".into()]
            } else {
                Vec::new()
            },
            columns: None,
        }
    }

    /// The resource a CustomResourceDefinition defines, at each served version.
    pub fn from_crd(crd: &Value) -> Vec<Resource> {
        let spec = &crd["spec"];
        let names = &spec["names"];
        let (Some(group), Some(plural), Some(kind)) = (
            spec["group"].as_str(),
            names["plural"].as_str(),
            names["kind"].as_str(),
        ) else {
            return Vec::new();
        };
        let strings = |v: &Value| -> Vec<String> {
            v.as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        };
        spec["versions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|v| v["served"].as_bool().unwrap_or(true))
            .filter_map(|v| {
                let columns = v["additionalPrinterColumns"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|c| Column {
                        name: c["name"].as_str().unwrap_or_default().to_owned(),
                        kind: c["type"].as_str().unwrap_or("string").to_owned(),
                        json_path: c["jsonPath"].as_str().unwrap_or_default().to_owned(),
                        priority: c["priority"].as_i64().unwrap_or(0),
                        description: c["description"].as_str().unwrap_or_default().to_owned(),
                    })
                    .collect();
                Some(Resource {
                    group: group.to_owned(),
                    version: v["name"].as_str()?.to_owned(),
                    resource: plural.to_owned(),
                    kind: kind.to_owned(),
                    singular: names["singular"]
                        .as_str()
                        .map_or_else(|| kind.to_lowercase(), str::to_owned),
                    namespaced: spec["scope"] != "Cluster",
                    short_names: strings(&names["shortNames"]),
                    categories: strings(&names["categories"]),
                    columns: Some(columns),
                })
            })
            .collect()
    }
}

/// Kubernetes' own kinds, always served (an empty list is an answer too).
pub fn built_in() -> Vec<Resource> {
    vec![
        Resource::built_in("", "v1", "namespaces", "Namespace", false, &["ns"]),
        Resource::built_in("", "v1", "pods", "Pod", true, &["po"]),
        Resource::built_in("", "v1", "events", "Event", true, &["ev"]),
        Resource::built_in("apps", "v1", "deployments", "Deployment", true, &["deploy"]),
        Resource::built_in("apps", "v1", "replicasets", "ReplicaSet", true, &["rs"]),
        Resource::built_in(
            "autoscaling",
            "v2",
            "horizontalpodautoscalers",
            "HorizontalPodAutoscaler",
            true,
            &["hpa"],
        ),
        Resource::built_in("events.k8s.io", "v1", "events", "Event", true, &["ev"]),
        Resource::built_in(
            "apiextensions.k8s.io",
            "v1",
            "customresourcedefinitions",
            "CustomResourceDefinition",
            false,
            &["crd", "crds"],
        ),
    ]
}

/// The served resources.
#[derive(Debug, Clone)]
pub struct Resources(pub Vec<Resource>);

/// The index of `v1 namespaces` (kubectl checks that a namespace exists).
pub const NAMESPACES: usize = 0;

impl Resources {
    /// Built-in kinds plus the custom resources of these CRDs.
    pub fn new<'a>(crds: impl IntoIterator<Item = &'a Value>) -> Resources {
        let mut all = built_in();
        for crd in crds {
            for r in Resource::from_crd(crd) {
                if !all.iter().any(|a| {
                    a.group == r.group && a.version == r.version && a.resource == r.resource
                }) {
                    all.push(r);
                }
            }
        }
        Resources(all)
    }

    pub fn get(&self, i: usize) -> &Resource {
        &self.0[i]
    }

    pub fn by_api_kind(&self, api_version: &str, kind: &str) -> Option<usize> {
        self.0
            .iter()
            .position(|r| r.kind == kind && r.api_version() == api_version)
    }

    pub fn by_path(&self, group: &str, version: &str, resource: &str) -> Option<usize> {
        self.0
            .iter()
            .position(|r| r.group == group && r.version == version && r.resource == resource)
    }

    /// Distinct groups (core first), each with its versions.
    fn groups(&self) -> Vec<(String, Vec<String>)> {
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for r in &self.0 {
            match out.iter_mut().find(|(g, _)| *g == r.group) {
                Some((_, vs)) if !vs.contains(&r.version) => vs.push(r.version.clone()),
                Some(_) => {}
                None => out.push((r.group.clone(), vec![r.version.clone()])),
            }
        }
        out
    }

    /// `/apis`: an APIGroupList.
    pub fn group_list(&self) -> Value {
        let groups: Vec<Value> = self
            .groups()
            .into_iter()
            .filter(|(g, _)| !g.is_empty())
            .map(|(g, vs)| group(&g, &vs))
            .collect();
        json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
    }

    /// `/apis/GROUP`: an APIGroup.
    pub fn group(&self, name: &str) -> Option<Value> {
        let (g, vs) = self
            .groups()
            .into_iter()
            .find(|(g, _)| g == name && !g.is_empty())?;
        let mut v = group(&g, &vs);
        v["kind"] = json!("APIGroup");
        v["apiVersion"] = json!("v1");
        Some(v)
    }

    /// `/api/v1`, `/apis/GROUP/VERSION`: an APIResourceList.
    pub fn resource_list(&self, group: &str, version: &str) -> Option<Value> {
        let rs: Vec<Value> = self
            .0
            .iter()
            .filter(|r| r.group == group && r.version == version)
            .map(|r| {
                let mut v = json!({
                    "name": r.resource,
                    "singularName": r.singular,
                    "namespaced": r.namespaced,
                    "kind": r.kind,
                    "verbs": ["get", "list", "watch"],
                });
                if !r.short_names.is_empty() {
                    v["shortNames"] = json!(r.short_names);
                }
                if !r.categories.is_empty() {
                    v["categories"] = json!(r.categories);
                }
                v
            })
            .collect();
        if rs.is_empty() {
            return None;
        }
        let gv = if group.is_empty() {
            version.to_owned()
        } else {
            format!("{group}/{version}")
        };
        Some(
            json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": rs}),
        )
    }
}

impl Resources {
    /// Aggregated discovery (`apidiscovery.k8s.io/v2`): `/api` (`core`) or
    /// `/apis` in one answer, which spares kubectl a request per group
    /// version.
    pub fn aggregated(&self, core: bool) -> Value {
        let items: Vec<Value> = self
            .groups()
            .into_iter()
            .filter(|(g, _)| g.is_empty() == core)
            .map(|(g, vs)| {
                let versions: Vec<Value> = vs
                    .iter()
                    .map(|v| {
                        let rs: Vec<Value> = self
                            .0
                            .iter()
                            .filter(|r| r.group == g && r.version == *v)
                            .map(|r| {
                                let mut d = json!({
                                    "resource": r.resource,
                                    "responseKind": {"group": r.group, "version": r.version, "kind": r.kind},
                                    "scope": if r.namespaced { "Namespaced" } else { "Cluster" },
                                    "singularResource": r.singular,
                                    "verbs": ["get", "list", "watch"],
                                });
                                if !r.short_names.is_empty() {
                                    d["shortNames"] = json!(r.short_names);
                                }
                                if !r.categories.is_empty() {
                                    d["categories"] = json!(r.categories);
                                }
                                d
                            })
                            .collect();
                        json!({"version": v, "resources": rs, "freshness": "Current"})
                    })
                    .collect();
                json!({"metadata": {"name": g}, "versions": versions})
            })
            .collect();
        json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items})
    }
}

fn group(g: &str, vs: &[String]) -> Value {
    let versions: Vec<Value> = vs
        .iter()
        .map(|v| json!({"groupVersion": format!("{g}/{v}"), "version": v}))
        .collect();
    json!({"name": g, "versions": versions, "preferredVersion": versions[0]})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crd_becomes_a_served_resource_with_its_columns() {
        let crd = json!({"spec": {"group": "keda.sh", "scope": "Namespaced",
            "names": {"kind": "ScaledObject", "plural": "scaledobjects", "singular": "scaledobject", "shortNames": ["so"]},
            "versions": [{"name": "v1alpha1", "served": true, "additionalPrinterColumns": [
                {"name": "Min", "type": "integer", "jsonPath": ".spec.minReplicaCount"}]},
                {"name": "v0", "served": false}]}});
        let r = Resources::new([&crd]);
        let i = r
            .by_path("keda.sh", "v1alpha1", "scaledobjects")
            .expect("served");
        assert_eq!(r.get(i).columns.as_ref().map(Vec::len), Some(1));
        assert!(r.by_path("keda.sh", "v0", "scaledobjects").is_none());
        assert!(r.group("keda.sh").is_some());
        let list = r.resource_list("keda.sh", "v1alpha1").expect("list");
        assert_eq!(list["resources"][0]["shortNames"], json!(["so"]));
        assert_eq!(r.get(NAMESPACES).resource, "namespaces");
    }

    #[test]
    fn aggregated_discovery_splits_core_from_groups() {
        let crd = json!({"spec": {"group": "keda.sh", "scope": "Namespaced",
            "names": {"kind": "ScaledObject", "plural": "scaledobjects", "singular": "scaledobject"},
            "versions": [{"name": "v1alpha1", "served": true}]}});
        let r = Resources::new([&crd]);
        let core = r.aggregated(true);
        assert_eq!(core["items"].as_array().map(Vec::len), Some(1));
        let pods = core["items"][0]["versions"][0]["resources"]
            .as_array()
            .and_then(|rs| rs.iter().find(|d| d["resource"] == "pods"))
            .expect("pods");
        assert_eq!(pods["scope"], "Namespaced");
        assert_eq!(pods["responseKind"]["kind"], "Pod");
        let groups = r.aggregated(false);
        let names: Vec<&str> = groups["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|g| g["metadata"]["name"].as_str())
            .collect();
        assert!(
            names.contains(&"keda.sh") && names.contains(&"autoscaling") && !names.contains(&""),
            "{names:?}"
        );
    }
}

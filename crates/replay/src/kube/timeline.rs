//! A recording's object revisions as an API server's history: every change
//! numbered in recording-time order, so that the state at any replay
//! position is a prefix of the history, named by its length above
//! [`RV_BASE`]. Clients see that number with the clock's jumps folded in
//! ([`super::versions`]); everything here speaks the plain one.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;
use understudy_core::{ObjectRevision, WatchEvent};
use understudy_kube_wire::{decode, query};

use super::resources::Resources;

/// resourceVersions start above zero: "0" means "any" to clients.
pub const RV_BASE: u64 = 1000;

/// The kind and apiVersion of polled raw answers (the Kubernetes source's
/// `APIResponse` rows).
const RAW_KIND: &str = "APIResponse";

/// One recorded change of one object.
#[derive(Debug, Clone)]
pub struct Change {
    /// Recording time (ms) at which it was observed.
    pub at: i64,
    /// Index of the object's resource in [`Timeline::resources`].
    pub resource: usize,
    /// Added, modified or deleted (relist markers are not changes).
    pub event: WatchEvent,
    /// The object with `metadata.resourceVersion` set to this change's.
    pub object: Arc<Value>,
    /// The same object's revision before this one (an index into the
    /// changes): a watch with a selector needs both to tell an object
    /// entering or leaving its selection from one changing inside it.
    previous: Option<usize>,
}

#[derive(Debug, Default)]
struct History {
    resource: usize,
    /// Indexes into `changes`, in order.
    revisions: Vec<usize>,
}

/// Every object change of a recording, and the polled raw answers.
#[derive(Debug)]
pub struct Timeline {
    /// Every resource served: the recorded kinds and their API metadata.
    pub resources: Resources,
    changes: Vec<Change>,
    objects: Vec<History>,
    /// (resource, namespace, name) → index into `objects`.
    index: HashMap<(usize, String, String), usize>,
    /// Object indexes per resource.
    by_resource: Vec<Vec<usize>>,
    /// Normalized path → answers in time order.
    raw: HashMap<String, Vec<(i64, Arc<str>)>>,
}

impl Timeline {
    /// From a recording's revisions in observation order. Relist markers
    /// carry nothing to serve: the rows between them are already the
    /// differences (docs/recording-format.md).
    pub fn new(mut revisions: Vec<ObjectRevision>) -> Timeline {
        // A state is a prefix only if the history is in time order; the
        // store reads it so, and a stable sort keeps it as it is then.
        revisions.sort_by_key(|r| r.observed_ms);
        let crds: Vec<Value> = revisions
            .iter()
            .filter(|r| r.kind == "CustomResourceDefinition" && r.event != WatchEvent::Deleted)
            .filter_map(|r| serde_json::from_str(r.object.as_deref()?).ok())
            .collect();
        let resources = Resources::new(crds.iter());
        let mut t = Timeline {
            by_resource: vec![Vec::new(); resources.0.len()],
            resources,
            changes: Vec::new(),
            objects: Vec::new(),
            index: HashMap::new(),
            raw: HashMap::new(),
        };
        for r in revisions {
            let Some(text) = r.object.as_deref() else {
                continue;
            };
            if r.kind == RAW_KIND {
                if let Some(path) = &r.name {
                    t.raw
                        .entry(normalize(path))
                        .or_default()
                        .push((r.observed_ms, Arc::from(text)));
                }
                continue;
            }
            let Some(resource) = t.resources.by_api_kind(&r.api_version, &r.kind) else {
                continue;
            };
            let Ok(mut object) = serde_json::from_str::<Value>(text) else {
                continue;
            };
            let rv = RV_BASE + t.changes.len() as u64 + 1;
            if let Some(meta) = object["metadata"].as_object_mut() {
                meta.insert("resourceVersion".into(), Value::from(rv.to_string()));
            }
            let key = (
                resource,
                r.namespace.clone().unwrap_or_default(),
                r.name.clone().unwrap_or_default(),
            );
            let next = t.objects.len();
            let i = *t.index.entry(key).or_insert(next);
            if i == next {
                t.objects.push(History {
                    resource,
                    revisions: Vec::new(),
                });
                t.by_resource[resource].push(i);
            }
            let previous = t.objects[i].revisions.last().copied();
            t.objects[i].revisions.push(t.changes.len());
            t.changes.push(Change {
                at: r.observed_ms,
                resource,
                event: r.event,
                object: Arc::new(object),
                previous,
            });
        }
        // Lists come out in the API server's order, namespace then name.
        let key = |o: &usize| -> (&str, &str) {
            let c = &t.changes[t.objects[*o].revisions[0]];
            (
                c.object["metadata"]["namespace"]
                    .as_str()
                    .unwrap_or_default(),
                c.object["metadata"]["name"].as_str().unwrap_or_default(),
            )
        };
        let mut by_resource = std::mem::take(&mut t.by_resource);
        for objects in &mut by_resource {
            objects.sort_by(|a, b| key(a).cmp(&key(b)));
        }
        t.by_resource = by_resource;
        t
    }

    /// Every change, in recording-time order.
    pub fn changes(&self) -> &[Change] {
        &self.changes
    }

    /// The resourceVersion of the state at recording time `p`.
    pub fn rv_at(&self, p: i64) -> u64 {
        RV_BASE + self.changes.partition_point(|c| c.at <= p) as u64
    }

    /// The resourceVersion of the whole history, the largest there is.
    pub fn last_rv(&self) -> u64 {
        RV_BASE + self.changes.len() as u64
    }

    /// How many changes the state at `rv` holds: a resourceVersion below
    /// the history is its start, one above it its end.
    fn prefix(&self, rv: u64) -> usize {
        usize::try_from(rv.saturating_sub(RV_BASE))
            .unwrap_or(usize::MAX)
            .min(self.changes.len())
    }

    /// The changes after the state at `from` up to the state at `to`, with
    /// their resourceVersions.
    pub fn between(&self, from: u64, to: u64) -> impl Iterator<Item = (u64, &Change)> {
        let (from, to) = (self.prefix(from), self.prefix(to));
        self.changes
            .get(from.min(to)..to)
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(move |(i, c)| (RV_BASE + (from + i) as u64 + 1, c))
    }

    /// The revision of `change`'s object before it.
    pub fn previous(&self, change: &Change) -> Option<&Change> {
        self.changes.get(change.previous?)
    }

    /// The last revision of `object` in the state at `rv`, a deletion
    /// included, with its resourceVersion.
    fn last(&self, object: usize, rv: u64) -> Option<(u64, &Change)> {
        let n = self.prefix(rv);
        let revs = &self.objects[object].revisions;
        let i = *revs.get(revs.partition_point(|&c| c < n).checked_sub(1)?)?;
        Some((RV_BASE + i as u64 + 1, &self.changes[i]))
    }

    fn latest(&self, object: usize, rv: u64) -> Option<&Change> {
        self.last(object, rv)
            .map(|(_, c)| c)
            .filter(|c| c.event != WatchEvent::Deleted)
    }

    /// The objects of `resource` that exist at recording time `p`.
    pub fn state(&self, resource: usize, p: i64) -> Vec<&Change> {
        self.state_at(resource, self.rv_at(p))
    }

    /// The objects of `resource` that exist in the state at `rv`, in the
    /// API server's list order (namespace, then name).
    pub fn state_at(&self, resource: usize, rv: u64) -> Vec<&Change> {
        self.by_resource
            .get(resource)
            .into_iter()
            .flatten()
            .filter_map(|&o| self.latest(o, rv))
            .collect()
    }

    /// One object at recording time `p`.
    pub fn get(&self, resource: usize, namespace: &str, name: &str, p: i64) -> Option<&Change> {
        let i = self.object(resource, namespace, name)?;
        self.latest(i, self.rv_at(p))
    }

    /// The last revision of one object in the state at `rv`, its deletion
    /// included, with that revision's resourceVersion.
    pub fn revision(
        &self,
        resource: usize,
        namespace: &str,
        name: &str,
        rv: u64,
    ) -> Option<(u64, &Change)> {
        self.last(self.object(resource, namespace, name)?, rv)
    }

    fn object(&self, resource: usize, namespace: &str, name: &str) -> Option<usize> {
        let i = *self
            .index
            .get(&(resource, namespace.to_owned(), name.to_owned()))?;
        debug_assert_eq!(self.objects[i].resource, resource);
        Some(i)
    }

    /// Namespaces that hold objects at `p`.
    pub fn namespaces(&self, p: i64) -> Vec<String> {
        self.namespaces_at(self.rv_at(p))
    }

    /// Namespaces that hold objects in the state at `rv`.
    pub fn namespaces_at(&self, rv: u64) -> Vec<String> {
        let mut out: Vec<String> = self
            .index
            .iter()
            .filter(|((_, ns, _), i)| !ns.is_empty() && self.latest(**i, rv).is_some())
            .map(|((_, ns, _), _)| ns.clone())
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The answer recorded for this raw GET most recently before `p`.
    pub fn raw(&self, path_and_query: &str, p: i64) -> Option<&str> {
        let answers = self.raw.get(&normalize(path_and_query))?;
        let n = answers.partition_point(|(at, _)| *at <= p);
        Some(&answers[n.checked_sub(1)?].1)
    }
}

/// A path with its query parameters decoded and sorted, so that
/// `?labelSelector=a%3Db` and `?labelSelector=a=b` are one question.
fn normalize(path_and_query: &str) -> String {
    let (path, q) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let mut params: Vec<(String, String)> = query(Some(q)).into_iter().collect();
    params.sort();
    let q: Vec<String> = params
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let path = decode(path);
    if q.is_empty() {
        path
    } else {
        format!("{path}?{}", q.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::kube::fixtures::pod as rev;

    #[test]
    fn the_state_at_a_moment_is_a_prefix_of_the_history() {
        let t = Timeline::new(vec![
            rev(10, WatchEvent::Added, "a", "Pending"),
            rev(20, WatchEvent::Modified, "a", "Running"),
            rev(20, WatchEvent::Added, "b", "Pending"),
            rev(30, WatchEvent::Deleted, "a", "Running"),
        ]);
        let pods = t.resources.by_path("", "v1", "pods").expect("pods");
        assert!(t.state(pods, 5).is_empty());
        let at15 = t.state(pods, 15);
        assert_eq!(at15.len(), 1);
        assert_eq!(at15[0].object["metadata"]["resourceVersion"], "1001");
        assert_eq!(
            t.get(pods, "ns", "a", 25)
                .map(|c| &c.object["status"]["phase"]),
            Some(&json!("Running"))
        );
        assert!(t.get(pods, "ns", "a", 30).is_none(), "deleted at 30");
        assert_eq!(t.rv_at(25), 1003);
        let since: Vec<u64> = t.between(1001, t.rv_at(30)).map(|(rv, _)| rv).collect();
        assert_eq!(since, [1002, 1003, 1004]);
        let a_before = t.between(1002, 1003).next().map(|(_, c)| t.previous(c));
        assert!(a_before.is_some_and(|p| p.is_none()), "b's first revision");
        let (rv, deleted) = t.revision(pods, "ns", "a", 1004).expect("a's deletion");
        assert_eq!((rv, deleted.event), (1004, WatchEvent::Deleted));
        assert_eq!(
            t.previous(deleted).map(|p| &p.object["status"]["phase"]),
            Some(&json!("Running"))
        );
        assert_eq!(
            t.state_at(pods, 1002).len(),
            1,
            "mid-moment: a Running, no b"
        );
        assert_eq!(t.namespaces(25), ["ns"]);
        assert!(t.namespaces(5).is_empty());
    }

    #[test]
    fn raw_answers_are_found_however_the_query_is_encoded() {
        let mut r = rev(10, WatchEvent::Added, "x", "");
        r.kind = RAW_KIND.into();
        r.name = Some(
            "/apis/external.metrics.k8s.io/v1beta1/namespaces/ns/m?labelSelector=a%2Fb%3Dc".into(),
        );
        r.object = Some("{\"kind\":\"ExternalMetricValueList\"}".into());
        let t = Timeline::new(vec![r]);
        assert!(
            t.raw(
                "/apis/external.metrics.k8s.io/v1beta1/namespaces/ns/m?labelSelector=a/b=c",
                10
            )
            .is_some()
        );
        assert!(
            t.raw(
                "/apis/external.metrics.k8s.io/v1beta1/namespaces/ns/m?labelSelector=a/b=c",
                9
            )
            .is_none()
        );
    }
}

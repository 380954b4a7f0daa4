//! The objects as watches report them once a second: the Deployment, its
//! ReplicaSet and pods (with the ReplicaSet controller's create and delete
//! Events), the HPAs, and KEDA's CRD and ScaledObjects. The output writes a
//! revision only when an object changed.

use serde_json::{Value, json};

use super::Recorder;
use crate::hpa_sync::HpaRun;
use crate::keda::Keda;
use crate::objects;
use crate::workload::Workload;
use crate::world::World;

impl Recorder {
    pub(super) fn watch(&mut self, t: i64, at: i64, w: &World) {
        self.workload(t, at, w);
        for h in &w.hpas {
            let body = hpa_object(h, &self.namespace, &w.work, &w.kedas, w.created_ms);
            self.out.object(at, body);
        }
        if !w.kedas.is_empty() {
            self.out.object(
                at,
                objects::scaled_object_crd(&w.crd_uid, w.created_ms - 3_600_000),
            );
        }
        for k in &w.kedas {
            self.out.object(
                at,
                objects::scaled_object(
                    &k.so,
                    &self.namespace,
                    &k.uid,
                    w.created_ms,
                    k.active,
                    k.last_active_ms.map(|x| x + w.start_ms),
                    &k.failures,
                    k.fallback_active,
                ),
            );
        }
    }

    /// The Deployment, the ReplicaSet and its pods.
    fn workload(&mut self, t: i64, at: i64, w: &World) {
        let (work, d, ns) = (&w.work, &w.deployment, self.namespace.as_str());
        self.out.object(
            at,
            objects::deployment(work, ns, &d.uid, w.created_ms, d.generation),
        );
        self.out.object(
            at,
            objects::replica_set(work, ns, &d.rs_uid, &d.uid, w.created_ms),
        );
        let rs_name = format!("{}-{}", work.spec.deployment, work.template_hash);
        let rs = ("apps/v1", "ReplicaSet", rs_name.as_str(), d.rs_uid.as_str());
        let current: Vec<String> = work.pods.iter().map(|p| p.name.clone()).collect();
        for p in &work.pods {
            if !self.pod_names.contains(&p.name) {
                let msg = format!("Created pod: {}", p.name);
                self.events
                    .emit(&mut self.out, at, rs, ("Normal", "SuccessfulCreate", &msg));
            }
            self.out
                .object(at, objects::pod(p, work, ns, &d.rs_uid, at - t));
        }
        for gone in self.pod_names.iter().filter(|n| !current.contains(n)) {
            self.out.delete(at, "Pod", gone);
        }
        for p in work
            .pods
            .iter()
            .filter(|p| p.deleted_ms.is_some_and(|d| d > t - 1000 && d <= t))
        {
            let msg = format!("Deleted pod: {}", p.name);
            self.events
                .emit(&mut self.out, at, rs, ("Normal", "SuccessfulDelete", &msg));
        }
        self.pod_names = current;
    }
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

//! The simulated system: the queue and its publishers, the Deployment and
//! its pods, the metrics pipelines and the autoscalers. [`World::tick`]
//! advances it by one tick, one controller after another, in the order
//! written there.

use understudy_store::StoreError;

use crate::backend::Workers;
use crate::deployment::Deployment;
use crate::hpa_sync::{self, HpaRun};
use crate::keda::Keda;
use crate::load::Load;
use crate::pipelines::Metrics;
use crate::queue::Queue;
use crate::recorder::Recorder;
use crate::rng::Rng;
use crate::scenario::{Fault, Scenario};
use crate::workload::Workload;

/// What a run counts as it goes, for its summary.
#[derive(Debug, Default)]
pub struct Counts {
    pub peak_pending: u64,
    pub rescales: u64,
    pub replica_reversals: u64,
    pub pods_created: u64,
}

#[derive(Debug)]
pub struct World {
    /// The recording's clock at `t = 0` (Unix ms).
    pub start_ms: i64,
    /// When the objects that exist before the run were created.
    pub created_ms: i64,
    faults: Vec<Fault>,
    pub load: Load,
    pub queue: Queue,
    pub work: Workload,
    workers: Workers,
    pub deployment: Deployment,
    pub metrics: Metrics,
    pub kedas: Vec<Keda>,
    pub hpas: Vec<HpaRun>,
    /// The uid of the ScaledObject CRD (installed when there are ScaledObjects).
    pub crd_uid: String,
    pub counts: Counts,
}

impl World {
    /// The cluster as the run finds it: the objects created a while ago,
    /// the Deployment's first pods in place. Draws from `root`'s streams
    /// 1 (uids), 2 (pod names) and 3 (the image API's latency).
    pub fn new(scenario: &Scenario, root: &Rng) -> World {
        let file = &scenario.file;
        let mut ids = root.fork(1);
        let deploy_uid = ids.uuid();
        let rs_uid = ids.uuid();
        let crd_uid = ids.uuid();
        let (hpas, kedas) = hpa_sync::autoscalers(scenario, &mut ids);
        let mut work = Workload::new(&file.backend, root.fork(2));
        // The pods are there before the watches' initial lists.
        let pods_created = work.reconcile(0);
        World {
            start_ms: scenario.start_ms,
            created_ms: scenario.start_ms - 3 * 24 * 3600 * 1000,
            faults: file.faults.clone(),
            load: Load::new(&file.load),
            queue: Queue::new(&file.queue),
            workers: Workers::new(&file.backend, root.fork(3)),
            deployment: Deployment::new(deploy_uid, rs_uid, work.replicas),
            metrics: Metrics::new(&file.pipelines),
            kedas,
            hpas,
            crd_uid,
            counts: Counts {
                pods_created,
                ..Counts::default()
            },
            work,
        }
    }

    /// Advances the world to `t` (ms since the start), and has `rec` record
    /// what it shows. Each controller acts on what the ones before it left.
    pub fn tick(&mut self, t: i64, rec: &mut Recorder) -> Result<(), StoreError> {
        let at = self.start_ms + t;
        // The publishers send; the stream takes back what waited too long
        // for an ack.
        self.load.step(t, &mut self.queue);
        self.queue.redeliver(t);
        // The kubelet moves pods through their lives; the app in each one
        // pulls and works messages.
        self.work.lifecycle(t);
        self.workers.step(t, &mut self.work.pods, &mut self.queue);
        self.counts.peak_pending = self.counts.peak_pending.max(self.queue.num_pending());
        // The ReplicaSet controller creates or deletes pods to match.
        self.counts.pods_created += self.work.replica_set(t);
        // Prometheus, the adapter and metrics-server scrape and relist.
        self.metrics.step(t, &self.work);
        // The autoscalers read the queue and the metrics APIs, and write
        // the Deployment's replicas: KEDA's polls, then the HPAs' syncs.
        let readings = self
            .metrics
            .readings(t, at, &self.queue, nats_down(&self.faults, t));
        for k in &mut self.kedas {
            k.step(&readings, &mut self.work.replicas);
        }
        for h in &mut self.hpas {
            if h.step(&readings, &mut self.work, &mut self.kedas, rec) {
                self.counts.rescales += 1;
            }
        }
        // The deployment controller passes the new count to the ReplicaSet
        // (whose controller acts on it at its next resync).
        if self.deployment.step(at, &self.work, rec) {
            self.counts.replica_reversals += 1;
        }
        // The recorder writes what it sees, then Prometheus forgets samples
        // no query reaches any more.
        rec.step(t, self)?;
        self.metrics.compact(t);
        Ok(())
    }
}

/// Whether a fault keeps the NATS monitoring endpoint from answering at `t`.
fn nats_down(faults: &[Fault], t: i64) -> bool {
    faults.iter().any(|f| match f {
        Fault::NatsMonitoringDown { from, to } => {
            (from.as_millis() as i64..to.as_millis() as i64).contains(&t)
        }
    })
}

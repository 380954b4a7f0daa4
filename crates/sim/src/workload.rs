//! The Deployment's pods through their lives: the ReplicaSet controller
//! creates and deletes them, and each goes through scheduling, init
//! containers, readiness and termination. What the app inside does with
//! messages is the backend's ([`crate::backend`]).

use std::time::Duration;

use crate::backend::Work;
use crate::clock::every;
use crate::rng::Rng;
use crate::scenario::Backend;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Phase {
    /// Waiting for scheduling and the image.
    Pending {
        until: i64,
    },
    /// Init container `index` runs until `until`.
    Init {
        index: usize,
        until: i64,
    },
    /// Containers started; the readiness probe passes at `ready_at`.
    Starting {
        ready_at: i64,
    },
    Ready,
    /// Deleted: the object goes at `remove_at`. `error` when the container
    /// exited with an error (it was working when killed): STATUS `Error`.
    Terminating {
        remove_at: i64,
        error: bool,
    },
}

/// Cumulative counters, as cAdvisor and the app export them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Counters {
    pub cpu_seconds: f64,
    pub throttled_seconds: f64,
    pub periods: u64,
    pub throttled_periods: u64,
    pub successes: u64,
}

#[derive(Debug, Clone)]
pub struct Pod {
    pub name: String,
    pub uid: String,
    pub ip: String,
    pub node: String,
    pub created_ms: i64,
    pub started_ms: Option<i64>,
    pub ready_ms: Option<i64>,
    pub deleted_ms: Option<i64>,
    pub phase: Phase,
    pub counters: Counters,
    /// The messages the app holds; dropped when the pod is deleted.
    pub work: Vec<Work>,
}

impl Pod {
    pub fn is_terminating(&self) -> bool {
        matches!(self.phase, Phase::Terminating { .. })
    }

    /// Running and its container has started (cAdvisor reports it).
    pub fn is_running(&self) -> bool {
        matches!(self.phase, Phase::Starting { .. } | Phase::Ready)
    }

    pub fn is_ready(&self) -> bool {
        self.phase == Phase::Ready
    }
}

/// The Deployment and the pods of its one ReplicaSet.
#[derive(Debug)]
pub struct Workload {
    pub spec: Backend,
    /// `spec.replicas`, written by the autoscalers.
    pub replicas: i32,
    pub pods: Vec<Pod>,
    /// The pod-template hash in pod names (`meme-backend-b6c8dd9fc-xxxxx`).
    pub template_hash: String,
    rng: Rng,
    created: u64,
}

impl Workload {
    pub fn new(spec: &Backend, rng: Rng) -> Workload {
        let mut rng = rng;
        let template_hash = rng.suffix(9);
        Workload {
            spec: spec.clone(),
            replicas: spec.replicas,
            pods: Vec::new(),
            template_hash,
            rng,
            created: 0,
        }
    }

    /// The ReplicaSet controller's resync, once a second: see [`Self::reconcile`].
    pub fn replica_set(&mut self, t: i64) -> u64 {
        if every(t, Duration::from_secs(1), 0) {
            self.reconcile(t)
        } else {
            0
        }
    }

    /// The ReplicaSet controller: create or delete pods to match `replicas`,
    /// deleting the least useful first (not-ready before ready, then the
    /// youngest), as upstream ranks them. Returns how many pods it created.
    pub fn reconcile(&mut self, t: i64) -> u64 {
        let active: Vec<usize> = (0..self.pods.len())
            .filter(|&i| !self.pods[i].is_terminating())
            .collect();
        let want = self.replicas.max(0) as usize;
        if active.len() < want {
            for _ in active.len()..want {
                self.create(t);
            }
            return (want - active.len()) as u64;
        } else if active.len() > want {
            let mut ranked = active;
            ranked.sort_by_key(|&i| {
                let p = &self.pods[i];
                let rank = match p.phase {
                    Phase::Pending { .. } => 0,
                    Phase::Init { .. } => 1,
                    Phase::Starting { .. } => 2,
                    _ => 3,
                };
                (
                    rank,
                    std::cmp::Reverse(p.created_ms),
                    std::cmp::Reverse(p.name.clone()),
                )
            });
            let excess = ranked.len() - want;
            for &i in &ranked[..excess] {
                let grace = self.spec.termination_grace.as_millis() as i64;
                let pod = &mut self.pods[i];
                // Work in hand is abandoned: the messages come back after
                // their ack wait. A pod killed mid-work exits with an error.
                let error = !pod.work.is_empty();
                pod.work.clear();
                pod.deleted_ms = Some(t);
                pod.phase = Phase::Terminating {
                    remove_at: t + if error { grace } else { 1_000 },
                    error,
                };
            }
        }
        0
    }

    fn create(&mut self, t: i64) {
        self.created += 1;
        let pending = self.spec.pending.as_millis() as i64;
        let name = format!(
            "{}-{}-{}",
            self.spec.deployment,
            self.template_hash,
            self.rng.suffix(5)
        );
        let uid = format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            self.rng.next_u64() as u32,
            self.rng.next_u64() as u16,
            self.rng.next_u64() as u16 & 0xfff,
            self.rng.next_u64() as u16 & 0xfff,
            self.rng.next_u64() & 0xffff_ffff_ffff
        );
        self.pods.push(Pod {
            name,
            uid,
            ip: format!(
                "10.4.{}.{}",
                1 + self.created / 250 % 250,
                2 + self.created % 250
            ),
            node: format!(
                "gke-talk-default-pool-{}",
                ["a1b2", "c3d4", "e5f6"][(self.created % 3) as usize]
            ),
            created_ms: t,
            started_ms: None,
            ready_ms: None,
            deleted_ms: None,
            phase: Phase::Pending { until: t + pending },
            counters: Counters::default(),
            work: Vec::new(),
        });
    }

    /// The kubelet's part of a tick ending at `t`: pods whose termination
    /// is over go, the others move on through scheduling, init containers
    /// and the readiness probe.
    pub fn lifecycle(&mut self, t: i64) {
        let spec = &self.spec;
        self.pods
            .retain(|p| !matches!(p.phase, Phase::Terminating { remove_at, .. } if remove_at <= t));
        for pod in &mut self.pods {
            pod.phase = match pod.phase {
                Phase::Pending { until } if until <= t => next_init(spec, 0, t, pod),
                Phase::Init { index, until } if until <= t => next_init(spec, index + 1, t, pod),
                Phase::Starting { ready_at } if ready_at <= t => {
                    pod.ready_ms = Some(t);
                    Phase::Ready
                }
                other => other,
            };
        }
    }

    pub fn ready(&self) -> usize {
        self.pods.iter().filter(|p| p.is_ready()).count()
    }

    /// Pods that count for `status.replicas`: created and not terminating.
    pub fn current(&self) -> usize {
        self.pods.iter().filter(|p| !p.is_terminating()).count()
    }
}

fn next_init(spec: &Backend, index: usize, t: i64, pod: &mut Pod) -> Phase {
    match spec.init_containers.get(index) {
        Some(d) => Phase::Init {
            index,
            until: t + d.as_millis() as i64,
        },
        None => {
            pod.started_ms = Some(t);
            Phase::Starting {
                ready_at: t + spec.readiness.as_millis() as i64,
            }
        }
    }
}

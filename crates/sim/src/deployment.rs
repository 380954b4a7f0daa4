//! The deployment controller: when `spec.replicas` changes it bumps the
//! Deployment's generation and scales its ReplicaSet, and says so in an
//! Event. (The ReplicaSet controller's part is [`Workload::replica_set`].)

use crate::recorder::Recorder;
use crate::workload::Workload;

#[derive(Debug)]
pub struct Deployment {
    pub uid: String,
    pub rs_uid: String,
    /// `metadata.generation`: one more for every spec change.
    pub generation: u64,
    last_replicas: i32,
    /// The sign of the last change, for counting reversals.
    last_direction: i32,
}

impl Deployment {
    pub fn new(uid: String, rs_uid: String, replicas: i32) -> Deployment {
        Deployment {
            uid,
            rs_uid,
            generation: 1,
            last_replicas: replicas,
            last_direction: 0,
        }
    }

    /// Notices a new replica count at `at`. Returns whether the count changed
    /// direction (up after down, or down after up).
    pub fn step(&mut self, at: i64, work: &Workload, rec: &mut Recorder) -> bool {
        let (from, to) = (self.last_replicas, work.replicas);
        if to == from {
            return false;
        }
        self.generation += 1;
        let rs_name = format!("{}-{}", work.spec.deployment, work.template_hash);
        let verb = if to > from { "up" } else { "down" };
        let msg = format!("Scaled {verb} replica set {rs_name} from {from} to {to}");
        let involved = (
            "apps/v1",
            "Deployment",
            work.spec.deployment.as_str(),
            self.uid.as_str(),
        );
        rec.event(at, involved, ("Normal", "ScalingReplicaSet", &msg));
        let direction = (to - from).signum();
        let reversed = self.last_direction != 0 && direction != self.last_direction;
        self.last_direction = direction;
        self.last_replicas = to;
        reversed
    }
}

//! What a live recorder would have recorded of the world, written as it
//! happens: the Kubernetes objects a watch reports once a second, the
//! Events the controllers emit, and the series each exporter serves when
//! Prometheus or the NATS source would have scraped it.

mod events;
mod exporters;
mod ksm;
mod watch;

use std::time::Duration;

use understudy_store::{Manifest, StoreError};

use crate::clock::every;
use crate::output::Output;
use crate::pipelines::{APP_PHASE_MS, CADVISOR_PHASE_MS};
use crate::rng::Rng;
use crate::scenario::{Pipelines, Queue as QueueSpec, Scenario};
use crate::world::World;

use events::Events;
pub use events::Involved;

/// kube-state-metrics is scraped this far into each scrape interval.
const KSM_PHASE_MS: i64 = 8_000;
/// The Prometheus Adapter's series are sampled this far into each interval.
const ADAPTER_PHASE_MS: i64 = 11_000;

/// One kind the recorder watches: kind, apiVersion, namespaced.
type Kind = (&'static str, &'static str, bool);

#[derive(Debug)]
pub struct Recorder {
    out: Output,
    events: Events,
    namespace: String,
    queue: QueueSpec,
    pipelines: Pipelines,
    duration_ms: i64,
    kinds: Vec<Kind>,
    /// The pods the last watch write listed, to report the ones gone.
    pod_names: Vec<String>,
}

impl Recorder {
    /// Starts recording `world`, made from `scenario`, into `out`: the
    /// watches' initial lists begin. `rng` names Events; the run lasts
    /// `duration_ms`.
    pub fn new(
        out: Output,
        scenario: &Scenario,
        world: &World,
        rng: Rng,
        duration_ms: i64,
    ) -> Recorder {
        let file = &scenario.file;
        let mut kinds = vec![
            ("Deployment", "apps/v1", true),
            ("ReplicaSet", "apps/v1", true),
            ("Pod", "v1", true),
            ("HorizontalPodAutoscaler", "autoscaling/v2", true),
            ("Event", "v1", true),
        ];
        if !world.kedas.is_empty() {
            kinds.push(("CustomResourceDefinition", "apiextensions.k8s.io/v1", false));
            kinds.push(("ScaledObject", "keda.sh/v1alpha1", true));
        }
        let mut rec = Recorder {
            out,
            events: Events::new(&file.namespace, rng),
            namespace: file.namespace.clone(),
            queue: file.queue.clone(),
            pipelines: file.pipelines.clone(),
            duration_ms,
            kinds,
            pod_names: Vec::new(),
        };
        rec.relist(world.start_ms, true);
        rec
    }

    /// Marks the start or the end of every watch's initial list.
    fn relist(&mut self, at: i64, start: bool) {
        for &(kind, api_version, namespaced) in &self.kinds {
            let ns = namespaced.then_some(self.namespace.as_str());
            self.out.relist(at, kind, api_version, ns, start);
        }
    }

    /// An Event (type, reason, message) about `involved`, at `at`.
    pub fn event(&mut self, at: i64, involved: Involved<'_>, what: (&str, &str, &str)) {
        self.events.emit(&mut self.out, at, involved, what);
    }

    /// What the recorder sees of `w` at `t`.
    pub fn step(&mut self, t: i64, w: &World) -> Result<(), StoreError> {
        let at = w.start_ms + t;
        let second = Duration::from_secs(1);
        let scrape = self.pipelines.scrape_interval;
        if every(t, second, 0) {
            self.watch(t, at, w);
        }
        if t == 0 {
            self.relist(w.start_ms, false);
        }
        let out = &mut self.out;
        if every(t, self.pipelines.queue_sample, 0) {
            exporters::jetstream(out, at, &w.queue, &self.queue);
        }
        if every(t, scrape, CADVISOR_PHASE_MS) {
            exporters::cadvisor(out, at, &w.work, &self.namespace);
        }
        if every(t, scrape, APP_PHASE_MS) {
            exporters::app(out, at, &w.work, &self.namespace);
        }
        if every(t, scrape, KSM_PHASE_MS) {
            ksm::record(out, at, &w.work, &self.namespace, &w.hpas);
        }
        if every(t, scrape, ADAPTER_PHASE_MS) {
            exporters::adapter(out, at, t, &w.work, &self.namespace, &w.metrics);
        }
        if every(t, Duration::from_secs(60), 0) {
            self.out.flush()?;
        }
        // Segments as a recorder with the default 5-minute segment seals them.
        if t > 0 && every(t, Duration::from_secs(300), 0) && t < self.duration_ms {
            self.out.seal(at)?;
        }
        Ok(())
    }

    /// Makes what was recorded so far durable in the journal (a realtime
    /// run does this each second, as a live recorder does).
    pub fn sync(&mut self, at: i64) -> Result<(), StoreError> {
        self.out.flush()?;
        self.out.sync(at)
    }

    pub fn close(self, at: i64) -> Result<Manifest, StoreError> {
        self.out.close(at)
    }
}

//! Scenario files: the system to simulate, the load to send it, and the real
//! Kubernetes/KEDA manifests that autoscale it (docs/simulator.md).

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use crate::manifests::{Autoscaler, parse_manifests};
use crate::units::{duration, quantity};

/// Why a scenario was refused; the message names the file and the field.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read (missing, unreadable).
    #[error("failed to read scenario {path}: {source}")]
    Read {
        /// The path as given.
        path: String,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The YAML does not parse into a scenario, or its values or manifests
    /// are wrong.
    #[error("invalid scenario {path}: {message}")]
    Invalid {
        /// The path as given (`deploy/scenarios/NAME.yaml` for a bundled one).
        path: String,
        /// Every problem, one a line, each naming its field.
        message: String,
    },
}

/// A whole scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScenarioFile {
    /// Short name, stored in the recording (`scenario=<name>`).
    pub name: String,
    /// One or two sentences on what the scenario shows; optional.
    #[serde(default)]
    pub description: String,
    /// When the simulated run starts (RFC 3339), so recordings look like the
    /// real run; the same every time, which keeps output deterministic.
    pub start: String,
    /// How long to simulate.
    #[serde(deserialize_with = "duration")]
    pub duration: Duration,
    /// Namespace of every simulated object.
    pub namespace: String,
    /// The JetStream stream and consumer the load goes through.
    pub queue: Queue,
    /// Bursts of messages sent to the queue.
    pub load: Vec<LoadStep>,
    /// The Deployment that consumes the queue: its pods and their costs.
    pub backend: Backend,
    /// Scrape, metrics-API and controller intervals; when left out, 15 s
    /// scrapes and HPA syncs, a 30 s adapter relist, 1 s queue samples.
    #[serde(default)]
    pub pipelines: Pipelines,
    /// Faults to inject, e.g. the NATS monitoring endpoint going away.
    #[serde(default)]
    pub faults: Vec<Fault>,
    /// Real `HorizontalPodAutoscaler` (autoscaling/v2) and `ScaledObject`
    /// (keda.sh/v1alpha1) manifests, as `kubectl apply` takes them.
    pub manifests: Vec<serde_json::Value>,
}

/// The JetStream work queue.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Queue {
    pub stream: String,
    pub subject: String,
    /// The durable pull consumer the backend reads with.
    pub consumer: String,
    /// A delivered message not acknowledged within this is delivered again.
    #[serde(deserialize_with = "duration")]
    pub ack_wait: Duration,
    /// Deliveries after which a message is dropped (a max-deliveries advisory).
    pub max_deliver: u32,
    #[serde(default = "default_server_name")]
    pub server_name: String,
}

fn default_server_name() -> String {
    "nats-0".into()
}

/// `messages` published from `publishers` concurrent clients starting `at`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LoadStep {
    #[serde(deserialize_with = "duration")]
    pub at: Duration,
    pub messages: u64,
    pub publishers: u32,
    /// Messages per second each publisher sends (JetStream publish with ack).
    pub rate_per_publisher: f64,
}

/// The Deployment doing the work: its pods, their start-up and their cost.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Backend {
    pub deployment: String,
    /// `spec.replicas` before any autoscaler acts.
    pub replicas: i32,
    /// Messages one pod works on at once.
    pub concurrency: u32,
    /// Scheduling and image pull.
    #[serde(deserialize_with = "duration")]
    pub pending: Duration,
    /// Each init container's run time, in order.
    #[serde(default, deserialize_with = "durations")]
    pub init_containers: Vec<Duration>,
    /// From container start to the first passing readiness probe.
    #[serde(deserialize_with = "duration")]
    pub readiness: Duration,
    /// CPU work per message, in CPU-seconds.
    pub cpu_per_message: f64,
    /// Cores a message's CPU work would use at once without a limit.
    pub burst_cores: f64,
    /// Waiting per message after the CPU work (the image API), no CPU.
    #[serde(deserialize_with = "duration")]
    pub api_latency: Duration,
    /// The wait varies uniformly by up to this much either way.
    #[serde(deserialize_with = "duration")]
    pub api_jitter: Duration,
    /// CPU an idle pod uses.
    #[serde(deserialize_with = "quantity")]
    pub idle_cpu: f64,
    #[serde(deserialize_with = "quantity")]
    pub cpu_request: f64,
    #[serde(deserialize_with = "quantity")]
    pub cpu_limit: f64,
    /// How long a deleted pod's object stays (its container exits with an
    /// error when it was working: STATUS `Error`).
    #[serde(deserialize_with = "duration")]
    pub termination_grace: Duration,
}

fn durations<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Duration>, D::Error> {
    let v = Vec::<String>::deserialize(d)?;
    v.iter()
        .map(|s| {
            humantime::parse_duration(s)
                .map_err(|e| serde::de::Error::custom(format!("invalid duration {s:?} ({e})")))
        })
        .collect()
}

/// How metrics reach the autoscalers, with their real lags.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Pipelines {
    /// Prometheus scrape interval (cAdvisor, the app, kube-state-metrics).
    #[serde(deserialize_with = "duration")]
    pub scrape_interval: Duration,
    /// metrics-server's resolution: the HPA's Resource metrics are this old.
    #[serde(deserialize_with = "duration")]
    pub metrics_server_resolution: Duration,
    /// Prometheus Adapter's metricsRelistInterval: new pods have no custom
    /// metric until the next relist.
    #[serde(deserialize_with = "duration")]
    pub adapter_relist: Duration,
    /// The HPA controller's sync period (`--horizontal-pod-autoscaler-sync-period`).
    #[serde(deserialize_with = "duration")]
    pub hpa_sync: Duration,
    /// How often the queue is sampled into the recording (the NATS source's interval).
    #[serde(deserialize_with = "duration")]
    pub queue_sample: Duration,
}

impl Default for Pipelines {
    fn default() -> Self {
        Pipelines {
            scrape_interval: Duration::from_secs(15),
            metrics_server_resolution: Duration::from_secs(15),
            adapter_relist: Duration::from_secs(30),
            hpa_sync: Duration::from_secs(15),
            queue_sample: Duration::from_secs(1),
        }
    }
}

/// A fault injected into the run.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, tag = "type")]
pub enum Fault {
    /// The NATS monitoring endpoint does not answer: KEDA's nats-jetstream
    /// scaler fails (and its fallback applies after failureThreshold polls).
    NatsMonitoringDown {
        #[serde(deserialize_with = "duration")]
        from: Duration,
        #[serde(deserialize_with = "duration")]
        to: Duration,
    },
}

/// A checked scenario, ready to simulate.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The file as read.
    pub file: ScenarioFile,
    /// `start` in milliseconds since the epoch.
    pub start_ms: i64,
    /// The `manifests`, parsed and checked, in file order.
    pub autoscalers: Vec<Autoscaler>,
}

/// The scenarios shipped in deploy/scenarios/, by name.
pub const BUNDLED: &[(&str, &str)] = &[
    (
        "conflict",
        include_str!("../../../deploy/scenarios/conflict.yaml"),
    ),
    (
        "harmony",
        include_str!("../../../deploy/scenarios/harmony.yaml"),
    ),
];

impl Scenario {
    /// A bundled scenario by name, or a scenario file by path.
    pub fn load(name_or_path: &str) -> Result<Scenario, ScenarioError> {
        if let Some((_, text)) = BUNDLED.iter().find(|(n, _)| *n == name_or_path) {
            return Scenario::parse(text, &format!("deploy/scenarios/{name_or_path}.yaml"));
        }
        let text = std::fs::read_to_string(Path::new(name_or_path)).map_err(|source| {
            ScenarioError::Read {
                path: name_or_path.into(),
                source,
            }
        })?;
        Scenario::parse(&text, name_or_path)
    }

    /// A scenario from YAML `text`; `path` only names it in errors. Once
    /// the YAML parses, every bad value and manifest is reported at once.
    pub fn parse(text: &str, path: &str) -> Result<Scenario, ScenarioError> {
        let invalid = |message: String| ScenarioError::Invalid {
            path: path.into(),
            message,
        };
        let file: ScenarioFile =
            serde_norway::from_str(text).map_err(|e| invalid(e.to_string()))?;
        let problems = validate(&file);
        let start_ms = humantime::parse_rfc3339(&file.start)
            .map_err(|e| invalid(format!("start: {e}; write e.g. \"2025-10-27T17:20:00Z\"")))?
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|_| invalid("start: before 1970".into()))?
            .as_millis() as i64;
        let autoscalers = match parse_manifests(&file.manifests, &file) {
            Ok(a) if problems.is_empty() => a,
            Ok(_) => return Err(invalid(problems.join("\n"))),
            Err(mut more) => {
                let mut all = problems;
                all.append(&mut more);
                return Err(invalid(all.join("\n")));
            }
        };
        Ok(Scenario {
            file,
            start_ms,
            autoscalers,
        })
    }
}

/// Every impossible value, each naming its field.
fn validate(f: &ScenarioFile) -> Vec<String> {
    let mut p = Vec::new();
    let mut check = |ok: bool, msg: String| {
        if !ok {
            p.push(msg);
        }
    };
    check(!f.name.is_empty(), "name: must not be empty".into());
    check(
        f.duration >= Duration::from_secs(1),
        "duration: must be at least 1s".into(),
    );
    check(
        f.duration <= Duration::from_secs(24 * 3600),
        "duration: at most 24h".into(),
    );
    check(
        !f.namespace.is_empty(),
        "namespace: must not be empty".into(),
    );
    check(
        f.queue.max_deliver >= 1,
        "queue.maxDeliver: must be at least 1".into(),
    );
    check(
        !f.queue.ack_wait.is_zero(),
        "queue.ackWait: must be more than 0s".into(),
    );
    for (i, l) in f.load.iter().enumerate() {
        check(
            l.publishers >= 1,
            format!("load[{i}].publishers: must be at least 1"),
        );
        check(
            l.rate_per_publisher.is_finite() && l.rate_per_publisher > 0.0,
            format!(
                "load[{i}].ratePerPublisher: must be a positive number, not {}",
                l.rate_per_publisher
            ),
        );
        check(
            l.at < f.duration,
            format!("load[{i}].at: {:?} is after the end of the run", l.at),
        );
    }
    let b = &f.backend;
    check(
        b.replicas >= 0,
        format!("backend.replicas: must not be negative, not {}", b.replicas),
    );
    check(
        b.concurrency >= 1,
        "backend.concurrency: must be at least 1".into(),
    );
    for (name, v) in [
        ("backend.cpuPerMessage", b.cpu_per_message),
        ("backend.burstCores", b.burst_cores),
        ("backend.idleCpu", b.idle_cpu),
        ("backend.cpuRequest", b.cpu_request),
        ("backend.cpuLimit", b.cpu_limit),
    ] {
        check(
            v.is_finite() && v >= 0.0,
            format!("{name}: must not be negative, not {v}"),
        );
    }
    check(
        b.burst_cores > 0.0,
        "backend.burstCores: must be more than 0".into(),
    );
    check(
        b.cpu_limit > 0.0,
        "backend.cpuLimit: must be more than 0".into(),
    );
    check(
        b.cpu_limit >= b.cpu_request,
        format!(
            "backend.cpuLimit ({}) is less than backend.cpuRequest ({}): Kubernetes refuses that",
            b.cpu_limit, b.cpu_request
        ),
    );
    check(
        b.api_jitter <= b.api_latency,
        "backend.apiJitter: must not exceed backend.apiLatency".into(),
    );
    let pl = &f.pipelines;
    for (name, d) in [
        ("pipelines.scrapeInterval", pl.scrape_interval),
        (
            "pipelines.metricsServerResolution",
            pl.metrics_server_resolution,
        ),
        ("pipelines.adapterRelist", pl.adapter_relist),
        ("pipelines.hpaSync", pl.hpa_sync),
        ("pipelines.queueSample", pl.queue_sample),
    ] {
        check(
            d >= Duration::from_millis(100),
            format!("{name}: must be at least 100ms"),
        );
    }
    for (i, fault) in f.faults.iter().enumerate() {
        match fault {
            Fault::NatsMonitoringDown { from, to } => {
                check(
                    from < to,
                    format!("faults[{i}]: `from` must be before `to`"),
                );
            }
        }
    }
    p
}

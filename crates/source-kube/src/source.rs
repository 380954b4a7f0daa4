//! The `Source` the recorder runs for one `[[source.kubernetes]]`.

use std::collections::{BTreeMap, HashMap};
use std::pin::Pin;
use std::sync::Arc;

use futures_util::stream::{SelectAll, Stream};
use futures_util::{FutureExt as _, StreamExt as _};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, ApiResource, DynamicObject};
use kube::discovery::{ApiCapabilities, Scope as ApiScope};
use kube::runtime::{WatchStreamExt as _, watcher};
use serde_json::Value;
use understudy_core::{
    BoxFuture, Labels, ObjectRevision, SampleBatch, Series, Sink, Source, SourceError,
    TimelineBatch, WatchEvent, now_ms,
};

use crate::client::{connect, is_transport};
use crate::config::KubeConfig;
use crate::derive::Derived;
use crate::kinds::KindSpec;
use crate::poll::{RAW_API_VERSION, RAW_KIND, hpa_metric_paths, path_namespace};
use crate::state::{Change, Scope};

/// Most watch events taken into one batch.
const BATCH: usize = 2048;

type Item = (
    String,
    Result<watcher::Event<DynamicObject>, watcher::Error>,
);
type WatchStream = Pin<Box<dyn Stream<Item = Item> + Send>>;

/// Records the objects of one cluster as its watches report them.
#[derive(Debug)]
pub struct KubeSource {
    name: String,
    config: KubeConfig,
    kinds: Vec<KindSpec>,
    /// Kept across reconnects, so a relist records only differences.
    scopes: HashMap<String, Scope>,
    derived: Derived,
    /// Polled paths: the last body recorded.
    polled: BTreeMap<String, String>,
    /// Things said in the log once (a CRD not installed, a 403), by scope.
    told: HashMap<String, String>,
    /// `understudy_kubernetes_errors_total` by (kind, reason).
    errors: BTreeMap<(String, &'static str), f64>,
    /// `understudy_kubernetes_watch_events_total` by kind.
    events: BTreeMap<String, f64>,
}

/// One watch to start: a kind in a namespace (or cluster-wide).
struct WatchPlan {
    id: String,
    resource: ApiResource,
    namespace: Option<String>,
    labels: Option<String>,
    fields: Option<String>,
}

impl KubeSource {
    /// `config` must be free of [`KubeConfig::problems`].
    pub fn new(index: usize, config: KubeConfig) -> KubeSource {
        let kinds = config
            .kinds
            .iter()
            .filter_map(|k| KindSpec::parse(k).ok())
            .collect();
        KubeSource {
            name: format!("kubernetes[{index}]"),
            config,
            kinds,
            scopes: HashMap::new(),
            derived: Derived::default(),
            polled: BTreeMap::new(),
            told: HashMap::new(),
            errors: BTreeMap::new(),
            events: BTreeMap::new(),
        }
    }

    /// Logs `message` about `what` unless it was the last thing said of it.
    fn tell(&mut self, what: &str, message: String, warn: bool) {
        if self.told.get(what) == Some(&message) {
            return;
        }
        if warn {
            tracing::warn!(source = %self.name, "{message}");
        } else {
            tracing::info!(source = %self.name, "{message}");
        }
        self.told.insert(what.to_owned(), message);
    }

    /// Looks the kinds up and plans their watches; kinds not served are
    /// returned to be looked up again later.
    async fn discover(
        &mut self,
        client: &kube::Client,
        kinds: Vec<KindSpec>,
        url: &str,
    ) -> Result<(Vec<WatchPlan>, Vec<KindSpec>), SourceError> {
        let mut plans = Vec::new();
        let mut missing = Vec::new();
        for spec in kinds {
            let found = tokio::time::timeout(
                self.config.timeout,
                kube::discovery::pinned_kind(client, &spec.gvk()),
            )
            .await
            .map_err(|_| {
                SourceError::Unavailable(format!(
                    "Kubernetes API at {url} did not answer discovery of {spec} within {}",
                    humantime::format_duration(self.config.timeout)
                ))
            })?;
            let (resource, caps) = match found {
                Ok(f) => f,
                Err(e) if is_transport(&e) => {
                    return Err(SourceError::Unavailable(format!(
                        "Kubernetes API at {url} is unreachable: {e}"
                    )));
                }
                Err(e) => {
                    let message = if spec.is_custom() {
                        format!(
                            "{spec} is not served by {url} (its CustomResourceDefinition is not installed): not recording it, looking again every {}",
                            humantime::format_duration(self.config.discovery_interval)
                        )
                    } else {
                        format!("{spec} is not served by {url} ({e}): not recording it")
                    };
                    self.tell(&spec.to_string(), message, !spec.is_custom());
                    missing.push(spec);
                    continue;
                }
            };
            self.told.remove(&spec.to_string());
            plans.extend(self.plan(&spec, resource, &caps));
        }
        Ok((plans, missing))
    }

    fn plan(
        &self,
        spec: &KindSpec,
        resource: ApiResource,
        caps: &ApiCapabilities,
    ) -> Vec<WatchPlan> {
        let original = self
            .config
            .kinds
            .iter()
            .find(|k| KindSpec::parse(k).ok().as_ref() == Some(spec));
        let labels = original.and_then(|k| self.config.label_selectors.get(k).cloned());
        let namespaces: Vec<Option<String>> =
            if caps.scope == ApiScope::Cluster || self.config.namespaces.is_empty() {
                vec![None]
            } else {
                self.config.namespaces.iter().cloned().map(Some).collect()
            };
        let mut plans: Vec<WatchPlan> = namespaces
            .into_iter()
            .map(|namespace| WatchPlan {
                id: scope_id(&resource, namespace.as_deref(), None),
                resource: resource.clone(),
                namespace,
                labels: labels.clone(),
                fields: None,
            })
            .collect();
        if spec.is_custom() {
            // The definition too: printer columns and discovery for replay.
            let crd = ApiResource::erase::<CustomResourceDefinition>(&());
            let fields = format!("metadata.name={}.{}", resource.plural, resource.group);
            plans.push(WatchPlan {
                id: scope_id(&crd, None, Some(&fields)),
                resource: crd,
                namespace: None,
                labels: None,
                fields: Some(fields),
            });
        }
        plans
    }

    fn start(&mut self, client: &kube::Client, plan: WatchPlan) -> WatchStream {
        let WatchPlan {
            id,
            resource,
            namespace,
            labels,
            fields,
        } = plan;
        self.scopes.entry(id.clone()).or_insert_with(|| {
            Scope::new(&resource.api_version, &resource.kind, namespace.as_deref())
        });
        let api: Api<DynamicObject> = match &namespace {
            Some(ns) => Api::namespaced_with(client.clone(), ns, &resource),
            None => Api::all_with(client.clone(), &resource),
        };
        let mut cfg = watcher::Config::default();
        if let Some(l) = labels {
            cfg = cfg.labels(&l);
        }
        if let Some(f) = fields {
            cfg = cfg.fields(&f);
        }
        watcher(api, cfg)
            .default_backoff()
            .map(move |e| (id.clone(), e))
            .boxed()
    }

    /// One watch event (or error) into revisions, samples and counts.
    fn handle(
        &mut self,
        id: &str,
        item: Result<watcher::Event<DynamicObject>, watcher::Error>,
        batch: &mut TimelineBatch,
    ) -> Result<(), SourceError> {
        let now = now_ms();
        let Some(scope) = self.scopes.get_mut(id) else {
            return Ok(());
        };
        let kind = scope.kind.clone();
        let (api_version, namespace) = (scope.api_version.clone(), scope.namespace.clone());
        let event = match item {
            Ok(e) => e,
            Err(e) => return self.watch_error(id, &kind, &api_version, namespace.as_deref(), e),
        };
        if matches!(
            event,
            watcher::Event::InitApply(_) | watcher::Event::InitDone
        ) && let Some(start) = scope.start_marker()
        {
            batch.objects.push(start);
        }
        let changes = match event {
            watcher::Event::Init => {
                scope.relist_start(now);
                return Ok(());
            }
            watcher::Event::InitApply(o) => scope.relisted(to_json(o, &api_version, &kind), now),
            watcher::Event::InitDone => {
                let (gone, end) = scope.relist_end(now);
                self.record(gone, batch);
                batch.objects.push(end);
                self.told.remove(id);
                return Ok(());
            }
            watcher::Event::Apply(o) => scope.apply(to_json(o, &api_version, &kind), now),
            watcher::Event::Delete(o) => scope.delete(to_json(o, &api_version, &kind), now),
        };
        *self.events.entry(kind).or_default() += 1.0;
        self.record(changes, batch);
        Ok(())
    }

    fn record(&mut self, changes: Vec<Change>, batch: &mut TimelineBatch) {
        for change in changes {
            if self.config.derive_series {
                for s in &self.derived.observe(&change) {
                    batch.samples.push(&s.series, s.timestamp_ms, s.value);
                }
            }
            batch.objects.push(change.revision);
        }
    }

    fn watch_error(
        &mut self,
        id: &str,
        kind: &str,
        api_version: &str,
        namespace: Option<&str>,
        e: watcher::Error,
    ) -> Result<(), SourceError> {
        let scope = match namespace {
            Some(ns) => format!("{kind} ({api_version}) in namespace {ns}"),
            None => format!("{kind} ({api_version}) in all namespaces"),
        };
        let (verb, err) = match &e {
            watcher::Error::InitialListFailed(err) => ("list", err),
            watcher::Error::WatchStartFailed(err) => ("watch", err),
            watcher::Error::WatchFailed(err) => {
                // A cut stream: the watcher resumes from the last
                // resourceVersion; if the server is gone, starting the
                // new watch fails and says so.
                tracing::debug!(source = %self.name, "watch of {scope} cut: {err}");
                self.count(kind, "stream_cut");
                return Ok(());
            }
            watcher::Error::WatchError(status) if status.code == 410 => {
                tracing::info!(source = %self.name, "watch of {scope} expired (410 Gone: {}); relisting", status.message);
                self.count(kind, "expired");
                return Ok(());
            }
            watcher::Error::WatchError(status) => {
                let message = format!(
                    "watch of {scope}: the server said {} {}",
                    status.code, status.message
                );
                self.count(kind, "watch_error");
                self.tell(id, message, true);
                return Ok(());
            }
            watcher::Error::NoResourceVersion => {
                self.count(kind, "other");
                self.tell(
                    id,
                    format!("{scope}: the server's list has no resourceVersion; cannot watch it"),
                    true,
                );
                return Ok(());
            }
        };
        match err {
            kube::Error::Api(status) if status.code == 403 => {
                self.count(kind, "forbidden");
                let (resource, group) = resource_of(api_version, kind, &status.details);
                let message = format!(
                    "cannot {verb} {scope}: 403 Forbidden ({}). Grant the recorder get, list and watch on \"{resource}\" in API group \"{group}\" (deploy/recorder/clusterrole.yaml); the other kinds keep recording",
                    status.message
                );
                self.tell(id, message, true);
                Ok(())
            }
            kube::Error::Api(status) => {
                self.count(
                    kind,
                    if status.code == 404 {
                        "not_found"
                    } else {
                        "other"
                    },
                );
                let message = format!("cannot {verb} {scope}: {} {}", status.code, status.message);
                self.tell(id, message, true);
                Ok(())
            }
            err if is_transport(err) => Err(SourceError::Unavailable(format!(
                "Kubernetes API is unreachable ({verb} {scope}): {err}"
            ))),
            err => {
                self.count(kind, "other");
                self.tell(id, format!("cannot {verb} {scope}: {err}"), true);
                Ok(())
            }
        }
    }

    fn count(&mut self, kind: &str, reason: &'static str) {
        *self.errors.entry((kind.to_owned(), reason)).or_default() += 1.0;
    }

    /// The paths to poll now: configured ones and the recorded HPAs' metrics.
    fn poll_paths(&self) -> Vec<String> {
        let mut paths: Vec<String> = self.config.poll_paths.clone();
        if self.config.poll_hpa_metrics {
            for scope in self
                .scopes
                .values()
                .filter(|s| s.kind == "HorizontalPodAutoscaler")
            {
                for hpa in scope.objects() {
                    paths.extend(hpa_metric_paths(&hpa));
                }
            }
        }
        paths.sort();
        paths.dedup();
        paths
    }

    /// GETs every path; answers that changed are recorded.
    async fn poll(&mut self, client: &kube::Client) -> Result<TimelineBatch, SourceError> {
        let mut batch = TimelineBatch::default();
        for path in self.poll_paths() {
            let (code, body) =
                match tokio::time::timeout(self.config.timeout, get(client, &path)).await {
                    Ok(Ok(answer)) => answer,
                    Ok(Err(e)) => {
                        return Err(SourceError::Unavailable(format!(
                            "Kubernetes API is unreachable (GET {path}): {e}"
                        )));
                    }
                    Err(_) => (
                        504,
                        status_json(
                            504,
                            "Timeout",
                            &format!(
                                "no answer within {}",
                                humantime::format_duration(self.config.timeout)
                            ),
                        ),
                    ),
                };
            let body = if serde_json::from_str::<Value>(&body).is_ok_and(|v| v.is_object()) {
                body
            } else {
                // An aggregated API's proxy error in plain text.
                status_json(code, "ServiceUnavailable", body.trim())
            };
            if self.polled.get(&path) == Some(&body) {
                continue;
            }
            let event = if self.polled.contains_key(&path) {
                WatchEvent::Modified
            } else {
                WatchEvent::Added
            };
            let json: Value = serde_json::from_str(&body).unwrap_or_default();
            let server_time_ms = json["items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|i| {
                    i["timestamp"]
                        .as_str()
                        .and_then(understudy_core::parse_rfc3339_ms)
                })
                .max();
            if code >= 400 {
                self.tell(
                    &path,
                    format!(
                        "GET {path}: {code} {}",
                        json["message"].as_str().unwrap_or_default()
                    ),
                    true,
                );
            } else {
                self.told.remove(&path);
            }
            batch.objects.push(ObjectRevision {
                observed_ms: now_ms(),
                server_time_ms,
                kind: RAW_KIND.into(),
                api_version: RAW_API_VERSION.into(),
                namespace: path_namespace(&path),
                name: Some(path.clone()),
                uid: None,
                resource_version: None,
                event,
                object: Some(body.clone()),
            });
            self.polled.insert(path, body);
        }
        Ok(batch)
    }

    /// The derived series and the source's own counts, at `t`.
    fn tick(&self, t: i64) -> SampleBatch {
        let mut batch = if self.config.derive_series {
            self.derived.tick(t)
        } else {
            SampleBatch::default()
        };
        let own = |metric: &str, pairs: &[(&str, &str)]| {
            let mut all = vec![("source", self.name.as_str())];
            all.extend_from_slice(pairs);
            Labels::from_pairs(all)
                .and_then(|l| Series::new(metric, l))
                .ok()
                .map(Arc::new)
        };
        for ((kind, reason), n) in &self.errors {
            if let Some(s) = own(
                "understudy_kubernetes_errors_total",
                &[("kind", kind), ("reason", reason)],
            ) {
                batch.push(&s, t, *n);
            }
        }
        for (kind, n) in &self.events {
            if let Some(s) = own(
                "understudy_kubernetes_watch_events_total",
                &[("kind", kind)],
            ) {
                batch.push(&s, t, *n);
            }
        }
        let mut objects: BTreeMap<&str, usize> = BTreeMap::new();
        for scope in self.scopes.values() {
            *objects.entry(scope.kind.as_str()).or_default() += scope.len();
        }
        for (kind, n) in objects {
            if let Some(s) = own("understudy_kubernetes_objects", &[("kind", kind)]) {
                batch.push(&s, t, n as f64);
            }
        }
        batch
    }
}

/// `apiVersion/Kind|namespace|fieldSelector`.
fn scope_id(r: &ApiResource, namespace: Option<&str>, fields: Option<&str>) -> String {
    format!(
        "{}/{}|{}|{}",
        r.api_version,
        r.kind,
        namespace.unwrap_or("*"),
        fields.unwrap_or_default()
    )
}

/// The object as the API server sends it in a watch: `apiVersion` and
/// `kind` set (list items lack them), `managedFields` dropped.
fn to_json(o: DynamicObject, api_version: &str, kind: &str) -> Value {
    let mut v = serde_json::to_value(o).unwrap_or_default();
    if let Some(map) = v.as_object_mut() {
        map.insert("apiVersion".into(), Value::from(api_version));
        map.insert("kind".into(), Value::from(kind));
        if let Some(meta) = map.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.remove("managedFields");
        }
    }
    v
}

/// The plural resource and group a 403 is about.
fn resource_of(
    api_version: &str,
    kind: &str,
    details: &Option<kube::core::response::StatusDetails>,
) -> (String, String) {
    let group = api_version
        .rsplit_once('/')
        .map_or("", |(g, _)| g)
        .to_owned();
    let resource = details
        .as_ref()
        .map(|d| d.kind.clone())
        .filter(|k| !k.is_empty())
        .unwrap_or_else(|| format!("{}s", kind.to_lowercase()));
    (resource, group)
}

fn status_json(code: u16, reason: &str, message: &str) -> String {
    serde_json::json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "code": code,
    })
    .to_string()
}

/// `GET path` through the client's auth; the status and body as answered.
async fn get(client: &kube::Client, path: &str) -> Result<(u16, String), kube::Error> {
    use http_body_util::BodyExt as _;
    let request = http::Request::get(path)
        .body(kube::client::Body::empty())
        .map_err(kube::Error::HttpError)?;
    let response = client.send(request).await?;
    let code = response.status().as_u16();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map_err(|e| kube::Error::Service(Box::new(e)))?
        .to_bytes();
    Ok((code, String::from_utf8_lossy(&bytes).into_owned()))
}

impl Source for KubeSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn config(&self) -> Value {
        serde_json::to_value(&self.config).unwrap_or_default()
    }

    fn run<'a>(&'a mut self, sink: &'a dyn Sink) -> BoxFuture<'a, Result<(), SourceError>> {
        Box::pin(async move {
            let (client, url) = connect(&self.config).await?;
            let (plans, mut missing) = self.discover(&client, self.kinds.clone(), &url).await?;
            tracing::info!(source = %self.name, "watching {} scopes at {url}", plans.len());
            let mut watches: SelectAll<WatchStream> = SelectAll::new();
            for plan in plans {
                watches.push(self.start(&client, plan));
            }
            let mut series_tick = tokio::time::interval(self.config.series_interval);
            let mut poll_tick = tokio::time::interval(self.config.poll_interval);
            let mut rediscover = tokio::time::interval(self.config.discovery_interval);
            for t in [&mut series_tick, &mut poll_tick, &mut rediscover] {
                t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            }
            rediscover.reset();
            loop {
                tokio::select! {
                    Some((id, item)) = watches.next(), if !watches.is_empty() => {
                        let mut batch = TimelineBatch::default();
                        self.handle(&id, item, &mut batch)?;
                        let mut n = 1;
                        while n < BATCH {
                            let Some(Some((id, item))) = watches.next().now_or_never() else { break };
                            self.handle(&id, item, &mut batch)?;
                            n += 1;
                        }
                        if !batch.is_empty() {
                            sink.send(batch).await?;
                        }
                    }
                    _ = series_tick.tick() => {
                        sink.send(self.tick(now_ms()).into()).await?;
                    }
                    _ = poll_tick.tick() => {
                        let batch = self.poll(&client).await?;
                        if !batch.is_empty() {
                            sink.send(batch).await?;
                        }
                    }
                    _ = rediscover.tick(), if !missing.is_empty() => {
                        let (plans, still) = self.discover(&client, std::mem::take(&mut missing), &url).await?;
                        missing = still;
                        for plan in plans {
                            watches.push(self.start(&client, plan));
                        }
                    }
                }
            }
        })
    }
}

//! A fixture Kubernetes API server: real list/watch protocol, real object
//! JSON, in memory, on loopback. Read-only over HTTP; tests feed it with
//! [`FixtureApi::apply`] and [`FixtureApi::delete`]. `kubectl` and kube-rs
//! can read it through the kubeconfig of [`FixtureApi::write_kubeconfig`].

mod http;
mod resources;

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use tokio::sync::broadcast;

use resources::RESOURCES;

/// How many watch events are kept for replay (older start points get 410).
pub const DEFAULT_HISTORY: usize = 1000;

/// One change, as a watch stream sends it.
#[derive(Debug, Clone)]
pub(crate) struct Change {
    pub rv: u64,
    pub resource: usize,
    pub kind: &'static str,
    pub object: Value,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub rv: u64,
    /// `(resource index, namespace, name)` → object.
    pub objects: BTreeMap<(usize, String, String), Value>,
    pub history: VecDeque<Change>,
    pub history_cap: usize,
    /// Watches from a resourceVersion below this get 410 Gone.
    pub oldest: u64,
    pub next_uid: u64,
}

#[derive(Debug)]
pub(crate) struct Shared {
    pub inner: Mutex<Inner>,
    pub changes: broadcast::Sender<Change>,
    /// Bumped by [`FixtureApi::drop_watches`].
    pub drops: tokio::sync::watch::Sender<u64>,
    pub bookmark_interval: Mutex<Duration>,
    pub port: u16,
    /// Resources (indexes) left out of discovery and answered 404.
    pub hidden: Mutex<HashSet<usize>>,
    /// Resources (indexes) the client may not read: 403.
    pub forbidden: Mutex<HashSet<usize>>,
    /// Fixed answers to `GET path?query`: status code and body.
    pub raw: Mutex<HashMap<String, (u16, Value)>>,
}

/// The fixture server. Dropping it stops the server task.
#[derive(Debug)]
pub struct FixtureApi {
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FixtureApi {
    fn drop(&mut self) {
        self.task.abort();
        self.drop_watches();
    }
}

impl FixtureApi {
    /// Starts on `127.0.0.1:0`, bookmarks every second.
    pub async fn start() -> FixtureApi {
        FixtureApi::start_with(Duration::from_secs(1), DEFAULT_HISTORY).await
    }

    /// Starts with this BOOKMARK interval and history length.
    pub async fn start_with(bookmark_interval: Duration, history: usize) -> FixtureApi {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        // Room for every change the history holds: a reader behind by less
        // than that catches up instead of being cut off with 410.
        let (changes, _) = broadcast::channel(history.clamp(4096, 1 << 20));
        let (drops, _) = tokio::sync::watch::channel(0);
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner {
                rv: 1,
                objects: BTreeMap::new(),
                history: VecDeque::new(),
                history_cap: history.max(1),
                oldest: 1,
                next_uid: 1,
            }),
            changes,
            drops,
            bookmark_interval: Mutex::new(bookmark_interval),
            port,
            hidden: Mutex::new(HashSet::new()),
            forbidden: Mutex::new(HashSet::new()),
            raw: Mutex::new(HashMap::new()),
        });
        let app = http::router(shared.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FixtureApi { shared, task }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.shared.port)
    }

    /// The loopback port it listens on.
    pub fn port(&self) -> u16 {
        self.shared.port
    }

    /// The current global resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.shared.inner.lock().expect("lock").rv
    }

    /// How often watches that asked for bookmarks get one; takes effect
    /// for watches started afterwards.
    pub fn set_bookmark_interval(&self, every: Duration) {
        *self.shared.bookmark_interval.lock().expect("lock") = every;
    }

    /// Writes a kubeconfig (context `fixture`, empty user, plain HTTP).
    pub fn write_kubeconfig(&self, path: &Path) {
        let text = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: fixture\n  cluster:\n    server: {}\n\
             users:\n- name: fixture\n  user: {{}}\ncontexts:\n- name: fixture\n  context:\n    cluster: fixture\n    user: fixture\n    namespace: default\n\
             current-context: fixture\npreferences: {{}}\n",
            self.url()
        );
        std::fs::write(path, text).expect("write kubeconfig");
    }

    /// Creates or replaces an object (by apiVersion, kind, namespace, name):
    /// sets metadata.resourceVersion (global counter), uid and
    /// creationTimestamp when missing, and tells the watchers. Returns the
    /// stored object. Panics on a kind the fixture does not serve.
    pub fn apply(&self, mut object: Value) -> Value {
        let api_version = object["apiVersion"].as_str().unwrap_or_default().to_owned();
        let kind = object["kind"].as_str().unwrap_or_default().to_owned();
        let idx = resources::by_api_kind(&api_version, &kind)
            .unwrap_or_else(|| panic!("fixture does not serve {api_version} {kind}"));
        let res = RESOURCES[idx];
        let name = object["metadata"]["name"]
            .as_str()
            .expect("metadata.name")
            .to_owned();
        let ns = if res.namespaced {
            object["metadata"]["namespace"]
                .as_str()
                .unwrap_or("default")
                .to_owned()
        } else {
            String::new()
        };
        let mut inner = self.shared.inner.lock().expect("lock");
        inner.rv += 1;
        let rv = inner.rv;
        let key = (idx, ns.clone(), name);
        let old = inner.objects.get(&key).cloned();
        let meta = object
            .as_object_mut()
            .expect("object")
            .entry("metadata")
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("metadata object");
        if res.namespaced {
            meta.insert("namespace".into(), json!(ns));
        }
        meta.insert("resourceVersion".into(), json!(rv.to_string()));
        if !meta.contains_key("uid") {
            let uid = match old.as_ref().and_then(|o| o["metadata"]["uid"].as_str()) {
                Some(u) => u.to_owned(),
                None => {
                    inner.next_uid += 1;
                    format!("6c1e0000-0000-4000-8000-{:012x}", inner.next_uid)
                }
            };
            meta.insert("uid".into(), json!(uid));
        }
        if !meta.contains_key("creationTimestamp") {
            let ts = old
                .as_ref()
                .and_then(|o| o["metadata"]["creationTimestamp"].as_str())
                .map_or_else(|| rfc3339(SystemTime::now()), str::to_owned);
            meta.insert("creationTimestamp".into(), json!(ts));
        }
        let kind = if old.is_some() { "MODIFIED" } else { "ADDED" };
        inner.objects.insert(key, object.clone());
        self.record(&mut inner, rv, idx, kind, object.clone());
        object
    }

    /// Deletes the object of `kind` (Kind or plural resource name, any API
    /// group) and tells the watchers. Returns whether it existed.
    pub fn delete(&self, kind: &str, namespace: &str, name: &str) -> bool {
        let mut inner = self.shared.inner.lock().expect("lock");
        let key = inner
            .objects
            .keys()
            .find(|(i, ns, n)| {
                let r = RESOURCES[*i];
                (r.kind.eq_ignore_ascii_case(kind) || r.resource == kind)
                    && (!r.namespaced || ns == namespace)
                    && n == name
            })
            .cloned();
        let Some(key) = key else { return false };
        let mut object = inner.objects.remove(&key).expect("present");
        inner.rv += 1;
        let rv = inner.rv;
        object["metadata"]["resourceVersion"] = json!(rv.to_string());
        self.record(&mut inner, rv, key.0, "DELETED", object);
        true
    }

    fn record(
        &self,
        inner: &mut Inner,
        rv: u64,
        resource: usize,
        kind: &'static str,
        object: Value,
    ) {
        let change = Change {
            rv,
            resource,
            kind,
            object,
        };
        inner.history.push_back(change.clone());
        while inner.history.len() > inner.history_cap {
            if let Some(c) = inner.history.pop_front() {
                inner.oldest = c.rv;
            }
        }
        // Sent under the lock: a watch subscribes under it too, so it sees
        // each change either in its history snapshot or live.
        let _ = self.shared.changes.send(change);
    }

    /// Stops serving a kind (`Kind` or plural, any group), as a cluster
    /// without its CRD: gone from discovery, its paths answer 404.
    pub fn unserve(&self, kind: &str) {
        self.shared
            .hidden
            .lock()
            .expect("lock")
            .extend(indexes(kind));
    }

    /// Serves a kind left out by [`FixtureApi::unserve`] again.
    pub fn serve(&self, kind: &str) {
        let mut hidden = self.shared.hidden.lock().expect("lock");
        for i in indexes(kind) {
            hidden.remove(&i);
        }
    }

    /// Answers every read of a kind (`Kind` or plural, any group) with 403
    /// Forbidden, worded as the real server's RBAC authorizer words it for
    /// the service account `system:serviceaccount:understudy:understudy`.
    pub fn forbid(&self, kind: &str) {
        self.shared
            .forbidden
            .lock()
            .expect("lock")
            .extend(indexes(kind));
    }

    /// Answers `GET path_and_query` (exactly as sent, e.g.
    /// `/apis/custom.metrics.k8s.io/v1beta1/namespaces/ns/pods/*/m`) with
    /// this status and JSON body, as an aggregated API would.
    pub fn set_raw(&self, path_and_query: &str, code: u16, body: Value) {
        self.shared
            .raw
            .lock()
            .expect("lock")
            .insert(path_and_query.to_owned(), (code, body));
    }

    /// Forgets the event history: a watch from any older resourceVersion
    /// now gets `410 Expired`.
    pub fn expire_history(&self) {
        let mut inner = self.shared.inner.lock().expect("lock");
        inner.history.clear();
        inner.oldest = inner.rv;
    }

    /// Closes every open watch stream abruptly (connection reset, no final
    /// chunk), as an API server restart or a load balancer would.
    pub fn drop_watches(&self) {
        self.shared.drops.send_modify(|g| *g += 1);
    }
}

/// The resources named `kind` (Kind, case-insensitive, or plural).
fn indexes(kind: &str) -> Vec<usize> {
    RESOURCES
        .iter()
        .enumerate()
        .filter(|(_, r)| r.kind.eq_ignore_ascii_case(kind) || r.resource == kind)
        .map(|(i, _)| i)
        .collect()
}

/// `2025-10-14T18:40:07Z`.
pub fn rfc3339(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
